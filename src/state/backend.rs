//! The state backend's whole life, in one place: opening it from `[state]`, opening a room in
//! it, its background work (the embedded save ticker, each shared room's Redis sync) under one
//! shutdown signal, readiness, and the orderly shutdown that saves every room exactly (or hands
//! the Redis lease back). Must not decide anything about requests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::tasks::{Stage, Supervisor};

use crate::clock::{Clock, Millis};
use crate::config::StateConfig;
use crate::queue::admission::Limits;

use super::embedded::file::StateDir;
use super::embedded::EmbeddedState;
use super::redis::{self, Redis, SharedState};
use super::room::{RoomState, StateError};

/// Room state is saved four times a second (only what changed): the fresher the file, the
/// fewer ticket numbers a crash skips.
const SAVE_EVERY: Duration = Duration::from_millis(250);
/// How long a start waits for Redis before serving without it.
const REDIS_START_WAIT: Duration = Duration::from_secs(5);

/// Where rooms keep their state.
enum Store {
    /// In this process's memory only: a restart begins new lines (the demo).
    Memory,
    /// In this process, made durable in `state.dir`.
    Dir(Arc<StateDir>),
    /// Shared with other gateways through Redis.
    Redis(Arc<Redis>),
}

/// The backend of every room of this process.
pub struct Backend {
    store: Store,
    clock: Arc<dyn Clock>,
    /// Rooms whose state is alive in this process. A room removed by a reload and added back
    /// while requests still hold the old one gets that same state back: two states writing
    /// one file (or syncing one Redis line) could hand out a number twice.
    live: Mutex<HashMap<String, Weak<dyn RoomState>>>,
    /// The last save of some room failed: not ready (the state would not survive a restart).
    persist_failing: AtomicBool,
    /// Runs the background work (the save ticker, every room's sync) in the state stage,
    /// which ends after the connections have drained.
    supervisor: Arc<Supervisor>,
    /// Wakes the saver of a state directory before its next tick: a change a visitor waits
    /// to see on disk (a sign-up, an invitation) is written at once, with every other one
    /// that came meanwhile.
    saver: Arc<tokio::sync::Notify>,
}

impl Backend {
    /// The backend `[state]` names: Redis with `backend = "redis"`, else `state.dir` (created if
    /// missing and locked for this process), else memory. Nothing runs until `start`.
    pub fn open(
        cfg: &StateConfig,
        clock: Arc<dyn Clock>,
        supervisor: Arc<Supervisor>,
    ) -> Result<Arc<Backend>, StateError> {
        let store = match (&cfg.redis, &cfg.dir) {
            (Some(redis), _) => Store::Redis(Redis::new(redis, cfg.on_unavailable, clock.clone())?),
            (None, Some(dir)) => Store::Dir(StateDir::open(dir)?),
            (None, None) => Store::Memory,
        };
        Ok(Arc::new(Backend {
            store,
            clock,
            live: Mutex::new(HashMap::new()),
            persist_failing: AtomicBool::new(false),
            supervisor,
            saver: Arc::new(tokio::sync::Notify::new()),
        }))
    }

    /// A reload's `[state]`: Redis settings other than the backend and the key prefix take
    /// effect at once (`Redis::retune`). `false`: this change needs a restart.
    pub fn retune(&self, cfg: &StateConfig) -> Result<bool, StateError> {
        match (&self.store, &cfg.redis) {
            (Store::Redis(redis), Some(new)) => redis.retune(new, cfg.on_unavailable),
            _ => Ok(false),
        }
    }

