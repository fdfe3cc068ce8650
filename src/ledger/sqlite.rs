//! The durable log in embedded SQLite: one append-only `events` table (WAL,
//! `synchronous=FULL`), written by the writer only, read by a small pool.

use crate::domain::state::{Event, Fact};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// A committed event as stored: the fact, and the frame a live stream sends for it.
pub struct Row {
    pub event: Event,
    /// Set for events of one live's stream.
    pub live_id: Option<String>,
    /// Set for every stream event: the campaign stream shows them all, and the
    /// events of the whole campaign (no `live_id`) are in every live's stream.
    pub campaign_id: Option<String>,
    /// The frame's text, shared with the frame the hub keeps and sends.
    pub frame: Option<Utf8Bytes>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("corrupt event {seq}: {err}{}", newer_hint(err))]
    Corrupt { seq: u64, err: serde_json::Error },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// What an event this version cannot read most likely means: a kind or a
/// field it does not know was written by a newer Cagnotte (a version rolled
/// back after an upgrade), whose log an older one cannot serve.
fn newer_hint(err: &serde_json::Error) -> &'static str {
    let msg = err.to_string();
    if msg.starts_with("unknown variant") || msg.starts_with("unknown field") {
        " (it may have been written by a newer version of Cagnotte: run that version again, \
         or restore the backup taken before upgrading)"
    } else {
        ""
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    live_id     TEXT,
    campaign_id TEXT,
    data        TEXT NOT NULL,
    frame       TEXT
);
DROP INDEX IF EXISTS events_by_live;
DROP INDEX IF EXISTS events_by_campaign;
CREATE INDEX IF NOT EXISTS events_by_stream ON events(campaign_id, seq, live_id) WHERE frame IS NOT NULL;
";

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("cagnotte.sqlite3")
}

fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// A campaign's donation events with `seq >= from`, oldest first; with a
/// `live_id`, that live's only.
fn donation_events_from(
    conn: &Connection,
    campaign_id: &str,
    live_id: Option<&str>,
    from: u64,
) -> Result<Vec<Event>, StoreError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT seq, data FROM events WHERE campaign_id = ?1 AND frame IS NOT NULL AND seq >= ?2 \
             AND (?3 IS NULL OR live_id = ?3) AND {} ORDER BY seq",
            kind_in(&Fact::DONATION_KINDS)
        )
    });
    let mut stmt = conn.prepare_cached(&SQL)?;
    let mut rows = stmt.query(params![campaign_id, from as i64, live_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// A donation whose donor's name and message leave the log: every row of its
/// campaign from `from` (the donation's own seq) on that names it is rewritten.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub donation_id: String,
    pub campaign_id: String,
    pub from: u64,
}

/// Rewrites the rows that hold the donation of `e` (its event and the frames
/// showing it: refunds, released or hidden texts, replayed alerts, prize draws).
/// The writer's connection has `secure_delete` on, so the old bytes are zeroed
/// in the pages, not left in their free space.
fn erase_rows(conn: &Connection, e: &Erasure) -> Result<(), StoreError> {
    let quoted = serde_json::to_string(&e.donation_id).unwrap_or_default();
    let found: Vec<(i64, String, Option<String>)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT seq, data, frame FROM events WHERE campaign_id = ?1 AND frame IS NOT NULL AND seq >= ?2 \
             AND (instr(data, ?3) > 0 OR instr(frame, ?3) > 0)",
        )?;
        let rows =
            stmt.query_map(params![e.campaign_id, e.from as i64, quoted], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut update = conn.prepare_cached("UPDATE events SET data = ?2, frame = ?3 WHERE seq = ?1")?;
    for (seq, data, frame) in found {
        let new_data = super::erased_text(&data, &e.donation_id);
        let new_frame = frame.as_deref().and_then(|f| super::erased_text(f, &e.donation_id));
        if new_data.is_some() || new_frame.is_some() {
            update.execute(params![seq, new_data.unwrap_or(data), new_frame.or(frame)])?;
        }
    }
    Ok(())
}

/// `kind IN ('a', 'b')`: the SQL condition that an event is of one of `kinds`
/// (our own constants, never input).
pub fn kind_in(kinds: &[&str]) -> String {
    let quoted: Vec<String> = kinds.iter().map(|k| format!("'{k}'")).collect();
    format!("kind IN ({})", quoted.join(", "))
}

/// What [`backup`] copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    pub events: u64,
    pub last_seq: u64,
}

