//! Test harness: a real server on 127.0.0.1:0 (in-process, through the library's
//! `run`), typed request helpers, and WebSocket clients. `TEST_LOG=1` shows logs.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const ADMIN: &str = "test-admin-token-0123456789";

static LOG: Once = Once::new();

fn init_log() {
    LOG.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_env_filter("info").with_test_writer().try_init();
        }
    });
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub dir: Arc<tempfile::TempDir>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Debug, Clone)]
pub struct TestLive {
    pub id: String,
    pub campaign_id: String,
    pub key: String,
    pub overlay_token: String,
    pub body: Value,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Arc::new(tempfile::tempdir().expect("tempdir")), |_| {}).await
}

/// Starts a server on `dir` (reuse a dir to test restarts); `tweak` adjusts its config.
pub async fn spawn_app_with(dir: Arc<tempfile::TempDir>, tweak: impl FnOnce(&mut cagnotte::config::Config)) -> TestApp {
    spawn_app_at(dir, "127.0.0.1:0", tweak).await
}

/// Like [`spawn_app_with`] on a given address: a restart on the same port lets
/// open pages reconnect to it.
pub async fn spawn_app_at(
    dir: Arc<tempfile::TempDir>,
    addr: &str,
    tweak: impl FnOnce(&mut cagnotte::config::Config),
) -> TestApp {
    spawn_app_full(dir, addr, cagnotte::ledger::system_clock(), tweak).await
}

/// A clock a test moves by hand (milliseconds since the epoch).
#[derive(Clone)]
pub struct ManualClock(pub Arc<std::sync::atomic::AtomicI64>);

impl ManualClock {
    pub fn at(rfc3339: &str) -> ManualClock {
        let t = cagnotte::domain::Timestamp::parse(rfc3339).expect("time");
        ManualClock(Arc::new(std::sync::atomic::AtomicI64::new(t.millis())))
    }

    pub fn set(&self, rfc3339: &str) {
        let t = cagnotte::domain::Timestamp::parse(rfc3339).expect("time");
        self.0.store(t.millis(), std::sync::atomic::Ordering::SeqCst);
    }

    pub fn clock(&self) -> cagnotte::ledger::Clock {
        let c = Arc::clone(&self.0);
        Arc::new(move || cagnotte::domain::Timestamp::from_millis(c.load(std::sync::atomic::Ordering::SeqCst)))
    }

    /// Sets the clock `ms` behind the real time and gives the real time then
    /// (milliseconds since the epoch): for a page that reads the real time,
    /// what starts on this clock now ends `ms` sooner by the page's.
    pub fn set_behind(&self, ms: i64) -> i64 {
        let now = cagnotte::domain::Timestamp::now().millis();
        self.0.store(now - ms, std::sync::atomic::Ordering::SeqCst);
        now
    }

    /// Waits until the real time is half a second past `real`, then sets this
    /// clock a second past it: the server sees then what a page sees.
    pub async fn catch_up(&self, real: i64) {
        let wait = (real + 500 - cagnotte::domain::Timestamp::now().millis()).max(0) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        self.0.store(real + 1_000, std::sync::atomic::Ordering::SeqCst);
    }
}

pub async fn spawn_app_clocked(clock: &ManualClock) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    spawn_app_full(dir, "127.0.0.1:0", clock.clock(), |_| {}).await
}

pub async fn spawn_app_full(
    dir: Arc<tempfile::TempDir>,
    addr: &str,
    clock: cagnotte::ledger::Clock,
    tweak: impl FnOnce(&mut cagnotte::config::Config),
) -> TestApp {
    init_log();
    let mut config = cagnotte::config::Config::with_data_dir(dir.path());
    config.admin_token = Some(ADMIN.to_owned());
    tweak(&mut config);
    // Bound before the server task starts: no sleep, no race.
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        cagnotte::app::run_with_clock(listener, config, clock, async move {
            let _ = stopped.await;
        })
        .await
        .expect("server failed");
    });
    let app = TestApp {
        addr,
        base: format!("http://{addr}"),
        dir,
        client: reqwest::Client::new(),
        stop: Some(stop),
        task: Some(task),
    };
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    app
}

