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
use crate::state::{Enlisted, Letter, Replaced, StateError};

/// What became of an address handed in: kept (new, or in place of one noted before), or not.
enum Kept {
    Added,
    Replaced,
    /// Replaced as often as it may be.
    TooMany,
    /// The address noted already, given again.
    Same,
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
        let kept = keep(room, letter, now).await;
        if !matches!(kept, Ok(Kept::Added | Kept::Replaced)) {
            // Only what was kept counts against the limits.
            notifier.refund(&signed);
        }
        // Shown as it was typed (an internationalized domain as written, not as sent).
        let noted = |replaced| NotifyAnswer::Noted {
            to: address.trim().to_string(),
            code: room.place_code(ticket.seq, &figures),
            replaced,
        };
        let (i, status, said) = told(room, ticket.seq, kept, noted);
        count(i);
        answer(status, said)
    }
}

/// Keeps `letter`: a new one, or in place of the one noted before (a typing mistake
/// corrected), a bounded number of times.
async fn keep(room: &Room, letter: Letter, now: crate::clock::Millis) -> Result<Kept, StateError> {
    Ok(match room.state.enlist(letter.clone(), now).await? {
        Enlisted::Added => Kept::Added,
        Enlisted::Full => Kept::Full,
        Enlisted::Already => match room.state.replace_letter(letter, now).await? {
            Replaced::Replaced => Kept::Replaced,
            Replaced::NotPending => Kept::Written,
            Replaced::TooMany => Kept::TooMany,
            Replaced::Same => Kept::Same,
        },
    })
}

/// What the visitor is told of what became of their address, and how it is counted.
fn told(
    room: &Room,
    seq: u64,
    kept: Result<Kept, StateError>,
    noted: impl Fn(bool) -> NotifyAnswer,
) -> (usize, StatusCode, NotifyAnswer) {
    match kept {
        Ok(Kept::Added) => {
            tracing::debug!(room = %room.cfg.id, seq, "e-mail asked for");
            (notified::REGISTERED, StatusCode::OK, noted(false))
        }
        Ok(Kept::Replaced) => {
            tracing::debug!(room = %room.cfg.id, seq, "e-mail address replaced");
            (notified::REGISTERED, StatusCode::OK, noted(true))
        }
        // Noted already (a second tab, the Back button): said again, nothing spent.
        Ok(Kept::Same) => (notified::DUPLICATE, StatusCode::CONFLICT, noted(false)),
        Ok(Kept::TooMany) => (
            notified::DUPLICATE,
            StatusCode::CONFLICT,
            NotifyAnswer::TooManyChanges,
        ),
        Ok(Kept::Written) => (
            notified::DUPLICATE,
            StatusCode::CONFLICT,
            NotifyAnswer::Already,
        ),
        Ok(Kept::Full) => {
            tracing::warn!(room = %room.cfg.id, "the outbox is full; e-mail sign-ups refused");
            let unavailable = NotifyAnswer::Unavailable;
            (
                notified::UNAVAILABLE,
                StatusCode::SERVICE_UNAVAILABLE,
                unavailable,
            )
        }
        Err(e) => {
            tracing::warn!(room = %room.cfg.id, error = %e, "an e-mail sign-up was not kept");
            let unavailable = NotifyAnswer::Unavailable;
            (
                notified::UNAVAILABLE,
                StatusCode::SERVICE_UNAVAILABLE,
                unavailable,
            )
        }
    }
}

/// The address noted for ticket `seq`'s e-mail, masked, on its waiting page (not its JSON,
/// not a status poll): asked of the state only in a room that sends e-mails, for a place
/// whose turn may still come.
pub(super) async fn noted_address(
    room: &Room,
    visit: &Visit,
    view: &mut crate::page::View<'_>,
    seq: u64,
) {
    if room.notifier.is_none() || visit.wants_json || !view.turn_may_come() {
        return;
    }
    match room.state.noted_address(seq).await {
        Ok(to) => view.doors.noted_address = to.map(|to| crate::notify::masked(&to)),
        Err(e) => tracing::debug!(room = %room.cfg.id, error = %e, "noted address not read"),
    }
}
