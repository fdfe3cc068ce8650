//! The durable outbox of outgoing webhooks. It follows the event log and posts
//! `donation.created`, `donation.refunded`, `donation.partially_refunded`,
//! `milestone.reached`, `match.used_up`, `poll.closed` and `prize.drawn` to each subscriber,
//! signed like our incoming generic scheme (`Cagnotte-Signature: t=…,v1=…`). Per subscriber, one table row in the same
//! SQLite file holds a cursor (every event up to it is delivered or given up),
//! the failed attempts of the next event, when to retry and the last result:
//! nothing is kept in memory that a restart would lose.
//!
//! Events go out in log order, one at a time per subscriber, at least once (a
//! crash between the receiver's answer and our bookkeeping sends it again:
//! receivers deduplicate on `id`). A failed delivery is retried with exponential
//! backoff (`CAGNOTTE_WEBHOOK_RETRY_BASE_MS`, default 1000 ms, doubling, at most
//! an hour apart) until the event is 24 hours old, then given up and counted.
//! `https://` URLs are verified against the public web roots (webpki-roots) and
//! the authorities of `--webhook-ca-file`, with rustls.

use super::chat::{Before, Refund};
use crate::app::AppState;
use crate::domain::{HookFormat, Subscriber, Timestamp};
use crate::ledger::Clock;
use crate::ledger::sqlite::{self, StoreError};
use crate::views::Views;
use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long one delivery may take, connection included.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS webhook_outbox (
    subscriber_id   TEXT PRIMARY KEY,
    cursor          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    last_event      TEXT,
    delivered       INTEGER NOT NULL DEFAULT 0,
    dropped         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS chat_lines (
    subscriber_id TEXT NOT NULL,
    donation_id   TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    PRIMARY KEY (subscriber_id, donation_id, message_id)
);
";

/// The goals each chat line was said with, added to a `chat_lines` table made
/// before them (its lines then have `goals_kept` 0: mended with the goals of
/// the day).
const CHAT_LINE_GOALS: &str = "
ALTER TABLE chat_lines ADD COLUMN live_goal INTEGER;
ALTER TABLE chat_lines ADD COLUMN campaign_goal INTEGER;
ALTER TABLE chat_lines ADD COLUMN goals_kept INTEGER NOT NULL DEFAULT 0;
";

/// The body each chat line was posted or last edited with, added to a
/// `chat_lines` table made before it (its lines then have none: mended
/// whatever they said).
const CHAT_LINE_SAID: &str = "ALTER TABLE chat_lines ADD COLUMN said TEXT;";

/// The log's event kinds that subscribers receive, and their outgoing names.
pub const KINDS: [(&str, &str); 20] = [
    ("donation", "donation.created"),
    ("refund", "donation.refunded"),
    ("partial_refund", "donation.partially_refunded"),
    ("milestone_reached", "milestone.reached"),
    // A challenge only ([`FRAMED`]).
    ("milestone_created", "challenge.started"),
    ("challenge_updated", "challenge.updated"),
    ("challenge_missed", "challenge.missed"),
    ("match_used_up", "match.used_up"),
    ("poll_started", "poll.started"),
    ("poll_updated", "poll.updated"),
    ("poll_closed", "poll.closed"),
    ("prize_drawn", "prize.drawn"),
    ("donation_erased", "donation.erased"),
    ("text_released", "donation.text_released"),
    ("text_hidden", "donation.text_hidden"),
    ("text_shown", "donation.text_shown"),
    ("live_started", "live.started"),
    ("live_ended", "live.ended"),
    ("campaign_opened", "campaign.opened"),
    ("campaign_ended", "campaign.ended"),
];

/// Kinds of [`KINDS`] sent only when their frame has this type: a milestone
/// set with a deadline is a challenge (`challenge_started`); one without is
/// not sent.
const FRAMED: [(&str, &str); 1] = [("milestone_created", "challenge_started")];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure; doubles after each further one.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub max: Duration,
    /// An event this old (by the server's clock) that still fails is given up.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(1000),
            max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The default, with `CAGNOTTE_WEBHOOK_RETRY_BASE_MS` as the first wait when set.
    pub fn from_env() -> Self {
        let mut p = RetryPolicy::default();
        if let Some(ms) = std::env::var("CAGNOTTE_WEBHOOK_RETRY_BASE_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
            p.base = Duration::from_millis(ms.max(1));
        }
        p
    }

    /// The wait after `failures` failed attempts (1 = the first failure).
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 1u32.checked_shl(failures.saturating_sub(1).min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }
}

/// One subscriber's delivery state, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    pub subscriber_id: String,
    pub cursor: u64,
    pub attempts: u32,
    /// Wall-clock milliseconds.
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    /// HTTP status of the last attempt (none when it did not get an answer).
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_event: Option<String>,
    pub delivered: u64,
    pub dropped: u64,
}

impl Status {
    /// The `status` object of `GET /api/v1/webhooks`.
    pub fn to_json(&self) -> Value {
        let time = |ms: Option<i64>| ms.map(|m| Timestamp::from_millis(m).to_string());
        let state = match (self.last_attempt_at, self.attempts) {
            (None, _) => "waiting",
            (_, 0) => "ok",
            _ => "retrying",
        };
        json!({
            "state": state,
            "cursor": self.cursor,
            "delivered": self.delivered,
            "dropped": self.dropped,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "last_event": self.last_event,
            "last_attempt_at": time(self.last_attempt_at),
            "next_attempt_at": time(self.next_attempt_at),
        })
    }
}

/// An event of the log, ready to send.
#[derive(Debug, Clone)]
struct Outgoing {
    seq: u64,
    kind: &'static str,
    at: String,
    campaign_id: Option<String>,
    frame: String,
    /// Who approved, hid or showed again a donation's text (the log's `by`,
    /// never in the public frame): told to signed subscribers as `data.by`.
    by: Option<String>,
}