impl TestApp {
    /// Sends a file to a campaign's media library; `query` after `?` (a name).
    pub async fn upload_media(
        &self,
        campaign: &str,
        token: Option<&str>,
        query: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.post(format!("{}/api/v1/campaigns/{campaign}/media?{query}", self.base)).body(bytes);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("upload");
        let status = res.status();
        (status, res.json().await.expect("json"))
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Graceful stop; returns the data directory for a restart.
    pub async fn stop(mut self) -> Arc<tempfile::TempDir> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task");
        }
        Arc::clone(&self.dir)
    }

    /// Graceful stop, then a new server on the same data directory and port.
    pub async fn restart(self) -> TestApp {
        let addr = self.addr.to_string();
        let dir = self.stop().await;
        spawn_app_at(dir, &addr, |_| {}).await
    }

    /// Like [`TestApp::restart`], the new server on `clock`.
    pub async fn restart_clocked(self, clock: &ManualClock) -> TestApp {
        let addr = self.addr.to_string();
        let dir = self.stop().await;
        spawn_app_full(dir, &addr, clock.clock(), |_| {}).await
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::GET, path, None, &[], None).await
    }

    /// `GET path` with the admin token.
    pub async fn admin_get(&self, path: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::GET, path, Some(ADMIN), &[], None).await
    }

    /// `GET path` (anyone) asked `n` times at once: the one answer all of them got.
    pub async fn get_at_once(&self, path: &str, n: usize) -> Value {
        let answers = futures_util::future::join_all((0..n).map(|_| self.get(path))).await;
        assert!(answers.iter().all(|(s, v)| *s == StatusCode::OK && *v == answers[0].1), "{:?}", answers[0]);
        answers[0].1.clone()
    }

    /// The value of one series of `/metrics` (`name{labels}` as written there).
    pub async fn metric(&self, series: &str) -> f64 {
        let res = self.client.get(format!("{}/metrics", self.base)).bearer_auth(ADMIN).send().await.unwrap();
        let page = res.text().await.unwrap();
        let value = page.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' '));
        value.unwrap_or_else(|| panic!("{series} in {page}")).parse().unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::POST, path, token, &[], Some(body.to_string())).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, Value) {
        self.request(reqwest::Method::POST, path, token, headers, Some(body.to_owned())).await
    }

    pub async fn campaign(&self, body: Value) -> Value {
        let (s, v) = self.post("/api/v1/campaigns", Some(ADMIN), body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    pub async fn eur_campaign(&self) -> String {
        let v = self.campaign(json!({"name": "Restos", "currency": "EUR", "goal": 500000})).await;
        v["id"].as_str().unwrap().to_owned()
    }

    pub async fn live(&self, campaign_id: &str, body: Value) -> TestLive {
        let (s, v) = self.post(&format!("/api/v1/campaigns/{campaign_id}/lives"), Some(ADMIN), body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        TestLive {
            id: v["id"].as_str().unwrap().to_owned(),
            campaign_id: campaign_id.to_owned(),
            key: v["key"].as_str().unwrap().to_owned(),
            overlay_token: v["overlay_token"].as_str().unwrap().to_owned(),
            body: v,
        }
    }

    /// A sponsor's match on a campaign (admin), as created.
    pub async fn add_match(&self, campaign_id: &str, body: Value) -> Value {
        let (s, m) = self.post(&format!("/api/v1/campaigns/{campaign_id}/matches"), Some(ADMIN), body).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        m
    }

    /// A donation to `live` in EUR (`donor` `None`: no name), counted; its id.
    pub async fn gift(&self, live: &TestLive, donor: Option<&str>, amount: i64, anonymous: bool) -> String {
        let body = json!({"amount": amount, "currency": "EUR", "donor": donor, "anonymous": anonymous});
        let (s, d) = self.donate(live, body).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        d["donation"]["id"].as_str().unwrap().to_owned()
    }

    /// `n` gifts to `live`, "Donateur 0" giving 1,00 €, "Donateur 1" 1,01 €, and so on.
    pub async fn gifts(&self, live: &TestLive, n: i64) {
        for i in 0..n {
            self.gift(live, Some(&format!("Donateur {i}")), 100 + i, false).await;
        }
    }

    /// Refunds a donation of `live` with its key: `{}` whole, `{"refunded_amount"}` in part.
    pub async fn refund(&self, live: &TestLive, donation_id: &str, body: Value) -> StatusCode {
        self.post(&format!("/api/v1/donations/{donation_id}/refund"), Some(&live.key), body).await.0
    }

    /// A campaign in EUR with one live.
    pub async fn setup(&self) -> TestLive {
        let c = self.eur_campaign().await;
        self.live(&c, json!({"host": "Corentin", "goal": 100000})).await
    }

    /// Sets a live's moderation with its key.
    pub async fn moderate(&self, live: &TestLive, body: Value) -> Value {
        let (s, v) = self
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/lives/{}/moderation", live.id),
                Some(&live.key),
                &[],
                Some(body.to_string()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// `PATCH path` with `token` and `body`.
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::PATCH, path, Some(token), &[], Some(body.to_string())).await
    }

    /// Edits a live as the organisers do (`PATCH /api/v1/lives/{id}`: its time, called off…).
    pub async fn patch_live(&self, live_id: &str, body: Value) -> (StatusCode, Value) {
        let path = format!("/api/v1/lives/{live_id}");
        self.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body.to_string())).await
    }

    pub async fn donate(&self, live: &TestLive, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/lives/{}/donations", live.id), Some(&live.key), body).await
    }

    pub async fn donate_ok(&self, live: &TestLive, amount: i64) -> Value {
        let (s, v) = self.donate(live, json!({"amount": amount, "currency": "EUR", "donor": "Ana"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    pub async fn events(&self, live: &TestLive, after: u64) -> Vec<Value> {
        let path = format!("/api/v1/lives/{}/events?after={after}&token={}", live.id, live.overlay_token);
        let (s, v) = self.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["events"].as_array().unwrap().clone()
    }

    pub fn ws_url(&self, live_id: &str, token: &str, after: Option<u64>) -> String {
        let mut u = format!("ws://{}/ws/lives/{live_id}?token={token}", self.addr);
        if let Some(a) = after {
            u.push_str(&format!("&after={a}"));
        }
        u
    }

    pub async fn ws(&self, live: &TestLive, after: Option<u64>) -> Ws {
        let (stream, _) = tokio_tungstenite::connect_async(self.ws_url(&live.id, &live.overlay_token, after))
            .await
            .expect("ws connect");
        Ws { stream }
    }

    /// The campaign's public stream (what its viewers' page follows).
    pub async fn campaign_ws(&self, campaign_id: &str) -> Ws {
        let url = format!("ws://{}/ws/public/campaigns/{campaign_id}", self.addr);
        let (stream, _) = tokio_tungstenite::connect_async(url).await.expect("ws connect");
        Ws { stream }
    }
}

pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    /// The next JSON text frame (pings are answered by the client library while reading).
    pub async fn next(&mut self) -> Value {
        self.try_next(Duration::from_secs(10)).await.expect("a frame within 10 s")
    }

    /// The next frame of this `type`, skipping the others.
    pub async fn until(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next().await;
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// Every frame until none comes for `quiet` (a resume's replayed frames).
    pub async fn until_quiet(&mut self, quiet: Duration) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Some(f) = self.try_next(quiet).await {
            frames.push(f);
        }
        frames
    }

    pub async fn try_next(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next()).await.ok()??;
            match msg {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).expect("json frame")),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Reads until the socket closes; returns the close code if one was sent.
    pub async fn closed(&mut self, within: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => panic!("socket still open after {within:?}"),
                Ok(None) | Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(Message::Close(f)))) => return f.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    pub async fn send_text(&mut self, t: &str) {
        self.stream.send(Message::Text(t.into())).await.expect("send");
    }
}

/// A 1×1 GIF (for the media library).
pub const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xd5\x4a\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// A tenth of a second of 8 kHz, 8-bit mono WAV.
pub fn wav() -> Vec<u8> {
    let samples = vec![128u8; 800];
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    w.extend_from_slice(&samples);
    w
}

/// Path of the compiled `cagnotte` binary, for tests that run it as a child process.
/// Now plus `seconds` (in the past when negative), in RFC 3339 as the API takes times.
pub fn from_now(seconds: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cagnotte"))
}

/// A server speaking HTTPS and WSS itself (`--tls-cert`, `--tls-key`) with a
/// self-signed certificate for 127.0.0.1, and an HTTPS client that trusts it.
pub struct TlsApp {
    pub addr: SocketAddr,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub client: TlsClient,
    /// The client settings that trust the server's certificate.
    pub trust: rustls::ClientConfig,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<Result<(), cagnotte::app::BoxError>>>,
}

pub type TlsClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Full<axum::body::Bytes>,
>;

/// A self-signed certificate for 127.0.0.1 written in `dir` as `cert.pem` and
/// `key.pem`: their paths, and client settings that trust it.
pub fn self_signed(dir: &Path) -> (PathBuf, PathBuf, rustls::ClientConfig) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(cert.der().to_vec())).unwrap();
    let trust = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (cert_path, key_path, trust)
}

