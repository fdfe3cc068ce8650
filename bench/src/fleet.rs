//! A fleet of subscriber processes (this binary run as `sub`), each with its own
//! source address, driven over stdin/stdout.

use crate::proto::{ChildConfig, Proto, Result, Stats, Target};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Source addresses rotate over 127.0.0.2..=127.0.0.251 so that ports left in
/// TIME_WAIT by one fleet never starve the next.
static NEXT_ADDR: AtomicU32 = AtomicU32::new(0);

/// The next source address for a process of subscribers (or of readers).
pub fn next_source() -> String {
    format!("127.0.0.{}", NEXT_ADDR.fetch_add(1, Ordering::Relaxed) % 250 + 2)
}

/// How many processes share `n` connections, at most `per_process` each.
pub fn processes(n: usize, per_process: usize) -> usize {
    n.div_ceil(per_process.max(1)).max(2).min(n.max(1))
}

struct Kid {
    child: Child,
    stdin: ChildStdin,
    out: Lines<BufReader<ChildStdout>>,
}

pub struct Fleet {
    kids: Vec<Kid>,
    pub ready: u64,
    pub failed: u64,
    pub connect_time: Duration,
}

pub struct Spec<'a> {
    pub proto: Proto,
    pub targets: &'a [Target],
    /// Target index of each connection.
    pub conns: Vec<u32>,
    pub stall_every: u32,
    pub per_process: usize,
}

impl Fleet {
    pub async fn spawn(spec: Spec<'_>) -> Result<Fleet> {
        let n = spec.conns.len();
        let procs = processes(n, spec.per_process);
        let exe = std::env::current_exe()?;
        let start = Instant::now();
        let mut kids = Vec::with_capacity(procs);
        for p in 0..procs {
            let conns: Vec<u32> = spec.conns.iter().skip(p).step_by(procs).copied().collect();
            let cfg = ChildConfig {
                proto: spec.proto,
                bind: next_source(),
                targets: spec.targets.to_vec(),
                conns,
                stall_every: spec.stall_every,
                parallel: 64,
            };
            let mut child = Command::new(&exe)
                .arg("sub")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()?;
            let mut stdin = child.stdin.take().ok_or("no stdin")?;
            let out = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
            stdin.write_all(format!("{}\n", serde_json::to_string(&cfg)?).as_bytes()).await?;
            kids.push(Kid { child, stdin, out });
        }
        let mut fleet = Fleet { kids, ready: 0, failed: 0, connect_time: Duration::ZERO };
        for v in fleet.read_all().await? {
            fleet.ready += v["ready"].as_u64().unwrap_or(0);
            fleet.failed += v["failed"].as_u64().unwrap_or(0);
        }
        fleet.connect_time = start.elapsed();
        Ok(fleet)
    }

    async fn send_all(&mut self, line: &str) -> Result<()> {
        for k in &mut self.kids {
            k.stdin.write_all(line.as_bytes()).await?;
            k.stdin.write_all(b"\n").await?;
        }
        Ok(())
    }

    async fn read_all(&mut self) -> Result<Vec<serde_json::Value>> {
        let mut out = Vec::with_capacity(self.kids.len());
        for k in &mut self.kids {
            let l = k.out.next_line().await?.ok_or("a subscriber process ended")?;
            out.push(serde_json::from_str(&l)?);
        }
        Ok(out)
    }

    /// Counters over the fleet; `reset` also takes (and clears) the latency histograms.
    pub async fn stats(&mut self, acked: &[u64], reset: bool) -> Result<Stats> {
        let cmd = if reset { "report" } else { "stats" };
        self.send_all(&format!("{cmd} {}", serde_json::to_string(acked)?)).await?;
        let mut total = Stats::default();
        for v in self.read_all().await? {
            let s: Stats = serde_json::from_value(v)?;
            total.add(&s);
        }
        Ok(total)
    }

    /// Waits until the subscribers miss no more than `lost_before` frames of
    /// `acked` (what they missed before the phase) or `drain` passes, then takes
    /// the counters and the latency histograms.
    pub async fn drain(&mut self, acked: &[u64], lost_before: u64, drain: Duration) -> Result<Stats> {
        let end = Instant::now() + drain;
        loop {
            let st = self.stats(acked, false).await?;
            if st.lost <= lost_before || Instant::now() > end {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.stats(acked, true).await
    }

    /// CPU time (s) the subscriber processes have used so far.
    pub fn cpu_s(&self) -> f64 {
        self.kids.iter().filter_map(|k| k.child.id()).map(|pid| crate::servers::sample(pid).cpu_s).sum()
    }

    pub async fn stall(&mut self) -> Result<()> {
        self.send_all("stall").await?;
        self.read_all().await?;
        Ok(())
    }

    /// Every reading connection drops and resumes within `spread_ms`; the answer
    /// comes with [`Fleet::drop_done`].
    pub async fn drop_start(&mut self, spread_ms: u64) -> Result<()> {
        self.send_all(&format!("drop {spread_ms}")).await
    }

    /// (reconnected, failed, slowest process in ms)
    pub async fn drop_done(&mut self) -> Result<(u64, u64, u64)> {
        let mut r = (0, 0, 0);
        for v in self.read_all().await? {
            r.0 += v["reconnected"].as_u64().unwrap_or(0);
            r.1 += v["failed"].as_u64().unwrap_or(0);
            r.2 = r.2.max(v["ms"].as_u64().unwrap_or(0));
        }
        Ok(r)
    }

    pub async fn quit(mut self) {
        let _ = self.send_all("quit").await;
        for k in &mut self.kids {
            if tokio::time::timeout(Duration::from_secs(5), k.child.wait()).await.is_err() {
                let _ = k.child.kill().await;
            }
        }
    }
}
