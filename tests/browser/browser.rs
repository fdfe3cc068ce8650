//! Headless Chromium driven through chromedriver (W3C WebDriver, fantoccini).
//! Each test starts its own chromedriver on a free port with a fresh profile,
//! and the tests take turns (one browser at a time) so timings hold on a
//! loaded 2-core machine. chromedriver is killed when the test ends, pass or fail.

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use futures_util::FutureExt;
use serde_json::{Value, json};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::time::Instant;

/// One browser at a time: parallel Chromiums on two cores make every deadline flaky.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 800;

pub struct Browser {
    pub client: Client,
    driver_url: String,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

fn first_existing(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    candidates.iter().map(Path::new).find(|p| p.exists()).map(Path::to_path_buf)
}

/// Runs `test` with a fresh browser; the session is closed and chromedriver
/// killed even when the test panics (the panic is then resumed).
pub async fn with_browser(test: impl AsyncFnOnce(&Browser)) {
    let _turn = TURN.lock().await;
    let browser = Browser::start().await;
    let outcome = AssertUnwindSafe(test(&browser)).catch_unwind().await;
    // A script that threw on any page of the test fails it, whatever the test
    // looked at: a broken handler often leaves the page half drawn unnoticed.
    let thrown = if outcome.is_ok() { browser.uncaught().await } else { Vec::new() };
    let _ = browser.client.clone().close().await;
    drop(browser);
    if let Err(panic) = outcome {
        // Said again after the backtrace, which a log cut in its middle keeps.
        let said = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied());
        eprintln!("the browser test failed: {}", said.unwrap_or("(no message)"));
        std::panic::resume_unwind(panic);
    }
    assert!(thrown.is_empty(), "the pages' scripts threw:\n{}", thrown.join("\n"));
}

