//! What assistive technologies read of the pages, in real headless Chromium:
//! labels, names, contrast and reflow.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::{click, fr, sign_in, wait_text};
use crate::helpers::{ADMIN, GIF, TestApp, TestLive, spawn_app};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// Presses `key` (with Shift held when `shift`) where the focus is.
async fn press(b: &Browser, key: Key, shift: bool) {
    let (k, s): (char, char) = (key.into(), Key::Shift.into());
    let mut keys = KeyActions::new("keyboard".into());
    if shift {
        keys = keys.then(KeyAction::Down { value: s });
    }
    keys = keys.then(KeyAction::Down { value: k }).then(KeyAction::Up { value: k });
    if shift {
        keys = keys.then(KeyAction::Up { value: s });
    }
    b.client.perform_actions(keys).await.expect("a key pressed");
}

/// The id (or else the tag and text) of the focused element.
async fn focused(b: &Browser) -> Value {
    b.js("var a = document.activeElement; return a ? (a.id || a.tagName + ':' + a.textContent) : null").await
}

/// A page's script giving `contrast(fg, el)`: the ratio of the colour `fg`
/// (`rgb(…)`) to the background `el` is drawn on (its own or, when see-through,
/// its nearest ancestor's).
const CONTRAST: &str = r#"
    var rgb = function (c) { var m = c.match(/[\d.]+/g).map(Number); return m.length > 3 && m[3] === 0 ? null : m.slice(0, 3); };
    var lum = function (c) { var v = c.map(function (x) { x /= 255; return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
      return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
    var ground = function (el) { for (var n = el; n; n = n.parentElement) { var c = rgb(getComputedStyle(n).backgroundColor); if (c) return c; } return [255, 255, 255]; };
    var contrast = function (fg, el) { var a = lum(rgb(fg)), b = lum(ground(el)); return Math.round((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) * 100) / 100; };
    var text = function (el) { return contrast(getComputedStyle(el).color, el); };
"#;

async fn wait_ready(b: &Browser) {
    eventually("the host's space is ready", WAIT, || async {
        (b.js("return document.body.dataset.state").await == "ready").then_some(())
    })
    .await;
}

/// The host's space of `live`, opened with its host key (`query`: `&dock=1`…).
async fn open_host_space(b: &Browser, app: &TestApp, live: &TestLive, query: &str) {
    let key = live.body["host_token"].as_str().unwrap();
    b.goto(&format!("{}/lives/{}/host?lang=fr{query}#key={key}", app.base, live.id)).await;
    wait_ready(b).await;
}

/// A campaign with a donate link and a sponsor doubling up to 1 000 €, and
/// its live: the campaign's id and the live.
async fn sponsored(app: &TestApp) -> (String, TestLive) {
    let c = app
        .campaign(
            json!({"name": "Restos", "currency": "EUR", "goal": 500000, "donate_url": "https://dons.example.org"}),
        )
        .await;
    let campaign = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&campaign, json!({"host": "Corentin", "goal": 100000})).await;
    app.add_match(&campaign, json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 100000})).await;
    (campaign, live)
}

async fn wait_rows(b: &Browser, css: &str, n: usize) {
    eventually(&format!("{n} rows in {css}"), WAIT, || async {
        (b.js(&format!("return document.querySelectorAll('{css}').length")).await == n).then_some(())
    })
    .await;
}

/// Focuses the skip link as the keyboard reaches it and follows it: says where
/// the link was (hidden until focused, seen then), where the focus went, and
/// where one more Tab takes it (after the list, or none of its rows).
async fn skip_past(b: &Browser, rows: &str) -> Value {
    let before = b
        .js("var s = document.querySelector('a.skip'); var w = s.getBoundingClientRect().width; s.focus(); \
             return [w <= 1, s.getBoundingClientRect().width > 20, s.textContent, s.getAttribute('href')]")
        .await;
    press(b, Key::Enter, false).await;
    let landed = focused(b).await;
    press(b, Key::Tab, false).await;
    let after = b
        .js(&format!(
            "var a = document.activeElement, list = document.querySelector('{rows}').closest('table'); \
             return [!!a && !list.contains(a) && !!(list.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING), a ? a.id || a.name || a.textContent : null]"
        ))
        .await;
    json!([before, landed, after])
}

