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
    /// The part of `lost` missed by connections still open.
    pub lost_open: u64,
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
        self.lost_open += o.lost_open;
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

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// What a subscriber needs from a donation frame: its seq, whether it is a
/// replay, and the send time and index the harness put in its message.
#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
    pub seq: u64,
    pub replay: bool,
    pub sent_ns: u64,
    pub index: u64,
}

/// Reads a donation frame's [`Seen`] fields straight from its bytes, without
/// parsing the rest of it (totals, ids, ...): this runs for every frame every
/// subscriber receives. `None` for any other frame. Relies on what JSON
/// guarantees: a `"key":` pattern cannot occur inside a string value, where
/// quotes are escaped, and the harness's message marker `bench t=` is only in
/// donation messages; every server puts the frame's own `type` and `seq` keys
/// before any nested object that could repeat them.
pub fn scan_donation(text: &[u8]) -> Option<Seen> {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    // Searchers built once: building one costs more than a search of a frame.
    static TYPE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""type":""#));
    static SEQ: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""seq":"#));
    static REPLAY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""replay":true"#));
    static MESSAGE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""message":"bench t="#));
    fn after<'a>(text: &'a [u8], key: &Finder<'_>) -> Option<&'a [u8]> {
        key.find(text).map(|at| &text[at + key.needle().len()..])
    }
    fn number(text: &[u8]) -> Option<(u64, &[u8])> {
        let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 19 {
            return None;
        }
        let n = text[..digits].iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        Some((n, &text[digits..]))
    }
    if !after(text, &TYPE)?.starts_with(br#"donation""#) {
        return None;
    }
    let (seq, _) = number(after(text, &SEQ)?)?;
    let replay = REPLAY.find(text).is_some();
    let (sent_ns, rest) = number(after(text, &MESSAGE)?)?;
    let (index, rest) = number(rest.strip_prefix(b" i=")?)?;
    rest.starts_with(b"\"").then_some(Seen { seq, replay, sent_ns, index })
}

/// The fields of a subscription's first frame the load generator reads.
#[derive(Deserialize)]
pub struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    pub ty: std::borrow::Cow<'a, str>,
    #[serde(default)]
    pub seq: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole donation frame, parsed the slow way, to check [`scan_donation`].
    #[derive(Deserialize)]
    struct Full<'a> {
        #[serde(flatten, borrow)]
        frame: Frame<'a>,
        #[serde(default)]
        replay: bool,
        #[serde(default, borrow)]
        donation: Option<DonationRef<'a>>,
    }

    #[derive(Deserialize)]
    struct DonationRef<'a> {
        #[serde(default, borrow)]
        message: Option<std::borrow::Cow<'a, str>>,
    }

    fn parse_message(m: &str) -> Option<(u64, u64)> {
        let rest = m.strip_prefix("bench t=")?;
        let (t, i) = rest.split_once(" i=")?;
        Some((t.parse().ok()?, i.parse().ok()?))
    }

    #[test]
    fn message_round_trip() {
        assert_eq!(parse_message(&message(123, 45)), Some((123, 45)));
        assert_eq!(parse_message("hello"), None);
    }

    #[test]
    fn frame_parses_cagnotte_shape() {
        let text = r#"{"replay":true,"type":"donation","seq":7,"donation":{"id":"x","message":"bench t=5 i=2","donor":null},"totals":{"raised":1}}"#;
        let f: Full = serde_json::from_str(text).unwrap();
        assert_eq!(f.frame.ty, "donation");
        assert_eq!(f.frame.seq, 7);
        assert!(f.replay);
        let m = f.donation.unwrap().message.unwrap();
        assert_eq!(parse_message(&m), Some((5, 2)));
    }

    /// The scan agrees with a full parse on the three servers' frame shapes,
    /// and refuses what is not a harness donation.
    #[test]
    fn scan_agrees_with_a_full_parse() {
        let shapes = [
            // Cagnotte, live and replayed.
            r#"{"type":"donation","seq":12,"donation":{"id":"a","live_id":"b","amount":100,"donor":"sq \"seq\":9","message":"bench t=1700000000000000000 i=41","at":"x"},"totals":{"raised":100},"campaign_totals":{"raised":100}}"#,
            r#"{"type":"donation","seq":3,"replay":true,"donation":{"message":"bench t=5 i=2"},"totals":{}}"#,
            // The Node.js `ws` peer and the NATS frames the harness publishes.
            r#"{"type":"donation","seq":8,"donation":{"id":"d0-8","live_id":"l0","amount":100,"currency":"EUR","matched":0,"donor":null,"message":"bench t=99 i=7","platform":null},"totals":{"raised":800}}"#,
            &crate::servers::nats_frame_for_test(0, 4, 123),
        ];
        for text in shapes {
            let f: Full = serde_json::from_str(text).unwrap();
            let (sent_ns, index) = parse_message(&f.donation.unwrap().message.unwrap()).unwrap();
            let want = Seen { seq: f.frame.seq, replay: f.replay, sent_ns, index };
            assert_eq!(scan_donation(text.as_bytes()), Some(want), "{text}");
        }
        for other in [
            r#"{"type":"snapshot","seq":4,"totals":{}}"#,
            r#"{"type":"donation","seq":4,"donation":{"message":"hello"}}"#,
            r#"{"type":"donation","seq":4,"donation":{"message":"bench t=5 i=x"}}"#,
            r#"{"type":"milestone","seq":4,"donation":{"message":"bench t=5 i=2"}}"#,
        ] {
            assert_eq!(scan_donation(other.as_bytes()), None, "{other}");
        }
    }
}
