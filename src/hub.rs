//! Per-live fan-out. Each event's frame is serialized once by the ledger writer,
//! and the frames of one group commit travel as one [`Batch`], framed for
//! WebSocket once: every subscriber gets the same bytes in one write (see
//! [`crate::fanout`]). The broadcast to the fan-out tasks is bounded: a
//! subscriber that falls behind is told it lagged and is closed, never waited
//! for. A short ring of recent frames lets a reconnecting client resume without
//! touching the database.

use crate::fanout::{Outbox, Shard};
use axum::body::Bytes;
use dashmap::DashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// One serialized event of a live stream.
#[derive(Debug, Clone)]
pub struct Frame {
    pub seq: u64,
    pub text: Utf8Bytes,
}

impl Frame {
    pub fn new(seq: u64, text: String) -> Frame {
        Frame { seq, text: Utf8Bytes::from(text) }
    }

    /// The same event marked `"replay": true`, for frames sent again on resume.
    pub fn replayed(&self) -> Utf8Bytes {
        let body = self.text.as_str();
        Utf8Bytes::from(format!("{{\"replay\":true,{}", &body[1..]))
    }
}

/// The frames of one stream committed together, oldest first, with their
/// WebSocket bytes end to end.
pub struct Batch {
    pub frames: Vec<Frame>,
    pub wire: Bytes,
    /// Where each frame's bytes end in `wire`.
    ends: Vec<usize>,
}

impl Batch {
    pub fn new(frames: Vec<Frame>) -> Batch {
        let mut wire = Vec::with_capacity(frames.iter().map(|f| f.text.len() + 4).sum());
        let mut ends = Vec::with_capacity(frames.len());
        let header = FrameHeader { opcode: OpCode::Data(Data::Text), ..FrameHeader::default() };
        for f in &frames {
            header.format(f.text.len() as u64, &mut wire).expect("writing to a Vec cannot fail");
            wire.extend_from_slice(f.text.as_bytes());
            ends.push(wire.len());
        }
        Batch { frames, wire: wire.into(), ends }
    }

    pub fn first_seq(&self) -> Option<u64> {
        self.frames.first().map(|f| f.seq)
    }

    /// Each frame's seq and WebSocket bytes.
    pub fn wires(&self) -> impl Iterator<Item = (u64, Bytes)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.frames.iter().zip(starts.zip(&self.ends)).map(|(f, (a, &b))| (f.seq, self.wire.slice(a..b)))
    }
}

/// Batches a subscriber may fall behind before it is closed.
pub const BROADCAST_CAPACITY: usize = 512;
pub const RING_CAPACITY: usize = 256;

struct Ring {
    frames: VecDeque<Frame>,
    /// Every frame of this live with a seq above `floor` is in `frames`.
    floor: u64,
}

pub struct Channel {
    tx: broadcast::Sender<Arc<Batch>>,
    ring: Mutex<Ring>,
    /// The fan-out tasks, each with up to [`crate::fanout::SHARD_SIZE`] subscribers.
    shards: Mutex<Vec<Arc<Shard>>>,
    linger: Duration,
    /// Open sessions with a token (overlays, bots), then public ones (viewer pages).
    watchers: [AtomicUsize; 2],
    /// Bumped each time the stream's overlay token is replaced (see
    /// [`Channel::revoke_overlays`]).
    overlay_generation: AtomicU64,
    /// Wakes the sessions of other streams opened with this stream's overlay
    /// token (a host's link that follows their lives) when it is replaced.
    replaced: Notify,
    /// A public stream (a campaign's or a live's): the seqs of the first and
    /// the last new gift it did not get since its last totals frame, or 0
    /// (see [`Hub::owed_feeds`]).
    owed: [AtomicU64; 2],
}

/// Who follows a stream: a session with a token (an overlay in OBS, a bot) or a
/// public page's viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watcher {
    Overlay,
    Viewer,
}

/// Counts a session among its stream's watchers until it is dropped.
pub struct Watching {
    channel: Arc<Channel>,
    who: Watcher,
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.channel.watchers[self.who as usize].fetch_sub(1, Ordering::Relaxed);
    }
}

