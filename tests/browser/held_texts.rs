//! A burst of texts held for moderation, in real headless Chromium: the
//! overlay's ticker and latest gift and the live's public page keep the gifts
//! on air, open while the burst comes and opened after it; one approved takes
//! its place first.

use crate::browser::{Browser, eventually, with_browser};
use crate::helpers::{ADMIN, TestApp, TestLive, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// Gifts named `{prefix} {i}`, for 1,00 € + `i` cents; their ids.
async fn gifts(app: &TestApp, live: &TestLive, prefix: &str, n: i64) -> Vec<String> {
    let mut ids = vec![];
    for i in 0..n {
        let body = json!({"amount": 100 + i, "currency": "EUR", "donor": format!("{prefix} {i}")});
        let (s, d) = app.donate(live, body).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        ids.push(d["donation"]["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// The overlay's ticker names and its latest gift's donor.
async fn on_air(b: &Browser) -> Value {
    b.js(r##"var latest = document.getElementById("latest-donor");
        return [Array.from(document.querySelectorAll("#ticker-track .ticker-donor")).map(function (n) { return n.textContent; }),
                latest && !document.getElementById("w-latest").hidden ? latest.textContent : null];"##)
        .await
}

async fn wait_on_air(b: &Browser, names: &[&str], latest: &str) {
    // The ticker repeats its items to scroll without a gap: its first ones.
    eventually(&format!("on air: {names:?}, latest {latest}"), WAIT, || async {
        let v = on_air(b).await;
        let ticker: Vec<&str> = v[0].as_array()?.iter().filter_map(Value::as_str).take(names.len()).collect();
        (ticker == names && v[1] == latest).then_some(())
    })
    .await;
}

async fn wait_page(b: &Browser, names: &[&str]) {
    eventually(&format!("the page's latest donations: {names:?}"), WAIT, || async {
        let v = b.js("return Array.from(document.querySelectorAll('#recent li .donor')).map(function (n) { return n.textContent; })").await;
        (v == json!(names)).then_some(())
    })
    .await;
}

/// Waits until the page's element `id` shows the live's total as the API
/// gives it (its digits first): the page has heard every gift.
async fn heard(b: &Browser, app: &TestApp, live: &TestLive, id: &str) {
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let total = l["totals"]["total"].as_i64().unwrap().to_string();
    eventually(&format!("#{id} shows the total {total}"), WAIT, || async {
        let t = b
            .client
            .execute("var n = document.getElementById(arguments[0]); return n ? n.textContent : ''", vec![json!(id)])
            .await
            .ok()?;
        let digits: String = t.as_str()?.chars().filter(char::is_ascii_digit).collect();
        digits.starts_with(&total).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_held_texts_leaves_the_gifts_on_air_on_screen() {
    let app = spawn_app().await;
    let live = app.setup().await;
    gifts(&app, &live, "Vu", 3).await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let overlay =
        format!("{}/overlay/lives/{}?token={}&widgets=ticker,latest,goal", app.base, live.id, live.overlay_token);
    with_browser(async |b| {
        b.goto(&overlay).await;
        b.wait_live().await;
        wait_on_air(b, &["Vu 2", "Vu 1", "Vu 0"], "Vu 2").await;
        // Twenty-five held while the overlay is open: what is on air stays.
        let held = gifts(&app, &live, "Attente", 25).await;
        heard(b, &app, &live, "goal-label").await;
        wait_on_air(b, &["Vu 2", "Vu 1", "Vu 0"], "Vu 2").await;
        // One approved: first on the ticker and the latest gift.
        let (s, v) = app.post(&format!("/api/v1/donations/{}/approve", held[4]), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_on_air(b, &["Attente 4", "Vu 2", "Vu 1", "Vu 0"], "Attente 4").await;
        // Opened after the burst, the same.
        b.goto(&overlay).await;
        b.wait_live().await;
        wait_on_air(b, &["Attente 4", "Vu 2", "Vu 1", "Vu 0"], "Attente 4").await;

        // The live's public page, open while another burst comes.
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_page(b, &["Attente 4", "Vu 2", "Vu 1", "Vu 0"]).await;
        let more = gifts(&app, &live, "Encore", 25).await;
        heard(b, &app, &live, "total").await;
        wait_page(b, &["Attente 4", "Vu 2", "Vu 1", "Vu 0"]).await;
        let (s, v) = app.post(&format!("/api/v1/donations/{}/approve", more[0]), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_page(b, &["Encore 0", "Attente 4", "Vu 2", "Vu 1", "Vu 0"]).await;
    })
    .await;
}

/// A held text whose gift was refunded whole has nothing left to approve: its
/// row in the host's and the organisers' donations offers no approval, and it
/// leaves the held texts; one refunded in part still waits.
#[tokio::test]
async fn a_held_text_refunded_whole_is_no_longer_offered_for_approval() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let ids = gifts(&app, &live, "Attente", 2).await;
    assert_eq!(app.refund(&live, &ids[0], json!({})).await, StatusCode::OK);
    assert_eq!(app.refund(&live, &ids[1], json!({"refunded_amount": 50})).await, StatusCode::OK);
    // The approvals offered in a donations table, by donation.
    let offered = "return Array.from(document.querySelectorAll('#donations [data-act=approve]'))\
                   .map(function (b) { return b.dataset.id || b.closest('[data-id]').dataset.id; }).sort()";
    let host = live.body["host_token"].as_str().unwrap();
    with_browser(async |b| {
        b.goto(&format!("{}/lives/{}/host#key={host}", app.base, live.id)).await;
        eventually("the host's donations", WAIT, || async {
            (b.js("return document.querySelectorAll('#donations [data-id]').length").await.as_u64() > Some(0))
                .then_some(())
        })
        .await;
        assert_eq!(b.js(offered).await, json!([ids[1]]));
        crate::dashboard::sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        eventually("the organisers' donations", WAIT, || async {
            (b.js("return document.querySelectorAll('#donations tbody tr[data-id]').length").await.as_u64() == Some(2))
                .then_some(())
        })
        .await;
        assert_eq!(b.js(offered).await, json!([ids[1]]));
    })
    .await;
}
