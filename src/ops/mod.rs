//! The operator's side: owns the admin API, the last hour's history for the dashboard, the
//! once-a-second tick (idle sessions swept, the adaptive rate fed, the gauges set), the API's
//! words (`api`) and `wartesaal ctl`'s client calls. Must not serve visitors.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::clock::Millis;

use crate::gateway::Gateway;
use crate::queue::adaptive::RateChange;
use crate::state::Backend;

pub mod admin;
pub mod api;
pub mod ctl;
pub mod history;
pub mod invite;
pub mod letters;
mod message;

use history::History;

/// What the operator's side works on: the gateway (its site, clock and metrics), the state
/// backend (for readiness) and the last hour.
pub struct Ops {
    pub gateway: Arc<Gateway>,
    pub backend: Arc<Backend>,
    /// The last hour per room, for the dashboard.
    pub history: History,
    /// Refused admin tokens, for their rate-limited log line: a token guesser must not fill
    /// the log.
    refusals: LogBudget,
    /// Where the e-mails stand (`send_letters`).
    outbox: letters::Outbox,
}

/// One log line at most every `REFUSAL_LOG_EVERY_MS` about an event, with the count since.
#[derive(Default)]
struct LogBudget {
    logged_at: AtomicU64,
    unlogged: AtomicU64,
}

impl LogBudget {
    /// One more event at `now`: `Some(events since the last line, this one included)` when a
    /// line is due, else `None` (counted for the next line).
    fn take(&self, now: Millis) -> Option<u64> {
        self.unlogged.fetch_add(1, Ordering::Relaxed);
        let last = self.logged_at.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= REFUSAL_LOG_EVERY_MS;
        let ours = due
            && self
                .logged_at
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
        ours.then(|| self.unlogged.swap(0, Ordering::Relaxed))
    }
}

/// At most one log line about refused admin tokens this often.
const REFUSAL_LOG_EVERY_MS: Millis = 10_000;

impl Ops {
    pub fn new(gateway: Arc<Gateway>, backend: Arc<Backend>) -> Ops {
        Ops {
            gateway,
            backend,
            history: History::default(),
            refusals: LogBudget::default(),
            outbox: letters::Outbox::default(),
        }
    }

    /// One more refused admin token at `now`: `Some(refusals since the last line)` when a
    /// log line is due.
    pub fn refusals_to_log(&self, now: Millis) -> Option<u64> {
        self.refusals.take(now)
    }

    /// Whether the room state is being saved (embedded) or Redis answers (shared).
    pub fn ready(&self) -> bool {
        self.backend.ready()
    }

    /// Why not ready, or what to look at although ready (see `Backend::health_notes`).
    pub fn health_notes(&self) -> Vec<String> {
        let mut notes = self.backend.health_notes();
        if let Some(acme) = self.gateway.acme.get() {
            notes.extend(acme.health_notes());
        }
        notes
    }

    /// Sweeps idle sessions and refreshes the gauges; called every second or so.
    pub fn tick(&self) {
        let now = self.gateway.clock.now_ms();
        let site = self.gateway.site.load();
        for room in &site.rooms {
            // Idle as long as a pass lasts unrenewed: swept then, not while its pass still
            // lets the visitor back in.
            room.state
                .sweep(now, room.pass_lasts() * 1000, room.ticket_lasts() * 1000);
            room.pool.sweep();
            room.issuance.passes.sweep(now);
            let sample = room.upstream.stats.take();
            if let Some((change, rate)) = room.state.upstream(&sample, now) {
                let change = match change {
                    RateChange::Cut => "cut: upstream latency or errors over the limits",
                    RateChange::Raised => "raised: upstream healthy and people waiting",
                };
                tracing::info!(room = %room.cfg.id, rate, "adaptive rate {change}");
            }
            let figures = room.state.figures(now);
            let (line, supply) = (&room.metrics.line, &room.metrics.supply);
            line.queue_waiting.set(figures.waiting() as i64);
            line.active_sessions.set(figures.active as i64);
            line.admit_rate.set(figures.effective_rate());
            line.queue_issued
                .set(figures.issued.saturating_sub(figures.numbering.base) as i64);
            line.queue_cursor
                .set(figures.cursor.saturating_sub(figures.numbering.base) as i64);
            let floor = figures
                .limits
                .adaptive
                .filter(|_| figures.adaptive == Some(true));
            line.admit_rate_floor
                .set(floor.map_or(0.0, |a| a.min_per_minute));
            line.show_up_ratio.set(figures.movement.show_share);
            supply
                .supply_remaining
                .set(figures.supply.map_or(-1, |s| s.remaining as i64));
            supply.sold_out.set(i64::from(figures.sold_out()));
            line.estimated_wait
                .set(figures.wait_for_newcomer().map_or(0, |w| w.seconds) as f64);
        }
        self.history.sample(&site, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_refusals_writes_one_line_per_ten_seconds_with_the_count() {
        let budget = LogBudget::default();
        let t0 = 1_700_000_000_000;
        assert_eq!(budget.take(t0), Some(1));
        for i in 1..=2_000 {
            assert_eq!(
                budget.take(t0 + i * 4),
                None,
                "within 10 s of the last line"
            );
        }
        assert_eq!(budget.take(t0 + 10_000), Some(2_001));
        assert_eq!(budget.take(t0 + 10_001), None);
    }
}
