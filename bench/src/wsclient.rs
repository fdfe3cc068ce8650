//! The subscribers' WebSocket client. tokio-tungstenite opens the connection
//! (the HTTP upgrade and its checks); after that, frames are cut straight out of
//! one read buffer per connection with tungstenite's [`FrameHeader`]: no
//! allocation or copy per frame, and no zero-filling of the buffer before each
//! read. Thousands of these share one thread in each subscriber process, so the
//! load generator's cost per received frame stays small and leaves the cores to
//! the server under test — whichever server it is.

use std::io::{self, Cursor};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

/// How much room is made before each read.
const READ_CHUNK: usize = 4096;

/// A whole data message, borrowed from the connection's buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Msg<'a> {
    Text(&'a [u8]),
    Binary(&'a [u8]),
}

/// Why [`Client::read`] stopped delivering.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// At least one message was handed over.
    Messages,
    /// The server closed the connection (close frame or end of stream).
    Closed,
}

pub struct Client {
    tcp: TcpStream,
    /// Bytes received; `buf[at..]` is not parsed yet.
    buf: Vec<u8>,
    at: usize,
    /// A fragmented message being put together, and its kind.
    frag: Vec<u8>,
    frag_op: Option<Data>,
    /// Frames to send (pongs) that the socket did not take yet.
    out: Vec<u8>,
    mask_seed: u32,
}

