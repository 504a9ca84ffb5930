//! The public side: owns routing a request to a room, deciding what happens to it (a pure
//! function of the verified token and a snapshot of the room) and carrying the decision out.
//! The outer handler never fails: every error is mapped to an answer in one `match`.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use ipnet::IpNet;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::adaptive::{Change, UpstreamStats};
use crate::admission::{self, Estimate, Limits};
use crate::clock::{Clock, Millis};
use crate::config::OnUnavailable;
use crate::config::{AdminToken, Config, CookieSecure, Lang, RoomConfig};
use crate::history::History;
use crate::issuance::{AddressLimiter, Challenges, Refusal};
use crate::metrics::{Metrics, Outcome, Refused, RoomMetrics, UpstreamClass};
use crate::page::{self, RoomStateName, View};
use crate::proxy::{self, Body, CookieName, Forwarded, InFlight, ProxyError};
use crate::schedule::{self, Phase, Place};
use crate::shared::{Redis, SharedState};
use crate::state::{EmbeddedState, Figures, RoomState, SessionStart, StateError};
use crate::store::{OperatorState, StateDir, StoreError};
use crate::ticket::{Kind, RoomKeys, Token, TokenError};
use crate::tls;
use crate::upstream::UpstreamPool;

/// How long an admitted request may wait for a free upstream slot before it gets the busy page.
const SLOT_WAIT: Duration = Duration::from_secs(2);
/// Requests that may wait for an upstream slot at once, at the least (else the cap).
const MIN_SLOT_LINE: usize = 16;
/// What the busy page tells the browser.
const BUSY_RETRY_AFTER: u64 = 10;
const MAX_HOST_LEN: usize = 255;
/// Request headers accepted, over any HTTP version.
const MAX_REQUEST_HEADERS: usize = 100;
/// How often a page of a closed room looks again, in case the operator reopens it.
const CLOSED_REFRESH: u64 = 60;
/// How often a page of a paused room looks again.
const PAUSED_REFRESH: u64 = 30;
/// How soon a called visitor who came in a crowded second tries again.
const MOMENT_REFRESH: u64 = 2;
/// How long a proof-of-work challenge may take to solve, at the least: minutes on the slowest
/// phone. Harder puzzles get ten times what a slow phone (50,000 hashes a second) needs.
const CHALLENGE_TTL: u64 = 300;
/// How long a browser may take to send a solved challenge's few bytes.
const PROOF_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// A solved challenge is a short form; anything longer is not one.
const MAX_PROOF_BODY: usize = 256;

/// A room's way to its upstream: the cap on requests in flight, the short, bounded line of
/// requests waiting for a slot, and what the upstream did (for the adaptive rate). Kept across
/// reloads while the cap is unchanged.
pub struct UpstreamGate {
    slots: Arc<Semaphore>,
    /// Requests waiting for a slot now.
    waiting: AtomicUsize,
    /// More waiting than this get the busy page at once: a line that could not drain within
    /// `SLOT_WAIT` anyway only holds memory and connections.
    max_waiting: usize,
    pub stats: UpstreamStats,
}

impl UpstreamGate {
    pub fn new(max_in_flight: usize) -> UpstreamGate {
        UpstreamGate {
            slots: Arc::new(Semaphore::new(max_in_flight)),
            waiting: AtomicUsize::new(0),
            max_waiting: max_in_flight.max(MIN_SLOT_LINE),
            stats: UpstreamStats::default(),
        }
    }

    /// A slot for one upstream exchange, waiting at most `SLOT_WAIT` in a bounded line.
    async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Some(slot);
        }
        struct InLine<'a>(&'a AtomicUsize);
        impl Drop for InLine<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        let _in_line = InLine(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.max_waiting {
            return None;
        }
        tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }
}

/// What happens to a request inside a room's `path_prefix`, once bypasses are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A live pass: forward and renew it.
    Proxy { session: u64, seq: u64 },
    /// A ticket whose place has been called: mint a pass and forward. The session is the
    /// place, so a ticket copied to many browsers is still one session.
    Admit { seq: u64, place: u64 },
    /// A ticket still in line: renew it when due and show the waiting page at its place.
    Wait { ticket: Token, place: Place },
    /// No usable token: draw a number.
    Draw,
    /// No usable token, and the room's pre-queue has not begun: the countdown, no number.
    NotYet,
}

/// The one question of the gateway, answered without IO. `session_live` says whether a pass's
/// session is still honoured (not ended by the upstream).
pub fn decide(token: Option<&Token>, session_live: bool, figures: &Figures) -> Decision {
    match token {
        Some(t) if t.kind == Kind::Pass && session_live => Decision::Proxy {
            session: t.id,
            seq: t.seq,
        },
        // Drawn before this line started (a restart without durable state): the number may
        // belong to someone else now.
        Some(t) if t.kind == Kind::Ticket && t.id < figures.started_at => Decision::Draw,
        Some(t) if t.kind == Kind::Ticket && t.seq < figures.handed_out => {
            match figures.order.place(t.seq) {
                Place::At(place) if place < figures.cursor => Decision::Admit { seq: t.seq, place },
                place => Decision::Wait { ticket: *t, place },
            }
        }
        // A pass that was ended, or a ticket number this room never handed out (state was
        // reset): back of the line with a new number.
        Some(_) | None if figures.phase == Phase::BeforeOpen => Decision::NotYet,
        Some(_) | None => Decision::Draw,
    }
}

/// One protected room at run time.
pub struct Room {
    pub cfg: Arc<RoomConfig>,
    keys: RoomKeys,
    pub state: Arc<dyn RoomState>,
    upstream: Arc<UpstreamGate>,
    issuance: Issuance,
    pub metrics: RoomMetrics,
    cookie_name: CookieName,
    /// What to do while the shared state cannot be reached.
    on_unavailable: OnUnavailable,
    /// Kept-alive connections to the upstream (kept across reloads while the upstream and
    /// its CA stay the same).
    pool: Arc<UpstreamPool>,
}

/// A room's issuance rules at run time; each part is kept across reloads while its setting
/// is unchanged, so a reload neither forgets who drew tickets nor invalidates challenges.
#[derive(Clone, Default)]
pub struct Issuance {
    limiter: Option<Arc<AddressLimiter>>,
    challenges: Option<Arc<Challenges>>,
}

impl Issuance {
    fn new(cfg: &RoomConfig, old: Option<&Issuance>, now: Millis) -> Issuance {
        let per_minute = cfg.issuance.per_ip_per_minute;
        let limiter = match old.and_then(|o| o.limiter.as_ref()) {
            Some(l) if l.per_minute() == per_minute => Some(l.clone()),
            _ => (per_minute > 0).then(|| Arc::new(AddressLimiter::new(per_minute))),
        };
        let challenges = (cfg.issuance.proof_of_work_bits > 0).then(|| {
            old.and_then(|o| o.challenges.clone())
                .unwrap_or_else(|| Arc::new(Challenges::new(now)))
        });
        Issuance {
            limiter,
            challenges,
        }
    }

    /// Counts a new ticket for `ip`, or the seconds until one is allowed again.
    fn allow(&self, ip: IpAddr, now: Millis) -> Result<(), u64> {
        match &self.limiter {
            Some(limiter) => limiter.allow(ip, now),
            None => Ok(()),
        }
    }

    /// `allow` without counting.
    fn would_allow(&self, ip: IpAddr, now: Millis) -> Result<(), u64> {
        match &self.limiter {
            Some(limiter) => limiter.would_allow(ip, now),
            None => Ok(()),
        }
    }
}

impl Room {
    pub fn new(
        cfg: Arc<RoomConfig>,
        config: &Config,
        metrics: &Metrics,
        state: Arc<dyn RoomState>,
        upstream: Arc<UpstreamGate>,
        issuance: Issuance,
        pool: Arc<UpstreamPool>,
    ) -> Room {
        Room {
            pool,
            keys: config.keys.for_room(&cfg.id),
            upstream,
            issuance,
            metrics: metrics.room(&cfg.id),
            cookie_name: CookieName::new(cfg.cookie_name()),
            on_unavailable: config.state.on_unavailable,
            state,
            cfg,
        }
    }

