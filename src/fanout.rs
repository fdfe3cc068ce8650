//! Direct fan-out to WebSocket sockets. A stream's frames reach its sockets from a
//! few fan-out tasks, one per [`SHARD_SIZE`] subscribers, as ready-made WebSocket
//! bytes built once per batch: an event wakes a handful of tasks instead of one
//! task per socket.
//!
//! Each socket sits in an [`Outbox`] shared by its fan-out task and its session.
//! While the socket takes what it is given, the fan-out task writes to it directly
//! (a non-blocking write) and the session sleeps. When a write would block, the
//! rest is queued and the session takes the writing over, with its send timeout,
//! until the queue is empty; meanwhile the fan-out task only appends. The session
//! also reads the socket (pongs, closes) and writes its own frames (snapshot,
//! replay, pings, close) through [`SessionIo`], which queues them in order with
//! the live frames.

use crate::hub::Batch;
use axum::body::Bytes;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::time::{Duration, Instant};

/// An upgraded connection, plain TCP or TLS.
pub type Io = TokioIo<Upgraded>;

/// Subscribers one fan-out task serves: few wake-ups per event, and still enough
/// tasks for both cores to share a big live's fan-out.
pub const SHARD_SIZE: usize = 128;
/// Bytes of live frames a subscriber may leave unread (beyond what its socket
/// holds) before it is closed as too slow.
pub const MAX_BEHIND: usize = 1024 * 1024;
/// Frames fanned out in one pass when several batches are waiting.
const COALESCE: usize = 64;
/// Buffers gathered into one vectored write.
const MAX_IOV: usize = 64;

/// Why a subscriber stopped receiving live frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It fell behind, or its fan-out task did: frames were missed.
    Lagged,
    /// The stream is gone.
    Closed,
    /// The socket failed, or the session is ending.
    Gone,
    /// The overlay token the session was opened with was replaced.
    Revoked,
}

struct Out {
    io: Option<Io>,
    /// Bytes not written yet, in order.
    queue: VecDeque<Bytes>,
    /// The front of `queue` is partly written: it is finished before anything else.
    front_started: bool,
    /// `Some` while the session writes its snapshot and replay: live frames wait
    /// here with their seq.
    held: Option<Vec<(u64, Bytes)>>,
    /// Frames up to this seq are in the snapshot and are not sent again.
    skip_upto: u64,
    /// The session does the writing; the fan-out task only appends to `queue`.
    session_writes: bool,
    /// Live bytes queued or held since the queue was last empty.
    behind: usize,
    stop: Option<Stop>,
}

impl Out {
    fn queue_live(&mut self, data: Bytes) {
        self.behind += data.len();
        self.queue.push_back(data);
        if self.behind > MAX_BEHIND {
            self.stop = Some(Stop::Lagged);
        }
    }

    /// Writes live bytes at once when the socket takes them, else queues the rest
    /// and hands the writing to the session. No waker is registered here: the
    /// session registers its own when it writes. True when the session must act.
    fn push_live(&mut self, data: Bytes) -> bool {
        if self.session_writes {
            self.queue_live(data);
            return true;
        }
        let Some(io) = self.io.as_mut() else { return false };
        let mut cx = Context::from_waker(Waker::noop());
        let whole = data.len();
        let mut rest = data;
        while !rest.is_empty() {
            match Pin::new(&mut *io).poll_write(&mut cx, &rest) {
                Poll::Ready(Ok(n)) if n > 0 => rest = rest.slice(n..),
                Poll::Pending => break,
                Poll::Ready(_) => {
                    self.stop = Some(Stop::Gone);
                    return true;
                }
            }
        }
        match Pin::new(&mut *io).poll_flush(&mut cx) {
            Poll::Ready(Ok(())) if rest.is_empty() => return false,
            Poll::Ready(Err(_)) => {
                self.stop = Some(Stop::Gone);
                return true;
            }
            _ => {}
        }
        self.session_writes = true;
        if !rest.is_empty() {
            self.front_started = rest.len() < whole;
            self.queue_live(rest);
        }
        true
    }

