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

/// The drop-in of `docs/deploy.md` that serves HTTPS directly under the unit:
/// systemd reads it with the unit without a complaint, and the real binary,
/// given its `Environment=` lines with `%d` the directory where systemd puts
/// the credentials (named as its `LoadCredential=` lines name them), serves
/// HTTPS.
#[tokio::test]
async fn the_documented_tls_drop_in_serves_https() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploy.md")).unwrap();
    let head = "# /etc/systemd/system/cagnotte.service.d/override.conf\n";
    let start = doc.find(head).expect("the TLS drop-in in docs/deploy.md");
    let drop_in = &doc[start..start + doc[start..].find("```").unwrap()];

    // systemd-analyze verify, the drop-in beside the unit.
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::create_dir(&credentials).unwrap();
    let (cert, key, _) = self_signed(&credentials);
    let mut loaded = Vec::new();
    for line in drop_in.lines() {
        let Some((name, path)) = line.strip_prefix("LoadCredential=").and_then(|v| v.split_once(':')) else { continue };
        assert!(path.starts_with("/etc/letsencrypt/live/"), "{line}");
        loaded.push(name.to_owned());
    }
    assert_eq!(loaded, ["tls-cert", "tls-key"]);
    let verified = drop_in
        .replace("/etc/letsencrypt/live/dons.example.org/fullchain.pem", &cert.display().to_string())
        .replace("/etc/letsencrypt/live/dons.example.org/privkey.pem", &key.display().to_string());
    std::fs::write(dir.path().join("cagnotte.service"), unit()).unwrap();
    std::fs::create_dir(dir.path().join("cagnotte.service.d")).unwrap();
    std::fs::write(dir.path().join("cagnotte.service.d/override.conf"), &verified).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(dir.path().join("cagnotte.service")).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");

    // The credentials under their names, where `%d` points.
    std::fs::rename(&cert, credentials.join("tls-cert")).unwrap();
    std::fs::rename(&key, credentials.join("tls-key")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cagnotte"));
    cmd.env_clear().env("CAGNOTTE_ADMIN_TOKEN", ADMIN).env("CAGNOTTE_DATA_DIR", data.path());
    let mut set = Vec::new();
    for line in drop_in.lines() {
        let Some((name, value)) = line.strip_prefix("Environment=").and_then(|kv| kv.split_once('=')) else { continue };
        let value = match name {
            "CAGNOTTE_LISTEN" => "127.0.0.1:0".to_owned(),
            _ => value.replace("%d", &credentials.display().to_string()),
        };
        cmd.env(name, value);
        set.push(name.to_owned());
    }
    assert_eq!(set, ["CAGNOTTE_TLS_CERT", "CAGNOTTE_TLS_KEY", "CAGNOTTE_LISTEN"]);
    let mut child = Server(cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap());
    let stderr = child.0.stderr.take().unwrap();
    let said = tokio::task::spawn_blocking(move || {
        let mut said = String::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            said.push_str(&line);
            said.push('\n');
            if line.contains("listening on") {
                break;
            }
        }
        said
    })
    .await
    .unwrap();
    assert!(said.contains("listening on https://127.0.0.1:"), "{said}");
}
