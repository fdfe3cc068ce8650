//! What viewers see: alerts, queue, goal bar, widgets, formats, safety, resume.

use crate::browser::{Browser, HEIGHT, WIDTH, decode_png, eventually, with_browser};
use crate::helpers::{ADMIN, TestApp, TestLive, from_now, spawn_app, spawn_app_at};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);
/// fr-FR money: narrow no-break space between thousands, no-break space before the symbol.
const NNBSP: char = '\u{202f}';
const NBSP: char = '\u{a0}';

/// A EUR campaign (goal 5 000 €, donate URL) with one live (goal 1 000 €).
async fn setup(app: &TestApp) -> TestLive {
    let c = app
        .campaign(json!({
            "name": "Restos", "currency": "EUR", "goal": 500000,
            "donate_url": "https://dons.example.org/restos",
        }))
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    app.live(&id, json!({"host": "Corentin", "goal": 100000})).await
}

fn url(app: &TestApp, live: &TestLive, widget: &str, query: &str) -> String {
    let path = if widget.is_empty() { String::new() } else { format!("/{widget}") };
    format!("{}/overlay/lives/{}{path}?token={}{query}", app.base, live.id, live.overlay_token)
}

/// A campaign overlay's page (`widget` empty for every widget), with a new
/// campaign overlay token (the one given at creation is not kept).
async fn campaign_url(app: &TestApp, campaign_id: &str, widget: &str, query: &str) -> String {
    let (s, c) = app.post(&format!("/api/v1/campaigns/{campaign_id}/rotate"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let path = if widget.is_empty() { String::new() } else { format!("/{widget}") };
    format!("{}/overlay/campaigns/{campaign_id}{path}?token={}{query}", app.base, c["overlay_token"].as_str().unwrap())
}

async fn donate(app: &TestApp, live: &TestLive, body: Value) -> Value {
    let (s, v) = app.donate(live, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

/// The alert on screen: `{id, donor, amount, matched, message}` (hidden parts are null).
async fn alert(b: &Browser) -> Value {
    b.js(r#"
        var a = document.getElementById("alert");
        if (!a || a.hidden) return null;
        var t = function (id) { var n = document.getElementById(id); return n.hidden ? null : n.textContent; };
        return {id: a.dataset.id || null, donor: t("alert-donor"), amount: t("alert-amount"),
                matched: t("alert-matched"), message: t("alert-message")};
    "#)
        .await
}

/// Starts recording every alert that appears (`donor amount`), including one already on screen.
async fn record_alerts(b: &Browser) {
    b.js(r#"
        var a = document.getElementById("alert");
        window.__alerts = [];
        var last = null;
        function seen() {
            var id = a.hidden ? null : (a.dataset.id || null);
            if (id && id !== last) {
                window.__alerts.push(document.getElementById("alert-donor").textContent + " " +
                    document.getElementById("alert-amount").textContent);
            }
            last = id;
        }
        new MutationObserver(seen).observe(a, {attributes: true, subtree: true, childList: true, characterData: true});
        seen();
    "#)
        .await;
}

async fn recorded(b: &Browser) -> Vec<String> {
    serde_json::from_value(b.js("return window.__alerts").await).expect("recorded alerts")
}

async fn wait_recorded(b: &Browser, expected: &[&str]) {
    eventually(&format!("alerts {expected:?}"), WAIT, || async {
        let got = recorded(b).await;
        assert!(
            got.len() <= expected.len() && got.iter().zip(expected).all(|(g, e)| g == e),
            "alerts shown {got:?}, expected {expected:?}"
        );
        (got == expected).then_some(())
    })
    .await;
}

async fn wait_alert_gone(b: &Browser) {
    eventually("the alert box is empty", WAIT, || async { alert(b).await.is_null().then_some(()) }).await;
}

/// Writes fr-FR money readably: `~` stands for the narrow no-break space, `_` for the no-break space.
fn eur_fr(s: &str) -> String {
    s.replace('~', &NNBSP.to_string()).replace('_', &NBSP.to_string())
}

#[tokio::test]
async fn alert_shows_exact_donor_amount_and_message_within_one_second() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=3")).await;
        b.wait_live().await;
        assert!(alert(b).await.is_null(), "no alert before any donation");
        let posted = Instant::now();
        let v = donate(
            &app,
            &live,
            json!({"amount": 1050, "currency": "EUR", "donor": "Zoë 🎉", "message": "Bravo à toute l'équipe !"}),
        )
        .await;
        let shown = eventually("the alert", WAIT, || async {
            let a = alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        let elapsed = posted.elapsed();
        assert_eq!(shown["id"], v["donation"]["id"]);
        assert_eq!(shown["donor"], "Zoë 🎉");
        assert_eq!(shown["amount"], format!("10,50{NBSP}€"));
        assert_eq!(shown["message"], "Bravo à toute l'équipe !");
        assert_eq!(shown["matched"], Value::Null, "no match, no doubled line");
        assert!(elapsed < Duration::from_secs(1), "alert shown {elapsed:?} after the POST");

        // Anonymous donors get the localized label.
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Secret", "anonymous": true})).await;
        let a = eventually("the anonymous alert", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Anonyme").then_some(a)
        })
        .await;
        assert_eq!(a["amount"], format!("5,00{NBSP}€"), "{a}");
    })
    .await;
}

#[tokio::test]
async fn matched_donation_shows_doubled_line_in_english_and_french() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
            Some(ADMIN),
            json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 1_000_000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&lang=en&duration=3")).await;
        b.wait_live().await;
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 123450, "currency": "EUR", "donor": "Ana"})).await;
        let a = eventually("the matched alert", WAIT, || async {
            let a = alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!(a["amount"], "€1,234.50");
        assert_eq!(a["matched"], "doubled! +€1,234.50");
        assert_eq!(a["message"], Value::Null);
        wait_alert_gone(b).await;

        b.goto(&url(&app, &live, "alert", "&lang=fr&duration=3&instance=fr")).await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 1050, "currency": "EUR", "donor": "Ana"})).await;
        let a = eventually("the matched alert in French", WAIT, || async {
            let a = alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!(a["amount"], eur_fr("10,50_€"));
        assert_eq!(a["matched"], eur_fr("doublé_! +10,50_€"));
        wait_alert_gone(b).await;

        // Given back in part while on screen (4,50 € of 10,00 €): the amounts follow.
        b.goto(&url(&app, &live, "alert", "&lang=fr&duration=30&instance=part")).await;
        b.wait_live().await;
        let d = donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Bo"})).await;
        eventually("the alert on screen", WAIT, || async { (alert(b).await["donor"] == "Bo").then_some(()) }).await;
        let path = format!("/api/v1/donations/{}/refund", d["donation"]["id"].as_str().unwrap());
        let (s, r) = app.post(&path, Some(&live.key), json!({"refunded_amount": 450})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let a = eventually("the amounts of what is kept", WAIT, || async {
            let a = alert(b).await;
            (a["amount"] == eur_fr("5,50_€")).then_some(a)
        })
        .await;
        assert_eq!(a["matched"], eur_fr("doublé_! +5,50_€"));
        assert_eq!(a["donor"], "Bo");
    })
    .await;
}

#[tokio::test]
async fn queue_shows_three_quick_donations_one_after_the_other() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=1")).await;
        b.wait_live().await;
        record_alerts(b).await;
        for (donor, amount) in [("Un", 100), ("Deux", 200), ("Trois", 300)] {
            donate(&app, &live, json!({"amount": amount, "currency": "EUR", "donor": donor})).await;
        }
        wait_recorded(b, &[&eur_fr("Un 1,00_€"), &eur_fr("Deux 2,00_€"), &eur_fr("Trois 3,00_€")]).await;
        wait_alert_gone(b).await;
        // Only one alert box exists: alerts can never overlap.
        assert_eq!(b.js("return document.querySelectorAll('.alert').length").await, 1);
        assert_eq!(recorded(b).await.len(), 3, "each shown once");
    })
    .await;
}

#[tokio::test]
async fn thresholds_filter_alerts_and_messages() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=1&min_alert=5&min_message=20")).await;
        b.wait_live().await;
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 499, "currency": "EUR", "donor": "Petit", "message": "pas affiché"}))
            .await;
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Moyen", "message": "message caché"}))
            .await;
        let a = eventually("the 5 € alert", WAIT, || async {
            let a = alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!(a["donor"], "Moyen", "the 4,99 € donation is below min_alert");
        assert_eq!(a["message"], Value::Null, "5 € is below min_message");
        donate(&app, &live, json!({"amount": 2000, "currency": "EUR", "donor": "Grand", "message": "affiché"})).await;
        let a = eventually("the 20 € alert", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Grand").then_some(a)
        })
        .await;
        assert_eq!(a["message"], "affiché");
        wait_alert_gone(b).await;
        assert_eq!(recorded(b).await, [eur_fr("Moyen 5,00_€"), eur_fr("Grand 20,00_€")]);
    })
    .await;
}

/// The goal bar's fill as a fraction of its track, as drawn (transform included).
async fn bar_fraction(b: &Browser) -> f64 {
    b.js(r#"
        var f = document.getElementById("goal-fill").getBoundingClientRect();
        var t = document.getElementById("goal-track").getBoundingClientRect();
        return t.width > 0 ? f.width / t.width : -1;
    "#)
        .await
        .as_f64()
        .unwrap()
}

async fn wait_bar(b: &Browser, fraction: f64, label: &str) {
    eventually(&format!("goal bar at {fraction} with {label:?}"), WAIT, || async {
        let got = bar_fraction(b).await;
        let text = b.js("return document.getElementById('goal-label').textContent").await;
        ((got - fraction).abs() < 0.005 && text == label).then_some(())
    })
    .await;
}

#[tokio::test]
async fn goal_bar_width_follows_the_total() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "goal", "")).await;
        b.wait_live().await;
        wait_bar(b, 0.0, &eur_fr("0,00_€ / 1~000,00_€")).await;
        donate(&app, &live, json!({"amount": 25000, "currency": "EUR", "donor": "Ana"})).await;
        wait_bar(b, 0.25, &eur_fr("250,00_€ / 1~000,00_€")).await;
        assert_eq!(b.js("return document.getElementById('goal-pct').textContent").await, format!("25{NBSP}%"));
        assert_eq!(b.js("return document.getElementById('goal-title').textContent").await, "Objectif du live");
        // The amount eases up to the new total, never below the old one on the way.
        b.js("window.seen = []; var n = document.getElementById('goal-label'); new MutationObserver(function () { \
                window.seen.push(parseFloat(n.textContent.split(' / ')[0].replace(/[^0-9,]/g, '').replace(',', '.'))); \
              }).observe(n, {childList: true, characterData: true, subtree: true}); return null")
            .await;
        let (s, v) = donate_raw(&app, &live, 37550).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        wait_bar(b, 0.6255, &eur_fr("625,50_€ / 1~000,00_€")).await;
        let seen: Vec<f64> = serde_json::from_value(b.js("return window.seen").await).unwrap();
        let between = seen.iter().filter(|v| **v > 250.0 && **v < 625.5).count();
        let rising = seen.windows(2).all(|w| w[0] <= w[1]) && seen.first() >= Some(&250.0);
        assert!(between >= 3 && rising && seen.last() == Some(&625.5), "{seen:?}");
        b.screenshot_element("#w-goal", "goal").await;
        // A refund moves it back.
        let id = v["donation"]["id"].as_str().unwrap();
        let (s, _) = app.post(&format!("/api/v1/donations/{id}/refund"), Some(&live.key), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        wait_bar(b, 0.25, &eur_fr("250,00_€ / 1~000,00_€")).await;
        // Past the goal the bar stays full and the percent goes on.
        donate(&app, &live, json!({"amount": 100000, "currency": "EUR"})).await;
        wait_bar(b, 1.0, &eur_fr("1~250,00_€ / 1~000,00_€")).await;
        assert_eq!(b.js("return document.getElementById('goal-pct').textContent").await, format!("125{NBSP}%"));
        // Reached: the bar says so in its colour, with a glow for having crossed it on air.
        let reached = "var g = document.getElementById('w-goal'); \
                       return [document.getElementById('goal-title').textContent, g.dataset.reached, g.dataset.pulse || null, \
                               getComputedStyle(document.getElementById('goal-pct')).color];";
        assert_eq!(
            b.js(reached).await,
            json!(["Objectif du live atteint\u{a0}!", "1", "1", "rgb(124, 242, 154)"])
        );
        b.goto(&url(&app, &live, "goal", "")).await;
        b.wait_live().await;
        wait_bar(b, 1.0, &eur_fr("1~250,00_€ / 1~000,00_€")).await;
        assert_eq!(
            b.js(reached).await,
            json!(["Objectif du live atteint\u{a0}!", "1", null, "rgb(124, 242, 154)"]),
            "reached before the page opened: no glow"
        );

        // The campaign goal on request, in English.
        b.goto(&url(&app, &live, "goal", "&goal=campaign&lang=en")).await;
        b.wait_live().await;
        wait_bar(b, 0.25, "€1,250.00 / €5,000.00").await;
        assert_eq!(b.js("return document.getElementById('goal-title').textContent").await, "Campaign goal");
    })
    .await;
}

async fn donate_raw(app: &TestApp, live: &TestLive, amount: i64) -> (StatusCode, Value) {
    app.donate(live, json!({"amount": amount, "currency": "EUR", "donor": "Ana"})).await
}

#[tokio::test]
async fn xss_payload_in_donor_and_message_stays_text() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let name = r#"<img src=x onerror="window.__xss=1">"#;
    let message = r#"<script>window.__xss=2</script><b onmouseover="window.__xss=3">gras</b>"#;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "", "&duration=10")).await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 700, "currency": "EUR", "donor": name, "message": message})).await;
        let a = eventually("the alert", WAIT, || async {
            let a = alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!(a["donor"], name);
        assert_eq!(a["message"], message);
        // The ticker and the top donors show it as text too.
        eventually("the ticker and top donors", WAIT, || async {
            let v = b
                .js(r#"return [document.getElementById("ticker-track").textContent,
                                     document.getElementById("top-list").textContent]"#)
                .await;
            (v[0].as_str()?.contains(name) && v[1].as_str()?.contains(name)).then_some(())
        })
        .await;
        let injected = b
            .js(r#"return [typeof window.__xss,
            document.querySelectorAll("main img:not(#alert-image):not(#match-logo), main script, main b").length]"#)
            .await;
        assert_eq!(injected, json!(["undefined", 0]));
    })
    .await;
}

#[tokio::test]
async fn money_formats_follow_the_language() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    donate(&app, &live, json!({"amount": 123450, "currency": "EUR", "donor": "Ana"})).await;
    with_browser(async |b| {
        let campaign = r#"return document.getElementById("campaign-total").textContent"#;
        b.goto(&url(&app, &live, "", "")).await;
        b.wait_live().await;
        eventually("fr money", WAIT, || async {
            (b.js(campaign).await == eur_fr("1~234,50_€ / 5~000,00_€")).then_some(())
        })
        .await;
        assert_eq!(b.js("return document.documentElement.lang").await, "fr");
        assert_eq!(b.js("return document.getElementById('top-title').textContent").await, "Top donateurs");
        b.goto(&url(&app, &live, "", "&lang=en")).await;
        b.wait_live().await;
        eventually("en money", WAIT, || async { (b.js(campaign).await == "€1,234.50 / €5,000.00").then_some(()) })
            .await;
        assert_eq!(b.js("return document.getElementById('top-title').textContent").await, "Top donors");
    })
    .await;
}

