//! The chance told against what happened, in a deterministic simulation of the 2021 morning:
//! 4,000 appointments, 66,000 arrivals, 4 in 10 admitted visitors book. The room admits at its
//! rate, learns bookings per admission as the gateway does, and every ten seconds tells every
//! waiting visitor their chance; at the end each verdict is checked against whether an
//! appointment was still free when that visitor came to book.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::*;

const APPOINTMENTS: u64 = 4_000;
const ARRIVALS: usize = 66_000;
const BOOKING_RATIO: f64 = 0.4;
/// Numbers called per second (600 a minute).
const RATE: u64 = 10;
/// Share of the waiting who give up before their turn.
const GIVE_UP: f64 = 0.1;
const SESSION_IDLE: u64 = 600;

/// A small deterministic generator (SplitMix64), so that every run tells the same story.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

struct Visitor {
    arrives: u64,
    books: bool,
    gives_up: bool,
    /// Seconds from admission to the moment they would book.
    decides_after: u64,
    /// Seconds a visitor who does not book stays on the site before going idle.
    browses: u64,
    admitted_at: Option<u64>,
    told: u8,
    /// Whether an appointment was free at the moment they came (or would have come) to book.
    got_one: Option<bool>,
}

const TOLD_LIKELY: u8 = 1;
const TOLD_UNLIKELY: u8 = 2;
const TOLD_SOLD_OUT: u8 = 4;

/// What the simulation found.
#[derive(Debug)]
pub(super) struct Report {
    pub told_unlikely: usize,
    pub unlikely_without: usize,
    pub told_likely: usize,
    pub likely_with: usize,
    /// Seconds after opening when the last visitor who got none was first told "unlikely"
    /// or "sold out" (those admitted before any verdict are counted in `never_told`).
    pub last_told_at: u64,
    /// The longest a visitor who got none waited before being told "unlikely" or "sold out".
    pub longest_before_told: u64,
    pub never_told: usize,
    /// Visitors (not giving up) who got none.
    pub without: usize,
    /// Visitors for whom an appointment was free when they came to book.
    pub with: usize,
    pub sold_out_at: Option<u64>,
}

