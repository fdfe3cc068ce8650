//! What `GET /metrics` reports, in Prometheus' text format (version 0.0.4).
//!
//! Counters are atomics bumped where things happen: the edge counts answers,
//! refusals and the time writes take, WebSocket sessions count their openings
//! and why they ended, the ledger writer counts its commits. Gauges are read when
//! the page is asked for: totals from the read model, outgoing webhooks from
//! their stored state, the process from `/proc/self`. The format is a few lines
//! of text, written here rather than through a metrics crate and its registry.

use std::fmt::{Display, Write as _};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds, in seconds, of the latency histograms' buckets.
const BOUNDS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// A latency histogram: a count per bucket (the last one above every bound) and
/// the sum, in microseconds.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BOUNDS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = BOUNDS.iter().position(|&b| secs <= b).unwrap_or(BOUNDS.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Relaxed);
    }

    pub fn write(&self, out: &mut Text, name: &str, help: &str) {
        out.head(name, "histogram", help);
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Relaxed);
            let le = BOUNDS.get(i).map_or_else(|| "+Inf".to_owned(), f64::to_string);
            out.sample(&format!("{name}_bucket"), &[("le", &le)], cumulative);
        }
        out.sample(&format!("{name}_sum"), &[], self.sum_micros.load(Relaxed) as f64 / 1e6);
        out.sample(&format!("{name}_count"), &[], cumulative);
    }
}

/// Why a WebSocket session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client closed, went away, or did not take a write in time.
    Left,
    /// Closed as too far behind the live frames (it may resume with `after=`).
    TooSlow,
    /// Silent after a ping.
    NoPong,
    /// Sent a message too big or malformed.
    BadMessage,
    /// Its stream is gone.
    StreamClosed,
    /// The server is stopping.
    Shutdown,
    /// The overlay token it was opened with was replaced.
    Revoked,
}

impl SessionEnd {
    /// Every reason, in declaration order (a reason's index is `as usize`).
    const ALL: [SessionEnd; 7] = [
        SessionEnd::Left,
        SessionEnd::TooSlow,
        SessionEnd::NoPong,
        SessionEnd::BadMessage,
        SessionEnd::StreamClosed,
        SessionEnd::Shutdown,
        SessionEnd::Revoked,
    ];

    fn label(self) -> &'static str {
        match self {
            SessionEnd::Left => "left",
            SessionEnd::TooSlow => "too_slow",
            SessionEnd::NoPong => "no_pong",
            SessionEnd::BadMessage => "bad_message",
            SessionEnd::StreamClosed => "stream_closed",
            SessionEnd::Shutdown => "shutdown",
            SessionEnd::Revoked => "revoked",
        }
    }
}

/// Why the edge refused a request before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over the write rate limit.
    RateLimited,
    /// From an address that failed authentication too often.
    AuthBrake,
}

/// The counters of the edge and of the WebSocket sessions.
#[derive(Default)]
pub struct Metrics {
    /// Answers by status class, 1xx to 5xx.
    answers: [AtomicU64; 5],
    refused: [AtomicU64; 2],
    /// Time to answer a `POST` (a donation is answered once committed).
    writes: Histogram,
    sessions_opened: AtomicU64,
    sessions_ended: [AtomicU64; SessionEnd::ALL.len()],
}

impl Metrics {
    pub fn answered(&self, status: u16, post_took: Option<Duration>) {
        if let Some(class) = self.answers.get(usize::from(status / 100).wrapping_sub(1)) {
            class.fetch_add(1, Relaxed);
        }
        if let Some(d) = post_took {
            self.writes.observe(d);
        }
    }

    pub fn refused(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Relaxed);
    }

    pub fn session_opened(&self) {
        self.sessions_opened.fetch_add(1, Relaxed);
    }

    pub fn session_ended(&self, why: SessionEnd) {
        self.sessions_ended[why as usize].fetch_add(1, Relaxed);
    }

    pub fn write(&self, out: &mut Text) {
        out.head("cagnotte_http_responses_total", "counter", "HTTP answers, by status class.");
        for (i, n) in self.answers.iter().enumerate() {
            out.sample("cagnotte_http_responses_total", &[("class", &format!("{}xx", i + 1))], n.load(Relaxed));
        }
        out.head("cagnotte_http_refused_total", "counter", "Requests refused at the edge (429), by reason.");
        for (why, n) in [("rate_limited", &self.refused[0]), ("auth_brake", &self.refused[1])] {
            out.sample("cagnotte_http_refused_total", &[("reason", why)], n.load(Relaxed));
        }
        self.writes.write(
            out,
            "cagnotte_http_write_duration_seconds",
            "Time to answer a POST (a donation is answered once it is committed).",
        );
        let ended: Vec<u64> = self.sessions_ended.iter().map(|n| n.load(Relaxed)).collect();
        let opened = self.sessions_opened.load(Relaxed);
        out.head("cagnotte_websocket_sessions", "gauge", "Open WebSocket sessions (overlays, pages, integrations).");
        out.sample("cagnotte_websocket_sessions", &[], opened.saturating_sub(ended.iter().sum()));
        out.head("cagnotte_websocket_sessions_opened_total", "counter", "WebSocket sessions opened.");
        out.sample("cagnotte_websocket_sessions_opened_total", &[], opened);
        out.head("cagnotte_websocket_sessions_ended_total", "counter", "WebSocket sessions ended, by reason.");
        for (why, n) in SessionEnd::ALL.iter().zip(ended) {
            out.sample("cagnotte_websocket_sessions_ended_total", &[("reason", why.label())], n);
        }
    }
}

