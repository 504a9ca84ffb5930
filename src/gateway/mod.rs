//! The public side: owns what happens to a request. `hygiene` reads the request's facts
//! once (or refuses it), the site routes it to a room, `decide` answers the one question
//! without IO, and the handlers here carry the decision out; every handler returns a `Reply`,
//! rendered and counted in one place. The outer handler never fails.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::Body as _;
use hyper::body::Incoming;
use tokio::sync::{mpsc, watch};

use crate::access::passes::PassInFlight;
use crate::access::ticket::Kind;
use crate::clock::{Clock, Millis};
use crate::config::Lang;
use crate::forward::{self, Body, CookieName, Forwarded, Hold, ProxyError, UpstreamInFlight};
use crate::http1::{RequestBody, Upgrade, UpstreamError};
use crate::metrics::{Metrics, Outcome, Protection, Refused, UpstreamClass};
use crate::page::{self, RoomStateName};
use crate::queue::admission;
use crate::queue::supply::SupplyChange;
use crate::site::Route;
use crate::site::{RequestPath, Room, Site};
use crate::state::{Figures, SessionStart};

mod decide;
mod eligibility;
mod hygiene;
mod internal;
mod issue;
mod notify;
mod reply;
mod restore;
#[cfg(test)]
mod tests;
pub mod view;

pub use decide::{decide, Decision};
pub use reply::{plain, Reply};

use internal::Internal;
use issue::Issued;

/// Cookie holding the language a visitor picked with the page's switch.
pub const LANG_COOKIE: &str = forward::LANG_COOKIE_NAME;

/// `LANG_COOKIE` with its search, made once.
static LANG_COOKIE_NAME: std::sync::LazyLock<CookieName> =
    std::sync::LazyLock::new(|| CookieName::new(LANG_COOKIE));

/// The gateway: shared by every connection.
pub struct Gateway {
    pub site: ArcSwap<Site>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
    /// Supply reports on their way from the answers to the supervised task that applies
    /// them (`apply_supply_reports`).
    supply_reports: (
        mpsc::UnboundedSender<SupplyWork>,
        tokio::sync::Mutex<mpsc::UnboundedReceiver<SupplyWork>>,
    ),
    /// Switched connections (WebSockets), which outlive the request that opened them.
    tunnels: Tunnels,
    /// `[server.tls.acme]`: answers the CA's HTTP-01 validation on the plain listener. Set
    /// once at start, after the gateway is made.
    pub acme: std::sync::OnceLock<Arc<crate::acme::Acme>>,
}

/// The switched connections alive, so that a shutdown waits for them and then ends them.
#[derive(Default)]
struct Tunnels {
    running: tokio_util::task::TaskTracker,
    closing: tokio_util::sync::CancellationToken,
}

/// Facts about the visitor's connection.
#[derive(Clone)]
pub struct VisitorConn {
    pub peer: SocketAddr,
    pub tls: bool,
    /// What the connection holds of the listener's limits (its place under
    /// `max_connections` and its address's cap): a switched connection (a WebSocket) that
    /// outlives the request keeps it, so that tunnels count against the limits too.
    pub hold: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

/// The language cookie, read only when a page is made: most requests are proxied and never
/// need it.
pub(crate) enum LangCookie {
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
                forward::find_cookie(headers, &LANG_COOKIE_NAME).and_then(Lang::parse),
            ),
        }
    }
}

