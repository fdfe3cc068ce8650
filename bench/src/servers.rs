//! Starting the three servers, creating their lives, publishing donations, and
//! reading the server process's CPU time, RSS and write syscalls from /proc.

use crate::post::{Endpoint, Pool};
use crate::proto::{Proto, Result, Target, message, now_ns};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

pub const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";

/// Where the binaries and files of the three servers are.
#[derive(Clone, Debug)]
pub struct Paths {
    pub cagnotte: PathBuf,
    pub node_server: PathBuf,
    pub nats_conf: PathBuf,
    pub nats_bin: PathBuf,
    pub work: PathBuf,
}

pub struct Server {
    pub proto: Proto,
    child: Child,
    pub pid: u32,
    pub http: String,
    ws: String,
    nats: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// Snapshot of the server process from /proc.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcSample {
    pub cpu_s: f64,
    pub rss_kib: u64,
    pub syscw: u64,
    pub syscr: u64,
}

/// A `/proc/PID/status` field in KiB (`VmRSS`, `VmHWM`), 0 if unreadable.
fn status_kib(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The peak RSS of a process so far (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status")).map_or(0, |s| status_kib(&s, "VmHWM"))
}

pub fn sample(pid: u32) -> ProcSample {
    let mut s = ProcSample::default();
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        && let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r)
    {
        // Fields after the command name: state is field 3; utime 14, stime 15.
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        // USER_HZ is 100 on Linux.
        s.cpu_s = ticks as f64 / 100.0;
    }
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
        s.rss_kib = status_kib(&status, "VmRSS");
    }
    if let Ok(io) = std::fs::read_to_string(format!("/proc/{pid}/io")) {
        for l in io.lines() {
            if let Some(v) = l.strip_prefix("syscw:") {
                s.syscw = v.trim().parse().unwrap_or(0);
            }
            if let Some(v) = l.strip_prefix("syscr:") {
                s.syscr = v.trim().parse().unwrap_or(0);
            }
        }
    }
    s
}

/// The whole machine's CPU time so far, from the first line of `/proc/stat`, in
/// seconds summed over its cores: `busy` is every process and the kernel's
/// interrupt work, `steal` what the hypervisor ran elsewhere meanwhile.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MachineCpu {
    pub busy_s: f64,
    pub steal_s: f64,
}

fn machine_cpu() -> MachineCpu {
    std::fs::read_to_string("/proc/stat").map(|s| parse_proc_stat(&s)).unwrap_or_default()
}

fn parse_proc_stat(stat: &str) -> MachineCpu {
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else { return MachineCpu::default() };
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let v: Vec<u64> = line.split_whitespace().skip(1).map(|x| x.parse().unwrap_or(0)).collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    // USER_HZ is 100 on Linux.
    MachineCpu { busy_s: (at(0) + at(1) + at(2) + at(5) + at(6)) as f64 / 100.0, steal_s: at(7) as f64 / 100.0 }
}

/// How long each thread of a process has been ready to run but waiting for a
/// core, in ns, by thread id: the second field of `/proc/PID/task/TID/schedstat`
/// (empty where the kernel does not keep it).
#[derive(Clone, Debug, Default)]
struct RunQueueWait(std::collections::HashMap<u32, u64>);

impl RunQueueWait {
    fn of(pid: u32) -> RunQueueWait {
        let mut waits = std::collections::HashMap::new();
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for t in tasks.flatten() {
                let tid = t.file_name().to_str().and_then(|n| n.parse().ok());
                let wait = std::fs::read_to_string(t.path().join("schedstat")).ok();
                if let (Some(tid), Some(ns)) = (tid, wait.as_deref().and_then(schedstat_wait_ns)) {
                    waits.insert(tid, ns);
                }
            }
        }
        RunQueueWait(waits)
    }

    /// Seconds the threads alive now waited for a core since `earlier` (a thread
    /// born since then counts from its start); `None` if either was not read.
    fn since(&self, earlier: &RunQueueWait) -> Option<f64> {
        if self.0.is_empty() || earlier.0.is_empty() {
            return None;
        }
        let ns: u64 =
            self.0.iter().map(|(tid, now)| now.saturating_sub(earlier.0.get(tid).copied().unwrap_or(0))).sum();
        Some(ns as f64 / 1e9)
    }
}

