// Cagnotte overlay: connects to the live's WebSocket, resumes after any drop
// from the last seq it saw, and shows each donation alert exactly once, even
// across reloads and OBS scene switches (cursor, queue and shown ids are kept
// in localStorage). Donor text is only ever inserted with textContent.
(function () {
  "use strict";
  var body = document.body;
  var liveId = body.dataset.live;
  var currency = body.dataset.currency;
  var params = new URLSearchParams(location.search);
  var token = params.get("token") || "";
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var duration = Math.max(1, Number(params.get("duration")) || 6) * 1000;
  var minAlert = Number(params.get("min_alert")) || 0;
  var T = {
    fr: { anonymous: "Anonyme", matched: "doublé ! +", total: "Total", last: "Dernier don : ", of: " sur " },
    en: { anonymous: "Anonymous", matched: "doubled! +", total: "Total", last: "Last donation: ", of: " of " }
  }[lang];
  var fmt = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-US", { style: "currency", currency: currency });
  var scale = Math.pow(10, fmt.resolvedOptions().maximumFractionDigits);
  function money(minor) { return fmt.format(minor / scale); }

  var storeKey = "cagnotte:" + liveId + ":";
  function load(name, fallback) {
    try { var v = localStorage.getItem(storeKey + name); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(storeKey + name, JSON.stringify(value)); } catch (e) { /* private mode: memory only */ }
  }

  var cursor = load("seq", null);      // highest seq applied
  var queue = load("queue", []);       // alerts not yet shown
  var shown = load("shown", []);       // ids already shown (bounded)
  var goal = null;
  var el = function (id) { return document.getElementById(id); };

  function showTotals(totals) {
    el("total").textContent = T.total + " : " + money(totals.total);
    if (goal) {
      var pct = Math.min(100, Math.floor(totals.total * 100 / goal));
      el("goal-wrap").hidden = false;
      el("goal-bar").style.width = pct + "%";
      el("goal-label").textContent = money(totals.total) + T.of + money(goal) + " (" + pct + " %)";
    }
  }
  function showLast(d) {
    el("last").textContent = d ? T.last + (d.donor || T.anonymous) + " — " + money(d.amount) : "";
  }

  var showing = false;
  function nextAlert() {
    if (showing || queue.length === 0) return;
    var d = queue[0];
    showing = true;
    var box = el("alert");
    el("alert-donor").textContent = d.donor || T.anonymous;
    el("alert-amount").textContent = money(d.amount);
    el("alert-matched").hidden = !(d.matched > 0);
    el("alert-matched").textContent = d.matched > 0 ? T.matched + money(d.matched) : "";
    el("alert-message").textContent = d.message || "";
    box.classList.remove("leaving");
    box.hidden = false;
    shown.push(d.id);
    if (shown.length > 500) shown = shown.slice(-500);
    save("shown", shown);
    setTimeout(function () {
      box.classList.add("leaving");
      setTimeout(function () {
        box.hidden = true;
        queue.shift();
        save("queue", queue);
        showing = false;
        nextAlert();
      }, 400);
    }, duration);
  }

  function onEvent(ev) {
    if (ev.type === "snapshot") {
      goal = ev.goal || ev.campaign_goal || null;
      if (cursor === null || ev.seq < cursor) {
        // First visit, or the server's data was reset: start from now, no history alerts.
        cursor = ev.seq;
        save("seq", cursor);
      }
      showTotals(ev.totals);
      showLast(ev.recent && ev.recent[0]);
      return;
    }
    if (typeof ev.seq !== "number" || ev.seq <= cursor) return;
    cursor = ev.seq;
    if (ev.totals) showTotals(ev.totals);
    if (ev.type === "donation") {
      var d = ev.donation;
      showLast(d);
      if (d.amount >= minAlert && shown.indexOf(d.id) < 0 && !queue.some(function (q) { return q.id === d.id; })) {
        queue.push(d);
      }
    } else if (ev.type === "refund") {
      var id = ev.donation.id;
      queue = queue.filter(function (q, i) { return q.id !== id || (i === 0 && showing); });
    }
    save("queue", queue);
    save("seq", cursor);
    nextAlert();
  }

  var attempt = 0;
  function connect() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var url = proto + "//" + location.host + "/ws/lives/" + encodeURIComponent(liveId) +
      "?token=" + encodeURIComponent(token) + (cursor !== null ? "&after=" + cursor : "");
    var ws = new WebSocket(url);
    ws.onopen = function () { attempt = 0; };
    ws.onmessage = function (m) {
      try { onEvent(JSON.parse(m.data)); } catch (e) { /* a bad frame never stops the overlay */ }
    };
    ws.onclose = function () {
      // Exponential backoff with jitter, capped at 10 s; the display keeps its last state.
      var delay = Math.min(10000, 500 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }
  nextAlert();
  connect();
})();