/// The request's facts the decision needs, read once.
pub struct Visit {
    host: String,
    fwd: Forwarded,
    /// `Accept-Language`, read only when a page is made (shares the request's bytes).
    lang_header: Option<HeaderValue>,
    /// The visitor's own choice of language (the page's switch), over `Accept-Language`.
    lang_choice: LangCookie,
    /// Path and query asked for: where the language switch returns to (shares the
    /// request's bytes; nothing is copied on the proxied path).
    target: Option<http::uri::PathAndQuery>,
    pub(crate) wants_json: bool,
    pub(crate) secure: bool,
    /// The connection's hold on the listener's limits (see `VisitorConn::hold`).
    pub(crate) hold: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl Visit {
    /// Where the visitor was going: what the language switch and the busy page return to.
    pub(crate) fn target(&self) -> &str {
        self.target.as_ref().map_or("/", |p| p.as_str())
    }

    /// The page language: the visitor's switch if the room offers it, else the best of
    /// `Accept-Language` the room offers, else the room's.
    pub(crate) fn lang(&self, locales: &crate::locale::Locales) -> Lang {
        let choice = match &self.lang_choice {
            LangCookie::Read(choice) => *choice,
            LangCookie::In(cookie) => {
                forward::find_cookie_in(std::iter::once(cookie), &LANG_COOKIE_NAME)
                    .and_then(Lang::parse)
            }
        };
        choice.filter(|l| locales.offers(*l)).unwrap_or_else(|| {
            let header = self.lang_header.as_ref().and_then(|v| v.to_str().ok());
            locales.pick(header)
        })
    }
}

impl Gateway {
    pub fn new(site: Site, clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Gateway {
        let (sender, receiver) = mpsc::unbounded_channel();
        Gateway {
            site: ArcSwap::from_pointee(site),
            clock,
            metrics,
            supply_reports: (sender, tokio::sync::Mutex::new(receiver)),
            tunnels: Tunnels::default(),
            acme: std::sync::OnceLock::new(),
        }
    }

    /// On shutdown: lets the switched connections go on for up to `grace`, then ends those
    /// still open; how many that was.
    pub async fn close_tunnels(&self, grace: Duration) -> usize {
        let tunnels = &self.tunnels;
        tunnels.running.close();
        if tokio::time::timeout(grace, tunnels.running.wait())
            .await
            .is_ok()
        {
            return 0;
        }
        let open = tunnels.running.len();
        tunnels.closing.cancel();
        tunnels.running.wait().await;
        open
    }

    /// Switched connections open now.
    pub fn tunnels_open(&self) -> usize {
        self.tunnels.running.len()
    }

    /// Answers one public request. Never fails.
    pub async fn handle(&self, req: Request<Incoming>, conn: VisitorConn) -> Response<Body> {
        // The CA's HTTP-01 validation comes over plain HTTP with the domain as its host,
        // before any room, host check or queue could hold it up.
        if let (false, Some(acme)) = (conn.tls, self.acme.get()) {
            if let Some(token) = req.uri().path().strip_prefix(crate::acme::HTTP01_PREFIX) {
                return match acme.http01(token).await {
                    Some(key_authorization) => reply::answer(
                        StatusCode::OK,
                        "text/plain",
                        bytes::Bytes::from(key_authorization),
                    ),
                    None => plain(StatusCode::NOT_FOUND, "no such challenge"),
                };
            }
        }
        let site = self.site.load_full();
        let visit = match hygiene::visit(&req, conn, &site) {
            Ok(visit) => visit,
            Err((status, why)) => {
                let mut refused = plain(status, why);
                if status == StatusCode::METHOD_NOT_ALLOWED {
                    refused.headers_mut().insert(
                        header::ALLOW,
                        HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"),
                    );
                }
                return refused;
            }
        };
        self.dispatch(&site, req, &visit).await.render(&visit)
    }

    /// Where a request goes: the gateway's own paths, a room's protected prefix, or the rest
    /// of a room's host.
    async fn dispatch<'a>(
        &self,
        site: &'a Site,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Reply<'a> {
        let path = req.uri().path();
        if let Some(rest) = path.strip_prefix("/.wartesaal/") {
            let what = Internal::of(rest);
            return self.internal(site, what, req, visit).await;
        }
        match site.route(&visit.host, &RequestPath::new(path)) {
            None => Reply::refused(
                StatusCode::NOT_FOUND,
                "no waiting room is configured for this host",
            ),
            Some(Route::Unprotected(room)) => {
                self.forward(room, req, visit, None, Outcome::Bypass).await
            }
            Some(Route::Protected(room)) => self.enter(room, req, visit).await,
        }
    }

    /// A request inside a room's prefix.
    async fn enter<'a>(&self, room: &'a Room, req: Request<Incoming>, visit: &Visit) -> Reply<'a> {
        if room.is_bypass(req.uri().path(), visit.fwd.client_ip, req.headers()) {
            return self.forward(room, req, visit, None, Outcome::Bypass).await;
        }
        if room.state.passes_everyone() {
            // The operator chose an open door over a closed one while Redis is away.
            return self.forward(room, req, visit, None, Outcome::Proxied).await;
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
            let on_pass = OnPass {
                session: pass.id,
                seq: pass.seq,
                expires_at: match cookie {
                    Some(_) => now_s + room.pass_lasts(),
                    None => pass.expires_at,
                },
                cookie,
                now,
            };
            return self
                .forward(room, req, visit, Some(on_pass), Outcome::Proxied)
                .await;
        }
        let figures = room.state.figures(now);
        match decide(token.as_ref(), session_live, &figures) {
            Decision::Proxy { session, seq } => {
                let on_pass = OnPass {
                    session,
                    seq,
                    expires_at: now_s + room.pass_lasts(),
                    cookie: Some(room.pass_cookie(session, seq, now_s, visit.secure)),
                    now,
                };
                self.forward(room, req, visit, Some(on_pass), Outcome::Proxied)
                    .await
            }
            Decision::Admit { seq, place } => {
                let started = room
                    .state
                    .admit_session(place, room.cfg.tickets.issuance.passes_per_ticket, now)
                    .await
                    .unwrap_or_else(|e| {
                        // The line holds while the shared state is away: in a moment.
                        tracing::warn!(room = %room.cfg.id, error = %e, "cannot start a session");
                        SessionStart::Later { ahead: 0 }
                    });
                match started {
                    SessionStart::New => {
                        room.metrics.line.admitted.inc();
                        let drawn_at = token.as_ref().map_or(now_s, |t| t.id);
                        let waits = &room.metrics.line.waits;
                        waits.admitted(seq, now_s.saturating_sub(drawn_at));
                        Box::pin(self.admitted(room, req, visit, place, seq, now)).await
                    }
                    SessionStart::Existing => {
                        Box::pin(self.admitted(room, req, visit, place, seq, now)).await
                    }
                    // The upstream already ended this number's session: it does not get back in.
                    SessionStart::Ended => Box::pin(self.draw(room, req, visit, None, now)).await,
                    // A copy of a ticket that got its holders in as often as it may (an
                    // e-mail's link tapped again in a mail program without cookies): told so
                    // plainly, with the way to join again at the back; its cookie goes.
                    SessionStart::UsedUp => {
                        room.metrics.refused(Refused::TicketUsedUp);
                        tracing::info!(room = %room.cfg.id, seq, "ticket used up: told so");
                        restore::used_up(room, visit)
                    }
                    SessionStart::Later { ahead } => {
                        moment(room, visit, &figures, None, now_s, ahead)
                    }
                }
            }
            Decision::Wait { ticket, .. } => {
                if figures.learns_from_tickets() {
                    room.state.ticket_seen(ticket.seq);
                }
                let cookie = room.renewed_ticket(&ticket, now_s, visit.secure);
                let mut reply = waiting(room, visit, &figures, Some(ticket.seq), cookie, now_s);
                if let Reply::Waiting { view, .. } = &mut reply {
                    notify::noted_address(room, visit, view, ticket.seq).await;
                }
                reply
            }
            // Nothing left to book: say so instead of handing out a number.
            Decision::Draw if figures.closed_to_newcomers() => {
                waiting(room, visit, &figures, None, None, now_s)
            }
            Decision::Draw => Box::pin(self.draw(room, req, visit, token.as_ref(), now)).await,
            // Not open yet: the countdown, and no number to hold on to.
            Decision::NotYet => waiting(room, visit, &figures, None, None, now_s),
        }
    }

