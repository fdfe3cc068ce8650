//! [`AppState`] (one cheap-to-clone handle on everything a request needs) and
//! [`run`]: replay the log, serve until `shutdown`, then drain and flush.

use crate::config::Config;
use crate::domain::TokenHash;
use crate::domain::state::Limits;
use crate::hub::Hub;
use crate::ledger::sqlite::Readers;
use crate::ledger::{self, Clock, Ledger};
use crate::secret;
use crate::views::Views;
use axum::serve::ListenerExt;
use std::future::Future;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How often the ledger is asked to record match windows that opened or closed.
pub const TICK: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub ledger: Ledger,
    pub views: Arc<Views>,
    pub hub: Arc<Hub>,
    pub readers: Readers,
    /// The campaigns' alert images and sounds.
    pub media: crate::media::MediaStore,
    pub admin_hash: TokenHash,
    /// The writer's clock: schedules and match windows are judged by it.
    pub clock: Clock,
    /// The newest committed seq: followers of the log wait on it.
    pub committed: tokio::sync::watch::Receiver<u64>,
    /// Cancelled when the server stops: WebSocket sessions close with 1001.
    pub shutdown: CancellationToken,
    pub limits: crate::http::limits::Limits,
    /// Dashboard sessions by digest of their cookie (kept on disk across restarts).
    pub logins: crate::sessions::Sessions,
    /// WebSocket sessions, awaited on shutdown.
    pub sessions: TaskTracker,
    /// Counters for `GET /metrics`.
    pub metrics: crate::metrics::Metrics,
    /// How long the start-up replay took.
    pub replayed_in: Duration,
    /// What outgoing webhooks are posted with (the outbox, and a test from the dashboard).
    pub webhook_client: crate::webhooks::outbox::HttpClient,
    /// The backups the server takes by itself (`--backup-dir`).
    pub backups: crate::backups::BackupStats,
    /// The public answers crowds ask for at once, made once for them (see `http::shared`).
    pub public: crate::http::shared::Public,
    /// What each integration's URL received since the start.
    pub receipts: crate::http::integrations::Receipts,
}

impl AppState {
    pub fn now(&self) -> crate::domain::Timestamp {
        (self.clock)()
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The file of the data directory that keeps the generated admin token's digest.
const ADMIN_DIGEST: &str = "admin-token.sha256";

/// `cagnotte backup DIR`: a copy of the data directory that a server can serve
/// (`--data-dir DIR`), taken while the server may be running. Dashboard
/// sign-ins are not copied. Returns what to tell the operator.
pub fn backup(config: &Config, to: &Path) -> Result<String, BoxError> {
    let (copied, files) = backup_summary(config, to)?;
    Ok(format!(
        "Backed up {} events (up to seq {}) and {files} media files from {} to {}; serve the copy with --data-dir {}",
        copied.events,
        copied.last_seq,
        config.data_dir.display(),
        to.display(),
        to.display()
    ))
}

/// [`backup`]'s copy: what it holds of the log, and how many media files.
pub fn backup_summary(config: &Config, to: &Path) -> Result<(ledger::sqlite::BackupSummary, u64), BoxError> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        return Err(format!("{} is not empty: a backup goes into a new or empty directory", to.display()).into());
    }
    std::fs::create_dir_all(to)?;
    let copied = match ledger::sqlite::backup(&config.data_dir, to) {
        Ok(s) => s,
        Err(err) => {
            // Nothing half-written stays behind.
            let _ = std::fs::remove_file(ledger::sqlite::db_path(to));
            return Err(format!("backup of {} failed: {err}", config.data_dir.display()).into());
        }
    };
    let files = match crate::media::backup(&config.data_dir, to) {
        Ok(n) => n,
        Err(err) => {
            let _ = std::fs::remove_file(ledger::sqlite::db_path(to));
            return Err(format!("backup of the media library of {} failed: {err}", config.data_dir.display()).into());
        }
    };
    let digest = config.data_dir.join(ADMIN_DIGEST);
    if digest.is_file() {
        std::fs::copy(&digest, to.join(ADMIN_DIGEST))?;
    }
    Ok((copied, files))
}

