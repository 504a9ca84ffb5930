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
use wartesaal::queue::supply::{Supply, SupplyChange};
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
        changes: 0,
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

// The cases, by what they are about.
mod letters;
mod line;
mod operator;
mod restart;
mod sessions;
mod supply;