#[tokio::test]
async fn server_restart_and_page_reload_neither_lose_nor_repeat_an_alert() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async move |b| {
        let page = url(&app, &live, "", "&widgets=alert,goal&duration=1");
        b.goto(&page).await;
        b.wait_live().await;
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 100, "currency": "EUR", "donor": "Avant"})).await;
        let before = eur_fr("Avant 1,00_€");
        wait_recorded(b, &[&before]).await;
        wait_alert_gone(b).await;

        // The server goes away mid-session: nothing changes on screen meanwhile.
        let screen = r#"return [document.getElementById("w-goal").hidden, document.getElementById("goal-label").textContent,
                                document.getElementById("alert").hidden, document.body.innerText]"#;
        let shown_before = b.js(screen).await;
        let addr = app.addr.to_string();
        let dir = app.stop().await;
        eventually("the page notices the drop", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "reconnecting").then_some(())
        })
        .await;
        assert_eq!(b.js(screen).await, shown_before, "a dropped connection shows nothing");
        assert_eq!(shown_before[1], eur_fr("1,00_€ / 1~000,00_€"));
        // Back on the same port; a donation lands while the page is still reconnecting.
        let app = spawn_app_at(dir, &addr, |_| {}).await;
        donate(&app, &live, json!({"amount": 200, "currency": "EUR", "donor": "Pendant"})).await;
        let during = eur_fr("Pendant 2,00_€");
        wait_recorded(b, &[&before, &during]).await;
        donate(&app, &live, json!({"amount": 300, "currency": "EUR", "donor": "Après"})).await;
        let after = eur_fr("Après 3,00_€");
        wait_recorded(b, &[&before, &during, &after]).await;
        wait_alert_gone(b).await;
        assert_eq!(recorded(b).await.len(), 3);

        // A reload (an OBS scene switch) in the middle of an alert finishes it, never restarts the queue.
        donate(&app, &live, json!({"amount": 400, "currency": "EUR", "donor": "Rechargé"})).await;
        eventually("the alert before the reload", WAIT, || async {
            (alert(b).await["donor"] == "Rechargé").then_some(())
        })
        .await;
        b.client.refresh().await.expect("reload");
        record_alerts(b).await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Ensuite"})).await;
        let next = eur_fr("Ensuite 5,00_€");
        eventually("the alert after the reload", WAIT, || async {
            let got = recorded(b).await;
            let old = [before.as_str(), during.as_str(), after.as_str()];
            assert!(!got.iter().any(|g| old.contains(&g.as_str())), "an old alert came back: {got:?}");
            got.last().is_some_and(|l| *l == next).then_some(())
        })
        .await;
        let got = recorded(b).await;
        assert!(got.len() <= 2 && got.iter().filter(|g| **g == next).count() == 1, "{got:?}");
        wait_alert_gone(b).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn background_is_transparent_in_a_screenshot() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=30")).await;
        b.wait_live().await;
        donate(
            &app,
            &live,
            json!({"amount": 2500, "currency": "EUR", "donor": "Camille", "message": "Allez, on double tout !"}),
        )
        .await;
        eventually("the alert, settled", WAIT, || async {
            b.js(r#"var a = document.getElementById("alert");
                    return !a.hidden && a.getAnimations().every(function (x) { return x.playState === "finished"; });"#)
                .await
                .as_bool()
                .filter(|s| *s)
        })
        .await;
        let rect = b
            .js(r#"var r = document.getElementById("alert").getBoundingClientRect();
                           return [r.left + r.width / 2, r.top + r.height / 2, window.devicePixelRatio,
                                   window.innerWidth, window.innerHeight];"#)
            .await;
        let (w, h, rgba) = decode_png(&b.screenshot().await);
        let k = rect[2].as_f64().unwrap();
        let viewport = (rect[3].as_f64().unwrap() * k, rect[4].as_f64().unwrap() * k);
        assert_eq!((w, h), (viewport.0 as u32, viewport.1 as u32));
        assert!(w >= WIDTH / 2 && h >= HEIGHT / 2, "a real viewport: {w}x{h}");
        let alpha = |x: u32, y: u32| rgba[((y * w + x) * 4 + 3) as usize];
        let (cx, cy) = ((rect[0].as_f64().unwrap() * k) as u32, (rect[1].as_f64().unwrap() * k) as u32);
        assert!(alpha(cx, cy) > 200, "the alert card is drawn (alpha {})", alpha(cx, cy));
        for (x, y) in [(w - 2, h - 2), (w / 2, h - 2), (w - 2, h / 2), (w - 2, 1)] {
            assert_eq!(alpha(x, y), 0, "pixel ({x}, {y}) outside the widget is transparent");
        }
        let transparent = rgba.chunks(4).filter(|p| p[3] == 0).count();
        assert!(transparent > rgba.len() / 4 / 2, "most of the page is transparent");
        b.screenshot_element("#alert", "alert").await;
    })
    .await;
}

#[tokio::test]
async fn page_loads_nothing_from_outside_and_has_a_strict_csp() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let page = url(&app, &live, "", "&sound=1");
    let res = reqwest::get(&page).await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    for part in ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "style-src 'self'"] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>") && !html.contains("style="), "no inline script or style");
    with_browser(async |b| {
        b.goto(&page).await;
        b.js(r#"window.__violations = [];
                document.addEventListener("securitypolicyviolation", function (e) { window.__violations.push(e.blockedURI); });"#)
            .await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
        eventually("the alert", WAIT, || async { (!alert(b).await.is_null()).then_some(()) }).await;
        let loaded = b.js(r#"return performance.getEntriesByType("resource").map(function (e) { return e.name; })
                                .concat([location.href]);"#).await;
        let loaded: Vec<String> = serde_json::from_value(loaded).unwrap();
        assert!(loaded.iter().any(|u| u.ends_with("/static/overlay.js")), "{loaded:?}");
        assert!(loaded.iter().any(|u| u.ends_with("/static/overlay.css")), "{loaded:?}");
        assert!(loaded.iter().any(|u| u.ends_with("/static/alert.wav")), "sound=1 loads our sound: {loaded:?}");
        for u in &loaded {
            assert!(
                u.starts_with(&format!("{}/", app.base)) || u.starts_with(&format!("ws://{}/", app.addr)),
                "{u} is not from our server"
            );
        }
        assert_eq!(b.js("return window.__violations").await, json!([]));
    })
    .await;
    // The files the page loads name no other host.
    for file in ["overlay.js", "overlay.css", "builder.js", "builder.css"] {
        let (s, body) = app.get(&format!("/static/{file}")).await;
        assert_eq!(s, StatusCode::OK, "{file}");
        let body = body.as_str().unwrap();
        assert!(!body.contains("http://") && !body.contains("https://") && !body.contains("@import"), "{file}");
    }
}

#[tokio::test]
async fn every_widget_shows_its_data_and_is_screenshotted() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let ends = from_now(90 * 60);
    let (s, v) = app
        .post(
            &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
            Some(ADMIN),
            json!({"sponsor": "Fondation Exemple", "ratio": [1, 1], "cap": 100000, "ends_at": ends}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A second live of the campaign: its money shows in the campaign totals.
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    donate(&app, &other, json!({"amount": 10000, "currency": "EUR", "donor": "Ailleurs"})).await;
    for (donor, amount) in [("Ana", 2000), ("Hugo", 5000), ("Léa", 1500), ("Ana", 4000)] {
        donate(&app, &live, json!({"amount": amount, "currency": "EUR", "donor": donor})).await;
    }
    donate(&app, &live, json!({"amount": 9000, "currency": "EUR", "donor": "Caché", "anonymous": true})).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "", "&duration=2")).await;
        b.wait_live().await;
        let text = |id: &'static str| async move {
            b.js(&format!("return document.getElementById('{id}').textContent")).await
        };
        // Top donors: the anonymous 90 € is not there, Ana's two gifts add up.
        eventually("top donors", WAIT, || async {
            let names = b.js(r##"return Array.from(document.querySelectorAll("#top-list li")).map(function (li) {
                return li.children[0].textContent + "=" + li.children[1].textContent; });"##).await;
            (names == json!([eur_fr("Ana=60,00_€"), eur_fr("Hugo=50,00_€"), eur_fr("Léa=15,00_€")])).then_some(())
        })
        .await;
        // Matching badge: every donation was doubled (cap 1 000 €, 215 € used by this live + 100 € by the other).
        assert_eq!(text("match-ratio").await, "x2");
        assert_eq!(text("match-sponsor").await, "Fondation Exemple double vos dons\u{a0}!");
        assert_eq!(text("match-left").await, eur_fr("Budget restant_: 685,00_€"));
        let time_left = text("match-time").await;
        assert!(time_left.as_str().unwrap().starts_with("Encore 1 h 2") || time_left.as_str().unwrap().starts_with("Encore 1 h 3"), "{time_left}");
        // Campaign totals include both lives and the matched money: (215 + 100) × 2.
        eventually("campaign totals", WAIT, || async {
            (text("campaign-total").await == eur_fr("630,00_€ / 5~000,00_€")).then_some(())
        })
        .await;
        assert_eq!(text("campaign-name").await, "Restos");
        // Ticker: newest first, the anonymous one labelled.
        let ticker = text("ticker-track").await;
        assert!(ticker.as_str().unwrap().starts_with(&eur_fr("Anonyme 90,00_€Ana 40,00_€Léa 15,00_€")), "{ticker}");
        // Call to action: the URL and a QR code made by the server.
        assert_eq!(text("cta-url").await, "dons.example.org/restos");
        assert_eq!(text("cta-title").await, "Faites un don");
        assert_eq!(b.js("return document.querySelectorAll('#w-cta svg.qr path').length").await, 1);
        // However short the URL, the QR code keeps to the card's right edge (its padding apart).
        let gap = b
            .js(r#"var card = document.getElementById("w-cta"), qr = card.querySelector("svg.qr");
                   return card.getBoundingClientRect().right - qr.getBoundingClientRect().right
                          - parseFloat(getComputedStyle(card).paddingRight)"#)
            .await;
        assert!(gap.as_f64().is_some_and(|g| g.abs() < 1.0), "QR {gap} px from the card's padding");

        // A live donation updates everything at once.
        let lea = donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Léa", "message": "Encore !"})).await;
        eventually("updated widgets", WAIT, || async {
            (text("campaign-total").await == eur_fr("650,00_€ / 5~000,00_€")
                && text("match-left").await == eur_fr("Budget restant_: 675,00_€")
                && text("ticker-track").await.as_str()?.starts_with(&eur_fr("Léa 10,00_€"))
                && alert(b).await["matched"] == eur_fr("doublé_! +10,00_€"))
                .then_some(())
        })
        .await;
        // Ana 60 €, Hugo 50 €, Léa 25 €.
        assert_eq!(text("top-list").await, eur_fr("Ana60,00_€Hugo50,00_€Léa25,00_€"));
        // 4 € of Léa's 10 € are given back, and with them the sponsor's 4 €.
        let path = format!("/api/v1/donations/{}/refund", lea["donation"]["id"].as_str().unwrap());
        let (s, r) = app.post(&path, Some(&live.key), json!({"refunded_amount": 400})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        eventually("a partial refund shown", WAIT, || async {
            (text("top-list").await == eur_fr("Ana60,00_€Hugo50,00_€Léa21,00_€")
                && text("campaign-total").await == eur_fr("642,00_€ / 5~000,00_€")
                && text("match-left").await == eur_fr("Budget restant_: 679,00_€")
                && text("ticker-track").await.as_str()?.starts_with(&eur_fr("Léa 6,00_€")))
                .then_some(())
        })
        .await;
        wait_alert_gone(b).await;

        for (widget, css) in [("ticker", "#w-ticker"), ("top", "#w-top"), ("match", "#w-match"), ("cta", "#w-cta"), ("campaign", "#w-campaign")] {
            b.goto(&url(&app, &live, widget, "")).await;
            b.wait_live().await;
            eventually(&format!("{widget} shown"), WAIT, || async {
                (b.js(&format!("return document.querySelector('{css}').hidden")).await == false).then_some(())
            })
            .await;
            // Let the number tweens and the bar settle before the picture.
            eventually("animations settled", WAIT, || async {
                b.js(r#"return document.getAnimations().filter(function (a) {
                          return a.playState === "running" && !(a.effect && a.effect.target && a.effect.target.id === "ticker-track"); }).length"#)
                    .await
                    .as_u64()
                    .filter(|n| *n == 0)
            })
            .await;
            // The ticker scrolls forever: picture it from its start.
            b.js("document.getAnimations().forEach(function (a) { a.pause(); a.currentTime = 0; })").await;
            b.screenshot_element(css, widget).await;
        }
    })
    .await;
}

#[tokio::test]
async fn matching_badge_hides_without_an_active_match() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    // Used up: a 1 € budget spent by the first donation.
    let (s, _) = app
        .post(
            &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
            Some(ADMIN),
            json!({"sponsor": "Petit sponsor", "ratio": [1, 1], "cap": 100}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    with_browser(async |b| {
        b.goto(&url(&app, &live, "match", "&lang=en")).await;
        b.wait_live().await;
        eventually("badge shown", WAIT, || async {
            (b.js("return document.getElementById('w-match').hidden").await == false).then_some(())
        })
        .await;
        assert_eq!(
            b.js("return document.getElementById('match-sponsor').textContent").await,
            "Petit sponsor doubles your donations!"
        );
        assert_eq!(b.js("return document.getElementById('match-left').textContent").await, "Budget left: €1.00");
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Ana"})).await;
        eventually("badge hidden once the budget is used", WAIT, || async {
            (b.js("return document.getElementById('w-match').hidden").await == true).then_some(())
        })
        .await;
    })
    .await;
}

/// Two sponsors paying at once add up: the badge names both, the factor they
/// make together and each one's budget; once one is used up, the other alone.
#[tokio::test]
async fn two_sponsors_at_once_share_the_matching_badge() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    for (sponsor, ratio, cap) in [("Acme", [1, 1], 1000), ("Boulangerie", [1, 2], 10000)] {
        let path = format!("/api/v1/campaigns/{}/matches", live.campaign_id);
        let (s, v) = app.post(&path, Some(ADMIN), json!({"sponsor": sponsor, "ratio": ratio, "cap": cap})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let badge = "return ['match-ratio', 'match-sponsor', 'match-left'].map(function (id) { \
                 return document.getElementById(id).textContent; })";
    with_browser(async |b| {
        b.goto(&url(&app, &live, "match", "")).await;
        b.wait_live().await;
        let both = json!([
            "x2,5",
            "Acme et Boulangerie abondent vos dons\u{a0}!",
            eur_fr("Budgets restants_: 10,00_€ et 100,00_€")
        ]);
        eventually("both sponsors", WAIT, || async { (b.js(badge).await == both).then_some(()) }).await;
        // 8 € given: 8 € from Acme, 4 € from Boulangerie.
        let d = donate(&app, &live, json!({"amount": 800, "currency": "EUR", "donor": "Ana"})).await;
        assert_eq!(d["donation"]["matched"], 1200, "{d}");
        let after = json!([
            "x2,5",
            "Acme et Boulangerie abondent vos dons\u{a0}!",
            eur_fr("Budgets restants_: 2,00_€ et 96,00_€")
        ]);
        eventually("both budgets down", WAIT, || async { (b.js(badge).await == after).then_some(()) }).await;
        // 4 € more: Acme's last 2 € and 2 € from Boulangerie; Boulangerie alone then.
        donate(&app, &live, json!({"amount": 400, "currency": "EUR", "donor": "Bea"})).await;
        let alone = json!(["x1,5", "Boulangerie abonde vos dons\u{a0}!", eur_fr("Budget restant_: 94,00_€")]);
        eventually("Boulangerie alone", WAIT, || async { (b.js(badge).await == alone).then_some(()) }).await;
        b.goto(&url(&app, &live, "match", "&lang=en")).await;
        b.wait_live().await;
        let en = json!(["x1.5", "Boulangerie matches your donations!", "Budget left: €94.00"]);
        eventually("in English", WAIT, || async { (b.js(badge).await == en).then_some(()) }).await;
    })
    .await;
}

/// The call to action follows the campaign's window as the public pages do:
/// when it opens, then the address and its code, then the thanks at its end's
/// minute, without a reload.
#[tokio::test]
async fn the_call_to_action_follows_the_campaign_s_opening_and_end() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Restos", "currency": "EUR", "donate_url": "https://dons.example.org/restos",
                         "starts_at": "2027-12-03T18:00:00Z"}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&cid, json!({"host": "Ana"})).await;
    let edit = async |body: Value| {
        let path = format!("/api/v1/campaigns/{cid}");
        let (s, v) = app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body.to_string())).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    };
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        b.goto(&url(&app, &live, "cta", "")).await;
        b.wait_live().await;
        let cta = async || {
            b.js("var box = document.getElementById('w-cta');
                  return [box.dataset.state, document.getElementById('cta-title').textContent,
                          getComputedStyle(box.querySelector('.qr')).display, getComputedStyle(document.getElementById('cta-url')).display]")
                .await
        };
        let upcoming = json!(["upcoming", "Ouverture de la collecte\u{a0}: 3 déc., 19:00", "none", "none"]);
        eventually("the opening's date", WAIT, || async { (cta().await == upcoming).then_some(()) }).await;
        b.screenshot_element("#w-cta", "overlay-cta-soon").await;
        edit(json!({"starts_at": null, "ends_at": from_now(3)})).await;
        let open = eventually("the invitation", WAIT, || async {
            let v = cta().await;
            (v[0] == "open").then_some(v)
        })
        .await;
        assert_eq!(open[1], "Faites un don");
        assert_ne!(open[2], "none");
        let over = json!(["ended", "Collecte terminée\u{a0}: merci\u{a0}!", "none", "none"]);
        eventually("the thanks at the end's minute", WAIT, || async { (cta().await == over).then_some(()) }).await;
        b.screenshot_element("#w-cta", "overlay-cta-over").await;
    })
    .await;
}

