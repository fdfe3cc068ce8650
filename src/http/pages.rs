//! The pages people open in a browser: the organisers' dashboard and the public
//! pages of a live and of a campaign.
//!
//! - `GET /dashboard`: served to anyone. The page holds no data: `static/dashboard.js`
//!   asks `GET /api/v1/session`, shows the sign-in form on `401`, and otherwise
//!   works through the JSON API with the session cookie and its CSRF token.
//! - `GET /dashboard/campaigns`: the campaigns the dashboard lists (admin only;
//!   the API has no list of campaigns).
//! - `GET /lives/{id}`, `GET /campaigns/{id}`: what viewers see. The page renders
//!   the fixed parts (names, donate link, QR code); `static/public.js` fills the
//!   totals, goal, matching, schedule and recent donations from the public
//!   WebSocket stream, which carries no secret and no text awaiting moderation.
//!
//! Labels are rendered here in French or English (`?lang=fr|en`, French by
//! default). Every page allows only our own script, style and socket.

use super::Path;
use super::overlay::{lang, qr_svg};
use crate::app::AppState;
use crate::domain::Totals;
use crate::error::ApiError;
use crate::money::Currency;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::HashMap;

/// Public pages: our own script, style and socket; never framed elsewhere; no form posts.
pub const PUBLIC_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The dashboard also frames overlay previews (pages of this server).
pub const DASHBOARD_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/dashboard/campaigns", get(campaigns))
        .route("/lives/{id}", get(live_page))
        .route("/lives/{id}/host", get(host_page))
        .route("/campaigns/{id}", get(campaign_page))
        .route("/campaigns/{id}/charity", get(charity_page))
}

/// Files of these pages, compiled into the binary (served under `/static/`).
pub fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match name {
        "dashboard.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/dashboard.js")),
        "public.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/public.js")),
        "host.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/host.js")),
        "charity.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/charity.js")),
        "shared.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/shared.js")),
        "stream.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/stream.js")),
        "pages.css" => ("text/css; charset=utf-8", include_bytes!("../../static/pages.css")),
        "favicon.svg" => ("image/svg+xml", include_bytes!("../../static/favicon.svg")),
        _ => return None,
    })
}