    fn is_bypass(&self, path: &str, client_ip: IpAddr) -> bool {
        self.cfg
            .bypass_cidrs
            .iter()
            .any(|net| net.contains(&client_ip))
            || (path_is_plain(path)
                && self
                    .cfg
                    .bypass_paths
                    .iter()
                    .any(|p| starts_at_segment(path, p)))
    }

    /// The room's token from the request, if it is genuine; refusals are counted.
    fn token(&self, headers: &HeaderMap, now_s: u64) -> Option<Token> {
        let text = proxy::find_cookie(headers, &self.cookie_name)?;
        match self.keys.verify(text, now_s) {
            Ok(token) => Some(token),
            Err(why) => {
                self.metrics.token_rejected(why);
                tracing::debug!(room = %self.cfg.id, reason = why.reason(), "token refused");
                None
            }
        }
    }

    fn cookie(&self, value: &str, max_age: u64, secure: bool) -> HeaderValue {
        use std::fmt::Write;
        let mut text = String::with_capacity(self.cookie_name.as_str().len() + value.len() + 72);
        let _ = write!(
            text,
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            self.cookie_name.as_str(),
            if secure { "; Secure" } else { "" }
        );
        // Cookie names are [a-z0-9_-] and tokens base64url: always a valid header value. The
        // text becomes the header's bytes without another copy.
        HeaderValue::from_maybe_shared(Bytes::from(text))
            .unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    fn ticket_cookie(&self, seq: u64, drawn_at: u64, now_s: u64, secure: bool) -> HeaderValue {
        let valid = self.ticket_lasts();
        let token = Token {
            kind: Kind::Ticket,
            seq,
            expires_at: now_s + valid,
            id: drawn_at,
        };
        self.cookie(&self.keys.sign(&token), valid, secure)
    }

    /// Seconds a ticket is valid: `hold_place_for` plus the time it may go unrenewed (5 % of
    /// it, at least a second; see `renewed_ticket`), so that the place is held for
    /// `hold_place_for` after the visitor was last seen. 5 % (45 s of the default 15 minutes)
    /// spans a few of the page's polls, which come every 5 to 30 s.
    fn ticket_lasts(&self) -> u64 {
        let hold = self.cfg.hold_place_for.as_secs();
        hold + (hold / 20).max(1)
    }

    /// A ticket in line renewed with the answer once it has gone unrenewed as long as it may,
    /// as `renewed_pass` does for passes: most status polls and page reloads then cost no
    /// signature and carry no cookie. `None`: the ticket in hand is fresh enough.
    fn renewed_ticket(&self, ticket: &Token, now_s: u64, secure: bool) -> Option<HeaderValue> {
        let due = ticket.expires_at <= now_s + self.cfg.hold_place_for.as_secs();
        due.then(|| self.ticket_cookie(ticket.seq, ticket.id, now_s, secure))
    }

    fn pass_cookie(&self, session: u64, seq: u64, now_s: u64, secure: bool) -> HeaderValue {
        let valid = self.pass_lasts();
        let token = Token {
            kind: Kind::Pass,
            seq,
            expires_at: now_s + valid,
            id: session,
        };
        self.cookie(&self.keys.sign(&token), valid, secure)
    }

    /// Seconds a pass is valid: `session_duration` plus the time it may go unrenewed (1 % of
    /// it, at least a second; see `renewed_pass`), so that it lasts `session_duration` after
    /// the visitor's last request.
    fn pass_lasts(&self) -> u64 {
        let idle = self.cfg.session_duration.as_secs();
        idle + (idle / 100).max(1)
    }

    /// A pass renewed with the answer once it has gone unrenewed as long as it may: an answer
    /// without a cookie spares a signature and a header. `None`: the pass in hand is fresh
    /// enough.
    fn renewed_pass(&self, pass: &Token, now_s: u64, secure: bool) -> Option<HeaderValue> {
        // Made at `expires_at - pass_lasts`; due once less than `session_duration` is left.
        let due = pass.expires_at <= now_s + self.cfg.session_duration.as_secs();
        due.then(|| self.pass_cookie(pass.id, pass.seq, now_s, secure))
    }

    fn clear_cookie(&self, secure: bool) -> HeaderValue {
        self.cookie("", 0, secure)
    }

    /// With proof of work on: a fresh single-use challenge in `view`, for a visitor who needs
    /// a new ticket.
    fn challenge(&self, view: &mut View<'_>, now_s: u64) {
        let Some(challenges) = &self.issuance.challenges else {
            return;
        };
        let bits = self.cfg.issuance.proof_of_work_bits;
        let slow_phone = (1u64 << bits) / 50_000;
        let token = Token {
            kind: Kind::Challenge,
            seq: u64::from(bits),
            expires_at: now_s + CHALLENGE_TTL.max(slow_phone * 10),
            id: challenges.issue(),
        };
        view.challenge = Some(self.keys.sign(&token));
        view.proof_of_work_bits = Some(bits);
    }

    /// What a visitor whose ticket stands at `place` (or who has no ticket) sees of the room
    /// right now, in `lang`.
    fn view(&self, figures: &Figures, place: Option<Place>, lang: Lang, now_s: u64) -> View<'_> {
        let limits = figures.limits;
        let state = match (figures.state, figures.phase) {
            (OperatorState::Paused, _) => RoomStateName::Paused,
            (OperatorState::Closed, _) => RoomStateName::Closed,
            (OperatorState::Open, Phase::BeforeOpen) => RoomStateName::BeforeOpen,
            (OperatorState::Open, Phase::Prequeue) => RoomStateName::Prequeue,
            (OperatorState::Open, Phase::Open) => RoomStateName::Open,
        };
        let (position, ahead, admitted) = match place {
            Some(Place::At(place)) if place < figures.cursor => (None, None, true),
            // Nothing left: no place to show.
            _ if state == RoomStateName::Closed => (None, None, false),
            Some(Place::At(place)) => {
                let position = admission::position(place, figures.cursor);
                (Some(position), Some(position - 1), false)
            }
            // In the pre-queue: the place is drawn at opening.
            Some(Place::Undrawn) | None => (None, None, false),
        };
        let eta = match state {
            _ if admitted => Some(Estimate::NOW),
            RoomStateName::Open => Some(match position {
                Some(position) => admission::estimate(position, &figures.pace),
                None => admission::estimate_for_newcomer(figures.waiting(), &figures.pace),
            }),
            // Nobody moves while paused or closed, or before the opening: an estimate would be
            // a guess.
            RoomStateName::Paused
            | RoomStateName::Closed
            | RoomStateName::BeforeOpen
            | RoomStateName::Prequeue => None,
        };
        let window = self.cfg.schedule.as_ref().map(|s| s.window);
        let until = |at: Millis| (at / 1000).saturating_sub(now_s);
        let message = self.state.message();
        let text = match lang {
            Lang::De if !message.de.is_empty() => &message.de,
            Lang::En if !message.en.is_empty() => &message.en,
            _ if !message.de.is_empty() => &message.de,
            _ => &message.en,
        };
        // Nobody moves while paused or closed: pages look again rarely, not every 5 s.
        let refresh = match (state, window) {
            (RoomStateName::Closed, _) => CLOSED_REFRESH,
            (RoomStateName::Paused, _) => PAUSED_REFRESH,
            (RoomStateName::Open, _) => page::refresh_after(eta.map_or(0, |e| e.low)),
            // Looks again when the pre-queue begins or the room opens, and in between now and
            // then so that the countdown stays true.
            (RoomStateName::BeforeOpen, Some(w)) => until(w.prequeue_from).clamp(5, 60),
            (RoomStateName::Prequeue, Some(w)) => until(w.opens_at).clamp(5, 30),
            (RoomStateName::BeforeOpen | RoomStateName::Prequeue, None) => PAUSED_REFRESH,
        };
        let gathering = match figures.order {
            schedule::Order::Gathering { first } if state == RoomStateName::Prequeue => {
                Some(figures.issued.saturating_sub(first))
            }
            _ => None,
        };
        let opens_in = window
            .filter(|w| w.opens_at / 1000 > now_s)
            .map(|w| until(w.opens_at));
        let mut view = View {
            room: &self.cfg.id,
            state,
            position,
            ahead,
            eta_seconds: None,
            eta_low_seconds: None,
            eta_high_seconds: None,
            eta_text: None,
            admitted,
            admit_per_minute: limits.admit_per_minute,
            refresh_after_seconds: refresh,
            opens_at: self
                .cfg
                .schedule
                .as_ref()
                .map(|s| schedule::format_time(s.window.opens_at, s.offset_minutes)),
            opens_in_seconds: opens_in,
            opens_in_text: opens_in.map(|secs| page::eta_words(lang, secs)),
            prequeue_size: gathering,
            challenge: None,
            proof_of_work_bits: None,
            message: (!text.is_empty()).then(|| text.clone()),
        };
        view.set_eta(lang, eta);
        view
    }
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

enum Route<'a> {
    /// Inside a room's `path_prefix`.
    Protected(&'a Arc<Room>),
    /// A room's host, outside every prefix: forwarded without queueing.
    Unprotected(&'a Arc<Room>),
}

/// Where rooms keep their state.
#[derive(Clone)]
pub enum Backend {
    /// In this process's memory only: a restart begins new lines (the demo).
    Memory,
    /// In this process, made durable in `state.dir`.
    Dir(Arc<StateDir>),
    /// Shared with other gateways through Redis.
    Redis(Arc<Redis>),
}

impl Site {
    /// Builds the rooms of a config. Their state is resumed from the backend (or begun there).
    pub fn new(
        config: &Config,
        metrics: &Metrics,
        now: Millis,
        backend: &Backend,
    ) -> Result<Site, StoreError> {
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
    ) -> Result<Site, StoreError> {
        Site::build(config, metrics, now, backend, Some(self))
    }

    fn build(
        config: &Config,
        metrics: &Metrics,
        now: Millis,
        backend: &Backend,
        old: Option<&Site>,
    ) -> Result<Site, StoreError> {
        // Every room's state first, opening new ones: if one cannot be opened (a corrupt state
        // file), the reload is refused before any running room has changed.
        let states = config
            .rooms
            .iter()
            .map(|cfg| match old.and_then(|site| site.room(&cfg.id)) {
                Some(room) => Ok(room.state.clone()),
                None => match backend {
                    Backend::Dir(dir) => {
                        EmbeddedState::shared(dir, &cfg.id, now, config_limits(cfg))
                            .map(|s| s as Arc<dyn RoomState>)
                    }
                    Backend::Memory => {
                        Ok(Arc::new(EmbeddedState::new(now, config_limits(cfg))) as _)
                    }
                    Backend::Redis(redis) => {
                        Ok(SharedState::shared(redis, &cfg.id, config_limits(cfg)) as _)
                    }
                },
            })
            .collect::<Result<Vec<Arc<dyn RoomState>>, StoreError>>()?;
        // The system's roots are read only once a room needs them (an https:// upstream
        // without its own CA); the client and its pool are kept across reloads.
        let needs_roots = config
            .rooms
            .iter()
            .any(|r| r.upstream.scheme == http::uri::Scheme::HTTPS && r.upstream_ca.is_none());
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
                Some(room) if room.cfg.max_upstream_concurrency == cfg.max_upstream_concurrency => {
                    room.upstream.clone()
                }
                _ => Arc::new(UpstreamGate::new(cfg.max_upstream_concurrency)),
            };
            let issuance = Issuance::new(cfg, kept.map(|room| &room.issuance), now);
            // Open connections stay in use while the upstream and its CA are unchanged.
            let pool = match kept {
                Some(room)
                    if room.cfg.upstream == cfg.upstream
                        && room.cfg.upstream_ca == cfg.upstream_ca =>
                {
                    room.pool.clone()
                }
                _ => {
                    let tls = match &cfg.upstream_ca {
                        Some(ca) => Some(Arc::new(tls::client_config(&ca.certs)?)),
                        None => system_tls.clone(),
                    };
                    Arc::new(UpstreamPool::new(&cfg.upstream, tls)?)
                }
            };
            rooms.push(Arc::new(Room::new(
                cfg.clone(),
                config,
                metrics,
                state,
                upstream,
                issuance,
                pool,
            )));
        }
        Ok(Site {
            rooms,
            admin_token: config.admin.token.clone(),
            trusted_proxies: config.server.trusted_proxies.clone(),
            cookie_secure: config.server.cookie_secure,
            system_tls,
        })
    }

