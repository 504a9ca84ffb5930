//! Rooms shared by several gateways through Redis: owns a room's Redis keys, the Lua scripts
//! that change them atomically, the local copy every request reads, and the lease that lets
//! exactly one gateway advance the cursor. Must not decide requests (`gateway`) nor do the
//! admission arithmetic (`admission`): the lease holder runs the same `Queue` as an embedded
//! room, fed from the shared counters.
//!
//! Redis work per visitor: one script call for a new ticket and one for a new pass. Status
//! polls, waiting pages and requests on a pass are answered from the local copy. Besides,
//! every gateway syncs its copy five times a second (one script call per room, which also
//! carries the sessions it saw and the ones the upstream ended), and the lease holder writes
//! the cursor after each sync (one more).
//!
//! Redis restarted empty: every gateway knows the highest ticket number it has seen, and the
//! first one to notice writes its copy back (a new epoch), refusing new numbers for a second
//! while the others raise the counter to what they have seen. No number handed out before is
//! handed out again, and the drawn pre-queue and the cursor come back as they were.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use dashmap::DashMap;
use redis::Script;

use crate::clock::{Clock, Millis};
use crate::config::{OnUnavailable, RedisConfig};
use crate::queue::adaptive::Adaptive;
use crate::queue::admission::{Limits, Pace, Queue};
use crate::queue::schedule::Prequeue;
use crate::queue::supply::{Supply, SupplyChange};
use crate::state::{Message, Settings, StateError};

mod codec;
mod keys;
mod letters;
mod link;
mod room;
mod supply;
mod sync;

pub use keys::SharedKeys;
use link::Link;
pub use sync::keep_synced;

/// Session start times kept for the admission header per room and gateway.
const STARTED_KEPT: usize = 100_000;

/// How often each gateway syncs its copy of every room (and the lease holder moves the cursor).
pub const REFRESH: Duration = Duration::from_millis(200);
/// The cursor lease: a gateway that stops renewing it is replaced this long after its last
/// sync.
const LEASE_MS: u64 = 2_000;
/// After Redis lost the line, new numbers wait this long, so that every gateway raises the
/// counter to the numbers it has seen first.
const SETTLE_MS: Millis = 3_000;
/// A gateway with no copy of a room waits this long (real time) before beginning a new line
/// in an empty Redis: one with a copy restores the old line first.
const FRESH_SEED_DELAY: Duration = Duration::from_secs(2);
/// Every this many syncs (5 s), the sync asks the server's role and, with Sentinel, which
/// server is primary.
const ROLE_EVERY: u64 = 25;
/// The log of ended sessions keeps this long; a gateway away longer reads them all again.
const ENDLOG_KEEP_MS: Millis = 60_000;
/// Most session endings one sync carries.
const MAX_ENDED_FLUSH: usize = 5_000;
/// Most sessions seen that one sync carries; the rest go with the next.
const MAX_FLUSH: usize = 20_000;
/// Ended sessions are fetched from a log of recent endings; this much overlap covers clocks
/// that differ between gateways.
const ENDED_SLACK_MS: Millis = 5_000;

/// The Redis connection of this process and the rooms it shares.
pub struct Redis {
    /// Replaced by a reload that names another Redis (or other TLS files, sentinels, nodes).
    link: ArcSwap<Link>,
    tuning: ArcSwap<Tuning>,
    prefix: String,
    /// This gateway's name in the lease.
    id: String,
    clock: Arc<dyn Clock>,
    scripts: Scripts,
    /// Replicas the primary reported connected at the last look (a room's role check).
    replicas: std::sync::atomic::AtomicUsize,
}

/// The settings a reload may change while the rooms go on.
struct Tuning {
    on_unavailable: OnUnavailable,
    /// Replicas that must confirm a new number (`WAIT`) before it is handed out; `None`: one
    /// whenever the primary reports replicas (`Redis::replicas`).
    min_replicas: Option<u32>,
    /// How long `WAIT` waits for them.
    wait_ms: u64,
    new_line_hold_ms: Millis,
    open_after_ms: Millis,
}

