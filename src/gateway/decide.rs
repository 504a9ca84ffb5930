//! The one question of the gateway, "what happens to this request", answered without IO from
//! the verified token, whether its session is live and a snapshot of the room. Must not act.

use crate::access::ticket::{Kind, Token};
use crate::queue::schedule::{Phase, Place};
use crate::state::Figures;

/// What happens to a request inside a room's `path_prefix`, once bypasses are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A live pass: forward and renew it.
    Proxy { session: u64, seq: u64 },
    /// A ticket whose place has been called: mint a pass and forward. The session is the
    /// place, so a ticket copied to many browsers is still one session.
    Admit { seq: u64, place: u64 },
    /// A ticket still in line: renew it when due and show the waiting page at its place.
    /// A called ticket waits too while nothing is left to book: its claim is kept, and
    /// renewed like a place in line, for when there is again.
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
        Some(t) if t.kind == Kind::Ticket && t.id < figures.numbering.started_at => Decision::Draw,
        Some(t) if t.kind == Kind::Ticket && figures.numbering.handed_out.includes(t.seq) => {
            match figures.order.place(t.seq) {
                Place::At(place) if place < figures.cursor && !figures.nothing_left() => {
                    Decision::Admit { seq: t.seq, place }
                }
                place => Decision::Wait { ticket: *t, place },
            }
        }
        // A pass that was ended, or a ticket number this room never handed out (state was
        // reset): back of the line with a new number.
        Some(_) | None if figures.phase == Phase::BeforeOpen => Decision::NotYet,
        Some(_) | None => Decision::Draw,
    }
}
