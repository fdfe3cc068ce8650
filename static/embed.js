// The counter a charity puts on its own website: the total, the goal and its
// bar, kept current from the public stream (the campaign's or the live's).
(function () {
  "use strict";
  var body = document.body;
  var kind = body.dataset.kind === "live" ? "live" : "campaign";
  var id = body.dataset.id;
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var locale = lang === "en" ? "en-GB" : "fr-FR";
  var fmt = new Intl.NumberFormat(locale, { style: "currency", currency: body.dataset.currency });
  var pct = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  var scale = Math.pow(10, fmt.resolvedOptions().maximumFractionDigits);
  var total = Number(body.dataset.total) || 0;
  var goal = body.dataset.goal ? Number(body.dataset.goal) : null;
  var seq = 0;
  function el(x) { return document.getElementById(x); }
  function money(minor) { return fmt.format(minor / scale); }
  function goalText() {
    var share = pct.format(Math.floor(total * 100 / goal) / 100);
    return lang === "en" ? share + " of the " + money(goal) + " goal" : share + " de l'objectif de " + money(goal);
  }
  function render() {
    el("e-total").textContent = money(total);
    var withGoal = goal !== null && goal > 0;
    el("e-track").hidden = !withGoal;
    el("e-goal").hidden = !withGoal;
    if (!withGoal) return;
    el("e-fill").style.width = Math.min(100, total * 100 / goal) + "%";
    el("e-goal").textContent = goalText();
  }
  function onFrame(ev) {
    if (ev.type === "snapshot") {
      seq = ev.seq;
      total = ev.totals ? ev.totals.total : total;
      goal = ev.goal || null;
      body.dataset.state = "live";
    } else {
      if (typeof ev.seq !== "number" || ev.seq <= seq) return;
      seq = ev.seq;
      if (kind === "live" && ev.totals && ev.type !== "test_alert") total = ev.totals.total;
      if (kind === "campaign" && ev.campaign_totals) total = ev.campaign_totals.total;
      // A goal changed on air.
      if (kind === "live" && ev.type === "live_updated" && ev.live && ev.live.id === id) goal = ev.live.goal || null;
      if (kind === "campaign" && ev.type === "campaign_updated" && ev.campaign) goal = ev.campaign.goal || null;
    }
    render();
  }
  render();
  cagnotteFollow("/ws/public/" + (kind === "live" ? "lives/" : "campaigns/") + encodeURIComponent(id), onFrame,
    function () { body.dataset.state = "reconnecting"; });
})();
