//! The HTTP/1.1 client to a room's upstream: kept-alive connections (TCP with `TCP_NODELAY`,
//! or TLS), the request written and the response read on the visitor's own task, the response
//! body streamed as it arrives. Must not decide who may pass or touch headers beyond framing:
//! the request it gets is the one the gateway built.
//!
//! It is our own rather than hyper's client: hyper's runs each connection as a task of its
//! own and hands every request, answer and body chunk across channels, which measured as most
//! of the gap to nginx when proxying (`benches/load`). Framing follows RFC 9112 strictly: a
//! response whose length is unclear is read to the connection's end and the connection is
//! not reused, and a `Transfer-Encoding` beside a `Content-Length` is never passed on.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::Scheme;
use http::{Method, Response, StatusCode, Version};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_util::either::Either;

use crate::config::Upstream;

/// A connection unused this long is closed (upstreams commonly close after 60–75 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(55);
/// At most this many unused connections are kept; more are closed when they come back.
const MAX_IDLE: usize = 1024;
/// Giving up on a new connection (or its TLS handshake) after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest response head (status line and headers) taken from the upstream.
const MAX_HEAD_BYTES: usize = 64 * 1024 - 1;
/// Most response headers taken from the upstream.
const MAX_HEADERS: usize = 100;
/// Longest chunk-size line (with extensions) and most trailer bytes in a chunked body.
const MAX_CHUNK_LINE: usize = 4 * 1024;
const MAX_TRAILERS: usize = 64 * 1024;
/// How much is read from the upstream at once.
const READ_SIZE: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot connect to {authority}: {source}")]
    Connect {
        authority: String,
        source: io::Error,
    },
    #[error("TLS handshake with {authority} failed: {source}")]
    Tls {
        authority: String,
        source: io::Error,
    },
    #[error("no connection to {0} within 5 s")]
    ConnectTimeout(String),
    #[error("sending the request failed: {0}")]
    Send(io::Error),
    #[error("reading the visitor's request body failed: {0}")]
    RequestBody(hyper::Error),
    #[error("the visitor's request body did not match its length")]
    RequestLength,
    #[error("reading the response failed: {0}")]
    Receive(io::Error),
    #[error("the upstream closed the connection without an answer")]
    Closed,
    #[error("the upstream's answer is not valid HTTP/1.1: {0}")]
    Invalid(&'static str),
}

/// The pool of one upstream (scheme and authority).
pub struct UpstreamPool {
    /// `host:port` as configured, for error messages.
    authority: String,
    host: String,
    port: u16,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    /// Newest last: the most recently used connection is taken first.
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    conn: Conn,
    since: Instant,
}

impl Idle {
    fn usable(&mut self, now: Instant) -> bool {
        now.duration_since(self.since) < IDLE_TIMEOUT && self.conn.is_open()
    }
}

/// One upstream connection and what has been read from it but not yet used.
struct Conn {
    io: Stream,
    buf: BytesMut,
}

/// Plain TCP or TLS over it.
type Stream = Either<TcpStream, Box<TlsStream<TcpStream>>>;

