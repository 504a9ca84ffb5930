//! A shared room's life with Redis: opening it, the sync five times a second (seeding an empty
//! Redis, restoring a lost line), the lease and the lease holder's cursor, and the operator's
//! settings. Must not answer a request's question: `room` does, from the local copy.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use redis::Script;

use crate::clock::Millis;
use crate::config::OnUnavailable;
use crate::queue::adaptive::Adaptive;
use crate::queue::admission::{Limits, Pace, Queue, CLAIM_HOLD_MS};
use crate::queue::schedule::{self, Phase, Transition};
use crate::queue::supply::Supply;
use crate::state::{effective, Settings, SettingsChange, StateError};

use super::codec::{
    decode_prequeue, encode_earlier, encode_prequeue, fresh_fields, parse_line, restore_fields,
};
use super::{
    link, lost, unavailable, Chores, Health, Keys, Known, Leader, Live, Local, Pending, Redis,
    SharedLine, SharedState, Shown, SyncReply, Syncing, ENDED_SLACK_MS, ENDLOG_KEEP_MS,
    FRESH_SEED_DELAY, LEASE_MS, MAX_ENDED_FLUSH, MAX_FLUSH, REFRESH, ROLE_EVERY,
};

/// How often the lease holder cuts called places off the list of tickets written to.
const FORGET_CALLED_EVERY_MS: Millis = 10_000;

/// What one sync carries to Redis besides the seed.
struct Outgoing {
    /// Sessions seen on a pass: id → when.
    seen: Vec<(u64, Millis)>,
    /// Sessions the upstream ended here: id → until when their pass stays refused.
    ended: Vec<(u64, Millis)>,
}

/// What the lease holder's turn moved: written to Redis, then into the copy.
struct Moved {
    cursor: u64,
    /// Newcomers let straight in until the next turn.
    allow: u64,
    pace: Pace,
    share: f64,
    /// The adaptive mode's rate, with `[rooms.adaptive]`.
    adaptive_rate: Option<f64>,
}

