//! `/.wartesaal/notify`: a waiting visitor leaves an e-mail address (`POST email=…`) to be
//! told when it is nearly their turn, and may close the page. The address goes to the room's
//! state (kept only until the e-mail is sent, `ops::letters` sends it) and nowhere else: not
//! to the log, the metrics or the admin API.

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;

use crate::access::ticket::Kind;
use crate::metrics::{notified, Outcome};
use crate::page::{self, NotifyAnswer};
use crate::queue::schedule::Place;
use crate::site::Room;
use crate::state::{Enlisted, Letter};

use super::eligibility::field;
use super::internal::form_body;
use super::restore::onward;
use super::{Gateway, Reply, Visit};

/// An address of 254 characters, percent-encoded, and the field's name.
const MAX_FORM_BODY: usize = 1024;

impl Gateway {
    pub(super) async fn notify<'a>(
        &self,
        room: &'a Room,
        req: Request<Incoming>,
        visit: &Visit,
    ) -> Reply<'a> {
        let Some(notifier) = room.notifier.clone() else {
            return Reply::rejected(room, StatusCode::NOT_FOUND, "this room sends no e-mails");
        };
        let lang = visit.lang(&room.cfg.locales);
        let count = |i: usize| room.metrics.doors.notifications[i].inc();
        let answer = |status: StatusCode, answer: NotifyAnswer| Reply::Questions {
            room,
            status,
            body: page::notify_page(room.templates.as_deref(), &room.cfg, lang, &answer),
            cookie: None,
            location: None,
            outcome: if status.is_success() {
                Outcome::Waiting
            } else {
                Outcome::Rejected
            },
        };
        match *req.method() {
            // The field lives on the waiting page.
            Method::GET | Method::HEAD => return onward(room, None),
            Method::POST => {}
            _ => {
                return Reply::rejected(
                    room,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "POST email=... from the waiting page",
                )
            }
        }
        let headers = req.headers().clone();
        let body = match form_body(
            room,
            req.into_body(),
            MAX_FORM_BODY,
            "an e-mail address is a short form: email=...",
            "the form did not arrive in time; send it again",
        )
        .await
        {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        let now = self.clock.now_ms();
        let figures = room.state.figures(now);
        // A ticket of this line, in line or called: a pass holder is in already.
        let ticket = room.token(&headers, now / 1000).filter(|t| {
            t.kind == Kind::Ticket && t.id >= figures.numbering.started_at && figures.holds(t.seq)
        });
        let Some(ticket) = ticket else {
            count(notified::INVALID);
            return answer(StatusCode::BAD_REQUEST, NotifyAnswer::NoPlace);
        };
        if let Place::At(place) = figures.order.place(ticket.seq) {
            if place < figures.cursor {
                // Called: a letter would come too late, and the ticket is not written down
                // for it (`written` forgets called places).
                count(notified::INVALID);
                return answer(StatusCode::CONFLICT, NotifyAnswer::Called);
            }
        }
        let text = std::str::from_utf8(&body).unwrap_or("");
        let address = field(text, "email").unwrap_or_default();
        let signed = match notifier.sign_up(&room.cfg.id, visit.fwd.client_ip, &address, now) {
            Ok(signed) => signed,
            Err(crate::notify::SignUpRefused::Invalid) => {
                count(notified::INVALID);
                return answer(StatusCode::BAD_REQUEST, NotifyAnswer::Invalid);
            }
            Err(crate::notify::SignUpRefused::Limited) => {
                count(notified::LIMITED);
                return answer(StatusCode::TOO_MANY_REQUESTS, NotifyAnswer::Limited);
            }
        };
        let to = signed.to.clone();
        let letter = Letter {
            seq: ticket.seq,
            to: to.clone(),
            lang: lang.code().to_string(),
            at: now,
        };
        let enlisted = room.state.enlist(letter, now).await;
        if !matches!(enlisted, Ok(Enlisted::Added)) {
            // Only what was kept counts against the limits.
            notifier.refund(&signed);
        }
        match enlisted {
            Ok(Enlisted::Added) => {
                count(notified::REGISTERED);
                tracing::debug!(room = %room.cfg.id, seq = ticket.seq, "e-mail asked for");
                answer(StatusCode::OK, NotifyAnswer::Noted(to))
            }
            Ok(Enlisted::Already) => {
                count(notified::DUPLICATE);
                answer(StatusCode::CONFLICT, NotifyAnswer::Already)
            }
            Ok(Enlisted::Full) => {
                count(notified::UNAVAILABLE);
                tracing::warn!(room = %room.cfg.id, "the outbox is full; e-mail sign-ups refused");
                answer(StatusCode::SERVICE_UNAVAILABLE, NotifyAnswer::Unavailable)
            }
            Err(e) => {
                count(notified::UNAVAILABLE);
                tracing::warn!(room = %room.cfg.id, error = %e, "an e-mail sign-up was not kept");
                answer(StatusCode::SERVICE_UNAVAILABLE, NotifyAnswer::Unavailable)
            }
        }
    }
}
