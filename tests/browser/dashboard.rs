//! The dashboard in real headless Chromium: sign-in, sessions and CSRF, every
//! form (campaign, match, live, donation, edits, moderation), copying the
//! overlay URL, test alerts, moderation reaching an open overlay, hiding and
//! refunding after the fact.

use crate::browser::{Browser, eventually, until_found, with_browser};
use crate::helpers::{ADMIN, TestApp, TestLive, from_now, spawn_app, spawn_app_with};
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

/// fr-FR's weekdays, Monday first, and months, as `Intl` writes them in long dates.
pub const FR_DAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
pub const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// fr-FR money: `~` stands for the narrow no-break space, `_` for the no-break space.
pub fn fr(s: &str) -> String {
    s.replace('~', "\u{202f}").replace('_', "\u{a0}")
}

/// Types `text` in the first match instead of what it held; found again if the
/// page re-rendered it meanwhile (replaced, or not yet laid out where it was).
pub async fn fill(b: &Browser, css: &str, text: &str) {
    for _ in 0..5 {
        let e = b.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        match async { e.clear().await.and(e.send_keys(text).await) }.await {
            Ok(()) => return,
            Err(err) if err.to_string().contains("stale element") => continue,
            Err(err) if err.to_string().contains("not interactable") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(err) => panic!("fill {css}: {err}"),
        }
    }
    panic!("{css} kept being replaced");
}

/// Clicks the first match; found again if the page re-rendered it between find and click.
pub async fn click(b: &Browser, css: &str) {
    for _ in 0..5 {
        let e = b.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        match e.click().await {
            Ok(()) => return,
            Err(err) if err.to_string().contains("stale element") => continue,
            Err(err) => panic!("click {css}: {err}"),
        }
    }
    panic!("{css} kept being replaced");
}

/// Picks the option shown as `label` in the first `<select>` matching `css`;
/// found again if the page re-rendered it between find and choice (as [`click`]).
pub async fn choose(b: &Browser, css: &str, label: &str) {
    for _ in 0..5 {
        let e = b.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        match e.select_by_label(label).await {
            Ok(()) => return,
            Err(err) if err.to_string().contains("stale element") => continue,
            Err(err) => panic!("{css}: no option {label:?}: {err}"),
        }
    }
    panic!("{css} kept being replaced");
}

/// Runs `script` with `arguments[0] = css` and returns its value.
pub async fn on(b: &Browser, css: &str, script: &str) -> Value {
    b.client.execute(script, vec![json!(css)]).await.expect("script")
}

/// `textContent` of the first match, or null when there is none.
pub async fn text(b: &Browser, css: &str) -> Value {
    on(b, css, "var n = document.querySelector(arguments[0]); return n ? n.textContent : null;").await
}

/// Waits for `css` to read `expected`; a timeout says what it read last.
pub async fn wait_text(b: &Browser, css: &str, expected: &str) {
    until_found(&format!("{css} reads {expected:?}"), WAIT, || async {
        let read = text(b, css).await;
        if read == expected { Ok(()) } else { Err(read.to_string()) }
    })
    .await
}

async fn state(b: &Browser) -> Value {
    b.js("return document.body.dataset.state").await
}

async fn wait_state(b: &Browser, wanted: &str) {
    eventually(&format!("the dashboard is in state {wanted}"), WAIT, || async {
        (state(b).await == wanted).then_some(())
    })
    .await;
}

/// Sets a `datetime-local` input (typing into it depends on the browser's locale).
async fn set_local_time(b: &Browser, css: &str, value: &str) {
    b.client
        .execute("document.querySelector(arguments[0]).value = arguments[1];", vec![json!(css), json!(value)])
        .await
        .expect("set time");
}

pub async fn sign_in(b: &Browser, app: &TestApp, query: &str) {
    b.goto(&format!("{}/dashboard{query}", app.base)).await;
    wait_state(b, "signin").await;
    fill(b, "#signin-token", ADMIN).await;
    click(b, "#signin-form button[type=submit]").await;
    wait_state(b, "app").await;
}

/// Creates a campaign through the form; waits until it is selected.
pub async fn create_campaign(b: &Browser, name: &str, goal: &str, donate_url: &str) {
    click(b, "#new-campaign-box > summary").await;
    fill(b, "#new-campaign [name=name]", name).await;
    fill(b, "#new-campaign [name=goal]", goal).await;
    fill(b, "#new-campaign [name=charity]", "Les Restos du cœur").await;
    fill(b, "#new-campaign [name=donate_url]", donate_url).await;
    click(b, "#new-campaign button[type=submit]").await;
    wait_text(b, "#c-name", name).await;
}

/// Creates a live through the form; waits for its card and the secrets box.
pub async fn create_live(b: &Browser, host: &str) {
    click(b, "details:has(#new-live) > summary").await;
    fill(b, "#new-live [name=host]", host).await;
    click(b, "#new-live button[type=submit]").await;
    wait_text(b, "#secret-host", host).await;
    wait_text(b, "#lives article [data-f=host]", host).await;
}

pub async fn input_value(b: &Browser, css: &str) -> String {
    on(b, css, "return document.querySelector(arguments[0]).value;").await.as_str().unwrap_or_default().to_owned()
}

/// The rows of the donations table: `[donor, message, amount, matched, status]` each.
async fn donation_rows(b: &Browser) -> Vec<Vec<String>> {
    let v = b
        .js(r##"return Array.from(document.querySelectorAll("#donations tbody tr")).map(function (tr) {
            var c = function (s) { return tr.querySelector(s).textContent; };
            // The state, without who set it (`td.status .by`).
            var state = tr.querySelector("td.status").firstChild.textContent;
            return [c("td.donor"), c("td.message"), c("td.amount"), c("td.matched"), state];
        });"##)
        .await;
    serde_json::from_value(v).expect("rows")
}

async fn wait_rows(b: &Browser, expected: &[[&str; 5]]) {
    let expected: Vec<Vec<String>> = expected.iter().map(|r| r.iter().map(|c| fr(c)).collect()).collect();
    eventually(&format!("donation rows {expected:?}"), WAIT, || async {
        let rows = donation_rows(b).await;
        (rows == expected).then_some(())
    })
    .await;
}

/// The session cookie the browser holds (HttpOnly: only WebDriver can read it).
async fn session_cookie(b: &Browser) -> fantoccini::cookies::Cookie<'static> {
    b.client.get_named_cookie("cagnotte_session").await.expect("session cookie")
}

async fn campaign_names(app: &TestApp) -> Vec<String> {
    let (s, v) = app.request(reqwest::Method::GET, "/dashboard/campaigns", Some(ADMIN), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["campaigns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn sign_in_wrong_token_reload_sign_out_and_forged_cookie() {
    let app = spawn_app().await;
    with_browser(async |b| {
        b.goto(&format!("{}/dashboard", app.base)).await;
        wait_state(b, "signin").await;
        // Not only flagged hidden: nothing of the signed-in page is drawn.
        let drawn = "return document.querySelector(arguments[0]).getClientRects().length > 0";
        assert_eq!(on(b, "#app", drawn).await, false);

        fill(b, "#signin-token", "not-the-admin-token-at-all").await;
        click(b, "#signin-form button[type=submit]").await;
        wait_text(b, "#signin-error", "Ce jeton n'est pas le bon.").await;
        assert_eq!(state(b).await, "signin");

        fill(b, "#signin-token", ADMIN).await;
        click(b, "#signin-form button[type=submit]").await;
        wait_state(b, "app").await;
        assert_eq!(input_value(b, "#signin-token").await, "", "the token does not stay in the form");
        let cookie = session_cookie(b).await;
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site().map(|s| s.to_string()).as_deref(), Some("Strict"));
        assert_eq!(cookie.path(), Some("/"));
        let js_cookies = b.js("return document.cookie").await;
        assert!(!js_cookies.as_str().unwrap().contains("cagnotte_session"), "HttpOnly: {js_cookies}");

        // The session outlives a reload; signing out ends it on the server too.
        b.client.refresh().await.unwrap();
        wait_state(b, "app").await;
        let old = format!("cagnotte_session={}", session_cookie(b).await.value());
        click(b, "#sign-out").await;
        wait_state(b, "signin").await;
        assert_eq!(on(b, "#app", drawn).await, false);
        let (s, _) = app.request(reqwest::Method::GET, "/api/v1/session", None, &[("cookie", &old)], None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "a signed-out cookie is dead");
        b.client.refresh().await.unwrap();
        wait_state(b, "signin").await;

        // A forged cookie shows the sign-in form, and the API refuses it.
        let forged = fantoccini::cookies::Cookie::parse(format!(
            "cagnotte_session=cs_forged0000000000000000000000000000; Domain={}; Path=/; HttpOnly; SameSite=Strict",
            app.addr.ip()
        ))
        .unwrap();
        b.client.add_cookie(forged).await.unwrap();
        b.client.refresh().await.unwrap();
        wait_state(b, "signin").await;
        let r = b
            .client
            .execute_async(
                r##"var done = arguments[0];
                fetch("/api/v1/campaigns", {method: "POST", credentials: "same-origin",
                    headers: {"Content-Type": "application/json", "X-CSRF-Token": "whatever"},
                    body: JSON.stringify({name: "Forgée", currency: "EUR"})})
                  .then(function (r) { return r.json().then(function (v) { done([r.status, v.error]); }); });"##,
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(r, json!([401, "unauthorized"]));
    })
    .await;
    assert!(campaign_names(&app).await.is_empty());
}

#[tokio::test]
async fn an_expired_session_is_refused_and_asks_to_sign_in_again() {
    let app = spawn_app_with(Arc::new(tempfile::tempdir().unwrap()), |c| c.session_ttl_secs = 2).await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        let cookie = format!("cagnotte_session={}", session_cookie(b).await.value());
        eventually("the session expires", WAIT, || async {
            let (s, _) = app.request(reqwest::Method::GET, "/api/v1/session", None, &[("cookie", &cookie)], None).await;
            (s == StatusCode::UNAUTHORIZED).then_some(())
        })
        .await;
        click(b, "#new-campaign-box > summary").await;
        fill(b, "#new-campaign [name=name]", "Trop tard").await;
        click(b, "#new-campaign button[type=submit]").await;
        wait_state(b, "signin").await;
        wait_text(b, "#notice", "Session expirée\u{a0}: reconnectez-vous.").await;
    })
    .await;
    assert!(campaign_names(&app).await.is_empty(), "nothing written with an expired session");
}