impl Channel {
    /// Counts `who` among this stream's watchers while the result is held.
    pub fn watch(self: &Arc<Self>, who: Watcher) -> Watching {
        self.watchers[who as usize].fetch_add(1, Ordering::Relaxed);
        Watching { channel: Arc::clone(self), who }
    }

    /// Which overlay token of this stream is current, as a count of its
    /// replacements. A session reads it before its token is checked, and
    /// compares once it has joined: a replacement in between ends it too.
    pub fn overlay_generation(&self) -> u64 {
        self.overlay_generation.load(Ordering::Acquire)
    }

    /// Ends every session that joined with the stream's overlay token so far
    /// (those joining later see the generation move); the read model must
    /// already refuse the old token.
    pub fn revoke_overlays(&self) {
        let shards = self.shards.lock().unwrap_or_else(PoisonError::into_inner);
        self.overlay_generation.fetch_add(1, Ordering::AcqRel);
        for shard in shards.iter() {
            shard.halt_revocable();
        }
        self.replaced.notify_waiters();
    }

    /// Resolves once the stream's overlay token is replaced after `generation`
    /// (for a session of another stream opened with it).
    pub async fn replaced_since(&self, generation: u64) {
        loop {
            let woken = self.replaced.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if self.overlay_generation() != generation {
                return;
            }
            woken.await;
        }
    }

    /// Open sessions: (with a token, public).
    pub fn watchers(&self) -> (usize, usize) {
        (self.watchers[0].load(Ordering::Relaxed), self.watchers[1].load(Ordering::Relaxed))
    }

    /// Frames with `after < seq <= upto`, if the ring still holds all of them.
    pub fn since(&self, after: u64, upto: u64) -> Option<Vec<Frame>> {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        if after < ring.floor {
            return None;
        }
        Some(ring.frames.iter().filter(|f| f.seq > after && f.seq <= upto).cloned().collect())
    }

    /// Adds a socket to this stream's fan-out; its live frames are held until
    /// the session releases them ([`Outbox::release`]).
    pub fn join(&self, outbox: &Arc<Outbox>) {
        let mut shards = self.shards.lock().unwrap_or_else(PoisonError::into_inner);
        // Room first where there was some; then room left by finished members.
        if shards.iter().any(|s| s.try_add(outbox, false)) || shards.iter().any(|s| s.try_add(outbox, true)) {
            return;
        }
        let shard = Shard::spawn(self.tx.subscribe(), self.linger);
        shard.try_add(outbox, false);
        shards.push(shard);
    }
}

const TOTALS_PREFIX: &str = "totals:";
const FEED_PREFIX: &str = "feed:";
const LIVE_FEED_PREFIX: &str = "public:";

/// A public stream whose new gifts are budgeted (see [`GiftBudget`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    /// A campaign's page's: every live's gifts.
    Campaign(String),
    /// A live's page's: its own gifts.
    Live(String),
}

impl Feed {
    pub fn key(&self) -> String {
        match self {
            Feed::Campaign(id) => Hub::feed_key(id),
            Feed::Live(id) => Hub::live_feed_key(id),
        }
    }

    fn of_key(key: &str) -> Option<Feed> {
        if let Some(id) = key.strip_prefix(FEED_PREFIX) {
            return Some(Feed::Campaign(id.to_owned()));
        }
        key.strip_prefix(LIVE_FEED_PREFIX).map(|id| Feed::Live(id.to_owned()))
    }
}

/// New gifts a campaign's or a live's public pages get in a burst, and then
/// per second (see [`GiftBudget`]).
pub const FEED_BURST: f64 = 20.0;
pub const FEED_PER_SEC: f64 = 10.0;

/// How many of a campaign's (or a live's) new gifts its public pages' stream
/// still gets as they come: a bucket of [`FEED_BURST`] filled at
/// [`FEED_PER_SEC`]. A page lists the newest twenty, which no one reads faster
/// than that; beyond it, a busy evening's gifts would cost the server one
/// frame per gift per viewer. The totals stay exact: the stream gets a
/// `totals` frame within a quarter of a second of a gift held back, and the
/// page reads the newest gifts again from its document.
#[derive(Debug, Clone, Copy)]
pub struct GiftBudget {
    left: f64,
    at: std::time::Instant,
}

impl GiftBudget {
    pub fn new(now: std::time::Instant) -> GiftBudget {
        GiftBudget { left: FEED_BURST, at: now }
    }