    fn route(&self, host: &str, path: &RequestPath) -> Option<Route<'_>> {
        let mut best: Option<(&Arc<Room>, usize, u8)> = None;
        let mut host_only: Option<(&Arc<Room>, u8)> = None;
        for room in &self.rooms {
            let Some(spec) = room
                .cfg
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
            if path.matches_prefix(&room.cfg.path_prefix) {
                let len = room.cfg.path_prefix.len();
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

/// The gateway: shared by every connection.
pub struct Gateway {
    pub site: ArcSwap<Site>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
    /// The last save of some room failed: not ready (the state would not survive a restart).
    persist_failing: AtomicBool,
    /// The last hour per room, for the dashboard.
    pub history: History,
}

/// Facts about the visitor's connection.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub peer: SocketAddr,
    pub tls: bool,
}

/// The language cookie, read only when a page is made: most requests are proxied and never
/// need it.
enum LangCookie {
    Read(Option<Lang>),
    /// The one `Cookie` header (shares the request's bytes).
    In(HeaderValue),
}

impl LangCookie {
    fn of(headers: &HeaderMap) -> LangCookie {
        let mut cookies = headers.get_all(header::COOKIE).iter();
        match (cookies.next(), cookies.next()) {
            (None, _) => LangCookie::Read(None),
            (Some(one), None) => LangCookie::In(one.clone()),
            // Several (HTTP/2): read now rather than keep them all.
            (Some(_), Some(_)) => LangCookie::Read(
                proxy::find_cookie(headers, &LANG_COOKIE_NAME).and_then(Lang::parse),
            ),
        }
    }
}

/// The request's facts the decision needs, read once.
struct Visit {
    host: String,
    fwd: Forwarded,
    /// `Accept-Language`, read only when a page is made (shares the request's bytes).
    lang_header: Option<HeaderValue>,
    /// The visitor's own choice of language (the page's switch), over `Accept-Language`.
    lang_choice: LangCookie,
    /// Path and query asked for: where the language switch returns to (shares the
    /// request's bytes; nothing is copied on the proxied path).
    target: Option<http::uri::PathAndQuery>,
    wants_json: bool,
    secure: bool,
}

impl Visit {
    /// The page language: the visitor's switch, else `Accept-Language`, else the room's.
    fn target(&self) -> &str {
        self.target.as_ref().map_or("/", |p| p.as_str())
    }

    fn lang(&self, fallback: Lang) -> Lang {
        let choice = match &self.lang_choice {
            LangCookie::Read(choice) => *choice,
            LangCookie::In(cookie) => {
                proxy::find_cookie_in(std::iter::once(cookie), &LANG_COOKIE_NAME)
                    .and_then(Lang::parse)
            }
        };
        choice.unwrap_or_else(|| {
            let header = self.lang_header.as_ref().and_then(|v| v.to_str().ok());
            page::pick_language(header, fallback)
        })
    }
}

impl Gateway {
    pub fn new(site: Site, clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Gateway {
        Gateway {
            site: ArcSwap::from_pointee(site),
            clock,
            metrics,
            persist_failing: AtomicBool::new(false),
            history: History::default(),
        }
    }

    /// Saves every room; `orderly` on shutdown. Blocks on file IO: call it off the request
    /// threads.
    pub fn persist(&self, orderly: bool) -> Result<(), StateError> {
        let now = self.clock.now_ms();
        let mut result = Ok(());
        for room in &self.site.load().rooms {
            if let Err(e) = room.state.persist(now, orderly) {
                tracing::error!(room = %room.cfg.id, error = %e, "cannot save room state");
                result = Err(e);
            }
        }
        self.persist_failing
            .store(result.is_err(), Ordering::Relaxed);
        result
    }

    /// Whether the room state is being saved (embedded) or Redis answers (shared).
    pub fn ready(&self) -> bool {
        !self.persist_failing.load(Ordering::Relaxed)
            && self.site.load().rooms.iter().all(|r| r.state.available())
    }

    /// Answers one public request. Never fails.
    pub async fn handle(&self, req: Request<Incoming>, conn: Conn) -> Response<Body> {
        if req.headers().len() > MAX_REQUEST_HEADERS {
            // HTTP/1.1 heads are capped by the server; HTTP/2 ones only by size.
            return plain(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "more than 100 request headers",
            );
        }
        let site = self.site.load_full();
        let host = match request_host(&req) {
            Ok(host) => host,
            Err(why) => return plain(StatusCode::BAD_REQUEST, why),
        };
        let path = req.uri().path();
        if !path.starts_with('/') {
            return plain(
                StatusCode::BAD_REQUEST,
                "the request target must be a path starting with '/'",
            );
        }
        if path_has_dot_segments(path) {
            return plain(
                StatusCode::BAD_REQUEST,
                "the path contains '.' or '..' segments; browsers never send these",
            );
        }
        let fwd = forwarded(&req, conn, &site.trusted_proxies);
        let secure = match site.cookie_secure {
            CookieSecure::Always => true,
            CookieSecure::Never => false,
            CookieSecure::Auto => fwd.proto == "https",
        };
        let visit = Visit {
            lang_header: req.headers().get(header::ACCEPT_LANGUAGE).cloned(),
            lang_choice: LangCookie::of(req.headers()),
            target: req.uri().path_and_query().cloned(),
            wants_json: wants_json(req.headers()),
            host,
            fwd,
            secure,
        };

        if let Some(rest) = path.strip_prefix("/.wartesaal/") {
            let what = Internal::of(rest);
            return self.internal(&site, what, req, &visit).await;
        }
        match site.route(&visit.host, &RequestPath::new(path)) {
            None => plain(
                StatusCode::NOT_FOUND,
                "no waiting room is configured for this host",
            ),
            Some(Route::Unprotected(room)) => {
                room.metrics.request(Outcome::Bypass);
                self.forward(room, req, &visit, None).await
            }
            Some(Route::Protected(room)) => self.enter(room, req, &visit).await,
        }
    }

    /// A request inside a room's prefix.
    async fn enter(&self, room: &Room, req: Request<Incoming>, visit: &Visit) -> Response<Body> {
        if room.is_bypass(req.uri().path(), visit.fwd.client_ip) {
            room.metrics.request(Outcome::Bypass);
            return self.forward(room, req, visit, None).await;
        }
        if room.on_unavailable == OnUnavailable::Open && !room.state.available() {
            // The operator chose an open door over a closed one while Redis is away.
            room.metrics.request(Outcome::Proxied);
            return self.forward(room, req, visit, None).await;
        }
        let now = self.clock.now_ms();
        let now_s = now / 1000;
        let token = room.token(req.headers(), now_s);
        let session_live = match token {
            Some(t) if t.kind == Kind::Pass => room.state.session_seen(t.id, now),
            _ => false,
        };
        if let (Some(pass), true) = (&token, session_live) {
            // `decide`'s first rule, taken before the room's figures are read: a live pass
            // needs nothing of the line, and the busiest path takes no lock on it.
            let cookie = room.renewed_pass(pass, now_s, visit.secure);
            return self
                .forward(room, req, visit, Some((pass.id, cookie)))
                .await;
        }
        let figures = room.state.figures(now);
        match decide(token.as_ref(), session_live, &figures) {
            Decision::Proxy { session, seq } => {
                let cookie = room.pass_cookie(session, seq, now_s, visit.secure);
                self.forward(room, req, visit, Some((session, Some(cookie))))
                    .await
            }
            Decision::Admit { seq, place } => {
                let started = room
                    .state
                    .admit_session(place, room.cfg.issuance.passes_per_ticket, now)
                    .await
                    .unwrap_or_else(|e| {
                        // The line holds while the shared state is away: in a moment.
                        tracing::warn!(room = %room.cfg.id, error = %e, "cannot start a session");
                        SessionStart::Later
                    });
                match started {
                    SessionStart::New => {
                        room.metrics.admitted.inc();
                        Box::pin(self.admitted(room, req, visit, place, seq, now)).await
                    }
                    SessionStart::Existing => {
                        Box::pin(self.admitted(room, req, visit, place, seq, now)).await
                    }
                    // The upstream already ended this number's session: it does not get back in.
                    SessionStart::Ended => Box::pin(self.draw(room, req, visit, now)).await,
                    // A copy of a ticket that got its holders in as often as it may: this one
                    // queues again at the back like anyone without a ticket.
                    SessionStart::UsedUp => {
                        room.metrics.refused(Refused::TicketUsedUp);
                        tracing::info!(room = %room.cfg.id, seq, "ticket used up: a copy sent to the back");
                        Box::pin(self.draw(room, req, visit, now)).await
                    }
                    SessionStart::Later => self.moment(room, visit, &figures, None, now_s),
                }
            }
            Decision::Wait { ticket, place } => {
                let cookie = room.renewed_ticket(&ticket, now_s, visit.secure);
                self.waiting(room, visit, &figures, Some(place), cookie, now_s)
            }
            // Nothing left to book: say so instead of handing out a number.
            Decision::Draw if figures.state == OperatorState::Closed => {
                self.waiting(room, visit, &figures, None, None, now_s)
            }
            Decision::Draw => Box::pin(self.draw(room, req, visit, now)).await,
            // Not open yet: the countdown, and no number to hold on to.
            Decision::NotYet => self.waiting(room, visit, &figures, None, None, now_s),
        }
    }

    /// Hands out a new number: straight through when nobody waits, else the waiting page.
    /// With proof of work on, the browser gets a challenge instead and draws by solving it.
    async fn draw(
        &self,
        room: &Room,
        req: Request<Incoming>,
        visit: &Visit,
        now: Millis,
    ) -> Response<Body> {
        let now_s = now / 1000;
        if room.issuance.challenges.is_some() {
            // Work is handed out only to those who could get a ticket for it.
            if let Err(retry) = room.issuance.would_allow(visit.fwd.client_ip, now) {
                return self.limited(room, visit, retry);
            }
            let figures = room.state.figures(now);
            let lang = visit.lang(room.cfg.language);
            let mut view = room.view(&figures, None, lang, now_s);
            room.challenge(&mut view, now_s);
            // A cookie that brought the visitor here (used up, ended, expired) goes: the
            // solution is handed in for a new ticket, not judged by the old cookie again.
            let clear = proxy::find_cookie(req.headers(), &room.cookie_name)
                .map(|_| room.clear_cookie(visit.secure));
            return self.waiting_page(room, visit, lang, view, clear, now_s);
        }
        if let Err(retry) = room.issuance.allow(visit.fwd.client_ip, now) {
            return self.limited(room, visit, retry);
        }
        match room.state.draw(now).await {
            Ok((drawn, figures)) => {
                room.metrics.tickets_issued.inc();
                tracing::debug!(room = %room.cfg.id, seq = drawn.seq, admitted = drawn.admitted, "ticket drawn");
                // Straight through: a number drawn after any pre-queue is its own place.
                let passes = room.cfg.issuance.passes_per_ticket;
                if drawn.admitted
                    && matches!(
                        room.state.admit_session(drawn.seq, passes, now).await,
                        Ok(SessionStart::New)
                    )
                {
                    room.metrics.admitted.inc();
                    return self
                        .admitted(room, req, visit, drawn.seq, drawn.seq, now)
                        .await;
                }
                let cookie = Some(room.ticket_cookie(drawn.seq, now_s, now_s, visit.secure));
                if drawn.admitted {
                    self.moment(room, visit, &figures, cookie, now_s)
                } else {
                    let place = figures.order.place(drawn.seq);
                    self.waiting(room, visit, &figures, Some(place), cookie, now_s)
                }
            }
            Err(e) => {
                tracing::warn!(room = %room.cfg.id, error = %e, "cannot draw a ticket");
                room.metrics.request(Outcome::Busy);
                self.busy(room, visit, None)
            }
        }
    }

    /// Mints a pass for a called number whose session has been started and forwards the
    /// request: the visitor lands where they wanted to go.
    async fn admitted(
        &self,
        room: &Room,
        req: Request<Incoming>,
        visit: &Visit,
        session: u64,
        seq: u64,
        now: Millis,
    ) -> Response<Body> {
        tracing::debug!(room = %room.cfg.id, seq, session, "admitted");
        let cookie = room.pass_cookie(session, seq, now / 1000, visit.secure);
        self.forward(room, req, visit, Some((session, Some(cookie))))
            .await
    }

    fn waiting(
        &self,
        room: &Room,
        visit: &Visit,
        figures: &Figures,
        place: Option<Place>,
        cookie: Option<HeaderValue>,
        now_s: u64,
    ) -> Response<Body> {
        let lang = visit.lang(room.cfg.language);
        let view = room.view(figures, place, lang, now_s);
        self.waiting_page(room, visit, lang, view, cookie, now_s)
    }

    /// A called number whose holder came in a second when more sessions had begun than the
    /// rate allows: first in line, in again in a moment.
    fn moment(
        &self,
        room: &Room,
        visit: &Visit,
        figures: &Figures,
        cookie: Option<HeaderValue>,
        now_s: u64,
    ) -> Response<Body> {
        let lang = visit.lang(room.cfg.language);
        let mut view = room.view(figures, None, lang, now_s);
        view.admitted = false;
        view.position = Some(1);
        view.ahead = Some(0);
        view.set_eta(lang, Some(Estimate::NOW));
        view.refresh_after_seconds = MOMENT_REFRESH;
        self.waiting_page(room, visit, lang, view, cookie, now_s)
    }

    fn waiting_page(
        &self,
        room: &Room,
        visit: &Visit,
        lang: Lang,
        view: View<'_>,
        cookie: Option<HeaderValue>,
        now_s: u64,
    ) -> Response<Body> {
        room.metrics.request(Outcome::Waiting);
        let (body, content_type) = if visit.wants_json {
            (view.to_json(), "application/json")
        } else {
            (
                page::waiting_page(
                    &room.cfg,
                    &page::WaitingPage::new(&room.cfg, lang, &view, now_s, visit.target()),
                ),
                "text/html; charset=utf-8",
            )
        };
        let mut resp = answer(room.cfg.queueing_status, content_type, body);
        let h = resp.headers_mut();
        h.insert(header::RETRY_AFTER, view.refresh_after_seconds.into());
        if let Some(cookie) = cookie {
            h.append(header::SET_COOKIE, cookie);
        }
        resp
    }

    /// Too many new tickets from the visitor's address: 429, and when to try again. A ticket
    /// the visitor already holds is not touched.
    fn limited(&self, room: &Room, visit: &Visit, retry_after: u64) -> Response<Body> {
        room.metrics.refused(Refused::RateLimit);
        room.metrics.request(Outcome::Rejected);
        tracing::debug!(room = %room.cfg.id, client = %visit.fwd.client_ip, "issuance limit reached");
        let lang = visit.lang(room.cfg.language);
        let (body, content_type) = if visit.wants_json {
            (
                Bytes::from(
                    serde_json::json!({
                        "error": "too many new tickets from this address",
                        "retry_after_seconds": retry_after,
                    })
                    .to_string(),
                ),
                "application/json",
            )
        } else {
            (
                page::limited_page(&room.cfg, lang, retry_after, visit.target()),
                "text/html; charset=utf-8",
            )
        };
        let mut resp = answer(StatusCode::TOO_MANY_REQUESTS, content_type, body);
        resp.headers_mut()
            .insert(header::RETRY_AFTER, retry_after.into());
        resp
    }

    fn busy(&self, room: &Room, visit: &Visit, cookie: Option<HeaderValue>) -> Response<Body> {
        let lang = visit.lang(room.cfg.language);
        let mut resp = answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html; charset=utf-8",
            page::busy_page(&room.cfg, lang, BUSY_RETRY_AFTER, visit.target()),
        );
        let h = resp.headers_mut();
        h.insert(header::RETRY_AFTER, BUSY_RETRY_AFTER.into());
        if let Some(cookie) = cookie {
            h.append(header::SET_COOKIE, cookie);
        }
        resp
    }

    /// Sends the request to the room's upstream. `session` is the visitor's session and renewed
    /// pass, if they have one.
    async fn forward(
        &self,
        room: &Room,
        req: Request<Incoming>,
        visit: &Visit,
        session: Option<(u64, Option<HeaderValue>)>,
    ) -> Response<Body> {
        match self.exchange(room, req, visit).await {
            Ok((mut resp, released)) => {
                if session.is_some() {
                    room.metrics.request(Outcome::Proxied);
                }
                let h = resp.headers_mut();
                match (session, released) {
                    (Some((id, _)), true) => {
                        // Long enough that neither the pass nor a saved copy of the called
                        // ticket (not refreshed once called) can still be valid afterwards.
                        let keep = room.pass_lasts().max(room.ticket_lasts());
                        let until = (self.clock.now_ms() / 1000 + keep + 1) * 1000;
                        room.state.session_ended(id, until);
                        tracing::info!(room = %room.cfg.id, "session released by upstream");
                        h.append(header::SET_COOKIE, room.clear_cookie(visit.secure));
                    }
                    (Some((_, Some(cookie))), false) => {
                        h.append(header::SET_COOKIE, cookie);
                    }
                    (Some((_, None)) | None, _) => {}
                }
                resp
            }
            Err(e) => {
                // Every failure tells the adaptive rate that the backend did not cope; a timeout
                // also took the whole `upstream_timeout`.
                let (class, took) = match &e {
                    ProxyError::Timeout => (
                        Some(UpstreamClass::Timeout),
                        Some(room.cfg.upstream_timeout),
                    ),
                    ProxyError::Upstream(_) => (Some(UpstreamClass::Error), None),
                    ProxyError::Saturated => (None, None),
                    ProxyError::Visitor(_) => {
                        // Nothing the upstream did: no mark against it, and a plain answer
                        // (the visitor's side is most likely gone anyway).
                        tracing::debug!(room = %room.cfg.id, error = %e, "request body failed");
                        room.metrics.request(Outcome::Rejected);
                        return plain(
                            StatusCode::BAD_REQUEST,
                            "the request body did not arrive as announced",
                        );
                    }
                };
                room.upstream.stats.record(took, true);
                if let Some(class) = class {
                    room.metrics.upstream(class);
                }
                tracing::warn!(room = %room.cfg.id, error = %e, "upstream busy");
                room.metrics.request(Outcome::Busy);
                self.busy(room, visit, session.and_then(|(_, c)| c))
            }
        }
    }

    async fn exchange(
        &self,
        room: &Room,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Result<(Response<Body>, bool), ProxyError> {
        let slot = room.upstream.slot().await.ok_or(ProxyError::Saturated)?;
        let in_flight = InFlight::start(&room.metrics.upstream_in_flight);
        let upstream_req = proxy::upstream_request(req, &room.cookie_name, &visit.host, &visit.fwd);
        let started = Instant::now();
        let mut resp =
            match tokio::time::timeout(room.cfg.upstream_timeout, room.pool.send(upstream_req))
                .await
            {
                Ok(Ok(sent)) => sent,
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => return Err(ProxyError::Timeout),
            };
        let took = started.elapsed();
        room.metrics.upstream_duration.observe(took.as_secs_f64());
        room.upstream
            .stats
            .record(Some(took), resp.status().is_server_error());
        room.metrics
            .upstream(UpstreamClass::of_status(resp.status()));
        let released = proxy::clean_response(resp.headers_mut());
        Ok((proxy::streamed(resp, slot, in_flight), released))
    }

    /// `/.wartesaal/…`: assets, the status JSON and solved challenges.
    async fn internal(
        &self,
        site: &Site,
        what: Internal,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Response<Body> {
        if what == Internal::Ticket {
            return match internal_room(site, &req, visit) {
                Some(room) => Box::pin(self.redeem(room, req, visit)).await,
                None => plain(StatusCode::NOT_FOUND, "no such room on this host"),
            };
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET is allowed here");
        }
        match what {
            Internal::Css => asset("text/css; charset=utf-8", page::ASSET_CSS),
            Internal::Script => asset("text/javascript; charset=utf-8", page::ASSET_JS),
            Internal::Lang => language_switch(&req, visit),
            Internal::Status => match internal_room(site, &req, visit) {
                Some(room) => self.status(room, req.headers(), visit),
                None => plain(StatusCode::NOT_FOUND, "no such room on this host"),
            },
            Internal::Ticket | Internal::Unknown => plain(StatusCode::NOT_FOUND, "not found"),
        }
    }

    /// `POST /.wartesaal/ticket`: a browser hands in a solved challenge
    /// (`challenge=…&nonce=…`) and gets a ticket. The challenge is checked with one hash and
    /// used up; the issuance limit applies as to any new ticket.
    async fn redeem(&self, room: &Room, req: Request<Incoming>, visit: &Visit) -> Response<Body> {
        if req.method() != Method::POST {
            return plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "hand in a solved challenge with POST",
            );
        }
        let Some(challenges) = room.issuance.challenges.clone() else {
            return plain(
                StatusCode::NOT_FOUND,
                "this room does not ask for a proof of work",
            );
        };
        let headers = req.headers().clone();
        let read = Limited::new(req.into_body(), MAX_PROOF_BODY).collect();
        let body = match tokio::time::timeout(PROOF_BODY_TIMEOUT, read).await {
            Ok(Ok(body)) => body.to_bytes(),
            Ok(Err(_)) | Err(_) => {
                room.metrics.request(Outcome::Rejected);
                return plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "a solved challenge is a short form sent at once: challenge=...&nonce=...",
                );
            }
        };
        // The time is taken once the body is in: a challenge's expiry and the address limit
        // are judged as of now, not as of when a slow client began.
        let now = self.clock.now_ms();
        let now_s = now / 1000;
        let token = room.token(&headers, now_s);
        let figures = room.state.figures(now);
        match decide(token.as_ref(), true, &figures) {
            Decision::Draw if figures.state == OperatorState::Closed => {
                return plain(StatusCode::CONFLICT, "the room is closed; no new tickets")
            }
            Decision::NotYet => {
                return plain(
                    StatusCode::CONFLICT,
                    "the queue has not opened yet; the page says when it does",
                )
            }
            // A second submit: the visitor holds a place already and keeps it.
            Decision::Wait { .. } => return self.status(room, &headers, visit),
            // Anything else (no ticket, or one that brought them to the puzzle: used up,
            // ended) draws anew.
            Decision::Draw | Decision::Proxy { .. } | Decision::Admit { .. } => {}
        }
        let field = |name: &str| {
            std::str::from_utf8(&body).ok().and_then(|text| {
                text.split('&')
                    .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            })
        };
        let (Some(challenge), Some(nonce)) = (field("challenge"), field("nonce")) else {
            room.metrics.request(Outcome::Rejected);
            return plain(
                StatusCode::BAD_REQUEST,
                "expected the form challenge=...&nonce=...",
            );
        };
        let refuse = |status, text| {
            room.metrics.refused(Refused::ProofOfWork);
            room.metrics.request(Outcome::Rejected);
            plain(status, text)
        };
        let (id, bits) = match room.keys.verify(challenge, now_s) {
            // The difficulty it was issued with: a reload that changes the setting does not
            // spoil puzzles being solved.
            Ok(t) if t.kind == Kind::Challenge => (t.id, t.seq.min(255) as u8),
            Err(TokenError::Expired) => {
                return refuse(
                    StatusCode::GONE,
                    "the challenge has expired; reload the page for a new one",
                )
            }
            Ok(_) | Err(_) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "not a challenge handed out by this room",
                )
            }
        };
        match challenges.redeem(id, challenge, nonce, bits) {
            Ok(()) => {}
            Err(Refusal::Wrong) => {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "the nonce does not solve the challenge",
                )
            }
            Err(Refusal::Used) => {
                return refuse(
                    StatusCode::GONE,
                    "the challenge was used already; reload the page for a new one",
                )
            }
        }
        if let Err(retry) = room.issuance.allow(visit.fwd.client_ip, now) {
            return self.limited(room, visit, retry);
        }
        match room.state.draw(now).await {
            Ok((drawn, figures)) => {
                room.metrics.tickets_issued.inc();
                tracing::debug!(room = %room.cfg.id, seq = drawn.seq, "ticket drawn by proof of work");
                let lang = visit.lang(room.cfg.language);
                let place = figures.order.place(drawn.seq);
                let view = room.view(&figures, Some(place), lang, now_s);
                let mut resp = answer(StatusCode::OK, "application/json", view.to_json());
                resp.headers_mut().append(
                    header::SET_COOKIE,
                    room.ticket_cookie(drawn.seq, now_s, now_s, visit.secure),
                );
                resp
            }
            Err(e) => {
                tracing::warn!(room = %room.cfg.id, error = %e, "cannot draw a ticket");
                room.metrics.request(Outcome::Busy);
                self.busy(room, visit, None)
            }
        }
    }

    /// The status JSON for the caller's ticket. Polling it keeps the place held.
    fn status(&self, room: &Room, headers: &HeaderMap, visit: &Visit) -> Response<Body> {
        room.metrics.request(Outcome::Status);
        let now = self.clock.now_ms();
        let now_s = now / 1000;
        let token = room.token(headers, now_s);
        let figures = room.state.figures(now);
        let lang = visit.lang(room.cfg.language);
        // The same question as for a page request, answered without acting on it: the status
        // never mints a pass or draws a number.
        let (view, cookie) = match decide(token.as_ref(), true, &figures) {
            Decision::Proxy { .. } => {
                let mut view = room.view(&figures, None, lang, now_s);
                view.admitted = true;
                view.set_eta(lang, Some(Estimate::NOW));
                (view, None)
            }
            // A called ticket is not refreshed: it is meant to be turned into a pass now, not
            // kept alive indefinitely.
            Decision::Admit { place, .. } => (
                room.view(&figures, Some(Place::At(place)), lang, now_s),
                None,
            ),
            Decision::Wait { ticket, place } => (
                room.view(&figures, Some(place), lang, now_s),
                room.renewed_ticket(&ticket, now_s, visit.secure),
            ),
            Decision::Draw => {
                // A script or API client that needs a ticket learns the puzzle here too.
                let mut view = room.view(&figures, None, lang, now_s);
                if figures.state != OperatorState::Closed {
                    room.challenge(&mut view, now_s);
                }
                (view, None)
            }
            Decision::NotYet => (room.view(&figures, None, lang, now_s), None),
        };
        let mut resp = answer(StatusCode::OK, "application/json", view.to_json());
        if let Some(cookie) = cookie {
            resp.headers_mut().append(header::SET_COOKIE, cookie);
        }
        resp
    }

    /// Sweeps idle sessions and refreshes the gauges; called every second or so.
    pub fn tick(&self) {
        let now = self.clock.now_ms();
        let site = self.site.load();
        for room in &site.rooms {
            // Idle as long as a pass lasts unrenewed: swept then, not while its pass still
            // lets the visitor back in.
            room.state
                .sweep(now, room.pass_lasts() * 1000, room.ticket_lasts() * 1000);
            room.pool.sweep();
            let sample = room.upstream.stats.take();
            if let Some((change, rate)) = room.state.upstream(&sample, now) {
                let change = match change {
                    Change::Cut => "cut: upstream latency or errors over the limits",
                    Change::Raised => "raised: upstream healthy and people waiting",
                };
                tracing::info!(room = %room.cfg.id, rate, "adaptive rate {change}");
            }
            let figures = room.state.figures(now);
            let m = &room.metrics;
            m.queue_waiting.set(figures.waiting() as i64);
            m.active_sessions.set(figures.active as i64);
            m.admit_rate.set(effective_rate(&figures));
            m.queue_issued.set(figures.issued as i64);
            m.queue_cursor.set(figures.cursor as i64);
            let floor = figures
                .limits
                .adaptive
                .filter(|_| figures.adaptive == Some(true));
            m.admit_rate_floor
                .set(floor.map_or(0.0, |a| a.min_per_minute));
            m.show_up_ratio.set(figures.show_share);
            m.estimated_wait
                .set(figures.wait_for_newcomer().map_or(0, |w| w.seconds) as f64);
        }
        self.history.sample(&site, now);
    }
}