impl Conn {
    /// An idle connection is open when reading would wait: not closed by the upstream and
    /// holding no bytes nobody asked for.
    fn is_open(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut scratch = [0u8; 64];
        if let Either::Left(tcp) = &self.io {
            // Outside the task's cooperative budget, which could make a poll say "wait".
            return matches!(tcp.try_read(&mut scratch), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        }
        let mut read = ReadBuf::new(&mut scratch);
        let mut cx = Context::from_waker(Waker::noop());
        matches!(
            Pin::new(&mut self.io).poll_read(&mut cx, &mut read),
            Poll::Pending
        )
    }

    /// Reads more from the upstream into `buf`; 0 at the connection's end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        self.buf.reserve(READ_SIZE);
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.buf)
    }

    async fn fill(&mut self) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx)).await
    }

    /// Writes the request and reads the answer's head; whether the request went out whole.
    /// An upstream that answers before it has read the whole body (a refusal, say) is heard
    /// out: its answer is the one that counts, and the connection is not used again.
    async fn exchange(
        &mut self,
        head: &[u8],
        body: &mut Incoming,
        framing: BodyFraming,
    ) -> Result<(Head, bool), UpstreamError> {
        match self.write_request(head, body, framing).await {
            Ok(None) => Ok((self.read_head().await?, true)),
            Ok(Some(early)) => Ok((early, false)),
            Err(sending @ UpstreamError::Send(_)) => match self.read_head().await {
                Ok(head) => Ok((head, false)),
                Err(UpstreamError::Closed) if framing == BodyFraming::Empty => {
                    Err(UpstreamError::Closed)
                }
                Err(_) => Err(sending),
            },
            Err(e) => Err(e),
        }
    }

    /// Writes the request: its head, then its body in the framing the head announced. With a
    /// body it listens while it writes: an upstream may refuse an upload (401, 413) before
    /// reading it, and one that answers while still reading must not be left with both sides'
    /// buffers full. Such an early answer's head is returned, and the rest of the body is not
    /// sent.
    async fn write_request(
        &mut self,
        head: &[u8],
        body: &mut Incoming,
        framing: BodyFraming,
    ) -> Result<Option<Head>, UpstreamError> {
        if let BodyFraming::Empty = framing {
            let send = UpstreamError::Send;
            self.io.write_all(head).await.map_err(send)?;
            self.io.flush().await.map_err(send)?;
            return Ok(None);
        }
        let mut sending = Sending {
            body,
            framing,
            pending: Bytes::copy_from_slice(head),
            sent: 0,
            body_done: false,
            listening: true,
        };
        std::future::poll_fn(|cx| self.poll_send(cx, &mut sending)).await
    }

    fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Sending<'_>,
    ) -> Poll<Result<Option<Head>, UpstreamError>> {
        loop {
            if out.listening {
                match self.poll_fill(cx) {
                    Poll::Ready(Ok(0)) => out.listening = false,
                    Poll::Ready(Ok(_)) => {
                        if let Some(head) = self.take_head()? {
                            return Poll::Ready(Ok(Some(head)));
                        }
                        continue;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(UpstreamError::Receive(e))),
                    Poll::Pending => {}
                }
            }
            if !out.pending.is_empty() {
                match Pin::new(&mut self.io).poll_write(cx, &out.pending) {
                    Poll::Ready(Ok(0)) => {
                        let e = io::Error::from(io::ErrorKind::WriteZero);
                        return Poll::Ready(Err(UpstreamError::Send(e)));
                    }
                    Poll::Ready(Ok(n)) => {
                        out.pending.advance(n);
                        continue;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(UpstreamError::Send(e))),
                    Poll::Pending => return Poll::Pending,
                }
            }
            if out.body_done {
                return match Pin::new(&mut self.io).poll_flush(cx) {
                    Poll::Ready(Ok(())) => Poll::Ready(Ok(None)),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(UpstreamError::Send(e))),
                    Poll::Pending => Poll::Pending,
                };
            }
            match Pin::new(&mut *out.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Err(UpstreamError::RequestBody(e)))
                }
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers are not passed on.
                    if let Ok(data) = frame.into_data() {
                        out.take(data)?;
                    }
                }
                Poll::Ready(None) => out.finish()?,
            }
        }
    }

    /// The final answer's head if the buffer holds it, interim (1xx) answers skipped.
    fn take_head(&mut self) -> Result<Option<Head>, UpstreamError> {
        while let Some(head) = parse_head(&mut self.buf)? {
            if !head.status.is_informational() {
                return Ok(Some(head));
            }
            if head.status == StatusCode::SWITCHING_PROTOCOLS {
                return Err(UpstreamError::Invalid("switched protocols unasked"));
            }
        }
        if self.buf.len() >= MAX_HEAD_BYTES {
            return Err(UpstreamError::Invalid("response head too large"));
        }
        Ok(None)
    }

    /// Reads the response head. `Closed` when the connection ended before a single byte of an
    /// answer.
    async fn read_head(&mut self) -> Result<Head, UpstreamError> {
        let mut answered = !self.buf.is_empty();
        loop {
            if let Some(head) = self.take_head()? {
                return Ok(head);
            }
            match self.fill().await {
                Ok(0) if answered => {
                    return Err(UpstreamError::Invalid("connection closed inside the head"))
                }
                Ok(0) => return Err(UpstreamError::Closed),
                Ok(_) => answered = true,
                Err(e) if !answered && is_reset(&e) => return Err(UpstreamError::Closed),
                Err(e) => return Err(UpstreamError::Receive(e)),
            }
        }
    }
}