/// The labels of the pages: key, French, English. A label's `{200}` is an
/// example's amount in whole units, written in the page's currency as its
/// language writes it ([`Tr::get`]).
const LABELS: &[(&str, &str, &str)] = &[
    ("dashboard", "Tableau de bord", "Dashboard"),
    ("sign_in", "Se connecter", "Sign in"),
    ("sign_out", "Se déconnecter", "Sign out"),
    ("admin_token", "Jeton d'administration", "Admin token"),
    (
        "sign_in_help",
        "Le jeton affiché au premier démarrage du serveur.",
        "The token printed when the server first started.",
    ),
    ("campaigns", "Campagnes", "Campaigns"),
    ("new_campaign", "Nouvelle campagne", "New campaign"),
    ("name", "Nom", "Name"),
    ("currency", "Devise", "Currency"),
    ("goal", "Objectif", "Goal"),
    ("charity", "Association", "Charity"),
    ("starts_at", "Début", "Starts"),
    ("ends_at", "Fin", "Ends"),
    ("donate_url", "Lien de don", "Donate link"),
    ("stream_url", "Lien du stream (sa chaîne)", "Stream link (its channel)"),
    ("create", "Créer", "Create"),
    ("save", "Enregistrer", "Save"),
    ("edit_campaign", "Modifier la campagne", "Edit campaign"),
    ("public_page", "Page publique", "Public page"),
    ("export_csv", "Exporter les dons (CSV)", "Export donations (CSV)"),
    ("export_excel", "Exporter pour Excel", "Export for Excel"),
    ("export_lives", "Bilan par live (Excel)", "Totals by live (Excel)"),
    ("export_matches", "Bilan des abondements (Excel)", "Sponsors' matching (Excel)"),
    ("export_draws", "Tirages au sort (Excel)", "Prize draws (Excel)"),
    ("export_rewards", "Contreparties (Excel)", "Rewards (Excel)"),
    ("export_donors", "Donateurs (Excel)", "Donors (Excel)"),
    ("report", "Bilan pour l'association", "Report for the charity"),
    (
        "report_help",
        "Les chiffres de la campagne à partager\u{a0}: dons et donateurs, don moyen, médian et le plus gros, remboursements, et chaque jour sur l'horloge de cet ordinateur. Calculé à la demande, sur tous les dons.",
        "The campaign's figures to share: donations and donors, the average, median and largest gift, refunds, and each day on this computer's clock. Worked out when asked, from every donation.",
    ),
    ("make_report", "Établir le bilan", "Make the report"),
    ("print_report", "Imprimer le bilan", "Print the report"),
    ("day", "Jour", "Day"),
    ("raised", "Dons reçus", "Given"),
    ("matches", "Abondements", "Matching"),
    ("new_match", "Nouvel abondement", "New match"),
    ("sponsor", "Mécène", "Sponsor"),
    ("ratio", "Ratio (mécène\u{a0}: donateur)", "Ratio (sponsor : donor)"),
    ("cap", "Plafond", "Cap"),
    ("min_amount", "Don minimum", "Minimum donation"),
    ("max_per_donation", "Abondement maximum par don", "Largest match per donation"),
    ("edit_match", "Modifier l'abondement", "Edit match"),
    (
        "edit_match_help",
        "Les nouvelles conditions valent pour les dons à venir\u{a0}; ce qui est déjà abondé ne change pas.",
        "New terms apply to the donations to come; what was already matched stays.",
    ),
    ("part_refund", "Rembourser en partie", "Refund in part"),
    (
        "part_refund_help",
        "Le total rendu sur ce don jusqu'ici (son montant entier le rembourse en entier). Le mécène reprend sa part de ce qui est rendu.",
        "The total given back on this donation so far (its whole amount refunds it whole). The sponsor takes back its share of what is given back.",
    ),
    ("refunded_amount", "Total remboursé", "Total refunded"),
    ("rotate_campaign_overlay", "Nouveau lien d'overlay de la campagne", "New campaign overlay link"),
    ("integrations", "Paiements reçus (webhooks entrants)", "Payments in (incoming webhooks)"),
    (
        "integrations_help",
        "Collez l'URL dans les réglages de webhook du prestataire (Stripe, Tiltify, Ko-fi) avec son secret de signature\u{a0}; pour HelloAsso et Twitch Charity, inventez un secret\u{a0}: l'URL à coller ou la commande à lancer le contient.",
        "Paste the URL into the provider's webhook settings (Stripe, Tiltify, Ko-fi) with its signing secret; for HelloAsso and Twitch Charity, make up a secret: the URL to paste or the command to run carries it.",
    ),
    ("twitch_user", "ID Twitch de la chaîne (un nombre)", "The channel's Twitch ID (a number)"),
    (
        "twitch_command",
        "Commande qui abonne l'URL aux dons Twitch Charity de la chaîne",
        "Command that subscribes the URL to the channel's Twitch Charity gifts",
    ),
    (
        "twitch_help",
        "À lancer avec la Twitch CLI (twitch token, puis cette commande) au nom de votre application Twitch, que la chaîne a autorisée à lire ses dons (channel:read:charity). Twitch vérifie l'URL aussitôt\u{a0}: elle doit répondre en HTTPS sur le port 443. Elle contient le secret\u{a0}: elle n'est montrée qu'une fois. Une seule URL pour la campagne suffit à plusieurs chaînes\u{a0}: chaque don va au live dont le lien du stream est cette chaîne.",
        "Run it with the Twitch CLI (twitch token, then this command) as your Twitch application, which the channel has allowed to read its gifts (channel:read:charity). Twitch checks the URL at once: it must answer over HTTPS on port 443. It carries the secret: it is shown only once. One campaign URL serves several channels: each gift goes to the live whose stream link is that channel.",
    ),
    (
        "helloasso_form",
        "Formulaire HelloAsso de la collecte (son adresse, facultatif)",
        "The fundraiser's HelloAsso form (its address, optional)",
    ),
    ("helloasso_url", "URL de notification à coller dans HelloAsso", "Notification URL to paste into HelloAsso"),
    (
        "helloasso_help",
        "Dans HelloAsso\u{a0}: Mon compte > Intégrations et API > URL de notification. Elle contient le secret\u{a0}: elle n'est montrée qu'une fois. Avec un formulaire, seuls ses paiements comptent\u{a0}; sans, les dons, collectes et paiements de l'association (pas les adhésions, billetteries ni boutiques).",
        "In HelloAsso: My account > Integrations and API > notification URL. It carries the secret: it is shown only once. With a form, only its payments count; without, the association's donations, crowdfundings and payments (not memberships, events nor shops).",
    ),
    ("provider", "Prestataire", "Provider"),
    ("provider_generic", "Générique (signé)", "Generic (signed)"),
    ("received", "Dernière réception", "Last delivery"),
    ("secret", "Secret de signature", "Signing secret"),
    ("url", "URL", "URL"),
    ("new_integration", "Nouvelle intégration", "New integration"),
    ("replace_secret", "Remplacer un secret", "Replace a secret"),
    ("integration", "Intégration", "Integration"),
    ("subscribers", "Événements envoyés (webhooks sortants)", "Events out (outgoing webhooks)"),
    ("new_subscriber", "Nouveau destinataire", "New receiver"),
    ("hook_format", "Format", "Format"),
    ("hook_signed", "Événements signés (JSON, pour un bot ou un outil)", "Signed events (JSON, for a bot or a tool)"),
    (
        "hook_discord",
        "Salon Discord (une phrase par don, palier, sondage, tirage)",
        "Discord channel (a line per donation, milestone, poll, draw)",
    ),
    (
        "hook_slack",
        "Canal Slack (une phrase par don, palier, sondage, tirage)",
        "Slack channel (a line per donation, milestone, poll, draw)",
    ),
    ("hook_lang", "Langue des phrases", "Lines' language"),
    (
        "hook_hint",
        "Discord\u{a0}: Paramètres du salon → Intégrations → Webhooks → Copier l'URL. Slack\u{a0}: une app «\u{a0}Incoming Webhooks\u{a0}». Les noms et messages y paraissent comme sur les overlays\u{a0}; un remboursement n'y est pas annoncé.",
        "Discord: channel settings → Integrations → Webhooks → Copy URL. Slack: an \"Incoming Webhooks\" app. Names and messages show as on the overlays; a refund is not announced.",
    ),
    ("edit_subscriber", "Modifier un destinataire", "Edit a receiver"),
    ("subscriber", "Destinataire", "Receiver"),
    ("unchanged_if_empty", "vide\u{a0}: inchangé", "empty: unchanged"),
    ("delivered", "Livrés", "Delivered"),
    ("last_result", "Dernier résultat", "Last result"),
    ("next_attempt", "Prochain essai", "Next attempt"),
    ("used", "Utilisé", "Used"),
    ("left", "Restant", "Left"),
    ("status", "État", "Status"),
    ("milestones", "Paliers", "Milestones"),
    ("new_milestone", "Nouveau palier", "New milestone"),
    ("label", "Libellé", "Label"),
    ("scope", "Mesuré sur", "Measured on"),
    ("whole_campaign", "Toute la campagne", "Whole campaign"),
    ("lives", "Lives", "Lives"),
    ("new_live", "Nouveau live", "New live"),
    ("repeat", "Répéter chaque semaine", "Repeat every week"),
    ("repeat_weeks", "Pendant (semaines)", "For (weeks)"),
    (
        "repeat_help",
        "Le premier live à la date choisie, puis chaque jour coché à la même heure, pendant ces semaines\u{a0}: un live chacun, avec ses liens.",
        "The first live at the date chosen, then every day ticked at the same time, for these weeks: a live each, with its own links.",
    ),
    ("day_mon", "lun.", "Mon"),
    ("day_tue", "mar.", "Tue"),
    ("day_wed", "mer.", "Wed"),
    ("day_thu", "jeu.", "Thu"),
    ("day_fri", "ven.", "Fri"),
    ("day_sat", "sam.", "Sat"),
    ("day_sun", "dim.", "Sun"),
    ("series", "Les lives créés", "The lives created"),
    (
        "series_help",
        "Chacun a son lien d'overlay et son lien d'espace animateur, affichés une seule fois\u{a0}: copiez-les maintenant. Le lien ci-dessus suit l'hôte de l'un à l'autre\u{a0}; pour un lien qui montre toute la campagne\u{a0}: «\u{a0}Nouveau lien d'overlay de la campagne\u{a0}».",
        "Each has its own overlay link and host's space link, shown once: copy them now. The link above follows the host from one to the next; for a link that shows the whole campaign: \"New campaign overlay link\".",
    ),
    (
        "no_live",
        "Aucun live pour l'instant\u{a0}: créez-en un ci-dessous, un par stream (hôte, date, objectif).",
        "No live yet: create one below, one per stream (host, date, goal).",
    ),
    ("host", "Hôte", "Host"),
    ("title", "Titre", "Title"),
    ("platform", "Plateforme", "Platform"),
    ("scheduled_at", "Date", "Date"),
    ("duration_minutes", "Durée (minutes)", "Duration (minutes)"),
    ("edit_live", "Modifier", "Edit"),
    ("rotate_overlay", "Nouveau lien d'overlay", "New overlay link"),
    ("customize_overlay", "Personnaliser l'overlay", "Customize the overlay"),
    ("customize_campaign_overlay", "Personnaliser l'overlay de campagne", "Customize the campaign overlay"),
    ("rotate_host", "Nouveau lien hôte", "New host link"),
    ("rotate_moderator", "Nouveau lien modérateur", "New moderator link"),
    ("moderator_link", "Lien pour vos modérateurs", "Link for your moderators"),
    ("moderators", "Vos modérateurs", "Your moderators"),
    (
        "moderators_help",
        "Un lien par modérateur, à son nom\u{a0}: il y approuve les messages en attente, masque ou réaffiche un nom ou un message, et rien d'autre. Ce qu'il fait est noté à son nom (vos listes de dons le disent), et vous retirez son lien sans toucher à ceux des autres.",
        "One link per moderator, in their name: they approve the held messages there, hide or show again a name or a message, and nothing else. What they do is written under their name (your lists of donations say it), and you take their link back without touching the others'.",
    ),
    (
        "moderators_dashboard_help",
        "Les modérateurs à leur nom que l'hôte a faits dans son espace. Retirer un lien l'arrête aussitôt\u{a0}; ce que son modérateur a fait reste noté à son nom.",
        "The moderators by name the host made in their space. Taking a link back stops it at once; what its moderator did stays under their name.",
    ),
    ("moderator_name", "Nom du modérateur", "Moderator's name"),
    ("moderator_example", "Léa (pseudo Twitch)", "Lea (Twitch name)"),
    ("add_moderator", "Créer son lien", "Make their link"),
    ("shared_moderator_link", "Un lien commun à tous vos modérateurs", "One link for all your moderators"),
    (
        "moderator_link_help",
        "Vos modérateurs y approuvent les messages en attente et masquent un nom ou un message, sans rien pouvoir d'autre (ni commencer ou prolonger le live, ni tirer au sort, ni changer les réglages). Un nouveau lien remplace le précédent, qui cesse aussitôt de fonctionner.",
        "Your moderators approve the held messages there and hide a name or a message, and can do nothing else (neither start nor extend the live, draw a prize or change a setting). A new link replaces the last one, which stops working at once.",
    ),
    (
        "moderator_help",
        "Vous modérez ce live\u{a0}: approuvez les messages en attente, masquez un nom ou un message. Le reste est à l'hôte.",
        "You moderate this live: approve the held messages, hide a name or a message. The rest is the host's.",
    ),
    ("rotate_key", "Nouvelle clé d'écriture", "New write key"),
    ("test_alert", "Alerte de test", "Test alert"),
    ("add_donation", "Ajouter un don", "Add a donation"),
    ("amount", "Montant", "Amount"),
    ("donor", "Donateur", "Donor"),
    ("message", "Message", "Message"),
    ("anonymous", "Anonyme", "Anonymous"),
    ("moderation", "Modération", "Moderation"),
    ("mode", "Mode", "Mode"),
    ("mode_off", "Aucune", "Off"),
    ("mode_delay", "Délai", "Delay"),
    ("mode_manual", "Validation manuelle", "Manual approval"),
    ("delay_seconds", "Délai (secondes)", "Delay (seconds)"),
    (
        "mask_links",
        "Masquer les liens et les adresses e-mail des messages (ni lien douteux ni adresse de donateur à l'écran)",
        "Mask links and e-mail addresses in messages (no dubious link nor donor's address on screen)",
    ),
    ("words", "Mots masqués (un par ligne)", "Masked words (one per line)"),
    ("pending", "En attente", "Pending"),
    ("secrets", "Liens secrets", "Secret links"),
    (
        "secrets_help",
        "Affichés une seule fois\u{a0}: copiez-les maintenant. Un nouveau lien remplace l'ancien.",
        "Shown once: copy them now. A new link replaces the old one.",
    ),
    ("overlay_url", "URL de l'overlay (source navigateur OBS)", "Overlay URL (OBS browser source)"),
    ("follow_url", "Un seul lien OBS pour tous les lives de cet hôte", "One OBS link for every live of this host"),
    (
        "follow_help",
        "Il montre le live de l'hôte en cours, l'y laisse une heure après sa fin (le temps du générique), puis passe seul au suivant\u{a0}: à coller une fois dans OBS pour tout le mois. Le lien d'espace hôte de n'importe lequel de ses lives ouvre aussi les autres\u{a0}; celui-ci ouvre celui du moment.",
        "It shows the host's live on air, stays on it for an hour after its end (time for the credits), then moves on to the next one by itself: paste it into OBS once for the whole month. The host's space link of any of their lives opens the others too; this one opens the live of the moment.",
    ),
    (
        "follow_url_own",
        "Un seul lien OBS pour tous vos lives de la campagne",
        "One OBS link for all your lives of the campaign",
    ),
    (
        "follow_own_help",
        "Il montre votre live en cours, y reste une heure après sa fin (le temps du générique), puis passe seul au suivant\u{a0}: à coller une fois dans OBS.",
        "It shows your live on air, stays on it for an hour after its end (time for the credits), then moves on to the next one by itself: paste it into OBS once.",
    ),
    ("goal_new", "Nouvel objectif du live", "New goal for the live"),
    ("set_goal", "Changer l'objectif", "Change the goal"),
    ("public_follow", "Votre page publique", "Your public page"),
    ("stream_own", "Lien de votre stream (votre chaîne)", "Your stream's link (your channel)"),
    ("stream_save", "Enregistrer le lien", "Save the link"),
    (
        "stream_own_help",
        "Où regarder ce live\u{a0}: la page publique, le planning, les calendriers, la commande !prochain et le salon de la communauté le donnent. Vide\u{a0}: aucun lien.",
        "Where to watch this live: the public page, the schedule, the calendars, the !next command and the community's channel give it. Empty: no link.",
    ),
    ("host_lives", "Vos lives de la campagne", "Your lives of the campaign"),
    (
        "host_lives_help",
        "Votre lien ouvre l'espace de chacun\u{a0}: sa modération, ses paliers, ses défis, ses sondages et ses tirages.",
        "Your link opens the space of each: its moderation, milestones, challenges, polls and draws.",
    ),
    (
        "host_follow_url",
        "Un seul lien d'espace hôte pour tous les lives de cet hôte",
        "One host's space link for every live of this host",
    ),
    ("host_calendar", "Ses lives dans mon agenda", "Their lives in my calendar"),
    ("campaign_calendar", "Les lives dans mon agenda", "The lives in my calendar"),
    ("public_follow_url", "Lien pour le panneau de votre chaîne", "Link for your channel's panel"),
    (
        "public_follow_help",
        "Pour le panneau de votre chaîne ou votre bio\u{a0}: il ouvre toujours la page publique de votre live du moment (la cagnotte, l'objectif, les dons), d'un live à l'autre de la campagne.",
        "For your channel's panel or your bio: it always opens the public page of your live of the moment (the totals, the goal, the donations), from one live of the campaign to the next.",
    ),
    ("chat_commands", "Commandes de chat (!cagnotte, !top…)", "Chat commands (!total, !top…)"),
    ("media_library", "Images et sons des alertes", "Alert images and sounds"),
    ("import_donations", "Importer des dons (tableur)", "Import donations (spreadsheet)"),
    (
        "import_help",
        "Les dons reçus hors ligne (espèces, chèques)\u{a0}: un fichier CSV, une ligne par don, avec le montant, puis le donateur et le message s'il y en a\u{a0}; une ligne d'en-tête (montant, donateur, message) est reconnue. Importer de nouveau le même fichier ne compte aucun don deux fois.",
        "Donations taken off line (cash, cheques): a CSV file, one line per gift, its amount, then the donor and the message if any; a header line (amount, donor, message) is recognised. Importing the same file again counts no gift twice.",
    ),
    ("import_file", "Fichier CSV", "CSV file"),
    ("import_read", "Lire le fichier", "Read the file"),
    ("alerts_control", "Alertes à l'écran", "Alerts on screen"),
    (
        "alerts_control_help",
        "Un moment grave, un invité qui parle\u{a0}: mettez les alertes en pause. Les dons comptent toujours et leurs alertes attendent la reprise. «\u{a0}Passer\u{a0}» retire tout de suite l'alerte affichée.",
        "A serious moment, a guest speaking: pause the alerts. Donations still count and their alerts wait for you to resume. \u{201c}Skip\u{201d} takes the alert on screen off at once.",
    ),
    ("skip_alert", "Passer l'alerte affichée", "Skip the alert on screen"),
    ("obs_dock", "Cet espace dans OBS", "This space in OBS"),
    ("embed", "Le compteur sur votre site", "The counter on your website"),
    ("sponsor_logo", "Logo (images des alertes)", "Logo (alert images)"),
    ("no_logo", "aucun", "none"),
    (
        "cover",
        "Image des pages publiques et de leurs aperçus de lien (images des alertes)",
        "Picture of the public pages and their link previews (alert images)",
    ),
    ("no_cover", "aucune", "none"),
    (
        "embed_help",
        "Collez ce code dans une page du site de l'association\u{a0}: le total, l'objectif et le bouton de don, à jour en direct. Pour un live\u{a0}: /lives/…/embed\u{a0}; en anglais\u{a0}: lang=en\u{a0}; sur fond sombre\u{a0}: theme=dark.",
        "Paste this code in a page of the charity's website: the total, the goal and the donate button, current live. For a live: /lives/…/embed; in French: lang=fr; on a dark background: theme=dark.",
    ),
    ("embed_code", "Code à coller", "Code to paste"),
    ("embed_own", "Le compteur pour votre site", "The counter for your website"),
    (
        "embed_own_help",
        "Ce code dans une page de votre site montre le total de votre live du moment, son objectif et le bouton de don, à jour en direct, d'un live à l'autre de la campagne.",
        "This code in a page of your website shows the total of your live of the moment, its goal and the donate button, current live, from one live of the campaign to the next.",
    ),
    (
        "obs_dock_help",
        "Dans OBS\u{a0}: Docks → Docks de navigateur personnalisés, un nom («\u{a0}Cagnotte\u{a0}») et ce lien. Vous y gardez sous la main les totaux, la pause des alertes, les textes en attente, les dons et l'alerte de test, d'un live à l'autre de la campagne. Il contient votre clé\u{a0}: ne le montrez pas à l'écran.",
        "In OBS: Docks → Custom Browser Docks, a name (\u{201c}Cagnotte\u{201d}) and this link. It keeps the totals, the alerts' pause, the held texts, the donations and the test alert at hand, from one live of the campaign to the next. It holds your key: do not show it on stream.",
    ),
    ("obs_dock_url", "Lien du dock", "Dock link"),
    (
        "media_help",
        "Vos GIF, images (PNG, JPEG, WebP) et sons (MP3, Ogg, WAV, FLAC, M4A), 8 Mo au plus chacun, pour toute la campagne. Choisissez-les ensuite dans «\u{a0}Personnaliser l'overlay\u{a0}» (l'image et le son de chaque alerte, des grandes alertes, des paliers), et les logos des sponsors dans leurs abondements.",
        "Your GIFs, images (PNG, JPEG, WebP) and sounds (MP3, Ogg, WAV, FLAC, M4A), at most 8 MB each, for the whole campaign. Then pick them in \u{201c}Customize the overlay\u{201d} (each alert's image and sound, a big alert's, a milestone's), and the sponsors' logos in their matches.",
    ),
    ("media_file", "Fichier", "File"),
    ("media_upload", "Ajouter", "Add"),
    (
        "chat_help",
        "Pour Nightbot, envoyez chaque ligne dans le chat de la chaîne\u{a0}: il ajoute la commande. StreamElements (${customapi.adresse}) et le Cloudbot de Streamlabs ({readapi.adresse}) prennent la même adresse. La réponse tient en une ligne.",
        "For Nightbot, send each line in the channel's chat: it adds the command. StreamElements (${customapi.address}) and Streamlabs' Cloudbot ({readapi.address}) take the same address. The answer fits on one line.",
    ),
    (
        "chat_follow_help",
        "Elles suivent vos lives de la campagne\u{a0}: à ajouter une fois pour le mois.",
        "They follow your lives of the campaign: add them once for the month.",
    ),
    ("chat_command", "Commande", "Command"),
    ("chat_nightbot", "À envoyer dans le chat (Nightbot)", "Send in the chat (Nightbot)"),
    ("chat_answer", "Ce que le bot répond maintenant", "What the bot answers now"),
    ("write_key", "Clé d'écriture du live", "Live write key"),
    (
        "write_key_help",
        "Pour ajouter des dons par l'API ou une intégration\u{a0}: ne la donnez pas à l'hôte, le lien hôte lui suffit.",
        "For adding donations through the API or an integration: do not give it to the host, the host link is enough.",
    ),
    ("copy", "Copier", "Copy"),
    ("preview", "Aperçu", "Preview"),
    ("builder", "Personnaliser", "Customize"),
    ("donations", "Dons", "Donations"),
    ("manage_live", "Gérer ce live", "Manage this live"),
    ("search_donations", "Rechercher un don", "Find a donation"),
    ("search_help", "donateur, message, live, montant ou identifiant", "donor, message, live, amount or id"),
    ("search_help_live", "donateur, message, montant ou identifiant", "donor, message, amount or id"),
    ("date", "Date", "Date"),
    ("matched", "Abondé", "Matched"),
    ("actions", "Actions", "Actions"),
    ("no_campaign", "Choisissez ou créez une campagne.", "Pick or create a campaign."),
    ("total", "Total", "Total"),
    ("donate", "Faire un don", "Donate"),
    ("campaign_over", "Collecte terminée", "The fundraiser is over"),
    ("campaign_soon", "La collecte n'est pas encore ouverte", "The fundraiser is not open yet"),
    ("campaign_soon_help", "Revenez à son ouverture pour faire un don.", "Come back when it opens to give."),
    (
        "after_live",
        "Le live est terminé\u{a0}: de quoi remercier vos donateurs, à copier pour un message ou un post.",
        "The live is over: a thank-you for your donors, to copy into a message or a post.",
    ),
    ("campaign_over_thanks", "Merci à toutes et à tous pour vos dons\u{a0}!", "Thank you all for your gifts!"),
    ("reconcile", "Rapprochement avec le prestataire", "Check against the payment provider"),
    (
        "reconcile_help",
        "Choisissez l'export CSV des paiements de votre prestataire (Stripe, HelloAsso, Ko-fi…)\u{a0}: chaque paiement est cherché parmi les dons par sa référence et son montant, et chaque don qui en a une parmi les paiements. Rien n'est modifié.",
        "Choose your payment provider's CSV export (Stripe, HelloAsso, Ko-fi…): each payment is looked for among the donations by its reference and amount, and each donation that has one among the payments. Nothing is changed.",
    ),
    ("reconcile_file", "Export du prestataire (CSV)", "The provider's export (CSV)"),
    ("reconcile_every", "Tous les dons avec une référence", "Every donation with a reference"),
    ("reconcile_go", "Rapprocher", "Check"),
    ("reconcile_download", "Télécharger les écarts (CSV)", "Download the differences (CSV)"),
    ("reconcile_reference_column", "Colonne de la référence", "Reference column"),
    ("reconcile_amount_column", "Colonne du montant", "Amount column"),
    ("reconcile_auto", "(trouvée seule)", "(found by itself)"),
    ("reconcile_more_columns", "Colonnes du donateur, du message et de la date", "Donor, message and date columns"),
    ("reconcile_donor_column", "Colonne du donateur", "Donor column"),
    ("reconcile_message_column", "Colonne du message", "Message column"),
    ("reconcile_date_column", "Colonne de la date", "Date column"),
    ("reconcile_gap", "Écart", "Difference"),
    ("reference", "Référence", "Reference"),
    ("reconcile_in_export", "Dans l'export", "In the export"),
    ("reconcile_counted", "Compté", "Counted"),
    ("scan", "Scannez pour donner", "Scan to donate"),
    ("recent", "Derniers dons", "Latest donations"),
    ("host_space", "Espace hôte", "Host's space"),
    ("forget_key", "Oublier la clé", "Forget the key"),
    ("host_key", "Clé d'hôte", "Host key"),
    (
        "host_key_help",
        "La clé d'hôte de votre live, à la fin du lien donné par l'organisation (elle commence par ht_\u{a0}; la clé d'écriture du live, ck_, convient aussi). Elle reste dans cet onglet seulement.",
        "Your live's host key, at the end of the link the organisers gave you (it starts with ht_; the live's write key, ck_, works too). It stays in this tab only.",
    ),
    ("pending_texts", "Textes en attente", "Texts waiting"),
    ("challenges", "Défis", "Challenges"),
    (
        "milestones_help",
        "Un palier du live\u{a0}: «\u{a0}à {200} je me teins les cheveux en rose\u{a0}». Vos overlays le marquent sur la barre d'objectif, nomment le prochain, et l'annoncent une fois atteint\u{a0}; la page publique les liste.",
        "A milestone of the live: \"at {200} I dye my hair pink\". Your overlays mark it on the goal bar, name the next one, and announce it once reached; the public page lists them.",
    ),
    ("milestone_label", "Palier", "Milestone"),
    ("milestone_example", "Je me teins les cheveux en rose", "I dye my hair pink"),
    ("milestone_amount", "Total du live à atteindre", "Live total to reach"),
    ("add_milestone", "Ajouter le palier", "Add the milestone"),
    (
        "challenges_help",
        "Un défi lancé en direct\u{a0}: «\u{a0}{50} de plus en 15 minutes et je chante\u{a0}». Vos overlays l'affichent sous la barre d'objectif avec le temps qui reste, et annoncent sa réussite.",
        "A challenge set on air: \"{50} more in 15 minutes and I sing\". Your overlays show it under the goal bar with the time left, and announce it when it is met.",
    ),
    ("challenge_label", "Défi", "Challenge"),
    ("challenge_amount", "Montant à récolter", "Amount to raise"),
    ("challenge_minutes", "En combien de minutes", "Within minutes"),
    ("start_challenge", "Lancer le défi", "Start the challenge"),
    ("edit_keep", "Annuler la modification", "Cancel editing"),
    ("polls", "Sondages", "Polls"),
    (
        "polls_help",
        "Une question à vos donateurs\u{a0}: «\u{a0}Quel jeu ensuite\u{a0}?\u{a0}». Chaque option reçoit un mot-clé (#zelda)\u{a0}: un don dont le message le contient (ou le numéro de l'option, #2) compte pour elle, de son montant. Vos overlays et la page publique affichent le sondage, puis son résultat.",
        "A question for your donors: \"Which game next?\". Each option gets a keyword (#zelda): a donation whose message has it (or the option's number, #2) counts for it, by its amount. Your overlays and the public page show the poll, then its result.",
    ),
    ("poll_question", "Question", "Question"),
    ("poll_options", "Options, une par ligne (2 à 6)", "Options, one per line (2 to 6)"),
    ("poll_minutes", "Durée en minutes (vide\u{a0}: jusqu'à sa clôture)", "Minutes (empty: until you close it)"),
    ("start_poll", "Lancer le sondage", "Start the poll"),
    ("poll_results", "Résultats", "Results"),
    ("draws", "Tirages au sort", "Prize draws"),
    (
        "draws_help",
        "Un lot tiré au sort parmi les dons de ce live\u{a0}: «\u{a0}un dessin original parmi les dons de {10} et plus\u{a0}». Le tirage a lieu aussitôt, au hasard\u{a0}; un don remboursé n'y entre pas, un don déjà gagnant non plus. Vos overlays annoncent le gagnant\u{a0}; son nom réel et son don sont ici, pour le contacter par la plateforme de paiement. Les règles du tirage (et leur conformité au droit de votre pays) sont celles de l'organisation.",
        "A prize drawn among this live's donations: \"an original drawing among the gifts of {10} and more\". It is drawn at once, at random; a refunded donation does not enter, nor one that already won. Your overlays announce the winner; their real name and donation are here, to reach them through the payment provider. The draw's rules (and their compliance with your country's law) are the organisers'.",
    ),
    ("draw_prize", "Lot", "Prize"),
    ("draw_min", "Don minimum pour participer (vide\u{a0}: tous)", "Least donation to enter (empty: all)"),
    (
        "draw_weighted",
        "Un ticket par tranche de ce minimum (sinon un par don)",
        "One ticket per step of that minimum (else one per donation)",
    ),
    (
        "draw_minutes",
        "Dons des N dernières minutes (vide\u{a0}: tout le live)",
        "Donations of the last N minutes (empty: the whole live)",
    ),
    ("draw_winners", "Nombre de gagnants", "Number of winners"),
    ("draw_now", "Tirer au sort", "Draw now"),
    (
        "draw_campaign",
        "Parmi les dons de tous les lives de la campagne (annoncé sur ce live)",
        "Among every live's donations of the campaign (announced on this live)",
    ),
    ("draw_winner", "Gagnant", "Winner"),
    ("draw_entries", "Participations", "Entries"),
    ("rewards", "Contreparties", "Rewards"),
    (
        "rewards_help",
        "Ce que vous donnez en échange d'un don d'au moins un montant\u{a0}: «\u{a0}un portrait dessiné en direct, dès {30}\u{a0}». Chacune a un mot-clé, le vôtre ou tiré de son titre (#portrait)\u{a0}: un don assez grand dont le message le contient la prend, tant qu'il en reste. La page publique les affiche\u{a0}; ci-dessous, ce qu'il vous reste à faire.",
        "What you give in return for a gift of at least an amount: \"a portrait drawn on stream, from {30}\". Each has a keyword, yours or one from its title (#portrait): a gift large enough whose message has it claims one, while some are left. The public page shows them; below, what you still have to do.",
    ),
    ("reward_title", "Contrepartie", "Reward"),
    ("reward_example", "Un portrait dessiné en direct", "A portrait drawn on stream"),
    ("reward_amount", "Don minimum pour l'obtenir", "Least donation to get it"),
    ("reward_quantity", "Combien (vide\u{a0}: sans limite)", "How many (empty: no limit)"),
    ("reward_tag", "Mot-clé (vide\u{a0}: tiré du titre)", "Keyword (empty: from the title)"),
    ("offer_reward", "Proposer", "Offer it"),
    ("reward_claims", "À faire", "To do"),
    ("reward_missed", "Demandées sans l'obtenir", "Asked for, not obtained"),
    (
        "reward_missed_help",
        "Ces dons ont écrit le mot-clé d'une contrepartie sans l'obtenir\u{a0}: don trop petit, plus aucune restante ou plus proposée. À vous de voir si vous leur répondez.",
        "These gifts wrote a reward's keyword without getting it: too small, none left or no longer offered. Yours to answer them or not.",
    ),
    (
        "rewards_dashboard_help",
        "Ce que l'hôte donne en échange d'un don d'au moins un montant\u{a0}: un don assez grand dont le message contient le mot-clé de la contrepartie la prend, tant qu'il en reste. L'hôte les gère depuis son espace\u{a0}; ici, l'organisation en propose, arrête d'en proposer et coche «\u{a0}Fait\u{a0}» pour un hôte qui ne le peut pas.",
        "What the host gives in return for a gift of at least an amount: a gift large enough whose message has the reward's keyword claims one, while some are left. The host handles them from their space; here, the organisers offer one, stop offering one and tick \"Done\" for a host who cannot.",
    ),
    ("host_link", "Lien de l'espace hôte", "Host's space link"),
    (
        "host_link_help",
        "À donner à l'hôte du live\u{a0}: ses dons, la validation des messages, une alerte de test, un nouveau lien d'overlay. Il ne permet ni d'ajouter des dons ni d'en rembourser. Perdu, il se remplace par «\u{a0}Nouveau lien hôte\u{a0}».",
        "For the live's host: its donations, approving messages, a test alert, a new overlay link. It can neither add nor refund donations. If lost, \"New host link\" replaces it.",
    ),
    ("send_test_alert", "Envoyer une alerte de test", "Send a test alert"),
    (
        "host_link_own_help",
        "Ce lien ouvre cet espace. S'il a circulé (une capture d'écran, un message), remplacez-le\u{a0}: l'ancien cesse aussitôt, gardez le nouveau.",
        "This link opens this page. If it went round (a screenshot, a message), replace it: the old one stops at once; keep the new one.",
    ),
    ("overlay_obs", "Overlay pour OBS", "Overlay for OBS"),
    (
        "overlay_obs_help",
        "Le lien d'overlay s'ajoute dans OBS comme source navigateur (1280 × 720). Il n'est affiché qu'une fois\u{a0}: perdu, il se remplace par un nouveau, et l'ancien cesse aussitôt de fonctionner, dans OBS aussi.",
        "The overlay link goes into OBS as a browser source (1280 × 720). It is shown only once: if lost, it is replaced by a new one, and the old one stops working at once, in OBS too.",
    ),
    (
        "test_alert_help",
        "Vos overlays l'affichent comme un don\u{a0}; elle ne compte dans aucun total.",
        "Your overlays show it like a donation; it counts in no total.",
    ),
    ("top_donors", "Meilleurs donateurs", "Top donors"),
    ("all_donors", "Voir tous les donateurs", "See every donor"),
    ("schedule", "Programme", "Schedule"),
    ("hosts_board", "Classement des hôtes", "Hosts leaderboard"),
    ("hosts", "Hôtes", "Hosts"),
    (
        "hosts_help",
        "Chaque hôte de plusieurs lives et ce qu'ils ont récolté. «\u{a0}Liens du mois\u{a0}» remplace le lien d'overlay et le lien d'espace hôte de son live du moment et donne, une fois, ceux qui suivent tous ses lives\u{a0}: l'overlay pour OBS et l'espace hôte. Les anciens liens de ce live cessent aussitôt de fonctionner.",
        "Each host of several lives and what they raised. \"Links for the month\" replaces the overlay link and the host's space link of their live of the moment and gives, once, those that follow all their lives: the overlay for OBS and the host's space. That live's old links stop working at once.",
    ),
    ("rename_host", "Renommer un hôte", "Rename a host"),
    ("rename_to", "Nouveau nom", "New name"),
    (
        "rename_host_help",
        "Le nouveau nom remplace l'ancien sur tous ses lives, passés et à venir\u{a0}: ses liens continuent de fonctionner. Un nom déjà porté par un autre hôte les réunit\u{a0}: leurs liens hôte ouvriront alors les lives des deux.",
        "The new name replaces the old one on all their lives, past and to come: their links keep working. A name another host already has joins them: their host links will then open both hosts' lives.",
    ),
    ("next_live", "Prochain live", "Next live"),
    ("start_live", "Commencer le live maintenant", "Start the live now"),
    ("end_live", "Terminer le live maintenant", "End the live now"),
    ("extend_live", "Prolonger\u{a0}:", "Extend by:"),
    ("charity_space", "Espace association", "Charity's space"),
    ("charity_key", "Clé de l'association", "Charity's key"),
    (
        "charity_key_help",
        "Elle est dans le lien que les organisateurs vous ont donné. Elle ne sert qu'à lire les chiffres de la campagne\u{a0}: ses dons, ses exports et son bilan.",
        "It is in the link the organisers gave you. It only reads the campaign's figures: its donations, its exports and its report.",
    ),
    (
        "charity_totals_help",
        "À jour en direct. Chaque montant est exact au centime\u{a0}: les exports et le bilan ci-dessous disent les mêmes.",
        "Updated live. Every amount is exact to the cent: the exports and the report below say the same.",
    ),
    ("exports", "Exports", "Exports"),
    (
        "exports_help",
        "Pour un tableur\u{a0}: «\u{a0}pour Excel\u{a0}» s'ouvre d'un double clic, dates sur l'horloge de cet ordinateur. Les reçus fiscaux se font à partir de l'export des dons.",
        "For a spreadsheet: \u{201c}for Excel\u{201d} opens with a double click, its dates on this computer's clock. Tax receipts are made from the donations export.",
    ),
    ("charity_link", "Lien pour l'association", "Link for the charity"),
    (
        "charity_link_help",
        "L'espace de l'association\u{a0}: les totaux en direct, les dons, les exports et le bilan, sans rien pouvoir changer. Le lien contient sa clé\u{a0}: ne le donnez qu'à l'association. Un nouveau lien remplace l'ancien.",
        "The charity's space: the totals current live, the donations, the exports and the report, with nothing it can change. The link holds its key: give it to the charity only. A new link replaces the old one.",
    ),
    ("language", "English", "Français"),
    ("share", "Partager", "Share"),
    (
        "thanks_banner",
        "Merci pour votre don\u{a0}! Il s'affichera ici et à l'écran dès que le paiement sera confirmé, en général en quelques secondes.",
        "Thank you for your donation! It will show here and on stream as soon as the payment is confirmed, usually within seconds.",
    ),
    ("close", "Fermer", "Close"),
    ("days_chart", "La collecte jour après jour", "Day by day"),
    ("no_js", "Cette page a besoin de JavaScript.", "This page needs JavaScript."),
];

