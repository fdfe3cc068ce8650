// Overlay builder: a form over the overlay's URL parameters, the URL it makes,
// and a live preview of that URL in a frame. Nothing here is secret beyond the
// overlay token already in this page's own URL.
(function () {
  "use strict";
  var body = document.body;
  var base = body.dataset.base;
  var params = new URLSearchParams(location.search);
  var token = params.get("token") || "";
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var L = {
    fr: {
      title: "Créateur d'overlay", intro: "Choisissez un widget et ses réglages, puis copiez l'URL dans une source Navigateur d'OBS.",
      widget: "Widget", all: "Tous les widgets", w_alert: "Alertes", w_goal: "Barre d'objectif", w_campaign: "Totaux de la campagne",
      w_match: "Badge de doublement", w_ticker: "Bandeau des derniers dons", w_top: "Top donateurs", w_latest: "Dernier don", latest_message: "Dernier don\u00a0: avec son message", w_cta: "Appel au don (QR code)",
      w_lives: "Classement des lives", w_schedule: "Prochain live", w_poll: "Sondage", w_credits: "Générique de fin", w_countdown: "Compte à rebours avant le live", w_milestones: "Paliers",
      w_timer: "Minuteur du marathon (les dons ajoutent du temps)", timer_minutes: "Marathon\u00a0: durée de départ (min, sinon celle du live)",
      w_rewards: "Contreparties offertes aux donateurs",
      timer_step: "Marathon\u00a0: chaque tranche de (montant)", timer_add: "Marathon\u00a0: ajoute (min)", timer_max: "Marathon\u00a0: durée maximale (min)",
      credits_amounts: "Générique\u00a0: montant de chaque donateur", speed: "Générique\u00a0: vitesse (%)",
      loop: "Générique\u00a0: recommencer une fois fini", credits_order: "Générique\u00a0: ordre des donateurs",
      order_amount: "du plus gros don au plus petit", order_name: "alphabétique",
      lives_by: "Classement des lives", by_live: "live par live", by_host: "par hôte (ses lives additionnés)",
      lang: "Langue", pos: "Position", size: "Taille (%)", font: "Police (installée localement)", color: "Texte", accent: "Accent",
      bg: "Fond des cartes", bar: "Barre", duration: "Durée d'une alerte (s)", min_alert: "Montant minimum d'une alerte",
      big: "Grande alerte à partir de (plus grande, plus longue)",
      big2: "Grande alerte, niveau 2, à partir de (encore plus grande)",
      big3: "Grande alerte, niveau 3, à partir de (la plus grande)",
      min_message: "Montant minimum pour afficher le message", sound: "Son à chaque alerte",
      tts: "Lire les messages à voix haute", tts_min: "Montant minimum pour lire le message",
      tts_name: "Dire aussi le nom et le montant («\u00a0Ana a donné 5 €.\u00a0»), même sans message",
      tts_voice: "Voix (une partie de son nom, sinon celle de la langue)",
      tts_hint: "Avec les voix de l'ordinateur d'OBS\u00a0: dans OBS, laissez «\u00a0Contrôler l'audio via OBS\u00a0» décoché pour cette source, la voix passe alors par l'audio du bureau.",
      alert_image: "Image des alertes", alert_sound: "Son des alertes", big_image: "Image des grandes alertes",
      big_sound: "Son des grandes alertes", none: "aucune", default_sound: "celui de Cagnotte",
      same_image: "la même", fanfare: "la fanfare de Cagnotte",
      big2_image: "Image des grandes alertes, niveau 2", big2_sound: "Son des grandes alertes, niveau 2",
      big3_image: "Image des grandes alertes, niveau 3", big3_sound: "Son des grandes alertes, niveau 3",
      as_big: "comme les grandes alertes", as_big2: "comme le niveau 2",
      alert_text: "Texte des alertes ({donor}\u00a0: le nom, {amount}\u00a0: le montant)",
      big_text: "Texte des grandes alertes (vide\u00a0: celui des alertes)", big2_text: "Texte des grandes alertes, niveau 2 (vide\u00a0: celui du niveau 1)",
      big3_text: "Texte des grandes alertes, niveau 3 (vide\u00a0: celui du niveau 2)",
      goal_style: "Barre d'objectif", style_bar: "horizontale", style_thermo: "thermomètre",
      milestone_image: "Image des paliers, objectifs, sondages et tirages", milestone_sound: "Son des paliers, objectifs, sondages et tirages",
      media_hint: "Vos images et sons s'ajoutent depuis votre espace hôte ou le tableau de bord («\u00a0Images et sons des alertes\u00a0»).", catch_up: "Alertes plus courtes quand d'autres attendent",
      goal_alert: "Une alerte quand un objectif est atteint", goal: "Objectif",
      poll_alert: "Une alerte avec le résultat d'un sondage",
      match_alert: "Une alerte quand un mécène commence à abonder les dons",
      milestones: "Les paliers sur la barre d'objectif",
      follow: "Suivre tous les lives de l'hôte dans la campagne\u00a0: ce lien passe seul au live suivant",
      goal_live: "du live", goal_campaign: "de la campagne", url: "URL de la source Navigateur", copy: "Copier",
      copied: "Copié\u00a0!", hint: "Taille conseillée de la source\u00a0: ",
      paste: "Le lien de cet overlay (copiez-le depuis la source Navigateur dans OBS)", use_link: "Personnaliser ce lien",
      paste_hint: "Le lien reste le même\u00a0: l'overlay déjà dans OBS continue de marcher. Sans lui sous la main, «\u00a0Nouveau lien d'overlay\u00a0» en donne un autre (et arrête l'ancien).",
      no_token: "Ce n'est pas un lien d'overlay\u00a0: il finit par ?token=… (dans OBS, l'URL de la source Navigateur)."
    },
    en: {
      title: "Overlay builder", intro: "Pick a widget and its settings, then paste the URL into an OBS Browser source.",
      widget: "Widget", all: "All widgets", w_alert: "Alerts", w_goal: "Goal bar", w_campaign: "Campaign totals",
      w_match: "Matching badge", w_ticker: "Recent donations ticker", w_top: "Top donors", w_latest: "Latest donation", latest_message: "Latest donation: with its message", w_cta: "Call to action (QR code)",
      w_lives: "Lives leaderboard", w_schedule: "Next live", w_poll: "Poll", w_credits: "End credits", w_countdown: "Countdown to the live", w_milestones: "Milestones",
      w_timer: "Marathon timer (donations add time)", timer_minutes: "Marathon: starting length (min, else the live's)",
      w_rewards: "Rewards offered to donors",
      timer_step: "Marathon: for every (amount)", timer_add: "Marathon: adds (min)", timer_max: "Marathon: longest length (min)",
      credits_amounts: "Credits: each donor's amount", speed: "Credits: speed (%)",
      loop: "Credits: start again once over", credits_order: "Credits: donors' order",
      order_amount: "biggest gift first", order_name: "by name",
      lives_by: "Lives leaderboard", by_live: "live by live", by_host: "by host (their lives added up)",
      lang: "Language", pos: "Position", size: "Size (%)", font: "Font (installed locally)", color: "Text", accent: "Accent",
      bg: "Card background", bar: "Bar", duration: "Alert duration (s)", min_alert: "Minimum amount for an alert",
      big: "Big alert from (larger, longer)",
      big2: "Big alert, level 2, from (larger still)",
      big3: "Big alert, level 3, from (the largest)",
      min_message: "Minimum amount to show the message", sound: "Sound on each alert",
      tts: "Read messages aloud", tts_min: "Minimum amount to read the message",
      tts_name: "Say the name and amount too (\u201cAna gave €5.\u201d), even without a message",
      tts_voice: "Voice (part of its name, else the language's)",
      tts_hint: "With the voices of the OBS computer: in OBS, leave \u201cControl audio via OBS\u201d unticked for this source; the voice then goes through the desktop audio.",
      alert_image: "Alert image", alert_sound: "Alert sound", big_image: "Big alert image",
      big_sound: "Big alert sound", none: "none", default_sound: "Cagnotte's",
      same_image: "the same", fanfare: "Cagnotte's fanfare",
      big2_image: "Big alert image, level 2", big2_sound: "Big alert sound, level 2",
      big3_image: "Big alert image, level 3", big3_sound: "Big alert sound, level 3",
      as_big: "same as big alerts", as_big2: "same as level 2",
      alert_text: "Alert text ({donor}: the name, {amount}: the amount)",
      big_text: "Big alert text (empty: the alerts')", big2_text: "Big alert text, level 2 (empty: level 1's)",
      big3_text: "Big alert text, level 3 (empty: level 2's)",
      goal_style: "Goal bar", style_bar: "horizontal", style_thermo: "thermometer",
      milestone_image: "Image of milestones, goals, polls and draws", milestone_sound: "Sound of milestones, goals, polls and draws",
      media_hint: "Add your images and sounds from your host's space or the dashboard (\u201cAlert images and sounds\u201d).", catch_up: "Shorter alerts while others wait",
      goal_alert: "An alert when a goal is reached", goal: "Goal",
      poll_alert: "An alert with a poll's result",
      match_alert: "An alert when a sponsor starts matching donations",
      milestones: "Milestones on the goal bar",
      follow: "Follow every live of the host in the campaign: this link moves on to the next live by itself",
      goal_live: "of the live", goal_campaign: "of the campaign", url: "Browser source URL", copy: "Copy",
      copied: "Copied!", hint: "Suggested source size: ",
      paste: "This overlay's link (copy it from the Browser source in OBS)", use_link: "Customize this link",
      paste_hint: "The link stays the same: the overlay already in OBS goes on working. Without it at hand, \u201cNew overlay link\u201d gives another one (and stops the old one).",
      no_token: "This is not an overlay link: it ends with ?token=… (in OBS, the Browser source's URL)."
    }
  }[lang];
  // Suggested OBS browser source sizes, as documented in docs/overlays.md.
  var SIZES = {
    all: [1280, 720], alert: [800, 300], goal: [800, 160], campaign: [800, 140], match: [640, 160],
    ticker: [1920, 80], top: [480, 400], latest: [640, 140], cta: [640, 280], lives: [480, 400], schedule: [640, 120],
    poll: [640, 360], credits: [1280, 720], countdown: [800, 240], timer: [800, 260], milestones: [480, 360],
    rewards: [640, 360]
  };
  document.getElementById("b-title").textContent = L.title;
  document.getElementById("b-intro").textContent = L.intro;
  Array.prototype.forEach.call(document.querySelectorAll("[data-l]"), function (n) {
    n.textContent = L[n.dataset.l] || n.dataset.l;
  });
  // Opened without a token: the overlay link already in OBS gives it (the
  // dashboard and the host's space keep only its digest), and the link stays
  // as it is. A wrong one is refused by the page it opens.
  var linkForm = document.getElementById("link-form");
  if (linkForm) {
    linkForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var pasted = null;
      try { pasted = new URL(linkForm.elements.link.value.trim(), location.href); } catch (err) { pasted = null; }
      var given = pasted && pasted.searchParams.get("token");
      if (!given) {
        var error = document.getElementById("link-error");
        error.textContent = L.no_token;
        error.hidden = false;
        return;
      }
      // Its settings come along in the fragment (never sent), the form starting from them.
      var widget = pasted.pathname.split("/").pop();
      var settings = new URLSearchParams(pasted.search);
      settings.delete("token");
      settings.set("widget", widget);
      location.replace(location.pathname + "?token=" + encodeURIComponent(given) + "&lang=" + lang + "#" + settings.toString());
    });
    return;
  }
  var form = document.getElementById("form");
  form.elements.lang.value = lang;
  // An overlay link's settings (`#…`, from the link pasted above): the form starts from them.
  (function () {
    var given = new URLSearchParams(location.hash.slice(1));
    if (!given.has("widget")) return;
    var f = form.elements;
    // Come from "Personnaliser ce lien": the focus goes to the form's first field.
    f.widget.focus();
    var w = given.get("widget");
    f.widget.value = Array.prototype.some.call(f.widget.options, function (o) { return o.value === w; }) ? w : "all";
    // What the link leaves out is the overlay's default, not this page's:
    // French, and not following the host's other lives.
    f.lang.value = "fr";
    if (f.follow) f.follow.checked = false;
    given.forEach(function (v, name) {
      var input = f[name];
      if (!input || name === "widget" || !input.tagName) return;
      if (input.type === "checkbox") input.checked = v !== "0";
      else if (input.type === "color") input.value = "#" + v;
      else input.value = v;
    });
  })();
  var out = document.getElementById("url");
  var frame = document.getElementById("preview");
  var box = document.getElementById("preview-box");

  function build() {
    var f = form.elements;
    var widget = f.widget.value;
    var path = base + (widget === "all" ? "" : "/" + widget);
    var q = new URLSearchParams();
    q.set("token", token);
    if (f.lang.value !== "fr") q.set("lang", f.lang.value);
    ["pos", "size", "font", "duration", "min_alert", "big", "big2", "big3", "min_message", "alert_text", "big_text", "big2_text", "big3_text", "goal_style", "goal", "speed", "credits_order", "lives_by",
     "alert_image", "alert_sound", "big_image", "big_sound", "big2_image", "big2_sound", "big3_image", "big3_sound",
     "milestone_image", "milestone_sound", "tts_min", "tts_voice",
     "timer_minutes", "timer_step", "timer_add", "timer_max"].forEach(function (name) {
      var v = f[name].value.trim();
      if (v !== "") q.set(name, v);
    });
    ["color", "accent", "bg", "bar"].forEach(function (name) {
      var input = f[name];
      if (input.value.toLowerCase() !== input.dataset.default) q.set(name, input.value.replace("#", ""));
    });
    if (f.follow && f.follow.checked) q.set("follow", "host");
    if (f.sound.checked) q.set("sound", "1");
    if (f.tts.checked) q.set("tts", "1");
    if (f.tts.checked && f.tts_name.checked) q.set("tts_name", "1");
    if (!f.catch_up.checked) q.set("catch_up", "0");
    if (!f.goal_alert.checked) q.set("goal_alert", "0");
    if (!f.poll_alert.checked) q.set("poll_alert", "0");
    if (!f.match_alert.checked) q.set("match_alert", "0");
    if (!f.milestones.checked) q.set("milestones", "0");
    if (f.credits_amounts.checked) q.set("credits_amounts", "1");
    if (f.latest_message.checked) q.set("latest_message", "1");
    if (!f.loop.checked) q.set("loop", "0");
    // The widget grows with its size setting: so must the source, or OBS crops it
    // (the overlay reads `size` the same way: a number from 30 to 400, else 100).
    var pct = Number(f.size.value.trim().replace(",", "."));
    var k = f.size.value.trim() === "" || !isFinite(pct) ? 1 : Math.min(400, Math.max(30, pct)) / 100;
    var wh = widget === "goal" && f.goal_style.value === "thermometer" ? [480, 360] : SIZES[widget] || SIZES.all;
    // The ticker runs the whole width of its source, whatever its size: only its
    // height grows. The scene of every widget and the credits scale with their source by themselves.
    if (widget === "all" || widget === "credits") k = 1;
    return { url: location.origin + path + "?" + q.toString(),
             size: [widget === "ticker" ? wh[0] : Math.round(wh[0] * k), Math.round(wh[1] * k)] };
  }
  var last = "";
  function update() {
    var b = build();
    out.value = b.url;
    document.getElementById("size-hint").textContent = L.hint + b.size[0] + " × " + b.size[1];
    // The frame keeps the source's size and is scaled to fit the page.
    var k = Math.min(1, box.clientWidth / b.size[0]);
    frame.style.width = b.size[0] + "px";
    frame.style.height = b.size[1] + "px";
    frame.style.transform = "scale(" + k + ")";
    box.style.height = Math.ceil(b.size[1] * k) + "px";
    if (b.url !== last) { last = b.url; frame.src = b.url; }
  }
  // The campaign's images and sounds, offered by name (read with this page's
  // overlay token, which may read them).
  function loadMedia() {
    var campaign = body.dataset.campaign;
    fetch("/api/v1/campaigns/" + encodeURIComponent(campaign) + "/media", { headers: { Authorization: "Bearer " + token } })
      .then(function (r) { return r.ok ? r.json() : { media: [] }; })
      .then(function (b) {
        Array.prototype.forEach.call(form.querySelectorAll("#media select"), function (select) {
          b.media.forEach(function (m) {
            if (m.kind !== select.dataset.kind) return;
            var o = document.createElement("option");
            o.value = m.id;
            o.textContent = m.name;
            select.appendChild(o);
          });
        });
        document.getElementById("media").dataset.loaded = String(b.media.length);
      }, function () { /* offline: the built-in image and sounds only */ });
  }
  loadMedia();
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  window.addEventListener("resize", update);
  document.getElementById("copy").addEventListener("click", function (e) {
    out.select();
    var done = function () { e.target.textContent = L.copied; };
    if (navigator.clipboard) navigator.clipboard.writeText(out.value).then(done, function () { /* the URL stays selected */ });
  });
  update();
})();
