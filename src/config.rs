//! Command-line and environment configuration: every flag is also a `CAGNOTTE_*` variable.

use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug, Clone)]
#[command(name = "cagnotte", version, about = "Live donation totals and overlays for charity streams")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CAGNOTTE_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: String,

    /// PEM certificate chain: with `--tls-key`, the server speaks HTTPS and WSS
    /// itself (no reverse proxy needed). Without both, plain HTTP.
    #[arg(long, env = "CAGNOTTE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "CAGNOTTE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Directory of the embedded database and the admin token digest.
    #[arg(long, env = "CAGNOTTE_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Admin token. If unset, one is generated on first start, printed once, and its digest kept in the data directory.
    #[arg(long, env = "CAGNOTTE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Public base URL (e.g. `https://dons.example.org`) used in the URLs the API hands out:
    /// the root of a domain or subdomain, without a path (the pages load their
    /// files and WebSockets from the root). Default: taken from the request's Host header.
    #[arg(long, env = "CAGNOTTE_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Largest accepted donation, in whole units of the campaign currency (from 1 to 10^12).
    #[arg(long, env = "CAGNOTTE_MAX_AMOUNT", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000_000_000))]
    pub max_amount: i64,

    /// Seconds between the server's WebSocket pings.
    #[arg(long, env = "CAGNOTTE_WS_PING_SECS", default_value_t = 10)]
    pub ws_ping_secs: u64,

    /// Seconds without any frame from a client, after a ping, before it is closed.
    #[arg(long, env = "CAGNOTTE_WS_PONG_TIMEOUT_SECS", default_value_t = 10)]
    pub ws_pong_timeout_secs: u64,

    /// Seconds a connection may take to send a request's head, and may stay
    /// idle between two requests, before it is closed: a client trickling its
    /// headers, or a pile of idle connections, cannot hold the server's sockets.
    #[arg(long, env = "CAGNOTTE_HEADER_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,

    /// Seconds a client may take to send a request's whole body after its head
    /// (an 8 MB media file within a minute takes about 1.1 Mbit/s): a client
    /// trickling a body cannot hold a socket. Over it: `408 body_timeout`.
    #[arg(long, env = "CAGNOTTE_BODY_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,

    /// Seconds an answer may wait for its client to take any of its bytes
    /// before the connection is closed: a client that stops reading a large
    /// export or file cannot hold a socket. WebSockets have their own.
    #[arg(long, env = "CAGNOTTE_SEND_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub send_timeout_secs: u64,

    /// Seconds a write to a WebSocket client may take before the client is closed.
    #[arg(long, env = "CAGNOTTE_WS_SEND_TIMEOUT_SECS", default_value_t = 5)]
    pub ws_send_timeout_secs: u64,

    /// Least milliseconds between two writes of live frames to one WebSocket
    /// client while a live's events come faster than that: the frames of the
    /// meantime leave together, in one write (fewer syscalls and wake-ups on a
    /// busy live). A quiet live's event leaves at once. 0 writes every commit
    /// at once; at most 1000.
    #[arg(long, env = "CAGNOTTE_WS_COALESCE_MS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=1000))]
    pub ws_coalesce_ms: u64,

    /// Kernel send buffer per connection, in bytes (0: the kernel's autotuning, up to
    /// several MB). Bounds what a client that stops reading can hold on the server.
    #[arg(long, env = "CAGNOTTE_SOCKET_SEND_BUFFER", default_value_t = 256 * 1024)]
    pub socket_send_buffer: usize,

    /// Writes (POST) per second allowed per bearer token, or per address without
    /// one; 0 for no limit. Over it: `429` with `Retry-After`.
    #[arg(long, env = "CAGNOTTE_RATE_LIMIT_PER_SEC", default_value_t = 1000)]
    pub rate_limit_per_sec: u32,

    /// Writes allowed at once above the steady rate.
    #[arg(long, env = "CAGNOTTE_RATE_LIMIT_BURST", default_value_t = 5000)]
    pub rate_limit_burst: u32,

    /// Failed authentications (401) per second an address earns back; once its
    /// allowance is spent, its requests get `429`. 0 for no limit.
    #[arg(long, env = "CAGNOTTE_AUTH_FAILURES_PER_SEC", default_value_t = 1)]
    pub auth_failures_per_sec: u32,

    /// Failed authentications an address may make at once.
    #[arg(long, env = "CAGNOTTE_AUTH_FAILURES_BURST", default_value_t = 100)]
    pub auth_failures_burst: u32,

    /// Open WebSockets per client address (0: no maximum).
    #[arg(long, env = "CAGNOTTE_WS_MAX_PER_IP", default_value_t = 2000)]
    pub ws_max_per_ip: usize,

    /// Connections open at once per client address, WebSockets aside (0: no
    /// maximum). Over it, the next one is answered `429 too_many_connections`.
    /// Trusted proxies are not counted (they bring every client's connections).
    #[arg(long, env = "CAGNOTTE_CONN_MAX_PER_IP", default_value_t = 1000)]
    pub conn_max_per_ip: usize,

    /// Open WebSockets per token (0: no maximum).
    #[arg(long, env = "CAGNOTTE_WS_MAX_PER_TOKEN", default_value_t = 20000)]
    pub ws_max_per_token: usize,

    /// Other sites allowed to open our WebSockets from a browser (comma-separated
    /// origins such as `https://example.org`, or `*`). Same-origin pages and
    /// clients that send no Origin (OBS, bots) are always allowed.
    #[arg(long, env = "CAGNOTTE_WS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub ws_allowed_origins: Vec<String>,

    /// Reverse proxies in front of the server (comma-separated addresses or
    /// networks, e.g. `127.0.0.1,10.0.0.0/8`). A request from one of them is
    /// counted against its client's address, the nearest one in its
    /// `X-Forwarded-For` (or `Forwarded`) that is not itself a trusted proxy, for
    /// the rate limits, the failed-authentication brake and the WebSocket cap per
    /// address, and its word on HTTPS is believed. From anyone else these
    /// headers are ignored (they could be forged).
    #[arg(long, env = "CAGNOTTE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Extra certificate authorities (PEM file) trusted for `https://` webhook
    /// subscribers, besides the public web roots (for a receiver on a private network).
    #[arg(long, env = "CAGNOTTE_WEBHOOK_CA_FILE")]
    pub webhook_ca_file: Option<PathBuf>,

    /// Lifetime of a dashboard session, in seconds.
    #[arg(long, env = "CAGNOTTE_SESSION_TTL_SECS", default_value_t = 12 * 3600)]
    pub session_ttl_secs: u64,

    /// A directory (another disk, a mounted share) where the server copies its
    /// data directory by itself, as `cagnotte backup` does, every `--backup-every`
    /// (one copy at start, then one per period), each in a directory of its own
    /// named by its time (`cagnotte-20261206T180000Z`). Off without it.
    #[arg(long, env = "CAGNOTTE_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// How often the server backs itself up into `--backup-dir`: a number and
    /// a unit, `s`, `m`, `h` or `d` (`30m`, `1h`, `1d`).
    #[arg(long, env = "CAGNOTTE_BACKUP_EVERY", default_value = "1h", value_parser = parse_period)]
    pub backup_every: Duration,

    /// How many of its own backups the server keeps in `--backup-dir`: the
    /// newest; older ones it made are removed (nothing else there is touched).
    #[arg(long, env = "CAGNOTTE_BACKUP_KEEP", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub backup_keep: u32,

    /// Log filter (tracing's EnvFilter syntax), e.g. `info` or `cagnotte=debug`.
    #[arg(long, env = "CAGNOTTE_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Without a subcommand, the server serves.
    #[command(subcommand)]
    pub cmd: Option<Cmd>,

    /// A pause of each WebSocket session between its token check and its joining
    /// the stream. Not an option: tests set it to make a token replacement land
    /// in that window, which is otherwise too short to hit on purpose.
    #[arg(skip)]
    pub join_pause: Option<Duration>,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Cmd {
    /// Serves a demo campaign with simulated donations on a throwaway data
    /// directory and prints the overlay URLs.
    Demo(DemoArgs),
    /// Copies the data directory (the log, with the outgoing webhooks' state, and
    /// the admin token's digest) into a new or empty directory, consistently, even
    /// while the server runs. A server started with `--data-dir` on the copy
    /// serves the same campaigns, totals and events.
    Backup(BackupArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct BackupArgs {
    /// Where the copy goes: a new or empty directory.
    pub to: PathBuf,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Mean number of seconds between two simulated donations.
    #[arg(long, default_value_t = 4.0)]
    pub every: f64,
}

/// An address (`10.0.0.1`, `::1`) or a network (`10.0.0.0/8`, `fd00::/8`).
fn parse_network(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{s}` is neither an IP address nor a network such as 10.0.0.0/8"))
}

/// `30s`, `15m`, `1h`, `1d`: at least a second, at most a year.
fn parse_period(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("{s:?} is not a period such as 30m, 1h or 1d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(format!("{s:?} is not a period such as 30m, 1h or 1d (units: s, m, h, d)")),
    };
    if !(1..=366 * 86_400).contains(&secs) {
        return Err(format!("{s:?}: a period is from 1s to 366d"));
    }
    Ok(Duration::from_secs(secs))
}

/// `--public-url`: an absolute `http://` or `https://` URL of a host's root
/// (`https://dons.example.org`, a trailing slash dropped). Without a scheme,
/// every URL handed out would be relative and broken; with a path, the pages
/// would still ask for their scripts, styles and WebSockets at the root
/// (`/static/…`, `/ws/…`), so a server behind a prefix is refused: it is served
/// at the root of a domain or subdomain of its own.
fn parse_public_url(s: &str) -> Result<String, String> {
    let url = s.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    let scheme = ["https://", "http://"].into_iter().find(|p| lower.starts_with(p));
    let rest = scheme.map_or("", |p| &url[p.len()..]);
    let host = rest.split('/').next().unwrap_or("");
    match scheme {
        Some(p) if !host.is_empty() && !rest.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') => {
            if host.len() < rest.len() {
                return Err(format!(
                    "`{s}` has a path: Cagnotte is served at the root of a domain or subdomain \
                     (such as {p}{host} or https://dons.example.org), not under a path, as its pages \
                     load their files and WebSockets from the root"
                ));
            }
            Ok(format!("{p}{rest}"))
        }
        _ => Err(format!("`{s}` is not an absolute http:// or https:// URL such as https://dons.example.org")),
    }
}

impl Config {
    /// The defaults with another data directory: for tests and tools.
    pub fn with_data_dir(dir: impl Into<PathBuf>) -> Config {
        let mut c = Config::parse_from(["cagnotte"]);
        c.data_dir = dir.into();
        c
    }

    /// Whether the server itself speaks TLS.
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some() && self.tls_key.is_some()
    }

    pub fn ws_ping(&self) -> Duration {
        Duration::from_secs(self.ws_ping_secs.max(1))
    }

    pub fn ws_pong_timeout(&self) -> Duration {
        Duration::from_secs(self.ws_pong_timeout_secs.max(1))
    }

    pub fn ws_send_timeout(&self) -> Duration {
        Duration::from_secs(self.ws_send_timeout_secs.max(1))
    }

    pub fn ws_coalesce(&self) -> Duration {
        Duration::from_millis(self.ws_coalesce_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_periods_have_a_unit() {
        let every = |s: &str| Config::try_parse_from(["cagnotte", "--backup-every", s]).map(|c| c.backup_every);
        assert_eq!(every("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(every("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(every("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(every("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(Config::try_parse_from(["cagnotte"]).unwrap().backup_every, Duration::from_secs(3600));
        for bad in ["", "10", "1w", "0s", "h", "-1h", "400d", "1.5h"] {
            assert!(every(bad).is_err(), "{bad}");
        }
        assert!(Config::try_parse_from(["cagnotte", "--backup-keep", "0"]).is_err());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let c = Config::try_parse_from(["cagnotte", "--trusted-proxies", "127.0.0.1, 10.0.0.0/8,::1"]).unwrap();
        let shown: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        let err = Config::try_parse_from(["cagnotte", "--trusted-proxies", "10.0.0.0/8,proxy.lan"]).unwrap_err();
        assert!(err.to_string().contains("`proxy.lan` is neither an IP address nor a network"), "{err}");
        assert!(Config::parse_from(["cagnotte"]).trusted_proxies.is_empty());
    }

    #[test]
    fn the_data_directory_and_the_address_may_follow_a_subcommand() {
        let c = Config::try_parse_from(["cagnotte", "backup", "/backups/b1", "--data-dir", "/srv/cagnotte"]).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/cagnotte"));
        assert!(matches!(c.cmd, Some(Cmd::Backup(BackupArgs { to })) if to == std::path::Path::new("/backups/b1")));
        let c = Config::try_parse_from(["cagnotte", "--data-dir", "/srv/cagnotte", "backup", "/backups/b1"]).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/cagnotte"));
        let c = Config::try_parse_from(["cagnotte", "demo", "--listen", "0.0.0.0:9000", "--log", "debug"]).unwrap();
        assert_eq!((c.listen.as_str(), c.log.as_str()), ("0.0.0.0:9000", "debug"));
    }

    #[test]
    fn the_public_url_is_absolute() {
        let url = |v: &str| Config::try_parse_from(["cagnotte", "--public-url", v]).map(|c| c.public_url.unwrap());
        assert_eq!(url("https://dons.example.org/").unwrap(), "https://dons.example.org");
        assert_eq!(url("HTTPS://Dons.example.org").unwrap(), "https://Dons.example.org");
        assert_eq!(url(" http://127.0.0.1:8080/ ").unwrap(), "http://127.0.0.1:8080");
        // Not under a path: the pages load their files and sockets from the root.
        for prefixed in ["http://127.0.0.1:8080/cagnotte/", "https://example.org/dons", "https://example.org/a/b"] {
            let err = url(prefixed).unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{prefixed}` has a path")) && err.contains("root of a domain or subdomain"),
                "{err}"
            );
        }
        for bad in
            ["dons.example.org", "https://", "ftp://dons.example.org", "https://dons.example.org/?a=1", "https://a b"]
        {
            let err = url(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("`{bad}` is not an absolute http:// or https:// URL")), "{bad}: {err}");
        }
    }

    #[test]
    fn the_largest_donation_is_at_least_one_unit() {
        let max = |v: &str| Config::try_parse_from(["cagnotte", &format!("--max-amount={v}")]).map(|c| c.max_amount);
        assert_eq!(max("1").unwrap(), 1);
        assert_eq!(max("1000000000000").unwrap(), 1_000_000_000_000);
        for bad in ["0", "-5", "1000000000001"] {
            assert!(max(bad).unwrap_err().to_string().contains("not in 1..=1000000000000"), "{bad}");
        }
    }
}
