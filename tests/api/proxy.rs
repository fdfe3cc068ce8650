//! Behind a real reverse proxy: nginx, Caddy or Apache, configured with the block that
//! `docs/deploy.md` gives (only its addresses and certificate paths changed: a
//! self-signed certificate for 127.0.0.1), speaking HTTPS and WSS to its clients
//! in front of a real server with `--trusted-proxies`.

use super::helpers::*;
use futures_util::StreamExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpSocket;

/// Where the documented blocks expect the certificate and its key.
const DOC_CERT: &str = "/etc/letsencrypt/live/dons.example.org/fullchain.pem";
const DOC_KEY: &str = "/etc/letsencrypt/live/dons.example.org/privkey.pem";

/// A WebSocket over TLS, through the proxy.
type Wss = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

/// The test's certificate and key, and the port the proxy listens on.
struct Front<'a> {
    dir: &'a Path,
    port: u16,
    cert: &'a Path,
    key: &'a Path,
}

impl Front<'_> {
    /// The block of `docs/deploy.md` fenced as `lang`, with `changes` made and
    /// its certificate paths replaced by the test's.
    fn block(&self, lang: &str, changes: [(&str, String); 2]) -> String {
        let certificates = [(DOC_CERT, self.cert.display().to_string()), (DOC_KEY, self.key.display().to_string())];
        adapted_block(lang, &[changes, certificates].concat())
    }
}

/// The block of `docs/deploy.md` fenced as ```` ```lang ````.
pub(crate) fn documented_block(lang: &str) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploy.md")).expect("docs/deploy.md");
    let fence = format!("```{lang}\n");
    let start = doc.find(&fence).unwrap_or_else(|| panic!("a {lang} block in docs/deploy.md")) + fence.len();
    let len = doc[start..].find("```").expect("the block's end");
    doc[start..start + len].to_owned()
}

/// The block of `docs/deploy.md` fenced as `lang`, with each `(from, to)` of
/// `changes` made (each `from` must be there: the test follows the page).
fn adapted_block(lang: &str, changes: &[(&str, String)]) -> String {
    let mut block = documented_block(lang);
    for (from, to) in changes {
        assert!(block.contains(from), "{from:?} is no longer in the {lang} block: {block}");
        block = block.replace(from, to);
    }
    block
}

/// A proxy in the foreground, in a process group of its own, stopped with its
/// workers when dropped (killing the main process alone leaves nginx's and
/// Apache's workers running).
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proxy {
    /// Starts `cmd` in a process group of its own and waits until it accepts
    /// connections on `port`; `log` is where it says why not, `what` the
    /// package it comes from.
    async fn start(cmd: &mut Command, what: &str, port: u16, log: &std::path::Path) -> Proxy {
        std::os::unix::process::CommandExt::process_group(cmd, 0);
        let child = cmd
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{what} ({e}; scripts/install-test-deps.sh installs it)"));
        let proxy = Proxy(child);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} did not start: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        proxy
    }
}

