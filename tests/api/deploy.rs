//! The systemd unit of `docs/deploy.md`: systemd reads it without a complaint,
//! and the real binary, started with the environment it sets, serves as the
//! unit says (its data directory, its address, its public URL, its trusted proxy).

use super::helpers::*;
use super::proxy::documented_block;
use std::process::{Command, Stdio};

/// The unit, with `ExecStart` pointing at the binary under test.
fn unit() -> String {
    let unit = documented_block("ini");
    assert!(unit.contains("ExecStart=/usr/local/bin/cagnotte\n"), "{unit}");
    unit.replace("ExecStart=/usr/local/bin/cagnotte", &format!("ExecStart={}", env!("CARGO_BIN_EXE_cagnotte")))
}

#[test]
fn systemd_reads_the_documented_unit_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cagnotte.service");
    std::fs::write(&path, unit()).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian's systemd; scripts/install-test-deps.sh installs it)");
    let said = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");

    // A misspelt key or a bad value is what this catches.
    std::fs::write(&path, unit().replace("LimitNOFILE=65536", "LimitNOFILE=lots")).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&path).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("lots"), "{out:?}");
}

/// A child process killed when dropped.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_units_environment_configures_the_server() {
    let unit = unit();
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cagnotte"));
    // The admin token comes from the unit's EnvironmentFile; a brake of 3 makes the check below short.
    cmd.env_clear()
        .env("CAGNOTTE_ADMIN_TOKEN", ADMIN)
        .env("CAGNOTTE_AUTH_FAILURES_BURST", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut set = Vec::new();
    for line in unit.lines() {
        let Some((name, value)) = line.strip_prefix("Environment=").and_then(|kv| kv.split_once('=')) else { continue };
        // Where it runs here: a temporary directory and a free port.
        let value = match name {
            "CAGNOTTE_DATA_DIR" => data.path().display().to_string(),
            "CAGNOTTE_LISTEN" => format!("127.0.0.1:{port}"),
            _ => value.to_owned(),
        };
        cmd.env(name, value);
        set.push(name.to_owned());
    }
    assert_eq!(set, ["CAGNOTTE_DATA_DIR", "CAGNOTTE_LISTEN", "CAGNOTTE_PUBLIC_URL", "CAGNOTTE_TRUSTED_PROXIES"]);
    let _server = Server(cmd.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    super::crash::ready(&client, &base).await;
    // The public URL makes the links; the log is in the data directory.
    let created: serde_json::Value = client
        .post(format!("{base}/api/v1/campaigns"))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({"name": "Restos", "currency": "EUR"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = created["overlay_url"].as_str().unwrap();
    assert!(url.starts_with("https://dons.example.org/overlay/campaigns/"), "{url}");
    assert!(cagnotte::ledger::sqlite::db_path(data.path()).exists());
    // The proxy it trusts (127.0.0.1) is believed about its client's address:
    // the brake on token guessing counts each client behind it.
    let bad = |client_ip: &'static str| {
        client
            .post(format!("{base}/api/v1/campaigns"))
            .bearer_auth("not-the-admin-token-at-all")
            .header("x-forwarded-for", client_ip)
            .json(&serde_json::json!({"name": "X", "currency": "EUR"}))
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(bad("203.0.113.1").await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429], "the guessing client is braked");
    assert_eq!(bad("203.0.113.2").await.unwrap().status().as_u16(), 401, "another client behind the proxy is not");
}
