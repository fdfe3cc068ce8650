//! `cagnotte backup DIR` (the real binary) while a server takes donations: the
//! copy is a consistent prefix of the log, and a server started on it serves
//! the same totals and events.

use super::helpers::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn backup(from: &std::path::Path, to: &std::path::Path) -> std::process::Output {
    std::process::Command::new(binary())
        .arg("--data-dir")
        .arg(from)
        .arg("backup")
        .arg(to)
        .env("CAGNOTTE_LOG", "error")
        .output()
        .expect("run cagnotte backup")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_serves_the_same_totals_and_events() {
    let app = Arc::new(spawn_app().await);
    let live = app.setup().await;
    // The generated admin token's digest travels with the log.
    std::fs::write(app.dir.path().join("admin-token.sha256"), "ab".repeat(32)).unwrap();
    // The media library is copied beside the log.
    let (s, sent) = app.upload_media(&live.campaign_id, Some(ADMIN), "name=coeur.gif", GIF.to_vec()).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{sent}");
    let first = app.donate_ok(&live, 1500).await;
    let path = format!("/api/v1/donations/{}/refund", first["donation"]["id"].as_str().unwrap());
    let (s, _) = app.post(&path, Some(ADMIN), json!({"refunded_amount": 500})).await;
    assert_eq!(s, reqwest::StatusCode::OK);

    // Donations keep coming while the copy is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (app, live, stop) = (Arc::clone(&app), live.clone(), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                app.donate_ok(&live, 100 + n).await;
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let copy = Arc::new(tempfile::tempdir().unwrap());
    let (from, to) = (app.dir.path().to_owned(), copy.path().to_owned());
    let out = tokio::task::spawn_blocking(move || backup(&from, &to)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    let posted = load.await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.starts_with("Backed up ") && said.contains("--data-dir"), "{said}");
    assert!(posted > 0);

    // (Read before a server with a configured admin token starts on the copy:
    // it removes the generated token's digest.)
    assert_eq!(std::fs::read_to_string(copy.path().join("admin-token.sha256")).unwrap(), "ab".repeat(32));
    let original = app.events(&live, 0).await;
    let copied_app = spawn_app_with(Arc::clone(&copy), |_| {}).await;
    let copied = copied_app.events(&live, 0).await;
    // A prefix of the original log, never a torn one, with donations from during the copy.
    assert!(!copied.is_empty() && copied.len() <= original.len());
    assert_eq!(copied[..], original[..copied.len()]);
    let last_donation = copied.iter().rev().find(|e| e["type"] == "donation").unwrap();
    let (_, l) = copied_app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"], last_donation["totals"], "totals as of the copy's last event");
    let seq_said = format!("up to seq {})", copied.last().unwrap()["seq"]);
    assert!(said.contains(&seq_said), "{said} / {seq_said}");
    assert!(said.contains(" and 1 media files from "), "{said}");
    let path = format!("/api/v1/campaigns/{}/media", live.campaign_id);
    let (_, media) = copied_app.admin_get(&path).await;
    assert_eq!(media["media"], json!([sent["media"]]));
    let url = format!("{}{}", copied_app.base, sent["media"]["url"].as_str().unwrap());
    let served = copied_app.client.get(url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), GIF);
    // The live's key still writes to the copy.
    let (s, v) = copied_app.donate(&live, json!({"amount": 700, "currency": "EUR"})).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");

    // Not into a directory that holds something, nor from one without a log.
    let again = backup(app.dir.path(), copy.path());
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"), "{again:?}");
    let empty = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let none = backup(empty.path(), &target.path().join("copy"));
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no log"), "{none:?}");
    assert!(!target.path().join("copy").exists(), "nothing left behind");
}

