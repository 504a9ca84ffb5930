//! Where a room's counters live: owns the `RoomState` trait (the few operations a room needs
//! from its storage) and the embedded implementation, in memory and made durable in
//! `state.dir`. Must not decide anything about requests; the arithmetic is in `admission`, the
//! decisions in `gateway`, the file format in `file`.
//!
//! Durability without a disk write per request: ticket numbers are reserved in blocks that are
//! on disk before any number of the block is handed out, and the cursor is saved four times a
//! second when it moved (and exactly on an orderly shutdown). What a visitor or the site is
//! told of waits for the disk, many changes sharing one write (group commit): a session begun,
//! a booking reported, a letter asked for, an invitation used, an operator's change. After a
//! crash the line resumes at the end of the reserved block, so no number is ever handed out
//! twice, and the cursor resumes where it was or a little further on, so no waiting visitor
//! loses ground.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use dashmap::DashMap;

use crate::clock::Millis;
use crate::queue::adaptive::{RateChange, UpstreamSample};
use crate::queue::admission::{self, Drawn, Limits, Queue};
use crate::queue::schedule::Phase;
use crate::queue::supply::{Supply, SupplyChange};
use crate::state::{
    effective, operator_rate, BackendInfo, Enlisted, Figures, Gap, Gate, HandedOut, Letter,
    Message, Movement, Numbering, Replaced, RoomState, SessionStart, Settings, SettingsChange,
    StateError, StateFuture,
};

pub mod file;
mod letters;
mod line;
mod save;
mod sessions;

use line::{LineSchedule, Reserve, RoomLine, Skipped};
use sessions::{Session, Sessions};

use file::{RoomFile, Saved, StoreError};

/// Fewest ticket numbers reserved ahead; more when arrivals are brisk (what arrives in
/// `RESERVE_AHEAD_MS` at the pace since the last save). After a crash, the numbers reserved but
/// never handed out are skipped; people who arrive afterwards queue behind them, so the block
/// is kept small when it is quiet.
const RESERVE_MIN: u64 = 8;
/// A reservation lasts this long at the pace of arrivals since the last save: two periodic
/// saves. Measured by time, not by the count since the last save, so that a save forced by a
/// used-up block a moment after another one still reserves for the whole rush.
const RESERVE_AHEAD_MS: u64 = 500;
/// Saves closer together than this are taken as this far apart: a pace is not read off a
/// few draws in the same instant.
const RESERVE_PACE_FLOOR_MS: u64 = 10;
/// Saves happen four times a second; after a crash the cursor is assumed to have moved for this
/// long past the last save (at most), so that nobody restarts behind where they were.
const CRASH_CATCH_UP_MS: Millis = 3_000;
/// After a failed reservation, new arrivals are refused this long before the next attempt.
const RESERVE_RETRY_MS: Millis = 1_000;

/// One process: state in memory, saved to a file in `state.dir` when there is one.
pub struct EmbeddedState {
    started_at: u64,
    line: Mutex<RoomLine>,
    /// Active sessions: id → last seen. One small entry per admitted visitor, none per waiting
    /// one.
    sessions: Sessions,
    /// Sessions ended by the upstream: id → time their pass would have expired.
    ended: DashMap<u64, Millis>,
    /// Serialises saves; holds what was saved last, so unchanged state is not written again.
    /// Taken before the line lock, never while holding it.
    file: Option<Mutex<(RoomFile, Option<Saved>)>>,
    /// The room's letters journal; written under `file`'s lock, in the order of the saves.
    journal: Option<Mutex<file::Journal>>,
    /// A copy of `settings.message` that pages read without the line lock.
    message: ArcSwap<Message>,
    /// When reserving ticket numbers last failed (0: it did not).
    reserve_failed_at: AtomicU64,
    /// Writes of the state file so far.
    writes: AtomicU64,
    /// Group commit: changes a visitor is told of only once they are on disk (a letter
    /// asked for, an invitation used, a letter sent) each take a number (`RoomLine::changes`);
    /// this says up to which number the file holds them, and up to which a save failed.
    durable: tokio::sync::watch::Sender<Durable>,
    /// Wakes the backend's saver (set by the backend): many such changes, one write. Without
    /// it (a state opened alone, in tests) each change is saved on the spot.
    saver: Option<Arc<tokio::sync::Notify>>,
}

