//! The queue arithmetic: owns how the cursor moves. Pure: every function takes `now` and the
//! current limits as arguments and performs no IO, so it can be tested and simulated with a
//! moved clock, and shared by every state backend.
//!
//! The cursor advances from a token bucket refilled at `admit_per_minute` and capped at one
//! second's worth of admissions (but at least one), so an idle minute never banks a stampede.
//! With `max_active > 0` the cursor also waits while the active sessions plus the numbers it has
//! just called (whose holders may still be on their way) fill the cap.
//!
//! No-shows: not everyone whose number is called is still there. The line measures which share
//! of the called numbers turn up (within a claim window after the call) and calls numbers at
//! `rate / share`, so that real new sessions per minute track the rate. A called number costs
//! the bucket its expected show-up (the share), not 1; arrivals well beyond what was paid for
//! (people coming back all at once) and arrivals of numbers already written off cost 1 each and
//! may drive the bucket into a bounded debt, which holds the cursor until the rate has paid for
//! them. The share is never taken below `MIN_SHOW_SHARE`, so the cursor never runs more than
//! three times the rate.
//!
//! Called holders do not come back evenly: each comes at the next poll of their page. So that
//! the backend never sees more new sessions than the rate plus one second's burst, starting a
//! session takes a token from a second bucket, refilled at the rate and capped at one burst; a
//! called holder who finds it empty is asked to come back in a moment.
//!
//! The pace, the numbers the cursor actually passes per minute while people wait, is measured
//! and smoothed over about a minute; wait estimates come from it, with a range when it varies.

use std::collections::VecDeque;

use crate::adaptive::AdaptiveConfig;
use crate::clock::Millis;

/// How long a called number counts against `max_active` before its holder turns up, and how
/// long after the call an arrival counts as a show-up. The waiting page polls every few seconds
/// near the front, so a holder who is still there arrives well within this; one who left stops
/// blocking the slot after it.
pub const CLAIM_WINDOW_MS: Millis = 20_000;
/// Called numbers are grouped by the five seconds in which they were called.
const SHOW_BUCKET_MS: Millis = 5_000;
/// Show-ups are measured over the numbers called in this long a stretch, ending a claim window
/// ago (the holders of later ones may still be on their way).
const SHOW_WINDOW_MS: Millis = 120_000;
/// Fewer called numbers than this tell nothing yet: the last measured share stays.
const SHOW_MIN_SAMPLE: u64 = 20;
/// Lowest show-up share compensated for: the cursor never runs faster than 3× the rate, so a
/// crowd of returning no-shows is bounded too.
pub const MIN_SHOW_SHARE: f64 = 1.0 / 3.0;
/// Arrivals in a group of called numbers up to this factor over what was paid for are chance,
/// not a crowd coming back, and cost nothing extra.
const SHOW_TOLERANCE: f64 = 1.2;
/// How far unpaid arrivals may push the bucket below zero, in seconds of the rate.
const MAX_DEBT_SECONDS: f64 = 10.0;
/// The pace is sampled over at least this long and at least `PACE_MIN_MOVED` numbers (or
/// `PACE_MAX_SAMPLE_MS`), and smoothed over about `PACE_SMOOTHING_MS`.
const PACE_SAMPLE_MS: Millis = 5_000;
const PACE_MIN_MOVED: u64 = 5;
const PACE_MAX_SAMPLE_MS: Millis = 60_000;
const PACE_SMOOTHING_MS: f64 = 60_000.0;
/// Relative uncertainty of a pace nobody has measured yet.
const UNMEASURED_SPREAD: f64 = 0.25;
/// From this relative uncertainty on, an estimate is given as a range.
const RANGE_FROM: f64 = 0.15;

/// Limits an operator can change while the room runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub admit_per_minute: f64,
    /// 0 = no cap on concurrent sessions.
    pub max_active: u64,
    /// The operator stopped admissions (room paused or closed): the cursor stands still and
    /// no budget builds up meanwhile.
    pub paused: bool,
    /// `[rooms.adaptive]`: the rate is learnt within these bounds (unless the operator set
    /// one by hand).
    pub adaptive: Option<AdaptiveConfig>,
    /// `[rooms.schedule]`: nobody is admitted before the opening, and arrivals before it are
    /// put in a random order.
    pub schedule: Option<crate::schedule::Window>,
}

