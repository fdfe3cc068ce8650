//! Starting and stopping the real binary as a self-hoster does: what it says
//! at start, what it refuses, the files it leaves in its data directory, and
//! a server whose terminal went away.

use super::crash::{ready, start_with, terminate};
use super::helpers::*;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The binary on `data`, on a free port (unless `CAGNOTTE_LISTEN` is set
/// again), with the test's admin token.
fn cagnotte(data: &Path) -> Command {
    let mut cmd = Command::new(binary());
    cmd.env_clear()
        .env("CAGNOTTE_LOG", "info")
        .env("CAGNOTTE_ADMIN_TOKEN", ADMIN)
        .env("CAGNOTTE_LISTEN", "127.0.0.1:0")
        .arg("--data-dir")
        .arg(data);
    cmd
}

/// Runs `cmd` until it logs that it listens (then stops it with SIGTERM and
/// returns its exit status), or until it exits.
fn serves(mut cmd: Command) -> Result<std::process::ExitStatus, String> {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut said = String::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap())) {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if line.contains("listening on") {
            assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
            return Ok(child.wait().unwrap());
        }
    }
    child.wait().unwrap();
    Err(said)
}

/// Runs `cmd` to its end, as `Command::output` does, but kills it after 30 s
/// (a server that should have refused to start must not hang the tests).
fn output(cmd: &mut Command) -> std::process::Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let (out, err) = (read(Box::new(child.stdout.take().unwrap())), read(Box::new(child.stderr.take().unwrap())));
    let status = wait_at_most(&mut child, Duration::from_secs(30)).unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        std::process::ExitStatus::from_raw(9)
    });
    std::process::Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// A child process killed when dropped (a failed assertion leaves none behind).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Waits for `child` to exit, at most `limit`; kills it past that.
