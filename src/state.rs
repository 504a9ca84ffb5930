//! Where a room's counters live: owns the `RoomState` trait (the few operations a room needs
//! from its storage) and the embedded, in-process implementation. Must not decide anything
//! about requests; the arithmetic is in `admission`, the decisions in `gateway`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use dashmap::DashMap;

use crate::admission::{Drawn, Limits, Queue};
use crate::clock::Millis;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state backend unavailable: {0}")]
    Unavailable(String),
}

pub type StateFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StateError>> + Send + 'a>>;

/// A snapshot of one room, as every request sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Unix seconds when this line began. Tickets drawn earlier belong to another line.
    pub started_at: u64,
    pub issued: u64,
    pub cursor: u64,
    pub active: u64,
    pub limits: Limits,
}

impl Figures {
    pub fn waiting(&self) -> u64 {
        self.issued.saturating_sub(self.cursor)
    }
}

/// What a room needs from its storage. Embedded and shared (Redis) backends implement it;
/// nothing above it knows which one runs.
pub trait RoomState: Send + Sync + 'static {
    /// Draws the next ticket number, admitting it at once when nobody waits and the rate
    /// allows. The one call that must be answered by the authority on numbers, hence async.
    fn draw(&self, now: Millis) -> StateFuture<'_, (Drawn, Figures)>;

    /// The room as of `now`, with the cursor brought up to date. Cheap and never blocks on IO:
    /// every status poll calls it.
    fn figures(&self, now: Millis) -> Figures;

    fn set_limits(&self, limits: Limits);

    /// A called number turns up to become a session (the session id is the ticket number).
    /// Only a `New` session counts as an admission; a number whose session the upstream ended
    /// stays out.
    fn admit_session(&self, session: u64, now: Millis) -> SessionStart;

    /// A request came in on a pass. `false` means the session was ended (released) and the
    /// pass must not be honoured any more.
    fn session_seen(&self, session: u64, now: Millis) -> bool;

    /// The upstream ended the session (`X-Wartesaal-Release`). Its pass stays refused until
    /// `until`, when it would have expired anyway.
    fn session_ended(&self, session: u64, until: Millis);

    /// Forgets sessions idle for `idle_ms` and refusals that have run out.
    fn sweep(&self, now: Millis, idle_ms: Millis);
}

/// What became of a called number that turned up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStart {
    /// First arrival: a new session.
    New,
    /// Already active (another tab, a copied ticket): the same session, not a new admission.
    Existing,
    /// Ended by the upstream: not admitted again.
    Ended,
}

/// One process, state in memory.
pub struct EmbeddedState {
    started_at: u64,
    line: Mutex<Line>,
    /// Active sessions: id → last seen. One small entry per admitted visitor, none per waiting
    /// one.
    sessions: DashMap<u64, Millis>,
    /// Sessions ended by the upstream: id → time their pass would have expired.
    ended: DashMap<u64, Millis>,
}

struct Line {
    queue: Queue,
    limits: Limits,
}

impl EmbeddedState {
    pub fn new(now: Millis, limits: Limits) -> EmbeddedState {
        EmbeddedState {
            started_at: now / 1000,
            line: Mutex::new(Line {
                queue: Queue::new(now, &limits),
                limits,
            }),
            sessions: DashMap::new(),
            ended: DashMap::new(),
        }
    }

    fn snapshot(&self, l: &Line, active: u64) -> Figures {
        Figures {
            started_at: self.started_at,
            issued: l.queue.issued(),
            cursor: l.queue.cursor(),
            active,
            limits: l.limits,
        }
    }

    fn with_line<T>(&self, f: impl FnOnce(&mut Line) -> T) -> T {
        // A panic while holding the lock cannot leave `Line` half-updated in a way that matters
        // more than stopping the room would, so a poisoned lock is taken over.
        let mut guard = self.line.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

impl RoomState for EmbeddedState {
    fn draw(&self, now: Millis) -> StateFuture<'_, (Drawn, Figures)> {
        let active = self.sessions.len() as u64;
        let drawn = self.with_line(|l| {
            let drawn = l.queue.draw(now, &l.limits, active);
            (drawn, self.snapshot(l, active))
        });
        Box::pin(std::future::ready(Ok(drawn)))
    }

    fn figures(&self, now: Millis) -> Figures {
        let active = self.sessions.len() as u64;
        self.with_line(|l| {
            l.queue.advance(now, &l.limits, active);
            self.snapshot(l, active)
        })
    }

    fn set_limits(&self, limits: Limits) {
        self.with_line(|l| l.limits = limits);
    }

    fn admit_session(&self, session: u64, now: Millis) -> SessionStart {
        if self.ended.contains_key(&session) {
            return SessionStart::Ended;
        }
        match self.sessions.insert(session, now) {
            Some(_) => SessionStart::Existing,
            None => {
                self.with_line(|l| l.queue.arrived());
                SessionStart::New
            }
        }
    }

    fn session_seen(&self, session: u64, now: Millis) -> bool {
        if self.ended.contains_key(&session) {
            return false;
        }
        self.sessions.insert(session, now);
        true
    }

    fn session_ended(&self, session: u64, until: Millis) {
        self.sessions.remove(&session);
        self.ended.insert(session, until);
    }

    fn sweep(&self, now: Millis, idle_ms: Millis) {
        self.sessions
            .retain(|_, seen| seen.saturating_add(idle_ms) > now);
        self.ended.retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_700_000_000_000;

    #[tokio::test]
    async fn released_session_frees_its_slot_and_stays_refused() {
        let limits = Limits {
            admit_per_minute: 6000.0,
            max_active: 1,
        };
        let state = EmbeddedState::new(T0, limits);
        let (first, _) = state.draw(T0).await.unwrap();
        assert!(first.admitted);
        assert_eq!(state.admit_session(first.seq, T0), SessionStart::New);
        assert_eq!(state.admit_session(first.seq, T0), SessionStart::Existing);
        let (second, figures) = state.draw(T0 + 1000).await.unwrap();
        assert_eq!(figures.issued, 2);
        assert!(!second.admitted);
        assert_eq!(state.figures(T0 + 2000).cursor, 1);
        state.session_ended(first.seq, T0 + 60_000);
        assert_eq!(state.figures(T0 + 2000).cursor, 2);
        assert!(!state.session_seen(first.seq, T0 + 3000));
        assert_eq!(
            state.admit_session(first.seq, T0 + 3000),
            SessionStart::Ended
        );
        state.sweep(T0 + 60_000, 600_000);
        assert!(
            state.session_seen(first.seq, T0 + 60_001),
            "refusal ran out with the pass"
        );
    }

    #[test]
    fn idle_sessions_are_swept() {
        let state = EmbeddedState::new(
            T0,
            Limits {
                admit_per_minute: 60.0,
                max_active: 0,
            },
        );
        state.admit_session(7, T0);
        state.admit_session(8, T0 + 5_000);
        state.sweep(T0 + 10_000, 10_000);
        assert_eq!(state.figures(T0 + 10_000).active, 1);
    }
}
