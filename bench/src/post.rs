//! The publisher's HTTP/1.1 client: keep-alive connections from a pool, the
//! request head built once per live, one write per request and the response read
//! straight from the socket. A general-purpose client (URL parsing, header maps,
//! a connection pool with its own tasks) cost about as much CPU per request as
//! the server's whole durable ingest, on the same two cores; this one leaves
//! that CPU to the server, as `wrk`-style load generators do.

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where one kind of POST goes: the address and the request head up to the
/// `content-length` value.
pub struct Endpoint {
    addr: SocketAddr,
    head: String,
}

impl Endpoint {
    /// `base` is `http://host:port`; `auth` an `Authorization` value.
    pub fn new(base: &str, path: &str, auth: Option<&str>) -> io::Result<Endpoint> {
        let hostport = base
            .strip_prefix("http://")
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("not an http:// URL: {base}")))?
            .trim_end_matches('/');
        let addr = hostport
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("not an address: {hostport}")))?;
        let mut head = format!("POST {path} HTTP/1.1\r\nhost: {hostport}\r\ncontent-type: application/json\r\n");
        if let Some(a) = auth {
            head.push_str(&format!("authorization: {a}\r\n"));
        }
        head.push_str("content-length: ");
        Ok(Endpoint { addr, head })
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// The most requests in flight at once, so the most connections the pool opens.
/// A paced rate the server cannot keep up with would otherwise open one more
/// connection for each request sent while the others wait, until the server
/// runs out of file descriptors (20 000) and can accept none, the answers it
/// owes included; past this many, a request waits for one of them to finish
/// (and the phase shows the publisher falling behind).
pub const MAX_IN_FLIGHT: usize = 4096;

/// Idle keep-alive connections, reused most recent first.
pub struct Pool {
    idle: Mutex<Vec<(SocketAddr, Conn)>>,
    in_flight: tokio::sync::Semaphore,
}

impl Default for Pool {
    fn default() -> Pool {
        Pool::with_cap(MAX_IN_FLIGHT)
    }
}

impl Pool {
    /// A pool with at most `cap` requests in flight.
    pub fn with_cap(cap: usize) -> Pool {
        Pool { idle: Mutex::default(), in_flight: tokio::sync::Semaphore::new(cap) }
    }

    /// Posts `body`; returns the response status once the whole response is read.
    pub async fn post(&self, to: &Endpoint, body: &str) -> io::Result<u16> {
        let _slot = self.in_flight.acquire().await.map_err(|_| io::Error::other("the pool is closed"))?;
        let reused = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            idle.iter().rposition(|(a, _)| *a == to.addr).map(|i| idle.swap_remove(i).1)
        };
        let mut req = String::with_capacity(to.head.len() + body.len() + 8);
        req.push_str(&to.head);
        req.push_str(&body.len().to_string());
        req.push_str("\r\n\r\n");
        req.push_str(body);
        let (mut conn, was_reused) = match reused {
            Some(c) => (c, true),
            None => (connect(to.addr).await?, false),
        };
        let mut r = exchange(&mut conn, req.as_bytes()).await;
        if r.is_err() && was_reused && conn.buf.is_empty() {
            // The server closed the idle connection (Node does after 5 s) and never
            // saw this request: once more on a new one. With an answer begun, no.
            conn = connect(to.addr).await?;
            r = exchange(&mut conn, req.as_bytes()).await;
        }
        let (status, keep) = r?;
        if keep {
            self.idle.lock().unwrap_or_else(|e| e.into_inner()).push((to.addr, conn));
        }
        Ok(status)
    }
}

async fn connect(addr: SocketAddr) -> io::Result<Conn> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(Conn { stream, buf: Vec::with_capacity(2048) })
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// What a response head says about the body that follows.
struct Head {
    /// The head's own length: the body starts there.
    head_len: usize,
    status: u16,
    /// The body's length, when the head gives it.
    content_length: Option<usize>,
    chunked: bool,
    keep: bool,
}

/// Parses the response head at the start of `buf`, once it is all there.
fn head(buf: &[u8]) -> io::Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut res = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(len) = res.parse(buf).map_err(|e| bad(&e.to_string()))? else {
        return Ok(None);
    };
    let status = res.code.ok_or_else(|| bad("no status"))?;
    // HTTP/1.1 keeps the connection unless told otherwise; 1.0 closes it.
    let mut h = Head { head_len: len, status, content_length: None, chunked: false, keep: res.version == Some(1) };
    for header in res.headers.iter() {
        let value = std::str::from_utf8(header.value).map_err(|_| bad("header value is not UTF-8"))?.trim();
        if header.name.eq_ignore_ascii_case("content-length") {
            h.content_length = Some(value.parse().map_err(|_| bad("bad content-length"))?);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            h.chunked = value.eq_ignore_ascii_case("chunked");
        } else if header.name.eq_ignore_ascii_case("connection") {
            h.keep = !value.eq_ignore_ascii_case("close");
        }
    }
    Ok(Some(h))
}

