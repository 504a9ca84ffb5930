//! `RoomState` for a shared room: draws and new passes go to Redis (one script call each);
//! everything else is answered from the local copy. Must not sync: `sync` does.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Millis;
use crate::queue::adaptive::{Adaptive, RateChange, UpstreamSample};
use crate::queue::admission::{Drawn, Limits, Pace, CLAIM_HOLD_MS};
use crate::queue::schedule::{Order, Phase};
use crate::queue::supply::{Supply, SupplyChange};
use crate::state::{
    BackendInfo, Enlisted, Figures, Gap, Gate, HandedOut, Letter, Message, Movement, Numbering,
    Override, Replaced, RoomState, SessionStart, Settings, SettingsChange, StateError, StateFuture,
};

use super::{lost, unavailable, SharedState, STARTED_KEPT};

impl RoomState for SharedState {
    fn shares_issuance(&self) -> bool {
        true
    }

    fn draw(&self, now: Millis, gate: Gate) -> StateFuture<'_, (Drawn, Figures)> {
        Box::pin(async move {
            // While Redis is known to be away, nobody waits for its timeouts.
            if self.lock().line.is_none() || !self.available() {
                return Err(StateError::Unavailable(
                    "Redis is not reachable; no new numbers until it is".into(),
                ));
            }
            self.follow_schedule(now).await?;
            let floor = self.floor(&self.lock());
            let reply = self.draw_confirmed(floor, now, gate).await?;
            let &[seq, admitted, issued, cursor] = reply.as_slice() else {
                return Err(match reply.as_slice() {
                    [-2] => StateError::Unavailable(
                        "the shared line is being restored after Redis lost it".into(),
                    ),
                    [-3, retry] => StateError::Limited((*retry).max(1) as u64),
                    [-4] => StateError::ChallengeUsed,
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
        let available = self.health.available.load(Ordering::Relaxed);
        let Some(line) = &l.line else {
            // No copy yet: a ticket cannot be judged, so none is turned away as unknown.
            return Figures {
                numbering: Numbering {
                    started_at: 0,
                    base: 0,
                    handed_out: HandedOut::Anywhere,
                },
                issued: 0,
                cursor: 0,
                gap: Gap::default(),
                claimed: 0,
                active: 0,
                limits: Limits {
                    paused: true,
                    ..l.config
                },
                state: crate::state::OperatorState::Open,
                movement: Movement {
                    pace: Pace {
                        per_minute: l.config.admit_per_minute.max(f64::MIN_POSITIVE),
                        spread: 0.5,
                    },
                    show_share: 1.0,
                    caught_up: 0,
                },
                adaptive: None,
                held: true,
                queue_all: false,
                phase: Phase::Open,
                order: Order::Fifo,
                supply: None,
            };
        };
        // `limits` holds for a new line's hold already; and while Redis is away.
        let (mut limits, phase) = Self::limits(&l.config, line, now);
        limits.paused |= !available;
        let held = !available || now < line.origin.hold_until;
        let operator =
            Override::in_force(&line.settings.admit_per_minute, l.config.admit_per_minute);
        Figures {
            // Numbers of an earlier line lie below `base`: none is mistaken for one of this
            // line's, so none is judged by when it was drawn.
            numbering: Numbering {
                started_at: 0,
                base: line.origin.base,
                handed_out: HandedOut::Anywhere,
            },
            issued: line.issued,
            cursor: line.cursor,
            gap: Gap {
                ghosts: line
                    .ghosts
                    .map_or(0, |(from, to)| to.saturating_sub(from.max(line.cursor))),
                end: line.ghosts.map_or(0, |(_, to)| to),
            },
            claimed: line.live.claimed,
            active: line.live.active,
            limits,
            state: line.settings.state,
            movement: Movement {
                pace: line.pace,
                show_share: line.share,
                caught_up: 0,
            },
            adaptive: l.config.adaptive.map(|_| operator.is_none()),
            held,
            queue_all: line.settings.queue_all,
            phase,
            order: Order::of(line.prequeue.as_ref()),
            supply: line.supply,
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
            self.pending.stale_settings.store(true, Ordering::Relaxed);
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
        self.known.message.load_full()
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
            // Ended here a moment ago: Redis hears of it with the next sync, the answer is
            // the same now.
            if self.known.ended.contains_key(&session) {
                return Ok(SessionStart::Ended);
            }
            if !self.available() {
                return Err(StateError::Unavailable("Redis is not reachable".into()));
            }
            let mut inv = self.call(&self.redis.scripts.admit);
            let code: i64 = inv
                .arg(session)
                .arg(max_passes)
                .arg(now)
                .arg(CLAIM_HOLD_MS)
                .invoke_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            match code {
                1 => Ok(SessionStart::New),
                2 => Ok(SessionStart::Existing),
                3 => Ok(SessionStart::Ended),
                n if n >= 1000 => Ok(SessionStart::Later {
                    ahead: (n - 1000) as u64,
                }),
                5 => Ok(SessionStart::UsedUp),
                _ => Err(lost()),
            }
        })
    }

    fn claims_ahead(&self, session: u64, now: Millis) -> StateFuture<'_, Option<u64>> {
        Box::pin(async move {
            if !self.available() {
                return Err(StateError::Unavailable("Redis is not reachable".into()));
            }
            let code: i64 = self
                .call(&self.redis.scripts.claim)
                .arg(session)
                .arg(now)
                .arg(CLAIM_HOLD_MS)
                .invoke_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            match code {
                0 => Ok(None),
                n if n >= 1000 => Ok(Some((n - 1000) as u64)),
                _ => Err(lost()),
            }
        })
    }

    fn ticket_seen(&self, seq: u64) {
        // Read first: nearly every poll shows a number below it, and a read shares the line.
        if seq >= self.shown.end.load(Ordering::Relaxed) {
            self.shown
                .end
                .fetch_max(seq.saturating_add(1), Ordering::Relaxed);
        }
        // A holder of a number in the counter's jump range: a person, not a gap.
        if seq < self.shown.gap_end.load(Ordering::Relaxed)
            && seq >= self.shown.in_gap.load(Ordering::Relaxed)
        {
            self.shown
                .in_gap
                .fetch_max(seq.saturating_add(1), Ordering::Relaxed);
        }
    }

    fn session_seen(&self, session: u64, now: Millis) -> bool {
        if self.known.ended.contains_key(&session) {
            return false;
        }
        self.pending.seen.insert(session, now);
        true
    }

    fn session_started(&self, session: u64) -> StateFuture<'_, Option<Millis>> {
        Box::pin(async move {
            if let Some(at) = self.known.started_at.get(&session) {
                return Ok(Some(*at));
            }
            if !self.available() {
                // No waiting for Redis's timeout on the proxied path: the header says "now".
                return Ok(None);
            }
            // Once per session and gateway: then from the copy here.
            let at: Option<Millis> = redis::cmd("HGET")
                .arg(&self.keys.sessions.started)
                .arg(session)
                .query_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            if let Some(at) = at {
                if self.known.started_at.len() >= STARTED_KEPT {
                    self.known.started_at.clear();
                }
                self.known.started_at.insert(session, at);
            }
            Ok(at)
        })
    }

    fn session_ended(&self, session: u64, until: Millis) {
        self.known.started_at.remove(&session);
        self.pending.seen.remove(&session);
        self.known.ended.insert(session, until);
        self.pending
            .ended
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((session, until));
    }

    fn sweep(&self, now: Millis, idle_ms: Millis, ticket_ms: Millis) {
        // Redis is swept by the lease holder; here only the copy of ended sessions.
        self.chores.idle_ms.store(idle_ms, Ordering::Relaxed);
        self.chores.ticket_ms.store(ticket_ms, Ordering::Relaxed);
        self.known.ended.retain(|_, until| *until > now);
    }

    fn supply(
        &self,
        change: SupplyChange,
        _now: Millis,
        durable: bool,
    ) -> StateFuture<'_, Option<Supply>> {
        Box::pin(self.report_supply(change, durable))
    }

