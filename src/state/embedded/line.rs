//! An embedded room's line, the state its lock guards: the queue, the settings in force, the
//! reservation on disk, where the schedule stands, the numbers a crash skipped, and the rules
//! that keep them in step. Must not do IO: saving is `save`'s, the format on disk `file`'s.

use crate::clock::Millis;
use crate::queue::adaptive::Adaptive;
use crate::queue::admission::{Limits, Queue};
use crate::queue::schedule::{self, Order, Phase, Prequeue};
use crate::queue::supply::{self, Supply};
use crate::state::{effective, Settings, SettingsChange};

use super::letters;

/// Everything about the line a request may change, behind one lock (`EmbeddedState::line`).
pub(super) struct RoomLine {
    pub(super) queue: Queue,
    /// Limits from the config file.
    pub(super) config: Limits,
    pub(super) settings: Settings,
    pub(super) reserve: Reserve,
    /// The learnt rate, with `[rooms.adaptive]`.
    pub(super) adaptive: Option<Adaptive>,
    pub(super) schedule: LineSchedule,
    /// The state is saved to a file (else nothing needs to wait for a write).
    pub(super) persistent: bool,
    pub(super) skipped: Skipped,
    /// What is left to book (`[rooms.supply]`).
    pub(super) supply: Option<Supply>,
    /// Invitations that drew a ticket, by index: their ticket numbers.
    pub(super) invitations: std::collections::BTreeMap<u64, u64>,
    /// E-mails owed to visitors, and tickets written to.
    pub(super) letters: letters::Letters,
    /// Changes made so far that a caller waits to see on disk (see `EmbeddedState::durable`).
    pub(super) changes: u64,
}

/// The ticket numbers reserved on disk, and what sizes the next reservation.
pub(super) struct Reserve {
    /// Numbers below this are reserved on disk; a draw at this number must save first.
    pub(super) end: u64,
    /// `issued` at the last save, and when that was, to size the next reservation.
    pub(super) issued_at_save: u64,
    pub(super) saved_at: Millis,
}

/// Where the line is in its schedule (`[rooms.schedule]`).
pub(super) struct LineSchedule {
    /// The last pre-queue.
    pub(super) prequeue: Option<Prequeue>,
    /// The pre-queue record as it is now is on disk. A draw that is not would be drawn again,
    /// differently, after a crash: nobody is admitted until it is.
    pub(super) prequeue_durable: bool,
    /// The schedule's phase as of the last call.
    pub(super) phase: Phase,
    /// The schedule holds admissions: before the opening, or until its draw is on disk.
    pub(super) held: bool,
}

/// Numbers `from..to` a crash skipped (reserved on disk, most of them never handed out), and
/// those of them whose holders have been seen since: the rest are not people waiting. And the
/// places the crash's catch-up moved the cursor.
pub(super) struct Skipped {
    pub(super) range: (u64, u64),
    pub(super) seen: std::collections::BTreeSet<u64>,
    /// How far the cursor was let have moved at the restart (`Movement::caught_up`).
    pub(super) caught_up: u64,
}

impl RoomLine {
    /// Skipped numbers ahead of the cursor nobody has shown up with.
    pub(super) fn ghosts(&self) -> u64 {
        let (from, to) = self.skipped.range;
        let from = from.max(self.queue.cursor());
        if from >= to {
            return 0;
        }
        (to - from) - self.skipped.seen.range(from..to).count() as u64
    }

    pub(super) fn limits(&self) -> Limits {
        let mut limits = effective(
            &self.config,
            &self.settings,
            self.adaptive.as_ref().map(Adaptive::rate),
        );
        limits.paused |= self.schedule.held || self.sold_out();
        limits.supply = self.supply;
        limits
    }

    /// Nothing left to book while the room is open: nobody more is called.
    pub(super) fn sold_out(&self) -> bool {
        supply::sold_out(self.supply.as_ref(), self.schedule.phase)
    }

    /// Follows the config's `appointments`: set when it changes and at each new opening.
    pub(super) fn follow_supply(&mut self) {
        let opening = self.schedule.prequeue.as_ref().map_or(0, Prequeue::opening);
        self.supply = Supply::follow(self.supply, self.config.appointments, opening);
    }

    /// Follows the schedule to `now`: the pre-queue begins at `prequeue_from` with the next
    /// ticket number and is frozen at `opens_at`, with a key drawn then, after its last
    /// member. A gathering pre-queue stays one pre-queue when the operator moves `opens_at`,
    /// and is drawn at once when the schedule is removed, so nobody in it waits forever.
    /// `true` when the record changed and should be saved at once.
    pub(super) fn follow_schedule(&mut self, now: Millis) -> bool {
        let (phase, transition) =
            schedule::follow(self.schedule.prequeue.as_ref(), self.config.schedule, now);
        self.schedule.phase = phase;
        let issued = self.queue.issued();
        let record = transition.map(|t| t.apply(issued, self.schedule.prequeue.as_ref()));
        let changed = record.is_some();
        if let Some(record) = record {
            tracing::info!(
                first = record.first,
                size = record.frozen.map(|f| f.size),
                "{}",
                if record.frozen.is_some() {
                    "opening: pre-queue frozen and put in random order"
                } else {
                    "pre-queue begun"
                }
            );
            self.schedule.prequeue = Some(record);
            self.schedule.prequeue_durable = !self.persistent;
            // Not one number more is handed out before the record is on disk: after a crash,
            // numbers drawn before it would be counted on the wrong side of it.
            if self.persistent {
                self.reserve.end = self.reserve.end.min(issued);
            }
        }
        self.schedule.held = self.schedule.phase != Phase::Open || !self.schedule.prequeue_durable;
        self.follow_supply();
        changed
    }

    /// The order pages may show: a draw that is not on disk yet is not shown (a crash would
    /// draw again), and meanwhile the room still looks like its pre-queue.
    pub(super) fn order(&self) -> (Phase, Order) {
        match &self.schedule.prequeue {
            Some(p) if !self.schedule.prequeue_durable => (
                match self.schedule.phase {
                    Phase::Open => Phase::Prequeue,
                    before => before,
                },
                Order::Gathering {
                    first: p.first,
                    earlier: p.earlier,
                },
            ),
            p => (self.schedule.phase, Order::of(p.as_ref())),
        }
    }

    /// Follows the config's adaptive bounds: kept (within new bounds), begun at the config's
    /// rate, or dropped.
    pub(super) fn configure_adaptive(&mut self, now: Millis) {
        match (self.adaptive.as_mut(), self.config.adaptive) {
            (Some(a), Some(cfg)) => a.reconfigure(cfg),
            (None, Some(cfg)) => {
                self.adaptive = Some(Adaptive::new(cfg, self.config.admit_per_minute, now))
            }
            (_, None) => self.adaptive = None,
        }
    }

    /// The settings as `change` would make them. The line is first brought up to `now` under
    /// the settings in force, so the change applies from now on only.
    pub(super) fn changed(
        &mut self,
        change: SettingsChange<'_>,
        now: Millis,
        active: u64,
    ) -> Settings {
        self.follow_schedule(now);
        self.queue.advance(now, &self.limits(), active);
        let mut settings = self.settings.clone();
        change(&mut settings, &self.config);
        settings
    }
}
