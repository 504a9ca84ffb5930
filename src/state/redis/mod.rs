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

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use dashmap::DashMap;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use crate::adaptive::{Adaptive, Change, UpstreamSample};
use crate::admission::{Drawn, Limits, Pace, Queue};
use crate::clock::{Clock, Millis};
use crate::config::{OnUnavailable, RedisConfig};
use crate::schedule::{self, Frozen, Order, Phase, Prequeue, Transition};
use crate::state::{
    effective, BackendInfo, Figures, RoomState, SessionStart, SettingsChange, StateError,
    StateFuture,
};
use crate::store::{Message, Override, Settings};

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
/// A new line begun in an empty Redis may still be replaced this long by a gateway restoring
/// the line Redis lost (one that was slower to reconnect), before anyone could rely on it.
const FRESH_REPLACEABLE_MS: Millis = 30_000;
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
    conn: ConnectionManager,
    prefix: String,
    /// This gateway's name in the lease.
    id: String,
    clock: Arc<dyn Clock>,
    on_unavailable: OnUnavailable,
    live: Mutex<HashMap<String, Weak<SharedState>>>,
    scripts: Scripts,
}

struct Scripts {
    sync: Script,
    lead: Script,
    draw: Script,
    admit: Script,
    transition: Script,
    settings: Script,
    release: Script,
}