#[tokio::test]
async fn writes_without_the_csrf_token_or_from_another_site_are_refused() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        // Same page, cookie sent, but no (or a wrong) CSRF header: 403 csrf.
        let r = b
            .client
            .execute_async(
                r##"var done = arguments[0];
                var post = function (headers) {
                  headers["Content-Type"] = "application/json";
                  return fetch("/api/v1/campaigns", {method: "POST", credentials: "same-origin", headers: headers,
                      body: JSON.stringify({name: "Sans jeton", currency: "EUR"})})
                    .then(function (r) { return r.json().then(function (v) { return [r.status, v.error]; }); });
                };
                Promise.all([post({}), post({"X-CSRF-Token": "0123456789abcdef"})]).then(done);"##,
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(r, json!([[403, "csrf"], [403, "csrf"]]));

        // A form on another site posting to us: the SameSite=Strict cookie stays home.
        let form = format!(
            "<form id=f method=post enctype=text/plain action='{}/api/v1/campaigns'>\
             <input name='{{\"name\":\"Pirate\",\"currency\":\"EUR\",\"charity\":\"' value='\"}}'></form>\
             <script>document.getElementById('f').submit()</script>",
            app.base
        );
        let data_url = format!("data:text/html;charset=utf-8,{}", urlencode(&form));
        b.goto(&data_url).await;
        eventually("the cross-site post is answered", WAIT, || async {
            let body = b.js("return location.href.startsWith('http') ? document.body.textContent : null").await;
            body.as_str().map(str::to_owned)
        })
        .await
        .contains("\"error\":\"unauthorized\"")
        .then_some(())
        .expect("refused as unauthenticated");
    })
    .await;
    assert!(campaign_names(&app).await.is_empty(), "no campaign created by the forged requests");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn campaign_match_live_copy_url_then_donations_reach_dashboard_and_public_page() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        create_campaign(b, "Restos 2026", "5000", "https://dons.example.org/restos").await;
        wait_text(b, "#campaign-list a.current", "Restos 2026").await;
        wait_text(b, "#c-totals", &fr("Total 0,00_€ (dons 0,00_€ + abondement 0,00_€) — 0 don — objectif 5~000,00_€"))
            .await;
        // A new campaign's empty tables say so, across their columns.
        let empty = |table: &'static str| async move {
            on(
                b,
                table,
                "var t = document.querySelector(arguments[0]); var td = t.querySelector('tbody tr.empty td'); \
                 return td && [td.textContent, td.colSpan === t.tHead.rows[0].cells.length];",
            )
            .await
        };
        assert_eq!(empty("#matches").await, json!(["Aucun abondement pour l'instant.", true]));
        assert_eq!(empty("#milestones").await, json!(["Aucun palier pour l'instant.", true]));
        eventually("the integrations' empty row", WAIT, || async {
            (empty("#integrations").await
                == json!(["Aucune intégration\u{a0}: les dons viennent de l'API ou du formulaire d'un live.", true]))
            .then_some(())
        })
        .await;
        assert_eq!(empty("#subscribers").await, json!(["Aucun destinataire.", true]));
        assert_eq!(b.js("return document.getElementById('no-live').hidden").await, false);

        // A sponsor doubles donations up to 100 €.
        click(b, "details:has(#new-match) > summary").await;
        fill(b, "#new-match [name=sponsor]", "Fondation Tartempion").await;
        fill(b, "#new-match [name=cap]", "100").await;
        click(b, "#new-match button[type=submit]").await;
        wait_text(b, "#matches tbody tr td:nth-child(1)", "Fondation Tartempion").await;
        assert_eq!(text(b, "#matches tbody tr td:nth-child(3)").await, fr("100,00_€"));
        assert_eq!(text(b, "#matches tbody tr td:nth-child(6)").await, "actif");

        // A live with its schedule; its secrets are shown once.
        click(b, "details:has(#new-live) > summary").await;
        fill(b, "#new-live [name=host]", "Corentin").await;
        fill(b, "#new-live [name=title]", "Soirée jeux").await;
        set_local_time(b, "#new-live [name=scheduled_at]", "2030-12-01T20:00").await;
        fill(b, "#new-live [name=duration_minutes]", "180").await;
        fill(b, "#new-live [name=goal]", "1000").await;
        click(b, "#new-live button[type=submit]").await;
        wait_text(b, "#secret-host", "Corentin").await;
        wait_text(b, "#lives article [data-f=status]", "à venir").await;
        assert_eq!(b.js("return document.getElementById('no-live').hidden").await, true);
        assert_eq!(b.js("return document.querySelectorAll('#matches tbody tr').length").await, 1);
        assert_eq!(text(b, "#lives article [data-f=title]").await, "Soirée jeux");
        assert_eq!(text(b, "#lives article [data-f=when]").await, "1 déc. 2030, 20:00 ·", "kept apart from the total");
        let overlay_url = input_value(b, "#overlay-url").await;
        let key = input_value(b, "#live-key").await;
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();
        assert!(overlay_url.starts_with(&format!("{}/overlay/lives/{live_id}?token=ot_", app.base)), "{overlay_url}");
        assert!(key.starts_with("ck_"), "{key}");

        // Copy: the clipboard gets the URL.
        click(b, "#copy-overlay").await;
        wait_text(b, "#notice", "Copié\u{a0}!").await;
        // Paste it into a field of the page: what was copied is the URL shown.
        b.js("var t = document.createElement('textarea'); t.id = 'paste'; document.body.appendChild(t); t.focus();")
            .await;
        let paste = b.client.find(Locator::Css("#paste")).await.unwrap();
        paste.send_keys(&format!("{}v", &*fantoccini::key::Key::Control)).await.unwrap();
        assert_eq!(input_value(b, "#paste").await, overlay_url, "the clipboard holds the overlay URL");
        b.js("document.getElementById('paste').remove()").await;
        // The preview is a real overlay of this live.
        wait_preview_live(b).await;

        // A donation with the key the dashboard showed, as a streamer's tool would post it.
        let tricky = "Zoë, \"la\" fan";
        let (s, v) = app
            .post(
                &format!("/api/v1/lives/{live_id}/donations"),
                Some(&key),
                json!({"amount": 1050, "currency": "EUR", "donor": tricky, "message": "Allez, on lâche rien !"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        wait_rows(b, &[[tricky, "Allez, on lâche rien !", "10,50_€", "10,50_€", "Affiché"]]).await;
        wait_text(
            b,
            "#c-totals",
            &fr("Total 21,00_€ (dons 10,50_€ + abondement 10,50_€) — 1 don — objectif 5~000,00_€"),
        )
        .await;
        wait_text(b, "#lives article [data-f=totals]", &fr("21,00_€ — 1 don")).await;
        // A refusal of the API, said in French with the amount it names.
        click(b, "#matches tbody tr button[data-act=edit-match]").await;
        fill(b, "#edit-match [name=cap]", "5").await;
        click(b, "#edit-match button[type=submit]").await;
        wait_text(
            b,
            "#notice",
            &fr("Erreur\u{a0}: le plafond ne peut pas descendre sous ce que cet abondement a déjà versé (10,50_€)."),
        )
        .await;
        click(b, "#edit-match-box > summary").await;
        // This year's donations are dated without the year: "4 déc., 14:30".
        let date = text(b, "#donations tbody tr td:nth-child(1)").await.as_str().unwrap_or_default().to_owned();
        let year = time::OffsetDateTime::now_utc().year().to_string();
        assert!(!date.contains(&year) && date.contains(':') && date.len() < 20, "{date}");

        // A donation typed into the live's form (a cheque, say), anonymous.
        click(b, "#lives article details[data-box=donate] > summary").await;
        fill(b, "#lives article [data-form=donate] [name=amount]", "5,5").await;
        fill(b, "#lives article [data-form=donate] [name=donor]", "Mairie").await;
        click(b, "#lives article [data-form=donate] [name=anonymous]").await;
        click(b, "#lives article [data-form=donate] button[type=submit]").await;
        wait_rows(
            b,
            &[
                ["Mairieanonyme", "", "5,50_€", "5,50_€", "Affiché"],
                [tricky, "Allez, on lâche rien !", "10,50_€", "10,50_€", "Affiché"],
            ],
        )
        .await;

        // The public page shows the same, without the anonymous name.
        b.goto(&format!("{}/lives/{live_id}", app.base)).await;
        wait_text(b, "#total", &fr("32,00_€")).await;
        assert_eq!(text(b, "#breakdown").await, fr("2 dons — 16,00_€ dons + 16,00_€ abondés"));
        assert_eq!(text(b, "#recent li:nth-child(1) .donor").await, "Anonyme");
        assert_eq!(text(b, "#recent li:nth-child(2) .donor").await, tricky);
        assert_eq!(text(b, "#recent li:nth-child(2) .message").await, "Allez, on lâche rien !");
        assert_eq!(text(b, "#match-line").await, fr("Votre don est doublé par Fondation Tartempion_!"));
        let page = b.client.source().await.unwrap();
        assert!(!page.contains("Mairie") && !page.contains(&key), "no secret, no anonymous name");

        // The copied URL is a working overlay.
        b.goto(&overlay_url).await;
        b.wait_live().await;
    })
    .await;
}

/// An organiser typing in a live's form while gifts come keeps the field: the
/// page reloads with the gifts (at most once a second) without taking the
/// focus from it, so that no keystroke is lost.
#[tokio::test]
async fn typing_in_a_live_s_form_while_gifts_come_keeps_the_field() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "?lang=en").await;
        create_campaign(b, "Spring drive", "2000", "https://dons.example.org/spring").await;
        create_live(b, "Ana").await;
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();
        click(b, "#lives article details[data-box=edit] > summary").await;
        let title = "#lives article [data-form=edit] [name=title]";
        fill(b, title, "Mara").await;
        // A gift meanwhile: the card's totals follow (the page reloaded).
        let gift = json!({"amount": 500, "currency": "EUR", "donor": "Zoé"});
        let (s, d) = app.post(&format!("/api/v1/lives/{live_id}/donations"), Some(ADMIN), gift).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        wait_text(b, "#lives article [data-f=totals]", "€5.00 — 1 donation").await;
        // The field still has the focus: the rest of the word goes in it.
        b.client.active_element().await.expect("the focused element").send_keys("thon").await.expect("typed");
        assert_eq!(input_value(b, title).await, "Marathon");
    })
    .await;
}

#[tokio::test]
async fn edits_rotation_and_a_test_alert_that_totals_ignore() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "?lang=en").await;
        create_campaign(b, "Spring drive", "2000", "https://dons.example.org/spring").await;
        create_live(b, "Ana").await;
        let first_url = input_value(b, "#overlay-url").await;
        // The link for OBS gives an English overlay, as the dashboard is.
        assert!(first_url.ends_with("&lang=en"), "{first_url}");
        // Its builder opens in the dashboard's language.
        let builder = b.js("return document.getElementById('builder-link').href").await;
        assert!(builder.as_str().unwrap().ends_with("&lang=en"), "{builder}");
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();

        // Edit the campaign: the list and the heading follow.
        click(b, "details:has(#edit-campaign) > summary").await;
        assert_eq!(input_value(b, "#edit-campaign [name=goal]").await, "2000.00");
        fill(b, "#edit-campaign [name=name]", "Spring drive 2026").await;
        fill(b, "#edit-campaign [name=goal]", "3000").await;
        fill(b, "#edit-campaign [name=charity]", "").await;
        click(b, "#edit-campaign button[type=submit]").await;
        wait_text(b, "#campaign-list a.current", "Spring drive 2026").await;
        wait_text(b, "#c-name", "Spring drive 2026").await;
        wait_text(b, "#c-totals", "Total €0.00 (donations €0.00 + matched €0.00) — 0 donations — goal €3,000.00").await;
        let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live_id_campaign(&app, &live_id).await)).await;
        assert_eq!((c["goal"].clone(), c["charity"].clone()), (json!(300000), Value::Null), "{c}");

        // Edit the live: host, title, schedule, where it is watched.
        click(b, "#lives article details[data-box=edit] > summary").await;
        fill(b, "#lives article [data-form=edit] [name=host]", "Ana & Léo").await;
        fill(b, "#lives article [data-form=edit] [name=title]", "Marathon").await;
        set_local_time(b, "#lives article [data-form=edit] [name=scheduled_at]", "2020-01-01T10:00").await;
        fill(b, "#lives article [data-form=edit] [name=stream_url]", "https://www.twitch.tv/analeo").await;
        click(b, "#lives article [data-form=edit] button[type=submit]").await;
        wait_text(b, "#lives article [data-f=host]", "Ana & Léo").await;
        wait_text(b, "#lives article [data-f=status]", "ended").await;
        let (_, l) = app.get(&format!("/api/v1/lives/{live_id}")).await;
        assert_eq!((l["title"].as_str(), l["stream_url"].as_str()), (Some("Marathon"), Some("https://www.twitch.tv/analeo")));
        assert_eq!(
            input_value(b, "#lives article [data-form=edit] [name=stream_url]").await,
            "https://www.twitch.tv/analeo",
            "the form shows the live's link again"
        );

        // A milestone of the live, chosen by its (new) host's name.
        click(b, "details:has(#new-milestone) > summary").await;
        fill(b, "#new-milestone [name=label]", "Premier palier").await;
        fill(b, "#new-milestone [name=amount]", "1").await;
        choose(b, "#new-milestone [name=live_id]", "Ana & Léo — Marathon").await;
        click(b, "#new-milestone button[type=submit]").await;
        wait_text(b, "#milestones tbody tr td:nth-child(1)", "Premier palier").await;
        let row = b.js("return Array.from(document.querySelectorAll('#milestones tbody td')).map(function (t) { return t.textContent; })").await;
        // One not reached yet can be taken off (two clicks).
        assert_eq!(row, json!(["Premier palier", "€1.00", "Ana & Léo", "not yet", "Delete"]));
        let head = b.js("return Array.from(document.querySelectorAll('#milestones thead th')).map(function (t) { return t.textContent; })").await;
        assert_eq!(head, json!(["Label", "Amount", "Measured on", "Status", "Actions"]), "whose total the milestone watches");

        // New overlay link, in two clicks (the first only warns): the old one
        // stops working, the new one works.
        click(b, "#lives article [data-act=rotate-overlay]").await;
        wait_text(b, "#notice", "The old link stops working at once, in OBS too: click again to confirm.").await;
        wait_text(b, "#lives article [data-act=rotate-overlay]", "Confirm?").await;
        assert_eq!(input_value(b, "#overlay-url").await, first_url, "not replaced yet");
        click(b, "#lives article [data-act=rotate-overlay]").await;
        eventually("a new overlay URL", WAIT, || async {
            let u = input_value(b, "#overlay-url").await;
            (u != first_url && !u.is_empty()).then_some(())
        })
        .await;
        let new_url = input_value(b, "#overlay-url").await;
        let old = reqwest::get(&first_url).await.unwrap().status();
        let new = reqwest::get(&new_url).await.unwrap();
        let new = (new.status(), new.text().await.unwrap().contains("<html lang=\"en\">"));
        assert_eq!((old, new), (StatusCode::UNAUTHORIZED, (StatusCode::OK, true)), "{new_url}");
        assert_eq!(text(b, "#lives article [data-act=rotate-overlay]").await, "New overlay link");
        let first_key = input_value(b, "#live-key").await;
        assert!(first_key.starts_with("ck_"), "{first_key}");
        click(b, "#lives article [data-act=rotate-key]").await;
        wait_text(b, "#notice", "The old key is refused at once: click again to confirm.").await;
        click(b, "#lives article [data-act=rotate-key]").await;
        let new_key = eventually("a new key", WAIT, || async {
            let k = input_value(b, "#live-key").await;
            (k != first_key && k.starts_with("ck_")).then_some(k)
        })
        .await;
        let donations = format!("/api/v1/lives/{live_id}/donations");
        let (old, new) = (
            app.request(reqwest::Method::GET, &donations, Some(&first_key), &[], None).await.0,
            app.request(reqwest::Method::GET, &donations, Some(&new_key), &[], None).await.0,
        );
        assert_eq!((old, new), (StatusCode::UNAUTHORIZED, StatusCode::OK), "the old key refused, the new one taken");

        // The test alert shows in the preview overlay and is counted nowhere.
        wait_preview_live(b).await;
        click(b, "#lives article [data-act=test-alert]").await;
        wait_text(b, "#notice", "Test alert sent.").await;
        let alert = eventually("the test alert in the preview", WAIT, || async {
            let a = preview_alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!((&alert["donor"], &alert["amount"]), (&json!("Cagnotte"), &json!("€5.00")), "{alert}");
        assert_eq!(
            text(b, "#c-totals").await,
            "Total €0.00 (donations €0.00 + matched €0.00) — 0 donations — goal €3,000.00"
        );
        assert!(donation_rows(b).await.is_empty());
        let (_, l) = app.get(&format!("/api/v1/lives/{live_id}")).await;
        assert_eq!(l["totals"]["donations"], 0);
        let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live_id_campaign(&app, &live_id).await)).await;
        assert_eq!(c["milestones"][0]["reached"], false, "a test alert reaches no milestone: {c}");

        // A second campaign; switching back through the list shows the first one's data and forms.
        click(b, "#new-campaign-box > summary").await;
        fill(b, "#new-campaign [name=name]", "Autumn drive").await;
        click(b, "#new-campaign button[type=submit]").await;
        wait_text(b, "#c-name", "Autumn drive").await;
        wait_text(b, "#lives", "").await;
        assert_eq!(input_value(b, "#edit-campaign [name=name]").await, "Autumn drive");
        click(b, "#campaign-list a:not(.current)").await;
        wait_text(b, "#c-name", "Spring drive 2026").await;
        wait_text(b, "#lives article [data-f=host]", "Ana & Léo").await;
        assert_eq!(input_value(b, "#edit-campaign [name=name]").await, "Spring drive 2026");
        assert_eq!(input_value(b, "#edit-campaign [name=goal]").await, "3000.00");
        // In French, the same campaign open (not the newest), its amounts written as French does.
        click(b, "#lang-switch").await;
        wait_text(b, "#lang-switch", "English").await;
        wait_state(b, "app").await;
        wait_text(b, "#c-name", "Spring drive 2026").await;
        assert_eq!(input_value(b, "#edit-campaign [name=goal]").await, "3000,00");
    })
    .await;
}

