//! Hostile input and abuse: every protection here has a test that fails without it.

use super::helpers::*;
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

async fn spawn_with(tweak: impl FnOnce(&mut cagnotte::config::Config)) -> TestApp {
    spawn_app_with(Arc::new(tempfile::tempdir().unwrap()), tweak).await
}

fn ws_status(res: Result<impl Sized, tokio_tungstenite::tungstenite::Error>) -> u16 {
    match res {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn writes_over_the_rate_limit_get_429_and_change_nothing() {
    let app = spawn_with(|c| {
        c.rate_limit_per_sec = 1;
        c.rate_limit_burst = 3;
    })
    .await;
    // Creating the campaign and the live took two of the admin's three.
    let live = app.setup().await;
    for _ in 0..3 {
        app.donate_ok(&live, 100).await;
    }
    let res = app
        .client
        .post(format!("{}/api/v1/lives/{}/donations", app.base, live.id))
        .bearer_auth(&live.key)
        .json(&json!({"amount": 100, "currency": "EUR"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry));
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"], "rate_limited");
    assert_eq!(v["retry_after"], retry, "the header's seconds, in the body too");
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"]["donations"], 3);
    // Reads are not limited.
    assert_eq!(app.get(&format!("/api/v1/lives/{}", live.id)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_address_guessing_tokens_is_slowed_down() {
    let app = spawn_with(|c| c.auth_failures_burst = 5).await;
    let live = app.setup().await;
    for i in 0..5 {
        let (s, _) = app
            .donate(&TestLive { key: format!("ck_guess{i}"), ..live.clone() }, json!({"amount": 1, "currency": "EUR"}))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, v) =
        app.donate(&TestLive { key: "ck_guess".into(), ..live.clone() }, json!({"amount": 1, "currency": "EUR"})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
}

#[tokio::test]
async fn websocket_connections_are_capped_per_address_and_per_token() {
    let app = spawn_with(|c| {
        c.ws_max_per_ip = 3;
        c.ws_max_per_token = 2;
    })
    .await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let a = app.ws(&live, None).await;
    let _b = app.ws(&live, None).await;
    let url = app.ws_url(&live.id, &live.overlay_token, None);
    assert_eq!(ws_status(tokio_tungstenite::connect_async(url.clone()).await), 429, "third for one token");
    let _c = app.ws(&other, None).await;
    let other_url = app.ws_url(&other.id, &other.overlay_token, None);
    assert_eq!(ws_status(tokio_tungstenite::connect_async(other_url).await), 429, "fourth for one address");
    // Closing one gives its place back; ingest kept working all along.
    drop(a);
    app.donate_ok(&live, 100).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if ws_status(tokio_tungstenite::connect_async(url.clone()).await) == 101 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the place was never given back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A donation with a wrong key, sent as if through a proxy for `client` (no header when `None`).
async fn bad_key_through(app: &TestApp, live: &TestLive, client: Option<&str>) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/lives/{}/donations", app.base, live.id))
        .bearer_auth("ck_guessed")
        .json(&json!({"amount": 100, "currency": "EUR"}));
    if let Some(c) = client {
        req = req.header("x-forwarded-for", c);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

/// A WebSocket to `live` as if through a proxy for `client`: the upgrade's status.
async fn ws_through(app: &TestApp, live: &TestLive, client: &str) -> (u16, Option<Ws>) {
    ws_with(app, live, "x-forwarded-for", client).await
}

/// A WebSocket to `live` with one more header: the upgrade's status.
async fn ws_with(app: &TestApp, live: &TestLive, name: &'static str, value: &str) -> (u16, Option<Ws>) {
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(app.ws_url(
        &live.id,
        &live.overlay_token,
        None,
    ))
    .unwrap();
    req.headers_mut().insert(name, value.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((stream, _)) => (101, Some(Ws { stream })),
        Err(e) => (ws_status(Err::<(), _>(e)), None),
    }
}

/// The headers of a proxy whose client asked for `https://dons.example.org`:
/// `X-Forwarded-Proto` and `X-Forwarded-Host`, or `Forwarded` when `rfc` is true.
fn proxy_says_https(rfc: bool) -> reqwest::header::HeaderMap {
    let mut h = reqwest::header::HeaderMap::new();
    if rfc {
        h.insert("forwarded", "for=203.0.113.8;proto=https;host=dons.example.org".parse().unwrap());
    } else {
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        h.insert("x-forwarded-host", "dons.example.org".parse().unwrap());
    }
    h
}

/// What a proxy's word on HTTPS and on the host its client asked for changes:
/// a new live's overlay URL, and whether the session cookie is `Secure`.
async fn behind_https(app: &TestApp, campaign_id: &str, rfc: bool) -> (String, bool) {
    let res = app
        .client
        .post(format!("{}/api/v1/campaigns/{campaign_id}/lives", app.base))
        .bearer_auth(ADMIN)
        .headers(proxy_says_https(rfc))
        .json(&json!({"host": "Inès"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    let url = v["overlay_url"].as_str().unwrap().to_owned();
    let res = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .headers(proxy_says_https(rfc))
        .json(&json!({"token": ADMIN}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    (url, cookie.contains("; Secure"))
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_limits() {
    let app = spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.auth_failures_burst = 3;
        c.ws_max_per_ip = 2;
    })
    .await;
    let live = app.setup().await;
    // The proxy appends the client's address to what the client sent: the client's own claim is not believed.
    for _ in 0..3 {
        assert_eq!(bad_key_through(&app, &live, Some("198.51.100.9, 203.0.113.1")).await.0, StatusCode::UNAUTHORIZED);
    }
    let (s, v) = bad_key_through(&app, &live, Some("198.51.100.9, 203.0.113.1")).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    let (s, v) = bad_key_through(&app, &live, Some("198.51.100.10, 203.0.113.1")).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")), "same client");
    // Another client behind the same proxy, and the proxy's own requests, are not braked.
    assert_eq!(bad_key_through(&app, &live, Some("203.0.113.2")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_key_through(&app, &live, None).await.0, StatusCode::UNAUTHORIZED);
    app.donate_ok(&live, 100).await;

    // A braked client is refused everything, its WebSockets too; the others are not.
    assert_eq!(ws_through(&app, &live, "203.0.113.1").await.0, 429);
    // WebSockets: two per client address.
    let (a1, _w1) = ws_through(&app, &live, "203.0.113.5").await;
    let (a2, _w2) = ws_through(&app, &live, "198.51.100.9, 203.0.113.5").await;
    let (a3, _) = ws_through(&app, &live, "203.0.113.5").await;
    let (b1, _w3) = ws_through(&app, &live, "203.0.113.6").await;
    assert_eq!((a1, a2, a3, b1), (101, 101, 429, 101));
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"]["donations"], 1);
    // The proxy's word on HTTPS and on the host is believed, in either form.
    for rfc in [false, true] {
        let (url, secure) = behind_https(&app, &live.campaign_id, rfc).await;
        assert!(url.starts_with("https://dons.example.org/overlay/lives/"), "{url}");
        assert!(secure, "the session cookie is Secure behind an HTTPS proxy");
        // A page of that host may open WebSockets (the Host header is the proxy's upstream).
        assert_eq!(ws_from_site(&app, &live, rfc).await, 101);
    }
    // A proxy speaking RFC 7239 instead: the same client address as above.
    let (f1, _w4) = ws_with(&app, &live, "forwarded", "for=198.51.100.9, for=\"203.0.113.6\";proto=https").await;
    let (f2, _) = ws_with(&app, &live, "forwarded", "for=203.0.113.6").await;
    assert_eq!((f1, f2), (101, 429));
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored() {
    // The default: no trusted proxy. Changing the header at each try does not escape the brake.
    let app = spawn_with(|c| {
        c.auth_failures_burst = 3;
        c.ws_max_per_ip = 1;
    })
    .await;
    let live = app.setup().await;
    let (a, _w) = ws_through(&app, &live, "203.0.113.1").await;
    let (b, _) = ws_through(&app, &live, "203.0.113.2").await;
    assert_eq!((a, b), (101, 429));
    for i in 0..3 {
        let (s, _) = bad_key_through(&app, &live, Some(&format!("203.0.113.{i}"))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, v) = bad_key_through(&app, &live, Some("203.0.113.99")).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    // Nor is its word on HTTPS (from another address: this one is braked now).
    let app = spawn_app().await;
    let campaign_id = app.eur_campaign().await;
    for rfc in [false, true] {
        let (url, secure) = behind_https(&app, &campaign_id, rfc).await;
        assert!(url.starts_with(&format!("http://{}/overlay/lives/", app.addr)), "{url}");
        assert!(!secure);
    }
    // Nor its word on the host, which would let another site open our WebSockets.
    let live = app.setup().await;
    for rfc in [false, true] {
        assert_eq!(ws_from_site(&app, &live, rfc).await, 403);
    }
}

/// A WebSocket opened by a page of `https://dons.example.org` through a proxy
/// that says so (see [`proxy_says_https`]).
async fn ws_from_site(app: &TestApp, live: &TestLive, rfc: bool) -> u16 {
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(app.ws_url(
        &live.id,
        &live.overlay_token,
        None,
    ))
    .unwrap();
    req.headers_mut().insert("origin", "https://dons.example.org".parse().unwrap());
    for (k, v) in &proxy_says_https(rfc) {
        req.headers_mut().insert(
            k.as_str().parse::<tokio_tungstenite::tungstenite::http::HeaderName>().unwrap(),
            v.to_str().unwrap().parse().unwrap(),
        );
    }
    ws_status(tokio_tungstenite::connect_async(req).await.map(|_| ()))
}

#[tokio::test]
async fn cross_site_websockets_are_refused() {
    let app = spawn_with(|c| c.ws_allowed_origins = vec!["https://partner.example".into()]).await;
    let live = app.setup().await;
    let connect = |origin: Option<String>| {
        let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(app.ws_url(
            &live.id,
            &live.overlay_token,
            None,
        ))
        .unwrap();
        if let Some(o) = origin {
            req.headers_mut().insert("origin", o.parse().unwrap());
        }
        tokio_tungstenite::connect_async(req)
    };
    assert_eq!(ws_status(connect(Some("https://evil.example".into())).await), 403);
    assert_eq!(ws_status(connect(Some(format!("http://{}", app.addr))).await), 101, "same origin");
    assert_eq!(ws_status(connect(Some("https://partner.example".into())).await), 101, "allowed");
    assert_eq!(ws_status(connect(None).await), 101, "no Origin: OBS and bots");
}

#[tokio::test]
async fn every_answer_carries_security_headers() {
    let app = spawn_app().await;
    let live = app.setup().await;
    for path in [
        "/healthz".to_owned(),
        format!("/api/v1/lives/{}", live.id),
        "/api/v1/lives/nope".to_owned(),
        format!("/overlay/lives/{}?token={}", live.id, live.overlay_token),
        "/static/overlay.js".to_owned(),
        format!("/campaigns/{}/charity", live.campaign_id),
        "/static/charity.js".to_owned(),
    ] {
        let res = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    }
}

#[tokio::test]
async fn totals_that_would_overflow_are_refused() {
    let app = spawn_with(|c| c.max_amount = i64::MAX).await;
    let live = app.setup().await;
    let big = i64::MAX / 100 * 60;
    let (s, _) = app.donate(&live, json!({"amount": big, "currency": "EUR"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app.donate(&live, json!({"amount": big, "currency": "EUR"})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("totals_overflow")));
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"]["raised"].as_i64(), Some(big));
    assert_eq!(l["totals"]["donations"], 1);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
        Just(json!("EUR")),
        Just(json!(1050)),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("amount".to_owned()),
                    Just("currency".to_owned()),
                    Just("donor".to_owned()),
                    Just("message".to_owned()),
                    Just("anonymous".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Random bodies and query strings against the write and read endpoints: never a
/// 5xx, and whatever is refused changes nothing.
#[test]
fn hostile_bodies_and_queries_get_4xx_and_change_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_with(|c| c.rate_limit_per_sec = 0));
    let live = rt.block_on(app.setup());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 300, ..ProptestConfig::default() });
    let bodies = prop_oneof![
        arb_json().prop_map(|v| v.to_string()),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    let tried = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&(bodies, "[a-z=&%0-9.-]{0,30}"), |(body, query)| {
            rt.block_on(async {
                tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let before = app.get(&format!("/api/v1/lives/{}", live.id)).await.1["totals"].clone();
                for (path, token) in [
                    (format!("/api/v1/lives/{}/donations", live.id), live.key.as_str()),
                    ("/api/v1/campaigns".to_owned(), ADMIN),
                    (format!("/api/v1/campaigns/{}/matches", live.campaign_id), ADMIN),
                    (format!("/api/v1/campaigns/{}/milestones", live.campaign_id), ADMIN),
                ] {
                    let (s, v) = app.post_raw(&path, Some(token), &[], &body).await;
                    assert!(s.as_u16() < 500, "{path} {body:?} → {s} {v}");
                    if !s.is_success() {
                        assert!(v["error"].is_string() && v["message"].is_string(), "{v}");
                    }
                }
                let (s, _) =
                    app.get(&format!("/api/v1/lives/{}/events?{query}&token={}", live.id, live.overlay_token)).await;
                assert!(s.as_u16() < 500, "events?{query} → {s}");
                let after = app.get(&format!("/api/v1/lives/{}", live.id)).await.1["totals"].clone();
                let accepted = after != before;
                // Only a body that is a valid donation may change the totals.
                if accepted {
                    let v: Value = serde_json::from_str(&body).unwrap();
                    assert!(v["amount"].is_i64() && v["currency"] == "EUR", "{body}");
                }
            });
            Ok(())
        })
        .unwrap();
    assert_eq!(tried.into_inner(), 300);
    rt.block_on(app.stop());
}

/// Reads until the server closes the connection; how long that took, or `None`
/// when it is still open after `within`.
async fn closed_after(conn: &mut tokio::net::TcpStream, within: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let start = std::time::Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async { while conn.read(&mut buf).await.map(|n| n > 0).unwrap_or(false) {} })
        .await
        .ok()
        .map(|()| start.elapsed())
}

/// A client that trickles its request head (slowloris), one that connects and
/// sends nothing, and an idle keep-alive connection are closed once the header
/// timeout is up, so that a pile of them cannot hold the server's sockets; an
/// overlay's WebSocket, which sends nothing either, stays, and a request sent
/// within the time is answered.
#[tokio::test]
async fn connections_that_send_no_request_are_closed_after_the_header_timeout() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_with(|c| c.header_timeout_secs = 1).await;
    let live = app.setup().await;
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");
    let connect = || tokio::net::TcpStream::connect(app.addr);
    let mut silent = connect().await.unwrap();
    let mut trickling = connect().await.unwrap();
    let mut idle = connect().await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let trickle = async {
        trickling.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n").await.unwrap();
        for i in 0..20 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if trickling.write_all(format!("x-slow-{i}: a\r\n").as_bytes()).await.is_err() {
                break;
            }
        }
        closed_after(&mut trickling, Duration::from_millis(100)).await
    };
    let (silent, trickled, idle) = tokio::join!(
        closed_after(&mut silent, Duration::from_secs(4)),
        trickle,
        closed_after(&mut idle, Duration::from_secs(4))
    );
    let silent = silent.expect("a connection that sends nothing is closed");
    assert!((Duration::from_millis(900)..Duration::from_secs(3)).contains(&silent), "{silent:?}");
    assert!(trickled.is_some(), "a trickled request head is closed within its time, bytes coming or not");
    let idle = idle.expect("an idle keep-alive connection is closed");
    assert!(idle < Duration::from_secs(3), "{idle:?}");
    // The overlay's socket, well past the timeout, is still there and gets the next gift.
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.donate_ok(&live, 700).await;
    assert_eq!(ws.until("donation").await["donation"]["amount"], 700);
    // A request sent in time is answered on a fresh connection.
    let (s, _) = app.get("/healthz").await;
    assert_eq!(s, StatusCode::OK);
}

/// Reads one answer (head and `content-length` body) from `conn`: its text and
/// how long it took from `since`, or `None` when none came within `within`.
async fn answer_after(
    conn: &mut (impl tokio::io::AsyncRead + Unpin),
    since: std::time::Instant,
    within: Duration,
) -> Option<(String, Duration)> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                    .and_then(|n| n.trim().parse::<usize>().ok());
                if length.is_some_and(|n| body.len() >= n) {
                    return Some(text);
                }
            }
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok().flatten().map(|text| (text, since.elapsed()))
}

/// A client that sends a request's head and then stops sending its body, or
/// trickles it a byte at a time, is answered `408 body_timeout` once the body
/// timeout is up, and its connection is closed: a pile of them cannot hold the
/// server's sockets. The gift they carried is not counted; one whose body pauses
/// within the time is.
#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused_and_counts_nothing() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_with(|c| c.body_timeout_secs = 1).await;
    let live = app.setup().await;
    let request = |amount: i64| {
        let gift = json!({"amount": amount, "currency": "EUR", "donor": "Ana"}).to_string();
        let head = format!(
            "POST /api/v1/lives/{}/donations HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            live.id,
            live.key,
            gift.len()
        );
        (head, gift)
    };
    // Half a body, then nothing.
    let stopped = async {
        let (head, gift) = request(300);
        let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let since = std::time::Instant::now();
        conn.write_all(format!("{head}{}", &gift[..gift.len() / 2]).as_bytes()).await.unwrap();
        let answer = answer_after(&mut conn, since, Duration::from_secs(4)).await;
        (answer, closed_after(&mut conn, Duration::from_secs(2)).await)
    };
    // Every byte but the last, one every 100 ms (more than a second in all).
    let trickled = async {
        let (head, gift) = request(400);
        let conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let (mut rd, mut wr) = conn.into_split();
        let since = std::time::Instant::now();
        wr.write_all(head.as_bytes()).await.unwrap();
        let trickle = async move {
            for b in gift.as_bytes()[..gift.len() - 1].iter() {
                if wr.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let (answer, ()) = tokio::join!(answer_after(&mut rd, since, Duration::from_secs(4)), trickle);
        answer
    };
    // The whole body, in two parts 300 ms apart: within the time.
    let paused = async {
        let (head, gift) = request(700);
        let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let since = std::time::Instant::now();
        conn.write_all(format!("{head}{}", &gift[..10]).as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        conn.write_all(&gift.as_bytes()[10..]).await.unwrap();
        answer_after(&mut conn, since, Duration::from_secs(4)).await
    };
    let ((stopped, closed), trickled, paused) = tokio::join!(stopped, trickled, paused);
    for (what, answer) in [("stopped", stopped), ("trickled", trickled)] {
        let (text, took) = answer.unwrap_or_else(|| panic!("the {what} body is answered"));
        assert!(text.starts_with("HTTP/1.1 408 "), "{what}: {text}");
        let body: Value = serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap();
        assert_eq!(body["error"], "body_timeout", "{what}: {text}");
        assert!((Duration::from_millis(900)..Duration::from_secs(3)).contains(&took), "{what}: {took:?}");
    }
    assert!(closed.is_some(), "the connection of a body refused is closed");
    let (text, _) = paused.expect("a body whole within the time is answered");
    assert!(text.starts_with("HTTP/1.1 201 "), "{text}");
    // Only the gift that arrived in time counts.
    let gifts: Vec<i64> = app.events(&live, 0).await.iter().filter_map(|e| e["donation"]["amount"].as_i64()).collect();
    assert_eq!(gifts, [700]);
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"]["raised"], 700, "{l}");
}

/// A client that stops reading a large answer (a media file of 4 MiB) is closed
/// once the send timeout is up, so that it cannot hold the server's socket
/// however long it waits; the same pause under a longer timeout, and a client
/// that reads, get every byte.
#[tokio::test]
async fn an_answer_its_client_stops_reading_is_given_up_after_the_send_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tweak = |send: u64| {
        move |c: &mut cagnotte::config::Config| {
            c.send_timeout_secs = send;
            c.socket_send_buffer = 16 * 1024;
        }
    };
    let (short, long) = tokio::join!(spawn_with(tweak(1)), spawn_with(tweak(60)));
    let file = [GIF, &vec![0; 4 << 20]].concat();
    let stalled = async |app: &TestApp| {
        let campaign = app.eur_campaign().await;
        let (s, m) = app.upload_media(&campaign, Some(ADMIN), "name=big.gif", file.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        let path = m["media"]["url"].as_str().unwrap().to_owned();
        let read = app.client.get(format!("{}{path}", app.base)).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(read.len(), file.len(), "a client that reads gets every byte");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(16 * 1024).unwrap();
        let mut conn = socket.connect(app.addr).await.unwrap();
        conn.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes()).await.unwrap();
        // Nothing read for three seconds, then everything that comes.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            while got.len() < file.len() {
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            false
        })
        .await
        .expect("the answer ends or is closed");
        (ended, got.len())
    };
    let ((cut, short_len), (long_cut, long_len)) = tokio::join!(stalled(&short), stalled(&long));
    assert!(cut, "closed after a second without the client taking a byte ({short_len} bytes came)");
    assert!(short_len < file.len() / 2, "{short_len} bytes of {}", file.len());
    assert!(!long_cut && long_len >= file.len(), "under a minute's timeout, three seconds pass: {long_len} bytes");
}

/// A connection from 127.0.0.2, an address of its own: the test's HTTP client
/// keeps its connections from 127.0.0.1 open in its pool.
async fn connect_from_another(app: &TestApp) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    socket.connect(app.addr).await.unwrap()
}

/// Sends a bare request on `conn` and reads the whole answer (until the server closes).
async fn answer_on(conn: &mut tokio::net::TcpStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut out)).await.expect("closed").unwrap();
    String::from_utf8(out).unwrap()
}

/// One address holding its maximum of open connections has the next one
/// answered `429 too_many_connections` and closed; its WebSockets are not
/// counted (they have their own cap), a connection closed gives one back, and a
/// trusted proxy, which brings every client's connections, is not counted.
#[tokio::test]
async fn connections_are_capped_per_address_websockets_and_trusted_proxies_aside() {
    let app = spawn_with(|c| c.conn_max_per_ip = 3).await;
    let live = app.setup().await;
    let mut sockets = Vec::new();
    for _ in 0..2 {
        let url = format!("ws://{}/ws/lives/{}?token={}", app.addr, live.id, live.overlay_token);
        let (ws, _) = tokio_tungstenite::client_async(url, connect_from_another(&app).await).await.unwrap();
        sockets.push(ws);
    }
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from_another(&app).await);
    }
    let mut fourth = connect_from_another(&app).await;
    let refused = answer_on(&mut fourth).await;
    assert!(refused.starts_with("HTTP/1.1 429 Too Many Requests\r\n"), "{refused}");
    let body: Value = serde_json::from_str(refused.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["error"], "too_many_connections", "{body}");
    // Another address is served meanwhile.
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
    // One closed, one more served; the WebSockets still get the gifts.
    drop(held.pop());
    let mut served = String::new();
    for _ in 0..50 {
        served = answer_on(&mut connect_from_another(&app).await).await;
        if served.starts_with("HTTP/1.1 200 OK") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served.starts_with("HTTP/1.1 200 OK"), "a connection closed gives its place back: {served}");
    app.donate_ok(&live, 300).await;
    for ws in &mut sockets {
        let gift = loop {
            let frame = futures_util::StreamExt::next(ws).await.unwrap().unwrap();
            let Ok(text) = frame.to_text() else { continue };
            let v: Value = serde_json::from_str(text).unwrap();
            if v["type"] == "donation" {
                break v;
            }
        };
        assert_eq!(gift["donation"]["amount"], 300);
    }

    let proxied = spawn_with(|c| {
        c.conn_max_per_ip = 3;
        c.trusted_proxies = vec!["127.0.0.2/32".parse().unwrap()];
    })
    .await;
    let mut many = Vec::new();
    for _ in 0..5 {
        many.push(connect_from_another(&proxied).await);
    }
    assert!(answer_on(&mut connect_from_another(&proxied).await).await.starts_with("HTTP/1.1 200 OK"));
}

/// Static files: gzipped for a client that takes it (the same bytes once
/// unzipped), whole for one that does not or refuses it (`q=0`); an `ETag` of
/// their own, answered `304` without a body while it matches.
#[tokio::test]
async fn static_files_are_gzipped_for_who_takes_it_and_revalidated_by_their_etag() {
    let app = spawn_app().await;
    let file = include_bytes!("../../static/public.js");
    let get = async |path: &str, headers: &[(&str, &str)]| {
        let mut req = app.client.get(format!("{}{path}", app.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let h = |k: &str| res.headers().get(k).map(|v| v.to_str().unwrap().to_owned());
        let said = (res.status(), h("content-encoding"), h("etag"), h("vary"), h("cache-control"));
        (said, res.bytes().await.unwrap().to_vec())
    };
    let ((s, enc, etag, vary, cache), zipped) =
        get("/static/public.js", &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(
        (s, enc.as_deref(), vary.as_deref(), cache.as_deref()),
        (StatusCode::OK, Some("gzip"), Some("accept-encoding"), Some("no-cache"))
    );
    assert!(zipped.len() * 3 < file.len(), "{} of {}", zipped.len(), file.len());
    assert_eq!(gunzip(&zipped), file);
    let etag = etag.unwrap();
    assert!(etag.starts_with("W/\"") && etag.len() == 28, "{etag}");
    for refused in [
        &[][..],
        &[("accept-encoding", "identity")],
        &[("accept-encoding", "br, gzip;q=0")],
        &[("accept-encoding", "gzip;q=0, *")],
    ] {
        let ((s, enc, again, ..), whole) = get("/static/public.js", refused).await;
        assert_eq!((s, enc, again.as_deref()), (StatusCode::OK, None, Some(etag.as_str())), "{refused:?}");
        assert_eq!(whole, file);
    }
    let ((_, enc, ..), _) = get("/static/public.js", &[("accept-encoding", "br, *")]).await;
    assert_eq!(enc.as_deref(), Some("gzip"));
    // The page's next visit: the same file, no body.
    let ((s, enc, again, ..), body) =
        get("/static/public.js", &[("if-none-match", &etag), ("accept-encoding", "gzip")]).await;
    assert_eq!((s, enc, again.as_deref(), body.len()), (StatusCode::NOT_MODIFIED, None, Some(etag.as_str()), 0));
    // Another file has another tag; an old tag gets the file.
    let ((_, _, other, ..), _) = get("/static/shared.js", &[]).await;
    assert_ne!(other.as_deref(), Some(etag.as_str()));
    let ((s, ..), body) = get("/static/public.js", &[("if-none-match", "W/\"0123456789abcdef01234567\"")]).await;
    assert_eq!((s, body.len()), (StatusCode::OK, file.len()));
    // A sound is sent as it is.
    let ((s, enc, ..), wav) = get("/static/alert.wav", &[("accept-encoding", "gzip")]).await;
    assert_eq!((s, enc, wav.as_slice()), (StatusCode::OK, None, &include_bytes!("../../static/alert.wav")[..]));
    // The pages' icon, also where a browser looks for one by itself.
    for path in ["/static/favicon.svg", "/favicon.ico"] {
        let res = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!((res.status(), ct.as_deref()), (StatusCode::OK, Some("image/svg+xml")), "{path}");
        assert_eq!(res.bytes().await.unwrap().as_ref(), include_bytes!("../../static/favicon.svg"));
    }
}
