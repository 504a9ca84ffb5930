//! Deterministic simulation of the admission core: the pure queue and adaptive controller, a
//! simulated clock, simulated visitors (some of whom leave before their turn) who poll like the
//! waiting page does, and a simulated backend with a fixed capacity. No IO, no sleeps: fifteen
//! minutes of a busy morning run in well under a second.
//! `supply` runs the 2021 morning against the chance a waiting visitor is told.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use wartesaal::clock::Millis;
use wartesaal::page;
use wartesaal::queue::adaptive::{Adaptive, AdaptiveConfig, UpstreamSample};
use wartesaal::queue::admission::{self, Limits, Queue};

const T0: Millis = 1_795_392_000_000;
const MINUTE: Millis = 60_000;

/// splitmix64: a fixed seed gives the same morning every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// A booking site that works through `capacity` requests a second. What it cannot do at once
/// waits in its backlog (the latency grows with it); requests that would wait longer than
/// `timeout_s` fail.
struct Backend {
    capacity: f64,
    base_latency_ms: f64,
    timeout_s: f64,
    backlog: f64,
}

impl Backend {
    /// One second: `offered` new requests arrive.
    fn serve(&mut self, offered: u64) -> UpstreamSample {
        let mut sample = UpstreamSample::default();
        self.backlog = (self.backlog + offered as f64 - self.capacity).max(0.0);
        let limit = self.capacity * self.timeout_s;
        let failed = (self.backlog - limit).max(0.0).round() as u64;
        self.backlog = self.backlog.min(limit);
        let latency_ms = self.base_latency_ms + self.backlog / self.capacity * 1000.0;
        for i in 0..offered {
            sample.record(
                Some(Duration::from_secs_f64(latency_ms / 1000.0)),
                i < failed,
            );
        }
        sample
    }
}

struct Morning {
    /// Visitors in line; all arrive in the first `arrive_within` ms.
    visitors: u64,
    arrive_within: Millis,
    /// Share of visitors who leave before their turn and never come.
    no_show: f64,
    limits: Limits,
    adaptive: Option<AdaptiveConfig>,
    /// An admitted visitor makes a request every `think_ms` for `session_ms`.
    session_ms: Millis,
    think_ms: Millis,
    backend_capacity: f64,
    minutes: u64,
}

struct Outcome {
    /// Real new sessions in each minute.
    sessions_per_minute: Vec<u64>,
    /// The rate in force at the end of each minute.
    rate_per_minute: Vec<f64>,
    /// Backend requests and failures, per minute.
    backend_per_minute: Vec<(u64, u64)>,
}

impl Outcome {
    /// The backend's share of failed requests from minute `from` on.
    fn error_ratio_from(&self, from: usize) -> f64 {
        let (requests, failed) = self.backend_per_minute[from..]
            .iter()
            .fold((0, 0), |(r, f), (a, b)| (r + a, f + b));
        failed as f64 / requests as f64
    }
}

