//! What a room needs from its storage: the `RoomState` trait, the `Figures` snapshot every
//! request reads, and the errors. Must not name a backend: `embedded` and `redis` implement
//! this, and nothing above `state` knows which one runs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::clock::Millis;
use crate::queue::adaptive::{RateChange, UpstreamSample};
use crate::queue::admission::{self, Drawn, Estimate, Limits, Pace};
use crate::queue::schedule::{Order, Phase};
use crate::queue::supply::{self, Supply};

use super::embedded::file::StoreError;
use super::settings::{Message, OperatorState, Settings};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state backend unavailable: {0}")]
    Unavailable(String),
    /// A shared room's address limit, counted over every gateway: again in this many seconds.
    #[error("too many new tickets from this address; again in {0} s")]
    Limited(u64),
    /// A shared room's challenge was handed in before, at this or another gateway.
    #[error("the challenge was used already")]
    ChallengeUsed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a shared room checks in the same round trip as a draw, for all its gateways at once:
/// the per-address limit and a solved challenge's single use. An embedded room's gateway has
/// checked both itself, and ignores this.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gate {
    /// The client's address (as a hash: `Gate::address_hash`) and `per_ip_per_minute`.
    pub address: Option<(u64, u32)>,
    /// A solved challenge's id, and until when (ms) its token is valid.
    pub challenge: Option<(u64, Millis)>,
}

impl Gate {
    /// The address as it is counted, IPv6 per /64: a hash, so that Redis holds no address,
    /// the same on every gateway of the room.
    pub fn address_hash(room: &str, ip: std::net::IpAddr) -> u64 {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"wartesaal address\0");
        h.update(room.as_bytes());
        h.update([0]);
        match ip {
            std::net::IpAddr::V4(v4) => h.update(v4.octets()),
            std::net::IpAddr::V6(v6) => h.update(&v6.octets()[..8]),
        }
        let d = h.finalize();
        u64::from_le_bytes(d[..8].try_into().unwrap_or([0; 8]))
    }
}

pub type StateFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StateError>> + Send + 'a>>;

/// Which ticket numbers a line has handed out (`Figures::handed_out`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandedOut {
    /// This process is the line's authority: exactly the numbers below this one.
    Below(u64),
    /// Other gateways draw too: any number may be this line's (theirs reach this copy a moment
    /// later; tickets of another line are told apart by `Figures::started_at`).
    Anywhere,
}

impl HandedOut {
    pub fn includes(self, seq: u64) -> bool {
        match self {
            HandedOut::Below(end) => seq < end,
            HandedOut::Anywhere => true,
        }
    }
}

/// A snapshot of one room, as every request sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Which ticket numbers are this line's.
    pub numbering: Numbering,
    pub issued: u64,
    pub cursor: u64,
    /// Numbers ahead of the cursor nobody holds.
    pub gap: Gap,
    /// Called places whose holders were told "in a moment" and keep their claim: they go
    /// before everyone still waiting, so a waiting visitor's place counts them.
    pub claimed: u64,
    pub active: u64,
    /// Effective limits: the config's, with the operator's changes and the adaptive rate
    /// applied.
    pub limits: Limits,
    pub state: OperatorState,
    /// How the line moves, for wait estimates and chances.
    pub movement: Movement,
    /// The adaptive mode: `None` when not configured, else whether it sets the rate now
    /// (`false` while an operator's rate overrides it).
    pub adaptive: Option<bool>,
    /// The gateway itself holds admission for a moment, places kept: the shared state cannot
    /// be reached (with `on_unavailable = "hold"`), or a line just begun in an empty Redis
    /// waits for the holders of an earlier line's tickets to come back first.
    pub held: bool,
    /// The operator holds everyone in line (`queue_all`): nobody new is let in.
    pub queue_all: bool,
    /// Where the schedule stands (`Open` without one).
    pub phase: Phase,
    /// How ticket numbers map to places: FIFO, or with a pre-queue's draw.
    pub order: Order,
    /// What is left to book, when the room counts it (`[rooms.supply]`).
    pub supply: Option<Supply>,
}

/// Which ticket numbers belong to a line (`Figures::holds`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numbering {
    /// Unix seconds when this line began. Tickets drawn earlier belong to another line.
    pub started_at: u64,
    /// Where this line's numbers begin: 0, or for a line begun in an empty Redis by a gateway
    /// without a copy, a number derived from the clock above any earlier line's. Numbers below
    /// it belong to an earlier line; their holders were there first and are called.
    pub base: u64,
    /// Which ticket numbers this line has handed out, as far as this process can tell.
    pub handed_out: HandedOut,
}

