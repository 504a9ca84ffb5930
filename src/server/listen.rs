//! Accepting connections: binding, the accept loop within `max_connections`, the TLS
//! handshake, and HTTP/1.1 or HTTP/2 served on each connection with its settings and a
//! graceful end. Must not look inside requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio_rustls::{LazyConfigAcceptor, TlsAcceptor};

use crate::acme::Acme;

use super::idle::Counted;
use super::peers::PeerLimit;
use super::{
    StartError, H2_IDLE, H2_IDLE_CHECK, H2_PING_EVERY, H2_PING_TIMEOUT, MAX_H2_STREAMS,
    MAX_HEADERS, MAX_HEADER_BYTES,
};

/// What answers a public connection's requests: the gateway's service, on every protocol.
pub(super) trait PublicService:
    hyper::service::Service<
        http::Request<hyper::body::Incoming>,
        Response = http::Response<crate::forward::Body>,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Send
    + 'static
{
}

impl<S> PublicService for S where
    S: hyper::service::Service<
            http::Request<hyper::body::Incoming>,
            Response = http::Response<crate::forward::Body>,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Send
        + 'static
{
}

/// A listener on `addr` and the address it got (port 0 becomes a free port).
pub(super) async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartError> {
    let bound = TcpListener::bind(addr).await.and_then(|listener| {
        let local = listener.local_addr()?;
        Ok((listener, local))
    });
    bound.map_err(|source| StartError::Bind { addr, source })
}

/// How a listener's connections begin.
#[derive(Clone)]
pub(super) enum Handshake {
    Plain,
    /// A TLS handshake within `timeout`; ALPN then picks HTTP/2 or HTTP/1.1.
    Tls {
        acceptor: TlsAcceptor,
        timeout: Duration,
        /// Gateways on Redis answering TLS-ALPN-01: a validation may need the answer another
        /// gateway shared, looked up before the handshake goes on.
        shared_alpn: Option<Arc<Acme>>,
    },
}

/// The connection settings of both HTTP versions, made once per listener.
pub(super) struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl Protocols {
    pub(super) fn new(header_timeout: Duration) -> Protocols {
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .max_header_size(MAX_HEADER_BYTES)
            .max_headers(MAX_HEADERS)
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_concurrent_streams(MAX_H2_STREAMS)
            .max_header_list_size(MAX_HEADER_BYTES as u32)
            .keep_alive_interval(H2_PING_EVERY)
            .keep_alive_timeout(H2_PING_TIMEOUT);
        Protocols { http1, http2 }
    }
}

/// A connection's places under the listener's limits, shared with a tunnel it switches to.
pub(super) type ConnHold = Arc<dyn std::any::Any + Send + Sync>;

/// What bounds a listener's connections.
#[derive(Clone)]
pub(super) struct ConnLimits {
    /// `max_connections`, shared by every public listener.
    pub(super) total: Arc<Semaphore>,
    /// `max_connections_per_address`; `None` on the admin listener.
    pub(super) per_address: Option<Arc<PeerLimit>>,
}

pub(super) async fn accept_loop<M, S>(
    listener: Arc<TcpListener>,
    limits: ConnLimits,
    mut stopped: watch::Receiver<bool>,
    grace: Duration,
    header_timeout: Duration,
    handshake: Handshake,
    make_service: M,
) where
    M: Fn(SocketAddr, ConnHold) -> S,
    S: PublicService,
{
    let graceful = GracefulShutdown::new();
    // One clone per open HTTP/1.1 connection, for the drain at shutdown.
    let open = Arc::new(());
    let serving = Serving {
        protocols: Arc::new(Protocols::new(header_timeout)),
        handshake,
        header_timeout,
    };
    while let Some((stream, peer, hold)) = admit(&listener, &limits, &mut stopped).await {
        let _ = stream.set_nodelay(true);
        let service = make_service(peer, hold.clone());
        // Taken before the loop can end, so a shutdown reaches this connection too.
        let watcher = graceful.watcher();
        let closing = stopped.clone();
        let (open, serving) = (open.clone(), serving.clone());
        tokio::spawn(async move {
            serving.serve(stream, peer, service, watcher, closing).await;
            drop((hold, open));
        });
    }
    drop(listener);
    // HTTP/2 connections are drained by `graceful`, HTTP/1.1 ones (which may switch
    // protocols, which `graceful` cannot watch) by `serve_http1`; both within the grace.
    let drained = async {
        graceful.shutdown().await;
        while Arc::strong_count(&open) > 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!("grace period over with requests still in flight");
    }
}

