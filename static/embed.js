// The counter a charity puts on its own website: the total, the goal and its
// bar, kept current from a public stream: the live's, or the campaign's
// totals stream (at most four frames a second however many gifts come: a busy
// campaign costs the server no more per visitor of the charity's site).
(function () {
  "use strict";
  var body = document.body;
  var kind = body.dataset.kind === "live" ? "live" : "campaign";
  var id = body.dataset.id;
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var locale = cagnotteLocale(lang);
  var fmt = new Intl.NumberFormat(locale, { style: "currency", currency: body.dataset.currency });
  var pct = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  var scale = Math.pow(10, fmt.resolvedOptions().maximumFractionDigits);
  var total = Number(body.dataset.total) || 0;
  var goal = body.dataset.goal ? Number(body.dataset.goal) : null;
  var seq = 0;
  // The campaign's opening and end: before it the counter says it is not open
  // yet, after it it thanks its donors, where its donate button was (a gift
  // reported later still counts). An edit moves them.
  var starts = body.dataset.starts || null, ends = body.dataset.ends || null;
  function el(x) { return document.getElementById(x); }
  function money(minor) { return fmt.format(minor / scale); }
  function goalText() {
    var share = pct.format(Math.floor(total * 100 / goal) / 100);
    return lang === "en" ? share + " of the " + money(goal) + " goal" : share + " de l'objectif de " + money(goal);
  }
  function renderWindow() {
    var state = cagnotteWindow(starts, ends);
    el("e-over").hidden = state !== "ended";
    el("e-soon").hidden = state !== "upcoming";
    var actions = el("e-actions");
    if (actions) actions.hidden = state !== "open";
  }
  function render() {
    renderWindow();
    el("e-total").textContent = money(total);
    var withGoal = goal !== null && goal > 0;
    el("e-track").hidden = !withGoal;
    el("e-goal").hidden = !withGoal;
    if (!withGoal) return;
    el("e-fill").style.width = Math.min(100, total * 100 / goal) + "%";
    el("e-goal").textContent = goalText();
  }
  // A campaign's totals stream: its totals, goal, opening and end as of each
  // frame; the schedule read again when one of its lives changed (`lives_seq`).
  var livesSeq = null;
  function onTotals(ev) {
    if (typeof ev.seq !== "number" || (ev.type !== "snapshot" && ev.seq < seq)) return;
    seq = ev.seq;
    if (ev.campaign_totals) total = ev.campaign_totals.total;
    goal = ev.goal || null;
    starts = ev.starts_at || null;
    ends = ev.ends_at || null;
    body.dataset.state = "live";
    if (ev.type === "snapshot" || ev.lives_seq !== livesSeq) schedule();
    livesSeq = ev.lives_seq;
    render();
  }
  // A live's stream. Past a burst of gifts it brings about ten a second, and
  // a `totals` frame within a quarter of a second of those it held back: not
  // an event (older ones may still come), the total as of its seq.
  var totalSeq = -1;
  function onFrame(ev) {
    if (ev.type === "totals") {
      if (ev.totals && ev.seq > totalSeq) { total = ev.totals.total; totalSeq = ev.seq; render(); }
      return;
    }
    if (ev.type === "snapshot") {
      seq = ev.seq;
      totalSeq = ev.seq;
      total = ev.totals ? ev.totals.total : total;
      goal = ev.goal || null;
      ends = (ev.live || {}).campaign_ends_at || null;
      starts = (ev.live || {}).campaign_starts_at || null;
      body.dataset.state = "live";
      schedule();
    } else {
      if (typeof ev.seq !== "number" || ev.seq <= seq) return;
      seq = ev.seq;
      if (ev.totals && ev.type !== "test_alert" && ev.seq > totalSeq) { total = ev.totals.total; totalSeq = ev.seq; }
      // A goal changed on air.
      if (ev.type === "live_updated" && ev.live && ev.live.id === id) goal = ev.live.goal || null;
      if (/^campaign_(updated|opened|ended)$/.test(ev.type) && ev.campaign) {
        starts = ev.campaign.starts_at || null;
        ends = ev.campaign.ends_at || null;
      }
      if (ev.type === "live_updated" || ev.type === "live_started") schedule();
    }
    render();
  }
  // Where to watch, while lives are on air with a stream link: the live's, or
  // on a campaign's counter every one of its lives on air (several streams at
  // once), the earliest started first, each name linking to its stream: three
  // named at most (four when they are four), fewer when their names would not
  // hold on one line (a second one would push the donate button out of the
  // frame), the others counted. Its schedule is read with each snapshot (the
  // first, and after a drop), again when a live starts or changes, and the
  // clock checked each half minute.
  var lives = [];
  var NAMED = 3;
  // The first name's link (the whole line's for one live), kept while the line is drawn again.
  var firstLink = el("e-watch-link");
  function onAir(l) {
    var now = cagnotteNow();
    return l.stream_url && !l.cancelled && l.scheduled_at && Date.parse(l.scheduled_at) <= now && now < Date.parse(l.ends_at);
  }
  function link(a, l, text) {
    a.href = l.stream_url;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = text;
    return a;
  }
  function prefix() { return lang === "en" ? "▶ Live now: " : "▶ En direct\u00a0: "; }
  // The line's words and links, `named` of the lives `on` air named.
  function said(on, named) {
    var en = lang === "en", and = en ? " and " : " et ", more = on.length - named;
    var out = [prefix()];
    on.slice(0, named).forEach(function (l, i) {
      if (i > 0) out.push(i === named - 1 && !more ? and : ", ");
      out.push(link(i ? document.createElement("a") : firstLink, l, l.host));
    });
    if (more) out.push(and + more + (en ? " more" : more > 1 ? " autres" : " autre"));
    return out;
  }
  function put(p, nodes) {
    p.textContent = "";
    nodes.forEach(function (x) { p.appendChild(typeof x === "string" ? document.createTextNode(x) : x); });
  }
  function watch() {
    var on = lives.filter(onAir).sort(function (a, b) { return Date.parse(a.scheduled_at) - Date.parse(b.scheduled_at); });
    var p = el("e-watch");
    p.hidden = !on.length;
    if (!on.length) return;
    // Drawn again only when it changes (a screen reader reads a change).
    var sig = JSON.stringify([innerWidth, on.map(function (l) { return [l.host, l.stream_url]; })]);
    if (p.dataset.sig === sig) return;
    p.dataset.sig = sig;
    if (on.length === 1) {
      // One live: "on twitch.tv", its stream's site, the whole line its link.
      var l = on[0], where = l.stream_url;
      try { where = new URL(l.stream_url).hostname.replace(/^www\./, ""); } catch (e) { /* shown whole */ }
      put(p, [link(firstLink, l, kind === "live"
        ? (lang === "en" ? "▶ Live now on " : "▶ En direct sur ") + where
        : (lang === "en" ? "▶ Live now: " + l.host + " on " : "▶ En direct\u00a0: " + l.host + " sur ") + where)]);
      return;
    }
    // The height of one line, then as many names as it holds.
    put(p, [prefix()]);
    var line = p.getBoundingClientRect().height;
    for (var named = on.length <= NAMED + 1 ? on.length : NAMED; named >= 1; named--) {
      put(p, said(on, named));
      if (named === 1 || p.getBoundingClientRect().height <= line) break;
    }
  }
  addEventListener("resize", watch);
  function schedule() {
    fetch("/api/v1/" + (kind === "live" ? "lives/" : "campaigns/") + encodeURIComponent(id), { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (doc) { lives = kind === "live" ? [doc] : doc.lives || []; watch(); })
      .catch(function () { /* read again at the next change */ });
  }
  setInterval(watch, 30000);
  setInterval(renderWindow, 1000);

  render();
  cagnotteFollow(kind === "live" ? "/ws/public/lives/" + encodeURIComponent(id)
                                 : "/ws/public/campaigns/" + encodeURIComponent(id) + "/totals",
    kind === "live" ? onFrame : onTotals, function () { body.dataset.state = "reconnecting"; });
})();
