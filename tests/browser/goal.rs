//! A goal raised on air: from the host's space, followed at once by the
//! overlay's goal bar and the public page, without a reload.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::{click, fill, fr, wait_text};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn put_goal(app: &TestApp, live: &TestLive, goal: i64) {
    let path = format!("/api/v1/lives/{}/goal", live.id);
    let host = live.body["host_token"].as_str().unwrap();
    let (s, v) =
        app.request(reqwest::Method::PUT, &path, Some(host), &[], Some(json!({"goal": goal}).to_string())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// An organisers' edit (`PATCH`, admin) of `path`.
async fn edit(app: &TestApp, path: &str, body: serde_json::Value) {
    let (s, v) = app.request(reqwest::Method::PATCH, path, Some(ADMIN), &[], Some(body.to_string())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Renames the campaign.
async fn rename(app: &TestApp, live: &TestLive, name: &str) {
    edit(app, &format!("/api/v1/campaigns/{}", live.campaign_id), json!({"name": name})).await;
}

/// Marks the page: a reload would lose the mark.
async fn mark(b: &Browser) {
    b.js("window.__same = true").await;
}

async fn same_page(b: &Browser) -> bool {
    b.js("return window.__same === true").await == true
}

#[tokio::test]
async fn a_goal_raised_on_air_reaches_the_overlay_and_the_public_page_at_once() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.donate_ok(&live, 100000).await;
    with_browser(async |b| {
        // The overlay's goal bar, reached; the host raises the goal: the same page shows the new one.
        b.goto(&format!(
            "{}/overlay/lives/{}/goal?token={}&goal_alert=0&refresh=300",
            app.base, live.id, live.overlay_token
        ))
        .await;
        b.wait_live().await;
        wait_text(b, "#goal-label", &fr("1~000,00_€ / 1~000,00_€")).await;
        assert_eq!(b.js("return document.getElementById('w-goal').dataset.reached").await, "1");
        mark(b).await;
        put_goal(&app, &live, 200000).await;
        wait_text(b, "#goal-label", &fr("1~000,00_€ / 2~000,00_€")).await;
        assert_eq!(b.js("return document.getElementById('w-goal').dataset.reached").await, "");
        assert!(same_page(b).await, "no reload");

        // The alert box announces a goal raised, once, with what is raised so far.
        b.goto(&format!("{}/overlay/lives/{}?token={}&widgets=alert,goal", app.base, live.id, live.overlay_token))
            .await;
        b.wait_live().await;
        b.js("window.__alerts = []; var n = document.getElementById('alert');
              new MutationObserver(function () { if (!n.hidden) window.__alerts.push([
                document.getElementById('alert-donor').textContent, document.getElementById('alert-amount').textContent,
                document.getElementById('alert-message').textContent]); })
                .observe(n, {attributes: true, childList: true, subtree: true, characterData: true});")
            .await;
        put_goal(&app, &live, 300000).await;
        let seen = eventually("the new goal's alert", WAIT, || async {
            let v = b.js("return window.__alerts.length ? window.__alerts[window.__alerts.length - 1] : null").await;
            (!v.is_null()).then_some(v)
        })
        .await;
        assert_eq!(seen, json!(["Nouvel objectif\u{a0}!", fr("3~000,00_€"), fr("Déjà 1~000,00_€_: on continue_!")]));
        // Lowered, no alert.
        b.js("window.__alerts = []").await;
        put_goal(&app, &live, 200000).await;
        wait_text(b, "#goal-label", &fr("1~000,00_€ / 2~000,00_€")).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(b.js("return window.__alerts").await, json!([]));
        // Raised while the overlay was away (OBS closed, its scene not shown):
        // announced when it comes back, from the frames it missed.
        let overlay = b.js("return location.href").await;
        b.goto("about:blank").await;
        put_goal(&app, &live, 400000).await;
        b.goto(overlay.as_str().unwrap()).await;
        eventually("the missed new goal's alert", WAIT, || async {
            let v = b
                .js("return [document.getElementById('alert').hidden, document.getElementById('alert-donor').textContent,
                             document.getElementById('alert-amount').textContent]")
                .await;
            (v == json!([false, "Nouvel objectif\u{a0}!", fr("4~000,00_€")])).then_some(())
        })
        .await;
        put_goal(&app, &live, 200000).await;

        // The host's space: its form changes the goal; the public page open follows.
        b.goto(live.body["host_url"].as_str().unwrap()).await;
        eventually("the host's space", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "ready").then_some(())
        })
        .await;
        wait_text(b, "#goal", &fr("Objectif 2~000,00_€_: 50_%")).await;
        fill(b, "#goal-form [name=goal]", "2500").await;
        click(b, "#goal-form button[type=submit]").await;
        wait_text(b, "#notice", "Objectif changé\u{a0}: vos overlays et la page publique l'affichent dès maintenant.").await;
        wait_text(b, "#goal", &fr("Objectif 2~500,00_€_: 40_%")).await;
        let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
        assert_eq!(l["goal"], 250000);
        // Refused in French: nothing changes.
        fill(b, "#goal-form [name=goal]", "0").await;
        click(b, "#goal-form button[type=submit]").await;
        wait_text(b, "#notice", "Montant invalide\u{a0}: 0").await;

        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_text(b, "#goal-label", &fr("1~000,00_€ sur 2~500,00_€ (40_%)")).await;
        mark(b).await;
        put_goal(&app, &live, 100000).await;
        wait_text(b, "#goal-label", &fr("1~000,00_€ sur 1~000,00_€ (100_%) — objectif atteint, merci_!")).await;
        assert!(same_page(b).await, "no reload");
        // The organisers correct its host and give it a title: the heading follows.
        edit(&app, &format!("/api/v1/lives/{}", live.id), json!({"host": "Corentin B.", "title": "Nuit du jeu"})).await;
        wait_text(b, "#host", "Corentin B.").await;
        wait_text(b, "#title", "Nuit du jeu").await;
        assert_eq!(b.js("return document.title").await, "Corentin B. — Restos");
        // The campaign renamed: its link and the tab's title follow.
        rename(&app, &live, "Restos d'hiver").await;
        wait_text(b, "#campaign-link", "Restos d'hiver").await;
        assert_eq!(b.js("return document.title").await, "Corentin B. — Restos d'hiver");
        assert!(same_page(b).await, "no reload");
        // The campaign's page too.
        b.goto(&format!("{}/campaigns/{}", app.base, live.campaign_id)).await;
        wait_text(b, "#name", "Restos d'hiver").await;
        mark(b).await;
        rename(&app, &live, "Restos 2027").await;
        wait_text(b, "#name", "Restos 2027").await;
        assert_eq!(b.js("return document.title").await, "Restos 2027");
        assert!(same_page(b).await, "no reload");
        // An overlay page's title follows its host too.
        b.goto(&format!("{}/overlay/lives/{}/goal?token={}", app.base, live.id, live.overlay_token)).await;
        b.wait_live().await;
        assert_eq!(b.js("return document.title").await, "Cagnotte — Corentin B.");
        edit(&app, &format!("/api/v1/lives/{}", live.id), json!({"host": "Corentin"})).await;
        eventually("the overlay's title", WAIT, || async {
            (b.js("return document.title").await == "Cagnotte — Corentin").then_some(())
        })
        .await;
    })
    .await;
}