/// Copies the log of data directory `from` into `to`'s, consistently, while a
/// server may be writing to it: `VACUUM INTO` reads one snapshot (a read
/// transaction, which never blocks the writer) into a new, compact file, which
/// is then checked. `to` must not hold a log already.
pub fn backup(from: &Path, to: &Path) -> Result<BackupSummary, StoreError> {
    let src = db_path(from);
    if !src.is_file() {
        return Err(StoreError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no log at {}", src.display()),
        )));
    }
    let dest = db_path(to);
    let conn = Connection::open_with_flags(&src, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()])?;
    let copy = Connection::open_with_flags(&dest, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Io(std::io::Error::other(format!("the copy fails its integrity check: {check}"))));
    }
    let (events, last_seq): (i64, Option<i64>) =
        copy.query_row("SELECT count(*), max(seq) FROM events", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(BackupSummary { events: events as u64, last_seq: last_seq.unwrap_or(0) as u64 })
}

/// The seq and the stored text of the newest event in the log of data
/// directory `dir` (`None` for an empty log): enough to tell whether two logs
/// that share their past end at the same event. Opened read-only, so a
/// backup's copy is left as it is; a running server's log is read in a snapshot.
pub fn last_event(dir: &Path) -> Result<Option<(u64, String)>, StoreError> {
    let conn = Connection::open_with_flags(db_path(dir), OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let last = conn
        .query_row("SELECT seq, data FROM events ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
        })
        .optional()?;
    Ok(last)
}

/// A checkpoint that copies what it can without waiting for, or blocking, anyone.
const PASSIVE_CHECKPOINT: &str = "PRAGMA wal_checkpoint(PASSIVE);";
/// Events appended between two requests for a background checkpoint.
const CHECKPOINT_EVERY: usize = 512;
/// WAL size past which the writer, once a background pass has copied most of
/// it, copies the rest itself so that the next transaction starts the WAL over.
const WAL_RESTART_BYTES: u64 = 8 << 20;
/// The writer's automatic checkpoint, a backstop should the background thread
/// fall behind (pages; SQLite's default is 1 000).
const WRITER_CHECKPOINT_PAGES: u32 = 16_384;

/// The write side. Only the ledger writer holds one.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    checkpointer: Option<Checkpointer>,
    since_checkpoint: usize,
    passes_seen: u64,
}

/// A thread with its own connection that copies the WAL back into the database
/// (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks the writer), so that
/// commits and their answers do not wait behind a checkpoint's page copies and
/// fsyncs. A passive checkpoint cannot start the WAL over while the writer keeps
/// appending; the writer does that (see [`Store::append`]).
struct Checkpointer {
    wake: std::sync::mpsc::SyncSender<()>,
    passes: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        configure(&conn)?;
        let (wake, asked) = std::sync::mpsc::sync_channel::<()>(1);
        let passes = Arc::new(AtomicU64::new(0));
        let done = Arc::clone(&passes);
        let thread = std::thread::Builder::new().name("wal-checkpoint".into()).spawn(move || {
            while asked.recv().is_ok() {
                match conn.execute_batch(PASSIVE_CHECKPOINT) {
                    Ok(()) => {
                        done.fetch_add(1, Ordering::Release);
                    }
                    Err(err) => tracing::warn!(%err, "background WAL checkpoint failed"),
                }
            }
        })?;
        Ok(Checkpointer { wake, passes, thread })
    }

    fn stop(self) {
        drop(self.wake);
        let _ = self.thread.join();
    }
}

