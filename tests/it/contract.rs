//! One contract for both backends: every case below runs, word for word, against the embedded
//! state (a `state.dir` of the test's own) and against a real `redis-server` of the test's own,
//! through `RoomState` as `Backend` opens it. A behaviour one backend has and the other lacks
//! fails here: no case carries an exception for either backend.
//!
//! Time is the test's `ManualClock`. Only the Redis sync runs on real time (five times a
//! second): what it brings about is waited for with a bounded poll (`until`), and what it must
//! not bring about is checked after a few of its rounds (`Store::quiet`). The embedded state
//! answers at once, so the same polls return at their first look there.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use wartesaal::access::code::{self, Line};
use wartesaal::access::ticket::{Keyring, RoomKeys, Secret};
use wartesaal::clock::{Clock, ManualClock, Millis};
use wartesaal::config::{OnUnavailable, RedisConfig, StateConfig};
use wartesaal::metrics::Metrics;
use wartesaal::queue::admission::Limits;
use wartesaal::queue::supply::{Change as SupplyChange, Supply};
use wartesaal::state::redis::REFRESH;
use wartesaal::state::{
    Backend, Enlisted, Figures, Gate, Letter, Message, OperatorState, Override, RoomState,
    SessionStart, Settings, MAX_LETTERS,
};
use wartesaal::tasks::Supervisor;

use crate::support::{self, RedisServer, SECRET, T0};

/// Which backend a case runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Embedded,
    Redis,
}

/// Runs case `$case` (an `async fn(Kind)`) against both backends, as `contract::$case::embedded`
/// and `contract::$case::redis`.
macro_rules! contract {
    ($case:ident) => {
        mod $case {
            #[tokio::test]
            async fn embedded() {
                super::$case(super::Kind::Embedded).await;
            }

            #[tokio::test]
            async fn redis() {
                super::$case(super::Kind::Redis).await;
            }
        }
    };
}

/// A backend of either kind on the test's clock, and what it needs to be opened again.
struct Store {
    kind: Kind,
    clock: Arc<ManualClock>,
    cfg: StateConfig,
    backend: Arc<Backend>,
    /// Kept running across restarts of the backend; killed when the test ends.
    _redis: Option<RedisServer>,
}

impl Store {
    /// A fresh backend of `kind`; `None` (the test passes nothing) without `redis-server`,
    /// unless `CI` is set.
    async fn open(kind: Kind) -> Option<Store> {
        let (cfg, redis) = match kind {
            Kind::Embedded => (
                StateConfig {
                    dir: Some(support::temp_dir("contract")),
                    redis: None,
                    on_unavailable: OnUnavailable::Hold,
                },
                None,
            ),
            Kind::Redis => {
                let server = RedisServer::start()?;
                let cfg = StateConfig {
                    dir: None,
                    redis: Some(RedisConfig {
                        url: server.url(),
                        prefix: "wartesaal".into(),
                        timeout: Duration::from_secs(2),
                        sentinel: None,
                        cluster: None,
                        min_replicas: None,
                        new_line_hold: Duration::ZERO,
                        open_after: Duration::from_secs(30),
                        tls: None,
                    }),
                    on_unavailable: OnUnavailable::Hold,
                };
                (cfg, Some(server))
            }
        };
        let clock = Arc::new(ManualClock::new(T0));
        let backend = start_backend(&cfg, &clock).await;
        Some(Store {
            kind,
            clock,
            cfg,
            backend,
            _redis: redis,
        })
    }

    fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
    }

    /// Room `id` with the config's `limits`, once it serves: a Redis room has read its line
    /// and holds the cursor lease (it is the only gateway), and counts its supply if the config
    /// says so.
    async fn room(&self, id: &str, limits: Limits) -> Arc<dyn RoomState> {
        let room = self.backend.room(id, limits, self.now()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let f = room.figures(self.now());
            let serves = room.available()
                && room.backend().leader != Some(false)
                && !f.held
                && f.supply.is_some() == limits.appointments.is_some()
                && matches!(room.letters(0, 1).await, Ok(Some(_)));
            if serves {
                return room;
            }
            assert!(
                Instant::now() < deadline,
                "the {:?} room {id} never began to serve",
                self.kind
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// An orderly stop (as SIGTERM: the background work ends, every room is saved exactly or
    /// its lease handed back) and the backend opened again on the same state.
    async fn restart(self, rooms: Vec<Arc<dyn RoomState>>) -> Store {
        self.backend
            .shutdown(Duration::from_secs(2))
            .await
            .expect("an orderly stop saves every room");
        drop(rooms);
        self.reopen().await
    }

    /// The process dies: nothing more is saved, nothing handed back; the backend is opened
    /// again on the same state.
    async fn crash(self, rooms: Vec<Arc<dyn RoomState>>) -> Store {
        drop(rooms);
        self.reopen().await
    }

    async fn reopen(self) -> Store {
        let Store {
            kind,
            clock,
            cfg,
            backend,
            _redis,
        } = self;
        drop(backend);
        let backend = start_backend(&cfg, &clock).await;
        Store {
            kind,
            clock,
            cfg,
            backend,
            _redis,
        }
    }

    /// Lets a few Redis syncs pass, for what must *not* happen (the cursor moving on while the
    /// clock stands still, or while paused). The embedded state has nothing running behind the
    /// caller's back.
    async fn quiet(&self) {
        if self.kind == Kind::Redis {
            tokio::time::sleep(REFRESH * 3).await;
        }
    }
}

/// A backend opened from `cfg` on `clock`, its background work started. After a crash the
/// state directory stays locked until the dead state's last save has ended: tried again for a
/// while.
async fn start_backend(cfg: &StateConfig, clock: &Arc<ManualClock>) -> Arc<Backend> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let backend = loop {
        let supervisor = Supervisor::new(Metrics::new().task_restarts.clone());
        match Backend::open(cfg, clock.clone(), supervisor) {
            Ok(backend) => break backend,
            Err(e) => {
                assert!(Instant::now() < deadline, "cannot open the backend: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    backend.start().await;
    backend
}

/// Polls `check` until it holds (at once for the embedded state; after a sync or two for
/// Redis); panics with `what` after ten seconds.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    support::eventually(what, || std::future::ready(check())).await;
}

fn rate(admit_per_minute: f64) -> Limits {
    Limits::new(admit_per_minute, 0)
}

fn counted(admit_per_minute: f64, appointments: u64) -> Limits {
    Limits {
        appointments: Some(appointments),
        ..rate(admit_per_minute)
    }
}

async fn draw_one(room: &Arc<dyn RoomState>, now: Millis) -> (u64, bool) {
    let (drawn, f) = room.draw(now, Gate::default()).await.expect("a number");
    assert!(f.holds(drawn.seq), "the line holds the number it drew");
    (drawn.seq, drawn.admitted)
}

/// `n` numbers in a row; whether each walked straight in.
async fn draw_n(room: &Arc<dyn RoomState>, now: Millis, n: usize) -> Vec<(u64, bool)> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(draw_one(room, now).await);
    }
    out
}

async fn admit(room: &Arc<dyn RoomState>, seq: u64, max_passes: u32, now: Millis) -> SessionStart {
    room.admit_session(seq, max_passes, now)
        .await
        .expect("the backend answers")
}

async fn change(
    room: &Arc<dyn RoomState>,
    now: Millis,
    mut f: impl FnMut(&mut Settings, &Limits) + Send,
) -> Settings {
    room.update_settings(&mut f, now)
        .await
        .expect("the change is made")
}

fn letter(seq: u64, at: Millis) -> Letter {
    Letter {
        seq,
        to: format!("p{seq}@example.org"),
        lang: "de".into(),
        at,
    }
}

async fn pending(room: &Arc<dyn RoomState>, from: u64, max: usize) -> Vec<u64> {
    room.letters(from, max)
        .await
        .expect("the backend answers")
        .expect("the only gateway sends the room's letters")
        .iter()
        .map(|l| l.seq)
        .collect()
}

fn keys() -> RoomKeys {
    Keyring::new(vec![Secret::from_bytes(SECRET)])
        .unwrap()
        .for_room("r")
}

/// What a place code is computed over: the line's identity.
fn line_of(f: &Figures) -> Line {
    Line {
        started_at: f.numbering.started_at,
        base: f.numbering.base,
    }
}

// ---------------------------------------------------------------------------------------------
// Draw

contract!(draw);

/// Numbers are handed out in a row from the line's first, each once, also when many draw at
/// once; the first newcomer of an idle room walks straight in, the next waits (a burst of one).
/// A second room keeps a line of its own.
async fn draw(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let a = s.room("a", rate(60.0)).await;
    let b = s.room("b", rate(60.0)).await;
    let now = s.now();
    let base = a.figures(now).numbering.base;
    assert_eq!(
        a.figures(now).issued,
        base,
        "a new line has handed out nothing"
    );

    let drawn = draw_n(&a, now, 5).await;
    let seqs: Vec<u64> = drawn.iter().map(|d| d.0).collect();
    assert_eq!(seqs, (base..base + 5).collect::<Vec<_>>());
    let walked_in: Vec<bool> = drawn.iter().map(|d| d.1).collect();
    assert_eq!(walked_in, [true, false, false, false, false]);
    let f = a.figures(now);
    assert_eq!((f.issued, f.cursor, f.waiting()), (base + 5, base + 1, 4));

    // Fifty at once: fifty numbers, none twice, none left out.
    let mut set = JoinSet::new();
    for _ in 0..50 {
        let a = a.clone();
        set.spawn(async move { a.draw(now, Gate::default()).await.unwrap().0.seq });
    }
    let mut together = set.join_all().await;
    together.sort_unstable();
    assert_eq!(together, (base + 5..base + 55).collect::<Vec<_>>());
    assert_eq!(a.figures(now).issued, base + 55);

    // Room b: its own numbers, its own idle burst.
    let b_base = b.figures(now).numbering.base;
    assert_eq!(
        draw_one(&b, now).await,
        (b_base, true),
        "b's line is not a's"
    );
    assert_eq!(b.figures(now).issued, b_base + 1);
    assert_eq!(a.figures(now).issued, base + 55, "a is untouched by b");
}

// ---------------------------------------------------------------------------------------------
// Cursor

contract!(cursor);

/// The cursor moves at the configured rate with the clock, never faster, never past the last
/// number handed out.
async fn cursor(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let base = r.figures(s.now()).numbering.base;
    draw_n(&r, s.now(), 11).await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base + 1,
        "one walked in, ten wait"
    );

    // Nothing moves while the clock stands still.
    s.quiet().await;
    assert_eq!(r.figures(s.now()).cursor, base + 1);

    s.advance(5);
    until("five called in five seconds at one a second", || {
        r.figures(s.now()).cursor == base + 6
    })
    .await;
    s.quiet().await;
    let f = r.figures(s.now());
    assert_eq!(f.cursor, base + 6, "no faster than the rate");
    assert_eq!(f.waiting(), 5);
    assert!(f.wait_for_newcomer().is_some());

    s.advance(60);
    until("everyone called", || r.figures(s.now()).cursor == base + 11).await;
    s.quiet().await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base + 11,
        "never past the last number"
    );
}

