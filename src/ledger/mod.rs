//! The ledger writer: one thread owns every append. It takes whatever commands
//! are waiting (group commit), decides each against the fold state in arrival
//! order (seq, idempotency, matching), commits the batch in one transaction,
//! then updates the read model, publishes the frames, and only then answers the
//! requests. A failed commit answers every request of the batch with an error
//! and rebuilds the state from the log, so nothing uncommitted is ever visible.

pub mod sqlite;

use crate::domain::state::{
    CampaignState, Command, Decision, Event, Fact, Limits, LiveState, Refusal, RewardState, State, Stream,
};
use crate::domain::{Donation, Match, Poll, Timestamp, TokenHash};
use crate::hub::{Frame, GiftBudget, Hub};
use crate::metrics::LedgerStats;
use crate::views::{Change, Views};
use sqlite::{Erasure, Row, Store, StoreError};
use std::collections::HashMap;
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
    /// A new event was committed (`seq`: the last of a command's several).
    /// `body` is the answer for donations, refunds and draws; for several
    /// events, their answers joined by commas (a JSON array's items).
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
    stats: Arc<LedgerStats>,
}

impl Ledger {
    /// The writer's counters (commits, their time).
    pub fn stats(&self) -> &LedgerStats {
        &self.stats
    }

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
    let mut state = State::new(limits);
    // Most events are donations: room for them all up front, no rehash on the way.
    state.donations.reserve(store.last_seq()? as usize);
    store.for_each_chunk(|events| {
        for e in events {
            if let Err(err) = state.apply_owned(e) {
                tracing::error!(%err, "skipping an event that does not fit the log");
            }
        }
    })?;
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
    views.load(state);
    for c in state.campaigns.values() {
        hub.open(&Hub::campaign_key(&c.campaign.id), c.stream_seq);
    }
    for l in state.lives.values() {
        hub.open(&l.live.id, l.stream_seq);
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
    let stats = Arc::new(LedgerStats::default());
    let writer =
        Writer { store, state, views, hub, clock, committed, stats: Arc::clone(&stats), budgets: HashMap::new() };
    let handle = std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || writer.run(rx))
        .expect("could not start the ledger writer thread");
    (Ledger { tx, stats }, committed_rx, handle)
}

struct Writer {
    store: Store,
    state: State,
    views: Arc<Views>,
    hub: Arc<Hub>,
    clock: Clock,
    /// The newest committed seq, for followers of the log (outgoing webhooks).
    committed: watch::Sender<u64>,
    stats: Arc<LedgerStats>,
    /// Each public stream's new gifts its pages may still get as they come (by channel key).
    budgets: HashMap<String, GiftBudget>,
}

/// What an appended event leaves to do once it is committed.
struct Pending {
    seq: u64,
    change: Option<Change>,
    stream: Option<Stream>,
    frame: Option<Frame>,
}

/// What an event replaces, read from the state just before it is folded. The
/// read model cannot tell: it catches up only once the batch is committed, so
/// two rotations in one batch would both name the hashes from before the first.
struct Before {
    donation: Option<Donation>,
    /// A live's key, overlay, host and moderator hashes, before a rotation of its secrets.
    live_tokens: Option<(TokenHash, TokenHash, Option<TokenHash>, Option<TokenHash>)>,
    /// A campaign's overlay hash or charity's key, before its rotation.
    campaign_token: Option<TokenHash>,
}

impl Before {
    fn of(state: &State, fact: &Fact) -> Before {
        let live_tokens = match fact {
            Fact::LiveSecretsRotated { live_id, .. } => state
                .lives
                .get(live_id)
                .map(|l| (l.live.key_hash, l.live.overlay_hash, l.live.host_hash, l.live.moderator_hash)),
            _ => None,
        };
        let campaign_token = match fact {
            Fact::CampaignOverlayRotated { campaign_id, .. } => {
                state.campaigns.get(campaign_id).and_then(|c| c.campaign.overlay_hash)
            }
            Fact::CampaignReportRotated { campaign_id, .. } => {
                state.campaigns.get(campaign_id).and_then(|c| c.campaign.report_hash)
            }
            _ => None,
        };
        Before { donation: state.donation_before(fact), live_tokens, campaign_token }
    }
}

type Reply = (oneshot::Sender<Result<Outcome, LedgerError>>, Result<Outcome, LedgerError>);