/// An HTTPS-only client with the `trust` settings.
pub fn https_client(trust: &rustls::ClientConfig) -> TlsClient {
    let connector =
        hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(trust.clone()).https_only().enable_http1().build();
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector)
}

/// A request to `url` over HTTPS with `token` as bearer: (status, JSON body or text).
pub async fn https_call(client: &TlsClient, method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default().into_bytes();
    let (status, bytes) = https_send(client, method, url, token, body).await;
    let text = String::from_utf8_lossy(&bytes).to_string();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// An HTTPS request with a body of bytes: the status and the answer's bytes.
pub async fn https_send(client: &TlsClient, method: &str, url: &str, token: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
    use http_body_util::BodyExt;
    let req = axum::http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {token}"))
        .body(http_body_util::Full::new(body.into()))
        .unwrap();
    let res = client.request(req).await.expect("https request");
    let status = res.status().as_u16();
    (status, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// Starts a TLS server; `before` runs while it starts (e.g. a silent client).
pub async fn spawn_tls_app(before: impl AsyncFnOnce(SocketAddr)) -> TlsApp {
    init_log();
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert_path, key_path, trust) = self_signed(dir.path());
    let mut config = cagnotte::config::Config::with_data_dir(dir.path().join("data"));
    config.admin_token = Some(ADMIN.to_owned());
    config.tls_cert = Some(cert_path);
    config.tls_key = Some(key_path);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(cagnotte::app::run(listener, config, async move {
        let _ = stopped.await;
    }));
    before(addr).await;
    let client = https_client(&trust);
    TlsApp { addr, base: format!("https://{addr}"), dir, client, trust, stop: Some(stop), task: Some(task) }
}

impl TlsApp {
    /// Waits for `/healthz` over HTTPS for at most `within`.
    pub async fn healthy(&self, within: Duration) -> bool {
        let url: axum::http::Uri = format!("{}/healthz", self.base).parse().unwrap();
        tokio::time::timeout(within, async {
            loop {
                if let Ok(res) = self.client.get(url.clone()).await {
                    return res.status() == 200;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or(false)
    }

    /// A request over HTTPS with `token` as bearer: (status, JSON body or text).
    pub async fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        https_call(&self.client, method, &format!("{}{path}", self.base), token, body).await
    }

    /// A EUR campaign with one live: the live's creation answer.
    pub async fn setup(&self) -> Value {
        let (s, c) =
            self.call("POST", "/api/v1/campaigns", ADMIN, Some(json!({"name": "Restos", "currency": "EUR"}))).await;
        assert_eq!(s, 201, "{c}");
        let path = format!("/api/v1/campaigns/{}/lives", c["id"].as_str().unwrap());
        let (s, l) = self.call("POST", &path, ADMIN, Some(json!({"host": "Corentin"}))).await;
        assert_eq!(s, 201, "{l}");
        l
    }

    /// Graceful stop (the directory stays until `self` is dropped); the server's own result.
    pub async fn stop(&mut self) -> Result<(), cagnotte::app::BoxError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let task = self.task.take().unwrap();
        tokio::time::timeout(Duration::from_secs(20), task).await.expect("stops in time").expect("server task")
    }
}

/// The gzip a response carries, unzipped.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("a gzip body");
    out
}