// ---------------------------------------------------------------------------------------------
// Sessions

contract!(sessions);

/// A called number turns up: a new session once, the same session again within its passes,
/// then used up. A session seen is alive; one the upstream ended is refused on its pass, and
/// counted no more.
async fn sessions(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let now = s.now();
    let drawn = draw_n(&r, now, 3).await;
    assert!(drawn.iter().all(|d| d.1), "a burst of ten walks in");
    let (s0, s1) = (drawn[0].0, drawn[1].0);

    assert_eq!(admit(&r, s0, 2, now).await, SessionStart::New);
    assert_eq!(admit(&r, s0, 2, now).await, SessionStart::Existing);
    assert_eq!(admit(&r, s0, 2, now).await, SessionStart::UsedUp);
    assert_eq!(r.session_started(s0).await.unwrap(), Some(now));
    assert!(r.session_seen(s0, now));
    assert_eq!(admit(&r, s1, 2, now).await, SessionStart::New);
    until("two sessions counted", || r.figures(now).active == 2).await;

    r.session_ended(s1, now + 3_600_000);
    assert!(
        !r.session_seen(s1, now),
        "an ended session's pass is refused"
    );
    assert!(r.session_seen(s0, now), "the other goes on");
    until("one session counted", || r.figures(now).active == 1).await;
    let r2 = &r;
    support::eventually("an ended session has no start", || async move {
        r2.session_started(s1).await.unwrap().is_none()
    })
    .await;
}

contract!(ended_session_is_refused_at_once);

/// The upstream ended a session: its ticket starts no session again, not even a moment later
/// on the same gateway.
async fn ended_session_is_refused_at_once(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let now = s.now();
    let (seq, _) = draw_one(&r, now).await;
    assert_eq!(admit(&r, seq, 3, now).await, SessionStart::New);
    r.session_ended(seq, now + 3_600_000);
    assert_eq!(admit(&r, seq, 3, now).await, SessionStart::Ended);
}

contract!(idle_sessions_are_swept);