/// The labels of one language, for templates: `{{ t.get("key") }}`; with the
/// currency of the page's campaign, for the amounts of the help texts' examples.
#[derive(Debug, Clone, Copy)]
pub struct Tr(&'static str, Option<Currency>);

impl Tr {
    /// A page of no one campaign (the dashboard): the examples' amounts bare.
    pub fn new(lang: &'static str) -> Tr {
        Tr(lang, None)
    }

    /// A page of one campaign: the examples' amounts in its currency.
    pub fn with_currency(lang: &'static str, currency: Currency) -> Tr {
        Tr(lang, Some(currency))
    }

    pub fn get(&self, key: &str) -> Cow<'static, str> {
        let text = match LABELS.iter().find(|(k, _, _)| *k == key) {
            Some((_, fr, en)) => {
                if self.0 == "en" {
                    en
                } else {
                    fr
                }
            }
            None => "?",
        };
        if text.contains('{') { Cow::Owned(self.amounts(text)) } else { Cow::Borrowed(text) }
    }

    /// `text` with each `{200}` written as an amount of the page's currency
    /// ("200 €", "£200"), or bare ("200") on a page of no one campaign.
    fn amounts(&self, text: &str) -> String {
        let french = self.0 != "en";
        let mut out = String::with_capacity(text.len() + 8);
        let mut rest = text;
        while let Some(at) = rest.find('{') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let end = after.find('}').filter(|&e| e > 0 && after[..e].bytes().all(|b| b.is_ascii_digit()));
            let Some(end) = end else {
                out.push('{');
                rest = after;
                continue;
            };
            let digits = &after[..end];
            match (self.1, digits.parse::<i64>()) {
                (Some(currency), Ok(major)) => out.push_str(&example_amount(currency, major, french)),
                _ => out.push_str(digits),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The other language, for the language switch link.
    pub fn other(&self) -> &'static str {
        if self.0 == "en" { "fr" } else { "en" }
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    lang: &'static str,
    t: Tr,
    /// The largest donation accepted, in whole units (`--max-amount`): an import
    /// with a larger line is refused whole at its preview, before any is sent.
    max_amount: i64,
}

#[derive(Template)]
#[template(path = "live_page.html")]
struct LivePage<'a> {
    lang: &'static str,
    t: Tr,
    live_id: &'a str,
    campaign_id: &'a str,
    campaign: &'a str,
    charity: &'a str,
    host: &'a str,
    title: &'a str,
    currency: &'a str,
    donate_url: &'a str,
    qr_svg: String,
    /// What a link to the page shows where it is shared (the totals as of this request).
    summary: String,
    /// The campaign's picture: its media id, and its absolute URL for link
    /// previews (both empty without one, or once its file is removed).
    cover: String,
    cover_url: String,
    /// The campaign's opening and end, and where it stands: the page invites
    /// to give only while it is open ([`campaign_window`]).
    window: Window,
    /// Opened by a donor back from the payment (`?thanks=1`, the provider's
    /// return address): thanked, and told when their gift shows.
    thanks: bool,
}

#[derive(Template)]
#[template(path = "campaign_page.html")]
struct CampaignPage<'a> {
    lang: &'static str,
    t: Tr,
    campaign_id: &'a str,
    campaign: &'a str,
    charity: &'a str,
    currency: &'a str,
    donate_url: &'a str,
    qr_svg: String,
    summary: String,
    cover: String,
    cover_url: String,
    /// The campaign's opening and end, and where it stands: the page invites
    /// to give only while it is open ([`campaign_window`]).
    window: Window,
    /// Opened by a donor back from the payment (`?thanks=1`, the provider's
    /// return address): thanked, and told when their gift shows.
    thanks: bool,
}