#[tokio::test]
async fn the_dashboards_donations_list_is_skipped_and_its_cards_reached_in_one_step() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gifts(&live, 30).await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        wait_rows(b, "#donations tbody tr[data-id]", 30).await;
        let nav = b
            .js("var n = document.querySelector('#campaign-view nav[aria-label=Sections]'); \
                 return Array.from(n.querySelectorAll('a')).map(function (a) { \
                   var t = document.getElementById(a.getAttribute('href').slice(1)); \
                   return [a.textContent, !!t && !!t.querySelector('h3, summary') && t.querySelector('h3') ? t.querySelector('h3').textContent : t.id]; })")
            .await;
        assert_eq!(
            nav,
            json!([
                ["Lives", "Lives"],
                ["Dons", "Dons"],
                ["Abondements", "Abondements"],
                ["Paliers", "Paliers"],
                ["Sondages", "Sondages"],
                ["Tirages au sort", "Tirages au sort"],
                ["Bilan pour l'association", "Bilan pour l'association"],
                ["Rapprochement avec le prestataire", "Rapprochement avec le prestataire"],
                ["Paiements reçus (webhooks entrants)", "Paiements reçus (webhooks entrants)"]
            ])
        );
        // The link to the sponsors' card takes the keyboard there.
        b.js("document.querySelector('nav[aria-label=Sections] a[href=\"#matches-box\"]').focus()").await;
        press(b, Key::Enter, false).await;
        press(b, Key::Tab, false).await;
        let v = b.js("return document.getElementById('matches-box').contains(document.activeElement)").await;
        assert_eq!(v, true, "the next stop is in the sponsors' card");

        // Past the thirty gifts' buttons, the next stop is the new sponsor's form.
        let skipped = skip_past(b, "#donations tbody tr").await;
        assert_eq!(
            skipped,
            json!([[true, true, "Passer la liste des dons", "#donations-end"], "donations-end", [true, "Nouvel abondement"]])
        );
    })
    .await;
}

#[tokio::test]
async fn the_host_space_skips_its_donations_in_a_dock_too() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gifts(&live, 25).await;
    with_browser(async |b| {
        open_host_space(b, &app, &live, "").await;
        wait_rows(b, "#donations tr[data-id]", 25).await;
        let nav = b
            .js("var n = document.querySelector('#app > nav[aria-label=Sections]'); \
                 return [getComputedStyle(n).display, Array.from(n.querySelectorAll('a')).map(function (a) { \
                   var t = document.getElementById(a.getAttribute('href').slice(1)); var h = t && (t.tagName === 'H2' ? t : t.querySelector('h2')); return !!h && h.firstChild.textContent.trim() === a.textContent; })]")
            .await;
        assert_eq!(nav, json!(["flex", vec![true; 13]]));
        // Past the gifts' buttons, the next stop is the overlay's card.
        let skipped = skip_past(b, "#donations tr").await;
        assert_eq!(
            skipped,
            json!([[true, true, "Passer la liste des dons", "#donations-end"], "donations-end", [true, "customize-overlay"]])
        );

        // In an OBS dock, 380 px wide: no room for the sections' line; the skip link stays.
        b.set_viewport(380, 800).await;
        open_host_space(b, &app, &live, "&dock=1").await;
        wait_rows(b, "#donations tr[data-id]", 25).await;
        let nav = b.js("return getComputedStyle(document.querySelector('nav[aria-label=Sections]')).display").await;
        assert_eq!(nav, "none");
        // There the next stop is the test alert's form.
        let skipped = skip_past(b, "#donations tr").await;
        assert_eq!(
            skipped,
            json!([[true, true, "Passer la liste des dons", "#donations-end"], "donations-end", [true, "donor"]])
        );
        assert_eq!(b.js("return document.documentElement.scrollWidth <= innerWidth").await, true);
    })
    .await;
}