/// Sessions idle for `idle_ms` are forgotten, and their tickets stay refused; a session seen
/// meanwhile stays.
async fn idle_sessions_are_swept(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let drawn = draw_n(&r, s.now(), 2).await;
    let (idle, busy) = (drawn[0].0, drawn[1].0);
    assert_eq!(admit(&r, idle, 3, s.now()).await, SessionStart::New);
    assert_eq!(admit(&r, busy, 3, s.now()).await, SessionStart::New);
    until("two sessions", || r.figures(s.now()).active == 2).await;
    s.advance(4);
    assert!(r.session_seen(busy, s.now()));
    s.advance(4);
    r.sweep(s.now(), 5_000, 3_600_000);
    until("the idle session forgotten", || {
        r.figures(s.now()).active == 1
    })
    .await;
    assert_eq!(admit(&r, idle, 3, s.now()).await, SessionStart::Ended);
    assert_eq!(admit(&r, busy, 3, s.now()).await, SessionStart::Existing);
    until("the idle session's pass refused", || {
        !r.session_seen(idle, s.now())
    })
    .await;
}

contract!(session_starts_wait_their_turn);

/// At one start a second (a burst of one), called holders who turn up together start one by
/// one in line order: the others are told "in a moment" with the places ahead of them told the
/// same, and a status poll says so without spending a start.
async fn session_starts_wait_their_turn(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let base = r.figures(s.now()).numbering.base;
    let drawn = draw_n(&r, s.now(), 3).await;
    let [s0, s1, s2] = [drawn[0].0, drawn[1].0, drawn[2].0];
    s.advance(2);
    until("all three called", || r.figures(s.now()).cursor == base + 3).await;

    let now = s.now();
    assert_eq!(admit(&r, s0, 3, now).await, SessionStart::New);
    assert_eq!(
        admit(&r, s1, 3, now).await,
        SessionStart::Later { ahead: 0 }
    );
    assert_eq!(
        admit(&r, s2, 3, now).await,
        SessionStart::Later { ahead: 1 }
    );
    assert_eq!(r.claims_ahead(s2, now).await.unwrap(), Some(1));

    s.advance(1);
    let now = s.now();
    assert_eq!(
        admit(&r, s2, 3, now).await,
        SessionStart::Later { ahead: 1 },
        "the start of this second is s1's, who asked first"
    );
    assert_eq!(admit(&r, s1, 3, now).await, SessionStart::New);
    assert_eq!(r.claims_ahead(s2, now).await.unwrap(), Some(0));
    assert_eq!(r.claims_ahead(s0, now).await.unwrap(), None, "started");

    s.advance(1);
    let now = s.now();
    assert_eq!(
        r.claims_ahead(s2, now).await.unwrap(),
        None,
        "would start now"
    );
    assert_eq!(admit(&r, s2, 3, now).await, SessionStart::New);
}

contract!(figures_count_claimed_places);

/// Called places told "in a moment" go before everyone still waiting: the figures count them.
async fn figures_count_claimed_places(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let base = r.figures(s.now()).numbering.base;
    let drawn = draw_n(&r, s.now(), 4).await;
    s.advance(2);
    until("three called", || r.figures(s.now()).cursor == base + 3).await;
    let now = s.now();
    assert_eq!(admit(&r, drawn[0].0, 3, now).await, SessionStart::New);
    assert_eq!(
        admit(&r, drawn[1].0, 3, now).await,
        SessionStart::Later { ahead: 0 }
    );
    until("the claim counted", || r.figures(now).claimed == 1).await;
}

// ---------------------------------------------------------------------------------------------
// Supply

contract!(supply);