impl Tuning {
    fn new(cfg: &RedisConfig, on_unavailable: OnUnavailable) -> Tuning {
        Tuning {
            on_unavailable,
            min_replicas: cfg.min_replicas,
            wait_ms: (cfg.timeout.as_millis() as u64 / 2).clamp(10, 250),
            new_line_hold_ms: cfg.new_line_hold.as_millis() as Millis,
            open_after_ms: cfg.open_after.as_millis() as Millis,
        }
    }
}

struct Scripts {
    sync: Script,
    lead: Script,
    draw: Script,
    admit: Script,
    claim: Script,
    transition: Script,
    settings: Script,
    release: Script,
    undo: Script,
    supply: Script,
    enlist: Script,
    replace_letter: Script,
    claim_letter: Script,
}

impl Redis {
    /// The connection `cfg` describes, made lazily. Fails only on settings it cannot use.
    pub fn new(
        cfg: &RedisConfig,
        on_unavailable: OnUnavailable,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Redis>, StateError> {
        Ok(Arc::new(Redis {
            link: ArcSwap::from_pointee(Link::new(cfg)?),
            tuning: ArcSwap::from_pointee(Tuning::new(cfg, on_unavailable)),
            prefix: cfg.prefix.clone(),
            id: gateway_id(),
            clock,
            scripts: Scripts {
                sync: Script::new(SYNC),
                lead: Script::new(LEAD),
                draw: Script::new(DRAW),
                admit: Script::new(ADMIT),
                claim: Script::new(CLAIM),
                transition: Script::new(TRANSITION),
                settings: Script::new(SETTINGS),
                release: Script::new(RELEASE),
                undo: Script::new(UNDO),
                supply: Script::new(SUPPLY),
                enlist: Script::new(letters::ENLIST),
                replace_letter: Script::new(letters::REPLACE),
                claim_letter: Script::new(letters::CLAIM_LETTER),
            },
            replicas: std::sync::atomic::AtomicUsize::new(0),
        }))
    }
}

impl Redis {
    /// A reload's new Redis settings, in force at once: another address (the rooms' copies
    /// seed it as they would a Redis restarted empty), TLS files, sentinels or cluster nodes,
    /// timeouts and the failover rules. `false` if the prefix changed, which needs a
    /// restart: the rooms' keys are named by it.
    pub fn retune(
        &self,
        cfg: &RedisConfig,
        on_unavailable: OnUnavailable,
    ) -> Result<bool, StateError> {
        if cfg.prefix != self.prefix {
            return Ok(false);
        }
        self.tuning
            .store(Arc::new(Tuning::new(cfg, on_unavailable)));
        if !self.link().reaches_as(cfg) {
            // Only then a new connection: one that must ask sentinels or a cluster first
            // answers nothing until the next sync.
            let link = Link::new(cfg)?;
            tracing::warn!(
                redis = %link.primary().addr,
                "state: how Redis is reached changed with the reload; in force now"
            );
            self.link.store(Arc::new(link));
        }
        Ok(true)
    }

    fn link(&self) -> Arc<Link> {
        self.link.load_full()
    }

    fn tuning(&self) -> arc_swap::Guard<Arc<Tuning>> {
        self.tuning.load()
    }

    /// Replicas that must confirm a new number now: `redis_min_replicas` if set, else one
    /// while the primary has any.
    fn min_replicas(&self) -> u32 {
        self.tuning().min_replicas.unwrap_or_else(|| {
            u32::from(self.replicas.load(std::sync::atomic::Ordering::Relaxed) > 0)
        })
    }

    /// Whether draws go unconfirmed although the primary has replicas: an operator's explicit
    /// `redis_min_replicas = 0`.
    fn unconfirmed_with_replicas(&self) -> Option<usize> {
        let replicas = self.replicas.load(std::sync::atomic::Ordering::Relaxed);
        (replicas > 0 && self.tuning().min_replicas == Some(0)).then_some(replicas)
    }
}

/// `host-pid-random`: unique per process, readable in `redis-cli GET …:lease`.
fn gateway_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "gateway".into());
    let mut random = [0u8; 4];
    let _ = getrandom::getrandom(&mut random);
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        u32::from_le_bytes(random)
    )
}

