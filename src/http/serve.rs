//! The connections' side of serving: each accepted connection is served as
//! HTTP/1.1 (WebSocket upgrades included) with a time limit on its request
//! heads, and one client address may hold only so many at once.

use crate::error::ApiError;
use axum::response::IntoResponse;
use hashbrown::HashMap;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

/// What a connection may do before it is served no more.
pub struct Limits {
    /// Time to send a whole request head, the first or the next after an answer.
    pub header_timeout: Duration,
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
/// head within `header_timeout` is closed. Each request carries its client's
/// address (`ConnectInfo`). An address over its maximum of open connections
/// has its next one answered `429 too_many_connections` and closed.
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
        let header_timeout = limits.header_timeout;
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
                // A router is always ready: no `poll_ready` to wait for.
                router.clone().call(req.map(axum::body::Body::new))
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
            // Upgraded to a WebSocket, it is counted by the WebSocket caps from now on.
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
