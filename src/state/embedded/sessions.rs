//! The active sessions of an embedded room: one small entry per admitted visitor, and their
//! number kept beside the map. Must not know the line.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

use crate::clock::Millis;

/// One admitted visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Session {
    /// When it began: its ticket cannot be valid past this plus the `ticket_ms` of `sweep`.
    pub(super) started: Millis,
    pub(super) seen: Millis,
    /// Passes minted from its ticket.
    pub(super) passes: u32,
}

impl Session {
    pub(super) fn new(now: Millis) -> Session {
        Session {
            started: now,
            seen: now,
            passes: 1,
        }
    }
}

/// The active sessions and how many there are. The number is kept beside the map, because
/// counting a sharded map takes every shard's lock and every arrival and status poll asks.
#[derive(Default)]
pub(super) struct Sessions {
    pub(super) map: DashMap<u64, Session>,
    count: AtomicU64,
}

impl Sessions {
    pub(super) fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed) as usize
    }

    // Counted up before an entry appears and down after it is gone, so that the count never
    // dips below the entries a concurrent removal could take away.
    pub(super) fn insert(&self, id: u64, session: Session) {
        match self.map.entry(id) {
            dashmap::Entry::Occupied(mut e) => {
                e.insert(session);
            }
            dashmap::Entry::Vacant(e) => {
                self.count.fetch_add(1, Ordering::Relaxed);
                e.insert(session);
            }
        }
    }

    pub(super) fn remove(&self, id: &u64) {
        if self.map.remove(id).is_some() {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A pass was used: its session was seen now (and is back if it had been swept).
    pub(super) fn seen(&self, id: u64, now: Millis) {
        match self.map.entry(id) {
            dashmap::Entry::Occupied(mut e) => e.get_mut().seen = now,
            dashmap::Entry::Vacant(e) => {
                self.count.fetch_add(1, Ordering::Relaxed);
                e.insert(Session::new(now));
            }
        }
    }

    pub(super) fn retain(&self, mut keep: impl FnMut(&u64, &mut Session) -> bool) {
        let mut removed = 0;
        self.map.retain(|id, s| {
            let kept = keep(id, s);
            removed += u64::from(!kept);
            kept
        });
        self.count.fetch_sub(removed, Ordering::Relaxed);
    }

    pub(super) fn get_mut(
        &self,
        id: &u64,
    ) -> Option<dashmap::mapref::one::RefMut<'_, u64, Session>> {
        self.map.get_mut(id)
    }

    pub(super) fn iter(&self) -> dashmap::iter::Iter<'_, u64, Session> {
        self.map.iter()
    }
}
