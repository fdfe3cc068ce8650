//! The backups the server takes by itself (`--backup-dir`): every
//! `--backup-every`, a copy of the data directory as `cagnotte backup` makes
//! one, in a directory of its own named by its time; the newest
//! `--backup-keep` are kept, and nothing else in that directory is touched.

use crate::app::AppState;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// The names of the server's own backups start so, and sort by time.
const PREFIX: &str = "cagnotte-";

/// What `GET /metrics` tells of the backups.
#[derive(Default)]
pub struct BackupStats {
    /// Unix seconds of the last backup taken (0: none yet).
    pub last_success: AtomicI64,
    /// Seq of the newest event the last backup holds.
    pub last_seq: AtomicU64,
    pub failures: AtomicU64,
    /// Why the last attempt failed, while the next one has not succeeded.
    pub last_error: std::sync::Mutex<Option<String>>,
}

impl BackupStats {
    fn succeeded(&self, seq: u64) {
        self.last_success.store(jiff::Timestamp::now().as_second(), Relaxed);
        self.last_seq.store(seq, Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The seq the last backup of this run holds, if one was taken.
    pub fn last(&self) -> Option<u64> {
        (self.last_success.load(Relaxed) > 0).then(|| self.last_seq.load(Relaxed))
    }

    fn failed(&self, err: String) {
        self.failures.fetch_add(1, Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
    }
}

/// `GET /api/v1/backups` (admin): where and how often the server backs itself
/// up, its last backup and its failures, for the dashboard to say.
pub async fn status(
    axum::extract::State(app): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, crate::error::ApiError> {
    use axum::response::IntoResponse;
    app.require_admin(&headers)?;
    let b = &app.backups;
    let at = b.last_success.load(Relaxed);
    let last = (at > 0)
        .then(|| jiff::Timestamp::from_second(at).ok())
        .flatten()
        .map(|t| serde_json::json!({"at": t.to_string(), "seq": b.last_seq.load(Relaxed)}));
    let error = b.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(axum::Json(serde_json::json!({
        "dir": app.config.backup_dir.as_ref().map(|d| d.display().to_string()),
        "every_secs": app.config.backup_every.as_secs(),
        "keep": app.config.backup_keep,
        "last": last,
        "failures": b.failures.load(Relaxed),
        "error": error,
    }))
    .into_response())
}

/// Takes a backup at start, then one per period, until the server stops; a
/// backup that would hold nothing the newest one does not is not taken.
pub fn spawn(app: &AppState) {
    let Some(dir) = app.config.backup_dir.clone() else { return };
    let app = app.clone();
    let every = app.config.backup_every;
    let sessions = app.sessions.clone();
    sessions.spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = app.shutdown.cancelled() => break,
                _ = ticks.tick() => {}
            }
            let (config, dir2) = (app.config.clone(), dir.clone());
            let keep = app.config.backup_keep as usize;
            match tokio::task::spawn_blocking(move || take_unless_held(&config, &dir2, keep)).await {
                Ok(Ok(Backup::Taken(to, seq))) => {
                    app.backups.succeeded(seq);
                    tracing::info!(to = %to.display(), seq, "backup taken");
                }
                Ok(Ok(Backup::Held(newest, seq))) => {
                    // As good as a new copy: the newest holds what one would.
                    app.backups.succeeded(seq);
                    tracing::info!(newest = %newest.display(), seq, "no backup needed: the newest one holds every event");
                }
                Ok(Err(err)) => {
                    tracing::error!(%err, dir = %dir.display(), "backup failed");
                    app.backups.failed(err);
                }
                Err(err) => {
                    tracing::error!(%err, "backup task failed");
                    app.backups.failed(err.to_string());
                }
            }
        }
    });
}

/// What [`take_unless_held`] did.
enum Backup {
    /// A copy taken, where, up to which seq.
    Taken(PathBuf, u64),
    /// None taken: the newest copy already holds everything, up to that seq.
    Held(PathBuf, u64),
}

/// A backup into `dir`, unless the newest of the server's own there holds
/// everything a new one would (see [`newest_holds`]): a server restarted, or
/// a quiet hour, adds no copy of the same data, which would push distinct
/// copies out of the newest `keep`.
fn take_unless_held(config: &crate::config::Config, dir: &Path, keep: usize) -> Result<Backup, String> {
    if let Some((newest, seq)) = newest_holds(config, dir) {
        return Ok(Backup::Held(newest, seq));
    }
    take(config, dir, keep).map(|(to, seq)| Backup::Taken(to, seq))
}

/// The last backup at shutdown, once the writer has answered everything and
/// stopped: the newest copy then holds every event the server acknowledged,
/// not only those of the last period. None is taken when the newest copy
/// holds them all already.
pub fn at_shutdown(config: &crate::config::Config) {
    let Some(dir) = &config.backup_dir else { return };
    match take_unless_held(config, dir, config.backup_keep as usize) {
        Ok(Backup::Taken(to, seq)) => tracing::info!(to = %to.display(), seq, "backup taken at shutdown"),
        Ok(Backup::Held(_, seq)) => tracing::info!(seq, "no backup at shutdown: the last one holds every event"),
        Err(err) => tracing::error!(%err, dir = %dir.display(), "backup at shutdown failed"),
    }
}

