//! Per-live fan-out. Each event's frame is serialized once by the ledger writer and
//! shared by every subscriber (a cheap reference-counted clone). The frames of one
//! group commit travel as one [`Batch`]: a subscriber wakes once for all of them
//! and writes them to its socket at once. The broadcast is
//! bounded: a subscriber that falls behind is told it lagged and is closed by its
//! session, never waited for. A short ring of recent frames lets a reconnecting
//! client resume without touching the database.

use axum::extract::ws::Utf8Bytes;
use dashmap::DashMap;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

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

/// The frames of one stream committed together, oldest first.
pub type Batch = Arc<[Frame]>;

/// Batches a subscriber may fall behind before it is closed.
pub const BROADCAST_CAPACITY: usize = 512;
pub const RING_CAPACITY: usize = 256;

struct Ring {
    frames: VecDeque<Frame>,
    /// Every frame of this live with a seq above `floor` is in `frames`.
    floor: u64,
}

pub struct Channel {
    tx: broadcast::Sender<Batch>,
    ring: Mutex<Ring>,
}

impl Channel {
    /// Frames with `after < seq <= upto`, if the ring still holds all of them.
    pub fn since(&self, after: u64, upto: u64) -> Option<Vec<Frame>> {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        if after < ring.floor {
            return None;
        }
        Some(ring.frames.iter().filter(|f| f.seq > after && f.seq <= upto).cloned().collect())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Batch> {
        self.tx.subscribe()
    }

    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}

#[derive(Default)]
pub struct Hub {
    channels: DashMap<String, Arc<Channel>>,
}

impl Hub {
    /// The channel key of a campaign stream (live ids never contain `:`).
    pub fn campaign_key(campaign_id: &str) -> String {
        format!("campaign:{campaign_id}")
    }

    /// Opens the channel of a live whose stream holds nothing above `floor` yet.
    pub fn open(&self, live_id: &str, floor: u64) {
        self.channels.entry(live_id.to_owned()).or_insert_with(|| {
            Arc::new(Channel {
                tx: broadcast::channel(BROADCAST_CAPACITY).0,
                ring: Mutex::new(Ring { frames: VecDeque::with_capacity(16), floor }),
            })
        });
    }

    pub fn channel(&self, live_id: &str) -> Option<Arc<Channel>> {
        self.channels.get(live_id).map(|c| Arc::clone(c.value()))
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

    /// Sends a stream's frames of one batch (already recorded), in seq order.
    pub fn send(&self, key: &str, frames: Vec<Frame>) {
        let Some(ch) = self.channel(key) else { return };
        // No subscriber is not an error.
        let _ = ch.tx.send(frames.into());
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
}