/// A sponsor's window within the hour is counted down on stream, so that the
/// host can call for it; one further away is not shown yet.
#[tokio::test]
async fn the_matching_badge_counts_down_to_a_window_within_the_hour() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let path = format!("/api/v1/campaigns/{}/matches", live.campaign_id);
    let terms = |sponsor: &str, starts: i64| json!({"sponsor": sponsor, "ratio": [1, 1], "cap": 50000, "starts_at": from_now(starts), "ends_at": from_now(starts + 3600)});
    let (s, v) = app.post(&path, Some(ADMIN), terms("Plus tard", 7200)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    with_browser(async |b| {
        b.goto(&url(&app, &live, "match", "")).await;
        b.wait_live().await;
        let badge = "var t = function (id) { return document.getElementById(id).textContent; };
                     var box = document.getElementById('w-match');
                     return [box.hidden, box.dataset.state || '', t('match-sponsor'), t('match-left'), t('match-time')]";
        assert_eq!(b.js(badge).await[0], true, "two hours away: not shown");
        let (s, v) = app.post(&path, Some(ADMIN), terms("Boulangerie", 600)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let shown = eventually("the countdown", WAIT, || async {
            let v = b.js(badge).await;
            (v[0] == false).then_some(v)
        })
        .await;
        assert_eq!(shown.as_array().unwrap()[1..4], [json!("soon"), json!("Boulangerie doublera vos dons\u{a0}!"), json!(eur_fr("Budget_: 500,00_€"))]);
        let time = shown[4].as_str().unwrap();
        assert!(time.starts_with("Dans 9 min ") || time == "Dans 10 min 00 s", "{time}");
        b.screenshot_element("#w-match", "overlay-match-soon").await;
    })
    .await;
}

#[tokio::test]
async fn the_builder_opened_from_the_dashboard_asks_for_the_link_already_in_obs() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    // Corentin's next live: a builder ticks "follow" by default, a pasted link keeps its own choice.
    app.live(&live.campaign_id, json!({"host": "Corentin"})).await;
    let page = format!("{}/overlay/lives/{}/builder?lang=fr", app.base, live.id);
    with_browser(async |b| {
        // The live's card offers it without replacing the link (which would cut OBS's).
        crate::dashboard::sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        let offered = format!("var a = document.querySelector(\"#lives article[data-live='{}'] [data-f=builder]\"); return a ? a.href : null", live.id);
        eventually("the card's builder link", WAIT, || async {
            (b.js(&offered).await == json!(page)).then_some(())
        })
        .await;
        b.goto(&page).await;
        let shown = "return [!!document.getElementById('link-form'), document.querySelector('.builder').hidden, document.querySelector('#link-form button').textContent]";
        assert_eq!(b.js(shown).await, json!([true, true, "Personnaliser ce lien"]));
        // A link without its token: said so, nothing opened.
        b.js("document.getElementById('link').value = 'https://example.org/overlay'; document.querySelector('#link-form button').click(); return null").await;
        assert_eq!(
            b.js("return document.getElementById('link-error').textContent").await,
            "Ce n'est pas un lien d'overlay\u{a0}: il finit par ?token=… (dans OBS, l'URL de la source Navigateur)."
        );
        // The link from OBS: the builder with its token and its settings, which makes the same link
        // (a French overlay's link, which says no language, stays French from an English builder).
        let obs = url(&app, &live, "goal", "&lang=en&size=150&accent=00ff88&sound=1&catch_up=0");
        b.js(&format!("document.getElementById('link').value = '{obs}'; setTimeout(function () {{ document.querySelector('#link-form button').click(); }}, 0); return null")).await;
        // Read as the page changes: a script run while it navigates is retried.
        let built = "return document.getElementById('url') ? document.getElementById('url').value : null";
        eventually("the builder with the link's token", WAIT, || async {
            let v = b.client.execute(built, vec![]).await.ok()?;
            (v == json!(obs)).then_some(())
        })
        .await;
        assert_eq!(b.js("return document.querySelector('.builder').hidden").await, false);
        assert_eq!(b.js("return location.search").await, json!(format!("?token={}&lang=fr", live.overlay_token)));
        assert_eq!(b.js("return document.getElementById('b-title').textContent").await, "Créateur d'overlay");
        let french = url(&app, &live, "ticker", "&size=120");
        b.goto(&format!("{}/overlay/lives/{}/builder?lang=en", app.base, live.id)).await;
        b.js(&format!("document.getElementById('link').value = '{french}'; setTimeout(function () {{ document.querySelector('#link-form button').click(); }}, 0); return null")).await;
        eventually("the French link given back as it was", WAIT, || async {
            let v = b.client.execute(built, vec![]).await.ok()?;
            (v == json!(french)).then_some(())
        })
        .await;
        assert_eq!(b.js("return document.getElementById('b-title').textContent").await, "Overlay builder");
    })
    .await;
    // A wrong token is refused as before; none, the page asks for the link.
    let (s, _) = app.get(&format!("/overlay/lives/{}/builder?token=wrong", live.id)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get(&format!("/overlay/campaigns/{}/builder", live.campaign_id)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn builder_previews_a_widget_and_produces_its_url() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let (s, _) = app.get(&format!("/overlay/lives/{}/builder?token=wrong", live.id)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get(&format!("/overlay/lives/{}/nope?token={}", live.id, live.overlay_token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    with_browser(async |b| {
        b.goto(&url(&app, &live, "builder", "&lang=en")).await;
        assert_eq!(b.js("return document.getElementById('b-title').textContent").await, "Overlay builder");
        b.js(r##"var f = document.getElementById("form");
                f.elements.widget.value = "goal";
                f.elements.lang.value = "en";
                f.elements.size.value = "150";
                f.elements.accent.value = "#00ff88";
                f.dispatchEvent(new Event("change"));"##)
            .await;
        let expected = format!(
            "{}/overlay/lives/{}/goal?token={}&lang=en&size=150&accent=00ff88",
            app.base, live.id, live.overlay_token
        );
        assert_eq!(b.js("return document.getElementById('url').value").await, expected);
        assert_eq!(b.js("return document.getElementById('preview').src").await, expected);
        // The goal bar's 800 × 160 source, at 150 %: the widget grows, so must the source.
        assert_eq!(
            b.js("return document.getElementById('size-hint').textContent").await,
            "Suggested source size: 1200 × 240"
        );
        assert_eq!(b.js("return document.getElementById('preview').style.width").await, "1200px");
        // Alerts catch up after a burst unless told not to.
        b.js(r##"var f = document.getElementById("form");
                f.elements.widget.value = "alert";
                f.elements.catch_up.checked = false;
                f.elements.goal_alert.checked = false;
                f.elements.poll_alert.checked = false;
                f.elements.milestones.checked = false;
                f.elements.big.value = "50";
                f.elements.tts.checked = true;
                f.elements.tts_name.checked = true;
                f.elements.tts_min.value = "5";
                f.elements.tts_voice.value = "Denise";
                f.dispatchEvent(new Event("change"));"##)
            .await;
        let url_now = b.js("return document.getElementById('url').value").await;
        assert!(url_now.as_str().unwrap().ends_with("&tts=1&tts_name=1&catch_up=0&goal_alert=0&poll_alert=0&milestones=0"), "{url_now}");
        assert!(url_now.as_str().unwrap().contains("&size=150&big=50&tts_min=5&tts_voice=Denise"), "{url_now}");
        b.js(r##"var f = document.getElementById("form");
                f.elements.big.value = "";
                f.elements.tts.checked = false;
                f.elements.tts_name.checked = false;
                f.elements.tts_min.value = "";
                f.elements.tts_voice.value = "";
                f.elements.widget.value = "goal";
                f.elements.catch_up.checked = true;
                f.elements.goal_alert.checked = true;
                f.elements.poll_alert.checked = true;
                f.elements.milestones.checked = true;
                f.dispatchEvent(new Event("change"));"##)
            .await;
        assert_eq!(b.js("return document.getElementById('url').value").await, expected);
        // The credits roll: its speed, each donor's amount, once only; it fills its
        // source and scales with it, whatever its size.
        b.js(r##"var f = document.getElementById("form");
                f.elements.widget.value = "credits";
                f.elements.speed.value = "50";
                f.elements.credits_amounts.checked = true;
                f.elements.loop.checked = false;
                f.elements.credits_order.value = "name";
                f.dispatchEvent(new Event("change"));"##)
            .await;
        assert_eq!(
            b.js("return [document.getElementById('url').value, document.getElementById('size-hint').textContent]").await,
            json!([
                format!(
                    "{}/overlay/lives/{}/credits?token={}&lang=en&size=150&speed=50&credits_order=name&accent=00ff88&credits_amounts=1&loop=0",
                    app.base, live.id, live.overlay_token
                ),
                "Suggested source size: 1280 × 720"
            ])
        );
        b.js(r##"var f = document.getElementById("form");
                f.elements.widget.value = "goal";
                f.elements.speed.value = "";
                f.elements.credits_amounts.checked = false;
                f.elements.loop.checked = true;
                f.elements.credits_order.value = "";
                f.dispatchEvent(new Event("change"));"##)
            .await;
        assert_eq!(b.js("return document.getElementById('url').value").await, expected);
        // The marathon timer: its rule, shown only on a live's builder.
        b.js(r##"var f = document.getElementById("form");
                f.elements.widget.value = "timer";
                f.elements.timer_step.value = "5";
                f.elements.timer_add.value = "2";
                f.elements.timer_max.value = "300";
                f.dispatchEvent(new Event("change"));"##)
            .await;
        assert_eq!(
            b.js("return [document.getElementById('url').value, document.getElementById('size-hint').textContent, document.getElementById('timer').hidden]").await,
            json!([
                format!(
                    "{}/overlay/lives/{}/timer?token={}&lang=en&size=150&timer_step=5&timer_add=2&timer_max=300&accent=00ff88",
                    app.base, live.id, live.overlay_token
                ),
                "Suggested source size: 1200 × 390",
                false
            ])
        );
        b.js(r##"var f = document.getElementById("form");
                f.elements.widget.value = "goal";
                ["timer_step", "timer_add", "timer_max"].forEach(function (n) { f.elements[n].value = ""; });
                f.dispatchEvent(new Event("change"));"##)
            .await;
        assert_eq!(b.js("return document.getElementById('url').value").await, expected);
        // The ticker spans the canvas at any size: only its height follows; the
        // scene of every widget scales with its source by itself.
        let hint_for = |widget: &'static str| async move {
            b.client
                .execute(
                    "var f = document.getElementById('form'); f.elements.widget.value = arguments[0]; \
                     f.dispatchEvent(new Event('change')); return document.getElementById('size-hint').textContent;",
                    vec![json!(widget)],
                )
                .await
                .expect("script")
        };
        assert_eq!(hint_for("ticker").await, "Suggested source size: 1920 × 120");
        assert_eq!(hint_for("all").await, "Suggested source size: 1280 × 720");
        assert_eq!(hint_for("goal").await, "Suggested source size: 1200 × 240");
        // The preview is the real widget, with the chosen settings applied: the
        // frame's document the one of its last address (each choice above
        // pointed it elsewhere), live.
        b.wait_frame_live("preview").await;
        b.client.enter_frame(0).await.expect("enter the preview frame");
        eventually("the previewed goal bar", WAIT, || async {
            let v = b
                .js(r#"var t = document.getElementById("goal-title");
                return t ? [t.textContent,
                getComputedStyle(document.documentElement).getPropertyValue("--accent").trim(),
                getComputedStyle(document.body).fontSize] : null"#)
                .await;
            (v == json!(["Live goal", "#00ff88", "24px"])).then_some(())
        })
        .await;
        b.client.enter_parent_frame().await.expect("leave the frame");
        b.screenshot_element(".builder", "builder").await;
        // The ticker's 1920 px source is scaled down into the page: nothing scrolls sideways.
        let v = b
            .js(r#"var f = document.getElementById("form");
                   f.elements.widget.value = "ticker";
                   f.dispatchEvent(new Event("change"));
                   var box = document.getElementById("preview-box").getBoundingClientRect();
                   return [document.documentElement.scrollWidth <= window.innerWidth, box.right <= window.innerWidth,
                           document.getElementById("preview").style.transform !== "scale(1)"]"#)
            .await;
        assert_eq!(v, json!([true, true, true]), "the builder fits a {WIDTH} px window");
        // On a phone too: one column as wide as the screen, the preview scaled into it.
        b.client.set_window_size(390, 844).await.expect("phone size");
        let fits = || {
            b.js(r#"var box = document.getElementById("preview-box").getBoundingClientRect();
                   return [document.documentElement.scrollWidth <= window.innerWidth, box.right <= window.innerWidth]"#)
        };
        eventually("the builder fits a phone", WAIT, || async { (fits().await == json!([true, true])).then_some(()) })
            .await;
    })
    .await;
}

#[tokio::test]
async fn demo_command_serves_moving_overlays() {
    // The demo starts once the browser is ours: its donations would otherwise pile
    // up (and use up its match) while other tests hold the browser.
    with_browser(async |b| {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(crate::helpers::binary())
            .args(["--listen", "127.0.0.1:0", "demo", "--every", "0.3"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start cagnotte demo");
        let pid = child.id().expect("pid");
        let data_dir = std::env::temp_dir().join(format!("cagnotte-demo-{pid}"));
        // If the test fails, the demo is killed without its own cleanup: ours runs.
        struct RemoveOnDrop(std::path::PathBuf);
        impl Drop for RemoveOnDrop {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
        let _cleanup = RemoveOnDrop(data_dir.clone());
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = Vec::new();
        let page = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.expect("demo output") {
                printed.push(line.clone());
                if line.starts_with("Live key:") {
                    break;
                }
            }
            printed.iter().find(|l| l.trim_start().starts_with("all widgets")).cloned()
        })
        .await
        .expect("the demo prints its URLs")
        .expect("an URL for all widgets");
        let page = page.split_whitespace().last().unwrap().to_owned();
        for widget in ["alert", "goal", "campaign", "match", "poll", "rewards", "ticker", "top", "latest", "cta", "milestones", "countdown", "credits"] {
            assert!(printed.iter().any(|l| l.contains(&format!("/{widget}?token="))), "{widget}: {printed:?}");
        }
        let campaign = printed.iter().find(|l| l.trim_start().starts_with("whole campaign")).unwrap();
        assert!(campaign.contains("/overlay/campaigns/") && campaign.contains("?token=ot_"), "{campaign}");
        assert!(data_dir.exists(), "the demo data lives in {}", data_dir.display());
        // Its host offers two rewards before it prints its links.
        let public = printed.iter().find(|l| l.trim_start().starts_with("public page")).unwrap();
        let doc = public.split_whitespace().last().unwrap().replace("/lives/", "/api/v1/lives/");
        let doc: serde_json::Value = reqwest::get(&doc).await.unwrap().json().await.unwrap();
        let offered: Vec<_> = doc["rewards"].as_array().unwrap().iter().map(|r| r["tag"].as_str().unwrap().to_owned()).collect();
        assert_eq!(offered, ["croquis", "pseudo"]);
        // The chat bot's line and the calendar answer at the URLs printed.
        for (needle, want) in [("/chat?follow=host", "récoltés pour"), ("/calendar.ics?follow=host", "BEGIN:VCALENDAR")] {
            let url = printed.iter().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}: {printed:?}"));
            let body = reqwest::get(url.split_whitespace().last().unwrap()).await.unwrap().text().await.unwrap();
            assert!(body.contains(want), "{needle}: {body}");
        }

        b.goto(&page).await;
        b.wait_live().await;
        eventually("a simulated donation's alert", WAIT, || async { (!alert(b).await.is_null()).then_some(()) }).await;
        let total = || async { b.js("return document.getElementById('campaign-total').textContent").await };
        let first = eventually("the campaign total", WAIT, || async {
            let t = total().await;
            (t.as_str().is_some_and(|s| !s.is_empty())).then_some(t)
        })
        .await;
        eventually("the campaign total moves", WAIT, || async { (total().await != first).then_some(()) }).await;
        eventually("every widget of the demo on screen", WAIT, || async {
            let hidden = b
                .js(r#"return ["w-match", "w-cta", "w-ticker", "w-top", "w-goal", "w-campaign", "w-poll"]
                        .filter(function (id) { return document.getElementById(id).hidden; })"#)
                .await;
            (hidden == json!([])).then_some(())
        })
        .await;
        // The demo's host has set a challenge: under the goal bar.
        let challenge = b
            .js("var c = document.getElementById('goal-challenge'); \
                 return c.hidden ? null : document.getElementById('challenge-label').textContent")
            .await;
        assert!(challenge.as_str().is_some_and(|t| t.starts_with("Défi\u{a0}: ")), "{challenge}");
        // Its milestones are marked on the goal bar, the next one named under it
        // (unless the simulated donors have already reached both).
        let v = b
            .js("var n = document.getElementById('goal-next'), marks = document.querySelectorAll('#goal-track .goal-mark');
                 return [n.hidden ? null : n.textContent, marks.length, document.querySelectorAll('#goal-track .goal-mark.reached').length]")
            .await;
        assert_eq!(v[1], 2, "{v}");
        assert!(v[0].as_str().is_some_and(|t| t.starts_with("Prochain palier\u{a0}: ")) || v[2] == 2, "{v}");
        // And put a poll to the donors, some of whom vote.
        // (With the no-break space French wants before its "?".)
        assert_eq!(
            b.js("return document.getElementById('poll-question').textContent").await,
            "Quel jeu ensuite\u{a0}?"
        );
        // In OBS at the card's suggested size (640 × 280) the donation URL is longer
        // than the card is wide: the line breaks after a `/`, never inside a word
        // (each part between breaks lies on one line).
        let cta = printed.iter().find(|l| l.trim_start().starts_with("call to action")).unwrap();
        // (The source's size, not the window's: a window of 640 × 280 leaves the
        // page less than that, and a card taller than its page is drawn smaller.)
        b.set_viewport(640, 280).await;
        b.goto(cta.split_whitespace().last().unwrap()).await;
        b.wait_live().await;
        let parts = b
            .js(r#"var url = document.getElementById("cta-url");
                   return Array.from(url.childNodes).filter(function (n) { return n.nodeType === 3; })
                     .map(function (n) { var r = document.createRange(); r.selectNode(n);
                                         return [n.textContent, r.getClientRects().length, r.getBoundingClientRect().top]; })"#)
            .await;
        let lines: Vec<_> = parts.as_array().unwrap().iter().map(|p| (p[0].clone(), p[1].clone())).collect();
        assert_eq!(
            lines,
            [("dons.example.org/", 1), ("doubletesdons/", 1), ("corentin", 1)].map(|(t, n)| (json!(t), json!(n))),
            "{parts}"
        );
        assert!(parts[2][2].as_f64() > parts[0][2].as_f64(), "the URL takes two lines here: {parts}");
        b.client.set_window_size(WIDTH, HEIGHT).await.expect("the usual size");
        // The demo's live is on air: its public page says so.
        let public = page.replace("/overlay/lives/", "/lives/");
        let public = format!("{}?lang=en", public.split('?').next().unwrap());
        b.goto(&public).await;
        eventually("the demo live on air", WAIT, || async {
            let v = b
                .js(r#"return [document.getElementById("status").textContent,
                        document.getElementById("campaign-link").textContent,
                        document.getElementById("charity").textContent]"#)
                .await;
            (v == json!(["Live now", "#Doubletesdons", "Les Restos du cœur"])).then_some(())
        })
        .await;
        // The host's space, opened with the host key its link carries.
        let host = printed.iter().find(|l| l.trim_start().starts_with("host's space")).unwrap();
        let host = host.split_whitespace().last().unwrap();
        assert!(host.contains("/host#key=ht_"), "{host}");
        b.goto(host).await;
        eventually("the host's space of the demo live", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "ready").then_some(())
        })
        .await;

        // Half a minute in, the demo's host draws a prize: the host's space names the winner.
        eventually("the demo's first draw", Duration::from_secs(60), || async {
            let first = b.js("var d = document.querySelector('#draws > li'); return d ? d.textContent : null").await;
            first.as_str().is_some_and(|t| t.starts_with("Un dessin original — ")).then_some(())
        })
        .await;

        // The charity's space, opened with the key its link carries: the campaign's figures.
        let charity = printed.iter().find(|l| l.trim_start().starts_with("charity's space")).unwrap();
        let charity = charity.split_whitespace().last().unwrap();
        assert!(charity.contains("/charity#key=rk_"), "{charity}");
        b.goto(charity).await;
        eventually("the charity's space of the demo campaign", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "ready").then_some(())
        })
        .await;

        // ctrl-c / SIGTERM: a clean stop that throws the demo data away.
        let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
        assert!(killed.success());
        let status = tokio::time::timeout(WAIT, child.wait()).await.expect("the demo stops").expect("wait");
        assert!(status.success(), "{status}");
        assert!(!data_dir.exists(), "demo data removed");
    })
    .await;
}

#[tokio::test]
async fn campaign_widgets_follow_the_other_lives_of_the_campaign() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
            Some(ADMIN),
            json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 5000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    with_browser(async |b| {
        // The campaign's document read every 300 s: what moves, the campaign's totals stream brings.
        b.goto(&url(&app, &live, "", "&widgets=campaign,match,lives&refresh=300&lang=en")).await;
        b.wait_live().await;
        let text = |id: &'static str| async move {
            b.js(&format!("return document.getElementById('{id}').textContent")).await
        };
        eventually("campaign total at zero", WAIT, || async {
            (text("campaign-total").await == "€0.00 / €5,000.00").then_some(())
        })
        .await;
        assert_eq!(text("match-left").await, "Budget left: €50.00");
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ici"})).await;
        eventually("this live's gift", WAIT, || async {
            (text("campaign-total").await == "€20.00 / €5,000.00").then_some(())
        })
        .await;
        wait_lives_ranking(b, json!([["Corentin", "€20.00"]])).await;
        // 30 € on another live: doubled, 30 € more of the 50 € budget used; Inès first.
        donate(&app, &other, json!({"amount": 3000, "currency": "EUR", "donor": "Ailleurs"})).await;
        eventually("campaign total, budget and ranking from the other live", WAIT, || async {
            (text("campaign-total").await == "€80.00 / €5,000.00" && text("match-left").await == "Budget left: €10.00")
                .then_some(())
        })
        .await;
        wait_lives_ranking(b, json!([["Inès", "€60.00"], ["Corentin", "€20.00"]])).await;
        // The other live uses the rest of the budget: the badge goes away here too.
        donate(&app, &other, json!({"amount": 5000, "currency": "EUR", "donor": "Ailleurs"})).await;
        eventually("the badge hides once the budget is used elsewhere", WAIT, || async {
            (b.js("return document.getElementById('w-match').hidden").await == true).then_some(())
        })
        .await;
        eventually("the campaign total with the second gift", WAIT, || async {
            (text("campaign-total").await == "€140.00 / €5,000.00").then_some(())
        })
        .await;
    })
    .await;
}

/// Another live's hundred gifts in a burst reach a live's page through the
/// campaign's totals stream, the last one counted; this live's own gift that
/// crosses the campaign's goal is announced before the goal.
#[tokio::test]
async fn a_busy_campaign_s_gifts_reach_a_live_s_page_as_its_totals() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "", "&widgets=alert,campaign,lives&duration=1&refresh=300&lang=en")).await;
        b.wait_live().await;
        record_alerts(b).await;
        let total = || async { b.js("return document.getElementById('campaign-total').textContent").await };
        // 100 gifts of 1,00 € to 1,99 €.
        app.gifts(&other, 100).await;
        eventually("a hundred gifts elsewhere", WAIT, || async {
            (total().await == "€149.50 / €5,000.00").then_some(())
        })
        .await;
        wait_lives_ranking(b, json!([["Inès", "€149.50"]])).await;
        // 4 900 € here: past the live's goal and the campaign's (5 049,50 €), after its own alert.
        donate(&app, &live, json!({"amount": 490000, "currency": "EUR", "donor": "Ana"})).await;
        wait_recorded(b, &["Ana €4,900.00", "Live goal reached! €1,000.00", "Campaign goal reached! €5,000.00"]).await;
        assert_eq!(total().await, "€5,049.50 / €5,000.00");
        wait_lives_ranking(b, json!([["Corentin", "€4,900.00"], ["Inès", "€149.50"]])).await;
        assert_eq!(recorded(b).await.len(), 3);
    })
    .await;
}

#[tokio::test]
async fn moderation_holds_an_alert_until_its_text_is_released_and_test_alerts_show() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let (s, v) = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/lives/{}/moderation", live.id),
            Some(ADMIN),
            &[],
            Some(json!({"mode": "manual"}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    with_browser(async |b| {
        b.goto(&url(&app, &live, "", "&widgets=alert,goal,ticker&duration=1")).await;
        b.wait_live().await;
        record_alerts(b).await;
        let held = donate(
            &app,
            &live,
            json!({"amount": 1000, "currency": "EUR", "donor": "Patience", "message": "à valider"}),
        )
        .await;
        let held_id = held["donation"]["id"].as_str().unwrap().to_owned();
        assert_eq!(held["donation"]["moderation"], "pending", "{held}");
        // A test alert is not held back by the pending one, and counts nowhere.
        let (s, v) = app
            .post(
                &format!("/api/v1/lives/{}/test-alert", live.id),
                Some(&live.key),
                json!({"donor": "Essai", "message": "Ceci est un test", "amount": 300}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let a = eventually("the test alert", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Essai").then_some(a)
        })
        .await;
        assert_eq!(a["amount"], eur_fr("3,00_€"));
        assert_eq!(a["message"], "Ceci est un test");
        wait_alert_gone(b).await;
        assert_eq!(recorded(b).await, [eur_fr("Essai 3,00_€")], "the pending donation waits");
        eventually("the goal counts the real donation only", WAIT, || async {
            (b.js("return document.getElementById('goal-label').textContent").await == eur_fr("10,00_€ / 1~000,00_€"))
                .then_some(())
        })
        .await;
        assert_eq!(
            b.js("return document.getElementById('ticker-track').textContent").await,
            "",
            "no name on air before approval"
        );
        // Approved: the alert goes on air with the donor's text.
        let (s, v) = app.post(&format!("/api/v1/donations/{held_id}/approve"), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let a = eventually("the approved alert", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Patience").then_some(a)
        })
        .await;
        assert_eq!(a["message"], "à valider");
        eventually("the ticker shows the approved name", WAIT, || async {
            (b.js("return document.getElementById('ticker-track').textContent")
                .await
                .as_str()?
                .starts_with(&eur_fr("Patience 10,00_€")))
            .then_some(())
        })
        .await;
        wait_alert_gone(b).await;
        // Hidden by the moderator: the alert shows the amount without the text.
        let v = donate(
            &app,
            &live,
            json!({"amount": 500, "currency": "EUR", "donor": "Grossier", "message": "pas pour le live"}),
        )
        .await;
        let id = v["donation"]["id"].as_str().unwrap();
        let (s, v) = app
            .post(&format!("/api/v1/donations/{id}/hide"), Some(ADMIN), json!({"donor": true, "message": true}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let a = eventually("the hidden-text alert", WAIT, || async {
            let a = alert(b).await;
            (a["amount"] == eur_fr("5,00_€")).then_some(a)
        })
        .await;
        assert_eq!(a["donor"], "Anonyme");
        assert_eq!(a["message"], Value::Null);
        wait_alert_gone(b).await;
        assert_eq!(recorded(b).await, [eur_fr("Essai 3,00_€"), eur_fr("Patience 10,00_€"), eur_fr("Anonyme 5,00_€")]);
    })
    .await;
}

#[tokio::test]
async fn milestones_of_the_live_and_of_the_campaign_show_once() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    for body in [
        json!({"amount": 2000, "label": "On chante !", "live_id": live.id}),
        json!({"amount": 5000, "label": "Cap des 50 €"}),
    ] {
        let (s, v) = app.post(&format!("/api/v1/campaigns/{}/milestones", live.campaign_id), Some(ADMIN), body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=1&refresh=2")).await;
        b.wait_live().await;
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 2500, "currency": "EUR", "donor": "Ana"})).await;
        let live_milestone = eventually("the live's milestone", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Palier atteint\u{a0}!").then_some(a)
        })
        .await;
        assert_eq!(live_milestone["amount"], eur_fr("20,00_€"));
        assert_eq!(live_milestone["message"], "On chante !");
        // The campaign's milestone is crossed on another live.
        donate(&app, &other, json!({"amount": 3000, "currency": "EUR", "donor": "Ailleurs"})).await;
        let expected = [eur_fr("Ana 25,00_€"), eur_fr("Palier atteint_! 20,00_€"), eur_fr("Palier atteint_! 50,00_€")];
        wait_recorded(b, &expected.iter().map(String::as_str).collect::<Vec<_>>()).await;
        wait_alert_gone(b).await;
        // More money, later polls: no milestone comes back.
        donate(&app, &live, json!({"amount": 100, "currency": "EUR", "donor": "Léa"})).await;
        let mut all = expected.to_vec();
        all.push(eur_fr("Léa 1,00_€"));
        wait_recorded(b, &all.iter().map(String::as_str).collect::<Vec<_>>()).await;
        wait_alert_gone(b).await;
        assert_eq!(recorded(b).await, all);
    })
    .await;
}

#[tokio::test]
async fn a_goal_crossed_on_air_is_an_alert_of_its_own_once() {
    let app = spawn_app().await;
    // The live's goal is 1 000,00 €, the campaign's 5 000,00 €.
    let live = setup(&app).await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    with_browser(async |b| {
        // The campaign's document read every 300 s: the campaign's totals stream brings its goal crossed elsewhere.
        b.goto(&url(&app, &live, "alert", "&duration=1&refresh=300")).await;
        b.wait_live().await;
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 60000, "currency": "EUR", "donor": "Ana"})).await;
        let bea = donate(&app, &live, json!({"amount": 50000, "currency": "EUR", "donor": "Bea"})).await;
        let goal = eventually("the live's goal alert", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Objectif du live atteint\u{a0}!").then_some(a)
        })
        .await;
        assert_eq!(goal["amount"], eur_fr("1~000,00_€"));
        assert_eq!(goal["message"], "Merci à toutes et à tous\u{a0}!");
        assert_eq!(goal["matched"], Value::Null);
        // Past the goal, more money is no new goal alert; the campaign's goal,
        // crossed by a donation to another live, is seen at once.
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Léa"})).await;
        donate(&app, &other, json!({"amount": 400000, "currency": "EUR", "donor": "Ailleurs"})).await;
        let expected = [
            eur_fr("Ana 600,00_€"),
            eur_fr("Bea 500,00_€"),
            eur_fr("Objectif du live atteint_! 1~000,00_€"),
            eur_fr("Léa 10,00_€"),
            eur_fr("Objectif de la campagne atteint_! 5~000,00_€"),
        ];
        wait_recorded(b, &expected.iter().map(String::as_str).collect::<Vec<_>>()).await;
        wait_alert_gone(b).await;
        // Opened again past both goals: Bea's refund takes the live below its
        // goal (610,00 €) and a donation crosses it again, already celebrated.
        b.goto(&url(&app, &live, "alert", "&duration=1&refresh=2&lang=en")).await;
        b.wait_live().await;
        record_alerts(b).await;
        let id = bea["donation"]["id"].as_str().unwrap();
        let (s, v) = app.post(&format!("/api/v1/donations/{id}/refund"), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        donate(&app, &live, json!({"amount": 90000, "currency": "EUR", "donor": "Yann"})).await;
        wait_recorded(b, &["Yann €900.00"]).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(recorded(b).await, ["Yann €900.00"]);
    })
    .await;

    // A goal that a milestone of the same amount marks is left to the
    // milestone; `goal_alert=0` leaves goals out.
    let c = app.campaign(json!({"name": "Noël", "currency": "EUR", "goal": 10000})).await;
    let campaign_id = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&campaign_id, json!({"host": "Maël", "goal": 5000})).await;
    let body = json!({"amount": 5000, "label": "Le live a son objectif", "live_id": live.id});
    let (s, v) = app.post(&format!("/api/v1/campaigns/{campaign_id}/milestones"), Some(ADMIN), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=1")).await;
        b.wait_live().await;
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 6000, "currency": "EUR", "donor": "Ana"})).await;
        wait_recorded(b, &[&eur_fr("Ana 60,00_€"), &eur_fr("Palier atteint_! 50,00_€")]).await;
        wait_alert_gone(b).await;
        b.goto(&url(&app, &live, "alert", "&duration=1&goal_alert=0")).await;
        b.wait_live().await;
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 5000, "currency": "EUR", "donor": "Bea"})).await;
        wait_recorded(b, &[&eur_fr("Bea 50,00_€")]).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(recorded(b).await, [eur_fr("Bea 50,00_€")], "the campaign's goal crossed, goal_alert=0");
    })
    .await;
}