impl Redis {
    /// A connection to `cfg.url`, made lazily and remade after failures by the `redis` crate's
    /// connection manager. Fails only on a URL it cannot use.
    pub fn new(
        cfg: &RedisConfig,
        on_unavailable: OnUnavailable,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Redis>, StateError> {
        let client = redis::Client::open(cfg.url.as_str())
            .map_err(|e| StateError::Unavailable(format!("state.redis_url: {e}")))?;
        // Fail fast: a request waiting on Redis holds a visitor; the sync retries anyway.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(1_000)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StateError::Unavailable(e.to_string()))?;
        Ok(Arc::new(Redis {
            conn,
            prefix: cfg.prefix.clone(),
            id: gateway_id(),
            clock,
            on_unavailable,
            live: Mutex::new(HashMap::new()),
            scripts: Scripts {
                sync: Script::new(SYNC),
                lead: Script::new(LEAD),
                draw: Script::new(DRAW),
                admit: Script::new(ADMIT),
                transition: Script::new(TRANSITION),
                settings: Script::new(SETTINGS),
                release: Script::new(RELEASE),
            },
        }))
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
    sessions: String,
    started: String,
    passes: String,
    ended: String,
    endlog: String,
    lease: String,
    arrivals: String,
}

impl Keys {
    fn new(prefix: &str, room: &str) -> Keys {
        let key = |name: &str| format!("{{{prefix}:{room}}}:{name}");
        Keys {
            line: key("line"),
            sessions: key("sessions"),
            started: key("started"),
            passes: key("passes"),
            ended: key("ended"),
            endlog: key("endlog"),
            lease: key("lease"),
            arrivals: key("arrivals"),
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
    /// Sessions seen on a pass since the last sync: id → when.
    seen: DashMap<u64, Millis>,
    /// Sessions known to be over: id → until when their pass stays refused.
    ended: DashMap<u64, Millis>,
    /// Sessions the upstream ended here, to be written at the next sync.
    ended_pending: Mutex<Vec<(u64, Millis)>>,
    message: ArcSwap<Message>,
    available: AtomicBool,
    /// The lease holder's line; `None` on the others.
    leader: Mutex<Option<Leader>>,
    /// One sync at a time.
    refreshing: tokio::sync::Mutex<()>,
    idle_ms: AtomicU64,
    ticket_ms: AtomicU64,
    /// A config reload made an operator's override stale: drop it at the next sync.
    stale_settings: AtomicBool,
    /// Shutting down: the lease is handed back and not taken again.
    stopping: AtomicBool,
}

struct Local {
    config: Limits,
    /// The last copy of the shared line; `None` until the first sync.
    line: Option<Line>,
    /// When this gateway first found no line in Redis (and had no copy to restore).
    missing_since: Option<Instant>,
    /// Ended sessions logged since then are fetched at the next sync; `None`: all of them.
    ended_since: Option<Millis>,
    /// Every number below this is known to be handed out.
    floor: u64,
}

/// The copy of a shared line.
#[derive(Debug, Clone)]
struct Line {
    epoch: u64,
    started_at: u64,
    issued: u64,
    cursor: u64,
    allow: u64,
    active: u64,
    settings: Settings,
    settings_v: u64,
    prequeue: Option<Prequeue>,
    pq_v: u64,
    adaptive_rate: Option<f64>,
    pace: Pace,
    share: f64,
    leader: bool,
    /// When an operator last let a stopped line go on.
    resumed_at: Millis,
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

type Reply = (i64, Vec<String>, u64, i64, Vec<u64>, Vec<String>);

impl SharedState {
    /// The room `id` shared through `redis`: the one alive in this process, or a new one that
    /// syncs in the background from now on.
    pub fn shared(redis: &Arc<Redis>, id: &str, limits: Limits) -> Arc<SharedState> {
        let mut live = redis.live.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|_, state| state.strong_count() > 0);
        if let Some(state) = live.get(id).and_then(Weak::upgrade) {
            state.set_limits(limits, redis.clock.now_ms());
            return state;
        }
        let state = Arc::new_cyclic(|this| SharedState {
            this: this.clone(),
            redis: redis.clone(),
            room: id.to_string(),
            keys: Keys::new(&redis.prefix, id),
            local: Mutex::new(Local {
                config: limits,
                line: None,
                missing_since: None,
                ended_since: None,
                floor: 0,
            }),
            seen: DashMap::new(),
            ended: DashMap::new(),
            ended_pending: Mutex::new(Vec::new()),
            message: ArcSwap::from_pointee(Message::default()),
            available: AtomicBool::new(false),
            leader: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            idle_ms: AtomicU64::new(u64::MAX),
            ticket_ms: AtomicU64::new(0),
            stale_settings: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
        });
        live.insert(id.to_string(), Arc::downgrade(&state));
        tokio::spawn(keep_synced(Arc::downgrade(&state)));
        state
    }

    fn lock(&self) -> MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn leader(&self) -> MutexGuard<'_, Option<Leader>> {
        self.leader.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn conn(&self) -> ConnectionManager {
        self.redis.conn.clone()
    }

    /// A call of `script` with the room's keys, in the one order every script reads them.
    fn call<'s>(&self, script: &'s Script) -> redis::ScriptInvocation<'s> {
        let mut inv = script.prepare_invoke();
        let k = &self.keys;
        for key in [
            &k.line,
            &k.sessions,
            &k.started,
            &k.passes,
            &k.ended,
            &k.endlog,
            &k.lease,
            &k.arrivals,
        ] {
            inv.key(key);
        }
        inv
    }

    /// The limits in force for `line` at `now`: the config's, the operator's settings and the
    /// learnt rate, and held while the schedule has not opened.
    fn limits(config: &Limits, line: &Line, now: Millis) -> (Limits, Phase) {
        let adaptive = line.adaptive_rate.filter(|_| config.adaptive.is_some());
        let mut limits = effective(config, &line.settings, adaptive);
        let (phase, _) = schedule::follow(line.prequeue.as_ref(), config.schedule, now);
        limits.paused |= phase != Phase::Open;
        (limits, phase)
    }

    /// Brings the copy up to date with Redis and, holding the lease, moves the cursor. Runs
    /// five times a second; never fails, but marks the room unavailable while Redis is.
    pub async fn refresh(&self) {
        let _one = self.refreshing.lock().await;
        let now = self.redis.clock.now_ms();
        let seen: Vec<(u64, Millis)> = {
            let keys: Vec<u64> = self.seen.iter().take(MAX_FLUSH).map(|e| *e.key()).collect();
            keys.into_iter()
                .filter_map(|id| self.seen.remove(&id))
                .collect()
        };
        let ended: Vec<(u64, Millis)> = {
            let mut pending = self.ended_pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.retain(|(_, until)| *until > now);
            let cut = pending.len().min(MAX_ENDED_FLUSH);
            let rest = pending.split_off(cut);
            std::mem::replace(&mut *pending, rest)
        };
        let mut inv = self.call(&self.redis.scripts.sync);
        let seed = {
            let l = self.lock();
            let (mode, seed) = match &l.line {
                Some(line) => ("restore", restore_fields(line, &l.config, now)),
                None => match l.missing_since {
                    Some(since) if since.elapsed() >= FRESH_SEED_DELAY => {
                        ("fresh", fresh_fields(&l.config, now))
                    }
                    _ => ("none", Vec::new()),
                },
            };
            let (pq_v, pq) = l.line.as_ref().map_or((0, String::new()), |line| {
                (line.pq_v, encode_prequeue(line.prequeue.as_ref()))
            });
            let since = match l.ended_since {
                Some(since) if now < since + ENDLOG_KEEP_MS - ENDED_SLACK_MS => {
                    since.saturating_sub(ENDED_SLACK_MS).to_string()
                }
                // First sync, or away longer than the log keeps: every ending still in force.
                _ => "all".to_string(),
            };
            let (settings_v, settings) = l.line.as_ref().map_or((0, String::new()), |line| {
                (
                    line.settings_v,
                    serde_json::to_string(&line.settings).unwrap_or_default(),
                )
            });
            let lease_ms = if self.stopping.load(Ordering::Relaxed) {
                0
            } else {
                LEASE_MS
            };
            inv.arg(now)
                .arg(&self.redis.id)
                .arg(lease_ms)
                .arg(mode)
                .arg(l.floor)
                .arg(l.line.as_ref().map_or(0, |line| line.cursor))
                .arg(since)
                .arg(pq_v)
                .arg(pq)
                .arg(seed.len())
                .arg(seen.len())
                .arg(ended.len())
                .arg(settings_v)
                .arg(settings)
                .arg(FRESH_REPLACEABLE_MS)
                .arg(
                    l.line
                        .as_ref()
                        .map_or(String::new(), |line| line.started_at.to_string()),
                );
            for (field, value) in &seed {
                inv.arg(*field).arg(value);
            }
            for (id, at) in &seen {
                inv.arg(id).arg(at);
            }
            for (id, until) in &ended {
                inv.arg(id).arg(until);
            }
            mode
        };
        let reply: Reply = match inv.invoke_async(&mut self.conn()).await {
            Ok(reply) => reply,
            Err(e) => {
                // Nothing is lost: what was seen and ended goes with the next sync.
                for (id, at) in seen {
                    self.seen
                        .entry(id)
                        .and_modify(|s| *s = (*s).max(at))
                        .or_insert(at);
                }
                self.ended_pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(ended);
                self.set_available(false, &e.to_string());
                *self.leader() = None;
                return;
            }
        };
        let (status, fields, active, leader, arrivals, recent) = reply;
        if status == 0 {
            // No line in Redis, and nothing here to restore it from: a new deployment. Begun
            // after a short wait, so that a gateway with a copy restores the old line first.
            let mut l = self.lock();
            l.missing_since.get_or_insert_with(Instant::now);
            l.ended_since = None;
            drop(l);
            self.set_available(false, "no line in Redis yet");
            return;
        }
        let mut line = parse_line(&fields);
        line.active = active;
        line.leader = leader == 1;
        if status == 2 {
            if seed == "restore" {
                tracing::warn!(
                    room = %self.room,
                    epoch = line.epoch,
                    next_ticket = line.issued,
                    cursor = line.cursor,
                    "Redis had lost this room's line; restored from this gateway's copy \
                     (new tickets wait a second while the other gateways report theirs)"
                );
            } else {
                tracing::info!(room = %self.room, "new shared line begun in Redis");
            }
        }
        for pair in recent.chunks_exact(2) {
            if let (Ok(id), Ok(until)) = (pair[0].parse::<u64>(), pair[1].parse::<f64>()) {
                self.ended.insert(id, until as Millis);
                self.seen.remove(&id);
            }
        }
        {
            let mut l = self.lock();
            if l.line.as_ref().is_some_and(|old| old.epoch != line.epoch) {
                tracing::warn!(room = %self.room, epoch = line.epoch, "shared line restored by another gateway");
            }
            l.floor = l.floor.max(line.issued);
            l.missing_since = None;
            l.ended_since = Some(now);
            self.message.store(Arc::new(line.settings.message.clone()));
            if let Some(old) = &l.line {
                // The lease holder's own figures are fresher than what it wrote.
                if old.leader && line.leader {
                    line.pace = old.pace;
                    line.share = old.share;
                }
            }
            l.line = Some(line.clone());
        }
        self.set_available(true, "");
        if line.leader {
            if let Err(e) = self.lead(now, &arrivals).await {
                tracing::warn!(room = %self.room, error = %e, "cannot move the shared cursor");
            }
        } else {
            *self.leader() = None;
        }
        if self.stale_settings.swap(false, Ordering::Relaxed) {
            let mut drop_stale = |s: &mut Settings, config: &Limits| {
                s.drop_stale(config.admit_per_minute, config.max_active)
            };
            if let Err(e) = self.change_settings(&mut drop_stale, now).await {
                tracing::warn!(room = %self.room, error = %e, "cannot drop a stale operator setting");
                self.stale_settings.store(true, Ordering::Relaxed);
            }
        }
    }

    fn set_available(&self, available: bool, why: &str) {
        let was = self.available.swap(available, Ordering::Relaxed);
        match (was, available) {
            (true, false) => tracing::error!(
                room = %self.room,
                error = why,
                on_unavailable = match self.redis.on_unavailable {
                    OnUnavailable::Hold => "hold: the line waits, passes keep working",
                    OnUnavailable::Open => "open: everyone goes straight to the upstream",
                },
                "Redis unavailable"
            ),
            (false, true) => tracing::info!(room = %self.room, "Redis available"),
            _ => {}
        }
    }

    /// The lease holder's turn: follows the schedule, takes in what happened elsewhere, moves
    /// the cursor at the rate and writes it with the allowance for newcomers.
    async fn lead(&self, now: Millis, arrivals: &[u64]) -> Result<(), StateError> {
        self.follow_schedule(now).await?;
        let (line, config) = {
            let l = self.lock();
            match &l.line {
                Some(line) => (line.clone(), l.config),
                None => return Ok(()),
            }
        };
        let (limits, _) = Self::limits(&config, &line, now);
        let operator = crate::store::Override::in_force(
            &line.settings.admit_per_minute,
            config.admit_per_minute,
        );
        let (cursor, allow, pace, share, adaptive_rate) = {
            let mut slot = self.leader();
            let leader = slot.get_or_insert_with(|| {
                tracing::info!(room = %self.room, gateway = %self.redis.id, "took the cursor lease");
                let mut queue = Queue::resume(line.issued, line.cursor, now, &limits);
                queue.set_budget(line.allow as f64, &limits);
                let adaptive = config.adaptive.map(|cfg| {
                    let mut a = Adaptive::new(cfg, config.admit_per_minute, now);
                    if let Some(rate) = line.adaptive_rate {
                        a.resume_at(rate, now);
                    }
                    a
                });
                Leader {
                    queue,
                    took_at: line.cursor,
                    adaptive,
                    operator_rate: operator,
                }
            });
            if let (Some(manual), None, Some(a)) =
                (leader.operator_rate, operator, leader.adaptive.as_mut())
            {
                a.resume_at(manual, now);
            }
            leader.operator_rate = operator;
            // The learnt rate is this gateway's now, not the copy's.
            let adaptive_rate = leader.adaptive.as_ref().map(Adaptive::rate);
            let limits = Limits {
                admit_per_minute: operator
                    .or(adaptive_rate)
                    .unwrap_or(config.admit_per_minute),
                ..limits
            };
            let q = &mut leader.queue;
            q.adopt(line.issued, line.cursor, now, &limits);
            for &seq in arrivals.iter().filter(|&&seq| seq >= leader.took_at) {
                q.arrived(seq, now, &limits);
            }
            // A pause or an opening between two syncs: nothing was owed while stopped.
            let opened = config
                .schedule
                .map_or(0, |w| if now >= w.opens_at { w.opens_at } else { 0 });
            q.count_from(line.resumed_at.max(opened).min(now));
            q.advance(now, &limits, line.active);
            (
                q.cursor(),
                q.allowance(&limits, line.active),
                q.pace(&limits),
                q.show_share(),
                adaptive_rate,
            )
        };
        let burst = limits.burst();
        let mut inv = self.call(&self.redis.scripts.lead);
        inv.arg(&self.redis.id)
            .arg(LEASE_MS)
            .arg(line.cursor)
            .arg(cursor)
            .arg(allow)
            .arg(now)
            .arg(self.idle_ms.load(Ordering::Relaxed).min(i64::MAX as u64))
            .arg(self.ticket_ms.load(Ordering::Relaxed))
            .arg(line.settings_v)
            .arg(line.pq_v)
            .arg("rate")
            .arg(limits.admit_per_minute.to_string())
            .arg("burst")
            .arg(burst.to_string())
            .arg("held")
            .arg(if limits.paused { "1" } else { "0" })
            .arg("pace")
            .arg(pace.per_minute.to_string())
            .arg("spread")
            .arg(pace.spread.to_string())
            .arg("share")
            .arg(share.to_string())
            .arg("adaptive_rate")
            .arg(adaptive_rate.map_or(String::new(), |r| r.to_string()));
        let written: i64 = inv
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        if written != 1 {
            // The lease went elsewhere meanwhile: that gateway's line counts.
            *self.leader() = None;
            return Ok(());
        }
        let mut l = self.lock();
        if let Some(copy) = l.line.as_mut() {
            copy.cursor = copy.cursor.max(cursor);
            copy.pace = pace;
            copy.share = share;
            copy.adaptive_rate = adaptive_rate;
        }
        Ok(())
    }

    /// Applies the change the schedule asks for now, if any, atomically with the counter.
    async fn follow_schedule(&self, now: Millis) -> Result<(), StateError> {
        let (transition, pq_v) = {
            let l = self.lock();
            let Some(line) = &l.line else {
                return Ok(());
            };
            let (_, transition) = schedule::follow(line.prequeue.as_ref(), l.config.schedule, now);
            (transition, line.pq_v)
        };
        let Some(transition) = transition else {
            return Ok(());
        };
        let (kind, opens_at, first) = match transition {
            Transition::Begin { opens_at } => ("begin", opens_at, None),
            Transition::Move { opens_at, first } => ("move", opens_at, Some(first)),
            Transition::Freeze { opens_at, first } => ("freeze", opens_at, first),
        };
        let key: String = schedule::new_key()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let (done, pq, pq_v): (i64, String, u64) = self
            .call(&self.redis.scripts.transition)
            .arg(pq_v)
            .arg(kind)
            .arg(opens_at)
            .arg(first.map_or(String::new(), |f| f.to_string()))
            .arg(key)
            .arg(now)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        if done == -1 {
            return Err(lost());
        }
        if done == -2 {
            return Err(StateError::Unavailable(
                "the shared line is being restored after Redis lost it".into(),
            ));
        }
        if done == 1 {
            let record = decode_prequeue(&pq);
            tracing::info!(
                room = %self.room,
                first = record.as_ref().map(|p| p.first),
                size = record.as_ref().and_then(|p| p.frozen).map(|f| f.size),
                "{}",
                match kind {
                    "freeze" => "opening: pre-queue frozen and put in random order",
                    "begin" => "pre-queue begun",
                    _ => "pre-queue moved to the new opening",
                }
            );
        }
        // Done here or by another gateway first: the record as Redis has it now.
        let mut l = self.lock();
        if let Some(line) = l.line.as_mut() {
            if pq_v >= line.pq_v {
                line.prequeue = decode_prequeue(&pq);
                line.pq_v = pq_v;
            }
        }
        Ok(())
    }

    /// Changes the operator's settings in Redis: read, change, written only if nobody changed
    /// them meanwhile (else read again).
    async fn change_settings(
        &self,
        change: SettingsChange<'_>,
        now: Millis,
    ) -> Result<Settings, StateError> {
        let config = self.lock().config;
        for _ in 0..8 {
            let (text, version): (Option<String>, Option<u64>) = redis::cmd("HMGET")
                .arg(&self.keys.line)
                .arg("settings")
                .arg("settings_v")
                .query_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            let version = version.unwrap_or(0);
            let mut settings = text
                .and_then(|t| serde_json::from_str::<Settings>(&t).ok())
                .unwrap_or_default();
            let was_open = settings.state == crate::store::OperatorState::Open;
            change(&mut settings, &config);
            let json = serde_json::to_string(&settings)
                .map_err(|e| StateError::Unavailable(e.to_string()))?;
            let open = settings.state == crate::store::OperatorState::Open;
            let effect = match (was_open, open) {
                (_, false) => "stop",
                (false, true) => "resume",
                (true, true) => "",
            };
            let written: i64 = self
                .call(&self.redis.scripts.settings)
                .arg(version)
                .arg(json)
                .arg(effect)
                .arg(now)
                .invoke_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            match written {
                1 => {
                    let mut l = self.lock();
                    if let Some(line) = l.line.as_mut() {
                        line.settings = settings.clone();
                        line.settings_v = version + 1;
                    }
                    self.message.store(Arc::new(settings.message.clone()));
                    return Ok(settings);
                }
                -1 => return Err(lost()),
                _ => continue,
            }
        }
        Err(StateError::Unavailable(
            "the settings kept changing on other gateways; try again".into(),
        ))
    }

    /// On an orderly stop: what was seen goes to Redis and the lease is handed back, so that
    /// another gateway moves the cursor at once.
    async fn release(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.refresh().await;
        let released: Result<i64, _> = self
            .call(&self.redis.scripts.release)
            .arg(&self.redis.id)
            .invoke_async(&mut self.conn())
            .await;
        if released.is_ok_and(|r| r == 1) {
            tracing::info!(room = %self.room, "cursor lease handed back");
        }
        *self.leader() = None;
    }
}

/// Syncs a room until it is dropped.
async fn keep_synced(state: Weak<SharedState>) {
    let mut interval = tokio::time::interval(REFRESH);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        state.refresh().await;
    }
}

fn unavailable(e: redis::RedisError) -> StateError {
    StateError::Unavailable(format!("Redis: {e}"))
}

fn lost() -> StateError {
    StateError::Unavailable("Redis has lost the line; it is being restored".into())
}

/// `opens_at,first` while gathering, `opens_at,first,size,key` once frozen; empty for none.
fn encode_prequeue(p: Option<&Prequeue>) -> String {
    match p {
        None => String::new(),
        Some(Prequeue {
            opens_at,
            first,
            frozen: None,
        }) => format!("{opens_at},{first}"),
        Some(Prequeue {
            opens_at,
            first,
            frozen: Some(f),
        }) => {
            let key: String = f.key.iter().map(|b| format!("{b:02x}")).collect();
            format!("{opens_at},{first},{},{key}", f.size)
        }
    }
}

fn decode_prequeue(text: &str) -> Option<Prequeue> {
    let parts: Vec<&str> = text.split(',').collect();
    let opens_at = parts.first()?.parse().ok()?;
    let first = parts.get(1)?.parse().ok()?;
    let frozen = match (parts.get(2), parts.get(3)) {
        (Some(size), Some(hex)) if hex.len() == 64 => {
            let mut key = [0u8; 32];
            for (i, b) in key.iter_mut().enumerate() {
                *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            Some(Frozen {
                size: size.parse().ok()?,
                key,
            })
        }
        _ => None,
    };
    Some(Prequeue {
        opens_at,
        first,
        frozen,
    })
}

fn parse_line(flat: &[String]) -> Line {
    let fields: HashMap<&str, &str> = flat
        .chunks_exact(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect();
    let int = |name: &str| {
        fields
            .get(name)
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0, |v| v.max(0.0) as u64)
    };
    let float = |name: &str| fields.get(name).and_then(|v| v.parse::<f64>().ok());
    Line {
        epoch: int("epoch"),
        started_at: int("started_at"),
        issued: int("issued"),
        cursor: int("cursor"),
        allow: int("allow"),
        active: 0,
        settings: fields
            .get("settings")
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default(),
        settings_v: int("settings_v"),
        prequeue: fields.get("pq").and_then(|t| decode_prequeue(t)),
        pq_v: int("pq_v"),
        adaptive_rate: float("adaptive_rate").filter(|r| r.is_finite() && *r > 0.0),
        pace: Pace {
            per_minute: float("pace").filter(|p| *p > 0.0).unwrap_or(1.0),
            spread: float("spread").unwrap_or(0.5),
        },
        share: float("share").filter(|s| *s > 0.0).unwrap_or(1.0),
        leader: false,
        resumed_at: int("resumed_at"),
    }
}

/// A new line, as the first gateway of a deployment writes it.
fn fresh_fields(config: &Limits, now: Millis) -> Vec<(&'static str, String)> {
    let allow = if config.paused || config.schedule.is_some() {
        0
    } else {
        config.burst().floor() as u64
    };
    vec![
        ("epoch", "1".into()),
        ("started_at", (now / 1000).to_string()),
        ("issued", "0".into()),
        ("cursor", "0".into()),
        ("allow", allow.to_string()),
        ("held", if allow == 0 { "1" } else { "0" }.into()),
        ("rate", config.admit_per_minute.to_string()),
        ("burst", config.burst().to_string()),
        ("settings", "{}".into()),
        ("settings_v", "0".into()),
        ("pq", String::new()),
        ("pq_v", "0".into()),
        ("fresh", now.to_string()),
    ]
}

/// The line as this gateway last saw it, for an empty Redis; new numbers wait until the other
/// gateways have raised the counter. The counter, cursor, settings and pre-queue record are
/// not in it: the same sync raises and writes them back from this gateway's copy, as every
/// gateway's sync does.
fn restore_fields(line: &Line, config: &Limits, now: Millis) -> Vec<(&'static str, String)> {
    let adaptive = line.adaptive_rate.filter(|_| config.adaptive.is_some());
    let limits = effective(config, &line.settings, adaptive);
    vec![
        ("epoch", (line.epoch + 1).to_string()),
        ("started_at", line.started_at.to_string()),
        ("allow", "0".into()),
        ("held", "1".into()),
        ("rate", limits.admit_per_minute.to_string()),
        ("burst", limits.burst().to_string()),
        (
            "adaptive_rate",
            line.adaptive_rate.map_or(String::new(), |r| r.to_string()),
        ),
        ("settle_until", (now + SETTLE_MS).to_string()),
    ]
}

impl RoomState for SharedState {
    fn draw(&self, now: Millis) -> StateFuture<'_, (Drawn, Figures)> {
        Box::pin(async move {
            // While Redis is known to be away, nobody waits for its timeouts.
            if self.lock().line.is_none() || !self.available() {
                return Err(StateError::Unavailable(
                    "Redis is not reachable; no new numbers until it is".into(),
                ));
            }
            self.follow_schedule(now).await?;
            let floor = self.lock().floor;
            let reply: Vec<i64> = self
                .call(&self.redis.scripts.draw)
                .arg(floor)
                .arg(now)
                .invoke_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            let &[seq, admitted, issued, cursor] = reply.as_slice() else {
                return Err(match reply.first() {
                    Some(-2) => StateError::Unavailable(
                        "the shared line is being restored after Redis lost it".into(),
                    ),
                    _ => lost(),
                });
            };
            {
                let mut l = self.lock();
                l.floor = l.floor.max(issued as u64);
                if let Some(line) = l.line.as_mut() {
                    line.issued = line.issued.max(issued as u64);
                    line.cursor = line.cursor.max(cursor as u64);
                }
            }
            let drawn = Drawn {
                seq: seq as u64,
                admitted: admitted == 1,
            };
            Ok((drawn, self.figures(now)))
        })
    }

    fn figures(&self, now: Millis) -> Figures {
        let l = self.lock();
        let available = self.available.load(Ordering::Relaxed);
        let Some(line) = &l.line else {
            // No copy yet: a ticket cannot be judged, so none is turned away as unknown.
            return Figures {
                started_at: 0,
                issued: 0,
                handed_out: u64::MAX,
                cursor: 0,
                active: 0,
                limits: Limits {
                    paused: true,
                    ..l.config
                },
                state: crate::store::OperatorState::Open,
                pace: Pace {
                    per_minute: l.config.admit_per_minute.max(f64::MIN_POSITIVE),
                    spread: 0.5,
                },
                show_share: 1.0,
                adaptive: None,
                phase: Phase::Open,
                order: Order::Fifo,
            };
        };
        let (mut limits, phase) = Self::limits(&l.config, line, now);
        if !available && self.redis.on_unavailable == OnUnavailable::Hold {
            limits.paused = true;
        }
        let operator =
            Override::in_force(&line.settings.admit_per_minute, l.config.admit_per_minute);
        Figures {
            started_at: line.started_at,
            issued: line.issued,
            handed_out: u64::MAX,
            cursor: line.cursor,
            active: line.active,
            limits,
            state: line.settings.state,
            pace: line.pace,
            show_share: line.share,
            adaptive: l.config.adaptive.map(|_| operator.is_none()),
            phase,
            order: Order::of(line.prequeue.as_ref()),
        }
    }

    fn set_limits(&self, limits: Limits, now: Millis) {
        let stale = {
            let mut l = self.lock();
            l.config = limits;
            l.line.as_ref().is_some_and(|line| {
                line.settings
                    .has_stale(limits.admit_per_minute, limits.max_active)
            })
        };
        if let Some(leader) = self.leader().as_mut() {
            match (leader.adaptive.as_mut(), limits.adaptive) {
                (Some(a), Some(cfg)) => a.reconfigure(cfg),
                (None, Some(cfg)) => {
                    leader.adaptive = Some(Adaptive::new(cfg, limits.admit_per_minute, now))
                }
                (_, None) => leader.adaptive = None,
            }
        }
        if stale {
            self.stale_settings.store(true, Ordering::Relaxed);
        }
    }

    fn settings(&self) -> Settings {
        self.lock()
            .line
            .as_ref()
            .map(|line| line.settings.clone())
            .unwrap_or_default()
    }

    fn message(&self) -> Arc<Message> {
        self.message.load_full()
    }

    fn update_settings<'a>(
        &'a self,
        change: SettingsChange<'a>,
        now: Millis,
    ) -> StateFuture<'a, Settings> {
        Box::pin(self.change_settings(change, now))
    }

    fn persist(&self, _now: Millis, orderly: bool) -> Result<(), StateError> {
        // Redis holds the line; the sync keeps it current. On a stop, the lease goes back.
        if !orderly {
            return Ok(());
        }
        let (Some(me), Ok(runtime)) = (self.this.upgrade(), tokio::runtime::Handle::try_current())
        else {
            return Ok(());
        };
        let (done, wait) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            me.release().await;
            let _ = done.send(());
        });
        // Called off the request threads (on shutdown); the lease expires by itself anyway.
        let _ = wait.recv_timeout(Duration::from_secs(3));
        Ok(())
    }

    fn admit_session(
        &self,
        session: u64,
        max_passes: u32,
        now: Millis,
    ) -> StateFuture<'_, SessionStart> {
        Box::pin(async move {
            if !self.available() {
                return Err(StateError::Unavailable("Redis is not reachable".into()));
            }
            let mut inv = self.call(&self.redis.scripts.admit);
            let code: i64 = inv
                .arg(session)
                .arg(max_passes)
                .arg(now)
                .invoke_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            match code {
                1 => Ok(SessionStart::New),
                2 => Ok(SessionStart::Existing),
                3 => Ok(SessionStart::Ended),
                4 => Ok(SessionStart::Later),
                5 => Ok(SessionStart::UsedUp),
                _ => Err(lost()),
            }
        })
    }

    fn session_seen(&self, session: u64, now: Millis) -> bool {
        if self.ended.contains_key(&session) {
            return false;
        }
        self.seen.insert(session, now);
        true
    }

    fn session_ended(&self, session: u64, until: Millis) {
        self.seen.remove(&session);
        self.ended.insert(session, until);
        self.ended_pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((session, until));
    }

    fn sweep(&self, now: Millis, idle_ms: Millis, ticket_ms: Millis) {
        // Redis is swept by the lease holder; here only the copy of ended sessions.
        self.idle_ms.store(idle_ms, Ordering::Relaxed);
        self.ticket_ms.store(ticket_ms, Ordering::Relaxed);
        self.ended.retain(|_, until| *until > now);
    }

    fn upstream(&self, sample: &UpstreamSample, now: Millis) -> Option<(Change, f64)> {
        // The lease holder learns from its own share of the traffic: latency and error ratio
        // are ratios, the same on every gateway behind an even load balancer.
        let (people_wait, operator) = {
            let l = self.lock();
            let line = l.line.as_ref()?;
            let (limits, _) = Self::limits(&l.config, line, now);
            let wait = line.issued > line.cursor
                && !limits.paused
                && (limits.max_active == 0 || line.active < limits.max_active);
            let operator =
                Override::in_force(&line.settings.admit_per_minute, l.config.admit_per_minute);
            (wait, operator)
        };
        if operator.is_some() {
            return None;
        }
        let mut slot = self.leader();
        let a = slot.as_mut()?.adaptive.as_mut()?;
        let change = a.observe(now, sample, people_wait)?;
        Some((change, a.rate()))
    }

    fn available(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }

    fn backend(&self) -> BackendInfo {
        let l = self.lock();
        BackendInfo {
            kind: "redis",
            available: self.available(),
            leader: Some(l.line.as_ref().is_some_and(|line| line.leader)),
            epoch: l.line.as_ref().map(|line| line.epoch),
        }
    }
}

