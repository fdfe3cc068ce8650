//! The workloads W1..W7, run side by side on Cagnotte and its peers.

use crate::fleet::{Fleet, Spec};
use crate::proto::{Proto, Result, Stats};
use crate::servers::{LoadMeter, Paths, Publisher, RssWatch, Server, SyscallCount, sample};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Opts {
    pub mode: String,
    pub servers: Vec<Proto>,
    pub workloads: Vec<String>,
    pub sizes: Vec<usize>,
    pub rates: Vec<f64>,
    pub secs: f64,
    pub repeat: usize,
    /// W3 probes sizes between the grid's last clean size at 10/s and the next
    /// until the two are this close (0: the grid alone decides).
    pub w3_step: usize,
    pub drain: Duration,
    pub per_process: usize,
    pub idle_subs: usize,
    pub w4_lives: usize,
    pub w4_per_live: usize,
    pub w4_rate: f64,
    pub w5_secs: f64,
    /// Closed-loop client counts W5 runs without subscribers, one phase each;
    /// the fan-out phase uses the largest.
    pub w5_clients: Vec<usize>,
    /// How many times W5 goes through `w5_clients` without subscribers (the
    /// target takes the median of each count), and runs each paced rate (the
    /// run with the median POST p99 stands for the rate).
    pub w5_rounds: usize,
    pub w5_subs: usize,
    /// Paced rates (donations/s) W5 tries in turn with `w5_subs` subscribers,
    /// until one leaves a subscriber behind: the durable ingest the fan-out keeps up with.
    pub w5_rates: Vec<f64>,
    /// W5 again with the `w5_subs` subscribers spread evenly over this many
    /// lives of one campaign (an evening when many streamers are on air for one
    /// charity), each donation to one of them (0: not run).
    pub w5_spread: usize,
    /// Paced rates W5 tries in turn with the subscribers spread, until one
    /// leaves a subscriber behind.
    pub w5_spread_rates: Vec<f64>,
    pub w6_subs: usize,
    pub w6_rate: f64,
    pub w6_secs: f64,
    pub w7_subs: usize,
    /// A log written beforehand (by `examples/replay.rs`) and its event count:
    /// the server is started on it three times, cold, to time the start-up replay.
    pub replay_log: Option<(PathBuf, u64)>,
    /// The same, with an idempotency key on every donation (`--keyed`).
    pub replay_keyed_log: Option<(PathBuf, u64)>,
}

impl Opts {
    pub fn preset(mode: &str) -> Opts {
        let all = ["w1", "w2", "w3", "w4", "w5", "w6", "w7"].map(String::from).to_vec();
        match mode {
            "smoke" => Opts {
                mode: mode.into(),
                servers: vec![Proto::Cagnotte, Proto::Ws, Proto::Nats],
                workloads: all,
                sizes: vec![200],
                rates: vec![10.0, 100.0],
                secs: 2.0,
                repeat: 1,
                w3_step: 0,
                drain: Duration::from_secs(3),
                per_process: 4000,
                idle_subs: 300,
                w4_lives: 20,
                w4_per_live: 10,
                w4_rate: 100.0,
                w5_secs: 2.0,
                w5_clients: vec![32],
                w5_rounds: 1,
                w5_subs: 100,
                w5_rates: vec![200.0],
                w5_spread: 10,
                w5_spread_rates: vec![200.0],
                w6_subs: 200,
                w6_rate: 20.0,
                w6_secs: 2.0,
                w7_subs: 200,
                replay_log: None,
                replay_keyed_log: None,
            },
            "full" => Opts {
                mode: mode.into(),
                servers: vec![Proto::Cagnotte, Proto::Ws, Proto::Nats],
                workloads: all,
                sizes: vec![1000, 2000, 4000, 6000, 8000, 10_000],
                rates: vec![1.0, 10.0, 100.0],
                secs: 10.0,
                repeat: 3,
                w3_step: 500,
                drain: Duration::from_secs(5),
                per_process: 4000,
                idle_subs: 10_000,
                w4_lives: 1000,
                w4_per_live: 15,
                w4_rate: 2000.0,
                w5_secs: 10.0,
                w5_clients: vec![16, 24, 32, 64, 128],
                w5_rounds: 3,
                w5_subs: 1000,
                w5_rates: vec![250.0, 500.0, 1000.0, 1500.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0, 10_000.0],
                w5_spread: 100,
                w5_spread_rates: vec![2500.0, 5000.0, 7500.0, 10_000.0, 12_500.0, 15_000.0, 20_000.0],
                w6_subs: 2000,
                w6_rate: 50.0,
                w6_secs: 20.0,
                w7_subs: 5000,
                replay_log: None,
                replay_keyed_log: None,
            },
            _ => Opts {
                mode: "quick".into(),
                servers: vec![Proto::Cagnotte, Proto::Ws, Proto::Nats],
                workloads: all,
                sizes: vec![1000, 2000, 4000, 6000],
                rates: vec![1.0, 10.0, 100.0],
                secs: 5.0,
                repeat: 3,
                w3_step: 500,
                drain: Duration::from_secs(4),
                per_process: 4000,
                idle_subs: 4000,
                w4_lives: 200,
                w4_per_live: 15,
                w4_rate: 500.0,
                w5_secs: 5.0,
                w5_clients: vec![32, 128],
                w5_rounds: 1,
                w5_subs: 1000,
                w5_rates: vec![500.0, 1000.0, 1500.0, 2000.0, 3000.0],
                w5_spread: 100,
                w5_spread_rates: vec![2500.0, 5000.0, 10_000.0],
                w6_subs: 1000,
                w6_rate: 50.0,
                w6_secs: 10.0,
                w7_subs: 2000,
                replay_log: None,
                replay_keyed_log: None,
            },
        }
    }
}

