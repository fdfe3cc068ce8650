//! A host's overlay link that follows their lives (`follow=host`): which live it
//! shows as the schedule goes, who may open it, and its end when its token is replaced.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// The `data-id` and `data-follow` of an overlay page.
fn page_live(html: &Value) -> (String, String) {
    let html = html.as_str().expect("an HTML page");
    let attr = |name: &str| {
        let from = html.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("{name} in {html}")) + name.len() + 2;
        html[from..from + html[from..].find('"').unwrap()].to_owned()
    };
    (attr("data-id"), attr("data-follow"))
}

/// The status of a WebSocket upgrade on a live's stream with `token`.
async fn status_of(app: &TestApp, live_id: &str, token: &str) -> u16 {
    match tokio_tungstenite::connect_async(app.ws_url(live_id, token, None)).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(e) => panic!("{e}"),
    }
}

/// The token of an overlay URL.
fn token_of(url: &Value) -> String {
    url.as_str().unwrap().split("token=").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn a_follow_link_shows_the_host_s_live_of_the_moment() {
    let clock = ManualClock::at("2027-03-01T12:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = app.eur_campaign().await;
    let at = |host: &str, when: &str| json!({"host": host, "scheduled_at": when, "duration_minutes": 120});
    // Ana on Monday, Wednesday and Friday evenings (once typed " ana "), Zoé on Monday.
    let mon = app.live(&c, at("Ana", "2027-03-01T19:00:00Z")).await;
    let zoe = app.live(&c, at("Zoé", "2027-03-01T19:00:00Z")).await;
    let wed = app.live(&c, at("Ana", "2027-03-03T19:00:00Z")).await;
    let fri = app.live(&c, at(" ana ", "2027-03-05T19:00:00Z")).await;
    let hosts = || async {
        let (s, doc) = app.get(&format!("/api/v1/campaigns/{c}")).await;
        assert_eq!(s, StatusCode::OK, "{doc}");
        doc["hosts"].clone()
    };
    let follow = |live: &TestLive, token: &str| {
        format!("/overlay/lives/{}?token={token}&follow=host&widgets=alert,goal", live.id)
    };
    // Each host's lives summed: Ana's three, Zoé's one.
    for (l, amount) in [(&mon, 500), (&fri, 1200), (&zoe, 300)] {
        app.donate_ok(l, amount).await;
    }
    let totals = |raised: i64, n: u64| json!({"raised": raised, "matched": 0, "total": raised, "donations": n});
    assert_eq!(
        hosts().await,
        json!([
            {"host": "Ana", "live_id": mon.id, "lives": [mon.id, wed.id, fri.id], "totals": totals(1700, 2)},
            {"host": "Zoé", "live_id": zoe.id, "lives": [zoe.id], "totals": totals(300, 1)},
        ])
    );
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Any of Ana's links shows Monday's live before it, on air, and for an hour after its end.
    for (when, shown) in [
        ("2027-03-01T12:00:00Z", &mon),
        ("2027-03-01T20:00:00Z", &mon),
        ("2027-03-01T21:59:59Z", &mon),
        ("2027-03-01T22:00:00Z", &wed),
        ("2027-03-03T20:00:00Z", &wed),
        ("2027-03-04T12:00:00Z", &fri),
        ("2027-03-09T12:00:00Z", &fri),
    ] {
        clock.set(when);
        assert_eq!(hosts().await[0]["live_id"], json!(shown.id), "{when}");
        for link in [&mon, &wed, &fri] {
            let (s, page) = app.get(&follow(link, &link.overlay_token)).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            assert_eq!(page_live(&page), (shown.id.clone(), "host".to_owned()), "{when}, {}'s link", link.id);
        }
        // The public page's link for the month (a channel's panel) opens the live of the moment.
        let res = no_redirect.get(format!("{}/lives/{}?follow=host&lang=en", app.base, fri.id)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FOUND, "{when}");
        assert_eq!(res.headers()["location"], format!("/lives/{}?lang=en", shown.id).as_str(), "{when}");
        // Without `follow`, a live's link stays on its live.
        let (_, page) = app.get(&format!("/overlay/lives/{}?token={}", mon.id, mon.overlay_token)).await;
        assert_eq!(page_live(&page), (mon.id.clone(), String::new()));
    }
    // Zoé's link follows Zoé: her only live.
    let (_, page) = app.get(&follow(&zoe, &zoe.overlay_token)).await;
    assert_eq!(page_live(&page).0, zoe.id);

    // Another host's token, another campaign's Ana, a wrong value, a campaign's overlay.
    let (s, _) = app.get(&follow(&mon, &zoe.overlay_token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let elsewhere = app.live(&app.eur_campaign().await, json!({"host": "Ana"})).await;
    let (s, _) = app.get(&follow(&mon, &elsewhere.overlay_token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app.get(&format!("/overlay/lives/{}?token={}&follow=campaign", mon.id, mon.overlay_token)).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")), "{e}");
    let campaign = app.campaign(json!({"name": "Téléthon", "currency": "EUR"})).await;
    let (s, e) = app
        .get(&format!(
            "/overlay/campaigns/{}?token={}&follow=host",
            campaign["id"].as_str().unwrap(),
            token_of(&campaign["overlay_url"])
        ))
        .await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")), "{e}");
    let (s, e) = app.get(&format!("/lives/{}?follow=everyone", mon.id)).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")), "{e}");
    let (s, _) = app.get(&format!("/overlay/lives/nope?token={}&follow=host", mon.overlay_token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The page's stream: the followed live's, opened with the token of the link's live.
    assert_eq!(status_of(&app, &fri.id, &mon.overlay_token).await, 101);
    assert_eq!(status_of(&app, &fri.id, &zoe.overlay_token).await, 403);
    assert_eq!(status_of(&app, &fri.id, &elsewhere.overlay_token).await, 403);
    assert_eq!(status_of(&app, &zoe.id, &mon.overlay_token).await, 403);
    // The other reads keep to the live's own token.
    let (s, _) = app.get(&format!("/api/v1/lives/{}/events?token={}", fri.id, mon.overlay_token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .donate(&TestLive { key: mon.overlay_token.clone(), ..fri.clone() }, json!({"amount": 100, "currency": "EUR"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an overlay token never writes");
}

#[tokio::test]
async fn a_follow_session_ends_when_the_token_of_its_link_is_replaced() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    let first = app.live(&c, json!({"host": "Ana", "scheduled_at": from_now(-600)})).await;
    let second = app.live(&c, json!({"host": "Ana", "scheduled_at": from_now(86_400)})).await;
    // On the second live's stream: a session with the first live's token (a
    // follow link), one with the second's own.
    let mut follower = connect(&app, &second, &first.overlay_token).await;
    let mut own = connect(&app, &second, &second.overlay_token).await;

    // The first live's token replaced: its follow session ends; the second's own goes on.
    let first_token = rotate(&app, &first).await;
    assert_eq!(follower.closed(Duration::from_secs(5)).await, Some(1008));
    let d = app.donate_ok(&second, 700).await;
    assert_eq!(own.until("donation").await["donation"]["id"], d["donation"]["id"]);
    assert_eq!(status_of(&app, &second.id, &first.overlay_token).await, 401);

    // The second live's token replaced: its own session ends, not a follow
    // session opened with the first live's new token.
    let mut follower = connect(&app, &second, &first_token).await;
    rotate(&app, &second).await;
    assert_eq!(own.closed(Duration::from_secs(5)).await, Some(1008));
    let d = app.donate_ok(&second, 900).await;
    let got = follower.until("donation").await;
    assert_eq!(
        (got["donation"]["id"].clone(), got["totals"]["raised"].clone()),
        (d["donation"]["id"].clone(), json!(1600))
    );
}

/// A session on `live`'s stream with `token`, its snapshot read.
async fn connect(app: &TestApp, live: &TestLive, token: &str) -> Ws {
    let (stream, _) = tokio_tungstenite::connect_async(app.ws_url(&live.id, token, None)).await.expect("ws connect");
    let mut ws = Ws { stream };
    assert_eq!(ws.next().await["type"], "snapshot");
    ws
}

/// A new overlay token for `live`.
async fn rotate(app: &TestApp, live: &TestLive) -> String {
    let (s, v) =
        app.post(&format!("/api/v1/lives/{}/rotate", live.id), Some(ADMIN), json!({"overlay_token": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    token_of(&v["overlay_url"])
}

#[tokio::test]
async fn a_host_s_key_opens_their_other_lives_and_no_one_else_s() {
    let clock = ManualClock::at("2027-03-01T19:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = app.eur_campaign().await;
    let mon = app.live(&c, json!({"host": "Ana", "scheduled_at": "2027-03-01T19:00:00Z"})).await;
    let wed = app.live(&c, json!({"host": "ana", "scheduled_at": "2027-03-03T19:00:00Z"})).await;
    let zoe = app.live(&c, json!({"host": "Zoé"})).await;
    let elsewhere = app.live(&app.eur_campaign().await, json!({"host": "Ana"})).await;
    let key = mon.body["host_token"].as_str().unwrap().to_owned();
    let put_goal = |live: &TestLive| {
        let path = format!("/api/v1/lives/{}/goal", live.id);
        let key = key.clone();
        let app = &app;
        async move {
            app.request(reqwest::Method::PUT, &path, Some(&key), &[], Some(json!({"goal": 5000}).to_string())).await.0
        }
    };
    // Monday's host key on Wednesday's live: its goal, a milestone, its donations' texts.
    assert_eq!(put_goal(&wed).await, StatusCode::OK);
    let (s, m) = app
        .post(&format!("/api/v1/lives/{}/milestones", wed.id), Some(&key), json!({"amount": 3000, "label": "Karaoké"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    app.moderate(&wed, json!({"mode": "manual"})).await;
    app.moderate(&zoe, json!({"mode": "manual"})).await;
    let (_, held) =
        app.donate(&wed, json!({"amount": 500, "currency": "EUR", "donor": "Bob", "message": "Coucou"})).await;
    let (_, zoe_held) =
        app.donate(&zoe, json!({"amount": 500, "currency": "EUR", "donor": "Dan", "message": "Salut"})).await;
    let (s, list) =
        app.request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", wed.id), Some(&key), &[], None).await;
    assert_eq!((s, list["donations"][0]["message_text"].as_str()), (StatusCode::OK, Some("Coucou")), "{list}");
    let approve = |d: &Value| format!("/api/v1/donations/{}/approve", d["donation"]["id"].as_str().unwrap());
    let (s, v) = app.post(&approve(&held), Some(&key), json!({})).await;
    assert_eq!((s, v["donation"]["moderation"].as_str()), (StatusCode::OK, Some("shown")), "{v}");

    // Another host's live, in the same campaign or another: refused, nothing changes.
    assert_eq!(put_goal(&zoe).await, StatusCode::FORBIDDEN);
    assert_eq!(put_goal(&elsewhere).await, StatusCode::FORBIDDEN);
    let (s, _) = app.post(&approve(&zoe_held), Some(&key), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        app.request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", zoe.id), Some(&key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for l in [&zoe, &elsewhere] {
        let (_, v) = app.get(&format!("/api/v1/lives/{}", l.id)).await;
        assert_eq!(v["goal"], Value::Null);
    }
    // Never the live's write key's powers: no donation, no refund.
    let (s, _) = app
        .post(&format!("/api/v1/lives/{}/donations", wed.id), Some(&key), json!({"amount": 100, "currency": "EUR"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The host's space link for the month opens the space of the live of the moment.
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = no_redirect.get(format!("{}/lives/{}/host?follow=host", app.base, wed.id)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], format!("/lives/{}/host?lang=fr", mon.id).as_str());
    clock.set("2027-03-02T12:00:00Z");
    let res = no_redirect.get(format!("{}/lives/{}/host?follow=host&lang=en", app.base, mon.id)).send().await.unwrap();
    assert_eq!(res.headers()["location"], format!("/lives/{}/host?lang=en", wed.id).as_str());
}

/// `POST /api/v1/campaigns/{id}/hosts/rename {from, to}`: every live of a host
/// in the campaign, however their name was typed, renamed in one commit (their
/// frames one after the other), a host of another campaign untouched; the same
/// name again writes nothing; a name another host has joins them (one host link
/// for all); refusals in the error's shape change nothing.
#[tokio::test]
async fn a_host_is_renamed_on_all_their_lives_in_one_commit() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    let other = app.eur_campaign().await;
    let first = app.live(&c, json!({"host": "Coco"})).await;
    let zoe = app.live(&c, json!({"host": "Zoé"})).await;
    let second = app.live(&c, json!({"host": " coco "})).await;
    let elsewhere = app.live(&other, json!({"host": "Coco"})).await;
    let mut ws = app.ws(&second, None).await;
    ws.next().await;
    let mut campaign_ws = app.campaign_ws(&c).await;
    campaign_ws.next().await;
    let rename = async |from: &str, to: &str| {
        app.post(&format!("/api/v1/campaigns/{c}/hosts/rename"), Some(ADMIN), json!({"from": from, "to": to})).await
    };
    let host_of = async |l: &TestLive| app.get(&format!("/api/v1/lives/{}", l.id)).await.1["host"].clone();

    let (s, v) = rename("COCO", "Corentin").await;
    assert_eq!((s, v), (StatusCode::OK, json!({"host": "Corentin", "renamed": [first.id, second.id]})));
    for (l, name) in [(&first, "Corentin"), (&second, "Corentin"), (&zoe, "Zoé"), (&elsewhere, "Coco")] {
        assert_eq!(host_of(l).await, name, "{}", l.id);
    }
    // Both in one commit, in creation order: the campaign's stream sees them back to back.
    let a = campaign_ws.until("live_updated").await;
    let b = campaign_ws.next().await;
    assert_eq!(
        (&a["live"]["id"], &a["live"]["host"], &b["type"], &b["live"]["id"], &b["live"]["host"]),
        (&json!(first.id), &json!("Corentin"), &json!("live_updated"), &json!(second.id), &json!("Corentin"))
    );
    let seq = a["seq"].as_u64().unwrap();
    assert_eq!(b["seq"].as_u64(), Some(seq + 1));
    let frame = ws.until("live_updated").await;
    assert_eq!((frame["seq"].as_u64(), &frame["live"]["host"]), (Some(seq + 1), &json!("Corentin")));
    // The same name again: nothing written.
    assert_eq!(rename("corentin", "Corentin").await, (StatusCode::OK, json!({"host": "Corentin", "renamed": []})));
    assert_eq!(app.events(&second, seq + 1).await, Vec::<Value>::new());

    // Zoé joins Corentin: one host of three lives, whose host link opens each.
    let (s, v) = rename("Zoé", "Corentin").await;
    assert_eq!((s, v), (StatusCode::OK, json!({"host": "Corentin", "renamed": [zoe.id]})));
    let (_, doc) = app.get(&format!("/api/v1/campaigns/{c}")).await;
    let hosts: Vec<(Value, Value)> =
        doc["hosts"].as_array().unwrap().iter().map(|h| (h["host"].clone(), h["lives"].clone())).collect();
    assert_eq!(hosts, [(json!("Corentin"), json!([first.id, zoe.id, second.id]))]);
    assert_eq!(status_of(&app, &zoe.id, &first.overlay_token).await, 101);
    assert_eq!(status_of(&app, &elsewhere.id, &first.overlay_token).await, 403);

    // Refused, in the error's shape, and nothing changes.
    let path = format!("/api/v1/campaigns/{c}/hosts/rename");
    let before = app.get(&format!("/api/v1/campaigns/{c}")).await.1;
    for (token, body, status, code) in [
        (ADMIN, json!({"from": "Ana", "to": "Anna"}), StatusCode::NOT_FOUND, "host_not_found"),
        (ADMIN, json!({"from": "Corentin", "to": "  "}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (ADMIN, json!({"from": "", "to": "Coco"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (ADMIN, json!({"from": "Corentin"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (
            ADMIN,
            json!({"from": "Corentin", "to": "Coco", "lives": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
        ),
        (ADMIN, json!({"from": "Corentin", "to": "x".repeat(121)}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (first.key.as_str(), json!({"from": "Corentin", "to": "Coco"}), StatusCode::FORBIDDEN, "forbidden"),
    ] {
        let (s, v) = app.post(&path, Some(token), body.clone()).await;
        assert_eq!((s, v["error"].as_str()), (status, Some(code)), "{body} {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    let (s, v) =
        app.post("/api/v1/campaigns/nope/hosts/rename", Some(ADMIN), json!({"from": "Coco", "to": "Corentin"})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")), "{v}");
    assert_eq!(app.get(&format!("/api/v1/campaigns/{c}")).await.1, before);
    // As the log has it after a restart.
    drop((ws, campaign_ws));
    let app = app.restart().await;
    assert_eq!(app.get(&format!("/api/v1/campaigns/{c}")).await.1, before);
}