impl Browser {
    async fn start() -> Browser {
        let driver_path = first_existing("CHROMEDRIVER", &["/usr/bin/chromedriver"])
            .expect("chromedriver not found: run scripts/install-test-deps.sh (or set CHROMEDRIVER)");
        // Debian's /usr/bin/chromium is a wrapper script; chromedriver wants the binary.
        let chromium = first_existing(
            "CHROMIUM",
            &["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"],
        )
        .expect("chromium not found: run scripts/install-test-deps.sh (or set CHROMIUM)");
        // A port free when chosen may be taken before chromedriver binds it (the
        // tests' servers bind ports all along): a driver that does not answer is
        // stopped and started again on another.
        let http = reqwest::Client::new();
        let mut attempt = 0;
        let (driver, url) = loop {
            attempt += 1;
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
                l.local_addr().unwrap().port()
            };
            let mut driver = tokio::process::Command::new(&driver_path)
                .arg(format!("--port={port}"))
                .args(
                    std::env::var("CHROMEDRIVER_LOG")
                        .map(|f| vec![format!("--log-path={f}"), "--verbose".into()])
                        .unwrap_or_default(),
                )
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("start chromedriver");
            let url = format!("http://127.0.0.1:{port}");
            let ready = async {
                loop {
                    if let Ok(res) = http.get(format!("{url}/status")).send().await
                        && let Ok(v) = res.json::<Value>().await
                        && v["value"]["ready"].as_bool() == Some(true)
                    {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
            match tokio::time::timeout(Duration::from_secs(20), ready).await {
                Ok(()) => break (driver, url),
                Err(_) if attempt < 3 => {
                    let _ = driver.kill().await;
                }
                Err(_) => panic!("chromedriver did not answer /status in 20 s, three times"),
            }
        };
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = Capabilities::new();
        // The HTTPS test's server has a self-signed certificate.
        caps.insert("acceptInsecureCerts".into(), json!(true));
        // The pages' console, read at the end of each test (see `uncaught`).
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--mute-audio",
                    "--autoplay-policy=no-user-gesture-required",
                    "--hide-scrollbars",
                    format!("--window-size={WIDTH},{HEIGHT}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("new WebDriver session");
        Browser { client, driver_url: url, _driver: driver, _profile: profile }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Runs a script in the page (`return …` gives the value).
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("execute script")
    }

    /// Resizes the window so that the page's viewport is `w` × `h`, as an OBS
    /// source of that size (the window adds its own frame around it).
    pub async fn set_viewport(&self, w: u32, h: u32) {
        let chrome = self.js("return [outerWidth - innerWidth, outerHeight - innerHeight]").await;
        let (dw, dh) = (chrome[0].as_u64().unwrap() as u32, chrome[1].as_u64().unwrap() as u32);
        self.client.set_window_size(w + dw, h + dh).await.expect("a viewport's size");
    }

    /// Waits until the frame `id` of the page holds the document of its current
    /// `src` (one pointed elsewhere keeps its old document until the new one is
    /// in) and that overlay has its snapshot.
    pub async fn wait_frame_live(&self, id: &str) {
        eventually("the framed overlay is live", Duration::from_secs(20), || async {
            let s = self
                .client
                .execute(
                    "var f = document.getElementById(arguments[0]); var d = f && f.contentDocument; \
                     return d && d.body && f.contentWindow.location.href === f.src ? d.body.dataset.state : null;",
                    vec![json!(id)],
                )
                .await
                .expect("execute script");
            (s == "live").then_some(())
        })
        .await;
    }

    /// Waits until the overlay has its snapshot (`data-state="live"`).
    pub async fn wait_live(&self) {
        eventually("the overlay receives its snapshot", Duration::from_secs(20), || async {
            (self.js("return document.body ? document.body.dataset.state : null").await == "live").then_some(())
        })
        .await;
    }

    /// A PNG of the viewport, with the page's transparency kept (as OBS composites
    /// it) instead of headless Chromium's default white backdrop.
    pub async fn screenshot(&self) -> Vec<u8> {
        self.transparent_backdrop().await;
        self.client.screenshot().await.expect("screenshot")
    }

    /// The uncaught exceptions the pages' scripts raised since the last read
    /// (chromedriver keeps the console's messages of every page of the session).
    async fn uncaught(&self) -> Vec<String> {
        let Ok(Some(id)) = self.client.session_id().await else { return Vec::new() };
        let res = reqwest::Client::new()
            .post(format!("{}/session/{id}/se/log", self.driver_url))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .expect("the browser's log");
        let log: Value = res.json().await.expect("the browser's log as JSON");
        let entries = log["value"].as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .filter_map(|e| e["message"].as_str())
            .filter(|m| m.contains("Uncaught"))
            .map(str::to_owned)
            .collect()
    }

    /// A Chrome DevTools command through chromedriver's `goog/cdp/execute`.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let id = self.client.session_id().await.expect("session id").expect("a session");
        let res = reqwest::Client::new()
            .post(format!("{}/session/{id}/goog/cdp/execute", self.driver_url))
            .json(&json!({"cmd": cmd, "params": params}))
            .send()
            .await
            .expect("cdp command");
        assert!(res.status().is_success(), "{cmd}: {}", res.status());
        res.json().await.expect("cdp answer")
    }

    /// The pages' clock is on `zone` from now on (`Europe/Paris`), as an organiser's browser there.
    /// What the page downloads is saved in `dir`, as a user's click saves it.
    pub async fn download_to(&self, dir: &Path) {
        self.cdp(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": dir.display().to_string()}),
        )
        .await;
    }

    /// Pages from now on see the clock of `zone` (a tz database name).
    pub async fn time_zone(&self, zone: &str) {
        self.cdp("Emulation.setTimezoneOverride", json!({"timezoneId": zone})).await;
    }

    /// The computer's language and region from now on (`navigator.language`,
    /// `Intl`'s default), or back to the browser's own with `None`.
    pub async fn locale(&self, locale: Option<&str>) {
        let params = locale.map_or(json!({}), |l| json!({"locale": l}));
        self.cdp("Emulation.setLocaleOverride", params).await;
        let agent = self.js("return navigator.userAgent").await;
        let params = json!({"userAgent": agent, "acceptLanguage": locale.unwrap_or("")});
        self.cdp("Emulation.setUserAgentOverride", params).await;
    }

    /// The page is laid out for print from now on (`@media print`).
    pub async fn print_media(&self) {
        self.cdp("Emulation.setEmulatedMedia", json!({"media": "print"})).await;
    }

    /// The page asks for less motion from now on (`prefers-reduced-motion: reduce`).
    pub async fn reduce_motion(&self) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}),
        )
        .await;
    }

    async fn transparent_backdrop(&self) {
        self.cdp("Emulation.setDefaultBackgroundColorOverride", json!({"color": {"r": 0, "g": 0, "b": 0, "a": 0}}))
            .await;
    }

    /// A PNG of one element, saved as `{name}.png`: in `docs/screenshots/` when
    /// `UPDATE_SCREENSHOTS=1` (to refresh the docs' pictures), else under the
    /// target directory, so a plain test run leaves the source tree untouched.
    pub async fn screenshot_element(&self, css: &str, name: &str) -> Vec<u8> {
        self.transparent_backdrop().await;
        let el = self.client.find(fantoccini::Locator::Css(css)).await.expect("element to screenshot");
        let png = el.screenshot().await.expect("element screenshot");
        let dir = if std::env::var_os("UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
        } else {
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
        };
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        std::fs::write(dir.join(format!("{name}.png")), &png).expect("write screenshot");
        png
    }
}

/// Polls `f` until it gives `Some`, or panics after `within` (no sleep as
/// synchronization: a short pause between polls only).
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    until_found(what, within, || {
        let poll = f();
        async move { poll.await.ok_or_else(String::new) }
    })
    .await
}

/// Like [`eventually`], with `f` saying what it found instead (`Err`): a
/// timeout reports the last of it.
pub async fn until_found<T, F, Fut>(what: &str, within: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + within;
    loop {
        match f().await {
            Ok(v) => return v,
            Err(found) => {
                let found = if found.is_empty() { String::new() } else { format!(" (found {found})") };
                assert!(Instant::now() < deadline, "timed out after {within:?}: {what}{found}");
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// RGBA pixels of a PNG.
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        other => panic!("unexpected PNG color type {other:?}"),
    };
    (info.width, info.height, rgba)
}

/// A time zone where it is about noon now (from 12:00 to 12:59), as the tz
/// database names it and as its offset: this evening is still today there
/// and tomorrow a day ahead, whenever the test runs.
pub fn noon_zone() -> (String, time::UtcOffset) {
    let utc_hour = i32::from(time::OffsetDateTime::now_utc().hour());
    let offset = ((12 - utc_hour + 36) % 24) - 12;
    let name = if offset >= 0 { format!("Etc/GMT-{offset}") } else { format!("Etc/GMT+{}", -offset) };
    (name, time::UtcOffset::from_hms(offset as i8, 0, 0).expect("at most twelve hours"))
}
