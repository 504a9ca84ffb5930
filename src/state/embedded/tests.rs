use super::*;
use crate::state::OperatorState;

#[test]
fn the_session_count_follows_every_change_of_the_map() {
    let state = EmbeddedState::new(0, Limits::new(600.0, 0));
    let count = |s: &EmbeddedState| (s.sessions.len(), s.sessions.map.len());
    for id in 0..10 {
        state.session_seen(id, 1_000);
    }
    state.session_seen(3, 2_000); // seen again: no new session
    assert_eq!(count(&state), (10, 10));
    state.session_ended(4, 5_000);
    state.session_ended(4, 5_000); // twice: one removal
    assert_eq!(count(&state), (9, 9));
    // Idle for a second at 2,000: all but the one seen at 2,000 go.
    state.sweep(2_000, 1_000, 0);
    assert_eq!(count(&state), (1, 1));
    assert!(!state.session_seen(4, 2_000), "an ended session stays out");
    assert_eq!(count(&state), (1, 1));
    assert_eq!(state.figures(2_000).active, 1);
}

const T0: Millis = 1_700_000_000_000;

#[tokio::test]
async fn released_session_frees_its_slot_and_stays_refused() {
    let limits = Limits::new(6000.0, 1);
    let state = EmbeddedState::new(T0, limits);
    let (first, _) = state.draw(T0, Gate::default()).await.unwrap();
    assert!(first.admitted);
    assert_eq!(state.start_session(first.seq, 3, T0), SessionStart::New);
    assert_eq!(
        state.start_session(first.seq, 3, T0),
        SessionStart::Existing
    );
    let (second, figures) = state.draw(T0 + 1000, Gate::default()).await.unwrap();
    assert_eq!(figures.issued, 2);
    assert!(!second.admitted);
    assert_eq!(state.figures(T0 + 2000).cursor, 1);
    state.session_ended(first.seq, T0 + 60_000);
    assert_eq!(state.figures(T0 + 2000).cursor, 2);
    assert!(!state.session_seen(first.seq, T0 + 3000));
    assert_eq!(
        state.start_session(first.seq, 3, T0 + 3000),
        SessionStart::Ended
    );
    state.sweep(T0 + 60_000, 600_000, 0);
    assert!(
        state.session_seen(first.seq, T0 + 60_001),
        "refusal ran out with the pass"
    );
}

#[test]
fn idle_sessions_are_swept() {
    let state = EmbeddedState::new(T0, Limits::new(60.0, 0));
    state.start_session(7, 3, T0);
    state.start_session(8, 3, T0 + 5_000);
    state.sweep(T0 + 10_000, 10_000, 60_000);
    assert_eq!(state.figures(T0 + 10_000).active, 1);
    // A copy of the swept session's ticket could still be valid: it does not begin a
    // second session, until the ticket has surely expired.
    assert_eq!(state.start_session(7, 3, T0 + 20_000), SessionStart::Ended);
    state.sweep(T0 + 60_000, 10_000, 60_000);
    assert_eq!(state.start_session(7, 3, T0 + 60_000), SessionStart::New);
}

mod durable {
    use super::*;
    use crate::state::embedded::file::StateDir;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn limits(rate: f64, max_active: u64) -> Limits {
        Limits::new(rate, max_active)
    }