/// The newest of the server's backups in `dir` and the seq it holds up to,
/// when it holds what a backup of the data directory would now: the same
/// newest event of the log, the same media library and the same admin
/// token's digest. `None` when a new copy is due, or when this cannot be told.
fn newest_holds(config: &crate::config::Config, dir: &Path) -> Option<(PathBuf, u64)> {
    let newest = ours(dir).ok()?.pop()?;
    let held = crate::ledger::sqlite::last_event(&newest).ok()?;
    let now = crate::ledger::sqlite::last_event(&config.data_dir).ok()?;
    let same = held == now
        && media_ids(&newest).ok()? == media_ids(&config.data_dir).ok()?
        && admin_digest(&newest).ok()? == admin_digest(&config.data_dir).ok()?;
    same.then(|| (newest, held.map_or(0, |(seq, _)| seq)))
}

/// The ids of the files in the media library of data directory `dir`
/// (`media.sqlite`, which a backup copies beside the log), in order.
fn media_ids(dir: &Path) -> rusqlite::Result<Vec<String>> {
    let path = dir.join("media.sqlite");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mut ids = conn.prepare("SELECT id FROM media ORDER BY id")?;
    ids.query_map([], |r| r.get(0))?.collect()
}

/// The stored digest of a generated admin token in data directory `dir`, if any.
fn admin_digest(dir: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(dir.join(crate::app::ADMIN_DIGEST)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// One backup into `dir`, then the oldest of the server's own beyond `keep`
/// removed. Returns where it went and the seq it holds up to.
fn take(config: &crate::config::Config, dir: &Path, keep: usize) -> Result<(PathBuf, u64), String> {
    crate::app::create_private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = format!("{PREFIX}{}", jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ"));
    // A second backup within the same second (at shutdown, right after one)
    // gets a suffix, which sorts after the first.
    let to = (1..)
        .map(|n| if n == 1 { dir.join(&name) } else { dir.join(format!("{name}-{n}")) })
        .find(|to| !to.exists())
        .expect("a free name");
    // Copied under a name of its own, then renamed: a copy cut short (the
    // server killed, the disk full) never passes for the newest backup, and the
    // next backup removes it.
    remove_partial(dir).map_err(|e| format!("cannot remove an unfinished backup in {}: {e}", dir.display()))?;
    let partial = dir.join(format!("{PARTIAL}{}", to.file_name().and_then(|n| n.to_str()).unwrap_or(&name)));
    let (summary, _) = crate::app::backup_summary(config, &partial).map_err(|e| {
        let _ = std::fs::remove_dir_all(&partial);
        e.to_string()
    })?;
    std::fs::rename(&partial, &to).map_err(|e| format!("cannot name the backup {}: {e}", to.display()))?;
    // The new name itself on disk (best effort: not every file system syncs a directory).
    let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    prune(dir, keep).map_err(|e| format!("cannot remove an old backup in {}: {e}", dir.display()))?;
    Ok((to, summary.last_seq))
}

/// An unfinished copy's name starts so: hidden, and not one of [`PREFIX`]'s.
const PARTIAL: &str = ".unfinished-";

/// Removes the copies an interrupted backup left in `dir`.
fn remove_partial(dir: &Path) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)?.filter_map(Result::ok) {
        let ours = e.file_name().to_str().is_some_and(|n| n.starts_with(&format!("{PARTIAL}{PREFIX}")));
        if ours && e.path().is_dir() {
            std::fs::remove_dir_all(e.path())?;
        }
    }
    Ok(())
}

/// The server's own backups in `dir`, oldest first (their names sort by time).
fn ours(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut ours: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(PREFIX)) && e.path().is_dir())
        .map(|e| e.path())
        .collect();
    ours.sort();
    Ok(ours)
}

/// Removes the oldest of the server's backups in `dir` beyond the newest `keep`.
fn prune(dir: &Path, keep: usize) -> std::io::Result<()> {
    let ours = ours(dir)?;
    let extra = ours.len().saturating_sub(keep);
    for old in &ours[..extra] {
        std::fs::remove_dir_all(old)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_server_s_oldest_and_unfinished_backups_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["cagnotte-20261201T000000Z", "cagnotte-20261203T000000Z", "cagnotte-20261202T000000Z", "mine"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("cagnotte-notes.txt"), "a file of someone's").unwrap();
        std::fs::create_dir(dir.path().join(".unfinished-cagnotte-20261204T000000Z")).unwrap();
        std::fs::create_dir(dir.path().join(".unfinished-photos")).unwrap();
        remove_partial(dir.path()).unwrap();
        prune(dir.path(), 2).unwrap();
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".unfinished-photos",
                "cagnotte-20261202T000000Z",
                "cagnotte-20261203T000000Z",
                "cagnotte-notes.txt",
                "mine"
            ]
        );
    }
}