    /// Hands out a new number: straight through when nobody waits, else the waiting page.
    /// A room with eligibility questions asks them first (`token`: the visitor's answer so
    /// far). With proof of work on, the browser gets a challenge instead and draws by
    /// solving it.
    async fn draw<'a>(
        &self,
        room: &'a Room,
        req: Request<Incoming>,
        visit: &Visit,
        token: Option<&crate::access::ticket::Token>,
        now: Millis,
    ) -> Reply<'a> {
        let now_s = now / 1000;
        if !room.may_draw(token) {
            if visit.wants_json {
                // A client that asks for JSON learns where the questions are.
                let figures = room.state.figures(now);
                let lang = visit.lang(&room.cfg.locales);
                let mut view = view::view(room, &figures, None, lang, now_s);
                view.doors.eligibility = Some(room.eligibility_path());
                return Reply::Json {
                    room,
                    view,
                    cookie: None,
                    outcome: Outcome::Waiting,
                    now_s,
                };
            }
            // A cookie that brought the visitor here (a used-up or ended ticket, another
            // line's) holds no place: it goes, so that the answers can take its slot.
            let clear = forward::find_cookie(req.headers(), &room.cookie_name)
                .map(|_| room.clear_cookie(visit.secure));
            return eligibility::ask(room, visit, visit.target(), now_s, None, clear);
        }
        if room.cfg.tickets.invitations_required {
            // Only an invitation draws here: its form, with the JSON saying where it goes.
            let lang = visit.lang(&room.cfg.locales);
            if visit.wants_json {
                let figures = room.state.figures(now);
                let mut view = view::view(room, &figures, None, lang, now_s);
                view.doors.invitation =
                    Some(format!("/.wartesaal/invitation?room={}", room.cfg.id));
                return Reply::Json {
                    room,
                    view,
                    cookie: None,
                    outcome: Outcome::Waiting,
                    now_s,
                };
            }
            return Reply::Questions {
                room,
                status: StatusCode::OK,
                body: page::invitation_page(room.templates.as_deref(), &room.cfg, lang, None, None),
                cookie: forward::find_cookie(req.headers(), &room.cookie_name)
                    .map(|_| room.clear_cookie(visit.secure)),
                location: None,
                outcome: Outcome::Waiting,
            };
        }
        if room.issuance.challenges.is_some() {
            // Work is handed out only to those who could get a ticket for it.
            if let Err(retry) = room.issuance.would_allow(visit.fwd.client_ip, now) {
                return limited(room, visit, retry);
            }
            let figures = room.state.figures(now);
            let lang = visit.lang(&room.cfg.locales);
            let mut view = view::view(room, &figures, None, lang, now_s);
            room.challenge(&mut view, now_s);
            // A cookie that brought the visitor here (used up, ended, expired) goes: the
            // solution is handed in for a new ticket, not judged by the old cookie again.
            // The answers' "yes" stays: the solution is judged with it.
            let answered = room.asks() && token.is_some_and(|t| t.kind == Kind::Answered);
            let clear = forward::find_cookie(req.headers(), &room.cookie_name)
                .filter(|_| !answered)
                .map(|_| room.clear_cookie(visit.secure));
            return Reply::Waiting {
                room,
                view,
                lang,
                cookie: clear,
                now_s,
            };
        }
        let (drawn, figures) = match self.issue(room, visit, token, None, now).await {
            Ok(Issued::Drawn(drawn, figures)) => (drawn, figures),
            Ok(Issued::Again(seq)) => return eligibility::given_back(room, visit, seq, now_s),
            Err(refused) => return refused,
        };
        // Straight through: a number drawn after any pre-queue is its own place.
        let passes = room.cfg.tickets.issuance.passes_per_ticket;
        if drawn.admitted
            && matches!(
                room.state.admit_session(drawn.seq, passes, now).await,
                Ok(SessionStart::New)
            )
        {
            room.metrics.line.admitted.inc();
            room.metrics.line.waits.admitted(drawn.seq, 0);
            return self
                .admitted(room, req, visit, drawn.seq, drawn.seq, now)
                .await;
        }
        if !drawn.admitted && view::state_of(&figures) == RoomStateName::Open {
            // What this newcomer's page says, kept to set against the wait they will have had.
            let position = figures.position(drawn.seq) + figures.claimed;
            let told = admission::estimate(position, &figures.movement.pace);
            room.metrics.line.waits.told(drawn.seq, told.low, told.high);
        }
        let cookie = Some(room.ticket_cookie(drawn.seq, now_s, now_s, visit.secure));
        if drawn.admitted {
            moment(room, visit, &figures, cookie, now_s, 0)
        } else {
            waiting(room, visit, &figures, Some(drawn.seq), cookie, now_s)
        }
    }

    /// Mints a pass for a called number whose session has been started and forwards the
    /// request: the visitor lands where they wanted to go.
    async fn admitted<'a>(
        &self,
        room: &'a Room,
        req: Request<Incoming>,
        visit: &Visit,
        session: u64,
        seq: u64,
        now: Millis,
    ) -> Reply<'a> {
        tracing::debug!(room = %room.cfg.id, seq, session, "admitted");
        let on_pass = OnPass {
            session,
            seq,
            expires_at: now / 1000 + room.pass_lasts(),
            cookie: Some(room.pass_cookie(session, seq, now / 1000, visit.secure)),
            now,
        };
        self.forward(room, req, visit, Some(on_pass), Outcome::Proxied)
            .await
    }

    /// Sends the request to the room's upstream. `on_pass` is the visitor's session and renewed
    /// pass, if they have one; `outcome` is what a forwarded answer counts as (`Bypass` or
    /// `Proxied`). A failed exchange counts as what the visitor got instead (`Busy`, or
    /// `Rejected` for an upload they cut off), never as both.
    async fn forward<'a>(
        &self,
        room: &'a Room,
        req: Request<Incoming>,
        visit: &Visit,
        on_pass: Option<OnPass>,
        outcome: Outcome,
    ) -> Reply<'a> {
        // A pass copied to many machines gets no more than one browser.
        let pass = match &on_pass {
            Some(p) => match room.issuance.passes.enter(p.session, p.now) {
                Ok(place) => Some(place),
                Err(why) => {
                    room.metrics.protected(Protection::PassLimit, 1);
                    tracing::debug!(room = %room.cfg.id, session = p.session, ?why, "pass over its bound");
                    return Reply::Throttled { room };
                }
            },
            None => None,
        };
        // The booking site's proof that this visitor came through the line.
        let admission = match (&room.cfg.forward.admission_key, &on_pass) {
            (Some(key), Some(p)) => {
                let since = room.state.session_started(p.session).await.ok().flatten();
                Some(crate::access::admission::header(
                    key,
                    &room.cfg.id,
                    p.seq,
                    since.unwrap_or(p.now) / 1000,
                    p.expires_at,
                ))
            }
            _ => None,
        };
        match self
            .exchange(room, req, visit, pass, admission.as_deref())
            .await
        {
            Ok((mut resp, released)) => {
                let h = resp.headers_mut();
                match (on_pass, released) {
                    (Some(p), true) => {
                        // Long enough that neither the pass nor a saved copy of the called
                        // ticket (not refreshed once called) can still be valid afterwards.
                        let keep = room.pass_lasts().max(room.ticket_lasts());
                        let until = (self.clock.now_ms() / 1000 + keep + 1) * 1000;
                        room.state.session_ended(p.session, until);
                        tracing::info!(room = %room.cfg.id, "session released by upstream");
                        h.append(header::SET_COOKIE, room.clear_cookie(visit.secure));
                    }
                    (
                        Some(OnPass {
                            cookie: Some(cookie),
                            ..
                        }),
                        false,
                    ) => {
                        h.append(header::SET_COOKIE, cookie);
                    }
                    (Some(_) | None, _) => {}
                }
                Reply::Forwarded {
                    room,
                    response: resp,
                    outcome,
                }
            }
            Err(e) => {
                // Every failure tells the adaptive rate that the backend did not cope; a timeout
                // also took the whole `upstream_timeout`.
                let (class, took) = match &e {
                    ProxyError::Timeout => (
                        Some(UpstreamClass::Timeout),
                        Some(room.cfg.forward.upstream_timeout),
                    ),
                    ProxyError::Upstream(_) => (Some(UpstreamClass::Error), None),
                    ProxyError::Saturated => (None, None),
                    ProxyError::UploadIdle => {
                        room.metrics.protected(Protection::UploadIdle, 1);
                        tracing::debug!(room = %room.cfg.id, "upload stalled");
                        return Reply::rejected(
                            room,
                            StatusCode::REQUEST_TIMEOUT,
                            "the upload stalled; send it again",
                        );
                    }
                    ProxyError::Visitor(_) => {
                        // Nothing the upstream did: no mark against it, and a plain answer
                        // (the visitor's side is most likely gone anyway).
                        tracing::debug!(room = %room.cfg.id, error = %e, "request body failed");
                        return Reply::rejected(
                            room,
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
                Reply::Busy {
                    room,
                    cookie: on_pass.and_then(|p| p.cookie),
                }
            }
        }
    }

    async fn exchange(
        &self,
        room: &Room,
        mut req: Request<Incoming>,
        visit: &Visit,
        pass: Option<PassInFlight>,
        admission: Option<&str>,
    ) -> Result<(Response<Body>, bool), ProxyError> {
        let idle = room.cfg.forward.body_idle_timeout;
        // A WebSocket handshake (or another switch of protocols) of someone let through.
        let upgrade = forward::upgrade_asked(&req);
        let on_upgrade = upgrade.as_ref().map(|_| hyper::upgrade::on(&mut req));
        let (parts, body) = req.into_parts();
        // An upload is read before a slot is taken: however slowly it trickles in, it holds
        // nothing the booking site needs meanwhile.
        let body = if body.is_end_stream() {
            RequestBody::empty()
        } else {
            Box::pin(forward::read_ahead(body, idle)).await?
        };
        // Requests that did not queue take from a share of the slots; admitted visitors'
        // requests never wait for them.
        let unqueued = pass.is_none();
        let slot = room
            .upstream
            .slot(unqueued)
            .await
            .ok_or(ProxyError::Saturated)?;
        let in_flight = UpstreamInFlight::start(&room.metrics.upstream_in_flight);
        let ours = our_headers(room, admission);
        let upstream_req = forward::upstream_request(
            Request::from_parts(parts, body),
            &room.cookie_name,
            &visit.host,
            &visit.fwd,
            upgrade.as_ref(),
            &ours,
        );
        let hold = Hold {
            slot,
            in_flight,
            pass,
        };
        let started = Instant::now();
        let sent = async {
            match on_upgrade {
                None => room.pool.send(upstream_req).await.map(Upgrade::Refused),
                Some(_) => Box::pin(room.pool.upgrade(upstream_req)).await,
            }
        };
        let answer = match tokio::time::timeout(room.cfg.forward.upstream_timeout, sent).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(ProxyError::Timeout),
        };
        let status = match &answer {
            Upgrade::Refused(resp) => resp.status(),
            Upgrade::Switched { response, .. } => response.status(),
        };
        let took = started.elapsed();
        room.metrics.upstream_duration.observe(took.as_secs_f64());
        room.upstream
            .stats
            .record(Some(took), status.is_server_error());
        room.metrics.upstream(UpstreamClass::of_status(status));
        let idled = room.metrics.protection(Protection::ResponseIdle);
        match (answer, on_upgrade) {
            (Upgrade::Refused(mut resp), _) => {
                let released = self.clean(room, resp.headers_mut());
                Ok((forward::streamed(resp, hold, idle, idled), released))
            }
            (Upgrade::Switched { mut response, io }, Some(visitor)) => {
                let Some(protocol) = response.headers().get(header::UPGRADE).cloned() else {
                    return Err(ProxyError::Upstream(UpstreamError::Invalid(
                        "switched protocols without saying to which",
                    )));
                };
                let released = self.clean(room, response.headers_mut());
                // The visitor gets the 101 and the connection lives on its own, holding the
                // slot and the pass's place.
                let h = response.headers_mut();
                h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
                h.insert(header::UPGRADE, protocol);
                let connection = visit.hold.clone();
                let closing = self.tunnels.closing.clone();
                self.tunnels.running.spawn(async move {
                    tokio::select! {
                        () = forward::tunnel(visitor, io, hold, idle, idled) => {}
                        () = closing.cancelled() => {}
                    }
                    drop(connection);
                });
                Ok((
                    response.map(|()| forward::full(bytes::Bytes::new())),
                    released,
                ))
            }
            (Upgrade::Switched { .. }, None) => Err(ProxyError::Upstream(UpstreamError::Invalid(
                "switched protocols unasked",
            ))),
        }
    }

    /// Cleans the upstream's answer headers and takes in what they said of the supply;
    /// whether the upstream ended the session.
    fn clean(&self, room: &Room, headers: &mut HeaderMap) -> bool {
        let cleaned = forward::clean_response(headers);
        if room.cfg.forward.origin_header.is_some() || room.cfg.forward.admission_key.is_some() {
            // The admission header's value differs per request: its name is enough.
            let secrets = [room
                .cfg
                .forward
                .origin_header
                .as_ref()
                .map_or(&[][..], |h| h.value.as_bytes())];
            let echoed = forward::strip_secrets(headers, &our_headers(room, None), &secrets);
            if echoed > 0 {
                room.metrics.protected(Protection::UpstreamEcho, echoed);
                tracing::warn!(room = %room.cfg.id, echoed, "the upstream echoed a header the gateway added; dropped");
            }
        }
        if !cleaned.supply.is_empty() {
            self.take_supply(room, cleaned.supply);
        }
        if cleaned.planted_cookies > 0 {
            room.metrics
                .protected(Protection::UpstreamCookie, cleaned.planted_cookies);
            tracing::warn!(room = %room.cfg.id, "the upstream set a cookie of the gateway's; dropped");
        }
        cleaned.released
    }

    /// The booking site's report on an answer: counted, and applied without holding the
    /// answer up (shared: in Redis, queued through an outage).
    fn take_supply(&self, room: &Room, report: forward::SupplyReport) {
        let m = &room.metrics;
        if report.ignored > 0 {
            m.supply.supply_ignored.inc_by(report.ignored);
            tracing::warn!(room = %room.cfg.id, ignored = report.ignored, "supply header ignored: not a plain count within bounds, or sent twice");
        }
        let changes: Vec<SupplyChange> = report.changes.into_iter().flatten().collect();
        if changes.is_empty() || room.cfg.supply.is_none() {
            return;
        }
        for change in &changes {
            if let SupplyChange::Booked(n) = change {
                m.supply.bookings.inc_by(*n);
            }
        }
        let report = SupplyWork {
            state: room.state.clone(),
            room: room.cfg.id.clone(),
            changes,
            at: self.clock.now_ms(),
        };
        if self.supply_reports.0.send(report).is_err() {
            tracing::warn!(room = %room.cfg.id, "supply report dropped: the gateway is stopping");
        }
    }

    /// Applies the booking site's supply reports in the order they came, until `stopped`
    /// (then the ones already sent are applied too). Run by the supervisor (`supply
    /// reports`); a report is never applied on the request's own time.
    pub async fn apply_supply_reports(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut reports = self.supply_reports.1.lock().await;
        loop {
            let work = tokio::select! {
                work = reports.recv() => work,
                _ = stopped.changed() => break,
            };
            let Some(work) = work else { return };
            work.apply().await;
        }
        while let Ok(work) = reports.try_recv() {
            work.apply().await;
        }
    }
}