/// The Redis keys of one room. They share a hash tag, so the scripts work on a cluster too.
struct Keys {
    line: String,
    sessions: SessionKeys,
    lease: String,
    arrivals: String,
    claims: ClaimKeys,
    /// New tickets per address hash, for this minute and the last (used in turn).
    addresses: [String; 2],
    /// Challenges handed in: id → until when their token is valid.
    challenges: String,
    /// Invitations that drew a ticket: index → ticket number.
    invitations: String,
    /// The counter's jumps past what a store that came back older may have lost: a list of
    /// "at from to run_id", the last hundred.
    jumps: String,
    letters: LetterKeys,
}

/// A room's sessions: the active ones by when last seen, when each began, the passes each
/// minted, the ended ones by until when their pass stays refused, and the log of endings.
struct SessionKeys {
    active: String,
    started: String,
    passes: String,
    ended: String,
    endlog: String,
}

/// Called places waiting for a start, by place and by when they last asked.
struct ClaimKeys {
    by_place: String,
    asked_at: String,
}

/// E-mails owed to visitors: ticket → letter, the tickets in order, and those written to.
struct LetterKeys {
    by_ticket: String,
    queue: String,
    written: String,
}

impl Keys {
    fn new(prefix: &str, room: &str) -> Keys {
        let key = |name: &str| format!("{{{prefix}:{room}}}:{name}");
        Keys {
            line: key("line"),
            sessions: SessionKeys {
                active: key("sessions"),
                started: key("started"),
                passes: key("passes"),
                ended: key("ended"),
                endlog: key("endlog"),
            },
            lease: key("lease"),
            arrivals: key("arrivals"),
            claims: ClaimKeys {
                by_place: key("claims"),
                asked_at: key("claimed_at"),
            },
            addresses: [key("addresses:0"), key("addresses:1")],
            challenges: key("challenges"),
            invitations: key("invitations"),
            jumps: key("jumps"),
            letters: LetterKeys {
                by_ticket: key("letters"),
                queue: key("letters:queue"),
                // A sorted set by ticket (an older gateway's plain set was `written`): the
                // lease holder cuts the called places off its low end.
                written: key("written:by-seq"),
            },
        }
    }
}

/// One room shared through Redis.
pub struct SharedState {
    this: Weak<SharedState>,
    redis: Arc<Redis>,
    room: String,
    keys: Keys,
    local: Mutex<Local>,
    known: Known,
    pending: Pending,
    health: Health,
    shown: Shown,
    /// The lease holder's line; `None` on the others.
    leader: Mutex<Option<Leader>>,
    chores: Chores,
    syncing: Syncing,
}

/// What requests read here instead of asking Redis, besides the line's copy.
#[derive(Default)]
struct Known {
    /// Sessions known to be over: id → until when their pass stays refused.
    ended: DashMap<u64, Millis>,
    /// When sessions began, as read from Redis for the admission header (at most
    /// `STARTED_KEPT`; emptied when full).
    started_at: DashMap<u64, Millis>,
    /// The operator's message, as of the last sync or change.
    message: ArcSwap<Message>,
}

/// What waits for the next sync.
#[derive(Default)]
struct Pending {
    /// Sessions seen on a pass since the last sync: id → when.
    seen: DashMap<u64, Millis>,
    /// Sessions the upstream ended here, to be written at the next sync.
    ended: Mutex<Vec<(u64, Millis)>>,
    /// Supply reports not in Redis yet, in their order.
    supply: Mutex<Vec<SupplyChange>>,
    /// A config reload made an operator's override stale: drop it at the next sync.
    stale_settings: AtomicBool,
}

/// Whether Redis answers, and what this gateway does while it does not.
#[derive(Default)]
struct Health {
    available: AtomicBool,
    /// Redis away (or back) since, and whether `on_unavailable = "open"` lets everyone pass.
    outage: Mutex<Outage>,
    passing: AtomicBool,
    /// Why Redis did not answer the last time it did not (for `/readyz`).
    why_unavailable: Mutex<String>,
    /// Warned once that Redis has replicas but no number waits for one.
    replicas_warned: AtomicBool,
}