/// The goals a gift's line may say it crossed: its live's and its campaign's.
#[derive(Debug, Clone, Copy)]
struct Goals {
    live: Option<i64>,
    campaign: Option<i64>,
}

/// A chat's message that showed a donation: its id, its event's seq, the
/// goals it was said with (`None` for a line kept before they were), and the
/// body it was last sent with (`None` for a line kept before it was).
struct Line {
    message: String,
    seq: u64,
    goals: Option<Goals>,
    said: Option<String>,
}

/// The outbox's own connection to the database file.
pub struct Store {
    conn: Connection,
}

impl Store {
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // Losing the newest bookkeeping on power loss only sends an event again.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        for (column, alter) in [("goals_kept", CHAT_LINE_GOALS), ("said", CHAT_LINE_SAID)] {
            let kept = |c: &Connection| {
                c.query_row("SELECT COUNT(*) > 0 FROM pragma_table_info('chat_lines') WHERE name = ?1", [column], |r| {
                    r.get::<_, bool>(0)
                })
            };
            if !kept(&conn)? {
                // Looked at again and altered in one transaction: another
                // connection opening the file at the same moment waits, then
                // finds the columns.
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                if !kept(&tx)? {
                    tx.execute_batch(alter)?;
                }
                tx.commit()?;
            }
        }
        Ok(Store { conn })
    }

    /// Drops a deleted subscriber's delivery state (and with it what was pending).
    fn forget(&self, subscriber_id: &str) -> rusqlite::Result<()> {
        self.conn.execute("DELETE FROM chat_lines WHERE subscriber_id = ?1", params![subscriber_id])?;
        self.conn.execute("DELETE FROM webhook_outbox WHERE subscriber_id = ?1", params![subscriber_id]).map(drop)
    }

    /// Remembers that the chat's message `message_id` is the line of the event
    /// `seq`, said with `goals` as `body`, which shows the donations
    /// `donation_ids`: an erasure of one of them, its name or words hidden, or
    /// a refund, edits or deletes it.
    fn remember_line(
        &self,
        subscriber_id: &str,
        donation_ids: &[String],
        (message_id, seq, body): (&str, u64, &str),
        goals: Goals,
    ) -> rusqlite::Result<()> {
        let mut insert = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO chat_lines \
             (subscriber_id, donation_id, message_id, seq, live_goal, campaign_goal, goals_kept, said) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
        )?;
        for d in donation_ids {
            insert.execute(params![subscriber_id, d, message_id, seq as i64, goals.live, goals.campaign, body])?;
        }
        Ok(())
    }

    /// The chat's message `message_id`, edited: now showing `body`.
    fn line_edited(&self, subscriber_id: &str, message_id: &str, body: &str) -> rusqlite::Result<()> {
        self.conn
            .execute(
                "UPDATE chat_lines SET said = ?3 WHERE subscriber_id = ?1 AND message_id = ?2",
                params![subscriber_id, message_id, body],
            )
            .map(drop)
    }

    /// The chat's messages that showed `donation_id`, with the seq of each
    /// one's event, the goals it was said with and the body it shows (when kept).
    fn lines(&self, subscriber_id: &str, donation_id: &str) -> rusqlite::Result<Vec<Line>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT message_id, seq, live_goal, campaign_goal, goals_kept, said FROM chat_lines \
             WHERE subscriber_id = ?1 AND donation_id = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![subscriber_id, donation_id], |r| {
            let goals = Goals { live: r.get(2)?, campaign: r.get(3)? };
            Ok(Line {
                message: r.get(0)?,
                seq: r.get::<_, i64>(1)? as u64,
                goals: r.get::<_, bool>(4)?.then_some(goals),
                said: r.get(5)?,
            })
        })?;
        rows.collect()
    }

    /// What the log held before the event `seq` of `campaign_id`, for the
    /// chat lines said once: the highest totals its earlier gifts took the
    /// live `live_id` and the campaign to, and whether the match
    /// `used_up.0` was used up before with a budget of `used_up.1` or more.
    fn before(
        &self,
        seq: u64,
        campaign_id: &str,
        live_id: Option<&str>,
        used_up: Option<(&str, i64)>,
    ) -> rusqlite::Result<Before> {
        let (live_total, campaign_total) = self
            .conn
            .prepare_cached(
                "SELECT MAX(CASE WHEN live_id = ?3 THEN json_extract(frame, '$.totals.total') END), \
                 MAX(json_extract(frame, '$.campaign_totals.total')) FROM events \
                 WHERE campaign_id = ?1 AND seq < ?2 AND frame IS NOT NULL AND kind = 'donation'",
            )?
            .query_row(params![campaign_id, seq as i64, live_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let used_up = match used_up {
            Some((match_id, cap)) => self
                .conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM events WHERE campaign_id = ?1 AND seq < ?2 AND frame IS NOT NULL \
                     AND kind = 'match_used_up' AND json_extract(frame, '$.match.id') = ?3 \
                     AND json_extract(frame, '$.match.cap') >= ?4)",
                )?
                .query_row(params![campaign_id, seq as i64, match_id, cap], |r| r.get(0))?,
            None => false,
        };
        Ok(Before { live_total, campaign_total, used_up })
    }

    /// A message no longer to mend for `donation_id` (deleted, or gone).
    fn drop_line(&self, subscriber_id: &str, donation_id: &str, message_id: &str) -> rusqlite::Result<()> {
        self.conn
            .execute(
                "DELETE FROM chat_lines WHERE subscriber_id = ?1 AND donation_id = ?2 AND message_id = ?3",
                params![subscriber_id, donation_id, message_id],
            )
            .map(drop)
    }

    /// The event at `seq` as the log holds it now (an erased donor's name gone).
    fn event(&self, seq: u64) -> rusqlite::Result<Option<Outgoing>> {
        Ok(self.next(seq.saturating_sub(1), None)?.0.filter(|ev| ev.seq == seq))
    }

    /// The stored state of a subscriber; a new one starts right after the event that created it.
    fn load_or_init(&self, subscriber_id: &str) -> Result<Status, StoreError> {
        if let Some(s) = self.load(subscriber_id)? {
            return Ok(s);
        }
        let start = match sqlite::subscriber_created_seq(&self.conn, subscriber_id)? {
            Some(s) => s,
            None => sqlite::newest_seq(&self.conn)?,
        } as i64;
        self.conn.execute(
            "INSERT OR IGNORE INTO webhook_outbox (subscriber_id, cursor) VALUES (?1, ?2)",
            params![subscriber_id, start],
        )?;
        Ok(self.load(subscriber_id)?.unwrap_or_default())
    }

    fn load(&self, subscriber_id: &str) -> rusqlite::Result<Option<Status>> {
        self.conn
            .query_row(
                "SELECT subscriber_id, cursor, attempts, next_attempt_at, last_attempt_at, last_status, last_error, \
                 last_event, delivered, dropped FROM webhook_outbox WHERE subscriber_id = ?1",
                [subscriber_id],
                row_status,
            )
            .optional()
    }

    /// Every subscriber's state.
    pub fn all(&self) -> rusqlite::Result<Vec<Status>> {
        let mut stmt = self.conn.prepare(
            "SELECT subscriber_id, cursor, attempts, next_attempt_at, last_attempt_at, last_status, last_error, \
             last_event, delivered, dropped FROM webhook_outbox",
        )?;
        let rows = stmt.query_map([], row_status)?;
        rows.collect()
    }

    fn save(&self, s: &Status) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE webhook_outbox SET cursor = ?2, attempts = ?3, next_attempt_at = ?4, last_attempt_at = ?5, \
             last_status = ?6, last_error = ?7, last_event = ?8, delivered = ?9, dropped = ?10 WHERE subscriber_id = ?1",
            params![
                s.subscriber_id,
                s.cursor as i64,
                s.attempts,
                s.next_attempt_at,
                s.last_attempt_at,
                s.last_status,
                s.last_error,
                s.last_event,
                s.delivered as i64,
                s.dropped as i64
            ],
        )?;
        Ok(())
    }

    /// The first event after `after` that this subscriber receives, and the newest seq looked at.
    fn next(&self, after: u64, campaign_id: Option<&str>) -> rusqlite::Result<(Option<Outgoing>, u64)> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            let kinds: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
            let framed: String = FRAMED
                .iter()
                .map(|(kind, frame)| format!(" AND (kind <> '{kind}' OR json_extract(frame, '$.type') = '{frame}')"))
                .collect();
            format!(
                "SELECT seq, kind, campaign_id, json_extract(data, '$.at'), frame, \
                 COALESCE(json_extract(data, '$.fact.text_released.by'), json_extract(data, '$.fact.text_hidden.by'), \
                 json_extract(data, '$.fact.text_shown.by')) FROM events \
                 WHERE seq > ?1 AND seq <= ?3 AND frame IS NOT NULL AND {}{framed} \
                 AND (?2 IS NULL OR campaign_id = ?2) ORDER BY seq LIMIT 1",
                sqlite::kind_in(&kinds)
            )
        });
        let newest = sqlite::newest_seq(&self.conn)?;
        let ev = self
            .conn
            .query_row(&SQL, params![after as i64, campaign_id, newest as i64], |r| {
                let kind: String = r.get(1)?;
                Ok(Outgoing {
                    seq: r.get::<_, i64>(0)? as u64,
                    kind: KINDS.iter().find(|(k, _)| *k == kind).map_or("unknown", |(_, name)| name),
                    campaign_id: r.get(2)?,
                    at: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    frame: r.get(4)?,
                    by: r.get(5)?,
                })
            })
            .optional()?;
        Ok((ev, newest))
    }
}