// Every script gets the room's KEYS in one order (`SharedState::call`): 1 line, 2 sessions,
// 3 started, 4 passes, 5 ended, 6 endlog, 7 lease, 8 arrivals.

/// Every gateway, five times a second: seeds an empty Redis (a new line, or this gateway's
/// copy), raises the counter and cursor to what this gateway has seen, writes the sessions it
/// saw and the ones the upstream ended, renews or takes the cursor lease, and reads the line.
///
/// A new line (`fresh`) that nobody has drawn from yet, begun within `replaceable` ms, gives
/// way to a restore: it was begun by a gateway without a copy while Redis was empty. Pre-queue
/// records and settings newer than Redis's (missed by the restoring gateway) are written back.
/// `lease_ms` 0 hands the lease back (shutdown) instead of taking it.
///
/// ARGV: now id lease_ms seed_mode floor cursor ended_since pq_v pq n_seed n_seen n_ended
///       settings_v settings replaceable started_at (of the caller's copy), then the seed's
///       field/value pairs, the seen id/time pairs, the ended id/until pairs.
/// Returns {status (0 no line, 1 synced, 2 seeded), line fields, active sessions, leader,
/// arrivals to count (leader only), recently ended id/until pairs}.
const SYNC: &str = r#"
local line = KEYS[1]
local now = tonumber(ARGV[1])
local n_seed, n_seen, n_ended = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local off = 16
local status = 1
local fresh = tonumber(redis.call('HGET', line, 'fresh'))
local replace = ARGV[4] == 'restore' and fresh and now < fresh + tonumber(ARGV[15])
  and (tonumber(redis.call('HGET', line, 'issued')) or 0) == 0
  and redis.call('HGET', line, 'started_at') ~= ARGV[16]
