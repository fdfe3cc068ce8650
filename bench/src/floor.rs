//! The floor: the CPU one plain `write()` of a frame to one of N loopback sockets
//! costs on this machine, now, with the readers in other processes. No fan-out
//! server can spend less per delivered frame (most of it is the kernel's send
//! path, waking the reader included), and on a shared machine that cost moves
//! from one hour to the next: measured in the same run as the servers, it says
//! how far above the machine's own cost their CPU per frame is.
//!
//! `floor-write` is one thread that accepts N connections and writes a frame to
//! each in turn, RATE times a second; `floor-read` processes connect from their
//! own source addresses and read and drop everything, as subscribers would. The
//! writer counts its own `write()` calls, and runs, like the servers at 10/s,
//! without a syscall tracer (which would slow every syscall on the machine).

use crate::fleet::{next_source, processes};
use crate::proto::{Result, socket_from};
use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// One measurement of the floor.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Floor {
    pub subs: usize,
    pub rate: f64,
    pub frame_bytes: usize,
    pub writes: u64,
    pub cpu_us_per_write: f64,
    /// `write()` calls the writer made (one per frame unless a write was partial).
    #[serde(default)]
    pub write_syscalls: Option<u64>,
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> Result<T> {
    args.get(i).and_then(|v| v.parse().ok()).ok_or_else(|| format!("floor: bad or missing {what}").into())
}

/// A WebSocket text frame (server to client: no mask) of `bytes` bytes in all.
fn ws_frame(bytes: usize) -> Vec<u8> {
    let bytes = bytes.max(8);
    let mut f = if bytes - 2 < 126 {
        vec![0x81, (bytes - 2) as u8]
    } else {
        // A 16-bit payload length follows the 126 marker.
        let mut head = vec![0x81, 126];
        head.extend_from_slice(&((bytes - 4) as u16).to_be_bytes());
        head
    };
    f.resize(bytes, b'x');
    f
}

/// `cagnotte-bench floor-write N RATE SECS BYTES`: prints its port, accepts N
/// connections, prints `ready`, waits for a line on stdin, writes, then prints
/// what its writes cost (JSON).
pub fn write_main(args: &[String]) -> Result<()> {
    let n: usize = arg(args, 0, "N")?;
    let rate: f64 = arg(args, 1, "RATE")?;
    let secs: f64 = arg(args, 2, "SECS")?;
    let bytes: usize = arg(args, 3, "BYTES")?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut out = std::io::stdout();
    writeln!(out, "{}", listener.local_addr()?.port())?;
    out.flush()?;
    let mut socks = Vec::with_capacity(n);
    for _ in 0..n {
        let (s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        socks.push(s);
    }
    writeln!(out, "ready")?;
    out.flush()?;
    std::io::stdin().read_line(&mut String::new())?;
    let frame = ws_frame(bytes);
    let pid = std::process::id();
    let before = crate::servers::sample(pid).cpu_s;
    let start = Instant::now();
    let rounds = (rate * secs).round().max(1.0) as u64;
    let (mut writes, mut calls) = (0u64, 0u64);
    for r in 0..rounds {
        let due = start + Duration::from_secs_f64(r as f64 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for s in &mut socks {
            if write_counted(s, &frame, &mut calls).is_ok() {
                writes += 1;
            }
        }
    }
    let cpu_s = crate::servers::sample(pid).cpu_s - before;
    writeln!(out, "{}", serde_json::json!({ "writes": writes, "calls": calls, "cpu_s": cpu_s }))?;
    Ok(())
}

/// Writes all of `buf` (a blocking socket), counting the `write()` calls.
fn write_counted(w: &mut impl Write, mut buf: &[u8], calls: &mut u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        *calls += 1;
        match w.write(buf) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `cagnotte-bench floor-read PORT BIND COUNT`: COUNT connections from BIND,
/// read and dropped until the writer closes them.
pub fn read_main(args: &[String]) -> Result<()> {
    let port: u16 = arg(args, 0, "PORT")?;
    let bind: IpAddr = arg(args, 1, "BIND")?;
    let count: usize = arg(args, 2, "COUNT")?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let to = SocketAddr::from(([127, 0, 0, 1], port));
        let mut readers = Vec::with_capacity(count);
        for _ in 0..count {
            let mut s = socket_from(bind)?.connect(to).await?;
            readers.push(tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
            }));
        }
        for r in readers {
            let _ = r.await;
        }
        Ok(())
    })
}