/// Tabs `n` times from the focused control (back with Shift), and gives the
/// focused buttons that ended under `panel` (`[text, its rect, the panel's]`).
async fn covered_while_tabbing(b: &Browser, panel: &str, n: usize, back: bool) -> Vec<Value> {
    let mut covered = Vec::new();
    for _ in 0..n {
        press(b, Key::Tab, back).await;
        let v = b
            .js(&format!(
                "var a = document.activeElement, p = document.querySelector('{panel}').getBoundingClientRect(), r = a.getBoundingClientRect(); \
                 var under = r.bottom > p.top + 1 && r.top < p.bottom - 1; \
                 return under ? [a.textContent, [r.top, r.bottom], [p.top, p.bottom]] : null"
            ))
            .await;
        if !v.is_null() {
            covered.push(v);
        }
    }
    covered
}

#[tokio::test]
async fn focused_controls_scroll_clear_of_the_sticky_panels() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gifts(&live, 40).await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        for (w, h) in [(1280, 800), (390, 844)] {
            b.set_viewport(w, h).await;
            b.goto(&format!("{}/dashboard", app.base)).await;
            wait_rows(b, "#donations tbody tr[data-id]", 40).await;
            // The partial refund's form open at the foot of the window: each row's
            // buttons reached with Tab scroll above it.
            b.js("document.querySelector('#donations tbody tr:nth-child(3) button[data-act=part-refund]').click()").await;
            eventually("the partial refund's form", WAIT, || async {
                (b.js("return document.activeElement.name").await == "refunded_amount").then_some(())
            })
            .await;
            b.js("document.querySelector('#donations tbody tr:first-child button').focus()").await;
            let covered = covered_while_tabbing(b, "#part-refund-box", 60, false).await;
            assert_eq!(covered, Vec::<Value>::new(), "{w} px wide: buttons under the partial refund's form");

            // A notice at the top of the window: the buttons reached going back
            // with Shift+Tab scroll below it.
            b.js("cagnotteNotice('Ce don est déjà remboursé en entier : il n’y a plus rien à rendre sur celui-ci.', true)").await;
            b.js("document.querySelector('#part-refund-box').hidden = true; var bs = document.querySelectorAll('#donations tbody tr button'); bs[bs.length - 1].focus()").await;
            let covered = covered_while_tabbing(b, "#notice", 60, true).await;
            assert_eq!(covered, Vec::<Value>::new(), "{w} px wide: buttons under the notice");
        }
    })
    .await;
}

/// Every read-only field of a copy row, by id: what names it (its own label,
/// or the text it is labelled by), never its button's word.
const COPY_FIELDS: &str = r#"
    return Array.from(document.querySelectorAll('.copy-row > input, .copy-row > textarea')).map(function (i) {
      var by = i.getAttribute('aria-labelledby');
      var name = by ? by.split(' ').map(function (id) { return document.getElementById(id).textContent; }).join(' ')
                    : Array.from(i.labels).map(function (l) { return l.textContent; }).join(' ');
      return [i.id, name.trim(), i.labels.length + (by ? 1 : 0)];
    });"#;