if redis.call('EXISTS', line) == 0 or replace then
  if ARGV[4] == 'none' or n_seed == 0 then
    return {0, {}, 0, 0, {}, {}}
  end
  redis.call('DEL', line)
  local seed = {}
  for i = 1, 2 * n_seed do seed[i] = ARGV[off + i] end
  redis.call('HSET', line, unpack(seed))
  status = 2
end
off = off + 2 * n_seed
local issued = tonumber(redis.call('HGET', line, 'issued')) or 0
local floor = tonumber(ARGV[5])
if floor > issued then
  issued = floor
  redis.call('HSET', line, 'issued', issued)
end
local cursor = tonumber(redis.call('HGET', line, 'cursor')) or 0
local known = math.min(tonumber(ARGV[6]), issued)
if known > cursor then redis.call('HSET', line, 'cursor', known) end
local pq_v = tonumber(ARGV[8])
if pq_v > (tonumber(redis.call('HGET', line, 'pq_v')) or 0) then
  redis.call('HSET', line, 'pq', ARGV[9], 'pq_v', pq_v)
end
local settings_v = tonumber(ARGV[13])
if settings_v > (tonumber(redis.call('HGET', line, 'settings_v')) or 0) then
  redis.call('HSET', line, 'settings', ARGV[14], 'settings_v', settings_v)
