//! A subscriber process: thousands of real WebSocket clients on one thread, bound
//! to one source address. It reads its [`ChildConfig`] as the first line of stdin,
//! prints `{"ready":..}` once every connection is subscribed, then answers
//! commands, one JSON line each:
//!
//! - `stats [K0,K1,..]`: counters, where `Ki` donations were acknowledged on target i;
//! - `report [K0,..]`: the same plus the latency histogram, which is then reset;
//! - `stall`: the stallable connections stop reading;
//! - `drop MS`: every reading connection closes and reconnects with `after=` its
//!   last seq at a random moment within MS; answers once all are back;
//! - `quit`.

use crate::proto::{ChildConfig, Frame, Proto, Result, Stats, find, now_ns, scan_donation, socket_from};
use crate::wsclient::{Client, Msg, Read};
use hdrhistogram::Histogram;
use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{Semaphore, watch};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Connecting,
    Ready,
    Stalled,
    Closed,
    Failed,
}

struct Conn {
    target: u32,
    state: State,
    stallable: bool,
    last_seq: u64,
    seen: Vec<u64>,
    unique: u64,
    dups: u64,
    disorder: u64,
}

impl Conn {
    fn mark(&mut self, i: u64) -> bool {
        let (w, b) = ((i / 64) as usize, i % 64);
        if self.seen.len() <= w {
            self.seen.resize(w + 1, 0);
        }
        let fresh = self.seen[w] & (1 << b) == 0;
        self.seen[w] |= 1 << b;
        fresh
    }
}

struct Shared {
    conns: Vec<Conn>,
    hist: Histogram<u64>,
    bytes: u64,
    /// Connections still to come back after a `drop`, and when it started.
    pending_back: usize,
    drop_started: Instant,
    drop_failed: u64,
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds")
}

pub fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run())
}

