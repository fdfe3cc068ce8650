//! The ledger writer: one thread owns every append. It takes whatever commands
//! are waiting (group commit), decides each against the fold state in arrival
//! order (seq, idempotency, matching), commits the batch in one transaction,
//! then updates the read model, publishes the frames, and only then answers the
//! requests. A failed commit answers every request of the batch with an error
//! and rebuilds the state from the log, so nothing uncommitted is ever visible.

pub mod sqlite;

use crate::domain::state::{CampaignState, Command, Decision, Event, Fact, Limits, Refusal, State};
use crate::domain::{Donation, Timestamp, Totals};
use crate::hub::{Frame, Hub};
use crate::views::{Change, Views};
use sqlite::{Row, Store, StoreError};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// The most commands folded into one transaction.
const MAX_BATCH: usize = 4096;

pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

#[derive(Debug)]
pub enum Outcome {
    /// A new event was committed. `body` is the answer for donations and refunds.
    Appended { seq: u64, body: Option<String> },
    /// Nothing new was written: an idempotent repeat or a second refund.
    Unchanged { body: String },
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the ledger could not commit: {0}")]
    Storage(String),
    #[error("the ledger is shutting down")]
    Closed,
}

struct Request {
    cmd: Command,
    reply: oneshot::Sender<Result<Outcome, LedgerError>>,
}

/// The handle through which requests reach the writer. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    tx: mpsc::Sender<Request>,
}

impl Ledger {
    /// Submits a command and waits until it is committed (or refused).
    pub async fn submit(&self, cmd: Command) -> Result<Outcome, LedgerError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request { cmd, reply }).await.map_err(|_| LedgerError::Closed)?;
        rx.await.map_err(|_| LedgerError::Closed)?
    }
}

/// Opens the log and replays it. Returns the writer's store and state.
pub fn open(dir: &Path, limits: Limits) -> Result<(Store, State), StoreError> {
    let store = Store::open(dir)?;
    let state = replay(&store, limits)?;
    Ok((store, state))
}

fn replay(store: &Store, limits: Limits) -> Result<State, StoreError> {
    let events = store.load_all()?;
    let mut state = State::new(limits);
    for e in &events {
        if let Err(err) = state.apply(e) {
            tracing::error!(%err, "skipping an event that does not fit the log");
        }
    }
    if state.diverged > 0 {
        tracing::warn!(
            count = state.diverged,
            "recorded matching differs from the current rules; recorded values kept"
        );
    }
    Ok(state)
}

/// Fills an empty read model and hub from a replayed state.
pub fn load_views(state: &State, views: &Views, hub: &Hub) {
    for c in state.campaigns.values() {
        views.apply(0, &Change::Campaign(c.campaign.clone()));
        for m in &c.matches {
            views.apply(0, &Change::Match(m.clone()));
        }
    }
    let mut by_live: std::collections::HashMap<&str, Vec<&crate::domain::state::DonationState>> = Default::default();
    for d in state.donations.values() {
        by_live.entry(d.donation.live_id.as_str()).or_default().push(d);
    }
    // Lives in creation order so each campaign lists them as it did live.
    let mut lives: Vec<_> = state.lives.values().collect();
    lives.sort_by_key(|l| l.created_seq);
    for l in lives {
        let currency = state.campaigns.get(&l.live.campaign_id).map(|c| c.campaign.currency);
        let Some(currency) = currency else { continue };
        views.apply(l.stream_seq, &Change::Live { live: l.live.clone(), currency });
        if let Some(mut v) = views.lives.get_mut(&l.live.id) {
            v.totals = l.totals;
            if let Some(ds) = by_live.get_mut(l.live.id.as_str()) {
                ds.sort_by_key(|d| std::cmp::Reverse(d.seq));
                v.recent = ds.iter().take(crate::views::RECENT).map(|d| d.donation.clone()).collect();
                for d in ds.iter().filter(|d| !d.donation.refunded) {
                    v.count_donor(&d.donation, 1);
                }
            }
        }
        hub.open(&l.live.id, l.stream_seq);
    }
    for c in state.campaigns.values() {
        if let Some(mut v) = views.campaigns.get_mut(&c.campaign.id) {
            v.totals = c.totals;
        }
    }
    for i in state.integrations.values() {
        views.apply(0, &Change::Integration(i.clone()));
    }
    for s in state.subscribers.values() {
        views.apply(0, &Change::Subscriber(s.clone()));
    }
}

/// Starts the writer thread. Also returns a watch of the newest committed seq. It ends when every [`Ledger`] handle is dropped,
/// after answering what it received; the returned handle joins it.
pub fn start(
    store: Store,
    state: State,
    views: Arc<Views>,
    hub: Arc<Hub>,
    clock: Clock,
) -> (Ledger, watch::Receiver<u64>, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(16 * 1024);
    let (committed, committed_rx) = watch::channel(state.last_seq);
    let writer = Writer { store, state, views, hub, clock, committed };
    let handle = std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || writer.run(rx))
        .expect("could not start the ledger writer thread");
    (Ledger { tx }, committed_rx, handle)
}

