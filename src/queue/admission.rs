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

use std::collections::{BTreeMap, VecDeque};

use crate::clock::Millis;
use crate::queue::adaptive::AdaptiveConfig;
use crate::queue::supply::{self, Supply};

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
/// Samples after which the measured pace counts fully.
const PACE_TRUSTED_AFTER: f64 = 4.0;
/// Relative uncertainty of a pace nobody has measured yet.
const UNMEASURED_SPREAD: f64 = 0.25;
/// From this relative uncertainty on, an estimate is given as a range.
const RANGE_FROM: f64 = 0.15;

/// Called holders on their way that the cap counts at most, however large the cap: a room with
/// a large supply keeps no long list for a cap that is far away.
const MAX_COUNTED_ON_THE_WAY: u64 = 100_000;

/// The most sessions the room lets run at once: the operator's `max_active` (0 = none), and,
/// while the room counts its supply, no more than are expected to book what is left.
fn session_cap(limits: &Limits, active: u64) -> Option<u64> {
    let operator = (limits.max_active > 0).then_some(limits.max_active);
    let supply = supply::session_cap(limits.supply.as_ref(), active);
    match (operator, supply) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

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
    pub schedule: Option<crate::queue::schedule::Window>,
    /// `[rooms.supply] appointments`: what there is to book at each opening; `None` when the
    /// room does not count its supply.
    pub appointments: Option<u64>,
    /// The supply record as the room keeps it, while it counts one: nobody more is called
    /// once the sessions on the site are expected to book what is left (`supply::session_cap`).
    pub supply: Option<Supply>,
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
            appointments: None,
            supply: None,
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
    /// Called places whose holders asked to start (or whether they would): place → when they
    /// last asked, and whether they were told "in a moment". A start goes to the lowest of
    /// them first, so that whoever polls first does not overtake someone called earlier.
    claims: BTreeMap<u64, StartClaim>,
    /// Claims whose holders were told "in a moment".
    held_back: u64,
    /// When claims were last looked through for ones run out.
    claims_pruned_at: Millis,
}

/// A called place's claim on the next starts.
#[derive(Debug, Clone, Copy)]
struct StartClaim {
    asked: Millis,
    held_back: bool,
}

