// What the dashboard and the host's space share.
//
// `cagnotteRequest(method, path, payload, headers, credentials)`: a call to the
// API, its JSON answer, or a `CagnotteApiError` carrying the refusal.
function CagnotteApiError(status, code, message, body) {
  "use strict";
  this.status = status; this.code = code; this.message = message; this.body = body || {};
}
function cagnotteRequest(method, path, payload, headers, credentials) {
  "use strict";
  // A file (a media library's) goes as it is; anything else as JSON.
  var raw = typeof Blob !== "undefined" && payload instanceof Blob;
  if (payload !== undefined && !raw) headers["Content-Type"] = "application/json";
  return fetch(path, {
    method: method, headers: headers, credentials: credentials, cache: "no-store",
    body: payload === undefined || raw ? payload : JSON.stringify(payload)
  }).then(function (r) {
    return r.text().then(function (text) {
      var v = null;
      try { v = text ? JSON.parse(text) : null; } catch (e) { v = null; }
      if (!r.ok) throw new CagnotteApiError(r.status, v && v.error, (v && v.message) || r.statusText, v);
      return v;
    });
  });
}

// Says `text` in the page's notice line (an error in red), which stays in
// sight at the top of the window however far down the form that asked is; a
// success fades after a few seconds, an error stays until the next notice.
function cagnotteNotice(text, isError) {
  "use strict";
  var n = document.getElementById("notice");
  n.textContent = text;
  n.className = "notice";
  void n.offsetWidth; // a new notice fades from the start again
  n.className = "notice" + (isError ? " error" : " fades");
  n.hidden = !text;
}
//
// The API's refusals said in the page's language:
// `cagnotteExplain(lang, error, money)` with `error` an object
// holding `code`, `message` (the API's sentence) and `body` (the whole answer,
// whose `max`, `used`, `amount`, `expected`, `field` and `retry_after` the
// sentences name), and `money(minor)` writing an amount in the campaign's
// currency (or null when the page has none to write it in). A code not listed
// keeps the API's own sentence.
var cagnotteExplain = (function () {
  "use strict";
  // The API's field names, as the French forms call them.
  var FIELDS = {
    name: "nom", charity: "association", host: "hôte", title: "titre", platform: "plateforme", sponsor: "sponsor",
    donor: "donateur", message: "message", label: "libellé", duration_minutes: "durée", delay_seconds: "délai",
    words: "mots masqués", question: "question", options: "options", minutes: "minutes",
    prize: "lot", tag: "mot-clé", quantity: "quantité"
  };
  var SAID = {
    fr: {
      cap_below_used: function (b, m) { return "le plafond ne peut pas descendre sous ce que cet abondement a déjà versé (" + m(b.used) + ")."; },
      refund_out_of_range: function (b, m) { return "le remboursement va de " + m(1) + " au montant du don (" + m(b.amount) + ")."; },
      amount_too_large: function (b, m) { return "montant trop élevé\u00a0: " + m(b.max) + " au plus."; },
      rate_limited: function (b) { return "trop de demandes d'un coup\u00a0: réessayez dans " + b.retry_after + " s."; },
      invalid_field: function (b) {
        if (b.field === "tag") return "le mot-clé doit avoir des lettres (des chiffres seuls se liraient comme le numéro d'une option de sondage).";
        if (b.field === "quantity") return "la quantité va de 1 à 10 000 (vide\u00a0: sans limite).";
        return "le champ «\u00a0" + (FIELDS[b.field] || b.field) + "\u00a0» est refusé\u00a0: vide, trop long ou avec un caractère invisible.";
      },
      too_many_rewards: function (b) {
        return "ce live propose déjà " + b.max + " contreparties\u00a0: cliquez «\u00a0Ne plus proposer\u00a0» sur l'une d'elles d'abord.";
      },
      currency_mismatch: function (b) { return "la devise doit être celle de la campagne (" + b.expected + ")."; },
      invalid_query: function (b) { return "recherche trop longue\u00a0: " + b.max + " caractères au plus."; },
      invalid_amount: "montant invalide\u00a0: un nombre positif, avec au plus les décimales de la devise.",
      invalid_currency: "devise inconnue\u00a0: un code à trois lettres comme EUR, GBP ou USD.",
      storage_unavailable: "le serveur n'a pas pu écrire sur son disque\u00a0: rien n'a été enregistré. Réessayez plus tard.",
      shutting_down: "le serveur s'arrête\u00a0: réessayez dans un instant.",
      invalid_url: "l'adresse doit être une URL complète, qui commence par «\u00a0http\u00a0» ou «\u00a0https\u00a0».",
      invalid_time: "date invalide, ou une fin qui ne vient pas après le début.",
      invalid_ratio: "ratio invalide\u00a0: deux nombres entiers de 1 à 1000.",
      invalid_provider: "prestataire inconnu\u00a0: Stripe, Tiltify, Ko-fi, HelloAsso, Twitch ou générique.",
      invalid_secret: "secret invalide\u00a0: 16 à 512 caractères visibles, sans espace (pour Twitch, 100 au plus).",
      id_taken: "cet identifiant est déjà pris.",
      totals_overflow: "les totaux dépasseraient ce que le serveur peut compter.",
      nothing_to_hide: "rien à masquer\u00a0: choisissez le nom, le message ou les deux.",
      nothing_to_show: "rien à réafficher\u00a0: choisissez le nom, le message ou les deux.",
      nothing_to_rotate: "rien à remplacer\u00a0: choisissez la clé, le lien d'overlay ou le lien hôte.",
      moderator_name_taken: "l'hôte a déjà un modérateur de ce nom\u00a0: choisissez-en un autre (ou retirez d'abord son lien).",
      too_many_moderators: function (b) { return "ce live a déjà " + b.max + " modérateurs à leur nom\u00a0: retirez d'abord le lien de l'un d'eux."; },
      moderator_not_found: "ce modérateur est introuvable (son lien est déjà retiré\u00a0?). Rechargez la page.",
      donor_not_found: "aucun don ne porte encore ce nom (tel qu'il a été donné, sans tenir compte des majuscules).",
      host_not_found: "aucun live de cette campagne n'a cet hôte.",
      invalid_vote: "ce sondage n'a pas cette option.",
      idempotency_conflict: "cette clé d'idempotence a déjà servi pour une autre demande.",
      unauthorized: "cette clé ou ce lien ne fonctionne plus (remplacé ou retiré)\u00a0: demandez-en un nouveau.",
      internal: "le serveur a rencontré une erreur. Réessayez, et prévenez les organisateurs si elle revient.",
      donation_refunded: "ce don a été remboursé\u00a0: son alerte n'est plus montrée.",
      text_pending: "le texte de ce don attend d'être validé\u00a0: validez-le ou masquez-le d'abord.",
      challenge_over: "ce défi est terminé\u00a0: réussi, annulé ou son temps écoulé.",
      challenge_too_short: function (b) { return "ce défi dure depuis " + b.elapsed_minutes + " min\u00a0: donnez-lui une durée plus longue (comptée depuis son lancement)."; },
      challenge_not_found: "ce défi est introuvable. Rechargez la page.",
      milestone_not_found: "ce palier est introuvable (déjà retiré\u00a0?). Rechargez la page.",
      milestone_reached: "ce palier est déjà atteint\u00a0: il reste affiché.",
      invalid_options: "un sondage a de 2 à 6 options, toutes différentes.",
      poll_open: "un sondage est déjà en cours sur ce live\u00a0: clôturez-le d'abord.",
      poll_over: "ce sondage est déjà clos.",
      poll_too_short: function (b) { return "ce sondage dure depuis " + b.elapsed_minutes + " min\u00a0: donnez-lui une durée plus longue (comptée depuis son lancement)."; },
      poll_not_found: "ce sondage est introuvable. Rechargez la page.",
      reward_closed: "cette contrepartie n'est déjà plus proposée.",
      reward_open: "cette contrepartie est déjà proposée.",
      quantity_below_claimed: "des dons ont déjà pris plus de cette contrepartie\u00a0: sa quantité ne peut pas descendre en dessous.",
      tag_taken: "une autre contrepartie proposée a déjà ce mot-clé\u00a0: choisissez-en un autre.",
      reward_not_found: "cette contrepartie est introuvable. Rechargez la page.",
      claim_not_found: "ce don n'a pris aucune contrepartie. Rechargez la page.",
      invalid_reward: "ce live ne propose pas cette contrepartie.",
      no_entries: "aucun don de ce live ne participe à ce tirage (montant minimum, minutes, gagnants déjà tirés).",
      live_on_air: "ce live est déjà en direct.",
      live_not_on_air: "ce live n'est pas en direct\u00a0: il n'a pas commencé, ou il est terminé.",
      live_cancelled: "ce live a été annulé par les organisateurs.",
      live_too_long: function (b) { return "un live dure " + (b.max / 60) + " heures au plus."; },
      campaign_not_found: "cette campagne n'existe plus. Rechargez la page.",
      live_not_found: "ce live n'existe plus. Rechargez la page.",
      donation_not_found: "ce don est introuvable. Rechargez la page.",
      match_not_found: "cet abondement n'existe plus. Rechargez la page.",
      integration_not_found: "cette intégration n'existe plus. Rechargez la page.",
      subscriber_not_found: "ce destinataire n'existe plus. Rechargez la page.",
      forbidden: "cette clé ou ce jeton ne permet pas cette action.",
      invalid_json: "la demande envoyée n'était pas lisible. Rechargez la page.",
      invalid_body: "la demande envoyée n'était pas complète. Rechargez la page.",
      csrf: "la page a perdu sa session\u00a0: rechargez-la.",
      media_too_large: "fichier trop lourd\u00a0: 8 Mo au plus.",
      unsupported_media: "ce fichier n'est ni une image PNG, GIF, JPEG ou WebP, ni un son MP3, Ogg, WAV, FLAC ou M4A.",
      media_library_full: "la bibliothèque de la campagne est pleine (100 fichiers ou 256 Mo)\u00a0: retirez-en un d'abord.",
      media_not_found: "ce fichier est introuvable (déjà retiré\u00a0?). Rechargez la page.",
      name_too_long: "nom de fichier trop long\u00a0: 80 caractères au plus.",
      invalid_name: "nom de fichier refusé\u00a0: il contient un caractère invisible.",
      export_columns: function (b) {
        var among = b.columns && b.columns.length ? " parmi " + b.columns.join(", ") : "";
        return b.field === "donor" || b.field === "message" || b.field === "date"
          ? "la colonne choisie pour " + { donor: "le donateur", message: "le message", date: "la date" }[b.field] +
            " n'est pas dans cet export\u00a0: choisissez-en une" + among + "."
          : b.field === "amount" || b.field === "reference"
          ? "la colonne " + (b.field === "amount" ? "du montant" : "de la référence du paiement") +
            " n'a pas été trouvée dans cet export\u00a0: choisissez-la" + among + "."
          : "les colonnes de la référence et du montant n'ont pas été trouvées dans cet export\u00a0: choisissez-les" + among + ".";
      },
      invalid_export: function (b) {
        return b.line ? "la ligne " + b.line + " de l'export n'a pas de montant lisible." : "ce fichier n'est pas un export CSV lisible (enregistrez-le en CSV UTF-8).";
      }
    },
    en: {
      cap_below_used: function (b, m) { return "the cap cannot go below what this match already gave (" + m(b.used) + ")."; },
      refund_out_of_range: function (b, m) { return "the refund goes from " + m(1) + " to the donation's amount (" + m(b.amount) + ")."; },
      amount_too_large: function (b, m) { return "amount too large: " + m(b.max) + " at most."; },
      export_columns: function (b) {
        var among = b.columns && b.columns.length ? " among " + b.columns.join(", ") : "";
        return b.field === "donor" || b.field === "message" || b.field === "date"
          ? "the column chosen for the " + b.field + " is not in this export: choose one" + among + "."
          : b.field === "amount" || b.field === "reference"
          ? "the " + (b.field === "amount" ? "amount" : "payment reference") + " column was not found in this export: choose it" + among + "."
          : "the reference and amount columns were not found in this export: choose them" + among + ".";
      }
    }
  };
  return function (lang, e, money) {
    var said = SAID[lang === "en" ? "en" : "fr"][e.code];
    if (typeof said !== "function") return said || e.message;
    var b = e.body || {};
    if (!money && ("used" in b || "amount" in b || "max" in b)) return e.message;
    return said(b, money);
  };
})();