/// The limits a room's config file sets.
fn config_limits(cfg: &RoomConfig) -> Limits {
    Limits {
        adaptive: cfg.adaptive,
        schedule: cfg.schedule.as_ref().map(|s| s.window),
        ..Limits::new(cfg.admit_per_minute, cfg.max_active)
    }
}

/// Admissions per minute in force now: none while the operator has stopped them.
pub fn effective_rate(figures: &Figures) -> f64 {
    if figures.limits.paused {
        0.0
    } else {
        figures.limits.admit_per_minute
    }
}

/// Cookie holding the language a visitor picked with the page's switch. The hyphen keeps it
/// apart from every room cookie (`wartesaal_<id>`).
pub const LANG_COOKIE: &str = "wartesaal-lang";

/// `LANG_COOKIE` with its search, made once.
static LANG_COOKIE_NAME: std::sync::LazyLock<CookieName> =
    std::sync::LazyLock::new(|| CookieName::new(LANG_COOKIE));

/// `GET /.wartesaal/lang?to=en&back=/path`: remembers the choice for a year and returns to
/// the page (only to a path on this site, never elsewhere).
fn language_switch<B>(req: &Request<B>, visit: &Visit) -> Response<Body> {
    let query = req.uri().query().unwrap_or("");
    let mut to = None;
    let mut back = "/".to_string();
    for pair in query.split('&').take(8) {
        match pair.split_once('=') {
            Some(("to", v)) => to = Lang::parse(v),
            Some(("back", v)) => back = percent_decode(v),
            _ => {}
        }
    }
    let Some(lang) = to else {
        return plain(
            StatusCode::BAD_REQUEST,
            "say which language: ?to=de or ?to=en",
        );
    };
    // Only a path on this site: no scheme, no `//host`, no backslash tricks, and no control
    // characters or spaces (browsers drop tabs and newlines from URLs: `/\t/evil`).
    if !back.starts_with('/')
        || back.starts_with("//")
        || back.contains('\\')
        || back.bytes().any(|b| b <= b' ' || b == 0x7f)
    {
        back = "/".into();
    }
    let Ok(location) = HeaderValue::from_str(&back) else {
        return plain(StatusCode::BAD_REQUEST, "back must be a path on this site");
    };
    let secure = if visit.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
        lang.code()
    );
    let mut resp = answer(
        StatusCode::SEE_OTHER,
        "text/plain; charset=utf-8",
        Bytes::new(),
    );
    let h = resp.headers_mut();
    h.insert(header::LOCATION, location);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        h.append(header::SET_COOKIE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The room a `/.wartesaal/` request is about: `?room=` on one of its hosts, else the host's.
fn internal_room<'a, B>(site: &'a Site, req: &Request<B>, visit: &Visit) -> Option<&'a Arc<Room>> {
    let wanted = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("room=")));
    match wanted {
        Some(id) => site
            .room(id)
            .filter(|r| r.cfg.hosts.iter().any(|h| h.matches(&visit.host))),
        None => match site.route(&visit.host, &RequestPath::new("/")) {
            Some(Route::Protected(r) | Route::Unprotected(r)) => Some(r),
            None => None,
        },
    }
}

