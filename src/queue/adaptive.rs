//! Learning the backend's capacity: owns the adaptive admission rate. Pure like `admission`:
//! the controller sees one `UpstreamSample` a second and `now`, and answers with a rate; the
//! lock-free `UpstreamStats` in front of it is what request tasks write to.
//!
//! AIMD, as in TCP: when the upstream's latency (95th percentile over the last ten seconds)
//! passes `target_latency` or its error ratio passes `max_error_ratio`, the rate is cut: to 85 %
//! when only the latency is over (a backend's queue grows as fast at 1 % as at 10 % over its
//! capacity, so latency says *that* it is over, not by how much), and by the failing share when
//! requests fail (never below half at once). The next cut waits for ten seconds of fresh
//! observations, and longer while they show the last cut working (clearly less latency or fewer
//! errors than the ones that led to it), so that sessions admitted before a cut do not drive the
//! rate down to the floor. While the backend is comfortably healthy (latency under 80 % of the
//! target, errors under half the limit) and people wait, the rate grows by a fixed step, 2.5 %
//! of the rate after the last cut, every five seconds. Always within
//! `min_per_minute..=max_per_minute`.
//!
//! The backend's load follows the rate with the length of a session; the controller assumes
//! that is well under a minute of upstream work per visitor. Much longer sessions settle more
//! slowly (see `tests/it/simulation.rs` for the modelled backend).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::clock::Millis;

/// `[rooms.adaptive]` with `enabled = true`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveConfig {
    pub target_latency: Duration,
    pub max_error_ratio: f64,
    pub min_per_minute: f64,
    pub max_per_minute: f64,
}

impl AdaptiveConfig {
    pub fn clamp(&self, rate: f64) -> f64 {
        rate.clamp(self.min_per_minute, self.max_per_minute)
    }
}

/// Latency histogram buckets: bucket `i` holds latencies up to 2^(i/4) ms, so each bucket is
/// 19 % wider than the one before, from 1 ms to about 3.7 minutes.
pub const LATENCY_BUCKETS: usize = 72;

fn bucket_of(latency: Duration) -> usize {
    let ms = latency.as_secs_f64() * 1000.0;
    if ms <= 1.0 {
        return 0;
    }
    ((ms.log2() * 4.0).ceil() as usize).min(LATENCY_BUCKETS - 1)
}

fn bucket_upper_ms(i: usize) -> f64 {
    (i as f64 / 4.0).exp2()
}

/// What the upstream did in some stretch of time.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamSample {
    /// Responses (and timeouts) by latency bucket.
    pub latency: [u32; LATENCY_BUCKETS],
    /// Requests answered without failing.
    pub ok: u32,
    /// Requests that failed: 5xx, connection errors, timeouts, no free upstream slot.
    pub failed: u32,
}

impl Default for UpstreamSample {
    fn default() -> Self {
        UpstreamSample {
            latency: [0; LATENCY_BUCKETS],
            ok: 0,
            failed: 0,
        }
    }
}

impl UpstreamSample {
    /// Records one request; `latency` is `None` when it never got an answer to time.
    pub fn record(&mut self, latency: Option<Duration>, failed: bool) {
        if let Some(latency) = latency {
            self.latency[bucket_of(latency)] += 1;
        }
        if failed {
            self.failed += 1;
        } else {
            self.ok += 1;
        }
    }

    pub fn requests(&self) -> u64 {
        self.ok as u64 + self.failed as u64
    }

    pub fn error_ratio(&self) -> f64 {
        match self.requests() {
            0 => 0.0,
            n => self.failed as f64 / n as f64,
        }
    }

    /// The latency below which a share `q` of the timed requests fell (bucket upper bound).
    pub fn percentile(&self, q: f64) -> Option<Duration> {
        let timed: u64 = self.latency.iter().map(|&n| n as u64).sum();
        if timed == 0 {
            return None;
        }
        let rank = (q * timed as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &n) in self.latency.iter().enumerate() {
            seen += n as u64;
            if seen >= rank {
                return Some(Duration::from_secs_f64(bucket_upper_ms(i) / 1000.0));
            }
        }
        None
    }

    fn add(&mut self, other: &UpstreamSample) {
        for (a, b) in self.latency.iter_mut().zip(other.latency.iter()) {
            *a = a.saturating_add(*b);
        }
        self.ok = self.ok.saturating_add(other.ok);
        self.failed = self.failed.saturating_add(other.failed);
    }
}