fn row_status(r: &rusqlite::Row<'_>) -> rusqlite::Result<Status> {
    Ok(Status {
        subscriber_id: r.get(0)?,
        cursor: r.get::<_, i64>(1)? as u64,
        attempts: r.get(2)?,
        next_attempt_at: r.get(3)?,
        last_attempt_at: r.get(4)?,
        last_status: r.get(5)?,
        last_error: r.get(6)?,
        last_event: r.get(7)?,
        delivered: r.get::<_, i64>(8)? as u64,
        dropped: r.get::<_, i64>(9)? as u64,
    })
}

/// The stored delivery state of every subscriber (for `GET /api/v1/webhooks`).
pub async fn statuses(data_dir: &Path) -> Result<Vec<Status>, String> {
    let path = crate::ledger::sqlite::db_path(data_dir);
    tokio::task::spawn_blocking(move || Store::open(&path).and_then(|s| s.all()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// The body a subscriber receives for an event of the log: the stream frame's
/// content (donation, totals as of that event, ...) under `data`.
fn payload(ev: &Outgoing) -> String {
    let mut data: Value = serde_json::from_str(&ev.frame).unwrap_or(Value::Null);
    if let Some(o) = data.as_object_mut() {
        o.remove("type");
        o.remove("seq");
        if let Some(by) = ev.by.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok()) {
            o.insert("by".to_owned(), by);
        }
    }
    json!({
        "id": format!("evt_{}", ev.seq),
        "type": ev.kind,
        "seq": ev.seq,
        "created_at": ev.at,
        "campaign_id": ev.campaign_id,
        "data": data,
    })
    .to_string()
}

fn wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The HTTP client the outbox posts with.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A client for the receivers: `http://`, or `https://` verified with `tls`
/// (the public roots and `--webhook-ca-file`), connecting within 5 s.
pub fn client(tls: rustls::ClientConfig) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    connector.set_nodelay(true);
    connector.enforce_http(false);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector);
    Client::builder(TokioExecutor::new()).build(connector)
}

