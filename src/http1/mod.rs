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

mod chunked;
mod conn;
mod head;
mod pool;
#[cfg(test)]
mod tests;

use chunked::{Chunked, Decoded};
use conn::Conn;
use head::{parse_head, response_framing, Head, Remaining};

pub use head::{BodyFraming, Outbound};
pub use pool::{ResponseBody, UpstreamPool};

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