/// How busy the machine was from one moment on, and how long a server's
/// threads waited for a core meanwhile: read at a phase's start and end.
pub struct LoadMeter {
    pid: u32,
    cpu: MachineCpu,
    waits: RunQueueWait,
}

/// What a [`LoadMeter`] read over `wall_s` seconds, in cores (threads for `wait_threads`).
pub struct LoadReading {
    pub machine_cores: f64,
    pub steal_cores: f64,
    pub wait_threads: Option<f64>,
}

impl LoadMeter {
    pub fn start(pid: u32) -> LoadMeter {
        LoadMeter { pid, cpu: machine_cpu(), waits: RunQueueWait::of(pid) }
    }

    pub fn read(&self, wall_s: f64) -> LoadReading {
        let (cpu, waits) = (machine_cpu(), RunQueueWait::of(self.pid));
        LoadReading {
            machine_cores: (cpu.busy_s - self.cpu.busy_s) / wall_s,
            steal_cores: (cpu.steal_s - self.cpu.steal_s) / wall_s,
            wait_threads: waits.since(&self.waits).map(|w| w / wall_s),
        }
    }
}

/// The run-queue wait of a `schedstat` line: time on the CPU, time waiting for
/// it, time slices run (both times in ns).
fn schedstat_wait_ns(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().nth(1)?.parse().ok()
}

/// Samples RSS every 100 ms in the background; `stop` gives the peak.
pub struct RssWatch {
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssWatch {
    pub fn start(pid: u32) -> RssWatch {
        let peak = Arc::new(AtomicU64::new(sample(pid).rss_kib));
        let p = peak.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                p.fetch_max(sample(pid).rss_kib, Ordering::Relaxed);
            }
        });
        RssWatch { peak, task }
    }

    pub fn stop(self) -> u64 {
        self.task.abort();
        self.peak.load(Ordering::Relaxed)
    }
}

async fn wait_port(addr: &str, limit: Duration) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("{addr} did not open within {limit:?}").into())
}

async fn wait_health(client: &reqwest::Client, base: &str, limit: Duration) -> Result<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Err(format!("{base} not healthy within {limit:?}").into())
}

