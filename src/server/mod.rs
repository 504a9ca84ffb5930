//! Listeners and connections: owns binding, accepting within `max_connections`, the TLS
//! handshake, the HTTP/1.1 and HTTP/2 connection settings (header size and count, header read
//! timeout, concurrent streams), background ticks and graceful shutdown. Must not look inside
//! requests: that is the gateway's.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::admin;
use crate::clock::Clock;
use crate::config::Config;
use crate::gateway::{self, Backend, Conn, Gateway, Site};
use crate::metrics::Metrics;
use crate::shared::Redis;
use crate::state::StateError;
use crate::store::{StateDir, StoreError};
use crate::tls::{self, CertStore};

/// Largest request head accepted; a bigger one gets 431 from hyper.
const MAX_HEADER_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;
/// Requests one HTTP/2 connection may have open at once; a browser needs far fewer.
const MAX_H2_STREAMS: u32 = 100;
/// An HTTP/2 peer that does not answer a ping within this long is gone.
const H2_PING_EVERY: Duration = Duration::from_secs(30);
const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);
/// An HTTP/2 connection with no request open for this long is closed (a waiting page polls far
/// more often); before its first request it gets `header_read_timeout`, like HTTP/1.1.
const H2_IDLE: Duration = Duration::from_secs(75);
const H2_IDLE_CHECK: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_secs(1);
const SAVE_EVERY: Duration = Duration::from_millis(250);

