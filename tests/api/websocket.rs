//! The live stream: snapshot first, exact resume, auth before the upgrade, and
//! clients that misbehave are closed without slowing anyone else.

use super::helpers::*;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn seqs(events: &[serde_json::Value]) -> Vec<u64> {
    events.iter().map(|e| e["seq"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn resume_with_after_replays_exactly_the_missed_events() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let mut ws = app.ws(&live, None).await;
    let snap = ws.next().await;
    let s0 = snap["seq"].as_u64().unwrap();
    for i in 0..3 {
        app.donate_ok(&live, 100 + i).await;
        app.donate_ok(&other, 1).await; // other lives take seq numbers too
    }
    let seen: Vec<_> = vec![ws.next().await, ws.next().await];
    let last_seen = seen[1]["seq"].as_u64().unwrap();
    drop(ws); // connection lost after two events
    for i in 0..4 {
        app.donate_ok(&live, 200 + i).await;
    }
    let all = app.events(&live, s0).await;
    assert_eq!(all.len(), 7);
    assert!(seqs(&all).windows(2).all(|w| w[0] < w[1]));

    let mut ws = app.ws(&live, Some(last_seen)).await;
    let snap = ws.next().await;
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["seq"], all.last().unwrap()["seq"]);
    let mut replayed = Vec::new();
    for _ in 0..5 {
        let ev = ws.next().await;
        assert_eq!(ev["replay"], true);
        replayed.push(ev);
    }
    assert_eq!(seqs(&replayed), seqs(&all[2..]));
    for (r, e) in replayed.iter().zip(&all[2..]) {
        assert_eq!(r["donation"], e["donation"]);
        assert_eq!(r["totals"], e["totals"]);
    }
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "no duplicates after the replay");
    let d = app.donate_ok(&live, 5).await;
    let ev = ws.next().await;
    assert_eq!(ev["donation"]["id"], d["donation"]["id"]);
    assert!(ev.get("replay").is_none());
    assert_eq!(ev["totals"], d["totals"]);

    // The events endpoint takes the same cursor, with any of the live's tokens.
    let (s, v) = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/lives/{}/events?after={last_seen}", live.id),
            Some(&live.key),
            &[],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(seqs(v["events"].as_array().unwrap()).len(), 6);
}

#[tokio::test]
async fn resume_older_than_the_memory_ring_reads_the_log() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let n = cagnotte::hub::RING_CAPACITY + 40;
    let mut tasks = tokio::task::JoinSet::new();
    let app = Arc::new(app);
    for i in 0..n {
        let app = Arc::clone(&app);
        let live = live.clone();
        tasks.spawn(async move { app.donate_ok(&live, 1 + i as i64).await });
        if tasks.len() >= 16 {
            tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
    let all = app.events(&live, 0).await;
    assert_eq!(all.len(), n);
    let mut ws = app.ws(&live, Some(0)).await;
    let snap = ws.next().await;
    assert_eq!(snap["totals"]["donations"], n as u64);
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(ws.next().await["seq"].as_u64().unwrap());
    }
    assert_eq!(got, seqs(&all));
    assert!(ws.try_next(Duration::from_millis(200)).await.is_none());
    // Paged reads of the events endpoint.
    let (_, page) =
        app.get(&format!("/api/v1/lives/{}/events?after=0&limit=10&token={}", live.id, live.overlay_token)).await;
    assert_eq!(page["events"].as_array().unwrap().len(), 10);
    assert_eq!(page["has_more"], true);
}