/// A request body on its way out.
struct Sending<'a> {
    body: &'a mut Incoming,
    framing: BodyFraming,
    /// Bytes to write before the next piece of the body is taken.
    pending: Bytes,
    /// Body bytes taken so far.
    sent: u64,
    body_done: bool,
    /// Still reading for an early answer (until the upstream's side closes).
    listening: bool,
}

impl Sending<'_> {
    /// The next piece of the body, framed.
    fn take(&mut self, data: Bytes) -> Result<(), UpstreamError> {
        if data.is_empty() {
            return Ok(());
        }
        self.sent += data.len() as u64;
        self.pending = match self.framing {
            BodyFraming::Length(n) if self.sent > n => return Err(UpstreamError::RequestLength),
            BodyFraming::Chunked => {
                // One write for the chunk: size line, data and line end together.
                let mut chunk = BytesMut::with_capacity(data.len() + 20);
                chunk.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
                chunk.extend_from_slice(&data);
                chunk.extend_from_slice(b"\r\n");
                chunk.freeze()
            }
            BodyFraming::Length(_) | BodyFraming::Empty => data,
        };
        Ok(())
    }

    /// The body has ended: it must have been as long as announced.
    fn finish(&mut self) -> Result<(), UpstreamError> {
        match self.framing {
            BodyFraming::Length(n) if self.sent != n => return Err(UpstreamError::RequestLength),
            BodyFraming::Chunked => self.pending = Bytes::from_static(b"0\r\n\r\n"),
            BodyFraming::Length(_) | BodyFraming::Empty => {}
        }
        self.body_done = true;
        Ok(())
    }
}

/// The connection was cut rather than answered on. TLS reports a peer that closed without
/// `close_notify` (as many servers close idle connections) as an unexpected end.
fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
    )
}

/// How the request body goes out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BodyFraming {
    Empty,
    Length(u64),
    Chunked,
}

impl BodyFraming {
    /// As the body says of itself: nothing, an exact length, or chunks of unknown total.
    pub fn of(body: &impl HttpBody) -> BodyFraming {
        if body.is_end_stream() {
            BodyFraming::Empty
        } else {
            match body.size_hint().exact() {
                Some(n) => BodyFraming::Length(n),
                None => BodyFraming::Chunked,
            }
        }
    }

    /// Appends the framing header line for a request with `method`; `announced` when the
    /// visitor's request had a `Content-Length` (which is not passed on itself).
    pub fn write_header(self, method: &Method, announced: bool, head: &mut Vec<u8>) {
        match self {
            BodyFraming::Empty => {
                // A method that carries a body says it has none; others say nothing, as
                // browsers do.
                if announced || matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
                    head.extend_from_slice(b"content-length: 0\r\n");
                }
            }
            BodyFraming::Length(n) => {
                head.extend_from_slice(format!("content-length: {n}\r\n").as_bytes());
            }
            BodyFraming::Chunked => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        }
    }
}

/// A request ready for the upstream: its head written (by `proxy`, with the framing header
/// `framing` gives), its method, and the body still to stream.
pub struct Outbound {
    pub head: Vec<u8>,
    pub method: Method,
    pub body: Incoming,
    pub framing: BodyFraming,
}

/// A parsed response head.
struct Head {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
}

