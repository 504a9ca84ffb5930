//! `/.wartesaal/restore`: a place code handed back in any browser gives the same place back.
//! GET shows the form (no script needed); POST `code=…` checks the code, sets the ticket
//! cookie for that place and sends the visitor on to the room. Every try counts against the
//! address's guesses (`access::code::GUESSES_PER_MINUTE`), right or wrong.

use std::time::Duration;

use http::header::HeaderValue;
use http::{Method, Request, StatusCode};
use hyper::body::Incoming;

use crate::access::code::CodeError;
use crate::metrics::Outcome;
use crate::page::{self, RestoreError};
use crate::site::{Room, Unrestorable};

use super::eligibility::field;
use super::internal::{short_form, FormBody};
use super::{Gateway, Reply, Visit};

/// How long a browser may take to send the form's few bytes.
const FORM_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// A code and its field name, with room for spaces a person typed.
const MAX_FORM_BODY: usize = 512;

impl Gateway {
    pub(super) async fn restore<'a>(
        &self,
        room: &'a Room,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Reply<'a> {
        let lang = visit.lang(room.cfg.language);
        let form = |status: StatusCode, error: Option<RestoreError>, outcome| Reply::Questions {
            room,
            status,
            body: page::restore_page(&room.cfg, lang, error),
            cookie: None,
            location: None,
            outcome,
        };
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
        let body = match short_form(req.into_body(), MAX_FORM_BODY, FORM_BODY_TIMEOUT).await {
            Ok(body) => body,
            Err(FormBody::TooLong) => {
                return Reply::rejected(
                    room,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "a place code is a short form: code=...",
                )
            }
            Err(FormBody::TooSlow) => {
                return Reply::rejected(
                    room,
                    StatusCode::REQUEST_TIMEOUT,
                    "the form did not arrive in time; send it again",
                )
            }
        };
        let now = self.clock.now_ms();
        let now_s = now / 1000;
        let count = |i: usize| room.metrics.place_codes[i].inc();
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
        let figures = room.state.figures(now);
        match room.restore(&code, &figures) {
            Ok(seq) => {
                count(0);
                tracing::debug!(room = %room.cfg.id, seq, "place restored by its code");
                // The ticket of this line, as if drawn at its start: the same number, and
                // renewed from now like a ticket whose holder was just seen.
                let cookie = room.ticket_cookie(seq, figures.started_at, now_s, visit.secure);
                let target = HeaderValue::from_str(&room.cfg.path_prefix)
                    .unwrap_or(HeaderValue::from_static("/"));
                Reply::Questions {
                    room,
                    status: StatusCode::SEE_OTHER,
                    body: bytes::Bytes::new(),
                    cookie: Some(cookie),
                    location: Some(target),
                    outcome: Outcome::Waiting,
                }
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
