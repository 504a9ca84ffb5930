//! Listeners and connections: owns binding, accepting within `max_connections`, the TLS
//! handshake, the HTTP/1.1 and HTTP/2 connection settings (header size and count, header read
//! timeout, concurrent streams), background ticks and graceful shutdown. Must not look inside
//! requests: that is the gateway's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::acme::Acme;
use crate::clock::Clock;
use crate::config::Config;
use crate::config::TlsConfig;
use crate::gateway::{self, Gateway, VisitorConn};
use crate::metrics::Metrics;
use crate::ops::{admin, Ops};
use crate::site::{Site, SiteError};
use crate::state::{Backend, StateError};
use crate::tasks::{Stage, Supervisor};
use crate::tls::{self, CertStore, Served};

mod idle;
mod listen;
mod peers;

use listen::{accept_loop, bind, ConnLimits, Handshake};
use peers::PeerLimit;

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

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Site(#[from] SiteError),
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
    /// The operator's side: admin API, history, the tick.
    pub ops: Arc<Ops>,
    config: Config,
    backend: Arc<Backend>,
    /// The certificates the HTTPS listeners serve; a reload swaps the files', a renewal an
    /// ACME one.
    certs: Option<Arc<CertStore>>,
    /// `[server.tls.acme]`: orders and renews certificates.
    acme: Option<Arc<Acme>>,
    /// Every background task: the listeners, the tick and the outbox in the serving stage,
    /// the state's saver and syncs in the state stage.
    supervisor: Arc<Supervisor>,
}

