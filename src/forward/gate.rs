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
            waiting: AtomicUsize::new(0),
            max_waiting: max_in_flight.max(MIN_SLOT_LINE),
            stats: UpstreamStats::default(),
        }
    }

    /// A slot for one upstream exchange, waiting at most `SLOT_WAIT` in a bounded line.
    pub async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Some(slot);
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
        tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_line_for_upstream_slots_is_bounded() {
        let gate = Arc::new(UpstreamGate::new(1));
        let held = gate.slot().await.unwrap();
        let waiters: Vec<_> = (0..MIN_SLOT_LINE)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.slot().await.is_some() })
            })
            .collect();
        while gate.waiting.load(Ordering::Relaxed) < MIN_SLOT_LINE {
            tokio::task::yield_now().await;
        }
        assert!(
            gate.slot().await.is_none(),
            "a full line turns the next request away at once"
        );
        drop(held);
        for w in waiters {
            assert!(w.await.unwrap(), "everyone in line got a slot in turn");
        }
        assert_eq!(gate.waiting.load(Ordering::Relaxed), 0);
    }
}