/// Starts nginx in front of `upstream`, with the documented block.
async fn nginx(f: &Front<'_>, upstream: std::net::SocketAddr) -> Proxy {
    let (dir, port) = (f.dir, f.port);
    let block = f.block(
        "nginx",
        [
            ("proxy_pass http://127.0.0.1:8080;", format!("proxy_pass http://{upstream};")),
            ("listen 443 ssl;", format!("listen 127.0.0.1:{port} ssl;")),
        ],
    );
    let d = dir.display();
    let temps: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|t| format!("{t}_temp_path {d}/{t};\n"))
        .collect();
    let conf = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n\
         http {{\naccess_log off;\n{temps}{block}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    // Workers may run as another user when the test runs as root.
    let _ = Command::new("chmod").arg("-R").arg("a+rwx").arg(dir).status();
    let bin = if std::path::Path::new("/usr/sbin/nginx").exists() { "/usr/sbin/nginx" } else { "nginx" };
    let mut cmd = Command::new(bin);
    cmd.arg("-p").arg(dir).arg("-c").arg(&path);
    Proxy::start(&mut cmd, "nginx, Debian's nginx-core", port, &dir.join("error.log")).await
}

/// Starts Caddy in front of `upstream`, with the documented block (its site
/// address on loopback with the test's certificate instead of one it would
/// fetch; Caddy's admin endpoint and its redirects from port 80 off).
async fn caddy(f: &Front<'_>, upstream: std::net::SocketAddr) -> Proxy {
    let (dir, port) = (f.dir, f.port);
    let site =
        format!("https://127.0.0.1:{port} {{\n    bind 127.0.0.1\n    tls {} {}", f.cert.display(), f.key.display());
    let block = adapted_block(
        "caddyfile",
        &[("dons.example.org {", site), ("reverse_proxy 127.0.0.1:8080", format!("reverse_proxy {upstream}"))],
    );
    let path = dir.join("Caddyfile");
    std::fs::write(&path, format!("{{\n    admin off\n    auto_https disable_redirects\n}}\n\n{block}")).unwrap();
    let log = dir.join("caddy.log");
    let mut cmd = Command::new("caddy");
    cmd.args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&path)
        // Caddy keeps its state under HOME and XDG_*: here, in the test's directory.
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .stderr(std::fs::File::create(&log).unwrap());
    Proxy::start(&mut cmd, "caddy, Debian's caddy", port, &log).await
}

/// A WebSocket over TLS to `path` through the proxy, from the source address
/// `from` (and its own `X-Forwarded-For`, when given): the status, and the
/// stream if open.
async fn ws_from(
    trust: &rustls::ClientConfig,
    from: [u8; 4],
    port: u16,
    path: &str,
    forged: Option<&str>,
) -> (u16, Option<Wss>) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((from, 0).into()).unwrap();
    let tcp = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(trust.clone())).connect(name, tcp).await.expect("TLS");
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "wss://127.0.0.1:{port}{path}"
    ))
    .unwrap();
    if let Some(f) = forged {
        req.headers_mut().insert("x-forwarded-for", f.parse().unwrap());
    }
    match tokio_tungstenite::client_async(req, tls).await {
        Ok((ws, _)) => (101, Some(ws)),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => (r.status().as_u16(), None),
        Err(e) => panic!("{e}"),
    }
}

/// The next frame, as JSON.
async fn next_json(ws: &mut Wss) -> serde_json::Value {
    let m = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a frame").unwrap().unwrap();
    serde_json::from_str(m.to_text().unwrap()).unwrap()
}

/// Starts Apache in front of `upstream`, with the documented block (its
/// virtual host on loopback, the modules it needs loaded).
async fn apache(f: &Front<'_>, upstream: std::net::SocketAddr) -> Proxy {
    let (dir, port) = (f.dir, f.port);
    let block = f.block(
        "apache",
        [
            ("<VirtualHost *:443>", format!("<VirtualHost 127.0.0.1:{port}>")),
            ("http://127.0.0.1:8080/", format!("http://{upstream}/")),
        ],
    );
    let d = dir.display();
    let modules: String = ["mpm_event", "authz_core", "proxy", "proxy_http", "headers", "ssl"]
        .iter()
        .map(|m| format!("LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n"))
        .collect();
    let conf = format!(
        "ServerRoot {d}\n{modules}PidFile {d}/httpd.pid\nErrorLog {d}/error.log\nMutex file:{d} default\n\
         Listen 127.0.0.1:{port} https\nServerName localhost\nUser nobody\nGroup nogroup\n{block}"
    );
    let path = dir.join("httpd.conf");
    std::fs::write(&path, conf).unwrap();
    // Its workers run as nobody when the test runs as root.
    let _ = Command::new("chmod").arg("-R").arg("a+rwx").arg(dir).status();
    let mut cmd = Command::new("/usr/sbin/apache2");
    cmd.arg("-f").arg(&path).arg("-DFOREGROUND");
    Proxy::start(&mut cmd, "apache2, Debian's apache2-bin", port, &dir.join("error.log")).await
}

/// Which proxy [`passes_websockets_and_each_client_address`] runs.
#[derive(Clone, Copy)]
enum Kind {
    Nginx,
    Caddy,
    Apache,
}

