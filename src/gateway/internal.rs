//! The gateway's own paths under `/.wartesaal/`: the page's assets, the status JSON, the
//! language switch and solved proof-of-work challenges. Must not forward anything.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::access::issuance::{Challenges, Refusal};
use crate::access::ticket::{Kind, Token, TokenError};
use crate::clock::Millis;
use crate::forward::Body;
use crate::locale::Lang;
use crate::metrics::{Outcome, Refused};
use crate::page;
use crate::queue::admission::Estimate;
use crate::queue::schedule::Place;
use crate::site::path::percent_decode;
use crate::site::{RequestPath, Room, Route, Site};
use crate::state::{Figures, OperatorState};

use super::issue::Issued;
use super::reply::{answer, asset, plain};
use super::{decide, view, Decision, Gateway, Reply, Visit, LANG_COOKIE};

/// How long a browser may take to send a solved challenge's few bytes.
const PROOF_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// A solved challenge is a short form; anything longer is not one.
const MAX_PROOF_BODY: usize = 256;

impl Gateway {
    /// `/.wartesaal/…`: assets, the status JSON and solved challenges.
    pub(super) async fn internal<'a>(
        &self,
        site: &'a Site,
        what: Internal,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Reply<'a> {
        if matches!(
            what,
            Internal::Ticket
                | Internal::Eligibility
                | Internal::Restore
                | Internal::Invitation
                | Internal::Notify
        ) {
            return match internal_room(site, &req, visit) {
                Some(room) if what == Internal::Ticket => {
                    Box::pin(self.redeem(room, req, visit)).await
                }
                Some(room) if what == Internal::Restore => {
                    Box::pin(self.restore(room, req, visit)).await
                }
                Some(room) if what == Internal::Invitation => {
                    Box::pin(self.invitation(room, req, visit)).await
                }
                Some(room) if what == Internal::Notify => {
                    Box::pin(self.notify(room, req, visit)).await
                }
                Some(room) => Box::pin(self.answered(room, req, visit)).await,
                None => Reply::refused(StatusCode::NOT_FOUND, "no such room on this host"),
            };
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Reply::refused(StatusCode::METHOD_NOT_ALLOWED, "only GET is allowed here");
        }
        match what {
            Internal::Css => Reply::Made(asset("text/css; charset=utf-8", page::ASSET_CSS)),
            Internal::Script => {
                Reply::Made(asset("text/javascript; charset=utf-8", page::ASSET_JS))
            }
            Internal::Lang => {
                let room = internal_room(site, &req, visit);
                Reply::Made(language_switch(&req, visit, room.map(|r| &*r.cfg.locales)))
            }
            Internal::Status => match internal_room(site, &req, visit) {
                Some(room) => self.status(room, req.headers(), visit).await,
                None => Reply::refused(StatusCode::NOT_FOUND, "no such room on this host"),
            },
            Internal::Ticket
            | Internal::Eligibility
            | Internal::Restore
            | Internal::Invitation
            | Internal::Notify
            | Internal::Unknown => Reply::refused(StatusCode::NOT_FOUND, "not found"),
        }
    }

    /// `POST /.wartesaal/ticket`: a browser hands in a solved challenge
    /// (`challenge=…&nonce=…`) and gets a ticket. The challenge is checked with one hash and
    /// used up; the issuance limit applies as to any new ticket.
    async fn redeem<'a>(&self, room: &'a Room, req: Request<Incoming>, visit: &Visit) -> Reply<'a> {
        if req.method() != Method::POST {
            return Reply::rejected(
                room,
                StatusCode::METHOD_NOT_ALLOWED,
                "hand in a solved challenge with POST",
            );
        }
        let Some(challenges) = room.issuance.challenges.clone() else {
            return Reply::rejected(
                room,
                StatusCode::NOT_FOUND,
                "this room does not ask for a proof of work",
            );
        };
        let headers = req.headers().clone();
        let Ok(body) = short_form(req.into_body(), MAX_PROOF_BODY, PROOF_BODY_TIMEOUT).await else {
            return Reply::rejected(
                room,
                StatusCode::PAYLOAD_TOO_LARGE,
                "a solved challenge is a short form sent at once: challenge=...&nonce=...",
            );
        };
        // The time is taken once the body is in: a challenge's expiry and the address limit
        // are judged as of now, not as of when a slow client began.
        let now = self.clock.now_ms();
        let now_s = now / 1000;
        let token = room.token(&headers, now_s);
        let figures = room.state.figures(now);
        match puzzle_draw(room, token.as_ref(), &figures) {
            PuzzleDraw::Draws => {}
            // A second submit: the visitor holds a place already and keeps it.
            PuzzleDraw::HoldsPlace => return self.status(room, &headers, visit).await,
            PuzzleDraw::Refused(status, text) => return Reply::rejected(room, status, text),
        }
        let (id, until) = match solved_challenge(room, &challenges, &body, now_s) {
            Ok(solved) => solved,
            Err((status, text)) => return Reply::rejected(room, status, text),
        };
        let (seq, figures) = match self
            .issue(room, visit, token.as_ref(), Some((id, until)), now)
            .await
        {
            Ok(Issued::Drawn(drawn, figures)) => (drawn.seq, figures),
            // A copy of an answered form's cookie: its ticket, while it holds a place.
            Ok(Issued::Again(seq)) if figures.holds(seq) => (seq, figures),
            Ok(Issued::Again(_)) => {
                return Reply::rejected(
                    room,
                    StatusCode::CONFLICT,
                    "these answers drew a ticket already; reload the page to answer again",
                )
            }
            Err(refused) => return refused,
        };
        let lang = visit.lang(&room.cfg.locales);
        let place = figures.order.place(seq);
        let mut view = view::view(room, &figures, Some(place), lang, now_s);
        view.doors.place_code = room.place_code(seq, &figures);
        Reply::Json {
            room,
            view,
            cookie: Some(room.ticket_cookie(seq, now_s, now_s, visit.secure)),
            outcome: Outcome::Waiting,
            now_s,
        }
    }

    /// The status JSON for the caller's ticket. Polling it keeps the place held.
    async fn status<'a>(&self, room: &'a Room, headers: &HeaderMap, visit: &Visit) -> Reply<'a> {
        let now = self.clock.now_ms();
        let now_s = now / 1000;
        let token = room.token(headers, now_s);
        let figures = room.state.figures(now);
        let lang = visit.lang(&room.cfg.locales);
        // The same question as for a page request, answered without acting on it: the status
        // never mints a pass or draws a number.
        let (view, cookie) = match decide(token.as_ref(), true, &figures) {
            Decision::Proxy { .. } => {
                let mut view = view::view(room, &figures, None, lang, now_s);
                view.admitted = true;
                // In already: no chance to tell.
                view.supply.chance = None;
                view.supply.chance_text = None;
                view.set_eta(room.cfg.locales.get(lang), Some(Estimate::NOW));
                (view, None)
            }
            // A called ticket is not refreshed: it is meant to be turned into a pass now, not
            // kept alive indefinitely.
            // It says "in" only if the page would let them in now: else "in a moment", as
            // the page says when more have started this second than the rate allows.
            // Asked of the shared state for a called ticket only (a few people at a time):
            // when it cannot be asked, the page decides.
            Decision::Admit { place, .. } => {
                match room.state.claims_ahead(place, now).await.unwrap_or(None) {
                    None => (
                        view::view(room, &figures, Some(Place::At(place)), lang, now_s),
                        None,
                    ),
                    Some(ahead) => (view::moment_view(room, &figures, lang, now_s, ahead), None),
                }
            }
            Decision::Wait { ticket, place } => {
                if figures.learns_from_tickets() {
                    room.state.ticket_seen(ticket.seq);
                }
                let mut view = view::view(room, &figures, Some(place), lang, now_s);
                view.doors.place_code = room.place_code(ticket.seq, &figures);
                (view, room.renewed_ticket(&ticket, now_s, visit.secure))
            }
            Decision::Draw => {
                // A script or API client that needs a ticket learns the questions, or the
                // puzzle that follows them, here too.
                let mut view = view::view(room, &figures, None, lang, now_s);
                let open = !figures.closed_to_newcomers();
                if open && !room.may_draw(token.as_ref()) {
                    view.doors.eligibility = Some(room.eligibility_path());
                } else if open && room.cfg.tickets.invitations_required {
                    view.doors.invitation =
                        Some(format!("/.wartesaal/invitation?room={}", room.cfg.id));
                } else if open {
                    room.challenge(&mut view, now_s);
                }
                (view, None)
            }
            Decision::NotYet => (view::view(room, &figures, None, lang, now_s), None),
        };
        Reply::Json {
            room,
            view,
            cookie,
            outcome: Outcome::Status,
            now_s,
        }
    }
}