/// A sponsor who starts matching on air is an alert of its own (its budget and
/// until when), once; `match_alert=0` leaves it to the matching badge.
#[tokio::test]
async fn a_sponsor_starting_to_match_on_air_is_an_alert() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let path = format!("/api/v1/campaigns/{}/matches", live.campaign_id);
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        b.goto(&url(&app, &live, "alert", "&duration=3")).await;
        b.wait_live().await;
        let ends = from_now(3600);
        let (s, v) = app
            .post(&path, Some(ADMIN), json!({"sponsor": "Boulangerie", "ratio": [1, 1], "cap": 50000, "ends_at": ends}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let until = crate::dashboard::on(b, &ends, "return new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit' }).format(new Date(arguments[0]))").await;
        let shown = eventually("the sponsor's alert", WAIT, || async {
            let a = alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!(
            (&shown["donor"], &shown["amount"], &shown["message"]),
            (
                &json!("Dons doublés\u{a0}!"),
                &json!(eur_fr("500,00_€")),
                &json!(format!("Boulangerie double vos dons jusqu'à {}\u{a0}!", until.as_str().unwrap()))
            )
        );
        b.screenshot_element("#alert", "overlay-match-alert").await;
        wait_alert_gone(b).await;
        // Off on this overlay: the badge alone says it.
        b.goto(&url(&app, &live, "alert", "&duration=3&match_alert=0")).await;
        b.wait_live().await;
        let (s, v) = app.post(&path, Some(ADMIN), json!({"sponsor": "Fromagerie", "ratio": [1, 2], "cap": 10000})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(alert(b).await, Value::Null);
    })
    .await;
}

#[tokio::test]
async fn a_replayed_alert_shows_again_as_the_donation_is_now() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let replay = async |id: &str| {
        let (s, v) = app.post(&format!("/api/v1/donations/{id}/replay"), Some(&host), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    };
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=1&min_alert=20")).await;
        b.wait_live().await;
        record_alerts(b).await;
        let ana =
            donate(&app, &live, json!({"amount": 2500, "currency": "EUR", "donor": "Ana", "message": "Allez !"})).await;
        let ana = ana["donation"]["id"].as_str().unwrap().to_owned();
        wait_recorded(b, &[&eur_fr("Ana 25,00_€")]).await;
        wait_alert_gone(b).await;
        // Its name hidden since: the replay shows it as it is now.
        let (s, v) = app.post(&format!("/api/v1/donations/{ana}/hide"), Some(ADMIN), json!({"donor": true})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        replay(&ana).await;
        let a = eventually("the replayed alert", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Anonyme").then_some(a)
        })
        .await;
        assert_eq!((a["amount"].clone(), a["message"].clone()), (json!(eur_fr("25,00_€")), json!("Allez !")));
        wait_alert_gone(b).await;
        // Under `min_alert`, no alert; asked for, it shows.
        let bob = donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Bob"})).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(recorded(b).await, [eur_fr("Ana 25,00_€"), eur_fr("Anonyme 25,00_€")]);
        replay(bob["donation"]["id"].as_str().unwrap()).await;
        let expected = [eur_fr("Ana 25,00_€"), eur_fr("Anonyme 25,00_€"), eur_fr("Bob 5,00_€")];
        wait_recorded(b, &expected.iter().map(String::as_str).collect::<Vec<_>>()).await;
        wait_alert_gone(b).await;
        // Opened again: nothing shows twice.
        b.goto(&url(&app, &live, "alert", "&duration=1&min_alert=20")).await;
        b.wait_live().await;
        record_alerts(b).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(recorded(b).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_big_donation_gets_a_bigger_longer_alert() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=2&big=50")).await;
        b.wait_live().await;
        // What the alert on screen is: its donor, whether big, how long it stays, its title's size.
        let shown = r#"var a = document.getElementById("alert");
            if (a.hidden) return null;
            var key = Object.keys(localStorage).filter(function (k) { return /:current$/.test(k); })[0];
            var c = JSON.parse(localStorage.getItem(key));
            return [document.getElementById("alert-donor").textContent, a.classList.contains("big"), c.until - c.since,
                    getComputedStyle(a.querySelector(".alert-head")).fontSize];"#;
        let wait_for = async |donor: &str| {
            eventually(&format!("{donor}'s alert"), WAIT, || async {
                let v = b.js(shown).await;
                (v[0] == donor).then_some(v)
            })
            .await
        };
        donate(&app, &live, json!({"amount": 4999, "currency": "EUR", "donor": "Ana"})).await;
        assert_eq!(wait_for("Ana").await, json!(["Ana", false, 2000, "28px"]));
        wait_alert_gone(b).await;
        donate(&app, &live, json!({"amount": 5000, "currency": "EUR", "donor": "Bea"})).await;
        assert_eq!(wait_for("Bea").await, json!(["Bea", true, 3000, "35.2px"]), "from 50,00 €, half as long again");
        let border = b.js("return getComputedStyle(document.getElementById('alert')).borderTopStyle").await;
        assert_eq!(border, "solid");
        wait_alert_gone(b).await;
    })
    .await;
}

#[tokio::test]
async fn a_challenge_shows_under_the_goal_bar_and_its_success_is_an_alert() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "", "&widgets=alert,goal&duration=1")).await;
        b.wait_live().await;
        record_alerts(b).await;
        let line = "var c = document.getElementById('goal-challenge'); \
                    return c.hidden ? null : [document.getElementById('challenge-label').textContent, \
                      document.getElementById('challenge-time').textContent, \
                      document.getElementById('challenge-amounts').textContent, c.dataset.met];";
        assert_eq!(b.js(line).await, Value::Null, "no challenge yet");
        // Set by the host on air: 20 € more in 5 minutes, from the live's 10 €.
        let path = format!("/api/v1/lives/{}/challenges", live.id);
        let (s, c) = app.post(&path, Some(&host), json!({"label": "Je chante", "amount": 2000, "minutes": 5})).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let v = eventually("the challenge under the goal bar", WAIT, || async {
            let v = b.js(line).await;
            (!v.is_null()).then_some(v)
        })
        .await;
        assert_eq!(
            (v[0].clone(), v[2].clone(), v[3].clone()),
            (json!("Défi\u{a0}: Je chante"), json!(eur_fr("0,00_€ / 20,00_€")), json!(""))
        );
        let time = v[1].as_str().unwrap();
        assert!(time.starts_with("encore 4 min ") || time == "encore 5 min 00 s", "{time}");
        donate(&app, &live, json!({"amount": 1500, "currency": "EUR", "donor": "Bea"})).await;
        eventually("15 € of 20", WAIT, || async {
            (b.js(line).await[2] == eur_fr("15,00_€ / 20,00_€")).then_some(())
        })
        .await;
        // Met: its own alert after the donation, and the line says so.
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Cléo"})).await;
        let expected = [eur_fr("Bea 15,00_€"), eur_fr("Cléo 10,00_€"), eur_fr("Défi réussi_! 20,00_€")];
        wait_recorded(b, &expected.iter().map(String::as_str).collect::<Vec<_>>()).await;
        assert_eq!(
            b.js(line).await,
            json!(["Défi\u{a0}: Je chante", "Défi réussi\u{a0}!", eur_fr("20,00_€ / 20,00_€"), "1"])
        );
        // Opened again within the minute (OBS opens a source again when its
        // scene comes back): still met.
        b.goto(&url(&app, &live, "", "&widgets=alert,goal&duration=1&lang=en")).await;
        b.wait_live().await;
        let met = json!(["Challenge: Je chante", "Challenge met!", "€20.00 / €20.00", "1"]);
        assert_eq!(b.js(line).await, met);
        // In English, a new one.
        let (s, c2) = app.post(&path, Some(&host), json!({"label": "I dance", "amount": 500, "minutes": 10})).await;
        assert_eq!(s, StatusCode::CREATED, "{c2}");
        let v = eventually("the English challenge", WAIT, || async {
            let v = b.js(line).await;
            (v[0] == "Challenge: I dance").then_some(v)
        })
        .await;
        assert_eq!((v[0].clone(), v[2].clone()), (json!("Challenge: I dance"), json!("€0.00 / €5.00")));
        assert!(v[1].as_str().unwrap().ends_with(" left"), "{v}");
        // Called off by the host: it goes at once, the one met in its minute shows again.
        let (s, v) = app
            .request(reqwest::Method::DELETE, &format!("{path}/{}", c2["id"].as_str().unwrap()), Some(&host), &[], None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        eventually("the challenge called off leaves", WAIT, || async { (b.js(line).await == met).then_some(()) }).await;
    })
    .await;
}

