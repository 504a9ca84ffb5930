//! The one way out of the gateway: every handler returns a `Reply`, and `Reply::render` turns
//! it into the response and counts its outcome against the room, once. A new kind of answer
//! must be placed in that one exhaustive `match`, so an outcome can neither be counted twice
//! nor forgotten. Must not decide anything.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::config::Lang;
use crate::forward::{self, Body};
use crate::metrics::Outcome;
use crate::page::{self, View};
use crate::site::Room;

use super::Visit;

/// What the busy page tells the browser.
const BUSY_RETRY_AFTER: u64 = 10;

/// What a request gets. The variants that concern a room carry it: that is the room the
/// outcome is counted against.
pub enum Reply<'a> {
    /// The upstream's answer, counted as `outcome` (`Proxied` or `Bypass`).
    Forwarded {
        room: &'a Room,
        response: Response<Body>,
        outcome: Outcome,
    },
    /// The waiting page, or its JSON for a client that asks for JSON, with the room's
    /// `queueing_status`.
    Waiting {
        room: &'a Room,
        view: View<'a>,
        lang: Lang,
        cookie: Option<HeaderValue>,
        now_s: u64,
    },
    /// The status JSON (200), counted as `outcome`: `Status` for a poll, `Waiting` for the
    /// ticket a solved puzzle drew.
    Json {
        room: &'a Room,
        view: View<'a>,
        cookie: Option<HeaderValue>,
        outcome: Outcome,
        now_s: u64,
    },
    /// Too many new tickets from the visitor's address: 429, and when to try again.
    Limited { room: &'a Room, retry_after: u64 },
    /// A pass with more requests in flight or in this second than one browser makes: 429, in
    /// a second again.
    Throttled { room: &'a Room },
    /// The upstream cannot answer now (or the state cannot draw): the busy page, the place
    /// kept, with the visitor's renewed pass if they have one.
    Busy {
        room: &'a Room,
        cookie: Option<HeaderValue>,
    },
    /// A short explanation for a refused request; counted as `Rejected` inside a room.
    Plain {
        room: Option<&'a Room>,
        status: StatusCode,
        text: &'static str,
    },
    /// The eligibility form, the answer to a "no", or (`location`) the way on after every
    /// answer was yes; made already, counted as `outcome`.
    Questions {
        room: &'a Room,
        status: StatusCode,
        body: Bytes,
        cookie: Option<HeaderValue>,
        location: Option<HeaderValue>,
        outcome: Outcome,
    },
    /// Made already and counted nowhere: the page's assets, the language switch.
    Made(Response<Body>),
}

impl<'a> Reply<'a> {
    /// A refusal outside any room (a request no room is configured for, or that cannot be
    /// routed at all).
    pub fn refused(status: StatusCode, text: &'static str) -> Reply<'a> {
        Reply::Plain {
            room: None,
            status,
            text,
        }
    }

    /// A refusal of a request to `room`.
    pub fn rejected(room: &'a Room, status: StatusCode, text: &'static str) -> Reply<'a> {
        Reply::Plain {
            room: Some(room),
            status,
            text,
        }
    }

    /// The response, with the outcome counted against the room.
    pub fn render(self, visit: &Visit) -> Response<Body> {
        let (room, outcome, response) = match self {
            Reply::Forwarded {
                room,
                response,
                outcome,
            } => (Some(room), outcome, response),
            Reply::Waiting {
                room,
                mut view,
                lang,
                cookie,
                now_s,
            } => {
                view.say(room.cfg.locales.get(lang), &room.cfg, now_s);
                let resp = waiting(room, &view, lang, now_s, visit);
                (Some(room), Outcome::Waiting, with_cookie(resp, cookie))
            }
            Reply::Json {
                room,
                mut view,
                cookie,
                outcome,
                now_s,
            } => {
                let lang = visit.lang(&room.cfg.locales);
                view.say(room.cfg.locales.get(lang), &room.cfg, now_s);
                let resp = answer(StatusCode::OK, "application/json", view.to_json());
                (Some(room), outcome, with_cookie(resp, cookie))
            }
            Reply::Limited { room, retry_after } => (
                Some(room),
                Outcome::Rejected,
                limited(room, retry_after, visit),
            ),
            Reply::Busy { room, cookie } => (
                Some(room),
                Outcome::Busy,
                with_cookie(busy(room, visit), cookie),
            ),
            Reply::Throttled { room } => {
                let mut resp = plain(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many requests at once on this pass; try again in a second",
                );
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                (Some(room), Outcome::Rejected, resp)
            }
            Reply::Plain { room, status, text } => (room, Outcome::Rejected, plain(status, text)),
            Reply::Questions {
                room,
                status,
                body,
                cookie,
                location,
                outcome,
            } => {
                let mut resp =
                    with_cookie(answer(status, "text/html; charset=utf-8", body), cookie);
                if let Some(location) = location {
                    resp.headers_mut().insert(header::LOCATION, location);
                }
                (Some(room), outcome, resp)
            }
            Reply::Made(response) => (None, Outcome::Rejected, response),
        };
        if let Some(room) = room {
            room.metrics.request(outcome);
        }
        response
    }
}

/// `resp` setting `cookie`, if there is one.
fn with_cookie(mut resp: Response<Body>, cookie: Option<HeaderValue>) -> Response<Body> {
    if let Some(cookie) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, cookie);
    }
    resp
}

/// The waiting page (or its JSON), with the room's `queueing_status` and when to ask again.
fn waiting(room: &Room, view: &View, lang: Lang, now_s: u64, visit: &Visit) -> Response<Body> {
    let (body, content_type) = if visit.wants_json {
        (view.to_json(), "application/json")
    } else {
        let words = page::WaitingPage::new(&room.cfg, lang, view, now_s, visit.target());
        (
            page::waiting_page(room.templates.as_deref(), &words),
            "text/html; charset=utf-8",
        )
    };
    let mut resp = answer(room.cfg.tickets.queueing_status, content_type, body);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, view.refresh_after_seconds.into());
    resp
}

/// 429 for too many new tickets from one address, with when to try again.
fn limited(room: &Room, retry_after: u64, visit: &Visit) -> Response<Body> {
    let lang = visit.lang(&room.cfg.locales);
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
            page::limited_page(
                &room.cfg,
                room.templates.as_deref(),
                lang,
                retry_after,
                visit.target(),
            ),
            "text/html; charset=utf-8",
        )
    };
    let mut resp = answer(StatusCode::TOO_MANY_REQUESTS, content_type, body);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, retry_after.into());
    resp
}

/// The busy page: 503, in a few seconds again.
fn busy(room: &Room, visit: &Visit) -> Response<Body> {
    let lang = visit.lang(&room.cfg.locales);
    let mut resp = answer(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/html; charset=utf-8",
        page::busy_page(
            &room.cfg,
            room.templates.as_deref(),
            lang,
            BUSY_RETRY_AFTER,
            visit.target(),
        ),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, BUSY_RETRY_AFTER.into());
    resp
}

/// A page or JSON answer that must never be cached.
pub fn answer(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut resp = Response::new(forward::full(body));
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

/// One of the page's own files, cached for an hour.
pub fn asset(content_type: &'static str, body: &'static str) -> Response<Body> {
    let mut resp = Response::new(forward::full(Bytes::from_static(body.as_bytes())));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    resp
}