/// `--backup-dir`: the server backs itself up at start and once per period,
/// keeps its newest `--backup-keep` copies (and nothing else there is
/// touched), says so in `/metrics`, and a server started on the newest copy
/// serves the same totals.
#[tokio::test]
async fn the_server_backs_itself_up_every_period_and_keeps_the_newest() {
    let backups = tempfile::tempdir().unwrap();
    std::fs::create_dir(backups.path().join("photos")).unwrap();
    std::fs::write(backups.path().join("notes.txt"), "à garder").unwrap();
    let to = backups.path().to_owned();
    let app = spawn_app_with(Arc::new(tempfile::tempdir().unwrap()), move |c| {
        c.backup_dir = Some(to);
        c.backup_every = std::time::Duration::from_secs(1);
        c.backup_keep = 2;
    })
    .await;
    let live = app.setup().await;
    app.donate_ok(&live, 1500).await;
    let seq = app.events(&live, 0).await.last().unwrap()["seq"].as_u64().unwrap();
    let scrape = async || {
        let res = app.client.get(format!("{}/metrics", app.base)).bearer_auth(ADMIN).send().await.unwrap();
        let page = res.text().await.unwrap();
        let value = |name: &str| {
            page.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).map(|v| v.parse::<f64>().unwrap())
        };
        (
            value("cagnotte_backup_last_seq"),
            value("cagnotte_backup_failures_total"),
            value("cagnotte_backup_last_success_timestamp_seconds"),
        )
    };
    // A backup holding the donation, then two more periods.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while scrape().await.0 != Some(seq as f64) {
        assert!(tokio::time::Instant::now() < deadline, "no backup holds seq {seq}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (last_seq, failures, at) = scrape().await;
    assert_eq!((last_seq, failures), (Some(seq as f64), Some(0.0)));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((now - at.unwrap()).abs() < 5.0, "{at:?} {now}");
    // What the dashboard reads, for the admin only.
    let (s, v) = app.admin_get("/api/v1/backups").await;
    assert_eq!(s, reqwest::StatusCode::OK, "{v}");
    assert_eq!(
        (&v["dir"], &v["every_secs"], &v["keep"], &v["last"]["seq"], &v["failures"], &v["error"]),
        (&json!(backups.path().display().to_string()), &json!(1), &json!(2), &json!(seq), &json!(0), &json!(null))
    );
    assert!(v["last"]["at"].as_str().unwrap().ends_with('Z'), "{v}");
    assert_eq!(app.get("/api/v1/backups").await.0, reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.request(reqwest::Method::GET, "/api/v1/backups", Some(&live.key), &[], None).await.0,
        reqwest::StatusCode::FORBIDDEN
    );
    let mut names: Vec<String> =
        std::fs::read_dir(backups.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names[0].starts_with("cagnotte-2") && names[1].starts_with("cagnotte-2") && names[0] < names[1],
        "{names:?}"
    );
    assert_eq!(names[2..], ["notes.txt", "photos"]);

    // The newest copy serves the same totals.
    let copy = Arc::new(tempfile::tempdir().unwrap());
    for f in std::fs::read_dir(backups.path().join(&names[1])).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), copy.path().join(f.file_name())).unwrap();
    }
    let copied = spawn_app_with(copy, |_| {}).await;
    let (_, l) = copied.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"], json!({"raised": 1500, "matched": 0, "total": 1500, "donations": 1}));
    // Without --backup-dir: off, said so.
    let (_, v) = copied.admin_get("/api/v1/backups").await;
    assert_eq!((&v["dir"], &v["last"], &v["failures"]), (&json!(null), &json!(null), &json!(0)));
}

/// A backup directory that cannot be made stops the server at start with its name.
#[test]
fn a_backup_directory_that_cannot_be_made_is_said_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = std::process::Command::new(binary())
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--backup-dir")
        .arg(file.join("backups"))
        .env("CAGNOTTE_ADMIN_TOKEN", "an-admin-token-of-test")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot create the backup directory") && err.contains("a-file/backups"), "{err}");
}