/// The ticket numbers shown to this gateway (`ticket_seen`), kept without a lock: every
/// status poll reports one.
#[derive(Default)]
struct Shown {
    /// The highest, plus one: a ticket drawn on another Redis (a failover's other side)
    /// raises the counter here too.
    end: AtomicU64,
    /// The end of the copy's jump range (0 without one), and the highest ticket inside it
    /// shown here, plus one: the holders the jump's range turns out to have.
    gap_end: AtomicU64,
    in_gap: AtomicU64,
}

/// What the lease holder's chores in Redis go by: the lifetimes of the last `sweep`, and
/// when it last cut called places off the written-to list.
struct Chores {
    idle_ms: AtomicU64,
    ticket_ms: AtomicU64,
    forgot_at: AtomicU64,
}

/// The sync's own bookkeeping from one turn to the next.
#[derive(Default)]
struct Syncing {
    /// One sync at a time.
    turn: tokio::sync::Mutex<()>,
    /// Syncs so far, to check the server's role every `ROLE_EVERY`.
    count: AtomicU64,
    /// Shutting down: the lease is handed back and not taken again.
    stopping: AtomicBool,
    /// The config's `appointments` and the opening this gateway last set the supply for.
    supply_applied: Mutex<Option<(Option<u64>, Millis)>>,
}

struct Local {
    config: Limits,
    /// The last copy of the shared line; `None` until the first sync.
    line: Option<SharedLine>,
    /// When this gateway first found no line in Redis (and had no copy to restore).
    missing_since: Option<Instant>,
    /// Ended sessions logged since then are fetched at the next sync; `None`: all of them.
    ended_since: Option<Millis>,
    /// Every number below this is known to be handed out.
    floor: u64,
}

/// Since when Redis has been away (or answering again), on the gateway's clock.
#[derive(Debug, Default)]
struct Outage {
    down_since: Option<Millis>,
    up_since: Option<Millis>,
}

/// The copy of a shared line: its hash in Redis, and what the last sync counted beside it.
#[derive(Debug, Clone)]
struct SharedLine {
    origin: Origin,
    issued: u64,
    cursor: u64,
    allow: u64,
    settings: Settings,
    settings_v: u64,
    prequeue: Option<Prequeue>,
    pq_v: u64,
    adaptive_rate: Option<f64>,
    pace: Pace,
    share: f64,
    live: Live,
    /// When an operator last let a stopped line go on.
    resumed_at: Millis,
    /// What is left to book, when the room counts it.
    supply: Option<Supply>,
    /// The numbers `from..to` of the counter's last jump (a store that came back older) that
    /// nobody has shown up with yet.
    ghosts: Option<(u64, u64)>,
}

/// Which line a copy is of, and where its numbers begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Origin {
    /// Raised each time a gateway restores the line into a Redis that had lost it.
    epoch: u64,
    started_at: u64,
    /// Where the line's numbers begin (see `Figures::base`).
    base: u64,
    /// A line begun in an empty Redis by a gateway without a copy lets nobody new in until
    /// then.
    hold_until: Millis,
}

/// What the last sync counted beside the line's hash.
#[derive(Debug, Clone, Copy, Default)]
struct Live {
    /// Sessions on the upstream.
    active: u64,
    /// Called places whose holders asked within `CLAIM_HOLD_MS` (see `Figures::claimed`).
    claimed: u64,
    /// This gateway holds the cursor lease.
    leader: bool,
}

/// The lease holder's own line: the admission arithmetic an embedded room does.
struct Leader {
    queue: Queue,
    /// The cursor when this gateway took the lease: arrivals below it were called (and paid
    /// for) by the previous holder.
    took_at: u64,
    adaptive: Option<Adaptive>,
    /// The operator's rate as of the last sync, to hand over to the adaptive mode when lifted.
    operator_rate: Option<f64>,
}

type SyncReply = (i64, Vec<String>, u64, i64, Vec<u64>, Vec<String>, u64);

fn unavailable(e: redis::RedisError) -> StateError {
    StateError::Unavailable(format!("Redis: {e}"))
}

fn lost() -> StateError {
    StateError::Unavailable("Redis has lost the line; it is being restored".into())
}