/// Numbers ahead of the cursor that a crash skipped (or a jump of the counter after the store
/// came back older) and nobody has shown up with: not people waiting.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Gap {
    /// How many; 0 without.
    pub ghosts: u64,
    /// Every ghost lies below this number: a place at or above it has all of them ahead, and
    /// its position does not count them.
    pub end: u64,
}

/// How the line moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Movement {
    /// How fast, for wait estimates.
    pub pace: Pace,
    /// Share of called numbers whose holders turn up.
    pub show_share: f64,
    /// Places the cursor was moved at once when the line resumed after a crash (as far as it
    /// could have moved unsaved): called in an instant, not over time, so they spend nothing
    /// of a called place's hold. Without it, re-entering an invitation or a place code right
    /// after a restart finds the place lapsed although nobody was called by time. 0 else.
    pub caught_up: u64,
}

impl Figures {
    /// Whether ticket number `seq` belongs to this line: handed out by it, not below its base.
    pub fn holds(&self, seq: u64) -> bool {
        seq >= self.numbering.base && self.numbering.handed_out.includes(seq)
    }

    /// Admissions per minute in force now: none while the operator has stopped them.
    pub fn effective_rate(&self) -> f64 {
        if self.limits.paused {
            0.0
        } else {
            self.limits.admit_per_minute
        }
    }

    /// Nothing left to book while the room is open: no new tickets, nobody more called.
    pub fn sold_out(&self) -> bool {
        supply::sold_out(self.supply.as_ref(), self.phase)
    }

    /// Nobody more is called for now: the sessions on the booking site, and the called holders
    /// on their way, are expected to book what is left (see `supply::session_cap`).
    pub fn last_being_booked(&self) -> bool {
        supply::last_being_booked(
            self.supply.as_ref(),
            self.phase,
            self.active.saturating_add(self.claimed),
        )
    }

    /// No new tickets: the operator closed the room, or it is sold out.
    pub fn closed_to_newcomers(&self) -> bool {
        self.state == OperatorState::Closed || self.sold_out()
    }

    /// Nothing left to book, in any phase (before the next opening brings new appointments,
    /// too): nobody called is let in.
    pub fn nothing_left(&self) -> bool {
        self.supply.is_some_and(|s| s.sold_out())
    }

    /// Whether a waiting ticket shown here should be reported (`RoomState::ticket_seen`):
    /// after a crash skipped numbers, or when other gateways draw too (a ticket drawn on the
    /// other side of a failover raises the counter here).
    pub fn learns_from_tickets(&self) -> bool {
        self.gap.ghosts > 0 || self.numbering.handed_out == HandedOut::Anywhere
    }

    /// People waiting: numbers handed out and not yet called, less those a crash skipped that
    /// nobody has shown up with. What a newcomer's wait estimate goes by.
    pub fn waiting(&self) -> u64 {
        self.issued
            .saturating_sub(self.cursor)
            .saturating_sub(self.gap.ghosts)
    }

    /// The position in line of `place` (1 is next): the numbers ahead of it that nobody holds
    /// (a crash's or a jump's) do not count, so a jump in the numbers is no jump in anyone's
    /// position.
    pub fn position(&self, place: u64) -> u64 {
        let position = admission::position(place, self.cursor);
        if place >= self.gap.end && self.gap.ghosts > 0 {
            position.saturating_sub(self.gap.ghosts).max(1)
        } else {
            position
        }
    }

    /// The wait for someone arriving now; `None` while admissions are stopped.
    pub fn wait_for_newcomer(&self) -> Option<Estimate> {
        (!self.limits.paused)
            .then(|| admission::estimate_for_newcomer(self.waiting(), &self.movement.pace))
    }
}

