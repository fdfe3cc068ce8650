//! Protections at the edge: rate limits on writes (per token, else per address),
//! a brake on failed authentication per address, caps on WebSocket connections
//! per address and per token, the WebSocket Origin check, security headers on
//! every answer, and request logs that never contain a token. Behind a trusted
//! reverse proxy, the address is the client's, from `X-Forwarded-For` or
//! `Forwarded`, and the proxy's word on HTTPS is believed (from anyone else
//! those headers are dropped here).
//!
//! The token bucket is written here rather than taken from `governor`, which would
//! bring a third copy of `hashbrown` into the build for a dozen lines of arithmetic.

use crate::app::AppState;
use crate::error::ApiError;
use crate::metrics::Refusal;
use crate::secret;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;
use ipnet::IpNet;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Buckets idle this long are forgotten (they would be full again anyway).
const IDLE: Duration = Duration::from_secs(120);

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A token bucket per key: `burst` requests at once, refilled at `per_sec`.
pub struct RateLimiter<K: Hash + Eq> {
    buckets: DashMap<K, Bucket>,
    per_sec: f64,
    burst: f64,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// `None` when `per_sec` is 0 (no limit).
    pub fn new(per_sec: u32, burst: u32) -> Option<RateLimiter<K>> {
        (per_sec > 0).then(|| RateLimiter {
            buckets: DashMap::new(),
            per_sec: f64::from(per_sec),
            burst: f64::from(burst.max(1)),
        })
    }

    fn refill(&self, b: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_sec).min(self.burst);
        b.last = now;
    }

    /// Takes one token for `key`, or says how long to wait for one.
    pub fn take(&self, key: &K) -> Result<(), Duration> {
        let now = Instant::now();
        if self.buckets.len() > 10_000 {
            self.buckets.retain(|_, b| now.saturating_duration_since(b.last) < IDLE);
        }
        let mut b = self.buckets.entry(key.clone()).or_insert(Bucket { tokens: self.burst, last: now });
        self.refill(&mut b, now);
        let left = self.left(&b);
        if left.is_ok() {
            b.tokens -= 1.0;
        }
        left
    }

    /// Whether `key` has a token left, without taking it. A key never seen has
    /// a full bucket, and checking it stores nothing.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(mut b) = self.buckets.get_mut(key) else { return Ok(()) };
        self.refill(&mut b, Instant::now());
        self.left(&b)
    }

    fn left(&self, b: &Bucket) -> Result<(), Duration> {
        if b.tokens >= 1.0 { Ok(()) } else { Err(Duration::from_secs_f64((1.0 - b.tokens) / self.per_sec)) }
    }
}

/// Whose writes a bucket counts: a bearer token's (by its digest), else an address's.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Writer {
    Token(crate::domain::TokenHash),
    Address(IpAddr),
}

/// Live WebSocket connections per address and per token.
#[derive(Default)]
pub struct ConnectionCaps {
    per_ip: DashMap<IpAddr, usize>,
    per_token: DashMap<String, usize>,
}

/// Holds a connection's place; gives it back when dropped.
pub struct ConnectionSlot {
    caps: Arc<ConnectionCaps>,
    ip: IpAddr,
    token: String,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Some(mut n) = self.caps.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
        }
        self.caps.per_ip.remove_if(&self.ip, |_, n| *n == 0);
        if let Some(mut n) = self.caps.per_token.get_mut(&self.token) {
            *n = n.saturating_sub(1);
        }
        self.caps.per_token.remove_if(&self.token, |_, n| *n == 0);
    }
}

impl ConnectionCaps {
    /// Takes a place for a new connection, or refuses when the address or the token
    /// already has its maximum (0 = no maximum).
    pub fn acquire(
        self: &Arc<Self>,
        ip: IpAddr,
        token: &str,
        max_ip: usize,
        max_token: usize,
    ) -> Result<ConnectionSlot, ApiError> {
        let token = hex::encode(secret::hash(token).0);
        {
            let mut n = self.per_ip.entry(ip).or_insert(0);
            if max_ip > 0 && *n >= max_ip {
                return Err(too_many("this address has too many open connections"));
            }
            *n += 1;
        }
        {
            let mut n = self.per_token.entry(token.clone()).or_insert(0);
            if max_token > 0 && *n >= max_token {
                drop(n);
                // Give back the address's place taken above.
                drop(ConnectionSlot { caps: Arc::clone(self), ip, token: String::new() });
                return Err(too_many("this token has too many open connections"));
            }
            *n += 1;
        }
        Ok(ConnectionSlot { caps: Arc::clone(self), ip, token })
    }
}

