//! What the admin sees of the server: `GET /metrics`, and who follows each stream now.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// The page, and the value of each sample by its whole name (labels included).
pub async fn scrape(app: &TestApp) -> (String, std::collections::HashMap<String, f64>) {
    let res = app.client.get(format!("{}/metrics", app.base)).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let page = res.text().await.unwrap();
    let values = page
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap();
            (name.to_owned(), value.parse().unwrap_or_else(|_| panic!("not a number: {l}")))
        })
        .collect();
    (page, values)
}

/// Scrapes until `name` has `value`, for figures that follow an asynchronous end.
async fn until(app: &TestApp, name: &str, value: f64) -> std::collections::HashMap<String, f64> {
    until_at_least(app, name, value, value).await
}

/// Scrapes until `name` is within `low..=high`.
async fn until_at_least(app: &TestApp, name: &str, low: f64, high: f64) -> std::collections::HashMap<String, f64> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (page, values) = scrape(app).await;
        if values.get(name).is_some_and(|v| (low..=high).contains(v)) {
            return values;
        }
        assert!(tokio::time::Instant::now() < deadline, "{name} never reached {low}..={high}:\n{page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn metrics_are_for_the_admin_and_count_exactly() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let res = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.client.get(format!("{}/metrics", app.base)).bearer_auth(&live.key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // A receiver that is not there: its deliveries fail.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let body = json!({"url": format!("http://{gone}/hook"), "secret": "subscriber-secret-0123456789", "campaign_id": live.campaign_id});
    let (s, v) = app.post("/api/v1/webhooks", Some(ADMIN), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let webhook = v["id"].as_str().unwrap().to_owned();

    // A second live, on air since ten minutes ago for an hour, and still unfollowed.
    let start = (time::OffsetDateTime::now_utc() - time::Duration::minutes(10))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let on_air =
        app.live(&live.campaign_id, json!({"host": "Ana", "scheduled_at": start, "duration_minutes": 60})).await;

    let mut a = app.ws(&live, None).await;
    let b = app.ws(&live, None).await;
    app.donate_ok(&live, 1050).await;
    app.donate_ok(&live, 250).await;
    let (s, _) =
        app.donate(&TestLive { key: "ck_wrong".into(), ..live.clone() }, json!({"amount": 1, "currency": "EUR"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The outbox takes up a new receiver in its own time: its series comes then.
    until(&app, &format!("cagnotte_webhook_delivered_total{{webhook=\"{webhook}\"}}"), 0.0).await;
    let values = until(&app, "cagnotte_websocket_sessions", 2.0).await;
    let (c, l, o) = (&live.campaign_id, &live.id, &on_air.id);
    let expected = [
        (format!("cagnotte_campaign_raised_minor_units{{campaign=\"{c}\",currency=\"EUR\"}}"), 1300.0),
        (format!("cagnotte_campaign_matched_minor_units{{campaign=\"{c}\",currency=\"EUR\"}}"), 0.0),
        (format!("cagnotte_campaign_donations{{campaign=\"{c}\",currency=\"EUR\"}}"), 2.0),
        (format!("cagnotte_campaign_overlays{{campaign=\"{c}\"}}"), 0.0),
        (format!("cagnotte_campaign_viewers{{campaign=\"{c}\"}}"), 0.0),
        ("cagnotte_campaigns".to_owned(), 1.0),
        ("cagnotte_lives".to_owned(), 2.0),
        (format!("cagnotte_live_raised_minor_units{{campaign=\"{c}\",live=\"{l}\",currency=\"EUR\"}}"), 1300.0),
        (format!("cagnotte_live_matched_minor_units{{campaign=\"{c}\",live=\"{l}\",currency=\"EUR\"}}"), 0.0),
        (format!("cagnotte_live_donations{{campaign=\"{c}\",live=\"{l}\",currency=\"EUR\"}}"), 2.0),
        (format!("cagnotte_live_donations{{campaign=\"{c}\",live=\"{o}\",currency=\"EUR\"}}"), 0.0),
        (format!("cagnotte_live_on_air{{campaign=\"{c}\",live=\"{l}\"}}"), 0.0),
        (format!("cagnotte_live_on_air{{campaign=\"{c}\",live=\"{o}\"}}"), 1.0),
        (format!("cagnotte_live_overlays{{campaign=\"{c}\",live=\"{l}\"}}"), 2.0),
        (format!("cagnotte_live_overlays{{campaign=\"{c}\",live=\"{o}\"}}"), 0.0),
        (format!("cagnotte_live_viewers{{campaign=\"{c}\",live=\"{l}\"}}"), 0.0),
        ("cagnotte_websocket_sessions_opened_total".to_owned(), 2.0),
        // Campaign, two lives, webhook, two donations and the refused one: seven writes.
        ("cagnotte_http_write_duration_seconds_count".to_owned(), 7.0),
        ("cagnotte_http_responses_total{class=\"4xx\"}".to_owned(), 3.0),
        ("cagnotte_http_refused_total{reason=\"auth_brake\"}".to_owned(), 0.0),
        (format!("cagnotte_webhook_delivered_total{{webhook=\"{webhook}\"}}"), 0.0),
        (format!("cagnotte_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION")), 1.0),
    ];
    for (name, value) in &expected {
        assert_eq!(values.get(name), Some(value), "{name}");
    }
    // Every event of this fresh log was committed by this process.
    let seq = values["cagnotte_ledger_seq"];
    assert!(seq >= 6.0, "campaign, two lives, webhook and two donations: {seq}");
    assert_eq!(values["cagnotte_ledger_committed_events_total"], seq);
    assert!(values["cagnotte_ledger_commits_total"] >= 1.0);
    assert!(values["cagnotte_ledger_commit_duration_seconds_count"] >= 1.0);
    assert!(values["process_resident_memory_bytes"] > 1e6);
    assert!(values["process_open_fds"] >= 3.0);
    assert!(values.contains_key("process_cpu_seconds_total"));

    // The receiver's failures show; then one viewer drops its connection, and the other closes properly.
    let failed = format!("cagnotte_webhook_failed_attempts{{webhook=\"{webhook}\"}}");
    let values = until_at_least(&app, &failed, 1.0, f64::MAX).await;
    assert_eq!(values[&format!("cagnotte_webhook_delivered_total{{webhook=\"{webhook}\"}}")], 0.0);
    drop(b);
    let values = until(&app, "cagnotte_websocket_sessions_ended_total{reason=\"left\"}", 1.0).await;
    assert_eq!(values["cagnotte_websocket_sessions"], 1.0);
    until(&app, &format!("cagnotte_live_overlays{{campaign=\"{c}\",live=\"{l}\"}}"), 1.0).await;
    assert_eq!(
        values["cagnotte_websocket_sessions_ended_total{reason=\"bad_message\"}"], 0.0,
        "it left, it did not misbehave"
    );
    a.stream.close(None).await.unwrap();
    until(&app, "cagnotte_websocket_sessions", 0.0).await;
}

#[tokio::test]
async fn connections_count_overlays_and_viewers_of_each_stream() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let path = format!("/api/v1/campaigns/{}/connections", live.campaign_id);
    let (s, _) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the admin's only");
    let (s, v) = app.request(reqwest::Method::GET, "/api/v1/campaigns/nope/connections", Some(ADMIN), &[], None).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")));

    let overlay = app.ws(&live, None).await;
    let public = |p: String| tokio_tungstenite::connect_async(format!("ws://{}{p}", app.addr));
    let (viewer, _) = public(format!("/ws/public/lives/{}", live.id)).await.unwrap();
    let (campaign_viewer, _) = public(format!("/ws/public/campaigns/{}", live.campaign_id)).await.unwrap();
    let expected = json!({
        "campaign": {"overlays": 0, "viewers": 1},
        "lives": {(live.id.clone()): {"overlays": 1, "viewers": 1}},
    });
    // The host, with the live's key, sees the live's own.
    let live_path = format!("/api/v1/lives/{}/connections", live.id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (s, v) = app.request(reqwest::Method::GET, &live_path, Some(&live.key), &[], None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if v == json!({"overlays": 1, "viewers": 1}) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (s, _) = app.request(reqwest::Method::GET, &live_path, Some(&live.overlay_token), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.request(reqwest::Method::GET, &live_path, None, &[], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (s, v) = app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await;
        assert_eq!(s, StatusCode::OK);
        if v == expected {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop((overlay, viewer, campaign_viewer));
    let nobody = json!({
        "campaign": {"overlays": 0, "viewers": 0},
        "lives": {(live.id.clone()): {"overlays": 0, "viewers": 0}},
    });
    loop {
        let (_, v) = app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await;
        if v == nobody {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