async fn live_id_campaign(app: &TestApp, live_id: &str) -> String {
    let (_, l) = app.get(&format!("/api/v1/lives/{live_id}")).await;
    l["campaign_id"].as_str().unwrap().to_owned()
}

/// State of the alert box of the overlay framed in the dashboard's preview.
async fn preview_alert(b: &Browser) -> Value {
    b.js(r##"var f = document.getElementById('overlay-preview');
        var d = f && f.contentDocument;
        if (!d || !d.getElementById('alert')) return null;
        var a = d.getElementById('alert');
        if (a.hidden) return null;
        var t = function (id) { var n = d.getElementById(id); return n.hidden ? null : n.textContent; };
        return {donor: t('alert-donor'), amount: t('alert-amount'), message: t('alert-message')};"##)
        .await
}

async fn preview_ticker(b: &Browser) -> Value {
    b.js(r##"var d = document.getElementById('overlay-preview').contentDocument;
        var g = d.querySelector('#ticker-track .ticker-group');
        return g ? Array.from(g.querySelectorAll('.ticker-donor')).map(function (n) { return n.textContent; }) : [];"##)
        .await
}

/// The preview of the overlay link shown (a link replaced points it elsewhere).
async fn wait_preview_live(b: &Browser) {
    b.wait_frame_live("overlay-preview").await;
}

/// Points the dashboard's preview at the overlay URL shown, plus `extra` parameters; waits until it is live.
async fn open_preview(b: &Browser, extra: &str) {
    let overlay = input_value(b, "#overlay-url").await;
    let src = format!("{overlay}{extra}");
    b.client.execute("document.getElementById('overlay-preview').src = arguments[0];", vec![json!(src)]).await.unwrap();
    eventually("the preview overlay is live", WAIT, || async {
        let s = b
            .client
            .execute(
                "var f = document.getElementById('overlay-preview'); var d = f.contentDocument; \
                 return d && d.body && f.contentWindow.location.href === arguments[0] ? d.body.dataset.state : null;",
                vec![json!(src)],
            )
            .await
            .unwrap();
        (s == "live").then_some(())
    })
    .await;
}

/// Sets a live's moderation through its form (the first live card).
async fn moderate(b: &Browser, mode: &str, delay: &str, badge: &str) {
    if on(b, "#lives article details[data-box=moderation]", "return document.querySelector(arguments[0]).open").await
        == false
    {
        click(b, "#lives article details[data-box=moderation] > summary").await;
    }
    let select = b.client.find(Locator::Css("#lives article [data-form=moderation] [name=mode]")).await.unwrap();
    select.select_by_value(mode).await.expect("select mode");
    fill(b, "#lives article [data-form=moderation] [name=delay_seconds]", delay).await;
    click(b, "#lives article [data-form=moderation] button[type=submit]").await;
    wait_text(b, "#lives article [data-f=mode]", badge).await;
}

#[tokio::test]
async fn moderation_delay_and_manual_approval_reach_the_overlay_at_the_right_time() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        create_campaign(b, "Modérée", "1000", "https://dons.example.org/m").await;
        create_live(b, "Lou").await;
        let key = input_value(b, "#live-key").await;
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();
        open_preview(b, "&instance=moderation-test&duration=1").await;
        let donate = |donor: &'static str, message: &'static str| {
            let app = &app;
            let (key, live_id) = (key.clone(), live_id.clone());
            async move {
                let (s, v) = app
                    .post(
                        &format!("/api/v1/lives/{live_id}/donations"),
                        Some(&key),
                        json!({"amount": 700, "currency": "EUR", "donor": donor, "message": message}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
                assert_eq!(v["totals"]["raised"].as_i64().unwrap() % 700, 0, "totals never wait: {v}");
                v
            }
        };

        // Delay: the text (and so the alert) goes on air 3 s after the donation.
        moderate(b, "delay", "3", "délai").await;
        let posted = Instant::now();
        let v = donate("Léa", "Coucou le chat").await;
        assert_eq!(v["donation"]["moderation"], "pending");
        wait_rows(b, &[["Léa", "Coucou le chat", "7,00_€", "", "En attente"]]).await;
        wait_text(b, "#lives article [data-f=pending] li strong", "Léa").await;
        let shown = eventually("the delayed alert", WAIT, || async {
            let a = preview_alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        let after = posted.elapsed();
        assert!(after >= Duration::from_millis(2900), "shown {after:?} after the donation: before the delay");
        assert!(after < Duration::from_secs(8), "shown {after:?} after the donation");
        assert_eq!(shown, json!({"donor": "Léa", "amount": fr("7,00_€"), "message": "Coucou le chat"}));
        wait_rows(b, &[["Léa", "Coucou le chat", "7,00_€", "", "Affiché"]]).await;

        // Manual: nothing on air until "Valider" is clicked on the dashboard.
        moderate(b, "manual", "3", "validation").await;
        donate("Max", "Bisous").await;
        wait_text(b, "#lives article [data-f=pending] li strong", "Max").await;
        // Counted on the moderation box's line, closed or not.
        wait_text(b, "#lives article [data-f=mode]", "validation · 1 en attente").await;
        let held_since = Instant::now();
        while held_since.elapsed() < Duration::from_secs(4) {
            let a = preview_alert(b).await;
            assert!(a.is_null() || a["donor"] == "Léa", "a pending donation went on air: {a}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(!preview_ticker(b).await.as_array().unwrap().contains(&json!("Max")));
        let clicked = Instant::now();
        click(b, "#lives article [data-f=pending] li button[data-act=approve]").await;
        let shown = eventually("the approved alert", WAIT, || async {
            let a = preview_alert(b).await;
            (a["donor"] == "Max").then_some(a)
        })
        .await;
        assert!(clicked.elapsed() < Duration::from_secs(3), "approval took {:?}", clicked.elapsed());
        assert_eq!(shown["message"], "Bisous");
        wait_rows(b, &[["Max", "Bisous", "7,00_€", "", "Affiché"], ["Léa", "Coucou le chat", "7,00_€", "", "Affiché"]])
            .await;
        wait_text(b, "#lives article [data-f=pending] li", "Aucun.").await;
        wait_text(b, "#lives article [data-f=mode]", "validation").await;
    })
    .await;
}

#[tokio::test]
async fn hiding_after_the_fact_updates_open_overlays_and_refund_updates_totals() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        create_campaign(b, "Après coup", "1000", "https://dons.example.org/a").await;
        create_live(b, "Sam").await;
        let key = input_value(b, "#live-key").await;
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();
        // A long alert, so it is still on screen when the message is hidden.
        open_preview(b, "&instance=hide-test&duration=30").await;
        let (s, v) = app
            .post(
                &format!("/api/v1/lives/{live_id}/donations"),
                Some(&key),
                json!({"amount": 2000, "currency": "EUR", "donor": "Gros Malin", "message": "Un message à cacher"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        eventually("the alert with its message", WAIT, || async {
            (preview_alert(b).await["message"] == "Un message à cacher").then_some(())
        })
        .await;
        wait_rows(b, &[["Gros Malin", "Un message à cacher", "20,00_€", "", "Affiché"]]).await;

        click(b, "#donations tbody tr button[data-act=hide-message]").await;
        let a = eventually("the message leaves the open overlay", WAIT, || async {
            let a = preview_alert(b).await;
            (!a.is_null() && a["message"].is_null()).then_some(a)
        })
        .await;
        assert_eq!(a["donor"], "Gros Malin", "still on screen, without its message: {a}");
        wait_rows(b, &[["Gros Malin", "Un message à cachermasqué", "20,00_€", "", "Masqué"]]).await;

        click(b, "#donations tbody tr button[data-act=hide-donor]").await;
        eventually("the name leaves the alert and the ticker", WAIT, || async {
            let a = preview_alert(b).await;
            let ticker = preview_ticker(b).await;
            (a["donor"] == "Anonyme" && ticker == json!(["Anonyme"])).then_some(())
        })
        .await;
        // Its alert again, in one click: an `alert_replay` frame, the name hidden.
        click(b, "#donations tbody tr button[data-act=replay]").await;
        wait_text(b, "#notice", "Alerte rejouée sur les overlays du live.").await;
        let (_, events) = app
            .request(reqwest::Method::GET, &format!("/api/v1/lives/{live_id}/events?after=0"), Some(&key), &[], None)
            .await;
        let last = events["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["type"].as_str(), last["donation"]["donor"].clone()),
            (Some("alert_replay"), Value::Null),
            "{last}"
        );
        // Hidden by mistake: the name back in one click, on the open overlay's ticker too.
        click(b, "#donations tbody tr button[data-act=show-donor]").await;
        eventually("the name back on the ticker", WAIT, || async {
            (preview_ticker(b).await == json!(["Gros Malin"])).then_some(())
        })
        .await;
        wait_rows(b, &[["Gros Malin", "Un message à cachermasqué", "20,00_€", "", "Masqué"]]).await;

        // On a phone: the row is a block, every button in reach without scrolling sideways.
        b.client.set_window_size(390, 844).await.expect("phone size");
        let reach = r##"var wrap = document.querySelector("#donations").parentElement;
            var buttons = Array.from(document.querySelectorAll("#donations tbody tr button"));
            return [wrap.scrollWidth <= wrap.clientWidth, buttons.length > 4,
                    buttons.every(function (b) { var r = b.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; })];"##;
        eventually("every button in reach on a phone", WAIT, || async {
            (b.js(reach).await == json!([true, true, true])).then_some(())
        })
        .await;
        b.screenshot_element("#donations", "dashboard-donations-phone").await;
        b.client.set_window_size(crate::browser::WIDTH, crate::browser::HEIGHT).await.expect("desktop size");
        // Refund: two clicks; totals drop everywhere.
        wait_text(b, "#c-totals", &fr("Total 20,00_€ (dons 20,00_€ + abondement 0,00_€) — 1 don — objectif 1~000,00_€"))
            .await;
        // In part first: 5 € of the 20 € given back.
        click(b, "#donations tbody tr button[data-act=part-refund]").await;
        fill(b, "#part-refund [name=refunded_amount]", "5").await;
        click(b, "#part-refund button[type=submit]").await;
        wait_text(b, "#c-totals", &fr("Total 15,00_€ (dons 15,00_€ + abondement 0,00_€) — 1 don — objectif 1~000,00_€"))
            .await;
        wait_text(b, "#donations tbody tr td.amount", &fr("20,00_€remboursé\u{a0}: 5,00_€")).await;
        let (_, l) = app.get(&format!("/api/v1/lives/{live_id}")).await;
        assert_eq!((l["totals"]["raised"].as_i64(), l["totals"]["donations"].as_i64()), (Some(1500), Some(1)));
        // Asked again, the form holds what was given back as French writes it; a
        // smaller total is said to change nothing (money given back is not taken back).
        click(b, "#donations tbody tr button[data-act=part-refund]").await;
        assert_eq!(input_value(b, "#part-refund [name=refunded_amount]").await, "5,00");
        fill(b, "#part-refund [name=refunded_amount]", "3,50").await;
        click(b, "#part-refund button[type=submit]").await;
        wait_text(
            b,
            "#notice",
            &fr("Erreur_: ce don a déjà 5,00_€ remboursés_: un remboursement ne se réduit pas, rien n'a changé."),
        )
        .await;
        let (_, l) = app.get(&format!("/api/v1/lives/{live_id}")).await;
        assert_eq!(l["totals"]["raised"].as_i64(), Some(1500));
        click(b, "#donations tbody tr button[data-act=refund]").await;
        wait_text(b, "#donations tbody tr button[data-act=refund]", "Confirmer\u{a0}?").await;
        click(b, "#donations tbody tr button[data-act=refund]").await;
        // Its state, and under it who hid its text: the organisers.
        wait_text(b, "#donations tbody tr td.status", "Remboursépar l'organisation").await;
        wait_text(b, "#c-totals", &fr("Total 0,00_€ (dons 0,00_€ + abondement 0,00_€) — 0 don — objectif 1~000,00_€"))
            .await;
        let (_, l) = app.get(&format!("/api/v1/lives/{live_id}")).await;
        assert_eq!(l["totals"]["raised"], 0);
    })
    .await;
}

/// Margaux Petit's 12 € and her message, which the erasure tests erase: its id.
async fn margaux(app: &TestApp, live: &TestLive) -> String {
    let (_, d) = app
        .donate(live, json!({"amount": 1200, "currency": "EUR", "donor": "Margaux Petit", "message": "Bises à Léon"}))
        .await;
    d["donation"]["id"].as_str().unwrap().to_owned()
}

/// A donor asks for their data to be erased: two clicks on their row (the
/// first says what it does), then the row keeps the amount without the name.
#[tokio::test]
async fn an_organiser_erases_a_donors_name_and_message_in_two_clicks() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let id = margaux(&app, &live).await;
    app.donate(&live, json!({"amount": 300, "currency": "EUR", "anonymous": true})).await;
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_rows(b, &[["—anonyme", "", "3,00_€", "", "Affiché"], ["Margaux Petit", "Bises à Léon", "12,00_€", "", "Affiché"]])
            .await;
        // Nothing to erase on a gift without a name or a message.
        assert_eq!(b.js("return document.querySelectorAll('#donations button[data-act=erase]').length").await, 1);
        let button = format!("#donations tbody tr[data-id='{id}'] button[data-act=erase]");
        click(b, &button).await;
        wait_text(b, "#notice", "Le nom et le message de ce don seront effacés pour de bon, partout (journal, exports, overlays), comme le donateur peut le demander (RGPD)\u{a0}; le montant reste compté. Cliquez de nouveau pour confirmer.").await;
        let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
        assert_eq!(l["top_donors"][0]["donor"], "Margaux Petit", "one click erases nothing");
        click(b, &button).await;
        wait_text(b, "#notice", "Nom et message effacés. Pensez aux exports et sauvegardes déjà faits.").await;
        wait_rows(b, &[["—anonyme", "", "3,00_€", "", "Affiché"], ["—effacé à sa demande", "", "12,00_€", "", "Affiché"]])
            .await;
        assert_eq!(b.js("return document.querySelectorAll('#donations button[data-act=erase]').length").await, 0);
        wait_text(b, "#c-totals", &fr("Total 15,00_€ (dons 15,00_€ + abondement 0,00_€) — 2 dons — objectif 5~000,00_€"))
            .await;
        let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
        assert_eq!(l["top_donors"], json!([]));
        assert_eq!(l["totals"]["raised"], 1500);
    })
    .await;
}

/// A donor asks for all their gifts to be forgotten: from any of their rows,
/// two clicks erase every gift given under that name, whatever its case.
#[tokio::test]
async fn an_organiser_erases_every_gift_of_a_donor_in_two_clicks() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let id = margaux(&app, &live).await;
    app.donate(&live, json!({"amount": 500, "currency": "EUR", "donor": "Léa"})).await;
    app.donate(&live, json!({"amount": 300, "currency": "EUR", "donor": "margaux PETIT"})).await;
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_rows(
            b,
            &[
                ["margaux PETIT", "", "3,00_€", "", "Affiché"],
                ["Léa", "", "5,00_€", "", "Affiché"],
                ["Margaux Petit", "Bises à Léon", "12,00_€", "", "Affiché"],
            ],
        )
        .await;
        let button = format!("#donations tbody tr[data-id='{id}'] button[data-act=erase-donor]");
        b.screenshot_element("#donations", "dashboard-erase-donor").await;
        click(b, &button).await;
        wait_text(b, "#notice", "Le nom et le message de chaque don au nom de «\u{a0}Margaux Petit\u{a0}» (sans égard aux majuscules), dans toutes les collectes, seront effacés pour de bon\u{a0}; les montants restent comptés. Cliquez de nouveau pour confirmer.").await;
        let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
        assert_eq!(l["top_donors"][0]["donor"], "Margaux Petit", "one click erases nothing");
        click(b, &button).await;
        wait_text(b, "#notice", "2 dons au nom de «\u{a0}Margaux Petit\u{a0}» effacés. Pensez aux exports et sauvegardes déjà faits.").await;
        wait_rows(
            b,
            &[
                ["—effacé à sa demande", "", "3,00_€", "", "Affiché"],
                ["Léa", "", "5,00_€", "", "Affiché"],
                ["—effacé à sa demande", "", "12,00_€", "", "Affiché"],
            ],
        )
        .await;
        assert_eq!(b.js("return document.querySelectorAll('#donations button[data-act=erase-donor]').length").await, 1);
        let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
        assert_eq!((&l["top_donors"][0]["donor"], &l["totals"]["raised"]), (&json!("Léa"), &json!(2000)));
    })
    .await;
}