/// `?thanks=1`: a donor back from the payment, whom the page thanks.
fn thanks(q: &HashMap<String, String>) -> bool {
    q.get("thanks").is_some_and(|v| v == "1" || v == "true")
}

/// The campaign's opening and end as a page's script reads them (RFC 3339,
/// empty without), and where it stands at `now`: `upcoming` (the page says
/// when it opens), `open` (it invites to give) or `ended` (it thanks the donors).
pub(crate) struct Window {
    pub starts: String,
    pub ends: String,
    pub status: &'static str,
}

pub(crate) fn campaign_window(c: &crate::domain::Campaign, now: crate::domain::Timestamp) -> Window {
    let rfc = |t: Option<crate::domain::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    Window { starts: rfc(c.starts_at), ends: rfc(c.ends_at), status: crate::views::campaign_status(c, now) }
}

/// The campaign's picture, if its file is still in the library: its id and
/// its absolute URL (link previews need one); empty strings without.
async fn cover(app: &AppState, headers: &HeaderMap, c: &crate::domain::Campaign) -> Result<(String, String), ApiError> {
    let Some(id) = c.cover.clone() else { return Ok(Default::default()) };
    let lookup = id.clone();
    if super::media::blocking(app, move |m| Ok(m.info(&lookup)?)).await?.is_none() {
        return Ok(Default::default());
    }
    let url = format!("{}/media/{id}", super::api::base_url(app, headers));
    Ok((id, url))
}