/// Takes the head at the start of `buf` off it; `None` (and `buf` untouched) while
/// incomplete. Header values share the head's bytes instead of each being copied.
fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, UpstreamError> {
    let mut slots = [MaybeUninit::<httparse::Header>::uninit(); MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut parsed,
        buf,
        &mut slots,
    ) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(UpstreamError::Invalid("more than 100 headers"))
        }
        Err(_) => return Err(UpstreamError::Invalid("malformed response head")),
    };
    let status = parsed
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or(UpstreamError::Invalid("bad status code"))?;
    let version = match parsed.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    if len > usize::from(u16::MAX) {
        return Err(UpstreamError::Invalid("response head too large"));
    }
    // Where each name and value lies in the head (offsets fit in 16 bits, as the head does),
    // so that the values can be cut from it.
    let base = buf.as_ptr() as usize;
    let at = |part: &[u8]| {
        // httparse's slices lie inside the head; anything else is refused, not trusted.
        let from = (part.as_ptr() as usize).checked_sub(base)?;
        let to = from.checked_add(part.len()).filter(|to| *to <= len)?;
        Some((u16::try_from(from).ok()?, u16::try_from(to - from).ok()?))
    };
    let mut spans = [((0u16, 0u16), (0u16, 0u16)); MAX_HEADERS];
    let count = parsed.headers.len();
    for (span, h) in spans.iter_mut().zip(parsed.headers.iter()) {
        *span = at(h.name.as_bytes())
            .zip(at(h.value))
            .ok_or(UpstreamError::Invalid("header outside the head"))?;
    }
    let head = buf.split_to(len).freeze();
    let mut headers = HeaderMap::with_capacity(count);
    for ((name_at, name_len), (at, len)) in spans.into_iter().take(count) {
        let (name_at, at) = (usize::from(name_at), usize::from(at));
        let name = HeaderName::from_bytes(&head[name_at..name_at + usize::from(name_len)])
            .map_err(|_| UpstreamError::Invalid("bad header name"))?;
        let value = HeaderValue::from_maybe_shared(head.slice(at..at + usize::from(len)))
            .map_err(|_| UpstreamError::Invalid("bad header value"))?;
        headers.append(name, value);
    }
    Ok(Some(Head {
        status,
        version,
        headers,
    }))
}

/// Whether a comma-separated header holds `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// The body's length from `Content-Length` (repeated values must agree), `None` when absent.
fn content_length(headers: &HeaderMap) -> Result<Option<u64>, UpstreamError> {
    let mut found = None;
    for part in headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
    {
        let digits = part.trim_ascii();
        let n = (!digits.is_empty() && digits.len() <= 19 && digits.iter().all(u8::is_ascii_digit))
            .then(|| {
                digits
                    .iter()
                    .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
            })
            .ok_or(UpstreamError::Invalid("bad Content-Length"))?;
        if found.is_some_and(|f| f != n) {
            return Err(UpstreamError::Invalid("conflicting Content-Length"));
        }
        found = Some(n);
    }
    Ok(found)
}

/// How a response body is delimited (RFC 9112 §6.3), and whether the connection can serve
/// another request afterwards. Drops a `Content-Length` that `Transfer-Encoding` overrides.
fn response_framing(head: &mut Head, method: &Method) -> Result<(Remaining, bool), UpstreamError> {
    let h = &mut head.headers;
    let mut reuse = match head.version {
        Version::HTTP_10 => has_token(h, &header::CONNECTION, "keep-alive"),
        _ => !has_token(h, &header::CONNECTION, "close"),
    };
    let framing = if method == Method::HEAD
        || head.status == StatusCode::NO_CONTENT
        || head.status == StatusCode::NOT_MODIFIED
    {
        Remaining::Length(0)
    } else if h.contains_key(header::TRANSFER_ENCODING) {
        // Both, or chunks from an HTTP/1.0 peer that cannot know them: a sign of a confused
        // or hostile peer; this connection ends here (RFC 9112 §6.1, §6.3).
        if h.remove(header::CONTENT_LENGTH).is_some() || head.version == Version::HTTP_10 {
            reuse = false;
        }
        let last = h
            .get_all(header::TRANSFER_ENCODING)
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .rfind(|t| !t.trim_ascii().is_empty())
            .map(<[u8]>::trim_ascii);
        match last {
            Some(t) if t.eq_ignore_ascii_case(b"chunked") => Remaining::Chunked(Chunked::Size),
            _ => Remaining::Close,
        }
    } else {
        match content_length(h)? {
            Some(n) => Remaining::Length(n),
            None => Remaining::Close,
        }
    };
    if framing == Remaining::Close {
        reuse = false;
    }
    Ok((framing, reuse))
}

