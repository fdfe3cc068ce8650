// Cagnotte public pages (a live's, a campaign's): what viewers see, on a phone
// as well as on a desktop.
//
// - Data: the public WebSocket stream of the live or campaign (no token: it
//   carries no secret and no text awaiting moderation). The first frame is a
//   snapshot; donation, refund and donation_updated frames then update totals,
//   the goal bar, matching and the recent donations; after a drop the page
//   reconnects with backoff and takes a fresh snapshot.
// - Leaderboards depend on every donation's visible name: they are read from
//   the public JSON document after events, never guessed.
// - Only donations whose text passed moderation are listed; donor text is
//   inserted with textContent only.
(function () {
  "use strict";
  var body = document.body;
  var kind = body.dataset.kind === "campaign" ? "campaign" : "live";
  var id = body.dataset.id;
  var currency = body.dataset.currency;
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var locale = cagnotteLocale(lang);
  var el = function (x) { return document.getElementById(x); };

  var T = {
    fr: {
      anonymous: "Anonyme", raised: "dons", matched: "abondés", of: " sur ", reached: " — objectif atteint, merci\u00a0!",
      challenge: "Défi en cours\u00a0: ", challengeMet: "Défi réussi\u00a0!", challengeLeft: function (m, s) {
        return "encore " + m + " min " + (s < 10 ? "0" : "") + s + " s";
      },
      challengeMissed: "Temps écoulé", challengeOver: "Défi\u00a0: ", pollOpen: "Sondage en cours", pollOver: "Sondage terminé",
      pollHint: function (tag) { return "Pour voter, écrivez le mot-clé de votre choix dans le message de votre don (par exemple " + tag + ")."; },
      pollWinner: function (l) { return l + " l'emporte\u00a0!"; }, pollTie: "Égalité\u00a0!", pollNoVote: "Aucun vote.",
      drawWon: function (prize, who) { return prize + "\u00a0: " + who; },
      donations: function (n) { return count(n) + (n > 1 ? " dons" : " don"); },
      campaign: "Campagne\u00a0: ", doubled: function (s) { return "Votre don est doublé par " + s + "\u00a0!"; },
      tripled: function (s) { return "Votre don est triplé par " + s + "\u00a0!"; },
      matchedBy: function (s, p) { return s + " ajoute " + p + " à chaque don\u00a0!"; },
      matchedByMany: function (s, p) { return s + " ajoutent " + p + " à chaque don\u00a0!"; },
      budgetLeft: "Budget restant\u00a0: ", budgetsLeft: "Budgets restants\u00a0: ", plus: "+", plusMatched: " abondés",
      matchUntil: function (t) { return " — jusqu'à " + t; }, budget: "Budget\u00a0: ",
      todayAt: function (t) { return "aujourd'hui à " + t; }, tomorrowAt: function (t) { return "demain à " + t; },
      soonDoubled: function (t, s) { return "Dès " + t + ", chaque don sera doublé par " + s + "\u00a0!"; },
      soonTripled: function (t, s) { return "Dès " + t + ", chaque don sera triplé par " + s + "\u00a0!"; },
      soonMatchedBy: function (t, s, p) { return "Dès " + t + ", " + s + " ajoutera " + p + " à chaque don\u00a0!"; },
      st_upcoming: "À venir", st_current: "En direct", st_past: "Terminé", st_unscheduled: "Date à venir", st_cancelled: "Annulé",
      watch: function (site) { return "Regarder sur " + site; },
      startsIn: function (h, m) { return "dans " + (h ? h + " h " + (m < 10 ? "0" : "") + m : m + " min"); },
      none: "Pas encore de don\u00a0: soyez le premier\u00a0!",
      announce: function (who, amount) { return "Nouveau don\u00a0: " + who + ", " + amount + "."; },
      announceMany: function (n, total) { return count(n) + " nouveaux dons, total\u00a0: " + total + "."; },
      announceGoal: "Objectif atteint, merci\u00a0!",
      unnamed: function (n, alone) { return (alone ? "" : "Et ") + count(n) + (n > 1 ? " dons anonymes." : " don anonyme."); },
      milestoneReached: "atteint ✓", milestoneLeft: function (s) { return "encore " + s; },
      rewardFrom: function (a) { return "dès " + a; }, rewardHow: ["Écrivez ", " dans le message de votre don"],
      rewardLeft: function (n) { return n + (n > 1 ? " restantes" : " restante"); }, rewardSoldOut: "épuisée",
      shared: "Lien copié\u00a0!", opens: function (when) { return "Ouverture le " + when + "."; },
      dayTitle: function (day, amount, n) { return day + "\u00a0: " + amount + " (" + count(n) + (n > 1 ? " dons)" : " don)"); },
      bestDay: function (day, amount, days) { return "Meilleur jour\u00a0: " + day + ", " + amount + " — sur " + days + " jours."; }
    },
    en: {
      anonymous: "Anonymous", raised: "donated", matched: "matched", of: " of ", reached: " — goal reached, thank you!",
      challenge: "Challenge on: ", challengeMet: "Challenge met!", challengeLeft: function (m, s) {
        return m + " min " + (s < 10 ? "0" : "") + s + " s left";
      },
      challengeMissed: "Time's up", challengeOver: "Challenge: ", pollOpen: "Poll open", pollOver: "Poll closed",
      pollHint: function (tag) { return "To vote, write the keyword of your choice in your donation's message (for example " + tag + ")."; },
      pollWinner: function (l) { return l + " wins!"; }, pollTie: "It's a tie!", pollNoVote: "No votes.",
      drawWon: function (prize, who) { return prize + ": " + who; },
      donations: function (n) { return count(n) + (n === 1 ? " donation" : " donations"); },
      campaign: "Campaign: ", doubled: function (s) { return "Your donation is doubled by " + s + "!"; },
      tripled: function (s) { return "Your donation is tripled by " + s + "!"; },
      matchedBy: function (s, p) { return s + " adds " + p + " to every donation!"; },
      matchedByMany: function (s, p) { return s + " add " + p + " to every donation!"; },
      budgetLeft: "Budget left: ", budgetsLeft: "Budgets left: ", plus: "+", plusMatched: " matched",
      matchUntil: function (t) { return " — until " + t; }, budget: "Budget: ",
      todayAt: function (t) { return "today at " + t; }, tomorrowAt: function (t) { return "tomorrow at " + t; },
      soonDoubled: function (t, s) { return "From " + t + ", every donation will be doubled by " + s + "!"; },
      soonTripled: function (t, s) { return "From " + t + ", every donation will be tripled by " + s + "!"; },
      soonMatchedBy: function (t, s, p) { return "From " + t + ", " + s + " will add " + p + " to every donation!"; },
      st_upcoming: "Upcoming", st_current: "Live now", st_past: "Ended", st_unscheduled: "Date to come", st_cancelled: "Cancelled",
      watch: function (site) { return "Watch on " + site; },
      startsIn: function (h, m) { return "in " + (h ? h + " h " + (m < 10 ? "0" : "") + m : m + " min"); },
      none: "No donation yet: be the first!",
      announce: function (who, amount) { return "New donation: " + who + ", " + amount + "."; },
      announceMany: function (n, total) { return count(n) + " new donations, total: " + total + "."; },
      announceGoal: "Goal reached, thank you!",
      unnamed: function (n, alone) { return (alone ? "" : "And ") + count(n) + (n === 1 ? " anonymous gift." : " anonymous gifts."); },
      milestoneReached: "reached ✓", milestoneLeft: function (s) { return s + " to go"; },
      rewardFrom: function (a) { return "from " + a; }, rewardHow: ["Write ", " in your donation's message"],
      rewardLeft: function (n) { return n + " left"; }, rewardSoldOut: "none left",
      shared: "Link copied!", opens: function (when) { return "It opens on " + when + "."; },
      dayTitle: function (day, amount, n) { return day + ": " + amount + " (" + count(n) + (n === 1 ? " donation)" : " donations)"); },
      bestDay: function (day, amount, days) { return "Best day: " + day + ", " + amount + " — over " + days + " days."; }
    }
  }[lang];

  var fmt = new Intl.NumberFormat(locale, { style: "currency", currency: currency });
  var scale = Math.pow(10, fmt.resolvedOptions().maximumFractionDigits);
  var pctFmt = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  var timeFmt = new Intl.DateTimeFormat(locale, { timeStyle: "short" });
  // A date as `options` write it, with the year only when it is not this one.
  function dated(options) {
    var thisYear = new Intl.DateTimeFormat(locale, options);
    var otherYear = new Intl.DateTimeFormat(locale, Object.assign({ year: "numeric" }, options));
    return function (iso) {
      var d = new Date(iso);
      return (d.getFullYear() === new Date(cagnotteNow()).getFullYear() ? thisYear : otherYear).format(d);
    };
  }
  var hour = lang === "fr" ? "2-digit" : "numeric";
  // The schedule's column: "ven. 4 déc., 14:28".
  var shortWhen = dated({ weekday: "short", day: "numeric", month: "short", hour: hour, minute: "2-digit" });
  // A live's date, the next live, the campaign's dates: "vendredi 4 décembre à 19:00".
  var longWhen = dated({ weekday: "long", day: "numeric", month: "long", hour: hour, minute: "2-digit" });
  function money(minor) { return fmt.format(minor / scale); }
  // A count as the language writes it: "1 462 dons", "1,462 donations".
  var countFmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  function count(n) { return countFmt.format(n); }
  function make(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  // ---- state ------------------------------------------------------------------
  var seq = -1;
  // The seq the live's page's totals are as of (its stream's frames and the
  // totals frames may cross).
  var totalsSeq = -1;
  var goal = null, totals = null;          // this page's own goal and totals (the live's, or the campaign's)
  var campaignGoal = null, campaignTotals = null; // live page: the campaign's
  var recent = [];   // newest first, as sent (public view)
  var matches = [];
  var lives = [];    // campaign page: the schedule
  // The campaign's opening and end: the page invites to give only between
  // them, says before when it opens, and thanks the donors after (a gift
  // reported later still counts). An edit moves them.
  var campaignStarts = body.dataset.starts || null, campaignEnds = body.dataset.ends || null;

  // ---- rendering ----------------------------------------------------------------
  // The big total climbs to its new value (0.8 s, easing out) rather than jump,
  // so that viewers see it rise; at once the first time, in a hidden tab, and for
  // a visitor who asks for less motion.
  var shownTotal = null, totalFrame = 0;
  var calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function showTotal(to) {
    var node = el("total");
    cancelAnimationFrame(totalFrame);
    var from = shownTotal === null ? to : shownTotal;
    if (from === to || calm || document.hidden) { shownTotal = to; node.textContent = money(to); return; }
    var start = performance.now();
    function frame(now) {
      // A frame's time can precede the moment the tween began: never before its start.
      var k = Math.max(0, Math.min(1, (now - start) / 800));
      shownTotal = k < 1 ? Math.round(from + (to - from) * (1 - Math.pow(1 - k, 3))) : to;
      node.textContent = money(shownTotal);
      if (k < 1) totalFrame = requestAnimationFrame(frame);
    }
    totalFrame = requestAnimationFrame(frame);
  }
  // What screen readers are told (`#announce`, a polite live region): a new
  // gift at once after a quiet spell, then one sentence every ANNOUNCE_MS at
  // most, the gifts that came meanwhile counted (by the totals, which count
  // those the stream held back too) with the total they made: on a busy
  // evening ten a second would be a stream no one can follow. The goal
  // reached while the page is open is said once. Said after the event's whole
  // frame is drawn, so that the total is the new one.
  var ANNOUNCE_MS = 10000;
  var heard = { gifts: [], donations: null, goal: false, reached: null, last: -Infinity, timer: 0 };
  function announce() {
    if (heard.timer) return;
    heard.timer = setTimeout(function () {
      heard.timer = 0;
      var wait = heard.last + ANNOUNCE_MS - Date.now();
      if (wait > 0) { heard.timer = setTimeout(function () { heard.timer = 0; announce(); }, wait); return; }
      var g = heard.gifts, said = [], n = Math.max(g.length, totals.donations - heard.donations);
      if (g.length && n === 1) said.push(T.announce(g[0].donor || T.anonymous, money(g[0].amount)));
      if (g.length && n > 1) said.push(T.announceMany(n, money(totals.total)));
      if (heard.goal) said.push(T.announceGoal);
      heard.gifts = [];
      heard.donations = totals.donations;
      heard.goal = false;
      if (!said.length) return;
      heard.last = Date.now();
      el("announce").textContent = said.join(" ");
    }, 0);
  }

  function renderTotals() {
    if (!totals) return;
    if (heard.donations === null) heard.donations = totals.donations;
    showTotal(totals.total);
    var parts = [T.donations(totals.donations)];
    if (totals.matched > 0) parts.push(money(totals.raised) + " " + T.raised + " + " + money(totals.matched) + " " + T.matched);
    el("breakdown").textContent = parts.join(" — ");
    // A live without its own goal measures the campaign's total against the campaign's goal.
    var g = goal || campaignGoal;
    var t = goal ? totals : campaignTotals;
    var box = el("goal");
    box.hidden = !g || !t;
    if (g && t) {
      var f = Math.max(0, Math.min(1, t.total / g));
      el("goal-fill").style.transform = "scaleX(" + f + ")";
      el("goal-track").setAttribute("aria-valuenow", String(Math.floor(f * 100)));
      box.dataset.fraction = String(f);
      // Reached: the page thanks its viewers (and the bar turns green), and
      // tells screen readers once, when it happens while the page is open.
      box.dataset.reached = t.total >= g ? "1" : "";
      if (heard.reached === false && t.total >= g) { heard.goal = true; announce(); }
      heard.reached = t.total >= g;
      el("goal-label").textContent = (goal ? "" : T.campaign) + money(t.total) + T.of + money(g) + " (" +
        pctFmt.format(Math.floor(t.total * 100 / g) / 100) + ")" + (t.total >= g ? T.reached : "");
    }
    if (kind === "live" && campaignTotals) {
      var line = el("campaign-total");
      line.textContent = T.campaign + money(campaignTotals.total);
      // Said already by the goal line when it measures the campaign's total.
      line.hidden = !goal && !!campaignGoal;
    }
  }

  // Every sponsor paying now: several add up (1:1 and 1:2 make x2.5). One
  // used up pays again once a refund gave part of its budget back.
  function activeMatches() {
    var now = cagnotteNow();
    return matches.filter(function (m) {
      return m.left > 0 && m.status !== "ended" && !(m.starts_at && Date.parse(m.starts_at) > now) &&
        !(m.ends_at && Date.parse(m.ends_at) <= now);
    });
  }
  var listFmt = new Intl.ListFormat(locale, { type: "conjunction" });
  // The next sponsor's window to come (a "power hour" announced ahead), when
  // none pays now, however far ahead.
  function nextMatch() {
    return cagnotteMatchAhead(matches, cagnotteNow(), Infinity);
  }
  // "20:00" today, "demain à 20:00", else "vendredi 4 décembre à 20:00".
  function clockOrDay(iso) {
    var days = cagnotteDaysAhead(iso), at = timeFmt.format(new Date(iso));
    return days === 0 ? at : days === 1 ? T.tomorrowAt(at) : longWhen(iso);
  }
  // A live's time: "aujourd'hui à 21:00", "demain à 19:00", else "vendredi 4
  // décembre à 19:00" ("Today at 9:00 PM", "Tomorrow at…", "Friday, December 4 at…").
  function nearWhen(iso) {
    var w = cagnotteDaysAhead(iso) === 0 ? T.todayAt(timeFmt.format(new Date(iso))) : clockOrDay(iso);
    return lang === "en" ? w.charAt(0).toUpperCase() + w.slice(1) : w;
  }
  var drawnMatch = null;
  function matchNow() {
    var on = activeMatches(), m = on[0] || nextMatch();
    return m ? on.map(function (x) { return x.id; }).join(",") + (on.length ? ":on" : m.id + ":soon") : "";
  }
  function renderMatch() {
    drawnMatch = matchNow();
    var on = activeMatches(), soon = !on.length && nextMatch();
    if (soon) on = [soon];
    var m = on[0];
    el("match").hidden = !m;
    if (!m) return;
    el("match").dataset.state = soon ? "soon" : "on";
    // What the sponsors add to each gift, together: 1 for doubled, 2 for tripled.
    var added = on.reduce(function (f, x) { return f + x.ratio[0] / x.ratio[1]; }, 0);
    var names = listFmt.format(on.map(function (x) { return x.sponsor; }));
    var share = pctFmt.format(added), at = soon && clockOrDay(m.starts_at);
    var doubled = Math.abs(added - 1) < 1e-9, tripled = Math.abs(added - 2) < 1e-9;
    el("match-line").textContent = soon
      ? (doubled ? T.soonDoubled(at, names) : tripled ? T.soonTripled(at, names) : T.soonMatchedBy(at, names, share))
      : (doubled ? T.doubled(names) : tripled ? T.tripled(names) : (on.length > 1 ? T.matchedByMany : T.matchedBy)(names, share));
    // The first of them to end.
    var ends = on.filter(function (x) { return x.ends_at; }).sort(function (a, b) { return Date.parse(a.ends_at) - Date.parse(b.ends_at); })[0];
    el("match-left").textContent = (soon ? T.budget : on.length > 1 ? T.budgetsLeft : T.budgetLeft) + listFmt.format(on.map(function (x) { return money(x.left); })) +
      (ends ? T.matchUntil(clockOrDay(ends.ends_at)) : "");
    m = on.filter(function (x) { return x.logo_url; })[0] || m;
    // The sponsor's logo, when one was chosen.
    var logo = el("match-logo");
    logo.hidden = !m.logo_url || logo.dataset.failed === m.logo_url;
    if (m.logo_url && logo.getAttribute("src") !== m.logo_url) logo.setAttribute("src", m.logo_url);
  }
  el("match-logo").onerror = function () { this.dataset.failed = this.getAttribute("src"); this.hidden = true; };

  function renderRecent() {
    var ol = el("recent");
    ol.textContent = "";
    var shown = recent.filter(function (d) { return !d.refunded && !d.test && d.moderation !== "pending"; });
    if (!shown.length) { ol.appendChild(make("li", "help", T.none)); return; }
    shown.slice(0, 15).forEach(function (d) {
      var li = make("li");
      li.dataset.id = d.id;
      var head = make("div", "recent-head");
      head.appendChild(make("span", "donor", d.donor || T.anonymous));
      // What it still counts for, once part of it was given back.
      head.appendChild(make("span", "amount", money(d.amount - (d.refunded_amount || 0))));
      li.appendChild(head);
      if (d.matched > 0) li.appendChild(make("div", "matched", T.plus + money(d.matched) + T.plusMatched));
      if (d.message) li.appendChild(make("div", "message", d.message));
      li.appendChild(make("time", "at", timeFmt.format(new Date(d.at))));
      ol.appendChild(li);
    });
  }

  function renderTop(rows) {
    var box = el("top-box");
    var ol = el("top");
    ol.textContent = "";
    (rows || []).slice(0, 10).forEach(function (r) {
      var li = make("li");
      li.appendChild(make("span", "donor", r.donor));
      li.appendChild(make("span", "amount", money(r.amount)));
      ol.appendChild(li);
    });
    box.hidden = !rows || rows.length === 0;
  }

  // Every donor by name, read when the list is opened, and again after
  // donations while it stays open (with the leaderboard).
  function loadAllDonors() {
    if (!el("all-donors").open) return;
    var path = kind === "live" ? "/api/v1/lives/" : "/api/v1/campaigns/";
    fetch(path + encodeURIComponent(id) + "/donors", { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (!v || !Array.isArray(v.donors)) return;
        var ol = el("all-donors-list");
        ol.textContent = "";
        v.donors.forEach(function (r) {
          var li = make("li");
          li.appendChild(make("span", "donor", r.donor));
          li.appendChild(make("span", "amount", money(r.amount)));
          ol.appendChild(li);
        });
        var p = el("all-donors-unnamed");
        p.hidden = !v.unnamed_donations;
        p.textContent = v.unnamed_donations ? T.unnamed(v.unnamed_donations, !v.donors.length) : "";
      })
      .catch(function () { /* the next event will try again */ });
  }
  el("all-donors").addEventListener("toggle", loadAllDonors);

  function statusLabel(s) { return T["st_" + s] || s; }
  // A live's state by the server's clock, from its schedule (`scheduled_at`,
  // `ends_at`): a page left open sees it start and end without a new snapshot.
  function statusNow(l) {
    if (l.cancelled) return "cancelled";
    var start = Date.parse(l.scheduled_at || ""), end = Date.parse(l.ends_at || ""), now = cagnotteNow();
    if (isNaN(start) || isNaN(end)) return l.status;
    return now < start ? "upcoming" : now < end ? "current" : "past";
  }

  // The states last drawn, to draw them again when the clock changes one.
  var headLive = null, drawnStates = "";
  function states() {
    return (kind === "live" ? [headLive] : lives).map(function (l) { return l ? statusNow(l) : ""; }).join();
  }
  function renderLiveHead(live) {
    if (!live) return;
    headLive = live;
    drawnStates = states();
    var st = el("status"), status = statusNow(live);
    st.hidden = false;
    st.textContent = statusLabel(status);
    st.dataset.status = status;
    el("when").textContent = live.scheduled_at ? nearWhen(live.scheduled_at) + startsIn(live) : "";
    watchLink(el("watch"), live, true);
  }
  // Where a live is watched (its channel), as a link, when it has one: its
  // words ("▶ Regarder sur twitch.tv") or, without `words`, "▶" alone, titled so.
  function watchLink(a, live, words) {
    var url = live.stream_url, site = null;
    try {
      var u = url ? new URL(url) : null;
      site = u && /^https?:$/.test(u.protocol) ? u.hostname.replace(/^www\./, "") : null;
    } catch (e) { site = null; }
    a.hidden = !site;
    if (!site) { a.removeAttribute("href"); a.textContent = ""; return; }
    a.href = url;
    a.textContent = words ? "▶ " + T.watch(site) : "▶";
    a.title = T.watch(site);
    if (!words) a.setAttribute("aria-label", T.watch(site));
  }
  // A new such link, opening in a tab of its own; null when the live has none.
  function newWatchLink(live, words) {
    var a = make("a", "watch");
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    watchLink(a, live, words);
    return a.hidden ? null : a;
  }
  // Within a day of its start, how long until it starts: " — dans 1 h 30".
  function startsIn(live) {
    var left = Date.parse(live.scheduled_at) - cagnotteNow();
    if (!(left > 0) || left > 24 * 3600 * 1000) return "";
    var m = Math.ceil(left / 60000);
    return " — " + T.startsIn(Math.floor(m / 60), m % 60);
  }

  function renderSchedule() {
    drawnStates = states();
    var tb = el("schedule").tBodies[0];
    // The same lives in the same order: only the cells that changed are put
    // anew, so that a focused link keeps its focus as the totals move.
    var same = tb.rows.length === lives.length && lives.every(function (l, i) { return tb.rows[i].dataset.id === l.id; });
    if (!same) tb.textContent = "";
    lives.forEach(function (l, i) {
      var tr = make("tr"), status = statusNow(l);
      tr.dataset.id = l.id;
      tr.dataset.status = status;
      tr.appendChild(make("td", "when", l.scheduled_at ? shortWhen(l.scheduled_at) : "—"));
      var who = make("td", "host");
      var a = make("a", null, l.host);
      a.href = "/lives/" + encodeURIComponent(l.id) + "?lang=" + lang;
      who.appendChild(a);
      if (l.title) { who.appendChild(document.createTextNode(" ")); who.appendChild(make("small", null, l.title)); }
      var watch = newWatchLink(l, false);
      if (watch) { who.appendChild(document.createTextNode(" ")); who.appendChild(watch); }
      tr.appendChild(who);
      tr.appendChild(make("td", "status", statusLabel(status)));
      tr.appendChild(make("td", "num total", money(l.totals.total)));
      if (!same) { tb.appendChild(tr); return; }
      var was = tb.rows[i];
      was.dataset.status = status;
      Array.prototype.slice.call(tr.cells).forEach(function (td, k) {
        if (was.cells[k].outerHTML !== td.outerHTML) was.replaceChild(td, was.cells[k]);
      });
    });
  }

  // The hosts, each one's lives added up, biggest first: shown with two hosts or more.
  function renderHosts() {
    var rows = {};
    lives.forEach(function (l) {
      var key = l.host.trim().toLowerCase();
      var r = rows[key] || (rows[key] = { host: l.host, lives: 0, total: 0 });
      // A live called off is not counted; its donations are.
      if (!l.cancelled) r.lives += 1;
      r.total += l.totals.total;
    });
    var list = Object.keys(rows).map(function (k) { return rows[k]; }).sort(function (a, b) {
      return b.total - a.total || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);
    });
    el("hosts-box").hidden = list.length < 2;
    var tb = el("hosts").tBodies[0];
    tb.textContent = "";
    list.forEach(function (r) {
      var tr = make("tr");
      tr.appendChild(make("td", "host", r.host));
      tr.appendChild(make("td", "num", String(r.lives)));
      tr.appendChild(make("td", "num total", money(r.total)));
      tb.appendChild(tr);
    });
  }

  function renderNext(next) {
    var box = el("next-box");
    box.hidden = !next;
    if (!next) return;
    var p = el("next");
    p.textContent = "";
    var a = make("a", null, next.host + (next.title ? " — " + next.title : ""));
    a.href = "/lives/" + encodeURIComponent(next.id) + "?lang=" + lang;
    p.appendChild(a);
    if (next.scheduled_at) p.appendChild(document.createTextNode(" — " + nearWhen(next.scheduled_at)));
    var watch = newWatchLink(next, true);
    if (watch) { p.appendChild(document.createTextNode(" ")); p.appendChild(watch); }
  }

  function renderDates(c) {
    var parts = [];
    if (c.starts_at) parts.push(longWhen(c.starts_at));
    if (c.ends_at) parts.push(longWhen(c.ends_at));
    el("dates").textContent = parts.join(" → ");
  }

  // A live's challenge on air (set by its host): the newest not over, or one
  // met or whose time ran out, for a minute after (one called off goes at
  // once), also on a page opened in that minute. What it raised counts from
  // its start.
  // Challenge id -> when it was met; -> the live's total when its time ran out.
  var challenges = [], challengeMetAt = {}, challengeMissedAt = {};
  function renderChallenge() {
    var box = el("challenge");
    if (!box || !totals) return;
    var now = cagnotteNow();
    var c = cagnotteChallengeOnAir(challenges, challengeMetAt, challengeMissedAt, now);
    box.hidden = !c;
    if (!c) return;
    var asked = c.amount - c.from;
    // Its time run out, it stays at what it had: gifts after it do not count.
    var total = c.id in challengeMissedAt ? challengeMissedAt[c.id] : totals.total;
    var raised = c.reached ? asked : Math.max(0, Math.min(asked, total - c.from));
    var left = Math.max(0, Math.floor((Date.parse(c.ends_at) - now) / 1000));
    // Run out by the server's word, or by the clock.
    var over = !c.reached && (c.id in challengeMissedAt || left === 0);
    box.dataset.met = c.reached ? "1" : "";
    box.dataset.missed = over ? "1" : "";
    // Met or its time run out, it is no longer "on".
    el("challenge-label").textContent = (c.reached || over ? T.challengeOver : T.challenge) + cagnotteKeepPunctuation(c.label);
    el("challenge-time").textContent =
      c.reached ? T.challengeMet : over ? T.challengeMissed : T.challengeLeft(Math.floor(left / 60), left % 60);
    el("challenge-fill").style.transform = "scaleX(" + (asked > 0 ? raised / asked : 1) + ")";
    el("challenge-amounts").textContent = money(raised) + T.of + money(asked);
    var bar = box.querySelector("[role=progressbar]");
    bar.setAttribute("aria-valuenow", String(asked > 0 ? Math.floor(raised * 100 / asked) : 100));
    bar.setAttribute("aria-valuetext", el("challenge-amounts").textContent);
  }
  // The milestones ahead and behind (challenges have their own line): on a live's
  // page the live's, measured by its total, then the campaign's, by the
  // campaign's; on a campaign's page the campaign's.
  var marks = [];
  function renderMilestones() {
    var box = el("milestones-box"), ul = el("milestones");
    var list = marks.filter(function (m) { return !m.ends_at && !m.cancelled; }).sort(function (a, b) {
      return (a.live_id ? 0 : 1) - (b.live_id ? 0 : 1) || a.amount - b.amount;
    });
    box.hidden = list.length === 0;
    ul.textContent = "";
    list.forEach(function (m) {
      var t = m.live_id ? totals : kind === "live" ? campaignTotals : totals;
      var li = make("li", m.reached ? "reached" : null);
      li.appendChild(make("span", "amount", (kind === "live" && !m.live_id ? T.campaign : "") + money(m.amount)));
      li.appendChild(make("span", "label", m.label));
      li.appendChild(make("span", "state", m.reached ? T.milestoneReached
        : t ? T.milestoneLeft(money(Math.max(0, m.amount - t.total))) : ""));
      ul.appendChild(li);
    });
  }
  function markFrame(ev) {
    var m = ev.milestone;
    if (!m) return;
    if (ev.type === "milestone_reached") marks.forEach(function (x) { if (x.id === m.id) x.reached = true; });
    // Taken off by its host: gone from the list.
    if (ev.type === "milestone_removed") marks = marks.map(function (x) { return x.id === m.id ? m : x; });
    // Set now (by the organisers, or by the live's host): this page's if it is
    // the live's or the campaign's.
    var ours = kind === "live" ? !m.live_id || m.live_id === id : !m.live_id;
    if (ev.type === "milestone_created" && ours && !m.ends_at && !marks.some(function (x) { return x.id === m.id; })) marks.push(m);
  }

  function challengeFrame(ev) {
    var m = ev.milestone;
    if (!m || !m.ends_at || m.live_id !== id) return;
    if (ev.type === "challenge_started" && !challenges.some(function (x) { return x.id === m.id; })) challenges.push(m);
    // Called off by its host: over now; or its terms changed on air; or its
    // time ran out, at the live's total then.
    if (ev.type === "challenge_ended" || ev.type === "challenge_updated" || ev.type === "challenge_missed") {
      if (ev.type === "challenge_missed" && ev.totals) challengeMissedAt[m.id] = ev.totals.total;
      challenges = challenges.map(function (x) { return x.id === m.id ? m : x; });
    }
    if (ev.type === "milestone_reached") {
      challenges.forEach(function (x) { if (x.id === m.id) x.reached = true; });
      challengeMetAt[m.id] = cagnotteNow();
    }
  }

  // The live's poll: the newest, while open and for a minute after it closed
  // (its result), with how to vote.
  var polls = [];
  function renderPoll() {
    var box = el("poll");
    if (!box) return;
    var p = polls[polls.length - 1], now = cagnotteNow();
    var st = p ? cagnottePollState(p, now) : null;
    var end = st ? st.end : NaN, over = !!st && !st.open;
    box.hidden = !p || (over && end + 60000 <= now);
    if (box.hidden) return;
    box.dataset.over = over ? "1" : "";
    el("poll-question").textContent = cagnotteKeepPunctuation(p.question);
    var left = Math.max(0, Math.floor((end - now) / 1000));
    el("poll-time").textContent = over ? T.pollOver : isNaN(end) ? T.pollOpen : T.challengeLeft(Math.floor(left / 60), left % 60);
    var sum = 0, best = 0;
    p.options.forEach(function (o) { sum += o.amount; best = Math.max(best, o.amount); });
    var leaders = p.options.filter(function (o) { return best > 0 && o.amount === best; });
    var ol = el("poll-options");
    ol.textContent = "";
    p.options.forEach(function (o) {
      var li = document.createElement("li");
      if (leaders.indexOf(o) >= 0) li.className = "lead";
      var row = document.createElement("div");
      row.className = "poll-row";
      var label = document.createElement("span");
      label.textContent = cagnotteKeepPunctuation(o.label);
      var tag = document.createElement("code");
      tag.textContent = "#" + o.tag;
      label.appendChild(tag);
      var amount = document.createElement("span");
      amount.textContent = money(o.amount) + (sum > 0 ? " · " + pctFmt.format(o.amount / sum) : "");
      row.appendChild(label);
      row.appendChild(amount);
      var track = document.createElement("div");
      track.className = "goal-track small";
      var fill = document.createElement("div");
      fill.className = "goal-fill";
      fill.style.transform = "scaleX(" + (sum > 0 ? o.amount / sum : 0) + ")";
      track.appendChild(fill);
      li.appendChild(row);
      li.appendChild(track);
      ol.appendChild(li);
    });
    el("poll-hint").textContent = !over ? T.pollHint("#" + p.options[0].tag)
      : leaders.length === 1 ? T.pollWinner(leaders[0].label) : leaders.length > 1 ? T.pollTie : T.pollNoVote;
  }
  function pollFrame(ev) {
    var p = ev.poll;
    if (!p || p.live_id !== id) return;
    var i;
    for (i = 0; i < polls.length && polls[i].id !== p.id; i++) { /* find */ }
    polls[i] = p;
  }

  // The live's prize draws, newest first: the prize and its winner, as viewers
  // may see the name (an anonymous donor's is not).
  var draws = [];
  function renderDraws() {
    var box = el("draws-box");
    if (!box) return;
    box.hidden = !draws.length;
    var ul = el("draws");
    ul.textContent = "";
    draws.slice().reverse().forEach(function (x) {
      var li = document.createElement("li");
      li.textContent = T.drawWon(x.prize, (x.winner && x.winner.donor) || T.anonymous);
      ul.appendChild(li);
    });
  }
  function drawFrame(ev) {
    if (ev.type === "prize_drawn" && ev.draw && ev.draw.live_id === id) draws.push(ev.draw);
    // A winner's name hidden since: the list follows.
    var d = ev.donation;
    if (ev.type === "donation_updated" && d) {
      draws.forEach(function (x) { if (x.winner && x.winner.id === d.id) x.winner = d; });
    }
  }

  // The rewards its host still offers, in the order offered: what each is,
  // the least gift, how to claim it and how many are left (nothing said when
  // there is no limit). The frames keep them up to date.
  var rewards = [];
  function renderRewards() {
    var box = el("rewards-box");
    if (!box) return;
    var offered = rewards.filter(function (r) { return !r.closed_at; });
    box.hidden = !offered.length;
    var ul = el("rewards");
    ul.textContent = "";
    offered.forEach(function (r) {
      var li = make("li");
      li.dataset.id = r.id;
      li.dataset.state = r.left === 0 ? "sold-out" : "open";
      var head = make("div", "reward-head");
      head.appendChild(make("strong", "title", r.title));
      head.appendChild(make("span", "amount", T.rewardFrom(money(r.amount))));
      li.appendChild(head);
      var foot = make("p", "reward-foot");
      var how = make("span", "how", T.rewardHow[0]);
      how.appendChild(make("code", null, "#" + r.tag));
      how.appendChild(document.createTextNode(T.rewardHow[1]));
      foot.appendChild(how);
      if (r.left !== null && r.left !== undefined) {
        foot.appendChild(make("span", "badge left", r.left === 0 ? T.rewardSoldOut : T.rewardLeft(r.left)));
      }
      li.appendChild(foot);
      ul.appendChild(li);
    });
  }
  // A reward offered, withdrawn or given, and one that a donation claimed (or
  // gave back, refunded): as the frame has it now.
  function rewardFrame(ev) {
    var r = ev.reward;
    if (!r || r.live_id !== id) return;
    var i;
    for (i = 0; i < rewards.length && rewards[i].id !== r.id; i++) { /* find */ }
    rewards[i] = r;
  }

  var drawnWindow = null;
  function renderWindow() {
    var state = drawnWindow = cagnotteWindow(campaignStarts, campaignEnds);
    el("over").hidden = state !== "ended";
    el("soon").hidden = state !== "upcoming";
    el("soon-when").textContent = state === "upcoming" ? T.opens(longWhen(campaignStarts)) : "";
    var donate = el("donate");
    if (donate) donate.hidden = state !== "open";
  }
  function renderAll() {
    renderWindow();
    renderTotals();
    if (kind === "live") renderChallenge();
    if (kind === "live") renderPoll();
    if (kind === "live") renderDraws();
    if (kind === "live") renderRewards();
    renderMilestones();
    renderMatch();
    renderRecent();
    if (kind === "campaign") { renderSchedule(); renderHosts(); }
  }

  // ---- frames -------------------------------------------------------------------
  // Campaign-wide data (campaign totals, match budgets) also comes from the other
  // lives of the campaign: on a live page it is taken from whichever stream has
  // the newer seq (the live's, or the campaign's).
  var campaignSeq = -1;
  function campaignData(ev, campaignTotalsOf) {
    if (typeof ev.seq !== "number" || ev.seq <= campaignSeq) return;
    campaignSeq = ev.seq;
    if (campaignTotalsOf) campaignTotals = campaignTotalsOf;
    if (ev.type === "snapshot") { matches = (ev.matches || []).slice(); return; }
    (ev.matches || []).forEach(function (b) {
      matches.forEach(function (m) {
        if (m.id === b.id) { m.used = b.used; m.left = b.left; if (b.status) m.status = b.status; }
      });
    });
    if (ev.match && ev.match.id) {
      var found = false;
      matches = matches.map(function (m) { if (m.id === ev.match.id) { found = true; return ev.match; } return m; });
      if (!found) matches.push(ev.match);
    }
  }

  // The campaign's goal as edited: the campaign page's own, a live page's campaign line.
  // The live page's title is "host — campaign": what follows its host.
  var titleTail = kind === "live" ? document.title.slice(el("host").textContent.length) : "";
  function campaignInfo(c) {
    campaignStarts = c.starts_at || null;
    campaignEnds = c.ends_at || null;
    if (kind === "campaign") goal = c.goal || null;
    else campaignGoal = c.goal || null;
    renderCover(c.cover_url);
  }
  // The campaign's picture, given or taken off on the dashboard: at once, and
  // hidden rather than broken should its file be gone.
  function renderCover(url) {
    var img = el("cover");
    if (!url) {
      if (img) img.remove();
      return;
    }
    if (!img) {
      img = make("img", "cover");
      img.id = "cover";
      img.alt = "";
      document.querySelector("header.top").prepend(img);
    }
    if (img.getAttribute("src") !== url) {
      img.hidden = false;
      img.onerror = function () { img.hidden = true; };
      img.setAttribute("src", url);
    }
  }

  function onSnapshot(ev) {
    seq = ev.seq;
    recent = (ev.recent || []).slice();
    if (kind === "live") {
      goal = ev.goal || null;
      campaignGoal = ev.campaign_goal || null;
      totals = ev.totals;
      totalsSeq = ev.seq;
      campaignData(ev, ev.campaign_totals);
      campaignStarts = (ev.live || {}).campaign_starts_at || null;
      campaignEnds = (ev.live || {}).campaign_ends_at || null;
      renderLiveHead(ev.live);
      renderTop(ev.top_donors);
      challenges = (ev.milestones || []).filter(function (m) { return m.ends_at && m.live_id === id; });
      cagnotteChallengeEnds(challenges, challengeMetAt, challengeMissedAt);
      marks = (ev.milestones || []).filter(function (m) { return !m.ends_at && (!m.live_id || m.live_id === id); });
      polls = ((ev.live || {}).polls || []).slice();
      draws = ((ev.live || {}).draws || []).slice();
      rewards = ((ev.live || {}).rewards || []).slice();
    } else {
      goal = ev.goal || null;
      totals = ev.totals;
      campaignData(ev, ev.totals);
      campaignStarts = ev.starts_at || null;
      campaignEnds = ev.ends_at || null;
      lives = (ev.lives || []).slice();
      lives.forEach(function (l) { l.totalsSeq = ev.seq; });
      renderNext(ev.next_live);
      renderDates(ev);
      renderTop(ev.leaderboard && ev.leaderboard.donors);
      marks = (ev.milestones || []).filter(function (m) { return !m.ends_at && !m.live_id; });
      loadDays();
    }
    body.dataset.state = "live";
    renderAll();
  }

  function onEvent(ev) {
    if (typeof ev.seq !== "number" || ev.seq <= seq) return;
    seq = ev.seq;
    // For overlays only: counted nowhere, listed nowhere (a replayed alert changes nothing).
    if (ev.type === "test_alert" || ev.type === "alert_replay") return;
    if (kind === "live") { challengeFrame(ev); pollFrame(ev); drawFrame(ev); rewardFrame(ev); }
    // Edited on air: a goal raised by the host, a time moved.
    if (ev.type === "live_updated" && ev.live) {
      if (kind === "live" && ev.live.id === id) {
        goal = ev.live.goal || null;
        renderLiveHead(Object.assign({}, headLive, ev.live));
        // Its heading and the tab's title too: a host or title corrected by the organisers.
        document.title = ev.live.host + titleTail;
        el("host").textContent = ev.live.host;
        el("title").textContent = ev.live.title || "";
      }
      if (kind === "campaign") {
        lives = lives.map(function (l) { return l.id === ev.live.id ? Object.assign({}, l, ev.live) : l; });
        // A live moved: the schedule's order and the next live follow.
        lives.sort(function (a, b) {
          return (a.scheduled_at ? 0 : 1) - (b.scheduled_at ? 0 : 1) || Date.parse(a.scheduled_at) - Date.parse(b.scheduled_at) || 0;
        });
        renderNext(lives.filter(function (l) { return statusNow(l) === "upcoming"; })[0] || null);
      }
      renderAll();
      return;
    }
    if ((ev.type === "campaign_ended" || ev.type === "campaign_opened") && ev.campaign) {
      campaignInfo(ev.campaign);
      renderAll();
      return;
    }
    if (ev.type === "campaign_updated" && ev.campaign) {
      campaignInfo(ev.campaign);
      // A campaign renamed: its page's heading and title follow; a live's page,
      // its link to the campaign and the tab's title.
      if (kind === "campaign" && ev.campaign.name) {
        el("name").textContent = ev.campaign.name;
        document.title = ev.campaign.name;
      } else if (ev.campaign.name) {
        el("campaign-link").textContent = ev.campaign.name;
        titleTail = " — " + ev.campaign.name;
        document.title = el("host").textContent + titleTail;
      }
      renderAll();
      return;
    }
    markFrame(ev);
    if (/^(challenge_started|challenge_ended|challenge_updated|challenge_missed|poll_started|poll_updated|poll_closed|prize_drawn|reward_offered|reward_updated|reward_closed|reward_delivered)$/.test(ev.type)) {
      renderAll();
      return;
    }
    var d = ev.donation;
    campaignData(ev, ev.campaign_totals);
    if (kind === "live") {
      if (ev.totals && !(totalsSeq > ev.seq)) { totals = ev.totals; totalsSeq = ev.seq; }
    } else {
      totals = campaignTotals;
      if (d && ev.totals) liveTotals(d.live_id, ev.seq, ev.totals);
    }
    if (d) {
      var put = cagnotteKeepRecent(recent, d, ev.type === "donation");
      recent = put.list;
      // The list is redrawn whole; screen readers are told of the new donations alone.
      if (ev.type === "donation" && !put.before && !d.test && d.moderation !== "pending") {
        heard.gifts.push(d);
        announce();
      }
      scheduleBoards();
    }
    renderAll();
  }

  // A live's total on the campaign's schedule, from whichever stream is newer.
  function liveTotals(liveId, at, t) {
    lives.forEach(function (l) {
      if (l.id === liveId && !(l.totalsSeq > at)) { l.totals = t; l.totalsSeq = at; }
    });
  }

  // The campaign's totals as of a seq, its matches whole and the lives that
  // moved. A live page follows the campaign's totals stream (at most four such
  // frames a second however many lives are given to) for the gifts to its
  // other lives; the campaign's own events come on the live's stream. Both
  // pages get only so many new gifts a second on their own stream (about ten
  // on a busy evening), and such a frame (a live's with its own `totals`)
  // within a quarter of a second of those they did not get: the totals come
  // from it, and the list of the newest gifts is read again a few seconds
  // later. Not an event: the page's own stream may still bring older ones.
  function onTotals(ev) {
    campaignData({ type: "snapshot", seq: ev.seq, matches: ev.matches }, ev.campaign_totals);
    if (kind === "campaign") {
      totals = campaignTotals;
      (ev.lives || []).forEach(function (x) { liveTotals(x.id, x.seq, x.totals); });
      if (ev.seq > seq) scheduleBoards();
      renderAll();
      return;
    }
    // The live's own totals: from its stream's totals frame, or from the
    // campaign's totals stream when this live moved.
    var mine = ev.totals ? { seq: ev.seq, totals: ev.totals }
      : (ev.lives || []).filter(function (l) { return l.id === id; })[0];
    if (mine && !(totalsSeq >= mine.seq)) { totals = mine.totals; totalsSeq = mine.seq; }
    // Gifts its stream held back: the newest read again.
    if (ev.totals && ev.seq > seq) scheduleBoards();
    renderTotals();
    renderChallenge();
    renderMatch();
    renderMilestones();
  }

  // ---- leaderboards ---------------------------------------------------------------
  var boardTimer = null;
  // At most one read per burst of donations, a few seconds later and spread at
  // random: thousands of open pages must not all ask at the same instant.
  function scheduleBoards() {
    if (boardTimer) return;
    boardTimer = setTimeout(function () { boardTimer = null; loadBoards(); }, 2000 + Math.random() * 3000);
  }
  function loadBoards() {
    var path = kind === "live" ? "/api/v1/lives/" : "/api/v1/campaigns/";
    fetch(path + encodeURIComponent(id), { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (!v) return;
        // The newest gifts, with those the page's stream held back in a burst.
        if (v.seq >= seq && Array.isArray(v.recent)) { recent = v.recent; renderRecent(); }
        if (kind === "live") renderTop(v.top_donors);
        else {
          renderTop(v.leaderboard && v.leaderboard.donors);
          renderNext(v.next_live);
          if (v.seq >= seq && Array.isArray(v.lives)) {
            lives = v.lives;
            lives.forEach(function (l) { l.totalsSeq = v.seq; });
            renderSchedule();
          }
          // The campaign's milestones as the server has them now (as the frames said).
          if (v.seq >= seq && Array.isArray(v.milestones)) {
            marks = v.milestones.filter(function (m) { return !m.ends_at && !m.live_id; });
            renderMilestones();
          }
        }
      })
      .catch(function () { /* the next event will try again */ });
    loadAllDonors();
    if (kind === "campaign") loadDays();
  }

  // ---- day by day (campaign page) -------------------------------------------------
  // Each day's total on this device's clock, from the first day with a gift to
  // the last, empty days drawn too; read with the boards (after a burst).
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* UTC then */ }
  var dayFmt = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" });
  function loadDays() {
    fetch("/api/v1/campaigns/" + encodeURIComponent(id) + "/days" + (zone ? "?tz=" + encodeURIComponent(zone) : ""),
      { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) { if (v) renderDays(v.by_day || []); })
      .catch(function () { /* the next burst reads it again */ });
  }
  function renderDays(list) {
    var box = el("days-box"), svg = el("days"), ns = svg.namespaceURI;
    box.hidden = list.length < 2;
    if (box.hidden) return;
    var byDate = {};
    list.forEach(function (d) { byDate[d.date] = d; });
    var days = [], at = Date.parse(list[0].date + "T00:00:00Z"), last = Date.parse(list[list.length - 1].date + "T00:00:00Z");
    for (; at <= last && days.length < 400; at += 86400000) {
      var date = new Date(at).toISOString().slice(0, 10);
      days.push(byDate[date] || { date: date, donations: 0, total: 0 });
    }
    var max = Math.max.apply(null, days.map(function (d) { return d.total; })) || 1;
    // A fixed width the bars share, drawn at the card's width without stretching its text.
    var width = 360, slot = width / days.length, w = slot * 0.8, h = 100;
    svg.setAttribute("viewBox", "0 0 " + width + " " + (h + 14));
    svg.textContent = "";
    var best = days[0];
    days.forEach(function (d, i) {
      if (d.total > best.total) best = d;
      var bar = document.createElementNS(ns, "rect"), hh = Math.max(1, Math.round(d.total / max * h));
      bar.setAttribute("x", String(i * slot + (slot - w) / 2));
      bar.setAttribute("y", String(h - hh));
      bar.setAttribute("width", String(w));
      bar.setAttribute("height", String(hh));
      if (!d.donations) bar.setAttribute("class", "empty");
      var day = dayFmt.format(new Date(Date.parse(d.date + "T00:00:00Z")));
      var title = document.createElementNS(ns, "title");
      title.textContent = T.dayTitle(day, money(d.total), d.donations);
      bar.appendChild(title);
      bar.dataset.date = d.date;
      svg.appendChild(bar);
      // The day of the month under every bar, or every few when they are many.
      if (i % Math.ceil(days.length / 16) === 0) {
        var label = document.createElementNS(ns, "text");
        label.setAttribute("x", String(i * slot + slot / 2));
        label.setAttribute("y", String(h + 12));
        label.textContent = d.date.slice(8, 10).replace(/^0/, "");
        svg.appendChild(label);
      }
    });
    el("days-best").textContent = T.bestDay(dayFmt.format(new Date(Date.parse(best.date + "T00:00:00Z"))), money(best.total), days.length);
  }

  // ---- connection -------------------------------------------------------------------
  // Reconnects with backoff and jitter; each connection starts with a fresh snapshot.
  // The page's own stream says when it is reconnecting (`stream.js`).
  function follow(path, onFrame, main) {
    cagnotteFollow(path, onFrame, main ? function () { body.dataset.state = "reconnecting"; } : null);
  }
  function onFrame(ev) {
    if (ev.type === "snapshot") onSnapshot(ev);
    else if (ev.type === "totals") onTotals(ev);
    else onEvent(ev);
  }
  if (kind === "live") {
    follow("/ws/public/lives/" + encodeURIComponent(id), onFrame, true);
    follow("/ws/public/campaigns/" + encodeURIComponent(body.dataset.campaign) + "/totals", onTotals, false);
  } else {
    follow("/ws/public/campaigns/" + encodeURIComponent(id), onFrame, true);
  }
  // A donor back from the payment (`?thanks=1`): thanked on this visit only;
  // the address loses `thanks=1`, so that a reload or a bookmark does not
  // thank again.
  (function () {
    var box = el("thanks");
    if (!box) return;
    var q = new URLSearchParams(location.search);
    q.delete("thanks");
    var rest = q.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
    // Closed, the keyboard's place goes to the page's heading, not to nowhere.
    el("thanks-close").addEventListener("click", function () {
      var h = document.querySelector("h1");
      box.hidden = true;
      h.tabIndex = -1;
      h.focus();
    });
  })();
  // "Partager": the phone's share sheet where there is one, else the page's
  // address copied (without what follows `#`), said on the button a moment.
  (function () {
    var button = el("share"), label = button.textContent;
    button.addEventListener("click", function () {
      var url = location.origin + location.pathname + "?lang=" + lang;
      button.dataset.shared = url;
      var said = function () {
        button.textContent = T.shared;
        setTimeout(function () { button.textContent = label; }, 3000);
      };
      var copy = function () {
        var input = document.createElement("input");
        input.value = url;
        document.body.appendChild(input);
        input.select();
        try { document.execCommand("copy"); } catch (e) { /* selected: the visitor copies it */ }
        input.remove();
        said();
      };
      if (navigator.share) {
        navigator.share({ title: document.title, url: url }).catch(function () { /* dismissed */ });
      } else if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(said, copy);
      } else copy();
    });
  })();

  setInterval(renderMatch, 5000);
  if (kind === "live") setInterval(renderChallenge, 1000);
  if (kind === "live") setInterval(renderPoll, 1000);
  // The lives' states as the clock moves: drawn again when one changes; a
  // live's page about to start, every few seconds for the time left.
  setInterval(function () {
    if (kind === "live" && headLive && statusNow(headLive) === "upcoming") renderLiveHead(headLive);
  }, 5000);
  setInterval(function () {
    if (drawnWindow !== cagnotteWindow(campaignStarts, campaignEnds)) renderWindow();
    if (drawnMatch !== matchNow()) renderMatch();
    if (states() === drawnStates) return;
    if (kind === "live") renderLiveHead(headLive);
    else renderSchedule();
  }, 1000);
})();