    /// Whether one more gift goes to the pages now (and counts it).
    pub fn take(&mut self, now: std::time::Instant) -> bool {
        let filled = now.saturating_duration_since(self.at).as_secs_f64() * FEED_PER_SEC;
        self.left = (self.left + filled).min(FEED_BURST);
        self.at = now;
        let pass = self.left >= 1.0;
        if pass {
            self.left -= 1.0;
        }
        pass
    }
}

#[derive(Default)]
pub struct Hub {
    channels: DashMap<String, Arc<Channel>>,
    /// The least time between two fan-out passes of one shard (0: a pass per batch).
    linger: Duration,
}

impl Hub {
    /// A hub whose streams fan out at most once per `linger` per shard when
    /// batches come faster than that (see [`crate::fanout::Shard::spawn`]).
    pub fn with_linger(linger: Duration) -> Hub {
        Hub { channels: DashMap::new(), linger }
    }

    /// The channel key of a campaign stream (live ids never contain `:`).
    pub fn campaign_key(campaign_id: &str) -> String {
        format!("campaign:{campaign_id}")
    }

    /// The channel key of a campaign's public stream: its events, with only so
    /// many new gifts a second (see [`GiftBudget`]).
    pub fn feed_key(campaign_id: &str) -> String {
        format!("{FEED_PREFIX}{campaign_id}")
    }

    /// The channel key of a live's public stream (see [`Feed`]).
    pub fn live_feed_key(live_id: &str) -> String {
        format!("{LIVE_FEED_PREFIX}{live_id}")
    }

    /// Whether someone follows the stream of `key` now.
    pub fn followed(&self, key: &str) -> bool {
        self.channels.get(key).is_some_and(|ch| ch.tx.receiver_count() > 0)
    }

    /// Notes that a public stream did not get the frames of seqs
    /// `from..=upto`, when someone follows it.
    pub fn owe(&self, key: &str, from: u64, upto: u64) {
        if let Some(ch) = self.channels.get(key)
            && ch.tx.receiver_count() > 0
        {
            // The first one held back since the last totals frame stays.
            let _ = ch.owed[0].compare_exchange(0, from, Ordering::AcqRel, Ordering::Acquire);
            ch.owed[1].fetch_max(upto, Ordering::AcqRel);
        }
    }

    /// The public streams that did not get some of their new gifts since
    /// they were last told, each with the first and last seq it missed; owed
    /// no more (see [`Hub::owe`] to owe them again).
    pub fn owed_feeds(&self) -> Vec<(Feed, u64, u64)> {
        self.channels
            .iter()
            .filter_map(|c| {
                let feed = Feed::of_key(c.key())?;
                let upto = c.value().owed[1].swap(0, Ordering::AcqRel);
                let from = c.value().owed[0].swap(0, Ordering::AcqRel);
                (upto > 0).then(|| (feed, from.clamp(1, upto), upto))
            })
            .collect()
    }

    /// Open sessions of a campaign's stream (with a token) and of its public one.
    pub fn campaign_watchers(&self, campaign_id: &str) -> (usize, usize) {
        let (overlays, viewers) = self.watchers(&Hub::campaign_key(campaign_id));
        let (_, public) = self.watchers(&Hub::feed_key(campaign_id));
        (overlays, viewers + public)
    }

    /// Open sessions of a live's stream (with a token) and of its public one.
    pub fn live_watchers(&self, live_id: &str) -> (usize, usize) {
        let (overlays, viewers) = self.watchers(live_id);
        let (_, public) = self.watchers(&Hub::live_feed_key(live_id));
        (overlays, viewers + public)
    }

    /// The channel key of a campaign's totals stream.
    pub fn totals_key(campaign_id: &str) -> String {
        format!("{TOTALS_PREFIX}{campaign_id}")
    }

    /// The campaigns whose totals stream someone follows now.
    pub fn followed_totals(&self) -> Vec<String> {
        self.channels
            .iter()
            .filter_map(|c| {
                let (overlays, viewers) = c.value().watchers();
                let campaign = c.key().strip_prefix(TOTALS_PREFIX)?;
                (overlays + viewers > 0).then(|| campaign.to_owned())
            })
            .collect()
    }