/// On how many lines the newest donation's host and donor are drawn.
const COUNT_LINES: &str = r##"["td.host", "td.donor", "td.when"].map(function (css) {
    var r = document.createRange();
    r.selectNodeContents(document.querySelector("#donations tbody tr " + css).firstChild);
    return r.getClientRects().length;
})"##;

#[tokio::test]
async fn long_names_and_messages_wrap_and_leave_the_actions_in_sight() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        create_campaign(b, "Longs", "1000", "https://dons.example.org/longs").await;
        create_live(b, "Un_pseudo_de_streamer_sans_la_moindre_espace_2026").await;
        let key = input_value(b, "#live-key").await;
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();
        let donor = "X".repeat(64);
        let message_long = format!("https://dons.example.org/{}", "y".repeat(400));
        let (s, v) = app
            .post(
                &format!("/api/v1/lives/{live_id}/donations"),
                Some(&key),
                json!({"amount": 2000, "currency": "EUR", "donor": donor, "message": message_long}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        wait_rows(b, &[[donor.as_str(), message_long.as_str(), "20,00_€", "", "Affiché"]]).await;
        let v = b
            .js(r##"var wrap = document.querySelector("#donations").closest(".table-wrap");
                    var refund = document.querySelector("#donations tbody tr button[data-act=refund]");
                    return [wrap.scrollWidth <= wrap.clientWidth,
                            refund.getBoundingClientRect().right <= wrap.getBoundingClientRect().right]"##)
            .await;
        assert_eq!(v, json!([true, true]), "the table fits its card, the refund button in sight");

        // Beside them, an ordinary host and donor name stay whole, on one line.
        let campaign_id = app.get(&format!("/api/v1/lives/{live_id}")).await.1["campaign_id"].clone();
        let (s, other) = app
            .post(
                &format!("/api/v1/campaigns/{}/lives", campaign_id.as_str().unwrap()),
                Some(ADMIN),
                json!({"host": "Corentin"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{other}");
        let message = "Un petit don pour les Restos, avec tout mon soutien depuis Lyon, bravo à toute l'équipe !";
        let (s, v) = app
            .post(
                &format!("/api/v1/lives/{}/donations", other["id"].as_str().unwrap()),
                Some(ADMIN),
                json!({"amount": 1050, "currency": "EUR", "donor": "Maxime", "message": message}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        wait_rows(
            b,
            &[
                ["Maxime", message, "10,50_€", "", "Affiché"],
                [donor.as_str(), message_long.as_str(), "20,00_€", "", "Affiché"],
            ],
        )
        .await;
        // The date on two lines at most ("4 déc.," then "14:30"), not a word a line.
        let lines = b.js(&format!("return {};", COUNT_LINES)).await;
        assert!(
            lines[0] == 1 && lines[1] == 1 && lines[2].as_u64() <= Some(2),
            "Corentin and Maxime on one line each: {lines}"
        );
        // On a phone too, where the table scrolls sideways rather than cut names.
        b.client.set_window_size(500, 900).await.expect("a phone's width");
        let lines = b.js(&format!("return {};", COUNT_LINES)).await;
        assert!(lines[0] == 1 && lines[1] == 1 && lines[2].as_u64() <= Some(2), "at 500 px: {lines}");
    })
    .await;
}

#[tokio::test]
async fn word_list_edited_in_the_dashboard_masks_text_on_the_overlay() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        create_campaign(b, "Mots", "1000", "https://dons.example.org/mots").await;
        create_live(b, "Léo").await;
        let key = input_value(b, "#live-key").await;
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();
        open_preview(b, "&instance=words-test&duration=5").await;

        click(b, "#lives article details[data-box=moderation] > summary").await;
        let words = input_value(b, "#lives article [data-form=moderation] [name=words]").await;
        assert!(words.lines().any(|w| w == "connard") && words.lines().any(|w| w == "fuck"), "defaults: {words}");
        fill(b, "#lives article [data-form=moderation] [name=words]", "brocoli\nnavet").await;
        let links = "return document.querySelector(arguments[0]).checked";
        assert_eq!(on(b, "#lives article [data-form=moderation] [name=links]", links).await, true, "links masked by default");
        click(b, "#lives article [data-form=moderation] button[type=submit]").await;
        wait_text(b, "#notice", "Enregistré.").await;
        let (s, m) = app
            .request(reqwest::Method::GET, &format!("/api/v1/lives/{live_id}/moderation"), Some(ADMIN), &[], None)
            .await;
        assert_eq!(s, StatusCode::OK, "{m}");
        assert_eq!((m["mode"].clone(), m["words"].clone(), m["links"].clone()), (json!("off"), json!(["brocoli", "navet"]), json!(true)));

        let (s, v) = app
            .post(
                &format!("/api/v1/lives/{live_id}/donations"),
                Some(&key),
                json!({"amount": 300, "currency": "EUR", "donor": "Navet Man", "message": "Vive le BROCOLÎ ! navet.fr"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let a = eventually("the masked alert", WAIT, || async {
            let a = preview_alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!(a, json!({"donor": "***** Man", "amount": fr("3,00_€"), "message": "Vive le ******* ! ********"}));
        // The organisers still read what was written.
        wait_rows(b, &[["Navet Man", "Vive le BROCOLÎ ! navet.fr", "3,00_€", "", "Affiché"]]).await;
        // Links allowed on this live: unticked and saved.
        click(b, "#lives article [data-form=moderation] [name=links]").await;
        click(b, "#lives article [data-form=moderation] button[type=submit]").await;
        eventually("links allowed", WAIT, || async {
            let (_, m) =
                app.request(reqwest::Method::GET, &format!("/api/v1/lives/{live_id}/moderation"), Some(ADMIN), &[], None).await;
            (m["links"] == json!(false)).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_https() {
    let app = spawn_app_with(Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.public_url = Some("https://dons.example.org".into())
    })
    .await;
    let r =
        app.client.post(format!("{}/api/v1/session", app.base)).json(&json!({"token": ADMIN})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
        assert!(set_cookie.split("; ").any(|a| a == attr), "{attr} missing: {set_cookie}");
    }
}

/// The campaign's overlay link is shown at creation and after a rotation (the old
/// one stops working), and a match is edited from its row: the new terms apply to
/// the next donations, a cap below what was given is refused.
#[tokio::test]
async fn campaign_overlay_link_and_editing_a_match() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "?lang=en").await;
        create_campaign(b, "Spring drive", "2000", "https://dons.example.org/spring").await;
        wait_text(b, "#secret-host", "Spring drive").await;
        let first = input_value(b, "#overlay-url").await;
        let cid = b.js("return decodeURIComponent(location.hash.slice(3))").await.as_str().unwrap().to_owned();
        assert!(first.starts_with(&format!("{}/overlay/campaigns/{cid}?token=ot_", app.base)), "{first}");
        assert_eq!(app.client.get(&first).send().await.unwrap().status(), StatusCode::OK);
        // The preview frame shows the campaign's overlay.
        eventually("the preview follows the campaign", WAIT, || async {
            let v = b
                .js("var f = document.getElementById('overlay-preview'); var d = f.contentDocument; \
                     return d && d.body ? d.body.dataset.scope + ':' + d.body.dataset.state : null")
                .await;
            (v == "campaign:live").then_some(())
        })
        .await;

        click(b, "details:has(#new-match) > summary").await;
        fill(b, "#new-match [name=sponsor]", "Acme").await;
        fill(b, "#new-match [name=cap]", "100").await;
        click(b, "#new-match button[type=submit]").await;
        wait_text(b, "#matches tbody tr td:nth-child(1)", "Acme").await;
        create_live(b, "Ana").await;
        let key = input_value(b, "#live-key").await;
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let donate = |amount: i64| {
            let (app, key, path) = (&app, key.clone(), format!("/api/v1/lives/{}/donations", live_id.as_str().unwrap()));
            async move {
                let (s, v) = app.post(&path, Some(&key), json!({"amount": amount, "currency": "EUR"})).await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
                v["donation"]["matched"].as_i64().unwrap()
            }
        };
        assert_eq!(donate(8000).await, 8000);
        wait_text(b, "#matches tbody tr td:nth-child(4)", "€80.00").await;

        click(b, "#matches tbody tr button[data-act=edit-match]").await;
        wait_text(b, "#edit-match-name", "Acme").await;
        assert_eq!(input_value(b, "#edit-match [name=cap]").await, "100.00");
        assert_eq!(input_value(b, "#edit-match [name=ratio_den]").await, "1");
        fill(b, "#edit-match [name=cap]", "50").await;
        click(b, "#edit-match button[type=submit]").await;
        wait_text(b, "#notice", "Error: the cap cannot go below what this match already gave (€80.00).").await;
        fill(b, "#edit-match [name=sponsor]", "Acme SA").await;
        fill(b, "#edit-match [name=cap]", "300").await;
        fill(b, "#edit-match [name=ratio_den]", "2").await;
        fill(b, "#edit-match [name=max_per_donation]", "40").await;
        click(b, "#edit-match button[type=submit]").await;
        wait_text(b, "#notice", "Saved.").await;
        wait_text(b, "#matches tbody tr td:nth-child(1)", "Acme SA").await;
        let row = b
            .js("return Array.from(document.querySelectorAll('#matches tbody tr td')).slice(0, 6).map(td => td.textContent)")
            .await;
        assert_eq!(row, json!(["Acme SA", "1 : 2", "€300.00", "€80.00", "€220.00", "active"]));
        // Half of 100,00 € is 50,00 €, above the new 40,00 € per donation.
        assert_eq!(donate(10000).await, 4000);
        wait_text(b, "#matches tbody tr td:nth-child(5)", "€180.00").await;

        // A new campaign overlay link (two clicks): shown once, the old one refused.
        click(b, "button[data-act=rotate-campaign]").await;
        click(b, "button[data-act=rotate-campaign]").await;
        let second = eventually("a new link", WAIT, || async {
            let v = input_value(b, "#overlay-url").await;
            (v != first && v.contains("/overlay/campaigns/")).then_some(v)
        })
        .await;
        assert!(second.starts_with(&format!("{}/overlay/campaigns/{cid}?token=ot_", app.base)), "{second}");
        assert_eq!(app.client.get(&first).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.client.get(&second).send().await.unwrap().status(), StatusCode::OK);
    })
    .await;
}

/// A Discord channel added from the dashboard: no secret asked, a language
/// instead, and the next donation posted there as a line of text.
#[tokio::test]
async fn a_discord_channel_gets_each_donation_as_a_line() {
    let posted: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let keep = Arc::clone(&posted);
    let router = axum::Router::new().route(
        "/api/webhooks/1/abc",
        axum::routing::post(move |body: String| {
            keep.lock().unwrap().push(body);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/api/webhooks/1/abc", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let app = spawn_app().await;
    let live = app.setup().await;
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_text(b, "#lives article [data-f=host]", "Corentin").await;
        click(b, "details:has(#new-subscriber) > summary").await;
        let shown = "return ['[data-signed]', '[data-chat]'].map(function (s) { \
                     return !document.querySelector('#new-subscriber ' + s).hidden; })";
        assert_eq!(b.js(shown).await, json!([true, false]));
        b.js("var s = document.querySelector('#new-subscriber [name=format]'); s.value = 'discord'; \
              s.dispatchEvent(new Event('change')); return null")
            .await;
        assert_eq!(b.js(shown).await, json!([false, true]));
        fill(b, "#new-subscriber [name=url]", &hook).await;
        click(b, "#new-subscriber button[type=submit]").await;
        wait_text(b, "#subscribers tbody tr td.url", &format!("{hook} (Discord)")).await;
        // Tested before the live: the channel gets a line, the page says it arrived.
        click(b, "#subscribers button[data-act=test-subscriber]").await;
        wait_text(b, "#notice", "Essai reçu\u{a0}: le destinataire a répondu 204.").await;
        app.donate(&live, json!({"amount": 1200, "currency": "EUR", "donor": "Léa", "message": "Allez !"})).await;
        wait_text(b, "#subscribers tbody tr td.delivered", "1").await;
        wait_text(b, "#subscribers tbody tr td.result", "204").await;
    })
    .await;
    let posted: Vec<Value> = posted.lock().unwrap().iter().map(|b| serde_json::from_str(b).unwrap()).collect();
    let lines: Vec<&str> = posted.iter().map(|b| b["content"].as_str().unwrap()).collect();
    assert_eq!(
        lines,
        [
            fr("🧪 Ce salon est relié à Cagnotte_: les dons de «_Restos_» y seront annoncés."),
            fr("💛 Léa a donné 12,00_€ — «_Allez !_». Total du live_: 12,00_€."),
        ]
    );
}

/// Payments in and events out from the dashboard: an integration created on the
/// page takes a signed webhook; a receiver added on the page gets the next
/// donation and the table shows it delivered; a deleted integration takes nothing.
#[tokio::test]
async fn integrations_and_outgoing_webhooks_from_the_dashboard() {
    use hmac::{Hmac, Mac};
    let received = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    // The second receiver keeps each delivery's signature header and body.
    let signed: Arc<std::sync::Mutex<Vec<(String, String)>>> = Arc::default();
    let keep = Arc::clone(&signed);
    let router = axum::Router::new()
        .route(
            "/bot",
            axum::routing::post(move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { "ok" }
            }),
        )
        .route(
            "/bot2",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let sig = headers.get("cagnotte-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                keep.lock().unwrap().push((sig, body));
                async { "ok" }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver = format!("http://{}/bot", listener.local_addr().unwrap());
    let receiver2 = format!("{receiver}2");
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "?lang=en").await;
        create_campaign(b, "Spring drive", "2000", "https://dons.example.org/spring").await;
        create_live(b, "Ana").await;
        let key = input_value(b, "#live-key").await;

        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();
        click(b, "details:has(#new-integration) > summary").await;
        let pick = format!(
            "var s = document.querySelector('#new-integration [name=live_id]'); s.value = '{live_id}'; return s.value"
        );
        eventually("the live is offered", WAIT, || async { (b.js(&pick).await == live_id.as_str()).then_some(()) })
            .await;
        b.js("document.querySelector('#new-integration [name=provider]').value = 'generic'").await;
        let secret = "generic-secret-0123456789";
        fill(b, "#new-integration [name=secret]", secret).await;
        click(b, "#new-integration button[type=submit]").await;
        wait_text(b, "#integrations tbody tr td:nth-child(2)", "Generic (signed)").await;
        assert_eq!(text(b, "#integrations tbody tr td:nth-child(1)").await, "Ana");
        let url = input_value(b, "#integrations tbody tr td.url input").await;
        assert!(url.starts_with(&format!("{}/hooks/", app.base)), "{url}");
        let post = |event: &'static str| {
            let (client, url) = (app.client.clone(), url.clone());
            async move {
                let body = json!({"event_id": event, "amount": 2500, "currency": "EUR", "donor": "Léa"}).to_string();
                let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
                mac.update(format!("{t}.{body}").as_bytes());
                let sig = format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()));
                client.post(&url).header("cagnotte-signature", sig).body(body).send().await.unwrap().status()
            }
        };
        assert_eq!(post("order-1").await, StatusCode::OK);
        wait_text(b, "#c-totals", "Total €25.00 (donations €25.00 + matched €0.00) — 1 donation — goal €2,000.00")
            .await;

        click(b, "details:has(#new-subscriber) > summary").await;
        fill(b, "#new-subscriber [name=url]", &receiver).await;
        fill(b, "#new-subscriber [name=secret]", "subscriber-secret-0123456789").await;
        click(b, "#new-subscriber button[type=submit]").await;
        wait_text(b, "#subscribers tbody tr td.url", &receiver).await;
        assert_eq!(text(b, "#subscribers tbody tr td.state").await, "waiting");
        let path = format!("/api/v1/lives/{live_id}/donations");
        let (s, _) = app.post(&path, Some(&key), json!({"amount": 1000, "currency": "EUR"})).await;
        assert_eq!(s, StatusCode::CREATED);
        wait_text(b, "#subscribers tbody tr td.delivered", "1").await;
        assert_eq!(text(b, "#subscribers tbody tr td.state").await, "up to date");
        assert_eq!(text(b, "#subscribers tbody tr td.result").await, "200");
        assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), 1);

        // Editing the receiver: empty fields change nothing; a new URL and secret
        // take the next delivery.
        click(b, "details:has(#edit-subscriber) > summary").await;
        click(b, "#edit-subscriber button[type=submit]").await;
        wait_text(b, "#notice", "Nothing to change: give a URL or a secret.").await;
        fill(b, "#edit-subscriber [name=url]", &receiver2).await;
        let new_secret = "another-secret-0123456789";
        fill(b, "#edit-subscriber [name=secret]", new_secret).await;
        click(b, "#edit-subscriber button[type=submit]").await;
        wait_text(b, "#notice", "Saved.").await;
        wait_text(b, "#subscribers tbody tr td.url", &receiver2).await;
        assert_eq!(input_value(b, "#edit-subscriber [name=url]").await, "");
        let (s, _) = app.post(&path, Some(&key), json!({"amount": 500, "currency": "EUR"})).await;
        assert_eq!(s, StatusCode::CREATED);
        wait_text(b, "#subscribers tbody tr td.delivered", "2").await;
        assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), 1, "the old URL gets nothing more");
        let (sig, body) = signed.lock().unwrap().first().cloned().expect("the new URL got the delivery");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["data"]["donation"]["amount"], json!(500), "{body}");
        let (t, v1) = sig.split_once(",v1=").unwrap();
        let t = t.trim_start_matches("t=");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(new_secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{body}").as_bytes());
        assert_eq!(v1, hex::encode(mac.finalize().into_bytes()), "signed with the new secret");

        // Deleting takes two clicks; then the URL adds nothing.
        click(b, "#integrations button[data-act=remove-integration]").await;
        wait_text(b, "#integrations button[data-act=remove-integration]", "Confirm?").await;
        // The table is redrawn every few seconds; a button waiting for its
        // confirming click keeps waiting in the new table.
        b.js("document.querySelector('#integrations tbody tr').dataset.drawn = 'before'; return null").await;
        eventually("the integrations table is redrawn", WAIT, || async {
            (b.js("return document.querySelector('#integrations tbody tr').dataset.drawn === undefined").await == true)
                .then_some(())
        })
        .await;
        assert_eq!(text(b, "#integrations button[data-act=remove-integration]").await, "Confirm?");
        click(b, "#integrations button[data-act=remove-integration]").await;
        eventually("the integration is gone", WAIT, || async {
            (b.js("return document.querySelectorAll('#integrations tbody tr[data-id]').length").await == 0)
                .then_some(())
        })
        .await;
        assert_eq!(post("order-2").await, StatusCode::NOT_FOUND);
        click(b, "#subscribers button[data-act=remove-subscriber]").await;
        click(b, "#subscribers button[data-act=remove-subscriber]").await;
        eventually("the receiver is gone", WAIT, || async {
            (b.js("return document.querySelectorAll('#subscribers tbody tr[data-id]').length").await == 0).then_some(())
        })
        .await;
        let (_, v) = app.request(reqwest::Method::GET, "/api/v1/webhooks", Some(ADMIN), &[], None).await;
        assert_eq!(v["webhooks"], json!([]));

        // A campaign-wide integration (the first choice of the form).
        b.js("document.querySelector('#new-integration [name=live_id]').value = ''").await;
        fill(b, "#new-integration [name=secret]", secret).await;
        click(b, "#new-integration button[type=submit]").await;
        wait_text(b, "#integrations tbody tr td:nth-child(1)", "Whole campaign").await;
        let cid = b.js("return decodeURIComponent(location.hash.slice(3))").await.as_str().unwrap().to_owned();
        let (_, v) = app
            .request(reqwest::Method::GET, &format!("/api/v1/campaigns/{cid}/integrations"), Some(ADMIN), &[], None)
            .await;
        assert_eq!(
            v["integrations"][0]["url"].as_str(),
            Some(input_value(b, "#integrations tbody tr td.url input").await.as_str())
        );
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_shows_who_follows_each_stream() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "?lang=en").await;
        create_campaign(b, "Winter drive", "1000", "https://dons.example.org/winter").await;
        create_live(b, "Maëlle").await;
        let overlay_url = input_value(b, "#overlay-url").await;
        let live_id = on(b, "#lives article", "return document.querySelector(arguments[0]).dataset.live").await;
        let live_id = live_id.as_str().unwrap().to_owned();
        // The dashboard's own preview of the overlay, and its own socket, are not counted.
        let nobody = "No overlay connected · 0 viewers on the public page";
        wait_text(b, "#lives article [data-f=connected]", nobody).await;
        wait_text(b, "#c-connected", nobody).await;

        // OBS opens the overlay; two viewers open the public page's stream.
        let token = overlay_url.split("token=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let ws = |path: String| tokio_tungstenite::connect_async(format!("ws://{}{path}", app.addr));
        let (obs, _) = ws(format!("/ws/lives/{live_id}?token={token}")).await.expect("overlay stream");
        let (v1, _) = ws(format!("/ws/public/lives/{live_id}")).await.expect("public stream");
        let (v2, _) = ws(format!("/ws/public/lives/{live_id}")).await.expect("public stream");
        wait_text(b, "#lives article [data-f=connected]", "1 overlay connected · 2 viewers on the public page").await;
        wait_text(b, "#c-connected", nobody).await;
        b.screenshot_element("#lives article", "dashboard-live-connected").await;

        // OBS closes; one viewer leaves.
        drop(obs);
        drop(v1);
        wait_text(b, "#lives article [data-f=connected]", "No overlay connected · 1 viewer on the public page").await;
        drop(v2);
    })
    .await;
}

