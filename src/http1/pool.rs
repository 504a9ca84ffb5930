//! The pool of kept-alive connections to one upstream, and the response body streamed from
//! one of them as it arrives. Must not parse: `head` and `chunked` do.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::uri::Scheme;
use http::{Method, Response, StatusCode};
use http_body::{Body as HttpBody, Frame, SizeHint};
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_util::either::Either;

use crate::config::Upstream;

use super::conn::{Conn, Stream};
use super::head::{response_framing, BodyFraming, Head, Outbound, Remaining};
use super::request::RequestBody;
use super::{UpstreamError, CONNECT_TIMEOUT, IDLE_TIMEOUT, MAX_IDLE};

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

    /// Sends a request that asks to switch protocols (`Upgrade`, a WebSocket) on a connection
    /// of its own, and reads the answer: a 101 hands the connection over, anything else is an
    /// answer like any other.
    pub async fn upgrade(self: &Arc<Self>, out: Outbound) -> Result<Upgrade, UpstreamError> {
        let Outbound {
            head,
            method,
            mut body,
            framing,
        } = out;
        let mut conn = Box::pin(self.connect()).await?;
        if let Some(early) = conn.write_request(&head, &mut body, framing).await? {
            return Ok(Upgrade::Refused(
                self.response(conn, early, false, &method)?,
            ));
        }
        let head = conn.read_head_of(true).await?;
        if head.status != StatusCode::SWITCHING_PROTOCOLS {
            return Ok(Upgrade::Refused(self.response(conn, head, true, &method)?));
        }
        let mut response = Response::new(());
        *response.status_mut() = head.status;
        *response.headers_mut() = head.headers;
        Ok(Upgrade::Switched {
            response,
            io: Upgraded {
                io: conn.io,
                read: conn.buf,
            },
        })
    }

    /// `send` on a connection of its own, for when no kept one is at hand or the kept one was
    /// closed.
    async fn send_on_new(
        self: &Arc<Self>,
        head: &[u8],
        body: &mut RequestBody,
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
        self.framing.done()
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
            let data = match this.framing.next_piece(&mut conn.buf) {
                Ok(data) => data,
                Err(why) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::InvalidData, why))));
                }
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

/// What a request to switch protocols got.
pub enum Upgrade {
    /// 101: the connection is the caller's now.
    Switched {
        response: Response<()>,
        io: Upgraded,
    },
    /// Any other answer, read as usual.
    Refused(Response<ResponseBody>),
}

/// An upstream connection after a 101: what the upstream sent behind its head first, then the
/// connection itself.
pub struct Upgraded {
    io: Stream,
    read: BytesMut,
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.read.is_empty() {
            let n = self.read.len().min(out.remaining());
            out.put_slice(&self.read.split_to(n));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, out)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