async fn run() -> Result<()> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let first = lines.next_line().await?.ok_or("no configuration on stdin")?;
    let cfg: Rc<ChildConfig> = Rc::new(serde_json::from_str(&first)?);
    let bind: IpAddr = cfg.bind.parse()?;
    let sh = Rc::new(RefCell::new(Shared {
        conns: cfg
            .conns
            .iter()
            .enumerate()
            .map(|(i, &t)| Conn {
                target: t,
                state: State::Connecting,
                stallable: cfg.stall_every > 0 && (i as u32).is_multiple_of(cfg.stall_every),
                last_seq: 0,
                seen: Vec::new(),
                unique: 0,
                dups: 0,
                disorder: 0,
            })
            .collect(),
        hist: new_hist(),
        bytes: 0,
        pending_back: 0,
        drop_started: Instant::now(),
        drop_failed: 0,
    }));
    let sem = Rc::new(Semaphore::new(cfg.parallel.max(1)));
    let (stall_tx, stall_rx) = watch::channel(false);
    let (drop_tx, drop_rx) = watch::channel((0u64, 0u64));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let (back_tx, mut back_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for i in 0..cfg.conns.len() {
        let env = ConnEnv {
            cfg: cfg.clone(),
            sh: sh.clone(),
            sem: sem.clone(),
            bind,
            idx: i,
            stall: stall_rx.clone(),
            drops: drop_rx.clone(),
            ready: ready_tx.clone(),
            back: back_tx.clone(),
        };
        tokio::task::spawn_local(conn_task(env));
    }
    drop(ready_tx);
    for _ in 0..cfg.conns.len() {
        if ready_rx.recv().await.is_none() {
            break;
        }
    }
    {
        let s = sh.borrow();
        let ready = s.conns.iter().filter(|c| c.state == State::Ready).count();
        let failed = s.conns.iter().filter(|c| c.state == State::Failed).count();
        println!("{{\"ready\":{ready},\"failed\":{failed}}}");
    }
    while let Some(line) = lines.next_line().await? {
        let (cmd, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match cmd {
            "stats" | "report" => {
                let k: Vec<u64> = if arg.is_empty() { vec![] } else { serde_json::from_str(arg)? };
                let st = stats(&mut sh.borrow_mut(), &k, cmd == "report");
                println!("{}", serde_json::to_string(&st)?);
            }
            "stall" => {
                let _ = stall_tx.send(true);
                println!("{{}}");
            }
            "drop" => {
                let spread: u64 = arg.parse().unwrap_or(1000);
                let n = {
                    let mut s = sh.borrow_mut();
                    s.pending_back = s.conns.iter().filter(|c| c.state == State::Ready).count();
                    s.drop_started = Instant::now();
                    s.drop_failed = 0;
                    s.pending_back
                };
                let generation = drop_tx.borrow().0 + 1;
                let _ = drop_tx.send((generation, spread));
                for _ in 0..n {
                    if back_rx.recv().await.is_none() {
                        break;
                    }
                }
                let s = sh.borrow();
                println!(
                    "{{\"reconnected\":{},\"failed\":{},\"ms\":{}}}",
                    n as u64 - s.drop_failed,
                    s.drop_failed,
                    s.drop_started.elapsed().as_millis()
                );
            }
            "quit" => break,
            _ => println!("{{\"error\":\"unknown command\"}}"),
        }
    }
    Ok(())
}

fn stats(s: &mut Shared, k: &[u64], reset: bool) -> Stats {
    let mut st = Stats::default();
    for c in &s.conns {
        match c.state {
            State::Failed => {
                st.failed += 1;
                continue;
            }
            State::Stalled => {
                st.stalled += 1;
                continue;
            }
            State::Closed => st.closed += 1,
            State::Ready => st.ready += 1,
            State::Connecting => {}
        }
        st.received += c.unique;
        st.dups += c.dups;
        st.disorder += c.disorder;
        if let Some(&want) = k.get(c.target as usize) {
            if want > c.unique {
                st.lost += want - c.unique;
                if c.state == State::Ready {
                    st.lost_open += want - c.unique;
                }
            } else {
                st.extra += c.unique - want;
            }
        }
    }
    st.bytes = s.bytes;
    if reset {
        st.hist = s.hist.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect();
        s.hist = new_hist();
    }
    st
}

struct ConnEnv {
    cfg: Rc<ChildConfig>,
    sh: Rc<RefCell<Shared>>,
    sem: Rc<Semaphore>,
    bind: IpAddr,
    idx: usize,
    stall: watch::Receiver<bool>,
    drops: watch::Receiver<(u64, u64)>,
    ready: tokio::sync::mpsc::UnboundedSender<()>,
    back: tokio::sync::mpsc::UnboundedSender<()>,
}

enum End {
    Reconnect,
    Closed,
    Stalled,
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

async fn conn_task(mut env: ConnEnv) {
    let mut resuming = false;
    loop {
        let after = if resuming { Some(env.sh.borrow().conns[env.idx].last_seq) } else { None };
        let ws = {
            let _permit = env.sem.acquire().await;
            match open(&env, after).await {
                Ok(ws) => ws,
                Err(e) => {
                    if std::env::var_os("BENCH_DEBUG").is_some() {
                        eprintln!("connection {} failed: {e}", env.idx);
                    }
                    let mut s = env.sh.borrow_mut();
                    s.conns[env.idx].state = State::Failed;
                    if resuming {
                        s.drop_failed += 1;
                        let _ = env.back.send(());
                    } else {
                        let _ = env.ready.send(());
                    }
                    return;
                }
            }
        };
        env.sh.borrow_mut().conns[env.idx].state = State::Ready;
        if resuming {
            let _ = env.back.send(());
        } else {
            let _ = env.ready.send(());
        }
        match read_loop(&mut env, ws).await {
            End::Reconnect => resuming = true,
            End::Closed => {
                env.sh.borrow_mut().conns[env.idx].state = State::Closed;
                return;
            }
            End::Stalled => return,
        }
    }
}

/// Connects, subscribes and waits for the first frame (snapshot, or PONG for NATS).
async fn open(env: &ConnEnv, after: Option<u64>) -> Result<(Client, Vec<u8>)> {
    let t = &env.cfg.targets[env.sh.borrow().conns[env.idx].target as usize];
    let url = match after {
        Some(a) if t.url.contains('?') => format!("{}&after={a}", t.url),
        Some(a) => format!("{}?after={a}", t.url),
        None => t.url.clone(),
    };
    let hostport = url.strip_prefix("ws://").and_then(|r| r.split('/').next()).ok_or("bad url")?;
    let addr: SocketAddr = hostport.parse()?;
    let sock = socket_from(env.bind)?;
    if env.sh.borrow().conns[env.idx].stallable {
        // A small receive buffer, so a stalled client pushes back on the server soon.
        sock.set_recv_buffer_size(16 * 1024)?;
    }
    let tcp = tokio::time::timeout(Duration::from_secs(20), sock.connect(addr)).await??;
    tcp.set_nodelay(true)?;
    let mut ws = tokio::time::timeout(Duration::from_secs(20), Client::connect(url.as_str(), tcp)).await??;
    let mut pending = Vec::new();
    if env.cfg.proto == Proto::Nats {
        let sub = format!(
            "CONNECT {{\"verbose\":false,\"pedantic\":false,\"protocol\":1}}\r\nSUB {} 1\r\nPING\r\n",
            t.subject
        );
        ws.send_binary(sub.as_bytes()).await?;
    }
    // Wait for the first frame: snapshot (or PONG for NATS) means subscribed.
    // Frames after it in the same read are handled as the read loop would.
    loop {
        let mut first: Option<Result<()>> = None;
        let r = tokio::time::timeout(
            Duration::from_secs(20),
            ws.read(|m| match m {
                Msg::Text(t) if first.is_none() => {
                    first = Some(match serde_json::from_slice::<Frame>(t) {
                        Ok(f) if f.ty == "snapshot" => {
                            if after.is_none() {
                                env.sh.borrow_mut().conns[env.idx].last_seq = f.seq;
                            }
                            Ok(())
                        }
                        Ok(f) => Err(format!("first frame is not a snapshot: {}", f.ty).into()),
                        Err(e) => Err(e.into()),
                    });
                }
                Msg::Text(t) => on_frame(&env.sh, env.idx, t),
                Msg::Binary(b) => {
                    pending.extend_from_slice(b);
                    // INFO first, then PONG once CONNECT and SUB are processed.
                    if first.is_none()
                        && let Some(pos) = find(&pending, b"PONG\r\n")
                    {
                        pending.drain(..pos + 6);
                        first = Some(Ok(()));
                    }
                }
            }),
        )
        .await??;
        match first {
            Some(res) => return res.map(|()| (ws, pending)),
            None if r == Read::Closed => return Err("closed before the first frame".into()),
            None => {}
        }
    }
}

async fn read_loop(env: &mut ConnEnv, (mut ws, mut buf): (Client, Vec<u8>)) -> End {
    let nats = env.cfg.proto == Proto::Nats;
    let (sh, idx) = (env.sh.clone(), env.idx);
    // NATS messages already received with the PONG that ended the subscription.
    if nats && nats_parse(&sh, idx, &mut buf) && ws.send_binary(b"PONG\r\n").await.is_err() {
        return End::Closed;
    }
    // The orchestrator's next order for this connection, awaited by one future
    // for the whole loop rather than by new ones for every frame.
    let stallable = env.sh.borrow().conns[env.idx].stallable;
    let (stall, drops) = (&mut env.stall, &mut env.drops);
    let order = async move {
        loop {
            tokio::select! {
                r = stall.changed(), if stallable => {
                    if r.is_ok() && *stall.borrow() {
                        return None;
                    }
                }
                r = drops.changed() => match r {
                    Ok(()) => return Some(*drops.borrow()),
                    Err(_) => std::future::pending::<()>().await,
                },
            }
        }
    };
    tokio::pin!(order);
    loop {
        let mut pinged = false;
        tokio::select! {
            r = ws.read(|m| match m {
                Msg::Text(t) => on_frame(&sh, idx, t),
                Msg::Binary(b) if nats => {
                    buf.extend_from_slice(b);
                    pinged |= nats_parse(&sh, idx, &mut buf);
                }
                Msg::Binary(_) => {}
            }) => {
                if !matches!(r, Ok(Read::Messages)) {
                    return End::Closed;
                }
                if pinged && ws.send_binary(b"PONG\r\n").await.is_err() {
                    return End::Closed;
                }
            }
            o = &mut order => {
                let Some((generation, spread)) = o else {
                    sh.borrow_mut().conns[idx].state = State::Stalled;
                    // Hold the socket without reading until the process ends.
                    std::future::pending::<()>().await;
                    drop(ws);
                    return End::Stalled;
                };
                let delay = xorshift(((idx as u64 + 1) * 0x9E37_79B9) ^ generation) % spread.max(1);
                let deadline = tokio::time::Instant::now() + Duration::from_millis(delay);
                // Keep reading until the moment comes, then close and resume.
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep_until(deadline) => break,
                        r = ws.read(|m| if let Msg::Text(t) = m { on_frame(&sh, idx, t) }) => {
                            if !matches!(r, Ok(Read::Messages)) {
                                break;
                            }
                        }
                    }
                }
                let _ = ws.close().await;
                return End::Reconnect;
            }
        }
    }
}