#[tokio::test]
async fn a_campaign_of_many_donations_shows_the_newest_and_finds_any_of_them() {
    let app = spawn_app().await;
    let live = app.setup().await;
    // The oldest, long out of the first page, is the one a donor writes about.
    // Through the charity's own form, whose order number is its idempotency key.
    let body = json!({"amount": 4242, "currency": "EUR", "donor": "Chloé Martin", "message": "Bravo", "platform": "formulaire"});
    let (s, v) = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/lives/{}/donations", live.id),
            Some(&live.key),
            &[("idempotency-key", "CMD-2026-0042")],
            Some(body.to_string()),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    for i in 1..=202 {
        app.donate_ok(&live, 100 + i).await;
    }
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_text(b, "#donations-count", "Les 200 dons les plus récents sur 203\u{a0}: l'export CSV les contient tous.")
            .await;
        let rows = || b.js("return document.querySelectorAll('#donations tbody tr').length");
        assert_eq!(rows().await, 200);
        // The 200 rows scroll in a box of their own, their header kept in sight:
        // the matches, milestones and integrations below are a short scroll away,
        // not 200 rows down.
        let v = b
            .js("var box = document.querySelector('#donations').parentNode, th = document.querySelector('#donations th'); \
                 box.scrollTop = 2000; \
                 var below = document.querySelector('#matches').getBoundingClientRect().top + scrollY - (box.getBoundingClientRect().top + scrollY); \
                 return [box.clientHeight <= innerHeight * 0.75, box.scrollHeight > box.clientHeight, \
                         Math.round(th.getBoundingClientRect().top - box.getBoundingClientRect().top), below < innerHeight];")
            .await;
        assert_eq!(v, json!([true, true, 0, true]));
        // A new one comes first, and the count follows.
        app.donate_ok(&live, 9999).await;
        wait_text(b, "#donations-count", "Les 200 dons les plus récents sur 204\u{a0}: l'export CSV les contient tous.")
            .await;
        // (The count is the read model's, which may have the gift a moment before
        // the list read with it: the page's next reload brings its row.)
        wait_text(b, "#donations tbody tr td.amount", &fr("99,99_€")).await;

        // The next page on request: the four older ones, the oldest last.
        wait_text(b, "#show-more", "Afficher 4 de plus").await;
        click(b, "#show-more").await;
        eventually("204 rows", WAIT, || async { (rows().await == 204).then_some(()) }).await;
        assert_eq!(text(b, "#donations tbody tr:last-child td.donor").await, "Chloé Martin");
        assert_eq!(on(b, "#donations-more", "return document.querySelector(arguments[0]).hidden").await, true);

        // Found by a part of the name, without its accent, and given back from there.
        fill(b, "#donation-search input", "chloe").await;
        wait_text(b, "#donations-count", "1 don trouvé.").await;
        assert_eq!(rows().await, 1);
        assert_eq!(text(b, "#donations tbody tr td.amount").await, fr("42,42_€"));
        // Its payment's reference under its time, for the accounts; found by it too.
        assert_eq!(text(b, "#donations tbody tr td.when .ref").await, "formulaire · CMD-2026-0042");
        // (Through the empty search: the one found by the reference is its own.)
        let newest = "Les 200 dons les plus récents sur 204\u{a0}: l'export CSV les contient tous.";
        fill(b, "#donation-search input", "").await;
        wait_text(b, "#donations-count", newest).await;
        fill(b, "#donation-search input", "CMD-2026-0042").await;
        wait_text(b, "#donations-count", "1 don trouvé.").await;
        assert_eq!(text(b, "#donations tbody tr td.donor").await, "Chloé Martin");
        assert_eq!(on(b, "#show-more", "return document.querySelector(arguments[0]).hidden").await, true);
        click(b, "#donations tbody tr button[data-act=refund]").await;
        wait_text(b, "#donations tbody tr button[data-act=refund]", "Confirmer\u{a0}?").await;
        click(b, "#donations tbody tr button[data-act=refund]").await;
        wait_text(b, "#donations tbody tr td.status", "Remboursé").await;
        assert_eq!(rows().await, 1, "the search holds through the refund's reload");
        // An amount as the table writes it; then nothing found.
        fill(b, "#donation-search input", "99,99 €").await;
        eventually("the one of 99,99 €", WAIT, || async {
            let found = (rows().await, text(b, "#donations-count").await, text(b, "#donations tbody tr td.amount").await);
            (found == (json!(1), json!("1 don trouvé."), json!(fr("99,99_€")))).then_some(())
        })
        .await;
        fill(b, "#donation-search input", "personne").await;
        wait_text(b, "#donations-count", "Aucun don trouvé.").await;
        assert_eq!(rows().await, 0);
        // Emptied, the search gives the newest page back.
        fill(b, "#donation-search input", "").await;
        wait_text(b, "#donations-count", newest).await;
        assert_eq!(rows().await, 200);
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_donations_shows_on_the_dashboard_while_it_lasts() {
    let app = spawn_app().await;
    let live = app.setup().await;
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_text(b, "#c-name", "Restos").await;
        let t0 = b.js("return performance.now()").await.as_f64().unwrap();
        // A donation every 40 ms for 3 s: the table must not wait for a lull
        // (each frame once put the reload off again), nor reload at every frame.
        let started = Instant::now();
        let mut first_shown = None;
        while started.elapsed() < Duration::from_secs(3) {
            app.donate_ok(&live, 100).await;
            tokio::time::sleep(Duration::from_millis(40)).await;
            if first_shown.is_none() {
                let rows = b.js("return document.querySelectorAll('#donations tbody tr').length").await;
                if rows.as_u64().unwrap() > 0 {
                    first_shown = Some(started.elapsed());
                }
            }
        }
        let first_shown = first_shown.expect("nothing shown during a 3 s burst");
        assert!(first_shown < Duration::from_millis(1500), "first shown after {first_shown:?}");
        let reloads = b
            .client
            .execute(
                "var t0 = arguments[0]; return performance.getEntriesByType('resource').filter(function (e) { \
                   return e.name.indexOf('/donations?') >= 0 && e.startTime > t0; }).length",
                vec![json!(t0)],
            )
            .await
            .expect("script");
        let reloads = reloads.as_u64().unwrap();
        assert!((2..=5).contains(&reloads), "{reloads} reloads of the donations in 3 s");
    })
    .await;
}