/// How the rest of a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Remaining {
    /// This many bytes are still to come.
    Length(u64),
    Chunked(Chunked),
    /// Until the upstream closes the connection.
    Close,
}

/// Where a chunked body's decoder stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Chunked {
    /// Before a chunk-size line.
    Size,
    /// Inside a chunk with this many bytes left.
    Data(u64),
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one; bytes of them seen so far.
    Trailers(usize),
    Done,
}

/// What the chunked decoder made of the buffer.
#[derive(Debug, PartialEq)]
enum Decoded {
    Data(Bytes),
    /// More bytes are needed.
    More,
    Done,
}

/// The line at the start of `buf` without its line end (CRLF, or a bare LF), and the bytes it
/// took; `None` while incomplete.
fn line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let end = buf.iter().position(|b| *b == b'\n')?;
    let text = &buf[..end];
    Some((text.strip_suffix(b"\r").unwrap_or(text), end + 1))
}

impl Chunked {
    /// Takes what it can from `buf`: a piece of data, the end, or the need for more.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, &'static str> {
        loop {
            match *self {
                Chunked::Size => {
                    let Some((text, used)) = line(buf) else {
                        if buf.len() > MAX_CHUNK_LINE {
                            return Err("chunk-size line too long");
                        }
                        return Ok(Decoded::More);
                    };
                    if used > MAX_CHUNK_LINE {
                        return Err("chunk-size line too long");
                    }
                    let size = text.split(|b| *b == b';').next().unwrap_or_default();
                    let size = size.trim_ascii_end();
                    if size.is_empty() || size.len() > 15 {
                        return Err("bad chunk size");
                    }
                    let mut n: u64 = 0;
                    for d in size {
                        let v = (*d as char).to_digit(16).ok_or("bad chunk size")?;
                        n = n * 16 + u64::from(v);
                    }
                    buf.advance(used);
                    *self = if n == 0 {
                        Chunked::Trailers(0)
                    } else {
                        Chunked::Data(n)
                    };
                }
                Chunked::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Decoded::More);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let left = left - take as u64;
                    *self = if left == 0 {
                        Chunked::DataEnd
                    } else {
                        Chunked::Data(left)
                    };
                    return Ok(Decoded::Data(buf.split_to(take).freeze()));
                }
                Chunked::DataEnd => {
                    let Some((text, used)) = line(buf) else {
                        if buf.len() >= 2 {
                            return Err("chunk data longer than its size");
                        }
                        return Ok(Decoded::More);
                    };
                    if !text.is_empty() {
                        return Err("chunk data longer than its size");
                    }
                    buf.advance(used);
                    *self = Chunked::Size;
                }
                Chunked::Trailers(seen) => {
                    let Some((text, used)) = line(buf) else {
                        if seen + buf.len() > MAX_TRAILERS {
                            return Err("trailers too large");
                        }
                        return Ok(Decoded::More);
                    };
                    let empty = text.is_empty();
                    buf.advance(used);
                    *self = if empty {
                        Chunked::Done
                    } else if seen + used > MAX_TRAILERS {
                        return Err("trailers too large");
                    } else {
                        Chunked::Trailers(seen + used)
                    };
                }
                Chunked::Done => return Ok(Decoded::Done),
            }
        }
    }
}