impl Drop for Store {
    /// The checkpointer's connection closes first, so the writer's is the last
    /// one: SQLite then folds the WAL back and removes it, here and now.
    fn drop(&mut self) {
        self.stop_checkpointer();
    }
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)?;
        let path = db_path(dir);
        let conn = Connection::open(&path)?;
        configure(&conn)?;
        let upgrading: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_by_live')",
            [],
            |r| r.get(0),
        )?;
        if upgrading {
            tracing::info!("building the log's stream index, once after an upgrade: this reads the whole log");
        }
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        // An erased donor's rewritten row leaves no copy in the pages' free space.
        // The log only grows otherwise, so this costs nothing on appends.
        conn.pragma_update(None, "secure_delete", "ON")?;
        let checkpointer = Some(Checkpointer::start(&path)?);
        Ok(Store { conn, path, checkpointer, since_checkpoint: 0, passes_seen: 0 })
    }

    /// Appends a batch in one transaction: one fsync for all of it.
    pub fn append(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        self.append_erasing(rows, &[])
    }

    /// Appends a batch and, in the same transaction, rewrites the earlier rows
    /// that hold an erased donor's name or message.
    pub fn append_erasing(&mut self, rows: &[Row], erasures: &[Erasure]) -> Result<(), StoreError> {
        self.append_rows(rows, erasures)?;
        let Some(c) = &self.checkpointer else { return Ok(()) };
        self.since_checkpoint += rows.len();
        if self.since_checkpoint >= CHECKPOINT_EVERY {
            // Full means a pass is already asked for.
            let _ = c.wake.try_send(());
            self.since_checkpoint = 0;
        }
        let passes = c.passes.load(Ordering::Acquire);
        if passes != self.passes_seen {
            self.passes_seen = passes;
            let wal = std::fs::metadata(wal_path(&self.path)).map(|m| m.len()).unwrap_or(0);
            if wal > WAL_RESTART_BYTES {
                // Only what was appended since that pass is left to copy.
                self.conn.execute_batch(PASSIVE_CHECKPOINT)?;
            }
        }
        Ok(())
    }

    fn stop_checkpointer(&mut self) {
        if let Some(c) = self.checkpointer.take() {
            c.stop();
        }
    }

    fn append_rows(&mut self, rows: &[Row], erasures: &[Erasure]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO events (seq, kind, live_id, campaign_id, data, frame) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for r in rows {
                let data =
                    serde_json::to_string(&r.event).map_err(|err| StoreError::Corrupt { seq: r.event.seq, err })?;
                stmt.execute(params![
                    r.event.seq as i64,
                    r.event.fact.kind(),
                    r.live_id,
                    r.campaign_id,
                    data,
                    r.frame.as_ref().map(Utf8Bytes::as_str)
                ])?;
            }
        }
        for e in erasures {
            erase_rows(&tx, e)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Copies the WAL back into the database and empties it, so that no earlier
    /// version of a rewritten row stays in it; waits up to `within` for readers
    /// and a background checkpoint to finish. Returns whether it did.
    pub fn wipe_wal(dir: &Path, within: std::time::Duration) -> Result<bool, StoreError> {
        let conn = Connection::open(db_path(dir))?;
        configure(&conn)?;
        // A truncating checkpoint holds the write lock while it waits for
        // readers (an export may read for a second): it waits briefly each
        // time and tries again, so the ledger writer never waits long behind it.
        conn.busy_timeout(std::time::Duration::from_millis(100))?;
        let deadline = std::time::Instant::now() + within;
        loop {
            // (busy, WAL frames, frames copied): busy when another checkpoint runs.
            let (busy, left): (i64, i64) =
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if busy == 0 && left == 0 {
                return Ok(true);
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Every event, oldest first, handed over in chunks to `fold`, which runs on the
    /// caller's thread. Decoding the log is the slow part of a replay, so two
    /// threads decode it, taking stripes of seqs in turn, while `fold` consumes
    /// the stripes in order: reading and decoding overlap with folding. Each
    /// decoder runs at most about a stripe ahead, which bounds the memory used.
    ///
    /// `fold` takes each chunk's events by value, and the emptied chunk goes back
    /// to its decoder to be filled again: a chunk is over a megabyte, and fresh
    /// memory for each one (the allocator gives a freed block that size back to
    /// the system) cost about a quarter of the decoders' time, the kernel zeroing pages.
    pub fn for_each_chunk(&self, mut fold: impl FnMut(std::vec::Drain<'_, Event>)) -> Result<(), StoreError> {
        read_ahead(&self.path);
        const CHUNK: usize = 4096;
        const STRIPE: u64 = 16 * CHUNK as u64;
        let stripes = self.last_seq()?.div_ceil(STRIPE);
        let decoders = stripes.min(2);
        let mut inboxes = Vec::new();
        for first in 0..decoders {
            // A stripe's chunks, then `None` at its end.
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Option<Vec<Event>>, StoreError>>(17);
            // Emptied chunks, back from the fold.
            let (spare_tx, spare) = std::sync::mpsc::channel::<Vec<Event>>();
            let path = self.path.clone();
            std::thread::Builder::new().name("ledger-replay".into()).spawn(move || {
                let run = || -> Result<(), StoreError> {
                    // One connection per thread: SQLite's own locking is not needed.
                    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                    let conn = Connection::open_with_flags(&path, flags)?;
                    let mut stmt =
                        conn.prepare("SELECT seq, data FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq")?;
                    let empty = || spare.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                    for stripe in (first..stripes).step_by(decoders as usize) {
                        let mut rows = stmt.query([(stripe * STRIPE) as i64, ((stripe + 1) * STRIPE) as i64])?;
                        let mut chunk = empty();
                        while let Some(row) = rows.next()? {
                            chunk.push(decode(row)?);
                            if chunk.len() == CHUNK
                                && tx.send(Ok(Some(std::mem::replace(&mut chunk, empty())))).is_err()
                            {
                                return Ok(());
                            }
                        }
                        if tx.send(Ok(Some(chunk))).and_then(|()| tx.send(Ok(None))).is_err() {
                            return Ok(());
                        }
                    }
                    Ok(())
                };
                if let Err(e) = run() {
                    let _ = tx.send(Err(e));
                }
            })?;
            inboxes.push((rx, spare_tx));
        }
        for stripe in 0..stripes {
            let (inbox, spare) = &inboxes[(stripe % decoders) as usize];
            loop {
                match inbox.recv() {
                    Ok(Ok(Some(mut chunk))) => {
                        fold(chunk.drain(..));
                        // The decoder may have finished: then the chunk is freed here.
                        let _ = spare.send(chunk);
                    }
                    Ok(Ok(None)) => break,
                    Ok(Err(e)) => return Err(e),
                    Err(_) => return Err(StoreError::Io(std::io::Error::other("a replay thread stopped"))),
                }
            }
        }
        Ok(())
    }

    /// The seq of the newest event (0 for an empty log).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(newest_seq(&self.conn)?)
    }

    /// Every event, oldest first.
    pub fn load_all(&self) -> Result<Vec<Event>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT seq, data FROM events ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(decode(row)?);
        }
        Ok(out)
    }

    pub fn frame(&self, seq: u64) -> Result<Option<String>, StoreError> {
        frame(&self.conn, seq)
    }

    /// Folds the WAL back into the main file; called on clean shutdown.
    pub fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.stop_checkpointer();
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

/// An event from a `SELECT seq, data` row.
fn decode(row: &rusqlite::Row<'_>) -> Result<Event, StoreError> {
    let seq: i64 = row.get(0)?;
    let data = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
    serde_json::from_str(data).map_err(|err| StoreError::Corrupt { seq: seq as u64, err })
}

/// The seq of the event that created subscriber `id`, read with the log's own
/// decoder (so it follows the event format wherever that goes).
pub fn subscriber_created_seq(conn: &Connection, id: &str) -> Result<Option<u64>, StoreError> {
    let mut stmt = conn.prepare("SELECT seq, data FROM events WHERE kind = 'subscriber_created'")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let ev = decode(row)?;
        if matches!(&ev.fact, Fact::SubscriberCreated { subscriber } if subscriber.id == id) {
            return Ok(Some(ev.seq));
        }
    }
    Ok(None)
}

/// The seq of the newest event in the log at `conn` (0 for an empty log).
pub fn newest_seq(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get::<_, i64>(0)).map(|s| s as u64)
}