/// What a `/.wartesaal/…` path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Internal {
    Ticket,
    Css,
    Script,
    Lang,
    Status,
    Unknown,
}

impl Internal {
    fn of(rest: &str) -> Internal {
        match rest {
            "ticket" => Internal::Ticket,
            "assets/wartesaal.css" => Internal::Css,
            "assets/wartesaal.js" => Internal::Script,
            "lang" => Internal::Lang,
            "status" => Internal::Status,
            _ => Internal::Unknown,
        }
    }
}

/// A page or JSON answer that must never be cached.
fn answer(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut resp = Response::new(proxy::full(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A short explanation for a refused request.
pub fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    answer(
        status,
        "text/plain; charset=utf-8",
        Bytes::from(format!("{text}\n")),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response<Body> {
    let mut resp = Response::new(proxy::full(Bytes::from_static(body.as_bytes())));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    resp
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// The request's host name, lower-case and without a port.
fn request_host<B>(req: &Request<B>) -> Result<String, &'static str> {
    // Two Host headers could route by one and reach the upstream by the other (RFC 9112 3.2).
    if req.headers().get_all(header::HOST).iter().nth(1).is_some() {
        return Err("more than one Host header");
    }
    let raw = match req.uri().host() {
        Some(h) => h,
        None => req
            .headers()
            .get(header::HOST)
            .ok_or("missing Host header")?
            .to_str()
            .map_err(|_| "the Host header is not text")?,
    };
    if raw.len() > MAX_HOST_LEN {
        return Err("the Host header is too long");
    }
    let name = if raw.starts_with('[') {
        // IPv6 literal: keep the brackets, drop the port.
        raw.split_once(']')
            .map(|(h, _)| h)
            .unwrap_or(raw)
            .trim_start_matches('[')
    } else {
        raw.rsplit_once(':').map(|(h, _)| h).unwrap_or(raw)
    };
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'));
    if !valid {
        return Err("the Host header is not a host name");
    }
    Ok(name.to_ascii_lowercase())
}

fn path_has_dot_segments(path: &str) -> bool {
    path.split('/').any(|seg| seg == "." || seg == "..")
}

/// A path with nothing an upstream could read differently: no percent-encoding, no `;`
/// parameters, no backslashes, no empty segments. Only such paths may be bypassed.
fn path_is_plain(path: &str) -> bool {
    // One pass over the bytes: it runs twice on every request.
    let mut last = 0u8;
    for b in path.bytes() {
        if matches!(b, b'%' | b';' | b'\\') || (b == b'/' && last == b'/') {
            return false;
        }
        last = b;
    }
    true
}

/// `prefix` matches `path` at a segment boundary: "/static/" and "/favicon.ico" match
/// "/static/app.css" and "/favicon.ico", not "/favicon.icox".
fn starts_at_segment(path: &str, prefix: &str) -> bool {
    path.starts_with(prefix)
        && (prefix.ends_with('/')
            || path.len() == prefix.len()
            || path.as_bytes()[prefix.len()] == b'/')
}

/// The request path as routing sees it. A protected prefix must catch every spelling an
/// upstream might take for it (`/%74ermine/`, `/TERMINE/`, `//termine/`, `/termine;x/`), so
/// matching also runs on a canonical form: fail closed.
pub struct RequestPath<'a> {
    raw: &'a str,
    canonical: Option<String>,
}

impl<'a> RequestPath<'a> {
    pub fn new(raw: &'a str) -> RequestPath<'a> {
        let canonical = (!path_is_plain(raw)).then(|| canonical_path(raw));
        RequestPath { raw, canonical }
    }

    fn matches_prefix(&self, prefix: &str) -> bool {
        // "/termine" is the same place as "/termine/" to most upstreams.
        let bare = prefix.strip_suffix('/').filter(|b| !b.is_empty());
        let matches = |p: &str| {
            (p.len() >= prefix.len()
                && p.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes()))
                || bare.is_some_and(|b| p.eq_ignore_ascii_case(b))
        };
        matches(self.raw) || self.canonical.as_deref().is_some_and(matches)
    }
}

/// Percent-decoded (twice, for double encoding), `\` read as `/`, `;` parameters, empty and
/// `.` segments dropped, `..` applied.
fn canonical_path(raw: &str) -> String {
    let once = percent_decode(raw);
    let text = percent_decode(&once).replace('\\', "/");
    let mut segments: Vec<&str> = Vec::new();
    for segment in text.split('/') {
        match segment.split(';').next().unwrap_or("") {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(text.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    if text.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Who the visitor is: believes `X-Forwarded-For`/`-Proto` only from trusted proxies.
fn forwarded<B>(req: &Request<B>, conn: Conn, trusted: &[IpNet]) -> Forwarded {
    let peer_ip = conn.peer.ip().to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer_trusted = is_trusted(&peer_ip);
    let mut client_ip = peer_ip;
    let mut proto = if conn.tls { "https" } else { "http" };
    if peer_trusted {
        // The right-most address not ours is the visitor; bounded to the last 16 hops.
        let hops: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev().take(16) {
            // A hop that is not an address ends the trail: what stands left of it is the
            // visitor's own say and must not decide anything (e.g. a bypass CIDR).
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client_ip = ip.to_canonical();
            if !is_trusted(&client_ip) {
                break;
            }
        }
        if let Some(p) = req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
        {
            proto = if p.trim().eq_ignore_ascii_case("https") {
                "https"
            } else {
                "http"
            };
        }
    }
    Forwarded {
        client_ip,
        peer_ip,
        peer_trusted,
        proto,
    }
}

/// For `service_fn`.
pub async fn serve(
    gateway: Arc<Gateway>,
    req: Request<Incoming>,
    conn: Conn,
) -> Result<Response<Body>, Infallible> {
    Ok(gateway.handle(req, conn).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(issued: u64, cursor: u64) -> Figures {
        Figures {
            started_at: 0,
            issued,
            handed_out: issued,
            cursor,
            active: 0,
            limits: Limits::new(60.0, 0),
            state: crate::store::OperatorState::Open,
            pace: admission::Pace {
                per_minute: 60.0,
                spread: 0.0,
            },
            show_share: 1.0,
            adaptive: None,
            phase: Phase::Open,
            order: schedule::Order::Fifo,
        }
    }

    #[tokio::test]
    async fn the_line_for_upstream_slots_is_bounded() {
        let gate = Arc::new(UpstreamGate::new(1));
        let held = gate.slot().await.unwrap();
        let waiters: Vec<_> = (0..MIN_SLOT_LINE)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.slot().await.is_some() })
            })
            .collect();
        while gate.waiting.load(Ordering::Relaxed) < MIN_SLOT_LINE {
            tokio::task::yield_now().await;
        }
        assert!(
            gate.slot().await.is_none(),
            "a full line turns the next request away at once"
        );
        drop(held);
        for w in waiters {
            assert!(w.await.unwrap(), "everyone in line got a slot in turn");
        }
        assert_eq!(gate.waiting.load(Ordering::Relaxed), 0);
    }

    fn token(kind: Kind, seq: u64) -> Token {
        Token {
            kind,
            seq,
            expires_at: u64::MAX,
            id: 5,
        }
    }

    #[test]
    fn decisions() {
        let f = figures(100, 50);
        assert_eq!(decide(None, false, &f), Decision::Draw);
        assert_eq!(
            decide(Some(&token(Kind::Pass, 3)), true, &f),
            Decision::Proxy { session: 5, seq: 3 }
        );
        assert_eq!(
            decide(Some(&token(Kind::Pass, 3)), false, &f),
            Decision::Draw
        );
        assert_eq!(
            decide(Some(&token(Kind::Ticket, 49)), false, &f),
            Decision::Admit { seq: 49, place: 49 }
        );
        assert_eq!(
            decide(Some(&token(Kind::Ticket, 50)), false, &f),
            Decision::Wait {
                ticket: token(Kind::Ticket, 50),
                place: Place::At(50)
            }
        );
        assert_eq!(
            decide(Some(&token(Kind::Ticket, 100)), false, &f),
            Decision::Draw
        );
        let restarted = Figures { started_at: 6, ..f };
        assert_eq!(
            decide(Some(&token(Kind::Ticket, 10)), false, &restarted),
            Decision::Draw,
            "a ticket from before this line began"
        );
    }

    #[test]
    fn host_parsing() {
        let req = |h: &str| Request::builder().header("host", h).body(()).unwrap();
        assert_eq!(
            request_host(&req("Example.ORG:8080")).unwrap(),
            "example.org"
        );
        assert_eq!(request_host(&req("[::1]:80")).unwrap(), "::1");
        assert!(request_host(&req(&"a".repeat(300))).is_err());
        assert!(request_host(&req("a b")).is_err());
        assert!(request_host(&Request::builder().body(()).unwrap()).is_err());
    }

    #[test]
    fn ambiguous_paths_are_never_bypassed() {
        assert!(path_has_dot_segments("/static/../booking"));
        assert!(!path_has_dot_segments("/static/..x"));
        assert!(!path_is_plain("/static/%2e%2e/booking"));
        assert!(!path_is_plain("/static\\..\\booking"));
        assert!(path_is_plain("/static/app.css"));
        assert!(!path_is_plain("/a//b") && !path_is_plain("//") && !path_is_plain("/x;y"));
        assert!(path_is_plain("/") && path_is_plain("/a/b/"));
    }

    #[test]
    fn protected_prefix_catches_every_spelling() {
        for path in [
            "/termine/buchen",
            "/TERMINE/buchen",
            "/%74ermine/buchen",
            "//termine/buchen",
            "/termine;jsessionid=1/buchen",
            "/x/%2e%2e/termine/buchen",
            "/x/%252e%252e/termine/",
            "/termine",
            "/x\\..\\termine/",
        ] {
            assert!(RequestPath::new(path).matches_prefix("/termine/"), "{path}");
        }
        for path in ["/impressum", "/termineX", "/static/termine/"] {
            assert!(
                !RequestPath::new(path).matches_prefix("/termine/"),
                "{path}"
            );
        }
    }

    #[test]
    fn bypass_prefixes_match_at_segment_boundaries() {
        assert!(starts_at_segment("/favicon.ico", "/favicon.ico"));
        assert!(!starts_at_segment("/favicon.icox", "/favicon.ico"));
        assert!(starts_at_segment("/static/a.css", "/static/"));
        assert!(starts_at_segment("/static/a.css", "/static"));
        assert!(!starts_at_segment("/staticx", "/static"));
        assert!(!path_is_plain("/static/..;/termine"));
    }

    mod hostile {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any path an upstream would read as being under the prefix is caught by it,
            /// however it is spelt; and no path makes routing panic.
            #[test]
            fn every_spelling_under_the_prefix_is_caught(
                raw in "(/(termine|TeRmine|%74ermine|%2574ermine|x|%2e%2e|%2E|;a|[\\\\]|)){1,6}/?",
                noise in "[ -~]{0,40}",
            ) {
                let _ = RequestPath::new(&noise).matches_prefix("/termine/");
                prop_assume!(!path_has_dot_segments(&raw));
                if canonical_path(&raw).to_ascii_lowercase().starts_with("/termine/") {
                    prop_assert!(RequestPath::new(&raw).matches_prefix("/termine/"), "{}", raw);
                }
            }

            /// Any Host header bytes: an answer, never a panic, and an accepted name is clean.
            #[test]
            fn host_headers_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
                let Ok(value) = HeaderValue::from_bytes(&raw) else {
                    return Ok(());
                };
                let req = Request::builder().header(header::HOST, value).body(()).unwrap();
                if let Ok(host) = request_host(&req) {
                    prop_assert!(!host.is_empty() && host.len() <= MAX_HOST_LEN);
                    prop_assert!(host.bytes().all(|b| !b.is_ascii_uppercase()));
                }
            }
        }
    }
}
