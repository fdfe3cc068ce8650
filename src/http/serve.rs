//! The connections' side of serving: each accepted connection is served as
//! HTTP/1.1 (WebSocket upgrades included) with time limits on its request heads,
//! its request bodies and its answers' writes, and one client address may hold
//! only so many at once.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::response::IntoResponse;
use hashbrown::HashMap;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

/// What a connection may do before it is served no more.
pub struct Limits {
    /// Time to send a whole request head, the first or the next after an answer.
    pub header_timeout: Duration,
    /// Time to send a request's whole body, from its head.
    pub body_timeout: Duration,
    /// Time an answer may wait for the client to take any of its bytes.
    pub send_timeout: Duration,
    /// Connections one address may have open at once, WebSockets aside (0: no maximum).
    pub max_per_ip: usize,
    /// Addresses not counted: reverse proxies bring every client's connections.
    pub trusted: Vec<ipnet::IpNet>,
}

/// How long a connection over its address's maximum has to send the request
/// that is answered `429`.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Serves each connection `listener` accepts until `stop`, then lets the
/// requests under way finish. A connection that has not sent a whole request
/// head within `header_timeout` is closed; a request whose body has not arrived
/// whole within `body_timeout` of its head fails to be read ([`BodyTimeout`]);
/// a connection whose client takes none of an answer's bytes for `send_timeout`
/// is closed (until it is upgraded: a WebSocket has its own send timeout). Each
/// request carries its client's address (`ConnectInfo`). An address over its
/// maximum of open connections has its next one answered
/// `429 too_many_connections` and closed.
pub async fn serve<L>(mut listener: L, router: axum::Router, limits: Limits, stop: CancellationToken)
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let open = Arc::new(Open::default());
    let connections = TaskTracker::new();
    loop {
        let (io, addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        let counted = limits.max_per_ip > 0 && !limits.trusted.iter().any(|n| n.contains(&addr.ip()));
        let held = if counted { open.hold(addr.ip(), limits.max_per_ip).map(Some) } else { Some(None) };
        let Some(held) = held else {
            connections.spawn(refuse(TokioIo::new(io)));
            continue;
        };
        let (router, stop) = (router.clone(), stop.clone());
        let (header_timeout, body_timeout) = (limits.header_timeout, limits.body_timeout);
        let upgraded = Arc::new(AtomicBool::new(false));
        let io = Sending { io, limit: limits.send_timeout, timer: None, upgraded: Arc::clone(&upgraded) };
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
                let deadline = Instant::now() + body_timeout;
                let req = req.map(|body| axum::body::Body::new(Timed { body, deadline, timer: None }));
                // A router is always ready: no `poll_ready` to wait for.
                router.clone().call(req)
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            // Upgraded to a WebSocket (or closed): the WebSocket's caps and
            // send timeout rule it from now on.
            upgraded.store(true, Ordering::Relaxed);
            drop(held);
        });
    }
    connections.close();
    connections.wait().await;
}

/// Answers one request `429 too_many_connections` and closes.
async fn refuse<I>(io: TokioIo<I>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(|_req: hyper::Request<hyper::body::Incoming>| async {
        let refusal = ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            "too many connections open from this address: close some, or use fewer at once",
        );
        Ok::<_, std::convert::Infallible>(refusal.into_response())
    });
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_TIMEOUT)
        .keep_alive(false)
        .serve_connection(io, service)
        .await;
}

/// Why a request's body could not be read: it did not arrive whole in time.
#[derive(Debug)]
pub struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request's body did not arrive whole in time")
    }
}

impl std::error::Error for BodyTimeout {}

/// A request's body that must arrive whole by its deadline. Its timer is set
/// only once the body keeps its reader waiting: a body that came with its head
/// costs none.
struct Timed {
    body: Incoming,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

impl hyper::body::Body for Timed {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        ready!(this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline))).as_mut().poll(cx));
        Poll::Ready(Some(Err(BodyTimeout.into())))
    }

    fn is_end_stream(&self) -> bool {
        hyper::body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> SizeHint {
        hyper::body::Body::size_hint(&self.body)
    }
}

/// A connection whose writes fail once the client has taken none of their
/// bytes for `limit`, until `upgraded`.
struct Sending<I> {
    io: I,
    limit: Duration,
    /// Set while a write waits for the client.
    timer: Option<Pin<Box<Sleep>>>,
    upgraded: Arc<AtomicBool>,
}

impl<I> Sending<I> {
    /// What a write that `polled` gives once the time limit is looked at.
    fn limited<T>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.timer = None;
            return polled;
        }
        if self.upgraded.load(Ordering::Relaxed) {
            return Poll::Pending;
        }
        let limit = self.limit;
        ready!(self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit))).as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client took none of the answer in time")))
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Sending<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Sending<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.limited(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.limited(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_flush(cx);
        self.limited(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_shutdown(cx);
        self.limited(cx, polled)
    }
}

/// The connections each address has open.
#[derive(Default)]
struct Open(Mutex<HashMap<IpAddr, usize>>);

/// One open connection of an address, counted until dropped.
struct Held(Arc<Open>, IpAddr);

impl Open {
    fn hold(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Held> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Held(Arc::clone(self), ip))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_its_maximum_and_gets_one_back_when_one_closes() {
        let open = Arc::new(Open::default());
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = open.hold(a, 2).expect("first");
        let _second = open.hold(a, 2).expect("second");
        assert!(open.hold(a, 2).is_none(), "a third is over the maximum");
        let _other = open.hold(b, 2).expect("another address has its own count");
        drop(first);
        assert!(open.hold(a, 2).is_some(), "one closed, one more may open");
        drop(_other);
        assert!(!open.0.lock().unwrap().contains_key(&b), "an address without connections is forgotten");
    }
}
