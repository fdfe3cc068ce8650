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
pub const ADMIN_DIGEST: &str = "admin-token.sha256";

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
/// The copy is readable by its owner only, like the data directory; a copy
/// that fails leaves nothing behind (a directory it made is removed).
pub fn backup_summary(config: &Config, to: &Path) -> Result<(ledger::sqlite::BackupSummary, u64), BoxError> {
    let existed = to.exists();
    if existed && std::fs::read_dir(to)?.next().is_some() {
        return Err(format!("{} is not empty: a backup goes into a new or empty directory", to.display()).into());
    }
    let log = ledger::sqlite::db_path(&config.data_dir);
    if !log.is_file() {
        return Err(format!("backup of {} failed: no log at {}", config.data_dir.display(), log.display()).into());
    }
    private_dir(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let copied = copy_into(config, to);
    if copied.is_err() {
        // Nothing half-written stays behind: the directory was empty or new.
        for entry in std::fs::read_dir(to).into_iter().flatten().flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
        if !existed {
            let _ = std::fs::remove_dir(to);
        }
    }
    copied
}

/// The copies of [`backup_summary`], into the empty directory `to`.
fn copy_into(config: &Config, to: &Path) -> Result<(ledger::sqlite::BackupSummary, u64), BoxError> {
    let copied = ledger::sqlite::backup(&config.data_dir, to)
        .map_err(|err| format!("backup of {} failed: {err}", config.data_dir.display()))?;
    let files = crate::media::backup(&config.data_dir, to)
        .map_err(|err| format!("backup of the media library of {} failed: {err}", config.data_dir.display()))?;
    let digest = config.data_dir.join(ADMIN_DIGEST);
    if digest.is_file() {
        std::fs::copy(&digest, to.join(ADMIN_DIGEST))?;
    }
    keep_private(to);
    Ok((copied, files))
}

/// Uses the configured admin token, or the stored digest of the generated one;
/// on first start without either, generates one, stores its digest and prints it once.
/// A configured token takes the place of a generated one for good: the stored
/// digest is removed, so that a start without the token makes a new one
/// rather than bringing the old one back.
fn admin_token(config: &Config) -> Result<TokenHash, BoxError> {
    let path = config.data_dir.join(ADMIN_DIGEST);
    if let Some(t) = &config.admin_token {
        check_admin_token(t)?;
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::info!(
                removed = %path.display(),
                "the configured admin token replaces the generated one, whose digest is removed"
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(format!("cannot remove the generated admin token's digest {}: {e}", path.display()).into());
            }
        }
        return Ok(secret::hash(t));
    }
    match std::fs::read_to_string(&path) {
        Ok(stored) => {
            let mut h = [0u8; 32];
            return match hex::decode_to_slice(stored.trim(), &mut h) {
                Ok(()) => Ok(TokenHash(h)),
                Err(e) => Err(format!(
                    "{} does not hold an admin token's digest ({e}): delete it to generate a new admin token \
                     (printed once at the next start), or set CAGNOTTE_ADMIN_TOKEN",
                    path.display()
                )
                .into()),
            };
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display()).into()),
    }
    let token = secret::new_token("ca_");
    let hash = secret::hash(&token);
    write_private_file(&path, hex::encode(hash.0).as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // Printed once, on purpose to stdout and not to the logs. Nobody could
    // sign in with a token no one saw: then no digest is kept either.
    let said = {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "Generated admin token (shown only this once; keep it safe): {token}").and_then(|()| out.flush())
    };
    if let Err(e) = said {
        let _ = std::fs::remove_file(&path);
        return Err(format!(
            "cannot print the generated admin token ({e}): start with a readable standard output, or set CAGNOTTE_ADMIN_TOKEN"
        )
        .into());
    }
    Ok(hash)
}

/// The least length of a configured admin token, in characters.
pub const ADMIN_TOKEN_MIN_CHARS: usize = 16;