/// How far the state file holds the changes that wait for it (`EmbeddedState::durable`).
#[derive(Debug, Clone, Copy, Default)]
struct Durable {
    saved: u64,
    failed: u64,
}

impl EmbeddedState {
    /// State in memory only: a restart begins a new line.
    pub fn new(now: Millis, limits: Limits) -> EmbeddedState {
        EmbeddedState::build(
            now,
            now / 1000,
            Queue::new(now, &limits),
            limits,
            u64::MAX,
            None,
        )
    }

    /// Durable state: resumes the room saved in `file`, or begins a new line there. Fails on a
    /// file that cannot be read or written, instead of starting from zero.
    pub fn open(file: RoomFile, now: Millis, limits: Limits) -> Result<EmbeddedState, StoreError> {
        let Some(saved) = file.load()? else {
            let state = EmbeddedState::build(
                now,
                now / 1000,
                Queue::new(now, &limits),
                limits,
                0,
                Some(file),
            );
            // A journal without a state file belongs to no line this one continues: emptied
            // with the first save.
            state.with_line(|l| l.letters.journal_failed());
            // Written at once: an unwritable directory is found at boot, not under traffic.
            state.save(now, false)?;
            return Ok(state);
        };
        let journal = file.journal().load()?;
        let settings = saved.settings.clone();
        let adaptive_rate = saved.adaptive_rate.filter(|_| limits.adaptive.is_some());
        let eff = effective(&limits, &settings, adaptive_rate);
        // Every number below `reserved` may be out there: continue after them.
        let issued = saved.reserved;
        let cursor = if saved.clean || eff.paused || held_when_saved(&limits, &saved) {
            // Exact after an orderly stop; and a paused or closed room's cursor stood still
            // (the pause itself was saved before it took effect), as did one waiting for its
            // opening.
            saved.cursor
        } else {
            // The cursor may have moved after the last save; let it have moved as far as the
            // rate allowed, so that every waiting visitor is where they were or further on.
            // With no-shows measured the cursor runs up to 1 / MIN_SHOW_SHARE times the rate
            // (and spends its burst that much faster); the share itself is not saved, so the
            // fastest it could have run is assumed.
            let gap = now.saturating_sub(saved.saved_at).min(CRASH_CATCH_UP_MS);
            let moved = (eff.burst() + gap as f64 * eff.admit_per_minute / 60_000.0)
                / admission::MIN_SHOW_SHARE;
            let mut moved = moved.ceil() as u64;
            if eff.max_active > 0 {
                // At the cap the cursor could not move: no further than the free places the
                // saved sessions left, so that a restart never lets more in than the cap.
                let active = saved.sessions.len() as u64;
                moved = moved.min(eff.max_active.saturating_sub(active));
            }
            saved.cursor.saturating_add(moved)
        };
        let mut queue = Queue::resume(issued, cursor.min(issued), now, &eff);
        if !saved.clean || saved.cursor < saved.issued {
            // The catch-up above already spent what the rate allowed; and while people were
            // waiting, nothing was left of it: the next call is the rate's, not a burst.
            queue.spend_budget();
        }
        let state = EmbeddedState::build(now, saved.started_at, queue, limits, issued, Some(file));
        {
            let mut l = state.lock();
            state.adopt(&mut l, settings, now);
            if let (Some(a), Some(rate)) = (l.adaptive.as_mut(), adaptive_rate) {
                a.resume_at(rate, now);
            }
            l.schedule.prequeue = saved.prequeue.clone();
            l.schedule.prequeue_durable = true;
            l.supply = saved.supply;
            l.invitations = saved.invitations.iter().copied().collect();
            l.letters = letters::Letters::restore(&saved.letters, &saved.written, journal);
            l.follow_supply();
            // The skipped numbers are not arrivals: the next block is sized as if quiet.
            l.reserve.issued_at_save = issued;
            l.reserve.saved_at = now;
            if !saved.clean {
                // Handed out up to `saved.issued` for sure; the rest of the block only in the
                // moment before the crash, if at all.
                l.skipped.range = (saved.issued, issued);
            }
            l.skipped.caught_up = l.queue.cursor().saturating_sub(saved.cursor);
        }
        for s in saved.sessions {
            let session = Session {
                started: s.began(),
                seen: s.seen(),
                passes: 1,
            };
            state.sessions.insert(s.id(), session);
        }
        for (id, passes) in saved.passes {
            if let Some(mut s) = state.sessions.get_mut(&id) {
                s.passes = passes;
            }
        }
        for (id, until) in saved.ended {
            state.ended.insert(id, until);
        }
        // The resumed line is saved at once, so that a second crash resumes from here.
        state.save(now, false)?;
        tracing::info!(
            room = %saved.room,
            issued,
            cursor = cursor.min(issued),
            skipped = saved.reserved - saved.issued,
            orderly = saved.clean,
            "room state restored"
        );
        Ok(state)
    }