// The length, in whole minutes from its start, that gives a challenge or a
// poll (`x`: its `created_at`, `ends_at`) five more minutes; a poll without a
// deadline then closes five minutes from now.
function cagnotteFiveMore(x) {
  "use strict";
  var end = x.ends_at ? Date.parse(x.ends_at) : cagnotteNow();
  return Math.round((end - Date.parse(x.created_at)) / 60000) + 5;
}

// What the forms that change a challenge or a poll on air say (the host's
// space and the dashboard).
var cagnotteEditWords = {
  fr: {
    edit: "Modifier", saveChallenge: "Enregistrer le défi",
    editingChallengeTitle: "Modifier le défi en cours", editingPollTitle: "Modifier le sondage en cours",
    editingChallenge: function (m) { return "Modifiez le défi puis enregistrez\u00a0: sa durée compte depuis son lancement (il dure depuis " + m + " min)."; },
    savePoll: "Enregistrer le sondage",
    editingPoll: function (m) { return "Modifiez la question ou la durée puis enregistrez\u00a0: les options restent (elles comptent déjà des dons), la durée compte depuis son lancement (il dure depuis " + m + " min)."; }
  },
  en: {
    edit: "Edit", saveChallenge: "Save the challenge",
    editingChallengeTitle: "Change the challenge on air", editingPollTitle: "Change the poll on air",
    editingChallenge: function (m) { return "Change the challenge, then save: its length counts from its start (it has run " + m + " min)."; },
    savePoll: "Save the poll",
    editingPoll: function (m) { return "Change the question or the length, then save: the options stay (gifts already count for them), the length counts from its start (it has run " + m + " min)."; }
  }
};

// A challenge's or a poll's form (`kind`: "challenge", "poll") that also
// changes one on air: `edit(x)` fills it with x's terms (a poll's options shown
// and kept: gifts count for them; a length in whole minutes from its start),
// relabels `submit` and says how to save; `keep` ("Annuler la modification")
// and `leave()` put it back to a new one. While it changes one, its id is
// `form.dataset.editing`, and `o.heading`, when given (the dashboard's box's
// summary), says so. `amountText(minor)` writes an amount as the form reads it.
function cagnotteEditable(kind, form, submit, keep, o) {
  "use strict";
  var W = cagnotteEditWords[o.lang], e = form.elements, label = submit.textContent, poll = kind === "poll";
  var title = o.heading && o.heading.textContent;
  function leave() {
    delete form.dataset.editing;
    if (poll) {
      e.question.value = "";
      e.options.value = "";
      e.options.readOnly = false;
      e.minutes.value = "";
    } else {
      e.label.value = "";
      e.amount.value = "";
      e.minutes.value = e.minutes.defaultValue;
    }
    submit.textContent = label;
    if (o.heading) o.heading.textContent = title;
    keep.hidden = true;
  }
  keep.addEventListener("click", function () { leave(); o.said("", false); });
  function edit(x) {
    var start = Date.parse(x.created_at), ran = Math.floor((cagnotteNow() - start) / 60000);
    if (poll) {
      e.question.value = x.question;
      e.options.value = x.options.map(function (p) { return p.label; }).join("\n");
      e.options.readOnly = true;
    } else {
      e.label.value = x.label;
      e.amount.value = o.amountText(x.amount - x.from);
    }
    e.minutes.value = x.ends_at ? Math.round((Date.parse(x.ends_at) - start) / 60000) : "";
    form.dataset.editing = x.id;
    submit.textContent = poll ? W.savePoll : W.saveChallenge;
    if (o.heading) o.heading.textContent = poll ? W.editingPollTitle : W.editingChallengeTitle;
    keep.hidden = false;
    o.said(poll ? W.editingPoll(ran) : W.editingChallenge(ran), false);
    (poll ? e.question : e.label).focus();
  }
  return { edit: edit, leave: leave };
}

// What a draw's answer says to the organisers or the host: its winner
// (`T.drawn`), or its winners when several were asked for (`T.drawnMany`),
// each named by `name(winner)`.
function cagnotteDrawnSaid(answer, T, name) {
  "use strict";
  if (!answer.draws) return T.drawn(name(answer.winner));
  return T.drawnMany(answer.draws.map(function (x) { return name(x.winner); }));
}

// A page's load, one at a time: asked for while one is on its way, it runs once
// more after it, and whoever asked meanwhile waits for that one (what they just
// did may be missing from the one on its way).
function cagnotteOneLoad(run) {
  var loading = null, queued = null;
  function load() {
    if (loading) {
      if (!queued) {
        queued = loading.catch(function () { /* said to its own caller */ }).then(function () {
          queued = null;
          return load();
        });
      }
      return queued;
    }
    loading = Promise.resolve().then(run).finally(function () { loading = null; });
    return loading;
  }
  return load;
}

// Whether this click on `b` confirms its action: the first click arms it (its
// text asks to confirm; `armed[key]` remembers it, so a redrawn button stays
// armed) and answers false; the second disarms it and answers true.
function cagnotteSecondClick(armed, key, b, confirmText) {
  "use strict";
  if (!b.dataset.armed) {
    armed[key] = true;
    cagnotteArm(b, confirmText);
    return false;
  }
  delete armed[key];
  return true;
}

// Arms `b` (`data-armed`): it reads `confirmText`, and its name still says
// what it confirms ("Confirmer ? Rembourser — Zoé, 37,50 €").
function cagnotteArm(b, confirmText) {
  "use strict";
  if (b.dataset.armed) return;
  var named = b.getAttribute("aria-label");
  b.cagnotteWas = { text: b.textContent, label: named };
  b.dataset.armed = "1";
  b.textContent = confirmText;
  b.setAttribute("aria-label", confirmText + " " + (named || b.cagnotteWas.text));
}
// Takes back `b`'s first click: it reads `text`, else what it read before.
function cagnotteUnarm(b, text) {
  "use strict";
  delete b.dataset.armed;
  var was = b.cagnotteWas;
  b.cagnotteWas = null;
  if (text !== undefined) b.textContent = text;
  else if (was) b.textContent = was.text;
  if (was && was.label) b.setAttribute("aria-label", was.label);
  else if (was) b.removeAttribute("aria-label");
}
// Escape on an armed button of `root`, or the focus going from it to another
// control, takes its first click back: `disarm(b)` forgets it and puts the
// button back as it was.
function cagnotteDisarming(root, disarm) {
  "use strict";
  root.addEventListener("keydown", function (ev) {
    var b = ev.target;
    if (ev.key !== "Escape" || !b.dataset || !b.dataset.armed) return;
    ev.preventDefault();
    disarm(b);
  });
  root.addEventListener("focusout", function (ev) {
    var b = ev.target;
    if (b.dataset && b.dataset.armed && ev.relatedTarget && ev.relatedTarget !== b) disarm(b);
  });
}

// Runs `request()` (a promise) for the button `b` unless its last one is still
// on its way: meanwhile the button says it is busy (`aria-disabled`) and
// keeps the focus, which a disabled button would drop to the page's body.
// Answers the request's promise (when `b` was busy, one kept without sending
// anything: "busy").
function cagnotteBusy(b, request) {
  "use strict";
  if (b.getAttribute("aria-disabled") === "true") return Promise.resolve("busy");
  b.setAttribute("aria-disabled", "true");
  b.dataset.busy = "1";
  var done = function () {
    b.removeAttribute("aria-disabled");
    delete b.dataset.busy;
  };
  var run = Promise.resolve().then(request);
  run.then(done, done);
  return run;
}
// Whether `b`'s request is on its way (`cagnotteBusy`).
function cagnotteIsBusy(b) {
  "use strict";
  return b.getAttribute("aria-disabled") === "true";
}

// A copy button's name, saying what it copies: "Copier\u00a0: Lien du dock".
function cagnotteWhatCopied(lang, copy, what) {
  "use strict";
  return copy + (lang === "en" ? ": " : "\u00a0: ") + what;
}
// Names the copy button `button` by the label of the field `input` it copies
// (the label's own words, not the field's), else by `what`.
function cagnotteNameCopy(lang, button, input, what) {
  "use strict";
  var label = input.closest("label"), text = "";
  if (label) {
    Array.prototype.forEach.call(label.childNodes, function (n) {
      if (!(n.classList && n.classList.contains("copy-row"))) text += n.textContent;
    });
  }
  text = text.replace(/\s+/g, " ").trim() || what || "";
  if (text) button.setAttribute("aria-label", cagnotteWhatCopied(lang, button.textContent.trim(), text));
}

// Copies an input's text to the clipboard (selecting it where the clipboard
// API is not offered, a page served over plain HTTP to another machine), then
// calls `done`.
function cagnotteCopy(input, done) {
  "use strict";
  var fallback = function () {
    input.select();
    try { document.execCommand("copy"); } catch (err) { /* selected: the user can copy it */ }
    done();
  };
  if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(input.value).then(done, fallback);
  else fallback();
}

// The `<iframe>` code of a website counter at `path` (this server's), titled
// `title` (escaped for the attribute), at the counter's 360 × 230.
function cagnotteEmbedCode(path, title) {
  "use strict";
  var escaped = String(title).replace(/[&"<>]/g, function (x) {
    return { "&": "&amp;", '"': "&quot;", "<": "&lt;", ">": "&gt;" }[x];
  });
  return '<iframe src="' + location.origin + path + '" width="360" height="230" style="border:0" title="' + escaped +
    '"></iframe>';
}

// A cell of class `cls` holding `text`, added to the row `tr`.
function cagnotteCell(tr, cls, text) {
  "use strict";
  var td = document.createElement("td");
  td.className = cls;
  td.textContent = text;
  tr.appendChild(td);
  return td;
}

// A donation's donor and message cells as organisers and hosts see them: the
// real text, marked anonymous or hidden (`labels.anonymous`, `labels.hidden`).
function cagnotteTextCells(tr, d, labels) {
  "use strict";
  var cell = function (cls, text) { return cagnotteCell(tr, cls, text); };
  var badge = function (td, text) {
    var b = document.createElement("small");
    b.className = "badge";
    b.textContent = text;
    td.appendChild(b);
  };
  var who = cell("donor", d.donor_name || "—");
  if (d.erased) badge(who, labels.erased);
  if (d.anonymous) badge(who, labels.anonymous);
  if (d.donor_hidden) badge(who, labels.hidden);
  var msg = cell("message", d.message_text || "");
  if (d.message_hidden) badge(msg, labels.hidden);
}

