//! Kept-alive connections to one room's upstream: HTTP/1.1 over TCP (`TCP_NODELAY`) or TLS,
//! reused newest first, closed after a minute unused. A connection goes back to the pool
//! when the response body it carries has ended, so it never serves two visitors at once.
//!
//! hyper's low-level client connection is used directly: each request costs one short lock
//! on the pool instead of the general-purpose client's pool keys, waiters and checkouts
//! (measured in `benches/load`: this is most of the gap to nginx when proxying).

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::uri::Scheme;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::config::Upstream;

/// A connection unused this long is closed (upstreams commonly close after 60–75 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(55);
/// At most this many unused connections are kept; more are closed when they come back.
const MAX_IDLE: usize = 1024;
/// Giving up on a new connection (or its TLS handshake) after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A kept connection not ready for a request within this long is still busy with the last
/// one (an upload the upstream answered early): it is closed and another one used.
const READY_WAIT: Duration = Duration::from_millis(50);

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
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

/// The pool of one upstream (scheme and authority).
pub struct UpstreamPool {
    /// `host:port` as configured, for error messages.
    authority: String,
    host: String,
    port: u16,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    idle: Mutex<VecDeque<Idle>>,
}

struct Idle {
    sender: SendRequest<Incoming>,
    since: Instant,
}

impl Idle {
    fn usable(&self, now: Instant) -> bool {
        now.duration_since(self.since) < IDLE_TIMEOUT && !self.sender.is_closed()
    }
}

/// A connection lent to one request until its response body has ended.
pub struct Lease {
    pool: Arc<UpstreamPool>,
    sender: Option<SendRequest<Incoming>>,
}

impl Lease {
    /// The response was read to its end: the connection can serve the next request.
    pub fn release(mut self) {
        if let Some(sender) = self.sender.take() {
            self.pool.put(sender);
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
            idle: Mutex::new(VecDeque::new()),
        })
    }

    /// Sends `req` (origin-form target, `Host` set) on a kept connection or a new one. A kept
    /// connection that turns out closed before the request went out is replaced by a new
    /// one, once: the request is sent at most once.
    pub async fn send(
        self: &Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<(Response<Incoming>, Lease), UpstreamError> {
        let mut req = req;
        while let Some(mut sender) = self.take() {
            if !matches!(
                tokio::time::timeout(READY_WAIT, sender.ready()).await,
                Ok(Ok(()))
            ) {
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(resp) => return Ok((resp, self.lease(sender))),
                Err(mut e) => match e.take_message() {
                    // Closed by the upstream just now; nothing was sent.
                    Some(back) => req = back,
                    None => return Err(UpstreamError::Http(e.into_error())),
                },
            }
        }
        let mut sender = self.connect().await?;
        let resp = sender.send_request(req).await?;
        Ok((resp, self.lease(sender)))
    }

    fn lease(self: &Arc<Self>, sender: SendRequest<Incoming>) -> Lease {
        Lease {
            pool: self.clone(),
            sender: Some(sender),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Idle>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The most recently used open connection. The newest is tried first: once it is too old,
    /// all are, and the rest go too.
    fn take(&self) -> Option<SendRequest<Incoming>> {
        let mut idle = self.lock();
        let now = Instant::now();
        while let Some(i) = idle.pop_back() {
            if i.usable(now) {
                return Some(i.sender);
            }
        }
        None
    }

    /// Closes connections unused for `IDLE_TIMEOUT`; called every second or so, so that
    /// they go even when no request comes to take them.
    pub fn sweep(&self) {
        let now = Instant::now();
        self.lock().retain(|i| i.usable(now));
    }

    fn put(&self, sender: SendRequest<Incoming>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push_back(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    async fn connect(&self) -> Result<SendRequest<Incoming>, UpstreamError> {
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
            match &self.tls {
                None => handshake(TokioIo::new(tcp)).await,
                Some((connector, name)) => {
                    let tls = connector
                        .connect(name.clone(), tcp)
                        .await
                        .map_err(|source| UpstreamError::Tls {
                            authority: authority(),
                            source,
                        })?;
                    handshake(TokioIo::new(tls)).await
                }
            }
        })
        .await;
        connected.unwrap_or_else(|_| Err(UpstreamError::ConnectTimeout(authority())))
    }
}

/// HTTP/1.1 on a fresh connection, driven by its own task until either side closes it.
async fn handshake<T>(io: TokioIo<T>) -> Result<SendRequest<Incoming>, UpstreamError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::Builder::new().handshake(io).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "upstream connection ended");
        }
    });
    Ok(sender)
}
