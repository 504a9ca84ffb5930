//! What one pass may put on the booking site: requests in flight at once and requests per
//! second, generous for a browser loading a page, tight for a pass copied to many machines.
//! Never tied to an address (phones change networks). Must not decide who is admitted.
//!
//! Per gateway: behind several gateways a copied pass gets the bound at each of them.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use dashmap::DashMap;

use crate::clock::Millis;

/// The bounds of one pass; 0 turns a bound off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassBounds {
    pub in_flight: u32,
    pub per_second: u32,
}

/// Why a request on a pass is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassRefusal {
    InFlight,
    PerSecond,
}

#[derive(Default)]
struct Use {
    in_flight: AtomicU32,
    /// The second (Unix seconds + 1; 0: none yet) `count` belongs to.
    second: AtomicU64,
    count: AtomicU32,
}

/// The passes of one room in use on this gateway: one small entry per session that made a
/// request lately, swept by the tick.
pub struct PassLimiter {
    bounds: PassBounds,
    uses: DashMap<u64, Arc<Use>>,
}

/// One request's place among its pass's requests in flight, given back when dropped (with the
/// last byte of the answer, or when the visitor goes away).
pub struct PassInFlight(Arc<Use>);

impl Drop for PassInFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl PassLimiter {
    pub fn new(bounds: PassBounds) -> PassLimiter {
        PassLimiter {
            bounds,
            uses: DashMap::new(),
        }
    }

    pub fn bounds(&self) -> PassBounds {
        self.bounds
    }

    /// A request on `session`'s pass at `now`: its place in flight, or why not.
    pub fn enter(&self, session: u64, now: Millis) -> Result<PassInFlight, PassRefusal> {
        let entry = match self.uses.get(&session) {
            Some(u) => u.clone(),
            None => self.uses.entry(session).or_default().clone(),
        };
        let second = now / 1000 + 1;
        if self.bounds.per_second > 0 {
            let was = entry.second.swap(second, Ordering::Relaxed);
            let count = if was == second {
                entry.count.fetch_add(1, Ordering::Relaxed) + 1
            } else {
                entry.count.store(1, Ordering::Relaxed);
                1
            };
            if count > self.bounds.per_second {
                return Err(PassRefusal::PerSecond);
            }
        } else {
            entry.second.store(second, Ordering::Relaxed);
        }
        let in_flight = entry.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        let place = PassInFlight(entry);
        if self.bounds.in_flight > 0 && in_flight > self.bounds.in_flight {
            return Err(PassRefusal::InFlight);
        }
        Ok(place)
    }

    /// Forgets passes with nothing in flight and no request for `idle_ms`.
    pub fn sweep(&self, now: Millis) {
        let current = now / 1000 + 1;
        self.uses.retain(|_, u| {
            u.in_flight.load(Ordering::Relaxed) > 0
                || u.second.load(Ordering::Relaxed) + 60 > current
        });
    }

    /// Passes with an entry now.
    pub fn len(&self) -> usize {
        self.uses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.uses.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_700_000_000_000;

    #[test]
    fn requests_in_flight_are_bounded_and_given_back() {
        let limiter = PassLimiter::new(PassBounds {
            in_flight: 2,
            per_second: 0,
        });
        let a = limiter.enter(7, T0).unwrap();
        let _b = limiter.enter(7, T0).unwrap();
        assert_eq!(limiter.enter(7, T0).err(), Some(PassRefusal::InFlight));
        assert!(limiter.enter(8, T0).is_ok(), "another pass is not touched");
        drop(a);
        assert!(
            limiter.enter(7, T0).is_ok(),
            "a finished request gives its place back"
        );
    }

    #[test]
    fn requests_per_second_are_bounded_per_second() {
        let limiter = PassLimiter::new(PassBounds {
            in_flight: 0,
            per_second: 3,
        });
        for _ in 0..3 {
            assert!(limiter.enter(7, T0 + 10).is_ok());
        }
        assert_eq!(
            limiter.enter(7, T0 + 999).err(),
            Some(PassRefusal::PerSecond)
        );
        assert!(limiter.enter(7, T0 + 1_000).is_ok(), "the next second");
    }

    #[test]
    fn idle_passes_are_forgotten_busy_ones_kept() {
        let limiter = PassLimiter::new(PassBounds {
            in_flight: 4,
            per_second: 10,
        });
        let busy = limiter.enter(1, T0).unwrap();
        drop(limiter.enter(2, T0).unwrap());
        limiter.sweep(T0 + 30_000);
        assert_eq!(limiter.len(), 2);
        limiter.sweep(T0 + 61_000);
        assert_eq!(
            limiter.len(),
            1,
            "the idle one goes, the one in flight stays"
        );
        drop(busy);
        limiter.sweep(T0 + 61_000);
        assert!(limiter.is_empty());
    }
}
