// The host's space (/lives/{id}/host): the host of a live follows its
// donations, approves or hides their texts, replays an alert, starts a
// challenge, offers rewards and ticks off those given, sends a test alert and
// sets the live's moderation, with the live's host key (or its write key).
// The key comes from the sign-in
// form or after "#key=" in a link from the organisers (a fragment never reaches
// a server); it is kept in this tab's sessionStorage only, taken out of the
// address bar at once (a shared screen must not show it) and sent as a bearer
// token, so no cookie is involved. The live's public stream is only a signal:
// any frame asks for a reload of what this page shows.
(function () {
  "use strict";
  var body = document.body;
  var liveId = body.dataset.live;
  var currency = body.dataset.currency;
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var locale = cagnotteLocale(lang);
  var grouped = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var T = {
    fr: {
      badKey: "Cette clé n'ouvre pas ce live. Vérifiez-la auprès de l'organisation.",
      alertsOn: "Les alertes passent", alertsPaused: "Alertes en pause\u00a0: elles attendent la reprise",
      pauseAlerts: "Mettre les alertes en pause", resumeAlerts: "Reprendre les alertes",
      alertsPausedSaid: "Alertes en pause\u00a0: les dons comptent, leurs alertes attendent.", alertsResumed: "Alertes reprises\u00a0: celles qui attendaient passent.",
      alertSkipped: "Alerte passée.",
      liveStarted: "Le live a commencé\u00a0: les overlays, les pages et les annonces suivent.",
      liveEnded: "Le live est terminé\u00a0: les overlays et les pages le disent.",
      liveExtended: function (end) { return "Le live continue jusqu'à " + end + "."; },
      ending: function (m) {
        return "Fin prévue dans " + m + " min\u00a0: «\u00a0Prolonger\u00a0» si le live continue (la fin est annoncée sur le salon de la communauté).";
      },
      error: "Erreur\u00a0: ", saved: "Enregistré.", testSent: "Alerte de test envoyée à vos overlays.",
      confirm: "Confirmer\u00a0?", approve: "Valider", hideDonor: "Masquer le nom", hideMessage: "Masquer le message",
      showDonor: "Réafficher le nom", showMessage: "Réafficher le message",
      replay: "Rejouer l'alerte", replayed: "Alerte rejouée sur vos overlays.",
      challengeStarted: "Défi lancé\u00a0: vos overlays l'affichent.", badAmount: "Montant invalide\u00a0: ",
      ch_open: function (t) { return "en cours, encore " + t; }, ch_met: "réussi", ch_missed: "temps écoulé",
      ch_cancelled: "annulé", cancelChallenge: "Annuler", challengeCancelled: "Défi annulé\u00a0: vos overlays ne l'affichent plus.",
      noChallenge: "Aucun défi pour l'instant.", moreTime: "+5 min",
      challengeUpdated: "Défi modifié\u00a0: vos overlays le suivent.",
      noMilestone: "Aucun palier pour l'instant.", ms_reached: "atteint", ms_left: function (s) { return "encore " + s; },
      removeMilestone: "Retirer", milestoneAdded: "Palier ajouté\u00a0: vos overlays le marquent sur la barre d'objectif.",
      goalSet: "Objectif changé\u00a0: vos overlays et la page publique l'affichent dès maintenant.",
      streamSet: "Lien enregistré\u00a0: la page publique et le planning le donnent dès maintenant.",
      streamCleared: "Lien retiré.",
      thisPage: "cette page", openLive: "Ouvrir son espace",
      milestoneRemoved: "Palier retiré\u00a0: vos overlays ne l'affichent plus.",
      pollStarted: "Sondage lancé\u00a0: vos overlays l'affichent.", noPoll: "Aucun sondage pour l'instant.",
      closePoll: "Clore", pollClosed: "Sondage clos\u00a0: vos overlays annoncent le résultat.",
      closeIn5: "Clore dans 5 min", pollExtended: "Sondage prolongé\u00a0: vos overlays affichent le temps qui reste.",
      pollUpdated: "Sondage modifié\u00a0: vos overlays le suivent.",
      poll_open: function (t) { return t ? "en cours, encore " + t : "en cours"; }, poll_over: "terminé",
      votes: function (n) { return n + (n > 1 ? " dons" : " don"); }, lead: "en tête",
      badOptions: "Un sondage a de 2 à 6 options, une par ligne.",
      noDraw: "Aucun tirage pour l'instant.",
      drawn: function (w) { return "Gagnant\u00a0: " + w + ". Vos overlays l'annoncent."; },
      drawnMany: function (w) { return "Gagnants\u00a0: " + w.join(", ") + ". Vos overlays les annoncent."; },
      won: function (a) { return "don de " + a; },
      approved: "Texte validé\u00a0: il passe à l'antenne.", hiddenDone: "Masqué sur les overlays et la page publique.",
      shownDone: "De nouveau sur les overlays et la page publique.",
      st_shown: "Affiché", st_pending: "En attente", st_hidden: "Masqué", st_refunded: "Remboursé",
      anonymous: "anonyme", hidden: "masqué", erased: "effacé à sa demande", none: "Aucun texte en attente.",
      morePending: function (n) { return n > 1 ? "… et " + n.toLocaleString("fr-FR") + " autres textes après ceux-ci." : "… et un autre texte après ceux-ci."; },
      noDonation: "Aucun don pour l'instant.",
      count: function (n, all) {
        return all > n ? "(les " + n + " plus récents sur " + all + ")" : "(" + all + (all > 1 ? " dons)" : " don)");
      },
      totals: function (t, r, m, n) {
        return t + " (dons " + r + " + abondement " + m + ") — " + n + (n > 1 ? " dons" : " don");
      },
      goal: function (g, p) { return "Objectif " + g + "\u00a0: " + p + "\u00a0%"; },
      help_off: "Modération\u00a0: aucune. Les textes passent à l'antenne aussitôt\u00a0; vous pouvez encore les masquer ci-dessous.",
      help_delay: function (s) { return "Modération\u00a0: délai de " + s + " s. Un texte passe à l'antenne après ce délai, sauf si vous le masquez avant."; },
      help_manual: "Modération\u00a0: validation manuelle. Un texte ne passe à l'antenne qu'une fois validé. Les montants comptent tout de suite.",
      onAirAt: function (t) { return "à l'antenne à " + t; },
      st_current: "en direct", st_upcoming: "à venir", st_past: "terminé", st_unscheduled: "non programmé", st_cancelled: "annulé",
      words_default: "Liste par défaut", copied: "Copié\u00a0!", thanksText: "Le message de remerciement",
      rotateWarn: "L'ancien lien d'overlay cesse aussitôt de fonctionner, dans OBS aussi\u00a0: cliquez de nouveau pour confirmer.",
      rotated: "Nouveau lien d'overlay créé\u00a0: collez-le dans la source navigateur d'OBS.",
      rotateHostWarn: "L'ancien lien de cet espace cesse aussitôt de fonctionner\u00a0: cliquez de nouveau pour confirmer.",
      rotateModeratorWarn: "Le lien modérateur précédent, s'il y en a un, cesse aussitôt de fonctionner\u00a0: cliquez de nouveau pour confirmer.",
      moderatorRotated: "Lien modérateur créé\u00a0: copiez-le pour vos modérateurs.",
      moderatorAdded: function (n) { return "Lien de " + n + " créé\u00a0: copiez-le-lui. Il n'est montré qu'une fois."; },
      moderatorLinkOf: function (n) { return "Lien de " + n; },
      noModerators: "Aucun modérateur à son nom pour l'instant.",
      moderatorSince: function (d) { return "depuis le " + d; },
      removeModerator: "Retirer son lien", moderatorRemoved: "Lien retiré\u00a0: il ne fonctionne plus.",
      youModerate: function (n) { return "Vous modérez ce live en tant que " + n + "\u00a0: approuvez les messages en attente, masquez ou réaffichez un nom ou un message. Ce que vous faites est noté à votre nom. Le reste est à l'hôte."; },
      hostRotated: "Nouveau lien créé\u00a0: gardez-le, l'ancien ne fonctionne plus.",
      overlays: function (n) {
        return n ? (n > 1 ? n + " overlays connectés à ce live." : "Overlay connecté à ce live.")
          : "Aucun overlay connecté\u00a0: ajoutez le lien d'overlay comme source navigateur dans OBS.";
      }
    },
    en: {
      badKey: "This key does not open this live. Check it with the organisers.",
      alertsOn: "Alerts are on", alertsPaused: "Alerts paused: they wait for you to resume",
      pauseAlerts: "Pause the alerts", resumeAlerts: "Resume the alerts",
      alertsPausedSaid: "Alerts paused: donations count, their alerts wait.", alertsResumed: "Alerts resumed: those waiting go on air.",
      alertSkipped: "Alert skipped.",
      liveStarted: "The live started: the overlays, the pages and the announcements follow.",
      liveEnded: "The live is over: the overlays and the pages say so.",
      liveExtended: function (end) { return "The live goes on until " + end + "."; },
      ending: function (m) {
        return "Planned end in " + m + " min: \u201cExtend by\u201d if the live goes on (its end is announced in the community's channel).";
      },
      error: "Error: ", saved: "Saved.", testSent: "Test alert sent to your overlays.",
      confirm: "Confirm?", approve: "Approve", hideDonor: "Hide name", hideMessage: "Hide message",
      showDonor: "Show name again", showMessage: "Show message again",
      replay: "Replay alert", replayed: "Alert shown again on your overlays.",
      challengeStarted: "Challenge started: your overlays show it.", badAmount: "Invalid amount: ",
      ch_open: function (t) { return "on, " + t + " left"; }, ch_met: "met", ch_missed: "time up",
      ch_cancelled: "called off", cancelChallenge: "Call off", challengeCancelled: "Challenge called off: your overlays no longer show it.",
      noChallenge: "No challenge yet.", moreTime: "+5 min",
      challengeUpdated: "Challenge changed: your overlays follow.",
      noMilestone: "No milestone yet.", ms_reached: "reached", ms_left: function (s) { return s + " to go"; },
      removeMilestone: "Remove", milestoneAdded: "Milestone added: your overlays mark it on the goal bar.",
      goalSet: "Goal changed: your overlays and the public page show it now.",
      streamSet: "Link saved: the public page and the schedule give it now.",
      streamCleared: "Link taken off.",
      thisPage: "this page", openLive: "Open its space",
      milestoneRemoved: "Milestone removed: your overlays no longer show it.",
      pollStarted: "Poll started: your overlays show it.", noPoll: "No poll yet.",
      closePoll: "Close", pollClosed: "Poll closed: your overlays announce the result.",
      closeIn5: "Close in 5 min", pollExtended: "Poll extended: your overlays show the time left.",
      pollUpdated: "Poll changed: your overlays follow it.",
      poll_open: function (t) { return t ? "open, " + t + " left" : "open"; }, poll_over: "closed",
      votes: function (n) { return n + (n === 1 ? " donation" : " donations"); }, lead: "leading",
      badOptions: "A poll has 2 to 6 options, one per line.",
      noDraw: "No draw yet.",
      drawn: function (w) { return "Winner: " + w + ". Your overlays announce it."; },
      drawnMany: function (w) { return "Winners: " + w.join(", ") + ". Your overlays announce them."; },
      won: function (a) { return "donation of " + a; },
      approved: "Text approved: it goes on air.", hiddenDone: "Hidden from the overlays and the public page.",
      shownDone: "Back on the overlays and the public page.",
      st_shown: "Shown", st_pending: "Pending", st_hidden: "Hidden", st_refunded: "Refunded",
      anonymous: "anonymous", hidden: "hidden", erased: "erased at their request", none: "No text waiting.",
      morePending: function (n) { return n > 1 ? "… and " + n.toLocaleString("en-US") + " more texts after these." : "… and one more text after these."; },
      noDonation: "No donation yet.",
      count: function (n, all) {
        return all > n ? "(the " + n + " newest of " + all + ")" : "(" + all + (all === 1 ? " donation)" : " donations)");
      },
      totals: function (t, r, m, n) {
        return t + " (donations " + r + " + matched " + m + ") — " + n + (n === 1 ? " donation" : " donations");
      },
      goal: function (g, p) { return "Goal " + g + ": " + p + "%"; },
      help_off: "Moderation: off. Texts go on air at once; you can still hide them below.",
      help_delay: function (s) { return "Moderation: " + s + " s delay. A text goes on air after that delay unless you hide it first."; },
      help_manual: "Moderation: manual approval. A text goes on air only once approved. Amounts count at once.",
      onAirAt: function (t) { return "on air at " + t; },
      st_current: "live now", st_upcoming: "upcoming", st_past: "over", st_unscheduled: "not scheduled", st_cancelled: "cancelled",
      words_default: "Default list", copied: "Copied!", thanksText: "The thank-you message",
      rotateWarn: "The old overlay link stops working at once, in OBS too: click again to confirm.",
      rotated: "New overlay link made: paste it into OBS's browser source.",
      rotateHostWarn: "The old link to this page stops working at once: click again to confirm.",
      rotateModeratorWarn: "The last moderator link, if any, stops working at once: click again to confirm.",
      moderatorRotated: "Moderator link made: copy it for your moderators.",
      moderatorAdded: function (n) { return n + "'s link made: copy it for them. It is shown only once."; },
      moderatorLinkOf: function (n) { return n + "'s link"; },
      noModerators: "No moderator by name yet.",
      moderatorSince: function (d) { return "since " + d; },
      removeModerator: "Take their link back", moderatorRemoved: "Link taken back: it no longer works.",
      youModerate: function (n) { return "You moderate this live as " + n + ": approve the held messages, hide or show again a name or a message. What you do is written under your name. The rest is the host's."; },
      hostRotated: "New link made: keep it, the old one no longer works.",
      overlays: function (n) {
        return n ? (n > 1 ? n + " overlays connected to this live." : "Overlay connected to this live.")
          : "No overlay connected: add the overlay link as a browser source in OBS.";
      }
    }
  }[lang];

  // The newest donations, a page at a time; or, with a search, what it finds.
  var LIMIT = 200;
  var shown = LIMIT, search = "";
  var key = null;
  var space = cagnotteSpaceKey("cagnotte-host-" + liveId, T.badKey, function (k) {
    key = k;
    if (k) start();
  });
  key = space.key;

  function el(id) { return document.getElementById(id); }
  function make(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  var fmtMoney = new Intl.NumberFormat(locale, { style: "currency", currency: currency });
  var exp = fmtMoney.resolvedOptions().maximumFractionDigits;
  function money(minor) { return fmtMoney.format(minor / Math.pow(10, exp)); }
  // Written as the dashboard and the public pages write them ("7 déc., 09:05", "Dec 7, 9:05 AM").
  var hourStyle = lang === "en" ? "numeric" : "2-digit";
  var fmtWhen = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", hour: hourStyle, minute: "2-digit" });
  var fmtTime = new Intl.DateTimeFormat(locale, { hour: hourStyle, minute: "2-digit", second: "2-digit" });
  function when(ms) { return ms ? fmtWhen.format(new Date(ms)) : ""; }
  var fmtHour = new Intl.DateTimeFormat(locale, { hour: hourStyle, minute: "2-digit" });
  function hour(iso) { return iso ? fmtHour.format(new Date(iso)) : ""; }

  // Every call carries the key; no cookie goes with it.
  function api(method, path, payload) {
    return cagnotteRequest(method, path, payload, { "Authorization": "Bearer " + key }, "omit");
  }
  var notice = cagnotteNotice;
  function fail(e) {
    if (e && (e.status === 401 || e.status === 403)) { space.signedOut(true); return; }
    // A refusal in the page's language (shared.js).
    notice(T.error + (e instanceof CagnotteApiError ? cagnotteExplain(lang, e, money) : e && e.message ? e.message : String(e)), true);
  }

  // What the page shows: the live (public), its moderation and its donations (with the key).
  var live = null, moderation = null, donations = null, challenges = [], milestones = [], campaignDoc = null;
  var moderators = [];
  var load = cagnotteOneLoad(function () {
    var enc = encodeURIComponent(liveId);
    return Promise.all([
      fetch("/api/v1/lives/" + enc, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (l) {
        // The live's challenges are among its campaign's milestones (public too).
        return fetch("/api/v1/campaigns/" + encodeURIComponent(l.campaign_id), { cache: "no-store" })
          .then(function (r) { return r.json(); })
          .then(function (c) {
            campaignDoc = c;
            challenges = (c.milestones || []).filter(function (m) { return m.live_id === liveId && m.ends_at; });
            milestones = (c.milestones || []).filter(function (m) { return m.live_id === liveId && !m.ends_at && !m.cancelled; });
            return l;
          });
      }),
      api("GET", "/api/v1/lives/" + enc + "/moderation"),
      api("GET", "/api/v1/lives/" + enc + "/donations?limit=" + shown + (search ? "&q=" + encodeURIComponent(search) : "")),
      // The rewards with their claims: what the host has to draw, write or send
      // (not the moderators' business).
      moderator() ? null : rewardsBox.load(),
      // The moderators by name (the host's business).
      moderator() ? null : api("GET", "/api/v1/lives/" + enc + "/moderators")
    ]).then(function (all) {
      live = all[0]; moderation = all[1]; donations = all[2];
      moderators = all[4] ? all[4].moderators : [];
      render();
    });
  });

  function render() {
    el("signin").hidden = true;
    el("app").hidden = false;
    el("forget").hidden = false;
    var t = live.totals;
    var status = el("status");
    status.textContent = T["st_" + live.status] || live.status || "";
    status.dataset.status = live.status || "";
    // Its start and its end, which the host moves when on air early, late or longer.
    el("when").textContent = live.scheduled_at ? when(Date.parse(live.scheduled_at)) + " – " + hour(live.ends_at) : "";
    el("start-live").hidden = live.status === "current" || live.status === "cancelled";
    el("end-live").hidden = live.status !== "current";
    el("extend-live").hidden = live.status !== "current";
    ending();
    afterLive();
    el("totals").textContent = T.totals(money(t.total), money(t.raised), money(t.matched), t.donations);
    el("goal").hidden = !live.goal;
    // "100 130 %" past a big goal, grouped as the overlays group it.
    if (live.goal) el("goal").textContent = T.goal(money(live.goal), grouped.format(Math.floor(t.total * 100 / live.goal)));
    el("dock-url").value = dockUrl();
    // The live's stream link, unless the host is typing another.
    var stream = el("stream-form").elements.stream_url;
    if (document.activeElement !== stream && !stream.dataset.typed) stream.value = live.stream_url || "";
    el("alerts-state").textContent = live.alerts_paused ? T.alertsPaused : T.alertsOn;
    el("alerts-state").dataset.paused = live.alerts_paused ? "1" : "";
    el("pause-alerts").textContent = live.alerts_paused ? T.resumeAlerts : T.pauseAlerts;
    renderHostLives();
    renderModeration();
    renderChallenges();
    renderMilestones();
    renderPolls();
    renderDraws();
    renderPending();
    renderDonations();
    renderModerators();
    body.dataset.state = "ready";
  }

  function renderModeration() {
    var m = moderation;
    el("pending-help").textContent = m.mode === "manual" ? T.help_manual
      : m.mode === "delay" ? T.help_delay(m.delay_seconds) : T.help_off;
    var form = el("moderation-form");
    // A form being edited is not overwritten by a reload.
    if (form.dataset.dirty) return;
    form.elements.mode.value = m.mode;
    form.elements.delay_seconds.value = m.delay_seconds;
    form.elements.links.checked = m.links;
    form.elements.words.value = m.words.join("\n");
    form.elements.words.placeholder = T.words_default;
    form.dataset.defaultWords = m.default_words ? m.words.join("\n") : "";
  }
  ["input", "change"].forEach(function (type) {
    el("moderation-form").addEventListener(type, function () { el("moderation-form").dataset.dirty = "1"; });
  });

  // Buttons armed by a first click, by action and id, so a redraw keeps them
  // armed. With `context` (a donation's donor and amount, a poll's question),
  // a button's name says which row it acts on: "Masquer le nom — Zoé, 37,50 €".
  var armed = {};
  function button(act, id, label, context) {
    var b = make("button", "small", label);
    b.type = "button";
    b.dataset.act = act;
    b.dataset.id = id;
    if (context) b.setAttribute("aria-label", label + " — " + context);
    if (armed[act + " " + id]) cagnotteArm(b, T.confirm);
    return b;
  }
  function donationName(d) {
    return (d.donor_name || T.anonymous) + ", " + money(d.amount);
  }
  // A first click taken back: Escape, or the focus gone to another control.
  cagnotteDisarming(body, function (b) {
    if (b.dataset.act) {
      delete armed[b.dataset.act + " " + b.dataset.id];
      cagnotteUnarm(b);
    } else if (b.id === "start-live" || b.id === "end-live") {
      delete armed[b.id];
      cagnotteUnarm(b);
    } else if (b.dataset.label) {
      cagnotteUnarm(b, b.dataset.label);
    } else {
      return;
    }
    notice("", false);
  });

  var PENDING_SHOWN = 20;
  function renderPending() {
    var ul = el("pending");
    var list = moderation.pending;
    cagnotteRedraw(ul, function (ul) {
      el("pending-count").textContent = String(list.length);
      el("pending-count").dataset.waiting = list.length ? "1" : "";
      if (!list.length) { ul.appendChild(make("li", "help", T.none)); return; }
      // The oldest first, as they are judged; a busy evening's hundreds do not
      // push the donations out of a dock's reach.
      list.slice(0, PENDING_SHOWN).forEach(function (d) {
        var li = make("li");
        li.dataset.id = d.id;
        li.appendChild(make("strong", null, d.donor_name || "—"));
        li.appendChild(document.createTextNode(" " + money(d.amount) + " "));
        if (d.message_text) li.appendChild(make("q", null, d.message_text));
        if (moderation.mode === "delay" && d.at) {
          li.appendChild(make("small", "badge", T.onAirAt(fmtTime.format(new Date(Date.parse(d.at) + moderation.delay_seconds * 1000)))));
        }
        li.appendChild(document.createTextNode(" "));
        // Whatever the mode now: a text held before moderation was turned off
        // (or put on a delay) waits for it.
        var who = donationName(d);
        li.appendChild(button("approve", d.id, T.approve, who));
        if (d.message_text) li.appendChild(button("hide-message", d.id, T.hideMessage, who));
        if (d.donor_name && !d.anonymous) li.appendChild(button("hide-donor", d.id, T.hideDonor, who));
        ul.appendChild(li);
      });
      if (list.length > PENDING_SHOWN) ul.appendChild(make("li", "help more-pending", T.morePending(list.length - PENDING_SHOWN)));
    });
  }

  function renderDonations() {
    var tb = el("donations");
    var list = donations.donations;
    cagnotteRedraw(tb, function (tb) {
      var words = cagnotteListWords[lang];
      el("donations-count").textContent = search ? words.found(list.length, donations.count)
        : list.length ? T.count(list.length, donations.count) : "";
      var next = Math.min(LIMIT, donations.count - list.length);
      el("show-more").hidden = !(next > 0);
      el("show-more").textContent = words.showMore(next);
      if (!list.length) {
        var tr0 = make("tr");
        var td0 = make("td", "help", search ? words.found(0, 0) : T.noDonation);
        td0.colSpan = 6;
        tr0.appendChild(td0);
        tb.appendChild(tr0);
        return;
      }
      list.forEach(function (d) {
        var tr = make("tr");
        tr.dataset.id = d.id;
        var status = d.refunded ? "refunded" : d.moderation;
        tr.dataset.status = status;
        tr.appendChild(make("td", "when", when(d.at)));
        cagnotteTextCells(tr, d, T);
        tr.appendChild(make("td", "num amount", money(d.amount)));
        cagnotteStatusCell(tr, status, d, T);
        var acts = make("td", "actions");
        var who = donationName(d);
        var add = function (act, label) { acts.appendChild(button(act, d.id, label, who)); };
        if (!d.refunded && d.moderation === "pending") add("approve", T.approve);
        if (d.donor_name && !d.anonymous && !d.donor_hidden) add("hide-donor", T.hideDonor);
        if (d.message_text && !d.message_hidden) add("hide-message", T.hideMessage);
        // A hiding undone: the name or the words back on air.
        if (d.donor_name && !d.anonymous && d.donor_hidden) add("show-donor", T.showDonor);
        if (d.message_text && d.message_hidden) add("show-message", T.showMessage);
        if (!d.refunded && d.moderation !== "pending" && !moderator()) add("replay", T.replay);
        tr.appendChild(acts);
        tb.appendChild(tr);
      });
    });
  }

  // Approve and hide: a first click arms the button, a second one acts. A
  // replay, which changes nothing, goes at the first.
  el("app").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-act]");
    // The rewards' buttons are the rewards box's own (shared.js).
    if (!b || b.closest("#reward-box")) return;
    // A click while its last request is on its way does nothing more (the
    // button keeps the focus meanwhile).
    if (cagnotteIsBusy(b)) return;
    var path = "/api/v1/donations/" + encodeURIComponent(b.dataset.id);
    if (b.dataset.act === "replay") {
      cagnotteBusy(b, function () {
        return api("POST", path + "/replay").then(function () { notice(T.replayed, false); });
      }).catch(fail);
      return;
    }
    var own = "/api/v1/lives/" + encodeURIComponent(liveId);
    // Five more minutes, in one click: a challenge's, a poll's.
    var lengthen = function (what, minutes, said) {
      cagnotteBusy(b, function () { return changeOnAir(what, b.dataset.id, { minutes: minutes }, said); }).catch(fail);
    };
    var challenge = challenges.filter(function (m) { return m.id === b.dataset.id; })[0];
    if (b.dataset.act === "edit-challenge" && challenge) { challengeEdit.edit(challenge); return; }
    if (b.dataset.act === "extend-challenge" && challenge) {
      lengthen("/challenges/", cagnotteFiveMore(challenge), T.challengeUpdated);
      return;
    }
    var poll = ((live && live.polls) || []).filter(function (p) { return p.id === b.dataset.id; })[0];
    if (b.dataset.act === "edit-poll" && poll) { pollEdit.edit(poll); return; }
    if (b.dataset.act === "extend-poll" && poll) {
      lengthen("/polls/", cagnotteFiveMore(poll), T.pollExtended);
      return;
    }
    if (!cagnotteSecondClick(armed, b.dataset.act + " " + b.dataset.id, b, T.confirm)) return;
    var act = b.dataset.act;
    var done = act === "approve" ? T.approved : act === "cancel-challenge" ? T.challengeCancelled
      : act === "remove-milestone" ? T.milestoneRemoved : act === "close-poll" ? T.pollClosed
      : act === "remove-moderator" ? T.moderatorRemoved
      : act.indexOf("show-") === 0 ? T.shownDone : T.hiddenDone;
    // The page drawn again after it, the focus stays on this row, else goes
    // to the next one (cagnotteRedraw).
    cagnotteBusy(b, function () {
      return act === "approve" ? api("POST", path + "/approve")
        : act === "cancel-challenge" ? api("DELETE", own + "/challenges/" + encodeURIComponent(b.dataset.id))
        : act === "remove-milestone" ? api("DELETE", own + "/milestones/" + encodeURIComponent(b.dataset.id))
        : act === "remove-moderator" ? api("DELETE", own + "/moderators/" + encodeURIComponent(b.dataset.id))
        : act === "close-poll" ? api("POST", own + "/polls/" + encodeURIComponent(b.dataset.id) + "/close")
        : act === "show-donor" || act === "show-message" ? api("POST", path + "/show", act === "show-donor" ? { donor: true } : { message: true })
        : api("POST", path + "/hide", act === "hide-donor" ? { donor: true } : { message: true });
    }).then(function () { notice(done, false); return load(); }).catch(fail);
  });

  // A new overlay link, in two clicks: the first says that the old one stops.
  // A new secret in two clicks: the first says that the old one stops at once.
  function rotation(id, what, warn, done) {
    el(id).addEventListener("click", function () {
      var b = el(id);
      if (cagnotteIsBusy(b)) return;
      if (!b.dataset.armed) {
        cagnotteArm(b, T.confirm);
        notice(warn, false);
        return;
      }
      cagnotteUnarm(b, b.dataset.label);
      cagnotteBusy(b, function () {
        return api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/rotate", what).then(done);
      }).catch(fail);
    });
  }
  rotation("rotate-overlay", { overlay_token: true }, T.rotateWarn, function (v) {
    el("overlay-new").hidden = false;
    el("overlay-url").value = cagnotteOverlayLink(v.overlay_url, lang);
    el("follow-url").value = cagnotteOverlayLink(v.overlay_url, lang) + "&follow=host";
    var u = new URL(v.overlay_url, location.href);
    el("builder-link").href = u.pathname + "/builder" + u.search + "&lang=" + lang;
    notice(T.rotated, false);
  });
  // The moderators' link: their own key, which approves and hides only.
  rotation("rotate-moderator", { moderator_token: true }, T.rotateModeratorWarn, function (v) {
    el("moderator-new").hidden = false;
    el("moderator-url").value = cagnotteHostLink(v.moderator_url, lang);
    notice(T.moderatorRotated, false);
  });
  // The host's own link: this page goes on with the new key.
  rotation("rotate-host", { host_token: true }, T.rotateHostWarn, function (v) {
    key = v.host_token;
    space.keep(key);
    el("host-new").hidden = false;
    el("host-url").value = cagnotteHostLink(v.host_url, lang);
    notice(T.hostRotated, false);
  });
  // The campaign's alert images and sounds, when opened: the host removes those
  // sent from a space of theirs (the server says the same).
  function mediaLibrary() {
    if (!el("media-details").open || !live) return;
    var me = live.host.trim().toLowerCase();
    cagnotteMediaLibrary({
      path: "/api/v1/campaigns/" + encodeURIComponent(live.campaign_id) + "/media",
      list: el("media-list"), form: el("media-form"), lang: lang, credentials: "omit",
      headers: function () { return { "Authorization": "Bearer " + key }; },
      mine: function (m) { return !!m.host && m.host.trim().toLowerCase() === me; },
      said: function (text, isError) { notice(isError ? T.error + text : text, isError); },
      explain: function (e) { return cagnotteExplain(lang, e, money); }
    });
  }
  el("media-details").addEventListener("toggle", mediaLibrary);
  // The host's chat bot commands (they follow the host's lives), with what they answer, when opened.
  el("chat-details").addEventListener("toggle", function () {
    if (!el("chat-details").open) return;
    cagnotteChatCommands(el("chat-commands").querySelector("tbody"),
      "/api/v1/lives/" + encodeURIComponent(liveId) + "/chat?follow=host", lang,
      { copy: el("copy-overlay").textContent, copied: T.copied });
  });
  // The public page's link for the month: the host's live of the moment.
  el("public-follow").value = location.origin + "/lives/" + encodeURIComponent(liveId) + "?follow=host" +
    (lang === "en" ? "&lang=en" : "");
  // This space as an OBS dock, following the host's lives, with the key after `#key=`.
  function dockUrl() {
    return location.origin + "/lives/" + encodeURIComponent(liveId) + "/host?lang=" + lang + "&dock=1&follow=host#key=" +
      encodeURIComponent(key || "");
  }
  // The counter for the host's own website, following their lives.
  el("embed-code").value = cagnotteEmbedCode("/lives/" + encodeURIComponent(liveId) + "/embed?follow=host" +
    (lang === "en" ? "&lang=en" : ""), body.dataset.host);
  [["copy-overlay", "overlay-url"], ["copy-follow", "follow-url"], ["copy-public", "public-follow"], ["copy-dock", "dock-url"],
   ["copy-embed", "embed-code"], ["copy-host", "host-url"], ["copy-moderator", "moderator-url"],
   ["copy-moderator-added", "moderator-added-url"], ["copy-thanks", "thanks-text"]].forEach(function (p) {
    // Its name says what it copies ("Copier : Lien du dock"), not only "Copier".
    cagnotteNameCopy(lang, el(p[0]), el(p[1]), p[0] === "copy-thanks" ? T.thanksText : undefined);
    if (p[0] === "copy-thanks") return;
    el(p[0]).addEventListener("click", function () {
      cagnotteCopy(el(p[1]), function () { notice(T.copied, false); });
    });
  });

  // The host's other lives of the campaign: this key opens each one's space.
  function renderHostLives() {
    var mine = ((campaignDoc && campaignDoc.hosts) || []).filter(function (h) { return h.lives.indexOf(liveId) >= 0; })[0];
    var ids = mine ? mine.lives : [];
    el("host-lives-box").hidden = ids.length < 2;
    var ul = el("host-lives");
    cagnotteRedraw(ul, function (ul) {
      (campaignDoc ? campaignDoc.lives : []).filter(function (l) { return ids.indexOf(l.id) >= 0; }).forEach(function (l) {
        var li = make("li");
        li.dataset.id = l.id;
        li.dataset.status = l.status || "";
        var what = (l.scheduled_at ? when(Date.parse(l.scheduled_at)) + " — " : "") + (l.title || l.host) +
          " (" + (T["st_" + l.status] || l.status) + ")";
        li.appendChild(make("span", null, what + " "));
        if (l.id === liveId) {
          li.appendChild(make("strong", null, T.thisPage));
        } else {
          var a = make("a", null, T.openLive);
          a.href = "/lives/" + encodeURIComponent(l.id) + "/host?lang=" + lang + "#key=" + encodeURIComponent(key);
          li.appendChild(a);
        }
        ul.appendChild(li);
      });
    });
  }

  // The moderators by name, each with their link taken back in two clicks; a
  // moderator reads under whose name they moderate.
  function renderModerators() {
    var you = moderation.you;
    if (you && you.name) el("moderator-help").textContent = T.youModerate(you.name);
    cagnotteModerators(el("moderator-list"), moderators, T, function (iso) { return when(Date.parse(iso)); }, button);
  }

  // The live's milestones by amount: reached, or what is left; one not reached
  // can be removed (two clicks).
  function renderMilestones() {
    var ul = el("host-milestones");
    cagnotteRedraw(ul, function (ul) {
      if (!milestones.length) { ul.appendChild(make("li", "help", T.noMilestone)); return; }
      milestones.slice().sort(function (a, b) { return a.amount - b.amount; }).forEach(function (m) {
        var li = make("li");
        li.dataset.id = m.id;
        li.dataset.state = m.reached ? "met" : "open";
        li.appendChild(make("span", "num", money(m.amount) + " — "));
        li.appendChild(make("strong", null, m.label));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(make("span", "badge", m.reached ? T.ms_reached
          : T.ms_left(money(Math.max(0, m.amount - (live ? live.totals.total : 0))))));
        if (!m.reached) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(button("remove-milestone", m.id, T.removeMilestone));
        }
        ul.appendChild(li);
      });
    });
  }

  // The live's challenges, newest first: on (with the time left), met, or time up.
  function renderChallenges() {
    var ul = el("challenges");
    cagnotteRedraw(ul, function (ul) {
      if (!challenges.length) { ul.appendChild(make("li", "help", T.noChallenge)); return; }
      var now = cagnotteNow();
      challenges.slice().sort(function (a, b) { return Date.parse(b.created_at) - Date.parse(a.created_at); })
        .forEach(function (m) {
          var end = Date.parse(m.ends_at);
          var state = m.reached ? "met" : m.cancelled ? "cancelled" : !m.missed && end > now ? "open" : "missed";
          var li = make("li");
          li.dataset.id = m.id;
          li.dataset.state = state;
          li.appendChild(make("strong", null, m.label));
          var done = Math.max(0, Math.min(m.amount - m.from, (live ? live.totals.total : m.from) - m.from));
          if (m.reached) done = m.amount - m.from;
          li.appendChild(make("span", "num", " " + money(done) + " / " + money(m.amount - m.from) + " — "));
          li.appendChild(make("span", "badge", state === "open" ? T.ch_open(fmtLeft(end - now))
            : state === "met" ? T.ch_met : state === "cancelled" ? T.ch_cancelled : T.ch_missed));
          if (state === "open") {
            // Five more minutes in one click; its terms in the form above; called off in two.
            [["extend-challenge", T.moreTime], ["edit-challenge", cagnotteEditWords[lang].edit], ["cancel-challenge", T.cancelChallenge]]
              .forEach(function (a) {
                li.appendChild(document.createTextNode(" "));
                li.appendChild(button(a[0], m.id, a[1]));
              });
          }
          ul.appendChild(li);
        });
    });
  }
  function fmtLeft(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var m = Math.floor(s / 60);
    return m + " min " + (s % 60 < 10 ? "0" : "") + (s % 60) + " s";
  }
  // The live's polls, newest first: each option's keyword, what it gathered,
  // the leading one; an open one can be closed (two clicks).
  function renderPolls() {
    var ul = el("polls");
    cagnotteRedraw(ul, function (ul) {
      var polls = (live && live.polls) || [];
      if (!polls.length) { ul.appendChild(make("li", "help", T.noPoll)); return; }
      var now = cagnotteNow();
      polls.slice().reverse().forEach(function (p) {
        var st = cagnottePollState(p, now), end = st.end, open = st.open;
        var li = make("li");
        li.dataset.id = p.id;
        li.dataset.state = open ? "open" : "over";
        li.appendChild(make("strong", null, p.question));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(make("span", "badge", open ? T.poll_open(isNaN(end) ? "" : fmtLeft(end - now)) : T.poll_over));
        if (open) {
          // Five more minutes to vote (a poll without a deadline gets one, in five minutes).
          li.appendChild(document.createTextNode(" "));
          li.appendChild(button("extend-poll", p.id, isNaN(end) ? T.closeIn5 : T.moreTime));
          li.appendChild(document.createTextNode(" "));
          li.appendChild(button("edit-poll", p.id, cagnotteEditWords[lang].edit));
          li.appendChild(document.createTextNode(" "));
          li.appendChild(button("close-poll", p.id, T.closePoll));
        }
        var ol = make("ol", "poll-options");
        p.options.forEach(function (o) {
          var lead = st.leaders.indexOf(o) >= 0;
          var row = make("li", lead ? "lead" : null);
          row.appendChild(make("span", null, o.label + " "));
          row.appendChild(make("code", null, "#" + o.tag));
          row.appendChild(make("span", "num", " — " + money(o.amount) + " (" + T.votes(o.donations) + ")" +
            (lead ? " — " + T.lead : "")));
          ol.appendChild(row);
        });
        li.appendChild(ol);
        ul.appendChild(li);
      });
    });
  }
  // The live's prize draws, newest first: the prize, the winner as the host
  // sees them (the real name, even when the overlays say "anonymous"), what
  // their donation was, how many entered. A winner older than the donations
  // this page holds is looked up once by its id.
  var winnerOf = cagnotteWinners(
    function (id) { return ((donations && donations.donations) || []).filter(function (x) { return x.id === id; })[0]; },
    function (id) {
      return api("GET", "/api/v1/lives/" + encodeURIComponent(liveId) + "/donations?limit=1&q=" + encodeURIComponent(id));
    },
    function () { renderDraws(); }, fail);
  var D = cagnotteDrawWords[lang];
  function winnerName(d, w) { return cagnotteWinnerName(d, w, D); }
  function renderDraws() {
    var ul = el("draws");
    cagnotteRedraw(ul, function (ul) {
      var draws = (live && live.draws) || [];
      if (!draws.length) { ul.appendChild(make("li", "help", T.noDraw)); return; }
      draws.slice().reverse().forEach(function (x) {
        var w = x.winner, d = winnerOf(w.id);
        var li = make("li");
        li.dataset.id = x.id;
        li.dataset.winner = w.id;
        li.appendChild(make("strong", null, x.prize));
        li.appendChild(document.createTextNode(" — "));
        li.appendChild(make("span", "winner", winnerName(d, w)));
        li.appendChild(document.createTextNode(" (" + T.won(money(w.amount)) + ", " + when(Date.parse(w.at)) + ") "));
        if (w.refunded) li.appendChild(make("span", "badge", T.st_refunded));
        li.appendChild(make("small", "help", D.entries(x.entries, x.tickets) + " — " + when(Date.parse(x.at)) + " — " + w.id));
        ul.appendChild(li);
      });
    });
  }
  el("draw-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var payload = { prize: f.elements.prize.value.trim(), weighted: f.elements.weighted.checked };
    if (f.elements.min_amount.value.trim()) {
      var min = cagnotteMinor(f.elements.min_amount.value, exp);
      if (!(min > 0)) { notice(T.badAmount + f.elements.min_amount.value, true); return; }
      payload.min_amount = min;
    } else if (payload.weighted) {
      notice(D.needMin, true);
      return;
    }
    if (f.elements.minutes.value) payload.minutes = parseInt(f.elements.minutes.value, 10);
    var winners = parseInt(f.elements.winners.value, 10);
    if (winners > 1) payload.winners = winners;
    api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/draws", payload)
      .then(function (x) {
        f.reset();
        return load().then(function () { notice(cagnotteDrawnSaid(x, T, function (w) { return winnerName(winnerOf(w.id), w); }), false); });
      })
      .catch(fail);
  });

  // The live's rewards, their form and the queue of claims ticked "Fait"
  // (shared.js, as the dashboard's live cards); a change reloads the page.
  var rewardsBox = cagnotteRewards({
    box: el("reward-box"), live: liveId, request: api, labels: cagnotteRewardWords[lang], money: money, exp: exp,
    when: function (iso) { return when(Date.parse(iso)); }, said: notice, fail: fail, reload: load
  });

  // The time left moves on while a challenge or a poll is on.
  setInterval(function () {
    if (live && challenges.some(function (m) { return !m.reached && Date.parse(m.ends_at) > cagnotteNow() - 1000; })) {
      renderChallenges();
    }
    if (live && (live.polls || []).some(function (p) { return cagnottePollState(p, cagnotteNow() - 1000).open; })) renderPolls();
  }, 1000);

  el("poll-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    if (f.dataset.editing) {
      var change = { question: f.elements.question.value.trim() };
      if (f.elements.minutes.value) change.minutes = parseInt(f.elements.minutes.value, 10);
      changeOnAir("/polls/", f.dataset.editing, change, T.pollUpdated).then(pollEdit.leave).catch(fail);
      return;
    }
    var options = f.elements.options.value.split("\n").map(function (o) { return o.trim(); })
      .filter(function (o) { return o; });
    if (options.length < 2 || options.length > 6) { notice(T.badOptions, true); return; }
    var payload = { question: f.elements.question.value.trim(), options: options };
    if (f.elements.minutes.value) payload.minutes = parseInt(f.elements.minutes.value, 10);
    api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/polls", payload)
      .then(function () {
        f.reset();
        notice(T.pollStarted, false);
        return load();
      })
      .catch(fail);
  });

  // The challenge's and the poll's forms change one on air too (shared.js).
  var editing = { lang: lang, said: notice, amountText: function (minor) {
    return (minor / Math.pow(10, exp)).toFixed(exp).replace(".", lang === "fr" ? "," : ".");
  } };
  var challengeForm = el("challenge-form");
  var challengeEdit = cagnotteEditable("challenge", challengeForm, el("challenge-submit"), el("challenge-keep"), editing);
  var pollEdit = cagnotteEditable("poll", el("poll-form"), el("poll-submit"), el("poll-keep"), editing);
  // A challenge's or a poll's terms (`what`: "/challenges/", "/polls/") changed
  // on air, then said and the page reloaded.
  function changeOnAir(what, id, change, said) {
    return api("PATCH", "/api/v1/lives/" + encodeURIComponent(liveId) + what + encodeURIComponent(id), change)
      .then(function () { notice(said, false); return load(); });
  }
  challengeForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var amount = cagnotteMinor(f.elements.amount.value, exp);
    if (!(amount > 0)) { notice(T.badAmount + f.elements.amount.value, true); return; }
    var payload = { label: f.elements.label.value.trim(), amount: amount, minutes: parseInt(f.elements.minutes.value, 10) };
    var editing = f.dataset.editing;
    var done = editing
      ? changeOnAir("/challenges/", editing, payload, T.challengeUpdated).then(challengeEdit.leave)
      : api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/challenges", payload).then(function () {
        f.elements.label.value = "";
        f.elements.amount.value = "";
        notice(T.challengeStarted, false);
        return load();
      });
    done.catch(fail);
  });

  // A new goal on air ("on passe à 1 000 € !"): the overlays follow at once.
  el("goal-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var goal = cagnotteMinor(f.elements.goal.value, exp);
    if (!(goal > 0)) { notice(T.badAmount + f.elements.goal.value, true); return; }
    api("PUT", "/api/v1/lives/" + encodeURIComponent(liveId) + "/goal", { goal: goal })
      .then(function () {
        f.reset();
        notice(T.goalSet, false);
        return load();
      })
      .catch(fail);
  });

  // Where the live is watched: the host's channel, for the pages and the announcements.
  el("stream-form").elements.stream_url.addEventListener("input", function (ev) { ev.target.dataset.typed = "1"; });
  el("stream-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = ev.target.elements.stream_url, url = input.value.trim();
    api("PUT", "/api/v1/lives/" + encodeURIComponent(liveId) + "/stream", { stream_url: url || null })
      .then(function () {
        delete input.dataset.typed;
        notice(url ? T.streamSet : T.streamCleared, false);
        return load();
      })
      .catch(fail);
  });

  // Alerts paused or resumed, and the one on screen skipped, on every overlay of the live.
  el("pause-alerts").addEventListener("click", function () {
    var pause = !live.alerts_paused;
    api("PUT", "/api/v1/lives/" + encodeURIComponent(liveId) + "/alerts", { paused: pause })
      .then(function () {
        notice(pause ? T.alertsPausedSaid : T.alertsResumed, false);
        return load();
      })
      .catch(fail);
  });
  el("skip-alert").addEventListener("click", function () {
    api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/alerts/skip")
      .then(function () { notice(T.alertSkipped, false); })
      .catch(fail);
  });

  // Ten minutes before a live's end, the host is told: a live that goes on past
  // it would be said over in the community's channel. Looked at each 15 s.
  function ending() {
    var left = live && live.status === "current" ? Date.parse(live.ends_at) - cagnotteNow() : NaN;
    var soon = left > 0 && left <= 10 * 60000;
    el("ending").hidden = !soon;
    if (soon) el("ending").textContent = T.ending(Math.ceil(left / 60000));
  }
  setInterval(ending, 15000);

  // Once the live is over, the thank-you its chat command says (every donor
  // viewers see by name), to copy for a message or a post; read again with
  // each change (a late gift).
  function afterLive() {
    var over = live.status === "past";
    el("after-live").hidden = !over;
    if (!over) return;
    fetch("/api/v1/lives/" + encodeURIComponent(liveId) + "/chat?say=thanks&lang=" + lang, { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (text) { if (text) el("thanks-text").value = text; }, function () { /* the next change */ });
  }
  el("thanks-text").setAttribute("aria-label", T.thanksText);
  el("copy-thanks").addEventListener("click", function () {
    var b = el("copy-thanks");
    cagnotteCopy(el("thanks-text"), function () {
      b.textContent = T.copied;
      b.setAttribute("aria-label", cagnotteWhatCopied(lang, T.copied, T.thanksText));
    });
  });

  // A quarter of an hour, half an hour or an hour more, in one click, while on air.
  el("extend-live").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-minutes]");
    if (!b || cagnotteIsBusy(b)) return;
    cagnotteBusy(b, function () {
      return api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/extend", { minutes: parseInt(b.dataset.minutes, 10) })
        .then(function (l) { notice(T.liveExtended(hour(l.ends_at)), false); return load(); });
    }).catch(fail);
  });

  // Two clicks each: a start is announced to the community's channels.
  [["start-live", "/start", T.liveStarted], ["end-live", "/end", T.liveEnded]].forEach(function (a) {
    var b = el(a[0]), label = b.textContent;
    b.addEventListener("click", function () {
      if (cagnotteIsBusy(b) || !cagnotteSecondClick(armed, a[0], b, T.confirm)) return;
      cagnotteUnarm(b, label);
      cagnotteBusy(b, function () {
        return api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + a[1])
          .then(function () { notice(a[2], false); return load(); });
      }).catch(fail);
    });
  });

  el("milestone-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var amount = cagnotteMinor(f.elements.amount.value, exp);
    if (!(amount > 0)) { notice(T.badAmount + f.elements.amount.value, true); return; }
    api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/milestones", { label: f.elements.label.value.trim(), amount: amount })
      .then(function () {
        f.reset();
        notice(T.milestoneAdded, false);
        return load();
      })
      .catch(fail);
  });

  // A moderator by name: their own link, shown once to be copied for them.
  el("moderator-add").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/moderators", { name: f.elements.name.value.trim() })
      .then(function (v) {
        f.reset();
        el("moderator-added").hidden = false;
        el("moderator-added-label").textContent = T.moderatorLinkOf(v.name);
        cagnotteNameCopy(lang, el("copy-moderator-added"), el("moderator-added-url"));
        el("moderator-added-url").value = cagnotteHostLink(v.moderator_url, lang);
        notice(T.moderatorAdded(v.name), false);
        return load();
      })
      .catch(fail);
  });

  el("test-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var payload = {};
    if (f.elements.donor.value.trim()) payload.donor = f.elements.donor.value.trim();
    if (f.elements.message.value.trim()) payload.message = f.elements.message.value.trim();
    api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/test-alert", payload)
      .then(function () { notice(T.testSent, false); })
      .catch(fail);
  });

  el("moderation-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var words = f.elements.words.value;
    var m = {
      mode: f.elements.mode.value, delay_seconds: parseInt(f.elements.delay_seconds.value, 10) || 30,
      links: f.elements.links.checked
    };
    // The default list unchanged stays the default (it follows the server's updates).
    m.words = f.dataset.defaultWords && words === f.dataset.defaultWords ? null
      : words.split("\n").map(function (w) { return w.trim(); }).filter(Boolean);
    api("PUT", "/api/v1/lives/" + encodeURIComponent(liveId) + "/moderation", m).then(function (v) {
      moderation = v;
      delete f.dataset.dirty;
      renderModeration();
      renderPending();
      notice(T.saved, false);
    }).catch(fail);
  });

  // The public stream: each frame asks for a reload, the first 100 ms later,
  // then at most one a second however fast donations come.
  var timer = null, lastReload = 0;
  function soon() {
    if (timer || !key) return;
    var wait = Math.max(100, lastReload + 1000 - Date.now());
    timer = setTimeout(function () {
      timer = null;
      lastReload = Date.now();
      if (key) load().catch(fail);
    }, wait);
  }
  // Searching: the table holds what the search finds; a new search starts again
  // from one page.
  // A gift coming as a row's button is clicked does not push another row under the pointer.
  cagnotteHoldNew(el("donations"), cagnotteListWords[lang]);
  cagnotteSearchBox(el("donation-search"), function (text) {
    if (text === search) return;
    search = text;
    shown = LIMIT;
    load().catch(fail);
  });
  el("show-more").addEventListener("click", function () {
    shown += LIMIT;
    load().catch(fail);
  });

  var socket = null;
  function follow() {
    if (socket) return;
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(proto + "//" + location.host + "/ws/public/lives/" + encodeURIComponent(liveId));
    socket.onmessage = function (m) {
      var f = null;
      try { f = JSON.parse(m.data); } catch (e) { return; }
      cagnotteSetClock(f);
      soon();
    };
    socket.onclose = function () { socket = null; setTimeout(follow, 2000); };
  }

  // Whether the overlay in OBS is connected: looked at now and then (no event says it).
  function loadOverlays() {
    if (!key || document.hidden || moderator()) return;
    api("GET", "/api/v1/lives/" + encodeURIComponent(liveId) + "/connections").then(function (v) {
      // Said again only when it changes: the line is read out at each change.
      var p = el("overlays"), said = T.overlays(v.overlays);
      if (p.textContent !== said) p.textContent = said;
      p.dataset.connected = v.overlays ? "1" : "";
    }).catch(function () { /* shown again at the next look */ });
  }
  setInterval(loadOverlays, 5000);

  // A moderator's key (`md_…`, made by the host or the organisers): the page
  // shows the held texts and the donations only.
  function moderator() { return /^md_/.test(key || ""); }
  function start() {
    body.classList.toggle("moderator", moderator());
    el("signin-error").hidden = true;
    load().then(function () { follow(); loadOverlays(); }).catch(fail);
  }

  if (key) start(); else space.signedOut(false);
})();
