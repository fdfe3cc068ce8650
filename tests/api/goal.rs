//! A goal raised on air: the host's `PUT /lives/{id}/goal`, and every edit of a
//! live or a campaign on its streams (`live_updated`, `campaign_updated`).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn put_goal(
    app: &TestApp,
    live: &TestLive,
    token: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let path = format!("/api/v1/lives/{}/goal", live.id);
    app.request(reqwest::Method::PUT, &path, Some(token), &[], Some(body.to_string())).await
}

#[tokio::test]
async fn a_host_raises_the_goal_on_air_and_the_streams_follow() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    let snapshot = ws.next().await;
    assert_eq!(snapshot["goal"], 100000);
    let mut campaign_ws = app.campaign_ws(&live.campaign_id).await;
    campaign_ws.next().await;
    app.donate_ok(&live, 100000).await;
    ws.until("donation").await;

    // The goal reached, the host raises it from their space's key.
    let (s, l) = put_goal(&app, &live, &host, json!({"goal": 200000})).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!((l["goal"].clone(), l["totals"]["total"].clone()), (json!(200000), json!(100000)));
    let frame = ws.until("live_updated").await;
    assert_eq!(
        (frame["live"]["id"].as_str(), frame["live"]["goal"].clone(), frame["live"]["host"].as_str()),
        (Some(live.id.as_str()), json!(200000), Some("Corentin"))
    );
    assert!(frame["live"].get("key_hash").is_none() && frame["live"].get("overlay_hash").is_none(), "{frame}");
    assert_eq!(campaign_ws.until("live_updated").await["live"]["goal"], 200000);
    // Resumable like any frame; the live's answer and a new snapshot say it too.
    let seq = frame["seq"].as_u64().unwrap();
    let events = app.events(&live, seq - 1).await;
    assert_eq!(events[0], frame);
    let mut again = app.ws(&live, None).await;
    let snapshot = again.next().await;
    assert_eq!((snapshot["goal"].clone(), snapshot["seq"].as_u64()), (json!(200000), Some(seq)));

    // The live's key and the admin may too; no goal (the campaign's then) is `null`.
    let (s, l) = put_goal(&app, &live, &live.key, json!({"goal": null})).await;
    assert_eq!((s, l["goal"].clone()), (StatusCode::OK, json!(null)), "{l}");
    assert_eq!(ws.until("live_updated").await["live"]["goal"], json!(null));
    let (s, l) = put_goal(&app, &live, ADMIN, json!({"goal": 150050})).await;
    assert_eq!((s, l["goal"].clone()), (StatusCode::OK, json!(150050)), "{l}");

    // Refused, and nothing changes: another live's host or key, an overlay
    // token, a bad amount, another field, no live.
    let other_host = other.body["host_token"].as_str().unwrap();
    for token in [other_host, other.key.as_str(), live.overlay_token.as_str()] {
        let (s, e) = put_goal(&app, &live, token, json!({"goal": 5000})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }
    for body in [json!({"goal": 0}), json!({"goal": -100}), json!({"goal": 10.5}), json!({"goal": "beaucoup"})] {
        let (s, e) = put_goal(&app, &live, &host, body.clone()).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_amount")), "{body}: {e}");
    }
    for body in [json!({}), json!({"goal": 5000, "host": "Moi"})] {
        let (s, e) = put_goal(&app, &live, &host, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
    }
    let (s, e) = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/lives/nope/goal",
            Some(ADMIN),
            &[],
            Some(json!({"goal": 5}).to_string()),
        )
        .await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("live_not_found")), "{e}");
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["goal"], 150050);

    // The organisers' edit of the campaign: on the campaign's stream and every live's.
    let (s, c) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/{}", live.campaign_id),
            Some(ADMIN),
            &[],
            Some(json!({"goal": 900000}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let frame = ws.until("campaign_updated").await;
    assert_eq!(
        (frame["campaign"]["id"].as_str(), frame["campaign"]["goal"].clone(), frame["campaign"]["name"].as_str()),
        (Some(live.campaign_id.as_str()), json!(900000), Some("Restos"))
    );
    assert!(frame["campaign"].get("overlay_hash").is_none(), "{frame}");
    assert_eq!(campaign_ws.until("campaign_updated").await["campaign"]["goal"], 900000);

    // After a restart: the goal as last set.
    let app = app.restart().await;
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!((l["goal"].clone(), l["campaign_goal"].clone()), (json!(150050), json!(900000)));
}

#[tokio::test]
async fn a_host_sets_where_their_live_is_watched() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let put = async |token: &str, body: serde_json::Value| {
        let path = format!("/api/v1/lives/{}/stream", live.id);
        app.request(reqwest::Method::PUT, &path, Some(token), &[], Some(body.to_string())).await
    };
    let (s, l) = put(&host, json!({"stream_url": "https://www.twitch.tv/corentin"})).await;
    assert_eq!((s, l["stream_url"].as_str()), (StatusCode::OK, Some("https://www.twitch.tv/corentin")), "{l}");
    assert_eq!(ws.until("live_updated").await["live"]["stream_url"], "https://www.twitch.tv/corentin");
    let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(c["lives"][0]["stream_url"], "https://www.twitch.tv/corentin");

    // The same link writes nothing; refusals change nothing.
    let before = app.events(&live, 0).await.len();
    let (s, _) = put(&live.key, json!({"stream_url": "https://www.twitch.tv/corentin"})).await;
    assert_eq!(s, StatusCode::OK);
    let other_host = other.body["host_token"].as_str().unwrap();
    for token in [other_host, live.overlay_token.as_str()] {
        let (s, e) = put(token, json!({"stream_url": "https://www.twitch.tv/x"})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }
    for body in [
        json!({"stream_url": "twitch.tv/x"}),
        json!({"stream_url": "javascript:alert(1)"}),
        json!({"url": "https://a.example"}),
    ] {
        let (s, e) = put(&host, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
    }
    assert_eq!(app.events(&live, 0).await.len(), before, "nothing was written");

    // Taken off by its host.
    let (s, l) = put(&host, json!({"stream_url": null})).await;
    assert_eq!((s, l["stream_url"].clone()), (StatusCode::OK, serde_json::Value::Null), "{l}");
    assert_eq!(ws.until("live_updated").await["live"]["stream_url"], serde_json::Value::Null);
}