impl Limits {
    /// A rate and a cap (0 = none), open, without the adaptive mode.
    pub fn new(admit_per_minute: f64, max_active: u64) -> Limits {
        Limits {
            admit_per_minute,
            max_active,
            paused: false,
            adaptive: None,
            schedule: None,
        }
    }

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

/// How fast the line moves, for wait estimates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Numbers the cursor passes per minute while people wait.
    pub per_minute: f64,
    /// Relative uncertainty of `per_minute` (0.2 = ±20 %).
    pub spread: f64,
}

/// A wait estimate in seconds: `low..=high` is the range, equal to `seconds` when the pace is
/// steady enough for one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub seconds: u64,
    pub low: u64,
    pub high: u64,
}

impl Estimate {
    pub const NOW: Estimate = Estimate {
        seconds: 0,
        low: 0,
        high: 0,
    };
}

/// One room's line: a counter and a cursor, no per-visitor memory.
#[derive(Debug, Clone)]
pub struct Queue {
    /// Numbers `0..issued` have been handed out.
    issued: u64,
    /// Numbers `< cursor` may enter.
    cursor: u64,
    /// Expected arrivals the rate allows right now (fractional; negative while in debt).
    budget: f64,
    /// Time up to which `budget` has been refilled.
    refilled_at: Millis,
    /// Deadlines of called numbers whose holders have not arrived yet; only kept with a
    /// `max_active` cap and never longer than that cap.
    on_their_way: VecDeque<Millis>,
    shows: ShowUps,
    pace: PaceMeter,
    /// Session starts the rate allows right now, and when that was last refilled.
    starts: f64,
    starts_at: Millis,
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
            shows: ShowUps::new(),
            pace: PaceMeter::new(now),
            starts: limits.burst(),
            starts_at: now,
        }
    }

    pub fn issued(&self) -> u64 {
        self.issued
    }

    /// Empties the admission budget: nobody more may enter before the rate refills it.
    pub fn spend_budget(&mut self) {
        self.budget = self.budget.min(0.0);
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

    /// The measured share of called numbers whose holders turn up (1 until measured).
    pub fn show_share(&self) -> f64 {
        self.shows.share
    }

    /// Brings the cursor up to `now`. `active` is the number of live sessions.
    pub fn advance(&mut self, now: Millis, limits: &Limits, active: u64) {
        let elapsed = now.saturating_sub(self.refilled_at);
        self.refilled_at = self.refilled_at.max(now);
        if limits.paused {
            // A pause is not a slow line: it leaves the measured pace alone.
            self.pace.restart(now);
            return;
        }
        self.shows.update(now);
        let share = self.shows.share;
        let per_ms = limits.admit_per_minute / 60_000.0;
        // Admissions owed for the whole gap are taken first and only what is left over is
        // capped: people who waited through a quiet stretch of requests were being let in all
        // along, while an empty room banks no more than one burst.
        let owed = self.budget + elapsed as f64 * per_ms;
        while self.on_their_way.front().is_some_and(|&d| d <= now) {
            self.on_their_way.pop_front();
        }

        let waiting = self.waiting();
        // Each call costs its expected show-up; the small epsilon keeps 3.0 / 1.0 from being
        // floored to 2 by rounding.
        let affordable = if owed > 0.0 {
            (owed / share + 1e-9).floor() as u64
        } else {
            0
        };
        let room = waiting.min(affordable).min(self.free_slots(limits, active));
        self.budget = (owed - room as f64 * share).min(limits.burst());
        self.pace.record(now, room, waiting > 0);
        self.call(room, now, limits);
    }

    /// Moves the cursor over `room` numbers, recording them as called.
    fn call(&mut self, room: u64, now: Millis, limits: &Limits) {
        if room == 0 {
            return;
        }
        let share = self.shows.share;
        self.shows
            .called(self.cursor, self.cursor + room, now, room as f64 * share);
        self.cursor += room;
        if limits.max_active > 0 {
            let deadline = now + CLAIM_WINDOW_MS;
            // Enough to count `max_active` expected arrivals at the lowest show-up share, so
            // the cap holds however many called holders stay away.
            let keep = (limits.max_active as f64 / MIN_SHOW_SHARE).ceil() as usize;
            for _ in 0..room {
                if self.on_their_way.len() >= keep {
                    break;
                }
                self.on_their_way.push_back(deadline);
            }
        }
    }

    /// Takes in what happened to a shared line elsewhere: numbers drawn by other gateways, and
    /// numbers they let straight in from the allowance (`cursor` ahead of ours), which are
    /// paid from the budget as if this line had called them.
    pub fn adopt(&mut self, issued: u64, cursor: u64, now: Millis, limits: &Limits) {
        self.issued = self.issued.max(issued);
        let cursor = cursor.min(self.issued);
        if cursor > self.cursor {
            let walked_in = cursor - self.cursor;
            self.budget -= walked_in as f64 * self.shows.share;
            self.call(walked_in, now, limits);
        }
    }

    /// Newcomers who may be let straight in before the next `advance`: what the budget holds
    /// with nobody waiting, within `max_active`. Drawing a number spends it elsewhere.
    pub fn allowance(&self, limits: &Limits, active: u64) -> u64 {
        if self.waiting() > 0 || limits.paused || self.budget <= 0.0 {
            return 0;
        }
        let allow = (self.budget / self.shows.share + 1e-9).floor() as u64;
        allow.min(self.free_slots(limits, active))
    }

    /// Sessions `max_active` still has room for, with `active` running and the called holders
    /// still on their way expected at the show-up share (unbounded without a cap).
    fn free_slots(&self, limits: &Limits, active: u64) -> u64 {
        if limits.max_active == 0 {
            return u64::MAX;
        }
        let expected = (self.on_their_way() as f64 * self.shows.share).ceil() as u64;
        limits
            .max_active
            .saturating_sub(active.saturating_add(expected))
    }

    /// Admissions are owed from `at` on, not before: the line was stopped until then (an
    /// operator's pause, a schedule not yet open) even if no `advance` saw it stopped.
    pub fn count_from(&mut self, at: Millis) {
        self.refilled_at = self.refilled_at.max(at);
    }

    /// Sets the admission budget: a line taken over starts with what was left unspent.
    pub fn set_budget(&mut self, budget: f64, limits: &Limits) {
        self.budget = budget.min(limits.burst());
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

    /// Whether a called holder who turns up now may start a session: at most the rate, plus
    /// one second's burst, ever. `false` asks them to come back in a moment.
    pub fn may_start(&mut self, now: Millis, limits: &Limits) -> bool {
        let elapsed = now.saturating_sub(self.starts_at);
        self.starts_at = self.starts_at.max(now);
        self.starts =
            (self.starts + elapsed as f64 * limits.admit_per_minute / 60_000.0).min(limits.burst());
        if self.starts >= 1.0 - 1e-9 {
            self.starts -= 1.0;
            true
        } else {
            false
        }
    }

    /// The called number `seq` turned up and became a session. An arrival the line did not
    /// pay for (its number was written off as a no-show, or far more of its group came than
    /// expected) is paid now, from the bucket, down to a bounded debt.
    pub fn arrived(&mut self, seq: u64, now: Millis, limits: &Limits) {
        self.on_their_way.pop_front();
        if !self.shows.arrived(seq, now) {
            let floor = -MAX_DEBT_SECONDS * limits.burst();
            self.budget = (self.budget - 1.0).max(floor).min(self.budget);
        }
    }

    /// How fast the line moves now: the measured pace, never above what the limits allow.
    pub fn pace(&self, limits: &Limits) -> Pace {
        let nominal = (limits.admit_per_minute / self.shows.share).max(f64::MIN_POSITIVE);
        match self.pace.per_minute {
            // Below a measured pace lies a cap, a recent change of rate or chance; the range
            // reaches up to what the rate would allow.
            Some(measured) if measured < nominal => Pace {
                per_minute: measured.max(nominal * 0.01),
                spread: self
                    .pace
                    .spread
                    .max(((nominal - measured) / nominal).min(0.5)),
            },
            Some(_) => Pace {
                per_minute: nominal,
                spread: self.pace.spread,
            },
            None => Pace {
                per_minute: nominal,
                spread: UNMEASURED_SPREAD,
            },
        }
    }
}

/// A group of numbers called within the same few seconds, and how many of them turned up.
#[derive(Debug, Clone)]
struct Called {
    from: u64,
    to: u64,
    at: Millis,
    /// Expected show-ups paid for by the rate.
    paid: f64,
    arrived: u64,
}

impl Called {
    fn settled(&self, now: Millis) -> bool {
        self.at + SHOW_BUCKET_MS + CLAIM_WINDOW_MS <= now
    }
}

/// The no-show measurement: recent groups of called numbers, bounded in time and count.
#[derive(Debug, Clone)]
struct ShowUps {
    called: VecDeque<Called>,
    /// Share of called numbers that turn up, in `MIN_SHOW_SHARE..=1`.
    share: f64,
    /// When `share` was last worked out.
    updated_at: Millis,
}

impl ShowUps {
    const MAX_GROUPS: usize = ((SHOW_WINDOW_MS + CLAIM_WINDOW_MS) / SHOW_BUCKET_MS + 2) as usize;

    fn new() -> ShowUps {
        ShowUps {
            called: VecDeque::new(),
            share: 1.0,
            updated_at: 0,
        }
    }

    fn called(&mut self, from: u64, to: u64, now: Millis, paid: f64) {
        if let Some(last) = self.called.back_mut() {
            if last.to == from && now < last.at + SHOW_BUCKET_MS {
                last.to = to;
                last.paid += paid;
                return;
            }
        }
        if self.called.len() >= Self::MAX_GROUPS {
            self.called.pop_front();
        }
        self.called.push_back(Called {
            from,
            to,
            at: now,
            paid,
            arrived: 0,
        });
    }

    /// Counts an arrival; `false` when it was not paid for.
    fn arrived(&mut self, seq: u64, now: Millis) -> bool {
        let i = self.called.partition_point(|c| c.to <= seq);
        match self.called.get_mut(i) {
            Some(c) if c.from <= seq => {
                c.arrived += 1;
                !c.settled(now) && c.arrived as f64 <= c.paid * SHOW_TOLERANCE + 1.0
            }
            // Called longer ago than anything remembered.
            _ => false,
        }
    }

    /// Works the share out again, once a second at most.
    fn update(&mut self, now: Millis) {
        if now < self.updated_at + 1_000 {
            return;
        }
        self.updated_at = now;
        let oldest = now.saturating_sub(SHOW_WINDOW_MS + CLAIM_WINDOW_MS + SHOW_BUCKET_MS);
        while self.called.front().is_some_and(|c| c.at < oldest) {
            self.called.pop_front();
        }
        let (called, arrived) = self
            .called
            .iter()
            .filter(|c| c.settled(now))
            .fold((0, 0), |(n, a), c| (n + (c.to - c.from), a + c.arrived));
        if called >= SHOW_MIN_SAMPLE {
            self.share = (arrived as f64 / called as f64).clamp(MIN_SHOW_SHARE, 1.0);
        }
    }
}

/// Measures the pace of the cursor while people wait, smoothed over about a minute.
#[derive(Debug, Clone)]
struct PaceMeter {
    since: Millis,
    moved: u64,
    /// People waited at every step of the current sample.
    queued: bool,
    per_minute: Option<f64>,
    /// Smoothed relative deviation of the samples from the pace.
    spread: f64,
}

impl PaceMeter {
    fn new(now: Millis) -> PaceMeter {
        PaceMeter {
            since: now,
            moved: 0,
            queued: true,
            per_minute: None,
            spread: UNMEASURED_SPREAD,
        }
    }

    fn restart(&mut self, now: Millis) {
        self.since = now;
        self.moved = 0;
        self.queued = true;
    }

    fn record(&mut self, now: Millis, moved: u64, queued: bool) {
        self.moved += moved;
        self.queued &= queued;
        let span = now.saturating_sub(self.since);
        let long_enough =
            span >= PACE_SAMPLE_MS && (self.moved >= PACE_MIN_MOVED || span >= PACE_MAX_SAMPLE_MS);
        if !long_enough {
            return;
        }
        // With nobody waiting the cursor follows the arrivals, not its pace: no sample.
        if self.queued {
            let sample = self.moved as f64 * 60_000.0 / span as f64;
            let weight = (span as f64 / PACE_SMOOTHING_MS).min(1.0);
            match self.per_minute {
                None => {
                    self.per_minute = Some(sample);
                    self.spread = UNMEASURED_SPREAD;
                }
                Some(pace) => {
                    let deviation = ((sample - pace) / pace.max(1e-9)).abs().min(1.0);
                    self.spread += weight * (deviation - self.spread);
                    self.per_minute = Some(pace + weight * (sample - pace));
                }
            }
        }
        self.restart(now);
    }
}

/// Position in line of a waiting ticket: 1 is next.
pub fn position(seq: u64, cursor: u64) -> u64 {
    seq.saturating_sub(cursor) + 1
}

/// The wait until the cursor passes a ticket at `position` (1 = next) at `pace`.
pub fn estimate(position: u64, pace: &Pace) -> Estimate {
    if position == 0 {
        return Estimate::NOW;
    }
    let at = |per_minute: f64| {
        let secs = position as f64 * 60.0 / per_minute.max(f64::MIN_POSITIVE);
        secs.ceil().min(u64::MAX as f64 / 2.0) as u64
    };
    let seconds = at(pace.per_minute);
    if pace.spread < RANGE_FROM {
        return Estimate {
            seconds,
            low: seconds,
            high: seconds,
        };
    }
    let spread = pace.spread.min(0.5);
    Estimate {
        seconds,
        low: at(pace.per_minute * (1.0 + spread)),
        high: at(pace.per_minute * (1.0 - spread)),
    }
}

/// The wait for someone arriving now: nothing while nobody waits (they pass straight
/// through), else the time until the cursor reaches the back of the line.
pub fn estimate_for_newcomer(waiting: u64, pace: &Pace) -> Estimate {
    if waiting == 0 {
        Estimate::NOW
    } else {
        estimate(waiting + 1, pace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_line_pays_for_walk_ins_made_elsewhere() {
        let limits = Limits::new(60.0, 0);
        let t0 = 1_000_000;
        let mut q = Queue::new(t0, &limits);
        // One second's burst: one newcomer may walk straight in.
        assert_eq!(q.allowance(&limits, 0), 1);
        // Another gateway let them in: drawn and called there.
        q.adopt(1, 1, t0, &limits);
        assert_eq!((q.issued(), q.cursor()), (1, 1));
        assert_eq!(q.allowance(&limits, 0), 0);
        // Five more drew numbers elsewhere; three seconds later three are called.
        q.adopt(6, 1, t0, &limits);
        q.advance(t0 + 3_000, &limits, 0);
        assert_eq!(q.cursor(), 4);
        assert_eq!(q.allowance(&limits, 0), 0, "people wait: nobody walks in");
        // A cursor reported behind ours changes nothing.
        q.adopt(6, 2, t0 + 3_000, &limits);
        assert_eq!(q.cursor(), 4);
    }

    #[test]
    fn the_allowance_keeps_to_max_active() {
        let limits = Limits::new(6000.0, 3);
        let q = Queue::new(0, &limits);
        assert_eq!(q.allowance(&limits, 0), 3);
        assert_eq!(q.allowance(&limits, 2), 1);
        assert_eq!(q.allowance(&limits, 5), 0);
        let paused = Limits {
            paused: true,
            ..limits
        };
        assert_eq!(q.allowance(&paused, 0), 0);
    }
    use proptest::prelude::*;

    const T0: Millis = 1_700_000_000_000;

    fn limits(rate: f64, max_active: u64) -> Limits {
        Limits::new(rate, max_active)
    }

    /// Advances the line and lets every holder called so far (from `*come` on) turn up.
    fn advance_all_come(q: &mut Queue, come: &mut u64, now: Millis, l: &Limits) {
        q.advance(now, l, 0);
        for seq in *come..q.cursor() {
            q.arrived(seq, now, l);
        }
        *come = q.cursor();
    }

    #[test]
    fn idle_room_is_invisible_below_the_rate() {
        let l = limits(600.0, 0);
        let mut q = Queue::new(T0, &l);
        // One arrival every 200 ms is half the rate: all pass straight through.
        for i in 0..100 {
            let d = q.draw(T0 + i * 200, &l, 0);
            assert!(d.admitted, "arrival {i} was queued");
            q.arrived(d.seq, T0 + i * 200, &l);
        }
        assert_eq!(q.waiting(), 0);
        assert_eq!(q.show_share(), 1.0);
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
        let mut come = 0;
        for _ in 0..400 {
            q.draw(T0, &l, 0);
        }
        advance_all_come(&mut q, &mut come, T0, &l);
        assert_eq!(q.cursor(), 10);
        for s in 1..=45 {
            advance_all_come(&mut q, &mut come, T0 + s * 1000, &l);
            assert_eq!(q.cursor(), (10 + s * 10).min(400));
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
        q.arrived(0, T0, &l);
        q.arrived(1, T0, &l);
        q.advance(T0 + 5_000, &l, 2);
        assert_eq!(q.cursor(), 2, "two sessions active: the cursor waits");
        q.advance(T0 + 6_000, &l, 1);
        assert_eq!(q.cursor(), 3, "one session ended: one more called");
        // That holder never comes: after the claim window the slot is free again.
        q.advance(T0 + 6_000 + CLAIM_WINDOW_MS, &l, 1);
        assert_eq!(q.cursor(), 4);
    }

    #[test]
    fn max_active_holds_when_called_holders_stay_away() {
        // Half of the called never come: the cap must hold all the same.
        let l = limits(6000.0, 10);
        let mut q = Queue::new(T0, &l);
        for _ in 0..5000 {
            q.draw(T0, &l, 0);
        }
        let mut active = 0;
        let mut come = 0;
        for step in 1..=3000 {
            let now = T0 + step * 100;
            q.advance(now, &l, active);
            for seq in come..q.cursor() {
                if seq % 2 == 0 && q.may_start(now, &l) {
                    q.arrived(seq, now, &l);
                    active += 1;
                }
            }
            come = q.cursor();
            assert!(
                active <= 10,
                "{active} sessions over a cap of 10 at step {step}"
            );
        }
        assert_eq!(active, 10, "and it was reached");
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

    /// Runs a line of `rate` with a long queue for `minutes`, where the holders of numbers
    /// for which `shows(seq)` is false never come and the others come `delay_ms` after their
    /// call; returns the new sessions of each minute.
    fn sessions_per_minute(
        rate: f64,
        minutes: u64,
        delay_ms: Millis,
        shows: impl Fn(u64) -> bool,
    ) -> (Queue, Vec<u64>) {
        let l = limits(rate, 0);
        let mut q = Queue::new(T0, &l);
        for _ in 0..(rate as u64 * minutes * 4) {
            q.draw(T0, &l, 0);
        }
        let mut coming: VecDeque<(Millis, u64)> = VecDeque::new();
        let mut per_minute = vec![0; minutes as usize];
        for step in 1..=minutes * 60 * 10 {
            let now = T0 + step * 100;
            let before = q.cursor();
            q.advance(now, &l, 0);
            coming.extend(
                (before..q.cursor())
                    .filter(|s| shows(*s))
                    .map(|s| (now + delay_ms, s)),
            );
            while coming.front().is_some_and(|(at, _)| *at <= now) {
                let (_, seq) = coming.pop_front().unwrap();
                q.arrived(seq, now, &l);
                per_minute[((now - T0 - 1) / 60_000) as usize] += 1;
            }
        }
        (q, per_minute)
    }

    #[test]
    fn no_shows_are_made_up_for() {
        // Two in five never come; the rest come four seconds after their call.
        let (q, per_minute) = sessions_per_minute(600.0, 10, 4_000, |s| s % 5 >= 2);
        assert!((q.show_share() - 0.6).abs() < 0.03, "{}", q.show_share());
        for (minute, n) in per_minute.iter().enumerate().skip(3) {
            assert!(
                (540..=660).contains(n),
                "minute {minute}: {n} new sessions, target 600 ({per_minute:?})"
            );
        }
        // Without compensation it would have been 360 a minute.
        let pace = q.pace(&limits(600.0, 0));
        assert!((pace.per_minute - 1000.0).abs() < 60.0, "{pace:?}");
    }

    #[test]
    fn compensation_is_bounded_when_nobody_comes() {
        let (q, per_minute) = sessions_per_minute(600.0, 5, 0, |_| false);
        assert!(per_minute.iter().all(|n| *n == 0));
        assert_eq!(q.show_share(), MIN_SHOW_SHARE);
        // Never more than three times the rate, plus the first burst.
        assert!(q.cursor() <= 3 * 600 * 5 + 30, "{}", q.cursor());
    }

    #[test]
    fn a_returning_crowd_holds_the_cursor() {
        // Half never come: the line calls twice the rate.
        let l = limits(600.0, 0);
        let (mut q, _) = sessions_per_minute(600.0, 4, 1_000, |s| s % 2 == 0);
        let now = T0 + 4 * 60_000;
        assert!((q.show_share() - 0.5).abs() < 0.05);
        // Every written-off holder of the last minute comes back at once.
        let cursor = q.cursor();
        let returning: Vec<u64> = (cursor.saturating_sub(1000)..cursor)
            .filter(|s| s % 2 == 1)
            .collect();
        for seq in &returning {
            q.arrived(*seq, now, &l);
        }
        // The debt they ran up (capped at ten seconds of the rate) holds the cursor.
        q.advance(now + 9_000, &l, 0);
        assert_eq!(
            q.cursor(),
            cursor,
            "the cursor waits while the crowd is paid for"
        );
        q.advance(now + 15_000, &l, 0);
        assert!(q.cursor() > cursor, "and moves on once it is");
    }

    #[test]
    fn a_steady_line_gives_one_figure() {
        let l = limits(600.0, 0);
        let mut q = Queue::new(T0, &l);
        let mut come = 0;
        for _ in 0..5000 {
            q.draw(T0, &l, 0);
        }
        let fresh = estimate(600, &q.pace(&l));
        assert!(
            fresh.low < fresh.seconds && fresh.seconds < fresh.high,
            "unmeasured: a range"
        );
        for s in 1..=180 {
            advance_all_come(&mut q, &mut come, T0 + s * 1000, &l);
        }
        let e = estimate(600, &q.pace(&l));
        assert_eq!(e.seconds, 60);
        assert_eq!((e.low, e.high), (60, 60));
        assert_eq!(estimate(0, &q.pace(&l)), Estimate::NOW);
        assert_eq!(estimate_for_newcomer(0, &q.pace(&l)), Estimate::NOW);
    }

    #[test]
    fn a_cap_slows_the_estimate_and_widens_it() {
        // The rate would allow 600 a minute, but sessions end only 60 a minute.
        let l = limits(600.0, 10);
        let mut q = Queue::new(T0, &l);
        for _ in 0..5000 {
            q.draw(T0, &l, 0);
        }
        let mut active: VecDeque<Millis> = VecDeque::new();
        for s in 1..=300 {
            let now = T0 + s * 1000;
            while active.front().is_some_and(|end| *end <= now) {
                active.pop_front();
            }
            let before = q.cursor();
            q.advance(now, &l, active.len() as u64);
            for seq in before..q.cursor() {
                q.arrived(seq, now, &l);
                active.push_back(now + 10_000);
            }
        }
        let pace = q.pace(&l);
        assert!((pace.per_minute - 60.0).abs() < 10.0, "{pace:?}");
        let e = estimate(60, &pace);
        assert!((50..=70).contains(&e.seconds), "{e:?}");
        assert!(e.low < e.seconds && e.high > e.seconds, "{e:?}");
    }

    #[test]
    fn a_pause_leaves_the_pace_alone() {
        let mut l = limits(600.0, 0);
        let mut q = Queue::new(T0, &l);
        let mut come = 0;
        for _ in 0..5000 {
            q.draw(T0, &l, 0);
        }
        for s in 1..=120 {
            advance_all_come(&mut q, &mut come, T0 + s * 1000, &l);
        }
        let before = q.pace(&l);
        l.paused = true;
        for s in 121..=600 {
            q.advance(T0 + s * 1000, &l, 0);
        }
        l.paused = false;
        advance_all_come(&mut q, &mut come, T0 + 601_000, &l);
        assert_eq!(q.pace(&l), before);
    }

    #[test]
    fn sessions_start_no_faster_than_the_rate_plus_one_burst() {
        let l = limits(600.0, 0);
        let mut q = Queue::new(T0, &l);
        // A crowd of called holders all come back in the same instant.
        let started = (0..100).filter(|_| q.may_start(T0 + 60_000, &l)).count();
        assert_eq!(started, 10, "one second's burst");
        assert!(!q.may_start(T0 + 60_050, &l));
        assert!(
            q.may_start(T0 + 60_100, &l),
            "a tenth of a second later, one more"
        );
        let more = (1..=1000)
            .filter(|i| q.may_start(T0 + 60_100 + i * 10, &l))
            .count();
        assert_eq!(more, 100, "ten seconds at 600 a minute");
    }

    #[test]
    fn positions() {
        assert_eq!(position(10, 10), 1);
        assert_eq!(position(15, 10), 6);
    }

    proptest! {
        /// When every called holder comes, admissions over any run never exceed the rate plus
        /// one burst, and the cursor never passes the last ticket.
        #[test]
        fn never_faster_than_rate_plus_burst(
            rate in 1.0f64..10_000.0,
            steps in proptest::collection::vec((0u64..3_000, 0u64..50), 1..200),
        ) {
            let l = limits(rate, 0);
            let mut q = Queue::new(T0, &l);
        let mut come = 0;
            let mut now = T0;
            for (dt, arrivals) in steps {
                now += dt;
                for _ in 0..arrivals {
                    q.draw(now, &l, 0);
                }
                advance_all_come(&mut q, &mut come, now, &l);
                prop_assert!(q.cursor() <= q.issued());
                let allowed = l.burst() + (now - T0) as f64 * rate / 60_000.0;
                prop_assert!(q.cursor() as f64 <= allowed + 1e-6);
            }
        }

        /// Whoever comes or not, real sessions never exceed the rate plus one burst and what
        /// the show-up tolerance lets through, and the cursor never runs more than 3× the rate.
        #[test]
        fn no_show_compensation_stays_bounded(
            rate in 1.0f64..5_000.0,
            steps in proptest::collection::vec((0u64..3_000, 0u64..50, 0u8..=100), 1..300),
        ) {
            let l = limits(rate, 0);
            let mut q = Queue::new(T0, &l);
            let mut now = T0;
            let mut sessions = 0u64;
            for (dt, arrivals, show_percent) in steps {
                now += dt;
                for _ in 0..arrivals {
                    q.draw(now, &l, 0);
                }
                let before = q.cursor();
                q.advance(now, &l, 0);
                for seq in before..q.cursor() {
                    if seq % 100 < show_percent as u64 {
                        q.arrived(seq, now, &l);
                        sessions += 1;
                    }
                }
                let minutes = (now - T0) as f64 / 60_000.0;
                let paid = l.burst() + minutes * rate;
                prop_assert!(q.cursor() as f64 <= 3.0 * paid + 1e-6);
                prop_assert!(
                    sessions as f64 <= SHOW_TOLERANCE * paid + 2.0 * (1.0 + MAX_DEBT_SECONDS * l.burst()),
                    "{} sessions, {} paid", sessions, paid
                );
            }
        }
    }
}
