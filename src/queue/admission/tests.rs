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

#[test]
fn starts_go_to_called_places_in_order_of_place_not_of_asking() {
    let l = Limits::new(60.0, 0);
    let mut q = Queue::new(T0, &l);
    // One start a second; the burst is spent on place 0.
    assert_eq!(q.start_in_order(0, T0, &l, true), Ok(()));
    // Places 3, 2, 1 ask in that order within the second: all wait, each behind the lower
    // ones that asked.
    assert_eq!(q.start_in_order(3, T0 + 10, &l, true), Err(0));
    assert_eq!(q.start_in_order(2, T0 + 20, &l, true), Err(0));
    assert_eq!(q.start_in_order(1, T0 + 30, &l, true), Err(0));
    assert_eq!(q.held_back(), 3);
    // A second later place 3 asks first again, and waits behind 1 and 2 (both told to wait).
    assert_eq!(q.start_in_order(3, T0 + 1_100, &l, true), Err(2));
    assert_eq!(q.start_in_order(2, T0 + 1_110, &l, true), Err(1));
    // Whether 1 would start: yes, and asking spends nothing.
    assert_eq!(q.start_in_order(1, T0 + 1_120, &l, false), Ok(()));
    assert_eq!(q.start_in_order(1, T0 + 1_130, &l, true), Ok(()));
    assert_eq!(q.held_back(), 2);
    // Claims run out when their holders stop asking, and positions stop counting them.
    q.forget_stale_claims(T0 + 1_130 + CLAIM_HOLD_MS);
    assert_eq!(q.held_back(), 0);
    // A claim runs out when its holder stops asking: 3 goes before a 2 that left.
    assert_eq!(
        q.start_in_order(3, T0 + 2_100 + CLAIM_HOLD_MS, &l, true),
        Ok(())
    );
    assert_eq!(q.held_back(), 0);
}

#[test]
fn a_cap_found_out_in_the_first_minute_widens_the_estimate_step_by_step() {
    // Six a minute allowed, but only two at a time and each stays 40 s: the line really moves
    // three a minute. The page at place 16 learns it, without its range doubling from one
    // poll to the next (trusting the first sample at once made "3–4 minutes" "4–11 minutes").
    let l = limits(6.0, 2);
    let mut q = Queue::new(T0, &l);
    for _ in 0..200 {
        q.draw(T0, &l, 0);
    }
    let mut active: VecDeque<Millis> = VecDeque::new();
    let mut last = estimate(16, &q.pace(&l));
    let mut leaps = Vec::new();
    for s in 1..=600 {
        let now = T0 + s * 1000;
        while active.front().is_some_and(|end| *end <= now) {
            active.pop_front();
        }
        let before = q.cursor();
        q.advance(now, &l, active.len() as u64);
        for seq in before..q.cursor() {
            q.arrived(seq, now, &l);
            active.push_back(now + 40_000);
        }
        let e = estimate(16, &q.pace(&l));
        if e.high > last.high * 2 {
            leaps.push((s, last, e));
        }
        last = e;
    }
    assert!(leaps.is_empty(), "the range leapt: {leaps:?}");
    let pace = q.pace(&l);
    assert!(
        (pace.per_minute - 3.0).abs() < 1.0,
        "and learnt the cap: {pace:?}"
    );
}