/// One measured phase: a fleet subscribed, donations published at a rate, drained.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Phase {
    pub server: String,
    pub workload: String,
    pub subs: u64,
    pub lives: u64,
    pub rate: f64,
    pub secs: f64,
    pub published: u64,
    pub post_errors: u64,
    pub delivered: u64,
    pub lost: u64,
    pub dups: u64,
    pub disorder: u64,
    pub closed: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub post_p50_ms: f64,
    pub post_p99_ms: f64,
    pub cpu_s: f64,
    pub cpu_us_per_frame: f64,
    /// CPU the subscriber processes (the load generator) spent per frame received.
    #[serde(default)]
    pub sub_cpu_us_per_frame: f64,
    /// Seconds from the first donation to the end of the drain.
    #[serde(default)]
    pub wall_s: f64,
    /// The whole machine's busy CPU over `wall_s`, in cores: the server, the
    /// subscriber processes, the publisher and anything else that ran, the
    /// kernel's interrupt work included.
    #[serde(default)]
    pub machine_cores: f64,
    /// CPU the hypervisor ran elsewhere over `wall_s`, in cores.
    #[serde(default)]
    pub steal_cores: f64,
    /// How many of the server's threads were, on average over `wall_s`, ready
    /// to run but waiting for a core (run-queue time ÷ wall time).
    #[serde(default)]
    pub wait_threads: Option<f64>,
    /// Write-family syscalls (write, writev, sendto, sendmsg) of the server, in
    /// the phases that count syscalls (see [`phase`]).
    pub writes: Option<u64>,
    pub writes_per_frame: Option<f64>,
    /// Every syscall of the server, in the phases that count them.
    pub syscalls: Option<u64>,
    pub syscalls_per_frame: Option<f64>,
    /// Where the syscall counts come from: `perf`, `/proc io` (misses send/sendto)
    /// or `none` (not counted in this phase).
    pub syscall_source: String,
    pub rss_start_kib: u64,
    pub rss_peak_kib: u64,
    pub rss_end_kib: u64,
    pub frame_bytes: f64,
}

impl Phase {
    /// How busy the machine was over the phase; `None` in results of runs that
    /// did not measure it.
    pub fn load(&self) -> Option<Load> {
        (self.wall_s > 0.0).then(|| Load {
            server: self.cpu_s / self.wall_s,
            machine: self.machine_cores,
            steal: self.steal_cores,
            waiting: self.wait_threads,
        })
    }

    pub fn clean(&self) -> bool {
        self.lost == 0 && self.dups == 0 && self.disorder == 0 && self.failed == 0
    }