fn wait_at_most(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// A server started from a terminal that is gone (its stderr and stdout
/// pipes closed by their reader: an SSH session logged out, `| head`) keeps
/// serving, keeps backing itself up, and still stops on SIGTERM with exit 0:
/// a log line it cannot write is dropped, not a task's death.
#[tokio::test]
async fn a_server_whose_terminal_is_gone_still_backs_up_and_stops_on_sigterm() {
    let (data, backups) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let mut child = Killed(
        cagnotte(data.path())
            .env("CAGNOTTE_LISTEN", format!("127.0.0.1:{port}"))
            .args(["--backup-dir", backups.path().to_str().unwrap(), "--backup-every", "1s"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    ready(&client, &base).await;
    // The reader goes away: every log line from now on fails to be written.
    drop(child.0.stdout.take());
    drop(child.0.stderr.take());
    let taken = || names(backups.path()).iter().filter(|n| n.starts_with("cagnotte-")).count();
    let deadline = Instant::now() + Duration::from_secs(20);
    while taken() == 0 {
        assert!(Instant::now() < deadline, "no backup at start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let copies = taken();
    let (live, key, _) = super::crash::setup_live(&client, &base).await;
    let url = format!("{base}/api/v1/lives/{live}/donations");
    let body = json!({"amount": 1500, "currency": "EUR"});
    assert_eq!(super::crash::post(&client, url, &key, None, &body).await.unwrap().0, 201);
    // The backup task still runs: the donation gets a copy of its own.
    let deadline = Instant::now() + Duration::from_secs(20);
    while taken() <= copies {
        assert!(Instant::now() < deadline, "no backup after the terminal went: {:?}", names(backups.path()));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap().success());
    let status =
        tokio::task::spawn_blocking(move || wait_at_most(&mut child.0, Duration::from_secs(10))).await.unwrap();
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "SIGTERM must stop the server with exit 0");
}

/// Two servers on one data directory would answer from two states and refuse
/// each other's writes: the second refuses to start and says why, while
/// `cagnotte backup` still copies the running server's directory; once the
/// first has stopped, the directory serves again.
#[tokio::test]
async fn a_second_server_on_the_same_data_directory_refuses_to_start() {
    let data = tempfile::tempdir().unwrap();
    let mut first = start_with(data.path(), &[], None);
    let client = reqwest::Client::new();
    ready(&client, &first.base).await;
    let (live, key, _) = super::crash::setup_live(&client, &first.base).await;
    let url = format!("{}/api/v1/lives/{live}/donations", first.base);
    let body = json!({"amount": 1500, "currency": "EUR"});
    assert_eq!(super::crash::post(&client, url, &key, None, &body).await.unwrap().0, 201);

    let second = output(&mut cagnotte(data.path()));
    let said = stderr(&second);
    assert!(!second.status.success(), "{said}");
    assert!(said.contains("another Cagnotte is serving this data directory"), "{said}");
    assert!(said.contains(&data.path().display().to_string()), "{said}");
    assert!(!said.contains("listening on"), "{said}");

    let copy = tempfile::tempdir().unwrap();
    let backup =
        output(Command::new(binary()).arg("backup").arg(copy.path().join("b")).arg("--data-dir").arg(data.path()));
    assert!(backup.status.success(), "{}", stderr(&backup));

    let status = tokio::task::spawn_blocking(move || terminate(&mut first)).await.unwrap();
    assert!(status.success(), "{status}");
    let mut again = start_with(data.path(), &[], None);
    ready(&client, &again.base).await;
    let (_, l) = super::crash::post(
        &client,
        format!("{}/api/v1/campaigns", again.base),
        ADMIN,
        None,
        &json!({"name": "D", "currency": "EUR"}),
    )
    .await
    .unwrap();
    assert!(l["id"].is_string(), "{l}");
    let status = tokio::task::spawn_blocking(move || terminate(&mut again)).await.unwrap();
    assert!(status.success(), "{status}");
}

/// The start-up lines: the replay names the data directory (absolute), and
/// `listening on` comes once the server serves, after it; a start that fails
/// never says it listens.
#[test]
fn the_server_says_it_listens_once_it_serves_and_where_its_data_is() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start_with(&data, &[], None);
    let status = terminate(&mut server);
    assert!(status.success(), "{status}");
    let log = server.log.lock().unwrap().join("\n");
    let replayed = log.find("ledger replayed").expect("the replay is logged");
    let listening = log.find("listening on http://127.0.0.1:").expect("the address is logged");
    assert!(replayed < listening, "{log}");
    let line = log.lines().find(|l| l.contains("ledger replayed")).unwrap();
    let absolute = std::fs::canonicalize(&data).unwrap();
    assert!(line.contains(&format!("data_dir={}", absolute.display())), "{line}");

    // A certificate that is not there: no `listening on`, the reason said.
    let failed =
        output(cagnotte(&data).args(["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"]));
    let said = stderr(&failed);
    assert!(!failed.status.success(), "{said}");
    assert!(!said.contains("listening on"), "{said}");
}

/// `--log` that tracing cannot read stops the start (exit 2, as a bad value
/// of any option), with the reason, instead of logging at `info` silently.
#[test]
fn an_invalid_log_filter_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = output(cagnotte(dir.path()).args(["--log", "cagnotte=lots"]));
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("--log") && said.contains("cagnotte=lots"), "{said}");
    assert!(!said.contains("listening on"), "{said}");
    let out = output(cagnotte(dir.path()).env("CAGNOTTE_LOG", "====="));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// The generated admin token's digest: written whole (never an empty file
/// after a full disk), readable by the server's account only; a file that does
/// not hold a digest stops the start with what to do.
#[test]
fn a_stored_admin_digest_that_is_not_one_says_what_to_do() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let digest = dir.path().join("admin-token.sha256");
    std::fs::write(&digest, "").unwrap();
    let out = output(cagnotte(dir.path()).env_remove("CAGNOTTE_ADMIN_TOKEN"));
    let said = stderr(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains(&digest.display().to_string()), "{said}");
    assert!(said.contains("delete it to generate a new admin token"), "{said}");
    assert!(!said.contains("listening on"), "{said}");

    // Deleted: a new token, printed once, its digest kept privately.
    std::fs::remove_file(&digest).unwrap();
    let mut child = cagnotte(dir.path())
        .env_remove("CAGNOTTE_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let token = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(line.starts_with("Generated admin token") && token.starts_with("ca_"), "{line}");
    let _ = child.kill();
    let _ = child.wait();
    let stored = std::fs::read_to_string(&digest).unwrap();
    assert_eq!(stored.len(), 64, "{stored}");
    assert_eq!(std::fs::metadata(&digest).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!dir.path().join("admin-token.sha256.new").exists());
}

/// Setting an admin token puts the generated one away for good: its digest is
/// removed (and said), so a later start without the token makes a new one
/// rather than bringing back an old token that may have leaked.
#[tokio::test]
async fn a_configured_admin_token_retires_the_generated_one() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let digest = dir.path().join("admin-token.sha256");
    let app = spawn_app_with(Arc::clone(&dir), |c| c.admin_token = None).await;
    let dir = app.stop().await;
    let generated = std::fs::read_to_string(&digest).unwrap();
    assert_eq!(generated.len(), 64);

    let app = spawn_app_with(Arc::clone(&dir), |_| {}).await;
    assert!(!digest.exists(), "the configured token replaces the generated one");
    assert_eq!(app.admin_get("/api/v1/backups").await.0, reqwest::StatusCode::OK);
    let dir = app.stop().await;

    let app = spawn_app_with(Arc::clone(&dir), |c| c.admin_token = None).await;
    let again = std::fs::read_to_string(&digest).unwrap();
    assert_eq!(again.len(), 64);
    assert_ne!(again, generated, "a new token, not the old one brought back");
    app.stop().await;

    // Said in the log of the real binary.
    let mut server = start_with(dir.path(), &[], None);
    let status = terminate(&mut server);
    assert!(status.success(), "{status}");
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("the configured admin token replaces the generated one"), "{log}");
    assert!(!digest.exists());
}

/// An admin token of at least 16 characters, not bytes, without blanks
/// around it (a header drops them: such a token could never be presented).
#[test]
fn an_admin_token_has_sixteen_characters_and_no_blanks_around_it() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [" ".repeat(17), "é".repeat(8), " an-admin-token-of-test".into(), "an-admin-token-of-test\n".into()] {
        let out = output(cagnotte(dir.path()).env("CAGNOTTE_ADMIN_TOKEN", &bad));
        let said = stderr(&out);
        assert!(!out.status.success(), "{bad:?} accepted");
        assert!(said.contains("admin token"), "{bad:?}: {said}");
        assert!(!said.contains("listening on"), "{said}");
    }
    let mut cmd = cagnotte(dir.path());
    cmd.env("CAGNOTTE_ADMIN_TOKEN", "é".repeat(16));
    let status = serves(cmd).unwrap_or_else(|said| panic!("sixteen characters refused: {said}"));
    assert!(status.success(), "{status}");
}