/// How long a called place keeps its claim on the next start after its holder last asked: a
/// page told "in a moment" asks again within a few seconds.
pub const CLAIM_HOLD_MS: Millis = 5_000;
/// Claims kept at most; beyond it the latest places' claims are forgotten (they are asked
/// for again).
const MAX_CLAIMS: usize = 65_536;

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
            claims: BTreeMap::new(),
            held_back: 0,
            claims_pruned_at: now,
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
        if let Some(cap) = session_cap(limits, 0) {
            let deadline = now + CLAIM_WINDOW_MS;
            // Enough to count `cap` expected arrivals at the lowest show-up share, so the cap
            // holds however many called holders stay away.
            let keep = (cap.min(MAX_COUNTED_ON_THE_WAY) as f64 / MIN_SHOW_SHARE).ceil() as usize;
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
        let Some(cap) = session_cap(limits, active) else {
            return u64::MAX;
        };
        let expected = (self.on_their_way() as f64 * self.shows.share).ceil() as u64;
        cap.saturating_sub(active.saturating_add(expected))
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
    /// one second's burst, ever. `false` asks them to come back in a moment. The bucket alone,
    /// without the order among called places (the simulation's model); rooms ask
    /// `start_in_order`.
    pub fn may_start(&mut self, now: Millis, limits: &Limits) -> bool {
        self.refill_starts(now, limits);
        if self.starts >= 1.0 - 1e-9 {
            self.starts -= 1.0;
            true
        } else {
            false
        }
    }

    /// `may_start` for the holder of called `place`, in line order: a start goes to it only
    /// if enough are left for every lower place whose holder asked within `CLAIM_HOLD_MS`.
    /// `Err(places ahead told the same)` records its claim (come back in a moment). With `take` false
    /// nothing is spent: whether it would start now (a status poll asks this; it claims all
    /// the same).
    pub fn start_in_order(
        &mut self,
        place: u64,
        now: Millis,
        limits: &Limits,
        take: bool,
    ) -> Result<(), u64> {
        self.refill_starts(now, limits);
        self.prune_claims(now);
        let ahead = self.claims.range(..place).count() as u64;
        if self.starts >= ahead as f64 + 1.0 - 1e-9 {
            if take {
                self.starts -= 1.0;
                self.set_claim(place, None);
            } else {
                let claim = StartClaim {
                    asked: now,
                    held_back: false,
                };
                self.set_claim(place, Some(claim));
            }
            return Ok(());
        }
        let claim = StartClaim {
            asked: now,
            held_back: true,
        };
        self.set_claim(place, Some(claim));
        while self.claims.len() > MAX_CLAIMS {
            if let Some((_, c)) = self.claims.pop_last() {
                self.held_back -= u64::from(c.held_back);
            }
        }
        // Shown: the places ahead also told "in a moment" (those told "in" count as in).
        let shown = self
            .claims
            .range(..place)
            .filter(|(_, c)| c.held_back)
            .count();
        Err(shown as u64)
    }

    /// Forgets claims not asked for within `CLAIM_HOLD_MS`.
    fn prune_claims(&mut self, now: Millis) {
        let stale = now.saturating_sub(CLAIM_HOLD_MS);
        let mut dropped = 0;
        self.claims.retain(|_, c| {
            let keep = c.asked > stale;
            dropped += u64::from(!keep && c.held_back);
            keep
        });
        self.held_back -= dropped;
        self.claims_pruned_at = now;
    }

    /// `prune_claims` for the figures every request reads: at most once a second, and only
    /// while there are claims, so that no waiting visitor's place counts holders who left.
    pub fn forget_stale_claims(&mut self, now: Millis) {
        if !self.claims.is_empty() && now >= self.claims_pruned_at.saturating_add(1_000) {
            self.prune_claims(now);
        }
    }

    fn set_claim(&mut self, place: u64, claim: Option<StartClaim>) {
        let old = match claim {
            Some(c) => {
                self.held_back += u64::from(c.held_back);
                self.claims.insert(place, c)
            }
            None => self.claims.remove(&place),
        };
        if let Some(old) = old {
            self.held_back -= u64::from(old.held_back);
        }
    }

    /// Called places whose holders were told "in a moment" (some may have run out unnoticed
    /// until the next start is asked for): they go before everyone still waiting.
    pub fn held_back(&self) -> u64 {
        self.held_back
    }

    fn refill_starts(&mut self, now: Millis, limits: &Limits) {
        let elapsed = now.saturating_sub(self.starts_at);
        self.starts_at = self.starts_at.max(now);
        self.starts =
            (self.starts + elapsed as f64 * limits.admit_per_minute / 60_000.0).min(limits.burst());
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
        // The first samples move the estimate only part of the way from the nominal pace: one
        // sample must not turn "2–3 minutes" into "3–9 minutes" five seconds on.
        let trust = (f64::from(self.pace.samples) / PACE_TRUSTED_AFTER).min(1.0);
        let measured = self
            .pace
            .per_minute
            .map(|m| nominal + (m - nominal) * trust);
        match measured {
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
    /// Samples taken so far (counted up to `PACE_TRUSTED_AFTER`).
    samples: u32,
}

impl PaceMeter {
    fn new(now: Millis) -> PaceMeter {
        PaceMeter {
            since: now,
            moved: 0,
            queued: true,
            per_minute: None,
            spread: UNMEASURED_SPREAD,
            samples: 0,
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
            self.samples = (self.samples + 1).min(PACE_TRUSTED_AFTER as u32);
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
mod tests;