/// What a room needs from its storage. Embedded and shared (Redis) backends implement it;
/// nothing above it knows which one runs.
pub trait RoomState: Send + Sync + 'static {
    /// Draws the next ticket number, admitting it at once when nobody waits and the rate
    /// allows. The one call that must be answered by the authority on numbers, hence async.
    /// A shared room checks `gate` with the draw (`shares_issuance`).
    fn draw(&self, now: Millis, gate: Gate) -> StateFuture<'_, (Drawn, Figures)>;

    /// Whether `draw` checks the address limit and the challenge's single use for every
    /// gateway of the room (Redis); else each gateway checks them itself.
    fn shares_issuance(&self) -> bool {
        false
    }

    /// The room as of `now`, with the cursor brought up to date. Cheap and never blocks on IO:
    /// every status poll calls it.
    fn figures(&self, now: Millis) -> Figures;

    /// The config's limits (on start and reload); the operator's settings apply on top. An
    /// operator's value set against another config value is dropped: the config file was
    /// edited since, and the most recent change wins.
    fn set_limits(&self, limits: Limits, now: Millis);

    /// What the operator has set for this room.
    fn settings(&self) -> Settings;

    /// The operator's message to visitors; cheap, for every page.
    fn message(&self) -> Arc<Message>;

    /// Changes the operator's settings and makes the change durable (and, shared, seen by
    /// every gateway) before returning.
    fn update_settings<'a>(
        &'a self,
        change: SettingsChange<'a>,
        now: Millis,
    ) -> StateFuture<'a, Settings>;

    /// Writes what must survive a restart. `orderly` marks a shutdown: the counters written are
    /// exact and nothing is reserved ahead.
    fn persist(&self, now: Millis, orderly: bool) -> Result<(), StateError>;

    /// A called number turns up to become a session (the session id is the ticket number).
    /// Only a `New` session counts as an admission; a number whose session the upstream ended
    /// stays out.
    /// A ticket may start its session and rejoin it `max_passes` times in all (another
    /// device, a reload racing the pass cookie); beyond that it is `UsedUp`.
    /// Asks the authority on sessions, hence async: the one other call a shared backend makes
    /// per request, once per new pass.
    fn admit_session(
        &self,
        session: u64,
        max_passes: u32,
        now: Millis,
    ) -> StateFuture<'_, SessionStart>;

    /// Whether the holder of called `session` would start now if they asked (a status poll
    /// asks, so that it says what the page would do): `None` if so, else how many called
    /// places ahead of it were told to wait too. Asking keeps its own claim on the next
    /// starts, as asking to start does. Shared: one script call, made only for called tickets.
    fn claims_ahead(&self, session: u64, now: Millis) -> StateFuture<'_, Option<u64>>;

    /// A ticket in line was seen (a page or a status poll). A room restored after a crash
    /// learns from this which of the numbers it skipped are people after all.
    fn ticket_seen(&self, _seq: u64) {}

    /// A request came in on a pass. `false` means the session was ended (released) and the
    /// pass must not be honoured any more.
    fn session_seen(&self, session: u64, now: Millis) -> bool;

    /// When `session` began, for the admission header; `None` if no longer known.
    fn session_started(&self, session: u64) -> StateFuture<'_, Option<Millis>>;

    /// The upstream ended the session (`X-Wartesaal-Release`). Its pass stays refused until
    /// `until`, when it would have expired anyway.
    fn session_ended(&self, session: u64, until: Millis);

    /// Forgets sessions idle for `idle_ms` and refusals that have run out. A forgotten
    /// session's ticket stays refused until `ticket_ms` after the session began, as long as a
    /// copy of it could still be valid: it got its entry.
    fn sweep(&self, now: Millis, idle_ms: Millis, ticket_ms: Millis);

    /// The booking site (an answer's header) or an operator changed what is left to book.
    /// Shared: applied in Redis for every gateway before it returns. `durable`: on disk before
    /// it returns (the admin API); else with the next save, within a quarter of a second.
    /// `None` when the room does not count its supply.
    fn supply(
        &self,
        change: supply::SupplyChange,
        now: Millis,
        durable: bool,
    ) -> StateFuture<'_, Option<Supply>>;

    /// The ticket number invitation `index` drew, if it drew one.
    fn invited(&self, index: u64) -> StateFuture<'_, Option<u64>>;

    /// Records that invitation `index` drew ticket `seq`, durably before it answers, unless
    /// it drew one already: the number in force is returned (the earlier one after a race).
    fn invite(&self, index: u64, seq: u64, now: Millis) -> StateFuture<'_, u64>;

    /// Keeps `letter` until it is sent, durably (and, shared, for every gateway) before it
    /// answers. One letter per ticket, ever: a ticket written to already, or with a letter
    /// pending, is `Already`.
    fn enlist(&self, letter: Letter, now: Millis) -> StateFuture<'_, Enlisted>;

    /// Replaces the address of the letter pending for `letter.seq` (a typing mistake
    /// corrected), durably before it answers, at most `MAX_ADDRESS_CHANGES` times; the old
    /// address is forgotten with it.
    fn replace_letter(&self, letter: Letter, now: Millis) -> StateFuture<'_, Replaced>;

    /// The address the letter pending for ticket `seq` goes to, if one is pending: the page
    /// shows it (masked), so that a mistake can be seen and corrected.
    fn noted_address(&self, seq: u64) -> StateFuture<'_, Option<String>>;

    /// Letters not sent yet of tickets from `from` on, in ticket order, at most `max`: `None`
    /// when another gateway sends this room's letters (a shared room's lease holder does).
    fn letters(&self, from: u64, max: usize) -> StateFuture<'_, Option<Vec<Letter>>>;

    /// Takes ticket `seq`'s letter to send it now: `false` if another gateway is sending it
    /// (a shared room's claim lasts `LETTER_CLAIM_MS`, or until `letter_done`). An embedded
    /// room's letters are only ever this process's.
    fn claim_letter(&self, _seq: u64) -> StateFuture<'_, bool> {
        Box::pin(std::future::ready(Ok(true)))
    }

    /// Ticket `seq`'s letter is sent (or given up): its address is forgotten, durably; the
    /// ticket stays written to.
    fn letter_done(&self, seq: u64, now: Millis) -> StateFuture<'_, ()>;

    /// One second of upstream observations, for the adaptive rate. Returns the change it made
    /// and the new rate.
    fn upstream(&self, sample: &UpstreamSample, now: Millis) -> Option<(RateChange, f64)>;

    /// Whether everyone goes straight to the upstream now: `on_unavailable = "open"` and the
    /// shared state away for longer than `open_after`. Never for an embedded room.
    fn passes_everyone(&self) -> bool {
        false
    }

    /// Whether the backend answers now. An embedded room always does; a shared one does not
    /// while Redis is unreachable, and then serves from its last copy.
    fn available(&self) -> bool {
        true
    }

    /// What `/readyz` says of this room beyond ready or not: why the backend does not answer,
    /// or what puts numbers at risk (Redis replicas that confirm nothing).
    fn health_notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Which backend holds the room, for the admin API.
    fn backend(&self) -> BackendInfo {
        BackendInfo::default()
    }
}

