//! Command-line and environment configuration: every flag is also a `CAGNOTTE_*` variable.

use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug, Clone)]
#[command(name = "cagnotte", version, about = "Live donation totals and overlays for charity streams")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CAGNOTTE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// Directory of the embedded database and the admin token digest.
    #[arg(long, env = "CAGNOTTE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Admin token. If unset, one is generated on first start, printed once, and its digest kept in the data directory.
    #[arg(long, env = "CAGNOTTE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Public base URL (e.g. https://dons.example.org) used in the URLs the API hands out.
    /// Default: taken from the request's Host header.
    #[arg(long, env = "CAGNOTTE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Largest accepted donation, in whole units of the campaign currency.
    #[arg(long, env = "CAGNOTTE_MAX_AMOUNT", default_value_t = 1_000_000)]
    pub max_amount: i64,

    /// Seconds between the server's WebSocket pings.
    #[arg(long, env = "CAGNOTTE_WS_PING_SECS", default_value_t = 10)]
    pub ws_ping_secs: u64,

    /// Seconds without any frame from a client, after a ping, before it is closed.
    #[arg(long, env = "CAGNOTTE_WS_PONG_TIMEOUT_SECS", default_value_t = 10)]
    pub ws_pong_timeout_secs: u64,

    /// Seconds a write to a WebSocket client may take before the client is closed.
    #[arg(long, env = "CAGNOTTE_WS_SEND_TIMEOUT_SECS", default_value_t = 5)]
    pub ws_send_timeout_secs: u64,

    /// Kernel send buffer per connection, in bytes (0: the kernel's autotuning, up to
    /// several MB). Bounds what a client that stops reading can hold on the server.
    #[arg(long, env = "CAGNOTTE_SOCKET_SEND_BUFFER", default_value_t = 256 * 1024)]
    pub socket_send_buffer: usize,

    /// Log filter (tracing's EnvFilter syntax), e.g. `info` or `cagnotte=debug`.
    #[arg(long, env = "CAGNOTTE_LOG", default_value = "info")]
    pub log: String,
}

impl Config {
    /// The defaults with another data directory: for tests and tools.
    pub fn with_data_dir(dir: impl Into<PathBuf>) -> Config {
        let mut c = Config::parse_from(["cagnotte"]);
        c.data_dir = dir.into();
        c
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
}