end
for i = 0, n_seen - 1 do
  local id, seen = ARGV[off + 2 * i + 1], ARGV[off + 2 * i + 2]
  if not redis.call('ZSCORE', KEYS[5], id) then
    redis.call('ZADD', KEYS[2], 'GT', seen, id)
    redis.call('HSETNX', KEYS[3], id, seen)
    redis.call('HSETNX', KEYS[4], id, 1)
  end
end
off = off + 2 * n_seen
for i = 0, n_ended - 1 do
  local id, untl = ARGV[off + 2 * i + 1], ARGV[off + 2 * i + 2]
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('ZADD', KEYS[5], untl, id)
  redis.call('ZADD', KEYS[6], now, id)
end
local leader = 0
local holder = redis.call('GET', KEYS[7])
if ARGV[3] == '0' then
  if holder == ARGV[2] then redis.call('DEL', KEYS[7]) end
elseif holder == ARGV[2] then
  redis.call('PEXPIRE', KEYS[7], ARGV[3])
  leader = 1
elseif not holder then
  redis.call('SET', KEYS[7], ARGV[2], 'PX', ARGV[3])
  leader = 1
end
local arrivals = {}
if leader == 1 then arrivals = redis.call('LPOP', KEYS[8], 1000) or {} end
local recent = {}
if ARGV[7] == 'all' then
  recent = redis.call('ZRANGEBYSCORE', KEYS[5], now, '+inf', 'WITHSCORES')