fn on_frame(sh: &RefCell<Shared>, idx: usize, text: &[u8]) {
    let now = now_ns();
    let mut s = sh.borrow_mut();
    s.bytes += text.len() as u64;
    let Some(f) = scan_donation(text) else {
        return;
    };
    let c = &mut s.conns[idx];
    let fresh = c.mark(f.index);
    if fresh {
        c.unique += 1;
        if f.seq <= c.last_seq {
            c.disorder += 1;
        }
    } else {
        c.dups += 1;
    }
    c.last_seq = c.last_seq.max(f.seq);
    if !f.replay && fresh {
        let us = now.saturating_sub(f.sent_ns) / 1000;
        let _ = s.hist.record(us.max(1));
    }
}

/// Consumes whole NATS protocol lines and messages from `buf`; true when the server pinged.
fn nats_parse(sh: &RefCell<Shared>, idx: usize, buf: &mut Vec<u8>) -> bool {
    let mut pinged = false;
    let mut at = 0;
    while let Some(eol) = find(&buf[at..], b"\r\n") {
        let line = &buf[at..at + eol];
        if line.starts_with(b"MSG ") {
            let size: usize = std::str::from_utf8(line)
                .ok()
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let start = at + eol + 2;
            if buf.len() < start + size + 2 {
                break;
            }
            on_frame(sh, idx, &buf[start..start + size]);
            at = start + size + 2;
        } else {
            if line == b"PING" {
                pinged = true;
            }
            at += eol + 2;
        }
    }
    buf.drain(..at);
    pinged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(state: State, unique: u64) -> Conn {
        Conn { target: 0, state, stallable: false, last_seq: 0, seen: Vec::new(), unique, dups: 0, disorder: 0 }
    }

    #[test]
    fn losses_of_connections_still_open_are_counted_apart_from_closed_ones() {
        let mut s = Shared {
            conns: vec![conn(State::Ready, 10), conn(State::Ready, 7), conn(State::Closed, 4), conn(State::Stalled, 0)],
            hist: new_hist(),
            bytes: 0,
            pending_back: 0,
            drop_started: Instant::now(),
            drop_failed: 0,
        };
        let st = stats(&mut s, &[10], false);
        assert_eq!((st.lost, st.lost_open, st.closed, st.stalled, st.received), (9, 3, 1, 1, 21));
    }
}