impl Server {
    /// Starts a server; for Cagnotte `data_dir` reuses a data directory (replay).
    pub async fn start(
        proto: Proto,
        paths: &Paths,
        client: &reqwest::Client,
        data_dir: Option<PathBuf>,
    ) -> Result<(Server, Duration)> {
        let (mut cmd, http, ws, nats, dir) = match proto {
            Proto::Cagnotte => {
                let dir =
                    data_dir.unwrap_or_else(|| paths.work.join(format!("cagnotte-data-{}", now_ns() % 1_000_000_000)));
                std::fs::create_dir_all(&dir)?;
                let mut c = Command::new(&paths.cagnotte);
                c.args(["--listen", "127.0.0.1:18091", "--data-dir"]).arg(&dir).args([
                    "--admin-token",
                    ADMIN_TOKEN,
                    "--log",
                    "warn",
                ]);
                // The edge protections (per-token write rate, connections and
                // sockets per address and per token) would refuse the load
                // generator's traffic.
                c.env("CAGNOTTE_RATE_LIMIT_PER_SEC", "0")
                    .env("CAGNOTTE_CONN_MAX_PER_IP", "0")
                    .env("CAGNOTTE_WS_MAX_PER_IP", "0")
                    .env("CAGNOTTE_WS_MAX_PER_TOKEN", "0");
                (c, "http://127.0.0.1:18091".to_string(), "ws://127.0.0.1:18091".to_string(), None, Some(dir))
            }
            Proto::Ws => {
                let mut c = Command::new("node");
                c.arg(&paths.node_server).arg("18090");
                (c, "http://127.0.0.1:18090".to_string(), "ws://127.0.0.1:18090".to_string(), None, None)
            }
            Proto::Nats => {
                let base = std::fs::read_to_string(&paths.nats_conf)?;
                let conf = base.replace("websocket {", "websocket {\n  port: 18094");
                let path = paths.work.join("nats.conf");
                std::fs::write(&path, conf)?;
                let mut c = Command::new(&paths.nats_bin);
                c.arg("-c").arg(&path).args(["-a", "127.0.0.1", "-p", "18093"]);
                (c, String::new(), "ws://127.0.0.1:18094".to_string(), Some("127.0.0.1:18093".to_string()), None)
            }
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            // nats-server logs every start at length on stderr.
            .stderr(if proto == Proto::Nats { Stdio::null() } else { Stdio::inherit() })
            .kill_on_drop(true);
        let start = Instant::now();
        let child = cmd.spawn()?;
        let pid = child.id().ok_or("server exited at once")?;
        match proto {
            Proto::Nats => {
                wait_port("127.0.0.1:18094", Duration::from_secs(20)).await?;
                wait_port("127.0.0.1:18093", Duration::from_secs(20)).await?;
            }
            _ => {
                wait_health(client, &http, Duration::from_secs(120)).await?;
            }
        }
        let up = start.elapsed();
        Ok((Server { proto, child, pid, http, ws, nats, data_dir: dir }, up))
    }

    /// Kills the process (SIGKILL: Cagnotte's log must survive it) and waits for it.
    pub async fn kill(mut self) -> Option<PathBuf> {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
        // Let the kernel release the listening port.
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.data_dir.take()
    }

    /// Creates `n` lives; returns what subscribers and the publisher need.
    pub async fn lives(&self, client: &reqwest::Client, n: usize) -> Result<(Vec<Target>, Publisher)> {
        let mut targets = Vec::with_capacity(n);
        let mut sinks = Vec::with_capacity(n);
        match self.proto {
            Proto::Cagnotte => {
                let admin = format!("Bearer {ADMIN_TOKEN}");
                let c: Value = client
                    .post(format!("{}/api/v1/campaigns", self.http))
                    .header("authorization", &admin)
                    .json(&json!({"name": "Benchmark", "currency": "EUR"}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let cid = c["id"].as_str().ok_or("campaign without id")?.to_string();
                for i in 0..n {
                    let l: Value = client
                        .post(format!("{}/api/v1/campaigns/{cid}/lives", self.http))
                        .header("authorization", &admin)
                        .json(&json!({"host": format!("host {i}")}))
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    let id = l["id"].as_str().ok_or("live without id")?;
                    let token = l["overlay_token"].as_str().ok_or("no overlay_token")?;
                    let key = l["key"].as_str().ok_or("no key")?;
                    targets.push(Target {
                        url: format!("{}/ws/lives/{id}?token={token}", self.ws),
                        subject: String::new(),
                    });
                    sinks.push(Sink::Http(Endpoint::new(
                        &self.http,
                        &format!("/api/v1/lives/{id}/donations"),
                        Some(&format!("Bearer {key}")),
                    )?));
                }
            }
            Proto::Ws => {
                for i in 0..n {
                    targets.push(Target { url: format!("{}/ws/lives/l{i}", self.ws), subject: String::new() });
                    sinks.push(Sink::Http(Endpoint::new(&self.http, &format!("/lives/l{i}/donations"), None)?));
                }
            }
            Proto::Nats => {
                for i in 0..n {
                    targets.push(Target { url: self.ws.clone(), subject: format!("live.l{i}") });
                    sinks.push(Sink::Nats { subject: format!("live.l{i}") });
                }
            }
        }
        let nats = match &self.nats {
            Some(addr) => Some(NatsPub::connect(addr).await?),
            None => None,
        };
        Ok((targets, Publisher::new(sinks, nats)))
    }
}

enum Sink {
    Http(Endpoint),
    Nats { subject: String },
}

/// One plain-TCP NATS connection the load generator publishes on.
struct NatsPub {
    w: tokio::sync::Mutex<tokio::net::tcp::OwnedWriteHalf>,
}

impl NatsPub {
    async fn connect(addr: &str) -> Result<Arc<NatsPub>> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let (r, mut w) = s.into_split();
        w.write_all(b"CONNECT {\"verbose\":false,\"pedantic\":false}\r\n").await?;
        let p = Arc::new(NatsPub { w: tokio::sync::Mutex::new(w) });
        let pp = Arc::downgrade(&p);
        tokio::spawn(async move {
            let mut lines = BufReader::new(r).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                if l == "PING" {
                    let Some(p) = pp.upgrade() else { break };
                    let _ = p.w.lock().await.write_all(b"PONG\r\n").await;
                }
            }
        });
        Ok(p)
    }
}

/// Sends donations and counts, per live, those the server acknowledged.
pub struct Publisher {
    http: Pool,
    sinks: Vec<Sink>,
    nats: Option<Arc<NatsPub>>,
    next: Vec<AtomicU64>,
    acked: Vec<AtomicU64>,
    pub errors: AtomicU64,
    post: Mutex<Histogram<u64>>,
}

impl Publisher {
    fn new(sinks: Vec<Sink>, nats: Option<Arc<NatsPub>>) -> Publisher {
        let n = sinks.len();
        Publisher {
            http: Pool::default(),
            sinks,
            nats,
            next: (0..n).map(|_| AtomicU64::new(0)).collect(),
            acked: (0..n).map(|_| AtomicU64::new(0)).collect(),
            errors: AtomicU64::new(0),
            post: Mutex::new(Histogram::new_with_bounds(1, 120_000_000, 3).expect("bounds")),
        }
    }