    /// Writes the queue out, then flushes; ready once everything is written.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(io) = self.io.as_mut() else { return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())) };
        while !self.queue.is_empty() {
            let mut n = {
                let mut iov = [IoSlice::new(&[]); MAX_IOV];
                let k = iov.iter_mut().zip(&self.queue).map(|(slot, b)| *slot = IoSlice::new(b)).count();
                ready!(Pin::new(&mut *io).poll_write_vectored(cx, &iov[..k]))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            while let Some(front) = self.queue.front_mut() {
                if n < front.len() {
                    if n > 0 {
                        *front = front.slice(n..);
                        self.front_started = true;
                    }
                    break;
                }
                n -= front.len();
                self.queue.pop_front();
                self.front_started = false;
            }
        }
        ready!(Pin::new(io).poll_flush(cx))?;
        self.behind = 0;
        if self.held.is_none() {
            self.session_writes = false;
        }
        Poll::Ready(Ok(()))
    }
}

/// One socket's writing, shared by its fan-out task and its session.
pub struct Outbox {
    out: Mutex<Out>,
    wake: Notify,
    /// Opened with an overlay token, so ended when that token is replaced.
    revocable: bool,
}

impl Outbox {
    /// A socket whose live frames are held until [`Outbox::release`]; a
    /// `revocable` one was opened with an overlay token.
    pub fn new(io: Io, revocable: bool) -> Outbox {
        Outbox {
            out: Mutex::new(Out {
                io: Some(io),
                queue: VecDeque::new(),
                front_started: false,
                held: Some(Vec::new()),
                skip_upto: 0,
                session_writes: true,
                behind: 0,
                stop: None,
            }),
            wake: Notify::new(),
            revocable,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Out> {
        self.out.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One pass of the fan-out: `all` is the batches' bytes end to end, from the
    /// frame with seq `first`. False once this subscriber takes no more frames.
    fn deliver(&self, batches: &[Arc<Batch>], first: u64, all: &Bytes) -> bool {
        let mut out = self.lock();
        if out.stop.is_some() {
            return false;
        }
        let wake = if let Some(held) = out.held.as_mut() {
            let before = held.len();
            held.extend(batches.iter().flat_map(|b| b.wires()));
            let added: usize = held[before..].iter().map(|(_, w)| w.len()).sum();
            out.behind += added;
            if out.behind > MAX_BEHIND {
                out.stop = Some(Stop::Lagged);
            }
            out.stop.is_some()
        } else if first > out.skip_upto {
            out.push_live(all.clone())
        } else {
            // Rare: frames the snapshot already showed are still in flight.
            let skip = out.skip_upto;
            let mut fresh = Vec::new();
            for (_, w) in batches.iter().flat_map(|b| b.wires()).filter(|(seq, _)| *seq > skip) {
                fresh.extend_from_slice(&w);
            }
            !fresh.is_empty() && out.push_live(fresh.into())
        };
        let alive = out.stop.is_none();
        drop(out);
        if wake {
            self.wake.notify_one();
        }
        alive
    }

    /// Stops live frames (the first reason is kept) and wakes the session.
    pub fn halt(&self, why: Stop) {
        self.lock().stop.get_or_insert(why);
        self.wake.notify_one();
    }

    /// The session has written its snapshot, which shows every frame up to
    /// `snapshot_seq`, and its replay: the live frames after it follow.
    pub fn release(&self, snapshot_seq: u64) {
        let mut out = self.lock();
        out.skip_upto = snapshot_seq;
        if let Some(held) = out.held.take() {
            out.queue.extend(held.into_iter().filter(|(seq, _)| *seq > snapshot_seq).map(|(_, w)| w));
        }
        drop(out);
        self.wake.notify_one();
    }

    /// Waits until the fan-out needs the session: bytes to drain, or a stop.
    pub async fn notified(&self) {
        self.wake.notified().await;
    }

    /// Why live frames stopped, if they did. A subscriber that fell behind loses
    /// its queued frames (it resumes with `after=`), all but one already begun.
    pub fn stopped(&self) -> Option<Stop> {
        let mut out = self.lock();
        if out.stop == Some(Stop::Lagged) {
            let keep = usize::from(out.front_started);
            out.queue.truncate(keep);
        }
        out.stop
    }

    fn finished(&self) -> bool {
        self.lock().stop.is_some()
    }

    /// Closes the socket: nothing more is written or read.
    fn finish(&self) {
        let mut out = self.lock();
        out.stop.get_or_insert(Stop::Gone);
        out.io = None;
        out.queue.clear();
        out.held = None;
    }
}

/// The session's side of an [`Outbox`]: reads the socket, and writes in order
/// with the live frames. Dropping it closes the socket.
pub struct SessionIo(Arc<Outbox>);

impl SessionIo {
    pub fn new(outbox: Arc<Outbox>) -> SessionIo {
        SessionIo(outbox)
    }
}

impl Drop for SessionIo {
    fn drop(&mut self) {
        self.0.finish();
    }
}

impl AsyncRead for SessionIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.0.lock().io.as_mut() {
            Some(io) => Pin::new(io).poll_read(cx, buf),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for SessionIo {
    /// Always takes the whole buffer (queued); the flush writes it.
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut out = self.0.lock();
        if out.io.is_none() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        out.queue.push_back(Bytes::copy_from_slice(buf));
        out.session_writes = true;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.lock().poll_drain(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut out = self.0.lock();
        ready!(out.poll_drain(cx))?;
        match out.io.as_mut() {
            Some(io) => Pin::new(io).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

/// The threads the fan-out tasks run on, apart from the ones serving HTTP: a
/// stream with thousands of subscribers then does not hold requests, and the
/// replies of the next commit, in the queue behind its writes; the kernel shares
/// the cores between both. The tasks only write to sockets without waiting on
/// them (see [`Outbox::deliver`]), so they need no I/O driver of their own.
/// Created once per process and never dropped.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("fanout")
            .enable_time()
            .build()
            .expect("the fan-out threads start")
    })
}

/// The subscribers one fan-out task writes to.
pub struct Shard {
    members: Mutex<Vec<Arc<Outbox>>>,
    /// `members.len()` as of its last change, read without the lock (which the
    /// fan-out holds for a whole pass), so that a join skips full shards at once.
    len: AtomicUsize,
}

impl Shard {
    /// Starts a fan-out task that reads the stream's batches from `rx`, making at
    /// most one pass per `linger` (see `run`).
    pub fn spawn(rx: broadcast::Receiver<Arc<Batch>>, linger: Duration) -> Arc<Shard> {
        let shard = Arc::new(Shard { members: Mutex::new(Vec::new()), len: AtomicUsize::new(0) });
        runtime().spawn(run(Arc::clone(&shard), rx, linger));
        shard
    }

    /// Ends the members opened with an overlay token (see [`Outbox::new`]).
    pub fn halt_revocable(&self) {
        for m in self.members().iter().filter(|m| m.revocable) {
            m.halt(Stop::Revoked);
        }
    }

    fn members(&self) -> MutexGuard<'_, Vec<Arc<Outbox>>> {
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `outbox` if this shard has room. Without `prune`, a shard that
    /// looked full at its last change is skipped without waiting for its lock;
    /// with it, members that have finished since are dropped first.
    pub fn try_add(&self, outbox: &Arc<Outbox>, prune: bool) -> bool {
        if !prune && self.len.load(Ordering::Relaxed) >= SHARD_SIZE {
            return false;
        }
        let mut members = self.members();
        if prune {
            members.retain(|m| !m.finished());
        }
        let fits = members.len() < SHARD_SIZE;
        if fits {
            members.push(Arc::clone(outbox));
        }
        self.len.store(members.len(), Ordering::Relaxed);
        fits
    }

    fn halt_all(&self, why: Stop) {
        let mut members = self.members();
        for m in members.drain(..) {
            m.halt(why);
        }
        self.len.store(0, Ordering::Relaxed);
    }
}

/// How long a shard of `members` sockets waits between two passes on a busy
/// stream: `linger` for a full shard, less for a smaller one, by the square of
/// its share (a quarter of `linger` for half a shard, 1/64 for 16 sockets). A
/// pass costs about one write per member, so a small shard saves little by
/// waiting and keeps its frames' latency low (a live with 15 viewers and many
/// donations gets them within a third of a millisecond), while a full one saves
/// the most. In W4 (1 000 lives of 15), the square instead of a straight
/// proportion took the p99 from about 4 to about 2 ms, for the same CPU.
fn pause(linger: Duration, members: usize) -> Duration {
    let m = members.min(SHARD_SIZE) as u32;
    linger * (m * m) / (SHARD_SIZE * SHARD_SIZE) as u32
}

/// The fan-out task of one shard. A batch that comes less than [`pause`] after
/// the start of the last pass waits for the rest of that time, and leaves with
/// the batches that come meanwhile: a busy stream then costs each socket one
/// write per pause instead of one per commit, while a quiet one (a commit
/// every pause or less often) gets every frame at once.
async fn run(shard: Arc<Shard>, mut rx: broadcast::Receiver<Arc<Batch>>, linger: Duration) {
    let mut batches: Vec<Arc<Batch>> = Vec::new();
    let mut last_pass: Option<Instant> = None;
    // The last pass left frames waiting: the next goes at once.
    let mut behind = false;
    loop {
        batches.clear();
        match rx.recv().await {
            Ok(b) => batches.push(b),
            Err(RecvError::Lagged(_)) => {
                shard.halt_all(Stop::Lagged);
                continue;
            }
            Err(RecvError::Closed) => {
                shard.halt_all(Stop::Closed);
                return;
            }
        }
        if let Some(last) = last_pass
            && !behind
        {
            let wait = pause(linger, shard.len.load(Ordering::Relaxed));
            if last.elapsed() < wait {
                tokio::time::sleep_until(last + wait).await;
            }
        }
        last_pass = Some(Instant::now());
        // Batches already waiting leave in the same write.
        let mut frames = batches[0].frames.len();
        while frames < COALESCE {
            match rx.try_recv() {
                Ok(b) => {
                    frames += b.frames.len();
                    batches.push(b);
                }
                Err(TryRecvError::Lagged(_)) => {
                    shard.halt_all(Stop::Lagged);
                    batches.clear();
                    break;
                }
                Err(_) => break,
            }
        }
        behind = frames >= COALESCE;
        let all = match batches.as_slice() {
            [] => continue,
            [one] => one.wire.clone(),
            many => {
                let mut joined = Vec::with_capacity(many.iter().map(|b| b.wire.len()).sum());
                for b in many {
                    joined.extend_from_slice(&b.wire);
                }
                Bytes::from(joined)
            }
        };
        let Some(first) = batches[0].first_seq() else { continue };
        let mut members = shard.members();
        members.retain(|m| m.deliver(&batches, first, &all));
        shard.len.store(members.len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_pauses_by_the_square_of_its_share() {
        let linger = Duration::from_millis(20);
        assert_eq!(pause(linger, SHARD_SIZE), linger);
        assert_eq!(pause(linger, SHARD_SIZE + 5), linger);
        assert_eq!(pause(linger, SHARD_SIZE / 2), Duration::from_millis(5));
        assert_eq!(pause(linger, 16), Duration::from_nanos(312_500));
        assert_eq!(pause(linger, 0), Duration::ZERO);
        assert_eq!(pause(Duration::ZERO, SHARD_SIZE), Duration::ZERO);
    }
}
