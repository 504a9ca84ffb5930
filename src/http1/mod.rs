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
use std::time::Duration;

use bytes::BytesMut;
use http::header::HeaderMap;
use http::{Method, StatusCode};

mod chunked;
mod conn;
mod head;
mod pool;
mod request;
#[cfg(test)]
mod tests;

use head::{parse_head, response_framing, Remaining};

pub use head::{BodyFraming, Outbound};
pub use pool::{ResponseBody, Upgrade, Upgraded, UpstreamPool};
pub use request::RequestBody;

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
    #[error("the visitor's upload stalled for body_idle_timeout")]
    RequestIdle,
    #[error("reading the response failed: {0}")]
    Receive(io::Error),
    #[error("the upstream closed the connection without an answer")]
    Closed,
    #[error("the upstream's answer is not valid HTTP/1.1: {0}")]
    Invalid(&'static str),
}

/// One upstream answer as the client's codec reads it from bytes alone (`decode_response`).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Whether the connection could serve another request afterwards.
    pub reuse: bool,
    /// Whether the framing said where the body ends and it ended there (read-to-close bodies
    /// end with the bytes).
    pub complete: bool,
}

/// The pure codec over one upstream answer in `bytes`, fed to it `piece` bytes at a time as
/// reads would: the head (interim 1xx answers skipped), the framing, and the body as far as
/// the bytes and the framing go. `None` while the head is incomplete. For the fuzz target and
/// the tests; it does no IO and never panics.
pub fn decode_response(
    bytes: &[u8],
    method: &Method,
    piece: usize,
) -> Result<Option<Answer>, UpstreamError> {
    let piece = piece.max(1);
    let mut fed = 0;
    let mut buf = BytesMut::new();
    let mut feed = |buf: &mut BytesMut| {
        let take = piece.min(bytes.len() - fed);
        buf.extend_from_slice(&bytes[fed..fed + take]);
        fed += take;
        take > 0
    };
    let mut head = loop {
        match parse_head(&mut buf)? {
            Some(head) if head.status == StatusCode::SWITCHING_PROTOCOLS => {
                return Err(UpstreamError::Invalid("an upgrade nobody asked for"))
            }
            Some(head) if head.status.is_informational() => {}
            Some(head) => break head,
            None if buf.len() > MAX_HEAD_BYTES => {
                return Err(UpstreamError::Invalid("response head too large"))
            }
            None => {
                if !feed(&mut buf) {
                    return Ok(None);
                }
            }
        }
    };
    let (mut remaining, reuse) = response_framing(&mut head, method)?;
    let mut body = Vec::new();
    let complete = loop {
        if let Some(data) = remaining
            .next_piece(&mut buf)
            .map_err(UpstreamError::Invalid)?
        {
            body.extend_from_slice(&data);
        } else if remaining.done() {
            break true;
        } else if !feed(&mut buf) {
            // Out of bytes: a read-to-close body ends here, any other is cut short.
            break remaining == Remaining::Close;
        }
    };
    Ok(Some(Answer {
        status: head.status,
        headers: head.headers,
        body,
        reuse,
        complete,
    }))
}