fn too_many(message: &str) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_connections", message)
}

fn rate_limited(wait: Duration) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut res =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", format!("too many requests; retry in {secs} s"))
            .with("retry_after", secs)
            .into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

/// The address a request is counted against: its TCP peer's, or, when the peer
/// is one of `trusted` (reverse proxies), the nearest address of its
/// `X-Forwarded-For` (else of the `for=` of its `Forwarded`, RFC 7239) that is
/// not itself a trusted proxy. The header is read from its end, which the
/// proxies wrote, and reading stops at the first entry that is not an address
/// (`unknown`, a hidden name): what a client wrote further left is never believed.
fn client_ip(trusted: &[IpNet], headers: &HeaderMap, peer: IpAddr) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusts(trusted, ip);
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let (name, hop_of): (&str, fn(&str) -> Option<&str>) =
        if headers.contains_key(X_FORWARDED_FOR) { (X_FORWARDED_FOR, whole) } else { (FORWARDED, forwarded_for) };
    for line in headers.get_all(name).iter().rev() {
        let Ok(line) = line.to_str() else { return client };
        for element in line.rsplit(',') {
            let Some(ip) = hop_of(element).and_then(parse_hop) else { return client };
            client = ip;
            if !is_trusted(&client) {
                return client;
            }
        }
    }
    client
}

/// Whether `ip` is one of the trusted proxies.
fn trusts(trusted: &[IpNet], ip: &IpAddr) -> bool {
    trusted.iter().any(|n| n.contains(ip))
}

/// Whether a trusted proxy says its client spoke HTTPS: `X-Forwarded-Proto`,
/// else the `proto=` of `Forwarded`, as the outermost proxy (the first value)
/// wrote it. The edge drops both headers from anyone else.
pub fn forwarded_https(headers: &HeaderMap) -> bool {
    outermost(headers, X_FORWARDED_PROTO, "proto").is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// The host clients asked for: a trusted proxy's `X-Forwarded-Host`, else the
/// `host=` of `Forwarded`, as the outermost proxy (the first value) wrote it,
/// else `Host`. The edge drops the first two from anyone else. A value that is
/// not a plain `host[:port]` is passed over.
pub fn request_host(headers: &HeaderMap) -> Option<&str> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    outermost(headers, X_FORWARDED_HOST, "host").filter(|h| plain_host(h)).or(host.filter(|h| plain_host(h)))
}

/// What the outermost proxy (the first value) wrote in `x_header`, else in the
/// `param=` of `Forwarded`'s first element.
fn outermost<'a>(headers: &'a HeaderMap, x_header: &str, param: &str) -> Option<&'a str> {
    let first = |name: &str| headers.get(name)?.to_str().ok()?.split(',').next();
    match first(x_header) {
        Some(v) => Some(v.trim()),
        None => first(FORWARDED).and_then(|element| forwarded_param(element, param)),
    }
}

/// A host name or address, with or without a port: nothing that could break
/// out of a URL built from it.
fn plain_host(h: &str) -> bool {
    !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

/// An `X-Forwarded-For` entry is the address itself.
fn whole(entry: &str) -> Option<&str> {
    Some(entry)
}

/// The address of one element of a `Forwarded` header.
fn forwarded_for(element: &str) -> Option<&str> {
    forwarded_param(element, "for")
}

/// The value of `key` in one element of a `Forwarded` header
/// (`for=192.0.2.60;proto=https`), without its quotes.
fn forwarded_param<'a>(element: &'a str, key: &str) -> Option<&'a str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case(key).then(|| v.trim().trim_matches('"'))
    })
}

