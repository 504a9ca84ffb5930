//! The runtime model built from a config: the rooms with their state, upstream gates, pools,
//! issuance rules and templates, and the routing of a host and path to a room. A reload builds
//! a new `Site` that keeps what stays (every room's state, and so everyone's place in line).
//! Must not answer requests: `gateway` does.

use std::sync::Arc;

use ipnet::IpNet;

use crate::clock::Millis;
use crate::config::{AdminToken, Config, ConfigError, CookieSecure, RoomConfig};
use crate::forward::UpstreamGate;
use crate::http1::{UpstreamError, UpstreamPool};
use crate::metrics::Metrics;
use crate::notify::{Notifier, NotifierError};
use crate::page::templates;
use crate::queue::admission::Limits;
use crate::state::{Backend, RoomState, StateError};
use crate::tls;

mod codes;
pub mod path;
mod room;

pub use codes::Unrestorable;
pub use path::RequestPath;
pub use room::{Issuance, Room};

/// Why a config cannot be put to work; the running site, if any, stays as it is.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// A room's state cannot be opened (a corrupt state file, an unwritable directory).
    #[error(transparent)]
    State(#[from] StateError),
    /// A room's templates fail to load or render.
    #[error(transparent)]
    Templates(#[from] ConfigError),
    #[error("cannot set up TLS to the upstream: {0}")]
    Tls(#[from] rustls::Error),
    #[error("cannot set up the upstream: {0}")]
    Upstream(#[from] UpstreamError),
    #[error("room `{room}`: cannot set up [rooms.notify]: {why}")]
    Notify { room: String, why: NotifierError },
}

/// Everything that a reload replaces at once.
pub struct Site {
    pub rooms: Vec<Arc<Room>>,
    /// The admin API's bearer token; `None` makes the API read-only.
    pub admin_token: Option<AdminToken>,
    pub trusted_proxies: Vec<IpNet>,
    pub cookie_secure: CookieSecure,
    /// TLS settings for https:// upstreams without `upstream_ca_file` (the system's roots),
    /// made once a room needs them and kept across reloads.
    system_tls: Option<Arc<rustls::ClientConfig>>,
}

pub enum Route<'a> {
    /// Inside a room's `path_prefix`.
    Protected(&'a Arc<Room>),
    /// A room's host, outside every prefix: forwarded without queueing.
    Unprotected(&'a Arc<Room>),
}

impl Site {
    /// Builds the rooms of a config. Their state is resumed from the backend (or begun there).
    pub fn new(
        config: &Config,
        metrics: &Metrics,
        now: Millis,
        backend: &Backend,
    ) -> Result<Site, SiteError> {
        Site::build(config, metrics, now, backend, None)
    }

    /// The site of a reloaded config. Rooms that stay keep their state, and with it everyone's
    /// place in line; new rooms are resumed from the backend or begun; removed rooms are
    /// dropped (their file or Redis keys stay, so adding them back later resumes them).
    pub fn reload(
        &self,
        config: &Config,
        metrics: &Metrics,
        now: Millis,
        backend: &Backend,
    ) -> Result<Site, SiteError> {
        Site::build(config, metrics, now, backend, Some(self))
    }

    fn build(
        config: &Config,
        metrics: &Metrics,
        now: Millis,
        backend: &Backend,
        old: Option<&Site>,
    ) -> Result<Site, SiteError> {
        // Every room's state first, opening new ones: if one cannot be opened (a corrupt state
        // file), the reload is refused before any running room has changed.
        let states = config
            .rooms
            .iter()
            .map(|cfg| match old.and_then(|site| site.room(&cfg.id)) {
                Some(room) => Ok(room.state.clone()),
                None => backend.room(&cfg.id, config_limits(cfg), now),
            })
            .collect::<Result<Vec<Arc<dyn RoomState>>, StateError>>()?;
        // The operator's templates, each tried for every state a page can be in: a broken one
        // refuses the start or the reload, and the running rooms keep theirs.
        let mut templates = templates::load_rooms(config)?;
        // The system's roots are read only once a room needs them (an https:// upstream
        // without its own CA); the client and its pool are kept across reloads.
        let needs_roots = config.rooms.iter().any(|r| {
            r.upstream.scheme == http::uri::Scheme::HTTPS && r.forward.upstream_ca.is_none()
        });
        let system_tls = match old.and_then(|site| site.system_tls.clone()) {
            Some(kept) => Some(kept),
            None if needs_roots => Some(Arc::new(tls::client_config(tls::system_roots())?)),
            None => None,
        };
        let mut rooms = Vec::with_capacity(config.rooms.len());
        for (cfg, state) in config.rooms.iter().zip(states) {
            state.set_limits(config_limits(cfg), now);
            let kept = old.and_then(|site| site.room(&cfg.id));
            // The upstream slots stay shared while the cap is unchanged, so requests in flight
            // across a reload still count against it.
            let upstream = match kept {
                Some(room)
                    if room.cfg.forward.max_upstream_concurrency
                        == cfg.forward.max_upstream_concurrency =>
                {
                    room.upstream.clone()
                }
                _ => Arc::new(UpstreamGate::new(cfg.forward.max_upstream_concurrency)),
            };
            let shared = state.shares_issuance();
            let issuance = Issuance::new(cfg, kept.map(|room| &room.issuance), shared, now);
            // Open connections stay in use while the upstream and its CA are unchanged.
            let pool = match kept {
                Some(room)
                    if room.cfg.upstream == cfg.upstream
                        && room.cfg.forward.upstream_ca == cfg.forward.upstream_ca =>
                {
                    room.pool.clone()
                }
                _ => {
                    let tls = match &cfg.forward.upstream_ca {
                        Some(ca) => Some(Arc::new(tls::client_config(&ca.certs)?)),
                        None => system_tls.clone(),
                    };
                    Arc::new(UpstreamPool::new(&cfg.upstream, tls)?)
                }
            };
            let notifier = match &cfg.notify {
                Some(n) => Some(Arc::new(Notifier::new(n).map_err(|why| {
                    SiteError::Notify {
                        room: cfg.id.clone(),
                        why,
                    }
                })?)),
                None => None,
            };
            let room = Room::new(
                cfg.clone(),
                config,
                metrics,
                state,
                upstream,
                issuance,
                pool,
                templates.remove(&cfg.id),
            );
            rooms.push(Arc::new(Room { notifier, ..room }));
        }
        Ok(Site {
            rooms,
            admin_token: config.admin.token.clone(),
            trusted_proxies: config.server.trusted_proxies.clone(),
            cookie_secure: config.server.cookie_secure,
            system_tls,
        })
    }

    pub fn route(&self, host: &str, path: &RequestPath) -> Option<Route<'_>> {
        let mut best: Option<(&Arc<Room>, usize, u8)> = None;
        let mut host_only: Option<(&Arc<Room>, u8)> = None;
        for room in &self.rooms {
            let Some(spec) = room
                .cfg
                .scope
                .hosts
                .iter()
                .filter(|h| h.matches(host))
                .map(|h| h.specificity())
                .max()
            else {
                continue;
            };
            if host_only.is_none_or(|(_, s)| spec > s) {
                host_only = Some((room, spec));
            }
            // The longest of the room's prefixes that the path is under.
            let matched = room
                .cfg
                .scope
                .path_prefixes
                .iter()
                .filter(|prefix| path.matches_prefix(prefix))
                .map(String::len)
                .max();
            if let Some(len) = matched {
                if best.is_none_or(|(_, l, s)| (spec, len) > (s, l)) {
                    best = Some((room, len, spec));
                }
            }
        }
        match (best, host_only) {
            (Some((room, _, _)), _) => Some(Route::Protected(room)),
            (None, Some((room, _))) => Some(Route::Unprotected(room)),
            (None, None) => None,
        }
    }

    pub fn room(&self, id: &str) -> Option<&Arc<Room>> {
        self.rooms.iter().find(|r| r.cfg.id == id)
    }
}

/// The limits a room's config file sets.
fn config_limits(cfg: &RoomConfig) -> Limits {
    Limits {
        adaptive: cfg.adaptive,
        schedule: cfg.schedule.as_ref().map(|s| s.window),
        appointments: cfg.supply.map(|s| s.appointments),
        ..Limits::new(cfg.admit_per_minute, cfg.max_active)
    }
}
