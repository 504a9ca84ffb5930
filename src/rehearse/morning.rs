//! The morning played out on paper: a crowd arriving evenly over a stretch of time, let in at a
//! rate, each let-in visitor booking one appointment until none are left. Pure arithmetic;
//! must not know how the rate was found.

use serde::Serialize;

/// The morning to play.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorningPlan {
    pub appointments: u64,
    pub visitors: u64,
    /// The visitors arrive evenly over this many seconds from the opening.
    pub arrivals_over_seconds: f64,
    pub admit_per_minute: f64,
    /// From being let in to the booking made: the journey's length.
    pub journey_seconds: f64,
}

/// What the morning looks like, in seconds from the opening.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Morning {
    /// When the last appointment is booked; `None` when there are enough for everyone.
    pub sold_out_after_seconds: Option<f64>,
    /// The longest anyone who got an appointment waited in line.
    pub longest_wait_seconds: f64,
    /// When the last people who get none are told so: the room sells out and says so to
    /// everyone still waiting, and turns away whoever comes after. `None` with enough for all.
    pub last_told_after_seconds: Option<f64>,
    /// The longest anyone waited in vain before being told.
    pub longest_wait_in_vain_seconds: f64,
    /// Everyone let in (with enough for all), or everyone who got one let in.
    pub last_let_in_after_seconds: f64,
}

/// Plays the morning: visitor `k` (from 0) arrives at `k · over / visitors` and is let in at
/// the later of that and one admission interval after the visitor before; the first
/// `appointments` let in book one each, `journey_seconds` after being let in.
pub fn play(plan: &MorningPlan) -> Morning {
    let n = plan.visitors;
    let gap = if n > 0 {
        plan.arrivals_over_seconds.max(0.0) / n as f64
    } else {
        0.0
    };
    let interval = 60.0 / plan.admit_per_minute.max(f64::MIN_POSITIVE);
    let booked = plan.appointments.min(n);
    // Let in one by one; the wait grows while the line does.
    let (mut let_in, mut longest) = (f64::NEG_INFINITY, 0.0f64);
    for k in 0..booked {
        let arrived = k as f64 * gap;
        let_in = arrived.max(let_in + interval);
        longest = longest.max(let_in - arrived);
    }
    let last_let_in = let_in.max(0.0);
    if n <= plan.appointments {
        return Morning {
            sold_out_after_seconds: None,
            longest_wait_seconds: longest,
            last_told_after_seconds: None,
            longest_wait_in_vain_seconds: 0.0,
            last_let_in_after_seconds: last_let_in,
        };
    }
    let sold_out = if booked == 0 {
        0.0
    } else {
        last_let_in + plan.journey_seconds
    };
    // The first visitor without one arrived at `booked · gap` and waits until the sell-out
    // (or is told at once if they come after it).
    let first_unlucky = booked as f64 * gap;
    Morning {
        sold_out_after_seconds: Some(sold_out),
        longest_wait_seconds: longest,
        last_told_after_seconds: Some(sold_out.max(0.0)),
        longest_wait_in_vain_seconds: (sold_out - first_unlucky).max(0.0),
        last_let_in_after_seconds: last_let_in,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plan(appointments: u64, visitors: u64, over: f64, rate: f64) -> MorningPlan {
        MorningPlan {
            appointments,
            visitors,
            arrivals_over_seconds: over,
            admit_per_minute: rate,
            journey_seconds: 0.0,
        }
    }

    #[test]
    fn the_district_of_2021() {
        // 4,000 appointments, 66,000 people arriving over an hour, 600 let in a minute:
        // the line is let in at 10 a second, arrivals come at 18 a second.
        let m = play(&plan(4000, 66_000, 3600.0, 600.0));
        let sold_out = m.sold_out_after_seconds.unwrap();
        assert!((sold_out - 399.9).abs() < 0.2, "{sold_out}");
        // The 4,000th arrives after 218 s and is let in at 400 s.
        assert!((m.longest_wait_seconds - 181.7).abs() < 0.5, "{m:?}");
        assert_eq!(m.last_told_after_seconds, Some(sold_out));
    }

    #[test]
    fn enough_for_everyone_sells_nothing_out() {
        let m = play(&plan(100, 50, 60.0, 600.0));
        assert_eq!(m.sold_out_after_seconds, None);
        assert_eq!(m.longest_wait_seconds, 0.0);
    }

    #[test]
    fn everyone_at_once_waits_in_turn() {
        let m = play(&plan(10, 100, 0.0, 60.0));
        assert_eq!(m.sold_out_after_seconds, Some(9.0));
        assert_eq!(m.longest_wait_seconds, 9.0);
        assert_eq!(m.longest_wait_in_vain_seconds, 9.0);
    }

    proptest! {
        /// A higher rate never sells out later nor makes anyone wait longer.
        #[test]
        fn a_faster_line_is_never_worse(
            appointments in 1u64..5000,
            visitors in 1u64..20_000,
            over in 0.0f64..7200.0,
            rate in 1.0f64..10_000.0,
        ) {
            let slow = play(&plan(appointments, visitors, over, rate));
            let fast = play(&plan(appointments, visitors, over, rate * 1.5));
            prop_assert!(fast.longest_wait_seconds <= slow.longest_wait_seconds + 1e-6);
            if let (Some(f), Some(s)) = (fast.sold_out_after_seconds, slow.sold_out_after_seconds) {
                prop_assert!(f <= s + 1e-6);
            }
            prop_assert!(slow.longest_wait_seconds >= 0.0);
        }
    }
}