/// A challenge whose time runs out unmet: "Temps écoulé" under the goal bar,
/// at what the live had given by then (a gift after it changes nothing), also
/// on a page opened in the minute after.
#[tokio::test]
async fn a_challenge_whose_time_runs_out_says_so_at_what_it_had() {
    let clock = crate::helpers::ManualClock::at("2026-12-04T20:00:00Z");
    let (app, live, host) = clocked_live(&clock).await;
    donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
    let line = "var c = document.getElementById('goal-challenge'); \
                return c.hidden ? null : [document.getElementById('challenge-label').textContent, \
                  document.getElementById('challenge-time').textContent, \
                  document.getElementById('challenge-amounts').textContent, c.dataset.missed];";
    with_browser(async |b| {
        // The server's clock 52 s behind the real time: a challenge of a minute
        // ends 8 s from now, when the server's clock catches up at once (the
        // page, on the server's time from its opening, is told so).
        let now = clock.set_behind(52_000);
        b.goto(&url(&app, &live, "", "&widgets=goal")).await;
        b.wait_live().await;
        let path = format!("/api/v1/lives/{}/challenges", live.id);
        let (s, c) = app.post(&path, Some(&host), json!({"label": "Je chante", "amount": 2000, "minutes": 1})).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Bea"})).await;
        let v = eventually("the challenge on", WAIT, || async {
            let v = b.js(line).await;
            (!v.is_null() && v[2] == eur_fr("5,00_€ / 20,00_€")).then_some(v)
        })
        .await;
        assert_eq!((v[0].clone(), v[3].clone()), (json!("Défi\u{a0}: Je chante"), json!("")));
        assert!(v[1].as_str().unwrap().starts_with("encore "), "{v}");
        // Its minute past: the writer says so, the overlay shows it as it stood
        // (for a minute of the server's clock, as a page opened again learns it).
        clock.catch_up(now + 8_000).await;
        let missed = json!(["Défi\u{a0}: Je chante", "Temps écoulé", eur_fr("5,00_€ / 20,00_€"), "1"]);
        eventually("time's up", WAIT, || async { (b.js(line).await == missed).then_some(()) }).await;
        // A gift after it: the goal bar moves, the challenge does not.
        donate(&app, &live, json!({"amount": 3000, "currency": "EUR", "donor": "Cléo"})).await;
        eventually("Cléo's gift in the goal bar", WAIT, || async {
            let t = b.js("return document.getElementById('goal-label').textContent").await;
            (t == eur_fr("45,00_€ / 1~000,00_€")).then_some(())
        })
        .await;
        assert_eq!(b.js(line).await, missed);
        // Opened again within the minute (OBS opens a source again when its
        // scene comes back): as it stood.
        b.goto(&url(&app, &live, "", "&widgets=goal")).await;
        b.wait_live().await;
        assert_eq!(b.js(line).await, missed, "opened after its time ran out");
    })
    .await;
}

/// A challenge met more than a minute before an overlay or a live's page
/// opens is over, by the server's clock: neither shows it; one met within the
/// minute, both do, as met.
#[tokio::test]
async fn a_challenge_met_is_shown_for_a_minute_from_when_it_was_met() {
    let clock = crate::helpers::ManualClock::at("2026-12-04T20:00:00Z");
    let (app, live, host) = clocked_live(&clock).await;
    let path = format!("/api/v1/lives/{}/challenges", live.id);
    let pages = [
        (url(&app, &live, "", "&widgets=goal"), "goal-challenge"),
        (format!("{}/lives/{}", app.base, live.id), "challenge"),
    ];
    let met = json!(["Défi\u{a0}: Je chante", "Défi réussi\u{a0}!", "1"]);
    with_browser(async |b| {
        // Met 70 s before the pages open (the server's clock set behind, then
        // caught up), then met now.
        for (behind, shown) in [(70_000, false), (0, true)] {
            clock.set_behind(behind);
            let (s, c) =
                app.post(&path, Some(&host), json!({"label": "Je chante", "amount": 1000, "minutes": 5})).await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
            clock.set_behind(0);
            for (page, id) in &pages {
                b.goto(page).await;
                b.wait_live().await;
                let v = b
                    .js(&format!(
                        "var c = document.getElementById('{id}'); \
                         return c.hidden ? null : [document.getElementById('challenge-label').textContent, \
                           document.getElementById('challenge-time').textContent, c.dataset.met];"
                    ))
                    .await;
                assert_eq!(v, if shown { met.clone() } else { Value::Null }, "{page}");
            }
        }
    })
    .await;
}

/// An OBS computer whose clock is half an hour ahead of the server's: the
/// overlay counts down to a live and to a challenge's end by the server's
/// clock (its stream's first message says the server's time), and so does the
/// live's page; by the computer's, the live would be on air and the
/// challenge's time run out.
#[tokio::test]
async fn the_pages_count_by_the_server_s_clock_not_the_computer_s() {
    let clock = crate::helpers::ManualClock::at("2026-12-04T20:00:00Z");
    let (app, live, host) = clocked_live(&clock).await;
    let server_now = clock.set_behind(30 * 60_000) - 30 * 60_000;
    let at = |ms: i64| json!(cagnotte::domain::Timestamp::from_millis(server_now + ms));
    let soon = app.live(&live.campaign_id, json!({"host": "Zoé", "scheduled_at": at(10 * 60_000)})).await;
    let path = format!("/api/v1/lives/{}/challenges", live.id);
    let (s, c) = app.post(&path, Some(&host), json!({"label": "Je chante", "amount": 2000, "minutes": 5})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    with_browser(async |b| {
        b.goto(&url(&app, &soon, "countdown", "")).await;
        b.wait_live().await;
        let shown = eventually("the countdown", WAIT, || async {
            let v = b
                .js("var w = document.getElementById('w-countdown'); \
                          return w.hidden ? null : [document.getElementById('countdown-label').textContent, \
                            document.getElementById('countdown-time').textContent]")
                .await;
            (!v.is_null()).then_some(v)
        })
        .await;
        // Ten minutes less the test's own seconds, to the second.
        let left = shown[1].as_str().unwrap();
        assert!(shown[0] == "Le live commence dans" && (left.starts_with("9:") || left == "10:00"), "{shown}");
        let pages = [
            (url(&app, &live, "", "&widgets=goal"), "goal-challenge"),
            (format!("{}/lives/{}", app.base, live.id), "challenge"),
        ];
        for (page, id) in pages {
            b.goto(&page).await;
            b.wait_live().await;
            let line = format!(
                "var c = document.getElementById('{id}'); \
                 return c.hidden ? null : [document.getElementById('challenge-time').textContent, c.dataset.missed];"
            );
            let v = eventually("the challenge", WAIT, || async {
                let v = b.js(&line).await;
                (!v.is_null()).then_some(v)
            })
            .await;
            let left = v[0].as_str().unwrap();
            assert!(left.starts_with("encore 4 min ") || left == "encore 5 min 00 s", "{page}: {v}");
            assert_eq!(v[1], "", "{page}");
        }
        // The host's space, which the host may keep beside OBS (drawn again
        // once its stream has said the server's time).
        b.goto(&format!("{}/lives/{}/host#key={host}", app.base, live.id)).await;
        let v = eventually("the host's challenge on", WAIT, || async {
            let v = b
                .js("var li = document.querySelector('#challenges li[data-id]'); \
                     return li ? [li.dataset.state, li.querySelector('.badge').textContent] : null")
                .await;
            (v[0] == "open").then_some(v)
        })
        .await;
        assert!(v[1].as_str().unwrap().contains(" 4 min ") || v[1].as_str().unwrap().contains(" 5 min 00 s"), "{v}");
    })
    .await;
}

/// A server on `clock` with the live of [`setup`]; its host's key.
async fn clocked_live(clock: &crate::helpers::ManualClock) -> (TestApp, TestLive, String) {
    let app = crate::helpers::spawn_app_clocked(clock).await;
    let live = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    (app, live, host)
}

#[tokio::test]
async fn the_overlay_works_over_https_and_wss() {
    let mut app = crate::helpers::spawn_tls_app(async |_| {}).await;
    assert!(app.healthy(Duration::from_secs(10)).await);
    let l = app.setup().await;
    let (live, key) = (l["id"].as_str().unwrap().to_owned(), l["key"].as_str().unwrap().to_owned());
    let overlay = format!("{}&lang=fr&duration=30", l["overlay_url"].as_str().unwrap());
    assert!(overlay.starts_with("https://"), "{overlay}");
    with_browser(async |b| {
        b.goto(&overlay).await;
        b.wait_live().await;
        assert_eq!(b.js("return location.protocol").await, "https:");
        let body = json!({"amount": 2500, "currency": "EUR", "donor": "Ana"});
        let (s, d) = app.call("POST", &format!("/api/v1/lives/{live}/donations"), &key, Some(body)).await;
        assert_eq!(s, 201, "{d}");
        let a = eventually("the alert, through wss", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Ana").then_some(a)
        })
        .await;
        assert_eq!(a["amount"], eur_fr("25,00_€"));
    })
    .await;
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn an_overlay_whose_link_is_replaced_stops_and_keeps_its_display() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    donate(&app, &live, json!({"amount": 1500, "currency": "EUR", "donor": "Ana"})).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "goal", "&lang=en")).await;
        b.wait_live().await;
        let goal = || async { b.js("return document.getElementById('goal-label').textContent").await };
        eventually("the goal", WAIT, || async { (goal().await == "€15.00 / €1,000.00").then_some(()) }).await;
        let (s, v) = app
            .post(&format!("/api/v1/lives/{}/rotate", live.id), Some(&live.key), json!({"overlay_token": true}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        eventually("the overlay told its link was replaced", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "revoked").then_some(())
        })
        .await;
        // It does not try again with a token that can never work, and shows what it showed.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(b.js("return document.body.dataset.state").await, "revoked");
        assert_eq!(goal().await, "€15.00 / €1,000.00");
        let (_, connections) = app
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/campaigns/{}/connections", live.campaign_id),
                Some(ADMIN),
                &[],
                None,
            )
            .await;
        assert_eq!(connections["lives"][&live.id], json!({"overlays": 0, "viewers": 0}));
    })
    .await;
}