struct Writer {
    store: Store,
    state: State,
    views: Arc<Views>,
    hub: Arc<Hub>,
    clock: Clock,
    /// The newest committed seq, for followers of the log (outgoing webhooks).
    committed: watch::Sender<u64>,
}

/// What an appended event leaves to do once it is committed.
struct Pending {
    seq: u64,
    change: Change,
    frame: Option<(String, Frame)>,
}

type Reply = (oneshot::Sender<Result<Outcome, LedgerError>>, Result<Outcome, LedgerError>);

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut batch = Vec::with_capacity(256);
        while let Some(first) = rx.blocking_recv() {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            self.process(&mut batch);
        }
        if let Err(err) = self.store.checkpoint() {
            tracing::warn!(%err, "WAL checkpoint on shutdown failed");
        }
        tracing::info!(last_seq = self.state.last_seq, "ledger writer stopped");
    }

    fn process(&mut self, batch: &mut Vec<Request>) {
        let now = (self.clock)();
        let mut rows: Vec<Row> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
        for Request { mut cmd, reply } in batch.drain(..) {
            stamp(&mut cmd, now);
            let result = match self.state.decide(&cmd) {
                Err(refusal) => Err(LedgerError::Refused(refusal)),
                Ok(Decision::Append(fact)) => {
                    let seq = self.state.last_seq + 1;
                    let event = Event { seq, at: now, fact };
                    match self.state.apply(&event) {
                        Ok(()) => {
                            let p = self.pending(&event);
                            let body = p.frame.as_ref().map(|(body, _)| body.clone());
                            rows.push(Row {
                                live_id: p.frame.as_ref().map(|_| live_of(&event.fact, &self.state)),
                                frame: p.frame.as_ref().map(|(_, f)| f.text.as_str().to_owned()),
                                event,
                            });
                            pending.push(p);
                            Ok(Outcome::Appended { seq, body })
                        }
                        Err(err) => Err(LedgerError::Storage(err.to_string())),
                    }
                }
                Ok(Decision::Repeat { donation_id }) => self.original_response(&donation_id, &rows),
                Ok(Decision::AlreadyRefunded { donation_id }) => {
                    Ok(Outcome::Unchanged { body: self.current_response(&donation_id) })
                }
            };
            replies.push((reply, result));
        }
        if !rows.is_empty()
            && let Err(err) = self.store.append(&rows)
        {
            tracing::error!(%err, "commit failed; the batch is refused and the state rebuilt from the log");
            for (tx, _) in replies {
                let _ = tx.send(Err(LedgerError::Storage(err.to_string())));
            }
            self.rebuild();
            return;
        }
        for p in pending {
            self.views.apply(p.seq, &p.change);
            match (&p.change, p.frame) {
                (Change::Live { live, .. }, _) => self.hub.open(&live.id, p.seq),
                (Change::Donation { donation, .. }, Some((_, frame))) => self.hub.publish(&donation.live_id, frame),
                _ => {}
            }
        }
        self.committed.send_replace(self.state.last_seq);
        for (tx, r) in replies {
            // The requester may have gone away; what was committed stays committed.
            let _ = tx.send(r);
        }
    }

    /// Captures, right after folding `ev`, what the read model and the streams need.
    fn pending(&self, ev: &Event) -> Pending {
        let seq = ev.seq;
        let s = &self.state;
        let change = match &ev.fact {
            Fact::CampaignCreated { campaign } => Change::Campaign(campaign.clone()),
            Fact::MatchCreated { r#match } => {
                let used = s.campaigns.get(&r#match.campaign_id).and_then(|c| c.matches.last()).cloned();
                Change::Match(used.unwrap_or(crate::domain::state::MatchState { r#match: r#match.clone(), used: 0 }))
            }
            Fact::LiveCreated { live } => {
                let currency = s.campaigns[&live.campaign_id].campaign.currency;
                Change::Live { live: live.clone(), currency }
            }
            Fact::DonationReceived { donation, .. } => {
                return self.donation_pending(seq, &donation.id, "donation");
            }
            Fact::DonationRefunded { donation_id } => {
                return self.donation_pending(seq, donation_id, "refund");
            }
            Fact::LiveSecretsRotated { live_id, .. } => {
                let old = self.views.live(live_id).map(|l| (l.live.key_hash, l.live.overlay_hash));
                let live = s.lives[live_id].live.clone();
                let (old_key, old_overlay) = old.unwrap_or((live.key_hash, live.overlay_hash));
                Change::Secrets { live, old_key, old_overlay }
            }
            Fact::IntegrationCreated { integration } => Change::Integration(integration.clone()),
            Fact::SubscriberCreated { subscriber } => Change::Subscriber(subscriber.clone()),
        };
        Pending { seq, change, frame: None }
    }

    fn donation_pending(&self, seq: u64, donation_id: &str, kind: &str) -> Pending {
        let s = &self.state;
        let d = &s.donations[donation_id].donation;
        let live_totals = s.lives[&d.live_id].totals;
        let campaign = &s.campaigns[&d.campaign_id];
        let inner = response_inner(d, live_totals, campaign);
        let frame = Frame::new(seq, format!("{{\"type\":\"{kind}\",\"seq\":{seq},{inner}}}"));
        let matches = d
            .allocations
            .iter()
            .filter_map(|a| campaign.matches.iter().find(|m| m.r#match.id == a.match_id))
            .map(|m| (m.r#match.id.clone(), m.used))
            .collect();
        Pending {
            seq,
            change: Change::Donation { donation: d.clone(), live_totals, campaign_totals: campaign.totals, matches },
            frame: Some((format!("{{{inner}}}"), frame)),
        }
    }

    /// The answer first given for this donation, read back from its event's frame.
    fn original_response(&self, donation_id: &str, rows: &[Row]) -> Result<Outcome, LedgerError> {
        let seq = self.state.donations[donation_id].seq;
        let frame = match rows.iter().find(|r| r.event.seq == seq) {
            Some(r) => r.frame.clone(),
            None => self.store.frame(seq).map_err(|e| LedgerError::Storage(e.to_string()))?,
        };
        let frame = frame.ok_or_else(|| LedgerError::Storage(format!("event {seq} has no frame")))?;
        let mut v: serde_json::Value = serde_json::from_str(&frame).map_err(|e| LedgerError::Storage(e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.remove("type");
            o.remove("seq");
        }
        Ok(Outcome::Unchanged { body: v.to_string() })
    }

    /// The donation and totals as they are now (for a repeated refund).
    fn current_response(&self, donation_id: &str) -> String {
        let d = &self.state.donations[donation_id].donation;
        let lt = self.state.lives[&d.live_id].totals;
        let c = &self.state.campaigns[&d.campaign_id];
        format!("{{{}}}", response_inner(d, lt, c))
    }

    fn rebuild(&mut self) {
        match replay(&self.store, self.state.limits.clone()) {
            Ok(state) => self.state = state,
            Err(err) => tracing::error!(%err, "could not re-read the log; keeping the last state"),
        }
    }
}

/// `"donation":…,"totals":…,"campaign_totals":…,"matches":[…]`: the body shared by
/// a donation's answer and its stream frame. `matches` gives each match's budget.
fn response_inner(d: &Donation, live: Totals, campaign: &CampaignState) -> String {
    #[derive(serde::Serialize)]
    struct Budget<'a> {
        id: &'a str,
        used: i64,
        left: i64,
    }
    let budgets: Vec<_> =
        campaign.matches.iter().map(|m| Budget { id: &m.r#match.id, used: m.used, left: m.left() }).collect();
    // Serializing plain structs cannot fail.
    let donation = serde_json::to_string(&d.view()).unwrap_or_default();
    let lt = serde_json::to_string(&live).unwrap_or_default();
    let ct = serde_json::to_string(&campaign.totals).unwrap_or_default();
    let ms = serde_json::to_string(&budgets).unwrap_or_default();
    format!("\"donation\":{donation},\"totals\":{lt},\"campaign_totals\":{ct},\"matches\":{ms}")
}

fn live_of(fact: &Fact, state: &State) -> String {
    match fact {
        Fact::DonationReceived { donation, .. } => donation.live_id.clone(),
        Fact::DonationRefunded { donation_id } => state.donations[donation_id].donation.live_id.clone(),
        Fact::LiveCreated { live } => live.id.clone(),
        Fact::LiveSecretsRotated { live_id, .. } => live_id.clone(),
        Fact::IntegrationCreated { integration } => integration.live_id.clone(),
        Fact::SubscriberCreated { .. } => String::new(),
        Fact::CampaignCreated { .. } | Fact::MatchCreated { .. } => String::new(),
    }
}

/// The writer's clock decides every time in the log, so seq order and time order agree.
fn stamp(cmd: &mut Command, now: Timestamp) {
    match cmd {
        Command::CreateCampaign(c) => c.created_at = now,
        Command::CreateMatch(m) => m.created_at = now,
        Command::CreateLive(l) => l.created_at = now,
        Command::Donate { donation, .. } => donation.at = now,
        Command::CreateIntegration { integration, .. } => integration.created_at = now,
        Command::CreateSubscriber(s) => s.created_at = now,
        Command::Refund { .. } | Command::RotateLiveSecrets { .. } => {}
    }
}
