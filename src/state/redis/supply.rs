//! A shared room's supply: the booking site's reports and the config's `appointments`, applied
//! in Redis for every gateway by one script (`supply.lua`). A report made while Redis is away
//! waits here and goes with the next sync, so no booking is lost to an outage.

use crate::clock::Millis;
use crate::queue::schedule::Prequeue;
use crate::queue::supply::{Supply, SupplyChange, MAX_SUPPLY};
use crate::state::StateError;

use super::{lost, unavailable, SharedState};

/// Reports waiting for Redis, at most. Bookings (and cancellations) in a row are summed into
/// one, so only an outage with as many changes of kind would reach it; then the oldest goes.
const MAX_PENDING: usize = 10_000;

/// What a call of `supply.lua` should do first.
enum Reset {
    Keep,
    /// `[rooms.supply]` was removed: stop counting.
    Stop,
    /// Set to the config's `appointments` for the opening at the given time.
    Set(u64, Millis),
}

impl SharedState {
    /// Queues a report and sends every queued report to Redis. The supply after them, or the
    /// error that left them queued for the next sync.
    /// `durable`: the caller is told of a failure (the admin API), so the report is not
    /// kept for later.
    pub(super) async fn report_supply(
        &self,
        change: SupplyChange,
        durable: bool,
    ) -> Result<Option<Supply>, StateError> {
        let counts = {
            let l = self.lock();
            l.config.appointments.is_some() || l.line.as_ref().is_some_and(|l| l.supply.is_some())
        };
        if !counts {
            return Ok(None);
        }
        {
            let mut pending = self
                .pending
                .supply
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match (pending.last_mut(), change) {
                (Some(SupplyChange::Booked(a)), SupplyChange::Booked(b))
                | (Some(SupplyChange::Cancelled(a)), SupplyChange::Cancelled(b)) => {
                    *a = a.saturating_add(b)
                }
                _ => {
                    if pending.len() >= MAX_PENDING {
                        tracing::warn!(room = %self.room, "supply reports pile up while Redis is away: the oldest is dropped");
                        pending.remove(0);
                    }
                    pending.push(change);
                }
            }
        }
        let result = self.flush_supply().await;
        if result.is_err() && durable {
            let mut pending = self
                .pending
                .supply
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(at) = pending.iter().rposition(|c| *c == change) {
                pending.remove(at);
            }
        }
        result
    }

    /// Sends the queued reports, and the config's `appointments` when they ask for a reset
    /// (a changed value, a new opening) that this gateway has not applied yet: each gateway
    /// applies a config once, so two gateways with different files do not take turns.
    pub(super) async fn flush_supply(&self) -> Result<Option<Supply>, StateError> {
        let (reset, applies) = {
            let l = self.lock();
            let Some(line) = &l.line else {
                return Ok(None);
            };
            let opening = line.prequeue.as_ref().map_or(0, Prequeue::opening);
            let wanted = (l.config.appointments, opening);
            let applied = *self
                .syncing
                .supply_applied
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let reset = match l.config.appointments {
                _ if applied == Some(wanted) => Reset::Keep,
                None if line.supply.is_some() => Reset::Stop,
                None => Reset::Keep,
                Some(a) if Supply::wants_reset(line.supply.as_ref(), Some(a), opening) => {
                    Reset::Set(a, opening)
                }
                Some(_) => Reset::Keep,
            };
            (reset, wanted)
        };
        let changes: Vec<SupplyChange> = std::mem::take(
            &mut *self
                .pending
                .supply
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        if changes.is_empty() && matches!(reset, Reset::Keep) {
            return Ok(self.lock().line.as_ref().and_then(|l| l.supply));
        }
        let mut inv = self.call(&self.redis.scripts.supply);
        match reset {
            Reset::Keep => inv.arg("").arg(0).arg(0),
            Reset::Stop => inv.arg("none").arg(0).arg(0),
            Reset::Set(a, opening) => inv.arg("set").arg(a).arg(opening),
        };
        inv.arg(MAX_SUPPLY);
        for change in &changes {
            match *change {
                SupplyChange::Booked(n) => inv.arg("booked").arg(n),
                SupplyChange::Cancelled(n) => inv.arg("cancelled").arg(n),
                SupplyChange::Remaining(n) => inv.arg("remaining").arg(n),
            };
        }
        let answer: Result<Vec<i64>, _> = inv.invoke_async(&mut self.conn()).await;
        // Back in front of any report made meanwhile, in their order.
        let keep = |changes: Vec<SupplyChange>| {
            let mut pending = self
                .pending
                .supply
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let later = std::mem::replace(&mut *pending, changes);
            pending.extend(later);
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                keep(changes);
                return Err(unavailable(e));
            }
        };
        match answer.first() {
            // Redis lost the line: the sync restores it (supply included), then these go.
            Some(-1) => {
                keep(changes);
                return Err(lost());
            }
            // No supply in Redis although the config counts one: set it at the next flush.
            Some(-2) if self.lock().config.appointments.is_some() => {
                keep(changes);
                *self
                    .syncing
                    .supply_applied
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = None;
                return Ok(None);
            }
            _ => {}
        }
        if !matches!(reset, Reset::Keep) {
            *self
                .syncing
                .supply_applied
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(applies);
        }
        let supply = match answer[..] {
            [left, booked, admitted, appointments, opening] if left >= 0 => Some(Supply {
                remaining: left as u64,
                appointments: appointments.max(0) as u64,
                opening: opening.max(0) as Millis,
                booked: booked.max(0) as u64,
                admitted: admitted.max(0) as u64,
            }),
            _ => None,
        };
        if let Some(line) = self.lock().line.as_mut() {
            line.supply = supply;
        }
        if matches!(reset, Reset::Set(..)) {
            tracing::info!(room = %self.room, remaining = ?supply.map(|s| s.remaining), "supply set from the config");
        }
        Ok(supply)
    }
}
