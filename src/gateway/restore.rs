//! `/.wartesaal/restore`: a place code handed back in any browser gives the same place back.
//! GET shows the form (no script needed); POST `code=…` checks the code, sets the ticket
//! cookie for that place and sends the visitor on to the room. Every try counts against the
//! address's guesses (`access::code::GUESSES_PER_MINUTE`), right or wrong.

use http::header::HeaderValue;
use http::{Method, Request, StatusCode};
use hyper::body::Incoming;

use crate::access::code::{CodeError, Invitation};
use crate::access::ticket::Kind;
use crate::clock::Millis;
use crate::config::Lang;
use crate::metrics::Outcome;
use crate::page::{self, RestoreError};
use crate::site::{Room, Unrestorable};

use super::eligibility::field;
use super::internal::{form_body, short_form, FORM_BODY_TIMEOUT};
use super::issue::Issued;
use super::{Gateway, Reply, Visit};

/// A code and its field name, with room for spaces a person typed.
const MAX_FORM_BODY: usize = 512;

impl Gateway {
    pub(super) async fn restore<'a>(
        &self,
        room: &'a Room,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Reply<'a> {
        let lang = visit.lang(&room.cfg.locales);
        // What was typed, shown again with an error: one wrong character is corrected, not
        // all sixteen typed again.
        let typed = std::sync::OnceLock::<String>::new();
        let form = |status: StatusCode, error: Option<RestoreError>, outcome| Reply::Questions {
            room,
            status,
            body: page::restore_page(
                room.templates.as_deref(),
                &room.cfg,
                lang,
                error,
                typed.get().map(String::as_str),
            ),
            cookie: None,
            location: None,
            outcome,
        };
        if let Some(link) = req.uri().query().and_then(|q| field(q, "link")) {
            return self.follow_link(room, req.headers(), visit, &link);
        }
        match *req.method() {
            Method::GET | Method::HEAD => return form(StatusCode::OK, None, Outcome::Waiting),
            Method::POST => {}
            _ => {
                return Reply::rejected(
                    room,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "GET the form, or POST code=... to it",
                )
            }
        }
        let headers = req.headers().clone();
        let body = match form_body(
            room,
            req.into_body(),
            MAX_FORM_BODY,
            "a place code is a short form: code=...",
            "the form did not arrive in time; send it again",
        )
        .await
        {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        let now = self.clock.now_ms();
        let now_s = now / 1000;
        if holds_live_pass(room, &headers, now) {
            // Let in already: a code never trades a session for a place in line.
            return onward(room, None);
        }
        let count = |i: usize| room.metrics.doors.place_codes[i].inc();
        if room
            .issuance
            .guesses
            .allow(visit.fwd.client_ip, now)
            .is_err()
        {
            count(4);
            return form(
                StatusCode::TOO_MANY_REQUESTS,
                Some(RestoreError::Limited),
                Outcome::Rejected,
            );
        }
        let text = std::str::from_utf8(&body).unwrap_or("");
        let Some(code) = field(text, "code") else {
            count(1);
            return form(
                StatusCode::BAD_REQUEST,
                Some(RestoreError::Malformed),
                Outcome::Rejected,
            );
        };
        let code = typed.get_or_init(|| code);
        let figures = room.state.figures(now);
        match room.restore(code, &figures) {
            Ok(seq) => {
                count(0);
                tracing::debug!(room = %room.cfg.id, seq, "place restored by its code");
                // The ticket of this line, as if drawn at its start: the same number, and
                // renewed from now like a ticket whose holder was just seen.
                let cookie =
                    room.ticket_cookie(seq, figures.numbering.started_at, now_s, visit.secure);
                onward(room, Some(cookie))
            }
            Err(why) => {
                let (i, status, error) = match why {
                    Unrestorable::Code(CodeError::Malformed) => {
                        (1, StatusCode::BAD_REQUEST, RestoreError::Malformed)
                    }
                    Unrestorable::Code(_) => (2, StatusCode::BAD_REQUEST, RestoreError::Unknown),
                    Unrestorable::Lapsed => (3, StatusCode::GONE, RestoreError::Lapsed),
                };
                count(i);
                form(status, Some(error), Outcome::Rejected)
            }
        }
    }
}

impl Gateway {
    /// `/.wartesaal/restore?room=…&link=…`, the e-mail's link: gives its ticket's place back
    /// until the link's end, however many places were called since (the place is held for
    /// a visitor who was told by e-mail). A link of an earlier line, or past its end, says so.
    fn follow_link<'a>(
        &self,
        room: &'a Room,
        headers: &http::HeaderMap,
        visit: &Visit,
        link: &str,
    ) -> Reply<'a> {
        use crate::metrics::notified;
        let now = self.clock.now_ms();
        if holds_live_pass(room, headers, now) {
            return onward(room, None);
        }
        let figures = room.state.figures(now);
        let count = |i: usize| room.metrics.doors.notifications[i].inc();
        let lang = visit.lang(&room.cfg.locales);
        // Past its end, a link of this line still gives its place back while the place code
        // would: the e-mail's link and its code tell the same truth.
        let link_token = room.keys.verify(link, 0).ok().filter(|t| {
            t.kind == Kind::Link && t.id == figures.numbering.started_at && figures.holds(t.seq)
        });
        let live = link_token.filter(|t| t.expires_at > now / 1000);
        let restorable = link_token.filter(|t| room.restorable(t.seq, &figures).is_ok());
        match live.or(restorable).ok_or(()) {
            Ok(t) => {
                count(notified::FOLLOWED);
                tracing::debug!(room = %room.cfg.id, seq = t.seq, "place given back by its e-mail");
                let cookie = room.ticket_cookie(
                    t.seq,
                    figures.numbering.started_at,
                    now / 1000,
                    visit.secure,
                );
                onward(room, Some(cookie))
            }
            Err(()) => {
                count(notified::EXPIRED);
                // Past its end and its place lapsed, or of an earlier line: gone, as the code
                // would say. Anything else was no link.
                let gone = room
                    .keys
                    .verify(link, 0)
                    .is_ok_and(|t| t.kind == Kind::Link);
                let status = if gone {
                    StatusCode::GONE
                } else {
                    StatusCode::BAD_REQUEST
                };
                Reply::Questions {
                    room,
                    status,
                    body: page::restore_page(
                        room.templates.as_deref(),
                        &room.cfg,
                        lang,
                        Some(RestoreError::Link),
                        None,
                    ),
                    cookie: None,
                    location: None,
                    outcome: Outcome::Rejected,
                }
            }
        }
    }

    /// `POST /.wartesaal/invitation?room=…` (`code=…`), in a room with
    /// `[rooms.invitations] required`: a valid code draws a ticket once; entered again, in any
    /// browser, it gives that ticket's place back. GET shows the form.
    pub(super) async fn invitation<'a>(
        &self,
        room: &'a Room,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Reply<'a> {
        if !room.cfg.tickets.invitations_required {
            return Reply::rejected(
                room,
                StatusCode::NOT_FOUND,
                "this room does not take invitation codes",
            );
        }
        let lang = visit.lang(&room.cfg.locales);
        match *req.method() {
            Method::GET | Method::HEAD => {
                return invitation_form(room, lang, StatusCode::OK, None, None)
            }
            Method::POST => {}
            _ => {
                return Reply::rejected(
                    room,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "GET the form, or POST code=... to it",
                )
            }
        }
        let headers = req.headers().clone();
        let Ok(body) = short_form(req.into_body(), MAX_FORM_BODY, FORM_BODY_TIMEOUT).await else {
            return Reply::rejected(
                room,
                StatusCode::PAYLOAD_TOO_LARGE,
                "an invitation code is a short form sent at once: code=...",
            );
        };
        let now = self.clock.now_ms();
        let now_s = now / 1000;
        let count = |result: usize| room.metrics.doors.invitations[result].inc();
        let token = room.token(&headers, now_s);
        if holds_live_pass(room, &headers, now) {
            return onward(room, None);
        }
        if !room.may_draw(token.as_ref()) {
            return Reply::rejected(
                room,
                StatusCode::FORBIDDEN,
                "answer the room's questions first; reload the page for them",
            );
        }
        if room
            .issuance
            .guesses
            .allow(visit.fwd.client_ip, now)
            .is_err()
        {
            count(INVITE_LIMITED);
            return invitation_form(
                room,
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                Some(RestoreError::Limited),
                None,
            );
        }
        let text = std::str::from_utf8(&body).unwrap_or("");
        let typed = field(text, "code");
        let invitation = typed
            .as_deref()
            .ok_or(CodeError::Malformed)
            .and_then(|code| Invitation::read(&room.keys, code, now_s));
        let invitation = match invitation {
            Ok(i) => i,
            Err(e) => {
                let (i, status, error) = match e {
                    CodeError::Malformed => (
                        INVITE_MALFORMED,
                        StatusCode::BAD_REQUEST,
                        RestoreError::Malformed,
                    ),
                    CodeError::Unknown => (
                        INVITE_UNKNOWN,
                        StatusCode::BAD_REQUEST,
                        RestoreError::Unknown,
                    ),
                    CodeError::Expired => (INVITE_EXPIRED, StatusCode::GONE, RestoreError::Expired),
                };
                count(i);
                return invitation_form(room, lang, status, Some(error), typed.as_deref());
            }
        };
        let seq = match self.invited_place(room, visit, invitation.index, now).await {
            Ok(seq) => seq,
            Err(reply) => return reply,
        };
        tracing::debug!(room = %room.cfg.id, seq, "ticket by invitation");
        let started_at = room.state.figures(now).numbering.started_at;
        onward(
            room,
            Some(room.ticket_cookie(seq, started_at, now_s, visit.secure)),
        )
    }

    /// The place invitation `index` stands for: the ticket it drew before, while that place
    /// holds, or one drawn for it now. `Err` is the answer instead.
    async fn invited_place<'a>(
        &self,
        room: &'a Room,
        visit: &Visit,
        index: u64,
        now: Millis,
    ) -> Result<u64, Reply<'a>> {
        let count = |result: usize| room.metrics.doors.invitations[result].inc();
        let figures = room.state.figures(now);
        match room.state.invited(index).await {
            Err(e) => {
                tracing::warn!(room = %room.cfg.id, error = %e, "cannot look up an invitation");
                Err(invitations_unavailable())
            }
            // Entered again: that ticket's place, while it holds.
            Ok(Some(seq)) => {
                if room.restorable(seq, &figures).is_err() {
                    count(INVITE_USED);
                    let lang = visit.lang(&room.cfg.locales);
                    return Err(invitation_form(
                        room,
                        lang,
                        StatusCode::GONE,
                        Some(RestoreError::Used),
                        None,
                    ));
                }
                count(INVITE_RESTORED);
                Ok(seq)
            }
            Ok(None) if figures.closed_to_newcomers() => Err(Reply::rejected(
                room,
                StatusCode::CONFLICT,
                "the room takes no new tickets now; the page says why",
            )),
            Ok(None) => self.draw_invited(room, visit, index, now).await,
        }
    }

    /// A new ticket for invitation `index`, recorded so that the code draws no other.
    async fn draw_invited<'a>(
        &self,
        room: &'a Room,
        visit: &Visit,
        index: u64,
        now: Millis,
    ) -> Result<u64, Reply<'a>> {
        // The form's own cookie holds no answer: an invitation is the only door here.
        let drawn = match self.issue(room, visit, None, None, now).await {
            Ok(Issued::Drawn(drawn, _)) => drawn,
            Ok(Issued::Again(seq)) => {
                let now_s = now / 1000;
                return Err(onward(
                    room,
                    Some(room.ticket_cookie(seq, now_s, now_s, visit.secure)),
                ));
            }
            Err(refused) => return Err(refused),
        };
        match room.state.invite(index, drawn.seq, now).await {
            Ok(kept) => {
                let result = if kept == drawn.seq {
                    INVITE_DRAWN
                } else {
                    INVITE_RESTORED
                };
                room.metrics.doors.invitations[result].inc();
                Ok(kept)
            }
            Err(e) => {
                // Not recorded: no ticket either, or the code could draw again.
                tracing::warn!(room = %room.cfg.id, error = %e, "cannot record an invitation");
                Err(invitations_unavailable())
            }
        }
    }
}

