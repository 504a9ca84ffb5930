//! A room's place codes at run time: the code shown with a place, and what a code handed back
//! at `/.wartesaal/restore` restores. Must not act on requests: `gateway` does.

use crate::access::code::{self, CodeError, Line};
use crate::queue::schedule::Place;
use crate::state::Figures;

use super::Room;

/// Why a place code restores nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrestorable {
    /// Not a code of this room's line (or not a code at all).
    Code(CodeError),
    /// The place was called longer ago than it is held.
    Lapsed,
}

impl Room {
    fn line(figures: &Figures) -> Line {
        Line {
            started_at: figures.started_at,
            base: figures.base,
        }
    }

    /// The code of ticket `seq` in the line as it is now.
    pub fn place_code(&self, seq: u64, figures: &Figures) -> Option<String> {
        code::place_code(&self.keys, Self::line(figures), seq)
    }

    /// The ticket number a place code gives back: the same number, so the same place, never
    /// a better one. A called place is given back only while it would still be held: until
    /// as many places after it have been called as the room admits in `hold_place_for` (a
    /// visitor who kept the page open would have been let in by then, or have lost the place
    /// to the ticket's expiry).
    pub fn restore(&self, text: &str, figures: &Figures) -> Result<u64, Unrestorable> {
        let seq = code::read_place_code(&self.keys, Self::line(figures), text)
            .map_err(Unrestorable::Code)?;
        self.restorable(seq, figures).map(|()| seq)
    }

    /// Whether ticket `seq` of this line may be given back now (see `restore`).
    pub fn restorable(&self, seq: u64, figures: &Figures) -> Result<(), Unrestorable> {
        if seq >= figures.handed_out || seq < figures.base {
            // Signed for a number this line has not handed out: a reset state.
            return Err(Unrestorable::Code(CodeError::Unknown));
        }
        if let Place::At(place) = figures.order.place(seq) {
            let held_for = self.cfg.hold_place_for.as_secs_f64() / 60.0;
            let grace = (figures.limits.admit_per_minute * held_for).ceil().max(1.0) as u64;
            if place < figures.cursor && figures.cursor - place > grace {
                return Err(Unrestorable::Lapsed);
            }
        }
        Ok(())
    }
}