/// A configured admin token: at least [`ADMIN_TOKEN_MIN_CHARS`] characters,
/// no space or line break around it (an `Authorization` header drops them, so
/// such a token could never be presented) and no control character.
fn check_admin_token(t: &str) -> Result<(), BoxError> {
    if t.trim() != t {
        return Err("the admin token starts or ends with a space or a line break: remove them".into());
    }
    if t.chars().any(char::is_control) {
        return Err("the admin token holds a control character (a tab, a line break…)".into());
    }
    if t.chars().count() < ADMIN_TOKEN_MIN_CHARS {
        return Err(format!("the admin token must be at least {ADMIN_TOKEN_MIN_CHARS} characters").into());
    }
    Ok(())
}

/// Writes `bytes` to `path` readable by its owner only, whole or not at all:
/// a new file is written, synced, then renamed over `path` (a full disk
/// leaves no empty or half-written file), and removed if anything fails.
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".new");
    let tmp = path.with_file_name(name);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The new name on disk too (best effort: not every file system syncs a directory).
        if let Some(dir) = path.parent() {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The file of the data directory that the serving server holds locked.
const LOCK: &str = "lock";

/// Locks the data directory for this server (an exclusive `flock` on
/// `DIR/lock`, which the kernel lets go when the process ends, however it
/// ends), or says that another server holds it. `cagnotte backup` takes no
/// lock: it copies a running server's directory.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File, BoxError> {
    let path = dir.join(LOCK);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another Cagnotte is serving this data directory ({}, locked through {}): stop it first, or give this one another --data-dir",
            dir.display(),
            path.display()
        )
        .into()),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display()).into()),
    }
}

/// Creates `dir` (and its missing parents) readable by the owner only, or
/// takes group's and others' permissions off it and off its files.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    create_private_dir(dir)?;
    keep_private(dir);
    Ok(())
}

/// Creates `dir` and its missing parents, readable by the owner only; one
/// that exists is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Takes group's and others' permissions off `dir` and the files right in it
/// (SQLite makes its files after the process's umask, 0644 by default; the
/// copies of a directory should not be more open than the directory). A file
/// whose permissions cannot change (someone else's) is logged and left.
pub fn keep_private(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let tighten = |path: &Path| {
            let Ok(meta) = std::fs::symlink_metadata(path) else { return };
            let mode = meta.permissions().mode();
            if (meta.is_file() || meta.is_dir())
                && mode & 0o077 != 0
                && let Err(err) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))
            {
                tracing::warn!(%err, path = %path.display(), "cannot make it readable by its owner only");
            }
        };
        tighten(dir);
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                tighten(&entry.path());
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
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
    // Readable by the service's account only: it holds webhook secrets.
    private_dir(&config.data_dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", config.data_dir.display()))?;
    // Held until the server has stopped: one server per data directory.
    let _lock = lock_data_dir(&config.data_dir)?;
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
        create_private_dir(dir).map_err(|e| format!("cannot create the backup directory {}: {e}", dir.display()))?;
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
    // The files SQLite made (the logs, their WAL) as private as their directory.
    keep_private(&config.data_dir);
    let replayed_in = started.elapsed();
    let data_dir = std::fs::canonicalize(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
    tracing::info!(
        events = state.last_seq,
        elapsed_ms = replayed_in.as_millis() as u64,
        data_dir = %data_dir.display(),
        "ledger replayed"
    );
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
    // Said once everything above succeeded: the server answers from now on.
    match listener.local_addr() {
        Ok(addr) => tracing::info!("listening on {}://{addr}", if server_tls.is_some() { "https" } else { "http" }),
        Err(err) => tracing::warn!(%err, "listening, address unknown"),
    }
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
    let config = app.config.clone();
    drop(app);
    // Every ledger handle is gone: the writer answers what it has and stops.
    tokio::task::spawn_blocking(move || writer.join()).await?.map_err(|_| "the ledger writer panicked")?;
    tokio::task::spawn_blocking(move || crate::backups::at_shutdown(&config)).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGTERM or ctrl-c. The signals are caught from this call on,
/// not from the future's first poll: a SIGTERM right after `listening on`
/// (a service stopped as it starts) stops the server cleanly too.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (term, int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(term) => {},
                _ = wait(int) => {},
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested");
    }
}
