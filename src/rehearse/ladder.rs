//! The rehearsal's arithmetic: which admission rate to try next, what a step's figures say
//! about the site, where the knee is and what to set. Pure: takes what the steps measured and
//! returns numbers; must not send a request or look at the clock.

use serde::Serialize;

/// What the site must keep to: the room's `target_latency` and `max_error_ratio`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Targets {
    /// 95th percentile of the site's answers, in milliseconds.
    pub target_latency_ms: f64,
    pub max_error_ratio: f64,
}

/// The site's latency over one step, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct LatencyMs {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

/// What one step measured, after its warm-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    /// The admission rate the room was set to.
    pub per_minute: f64,
    /// New sessions per minute the crowd actually started on the site: what it could drive.
    pub driven_per_minute: f64,
    /// How long the step was measured.
    pub seconds: f64,
    /// Journey requests answered or failed (those still open at the end count by how long
    /// they had waited, not as errors).
    pub requests: u64,
    /// 5xx answers, timeouts and refused or broken connections.
    pub errors: u64,
    pub error_ratio: f64,
    pub latency_ms: LatencyMs,
    pub journeys_completed: u64,
    /// Most journey requests in flight at once: what the site held at this rate.
    pub peak_in_flight: u64,
    /// The step was cut short because its errors ran away.
    pub ended_early: bool,
    pub verdict: Verdict,
}

/// What a step says about the site at its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// p95 under the target and errors under the limit.
    Good,
    /// p95 at or over the target.
    Slow,
    /// Errors at or over the limit.
    Failing,
    /// Errors so many that the rehearsal stopped at once.
    RanAway,
    /// The crowd could not start sessions at this rate: nothing is said about the site.
    Undriven,
}

impl Verdict {
    pub fn bad(self) -> bool {
        matches!(self, Verdict::Slow | Verdict::Failing | Verdict::RanAway)
    }
}

/// A share of failed requests at which a step stops at once and the rehearsal ends: the site
/// is falling over, not merely slowing down.
pub const RUNAWAY_RATIO: f64 = 0.5;
/// Fewer requests than this in a step say nothing about its errors yet.
pub const MIN_REQUESTS_TO_JUDGE: u64 = 10;
/// A step whose crowd started fewer sessions than this share of the rate was not driven.
pub const DRIVEN_SHARE: f64 = 0.85;

/// Whether the errors so far in a step have run away: end it now.
pub fn ran_away(requests: u64, errors: u64) -> bool {
    requests >= MIN_REQUESTS_TO_JUDGE && errors as f64 >= RUNAWAY_RATIO * requests as f64
}

/// The verdict on a measured step.
pub fn judge(step: &StepResult, targets: &Targets) -> Verdict {
    if ran_away(step.requests, step.errors) {
        return Verdict::RanAway;
    }
    if step.error_ratio >= targets.max_error_ratio && step.errors > 0 {
        return Verdict::Failing;
    }
    if step.requests > 0 && step.latency_ms.p95 >= targets.target_latency_ms {
        return Verdict::Slow;
    }
    if undriven(step) {
        return Verdict::Undriven;
    }
    Verdict::Good
}

/// Whether the crowd started clearly fewer sessions than the rate called for: short of
/// `DRIVEN_SHARE` by more than chance (two standard deviations of a count) explains.
fn undriven(step: &StepResult) -> bool {
    let minutes = step.seconds / 60.0;
    let expected = step.per_minute * minutes;
    let started = step.driven_per_minute * minutes;
    started + 2.0 * expected.sqrt() + 1.0 < DRIVEN_SHARE * expected
}

/// How the rate is raised: geometric steps from `start` up to `ceiling`, then, once a step is
/// bad, halving the gap (geometrically) between the last good and the first bad rate until
/// they are within `resolution` of each other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ladder {
    pub start: f64,
    pub ceiling: f64,
    /// Each rising step's rate over the last, e.g. 1.5.
    pub factor: f64,
    /// The refining ends when the first bad rate is within this factor of the last good one.
    pub resolution: f64,
    /// No more steps than this, whatever happens.
    pub max_steps: usize,
}

/// What the rehearsal does after the steps so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Next {
    Step(f64),
    Done(Finish),
}

/// Why the rehearsal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// Between a good and a bad rate, close enough.
    KneeFound,
    /// Every step up to the ceiling was good: the knee is above it.
    CeilingReached,
    /// The lowest step was already bad.
    BadFromTheStart,
    /// The site's errors ran away; the rehearsal stopped at once.
    ErrorsRanAway,
    /// The crowd could not drive the rate asked for.
    CrowdLimit,
    /// `max_steps` were run.
    OutOfSteps,
}