#[tokio::test]
async fn fields_are_named_by_their_own_labels() {
    let app = spawn_app().await;
    let live = app.setup().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        wait_text(b, "#lives article [data-f=host]", "Corentin").await;
        let ratio = b
            .js("return ['#new-match', '#edit-match'].map(function (f) { return ['ratio_num', 'ratio_den'].map(function (n) { \
                   var i = document.querySelector(f + ' [name=' + n + ']'); \
                   return [Array.from(i.labels).map(function (l) { return l.textContent.trim(); }), i.closest('fieldset').querySelector('legend').textContent]; }); })")
            .await;
        let legend = "Ratio (mécène\u{a0}: donateur)";
        let pair = json!([[["Part du mécène"], legend], [["Part du donateur"], legend]]);
        assert_eq!(ratio, json!([pair, pair]));
        let fields = b.js(COPY_FIELDS).await;
        assert_eq!(
            fields,
            json!([
                ["overlay-url", "URL de l'overlay (source navigateur OBS)", 1],
                ["follow-url", "Un seul lien OBS pour tous les lives de cet hôte", 1],
                ["host-follow-url", "Un seul lien d'espace hôte pour tous les lives de cet hôte", 1],
                ["live-key", "Clé d'écriture du live", 1],
                ["host-link", "Lien de l'espace hôte", 1],
                ["moderator-link", "Lien pour vos modérateurs", 1],
                ["charity-link", "Lien pour l'association", 1],
                ["embed-code", "Code à coller", 1],
                ["twitch-command", "Commande qui abonne l'URL aux dons Twitch Charity de la chaîne", 1],
                ["helloasso-url", "URL de notification à coller dans HelloAsso", 1],
                ["helloasso-again-url", "URL de notification à coller dans HelloAsso", 1]
            ])
        );

        open_host_space(b, &app, &live, "").await;
        let fields = b.js(COPY_FIELDS).await;
        let after_live = "Le live est terminé\u{a0}: de quoi remercier vos donateurs, à copier pour un message ou un post.";
        assert_eq!(
            fields,
            json!([
                ["thanks-text", after_live, 1],
                ["overlay-url", "URL de l'overlay (source navigateur OBS)", 1],
                ["follow-url", "Un seul lien OBS pour tous vos lives de la campagne", 1],
                ["public-follow", "Lien pour le panneau de votre chaîne", 1],
                ["embed-code", "Le compteur pour votre site", 1],
                ["host-url", "Lien de l'espace hôte", 1],
                // Named once a moderator's link is made ("Lien de Léa").
                ["moderator-added-url", "", 1],
                ["moderator-url", "Lien pour vos modérateurs", 1],
                ["dock-url", "Lien du dock", 1]
            ])
        );
    })
    .await;
}