// A donation's state in its row's cell (`labels.st_…`), and under it who last
// approved, hid or showed its text (`moderated_by`): "par Léa", "par l'hôte".
var cagnotteByWords = {
  fr: { by: "par ", admin: "l'organisation", key: "la clé du live", host: "l'hôte", moderator: "un modérateur" },
  en: { by: "by ", admin: "the organisers", key: "the live's key", host: "the host", moderator: "a moderator" }
};
function cagnotteStatusCell(tr, status, d, labels) {
  "use strict";
  var td = cagnotteCell(tr, "status", labels["st_" + status] || status);
  var a = d.moderated_by;
  if (a) {
    var w = cagnotteByWords[document.documentElement.lang === "en" ? "en" : "fr"];
    var by = document.createElement("small");
    by.className = "by";
    by.textContent = w.by + (a.name || w[a.role] || a.role);
    td.appendChild(by);
  }
  return td;
}

// A host's moderators by name in the list `ul`: each one's name, since when
// (`when(iso)`) and the button that takes their link back (`button(act, id,
// label)`, act `remove-moderator`); `labels`: `noModerators`,
// `moderatorSince(date)`, `removeModerator`.
function cagnotteModerators(ul, list, labels, when, button) {
  "use strict";
  var make = function (tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  };
  cagnotteRedraw(ul, function (ul) {
    if (!list.length) ul.appendChild(make("li", "help", labels.noModerators));
    list.forEach(function (m) {
      var li = make("li");
      li.dataset.id = m.id;
      li.appendChild(make("strong", null, m.name));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(make("span", "badge", labels.moderatorSince(when(m.created_at))));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(button("remove-moderator", m.id, labels.removeModerator));
      ul.appendChild(li);
    });
  });
}

// Redraws `box` (a list, a table's body) with what `fill(copy)` puts into an
// empty copy of it, keeping each row already drawn whose elements are the
// same but for their texts (found by its `data-id`, else by its place): a
// page redrawn at every gift or every second does not swap a button under the
// pointer for its double, which loses a click pressed on one and released on
// the other. A row kept is never moved (moving a node takes its focus away):
// a changed row takes the place of the one it replaces, rows gone are taken
// out first, and new ones are put between those kept. When the focus was in a
// row that is drawn anew or taken out, it goes to the same control of the row
// drawn anew, else to the first control of the next row (else of the one
// before), else to the list's heading. The copy's `drawnIn` is `box`, whose
// table `fill` may read.
function cagnotteRedraw(box, fill) {
  "use strict";
  var next = box.cloneNode(false);
  next.drawnIn = box;
  fill(next);
  function key(n, i) { return n.nodeType === 1 && n.dataset.id ? "id:" + n.dataset.id : "at:" + i; }
  // A button busy with its request (`cagnotteBusy`) is the same button.
  function attrs(a) {
    return Array.prototype.filter.call(a.attributes, function (x) { return x.name !== "aria-disabled" && x.name !== "data-busy"; });
  }
  function same(a, b) {
    if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName || a.childNodes.length !== b.childNodes.length) return false;
    if (a.nodeType === 1) {
      var mine = attrs(a);
      if (mine.length !== attrs(b).length) return false;
      for (var i = 0; i < mine.length; i++) {
        if (b.getAttribute(mine[i].name) !== mine[i].value) return false;
      }
      if ("value" in a && a.value !== b.value || a.checked !== b.checked) return false;
    }
    for (var k = 0; k < a.childNodes.length; k++) if (!same(a.childNodes[k], b.childNodes[k])) return false;
    return true;
  }
  function texts(a, b) {
    if (a.nodeType === 3) { if (a.nodeValue !== b.nodeValue) a.nodeValue = b.nodeValue; return; }
    for (var k = 0; k < a.childNodes.length; k++) texts(a.childNodes[k], b.childNodes[k]);
  }
  // Where the focus is, by its row and its control, to find it again.
  var focus = cagnotteFocusSpot(box);
  var old = {};
  Array.prototype.forEach.call(box.childNodes, function (n, i) { old[key(n, i)] = n; });
  // A list that holds its new rows (`cagnotteHoldNew`), under a mouse pointer
  // already on one of its rows or while the keyboard's focus is in it (a
  // button clicked keeps a focus too, not shown, once the mouse is gone):
  // they wait until the pointer or the focus leaves, so that the row under it
  // stays the one it was put on and the focused one stays in sight.
  var hold = !!box.cagnotteHeld && (!!box.cagnotteMouse && !!box.querySelector("[data-id]:hover") ||
    box.contains(document.activeElement) && document.activeElement !== box && document.activeElement.matches(":focus-visible"));
  // Only those that would come before the first row already drawn: rows added
  // below it ("Afficher 20 de plus") move nothing.
  var held = 0, below = false, want = [];
  Array.prototype.slice.call(next.childNodes).forEach(function (n, i) {
    var k = key(n, i), o = old[k];
    if (hold && !below && k.indexOf("id:") === 0 && !o) { held++; return; }
    if (o) below = true;
    delete old[k];
    if (!o) { want.push(n); return; }
    if (same(o, n)) { texts(o, n); want.push(o); return; }
    // Drawn anew where it was.
    box.replaceChild(n, o);
    want.push(n);
  });
  Object.keys(old).forEach(function (k) { box.removeChild(old[k]); });
  // The rows kept stay where they are if they keep their order (as rows do);
  // else only those out of the longest run in order are moved.
  var stay = cagnotteInOrder(want, box);
  var at = null;
  for (var w = want.length - 1; w >= 0; w--) {
    if (!stay[w] && (want[w].nextSibling !== at || want[w].parentNode !== box)) box.insertBefore(want[w], at);
    at = want[w];
  }
  if (box.cagnotteHeld !== undefined) {
    box.cagnotteFill = fill;
    box.cagnotteHeld(held);
  }
  cagnotteFocusBack(focus);
}

// Which of the nodes `want` already in `box` may stay where they are: the
// longest run of them already in the wanted order (by index in `want`).
function cagnotteInOrder(want, box) {
  "use strict";
  var place = new Map();
  Array.prototype.forEach.call(box.childNodes, function (n, i) { place.set(n, i); });
  // Patience sorting over the places of the nodes in `box`.
  var tails = [], prev = [];
  want.forEach(function (n, w) {
    if (!place.has(n)) return;
    var p = place.get(n), lo = 0, hi = tails.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (place.get(want[tails[mid]]) < p) lo = mid + 1; else hi = mid; }
    prev[w] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = w;
  });
  var stay = {};
  for (var w = tails.length ? tails[tails.length - 1] : -1; w >= 0; w = prev[w]) stay[w] = true;
  return stay;
}

// Where the focus is in `box`: its row (a child of `box`, by its `data-id`),
// which control of the row (its `data-act`, `data-claim`, name or id, and its
// place among the row's controls), and the rows around it; null when the
// focus is elsewhere.
function cagnotteFocusSpot(box) {
  "use strict";
  var at = document.activeElement;
  if (!at || at === box || !box.contains(at)) return null;
  var row = at;
  while (row.parentNode !== box) row = row.parentNode;
  var controls = cagnotteControls(row);
  var ids = function (from, step) {
    var out = [];
    for (var n = from[step]; n; n = n[step]) if (n.dataset && n.dataset.id) out.push(n.dataset.id);
    return out;
  };
  return {
    box: box, node: at, row: row.dataset && row.dataset.id, what: cagnotteControlKey(at),
    place: controls.indexOf(at), next: ids(row, "nextElementSibling"), prev: ids(row, "previousElementSibling")
  };
}
var CAGNOTTE_CONTROLS = "button:not([hidden]), input:not([type=hidden]), select, textarea, a[href], [tabindex]:not([tabindex='-1'])";
function cagnotteControls(row) {
  "use strict";
  return Array.prototype.filter.call(row.querySelectorAll(CAGNOTTE_CONTROLS), function (n) {
    return !n.disabled && n.getClientRects().length > 0;
  });
}
function cagnotteControlKey(n) {
  "use strict";
  var d = n.dataset || {};
  return d.act ? "act:" + d.act : d.claim ? "claim:" + d.claim : n.name ? "name:" + n.name : n.id ? "id:" + n.id : "";
}

// Puts the focus back where `spot` (`cagnotteFocusSpot`) says, when it fell
// out of its list (to the page's body): the same control of its row drawn
// anew (else the one at its place in the row), else the first control of the
// next row with one, else of the row before, else the list's heading.
function cagnotteFocusBack(spot) {
  "use strict";
  if (!spot) return;
  var at = document.activeElement;
  if (at && at !== document.body && at !== document.documentElement && at.isConnected) return;
  var box = spot.box;
  var row = function (id) {
    return Array.prototype.filter.call(box.children, function (n) { return n.dataset && n.dataset.id === id; })[0];
  };
  var first = function (ids) {
    for (var i = 0; i < ids.length; i++) {
      var r = row(ids[i]), c = r && cagnotteControls(r)[0];
      if (c) return c;
    }
    return null;
  };
  var target = null, mine = spot.row !== undefined && row(spot.row);
  if (mine) {
    var controls = cagnotteControls(mine);
    // The same action, else its other half ("Masquer le nom" drawn again as
    // "Réafficher le nom", "Ne plus proposer" as "Proposer à nouveau").
    var other = spot.what.replace(/^act:(hide|show|close|reopen)-/, function (all, verb) {
      return "act:" + { hide: "show", show: "hide", close: "reopen", reopen: "close" }[verb] + "-";
    });
    target = controls.filter(function (c) { return spot.what && cagnotteControlKey(c) === spot.what; })[0] ||
      controls.filter(function (c) { return spot.what && cagnotteControlKey(c) === other; })[0] ||
      controls[Math.min(spot.place, controls.length - 1)] || null;
  }
  target = target || first(spot.next) || first(spot.prev) || cagnotteHeading(box);
  if (target) target.focus();
}

// The heading said before a list (its own, or its section's), focusable from
// a script.
function cagnotteHeading(box) {
  "use strict";
  for (var n = box; n && n !== document.body; n = n.parentNode) {
    for (var s = n.previousElementSibling; s; s = s.previousElementSibling) {
      if (/^H[1-6]$/.test(s.tagName) || s.tagName === "SUMMARY") {
        if (s.tagName !== "SUMMARY" && !s.hasAttribute("tabindex")) s.tabIndex = -1;
        return s;
      }
    }
  }
  return null;
}

