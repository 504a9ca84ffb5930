//! Saving an embedded room: the snapshot taken under the line lock, the state file written
//! outside it, the letters journal after it, and the group commit that tells waiting callers
//! their change is on disk. Must not decide anything about the line: it writes what is.

use std::sync::atomic::Ordering;

use dashmap::DashMap;

use crate::clock::Millis;
use crate::queue::adaptive::Adaptive;
use crate::state::{Settings, SettingsChange};

use super::file::{RoomFile, Saved, SavedSession, StoreError, FORMAT};
use super::sessions::Session;
use super::{letters, EmbeddedState, RESERVE_AHEAD_MS, RESERVE_MIN, RESERVE_PACE_FLOOR_MS};

impl EmbeddedState {
    /// `update_settings`, at once.
    #[cfg(test)]
    pub(super) fn change_now(
        &self,
        change: SettingsChange<'_>,
        now: Millis,
    ) -> Result<Settings, StoreError> {
        self.save_with(now, false, Some(change), None)
    }

    /// Saves the room, reserving numbers ahead (none on an orderly shutdown). The line lock is
    /// held only to take the snapshot, not while writing: draws go on meanwhile, within what is
    /// reserved both on disk and in the file being written.
    pub(super) fn save(&self, now: Millis, orderly: bool) -> Result<(), StoreError> {
        self.save_with(now, orderly, None, None).map(|_| ())
    }

    /// A save to reserve more numbers after the block ending at `used_up` ran out; skipped
    /// when another save has reserved beyond it meanwhile.
    pub(super) fn save_unless_reserved(&self, now: Millis, used_up: u64) -> Result<(), StoreError> {
        self.save_with(now, false, None, Some(used_up)).map(|_| ())
    }

    /// `save`, with the operator's settings changed by `change`. The change is written first
    /// and applied only once it is on disk, so what visitors see is always what survives a
    /// restart; a failed write leaves the settings as they were.
    pub(super) fn save_with(
        &self,
        now: Millis,
        orderly: bool,
        change: Option<SettingsChange<'_>>,
        unless_reserved_past: Option<u64>,
    ) -> Result<Settings, StoreError> {
        let active = self.sessions.len() as u64;
        let Some(file) = &self.file else {
            return Ok(self.with_line(|l| {
                if let Some(change) = change {
                    let settings = l.changed(change, now, active);
                    self.adopt(l, settings, now);
                }
                l.settings.clone()
            }));
        };
        let changing = change.is_some();
        // Held across the write: saves and settings changes happen one at a time.
        let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(used_up) = unless_reserved_past {
            if let Some(settings) =
                self.with_line(|l| (l.reserve.end > used_up).then(|| l.settings.clone()))
            {
                return Ok(settings);
            }
        }
        // What this save makes durable: changes numbered up to here. Read before the sessions
        // are copied, so that a session counted as a change by then is in the copy.
        let changes = self.with_line(|l| l.changes);
        let copied = self.copy_sessions();
        let (saved, reserved, journal) = self.snapshot_line(now, orderly, change, active, copied);
        let (room_file, last) = &mut *file;
        let saved = Saved {
            room: room_file.room().to_string(),
            ..saved
        };
        self.write_file(room_file, last.as_ref(), &saved, now, changes)?;
        self.write_journal(journal, changes)?;
        self.durable.send_modify(|d| d.saved = d.saved.max(changes));
        self.adopt_saved(&saved, reserved, now, changing);
        let settings = saved.settings.clone();
        *last = Some(saved);
        Ok(settings)
    }

    /// The sessions as the file keeps them, in id order. Copied outside the line lock, which
    /// every request takes.
    fn copy_sessions(&self) -> CopiedSessions {
        let mut sessions: Vec<(u64, Session)> = self
            .sessions
            .iter()
            .map(|e| (*e.key(), *e.value()))
            .collect();
        sessions.sort_unstable_by_key(|(id, _)| *id);
        let passes = sessions
            .iter()
            .filter(|(_, s)| s.passes > 1)
            .map(|(id, s)| (*id, s.passes))
            .collect();
        let sessions = sessions
            .into_iter()
            .map(|(id, s)| SavedSession(id, s.seen, s.started))
            .collect();
        let ended = sorted(&self.ended);
        CopiedSessions {
            sessions,
            passes,
            ended,
        }
    }