    fn invited(&self, index: u64) -> StateFuture<'_, Option<u64>> {
        Box::pin(async move {
            redis::cmd("HGET")
                .arg(&self.keys.invitations)
                .arg(index)
                .query_async(&mut self.conn())
                .await
                .map_err(unavailable)
        })
    }

    fn invite(&self, index: u64, seq: u64, _now: Millis) -> StateFuture<'_, u64> {
        Box::pin(async move {
            // HSETNX: of gateways racing for one code, one sets it; the others read its number.
            let set: bool = redis::cmd("HSETNX")
                .arg(&self.keys.invitations)
                .arg(index)
                .arg(seq)
                .query_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            if set {
                return Ok(seq);
            }
            let kept: Option<u64> = redis::cmd("HGET")
                .arg(&self.keys.invitations)
                .arg(index)
                .query_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
            kept.ok_or_else(lost)
        })
    }

    fn enlist(&self, letter: Letter, _now: Millis) -> StateFuture<'_, Enlisted> {
        Box::pin(self.enlist_letter(letter))
    }

    fn replace_letter(&self, letter: Letter, _now: Millis) -> StateFuture<'_, Replaced> {
        Box::pin(self.replace(letter))
    }

    fn noted_address(&self, seq: u64) -> StateFuture<'_, Option<String>> {
        Box::pin(self.noted(seq))
    }

    fn letters(&self, from: u64, max: usize) -> StateFuture<'_, Option<Vec<Letter>>> {
        Box::pin(self.letters_from(from, max))
    }

    fn claim_letter(&self, seq: u64) -> StateFuture<'_, bool> {
        Box::pin(self.claim(seq))
    }

    fn letter_done(&self, seq: u64, _now: Millis) -> StateFuture<'_, ()> {
        Box::pin(self.letter_sent(seq))
    }

    fn upstream(&self, sample: &UpstreamSample, now: Millis) -> Option<(RateChange, f64)> {
        // The lease holder learns from its own share of the traffic: latency and error ratio
        // are ratios, the same on every gateway behind an even load balancer.
        let (people_wait, operator) = {
            let l = self.lock();
            let line = l.line.as_ref()?;
            let (limits, _) = Self::limits(&l.config, line, now);
            let wait = line.issued > line.cursor
                && !limits.paused
                && (limits.max_active == 0 || line.live.active < limits.max_active);
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
        self.health.available.load(Ordering::Relaxed)
    }

    fn passes_everyone(&self) -> bool {
        self.health.passing.load(Ordering::Relaxed)
    }

    fn health_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.available() {
            let why = self
                .health
                .why_unavailable
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            notes.push(format!(
                "room {}: Redis cannot be used ({why}); the line holds",
                self.room
            ));
        }
        if let Some(replicas) = self.redis.unconfirmed_with_replicas() {
            notes.push(format!(
                "room {}: Redis has {replicas} replica(s) but redis_min_replicas = 0: a failover \
                 could hand out numbers again",
                self.room
            ));
        }
        notes
    }

    fn backend(&self) -> BackendInfo {
        let l = self.lock();
        BackendInfo {
            kind: "redis",
            available: self.available(),
            leader: Some(l.line.as_ref().is_some_and(|line| line.live.leader)),
            epoch: l.line.as_ref().map(|line| line.origin.epoch),
        }
    }
}