/// A room's upstream observations since the last `take`, written by request tasks without a
/// lock: one relaxed atomic add per request.
pub struct UpstreamStats {
    latency: [AtomicU32; LATENCY_BUCKETS],
    ok: AtomicU32,
    failed: AtomicU32,
}

impl Default for UpstreamStats {
    fn default() -> Self {
        UpstreamStats {
            latency: std::array::from_fn(|_| AtomicU32::new(0)),
            ok: AtomicU32::new(0),
            failed: AtomicU32::new(0),
        }
    }
}

impl UpstreamStats {
    pub fn record(&self, latency: Option<Duration>, failed: bool) {
        if let Some(latency) = latency {
            self.latency[bucket_of(latency)].fetch_add(1, Ordering::Relaxed);
        }
        let counter = if failed { &self.failed } else { &self.ok };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Everything recorded since the last call, and a fresh start.
    pub fn take(&self) -> UpstreamSample {
        let mut sample = UpstreamSample::default();
        for (to, from) in sample.latency.iter_mut().zip(self.latency.iter()) {
            *to = from.swap(0, Ordering::Relaxed);
        }
        sample.ok = self.ok.swap(0, Ordering::Relaxed);
        sample.failed = self.failed.swap(0, Ordering::Relaxed);
        sample
    }
}

/// Observations are judged over this long.
const WINDOW_MS: Millis = 10_000;
/// After a cut, the next decision waits for a full window of fresh observations.
const HOLD_AFTER_CUT_MS: Millis = WINDOW_MS;
/// Increases come at most this often.
const INCREASE_EVERY_MS: Millis = 5_000;
/// Fewer requests than this in the window say nothing about the backend.
const MIN_REQUESTS: u64 = 10;
/// The step of increase, as a share of the rate after the last cut.
const STEP_SHARE: f64 = 0.025;
/// Increases only while the latency is this far under the target and errors under half the
/// allowed ratio: between that and the limits, the rate holds still.
const HEALTHY_LATENCY: f64 = 0.8;
/// Cuts take the rate to at most this share of itself, and at least half.
const MILDEST_CUT: f64 = 0.85;
const DEEPEST_CUT: f64 = 0.5;
/// Latency or errors below this share of the best seen since the last cut count as improving.
const IMPROVING: f64 = 0.8;
/// At most this many windows are waited for a working cut before cutting again anyway.
const MAX_HOLDS: u32 = 3;
/// The latency percentile judged.
const PERCENTILE: f64 = 0.95;

/// Why the rate last changed, for the log and the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateChange {
    /// Latency or errors over the limits: the rate was cut.
    Cut,
    /// Healthy with people waiting: the rate grew.
    Raised,
}

/// The adaptive rate of one room.
#[derive(Debug, Clone)]
pub struct Adaptive {
    cfg: AdaptiveConfig,
    rate: f64,
    step: f64,
    /// One merged sample per second of the window, oldest first.
    window: VecDeque<(Millis, UpstreamSample)>,
    changed_at: Millis,
    last: Option<RateChange>,
    /// The 95th-percentile latency (s) and error ratio that led to the last cut, while no
    /// window within the limits has been seen since.
    cut_for: Option<(f64, f64)>,
    /// Windows waited since the last cut because it was working.
    held: u32,
}