/// The data directory and the backups hold webhook secrets and donors'
/// names: neither the group nor others may read them, whatever the umask.
#[tokio::test]
async fn the_data_directory_and_its_backups_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let backups = parent.path().join("backups");
    let data = parent.path().join("data");
    // A directory made under the usual umask (022), as earlier versions left it.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut server = start_with(&data, &["--backup-dir", backups.to_str().unwrap()], None);
    let client = reqwest::Client::new();
    ready(&client, &server.base).await;
    let (live, key, _) = super::crash::setup_live(&client, &server.base).await;
    let url = format!("{}/api/v1/lives/{live}/donations", server.base);
    let body = json!({"amount": 1500, "currency": "EUR", "donor": "Zoé"});
    assert_eq!(super::crash::post(&client, url, &key, None, &body).await.unwrap().0, 201);
    let copy = parent.path().join("copies").join("by-hand");
    let out = output(Command::new(binary()).arg("backup").arg(&copy).arg("--data-dir").arg(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    let status = tokio::task::spawn_blocking(move || terminate(&mut server)).await.unwrap();
    assert!(status.success(), "{status}");

    let taken: Vec<_> = names(&backups).into_iter().filter(|n| n.starts_with("cagnotte-")).collect();
    assert!(!taken.is_empty());
    let mut seen = 0;
    for dir in [data.clone(), backups.join(&taken[0]), copy.clone(), copy.parent().unwrap().to_owned()] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is {:o}", dir.display(), mode & 0o777);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is {:o}", path.display(), mode & 0o777);
            seen += 1;
        }
    }
    assert!(seen >= 8, "the logs, the media library, the sessions, the lock: {seen}");
}