/// What is left to book: set from the config, lowered by bookings, raised by cancellations,
/// overruled by the site's own count; sessions begun are counted; nothing left closes the room
/// to newcomers and calls nobody more. A room that does not count has no supply.
async fn supply(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", counted(600.0, 10)).await;
    let plain = s.room("plain", rate(600.0)).await;
    let now = s.now();
    let fresh = Supply::new(10, 0);
    assert_eq!(r.figures(now).supply, Some(fresh));

    let after = |remaining, booked, admitted| {
        Some(Supply {
            remaining,
            booked,
            admitted,
            ..fresh
        })
    };
    // A session begun is counted (before the room is ever sold out: a Redis copy may still
    // hold newcomers for a sync after it is not).
    let (seq, walked_in) = draw_one(&r, now).await;
    assert!(walked_in);
    assert_eq!(admit(&r, seq, 2, now).await, SessionStart::New);
    until("a session begun is counted", || {
        r.figures(now).supply == after(10, 0, 1)
    })
    .await;

    let booked = r.supply(SupplyChange::Booked(3), now, false).await.unwrap();
    assert_eq!(booked, after(7, 3, 1));
    assert_eq!(r.figures(now).supply, after(7, 3, 1));
    let cancelled = r.supply(SupplyChange::Cancelled(1), now, false).await;
    assert_eq!(cancelled.unwrap(), after(8, 3, 1));
    let site_count = r.supply(SupplyChange::Remaining(5), now, true).await;
    assert_eq!(site_count.unwrap(), after(5, 3, 1), "the site's count wins");
    let over = r.supply(SupplyChange::Booked(9), now, false).await;
    assert_eq!(
        over.unwrap(),
        after(0, 8, 1),
        "no more booked than there was"
    );
    let f = r.figures(now);
    assert!(f.sold_out() && f.closed_to_newcomers() && f.nothing_left());
    assert!(f.limits.paused, "nobody more is called");
    let back = r.supply(SupplyChange::Remaining(5), now, true).await;
    assert_eq!(back.unwrap(), after(5, 8, 1));
    assert!(!r.figures(now).closed_to_newcomers());

    let report = plain.supply(SupplyChange::Booked(1), now, false).await;
    assert_eq!(report.unwrap(), None);
    assert_eq!(plain.figures(now).supply, None);
}

// ---------------------------------------------------------------------------------------------
// Letters

contract!(letters);

/// One letter per ticket, ever: kept until sent, listed in ticket order from a number on; a
/// ticket written to takes no second letter.
async fn letters(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let now = s.now();
    let base = r.figures(now).numbering.base;
    // Places far ahead of the cursor: a called place is forgotten as written to.
    let (x, y) = (base + 100, base + 50);
    assert_eq!(
        r.enlist(letter(x, now), now).await.unwrap(),
        Enlisted::Added
    );
    assert_eq!(
        r.enlist(letter(x, now), now).await.unwrap(),
        Enlisted::Already
    );
    assert_eq!(
        r.enlist(letter(y, now), now).await.unwrap(),
        Enlisted::Added
    );
    assert_eq!(
        r.letters(base, 10).await.unwrap(),
        Some(vec![letter(y, now), letter(x, now)]),
        "in ticket order, as asked for"
    );
    assert_eq!(pending(&r, base + 51, 10).await, [x]);
    assert_eq!(pending(&r, base, 1).await, [y]);

    assert!(r.claim_letter(x).await.unwrap(), "nobody else sends it");
    r.letter_done(x, now).await.unwrap();
    assert_eq!(pending(&r, base, 10).await, [y]);
    assert_eq!(
        r.enlist(letter(x, now), now).await.unwrap(),
        Enlisted::Already,
        "written to already"
    );
}

contract!(letters_are_bounded);

/// At most `MAX_LETTERS` wait to be sent: one more is refused (a ticket with one still is
/// `Already`), and a letter sent makes room.
async fn letters_are_bounded(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let now = s.now();
    let first = r.figures(now).numbering.base + 1_000;
    let all = first..first + MAX_LETTERS as u64;
    let seqs: Vec<u64> = all.clone().collect();
    for chunk in seqs.chunks(1_000) {
        let mut set = JoinSet::new();
        for &seq in chunk {
            let r = r.clone();
            set.spawn(async move { r.enlist(letter(seq, now), now).await.unwrap() });
        }
        assert!(set.join_all().await.iter().all(|e| *e == Enlisted::Added));
    }
    let next = all.end;
    assert_eq!(
        r.enlist(letter(next, now), now).await.unwrap(),
        Enlisted::Full
    );
    assert_eq!(
        r.enlist(letter(first, now), now).await.unwrap(),
        Enlisted::Already
    );
    r.letter_done(first, now).await.unwrap();
    assert_eq!(
        r.enlist(letter(next, now), now).await.unwrap(),
        Enlisted::Added
    );
}

// ---------------------------------------------------------------------------------------------
// Invitations

contract!(invitations);

