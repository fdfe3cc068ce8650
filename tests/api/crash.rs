//! The real binary as a child process, killed with SIGKILL under concurrent load:
//! every acknowledged donation is counted exactly once after the restart.

use super::helpers::*;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Server {
    child: Child,
    base: String,
}

fn start(dir: &std::path::Path) -> Server {
    let mut child = Command::new(binary())
        .args(["--listen", "127.0.0.1:0", "--admin-token", ADMIN, "--log", "info"])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cagnotte");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(i) = line.find("listening on http://") {
                let addr = line[i + "listening on http://".len()..].split_whitespace().next().unwrap().to_owned();
                let _ = tx.send(addr);
                sent = true;
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the server logs its address");
    Server { child, base: format!("http://{addr}") }
}

async fn ready(client: &reqwest::Client, base: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "server not ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    key: Option<&str>,
    body: &Value,
) -> Option<(u16, Value)> {
    let mut req = client.post(url).bearer_auth(token).json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.ok()?;
    let s = r.status().as_u16();
    Some((s, r.json().await.ok()?))
}

/// Stored donations of the live (id → amount), asserting none appears twice.
async fn stored(client: &reqwest::Client, base: &str, live: &str, key: &str) -> HashMap<String, i64> {
    let r = client.get(format!("{base}/api/v1/lives/{live}/events?after=0")).bearer_auth(key).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["has_more"], false);
    let mut out = HashMap::new();
    for e in v["events"].as_array().unwrap() {
        if e["type"] == "donation" {
            let id = e["donation"]["id"].as_str().unwrap().to_owned();
            assert!(out.insert(id.clone(), e["donation"]["amount"].as_i64().unwrap()).is_none(), "{id} stored twice");
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = start(dir.path());
    ready(&client, &server.base).await;
    let (_, c) = post(
        &client,
        format!("{}/api/v1/campaigns", server.base),
        ADMIN,
        None,
        &json!({"name": "Crash", "currency": "EUR"}),
    )
    .await
    .unwrap();
    let (_, l) = post(
        &client,
        format!("{}/api/v1/campaigns/{}/lives", server.base, c["id"].as_str().unwrap()),
        ADMIN,
        None,
        &json!({"host": "K"}),
    )
    .await
    .unwrap();
    let live = l["id"].as_str().unwrap().to_owned();
    let key = l["key"].as_str().unwrap().to_owned();

    // Every request ever sent (id → amount) and every one acknowledged.
    let sent: Arc<Mutex<HashMap<String, i64>>> = Default::default();
    let acked: Arc<Mutex<HashSet<String>>> = Default::default();
    for cycle in 0..3 {
        let mut donors = tokio::task::JoinSet::new();
        for donor in 0..8 {
            let (client, base, live, key) = (client.clone(), server.base.clone(), live.clone(), key.clone());
            let (sent, acked) = (Arc::clone(&sent), Arc::clone(&acked));
            donors.spawn(async move {
                for i in 0.. {
                    let id = format!("c{cycle}-d{donor}-{i}");
                    let amount = 100 + (donor * 7 + i) as i64;
                    sent.lock().unwrap().insert(id.clone(), amount);
                    let body = json!({"id": id, "amount": amount, "currency": "EUR"});
                    match post(&client, format!("{base}/api/v1/lives/{live}/donations"), &key, Some(&id), &body).await {
                        Some((201, _)) => {
                            acked.lock().unwrap().insert(id);
                        }
                        Some((s, v)) => panic!("unexpected {s} {v}"),
                        None => return, // the server died under us
                    }
                }
            });
        }
        // Let some load through, then kill at a moment that varies per cycle.
        let target = acked.lock().unwrap().len() + 150 + cycle * 70;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while acked.lock().unwrap().len() < target {
            assert!(tokio::time::Instant::now() < deadline, "load did not go through");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        while donors.join_next().await.is_some() {}

        server = start(dir.path());
        ready(&client, &server.base).await;
        let stored_now = stored(&client, &server.base, &live, &key).await;
        let acked_now = acked.lock().unwrap().clone();
        for id in &acked_now {
            assert!(stored_now.contains_key(id), "acknowledged {id} lost");
        }
        let sent_now = sent.lock().unwrap().clone();
        for (id, amount) in &stored_now {
            assert_eq!(sent_now.get(id), Some(amount), "{id} stored but never sent");
        }
        let (_, lv) = {
            let r = client.get(format!("{}/api/v1/lives/{live}", server.base)).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        };
        assert_eq!(lv["totals"]["raised"].as_i64().unwrap(), stored_now.values().sum::<i64>());
        assert_eq!(lv["totals"]["donations"].as_u64().unwrap(), stored_now.len() as u64);
    }

    // Retrying every unacknowledged request with its key makes stored = sent, each once.
    let sent_all = sent.lock().unwrap().clone();
    let acked_all = acked.lock().unwrap().clone();
    for (id, amount) in &sent_all {
        if acked_all.contains(id) {
            continue;
        }
        let body = json!({"id": id, "amount": amount, "currency": "EUR"});
        let (s, v) = post(&client, format!("{}/api/v1/lives/{live}/donations", server.base), &key, Some(id), &body)
            .await
            .unwrap();
        assert!(s == 201 || s == 200, "{s} {v}");
    }
    let stored_all = stored(&client, &server.base, &live, &key).await;
    assert_eq!(stored_all, sent_all);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