/// One answer's supply report, to be applied to its room's state.
pub struct SupplyWork {
    state: Arc<dyn crate::state::RoomState>,
    room: String,
    changes: Vec<SupplyChange>,
    at: Millis,
}

impl SupplyWork {
    async fn apply(self) {
        for change in self.changes {
            match self.state.supply(change, self.at, false).await {
                Ok(Some(s)) if s.sold_out() => {
                    tracing::info!(room = %self.room, "sold out: no appointments left")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(room = %self.room, error = %e, "supply report kept for later")
                }
            }
        }
    }
}

/// The headers the gateway adds to (or keeps from) a forwarded request of `room`.
fn our_headers<'a>(room: &'a Room, admission: Option<&'a str>) -> forward::OurHeaders<'a> {
    forward::OurHeaders {
        set: [
            room.cfg
                .forward
                .origin_header
                .as_ref()
                .map(|h| (&h.name, h.value.as_bytes())),
            admission.map(|text| (&forward::X_WARTESAAL_ADMISSION, text.as_bytes())),
        ],
        dropped: room.cfg.scope.bypass_header.as_ref().map(|h| &h.name),
    }
}

/// A request on a visitor's session: the session, its renewed pass (when one is due), and
/// when the request came.
struct OnPass {
    session: u64,
    /// The ticket it was let in on, and when its pass runs out (Unix seconds).
    seq: u64,
    expires_at: u64,
    cookie: Option<HeaderValue>,
    now: Millis,
}