/// A live's state follows the clock while the page is open, with no event to
/// tell it: the one that ends folds, the one that starts says so.
#[tokio::test]
async fn lives_start_and_end_on_time_on_an_open_dashboard() {
    let app = spawn_app().await;
    let cid = app.eur_campaign().await;
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={cid}")).await;
        wait_text(b, "#c-name", "Restos").await;
        // Created once the page is open (each creation's frame redraws it): one
        // minute long, ending in 12 s; and one starting in 16 s.
        app.live(&cid, json!({"host": "Ending", "scheduled_at": from_now(-48), "duration_minutes": 1})).await;
        app.live(&cid, json!({"host": "Starting", "scheduled_at": from_now(16), "duration_minutes": 60})).await;
        let cards = || async {
            b.js(r##"return Array.from(document.querySelectorAll("#lives article")).map(function (a) {
                       return [a.querySelector("[data-f=host]").textContent, a.querySelector("[data-f=status]").textContent,
                               a.querySelector("details.manage").open]; })"##)
                .await
        };
        eventually("both lives, the first on air", WAIT, || async {
            (cards().await == json!([["Ending", "en direct", true], ["Starting", "à venir", true]])).then_some(())
        })
        .await;
        eventually("the first live ends and folds", WAIT, || async {
            (cards().await == json!([["Ending", "terminé", false], ["Starting", "à venir", true]])).then_some(())
        })
        .await;
        eventually("the second live starts", WAIT, || async {
            (cards().await == json!([["Ending", "terminé", false], ["Starting", "en direct", true]])).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_finished_live_folds_to_its_header_and_the_others_stay_open() {
    let app = spawn_app().await;
    let cid = app.eur_campaign().await;
    for (host, start) in
        [("Passé", from_now(-48 * 3600)), ("Maintenant", from_now(0)), ("Bientôt", from_now(48 * 3600))]
    {
        app.live(&cid, json!({"host": host, "scheduled_at": start, "duration_minutes": 120})).await;
    }
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={cid}")).await;
        let cards = || async {
            b.js(r##"return Array.from(document.querySelectorAll("#lives article")).map(function (a) {
                       var m = a.querySelector("details.manage"), s = m.querySelector("summary");
                       return [a.querySelector("[data-f=host]").textContent, m.open,
                               s.checkVisibility() ? s.textContent : null,
                               a.querySelector("[data-act=test-alert]").checkVisibility(),
                               a.getBoundingClientRect().height < 150]; })"##)
                .await
        };
        let folded = json!([
            ["Passé", false, "Gérer ce live", false, true],
            ["Maintenant", true, null, true, false],
            ["Bientôt", true, null, true, false],
        ]);
        let got = eventually("the lives' cards", WAIT, || async {
            let c = cards().await;
            (c.as_array().is_some_and(|a| a.len() == 3)).then_some(c)
        })
        .await;
        assert_eq!(got, folded);
        // A click opens the finished one: a late cheque can still be added to it.
        click(b, "#lives article.past details.manage > summary").await;
        click(b, "#lives article.past details[data-box=donate] > summary").await;
        fill(b, "#lives article.past [data-form=donate] [name=amount]", "20").await;
        click(b, "#lives article.past [data-form=donate] button[type=submit]").await;
        wait_text(b, "#lives article.past [data-f=totals]", &fr("20,00_€ — 1 don")).await;
        let v = b.js("var a = document.querySelector('#lives article.past'); return [a.querySelector('details.manage').open, a.querySelector('[data-act=test-alert]').checkVisibility()]").await;
        assert_eq!(v, json!([true, true]), "it stays open through the reload");
    })
    .await;
}

