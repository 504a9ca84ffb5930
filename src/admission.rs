//! The queue arithmetic: owns how the cursor moves. Pure: every function takes `now` and the
//! current limits as arguments and performs no IO, so it can be tested and simulated with a
//! moved clock, and shared by every state backend.
//!
//! The cursor advances from a token bucket refilled at `admit_per_minute` and capped at one
//! second's worth of admissions (but at least one), so an idle minute never banks a stampede.
//! With `max_active > 0` the cursor also waits while the active sessions plus the numbers it has
//! just called (whose holders may still be on their way) fill the cap.

use std::collections::VecDeque;

use crate::clock::Millis;

/// How long a called number counts against `max_active` before its holder turns up. The
/// waiting page polls every few seconds near the front, so a holder who is still there arrives
/// well within this; one who left stops blocking the slot after it.
pub const CLAIM_WINDOW_MS: Millis = 20_000;

/// Limits an operator can change while the room runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub admit_per_minute: f64,
    /// 0 = no cap on concurrent sessions.
    pub max_active: u64,
    /// The operator stopped admissions (room paused or closed): the cursor stands still and
    /// no budget builds up meanwhile.
    pub paused: bool,
}

impl Limits {
    /// Burst size: one second's worth of the rate, but at least one visitor.
    pub fn burst(&self) -> f64 {
        (self.admit_per_minute / 60.0).max(1.0)
    }
}

/// Result of drawing a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    pub seq: u64,
    /// Nobody was waiting and the rate allowed it: the visitor passes straight through.
    pub admitted: bool,
}

/// One room's line: a counter and a cursor, no per-visitor memory.
#[derive(Debug, Clone)]
pub struct Queue {
    /// Numbers `0..issued` have been handed out.
    issued: u64,
    /// Numbers `< cursor` may enter.
    cursor: u64,
    /// Admissions the rate allows right now (fractional).
    budget: f64,
    /// Time up to which `budget` has been refilled.
    refilled_at: Millis,
    /// Deadlines of called numbers whose holders have not arrived yet; only kept with a
    /// `max_active` cap and never longer than that cap.
    on_their_way: VecDeque<Millis>,
}

impl Queue {
    /// A fresh line. The budget starts full so the first visitors of an idle room pass.
    pub fn new(now: Millis, limits: &Limits) -> Queue {
        Queue::resume(0, 0, now, limits)
    }

    /// A line restored from stored counters.
    pub fn resume(issued: u64, cursor: u64, now: Millis, limits: &Limits) -> Queue {
        Queue {
            issued,
            cursor: cursor.min(issued),
            budget: limits.burst(),
            refilled_at: now,
            on_their_way: VecDeque::new(),
        }
    }

    pub fn issued(&self) -> u64 {
        self.issued
    }