/// Writes the request, reads one response; returns its status and whether the
/// connection can be used again.
async fn exchange(c: &mut Conn, req: &[u8]) -> io::Result<(u16, bool)> {
    c.stream.write_all(req).await?;
    c.buf.clear();
    let h = loop {
        if let Some(h) = head(&c.buf)? {
            break h;
        }
        fill(c).await?;
    };
    if h.chunked {
        let mut at = h.head_len;
        loop {
            let (data, size) = loop {
                match httparse::parse_chunk_size(&c.buf[at..]).map_err(|_| bad("bad chunk size"))? {
                    httparse::Status::Complete((n, size)) => break (at + n, size as usize),
                    httparse::Status::Partial => fill(c).await?,
                }
            };
            // The chunk and its CRLF (the last chunk: its empty trailer's CRLF).
            let end = data + size + 2;
            while c.buf.len() < end {
                fill(c).await?;
            }
            at = end;
            if size == 0 {
                break;
            }
        }
    } else {
        let Some(len) = h.content_length else {
            // Until the server closes: not reusable.
            while fill(c).await.is_ok() {}
            return Ok((h.status, false));
        };
        while c.buf.len() < h.head_len + len {
            fill(c).await?;
        }
    }
    Ok((h.status, h.keep))
}

async fn fill(c: &mut Conn) -> io::Result<()> {
    if c.buf.capacity() - c.buf.len() < 1024 {
        c.buf.reserve(4096);
    }
    let n = c.stream.read_buf(&mut c.buf).await?;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::find;
    use tokio::net::TcpListener;

    /// A server answering each request with `reply`, on one connection.
    async fn serve(replies: Vec<&'static str>) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            for r in replies {
                let mut got = Vec::new();
                // Head and a body of content-length bytes.
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    got.extend_from_slice(&buf[..n]);
                    if let Some(i) = find(&got, b"\r\n\r\n") {
                        let head = std::str::from_utf8(&got[..i]).unwrap();
                        let len: usize = head.rsplit("content-length: ").next().unwrap().trim().parse().unwrap();
                        if got.len() >= i + 4 + len {
                            break;
                        }
                    }
                }
                s.write_all(r.as_bytes()).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn reads_sized_and_chunked_answers_on_one_connection() {
        let addr = serve(vec![
            "HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}",
            "HTTP/1.1 422 Unprocessable Entity\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ])
        .await;
        let ep = Endpoint::new(&format!("http://{addr}"), "/x", Some("Bearer k")).unwrap();
        let pool = Pool::default();
        assert_eq!(pool.post(&ep, "{\"a\":1}").await.unwrap(), 201);
        assert_eq!(pool.post(&ep, "{}").await.unwrap(), 422);
        assert_eq!(pool.post(&ep, "").await.unwrap(), 200);
        assert_eq!(pool.idle.lock().unwrap().len(), 1, "one connection, kept alive");
    }

    /// Requests past the cap wait for a connection to come free instead of
    /// opening more: a server that is slow to answer sees `cap` connections.
    #[tokio::test]
    async fn requests_past_the_cap_wait_instead_of_opening_connections() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (go, gate) = tokio::sync::watch::channel(false);
        let count = accepted.clone();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = l.accept().await.unwrap();
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut gate = gate.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        // One request (head and an empty body) per answer.
                        let mut got = Vec::new();
                        while find(&got, b"\r\n\r\n").is_none() {
                            let n = s.read(&mut buf).await.unwrap();
                            if n == 0 {
                                return;
                            }
                            got.extend_from_slice(&buf[..n]);
                        }
                        let _ = gate.wait_for(|open| *open).await;
                        s.write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n").await.unwrap();
                    }
                });
            }
        });
        let ep = std::sync::Arc::new(Endpoint::new(&format!("http://{addr}"), "/x", None).unwrap());
        let pool = std::sync::Arc::new(Pool::with_cap(2));
        let posts: Vec<_> = (0..5)
            .map(|_| {
                let (pool, ep) = (pool.clone(), ep.clone());
                tokio::spawn(async move { pool.post(&ep, "").await.unwrap() })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2, "two in flight, three waiting");
        go.send(true).unwrap();
        for p in posts {
            assert_eq!(p.await.unwrap(), 201);
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2, "the waiting ones reused them");
    }
}