    fn build(
        now: Millis,
        started_at: u64,
        queue: Queue,
        config: Limits,
        reserved: u64,
        file: Option<RoomFile>,
    ) -> EmbeddedState {
        let mut line = RoomLine {
            reserve: Reserve {
                end: reserved,
                issued_at_save: queue.issued(),
                saved_at: now,
            },
            queue,
            config,
            settings: Settings::default(),
            adaptive: None,
            schedule: LineSchedule {
                prequeue: None,
                prequeue_durable: true,
                phase: Phase::Open,
                held: false,
            },
            persistent: file.is_some(),
            skipped: Skipped {
                range: (0, 0),
                seen: std::collections::BTreeSet::new(),
                caught_up: 0,
            },
            supply: None,
            invitations: std::collections::BTreeMap::new(),
            letters: letters::Letters::default(),
            changes: 0,
        };
        line.follow_supply();
        line.configure_adaptive(now);
        EmbeddedState {
            started_at,
            line: Mutex::new(line),
            sessions: Sessions::default(),
            ended: DashMap::new(),
            journal: file.as_ref().map(|f| Mutex::new(f.journal())),
            file: file.map(|f| Mutex::new((f, None))),
            message: ArcSwap::from_pointee(Message::default()),
            reserve_failed_at: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            durable: tokio::sync::watch::channel(Durable::default()).0,
            saver: None,
        }
    }

    /// Has the changes that wait for the disk written by the backend's saver, which `saver`
    /// wakes: one write for all that came meanwhile, off the request threads.
    pub fn saved_by(mut self, saver: Arc<tokio::sync::Notify>) -> EmbeddedState {
        self.saver = Some(saver);
        self
    }

    /// Whether change number `change` (of `RoomLine::changes`) is on disk now, or was saved in
    /// vain. Waits for the saver (it does not block the thread); alone, saves at once.
    async fn on_disk(&self, change: u64, now: Millis) -> bool {
        if self.file.is_none() {
            return true;
        }
        let Some(saver) = &self.saver else {
            return self.save(now, false).is_ok();
        };
        let mut durable = self.durable.subscribe();
        saver.notify_one();
        durable
            .wait_for(|d| d.saved >= change || d.failed >= change)
            .await
            .is_ok_and(|d| d.saved >= change)
    }

