//! What there is to book, and whether waiting is worth it: owns the supply record (what is
//! left, what the config set it from, the bookings and admissions it learns from), the changes
//! the booking site reports, and the `chance` a waiting visitor is told. Pure: the backends
//! keep the record, `forward` reads the booking site's headers, `gateway` shows the verdict.
//!
//! The chance compares what is left with what the people ahead of a visitor will book. The
//! room does not know that exactly: it counts bookings `B` per admitted visitor `A`, and while
//! admitted visitors are still on the booking site (`active`), some of their bookings are still
//! to come. So the share of admitted visitors who book lies somewhere between
//!
//! ```text
//!   low  = (B - z·√B) / A                        (nobody still on the site books)
//!   high = (B + active + 1 + z·√(B + active + 1)) / A   (everyone still there books one)
//! ```
//!
//! with `z = 1.64` (one-sided 95 %). The people ahead of a visitor who will turn up are
//! `ahead × show_share`. A visitor is told
//!
//! - `likely` when even `high` leaves something: `left > D + z·√D` with
//!   `D = (ahead × show_share + active) × high`;
//! - `unlikely` when even `low` uses everything up: `left < D − z·√D` with
//!   `D = ahead × show_share × low`;
//! - `uncertain` in between;
//! - nothing (`None`) while fewer than `MIN_ADMITTED` visitors have been admitted: the room has
//!   no measure yet, and says so rather than guess.

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::queue::schedule::Phase;

/// The largest supply there can be; a larger figure in a header is a mistake, not a count.
pub const MAX_SUPPLY: u64 = 10_000_000;
/// The most bookings (or cancellations) one answer of the booking site may report.
pub const MAX_PER_ANSWER: u64 = 1_000;
/// Admissions the room needs before it says anything about the chance. Few: the bounds below
/// widen by themselves with little data, and a small room must not sell out before it gives
/// its first verdict (at 2 a minute, 30 admissions took a quarter of an hour).
pub const MIN_ADMITTED: u64 = 5;
/// One-sided 95 %.
const Z: f64 = 1.64;

/// A room's supply as its backend keeps it (durable like every other figure).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supply {
    /// Appointments left to book.
    pub remaining: u64,
    /// The config's `appointments` it was last set from: a config with another value sets it
    /// again (the most recent change wins).
    pub appointments: u64,
    /// The opening (`opens_at`, Unix ms; 0 before any) it was set for: a new opening of the
    /// schedule brings `appointments` anew.
    pub opening: Millis,
    /// Appointments booked since the room began counting, over every opening.
    #[serde(default)]
    pub booked: u64,
    /// Sessions begun since the room began counting, over every opening.
    #[serde(default)]
    pub admitted: u64,
}

/// What the booking site (or an operator) says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplyChange {
    /// `X-Wartesaal-Booked: N`: N appointments were booked.
    Booked(u64),
    /// `X-Wartesaal-Cancelled: N`: N were given back.
    Cancelled(u64),
    /// `X-Wartesaal-Remaining: N` or the admin API: the site's own count, which wins.
    Remaining(u64),
}

impl Supply {
    /// A new record, as the config's `appointments` set it for `opening`.
    pub fn new(appointments: u64, opening: Millis) -> Supply {
        Supply {
            remaining: appointments,
            appointments,
            opening,
            booked: 0,
            admitted: 0,
        }
    }

    /// Nothing left: the room is sold out.
    pub fn sold_out(&self) -> bool {
        self.remaining == 0
    }

    /// Applies a change; the supply never goes below zero or above `MAX_SUPPLY`.
    pub fn apply(&mut self, change: SupplyChange) {
        match change {
            SupplyChange::Booked(n) => {
                // What the room learns from counts only what there was to book: a site that
                // reports more must not make people look keener than they are.
                let took = n.min(self.remaining);
                self.remaining -= took;
                self.booked = self.booked.saturating_add(took);
            }
            SupplyChange::Cancelled(n) => {
                self.remaining = self.remaining.saturating_add(n).min(MAX_SUPPLY);
            }
            SupplyChange::Remaining(n) => self.remaining = n.min(MAX_SUPPLY),
        }
    }

    /// The record as the config wants it: none without `[rooms.supply]`; set to
    /// `appointments` when there was none, when the config's value changed, or at a new
    /// opening (`opening`); else unchanged. What the room learnt (bookings, admissions) is
    /// kept.
    pub fn follow(
        this: Option<Supply>,
        appointments: Option<u64>,
        opening: Millis,
    ) -> Option<Supply> {
        let appointments = appointments?;
        match this {
            Some(s) if s.appointments == appointments && s.opening == opening => Some(s),
            Some(s) => Some(Supply {
                booked: s.booked,
                admitted: s.admitted,
                ..Supply::new(appointments, opening)
            }),
            None => Some(Supply::new(appointments, opening)),
        }
    }