#[tokio::test]
async fn text_and_fields_keep_their_contrast() {
    let app = spawn_app().await;
    let (campaign, live) = sponsored(&app).await;
    app.gift(&live, Some("Zoé"), 1000, false).await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    app.donate(&live, json!({"amount": 700, "currency": "EUR", "donor": "Hugo", "message": "Bravo"})).await;
    with_browser(async |b| {
        // The viewers' page: its header's links and Share button, a matched gift.
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_text(b, "#recent .matched", &fr("+10,00_€ abondés")).await;
        let v = b
            .js(&format!(
                "{CONTRAST} return ['#campaign-link', '#calendar-link', '#share', '#lang-switch', '#recent .matched'].map(function (s) {{ return text(document.querySelector(s)) >= 4.5; }})"
            ))
            .await;
        assert_eq!(v, json!([true, true, true, true, true]));
        // The counter on a dark website: its donate button's words.
        b.goto(&format!("{}/campaigns/{campaign}/embed?theme=dark", app.base)).await;
        let v = b.js(&format!("{CONTRAST} return text(document.querySelector('a.e-donate')) >= 4.5")).await;
        assert_eq!(v, true);

        // The dashboard: the held text's badge, the backups' warning, the fields' edges (3:1).
        sign_in(b, &app, "").await;
        wait_text(b, "#lives article [data-f=mode]", "validation · 1 en attente").await;
        let v = b
            .js(&format!(
                "{CONTRAST} var f = document.querySelector('#new-campaign [name=name]'); \
                 return [text(document.querySelector('#lives article [data-f=mode]')), document.getElementById('backup-state').dataset.state, \
                         text(document.getElementById('backup-state')) >= 4.5, text(document.getElementById('lang-switch')) >= 4.5, \
                         contrast(getComputedStyle(f).borderTopColor, f.parentElement) >= 3, contrast(getComputedStyle(f).borderTopColor, f) >= 3]"
            ))
            .await;
        assert!(v[0].as_f64().unwrap() >= 4.5, "{v}");
        assert_eq!(v.as_array().unwrap()[1..], [json!("off"), json!(true), json!(true), json!(true), json!(true)]);

        // The host's space: the held texts' count, the alerts paused, a reward done.
        open_host_space(b, &app, &live, "").await;
        click(b, "#pause-alerts").await;
        wait_text(b, "#alerts-state", "Alertes en pause\u{a0}: elles attendent la reprise").await;
        let done = "var ul = document.getElementById('claims'), li = document.createElement('li'), p = document.createElement('p'); \
                    li.dataset.state = 'done'; p.className = 'claim'; p.textContent = 'Un portrait pour Zoé'; li.appendChild(p); ul.appendChild(li);";
        let v = b
            .js(&format!(
                "{CONTRAST} {done} return [text(document.getElementById('pending-count')), text(document.getElementById('alerts-state')), \
                   text(p), getComputedStyle(p).opacity, getComputedStyle(p).textDecorationLine]"
            ))
            .await;
        assert!(v[0].as_f64().unwrap() >= 4.5 && v[1].as_f64().unwrap() >= 4.5 && v[2].as_f64().unwrap() >= 4.5, "{v}");
        assert_eq!(v.as_array().unwrap()[3..], [json!("1"), json!("line-through")], "done, said otherwise than faded");
        // In an OBS dock: no overlay connected yet, said in the warning colour; the pause.
        open_host_space(b, &app, &live, "&dock=1").await;
        wait_text(b, "#alerts-state", "Alertes en pause\u{a0}: elles attendent la reprise").await;
        let v = b
            .js(&format!(
                "{CONTRAST} var o = document.getElementById('overlays'), f = document.querySelector('#test-form [name=donor]'); \
                 return [o.textContent.length > 0, text(o), text(document.getElementById('alerts-state')), contrast(getComputedStyle(f).borderTopColor, f.parentElement)]"
            ))
            .await;
        assert!(v[0] == true && v[1].as_f64().unwrap() >= 4.5 && v[2].as_f64().unwrap() >= 4.5 && v[3].as_f64().unwrap() >= 3.0, "{v}");
    })
    .await;
}

#[tokio::test]
async fn the_host_space_and_the_builder_fit_320_px() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let long = "affiche-du-grand-concert-de-printemps-pour-les-restos-du-coeur-2025.gif";
    let (s, v) = app.upload_media(&live.campaign_id, Some(ADMIN), &format!("name={long}"), GIF.to_vec()).await;
    assert!(s.is_success(), "{v}");
    with_browser(async |b| {
        b.set_viewport(320, 700).await;
        open_host_space(b, &app, &live, "").await;
        click(b, "#pause-alerts").await;
        wait_text(b, "#alerts-state", "Alertes en pause\u{a0}: elles attendent la reprise").await;
        let fits = "return [innerWidth, document.documentElement.scrollWidth <= innerWidth]";
        assert_eq!(b.js(fits).await, json!([320, true]), "the host's space");
        b.goto(&format!("{}/overlay/lives/{}/builder?token={}", app.base, live.id, live.overlay_token)).await;
        eventually("the builder reads the library", WAIT, || async {
            (b.js("return document.getElementById('media').dataset.loaded").await == "1").then_some(())
        })
        .await;
        let offered = b.js("return document.querySelector('select[name=alert_image]').options[1].textContent").await;
        assert_eq!(offered, long);
        assert_eq!(b.js(fits).await, json!([320, true]), "the builder");
    })
    .await;
}