    fn snapshot(&self, l: &RoomLine, active: u64) -> Figures {
        let limits = l.limits();
        let (phase, order) = l.order();
        Figures {
            numbering: Numbering {
                started_at: self.started_at,
                base: 0,
                handed_out: HandedOut::Below(l.queue.issued()),
            },
            issued: l.queue.issued(),
            cursor: l.queue.cursor(),
            gap: Gap {
                ghosts: l.ghosts(),
                end: l.skipped.range.1,
            },
            claimed: l.queue.held_back(),
            active,
            limits,
            state: l.settings.state,
            movement: Movement {
                pace: l.queue.pace(&limits),
                show_share: l.queue.show_share(),
                caught_up: l.skipped.caught_up,
            },
            adaptive: l
                .adaptive
                .as_ref()
                .map(|_| operator_rate(&l.settings, &l.config).is_none()),
            held: false,
            queue_all: l.settings.queue_all,
            phase,
            order,
            supply: l.supply,
        }
    }

    /// Puts `settings` in force, with the copy of the message that pages read. An operator's
    /// rate that is lifted hands over to the adaptive mode, which goes on from it.
    fn adopt(&self, l: &mut RoomLine, settings: Settings, now: Millis) {
        if let (Some(manual), None, Some(a)) = (
            operator_rate(&l.settings, &l.config),
            operator_rate(&settings, &l.config),
            l.adaptive.as_mut(),
        ) {
            a.resume_at(manual, now);
        }
        self.message.store(Arc::new(settings.message.clone()));
        l.settings = settings;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RoomLine> {
        // A panic while holding the lock cannot leave `RoomLine` half-updated in a way that matters
        // more than stopping the room would, so a poisoned lock is taken over.
        self.line.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_line<T>(&self, f: impl FnOnce(&mut RoomLine) -> T) -> T {
        f(&mut self.lock())
    }

    /// `admit_session`, at once.
    fn start_session(&self, session: u64, max_passes: u32, now: Millis) -> SessionStart {
        if self.ended.contains_key(&session) {
            return SessionStart::Ended;
        }
        let rejoin = |s: &mut Session| {
            if s.passes >= max_passes {
                return SessionStart::UsedUp;
            }
            s.passes += 1;
            s.seen = now;
            SessionStart::Existing
        };
        if let Some(mut s) = self.sessions.get_mut(&session) {
            return rejoin(&mut s);
        }
        // New sessions begin under the line lock, so the start budget is spent once each.
        self.with_line(|l| {
            l.follow_schedule(now);
            let limits = l.limits();
            if let Some(mut s) = self.sessions.get_mut(&session) {
                return rejoin(&mut s);
            }
            if let Err(ahead) = l.queue.start_in_order(session, now, &limits, true) {
                return SessionStart::Later { ahead };
            }
            self.sessions.insert(session, Session::new(now));
            l.queue.arrived(session, now, &limits);
            if let Some(supply) = l.supply.as_mut() {
                supply.admitted += 1;
            }
            SessionStart::New
        })
    }
}

/// Whether the cursor stood still when `saved` was written because the room had not opened
/// (or its draw was not yet on disk): then it resumes exactly where it was.
fn held_when_saved(limits: &Limits, saved: &Saved) -> bool {
    let Some(window) = limits.schedule else {
        return false;
    };
    let drawn = saved
        .prequeue
        .as_ref()
        .is_some_and(|p| p.is_drawn_for(&window));
    window.phase(saved.saved_at) != Phase::Open || !drawn
}

impl RoomState for EmbeddedState {
    fn draw(&self, now: Millis, _gate: Gate) -> StateFuture<'_, (Drawn, Figures)> {
        let active = self.sessions.len() as u64;
        loop {
            let drawn = self.with_line(|l| {
                l.follow_schedule(now);
                if l.queue.issued() < l.reserve.end {
                    let limits = l.limits();
                    let drawn = l.queue.draw(now, &limits, active);
                    Ok((drawn, self.snapshot(l, active)))
                } else {
                    Err(l.reserve.end)
                }
            });
            let used_up = match drawn {
                Ok(drawn) => return Box::pin(std::future::ready(Ok(drawn))),
                Err(used_up) => used_up,
            };
            // The reserved block is used up (a sudden rush between saves): reserve more before
            // handing out another number. Rare; the save sizes the next block to the rush.
            // After a failed write (disk full), arrivals are refused at once for a second
            // instead of each retrying the write.
            let failed = self.reserve_failed_at.load(Ordering::Relaxed);
            if failed != 0 && now < failed + RESERVE_RETRY_MS {
                return Box::pin(std::future::ready(Err(StateError::Unavailable(
                    "cannot reserve ticket numbers: the state file cannot be written".into(),
                ))));
            }
            // Several threads may find the block used up at once: the first one's save reserves
            // for the rush, the others only wait for it (a second save right after would size
            // its block by the few numbers drawn in between and take the rush's block back).
            if let Err(e) = self.save_unless_reserved(now, used_up) {
                self.reserve_failed_at.store(now.max(1), Ordering::Relaxed);
                return Box::pin(std::future::ready(Err(StateError::Store(e))));
            }
            self.reserve_failed_at.store(0, Ordering::Relaxed);
        }
    }

    fn figures(&self, now: Millis) -> Figures {
        let active = self.sessions.len() as u64;
        let (figures, changed) = self.with_line(|l| {
            let changed = l.follow_schedule(now);
            let limits = l.limits();
            l.queue.advance(now, &limits, active);
            l.queue.forget_stale_claims(now);
            (self.snapshot(l, active), changed)
        });
        if !changed || self.file.is_none() {
            return figures;
        }
        // The pre-queue began or was frozen just now: on disk before anyone acts on it. Once
        // per opening, so the write on a request thread is affordable.
        match self.save(now, false) {
            Ok(()) => self.with_line(|l| self.snapshot(l, active)),
            Err(e) => {
                tracing::error!(error = %e, "cannot save the pre-queue; admissions held until it is saved");
                figures
            }
        }
    }

    fn set_limits(&self, limits: Limits, now: Millis) {
        let stale = self.with_line(|l| {
            l.follow_schedule(now);
            l.queue
                .advance(now, &l.limits(), self.sessions.len() as u64);
            l.config = limits;
            l.configure_adaptive(now);
            l.follow_schedule(now);
            l.follow_supply();
            l.settings
                .has_stale(limits.admit_per_minute, limits.max_active)
        });
        if stale {
            let mut drop_stale = |s: &mut Settings, config: &Limits| {
                s.drop_stale(config.admit_per_minute, config.max_active)
            };
            if let Err(e) = self.save_with(now, false, Some(&mut drop_stale), None) {
                // The override stays out of force anyway (its config value no longer matches);
                // it is dropped for good at the next successful save of a change.
                tracing::warn!(error = %e, "cannot save the room after a config change");
            }
        }
    }

    fn settings(&self) -> Settings {
        self.with_line(|l| l.settings.clone())
    }

    fn message(&self) -> Arc<Message> {
        self.message.load_full()
    }

    fn update_settings<'a>(
        &'a self,
        change: SettingsChange<'a>,
        now: Millis,
    ) -> StateFuture<'a, Settings> {
        let result = self.save_with(now, false, Some(change), None);
        Box::pin(std::future::ready(result.map_err(StateError::from)))
    }

    fn persist(&self, now: Millis, orderly: bool) -> Result<(), StateError> {
        Ok(self.save(now, orderly)?)
    }

    fn admit_session(
        &self,
        session: u64,
        max_passes: u32,
        now: Millis,
    ) -> StateFuture<'_, SessionStart> {
        let start = self.start_session(session, max_passes, now);
        if start != SessionStart::New || self.file.is_none() {
            return Box::pin(std::future::ready(Ok(start)));
        }
        // Counted after the session is in the map: a save that reads this number copies the
        // sessions after it (`save_with`).
        let change = self.with_line(|l| {
            l.changes += 1;
            l.changes
        });
        Box::pin(async move {
            // On disk before the pass goes out, so that a crash does not start it again.
            // Sessions that begin together share one write. A disk that fails does not keep
            // the visitor out: the session is in memory, and the failed save is logged.
            self.on_disk(change, now).await;
            Ok(start)
        })
    }

    fn backend(&self) -> BackendInfo {
        BackendInfo {
            kind: "embedded",
            available: true,
            leader: None,
            epoch: None,
        }
    }

    fn ticket_seen(&self, seq: u64) {
        self.with_line(|l| {
            let (from, to) = l.skipped.range;
            if (from..to).contains(&seq) {
                l.skipped.seen.insert(seq);
            }
        });
    }

    fn claims_ahead(&self, session: u64, now: Millis) -> StateFuture<'_, Option<u64>> {
        let ahead = if self.ended.contains_key(&session) || self.sessions.map.contains_key(&session)
        {
            None
        } else {
            self.with_line(|l| {
                l.follow_schedule(now);
                let limits = l.limits();
                l.queue.start_in_order(session, now, &limits, false).err()
            })
        };
        Box::pin(std::future::ready(Ok(ahead)))
    }

    fn session_seen(&self, session: u64, now: Millis) -> bool {
        if self.ended.contains_key(&session) {
            return false;
        }
        self.sessions.seen(session, now);
        true
    }

    fn session_started(&self, session: u64) -> StateFuture<'_, Option<Millis>> {
        let started = self.sessions.map.get(&session).map(|s| s.started);
        Box::pin(std::future::ready(Ok(started)))
    }

    fn session_ended(&self, session: u64, until: Millis) {
        self.sessions.remove(&session);
        self.ended.insert(session, until);
    }

    fn sweep(&self, now: Millis, idle_ms: Millis, ticket_ms: Millis) {
        self.ended.retain(|_, until| *until > now);
        self.sessions.retain(|id, s| {
            let idle = s.seen.saturating_add(idle_ms) <= now;
            let ticket_until = s.started.saturating_add(ticket_ms);
            if idle && ticket_until > now {
                self.ended.insert(*id, ticket_until);
            }
            !idle
        });
    }

    fn supply(
        &self,
        change: SupplyChange,
        now: Millis,
        durable: bool,
    ) -> StateFuture<'_, Option<Supply>> {
        let (before, supply) = self.with_line(|l| {
            let before = l.supply;
            if let Some(supply) = l.supply.as_mut() {
                supply.apply(change);
            }
            (before, l.supply)
        });
        // An operator's figure is on disk before the answer says so, or not applied at all. A
        // booking the site reported is on disk before the report counts as done (reports that
        // come together share one write); a failed write keeps it in memory for the next.
        match (supply, durable) {
            (Some(_), true) => {
                let saved = self.save(now, false).map_err(|e| {
                    self.with_line(|l| l.supply = before);
                    StateError::from(e)
                });
                Box::pin(std::future::ready(saved.map(|()| supply)))
            }
            (Some(_), false) if self.file.is_some() => {
                let change = self.with_line(|l| {
                    l.changes += 1;
                    l.changes
                });
                Box::pin(async move {
                    if self.on_disk(change, now).await {
                        Ok(supply)
                    } else {
                        Err(StateError::Unavailable(
                            "the state file cannot be written".into(),
                        ))
                    }
                })
            }
            _ => Box::pin(std::future::ready(Ok(supply))),
        }
    }

    fn invited(&self, index: u64) -> StateFuture<'_, Option<u64>> {
        let seq = self.with_line(|l| l.invitations.get(&index).copied());
        Box::pin(std::future::ready(Ok(seq)))
    }

    fn invite(&self, index: u64, seq: u64, now: Millis) -> StateFuture<'_, u64> {
        let (kept, change) = self.with_line(|l| match l.invitations.get(&index) {
            Some(&kept) => (kept, None),
            None => {
                l.invitations.insert(index, seq);
                l.changes += 1;
                (seq, Some(l.changes))
            }
        });
        Box::pin(async move {
            // On disk before the ticket goes out: a code never draws twice, even across a
            // crash.
            if let Some(change) = change {
                if !self.on_disk(change, now).await {
                    self.with_line(|l| l.invitations.remove(&index));
                    return Err(StateError::Unavailable(
                        "the state file cannot be written".into(),
                    ));
                }
            }
            Ok(kept)
        })
    }

    fn enlist(&self, letter: Letter, now: Millis) -> StateFuture<'_, Enlisted> {
        let seq = letter.seq;
        let (enlisted, change) = self.with_line(|l| {
            let enlisted = l.letters.enlist(letter);
            if enlisted == Enlisted::Added {
                l.changes += 1;
            }
            (enlisted, l.changes)
        });
        Box::pin(async move {
            // On disk before the visitor is told: the letter survives a crash. Sign-ups that
            // come together share one write.
            if enlisted == Enlisted::Added && !self.on_disk(change, now).await {
                self.with_line(|l| l.letters.unlist(seq));
                return Err(StateError::Unavailable(
                    "the state file cannot be written".into(),
                ));
            }
            Ok(enlisted)
        })
    }

    fn replace_letter(&self, letter: Letter, now: Millis) -> StateFuture<'_, Replaced> {
        let (replaced, old, change) = self.with_line(|l| {
            let (replaced, old) = l.letters.replace(letter);
            if replaced == Replaced::Replaced {
                l.changes += 1;
            }
            (replaced, old, l.changes)
        });
        Box::pin(async move {
            if replaced == Replaced::Replaced && !self.on_disk(change, now).await {
                if let Some(old) = old {
                    self.with_line(|l| l.letters.put_back(old));
                }
                return Err(StateError::Unavailable(
                    "the state file cannot be written".into(),
                ));
            }
            Ok(replaced)
        })
    }

    fn noted_address(&self, seq: u64) -> StateFuture<'_, Option<String>> {
        let to = self.with_line(|l| l.letters.noted(seq));
        Box::pin(std::future::ready(Ok(to)))
    }

    fn letters(&self, from: u64, max: usize) -> StateFuture<'_, Option<Vec<Letter>>> {
        let letters = self.with_line(|l| l.letters.from(from, max));
        Box::pin(std::future::ready(Ok(Some(letters))))
    }

    fn letter_done(&self, seq: u64, now: Millis) -> StateFuture<'_, ()> {
        let change = self.with_line(|l| {
            l.letters.done(seq).then(|| {
                l.changes += 1;
                l.changes
            })
        });
        Box::pin(async move {
            // The address leaves the disk with this save (a failed one: with the next).
            match change {
                Some(change) if !self.on_disk(change, now).await => Err(StateError::Unavailable(
                    "the state file cannot be written".into(),
                )),
                _ => Ok(()),
            }
        })
    }

    fn upstream(&self, sample: &UpstreamSample, now: Millis) -> Option<(RateChange, f64)> {
        let active = self.sessions.len() as u64;
        self.with_line(|l| {
            // An operator's rate holds the learning still until it is lifted.
            if operator_rate(&l.settings, &l.config).is_some() {
                return None;
            }
            // The line is brought up to now at the old rate before the new one applies.
            l.follow_schedule(now);
            let limits = l.limits();
            l.queue.advance(now, &limits, active);
            // Only a line held back by the rate asks for more of it: not a paused one, nor one
            // waiting for sessions to end under `max_active`.
            let people_wait = l.queue.waiting() > 0
                && !limits.paused
                && (limits.max_active == 0 || active < limits.max_active);
            let a = l.adaptive.as_mut()?;
            let change = a.observe(now, sample, people_wait)?;
            Some((change, a.rate()))
        })
    }
}

#[cfg(test)]
mod tests;