/// What a solved puzzle does for the holder of `token` now.
enum PuzzleDraw {
    Draws,
    /// They hold a place already, and are shown it.
    HoldsPlace,
    Refused(StatusCode, &'static str),
}

fn puzzle_draw(room: &Room, token: Option<&Token>, figures: &Figures) -> PuzzleDraw {
    let refuse = PuzzleDraw::Refused;
    match decide(token, true, figures) {
        Decision::Draw if figures.state == OperatorState::Closed => {
            refuse(StatusCode::CONFLICT, "the room is closed; no new tickets")
        }
        Decision::Draw if figures.sold_out() => refuse(
            StatusCode::CONFLICT,
            "every appointment is booked; no new tickets until there are new ones",
        ),
        Decision::NotYet => refuse(
            StatusCode::CONFLICT,
            "the queue has not opened yet; the page says when it does",
        ),
        Decision::Wait { .. } => PuzzleDraw::HoldsPlace,
        // Questions come before the puzzle.
        Decision::Draw if !room.may_draw(token) => refuse(
            StatusCode::FORBIDDEN,
            "answer the room's questions first; reload the page for them",
        ),
        // An invitation draws, not a puzzle.
        Decision::Draw if room.cfg.tickets.invitations_required => refuse(
            StatusCode::FORBIDDEN,
            "this room takes invitation codes: POST code=... to /.wartesaal/invitation",
        ),
        // Anything else (no ticket, or one that brought them to the puzzle: used up,
        // ended) draws anew.
        Decision::Draw | Decision::Proxy { .. } | Decision::Admit { .. } => PuzzleDraw::Draws,
    }
}

/// The challenge `body` (`challenge=…&nonce=…`) solves, checked and used up: its id and when
/// it ends (Unix ms). `Err`: the status and text to refuse it with.
fn solved_challenge(
    room: &Room,
    challenges: &Challenges,
    body: &[u8],
    now_s: u64,
) -> Result<(u64, Millis), (StatusCode, &'static str)> {
    let field = |name: &str| {
        std::str::from_utf8(body).ok().and_then(|text| {
            text.split('&')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        })
    };
    let (Some(challenge), Some(nonce)) = (field("challenge"), field("nonce")) else {
        return Err((
            StatusCode::BAD_REQUEST,
            "expected the form challenge=...&nonce=...",
        ));
    };
    let refuse = |status, text| {
        room.metrics.refused(Refused::ProofOfWork);
        Err((status, text))
    };
    let (id, bits, until) = match room.keys.verify(challenge, now_s) {
        // The difficulty it was issued with: a reload that changes the setting does not
        // spoil puzzles being solved.
        Ok(t) if t.kind == Kind::Challenge => (t.id, t.seq.min(255) as u8, t.expires_at * 1000),
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
        Ok(()) => Ok((id, until)),
        Err(Refusal::Wrong) => refuse(
            StatusCode::FORBIDDEN,
            "the nonce does not solve the challenge",
        ),
        Err(Refusal::Used) => refuse(
            StatusCode::GONE,
            "the challenge was used already; reload the page for a new one",
        ),
    }
}

/// Why a short form sent to the gateway was not read.
pub(super) enum FormBody {
    TooLong,
    TooSlow,
}

/// A short form's body (a solved challenge, the eligibility answers): at most `max` bytes,
/// all of it within `timeout`.
pub(super) async fn short_form(
    body: Incoming,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, FormBody> {
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Ok(Ok(body)) => Ok(body.to_bytes()),
        Ok(Err(_)) => Err(FormBody::TooLong),
        Err(_) => Err(FormBody::TooSlow),
    }
}

/// How long a browser may take to send a form's few bytes.
pub(super) const FORM_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// A form's body, read as `short_form` does within `FORM_BODY_TIMEOUT`, or the answer to one
/// that is too long (413, `too_long` says what the form holds) or too slow (408, `too_slow`).
pub(super) async fn form_body<'a>(
    room: &'a Room,
    body: Incoming,
    max: usize,
    too_long: &'static str,
    too_slow: &'static str,
) -> Result<Bytes, Reply<'a>> {
    short_form(body, max, FORM_BODY_TIMEOUT)
        .await
        .map_err(|why| match why {
            FormBody::TooLong => Reply::rejected(room, StatusCode::PAYLOAD_TOO_LARGE, too_long),
            FormBody::TooSlow => Reply::rejected(room, StatusCode::REQUEST_TIMEOUT, too_slow),
        })
}