fn frame(conn: &Connection, seq: u64) -> Result<Option<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT frame FROM events WHERE seq = ?1")?;
    let mut rows = stmt.query([seq as i64])?;
    Ok(match rows.next()? {
        Some(r) => r.get(0)?,
        None => None,
    })
}

/// Read-only connections for replays that the in-memory rings no longer hold.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub fn new(dir: &Path) -> Readers {
        Readers { path: db_path(dir), idle: Mutex::new(Vec::new()) }
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let conn = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                c
            }
        };
        let out = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < 8 {
            idle.push(conn);
        }
        out
    }

    /// Events with `seq > after`, oldest first, at most `limit` (followers of the log).
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached("SELECT seq, data FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
            let mut rows = stmt.query(params![after as i64, limit as i64])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(decode(row)?);
            }
            Ok(out)
        })
    }

    /// A campaign's donation events ([`Fact::DONATION_KINDS`]; with a
    /// `live_id`, that live's) from its `newest`-th newest donation on (with
    /// what later befell them), oldest first, from one snapshot of the log:
    /// what the exports fold, all of it (`u64::MAX`) or a page of the newest
    /// without reading the older part of the log. (How many donations there
    /// are in all is the read model's `Board::received`: counting the rows
    /// read every one of them.)
    pub fn newest_donation_events(
        &self,
        campaign_id: &str,
        live_id: Option<&str>,
        newest: u64,
    ) -> Result<Vec<Event>, StoreError> {
        const NTH: &str = "SELECT seq FROM events WHERE campaign_id = ?1 AND frame IS NOT NULL AND kind = 'donation'
                           AND (?2 IS NULL OR live_id = ?2) ORDER BY seq DESC LIMIT 1 OFFSET ?3";
        if newest == 0 {
            return Ok(Vec::new());
        }
        self.with(|conn| {
            let tx = conn.unchecked_transaction()?;
            let offset = i64::try_from(newest.saturating_sub(1)).unwrap_or(i64::MAX);
            let from: Option<i64> =
                tx.prepare_cached(NTH)?.query_row(params![campaign_id, live_id, offset], |r| r.get(0)).optional()?;
            let events = donation_events_from(&tx, campaign_id, live_id, from.unwrap_or(0) as u64)?;
            tx.finish()?;
            Ok(events)
        })
    }

    /// Frames of a stream with `after < seq <= upto`, oldest first, at most `limit`:
    /// a live's (its own events and its campaign's) or, with `live_id = None`, the campaign's.
    pub fn stream_frames(
        &self,
        campaign_id: &str,
        live_id: Option<&str>,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        self.with(|conn| {
            // The campaign's range of the stream index; a live keeps its own rows
            // and the campaign-wide ones.
            let mut stmt = conn.prepare_cached(
                "SELECT seq, frame FROM events WHERE frame IS NOT NULL AND campaign_id = ?1 AND seq > ?2 AND seq <= ?3 \
                 AND (?5 IS NULL OR live_id = ?5 OR live_id IS NULL) ORDER BY seq LIMIT ?4",
            )?;
            let rows = stmt.query_map(params![campaign_id, after as i64, upto as i64, limit as i64, live_id], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

/// Asks the kernel to read the log's files ahead, whole and in large requests:
/// a replay of a log that is not in the page cache (after a reboot, or when
/// other programs took the memory) then finds its pages there instead of
/// waiting on each of SQLite's page-sized reads in turn. Advice only: where
/// the system does not take it, the replay reads as before.
#[cfg(target_os = "linux")]
fn read_ahead(db: &Path) {
    for path in [db, wal_path(db).as_path()] {
        if let Ok(file) = std::fs::File::open(path) {
            let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::WillNeed);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn read_ahead(_db: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn rows(seqs: std::ops::RangeInclusive<u64>) -> Vec<Row> {
        let at = Timestamp::from_millis(1_764_000_000_000);
        seqs.map(|seq| Row {
            event: Event { seq, at, fact: Fact::MatchUsedUp { match_id: format!("m{seq}") } },
            live_id: None,
            campaign_id: None,
            frame: None,
        })
        .collect()
    }

    /// Several stripes, decoded by two threads: every event once, in seq order.
    #[test]
    fn a_long_log_is_handed_over_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let n = 150_001;
        store.append(&rows(1..=n)).unwrap();
        let mut seen = Vec::new();
        store
            .for_each_chunk(|chunk| {
                seen.extend(chunk.map(|e| match e.fact {
                    Fact::MatchUsedUp { match_id } => (e.seq, match_id),
                    other => panic!("{other:?}"),
                }))
            })
            .unwrap();
        assert_eq!(seen.len() as u64, n);
        assert!(seen.iter().zip(1..).all(|((seq, id), want)| *seq == want && *id == format!("m{want}")));
    }

    /// Checkpoints run beside the writer, yet the WAL starts over instead of
    /// growing with the log: 48 MB of events leave a WAL of about the restart size.
    #[test]
    fn the_wal_stays_bounded_while_the_writer_appends() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let frame = "x".repeat(1500);
        let mut peak = 0;
        for batch in 0..320u64 {
            let mut rs = rows(batch * 100 + 1..=batch * 100 + 100);
            for r in &mut rs {
                r.frame = Some(frame.clone().into());
            }
            store.append(&rs).unwrap();
            peak = peak.max(std::fs::metadata(wal_path(&store.path)).unwrap().len());
        }
        assert!(peak < 3 * WAL_RESTART_BYTES, "the WAL grew to {peak} bytes");
        assert_eq!(store.last_seq().unwrap(), 32_000);
        store.checkpoint().unwrap();
        let wal = wal_path(&store.path);
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0, "a clean stop empties the WAL");
        drop(store);
        assert!(!wal.exists(), "the last connection closed removes the WAL");
    }

    /// Exports read every event that makes or changes a donation, and nothing else.
    #[test]
    fn a_campaigns_donation_events_are_all_there() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let eur = crate::money::Currency::parse("EUR").unwrap();
        let donation = crate::domain::Donation::new("d".into(), "l".into(), 1000, eur, None, false, None, "x".into());
        let d = || "d".to_owned();
        let facts = [
            Fact::DonationReceived { donation, idempotency: None, reward: None },
            Fact::DonationRefunded { donation_id: d(), refunded_amount: Some(100) },
            Fact::TextReleased { donation_id: d(), by: None },
            Fact::TextHidden { donation_id: d(), donor: true, message: false, by: None },
            Fact::TextShown { donation_id: d(), donor: true, message: false, by: None },
            Fact::MatchUsedUp { match_id: "m".into() },
            Fact::DonationRefunded { donation_id: d(), refunded_amount: None },
        ];
        let at = Timestamp::from_millis(1_764_000_000_000);
        let rows: Vec<Row> = (1..)
            .zip(facts)
            .map(|(seq, fact)| Row {
                event: Event { seq, at, fact },
                live_id: Some("l".into()),
                campaign_id: Some("c".into()),
                frame: Some("{}".into()),
            })
            .collect();
        store.append(&rows).unwrap();
        let got: Vec<u64> = Readers::new(dir.path())
            .newest_donation_events("c", None, u64::MAX)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(got, [1, 2, 3, 4, 5, 7]);
    }

    /// One index serves every stream: a log made with the two indexes of before
    /// (one by live, one by campaign) loses them on open, and a live's stream
    /// still reads its own frames and its campaign's, and nothing of other lives.
    #[test]
    fn a_live_reads_its_frames_and_its_campaigns_from_the_one_index() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(db_path(dir.path())).unwrap();
            conn.execute_batch(
                "CREATE TABLE events (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, live_id TEXT, campaign_id TEXT,
                     data TEXT NOT NULL, frame TEXT);
                 CREATE INDEX events_by_live ON events(live_id, seq) WHERE frame IS NOT NULL;
                 CREATE INDEX events_by_campaign ON events(campaign_id, seq) WHERE frame IS NOT NULL;",
            )
            .unwrap();
        }
        let mut store = Store::open(dir.path()).unwrap();
        let indexes: Vec<String> = store
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(indexes, ["events_by_stream"]);
        // seq: (campaign, live); every row has a frame but seq 7, which no stream shows.
        let streams = [
            (1, "c", Some("l1")),
            (2, "c", Some("l2")),
            (3, "c", None),
            (4, "c2", Some("l3")),
            (5, "c", Some("l1")),
            (6, "c2", None),
            (7, "c", Some("l1")),
            (8, "c", Some("l2")),
            (9, "c", Some("l1")),
        ];
        let mut rows = rows(1..=9);
        for (r, (seq, campaign, live)) in rows.iter_mut().zip(streams) {
            r.campaign_id = Some(campaign.into());
            r.live_id = live.map(Into::into);
            r.frame = (seq != 7).then(|| format!("{{\"seq\":{seq}}}").into());
        }
        store.append(&rows).unwrap();
        let readers = Readers::new(dir.path());
        let seqs = |campaign, live, after, upto, limit| -> Vec<u64> {
            readers.stream_frames(campaign, live, after, upto, limit).unwrap().iter().map(|(s, _)| *s).collect()
        };
        assert_eq!(seqs("c", Some("l1"), 0, 9, 100), [1, 3, 5, 9]);
        assert_eq!(seqs("c", Some("l1"), 1, 8, 100), [3, 5]);
        assert_eq!(seqs("c", Some("l1"), 0, 9, 2), [1, 3]);
        assert_eq!(seqs("c", Some("l2"), 0, 9, 100), [2, 3, 8]);
        assert_eq!(seqs("c", None, 0, 9, 100), [1, 2, 3, 5, 8, 9]);
        assert_eq!(seqs("c2", Some("l3"), 0, 9, 100), [4, 6]);
        assert_eq!(readers.stream_frames("c", Some("l1"), 4, 5, 100).unwrap(), [(5, "{\"seq\":5}".to_owned())]);
    }

    /// A row that cannot be read, in the second decoder's stripe, fails the replay.
    #[test]
    fn a_corrupt_event_anywhere_fails_the_replay() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.append(&rows(1..=100_000)).unwrap();
        store.conn.execute("UPDATE events SET data = '{\"seq\":' WHERE seq = 70000", []).unwrap();
        let mut folded = 0;
        let err = store.for_each_chunk(|chunk| folded += chunk.len()).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq: 70_000, .. }), "{err}");
        assert!(folded < 70_000);
        assert!(!err.to_string().contains("newer version"), "{err}");
    }

    /// An event of a kind this version does not know (a log written by a newer
    /// one, then rolled back) says what to do, not only that it is corrupt.
    #[test]
    fn an_unknown_kind_of_event_says_it_may_come_from_a_newer_version() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.append(&rows(1..=3)).unwrap();
        let data: String = store.conn.query_row("SELECT data FROM events WHERE seq = 2", [], |r| r.get(0)).unwrap();
        assert!(data.contains("\"match_used_up\""), "{data}");
        let newer = data.replace("\"match_used_up\"", "\"something_new\"");
        store.conn.execute("UPDATE events SET data = ?1 WHERE seq = 2", [newer]).unwrap();
        let err = store.for_each_chunk(|_| {}).unwrap_err().to_string();
        assert!(err.starts_with("corrupt event 2: unknown variant `something_new`"), "{err}");
        assert!(err.contains("written by a newer version of Cagnotte"), "{err}");
        assert!(err.contains("restore the backup taken before upgrading"), "{err}");
    }
}