/// The next connection within the limits, with its places under them (given back when the
/// connection and any tunnel it switched to have ended); `None` once the gateway stops.
async fn admit(
    listener: &TcpListener,
    limits: &ConnLimits,
    stopped: &mut watch::Receiver<bool>,
) -> Option<(TcpStream, SocketAddr, ConnHold)> {
    loop {
        // At the connection limit, stop accepting: new connections wait in the kernel's
        // backlog instead of costing memory here.
        let permit = tokio::select! {
            p = limits.total.clone().acquire_owned() => p.ok()?,
            _ = stopped.changed() => return None,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(pair) => pair,
                Err(e) => {
                    // Typically out of file descriptors: pause instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return None,
        };
        let place = match &limits.per_address {
            Some(peers) => match peers.enter(peer.ip()) {
                Ok(place) => place,
                Err(()) => {
                    // Closed at once: the address holds as many as it may.
                    tracing::debug!(%peer, "connection refused: too many from this address");
                    continue;
                }
            },
            None => None,
        };
        let hold: ConnHold = Arc::new((permit, place));
        return Some((stream, peer, hold));
    }
}

/// What every connection of one listener is served with.
#[derive(Clone)]
struct Serving {
    protocols: Arc<Protocols>,
    handshake: Handshake,
    header_timeout: Duration,
}

impl Serving {
    /// One connection to its end: the handshake, then HTTP/1.1, or HTTP/2 if ALPN chose it.
    async fn serve<S>(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        service: S,
        watcher: Watcher,
        closing: watch::Receiver<bool>,
    ) where
        S: PublicService,
    {
        let protocols = &self.protocols;
        let result = match self.handshake {
            Handshake::Plain => {
                serve_http1(protocols, TokioIo::new(stream), service, closing).await
            }
            Handshake::Tls {
                acceptor,
                timeout,
                shared_alpn,
            } => {
                let handshake = tls_accept(&acceptor, shared_alpn.as_deref(), stream);
                let stream = match tokio::time::timeout(timeout, handshake).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
                let alpn = stream.get_ref().1.alpn_protocol();
                if alpn == Some(crate::tls::ACME_TLS_ALPN) {
                    // An ACME CA's TLS-ALPN-01 validation: the handshake was the answer.
                    tracing::debug!(%peer, "TLS-ALPN-01 validation answered");
                    return;
                }
                let h2 = alpn == Some(b"h2");
                let io = TokioIo::new(stream);
                if h2 {
                    let conn = Counted::new(service);
                    serve_http2(protocols, io, conn, watcher, self.header_timeout, peer).await
                } else {
                    serve_http1(protocols, io, service, closing).await
                }
            }
        };
        if let Err(e) = result {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
    }
}

/// The TLS handshake. With `shared_alpn`, the client's first message is read before the
/// settings are chosen, so that an ACME CA's TLS-ALPN-01 validation gets the answer another
/// gateway shared; every other connection gets the listener's settings.
async fn tls_accept(
    acceptor: &TlsAcceptor,
    shared_alpn: Option<&Acme>,
    stream: TcpStream,
) -> std::io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
    let Some(acme) = shared_alpn else {
        return acceptor.accept(stream).await;
    };
    let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await?;
    let hello = start.client_hello();
    let validation = hello
        .alpn()
        .is_some_and(|mut offered| offered.any(|p| p == crate::tls::ACME_TLS_ALPN));
    let domain = hello.server_name().map(str::to_ascii_lowercase);
    let shared = match (validation, domain) {
        (true, Some(domain)) => acme.shared_alpn_answer(&domain).await,
        _ => None,
    };
    let config = shared.unwrap_or_else(|| acceptor.config().clone());
    start.into_stream(config).await
}

/// One HTTP/2 connection, closed once no request has been open on it for `H2_IDLE` (before
/// its first request: `header_timeout`); at shutdown `watcher` drains it.
async fn serve_http2<I, S>(
    protocols: &Protocols,
    io: I,
    service: Counted<S>,
    watcher: Watcher,
    header_timeout: Duration,
    peer: SocketAddr,
) -> Result<(), hyper::Error>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: PublicService,
{
    let activity = service.activity.clone();
    let conn = watcher.watch(protocols.http2.serve_connection(io, service));
    tokio::pin!(conn);
    loop {
        let limit = if activity.served() {
            H2_IDLE
        } else {
            header_timeout
        };
        tokio::select! {
            r = &mut conn => return r,
            _ = tokio::time::sleep(H2_IDLE_CHECK) => {
                if activity.idle_for() >= limit {
                    // Nothing in flight: closing loses no answer.
                    tracing::debug!(%peer, "idle HTTP/2 connection closed");
                    return Ok(());
                }
            }
        }
    }
}

/// One HTTP/1.1 connection, which may switch protocols (a WebSocket); on shutdown it ends
/// once its request in flight is answered.
async fn serve_http1<I, S>(
    protocols: &Protocols,
    io: I,
    service: S,
    mut closing: watch::Receiver<bool>,
) -> Result<(), hyper::Error>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = protocols
        .http1
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => return r,
        _ = closing.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    conn.await
}