/// An example's whole amount as the language writes it, without its cents:
/// "200\u{a0}€", "€200", "200\u{a0}£GB", "£200" ([`Currency::format_for`]).
pub(crate) fn example_amount(currency: Currency, major: i64, french: bool) -> String {
    let written = currency.format_for(currency.minor_units(major), french);
    let zeros = "0".repeat(currency.exponent() as usize);
    if zeros.is_empty() {
        return written;
    }
    written.replacen(&format!("{}{zeros}", if french { ',' } else { '.' }), "", 1)
}

/// A count as the language writes it: "1\u{202f}486" in French (the narrow
/// no-break space of the French amounts, [`Currency::format_for`]), "1,486" in
/// English.
pub(crate) fn count_for(n: u64, french: bool) -> String {
    let digits = n.to_string();
    let group = if french { '\u{202f}' } else { ',' };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    out
}

/// The description of a page where its link is shared (chat apps and social
/// networks read it without running the page's script): the total raised so
/// far, for whom, and by how many donations.
fn summary(lang: &str, currency: Currency, totals: &Totals, beneficiary: &str) -> String {
    let french = lang != "en";
    let total = currency.format_for(totals.total, french);
    let n = totals.donations;
    let count = count_for(n, french);
    if french {
        let dons = if n > 1 { "dons" } else { "don" };
        format!("{total} collectés pour {beneficiary} ({count} {dons}). Suivez le direct et faites un don\u{a0}!")
    } else {
        let donations = if n == 1 { "donation" } else { "donations" };
        format!("{total} raised for {beneficiary} ({count} {donations}). Follow along and donate!")
    }
}