fn run(m: &Morning, seed: u64) -> Outcome {
    let mut rng = Rng(seed);
    let mut limits = m.limits;
    let mut q = Queue::new(T0, &limits);
    let mut adaptive = m
        .adaptive
        .map(|cfg| Adaptive::new(cfg, limits.admit_per_minute, T0));
    if let Some(a) = &adaptive {
        limits.admit_per_minute = a.rate();
    }
    let mut backend = Backend {
        capacity: m.backend_capacity,
        base_latency_ms: 100.0,
        timeout_s: 5.0,
        backlog: 0.0,
    };

    // Visitors by arrival time; `stays[seq]` says whether the holder of `seq` will come.
    let mut arrivals: Vec<Millis> = (0..m.visitors)
        .map(|_| T0 + (rng.unit() * m.arrive_within as f64) as Millis)
        .collect();
    arrivals.sort_unstable();
    let mut next_arrival = 0usize;
    let mut stays: Vec<bool> = Vec::with_capacity(m.visitors as usize);
    // Polls: (when, seq).
    let mut polls: BinaryHeap<Reverse<(Millis, u64)>> = BinaryHeap::new();
    // Requests of admitted sessions: (when, seq).
    let mut requests: BinaryHeap<Reverse<Millis>> = BinaryHeap::new();
    let mut active: VecDeque<Millis> = VecDeque::new();
    let mut admitted_seqs: Vec<u64> = Vec::new();

    let mut out = Outcome {
        sessions_per_minute: vec![0; m.minutes as usize],
        rate_per_minute: vec![0.0; m.minutes as usize],
        backend_per_minute: vec![(0, 0); m.minutes as usize],
    };
    let mut last_cursor = 0;
    let step: Millis = 100;
    let mut now = T0;
    while now < T0 + m.minutes * MINUTE {
        now += step;
        let minute = ((now - T0 - 1) / MINUTE) as usize;
        while active.front().is_some_and(|end| *end <= now) {
            active.pop_front();
        }
        // Arrivals draw a number; the page is shown and polled like the real one does.
        while next_arrival < arrivals.len() && arrivals[next_arrival] <= now {
            next_arrival += 1;
            let drawn = q.draw(now, &limits, active.len() as u64);
            stays.push(rng.unit() >= m.no_show);
            polls.push(Reverse((now, drawn.seq)));
        }
        q.advance(now, &limits, active.len() as u64);
        assert!(q.cursor() >= last_cursor, "the cursor went back");
        last_cursor = q.cursor();

        while polls.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            let Reverse((_, seq)) = polls.pop().unwrap();
            if !stays[seq as usize] {
                // Gone before their turn: never seen again once called.
                if seq < q.cursor() {
                    continue;
                }
            }
            if seq < q.cursor() {
                if stays[seq as usize] {
                    if !q.may_start(now, &limits) {
                        // A crowded second: the page asks again in a moment.
                        polls.push(Reverse((now + 2_000, seq)));
                        continue;
                    }
                    q.arrived(seq, now, &limits);
                    admitted_seqs.push(seq);
                    out.sessions_per_minute[minute] += 1;
                    let end = now + m.session_ms;
                    active.push_back(end);
                    let phase = (rng.unit() * m.think_ms as f64) as Millis;
                    let mut at = now + phase;
                    while at < end {
                        requests.push(Reverse(at));
                        at += m.think_ms;
                    }
                }
                continue;
            }
            // Still waiting: look again as the page would, with its ±20 % jitter.
            let pace = q.pace(&limits);
            let eta = admission::estimate(admission::position(seq, q.cursor()), &pace);
            let base = page::refresh_after(eta.low) as f64 * 1000.0;
            let delay = base * (0.8 + 0.4 * rng.unit());
            polls.push(Reverse((now + delay as Millis, seq)));
        }

        // Once a second the backend's work of that second is done and judged.
        if (now - T0).is_multiple_of(1000) {
            let mut offered = 0;
            while requests.peek().is_some_and(|Reverse(at)| *at <= now) {
                requests.pop();
                offered += 1;
            }
            let sample = backend.serve(offered);
            let failed = sample.failed as u64;
            out.backend_per_minute[minute].0 += offered;
            out.backend_per_minute[minute].1 += failed;
            if let Some(a) = adaptive.as_mut() {
                q.advance(now, &limits, active.len() as u64);
                a.observe(now, &sample, q.waiting() > 0);
                limits.admit_per_minute = a.rate();
            }
        }
        out.rate_per_minute[minute] = limits.admit_per_minute;
    }
    // Called in ticket order: the cursor only ever moved forward (checked above), so numbers
    // are called strictly in order; when their holders come back depends on their polls.
    assert!(admitted_seqs.iter().all(|s| *s < q.cursor()));
    assert!(
        q.waiting() > 0,
        "the line ran dry: the morning must stay busy to show the rate"
    );
    out
}

#[test]
fn with_forty_percent_no_shows_real_sessions_track_the_target() {
    let target = 600.0;
    let morning = Morning {
        visitors: 20_000,
        arrive_within: 2 * MINUTE,
        no_show: 0.4,
        limits: Limits::new(target, 0),
        adaptive: None,
        session_ms: 5 * MINUTE,
        think_ms: 30_000,
        backend_capacity: 1e9,
        minutes: 15,
    };
    for seed in [1, 2, 3] {
        let out = run(&morning, seed);
        // The first minutes measure the show-up share; from then on every minute is on target.
        for (minute, n) in out.sessions_per_minute.iter().enumerate().skip(3) {
            let off = (*n as f64 - target).abs() / target;
            assert!(
                off <= 0.10,
                "seed {seed}, minute {minute}: {n} new sessions, target {target}: {:?}",
                out.sessions_per_minute
            );
        }
    }
}