/// Every gateway, five times a second: seeds an empty Redis (this gateway's copy, or a new
/// line), raises the counter and cursor to what this gateway has seen, writes the sessions it
/// saw and the ones the upstream ended, renews or takes the cursor lease, and reads the line.
/// Pre-queue records and settings newer than Redis's (missed by a restoring gateway) are
/// written back. A line in Redis is never replaced: a new line's numbers lie above any
/// earlier line's (`codec::fresh_fields`). `lease_ms` 0 hands the lease back (shutdown)
/// instead of taking it.
///
/// ARGV: now id lease_ms seed_mode floor cursor ended_since pq_v pq n_seed n_seen n_ended
///       settings_v settings shown_in_gap claim_hold_ms, then the seed's field/value pairs, the
///       seen id/time pairs, the ended id/until pairs.
/// Returns {status (0 no line, 1 synced, 2 seeded), line fields, active sessions, leader,
/// arrivals to count (leader only), recently ended id/until pairs, called places that asked
/// within claim_hold_ms}.
const SYNC: &str = include_str!("sync.lua");

/// The lease holder writes the cursor it moved (never back, never past the last number), the
/// allowance less the walk-ins since it read the line, and its figures; then sweeps idle
/// sessions (tombstones for those whose ticket could still be valid) and expired endings.
/// A change of settings or schedule since it read the line holds newcomers until next time.
///
/// ARGV: id lease_ms cursor_read cursor allow now idle_ms ticket_ms settings_v pq_v
///       knows_gap (1: the copy has a jump's range to pass), then field/value pairs to
///       publish. Returns 1, or 0 without the lease.
const LEAD: &str = include_str!("lead.lua");

/// A new ticket number: never below what the caller has seen; let straight in when nobody
/// waits, admissions run and the allowance has room. First, for every gateway at once: the
/// address limit, and a solved challenge's single use.
///
/// ARGV: floor now address_hash per_minute challenge_id challenge_until (the four empty when
/// not checked) draws_per_second (the least a jump after a store came back older assumes). Returns {seq, admitted, issued, cursor}; {-1} without a line, {-2}
/// while a restored line settles, {-3, retry_after_s} over the address limit, {-4} a
/// challenge used before.
const DRAW: &str = include_str!("draw.lua");

/// A called number turns up: a new session within the rate of session starts, the same one
/// again within its passes, or refused.
///
/// ARGV: id max_passes now claim_hold_ms.
/// Returns 1 new, 2 existing, 3 ended, 1000 + called places ahead for later, 5 used up, -1
/// without a line.
const ADMIT: &str = concat!(include_str!("claims.lua"), include_str!("admit.lua"));

/// Whether a called place would start now, keeping its claim on the next starts (a status
/// poll's question; nothing is spent).
///
/// ARGV: id now claim_hold_ms. Returns 0 would start (or started or ended already), 1000 +
/// called places ahead with a claim, -1 without a line.
const CLAIM: &str = concat!(include_str!("claims.lua"), include_str!("claim.lua"));

/// The schedule's change of the pre-queue record, at the counter's current number, if the
/// record is still the one the caller saw. Newcomers are held until the lease holder has
/// looked at the new record.
///
/// Not while a restored line settles: a gateway may yet write back a draw the restoring one
/// missed.
///
/// ARGV: pq_v kind opens_at first key now.
/// Returns {done (1; 0 if changed meanwhile; -1 without a line; -2 settling), pq, pq_v}.
const TRANSITION: &str = include_str!("transition.lua");

/// The operator's settings, if unchanged since the caller read them; a pause or closing holds
/// newcomers at once, and a resume is dated, so the lease holder owes no admissions for the
/// time stopped even if it never saw the pause.
///
/// ARGV: settings_v json effect (stop, resume or nothing) now.
/// Returns 1, 0 if changed meanwhile, -1 without a line.
const SETTINGS: &str = include_str!("settings.lua");

/// Gives back what a draw no replica confirmed counted (see the script).
const UNDO: &str = include_str!("undo.lua");

/// Hands the lease back if this gateway holds it. ARGV: id.
const RELEASE: &str = include_str!("release.lua");
const SUPPLY: &str = include_str!("supply.lua");

#[cfg(test)]
mod tests;