else
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[6], ARGV[7], '+inf')) do
    local u = redis.call('ZSCORE', KEYS[5], id)
    if u then
      table.insert(recent, id)
      table.insert(recent, u)
    end
  end
end
return {status, redis.call('HGETALL', line), redis.call('ZCARD', KEYS[2]), leader, arrivals, recent}
"#;

/// The lease holder writes the cursor it moved (never back, never past the last number), the
/// allowance less the walk-ins since it read the line, and its figures; then sweeps idle
/// sessions (tombstones for those whose ticket could still be valid) and expired endings.
/// A change of settings or schedule since it read the line holds newcomers until next time.
///
/// ARGV: id lease_ms cursor_read cursor allow now idle_ms ticket_ms settings_v pq_v,
///       then field/value pairs to publish. Returns 1, or 0 without the lease.
const LEAD: &str = r#"
local line = KEYS[1]
if redis.call('GET', KEYS[7]) ~= ARGV[1] or redis.call('EXISTS', line) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[7], ARGV[2])
local issued = tonumber(redis.call('HGET', line, 'issued')) or 0
local cursor = tonumber(redis.call('HGET', line, 'cursor')) or 0
local walked = math.max(0, cursor - tonumber(ARGV[3]))
local new_cursor = math.min(issued, math.max(cursor, tonumber(ARGV[4])))
local allow = math.max(0, tonumber(ARGV[5]) - walked)
local fields = {'cursor', new_cursor, 'allow', allow}
for i = 11, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', line, unpack(fields))
local changed = (tonumber(redis.call('HGET', line, 'settings_v')) or 0) ~= tonumber(ARGV[9])
  or (tonumber(redis.call('HGET', line, 'pq_v')) or 0) ~= tonumber(ARGV[10])