impl UpstreamPool {
    /// `tls` is the client configuration for an `https://` upstream (ignored for `http://`).
    pub fn new(
        upstream: &Upstream,
        tls: Option<Arc<ClientConfig>>,
    ) -> Result<UpstreamPool, UpstreamError> {
        let https = upstream.scheme == Scheme::HTTPS;
        let authority = &upstream.authority;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tls = match (https, tls) {
            (true, Some(config)) => {
                let name = ServerName::try_from(host.clone()).map_err(|e| UpstreamError::Tls {
                    authority: authority.to_string(),
                    source: io::Error::new(io::ErrorKind::InvalidInput, e),
                })?;
                Some((TlsConnector::from(config), name))
            }
            (true, None) => {
                return Err(UpstreamError::Tls {
                    authority: authority.to_string(),
                    source: io::Error::new(io::ErrorKind::InvalidInput, "no TLS configuration"),
                })
            }
            (false, _) => None,
        };
        Ok(UpstreamPool {
            authority: authority.to_string(),
            host,
            port,
            tls,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends the request and reads the response head. A kept connection the upstream closed
    /// before answering is replaced by a new one and the request sent again, but only a request
    /// without a body whose method is safe to repeat; anything else is sent at most once.
    pub async fn send(
        self: &Arc<Self>,
        out: Outbound,
    ) -> Result<Response<ResponseBody>, UpstreamError> {
        let Outbound {
            head,
            method,
            mut body,
            framing,
        } = out;
        let repeatable = framing == BodyFraming::Empty
            && matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        if let Some(mut conn) = self.take() {
            match conn.exchange(&head, &mut body, framing).await {
                Ok((head, whole)) => return self.response(conn, head, whole, &method),
                Err(UpstreamError::Closed) if repeatable => {
                    tracing::debug!(upstream = %self.authority, "kept connection closed; sending again");
                }
                Err(e) => return Err(e),
            }
        }
        // Boxed: connecting (a TLS handshake's state above all) would make every request's
        // future several times larger, and futures are moved by copying.
        Box::pin(self.send_on_new(&head, &mut body, framing, &method)).await
    }

    /// `send` on a connection of its own, for when no kept one is at hand or the kept one was
    /// closed.
    async fn send_on_new(
        self: &Arc<Self>,
        head: &[u8],
        body: &mut Incoming,
        framing: BodyFraming,
        method: &Method,
    ) -> Result<Response<ResponseBody>, UpstreamError> {
        let mut conn = self.connect().await?;
        let (head_in, whole) = conn.exchange(head, body, framing).await?;
        self.response(conn, head_in, whole, method)
    }

    fn response(
        self: &Arc<Self>,
        conn: Conn,
        mut head: Head,
        whole: bool,
        method: &Method,
    ) -> Result<Response<ResponseBody>, UpstreamError> {
        let (framing, reuse) = response_framing(&mut head, method)?;
        // A request not sent whole leaves the connection out of step.
        let reuse = reuse && whole;
        let mut body = ResponseBody {
            conn: Some(conn),
            framing,
            reuse,
            pool: self.clone(),
        };
        body.finish_if_done();
        let mut resp = Response::new(body);
        *resp.status_mut() = head.status;
        *resp.headers_mut() = head.headers;
        Ok(resp)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The most recently used open connection. The newest is tried first: once it is too old,
    /// all are, and the rest go too.
    fn take(&self) -> Option<Conn> {
        let mut idle = self.lock();
        let now = Instant::now();
        while let Some(mut i) = idle.pop() {
            if i.usable(now) {
                return Some(i.conn);
            }
        }
        None
    }

    /// Closes connections unused for `IDLE_TIMEOUT` or closed by the upstream; called every
    /// second or so, so that they go even when no request comes to take them.
    pub fn sweep(&self) {
        let now = Instant::now();
        self.lock().retain_mut(|i| i.usable(now));
    }

    fn put(&self, conn: Conn) {
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }

    async fn connect(&self) -> Result<Conn, UpstreamError> {
        let authority = || self.authority.clone();
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|source| UpstreamError::Connect {
                    authority: authority(),
                    source,
                })?;
            // Small requests and answers go out at once, not after the peer's delayed ACK.
            let _ = tcp.set_nodelay(true);
            let io = match &self.tls {
                None => Either::Left(tcp),
                Some((connector, name)) => {
                    let tls = connector
                        .connect(name.clone(), tcp)
                        .await
                        .map_err(|source| UpstreamError::Tls {
                            authority: authority(),
                            source,
                        })?;
                    Either::Right(Box::new(tls))
                }
            };
            Ok(Conn {
                io,
                buf: BytesMut::new(),
            })
        })
        .await;
        connected.unwrap_or_else(|_| Err(UpstreamError::ConnectTimeout(authority())))
    }
}

/// An upstream response body, read from the connection as the visitor takes it. Read to its
/// end, the connection goes back to the pool (when the upstream keeps it open and sent
/// nothing more); a body dropped early closes it.
pub struct ResponseBody {
    conn: Option<Conn>,
    framing: Remaining,
    reuse: bool,
    pool: Arc<UpstreamPool>,
}

impl ResponseBody {
    fn done(&self) -> bool {
        matches!(
            self.framing,
            Remaining::Length(0) | Remaining::Chunked(Chunked::Done)
        )
    }