impl Ladder {
    /// The next rate, or why there is none.
    pub fn next(&self, steps: &[StepResult]) -> Next {
        let Some(last) = steps.last() else {
            return Next::Step(self.start.min(self.ceiling));
        };
        match last.verdict {
            Verdict::RanAway => return Next::Done(Finish::ErrorsRanAway),
            Verdict::Undriven => return Next::Done(Finish::CrowdLimit),
            _ => {}
        }
        if steps.len() >= self.max_steps {
            return Next::Done(Finish::OutOfSteps);
        }
        let first_bad = lowest_bad(steps);
        let Some(bad) = first_bad else {
            if last.per_minute >= self.ceiling {
                return Next::Done(Finish::CeilingReached);
            }
            return Next::Step((last.per_minute * self.factor).min(self.ceiling));
        };
        let Some(good) = highest_good_below(steps, bad) else {
            return Next::Done(Finish::BadFromTheStart);
        };
        if bad / good <= self.resolution {
            return Next::Done(Finish::KneeFound);
        }
        Next::Step((good * bad).sqrt())
    }
}

fn lowest_bad(steps: &[StepResult]) -> Option<f64> {
    steps
        .iter()
        .filter(|s| s.verdict.bad())
        .map(|s| s.per_minute)
        .min_by(f64::total_cmp)
}

fn highest_good_below(steps: &[StepResult], below: f64) -> Option<f64> {
    steps
        .iter()
        .filter(|s| s.verdict == Verdict::Good && s.per_minute < below)
        .map(|s| s.per_minute)
        .max_by(f64::total_cmp)
}

/// The knee: the highest good rate below the lowest bad one. `None` when no step was good.
/// Never above what the crowd drove: a step the crowd fell short of is `Undriven`, not good,
/// and ends the climb.
pub fn knee(steps: &[StepResult]) -> Option<f64> {
    let bad = lowest_bad(steps).unwrap_or(f64::INFINITY);
    highest_good_below(steps, bad)
}

/// The most new sessions per minute the crowd started in any step.
pub fn crowd_drove(steps: &[StepResult]) -> f64 {
    steps
        .iter()
        .map(|s| s.driven_per_minute)
        .fold(0.0, f64::max)
}

/// The margin kept below the knee: a morning is not a rehearsal (real people are slower and
/// less alike, and the site has other work).
pub const MARGIN: f64 = 0.8;

/// What the rehearsal recommends putting in the room's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recommended {
    pub admit_per_minute: u64,
    pub max_active: u64,
    pub max_upstream_concurrency: u64,
}

/// The figures of the step the knee is at that the recommendation needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtKnee {
    pub per_minute: f64,
    pub peak_in_flight: u64,
    /// How long a journey took there, start to end, 95th percentile.
    pub journey_seconds: f64,
    /// The room's `session_duration`: an admitted visitor stays active this long after their
    /// last request unless the site releases them.
    pub session_seconds: f64,
}

/// `admit_per_minute` below the knee with margin; `max_active` the sessions active at once at
/// that rate (so the cap does not bind at it, yet stops a pile-up); `max_upstream_concurrency`
/// the requests the site held at the knee, with room for chance.
pub fn recommend(at: &AtKnee) -> Recommended {
    let admit = nice_floor(at.per_minute * MARGIN).max(1.0);
    let active = admit / 60.0 * (at.journey_seconds + at.session_seconds);
    let concurrency = (at.peak_in_flight as f64 * 1.25).ceil() + 2.0;
    Recommended {
        admit_per_minute: admit as u64,
        max_active: (active * 1.1).ceil().max(1.0) as u64,
        max_upstream_concurrency: concurrency as u64,
    }
}