#[tokio::test]
async fn tokens_are_checked_before_the_upgrade() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let status = |url: String| async move {
        match tokio_tungstenite::connect_async(url).await {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
            Err(e) => panic!("{e}"),
        }
    };
    let base = format!("ws://{}/ws/lives/{}", app.addr, live.id);
    assert_eq!(status(base.clone()).await, 401);
    assert_eq!(status(format!("{base}?token=ot_wrong")).await, 401);
    assert_eq!(status(format!("{base}?token={}", other.overlay_token)).await, 403);
    assert_eq!(status(format!("{base}?token={}", live.key)).await, 403, "a write key never goes in a URL");
    assert_eq!(status(format!("{base}?token={}&after=x", live.overlay_token)).await, 400);
    assert_eq!(status(format!("ws://{}/ws/lives/nope?token={}", app.addr, live.overlay_token)).await, 404);
    assert_eq!(status(format!("{base}?token={}", live.overlay_token)).await, 101);
    // The events endpoint and the overlay page check the same way.
    let (s, _) = app.get(&format!("/api/v1/lives/{}/events", live.id)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get(&format!("/api/v1/lives/{}/events?token={}", live.id, other.overlay_token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get(&format!("/overlay/lives/{}?token=nope", live.id)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_replaced_between_its_check_and_the_join_still_ends_the_session() {
    // Each session pauses between its token check (before the upgrade) and its
    // joining the stream: a replacement lands there on purpose.
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = spawn_app_with(dir, |c| c.join_pause = Some(Duration::from_millis(600))).await;
    let live = app.setup().await;
    let (stream, _) =
        tokio_tungstenite::connect_async(app.ws_url(&live.id, &live.overlay_token, None)).await.expect("checked");
    let mut old = Ws { stream };
    let (s, v) =
        app.post(&format!("/api/v1/lives/{}/rotate", live.id), Some(ADMIN), json!({"overlay_token": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Not a snapshot first, not a frame: closed as replaced.
    let first = tokio::time::timeout(Duration::from_secs(10), old.stream.next()).await.expect("an answer");
    match first {
        Some(Ok(Message::Close(Some(f)))) => {
            assert_eq!((u16::from(f.code), f.reason.as_str()), (1008, "overlay token replaced"));
        }
        other => panic!("expected a close 1008, got {other:?}"),
    }
    // The new token, through the same pause, gets its snapshot.
    let new_token = v["overlay_token"].as_str().unwrap();
    let (stream, _) = tokio_tungstenite::connect_async(app.ws_url(&live.id, new_token, None)).await.expect("new token");
    let mut fresh = Ws { stream };
    assert_eq!(fresh.next().await["type"], "snapshot");
}

#[tokio::test]
async fn rotated_secrets_stop_working_at_once() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let rotate_campaign = || async {
        let (s, v) = app.post(&format!("/api/v1/campaigns/{}/rotate", live.campaign_id), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["overlay_token"].as_str().unwrap().to_owned()
    };
    let campaign_token = rotate_campaign().await;
    // Open before the rotations: an overlay with the token about to be replaced, a
    // public page of the same live, and the campaign's overlay.
    let mut overlay = app.ws(&live, None).await;
    overlay.next().await;
    let (public, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/public/lives/{}", app.addr, live.id))
        .await
        .expect("public stream");
    let mut public = Ws { stream: public };
    public.next().await;
    let campaign_url = format!("ws://{}/ws/campaigns/{}?token={campaign_token}", app.addr, live.campaign_id);
    let (campaign, _) = tokio_tungstenite::connect_async(campaign_url).await.expect("campaign stream");
    let mut campaign = Ws { stream: campaign };
    campaign.next().await;

    let (s, v) = app
        .post(
            &format!("/api/v1/lives/{}/rotate", live.id),
            Some(&live.key),
            json!({"key": true, "overlay_token": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The overlay opened with the replaced token is closed at once (1008), its
    // campaign's overlay is not (its token is another), nor the public page.
    assert_eq!(overlay.closed(Duration::from_secs(10)).await, Some(1008));
    let new_key = v["key"].as_str().unwrap();
    let (s, _) = app.donate(&live, json!({"amount": 1, "currency": "EUR"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post(&format!("/api/v1/lives/{}/donations", live.id), Some(new_key), json!({"amount": 1, "currency": "EUR"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(public.next().await["type"], "donation");
    assert_eq!(campaign.next().await["type"], "donation");
    assert!(tokio_tungstenite::connect_async(app.ws_url(&live.id, &live.overlay_token, None)).await.is_err());
    let new_overlay = v["overlay_token"].as_str().unwrap();
    let (fresh, _) =
        tokio_tungstenite::connect_async(app.ws_url(&live.id, new_overlay, None)).await.expect("new token");
    let mut fresh = Ws { stream: fresh };
    fresh.next().await;
    // A new campaign overlay token closes the campaign's overlay, and only it.
    rotate_campaign().await;
    assert_eq!(campaign.closed(Duration::from_secs(10)).await, Some(1008));
    let (s, _) = app
        .post(&format!("/api/v1/lives/{}/donations", live.id), Some(new_key), json!({"amount": 2, "currency": "EUR"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(fresh.next().await["donation"]["amount"], 2);
    assert_eq!(public.next().await["donation"]["amount"], 2);

    // Still true after a restart (the rotation is in the log).
    let app = app.restart().await;
    let (s, _) = app
        .post(&format!("/api/v1/lives/{}/donations", live.id), Some(&live.key), json!({"amount": 1, "currency": "EUR"}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post(&format!("/api/v1/lives/{}/donations", live.id), Some(new_key), json!({"amount": 1, "currency": "EUR"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn silent_clients_are_closed_after_a_ping() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = spawn_app_with(dir, |c| {
        c.ws_ping_secs = 1;
        c.ws_pong_timeout_secs = 1;
    })
    .await;
    let live = app.setup().await;
    // A client that keeps reading answers pings and stays.
    let mut alive = app.ws(&live, None).await;
    alive.next().await;
    let (tx, mut frames) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(v) = alive.try_next(Duration::from_secs(30)).await {
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    // A client whose socket is never read cannot answer.
    let mut silent = app.ws(&live, None).await;
    silent.next().await;
    let started = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    // A frame sent after the server's close (as a client answering a ping it has
    // just read would) must not destroy that close before the client reads it.
    silent.send_text("still there?").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Reading now surfaces what the server did while we were silent.
    let code = silent.closed(Duration::from_secs(5)).await;
    assert_eq!(code, Some(1001));
    assert!(started.elapsed() < Duration::from_secs(8));
    // Meanwhile the reading client kept answering pings (the client library does it while reading).
    let d = app.donate_ok(&live, 42).await;
    let ev = tokio::time::timeout(Duration::from_secs(5), frames.recv()).await.unwrap().expect("still connected");
    assert_eq!(ev["donation"]["id"], d["donation"]["id"]);
}

#[tokio::test]
async fn oversized_client_messages_close_the_socket() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    ws.send_text(&"x".repeat(64 * 1024)).await;
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Some(1009));
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let stop = tokio::spawn(app.stop());
    assert_eq!(ws.closed(Duration::from_secs(10)).await, Some(1001));
    stop.await.unwrap();
}

/// A subscriber whose socket is never read (tiny receive buffer) is closed, while
/// the others receive every event in order.
#[tokio::test]
async fn a_subscriber_that_stops_reading_is_closed_and_never_slows_the_others() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = Arc::new(spawn_app_with(dir, |c| c.ws_send_timeout_secs = 1).await);
    let live = app.setup().await;

    let mut slow = tiny_buffer_ws(&app, &live).await;
    let mut good = app.ws(&live, None).await;
    good.next().await;

    let n = 2500;
    let reader = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while seqs.len() < n {
            let ev = good.next().await;
            seqs.push(ev["seq"].as_u64().unwrap());
        }
        seqs
    });
    donate_many(&app, &live, n, &"m".repeat(480)).await;
    let got = tokio::time::timeout(Duration::from_secs(60), reader).await.expect("good subscriber kept up").unwrap();
    assert_eq!(got.len(), n);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order, no duplicate");

    // The slow one was cut off: it ends before the last event.
    let mut received = 0;
    let mut closed = false;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), slow.stream.next()).await {
        match msg {
            Ok(Message::Text(_)) => received += 1,
            Ok(Message::Close(_)) | Err(_) => {
                closed = true;
                break;
            }
            Ok(_) => {}
        }
    }
    assert!(closed || received < n + 1, "the slow subscriber must be closed (got {received} frames)");
    assert!(received < n + 1, "the slow subscriber was closed before the end (got {received} of {})", n + 1);
}

/// A subscriber whose socket has a 4 KiB receive buffer, so that the server's
/// writes block as soon as it stops reading.
async fn tiny_buffer_ws(app: &TestApp, live: &TestLive) -> Ws {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(sock.connect(app.addr).await.unwrap());
    let req = app.ws_url(&live.id, &live.overlay_token, None).into_client_request().unwrap();
    let (stream, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    Ws { stream }
}

/// Posts `n` donations carrying `message`, 16 at a time; every one is created.
async fn donate_many(app: &Arc<TestApp>, live: &TestLive, n: usize, message: &str) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (app, live, message) = (Arc::clone(app), live.clone(), message.to_owned());
        tasks.spawn(async move {
            let (s, _) = app.donate(&live, json!({"amount": 1, "currency": "EUR", "message": message})).await;
            assert_eq!(s, StatusCode::CREATED);
        });
        if tasks.len() >= 16 {
            tasks.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
}

/// A subscriber with a tiny receive buffer that reads slowly makes the server's
/// writes block again and again (the rest is queued and written later): it still
/// receives every event once, in order, and stays connected.
#[tokio::test]
async fn a_slow_reader_that_keeps_up_gets_every_event_once_in_order() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = Arc::new(spawn_app_with(dir, |c| c.socket_send_buffer = 4096).await);
    let live = app.setup().await;
    let mut slow = tiny_buffer_ws(&app, &live).await;
    let snapshot = slow.next().await;
    let first = snapshot["seq"].as_u64().unwrap() + 1;

    let n = 600;
    let reader = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while seqs.len() < n {
            let ev = slow.next().await;
            seqs.push(ev["seq"].as_u64().unwrap());
            if seqs.len() % 8 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        (seqs, slow)
    });
    donate_many(&app, &live, n, &"m".repeat(480)).await;
    let (got, mut slow) = tokio::time::timeout(Duration::from_secs(60), reader).await.expect("kept up").unwrap();
    assert_eq!(got, (first..first + n as u64).collect::<Vec<_>>(), "every event once, in order");
    // Still subscribed: the next event arrives too.
    let d = app.donate_ok(&live, 7).await;
    assert_eq!(slow.next().await["donation"]["id"], d["donation"]["id"]);
}

/// An overlay that stops reading for longer than the server's send timeout for
/// answers (1 s here) is not closed by it: a WebSocket's writes have their own
/// timeout (5 s). It then gets every event once, in order, and the next one.
#[tokio::test]
async fn a_websocket_paused_past_the_answers_send_timeout_stays() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = Arc::new(
        spawn_app_with(dir, |c| {
            c.socket_send_buffer = 4096;
            c.send_timeout_secs = 1;
        })
        .await,
    );
    let live = app.setup().await;
    let mut paused = tiny_buffer_ws(&app, &live).await;
    let first = paused.next().await["seq"].as_u64().unwrap() + 1;
    // About 50 KB of frames, far more than the sockets hold, left unread for 2.5 s.
    let n = 100;
    donate_many(&app, &live, n, &"m".repeat(480)).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut got = Vec::new();
    while got.len() < n {
        got.push(paused.next().await["seq"].as_u64().unwrap());
    }
    assert_eq!(got, (first..first + n as u64).collect::<Vec<_>>(), "every event once, in order");
    let d = app.donate_ok(&live, 7).await;
    assert_eq!(paused.next().await["donation"]["id"], d["donation"]["id"]);
}

/// A subscriber that stops reading while the send timeout is long is closed once
/// it is more than a megabyte behind, with 1013 and a reason telling it to
/// resume; it then resumes with `after=` without a gap.
#[tokio::test]
async fn a_subscriber_far_behind_is_closed_with_try_again_and_resumes() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = Arc::new(
        spawn_app_with(dir, |c| {
            c.socket_send_buffer = 4096;
            c.ws_send_timeout_secs = 120;
        })
        .await,
    );
    let live = app.setup().await;
    let mut stalled = tiny_buffer_ws(&app, &live).await;

    // About 2 MB of frames, never read.
    let n = 3000;
    donate_many(&app, &live, n, &"m".repeat(480)).await;
    let mut last_seq = 0;
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(20), stalled.stream.next()).await.expect("closed in time") {
            Some(Ok(Message::Text(t))) => {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                last_seq = v["seq"].as_u64().unwrap();
            }
            Some(Ok(Message::Close(f))) => break f.expect("a close frame with a code"),
            Some(Ok(_)) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(close.code), 1013);
    assert_eq!(close.reason.as_str(), "too slow: resume with after=");

    let mut again = app.ws(&live, Some(last_seq)).await;
    let total = again.next().await["seq"].as_u64().unwrap();
    assert!(last_seq < total, "closed before the end ({last_seq} of {total})");
    let mut resumed = Vec::new();
    while resumed.len() < (total - last_seq) as usize {
        resumed.push(again.next().await["seq"].as_u64().unwrap());
    }
    assert_eq!(resumed, (last_seq + 1..=total).collect::<Vec<_>>());
}

/// 300 subscribers of one live span three fan-out tasks: each receives every
/// event once. Half of them leave and others join in their place (reusing the
/// room they left), and every subscriber still receives the next event.
#[tokio::test]
async fn subscribers_across_several_fan_out_tasks_all_receive_every_event() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let mut subs = Vec::new();
    for _ in 0..300 {
        let mut ws = app.ws(&live, None).await;
        ws.next().await;
        subs.push(ws);
    }
    let d1 = app.donate_ok(&live, 101).await;
    let d2 = app.donate_ok(&live, 102).await;
    for ws in &mut subs {
        assert_eq!(ws.next().await["donation"]["id"], d1["donation"]["id"]);
        assert_eq!(ws.next().await["donation"]["id"], d2["donation"]["id"]);
    }
    subs.truncate(150);
    for _ in 0..150 {
        let mut ws = app.ws(&live, None).await;
        ws.next().await;
        subs.push(ws);
    }
    let d3 = app.donate_ok(&live, 103).await;
    for ws in &mut subs {
        assert_eq!(ws.next().await["donation"]["id"], d3["donation"]["id"]);
    }
}

#[tokio::test]
async fn a_busy_stream_coalesces_its_writes_and_a_quiet_one_gets_each_event_at_once() {
    // Long enough that a loaded machine's slow POST (a commit waiting for a core)
    // is not mistaken for an event held back.
    const LINGER: Duration = Duration::from_millis(1000);
    let app = spawn_app_with(Arc::new(tempfile::tempdir().unwrap()), |c| c.ws_coalesce_ms = 1000).await;
    let live = app.setup().await;
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");
    let mut ids = Vec::new();
    let mut got = Vec::new();
    let mut donate = async |amount: i64| {
        let posted = std::time::Instant::now();
        ids.push(app.donate_ok(&live, amount).await["donation"]["id"].clone());
        posted
    };

    // One subscriber: its shard pauses 1/128 of the linger, so a burst is not held back.
    let posted = donate(101).await;
    donate(102).await;
    got.push(ws.next().await);
    got.push(ws.next().await);
    assert!(posted.elapsed() < LINGER / 2, "a small shard held a burst for {:?}", posted.elapsed());

    // A full shard pauses the whole linger between two passes.
    let mut others = Vec::new();
    for _ in 1..cagnotte::fanout::SHARD_SIZE {
        let mut o = app.ws(&live, None).await;
        o.next().await;
        others.push(o);
    }
    tokio::time::sleep(LINGER).await;
    // Quiet: the first event leaves as soon as it is committed.
    let posted = donate(103).await;
    got.push(ws.next().await);
    let first_at = std::time::Instant::now();
    assert!(posted.elapsed() < LINGER / 2, "a lone event waited {:?}", posted.elapsed());
    // Two more at once: they wait out the rest of the linger after the first
    // pass, which began before the first frame arrived.
    donate(104).await;
    donate(105).await;
    got.push(ws.next().await);
    got.push(ws.next().await);
    assert!(first_at.elapsed() >= LINGER * 3 / 4, "a busy stream wrote again after {:?}", first_at.elapsed());
    // Quiet again: the next event leaves at once.
    tokio::time::sleep(LINGER + Duration::from_millis(100)).await;
    let posted = donate(106).await;
    got.push(ws.next().await);
    assert!(posted.elapsed() < LINGER / 2, "an event after a quiet time waited {:?}", posted.elapsed());

    let got_ids: Vec<_> = got.iter().map(|f| f["donation"]["id"].clone()).collect();
    assert_eq!(got_ids, ids, "every event once, in order");
    assert!(got.windows(2).all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()), "{got:?}");
    let last = &got[5];
    assert_eq!((&last["totals"]["total"], &last["totals"]["donations"]), (&json!(621), &json!(6)), "{last}");
    for o in &mut others {
        let seqs: Vec<_> =
            [o.next().await, o.next().await, o.next().await, o.next().await].iter().map(|f| f["seq"].clone()).collect();
        assert_eq!(seqs, got[2..].iter().map(|f| f["seq"].clone()).collect::<Vec<_>>());
    }
}

/// Every overlay reconnecting at once after a restart, or a crowd of gifts
/// during a call to give, is a burst of new connections: the server's listener
/// queues 2 000 of them before it accepts any (a listener's usual 128 would
/// drop the rest's handshakes, retried by their clients only a second later).
#[tokio::test]
async fn a_burst_of_new_connections_waits_in_the_queue() {
    let listener = cagnotte::app::listen("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connects =
        (0..2000).map(|_| tokio::time::timeout(Duration::from_millis(1500), tokio::net::TcpStream::connect(addr)));
    // Nobody accepts until every handshake has had its chance.
    let done = futures_util::future::join_all(connects).await;
    let connected: Vec<_> = done.into_iter().filter_map(|c| c.ok().and_then(Result::ok)).collect();
    assert_eq!(connected.len(), 2000, "every connection completed while the server had accepted none");
    let (_first, _) = listener.accept().await.unwrap();
}

/// A campaign's totals stream: its first message says where the campaign and
/// its lives stand; then, however many gifts come, at most one frame a tick
/// (250 ms) with the campaign as of its newest seq and the lives that moved;
/// nothing while nothing moves.
#[tokio::test]
async fn a_campaign_s_totals_stream_says_where_it_stands_a_few_times_a_second() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = live.campaign_id.clone();
    let body = json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 5000});
    let (s, v) = app.post(&format!("/api/v1/campaigns/{c}/matches"), Some(ADMIN), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["cap"], 5000);
    let other = app.live(&c, json!({"host": "Inès"})).await;
    app.donate_ok(&live, 1000).await;
    let seq = |path: String| {
        let app = &app;
        async move { app.get(&path).await.1["seq"].as_u64().unwrap() }
    };
    let (url, lives_url) = (format!("/api/v1/campaigns/{c}"), |id: &str| format!("/api/v1/lives/{id}"));
    match tokio_tungstenite::connect_async(format!("ws://{}/ws/public/campaigns/nope/totals", app.addr)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status().as_u16(), 404),
        other => panic!("an unknown campaign's totals stream: {:?}", other.map(|_| ())),
    }
    let (stream, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/public/campaigns/{c}/totals", app.addr))
        .await
        .expect("ws connect");
    let mut ws = Ws { stream };
    let doc = app.get(&url).await.1;
    let totals = |raised: i64, matched: i64, donations: i64| json!({"raised": raised, "matched": matched, "total": raised + matched, "donations": donations});
    // Corentin's 10 € doubled; Inès has had only the match's creation (the
    // server's time, `now`, is checked by `every_stream_s_first_message_says_the_server_s_time`).
    let first = ws.next().await;
    assert_eq!(
        first,
        json!({
            "type": "snapshot", "seq": doc["seq"], "now": first["now"], "campaign_totals": totals(1000, 1000, 1), "matches": doc["matches"],
            "goal": doc["goal"], "starts_at": null, "ends_at": null,
            // Inès's creation: the newest change of the schedule.
            "lives_seq": seq(lives_url(&other.id)).await,
            "lives": [
                {"id": live.id, "seq": seq(lives_url(&live.id)).await, "totals": totals(1000, 1000, 1)},
                {"id": other.id, "seq": seq(lives_url(&other.id)).await, "totals": totals(0, 0, 0)},
            ],
        })
    );
    assert_eq!(ws.try_next(Duration::from_millis(800)).await, None, "nothing moved");
    let followers = format!("cagnotte_campaign_totals_followers{{campaign=\"{c}\"}}");
    assert_eq!(app.metric(&followers).await, 1.0);
    // Forty gifts to Inès over about a second: a few frames, the last as of the last gift.
    let started = std::time::Instant::now();
    for _ in 0..40 {
        app.donate_ok(&other, 100).await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let posted = started.elapsed();
    let frames = ws.until_quiet(Duration::from_millis(800)).await;
    let ticks = posted.as_millis() as usize / 250 + 2;
    assert!((1..=ticks).contains(&frames.len()), "{} frames for 40 gifts in {posted:?}", frames.len());
    let seqs: Vec<u64> = frames.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Inès moved; Corentin too when the match's budget ran out (a campaign's
    // event is in every live's stream), his totals as they were.
    let moved = |l: &serde_json::Value| l["id"] == other.id || l["totals"] == totals(1000, 1000, 1);
    assert!(frames.iter().all(|f| f["type"] == "totals" && f["lives"].as_array().unwrap().iter().all(moved)));
    let last = frames.last().unwrap();
    assert_eq!(last["seq"], seq(url.clone()).await);
    // 50 € of gifts to the cap's 40 € left: 40 € matched.
    assert_eq!(last["campaign_totals"], totals(5000, 5000, 41));
    assert_eq!((&last["matches"][0]["used"], &last["matches"][0]["left"]), (&json!(5000), &json!(0)));
    assert_eq!(last["matches"], app.get(&url).await.1["matches"]);
    assert_eq!(
        last["lives"],
        json!([
            {"id": other.id, "seq": seq(lives_url(&other.id)).await, "totals": totals(4000, 4000, 40)},
            {"id": live.id, "seq": seq(lives_url(&live.id)).await, "totals": totals(1000, 1000, 1)},
        ])
    );
    assert_eq!(ws.try_next(Duration::from_millis(600)).await, None, "nothing moved since");
    // A live created moves no stream but the schedule: a frame says so, with the new live.
    let later = app.live(&c, json!({"host": "Léa"})).await;
    let f = ws.next().await;
    let created = seq(lives_url(&later.id)).await;
    assert_eq!((&f["type"], &f["seq"], &f["lives_seq"]), (&json!("totals"), &json!(created), &json!(created)));
    assert_eq!(f["lives"], json!([{"id": later.id, "seq": created, "totals": totals(0, 0, 0)}]));
    // Started now by its host: its schedule changed (its start moved to now), its stream moved.
    let (s, v) = app.post(&format!("/api/v1/lives/{}/start", later.id), Some(&later.key), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let started = seq(lives_url(&later.id)).await;
    // (Its two events may fall on both sides of a tick.)
    let mut f = ws.next().await;
    while f["seq"] != started {
        f = ws.next().await;
    }
    assert!(f["lives_seq"].as_u64().unwrap() > created, "{f}");
    assert_eq!(f["lives"], json!([{"id": later.id, "seq": started, "totals": totals(0, 0, 0)}]));
    assert_eq!(f["campaign_totals"], totals(5000, 5000, 41));
}

/// The new gifts among `frames`.
fn gifts(frames: &[serde_json::Value]) -> usize {
    frames.iter().filter(|f| f["type"] == "donation").count()
}

/// A public stream got some of the `posted` new gifts sent in `secs`: twenty at
/// once (`spent` of them before), then ten a second.
fn budgeted(frames: &[serde_json::Value], posted: usize, secs: f64, spent: usize) {
    let (got, most) = (gifts(frames), 20 + (10.0 * secs).ceil() as usize);
    assert!((20 - spent..=most).contains(&got) && got < posted, "{got} of {posted} gifts in {secs:.2} s");
}

/// A campaign's public stream gets its events as they come, but only so many
/// new gifts a second (twenty at once, then ten a second): a busy evening's
/// gifts would otherwise cost one frame per gift per viewer. A `totals` frame
/// says where the campaign stands within a quarter of a second of those it did
/// not get, and the campaign's document lists the newest gifts. The
/// organisers' campaign stream gets every one.
#[tokio::test]
async fn a_campaign_s_public_stream_gets_a_busy_evening_s_gifts_in_part_and_its_totals_whole() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = live.campaign_id.clone();
    let other = app.live(&c, json!({"host": "Inès"})).await;
    let (s, v) = app.post(&format!("/api/v1/campaigns/{c}/rotate"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["overlay_token"].as_str().unwrap();
    let (stream, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws/campaigns/{c}?token={token}", app.addr)).await.unwrap();
    let mut organisers = Ws { stream };
    let mut public = app.campaign_ws(&c).await;
    assert_eq!(organisers.next().await["type"], "snapshot");
    assert_eq!(public.next().await["type"], "snapshot");
    let viewers = format!("cagnotte_campaign_viewers{{campaign=\"{c}\"}}");
    assert_eq!(app.metric(&viewers).await, 1.0);
    // A quiet evening: every gift as it comes.
    for amount in [500, 700] {
        app.donate_ok(&other, amount).await;
        let f = public.next().await;
        assert_eq!((&f["type"], &f["donation"]["amount"]), (&json!("donation"), &json!(amount)));
    }
    // A hundred gifts of 1,00 € to 1,99 € as fast as they are answered.
    let started = std::time::Instant::now();
    for i in 0..100 {
        let who = if i % 2 == 0 { &live } else { &other };
        let (s, v) = app.donate(who, json!({"amount": 100 + i, "currency": "EUR", "donor": format!("D{i}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let posted = started.elapsed().as_secs_f64();
    // A campaign-wide milestone after them: an event, never held back.
    let (s, m) = app
        .post(&format!("/api/v1/campaigns/{c}/milestones"), Some(ADMIN), json!({"amount": 900000, "label": "Concert"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let frames = public.until_quiet(Duration::from_millis(800)).await;
    let all = organisers.until_quiet(Duration::from_millis(300)).await;
    assert_eq!(gifts(&all), 102, "the organisers' stream: every gift");
    // Twenty at once (two spent above), then ten a second.
    budgeted(&frames, 100, posted, 2);
    let events: Vec<&serde_json::Value> = frames.iter().filter(|f| f["type"] != "totals").collect();
    let seqs: Vec<u64> = events.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(events.last().unwrap()["type"], "milestone_created");
    // Where the campaign stands after the last gift: in a totals frame.
    let doc = app.get(&format!("/api/v1/campaigns/{c}")).await.1;
    let raised = 500 + 700 + (0..100).map(|i| 100 + i).sum::<i64>();
    let last = frames.iter().rfind(|f| f["type"] == "totals").expect("a totals frame");
    assert_eq!(last["campaign_totals"], json!({"raised": raised, "matched": 0, "total": raised, "donations": 102}));
    assert_eq!(last["campaign_totals"], doc["totals"]);
    let lives = |f: &serde_json::Value| {
        let mut l: Vec<(String, i64)> = f["lives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["id"].as_str().unwrap().to_owned(), l["totals"]["raised"].as_i64().unwrap()))
            .collect();
        l.sort();
        l
    };
    let evens: i64 = (0..100).step_by(2).map(|i| 100 + i).sum();
    let mut want = vec![(live.id.clone(), evens), (other.id.clone(), raised - evens)];
    want.sort();
    assert_eq!(lives(last), want);
    // The newest twenty in the campaign's document, newest first.
    let recent: Vec<&str> = doc["recent"].as_array().unwrap().iter().map(|d| d["donor"].as_str().unwrap()).collect();
    let newest: Vec<String> = (80..100).rev().map(|i| format!("D{i}")).collect();
    assert_eq!(recent, newest);
    // A second later the budget is back for the next gift.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.donate_ok(&live, 900).await;
    let f = public.next().await;
    assert_eq!((&f["type"], &f["donation"]["amount"]), (&json!("donation"), &json!(900)));
    assert_eq!(public.try_next(Duration::from_millis(600)).await, None, "nothing owed");
}

/// A live's public stream, the same: its events as they come, twenty new gifts
/// at once then ten a second, and a `totals` frame with the live's own totals
/// within a quarter of a second of those it held back; the live's document
/// lists the newest gifts. Its overlay's stream gets every one (each is an
/// alert).
#[tokio::test]
async fn a_live_s_public_stream_gets_a_busy_evening_s_gifts_in_part_and_its_totals_whole() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = live.campaign_id.clone();
    let mut overlay = app.ws(&live, None).await;
    let (stream, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws/public/lives/{}", app.addr, live.id)).await.unwrap();
    let mut public = Ws { stream };
    assert_eq!(overlay.next().await["type"], "snapshot");
    assert_eq!(public.next().await["type"], "snapshot");
    let viewers = format!("cagnotte_live_viewers{{campaign=\"{c}\",live=\"{}\"}}", live.id);
    assert_eq!(app.metric(&viewers).await, 1.0);
    let started = std::time::Instant::now();
    for i in 0..80 {
        let (s, v) = app.donate(&live, json!({"amount": 100 + i, "currency": "EUR", "donor": format!("D{i}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let posted = started.elapsed().as_secs_f64();
    let frames = public.until_quiet(Duration::from_millis(800)).await;
    let all = overlay.until_quiet(Duration::from_millis(300)).await;
    assert_eq!(gifts(&all), 80, "the overlay's stream: every gift");
    budgeted(&frames, 80, posted, 0);
    let doc = app.get(&format!("/api/v1/lives/{}", live.id)).await.1;
    let raised: i64 = (0..80).map(|i| 100 + i).sum();
    let want = json!({"raised": raised, "matched": 0, "total": raised, "donations": 80});
    let last = frames.iter().rfind(|f| f["type"] == "totals").expect("a totals frame");
    assert_eq!(
        (&last["seq"], &last["totals"], &last["campaign_totals"], &last["matches"]),
        (&doc["seq"], &want, &want, &json!([]))
    );
    let recent: Vec<&str> = doc["recent"].as_array().unwrap().iter().map(|d| d["donor"].as_str().unwrap()).collect();
    let newest: Vec<String> = (60..80).rev().map(|i| format!("D{i}")).collect();
    assert_eq!(recent, newest);
    assert_eq!(public.try_next(Duration::from_millis(600)).await, None, "nothing owed");
}

/// Every stream's first message says the server's time (`now`), by which the
/// pages count down to the schedule's, the challenges' and the sponsors' times
/// whatever their computer's clock says; the frames after it do not.
#[tokio::test]
async fn every_stream_s_first_message_says_the_server_s_time() {
    let clock = ManualClock::at("2026-12-04T20:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let (s, link) = app.post(&format!("/api/v1/campaigns/{}/rotate", live.campaign_id), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let (c, l) = (live.campaign_id.clone(), live.id.clone());
    let paths = [
        format!("/ws/lives/{l}?token={}", live.overlay_token),
        format!("/ws/campaigns/{c}?token={}", link["overlay_token"].as_str().unwrap()),
        format!("/ws/public/lives/{l}"),
        format!("/ws/public/campaigns/{c}"),
        format!("/ws/public/campaigns/{c}/totals"),
    ];
    let open = |path: &String| {
        let url = format!("ws://{}{path}", app.addr);
        async move { Ws { stream: tokio_tungstenite::connect_async(url).await.expect("ws connect").0 } }
    };
    for (at, now) in
        [("2026-12-04T20:00:00Z", "2026-12-04T20:00:00.000Z"), ("2026-12-04T21:17:42.250Z", "2026-12-04T21:17:42.250Z")]
    {
        clock.set(at);
        for path in &paths {
            let first = open(path).await.next().await;
            assert_eq!((first["type"].as_str(), first["now"].as_str()), (Some("snapshot"), Some(now)), "{path}");
        }
    }
    let mut streams = Vec::new();
    for path in &paths {
        let mut ws = open(path).await;
        ws.next().await;
        streams.push(ws);
    }
    app.donate_ok(&live, 1000).await;
    for (path, ws) in paths.iter().zip(&mut streams) {
        let frame = ws.next().await;
        assert!(frame["type"] != "snapshot" && frame.get("now").is_none(), "{path}: {frame}");
    }
}