/// An e-mail owed to the holder of a ticket (`[rooms.notify]`): the address is kept only
/// until it is sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Letter {
    /// The ticket it tells about.
    pub seq: u64,
    pub to: String,
    /// The page's language when it was asked for: `"de"` or `"en"`.
    pub lang: String,
    /// When it was asked for.
    pub at: Millis,
    /// How often its address was replaced (a typing mistake corrected): bounded by
    /// `MAX_ADDRESS_CHANGES`, so a ticket cannot be used to mail address after address.
    #[serde(default)]
    pub changes: u32,
}

/// How often one ticket's address may be replaced, beyond the first one given.
pub const MAX_ADDRESS_CHANGES: u32 = 3;

/// What became of a letter handed to `replace_letter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// The new address is kept; the old one is gone.
    Replaced,
    /// No letter pending for the ticket: it was sent already (or never asked for).
    NotPending,
    /// The address was replaced `MAX_ADDRESS_CHANGES` times already.
    TooMany,
    /// The same address again: nothing changed, no change spent.
    Same,
}

/// How long a gateway's claim on a letter it is sending holds off the others: longer than a
/// send may take.
pub const LETTER_CLAIM_MS: Millis = 120_000;

/// A room keeps at most this many letters unsent, a ceiling that a flood of sign-ups cannot
/// raise: embedded, every sign-up rewrites the state file with all of them (some 2 MB at the
/// ceiling), so the ceiling also bounds what one sign-up costs the disk.
pub const MAX_LETTERS: usize = 20_000;

/// What became of a letter handed to `enlist`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enlisted {
    Added,
    /// The ticket has a letter pending or was written to: one per ticket.
    Already,
    /// `MAX_LETTERS` are waiting to be sent.
    Full,
}

/// Which backend holds a room and how it is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackendInfo {
    /// `"embedded"` or `"redis"`.
    pub kind: &'static str,
    pub available: bool,
    /// Shared: whether this gateway advances the cursor now (holds the lease).
    pub leader: Option<bool>,
    /// Shared: how many times the shared line was begun or restored after Redis lost it.
    pub epoch: Option<u64>,
}

/// What became of a called number that turned up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStart {
    /// First arrival: a new session.
    New,
    /// Already active (another tab, a copied ticket): the same session, not a new admission.
    Existing,
    /// Ended by the upstream: not admitted again.
    Ended,
    /// Called, but more sessions began this second than the rate allows: in a moment, after
    /// `ahead` called places that asked before.
    Later { ahead: u64 },
    /// The ticket has minted all the passes it may (a copy of it went round).
    UsedUp,
}

/// An operator's change to a room's settings, given the config's limits.
pub type SettingsChange<'a> = &'a mut (dyn FnMut(&mut Settings, &Limits) + Send);