    /// What to save, taken under the line lock: the line with `change` applied to its
    /// settings and the numbers to reserve (none ahead on an orderly shutdown), the letters
    /// journal's work, and `copied`. The room's name is the caller's to fill in.
    fn snapshot_line(
        &self,
        now: Millis,
        orderly: bool,
        change: Option<SettingsChange<'_>>,
        active: u64,
        copied: CopiedSessions,
    ) -> (Saved, u64, letters::JournalWork) {
        self.with_line(|l| {
            let settings = match change {
                Some(change) => l.changed(change, now, active),
                None => l.settings.clone(),
            };
            let issued = l.queue.issued();
            let reserved = if orderly {
                issued
            } else {
                let drawn = issued.saturating_sub(l.reserve.issued_at_save);
                let elapsed = now
                    .saturating_sub(l.reserve.saved_at)
                    .max(RESERVE_PACE_FLOOR_MS);
                let brisk = drawn.saturating_mul(RESERVE_AHEAD_MS) / elapsed;
                issued.saturating_add(brisk.max(RESERVE_MIN))
            };
            l.reserve.end = l.reserve.end.min(reserved);
            let called = l.order().1.called_below(l.queue.cursor());
            l.letters.forget_called(|seq| seq < called);
            let journal = l.letters.journal_work(now);
            let saved = Saved {
                format: FORMAT,
                room: String::new(),
                started_at: self.started_at,
                reserved,
                issued,
                cursor: l.queue.cursor(),
                saved_at: now,
                clean: orderly,
                settings,
                sessions: copied.sessions,
                passes: copied.passes,
                ended: copied.ended,
                adaptive_rate: l.adaptive.as_ref().map(Adaptive::rate),
                prequeue: l.schedule.prequeue.clone(),
                supply: l.supply,
                invitations: l.invitations.iter().map(|(&i, &s)| (i, s)).collect(),
                // In the letters journal.
                letters: Vec::new(),
                written: Vec::new(),
            };
            (saved, reserved, journal)
        })
    }

    /// Writes the state file, unless it would say what `last` says (but for when). A failed
    /// write fails the waiting `changes` too.
    fn write_file(
        &self,
        room_file: &RoomFile,
        last: Option<&Saved>,
        saved: &Saved,
        now: Millis,
        changes: u64,
    ) -> Result<(), StoreError> {
        let unchanged = last.is_some_and(|last| {
            Saved {
                saved_at: now,
                ..last.clone()
            } == *saved
        });
        if unchanged {
            return Ok(());
        }
        if let Err(e) = room_file.save(saved) {
            self.durable
                .send_modify(|d| d.failed = d.failed.max(changes));
            return Err(e);
        }
        self.writes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Writes the letters journal's part of this save, after the state file. A failed write
    /// has the next save rewrite it whole, and fails the waiting `changes`.
    fn write_journal(&self, journal: letters::JournalWork, changes: u64) -> Result<(), StoreError> {
        let journaled = match (&self.journal, journal) {
            (_, letters::JournalWork::Nothing) | (None, _) => Ok(()),
            (Some(file), letters::JournalWork::Append(lines)) => file
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .append(&lines),
            (Some(file), letters::JournalWork::Rewrite(lines)) => file
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .rewrite(&lines),
        };
        if let Err(e) = journaled {
            self.with_line(|l| l.letters.journal_failed());
            self.durable
                .send_modify(|d| d.failed = d.failed.max(changes));
            return Err(e);
        }
        Ok(())
    }

    /// What is on disk now counts: the numbers it reserves, the pace of the next reservation,
    /// the pre-queue record as durable, and the changed settings (`changing`).
    fn adopt_saved(&self, saved: &Saved, reserved: u64, now: Millis, changing: bool) {
        self.with_line(|l| {
            // A save whose snapshot predates a change of the pre-queue must not hand out the
            // numbers it reserved: the change has to reach the disk first.
            if l.schedule.prequeue == saved.prequeue {
                l.reserve.end = reserved;
            }
            l.reserve.issued_at_save = saved.issued;
            l.reserve.saved_at = now;
            if l.schedule.prequeue == saved.prequeue && !l.schedule.prequeue_durable {
                l.schedule.prequeue_durable = true;
                l.follow_schedule(now);
            }
            if changing {
                self.adopt(l, saved.settings.clone(), now);
            }
        });
    }
}

/// The sessions a save copied outside the line lock, as the file keeps them.
struct CopiedSessions {
    sessions: Vec<SavedSession>,
    passes: Vec<(u64, u32)>,
    ended: Vec<(u64, Millis)>,
}

/// A map's entries in key order, for a file that changes only when they do.
fn sorted(map: &DashMap<u64, Millis>) -> Vec<(u64, Millis)> {
    let mut entries: Vec<(u64, Millis)> = map.iter().map(|e| (*e.key(), *e.value())).collect();
    entries.sort_unstable();
    entries
}