#[tokio::test]
async fn the_builder_says_its_words_in_the_pages_language() {
    let app = spawn_app().await;
    let live = app.setup().await;
    with_browser(async |b| {
        let read = "return [document.title, document.getElementById('preview').title, \
                    Array.from(document.querySelectorAll('select[name=pos] option')).map(function (o) { return o.textContent; }), \
                    Array.from(document.querySelectorAll('#form fieldset')).map(function (f) { var l = f.querySelector(':scope > legend'); return l ? l.textContent : null; })]";
        b.goto(&format!("{}/overlay/lives/{}/builder?token={}", app.base, live.id, live.overlay_token)).await;
        assert_eq!(
            b.js(read).await,
            json!([
                "Cagnotte — créateur d'overlay — Corentin",
                "Aperçu de l'overlay",
                [
                    "— par défaut",
                    "↖ en haut à gauche",
                    "↑ en haut",
                    "↗ en haut à droite",
                    "← à gauche",
                    "• au centre",
                    "→ à droite",
                    "↙ en bas à gauche",
                    "↓ en bas",
                    "↘ en bas à droite"
                ],
                ["Couleurs", "Images et sons des alertes", "Minuteur du marathon"]
            ])
        );
        b.goto(&format!("{}/overlay/lives/{}/builder?lang=en&token={}", app.base, live.id, live.overlay_token)).await;
        assert_eq!(
            b.js(read).await,
            json!([
                "Cagnotte — overlay builder — Corentin",
                "Preview of the overlay",
                [
                    "— default",
                    "↖ top left",
                    "↑ top",
                    "↗ top right",
                    "← left",
                    "• centre",
                    "→ right",
                    "↙ bottom left",
                    "↓ bottom",
                    "↘ bottom right"
                ],
                ["Colours", "Alert images and sounds", "Marathon timer"]
            ])
        );
    })
    .await;
}

/// The public pages' cards by heading: `[card's id or class, its heading]`,
/// and the donate card's QR code (left to the link beside it).
const HEADINGS: &str = r#"
    var qr = document.querySelector('svg.qr');
    return [Array.from(document.querySelectorAll('main section h2')).filter(function (h) { return !h.closest('[hidden]'); }).map(function (h) {
              var c = h.closest('section'); return [c.id || c.className, h.textContent]; }),
            !!qr.closest('[aria-hidden=true]'), qr.getAttribute('role'), qr.closest('section').querySelector('a#donate-link').textContent];"#;

#[tokio::test]
async fn the_public_pages_cards_have_headings_and_keep_still_on_request() {
    let app = spawn_app().await;
    let (campaign, live) = sponsored(&app).await;
    let (s, p) = app
        .post(
            &format!("/api/v1/lives/{}/polls", live.id),
            Some(&live.key),
            json!({"question": "Quel jeu ?", "options": ["Mario", "Zelda"]}),
        )
        .await;
    assert!(s.is_success(), "{p}");
    with_browser(async |b| {
        b.reduce_motion().await;
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        eventually("the poll's card", WAIT, || async { (b.js("return document.getElementById('poll').hidden").await == false).then_some(()) })
            .await;
        let v = b.js(HEADINGS).await;
        assert_eq!(v[0][0], json!(["card totals-card", "Total"]));
        assert_eq!(v[0][1], json!(["match", fr("Votre don est doublé par Acme_!")]));
        assert_eq!(v[0][2][0], "poll");
        assert!(v[0][2][1].as_str().unwrap().starts_with("Quel jeu\u{a0}?"), "{v}");
        assert_eq!(v[0][3], json!(["donate", "Faire un don"]));
        assert_eq!(v.as_array().unwrap()[1..], [json!(true), Value::Null, json!("Faire un don")]);
        // No bar gliding to its place under reduced motion.
        assert_eq!(b.js("return getComputedStyle(document.getElementById('goal-fill')).transitionDuration").await, "0s");

        b.goto(&format!("{}/campaigns/{campaign}?lang=en", app.base)).await;
        wait_text(b, "#match-line", "Your donation is doubled by Acme!").await;
        let v = b.js(HEADINGS).await;
        assert_eq!(
            v,
            json!([
                [
                    ["card totals-card", "Total"],
                    ["match", "Your donation is doubled by Acme!"],
                    ["donate", "Donate"],
                    ["card", "Schedule"],
                    ["card", "Latest donations"]
                ],
                true,
                null,
                "Donate"
            ])
        );

        // The host's space: a new row does not flash, a success's notice goes at once.
        open_host_space(b, &app, &live, "").await;
        let v = b
            .js("var tr = document.createElement('tr'); tr.className = 'new'; document.getElementById('donations').appendChild(tr); \
                 cagnotteNotice('Enregistré.', false); var n = getComputedStyle(document.getElementById('notice')); \
                 return [getComputedStyle(tr).animationName, n.animationName, n.animationDuration]")
            .await;
        assert_eq!(v, json!(["none", "notice-out", "0s"]));
    })
    .await;
}

