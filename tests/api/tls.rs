//! HTTPS and WSS served by the server itself (`--tls-cert`, `--tls-key`): the
//! API, the URLs it hands out and the live WebSocket over TLS, plain HTTP
//! refused, a client stuck in its handshake blocking nobody.

use super::helpers::ADMIN;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use rustls::pki_types::CertificateDer;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

type Client = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<axum::body::Bytes>,
>;

/// A self-signed certificate for 127.0.0.1 written as PEM files, and its DER to trust.
fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, CertificateDer<'static>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path, CertificateDer::from(cert.der().to_vec()))
}

fn trusting(der: &CertificateDer<'static>) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der.clone()).unwrap();
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

async fn call(client: &Client, method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let req = axum::http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {ADMIN}"))
        .header("content-type", "application/json")
        .body(Full::new(body.map(|b| b.to_string()).unwrap_or_default().into()))
        .unwrap();
    let res = client.request(req).await.expect("https request");
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_and_wss_are_served_directly_and_plain_http_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, der) = certificate(dir.path());
    let mut config = cagnotte::config::Config::with_data_dir(dir.path().join("data"));
    config.admin_token = Some(ADMIN.to_owned());
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(key.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(cagnotte::app::run(listener, config, async move {
        let _ = stopped.await;
    }));

    // A client that opens a connection and never says a word blocks nobody.
    let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = trusting(&der);
    let connector =
        hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls.clone()).https_only().enable_http1().build();
    let client: Client =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
    let base = format!("https://{addr}");
    // Well within the silent client's handshake timeout (10 s).
    let healthy = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(res) = client.get(format!("{base}/healthz").parse().unwrap()).await {
                return res.status() == 200;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(healthy, Ok(true), "/healthz over https while a client sits in its handshake");

    let (s, c) =
        call(&client, "POST", &format!("{base}/api/v1/campaigns"), Some(json!({"name": "Restos", "currency": "EUR"})))
            .await;
    assert_eq!(s, 201, "{c}");
    let (s, l) = call(
        &client,
        "POST",
        &format!("{base}/api/v1/campaigns/{}/lives", c["id"].as_str().unwrap()),
        Some(json!({"host": "Corentin"})),
    )
    .await;
    assert_eq!(s, 201, "{l}");
    let (live, key_token) = (l["id"].as_str().unwrap().to_owned(), l["key"].as_str().unwrap().to_owned());
    let ws_url = l["ws_url"].as_str().unwrap().to_owned();
    assert!(l["overlay_url"].as_str().unwrap().starts_with(&format!("https://{addr}/overlay/lives/")), "{l}");
    assert!(ws_url.starts_with(&format!("wss://{addr}/ws/lives/")), "{ws_url}");

    // The live WebSocket over TLS: the snapshot, then a donation posted over HTTPS.
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::new(tls)).connect(name, tcp).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(ws_url.as_str(), stream).await.expect("wss");
    let text =
        |m: tokio_tungstenite::tungstenite::Message| serde_json::from_str::<Value>(m.to_text().unwrap()).unwrap();
    let snap = text(ws.next().await.unwrap().unwrap());
    assert_eq!(snap["type"], "snapshot");
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!("{base}/api/v1/lives/{live}/donations"))
        .header("authorization", format!("Bearer {key_token}"))
        .body(Full::new(json!({"amount": 1234, "currency": "EUR", "donor": "Ana"}).to_string().into()))
        .unwrap();
    assert_eq!(client.request(req).await.unwrap().status(), 201);
    let frame = text(ws.next().await.unwrap().unwrap());
    assert_eq!((frame["type"].as_str(), frame["totals"]["raised"].as_i64()), (Some("donation"), Some(1234)));

    // Plain HTTP on the TLS port gets no answer.
    let plain =
        reqwest::Client::new().get(format!("http://{addr}/healthz")).timeout(Duration::from_secs(5)).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), server).await.expect("stops").unwrap().expect("clean stop");

    // A certificate without its key, or files that are not PEM: refused before serving.
    let mut half = cagnotte::config::Config::with_data_dir(dir.path().join("data2"));
    half.admin_token = Some(ADMIN.to_owned());
    half.tls_cert = Some(cert.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = cagnotte::app::run(listener, half.clone(), std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("go together"), "{err}");
    half.tls_key = Some(dir.path().join("data").join("nothing.pem"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = cagnotte::app::run(listener, half, std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("nothing.pem"), "{err}");
}