// Makes `box` (a list drawn through `cagnotteRedraw`) hold its new rows while a
// mouse pointer is on one of its rows, or while the keyboard's focus is in it: a gift
// coming at the moment a button is clicked does not push another row under
// it, nor a focused button out of sight. A line before `box`'s table (or
// `box`) says how many wait (`words.heldNew`); they come when the pointer or
// the focus leaves. Only for a mouse (a finger on a phone leaves no pointer
// behind).
function cagnotteHoldNew(box, words) {
  "use strict";
  var at = box.closest(".table-wrap") || box;
  var line = document.createElement("p");
  line.className = "help held-new";
  line.setAttribute("role", "status");
  line.hidden = true;
  at.parentNode.insertBefore(line, at);
  box.cagnotteHeld = function (n) {
    line.hidden = !n;
    line.textContent = n ? words.heldNew(n) : "";
  };
  var release = function () {
    if (!line.hidden && box.cagnotteFill) cagnotteRedraw(box, box.cagnotteFill);
  };
  box.addEventListener("pointermove", function (ev) { box.cagnotteMouse = ev.pointerType === "mouse"; });
  box.addEventListener("pointerleave", function () {
    box.cagnotteMouse = false;
    release();
  });
  // The focus gone elsewhere in the page (not back into the list, as when a
  // row drawn anew gives it back; a window left keeps its focused element).
  box.addEventListener("focusout", function () {
    setTimeout(function () { if (!box.contains(document.activeElement)) release(); }, 0);
  });
}

// "de" before a name, elided before a vowel or a mute h's sound as French
// writes it ("d'Entreprise X", "d'Inès", "de Hugo": an h is left as it is).
function cagnotteDe(name) {
  return (/^[aeiouyàâäéèêëîïôöùûüAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜ]/.test(name) ? "d'" : "de ") + name;
}

// The payment providers as people name them.
var cagnotteProviders = { stripe: "Stripe", helloasso: "HelloAsso", kofi: "Ko-fi", tiltify: "Tiltify", twitch: "Twitch Charity" };

// A donation's row as the organisers' table and the charity's show it, but
// for its actions: when, the live's host, the donor and message
// (`cagnotteTextCells`), the amount (a part given back in a badge), what was
// matched and its state (also the row's `data-status`); `money(minor)`,
// `when(iso)` and `labels` (`partRefunded`, `st_…` and `cagnotteTextCells`'s).
function cagnotteDonationRow(d, money, when, labels) {
  "use strict";
  var tr = document.createElement("tr");
  var cell = function (cls, text) { return cagnotteCell(tr, cls, text); };
  var status = d.refunded ? "refunded" : d.moderation;
  tr.dataset.id = d.id;
  tr.dataset.status = status;
  var at = cell("when", when(d.at));
  if (d.reference) {
    // The payment's reference (the provider's payment id, or the API's
    // Idempotency-Key), for the charity's accounts: found by the search too.
    var ref = document.createElement("small");
    ref.className = "ref";
    ref.textContent = (cagnotteProviders[d.platform] || d.platform) + " · " + d.reference;
    at.appendChild(ref);
  }
  cell("host", d.host);
  cagnotteTextCells(tr, d, labels);
  var amount = cell("num amount", money(d.amount));
  if (!d.refunded && d.refunded_amount > 0) {
    // Given back in part (by the payment provider or the API).
    var b = document.createElement("small");
    b.className = "badge";
    b.textContent = labels.partRefunded + money(d.refunded_amount);
    amount.appendChild(b);
  }
  cell("num matched", d.matched ? money(d.matched) : "");
  cagnotteStatusCell(tr, status, d, labels);
  return tr;
}

// Under a campaign's list of `shown` donations of `count` (found by `search`
// when there is one): what it holds (`newest(shown, count)` when it is the
// newest page of all) and the button that shows `page` more
// (`#donations-more`, `#donations-count`, `#show-more`).
function cagnotteListMore(lang, shown, count, search, page, newest) {
  "use strict";
  var words = cagnotteListWords[lang];
  var more = document.getElementById("donations-more");
  more.hidden = !search && !(count > shown);
  document.getElementById("donations-count").textContent = search ? words.found(shown, count)
    : more.hidden ? "" : newest(shown, count);
  var next = Math.min(page, count - shown);
  var button = document.getElementById("show-more");
  button.hidden = !(next > 0);
  button.textContent = words.showMore(next);
}

// What a list of donations says under a search, and its "more" button, in the
// dashboard's and the host's space's words.
var cagnotteListWords = {
  fr: {
    found: function (n, all) {
      if (all === 0) return "Aucun don trouvé.";
      if (n < all) return "Les " + n + " plus récents des " + all.toLocaleString("fr-FR") + " dons trouvés.";
      return all + (all > 1 ? " dons trouvés." : " don trouvé.");
    },
    showMore: function (n) { return "Afficher " + n + " de plus"; },
    heldNew: function (n) {
      return (n > 1 ? n + " nouveaux dons arrivent" : "Un nouveau don arrive") + " quand vous quittez la liste.";
    }
  },
  en: {
    found: function (n, all) {
      if (all === 0) return "No donation found.";
      if (n < all) return "The " + n + " most recent of " + all.toLocaleString("en-US") + " donations found.";
      return all + (all === 1 ? " donation found." : " donations found.");
    },
    showMore: function (n) { return "Show " + n + " more"; },
    heldNew: function (n) {
      return (n > 1 ? n + " new donations show" : "A new donation shows") + " when you leave the list.";
    }
  }
};

// A search box: `changed(text)` 250 ms after its text last changed, on typing,
// on the box's own clear button, and on `change` when it is emptied otherwise;
// the form itself is never sent.
function cagnotteSearchBox(form, changed) {
  var timer = null;
  function later(ev) {
    clearTimeout(timer);
    timer = setTimeout(function () { changed(ev.target.value.trim()); }, 250);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
}

// "10,50", "10.5", "1 000" typed in a form -> minor units of a currency with
// `exp` decimals, exactly (no float arithmetic); "" -> null; anything else, or
// zero, -> NaN.
function cagnotteMinor(text, exp) {
  var s = String(text || "").replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
  if (s === "") return null;
  var m = /^(\d{1,12})(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] || "").length > exp) return NaN;
  var frac = m[2] || "";
  while (frac.length < exp) frac += "0";
  var v = parseInt(m[1] + frac, 10);
  return v > 0 ? v : NaN;
}

// The key of a space opened with its link (`…#key=…`; a fragment never
// reaches a server), the host's or the charity's: taken out of the address bar
// at once and kept in this tab only, `sessionStorage` under `name` (this page's
// memory when storage is off). The page's sign-in form (`parts::key_signin`)
// asks for it when none is kept, its "forget" button drops it; `changed(key)`
// hears each new key, and `null` when the page signs out. `key`: the key kept
// at first; `keep(key)` keeps another; `signedOut(bad)` shows the form again,
// saying the key was refused when `bad`.
function cagnotteSpaceKey(name, badKey, changed) {
  "use strict";
  var fromLink = /(?:^#|&)key=([^&]+)/.exec(location.hash), kept = null;
  function el(id) { return document.getElementById(id); }
  function store(f) { try { return f(sessionStorage); } catch (e) { return null; } }
  function keep(k) { store(function (s) { s.setItem(name, k); }); }
  if (fromLink) {
    kept = decodeURIComponent(fromLink[1]);
    keep(kept);
    history.replaceState(null, "", location.pathname + location.search);
  }
  kept = store(function (s) { return s.getItem(name); }) || kept;
  function signedOut(bad) {
    store(function (s) { s.removeItem(name); });
    el("app").hidden = true;
    el("forget").hidden = true;
    el("signin").hidden = false;
    el("signin-error").hidden = !bad;
    el("signin-error").textContent = bad ? badKey : "";
    cagnotteNotice("", false);
    document.body.dataset.state = "signed-out";
    changed(null);
  }
  el("signin-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var k = el("signin-key").value.trim();
    el("signin-key").value = "";
    keep(k);
    changed(k);
  });
  el("forget").addEventListener("click", function () { signedOut(false); });
  return { key: kept, keep: keep, signedOut: signedOut };
}

// A host's or the charity's space link (`…#key=…`) that opens the page in `lang`.
function cagnotteHostLink(url, lang) {
  var cut = url.indexOf("#");
  return url.slice(0, cut) + "?lang=" + lang + url.slice(cut);
}

// In-page links (the sections' line, "Passer la liste des dons") move the
// focus and the view to their target without touching the address's `#…`,
// which holds the dashboard's campaign (`#c=…`) or a host's key (`#key=…`): a
// reload after one still opens the same campaign, with the same key.
document.addEventListener("click", function (e) {
  var a = e.target.closest && e.target.closest("nav.sections a[href^='#'], a.skip[href^='#']");
  var target = a && document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
  if (!target) return;
  e.preventDefault();
  if (!target.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.nodeName)) target.tabIndex = -1;
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "start" });
});

// An overlay's link for OBS as a page in `lang` gives it: in English, the
// overlay speaks English (French is its own default).
function cagnotteOverlayLink(url, lang) {
  return lang === "en" ? url + "&lang=en" : url;
}

// What the dashboard and the host's space say of prize draws.
var cagnotteDrawWords = {
  fr: {
    entries: function (n, t) {
      return n + (n > 1 ? " participations" : " participation") + (t !== n ? ", " + t + " tickets" : "");
    },
    anonymous: "anonyme", anonymousWinner: "donateur anonyme",
    needMin: "Un ticket par tranche demande un don minimum."
  },
  en: {
    entries: function (n, t) {
      return n + (n === 1 ? " entry" : " entries") + (t !== n ? ", " + t + " tickets" : "");
    },
    anonymous: "anonymous", anonymousWinner: "anonymous donor",
    needMin: "One ticket per step needs a least donation."
  }
};

// A prize draw's winner as organisers and hosts see them: the name given (an
// anonymous donor's too, marked `labels.anonymous`) from their donation `d`
// with its real text when the page has it, else as viewers see it (`w`, the
// draw's), else `labels.anonymousWinner` (`labels`: a `cagnotteDrawWords` entry).
function cagnotteWinnerName(d, w, labels) {
  "use strict";
  var real = d ? d.donor_name : w.donor;
  return (real || labels.anonymousWinner) + (d && d.anonymous && real ? " (" + labels.anonymous + ")" : "");
}

// Finds draws' winning donations with their real text: `find(id)` among those
// the page holds, else once by id with `fetchOne(id)` (a promise of a donations
// list's answer), calling `found()` when it arrives. Returns the lookup.
function cagnotteWinners(find, fetchOne, found, fail) {
  "use strict";
  var fetched = {};
  return function (id) {
    var d = find(id) || fetched[id];
    if (d || fetched[id] === null) return d || null;
    fetched[id] = null;
    fetchOne(id).then(function (r) {
      fetched[id] = (r.donations || []).filter(function (x) { return x.id === id; })[0] || null;
      if (fetched[id]) found();
    }).catch(fail);
    return null;
  };
}