impl SharedState {
    /// The room `id` shared through `redis`, read at its first sync (`keep_synced`).
    pub fn open(redis: &Arc<Redis>, id: &str, limits: Limits) -> Arc<SharedState> {
        Arc::new_cyclic(|this| SharedState {
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
            known: Known::default(),
            pending: Pending::default(),
            health: Health::default(),
            shown: Shown::default(),
            leader: Mutex::new(None),
            chores: Chores {
                idle_ms: AtomicU64::new(u64::MAX),
                ticket_ms: AtomicU64::new(0),
                forgot_at: AtomicU64::new(0),
            },
            syncing: Syncing::default(),
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn leader(&self) -> MutexGuard<'_, Option<Leader>> {
        self.leader.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn conn(&self) -> link::RedisConn {
        self.redis.link().conn()
    }

    /// Every number below this is known to be handed out: drawn, synced or shown here.
    pub(super) fn floor(&self, l: &Local) -> u64 {
        l.floor.max(self.shown.end.load(Ordering::Relaxed))
    }

    /// A call of `script` with the room's keys, in the one order every script reads them.
    pub(super) fn call<'s>(&self, script: &'s Script) -> redis::ScriptInvocation<'s> {
        let mut inv = script.prepare_invoke();
        let k = &self.keys;
        for key in [
            &k.line,
            &k.sessions.active,
            &k.sessions.started,
            &k.sessions.passes,
            &k.sessions.ended,
            &k.sessions.endlog,
            &k.lease,
            &k.arrivals,
            &k.claims.by_place,
            &k.claims.asked_at,
            &k.addresses[0],
            &k.addresses[1],
            &k.challenges,
            &k.jumps,
        ] {
            inv.key(key);
        }
        inv
    }

    /// The limits in force for `line` at `now`: the config's, the operator's settings and the
    /// learnt rate, and held while the schedule has not opened.
    pub(super) fn limits(config: &Limits, line: &SharedLine, now: Millis) -> (Limits, Phase) {
        let adaptive = line.adaptive_rate.filter(|_| config.adaptive.is_some());
        let mut limits = effective(config, &line.settings, adaptive);
        let (phase, _) = schedule::follow(line.prequeue.as_ref(), config.schedule, now);
        let sold_out = crate::queue::supply::sold_out(line.supply.as_ref(), phase);
        limits.paused |= phase != Phase::Open || now < line.origin.hold_until || sold_out;
        // A line whose supply record this gateway has not written yet still has the config's
        // appointments to cap its calls by.
        limits.supply = line
            .supply
            .or_else(|| config.appointments.map(|a| Supply::new(a, 0)));
        (limits, phase)
    }

    /// Brings the copy up to date with Redis and, holding the lease, moves the cursor. Runs
    /// five times a second; never fails, but marks the room unavailable while Redis is.
    pub async fn refresh(&self) {
        let _one = self.syncing.turn.lock().await;
        if self.redis.link().unresolved() {
            self.follow_primary().await;
            if self.redis.link().unresolved() {
                let now = self.redis.clock.now_ms();
                self.set_available(false, "no sentinel named a primary yet", now);
                return;
            }
        }
        let now = self.redis.clock.now_ms();
        let outgoing = self.take_outgoing(now);
        let mut inv = self.call(&self.redis.scripts.sync);
        let seed = self.prepare_sync(&mut inv, now, &outgoing);
        let reply: SyncReply = match inv.invoke_async(&mut self.conn()).await {
            Ok(reply) => reply,
            Err(e) => {
                // Nothing is lost: what was seen and ended goes with the next sync.
                self.put_back(outgoing);
                self.set_available(false, &e.to_string(), now);
                *self.leader() = None;
                self.follow_primary().await;
                return;
            }
        };
        let check_role = self
            .syncing
            .count
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(ROLE_EVERY);
        let (status, fields, active, leader, arrivals, recent, claimed) = reply;
        if status == 0 {
            self.no_line_yet(now);
            return;
        }
        let mut line = parse_line(&fields);
        line.live = Live {
            active,
            claimed,
            leader: leader == 1,
        };
        if status == 2 {
            self.announce_seeded(&line, seed);
        }
        self.take_endings(&recent);
        let leads = line.live.leader;
        self.adopt_line(line, now);
        self.set_available(true, "", now);
        self.after_sync(now, leads, &arrivals, check_role).await;
    }

    /// What goes to Redis with this sync: the sessions seen since the last one and those the
    /// upstream ended (still in force at `now`), each at most as many as one sync carries.
    fn take_outgoing(&self, now: Millis) -> Outgoing {
        let seen: Vec<(u64, Millis)> = {
            let keys: Vec<u64> = self
                .pending
                .seen
                .iter()
                .take(MAX_FLUSH)
                .map(|e| *e.key())
                .collect();
            keys.into_iter()
                .filter_map(|id| self.pending.seen.remove(&id))
                .collect()
        };
        let ended: Vec<(u64, Millis)> = {
            let mut pending = self.pending.ended.lock().unwrap_or_else(|p| p.into_inner());
            pending.retain(|(_, until)| *until > now);
            let cut = pending.len().min(MAX_ENDED_FLUSH);
            let rest = pending.split_off(cut);
            std::mem::replace(&mut *pending, rest)
        };
        Outgoing { seen, ended }
    }

    /// The sync call's arguments (see `SYNC`), read from the copy under its lock: the seed
    /// for a Redis that lost the line, what this gateway has seen, and `outgoing`.
    /// Returns how Redis is seeded: "restore", "fresh" or "none".
    fn prepare_sync(
        &self,
        inv: &mut redis::ScriptInvocation<'_>,
        now: Millis,
        outgoing: &Outgoing,
    ) -> &'static str {
        let l = self.lock();
        let (mode, seed) = match &l.line {
            Some(line) => ("restore", restore_fields(line, &l.config, now)),
            None => match l.missing_since {
                Some(since) if since.elapsed() >= FRESH_SEED_DELAY => {
                    let hold = self.redis.tuning().new_line_hold_ms;
                    ("fresh", fresh_fields(&l.config, now, hold))
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
        let lease_ms = if self.syncing.stopping.load(Ordering::Relaxed) {
            0
        } else {
            LEASE_MS
        };
        inv.arg(now)
            .arg(&self.redis.id)
            .arg(lease_ms)
            .arg(mode)
            .arg(self.floor(&l))
            .arg(l.line.as_ref().map_or(0, |line| line.cursor))
            .arg(since)
            .arg(pq_v)
            .arg(pq)
            .arg(seed.len())
            .arg(outgoing.seen.len())
            .arg(outgoing.ended.len())
            .arg(settings_v)
            .arg(settings)
            .arg(self.shown.in_gap.load(Ordering::Relaxed))
            .arg(CLAIM_HOLD_MS);
        for (field, value) in &seed {
            inv.arg(*field).arg(value);
        }
        for (id, at) in &outgoing.seen {
            inv.arg(id).arg(at);
        }
        for (id, until) in &outgoing.ended {
            inv.arg(id).arg(until);
        }
        mode
    }

    /// A failed sync's sessions, back for the next one: a session seen again meanwhile keeps
    /// the later time.
    fn put_back(&self, outgoing: Outgoing) {
        for (id, at) in outgoing.seen {
            self.pending
                .seen
                .entry(id)
                .and_modify(|s| *s = (*s).max(at))
                .or_insert(at);
        }
        self.pending
            .ended
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(outgoing.ended);
    }

    /// No line in Redis, and nothing here to restore it from: a new deployment. Begun after a
    /// short wait, so that a gateway with a copy restores the old line first.
    fn no_line_yet(&self, now: Millis) {
        let mut l = self.lock();
        l.missing_since.get_or_insert_with(Instant::now);
        l.ended_since = None;
        drop(l);
        self.set_available(false, "no line in Redis yet", now);
    }

    /// This sync wrote the line into Redis (`seed` says from what).
    fn announce_seeded(&self, line: &SharedLine, seed: &str) {
        if seed == "restore" {
            tracing::warn!(
                room = %self.room,
                epoch = line.origin.epoch,
                next_ticket = line.issued,
                cursor = line.cursor,
                "Redis had lost this room's line; restored from this gateway's copy \
                 (new tickets wait a second while the other gateways report theirs)"
            );
        } else {
            tracing::info!(room = %self.room, "new shared line begun in Redis");
        }
    }

    /// Sessions ended recently on any gateway (id/until pairs): refused here too.
    fn take_endings(&self, recent: &[String]) {
        for pair in recent.chunks_exact(2) {
            if let (Ok(id), Ok(until)) = (pair[0].parse::<u64>(), pair[1].parse::<f64>()) {
                self.known.ended.insert(id, until as Millis);
                self.pending.seen.remove(&id);
            }
        }
    }

    /// The line as Redis has it becomes the copy.
    fn adopt_line(&self, mut line: SharedLine, now: Millis) {
        let mut l = self.lock();
        if l.line.as_ref().is_some_and(|old| {
            old.origin.epoch != line.origin.epoch || old.origin.base != line.origin.base
        }) {
            tracing::warn!(room = %self.room, epoch = line.origin.epoch, base = line.origin.base, "shared line restored or begun anew by another gateway");
            // The lease holder's queue belongs to the line it read: the numbers it would
            // count as walked in between the two are no walk-ins.
            *self.leader() = None;
        }
        l.floor = l.floor.max(line.issued);
        self.shown
            .gap_end
            .store(line.ghosts.map_or(0, |(_, to)| to), Ordering::Relaxed);
        l.missing_since = None;
        l.ended_since = Some(now);
        self.known
            .message
            .store(Arc::new(line.settings.message.clone()));
        if let Some(old) = &l.line {
            // The lease holder's own figures are fresher than what it wrote.
            if old.live.leader && line.live.leader {
                line.pace = old.pace;
                line.share = old.share;
            }
        }
        l.line = Some(line);
    }

    /// After a sync that read the line: the lease holder's turn (or none), the supply, now
    /// and then the server's role, and a stale operator setting dropped.
    async fn after_sync(&self, now: Millis, leads: bool, arrivals: &[u64], check_role: bool) {
        if leads {
            if let Err(e) = self.lead(now, arrivals).await {
                tracing::warn!(room = %self.room, error = %e, "cannot move the shared cursor");
            }
        } else {
            *self.leader() = None;
        }
        // Bookings reported while Redis was away, and a new `appointments` or opening.
        if let Err(e) = self.flush_supply().await {
            tracing::warn!(room = %self.room, error = %e, "cannot write the supply");
        }
        // After the cursor is written: a slow sentinel must not cost the lease.
        if check_role {
            self.check_role().await;
        }
        if self.pending.stale_settings.swap(false, Ordering::Relaxed) {
            let mut drop_stale = |s: &mut Settings, config: &Limits| {
                s.drop_stale(config.admit_per_minute, config.max_active)
            };
            if let Err(e) = self.change_settings(&mut drop_stale, now).await {
                tracing::warn!(room = %self.room, error = %e, "cannot drop a stale operator setting");
                self.pending.stale_settings.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Marks Redis reachable or not, and with `on_unavailable = "open"` lets everyone pass
    /// once it has been away for `open_after`, until it has answered again as long.
    pub(super) fn set_available(&self, available: bool, why: &str, now: Millis) {
        if !available {
            *self
                .health
                .why_unavailable
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = why.to_string();
        }
        let was = self.health.available.swap(available, Ordering::Relaxed);
        match (was, available) {
            (true, false) => tracing::error!(
                room = %self.room,
                error = why,
                on_unavailable = match self.redis.tuning().on_unavailable {
                    OnUnavailable::Hold => "hold: the line waits, passes keep working",
                    OnUnavailable::Open => "open: everyone goes straight to the upstream \
                                            if it stays away",
                },
                "Redis unavailable"
            ),
            (false, true) => tracing::info!(room = %self.room, "Redis available"),
            _ => {}
        }
        let mut o = self.health.outage.lock().unwrap_or_else(|p| p.into_inner());
        let after = self.redis.tuning().open_after_ms;
        let passing = self.health.passing.load(Ordering::Relaxed);
        if available {
            o.down_since = None;
            let up = *o.up_since.get_or_insert(now);
            if passing && now.saturating_sub(up) >= after {
                self.health.passing.store(false, Ordering::Relaxed);
                tracing::warn!(room = %self.room, "Redis answered again: the line holds again");
            }
        } else {
            o.up_since = None;
            let down = *o.down_since.get_or_insert(now);
            let open = self.redis.tuning().on_unavailable == OnUnavailable::Open;
            if !open && passing {
                // A reload chose "hold" meanwhile.
                self.health.passing.store(false, Ordering::Relaxed);
            }
            if open && !passing && now.saturating_sub(down) >= after {
                self.health.passing.store(true, Ordering::Relaxed);
                tracing::error!(
                    room = %self.room,
                    away_ms = now.saturating_sub(down),
                    "Redis stays away: everyone goes straight to the upstream (on_unavailable = open)"
                );
            }
        }
    }

    /// With Sentinel, connects to whichever server the sentinels name primary now.
    async fn follow_primary(&self) {
        match self.redis.link().follow().await {
            Ok(true) => tracing::warn!(
                room = %self.room,
                primary = %self.redis.link().primary().addr,
                "the sentinels name a new Redis primary; following it"
            ),
            Ok(false) => {}
            Err(e) => tracing::warn!(room = %self.room, error = %e, "cannot ask the sentinels"),
        }
    }

    /// Once in a while: whether the server is a primary (with Sentinel, one that is not is
    /// left for the one the sentinels name), and whether it has replicas that no number waits
    /// for (a failover could then hand numbers out twice).
    async fn check_role(&self) {
        if self.redis.link().is_cluster() {
            return; // A keyless command goes to any node; the cluster client knows the roles.
        }
        let role: Result<redis::Value, _> = redis::cmd("ROLE").query_async(&mut self.conn()).await;
        let Ok(redis::Value::Array(parts)) = role else {
            return;
        };
        let kind = match parts.first() {
            Some(redis::Value::BulkString(k)) => String::from_utf8_lossy(k).into_owned(),
            _ => return,
        };
        if kind != "master" {
            tracing::error!(
                room = %self.room,
                role = %kind,
                primary = %self.redis.link().primary().addr,
                "the Redis server this gateway reaches is not a primary"
            );
            self.follow_primary().await;
            return;
        }
        let replicas = match parts.get(2) {
            Some(redis::Value::Array(r)) => r.len(),
            _ => 0,
        };
        self.redis
            .replicas
            .store(replicas, std::sync::atomic::Ordering::Relaxed);
        if self.redis.unconfirmed_with_replicas().is_some()
            && !self.health.replicas_warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                room = %self.room,
                replicas,
                "Redis has replicas but state.redis_min_replicas = 0: after a failover to one \
                 of them, numbers handed out just before could be handed out again; remove \
                 the setting (one replica then confirms each number) or set it to 1"
            );
        }
        if self.redis.link().follows_sentinels() {
            self.follow_primary().await;
        }
    }

    /// The lease holder's turn: follows the schedule, takes in what happened elsewhere, moves
    /// the cursor at the rate and writes it with the allowance for newcomers.
    pub(super) async fn lead(&self, now: Millis, arrivals: &[u64]) -> Result<(), StateError> {
        self.follow_schedule(now).await?;
        let (line, config) = {
            let l = self.lock();
            match &l.line {
                Some(line) => (line.clone(), l.config),
                None => return Ok(()),
            }
        };
        let (limits, _) = Self::limits(&config, &line, now);
        let moved = self.move_cursor(&line, &config, &limits, arrivals, now);
        if !self.write_cursor(&line, &limits, &moved, now).await? {
            // The lease went elsewhere meanwhile: that gateway's line counts.
            *self.leader() = None;
            return Ok(());
        }
        {
            let mut l = self.lock();
            if let Some(copy) = l.line.as_mut() {
                copy.cursor = copy.cursor.max(moved.cursor);
                copy.pace = moved.pace;
                copy.share = moved.share;
                copy.adaptive_rate = moved.adaptive_rate;
            }
        }
        // Now and then, the tickets written to whose places are called go from the list.
        let due = self.chores.forgot_at.load(Ordering::Relaxed) + FORGET_CALLED_EVERY_MS;
        if now >= due {
            self.chores.forgot_at.store(now, Ordering::Relaxed);
            let below = schedule::Order::of(line.prequeue.as_ref()).called_below(moved.cursor);
            self.forget_called(below).await?;
        }
        Ok(())
    }

    /// The lease holder's queue (taken up if this gateway just got the lease) moved to `now`:
    /// the arrivals since it read the line counted, the cursor advanced at the rate in force.
    fn move_cursor(
        &self,
        line: &SharedLine,
        config: &Limits,
        limits: &Limits,
        arrivals: &[u64],
        now: Millis,
    ) -> Moved {
        let operator = crate::state::Override::in_force(
            &line.settings.admit_per_minute,
            config.admit_per_minute,
        );
        let mut slot = self.leader();
        let leader = slot.get_or_insert_with(|| {
            tracing::info!(room = %self.room, gateway = %self.redis.id, "took the cursor lease");
            let mut queue = Queue::resume(line.issued, line.cursor, now, limits);
            queue.set_budget(line.allow as f64, limits);
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
            ..*limits
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
        q.advance(now, &limits, line.live.active);
        Moved {
            cursor: q.cursor(),
            allow: q.allowance(&limits, line.live.active),
            pace: q.pace(&limits),
            share: q.show_share(),
            adaptive_rate,
        }
    }

    /// Writes the moved cursor, the allowance and the figures every gateway shows (`LEAD`).
    /// `false`: the lease is another gateway's now.
    async fn write_cursor(
        &self,
        line: &SharedLine,
        limits: &Limits,
        moved: &Moved,
        now: Millis,
    ) -> Result<bool, StateError> {
        let burst = limits.burst();
        let mut inv = self.call(&self.redis.scripts.lead);
        inv.arg(&self.redis.id)
            .arg(LEASE_MS)
            .arg(line.cursor)
            .arg(moved.cursor)
            .arg(moved.allow)
            .arg(now)
            .arg(
                self.chores
                    .idle_ms
                    .load(Ordering::Relaxed)
                    .min(i64::MAX as u64),
            )
            .arg(self.chores.ticket_ms.load(Ordering::Relaxed))
            .arg(line.settings_v)
            .arg(line.pq_v)
            .arg(if line.ghosts.is_some() { "1" } else { "0" })
            .arg("rate")
            .arg(limits.admit_per_minute.to_string())
            .arg("burst")
            .arg(burst.to_string())
            .arg("held")
            .arg(if limits.paused { "1" } else { "0" })
            .arg("pace")
            .arg(moved.pace.per_minute.to_string())
            .arg("spread")
            .arg(moved.pace.spread.to_string())
            .arg("share")
            .arg(moved.share.to_string())
            .arg("adaptive_rate")
            .arg(moved.adaptive_rate.map_or(String::new(), |r| r.to_string()));
        let written: i64 = inv
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(written == 1)
    }

    /// Applies the change the schedule asks for now, if any, atomically with the counter.
    pub(super) async fn follow_schedule(&self, now: Millis) -> Result<(), StateError> {
        let (transition, pq_v, earlier) = {
            let l = self.lock();
            let Some(line) = &l.line else {
                return Ok(());
            };
            let (_, transition) = schedule::follow(line.prequeue.as_ref(), l.config.schedule, now);
            // The draw the new record keeps, from the record of this version: the script
            // applies it only to that version.
            let earlier = transition.and_then(|t| t.earlier(line.prequeue.as_ref()));
            (transition, line.pq_v, earlier)
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
            .arg(encode_earlier(earlier.as_ref()))
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
    pub(super) async fn change_settings(
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
            // Open to newcomers: not paused or closed, nor everyone held (`queue_all`). A
            // change either way takes effect in Redis at once, not at the next sync.
            let letting_in =
                |s: &Settings| s.state == crate::state::OperatorState::Open && !s.queue_all;
            let was_open = letting_in(&settings);
            change(&mut settings, &config);
            let json = serde_json::to_string(&settings)
                .map_err(|e| StateError::Unavailable(e.to_string()))?;
            let open = letting_in(&settings);
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
                    self.known.message.store(Arc::new(settings.message.clone()));
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
    pub(super) async fn release(&self) {
        self.syncing.stopping.store(true, Ordering::Relaxed);
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

/// Syncs a room until it is dropped or the backend shuts down.
pub async fn keep_synced(
    state: Weak<SharedState>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(REFRESH);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopped.changed() => return,
        }
        let Some(state) = state.upgrade() else {
            return;
        };
        state.refresh().await;
    }
}
