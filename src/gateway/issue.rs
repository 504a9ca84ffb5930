//! The one way a ticket is drawn, whatever the door a visitor came through: an arrival, a
//! solved puzzle, an invitation. Owns the order of the checks (one ticket per answered form,
//! the address limit, the draw), the count of what was drawn, and what a refusal answers:
//! every door refuses a limited address with 429 and `Retry-After`, counted alike. Must not
//! render what the visitor sees: each door shows the ticket in its own form (page, JSON,
//! redirect).

use http::StatusCode;

use crate::access::answers::Claim;
use crate::access::ticket::Token;
use crate::clock::Millis;
use crate::queue::admission::Drawn;
use crate::site::Room;
use crate::state::{Figures, StateError};

use super::{limited, Gateway, Reply, Visit};

/// What a door gets from `issue`. Returned once per draw and taken apart at once, never
/// stored: boxing the figures would cost every arrival an allocation for nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Issued {
    /// A new number, and the room as the draw left it.
    Drawn(Drawn, Figures),
    /// The visitor's answered form drew this number before: theirs again, never a second.
    Again(u64),
}

impl Gateway {
    /// Draws a ticket for `visit` in `room`: `token` is what the visitor holds (an answered
    /// form draws once), `challenge` the solved puzzle the draw spends (its id and until when
    /// it is valid). The refusal is the reply to give.
    pub(super) async fn issue<'a>(
        &self,
        room: &'a Room,
        visit: &Visit,
        token: Option<&Token>,
        challenge: Option<(u64, Millis)>,
        now: Millis,
    ) -> Result<Issued, Reply<'a>> {
        let answer = room.answer_id(token);
        if let Some(id) = answer {
            match room.issuance.answers.claim(id) {
                Claim::Fresh => {}
                // The same cookie twice at once: the first draws, the other asks again.
                Claim::Drawing => return Err(limited(room, visit, 1)),
                Claim::Drew(seq) => {
                    room.metrics
                        .refused(crate::metrics::Refused::AnswerReplayed);
                    return Ok(Issued::Again(seq));
                }
            }
        }
        let drawn = match room.issuance.allow(visit.fwd.client_ip, now) {
            Err(retry) => Err(StateError::Limited(retry)),
            Ok(()) => {
                let gate = room.gate(visit.fwd.client_ip, challenge);
                room.state.draw(now, gate).await
            }
        };
        if let Some(id) = answer {
            match &drawn {
                Ok((d, _)) => room.issuance.answers.drew(id, d.seq),
                Err(_) => room.issuance.answers.release(id),
            }
        }
        match drawn {
            Ok((drawn, figures)) => {
                room.metrics.line.tickets_issued.inc();
                tracing::debug!(room = %room.cfg.id, seq = drawn.seq, admitted = drawn.admitted, "ticket drawn");
                Ok(Issued::Drawn(drawn, figures))
            }
            // Counted over every gateway of a shared room.
            Err(StateError::Limited(retry)) => Err(limited(room, visit, retry)),
            // Handed in before at another gateway of the room.
            Err(StateError::ChallengeUsed) => Err(Reply::rejected(
                room,
                StatusCode::GONE,
                "the challenge was used already; reload the page for a new one",
            )),
            Err(e @ (StateError::Unavailable(_) | StateError::Store(_))) => {
                tracing::warn!(room = %room.cfg.id, error = %e, "cannot draw a ticket");
                Err(Reply::Busy { room, cookie: None })
            }
        }
    }
}