pub(super) fn run() -> Report {
    let mut rng = Rng(20_210_327);
    // Half come in the first two minutes, the rest over half an hour; numbers in arrival order.
    let mut arrivals: Vec<u64> = (0..ARRIVALS)
        .map(|i| {
            if i % 2 == 0 {
                rng.between(0, 120)
            } else {
                rng.between(0, 1_800)
            }
        })
        .collect();
    arrivals.sort_unstable();
    let mut people: Vec<Visitor> = arrivals
        .into_iter()
        .map(|arrives| Visitor {
            arrives,
            books: rng.unit() < BOOKING_RATIO,
            gives_up: rng.unit() < GIVE_UP,
            decides_after: rng.between(60, 600),
            browses: rng.between(30, 300),
            admitted_at: None,
            told: 0,
            got_one: None,
        })
        .collect();
    let mut supply = Supply::new(APPOINTMENTS, 0);
    let mut cursor = 0usize;
    // (second it ends, is a booker's) for every session on the site.
    let mut sessions: Vec<u64> = Vec::new();
    let mut first_told: Vec<Option<u64>> = vec![None; ARRIVALS];
    let mut sold_out_at = None;
    let mut deciding = BinaryHeap::new();
    let mut t = 0u64;
    while t < 6 * 3_600 {
        let arrived = people.partition_point(|p| p.arrives <= t);
        // Admission: the cursor passes RATE numbers a second, never past the last arrival,
        // and stands still while sold out.
        if !supply.sold_out() {
            for _ in 0..RATE {
                if cursor >= arrived {
                    break;
                }
                let p = &mut people[cursor];
                cursor += 1;
                if p.gives_up {
                    continue;
                }
                p.admitted_at = Some(t);
                deciding.push(Reverse((t + p.decides_after, cursor - 1)));
                supply.admitted += 1;
                let leaves = if p.books {
                    t + p.decides_after
                } else {
                    t + p.browses + SESSION_IDLE
                };
                sessions.push(leaves);
            }
        }
        // Everyone admitted comes to book (or would) after their own delay.
        while let Some(&Reverse((at, i))) = deciding.peek() {
            if at > t {
                break;
            }
            deciding.pop();
            let p = &mut people[i];
            p.got_one = Some(!supply.sold_out());
            if p.books && !supply.sold_out() {
                supply.apply(Change::Booked(1));
            }
        }
        if supply.sold_out() && sold_out_at.is_none() {
            sold_out_at = Some(t);
        }
        sessions.retain(|&leaves| leaves > t);
        let active = sessions.len() as u64;
        if t.is_multiple_of(10) {
            let shows = 1.0 - GIVE_UP;
            for (i, p) in people.iter_mut().enumerate().take(arrived).skip(cursor) {
                if p.gives_up && p.arrives + 600 < t {
                    continue;
                }
                let verdict = chance(&supply, (i - cursor) as u64, active, shows);
                let told = match verdict {
                    _ if supply.sold_out() => TOLD_SOLD_OUT,
                    Some(Chance::Likely) => TOLD_LIKELY,
                    Some(Chance::Unlikely) => TOLD_UNLIKELY,
                    _ => 0,
                };
                if told & (TOLD_UNLIKELY | TOLD_SOLD_OUT) != 0 && first_told[i].is_none() {
                    first_told[i] = Some(t);
                }
                p.told |= told;
            }
        }
        if supply.sold_out() && sessions.is_empty() {
            break;
        }
        t += 1;
    }
    // Those never admitted came to book only once it was sold out.
    for p in people.iter_mut().filter(|p| !p.gives_up) {
        p.got_one.get_or_insert(false);
    }
    let counted = |p: &&Visitor| !p.gives_up;
    let told_unlikely = people
        .iter()
        .filter(counted)
        .filter(|p| p.told & TOLD_UNLIKELY != 0)
        .count();
    let unlikely_without = people
        .iter()
        .filter(counted)
        .filter(|p| p.told & TOLD_UNLIKELY != 0 && p.got_one == Some(false))
        .count();
    let told_likely = people
        .iter()
        .filter(counted)
        .filter(|p| p.told & TOLD_LIKELY != 0)
        .count();
    let likely_with = people
        .iter()
        .filter(counted)
        .filter(|p| p.told & TOLD_LIKELY != 0 && p.got_one == Some(true))
        .count();
    let without: Vec<usize> = (0..ARRIVALS)
        .filter(|&i| !people[i].gives_up && people[i].got_one == Some(false))
        .collect();
    let last_told_at = without
        .iter()
        .filter_map(|&i| first_told[i])
        .max()
        .unwrap_or(0);
    let longest_before_told = without
        .iter()
        .filter_map(|&i| first_told[i].map(|t| t - people[i].arrives))
        .max()
        .unwrap_or(0);
    let never_told = without.iter().filter(|&&i| first_told[i].is_none()).count();
    Report {
        told_unlikely,
        unlikely_without,
        told_likely,
        likely_with,
        last_told_at,
        longest_before_told,
        never_told,
        without: without.len(),
        with: people.iter().filter(|p| p.got_one == Some(true)).count(),
        sold_out_at,
    }
}

#[test]
fn those_told_unlikely_mostly_get_none_and_those_told_likely_mostly_get_one() {
    let r = run();
    let share = |part: usize, whole: usize| part as f64 / whole.max(1) as f64;
    let unlikely_right = share(r.unlikely_without, r.told_unlikely);
    let likely_right = share(r.likely_with, r.told_likely);
    eprintln!(
        "supply simulation: {} got none, {} got one; {} told \"unlikely\", {:.1} % of them got none; {} told \"likely\", \
         {:.1} % of them got one; sold out after {:?} s; the last visitor who got none was \
         told so {} s after opening, after waiting at most {} s ({} were admitted before a \
         verdict)",
        r.without,
        r.with,
        r.told_unlikely,
        100.0 * unlikely_right,
        r.told_likely,
        100.0 * likely_right,
        r.sold_out_at,
        r.last_told_at,
        r.longest_before_told,
        r.never_told,
    );
    // Most of those who get none hear it from the chance, before the room is sold out.
    assert!(
        r.unlikely_without as f64 >= 0.6 * r.without as f64,
        "told too late: {r:?}"
    );
    assert!(
        r.told_unlikely > 10_000,
        "the back of the line is told early: {r:?}"
    );
    assert!(unlikely_right >= 0.95, "told unlikely, yet got one: {r:?}");
    assert!(
        r.told_likely > 1_000,
        "the front of the line is told too: {r:?}"
    );
    assert!(likely_right >= 0.95, "told likely, yet got none: {r:?}");
}