impl Client {
    /// Opens the WebSocket on `tcp` (already connected) with tokio-tungstenite.
    pub async fn connect(url: &str, tcp: TcpStream) -> io::Result<Client> {
        let gate = Gate { tcp, buf: Vec::new(), at: 0, matched: 0 };
        let config = WebSocketConfig::default().write_buffer_size(0);
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, gate, Some(config))
            .await
            .map_err(|e| io::Error::other(e.to_string()))?;
        let gate = ws.into_inner();
        let buf = gate.buf[gate.at..].to_vec();
        let mask_seed = (crate::proto::now_ns() as u32) | 1;
        Ok(Client { tcp: gate.tcp, buf, at: 0, frag: Vec::new(), frag_op: None, out: Vec::new(), mask_seed })
    }

    /// Hands every whole message already received to `on`, or, when there is
    /// none, waits for bytes and tries again. Pings are answered on the way.
    /// Cancel-safe: the only await is the socket becoming readable.
    pub async fn read(&mut self, mut on: impl FnMut(Msg<'_>)) -> io::Result<Read> {
        loop {
            match self.parse(&mut on)? {
                Parsed::Some => return Ok(Read::Messages),
                Parsed::Closed => return Ok(Read::Closed),
                Parsed::None => {}
            }
            self.flush_nowait()?;
            if self.at == self.buf.len() {
                self.buf.clear();
                self.at = 0;
            } else if self.at > 0 {
                self.buf.drain(..self.at);
                self.at = 0;
            }
            self.buf.reserve(READ_CHUNK);
            self.tcp.readable().await?;
            match self.read_some() {
                Ok(0) => return Ok(Read::Closed),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// One `read()` into the buffer's spare room. A read that leaves room
    /// unfilled has emptied the socket, so the readiness is cleared then and
    /// there instead of by a second `read()` failing with `EAGAIN`: one
    /// syscall per wake-up instead of two. tokio clears it only if no new
    /// event came in since the readiness was seen, which was before this read,
    /// so bytes arriving meanwhile still wake the connection.
    fn read_some(&mut self) -> io::Result<usize> {
        let room = self.buf.capacity() - self.buf.len();
        let mut got = None;
        let cleared = self.tcp.try_io(tokio::io::Interest::READABLE, || {
            let n = self.tcp.try_read_buf(&mut self.buf)?;
            got = Some(n);
            if n > 0 && n < room { Err(io::ErrorKind::WouldBlock.into()) } else { Ok(n) }
        });
        match (cleared, got) {
            (Err(e), Some(n)) if e.kind() == io::ErrorKind::WouldBlock => Ok(n),
            (result, _) => result,
        }
    }

    /// Sends one binary message.
    pub async fn send_binary(&mut self, data: &[u8]) -> io::Result<()> {
        let frame = Frame::message(data.to_vec(), OpCode::Data(Data::Binary), true);
        self.queue(frame)?;
        self.flush().await
    }

    /// Sends a close frame, then shuts the socket down.
    pub async fn close(mut self) -> io::Result<()> {
        self.queue(Frame::close(None))?;
        self.flush().await?;
        self.tcp.shutdown().await
    }

    fn queue(&mut self, mut frame: Frame) -> io::Result<()> {
        // Client frames are masked (RFC 6455 §5.3); the key only has to vary.
        self.mask_seed ^= self.mask_seed << 13;
        self.mask_seed ^= self.mask_seed >> 17;
        self.mask_seed ^= self.mask_seed << 5;
        frame.header_mut().mask = Some(self.mask_seed.to_le_bytes());
        frame.format(&mut self.out).map_err(|e| io::Error::other(e.to_string()))
    }

    async fn flush(&mut self) -> io::Result<()> {
        let out = std::mem::take(&mut self.out);
        self.tcp.write_all(&out).await
    }

    /// Writes what the socket takes now; the rest waits for the next read.
    fn flush_nowait(&mut self) -> io::Result<()> {
        while !self.out.is_empty() {
            match self.tcp.try_write(&self.out) {
                Ok(n) => drop(self.out.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn parse(&mut self, on: &mut impl FnMut(Msg<'_>)) -> io::Result<Parsed> {
        let mut got = Parsed::None;
        loop {
            let mut cur = Cursor::new(&self.buf[self.at..]);
            let Some((head, len)) = FrameHeader::parse(&mut cur).map_err(|e| io::Error::other(e.to_string()))? else {
                return Ok(got);
            };
            let start = self.at + cur.position() as usize;
            let len = usize::try_from(len).map_err(|_| io::Error::other("frame too long"))?;
            if self.buf.len() - start < len {
                return Ok(got);
            }
            let end = start + len;
            self.at = end;
            let payload = &mut self.buf[start..end];
            if let Some(mask) = head.mask {
                payload.iter_mut().enumerate().for_each(|(i, b)| *b ^= mask[i % 4]);
            }
            match head.opcode {
                OpCode::Data(op @ (Data::Text | Data::Binary)) if head.is_final && self.frag_op.is_none() => {
                    on(if op == Data::Text { Msg::Text(payload) } else { Msg::Binary(payload) });
                    got = Parsed::Some;
                }
                OpCode::Data(op @ (Data::Text | Data::Binary)) => {
                    self.frag_op = Some(op);
                    self.frag.clear();
                    self.frag.extend_from_slice(payload);
                }
                OpCode::Data(Data::Continue) => {
                    self.frag.extend_from_slice(payload);
                    if head.is_final {
                        match self.frag_op.take() {
                            Some(Data::Text) => on(Msg::Text(&self.frag)),
                            Some(_) => on(Msg::Binary(&self.frag)),
                            None => return Err(io::Error::other("continuation without a first frame")),
                        }
                        got = Parsed::Some;
                    }
                }
                OpCode::Data(Data::Reserved(_)) | OpCode::Control(Control::Reserved(_)) => {
                    return Err(io::Error::other("reserved opcode"));
                }
                OpCode::Control(Control::Ping) => {
                    let pong = Frame::pong(payload.to_vec());
                    self.queue(pong)?;
                }
                OpCode::Control(Control::Pong) => {}
                OpCode::Control(Control::Close) => return Ok(Parsed::Closed),
            }
        }
    }
}

enum Parsed {
    None,
    Some,
    Closed,
}

/// The stream the handshake runs on. It gives tungstenite the server's answer
/// only up to the blank line that ends its head, so that every byte after it
/// (the first frames, often in the same segment) stays here for [`Client`].
struct Gate {
    tcp: TcpStream,
    buf: Vec<u8>,
    at: usize,
    /// How much of `\r\n\r\n` the bytes handed over so far end with.
    matched: usize,
}

impl AsyncRead for Gate {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let g = self.get_mut();
        if g.matched == 4 {
            // The head is over: nothing after it is the handshake's.
            return Poll::Ready(Ok(()));
        }
        if g.at == g.buf.len() {
            let mut chunk = [0u8; 2048];
            let mut rb = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut g.tcp).poll_read(cx, &mut rb))?;
            g.buf.clear();
            g.at = 0;
            g.buf.extend_from_slice(rb.filled());
            if g.buf.is_empty() {
                return Poll::Ready(Ok(()));
            }
        }
        let mut n = 0;
        for &b in &g.buf[g.at..] {
            if n == out.remaining() {
                break;
            }
            n += 1;
            g.matched = match (g.matched, b) {
                (0 | 2, b'\r') => g.matched + 1,
                (1 | 3, b'\n') => g.matched + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            if g.matched == 4 {
                break;
            }
        }
        out.put_slice(&g.buf[g.at..g.at + n]);
        g.at += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Gate {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// The server's answer to an upgrade request (its whole head).
    fn switching(request: Vec<u8>) -> String {
        let text = String::from_utf8(request).unwrap();
        let key = text
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ").or_else(|| l.strip_prefix("sec-websocket-key: ")))
            .unwrap()
            .trim()
            .to_string();
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
    }

    /// A server that answers the upgrade and, in the same write, sends the
    /// frames given; then reads what the client sends and returns it.
    async fn serve(frames: Vec<u8>) -> (std::net::SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let h = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut req = Vec::new();
            while !req.ends_with(b"\r\n\r\n") {
                req.push(s.read_u8().await.unwrap());
            }
            let mut answer = switching(req).into_bytes();
            answer.extend_from_slice(&frames);
            s.write_all(&answer).await.unwrap();
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).await.unwrap();
            rest
        });
        (addr, h)
    }

    fn frame(op: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Frame::message(payload.to_vec(), op, fin).format(&mut out).unwrap();
        out
    }

    #[tokio::test]
    async fn keeps_frames_sent_with_the_handshake_answers_pings_and_joins_fragments() {
        let mut frames = frame(OpCode::Data(Data::Text), true, br#"{"type":"snapshot","seq":7}"#);
        let mut ping = Vec::new();
        Frame::ping(b"p1".to_vec()).format(&mut ping).unwrap();
        frames.extend(ping);
        frames.extend(frame(OpCode::Data(Data::Binary), false, b"MSG a 1 "));
        frames.extend(frame(OpCode::Data(Data::Continue), true, b"2\r\nhi\r\n"));
        let mut long = vec![b'x'; 70_000];
        long[0] = b'L';
        frames.extend(frame(OpCode::Data(Data::Text), true, &long));
        let mut close = Vec::new();
        Frame::close(None).format(&mut close).unwrap();
        frames.extend(close);
        let (addr, server) = serve(frames).await;
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut c = Client::connect(&format!("ws://{addr}/ws"), tcp).await.unwrap();
        let mut got: Vec<(bool, Vec<u8>)> = Vec::new();
        loop {
            let r = c
                .read(|m| match m {
                    Msg::Text(t) => got.push((true, t.to_vec())),
                    Msg::Binary(b) => got.push((false, b.to_vec())),
                })
                .await
                .unwrap();
            if r == Read::Closed {
                break;
            }
        }
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (true, br#"{"type":"snapshot","seq":7}"#.to_vec()));
        assert_eq!(got[1], (false, b"MSG a 1 2\r\nhi\r\n".to_vec()));
        assert_eq!(got[2], (true, long));
        c.send_binary(b"PONG\r\n").await.unwrap();
        c.close().await.unwrap();
        // What the server read: a masked pong echoing "p1", the binary message, a close.
        let sent = server.await.unwrap();
        let mut cur = Cursor::new(&sent[..]);
        let mut kinds = Vec::new();
        while let Some((h, len)) = FrameHeader::parse(&mut cur).unwrap() {
            let start = cur.position() as usize;
            let mask = h.mask.expect("client frames are masked");
            let payload: Vec<u8> =
                sent[start..start + len as usize].iter().enumerate().map(|(i, b)| b ^ mask[i % 4]).collect();
            kinds.push((h.opcode, payload));
            cur.set_position((start + len as usize) as u64);
        }
        assert_eq!(
            kinds,
            vec![
                (OpCode::Control(Control::Pong), b"p1".to_vec()),
                (OpCode::Data(Data::Binary), b"PONG\r\n".to_vec()),
                (OpCode::Control(Control::Close), Vec::new()),
            ]
        );
    }

    /// Frames that arrive while the client is between a read and the clearing
    /// of its readiness still wake it. The server, a plain thread, writes
    /// frames in pairs, the second 0 to 2 ms after the first (often while the
    /// client handles the first), and writes the next pair only once the
    /// client has answered the second: a lost wake-up leaves the client
    /// waiting, and the test times out. The runtime has a worker with nothing
    /// else to do, so its I/O driver takes in events while the client reads.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_frame_arriving_during_a_read_still_wakes_the_client() {
        use std::io::{Read as _, Write as _};
        const PAIRS: usize = 300;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.set_nodelay(true).unwrap();
            let mut req = Vec::new();
            while !req.ends_with(b"\r\n\r\n") {
                let mut b = [0u8; 1];
                s.read_exact(&mut b).unwrap();
                req.push(b[0]);
            }
            let answer = switching(req);
            s.write_all(answer.as_bytes()).unwrap();
            for k in 0..PAIRS {
                s.write_all(&frame(OpCode::Data(Data::Text), true, format!("a{k}").as_bytes())).unwrap();
                std::thread::sleep(std::time::Duration::from_micros((k % 40) as u64 * 50));
                s.write_all(&frame(OpCode::Data(Data::Text), true, format!("b{k}").as_bytes())).unwrap();
                // The client's answer: a masked binary "ack", 9 bytes.
                let mut ack = [0u8; 9];
                s.read_exact(&mut ack).unwrap();
            }
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut c = Client::connect(&format!("ws://{addr}/ws"), tcp).await.unwrap();
        let mut got = Vec::new();
        let all = async {
            while got.len() < 2 * PAIRS {
                let mut answer = false;
                c.read(|m| {
                    if let Msg::Text(t) = m {
                        answer |= t[0] == b'b';
                        got.push(String::from_utf8(t.to_vec()).unwrap());
                    }
                })
                .await
                .unwrap();
                if answer {
                    c.send_binary(b"ack").await.unwrap();
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(20), all).await.expect("every frame wakes the client");
        let want: Vec<String> = (0..PAIRS).flat_map(|k| [format!("a{k}"), format!("b{k}")]).collect();
        assert_eq!(got, want);
        server.join().unwrap();
    }
}