// What the dashboard and the host's space say of rewards.
var cagnotteRewardWords = {
  fr: {
    noReward: "Aucune contrepartie pour l'instant.", keywordHint: "à écrire dans le message du don",
    rewardOffered: function (tag) { return "Contrepartie proposée\u00a0: un don assez grand avec " + tag + " dans son message la prend."; },
    from: function (a) { return "dès " + a; }, taken: function (n) { return n + (n > 1 ? " prises" : " prise"); },
    left: function (n) { return n + (n > 1 ? " restantes" : " restante"); }, soldOut: "épuisée", unlimited: "sans limite",
    doneCount: function (n) { return n + (n > 1 ? " faites" : " faite"); },
    notOffered: "plus proposée", closeReward: "Ne plus proposer", confirm: "Confirmer\u00a0?",
    rewardClosed: "Contrepartie plus proposée\u00a0: celles déjà prises restent à faire.",
    noClaim: "Rien à faire pour l'instant\u00a0: les dons qui prennent une contrepartie s'ajoutent ici.",
    someone: "Anonyme", erased: "effacé à sa demande", claimDone: "Fait", claimRefunded: "remboursé",
    markedDone: "Marqué fait.", markedTodo: "Remis à faire.", badAmount: "Montant invalide\u00a0: ",
    todo: function (n) { return n ? n + " à faire" : ""; },
    why: { too_little: "don trop petit", none_left: "il n'en restait plus", closed: "plus proposée" },
    edit: "Modifier", save: "Enregistrer", cancel: "Annuler", reopen: "Proposer à nouveau", decimal: ",",
    fieldTitle: "Contrepartie", fieldAmount: "Don minimum", fieldQuantity: "Combien (vide\u00a0: sans limite)",
    fieldTag: "Mot-clé",
    rewardUpdated: "Contrepartie modifiée\u00a0: les dons à venir suivent ses nouvelles conditions, celles déjà prises restent.",
    rewardReopened: function (tag) { return "Contrepartie de nouveau proposée\u00a0: " + tag + " dans le message d'un don la prend."; }
  },
  en: {
    noReward: "No reward yet.", keywordHint: "to write in the donation's message",
    rewardOffered: function (tag) { return "Reward offered: a gift large enough with " + tag + " in its message claims it."; },
    from: function (a) { return "from " + a; }, taken: function (n) { return n + " claimed"; },
    left: function (n) { return n + " left"; }, soldOut: "none left", unlimited: "no limit",
    doneCount: function (n) { return n + " done"; },
    notOffered: "no longer offered", closeReward: "Stop offering", confirm: "Confirm?",
    rewardClosed: "Reward no longer offered: those claimed already are still to do.",
    noClaim: "Nothing to do yet: the gifts that claim a reward come here.",
    someone: "Anonymous", erased: "erased at their request", claimDone: "Done", claimRefunded: "refunded",
    markedDone: "Marked done.", markedTodo: "Back to do.", badAmount: "Invalid amount: ",
    todo: function (n) { return n ? n + " to do" : ""; },
    why: { too_little: "gift too small", none_left: "none were left", closed: "no longer offered" },
    edit: "Edit", save: "Save", cancel: "Cancel", reopen: "Offer again", decimal: ".",
    fieldTitle: "Reward", fieldAmount: "Least donation", fieldQuantity: "How many (empty: no limit)",
    fieldTag: "Keyword",
    rewardUpdated: "Reward changed: the gifts to come follow its new terms; those claimed already stay.",
    rewardReopened: function (tag) { return "Reward offered again: " + tag + " in a gift's message claims it."; }
  }
};

// A live's rewards as its host and the organisers handle them, in `o.box`: its
// form (`[data-rewards=form]`: title, least amount, quantity, keyword) offers
// one; the list (`[data-rewards=list]`) gives each one's keyword, least gift,
// how many were claimed, are left and were given, stops offering one still
// offered in two clicks, offers a closed one again, and changes one's terms
// ("Modifier": its title, least gift, quantity and keyword in a form of its
// own, kept open and as typed while the list is drawn again); the queue
// (`[data-rewards=claims]`) holds every claim, those to do first, oldest
// first, each ticked "Fait" once given (a refunded one is not to be done), and
// `[data-rewards=todo]` says how many are to do; `[data-rewards=missed]` (shown
// in `[data-rewards=missed-box]` when there are some) lists the gifts that
// named a reward without getting it, and why.
// `o.live`: the live's id; `o.request(method, path, payload)`: a call to the
// API with the page's credentials (a promise, as `cagnotteRequest`'s);
// `o.labels`: a `cagnotteRewardWords` entry; `o.money(minor)` writes an amount
// in the campaign's currency and `o.exp` is its number of decimals (to read
// one); `o.when(iso)`: a claim's time as the page writes it;
// `o.said(text, isError)`: the page's notice; `o.fail(error)`: a refusal, said
// as the page says them; `o.reload()`, if given, what the page reloads after a
// change (it shows the rewards again), else the rewards alone. Wired once per
// box; returns `{load, show}`: `load()` reads the live's rewards and shows
// them (a promise), `show(rewards)` shows those the page read itself.
function cagnotteRewards(o) {
  "use strict";
  var L = o.labels, box = o.box;
  var part = function (name) { return box.querySelector('[data-rewards="' + name + '"]'); };
  var path = "/api/v1/lives/" + encodeURIComponent(o.live) + "/rewards";
  var rewards = [];
  // Close buttons armed by a first click, by reward, so a redraw keeps them armed.
  var armed = {};
  // The rewards whose terms are being changed: what their form holds, by reward.
  var drafts = {};
  function make(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function load() {
    return o.request("GET", path).then(function (v) { show(v.rewards); });
  }
  function changed() {
    return o.reload ? o.reload() : load();
  }

  function show(list) {
    rewards = list;
    var ul = part("list");
    // A field of a reward's form being typed in keeps the focus through the redraw.
    var at = document.activeElement, keep = null;
    if (at && at.form && at.form.dataset.id && ul.contains(at)) {
      keep = { id: at.form.dataset.id, name: at.name, start: at.selectionStart, end: at.selectionEnd };
    }
    // Drawn again at each gift: a reward whose buttons are the same keeps them,
    // its counts updated, so a click across a gift is not lost.
    cagnotteRedraw(ul, function (ul) {
      if (!rewards.length) ul.appendChild(make("li", "help", L.noReward));
      rewards.forEach(function (r) {
        var li = make("li");
        li.dataset.id = r.id;
        li.dataset.state = r.closed_at ? "closed" : r.left === 0 ? "sold-out" : "open";
        var head = make("p", "reward-name");
        head.appendChild(make("strong", "title", r.title));
        head.appendChild(document.createTextNode(" "));
        head.appendChild(make("code", "tag", "#" + r.tag));
        head.appendChild(document.createTextNode(" "));
        head.appendChild(make("small", "help hint", L.keywordHint));
        li.appendChild(head);
        var line = make("p", "reward-line");
        line.appendChild(make("span", "num from", L.from(o.money(r.amount))));
        line.appendChild(document.createTextNode(" "));
        var counts = [L.taken(r.claimed), r.left === null ? L.unlimited : r.left === 0 ? L.soldOut : L.left(r.left)];
        if (r.claimed || r.delivered) counts.push(L.doneCount(r.delivered));
        line.appendChild(make("span", "badge count", counts.join(" · ")));
        line.appendChild(document.createTextNode(" "));
        if (r.closed_at) line.appendChild(make("span", "badge", L.notOffered));
        if (!drafts[r.id]) {
          [["edit-reward", L.edit], r.closed_at ? ["reopen-reward", L.reopen]
            : ["close-reward", L.closeReward]].forEach(function (a) {
            var b = make("button", "small", a[1]);
            b.type = "button";
            b.dataset.act = a[0];
            b.dataset.id = r.id;
            // Which reward it acts on, for whoever hears the button alone.
            b.setAttribute("aria-label", a[1] + " — " + r.title);
            if (a[0] === "close-reward" && armed[r.id]) cagnotteArm(b, L.confirm);
            line.appendChild(document.createTextNode(" "));
            line.appendChild(b);
          });
        }
        li.appendChild(line);
        if (drafts[r.id]) li.appendChild(editForm(r));
        ul.appendChild(li);
      });
    });
    var again = keep && drafts[keep.id] && ul.querySelector("li[data-id] form.reward-edit[data-id='" + CSS.escape(keep.id) + "']");
    if (again) {
      again.elements[keep.name].focus();
      try { again.elements[keep.name].setSelectionRange(keep.start, keep.end); } catch (e) { /* a number field */ }
    }

    // The gifts that named a reward without getting it, oldest first.
    var missed = [];
    rewards.forEach(function (r) {
      (r.missed || []).forEach(function (m) { missed.push({ reward: r, donation: m.donation, why: m.why }); });
    });
    missed.sort(function (a, b) { return Date.parse(a.donation.at) - Date.parse(b.donation.at); });
    var missedList = part("missed");
    if (missedList) {
      part("missed-box").hidden = !missed.length;
      cagnotteRedraw(missedList, function (missedList) {
        missed.forEach(function (m) {
          var li = make("li");
          li.dataset.id = m.donation.id;
          li.dataset.why = m.why;
          li.appendChild(claimed(m.reward, m.donation, L.why[m.why] || m.why));
          missedList.appendChild(li);
        });
      });
    }

    var claims = [];
    rewards.forEach(function (r) {
      r.claims.forEach(function (c) {
        var state = c.donation.refunded ? "refunded" : c.delivered ? "done" : "todo";
        claims.push({ reward: r, donation: c.donation, delivered: c.delivered, state: state });
      });
    });
    var rank = { todo: 0, done: 1, refunded: 1 };
    claims.sort(function (a, b) {
      return rank[a.state] - rank[b.state] || Date.parse(a.donation.at) - Date.parse(b.donation.at);
    });
    var todo = claims.filter(function (c) { return c.state === "todo"; }).length;
    part("todo").textContent = L.todo(todo);
    part("todo").dataset.waiting = todo ? "1" : "";
    var queue = part("claims");
    // Drawn again at each gift: the boxes already there stay, ticked or not as the server says.
    cagnotteRedraw(queue, function (queue) {
      if (!claims.length) { queue.appendChild(make("li", "help", L.noClaim)); return; }
      claims.forEach(function (c) {
        var d = c.donation;
        var li = make("li");
        li.dataset.id = d.id;
        li.dataset.at = d.at;
        li.dataset.state = c.state;
        if (c.state !== "refunded") {
          var check = make("label", "check done");
          var tick = make("input");
          tick.type = "checkbox";
          tick.checked = c.delivered;
          tick.dataset.claim = d.id;
          tick.setAttribute("aria-label", L.claimDone + " — " + c.reward.title + ", " + (d.donor || L.someone) + ", " + o.money(d.amount));
          check.appendChild(tick);
          check.appendChild(document.createTextNode(" " + L.claimDone));
          li.appendChild(check);
        }
        li.appendChild(claimed(c.reward, d, null));
        queue.appendChild(li);
      });
    });
  }

  // A gift and the reward it claimed or named: the reward, the donor as viewers
  // see them, the amount, the time, `why` it did not get it if it did not,
  // "remboursé" once refunded whole, and its message.
  function claimed(r, d, why) {
    var what = make("div", "claim");
    var head = make("p", "claim-head");
    head.appendChild(make("strong", "reward", r.title));
    head.appendChild(document.createTextNode(" — "));
    head.appendChild(make("span", "donor", d.donor || L.someone));
    if (d.erased) head.appendChild(make("small", "badge", L.erased));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(make("span", "num amount", o.money(d.amount)));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(make("small", "help when", o.when(d.at)));
    if (why) head.appendChild(make("span", "badge why", why));
    if (d.refunded) head.appendChild(make("span", "badge refunded", L.claimRefunded));
    what.appendChild(head);
    if (d.message) what.appendChild(make("q", "message", d.message));
    return what;
  }

  // A reward's terms in a form of their own: what was typed stays through a redraw.
  function editForm(r) {
    var d = drafts[r.id];
    var f = make("form", "grid-form reward-edit");
    f.dataset.id = r.id;
    f.autocomplete = "off";
    [["title", L.fieldTitle, "text"], ["amount", L.fieldAmount, "text"], ["quantity", L.fieldQuantity, "number"],
      ["tag", L.fieldTag, "text"]].forEach(function (x) {
      var label = make("label", null, x[1] + " ");
      var input = make("input");
      input.name = x[0];
      input.type = x[2];
      input.value = d[x[0]];
      if (x[0] === "quantity") { input.min = "1"; input.max = "10000"; }
      if (x[0] === "amount") input.inputMode = "decimal";
      if (x[0] === "title" || x[0] === "tag") { input.maxLength = 100; input.required = true; }
      if (x[0] === "amount") input.required = true;
      // "change" too: a field emptied by a script or a tool fires only that one.
      function keep() { d[x[0]] = input.value; }
      input.addEventListener("input", keep);
      input.addEventListener("change", keep);
      label.appendChild(input);
      f.appendChild(label);
    });
    var save = make("button", null, L.save);
    save.type = "submit";
    var cancel = make("button", "secondary", L.cancel);
    cancel.type = "button";
    cancel.dataset.act = "cancel-edit";
    cancel.dataset.id = r.id;
    f.appendChild(save);
    f.appendChild(cancel);
    return f;
  }
  function draft(r) {
    var major = (r.amount / Math.pow(10, o.exp)).toFixed(o.exp).replace(".", L.decimal);
    return { title: r.title, amount: major, quantity: r.quantity === null ? "" : String(r.quantity), tag: "#" + r.tag };
  }
  function byId(id) {
    return rewards.filter(function (r) { return r.id === id; })[0];
  }

  // "Ne plus proposer": a first click arms it, the second stops offering the
  // reward (its claims stay to do). "Proposer à nouveau" offers a closed one
  // again; "Modifier" opens its form, "Annuler" closes it.
  part("list").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-act]");
    if (!b) return;
    var id = b.dataset.id, act = b.dataset.act;
    if (act === "edit-reward" || act === "cancel-edit") {
      if (act === "edit-reward" && byId(id)) drafts[id] = draft(byId(id));
      else delete drafts[id];
      show(rewards);
      return;
    }
    if (act !== "close-reward" && act !== "reopen-reward" || cagnotteIsBusy(b)) return;
    if (act === "close-reward" && !cagnotteSecondClick(armed, id, b, L.confirm)) return;
    var verb = act === "close-reward" ? "/close" : "/reopen";
    cagnotteBusy(b, function () {
      return o.request("POST", path + "/" + encodeURIComponent(id) + verb).then(function (r) {
        o.said(act === "close-reward" ? L.rewardClosed : L.rewardReopened("#" + r.tag), false);
        return changed();
      });
    }).catch(o.fail);
  });
  // Escape, or the focus going elsewhere, takes back a first click on "Ne plus proposer".
  cagnotteDisarming(part("list"), function (b) {
    delete armed[b.dataset.id];
    cagnotteUnarm(b);
  });
  // A reward's new terms: its claims stay; the form stays as typed when refused.
  part("list").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target, id = f.dataset.id;
    var amount = cagnotteMinor(f.elements.amount.value, o.exp);
    if (!(amount > 0)) { o.said(L.badAmount + f.elements.amount.value, true); return; }
    var quantity = f.elements.quantity.value;
    var payload = {
      title: f.elements.title.value.trim(), amount: amount, quantity: quantity ? parseInt(quantity, 10) : null,
      tag: f.elements.tag.value.trim()
    };
    o.request("PATCH", path + "/" + encodeURIComponent(id), payload).then(function () {
      delete drafts[id];
      o.said(L.rewardUpdated, false);
      return changed();
    }).catch(o.fail);
  });
  // "Fait": the claim given (the portrait drawn), or back to do when unticked.
  // A box whose change is on its way is not ticked again meanwhile (it keeps the focus).
  part("claims").addEventListener("click", function (ev) {
    var tick = ev.target;
    if (tick.dataset && tick.dataset.claim && cagnotteIsBusy(tick)) ev.preventDefault();
  });
  part("claims").addEventListener("change", function (ev) {
    var tick = ev.target;
    if (!tick.dataset || !tick.dataset.claim) return;
    var delivered = tick.checked;
    cagnotteBusy(tick, function () {
      return o.request("PUT", path + "/claims/" + encodeURIComponent(tick.dataset.claim), { delivered: delivered })
        .then(function () {
          o.said(delivered ? L.markedDone : L.markedTodo, false);
          return changed();
        });
    }).catch(function (e) {
      tick.checked = !delivered;
      o.fail(e);
    });
  });
  // A new reward; the form keeps what was typed when it is refused.
  part("form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var amount = cagnotteMinor(f.elements.amount.value, o.exp);
    if (!(amount > 0)) { o.said(L.badAmount + f.elements.amount.value, true); return; }
    var payload = { title: f.elements.title.value.trim(), amount: amount };
    if (f.elements.quantity.value) payload.quantity = parseInt(f.elements.quantity.value, 10);
    if (f.elements.tag.value.trim()) payload.tag = f.elements.tag.value.trim();
    o.request("POST", path, payload)
      .then(function (r) {
        f.reset();
        o.said(L.rewardOffered("#" + r.tag), false);
        return changed();
      })
      .catch(o.fail);
  });
  return { load: load, show: show };
}