/// The waiting page at `place` (or without one).
fn waiting<'a>(
    room: &'a Room,
    visit: &Visit,
    figures: &Figures,
    seq: Option<u64>,
    cookie: Option<HeaderValue>,
    now_s: u64,
) -> Reply<'a> {
    let lang = visit.lang(&room.cfg.locales);
    let place = seq.map(|s| figures.order.place(s));
    let mut view = view::view(room, figures, place, lang, now_s);
    view.doors.place_code = seq.and_then(|s| room.place_code(s, figures));
    Reply::Waiting {
        room,
        view,
        lang,
        cookie,
        now_s,
    }
}

/// A called number whose holder came in a second when more sessions had begun than the rate
/// allows: first in line, in again in a moment.
fn moment<'a>(
    room: &'a Room,
    visit: &Visit,
    figures: &Figures,
    cookie: Option<HeaderValue>,
    now_s: u64,
    ahead: u64,
) -> Reply<'a> {
    let lang = visit.lang(&room.cfg.locales);
    let view = view::moment_view(room, figures, lang, now_s, ahead);
    Reply::Waiting {
        room,
        view,
        lang,
        cookie,
        now_s,
    }
}

/// Too many new tickets from the visitor's address. A ticket the visitor already holds is
/// not touched.
fn limited<'a>(room: &'a Room, visit: &Visit, retry_after: u64) -> Reply<'a> {
    room.metrics.refused(Refused::RateLimit);
    tracing::debug!(room = %room.cfg.id, client = %visit.fwd.client_ip, "issuance limit reached");
    Reply::Limited { room, retry_after }
}

/// For `service_fn`.
pub async fn serve(
    gateway: Arc<Gateway>,
    req: Request<Incoming>,
    conn: VisitorConn,
) -> Result<Response<Body>, Infallible> {
    Ok(gateway.handle(req, conn).await)
}