/// Uses the configured admin token, or the stored digest of the generated one;
/// on first start without either, generates one, stores its digest and prints it once.
fn admin_token(config: &Config) -> Result<TokenHash, BoxError> {
    if let Some(t) = &config.admin_token {
        if t.len() < 16 {
            return Err("the admin token must be at least 16 characters".into());
        }
        return Ok(secret::hash(t));
    }
    let path = config.data_dir.join(ADMIN_DIGEST);
    if let Ok(stored) = std::fs::read_to_string(&path) {
        let mut h = [0u8; 32];
        hex::decode_to_slice(stored.trim(), &mut h).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(TokenHash(h));
    }
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", config.data_dir.display()))?;
    let token = secret::new_token("ca_");
    let hash = secret::hash(&token);
    std::fs::write(&path, hex::encode(hash.0)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // Printed once, on purpose to stdout and not to the logs.
    println!("Generated admin token (shown only this once; keep it safe): {token}");
    Ok(hash)
}

/// Connections the kernel completes and queues before the server accepts them
/// (the kernel caps it at `net.core.somaxconn`, 4 096 on current Linux). A burst
/// of new connections, every overlay reconnecting after a restart or gifts
/// during a call to give while the machine is busy, waits in this queue: past
/// it the kernel drops their handshakes, which clients retry only a second later.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Listens on `on` (`host:port`, the first of its addresses that binds) with
/// [`LISTEN_BACKLOG`] pending connections rather than the 128 of the standard
/// library's and tokio's listeners.
pub async fn listen(on: &str) -> std::io::Result<TcpListener> {
    let mut refused = None;
    for addr in tokio::net::lookup_host(on).await? {
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        if let Err(err) = socket.bind(addr) {
            refused = Some(err);
            continue;
        }
        return socket.listen(LISTEN_BACKLOG);
    }
    Err(refused
        .unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{on} names no address"))))
}

/// Serves on `listener` until `shutdown` completes. The log is replayed before the
/// first request is answered; on shutdown every acknowledged write is on disk.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    run_with_clock(listener, config, ledger::system_clock(), shutdown).await
}

pub async fn run_with_clock(
    listener: TcpListener,
    config: Config,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    let admin_hash = admin_token(&config)?;
    // Checked before anything starts: a bad CA file is a configuration error.
    let webhook_client =
        crate::webhooks::outbox::client(crate::webhooks::outbox::tls_config(config.webhook_ca_file.as_deref())?);
    let server_tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(crate::tls::ServerTls::new(cert, key)?)),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    if let Some(dir) = &config.backup_dir {
        // Said at start, not at the first backup an hour later.
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the backup directory {}: {e}", dir.display()))?;
    }
    let limits = Limits { max_amount_major: config.max_amount };
    let dir = config.data_dir.clone();
    let started = std::time::Instant::now();
    let (store, state) = tokio::task::spawn_blocking(move || ledger::open(&dir, limits))
        .await?
        .map_err(|e| format!("cannot open the log in the data directory {}: {e}", config.data_dir.display()))?;
    let logins = crate::sessions::Sessions::open(Path::new(&config.data_dir), &admin_hash)
        .map_err(|e| format!("cannot open the sessions in the data directory {}: {e}", config.data_dir.display()))?;
    let media = crate::media::MediaStore::open(Path::new(&config.data_dir)).map_err(|e| {
        format!("cannot open the media library in the data directory {}: {e}", config.data_dir.display())
    })?;
    let views = Arc::new(Views::default());
    let hub = Arc::new(Hub::with_linger(config.ws_coalesce()));
    ledger::load_views(&state, &views, &hub);
    let replayed_in = started.elapsed();
    tracing::info!(events = state.last_seq, elapsed_ms = replayed_in.as_millis() as u64, "ledger replayed");
    let (ledger, committed, writer) = ledger::start(store, state, Arc::clone(&views), Arc::clone(&hub), clock.clone());

    let stop = CancellationToken::new();
    let app = AppState(Arc::new(Inner {
        readers: Readers::new(Path::new(&config.data_dir)),
        media,
        limits: crate::http::limits::Limits::from_config(&config),
        logins,
        config,
        ledger,
        views,
        hub,
        admin_hash,
        clock,
        committed,
        shutdown: stop.clone(),
        sessions: TaskTracker::new(),
        metrics: crate::metrics::Metrics::default(),
        replayed_in,
        webhook_client,
        backups: Default::default(),
        public: Default::default(),
        receipts: Default::default(),
    }));
    let router = crate::http::router(app.clone());
    let send_buffer = app.config.socket_send_buffer;
    let prepare = move |tcp: &tokio::net::TcpStream| {
        // Frames must leave at once, not wait 40 ms for Nagle.
        let _ = tcp.set_nodelay(true);
        if send_buffer > 0 {
            let _ = socket2::SockRef::from(tcp).set_send_buffer_size(send_buffer);
        }
    };
    // Match windows open and close with time, not only with donations.
    let ticker = app.clone();
    app.sessions.spawn(async move {
        let mut every = tokio::time::interval(TICK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.shutdown.cancelled() => break,
                _ = every.tick() => {
                    let _ = ticker.ledger.submit(crate::domain::state::Command::Tick).await;
                }
            }
        }
    });
    // Outgoing webhooks follow the log; they stop with `app.shutdown`.
    crate::webhooks::outbox::spawn(&app);
    crate::backups::spawn(&app);
    crate::http::ws::spawn_totals(&app);
    let signal = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        signal.cancel();
    });
    let limits = || crate::http::serve::Limits {
        header_timeout: Duration::from_secs(app.config.header_timeout_secs),
        body_timeout: Duration::from_secs(app.config.body_timeout_secs),
        send_timeout: Duration::from_secs(app.config.send_timeout_secs),
        max_per_ip: app.config.conn_max_per_ip,
        trusted: app.config.trusted_proxies.clone(),
    };
    use crate::http::serve::serve;
    match server_tls {
        None => serve(listener.tap_io(move |tcp| prepare(tcp)), router, limits(), stop.clone()).await,
        Some(tls) => {
            // A renewed certificate is picked up while serving.
            tls.watch(stop.clone());
            let listener = crate::tls::TlsListener::new(listener, Arc::clone(&tls.config), prepare, stop.clone())?;
            serve(listener, router, limits(), stop.clone()).await
        }
    }

    stop.cancel();
    app.sessions.close();
    if tokio::time::timeout(Duration::from_secs(10), app.sessions.wait()).await.is_err() {
        tracing::warn!("some WebSocket sessions did not close in time");
    }
    let (config, committed, last_backup) = (app.config.clone(), app.committed.clone(), app.backups.last());
    drop(app);
    // Every ledger handle is gone: the writer answers what it has and stops.
    tokio::task::spawn_blocking(move || writer.join()).await?.map_err(|_| "the ledger writer panicked")?;
    let newest = *committed.borrow();
    tokio::task::spawn_blocking(move || crate::backups::at_shutdown(&config, last_backup, newest)).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}
