//! Public answers that cost a lot to make (a campaign's whole log read, every
//! donor of thousands serialized) and that crowds ask for at once: made once
//! and shared, again once what they show changed; one making at a time for
//! each, whoever asks for it meanwhile waiting for it. While its stream keeps
//! changing, an answer that was long to make (5 ms or more) stands a moment:
//! twenty times what it took, at most `fresh` (a campaign of 24 000 donors,
//! 30 ms to serialize, is made at most every 0.6 s, about 5 % of a core however
//! many ask); a quicker one is made again at each change, so that whoever reads
//! after a change sees it.

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
    /// public page's list), serialized, and gzipped when that is smaller
    /// (standing 1 s at most).
    pub donors: Shared<(axum::body::Bytes, Option<axum::body::Bytes>)>,
    /// A live's or a campaign's every donor's name, alphabetically, and how
    /// many gifts show none: the chat's thank-you (standing 1 s at most).
    pub thanked: Shared<(Vec<String>, u64)>,
}

impl Public {
    /// Forgets the answers that name donors (after an erasure).
    pub fn forget_names(&self) {
        self.donors.forget();
        self.thanked.forget();
    }
}

impl Default for Public {
    fn default() -> Public {
        let second = Duration::from_secs(1);
        Public { days: Shared::new(2 * second), donors: Shared::new(second), thanked: Shared::new(second) }
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
    /// One making at a time for each key; other keys go on meanwhile.
    making: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The longest an answer stands once its stream has changed.
    fresh: Duration,
    /// Answers made, for `/metrics`.
    pub makes: AtomicU64,
    /// Bumped by [`Shared::forget`]: an answer begun before is not kept.
    forgotten: AtomicU64,
}

impl<T> Shared<T> {
    pub fn new(fresh: Duration) -> Shared<T> {
        Shared {
            made: Mutex::default(),
            making: Mutex::default(),
            fresh,
            makes: AtomicU64::new(0),
            forgotten: AtomicU64::new(0),
        }
    }

    /// Forgets every answer, and those being made.
    pub fn forget(&self) {
        self.forgotten.fetch_add(1, Relaxed);
        self.made.lock().unwrap_or_else(|p| p.into_inner()).clear();
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
        let turn = {
            let mut making = self.making.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(making.entry(key.to_owned()).or_default())
        };
        let _one = turn.lock().await;
        // Made while this request waited.
        if let Some(a) = self.standing(key, seq) {
            return Ok(a);
        }
        self.makes.fetch_add(1, Relaxed);
        let (started, forgotten) = (Instant::now(), self.forgotten.load(Relaxed));
        let a = Arc::new(make().await?);
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        // Begun before a `forget`: for this request only.
        if self.forgotten.load(Relaxed) == forgotten {
            made.insert(key.to_owned(), (seq, Instant::now(), started.elapsed(), Arc::clone(&a)));
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After `forget` (an erasure), no answer made before is given again, nor
    /// one whose making began before.
    #[tokio::test]
    async fn a_forgotten_answer_is_made_again() {
        let shared = Arc::new(Shared::<u32>::new(Duration::from_secs(1)));
        let get = async |value: u32| *shared.get("a", 1, async || Ok::<_, ()>(value)).await.unwrap();
        assert_eq!((get(1).await, get(2).await), (1, 1));
        shared.forget();
        assert_eq!((get(3).await, get(4).await), (3, 3));
        // Forgotten while it is made: given to whoever asked, kept for no one.
        let (done, wait) = tokio::sync::oneshot::channel::<()>();
        let during = {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                *shared.get("a", 2, async || Ok::<_, ()>(wait.await.map(|()| 5).unwrap())).await.unwrap()
            })
        };
        tokio::task::yield_now().await;
        shared.forget();
        done.send(()).unwrap();
        assert_eq!(during.await.unwrap(), 5);
        assert_eq!(*shared.get("a", 2, async || Ok::<_, ()>(6)).await.unwrap(), 6);
        assert_eq!(shared.makes.load(Relaxed), 4);
    }

    /// An answer being made holds whoever asks for it, not those who ask for
    /// another; those it held get the one made.
    #[tokio::test]
    async fn a_making_holds_only_those_who_ask_for_its_answer() {
        let shared = Arc::new(Shared::<u32>::new(Duration::from_secs(1)));
        let (done, wait) = tokio::sync::oneshot::channel::<()>();
        let ask = |key: &'static str, value: u32, wait: Option<tokio::sync::oneshot::Receiver<()>>| {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let made = shared
                    .get(key, 1, async || {
                        if let Some(w) = wait {
                            w.await.unwrap();
                        }
                        Ok::<_, ()>(value)
                    })
                    .await;
                *made.unwrap()
            })
        };
        let first = ask("a", 1, Some(wait));
        tokio::task::yield_now().await;
        // "a" is being made (until `done`): "b" is made meanwhile.
        let other = tokio::time::timeout(Duration::from_secs(10), ask("b", 2, None)).await;
        assert_eq!(other.expect("b is not held by a's making").unwrap(), 2);
        let second = ask("a", 3, None);
        tokio::task::yield_now().await;
        assert!(!second.is_finished());
        done.send(()).unwrap();
        assert_eq!((first.await.unwrap(), second.await.unwrap()), (1, 1));
        assert_eq!(shared.makes.load(Relaxed), 2);
    }
}
