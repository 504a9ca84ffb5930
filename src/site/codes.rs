//! A room's place codes at run time: the code shown with a place, and what a code handed back
//! at `/.wartesaal/restore` restores. Must not act on requests: `gateway` does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
            started_at: figures.numbering.started_at,
            base: figures.numbering.base,
        }
    }

    /// The code of ticket `seq` in the line as it is now.
    pub fn place_code(&self, seq: u64, figures: &Figures) -> Option<String> {
        self.cached_place_code(seq, figures)
    }

    /// The ticket number a place code gives back: the same number, so the same place, never
    /// a better one. A called place is given back only while it would still be held: until
    /// as many places after it have been called as the room admits in `hold_place_for` (a
    /// visitor who kept the page open would have been let in by then, or have lost the place
    /// to the ticket's expiry). Places a crash's catch-up called at once are not counted.
    pub fn restore(&self, text: &str, figures: &Figures) -> Result<u64, Unrestorable> {
        let seq = code::read_place_code(&self.keys, Self::line(figures), text)
            .map_err(Unrestorable::Code)?;
        self.restorable(seq, figures).map(|()| seq)
    }

    /// Whether ticket `seq` of this line may be given back now (see `restore`).
    pub fn restorable(&self, seq: u64, figures: &Figures) -> Result<(), Unrestorable> {
        if !figures.holds(seq) {
            // Signed for a number this line has not handed out: a reset state.
            return Err(Unrestorable::Code(CodeError::Unknown));
        }
        if let Place::At(place) = figures.order.place(seq) {
            let held_for = self.cfg.tickets.hold_place_for.as_secs_f64() / 60.0;
            let grace = (figures.limits.admit_per_minute * held_for).ceil().max(1.0) as u64
                + figures.movement.caught_up;
            if place < figures.cursor && figures.cursor - place > grace {
                return Err(Unrestorable::Lapsed);
            }
        }
        Ok(())
    }
}

/// Slots of the code cache: 1 MiB a room, whatever the traffic.
const SLOTS: usize = 1 << 16;
/// The low bits of a cache word that carry part of a code; the offset's higher bits above.
const PART_BITS: u32 = 50;
const PART: u64 = (1 << PART_BITS) - 1;

/// The place codes of one line, remembered so that a status poll costs no HMAC: slot
/// `offset % SLOTS` holds the 80 bits of the last offset's code that fell on it, in two
/// words (the low 50 bits, the high 30), each with the offset's higher 14 bits to tell it
/// apart (offsets have 30 bits). Two words written by different offsets never pass for one
/// code: their tags differ. Fixed memory, no entry per visitor; a line of more than 65,536
/// places shares slots, and a miss is a code computed again.
pub struct CodeCache {
    line: Line,
    slots: Box<[[AtomicU64; 2]]>,
}

impl CodeCache {
    pub fn new(line: Line) -> CodeCache {
        CodeCache {
            line,
            slots: (0..SLOTS)
                .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
                .collect(),
        }
    }

    fn get(&self, offset: u64) -> Option<u128> {
        let [low, high] = &self.slots[offset as usize % SLOTS];
        let (low, high) = (low.load(Ordering::Relaxed), high.load(Ordering::Relaxed));
        let tag = offset >> 16;
        (low != 0 && low >> PART_BITS == tag && high >> PART_BITS == tag)
            .then(|| (u128::from(high & PART) << PART_BITS) | u128::from(low & PART))
    }

    fn put(&self, offset: u64, value: u128) {
        let [low, high] = &self.slots[offset as usize % SLOTS];
        let tag = (offset >> 16) << PART_BITS;
        low.store(tag | (value as u64 & PART), Ordering::Relaxed);
        high.store(
            tag | ((value >> PART_BITS) as u64 & PART),
            Ordering::Relaxed,
        );
    }
}

impl Room {
    /// `place_code`, through the room's cache: the same text.
    pub fn cached_place_code(&self, seq: u64, figures: &Figures) -> Option<String> {
        let line = Self::line(figures);
        let offset = code::place_offset(line, seq)?;
        let mut cache = self.codes.load();
        if cache.line != line {
            // A new line (rare): its own cache; stores for the old line go to the old one.
            self.codes.store(Arc::new(CodeCache::new(line)));
            cache = self.codes.load();
        }
        let value = match cache.get(offset).filter(|_| cache.line == line) {
            Some(value) => value,
            None => {
                let value = code::place_value(&self.keys, line, offset);
                if cache.line == line {
                    cache.put(offset, value);
                }
                value
            }
        };
        Some(code::format_place(value))
    }
}