    /// Whether the config asks for a reset of this record (see `follow`).
    pub fn wants_reset(this: Option<&Supply>, appointments: Option<u64>, opening: Millis) -> bool {
        match (this, appointments) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(s), Some(a)) => s.appointments != a || s.opening != opening,
        }
    }
}

/// Nothing left to book while the room is open (`phase`): nobody more is called, and nobody
/// new gets a ticket. Before an opening the room gathers for the appointments it brings.
pub fn sold_out(supply: Option<&Supply>, phase: Phase) -> bool {
    phase == Phase::Open && supply.is_some_and(Supply::sold_out)
}

/// Ended sessions the room needs before it trusts its own booking ratio; until then every
/// session is assumed to book one appointment.
pub const MIN_ENDED: u64 = 10;

/// Appointments a session on the booking site books, as the room expects it for the sessions
/// there now: learnt from the sessions that ended (`admitted - active`), on the high side of
/// what they show (one-sided 95 %, plus one), so that the room rather waits a moment too long
/// than lets someone in to a site with nothing left. One per session until `MIN_ENDED` ended.
pub fn bookings_per_session(supply: &Supply, active: u64) -> f64 {
    let ended = supply.admitted.saturating_sub(active);
    if ended < MIN_ENDED {
        return 1.0;
    }
    let booked = supply.booked as f64;
    ((booked + Z * booked.sqrt() + 1.0) / ended as f64).clamp(0.01, 10.0)
}

/// The most sessions (on the site, or called and on their way) whose expected bookings still
/// leave something: calling stops once the sessions there are expected to book what is left,
/// and goes on, in ticket order, as sessions end without booking. `None` when the room does
/// not count its supply.
pub fn session_cap(supply: Option<&Supply>, active: u64) -> Option<u64> {
    let supply = supply?;
    let per_session = bookings_per_session(supply, active);
    Some(
        (supply.remaining as f64 / per_session - 1e-9)
            .ceil()
            .max(0.0) as u64,
    )
}

/// Whether the room holds its calls now because the sessions on the booking site are
/// expected to book what is left (and it is not sold out: then it says that).
pub fn last_being_booked(supply: Option<&Supply>, phase: Phase, active: u64) -> bool {
    phase == Phase::Open
        && supply.is_some_and(|s| !s.sold_out())
        && session_cap(supply, active).is_some_and(|cap| active >= cap)
}

/// Whether appointments are likely to be left at a waiting visitor's turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chance {
    Likely,
    Uncertain,
    Unlikely,
}

impl Chance {
    pub fn name(self) -> &'static str {
        match self {
            Chance::Likely => "likely",
            Chance::Uncertain => "uncertain",
            Chance::Unlikely => "unlikely",
        }
    }
}

/// The verdict for a visitor with `ahead` numbers in line before them, given the room's
/// `active` sessions and the share of called numbers whose holders turn up (see the module
/// text). `None` while the room has too little data.
pub fn chance(supply: &Supply, ahead: u64, active: u64, show_share: f64) -> Option<Chance> {
    if supply.sold_out() {
        return Some(Chance::Unlikely);
    }
    if supply.admitted < MIN_ADMITTED {
        return None;
    }
    let admitted = supply.admitted as f64;
    let booked = supply.booked as f64;
    let active = active as f64;
    let people = ahead as f64 * show_share.clamp(0.0, 1.0);
    let left = supply.remaining as f64;
    let low = (booked - Z * booked.sqrt()).max(0.0) / admitted;
    let pending = booked + active + 1.0;
    let high = (pending + Z * pending.sqrt()) / admitted;
    let most = (people + active) * high;
    if left > most + Z * most.sqrt() {
        return Some(Chance::Likely);
    }
    let least = people * low;
    if left < least - Z * least.sqrt() {
        return Some(Chance::Unlikely);
    }
    Some(Chance::Uncertain)
}