// The chat bot commands of a live or a campaign (`path`: its `/chat` answer,
// with its query): one row each with the line that adds it to Nightbot
// (copied in one click) and what the bot answers now. `labels`: `{copy}`.
function cagnotteChatCommands(tbody, path, lang, labels) {
  "use strict";
  var names = lang === "en"
    ? [["!total", "total"], ["!top", "top"], ["!last", "last"], ["!milestone", "milestone"], ["!next", "next"],
      ["!rewards", "rewards"], ["!thanks", "thanks"], ["!match", "match"]]
    : [["!cagnotte", "total"], ["!top", "top"], ["!dernier", "last"], ["!palier", "milestone"], ["!prochain", "next"],
      ["!contreparties", "rewards"], ["!merci", "thanks"], ["!doublement", "match"]];
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* UTC then */ }
  tbody.textContent = "";
  var base = location.origin + path + (path.indexOf("?") < 0 ? "?" : "&");
  // A command's Nightbot line in a read-only field named `name`, with its copy button.
  function copyRow(id, name) {
    var row = document.createElement("span");
    row.className = "copy-row";
    var input = document.createElement("input");
    input.readOnly = true;
    input.id = id;
    input.setAttribute("aria-label", name);
    var copy = document.createElement("button");
    copy.type = "button";
    copy.textContent = labels.copy;
    copy.setAttribute("aria-label", cagnotteWhatCopied(lang, labels.copy, name));
    copy.addEventListener("click", function () { cagnotteCopy(input, function () { copy.textContent = labels.copied; }); });
    row.appendChild(input);
    row.appendChild(copy);
    return row;
  }
  // What `url` answers now, in `cell` (a refusal's reason in the server's words).
  function answer(cell, url) {
    return fetch(url, { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.text() : r.json().then(function (e) { return "⚠ " + (e.message || r.status); }); })
      .then(function (t) { cell.textContent = t; }, function () { /* offline: the next opening */ });
  }
  function line(tr, cells) {
    cells.forEach(function (c) { tr.appendChild(c); });
    tbody.appendChild(tr);
  }
  function td(cls, text) {
    var c = document.createElement("td");
    if (cls) c.className = cls;
    if (text) c.textContent = text;
    return c;
  }
  names.forEach(function (n, i) {
    var url = base + "say=" + n[1] + "&lang=" + lang +
      ((n[1] === "next" || n[1] === "match") && zone ? "&tz=" + encodeURIComponent(zone) : "");
    var cell = td("url"), said = td("chat-answer");
    var row = copyRow("chat-command-" + i, (lang === "en" ? "Nightbot line for " : "Ligne Nightbot pour ") + n[0]);
    row.firstChild.value = "!addcom " + n[0] + " $(urlfetch " + url + ")";
    cell.appendChild(row);
    line(document.createElement("tr"), [td(null, n[0]), cell, said]);
    answer(said, url);
  });
  // The streamer's own sentence: its command's name and words, with the fields
  // it may say; what it answers follows the typing.
  var words = lang === "en"
    ? { name: "!fundraiser", text: "{total} raised for {charity}, {percent}% of the goal! Donate: {link}",
      own: "Your own sentence", ownName: "Your command's name", ownLine: "Nightbot line of your command", fields: "Its fields: " }
    : { name: "!collecte", text: "Déjà {total} pour {charity}, {percent}\u00a0% de l'objectif\u00a0! Pour donner\u00a0: {link}",
      own: "Votre phrase", ownName: "Nom de votre commande", ownLine: "Ligne Nightbot de votre commande", fields: "Ses champs\u00a0: " };
  var tr = document.createElement("tr");
  tr.id = "chat-own";
  var nameCell = td(), cell = td("url"), said = td("chat-answer");
  var name = document.createElement("input");
  name.name = "command";
  name.value = tbody.ownName || words.name;
  name.setAttribute("aria-label", words.ownName);
  nameCell.appendChild(name);
  var text = document.createElement("input");
  text.name = "text";
  text.maxLength = 400;
  text.value = tbody.ownText || words.text;
  text.setAttribute("aria-label", words.own);
  var row = copyRow("chat-command-own", words.ownLine);
  var help = document.createElement("p");
  help.className = "help";
  help.textContent = words.fields + ["total", "raised", "matched", "donations", "goal", "percent", "left", "charity",
    "link", "campaign_total", "last", "last_amount", "top", "top_amount"].map(function (f) { return "{" + f + "}"; }).join(" ");
  cell.appendChild(text);
  cell.appendChild(row);
  cell.appendChild(help);
  line(tr, [nameCell, cell, said]);
  var timer = 0;
  function update() {
    tbody.ownName = name.value;
    tbody.ownText = text.value;
    var url = base + "text=" + encodeURIComponent(text.value) + "&lang=" + lang;
    row.firstChild.value = "!addcom " + (name.value.trim() || words.name) + " $(urlfetch " + url + ")";
    clearTimeout(timer);
    timer = setTimeout(function () { answer(said, url); }, 300);
  }
  name.addEventListener("input", update);
  text.addEventListener("input", update);
  update();
}