    /// Every subscriber got every frame, none was closed, every POST succeeded
    /// and p99 stayed under 100 ms.
    pub fn kept_up(&self) -> bool {
        self.clean() && self.closed == 0 && self.post_errors == 0 && self.p99_ms < 100.0
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Idle {
    pub server: String,
    pub subs: u64,
    pub failed: u64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub kib_per_conn: f64,
    pub connect_s: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Ingest {
    pub server: String,
    pub subs: u64,
    pub concurrency: u64,
    pub secs: f64,
    pub donations: u64,
    pub errors: u64,
    pub per_sec: f64,
    pub post_p50_ms: f64,
    pub post_p99_ms: f64,
    pub post_p999_ms: f64,
    pub lost: u64,
    pub dups: u64,
    pub delivered: u64,
    /// Subscribers the server closed during the phase (too slow to follow).
    #[serde(default)]
    pub closed: u64,
    pub cpu_s: f64,
    /// The machine's busy cores over the phase (`None` in results of runs that
    /// did not measure them).
    #[serde(default)]
    pub machine_cores: Option<f64>,
    #[serde(default)]
    pub steal_cores: Option<f64>,
    /// The server's threads ready to run but waiting for a core, on average.
    #[serde(default)]
    pub wait_threads: Option<f64>,
}

impl Ingest {
    pub fn load(&self) -> Option<Load> {
        let (machine, steal) = (self.machine_cores?, self.steal_cores?);
        (self.secs > 0.0).then(|| Load { server: self.cpu_s / self.secs, machine, steal, waiting: self.wait_threads })
    }
}

/// How busy the machine was over a phase, in cores: the server, the whole
/// machine (every process and the kernel's interrupt work), what the hypervisor
/// ran elsewhere (steal), and how many of the server's threads were ready to run
/// but waiting for a core, on average.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    pub server: f64,
    pub machine: f64,
    pub steal: f64,
    pub waiting: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Replay {
    pub events: u64,
    pub ready_s: f64,
}

/// Server starts on a large log written beforehand: seconds until `/healthz`
/// answered, and the server's peak RSS by then.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BigReplay {
    pub events: u64,
    pub starts_s: Vec<f64>,
    #[serde(default)]
    pub peak_rss_kib: Vec<u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Storm {
    pub server: String,
    pub subs: u64,
    pub reconnected: u64,
    pub failed: u64,
    pub slowest_ms: u64,
    pub lost: u64,
    pub dups: u64,
    pub disorder: u64,
    pub delivered: u64,
    pub p99_ms: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Slow {
    pub server: String,
    pub baseline: Phase,
    pub stalled: Phase,
    pub stalled_conns: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Results {
    pub mode: String,
    pub started: String,
    /// How long the whole run took, in minutes (0 in results from before it was kept).
    #[serde(default)]
    pub minutes: f64,
    pub command: String,
    pub machine: Vec<(String, String)>,
    pub servers: Vec<String>,
    pub idle: Vec<Idle>,
    pub fanout: Vec<Phase>,
    /// W3: sizes probed at 10/s between two sizes of the W2 grid.
    #[serde(default)]
    pub capacity: Vec<Phase>,
    /// A bare `write()` loop over as many sockets, beside W2 at 10/s.
    #[serde(default)]
    pub floor: Vec<crate::floor::Floor>,
    pub many: Vec<Phase>,
    pub ingest: Vec<Ingest>,
    /// W5 with subscribers at paced rates, slowest first, up to the first that
    /// left a subscriber behind.
    #[serde(default)]
    pub ingest_paced: Vec<Phase>,
    pub replay: Option<Replay>,
    #[serde(default)]
    pub big_replay: Option<BigReplay>,
    /// The same on a log whose donations all carry an idempotency key.
    #[serde(default)]
    pub big_replay_keyed: Option<BigReplay>,
    pub slow: Vec<Slow>,
    pub storm: Vec<Storm>,
    pub problems: Vec<String>,
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    h.value_at_quantile(q) as f64 / 1000.0
}

fn hist_of(s: &Stats) -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 120_000_000, 3).expect("bounds");
    for &(v, c) in &s.hist {
        let _ = h.record_n(v.max(1), c);
    }
    h
}

/// Which live each donation goes to.
#[derive(Clone, Copy)]
pub enum Pick {
    /// Round robin over all lives.
    Uniform(usize),
    /// Always this live.
    Fixed(usize),
    /// 80 % to the first `hot` lives, the rest spread over all of them.
    Skewed { lives: usize, hot: usize },
}

impl Pick {
    fn live(self, i: u64) -> usize {
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xDEAD_BEEF;
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 32;
        match self {
            Pick::Uniform(n) => (i as usize) % n.max(1),
            Pick::Fixed(l) => l,
            Pick::Skewed { lives, hot } => {
                if x % 10 < 8 {
                    (x as usize / 10) % hot.max(1)
                } else {
                    (x as usize / 10) % lives.max(1)
                }
            }
        }
    }
}

/// Open loop: donation k leaves at k / rate seconds, whatever the answers do.
async fn publish_rate(p: &Arc<Publisher>, rate: f64, secs: f64, pick: Pick) {
    let total = (rate * secs).round().max(1.0) as u64;
    let mut js = tokio::task::JoinSet::new();
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        let due = ((start.elapsed().as_secs_f64() * rate) as u64 + 1).min(total);
        while sent < due {
            let p = p.clone();
            let live = pick.live(sent);
            js.spawn(async move { p.send(live).await });
            sent += 1;
        }
        while js.try_join_next().is_some() {}
        let next = Duration::from_secs_f64(sent as f64 / rate);
        let now = start.elapsed();
        if next > now {
            tokio::time::sleep((next - now).min(Duration::from_millis(50))).await;
        }
    }
    while js.join_next().await.is_some() {}
}

/// Closed loop: `conc` clients post back to back for `secs`.
async fn publish_closed(p: &Arc<Publisher>, conc: usize, secs: f64, pick: Pick) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut js = tokio::task::JoinSet::new();
    for w in 0..conc {
        let p = p.clone();
        js.spawn(async move {
            let mut i = w as u64;
            while Instant::now() < deadline {
                p.send(pick.live(i)).await;
                i += conc as u64;
            }
        });
    }
    while js.join_next().await.is_some() {}
}

/// The run that stands for repeated runs of one cell: the median by `key`,
/// with the losses, duplicates and disorder of every run.
fn median_run(mut runs: Vec<Phase>, key: impl Fn(&Phase) -> f64) -> Phase {
    runs.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let (lost, dups, disorder) = runs.iter().fold((0, 0, 0), |(l, d, o), r| (l + r.lost, d + r.dups, o + r.disorder));
    let mid = runs.len() / 2;
    Phase { lost, dups, disorder, ..runs.swap_remove(mid) }
}

/// The run that stands for repeated runs of one paced W5 rate. The question
/// is the ingest's answer under fan-out: the median run by POST p99, with what
/// every run lost, closed or refused.
fn paced_median(runs: Vec<Phase>) -> Phase {
    let (closed, post_errors) = runs.iter().fold((0, 0), |(c, e), r| (c + r.closed, e + r.post_errors));
    Phase { closed, post_errors, ..median_run(runs, |p| p.post_p99_ms) }
}

struct Ctx<'a> {
    opts: &'a Opts,
    paths: &'a Paths,
    client: reqwest::Client,
    res: Results,
}