/// Through the proxy as documented, over TLS: a viewer's WebSocket gets its
/// snapshot and the donations; the cap of one WebSocket per address counts each
/// client, even one forging `X-Forwarded-For`; a live created through the proxy
/// hands out the proxy's `https://` and `wss://` addresses.
async fn passes_websockets_and_each_client_address(kind: Kind) {
    let app = spawn_app_with(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.ws_max_per_ip = 1;
    })
    .await;
    let live = app.setup().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (cert, key, trust) = self_signed(dir.path());
    let front = Front { dir: dir.path(), port, cert: &cert, key: &key };
    let _proxy = match kind {
        Kind::Nginx => nginx(&front, app.addr).await,
        Kind::Caddy => caddy(&front, app.addr).await,
        Kind::Apache => apache(&front, app.addr).await,
    };
    let path = format!("/ws/lives/{}?token={}", live.id, live.overlay_token);

    // A viewer at 127.0.0.2 gets its snapshot, then a donation, through the proxy.
    let (status, ws) = ws_from(&trust, [127, 0, 0, 2], port, &path, None).await;
    assert_eq!(status, 101);
    let mut ws = ws.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");
    app.donate_ok(&live, 1234).await;
    let frame = next_json(&mut ws).await;
    assert_eq!((frame["type"].as_str(), frame["donation"]["amount"].as_i64()), (Some("donation"), Some(1234)));

    // One WebSocket per address: 127.0.0.2 is full, even when it claims another
    // address; 127.0.0.3, behind the same proxy, is not.
    assert_eq!(ws_from(&trust, [127, 0, 0, 2], port, &path, None).await.0, 429);
    assert_eq!(ws_from(&trust, [127, 0, 0, 2], port, &path, Some("127.0.0.9")).await.0, 429);
    let (other, _ws3) = ws_from(&trust, [127, 0, 0, 3], port, &path, None).await;
    assert_eq!(other, 101);

    // Donations keep flowing to the first viewer.
    app.donate_ok(&live, 100).await;
    assert_eq!(next_json(&mut ws).await["donation"]["amount"], 100);

    // The URLs a live created through the proxy hands out are the proxy's.
    let (status, created) = https_call(
        &https_client(&trust),
        "POST",
        &format!("https://127.0.0.1:{port}/api/v1/campaigns/{}/lives", live.campaign_id),
        ADMIN,
        Some(serde_json::json!({"host": "Inès"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let (overlay, ws_url) = (created["overlay_url"].as_str().unwrap(), created["ws_url"].as_str().unwrap());
    assert!(overlay.starts_with(&format!("https://127.0.0.1:{port}/overlay/lives/")), "{overlay}");
    assert!(ws_url.starts_with(&format!("wss://127.0.0.1:{port}/ws/lives/")), "{ws_url}");

    // An alert's GIF of a few MiB goes through (nginx takes 1 MiB by default).
    let gif = [GIF, &vec![0u8; 3 << 20]].concat();
    let client = https_client(&trust);
    let base = format!("https://127.0.0.1:{port}");
    let url = format!("{base}/api/v1/campaigns/{}/media?name=big.gif", live.campaign_id);
    let (status, body) = https_send(&client, "POST", &url, ADMIN, gif.clone()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let url = format!("{base}{}", sent["media"]["url"].as_str().unwrap());
    let (status, served) = https_send(&client, "GET", &url, ADMIN, Vec::new()).await;
    assert_eq!((status, served.len()), (200, gif.len()));
    assert!(served == gif, "the same bytes back");
}

#[tokio::test]
async fn nginx_as_documented_passes_websockets_and_each_client_address() {
    passes_websockets_and_each_client_address(Kind::Nginx).await;
}

#[tokio::test]
async fn caddy_as_documented_passes_websockets_and_each_client_address() {
    passes_websockets_and_each_client_address(Kind::Caddy).await;
}

#[tokio::test]
async fn apache_as_documented_passes_websockets_and_each_client_address() {
    passes_websockets_and_each_client_address(Kind::Apache).await;
}
