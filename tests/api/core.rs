//! The spine: donations counted once, pushed to every subscriber, surviving restarts.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn donation_reaches_every_subscriber_and_every_read_agrees() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let mut subs = Vec::new();
    for _ in 0..3 {
        let mut ws = app.ws(&live, None).await;
        let snap = ws.next().await;
        assert_eq!(snap["type"], "snapshot");
        assert_eq!(snap["totals"], json!({"raised": 0, "matched": 0, "total": 0, "donations": 0}));
        assert_eq!(snap["goal"], 100000);
        subs.push(ws);
    }

    let (s, body) = app
        .donate(
            &live,
            json!({"amount": 1050, "currency": "EUR", "donor": "Ana", "message": "Allez !", "platform": "twitch"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let d = &body["donation"];
    assert_eq!(d["amount"], 1050);
    assert_eq!(d["currency"], "EUR");
    assert_eq!(d["donor"], "Ana");
    assert_eq!(d["message"], "Allez !");
    assert_eq!(d["platform"], "twitch");
    assert_eq!(d["matched"], 0);
    assert_eq!(d["refunded"], false);
    assert_eq!(d["live_id"], live.id.as_str());
    let totals = json!({"raised": 1050, "matched": 0, "total": 1050, "donations": 1});
    assert_eq!(body["totals"], totals);
    assert_eq!(body["campaign_totals"], totals);

    let mut seq = None;
    for ws in &mut subs {
        let ev = ws.next().await;
        assert_eq!(ev["type"], "donation");
        assert_eq!(ev["donation"], body["donation"]);
        assert_eq!(ev["totals"], totals);
        assert_eq!(ev["campaign_totals"], totals);
        assert!(ev.get("replay").is_none());
        seq = Some(ev["seq"].as_u64().unwrap());
    }

    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"], totals);
    assert_eq!(l["campaign_totals"], totals);
    assert_eq!(l["host"], "Corentin");
    assert!(l.get("key").is_none() && l.get("overlay_token").is_none(), "no secrets: {l}");
    let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(c["totals"], totals);
    assert_eq!(c["lives"][0]["id"], live.id.as_str());
    assert_eq!(c["lives"][0]["totals"], totals);
    let events = app.events(&live, 0).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["seq"].as_u64(), seq);
    assert_eq!(events[0]["donation"], body["donation"]);
}

#[tokio::test]
async fn campaign_and_live_answers_follow_the_contract() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"id": "doubletesdons", "name": "#Doubletesdons", "currency": "EUR", "goal": 500000,
                         "charity": "Restos du cœur", "starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-12-01T00:00:00+01:00"}))
        .await;
    assert_eq!(c["id"], "doubletesdons");
    assert_eq!(c["currency"], "EUR");
    assert_eq!(c["goal"], 500000);
    assert_eq!(c["ends_at"], "2026-11-30T23:00:00.000Z");
    assert_eq!(c["totals"]["total"], 0);
    let (s, dup) = app
        .post("/api/v1/campaigns", Some(ADMIN), json!({"id": "doubletesdons", "name": "x", "currency": "EUR"}))
        .await;
    assert_eq!((s, dup["error"].as_str()), (StatusCode::CONFLICT, Some("id_taken")));

    let live = app
        .live(
            "doubletesdons",
            json!({"id": "mercredi", "host": "Corentin", "title": "Concert", "scheduled_at": "2026-11-25T19:00:00Z"}),
        )
        .await;
    assert_eq!(live.id, "mercredi");
    assert_eq!(live.body["campaign_id"], "doubletesdons");
    assert!(live.key.starts_with("ck_") && live.overlay_token.starts_with("ot_"));
    let url = live.body["overlay_url"].as_str().unwrap();
    assert_eq!(url, format!("{}/overlay/lives/mercredi?token={}", app.base, live.overlay_token));
    assert_eq!(live.body["totals"]["donations"], 0);
    let (s, _) = app.post("/api/v1/campaigns/nope/lives", Some(ADMIN), json!({"host": "x"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = app.get("/api/v1/lives/nope").await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("live_not_found")));
    // The overlay URL handed out opens the overlay page.
    let page = app.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
}