/// `x` rounded down to two significant digits (1234 → 1200, 87.6 → 87): a rate an operator
/// writes down, not one that pretends to a precision the rehearsal does not have.
pub fn nice_floor(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 0.0;
    }
    let digits = x.log10().floor() as i32;
    let unit = 10f64.powi((digits - 1).max(0));
    (x / unit).floor() * unit
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn step(per_minute: f64, verdict: Verdict) -> StepResult {
        StepResult {
            per_minute,
            driven_per_minute: per_minute,
            seconds: 10.0,
            requests: 100,
            errors: 0,
            error_ratio: 0.0,
            latency_ms: LatencyMs::default(),
            journeys_completed: 100,
            peak_in_flight: 3,
            ended_early: false,
            verdict,
        }
    }

    const LADDER: Ladder = Ladder {
        start: 100.0,
        ceiling: 1000.0,
        factor: 1.5,
        resolution: 1.1,
        max_steps: 20,
    };

    /// Runs the ladder against a site whose knee is at `knee` per minute.
    fn climb(ladder: &Ladder, knee_at: f64) -> (Vec<StepResult>, Finish) {
        let mut steps = Vec::new();
        loop {
            match ladder.next(&steps) {
                Next::Step(rate) => {
                    let v = if rate <= knee_at {
                        Verdict::Good
                    } else {
                        Verdict::Failing
                    };
                    steps.push(step(rate, v));
                }
                Next::Done(end) => return (steps, end),
            }
        }
    }

    #[test]
    fn rises_then_refines_between_good_and_bad() {
        let (steps, end) = climb(&LADDER, 420.0);
        assert_eq!(end, Finish::KneeFound);
        let rates: Vec<u64> = steps.iter().map(|s| s.per_minute as u64).collect();
        assert_eq!(&rates[..5], &[100, 150, 225, 337, 506]);
        let k = knee(&steps).unwrap();
        assert!((420.0 / 1.1..=420.0).contains(&k), "{k}");
    }

    #[test]
    fn stops_at_once_when_errors_run_away_or_the_crowd_falls_short() {
        let mut steps = vec![step(100.0, Verdict::Good), step(150.0, Verdict::RanAway)];
        assert_eq!(LADDER.next(&steps), Next::Done(Finish::ErrorsRanAway));
        steps[1].verdict = Verdict::Undriven;
        assert_eq!(LADDER.next(&steps), Next::Done(Finish::CrowdLimit));
        assert_eq!(knee(&steps), Some(100.0));
    }

    #[test]
    fn the_ceiling_and_a_bad_start_end_the_climb() {
        let (steps, end) = climb(&LADDER, 5000.0);
        assert_eq!(end, Finish::CeilingReached);
        assert_eq!(steps.last().unwrap().per_minute, 1000.0);
        let (steps, end) = climb(&LADDER, 50.0);
        assert_eq!(end, Finish::BadFromTheStart);
        assert_eq!(knee(&steps), None);
    }

    #[test]
    fn a_knee_is_never_above_what_the_crowd_drove() {
        let targets = Targets {
            target_latency_ms: 800.0,
            max_error_ratio: 0.05,
        };
        let mut steps = vec![step(400.0, Verdict::Good), step(600.0, Verdict::Good)];
        steps[1].driven_per_minute = 300.0;
        steps[1].verdict = judge(&steps[1], &targets);
        assert_eq!(knee(&steps), Some(400.0));
        assert_eq!(LADDER.next(&steps), Next::Done(Finish::CrowdLimit));
    }

    #[test]
    fn judges_by_errors_latency_and_what_was_driven() {
        let targets = Targets {
            target_latency_ms: 800.0,
            max_error_ratio: 0.05,
        };
        let mut s = step(600.0, Verdict::Good);
        s.latency_ms.p95 = 200.0;
        assert_eq!(judge(&s, &targets), Verdict::Good);
        s.latency_ms.p95 = 900.0;
        assert_eq!(judge(&s, &targets), Verdict::Slow);
        s.errors = 6;
        s.error_ratio = 0.06;
        assert_eq!(judge(&s, &targets), Verdict::Failing);
        s.errors = 60;
        assert_eq!(judge(&s, &targets), Verdict::RanAway);
        let mut s = step(600.0, Verdict::Good);
        s.driven_per_minute = 300.0;
        assert_eq!(judge(&s, &targets), Verdict::Undriven);
        // One session where 1.2 were due is chance, not a crowd that fell short.
        let mut s = step(120.0, Verdict::Good);
        (s.seconds, s.driven_per_minute) = (0.6, 99.0);
        assert_eq!(judge(&s, &targets), Verdict::Good);
    }

    #[test]
    fn recommends_below_the_knee() {
        let r = recommend(&AtKnee {
            per_minute: 900.0,
            peak_in_flight: 8,
            journey_seconds: 4.0,
            session_seconds: 600.0,
        });
        assert_eq!(r.admit_per_minute, 720);
        assert_eq!(r.max_upstream_concurrency, 12);
        // 12 a second for 604 s, with a tenth on top.
        assert_eq!(r.max_active, 7973);
        assert_eq!(nice_floor(1234.0), 1200.0);
        assert_eq!(nice_floor(87.6), 87.0);
        assert_eq!(nice_floor(7.9), 7.0);
    }

    proptest! {
        /// Against any site with a sharp knee inside the ladder, the climb ends and the knee
        /// found is at or below the true one, within the resolution.
        #[test]
        fn the_climb_finds_any_knee(knee_at in 100.0f64..1000.0, factor in 1.2f64..2.0) {
            let ladder = Ladder { factor, ..LADDER };
            let (steps, end) = climb(&ladder, knee_at);
            prop_assert!(steps.len() <= ladder.max_steps);
            prop_assert_eq!(end, Finish::KneeFound);
            let k = knee(&steps).unwrap();
            prop_assert!(k <= knee_at && k * ladder.resolution >= knee_at, "{} vs {}", k, knee_at);
        }

        #[test]
        fn recommendations_stay_below_the_knee(rate in 1.0f64..1e6, peak in 0u64..10_000) {
            let r = recommend(&AtKnee {
                per_minute: rate,
                peak_in_flight: peak,
                journey_seconds: 1.0,
                session_seconds: 600.0,
            });
            prop_assert!(r.admit_per_minute as f64 <= rate.max(1.0));
            prop_assert!(r.max_upstream_concurrency > peak);
        }
    }
}