    /// Room `id`: the state alive in this process, or resumed from the backend (a new line
    /// where it has none). Fails on a state file that cannot be read or written, instead of
    /// starting from zero. A shared room syncs from now on (in a Tokio runtime).
    pub fn room(
        &self,
        id: &str,
        limits: Limits,
        now: Millis,
    ) -> Result<Arc<dyn RoomState>, StateError> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|_, state| state.strong_count() > 0);
        if let Some(state) = live.get(id).and_then(Weak::upgrade) {
            state.set_limits(limits, now);
            return Ok(state);
        }
        let state: Arc<dyn RoomState> = match &self.store {
            Store::Memory => Arc::new(EmbeddedState::new(now, limits)),
            Store::Dir(dir) => Arc::new(
                EmbeddedState::open(dir.room(id), now, limits)?.saved_by(self.saver.clone()),
            ),
            Store::Redis(conn) => {
                let shared = SharedState::open(conn, id, limits);
                let room = Arc::downgrade(&shared);
                self.supervisor
                    .spawn(Stage::State, "redis sync", move |stopped| {
                        redis::keep_synced(room.clone(), stopped)
                    });
                shared
            }
        };
        live.insert(id.to_string(), Arc::downgrade(&state));
        Ok(state)
    }

    /// Starts the background work that is not a room's own: the save ticker of a state
    /// directory. With Redis, waits a few seconds for the rooms opened so far to read their
    /// line, so the first visitors are not turned away; serving begins anyway after that,
    /// with `on_unavailable` in force and `/readyz` saying so.
    pub async fn start(self: &Arc<Self>) {
        match self.store {
            Store::Memory => {}
            Store::Dir(_) => {
                let backend = Arc::downgrade(self);
                let saver = self.saver.clone();
                self.supervisor
                    .spawn(Stage::State, "state saver", move |mut stopped| {
                        let (backend, saver) = (backend.clone(), saver.clone());
                        async move {
                            let mut interval = tokio::time::interval(SAVE_EVERY);
                            interval
                                .set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                            loop {
                                // Wakes for the tick, or at once for changes waiting for the
                                // disk: those that come while a save runs go together in the
                                // next.
                                tokio::select! {
                                    _ = interval.tick() => {}
                                    _ = saver.notified() => {}
                                    _ = stopped.changed() => return,
                                }
                                let Some(backend) = backend.upgrade() else {
                                    return;
                                };
                                // File writes and fsyncs run off the request threads.
                                let _ = tokio::task::spawn_blocking(move || backend.persist(false))
                                    .await;
                            }
                        }
                    });
            }
            Store::Redis(_) => {
                let synced = async {
                    while !self.ready() {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                };
                if tokio::time::timeout(REDIS_START_WAIT, synced)
                    .await
                    .is_err()
                {
                    tracing::error!(
                        "Redis not reachable at start; serving with on_unavailable in force \
                         until it is"
                    );
                }
            }
        }
    }

    /// What `/readyz` adds to ready or not: why a room's state cannot be saved or reached,
    /// and what puts numbers at risk.
    pub fn health_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.persist_failing.load(Ordering::Relaxed) {
            notes.push("room state cannot be saved to state.dir; see the log".to_string());
        }
        for state in self.rooms() {
            notes.extend(state.health_notes());
        }
        notes
    }

    /// Keys shared with the other gateways, when there is a Redis to share them through.
    pub fn shared_keys(&self) -> Option<redis::SharedKeys> {
        match &self.store {
            Store::Redis(r) => Some(redis::SharedKeys::new(r.clone())),
            Store::Memory | Store::Dir(_) => None,
        }
    }

    /// Whether the rooms' state is being saved (embedded) and Redis answers (shared).
    pub fn ready(&self) -> bool {
        !self.persist_failing.load(Ordering::Relaxed)
            && self.rooms().iter().all(|state| state.available())
    }

    /// Ends the background work and saves every room exactly (an embedded room writes its
    /// exact counters; a shared one hands its lease back, so another gateway moves the cursor
    /// at once). Call it once no request is served any more.
    pub async fn shutdown(self: &Arc<Self>, grace: Duration) -> Result<(), StateError> {
        self.supervisor.stop(Stage::State, grace).await;
        let backend = self.clone();
        tokio::task::spawn_blocking(move || backend.persist(true))
            .await
            .unwrap_or_else(|e| Err(StateError::Unavailable(e.to_string())))
    }

    /// Saves every room alive; `orderly` on shutdown. Blocks on file IO: call it off the
    /// request threads.
    fn persist(&self, orderly: bool) -> Result<(), StateError> {
        let now = self.clock.now_ms();
        let mut result = Ok(());
        for state in self.rooms() {
            if let Err(e) = state.persist(now, orderly) {
                tracing::error!(error = %e, "cannot save room state");
                result = Err(e);
            }
        }
        self.persist_failing
            .store(result.is_err(), Ordering::Relaxed);
        result
    }

    fn rooms(&self) -> Vec<Arc<dyn RoomState>> {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.values().filter_map(Weak::upgrade).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::config::OnUnavailable;

    const T0: Millis = 1_700_000_000_000;

    #[test]
    fn a_room_alive_in_this_process_is_never_opened_twice() {
        let path = std::env::temp_dir().join(format!("wartesaal-backend-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        let cfg = StateConfig {
            dir: Some(path.clone()),
            redis: None,
            on_unavailable: OnUnavailable::Hold,
        };
        let supervisor = Supervisor::new(crate::metrics::Metrics::new().task_restarts.clone());
        let backend = Backend::open(&cfg, Arc::new(ManualClock::new(T0)), supervisor).unwrap();
        let l = Limits::new(60.0, 0);
        let first = backend.room("r", l, T0).unwrap();
        let again = backend.room("r", Limits::new(30.0, 0), T0).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "one state per room file");
        assert_eq!(first.figures(T0).limits.admit_per_minute, 30.0);
        drop((first, again));
        let fresh = backend.room("r", l, T0).unwrap();
        assert_eq!(fresh.figures(T0).limits.admit_per_minute, 60.0);
        drop((fresh, backend));
        let _ = std::fs::remove_dir_all(path);
    }
}