/// Of `waiting` visitors in line, how many are told that an appointment is unlikely (all of
/// them once sold out): the chance only falls further back, so those from the first place
/// told "unlikely" on. `None` while the room has too little data to tell anyone.
pub fn told_unlikely(supply: &Supply, waiting: u64, active: u64, show_share: f64) -> Option<u64> {
    let unlikely =
        |ahead: u64| chance(supply, ahead, active, show_share).map(|c| c == Chance::Unlikely);
    if waiting == 0 {
        return unlikely(0).map(|_| 0);
    }
    if !unlikely(waiting - 1)? {
        return Some(0);
    }
    // The first place (counted by those ahead of it) told "unlikely".
    let (mut lo, mut hi) = (0, waiting - 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if unlikely(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(waiting - lo)
}

/// A count in a header of the booking site: ASCII digits only, at most `max`; `None` for
/// anything else (a sign, a fraction, spaces inside, a number too large).
pub fn parse_count(value: &[u8], max: u64) -> Option<u64> {
    let value = value.trim_ascii();
    if value.is_empty() || value.len() > 12 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(value).ok()?.parse().ok()?;
    (n <= max).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supply_never_goes_below_zero_or_above_its_bound() {
        let mut s = Supply::new(3, 0);
        s.apply(SupplyChange::Booked(2));
        assert_eq!((s.remaining, s.booked), (1, 2));
        s.apply(SupplyChange::Booked(5));
        assert_eq!(
            (s.remaining, s.booked),
            (0, 3),
            "only what there was counts as booked"
        );
        assert!(s.sold_out());
        s.apply(SupplyChange::Cancelled(u64::MAX));
        assert_eq!(s.remaining, MAX_SUPPLY);
        s.apply(SupplyChange::Remaining(4));
        assert_eq!(s.remaining, 4);
    }

    #[test]
    fn the_config_sets_the_supply_when_it_changes_or_a_new_opening_comes() {
        assert_eq!(Supply::follow(None, None, 0), None);
        let s = Supply::follow(None, Some(100), 0).unwrap();
        assert_eq!(s.remaining, 100);
        let mut used = s;
        used.apply(SupplyChange::Booked(40));
        used.admitted = 90;
        assert_eq!(
            Supply::follow(Some(used), Some(100), 0),
            Some(used),
            "same config: kept"
        );
        assert!(!Supply::wants_reset(Some(&used), Some(100), 0));
        let edited = Supply::follow(Some(used), Some(200), 0).unwrap();
        assert_eq!(
            (edited.remaining, edited.booked, edited.admitted),
            (200, 40, 90)
        );
        let opened = Supply::follow(Some(used), Some(100), 5_000).unwrap();
        assert_eq!((opened.remaining, opened.opening), (100, 5_000));
        assert!(Supply::wants_reset(Some(&used), Some(100), 5_000));
        assert_eq!(
            Supply::follow(Some(used), None, 0),
            None,
            "no [rooms.supply]: none"
        );
    }

    #[test]
    fn too_little_data_gives_no_verdict() {
        let mut s = Supply::new(100, 0);
        s.admitted = MIN_ADMITTED - 1;
        assert_eq!(chance(&s, 10, 0, 1.0), None);
        s.remaining = 0;
        assert_eq!(
            chance(&s, 10, 0, 1.0),
            Some(Chance::Unlikely),
            "sold out is certain"
        );
    }

    #[test]
    fn the_verdict_follows_what_is_left_against_what_those_ahead_book() {
        // 1,000 admitted, 400 booked, nobody on the site now: about 0.4 per visitor.
        let s = Supply {
            remaining: 1_000,
            appointments: 2_000,
            opening: 0,
            booked: 400,
            admitted: 1_000,
        };
        assert_eq!(chance(&s, 100, 0, 1.0), Some(Chance::Likely));
        assert_eq!(chance(&s, 2_500, 0, 1.0), Some(Chance::Uncertain));
        assert_eq!(chance(&s, 10_000, 0, 1.0), Some(Chance::Unlikely));
        // Half of those ahead will not turn up: better odds.
        assert_eq!(chance(&s, 4_000, 0, 1.0), Some(Chance::Unlikely));
        assert_eq!(chance(&s, 4_000, 0, 0.5), Some(Chance::Likely));
        assert_eq!(chance(&s, 3_000, 0, 1.0), Some(Chance::Unlikely));
        // Many still on the booking site: "likely" only with room for all of them.
        assert_eq!(chance(&s, 100, 5_000, 1.0), Some(Chance::Uncertain));
    }

    #[test]
    fn those_told_unlikely_are_counted_from_the_first_such_place() {
        let mut s = Supply::new(1_000, 0);
        assert_eq!(told_unlikely(&s, 50, 0, 1.0), None, "too early to tell");
        s.admitted = 1_000;
        s.booked = 400;
        s.remaining = 600;
        let told = told_unlikely(&s, 10_000, 0, 1.0).unwrap();
        let first = 10_000 - told;
        assert!(0 < told && told < 10_000, "{told}");
        assert_eq!(chance(&s, first, 0, 1.0), Some(Chance::Unlikely));
        assert_ne!(chance(&s, first - 1, 0, 1.0), Some(Chance::Unlikely));
        assert_eq!(told_unlikely(&s, first, 0, 1.0), Some(0));
        assert_eq!(told_unlikely(&s, 0, 0, 1.0), Some(0));
        s.remaining = 0;
        assert_eq!(
            told_unlikely(&s, 123, 0, 1.0),
            Some(123),
            "sold out: everyone"
        );
    }

    #[test]
    fn header_counts_are_digits_within_bounds() {
        assert_eq!(parse_count(b"3", 10), Some(3));
        assert_eq!(parse_count(b" 12 ", 100), Some(12));
        for bad in [
            &b""[..],
            b"-1",
            b"1.5",
            b"1 2",
            b"0x10",
            b"+3",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_count(bad, u64::MAX), None, "{bad:?}");
        }
        assert_eq!(parse_count(b"11", 10), None, "above the bound");
    }
}