#[tokio::test]
async fn an_organiser_creates_a_month_of_lives_in_one_form() {
    let app = spawn_app().await;
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        sign_in(b, &app, "").await;
        create_campaign(b, "Octobre solidaire", "5000", "https://dons.example.org/octobre").await;
        click(b, "details:has(#new-live) > summary").await;
        fill(b, "#new-live [name=host]", "Ana").await;
        fill(b, "#new-live [name=title]", "Dessin en direct").await;
        // Mondays, Wednesdays and Fridays, for two weeks: without a first date, refused.
        for day in ["1", "3", "5"] {
            click(b, &format!("#new-live [name=repeat_day][value='{day}']")).await;
        }
        fill(b, "#new-live [name=repeat_weeks]", "2").await;
        click(b, "#new-live button[type=submit]").await;
        wait_text(b, "#notice", "Erreur\u{a0}: Pour répéter un live, choisissez la date et l'heure du premier.").await;
        // From Friday 22 October 2027 at 19:00 in Paris, over the end of summer time.
        set_local_time(b, "#new-live [name=scheduled_at]", "2027-10-22T19:00").await;
        click(b, "#new-live button[type=submit]").await;
        wait_text(b, "#notice", "6 lives créés.").await;
        wait_text(b, "#secret-host", "Ana").await;
        // Each live's links, shown once, in the schedule's order.
        let rows = b
            .js("return Array.from(document.querySelectorAll('#series tbody tr')).map(tr =>
                   [tr.cells[0].textContent, tr.cells[1].querySelector('input').value, tr.cells[2].querySelector('input').value])")
            .await;
        let rows = rows.as_array().unwrap();
        // One link for all six: the first's overlay link, following its host.
        assert_eq!(input_value(b, "#follow-url").await, format!("{}&follow=host", rows[0][1].as_str().unwrap()));
        let dates: Vec<String> = rows.iter().map(|r| r[0].as_str().unwrap().replace('\u{a0}', " ")).collect();
        assert_eq!(
            dates,
            [
                "22 oct. 2027, 19:00",
                "25 oct. 2027, 19:00",
                "27 oct. 2027, 19:00",
                "29 oct. 2027, 19:00",
                "1 nov. 2027, 19:00",
                "3 nov. 2027, 19:00"
            ]
        );
        assert_eq!(
            b.js("return [document.getElementById('secret-series-box').hidden, document.getElementById('secret-overlay-box').hidden]")
                .await,
            json!([false, true])
        );
        // The server's schedule: 19:00 in Paris, summer time then winter time.
        // The cards are drawn after the notice.
        let live_ids: Vec<String> = eventually("the six lives' cards", WAIT, || async {
            let v = b.js("return Array.from(document.querySelectorAll('#lives article')).map(a => a.dataset.live)").await;
            let ids: Vec<String> = serde_json::from_value(v).ok()?;
            (ids.len() == 6).then_some(ids)
        })
        .await;
        let mut at = std::collections::HashMap::new();
        for id in &live_ids {
            let (s, l) = app.get(&format!("/api/v1/lives/{id}")).await;
            assert_eq!(s, StatusCode::OK, "{l}");
            assert_eq!((l["host"].as_str(), l["title"].as_str()), (Some("Ana"), Some("Dessin en direct")));
            at.insert(id.clone(), l["scheduled_at"].as_str().unwrap().replace(".000", ""));
        }
        // Each row's links are that live's (its overlay, its host's space), in the schedule's order.
        let mut schedule = vec![];
        for r in rows {
            let overlay = r[1].as_str().unwrap();
            let id = overlay.split("/overlay/lives/").nth(1).unwrap().split('?').next().unwrap();
            schedule.push(at[id].clone());
            assert!(r[2].as_str().unwrap().contains(&format!("/lives/{id}/host")), "{r}");
            let (s, _) = app.get(&format!("/overlay/lives/{id}?token={}", overlay.split("token=").nth(1).unwrap())).await;
            assert_eq!(s, StatusCode::OK);
        }
        assert_eq!(
            schedule,
            [
                "2027-10-22T17:00:00Z",
                "2027-10-25T17:00:00Z",
                "2027-10-27T17:00:00Z",
                "2027-10-29T17:00:00Z",
                "2027-11-01T18:00:00Z",
                "2027-11-03T18:00:00Z"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn the_charity_report_sums_the_campaign_and_prints_alone() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let mut ids = std::collections::HashMap::new();
    for (key, donor, amount, anonymous) in [
        ("ana", Some("Ana"), 1000, false),
        ("bob", Some("Bob"), 500, false),
        ("chloe", Some("Inès"), 3000, true),
        ("nameless", None, 700, false),
        ("dan", Some("Dan"), 2500, false),
        ("eve", Some("Eve"), 1200, false),
    ] {
        if key == "bob" {
            // Given through Ko-fi: the report names the provider as people do.
            let body = json!({"amount": amount, "currency": "EUR", "donor": donor, "platform": "kofi"});
            let (s, d) = app.donate(&live, body).await;
            assert_eq!(s, StatusCode::CREATED, "{d}");
            ids.insert(key, d["donation"]["id"].as_str().unwrap().to_owned());
            continue;
        }
        ids.insert(key, app.gift(&live, donor, amount, anonymous).await);
    }
    assert_eq!(app.refund(&live, &ids["dan"], json!({})).await, StatusCode::OK);
    assert_eq!(app.refund(&live, &ids["eve"], json!({"refunded_amount": 400})).await, StatusCode::OK);
    // Today in Paris, as the server's report says, written as the page writes it.
    let (_, r) = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/campaigns/{}/report?tz=Europe/Paris", live.campaign_id),
            Some(ADMIN),
            &[],
            None,
        )
        .await;
    let date = time::Date::parse(
        r["by_day"][0]["date"].as_str().unwrap(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    let day = format!(
        "{} {} {} {}",
        FR_DAYS[date.weekday().number_days_from_monday() as usize],
        date.day(),
        FR_MONTHS[date.month() as usize - 1],
        date.year()
    );
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_text(b, "#c-name", "Restos").await;
        assert_eq!(b.js("return document.getElementById('report').hidden").await, true);
        click(b, "#make-report").await;
        eventually("the report", WAIT, || async {
            (b.js("return document.getElementById('report').hidden").await == false).then_some(())
        })
        .await;
        assert_eq!(text(b, "#report-campaign").await, "Restos — heure\u{a0}: Europe/Paris");
        let lines = b.js("return Array.from(document.querySelectorAll('#report-lines li')).map(li => li.textContent)").await;
        let lines: Vec<String> = lines.as_array().unwrap().iter().map(|l| l.as_str().unwrap().replace('\u{a0}', " ")).collect();
        assert_eq!(lines[..2], ["5 dons de 4 donateurs (et 1 don sans nom)", "Don moyen : 12,00 € — don médian : 8,00 €"]);
        assert!(lines[2].starts_with("Plus gros don : 30,00 € d'Inès (anonyme) (live de Corentin, "), "{lines:?}");
        assert_eq!(lines[3], "Remboursés : 1 en entier, 1 en partie — 29,00 €");
        // Its two tables line up and total alike, and fit a phone's width.
        let looks = r#"var d = document.getElementById("report-days"), p = document.getElementById("report-platforms");
            var left = function (t) { return Array.from(t.tHead.rows[0].cells).map(function (c) { return Math.round(c.getBoundingClientRect().left); }); };
            var bold = function (t) { return getComputedStyle(t.querySelector("tr.sum td")).fontWeight; };
            var fits = function (t) { return t.parentElement.scrollWidth <= t.parentElement.clientWidth; };
            return [JSON.stringify(left(d)) === JSON.stringify(left(p)), bold(d), bold(p), fits(d), fits(p)];"#;
        assert_eq!(b.js(looks).await, json!([true, "700", "700", true, true]));
        b.client.set_window_size(390, 844).await.expect("phone size");
        eventually("the report on a phone", WAIT, || async {
            (b.js(looks).await == json!([true, "700", "700", true, true])).then_some(())
        })
        .await;
        b.screenshot_element("#report-box", "report-phone").await;
        b.client.set_window_size(crate::browser::WIDTH, crate::browser::HEIGHT).await.expect("desktop size");
        let rows = b
            .js("return Array.from(document.querySelectorAll('#report-days tbody tr')).map(tr => Array.from(tr.cells).map(c => c.textContent))")
            .await;
        let rows: Vec<Vec<String>> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(|c| c.as_str().unwrap().replace('\u{a0}', " ")).collect())
            .collect();
        assert_eq!(rows, [[day.as_str(), "5", "60,00 €", "0,00 €", "60,00 €"], ["Total", "5", "60,00 €", "0,00 €", "60,00 €"]]);
        // Each payment platform's share, for the providers' payouts.
        let platforms = b
            .js("return Array.from(document.querySelectorAll('#report-platforms tbody tr')).map(tr => Array.from(tr.cells).map(c => c.textContent.replace(/\\u00a0/g, ' ')))")
            .await;
        assert_eq!(
            platforms,
            json!([
                ["Direct (API)", "4", "55,00 €", "0,00 €", "55,00 €"],
                ["Ko-fi", "1", "5,00 €", "0,00 €", "5,00 €"],
                ["Total", "5", "60,00 €", "0,00 €", "60,00 €"]
            ])
        );

        // Printed, the report alone shows.
        b.js("window.print = function () { window.__printing = document.body.classList.contains('printing-report'); };").await;
        click(b, "#print-report").await;
        assert_eq!(b.js("return [window.__printing, document.body.classList.contains('printing-report')]").await, json!([true, false]));
        b.js("document.body.classList.add('printing-report')").await;
        b.print_media().await;
        let seen = b
            .js("return ['report-days', 'lives', 'donations', 'make-report'].map(id => getComputedStyle(document.getElementById(id)).visibility + '/' + getComputedStyle(document.getElementById(id)).display)")
            .await;
        assert_eq!(seen, json!(["visible/table", "hidden/block", "hidden/table", "visible/none"]));
    })
    .await;
}

#[tokio::test]
async fn an_organiser_connects_helloasso_and_its_payments_count() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "?lang=en").await;
        create_campaign(b, "Spring drive", "2000", "https://www.helloasso.com/associations/restos/formulaires/3").await;
        create_live(b, "Ana").await;
        // The whole campaign's: HelloAsso, with the fundraiser's form given by its address.
        click(b, "details:has(#new-integration) > summary").await;
        assert_eq!(b.js("return document.getElementById('helloasso-form').hidden").await, true);
        b.js("var s = document.querySelector('#new-integration [name=provider]'); s.value = 'helloasso';
              s.dispatchEvent(new Event('change'))")
            .await;
        assert_eq!(b.js("return document.getElementById('helloasso-form').hidden").await, false);
        let secret = "ha-secret-0123456789";
        fill(b, "#new-integration [name=secret]", secret).await;
        fill(
            b,
            "#new-integration [name=ha_form]",
            "https://www.helloasso.com/associations/restos/formulaires/3?from=mail",
        )
        .await;
        click(b, "#new-integration button[type=submit]").await;
        wait_text(b, "#integrations tbody tr td:nth-child(2)", "HelloAsso").await;
        // The list's address says its secret is missing, and offers no copy of it
        // (HelloAsso refuses it without): the whole one is shown once.
        let listed = input_value(b, "#integrations tbody tr td.url input").await;
        let hook = listed.strip_suffix("?token=…").expect("the secret left out, said so").to_owned();
        assert_eq!(b.js("return document.querySelectorAll('#integrations tbody tr [data-copy]').length").await, 0);
        // Shown once, with the secret and the form: what HelloAsso is given.
        let url = input_value(b, "#helloasso-url").await;
        assert_eq!(url, format!("{hook}?token={secret}&form=3"));
        assert_eq!(b.js("return document.getElementById('helloasso-box').hidden").await, false);
        let pay = |id: i64, form: &'static str| {
            let (client, url) = (app.client.clone(), url.clone());
            async move {
                let body = json!({"eventType": "Payment", "data": {
                    "order": {"id": id, "formSlug": form, "formType": "Donation", "isAnonymous": false},
                    "payer": {"firstName": "Léa", "lastName": "Martin"},
                    "id": id, "amount": 2500, "amountTip": 0, "state": "Authorized", "refundOperations": []}});
                let res = client.post(&url).header("content-type", "application/json").body(body.to_string()).send();
                let v: Value = res.await.unwrap().json().await.unwrap();
                v["status"].as_str().unwrap_or_default().to_owned()
            }
        };
        assert_eq!(pay(41, "3").await, "counted");
        assert_eq!(pay(42, "7").await, "ignored", "another form of the association");
        wait_text(b, "#c-totals", "Total €25.00 (donations €25.00 + matched €0.00) — 1 donation — goal €2,000.00")
            .await;
        let rows = eventually("the donation's row", WAIT, || async {
            let rows = donation_rows(b).await;
            (rows.len() == 1).then_some(rows)
        })
        .await;
        assert_eq!(rows[0][0], "Léa M.");
        // Its secret replaced: the new address to paste, with the form asked again;
        // the old one is refused, the new one counts.
        click(b, "details:has(#integration-secret) > summary").await;
        assert_eq!(b.js("return document.querySelector('#integration-secret [data-helloasso]').hidden").await, false);
        let fresh = "helloasso-secret-9876543210";
        fill(b, "#integration-secret [name=secret]", fresh).await;
        fill(b, "#integration-secret [name=ha_form]", "3").await;
        click(b, "#integration-secret button[type=submit]").await;
        wait_text(b, "#notice", "Saved.").await;
        assert_eq!(input_value(b, "#helloasso-again-url").await, format!("{hook}?token={fresh}&form=3"));
        let body = json!({"eventType": "Payment", "data": {
            "order": {"id": 43, "formSlug": "3", "formType": "Donation", "isAnonymous": false},
            "payer": {"firstName": "Max", "lastName": "Roy"},
            "id": 43, "amount": 1000, "amountTip": 0, "state": "Authorized", "refundOperations": []}});
        let send = |to: String| {
            let client = app.client.clone();
            let body = body.to_string();
            async move {
                client.post(to).header("content-type", "application/json").body(body).send().await.unwrap().status()
            }
        };
        assert_eq!(send(url.clone()).await, StatusCode::UNAUTHORIZED);
        assert_eq!(send(format!("{hook}?token={fresh}&form=3")).await, StatusCode::OK);
        wait_text(b, "#c-totals", "Total €35.00 (donations €35.00 + matched €0.00) — 2 donations — goal €2,000.00")
            .await;
    })
    .await;
}

/// Twitch Charity for a whole campaign: the command that subscribes the URL
/// to a channel's gifts, made for each channel typed, then a gift on a host's
/// channel counted on their live.
#[tokio::test]
async fn an_organiser_connects_twitch_charity_and_its_gifts_count() {
    use hmac::Mac;
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "?lang=en").await;
        create_campaign(b, "Noël des Restos", "2000", "").await;
        create_live(b, "Ana").await;
        click(b, "details:has(#new-integration) > summary").await;
        assert_eq!(b.js("return document.getElementById('twitch-box').hidden").await, true);
        b.js("var s = document.querySelector('#new-integration [name=provider]'); s.value = 'twitch';
              s.dispatchEvent(new Event('change'))")
            .await;
        let secret = "twitch-secret-0123456789";
        fill(b, "#new-integration [name=secret]", secret).await;
        click(b, "#new-integration button[type=submit]").await;
        wait_text(b, "#integrations tbody tr td:nth-child(2)", "Twitch Charity").await;
        let hook = input_value(b, "#integrations tbody tr td.url input").await;
        assert_eq!(b.js("return document.getElementById('twitch-box').hidden").await, false);
        fill(b, "#twitch-user", "141981764").await;
        let command = input_value(b, "#twitch-command").await;
        let body = command
            .strip_prefix("twitch api post eventsub/subscriptions -b '")
            .and_then(|c| c.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{command}"));
        let subscription: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            subscription,
            json!({"type": "channel.charity_campaign.donate", "version": "1",
                "condition": {"broadcaster_user_id": "141981764"},
                "transport": {"method": "webhook", "callback": hook, "secret": secret}})
        );
        // Another channel of the campaign: its own command, the same URL and secret.
        fill(b, "#twitch-user", "99").await;
        assert!(input_value(b, "#twitch-command").await.contains(r#""broadcaster_user_id":"99""#));
        let signed = async |secret: &str, kind: &str, message_id: &str, body: String| {
            let at = from_now(0);
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(format!("{message_id}{at}{body}").as_bytes());
            let res = app
                .client
                .post(&hook)
                .header("twitch-eventsub-message-id", message_id)
                .header("twitch-eventsub-message-timestamp", at)
                .header("twitch-eventsub-message-type", kind)
                .header(
                    "twitch-eventsub-message-signature",
                    format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
                )
                .body(body)
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        };
        let deliver = async |kind: &str, message_id: &str, body: String| signed(secret, kind, message_id, body).await;
        let challenge = json!({"challenge": "c-123", "subscription": {"type": "channel.charity_campaign.donate"}});
        // A secret given wrong to Twitch: the table says so, in orange, before the live.
        let row = "#integrations tbody tr td.received";
        wait_text(b, row, "Nothing received since the server started.").await;
        let wrong = signed("another-secret-0123", "webhook_callback_verification", "m-x", challenge.to_string()).await;
        assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
        wait_text(
            b,
            row,
            "just now: signature refused: is this the secret the provider was given? (0 accepted, 1 refused).",
        )
        .await;
        assert_eq!(on(b, row, "return document.querySelector(arguments[0]).dataset.state").await, "refused");
        assert_eq!(
            deliver("webhook_callback_verification", "m-0", challenge.to_string()).await,
            (StatusCode::OK, "c-123".into())
        );
        let gift = json!({"subscription": {"type": "channel.charity_campaign.donate"},
            "event": {"id": "tw-gift-1", "broadcaster_user_login": "ana", "user_name": "Viewer42",
                "amount": {"value": 1500, "decimal_places": 2, "currency": "EUR"}}});
        let (s, text) = deliver("notification", "m-1", gift.to_string()).await;
        assert_eq!(s, StatusCode::OK, "{text}");
        wait_text(b, "#c-totals", "Total €15.00 (donations €15.00 + matched €0.00) — 1 donation — goal €2,000.00")
            .await;
        wait_text(b, "#donations tbody tr .ref", "Twitch Charity · tw-gift-1").await;
        wait_text(b, row, "just now: donation counted (2 accepted, 1 refused).").await;
        assert_eq!(on(b, row, "return document.querySelector(arguments[0]).dataset.state").await, "accepted");
        // The channel took its authorization back: acknowledged, and in orange, since nothing comes any more.
        let revoked =
            json!({"subscription": {"type": "channel.charity_campaign.donate", "status": "authorization_revoked"}});
        assert_eq!(deliver("revocation", "m-2", revoked.to_string()).await.0, StatusCode::OK);
        wait_text(b, row, "just now: subscription revoked by the provider: make it again (3 accepted, 1 refused).")
            .await;
        assert_eq!(on(b, row, "return document.querySelector(arguments[0]).dataset.state").await, "refused");
        b.screenshot_element("#integrations", "dashboard-integrations").await;
        b.screenshot_element("#twitch-box", "dashboard-twitch-command").await;
    })
    .await;
}