struct Ctx {
    views: Arc<Views>,
    committed: watch::Receiver<u64>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    clock: Clock,
    store: Arc<Mutex<Store>>,
    client: HttpClient,
    policy: RetryPolicy,
}

impl Ctx {
    async fn db<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, String> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            let s = store.lock().unwrap_or_else(|e| e.into_inner());
            f(&s)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
    }

    /// Sleeps `d`; false when the server stops first.
    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.shutdown.cancelled() => false,
            _ = tokio::time::sleep(d) => true,
        }
    }
}

/// The TLS settings of deliveries: the public web roots, plus the authorities
/// of `ca_file` (PEM) when given.
pub fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("{}: no PEM certificate in it", path.display()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Starts the outbox for a running server (`CAGNOTTE_WEBHOOK_RETRY_BASE_MS` read
/// here): a task that starts one delivery task per subscriber, all on the
/// server's tracker and all ending at shutdown. It holds no ledger handle, so it
/// never keeps the writer alive.
pub fn spawn(app: &AppState) {
    let client = app.webhook_client.clone();
    let views = Arc::clone(&app.views);
    let committed = app.committed.clone();
    let shutdown = app.shutdown.clone();
    let tracker = app.sessions.clone();
    let clock = app.clock.clone();
    let db = crate::ledger::sqlite::db_path(&app.config.data_dir);
    let policy = RetryPolicy::from_env();
    let t = tracker.clone();
    t.spawn(async move {
        let store = loop {
            let path = db.clone();
            match tokio::task::spawn_blocking(move || Store::open(&path)).await {
                Ok(Ok(s)) => break s,
                Ok(Err(err)) => tracing::error!(%err, "webhook outbox: cannot open the database; retrying"),
                Err(err) => tracing::error!(%err, "webhook outbox: cannot open the database; retrying"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        };
        let ctx = Arc::new(Ctx {
            views,
            committed,
            shutdown,
            tracker,
            clock,
            store: Arc::new(Mutex::new(store)),
            client,
            policy,
        });
        supervise(ctx).await;
    });
}

/// Starts a delivery task for each subscriber, the existing ones and each new one.
async fn supervise(ctx: Arc<Ctx>) {
    let mut committed = ctx.committed.clone();
    let mut running = HashSet::new();
    loop {
        committed.borrow_and_update();
        let subs: Vec<Subscriber> = ctx.views.subscribers.iter().map(|e| e.value().clone()).collect();
        for s in subs {
            if running.insert(s.id.clone()) {
                ctx.tracker.spawn(deliver_all(Arc::clone(&ctx), s));
            }
        }
        tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            r = committed.changed() => if r.is_err() { return },
        }
    }
}

/// Delivers one subscriber's events in order, forever (until shutdown).
async fn deliver_all(ctx: Arc<Ctx>, sub: Subscriber) {
    let mut committed = ctx.committed.clone();
    let id = sub.id.clone();
    let mut status = loop {
        let id = id.clone();
        match ctx.db(move |s| s.load_or_init(&id)).await {
            Ok(s) => break s,
            Err(err) => {
                tracing::error!(%err, subscriber = %sub.id, "webhook outbox: cannot read the delivery state");
                if !ctx.sleep(Duration::from_secs(1)).await {
                    return;
                }
            }
        }
    };
    // Events after the cursor that are not for this subscriber are skipped in memory only.
    let mut scanned = status.cursor;
    // The subscriber as the last failed attempt used it.
    let mut tried: Option<Subscriber> = None;
    loop {
        committed.borrow_and_update();
        // The subscriber as it is now: a new URL or secret applies to the next
        // attempt; once deleted, nothing more is sent and its state is dropped.
        let Some(sub) = ctx.views.subscribers.get(&id).map(|e| e.value().clone()) else {
            let gone = id.clone();
            if let Err(err) = ctx.db(move |s| s.forget(&gone)).await {
                tracing::error!(%err, "webhook outbox: cannot drop a deleted subscriber's state");
            }
            return;
        };
        if tried.as_ref().is_some_and(|t| *t != sub) {
            // A new URL or secret is tried at once, not after the old backoff.
            status.next_attempt_at = None;
            tried = None;
        }
        let campaign = sub.campaign_id.clone();
        let next = match ctx.db(move |s| s.next(scanned, campaign.as_deref())).await {
            Ok(n) => n,
            Err(err) => {
                tracing::error!(%err, "webhook outbox: cannot read the log");
                if !ctx.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        let ev = match next {
            (Some(ev), _) => ev,
            (None, newest) => {
                scanned = scanned.max(newest);
                tokio::select! {
                    _ = ctx.shutdown.cancelled() => return,
                    r = committed.changed() => if r.is_err() { return },
                }
                continue;
            }
        };
        scanned = ev.seq - 1;
        if let Some(at) = status.next_attempt_at {
            let wait = at.saturating_sub(wall_ms());
            if wait > 0 {
                // A commit (maybe this subscriber edited or deleted) ends the wait early.
                tokio::select! {
                    _ = ctx.shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
                    r = committed.changed() => {
                        if r.is_err() {
                            return;
                        }
                        continue;
                    }
                }
            }
        }
        // Deleted (or changed) during the wait: the loop's top sees it first.
        if ctx.views.subscribers.get(&id).is_none_or(|s| *s.value() != sub) {
            continue;
        }
        let body = if sub.format.is_signed() {
            Some((payload(&ev), None))
        } else {
            match chat_body(&ctx, &sub, &ev, None, None).await {
                Ok(line) => line.map(|(body, goals)| (body, Some(goals))),
                Err(err) => {
                    tracing::error!(%err, "webhook outbox: cannot read the log");
                    if !ctx.sleep(Duration::from_secs(1)).await {
                        return;
                    }
                    continue;
                }
            }
        };
        // A donor erased, their name or words taken off the air, or their gift
        // refunded: the Discord channel's lines that showed them are written
        // again as viewers now see them, or deleted (Slack's webhooks cannot).
        let mended = match mended_donation(&sub, &ev) {
            Some(mended) => {
                let (id, d) = (sub.id.clone(), mended.id.clone());
                match ctx.db(move |s| s.lines(&id, &d)).await {
                    Ok(lines) if lines.is_empty() => None,
                    Ok(lines) => Some((mended, lines)),
                    Err(err) => {
                        tracing::error!(%err, "webhook outbox: cannot read a chat's lines");
                        if !ctx.sleep(Duration::from_secs(1)).await {
                            return;
                        }
                        continue;
                    }
                }
            }
            None => None,
        };
        let event_id = format!("evt_{}", ev.seq);
        let attempt = async {
            match (mended, body) {
                (Some((mended, lines)), _) => mend_lines(&ctx, (&sub, ev.kind), &mended, lines).await.transpose(),
                (None, Some((body, Some(goals)))) if sub.format == HookFormat::Discord => {
                    Some(post_line(&ctx, &sub, (&ev, &event_id), body, goals).await)
                }
                (None, Some((body, _))) => Some(post(&ctx.client, &sub, (&event_id, ev.kind), body).await),
                (None, None) => None,
            }
        };
        let result = tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            r = attempt => r,
        };
        let Some(result) = result else {
            // An event a chat is not told of (a refund, an erasure or a name
            // hidden, with no line to mend or none that reads otherwise now,
            // a line said once already): passed over.
            tried = None;
            status.cursor = ev.seq;
            status.attempts = 0;
            status.next_attempt_at = None;
            scanned = ev.seq;
            let saved = status.clone();
            if let Err(err) = ctx.db(move |s| s.save(&saved)).await {
                tracing::error!(%err, "webhook outbox: cannot save the delivery state");
            }
            continue;
        };
        status.last_attempt_at = Some(wall_ms());
        status.last_event = Some(format!("evt_{}", ev.seq));
        match result {
            Ok(code) if (200..300).contains(&code) => {
                tried = None;
                status.last_status = Some(code);
                status.last_error = None;
                status.cursor = ev.seq;
                status.attempts = 0;
                status.next_attempt_at = None;
                status.delivered += 1;
                scanned = ev.seq;
            }
            failed => {
                let (code, err) = match failed {
                    Ok(code) => (Some(code), format!("the receiver answered {code}")),
                    Err(e) => (None, e),
                };
                status.last_status = code;
                status.attempts = status.attempts.saturating_add(1);
                let at = Timestamp::parse(&ev.at).map_or(0, |t| t.millis());
                let age = (ctx.clock)().millis().saturating_sub(at);
                if age >= ctx.policy.give_up_after.as_millis() as i64 {
                    tracing::warn!(subscriber = %sub.id, seq = ev.seq, attempts = status.attempts, "webhook given up");
                    status.last_error = Some(format!("{err}; given up after {} attempts", status.attempts));
                    status.cursor = ev.seq;
                    status.attempts = 0;
                    status.next_attempt_at = None;
                    status.dropped += 1;
                    scanned = ev.seq;
                } else {
                    let delay = ctx.policy.delay(status.attempts);
                    tracing::info!(subscriber = %sub.id, seq = ev.seq, attempts = status.attempts, ?delay, %err, "webhook delivery failed; will retry");
                    status.last_error = Some(err);
                    status.next_attempt_at = Some(wall_ms() + delay.as_millis() as i64);
                    tried = Some(sub.clone());
                }
            }
        }
        let saved = status.clone();
        if let Err(err) = ctx.db(move |s| s.save(&saved)).await {
            tracing::error!(%err, "webhook outbox: cannot save the delivery state");
        }
    }
}

/// A chat's line for `ev` (in the campaign's currency; when it is written
/// again, with the goals it was said with and what was refunded of its gift
/// since; a line said once, with what the log held before it), and the goals
/// it says, or `None` for an event a chat is not told of.
async fn chat_body(
    ctx: &Ctx,
    sub: &Subscriber,
    ev: &Outgoing,
    said: Option<Goals>,
    refund: Option<Refund>,
) -> Result<Option<(String, Goals)>, String> {
    let Some((frame, mut setting)) = chat_setting(&ctx.views, ev, said, refund) else {
        return Ok(None);
    };
    if let (true, Some(campaign)) = (super::chat::asks_before(ev.kind, &frame, setting), ev.campaign_id.clone()) {
        let live = frame["donation"]["live_id"].as_str().map(str::to_owned);
        let used_up = (ev.kind == "match.used_up")
            .then(|| Some((frame["match"]["id"].as_str()?.to_owned(), frame["match"]["cap"].as_i64()?)))
            .flatten();
        let seq = ev.seq;
        setting.before = ctx
            .db(move |s| s.before(seq, &campaign, live.as_deref(), used_up.as_ref().map(|(m, cap)| (m.as_str(), *cap))))
            .await?;
    }
    let goals = Goals { live: setting.live_goal, campaign: setting.campaign_goal };
    Ok(super::chat::body(sub.format, ev.kind, &frame, setting, !sub.english).map(|b| (b, goals)))
}

/// `ev`'s frame and what its chat line needs beyond it but what the log held
/// before it ([`chat_body`]).
fn chat_setting(
    views: &Views,
    ev: &Outgoing,
    said: Option<Goals>,
    refund: Option<Refund>,
) -> Option<(Value, super::chat::Setting)> {
    let frame: Value = serde_json::from_str(&ev.frame).ok()?;
    let (currency, campaign_goal) = ev
        .campaign_id
        .as_deref()
        .and_then(|c| views.with_campaign(c, |c| (c.campaign.currency, c.campaign.goal)))
        .or_else(|| Some((crate::money::Currency::parse(frame["donation"]["currency"].as_str()?).ok()?, None)))?;
    // The goals as they are now (a retried delivery may find one changed
    // since), unless the line was said with others.
    let goals = said.unwrap_or_else(|| Goals {
        live: frame["donation"]["live_id"].as_str().and_then(|l| views.with_live(l, |l| l.live.goal)).flatten(),
        campaign: campaign_goal,
    });
    let at = crate::domain::Timestamp::parse(&ev.at).map(|t| t.millis());
    let before = Before::default();
    let setting =
        super::chat::Setting { currency, live_goal: goals.live, campaign_goal: goals.campaign, at, refund, before };
    Some((frame, setting))
}

/// One delivery now, outside the log, so that organisers see a receiver works
/// before the live: a signed `ping` event, or for a chat a line saying the
/// channel is connected (to the campaign named `campaign`). The HTTP status,
/// or why there was none.
pub async fn ping(
    client: &HttpClient,
    sub: &Subscriber,
    campaign: Option<&str>,
    now: Timestamp,
) -> Result<u16, String> {
    let id = format!("evt_test_{}", crate::secret::new_id());
    let body = super::chat::connected(sub.format, campaign, !sub.english).unwrap_or_else(|| {
        json!({"id": id, "type": "ping", "created_at": now, "campaign_id": sub.campaign_id, "data": {}}).to_string()
    });
    post(client, sub, (&id, "ping"), body).await
}

/// The donation whose lines a Discord channel must mend after `ev`: the one
/// it erases (the log's rows already hold it without the name), the one whose
/// name or words it hides or shows again, or the one it refunds; with how
/// viewers now see it (but after an erasure) and what was given back of it.
fn mended_donation(sub: &Subscriber, ev: &Outgoing) -> Option<Mended> {
    let kinds = [
        "donation.erased",
        "donation.text_hidden",
        "donation.text_shown",
        "donation.refunded",
        "donation.partially_refunded",
    ];
    if sub.format != HookFormat::Discord || !kinds.contains(&ev.kind) {
        return None;
    }
    let mut frame: Value = serde_json::from_str(&ev.frame).ok()?;
    let donation = frame["donation"].take();
    let refunded = donation["refunded_amount"].as_i64().filter(|a| *a > 0);
    let refund = refunded.map(|amount| Refund { amount, whole: donation["refunded"] == true });
    Some(Mended {
        id: donation["id"].as_str()?.to_owned(),
        now: (ev.kind != "donation.erased").then_some(donation),
        refund,
    })
}

/// A donation whose Discord lines are written again: its `id`, how viewers
/// now see it (`now`) and what was refunded of it.
struct Mended {
    id: String,
    now: Option<Value>,
    refund: Option<Refund>,
}

/// `frame` with the donation `now` shows (its `id`) named and quoted as in
/// `now`, wherever it appears.
fn shown_as(frame: &mut Value, now: &Value) {
    match frame {
        Value::Object(o) => {
            if o.get("id") == now.get("id") && o.contains_key("donor") {
                for key in ["donor", "message", "moderation"] {
                    if let Some(v) = now.get(key) {
                        o.insert(key.to_owned(), v.clone());
                    }
                }
            }
            o.values_mut().for_each(|v| shown_as(v, now));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| shown_as(v, now)),
        _ => {}
    }
}

/// The donations a frame shows (a donation, its released words, a draw's
/// winner): the objects with an `id` and a `donor`, as an erasure finds them.
fn shown_donations(frame: &str) -> Vec<String> {
    fn walk(v: &Value, found: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let (Some(id), true) = (o.get("id").and_then(Value::as_str), o.contains_key("donor"))
                    && !found.iter().any(|f| f == id)
                {
                    found.push(id.to_owned());
                }
                o.values().for_each(|v| walk(v, found));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Ok(v) = serde_json::from_str::<Value>(frame) {
        walk(&v, &mut found);
    }
    found
}

/// `url` with `param` added to its query.
fn with_query(url: &str, param: &str) -> String {
    format!("{url}{}{param}", if url.contains('?') { '&' } else { '?' })
}

/// The address of one of the messages a Discord webhook made (its query, a
/// thread's, kept).
fn message_url(url: &str, message_id: &str) -> String {
    let (path, query) = url.split_once('?').map_or((url, None), |(p, q)| (p, Some(q)));
    let path = path.trim_end_matches('/');
    match query {
        Some(q) => format!("{path}/messages/{message_id}?{q}"),
        None => format!("{path}/messages/{message_id}"),
    }
}

/// A line to a Discord channel, posted with `wait=true` so that Discord
/// answers the message it made: its id is kept with the donations the line
/// shows and the `goals` it was said with, so that an erasure, a hidden name
/// or a refund can mend it as it was said.
async fn post_line(
    ctx: &Ctx,
    sub: &Subscriber,
    (ev, event_id): (&Outgoing, &str),
    body: String,
    goals: Goals,
) -> Result<u16, String> {
    let url = with_query(&sub.url, "wait=true");
    let (code, answer) = send(&ctx.client, sub, (Method::POST, &url), (event_id, ev.kind), body.clone()).await?;
    let shown = shown_donations(&ev.frame);
    let message = serde_json::from_slice::<Value>(&answer).ok().and_then(|v| v["id"].as_str().map(str::to_owned));
    if let (true, false, Some(message)) = ((200..300).contains(&code), shown.is_empty(), message) {
        let (id, seq) = (sub.id.clone(), ev.seq);
        if let Err(err) = ctx.db(move |s| s.remember_line(&id, &shown, (&message, seq, &body), goals)).await {
            tracing::error!(%err, "webhook outbox: cannot keep a chat line's id");
        }
    }
    Ok(code)
}

/// Each Discord message that showed the `mended` donation, written again from
/// its event as the log now holds it (an erased donor's name and words gone)
/// with the goals it was said with,
/// the donation shown as viewers now see it when known (a name or words
/// hidden), with what was refunded of it, or deleted when nothing is left to
/// say; one that would read as it does (a gift said without the name or the
/// words now hidden) is left alone, no request sent; one already gone
/// (`404`) is done. The first failure's status or error, else `204`, or
/// `None` when no message needed a request.
async fn mend_lines(
    ctx: &Ctx,
    (sub, kind): (&Subscriber, &str),
    mended: &Mended,
    lines: Vec<Line>,
) -> Result<Option<u16>, String> {
    let mut sent = false;
    for Line { message, seq, goals, said } in lines {
        let mut event = ctx.db(move |s| s.event(seq)).await?;
        if let (Some(ev), Some(now)) = (event.as_mut(), mended.now.as_ref())
            && let Ok(mut frame) = serde_json::from_str::<Value>(&ev.frame)
        {
            shown_as(&mut frame, now);
            ev.frame = frame.to_string();
        }
        let body = match &event {
            Some(ev) => chat_body(ctx, sub, ev, goals, mended.refund).await?.map(|(b, _)| b),
            None => None,
        };
        if body.is_some() && body == said {
            continue;
        }
        sent = true;
        let url = message_url(&sub.url, &message);
        let id = format!("evt_{seq}");
        // An edited message may need mending again (its words hidden, then its name).
        let (code, gone) = match &body {
            Some(body) => (send(&ctx.client, sub, (Method::PATCH, &url), (&id, kind), body.clone()).await?.0, false),
            None => (send(&ctx.client, sub, (Method::DELETE, &url), (&id, kind), String::new()).await?.0, true),
        };
        if !(200..300).contains(&code) && code != 404 {
            return Ok(Some(code));
        }
        if gone || code == 404 {
            let (sub_id, donation) = (sub.id.clone(), mended.id.clone());
            ctx.db(move |s| s.drop_line(&sub_id, &donation, &message)).await?;
        } else if let Some(body) = body {
            let sub_id = sub.id.clone();
            ctx.db(move |s| s.line_edited(&sub_id, &message, &body)).await?;
        }
    }
    Ok(sent.then_some(204))
}

/// One attempt of the event `(id, kind)`: the HTTP status, or why there was none.
async fn post(client: &HttpClient, sub: &Subscriber, event: (&str, &str), body: String) -> Result<u16, String> {
    send(client, sub, (Method::POST, &sub.url), event, body).await.map(|(code, _)| code)
}

/// The most of an answer read (a Discord message is a few kilobytes).
const ANSWER_LIMIT: usize = 64 * 1024;

/// One request about the event `(id, kind)` (a body, signed, unless it is
/// empty): the HTTP status and what the receiver answered (up to
/// [`ANSWER_LIMIT`]), or why there was none.
async fn send(
    client: &HttpClient,
    sub: &Subscriber,
    (method, url): (Method, &str),
    (id, kind): (&str, &str),
    body: String,
) -> Result<(u16, Bytes), String> {
    let seconds = wall_ms() / 1000;
    let signature = super::sign(sub.secret.as_bytes(), seconds, body.as_bytes());
    // Only a Discord line's answer is read (the message it made).
    let read = sub.format == HookFormat::Discord && method == Method::POST;
    let mut req = Request::builder().method(method).uri(url);
    if !body.is_empty() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .header(header::USER_AGENT, concat!("cagnotte/", env!("CARGO_PKG_VERSION")))
        .header("cagnotte-signature", signature)
        .header("cagnotte-event-id", id)
        .header("cagnotte-event-type", kind)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("invalid request: {e}"))?;
    let answer = async {
        let res = client.request(req).await?;
        let code = res.status().as_u16();
        let body = if read {
            // One too long is left unread.
            Limited::new(res.into_body(), ANSWER_LIMIT).collect().await.map(|b| b.to_bytes()).unwrap_or_default()
        } else {
            Bytes::new()
        };
        Ok::<_, hyper_util::client::legacy::Error>((code, body))
    };
    match tokio::time::timeout(DELIVERY_TIMEOUT, answer).await {
        Err(_) => Err(format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs())),
        Ok(Err(e)) => {
            // The causes say what failed: a refused connection, an untrusted certificate...
            let mut why = format!("could not deliver: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                why.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            Err(why)
        }
        Ok(Ok(answer)) => Ok(answer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database whose `chat_lines` were kept before their goals: opened,
    /// its lines are read without goals (mended with the goals of the day),
    /// and a new line keeps its own.
    #[test]
    fn chat_lines_kept_before_their_goals_are_read_without_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE chat_lines (subscriber_id TEXT NOT NULL, donation_id TEXT NOT NULL, \
             message_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (subscriber_id, donation_id, message_id));
             INSERT INTO chat_lines VALUES ('s', 'd', '1', 7);",
        )
        .unwrap();
        drop(old);
        let store = Store::open(&path).unwrap();
        let goals = Goals { live: Some(1500), campaign: None };
        store.remember_line("s", &["d".to_owned()], ("2", 9, "{}"), goals).unwrap();
        let lines = Store::open(&path).unwrap().lines("s", "d").unwrap();
        let read: Vec<_> =
            lines.iter().map(|l| (l.message.as_str(), l.seq, l.goals.map(|g| (g.live, g.campaign)))).collect();
        assert_eq!(read, [("1", 7, None), ("2", 9, Some((Some(1500), None)))]);
    }

    #[test]
    fn a_discord_message_s_address_keeps_the_webhook_s_query() {
        let hook = "https://discord.com/api/webhooks/1/abc";
        assert_eq!(with_query(hook, "wait=true"), "https://discord.com/api/webhooks/1/abc?wait=true");
        assert_eq!(with_query(&format!("{hook}?thread_id=9"), "wait=true"), format!("{hook}?thread_id=9&wait=true"));
        assert_eq!(message_url(hook, "77"), format!("{hook}/messages/77"));
        assert_eq!(message_url(&format!("{hook}/?thread_id=9"), "77"), format!("{hook}/messages/77?thread_id=9"));
    }

    #[test]
    fn a_line_shows_the_donations_an_erasure_finds() {
        let frame = json!({
            "type": "prize_drawn",
            "draw": {"prize": "Poster", "winner": {"id": "d2", "donor": "Ana", "amount": 500}},
            "donation": {"id": "d1", "donor": null, "message": "Courage"},
            "milestone": {"id": "m1", "label": "Palier"},
        });
        let mut shown = shown_donations(&frame.to_string());
        shown.sort();
        assert_eq!(shown, ["d1", "d2"]);
        assert!(shown_donations(&json!({"milestone": {"id": "m1"}}).to_string()).is_empty());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy { base: Duration::from_millis(100), ..RetryPolicy::default() };
        assert_eq!(p.delay(1), Duration::from_millis(100));
        assert_eq!(p.delay(2), Duration::from_millis(200));
        assert_eq!(p.delay(5), Duration::from_millis(1600));
        assert_eq!(p.delay(40), Duration::from_secs(3600));
    }

    /// A new subscriber starts right after the event that created it, even when the
    /// log has moved on before its delivery task first looks.
    #[test]
    fn a_new_subscriber_starts_after_its_creation_not_at_the_newest_event() {
        use crate::domain::state::{Event, Fact};
        use crate::ledger::sqlite::Row;
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = sqlite::Store::open(dir.path()).unwrap();
        let at = Timestamp::from_millis(1_764_000_000_000);
        let sub = |id: &str| Subscriber {
            id: id.into(),
            campaign_id: None,
            url: "http://127.0.0.1:9/x".into(),
            secret: "subscriber-secret-0123".into(),
            created_at: at,
            format: crate::domain::HookFormat::Cagnotte,
            english: false,
        };
        let row = |seq, fact| Row { event: Event { seq, at, fact }, live_id: None, campaign_id: None, frame: None };
        ledger
            .append(&[
                row(1, Fact::SubscriberCreated { subscriber: sub("sub_a") }),
                row(2, Fact::MatchUsedUp { match_id: "m".into() }),
                row(3, Fact::SubscriberCreated { subscriber: sub("sub_b") }),
                row(4, Fact::MilestoneReached { milestone_id: "x".into() }),
            ])
            .unwrap();
        let store = Store::open(&sqlite::db_path(dir.path())).unwrap();
        assert_eq!(store.load_or_init("sub_b").unwrap().cursor, 3);
        assert_eq!(store.load_or_init("sub_a").unwrap().cursor, 1);
        // Unknown to the log (created before it was kept): from the newest event.
        assert_eq!(store.load_or_init("sub_c").unwrap().cursor, 4);
    }

    #[test]
    fn kinds_match_the_log() {
        use crate::domain::state::Fact;
        let d = crate::domain::Donation::new(
            "d".into(),
            "l".into(),
            1,
            crate::money::Currency::parse("EUR").unwrap(),
            None,
            false,
            None,
            "x".into(),
        );
        let facts = [
            Fact::DonationReceived { donation: d, idempotency: None, reward: None },
            Fact::DonationRefunded { donation_id: "d".into(), refunded_amount: None },
            Fact::DonationRefunded { donation_id: "d".into(), refunded_amount: Some(1) },
            Fact::MilestoneReached { milestone_id: "m".into() },
            Fact::ChallengeMissed { milestone_id: "m".into() },
            Fact::MatchUsedUp { match_id: "m".into() },
            Fact::PollClosed { live_id: "l".into(), poll_id: "p".into() },
            Fact::DonationErased { donation_id: "d".into() },
            Fact::TextHidden { donation_id: "d".into(), donor: true, message: false, by: None },
            Fact::TextShown { donation_id: "d".into(), donor: true, message: false, by: None },
            Fact::TextReleased { donation_id: "d".into(), by: None },
            Fact::LiveStarted { live_id: "l".into(), scheduled_at: crate::domain::Timestamp::from_millis(1) },
            Fact::LiveEnded { live_id: "l".into(), ends_at: crate::domain::Timestamp::from_millis(2) },
            Fact::CampaignEnded { campaign_id: "c".into(), ends_at: crate::domain::Timestamp::from_millis(3) },
            Fact::CampaignOpened { campaign_id: "c".into(), starts_at: crate::domain::Timestamp::from_millis(4) },
            Fact::PrizeDrawn {
                draw: crate::domain::Draw {
                    entries: 1,
                    tickets: 1,
                    winner: "d".into(),
                    ..crate::domain::Draw::asked("w".into(), "l".into(), "p".into(), 1, false, false)
                },
            },
        ];
        for f in facts {
            assert!(KINDS.iter().any(|(k, _)| *k == f.kind()), "{}", f.kind());
        }
    }
}