/// Publishes at `rate` for `secs`, waits until every subscriber has everything
/// (or the drain time passes), and measures.
///
/// Syscalls are counted only with `count_in` (where `perf` writes): the counter is a set
/// of `perf` tracepoints, and while any is attached every syscall of every
/// process on the machine takes the kernel's traced path, which made the
/// server's CPU per frame about 10 % higher at 10/s (16.6 and 15.6 µs against
/// 14.3 and 14.4 in alternated W2 runs at 4 000 × 10/s) and slowed the load
/// generator as much.
#[allow(clippy::too_many_arguments)]
async fn phase(
    srv: &Server,
    fleet: &mut Fleet,
    publ: &Arc<Publisher>,
    workload: &str,
    subs: usize,
    lives: usize,
    rate: f64,
    secs: f64,
    pick: Pick,
    drain: Duration,
    count_in: Option<&std::path::Path>,
) -> Result<Phase> {
    let acked0 = publ.acked();
    let before = fleet.stats(&acked0, true).await?;
    let errors0 = publ.errors.load(std::sync::atomic::Ordering::Relaxed);
    publ.take_post_hist();
    let s0 = sample(srv.pid);
    let subs0 = fleet.cpu_s();
    let watch = RssWatch::start(srv.pid);
    let perf = count_in.and_then(|work| SyscallCount::start(srv.pid, work));
    let (meter, t0) = (LoadMeter::start(srv.pid), Instant::now());
    publish_rate(publ, rate, secs, pick).await;
    let acked = publ.acked();
    // Sampled once the subscribers have answered: under overload they are still
    // receiving while the drain waits for them.
    let st = fleet.drain(&acked, before.lost, drain).await?;
    let s1 = sample(srv.pid);
    let subs_cpu = fleet.cpu_s() - subs0;
    let wall = t0.elapsed().as_secs_f64();
    let load = meter.read(wall);
    let peak = watch.stop();
    let counted = perf.and_then(SyscallCount::stop);
    let h = hist_of(&st);
    let post = publ.take_post_hist();
    let delivered = st.received.saturating_sub(before.received);
    let published: u64 = acked.iter().sum::<u64>() - acked0.iter().sum::<u64>();
    let cpu = s1.cpu_s - s0.cpu_s;
    let (syscalls, writes, source) = match counted {
        Some((all, w)) => (Some(all), Some(w), "perf"),
        None if count_in.is_some() => (
            Some((s1.syscw + s1.syscr).saturating_sub(s0.syscw + s0.syscr)),
            Some(s1.syscw.saturating_sub(s0.syscw)),
            "/proc io",
        ),
        None => (None, None, "none"),
    };
    let per = |n: Option<u64>| n.map(|n| if delivered > 0 { n as f64 / delivered as f64 } else { 0.0 });
    Ok(Phase {
        server: srv.proto.name().into(),
        workload: workload.into(),
        subs: subs as u64,
        lives: lives as u64,
        rate,
        secs,
        published,
        post_errors: publ.errors.load(std::sync::atomic::Ordering::Relaxed) - errors0,
        delivered,
        lost: st.lost.saturating_sub(before.lost),
        dups: st.dups.saturating_sub(before.dups),
        disorder: st.disorder.saturating_sub(before.disorder),
        closed: st.closed,
        failed: st.failed,
        p50_ms: ms(&h, 0.5),
        p99_ms: ms(&h, 0.99),
        p999_ms: ms(&h, 0.999),
        max_ms: h.max() as f64 / 1000.0,
        post_p50_ms: ms(&post, 0.5),
        post_p99_ms: ms(&post, 0.99),
        cpu_s: cpu,
        cpu_us_per_frame: if delivered > 0 { cpu * 1e6 / delivered as f64 } else { 0.0 },
        sub_cpu_us_per_frame: if delivered > 0 { subs_cpu * 1e6 / delivered as f64 } else { 0.0 },
        wall_s: wall,
        machine_cores: load.machine_cores,
        steal_cores: load.steal_cores,
        wait_threads: load.wait_threads,
        writes,
        writes_per_frame: per(writes),
        syscalls,
        syscalls_per_frame: per(syscalls),
        syscall_source: source.into(),
        rss_start_kib: s0.rss_kib,
        rss_peak_kib: peak,
        rss_end_kib: s1.rss_kib,
        frame_bytes: if st.received > 0 { st.bytes as f64 / st.received as f64 } else { 0.0 },
    })
}

fn conns_for(lives: usize, per_live: usize) -> Vec<u32> {
    (0..lives * per_live).map(|i| (i % lives) as u32).collect()
}