/// A live called off from its card in two clicks: the public page marks it and
/// shows the next live that will be; restored, it is the next again, without a reload.
#[tokio::test]
async fn the_organisers_call_a_live_off_and_the_public_page_follows() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Mars solidaire", "currency": "EUR"})).await;
    let c = c["id"].as_str().unwrap().to_owned();
    let ana = app.live(&c, json!({"host": "Ana", "title": "Concert", "scheduled_at": from_now(3600)})).await;
    app.live(&c, json!({"host": "Zoé", "scheduled_at": from_now(86_400)})).await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        let card = format!("#lives article[data-live='{}']", ana.id);
        let button = format!("{card} [data-f=cancel]");
        wait_text(b, &button, "Annuler ce live").await;
        click(b, &button).await;
        wait_text(b, &button, "Confirmer\u{a0}?").await;
        assert_eq!(
            text(b, "#notice").await,
            "Un live annulé sort du programme, des liens de suivi, du calendrier et du choix des intégrations de la campagne\u{a0}; ses dons restent comptés. Cliquez de nouveau pour confirmer."
        );
        assert_eq!(app.get(&format!("/api/v1/lives/{}", ana.id)).await.1["cancelled"], false);
        click(b, &button).await;
        wait_text(b, "#notice", "Live annulé\u{a0}: il est marqué «\u{a0}Annulé\u{a0}» sur les pages publiques et dans les agendas.").await;
        wait_text(b, &format!("{card} [data-f=status]"), "annulé").await;
        wait_text(b, &button, "Rétablir ce live").await;
        let armed = "return document.querySelector(arguments[0]).dataset.armed || null";
        assert_eq!(on(b, &button, armed).await, Value::Null, "armed no more");
        assert_eq!(app.get(&format!("/api/v1/lives/{}", ana.id)).await.1["status"], "cancelled");

        // The public page: marked in the schedule, the next live is Zoé's.
        b.goto(&format!("{}/campaigns/{c}", app.base)).await;
        let row = format!("#schedule tr[data-id='{}']", ana.id);
        wait_text(b, &format!("{row} td.status"), "Annulé").await;
        assert_eq!(on(b, &row, "return document.querySelector(arguments[0]).dataset.status").await, "cancelled");
        wait_text(b, "#next a", "Zoé").await;
        b.js("window.__same = true").await;
        let (s, v) = app.patch_live(&ana.id, json!({"cancelled": false})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_text(b, "#next a", "Ana — Concert").await;
        wait_text(b, &format!("{row} td.status"), "À venir").await;
        assert_eq!(b.js("return window.__same === true").await, true, "no reload");
    })
    .await;
}

/// Donations taken off line, imported from a spreadsheet's CSV into a live:
/// read and totalled first, then sent; the same file again counts nothing
/// twice; a file with a bad amount imports nothing.
#[tokio::test]
async fn the_organisers_import_offline_donations_from_a_spreadsheet() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Mars solidaire", "currency": "EUR"})).await;
    let c = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&c, json!({"host": "Ana"})).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("dons.csv");
    std::fs::write(&good, "\u{feff}Montant;Donateur;Message\r\n12,50 €;Hugo;Merci\r\n5;;\r\n\"20,00\";Inès;\"Bravo; vraiment\"\r\n5;;\r\n")
        .unwrap();
    let bad = dir.path().join("erreur.csv");
    std::fs::write(&bad, "Montant;Donateur\n10;Zoé\nabc;Léo\n").unwrap();
    // Lines told by their number in the file, blank ones counted; an amount past
    // the server's largest refused before anything is sent.
    let worse = dir.path().join("pire.csv");
    std::fs::write(&worse, "Montant;Donateur\n10;Zoé\n\n\n;Léo\n2000000;Max\n").unwrap();
    // Columns named as people name them, amounts as French and English write them.
    let named = dir.path().join("caisse.csv");
    std::fs::write(&named, "Date;Nom du donateur;Montant (€);Commentaire\n07/12/2026;Léa;1 234,56;Pour les Restos\n07/12/2026;Noé;2,50 €;\n")
        .unwrap();
    let english = dir.path().join("cash.csv");
    std::fs::write(&english, "Date,Name,Amount (EUR)\n2026-12-07,Ann,\"1,234.56\"\n").unwrap();
    let raised = async || app.get(&format!("/api/v1/lives/{}", live.id)).await.1["totals"]["raised"].clone();
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        let card = format!("#lives article[data-live='{}']", live.id);
        wait_text(b, &format!("{card} [data-f=host]"), "Ana").await;
        click(b, &format!("{card} details[data-box=import] > summary")).await;
        let import = async |path: &std::path::Path| {
            let input =
                b.client.find(Locator::Css(&format!("{card} [data-form=import] input[type=file]"))).await.unwrap();
            input.send_keys(&path.display().to_string()).await.unwrap();
            click(b, &format!("{card} [data-form=import] button[type=submit]")).await;
        };
        import(&good).await;
        wait_text(b, &format!("{card} [data-f=import-preview]"), &fr("4 dons pour 42,50_€ dans ce fichier.")).await;
        wait_text(b, &format!("{card} [data-f=import-go]"), "Importer 4 dons").await;
        on(b, &card, "document.querySelector(arguments[0]).scrollIntoView()").await;
        b.screenshot_element(&card, "dashboard-live-import").await;
        assert_eq!(raised().await, 0, "nothing sent before the click");
        click(b, &format!("{card} [data-f=import-go]")).await;
        wait_text(b, "#notice", "4 dons importés.").await;
        assert_eq!(raised().await, 4250);
        let (_, list) = app
            .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", live.id), Some(ADMIN), &[], None)
            .await;
        let rows: Vec<(i64, Value, Value, Value)> = list["donations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["amount"].as_i64().unwrap(), d["donor"].clone(), d["message"].clone(), d["platform"].clone()))
            .collect();
        // Cash has no payment reference (the import's own key is not one).
        assert!(list["donations"].as_array().unwrap().iter().all(|d| d["reference"].is_null()), "{list}");
        assert_eq!(
            rows,
            [
                (500, Value::Null, Value::Null, json!("offline")),
                (2000, json!("Inès"), json!("Bravo; vraiment"), json!("offline")),
                (500, Value::Null, Value::Null, json!("offline")),
                (1250, json!("Hugo"), json!("Merci"), json!("offline")),
            ]
        );
        // The same file again: counted once.
        import(&good).await;
        // The file read again: the preview says so (the button kept its text, hidden).
        wait_text(b, &format!("{card} [data-f=import-preview]"), &fr("4 dons pour 42,50_€ dans ce fichier.")).await;
        wait_text(b, &format!("{card} [data-f=import-go]"), "Importer 4 dons").await;
        click(b, &format!("{card} [data-f=import-go]")).await;
        wait_text(b, "#notice", "0 don importé (4 déjà importés\u{a0}: comptés une fois).").await;
        assert_eq!(raised().await, 4250);
        // A bad amount: nothing at all.
        import(&bad).await;
        wait_text(b, "#notice", "Erreur\u{a0}: rien n'est importé\u{a0}: ligne 3, montant invalide «\u{a0}abc\u{a0}».")
            .await;
        assert_eq!(
            on(b, &format!("{card} [data-f=import-go]"), "return document.querySelector(arguments[0]).hidden").await,
            true
        );
        assert_eq!(raised().await, 4250);
        import(&worse).await;
        wait_text(
            b,
            "#notice",
            &fr("Erreur_: rien n'est importé_: ligne 5, montant invalide «__»_; ligne 6, montant trop élevé «_2000000_» (1~000~000,00_€ au plus)."),
        )
        .await;
        assert_eq!(raised().await, 4250);
        import(&named).await;
        wait_text(b, &format!("{card} [data-f=import-preview]"), &fr("2 dons pour 1~237,06_€ dans ce fichier.")).await;
        click(b, &format!("{card} [data-f=import-go]")).await;
        wait_text(b, "#notice", "2 dons importés.").await;
        import(&english).await;
        wait_text(b, &format!("{card} [data-f=import-preview]"), &fr("1 don pour 1~234,56_€ dans ce fichier.")).await;
        click(b, &format!("{card} [data-f=import-go]")).await;
        wait_text(b, "#notice", "1 don importé.").await;
        assert_eq!(raised().await, 4250 + 123_456 + 250 + 123_456);
        let (_, list) = app
            .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", live.id), Some(ADMIN), &[], None)
            .await;
        let newest: Vec<(Value, Value, Value)> = list["donations"].as_array().unwrap()[..3]
            .iter()
            .map(|d| (d["amount"].clone(), d["donor"].clone(), d["message"].clone()))
            .collect();
        assert_eq!(
            newest,
            [
                (json!(123_456), json!("Ann"), Value::Null),
                (json!(250), json!("Noé"), Value::Null),
                (json!(123_456), json!("Léa"), json!("Pour les Restos")),
            ]
        );
    })
    .await;
}

/// The dashboard says whether the server backs itself up, where and when it
/// last did, and when it is off.
#[tokio::test]
async fn the_dashboard_says_whether_the_server_backs_itself_up() {
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().to_owned();
    let app = spawn_app_with(Arc::new(tempfile::tempdir().unwrap()), move |c| {
        c.backup_dir = Some(dir);
    })
    .await;
    let off = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        let said = format!(
            "Dernière sauvegarde à l'instant, dans {} (toutes les 1 h et à l'arrêt, les 24 dernières gardées).",
            backups.path().display()
        );
        wait_text(b, "#backup-state", &said).await;
        sign_in(b, &off, "").await;
        wait_text(b, "#backup-state", "Sauvegardes automatiques\u{a0}: désactivées (--backup-dir).").await;
        b.screenshot_element(".side", "dashboard-backups-off").await;
    })
    .await;
}

/// On a phone, giving back part of a gift near the top of a long list: the
/// form shows at the foot of the window with the row still in sight (not below
/// the last of the rows), and the row says what was given back.
#[tokio::test]
async fn a_part_refund_on_a_phone_keeps_the_row_in_sight() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gifts(&live, 12).await;
    with_browser(async |b| {
        b.client.set_window_size(390, 844).await.expect("phone size");
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        eventually("the twelve gifts", WAIT, || async {
            (b.js("return document.querySelectorAll('#donations tbody tr[data-id]').length").await == 12).then_some(())
        })
        .await;
        // The newest gift, "Donateur 11", first in the list.
        let row = "#donations tbody tr:first-child";
        assert_eq!(text(b, &format!("{row} td.donor")).await, "Donateur 11");
        b.js("var r = document.querySelector('#donations tbody tr'); r.scrollIntoView({block: 'start'}); setTimeout(function () { r.querySelector('button[data-act=part-refund]').click(); }, 0);")
            .await;
        let seen = r##"var inView = function (n) { var r = n.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; };
            var row = document.querySelector("#donations tbody tr"), submit = document.querySelector("#part-refund button[type=submit]");
            return [!document.getElementById("part-refund-box").hidden, inView(row.querySelector("td.donor")), inView(submit),
                    document.activeElement && document.activeElement.name];"##;
        eventually("the form and the row in sight", WAIT, || async {
            (b.js(seen).await == json!([true, true, true, "refunded_amount"])).then_some(())
        })
        .await;
        b.screenshot_element("body", "dashboard-part-refund-phone").await;
        fill(b, "#part-refund [name=refunded_amount]", "0,50").await;
        click(b, "#part-refund button[type=submit]").await;
        wait_text(b, &format!("{row} td.amount"), &fr("1,11_€remboursé\u{a0}: 0,50_€")).await;
        let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
        assert_eq!(l["totals"]["raised"].as_i64(), Some((100..112).sum::<i64>() - 50));
    })
    .await;
}

/// The English dashboard writes dates as the computer's English does (as
/// the host's space, the charity's space and the website counter do).
#[tokio::test]
async fn english_pages_write_dates_as_britain_does_on_a_british_computer() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let (s, v) = app.patch_live(&live.id, json!({"scheduled_at": "2030-12-01T19:00:00Z"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        b.locale(Some("en-GB")).await;
        sign_in(b, &app, &format!("?lang=en#c={}", live.campaign_id)).await;
        wait_text(b, "#lives article [data-f=when]", "1 Dec 2030, 20:00 ·").await;
        b.locale(None).await;
        b.client.refresh().await.expect("reload");
        wait_text(b, "#lives article [data-f=when]", "Dec 1, 2030, 8:00 PM ·").await;
    })
    .await;
}
