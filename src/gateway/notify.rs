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
use crate::state::{Enlisted, Letter, Replaced};

/// What became of an address handed in: kept (new, or in place of one noted before), or not.
enum Kept {
    Added,
    Replaced,
    /// Replaced as often as it may be.
    TooMany,
    /// The e-mail for this place was sent already.
    Written,
    /// The outbox is full.
    Full,
}

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
        let typed = std::sync::OnceLock::<String>::new();
        let answer = |status: StatusCode, answer: NotifyAnswer| Reply::Questions {
            room,
            status,
            body: page::notify_page(
                room.templates.as_deref(),
                &room.cfg,
                lang,
                &answer,
                typed.get().map(String::as_str),
            ),
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
        let address = typed.get_or_init(|| field(text, "email").unwrap_or_default());
        let signed = match notifier.sign_up(&room.cfg.id, visit.fwd.client_ip, address, now) {
            Ok(signed) => signed,
            Err(crate::notify::SignUpRefused::Invalid) => {
                count(notified::INVALID);
                return answer(StatusCode::BAD_REQUEST, NotifyAnswer::Invalid);
            }
            Err(crate::notify::SignUpRefused::NotAsciiLocal) => {
                count(notified::INVALID);
                return answer(StatusCode::BAD_REQUEST, NotifyAnswer::NotAscii);
            }
            Err(crate::notify::SignUpRefused::Limited) => {
                count(notified::LIMITED);
                return answer(StatusCode::TOO_MANY_REQUESTS, NotifyAnswer::Limited);
            }
        };
        let letter = Letter {
            seq: ticket.seq,
            to: signed.to.clone(),
            lang: lang.code().to_string(),
            at: now,
            changes: 0,
        };
        let enlisted = match room.state.enlist(letter.clone(), now).await {
            // An address noted already: this one replaces it (a typing mistake corrected),
            // a bounded number of times.
            Ok(Enlisted::Already) => match room.state.replace_letter(letter, now).await {
                Ok(Replaced::Replaced) => Ok(Kept::Replaced),
                Ok(Replaced::NotPending) => Ok(Kept::Written),
                Ok(Replaced::TooMany) => Ok(Kept::TooMany),
                Err(e) => Err(e),
            },
            Ok(Enlisted::Added) => Ok(Kept::Added),
            Ok(Enlisted::Full) => Ok(Kept::Full),
            Err(e) => Err(e),
        };
        if !matches!(enlisted, Ok(Kept::Added | Kept::Replaced)) {
            // Only what was kept counts against the limits.
            notifier.refund(&signed);
        }
        // Shown as it was typed (an internationalized domain as written, not as sent).
        let noted = |replaced| NotifyAnswer::Noted {
            to: address.trim().to_string(),
            code: room.place_code(ticket.seq, &figures),
            replaced,
        };
        match enlisted {
            Ok(Kept::Added) => {
                count(notified::REGISTERED);
                tracing::debug!(room = %room.cfg.id, seq = ticket.seq, "e-mail asked for");
                answer(StatusCode::OK, noted(false))
            }
            Ok(Kept::Replaced) => {
                count(notified::REGISTERED);
                tracing::debug!(room = %room.cfg.id, seq = ticket.seq, "e-mail address replaced");
                answer(StatusCode::OK, noted(true))
            }
            Ok(Kept::TooMany) => {
                count(notified::DUPLICATE);
                answer(StatusCode::CONFLICT, NotifyAnswer::TooManyChanges)
            }
            Ok(Kept::Written) => {
                count(notified::DUPLICATE);
                answer(StatusCode::CONFLICT, NotifyAnswer::Already)
            }
            Ok(Kept::Full) => {
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