if changed then redis.call('HSET', line, 'allow', 0, 'held', 1) end
local now = tonumber(ARGV[6])
local idle = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[7]), 'LIMIT', 0, 1000)
for _, id in ipairs(idle) do
  local untl = (tonumber(redis.call('HGET', KEYS[3], id)) or 0) + tonumber(ARGV[8])
  if untl > now then
    redis.call('ZADD', KEYS[5], untl, id)
    redis.call('ZADD', KEYS[6], now, id)
  end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - 60000)
return 1
"#;

/// A new ticket number: never below what the caller has seen; let straight in when nobody
/// waits, admissions run and the allowance has room.
///
/// ARGV: floor now. Returns {seq, admitted, issued, cursor}; {-1} without a line,
/// {-2} while a restored line settles.
const DRAW: &str = r#"
local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return {-1} end
if tonumber(ARGV[2]) < (tonumber(redis.call('HGET', line, 'settle_until')) or 0) then return {-2} end
local issued = math.max(tonumber(redis.call('HGET', line, 'issued')) or 0, tonumber(ARGV[1]))
local cursor = tonumber(redis.call('HGET', line, 'cursor')) or 0
local allow = tonumber(redis.call('HGET', line, 'allow')) or 0
local seq = issued
issued = issued + 1
local admitted = 0
if seq == cursor and redis.call('HGET', line, 'held') ~= '1' and allow >= 1 then
  cursor = cursor + 1
  allow = allow - 1
  admitted = 1
end
redis.call('HSET', line, 'issued', issued, 'cursor', cursor, 'allow', allow)
return {seq, admitted, issued, cursor}
"#;

