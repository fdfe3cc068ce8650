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
    assert_eq!(std::fs::read_to_string(copy.path().join("admin-token.sha256")).unwrap(), "ab".repeat(32));
    assert!(said.contains(" and 1 media files from "), "{said}");
    let path = format!("/api/v1/campaigns/{}/media", live.campaign_id);
    let (_, media) = copied_app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await;
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
    assert!(!target.path().join("copy").join("cagnotte.sqlite3").exists());
}