#[tokio::test]
async fn right_to_left_names_leave_the_amount_whole_beside_them() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "", "&widgets=alert,ticker&lang=fr&duration=30")).await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "محمد 123", "message": "شكرا لكم 2024!"}))
            .await;
        // The amount is one piece, after the name, in the alert and in the ticker.
        let layout = |donor: &'static str, amount: &'static str| async move {
            b.js(&format!(
                r#"var d = document.querySelector("{donor}"), a = document.querySelector("{amount}");
                   if (!d || !a || !a.textContent) return null;
                   return [a.textContent, a.getClientRects().length, a.getBoundingClientRect().left >= d.getBoundingClientRect().right]"#
            ))
            .await
        };
        let whole = json!([eur_fr("10,00_€"), 1, true]);
        eventually("the alert's amount after the name", WAIT, || async {
            (layout("#alert-donor", "#alert-amount").await == whole).then_some(())
        })
        .await;
        eventually("the ticker's amount after the name", WAIT, || async {
            (layout(".ticker-item .ticker-donor", ".ticker-item .ticker-amount").await == whole).then_some(())
        })
        .await;
        // The message reads right to left: its closing "!" ends it on the left of
        // its first letter, not on the far right as in a left-to-right line.
        let ends_left = b
            .js(r#"var t = document.getElementById("alert-message").firstChild;
                   var at = function (i) { var r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
                                           return r.getBoundingClientRect().left; };
                   return t.textContent === "شكرا لكم 2024!" && at(t.length - 1) < at(0)"#)
            .await;
        assert_eq!(ends_left, true);
    })
    .await;
}

/// Where each shown widget of the page is: `[id, left, top, right, bottom]`, and the viewport.
async fn layout(b: &Browser) -> Value {
    b.js(r##"var out = [];
            document.querySelectorAll("#overlay > .widget, #overlay > .col > .widget").forEach(function (w) {
              var n = w.id === "w-alert" ? document.getElementById("alert") : w;
              if (n.hidden || w.hidden) return;
              var r = n.getBoundingClientRect();
              out.push([w.id, Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)]);
            });
            return {widgets: out, viewport: [innerWidth, innerHeight]};"##)
        .await
}

#[tokio::test]
async fn the_overlay_url_lays_every_widget_out_over_a_16_9_source_and_nothing_moves_for_an_alert() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let (s, m) = app
        .post(
            &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
            Some(ADMIN),
            json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 100000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    for (donor, amount) in [("Ana", 2500), ("Léo", 1000), ("Zoé", 500)] {
        donate(&app, &live, json!({"amount": amount, "currency": "EUR", "donor": donor})).await;
    }
    with_browser(async |b| {
        // The link the API hands out, in OBS's usual 1280 × 720 source.
        b.goto(&url(&app, &live, "", "&duration=4&refresh=300")).await;
        b.set_viewport(1280, 720).await;
        b.wait_live().await;
        assert_eq!(b.js("return document.body.classList.contains('scene')").await, true);
        let all = ["w-goal", "w-campaign", "w-match", "w-ticker", "w-top", "w-lives", "w-cta"];
        let settled = |want_alert: bool| async move {
            let l = layout(b).await;
            let ids: Vec<&str> = l["widgets"].as_array().unwrap().iter().map(|w| w[0].as_str().unwrap()).collect();
            let ok = all.iter().all(|id| ids.contains(id)) && ids.contains(&"w-alert") == want_alert;
            let still =
                b.js("return document.getAnimations().every(function (x) { return x.playState !== 'running' || x.effect.target.closest('.ticker-track'); })").await;
            (ok && still == true).then_some(l)
        };
        // The ranking of lives, read once from the campaign's document (the next
        // read is 300 s away), then moved by the live's own frames.
        let lives_amount = || async {
            b.js("var a = document.querySelector('#lives-list .top-amount'); return a && a.textContent;").await
        };
        eventually("the lives' ranking", WAIT, || async { (lives_amount().await == eur_fr("80,00_€")).then_some(()) })
            .await;
        donate(&app, &live, json!({"amount": 5000, "currency": "EUR", "donor": "Camille", "message": "Allez !"})).await;
        eventually("the live's new total in the ranking", WAIT, || async {
            (lives_amount().await == eur_fr("180,00_€")).then_some(())
        })
        .await;
        let with_alert = eventually("every widget and the alert on screen", WAIT, || settled(true)).await;
        assert_eq!(with_alert["viewport"], json!([1280, 720]));
        assert_eq!(with_alert["widgets"].as_array().unwrap().len(), all.len() + 1, "{with_alert}");
        inside_and_apart(&with_alert);
        let place = |l: &Value, id: &str| l["widgets"].as_array().unwrap().iter().find(|w| w[0] == id).cloned();
        // The alert at the top centre, the ticker along the bottom.
        let alert = place(&with_alert, "w-alert").unwrap();
        let centre = (alert[1].as_i64().unwrap() + alert[3].as_i64().unwrap()) / 2;
        assert!((centre - 640).abs() <= 2 && alert[2].as_i64().unwrap() <= 20, "{alert}");
        let ticker = place(&with_alert, "w-ticker").unwrap();
        assert!(ticker[4].as_i64().unwrap() >= 700 && ticker[3].as_i64().unwrap() - ticker[1].as_i64().unwrap() >= 1240);
        b.screenshot_element("main", "scene").await;

        // Once the alert is gone, every other widget is where it was.
        let without = eventually("the alert gone", WAIT, || settled(false)).await;
        for id in all {
            assert_eq!(place(&without, id), place(&with_alert, id), "{id} did not move");
        }

        // The scene scales with its source: OBS's default 800 x 600, and 1920 x 1080
        // where everything is half as big again.
        let width = |l: &Value, id: &str| place(l, id).map(|w| w[3].as_i64().unwrap() - w[1].as_i64().unwrap());
        for (w, h) in [(800, 600), (1920, 1080)] {
            b.set_viewport(w, h).await;
            let l = eventually("the resized scene", WAIT, || async {
                let l = settled(false).await?;
                (l["viewport"] == json!([w, h])).then_some(l)
            })
            .await;
            inside_and_apart(&l);
            if w == 800 {
                // An alert there too, between the columns, not over them.
                donate(&app, &live, json!({"amount": 700, "currency": "EUR", "donor": "Maxime-Alexandre"})).await;
                inside_and_apart(&eventually("an alert at 800 x 600", WAIT, || settled(true)).await);
            }
            if w == 1920 {
                let (big, usual) = (width(&l, "w-goal").unwrap(), width(&without, "w-goal").unwrap());
                assert!((big * 2 - usual * 3).abs() <= 4, "the goal bar {usual} px wide at 1280, {big} px at 1920");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_scene_column_taller_than_its_source_is_drawn_smaller_not_cut() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    // A campaign's scene with its right column full: ten donors, ten lives, the
    // next live and the call to action, with `top_count=10`.
    donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Donateur 01"})).await;
    for i in 2..=10 {
        let l = app.live(&live.campaign_id, json!({"host": format!("Hôte {i:02}"), "title": "Un live"})).await;
        donate(&app, &l, json!({"amount": 1000 + 100 * i, "currency": "EUR", "donor": format!("Donateur {i:02}")}))
            .await;
    }
    app.live(&live.campaign_id, json!({"host": "Inès", "scheduled_at": "2099-01-01T19:00:00Z"})).await;
    let page = campaign_url(&app, &live.campaign_id, "", "&top_count=10").await;
    with_browser(async |b| {
        b.goto(&page).await;
        for (w, h) in [(1280, 720), (800, 600)] {
            b.set_viewport(w, h).await;
            b.wait_live().await;
            let l = eventually("the full right column", WAIT, || async {
                let l = layout(b).await;
                let rows = b.js("return [document.querySelectorAll('#top-list li').length, document.querySelectorAll('#lives-list li').length]").await;
                let ids: Vec<&str> = l["widgets"].as_array().unwrap().iter().map(|w| w[0].as_str().unwrap()).collect();
                let full = ["w-top", "w-lives", "w-schedule", "w-cta"].iter().all(|id| ids.contains(id));
                (full && rows == json!([10, 10]) && l["viewport"] == json!([w, h])).then_some(l)
            })
            .await;
            // Without fitting, the call to action is cut at the ticker (below 720 px).
            inside_and_apart(&l);
            let sizes = b.js("return ['col-left', 'col-right'].map(function (c) { var s = getComputedStyle(document.querySelector('.' + c)); return parseFloat(s.fontSize) / parseFloat(getComputedStyle(document.body).fontSize); })").await;
            let right = sizes[1].as_f64().unwrap();
            assert_eq!(sizes[0].as_f64(), Some(1.0), "the left column fits as it is");
            // 4:3 leaves a taller room for the same width: there the column fits as it is.
            let shrunk = if w == 1280 { right < 1.0 && right > 0.6 } else { right == 1.0 };
            assert!(shrunk, "{sizes} at {w} x {h}");
        }
    })
    .await;
}

/// Every widget of `layout` inside its viewport, and none over another.
fn inside_and_apart(layout: &Value) {
    let (vw, vh) = (layout["viewport"][0].as_i64().unwrap(), layout["viewport"][1].as_i64().unwrap());
    let boxes = layout["widgets"].as_array().unwrap();
    let edges = |w: &Value| [1, 2, 3, 4].map(|i| w[i].as_i64().unwrap());
    for w in boxes {
        let [l, t, r, b] = edges(w);
        assert!(l >= 0 && t >= 0 && r <= vw && b <= vh, "{w} inside {vw} x {vh}");
    }
    for (i, a) in boxes.iter().enumerate() {
        for c in &boxes[i + 1..] {
            let (a4, c4) = (edges(a), edges(c));
            let apart = a4[2] <= c4[0] || c4[2] <= a4[0] || a4[3] <= c4[1] || c4[3] <= a4[1];
            assert!(apart, "{a} and {c} overlap at {vw} x {vh}");
        }
    }
}

#[tokio::test]
async fn the_lives_ranking_of_a_campaign_overlay_moves_with_each_frame() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    donate(&app, &live, json!({"amount": 2000, "currency": "EUR"})).await;
    donate(&app, &other, json!({"amount": 1000, "currency": "EUR"})).await;
    let page = campaign_url(&app, &live.campaign_id, "lives", "&lang=en&refresh=300").await;
    with_browser(async |b| {
        // The campaign's page of every widget: its goal bar is the campaign's
        // total, with no campaign card to say it twice.
        b.goto(&page.replace("/lives?", "?")).await;
        b.wait_live().await;
        let v = b.js("return [document.body.className.split(' ')[0], document.getElementById('w-campaign'), document.getElementById('goal-title').textContent]").await;
        assert_eq!(v, json!(["scene", null, "Campaign goal"]));
        // So for a live without a goal of its own: its goal bar is the campaign's.
        b.goto(&format!("{}/overlay/lives/{}?token={}&lang=en", app.base, other.id, other.overlay_token)).await;
        b.wait_live().await;
        let v = eventually("the live's scene", WAIT, || async {
            let v = b.js("var g = document.getElementById('w-goal'), c = document.getElementById('w-campaign'); \
                          return g.hidden ? null : [document.getElementById('goal-title').textContent, c.hidden];").await;
            (!v.is_null()).then_some(v)
        })
        .await;
        assert_eq!(v, json!(["Campaign goal", true]));
        b.goto(&page).await;
        b.wait_live().await;
        wait_lives_ranking(b, json!([["Corentin", "€20.00"], ["Inès", "€10.00"]])).await;
        // The campaign's document is read again only in 300 s: the frame of the
        // other live's donation puts it first.
        donate(&app, &other, json!({"amount": 2500, "currency": "EUR"})).await;
        wait_lives_ranking(b, json!([["Inès", "€35.00"], ["Corentin", "€20.00"]])).await;
    })
    .await;
}

/// Waits for the lives leaderboard to read `want`: `[[who, amount], …]`.
async fn wait_lives_ranking(b: &Browser, want: Value) {
    eventually(&format!("the ranking {want}"), WAIT, || async {
        let got = b
            .js(r##"return Array.from(document.querySelectorAll("#lives-list li")).map(function (li) {
                       return [li.children[0].textContent, li.querySelector(".top-amount").textContent]; })"##)
            .await;
        (got == want).then_some(())
    })
    .await
}

#[tokio::test]
async fn a_live_below_the_campaigns_ten_best_that_a_donation_lifts_shows_at_once() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    // Ten lives with donations (the campaign document's leaderboard) and one
    // without, below them all.
    donate(&app, &live, json!({"amount": 1000, "currency": "EUR"})).await;
    for i in 2..=10 {
        let l = app.live(&live.campaign_id, json!({"host": format!("Hôte {i:02}")})).await;
        donate(&app, &l, json!({"amount": 1000 + 100 * i, "currency": "EUR"})).await;
    }
    let last = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let page = campaign_url(&app, &live.campaign_id, "lives", "&lang=en&refresh=300&top_count=3").await;
    with_browser(async |b| {
        b.goto(&page).await;
        b.wait_live().await;
        wait_lives_ranking(b, json!([["Hôte 10", "€20.00"], ["Hôte 09", "€19.00"], ["Hôte 08", "€18.00"]])).await;
        // The next read is 300 s away: the frame alone puts the eleventh live first.
        donate(&app, &last, json!({"amount": 5000, "currency": "EUR"})).await;
        wait_lives_ranking(b, json!([["Inès", "€50.00"], ["Hôte 10", "€20.00"], ["Hôte 09", "€19.00"]])).await;
        // A live created after the page read the document: its first donation's frame shows it.
        let late = app.live(&live.campaign_id, json!({"host": "Nour", "title": "Concert"})).await;
        donate(&app, &late, json!({"amount": 6000, "currency": "EUR"})).await;
        wait_lives_ranking(b, json!([["Nour — Concert", "€60.00"], ["Inès", "€50.00"], ["Hôte 10", "€20.00"]])).await;
    })
    .await;
}

#[tokio::test]
async fn the_longest_alert_fits_its_source_and_its_room_in_a_stack() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    // The longest message the API takes, and a long name.
    let message = "MERCI POUR CE LIVE ET POUR TOUT CE QUE VOUS FAITES, ON CONTINUE ! ".repeat(8)[..500].to_owned();
    let long = json!({"amount": 2000, "currency": "EUR", "donor": "Marie-Charlotte de La Tour", "message": message});
    // The alert box alone, in the 800 x 300 source the docs suggest; then in a
    // stack over the goal bar.
    for (query, source) in [("", Some((800, 300))), ("&widgets=alert,goal", None)] {
        with_browser(async |b| {
            let widget = if source.is_some() { "alert" } else { "" };
            b.goto(&url(&app, &live, widget, &format!("{query}&duration=30&instance={widget}x"))).await;
            if let Some((w, h)) = source {
                b.set_viewport(w, h).await;
            }
            b.wait_live().await;
            donate(&app, &live, long.clone()).await;
            let (bottom, room, font) = eventually("the long alert, settled", WAIT, || async {
                let v = b
                    .js(r#"var a = document.getElementById("alert"), g = document.getElementById("w-goal");
                       if (a.hidden || !a.getAnimations().every(function (x) { return x.playState === "finished"; })) return null;
                       var r = a.getBoundingClientRect();
                       return [r.bottom, g ? g.getBoundingClientRect().top : innerHeight, parseFloat(getComputedStyle(a).fontSize)];"#)
                    .await;
                (!v.is_null()).then(|| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap(), v[2].as_f64().unwrap()))
            })
            .await;
            assert_eq!(alert(b).await["message"], json!(message), "the whole message");
            // Without fitting, the alert ends below the source (about 430 px) or over the goal bar.
            assert!(bottom <= room, "the alert ends at {bottom} px, its room at {room} px");
            // As large as fits: at most one halving step under it (the first try, by one ratio, gave 6 px).
            assert!((8.0..16.0).contains(&font), "drawn smaller, still readable: {font} px ({bottom} / {room})");
        })
        .await;
    }
}

