// The charity's space: a campaign's totals (current live), its donations, its
// exports and its report, read with the key the organisers gave. The key comes
// from the sign-in form or after "#key=" in the link (a fragment never reaches a
// server); it is kept in this tab's sessionStorage only, taken out of the
// address bar at once, and sent as a bearer token (no cookie). It reads only.
(function () {
  "use strict";
  var body = document.body;
  var campaignId = body.dataset.campaign;
  var currency = body.dataset.currency;
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var locale = cagnotteLocale(lang);

  var T = {
    fr: {
      totals: function (total, raised, matched, n) {
        return total + " collectés (" + raised + " de dons + " + matched + " des sponsors) — " + n + (n > 1 ? " dons" : " don");
      },
      goal: function (g, pct) { return "Objectif\u00a0: " + g + " (" + pct + "\u00a0%)"; },
      badKey: "Cette clé n'ouvre pas l'espace de cette campagne\u00a0: demandez le lien aux organisateurs.",
      error: "Erreur\u00a0: ", anonymous: "anonyme", hidden: "masqué", erased: "effacé à sa demande",
      st_shown: "Affiché", st_pending: "En attente", st_hidden: "Masqué", st_refunded: "Remboursé", st_test: "Test",
      partRefunded: "remboursé\u00a0: ",
      downloaded: function (name) { return "Téléchargé\u00a0: " + name; },
      newest: function (n, all) { return "Les " + n + " dons les plus récents sur " + all.toLocaleString("fr-FR") + "\u00a0: l'export les contient tous."; }
    },
    en: {
      totals: function (total, raised, matched, n) {
        return total + " raised (" + raised + " given + " + matched + " from sponsors) — " + n + (n === 1 ? " donation" : " donations");
      },
      goal: function (g, pct) { return "Goal: " + g + " (" + pct + "%)"; },
      badKey: "This key does not open this campaign's space: ask the organisers for the link.",
      error: "Error: ", anonymous: "anonymous", hidden: "hidden", erased: "erased at their request",
      st_shown: "Shown", st_pending: "Pending", st_hidden: "Hidden", st_refunded: "Refunded", st_test: "Test",
      partRefunded: "refunded: ",
      downloaded: function (name) { return "Downloaded: " + name; },
      newest: function (n, all) { return "The " + n + " most recent of " + all.toLocaleString("en-US") + " donations: the export holds them all."; }
    }
  }[lang];

  var PAGE = 200;
  var shown = PAGE, search = "";
  var key = null;
  var space = cagnotteSpaceKey("cagnotte-charity-" + campaignId, T.badKey, function (k) {
    key = k;
    if (k) load().catch(fail);
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
  var fmtWhen = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  function when(iso) { return iso ? fmtWhen.format(new Date(iso)) : ""; }
  // The spreadsheets' and the report's days on this computer's clock.
  var zone = (function () {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  })();
  var tz = zone ? "tz=" + encodeURIComponent(zone) : "";
  var base = "/api/v1/campaigns/" + encodeURIComponent(campaignId);

  function api(method, path) {
    return cagnotteRequest(method, path, undefined, { "Authorization": "Bearer " + key }, "omit");
  }
  function fail(e) {
    if (e && (e.status === 401 || e.status === 403)) { space.signedOut(true); return; }
    cagnotteNotice(T.error + (e instanceof CagnotteApiError ? cagnotteExplain(lang, e, money) : e && e.message ? e.message : String(e)), true);
  }

  // The campaign's document (public) and its donations (with the key); one load
  // at a time, and one more after it when something came meanwhile.
  var campaign = null;
  var load = cagnotteOneLoad(function () {
    return Promise.all([
      fetch(base, { cache: "no-store" }).then(function (r) { return r.json(); }),
      api("GET", base + "/donations?limit=" + shown + (search ? "&q=" + encodeURIComponent(search) : ""))
    ]).then(function (all) {
      campaign = all[0];
      render(all[1]);
      follow();
    });
  });

  function render(list) {
    el("signin").hidden = true;
    el("app").hidden = false;
    el("forget").hidden = false;
    var t = campaign.totals;
    el("totals").textContent = T.totals(money(t.total), money(t.raised), money(t.matched), t.donations);
    el("goal").hidden = !campaign.goal;
    if (campaign.goal) {
      var share = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(Math.floor(t.total * 100 / campaign.goal));
      el("goal").textContent = T.goal(money(campaign.goal), share);
    }
    var tb = el("donations").tBodies[0];
    tb.textContent = "";
    list.donations.forEach(function (d) { tb.appendChild(cagnotteDonationRow(d, money, when, T)); });
    cagnotteListMore(lang, list.donations.length, list.count, search, PAGE, T.newest);
    body.dataset.state = "ready";
  }

  cagnotteSearchBox(el("donation-search"), function (text) {
    if (text === search) return;
    search = text;
    shown = PAGE;
    load().catch(fail);
  });
  el("show-more").addEventListener("click", function () {
    shown += PAGE;
    load().catch(fail);
  });

  // Each export as the organisers download it, sent with the key: the file the
  // server names, saved by the browser.
  Array.prototype.forEach.call(document.querySelectorAll("[data-export]"), function (b) {
    b.addEventListener("click", function () {
      var excel = b.dataset.excel !== "0";
      var query = excel ? "?excel=1&lang=" + lang + (tz ? "&" + tz : "") : "";
      // Busy while it downloads, keeping the focus (shared.js).
      cagnotteBusy(b, function () {
        var asked = { headers: { "Authorization": "Bearer " + key }, credentials: "omit", cache: "no-store" };
        return fetch(base + "/" + b.dataset.export + query, asked).then(function (r) {
          if (!r.ok) {
            return r.json().catch(function () { return {}; }).then(function (v) {
              throw new CagnotteApiError(r.status, v.error, v.message || r.statusText, v);
            });
          }
          var named = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
          var name = named ? named[1] : b.dataset.export;
          return r.blob().then(function (blob) {
            var a = make("a");
            a.href = URL.createObjectURL(blob);
            a.download = name;
            body.appendChild(a);
            a.click();
            a.remove();
            setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
            cagnotteNotice(T.downloaded(name), false);
          });
        });
      }).catch(fail);
    });
  });

  el("make-report").addEventListener("click", function () {
    cagnotteBusy(el("make-report"), function () {
      return api("GET", base + "/report" + (tz ? "?" + tz : ""))
        .then(function (r) { cagnotteReport(r, campaign, lang, money, when); });
    }).catch(fail);
  });
  // The provider's export checked against the donations (shared.js).
  cagnotteReconcileForm(lang, function () { return campaignId; }, function (path, file) {
    return cagnotteRequest("POST", path, file, { "Authorization": "Bearer " + key }, "omit");
  }, money, when, fail);
  el("print-report").addEventListener("click", function () {
    body.classList.add("printing-report");
    window.print();
    body.classList.remove("printing-report");
  });

  // The campaign's public stream says when something changed: the page reads
  // again (at most once a second), and after a drop once it is back.
  var following = false, dropped = false, timer = null;
  function later() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; if (key) load().catch(fail); }, 1000);
  }
  function follow() {
    if (following) return;
    following = true;
    cagnotteFollow("/ws/public/campaigns/" + encodeURIComponent(campaignId), function (ev) {
      if (!key) return;
      if (ev.type !== "snapshot" || dropped) later();
      dropped = false;
    }, function () { dropped = true; });
  }

  if (key) load().catch(fail);
  else space.signedOut(false);
})();