    fn dir(name: &str) -> (std::path::PathBuf, Arc<StateDir>) {
        let path = std::env::temp_dir().join(format!(
            "wartesaal-state-{}-{name}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let _ = std::fs::remove_dir_all(&path);
        let dir = StateDir::open(&path).unwrap();
        (path, dir)
    }

    async fn draw(state: &EmbeddedState, now: Millis) -> Drawn {
        state.draw(now, Gate::default()).await.unwrap().0
    }

    #[tokio::test]
    async fn an_orderly_restart_resumes_exactly() {
        let (path, dir) = dir("orderly");
        let l = limits(60.0, 0);
        let state = EmbeddedState::open(dir.room("r"), T0, l).unwrap();
        for _ in 0..10 {
            draw(&state, T0).await;
        }
        state.session_ended(0, T0 + 600_000);
        let before = state.figures(T0 + 3_000);
        state.persist(T0 + 3_000, true).unwrap();
        drop(state);
        let state = EmbeddedState::open(dir.room("r"), T0 + 60_000, l).unwrap();
        let after = state.figures(T0 + 60_000);
        assert_eq!(after.numbering.started_at, before.numbering.started_at);
        assert_eq!(after.issued, 10, "nothing skipped after an orderly stop");
        assert!(after.cursor >= before.cursor);
        assert_eq!(draw(&state, T0 + 60_000).await.seq, 10);
        assert!(
            !state.session_seen(0, T0 + 60_000),
            "a released session stays released"
        );
        let _ = std::fs::remove_dir_all(path);
    }

    #[tokio::test]
    async fn a_rush_between_saves_reserves_more_before_handing_out() {
        let (path, dir) = dir("rush");
        let state = EmbeddedState::open(dir.room("r"), T0, limits(60.0, 0)).unwrap();
        for _ in 0..1000 {
            draw(&state, T0).await;
        }
        let saved = dir.room("r").load().unwrap().unwrap();
        assert!(saved.reserved >= 1000, "reserved {}", saved.reserved);
        let _ = std::fs::remove_dir_all(path);
    }

    /// Two request threads in a rush, no periodic save: when both find the block used up,
    /// the second waits for the first one's save instead of saving again with a block
    /// sized by the handful drawn in between (which took the rush's block back and made
    /// nearly every draw wait for an fsync: 9,000 arrivals a second instead of 57,000).
    #[test]
    fn a_rush_on_two_threads_reserves_for_the_rush_and_saves_rarely() {
        let (path, dir) = dir("rush-threads");
        let state = EmbeddedState::open(dir.room("r"), T0, limits(60.0, 0)).unwrap();
        let before = state.writes.load(Ordering::Relaxed);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap();
                    for i in 0..20_000u64 {
                        // 100,000 arrivals a second on each thread.
                        rt.block_on(draw(&state, T0 + i / 100));
                    }
                });
            }
        });
        let writes = state.writes.load(Ordering::Relaxed) - before;
        assert_eq!(state.figures(T0 + 200).issued, 40_000);
        assert!(writes < 100, "{writes} writes for 40,000 draws");
        let saved = dir.room("r").load().unwrap().unwrap();
        assert!(saved.reserved >= 40_000, "reserved {}", saved.reserved);
        let _ = std::fs::remove_dir_all(path);
    }

    #[tokio::test]
    async fn operator_settings_are_durable_and_a_changed_config_wins() {
        let (path, dir) = dir("settings");
        let l = limits(60.0, 0);
        let state = EmbeddedState::open(dir.room("r"), T0, l).unwrap();
        state
            .change_now(
                &mut |s, config| {
                    s.admit_per_minute = Some(crate::state::Override {
                        value: 6.0,
                        config_was: config.admit_per_minute,
                    });
                    s.state = OperatorState::Paused;
                },
                T0,
            )
            .unwrap();
        assert!(state.figures(T0).limits.paused);
        drop(state);
        let state = EmbeddedState::open(dir.room("r"), T0, l).unwrap();
        let f = state.figures(T0);
        assert_eq!(f.limits.admit_per_minute, 6.0);
        assert_eq!(f.state, OperatorState::Paused);
        state.set_limits(limits(120.0, 0), T0);
        assert_eq!(state.figures(T0).limits.admit_per_minute, 120.0);
        // The config goes back to 60: the operator's old 6 does not come back.
        state.set_limits(limits(60.0, 0), T0);
        assert_eq!(state.figures(T0).limits.admit_per_minute, 60.0);
        assert_eq!(state.settings().admit_per_minute, None);
        let _ = std::fs::remove_dir_all(path);
    }

    #[tokio::test]
    async fn a_crash_in_a_paused_room_lets_nobody_in_and_a_crash_loop_skips_little() {
        let (path, dir) = dir("paused-crash");
        let l = limits(600.0, 0);
        let state = EmbeddedState::open(dir.room("r"), T0, l).unwrap();
        for _ in 0..20 {
            draw(&state, T0).await;
        }
        state
            .change_now(&mut |s, _| s.state = OperatorState::Paused, T0)
            .unwrap();
        let cursor = state.figures(T0).cursor;
        drop(state); // kill -9
        let mut now = T0 + 1_000;
        let mut first = None;
        for _ in 0..5 {
            let state = EmbeddedState::open(dir.room("r"), now, l).unwrap();
            assert_eq!(
                state.figures(now).cursor,
                cursor,
                "nobody let in while paused"
            );
            drop(state);
            let reserved = dir.room("r").load().unwrap().unwrap().reserved;
            let first = *first.get_or_insert(reserved);
            assert!(
                reserved <= first + 4 * RESERVE_MIN,
                "each crash skips a quiet block, not twice the last one ({first} -> {reserved})"
            );
            now += 1_000;
        }
        let _ = std::fs::remove_dir_all(path);
    }

    #[tokio::test]
    async fn a_crash_tells_how_far_the_cursor_caught_up_and_an_orderly_stop_does_not() {
        let (path, dir) = dir("caught-up");
        let l = limits(6.0, 0);
        let state = EmbeddedState::open(dir.room("r"), T0, l).unwrap();
        for _ in 0..20 {
            draw(&state, T0).await;
        }
        let before = state.figures(T0);
        assert_eq!(before.movement.caught_up, 0);
        drop(state); // kill -9
        let state = EmbeddedState::open(dir.room("r"), T0 + 1_000, l).unwrap();
        let after = state.figures(T0 + 1_000);
        assert!(after.cursor > before.cursor, "the cursor caught up");
        // Called at once, not over time: a called place's hold is not spent by them.
        assert_eq!(after.movement.caught_up, after.cursor - before.cursor);
        state.persist(T0 + 2_000, true).unwrap();
        drop(state);
        let state = EmbeddedState::open(dir.room("r"), T0 + 3_000, l).unwrap();
        assert_eq!(state.figures(T0 + 3_000).movement.caught_up, 0);
        let _ = std::fs::remove_dir_all(path);
    }

    #[tokio::test]
    async fn a_crash_never_lets_more_in_than_max_active_nor_counts_skipped_numbers_as_people() {
        let (path, dir) = dir("cap-crash");
        let l = limits(60.0, 1);
        let state = EmbeddedState::open(dir.room("r"), T0, l).unwrap();
        // One in (the cap), two waiting behind them.
        let first = draw(&state, T0).await;
        assert!(first.admitted);
        assert_eq!(
            state.admit_session(first.seq, 3, T0).await.unwrap(),
            SessionStart::New
        );
        let waiting = [draw(&state, T0).await, draw(&state, T0).await];
        assert!(waiting.iter().all(|d| !d.admitted));
        state.persist(T0, false).unwrap();
        drop(state); // kill -9
        let now = T0 + 2_000;
        let state = EmbeddedState::open(dir.room("r"), now, l).unwrap();
        let f = state.figures(now);
        assert!(f.issued > 3, "numbers were skipped: {f:?}");
        assert!(
            f.cursor <= waiting[0].seq,
            "the cap was full: nobody waiting is called ({f:?})"
        );
        assert_eq!(f.waiting(), 2, "two people wait, whatever was skipped");
        assert!(f.gap.ghosts > 0);
        state.ticket_seen(f.issued - 1);
        assert_eq!(
            state.figures(now).gap.ghosts,
            f.gap.ghosts - 1,
            "a skipped number seen is someone"
        );
        let later = state.figures(now + 60_000);
        assert!(
            later.cursor <= waiting[0].seq,
            "nor later, while the cap is full"
        );
        let _ = std::fs::remove_dir_all(path);
    }

    #[test]
    fn the_learnt_rate_survives_a_restart_and_yields_to_the_operator() {
        use crate::queue::adaptive::AdaptiveConfig;
        let (path, dir) = dir("adaptive");
        let l = Limits {
            adaptive: Some(AdaptiveConfig {
                target_latency: std::time::Duration::from_millis(100),
                max_error_ratio: 0.05,
                min_per_minute: 10.0,
                max_per_minute: 1000.0,
            }),
            ..limits(600.0, 0)
        };
        let state = EmbeddedState::open(dir.room("r"), T0, l).unwrap();
        let mut slow = UpstreamSample::default();
        for _ in 0..20 {
            slow.record(Some(std::time::Duration::from_secs(1)), false);
        }
        let (change, rate) = state.upstream(&slow, T0).unwrap();
        assert_eq!((change, rate), (RateChange::Cut, 510.0));
        assert_eq!(state.figures(T0).limits.admit_per_minute, 510.0);
        assert_eq!(state.figures(T0).adaptive, Some(true));
        state.persist(T0, true).unwrap();
        drop(state);
        let state = EmbeddedState::open(dir.room("r"), T0 + 1_000, l).unwrap();
        assert_eq!(state.figures(T0 + 1_000).limits.admit_per_minute, 510.0);
        // The operator's rate wins and the learning stands still under it ...
        state
            .change_now(
                &mut |s, config| {
                    s.admit_per_minute = Some(crate::state::Override {
                        value: 50.0,
                        config_was: config.admit_per_minute,
                    })
                },
                T0 + 1_000,
            )
            .unwrap();
        assert_eq!(state.upstream(&slow, T0 + 20_000), None);
        let f = state.figures(T0 + 20_000);
        assert_eq!((f.limits.admit_per_minute, f.adaptive), (50.0, Some(false)));
        // ... until it is lifted: the learning goes on from the operator's value.
        state
            .change_now(&mut |s, _| s.admit_per_minute = None, T0 + 20_000)
            .unwrap();
        let f = state.figures(T0 + 20_000);
        assert_eq!((f.limits.admit_per_minute, f.adaptive), (50.0, Some(true)));
        let _ = std::fs::remove_dir_all(path);
    }

    #[tokio::test]
    async fn a_paused_room_does_not_learn_to_go_faster() {
        use crate::queue::adaptive::AdaptiveConfig;
        let l = Limits {
            adaptive: Some(AdaptiveConfig {
                target_latency: std::time::Duration::from_millis(800),
                max_error_ratio: 0.05,
                min_per_minute: 10.0,
                max_per_minute: 1000.0,
            }),
            ..limits(60.0, 0)
        };
        let state = EmbeddedState::new(T0, l);
        for _ in 0..100 {
            draw(&state, T0).await;
        }
        state
            .change_now(&mut |s, _| s.state = OperatorState::Paused, T0)
            .unwrap();
        let mut healthy = UpstreamSample::default();
        for _ in 0..20 {
            healthy.record(Some(std::time::Duration::from_millis(5)), false);
        }
        for s in 1..=600 {
            assert_eq!(state.upstream(&healthy, T0 + s * 1000), None);
        }
        state
            .change_now(&mut |s, _| s.state = OperatorState::Open, T0 + 600_000)
            .unwrap();
        assert_eq!(state.figures(T0 + 600_000).limits.admit_per_minute, 60.0);
        // Open again with people waiting and a healthy backend: now it grows.
        let (change, rate) = state.upstream(&healthy, T0 + 606_000).unwrap();
        assert_eq!((change, rate), (RateChange::Raised, 61.5));
    }

    #[tokio::test]
    async fn the_prequeue_is_frozen_on_disk_and_its_order_survives_a_crash() {
        use crate::queue::schedule::{Order, Phase, Place, Window};
        let (path, dir) = dir("prequeue");
        let l = Limits {
            schedule: Some(Window {
                prequeue_from: T0 + 10_000,
                opens_at: T0 + 70_000,
            }),
            ..limits(600.0, 0)
        };
        let state = EmbeddedState::open(dir.room("r"), T0, l).unwrap();
        // Someone from an earlier line still waits: FIFO ahead of the pre-queue.
        let early = draw(&state, T0).await;
        assert_eq!(state.figures(T0).phase, Phase::BeforeOpen);
        assert_eq!(
            state.figures(T0 + 9_000).cursor,
            0,
            "nobody in before opening"
        );
        let mut now = T0 + 20_000;
        assert_eq!(state.figures(now).phase, Phase::Prequeue);
        for _ in 0..50 {
            assert!(
                !draw(&state, now).await.admitted,
                "the pre-queue admits nobody"
            );
        }
        // The beginning of the pre-queue was written before its first number went out.
        let saved = dir.room("r").load().unwrap().unwrap();
        assert_eq!(
            saved.prequeue.as_ref().map(|p| p.first),
            Some(early.seq + 1)
        );
        drop(state); // kill -9 during the pre-queue
        now += 1_000;
        let state = EmbeddedState::open(dir.room("r"), now, l).unwrap();
        assert_eq!(state.figures(now).cursor, 0, "still held after the crash");
        assert_eq!(
            state.figures(now).order,
            Order::Gathering {
                first: early.seq + 1,
                earlier: None,
            }
        );
        now = T0 + 70_000;
        let opened = state.figures(now);
        assert_eq!(opened.phase, Phase::Open);
        let Order::Drawn { first, frozen, .. } = opened.order else {
            panic!("not drawn at opening: {:?}", opened.order);
        };
        assert_eq!(first, 1);
        assert!(frozen.size >= 50, "everyone gathered is in the draw");
        let saved = dir.room("r").load().unwrap().unwrap();
        assert_eq!(
            saved.prequeue.and_then(|p| p.frozen),
            Some(frozen),
            "frozen on disk before anyone is admitted"
        );
        let places: Vec<Place> = (0..60).map(|seq| opened.order.place(seq)).collect();
        assert_eq!(places[0], Place::At(0));
        let after = draw(&state, now).await;
        assert_eq!(
            opened.order.place(after.seq),
            Place::At(after.seq),
            "a later arrival queues behind the draw"
        );
        assert!(after.seq >= first + frozen.size);
        drop(state); // and again, after the opening
        now += 1_000;
        let state = EmbeddedState::open(dir.room("r"), now, l).unwrap();
        let again = state.figures(now);
        assert_eq!(again.order, opened.order, "the same draw after a restart");
        let places_again: Vec<Place> = (0..60).map(|seq| again.order.place(seq)).collect();
        assert_eq!(places_again, places);
        let _ = std::fs::remove_dir_all(path);
    }

    #[tokio::test]
    async fn a_moved_opening_keeps_the_gathering_and_a_removed_schedule_draws_at_once() {
        use crate::queue::schedule::{Order, Phase, Window};
        let window = |opens_at| Window {
            prequeue_from: T0,
            opens_at,
        };
        let l = |w| Limits {
            schedule: w,
            ..limits(600.0, 0)
        };
        let state = EmbeddedState::new(T0, l(Some(window(T0 + 60_000))));
        for _ in 0..10 {
            draw(&state, T0 + 1_000).await;
        }
        // The operator moves the opening later: the same ten gather for it.
        state.set_limits(l(Some(window(T0 + 120_000))), T0 + 2_000);
        for _ in 0..5 {
            draw(&state, T0 + 3_000).await;
        }
        let f = state.figures(T0 + 90_000);
        assert_eq!(f.phase, Phase::Prequeue, "not open at the old time");
        assert_eq!(
            f.order,
            Order::Gathering {
                first: 0,
                earlier: None
            }
        );
        // And then removes the schedule: nobody may wait for a draw that never comes.
        state.set_limits(l(None), T0 + 100_000);
        let f = state.figures(T0 + 100_000);
        assert_eq!(f.phase, Phase::Open);
        match f.order {
            Order::Drawn {
                first: 0, frozen, ..
            } => assert_eq!(frozen.size, 15),
            other => panic!("not drawn: {other:?}"),
        }
    }

    #[derive(Debug, Clone)]
    enum Step {
        Draw(u8),
        /// Time passes, saved every second.
        Wait(u16),
        Save,
        Crash,
        Stop,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (1u8..50).prop_map(Step::Draw),
            3 => (0u16..8_000).prop_map(Step::Wait),
            2 => Just(Step::Save),
            1 => Just(Step::Crash),
            1 => Just(Step::Stop),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Whatever the arrivals, saves, crashes and orderly stops: no ticket number is
        /// handed out twice, and no waiting ticket is ever further back after a restart.
        #[test]
        fn no_number_twice_and_nobody_loses_ground(
            steps in proptest::collection::vec(step(), 1..60),
            rate in 1.0f64..600.0,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let (path, dir) = dir("prop");
            let l = limits(rate, 0);
            let mut now = T0;
            let mut state = EmbeddedState::open(dir.room("r"), now, l).unwrap();
            let mut handed_out = std::collections::HashSet::new();
            for step in steps {
                match step {
                    Step::Draw(n) => for _ in 0..n {
                        let seq = rt.block_on(draw(&state, now)).seq;
                        prop_assert!(handed_out.insert(seq), "{seq} handed out twice");
                    },
                    // Time passes with a save every second, as the gateway's tick does.
                    Step::Wait(ms) => {
                        let until = now + ms as u64;
                        while now < until {
                            now = (now + 1_000).min(until);
                            state.figures(now);
                            if now < until {
                                state.persist(now, false).unwrap();
                            }
                        }
                    }
                    Step::Save => state.persist(now, false).unwrap(),
                    Step::Crash | Step::Stop => {
                        let before = state.figures(now).cursor;
                        if matches!(step, Step::Stop) {
                            state.persist(now, true).unwrap();
                        }
                        drop(state);
                        now += 1_000;
                        state = EmbeddedState::open(dir.room("r"), now, l).unwrap();
                        prop_assert!(state.figures(now).cursor >= before);
                    }
                }
            }
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

#[tokio::test]
async fn the_supply_follows_a_changed_config_and_keeps_what_it_learnt() {
    use crate::queue::supply::SupplyChange;
    let l = |appointments| Limits {
        appointments,
        ..Limits::new(60.0, 0)
    };
    let state = EmbeddedState::new(T0, l(Some(2)));
    assert_eq!(state.start_session(0, 3, T0), SessionStart::New);
    state
        .supply(SupplyChange::Booked(2), T0, false)
        .await
        .unwrap();
    let f = state.figures(T0);
    assert!(
        f.sold_out() && f.limits.paused,
        "nobody is called while sold out"
    );
    // A reload with the same value leaves it; one with another value sets it again.
    state.set_limits(l(Some(2)), T0 + 1_000);
    assert!(state.figures(T0 + 1_000).sold_out());
    state.set_limits(l(Some(5)), T0 + 2_000);
    let s = state.figures(T0 + 2_000).supply.unwrap();
    assert_eq!((s.remaining, s.booked, s.admitted), (5, 2, 1));
    // Without [rooms.supply] the room stops counting.
    state.set_limits(l(None), T0 + 3_000);
    assert_eq!(state.figures(T0 + 3_000).supply, None);
    assert_eq!(
        state
            .supply(SupplyChange::Booked(1), T0 + 3_000, true)
            .await
            .unwrap(),
        None
    );
}
