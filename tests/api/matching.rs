//! Matching engine, match and milestone events, the campaign stream, leaderboards,
//! totals by platform and the schedule.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Reads frames until one of `kind` comes; panics after 10 s.
async fn campaign_ws(app: &TestApp, id: &str, token: &str, after: Option<u64>) -> Ws {
    let mut url = format!("ws://{}/ws/campaigns/{id}?token={token}", app.addr);
    if let Some(a) = after {
        url.push_str(&format!("&after={a}"));
    }
    let (stream, _) = tokio_tungstenite::connect_async(url).await.expect("campaign ws");
    Ws { stream }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_donations_match_exactly_the_cap() {
    let app = Arc::new(spawn_app().await);
    for round in 0..2 {
        let live = app.setup().await;
        app.add_match(&live.campaign_id, json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 10_000})).await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..500 {
            let (app, live) = (Arc::clone(&app), live.clone());
            tasks.spawn(async move {
                let (s, v) =
                    app.donate(&live, json!({"amount": 100, "currency": "EUR", "donor": format!("d{i}")})).await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
                v["donation"]["matched"].as_i64().unwrap()
            });
        }
        let mut matched = 0;
        let mut full = 0;
        while let Some(m) = tasks.join_next().await {
            let m = m.unwrap();
            matched += m;
            full += usize::from(m == 100);
        }
        assert_eq!(matched, 10_000, "round {round}");
        assert_eq!(full, 100, "round {round}: exactly 100 donations doubled");
        let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
        assert_eq!(c["totals"], json!({"raised": 50_000, "matched": 10_000, "total": 60_000, "donations": 500}));
        assert_eq!(c["matches"][0]["used"], 10_000);
        assert_eq!(c["matches"][0]["left"], 0);
        assert_eq!(c["matches"][0]["status"], "used_up");
    }
}

#[tokio::test]
async fn several_matches_pay_in_creation_order_with_their_own_rules() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.add_match(&live.campaign_id, json!({"sponsor": "A", "ratio": [1, 2], "cap": 1000, "min_amount": 500})).await;
    app.add_match(&live.campaign_id, json!({"sponsor": "B", "ratio": [1, 1], "cap": 5000, "max_per_donation": 300}))
        .await;
    let a = app.donate_ok(&live, 1001).await;
    // A: floor(1001 / 2) = 500; B: min(1001, 300) = 300.
    assert_eq!(a["donation"]["matched"], 800);
    let b = app.donate_ok(&live, 400).await;
    // Under A's minimum: only B pays.
    assert_eq!(b["donation"]["matched"], 300);
    let c = app.donate_ok(&live, 2000).await;
    // A has 500 left of its cap.
    assert_eq!(c["donation"]["matched"], 800);
    assert_eq!(
        c["matches"],
        json!([{"id": c["matches"][0]["id"], "used": 1000, "left": 0}, {"id": c["matches"][1]["id"], "used": 900, "left": 4100}])
    );
}

#[tokio::test]
async fn match_windows_follow_the_clock_and_streams_announce_them() {
    let clock = ManualClock::at("2026-11-25T18:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let m = app.add_match(
        &live.campaign_id,
        json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 100_000, "starts_at": "2026-11-25T19:00:00Z", "ends_at": "2026-11-25T21:00:00Z"}),
    )
    .await;
    assert_eq!(m["status"], "pending");
    let mut ws = app.ws(&live, None).await;
    let mut ws_other = app.ws(&other, None).await;
    assert_eq!(ws.next().await["matches"][0]["status"], "pending");
    ws_other.next().await;

    let before = app.donate_ok(&live, 1000).await;
    assert_eq!(before["donation"]["matched"], 0, "not yet open");

    clock.set("2026-11-25T19:00:00Z");
    let started = ws.until("match_started").await;
    assert_eq!(started["match"]["id"], m["id"]);
    assert_eq!(started["match"]["status"], "active");
    // Every live of the campaign hears of it.
    assert_eq!(ws_other.until("match_started").await["seq"], started["seq"]);
    let during = app.donate_ok(&live, 1000).await;
    assert_eq!(during["donation"]["matched"], 1000);

    clock.set("2026-11-25T21:00:00Z");
    let ended = ws.until("match_ended").await;
    assert_eq!(ended["match"]["status"], "ended");
    assert_eq!(ended["match"]["used"], 1000);
    let after = app.donate_ok(&live, 1000).await;
    assert_eq!(after["donation"]["matched"], 0, "closed");
    // Recorded once: a restart announces nothing again.
    let events = app.events(&live, 0).await;
    let kinds: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    // Its creation too: a sponsor added on air is on every live's stream at once.
    assert_eq!(kinds, ["match_created", "donation", "match_started", "donation", "match_ended", "donation"]);
    let app = app.restart().await;
    tokio::time::sleep(Duration::from_millis(600)).await; // a few ticks of the new server
    assert_eq!(app.events(&live, 0).await, events);
}

