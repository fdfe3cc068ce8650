//! A host's hand on the alerts during a live: paused and resumed
//! (`PUT /lives/{id}/alerts`), the one on screen skipped (`POST …/alerts/skip`).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn pause(app: &TestApp, live: &TestLive, token: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/lives/{}/alerts", live.id);
    app.request(reqwest::Method::PUT, &path, Some(token), &[], Some(body.to_string())).await
}

async fn skip(app: &TestApp, live: &TestLive, token: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/lives/{}/alerts/skip", live.id), Some(token), json!({})).await
}

#[tokio::test]
async fn a_host_pauses_resumes_and_skips_the_alerts_of_their_overlays() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let zoe = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let elsewhere = app.setup().await;
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["live"]["alerts_paused"], false);
    let mut campaign_ws = app.campaign_ws(&live.campaign_id).await;
    campaign_ws.next().await;

    // Paused from the host's space: on the live's stream and in its answer.
    let (s, l) = pause(&app, &live, &host, json!({"paused": true})).await;
    assert_eq!((s, l["alerts_paused"].as_bool()), (StatusCode::OK, Some(true)), "{l}");
    let frame = ws.until("live_updated").await;
    assert_eq!((frame["live"]["id"].as_str(), &frame["live"]["alerts_paused"]), (Some(live.id.as_str()), &json!(true)));
    // Asked again: nothing new is written.
    let seq = frame["seq"].as_u64().unwrap();
    assert_eq!(pause(&app, &live, &live.key, json!({"paused": true})).await.0, StatusCode::OK);
    // The alert on screen skipped: a frame of its own, on the campaign's stream too.
    let (s, v) = skip(&app, &live, &host).await;
    assert_eq!((s, v["seq"].as_u64()), (StatusCode::OK, Some(seq + 1)), "{v}");
    let frame = ws.next().await;
    assert_eq!(frame, json!({"type": "alert_skipped", "seq": seq + 1, "live_id": live.id}));
    assert_eq!(campaign_ws.until("alert_skipped").await["live_id"], live.id.as_str());
    // Donations still count while paused.
    assert_eq!(app.donate_ok(&live, 700).await["totals"]["raised"], 700);

    // Refused, and nothing changes: an overlay token, another host's key, another
    // campaign's, a wrong body, no such live.
    for token in [&live.overlay_token, zoe.body["host_token"].as_str().unwrap(), &elsewhere.key] {
        assert_eq!(pause(&app, &live, token, json!({"paused": false})).await.0, StatusCode::FORBIDDEN, "{token}");
        assert_eq!(skip(&app, &live, token).await.0, StatusCode::FORBIDDEN, "{token}");
    }
    let (s, e) = pause(&app, &live, &host, json!({"paused": "no"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = pause(&app, &live, &host, json!({"paused": false, "for": 5})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field")));
    let nope = TestLive { id: "nope".into(), ..live.clone() };
    assert_eq!(skip(&app, &nope, ADMIN).await.0, StatusCode::NOT_FOUND);
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["alerts_paused"], true);

    // Kept across a restart; resumed by the organisers.
    let app = app.restart().await;
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["alerts_paused"], true);
    let (s, l) = pause(&app, &live, ADMIN, json!({"paused": false})).await;
    assert_eq!((s, l["alerts_paused"].as_bool()), (StatusCode::OK, Some(false)));
    let (_, doc) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(doc["lives"][0]["alerts_paused"], false);
}