fn idem(key: &str) -> [(&str, &str); 1] {
    [("Idempotency-Key", key)]
}

#[tokio::test]
async fn idempotency_keys_count_once_even_concurrently_and_across_restarts() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let path = format!("/api/v1/lives/{}/donations", live.id);
    let body = r#"{"amount": 500, "currency": "EUR", "donor": "Léa"}"#;

    let (s1, first) = app.post_raw(&path, Some(&live.key), &idem("k-1"), body).await;
    assert_eq!(s1, StatusCode::CREATED);
    // Same body with other spacing: the same request.
    let (s2, again) =
        app.post_raw(&path, Some(&live.key), &idem("k-1"), r#"{"currency":"EUR","amount":500,"donor":"Léa"}"#).await;
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(again, first);
    let (s3, e) = app.post_raw(&path, Some(&live.key), &idem("k-1"), r#"{"amount": 501, "currency": "EUR"}"#).await;
    assert_eq!((s3, e["error"].as_str()), (StatusCode::CONFLICT, Some("idempotency_conflict")));

    // 50 concurrent requests with one key: exactly one donation.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = app.client.clone();
        let url = format!("{}{path}", app.base);
        let key = live.key.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(key)
                .header("Idempotency-Key", "burst")
                .header("content-type", "application/json")
                .body(r#"{"amount": 700, "currency": "EUR"}"#)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{s} {v}");
        created += usize::from(s == StatusCode::CREATED);
        ids.insert(v["donation"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"], json!({"raised": 1200, "matched": 0, "total": 1200, "donations": 2}));

    // The same key on another live is another request.
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let (s, _) =
        app.post_raw(&format!("/api/v1/lives/{}/donations", other.id), Some(&other.key), &idem("k-1"), body).await;
    assert_eq!(s, StatusCode::CREATED);

    let app = app.restart().await;
    let (s, replayed) = app.post_raw(&path, Some(&live.key), &idem("k-1"), body).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(replayed, first);
    let (s, _) = app.post_raw(&path, Some(&live.key), &idem("k-1"), r#"{"amount": 9, "currency": "EUR"}"#).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"]["donations"], 2);
}

#[tokio::test]
async fn restart_keeps_totals_events_and_seq() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    for i in 1..=5 {
        app.donate_ok(&live, 100 * i).await;
        app.donate_ok(&other, 7).await;
    }
    let d = app.donate_ok(&live, 999).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/donations/{}/refund", d["donation"]["id"].as_str().unwrap()),
            Some(&live.key),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let before_live = app.get(&format!("/api/v1/lives/{}", live.id)).await.1;
    let before_campaign = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await.1;
    let before_events = app.events(&live, 0).await;
    let mut ws = app.ws(&live, None).await;
    let before_snapshot = ws.next().await;
    drop(ws);

    let app = app.restart().await;
    assert_eq!(app.get(&format!("/api/v1/lives/{}", live.id)).await.1, before_live);
    assert_eq!(app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await.1, before_campaign);
    assert_eq!(app.events(&live, 0).await, before_events);
    // The same snapshot, but for the server's time it was made at.
    let mut ws = app.ws(&live, None).await;
    let unclocked = |mut v: Value| {
        assert!(v["now"].as_str().is_some_and(|t| cagnotte::domain::Timestamp::parse(t).is_some()), "{v}");
        v.as_object_mut().unwrap().remove("now");
        v
    };
    assert_eq!(unclocked(ws.next().await), unclocked(before_snapshot));
    assert_eq!(before_live["totals"], json!({"raised": 1500, "matched": 0, "total": 1500, "donations": 5}));
    assert_eq!(before_campaign["totals"], json!({"raised": 1535, "matched": 0, "total": 1535, "donations": 10}));

    // New events continue the sequence after a restart.
    let last = before_events.last().unwrap()["seq"].as_u64().unwrap();
    let next = app.donate_ok(&live, 1).await;
    let ev = ws.next().await;
    assert_eq!(ev["donation"]["id"], next["donation"]["id"]);
    assert!(ev["seq"].as_u64().unwrap() > last);
}

#[tokio::test]
async fn refunds_take_the_donation_back_once() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    app.donate_ok(&live, 300).await;
    let d = app.donate_ok(&live, 1000).await;
    let id = d["donation"]["id"].as_str().unwrap();
    let mut ws = app.ws(&live, None).await;
    ws.next().await;

    let path = format!("/api/v1/donations/{id}/refund");
    let (s, e) = app.post(&path, Some(&other.key), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (s, e) = app.post(&path, Some(&live.overlay_token), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = app.post(&path, None, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    let (s, e) = app.post("/api/v1/donations/nope/refund", Some(ADMIN), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("donation_not_found")));

    let (s, r1) = app.post(&path, Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r1["donation"]["refunded"], true);
    let after = json!({"raised": 300, "matched": 0, "total": 300, "donations": 1});
    assert_eq!(r1["totals"], after);
    let ev = ws.next().await;
    assert_eq!(ev["type"], "refund");
    assert_eq!(ev["donation"]["id"], id);
    assert_eq!(ev["totals"], after);

    let (s, r2) = app.post(&path, Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r2, r1);
    assert!(ws.try_next(std::time::Duration::from_millis(300)).await.is_none(), "a second refund writes nothing");
    assert_eq!(app.events(&live, 0).await.len(), 3);
}

#[tokio::test]
async fn sponsor_matching_is_decided_in_seq_order_and_capped() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let (s, m) = app
        .post(
            &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
            Some(ADMIN),
            json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 1500}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!((m["left"].as_i64(), m["used"].as_i64()), (Some(1500), Some(0)));
    let a = app.donate_ok(&live, 1000).await;
    assert_eq!(a["donation"]["matched"], 1000);
    let b = app.donate_ok(&live, 1000).await;
    assert_eq!(b["donation"]["matched"], 500, "the donation that reaches the cap gets exactly what remains");
    assert_eq!(b["totals"], json!({"raised": 2000, "matched": 1500, "total": 3500, "donations": 2}));
    let c = app.donate_ok(&live, 1000).await;
    assert_eq!(c["donation"]["matched"], 0);
    let (_, camp) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(camp["matches"][0]["used"], 1500);
    assert_eq!(camp["matches"][0]["left"], 0);
    // A refund gives the sponsor back what the donation consumed.
    let (_, r) = app
        .post(&format!("/api/v1/donations/{}/refund", b["donation"]["id"].as_str().unwrap()), Some(ADMIN), json!({}))
        .await;
    assert_eq!(r["totals"], json!({"raised": 2000, "matched": 1000, "total": 3000, "donations": 2}));
    let d = app.donate_ok(&live, 2000).await;
    assert_eq!(d["donation"]["matched"], 500);
}

#[tokio::test]
async fn currencies_use_their_own_minor_units() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Tokyo", "currency": "JPY"})).await;
    let live = app.live(c["id"].as_str().unwrap(), json!({"host": "Aki"})).await;
    let (s, v) = app.donate(&live, json!({"amount": 1_000_000, "currency": "JPY"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app.donate(&live, json!({"amount": 1_000_001, "currency": "JPY"})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount_too_large")));
    assert_eq!(v["max"], 1_000_000, "the maximum, in the currency's minor units, for a client to show: {v}");
    let eur = app.setup().await;
    let (s, _) = app.donate(&eur, json!({"amount": 100_000_000, "currency": "EUR"})).await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn anonymous_donors_are_never_shown() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let (s, v) =
        app.donate(&live, json!({"amount": 100, "currency": "EUR", "donor": "Secret", "anonymous": true})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["donation"]["donor"], Value::Null);
    let mut ws = app.ws(&live, None).await;
    let snap = ws.next().await;
    assert_eq!(snap["recent"][0]["donor"], Value::Null);
    assert_eq!(snap["top_donors"], json!([]));
    assert!(!snap.to_string().contains("Secret"));
}