/// At shutdown (SIGTERM) the real binary takes one more backup when events came
/// since its last one, so that the newest copy holds every donation it
/// acknowledged, not only those of the last period; with nothing new since,
/// it takes none.
#[tokio::test]
async fn the_server_backs_itself_up_at_shutdown_when_events_came_since() {
    use super::crash::{post, ready, setup_live, start_with, terminate};
    let (data, backups) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = ["--backup-dir", backups.path().to_str().unwrap(), "--backup-every", "1h"];
    let copies = || {
        let mut names: Vec<String> =
            std::fs::read_dir(backups.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    };
    let client = reqwest::Client::new();
    let started = async |server: &super::crash::Server| {
        ready(&client, &server.base).await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let r = client.get(format!("{}/api/v1/backups", server.base)).bearer_auth(ADMIN).send().await.unwrap();
            let v: serde_json::Value = r.json().await.unwrap();
            if !v["last"].is_null() {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "no backup at start: {v}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    let stop = async |mut server: super::crash::Server| {
        let (status, server) = tokio::task::spawn_blocking(move || (terminate(&mut server), server)).await.unwrap();
        assert!(status.success(), "{status}");
        server.log.lock().unwrap().join("\n")
    };

    // A copy a killed server left unfinished is removed, never taken for a backup.
    let unfinished = backups.path().join(".unfinished-cagnotte-20261201T000000Z");
    std::fs::create_dir(&unfinished).unwrap();
    std::fs::write(unfinished.join("cagnotte.db"), "cut short").unwrap();
    let server = start_with(data.path(), &args, None);
    started(&server).await;
    let names = copies();
    assert!(names.len() == 1 && names[0].starts_with("cagnotte-2"), "{names:?}");
    let (live, key, _) = setup_live(&client, &server.base).await;
    for (id, amount) in [("a", 1500), ("b", 250)] {
        let url = format!("{}/api/v1/lives/{live}/donations", server.base);
        let body = json!({"id": id, "amount": amount, "currency": "EUR", "donor": "Zoé"});
        assert_eq!(post(&client, url, &key, Some(id), &body).await.unwrap().0, 201);
    }
    let log = stop(server).await;
    assert!(log.contains("backup taken at shutdown"), "{log}");
    let names = copies();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0] < names[1], "{names:?}");

    // The newest copy holds both donations.
    let copy = Arc::new(tempfile::tempdir().unwrap());
    for f in std::fs::read_dir(backups.path().join(&names[1])).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), copy.path().join(f.file_name())).unwrap();
    }
    let copied = spawn_app_with(copy, |_| {}).await;
    let (_, l) = copied.get(&format!("/api/v1/lives/{live}")).await;
    assert_eq!(l["totals"], json!({"raised": 1750, "matched": 0, "total": 1750, "donations": 2}));

    // Started again with nothing new: the newest copy holds it all, no copy
    // at start nor at shutdown (three restarts with `--backup-keep 3` used to
    // leave three copies of the same events, pushing the distinct ones out).
    for _ in 0..3 {
        let server = start_with(data.path(), &[&args[..], &["--backup-keep", "3"]].concat(), None);
        started(&server).await;
        let log = stop(server).await;
        assert!(log.contains("no backup needed: the newest one holds every event"), "{log}");
        assert!(log.contains("no backup at shutdown"), "{log}");
        assert_eq!(copies(), names);
    }

    // A file added to the media library is something new: copied at shutdown.
    let server = start_with(data.path(), &args, None);
    started(&server).await;
    let campaign = {
        let r = client.get(format!("{}/api/v1/lives/{live}", server.base)).send().await.unwrap();
        r.json::<serde_json::Value>().await.unwrap()["campaign_id"].as_str().unwrap().to_owned()
    };
    let r = client
        .post(format!("{}/api/v1/campaigns/{campaign}/media?name=coeur.gif", server.base))
        .bearer_auth(ADMIN)
        .body(GIF.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let log = stop(server).await;
    assert!(log.contains("backup taken at shutdown"), "{log}");
    let after = copies();
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(after[..2] == names[..] && after[1] < after[2], "{after:?}");
}