/// How long a start waits for Redis before serving without it.
const REDIS_START_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    State(#[from] StoreError),
    #[error(transparent)]
    Shared(#[from] StateError),
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// A started gateway: its bound addresses and the handle to reload and stop it.
pub struct Running {
    pub public_addrs: Vec<SocketAddr>,
    /// The HTTPS listeners, from `[server.tls]`.
    pub tls_addrs: Vec<SocketAddr>,
    pub admin_addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    config: Config,
    backend: Backend,
    /// The certificate the HTTPS listeners serve; a reload swaps it.
    certs: Option<Arc<CertStore>>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Running {
    /// Applies a new config without dropping a connection or a place in line: rates, caps,
    /// texts, keys and rooms take effect at once. Settings that belong to the listeners or the
    /// state directory need a restart; they are named in the returned list and otherwise left
    /// as they are. An error leaves the running config untouched.
    pub fn reload(&mut self, config: Config) -> Result<Vec<String>, StoreError> {
        let now = self.gateway.clock.now_ms();
        let old = self.gateway.site.load_full();
        let site = old.reload(&config, &self.gateway.metrics, now, &self.backend)?;
        for room in &old.rooms {
            if site.room(&room.cfg.id).is_none() {
                if let Err(e) = room.state.persist(now, false) {
                    tracing::warn!(room = %room.cfg.id, error = %e, "cannot save a removed room");
                }
                tracing::info!(room = %room.cfg.id, "room removed; its state file stays");
            }
        }
        self.gateway.site.store(Arc::new(site));
        let (was, now_cfg) = (&self.config, &config);
        let mut restart = Vec::new();
        if was.server.listen != now_cfg.server.listen {
            restart.push("server.listen");
        }
        if was.admin.listen != now_cfg.admin.listen {
            restart.push("admin.listen");
        }
        if was.state != now_cfg.state {
            restart.push("state");
        }
        if was.server.max_connections != now_cfg.server.max_connections {
            restart.push("server.max_connections");
        }
        if was.server.header_read_timeout != now_cfg.server.header_read_timeout {
            restart.push("server.header_read_timeout");
        }
        if was.server.grace_period != now_cfg.server.grace_period {
            restart.push("server.grace_period");
        }
        if was.server.threads != now_cfg.server.threads {
            restart.push("server.threads");
        }
        match (&was.server.tls, &now_cfg.server.tls, &self.certs) {
            (Some(was), Some(now), Some(certs)) => {
                // The next handshake gets the new pair; open connections keep theirs.
                certs.replace(now.certified.clone());
                if was.listen != now.listen {
                    restart.push("server.tls.listen");
                }
                if was.handshake_timeout != now.handshake_timeout {
                    restart.push("server.tls.handshake_timeout");
                }
            }
            (None, None, _) => {}
            _ => restart.push("server.tls"),
        }
        // Keep the values in force, so the next reload compares against what really runs.
        let mut config = config;
        config.server.listen = self.config.server.listen.clone();
        config.admin.listen = self.config.admin.listen;
        config.state = self.config.state.clone();
        config.server.max_connections = self.config.server.max_connections;
        config.server.header_read_timeout = self.config.server.header_read_timeout;
        config.server.grace_period = self.config.server.grace_period;
        config.server.threads = self.config.server.threads;
        if let (Some(now), Some(was)) = (&mut config.server.tls, &self.config.server.tls) {
            now.listen = was.listen.clone();
            now.handshake_timeout = was.handshake_timeout;
        } else {
            config.server.tls = self.config.server.tls.clone();
        }
        self.config = config;
        Ok(restart.into_iter().map(str::to_string).collect())
    }

    pub fn grace_period(&self) -> Duration {
        self.config.server.grace_period
    }

    /// Stops accepting, lets in-flight requests finish within the grace period, then saves
    /// every room's state exactly.
    pub async fn shutdown(mut self) -> Result<(), StateError> {
        let grace = self.config.server.grace_period;
        let _ = self.stop.send(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace + Duration::from_secs(1), drain)
            .await
            .is_err()
        {
            tracing::warn!("connections still open after the grace period; closing them");
            self.tasks.abort_all();
        }
        let gateway = self.gateway.clone();
        tokio::task::spawn_blocking(move || gateway.persist(true))
            .await
            .unwrap_or_else(|e| Err(StateError::Unavailable(e.to_string())))
    }
}

/// Binds every listener and starts serving. Addresses with port 0 get a free port; the bound
/// ones are in `Running`.
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Running, StartError> {
    let metrics = Arc::new(Metrics::new());
    let backend = match (&config.state.redis, &config.state.dir) {
        (Some(redis), _) => Backend::Redis(Redis::new(
            redis,
            config.state.on_unavailable,
            clock.clone(),
        )?),
        (None, Some(dir)) => Backend::Dir(StateDir::open(dir)?),
        (None, None) => Backend::Memory,
    };
    let site = Site::new(&config, &metrics, clock.now_ms(), &backend)?;
    let gateway = Arc::new(Gateway::new(site, clock, metrics));
    if let Backend::Redis(_) = backend {
        wait_for_redis(&gateway).await;
    }
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let limit = Arc::new(Semaphore::new(config.server.max_connections));
    let header_timeout = config.server.header_read_timeout;
    let grace = config.server.grace_period;

    // Plain listeners, then the HTTPS ones; every public connection counts against one limit.
    let certs = config
        .server
        .tls
        .as_ref()
        .map(|t| CertStore::new(t.certified.clone()));
    let mut public: Vec<(SocketAddr, Handshake)> = config
        .server
        .listen
        .iter()
        .map(|addr| (*addr, Handshake::Plain))
        .collect();
    if let (Some(tls), Some(certs)) = (&config.server.tls, &certs) {
        let acceptor = TlsAcceptor::from(tls::server_config(certs.clone())?);
        public.extend(tls.listen.iter().map(|addr| {
            let handshake = Handshake::Tls {
                acceptor: acceptor.clone(),
                timeout: tls.handshake_timeout,
            };
            (*addr, handshake)
        }));
    }
    let (mut public_addrs, mut tls_addrs) = (Vec::new(), Vec::new());
    for (addr, handshake) in public {
        let (listener, local) = bind(addr).await?;
        let tls = matches!(handshake, Handshake::Tls { .. });
        if tls {
            tls_addrs.push(local);
            tracing::info!(%local, "HTTPS listener ready (HTTP/2 and HTTP/1.1)");
        } else {
            public_addrs.push(local);
            tracing::info!(%local, "public listener ready");
        }
        let gw = gateway.clone();
        tasks.spawn(accept_loop(
            listener,
            limit.clone(),
            stopped.clone(),
            grace,
            header_timeout,
            handshake,
            move |peer| {
                let gw = gw.clone();
                service_fn(move |req| gateway::serve(gw.clone(), req, Conn { peer, tls }))
            },
        ));
    }

    let (listener, admin_addr) = bind(config.admin.listen).await?;
    tracing::info!(local = %admin_addr, "admin listener ready");
    let gw = gateway.clone();
    tasks.spawn(accept_loop(
        listener,
        Arc::new(Semaphore::new(1024)),
        stopped.clone(),
        grace,
        header_timeout,
        Handshake::Plain,
        move |peer| {
            let gw = gw.clone();
            service_fn(move |req| admin::serve(gw.clone(), req, peer))
        },
    ));

    let gw = gateway.clone();
    tasks.spawn(every(TICK, stopped.clone(), move || {
        gw.tick();
        std::future::ready(())
    }));
    // Room state is saved four times a second (only what changed): the fresher the file, the
    // fewer ticket numbers a crash skips. File writes and fsyncs run off the request threads.
    let gw = gateway.clone();
    tasks.spawn(every(SAVE_EVERY, stopped.clone(), move || {
        let gw = gw.clone();
        async move {
            let _ = tokio::task::spawn_blocking(move || gw.persist(false)).await;
        }
    }));

    Ok(Running {
        public_addrs,
        tls_addrs,
        admin_addr,
        gateway,
        config,
        backend,
        certs,
        stop,
        tasks,
    })
}

/// Gives the shared rooms a few seconds to read their line from Redis before serving, so the
/// first visitors are not turned away. Serving begins anyway: `on_unavailable` then applies
/// and `/readyz` says so.
async fn wait_for_redis(gateway: &Gateway) {
    let synced = async {
        while !gateway.ready() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(REDIS_START_WAIT, synced)
        .await
        .is_err()
    {
        tracing::error!(
            "Redis not reachable at start; serving with on_unavailable in force until it is"
        );
    }
}

/// Runs `work` every `period` until the gateway stops; a late run delays the next one instead
/// of bunching them up.
async fn every<F, W>(period: Duration, mut stopped: watch::Receiver<bool>, mut work: W)
where
    W: FnMut() -> F,
    F: std::future::Future<Output = ()>,
{
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => work().await,
            _ = stopped.changed() => break,
        }
    }
}

/// A listener on `addr` and the address it got (port 0 becomes a free port).
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartError> {
    let bound = TcpListener::bind(addr).await.and_then(|listener| {
        let local = listener.local_addr()?;
        Ok((listener, local))
    });
    bound.map_err(|source| StartError::Bind { addr, source })
}

/// How a listener's connections begin.
#[derive(Clone)]
enum Handshake {
    Plain,
    /// A TLS handshake within `timeout`; ALPN then picks HTTP/2 or HTTP/1.1.
    Tls {
        acceptor: TlsAcceptor,
        timeout: Duration,
    },
}

/// The connection settings of both HTTP versions, made once per listener.
struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl Protocols {
    fn new(header_timeout: Duration) -> Protocols {
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

async fn accept_loop<M, S>(
    listener: TcpListener,
    limit: Arc<Semaphore>,
    mut stopped: watch::Receiver<bool>,
    grace: Duration,
    header_timeout: Duration,
    handshake: Handshake,
    make_service: M,
) where
    M: Fn(SocketAddr) -> S,
    S: hyper::service::Service<
            http::Request<hyper::body::Incoming>,
            Response = http::Response<crate::proxy::Body>,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let protocols = Arc::new(Protocols::new(header_timeout));
    loop {
        // At the connection limit, stop accepting: new connections wait in the kernel's
        // backlog instead of costing memory here.
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped.changed() => break,
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
            _ = stopped.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let service = make_service(peer);
        // Taken before the loop can end, so a shutdown reaches this connection too.
        let watcher = graceful.watcher();
        let (protocols, handshake) = (protocols.clone(), handshake.clone());
        tokio::spawn(async move {
            let result = match handshake {
                Handshake::Plain => {
                    let conn = protocols
                        .http1
                        .serve_connection(TokioIo::new(stream), service);
                    watcher.watch(conn).await
                }
                Handshake::Tls { acceptor, timeout } => {
                    let stream = match tokio::time::timeout(timeout, acceptor.accept(stream)).await
                    {
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
                    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                    let io = TokioIo::new(stream);
                    if h2 {
                        let activity = Activity::new();
                        let service = Counted {
                            inner: service,
                            activity: activity.clone(),
                        };
                        let conn = watcher.watch(protocols.http2.serve_connection(io, service));
                        tokio::pin!(conn);
                        loop {
                            let limit = if activity.served() {
                                H2_IDLE
                            } else {
                                header_timeout
                            };
                            tokio::select! {
                                r = &mut conn => break r,
                                _ = tokio::time::sleep(H2_IDLE_CHECK) => {
                                    if activity.idle_for() >= limit {
                                        // Nothing in flight: closing loses no answer.
                                        tracing::debug!(%peer, "idle HTTP/2 connection closed");
                                        break Ok(());
                                    }
                                }
                            }
                        }
                    } else {
                        watcher
                            .watch(protocols.http1.serve_connection(io, service))
                            .await
                    }
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("grace period over with requests still in flight");
    }
}

/// Requests in flight on one HTTP/2 connection and when the last one ended, so that an idle
/// connection (or one that never sends a request) gives its slot back.
struct Activity {
    since: tokio::time::Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `since` of the last start or end of a request; 0 = none yet.
    last: AtomicU64,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            since: tokio::time::Instant::now(),
            in_flight: Default::default(),
            last: Default::default(),
        })
    }

    fn touch(&self) {
        let ms = self.since.elapsed().as_millis().max(1) as u64;
        self.last.store(ms, Relaxed);
    }

    fn served(&self) -> bool {
        self.last.load(Relaxed) > 0
    }

    /// Zero while a request (or its response body) is in flight.
    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Relaxed) > 0 {
            return Duration::ZERO;
        }
        let last = Duration::from_millis(self.last.load(Relaxed));
        self.since.elapsed().saturating_sub(last)
    }
}

/// Holds one request's place in `Activity` until its response body is done or dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Relaxed);
        activity.touch();
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Relaxed);
    }
}

/// A service that counts its requests in an `Activity`.
struct Counted<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> hyper::service::Service<http::Request<hyper::body::Incoming>> for Counted<S>
where
    S: hyper::service::Service<
        http::Request<hyper::body::Incoming>,
        Response = http::Response<crate::proxy::Body>,
        Error = std::convert::Infallible,
    >,
    S::Future: Send + 'static,
{
    type Response = http::Response<Guarded>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn call(&self, req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let guard = InFlight::new(&self.activity);
        let answer = self.inner.call(req);
        Box::pin(async move {
            let resp = answer.await?;
            Ok(resp.map(|body| Guarded {
                inner: body,
                _guard: guard,
            }))
        })
    }
}

/// A response body that keeps its request counted as in flight until it is done.
struct Guarded {
    inner: crate::proxy::Body,
    _guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = <crate::proxy::Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