    /// At the body's end, hands the connection back (or closes it).
    fn finish_if_done(&mut self) {
        if self.done() {
            if let Some(conn) = self.conn.take() {
                if self.reuse && conn.buf.is_empty() {
                    self.pool.put(conn);
                }
            }
        }
    }
}

impl HttpBody for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            let data = match &mut this.framing {
                Remaining::Length(0) => None,
                Remaining::Length(left) => {
                    if conn.buf.is_empty() {
                        None
                    } else {
                        let take = usize::try_from(*left)
                            .unwrap_or(usize::MAX)
                            .min(conn.buf.len());
                        *left -= take as u64;
                        Some(conn.buf.split_to(take).freeze())
                    }
                }
                Remaining::Chunked(state) => match state.decode(&mut conn.buf) {
                    Ok(Decoded::Data(data)) => Some(data),
                    Ok(Decoded::More) => None,
                    Ok(Decoded::Done) => None,
                    Err(why) => {
                        this.conn = None;
                        return Poll::Ready(Some(Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            why,
                        ))));
                    }
                },
                Remaining::Close => (!conn.buf.is_empty()).then(|| conn.buf.split().freeze()),
            };
            if let Some(data) = data {
                this.finish_if_done();
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
            if this.done() {
                this.finish_if_done();
                return Poll::Ready(None);
            }
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match conn.poll_fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) if this.framing == Remaining::Close => {
                    this.conn = None;
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(0)) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the upstream closed the connection inside the body",
                    ))));
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.conn.is_none() && self.done()
    }

    fn size_hint(&self) -> SizeHint {
        match self.framing {
            Remaining::Length(n) => SizeHint::with_exact(n),
            _ => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Option<Head>, UpstreamError> {
        parse_head(&mut BytesMut::from(text))
    }

    fn head(text: &str) -> Head {
        parse(text.as_bytes()).unwrap().unwrap()
    }

    fn framing(text: &str, method: Method) -> Result<(Remaining, bool), UpstreamError> {
        response_framing(&mut head(text), &method)
    }

    #[test]
    fn response_bodies_are_delimited_as_rfc_9112_says() {
        let ok = |extra: &str| framing(&format!("HTTP/1.1 200 OK\r\n{extra}\r\n"), Method::GET);
        assert_eq!(
            ok("content-length: 5\r\n").unwrap(),
            (Remaining::Length(5), true)
        );
        assert_eq!(
            ok("content-length: 5, 5\r\ncontent-length: 5\r\n").unwrap(),
            (Remaining::Length(5), true)
        );
        assert!(ok("content-length: 5\r\ncontent-length: 6\r\n").is_err());
        assert!(ok("content-length: -5\r\n").is_err());
        assert!(ok("content-length: 5x\r\n").is_err());
        assert!(ok("content-length: 99999999999999999999\r\n").is_err());
        assert_eq!(
            ok("transfer-encoding: gzip, chunked\r\n").unwrap(),
            (Remaining::Chunked(Chunked::Size), true)
        );
        // Both: chunked wins, the connection is not reused, the length is not passed on.
        let mut both =
            head("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n");
        assert_eq!(
            response_framing(&mut both, &Method::GET).unwrap(),
            (Remaining::Chunked(Chunked::Size), false)
        );
        assert!(!both.headers.contains_key(header::CONTENT_LENGTH));
        assert_eq!(
            ok("transfer-encoding: gzip\r\n").unwrap(),
            (Remaining::Close, false)
        );
        assert_eq!(ok("").unwrap(), (Remaining::Close, false));
        assert_eq!(
            ok("content-length: 5\r\nconnection: Close\r\n").unwrap(),
            (Remaining::Length(5), false)
        );
        let old = framing("HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n", Method::GET);
        assert_eq!(old.unwrap(), (Remaining::Length(1), false));
        let old = framing(
            "HTTP/1.0 200 OK\r\ncontent-length: 1\r\nconnection: keep-alive\r\n\r\n",
            Method::GET,
        );
        assert_eq!(old.unwrap(), (Remaining::Length(1), true));
        let old = framing(
            "HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n",
            Method::GET,
        );
        assert_eq!(old.unwrap(), (Remaining::Chunked(Chunked::Size), false));
        // No body whatever the headers say.
        let head_req = framing("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n", Method::HEAD);
        assert_eq!(head_req.unwrap(), (Remaining::Length(0), true));
        let none = framing("HTTP/1.1 304 Not Modified\r\n\r\n", Method::GET);
        assert_eq!(none.unwrap(), (Remaining::Length(0), true));
    }

    #[test]
    fn hostile_heads_are_refused() {
        assert!(parse(b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n").is_err());
        assert!(parse(b"HTTP/1.1 2000 OK\r\n\r\n").is_err());
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        let many: String = (0..101).map(|i| format!("x-{i}: 1\r\n")).collect();
        assert!(parse(format!("HTTP/1.1 200 OK\r\n{many}\r\n").as_bytes()).is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n")
            .unwrap()
            .is_none());
    }

    fn decode_all(wire: &[u8], split: &[usize]) -> Result<(Vec<u8>, usize), &'static str> {
        let mut state = Chunked::Size;
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut fed = 0;
        let mut cuts: Vec<usize> = split.iter().map(|c| c % (wire.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(wire.len());
        for cut in cuts {
            if cut > fed {
                buf.extend_from_slice(&wire[fed..cut]);
                fed = cut;
            }
            loop {
                match state.decode(&mut buf)? {
                    Decoded::Data(d) => out.extend_from_slice(&d),
                    Decoded::More => break,
                    Decoded::Done => return Ok((out, buf.len() + wire.len() - fed)),
                }
            }
        }
        Err("incomplete")
    }

    #[test]
    fn chunked_bodies_decode_with_extensions_and_trailers() {
        let wire = b"5;name=x\r\nhello\r\n1\r\n \r\nC\r\n world again\r\n0\r\nx-sum: 1\r\n\r\nNEXT";
        let (body, rest) = decode_all(wire, &[]).unwrap();
        assert_eq!(body, b"hello  world again");
        assert_eq!(rest, 4);
        assert!(decode_all(b"5\r\nhello!\r\n0\r\n\r\n", &[]).is_err());
        assert!(decode_all(b"zz\r\n", &[]).is_err());
        assert!(decode_all(b"\r\n", &[]).is_err());
        assert!(decode_all(b"10000000000000000\r\n", &[]).is_err());
        let long = format!("1;{}\r\n", "x".repeat(5000));
        assert!(decode_all(long.as_bytes(), &[]).is_err());
    }

    mod hostile {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any chunks, split anywhere on the wire: the decoder gives back exactly the data
            /// and stops at the body's end.
            #[test]
            fn chunked_round_trip(
                chunks in proptest::collection::vec(
                    proptest::collection::vec(any::<u8>(), 1..300), 0..8),
                cuts in proptest::collection::vec(any::<usize>(), 0..10),
            ) {
                let mut wire = Vec::new();
                for c in &chunks {
                    wire.extend_from_slice(format!("{:X}\r\n", c.len()).as_bytes());
                    wire.extend_from_slice(c);
                    wire.extend_from_slice(b"\r\n");
                }
                wire.extend_from_slice(b"0\r\n\r\n");
                let (body, rest) = decode_all(&wire, &cuts).unwrap();
                prop_assert_eq!(body, chunks.concat());
                prop_assert_eq!(rest, 0);
            }

            /// Any bytes as a chunked body or a response head: an answer or an error, never a
            /// panic.
            #[test]
            fn garbage_never_panics(wire in proptest::collection::vec(any::<u8>(), 0..600)) {
                let _ = decode_all(&wire, &[]);
                let _ = parse(&wire);
            }
        }
    }
}