// A campaign's alert images and sounds (`path`: its `/media`): the list, each
// with its preview, who sent it and, for `mine(file)`, a button that removes
// it; the form sends a file as it is. `headers()`: the request's headers (a
// key, or the session's CSRF token); `said(text, isError)`: the page's notice;
// `explain(error)`: a refusal in the page's language. With `upload`, that file
// is sent first.
function cagnotteMediaLibrary(o, upload) {
  "use strict";
  var L = o.lang === "en"
    ? { remove: "Remove", confirm: "Confirm?", organisers: "organisers", added: "Added: ", removed: "Removed.", empty: "No file yet.", ask: "Overlays that use this file go back to Cagnotte's image and sound: click again to remove it." }
    : { remove: "Retirer", confirm: "Confirmer\u00a0?", organisers: "l'organisation", added: "Ajouté\u00a0: ", removed: "Retiré.", empty: "Aucun fichier pour l'instant.", ask: "Les overlays qui utilisent ce fichier reprennent l'image et le son de Cagnotte\u00a0: cliquez de nouveau pour le retirer." };
  function size(n) {
    return n >= 1048576 ? (n / 1048576).toFixed(1).replace(".", o.lang === "en" ? "." : ",") + (o.lang === "en" ? " MB" : " Mo")
      : Math.max(1, Math.round(n / 1024)) + (o.lang === "en" ? " kB" : " ko");
  }
  function send(method, url, body) {
    return cagnotteRequest(method, url, body, o.headers(), o.credentials);
  }
  function row(m) {
    var li = document.createElement("li");
    li.dataset.id = m.id;
    var preview;
    if (m.kind === "image") {
      preview = document.createElement("img");
      preview.alt = "";
    } else {
      preview = document.createElement("audio");
      preview.controls = true;
      preview.preload = "none";
    }
    preview.src = m.url;
    preview.className = "media-preview";
    var name = document.createElement("span");
    name.className = "media-name";
    name.textContent = m.name;
    var meta = document.createElement("span");
    meta.className = "help";
    meta.textContent = size(m.size) + " · " + (m.host || L.organisers);
    li.appendChild(preview);
    li.appendChild(name);
    li.appendChild(meta);
    if (o.mine(m)) {
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "small";
      remove.textContent = L.remove;
      // A first click arms it (overlays that use the file lose it), the second removes.
      remove.addEventListener("click", function () {
        if (!remove.dataset.armed) {
          remove.dataset.armed = "1";
          remove.textContent = L.confirm;
          o.said(L.ask, false);
          return;
        }
        send("DELETE", o.path + "/" + encodeURIComponent(m.id)).then(function () {
          o.said(L.removed, false);
          load();
        }, function (e) { o.said(o.explain(e), true); });
      });
      li.appendChild(remove);
    }
    return li;
  }
  function load() {
    return send("GET", o.path).then(function (b) {
      o.list.textContent = "";
      b.media.forEach(function (m) { o.list.appendChild(row(m)); });
      if (!b.media.length) {
        var none = document.createElement("li");
        none.className = "help";
        none.textContent = L.empty;
        o.list.appendChild(none);
      }
      o.list.dataset.count = String(b.media.length);
    }, function (e) { o.said(o.explain(e), true); });
  }
  // The form is wired once; it sends to the library it was last given.
  o.form.cagnotteMedia = o;
  if (!o.form.dataset.wired) {
    o.form.dataset.wired = "1";
    o.form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var file = ev.target.elements.file.files[0];
      if (file) cagnotteMediaLibrary(ev.target.cagnotteMedia, file);
    });
  }
  if (!upload) return load();
  return send("POST", o.path + "?name=" + encodeURIComponent(upload.name.slice(0, 80)), upload).then(function (b) {
    o.form.reset();
    o.said(L.added + b.media.name, false);
    return load();
  }, function (e) { o.said(o.explain(e), true); });
}

// The charity's report (`GET /api/v1/campaigns/{id}/report`) drawn in the
// page's report box (`parts::report_box`), in the dashboard and the charity's
// space: `cagnotteReport(r, campaign, lang, money, when)` with `campaign` the
// campaign's document, `money(minor, currency)` and `when(iso)` as the page
// writes amounts and times.
var cagnotteReportWords = {
  fr: {
    count: function (n, donors, unnamed) {
      return n + (n > 1 ? " dons" : " don") + " de " + donors + (donors > 1 ? " donateurs" : " donateur") +
        (unnamed ? " (et " + unnamed + (unnamed > 1 ? " dons sans nom)" : " don sans nom)") : "");
    },
    average: function (a, m) { return "Don moyen\u00a0: " + a + " — don médian\u00a0: " + m; },
    largest: function (a, who, host, at) { return "Plus gros don\u00a0: " + a + " " + cagnotteDe(who) + " (live " + cagnotteDe(host) + ", " + at + ")"; },
    refunds: function (w, p, a) { return "Remboursés\u00a0: " + w + " en entier, " + p + " en partie — " + a; },
    total: "Total", anonymous: " (anonyme)", noName: "un donateur sans nom", none: "Aucun.",
    platforms: { offline: "Hors ligne (espèces, chèques)", direct: "Direct (API)", generic: "Formulaire signé" },
    about: function (name, charity, zone) { return name + (charity ? " — au profit de " + charity : "") + " — heure\u00a0: " + zone; }
  },
  en: {
    count: function (n, donors, unnamed) {
      return n + (n === 1 ? " donation" : " donations") + " from " + donors + (donors === 1 ? " donor" : " donors") +
        (unnamed ? " (and " + unnamed + (unnamed === 1 ? " without a name)" : " without a name)") : "");
    },
    average: function (a, m) { return "Average gift: " + a + " — median gift: " + m; },
    largest: function (a, who, host, at) { return "Largest gift: " + a + " from " + who + " (" + host + "'s live, " + at + ")"; },
    refunds: function (w, p, a) { return "Refunded: " + w + " whole, " + p + " in part — " + a; },
    total: "Total", anonymous: " (anonymous)", noName: "a donor without a name", none: "None.",
    platforms: { offline: "Offline (cash, cheques)", direct: "Direct (API)", generic: "Signed form" },
    about: function (name, charity, zone) { return name + (charity ? " — for " + charity : "") + " — time: " + zone; }
  }
};
function cagnotteReport(r, campaign, lang, money, when) {
  "use strict";
  var W = cagnotteReportWords[lang], cur = r.currency;
  function el(id) { return document.getElementById(id); }
  function make(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function row(cells, cls) {
    var tr = make("tr", cls);
    cells.forEach(function (c, i) { tr.appendChild(make("td", i ? "num" : null, c)); });
    return tr;
  }
  el("report").hidden = false;
  el("print-report").hidden = false;
  el("report-campaign").textContent = W.about(campaign.name, campaign.charity, r.time_zone);
  var ul = el("report-lines");
  ul.textContent = "";
  var lines = [W.count(r.totals.donations, r.donors, r.unnamed_donations), W.average(money(r.average, cur), money(r.median, cur))];
  if (r.largest) {
    var l = r.largest;
    var who = l.donor ? l.donor + (l.anonymous ? W.anonymous : "") : W.noName;
    lines.push(W.largest(money(l.amount, cur), who, l.host || l.live_id, when(l.at)));
  }
  if (r.refunds.whole || r.refunds.partial) lines.push(W.refunds(r.refunds.whole, r.refunds.partial, money(r.refunds.amount, cur)));
  lines.forEach(function (t) { ul.appendChild(make("li", null, t)); });
  var tb = el("report-days").tBodies[0];
  tb.textContent = "";
  var dayFmt = new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-US", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  r.by_day.forEach(function (d) {
    var p = d.date.split("-").map(Number);
    tb.appendChild(row([dayFmt.format(new Date(p[0], p[1] - 1, p[2])), String(d.donations), money(d.raised, cur), money(d.matched, cur), money(d.total, cur)]));
  });
  var pb = el("report-platforms").tBodies[0];
  pb.textContent = "";
  // Each payment platform's share: what each provider's payouts add up to.
  (r.by_platform || []).forEach(function (p) {
    pb.appendChild(row([W.platforms[p.platform] || cagnotteProviders[p.platform] || p.platform, String(p.donations), money(p.raised, cur), money(p.matched, cur), money(p.total, cur)]));
  });
  el("report-platforms").hidden = !(r.by_platform || []).length;
  if (!r.by_day.length) {
    var empty = make("tr", "empty"), td = make("td", "help", W.none);
    td.colSpan = 5;
    empty.appendChild(td);
    tb.appendChild(empty);
    return;
  }
  var t = r.totals, sum = function () {
    return row([W.total, String(t.donations), money(t.raised, cur), money(t.matched, cur), money(t.total, cur)], "sum");
  };
  tb.appendChild(sum());
  pb.appendChild(sum());
}

// The charity's accounts checked against the payment provider's export
// (`POST /api/v1/campaigns/{id}/reconcile`): the dashboard's and the charity
// space's "#reconcile-form" sends the chosen CSV file with `send(path, file)`
// (a promise of the comparison) and draws what it found.
var cagnotteReconcileWords = {
  fr: {
    summary: function (rows, ref, amount, matched) {
      return rows + (rows > 1 ? " paiements" : " paiement") + " dans l'export (colonnes «\u00a0" + ref + "\u00a0» et «\u00a0" + amount + "\u00a0»)\u00a0: " +
        matched + (matched > 1 ? " retrouvés" : " retrouvé") + " parmi les dons, au centime.";
    },
    allGood: "Tout concorde.",
    gaps: function (n) { return n + (n > 1 ? " écarts à vérifier\u00a0:" : " écart à vérifier\u00a0:"); },
    skipped: function (n) { return " " + n + (n > 1 ? " lignes sans référence ou négatives laissées de côté." : " ligne sans référence ou négative laissée de côté."); },
    missing: "Absent de Cagnotte", unknown: "Absent de l'export", differing: "Montant différent", repeated: "En double dans l'export",
    pick: "Choisissez d'abord l'export CSV de votre prestataire.",
    live: "Live où compter les paiements absents\u00a0: ", countIt: "Compter ce paiement", confirm: "Confirmer\u00a0?", counted: "Compté ✓",
    needPlatform: "Choisissez la plateforme du rapprochement pour compter un paiement.",
    already: "Déjà compté ✓",
    countAll: function (n) { return "Compter les " + n + " paiements absents"; },
    countedAll: function (c, a, k) {
      return c + (c > 1 ? " paiements comptés" : " paiement compté") +
        (a ? ", " + a + (a > 1 ? " l'étaient déjà" : " l'était déjà") : "") +
        (k ? "\u00a0; " + k + (k > 1 ? " paiements sans date attendent le choix de leur live." : " paiement sans date attend le choix de son live.") : ".");
    },
    columns: ["écart", "référence", "montant dans l'export", "montant compté", "date", "donateur", "message"],
    file: "ecarts-rapprochement", sep: ";",
    byDate: "Celui de la date de chaque paiement", needLive: "Choisissez le live où compter ce paiement\u00a0: l'export ne dit pas quand il a été fait.",
    shown: "Afficher en public le nom et le message de l'export (sinon le nom reste aux seuls organisateurs, sans le message)"
  },
  en: {
    summary: function (rows, ref, amount, matched) {
      return rows + (rows === 1 ? " payment" : " payments") + " in the export (columns \u201c" + ref + "\u201d and \u201c" + amount + "\u201d): " +
        matched + " found among the donations, to the cent.";
    },
    allGood: "Everything matches.",
    gaps: function (n) { return n + (n === 1 ? " difference to check:" : " differences to check:"); },
    skipped: function (n) { return " " + n + (n === 1 ? " line without a reference or negative left aside." : " lines without a reference or negative left aside."); },
    missing: "Not in Cagnotte", unknown: "Not in the export", differing: "Amount differs", repeated: "Twice in the export",
    pick: "Choose your provider's CSV export first.",
    live: "Live to count the missing payments on: ", countIt: "Count this payment", confirm: "Confirm?", counted: "Counted ✓",
    needPlatform: "Choose the comparison's platform to count a payment.",
    already: "Already counted ✓",
    countAll: function (n) { return "Count the " + n + " missing payments"; },
    countedAll: function (c, a, k) {
      return c + (c === 1 ? " payment counted" : " payments counted") + (a ? ", " + a + " already were" : "") +
        (k ? "; " + k + (k === 1 ? " payment without a date waits for its live to be chosen." : " payments without a date wait for their live to be chosen.") : ".");
    },
    columns: ["difference", "reference", "amount in the export", "amount counted", "date", "donor", "message"],
    file: "reconciliation-differences", sep: ",",
    byDate: "The one of each payment's date", needLive: "Choose the live to count this payment on: the export does not say when it was made.",
    shown: "Show the export's name and message publicly (else the name is for the organisers only, without the message)"
  }
};