/// An invitation draws once: the first number recorded for it stays, also when several record
/// one at once.
async fn invitations(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let now = s.now();
    let drawn = draw_n(&r, now, 12).await;
    let (a, b) = (drawn[0].0, drawn[1].0);

    assert_eq!(r.invited(7).await.unwrap(), None);
    assert_eq!(r.invite(7, a, now).await.unwrap(), a);
    assert_eq!(r.invite(7, b, now).await.unwrap(), a, "the first one stays");
    assert_eq!(r.invited(7).await.unwrap(), Some(a));
    assert_eq!(r.invited(8).await.unwrap(), None, "another invitation");
    assert_eq!(r.invite(8, b, now).await.unwrap(), b);

    let mut set = JoinSet::new();
    for &(seq, _) in &drawn[2..] {
        let r = r.clone();
        set.spawn(async move { r.invite(9, seq, now).await.unwrap() });
    }
    let answers = set.join_all().await;
    let kept = r.invited(9).await.unwrap().expect("one of them drew");
    assert!(drawn[2..].iter().any(|d| d.0 == kept));
    assert!(
        answers.iter().all(|&seq| seq == kept),
        "a race has one winner: {answers:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Operator changes

contract!(operator_changes);

/// A pause holds everyone, newcomers too, and nothing is owed for it; a rate and a message set
/// by the operator are in force at once; `queue_all` holds everyone; a closed room takes no
/// newcomers.
async fn operator_changes(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let base = r.figures(s.now()).numbering.base;

    let paused = change(&r, s.now(), |s, _| s.state = OperatorState::Paused).await;
    assert_eq!(paused.state, OperatorState::Paused);
    assert_eq!(r.settings(), paused);
    let f = r.figures(s.now());
    assert_eq!(f.state, OperatorState::Paused);
    assert!(f.limits.paused && !f.closed_to_newcomers());
    assert_eq!(f.effective_rate(), 0.0);
    assert_eq!(f.wait_for_newcomer(), None);
    let drawn = draw_n(&r, s.now(), 6).await;
    assert!(
        drawn.iter().all(|d| !d.1),
        "a pause holds newcomers in an idle room"
    );
    s.advance(5);
    s.quiet().await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base,
        "nobody called while paused"
    );

    let message = Message {
        de: "Gleich geht es weiter.".into(),
        en: "Back in a moment.".into(),
    };
    let m = message.clone();
    let open = change(&r, s.now(), move |s, config| {
        s.state = OperatorState::Open;
        s.admit_per_minute = Some(Override {
            value: 120.0,
            config_was: config.admit_per_minute,
        });
        s.message = m.clone();
    })
    .await;
    assert_eq!(r.settings(), open);
    assert_eq!(*r.message(), message);
    let f = r.figures(s.now());
    assert_eq!(f.state, OperatorState::Open);
    assert!(!f.limits.paused);
    assert_eq!(f.limits.admit_per_minute, 120.0);
    assert_eq!(f.effective_rate(), 120.0);

    s.advance(2);
    // The burst the idle room had banked, and four at the new rate; nothing for the pause.
    until("five called at the new rate", || {
        r.figures(s.now()).cursor == base + 5
    })
    .await;
    s.quiet().await;
    assert_eq!(r.figures(s.now()).cursor, base + 5);

    let held = change(&r, s.now(), |s, _| s.queue_all = true).await;
    assert!(held.queue_all);
    let f = r.figures(s.now());
    assert!(f.queue_all && f.limits.paused);
    s.advance(2);
    s.quiet().await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base + 5,
        "queue_all holds everyone"
    );

    let closed = change(&r, s.now(), |s, _| {
        s.queue_all = false;
        s.state = OperatorState::Closed;
    })
    .await;
    assert_eq!(r.settings(), closed);
    let f = r.figures(s.now());
    assert_eq!(f.state, OperatorState::Closed);
    assert!(f.closed_to_newcomers() && f.limits.paused);
}

contract!(config_edit_wins_over_an_older_override);