#[tokio::test]
async fn used_up_is_announced_once_and_a_refund_reopens_the_budget() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let m = app.add_match(&live.campaign_id, json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 1500})).await;
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    app.donate_ok(&live, 1000).await;
    let b = app.donate_ok(&live, 1000).await;
    let d = ws.until("donation").await;
    assert_eq!(d["donation"]["matched"], 1000);
    let d = ws.until("donation").await;
    assert_eq!(d["donation"]["matched"], 500);
    let used_up = ws.next().await;
    assert_eq!(used_up["type"], "match_used_up");
    assert_eq!(used_up["seq"].as_u64().unwrap(), d["seq"].as_u64().unwrap() + 1);
    assert_eq!(used_up["match"]["id"], m["id"]);
    assert_eq!(used_up["match"]["left"], 0);
    app.donate_ok(&live, 1000).await;
    assert_eq!(ws.until("donation").await["donation"]["matched"], 0);
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "used up only once");

    let (_, r) = app
        .post(&format!("/api/v1/donations/{}/refund", b["donation"]["id"].as_str().unwrap()), Some(ADMIN), json!({}))
        .await;
    assert_eq!(r["matches"][0]["left"], 500);
    let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(c["matches"][0]["status"], "active");
    app.donate_ok(&live, 2000).await;
    ws.until("refund").await;
    assert_eq!(ws.until("donation").await["donation"]["matched"], 500);
    assert_eq!(ws.next().await["type"], "match_used_up", "used up again after the refund gave budget back");
}