/// Measures the floor for `n` sockets: the writer and its readers as child
/// processes of this one, spread like a fleet of `per_process` subscribers.
pub async fn measure(n: usize, rate: f64, secs: f64, frame_bytes: usize, per_process: usize) -> Result<Floor> {
    let exe = std::env::current_exe()?;
    let mut writer = tokio::process::Command::new(&exe)
        .args(["floor-write", &n.to_string(), &rate.to_string(), &secs.to_string(), &frame_bytes.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(writer.stdout.take().ok_or("floor writer: no stdout")?).lines();
    let port: u16 = lines.next_line().await?.ok_or("floor writer: no port")?.trim().parse()?;
    let procs = processes(n, per_process);
    let mut readers = Vec::with_capacity(procs);
    for p in 0..procs {
        let count = n / procs + usize::from(p < n % procs);
        readers.push(
            tokio::process::Command::new(&exe)
                .args(["floor-read", &port.to_string(), &next_source(), &count.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .kill_on_drop(true)
                .spawn()?,
        );
    }
    let ready = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .map_err(|_| "floor writer: readers not connected")??;
    if ready.as_deref() != Some("ready") {
        return Err("floor writer: readers not connected".into());
    }
    let mut go = writer.stdin.take().ok_or("floor writer: no stdin")?;
    go.write_all(b"go\n").await?;
    let limit = Duration::from_secs_f64(secs + 60.0);
    let line = tokio::time::timeout(limit, lines.next_line()).await.map_err(|_| "floor writer: no answer")??;
    let v: serde_json::Value = serde_json::from_str(&line.ok_or("floor writer: no result")?)?;
    let _ = writer.wait().await;
    for mut r in readers {
        if tokio::time::timeout(Duration::from_secs(10), r.wait()).await.is_err() {
            let _ = r.kill().await;
        }
    }
    let writes = v["writes"].as_u64().unwrap_or(0);
    let cpu_s = v["cpu_s"].as_f64().unwrap_or(0.0);
    let write_syscalls = v["calls"].as_u64();
    if writes == 0 {
        return Err("floor writer: nothing written".into());
    }
    Ok(Floor { subs: n, rate, frame_bytes, writes, cpu_us_per_write: cpu_s * 1e6 / writes as f64, write_syscalls })
}

#[cfg(test)]
mod tests {
    use super::{write_counted, ws_frame};

    /// A writer that takes at most `chunk` bytes per call.
    struct Trickle {
        chunk: usize,
        got: Vec<u8>,
    }

    impl std::io::Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.chunk);
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_write_call_is_counted_partial_ones_included() {
        let frame = ws_frame(100);
        let mut calls = 0;
        let mut whole = Trickle { chunk: 4096, got: Vec::new() };
        write_counted(&mut whole, &frame, &mut calls).unwrap();
        assert_eq!(calls, 1);
        let mut trickle = Trickle { chunk: 30, got: Vec::new() };
        write_counted(&mut trickle, &frame, &mut calls).unwrap();
        assert_eq!(calls, 1 + 4);
        assert_eq!(trickle.got, frame);
    }

    #[test]
    fn frames_have_the_asked_size_and_a_valid_header() {
        let small = ws_frame(100);
        assert_eq!(small.len(), 100);
        assert_eq!(&small[..2], &[0x81, 98]);
        let big = ws_frame(400);
        assert_eq!(big.len(), 400);
        assert_eq!(&big[..4], &[0x81, 126, 1, 140]);
    }
}