/// The invitation form, with what was wrong with the code entered, if anything.
fn invitation_form<'a>(
    room: &'a Room,
    lang: Lang,
    status: StatusCode,
    error: Option<RestoreError>,
    typed: Option<&str>,
) -> Reply<'a> {
    Reply::Questions {
        room,
        status,
        body: page::invitation_page(room.templates.as_deref(), &room.cfg, lang, error, typed),
        cookie: None,
        location: None,
        outcome: if error.is_some() {
            Outcome::Rejected
        } else {
            Outcome::Waiting
        },
    }
}

fn invitations_unavailable() -> Reply<'static> {
    Reply::refused(
        StatusCode::SERVICE_UNAVAILABLE,
        "the waiting room cannot check invitations just now; try again in a minute",
    )
}

/// A ticket that got its holders in as often as one may, brought again (an e-mail's link
/// tapped in a mail program without cookies, a copy): told so, its cookie cleared so that
/// the page's "join again" draws a new place.
pub(super) fn used_up<'a>(room: &'a Room, visit: &Visit) -> Reply<'a> {
    let lang = visit.lang(&room.cfg.locales);
    Reply::Questions {
        room,
        status: StatusCode::CONFLICT,
        body: page::used_up_page(room.templates.as_deref(), &room.cfg, lang),
        cookie: Some(room.clear_cookie(visit.secure)),
        location: None,
        outcome: Outcome::Rejected,
    }
}

/// Whether the request carries a pass of this room whose session is live.
fn holds_live_pass(room: &Room, headers: &http::HeaderMap, now: crate::clock::Millis) -> bool {
    room.token(headers, now / 1000)
        .filter(|t| t.kind == Kind::Pass)
        .is_some_and(|t| room.state.session_seen(t.id, now))
}

/// On to the room's start, with the ticket cookie for the place given back or drawn.
pub(super) fn onward(room: &Room, cookie: Option<HeaderValue>) -> Reply<'_> {
    Reply::Questions {
        room,
        status: StatusCode::SEE_OTHER,
        body: bytes::Bytes::new(),
        cookie,
        location: Some(
            HeaderValue::from_str(&room.cfg.scope.path_prefix)
                .unwrap_or(HeaderValue::from_static("/")),
        ),
        outcome: Outcome::Waiting,
    }
}

const INVITE_DRAWN: usize = 0;
const INVITE_RESTORED: usize = 1;
const INVITE_MALFORMED: usize = 2;
const INVITE_UNKNOWN: usize = 3;
const INVITE_EXPIRED: usize = 4;
const INVITE_USED: usize = 5;
const INVITE_LIMITED: usize = 6;
