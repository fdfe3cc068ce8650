//! Public answers that cost a lot to make (a campaign's whole log read, every
//! donor of thousands serialized) and that crowds ask for at once: made once
//! and shared, again once what they show changed, one making at a time while
//! the others wait for it. While its stream keeps changing, an answer that was
//! long to make (5 ms or more) stands a moment: twenty times what it took, at
//! most `fresh` (a campaign of 24 000 donors, 30 ms to serialize, is made at
//! most every 0.6 s, about 5 % of a core however many ask); a quicker one is
//! made again at each change, so that whoever reads after a change sees it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The public answers shared so.
pub struct Public {
    /// A campaign's donations by quarter of an hour, read from its log, for
    /// its day by day (standing 2 s at most).
    pub days: Shared<Vec<crate::http::admin::Quarter>>,
    /// A live's or a campaign's every donor (`/donors`, the credits and the
    /// public page's list), serialized (standing 1 s at most).
    pub donors: Shared<axum::body::Bytes>,
}

impl Default for Public {
    fn default() -> Public {
        Public { days: Shared::new(Duration::from_secs(2)), donors: Shared::new(Duration::from_secs(1)) }
    }
}

/// An answer, the seq of the stream it shows at least, when it was made and
/// how long that took.
type Made<T> = (u64, Instant, Duration, Arc<T>);

/// How many times its making an answer stands once its stream has changed.
const STANDS: u32 = 20;
/// An answer quicker to make than this is made again at each change.
const WORTH_STANDING: Duration = Duration::from_millis(5);

/// Answers by key (a campaign's or a live's id).
pub struct Shared<T> {
    made: Mutex<HashMap<String, Made<T>>>,
    making: tokio::sync::Mutex<()>,
    /// The longest an answer stands once its stream has changed.
    fresh: Duration,
    /// Answers made, for `/metrics`.
    pub makes: AtomicU64,
}

impl<T> Shared<T> {
    pub fn new(fresh: Duration) -> Shared<T> {
        Shared { made: Mutex::default(), making: tokio::sync::Mutex::new(()), fresh, makes: AtomicU64::new(0) }
    }

    /// `key`'s answer that shows `seq`, or that still stands.
    fn standing(&self, key: &str, seq: u64) -> Option<Arc<T>> {
        let made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        made.get(key)
            .filter(|(s, at, took, _)| {
                *s >= seq || (*took >= WORTH_STANDING && at.elapsed() < (*took * STANDS).min(self.fresh))
            })
            .map(|(.., a)| Arc::clone(a))
    }

    /// `key`'s answer as its stream stands at `seq`: the standing one, else one
    /// `make` makes, which whoever asks meanwhile waits for and shares.
    pub async fn get<E>(&self, key: &str, seq: u64, make: impl AsyncFnOnce() -> Result<T, E>) -> Result<Arc<T>, E> {
        if let Some(a) = self.standing(key, seq) {
            return Ok(a);
        }
        let _one = self.making.lock().await;
        // Made while this request waited.
        if let Some(a) = self.standing(key, seq) {
            return Ok(a);
        }
        self.makes.fetch_add(1, Relaxed);
        let started = Instant::now();
        let a = Arc::new(make().await?);
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        made.insert(key.to_owned(), (seq, Instant::now(), started.elapsed(), Arc::clone(&a)));
        Ok(a)
    }
}
