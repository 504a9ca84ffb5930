//! Runs a rehearsal: starts the staged gateway, makes sure the site answers, raises the rate
//! step by step while the crowd arrives, backs off at once after a bad step, and stops the
//! line when errors run away. Must not judge by itself: `ladder` says what a step means and
//! what comes next.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;

use crate::clock::SystemClock;
use crate::config::{Config, RoomConfig};
use crate::http1::{BodyFraming, Outbound, RequestBody};
use crate::ops::api::RoomChange;
use crate::ops::ctl::Ctl;
use crate::state::OperatorState;

use super::crowd::{Crowd, CrowdPlan, StepMeter};
use super::ladder::{self, AtKnee, Finish, Next, StepResult, Verdict};
use super::morning::{self, MorningPlan};
use super::terminal::Watch;
use super::{crowd_host, find_room, staged, RehearsalPlan, RehearseError, Rehearsed};

/// How often a running step is looked at (errors that ran away, the progress bar).
const LOOK_EVERY: Duration = Duration::from_millis(200);

/// Holds the rehearsal `plan` against the room of `config`, telling `watch` how it goes.
pub async fn rehearse(
    config: &Config,
    plan: &RehearsalPlan,
    watch: &dyn Watch,
) -> Result<Rehearsed, RehearseError> {
    let room = find_room(config, &plan.room)?;
    let (config, token) = staged(config, &room)?;
    let running = crate::server::start(config, Arc::new(SystemClock)).await?;
    let ctl = Ctl::new(
        &running.admin_addr.to_string(),
        Some(token),
        "rehearse".to_string(),
    )?;
    let stage = Rig {
        ctl,
        room: room.clone(),
        plan: plan.clone(),
    };
    let held = async {
        // Nobody is let in until the first step: the crowd gathers in a paused line.
        stage.set(None, OperatorState::Paused).await?;
        probe(&running, &room).await?;
        let crowd = Crowd::new(CrowdPlan {
            gateway: running.public_addrs[0],
            host: crowd_host(&room),
            landing: room.scope.path_prefix.clone(),
            journey: plan.journey.clone(),
            poll_cap: plan.pace.poll_cap,
            request_timeout: room.forward.upstream_timeout + Duration::from_secs(5),
        })
        .map_err(RehearseError::Crowd)?;
        let line = AtomicUsize::new(0);
        let climbed = tokio::select! {
            climbed = stage.climb(&crowd, &line, watch) => climbed,
            () = crowd.arrive(&line) => unreachable!("the crowd arrives until dropped"),
        };
        // Whatever happened, nobody more is let in from here on.
        let paused = stage.set(None, OperatorState::Paused).await;
        let (steps, ending) = climbed?;
        paused?;
        Ok(stage.conclude(steps, ending))
    }
    .await;
    if let Err(e) = running.shutdown().await {
        tracing::debug!(error = %e, "the rehearsal's gateway stopped untidily");
    }
    held
}

/// The staged gateway's room and how to steer it.
struct Rig {
    ctl: Ctl,
    room: Arc<RoomConfig>,
    plan: RehearsalPlan,
}

impl Rig {
    async fn set(&self, rate: Option<f64>, state: OperatorState) -> Result<(), RehearseError> {
        let change = RoomChange {
            admit_per_minute: rate.map(Some),
            state: Some(state),
            ..RoomChange::default()
        };
        self.ctl.set(&self.room.id, &change).await?;
        Ok(())
    }

    /// Step after step until the ladder says done.
    async fn climb(
        &self,
        crowd: &Arc<Crowd>,
        line: &AtomicUsize,
        watch: &dyn Watch,
    ) -> Result<(Vec<StepResult>, Finish), RehearseError> {
        let mut steps: Vec<StepResult> = Vec::new();
        loop {
            let rate = match self.plan.ladder.next(&steps) {
                Next::Step(rate) => rate,
                Next::Done(ending) => return Ok((steps, ending)),
            };
            // After a bad step the site gets a pause with nobody let in.
            if steps.last().is_some_and(|s| s.verdict.bad()) {
                self.set(None, OperatorState::Paused).await?;
                watch.pausing(self.plan.pace.cooldown);
                tokio::time::sleep(self.plan.pace.cooldown).await;
            }
            let step = self.step(crowd, line, rate, steps.len(), watch).await?;
            if step.verdict == Verdict::RanAway {
                // Back off before anything else: the site is falling over.
                self.set(None, OperatorState::Paused).await?;
            }
            watch.step_ended(&step);
            steps.push(step);
        }
    }