fn html(csp: &'static str, page: impl Template) -> Result<Response, ApiError> {
    let html = page.render().map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::CONTENT_SECURITY_POLICY, csp), (header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// A donate link is only ever an http(s) URL in a page (the API validates it; this is belt and braces).
pub(crate) fn safe_url(url: Option<&String>) -> &str {
    url.map(String::as_str).filter(|u| u.starts_with("https://") || u.starts_with("http://")).unwrap_or("")
}

async fn dashboard(
    State(app): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let lang = lang(&q);
    html(DASHBOARD_CSP, DashboardPage { lang, t: Tr::new(lang), max_amount: app.config.max_amount })
}

/// `GET /dashboard/campaigns`: every campaign, newest first (admin: bearer or session).
async fn campaigns(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let now = app.now();
    let mut list: Vec<(crate::domain::Timestamp, String)> =
        app.views.campaigns.iter().map(|c| (c.campaign.created_at, c.campaign.id.clone())).collect();
    list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let campaigns: Vec<Value> = list.iter().filter_map(|(_, id)| app.views.campaign_json(id, now)).collect();
    Ok(axum::Json(json!({ "campaigns": campaigns })).into_response())
}

async fn live_page(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let live = app.views.live(&live_id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    let lang = lang(&q);
    // A host's one link for the month (their channel's panel, their bio): the
    // page of the live they are on now.
    if super::overlay::follow_host(&q)? {
        let shown = super::overlay::followed_live(&app, &live_id)?;
        let thanks = if thanks(&q) { "&thanks=1" } else { "" };
        return Ok(found(&format!("/lives/{shown}?lang={lang}{thanks}")));
    }
    let campaign = app
        .views
        .campaign(&live.live.campaign_id)
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let donate_url = safe_url(live.live.donate_url.as_ref().or(campaign.campaign.donate_url.as_ref()));
    let (cover, cover_url) = cover(&app, &headers, &campaign.campaign).await?;
    let window = campaign_window(&campaign.campaign, app.now());
    html(
        PUBLIC_CSP,
        LivePage {
            lang,
            t: Tr::with_currency(lang, live.currency),
            live_id: &live_id,
            campaign_id: &campaign.campaign.id,
            campaign: &campaign.campaign.name,
            charity: campaign.campaign.charity.as_deref().unwrap_or(""),
            host: &live.live.host,
            title: live.live.title.as_deref().unwrap_or(""),
            currency: live.currency.code(),
            donate_url,
            qr_svg: if donate_url.is_empty() { String::new() } else { qr_svg(donate_url).unwrap_or_default() },
            summary: summary(lang, live.currency, &live.totals, beneficiary(&campaign.campaign)),
            cover,
            cover_url,
            window,
            thanks: thanks(&q),
        },
    )
}

#[derive(Template)]
#[template(path = "host_page.html")]
struct HostPage<'a> {
    lang: &'static str,
    t: Tr,
    live_id: &'a str,
    host: &'a str,
    currency: &'a str,
    /// `?dock=1`: the page as an OBS browser dock, narrow and dark, with what a
    /// host needs on air (totals, alerts, held texts, donations, test alert).
    dock: bool,
}

/// `GET /lives/{id}/host`: the host's space, where the host of a live follows
/// its donations, approves or hides their texts, sends a test alert and sets
/// the live's moderation, signed in with the live's write key (kept in the
/// tab's `sessionStorage`, sent as a bearer token; a link may carry it after
/// `#key=`, which never reaches a server). The page itself holds no secret.
async fn host_page(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let live = app.views.live(&live_id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    let lang = lang(&q);
    let dock = q.get("dock").is_some_and(|d| d == "1");
    // A host's one link for the month: the space of their live of the moment (the
    // browser keeps the link's `#key=` across the redirect; the key opens them all).
    if super::overlay::follow_host(&q)? {
        let shown = super::overlay::followed_live(&app, &live_id)?;
        let dock = if dock { "&dock=1" } else { "" };
        return Ok(found(&format!("/lives/{shown}/host?lang={lang}{dock}")));
    }
    html(
        PUBLIC_CSP,
        HostPage {
            lang,
            t: Tr::with_currency(lang, live.currency),
            live_id: &live_id,
            host: &live.live.host,
            currency: live.currency.code(),
            dock,
        },
    )
}

#[derive(Template)]
#[template(path = "charity_page.html")]
struct CharityPage<'a> {
    lang: &'static str,
    t: Tr,
    campaign_id: &'a str,
    campaign: &'a str,
    currency: &'a str,
}

/// `GET /campaigns/{id}/charity`: the charity's space, where its staff read the
/// campaign's totals, donations, exports and report, signed in with the key the
/// organisers gave (after `#key=` in its link, which never reaches a server;
/// kept in the tab's `sessionStorage`, sent as a bearer token). The page itself
/// holds no secret.
async fn charity_page(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let c = app
        .views
        .campaign(&campaign_id)
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let lang = lang(&q);
    html(
        PUBLIC_CSP,
        CharityPage {
            lang,
            t: Tr::with_currency(lang, c.campaign.currency),
            campaign_id: &campaign_id,
            campaign: &c.campaign.name,
            currency: c.campaign.currency.code(),
        },
    )
}

/// `302` to `to`, a path of ours (ids are `[a-z0-9-]`: nothing to escape).
pub(crate) fn found(to: &str) -> Response {
    ([(header::LOCATION, to), (header::CACHE_CONTROL, "no-store")], axum::http::StatusCode::FOUND).into_response()
}

/// Who the money goes to: the charity, else the campaign.
pub(crate) fn beneficiary(c: &crate::domain::Campaign) -> &str {
    c.charity.as_deref().filter(|s| !s.is_empty()).unwrap_or(&c.name)
}

async fn campaign_page(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let campaign = app
        .views
        .campaign(&campaign_id)
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let donate_url = safe_url(campaign.campaign.donate_url.as_ref());
    let lang = lang(&q);
    let (cover, cover_url) = cover(&app, &headers, &campaign.campaign).await?;
    let window = campaign_window(&campaign.campaign, app.now());
    html(
        PUBLIC_CSP,
        CampaignPage {
            lang,
            t: Tr::with_currency(lang, campaign.campaign.currency),
            campaign_id: &campaign_id,
            campaign: &campaign.campaign.name,
            charity: campaign.campaign.charity.as_deref().unwrap_or(""),
            currency: campaign.campaign.currency.code(),
            donate_url,
            qr_svg: if donate_url.is_empty() { String::new() } else { qr_svg(donate_url).unwrap_or_default() },
            summary: summary(lang, campaign.campaign.currency, &campaign.totals, beneficiary(&campaign.campaign)),
            cover,
            cover_url,
            window,
            thanks: thanks(&q),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t.get("…")` in the page templates names a label that exists, in both languages.
    #[test]
    fn every_label_used_exists() {
        let templates = [
            include_str!("../../templates/dashboard.html"),
            include_str!("../../templates/live_page.html"),
            include_str!("../../templates/campaign_page.html"),
            include_str!("../../templates/host_page.html"),
            include_str!("../../templates/charity_page.html"),
            include_str!("../../templates/parts.html"),
        ];
        let mut used = 0;
        for t in templates {
            for part in t.split("t.get(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(LABELS.iter().any(|(k, _, _)| *k == key), "label {key:?} is missing");
                used += 1;
            }
        }
        assert!(used > 50, "only {used} labels found: the scan is broken");
        for (k, fr, en) in LABELS {
            assert!(!fr.is_empty() && !en.is_empty(), "{k}");
            assert!(templates.iter().any(|t| t.contains(&format!("t.get(\"{k}\")"))), "label {k} is never used");
            assert_eq!(LABELS.iter().filter(|(x, _, _)| x == k).count(), 1, "{k} twice");
        }
    }

    /// Every French text of the pages (the scripts' and the labels'), the chat
    /// bot's lines and the calendars' keep their "!", "?", ":", ";" and "%" on
    /// the line of the word before (a no-break space), as French writes them;
    /// a chat command ("!top") after a space is no punctuation.
    #[test]
    fn the_french_never_starts_a_line_with_its_punctuation() {
        let breaks = |text: &str| {
            let chars: Vec<char> = text.chars().chain([' ']).collect();
            chars
                .windows(3)
                .any(|w| w[0] == ' ' && "!?:;%".contains(w[1]) && (w[2].is_whitespace() || "\\)»".contains(w[2])))
                // Guillemets hold their words with a no-break space.
                || text.contains("« ")
                || text.contains(" »")
        };
        let scripts = [
            ("overlay.js", include_str!("../../static/overlay.js")),
            ("public.js", include_str!("../../static/public.js")),
            ("embed.js", include_str!("../../static/embed.js")),
            ("stream.js", include_str!("../../static/stream.js")),
            ("host.js", include_str!("../../static/host.js")),
            ("shared.js", include_str!("../../static/shared.js")),
            ("dashboard.js", include_str!("../../static/dashboard.js")),
            ("charity.js", include_str!("../../static/charity.js")),
            ("builder.js", include_str!("../../static/builder.js")),
        ];
        // Every text of the scripts: English puts no space there, so only code
        // may (a sponsor's ratio "1 : 2" in either language, a regular expression).
        let code = [" : ", "\\n\\r]/.test(s) ? "];
        let mut texts = 0;
        for (name, script) in scripts {
            for line in script.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for text in line.split('"').skip(1).step_by(2).filter(|t| !code.contains(t)) {
                    texts += 1;
                    assert!(!breaks(text), "{name}: {line:?} has an ordinary space before its punctuation");
                }
            }
        }
        assert!(texts > 3000, "only {texts} texts found: the scan is broken");
        for (key, fr, _) in LABELS {
            assert!(!breaks(fr), "label {key}: {fr:?} has an ordinary space before its punctuation");
        }
        // The chat bot's and the calendars' lines, French or English (English has no space there).
        for (name, source) in [("chat.rs", include_str!("chat.rs")), ("calendar.rs", include_str!("calendar.rs"))] {
            for line in source.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for text in line.split('"').skip(1).step_by(2) {
                    assert!(!breaks(text), "{name}: {line:?} has an ordinary space before its punctuation");
                }
            }
        }
        assert!(breaks("Confirmer ?") && breaks("Défi : ") && breaks("Erreur :\\n") && breaks("(0 %)"));
        assert!(!breaks("(!cagnotte, !top…)"));
        assert!(breaks("« Dessin »") && !breaks("«\u{a0}Dessin\u{a0}»"));
        let thanks = LABELS.iter().find(|(k, _, _)| *k == "thanks_banner").map(|(_, fr, _)| *fr);
        assert!(thanks.is_some_and(|t| t.starts_with("Merci pour votre don\u{a0}!")));
    }

    #[test]
    fn labels_follow_the_language() {
        assert_eq!(Tr::new("fr").get("sign_in"), "Se connecter");
        assert_eq!(Tr::new("en").get("sign_in"), "Sign in");
        assert_eq!(Tr::new("en").other(), "fr");
        assert_eq!(Tr::new("xx").get("nope"), "?");
    }

    /// The help texts' examples in the page's currency as its language writes
    /// it, bare on a page of no one campaign; counts grouped likewise.
    #[test]
    fn examples_and_counts_follow_the_currency_and_the_language() {
        let gbp = Currency::parse("GBP").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let en = Tr::with_currency("en", gbp).get("rewards_help");
        assert!(en.contains("\"a portrait drawn on stream, from £30\""), "{en}");
        let fr = Tr::with_currency("fr", eur).get("milestones_help");
        assert!(fr.contains("«\u{a0}à 200\u{a0}€ je me teins"), "{fr}");
        let bare = Tr::new("en").get("challenges_help");
        assert!(bare.contains("\"50 more in 15 minutes and I sing\""), "{bare}");
        assert_eq!(Tr::with_currency("en", jpy).amounts("{1000}, {x} {}"), "1,000\u{a0}JPY, {x} {}");
        assert_eq!((count_for(1486, true), count_for(1486, false)), ("1\u{202f}486".to_owned(), "1,486".to_owned()));
        assert_eq!((count_for(999, false), count_for(1_000_000, false)), ("999".to_owned(), "1,000,000".to_owned()));
    }

    #[test]
    fn only_web_links_are_rendered() {
        assert_eq!(safe_url(Some(&"javascript:alert(1)".to_owned())), "");
        assert_eq!(safe_url(Some(&"https://dons.org".to_owned())), "https://dons.org");
        assert_eq!(safe_url(None), "");
    }
}
