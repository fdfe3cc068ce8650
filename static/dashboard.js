// Cagnotte dashboard. The page holds no data: this script signs in with the
// admin token (an HttpOnly session cookie; the CSRF token stays in memory and
// goes in X-CSRF-Token on every write), then works through the JSON API.
//
// - Campaign data comes from GET /api/v1/campaigns/{id} (schedule, matches),
//   the admin list of donations (full text, moderation state) and each live's
//   moderation settings. The public campaign stream is only a signal: any frame
//   on it reloads those, so donations appear as they arrive.
// - Secrets (overlay URL, write key) exist only in the answers to creating a
//   live or rotating them: they are shown once, never stored.
// - Donor text is only ever inserted with textContent.
(function () {
  "use strict";
  var body = document.body;
  var lang = body.dataset.lang === "en" ? "en" : "fr";
  var locale = cagnotteLocale(lang);
  var el = function (id) { return document.getElementById(id); };

  var T = {
    fr: {
      wrongToken: "Ce jeton n'est pas le bon.", expired: "Session expirée\u00a0: reconnectez-vous.",
      importPreview: function (n, total) { return n + (n > 1 ? " dons" : " don") + " pour " + total + " dans ce fichier."; },
      importGo: function (n) { return "Importer " + n + (n > 1 ? " dons" : " don"); },
      importBad: function (lines) { return "rien n'est importé\u00a0: " + lines.join("\u00a0; ") + "."; },
      importLine: function (n, cell) { return "ligne " + n + ", montant invalide «\u00a0" + cell + "\u00a0»"; },
      importTooLarge: function (n, cell, max) { return "ligne " + n + ", montant trop élevé «\u00a0" + cell + "\u00a0» (" + max + " au plus)"; },
      importStopped: function (line, why, added, again) {
        return "l'import s'est arrêté à la ligne " + line + "\u00a0: " + why + " " +
          (added + again ? added + (added > 1 ? " dons importés" : " don importé") + (again ? " (et " + again + " déjà importé" + (again > 1 ? "s" : "") + ")" : "") + " avant elle\u00a0; " : "Aucun don importé\u00a0; ") +
          "les lignes suivantes n'ont pas été envoyées. Corrigez le fichier puis importez-le de nouveau\u00a0: ce qui est déjà importé ne compte pas deux fois.";
      },
      importEmpty: "ce fichier ne contient aucun don.",
      importProgress: function (i, n) { return "Import\u00a0: " + i + " / " + n + "…"; },
      imported: function (added, again) {
        return added + (added > 1 ? " dons importés" : " don importé") + (again ? " (" + again + " déjà importé" + (again > 1 ? "s" : "") + "\u00a0: comptés une fois)" : "") + ".";
      },
      saved: "Enregistré.", created: "Créé.", copied: "Copié\u00a0!", testSent: "Alerte de test envoyée.",
      seriesCreated: function (n) { return n + " lives créés."; },
      seriesStopped: function (n, total) { return n + " lives créés sur " + total + ", puis\u00a0: "; },
      repeatNeedsDate: "Pour répéter un live, choisissez la date et l'heure du premier.",
      badAmount: "montant invalide\u00a0: ", anonymous: "anonyme", hidden: "masqué", erased: "effacé à sa demande",
      erase: "Effacer ses données",
      eraseWarn: "Le nom et le message de ce don seront effacés pour de bon, partout (journal, exports, overlays), comme le donateur peut le demander (RGPD)\u00a0; le montant reste compté. Cliquez de nouveau pour confirmer.",
      erasedDone: "Nom et message effacés. Pensez aux exports et sauvegardes déjà faits.",
      eraseDonor: "Effacer ses données (tous ses dons)",
      eraseDonorWarn: function (name) {
        return "Le nom et le message de chaque don au nom de «\u00a0" + name + "\u00a0» (sans égard aux majuscules), dans toutes les collectes, seront effacés pour de bon\u00a0; les montants restent comptés. Cliquez de nouveau pour confirmer.";
      },
      erasedDonor: function (n, name) {
        return (n > 1 ? n + " dons au nom de «\u00a0" + name + "\u00a0» effacés" : "1 don au nom de «\u00a0" + name + "\u00a0» effacé") +
          ". Pensez aux exports et sauvegardes déjà faits.";
      },
      st_shown: "Affiché", st_pending: "En attente", st_hidden: "Masqué", st_refunded: "Remboursé", st_test: "Test",
      approve: "Valider", hideDonor: "Masquer le nom", hideMessage: "Masquer le message", refund: "Rembourser",
      showDonor: "Réafficher le nom", showMessage: "Réafficher le message",
      partRefunded: "remboursé\u00a0: ", partRefund: "En partie…",
      refundNotLowered: function (m) { return "ce don a déjà " + m + " remboursés\u00a0: un remboursement ne se réduit pas, rien n'a changé."; },
      replay: "Rejouer l'alerte", replayed: "Alerte rejouée sur les overlays du live.",
      confirm: "Confirmer\u00a0?", edit: "Modifier", remove: "Supprimer", copy: "Copier",
      rotateLink: "L'ancien lien cessera de fonctionner tout de suite, y compris dans OBS\u00a0: cliquez encore pour confirmer.",
      monthLinks: "Liens du mois",
      renamed: function (from, to, n) { return "«\u00a0" + from + "\u00a0» s'appelle désormais «\u00a0" + to + "\u00a0» sur " + (n > 1 ? "ses " + n + " lives." : "son live."); },
      renameJoins: function (to) { return "«\u00a0" + to + "\u00a0» anime déjà des lives\u00a0: les liens hôte des deux ouvriront les lives des deux. Cliquez de nouveau pour confirmer."; },
      renameSame: "C'est déjà son nom.", rename: "Renommer",
      rotateKey: "L'ancienne clé sera refusée tout de suite\u00a0: cliquez encore pour confirmer.",
      rotateHost: "L'ancien lien hôte cessera de fonctionner tout de suite\u00a0: cliquez encore pour confirmer.",
      rotateModerator: "Le lien modérateur précédent, s'il y en a un, cessera de fonctionner tout de suite\u00a0: cliquez encore pour confirmer.",
      startLive: "Commencer maintenant", endLive: "Terminer maintenant",
      liveStarted: "Le live a commencé\u00a0: les overlays, les pages et les annonces suivent.",
      liveEnded: "Le live est terminé\u00a0: les overlays et les pages le disent.",
      rotateCharity: "Un nouveau lien pour l'association\u00a0: celui donné avant, s'il y en a un, cessera de fonctionner tout de suite. Cliquez encore pour confirmer.",
      h_waiting: "en attente", h_ok: "à jour", h_retrying: "nouvel essai prévu", allCampaigns: " (toutes les campagnes)", live_upcoming: "à venir", live_current: "en direct", live_past: "terminé", live_cancelled: "annulé",
      cancelLive: "Annuler ce live", restoreLive: "Rétablir ce live",
      pauseAlerts: "Mettre les alertes en pause", resumeAlerts: "Reprendre les alertes", alertSkipped: "Alerte passée.",
      cancelWarn: "Un live annulé sort du programme, des liens de suivi, du calendrier et du choix des intégrations de la campagne\u00a0; ses dons restent comptés. Cliquez de nouveau pour confirmer.",
      liveCancelled: "Live annulé\u00a0: il est marqué «\u00a0Annulé\u00a0» sur les pages publiques et dans les agendas.", liveRestored: "Live rétabli.",
      noModerators: "Aucun modérateur à son nom. L'hôte en fait dans son espace.",
      moderatorSince: function (d) { return "depuis le " + d; }, removeModerator: "Retirer son lien",
      moderatorRemoved: function (n) { return "Lien de " + n + " retiré\u00a0: il ne fonctionne plus."; },
      live_unscheduled: "non programmé", m_pending: "pas encore ouvert", m_active: "actif", m_used_up: "épuisé",
      m_ended: "terminé", mode_off: "aucune", mode_delay: "délai", mode_manual: "validation",
      total: "Total", raised: "dons", matched: "abondement", donations: function (n) { return n + (n > 1 ? " dons" : " don"); },
      window: { upcoming: "Ouverture de la collecte\u00a0: ", open: "Collecte ouverte jusqu'au ", ended: "Collecte terminée le " },
      campaignStatus: { upcoming: "à venir", ended: "terminée" },
      ago: { now: "à l'instant", min: function (n) { return "il y a " + n + " min"; }, hours: function (n) { return "il y a " + n + " h"; } },
      received: {
        none: "Rien reçu depuis le démarrage du serveur.",
        line: function (ago, what, counts) { return ago + "\u00a0: " + what + " (" + counts + ")."; },
        counts: function (a, r) { return a + (a > 1 ? " acceptés, " : " accepté, ") + r + (r > 1 ? " refusés" : " refusé"); },
        status: {
          counted: "don compté", already_counted: "déjà compté (un envoi répété)", refunded: "remboursement compté",
          already_refunded: "remboursement déjà compté", ignored: "accepté, rien à compter (pas un don payé)",
          challenge: "abonnement vérifié", revoked: "abonnement révoqué par le prestataire\u00a0: refaites-le",
          invalid_signature: "signature refusée\u00a0: le secret donné au prestataire est-il celui-ci\u00a0?",
          invalid_payload: "contenu illisible", no_live: "aucun live pour recevoir le don",
          currency_mismatch: "devise différente de celle de la campagne", amount_too_large: "montant trop grand"
        }
      },
      backups: {
        off: "Sauvegardes automatiques\u00a0: désactivées (--backup-dir).",
        first: function (dir, every) { return "Sauvegardes automatiques dans " + dir + ", toutes les " + every + "\u00a0: la première est en cours."; },
        last: function (ago, dir, every, keep) { return "Dernière sauvegarde " + ago + ", dans " + dir + " (toutes les " + every + " et à l'arrêt, les " + keep + " dernières gardées)."; },
        failed: function (err) { return "⚠ La dernière sauvegarde a échoué\u00a0: " + err; },
        units: ["s", "min", "h", "j"]
      },
      noMatch: "Aucun abondement pour l'instant.", noMilestone: "Aucun palier pour l'instant.",
      noPoll: "Aucun sondage pour l'instant\u00a0: un hôte en lance un depuis son espace, ou vous depuis la fiche d'un live.",
      pollStarted: "Sondage lancé\u00a0: les overlays du live l'affichent.", closePoll: "Clore",
      pollOpen: function (t) { return t ? "en cours, encore " + t : "en cours"; }, pollOver: "terminé",
      pollWinner: function (l) { return "terminé\u00a0: " + l + " l'emporte"; }, pollTie: "terminé\u00a0: égalité",
      votes: function (n) { return n + (n > 1 ? " dons" : " don"); },
      badOptions: "Un sondage a de 2 à 6 options, une par ligne.",
      noDraw: "Aucun tirage pour l'instant\u00a0: un hôte en fait un depuis son espace, ou vous depuis la fiche d'un live.",
      drawn: function (w) { return "Gagnant\u00a0: " + w + ". Les overlays du live l'annoncent."; },
      drawnMany: function (w) { return "Gagnants\u00a0: " + w.join(", ") + ". Les overlays du live les annoncent."; },
      noIntegration: "Aucune intégration\u00a0: les dons viennent de l'API ou du formulaire d'un live.",
      noSubscriber: "Aucun destinataire.", testHook: "Tester",
      hookTested: function (code) { return "Essai reçu\u00a0: le destinataire a répondu " + code + "."; },
      hookRefused: function (code) { return "Essai refusé\u00a0: le destinataire a répondu " + code + ". Vérifiez son URL."; },
      hookFailed: function (why) { return "Essai non remis\u00a0: " + why; },
      goal: "objectif", none: "Aucun.", error: "Erreur\u00a0: ", reached: "atteint", notReached: "pas encore",
      challengeOn: function (t) { return "en cours jusqu'à " + t; }, moreTime: "+5 min", closeIn5: "Clore dans 5 min",
      timeUp: "temps écoulé", calledOff: "annulé", removed: "retiré", challengeStarted: "Défi lancé\u00a0: les overlays du live l'affichent.", challengeUpdated: "Défi modifié\u00a0: les overlays du live le suivent.", pollUpdated: "Sondage modifié\u00a0: les overlays du live le suivent.", challenge: function (a) { return "défi\u00a0: +" + a; },
      wholeCampaign: "toute la campagne", helloassoOnce: "L'adresse complète porte le secret, montré une fois\u00a0: remplacez le secret pour en avoir une nouvelle.", nothingToChange: "Rien à modifier\u00a0: donnez une URL ou un secret.",
      moreDonations: function (n, all) {
        return "Les " + n + " dons les plus récents sur " + all.toLocaleString("fr-FR") + "\u00a0: l'export CSV les contient tous.";
      },
      waiting: function (n) { return n + " en attente"; },
      connected: function (o, v) {
        return (o ? o + (o > 1 ? " overlays connectés" : " overlay connecté") : "Aucun overlay connecté") +
          " · " + v + (v > 1 ? " spectateurs" : " spectateur") + " sur la page publique";
      }
    },
    en: {
      wrongToken: "This is not the admin token.", expired: "Session expired: sign in again.",
      importPreview: function (n, total) { return n + (n > 1 ? " donations" : " donation") + " for " + total + " in this file."; },
      importGo: function (n) { return "Import " + n + (n > 1 ? " donations" : " donation"); },
      importBad: function (lines) { return "nothing imported: " + lines.join("; ") + "."; },
      importLine: function (n, cell) { return "line " + n + ", invalid amount \u201c" + cell + "\u201d"; },
      importTooLarge: function (n, cell, max) { return "line " + n + ", amount too large \u201c" + cell + "\u201d (" + max + " at most)"; },
      importStopped: function (line, why, added, again) {
        return "the import stopped at line " + line + ": " + why + " " +
          (added + again ? added + (added === 1 ? " donation" : " donations") + " imported" + (again ? " (and " + again + " imported before)" : "") + " before it; " : "No donation imported; ") +
          "the next lines were not sent. Mend the file and import it again: what is already imported does not count twice.";
      },
      importEmpty: "this file holds no donation.",
      importProgress: function (i, n) { return "Importing: " + i + " / " + n + "…"; },
      imported: function (added, again) {
        return added + (added === 1 ? " donation imported" : " donations imported") + (again ? " (" + again + " imported before: counted once)" : "") + ".";
      },
      saved: "Saved.", created: "Created.", copied: "Copied!", testSent: "Test alert sent.",
      seriesCreated: function (n) { return n + " lives created."; },
      seriesStopped: function (n, total) { return n + " of " + total + " lives created, then: "; },
      repeatNeedsDate: "To repeat a live, choose the date and time of the first.",
      badAmount: "invalid amount: ", anonymous: "anonymous", hidden: "hidden", erased: "erased at their request",
      erase: "Erase their data",
      eraseWarn: "This donation's name and message will be erased for good, everywhere (log, exports, overlays), as a donor may ask (GDPR); the amount still counts. Click again to confirm.",
      erasedDone: "Name and message erased. Mind the exports and backups already made.",
      eraseDonor: "Erase their data (every gift)",
      eraseDonorWarn: function (name) {
        return "The name and message of every donation given as \u201c" + name + "\u201d (whatever its case), in every campaign, will be erased for good; the amounts still count. Click again to confirm.";
      },
      erasedDonor: function (n, name) {
        return n + (n === 1 ? " donation" : " donations") + " given as \u201c" + name + "\u201d erased. Mind the exports and backups already made.";
      },
      st_shown: "Shown", st_pending: "Pending", st_hidden: "Hidden", st_refunded: "Refunded", st_test: "Test",
      approve: "Approve", hideDonor: "Hide name", hideMessage: "Hide message", refund: "Refund",
      showDonor: "Show name again", showMessage: "Show message again",
      partRefunded: "refunded: ", partRefund: "In part…",
      refundNotLowered: function (m) { return "this donation already has " + m + " refunded: a refund cannot be lowered, nothing changed."; },
      replay: "Replay alert", replayed: "Alert shown again on the live's overlays.",
      confirm: "Confirm?", edit: "Edit", remove: "Delete", copy: "Copy",
      rotateLink: "The old link stops working at once, in OBS too: click again to confirm.",
      monthLinks: "Links for the month",
      renamed: function (from, to, n) { return "“" + from + "” is now “" + to + "” on " + (n > 1 ? "their " + n + " lives." : "their live."); },
      renameJoins: function (to) { return "“" + to + "” already hosts lives: both hosts' links will open both hosts' lives. Click again to confirm."; },
      renameSame: "That is already their name.", rename: "Rename",
      rotateKey: "The old key is refused at once: click again to confirm.",
      rotateHost: "The old host link stops working at once: click again to confirm.",
      rotateModerator: "The last moderator link, if any, stops working at once: click again to confirm.",
      startLive: "Start now", endLive: "End now",
      liveStarted: "The live started: the overlays, the pages and the announcements follow.",
      liveEnded: "The live is over: the overlays and the pages say so.",
      rotateCharity: "A new link for the charity: the one given before, if any, stops working at once. Click again to confirm.",
      h_waiting: "waiting", h_ok: "up to date", h_retrying: "retry planned", allCampaigns: " (all campaigns)", live_upcoming: "upcoming", live_current: "live now", live_past: "ended", live_cancelled: "cancelled",
      cancelLive: "Cancel this live", restoreLive: "Restore this live",
      pauseAlerts: "Pause the alerts", resumeAlerts: "Resume the alerts", alertSkipped: "Alert skipped.",
      cancelWarn: "A cancelled live leaves the schedule, the follow links, the calendar and the campaign integrations' choice; its donations still count. Click again to confirm.",
      liveCancelled: "Live cancelled: the public pages and calendars mark it \u201cCancelled\u201d.", liveRestored: "Live restored.",
      noModerators: "No moderator by name. The host makes them in their space.",
      moderatorSince: function (d) { return "since " + d; }, removeModerator: "Take their link back",
      moderatorRemoved: function (n) { return n + "'s link taken back: it no longer works."; },
      live_unscheduled: "not scheduled", m_pending: "not open yet", m_active: "active", m_used_up: "used up",
      m_ended: "ended", mode_off: "off", mode_delay: "delay", mode_manual: "approval",
      total: "Total", raised: "donations", matched: "matched", donations: function (n) { return n + (n === 1 ? " donation" : " donations"); },
      campaignStatus: { upcoming: "upcoming", ended: "over" },
      ago: { now: "just now", min: function (n) { return n + " min ago"; }, hours: function (n) { return n + " h ago"; } },
      received: {
        none: "Nothing received since the server started.",
        line: function (ago, what, counts) { return ago + ": " + what + " (" + counts + ")."; },
        counts: function (a, r) { return a + " accepted, " + r + " refused"; },
        status: {
          counted: "donation counted", already_counted: "already counted (a repeated delivery)", refunded: "refund counted",
          already_refunded: "refund already counted", ignored: "accepted, nothing to count (not a paid donation)",
          challenge: "subscription verified", revoked: "subscription revoked by the provider: make it again",
          invalid_signature: "signature refused: is this the secret the provider was given?",
          invalid_payload: "unreadable content", no_live: "no live to receive the donation",
          currency_mismatch: "another currency than the campaign's", amount_too_large: "amount too large"
        }
      },
      backups: {
        off: "Automatic backups: off (--backup-dir).",
        first: function (dir, every) { return "Automatic backups in " + dir + ", every " + every + ": the first one is under way."; },
        last: function (ago, dir, every, keep) { return "Last backup " + ago + ", in " + dir + " (every " + every + " and at shutdown, the newest " + keep + " kept)."; },
        failed: function (err) { return "⚠ The last backup failed: " + err; },
        units: ["s", "min", "h", "d"]
      },
      window: { upcoming: "The fundraiser opens: ", open: "Open until ", ended: "The fundraiser ended on " },
      noMatch: "No match yet.", noMilestone: "No milestone yet.",
      noPoll: "No poll yet: a host starts one from their space, or you from a live's card.",
      pollStarted: "Poll started: the live's overlays show it.", closePoll: "Close",
      pollOpen: function (t) { return t ? "open, " + t + " left" : "open"; }, pollOver: "closed",
      pollWinner: function (l) { return "closed: " + l + " wins"; }, pollTie: "closed: a tie",
      votes: function (n) { return n + (n === 1 ? " donation" : " donations"); },
      badOptions: "A poll has 2 to 6 options, one per line.",
      noDraw: "No draw yet: a host draws one from their space, or you from a live's card.",
      drawn: function (w) { return "Winner: " + w + ". The live's overlays announce it."; },
      drawnMany: function (w) { return "Winners: " + w.join(", ") + ". The live's overlays announce them."; },
      noIntegration: "No integration: donations come from the API or a live's form.",
      noSubscriber: "No receiver.", testHook: "Test",
      hookTested: function (code) { return "Test received: the receiver answered " + code + "."; },
      hookRefused: function (code) { return "Test refused: the receiver answered " + code + ". Check its URL."; },
      hookFailed: function (why) { return "Test not delivered: " + why; },
      goal: "goal", none: "None.", error: "Error: ", reached: "reached", notReached: "not yet",
      challengeOn: function (t) { return "on until " + t; }, moreTime: "+5 min", closeIn5: "Close in 5 min",
      timeUp: "time up", calledOff: "called off", removed: "removed", challengeStarted: "Challenge started: the live's overlays show it.", challengeUpdated: "Challenge changed: the live's overlays follow it.", pollUpdated: "Poll changed: the live's overlays follow it.", challenge: function (a) { return "challenge: +" + a; },
      wholeCampaign: "whole campaign", helloassoOnce: "The whole address carries the secret, shown once: replace the secret to get a new one.", nothingToChange: "Nothing to change: give a URL or a secret.",
      moreDonations: function (n, all) {
        return "The " + n + " most recent of " + all.toLocaleString("en-US") + " donations: the CSV export has them all.";
      },
      waiting: function (n) { return n + " waiting"; },
      // The API's own sentences, with amounts in the campaign's currency.
      connected: function (o, v) {
        return (o ? o + (o === 1 ? " overlay connected" : " overlays connected") : "No overlay connected") +
          " · " + v + (v === 1 ? " viewer" : " viewers") + " on the public page";
      }
    }
  }[lang];


  // The donations table shows the newest ones: a campaign of thousands would
  // not redraw at each donation (the CSV export has them all). An organiser
  // asks for more, a page at a time, or searches them all.
  var SHOWN = 200;
  var shown = SHOWN;
  var search = "";        // the search box's text, trimmed

  // ---- state ----------------------------------------------------------------
  var csrf = null;
  var campaign = null;    // GET /api/v1/campaigns/{id}
  var currentId = null;
  var moderations = {};   // live id -> GET /api/v1/lives/{id}/moderation
  var seenDonations = null; // ids in the table, to mark the new ones
  var socket = null, attempt = 0, refreshTimer = null, loading = null, again = false, fillAgain = false;

  // ---- helpers ----------------------------------------------------------------
  // A refusal in the page's language, its amounts in the campaign's currency (shared.js).
  function explain(e) {
    var cur = campaign && campaign.currency;
    return cagnotteExplain(lang, e, cur ? function (minor) { return money(minor, cur); } : null);
  }
  // Writes carry the session's CSRF token; a 401 ends the session on the page.
  function api(method, path, payload) {
    var headers = {};
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf || "";
    return cagnotteRequest(method, path, payload, headers, "same-origin").catch(function (e) {
      if (e.status === 401 && path !== "/api/v1/session") signedOut(true);
      throw e;
    });
  }
  var notice = cagnotteNotice;
  function fail(e) {
    if (e && e.status === 401 && !csrf) return; // signed out: the sign-in form says why
    notice(T.error + (e instanceof CagnotteApiError ? explain(e) : e && e.message ? e.message : String(e)), true);
  }
  function make(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  var fmts = {};
  function fmt(currency) {
    return fmts[currency] || (fmts[currency] = new Intl.NumberFormat(locale, { style: "currency", currency: currency }));
  }
  function exponent(currency) { return fmt(currency).resolvedOptions().maximumFractionDigits; }
  function money(minor, currency) { return fmt(currency).format(minor / Math.pow(10, exponent(currency))); }
  // "10,50", "10.5", "1 000" -> minor units, exactly (no float arithmetic); "" -> null.
  function parseMoney(text, currency) {
    var v = cagnotteMinor(text, exponent(currency));
    if (v !== null && !(v > 0)) throw new Error(T.badAmount + text);
    return v;
  }
  function moneyInput(minor, currency) {
    if (minor === null || minor === undefined) return "";
    var exp = exponent(currency), v = (minor / Math.pow(10, exp)).toFixed(exp);
    // As the page's language writes it ("10,05"); read back either way.
    return lang === "fr" ? v.replace(".", ",") : v;
  }
  // datetime-local (local time) <-> RFC 3339 UTC.
  function toIso(local) {
    if (!local) return null;
    var d = new Date(local);
    if (isNaN(d.getTime())) throw new Error(local);
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  function toLocal(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    var pad = function (n) { return n < 10 ? "0" + n : String(n); };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  var dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  var timeFmt = new Intl.DateTimeFormat(locale, { timeStyle: "short" });
  // This year's dates go without their year: shorter in the donations' table.
  var thisYearFmt = new Intl.DateTimeFormat(locale, {
    day: "numeric", month: "short", hour: lang === "fr" ? "2-digit" : "numeric", minute: "2-digit"
  });
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return (d.getFullYear() === new Date(cagnotteNow()).getFullYear() ? thisYearFmt : dateFmt).format(d);
  }
  function text(v) { var s = String(v || "").trim(); return s === "" ? null : s; }

  function field(form, name) { return form.elements.namedItem(name); }
  function setFields(form, values) {
    Object.keys(values).forEach(function (k) {
      var f = field(form, k);
      if (f) f.value = values[k] === null || values[k] === undefined ? "" : values[k];
    });
  }

  // ---- session ------------------------------------------------------------------
  function showSignIn() {
    body.dataset.state = "signin";
    el("signin").hidden = false;
    el("app").hidden = true;
    el("sign-out").hidden = true;
    disconnect();
  }
  function signedOut(expired) {
    csrf = null;
    showSignIn();
    if (expired) notice(T.expired, true);
  }
  // `signedIn`: just signed in with the form, whose focus goes to the campaign shown.
  function showApp(signedIn) {
    el("signin").hidden = true;
    el("app").hidden = false;
    el("sign-out").hidden = false;
    body.dataset.state = "app";
    var loaded = loadCampaigns(null);
    loadBackups();
    if (signedIn) {
      loaded.then(function () {
        var at = document.activeElement;
        if (at && at !== body && at.isConnected && at.getClientRects().length) return;
        var heading = el("campaign-view").hidden ? cagnotteHeading(el("campaign-list")) : el("c-name");
        if (!heading) return;
        if (!heading.hasAttribute("tabindex")) heading.tabIndex = -1;
        heading.focus();
      });
    }
  }

  // Whether the server backs itself up, and when it last did: read at sign-in
  // and each minute.
  function period(secs) {
    var u = T.backups.units;
    return secs % 86400 === 0 ? secs / 86400 + " " + u[3] : secs % 3600 === 0 ? secs / 3600 + " " + u[2]
      : secs % 60 === 0 ? secs / 60 + " " + u[1] : secs + " " + u[0];
  }
  // "il y a 3 min": how long ago `at` was, by the server's clock.
  function ago(at) {
    var mins = Math.floor((cagnotteNow() - Date.parse(at)) / 60000), words = T.ago;
    return mins < 1 ? words.now : mins < 60 ? words.min(mins) : words.hours(Math.floor(mins / 60));
  }
  function loadBackups() {
    api("GET", "/api/v1/backups").then(function (b) {
      var p = el("backup-state"), words = T.backups;
      p.dataset.state = !b.dir ? "off" : b.error ? "failed" : b.last ? "ok" : "first";
      if (!b.dir) p.textContent = words.off;
      else if (b.error) p.textContent = words.failed(b.error);
      else if (!b.last) {
        p.textContent = words.first(b.dir, period(b.every_secs));
        // Its first copy takes moments: read again soon.
        setTimeout(loadBackups, 2000);
      }
      else {
        p.textContent = words.last(ago(b.last.at), b.dir, period(b.every_secs), b.keep);
      }
    }, function () { /* read again in a minute */ });
  }
  setInterval(function () { if (body.dataset.state === "app") loadBackups(); }, 60000);
  el("signin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = el("signin-token");
    el("signin-error").hidden = true;
    api("POST", "/api/v1/session", { token: input.value }).then(function (v) {
      csrf = v.csrf_token;
      input.value = "";
      notice("", false);
      showApp(true);
    }).catch(function (err) {
      var box = el("signin-error");
      box.textContent = err.status === 401 ? T.wrongToken : T.error + explain(err);
      box.hidden = false;
    });
  });
  el("sign-out").addEventListener("click", function () {
    api("DELETE", "/api/v1/session").then(function () { signedOut(false); }, function () { signedOut(false); });
  });

  // ---- campaigns ----------------------------------------------------------------
  function loadCampaigns(select) {
    return api("GET", "/dashboard/campaigns").then(function (v) {
      var list = el("campaign-list");
      list.textContent = "";
      v.campaigns.forEach(function (c) {
        var li = make("li");
        var a = make("a", null, c.name);
        a.href = "#c=" + encodeURIComponent(c.id);
        a.dataset.id = c.id;
        li.appendChild(a);
        // Where it stands by its window: a campaign over or to come says so.
        li.dataset.status = c.status;
        if (c.status !== "open") li.appendChild(make("small", "badge", T.campaignStatus[c.status]));
        list.appendChild(li);
      });
      var wanted = select || (/^#c=(.+)$/.exec(location.hash) || [])[1];
      if (wanted) wanted = decodeURIComponent(wanted);
      var found = v.campaigns.some(function (c) { return c.id === wanted; });
      // Without one asked for: the newest not over, else the newest.
      var current = v.campaigns.filter(function (c) { return c.status !== "ended"; })[0] || v.campaigns[0];
      if (!found) wanted = current ? current.id : null;
      if (wanted) return selectCampaign(wanted);
    }).catch(fail);
  }
  // The other language keeps the campaign open (`#c=…`), not the first one.
  el("lang-switch").addEventListener("click", function () {
    this.href = this.getAttribute("href").split("#")[0] + location.hash;
  });
  window.addEventListener("hashchange", function () {
    var m = /^#c=(.+)$/.exec(location.hash);
    if (m && csrf && decodeURIComponent(m[1]) !== currentId) selectCampaign(decodeURIComponent(m[1]));
  });

  // The campaign's alert images and sounds, when opened (the organisers remove any).
  function mediaLibrary() {
    if (!el("media-details").open || !currentId) return;
    cagnotteMediaLibrary({
      path: "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/media",
      list: el("media-list"), form: el("media-form"), lang: lang, credentials: "same-origin",
      headers: function () { return { "X-CSRF-Token": csrf || "" }; },
      mine: function () { return true; },
      said: function (text, isError) { notice(isError ? T.error + text : text, isError); },
      explain: explain
    });
  }
  el("media-details").addEventListener("toggle", mediaLibrary);
  // The website counter of a campaign, and its preview when its box is open.
  function embedPath(id) {
    return "/campaigns/" + encodeURIComponent(id) + "/embed" + (lang === "en" ? "?lang=en" : "");
  }
  el("embed-details").addEventListener("toggle", function () {
    if (el("embed-details").open && currentId) el("embed-preview").setAttribute("src", embedPath(currentId));
  });
  // The campaign's chat bot commands, with what they answer, when opened.
  el("chat-details").addEventListener("toggle", function () {
    if (!el("chat-details").open || !currentId) return;
    cagnotteChatCommands(el("chat-commands").querySelector("tbody"),
      "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/chat", lang, { copy: T.copy, copied: T.copied });
  });

  function selectCampaign(id) {
    if (currentId !== id) {
      currentId = id;
      campaign = null;
      moderations = {};
      seenDonations = null;
      donationsKey = null;
      shown = SHOWN;
      search = "";
      el("donation-search").reset();
      el("lives").textContent = "";
      el("secrets").hidden = true;
      el("overlay-preview").removeAttribute("src");
      mediaLibrary();
      el("chat-details").open = false;
      if (location.hash !== "#c=" + encodeURIComponent(id)) history.replaceState(null, "", "#c=" + encodeURIComponent(id));
      disconnect();
    }
    Array.prototype.forEach.call(el("campaign-list").querySelectorAll("a"), function (a) {
      a.classList.toggle("current", a.dataset.id === id);
    });
    el("no-campaign").hidden = true;
    el("campaign-view").hidden = false;
    return refresh(true).then(connect);
  }

  // Reloads the campaign, its donations and its lives' moderation. One load at a time;
  // a signal during a load asks for one more.
  function refresh(fillForms) {
    if (loading) {
      // The next load runs when this one ends (and fills the forms if either asked).
      again = true;
      fillAgain = fillAgain || !!fillForms;
      return loading;
    }
    var id = currentId;
    loading = Promise.all([
      api("GET", "/api/v1/campaigns/" + encodeURIComponent(id)),
      api("GET", "/api/v1/campaigns/" + encodeURIComponent(id) + "/donations?limit=" + shown +
        (search ? "&q=" + encodeURIComponent(search) : ""))
    ]).then(function (r) {
      if (id !== currentId) return null;
      return Promise.all(r[0].lives.map(function (l) {
        return api("GET", "/api/v1/lives/" + encodeURIComponent(l.id) + "/moderation");
      })).then(function (mods) {
        if (id !== currentId) return;
        campaign = r[0];
        mods.forEach(function (m) { moderations[m.live_id] = m; });
        render(r[1].donations, fillForms, r[1].count);
      });
    }).catch(fail).then(function () {
      loading = null;
      if (again) {
        var fill = fillAgain;
        again = false;
        fillAgain = false;
        return refresh(fill);
      }
    });
    return loading;
  }
  // Searching: the table then holds what the search finds, newest first. A new
  // search starts again from one page, and its rows are not marked new.
  // A gift coming as a row's button is clicked does not push another row under the pointer.
  cagnotteHoldNew(el("donations").tBodies[0], cagnotteListWords[lang]);
  cagnotteSearchBox(el("donation-search"), function (text) {
    if (text === search || !currentId) return;
    search = text;
    shown = SHOWN;
    seenDonations = null;
    refresh(false);
  });
  el("show-more").addEventListener("click", function () {
    shown += SHOWN;
    refresh(false);
  });
  // A reload 100 ms after the first event, then at most one a second however
  // fast the events come: a burst of donations shows as it goes, and an open
  // dashboard costs the server little while it lasts. A search reads the
  // campaign's whole log: one every two seconds.
  var lastReload = 0;
  function scheduleRefresh() {
    if (refreshTimer) return;
    var wait = Math.max(100, lastReload + (search ? 2000 : 1000) - Date.now());
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      lastReload = Date.now();
      if (currentId && csrf) {
        refresh(false);
        loadRewards();
      }
    }, wait);
  }

  // ---- rendering -------------------------------------------------------------------
  var zone = (function () {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  })();
  // Where the campaign stands by its window, by the server's clock: its
  // opening to come, open until its end, or ended (its pages then thank the donors).
  function renderWindow() {
    var c = campaign, now = cagnotteNow(), p = el("c-window");
    if (!c) return;
    var starts = Date.parse(c.starts_at || ""), ends = Date.parse(c.ends_at || "");
    var state = ends <= now ? "ended" : starts > now ? "upcoming" : c.ends_at ? "open" : "";
    p.hidden = !state;
    p.dataset.state = state;
    if (state) p.textContent = T.window[state] + when(state === "upcoming" ? c.starts_at : c.ends_at);
  }
  setInterval(renderWindow, 5000);
  function render(donations, fillForms, count) {
    var c = campaign, cur = c.currency;
    el("c-name").textContent = c.name;
    // Another campaign's report is not this one's.
    if (reportOf !== c.id) { el("report").hidden = true; el("print-report").hidden = true; }
    if (reconcileOf !== c.id) el("reconcile-result").hidden = true;
    el("c-public").href = "/campaigns/" + encodeURIComponent(c.id) + "?lang=" + lang;
    // The counter for the charity's website, and its preview.
    var embed = embedPath(c.id);
    el("embed-code").value = cagnotteEmbedCode(embed, c.name);
    if (el("embed-details").open && el("embed-preview").getAttribute("src") !== embed) el("embed-preview").setAttribute("src", embed);
    el("c-csv").href = "/api/v1/campaigns/" + encodeURIComponent(c.id) + "/donations.csv";
    // The same rows for a spreadsheet opened with a double click, in this page's
    // language, its times on this computer's clock (a receipt's date is the donor's day).
    var excel = "?excel=1&lang=" + lang + (zone ? "&tz=" + encodeURIComponent(zone) : "");
    el("c-excel").href = el("c-csv").getAttribute("href") + excel;
    el("c-lives-csv").href = "/api/v1/campaigns/" + encodeURIComponent(c.id) + "/lives.csv" + excel;
    el("c-matches-csv").href = "/api/v1/campaigns/" + encodeURIComponent(c.id) + "/matches.csv" + excel;
    el("c-draws-csv").href = "/api/v1/campaigns/" + encodeURIComponent(c.id) + "/draws.csv" + excel;
    el("c-rewards-csv").href = "/api/v1/campaigns/" + encodeURIComponent(c.id) + "/rewards.csv" + excel;
    el("c-donors-csv").href = "/api/v1/campaigns/" + encodeURIComponent(c.id) + "/donors.csv" + excel;
    el("c-builder").href = "/overlay/campaigns/" + encodeURIComponent(c.id) + "/builder?lang=" + lang;
    var t = c.totals;
    var line = T.total + " " + money(t.total, cur) + " (" + T.raised + " " + money(t.raised, cur) + " + " +
      T.matched + " " + money(t.matched, cur) + ") — " + T.donations(t.donations);
    if (c.goal) line += " — " + T.goal + " " + money(c.goal, cur);
    el("c-totals").textContent = line;
    renderWindow();
    if (fillForms) {
      setFields(el("edit-campaign"), {
        name: c.name, goal: moneyInput(c.goal, cur), charity: c.charity, donate_url: c.donate_url,
        starts_at: toLocal(c.starts_at), ends_at: toLocal(c.ends_at), cover: c.cover || ""
      });
    }
    renderMatches(c);
    renderMilestones(c);
    renderPolls(c);
    loadHooks();
    renderLives(c);
    renderHosts(c);
    renderDonations(donations, cur);
    // After the donations: their real names are the winners'.
    renderDraws(c);
    cagnotteListMore(lang, donations.length, count, search, SHOWN, T.moreDonations);
    loadConnections();
  }

  // Who follows each stream now (an overlay in OBS, viewers of the public page).
  function loadConnections() {
    var c = campaign;
    if (!c) return;
    api("GET", "/api/v1/campaigns/" + encodeURIComponent(c.id) + "/connections").then(function (v) {
      if (campaign !== c) return;
      // This page's own sessions are not counted: its socket on the campaign
      // stream, and the overlay of its preview.
      var preview = el("overlay-preview").getAttribute("src") || "";
      var show = function (node, n, key) {
        if (!node || !n) return;
        var overlays = Math.max(0, n.overlays - (preview.indexOf(key + "?") === 0 ? 1 : 0));
        var viewers = Math.max(0, n.viewers - (key.indexOf("/overlay/campaigns/") === 0 && socket && socket.readyState === 1 ? 1 : 0));
        node.textContent = T.connected(overlays, viewers);
        node.dataset.overlays = overlays;
        node.dataset.viewers = viewers;
      };
      show(el("c-connected"), v.campaign, "/overlay/campaigns/" + encodeURIComponent(c.id));
      Object.keys(v.lives).forEach(function (id) {
        var card = el("lives").querySelector('article[data-live="' + CSS.escape(id) + '"]');
        if (card) show(card.querySelector('[data-f="connected"]'), v.lives[id], "/overlay/lives/" + encodeURIComponent(id));
      });
    }).catch(function () { /* shown again at the next look */ });
  }

  // One row across the table saying it is empty (rather than headers over nothing).
  function emptyRow(tb, text) {
    var tr = make("tr", "empty");
    var td = make("td", "help", text);
    td.colSpan = (tb.drawnIn || tb).parentNode.tHead.rows[0].cells.length;
    tr.appendChild(td);
    tb.appendChild(tr);
  }

  function renderMatches(c) {
    var tb = el("matches").tBodies[0];
    cagnotteRedraw(tb, function (tb) {
      c.matches.forEach(function (m) {
        var tr = make("tr");
        tr.dataset.id = m.id;
        [m.sponsor, m.ratio[0] + " : " + m.ratio[1], money(m.cap, c.currency), money(m.used, c.currency),
          money(m.left, c.currency), T["m_" + m.status] || m.status].forEach(function (v) { tr.appendChild(make("td", null, v)); });
        var acts = make("td");
        acts.appendChild(actionButton("edit-match", m.id, T.edit, m.sponsor));
        tr.appendChild(acts);
        tb.appendChild(tr);
      });
      if (!c.matches.length) emptyRow(tb, T.noMatch);
    });
  }

  // Integrations (webhooks in) of the campaign's lives and subscribers (webhooks
  // out) of this campaign or of every campaign, with their delivery state.
  var hooksLoading = false;
  // Asked again while a load was in flight: that load may predate the change
  // that asked (a deletion), so one more follows it.
  var hooksAgain = false;
  function loadHooks() {
    var c = campaign;
    if (!c) return;
    if (hooksLoading) { hooksAgain = true; return; }
    hooksLoading = true;
    hooksAgain = false;
    var campaignWide = api("GET", "/api/v1/campaigns/" + encodeURIComponent(c.id) + "/integrations").then(function (v) {
      return v.integrations.map(function (i) { i.host = T.wholeCampaign.charAt(0).toUpperCase() + T.wholeCampaign.slice(1); return i; });
    });
    Promise.all([
      Promise.all([campaignWide].concat(c.lives.map(function (l) {
        return api("GET", "/api/v1/lives/" + encodeURIComponent(l.id) + "/integrations").then(function (v) {
          return v.integrations.map(function (i) { i.host = l.host; return i; });
        });
      }))),
      api("GET", "/api/v1/webhooks")
    ]).then(function (r) {
      if (campaign !== c) return;
      renderIntegrations([].concat.apply([], r[0]));
      renderSubscribers(r[1].webhooks.filter(function (w) { return !w.campaign_id || w.campaign_id === c.id; }));
    }).catch(fail).then(function () {
      hooksLoading = false;
      if (hooksAgain) loadHooks();
    });
  }
  function fillSelect(select, items) {
    var chosen = select.value;
    select.textContent = "";
    items.forEach(function (it) {
      var o = make("option", null, it[1]);
      o.value = it[0];
      select.appendChild(o);
    });
    if (chosen) select.value = chosen;
  }
  function renderIntegrations(list) {
    var tb = el("integrations").tBodies[0];
    cagnotteRedraw(tb, function (tb) {
      list.forEach(function (i) {
        var tr = make("tr");
        tr.dataset.id = i.id;
        tr.appendChild(make("td", null, i.host));
        tr.appendChild(make("td", null, providerName(i.provider)));
        var u = make("td", "url");
        var input = make("input");
        input.readOnly = true;
        // HelloAsso's address carries its secret, shown once: this one alone would be refused.
        var once = i.provider === "helloasso";
        input.value = once ? i.url + "?token=…" : i.url;
        input.id = "hook-url-" + i.id;
        u.appendChild(input);
        if (once) u.appendChild(make("small", "help", T.helloassoOnce));
        tr.appendChild(u);
        // What the provider's last delivery became, so that a wrong secret shows before the live.
        var d = i.deliveries, words = T.received;
        var got = make("td", "received", !d.last_at ? words.none
          : words.line(ago(d.last_at), words.status[d.last_status] || d.last_error || d.last_status, words.counts(d.accepted, d.refused)));
        // A revoked subscription is acknowledged, but nothing comes through it any more.
        got.dataset.state = !d.last_at ? "none" : d.last_error || d.last_status === "revoked" ? "refused" : "accepted";
        if (d.last_error) got.title = d.last_error;
        tr.appendChild(got);
        var acts = make("td");
        if (!once) {
          var copyButton = actionButton("copy", i.id, T.copy);
          copyButton.removeAttribute("data-act");
          copyButton.dataset.copy = input.id;
          acts.appendChild(copyButton);
        }
        acts.appendChild(actionButton("remove-integration", i.id, T.remove));
        tr.appendChild(acts);
        tb.appendChild(tr);
      });
      if (!list.length) emptyRow(tb, T.noIntegration);
      // The whole campaign: each payment goes to the live on air.
      fillSelect(field(el("new-integration"), "live_id"), [["", T.wholeCampaign]].concat(campaign.lives.map(function (l) {
        return [l.id, l.host + (l.title ? " — " + l.title : "")];
      })));
      integrations = {};
      list.forEach(function (i) { integrations[i.id] = i; });
      fillSelect(field(el("integration-secret"), "id"), list.map(function (i) { return [i.id, i.host + " — " + providerName(i.provider)]; }));
      secretFormFor();
    });
  }
  // A provider as the form names it ("Ko-fi", "Twitch Charity").
  function providerName(p) {
    var o = field(el("new-integration"), "provider").querySelector('option[value="' + p + '"]');
    return o ? o.textContent : p;
  }
  var integrations = {};
  // Replacing HelloAsso's secret gives its new notification address (with its form, if any).
  function secretFormFor() {
    var form = el("integration-secret"), i = integrations[field(form, "id").value];
    form.querySelector("[data-helloasso]").hidden = !(i && i.provider === "helloasso");
  }
  field(el("integration-secret"), "id").addEventListener("change", secretFormFor);
  // A HelloAsso form's address or its slug: its last part.
  function helloassoUrl(url, secret, form) {
    var slug = form.trim().replace(/[?#].*$/, "").split("/").filter(Boolean).pop() || "";
    return url + "?token=" + encodeURIComponent(secret) + (slug ? "&form=" + encodeURIComponent(slug) : "");
  }
  function renderSubscribers(list) {
    var tb = el("subscribers").tBodies[0];
    cagnotteRedraw(tb, function (tb) {
      list.forEach(function (w) {
        var st = w.status;
        var tr = make("tr");
        tr.dataset.id = w.id;
        var result = st.last_status ? String(st.last_status) : "";
        if (st.last_error) result += (result ? " — " : "") + st.last_error;
        var kind = w.format === "discord" ? " (Discord)" : w.format === "slack" ? " (Slack)" : "";
        [w.url + kind + (w.campaign_id ? "" : T.allCampaigns), T["h_" + st.state] || st.state, String(st.delivered), result,
          when(st.next_attempt_at)].forEach(function (v, k) {
          var td = make("td", ["url", "state", "delivered", "result", "next"][k], v);
          tr.appendChild(td);
        });
        var acts = make("td");
        acts.appendChild(actionButton("test-subscriber", w.id, T.testHook));
        acts.appendChild(actionButton("remove-subscriber", w.id, T.remove));
        tr.appendChild(acts);
        tb.appendChild(tr);
      });
      if (!list.length) emptyRow(tb, T.noSubscriber);
      fillSelect(field(el("edit-subscriber"), "id"), list.map(function (w) { return [w.id, w.url]; }));
    });
  }
  // Delivery states change without any campaign event: look again now and then.
  setInterval(function () { if (campaign && csrf && !document.hidden) { loadHooks(); loadConnections(); } }, 5000);

  // Every live's polls, newest first: each option's keyword, what it gathered
  // and from how many donations, the result once closed; an open one can be
  // closed (two clicks).
  function renderPolls(c) {
    var tb = el("polls").tBodies[0];
    cagnotteRedraw(tb, function (tb) {
      var rows = [];
      c.lives.forEach(function (l) { (l.polls || []).forEach(function (p) { rows.push([l, p]); }); });
      rows.sort(function (a, b) { return Date.parse(b[1].created_at) - Date.parse(a[1].created_at); });
      var now = cagnotteNow();
      rows.forEach(function (r) {
        var l = r[0], p = r[1];
        var st = cagnottePollState(p, now), end = st.end, open = st.open, leaders = st.leaders;
        var tr = make("tr");
        tr.dataset.id = p.id;
        tr.dataset.state = open ? "open" : "over";
        var results = p.options.map(function (o) {
          return o.label + " #" + o.tag + (lang === "fr" ? "\u00a0: " : ": ") + money(o.amount, c.currency) + " (" + T.votes(o.donations) + ")";
        }).join(" · ");
        var left = Math.max(0, Math.floor((end - now) / 1000));
        var state = open ? T.pollOpen(isNaN(end) ? "" : Math.floor(left / 60) + " min " + (left % 60 < 10 ? "0" : "") + left % 60 + " s")
          : leaders.length === 1 ? T.pollWinner(leaders[0].label) : leaders.length > 1 ? T.pollTie : T.pollOver;
        [l.host, p.question, results, state].forEach(function (v) { tr.appendChild(make("td", null, v)); });
        var acts = make("td");
        if (open) {
          // Five more minutes to vote (one without a deadline closes in five minutes).
          acts.appendChild(moreTime(l.id, "/polls/", p, p.ends_at ? T.moreTime : T.closeIn5));
          acts.appendChild(onLive(actionButton("edit-poll", p.id, T.edit), l.id));
          acts.appendChild(onLive(actionButton("close-poll", p.id, T.closePoll), l.id));
        }
        tr.appendChild(acts);
        tb.appendChild(tr);
      });
      if (!rows.length) emptyRow(tb, T.noPoll);
    });
  }
  // Every live's prize draws, newest first, with the winner's real name (an
  // anonymous donor's too, marked so) and their donation's id, to find them at
  // the payment provider. A winner older than the donations the table holds is
  // looked up once by its id.
  var winnerOf = cagnotteWinners(
    function (id) { return donationsById[id]; },
    function (id) {
      return api("GET", "/api/v1/campaigns/" + encodeURIComponent(campaign.id) + "/donations?limit=1&q=" + encodeURIComponent(id));
    },
    function () { if (campaign) renderDraws(campaign); }, fail);
  var D = cagnotteDrawWords[lang];
  function winnerName(d, w) { return cagnotteWinnerName(d, w, D); }
  function renderDraws(c) {
    var tb = el("draws").tBodies[0];
    cagnotteRedraw(tb, function (tb) {
      var rows = [];
      c.lives.forEach(function (l) { (l.draws || []).forEach(function (x) { rows.push([l, x]); }); });
      rows.sort(function (a, b) { return Date.parse(b[1].at) - Date.parse(a[1].at); });
      rows.forEach(function (r) {
        var l = r[0], x = r[1], w = x.winner;
        var tr = make("tr");
        tr.dataset.id = x.id;
        tr.dataset.winner = w.id;
        tr.appendChild(make("td", "when", when(x.at)));
        tr.appendChild(make("td", null, l.host));
        tr.appendChild(make("td", null, x.prize));
        var who = make("td", "winner", winnerName(winnerOf(w.id), w));
        who.appendChild(make("small", "help", " " + w.id));
        tr.appendChild(who);
        tr.appendChild(make("td", "num", money(w.amount, c.currency)));
        tr.appendChild(make("td", null, D.entries(x.entries, x.tickets) + (x.campaign_wide ? " — " + T.wholeCampaign : "")));
        tb.appendChild(tr);
      });
      if (!rows.length) emptyRow(tb, T.noDraw);
    });
  }

  // An open poll's time left moves on.
  setInterval(function () {
    var open = campaign && campaign.lives.some(function (l) {
      return (l.polls || []).some(function (p) { return p.ends_at && cagnottePollState(p, cagnotteNow() - 1000).open; });
    });
    if (open) renderPolls(campaign);
  }, 1000);

  function renderMilestones(c) {
    var host = {};
    c.lives.forEach(function (l) { host[l.id] = l.host; });
    var tb = el("milestones").tBodies[0];
    cagnotteRedraw(tb, function (tb) {
      c.milestones.forEach(function (m) {
        var tr = make("tr");
        tr.dataset.id = m.id;
        // A challenge set on air: what it asked for from its start, and its time.
        var challenge = !!m.ends_at && typeof m.from === "number";
        var amount = challenge ? T.challenge(money(m.amount - m.from, c.currency)) : money(m.amount, c.currency);
        var open = challenge && !m.reached && !m.cancelled && !m.missed && Date.parse(m.ends_at) > cagnotteNow();
        var state = m.reached ? T.reached : m.cancelled ? (challenge ? T.calledOff : T.removed)
          : open ? T.challengeOn(timeFmt.format(new Date(m.ends_at))) : challenge ? T.timeUp : T.notReached;
        [m.label, amount, m.live_id ? (host[m.live_id] || m.live_id) : T.wholeCampaign, state]
          .forEach(function (v) { tr.appendChild(make("td", null, v)); });
        // A milestone not reached can be taken off (two clicks); a challenge is its
        // host's to call off, and gets five more minutes here in one click.
        var acts = make("td");
        if (!challenge && !m.reached && !m.cancelled) acts.appendChild(actionButton("remove-milestone", m.id, T.remove));
        if (open) {
          acts.appendChild(moreTime(m.live_id, "/challenges/", m, T.moreTime));
          acts.appendChild(onLive(actionButton("edit-challenge", m.id, T.edit), m.live_id));
        }
        tr.appendChild(acts);
        tb.appendChild(tr);
      });
      if (!c.milestones.length) emptyRow(tb, T.noMilestone);
      // The scope choice follows the lives, keeping what is selected.
      var select = field(el("new-milestone"), "live_id");
      var chosen = select.value;
      while (select.options.length > 1) select.remove(1);
      c.lives.forEach(function (l) {
        var o = make("option", null, l.host + (l.title ? " — " + l.title : ""));
        o.value = l.id;
        select.appendChild(o);
      });
      select.value = chosen;
      if (select.value !== chosen) select.value = "";
    });
  }

  // The hosts of several lives, biggest total first, each with their links for the month.
  function renderHosts(c) {
    var cancelled = {};
    c.lives.forEach(function (l) { if (l.cancelled) cancelled[l.id] = true; });
    var hosts = (c.hosts || []).filter(function (h) { return h.lives.length > 1; }).sort(function (a, b) {
      return b.totals.total - a.totals.total || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);
    });
    el("hosts-card").hidden = !hosts.length;
    var tb = el("hosts").tBodies[0];
    cagnotteRedraw(tb, function (tb) {
      hosts.forEach(function (h) {
        var tr = make("tr");
        tr.dataset.id = h.live_id;
        tr.appendChild(make("td", "host", h.host));
        // Lives called off are not counted (their donations are, in the total).
        tr.appendChild(make("td", "num", String(h.lives.filter(function (id) { return !cancelled[id]; }).length)));
        tr.appendChild(make("td", "num", money(h.totals.total, c.currency)));
        var acts = make("td");
        acts.appendChild(actionButton("rotate-month", h.live_id, T.monthLinks));
        acts.appendChild(actionButton("rename-host", h.live_id, T.rename));
        tr.appendChild(acts);
        tb.appendChild(tr);
      });
      // The rename form offers these hosts, keeping the one chosen.
      var select = field(el("rename-host"), "host"), chosen = select.value;
      select.textContent = "";
      hosts.forEach(function (h) {
        var o = make("option", null, h.host);
        o.value = hostKey(h.host);
        select.appendChild(o);
      });
      if (chosen) select.value = chosen;
    });
  }
  // Whose lives a host's name stands for: as the server compares them.
  function hostKey(name) { return name.trim().toLowerCase(); }

  function renderLives(c) {
    var box = el("lives");
    var keep = {}, prev = null;
    c.lives.forEach(function (l) {
      keep[l.id] = true;
      var card = box.querySelector('article[data-live="' + CSS.escape(l.id) + '"]');
      var fresh = !card;
      if (fresh) {
        card = el("tpl-live").content.firstElementChild.cloneNode(true);
        card.dataset.live = l.id;
      }
      // In the schedule's order, a card moved only when out of it: a card
      // moved loses the focus of the field the organiser is typing in, and
      // the page reloads every second while gifts come.
      var place = prev ? prev.nextElementSibling : box.firstElementChild;
      if (place !== card) box.insertBefore(card, place);
      prev = card;
      var f = function (name) { return card.querySelector('[data-f="' + name + '"]'); };
      f("host").textContent = l.host;
      f("title").textContent = l.title || "";
      // A finished live folds to its header line, so that the current one is
      // not ten cards down in a month of lives; it opens again on a click, and
      // a live that is not over is always open.
      // One that ends while the page is open folds too when the clock ended
      // it, not an edit of its schedule (the organiser is working in it).
      // A live called off folds like one that is over.
      var over = l.status === "past" || l.status === "cancelled";
      card.classList.toggle("past", over);
      var ended = card.dataset.status && card.dataset.status !== "past" && card.dataset.ends === String(l.ends_at);
      if (!over) f("manage").open = true;
      else if (fresh || ended) f("manage").open = false;
      card.dataset.status = l.status;
      card.dataset.ends = String(l.ends_at);
      f("status").textContent = T["live_" + l.status] || l.status;
      f("status").dataset.status = l.status;
      // Its alerts paused, or on.
      f("pause").dataset.act = l.alerts_paused ? "resume-alerts" : "pause-alerts";
      f("pause").textContent = l.alerts_paused ? T.resumeAlerts : T.pauseAlerts;
      // Called off, or on again: one button, two clicks to call off.
      var cancel = f("cancel");
      cancel.dataset.act = l.status === "cancelled" ? "restore-live" : "cancel-live";
      if (armedActs["cancel-live " + l.id] && l.status !== "cancelled") arm(cancel);
      else cagnotteUnarm(cancel, l.status === "cancelled" ? T.restoreLive : T.cancelLive);
      // On air early or late: started or ended now, whatever the schedule said.
      var onAir = f("on-air");
      onAir.hidden = l.status === "cancelled";
      onAir.dataset.act = l.status === "current" ? "end-live" : "start-live";
      if (armedActs[onAir.dataset.act + " " + l.id]) arm(onAir);
      else cagnotteUnarm(onAir, l.status === "current" ? T.endLive : T.startLive);
      f("when").textContent = l.scheduled_at ? when(l.scheduled_at) + " ·" : "";
      f("totals").textContent = money(l.totals.total, c.currency) + " — " + T.donations(l.totals.donations);
      f("public").href = "/lives/" + encodeURIComponent(l.id) + "?lang=" + lang;
      f("host-space").href = "/lives/" + encodeURIComponent(l.id) + "/host?lang=" + lang;
      // The builder asks for the overlay link already in OBS: it stays as it is.
      f("builder").href = "/overlay/lives/" + encodeURIComponent(l.id) + "/builder?lang=" + lang;
      var mod = moderations[l.id];
      if (mod) {
        // The texts waiting for approval, counted on the closed box's line.
        var waiting = mod.pending.length;
        f("mode").textContent = T["mode_" + mod.mode] + (waiting ? " · " + T.waiting(waiting) : "");
        f("mode").dataset.waiting = waiting ? "1" : "";
        renderPending(f("pending"), mod.pending, c.currency);
      }
      if (fresh) {
        fillLiveForms(card, l, c.currency);
        liveRewards(card, l.id, c.currency);
        var mods = card.querySelector('[data-box="moderators"]');
        mods.addEventListener("toggle", function () { if (mods.open) liveModerators(card); });
      }
    });
    Array.prototype.forEach.call(box.querySelectorAll("article[data-live]"), function (a) {
      if (!keep[a.dataset.live]) a.remove();
    });
    el("no-live").hidden = c.lives.length > 0;
    followSchedule(c);
  }
  // A live's moderators by name, in its card's "Modérateurs" once opened: each
  // one's link taken back in two clicks (the host makes them in their space).
  function liveModerators(card) {
    return api("GET", "/api/v1/lives/" + encodeURIComponent(card.dataset.live) + "/moderators").then(function (v) {
      cagnotteModerators(card.querySelector('[data-f="moderators"]'), v.moderators, T, when, actionButton);
    }).catch(fail);
  }
  // A live's rewards, in its card's "Contreparties" (shared.js, as the host's
  // space): the organisers offer one, stop offering one and tick claims "Fait"
  // for a host who cannot. Read when the card is made, then again on the frames
  // that name one of its rewards.
  function liveRewards(card, liveId, currency) {
    card.rewards = cagnotteRewards({
      box: card.querySelector('[data-box="rewards"]'), live: liveId, request: api, labels: cagnotteRewardWords[lang],
      money: function (minor) { return money(minor, currency); }, exp: exponent(currency), when: when,
      said: notice, fail: fail
    });
    card.rewards.load().catch(fail);
  }
  // The lives whose rewards a frame changed: an offer, a close, a claim ticked,
  // a donation, refund or edit of a donation that claimed one (each names its
  // reward); every live after a snapshot (frames may have come while the page
  // was not connected). Read with the next reload.
  var rewardsDue = {};
  function noteRewards(ev) {
    if (ev.type === "snapshot") rewardsDue["*"] = true;
    else if (ev.reward && ev.reward.live_id) rewardsDue[ev.reward.live_id] = true;
  }
  function loadRewards() {
    var due = rewardsDue;
    rewardsDue = {};
    Array.prototype.forEach.call(el("lives").querySelectorAll("article[data-live]"), function (card) {
      if (card.rewards && (due["*"] || due[card.dataset.live])) card.rewards.load().catch(fail);
    });
  }
  // A live's state changes with the clock, not with an event: the page reloads
  // when the next live starts or ends, so "en cours" and the fold come on time.
  var scheduleTimer = null;
  function followSchedule(c) {
    clearTimeout(scheduleTimer);
    var now = cagnotteNow(), next = Infinity;
    c.lives.forEach(function (l) {
      [l.scheduled_at, l.ends_at].forEach(function (t) {
        var at = t ? Date.parse(t) : NaN;
        if (at > now && at < next) next = at;
      });
    });
    // setTimeout takes at most about 24 days; the next reload looks again.
    if (next !== Infinity) scheduleTimer = setTimeout(function () { refresh(false); }, Math.min(next - now + 250, 86400000));
  }
  function fillLiveForms(card, l, currency) {
    setFields(card.querySelector('[data-form="edit"]'), {
      host: l.host, title: l.title, platform: l.platform, scheduled_at: toLocal(l.scheduled_at),
      duration_minutes: l.duration_minutes, goal: moneyInput(l.goal, currency), stream_url: l.stream_url
    });
    var live = card.querySelector('[data-form="edit"]');
    // The public campaign document has no per-live donate link: read the live's.
    api("GET", "/api/v1/lives/" + encodeURIComponent(l.id)).then(function (v) {
      var own = v.donate_url && v.donate_url !== (campaign && campaign.donate_url) ? v.donate_url : "";
      field(live, "donate_url").value = own;
    }).catch(function () { /* the field stays empty */ });
    fillModeration(card, moderations[l.id]);
  }
  function fillModeration(card, mod) {
    if (!mod) return;
    var form = card.querySelector('[data-form="moderation"]');
    setFields(form, { mode: mod.mode, delay_seconds: mod.delay_seconds, words: mod.words.join("\n") });
    field(form, "links").checked = mod.links;
    form.dataset.defaultWords = mod.default_words ? mod.words.join("\n") : "";
  }
  function renderPending(ul, pending, currency) {
    cagnotteRedraw(ul, function (ul) {
      if (!pending.length) { ul.appendChild(make("li", "help", T.none)); return; }
      pending.forEach(function (d) {
        var li = make("li");
        li.dataset.id = d.id;
        li.appendChild(make("strong", null, d.donor_name || "—"));
        li.appendChild(document.createTextNode(" " + money(d.amount, currency) + " "));
        if (d.message_text) li.appendChild(make("q", null, d.message_text));
        var who = donationName(d, currency);
        li.appendChild(actionButton("approve", d.id, T.approve, who));
        if (d.message_text) li.appendChild(actionButton("hide-message", d.id, T.hideMessage, who));
        if (d.donor_name) li.appendChild(actionButton("hide-donor", d.id, T.hideDonor, who));
        ul.appendChild(li);
      });
    });
  }
  // Buttons armed by a first click, by action and id: a table that is redrawn
  // (the receivers' table every few seconds) keeps them armed, and a confirming
  // click that failed can be made again.
  var armedActs = {};
  // A button that gives a live's challenge or poll `x` (`what`: "/challenges/",
  // "/polls/") five more minutes in one click.
  function moreTime(liveId, what, x, label) {
    var b = actionButton("extend", x.id, label);
    b.dataset.path = "/api/v1/lives/" + encodeURIComponent(liveId) + what + encodeURIComponent(x.id);
    b.dataset.minutes = String(cagnotteFiveMore(x));
    return b;
  }
  function onLive(b, liveId) {
    b.dataset.live = liveId;
    return b;
  }
  // A row's button; with `context` (its donor and amount, its sponsor), its
  // name says which row it acts on: "Rembourser — Zoé, 37,50 €".
  function actionButton(act, id, label, context) {
    var b = make("button", "small", label);
    b.type = "button";
    b.dataset.act = act;
    b.dataset.id = id;
    if (context) b.setAttribute("aria-label", label + " — " + context);
    if (armedActs[act + " " + id]) arm(b);
    return b;
  }
  // A donation as a row's button names it: its donor (or "anonyme") and amount.
  function donationName(d, currency) {
    return (d.donor_name || T.anonymous) + ", " + money(d.amount, currency);
  }
  function arm(b) {
    cagnotteArm(b, T.confirm);
  }
  // A first click taken back (Escape, or the focus gone to another control).
  cagnotteDisarming(document, function (b) {
    if (!b.dataset.act) return;
    var card = b.closest("article[data-live]");
    delete armedActs[b.dataset.act + " " + (b.dataset.id || (card && card.dataset.live) || currentId)];
    cagnotteUnarm(b, b.dataset.act.indexOf("rotate-") === 0 ? b.dataset.label : undefined);
    notice("", false);
  });

  var donationsKey = null;
  var donationsById = {};
  function renderDonations(list, currency) {
    // Rebuilt only when something changed: a button is not swapped under the pointer for nothing.
    var key = currency + JSON.stringify(list);
    if (key === donationsKey) return;
    donationsKey = key;
    var tb = el("donations").tBodies[0];
    cagnotteRedraw(tb, function (tb) {
      var seen = {};
      donationsById = {};
      list.forEach(function (d) {
        seen[d.id] = true;
        donationsById[d.id] = d;
        var tr = cagnotteDonationRow(d, function (m) { return money(m, currency); }, when, T);
        // A new row is marked until its arrival has been shown (the class
        // goes when its animation ends): the row drawn meanwhile is the same.
        var drawn = tb.drawnIn.querySelector("tr[data-id='" + CSS.escape(d.id) + "']");
        if (seenDonations && !seenDonations[d.id] && !drawn || drawn && drawn.classList.contains("new")) tr.className = "new";
        var acts = make("td", "actions");
        var who = donationName(d, currency);
        var button = function (act, label) { acts.appendChild(actionButton(act, d.id, label, who)); };
        if (!d.refunded && (d.pending || d.moderation === "pending")) button("approve", T.approve);
        if (d.donor_name && !d.donor_hidden) button("hide-donor", T.hideDonor);
        if (d.message_text && !d.message_hidden) button("hide-message", T.hideMessage);
        // A hiding undone: the name or the words back on air.
        if (d.donor_name && d.donor_hidden) button("show-donor", T.showDonor);
        if (d.message_text && d.message_hidden) button("show-message", T.showMessage);
        if (!d.refunded) {
          if (!(d.pending || d.moderation === "pending")) button("replay", T.replay);
          button("refund", T.refund);
          button("part-refund", T.partRefund);
        }
        if (!d.erased && (d.donor_name || d.message_text)) button("erase", T.erase);
        if (!d.erased && d.donor_name) button("erase-donor", T.eraseDonor);
        tr.appendChild(acts);
        tb.appendChild(tr);
      });
      seenDonations = seen;
    });
  }

  // ---- writes ------------------------------------------------------------------
  function guard(fn) {
    return function (e) {
      e.preventDefault();
      var form = e.target;
      var run;
      try { run = fn(form); } catch (err) { fail(err); return; }
      form.dataset.busy = "1";
      Promise.resolve(run).catch(fail).then(function () { delete form.dataset.busy; });
    };
  }
  function formValues(form, currency) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (f) {
      if (!f.name) return;
      if (f.type === "checkbox") out[f.name] = f.checked;
      else if (f.hasAttribute("data-money")) out[f.name] = parseMoney(f.value, currency);
      else if (f.type === "datetime-local") out[f.name] = toIso(f.value);
      else if (f.type === "number") out[f.name] = f.value === "" ? null : parseInt(f.value, 10);
      else out[f.name] = text(f.value);
    });
    return out;
  }
  function dropNulls(o) {
    Object.keys(o).forEach(function (k) { if (o[k] === null) delete o[k]; });
    return o;
  }

  el("new-campaign").addEventListener("submit", guard(function (form) {
    var v = dropNulls(formValues(form, field(form, "currency").value));
    return api("POST", "/api/v1/campaigns", v).then(function (c) {
      form.reset();
      el("new-campaign-box").open = false;
      notice(T.created, false);
      // The campaign's overlay link is shown once, like a live's.
      return loadCampaigns(c.id).then(function () { showSecrets(c.name, c.overlay_url, null); });
    });
  }));

  el("edit-campaign").addEventListener("submit", guard(function (form) {
    var v = formValues(form, campaign.currency);
    return api("PATCH", "/api/v1/campaigns/" + encodeURIComponent(currentId), v).then(function () {
      notice(T.saved, false);
      return Promise.all([refresh(true), loadCampaignNames()]);
    });
  }));
  function loadCampaignNames() {
    return api("GET", "/dashboard/campaigns").then(function (v) {
      v.campaigns.forEach(function (c) {
        var a = el("campaign-list").querySelector('a[data-id="' + CSS.escape(c.id) + '"]');
        if (a) a.textContent = c.name;
      });
    });
  }

  // A sponsor's logo is one of the campaign's images ("Images et sons des
  // alertes"): the lists offer them by name, keeping the one chosen.
  function fillLogos(form, chosen) {
    var select = form.querySelector("select[data-logos]");
    return api("GET", "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/media").then(function (v) {
      while (select.options.length > 1) select.remove(1);
      v.media.filter(function (m) { return m.kind === "image"; }).forEach(function (m) {
        var o = document.createElement("option");
        o.value = m.id;
        o.textContent = m.name;
        select.appendChild(o);
      });
      select.value = chosen || "";
    });
  }
  // The campaign's picture is one of its images too.
  el("edit-campaign").closest("details").addEventListener("toggle", function (e) {
    if (e.target.open && currentId) fillLogos(el("edit-campaign"), campaign && campaign.cover).catch(fail);
  });
  el("new-match").closest("details").addEventListener("toggle", function (e) {
    if (e.target.open && currentId) fillLogos(el("new-match"), "").catch(fail);
  });
  el("new-match").addEventListener("submit", guard(function (form) {
    var v = formValues(form, campaign.currency);
    var payload = dropNulls({
      sponsor: v.sponsor, ratio: [v.ratio_num, v.ratio_den], cap: v.cap, min_amount: v.min_amount,
      max_per_donation: v.max_per_donation, starts_at: v.starts_at, ends_at: v.ends_at, logo: v.logo
    });
    return api("POST", "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/matches", payload).then(function () {
      form.reset();
      notice(T.created, false);
      return refresh(false);
    });
  }));

  // Editing a match: the form is filled from the campaign's answer; an emptied
  // optional field clears it (null in the PATCH).
  function openMatchEditor(id) {
    var m = (campaign.matches || []).filter(function (x) { return x.id === id; })[0];
    if (!m) return;
    var form = el("edit-match");
    var cur = campaign.currency;
    form.dataset.id = id;
    setFields(form, {
      sponsor: m.sponsor, ratio_num: m.ratio[0], ratio_den: m.ratio[1], cap: moneyInput(m.cap, cur),
      min_amount: moneyInput(m.min_amount, cur), max_per_donation: moneyInput(m.max_per_donation, cur),
      starts_at: toLocal(m.starts_at), ends_at: toLocal(m.ends_at)
    });
    el("edit-match-name").textContent = m.sponsor;
    fillLogos(form, m.logo).catch(fail);
    var box = el("edit-match-box");
    box.hidden = false;
    box.open = true;
    box.scrollIntoView({ block: "nearest" });
  }
  el("edit-match").addEventListener("submit", guard(function (form) {
    var v = formValues(form, campaign.currency);
    var payload = {
      sponsor: v.sponsor, ratio: [v.ratio_num, v.ratio_den], cap: v.cap, min_amount: v.min_amount,
      max_per_donation: v.max_per_donation, starts_at: v.starts_at, ends_at: v.ends_at, logo: v.logo
    };
    var path = "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/matches/" + encodeURIComponent(form.dataset.id);
    return api("PATCH", path, payload).then(function () {
      el("edit-match-box").hidden = true;
      notice(T.saved, false);
      return refresh(false);
    });
  }));

  // Giving back part of a donation: the form asks for the total refunded so far.
  function openPartRefund(id) {
    var d = donationsById[id];
    if (!d) return;
    var form = el("part-refund");
    form.dataset.id = id;
    setFields(form, { refunded_amount: d.refunded_amount ? moneyInput(d.refunded_amount, campaign.currency) : "" });
    el("part-refund-name").textContent = (d.donor_name || T.anonymous) + " " + money(d.amount, campaign.currency);
    var box = el("part-refund-box");
    box.hidden = false;
    box.open = true;
    box.scrollIntoView({ block: "nearest" });
    field(form, "refunded_amount").focus();
  }
  // Closed (saved, or Escape), the form gives the focus back to its row's button.
  function closePartRefund(id) {
    var box = el("part-refund-box");
    var had = box.contains(document.activeElement);
    box.hidden = true;
    var b = el("donations").querySelector("button[data-act='part-refund'][data-id='" + CSS.escape(id) + "']");
    if (had && b) b.focus();
  }
  el("part-refund-box").addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || el("part-refund-box").hidden) return;
    e.preventDefault();
    closePartRefund(el("part-refund").dataset.id);
  });
  el("part-refund").addEventListener("submit", guard(function (form) {
    var v = formValues(form, campaign.currency);
    var id = form.dataset.id;
    var path = "/api/v1/donations/" + encodeURIComponent(id) + "/refund";
    return api("POST", path, { refunded_amount: v.refunded_amount }).then(function (r) {
      closePartRefund(id);
      // Money given back is not taken back: a smaller total changes nothing.
      var d = r && r.donation;
      if (d && !d.refunded && d.refunded_amount > v.refunded_amount) {
        notice(T.error + T.refundNotLowered(money(d.refunded_amount, campaign.currency)), true);
      } else {
        notice(T.saved, false);
      }
      return refresh(false);
    });
  }));

  // HelloAsso signs nothing for an association: its notification URL carries
  // the secret (and the form whose payments count), shown once. Twitch's
  // subscription is made on Twitch's side, by a command carrying the secret.
  field(el("new-integration"), "provider").addEventListener("change", function (e) {
    el("helloasso-form").hidden = e.target.value !== "helloasso";
  });
  // One command per channel (one campaign URL serves several): the channel's
  // id typed, the command follows, while the secret is still at hand.
  var twitchHook = null;
  function twitchCommand() {
    var id = el("twitch-user").value.replace(/\D/g, "");
    el("twitch-command").value = !twitchHook ? "" : "twitch api post eventsub/subscriptions -b '" + JSON.stringify({
      type: "channel.charity_campaign.donate", version: "1",
      condition: { broadcaster_user_id: id },
      transport: { method: "webhook", callback: twitchHook.url, secret: twitchHook.secret }
    }) + "'";
  }
  el("twitch-user").addEventListener("input", twitchCommand);
  el("new-integration").addEventListener("submit", guard(function (form) {
    var live = field(form, "live_id").value;
    var body = { provider: field(form, "provider").value, secret: field(form, "secret").value };
    var path = live ? "/api/v1/lives/" + encodeURIComponent(live) + "/integrations"
      : "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/integrations";
    return api("POST", path, body).then(function (i) {
      el("helloasso-box").hidden = i.provider !== "helloasso";
      el("twitch-box").hidden = i.provider !== "twitch";
      if (i.provider === "twitch") {
        twitchHook = { url: i.url, secret: body.secret };
        twitchCommand();
      }
      if (i.provider === "helloasso") el("helloasso-url").value = helloassoUrl(i.url, body.secret, field(form, "ha_form").value);
      field(form, "secret").value = "";
      field(form, "ha_form").value = "";
      notice(T.created, false);
      loadHooks();
    });
  }));
  el("integration-secret").addEventListener("submit", guard(function (form) {
    var id = field(form, "id").value, secret = field(form, "secret").value, i = integrations[id];
    return api("PATCH", "/api/v1/integrations/" + encodeURIComponent(id), { secret: secret })
      .then(function () {
        var again = i && i.provider === "helloasso";
        el("helloasso-again-box").hidden = !again;
        if (again) el("helloasso-again-url").value = helloassoUrl(i.url, secret, field(form, "ha_form").value);
        field(form, "secret").value = "";
        field(form, "ha_form").value = "";
        notice(T.saved, false);
        loadHooks();
      });
  }));
  // A chat's incoming webhook (Discord, Slack) takes lines of text in a
  // language, and checks no signature: no secret to give.
  function hookFormat() {
    var form = el("new-subscriber"), chat = field(form, "format").value !== "cagnotte";
    Array.prototype.forEach.call(form.querySelectorAll("[data-chat]"), function (n) { n.hidden = !chat; });
    Array.prototype.forEach.call(form.querySelectorAll("[data-signed]"), function (n) { n.hidden = chat; });
    field(form, "secret").required = !chat;
    var url = field(form, "url");
    url.placeholder = chat ? url.dataset.chatPlaceholder : url.dataset.signedPlaceholder;
  }
  field(el("new-subscriber"), "format").addEventListener("change", hookFormat);
  el("new-subscriber").addEventListener("submit", guard(function (form) {
    var format = field(form, "format").value;
    var body = { url: field(form, "url").value.trim(), campaign_id: currentId, format: format };
    if (format === "cagnotte") body.secret = field(form, "secret").value;
    else body.lang = field(form, "lang").value;
    return api("POST", "/api/v1/webhooks", body).then(function () {
      form.reset();
      hookFormat();
      notice(T.created, false);
      loadHooks();
    });
  }));

  // A host renamed on all their lives at once; a name another host has joins
  // them, once confirmed by a second click.
  var renameArmed = null;
  el("rename-host").addEventListener("submit", guard(function (form) {
    var key = field(form, "host").value, to = text(field(form, "to").value);
    var lives = campaign.lives.filter(function (l) { return hostKey(l.host) === key; });
    if (!to || !lives.length) return null;
    var from = lives[0].host;
    if (lives.every(function (l) { return l.host === to; })) { notice(T.renameSame, true); return null; }
    var joins = hostKey(to) !== key && campaign.lives.some(function (l) { return hostKey(l.host) === hostKey(to); });
    if (joins && renameArmed !== key + "\n" + hostKey(to)) {
      renameArmed = key + "\n" + hostKey(to);
      notice(T.renameJoins(to), false);
      return null;
    }
    renameArmed = null;
    var path = "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/hosts/rename";
    return api("POST", path, { from: from, to: to }).then(function () {
      field(form, "to").value = "";
      notice(T.renamed(from, to, lives.length), false);
      return refresh(false);
    });
  }));

  // Empty fields keep what the receiver has.
  el("edit-subscriber").addEventListener("submit", guard(function (form) {
    var body = {};
    var url = field(form, "url").value.trim(), secret = field(form, "secret").value;
    if (url) body.url = url;
    if (secret) body.secret = secret;
    if (!url && !secret) {
      notice(T.nothingToChange, true);
      return null;
    }
    return api("PATCH", "/api/v1/webhooks/" + encodeURIComponent(field(form, "id").value), body).then(function () {
      field(form, "url").value = "";
      field(form, "secret").value = "";
      notice(T.saved, false);
      loadHooks();
    });
  }));

  el("new-milestone").addEventListener("submit", guard(function (form) {
    var v = dropNulls(formValues(form, campaign.currency));
    return api("POST", "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/milestones", v).then(function () {
      form.reset();
      notice(T.created, false);
      return refresh(false);
    });
  }));

  el("new-live").addEventListener("submit", guard(function (form) {
    var days = Array.prototype.filter.call(form.querySelectorAll("[name=repeat_day]"), function (c) { return c.checked; })
      .map(function (c) { return Number(c.value); });
    var weeks = Math.min(12, Math.max(1, parseInt(field(form, "repeat_weeks").value, 10) || 1));
    var v = dropNulls(formValues(form, campaign.currency));
    delete v.repeat_day;
    delete v.repeat_weeks;
    var path = "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/lives";
    if (!days.length) {
      return api("POST", path, v).then(function (l) {
        form.reset();
        notice(T.created, false);
        showSecrets(l.host, l.overlay_url, l.key, l.host_url);
        // The host has other lives in the campaign: one link follows them all.
        var key = l.host.trim().toLowerCase();
        if ((campaign.lives || []).some(function (o) { return o.id !== l.id && o.host.trim().toLowerCase() === key; })) {
          showFollow(l.overlay_url, l.host_url);
        }
        return refresh(false);
      });
    }
    if (!v.scheduled_at) throw new Error(T.repeatNeedsDate);
    // One live a date, one after the other, in the schedule's order.
    var dates = seriesDates(new Date(v.scheduled_at), days, weeks);
    var made = [];
    return dates.reduce(function (chain, at) {
      return chain.then(function () {
        return api("POST", path, Object.assign({}, v, { scheduled_at: at.toISOString().replace(/\.\d{3}Z$/, "Z") }))
          .then(function (l) { made.push(l); });
      });
    }, Promise.resolve()).then(function () {
      form.reset();
      notice(T.seriesCreated(made.length), false);
      showSeries(v.host, made);
      return refresh(false);
    }, function (e) {
      if (made.length) showSeries(v.host, made);
      refresh(false);
      throw new Error(T.seriesStopped(made.length, dates.length) + (e instanceof CagnotteApiError ? explain(e) : e.message));
    });
  }));

  // The first live's date, then each day ticked (`days`: 0 is Sunday) at the
  // same time on the organiser's clock, for `weeks` weeks.
  function seriesDates(first, days, weeks) {
    var out = [first];
    for (var i = 1; i < weeks * 7; i++) {
      var d = new Date(first.getFullYear(), first.getMonth(), first.getDate() + i, first.getHours(), first.getMinutes());
      if (days.indexOf(d.getDay()) >= 0) out.push(d);
    }
    return out;
  }

  // The links of a series just made: each live's overlay link and host's space
  // link, shown once like a single live's.
  function showSeries(host, lives) {
    showSecrets(host, null, null, null);
    if (lives.length) showFollow(lives[0].overlay_url, lives[0].host_url);
    el("secret-series-box").hidden = false;
    var tb = el("series").querySelector("tbody");
    tb.textContent = "";
    lives.forEach(function (l, i) {
      var tr = make("tr");
      tr.appendChild(make("td", null, when(l.scheduled_at)));
      var heads = el("series").querySelectorAll("thead th");
      [["series-overlay-", cagnotteOverlayLink(l.overlay_url, lang), 1], ["series-host-", cagnotteHostLink(l.host_url, lang), 2]].forEach(function (p) {
        var td = make("td", "url");
        var row = make("span", "copy-row");
        var input = make("input");
        input.readOnly = true;
        input.value = p[1];
        input.id = p[0] + i;
        // Named by its column and its live's date: "URL de l'overlay — 3 mars, 20:00".
        var name = heads[p[2]].textContent + " — " + when(l.scheduled_at);
        input.setAttribute("aria-label", name);
        var b = make("button", null, T.copy);
        b.type = "button";
        b.dataset.copy = input.id;
        cagnotteNameCopy(lang, b, input, name);
        row.appendChild(input);
        row.appendChild(b);
        td.appendChild(row);
        tr.appendChild(td);
      });
      tb.appendChild(tr);
    });
  }

  // The secrets just made, each shown once: an overlay link, a write key, a host
  // link (its token after "#key=", the page in this page's language).
  // A host's link that follows their lives: any of their lives' overlay link
  // with `follow=host`.
  // Likewise their host's space: any of their host links with `follow=host`.
  function showFollow(overlayUrl, hostUrl) {
    el("secret-follow-box").hidden = false;
    el("follow-url").value = cagnotteOverlayLink(overlayUrl, lang) + "&follow=host";
    var link = cagnotteHostLink(hostUrl, lang);
    el("host-follow-url").value = link.replace("#", "&follow=host#");
  }

  function showSecrets(host, overlayUrl, key, hostUrl, moderatorUrl) {
    el("secrets").hidden = false;
    el("secret-moderator-box").hidden = !moderatorUrl;
    if (moderatorUrl) el("moderator-link").value = cagnotteHostLink(moderatorUrl, lang);
    el("secret-series-box").hidden = true;
    el("secret-follow-box").hidden = true;
    el("secret-charity-box").hidden = true;
    el("secret-host").textContent = host;
    el("secret-overlay-box").hidden = !overlayUrl;
    el("secret-key-box").hidden = !key;
    el("secret-host-box").hidden = !hostUrl;
    if (overlayUrl) {
      el("overlay-url").value = cagnotteOverlayLink(overlayUrl, lang);
      var u = new URL(overlayUrl, location.href);
      el("builder-link").href = u.pathname + "/builder" + u.search + "&lang=" + lang;
      // A separate alert instance: the preview never marks alerts as shown for OBS.
      el("overlay-preview").src = u.pathname + u.search + "&instance=dashboard-preview&lang=" + lang;
    }
    if (key) el("live-key").value = key;
    if (hostUrl) {
      el("host-link").value = cagnotteHostLink(hostUrl, lang);
    }
    Array.prototype.forEach.call(el("secrets").querySelectorAll("[data-copy]"), function (b) { delete b.dataset.copied; });
    el("secrets").scrollIntoView({ block: "nearest" });
    // Shown once, at the top: the focus goes there, not left in the form far below.
    var heading = el("secrets").querySelector("h2, h3");
    heading.tabIndex = -1;
    heading.focus();
  }

  // ---- donations taken off line, from a spreadsheet ------------------------
  // A CSV file (as spreadsheets save it: `;`, `,` or a tab between cells,
  // quotes around a cell that holds one): one gift per line, its amount, then
  // its donor and message if any; a header line names the columns. Each gift
  // goes with an idempotency key made of the live, the line and how many equal
  // lines came before it, so the same file imported again counts nothing twice,
  // and a file with lines added counts only those.
  function csvCells(line, sep) {
    var cells = [], cell = "", quoted = false;
    for (var i = 0; i < line.length; i++) {
      var c = line.charAt(i);
      if (quoted) {
        if (c === '"' && line.charAt(i + 1) === '"') { cell += '"'; i++; }
        else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === sep) { cells.push(cell); cell = ""; }
      else cell += c;
    }
    cells.push(cell);
    return cells.map(function (x) { return x.trim(); });
  }
  // Two FNV-1a hashes of a text: a stable key of 64 bits in hex.
  function lineKey(text) {
    var a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193) >>> 0;
      b = Math.imul(b ^ c, 0x01000193 + 2) >>> 0;
    }
    return ("0000000" + a.toString(16)).slice(-8) + ("0000000" + b.toString(16)).slice(-8);
  }
  // A column's name as people write it: "Montant (€)", "Nom du donateur :".
  function headName(h) {
    return h.toLowerCase().replace(/\(.*?\)|\[.*?\]|[€$£:*]/g, "").replace(/\s+/g, " ").trim();
  }
  // An amount as spreadsheets write it: "12,50", "12.50 €", "1 234,56", "1,234.56", "1.234,56".
  function importAmount(cell, exp) {
    var c = String(cell || "").replace(/[€$£]|EUR|USD|GBP|JPY|CHF|CAD/gi, "").replace(/[\s\u00a0\u202f]/g, "");
    if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(c)) c = c.replace(/,/g, "");
    else if (/^\d{1,3}(\.\d{3})+(,\d+)?$/.test(c)) c = c.replace(/\./g, "");
    return cagnotteMinor(c, exp);
  }
  function readImport(text, liveId, currency) {
    // Each line keeps its number in the file, blank ones counted.
    var lines = text.replace(/^\ufeff/, "").split(/\r\n|\n|\r/).map(function (l, i) { return { text: l, n: i + 1 }; })
      .filter(function (l) { return l.text.trim(); });
    var first = lines.length ? lines[0].text : "";
    var sep = first.indexOf(";") >= 0 ? ";" : first.indexOf("\t") >= 0 ? "\t" : ",";
    var cols = { amount: 0, donor: 1, message: 2 };
    var exp = exponent(currency), rows = [], bad = [], seen = {}, start = 0;
    var max = Number(document.body.dataset.maxAmount) * Math.pow(10, exp);
    var head = csvCells(first, sep).map(headName);
    if (head.length && !(importAmount(head[0], exp) > 0) && /[a-zà-ÿ]/.test(head.join(""))) {
      start = 1;
      // A column by its name, else by a name it starts with ("montant du don").
      var find = function (names, fallback) {
        for (var i = 0; i < head.length; i++) if (names.indexOf(head[i]) >= 0) return i;
        for (var j = 0; j < head.length; j++) {
          for (var k = 0; k < names.length; k++) if (head[j].indexOf(names[k] + " ") === 0) return j;
        }
        return fallback;
      };
      cols = {
        amount: find(["montant", "amount", "somme", "don", "donation"], 0),
        donor: find(["donateur", "donatrice", "donor", "nom", "name"], -1),
        message: find(["message", "commentaire", "comment"], -1)
      };
    }
    for (var n = start; n < lines.length; n++) {
      var cells = csvCells(lines[n].text, sep), cell = cells[cols.amount] || "";
      var amount = importAmount(cell, exp);
      if (!(amount > 0)) { bad.push(T.importLine(lines[n].n, cell)); continue; }
      if (max > 0 && amount > max) { bad.push(T.importTooLarge(lines[n].n, cell, money(max, currency))); continue; }
      var norm = cells.join("\u001f");
      seen[norm] = (seen[norm] || 0) + 1;
      rows.push({
        line: lines[n].n,
        amount: amount,
        donor: cols.donor >= 0 && cells[cols.donor] ? cells[cols.donor] : null,
        message: cols.message >= 0 && cells[cols.message] ? cells[cols.message] : null,
        key: "import-" + lineKey(liveId + "\n" + norm + "\n" + seen[norm])
      });
    }
    return { rows: rows, bad: bad };
  }
  // Sends the gifts read, one after the other: how many were new, how many had been imported before.
  function sendImport(liveId, rows, currency, progress) {
    var added = 0, again = 0, i = 0;
    var path = "/api/v1/lives/" + encodeURIComponent(liveId) + "/donations";
    function next() {
      if (i >= rows.length) return Promise.resolve({ added: added, again: again });
      var r = rows[i++];
      progress(i);
      var body = dropNulls({ amount: r.amount, currency: currency, donor: r.donor, message: r.message, platform: "offline" });
      return fetch(path, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "", "Idempotency-Key": r.key },
        body: JSON.stringify(body)
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (v) {
          if (res.status === 201) added++;
          else if (res.status === 200) again++;
          else {
            var e = new CagnotteApiError(res.status, v.error, v.message || res.statusText, v);
            e.importLine = r.line;
            e.imported = { added: added, again: again };
            throw e;
          }
          return next();
        });
      });
    }
    return next();
  }

  // A live's open challenge or poll (`kind`) changed on air: its live's card's
  // form, opened and filled with its terms (shared.js); "Annuler la
  // modification" puts it back to a new one.
  function editOnAir(kind, liveId, id) {
    var card = el("lives").querySelector('article[data-live="' + CSS.escape(liveId) + '"]');
    var l = campaign.lives.filter(function (x) { return x.id === liveId; })[0];
    var x = kind === "poll" ? (l && l.polls || []).filter(function (p) { return p.id === id; })[0]
      : campaign.milestones.filter(function (m) { return m.id === id; })[0];
    if (!card || !x) return;
    var box = card.querySelector('[data-box="' + kind + '"]'), form = box.querySelector("form");
    card.editing = card.editing || {};
    card.editing[kind] = card.editing[kind] || cagnotteEditable(kind, form, form.querySelector('button[type="submit"]'),
      form.querySelector('[data-f="' + kind + '-keep"]'), {
        lang: lang, said: notice, heading: box.querySelector("summary"),
        amountText: function (minor) { return moneyInput(minor, campaign.currency); }
      });
    card.querySelector('[data-f="manage"]').open = true;
    box.open = true;
    card.editing[kind].edit(x);
    box.scrollIntoView({ block: "center" });
  }
  // What a live's challenge or poll form sends: a new one, or the one it
  // changes on air (`form.dataset.editing`).
  function startOrChange(form, path, kind, payload, started) {
    var editing = form.dataset.editing, card = form.closest("article[data-live]");
    if (editing) {
      if (kind === "poll") payload = { question: payload.question, minutes: payload.minutes };
      return api("PATCH", path + "/" + kind + "s/" + encodeURIComponent(editing), payload).then(function () {
        card.editing[kind].leave();
        notice(kind === "poll" ? T.pollUpdated : T.challengeUpdated, false);
        return refresh(false);
      });
    }
    return api("POST", path + "/" + kind + "s", payload).then(function () {
      form.reset();
      notice(started, false);
      return refresh(false);
    });
  }
  // Per-live forms, inside the cards.
  el("lives").addEventListener("submit", guard(function (form) {
    var card = form.closest("article[data-live]");
    var id = card.dataset.live;
    var path = "/api/v1/lives/" + encodeURIComponent(id);
    var cur = campaign.currency;
    var kind = form.dataset.form;
    if (kind === "donate") {
      var d = formValues(form, cur);
      var payload = dropNulls({ amount: d.amount, currency: cur, donor: d.donor, message: d.message });
      if (d.anonymous) payload.anonymous = true;
      return api("POST", path + "/donations", payload).then(function () {
        form.reset();
        notice(T.created, false);
        return refresh(false);
      });
    }
    if (kind === "import") {
      var file = form.elements.file.files[0];
      if (!file) return null;
      var preview = card.querySelector('[data-f="import-preview"]'), go = card.querySelector('[data-f="import-go"]');
      return file.text().then(function (text) {
        var read = readImport(text, id, cur);
        card.importRows = null;
        go.hidden = true;
        preview.hidden = true;
        if (read.bad.length) { notice(T.error + T.importBad(read.bad.slice(0, 5)), true); return; }
        if (!read.rows.length) { notice(T.error + T.importEmpty, true); return; }
        card.importRows = read.rows;
        var total = read.rows.reduce(function (s, r) { return s + r.amount; }, 0);
        preview.textContent = T.importPreview(read.rows.length, money(total, cur));
        preview.hidden = false;
        go.textContent = T.importGo(read.rows.length);
        go.hidden = false;
        notice("", false);
      });
    }
    if (kind === "poll") {
      var options = field(form, "options").value.split("\n").map(function (o) { return o.trim(); })
        .filter(function (o) { return o; });
      if (options.length < 2 || options.length > 6) { notice(T.badOptions, true); return null; }
      var minutes = field(form, "minutes").value;
      var poll = { question: text(field(form, "question").value), options: options };
      if (minutes) poll.minutes = parseInt(minutes, 10);
      return startOrChange(form, path, "poll", poll, T.pollStarted);
    }
    if (kind === "draw") {
      var v = formValues(form, cur);
      if (v.weighted && v.min_amount === null) { notice(D.needMin, true); return null; }
      var draw = dropNulls({
        prize: v.prize, min_amount: v.min_amount, weighted: v.weighted, minutes: v.minutes, campaign: v.campaign,
        winners: v.winners > 1 ? v.winners : null
      });
      return api("POST", path + "/draws", draw).then(function (x) {
        form.reset();
        return refresh(false).then(function () {
          notice(cagnotteDrawnSaid(x, T, function (w) { return winnerName(winnerOf(w.id), w); }), false);
        });
      });
    }
    if (kind === "challenge") {
      var c = formValues(form, cur);
      return startOrChange(form, path, "challenge", { label: c.label, amount: c.amount, minutes: c.minutes }, T.challengeStarted);
    }
    if (kind === "moderation") {
      var words = field(form, "words").value;
      var list = words.split("\n").map(function (w) { return w.trim(); }).filter(function (w) { return w !== ""; });
      var m = {
        mode: field(form, "mode").value,
        delay_seconds: parseInt(field(form, "delay_seconds").value, 10) || 30,
        words: form.dataset.defaultWords && form.dataset.defaultWords === words ? null : list,
        links: field(form, "links").checked
      };
      return api("PUT", path + "/moderation", m).then(function (v) {
        moderations[id] = v;
        fillModeration(card, v);
        notice(T.saved, false);
        return refresh(false);
      });
    }
    if (kind === "edit") {
      return api("PATCH", path, formValues(form, cur)).then(function () {
        notice(T.saved, false);
        return refresh(false);
      });
    }
    return null;
  }));

  // Buttons: per live (rotate, test alert) and per donation (approve, hide, refund).
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-act], button[data-copy]");
    if (!b) return;
    if (b.dataset.copy) { copy(b); return; }
    // A click while its last request is on its way does nothing more.
    if (cagnotteIsBusy(b)) return;
    var act = b.dataset.act;
    var card = b.closest("article[data-live]");
    var liveId = card && card.dataset.live;
    var rotate = act.indexOf("rotate-") === 0;
    var armedKey = act + " " + (b.dataset.id || liveId || currentId);
    if ((act === "refund" || act === "erase" || act === "erase-donor" || act === "close-poll" || act === "cancel-live" || act === "start-live" ||
        act === "end-live" || act.indexOf("remove-") === 0 ||
        rotate) &&
        !armedActs[armedKey]) {
      // Two clicks: a refund cannot be undone, and a replaced link or key stops
      // at once (an overlay open in OBS with the old link is cut).
      armedActs[armedKey] = true;
      if (rotate) {
        b.dataset.label = b.textContent;
        notice(act === "rotate-key" ? T.rotateKey : act === "rotate-host" ? T.rotateHost :
          act === "rotate-moderator" ? T.rotateModerator :
          act === "rotate-charity" ? T.rotateCharity : T.rotateLink, false);
      }
      if (act === "cancel-live") notice(T.cancelWarn, false);
      if (act === "erase") notice(T.eraseWarn, false);
      if (act === "erase-donor") notice(T.eraseDonorWarn(donationsById[b.dataset.id].donor_name), false);
      arm(b);
      return;
    }
    if (rotate) {
      delete armedActs[armedKey];
      cagnotteUnarm(b, b.dataset.label);
      notice("", false);
    }
    var live = "/api/v1/lives/" + encodeURIComponent(liveId || "");
    var don = "/api/v1/donations/" + encodeURIComponent(b.dataset.id || "");
    if (act === "edit-match") { openMatchEditor(b.dataset.id); return; }
    if (act === "rename-host") {
      var form = el("rename-host");
      field(form, "host").value = hostKey(b.closest("tr").querySelector(".host").textContent);
      el("rename-host-box").open = true;
      field(form, "to").focus();
      return;
    }
    if (act === "edit-poll" || act === "edit-challenge") { editOnAir(act.slice(5), b.dataset.live, b.dataset.id); return; }
    if (act === "import-confirm") {
      var rows = card.importRows, preview = card.querySelector('[data-f="import-preview"]');
      if (!rows) return;
      card.importRows = null;
      b.hidden = true;
      sendImport(liveId, rows, campaign.currency, function (i) { preview.textContent = T.importProgress(i, rows.length); })
        .then(function (done) {
          preview.hidden = true;
          card.querySelector('[data-form="import"]').reset();
          notice(T.imported(done.added, done.again), false);
          return refresh(false);
        })
        .catch(function (e) {
          preview.hidden = true;
          if (!e || !e.importLine) { fail(e); return; }
          // Stopped at a refused line: what went before it counts, what follows was not sent.
          notice(T.error + T.importStopped(e.importLine, explain(e), e.imported.added, e.imported.again), true);
          return refresh(false);
        });
      return;
    }
    if (act === "part-refund") { openPartRefund(b.dataset.id); return; }
    var call = {
      "rotate-campaign": function () {
        return api("POST", "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/rotate").then(function (v) {
          showSecrets(campaign.name, v.overlay_url, null);
        });
      },
      // The charity's space: its key after "#key=", the page in this page's language.
      "rotate-charity": function () {
        return api("POST", "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/rotate", { report_token: true }).then(function (v) {
          showSecrets(campaign.name, null, null, null);
          el("secret-charity-box").hidden = false;
          el("charity-link").value = cagnotteHostLink(v.report_url, lang);
        });
      },
      // A host's links for the month: their live of the moment's two links replaced,
      // given with `follow=host`.
      "rotate-month": function () {
        var id = b.dataset.id;
        var host = b.closest("tr").querySelector(".host").textContent;
        return api("POST", "/api/v1/lives/" + encodeURIComponent(id) + "/rotate", { overlay_token: true, host_token: true })
          .then(function (v) {
            showSecrets(host, null, null, null);
            showFollow(v.overlay_url, v.host_url);
          });
      },
      "rotate-overlay": function () {
        return api("POST", live + "/rotate", { overlay_token: true }).then(function (v) {
          showSecrets(card.querySelector('[data-f="host"]').textContent, v.overlay_url, null);
        });
      },
      "rotate-key": function () {
        return api("POST", live + "/rotate", { key: true }).then(function (v) {
          showSecrets(card.querySelector('[data-f="host"]').textContent, null, v.key, null);
        });
      },
      "rotate-host": function () {
        return api("POST", live + "/rotate", { host_token: true }).then(function (v) {
          showSecrets(card.querySelector('[data-f="host"]').textContent, null, null, v.host_url);
        });
      },
      "rotate-moderator": function () {
        return api("POST", live + "/rotate", { moderator_token: true }).then(function (v) {
          showSecrets(card.querySelector('[data-f="host"]').textContent, null, null, null, v.moderator_url);
        });
      },
      "pause-alerts": function () { return api("PUT", live + "/alerts", { paused: true }); },
      "resume-alerts": function () { return api("PUT", live + "/alerts", { paused: false }); },
      "skip-alert": function () {
        return api("POST", live + "/alerts/skip").then(function () { notice(T.alertSkipped, false); });
      },
      "cancel-live": function () {
        delete armedActs[armedKey];
        return api("PATCH", live, { cancelled: true }).then(function () { notice(T.liveCancelled, false); });
      },
      "start-live": function () {
        delete armedActs[armedKey];
        return api("POST", live + "/start").then(function () { notice(T.liveStarted, false); });
      },
      "end-live": function () {
        delete armedActs[armedKey];
        return api("POST", live + "/end").then(function () { notice(T.liveEnded, false); });
      },
      "restore-live": function () {
        return api("PATCH", live, { cancelled: false }).then(function () { notice(T.liveRestored, false); });
      },
      "test-alert": function () {
        return api("POST", live + "/test-alert", {}).then(function () { notice(T.testSent, false); });
      },
      "approve": function () { return api("POST", don + "/approve"); },
      "hide-donor": function () { return api("POST", don + "/hide", { donor: true }); },
      "hide-message": function () { return api("POST", don + "/hide", { message: true }); },
      "show-donor": function () { return api("POST", don + "/show", { donor: true }); },
      "show-message": function () { return api("POST", don + "/show", { message: true }); },
      "refund": function () { return api("POST", don + "/refund"); },
      "erase": function () { return api("POST", don + "/erase").then(function () { notice(T.erasedDone, false); }); },
      "erase-donor": function () {
        var name = donationsById[b.dataset.id].donor_name;
        return api("POST", "/api/v1/donors/erase", { donor: name }).then(function (r) {
          notice(T.erasedDonor(r.erased.length, name), false);
        });
      },
      "replay": function () { return api("POST", don + "/replay").then(function () { notice(T.replayed, false); }); },
      "remove-integration": function () {
        return api("DELETE", "/api/v1/integrations/" + encodeURIComponent(b.dataset.id)).then(loadHooks);
      },
      "close-poll": function () {
        var owner = "/api/v1/lives/" + encodeURIComponent(b.dataset.live);
        return api("POST", owner + "/polls/" + encodeURIComponent(b.dataset.id) + "/close");
      },
      "extend": function () { return api("PATCH", b.dataset.path, { minutes: Number(b.dataset.minutes) }); },
      "remove-moderator": function () {
        var name = b.closest("li").querySelector("strong").textContent;
        return api("DELETE", live + "/moderators/" + encodeURIComponent(b.dataset.id)).then(function () {
          notice(T.moderatorRemoved(name), false);
          return liveModerators(card);
        });
      },
      "remove-milestone": function () {
        return api("DELETE", "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/milestones/" + encodeURIComponent(b.dataset.id));
      },
      "test-subscriber": function () {
        return api("POST", "/api/v1/webhooks/" + encodeURIComponent(b.dataset.id) + "/test").then(function (r) {
          var ok = r.delivered;
          notice(ok ? T.hookTested(r.status) : r.status ? T.hookRefused(r.status) : T.hookFailed(r.error), !ok);
        });
      },
      "remove-subscriber": function () {
        return api("DELETE", "/api/v1/webhooks/" + encodeURIComponent(b.dataset.id)).then(loadHooks);
      }
    }[act];
    if (!call) return;
    cagnotteBusy(b, call).then(function () {
      if (act !== "test-alert" && act !== "replay" && act !== "skip-alert" && act !== "erase" && act !== "erase-donor" && act !== "test-subscriber" &&
          act !== "remove-moderator" &&
          act.indexOf("rotate") !== 0 &&
          !/-live$/.test(act)) {
        notice(T.saved, false);
      }
      return refresh(false);
    })
      .catch(fail);
  });

  // Each copy button's name says what it copies ("Copier : Lien d'overlay").
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (b) {
    var input = el(b.dataset.copy);
    if (input) cagnotteNameCopy(lang, b, input);
  });
  function copy(button) {
    cagnotteCopy(el(button.dataset.copy), function () { button.dataset.copied = "1"; notice(T.copied, false); });
  }

  // ---- the charity's report ------------------------------------------------------
  // Worked out when asked (the server reads every donation of the campaign), on
  // this computer's clock; printed alone (shared.js).
  var reportOf = null;
  function renderReport(r) {
    reportOf = r.campaign_id;
    cagnotteReport(r, campaign, lang, money, when);
  }
  el("make-report").addEventListener("click", function () {
    cagnotteBusy(el("make-report"), function () {
      return api("GET", "/api/v1/campaigns/" + encodeURIComponent(currentId) + "/report" + (zone ? "?tz=" + encodeURIComponent(zone) : ""))
        .then(renderReport);
    }).catch(fail);
  });
  // The provider's export checked against the donations (shared.js); another
  // campaign's comparison is not this one's.
  var reconcileOf = null;
  cagnotteReconcileForm(lang, function () { reconcileOf = currentId; return currentId; }, function (path, file) {
    return api("POST", path, file);
  }, function (m) { return money(m, campaign.currency); }, when, fail, {
    // A payment missing from the donations, counted on a live as its webhook would have.
    lives: function () {
      return campaign.lives.map(function (l) {
        return { id: l.id, label: l.host + (l.title ? " — " + l.title : "") + (l.scheduled_at ? " (" + when(l.scheduled_at) + ")" : "") };
      });
    },
    // The export's name for the organisers (public when `shown`), its message only when shown.
    count: function (m, platform, liveId, shown) {
      return api("POST", "/api/v1/lives/" + encodeURIComponent(liveId) + "/payments", {
        provider: platform, payment_id: m.reference, amount: m.amount, currency: campaign.currency,
        donor: m.donor, message: shown ? m.message : null, anonymous: !shown
      }).then(function () { refresh(false); });
    }
  });
  el("print-report").addEventListener("click", function () {
    body.classList.add("printing-report");
    window.print();
    body.classList.remove("printing-report");
  });

  // ---- live signal -------------------------------------------------------------
  function disconnect() {
    if (socket) { var s = socket; socket = null; s.close(); }
  }
  function connect() {
    if (!currentId || !csrf || socket) return;
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var id = currentId;
    var ws = new WebSocket(proto + "//" + location.host + "/ws/public/campaigns/" + encodeURIComponent(id));
    socket = ws;
    ws.onopen = function () { attempt = 0; };
    ws.onmessage = function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (err) { return; }
      cagnotteSetClock(ev);
      // Any frame, the snapshot too (events may have come between the last load
      // and this connection): reload.
      if (ev && ev.type) {
        noteRewards(ev);
        scheduleRefresh();
      }
    };
    ws.onclose = function () {
      if (socket !== ws) return;
      socket = null;
      var delay = Math.min(10000, 300 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
      setTimeout(function () {
        if (currentId === id && csrf && !socket) connect();
      }, delay);
    };
  }

  // ---- start -------------------------------------------------------------------
  api("GET", "/api/v1/session").then(function (v) {
    csrf = v.csrf_token;
    showApp();
  }, function () { showSignIn(); });
})();