/// The ledger writer's counters.
#[derive(Default)]
pub struct LedgerStats {
    pub commits: AtomicU64,
    pub events: AtomicU64,
    /// Time of each commit (write and sync).
    pub commit: Histogram,
}

impl LedgerStats {
    pub fn committed(&self, events: usize, took: Duration) {
        self.commits.fetch_add(1, Relaxed);
        self.events.fetch_add(events as u64, Relaxed);
        self.commit.observe(took);
    }

    pub fn write(&self, out: &mut Text) {
        out.head("cagnotte_ledger_commits_total", "counter", "Commits of the log (each one synced to disk).");
        out.sample("cagnotte_ledger_commits_total", &[], self.commits.load(Relaxed));
        out.head("cagnotte_ledger_committed_events_total", "counter", "Events committed since the server started.");
        out.sample("cagnotte_ledger_committed_events_total", &[], self.events.load(Relaxed));
        self.commit.write(out, "cagnotte_ledger_commit_duration_seconds", "Time to write and sync one commit.");
    }
}

/// A page of metrics being written.
#[derive(Default)]
pub struct Text(String);

impl Text {
    pub fn head(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"");
                for c in v.chars() {
                    match c {
                        '\\' => self.0.push_str("\\\\"),
                        '"' => self.0.push_str("\\\""),
                        '\n' => self.0.push_str("\\n"),
                        c => self.0.push(c),
                    }
                }
                self.0.push('"');
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    /// A gauge with one sample and no label.
    pub fn gauge(&mut self, name: &str, help: &str, value: impl Display) {
        self.head(name, "gauge", help);
        self.sample(name, &[], value);
    }

    pub fn finish(self) -> String {
        self.0
    }
}

/// The process's own figures, under the names Prometheus' client libraries use.
pub fn write_process(out: &mut Text) {
    // Fields 14 and 15 of /proc/self/stat, after the command name in parentheses:
    // user and system time of every thread, in USER_HZ ticks (100 a second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let ticks = stat.rsplit_once(')').and_then(|(_, rest)| {
        let mut f = rest.split_whitespace().skip(11);
        Some(f.next()?.parse::<u64>().ok()? + f.next()?.parse::<u64>().ok()?)
    });
    if let Some(t) = ticks {
        out.head("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
        out.sample("process_cpu_seconds_total", &[], t as f64 / 100.0);
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kib =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok());
    if let Some(kib) = rss_kib {
        out.gauge("process_resident_memory_bytes", "Resident memory size, in bytes.", kib * 1024);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        out.gauge("process_open_fds", "Open file descriptors (sockets included).", fds.count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let mut t = Text::default();
        h.write(&mut t, "x_seconds", "X.");
        t.sample("y", &[("a", "q\"b\\c\nd"), ("e", "f")], 1.5);
        let page = t.finish();
        for line in [
            "# HELP x_seconds X.",
            "# TYPE x_seconds histogram",
            "x_seconds_bucket{le=\"0.0005\"} 1",
            "x_seconds_bucket{le=\"0.0025\"} 1",
            "x_seconds_bucket{le=\"0.005\"} 2",
            "x_seconds_bucket{le=\"2.5\"} 2",
            "x_seconds_bucket{le=\"+Inf\"} 3",
            "x_seconds_sum 10.0033",
            "x_seconds_count 3",
            "y{a=\"q\\\"b\\\\c\\nd\",e=\"f\"} 1.5",
        ] {
            assert!(page.lines().any(|l| l == line), "missing {line:?} in\n{page}");
        }
    }

    #[test]
    fn sessions_open_are_those_opened_and_not_ended() {
        let m = Metrics::default();
        for _ in 0..3 {
            m.session_opened();
        }
        m.session_ended(SessionEnd::TooSlow);
        m.answered(201, Some(Duration::from_millis(2)));
        m.answered(429, None);
        m.refused(Refusal::AuthBrake);
        let mut t = Text::default();
        m.write(&mut t);
        let page = t.finish();
        for line in [
            "cagnotte_websocket_sessions 2",
            "cagnotte_websocket_sessions_opened_total 3",
            "cagnotte_websocket_sessions_ended_total{reason=\"too_slow\"} 1",
            "cagnotte_websocket_sessions_ended_total{reason=\"left\"} 0",
            "cagnotte_http_responses_total{class=\"2xx\"} 1",
            "cagnotte_http_responses_total{class=\"4xx\"} 1",
            "cagnotte_http_refused_total{reason=\"auth_brake\"} 1",
            "cagnotte_http_refused_total{reason=\"rate_limited\"} 0",
            "cagnotte_http_write_duration_seconds_count 1",
        ] {
            assert!(page.lines().any(|l| l == line), "missing {line:?} in\n{page}");
        }
    }
}
