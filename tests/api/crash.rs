//! The real binary as a child process, killed with SIGKILL under concurrent load:
//! every acknowledged donation is counted exactly once after the restart.

use super::helpers::*;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(super) struct Server {
    pub(super) child: Child,
    pub(super) base: String,
    /// Everything the server logged so far.
    pub(super) log: Arc<Mutex<Vec<String>>>,
}

fn start(dir: &std::path::Path) -> Server {
    start_with(dir, &[], None)
}

/// Runs the real binary; `file_limit_kb` runs it under `ulimit -f` (a full disk).
pub(super) fn start_with(dir: &std::path::Path, extra: &[&str], file_limit_kb: Option<u64>) -> Server {
    let mut cmd = match file_limit_kb {
        Some(kb) => {
            let mut c = Command::new("bash");
            c.arg("-c").arg(format!("ulimit -f {kb} && exec \"$0\" \"$@\"")).arg(binary());
            c
        }
        None => Command::new(binary()),
    };
    let mut child = cmd
        .args(["--listen", "127.0.0.1:0", "--admin-token", ADMIN])
        .env("CAGNOTTE_LOG", "info")
        .args(extra)
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cagnotte");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log: Arc<Mutex<Vec<String>>> = Default::default();
    let lines = Arc::clone(&log);
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(i) = line.find("listening on http://") {
                let addr = line[i + "listening on http://".len()..].split_whitespace().next().unwrap().to_owned();
                let _ = tx.send(addr);
                sent = true;
            }
            lines.lock().unwrap().push(line);
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the server logs its address");
    Server { child, base: format!("http://{addr}"), log }
}

pub(super) fn terminate(server: &mut Server) -> std::process::ExitStatus {
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    server.child.wait().unwrap()
}

pub(super) async fn setup_live(client: &reqwest::Client, base: &str) -> (String, String, String) {
    let (_, c) =
        post(client, format!("{base}/api/v1/campaigns"), ADMIN, None, &json!({"name": "C", "currency": "EUR"}))
            .await
            .unwrap();
    let (_, l) = post(
        client,
        format!("{base}/api/v1/campaigns/{}/lives", c["id"].as_str().unwrap()),
        ADMIN,
        None,
        &json!({"host": "K"}),
    )
    .await
    .unwrap();
    (
        l["id"].as_str().unwrap().to_owned(),
        l["key"].as_str().unwrap().to_owned(),
        l["overlay_token"].as_str().unwrap().to_owned(),
    )
}

