//! `wartesaal rehearse`: the dress rehearsal. Owns measuring what a room's booking site can
//! take before the morning: it starts the room's gateway in-process in front of the room's own
//! upstream (no other address), drives a synthetic crowd through it at rising admission rates,
//! and reports the knee with the settings to use. Must not touch the operator's state (the
//! rehearsal's line lives in memory) nor reach any address but the room's upstream.
//!
//! `journey` reads what a visitor does, `crowd` is the visitors, `ladder` the arithmetic of
//! steps and the knee, `morning` the morning played on paper, `drive` runs it all, `report`
//! writes the table and the HTML, `terminal` shows the progress.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::access::ticket::Secret;
use crate::config::{AdminToken, Config, HostPattern, RoomConfig};
use crate::http1::UpstreamError;
use crate::ops::ctl::CtlError;
use crate::server::StartError;

pub mod crowd;
mod drive;
pub mod journey;
pub mod ladder;
pub mod morning;
pub mod report;
pub mod terminal;

pub use drive::rehearse;
pub use journey::{Journey, JourneyError};
pub use ladder::{Ladder, Recommended, StepResult, Targets};
pub use morning::{Morning, MorningPlan};

/// Why a rehearsal could not be held.
#[derive(Debug, thiserror::Error)]
pub enum RehearseError {
    #[error("no room `{room}` in {config} (its rooms: {known})")]
    NoRoom {
        room: String,
        config: PathBuf,
        known: String,
    },
    #[error(transparent)]
    Journey(#[from] JourneyError),
    #[error("the room's upstream {upstream} cannot be reached: {why}. Start the staging site (or fix rooms.upstream) and try again; no step was run")]
    UpstreamDown { upstream: String, why: String },
    #[error("the room's upstream {upstream} answers {status} already without load. Fix the staging site first; no step was run")]
    UpstreamFailing { upstream: String, status: u16 },
    #[error("cannot start the rehearsal's gateway: {0}")]
    Start(#[from] StartError),
    #[error("cannot steer the rehearsal's gateway: {0}")]
    Control(#[from] CtlError),
    #[error("cannot set up the crowd: {0}")]
    Crowd(UpstreamError),
    #[error("no randomness for the rehearsal's keys: {0}")]
    Random(getrandom::Error),
    #[error("cannot write the report {path}: {source}")]
    Report {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Input(&'static str),
}

/// How long each part of a step lasts and how often visitors poll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepPace {
    /// A step's whole length, warm-up included.
    pub hold: Duration,
    /// The start of a step that is not measured: the line settles at the new rate.
    pub warmup: Duration,
    /// The pause after a bad step, with nobody let in, for the site to recover.
    pub cooldown: Duration,
    /// The longest a waiting visitor waits between polls.
    pub poll_cap: Duration,
}

impl StepPace {
    /// Steps of `hold`; a quarter of it to settle, half of it to recover after a bad one.
    pub fn of(hold: Duration, poll_cap: Duration) -> StepPace {
        StepPace {
            hold,
            warmup: (hold / 4).max(poll_cap * 2).min(hold / 2),
            cooldown: hold / 2,
            poll_cap,
        }
    }
}

/// The morning to play with the recommended rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crowding {
    pub appointments: u64,
    pub visitors: u64,
    pub arrivals_over: Duration,
}

/// Everything a rehearsal needs besides the config.
#[derive(Debug, Clone)]
pub struct RehearsalPlan {
    pub room: String,
    pub journey: Journey,
    pub targets: Targets,
    pub ladder: Ladder,
    pub pace: StepPace,
    pub morning: Option<Crowding>,
}

/// What a rehearsal found: the `--json` answer and what the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Rehearsed {
    pub room: String,
    pub upstream: String,
    pub targets: Targets,
    pub journey_requests: usize,
    pub ending: ladder::Finish,
    /// The highest rate (new sessions per minute) with p95 under the target and errors under
    /// the limit; `None` when no step was.
    pub knee_per_minute: Option<f64>,
    /// Every step up to the ceiling was good: the knee is at least this.
    pub knee_is_lower_bound: bool,
    /// The most new sessions per minute the crowd could start: no knee above it is claimed.
    pub crowd_drove_per_minute: f64,
    pub recommended: Option<Recommended>,
    pub morning: Option<Morning>,
    pub steps: Vec<StepResult>,
}

/// The room `id` of `config`, or an error naming the rooms there are.
pub fn find_room(config: &Config, id: &str) -> Result<Arc<RoomConfig>, RehearseError> {
    config
        .rooms
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .ok_or_else(|| RehearseError::NoRoom {
            room: id.to_string(),
            config: config.path.clone(),
            known: config
                .rooms
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The room's `target_latency` and `max_error_ratio`: from `[rooms.adaptive]`, switched on or
/// not (read again from the config file, which the validated config keeps only when it is
/// on), else the defaults the adaptive mode would use.
pub fn targets(config: &Config, room: &RoomConfig) -> Targets {
    if let Some(a) = &room.adaptive {
        return Targets {
            target_latency_ms: a.target_latency.as_secs_f64() * 1000.0,
            max_error_ratio: a.max_error_ratio,
        };
    }
    let mut targets = Targets {
        target_latency_ms: 800.0,
        max_error_ratio: 0.05,
    };
    let text = std::fs::read_to_string(&config.path).unwrap_or_default();
    let Ok(table) = text.parse::<toml::Table>() else {
        return targets;
    };
    let adaptive = table
        .get("rooms")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_table())
        .find(|r| r.get("id").and_then(|v| v.as_str()) == Some(room.id.as_str()))
        .and_then(|r| r.get("adaptive"))
        .and_then(|a| a.as_table());
    if let Some(a) = adaptive {
        let latency = a.get("target_latency").and_then(|v| v.as_str());
        if let Some(d) = latency.and_then(|s| humantime::parse_duration(s).ok()) {
            targets.target_latency_ms = d.as_secs_f64() * 1000.0;
        }
        if let Some(r) = a.get("max_error_ratio").and_then(|v| v.as_float()) {
            targets.max_error_ratio = r;
        }
    }
    targets
}

/// The gateway the rehearsal runs: only the room, on free loopback ports, its line in
/// memory, and nothing between the crowd and the site but the line itself (no schedule,
/// supply, questions, invitations, per-address limits or caps; waiting answers are 202 so the
/// crowd can tell them from the site's). Returns the admin token that steers it.
pub fn staged(config: &Config, room: &RoomConfig) -> Result<(Config, String), RehearseError> {
    let mut staged = config.clone();
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    staged.server.listen = vec![loopback];
    staged.server.tls = None;
    staged.server.max_connections_per_address = 0;
    staged.server.trusted_proxies = Vec::new();
    staged.admin.listen = loopback;
    let token = Secret::generate()
        .map_err(RehearseError::Random)?
        .to_base64();
    staged.admin.token = Some(AdminToken(token.clone()));
    staged.state.dir = None;
    staged.state.redis = None;
    let mut room = room.clone();
    room.schedule = None;
    room.supply = None;
    room.notify = None;
    room.adaptive = None;
    room.max_active = 0;
    room.tickets.issuance = Default::default();
    room.tickets.eligibility = Vec::new();
    room.tickets.invitations_required = false;
    room.tickets.queueing_status = http::StatusCode::ACCEPTED;
    room.scope.bypass_cidrs = Vec::new();
    // The site is measured, not the gateway's cap: a cap reached would answer "busy" in the
    // site's name.
    room.forward.max_upstream_concurrency = room.forward.max_upstream_concurrency.max(4096);
    staged.rooms = vec![Arc::new(room)];
    Ok((staged, token))
}

/// The `Host` the crowd sends: one the room answers to, the upstream's own for `*`.
pub fn crowd_host(room: &RoomConfig) -> String {
    match room.scope.hosts.first() {
        Some(HostPattern::Exact(h)) => h.clone(),
        Some(HostPattern::Suffix(s)) => format!("www{s}"),
        Some(HostPattern::Any) | None => room.upstream.authority.host().to_string(),
    }
}

/// What the rehearsal will do, in words, for the question before it starts.
pub fn describe(config: &Config, plan: &RehearsalPlan) -> String {
    let room = config.rooms.iter().find(|r| r.id == plan.room);
    let (upstream, host) = match room {
        Some(r) => (
            format!("{}://{}", r.upstream.scheme, r.upstream.authority),
            crowd_host(r),
        ),
        None => (String::from("?"), String::from("?")),
    };
    format!(
        "The rehearsal of room `{}` sends a synthetic crowd to {upstream} (Host: {host}).\n\
         It raises the admission rate from {:.0} to at most {:.0} new sessions per minute, \
         {:.0} s a step, each admitted visitor walking a journey of {} request(s).\n\
         That site gets real load: point the room at a staging site, not the live one.",
        plan.room,
        plan.ladder.start,
        plan.ladder.ceiling,
        plan.pace.hold.as_secs_f64(),
        plan.journey.requests.len()
    )
}

/// What the operator asked for on the command line.
#[derive(Debug, Clone)]
pub struct Asked {
    pub room: String,
    pub journey: Option<PathBuf>,
    pub max_per_minute: Option<f64>,
    pub start_per_minute: Option<f64>,
    pub step_seconds: f64,
    pub poll_seconds: f64,
    pub morning: Option<Crowding>,
}

/// The rehearsal `asked` means for `config`: its room, journey, targets and ladder. The
/// highest rate defaults to the room's adaptive `max_per_minute`, else four times its
/// `admit_per_minute` (at least 600); the first step is five rises of 1.5 below it.
pub fn plan(config: &Config, asked: &Asked) -> Result<RehearsalPlan, RehearseError> {
    let room = find_room(config, &asked.room)?;
    let journey = match &asked.journey {
        Some(file) => Journey::load(file, &room.scope.path_prefixes)?,
        None => Journey::landing(&room.scope.path_prefix),
    };
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !positive(asked.step_seconds) || !positive(asked.poll_seconds) {
        return Err(RehearseError::Input(
            "--step-seconds and --poll-seconds must be above zero",
        ));
    }
    let ceiling = asked
        .max_per_minute
        .unwrap_or_else(|| match &room.adaptive {
            Some(a) => a.max_per_minute,
            None => (room.admit_per_minute * 4.0).max(600.0),
        });
    let start = asked.start_per_minute.unwrap_or(ceiling / RISE.powi(5));
    if !positive(ceiling) || !positive(start) || start > ceiling {
        return Err(RehearseError::Input(
            "rates must be above zero, and --start-per-minute at most --max-per-minute",
        ));
    }
    Ok(RehearsalPlan {
        room: room.id.clone(),
        journey,
        targets: targets(config, &room),
        ladder: Ladder {
            start,
            ceiling,
            factor: RISE,
            resolution: 1.1,
            max_steps: 16,
        },
        pace: StepPace::of(
            Duration::from_secs_f64(asked.step_seconds),
            Duration::from_secs_f64(asked.poll_seconds),
        ),
        morning: asked.morning,
    })
}

/// Each rising step's rate over the last: few steps to the ceiling, then refined.
const RISE: f64 = 1.5;
