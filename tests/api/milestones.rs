//! A live's milestones set by its host, and milestones taken off before they
//! are reached.

use super::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn delete(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    app.request(Method::DELETE, path, Some(token), &[], None).await
}

#[tokio::test]
async fn a_host_sets_and_removes_the_milestones_of_their_live() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let other_host = other.body["host_token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let path = format!("/api/v1/lives/{}/milestones", live.id);

    // The host and the live's key each set one; the answer is the campaign's milestone.
    let (s, pink) = app.post(&path, Some(&host), json!({"amount": 20000, "label": "Cheveux roses"})).await;
    assert_eq!(s, StatusCode::CREATED, "{pink}");
    assert_eq!(
        (pink["live_id"].as_str(), pink["amount"].as_i64(), pink["label"].as_str(), pink["reached"].as_bool()),
        (Some(live.id.as_str()), Some(20000), Some("Cheveux roses"), Some(false))
    );
    assert_eq!((pink["cancelled"].as_bool(), pink["ends_at"].clone()), (Some(false), Value::Null));
    // On the live's stream at once, for its overlays' goal bar.
    let frame = ws.until("milestone_created").await;
    assert_eq!(frame["milestone"], pink);
    let (s, song) =
        app.post(&path, Some(&live.key), json!({"amount": 50000, "label": "Karaoké", "id": "karaoke"})).await;
    assert_eq!((s, song["id"].as_str()), (StatusCode::CREATED, Some("karaoke")), "{song}");
    // Never another live's host, nor an overlay token; the body is checked.
    let (s, e) = app.post(&path, Some(&other_host), json!({"amount": 100, "label": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = app.post(&path, Some(&live.overlay_token), json!({"amount": 100, "label": "x"})).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED, "{s} {e}");
    for (body, code) in [
        (json!({"amount": 0, "label": "x"}), "invalid_amount"),
        (json!({"amount": 100, "label": " "}), "invalid_field"),
        (json!({"amount": 100, "label": "x", "live_id": other.id}), "unknown_field"),
    ] {
        let (s, e) = app.post(&path, Some(&host), body.clone()).await;
        assert!(s.is_client_error() && e["error"] == code, "{body}: {s} {e}");
    }
    let (s, e) = app.post(&path, Some(&host), json!({"amount": 100, "label": "x", "id": "karaoke"})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("id_taken")), "{e}");

    // The host takes the karaoke off: the answer and the frame say so.
    let one = |id: &str| format!("{path}/{id}");
    let (s, e) = delete(&app, &one("karaoke"), &other_host).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, gone) = delete(&app, &one("karaoke"), &host).await;
    assert_eq!(s, StatusCode::OK, "{gone}");
    assert_eq!(
        (gone["id"].as_str(), gone["cancelled"].as_bool(), gone["reached"].as_bool()),
        (Some("karaoke"), Some(true), Some(false))
    );
    let frame = ws.until("milestone_removed").await;
    assert_eq!(frame["milestone"], gone);
    let (s, e) = delete(&app, &one("karaoke"), &host).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("milestone_not_found")), "{e}");

    // 600 € later: the pink hair is reached, the karaoke never.
    app.donate_ok(&live, 60000).await;
    let reached = ws.until("milestone_reached").await;
    assert_eq!(reached["milestone"]["id"], pink["id"]);
    let events = app.events(&live, 0).await;
    let kinds: Vec<(&str, &str)> =
        events.iter().filter_map(|e| Some((e["type"].as_str()?, e["milestone"]["id"].as_str()?))).collect();
    let pink_id = pink["id"].as_str().unwrap();
    assert_eq!(
        kinds,
        [
            ("milestone_created", pink_id),
            ("milestone_created", "karaoke"),
            ("milestone_removed", "karaoke"),
            ("milestone_reached", pink_id)
        ]
    );
    // A milestone reached stays on record.
    let (s, e) = delete(&app, &one(pink["id"].as_str().unwrap()), &host).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("milestone_reached")), "{e}");

    // A challenge is called off, not removed; another live's milestone is not this live's.
    let (s, ch) = app
        .post(
            &format!("/api/v1/lives/{}/challenges", live.id),
            Some(&host),
            json!({"label": "Je chante", "amount": 5000, "minutes": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ch}");
    let (s, e) = delete(&app, &one(ch["id"].as_str().unwrap()), &host).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("milestone_not_found")), "{e}");
    let (s, theirs) = app
        .post(
            &format!("/api/v1/lives/{}/milestones", other.id),
            Some(&other_host),
            json!({"amount": 9000, "label": "Dessin"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{theirs}");
    let (s, e) = delete(&app, &one(theirs["id"].as_str().unwrap()), &host).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("milestone_not_found")), "{e}");

    // The organisers take off a campaign-wide one; a live's key may not.
    let campaign_path = format!("/api/v1/campaigns/{}/milestones", live.campaign_id);
    let (s, wide) = app.post(&campaign_path, Some(ADMIN), json!({"amount": 900000, "label": "Concert"})).await;
    assert_eq!(s, StatusCode::CREATED, "{wide}");
    let wide_path = format!("{campaign_path}/{}", wide["id"].as_str().unwrap());
    let (s, e) = delete(&app, &wide_path, &live.key).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) =
        delete(&app, &format!("/api/v1/lives/{}/milestones/{}", live.id, wide["id"].as_str().unwrap()), &host).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("milestone_not_found")), "{e}");
    let (s, w) = delete(&app, &wide_path, ADMIN).await;
    assert_eq!((s, w["cancelled"].as_bool()), (StatusCode::OK, Some(true)), "{w}");
    let (s, e) = delete(&app, "/api/v1/campaigns/nope/milestones/x", ADMIN).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")), "{e}");

    // After a restart, the same: removed ones stay removed and are never reached.
    let (_, before) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    let app = app.restart().await;
    let (_, after) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(after["milestones"], before["milestones"]);
    app.donate_ok(&live, 900000).await;
    let (_, now) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    let state: Vec<(String, bool, bool)> = now["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["label"].as_str().unwrap().to_owned(), m["reached"] == true, m["cancelled"] == true))
        .collect();
    assert_eq!(
        state,
        [
            ("Cheveux roses".to_owned(), true, false),
            ("Karaoké".to_owned(), false, true),
            ("Je chante".to_owned(), true, false),
            ("Dessin".to_owned(), false, false),
            ("Concert".to_owned(), false, true),
        ]
    );
}