/// Follow-up facts one event may call for, at most (a guard, far above any real need).
const MAX_FOLLOW_UPS: usize = 1024;

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
        let mut rows: Vec<Row> = Vec::with_capacity(batch.len());
        let mut pending: Vec<Pending> = Vec::with_capacity(batch.len());
        let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
        let mut erasures: Vec<Erasure> = Vec::new();
        for Request { mut cmd, reply } in batch.drain(..) {
            stamp(&mut cmd, now);
            let result = match self.state.decide(&cmd) {
                Err(refusal) => Err(LedgerError::Refused(refusal)),
                Ok(Decision::Append(fact)) => {
                    let campaign = self.state.campaign_of(&fact);
                    self.follow_ups_due(campaign.as_deref(), now, &mut rows, &mut pending);
                    if let (Fact::DonationErased { donation_id }, Some(campaign_id)) = (&fact, &campaign) {
                        let from = self.state.donations.get(donation_id).map_or(0, |d| d.seq);
                        erasures.push(Erasure {
                            donation_id: donation_id.clone(),
                            campaign_id: campaign_id.clone(),
                            from,
                        });
                    }
                    let result = self.append(fact, now, &mut rows, &mut pending);
                    if result.is_ok() {
                        self.follow_ups(campaign.as_deref(), now, &mut rows, &mut pending);
                    }
                    result.map(|(seq, body)| Outcome::Appended { seq, body })
                }
                Ok(Decision::AppendAll(facts)) => {
                    let campaign = facts.first().and_then(|f| self.state.campaign_of(f));
                    self.follow_ups_due(campaign.as_deref(), now, &mut rows, &mut pending);
                    let (mut seq, mut bodies, mut failed) = (self.state.last_seq, Vec::new(), None);
                    for fact in facts {
                        match self.append(fact, now, &mut rows, &mut pending) {
                            Ok((s, body)) => {
                                seq = s;
                                bodies.extend(body);
                            }
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        }
                    }
                    match failed {
                        Some(e) => Err(e),
                        None => {
                            self.follow_ups(campaign.as_deref(), now, &mut rows, &mut pending);
                            let body = (!bodies.is_empty()).then(|| bodies.join(","));
                            Ok(Outcome::Appended { seq, body })
                        }
                    }
                }
                Ok(Decision::Nothing) => {
                    self.follow_ups(None, now, &mut rows, &mut pending);
                    Ok(Outcome::Unchanged { body: String::new() })
                }
                Ok(Decision::Repeat { donation_id }) => self.original_response(&donation_id, &rows),
                Ok(Decision::Current { donation_id }) => {
                    let d = &self.state.donations[&donation_id].donation;
                    Ok(Outcome::Unchanged { body: json(&serde_json::json!({ "donation": d.view() })) })
                }
                Ok(Decision::AlreadyRefunded { donation_id }) => {
                    Ok(Outcome::Unchanged { body: self.current_response(&donation_id) })
                }
            };
            replies.push((reply, result));
        }
        let started = std::time::Instant::now();
        if !rows.is_empty()
            && let Err(err) = self.store.append_erasing(&rows, &erasures)
        {
            tracing::error!(%err, "commit failed; the batch is refused and the state rebuilt from the log");
            for (tx, _) in replies {
                let _ = tx.send(Err(LedgerError::Storage(err.to_string())));
            }
            self.rebuild();
            return;
        }
        if !rows.is_empty() {
            self.stats.committed(rows.len(), started.elapsed());
        }
        let mut outgoing: Vec<(String, Vec<Frame>)> = Vec::new();
        for p in pending {
            if let Some(Change::Live { live, .. }) = &p.change {
                // The channel exists before the live is visible, so a subscriber always finds it.
                self.hub.open(&live.id, p.seq);
            }
            if let Some(Change::Campaign(c)) = &p.change {
                self.hub.open(&Hub::campaign_key(&c.id), p.seq);
            }
            // Rings first, views second: once a view shows this seq, a resume finds its frame.
            if let (Some(stream), Some(frame)) = (&p.stream, p.frame) {
                // A new gift that neither claims a reward nor votes (the dashboard
                // and the live's page follow those as they come).
                let gift = matches!(&p.change, Some(Change::Donation { before: None, reward: None, poll: None, .. }));
                self.route(stream, frame, gift, &mut outgoing);
            }
            if let Some(change) = &p.change {
                self.views.apply(p.seq, change);
                // The views refuse a replaced overlay token now: the sessions opened with it end.
                match change {
                    Change::Secrets { live, old_overlay, .. } if *old_overlay != live.overlay_hash => {
                        self.hub.channel(&live.id).inspect(|c| c.revoke_overlays());
                    }
                    Change::CampaignOverlay { campaign_id, old: Some(_), .. } => {
                        self.hub.channel(&Hub::campaign_key(campaign_id)).inspect(|c| c.revoke_overlays());
                    }
                    _ => {}
                }
            }
            if let Some(stream) = &p.stream {
                self.views.bump(p.seq, stream);
            }
        }
        // A resume must not send an erased name again from memory either: every
        // ring of the campaign (a campaign-wide draw shows its winner on another live).
        for e in &erasures {
            let Some(c) = self.state.campaigns.get(&e.campaign_id) else { continue };
            for key in c.lives.iter().cloned().chain([Hub::campaign_key(&e.campaign_id)]) {
                self.hub.rewrite(&key, |text| erased_text(text, &e.donation_id));
            }
        }
        self.committed.send_replace(self.state.last_seq);
        // Every view is up to date: answer first (a reply must not queue behind
        // thousands of woken subscribers), then each stream gets its frames at once.
        for (tx, r) in replies {
            // The requester may have gone away; what was committed stays committed.
            let _ = tx.send(r);
        }
        for (key, frames) in outgoing {
            self.hub.send(&key, frames);
        }
    }

    /// Records a frame in the ring of every channel that shows it and adds it to
    /// that channel's batch, keeping seq order. The public streams of the
    /// campaign and of the live (no ring: their pages open them afresh) get
    /// every event but the new gifts past their budget (`gift`), when someone
    /// follows them.
    fn route(&mut self, stream: &Stream, frame: Frame, gift: bool, outgoing: &mut Vec<(String, Vec<Frame>)>) {
        let mut keys = Vec::new();
        // The public streams' keys, each made once.
        let mut feeds = Vec::new();
        match stream {
            Stream::Live(l) => {
                if let Some(c) = self.state.lives.get(l) {
                    keys.push(Hub::campaign_key(&c.live.campaign_id));
                    feeds.push(Hub::feed_key(&c.live.campaign_id));
                }
                keys.push(l.clone());
                feeds.push(Hub::live_feed_key(l));
            }
            Stream::Campaign(cid) => {
                if let Some(c) = self.state.campaigns.get(cid) {
                    keys.extend(c.lives.iter().cloned());
                    feeds.extend(c.lives.iter().map(|l| Hub::live_feed_key(l)));
                }
                keys.push(Hub::campaign_key(cid));
                feeds.push(Hub::feed_key(cid));
            }
        }
        let ringed = keys.len();
        let mut now = None;
        for key in feeds {
            if !self.hub.followed(&key) {
                continue;
            }
            let shown = !gift || {
                let now = *now.get_or_insert_with(std::time::Instant::now);
                match self.budgets.get_mut(&key) {
                    Some(budget) => budget.take(now),
                    None => self.budgets.entry(key.clone()).or_insert_with(|| GiftBudget::new(now)).take(now),
                }
            };
            if shown {
                keys.push(key);
            } else {
                // Said by a totals frame at the totals task's next tick instead.
                self.hub.owe(&key, frame.seq, frame.seq);
            }
        }
        for (i, key) in keys.into_iter().enumerate() {
            if i < ringed {
                self.hub.record(&key, &frame);
            }
            // Few streams per batch: a linear search beats hashing here.
            match outgoing.iter_mut().find(|(k, _)| *k == key) {
                Some((_, frames)) => frames.push(frame.clone()),
                None => outgoing.push((key, vec![frame.clone()])),
            }
        }
    }

    /// Folds a decided fact as the next event; returns its seq and, for donations
    /// and refunds, the answer body.
    fn append(
        &mut self,
        fact: Fact,
        now: Timestamp,
        rows: &mut Vec<Row>,
        pending: &mut Vec<Pending>,
    ) -> Result<(u64, Option<String>), LedgerError> {
        let seq = self.state.last_seq + 1;
        let event = Event { seq, at: now, fact };
        let before = Before::of(&self.state, &event.fact);
        self.state.apply(&event).map_err(|e| LedgerError::Storage(e.to_string()))?;
        let (p, body) = self.pending(&event, before);
        let (live_id, campaign_id) = match &p.stream {
            Some(Stream::Live(l)) => (Some(l.clone()), self.state.lives.get(l).map(|l| l.live.campaign_id.clone())),
            Some(Stream::Campaign(c)) => (None, Some(c.clone())),
            None => (None, None),
        };
        rows.push(Row { live_id, campaign_id, frame: p.frame.as_ref().map(|f| f.text.clone()), event });
        pending.push(p);
        Ok((seq, body))
    }

    /// Before a command's facts, what the time alone calls for in its campaign
    /// (a challenge's or a poll's time run out, a window closed) since the
    /// last tick, decided at the command's time as the command was: a gift a
    /// moment after a challenge's end comes after it, not in the totals its
    /// end is said with.
    fn follow_ups_due(
        &mut self,
        campaign: Option<&str>,
        now: Timestamp,
        rows: &mut Vec<Row>,
        pending: &mut Vec<Pending>,
    ) {
        if campaign.is_some() {
            self.follow_ups(campaign, now, rows, pending);
        }
    }

    /// Appends what the state calls for by itself (used-up matches, windows, milestones).
    fn follow_ups(&mut self, campaign: Option<&str>, now: Timestamp, rows: &mut Vec<Row>, pending: &mut Vec<Pending>) {
        for _ in 0..MAX_FOLLOW_UPS {
            let Some(fact) = self.state.follow_up(campaign, now) else { return };
            if let Err(err) = self.append(fact, now, rows, pending) {
                tracing::error!(%err, "could not fold a follow-up event");
                return;
            }
        }
    }

    /// Captures, right after folding `ev`, what the read model and the streams need.
    fn pending(&self, ev: &Event, before: Before) -> (Pending, Option<String>) {
        let seq = ev.seq;
        let s = &self.state;
        let stream = s.stream_of(&ev.fact);
        let mut body = None;
        let mut frame = None;
        let change = match &ev.fact {
            Fact::CampaignCreated { campaign } => Some(Change::Campaign(campaign.clone())),
            Fact::LiveCreated { live } => {
                let currency = s.campaigns[&live.campaign_id].campaign.currency;
                Some(Change::Live { live: live.clone(), currency })
            }
            Fact::DonationReceived { donation, reward, .. } => {
                // Its reward is the fact's: no need to look through every claim.
                let claimed = Some(reward.as_deref());
                let (change, inner) = self.donation_change(&donation.id, before.donation, claimed);
                frame = Some(Frame::new(seq, object(&format!("\"type\":\"donation\",\"seq\":{seq},"), &inner)));
                body = Some(object("", &inner));
                Some(change)
            }
            Fact::DonationRefunded { donation_id, .. } => {
                // What this refund gave back, next to the donation's total refunded so far.
                let back = s.donations[donation_id].donation.refunded_amount
                    - before.donation.as_ref().map_or(0, |b| b.refunded_amount);
                let (change, inner) = self.donation_change(donation_id, before.donation, None);
                frame = Some(Frame::new(
                    seq,
                    format!("{{\"type\":\"{}\",\"seq\":{seq},\"amount_refunded\":{back},{inner}}}", ev.fact.kind()),
                ));
                body = Some(object("", &inner));
                Some(change)
            }
            Fact::LiveSecretsRotated { live_id, .. } => {
                let live = s.lives[live_id].live.clone();
                let (old_key, old_overlay, old_host, old_moderator) = before.live_tokens.unwrap_or((
                    live.key_hash,
                    live.overlay_hash,
                    live.host_hash,
                    live.moderator_hash,
                ));
                Some(Change::Secrets { live, old_key, old_overlay, old_host, old_moderator })
            }
            Fact::ModeratorAdded { live_id, .. } | Fact::ModeratorRemoved { live_id, .. } => {
                Some(Change::Moderators { live_id: live_id.clone(), moderators: s.lives[live_id].moderators.clone() })
            }
            Fact::TextReleased { donation_id, .. }
            | Fact::TextHidden { donation_id, .. }
            | Fact::TextShown { donation_id, .. }
            | Fact::DonationErased { donation_id } => {
                let (change, _) = self.donation_change(donation_id, before.donation, None);
                let view = json(&s.donations[donation_id].donation.view());
                let reward = self.reward_part(donation_id);
                frame = Some(Frame::new(
                    seq,
                    format!("{{\"type\":\"donation_updated\",\"seq\":{seq},\"donation\":{view}{reward}}}"),
                ));
                body = Some(format!("{{\"donation\":{view}}}"));
                Some(change)
            }
            Fact::TestAlert { donation } => {
                let view = json(&donation.view());
                frame = Some(Frame::new(seq, format!("{{\"type\":\"test_alert\",\"seq\":{seq},\"donation\":{view}}}")));
                body = Some(format!("{{\"donation\":{view}}}"));
                None
            }
            Fact::AlertReplayed { donation_id } => {
                let view = json(&s.donations[donation_id].donation.view());
                let reward = self.reward_part(donation_id);
                frame = Some(Frame::new(
                    seq,
                    format!("{{\"type\":\"alert_replay\",\"seq\":{seq},\"donation\":{view}{reward}}}"),
                ));
                body = Some(format!("{{\"donation\":{view}}}"));
                None
            }
            Fact::AlertSkipped { live_id } => {
                let id = json(live_id);
                frame = Some(Frame::new(seq, format!("{{\"type\":\"alert_skipped\",\"seq\":{seq},\"live_id\":{id}}}")));
                None
            }
            Fact::CampaignUpdated { campaign } => {
                let view = crate::views::campaign_info_json(campaign);
                frame = Some(Frame::new(
                    seq,
                    format!("{{\"type\":\"campaign_updated\",\"seq\":{seq},\"campaign\":{view}}}"),
                ));
                Some(Change::CampaignInfo(campaign.clone()))
            }
            Fact::LiveStarted { live_id, .. } => {
                let view = crate::views::live_info_json(&s.lives[live_id].live);
                frame = Some(Frame::new(seq, format!("{{\"type\":\"live_started\",\"seq\":{seq},\"live\":{view}}}")));
                None
            }
            Fact::LiveEnded { live_id, .. } => {
                let l = &s.lives[live_id];
                let view = crate::views::live_info_json(&l.live);
                let totals = serde_json::to_string(&l.totals).unwrap_or_default();
                let campaign = s.campaigns.get(&l.live.campaign_id).map(|c| c.totals).unwrap_or_default();
                let campaign = serde_json::to_string(&campaign).unwrap_or_default();
                frame = Some(Frame::new(
                    seq,
                    format!(
                        "{{\"type\":\"live_ended\",\"seq\":{seq},\"live\":{view},\"totals\":{totals},\"campaign_totals\":{campaign}}}"
                    ),
                ));
                None
            }
            Fact::CampaignEnded { campaign_id, .. } | Fact::CampaignOpened { campaign_id, .. } => {
                let c = &s.campaigns[campaign_id];
                let view = crate::views::campaign_info_json(&c.campaign);
                let totals = serde_json::to_string(&c.totals).unwrap_or_default();
                let kind = ev.fact.kind();
                frame = Some(Frame::new(
                    seq,
                    format!("{{\"type\":\"{kind}\",\"seq\":{seq},\"campaign\":{view},\"campaign_totals\":{totals}}}"),
                ));
                None
            }
            Fact::LiveUpdated { live } => {
                let view = crate::views::live_info_json(live);
                frame = Some(Frame::new(seq, format!("{{\"type\":\"live_updated\",\"seq\":{seq},\"live\":{view}}}")));
                body = Some(view.to_string());
                Some(Change::LiveInfo(live.clone()))
            }
            Fact::ModerationSet { live_id, moderation } => {
                Some(Change::Moderation { live_id: live_id.clone(), moderation: moderation.clone() })
            }
            Fact::IntegrationCreated { integration } => Some(Change::Integration(integration.clone())),
            Fact::SubscriberCreated { subscriber } | Fact::SubscriberUpdated { subscriber } => {
                Some(Change::Subscriber(subscriber.clone()))
            }
            Fact::IntegrationSecretReplaced { integration_id, .. } => {
                s.integrations.get(integration_id).cloned().map(Change::Integration)
            }
            Fact::IntegrationRemoved { integration_id } => Some(Change::IntegrationRemoved(integration_id.clone())),
            Fact::SubscriberRemoved { subscriber_id } => Some(Change::SubscriberRemoved(subscriber_id.clone())),
            Fact::MilestoneCreated { milestone } => {
                let m = s.milestone_state(&milestone.id).cloned();
                // On air at once: a challenge under the live's goal bar, a
                // milestone marked on it (and listed on the public pages).
                if let Some(m) = &m {
                    let view = crate::views::milestone_json(m);
                    let kind = if m.milestone.ends_at.is_some() { "challenge_started" } else { "milestone_created" };
                    frame =
                        Some(Frame::new(seq, format!("{{\"type\":\"{kind}\",\"seq\":{seq},\"milestone\":{view}}}")));
                    body = Some(view.to_string());
                }
                m.map(Change::Milestone)
            }
            // A milestone reached, or a challenge whose time ran out: with the
            // totals it was reached at or fell short of.
            Fact::MilestoneReached { milestone_id } | Fact::ChallengeMissed { milestone_id } => {
                let m = s.milestone_state(milestone_id).cloned();
                if let Some(m) = &m {
                    let c = &s.campaigns[&m.milestone.campaign_id];
                    let live_totals = match &m.milestone.live_id {
                        Some(l) => format!(",\"totals\":{}", json(&s.lives[l].totals)),
                        None => String::new(),
                    };
                    frame = Some(Frame::new(
                        seq,
                        format!(
                            "{{\"type\":\"{}\",\"seq\":{seq},\"milestone\":{}{live_totals},\"campaign_totals\":{}}}",
                            ev.fact.kind(),
                            crate::views::milestone_json(m),
                            json(&c.totals)
                        ),
                    ));
                }
                m.map(Change::Milestone)
            }
            Fact::ChallengeCancelled { milestone_id }
            | Fact::MilestoneRemoved { milestone_id }
            | Fact::ChallengeUpdated { milestone: crate::domain::Milestone { id: milestone_id, .. } } => {
                let m = s.milestone_state(milestone_id).cloned();
                if let Some(m) = &m {
                    let view = crate::views::milestone_json(m);
                    frame = Some(Frame::new(
                        seq,
                        format!("{{\"type\":\"{}\",\"seq\":{seq},\"milestone\":{view}}}", ev.fact.kind()),
                    ));
                    body = Some(view.to_string());
                }
                m.map(Change::Milestone)
            }
            Fact::PollStarted { poll: Poll { live_id, id, .. } }
            | Fact::PollUpdated { poll: Poll { live_id, id, .. } }
            | Fact::PollClosed { live_id, poll_id: id } => {
                let p = s.lives.get(live_id).and_then(|l| l.poll(id)).cloned();
                if let Some(p) = &p {
                    let view = crate::views::poll_json(p);
                    frame = Some(Frame::new(
                        seq,
                        format!("{{\"type\":\"{}\",\"seq\":{seq},\"poll\":{view}}}", ev.fact.kind()),
                    ));
                    body = Some(view.to_string());
                }
                p.map(|poll| Change::Poll { live_id: live_id.clone(), poll })
            }
            Fact::RewardOffered { reward: crate::domain::Reward { live_id, id, .. } }
            | Fact::RewardUpdated { reward: crate::domain::Reward { live_id, id, .. } }
            | Fact::RewardClosed { live_id, reward_id: id } => {
                let r = s.lives.get(live_id).and_then(|l| l.reward(id)).cloned();
                if let Some(r) = &r {
                    let view = crate::views::reward_json(r);
                    frame = Some(Frame::new(
                        seq,
                        format!("{{\"type\":\"{}\",\"seq\":{seq},\"reward\":{view}}}", ev.fact.kind()),
                    ));
                    body = Some(view.to_string());
                }
                r.map(|reward| Change::Reward { live_id: live_id.clone(), reward })
            }
            Fact::RewardDelivered { live_id, donation_id, delivered } => {
                let r = s.lives.get(live_id).and_then(|l| l.reward_of(donation_id)).cloned();
                if let Some(r) = &r {
                    let view = crate::views::reward_json(r);
                    frame = Some(Frame::new(
                        seq,
                        format!(
                            "{{\"type\":\"reward_delivered\",\"seq\":{seq},\"donation_id\":{},\"delivered\":{delivered},\"reward\":{view}}}",
                            json(donation_id)
                        ),
                    ));
                    body = Some(view.to_string());
                }
                r.map(|reward| Change::Reward { live_id: live_id.clone(), reward })
            }
            Fact::PrizeDrawn { draw } => {
                let draw = s.lives.get(&draw.live_id).and_then(|l| l.draws.iter().find(|d| d.id == draw.id));
                let winner = draw.and_then(|d| s.donations.get(&d.winner));
                match (draw, winner) {
                    (Some(draw), Some(w)) => {
                        let view = crate::views::draw_json(draw, &w.donation);
                        frame = Some(Frame::new(
                            seq,
                            format!("{{\"type\":\"prize_drawn\",\"seq\":{seq},\"draw\":{view}}}"),
                        ));
                        body = Some(view.to_string());
                        Some(Change::Draw { draw: draw.clone(), winner: w.donation.clone() })
                    }
                    _ => None,
                }
            }
            Fact::CampaignOverlayRotated { campaign_id, overlay_hash } => Some(Change::CampaignOverlay {
                campaign_id: campaign_id.clone(),
                old: before.campaign_token,
                new: *overlay_hash,
            }),
            Fact::CampaignReportRotated { campaign_id, report_hash } => Some(Change::CampaignReport {
                campaign_id: campaign_id.clone(),
                old: before.campaign_token,
                new: *report_hash,
            }),
            // A sponsor added on air is on the campaign's streams at once, like its edits.
            Fact::MatchCreated { r#match: Match { id: match_id, .. } }
            | Fact::MatchStarted { match_id }
            | Fact::MatchEnded { match_id }
            | Fact::MatchUsedUp { match_id }
            | Fact::MatchUpdated { r#match: Match { id: match_id, .. } } => {
                let m = s.match_state(match_id).cloned();
                if let Some(m) = &m {
                    let c = &s.campaigns[&m.r#match.campaign_id];
                    frame = Some(Frame::new(
                        seq,
                        format!(
                            "{{\"type\":\"{}\",\"seq\":{seq},\"match\":{},\"campaign_totals\":{}}}",
                            ev.fact.kind(),
                            crate::views::match_json(m),
                            json(&c.totals)
                        ),
                    ));
                }
                m.map(Change::Match)
            }
        };
        (Pending { seq, change, stream, frame }, body)
    }

    /// The read-model change and the frame body of a donation or refund just folded.
    /// `claimed`: the id of the reward the donation claimed when the caller
    /// knows it (`Some(None)`: none), else `None` to find it among the claims.
    fn donation_change(
        &self,
        donation_id: &str,
        before: Option<Donation>,
        claimed: Option<Option<&str>>,
    ) -> (Change, String) {
        let s = &self.state;
        let received = s.donations[donation_id].seq;
        let d = &s.donations[donation_id].donation;
        let live = &s.lives[d.live_id.as_str()];
        let campaign = &s.campaigns[d.campaign_id.as_str()];
        let reward = match claimed {
            Some(id) => id.and_then(|id| live.reward(id)),
            None => live.reward_of(donation_id),
        };
        let inner = response_inner(d, live, campaign, reward);
        let touched = d
            .allocations
            .iter()
            .filter_map(|a| campaign.matches.iter().find(|m| m.r#match.id == a.match_id))
            .cloned()
            .collect();
        let change = Change::Donation {
            before,
            donation: d.clone(),
            received,
            live_totals: live.totals,
            campaign_totals: campaign.totals,
            live_platform: live.platforms.get(&d.platform).copied().unwrap_or_default(),
            campaign_platform: campaign.platforms.get(&d.platform).copied().unwrap_or_default(),
            matches: touched,
            poll: d.vote.as_deref().and_then(|v| live.poll(&v.poll_id)).cloned(),
            // Or the one it named without getting it (a new donation's is the
            // last one missed, when it missed one), for its host's list.
            reward: reward
                .or_else(|| match claimed {
                    Some(_) => {
                        live.rewards.iter().find(|r| r.missed.last().is_some_and(|m| m.donation_id == donation_id))
                    }
                    None => live.reward_missed_by(donation_id),
                })
                .cloned(),
        };
        (change, inner)
    }

    /// `,"reward":{…}` for a donation that claimed a reward (as it is now), so
    /// that its frames other than its own name it too; empty otherwise.
    fn reward_part(&self, donation_id: &str) -> String {
        let d = &self.state.donations[donation_id].donation;
        let r = self.state.lives.get(d.live_id.as_str()).and_then(|l| l.reward_of(donation_id));
        r.map(|r| format!(",\"reward\":{}", crate::views::reward_json(r))).unwrap_or_default()
    }

    /// The answer first given for this donation, read back from its event's frame.
    fn original_response(&self, donation_id: &str, rows: &[Row]) -> Result<Outcome, LedgerError> {
        let seq = self.state.donations[donation_id].seq;
        let frame = match rows.iter().find(|r| r.event.seq == seq) {
            Some(r) => r.frame.as_ref().map(|f| f.as_str().to_owned()),
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
        let l = &self.state.lives[d.live_id.as_str()];
        let c = &self.state.campaigns[d.campaign_id.as_str()];
        object("", &response_inner(d, l, c, l.reward_of(donation_id)))
    }

    fn rebuild(&mut self) {
        match replay(&self.store, self.state.limits.clone()) {
            Ok(state) => self.state = state,
            Err(err) => tracing::error!(%err, "could not re-read the log; keeping the last state"),
        }
    }
}

/// `"donation":…,"totals":…,"campaign_totals":…,"matches":[…]`: the body shared by
/// a donation's answer and its stream frame. `matches` gives each match's budget;
/// a donation that voted adds `"poll"`, its poll's tallies as of it, and one
/// that claimed a reward `"reward"`, that reward as of it.
fn response_inner(d: &Donation, live: &LiveState, campaign: &CampaignState, reward: Option<&RewardState>) -> String {
    #[derive(serde::Serialize)]
    struct Budget<'a> {
        id: &'a str,
        used: i64,
        left: i64,
    }
    let budgets: Vec<_> =
        campaign.matches.iter().map(|m| Budget { id: &m.r#match.id, used: m.used, left: m.left() }).collect();
    // One buffer for the four parts; serializing plain structs into memory cannot fail.
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(b"\"donation\":");
    let _ = serde_json::to_writer(&mut out, &d.view());
    out.extend_from_slice(b",\"totals\":");
    let _ = serde_json::to_writer(&mut out, &live.totals);
    out.extend_from_slice(b",\"campaign_totals\":");
    let _ = serde_json::to_writer(&mut out, &campaign.totals);
    out.extend_from_slice(b",\"matches\":");
    let _ = serde_json::to_writer(&mut out, &budgets);
    if let Some(p) = d.vote.as_deref().and_then(|v| live.poll(&v.poll_id)) {
        out.extend_from_slice(b",\"poll\":");
        let _ = serde_json::to_writer(&mut out, &crate::views::poll_json(p));
    }
    if let Some(r) = reward {
        out.extend_from_slice(b",\"reward\":");
        let _ = serde_json::to_writer(&mut out, &crate::views::reward_json(r));
    }
    // serde_json writes UTF-8 only.
    String::from_utf8(out).unwrap_or_default()
}

/// `{`, `head`, `inner`, `}`: a frame or an answer around a [`response_inner`], in one allocation.
fn object(head: &str, inner: &str) -> String {
    let mut s = String::with_capacity(head.len() + inner.len() + 2);
    s.push('{');
    s.push_str(head);
    s.push_str(inner);
    s.push('}');
    s
}

fn json<T: serde::Serialize>(v: &T) -> String {
    // Serializing plain data cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

/// `text` (an event's row or a frame, JSON) with the donor's name and message
/// of donation `donation_id` erased wherever that donation appears (an object
/// with its `id`: the event's donation, or its public view in a frame, a draw's
/// winner); `None` when nothing there names them.
pub fn erased_text(text: &str, donation_id: &str) -> Option<String> {
    fn walk(v: &mut serde_json::Value, id: &str) -> bool {
        match v {
            serde_json::Value::Object(o) => {
                let mut changed = false;
                if o.get("id").and_then(|v| v.as_str()) == Some(id) && o.contains_key("donor") {
                    for key in ["donor", "message"] {
                        if let Some(v) = o.get_mut(key).filter(|v| !v.is_null()) {
                            *v = serde_json::Value::Null;
                            changed = true;
                        }
                    }
                    for key in ["donor_masked", "message_masked"] {
                        changed |= o.remove(key).is_some();
                    }
                    // Nothing is left to moderate (the event's own row).
                    if let Some(p) = o.get_mut("pending").filter(|p| **p == serde_json::Value::Bool(true)) {
                        *p = serde_json::Value::Bool(false);
                        changed = true;
                    }
                    if o.get("erased") != Some(&serde_json::Value::Bool(true)) {
                        o.insert("erased".into(), serde_json::Value::Bool(true));
                        changed = true;
                    }
                }
                o.values_mut().fold(changed, |c, v| walk(v, id) | c)
            }
            serde_json::Value::Array(a) => a.iter_mut().fold(false, |c, v| walk(v, id) | c),
            _ => false,
        }
    }
    // Most frames do not name it: no need to read them.
    if !text.contains(donation_id) {
        return None;
    }
    let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
    walk(&mut v, donation_id).then(|| v.to_string())
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
        Command::CreateMilestone { milestone, .. } => milestone.created_at = now,
        Command::CreateChallenge { milestone, .. } => milestone.created_at = now,
        Command::CancelChallenge { at, .. }
        | Command::UpdateChallenge { at, .. }
        | Command::UpdatePoll { at, .. }
        | Command::ClosePoll { at, .. }
        | Command::StartLive { at, .. }
        | Command::EndLive { at, .. }
        | Command::ExtendLive { at, .. } => *at = now,
        Command::StartPoll { poll, .. } => poll.created_at = now,
        Command::OfferReward { reward, .. } => reward.created_at = now,
        Command::AddModerator { moderator, .. } => moderator.created_at = now,
        Command::DrawPrize { draw, .. } => draw.at = now,
        Command::TestAlert { donation, .. } => donation.at = now,
        Command::UpdateCampaign(_)
        | Command::UpdateLive(_)
        | Command::RenameHost { .. }
        | Command::SetLiveGoal { .. }
        | Command::SetStreamUrl { .. }
        | Command::SetModeration { .. }
        | Command::RemoveModerator { .. }
        | Command::Approve { .. }
        | Command::Hide { .. }
        | Command::Show { .. }
        | Command::ReplayAlert { .. }
        | Command::PauseAlerts { .. }
        | Command::SkipAlert { .. }
        | Command::UpdateMatch(_)
        | Command::RotateCampaignOverlay { .. }
        | Command::RotateCampaignReport { .. }
        | Command::ReplaceIntegrationSecret { .. }
        | Command::RemoveIntegration { .. }
        | Command::UpdateSubscriber(_)
        | Command::RemoveSubscriber { .. }
        | Command::RemoveMilestone { .. }
        | Command::EraseDonation { .. }
        | Command::CloseReward { .. }
        | Command::UpdateReward { .. }
        | Command::ReopenReward { .. }
        | Command::DeliverReward { .. } => {}
        Command::Refund { .. } | Command::RotateLiveSecrets { .. } | Command::Tick => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::state::Principal;
    use crate::domain::{Campaign, Live};
    use crate::secret::hash;
    use crate::views::TokenOwner;

    fn writer(dir: &Path) -> Writer {
        let (store, state) = open(dir, Limits::default()).unwrap();
        let (committed, _) = watch::channel(state.last_seq);
        let now = Timestamp::now();
        Writer {
            store,
            state,
            views: Arc::default(),
            hub: Arc::default(),
            clock: Arc::new(move || now),
            committed,
            stats: Arc::default(),
            budgets: HashMap::new(),
        }
    }

    /// Commits `cmds` in one batch, as when they arrive together; returns the answers.
    fn batch(w: &mut Writer, cmds: Vec<Command>) -> Vec<Result<Outcome, LedgerError>> {
        let (mut requests, mut answers) = (Vec::new(), Vec::new());
        for cmd in cmds {
            let (reply, rx) = oneshot::channel();
            requests.push(Request { cmd, reply });
            answers.push(rx);
        }
        w.process(&mut requests);
        answers.into_iter().map(|mut rx| rx.try_recv().unwrap()).collect()
    }

    #[test]
    fn two_rotations_in_one_batch_leave_only_the_newest_tokens_in_the_read_model() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        let eur = crate::money::Currency::parse("EUR").unwrap();
        let campaign = Campaign { overlay_hash: Some(hash("c0")), ..Campaign::new("c", "C", eur) };
        // A live of before the host token: it has none until a rotation makes one.
        let live = Live::new("l", "c", "H", hash("k0"), hash("o0"));
        let created = batch(&mut w, vec![Command::CreateCampaign(campaign), Command::CreateLive(live)]);
        assert!(created.iter().all(|r| r.is_ok()), "{created:?}");
        assert_eq!(w.views.tokens.len(), 3);

        let rotate = |k: &str, o: &str, h: Option<&str>| Command::RotateLiveSecrets {
            by: Principal::Admin,
            live_id: "l".into(),
            key_hash: Some(hash(k)),
            overlay_hash: Some(hash(o)),
            host_hash: h.map(hash),
            moderator_hash: None,
        };
        let overlay = |o: &str| Command::RotateCampaignOverlay { campaign_id: "c".into(), overlay_hash: hash(o) };
        let report = |r: &str| Command::RotateCampaignReport { campaign_id: "c".into(), report_hash: hash(r) };
        let rotated = batch(
            &mut w,
            vec![
                rotate("k1", "o1", Some("h1")),
                overlay("c1"),
                report("r1"),
                rotate("k2", "o2", Some("h2")),
                overlay("c2"),
                report("r2"),
            ],
        );
        assert!(rotated.iter().all(|r| matches!(r, Ok(Outcome::Appended { .. }))), "{rotated:?}");

        // Exactly the five newest hashes are known, each with its owner.
        for (token, owner) in [("k2", TokenOwner::LiveKey), ("o2", TokenOwner::Overlay), ("h2", TokenOwner::Host)] {
            assert_eq!(w.views.tokens.get(&hash(token)).map(|e| e.value().clone()), Some(("l".into(), owner)));
        }
        let campaign_overlay = w.views.tokens.get(&hash("c2")).map(|e| e.value().clone());
        assert_eq!(campaign_overlay, Some(("c".into(), TokenOwner::CampaignOverlay)));
        let charity = w.views.tokens.get(&hash("r2")).map(|e| e.value().clone());
        assert_eq!(charity, Some(("c".into(), TokenOwner::CampaignReport)));
        for gone in ["k0", "o0", "c0", "k1", "o1", "c1", "h1", "r1"] {
            assert!(w.views.tokens.get(&hash(gone)).is_none(), "{gone} is still in the token index");
        }
        assert_eq!(w.views.tokens.len(), 5);

        // A rotation without the host token keeps it.
        let kept = batch(&mut w, vec![rotate("k3", "o3", None)]);
        assert!(kept.iter().all(|r| r.is_ok()), "{kept:?}");
        assert_eq!(w.views.tokens.get(&hash("h2")).map(|e| e.value().1), Some(TokenOwner::Host));
        assert_eq!(w.views.tokens.len(), 5);
    }
}