/// How long each alert stayed on screen, in order, polling the alert box until
/// `count` alerts have come and gone (or only the first, with `first_only`).
async fn alert_times(b: &Browser, count: usize, first_only: bool) -> Vec<(String, Duration)> {
    let mut times: Vec<(String, Duration)> = Vec::new();
    let mut on: Option<(String, Instant)> = None;
    let started = Instant::now();
    while times.len() < count && started.elapsed() < Duration::from_secs(60) {
        let id = b.js("var a = document.getElementById('alert'); return a.hidden ? null : a.dataset.id || null").await;
        let id = id.as_str().map(str::to_owned);
        match (&on, id) {
            (None, Some(id)) => on = Some((id, Instant::now())),
            (Some((shown, since)), id) if id.as_ref() != Some(shown) => {
                times.push((shown.clone(), since.elapsed()));
                if first_only {
                    break;
                }
                on = id.map(|id| (id, Instant::now()));
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    times
}

#[tokio::test]
async fn a_burst_of_alerts_is_shown_shorter_until_the_overlay_has_caught_up() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        // Six donations at once to an alert box of 6 s: the first ones leave after
        // about 2 s while others wait, the last one gets its whole 6 s.
        b.goto(&url(&app, &live, "alert", "&duration=6&instance=burst")).await;
        b.wait_live().await;
        // The first one has a message: it stays long enough to be read (55
        // characters with its name, about 4 s).
        let mut ids = Vec::new();
        for i in 0..6 {
            let message = if i == 0 { "Merci pour ce live, on continue jusqu'au bout !!" } else { "" };
            let body = json!({"amount": 100 + i, "currency": "EUR", "donor": format!("Donor {i}"), "message": message});
            let v = donate(&app, &live, body).await;
            ids.push(v["donation"]["id"].as_str().unwrap().to_owned());
        }
        let times = alert_times(b, 6, false).await;
        let shown: Vec<&str> = times.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(shown, ids.iter().map(String::as_str).collect::<Vec<_>>(), "each once, in order");
        let secs: Vec<f64> = times.iter().map(|(_, t)| t.as_secs_f64()).collect();
        assert!(secs[0] > 3.5 && secs[0] < 5.5, "long enough to read its message: {secs:?}");
        assert!(secs[1] < 3.5 && secs[2] < 4.0, "the next ones shorter: {secs:?}");
        assert!(secs[5] > 5.5, "the last one, with none waiting, its whole duration: {secs:?}");
        assert!(secs.iter().sum::<f64>() < 32.0, "six alerts of 6 s in well under 36 s: {secs:?}");

        // `catch_up=0`: every alert its whole duration, however many wait.
        b.goto(&url(&app, &live, "alert", "&duration=6&catch_up=0&instance=full")).await;
        b.wait_live().await;
        for i in 0..3 {
            donate(&app, &live, json!({"amount": 200 + i, "currency": "EUR", "donor": format!("E{i}")})).await;
        }
        let times = alert_times(b, 1, true).await;
        assert!(times[0].1 > Duration::from_millis(5500), "{times:?}");
    })
    .await;
}

/// Gifts coming faster than their alerts (one a second and more, each alert
/// 2,6 s at least): once six wait, the plain ones go on air together, with
/// their sum and their donors' names, and the overlay is back with the stream
/// within seconds. A gift of them given back while they are on screen leaves
/// their sum at once.
#[tokio::test]
async fn gifts_faster_than_their_alerts_go_on_air_together() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=6&instance=together")).await;
        b.wait_live().await;
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Première"})).await;
        wait_recorded(b, &[&eur_fr("Première 5,00_€")]).await;
        // Eight while the first is on screen (Donor 3 anonymous): 8,28 €.
        let mut ids = vec![];
        for i in 0..8 {
            let body =
                json!({"amount": 100 + i, "currency": "EUR", "donor": format!("Donor {i}"), "anonymous": i == 3});
            ids.push(donate(&app, &live, body).await["donation"]["id"].as_str().unwrap().to_owned());
        }
        wait_recorded(b, &[&eur_fr("Première 5,00_€"), &eur_fr("8 nouveaux dons_! 8,28_€")]).await;
        let on = alert(b).await;
        assert_eq!(on["message"], eur_fr("Merci Donor 0, Donor 1, Donor 2, Donor 4, Donor 5 et 3 autres_!"), "{on}");
        assert_eq!(on["matched"], Value::Null, "{on}");
        // Donor 0's gift given back whole while they are on screen.
        let (s, v) = app.post(&format!("/api/v1/donations/{}/refund", ids[0]), Some(&live.key), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        eventually("the sum without Donor 0", WAIT, || async {
            let on = alert(b).await;
            (on["donor"] == eur_fr("7 nouveaux dons_!") && on["amount"] == eur_fr("7,28_€")).then_some(())
        })
        .await;
        assert_eq!(
            alert(b).await["message"],
            eur_fr("Merci Donor 1, Donor 2, Donor 4, Donor 5, Donor 6 et 2 autres_!")
        );
        wait_alert_gone(b).await;
        // None of them comes again on its own, after a reload too.
        b.goto(&url(&app, &live, "alert", "&duration=6&instance=together")).await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 300, "currency": "EUR", "donor": "Zoé"})).await;
        record_alerts(b).await;
        wait_recorded(b, &[&eur_fr("Zoé 3,00_€")]).await;
        assert_eq!(recorded(b).await, [eur_fr("Zoé 3,00_€")]);
    })
    .await;
}

#[tokio::test]
async fn listed_widgets_stay_put_while_alerts_come_and_go() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "", "&widgets=alert,goal,ticker&duration=3")).await;
        b.wait_live().await;
        let places = || async {
            b.js(r##"return ["w-goal", "w-ticker"].map(function (id) {
                       var r = document.getElementById(id).getBoundingClientRect();
                       return [Math.round(r.left), Math.round(r.top), Math.round(r.bottom)]; })"##)
                .await
        };
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
        let with_alert = eventually("an alert, settled, and the ticker", WAIT, || async {
            let shown = b
                .js(r#"var a = document.getElementById("alert");
                       return !a.hidden && !document.getElementById("w-ticker").hidden &&
                              a.getAnimations().every(function (x) { return x.playState === "finished"; });"#)
                .await;
            if shown == true { Some(places().await) } else { None }
        })
        .await;
        wait_alert_gone(b).await;
        assert_eq!(places().await, with_alert, "the goal bar and the ticker did not move");
        // A taller alert, with a message: the same places still.
        donate(
            &app,
            &live,
            json!({"amount": 2000, "currency": "EUR", "donor": "Léo", "message": "Bravo à toute l'équipe !"}),
        )
        .await;
        eventually("the second alert", WAIT, || async { (alert(b).await["donor"] == "Léo").then_some(()) }).await;
        assert_eq!(places().await, with_alert);
    })
    .await;
}

/// The poll widget: `[question, time, [label, tag, amount] per option, the
/// leading labels, hint, over]`, or null while hidden.
async fn poll_widget(b: &Browser) -> Value {
    b.js(r##"
        var w = document.getElementById("w-poll");
        if (w.hidden) return null;
        var t = function (id) { return document.getElementById(id).textContent; };
        var rows = Array.from(document.querySelectorAll("#poll-options li")).map(function (li) {
            return [li.querySelector(".poll-label").textContent, li.querySelector(".poll-tag").textContent,
                    li.querySelector(".poll-amount").textContent];
        });
        var lead = Array.from(document.querySelectorAll("#poll-options li.lead .poll-label")).map(function (n) {
            return n.textContent; });
        return [t("poll-question"), t("poll-time"), rows, lead, t("poll-hint"), w.dataset.over];
    "##)
        .await
}

#[tokio::test]
async fn a_poll_shows_each_options_tag_amount_and_share_and_its_result_is_an_alert() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/lives/{}/polls", live.id);
    let vote =
        |message: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": "Ana", "message": message});
    with_browser(async |b| {
        b.goto(&url(&app, &live, "", "&widgets=alert,poll&duration=2")).await;
        b.wait_live().await;
        record_alerts(b).await;
        assert_eq!(poll_widget(b).await, Value::Null, "no poll yet");
        let body =
            json!({"question": "Quel jeu ensuite ?", "options": ["Mario Kart", "Zelda", "Tétris"], "minutes": 10});
        let (s, p) = app.post(&path, Some(&host), body).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let v = eventually("the poll on the overlay", WAIT, || async {
            let v = poll_widget(b).await;
            (!v.is_null()).then_some(v)
        })
        .await;
        let zero = eur_fr("0,00_€");
        assert_eq!(
            (v[0].clone(), v[2].clone(), v[3].clone(), v[4].clone(), v[5].clone()),
            (
                json!("Quel jeu ensuite\u{a0}?"),
                json!([["Mario Kart", "#mariokart", zero], ["Zelda", "#zelda", zero], ["Tétris", "#tetris", zero]]),
                json!([]),
                json!("Pour voter\u{a0}: le # de votre choix dans votre message"),
                json!("")
            )
        );
        let time = v[1].as_str().unwrap();
        assert!(time.starts_with("encore 9 min ") || time == "encore 10 min 00 s", "{time}");
        // Five more minutes and its question reworded on air: the widget follows.
        let one = format!("{path}/{}", p["id"].as_str().unwrap());
        let edit = json!({"question": "Quel jeu ce soir ?", "minutes": 15}).to_string();
        let (s, e) = app.request(reqwest::Method::PATCH, &one, Some(&host), &[], Some(edit)).await;
        assert_eq!(s, StatusCode::OK, "{e}");
        eventually("the poll's new terms", WAIT, || async {
            let v = poll_widget(b).await;
            let time = v[1].as_str()?;
            (v[0] == "Quel jeu ce soir\u{a0}?" && (time.starts_with("encore 14 min ") || time == "encore 15 min 00 s"))
                .then_some(())
        })
        .await;

        // Votes by tag and by number: the amounts, their shares, the leader;
        // the alert says which option the donation voted for.
        donate(&app, &live, vote("Allez #Zelda !", 3000)).await;
        let line = eventually("the vote on the alert", WAIT, || async {
            let v = b
                .js("var v = document.getElementById('alert-vote'); \
                     return document.getElementById('alert').hidden ? null : [v.hidden, v.textContent];")
                .await;
            (!v.is_null()).then_some(v)
        })
        .await;
        assert_eq!(line, json!([false, "Vote\u{a0}: Zelda"]));
        donate(&app, &live, vote("#1", 1000)).await;
        let rows = json!([
            ["Mario Kart", "#mariokart", eur_fr("10,00_€ · 25_%")],
            ["Zelda", "#zelda", eur_fr("30,00_€ · 75_%")],
            ["Tétris", "#tetris", eur_fr("0,00_€ · 0_%")]
        ]);
        eventually("the votes counted", WAIT, || async { (poll_widget(b).await[2] == rows).then_some(()) }).await;
        assert_eq!(poll_widget(b).await[3], json!(["Zelda"]));

        // Closed by the host: the result, and an alert that says it.
        let (s, closed) =
            app.post(&format!("{path}/{}/close", p["id"].as_str().unwrap()), Some(&host), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{closed}");
        let expected = [eur_fr("Ana 30,00_€"), eur_fr("Ana 10,00_€"), eur_fr("Sondage terminé_! 30,00_€")];
        let message = eventually("the poll's alert", WAIT, || async {
            let a = alert(b).await;
            (a["donor"] == "Sondage terminé\u{a0}!").then(|| a["message"].clone())
        })
        .await;
        assert_eq!(message, json!("Quel jeu ce soir\u{a0}? — Zelda l'emporte\u{a0}!"));
        wait_recorded(b, &expected.iter().map(String::as_str).collect::<Vec<_>>()).await;
        let v = poll_widget(b).await;
        assert_eq!(
            (v[1].clone(), v[2].clone(), v[4].clone(), v[5].clone()),
            (json!("Terminé"), rows, json!("Zelda l'emporte\u{a0}!"), json!("1"))
        );
        b.screenshot_element("#w-poll", "poll").await;
        wait_alert_gone(b).await;

        // Opened again within the minute: the result, no alert again (the
        // one on screen finished before).
        b.goto(&url(&app, &live, "", "&widgets=alert,poll&duration=2")).await;
        b.wait_live().await;
        record_alerts(b).await;
        assert_eq!(poll_widget(b).await[4], json!("Zelda l'emporte\u{a0}!"));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(recorded(b).await, Vec::<String>::new());

        // In English, a tie, with `poll_alert=0`: no alert of the result.
        b.goto(&url(&app, &live, "", "&widgets=alert,poll&duration=1&lang=en&poll_alert=0")).await;
        b.wait_live().await;
        record_alerts(b).await;
        let (s, p2) = app.post(&path, Some(&live.key), json!({"question": "Again?", "options": ["Yes", "No"]})).await;
        assert_eq!(s, StatusCode::CREATED, "{p2}");
        eventually("the English poll", WAIT, || async {
            let v = poll_widget(b).await;
            (v[0] == "Again?" && v[1] == "" && v[4] == "To vote: the # of your choice in your message").then_some(())
        })
        .await;
        donate(&app, &live, vote("#yes", 500)).await;
        donate(&app, &live, vote("#NO", 500)).await;
        eventually("two votes", WAIT, || async { (poll_widget(b).await[3] == json!(["Yes", "No"])).then_some(()) })
            .await;
        app.post(&format!("{path}/{}/close", p2["id"].as_str().unwrap()), Some(&host), json!({})).await;
        eventually("the tie", WAIT, || async {
            let v = poll_widget(b).await;
            (v[1] == "Closed" && v[4] == "It's a tie!").then_some(())
        })
        .await;
        wait_recorded(b, &["Ana €5.00", "Ana €5.00"]).await;
        wait_alert_gone(b).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(recorded(b).await, ["Ana €5.00", "Ana €5.00"], "no alert of the result");
    })
    .await;

    // A campaign's overlay has no poll: each live has its own.
    let widget = campaign_url(&app, &live.campaign_id, "poll", "").await;
    assert_eq!(reqwest::get(&widget).await.unwrap().status(), StatusCode::NOT_FOUND);
    let listed = campaign_url(&app, &live.campaign_id, "", "&widgets=alert,poll").await;
    assert_eq!(reqwest::get(&listed).await.unwrap().status(), StatusCode::BAD_REQUEST);
}

/// A prize drawn on air is an alert of its own: the winner as viewers may see
/// them (an anonymous donor unnamed), the prize and the entries, no amount;
/// once, not again after a reload; in English too.
#[tokio::test]
async fn a_prize_drawn_on_air_names_its_winner_in_an_alert() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/lives/{}/draws", live.id);
    with_browser(async |b| {
        donate(&app, &live, json!({"amount": 2000, "currency": "EUR", "donor": "Chloé", "anonymous": true})).await;
        donate(&app, &live, json!({"amount": 300, "currency": "EUR", "donor": "Bob"})).await;
        b.goto(&url(&app, &live, "alert", "&duration=2")).await;
        b.wait_live().await;
        record_alerts(b).await;
        let (s, d) = app.post(&path, Some(&host), json!({"prize": "Dessin original", "min_amount": 1000})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let shown = eventually("the draw's alert", WAIT, || async {
            let a = alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!(
            (shown["donor"].clone(), shown["amount"].clone(), shown["matched"].clone(), shown["message"].clone()),
            (
                json!("Un donateur anonyme gagne le tirage au sort\u{a0}!"),
                Value::Null,
                Value::Null,
                json!("Dessin original — 1 participation")
            )
        );
        wait_alert_gone(b).await;
        // Opened again: not shown again.
        b.goto(&url(&app, &live, "alert", "&duration=2")).await;
        b.wait_live().await;
        record_alerts(b).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(recorded(b).await, Vec::<String>::new());

        // In English: Bob, the only one left, among every donation.
        b.goto(&url(&app, &live, "alert", "&duration=2&lang=en")).await;
        b.wait_live().await;
        record_alerts(b).await;
        let (s, d) = app.post(&path, Some(&host), json!({"prize": "A poster"})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let shown = eventually("the draw's alert in English", WAIT, || async {
            let a = alert(b).await;
            (!a.is_null()).then_some(a)
        })
        .await;
        assert_eq!(
            (shown["donor"].clone(), shown["message"].clone()),
            (json!("Bob wins the prize draw!"), json!("A poster — 1 entry"))
        );
        // A donation after it shows its amount again.
        wait_alert_gone(b).await;
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Ana"})).await;
        wait_recorded(b, &["Bob wins the prize draw! ", "Ana €5.00"]).await;
    })
    .await;
}

#[tokio::test]
async fn a_big_donation_and_a_milestone_play_the_fanfare_the_others_the_alert_sound() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let (s, m) = app
        .post(
            &format!("/api/v1/campaigns/{}/milestones", live.campaign_id),
            Some(ADMIN),
            json!({"amount": 10000, "label": "Cheveux roses", "live_id": live.id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&sound=1&big=50&duration=1")).await;
        b.wait_live().await;
        // Which sound each alert plays (the page's own files, played for real otherwise).
        b.js("window.__played = [];
              HTMLMediaElement.prototype.play = function () {
                window.__played.push(this.src.split('/').pop());
                return Promise.resolve();
              };")
            .await;
        let played = |n: usize| async move {
            eventually(&format!("{n} sounds"), WAIT, || async {
                let v = b.js("return window.__played").await;
                (v.as_array().map(Vec::len) == Some(n)).then_some(v)
            })
            .await
        };
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
        assert_eq!(played(1).await, json!(["alert.wav"]));
        // 60 € against `big=50`: the fanfare.
        donate(&app, &live, json!({"amount": 6000, "currency": "EUR", "donor": "Bob"})).await;
        assert_eq!(played(2).await, json!(["alert.wav", "fanfare.wav"]));
        // 40 € more crosses the 100 € milestone: the donation's sound, then the milestone's fanfare.
        donate(&app, &live, json!({"amount": 4000, "currency": "EUR", "donor": "Chloé"})).await;
        assert_eq!(played(4).await, json!(["alert.wav", "fanfare.wav", "alert.wav", "fanfare.wav"]));
    })
    .await;
    // Served like the alert's sound.
    let res = reqwest::get(format!("{}/static/fanfare.wav", app.base)).await.unwrap();
    assert_eq!((res.status(), res.headers()["content-type"].to_str().unwrap()), (StatusCode::OK, "audio/wav"));
    assert!(res.bytes().await.unwrap().starts_with(b"RIFF"));
}

/// `alert_text`: a donation's headline in the streamer's words, the name and the
/// amount in their places; a milestone keeps its own; text stays text.
#[tokio::test]
async fn alert_text_puts_the_name_and_amount_in_the_streamers_sentence() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let head = "return [document.getElementById('alert').hidden, document.querySelector('.alert-head').innerText,
                        document.getElementById('alert-amount').hidden, document.querySelector('.alert-head img, .alert-head b')]";
    with_browser(async |b| {
        let text = "{amount} de {donor} <b>pour</b> les Restos !";
        b.goto(&url(&app, &live, "alert", &format!("&duration=2&alert_text={}", urlencode(text)))).await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 1500, "currency": "EUR", "donor": "Hugo"})).await;
        eventually("the headline in the streamer's words", WAIT, || async {
            let v = b.js(head).await;
            (v == json!([false, eur_fr("15,00_€ de Hugo <b>pour</b> les Restos !"), false, null])).then_some(())
        })
        .await;
        // Without the amount: hidden, a partial refund on screen does not bring it back.
        b.goto(&url(&app, &live, "alert", "&duration=30&alert_text=Merci%20%7Bdonor%7D%20!")).await;
        b.wait_live().await;
        let v = donate(&app, &live, json!({"amount": 2000, "currency": "EUR", "donor": "Inès"})).await;
        eventually("the headline without the amount", WAIT, || async {
            (b.js(head).await == json!([false, "Merci Inès !", true, null])).then_some(())
        })
        .await;
        let id = v["donation"]["id"].as_str().unwrap();
        let path = format!("/api/v1/donations/{id}/refund");
        let (s, _) = app.post(&path, Some(ADMIN), json!({"refunded_amount": 500})).await;
        assert_eq!(s, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(b.js(head).await, json!([false, "Merci Inès !", true, null]));
    })
    .await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|c| match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (c as char).to_string(),
            _ => format!("%{c:02X}"),
        })
        .collect()
}

