//! HTTPS and WSS served by the server itself (`--tls-cert`, `--tls-key`): the
//! API, the URLs it hands out and the live WebSocket over TLS, plain HTTP
//! refused, a client stuck in its handshake blocking nobody.

use super::helpers::{ADMIN, spawn_tls_app};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_and_wss_are_served_directly_and_plain_http_is_refused() {
    // A client that opens a connection and never says a word blocks nobody.
    let mut silent = None;
    let mut app = spawn_tls_app(async |addr| silent = Some(tokio::net::TcpStream::connect(addr).await.unwrap())).await;
    // Well within the silent client's handshake timeout (10 s).
    assert!(app.healthy(Duration::from_secs(3)).await, "/healthz over https while a client sits in its handshake");

    let l = app.setup().await;
    let (live, key) = (l["id"].as_str().unwrap().to_owned(), l["key"].as_str().unwrap().to_owned());
    let ws_url = l["ws_url"].as_str().unwrap().to_owned();
    assert!(l["overlay_url"].as_str().unwrap().starts_with(&format!("https://{}/overlay/lives/", app.addr)), "{l}");
    assert!(ws_url.starts_with(&format!("wss://{}/ws/lives/", app.addr)), "{ws_url}");

    // The live WebSocket over TLS: the snapshot, then a donation posted over HTTPS.
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::new(app.trust.clone())).connect(name, tcp).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(ws_url.as_str(), stream).await.expect("wss");
    let text =
        |m: tokio_tungstenite::tungstenite::Message| serde_json::from_str::<Value>(m.to_text().unwrap()).unwrap();
    assert_eq!(text(ws.next().await.unwrap().unwrap())["type"], "snapshot");
    let body = json!({"amount": 1234, "currency": "EUR", "donor": "Ana"});
    let (s, d) = app.call("POST", &format!("/api/v1/lives/{live}/donations"), &key, Some(body)).await;
    assert_eq!(s, 201, "{d}");
    let frame = text(ws.next().await.unwrap().unwrap());
    assert_eq!((frame["type"].as_str(), frame["totals"]["raised"].as_i64()), (Some("donation"), Some(1234)));

    // Plain HTTP on the TLS port gets no answer.
    let plain =
        reqwest::Client::new().get(format!("http://{}/healthz", app.addr)).timeout(Duration::from_secs(5)).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    drop(silent);
    let dir = app.dir.path().to_owned();
    let cert = dir.join("cert.pem");
    app.stop().await.expect("clean stop");

    // A certificate without its key, or a key file that is not there: refused before serving.
    let mut half = cagnotte::config::Config::with_data_dir(dir.join("data2"));
    half.admin_token = Some(ADMIN.to_owned());
    half.tls_cert = Some(cert);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = cagnotte::app::run(listener, half.clone(), std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("go together"), "{err}");
    half.tls_key = Some(dir.join("nothing.pem"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = cagnotte::app::run(listener, half, std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("nothing.pem"), "{err}");
}