    /// Opens the channel of a live whose stream holds nothing above `floor` yet.
    pub fn open(&self, live_id: &str, floor: u64) {
        self.channels.entry(live_id.to_owned()).or_insert_with(|| {
            Arc::new(Channel {
                tx: broadcast::channel(BROADCAST_CAPACITY).0,
                ring: Mutex::new(Ring { frames: VecDeque::with_capacity(16), floor }),
                shards: Mutex::new(Vec::new()),
                linger: self.linger,
                watchers: Default::default(),
                overlay_generation: AtomicU64::new(0),
                replaced: Notify::new(),
                owed: Default::default(),
            })
        });
    }

    pub fn channel(&self, live_id: &str) -> Option<Arc<Channel>> {
        self.channels.get(live_id).map(|c| Arc::clone(c.value()))
    }

    /// Open sessions of a stream: (with a token, public); none for a stream not open.
    pub fn watchers(&self, key: &str) -> (usize, usize) {
        self.channels.get(key).map_or((0, 0), |c| c.watchers())
    }

    /// Keeps a committed frame for resumes. The ledger writer calls it before the
    /// read model shows the frame's seq, so a snapshot at seq S always finds
    /// every frame up to S here or in the log.
    pub fn record(&self, key: &str, frame: &Frame) {
        let Some(ch) = self.channel(key) else { return };
        let mut ring = ch.ring.lock().unwrap_or_else(|e| e.into_inner());
        if ring.frames.len() == RING_CAPACITY
            && let Some(old) = ring.frames.pop_front()
        {
            ring.floor = old.seq;
        }
        ring.frames.push_back(frame.clone());
    }

    /// Rewrites the ring's frames that `rewrite` changes (a donor's erased name
    /// and message): a resume never sends them again as they were.
    pub fn rewrite(&self, key: &str, rewrite: impl Fn(&str) -> Option<String>) {
        let Some(ch) = self.channel(key) else { return };
        let mut ring = ch.ring.lock().unwrap_or_else(|e| e.into_inner());
        for f in ring.frames.iter_mut() {
            if let Some(text) = rewrite(f.text.as_str()) {
                *f = Frame::new(f.seq, text);
            }
        }
    }

    /// Sends a stream's frames of one batch (already recorded), in seq order.
    pub fn send(&self, key: &str, frames: Vec<Frame>) {
        let Some(ch) = self.channel(key) else { return };
        if frames.is_empty() || ch.tx.receiver_count() == 0 {
            return;
        }
        // No subscriber is not an error.
        let _ = ch.tx.send(Arc::new(Batch::new(frames)));
    }

    /// `record` then `send`.
    pub fn publish(&self, key: &str, frames: Vec<Frame>) {
        for f in &frames {
            self.record(key, f);
        }
        self.send(key, frames);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_serves_resumes_it_still_covers() {
        let hub = Hub::default();
        hub.open("l", 10);
        for seq in 11..=(10 + RING_CAPACITY as u64 + 5) {
            hub.publish("l", vec![Frame::new(seq, format!("{{\"seq\":{seq}}}"))]);
        }
        let ch = hub.channel("l").unwrap();
        assert!(ch.since(10, 1000).is_none(), "evicted frames must come from the log");
        let got = ch.since(15, 20).unwrap();
        assert_eq!(got.iter().map(|f| f.seq).collect::<Vec<_>>(), vec![16, 17, 18, 19, 20]);
        assert_eq!(got[0].replayed().as_str(), "{\"replay\":true,\"seq\":16}");
    }

    #[test]
    fn a_campaign_s_pages_get_a_burst_of_gifts_then_ten_a_second() {
        let t0 = std::time::Instant::now();
        let mut budget = GiftBudget::new(t0);
        let passed = (0..100).filter(|_| budget.take(t0)).count();
        assert_eq!(passed, 20);
        // A second later: ten more, not twenty.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!((0..100).filter(|_| budget.take(t1)).count(), 10);
        // A tenth of a second: one.
        let t2 = t1 + Duration::from_millis(100);
        assert!(budget.take(t2));
        assert!(!budget.take(t2));
        // A quiet minute fills it up to the burst, no more.
        let t3 = t2 + Duration::from_secs(60);
        assert_eq!((0..100).filter(|_| budget.take(t3)).count(), 20);
    }
}
