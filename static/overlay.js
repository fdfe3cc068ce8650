// Cagnotte overlays. One file for every widget: the page says which widgets it
// holds, this script fills those that are present.
//
// - Data: everything comes from the live's WebSocket. The first frame is a
//   snapshot; then donation and refund frames. On any drop it reconnects with
//   exponential backoff and jitter and resumes with `after=` the last seq it
//   saw; the display keeps its last state meanwhile, so a drop never shows.
// - Alerts: one at a time from a queue. The queue, the alert cursor (highest
//   seq considered for alerts), the ids already shown and the alert on screen
//   are kept in localStorage, per live and per overlay instance, so a reload,
//   an OBS scene switch or a server restart neither loses nor repeats one.
// - Other widgets are derived from the snapshot and from frames newer than it.
// - Donor text is only ever inserted with textContent.
// - Customization comes from URL parameters (see docs/overlays.md) and is
//   applied through CSS custom properties: no inline style in the page.
(function () {
  "use strict";
  var body = document.body;
  // A live's overlay follows the live's stream; a campaign's overlay follows the
  // campaign's stream (every live's donations, the campaign totals and goal).
  var isCampaign = body.dataset.scope === "campaign";
  var ownId = body.dataset.id;
  var liveId = isCampaign ? null : ownId;
  var currency = body.dataset.currency;
  var params = new URLSearchParams(location.search);
  var token = params.get("token") || "";
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var locale = cagnotteLocale(lang);
  var clockFmt = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
  var el = function (id) { return document.getElementById(id); };

  var T = {
    fr: {
      anonymous: "Anonyme", doubled: "doublé\u00a0! +", matched: "abondé\u00a0! +", milestone: "Palier atteint\u00a0!",
      gave: function (donor, amount) { return donor + " a donné " + amount + "."; }, someone: "Un donateur anonyme",
      thanks: "Merci à toutes et à tous\u00a0!",
      challenge: "Défi\u00a0: ", challengeMet: "Défi réussi\u00a0!", challengeLeft: function (s) { return "encore " + s; },
      challengeMissed: "Temps écoulé",
      pollOver: "Terminé", pollHint: "Pour voter\u00a0: le # de votre choix dans votre message",
      pollWinner: function (l) { return l + " l'emporte\u00a0!"; }, pollTie: "Égalité\u00a0!", pollNoVote: "Aucun vote",
      pollClosed: "Sondage terminé\u00a0!", voted: function (l) { return "Vote\u00a0: " + l; },
      matchOn: "Dons doublés\u00a0!", matchOnMatched: "Dons abondés\u00a0!",
      matchFrom: function (s, until) { return s + (until ? " double vos dons jusqu'à " + until + "\u00a0!" : " double vos dons\u00a0!"); },
      matchFromMatched: function (s, until) { return s + (until ? " abonde vos dons jusqu'à " + until + "\u00a0!" : " abonde vos dons\u00a0!"); },
      drawWinner: function (n) { return n + " gagne le tirage au sort\u00a0!"; }, drawAnonymous: "Un donateur anonyme",
      drawEntries: function (n) { return n + (n > 1 ? " participations" : " participation"); },
      liveGoal: "Objectif du live", campaignGoal: "Objectif de la campagne", raised: "récoltés",
      nextMilestone: function (amount, label, left) { return "Prochain palier\u00a0: " + amount + " — " + label + " (encore " + left + ")"; },
      liveGoalReached: "Objectif du live atteint\u00a0!", campaignGoalReached: "Objectif de la campagne atteint\u00a0!",
      gifts: function (n) { return n + " nouveaux dons\u00a0!"; },
      thanksTo: function (names, more) {
        return "Merci " + names.join(", ") + (more ? (names.length ? " et " : "à ") + more + (more > 1 ? " autres" : " autre") : "") + "\u00a0!";
      },
      newGoal: "Nouvel objectif\u00a0!", newGoalSoFar: function (m) { return "Déjà " + m + "\u00a0: on continue\u00a0!"; },
      ticker: "Derniers dons", top: "Top donateurs", cta: "Faites un don", latest: "Dernier don",
      ctaOver: "Collecte terminée\u00a0: merci\u00a0!", ctaSoon: function (when) { return "Ouverture de la collecte\u00a0: " + when; },
      lives: "Meilleurs lives", hosts: "Classement des hôtes", next: "Prochain live",
      sponsorDoubles: " double vos dons\u00a0!", sponsorMatches: " abonde vos dons\u00a0!",
      sponsorsDouble: " doublent vos dons\u00a0!", sponsorsMatch: " abondent vos dons\u00a0!", budgetsLeft: "Budgets restants\u00a0: ",
      budgetLeft: "Budget restant\u00a0: ", timeLeft: function (s) { return "Encore " + s; },
      budget: "Budget\u00a0: ", matchStartsIn: function (s) { return "Dans " + s; },
      sponsorWillDouble: " doublera vos dons\u00a0!", sponsorWillMatch: " abondera vos dons\u00a0!",
      creditsThanks: "Merci\u00a0!", creditsFor: function (c) { return "Au profit de " + c; }, creditsRaised: "Récolté",
      creditsSplit: function (d, m) { return "dont " + d + " de vos dons et " + m + " des partenaires"; },
      creditsDonors: "Merci à", creditsSponsors: "Avec le soutien de", creditsEnd: "À bientôt\u00a0!",
      creditsReached: "Paliers atteints", creditsDraws: "Tirages au sort", creditsPolls: "Vous avez choisi",
      startsIn: "Le live commence dans", started: "C'est parti\u00a0!", liveCancelled: "Live annulé",
      days: ["aujourd'hui", "demain"],
      timerBefore: "Durée du marathon", timerOn: "Fin du marathon dans", timerOver: "Marathon terminé\u00a0!",
      timerRule: function (add, step) { return "+" + add + " par tranche de " + step; },
      timerAdded: function (m) { return "· déjà +" + m; },
      timerPlus: function (m) { return "+" + m + " de marathon\u00a0!"; }, milestones: "Paliers",
      rewards: "Contreparties", rewardFrom: function (m) { return "dès " + m; },
      rewardLeft: function (n) { return n === 0 ? "épuisée" : n + (n > 1 ? " restantes" : " restante"); },
      rewardsHint: "Pour en obtenir une\u00a0: son # dans votre message",
      rewardClaimed: function (t) { return "🎁 " + t; },
      creditsDraw: function (prize, who) { return prize + "\u00a0: " + who; },
      creditsUnnamed: function (n, alone) {
        return (alone ? "" : "et ") + n + (n > 1 ? " dons anonymes" : " don anonyme");
      }
    },
    en: {
      anonymous: "Anonymous", doubled: "doubled! +", matched: "matched! +", milestone: "Milestone reached!",
      gave: function (donor, amount) { return donor + " gave " + amount + "."; }, someone: "An anonymous donor",
      thanks: "Thank you all!",
      challenge: "Challenge: ", challengeMet: "Challenge met!", challengeLeft: function (s) { return s + " left"; },
      challengeMissed: "Time's up",
      pollOver: "Closed", pollHint: "To vote: the # of your choice in your message",
      pollWinner: function (l) { return l + " wins!"; }, pollTie: "It's a tie!", pollNoVote: "No votes",
      pollClosed: "Poll closed!", voted: function (l) { return "Vote: " + l; },
      matchOn: "Donations doubled!", matchOnMatched: "Donations matched!",
      matchFrom: function (s, until) { return s + (until ? " doubles your donations until " + until + "!" : " doubles your donations!"); },
      matchFromMatched: function (s, until) { return s + (until ? " matches your donations until " + until + "!" : " matches your donations!"); },
      drawWinner: function (n) { return n + " wins the prize draw!"; }, drawAnonymous: "An anonymous donor",
      drawEntries: function (n) { return n + (n === 1 ? " entry" : " entries"); },
      liveGoal: "Live goal", campaignGoal: "Campaign goal", raised: "raised",
      nextMilestone: function (amount, label, left) { return "Next milestone: " + amount + " — " + label + " (" + left + " to go)"; },
      liveGoalReached: "Live goal reached!", campaignGoalReached: "Campaign goal reached!",
      gifts: function (n) { return n + " new donations!"; },
      thanksTo: function (names, more) {
        return "Thank you " + names.join(", ") + (more ? (names.length ? " and " : "to ") + more + (more > 1 ? " others" : " other") : "") + "!";
      },
      newGoal: "New goal!", newGoalSoFar: function (m) { return m + " so far: let's keep going!"; },
      ticker: "Latest donations", top: "Top donors", cta: "Donate", latest: "Latest donation",
      ctaOver: "The fundraiser is over: thank you!", ctaSoon: function (when) { return "The fundraiser opens: " + when; },
      lives: "Top lives", hosts: "Top hosts", next: "Next live",
      sponsorDoubles: " doubles your donations!", sponsorMatches: " matches your donations!",
      sponsorsDouble: " double your donations!", sponsorsMatch: " match your donations!", budgetsLeft: "Budgets left: ",
      budgetLeft: "Budget left: ", timeLeft: function (s) { return s + " left"; },
      budget: "Budget: ", matchStartsIn: function (s) { return "In " + s; },
      sponsorWillDouble: " will double your donations!", sponsorWillMatch: " will match your donations!",
      creditsThanks: "Thank you!", creditsFor: function (c) { return "For " + c; }, creditsRaised: "Raised",
      creditsSplit: function (d, m) { return d + " from your donations, " + m + " from sponsors"; },
      creditsDonors: "Thanks to", creditsSponsors: "With the support of", creditsEnd: "See you soon!",
      creditsReached: "Milestones reached", creditsDraws: "Prize draws", creditsPolls: "You chose",
      startsIn: "Starting in", started: "Here we go!", liveCancelled: "Live cancelled",
      days: ["today", "tomorrow"],
      timerBefore: "Marathon length", timerOn: "Marathon ends in", timerOver: "Marathon over!",
      timerRule: function (add, step) { return "+" + add + " for every " + step; },
      timerAdded: function (m) { return "· +" + m + " so far"; },
      timerPlus: function (m) { return "+" + m + " of marathon!"; }, milestones: "Milestones",
      rewards: "Rewards", rewardFrom: function (m) { return "from " + m; },
      rewardLeft: function (n) { return n === 0 ? "sold out" : n + " left"; },
      rewardsHint: "To claim one: its # in your message",
      rewardClaimed: function (t) { return "🎁 " + t; },
      creditsDraw: function (prize, who) { return prize + ": " + who; },
      creditsUnnamed: function (n, alone) {
        return (alone ? "" : "and ") + n + (n === 1 ? " anonymous gift" : " anonymous gifts");
      }
    }
  }[lang];

  // ---- parameters -------------------------------------------------------
  function num(name, fallback, min, max) {
    var raw = params.get(name);
    if (raw === null || raw === "") return fallback;
    var v = Number(raw.replace(",", "."));
    if (!isFinite(v)) return fallback;
    return Math.min(max, Math.max(min, v));
  }
  // A file of the media library: its id (letters, digits), else none.
  function mediaParam(name) {
    var v = params.get(name);
    return v && /^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : null;
  }
  // The big alerts' tiers (`big`, `big2`, `big3`, in currency units; each off
  // by default), each with its own image and sound from the media library and
  // its own sentence (`big_text`…, as `alert_text`).
  // Given out of order, they are sorted by amount, each keeping its image,
  // sound and sentence: the smallest gives the big alert, the next one a step
  // bigger, the next one another. A tier without its own image, sound or
  // sentence takes that of the tier below it (else the alert's image and
  // sentence, and the fanfare); of two at the same amount, the later one
  // (`big3` over `big2` over `big`) is kept.
  function bigTiers() {
    var given = ["big", "big2", "big3"].map(function (name) {
      return { amount: Math.round(num(name, 0, 0, 1e9) * scale), image: mediaParam(name + "_image"),
               sound: mediaParam(name + "_sound"), text: (params.get(name + "_text") || "").slice(0, 120) };
    }).filter(function (t) { return t.amount > 0; });
    // A stable sort: of two at the same amount, the later stays above.
    given.sort(function (a, b) { return a.amount - b.amount; });
    given.forEach(function (t, i) {
      var below = given[i - 1];
      if (below && !t.image) t.image = below.image;
      if (below && !t.sound) t.sound = below.sound;
      if (below && !t.text) t.text = below.text;
    });
    return given.filter(function (t, i) { return !given[i + 1] || given[i + 1].amount > t.amount; });
  }
  function colorParam(name) {
    var v = params.get(name);
    if (!v) return null;
    if (/^#?[0-9a-fA-F]{3,8}$/.test(v)) return v.charAt(0) === "#" ? v : "#" + v;
    if (/^[a-zA-Z]{3,20}$/.test(v)) return v;
    return null;
  }
  var fmt = new Intl.NumberFormat(locale, { style: "currency", currency: currency });
  var pctFmt = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  var scale = Math.pow(10, fmt.resolvedOptions().maximumFractionDigits);
  function money(minor) { return fmt.format(minor / scale); }
  // Said aloud: "5 €" rather than "5,00 €".
  var wholeFmt = new Intl.NumberFormat(locale, { style: "currency", currency: currency, minimumFractionDigits: 0, maximumFractionDigits: 0 });
  function spokenMoney(minor) { return minor % scale === 0 ? wholeFmt.format(minor / scale) : money(minor); }

  var cfg = {
    duration: num("duration", 6, 1, 60) * 1000,
    minAlert: Math.round(num("min_alert", 0, 0, 1e9) * scale),
    minMessage: Math.round(num("min_message", 0, 0, 1e9) * scale),
    // From the smallest amount up, at most three: `{amount, image, sound}`.
    tiers: bigTiers(),
    sound: params.get("sound") === "1" || params.get("sound") === "true",
    // The streamer's own image and sound from the campaign's media library,
    // for every donation's alert (a big one's are its tier's).
    image: mediaParam("alert_image"),
    soundFile: mediaParam("alert_sound"),
    // Any big alert's own sound turns the sound on, as the alert's own does.
    tierSound: !!(mediaParam("big_sound") || mediaParam("big2_sound") || mediaParam("big3_sound")),
    // And for what the whole stream celebrates (a milestone, a goal, a poll's result, a draw).
    milestoneImage: mediaParam("milestone_image"),
    milestoneSound: mediaParam("milestone_sound"),
    // A donation's headline in the streamer's words: `{donor}` and `{amount}`
    // stand for the name and the amount ("Merci {donor} pour {amount} !").
    text: (params.get("alert_text") || "").slice(0, 120),
    latestMessage: params.get("latest_message") === "1",
    // The goal bar standing, with its bulb below: the charity thermometer.
    thermo: params.get("goal_style") === "thermometer",
    volume: num("volume", 70, 0, 100) / 100,
    // Donors' messages read aloud (`tts=1`), from `tts_min` up, in a voice of
    // the computer's whose name has `tts_voice` in it (else one of the page's language).
    tts: params.get("tts") === "1",
    ttsMin: Math.round(num("tts_min", 0, 0, 1e9) * scale),
    ttsVoice: (params.get("tts_voice") || "").trim().toLowerCase().slice(0, 60),
    // The name and the amount said first ("Ana a donné 5 €."), a gift without a message too.
    ttsName: params.get("tts_name") === "1",
    goal: params.get("goal") === "campaign" || isCampaign ? "campaign" : "live",
    refresh: num("refresh", 10, 2, 300) * 1000,
    tickerCount: num("ticker_count", 10, 1, 20),
    topCount: num("top_count", 5, 1, 10),
    // The lives leaderboard ranks each host's lives together (a month of lives by several artists).
    byHost: params.get("lives_by") === "host",
    catchUp: params.get("catch_up") !== "0",
    goalAlert: params.get("goal_alert") !== "0",
    pollAlert: params.get("poll_alert") !== "0",
    matchAlert: params.get("match_alert") !== "0",
    milestones: params.get("milestones") !== "0",
    creditsAmounts: params.get("credits_amounts") === "1",
    // The donors biggest first (the server's order), or by name.
    creditsByName: params.get("credits_order") === "name",
    // The credits roll at two letters' height a second, times `speed` percent.
    speed: num("speed", 100, 25, 400) / 100,
    loop: params.get("loop") !== "0",
    // The marathon's timer: its length in minutes (else the live's planned
    // length, else an hour), `timer_add` minutes more for each `timer_step`
    // raised, at most `timer_max` minutes in all (none: no cap).
    timerBase: num("timer_minutes", 0, 0, 10080),
    timerStep: Math.max(1, Math.round(num("timer_step", 10, 0.01, 1e9) * scale)),
    timerAdd: num("timer_add", 1, 0, 1440),
    timerMax: num("timer_max", 0, 0, 100000)
  };

  (function applyStyle() {
    var root = document.documentElement.style;
    var vars = { color: "--text", accent: "--accent", bg: "--card", bar: "--bar", matched_color: "--matched" };
    Object.keys(vars).forEach(function (p) {
      var c = colorParam(p);
      if (c) root.setProperty(vars[p], c);
    });
    var font = params.get("font");
    if (font && /^[A-Za-z0-9 _-]{1,40}$/.test(font)) {
      // Local fonts only: nothing is ever downloaded.
      root.setProperty("--font", "\"" + font + "\", system-ui, sans-serif");
    }
    var size = num("size", 100, 30, 400);
    root.setProperty("--scale", String(size / 100));
    var pos = params.get("pos");
    var positions = ["top-left", "top", "top-right", "left", "center", "right", "bottom-left", "bottom", "bottom-right"];
    body.classList.add("pos-" + (positions.indexOf(pos) >= 0 ? pos : "top-left"));
    if (params.get("shadow") === "0") body.classList.add("no-shadow");
  })();

  // ---- persistence ------------------------------------------------------
  var instance = params.get("instance") || (location.pathname + "?" + (params.get("widgets") || ""));
  var storeKey = "cagnotte:v1:" + (isCampaign ? "campaign:" : "") + ownId + ":" + instance + ":";
  function load(name, fallback) {
    try { var v = localStorage.getItem(storeKey + name); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(storeKey + name, JSON.stringify(value)); } catch (e) { /* private mode: memory only */ }
  }

  // ---- state --------------------------------------------------------------
  var hasAlert = !!el("alert");
  var cursor = hasAlert ? load("seq", null) : null; // highest seq considered for alerts
  // The goal the alerts last knew: a goal raised while the page was away is
  // announced when its frame is replayed (the snapshot already holds the new one).
  var alertGoal = hasAlert ? load("goal", null) : null;
  var queue = hasAlert ? load("queue", []) : [];    // alerts not yet shown (head may be on screen)
  var shown = hasAlert ? load("shown", []) : [];    // ids already shown, newest last (bounded)
  var current = hasAlert ? load("current", null) : null; // {id, until}: the alert on screen
  // The rewards that donations claimed, as their frames said: [donation id,
  // reward title], the newest 200, newest last. Their alerts name them, a replay too.
  var claimed = hasAlert ? load("claimed", []) : [];
  var viewSeq = -1;           // seq of the data the other widgets show
  var snap = null;            // last snapshot (live, goals)
  var totals = null, campaignTotals = null;
  var campaignSeq = -1;       // seq the campaign totals and matches are as of
  var recent = [];            // newest first
  var donors = {};            // name -> {amount, donations}
  var matches = [];
  var matchSeq = {};          // match id → seq its budget is as of (two streams may come out of order)
  var reached = {};           // milestone id -> true once known as reached
  var milestones = [];        // the live's and the campaign's milestones, as last read
  var polls = [];             // the live's polls, the newest last
  var draws = [];             // the live's prize draws, the oldest first
  var rewards = [];           // the live's rewards, in the order they were offered

  // ---- smooth numbers -----------------------------------------------------
  // A displayed amount eases from its old value to the new one; the goal bar
  // moves with a CSS transform transition (composited: smooth at 60 fps).
  var tweens = {};
  function tweenMoney(node, key, to, suffix) {
    if (!node) return;
    var t = tweens[key];
    var from = t ? t.value : to;
    if (t && t.raf) cancelAnimationFrame(t.raf);
    var start = performance.now(), dur = 800;
    var state = { value: from, raf: 0 };
    tweens[key] = state;
    function frame(now) {
      // A frame's time can precede the moment the tween began (it is when the
      // frame started): never before its start, or the amount would first dip.
      var k = Math.max(0, Math.min(1, (now - start) / dur));
      var e = 1 - Math.pow(1 - k, 3);
      state.value = Math.round(from + (to - from) * e);
      node.textContent = money(state.value) + (suffix || "");
      if (k < 1) state.raf = requestAnimationFrame(frame);
      else { state.value = to; state.raf = 0; node.textContent = money(to) + (suffix || ""); }
    }
    if (from === to || document.hidden) { state.value = to; node.textContent = money(to) + (suffix || ""); return; }
    state.raf = requestAnimationFrame(frame);
  }
  function setBar(fill, fraction) {
    if (!fill) return;
    var f = Math.max(0, Math.min(1, fraction));
    fill.style.transform = (fill.id === "goal-fill" && cfg.thermo ? "scaleY(" : "scaleX(") + f + ")";
  }
  if (cfg.thermo && el("w-goal")) el("w-goal").classList.add("thermo");

  // ---- widgets ------------------------------------------------------------
  function renderGoal() {
    var box = el("w-goal");
    if (!box || !snap) return;
    var useCampaign = cfg.goal === "campaign" || !snap.goal;
    var goal = useCampaign ? snap.campaign_goal : snap.goal;
    var t = useCampaign ? campaignTotals : totals;
    if (!t) return;
    // Reached, the bar says so and changes colour (a pulse the first time it is seen crossing).
    var reached = !!goal && t.total >= goal;
    el("goal-title").textContent = reached ? (useCampaign ? T.campaignGoalReached : T.liveGoalReached)
      : useCampaign ? T.campaignGoal : T.liveGoal;
    if (reached && box.dataset.reached === "") box.dataset.pulse = "1";
    if (!reached) delete box.dataset.pulse;
    box.dataset.reached = reached ? "1" : "";
    box.hidden = false;
    if (goal) {
      el("goal-track").hidden = false;
      el("goal-pct").textContent = pctFmt.format(Math.floor(t.total * 100 / goal) / 100);
      setBar(el("goal-fill"), t.total / goal);
      box.dataset.fraction = String(Math.min(1, t.total / goal));
      tweenMoney(el("goal-label"), "goal", t.total, " / " + money(goal));
    } else {
      el("goal-track").hidden = true;
      el("goal-pct").textContent = "";
      tweenMoney(el("goal-label"), "goal", t.total, "");
    }
    renderMilestones(useCampaign, goal, t);
    renderChallenge();
  }

  // The milestones the bar's total climbs to (the live's, or the campaign's
  // when the bar follows the campaign; challenges have their own line): a mark
  // on the bar for each below the goal, and the next one to reach under it.
  // The goal bar's milestones by amount: the live's, or the campaign's.
  function goalMilestones(useCampaign) {
    return milestones.filter(function (m) {
      return !m.ends_at && !m.cancelled && (useCampaign ? !m.live_id : m.live_id === liveId);
    }).sort(function (a, b) { return a.amount - b.amount; });
  }
  function renderMilestones(useCampaign, goal, t) {
    var line = el("goal-next"), track = el("goal-track");
    var list = cfg.milestones ? goalMilestones(useCampaign) : [];
    var marks = goal ? list.filter(function (m) { return m.amount < goal; }) : [];
    var key = marks.map(function (m) { return m.id + (m.reached ? "+" : ""); }).join() + "/" + goal;
    if (track.dataset.marks !== key) {
      track.dataset.marks = key;
      Array.prototype.forEach.call(track.querySelectorAll(".goal-mark"), function (n) { n.remove(); });
      marks.forEach(function (m) {
        var mark = document.createElement("span");
        mark.className = "goal-mark" + (m.reached ? " reached" : "");
        mark.style[cfg.thermo ? "bottom" : "left"] = (m.amount * 100 / goal) + "%";
        track.appendChild(mark);
      });
    }
    var next = list.filter(function (m) { return !m.reached; })[0];
    line.hidden = !next;
    if (next) line.textContent = T.nextMilestone(money(next.amount), next.label, money(Math.max(0, next.amount - t.total)));
  }

  // The milestones' list (its own widget): those of the goal the bar would
  // follow, reached ones ticked, the next one with what is left.
  function renderMilestoneList() {
    var box = el("w-milestones");
    if (!box || !snap) return;
    var useCampaign = cfg.goal === "campaign" || !snap.goal;
    var t = useCampaign ? campaignTotals : totals;
    var list = goalMilestones(useCampaign);
    box.hidden = list.length === 0 || !t;
    if (box.hidden) return;
    el("milestones-title").textContent = T.milestones;
    var next = list.filter(function (m) { return !m.reached; })[0];
    var ol = el("milestone-list");
    ol.textContent = "";
    list.forEach(function (m) {
      var li = document.createElement("li");
      li.className = m.reached ? "reached" : m === next ? "next" : "";
      li.dataset.id = m.id;
      [["milestone-amount", money(m.amount)], ["milestone-label", m.label],
       ["milestone-state", m.reached ? "✓" : m === next ? T.challengeLeft(money(Math.max(0, m.amount - t.total))) : ""]]
        .forEach(function (p) {
          var span = document.createElement("span");
          span.className = p[0];
          span.textContent = p[1];
          li.appendChild(span);
        });
      ol.appendChild(li);
    });
  }

  // The live's challenge on air, under its goal bar: the newest not yet over,
  // or one just met or whose time just ran out (for a minute; one called off
  // goes at once). Its progress counts from its start.
  function currentChallenge(now) {
    var mine = milestones.filter(function (m) { return m.ends_at && typeof m.from === "number" && m.live_id === liveId; });
    return cagnotteChallengeOnAir(mine, metAt, missedAt, now);
  }
  var metAt = {};             // challenge id -> when it was met
  var missedAt = {};          // challenge id -> the live's total when its time ran out
  var keepPunctuation = cagnotteKeepPunctuation;
  function renderChallenge() {
    var box = el("goal-challenge");
    if (!box || isCampaign) return;
    var now = cagnotteNow();
    var c = currentChallenge(now);
    box.hidden = !c;
    if (!c) return;
    var target = c.amount - c.from;
    // Its time run out, it stays at what it had: gifts after it do not count.
    var total = c.id in missedAt ? missedAt[c.id] : totals ? totals.total : c.from;
    var done = Math.max(0, Math.min(target, total - c.from));
    if (c.reached) done = target;
    // Run out by the server's word, or by the clock.
    var over = !c.reached && (c.id in missedAt || Date.parse(c.ends_at) <= now);
    box.dataset.met = c.reached ? "1" : "";
    box.dataset.missed = over ? "1" : "";
    el("challenge-label").textContent = T.challenge + keepPunctuation(c.label);
    el("challenge-time").textContent =
      c.reached ? T.challengeMet : over ? T.challengeMissed : T.challengeLeft(duration(Date.parse(c.ends_at) - now));
    setBar(el("challenge-fill"), target > 0 ? done / target : 1);
    el("challenge-amounts").textContent = money(done) + " / " + money(target);
  }

  // The live's poll: the newest, while it is open and for a minute after it
  // closed (its result). Each option's share is of what all options gathered.
  var POLL_RESULT_SHOWN = 60000;
  function renderPoll() {
    var box = el("w-poll");
    if (!box) return;
    var now = cagnotteNow();
    var p = polls[polls.length - 1];
    var st = p ? cagnottePollState(p, now) : null;
    var end = st ? st.end : NaN, over = !!st && !st.open;
    box.hidden = !p || (over && end + POLL_RESULT_SHOWN <= now);
    if (box.hidden) return;
    box.dataset.over = over ? "1" : "";
    el("poll-question").textContent = keepPunctuation(p.question);
    el("poll-time").textContent = over ? T.pollOver : p.ends_at ? T.challengeLeft(duration(end - now)) : "";
    var r = pollResult(p), sum = r.sum, leaders = r.leaders;
    var key = JSON.stringify(p.options) + over;
    var list = el("poll-options");
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      list.textContent = "";
      p.options.forEach(function (o) {
        var li = document.createElement("li");
        if (leaders.indexOf(o) >= 0) li.className = "lead";
        var row = document.createElement("div");
        row.className = "poll-row";
        var left = document.createElement("span");
        var label = document.createElement("span");
        label.className = "poll-label";
        label.textContent = keepPunctuation(o.label);
        var tag = document.createElement("span");
        tag.className = "poll-tag";
        tag.textContent = "#" + o.tag;
        left.className = "poll-option";
        left.appendChild(label);
        // A space between them: the tag may go to the next line alone, not
        // dragging the label's last word with it ("la" / "chaîne #tag").
        left.appendChild(document.createTextNode(" "));
        left.appendChild(tag);
        var amount = document.createElement("span");
        amount.className = "poll-amount";
        amount.textContent = money(o.amount) + (sum > 0 ? " · " + pctFmt.format(o.amount / sum) : "");
        row.appendChild(left);
        row.appendChild(amount);
        var track = document.createElement("div");
        track.className = "goal-track small";
        var fill = document.createElement("div");
        fill.className = "goal-fill";
        track.appendChild(fill);
        setBar(fill, sum > 0 ? o.amount / sum : 0);
        li.appendChild(row);
        li.appendChild(track);
        list.appendChild(li);
      });
    }
    el("poll-hint").textContent = over ? keepPunctuation(r.text) : T.pollHint;
  }
  // What the options gathered in all, the leading ones (none without a vote),
  // and the result as said once the poll is over.
  function pollResult(p) {
    var sum = 0, best = 0;
    p.options.forEach(function (o) { sum += o.amount; best = Math.max(best, o.amount); });
    var leaders = p.options.filter(function (o) { return best > 0 && o.amount === best; });
    var text = leaders.length === 1 ? T.pollWinner(leaders[0].label) : leaders.length > 1 ? T.pollTie : T.pollNoVote;
    return { sum: sum, best: best, leaders: leaders, text: text };
  }
  // The label of the poll option a donation voted for, if this page knows it.
  function votedFor(d) {
    var v = d.vote;
    var p = v && polls.filter(function (x) { return x.id === v.poll_id; })[0];
    return p && p.options[v.option] ? p.options[v.option].label : null;
  }
  function putPoll(p) {
    if (!p || !p.id || p.live_id !== liveId) return;
    var i;
    for (i = 0; i < polls.length && polls[i].id !== p.id; i++) { /* find */ }
    polls[i] = p;
  }

  // The rewards the live offers ("Un portrait dessiné en direct, dès 30,00 €"),
  // in the order offered: each one's least gift, the keyword that claims it and
  // how many are left (nothing said when it has no quantity). A closed one is
  // gone; none offered, nothing shown.
  function renderRewards() {
    var box = el("w-rewards");
    if (!box) return;
    var offered = rewards.filter(function (r) { return !r.closed_at; });
    box.hidden = offered.length === 0;
    if (box.hidden) return;
    el("rewards-title").textContent = T.rewards;
    var list = el("reward-list");
    var key = JSON.stringify(offered.map(function (r) { return [r.id, r.title, r.amount, r.tag, r.left]; }));
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      list.textContent = "";
      offered.forEach(function (r) {
        var li = document.createElement("li");
        li.dataset.id = r.id;
        if (r.left === 0) li.className = "gone";
        [[["reward-title", r.title], ["reward-amount", T.rewardFrom(money(r.amount))]],
         [["reward-tag", "#" + r.tag], ["reward-left", typeof r.left === "number" ? T.rewardLeft(r.left) : ""]]]
          .forEach(function (cells, i) {
            var row = document.createElement("div");
            row.className = i === 0 ? "reward-row" : "reward-row reward-sub";
            cells.forEach(function (c) {
              var span = document.createElement("span");
              span.className = c[0];
              span.textContent = c[1];
              row.appendChild(span);
            });
            li.appendChild(row);
          });
        list.appendChild(li);
      });
    }
    // How to claim one, while one can be.
    var hint = el("rewards-hint");
    hint.hidden = offered.every(function (r) { return r.left === 0; });
    hint.textContent = T.rewardsHint;
  }
  function putReward(r) {
    if (!r || !r.id || r.live_id !== liveId) return;
    var i;
    for (i = 0; i < rewards.length && rewards[i].id !== r.id; i++) { /* find */ }
    rewards[i] = r;
  }

  function renderCampaign() {
    if (!el("w-campaign") || !campaignTotals || !snap) return;
    // In the scene, a goal bar that follows the campaign's goal already says
    // what this card would (a live without a goal of its own).
    el("w-campaign").hidden = body.classList.contains("scene") && !!el("w-goal") &&
      (cfg.goal === "campaign" || !snap.goal);
    var goal = snap.campaign_goal;
    tweenMoney(el("campaign-total"), "campaign", campaignTotals.total,
      goal ? " / " + money(goal) : " " + T.raised);
    el("campaign-track").hidden = !goal;
    if (goal) setBar(el("campaign-fill"), campaignTotals.total / goal);
  }

  // Every sponsor paying now: several add up (1:1 and 1:2 make x2.5).
  function activeMatches(now) {
    return matches.filter(function (m) {
      return m.left > 0 && !(m.starts_at && Date.parse(m.starts_at) > now) && !(m.ends_at && Date.parse(m.ends_at) <= now);
    });
  }
  var listFmt = new Intl.ListFormat(locale, { type: "conjunction" });
  // A sponsor's window starting within the hour, when none pays now: counted
  // down on stream ("Dans 9 min 32 s"), so that the host can call for it.
  var MATCH_AHEAD_MS = 3600000;
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    var pad = function (n) { return n < 10 ? "0" + n : String(n); };
    if (d > 0) return d + (lang === "en" ? " d " : " j ") + pad(h) + " h";
    if (h > 0) return h + " h " + pad(m) + " min";
    return m + " min " + pad(s % 60) + " s";
  }
  function renderMatch() {
    var box = el("w-match");
    if (!box) return;
    var now = cagnotteNow();
    var on = activeMatches(now), soon = !on.length && cagnotteMatchAhead(matches, now, MATCH_AHEAD_MS);
    if (soon) on = [soon];
    var m = on[0];
    box.hidden = !m;
    if (!m) return;
    box.dataset.state = soon ? "soon" : "on";
    var factor = 1 + on.reduce(function (f, x) { return f + x.ratio[0] / x.ratio[1]; }, 0);
    var doubles = Math.abs(factor - 2) < 1e-9, several = on.length > 1;
    el("match-ratio").textContent = "x" + (Math.round(factor * 100) / 100).toLocaleString(locale);
    el("match-sponsor").textContent = listFmt.format(on.map(function (x) { return x.sponsor; })) +
      (soon ? (doubles ? T.sponsorWillDouble : T.sponsorWillMatch)
        : several ? (doubles ? T.sponsorsDouble : T.sponsorsMatch) : (doubles ? T.sponsorDoubles : T.sponsorMatches));
    el("match-left").textContent = (soon ? T.budget : several ? T.budgetsLeft : T.budgetLeft) +
      listFmt.format(on.map(function (x) { return money(x.left); }));
    // The first of them to end.
    var ends = on.map(function (x) { return x.ends_at ? Date.parse(x.ends_at) : Infinity; }).reduce(function (a, b) { return Math.min(a, b); });
    el("match-time").textContent = soon ? T.matchStartsIn(duration(Date.parse(m.starts_at) - now))
      : isFinite(ends) ? T.timeLeft(duration(ends - now)) : "";
    m = on.filter(function (x) { return x.logo_url; })[0] || m;
    // The sponsor's logo, when one was chosen (none if its file was removed).
    var logo = el("match-logo");
    if (m.logo_url && logo.dataset.failed !== m.logo_url) {
      if (logo.getAttribute("src") !== m.logo_url) logo.setAttribute("src", m.logo_url);
      logo.hidden = false;
    } else {
      logo.hidden = true;
    }
  }
  if (el("match-logo")) {
    el("match-logo").onerror = function () { this.dataset.failed = this.getAttribute("src"); this.hidden = true; };
  }

  function renderTicker() {
    var box = el("w-ticker");
    if (!box) return;
    var items = recent.filter(function (d) { return !d.refunded && d.moderation !== "pending"; }).slice(0, cfg.tickerCount);
    box.hidden = items.length === 0;
    el("ticker-label").textContent = T.ticker;
    var track = el("ticker-track");
    // Names and amounts are part of the key: a name hidden after the fact must
    // leave the ticker, an amount given back in part must shrink there.
    var key = items.map(function (d) { return d.id + "=" + (d.donor || "") + "=" + kept(d); }).join(",");
    if (track.dataset.key === key) return;
    track.dataset.key = key;
    track.textContent = "";
    // Two copies side by side: the track slides by one copy's width and loops seamlessly.
    for (var copy = 0; copy < 2; copy++) {
      var group = document.createElement("span");
      group.className = "ticker-group";
      if (copy === 1) group.setAttribute("aria-hidden", "true");
      items.forEach(function (d) {
        var item = document.createElement("span");
        item.className = "ticker-item";
        var who = document.createElement("span");
        who.className = "ticker-donor";
        who.textContent = d.donor || T.anonymous;
        var amt = document.createElement("span");
        amt.className = "ticker-amount";
        amt.textContent = money(kept(d));
        item.appendChild(who);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(amt);
        group.appendChild(item);
      });
      track.appendChild(group);
    }
    var width = track.firstChild ? track.firstChild.getBoundingClientRect().width : 0;
    // About 80 px per second, whatever the length.
    track.style.setProperty("--ticker-duration", Math.max(8, width / 80) + "s");
    track.classList.remove("scrolling");
    void track.offsetWidth; // restart the animation from the start
    track.classList.add("scrolling");
  }

  // The newest donation viewers may see: not refunded whole, its text not held
  // for moderation (the one before it meanwhile).
  function renderLatest() {
    var box = el("w-latest");
    if (!box) return;
    var d = recent.filter(function (r) { return !r.refunded && r.moderation !== "pending" && !r.test; })[0];
    box.hidden = !d;
    if (!d) return;
    box.dataset.id = d.id;
    el("latest-title").textContent = T.latest;
    el("latest-donor").textContent = d.donor || T.anonymous;
    el("latest-amount").textContent = money(kept(d));
    var msg = el("latest-message"), show = cfg.latestMessage && !!d.message && kept(d) >= cfg.minMessage;
    msg.hidden = !show;
    msg.textContent = show ? d.message : "";
  }

  function renderTop() {
    var box = el("w-top");
    if (!box) return;
    var list = Object.keys(donors).map(function (name) {
      return { donor: name, amount: donors[name].amount };
    }).filter(function (r) { return r.amount > 0; });
    list.sort(function (a, b) { return b.amount - a.amount || (a.donor < b.donor ? -1 : a.donor > b.donor ? 1 : 0); });
    list = list.slice(0, cfg.topCount);
    box.hidden = list.length === 0;
    el("top-title").textContent = T.top;
    fillRanking(el("top-list"), list.map(function (r) { return { who: r.donor, amount: r.amount }; }));
  }

  // A ranked list of names and amounts, as text only.
  function fillRanking(ol, rows) {
    ol.textContent = "";
    rows.forEach(function (r) {
      var li = document.createElement("li");
      var who = document.createElement("span");
      who.className = "top-donor";
      who.textContent = r.who;
      var amt = document.createElement("span");
      amt.className = "top-amount";
      amt.textContent = money(r.amount);
      li.appendChild(who);
      li.appendChild(amt);
      ol.appendChild(li);
    });
  }

  // The campaign's leaderboard of lives and its next live come from the public
  // campaign document (see pollCampaign).
  var campaignDoc = null;
  // A live's totals from its own frames, newer than the document's: its place
  // in the ranking moves with each donation, not at the next read.
  var liveTotals = {};
  // Lives summed by host (their name without regard to case, as the server's `hosts`).
  function byHost(lives) {
    var rows = {};
    lives.forEach(function (l) {
      var key = l.host.trim().toLowerCase();
      var row = rows[key] || (rows[key] = { id: key, who: l.host, amount: 0 });
      row.amount += l.totals.total;
    });
    return Object.keys(rows).map(function (k) { return rows[k]; });
  }
  function renderLives() {
    var box = el("w-lives");
    if (!box || !campaignDoc) return;
    var docSeq = campaignDoc.seq || 0;
    // Every live of the document, not only its leaderboard's ten: a live below
    // them that a donation lifts to the top shows at once.
    var list = (campaignDoc.lives || []).map(function (l) {
      var seen = liveTotals[l.id];
      return seen && seen.seq > docSeq ? Object.assign({}, l, { totals: seen.totals }) : l;
    });
    var rows = cfg.byHost ? byHost(list) : list.map(function (l) {
      return { id: l.id, who: l.title ? l.host + " — " + l.title : l.host, amount: l.totals.total };
    });
    rows = rows.filter(function (r) { return r.amount > 0; }).sort(function (a, b) {
      return b.amount - a.amount || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    }).slice(0, cfg.topCount);
    box.hidden = rows.length === 0;
    el("lives-title").textContent = cfg.byHost ? T.hosts : T.lives;
    fillRanking(el("lives-list"), rows);
  }
  // Today's and tomorrow's by name ("aujourd'hui 21:00", "demain 19:00"), then
  // "mercredi 19:00" within the coming week; further ahead the date too
  // ("mercredi 16 décembre à 19:00"), or a weekday alone would name the wrong week.
  var hour = lang === "fr" ? "2-digit" : "numeric";
  var timeFmt = new Intl.DateTimeFormat(locale, { hour: hour, minute: "2-digit" });
  var whenFmt = new Intl.DateTimeFormat(locale, { weekday: "long", hour: hour, minute: "2-digit" });
  var laterFmt = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", hour: hour, minute: "2-digit" });
  function nextWhen(iso) {
    var at = new Date(iso), days = cagnotteDaysAhead(iso);
    if (days === 0 || days === 1) return T.days[days] + " " + timeFmt.format(at);
    return (at - cagnotteNow() < 6 * 24 * 3600 * 1000 ? whenFmt : laterFmt).format(at);
  }
  function renderSchedule() {
    var box = el("w-schedule");
    if (!box || !campaignDoc) return;
    var next = campaignDoc.next_live;
    box.hidden = !next || !next.scheduled_at;
    if (box.hidden) return;
    el("schedule-title").textContent = T.next;
    el("schedule-next").textContent = nextWhen(next.scheduled_at) + " — " + next.host;
    // Where to find it, for viewers to follow: "twitch.tv/zoe".
    var where = el("schedule-where"), site = shortUrl(next.stream_url);
    where.hidden = !site;
    where.textContent = site;
  }
  // An http(s) URL as a stream shows it: without its scheme, `www.` and final `/`.
  function shortUrl(url) {
    var m = /^https?:\/\/(?:www\.)?(.+?)\/?$/i.exec(url || "");
    return m ? m[1] : "";
  }

  // "Starting soon": the time left before the live starts (a campaign's overlay:
  // its next live), "C'est parti !" from its start to its end, then nothing.
  // Its schedule as last read (the campaign's document, else the snapshot).
  function countdownTarget() {
    if (isCampaign) return campaignDoc && campaignDoc.next_live;
    var read = campaignDoc && (campaignDoc.lives || []).filter(function (l) { return l.id === liveId; })[0];
    return read || (snap && snap.live);
  }
  function clock(ms) {
    var s = Math.ceil(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    var pad = function (n) { return n < 10 ? "0" + n : String(n); };
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(sec);
  }
  function renderCountdown() {
    var box = el("w-countdown");
    if (!box || !snap) return;
    var t = countdownTarget(), now = cagnotteNow();
    var start = t && t.scheduled_at ? Date.parse(t.scheduled_at) : NaN;
    var over = t && t.ends_at && Date.parse(t.ends_at) <= now;
    box.hidden = isNaN(start) || !!over;
    if (box.hidden) return;
    el("countdown-who").textContent = t.title ? t.host + " — " + t.title : t.host;
    // Called off: no count down to a live that will not be.
    box.dataset.cancelled = t.cancelled ? "1" : "";
    if (t.cancelled) {
      box.dataset.started = "";
      el("countdown-label").textContent = T.liveCancelled;
      el("countdown-time").textContent = "";
      return;
    }
    var on = start <= now, far = start - now > 24 * 3600 * 1000;
    box.dataset.started = on ? "1" : "";
    // Beyond a day, "Prochain live" and its day; within it, the time left to the second.
    el("countdown-label").textContent = on ? T.started : far ? T.next : T.startsIn;
    el("countdown-time").textContent = on ? "" : far ? nextWhen(t.scheduled_at) : clock(start - now);
  }

  // The marathon's timer, from the live's start. Every overlay works it out
  // from the same figures (the live's total, sponsor matching included, as its
  // goal; a refund takes its time back), so every scene shows the same end.
  function spoken(minutes) {
    var s = Math.round(minutes * 60), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), parts = [];
    if (h) parts.push(h + " h");
    if (m) parts.push(m + " min");
    if (s % 60) parts.push(s % 60 + " s");
    return parts.join(" ") || "0 min";
  }
  var timerAdded = null, flash = { text: "", until: 0 };
  function renderTimer() {
    var box = el("w-timer");
    if (!box || !snap || !totals) return;
    var live = snap.live || {};
    var base = cfg.timerBase || live.duration_minutes || 60;
    var added = Math.floor(totals.total / cfg.timerStep) * cfg.timerAdd;
    if (cfg.timerMax) added = Math.max(0, Math.min(added, cfg.timerMax - base));
    var length = (base + added) * 60000, start = live.scheduled_at ? Date.parse(live.scheduled_at) : NaN, now = cagnotteNow();
    var state = live.cancelled ? "cancelled" : isNaN(start) || now < start ? "before" : now < start + length ? "on" : "over";
    // Time won by a donation: the label says "+2 min de marathon !" for three seconds.
    if (timerAdded !== null && added > timerAdded && (state === "before" || state === "on")) {
      flash = { text: T.timerPlus(spoken(added - timerAdded)), until: now + 3000 };
    }
    timerAdded = added;
    var flashing = now < flash.until && (state === "before" || state === "on");
    box.hidden = false;
    box.dataset.state = state;
    box.dataset.plus = flashing ? "1" : "";
    el("timer-label").textContent = flashing ? flash.text
      : { cancelled: T.liveCancelled, before: T.timerBefore, on: T.timerOn, over: T.timerOver }[state];
    el("timer-time").textContent = state === "before" ? clock(length) : state === "on" ? clock(start + length - now) : "";
    el("timer-rule").textContent = T.timerRule(spoken(cfg.timerAdd), money(cfg.timerStep));
    el("timer-added").textContent = added > 0 ? T.timerAdded(spoken(added)) : "";
  }

  // The call to action follows the campaign's window, as the public pages do:
  // before the opening, when it opens; after the end, its thanks; the address
  // and the QR code only while it is open.
  var campaignStarts = null, campaignEnds = null, drawnWindow = null;
  function campaignWindow(c) {
    campaignStarts = c.starts_at || null;
    campaignEnds = c.ends_at || null;
    renderCta();
  }
  function renderCta() {
    var box = el("w-cta");
    if (!box) return;
    var state = drawnWindow = cagnotteWindow(campaignStarts, campaignEnds);
    box.dataset.state = state;
    el("cta-title").textContent = state === "ended" ? T.ctaOver
      : state === "upcoming" ? T.ctaSoon(ctaWhen.format(new Date(campaignStarts))) : T.cta;
  }
  var ctaWhen = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

  function renderAll() {
    renderGoal();
    renderCampaign();
    renderMatch();
    renderTicker();
    renderTop();
    renderLatest();
    renderPoll();
    renderRewards();
    renderMilestoneList();
    renderCredits();
  }

  // ---- alerts -------------------------------------------------------------
  // A donation's sound, and a fanfare for a big donation and for what the
  // whole stream celebrates (a milestone, a goal, a poll's result, a draw).
  // A sound of the streamer's own (`alert_sound`, `big_sound`, `big2_sound`…)
  // plays instead of Cagnotte's; one removed from the library falls back to Cagnotte's.
  // Each big alerts' tier plays its own (`tierAudio`, from the smallest up).
  var audio = null, fanfare = null, tierAudio = [], celebration = null;
  function sound(file) {
    var a = new Audio(file.charAt(0) === "/" ? file : "/static/" + file);
    a.preload = "auto";
    a.volume = cfg.volume;
    return a;
  }
  function ownSound(id, file) {
    if (!id) return null;
    var a = sound("/media/" + encodeURIComponent(id));
    a.onerror = function () { a.onerror = null; a.src = "/static/" + file; };
    return a;
  }
  if (hasAlert && (cfg.sound || cfg.soundFile || cfg.tierSound || cfg.milestoneSound)) {
    audio = ownSound(cfg.soundFile, "alert.wav") || sound("alert.wav");
    fanfare = sound("fanfare.wav");
    // Tiers that share a sound (one without its own) share its clip.
    var clips = {};
    tierAudio = cfg.tiers.map(function (t) {
      if (!t.sound) return fanfare;
      return clips[t.sound] || (clips[t.sound] = ownSound(t.sound, "fanfare.wav"));
    });
    celebration = ownSound(cfg.milestoneSound, "fanfare.wav") || fanfare;
  }
  // A donor's message read aloud (`tts=1`) by the computer's own voices (the Web
  // Speech API), once its alert's sound has played: only a message its alert
  // shows, from `tts_min` up, masked words left out. The alert stays on screen
  // while it is read (30 s more at most); a voice that does not start within 3 s
  // is given up. A message hidden while read, or the alert skipped, stops it.
  var speech = (function () {
    var on = hasAlert && cfg.tts && "speechSynthesis" in window && typeof SpeechSynthesisUtterance === "function";
    var said = null, waiting = [], timers = [];
    function clear() { timers.forEach(clearTimeout); timers = []; }
    function over(u) {
      if (said !== u) return;
      said = null;
      clear();
      var then = waiting;
      waiting = [];
      then.forEach(function (f) { f(); });
    }
    function voice() {
      var all = window.speechSynthesis.getVoices() || [];
      var named = cfg.ttsVoice && all.filter(function (v) { return v.name.toLowerCase().indexOf(cfg.ttsVoice) >= 0; })[0];
      return named || all.filter(function (v) { return (v.lang || "").toLowerCase().indexOf(lang) === 0; })[0] || null;
    }
    return {
      // `text` read after `delay` ms (the alert's sound).
      say: function (text, delay) {
        var words = (text || "").replace(/\*+/g, " ").replace(/\s+/g, " ").trim();
        if (!on || !/[\p{L}\p{N}]/u.test(words)) return;
        this.stop();
        var u = new SpeechSynthesisUtterance(words);
        u.lang = locale;
        u.volume = cfg.volume;
        var v = voice();
        if (v) u.voice = v;
        var started = false;
        u.onstart = function () { started = true; };
        u.onend = u.onerror = function () { over(u); };
        said = u;
        timers.push(setTimeout(function () {
          if (said !== u) return;
          window.speechSynthesis.speak(u);
          timers.push(setTimeout(function () { if (!started) over(u); }, 3000));
        }, delay));
      },
      // While a message is read: runs `f` once it is (30 s at most from now), and
      // answers true; else false.
      wait: function (f) {
        if (!said) return false;
        var u = said;
        waiting.push(f);
        timers.push(setTimeout(function () { if (said === u) { window.speechSynthesis.cancel(); over(u); } }, 30000));
        return true;
      },
      // Silent now; what waited for the end goes on.
      stop: function () {
        if (!said) return;
        var u = said;
        window.speechSynthesis.cancel();
        over(u);
      }
    };
  })();
  // A voice does not go on reading once its page is left.
  window.addEventListener("pagehide", function () { speech.stop(); });
  // The image an alert shows, if the streamer chose one: a donation's (a big
  // one's tier's), or that of what the stream celebrates (milestones, goals, polls, draws).
  function alertImage(d, milestone) {
    if (milestone) return cfg.milestoneImage;
    var tier = tierOf(d);
    return (tier > 0 && cfg.tiers[tier - 1].image) || cfg.image;
  }
  function showImage(id) {
    var img = el("alert-image");
    var src = id ? "/media/" + encodeURIComponent(id) : "";
    if (!src || img.dataset.failed === src) { img.hidden = true; return; }
    if (img.getAttribute("src") !== src) img.setAttribute("src", src);
    img.hidden = false;
  }
  if (hasAlert) {
    // A file removed from the library leaves the alert without an image.
    el("alert-image").onerror = function () {
      this.dataset.failed = this.getAttribute("src");
      this.hidden = true;
    };
    // Loaded before the first alert needs it.
    var first = cfg.image || cfg.milestoneImage;
    if (first) el("alert-image").setAttribute("src", "/media/" + encodeURIComponent(first));
  }
  var showing = false;
  function isKnown(id) {
    return shown.indexOf(id) >= 0 || queue.some(function (q) { return q.id === id; });
  }
  // The alert to show next: the one interrupted by a reload if it is still
  // queued, else the oldest whose text is not waiting for moderation (a
  // pending one never blocks the others; it goes on air once released).
  function pickAlert() {
    var i;
    if (current !== null) {
      for (i = 0; i < queue.length; i++) if (queue[i].id === current.id) return i;
      current = null;
      save("current", null);
    }
    for (i = 0; i < queue.length; i++) if (queue[i].moderation !== "pending" && !heldBack(queue[i])) return i;
    return -1;
  }
  // On a campaign's overlay, the alerts of a live whose host paused them wait;
  // the other lives' go on.
  var pausedLives = {};
  function heldBack(q) { return isCampaign && !!q.live_id && !!pausedLives[q.live_id]; }
  function livesPaused(lives) {
    if (!isCampaign) return;
    pausedLives = {};
    (lives || []).forEach(function (l) { if (l.alerts_paused) pausedLives[l.id] = true; });
  }
  // The headline's words around the name and the amount: the two spans keep
  // their places in the streamer's sentence (`alert_text`, or its big alerts'
  // tier's: `big_text`…), or stand alone.
  function headline(milestone, tier) {
    var head = el("alert-donor").parentNode, donor = el("alert-donor"), amount = el("alert-amount");
    var text = milestone ? "" : (tier > 0 && cfg.tiers[tier - 1].text) || cfg.text;
    var parts = text ? text.split(/(\{donor\}|\{amount\})/) : ["", "{donor}", " ", "{amount}", ""];
    while (head.firstChild) head.removeChild(head.firstChild);
    var used = {};
    parts.forEach(function (p) {
      if (p === "{donor}" && !used.donor) { used.donor = true; head.appendChild(donor); }
      else if (p === "{amount}" && !used.amount) { used.amount = true; head.appendChild(amount); }
      else if (p) head.appendChild(document.createTextNode(p));
    });
    // A sentence without one of them: the span stays, hidden, for what updates it.
    if (!used.donor) { donor.hidden = true; head.appendChild(donor); } else donor.hidden = false;
    if (!used.amount) head.appendChild(amount);
    amount.dataset.off = used.amount ? "" : "1";
  }
  // The amount of the alert on screen and its matching line.
  function showAmounts(d) {
    // A prize draw's alert names its winner and prize, with no amount.
    el("alert-amount").hidden = d.kind === "draw" || el("alert-amount").dataset.off === "1";
    el("alert-amount").textContent = d.kind === "draw" ? "" : money(kept(d));
    var matched = el("alert-matched");
    matched.hidden = !(d.matched > 0);
    matched.textContent = d.matched > 0 ? (d.matched === kept(d) ? T.doubled : T.matched) + money(d.matched) : "";
  }
  // The host paused the live's alerts (a serious moment on stream): none starts
  // until they resume them; the queue keeps every one. A live's overlay only.
  function paused() {
    return !isCampaign && !!(snap && snap.live && snap.live.alerts_paused);
  }
  // Gifts coming faster than their alerts can be shown (one every 2.6 s at
  // best): once MERGE_AT of them wait, the plain ones waiting (not a big
  // gift's, a reward claimed, a replay asked for, a test, nor a celebration)
  // go on air together as one alert, "12 nouveaux dons !", their sum and
  // their donors' names, so that the overlay stays within seconds of the
  // stream. `catch_up=0` shows each, however many wait.
  var MERGE_AT = 6, NAMES_SHOWN = 5;
  function plain(q) {
    return !q.kind && !q.test && !q.of && q.moderation !== "pending" && !heldBack(q) && tierOf(q) === 0 && !claimOf(q);
  }
  function mergeWaiting(index) {
    var first = queue[index];
    if (!cfg.catchUp || !plain(first) || (current !== null && current.id === first.id)) return;
    var gifts = queue.filter(plain);
    if (gifts.length < MERGE_AT) return;
    var merged = { id: "gifts:" + first.id, kind: "gifts", members: gifts };
    queue = queue.filter(function (q) { return q === first || !plain(q); });
    queue[queue.indexOf(first)] = sumUp(merged);
    // Each stays marked as shown: a reload never shows it again on its own.
    gifts.forEach(function (q) { shown.push(q.id); });
    if (shown.length > 1000) shown = shown.slice(-1000);
    save("shown", shown);
    save("queue", queue);
  }
  // A merged alert's sum, matching and words from its gifts as they are now.
  function sumUp(m) {
    var names = [], named = 0;
    m.amount = 0;
    m.matched = 0;
    m.members.forEach(function (g) {
      m.amount += kept(g);
      m.matched += g.matched || 0;
      if (g.donor && names.length < NAMES_SHOWN && names.indexOf(g.donor) < 0) names.push(g.donor);
      if (g.donor && names.indexOf(g.donor) >= 0) named++;
    });
    m.refunded_amount = 0;
    m.title = T.gifts(m.members.length);
    m.message = names.length ? T.thanksTo(names, m.members.length - named) : T.thanks;
    return m;
  }
  function nextAlert() {
    body.dataset.paused = paused() ? "1" : "";
    if (!hasAlert || showing || paused()) return;
    var index = pickAlert();
    if (index < 0) return;
    mergeWaiting(index);
    index = pickAlert();
    var d = queue[index];
    var now = Date.now();
    var remaining = alertTime(d);
    var resumed = current !== null && current.id === d.id;
    if (resumed) {
      // Back after a reload or a scene switch mid-alert: finish it, never start it over.
      remaining = current.until - now;
      if (remaining < 400) { finishAlert(d.id); return; }
    } else {
      current = { id: d.id, since: now, until: now + remaining };
      save("current", current);
      shown.push(d.id);
      if (shown.length > 1000) shown = shown.slice(-1000);
      save("shown", shown);
    }
    showing = true;
    var box = el("alert");
    var milestone = d.kind === "milestone" || d.kind === "goal" || d.kind === "poll" || d.kind === "draw" || d.kind === "match";
    // Gifts on air together: a title and a sum like a celebration's, the
    // look, sound and picture of a gift's.
    var gifts = d.kind === "gifts";
    milestone = milestone || gifts;
    el("alert-donor").textContent = milestone ? d.title || T.milestone : d.donor || T.anonymous;
    headline(milestone, tierOf(d));
    showAmounts(d);
    // A donation that voted in the live's poll: for which option.
    var vote = el("alert-vote"), option = votedFor(d);
    vote.hidden = !option;
    vote.textContent = option ? T.voted(option) : "";
    // A donation that claimed one of the live's rewards: which.
    var reward = el("alert-reward"), title = milestone ? null : claimOf(d);
    reward.hidden = !title;
    reward.textContent = title ? T.rewardClaimed(title) : "";
    var msg = el("alert-message");
    var withMessage = !!d.message && (milestone || kept(d) >= cfg.minMessage);
    msg.hidden = !withMessage;
    msg.textContent = withMessage ? d.message : "";
    box.dataset.id = d.id;
    if (d.of) box.dataset.of = d.of; else delete box.dataset.of;
    box.classList.toggle("test", !!d.test);
    box.classList.toggle("milestone", milestone && !gifts);
    // A big donation's alert, a step bigger for each tier above the first: `big`, `big big2`, `big big3`.
    var tier = tierOf(d);
    box.classList.toggle("big", tier > 0);
    box.classList.toggle("big2", tier === 2);
    box.classList.toggle("big3", tier === 3);
    showImage(alertImage(d, milestone && !gifts));
    box.classList.remove("leaving");
    box.hidden = false;
    fitAlert(box);
    var clip = null;
    if (audio && !resumed) {
      clip = milestone && !gifts ? celebration : tier > 0 ? tierAudio[tier - 1] : audio;
      try {
        clip.currentTime = 0;
        var p = clip.play();
        if (p && p.catch) p.catch(function () { /* autoplay refused: silent alert */ });
      } catch (e) { /* no audio output */ }
    }
    if (!resumed && !milestone && (withMessage || cfg.ttsName) && kept(d) >= cfg.ttsMin) {
      var words = (cfg.ttsName ? T.gave(d.donor || T.someone, spokenMoney(kept(d))) + " " : "") + (withMessage ? d.message : "");
      speech.say(words, clip && isFinite(clip.duration) ? Math.min(4000, clip.duration * 1000) : clip ? 1500 : 0);
    }
    leaveTimer = setTimeout(leave, remaining);
  }
  var leaveTimer = 0;
  function leave() {
    var box = el("alert");
    var id = box.dataset.id;
    if (box.classList.contains("leaving")) return;
    // A message still read aloud keeps its alert on screen.
    if (speech.wait(function () { if (el("alert").dataset.id === id) leave(); })) return;
    box.classList.add("leaving");
    setTimeout(function () { finishAlert(id); }, 450);
  }
  // With alerts waiting behind it, an alert is shown shorter, so that a burst of
  // donations at a call to give does not leave the overlay minutes behind the
  // stream: `duration` alone, two thirds of it with one alert waiting, half with
  // two, a third with four…, never under 2 s, nor under the time it takes to
  // read its name and message (about 15 characters a second), nor over
  // `duration`. `catch_up=0` gives every alert its whole duration.
  function alertTime(d) {
    var duration = isBig(d) ? Math.min(60000, cfg.duration * 1.5) : cfg.duration;
    var waiting = queue.filter(function (q) { return q.moderation !== "pending"; }).length - 1;
    if (!cfg.catchUp || waiting <= 0) return duration;
    var text = (d.donor || "").length + (d.message || "").length + (claimOf(d) || "").length;
    var floor = Math.min(duration, Math.max(2000, text * 66));
    return Math.max(floor, duration * 2 / (waiting + 2));
  }
  // A big donation (`big=`, in currency units; off by default) gets a bigger
  // alert, half as long again as the others, whatever its tier.
  function isBig(d) {
    return tierOf(d) > 0;
  }
  // The highest tier of big alerts a donation reaches with what it still
  // counts for (1 to 3), 0 for none; never a test alert nor a celebration.
  function tierOf(d) {
    if (d.kind || d.test) return 0;
    var amount = kept(d), tier = 0;
    cfg.tiers.forEach(function (t, i) { if (amount >= t.amount) tier = i + 1; });
    return tier;
  }
  // Alerts came while one is on screen: it leaves sooner if they call for it.
  function hurry() {
    if (!showing || current === null || !current.since || el("alert").classList.contains("leaving")) return;
    var d = queue.filter(function (q) { return q.id === current.id; })[0];
    if (!d) return;
    var until = current.since + alertTime(d);
    if (until >= current.until) return;
    current.until = until;
    save("current", current);
    clearTimeout(leaveTimer);
    leaveTimer = setTimeout(leave, Math.max(0, until - Date.now()));
  }
  // Draws `node` at the largest font size, a fraction from `floor` to 1 of its
  // own, at which `fits()` holds (else at `floor`). Found by halving: the height
  // falls faster than the size (lines get shorter and fewer), so no one ratio
  // gives it (one overshot an alert to 6 px text). Its contents are sized in em.
  function shrinkToFit(node, floor, fits) {
    node.style.fontSize = "";
    if (fits()) return;
    var fitting = floor, over = 1;
    for (var i = 0; i < 7; i++) {
      var size = (fitting + over) / 2;
      node.style.fontSize = size * 100 + "%";
      if (fits()) fitting = size; else over = size;
    }
    node.style.fontSize = fitting * 100 + "%";
  }
  // An alert taller than its room (the longest message in the 800 × 300 source
  // the docs suggest, or the 8 em a stack keeps for it above the next widget) is
  // drawn smaller until it fits, rather than cut at the source's edge or laid
  // over the widgets below; never below 40 %, where it would no longer be read.
  // It keeps its width, so that smaller text also takes fewer lines.
  function fitAlert(box) {
    box.style.fontSize = "";
    box.style.width = "";
    box.style.maxWidth = "";
    var room;
    if (body.classList.contains("single")) {
      var pad = getComputedStyle(body);
      room = document.documentElement.clientHeight - parseFloat(pad.paddingTop) - parseFloat(pad.paddingBottom);
    } else {
      room = el("w-alert").clientHeight;
    }
    var fits = function () { return box.offsetHeight <= room + 1; };
    if (fits()) return;
    box.style.width = getComputedStyle(box).width;
    box.style.maxWidth = "none";
    shrinkToFit(box, 0.4, fits);
  }
  function finishAlert(id) {
    var box = el("alert");
    box.hidden = true;
    box.classList.remove("leaving");
    delete box.dataset.id;
    delete box.dataset.of;
    queue = queue.filter(function (q) { return q.id !== id; });
    current = null;
    save("queue", queue);
    save("current", null);
    showing = false;
    // A short gap between two alerts, so they read as two.
    setTimeout(nextAlert, 150);
  }
  // A milestone reached goes on air once, as an alert of its own. From the
  // stream (replays included) the cursor already says it is new; from a poll,
  // only a milestone not reached at the last look is.
  function milestoneReached(m, fromStream) {
    if (!fromStream && reached[m.id]) return;
    reached[m.id] = true;
    // A challenge met has its own alert title, with what it asked for.
    var id = "milestone:" + m.id;
    if (!hasAlert || isKnown(id)) return;
    var challenge = !!m.ends_at && typeof m.from === "number";
    queue.push({ id: id, kind: "milestone", title: challenge ? T.challengeMet : T.milestone,
      amount: challenge ? m.amount - m.from : m.amount, message: m.label });
    save("queue", queue);
    nextAlert();
    hurry();
  }
  // A goal crossed goes on air once too, after the donation that crossed it:
  // the live's (on a live's overlay) and the campaign's. Only a crossing seen
  // (from below to reached) counts, never a page opened past the goal; a goal
  // that a milestone of the same amount already marks is left to it;
  // `goal_alert=0` turns these alerts off.
  function goalsReached() {
    if (!snap) return {};
    return {
      live: !isCampaign && !!snap.goal && !!totals && totals.total >= snap.goal,
      campaign: !!snap.campaign_goal && !!campaignTotals && campaignTotals.total >= snap.campaign_goal
    };
  }
  function goalsCrossed(before) {
    if (!hasAlert || !cfg.goalAlert || !snap) return;
    var after = goalsReached(), added = false;
    ["live", "campaign"].forEach(function (scope) {
      if (before[scope] !== false || !after[scope]) return;
      var goal = scope === "live" ? snap.goal : snap.campaign_goal;
      var owner = scope === "live" ? liveId : snap.live.campaign_id;
      var marked = milestones.some(function (m) {
        return m.amount === goal && (scope === "live" ? m.live_id === liveId : !m.live_id);
      });
      var id = "goal:" + scope + ":" + owner + ":" + goal;
      if (marked || isKnown(id)) return;
      var title = scope === "live" ? T.liveGoalReached : T.campaignGoalReached;
      queue.push({ id: id, kind: "goal", title: title, amount: goal, message: T.thanks });
      added = true;
    });
    if (!added) return;
    save("queue", queue);
    nextAlert();
    hurry();
  }
  // A donation's frame names the reward it claimed (`reward`); a whole refund
  // gives the claim back. Remembered for its alert, a replay's too.
  function noteClaim(ev) {
    var d = ev.donation;
    var claims = ev.type === "donation" || ev.type === "partial_refund" || ev.type === "alert_replay";
    if (!d || !d.id || !(ev.type === "refund" || (claims && ev.reward && ev.reward.title))) return;
    var others = claimed.filter(function (c) { return c[0] !== d.id; });
    if (ev.type === "refund" && others.length === claimed.length) return;
    if (ev.type !== "refund") others.push([d.id, ev.reward.title]);
    claimed = others.slice(-200);
    save("claimed", claimed);
  }
  // The title of the reward an alert's donation claimed, if this page saw it.
  function claimOf(d) {
    var id = d.of || d.id;
    var c = claimed.filter(function (x) { return x[0] === id; })[0];
    return c ? c[1] : null;
  }
  // An alert of this donation: its own, or a replay of it.
  function sameDonation(q, id) { return q.id === id || q.of === id; }
  // A gift of merged ones changed (its name hidden, part or all of it given
  // back): the merged alert follows, on screen too; one given back whole
  // leaves it.
  function withGift(m, d, onScreen) {
    var i = m.members.map(function (g) { return g.id; }).indexOf(d.id);
    if (i < 0) return m;
    if (d.refunded) m.members.splice(i, 1); else m.members[i] = d;
    sumUp(m);
    if (onScreen) {
      el("alert-donor").textContent = m.title;
      showAmounts(m);
      el("alert-message").textContent = m.message;
    }
    return m;
  }
  function considerAlert(ev) {
    if (!hasAlert || typeof ev.seq !== "number" || cursor === null || ev.seq <= cursor) return;
    cursor = ev.seq;
    var d = ev.donation;
    noteClaim(ev);
    var onScreen = function (q) { return showing && current !== null && current.id === q.id; };
    if ((ev.type === "donation" || ev.type === "test_alert") && d && !d.refunded &&
        d.amount >= cfg.minAlert && !isKnown(d.id)) {
      queue.push(d);
    } else if (ev.type === "alert_replay" && d && !d.refunded) {
      // Asked for again by the streamer: shown whatever `min_alert` says, as an
      // alert of its own (the first showing is already marked as shown).
      queue.push(Object.assign({}, d, { id: "replay:" + ev.seq + ":" + d.id, of: d.id }));
    } else if (ev.type === "milestone_reached" && ev.milestone) {
      milestoneReached(ev.milestone, true);
    } else if (isCampaign ? ev.type === "campaign_updated" && ev.campaign
                          : ev.type === "live_updated" && ev.live && ev.live.id === liveId) {
      // A goal raised on air ("on passe à 1 000 € !"): announced once, with what is raised so far.
      var raised = isCampaign ? ev.campaign.goal : ev.live.goal;
      var was = alertGoal !== null ? alertGoal : ev.goalBefore;
      var goalId = "new-goal:" + ownId + ":" + raised;
      if (cfg.goalAlert && raised && raised > (was || 0) && !isKnown(goalId)) {
        queue.push({ id: goalId, kind: "goal", title: T.newGoal, amount: raised,
          message: T.newGoalSoFar(money(totals ? totals.total : 0)) });
      }
      alertGoal = raised;
      save("goal", alertGoal);
    } else if (ev.type === "poll_closed" && ev.poll && !isCampaign && cfg.pollAlert) {
      // A poll's result goes on air once, with what the winner gathered
      // (`poll_alert=0` leaves it to the poll widget).
      var r = pollResult(ev.poll), id = "poll:" + ev.poll.id;
      if (r.best > 0 && !isKnown(id)) {
        queue.push({ id: id, kind: "poll", title: T.pollClosed, amount: r.best,
          message: keepPunctuation(ev.poll.question + " — " + r.text) });
      }
    } else if (ev.match && (ev.type === "match_started" || ev.type === "match_created" && ev.match.status === "active") &&
               cfg.matchAlert) {
      // A sponsor's doubling begins (its window opens, or it is added on air):
      // on air once, with its budget, so that the host can call for gifts
      // (`match_alert=0` leaves it to the matching badge).
      var ms = ev.match, matchId = "match:" + ms.id;
      if (ms.left > 0 && !isKnown(matchId)) {
        var doubles = ms.ratio[0] === ms.ratio[1], until = ms.ends_at ? clockFmt.format(new Date(ms.ends_at)) : "";
        queue.push({ id: matchId, kind: "match", amount: ms.left, title: doubles ? T.matchOn : T.matchOnMatched,
          message: (doubles ? T.matchFrom : T.matchFromMatched)(ms.sponsor, until) });
      }
    } else if (ev.type === "prize_drawn" && ev.draw && !isCampaign) {
      // A prize drawn on air: its winner (as viewers may see the name) and prize, once.
      var x = ev.draw, drawId = "draw:" + x.id;
      if (!isKnown(drawId)) {
        queue.push({ id: drawId, kind: "draw", amount: 0, title: T.drawWinner((x.winner && x.winner.donor) || T.drawAnonymous),
          message: x.prize + " — " + T.drawEntries(x.entries) });
      }
    } else if ((ev.type === "donation_updated" || ev.type === "partial_refund") && d) {
      // Moderation released or hid its text, or part of it was given back: the
      // queued alert takes the new version.
      var partial = ev.type === "partial_refund";
      queue = queue.map(function (q) {
        if (q.kind === "gifts") return withGift(q, d, onScreen(q));
        if (!sameDonation(q, d.id) || !(partial || !onScreen(q))) return q;
        return q.of ? Object.assign({}, d, { id: q.id, of: q.of }) : d;
      });
      var box = el("alert");
      if (showing && (box.dataset.id === d.id || box.dataset.of === d.id)) {
        if (partial) {
          // Given back in part while on screen: the amounts follow at once.
          showAmounts(d);
        } else {
          // Hidden while on screen: the name or message leaves at once.
          el("alert-donor").textContent = d.donor || T.anonymous;
          var msg = el("alert-message");
          if (!d.message) { msg.hidden = true; msg.textContent = ""; speech.stop(); }
        }
      }
    } else if (ev.type === "alert_skipped") {
      // The host took the alert on screen off (on a campaign's overlay, if it is that live's).
      var shownNow = queue.filter(function (q) { return current !== null && q.id === current.id; })[0];
      if (showing && !el("alert").classList.contains("leaving") &&
          (!isCampaign || (shownNow && shownNow.live_id === ev.live_id))) {
        clearTimeout(leaveTimer);
        speech.stop();
        leave();
      }
    } else if (ev.type === "refund" && d) {
      // A refunded donation not yet on screen is not announced.
      queue = queue.filter(function (q) { return !sameDonation(q, d.id) || onScreen(q); });
      queue = queue.map(function (q) { return q.kind === "gifts" ? withGift(q, d, onScreen(q)) : q; });
      queue = queue.filter(function (q) { return q.kind !== "gifts" || q.members.length > 0 || onScreen(q); });
    }
    save("queue", queue);
    save("seq", cursor);
    nextAlert();
    hurry();
  }

  // ---- frames -------------------------------------------------------------
  function onSnapshot(ev) {
    if (isCampaign) {
      // The campaign's snapshot is its public document: totals are the campaign's.
      snap = { goal: ev.goal, campaign_goal: ev.goal, live: { campaign_id: ev.id } };
      campaignWindow(ev);
      totals = ev.totals;
      campaignTotals = ev.totals;
      campaignDoc = ev;
      livesPaused(ev.lives);
    } else {
      snap = { goal: ev.goal, campaign_goal: ev.campaign_goal, live: ev.live || {} };
      campaignWindow({ starts_at: snap.live.campaign_starts_at, ends_at: snap.live.campaign_ends_at });
      totals = ev.totals;
      // The campaign's stream may have brought newer campaign totals (another
      // live's gifts): they stay, unless the server's data went back.
      if (ev.seq >= campaignSeq || ev.seq < viewSeq) {
        campaignTotals = ev.campaign_totals;
        campaignSeq = ev.seq;
      }
    }
    if (isCampaign) campaignSeq = ev.seq;
    viewSeq = ev.seq;
    recent = (ev.recent || []).slice();
    donors = {};
    var top = isCampaign ? (ev.leaderboard || {}).donors : ev.top_donors;
    (top || []).forEach(function (r) { donors[r.donor] = { amount: r.amount, donations: r.donations }; });
    matches = (ev.matches || []).slice();
    matchSeq = {};
    matches.forEach(function (m) { matchSeq[m.id] = ev.seq; });
    milestones = (ev.milestones || []).slice();
    cagnotteChallengeEnds(milestones, metAt, missedAt);
    milestones.forEach(function (m) { if (m.reached) reached[m.id] = true; });
    polls = isCampaign ? [] : ((ev.live || {}).polls || []).slice();
    draws = isCampaign ? [] : ((ev.live || {}).draws || []).slice();
    rewards = isCampaign ? [] : ((ev.live || {}).rewards || []).slice();
    if (hasAlert && (cursor === null || ev.seq < cursor)) {
      // First visit (start from now, no flood of old alerts), or the server's data was reset.
      cursor = ev.seq;
      save("seq", cursor);
      alertGoal = snap.goal;
      save("goal", alertGoal);
    } else if (hasAlert && alertGoal === null) {
      // A page of before this memory: the goal of now.
      alertGoal = snap.goal;
      save("goal", alertGoal);
    }
    body.dataset.state = "live";
    renderAll();
    renderLives();
    renderSchedule();
    renderCountdown();
    if (!campaignDoc && (el("w-lives") || el("w-schedule") || el("w-credits") || el("w-countdown"))) pollCampaign();
    if (campaignWide && !isCampaign && !totalsFollowed) followTotals();
    // Alerts resumed while the page was away: the queue goes on.
    if (hasAlert) nextAlert();
  }
  function applyToView(ev) {
    if (typeof ev.seq !== "number" || ev.seq <= viewSeq) return;
    viewSeq = ev.seq;
    // A challenge set on air, or met: the goal bar's challenge line follows.
    var m = ev.milestone;
    if ((ev.type === "challenge_started" || ev.type === "milestone_created") && m &&
        !milestones.some(function (x) { return x.id === m.id; })) {
      milestones.push(m);
    } else if ((ev.type === "challenge_ended" || ev.type === "challenge_updated" || ev.type === "milestone_removed" ||
        ev.type === "challenge_missed") && m) {
      // Called off or taken off by its host: over now; or its terms changed
      // on air; or its time ran out, at the live's total then.
      if (ev.type === "challenge_missed" && ev.totals) missedAt[m.id] = ev.totals.total;
      milestones = milestones.map(function (x) { return x.id === m.id ? m : x; });
      renderChallenge();
    } else if (ev.type === "milestone_reached" && m) {
      milestones.forEach(function (x) { if (x.id === m.id) x.reached = true; });
      if (m.ends_at) metAt[m.id] = cagnotteNow();
    }
    // Edited on air: a goal raised by the host ("on passe à 1 000 € !"), a time
    // moved, a title. A campaign's overlay reads its schedule again.
    if (ev.type === "live_updated" && ev.live) {
      if (!isCampaign && ev.live.id === liveId) {
        // The page's title too ("Cagnotte — host"), should OBS or a browser show it.
        document.title = "Cagnotte — " + ev.live.host;
        ev.goalBefore = snap.goal;
        snap.goal = ev.live.goal;
        ["host", "title", "platform", "scheduled_at", "duration_minutes", "ends_at", "goal", "alerts_paused", "cancelled"].forEach(function (k) {
          snap.live[k] = ev.live[k];
        });
      }
      if (isCampaign) {
        if (ev.live.alerts_paused) pausedLives[ev.live.id] = true; else delete pausedLives[ev.live.id];
      }
      if (campaignDoc) readDocSoon();
    } else if (ev.type === "campaign_updated" && ev.campaign) {
      if (isCampaign) {
        ev.goalBefore = snap.goal;
        if (ev.campaign.name) document.title = "Cagnotte — " + ev.campaign.name;
      }
      snap.campaign_goal = ev.campaign.goal;
      if (isCampaign) snap.goal = ev.campaign.goal;
      if (campaignDoc) readDocSoon();
    }
    // The campaign's opening and end, as edited or as they come.
    if (/^campaign_(updated|opened|ended)$/.test(ev.type) && ev.campaign) campaignWindow(ev.campaign);
    // A poll put, changed, closed, or voted in by this frame's donation.
    if (!isCampaign) putPoll(ev.poll);
    // A reward offered, closed or given, or claimed (given back) by this frame's donation.
    if (!isCampaign) putReward(ev.reward);
    if (ev.type === "prize_drawn" && ev.draw && !draws.some(function (x) { return x.id === ev.draw.id; })) draws.push(ev.draw);
    // On the campaign's stream, `totals` are those of the live the event belongs to.
    if (ev.totals && !isCampaign) totals = ev.totals;
    campaignPart(ev);
    var d = ev.donation;
    // On the campaign's stream, `totals` are those of the donation's live.
    if (ev.type !== "test_alert") liveTotalsOf(isCampaign ? d && d.live_id : liveId, ev);
    if (d && ev.type !== "test_alert" && ev.type !== "alert_replay" && !d.test) {
      var put = cagnotteKeepRecent(recent, d, ev.type === "donation"), before = put.before;
      recent = put.list;
      // A refund frame says what it gave back (`amount_refunded`); older ones, all of it.
      var back = typeof ev.amount_refunded === "number" ? ev.amount_refunded : d.amount;
      if (ev.type === "donation" && d.donor) countDonor(d.donor, d.amount, 1);
      else if (ev.type === "refund" && d.donor) countDonor(d.donor, -back, -1);
      else if (ev.type === "partial_refund" && d.donor) countDonor(d.donor, -back, 0);
      else if (ev.type === "donation_updated" && before && !d.refunded && before.donor !== d.donor) {
        // A name released (or hidden) by moderation joins (or leaves) the top donors.
        if (before.donor) countDonor(before.donor, -kept(d), -1);
        if (d.donor) countDonor(d.donor, kept(d), 1);
      }
    }
    renderAll();
    renderLives();
  }
  // The campaign's totals and its matches' budgets as of a frame newer than
  // what is shown; each match by its own seq, since a live's page hears of
  // the campaign on two streams, whose frames may cross.
  function campaignPart(ev) {
    var newer = function (id) { return ev.seq > (matchSeq[id] === undefined ? -1 : matchSeq[id]); };
    (ev.matches || []).forEach(function (b) {
      matches.forEach(function (m) {
        if (m.id === b.id && newer(m.id)) { m.used = b.used; m.left = b.left; matchSeq[m.id] = ev.seq; }
      });
    });
    if (ev.match && ev.match.id && newer(ev.match.id)) {
      // match_started / match_used_up / match_ended carry the whole match.
      var found = false;
      matchSeq[ev.match.id] = ev.seq;
      matches = matches.map(function (m) { if (m.id === ev.match.id) { found = true; return ev.match; } return m; });
      if (!found) matches.push(ev.match);
    }
    if (!(ev.seq > campaignSeq && (ev.campaign_totals || ev.matches || ev.match))) return;
    campaignSeq = ev.seq;
    if (ev.campaign_totals) campaignTotals = ev.campaign_totals;
    if (isCampaign) totals = campaignTotals;
  }
  // A live's totals from a frame of its own, for the lives' ranking.
  function liveTotalsOf(owner, ev) {
    if (!ev.totals || !owner || (liveTotals[owner] && liveTotals[owner].seq > ev.seq)) return;
    liveTotals[owner] = { seq: ev.seq, totals: ev.totals };
    // A live created since the document's last read: read it again now, not at the next `refresh`.
    if (campaignDoc && !(campaignDoc.lives || []).some(function (l) { return l.id === owner; })) readDocSoon();
  }
  // What a donation still counts for once part of it was given back.
  function kept(d) { return d.amount - (d.refunded_amount || 0); }
  function countDonor(name, amount, count) {
    var row = donors[name] || (donors[name] = { amount: 0, donations: 0 });
    row.amount += amount;
    row.donations += count;
    if (row.donations <= 0) delete donors[name];
  }
  function onFrame(ev) {
    if (ev.type === "snapshot") { onSnapshot(ev); return; }
    var fresh = hasAlert && typeof ev.seq === "number" && cursor !== null && ev.seq > cursor;
    var before = goalsReached();
    applyToView(ev);
    if (ev.donation && el("w-credits")) creditsSoon();
    considerAlert(ev);
    // A goal moved under the total is not a goal reached by a donation.
    if (fresh && ev.type !== "live_updated" && ev.type !== "campaign_updated") goalsCrossed(before);
    // The campaign's totals that waited for this live's own gifts.
    if (held && viewSeq >= held.need) releaseTotals();
  }

  // ---- campaign ------------------------------------------------------------
  // A host's link that follows their lives (`follow=host`): the server showed the
  // live the schedule gives their host now; when the campaign's document says it
  // has moved on (`hosts`), the page is opened again on the next one. At most
  // once a minute, should the server still show this one.
  var follows = body.dataset.follow === "host" && !isCampaign;
  // The widgets that show the whole campaign (the alert box: its goal and milestones).
  var campaignWide = follows || hasAlert || el("w-campaign") || el("w-match") || el("w-goal") || el("w-lives") ||
    el("w-schedule") || el("w-credits") || el("w-countdown") || el("w-milestones") || (isCampaign && el("w-top"));
  function followHost(doc) {
    var mine = (doc.hosts || []).filter(function (h) { return (h.lives || []).indexOf(liveId) >= 0; })[0];
    if (!follows || !mine || mine.live_id === liveId) return;
    var key = "cagnotte:v1:follow:" + location.pathname + location.search;
    try {
      if (Date.now() - (Number(sessionStorage.getItem(key)) || 0) < 60000) return;
      sessionStorage.setItem(key, String(Date.now()));
    } catch (e) { /* no storage: the reload itself is the only guard */ }
    location.reload();
  }

  // The campaign-wide widgets also read the public campaign document now and
  // then (the lives' schedule and states, the hosts), and keep whichever data
  // has the higher seq.
  function pollCampaign() {
    if (!snap || !snap.live.campaign_id) return;
    fetch("/api/v1/campaigns/" + encodeURIComponent(snap.live.campaign_id), { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(readDoc)
      .catch(function () { /* offline for a moment: the next poll will do */ });
  }
  // The campaign's document, read or as the first message of its stream.
  function readDoc(c) {
    if (!c || typeof c.seq !== "number") return;
    // The schedule and the lives' ranking have no seq of their own: always the newest read.
    campaignDoc = c;
    campaignWindow(c);
    // A live's pause as of this read; its frames say it sooner.
    if (c.seq >= viewSeq) livesPaused(c.lives);
    followHost(c);
    renderLives();
    renderSchedule();
    renderCredits();
    renderCountdown();
    if (c.seq < campaignSeq) return;
    campaignSeq = c.seq;
    if (isCampaign && c.seq >= viewSeq && c.leaderboard && Array.isArray(c.leaderboard.donors)) {
      // The server's exact ranking of the campaign's donors (see pollTop for a live's).
      donors = {};
      c.leaderboard.donors.forEach(function (r) { donors[r.donor] = { amount: r.amount, donations: r.donations }; });
      renderTop();
    }
    var before = goalsReached();
    if (c.totals) campaignTotals = c.totals;
    if (isCampaign && c.totals) totals = c.totals;
    if (Array.isArray(c.matches)) {
      matches = c.matches;
      matchSeq = {};
      matches.forEach(function (m) { matchSeq[m.id] = c.seq; });
    }
    // A milestone reached that no frame told this page of (it was away).
    (c.milestones || []).forEach(function (m) {
      if (m.reached && (isCampaign || !m.live_id || m.live_id === liveId)) milestoneReached(m, false);
    });
    if (Array.isArray(c.milestones)) {
      milestones = c.milestones.filter(function (m) { return isCampaign || !m.live_id || m.live_id === liveId; });
      cagnotteChallengeEnds(milestones, metAt, missedAt);
    }
    // A campaign goal crossed on another live's donation is seen here.
    goalsCrossed({ live: null, campaign: before.campaign });
    renderGoal();
    renderCampaign();
    renderMatch();
    renderMilestoneList();
    renderCredits();
  }
  // At most one extra read a second, however many new lives' frames come.
  var docTimer = null, docLast = 0;
  function readDocSoon() {
    if (docTimer) return;
    docTimer = setTimeout(function () {
      docTimer = null;
      docLast = Date.now();
      pollCampaign();
    }, Math.max(0, docLast + 1000 - Date.now()));
  }
  if (campaignWide) setInterval(pollCampaign, cfg.refresh);

  // A live's stream carries its own events and the whole campaign's (its
  // matches, its milestones, its edits), not the gifts to its other lives. A
  // live's page with campaign-wide widgets also follows the campaign's totals
  // stream for those: at most four frames a second however many lives give,
  // each with the campaign's totals and budgets as of its seq and the lives
  // that moved. The campaign's totals, the sponsors' budgets, the lives'
  // ranking and the campaign's goal alert move with every live's gifts. A
  // frame that counts this live's own gifts not yet seen on its own stream
  // waits for them (at most a second), so that a campaign goal they cross is
  // announced after their alerts.
  var held = null, heldTimer = null, totalsFollowed = false, livesSeq = null;
  function followTotals() {
    totalsFollowed = true;
    cagnotteFollow("/ws/public/campaigns/" + encodeURIComponent(snap.live.campaign_id) + "/totals", onTotals, null);
  }
  function onTotals(ev) {
    if (typeof ev.seq !== "number") return;
    // One of the campaign's lives created, edited, started or ended (its title,
    // time, host, channel or state) since the document was read: read again
    // within a second or two, spread at random so that a campaign's overlays do
    // not all ask at once.
    var moved = livesSeq === null ? campaignDoc && campaignDoc.seq < ev.lives_seq : ev.lives_seq !== livesSeq;
    if (moved) setTimeout(readDocSoon, Math.random() * 1000);
    livesSeq = ev.lives_seq;
    var mine = (ev.lives || []).filter(function (l) { return l.id === liveId; })[0];
    var need = Math.max(held ? held.need : -1, mine ? mine.seq : -1);
    if (need > viewSeq) {
      held = { ev: ev, need: need };
      if (!heldTimer) heldTimer = setTimeout(releaseTotals, 1000);
      return;
    }
    held = null;
    applyTotals(ev);
  }
  function releaseTotals() {
    clearTimeout(heldTimer);
    heldTimer = null;
    var h = held;
    held = null;
    if (h) applyTotals(h.ev);
  }
  function applyTotals(ev) {
    var before = goalsReached();
    campaignPart(ev);
    (ev.lives || []).forEach(function (l) { liveTotalsOf(l.id, l); });
    // A campaign goal crossed on another live's donation.
    goalsCrossed({ live: null, campaign: before.campaign });
    renderAll();
    renderLives();
  }

  // Between snapshots the top donors are summed from frames, which only know the
  // donors they saw; the live's public document has the server's exact ranking.
  // It replaces the local one whenever it is at least as new as what is shown.
  function pollTop() {
    fetch("/api/v1/lives/" + encodeURIComponent(liveId), { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (l) {
        if (!l || typeof l.seq !== "number" || l.seq < viewSeq || !Array.isArray(l.top_donors)) return;
        donors = {};
        l.top_donors.forEach(function (r) { donors[r.donor] = { amount: r.amount, donations: r.donations }; });
        renderTop();
      })
      .catch(function () { /* the next poll will do */ });
  }
  if (el("w-top") && !isCampaign) setInterval(pollTop, cfg.refresh);

  // ---- credits roll -------------------------------------------------------
  // Every donor viewers may see by name (the server's list, read again a second
  // after each donation and every `refresh`), the totals, the sponsors and the
  // next live, rolling up like a film's credits. A name that comes while it
  // rolls takes its place without moving a line on screen: at once when its
  // place is off screen, else once that place has rolled past.
  var credits = { doc: null, y: 0, last: 0, stopped: false, sig: "", shape: [], pending: false, tried: 0 };
  var rollStill = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function creditsLine(parent, key, cls) {
    var n = document.createElement("div");
    n.className = cls;
    n.dataset.key = key;
    parent.appendChild(n);
    return n;
  }
  // The roll's lines, in order (not the donors' grid that holds some of them).
  function creditsLines(roll) {
    return Array.prototype.filter.call(roll.querySelectorAll("[data-key]"), function (n) {
      return !n.classList.contains("credits-donors");
    });
  }
  // A line's text, or a donor's name and amount.
  function fillLine(n, l) {
    n.textContent = l.amount ? "" : l.text;
    if (l.logo) {
      var img = document.createElement("img");
      img.className = "credits-logo";
      img.alt = "";
      img.src = l.logo;
      img.onerror = function () { img.remove(); };
      n.insertBefore(img, n.firstChild);
    }
    if (!l.amount) return;
    var who = document.createElement("span");
    who.className = "credits-name";
    who.textContent = l.text;
    var amt = document.createElement("span");
    amt.className = "credits-amount";
    amt.textContent = l.amount;
    n.appendChild(who);
    n.appendChild(document.createTextNode(" "));
    n.appendChild(amt);
  }
  function creditsContent() {
    var c = credits.doc;
    var lines = [];
    var add = function (key, cls, text) { lines.push({ key: key, cls: cls, text: text }); };
    add("thanks", "credits-title", T.creditsThanks);
    var doc = campaignDoc || {};
    if (isCampaign) {
      add("name", "credits-host", doc.name || "");
    } else {
      var live = snap.live || {};
      add("host", "credits-host", live.host || "");
      if (live.title) add("live-title", "credits-sub", live.title);
      if (live.campaign_name) add("name", "credits-sub", live.campaign_name);
    }
    if (doc.charity) add("charity", "credits-sub", T.creditsFor(doc.charity));
    // The totals the frames brought, unless the list read is newer.
    var t = c && c.seq > (isCampaign ? campaignSeq : viewSeq) ? c.totals : totals;
    if (t && t.total > 0) {
      add("raised-head", "credits-head", T.creditsRaised);
      add("raised", "credits-total", money(t.total));
      if (t.matched > 0) add("split", "credits-split", T.creditsSplit(money(t.raised), money(t.matched)));
    }
    var named = c ? c.donors.slice() : [];
    if (cfg.creditsByName) {
      var collator = new Intl.Collator(locale, { sensitivity: "base" });
      named.sort(function (a, b) { return collator.compare(a.donor, b.donor); });
    }
    var unnamed = c ? c.unnamed_donations : 0;
    if (named.length || unnamed) {
      add("donors-head", "credits-head", T.creditsDonors);
      // Many names share the width in two or three columns, so the roll stays short.
      var cols = named.length > 24 ? 3 : named.length > 8 ? 2 : 1;
      named.forEach(function (d) {
        lines.push({ key: "d:" + d.donor, cls: "credits-donor", text: d.donor, cols: cols,
                     amount: cfg.creditsAmounts ? money(d.amount) : null });
      });
      if (unnamed) add("unnamed", "credits-unnamed", T.creditsUnnamed(unnamed, !named.length));
    }
    // What the donors made happen: the milestones and challenges reached (the
    // live's and the campaign's; every live's on a campaign's credits), and the
    // prizes drawn with their winners.
    var met = milestones.filter(function (m) {
      return m.reached && !m.cancelled && (isCampaign || !m.live_id || m.live_id === liveId);
    }).sort(function (a, b) { return a.amount - b.amount; });
    if (met.length) {
      add("reached-head", "credits-head", T.creditsReached);
      met.forEach(function (m) { add("r:" + m.id, "credits-sponsor", m.label); });
    }
    var won = isCampaign
      ? (doc.lives || []).reduce(function (all, l) { return all.concat(l.draws || []); }, [])
        .sort(function (a, b) { return Date.parse(a.at) - Date.parse(b.at); })
      : draws;
    if (won.length) {
      add("draws-head", "credits-head", T.creditsDraws);
      won.forEach(function (x) {
        add("w:" + x.id, "credits-sponsor", T.creditsDraw(x.prize, (x.winner && x.winner.donor) || T.drawAnonymous));
      });
    }
    // The polls over, each with its result ("Quel jeu ? — Zelda l'emporte !"; every live's on a campaign's).
    var now = cagnotteNow();
    var decided = (isCampaign
      ? (doc.lives || []).reduce(function (all, l) { return all.concat(l.polls || []); }, [])
      : polls).filter(function (p) {
      return !cagnottePollState(p, now).open && pollResult(p).leaders.length > 0;
    }).sort(function (a, b) { return Date.parse(a.created_at) - Date.parse(b.created_at); });
    if (decided.length) {
      add("polls-head", "credits-head", T.creditsPolls);
      decided.forEach(function (p) { add("p:" + p.id, "credits-sponsor", keepPunctuation(p.question + " — " + pollResult(p).text)); });
    }
    // The sponsors that gave: their names (what each gave is the campaign's, not a live's).
    var sponsors = [], logos = {};
    matches.forEach(function (m) {
      if (m.used > 0 && sponsors.indexOf(m.sponsor) < 0) sponsors.push(m.sponsor);
      if (m.used > 0 && m.logo_url && !logos[m.sponsor]) logos[m.sponsor] = m.logo_url;
    });
    if (sponsors.length) {
      add("sponsors-head", "credits-head", T.creditsSponsors);
      // Each with its logo, when one was chosen.
      sponsors.forEach(function (name) {
        lines.push({ key: "s:" + name, cls: "credits-sponsor", text: name, logo: logos[name] || null });
      });
    }
    var next = doc.next_live;
    if (next && next.scheduled_at) {
      add("next-head", "credits-head", T.next);
      add("next", "credits-next", nextWhen(next.scheduled_at) + " — " + next.host);
      // Where to follow them: the viewers' next stop.
      if (shortUrl(next.stream_url)) add("next-where", "credits-next-where", shortUrl(next.stream_url));
    }
    add("end", "credits-end", T.creditsEnd);
    return lines;
  }
  function renderCredits() {
    var roll = el("credits-roll");
    if (!roll || !snap) return;
    var lines = creditsContent();
    var sig = JSON.stringify(lines);
    credits.pending = false;
    if (sig === credits.sig) return;
    // A line added or taken away moves every line after it: while the first of
    // them is on screen, the change waits until it has rolled past (a text
    // changed in place, a total, moves nothing).
    var shape = lines.map(function (l) { return l.key + "/" + (l.cols || 0); });
    if (!rollStill && !credits.stopped) {
      var k = 0;
      while (k < shape.length && k < credits.shape.length && shape[k] === credits.shape[k]) k++;
      var nodes = creditsLines(roll);
      var r = nodes[k] && nodes[k].getBoundingClientRect();
      if (r && r.bottom > 0 && r.top < el("w-credits").clientHeight) {
        // The lines before it take their new texts (the total) meanwhile.
        for (var i = 0; i < k; i++) fillLine(nodes[i], lines[i]);
        credits.pending = true;
        return;
      }
    }
    credits.sig = sig;
    credits.shape = shape;
    // Then the first line at or below the top of the screen stays where it is.
    var top = credits.y - el("w-credits").clientHeight, anchor = null, anchorTop = 0;
    creditsLines(roll).some(function (n) {
      if (n.offsetTop + n.offsetHeight <= top) return false;
      anchor = n.dataset.key;
      anchorTop = n.offsetTop;
      return true;
    });
    roll.textContent = "";
    var grid = null;
    lines.forEach(function (l) {
      if (l.cols && !grid) grid = creditsLine(roll, "donors", "credits-donors cols-" + l.cols);
      fillLine(creditsLine(l.cols ? grid : roll, l.key, l.cls), l);
    });
    if (anchor !== null) {
      var again = creditsLines(roll).filter(function (n) { return n.dataset.key === anchor; })[0];
      if (again) credits.y += again.offsetTop - anchorTop;
    }
    placeRoll();
    if (rollStill) shrinkToFit(roll, 0, function () { return roll.offsetHeight <= el("w-credits").clientHeight + 1; });
  }
  // The roll's place on screen: scrolled `credits.y` up from below the source.
  function placeRoll() {
    if (rollStill) return;
    el("credits-roll").style.transform = "translateY(" + (el("w-credits").clientHeight - credits.y).toFixed(1) + "px)";
  }
  function rollCredits(now) {
    var roll = el("credits-roll"), box = el("w-credits");
    var dt = credits.last ? Math.min(0.1, (now - credits.last) / 1000) : 0;
    credits.last = now;
    var vh = box.clientHeight, ch = roll.offsetHeight;
    var end = roll.lastElementChild;
    // Rolled once: the last line rests in the middle of the screen.
    var stop = ch + (vh - (end ? end.offsetHeight : 0)) / 2;
    if (credits.stopped) {
      credits.y = stop;
    } else {
      credits.y += dt * 2 * parseFloat(getComputedStyle(roll).fontSize) * cfg.speed;
      if (!cfg.loop && credits.y >= stop) {
        credits.y = stop;
        credits.stopped = true;
        box.dataset.rolled = "1";
      } else if (credits.y > ch + vh) {
        // Off the top: again from the bottom.
        credits.y = 0;
        box.dataset.rolls = String(Number(box.dataset.rolls || 0) + 1);
      }
    }
    placeRoll();
    if (credits.pending && now - credits.tried > 250) {
      credits.tried = now;
      renderCredits();
    }
    requestAnimationFrame(rollCredits);
  }
  function fetchCredits() {
    fetch("/api/v1/" + (isCampaign ? "campaigns/" : "lives/") + encodeURIComponent(ownId) + "/donors",
      { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (!c || typeof c.seq !== "number" || !Array.isArray(c.donors) || (credits.doc && c.seq < credits.doc.seq)) return;
        credits.doc = c;
        renderCredits();
      })
      .catch(function () { /* the next read will do */ });
  }
  // A second after a donation's frame (at most one read a second in a burst).
  var creditsTimer = null;
  function creditsSoon() {
    if (creditsTimer) return;
    creditsTimer = setTimeout(function () { creditsTimer = null; fetchCredits(); }, 1000);
  }
  if (el("w-credits")) {
    fetchCredits();
    setInterval(fetchCredits, cfg.refresh);
    if (rollStill) {
      el("w-credits").dataset.still = "1";
      window.addEventListener("resize", function () { credits.sig = ""; renderCredits(); });
    } else {
      requestAnimationFrame(rollCredits);
    }
  }

  // ---- connection ---------------------------------------------------------
  var attempt = 0;
  var socket = null;
  var silence = null;
  function resetSilence() {
    // The browser answers the server's pings but cannot see them; after two
    // minutes without a frame the socket is presumed half-open and replaced.
    clearTimeout(silence);
    silence = setTimeout(function () { if (socket) socket.close(); }, 120000);
  }
  function connect() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var url = proto + "//" + location.host + (isCampaign ? "/ws/campaigns/" : "/ws/lives/") + encodeURIComponent(ownId) +
      "?token=" + encodeURIComponent(token) + (cursor !== null ? "&after=" + cursor : "");
    var ws = new WebSocket(url);
    socket = ws;
    ws.onopen = function () { attempt = 0; resetSilence(); };
    ws.onmessage = function (m) {
      resetSilence();
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; /* a bad frame never stops the overlay */ }
      cagnotteSetClock(ev);
      onFrame(ev);
    };
    ws.onclose = function (e) {
      if (socket !== ws) return;
      socket = null;
      clearTimeout(silence);
      if (e.code === 1008) {
        // This link's token was replaced: it will never connect again. The display
        // keeps its last state until the new link is pasted into OBS.
        body.dataset.state = "revoked";
        return;
      }
      body.dataset.state = "reconnecting";
      // Exponential backoff with jitter, capped at 10 s; the display keeps its last state.
      var delay = Math.min(10000, 300 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  // The scene's columns: one whose widgets are taller than its room (ten
  // donors and ten lives, a large `size`) is drawn smaller until it fits, rather
  // than cut at the ticker; measured again whenever a widget or the source
  // changes size.
  function fitColumn(col) {
    shrinkToFit(col, 0, function () { return col.scrollHeight <= col.clientHeight + 1; });
  }
  if (body.classList.contains("scene") && window.ResizeObserver) {
    Array.prototype.forEach.call(document.querySelectorAll(".scene .col"), function (col) {
      var watch = new ResizeObserver(function () { fitColumn(col); });
      watch.observe(col);
      Array.prototype.forEach.call(col.children, function (w) { watch.observe(w); });
    });
  }

  // A page of one widget or of the listed ones (`widgets=`) taller than its
  // source (the goal bar with a challenge under it in 800 × 160, a poll of long
  // options) is drawn smaller until it fits, rather than cut at the source's
  // edge; each widget keeps its width, so that smaller text also takes fewer
  // lines. Measured again whenever a widget or the source changes size. The
  // alert box (fitAlert) and the credits (their own roll) see to themselves.
  function fitSource() {
    var main = el("overlay");
    var widgets = Array.prototype.filter.call(main.children, function (w) { return w.classList.contains("widget"); });
    main.style.fontSize = "";
    main.style.width = "";
    widgets.forEach(function (w) { w.style.width = ""; });
    var pad = getComputedStyle(body);
    var room = document.documentElement.clientHeight - parseFloat(pad.paddingTop) - parseFloat(pad.paddingBottom);
    var fits = function () { return main.getBoundingClientRect().height <= room + 0.25; };
    if (fits()) return;
    var widths = widgets.map(function (w) { return w.hidden ? 0 : w.getBoundingClientRect().width; });
    main.style.width = main.getBoundingClientRect().width + "px";
    widgets.forEach(function (w, i) { if (widths[i]) w.style.width = widths[i] + "px"; });
    shrinkToFit(main, 0, fits);
  }
  var ownFit = body.classList.contains("single") && (el("w-alert") || el("w-credits"));
  if (!body.classList.contains("scene") && !ownFit && window.ResizeObserver) {
    var fitWatch = new ResizeObserver(function () { fitSource(); });
    Array.prototype.forEach.call(el("overlay").children, function (w) { fitWatch.observe(w); });
    addEventListener("resize", fitSource);
  }

  renderCta();
  // The opening's and the end's minute, by the server's clock.
  if (el("w-cta")) {
    setInterval(function () { if (drawnWindow !== cagnotteWindow(campaignStarts, campaignEnds)) renderCta(); }, 1000);
  }
  if (el("w-match")) setInterval(renderMatch, 1000);
  if (el("goal-challenge") && !isCampaign) setInterval(renderChallenge, 1000);
  if (el("w-poll")) setInterval(renderPoll, 1000);
  if (el("w-countdown")) setInterval(renderCountdown, 250);
  if (el("w-timer")) setInterval(renderTimer, 250);
  nextAlert();
  connect();
})();