    /// One step at `rate`: settle, then measure until the hold is over or errors run away.
    async fn step(
        &self,
        crowd: &Arc<Crowd>,
        line: &AtomicUsize,
        rate: f64,
        index: usize,
        watch: &dyn Watch,
    ) -> Result<StepResult, RehearseError> {
        let pace = self.plan.pace;
        line.store(line_for(rate, pace.poll_cap), Ordering::Relaxed);
        self.set(Some(rate), OperatorState::Open).await?;
        let began = Instant::now();
        watch.step_began(index, rate, pace.hold);
        while began.elapsed() < pace.warmup {
            tokio::time::sleep(LOOK_EVERY).await;
            watch.step_progress(began.elapsed(), None);
        }
        let meter = Arc::new(StepMeter::new(Instant::now()));
        crowd.measure(Some(meter.clone()));
        let mut ended_early = false;
        while began.elapsed() < pace.hold {
            tokio::time::sleep(LOOK_EVERY).await;
            let (answered, failed) = meter.errors_so_far();
            if ladder::ran_away(answered, failed) {
                ended_early = true;
                break;
            }
            watch.step_progress(began.elapsed(), Some(&meter.read(Instant::now())));
        }
        crowd.measure(None);
        let reading = meter.read(Instant::now());
        let minutes = (reading.seconds / 60.0).max(f64::MIN_POSITIVE);
        let mut step = StepResult {
            per_minute: rate,
            driven_per_minute: reading.sessions as f64 / minutes,
            seconds: reading.seconds,
            requests: reading.requests,
            errors: reading.errors,
            error_ratio: if reading.requests > 0 {
                reading.errors as f64 / reading.requests as f64
            } else {
                0.0
            },
            latency_ms: reading.latency_ms,
            journeys_completed: reading.journeys_completed,
            peak_in_flight: reading.peak_in_flight,
            ended_early,
            verdict: Verdict::Good,
        };
        step.verdict = ladder::judge(&step, &self.plan.targets);
        Ok(step)
    }

    /// The knee, the settings and the morning from the steps.
    fn conclude(&self, steps: Vec<StepResult>, ending: Finish) -> Rehearsed {
        let knee = ladder::knee(&steps);
        let at_knee = knee.and_then(|k| {
            let step = steps
                .iter()
                .filter(|s| s.verdict == Verdict::Good && s.per_minute >= k)
                .min_by(|a, b| a.per_minute.total_cmp(&b.per_minute))?;
            Some(AtKnee {
                per_minute: k,
                peak_in_flight: step.peak_in_flight,
                journey_seconds: step.latency_ms.p95 / 1000.0
                    * self.plan.journey.requests.len() as f64,
                session_seconds: self.room.tickets.session_duration.as_secs_f64(),
            })
        });
        let recommended = at_knee.as_ref().map(ladder::recommend);
        let morning = match (self.plan.morning, recommended, at_knee) {
            (Some(m), Some(r), Some(at)) => Some(morning::play(&MorningPlan {
                appointments: m.appointments,
                visitors: m.visitors,
                arrivals_over_seconds: m.arrivals_over.as_secs_f64(),
                admit_per_minute: r.admit_per_minute as f64,
                journey_seconds: at.journey_seconds,
            })),
            _ => None,
        };
        Rehearsed {
            room: self.room.id.clone(),
            upstream: upstream_url(&self.room),
            targets: self.plan.targets,
            journey_requests: self.plan.journey.requests.len(),
            ending,
            knee_per_minute: knee,
            knee_is_lower_bound: ending == Finish::CeilingReached,
            crowd_drove_per_minute: ladder::crowd_drove(&steps),
            recommended,
            morning,
            steps,
        }
    }
}

/// How many visitors should wait at `rate` so that the line never runs dry between polls.
fn line_for(rate: f64, poll_cap: Duration) -> usize {
    let per_second = rate / 60.0;
    (per_second * (poll_cap.as_secs_f64() + 1.0) * 1.5).ceil() as usize + 5
}

fn upstream_url(room: &RoomConfig) -> String {
    format!("{}://{}", room.upstream.scheme, room.upstream.authority)
}

/// One request straight to the upstream, through the gateway's own pool: it must answer,
/// and not with a 5xx, before a crowd is sent.
async fn probe(running: &crate::Running, room: &RoomConfig) -> Result<(), RehearseError> {
    let upstream = upstream_url(room);
    let pool = running
        .gateway
        .site
        .load()
        .room(&room.id)
        .map(|r| r.pool.clone())
        .ok_or(RehearseError::Input("the staged gateway lost its room"))?;
    let head = format!(
        "GET {} HTTP/1.1\r\nhost: {}\r\nuser-agent: wartesaal-rehearse\r\n\r\n",
        room.scope.path_prefix,
        crowd_host(room)
    );
    let out = Outbound {
        head: head.into_bytes(),
        method: Method::GET,
        body: RequestBody::empty(),
        framing: BodyFraming::Empty,
    };
    let wait = room.forward.upstream_timeout.min(Duration::from_secs(15));
    let answer = match tokio::time::timeout(wait, pool.send(out)).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => {
            return Err(RehearseError::UpstreamDown {
                upstream,
                why: e.to_string(),
            })
        }
        Err(_) => {
            return Err(RehearseError::UpstreamDown {
                upstream,
                why: format!("no answer within {wait:?}"),
            })
        }
    };
    if answer.status().is_server_error() {
        return Err(RehearseError::UpstreamFailing {
            upstream,
            status: answer.status().as_u16(),
        });
    }
    Ok(())
}