/// `back` if it is a path on this site, else `/`: no scheme, no `//host`, no backslash
/// tricks, and no control characters or spaces (browsers drop tabs and newlines from URLs:
/// `/\t/evil`).
pub(super) fn local_path(back: String) -> String {
    if !back.starts_with('/')
        || back.starts_with("//")
        || back.contains('\\')
        || back.bytes().any(|b| b <= b' ' || b == 0x7f)
    {
        return "/".into();
    }
    if back.is_ascii() {
        return back;
    }
    // A `Location` is ASCII: anything else goes percent-encoded, as a browser would send it.
    let mut out = String::with_capacity(back.len() * 3);
    for b in back.bytes() {
        if b.is_ascii() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /.wartesaal/lang?to=en&back=/path`: remembers the choice for a year and returns to
/// the page (only to a path on this site, never elsewhere).
fn language_switch<B>(
    req: &Request<B>,
    visit: &Visit,
    locales: Option<&crate::locale::Locales>,
) -> Response<Body> {
    let query = req.uri().query().unwrap_or("");
    let mut to = None;
    let mut back = "/".to_string();
    for pair in query.split('&').take(8) {
        match pair.split_once('=') {
            Some(("to", v)) => to = Some(percent_decode(v)),
            Some(("back", v)) => back = percent_decode(v),
            _ => {}
        }
    }
    let offered: Vec<String> = match locales {
        Some(l) => l.menu().map(|l| l.lang().to_string()).collect(),
        None => crate::locale::SHIPPED
            .iter()
            .map(|(t, _)| t.to_string())
            .collect(),
    };
    let lang = to.as_deref().and_then(Lang::parse);
    let Some(lang) = lang.filter(|l| offered.iter().any(|o| o == l.code())) else {
        let asked = to.as_deref().unwrap_or("");
        let why = if asked.is_empty() {
            "say which language: ?to=TAG".to_string()
        } else {
            format!("this page does not speak `{asked}`")
        };
        return answer(
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            Bytes::from(format!("{why}; it speaks: {}\n", offered.join(", "))),
        );
    };
    let back = local_path(back);
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
            .filter(|r| r.cfg.scope.hosts.iter().any(|h| h.matches(&visit.host))),
        None => match site.route(&visit.host, &RequestPath::new("/")) {
            Some(Route::Protected(r) | Route::Unprotected(r)) => Some(r),
            None => None,
        },
    }
}

/// What a `/.wartesaal/…` path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Internal {
    Ticket,
    Eligibility,
    Restore,
    Invitation,
    Notify,
    Css,
    Script,
    Lang,
    Status,
    Unknown,
}

impl Internal {
    pub(super) fn of(rest: &str) -> Internal {
        match rest {
            "ticket" => Internal::Ticket,
            "eligibility" => Internal::Eligibility,
            "restore" => Internal::Restore,
            "invitation" => Internal::Invitation,
            "notify" => Internal::Notify,
            "assets/wartesaal.css" => Internal::Css,
            "assets/wartesaal.js" => Internal::Script,
            "lang" => Internal::Lang,
            "status" => Internal::Status,
            _ => Internal::Unknown,
        }
    }
}