const X_FORWARDED_FOR: &str = "x-forwarded-for";
const FORWARDED: &str = "forwarded";

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`,
/// `[::1]:80`) or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

/// The header in which a trusted proxy says whether its client spoke HTTPS.
const X_FORWARDED_PROTO: &str = "x-forwarded-proto";
/// The header in which a trusted proxy says which host its client asked for.
const X_FORWARDED_HOST: &str = "x-forwarded-host";

/// The address a request is counted against (`client_ip`), found once by the
/// edge and kept in the request's extensions for the handlers that count per
/// address too (the WebSocket cap).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

/// The address the request is counted against, also left in its extensions as
/// [`ClientIp`]. A request that does not come from a trusted proxy loses its
/// `X-Forwarded-Proto`, `X-Forwarded-Host` and `Forwarded`, so that what
/// follows may believe them whenever they are there.
fn request_ip(app: &AppState, req: &mut Request) -> IpAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(addr)| addr.ip());
    let trusted = &app.config.trusted_proxies;
    if !trusts(trusted, &peer.to_canonical()) {
        req.headers_mut().remove(X_FORWARDED_PROTO);
        req.headers_mut().remove(X_FORWARDED_HOST);
        req.headers_mut().remove(FORWARDED);
    }
    let ip = client_ip(trusted, req.headers(), peer);
    req.extensions_mut().insert(ClientIp(ip));
    ip
}

/// Every request's way in and out, in one layer: the limits and the CSRF check
/// on the way in, then the security headers and, at debug level, a log line
/// with tokens redacted on the way out.
pub async fn edge(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let log = tracing::enabled!(tracing::Level::DEBUG).then(|| {
        let uri = redact(req.uri().path_and_query().map_or("/", |p| p.as_str()));
        (req.method().clone(), uri, Instant::now())
    });
    let ip = request_ip(&app, &mut req);
    let post = (req.method() == Method::POST).then(Instant::now);
    let res = match refusal(&app, &req, ip) {
        Some(refused) => refused,
        None => {
            let res = next.run(req).await;
            if res.status() == StatusCode::UNAUTHORIZED
                && let Some(failures) = &app.limits.auth_failures
            {
                let _ = failures.take(&ip);
            }
            res
        }
    };
    let res = security_headers(res);
    app.metrics.answered(res.status().as_u16(), post.map(|t| t.elapsed()));
    if let Some((method, uri, started)) = log {
        tracing::debug!(%method, %uri, status = res.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    }
    res
}

/// Why a request is refused before it is read, if it is: writes are limited per
/// bearer token (per address without one); an address that keeps presenting bad
/// tokens is slowed down; a write relying on the session cookie needs its CSRF token.
fn refusal(app: &AppState, req: &Request, ip: IpAddr) -> Option<Response> {
    if let Some(failures) = &app.limits.auth_failures
        && let Err(wait) = failures.check(&ip)
    {
        app.metrics.refused(Refusal::AuthBrake);
        return Some(rate_limited(wait));
    }
    if req.method() == Method::POST
        && let Some(writes) = &app.limits.writes
    {
        let key = match super::auth::bearer(req.headers()) {
            Some(t) => Writer::Token(secret::hash(t)),
            None => Writer::Address(ip),
        };
        if let Err(wait) = writes.take(&key) {
            app.metrics.refused(Refusal::RateLimited);
            return Some(rate_limited(wait));
        }
    }
    super::admin::check_csrf(app, req).err().map(IntoResponse::into_response)
}

/// Refuses a cross-site WebSocket (a page elsewhere opening our stream with a
/// token it stole or guessed): the `Origin`, when a browser sends one, must be
/// this server (as the browser asked for it: [`request_host`]) or one of
/// `--ws-allowed-origins`.
pub fn check_origin(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else { return Ok(()) };
    let allowed = &app.config.ws_allowed_origins;
    if allowed.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(origin)) {
        return Ok(());
    }
    let host = request_host(headers).unwrap_or("");
    let same = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host);
    let public = app.config.public_url.as_deref().is_some_and(|u| u.trim_end_matches('/').eq_ignore_ascii_case(origin));
    if same || public {
        return Ok(());
    }
    Err(ApiError::forbidden("this WebSocket may not be opened from another site (Origin not allowed)"))
}

/// Security headers on every answer; pages that need a looser policy set their own CSP.
fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    res
}

/// The prefixes of the secrets the server hands out (admin token, write key,
/// overlay token, host key, moderators' key, charity key, session, webhook
/// secret): a query value that starts with one is redacted whatever its name.
const SECRET_PREFIXES: [&str; 8] = ["ca_", "ck_", "ot_", "ht_", "md_", "rk_", "cs_", "whsec_"];

/// Replaces the value of every `token=` query parameter, and of any parameter
/// whose value is one of our secrets, as the server reads them: names and
/// values percent-decoded (`t%6Fken=`), and a name after an HTML-escaped
/// `&amp;` too.
pub fn redact(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else { return path_and_query.to_owned() };
    let q: Vec<String> = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let name = decode(k);
            let name = name.get(..4).filter(|p| p.eq_ignore_ascii_case("amp;")).map_or(&name[..], |_| &name[4..]);
            let value = decode(v);
            let secret = SECRET_PREFIXES.iter().any(|p| value.trim_start().starts_with(p));
            if name.eq_ignore_ascii_case("token") || secret { format!("{k}=REDACTED") } else { kv.to_owned() }
        })
        .collect();
    format!("{path}?{}", q.join("&"))
}

/// A query's name or value as a form decoder reads it: `+` a space, `%XX` a byte.
fn decode(s: &str) -> String {
    let hex = |c: &u8| (*c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = (b[i] == b'%').then(|| Some(hex(b.get(i + 1)?)? * 16 + hex(b.get(i + 2)?)?)).flatten();
        match (b[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (c, None) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The limits of one server, from its configuration.
pub struct Limits {
    pub writes: Option<RateLimiter<Writer>>,
    pub auth_failures: Option<RateLimiter<IpAddr>>,
    pub connections: Arc<ConnectionCaps>,
}

impl Limits {
    pub fn from_config(c: &crate::config::Config) -> Limits {
        Limits {
            writes: RateLimiter::new(c.rate_limit_per_sec, c.rate_limit_burst),
            auth_failures: RateLimiter::new(c.auth_failures_per_sec, c.auth_failures_burst),
            connections: Arc::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_a_burst_then_refill() {
        let r = RateLimiter::new(1000, 3).unwrap();
        assert!(r.check(&"a").is_ok() && r.buckets.is_empty(), "checking a new key stores nothing");
        assert!(r.take(&"a").is_ok() && r.take(&"a").is_ok() && r.check(&"a").is_ok() && r.take(&"a").is_ok());
        assert!(r.take(&"a").is_err() && r.check(&"a").is_err());
        assert!(r.take(&"b").is_ok(), "keys are independent");
        std::thread::sleep(Duration::from_millis(5));
        assert!(r.check(&"a").is_ok() && r.take(&"a").is_ok(), "refilled");
        assert!(RateLimiter::<&str>::new(0, 10).is_none());
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// `X-Forwarded-For` lines.
    fn forwarded(lines: &[&str]) -> HeaderMap {
        with(&lines.iter().map(|l| (X_FORWARDED_FOR, *l)).collect::<Vec<_>>())
    }

    #[test]
    fn the_client_address_comes_from_trusted_proxies_only() {
        let trusted: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let client = |lines: &[&str], peer: &str| client_ip(&trusted, &forwarded(lines), ip(peer));
        // Nothing trusted, or a peer that is not a proxy: the header is ignored.
        assert_eq!(client_ip(&[], &forwarded(&["203.0.113.7"]), ip("127.0.0.1")), ip("127.0.0.1"));
        assert_eq!(client(&["203.0.113.7"], "198.51.100.1"), ip("198.51.100.1"));
        // One proxy; then a chain of them, where the client's own claim (leftmost) is not believed.
        assert_eq!(client(&["203.0.113.7"], "127.0.0.1"), ip("203.0.113.7"));
        assert_eq!(client(&["6.6.6.6, 203.0.113.7, 10.1.2.3"], "127.0.0.1"), ip("203.0.113.7"));
        assert_eq!(client(&["6.6.6.6", "203.0.113.7, 10.1.2.3"], "127.0.0.1"), ip("203.0.113.7"), "several lines");
        // Ports, brackets, IPv6 and IPv4 written as IPv6.
        assert_eq!(client(&["203.0.113.7:4711"], "127.0.0.1"), ip("203.0.113.7"));
        assert_eq!(client(&["[2001:db8::7]:4711"], "127.0.0.1"), ip("2001:db8::7"));
        assert_eq!(client(&["[2001:db8::7]"], "::ffff:127.0.0.1"), ip("2001:db8::7"));
        assert_eq!(client(&["::ffff:203.0.113.7"], "127.0.0.1"), ip("203.0.113.7"));
        // Reading stops at an entry that is not an address: the nearest address known stands.
        assert_eq!(client(&["203.0.113.7, unknown"], "127.0.0.1"), ip("127.0.0.1"));
        assert_eq!(client(&["203.0.113.7, garbage, 10.1.2.3"], "127.0.0.1"), ip("10.1.2.3"));
        // No header, or only proxies in it.
        assert_eq!(client(&[], "10.9.9.9"), ip("10.9.9.9"));
        assert_eq!(client(&["10.1.2.3, 127.0.0.1"], "127.0.0.1"), ip("10.1.2.3"));
    }

    /// Headers from (name, value) pairs, a name given twice making two lines.
    fn with(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_forwarded_header_serves_when_there_is_no_x_forwarded_for() {
        let trusted: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let client = |h: &HeaderMap| client_ip(&trusted, h, ip("127.0.0.1"));
        let chain = with(&[("forwarded", "for=6.6.6.6, for=203.0.113.7;proto=https, For=\"10.1.2.3\";by=10.0.0.1")]);
        assert_eq!(client(&chain), ip("203.0.113.7"));
        assert_eq!(client(&with(&[("forwarded", "for=\"[2001:db8:cafe::17]:4711\"")])), ip("2001:db8:cafe::17"));
        assert_eq!(client(&with(&[("forwarded", "for=203.0.113.7, for=unknown")])), ip("127.0.0.1"));
        assert_eq!(client(&with(&[("forwarded", "proto=https")])), ip("127.0.0.1"), "no for=");
        // X-Forwarded-For first when a proxy sends both.
        let both = with(&[("forwarded", "for=203.0.113.7"), ("x-forwarded-for", "198.51.100.4")]);
        assert_eq!(client(&both), ip("198.51.100.4"));
        // HTTPS: X-Forwarded-Proto, else Forwarded's proto of the outermost proxy.
        assert!(forwarded_https(&with(&[("x-forwarded-proto", "https")])));
        assert!(forwarded_https(&with(&[("x-forwarded-proto", "HTTPS, http")])));
        assert!(!forwarded_https(&with(&[("x-forwarded-proto", "http"), ("forwarded", "proto=https")])));
        assert!(forwarded_https(&with(&[("forwarded", "for=203.0.113.7;proto=https, for=10.1.2.3;proto=http")])));
        assert!(!forwarded_https(&with(&[("forwarded", "for=203.0.113.7")])));
        assert!(!forwarded_https(&HeaderMap::new()));
    }

    #[test]
    fn the_host_asked_for_is_the_proxys_word_else_host() {
        let host = ("host", "127.0.0.1:8080");
        assert_eq!(request_host(&with(&[host])), Some("127.0.0.1:8080"));
        assert_eq!(request_host(&with(&[host, ("x-forwarded-host", "dons.example.org")])), Some("dons.example.org"));
        // The outermost proxy's, the first value.
        let chain = with(&[host, ("x-forwarded-host", " dons.example.org:8443 , inner.lan")]);
        assert_eq!(request_host(&chain), Some("dons.example.org:8443"));
        let rfc = with(&[host, ("forwarded", "for=203.0.113.7;host=\"dons.example.org\";proto=https, host=inner.lan")]);
        assert_eq!(request_host(&rfc), Some("dons.example.org"));
        assert_eq!(request_host(&with(&[host, ("forwarded", "for=203.0.113.7")])), Some("127.0.0.1:8080"), "no host=");
        // X-Forwarded-Host first when a proxy sends both.
        let both = with(&[host, ("forwarded", "host=a.example"), ("x-forwarded-host", "b.example")]);
        assert_eq!(request_host(&both), Some("b.example"));
        // Anything that could break out of a URL is passed over.
        for bad in ["evil.example/path", "a b", "evil.example?x", "user@evil.example", ""] {
            assert_eq!(request_host(&with(&[host, ("x-forwarded-host", bad)])), Some("127.0.0.1:8080"), "{bad:?}");
        }
        assert_eq!(request_host(&with(&[("host", "x/y")])), None);
        assert_eq!(request_host(&HeaderMap::new()), None);
        assert_eq!(request_host(&with(&[("host", "[::1]:8080")])), Some("[::1]:8080"));
    }

    #[test]
    fn tokens_are_redacted_from_logged_urls() {
        assert_eq!(redact("/ws/lives/x?token=ot_secret&after=3"), "/ws/lives/x?token=REDACTED&after=3");
        assert_eq!(redact("/overlay/lives/x?lang=fr&TOKEN=abc"), "/overlay/lives/x?lang=fr&TOKEN=REDACTED");
        assert_eq!(redact("/healthz"), "/healthz");
        // As the server reads them: a name percent-encoded, after an escaped
        // `&amp;`, or any value that is one of our secrets.
        assert_eq!(redact("/overlay/lives/x?t%6Fken=ot_secret&lang=fr"), "/overlay/lives/x?t%6Fken=REDACTED&lang=fr");
        assert_eq!(redact("/ws/lives/x?lang=fr&amp;token=ot_secret"), "/ws/lives/x?lang=fr&amp;token=REDACTED");
        assert_eq!(redact("/x?%74oken=abc&TOK%45N=def"), "/x?%74oken=REDACTED&TOK%45N=REDACTED");
        for secret in ["ot_a", "ck_a", "ht_a", "md_a", "rk_a", "ca_a", "cs_a", "whsec_a", "%6Ft_a", "+ck_a"] {
            assert_eq!(redact(&format!("/x?key={secret}&n=1")), "/x?key=REDACTED&n=1", "{secret}");
        }
        assert_eq!(redact("/x?lang=fr&after=3&follow=host"), "/x?lang=fr&after=3&follow=host");
        assert_eq!(redact("/x?"), "/x?");
    }
}