/// An operator's rate set against the config's rate goes out of force when the config's rate
/// changes (the most recent change wins), and is dropped from the settings.
async fn config_edit_wins_over_an_older_override(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    change(&r, s.now(), |s, config| {
        s.admit_per_minute = Some(Override {
            value: 120.0,
            config_was: config.admit_per_minute,
        })
    })
    .await;
    assert_eq!(r.figures(s.now()).limits.admit_per_minute, 120.0);
    r.set_limits(rate(30.0), s.now());
    assert_eq!(r.figures(s.now()).limits.admit_per_minute, 30.0);
    until("the stale override dropped", || {
        r.settings().admit_per_minute.is_none()
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Restart

/// The line a restart case begins with: two walked in and started a session (the second ended
/// by the upstream), two wait, one of them asked for a letter, the other came by invitation;
/// the operator set a rate and a message, and two appointments were booked.
struct Before {
    figures: Figures,
    seqs: Vec<u64>,
    settings: Settings,
    message: Message,
    code: String,
}

const RESTART_LIMITS: Limits = Limits {
    admit_per_minute: 120.0,
    max_active: 0,
    paused: false,
    adaptive: None,
    schedule: None,
    appointments: Some(10),
};

async fn line_before_restart(s: &Store, r: &Arc<dyn RoomState>) -> Before {
    let now = s.now();
    let drawn = draw_n(r, now, 4).await;
    let seqs: Vec<u64> = drawn.iter().map(|d| d.0).collect();
    assert_eq!(
        drawn.iter().map(|d| d.1).collect::<Vec<_>>(),
        [true, true, false, false]
    );
    assert_eq!(admit(r, seqs[0], 3, now).await, SessionStart::New);
    assert_eq!(admit(r, seqs[1], 3, now).await, SessionStart::New);
    r.session_ended(seqs[1], now + 3_600_000);
    assert_eq!(
        r.enlist(letter(seqs[3], now), now).await.unwrap(),
        Enlisted::Added
    );
    assert_eq!(r.invite(5, seqs[2], now).await.unwrap(), seqs[2]);
    let message = Message {
        de: "Bitte etwas Geduld.".into(),
        en: "Please bear with us.".into(),
    };
    let m = message.clone();
    let settings = change(r, now, move |s, config| {
        s.admit_per_minute = Some(Override {
            value: 90.0,
            config_was: config.admit_per_minute,
        });
        s.message = m.clone();
    })
    .await;
    let supply = r.supply(SupplyChange::Booked(2), now, true).await.unwrap();
    assert_eq!(supply.map(|s| s.remaining), Some(8));
    let figures = r.figures(now);
    let code = code::place_code(&keys(), line_of(&figures), seqs[3]).expect("a place code");
    Before {
        figures,
        seqs,
        settings,
        message,
        code,
    }
}

/// What every restart keeps: the same line (so place codes stay valid), no number handed out
/// twice, letters, invitations and the operator's settings.
async fn assert_line_kept(s: &Store, r: &Arc<dyn RoomState>, before: &Before) {
    let now = s.now();
    let f = r.figures(now);
    assert_eq!(line_of(&f), line_of(&before.figures), "the same line");
    let last = *before.seqs.last().unwrap();
    assert!(f.issued > last, "{} numbers known as handed out", f.issued);
    assert!(f.cursor >= before.figures.cursor, "nobody loses ground");
    assert_eq!(
        code::read_place_code(&keys(), line_of(&f), &before.code),
        Ok(before.seqs[3]),
        "a place code of before the restart still reads"
    );
    assert!(f.holds(before.seqs[3]));
    assert_eq!(
        pending(r, f.numbering.base, 10).await,
        [before.seqs[3]],
        "the letter kept"
    );
    assert_eq!(r.invited(5).await.unwrap(), Some(before.seqs[2]));
    assert_eq!(r.settings(), before.settings);
    assert_eq!(*r.message(), before.message);
    assert_eq!(f.limits.admit_per_minute, 90.0);
    assert_eq!(f.supply.map(|s| (s.remaining, s.booked)), Some((8, 2)));
    let (next, _) = draw_one(r, now).await;
    assert!(next > last, "{next} was handed out before");
}

contract!(restart);

/// An orderly stop and a start keep the line: the counter exactly (the next number follows the
/// last), sessions (and endings), letters, invitations, settings, supply.
async fn restart(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", RESTART_LIMITS).await;
    let before = line_before_restart(&s, &r).await;
    let s = s.restart(vec![r]).await;
    let r = s.room("r", RESTART_LIMITS).await;

    let f = r.figures(s.now());
    assert_eq!(
        f.issued, before.figures.issued,
        "exact after an orderly stop"
    );
    assert_line_kept(&s, &r, &before).await;
    assert_eq!(r.figures(s.now()).issued, before.figures.issued + 1);
    let now = s.now();
    assert_eq!(
        admit(&r, before.seqs[0], 3, now).await,
        SessionStart::Existing
    );
    assert!(!r.session_seen(before.seqs[1], now), "still ended");
    assert_eq!(admit(&r, before.seqs[1], 3, now).await, SessionStart::Ended);
}

contract!(restart_calls_nobody_early);

/// An orderly stop and a start call nobody: with people waiting and no time gone by, the
/// cursor stays where it was.
async fn restart_calls_nobody_early(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(120.0)).await;
    let base = r.figures(s.now()).numbering.base;
    draw_n(&r, s.now(), 6).await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base + 2,
        "a burst of two walked in"
    );
    let s = s.restart(vec![r]).await;
    let r = s.room("r", rate(120.0)).await;
    s.quiet().await;
    let f = r.figures(s.now());
    assert_eq!((f.issued, f.cursor), (base + 6, base + 2));
}

contract!(restart_keeps_when_sessions_began);

/// When a session began survives a restart (the admission header, and how long its ticket
/// stays refused once it is forgotten, go by it).
async fn restart_keeps_when_sessions_began(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let began = s.now();
    let (seq, _) = draw_one(&r, began).await;
    assert_eq!(admit(&r, seq, 3, began).await, SessionStart::New);
    s.advance(1);
    assert!(r.session_seen(seq, s.now()));
    let s = s.restart(vec![r]).await;
    let r = s.room("r", rate(600.0)).await;
    assert_eq!(r.session_started(seq).await.unwrap(), Some(began));
}

contract!(restart_after_config_edit);

/// An operator's rate dropped for a config edit stays dropped after a restart.
async fn restart_after_config_edit(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    change(&r, s.now(), |s, config| {
        s.admit_per_minute = Some(Override {
            value: 120.0,
            config_was: config.admit_per_minute,
        })
    })
    .await;
    r.set_limits(rate(30.0), s.now());
    until("the stale override dropped", || {
        r.settings().admit_per_minute.is_none()
    })
    .await;
    let s = s.restart(vec![r]).await;
    let r = s.room("r", rate(30.0)).await;
    assert_eq!(r.settings().admit_per_minute, None);
    assert_eq!(r.figures(s.now()).limits.admit_per_minute, 30.0);
}

contract!(crash_keeps_the_line);

/// A process that dies keeps what it acknowledged as durable: the line, no number twice,
/// letters, invitations, settings, a supply set through the admin API.
async fn crash_keeps_the_line(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", RESTART_LIMITS).await;
    let before = line_before_restart(&s, &r).await;
    let s = s.crash(vec![r]).await;
    let r = s.room("r", RESTART_LIMITS).await;
    assert_line_kept(&s, &r, &before).await;
}

contract!(crash_keeps_sessions);

/// A session begun just before the process dies is still the same session afterwards.
async fn crash_keeps_sessions(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let now = s.now();
    let (seq, _) = draw_one(&r, now).await;
    assert_eq!(admit(&r, seq, 3, now).await, SessionStart::New);
    let s = s.crash(vec![r]).await;
    let r = s.room("r", rate(600.0)).await;
    assert_eq!(admit(&r, seq, 3, s.now()).await, SessionStart::Existing);
}

contract!(crash_keeps_booking_reports);

/// A booking the site reported just before the process dies is still counted afterwards.
async fn crash_keeps_booking_reports(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", counted(600.0, 10)).await;
    let left = r.supply(SupplyChange::Booked(3), s.now(), false).await;
    assert_eq!(left.unwrap().map(|s| s.remaining), Some(7));
    let s = s.crash(vec![r]).await;
    let r = s.room("r", counted(600.0, 10)).await;
    assert_eq!(r.figures(s.now()).supply.map(|s| s.remaining), Some(7));
}

contract!(crash_repeats_no_number_and_moves_nobody_back);

/// After the process dies no number is handed out twice, nobody waiting is moved back, and a
/// newcomer's position counts people only. The embedded state is the process: its crash is the
/// store's, which loses the last moments (Redis restarted from an older copy does the same,
/// `failover.rs`). So it skips the numbers it had reserved ahead and lets the cursor have moved
/// as far as the rate allowed since its last save; neither shows up in anyone's position.
/// Across a crash of the gateway alone (Redis kept), both resume exactly.
async fn crash_repeats_no_number_and_moves_nobody_back(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let drawn = draw_n(&r, s.now(), 6).await;
    let before = r.figures(s.now());
    let s = s.crash(vec![r]).await;
    let r = s.room("r", rate(60.0)).await;
    // The holders' pages ask again within seconds: they are people, not a crash's gap.
    for (seq, _) in &drawn {
        r.ticket_seen(*seq);
    }
    let (next, _) = draw_one(&r, s.now()).await;
    let after = r.figures(s.now());
    assert!(after.cursor >= before.cursor, "nobody moved back");
    assert!(next > drawn[5].0, "{next} was handed out before");
    for (seq, _) in &drawn {
        assert!(
            after.position(*seq) <= before.position(*seq),
            "{seq} moved back"
        );
    }
    let people_ahead = (drawn[5].0 + 1).saturating_sub(after.cursor);
    assert_eq!(
        after.position(next),
        people_ahead + 1,
        "the newcomer's place counts the people ahead, not the numbers"
    );
}