/// What a store that came back older is assumed to have lost at most: this many draws a
/// second since the last draw it holds (or four times the line's busiest second, if more),
/// and a thousand besides. More than one Redis server runs draw scripts a second, far below
/// the million a second that keeps a later line's numbers above an earlier one's.
const ROLLBACK_DRAWS_PER_SECOND: u64 = 100_000;

impl SharedState {
    /// A new number from Redis, handed out only once `min_replicas` replicas have it too: one
    /// round trip (the draw and `WAIT` go together). Without their word the number is given
    /// to nobody, so that a replica promoted meanwhile cannot hand it out a second time.
    async fn draw_confirmed(
        &self,
        floor: u64,
        now: Millis,
        gate: Gate,
    ) -> Result<Vec<i64>, StateError> {
        let (address, challenge) = gate_fields(&gate);
        let inv = {
            let mut inv = self.call(&self.redis.scripts.draw);
            inv.arg(floor).arg(now);
            inv.arg(&address)
                .arg(gate.address.map_or(0, |(_, per_minute)| per_minute));
            inv.arg(&challenge)
                .arg(gate.challenge.map_or(0, |(_, until)| until));
            inv.arg(ROLLBACK_DRAWS_PER_SECOND);
            inv
        };
        let replicas = self.redis.min_replicas();
        if replicas == 0 {
            return inv
                .invoke_async(&mut self.conn())
                .await
                .map_err(unavailable);
        }
        let mut pipe = redis::pipe();
        pipe.invoke_script(&inv)
            .cmd("WAIT")
            .arg(replicas)
            .arg(self.redis.tuning().wait_ms);
        let mut conn = self.conn();
        let answer: Result<(Vec<i64>, u32), _> = pipe.query_async(&mut conn).await;
        let (reply, confirmed) = match answer {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                inv.load_async(&mut conn).await.map_err(unavailable)?;
                pipe.query_async(&mut conn).await.map_err(unavailable)?
            }
            other => other.map_err(unavailable)?,
        };
        if reply.len() > 2 && confirmed < replicas {
            if gate.address.is_some() || gate.challenge.is_some() {
                let undone: Result<i64, _> = self
                    .call(&self.redis.scripts.undo)
                    .arg(now)
                    .arg(&address)
                    .arg(&challenge)
                    .invoke_async(&mut conn)
                    .await;
                if let Err(e) = undone {
                    tracing::warn!(room = %self.room, error = %e, "cannot give back an unconfirmed draw's counts");
                }
            }
            tracing::warn!(
                room = %self.room,
                confirmed,
                wanted = replicas,
                "no replica confirmed a new number in time; it is handed to nobody"
            );
            return Err(StateError::Unavailable(format!(
                "{confirmed} of {replicas} Redis replicas confirmed the new number"
            )));
        }
        Ok(reply)
    }
}

/// How the scripts name a gate's address hash and challenge id: empty when not checked.
fn gate_fields(gate: &Gate) -> (String, String) {
    (
        gate.address
            .map_or(String::new(), |(hash, _)| format!("{hash:016x}")),
        gate.challenge
            .map_or(String::new(), |(id, _)| id.to_string()),
    )
}

// Every script gets the room's KEYS in one order (`SharedState::call`): 1 line, 2 sessions,
// 3 started, 4 passes, 5 ended, 6 endlog, 7 lease, 8 arrivals, 9 claims, 10 claimed_at,
// 11 and 12 addresses (by minute parity), 13 challenges.