/// The host's hand on the alerts: the one on screen skipped at once, none
/// started while paused (the donation still counts), the waiting ones shown on
/// resume; the host's space's buttons.
#[tokio::test]
async fn a_host_skips_pauses_and_resumes_the_alerts() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let alerts = async |paused: bool| {
        let path = format!("/api/v1/lives/{}/alerts", live.id);
        let body = json!({"paused": paused}).to_string();
        let (s, v) = app.request(reqwest::Method::PUT, &path, Some(&host), &[], Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    };
    let shown = "return [document.getElementById('alert').hidden, document.getElementById('alert-donor').textContent,
                         document.body.dataset.paused || '']";
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=30")).await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 1500, "currency": "EUR", "donor": "Hugo"})).await;
        eventually("Hugo's alert", WAIT, || async { (b.js(shown).await == json!([false, "Hugo", ""])).then_some(()) })
            .await;
        // Skipped: off the screen now, not in 30 s.
        let (s, _) = app.post(&format!("/api/v1/lives/{}/alerts/skip", live.id), Some(&host), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        eventually("the alert off the screen", Duration::from_secs(3), || async {
            (b.js(shown).await[0] == true).then_some(())
        })
        .await;
        // Paused: a donation counts, its alert waits.
        alerts(true).await;
        eventually("the page paused", WAIT, || async { (b.js(shown).await[2] == "1").then_some(()) }).await;
        donate(&app, &live, json!({"amount": 2000, "currency": "EUR", "donor": "Inès"})).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(b.js(shown).await, json!([true, "Hugo", "1"]));
        // Resumed: the waiting alert goes on air.
        alerts(false).await;
        eventually("Inès's alert after the pause", WAIT, || async {
            (b.js(shown).await == json!([false, "Inès", ""])).then_some(())
        })
        .await;

        // The host's space: one button pauses and resumes, one skips.
        b.goto(&format!("{}/lives/{}/host#key={host}", app.base, live.id)).await;
        crate::dashboard::wait_text(b, "#alerts-state", "Les alertes passent").await;
        crate::dashboard::click(b, "#pause-alerts").await;
        crate::dashboard::wait_text(
            b,
            "#notice",
            "Alertes en pause\u{a0}: les dons comptent, leurs alertes attendent.",
        )
        .await;
        crate::dashboard::wait_text(b, "#alerts-state", "Alertes en pause\u{a0}: elles attendent la reprise").await;
        crate::dashboard::wait_text(b, "#pause-alerts", "Reprendre les alertes").await;
        assert_eq!(app.get(&format!("/api/v1/lives/{}", live.id)).await.1["alerts_paused"], true);
        crate::dashboard::click(b, "#skip-alert").await;
        crate::dashboard::wait_text(b, "#notice", "Alerte passée.").await;
        crate::dashboard::click(b, "#pause-alerts").await;
        crate::dashboard::wait_text(b, "#notice", "Alertes reprises\u{a0}: celles qui attendaient passent.").await;
        crate::dashboard::wait_text(b, "#pause-alerts", "Mettre les alertes en pause").await;
        assert_eq!(app.get(&format!("/api/v1/lives/{}", live.id)).await.1["alerts_paused"], false);
    })
    .await;
}

/// On a campaign's overlay, a live's pause holds that live's alerts only.
#[tokio::test]
async fn a_campaign_overlay_holds_the_alerts_of_a_paused_live_only() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Restos", "currency": "EUR"})).await;
    let (cid, token) = (c["id"].as_str().unwrap().to_owned(), c["overlay_token"].as_str().unwrap().to_owned());
    let ana = app.live(&cid, json!({"host": "Ana"})).await;
    let zoe = app.live(&cid, json!({"host": "Zoé"})).await;
    let alerts = async |paused: bool| {
        let path = format!("/api/v1/lives/{}/alerts", ana.id);
        let body = json!({"paused": paused}).to_string();
        let (s, v) = app.request(reqwest::Method::PUT, &path, Some(ADMIN), &[], Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    };
    with_browser(async |b| {
        b.goto(&format!("{}/overlay/campaigns/{cid}/alert?token={token}&duration=2", app.base)).await;
        b.wait_live().await;
        b.js("window.__seen = []; var n = document.getElementById('alert');
              new MutationObserver(function () { var d = document.getElementById('alert-donor').textContent;
                if (!n.hidden && window.__seen[window.__seen.length - 1] !== d) window.__seen.push(d); })
                .observe(n, {attributes: true, childList: true, subtree: true});")
            .await;
        alerts(true).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        donate(&app, &ana, json!({"amount": 1500, "currency": "EUR", "donor": "Hugo"})).await;
        donate(&app, &zoe, json!({"amount": 1000, "currency": "EUR", "donor": "Inès"})).await;
        eventually("Zoé's donation shown, Ana's held", WAIT, || async {
            (b.js("return window.__seen").await == json!(["Inès"])).then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(b.js("return window.__seen").await, json!(["Inès"]));
        alerts(false).await;
        eventually("Ana's donation after the resume", WAIT, || async {
            (b.js("return window.__seen").await == json!(["Inès", "Hugo"])).then_some(())
        })
        .await;
    })
    .await;
}

/// `goal_style=thermometer`: the goal bar standing, filled from the bottom to
/// the share reached, its milestones as marks up the tube.
#[tokio::test]
async fn the_goal_as_a_thermometer_fills_from_the_bottom() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let (s, m) = app
        .post(
            &format!("/api/v1/lives/{}/milestones", live.id),
            Some(ADMIN),
            json!({"amount": 50000, "label": "Karaoké"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let shape = "var t = document.getElementById('goal-track').getBoundingClientRect(),
                     f = document.getElementById('goal-fill').getBoundingClientRect();
                 return [document.getElementById('w-goal').classList.contains('thermo'), Math.round(t.height / t.width * 10) / 10,
                         Math.round(f.height / t.height * 100) / 100, Math.abs(f.bottom - t.bottom) < 1, f.width === t.width,
                         getComputedStyle(document.getElementById('goal-track'), '::after').borderRadius,
                         document.querySelector('.goal-mark').style.bottom]";
    with_browser(async |b| {
        b.set_viewport(480, 360).await;
        b.goto(&url(&app, &live, "goal", "&goal_style=thermometer")).await;
        b.wait_live().await;
        donate(&app, &live, json!({"amount": 25000, "currency": "EUR", "donor": "Ana"})).await;
        eventually("the thermometer at a quarter", WAIT, || async {
            let v = b.js(shape).await;
            (v == json!([true, 7.5, 0.25, true, true, "50%", "50%"])).then_some(())
        })
        .await;
        let label = eur_fr("250,00_€ / 1~000,00_€");
        eventually("the amount eased to its total", WAIT, || async {
            (b.js("return document.getElementById('goal-label').textContent").await == label.as_str()).then_some(())
        })
        .await;
        b.screenshot_element("#w-goal", "goal-thermometer").await;
        // The builder offers it, with a source of its shape.
        b.goto(&format!("{}/overlay/lives/{}/builder?token={}", app.base, live.id, live.overlay_token)).await;
        b.js("var f = document.getElementById('form'); f.elements.widget.value = 'goal';
              f.elements.goal_style.value = 'thermometer'; f.dispatchEvent(new Event('change'));")
            .await;
        let url = b.js("return document.getElementById('url').value").await;
        assert!(
            url.as_str().unwrap().contains("/goal?token=") && url.as_str().unwrap().contains("&goal_style=thermometer"),
            "{url}"
        );
        assert_eq!(
            b.js("return document.getElementById('size-hint').textContent").await,
            "Taille conseillée de la source\u{a0}: 480 × 360"
        );
    })
    .await;
}

/// The latest donation widget: the newest one viewers may see, its message on
/// demand; a held text or a refund gives way to the one before.
#[tokio::test]
async fn the_latest_donation_widget_follows_what_viewers_may_see() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let shown = "var w = document.getElementById('w-latest');
                 return [w.hidden, document.getElementById('latest-title').textContent, document.querySelector('.latest-line').textContent,
                         document.getElementById('latest-message').hidden ? null : document.getElementById('latest-message').textContent]";
    with_browser(async |b| {
        b.goto(&url(&app, &live, "latest", "&latest_message=1")).await;
        b.wait_live().await;
        assert_eq!(b.js("return document.getElementById('w-latest').hidden").await, true, "nothing given yet");
        donate(&app, &live, json!({"amount": 1500, "currency": "EUR", "donor": "Hugo", "message": "Courage !"})).await;
        let hugo = json!([false, "Dernier don", eur_fr("Hugo 15,00_€"), "Courage !"]);
        eventually("Hugo's donation", WAIT, || async { (b.js(shown).await == hugo).then_some(()) }).await;
        // Held for moderation: Hugo's stays until it is approved.
        app.moderate(&live, json!({"mode": "manual"})).await;
        let v =
            donate(&app, &live, json!({"amount": 2000, "currency": "EUR", "donor": "Inès", "message": "Salut"})).await;
        let id = v["donation"]["id"].as_str().unwrap().to_owned();
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(b.js(shown).await, hugo);
        let (s, _) = app.post(&format!("/api/v1/donations/{id}/approve"), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        let ines = json!([false, "Dernier don", eur_fr("Inès 20,00_€"), "Salut"]);
        eventually("Inès's donation once approved", WAIT, || async { (b.js(shown).await == ines).then_some(()) }).await;
        // Refunded whole: the one before again.
        let (s, _) = app.post(&format!("/api/v1/donations/{id}/refund"), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        eventually("Hugo's again after the refund", WAIT, || async { (b.js(shown).await == hugo).then_some(()) }).await;
    })
    .await;
}

/// `tts=1`: a donor's message is read aloud by the computer's voice chosen by
/// name, masked words left out; the alert stays on screen while it is read;
/// a gift under `tts_min` is shown, not read; the host's skip silences the
/// voice; a voice that never starts is given up; with `tts_name=1` the name and
/// the amount are said first. The page's speech is recorded in place of the
/// computer's (headless Chromium has no voices).
#[tokio::test]
async fn donors_messages_are_read_aloud_and_their_alert_waits_for_the_voice() {
    let app = spawn_app().await;
    let live = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    app.moderate(&live, json!({"mode": "off", "words": ["brocoli"]})).await;
    let spoken = "return window.__spoken.map(function (u) { \
                    return [u.text, u.lang, u.volume, u.voice ? u.voice.name : null]; })";
    let on_screen = "var a = document.getElementById('alert'); \
                     return a.hidden ? null : [document.getElementById('alert-donor').textContent, \
                       document.getElementById('alert-message').hidden ? null : document.getElementById('alert-message').textContent];";
    let spoken_count = async |b: &Browser, n: usize| {
        eventually(&format!("{n} messages read"), WAIT, || async {
            (b.js("return window.__spoken.length").await == n).then_some(())
        })
        .await;
    };
    // The computer's voices replaced by a recorder (headless Chromium has none).
    let stub = r#"window.__spoken = []; window.__cancelled = 0;
            window.SpeechSynthesisUtterance = function (text) { this.text = text; };
            speechSynthesis.getVoices = function () {
              return [{name: "Thomas", lang: "fr-FR"}, {name: "Amélie", lang: "fr-CA"}, {name: "Samantha", lang: "en-US"}];
            };
            // A voice that starts at once, as the computer's would (until told not to).
            window.__starts = true;
            speechSynthesis.speak = function (u) { window.__spoken.push(u); if (window.__starts) u.onstart(); };
            speechSynthesis.cancel = function () { window.__cancelled += 1; };
            return null;"#;
    with_browser(async |b| {
        b.goto(&url(&app, &live, "alert", "&duration=1&tts=1&tts_min=2&tts_voice=AMÉL&volume=50")).await;
        b.wait_live().await;
        b.js(stub).await;

        // Read in the voice named, the masked word left out; on screen until read.
        donate(
            &app,
            &live,
            json!({"amount": 500, "currency": "EUR", "donor": "Ana", "message": "Bravo brocoli, merci !"}),
        )
        .await;
        spoken_count(b, 1).await;
        assert_eq!(b.js(spoken).await, json!([["Bravo , merci !", "fr-FR", 0.5, "Amélie"]]));
        assert_eq!(b.js(on_screen).await, json!(["Ana", "Bravo *******, merci !"]));
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert_eq!(b.js(on_screen).await, json!(["Ana", "Bravo *******, merci !"]), "still read after its 1 s");
        b.js("window.__spoken[0].onend(); return null;").await;
        eventually("the alert leaves once read", WAIT, || async { b.js(on_screen).await.is_null().then_some(()) })
            .await;

        // Under `tts_min`: shown, not read.
        record_alerts(b).await;
        donate(&app, &live, json!({"amount": 150, "currency": "EUR", "donor": "Bea", "message": "Petit don"})).await;
        wait_recorded(b, &[&eur_fr("Bea 1,50_€")]).await;
        eventually("Bea's alert gone", WAIT, || async { b.js(on_screen).await.is_null().then_some(()) }).await;
        assert_eq!(b.js("return window.__spoken.length").await, 1);

        // Skipped by the host while read: silent and off the screen.
        donate(
            &app,
            &live,
            json!({"amount": 300, "currency": "EUR", "donor": "Cléo", "message": "Salut la compagnie"}),
        )
        .await;
        spoken_count(b, 2).await;
        let (s, _) = app.post(&format!("/api/v1/lives/{}/alerts/skip", live.id), Some(&host), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        eventually("the skipped alert gone", WAIT, || async { b.js(on_screen).await.is_null().then_some(()) }).await;
        assert_eq!(b.js("return window.__cancelled").await, 1, "the voice stopped");

        // A voice that never starts: given up, the alert leaves.
        b.js("window.__starts = false; return null;").await;
        donate(&app, &live, json!({"amount": 400, "currency": "EUR", "donor": "Dan", "message": "Courage à tous"}))
            .await;
        spoken_count(b, 3).await;
        assert_eq!(b.js(spoken).await[2], json!(["Courage à tous", "fr-FR", 0.5, "Amélie"]));
        eventually("the alert leaves without its voice", WAIT, || async {
            b.js(on_screen).await.is_null().then_some(())
        })
        .await;

        // `tts_name=1`, in English: the name and the amount said first, a gift without a message too.
        b.goto(&url(&app, &live, "alert", "&duration=1&tts=1&tts_name=1&lang=en")).await;
        b.wait_live().await;
        b.js(stub).await;
        donate(&app, &live, json!({"amount": 2000, "currency": "EUR", "donor": "Eve", "anonymous": true})).await;
        spoken_count(b, 1).await;
        donate(&app, &live, json!({"amount": 1250, "currency": "EUR", "donor": "Fay", "message": "Go go go"})).await;
        b.js("window.__spoken[0].onend(); return null;").await;
        spoken_count(b, 2).await;
        let said = b.js(spoken).await;
        assert_eq!(
            said,
            json!([
                ["An anonymous donor gave €20.", "en-US", 0.7, "Samantha"],
                ["Fay gave €12.50. Go go go", "en-US", 0.7, "Samantha"]
            ])
        );
    })
    .await;
}
