//! The operator's side: owns the admin API, the last hour's history for the dashboard, the
//! once-a-second tick (idle sessions swept, the adaptive rate fed, the gauges set), and
//! `wartesaal ctl`'s client calls. Must not serve visitors.

use std::sync::Arc;

use crate::gateway::Gateway;
use crate::queue::adaptive::Change;
use crate::state::Backend;

pub mod admin;
pub mod ctl;
pub mod history;

use history::History;

/// What the operator's side works on: the gateway (its site, clock and metrics), the state
/// backend (for readiness) and the last hour.
pub struct Ops {
    pub gateway: Arc<Gateway>,
    pub backend: Arc<Backend>,
    /// The last hour per room, for the dashboard.
    pub history: History,
}

impl Ops {
    pub fn new(gateway: Arc<Gateway>, backend: Arc<Backend>) -> Ops {
        Ops {
            gateway,
            backend,
            history: History::default(),
        }
    }

    /// Whether the room state is being saved (embedded) or Redis answers (shared).
    pub fn ready(&self) -> bool {
        self.backend.ready()
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
            let sample = room.upstream.stats.take();
            if let Some((change, rate)) = room.state.upstream(&sample, now) {
                let change = match change {
                    Change::Cut => "cut: upstream latency or errors over the limits",
                    Change::Raised => "raised: upstream healthy and people waiting",
                };
                tracing::info!(room = %room.cfg.id, rate, "adaptive rate {change}");
            }
            let figures = room.state.figures(now);
            let m = &room.metrics;
            m.queue_waiting.set(figures.waiting() as i64);
            m.active_sessions.set(figures.active as i64);
            m.admit_rate.set(figures.effective_rate());
            m.queue_issued.set(figures.issued as i64);
            m.queue_cursor.set(figures.cursor as i64);
            let floor = figures
                .limits
                .adaptive
                .filter(|_| figures.adaptive == Some(true));
            m.admit_rate_floor
                .set(floor.map_or(0.0, |a| a.min_per_minute));
            m.show_up_ratio.set(figures.show_share);
            m.estimated_wait
                .set(figures.wait_for_newcomer().map_or(0, |w| w.seconds) as f64);
        }
        self.history.sample(&site, now);
    }
}