impl Running {
    /// Applies a new config without dropping a connection or a place in line: rates, caps,
    /// texts, keys and rooms take effect at once. Settings that belong to the listeners or the
    /// state directory need a restart; they are named in the returned list and otherwise left
    /// as they are. An error leaves the running config untouched.
    pub fn reload(&mut self, config: Config) -> Result<Vec<String>, SiteError> {
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
        let mut state = self.config.state.clone();
        if was.state != now_cfg.state {
            match self.backend.retune(&now_cfg.state) {
                Ok(true) => state = now_cfg.state.clone(),
                Ok(false) => restart.push("state"),
                Err(e) => {
                    tracing::error!(error = %e, "state: the new Redis settings cannot be used");
                    restart.push("state");
                }
            }
        }
        if was.server.max_connections != now_cfg.server.max_connections {
            restart.push("server.max_connections");
        }
        if was.server.max_connections_per_address != now_cfg.server.max_connections_per_address {
            restart.push("server.max_connections_per_address");
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
                // The next handshake gets the new pairs; open connections keep theirs.
                certs.replace(served_files(now, &self.gateway.metrics));
                if was.acme != now.acme {
                    restart.push("server.tls.acme");
                }
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
        config.state = state;
        config.server.max_connections = self.config.server.max_connections;
        config.server.max_connections_per_address = self.config.server.max_connections_per_address;
        config.server.header_read_timeout = self.config.server.header_read_timeout;
        config.server.grace_period = self.config.server.grace_period;
        config.server.threads = self.config.server.threads;
        if let (Some(now), Some(was)) = (&mut config.server.tls, &self.config.server.tls) {
            now.listen = was.listen.clone();
            now.handshake_timeout = was.handshake_timeout;
            now.acme = was.acme.clone();
        } else {
            config.server.tls = self.config.server.tls.clone();
        }
        self.config = config;
        Ok(restart.into_iter().map(str::to_string).collect())
    }

    /// Looks at every ACME certificate now instead of at its planned moment (after a test
    /// moved the clock).
    pub fn check_certificates(&self) {
        if let Some(acme) = &self.acme {
            acme.wake();
        }
    }

    /// Starts, restarts and stops the background tasks (to see which are alive).
    pub fn supervisor(&self) -> Arc<Supervisor> {
        self.supervisor.clone()
    }

    pub fn grace_period(&self) -> Duration {
        self.config.server.grace_period
    }

    /// Stops accepting, lets in-flight requests finish within the grace period, then saves
    /// every room's state exactly.
    pub async fn shutdown(self) -> Result<(), StateError> {
        let grace = self.config.server.grace_period;
        // The listeners drain their connections within the grace period themselves; switched
        // connections (WebSockets) get the same time.
        let (late, tunnels) = tokio::join!(
            self.supervisor
                .stop(Stage::Serving, grace + Duration::from_secs(1)),
            self.gateway.close_tunnels(grace)
        );
        if !late.is_empty() {
            tracing::warn!(tasks = ?late, "connections still open after the grace period; closed");
        }
        if tunnels > 0 {
            tracing::warn!(
                tunnels,
                "switched connections still open after the grace period; closed"
            );
        }
        self.backend.shutdown(grace).await
    }

    /// Sweeps idle sessions and refreshes the gauges now, as the once-a-second tick does.
    pub fn tick(&self) {
        self.ops.tick();
    }

    /// One round of the outbox now, as the once-a-second one does (never both at once).
    pub async fn send_letters(&self) {
        self.ops.send_letters().await;
    }
}

/// Binds every listener and starts serving. Addresses with port 0 get a free port; the bound
/// ones are in `Running`.
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Running, StartError> {
    let metrics = Arc::new(Metrics::new());
    let supervisor = Supervisor::new(metrics.task_restarts.clone());
    let backend = Backend::open(&config.state, clock.clone(), supervisor.clone())?;
    let site = Site::new(&config, &metrics, clock.now_ms(), &backend)?;
    let gateway = Arc::new(Gateway::new(site, clock, metrics));
    backend.start().await;
    let ops = Arc::new(Ops::new(gateway.clone(), backend.clone()));
    let certs = config
        .server
        .tls
        .as_ref()
        .map(|t| CertStore::of_files(served_files(t, &gateway.metrics)));
    let acme = start_acme(&config, certs.as_ref(), &gateway, &backend, &supervisor);
    let (public_addrs, tls_addrs) =
        serve_public(&config, &gateway, &supervisor, certs.as_ref()).await?;
    let admin_addr = serve_admin(&config, &ops, &supervisor).await?;
    spawn_background(&supervisor, &ops, &gateway);
    Ok(Running {
        public_addrs,
        tls_addrs,
        admin_addr,
        gateway,
        ops,
        config,
        backend,
        certs,
        acme,
        supervisor,
    })
}

/// The operator's certificate files, each with the expiry of every name it covers counted in
/// `wartesaal_certificate_expiry_timestamp_seconds`.
fn served_files(tls: &TlsConfig, metrics: &Metrics) -> Vec<Served> {
    tls.certificates
        .iter()
        .map(|file| {
            let served = Served::new(file.certified.clone());
            for name in &served.facts.names {
                metrics
                    .certificate_expiry
                    .with_label_values(&[name])
                    .set(served.facts.not_after);
            }
            served
        })
        .collect()
}

/// Loads the stored ACME certificates into `certs` and starts the renewal, which orders what
/// is missing; the gateway serves meanwhile.
fn start_acme(
    config: &Config,
    certs: Option<&Arc<CertStore>>,
    gateway: &Arc<Gateway>,
    backend: &Backend,
    supervisor: &Supervisor,
) -> Option<Arc<Acme>> {
    let (cfg, certs) = (config.server.tls.as_ref()?.acme.clone()?, certs?);
    let state_dir = config
        .state
        .dir
        .clone()
        .unwrap_or_else(|| "var/wartesaal".into());
    let acme = Acme::new(
        cfg,
        &state_dir,
        certs.clone(),
        gateway.clock.clone(),
        gateway.metrics.certificate_expiry.clone(),
        backend.shared_keys().map(|keys| (keys, &config.keys)),
    );
    let _ = gateway.acme.set(acme.clone());
    let renewing = acme.clone();
    supervisor.spawn(Stage::Serving, "certificate renewal", move |stopped| {
        renewing.clone().run(stopped)
    });
    Some(acme)
}

/// Binds the plain public listeners, then the HTTPS ones, and serves the gateway on them;
/// every public connection counts against one limit. Their bound addresses: plain, HTTPS.
async fn serve_public(
    config: &Config,
    gateway: &Arc<Gateway>,
    supervisor: &Supervisor,
    certs: Option<&Arc<CertStore>>,
) -> Result<(Vec<SocketAddr>, Vec<SocketAddr>), StartError> {
    let public_limits = ConnLimits {
        total: Arc::new(Semaphore::new(config.server.max_connections)),
        per_address: Some(PeerLimit::new(
            config.server.max_connections_per_address,
            config.server.trusted_proxies.clone(),
            gateway.metrics.connections_refused.clone(),
        )),
    };
    let header_timeout = config.server.header_read_timeout;
    let grace = config.server.grace_period;
    let mut public: Vec<(SocketAddr, Handshake)> = config
        .server
        .listen
        .iter()
        .map(|addr| (*addr, Handshake::Plain))
        .collect();
    if let (Some(tls), Some(certs)) = (&config.server.tls, certs) {
        let acceptor = TlsAcceptor::from(tls::server_config(certs.clone())?);
        let shared_alpn = gateway
            .acme
            .get()
            .filter(|acme| acme.shares_alpn_answers())
            .cloned();
        public.extend(tls.listen.iter().map(|addr| {
            let handshake = Handshake::Tls {
                acceptor: acceptor.clone(),
                timeout: tls.handshake_timeout,
                shared_alpn: shared_alpn.clone(),
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
        let make_service = move |peer, hold: listen::ConnHold| {
            let gw = gw.clone();
            service_fn(move |req| {
                let conn = VisitorConn {
                    peer,
                    tls,
                    hold: Some(hold.clone()),
                };
                gateway::serve(gw.clone(), req, conn)
            })
        };
        let (listener, limits) = (Arc::new(listener), public_limits.clone());
        let name = if tls {
            "https listener"
        } else {
            "public listener"
        };
        supervisor.spawn(Stage::Serving, name, move |stopped| {
            accept_loop(
                listener.clone(),
                limits.clone(),
                stopped,
                grace,
                header_timeout,
                handshake.clone(),
                make_service.clone(),
            )
        });
    }
    Ok((public_addrs, tls_addrs))
}

/// Binds the admin listener and serves the admin API on it; its bound address.
async fn serve_admin(
    config: &Config,
    ops: &Arc<Ops>,
    supervisor: &Supervisor,
) -> Result<SocketAddr, StartError> {
    let (listener, admin_addr) = bind(config.admin.listen).await?;
    tracing::info!(local = %admin_addr, "admin listener ready");
    let (header_timeout, grace) = (
        config.server.header_read_timeout,
        config.server.grace_period,
    );
    let admin_ops = ops.clone();
    let listener = Arc::new(listener);
    let admin_limits = ConnLimits {
        total: Arc::new(Semaphore::new(1024)),
        per_address: None,
    };
    supervisor.spawn(Stage::Serving, "admin listener", move |stopped| {
        let ops = admin_ops.clone();
        accept_loop(
            listener.clone(),
            admin_limits.clone(),
            stopped,
            grace,
            header_timeout,
            Handshake::Plain,
            move |peer, _| {
                let ops = ops.clone();
                service_fn(move |req| admin::serve(ops.clone(), req, peer))
            },
        )
    });
    Ok(admin_addr)
}

/// The tick, the outbox and the supply reports.
fn spawn_background(supervisor: &Supervisor, ops: &Arc<Ops>, gateway: &Arc<Gateway>) {
    let ticking = ops.clone();
    supervisor.spawn(Stage::Serving, "tick", move |stopped| {
        let ticking = ticking.clone();
        every(TICK, stopped, move || {
            ticking.tick();
            std::future::ready(())
        })
    });
    // The outbox on its own beat: a slow SMTP server delays only its own room's e-mails.
    let mailing = ops.clone();
    supervisor.spawn(Stage::Serving, "outbox", move |stopped| {
        mailing.clone().outbox(TICK, stopped)
    });
    // The booking site's reports on the supply, applied beside the answers that carried them;
    // in the state stage, so that answers still draining at shutdown have theirs applied.
    let reports = gateway.clone();
    supervisor.spawn(Stage::State, "supply reports", move |stopped| {
        reports.clone().apply_supply_reports(stopped)
    });
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