impl Adaptive {
    /// Starts at `rate`, brought within the configured bounds.
    pub fn new(cfg: AdaptiveConfig, rate: f64, now: Millis) -> Adaptive {
        let rate = cfg.clamp(rate);
        Adaptive {
            cfg,
            rate,
            step: step_for(rate),
            window: VecDeque::new(),
            changed_at: now,
            last: None,
            cut_for: None,
            held: 0,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// New bounds from a reloaded config; the rate stays where it is, within them.
    pub fn reconfigure(&mut self, cfg: AdaptiveConfig) {
        self.cfg = cfg;
        self.rate = cfg.clamp(self.rate);
    }

    /// Takes up again at `rate` (an operator's manual rate that is switched off), with fresh
    /// observations.
    pub fn resume_at(&mut self, rate: f64, now: Millis) {
        *self = Adaptive::new(self.cfg, rate, now);
    }

    /// Takes one second's observations; `people_wait` says whether anyone is in line. Returns
    /// the change made, if any.
    pub fn observe(
        &mut self,
        now: Millis,
        sample: &UpstreamSample,
        people_wait: bool,
    ) -> Option<RateChange> {
        let second = now / 1000 * 1000;
        match self.window.back_mut() {
            Some((at, merged)) if *at == second => merged.add(sample),
            _ => self.window.push_back((second, sample.clone())),
        }
        while self
            .window
            .front()
            .is_some_and(|(at, _)| *at + WINDOW_MS <= second)
        {
            self.window.pop_front();
        }

        let mut seen = UpstreamSample::default();
        for (_, s) in &self.window {
            seen.add(s);
        }
        if seen.requests() < MIN_REQUESTS {
            return None;
        }
        let errors = seen.error_ratio();
        let target = self.cfg.target_latency.as_secs_f64();
        let latency = seen.percentile(PERCENTILE).map_or(0.0, |d| d.as_secs_f64());

        let errors_over = errors > self.cfg.max_error_ratio;
        let latency_over = latency > target;
        if errors_over || latency_over {
            if now < self.changed_at + HOLD_AFTER_CUT_MS && self.last == Some(RateChange::Cut) {
                return None;
            }
            // Still suffering, but clearly less than at the last cut: the cut is working
            // through (sessions admitted before it are still on the backend). Cutting again
            // now would overshoot downwards; look again after another window.
            if let Some((was_latency, was_errors)) = self.cut_for {
                let improving =
                    latency < was_latency * IMPROVING || errors < was_errors * IMPROVING;
                if improving && self.held < MAX_HOLDS {
                    self.held += 1;
                    self.cut_for = Some((latency.min(was_latency), errors.min(was_errors)));
                    self.changed_at = now;
                    self.window.clear();
                    return None;
                }
            }
            // Latency alone says the backend is past its capacity, not by how much (a queue
            // grows just as fast at 1 % as at 10 % over): a mild cut. Failures say how much
            // of the load it cannot take: a cut by that share.
            let mut factor = MILDEST_CUT;
            if errors_over {
                factor = factor.min(1.0 - errors);
            }
            self.rate = self.cfg.clamp(self.rate * factor.max(DEEPEST_CUT));
            self.step = step_for(self.rate);
            self.changed_at = now;
            self.last = Some(RateChange::Cut);
            self.cut_for = Some((latency, errors));
            self.held = 0;
            // The next decision is made on what happens from now on.
            self.window.clear();
            return Some(RateChange::Cut);
        }
        self.cut_for = None;
        let healthy =
            errors <= self.cfg.max_error_ratio / 2.0 && latency <= target * HEALTHY_LATENCY;
        if healthy
            && people_wait
            && now >= self.changed_at + INCREASE_EVERY_MS
            && self.rate < self.cfg.max_per_minute
        {
            self.rate = self.cfg.clamp(self.rate + self.step);
            self.changed_at = now;
            self.last = Some(RateChange::Raised);
            return Some(RateChange::Raised);
        }
        None
    }
}

fn step_for(rate: f64) -> f64 {
    (rate * STEP_SHARE).max(0.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_700_000_000_000;

    fn cfg() -> AdaptiveConfig {
        AdaptiveConfig {
            target_latency: Duration::from_millis(800),
            max_error_ratio: 0.05,
            min_per_minute: 60.0,
            max_per_minute: 6000.0,
        }
    }

    fn second(latency_ms: u64, ok: u32, failed: u32) -> UpstreamSample {
        let mut s = UpstreamSample::default();
        for _ in 0..ok {
            s.record(Some(Duration::from_millis(latency_ms)), false);
        }
        for _ in 0..failed {
            s.record(Some(Duration::from_millis(latency_ms)), true);
        }
        s
    }

    #[test]
    fn buckets_and_percentiles() {
        assert_eq!(bucket_of(Duration::ZERO), 0);
        assert_eq!(bucket_of(Duration::from_millis(1)), 0);
        assert_eq!(bucket_of(Duration::from_millis(2)), 4);
        assert_eq!(bucket_of(Duration::from_secs(3600)), LATENCY_BUCKETS - 1);
        let mut s = UpstreamSample::default();
        for ms in 1..=100 {
            s.record(Some(Duration::from_millis(ms * 10)), false);
        }
        s.record(None, true);
        let p95 = s.percentile(0.95).unwrap().as_millis();
        // Within one bucket (19 %) above the true 950 ms.
        assert!((950..=1130).contains(&p95), "{p95}");
        assert_eq!(s.requests(), 101);
        assert!((s.error_ratio() - 1.0 / 101.0).abs() < 1e-9);
        assert_eq!(UpstreamSample::default().percentile(0.95), None);
    }

    #[test]
    fn stats_are_taken_once() {
        let stats = UpstreamStats::default();
        stats.record(Some(Duration::from_millis(5)), false);
        stats.record(None, true);
        let s = stats.take();
        assert_eq!((s.ok, s.failed), (1, 1));
        assert_eq!(stats.take(), UpstreamSample::default());
    }

    #[test]
    fn slow_backend_cuts_then_waits_for_fresh_evidence() {
        let mut a = Adaptive::new(cfg(), 1000.0, T0);
        assert_eq!(
            a.observe(T0, &second(2000, 20, 0), true),
            Some(RateChange::Cut)
        );
        // Latency alone: the mild cut.
        assert_eq!(a.rate(), 850.0);
        for s in 1..10 {
            assert_eq!(a.observe(T0 + s * 1000, &second(2000, 20, 0), true), None);
        }
        assert_eq!(
            a.observe(T0 + 10_000, &second(2000, 20, 0), true),
            Some(RateChange::Cut)
        );
        assert_eq!(a.rate(), 722.5);
    }

    #[test]
    fn a_cut_that_is_working_is_given_time() {
        let mut a = Adaptive::new(cfg(), 1000.0, T0);
        // 40 % failing: down to 60 %.
        assert_eq!(
            a.observe(T0, &second(3000, 60, 40), true),
            Some(RateChange::Cut)
        );
        assert!((a.rate() - 600.0).abs() < 1e-9);
        // Ten seconds on, still over the limits but failing clearly less: no second cut yet.
        for s in 1..=10 {
            assert_eq!(a.observe(T0 + s * 1000, &second(3000, 80, 20), true), None);
        }
        assert!((a.rate() - 600.0).abs() < 1e-9);
        // No better after another window: cut again.
        for s in 11..=19 {
            assert_eq!(a.observe(T0 + s * 1000, &second(3000, 80, 20), true), None);
        }
        assert_eq!(
            a.observe(T0 + 20_000, &second(3000, 80, 20), true),
            Some(RateChange::Cut)
        );
        assert!((a.rate() - 480.0).abs() < 1e-9);
    }

    #[test]
    fn errors_cut_by_their_share() {
        let mut a = Adaptive::new(cfg(), 1000.0, T0);
        // 30 % errors at a fine latency: down to 70 %.
        assert_eq!(
            a.observe(T0, &second(100, 70, 30), true),
            Some(RateChange::Cut)
        );
        assert!((a.rate() - 700.0).abs() < 1e-9);
        // Nearly everything failing: never below half at once.
        let mut a = Adaptive::new(cfg(), 1000.0, T0);
        a.observe(T0, &second(100, 5, 95), true);
        assert_eq!(a.rate(), 500.0);
    }

    #[test]
    fn healthy_with_people_waiting_grows_by_steps() {
        let mut a = Adaptive::new(cfg(), 1000.0, T0);
        assert_eq!(
            a.observe(T0 + 5_000, &second(100, 20, 0), true),
            Some(RateChange::Raised)
        );
        assert_eq!(a.rate(), 1025.0);
        assert_eq!(
            a.observe(T0 + 6_000, &second(100, 20, 0), true),
            None,
            "not before 5 s"
        );
        assert_eq!(
            a.observe(T0 + 10_000, &second(100, 20, 0), true),
            Some(RateChange::Raised)
        );
        assert_eq!(a.rate(), 1050.0, "the same step again: additive");
        // Nobody waiting: no reason to grow.
        assert_eq!(a.observe(T0 + 20_000, &second(100, 20, 0), false), None);
        // Between healthy and over the limit: hold.
        assert_eq!(a.observe(T0 + 40_000, &second(700, 200, 0), true), None);
    }

    #[test]
    fn stays_within_bounds_and_needs_enough_requests() {
        let mut a = Adaptive::new(cfg(), 100_000.0, T0);
        assert_eq!(a.rate(), 6000.0);
        assert_eq!(
            a.observe(T0 + 5_000, &second(100, 20, 0), true),
            None,
            "at the top"
        );
        let mut a = Adaptive::new(cfg(), 70.0, T0);
        assert_eq!(
            a.observe(T0, &second(100, 0, 5), true),
            None,
            "five requests say nothing"
        );
        a.observe(T0 + 1_000, &second(100, 0, 5), true);
        assert_eq!(a.rate(), 60.0, "never below the floor");
        a.reconfigure(AdaptiveConfig {
            min_per_minute: 100.0,
            ..cfg()
        });
        assert_eq!(a.rate(), 100.0);
    }
}