    /// Empties the admission budget: nobody more may enter before the rate refills it.
    pub fn spend_budget(&mut self) {
        self.budget = 0.0;
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Tickets drawn but not yet called.
    pub fn waiting(&self) -> u64 {
        self.issued - self.cursor
    }

    /// Called numbers still counted against `max_active`.
    pub fn on_their_way(&self) -> u64 {
        self.on_their_way.len() as u64
    }

    /// Brings the cursor up to `now`. `active` is the number of live sessions.
    pub fn advance(&mut self, now: Millis, limits: &Limits, active: u64) {
        let elapsed = now.saturating_sub(self.refilled_at);
        self.refilled_at = self.refilled_at.max(now);
        if limits.paused {
            return;
        }
        let per_ms = limits.admit_per_minute / 60_000.0;
        // Admissions owed for the whole gap are taken first and only what is left over is
        // capped: people who waited through a quiet stretch of requests were being let in all
        // along, while an empty room banks no more than one burst.
        let owed = self.budget + elapsed as f64 * per_ms;
        while self.on_their_way.front().is_some_and(|&d| d <= now) {
            self.on_their_way.pop_front();
        }

        let mut room = self.waiting().min(owed.floor() as u64);
        if limits.max_active > 0 {
            let taken = active.saturating_add(self.on_their_way());
            room = room.min(limits.max_active.saturating_sub(taken));
        }
        self.budget = (owed - room as f64).min(limits.burst());
        if room == 0 {
            return;
        }
        self.cursor += room;
        if limits.max_active > 0 {
            let deadline = now + CLAIM_WINDOW_MS;
            let keep = limits.max_active as usize;
            for _ in 0..room {
                if self.on_their_way.len() >= keep {
                    break;
                }
                self.on_their_way.push_back(deadline);
            }
        }
    }

    /// Hands out the next number; admits it at once if nobody waits ahead and the rate allows.
    pub fn draw(&mut self, now: Millis, limits: &Limits, active: u64) -> Drawn {
        self.advance(now, limits, active);
        let seq = self.issued;
        self.issued += 1;
        self.advance(now, limits, active);
        Drawn {
            seq,
            admitted: seq < self.cursor,
        }
    }

    /// A called number turned up and became a session.
    pub fn arrived(&mut self) {
        self.on_their_way.pop_front();
    }
}

/// Position in line of a waiting ticket: 1 is next.
pub fn position(seq: u64, cursor: u64) -> u64 {
    seq.saturating_sub(cursor) + 1
}

/// Seconds until the cursor passes a ticket at `position` (1 = next) at `admit_per_minute`.
pub fn eta_seconds(position: u64, limits: &Limits) -> u64 {
    if position == 0 {
        return 0;
    }
    let secs = position as f64 * 60.0 / limits.admit_per_minute;
    secs.ceil().min(u64::MAX as f64 / 2.0) as u64
}

/// Estimated wait for someone arriving now: nothing while nobody waits (they pass straight
/// through), else the time until the cursor reaches the back of the line.
pub fn eta_for_newcomer(waiting: u64, limits: &Limits) -> u64 {
    if waiting == 0 {
        0
    } else {
        eta_seconds(waiting + 1, limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: Millis = 1_700_000_000_000;

    fn limits(rate: f64, max_active: u64) -> Limits {
        Limits {
            admit_per_minute: rate,
            max_active,
            paused: false,
        }
    }

    #[test]
    fn idle_room_is_invisible_below_the_rate() {
        let l = limits(600.0, 0);
        let mut q = Queue::new(T0, &l);
        // One arrival every 200 ms is half the rate: all pass straight through.
        for i in 0..100 {
            let d = q.draw(T0 + i * 200, &l, 0);
            assert!(d.admitted, "arrival {i} was queued");
        }
        assert_eq!(q.waiting(), 0);
    }

    #[test]
    fn burst_is_one_second_of_rate_and_idle_time_banks_nothing() {
        let l = limits(600.0, 0);
        let mut q = Queue::new(T0, &l);
        q.advance(T0 + 3_600_000, &l, 0);
        let admitted = (0..50)
            .filter(|_| q.draw(T0 + 3_600_000, &l, 0).admitted)
            .count();
        assert_eq!(admitted, 10);
        assert_eq!(q.waiting(), 40);
    }

    #[test]
    fn at_least_one_visitor_even_at_a_slow_rate() {
        let l = limits(0.5, 0);
        let mut q = Queue::new(T0, &l);
        assert!(q.draw(T0, &l, 0).admitted);
        assert!(!q.draw(T0, &l, 0).admitted);
        q.advance(T0 + 119_000, &l, 0);
        assert_eq!(q.cursor(), 1);
        q.advance(T0 + 120_000, &l, 0);
        assert_eq!(q.cursor(), 2);
    }

    #[test]
    fn cursor_moves_at_the_rate_and_never_past_the_last_ticket() {
        let l = limits(600.0, 0);
        let mut q = Queue::new(T0, &l);
        for _ in 0..200 {
            q.draw(T0, &l, 0);
        }
        assert_eq!(q.cursor(), 10);
        for s in 1..=30 {
            q.advance(T0 + s * 1000, &l, 0);
            assert_eq!(q.cursor(), (10 + s * 10).min(200));
        }
        assert_eq!(q.cursor(), q.issued());
    }

    #[test]
    fn a_quiet_stretch_still_lets_waiting_people_in() {
        let l = limits(1.0, 0);
        let mut q = Queue::new(T0, &l);
        for _ in 0..5 {
            q.draw(T0, &l, 0);
        }
        assert_eq!(q.cursor(), 1);
        // Nobody asks for three minutes; the line moved all the same.
        q.advance(T0 + 180_000, &l, 0);
        assert_eq!(q.cursor(), 4);
    }

    #[test]
    fn max_active_holds_the_cursor() {
        let l = limits(6000.0, 2);
        let mut q = Queue::new(T0, &l);
        for _ in 0..10 {
            q.draw(T0, &l, 0);
        }
        // Two numbers called; their holders are on their way.
        assert_eq!(q.cursor(), 2);
        q.arrived();
        q.arrived();
        q.advance(T0 + 5_000, &l, 2);
        assert_eq!(q.cursor(), 2, "two sessions active: the cursor waits");
        q.advance(T0 + 6_000, &l, 1);
        assert_eq!(q.cursor(), 3, "one session ended: one more called");
        // That holder never comes: after the claim window the slot is free again.
        q.advance(T0 + 6_000 + CLAIM_WINDOW_MS, &l, 1);
        assert_eq!(q.cursor(), 4);
    }

    #[test]
    fn a_paused_room_admits_nobody_and_banks_nothing() {
        let mut l = limits(600.0, 0);
        let mut q = Queue::new(T0, &l);
        l.paused = true;
        assert!(!q.draw(T0, &l, 0).admitted);
        q.advance(T0 + 600_000, &l, 0);
        assert_eq!(q.cursor(), 0);
        l.paused = false;
        q.advance(T0 + 600_000, &l, 0);
        assert_eq!(
            q.cursor(),
            1,
            "the first in line goes in when the room reopens"
        );
        for _ in 0..100 {
            q.draw(T0 + 600_000, &l, 0);
        }
        assert!(q.cursor() <= 11, "ten minutes paused banked no stampede");
    }

    #[test]
    fn eta_and_position() {
        let l = limits(600.0, 0);
        assert_eq!(position(10, 10), 1);
        assert_eq!(position(15, 10), 6);
        assert_eq!(eta_seconds(0, &l), 0);
        assert_eq!(eta_seconds(1, &l), 1);
        assert_eq!(eta_seconds(100, &l), 10);
        assert_eq!(eta_for_newcomer(0, &l), 0);
        assert_eq!(eta_for_newcomer(99, &l), 10);
    }

    proptest! {
        /// Whatever the arrivals and clock steps, admissions over any run never exceed the
        /// rate plus one burst, and the cursor never passes the last ticket.
        #[test]
        fn never_faster_than_rate_plus_burst(
            rate in 1.0f64..10_000.0,
            steps in proptest::collection::vec((0u64..3_000, 0u64..50), 1..200),
        ) {
            let l = limits(rate, 0);
            let mut q = Queue::new(T0, &l);
            let mut now = T0;
            for (dt, arrivals) in steps {
                now += dt;
                for _ in 0..arrivals {
                    q.draw(now, &l, 0);
                }
                q.advance(now, &l, 0);
                prop_assert!(q.cursor() <= q.issued());
                let allowed = l.burst() + (now - T0) as f64 * rate / 60_000.0;
                prop_assert!(q.cursor() as f64 <= allowed + 1e-6);
            }
        }
    }
}