#[tokio::test]
async fn milestones_are_reached_exactly_once_across_restarts() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let path = format!("/api/v1/campaigns/{}/milestones", live.campaign_id);
    let (s, ms) = app.post(&path, Some(ADMIN), json!({"amount": 5000, "label": "Une chanson de plus"})).await;
    assert_eq!(s, StatusCode::CREATED, "{ms}");
    assert_eq!(ms["reached"], false);
    let (s, live_ms) = app.post(&path, Some(ADMIN), json!({"amount": 2000, "label": "Solo", "live_id": live.id})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = app.post(&path, Some(ADMIN), json!({"amount": 0, "label": "x"})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_amount")));
    let (s, _) = app.post(&path, Some(ADMIN), json!({"amount": 10, "label": "x", "live_id": "nope"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    app.donate_ok(&live, 2500).await;
    ws.until("donation").await;
    let reached = ws.next().await;
    assert_eq!(reached["type"], "milestone_reached");
    assert_eq!(reached["milestone"]["id"], live_ms["id"]);
    assert_eq!(reached["milestone"]["label"], "Solo");
    assert_eq!(reached["totals"]["total"], 2500);
    app.donate_ok(&live, 2500).await;
    ws.until("donation").await;
    let reached = ws.next().await;
    assert_eq!(reached["milestone"]["id"], ms["id"]);
    assert_eq!(reached["campaign_totals"]["total"], 5000);

    let app = app.restart().await;
    app.donate_ok(&live, 2500).await;
    let kinds: Vec<_> = app.events(&live, 0).await.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    // Each milestone set goes on the streams (for the overlays' goal bars), then each is reached once.
    assert_eq!(
        kinds,
        [
            "milestone_created",
            "milestone_created",
            "donation",
            "milestone_reached",
            "donation",
            "milestone_reached",
            "donation"
        ]
    );
    let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert!(c["milestones"].as_array().unwrap().iter().all(|m| m["reached"] == true));
    // A milestone already passed when created is reached at once.
    let (_, late) = app.post(&path, Some(ADMIN), json!({"amount": 100, "label": "déjà"})).await;
    assert_eq!(late["reached"], true);
}

#[tokio::test]
async fn the_campaign_stream_carries_every_live_and_resumes() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Restos", "currency": "EUR", "goal": 100000})).await;
    let cid = c["id"].as_str().unwrap();
    let token = c["overlay_token"].as_str().unwrap();
    assert!(c["ws_url"].as_str().unwrap().ends_with(&format!("/ws/campaigns/{cid}?token={token}")));
    let a = app.live(cid, json!({"host": "A"})).await;
    let b = app.live(cid, json!({"host": "B"})).await;
    let mut ws = campaign_ws(&app, cid, token, None).await;
    let snap = ws.next().await;
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["lives"].as_array().unwrap().len(), 2);
    let s0 = snap["seq"].as_u64().unwrap();
    app.donate_ok(&a, 100).await;
    app.donate_ok(&b, 200).await;
    let e1 = ws.next().await;
    let e2 = ws.next().await;
    assert_eq!(
        (e1["donation"]["live_id"].as_str(), e2["donation"]["live_id"].as_str()),
        (Some(a.id.as_str()), Some(b.id.as_str()))
    );
    assert_eq!(e2["campaign_totals"]["total"], 300);
    drop(ws);
    app.donate_ok(&b, 300).await;
    let mut ws = campaign_ws(&app, cid, token, Some(e1["seq"].as_u64().unwrap())).await;
    let snap = ws.next().await;
    assert_eq!(snap["totals"]["total"], 600);
    let r1 = ws.next().await;
    let r2 = ws.next().await;
    assert_eq!((r1["replay"].as_bool(), r2["replay"].as_bool()), (Some(true), Some(true)));
    assert_eq!(r1["seq"], e2["seq"]);
    assert_eq!(r2["donation"]["amount"], 300);
    assert!(snap["seq"].as_u64().unwrap() > s0);
    // Live tokens do not open the campaign stream, and the campaign token opens no live.
    assert!(
        tokio_tungstenite::connect_async(format!("ws://{}/ws/campaigns/{cid}?token={}", app.addr, a.overlay_token))
            .await
            .is_err()
    );
    assert!(tokio_tungstenite::connect_async(app.ws_url(&a.id, token, None)).await.is_err());
}

#[tokio::test]
async fn leaderboards_platform_totals_and_schedule() {
    let clock = ManualClock::at("2026-11-25T20:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let campaign = app.campaign(json!({"name": "Restos", "currency": "EUR", "goal": 500000})).await;
    let (cid, ctoken) = (campaign["id"].as_str().unwrap().to_owned(), campaign["overlay_token"].as_str().unwrap());
    let past = app.live(&cid, json!({"host": "Lundi", "scheduled_at": "2026-11-23T19:00:00Z"})).await;
    let now = app
        .live(&cid, json!({"host": "Mercredi", "scheduled_at": "2026-11-25T20:00:00Z", "duration_minutes": 90}))
        .await;
    let next =
        app.live(&cid, json!({"host": "Vendredi", "title": "Concert", "scheduled_at": "2026-11-27T19:00:00Z"})).await;
    for (live, donor, amount, platform) in [
        (&past, "Ana", 500, "twitch"),
        (&now, "Ben", 3000, "tiktok"),
        (&now, "Ana", 700, "twitch"),
        (&now, "Secret", 9000, "youtube"),
    ] {
        let anonymous = donor == "Secret";
        let (s, _) = app.donate(live, json!({"amount": amount, "currency": "EUR", "donor": donor, "platform": platform, "anonymous": anonymous})).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (_, c) = app.get(&format!("/api/v1/campaigns/{cid}")).await;
    let statuses: Vec<_> = c["lives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["host"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("Lundi", "past"), ("Mercredi", "current"), ("Vendredi", "upcoming")]);
    // When each ends: its duration after its start, 120 minutes without one.
    let ends: Vec<_> = c["lives"].as_array().unwrap().iter().map(|l| l["ends_at"].as_str().unwrap()).collect();
    assert_eq!(ends, ["2026-11-23T21:00:00.000Z", "2026-11-25T21:30:00.000Z", "2026-11-27T21:00:00.000Z"]);
    assert_eq!(c["next_live"]["id"], next.id.as_str());
    assert_eq!(c["next_live"]["title"], "Concert");
    assert_eq!(
        c["leaderboard"]["donors"],
        json!([{"donor": "Ben", "amount": 3000, "donations": 1}, {"donor": "Ana", "amount": 1200, "donations": 2}])
    );
    let top_lives: Vec<_> =
        c["leaderboard"]["lives"].as_array().unwrap().iter().map(|l| l["host"].as_str().unwrap()).collect();
    assert_eq!(top_lives, ["Mercredi", "Lundi", "Vendredi"]);
    assert_eq!(c["platform_totals"]["twitch"], json!({"raised": 1200, "matched": 0, "total": 1200, "donations": 2}));
    assert_eq!(c["platform_totals"]["youtube"]["raised"], 9000);
    let (_, l) = app.get(&format!("/api/v1/lives/{}", now.id)).await;
    assert_eq!(
        l["top_donors"],
        json!([{"donor": "Ben", "amount": 3000, "donations": 1}, {"donor": "Ana", "amount": 700, "donations": 1}])
    );
    assert_eq!(l["platform_totals"]["tiktok"]["raised"], 3000);
    assert_eq!(l["status"], "current");
    clock.set("2026-11-25T21:30:00Z");
    let (_, l) = app.get(&format!("/api/v1/lives/{}", now.id)).await;
    assert_eq!(l["status"], "past");

    // After a restart the boards are rebuilt from the log: the campaign's from its
    // lives', the newest donations in the same order.
    let recent = |snap: &Value| -> Vec<(String, i64)> {
        let r = snap["recent"].as_array().unwrap();
        r.iter().map(|d| (d["id"].as_str().unwrap().to_owned(), d["amount"].as_i64().unwrap())).collect()
    };
    let before = recent(&app.ws(&now, None).await.next().await);
    assert_eq!(before.iter().map(|r| r.1).collect::<Vec<_>>(), [9000, 700, 3000]);
    let campaign_before = recent(&campaign_ws(&app, &cid, ctoken, None).await.next().await);
    assert_eq!(campaign_before.iter().map(|r| r.1).collect::<Vec<_>>(), [9000, 700, 3000, 500]);
    let app = app.restart().await;
    assert_eq!(recent(&campaign_ws(&app, &cid, ctoken, None).await.next().await), campaign_before);
    let (_, c2) = app.get(&format!("/api/v1/campaigns/{cid}")).await;
    assert_eq!(c2["leaderboard"]["donors"], c["leaderboard"]["donors"]);
    assert_eq!(c2["platform_totals"], c["platform_totals"]);
    let (_, l2) = app.get(&format!("/api/v1/lives/{}", now.id)).await;
    assert_eq!(l2["top_donors"], l["top_donors"]);
    assert_eq!(recent(&app.ws(&now, None).await.next().await), before);
    let (_, p) = app.get(&format!("/api/v1/lives/{}", past.id)).await;
    assert_eq!(p["top_donors"], json!([{"donor": "Ana", "amount": 500, "donations": 1}]));
}

async fn edit_match(app: &TestApp, campaign: &str, id: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/campaigns/{campaign}/matches/{id}");
    app.request(reqwest::Method::PATCH, &path, Some(token), &[], Some(body.to_string())).await
}

/// Editing a match changes the terms of the donations to come; what it already
/// gave stays, the cap never goes below it, and replay agrees after a restart.
#[tokio::test]
async fn a_match_is_edited_for_the_donations_to_come() {
    let clock = ManualClock::at("2026-11-25T18:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let cid = live.campaign_id.clone();
    let m = app.add_match(&cid, json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 1000})).await;
    let mid = m["id"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    assert_eq!(app.donate_ok(&live, 600).await["donation"]["matched"], 600);
    assert_eq!(app.donate_ok(&live, 600).await["donation"]["matched"], 400);
    assert_eq!(ws.until("match_used_up").await["match"]["left"], 0);

    // Refused, and nothing changes.
    let (s, e) = edit_match(&app, &cid, &mid, ADMIN, json!({"cap": 999})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("cap_below_used")), "{e}");
    assert_eq!(e["used"], 1000, "what the match already gave: {e}");
    let (s, e) = edit_match(&app, &cid, &mid, &live.key, json!({"cap": 5000})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = edit_match(&app, &cid, "nope", ADMIN, json!({"cap": 5000})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("match_not_found")), "{e}");
    let (s, e) = edit_match(&app, &cid, &mid, ADMIN, json!({"cap": 5000, "colour": "red"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = edit_match(&app, &cid, &mid, ADMIN, json!({"ratio": [1, 0]})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_ratio")), "{e}");
    let (_, c) = app.get(&format!("/api/v1/campaigns/{cid}")).await;
    assert_eq!((c["matches"][0]["cap"].as_i64(), c["matches"][0]["sponsor"].as_str()), (Some(1000), Some("Acme")));

    // A raised cap and a new ratio: the used-up match is active again, announced on the streams.
    let (s, m) = edit_match(&app, &cid, &mid, ADMIN, json!({"cap": 3000, "ratio": [1, 2], "sponsor": "Acme SA"})).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(
        (&m["cap"], &m["used"], &m["left"], &m["status"], &m["ratio"], &m["sponsor"]),
        (&json!(3000), &json!(1000), &json!(2000), &json!("active"), &json!([1, 2]), &json!("Acme SA"))
    );
    let updated = ws.until("match_updated").await;
    assert_eq!(updated["match"], m);
    assert_eq!(updated["campaign_totals"], json!({"raised": 1200, "matched": 1000, "total": 2200, "donations": 2}));
    assert_eq!(app.donate_ok(&live, 1000).await["donation"]["matched"], 500, "half, now");

    // A window closed by an edit ends the match at that time; cleared, it reopens.
    let (s, m) = edit_match(&app, &cid, &mid, ADMIN, json!({"ends_at": "2026-11-25T19:00:00Z"})).await;
    assert_eq!((s, m["ends_at"].as_str()), (StatusCode::OK, Some("2026-11-25T19:00:00.000Z")));
    clock.set("2026-11-25T19:00:00Z");
    assert_eq!(ws.until("match_ended").await["match"]["status"], "ended");
    assert_eq!(app.donate_ok(&live, 1000).await["donation"]["matched"], 0, "closed");
    let (s, m) = edit_match(&app, &cid, &mid, ADMIN, json!({"ends_at": null, "min_amount": 2000})).await;
    assert_eq!(
        (s, &m["status"], &m["ends_at"], &m["min_amount"]),
        (StatusCode::OK, &json!("active"), &Value::Null, &json!(2000))
    );
    assert_eq!(app.donate_ok(&live, 1000).await["donation"]["matched"], 0, "below the new minimum");
    assert_eq!(app.donate_ok(&live, 2000).await["donation"]["matched"], 1000);

    let events = app.events(&live, 0).await;
    let kinds: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        kinds,
        [
            "match_created",
            "match_started",
            "donation",
            "donation",
            "match_used_up",
            "match_updated",
            "donation",
            "match_updated",
            "match_ended",
            "donation",
            "match_updated",
            "donation",
            "donation"
        ]
    );
    let (_, before) = app.get(&format!("/api/v1/campaigns/{cid}")).await;
    assert_eq!(before["totals"], json!({"raised": 6200, "matched": 2500, "total": 8700, "donations": 6}));
    let app = app.restart_clocked(&clock).await;
    tokio::time::sleep(Duration::from_millis(600)).await; // a few ticks of the new server
    assert_eq!(app.events(&live, 0).await, events, "nothing announced again");
    let (_, after) = app.get(&format!("/api/v1/campaigns/{cid}")).await;
    assert_eq!(after["matches"], before["matches"]);
    assert_eq!(after["totals"], before["totals"]);
}

/// The campaign's overlay pages open with the campaign's overlay token only; a
/// rotation replaces it (the old one is refused at once, also after a restart).
#[tokio::test]
async fn the_campaign_overlay_takes_the_campaign_token_and_rotates() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Restos", "currency": "EUR"})).await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let token = c["overlay_token"].as_str().unwrap().to_owned();
    let live = app.live(&cid, json!({"host": "Corentin"})).await;
    let page = |path: String| {
        let client = app.client.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let r = client.get(url).send().await.unwrap();
            let (s, csp) = (r.status(), r.headers().get("content-security-policy").cloned());
            (s, csp.is_some(), r.text().await.unwrap())
        }
    };
    let (s, csp, html) = page(format!("/overlay/campaigns/{cid}?token={token}")).await;
    assert_eq!((s, csp), (StatusCode::OK, true));
    assert!(html.contains(&format!(r#"data-scope="campaign" data-id="{cid}""#)), "{html}");
    assert!(html.contains("<title>Cagnotte — Restos</title>"));
    let (s, _, html) = page(format!("/overlay/campaigns/{cid}/lives?token={token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(r#"id="w-lives""#) && !html.contains(r#"id="w-alert""#));
    let (s, _, html) = page(format!("/overlay/campaigns/{cid}/builder?token={token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!(r#"data-base="/overlay/campaigns/{cid}""#)), "{html}");
    assert_eq!(page(format!("/overlay/campaigns/{cid}/nope?token={token}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(page(format!("/overlay/campaigns/nope?token={token}")).await.0, StatusCode::NOT_FOUND);
    // A live's overlay token or key opens the live's overlay, never the campaign's; and the other way round.
    let live_token = &live.overlay_token;
    assert_eq!(page(format!("/overlay/campaigns/{cid}?token={live_token}")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(format!("/overlay/campaigns/{cid}?token={}", live.key)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(format!("/overlay/campaigns/{cid}?token=ot_wrong")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(page(format!("/overlay/campaigns/{cid}")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(page(format!("/overlay/lives/{}?token={token}", live.id)).await.0, StatusCode::FORBIDDEN);

    // Rotation: admin only; the new token works, the old one no longer does.
    let path = format!("/api/v1/campaigns/{cid}/rotate");
    assert_eq!(app.post(&path, Some(&live.key), json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/api/v1/campaigns/nope/rotate", Some(ADMIN), json!({})).await.0, StatusCode::NOT_FOUND);
    let (s, r) = app.post(&path, Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let fresh = r["overlay_token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, token);
    assert_eq!(r["overlay_url"], json!(format!("{}/overlay/campaigns/{cid}?token={fresh}", app.base)));
    assert_eq!(r["ws_url"], json!(format!("ws://{}/ws/campaigns/{cid}?token={fresh}", app.addr)));
    assert_eq!(page(format!("/overlay/campaigns/{cid}?token={token}")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(page(format!("/overlay/campaigns/{cid}?token={fresh}")).await.0, StatusCode::OK);
    // An edit of the campaign keeps the token.
    let (s, _) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/{cid}"),
            Some(ADMIN),
            &[],
            Some(r#"{"name":"Restos du cœur"}"#.into()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut ws = campaign_ws(&app, &cid, &fresh, None).await;
    assert_eq!(ws.next().await["name"], "Restos du cœur");
    drop(ws);
    let app = app.restart().await;
    assert_eq!(page_status(&app, &format!("/overlay/campaigns/{cid}?token={token}")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(page_status(&app, &format!("/overlay/campaigns/{cid}?token={fresh}")).await, StatusCode::OK);
}

async fn page_status(app: &TestApp, path: &str) -> StatusCode {
    app.client.get(format!("{}{path}", app.base)).send().await.unwrap().status()
}

#[tokio::test]
async fn a_partial_refund_takes_back_part_and_the_sponsors_share_of_it() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let m = app.add_match(&live.campaign_id, json!({"sponsor": "Acme", "ratio": [1, 3], "cap": 10_000})).await;
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let (s, d) = app.donate(&live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["donation"]["matched"], 333);
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/donations/{id}/refund");
    let totals = |v: &Value| {
        let t = &v["totals"];
        (
            t["raised"].as_i64().unwrap(),
            t["matched"].as_i64().unwrap(),
            t["total"].as_i64().unwrap(),
            t["donations"].as_i64().unwrap(),
        )
    };
    let received = ws.until("donation").await["seq"].as_u64().unwrap();

    // One cent back: the sponsor's share of the rest is rounded down (333 × 999 / 1000).
    let (s, r) = app.post(&path, Some(&live.key), json!({"refunded_amount": 1})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["donation"]["refunded"].as_bool(), r["donation"]["refunded_amount"].as_i64()),
        (Some(false), Some(1))
    );
    assert_eq!(r["donation"]["amount"], 1000);
    assert_eq!(r["donation"]["matched"], 332);
    assert_eq!(totals(&r), (999, 332, 1331, 1));
    assert_eq!(r["campaign_totals"]["total"], 1331);
    assert_eq!(r["matches"][0]["left"], 10_000 - 332);
    let f = ws.next().await;
    assert_eq!((f["type"].as_str(), f["seq"].as_u64()), (Some("partial_refund"), Some(received + 1)), "{f}");
    assert_eq!(f["amount_refunded"], 1);
    assert_eq!(totals(&f), (999, 332, 1331, 1));

    // 400 in all: 399 more back, the sponsor keeps 333 × 600 / 1000 = 199.8 → 199.
    let (_, r) = app.post(&path, Some(ADMIN), json!({"refunded_amount": 400})).await;
    assert_eq!((r["donation"]["refunded_amount"].as_i64(), r["donation"]["matched"].as_i64()), (Some(400), Some(199)));
    assert_eq!(totals(&r), (600, 199, 799, 1));
    let f = ws.next().await;
    assert_eq!((f["type"].as_str(), f["amount_refunded"].as_i64()), (Some("partial_refund"), Some(399)));

    // The same total again, or an older one (a late report): nothing changes.
    for again in [400, 250] {
        let (s, r) = app.post(&path, Some(ADMIN), json!({"refunded_amount": again})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(totals(&r), (600, 199, 799, 1));
    }
    // Out of range or not an amount: refused, nothing changes.
    for (body, code) in [
        (json!({"refunded_amount": 1001}), "refund_out_of_range"),
        (json!({"refunded_amount": 0}), "invalid_refunded_amount"),
        (json!({"refunded_amount": 2.5}), "invalid_refunded_amount"),
        (json!({"amount": 100}), "unknown_field"),
    ] {
        let (s, e) = app.post(&path, Some(ADMIN), body).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{e}");
        if code == "refund_out_of_range" {
            assert_eq!(e["amount"], 1000, "the donation's amount: {e}");
        }
    }
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "nothing new in the stream");
    // The leaderboard counts what is kept.
    let mut fresh = app.ws(&live, None).await;
    let snap = fresh.next().await;
    assert_eq!(snap["top_donors"], json!([{"donor": "Ana", "amount": 600, "donations": 1}]));
    assert_eq!(snap["recent"][0]["refunded_amount"], 400);

    // The whole amount in all is a whole refund: the rest and the sponsor's share come back.
    let (_, r) = app.post(&path, Some(ADMIN), json!({"refunded_amount": 1000})).await;
    assert_eq!(
        (r["donation"]["refunded"].as_bool(), r["donation"]["refunded_amount"].as_i64()),
        (Some(true), Some(1000))
    );
    assert_eq!(totals(&r), (0, 0, 0, 0));
    assert_eq!(r["matches"][0]["left"], 10_000);
    let f = ws.next().await;
    assert_eq!((f["type"].as_str(), f["amount_refunded"].as_i64()), (Some("refund"), Some(600)));
    for body in [json!({}), Value::Null] {
        let (s, r) = app.post(&path, Some(ADMIN), body).await;
        assert_eq!((s, totals(&r)), (StatusCode::OK, (0, 0, 0, 0)), "refunding twice changes nothing");
    }

    // The same after a restart.
    let events = app.events(&live, 0).await;
    let app = app.restart().await;
    assert_eq!(app.events(&live, 0).await, events);
    let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!((c["totals"]["raised"].as_i64(), c["totals"]["matched"].as_i64()), (Some(0), Some(0)));
    assert_eq!(c["matches"][0]["id"], m["id"]);
    assert_eq!(c["matches"][0]["left"], 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_partial_refund_reports_give_back_the_highest_total_once() {
    let app = Arc::new(spawn_app().await);
    let live = app.setup().await;
    app.add_match(&live.campaign_id, json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 100_000})).await;
    let d = app.donate_ok(&live, 2000).await;
    let path = format!("/api/v1/donations/{}/refund", d["donation"]["id"].as_str().unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let (app, path) = (Arc::clone(&app), path.clone());
        // Reports of 3 €, 5 € and 7 € in all, in any order, each many times.
        let so_far = [300, 500, 700][i % 3];
        tasks.spawn(async move { app.post(&path, Some(ADMIN), json!({"refunded_amount": so_far})).await.0 });
    }
    while let Some(s) = tasks.join_next().await {
        assert_eq!(s.unwrap(), StatusCode::OK);
    }
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let t = &l["totals"];
    assert_eq!(
        (t["raised"].as_i64(), t["matched"].as_i64(), t["donations"].as_i64()),
        (Some(1300), Some(1300), Some(1))
    );
    let events = app.events(&live, 0).await;
    let back: i64 =
        events.iter().filter(|e| e["type"] == "partial_refund").map(|e| e["amount_refunded"].as_i64().unwrap()).sum();
    assert_eq!(back, 700, "each cent given back once, whatever the order");
    let n = events.iter().filter(|e| e["type"] == "partial_refund").count();
    assert!((1..=3).contains(&n), "{n} partial refunds");
}
