//! What the orchestrator and the subscriber processes say to each other, and
//! the shape of the frames all three servers send.

use serde::{Deserialize, Serialize};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

/// A TCP socket bound to the source address `bind` (any port), ready to connect:
/// clients spread over 127.0.0.x so that no address runs out of ports.
pub fn socket_from(bind: std::net::IpAddr) -> std::io::Result<tokio::net::TcpSocket> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind(std::net::SocketAddr::new(bind, 0))?;
    Ok(sock)
}

/// How subscribers talk to a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// Cagnotte: `snapshot` first, then `donation` frames; resumes with `after=`.
    Cagnotte,
    /// The Node.js `ws` peer: same frames, no resume.
    Ws,
    /// nats-server: NATS protocol over WebSocket, one subject per live.
    Nats,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Cagnotte => "cagnotte",
            Proto::Ws => "node-ws",
            Proto::Nats => "nats-server",
        }
    }
}

/// One live as a subscriber sees it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Target {
    /// WebSocket URL, without `after=`.
    pub url: String,
    /// NATS subject (empty for the others).
    pub subject: String,
}

/// First line a subscriber process reads on stdin.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChildConfig {
    pub proto: Proto,
    /// Source address of every socket, e.g. 127.0.0.3.
    pub bind: String,
    pub targets: Vec<Target>,
    /// Target index of each connection.
    pub conns: Vec<u32>,
    /// Every `stall_every`-th connection stops reading on `stall` (0: none).
    pub stall_every: u32,
    /// Connections being opened at once.
    pub parallel: usize,
}

/// A subscriber process's answer to `stats` and `report`. Counters are cumulative;
/// `hist` (µs, value → count) covers the time since the previous `report`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Stats {
    pub ready: u64,
    pub failed: u64,
    /// Connections the server closed or that broke (stalled ones excluded).
    pub closed: u64,
    pub stalled: u64,
    /// Distinct donations received, over the reading connections.
    pub received: u64,
    /// Expected minus received over the reading connections.
    pub lost: u64,
    /// Received more than expected (a donation the publisher saw fail).
    pub extra: u64,
    pub dups: u64,
    /// A seq not above the previous one.
    pub disorder: u64,
    pub bytes: u64,
    pub hist: Vec<(u64, u64)>,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.ready += o.ready;
        self.failed += o.failed;
        self.closed += o.closed;
        self.stalled += o.stalled;
        self.received += o.received;
        self.lost += o.lost;
        self.extra += o.extra;
        self.dups += o.dups;
        self.disorder += o.disorder;
        self.bytes += o.bytes;
        self.hist.extend_from_slice(&o.hist);
    }
}

/// The donation message the load generator sends: send time and per-live index.
pub fn message(sent_ns: u64, index: u64) -> String {
    format!("bench t={sent_ns} i={index}")
}

pub fn parse_message(m: &str) -> Option<(u64, u64)> {
    let rest = m.strip_prefix("bench t=")?;
    let (t, i) = rest.split_once(" i=")?;
    Some((t.parse().ok()?, i.parse().ok()?))
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// The fields of a server frame the load generator reads.
#[derive(Deserialize)]
pub struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    pub ty: std::borrow::Cow<'a, str>,
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub replay: bool,
    #[serde(default, borrow)]
    pub donation: Option<DonationRef<'a>>,
}

#[derive(Deserialize)]
pub struct DonationRef<'a> {
    #[serde(default, borrow)]
    pub message: Option<std::borrow::Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_round_trip() {
        assert_eq!(parse_message(&message(123, 45)), Some((123, 45)));
        assert_eq!(parse_message("hello"), None);
    }

    #[test]
    fn frame_parses_cagnotte_shape() {
        let text = r#"{"replay":true,"type":"donation","seq":7,"donation":{"id":"x","message":"bench t=5 i=2","donor":null},"totals":{"raised":1}}"#;
        let f: Frame = serde_json::from_str(text).unwrap();
        assert_eq!(f.ty, "donation");
        assert_eq!(f.seq, 7);
        assert!(f.replay);
        let m = f.donation.unwrap().message.unwrap();
        assert_eq!(parse_message(&m), Some((5, 2)));
    }
}