pub(super) async fn ready(client: &reqwest::Client, base: &str) {
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

pub(super) async fn post(
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
    let mut out = HashMap::new();
    let mut after = 0;
    loop {
        let r = client
            .get(format!("{base}/api/v1/lives/{live}/events?after={after}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        for e in v["events"].as_array().unwrap() {
            after = e["seq"].as_u64().unwrap();
            if e["type"] == "donation" {
                let id = e["donation"]["id"].as_str().unwrap().to_owned();
                assert!(
                    out.insert(id.clone(), e["donation"]["amount"].as_i64().unwrap()).is_none(),
                    "{id} stored twice"
                );
            }
        }
        if v["has_more"] == false {
            return out;
        }
    }
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
    // CAGNOTTE_CRASH_CYCLES raises the number of kills (scripts/soak.sh runs 50).
    let cycles: usize = std::env::var("CAGNOTTE_CRASH_CYCLES").ok().and_then(|c| c.parse().ok()).unwrap_or(3);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as usize;
    for cycle in 0..cycles {
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
        // A kill moment that varies from cycle to cycle and run to run.
        let target =
            acked.lock().unwrap().len() + 50 + (seed.wrapping_mul(2654435761).wrapping_add(cycle * 7919)) % 300;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_cleanly_and_corrupts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = start_with(dir.path(), &[], Some(400));
    ready(&client, &server.base).await;
    let (live, key, _) = setup_live(&client, &server.base).await;
    let url = format!("{}/api/v1/lives/{live}/donations", server.base);
    let mut acked = HashSet::new();
    let mut refused = Vec::new();
    let message = "m".repeat(480);
    for i in 0..5000 {
        let id = format!("d{i}");
        let body = json!({"id": id, "amount": 100 + i, "currency": "EUR", "message": message});
        let (s, v) = post(&client, url.clone(), &key, Some(&id), &body).await.expect("the server stays up");
        match s {
            201 => {
                acked.insert(id);
            }
            503 => {
                assert_eq!(v["error"], "storage_unavailable", "{v}");
                refused.push(id);
                if refused.len() == 5 {
                    break;
                }
            }
            _ => panic!("{s} {v}"),
        }
    }
    assert_eq!(refused.len(), 5, "the file-size limit was never reached");
    assert!(!acked.is_empty());
    // Reads still work while writes fail.
    let r = client.get(format!("{}/api/v1/lives/{live}", server.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let conn = rusqlite::Connection::open(cagnotte::ledger::sqlite::db_path(dir.path())).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let server = start(dir.path());
    ready(&client, &server.base).await;
    let stored = stored(&client, &server.base, &live, &key).await;
    let stored_ids: HashSet<String> = stored.keys().cloned().collect();
    assert_eq!(stored_ids, acked, "exactly the acknowledged donations, none of the refused ones");
    // With room again, a refused request retried with its key is accepted once.
    let id = &refused[0];
    let i: i64 = id[1..].parse().unwrap();
    let body = json!({"id": id, "amount": 100 + i, "currency": "EUR", "message": message});
    let (s, _) =
        post(&client, format!("{}/api/v1/lives/{live}/donations", server.base), &key, Some(id), &body).await.unwrap();
    assert_eq!(s, 201);
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = start(dir.path());
    ready(&client, &server.base).await;
    let (live, key, overlay) = setup_live(&client, &server.base).await;
    let ws_url = format!("{}/ws/lives/{live}?token={overlay}", server.base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    let acked: Arc<Mutex<HashSet<String>>> = Default::default();
    let mut donors = tokio::task::JoinSet::new();
    for donor in 0..8 {
        let (client, base, live, key, acked) =
            (client.clone(), server.base.clone(), live.clone(), key.clone(), Arc::clone(&acked));
        donors.spawn(async move {
            for i in 0.. {
                let id = format!("t{donor}-{i}");
                let body = json!({"id": id, "amount": 100, "currency": "EUR"});
                match post(&client, format!("{base}/api/v1/lives/{live}/donations"), &key, Some(&id), &body).await {
                    Some((201, _)) => {
                        acked.lock().unwrap().insert(id);
                    }
                    // Refused while stopping, or the connection is gone: not acknowledged.
                    Some((503, _)) | None => return,
                    Some((s, v)) => panic!("{s} {v}"),
                }
            }
        });
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 200 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let status = tokio::task::spawn_blocking(move || {
        let status = terminate(&mut server);
        (status, server)
    });
    // The overlay is told the server goes away.
    let mut close_code = None;
    while let Ok(Some(msg)) =
        tokio::time::timeout(Duration::from_secs(15), futures_util::StreamExt::next(&mut ws)).await
    {
        if let Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f))) = msg {
            close_code = Some(u16::from(f.code));
            break;
        }
    }
    let (status, _) = status.await.unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    assert_eq!(close_code, Some(1001));
    while donors.join_next().await.is_some() {}

    let mut server = start(dir.path());
    ready(&client, &server.base).await;
    let stored = stored(&client, &server.base, &live, &key).await;
    for id in acked.lock().unwrap().iter() {
        assert!(stored.contains_key(id), "acknowledged {id} lost on SIGTERM");
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test]
async fn tokens_never_reach_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = start_with(dir.path(), &["--log", "debug"], None);
    ready(&client, &server.base).await;
    let (live, key, overlay) = setup_live(&client, &server.base).await;
    let base = &server.base;
    for url in [
        format!("{base}/api/v1/lives/{live}/events?token={overlay}&after=0"),
        format!("{base}/overlay/lives/{live}?token={overlay}"),
        format!("{base}/api/v1/lives/{live}/events?token=ot_wrong{overlay}"),
    ] {
        client.get(url).send().await.unwrap();
    }
    post(
        &client,
        format!("{base}/api/v1/lives/{live}/donations"),
        &key,
        None,
        &json!({"amount": 1, "currency": "EUR"}),
    )
    .await;
    post(
        &client,
        format!("{base}/api/v1/lives/{live}/donations"),
        "ck_badtoken",
        None,
        &json!({"amount": 1, "currency": "EUR"}),
    )
    .await;
    let _ =
        tokio_tungstenite::connect_async(format!("{}/ws/lives/{live}?token={overlay}", base.replacen("http", "ws", 1)))
            .await;
    terminate(&mut server);
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("token=REDACTED"), "requests are logged at debug level");
    for secret in [key.as_str(), overlay.as_str(), ADMIN, "ck_badtoken"] {
        assert!(!log.contains(secret), "a token reached the logs");
    }
}

#[test]
fn a_data_directory_that_cannot_be_used_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let data = file.join("data");
    let run = |extra: &[&str]| {
        let mut child = Command::new(binary())
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .arg("--data-dir")
            .arg(&data)
            .env("CAGNOTTE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cagnotte");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(std::time::Instant::now() < deadline, "the server should stop");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut log = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
        assert!(!status.success(), "{log}");
        log
    };
    // The first start generates the admin token and stores its digest there.
    let log = run(&[]);
    let expected = format!("cannot create the data directory {}: Not a directory (os error 20)", data.display());
    assert!(log.contains(&expected), "{log}");
    // With the token given, the directory is still the first thing made.
    let log = run(&["--admin-token", ADMIN]);
    assert!(log.contains(&expected), "{log}");
}

/// An erasure survives a SIGKILL right after its answer: the restarted server
/// has the donation without the name, and no file of the data directory holds it.
#[tokio::test]
async fn an_erasure_answered_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = start(dir.path());
    ready(&client, &server.base).await;
    let (live, key, _) = setup_live(&client, &server.base).await;
    let name = "Bérénice Quintard";
    let gift = json!({"amount": 4200, "currency": "EUR", "donor": name, "message": "pour Papi"});
    let (s, d) =
        post(&client, format!("{}/api/v1/lives/{live}/donations", server.base), &key, None, &gift).await.unwrap();
    assert_eq!(s, 201, "{d}");
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    let (s, v) =
        post(&client, format!("{}/api/v1/donations/{id}/erase", server.base), ADMIN, None, &json!({})).await.unwrap();
    assert_eq!((s, v["donation"]["erased"].as_bool()), (200, Some(true)), "{v}");
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let holding = |text: &str| {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| std::fs::read(e.unwrap().path()).ok())
            .any(|bytes| bytes.windows(text.len()).any(|w| w == text.as_bytes()))
    };
    assert!(!holding(name) && !holding("pour Papi"), "a file still holds the erased words");
    let mut server = start(dir.path());
    ready(&client, &server.base).await;
    let events = client
        .get(format!("{}/api/v1/lives/{live}/events?after=0", server.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(events.contains(&id) && !events.contains("Bérénice") && !events.contains("Papi"), "{events}");
    let l: Value =
        client.get(format!("{}/api/v1/lives/{live}", server.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!((l["totals"]["raised"].as_i64(), l["top_donors"].clone()), (Some(4200), json!([])), "{l}");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