/// A called number turns up: a new session within the rate of session starts, the same one
/// again within its passes, or refused.
///
/// ARGV: id max_passes now.
/// Returns 1 new, 2 existing, 3 ended, 4 later, 5 used up, -1 without a line.
const ADMIT: &str = r#"
local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return -1 end
local id, now = ARGV[1], tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[5], id) then return 3 end
local passes = tonumber(redis.call('HGET', KEYS[4], id))
if passes then
  if passes >= tonumber(ARGV[2]) then return 5 end
  redis.call('HINCRBY', KEYS[4], id, 1)
  redis.call('ZADD', KEYS[2], 'GT', now, id)
  return 2
end
local rate = tonumber(redis.call('HGET', line, 'rate')) or 0
local burst = tonumber(redis.call('HGET', line, 'burst')) or 1
local starts = tonumber(redis.call('HGET', line, 'starts')) or burst
local at = tonumber(redis.call('HGET', line, 'starts_at')) or now
starts = math.min(burst, starts + math.max(0, now - at) * rate / 60000)
at = math.max(at, now)
if starts < 1 - 1e-9 then
  redis.call('HSET', line, 'starts', tostring(starts), 'starts_at', at)
  return 4
end
redis.call('HSET', line, 'starts', tostring(starts - 1), 'starts_at', at)
redis.call('ZADD', KEYS[2], now, id)
redis.call('HSET', KEYS[3], id, now)
redis.call('HSET', KEYS[4], id, 1)
redis.call('RPUSH', KEYS[8], id)
if redis.call('LLEN', KEYS[8]) > 100000 then redis.call('LPOP', KEYS[8]) end
return 1
"#;

/// The schedule's change of the pre-queue record, at the counter's current number, if the
/// record is still the one the caller saw. Newcomers are held until the lease holder has
/// looked at the new record.
///
/// Not while a restored line settles: a gateway may yet write back a draw the restoring one
/// missed.
///
/// ARGV: pq_v kind opens_at first key now.
/// Returns {done (1; 0 if changed meanwhile; -1 without a line; -2 settling), pq, pq_v}.
const TRANSITION: &str = r#"
local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return {-1, '', 0} end
local v = tonumber(redis.call('HGET', line, 'pq_v')) or 0
if tonumber(ARGV[6]) < (tonumber(redis.call('HGET', line, 'settle_until')) or 0) then
  return {-2, redis.call('HGET', line, 'pq') or '', v}
end
if v ~= tonumber(ARGV[1]) then
  return {0, redis.call('HGET', line, 'pq') or '', v}
end
local issued = tonumber(redis.call('HGET', line, 'issued')) or 0
local first = issued
if ARGV[4] ~= '' then first = math.min(tonumber(ARGV[4]), issued) end
local pq = ARGV[3] .. ',' .. string.format('%d', first)
if ARGV[2] == 'freeze' then
  pq = pq .. ',' .. string.format('%d', issued - first) .. ',' .. ARGV[5]
end
redis.call('HSET', line, 'pq', pq, 'pq_v', v + 1, 'held', 1, 'allow', 0)
return {1, pq, v + 1}
"#;

/// The operator's settings, if unchanged since the caller read them; a pause or closing holds
/// newcomers at once, and a resume is dated, so the lease holder owes no admissions for the
/// time stopped even if it never saw the pause.
///
/// ARGV: settings_v json effect (stop, resume or nothing) now.
/// Returns 1, 0 if changed meanwhile, -1 without a line.
const SETTINGS: &str = r#"
local line = KEYS[1]
if redis.call('EXISTS', line) == 0 then return -1 end
local v = tonumber(redis.call('HGET', line, 'settings_v')) or 0
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', line, 'settings', ARGV[2], 'settings_v', v + 1)
if ARGV[3] == 'stop' then redis.call('HSET', line, 'held', 1, 'allow', 0) end
if ARGV[3] == 'resume' then redis.call('HSET', line, 'resumed_at', ARGV[4]) end
return 1
"#;

/// Hands the lease back if this gateway holds it. ARGV: id.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[7]) == ARGV[1] then
  redis.call('DEL', KEYS[7])
  return 1
end
return 0
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prequeue_records_survive_their_text_form() {
        let gathering = Prequeue {
            opens_at: 1_795_392_000_000,
            first: 17,
            frozen: None,
        };
        let frozen = Prequeue {
            frozen: Some(Frozen {
                size: 40,
                key: [0xa5; 32],
            }),
            ..gathering.clone()
        };
        for p in [None, Some(&gathering), Some(&frozen)] {
            assert_eq!(decode_prequeue(&encode_prequeue(p)).as_ref(), p);
        }
        assert_eq!(decode_prequeue("1,2,3,zz"), Some(gathering_at(1, 2)));
        assert_eq!(decode_prequeue("x"), None);
    }

    fn gathering_at(opens_at: Millis, first: u64) -> Prequeue {
        Prequeue {
            opens_at,
            first,
            frozen: None,
        }
    }

    #[test]
    fn a_line_is_read_from_redis_fields() {
        let flat: Vec<String> = [
            ("epoch", "2"),
            ("started_at", "1795392000"),
            ("issued", "120"),
            ("cursor", "100"),
            ("allow", "0"),
            ("settings", r#"{"state":"paused"}"#),
            ("settings_v", "3"),
            ("pq", "1795392000000,10,5,"),
            ("pace", "60"),
            ("share", "0.8"),
            ("adaptive_rate", ""),
        ]
        .iter()
        .flat_map(|(k, v)| [k.to_string(), v.to_string()])
        .collect();
        let line = parse_line(&flat);
        assert_eq!((line.epoch, line.issued, line.cursor), (2, 120, 100));
        assert_eq!(line.settings.state, crate::store::OperatorState::Paused);
        assert_eq!(line.prequeue, Some(gathering_at(1_795_392_000_000, 10)));
        assert_eq!(line.adaptive_rate, None);
        assert_eq!(line.share, 0.8);
        // Garbage is read as nothing, never a panic.
        let junk = parse_line(&["issued".into(), "-5".into(), "pq".into()]);
        assert_eq!(junk.issued, 0);
    }
}