// With `counter` (the dashboard's: `{lives()}` the campaign's `[{id, label}]`,
// `count(missing, platform, liveId, shown)` a promise), each payment missing
// from the donations gets a button that counts it on the chosen live (two
// clicks), as its webhook would have: by default the live of the payment's
// time, when the export gives it; its donor's name and message public when
// `shown` (the export does not say whether the donor asked to stay anonymous).
function cagnotteReconcileForm(lang, campaignId, send, money, when, fail, counter) {
  "use strict";
  var W = cagnotteReconcileWords[lang];
  var form = document.getElementById("reconcile-form");
  // The columns the organiser may name when their names are not the usual ones.
  var COLUMNS = ["reference", "amount", "donor", "message", "date"];
  function make(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function draw(r) {
    var gaps = [];
    r.missing.forEach(function (m) {
      gaps.push(["missing", m.reference, money(m.amount), "", m.paid_at ? when(m.paid_at) : "", m.donor || "", m]);
    });
    r.differing.forEach(function (d) {
      gaps.push(["differing", d.reference, money(d.amount_in_export), money(d.amount), when(d.donation.at), d.donation.donor || ""]);
    });
    r.unknown.forEach(function (d) { gaps.push(["unknown", d.reference, "", money(d.amount), when(d.at), d.donor || ""]); });
    r.repeated.forEach(function (ref) { gaps.push(["repeated", ref, "", "", "", ""]); });
    var text = W.summary(r.rows, r.columns.reference, r.columns.amount, r.matched) + " " +
      (gaps.length ? W.gaps(gaps.length) : W.allGood) + (r.skipped ? W.skipped(r.skipped) : "");
    var summary = document.getElementById("reconcile-summary");
    summary.textContent = text;
    summary.dataset.state = gaps.length ? "gaps" : "ok";
    var tb = document.querySelector("#reconcile-table tbody");
    tb.textContent = "";
    var platform = form.elements.platform.value;
    gaps.forEach(function (g) {
      var tr = make("tr");
      tr.dataset.kind = g[0];
      tr.appendChild(make("td", "kind", W[g[0]]));
      g.slice(1, 6).forEach(function (c, i) { tr.appendChild(make("td", i === 1 || i === 2 ? "num" : null, c)); });
      if (g[6] && g[6].message) tr.lastChild.appendChild(make("q", "message", g[6].message));
      var act = make("td", "act");
      if (counter && g[6]) act.appendChild(countButton(g[6], platform));
      tr.appendChild(act);
      tb.appendChild(tr);
    });
    var pick = document.getElementById("reconcile-live");
    pick.hidden = !(counter && r.missing.length);
    if (counter) {
      var all = document.getElementById("reconcile-all");
      all.hidden = !(platform && r.missing.length > 1);
      all.removeAttribute("aria-disabled");
      delete all.dataset.armed;
      all.textContent = W.countAll(r.missing.length);
    }
    if (!pick.hidden) {
      var select = pick.querySelector("select"), chosen = select.value;
      var dated = r.missing.some(function (m) { return m.live_id; });
      select.textContent = "";
      if (dated) {
        var auto = make("option", null, W.byDate);
        auto.value = "";
        select.appendChild(auto);
      }
      counter.lives().forEach(function (l) {
        var o = make("option", null, l.label);
        o.value = l.id;
        select.appendChild(o);
      });
      // The live the organiser picked stays picked; else each payment's own.
      if (select.dataset.picked && select.querySelector("option[value='" + CSS.escape(chosen) + "']")) select.value = chosen;
      else if (dated) select.value = "";
    }
    document.getElementById("reconcile-table").hidden = !gaps.length;
    download(gaps);
    document.getElementById("reconcile-result").hidden = false;
  }
  // The differences as a spreadsheet, for the accounts or the provider: the
  // table's cells, the message too; `;` in French as French Excel splits,
  // a byte order mark so that it reads UTF-8, a `'` before a cell a
  // spreadsheet would read as a formula.
  var fileUrl = null;
  function download(gaps) {
    var link = document.getElementById("reconcile-download");
    if (fileUrl) URL.revokeObjectURL(fileUrl);
    fileUrl = null;
    link.hidden = !gaps.length;
    if (!gaps.length) { link.removeAttribute("href"); return; }
    var cell = function (v) {
      var s = String(v === undefined || v === null ? "" : v);
      if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
      return s.indexOf(W.sep) >= 0 || /["\n\r]/.test(s) ? "\"" + s.replace(/"/g, "\"\"") + "\"" : s;
    };
    var lines = [W.columns].concat(gaps.map(function (g) {
      return [W[g[0]]].concat(g.slice(1, 6), [g[6] && g[6].message]);
    }));
    var csv = "\uFEFF" + lines.map(function (l) { return l.map(cell).join(W.sep); }).join("\r\n") + "\r\n";
    fileUrl = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
    link.href = fileUrl;
    link.download = W.file + "-" + new Date().toISOString().slice(0, 10) + ".csv";
  }
  // The export's columns, from its first line, to name the two it compares
  // when their names are not the usual ones.
  function columns(text) {
    var first = text.replace(/^\uFEFF/, "").split(/\r?\n/)[0] || "";
    var sep = [",", ";", "\t"].reduce(function (best, s) {
      return first.split(s).length > first.split(best).length ? s : best;
    }, ",");
    return first.split(sep).map(function (c) { return c.trim().replace(/^"(.*)"$/, "$1").replace(/""/g, "\""); })
      .filter(function (c) { return c; });
  }
  form.elements.file.addEventListener("change", function () {
    var file = form.elements.file.files[0];
    COLUMNS.forEach(function (name) {
      var select = form.elements[name];
      while (select.options.length > 1) select.remove(1);
    });
    if (!file) return;
    file.slice(0, 65536).text().then(function (text) {
      columns(text).forEach(function (c) {
        COLUMNS.forEach(function (name) {
          var o = document.createElement("option");
          o.value = c;
          o.textContent = c;
          form.elements[name].appendChild(o);
        });
      });
    });
  });
  // Counts `m` with its button `b` on the chosen live, else on the live of
  // its time: "counted", "already" (its webhook came meanwhile) or "nolive".
  function countOne(m, platform, b) {
    var live = document.querySelector("#reconcile-live select").value || m.live_id;
    if (!live) return Promise.resolve("nolive");
    // Busy, then done: the button keeps the focus (a disabled one drops it).
    b.setAttribute("aria-disabled", "true");
    return counter.count(m, platform, live, document.getElementById("reconcile-shown").checked).then(function () {
      b.textContent = W.counted;
      b.dataset.done = "1";
      return "counted";
    }, function (err) {
      if (err && err.code === "payment_counted") {
        b.textContent = W.already;
        b.dataset.done = "1";
        return "already";
      }
      b.removeAttribute("aria-disabled");
      b.textContent = W.countIt;
      throw err;
    });
  }
  // A missing payment's button: the first click asks to confirm.
  function countButton(m, platform) {
    var b = make("button", "small", W.countIt);
    b.type = "button";
    if (!platform) { b.disabled = true; b.title = W.needPlatform; return b; }
    b.addEventListener("click", function () {
      if (cagnotteIsBusy(b)) return;
      if (!b.dataset.armed) { b.dataset.armed = "1"; b.textContent = W.confirm; return; }
      delete b.dataset.armed;
      b.textContent = W.countIt;
      countOne(m, platform, b).then(function (r) { if (r === "nolive") cagnotteNotice(W.needLive, true); }, fail);
    });
    b.countOne = function () { return countOne(m, platform, b); };
    return b;
  }
  // Every missing payment counted, one after the other (two clicks): a
  // webhook that failed for an evening (a secret pasted wrong) leaves many.
  function countAll(b) {
    if (cagnotteIsBusy(b)) return;
    if (!b.dataset.armed) { b.dataset.armed = "1"; b.textContent = W.confirm; return; }
    delete b.dataset.armed;
    b.setAttribute("aria-disabled", "true");
    var buttons = Array.prototype.filter.call(
      document.querySelectorAll("#reconcile-table tr[data-kind=missing] button"),
      function (x) { return x.countOne && !x.dataset.done; });
    var tally = { counted: 0, already: 0, nolive: 0 };
    buttons.reduce(function (chain, x) {
      return chain.then(function () { return x.countOne().then(function (r) { tally[r] += 1; }); });
    }, Promise.resolve()).then(function () {
      cagnotteNotice(W.countedAll(tally.counted, tally.already, tally.nolive), false);
      b.hidden = true;
    }, function (err) {
      b.removeAttribute("aria-disabled");
      b.textContent = W.countAll(buttons.length);
      fail(err);
    });
  }
  if (counter) {
    var pick = make("p", "reconcile-live");
    pick.id = "reconcile-live";
    pick.hidden = true;
    var label = make("label", null, W.live);
    var select = make("select");
    select.addEventListener("change", function () { select.dataset.picked = "1"; });
    label.appendChild(select);
    pick.appendChild(label);
    var shown = make("label", "check");
    var box = make("input");
    box.type = "checkbox";
    box.id = "reconcile-shown";
    shown.appendChild(box);
    shown.appendChild(document.createTextNode(" " + W.shown));
    pick.appendChild(shown);
    var all = make("button", "small");
    all.type = "button";
    all.id = "reconcile-all";
    all.hidden = true;
    all.addEventListener("click", function () { countAll(all); });
    pick.appendChild(all);
    var result = document.getElementById("reconcile-result");
    result.insertBefore(pick, result.querySelector(".table-wrap"));
  } else {
    var stub = make("p");
    stub.id = "reconcile-live";
    stub.hidden = true;
    document.getElementById("reconcile-result").appendChild(stub);
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var file = form.elements.file.files[0];
    if (!file) { cagnotteNotice(W.pick, true); return; }
    var query = ["platform"].concat(COLUMNS).filter(function (name) { return form.elements[name].value; })
      .map(function (name) { return name + "=" + encodeURIComponent(form.elements[name].value); });
    // The export's times without their zone are this computer's clock's.
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) query.push("tz=" + encodeURIComponent(zone));
    var path = "/api/v1/campaigns/" + encodeURIComponent(campaignId()) + "/reconcile" +
      (query.length ? "?" + query.join("&") : "");
    send(path, file).then(function (r) {
      // A refusal said before (no file chosen, a column not found) is over.
      cagnotteNotice("", false);
      draw(r);
    }).catch(fail);
  });
}