#[tokio::test]
async fn the_ticker_shows_each_gift_in_turn_without_motion() {
    let app = spawn_app().await;
    let live = app.setup().await;
    for (name, amount) in [("Ana", 500), ("Bea", 700), ("Chloé", 900)] {
        app.gift(&live, Some(name), amount, false).await;
    }
    with_browser(async |b| {
        b.reduce_motion().await;
        b.goto(&format!("{}/overlay/lives/{}/ticker?token={}", app.base, live.id, live.overlay_token)).await;
        b.wait_live().await;
        // The ticker's clock set by hand: which name the window shows, early and late in each turn.
        let at = "var t = arguments[0], w = document.querySelector('.ticker-window').getBoundingClientRect(); \
                  document.getAnimations().forEach(function (a) { a.pause(); a.currentTime = t; }); \
                  var shown = Array.from(document.querySelectorAll('.ticker-group:first-child .ticker-item')).filter(function (i) { \
                    var r = i.getBoundingClientRect(); return r.top >= w.top - 0.5 && r.bottom <= w.bottom + 0.5; }); \
                  return shown.map(function (i) { return i.querySelector('.ticker-donor').textContent; });";
        let mut seen = Vec::new();
        for t in [100, 2900, 3100, 5900, 6100, 8900, 9100] {
            seen.push(b.client.execute(at, vec![json!(t)]).await.expect("the ticker at a time"));
        }
        assert_eq!(
            seen,
            [json!(["Chloé"]), json!(["Chloé"]), json!(["Bea"]), json!(["Bea"]), json!(["Ana"]), json!(["Ana"]), json!(["Chloé"])]
        );
    })
    .await;
}

/// The sections' links and the skip link move the focus without touching the
/// address's `#…`: the dashboard's campaign is still there for a reload.
#[tokio::test]
async fn in_page_links_keep_the_campaign_in_the_address() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gifts(&live, 3).await;
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_rows(b, "#donations tbody tr[data-id]", 3).await;
        let follow = "var a = document.querySelector(arguments[0]); a.focus(); a.click(); \
                      var t = document.getElementById(a.getAttribute('href').slice(1)); \
                      return [location.hash, document.activeElement === t];";
        let v = b
            .client
            .execute(follow, vec![json!("#campaign-view nav[aria-label=Sections] a[href='#matches-box']")])
            .await;
        assert_eq!(v.expect("script"), json!([format!("#c={}", live.campaign_id), true]));
        let v = b.client.execute(follow, vec![json!("a.skip")]).await;
        assert_eq!(v.expect("script"), json!([format!("#c={}", live.campaign_id), true]));
        open_host_space(b, &app, &live, "").await;
        let hash = b.js("return location.hash").await;
        let v = b.client.execute(follow, vec![json!("a.skip")]).await;
        assert_eq!(v.expect("script"), json!([hash, true]));
    })
    .await;
}