    pub fn acked(&self) -> Vec<u64> {
        self.acked.iter().map(|a| a.load(Ordering::Relaxed)).collect()
    }

    /// Takes the POST latency histogram (µs) recorded since the last call.
    pub fn take_post_hist(&self) -> Histogram<u64> {
        let mut h = self.post.lock().unwrap_or_else(|e| e.into_inner());
        let out = h.clone();
        h.reset();
        out
    }

    pub async fn send(&self, live: usize) {
        match &self.sinks[live] {
            Sink::Http(endpoint) => {
                let i = self.next[live].fetch_add(1, Ordering::Relaxed);
                let t = now_ns();
                let body = format!("{{\"amount\":100,\"currency\":\"EUR\",\"message\":\"{}\"}}", message(t, i));
                let start = Instant::now();
                let ok = matches!(self.http.post(endpoint, &body).await, Ok(200..=299));
                if ok {
                    self.acked[live].fetch_add(1, Ordering::Relaxed);
                    let us = start.elapsed().as_micros() as u64;
                    let _ = self.post.lock().unwrap_or_else(|e| e.into_inner()).record(us.max(1));
                } else {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            Sink::Nats { subject } => {
                let Some(nats) = &self.nats else { return };
                let mut w = nats.w.lock().await;
                // Seq assigned under the lock: frames go out in seq order.
                let i = self.next[live].fetch_add(1, Ordering::Relaxed);
                let t = now_ns();
                let frame = nats_frame(live, i, t);
                let msg = format!("PUB {subject} {}\r\n{frame}\r\n", frame.len());
                let start = Instant::now();
                if w.write_all(msg.as_bytes()).await.is_ok() {
                    self.acked[live].fetch_add(1, Ordering::Relaxed);
                    let us = start.elapsed().as_micros() as u64;
                    let _ = self.post.lock().unwrap_or_else(|e| e.into_inner()).record(us.max(1));
                } else {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// The frame a NATS publisher sends: the same fields as Cagnotte's donation frame.
fn nats_frame(live: usize, i: u64, t: u64) -> String {
    let n = i + 1;
    let raised = n * 100;
    json!({
        "type": "donation",
        "seq": n,
        "donation": {
            "id": format!("d{live}-{n}"), "live_id": format!("l{live}"), "amount": 100,
            "currency": "EUR", "matched": 0, "donor": null, "message": message(t, i),
            "platform": null, "at": "2026-01-01T00:00:00Z", "refunded": false
        },
        "totals": {"raised": raised, "matched": 0, "total": raised, "donations": n},
        "campaign_totals": {"raised": raised, "matched": 0, "total": raised, "donations": n}
    })
    .to_string()
}

#[cfg(test)]
pub fn nats_frame_for_test(live: usize, i: u64, t: u64) -> String {
    nats_frame(live, i, t)
}

/// Which paths exist on this machine.
pub fn check(paths: &Paths, proto: Proto) -> bool {
    match proto {
        Proto::Cagnotte => paths.cagnotte.exists(),
        Proto::Ws => {
            paths.node_server.exists() && paths.node_server.parent().is_some_and(|d| d.join("node_modules/ws").exists())
        }
        Proto::Nats => paths.nats_bin.exists() && Path::new(&paths.nats_conf).exists(),
    }
}

/// Counts the server's syscalls with `perf stat` (tracepoints) while it runs:
/// `/proc/PID/io` misses `send`/`sendto`, which Rust's std uses on sockets.
pub struct SyscallCount {
    child: std::process::Child,
    out: PathBuf,
}

/// (all syscalls, write-family syscalls: write, writev, sendto, sendmsg)
pub type Syscalls = (u64, u64);

const WRITE_EVENTS: [&str; 4] = [
    "syscalls:sys_enter_write",
    "syscalls:sys_enter_writev",
    "syscalls:sys_enter_sendto",
    "syscalls:sys_enter_sendmsg",
];

impl SyscallCount {
    pub fn start(pid: u32, work: &Path) -> Option<SyscallCount> {
        let out = work.join(format!("perf-{pid}-{}.csv", now_ns() % 1_000_000_000));
        let events = format!("raw_syscalls:sys_enter,{}", WRITE_EVENTS.join(","));
        let child = std::process::Command::new("perf")
            .args(["stat", "-x", ",", "-e", &events, "-o"])
            .arg(&out)
            .args(["-p", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        // perf needs a moment to attach.
        std::thread::sleep(Duration::from_millis(150));
        Some(SyscallCount { child, out })
    }

    pub fn stop(mut self) -> Option<Syscalls> {
        let _ = std::process::Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        let text = std::fs::read_to_string(&self.out).ok()?;
        let _ = std::fs::remove_file(&self.out);
        let (mut all, mut writes, mut seen) = (0, 0, false);
        for l in text.lines() {
            let f: Vec<&str> = l.split(',').collect();
            if f.len() < 3 {
                continue;
            }
            let Ok(n) = f[0].parse::<u64>() else { continue };
            if f[2] == "raw_syscalls:sys_enter" {
                all = n;
                seen = true;
            } else if WRITE_EVENTS.contains(&f[2]) {
                writes += n;
            }
        }
        seen.then_some((all, writes))
    }
}

#[cfg(test)]
mod tests {
    use super::{MachineCpu, RunQueueWait, parse_proc_stat, schedstat_wait_ns, status_kib};

    #[test]
    fn status_fields_are_read_in_kib() {
        let status = "Name:\tcagnotte\nVmPeak:\t  900 kB\nVmHWM:\t  401234 kB\nVmRSS:\t  398000 kB\n";
        assert_eq!(status_kib(status, "VmHWM"), 401_234);
        assert_eq!(status_kib(status, "VmRSS"), 398_000);
        assert_eq!(status_kib(status, "VmSwap"), 0);
    }

    #[test]
    fn the_machine_cpu_counts_busy_and_stolen_ticks() {
        let stat = "cpu  100 20 30 5000 40 5 7 9 11 0\ncpu0 50 10 15 2500 20 2 3 4 5 0\nintr 1 2 3\n";
        // user + nice + system + irq + softirq; iowait and idle are not busy.
        assert_eq!(parse_proc_stat(stat), MachineCpu { busy_s: 1.62, steal_s: 0.09 });
        assert_eq!(parse_proc_stat("intr 1 2 3\n"), MachineCpu::default());
    }

    #[test]
    fn run_queue_waits_are_summed_over_the_threads_alive_at_the_end() {
        assert_eq!(schedstat_wait_ns("4118630622 5583479348 54328\n"), Some(5_583_479_348));
        assert_eq!(schedstat_wait_ns("12\n"), None);
        let waits = |w: &[(u32, u64)]| RunQueueWait(w.iter().copied().collect());
        let before = waits(&[(10, 1_000_000_000), (11, 500_000_000), (12, 7)]);
        // 10 waited 0.25 s more, 11 0.5 s more, 12 ended, 13 began and waited 0.125 s.
        let after = waits(&[(10, 1_250_000_000), (11, 1_000_000_000), (13, 125_000_000)]);
        assert_eq!(after.since(&before), Some(0.875));
        assert_eq!(after.since(&RunQueueWait::default()), None, "not read before: not measured");
        // This process, where the kernel keeps the figure: read, and nothing waited between a reading and itself.
        if std::path::Path::new("/proc/self/schedstat").exists() {
            let me = RunQueueWait::of(std::process::id());
            assert_eq!(me.since(&me), Some(0.0));
        }
    }
}