impl Ctx<'_> {
    async fn start(&self, proto: Proto) -> Result<Server> {
        Ok(Server::start(proto, self.paths, &self.client, None).await?.0)
    }

    async fn fleet(
        &self,
        proto: Proto,
        targets: &[crate::proto::Target],
        conns: Vec<u32>,
        stall_every: u32,
    ) -> Result<Fleet> {
        let f = Fleet::spawn(Spec { proto, targets, conns, stall_every, per_process: self.opts.per_process }).await?;
        eprintln!("    {} subscribers ready, {} failed, in {:.1} s", f.ready, f.failed, f.connect_time.as_secs_f64());
        Ok(f)
    }

    fn note(&mut self, p: &Phase) {
        eprintln!(
            "    {:<11} subs {:>5} rate {:>6}/s: p50 {:>8.2} ms p99 {:>8.2} ms p99.9 {:>8.2} ms | lost {} dup {} disorder {} closed {} | {:.1} µs CPU/frame{}",
            p.server,
            p.subs,
            p.rate,
            p.p50_ms,
            p.p99_ms,
            p.p999_ms,
            p.lost,
            p.dups,
            p.disorder,
            p.closed,
            p.cpu_us_per_frame,
            p.writes_per_frame.map(|w| format!(", {w:.2} writes/frame")).unwrap_or_default()
        );
        if !p.clean() && self.opts.mode == "smoke" {
            self.res.problems.push(format!(
                "{} {} subs {} rate {}: lost {} dups {} disorder {} failed {}",
                p.workload, p.server, p.subs, p.rate, p.lost, p.dups, p.disorder, p.failed
            ));
        }
    }

    async fn w1(&mut self, proto: Proto) -> Result<()> {
        eprintln!("W1 idle: {} × {}", proto.name(), self.opts.idle_subs);
        let srv = self.start(proto).await?;
        let (targets, _p) = srv.lives(&self.client, 1).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = sample(srv.pid).rss_kib;
        let fleet = self.fleet(proto, &targets, conns_for(1, self.opts.idle_subs), 0).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = sample(srv.pid).rss_kib;
        let idle = Idle {
            server: proto.name().into(),
            subs: fleet.ready,
            failed: fleet.failed,
            rss_before_kib: before,
            rss_after_kib: after,
            kib_per_conn: after.saturating_sub(before) as f64 / fleet.ready.max(1) as f64,
            connect_s: fleet.connect_time.as_secs_f64(),
        };
        eprintln!("    {:.2} KiB per idle connection", idle.kib_per_conn);
        if idle.failed > 0 && self.opts.mode == "smoke" {
            self.res.problems.push(format!("W1 {}: {} connections failed", proto.name(), idle.failed));
        }
        self.res.idle.push(idle);
        fleet.quit().await;
        srv.kill().await;
        Ok(())
    }

    /// The floor for `n` sockets at 10/s, with frames the size of ours in the
    /// W2 cell just measured.
    async fn floor(&mut self, n: usize) {
        let bytes = self
            .res
            .fanout
            .iter()
            .rev()
            .find(|p| p.server == Proto::Cagnotte.name() && p.subs == n as u64 && p.frame_bytes > 0.0)
            .map_or(400, |p| p.frame_bytes.round() as usize);
        eprintln!("floor: a bare write() loop × {n}, {bytes}-byte frames");
        match crate::floor::measure(n, 10.0, self.opts.secs, bytes, self.opts.per_process).await {
            Ok(f) => {
                eprintln!("    {:.1} µs CPU per write", f.cpu_us_per_write);
                self.res.floor.push(f);
            }
            Err(e) => self.res.problems.push(format!("floor × {n}: {e}")),
        }
    }

    async fn w2(&mut self, proto: Proto, n: usize) -> Result<()> {
        eprintln!("W2 fan-out: {} × {n}", proto.name());
        let srv = self.start(proto).await?;
        let (targets, publ) = srv.lives(&self.client, 1).await?;
        let publ = Arc::new(publ);
        let mut fleet = self.fleet(proto, &targets, conns_for(1, n), 0).await?;
        for &rate in &self.opts.rates.clone() {
            let reps = if rate <= 10.0 { self.opts.repeat } else { 1 };
            let m = self.cell(&srv, &mut fleet, &publ, "W2", n, rate, reps).await?;
            self.res.fanout.push(m);
        }
        fleet.quit().await;
        srv.kill().await;
        Ok(())
    }

    /// `reps` phases of one live with `n` subscribers at `rate`; the median run
    /// by p99 stands for the cell, and the losses of every run count.
    #[allow(clippy::too_many_arguments)]
    async fn cell(
        &mut self,
        srv: &Server,
        fleet: &mut Fleet,
        publ: &Arc<Publisher>,
        workload: &str,
        n: usize,
        rate: f64,
        reps: usize,
    ) -> Result<Phase> {
        let mut runs = Vec::new();
        for _ in 0..reps {
            let p = phase(
                srv,
                fleet,
                publ,
                workload,
                n,
                1,
                rate,
                self.opts.secs,
                Pick::Uniform(1),
                self.opts.drain,
                // Coalescing is the question at 100/s: count syscalls there.
                (rate >= 100.0).then_some(&*self.paths.work),
            )
            .await?;
            self.note(&p);
            runs.push(p);
        }
        Ok(median_run(runs, |p| p.p99_ms))
    }

    /// W3: the grid's sizes are far apart, so between the last size a server held
    /// at 10/s and the next, which it did not, sizes halfway are tried in turn
    /// until the two are `w3_step` apart.
    async fn w3(&mut self, proto: Proto) -> Result<()> {
        while let Some(n) = crate::report::next_probe(&self.res, proto.name(), self.opts.w3_step as u64) {
            eprintln!("W3 capacity: {} × {n}", proto.name());
            let srv = self.start(proto).await?;
            let (targets, publ) = srv.lives(&self.client, 1).await?;
            let publ = Arc::new(publ);
            let mut fleet = self.fleet(proto, &targets, conns_for(1, n as usize), 0).await?;
            let m = self.cell(&srv, &mut fleet, &publ, "W3", n as usize, 10.0, self.opts.repeat).await;
            fleet.quit().await;
            srv.kill().await;
            self.res.capacity.push(m?);
        }
        Ok(())
    }

    async fn w4(&mut self, proto: Proto) -> Result<()> {
        let (l, k) = (self.opts.w4_lives, self.opts.w4_per_live);
        eprintln!("W4 many lives: {} × {l} lives × {k}", proto.name());
        let srv = self.start(proto).await?;
        let (targets, publ) = srv.lives(&self.client, l).await?;
        let publ = Arc::new(publ);
        let mut fleet = self.fleet(proto, &targets, conns_for(l, k), 0).await?;
        let p = phase(
            &srv,
            &mut fleet,
            &publ,
            "W4",
            l * k,
            l,
            self.opts.w4_rate,
            self.opts.secs,
            Pick::Skewed { lives: l, hot: (l / 100).max(3) },
            self.opts.drain,
            // Many lives at 2 000/s: count syscalls to see the writes coalesce.
            Some(&self.paths.work),
        )
        .await?;
        self.note(&p);
        self.res.many.push(p);
        fleet.quit().await;
        srv.kill().await;
        Ok(())
    }

    async fn w5(&mut self) -> Result<()> {
        let proto = Proto::Cagnotte;
        let srv = self.start(proto).await?;
        // Live 0 without subscribers, live 1 with: each subscriber sees all of its live.
        let (targets, publ) = srv.lives(&self.client, 2).await?;
        let publ = Arc::new(publ);
        if self.opts.w5_subs > 0 {
            self.w5_paced(&srv, &targets, &publ, None).await?;
        }
        let most = self.opts.w5_clients.iter().copied().max().unwrap_or(32);
        let with_subs = (self.opts.w5_subs > 0).then_some((1, self.opts.w5_subs, most));
        // The client counts in turn, round after round, so that a slow moment of
        // the machine does not fall on one count's every run.
        let rounds = self.opts.w5_rounds.max(1);
        let phases: Vec<_> =
            (0..rounds).flat_map(|_| self.opts.w5_clients.iter().map(|&c| (0, 0, c))).chain(with_subs).collect();
        for (live, subs, clients) in phases {
            eprintln!("W5 durable ingest: {} with {subs} subscribers, {clients} clients", proto.name());
            let mut fleet =
                if subs > 0 { Some(self.fleet(proto, &targets[1..], conns_for(1, subs), 0).await?) } else { None };
            let acked0 = publ.acked();
            let errors0 = publ.errors.load(std::sync::atomic::Ordering::Relaxed);
            publ.take_post_hist();
            let (c0, meter) = (sample(srv.pid).cpu_s, LoadMeter::start(srv.pid));
            let start = Instant::now();
            publish_closed(&publ, clients, self.opts.w5_secs, Pick::Fixed(live)).await;
            let secs = start.elapsed().as_secs_f64();
            let (cpu, load) = (sample(srv.pid).cpu_s - c0, meter.read(secs));
            let post = publ.take_post_hist();
            let acked = publ.acked();
            let donations = acked[live] - acked0[live];
            let (mut lost, mut lost_open, mut dups, mut delivered, mut closed) = (0, 0, 0, 0, 0);
            if let Some(f) = fleet.as_mut() {
                // These subscribers connected after the paced phase's donations to the
                // same live: each is owed what was sent since, no more.
                let sent: Vec<u64> = acked.iter().zip(&acked0).map(|(a, b)| a - b).collect();
                let st = f.drain(&sent[1..], 0, self.opts.drain).await?;
                (lost, lost_open, dups, closed, delivered) = (st.lost, st.lost_open, st.dups, st.closed, st.received);
            }
            let r = Ingest {
                server: proto.name().into(),
                subs: subs as u64,
                concurrency: clients as u64,
                secs,
                donations,
                errors: publ.errors.load(std::sync::atomic::Ordering::Relaxed) - errors0,
                per_sec: donations as f64 / secs,
                post_p50_ms: ms(&post, 0.5),
                post_p99_ms: ms(&post, 0.99),
                post_p999_ms: ms(&post, 0.999),
                lost,
                dups,
                delivered,
                closed,
                cpu_s: cpu,
                machine_cores: Some(load.machine_cores),
                steal_cores: Some(load.steal_cores),
                wait_threads: load.wait_threads,
            };
            eprintln!(
                "    {:.0} donations/s, POST p50 {:.2} ms p99 {:.2} ms, errors {}, lost {} dups {}",
                r.per_sec, r.post_p50_ms, r.post_p99_ms, r.errors, r.lost, r.dups
            );
            // Closed loop with subscribers overloads the fan-out on purpose: the
            // contract closes a subscriber that cannot keep up (a real one resumes
            // with `after=`), so frames lost after such a close are expected. A frame
            // lost by a subscriber left open, a duplicate or a failed POST never is.
            if self.opts.mode == "smoke" && (lost_open > 0 || r.dups > 0 || r.errors > 0) {
                self.res.problems.push(format!(
                    "W5 with {subs} subscribers: errors {} lost {} dups {} closed {}",
                    r.errors, r.lost, r.dups, r.closed
                ));
            }
            self.res.ingest.push(r);
            if let Some(f) = fleet {
                f.quit().await;
            }
        }
        // Start-up replay of everything W5 wrote.
        let events: u64 = publ.acked().iter().sum::<u64>() + 2;
        let dir = srv.kill().await;
        let (srv, up) = Server::start(proto, self.paths, &self.client, dir).await?;
        eprintln!("    restart replayed {events} events, healthy after {:.2} s", up.as_secs_f64());
        self.res.replay = Some(Replay { events, ready_s: up.as_secs_f64() });
        if let Some(d) = srv.kill().await {
            let _ = std::fs::remove_dir_all(d);
        }
        Ok(())
    }

    /// W5 with subscribers, open loop: each rate in turn until one leaves a
    /// subscriber behind (a frame lost or late past the drain time, a
    /// subscriber closed, p99 at 100 ms or more). With one live, every
    /// subscriber follows live 1 and gets every donation; spread, they follow
    /// `lives` lives evenly and each donation goes to one of them, round robin.
    async fn w5_paced(
        &mut self,
        srv: &Server,
        targets: &[crate::proto::Target],
        publ: &Arc<Publisher>,
        spread: Option<usize>,
    ) -> Result<()> {
        let subs = self.opts.w5_subs;
        let (conns, lives, pick, rates) = match spread {
            // Target i is live i, so that the fleet's targets line up with the publisher's lives.
            None => (vec![1; subs], 1, Pick::Fixed(1), self.opts.w5_rates.clone()),
            Some(n) => (conns_for(n, subs / n), n, Pick::Uniform(n), self.opts.w5_spread_rates.clone()),
        };
        let mut fleet = self.fleet(Proto::Cagnotte, targets, conns, 0).await?;
        for rate in rates {
            let mut runs = Vec::new();
            for _ in 0..self.opts.w5_rounds.max(1) {
                eprintln!("W5 durable ingest, paced: {subs} subscribers over {lives} lives, {rate}/s");
                let (secs, drain) = (self.opts.w5_secs, self.opts.drain);
                let p = phase(srv, &mut fleet, publ, "w5", subs, lives, rate, secs, pick, drain, None).await?;
                self.note(&p);
                if self.opts.mode == "smoke" && (p.closed > 0 || p.post_errors > 0) {
                    self.res.problems.push(format!(
                        "W5 paced at {rate}/s with {subs} subscribers over {lives} lives: {} closed, {} POST errors",
                        p.closed, p.post_errors
                    ));
                }
                runs.push(p);
            }
            let p = paced_median(runs);
            let kept_up = p.kept_up();
            self.res.ingest_paced.push(p);
            if !kept_up {
                break;
            }
        }
        fleet.quit().await;
        Ok(())
    }

    /// W5 with the subscribers spread over many lives, on a server of its own.
    async fn w5_spread(&mut self) -> Result<()> {
        let n = self.opts.w5_spread;
        let srv = self.start(Proto::Cagnotte).await?;
        let (targets, publ) = srv.lives(&self.client, n).await?;
        let r = self.w5_paced(&srv, &targets, &Arc::new(publ), Some(n)).await;
        if let Some(d) = srv.kill().await {
            let _ = std::fs::remove_dir_all(d);
        }
        r
    }

    /// Starts the server three times on a large log, each time in a fresh process
    /// (the log file is in the page cache after the first start, as after a crash).
    async fn big_replay(&mut self, dir: &std::path::Path, events: u64) -> Result<BigReplay> {
        eprintln!("start-up replay: {events} events in {}", dir.display());
        // Let the writeback of the workloads before settle, so that it does not
        // land on the first start.
        let _ = tokio::process::Command::new("sync").status().await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (mut starts_s, mut peak_rss_kib) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            let (srv, up) = Server::start(Proto::Cagnotte, self.paths, &self.client, Some(dir.to_owned())).await?;
            let peak = crate::servers::peak_rss_kib(srv.pid);
            eprintln!("    healthy after {:.2} s, peak RSS {} MiB", up.as_secs_f64(), peak / 1024);
            starts_s.push(up.as_secs_f64());
            peak_rss_kib.push(peak);
            srv.kill().await;
        }
        Ok(BigReplay { events, starts_s, peak_rss_kib })
    }

    async fn w6(&mut self, proto: Proto) -> Result<()> {
        let n = self.opts.w6_subs;
        eprintln!("W6 slow consumers: {} × {n}, 1 % stop reading", proto.name());
        let srv = self.start(proto).await?;
        let (targets, publ) = srv.lives(&self.client, 1).await?;
        let publ = Arc::new(publ);
        let mut fleet = self.fleet(proto, &targets, conns_for(1, n), 100).await?;
        let rate = self.opts.w6_rate;
        let base = phase(
            &srv,
            &mut fleet,
            &publ,
            "W6 all reading",
            n,
            1,
            rate,
            self.opts.w6_secs,
            Pick::Uniform(1),
            self.opts.drain,
            None,
        )
        .await?;
        self.note(&base);
        fleet.stall().await?;
        let stalled = phase(
            &srv,
            &mut fleet,
            &publ,
            "W6 1 % stalled",
            n,
            1,
            rate,
            self.opts.w6_secs * 2.0,
            Pick::Uniform(1),
            self.opts.drain,
            None,
        )
        .await?;
        self.note(&stalled);
        let st = fleet.stats(&publ.acked(), false).await?;
        self.res.slow.push(Slow { server: proto.name().into(), baseline: base, stalled, stalled_conns: st.stalled });
        fleet.quit().await;
        srv.kill().await;
        Ok(())
    }

    async fn w7(&mut self) -> Result<()> {
        let proto = Proto::Cagnotte;
        let n = self.opts.w7_subs;
        eprintln!("W7 reconnect storm: {} × {n}", proto.name());
        let srv = self.start(proto).await?;
        let (targets, publ) = srv.lives(&self.client, 1).await?;
        let publ = Arc::new(publ);
        let mut fleet = self.fleet(proto, &targets, conns_for(1, n), 0).await?;
        let acked0 = publ.acked();
        let before = fleet.stats(&acked0, true).await?;
        publish_rate(&publ, 10.0, 1.0, Pick::Uniform(1)).await;
        fleet.drop_start(1000).await?;
        publish_rate(&publ, 10.0, 3.0, Pick::Uniform(1)).await;
        let (reconnected, failed, slowest) = fleet.drop_done().await?;
        publish_rate(&publ, 10.0, 1.0, Pick::Uniform(1)).await;
        let acked = publ.acked();
        let end = Instant::now() + self.opts.drain;
        loop {
            let st = fleet.stats(&acked, false).await?;
            if st.lost == 0 || Instant::now() > end {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let st = fleet.stats(&acked, true).await?;
        let h = hist_of(&st);
        let s = Storm {
            server: proto.name().into(),
            subs: n as u64,
            reconnected,
            failed,
            slowest_ms: slowest,
            lost: st.lost,
            dups: st.dups,
            disorder: st.disorder,
            delivered: st.received - before.received,
            p99_ms: ms(&h, 0.99),
        };
        eprintln!(
            "    {reconnected} resumed, {failed} failed, slowest process {slowest} ms, lost {} dups {} disorder {}",
            s.lost, s.dups, s.disorder
        );
        if (s.lost > 0 || s.dups > 0 || s.disorder > 0 || s.failed > 0) && self.opts.mode == "smoke" {
            self.res
                .problems
                .push(format!("W7: failed {} lost {} dups {} disorder {}", s.failed, s.lost, s.dups, s.disorder));
        }
        self.res.storm.push(s);
        fleet.quit().await;
        srv.kill().await;
        Ok(())
    }
}

pub async fn run(opts: &Opts, paths: &Paths, command: String) -> Result<Results> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).timeout(Duration::from_secs(30)).build()?;
    let mut ctx = Ctx { opts, paths, client, res: Results { mode: opts.mode.clone(), command, ..Default::default() } };
    let servers: Vec<Proto> = opts
        .servers
        .iter()
        .copied()
        .filter(|&p| {
            let ok = crate::servers::check(paths, p);
            if !ok {
                eprintln!("skipping {}: not installed", p.name());
            }
            ok
        })
        .collect();
    ctx.res.servers = servers.iter().map(|p| p.name().to_string()).collect();
    let has = |w: &str| opts.workloads.iter().any(|x| x == w);
    if has("w1") {
        for &p in &servers {
            ctx.w1(p).await?;
        }
    }
    if has("w2") {
        for &n in &opts.sizes {
            for &p in &servers {
                ctx.w2(p, n).await?;
            }
            if opts.rates.contains(&10.0) {
                ctx.floor(n).await;
            }
        }
        if has("w3") && opts.w3_step > 0 && opts.rates.contains(&10.0) {
            for &p in &servers {
                ctx.w3(p).await?;
            }
        }
    }
    if has("w4") {
        for &p in &servers {
            ctx.w4(p).await?;
        }
    }
    if has("w6") {
        for &p in &servers {
            ctx.w6(p).await?;
        }
    }
    if servers.contains(&Proto::Cagnotte) {
        if has("w7") {
            ctx.w7().await?;
        }
        if has("w5") {
            ctx.w5().await?;
            if ctx.opts.w5_subs > 0 && ctx.opts.w5_spread > 0 {
                ctx.w5_spread().await?;
            }
        }
        if let Some((dir, events)) = &opts.replay_log {
            ctx.res.big_replay = Some(ctx.big_replay(dir, *events).await?);
        }
        if let Some((dir, events)) = &opts.replay_keyed_log {
            ctx.res.big_replay_keyed = Some(ctx.big_replay(dir, *events).await?);
        }
    }
    Ok(ctx.res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p99_ms: f64, post_p99_ms: f64, lost: u64, closed: u64) -> Phase {
        Phase { p99_ms, post_p99_ms, lost, closed, published: 1000, delivered: 10_000, ..Phase::default() }
    }

    #[test]
    fn a_cell_is_its_median_run_by_p99_with_every_runs_losses() {
        let m = median_run(vec![run(90.0, 1.0, 0, 0), run(30.0, 9.0, 2, 0), run(60.0, 5.0, 1, 0)], |p| p.p99_ms);
        assert_eq!((m.p99_ms, m.post_p99_ms, m.lost), (60.0, 5.0, 3));
    }

    #[test]
    fn a_paced_rate_is_its_median_run_by_post_p99_with_whatever_any_run_closed() {
        let m = paced_median(vec![run(50.0, 30.0, 0, 0), run(20.0, 4.0, 0, 2), run(40.0, 8.0, 0, 0)]);
        assert_eq!((m.p99_ms, m.post_p99_ms, m.closed, m.lost), (40.0, 8.0, 2, 0));
        assert!(!m.kept_up(), "a subscriber closed in one run: the rate was not kept up");
        let m = paced_median(vec![run(50.0, 30.0, 0, 0), run(20.0, 4.0, 0, 0), run(40.0, 8.0, 0, 0)]);
        assert!(m.kept_up());
    }
}