/// The backend the adaptive tests learn: 20 requests a second, four requests 5 s apart per
/// session (search, pick, confirm, receipt), so it takes 300 new sessions a minute.
const CAPACITY: f64 = 300.0;

const ADAPTIVE: AdaptiveConfig = AdaptiveConfig {
    target_latency: Duration::from_millis(800),
    max_error_ratio: 0.05,
    min_per_minute: 10.0,
    max_per_minute: 6000.0,
};

/// A morning with the adaptive mode starting at ten times the backend's capacity.
fn adaptive_morning(visitors: u64, no_show: f64, minutes: u64) -> Morning {
    Morning {
        visitors,
        arrive_within: 2 * MINUTE,
        no_show,
        limits: Limits::new(CAPACITY * 10.0, 0),
        adaptive: Some(ADAPTIVE),
        session_ms: 20_000,
        think_ms: 5_000,
        backend_capacity: 20.0,
        minutes,
    }
}

#[test]
fn adaptive_mode_finds_the_backends_capacity_from_ten_times_above() {
    let morning = adaptive_morning(12_000, 0.0, 20);
    for seed in [1, 2, 3] {
        let out = run(&morning, seed);
        let settled = &out.sessions_per_minute[5..];
        for (i, n) in settled.iter().enumerate() {
            let share = *n as f64 / CAPACITY;
            assert!(
                (0.7..=1.0).contains(&share),
                "seed {seed}, minute {}: {n} new sessions for a capacity of {CAPACITY}\n\
                 sessions {:?}\nrates {:?}",
                i + 5,
                out.sessions_per_minute,
                out.rate_per_minute
            );
        }
        let ratio = out.error_ratio_from(5);
        assert!(
            ratio < ADAPTIVE.max_error_ratio,
            "seed {seed}: error ratio {ratio} after settling"
        );
    }
}

#[test]
fn adaptive_mode_with_no_shows_still_protects_the_backend() {
    let out = run(&adaptive_morning(15_000, 0.4, 15), 7);
    for (minute, n) in out.sessions_per_minute.iter().enumerate().skip(5) {
        assert!(
            (*n as f64) <= CAPACITY,
            "minute {minute}: {n} new sessions over a capacity of {CAPACITY}: {:?}",
            out.sessions_per_minute
        );
    }
    assert!(out.error_ratio_from(5) < ADAPTIVE.max_error_ratio);
}

mod supply {
    //! The chance told against what happened, in a deterministic simulation of the 2021 morning:
    //! 4,000 appointments, 66,000 arrivals, 4 in 10 admitted visitors book. The room admits at its
    //! rate, learns bookings per admission as the gateway does, and every ten seconds tells every
    //! waiting visitor their chance; at the end each verdict is checked against whether an
    //! appointment was still free when that visitor came to book.

    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use wartesaal::queue::supply::{chance, Chance, Supply, SupplyChange};

    use super::Rng;

    const APPOINTMENTS: u64 = 4_000;
    const ARRIVALS: usize = 66_000;
    const BOOKING_RATIO: f64 = 0.4;
    /// Numbers called per second (600 a minute).
    const RATE: u64 = 10;
    /// Share of the waiting who give up before their turn.
    const GIVE_UP: f64 = 0.1;
    const SESSION_IDLE: u64 = 600;

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
    struct Report {
        told_unlikely: usize,
        unlikely_without: usize,
        told_likely: usize,
        likely_with: usize,
        /// Seconds after opening when the last visitor who got none was first told "unlikely"
        /// or "sold out" (those admitted before any verdict are counted in `never_told`).
        last_told_at: u64,
        /// The longest a visitor who got none waited before being told "unlikely" or "sold out".
        longest_before_told: u64,
        never_told: usize,
        /// Visitors (not giving up) who got none.
        without: usize,
        /// Visitors for whom an appointment was free when they came to book.
        with: usize,
        sold_out_at: Option<u64>,
    }

    fn run() -> Report {
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
                    supply.apply(SupplyChange::Booked(1));
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
}
