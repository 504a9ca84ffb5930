//! A room's way to its upstream: the cap on requests in flight and the short, bounded line of
//! requests waiting for a slot, with what the upstream did (for the adaptive rate). Must not
//! look at requests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::queue::adaptive::UpstreamStats;

/// How long an admitted request may wait for a free upstream slot before it gets the busy page.
const SLOT_WAIT: Duration = Duration::from_secs(2);
/// Requests that may wait for an upstream slot at once, at the least (else the cap).
const MIN_SLOT_LINE: usize = 16;

/// Kept across reloads while the cap is unchanged, so requests in flight across a reload still
/// count against it.
pub struct UpstreamGate {
    slots: Arc<Semaphore>,
    /// Unqueued requests (bypass paths, hosts outside every prefix, the open door while the
    /// shared state is away) hold at most half of the slots, so that however they are held
    /// (a client that never reads, a download to a phone in a tunnel), admitted visitors
    /// always find the other half.
    unqueued: Arc<Semaphore>,
    /// Requests waiting for a slot now.
    waiting: AtomicUsize,
    /// More waiting than this get the busy page at once: a line that could not drain within
    /// `SLOT_WAIT` anyway only holds memory and connections.
    max_waiting: usize,
    pub stats: UpstreamStats,
}

impl UpstreamGate {
    pub fn new(max_in_flight: usize) -> UpstreamGate {
        UpstreamGate {
            slots: Arc::new(Semaphore::new(max_in_flight)),
            // Half, rounded down; with a single slot it is shared.
            unqueued: Arc::new(Semaphore::new((max_in_flight / 2).max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting: max_in_flight.max(MIN_SLOT_LINE),
            stats: UpstreamStats::default(),
        }
    }

    /// A slot for one upstream exchange, waiting at most `SLOT_WAIT` in a bounded line;
    /// `unqueued` for a request that did not queue (it takes one of the unqueued share too).
    pub async fn slot(&self, unqueued: bool) -> Option<Slot> {
        let ready = |sem: &Arc<Semaphore>| sem.clone().try_acquire_owned().ok();
        let share = if unqueued {
            ready(&self.unqueued)
        } else {
            None
        };
        if share.is_some() == unqueued {
            if let Some(slot) = ready(&self.slots) {
                return Some(Slot {
                    _slot: slot,
                    _share: share,
                });
            }
        }
        struct InLine<'a>(&'a AtomicUsize);
        impl Drop for InLine<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        let _in_line = InLine(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.max_waiting {
            return None;
        }
        let wait = async {
            let share = match (unqueued, share) {
                (false, _) => None,
                (true, Some(share)) => Some(share),
                (true, None) => Some(self.unqueued.clone().acquire_owned().await.ok()?),
            };
            let slot = self.slots.clone().acquire_owned().await.ok()?;
            Some(Slot {
                _slot: slot,
                _share: share,
            })
        };
        tokio::time::timeout(SLOT_WAIT, wait).await.ok()?
    }
}

/// One upstream exchange's place under the cap, given back when dropped.
pub struct Slot {
    _slot: OwnedSemaphorePermit,
    _share: Option<OwnedSemaphorePermit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_line_for_upstream_slots_is_bounded() {
        let gate = Arc::new(UpstreamGate::new(1));
        let held = gate.slot(false).await.unwrap();
        let waiters: Vec<_> = (0..MIN_SLOT_LINE)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.slot(false).await.is_some() })
            })
            .collect();
        while gate.waiting.load(Ordering::Relaxed) < MIN_SLOT_LINE {
            tokio::task::yield_now().await;
        }
        assert!(
            gate.slot(false).await.is_none(),
            "a full line turns the next request away at once"
        );
        drop(held);
        for w in waiters {
            assert!(w.await.unwrap(), "everyone in line got a slot in turn");
        }
        assert_eq!(gate.waiting.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn unqueued_requests_leave_half_of_the_slots_to_admitted_visitors() {
        let gate = UpstreamGate::new(4);
        let a = gate.slot(true).await.unwrap();
        let _b = gate.slot(true).await.unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(50), gate.slot(true))
                .await
                .is_err(),
            "a third unqueued request waits"
        );
        let _c = gate.slot(false).await.unwrap();
        let _d = gate.slot(false).await.unwrap();
        drop(a);
        assert!(gate.slot(true).await.is_some(), "its share came back");
    }
}
