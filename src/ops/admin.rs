//! The admin listener: owns `/metrics`, `/healthz`, `/readyz`, the admin API under `/api/v1/`
//! and the ops dashboard at `/`. Must not be reachable from the public listener; it serves
//! ops, not visitors.
//!
//! Reading is open to whoever reaches the (private) listener; every change needs the bearer
//! token from `admin.token_file`, is applied only once it is durable, and is logged with who,
//! what and when.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::clock::Millis;
use crate::config::{AdminToken, MAX_ADMIT_PER_MINUTE};
use crate::forward::{self, Body};
use crate::gateway::plain;
use crate::ops::api::{
    AdaptiveStatus, BackendStatus, ConfiguredLimits, EarlierDraw, ErrorAnswer, LanguageStatus,
    OperatorMessage, PrequeueStatus, RoomChange, RoomList, RoomStatus, ScheduleStatus, Series,
    SupplyStatus,
};
use crate::ops::history;
use crate::ops::message::{fit_message, missing_languages, parse_message};
use crate::ops::Ops;
use crate::queue::schedule::{format_time, Order, Schedule};
use crate::queue::supply::{SupplyChange, MAX_SUPPLY};
use crate::site::Room;
use crate::state::Figures;
use crate::state::{OperatorState, Override, Settings, StateError};

/// Largest PATCH body read.
const MAX_BODY: usize = 16 * 1024;

pub const DASHBOARD: &str = include_str!("../../assets/dashboard.html");

pub async fn serve(
    ops: Arc<Ops>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
    Ok(handle(&ops, req, peer).await)
}

async fn handle(ops: &Ops, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let read = method == Method::GET || method == Method::HEAD;
    match path.as_str() {
        "/metrics" if read => {
            ops.tick();
            let mut resp = Response::new(forward::full(Bytes::from(ops.gateway.metrics.render())));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            resp
        }
        "/healthz" if read => plain(StatusCode::OK, "ok"),
        // Ready while the embedded state is being saved, or Redis answers.
        "/readyz" if read => {
            // The first line says it; what follows says why, or what to look at anyway.
            let (status, first) = if ops.ready() {
                (StatusCode::OK, "ready")
            } else {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not ready: room state cannot be saved or Redis cannot be reached",
                )
            };
            let mut text = String::from(first);
            for note in ops.health_notes() {
                text.push('\n');
                text.push_str(&note);
            }
            text.push('\n');
            let mut resp = Response::new(forward::full(Bytes::from(text)));
            *resp.status_mut() = status;
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            resp
        }
        "/" if read => {
            let mut resp = Response::new(forward::full(Bytes::from_static(DASHBOARD.as_bytes())));
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            // Everything the page needs is in it; nothing may be loaded from elsewhere.
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                     connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
                     form-action 'none'; frame-ancestors 'none'",
                ),
            );
            resp
        }
        "/api/v1/rooms" if read => {
            let site = ops.gateway.site.load();
            let rooms = site.rooms.iter().map(|r| room_status(ops, r)).collect();
            json_answer(StatusCode::OK, &RoomList { rooms })
        }
        "/api/v1/series" if read => {
            ops.tick();
            json_answer(
                StatusCode::OK,
                &Series {
                    interval_seconds: history::INTERVAL_MS / 1000,
                    rooms: ops.history.series(),
                },
            )
        }
        _ => match path.strip_prefix("/api/v1/rooms/") {
            Some(id) => {
                let site = ops.gateway.site.load_full();
                let Some(room) = site.room(id) else {
                    return error(StatusCode::NOT_FOUND, "no room with this id", None);
                };
                if read {
                    json_answer(StatusCode::OK, &room_status(ops, room))
                } else if method == Method::PATCH {
                    patch(ops, room, req, peer, site.admin_token.as_ref()).await
                } else {
                    not_allowed("GET, HEAD, PATCH")
                }
            }
            None if [
                "/metrics",
                "/healthz",
                "/readyz",
                "/",
                "/api/v1/rooms",
                "/api/v1/series",
            ]
            .contains(&path.as_str()) =>
            {
                not_allowed("GET, HEAD")
            }
            None => error(StatusCode::NOT_FOUND, "not found", None),
        },
    }
}

/// A room's live figures and settings.
fn room_status(ops: &Ops, room: &Room) -> RoomStatus {
    let now = ops.gateway.clock.now_ms();
    let figures = room.state.figures(now);
    let settings = room.state.settings();
    let cfg = &room.cfg;
    let wait = figures.wait_for_newcomer();
    RoomStatus {
        active_sessions: figures.active,
        adaptive: cfg.adaptive.map(|a| AdaptiveStatus {
            active: figures.adaptive == Some(true),
            max_error_ratio: a.max_error_ratio,
            max_per_minute: a.max_per_minute,
            min_per_minute: a.min_per_minute,
            target_latency_ms: a.target_latency.as_millis() as u64,
        }),
        admit_per_minute: figures.limits.admit_per_minute,
        backend: backend_status(room.state.backend()),
        base: figures.numbering.base,
        config: ConfiguredLimits {
            admit_per_minute: cfg.admit_per_minute,
            max_active: cfg.max_active,
        },
        // Counted from the line's first number (see `base`).
        cursor: figures.cursor.saturating_sub(figures.numbering.base),
        effective_admit_per_minute: figures.effective_rate(),
        estimated_wait_range_seconds: wait.map(|w| [w.low, w.high]),
        estimated_wait_seconds: wait.map(|w| w.seconds),
        held: figures.held,
        id: cfg.id.clone(),
        issued: figures.issued.saturating_sub(figures.numbering.base),
        max_active: figures.limits.max_active,
        message: OperatorMessage {
            texts: settings
                .message
                .texts
                .iter()
                .filter(|(_, t)| !t.is_empty())
                .map(|(l, t)| (l.clone(), t.clone()))
                .collect(),
        },
        message_missing: missing_languages(&settings.message, cfg),
        languages: cfg
            .locales
            .menu()
            .map(|l| LanguageStatus {
                tag: l.lang().to_string(),
                name: l.name().to_string(),
            })
            .collect(),
        queue_all: figures.queue_all,
        schedule: cfg.schedule.as_ref().map(|s| schedule_status(s, &figures)),
        show_up_ratio: figures.movement.show_share,
        sold_out: figures.sold_out(),
        state: figures.state.name().to_string(),
        supply: figures.supply.map(|s| SupplyStatus {
            admitted: s.admitted,
            appointments: s.appointments,
            booked: s.booked,
            // What the chance is judged by; null until enough visitors were admitted.
            bookings_per_admission: (s.admitted >= crate::queue::supply::MIN_ADMITTED)
                .then(|| s.booked as f64 / s.admitted as f64),
            next_release: cfg
                .supply
                .and_then(|c| c.next_release)
                .map(|(at, offset)| format_time(at, offset)),
            remaining: s.remaining,
        }),
        supply_remaining: figures.supply.map(|s| s.remaining),
        title: cfg.title.clone(),
        upstream: format!("{}://{}", cfg.upstream.scheme, cfg.upstream.authority),
        waiting: figures.waiting(),
    }
}

/// Which state backend holds the room and how it is doing.
fn backend_status(b: crate::state::BackendInfo) -> BackendStatus {
    BackendStatus {
        available: b.available,
        epoch: b.epoch,
        kind: b.kind.to_string(),
        leader: b.leader,
    }
}

/// The schedule, where it stands and the pre-queue's draw.
fn schedule_status(s: &Schedule, figures: &Figures) -> ScheduleStatus {
    let prequeue = match figures.order {
        Order::Fifo => None,
        Order::Gathering { first, .. } => Some(PrequeueStatus {
            first_ticket: first.saturating_sub(figures.numbering.base),
            frozen: false,
            size: figures.issued.saturating_sub(first),
        }),
        Order::Drawn { first, frozen, .. } => Some(PrequeueStatus {
            first_ticket: first.saturating_sub(figures.numbering.base),
            frozen: true,
            size: frozen.size,
        }),
    };
    let earlier = match figures.order {
        Order::Fifo => None,
        Order::Gathering { earlier, .. } | Order::Drawn { earlier, .. } => earlier,
    };
    ScheduleStatus {
        earlier_draw: earlier.map(|e| EarlierDraw {
            first_ticket: e.first.saturating_sub(figures.numbering.base),
            opens_at: format_time(e.opens_at, s.offset_minutes),
            size: e.frozen.size,
        }),
        opens_at: format_time(s.window.opens_at, s.offset_minutes),
        phase: figures.phase.name().to_string(),
        prequeue,
        prequeue_from: format_time(s.window.prequeue_from, s.offset_minutes),
    }
}

/// Whether `change` touches the operator's settings (not only the supply).
fn touches_settings(change: &RoomChange) -> bool {
    change.admit_per_minute.is_some()
        || change.max_active.is_some()
        || change.state.is_some()
        || change.queue_all.is_some()
        || change.message.is_some()
        || change.adaptive.is_some()
}

/// A refused body: what is wrong and with which field.
#[derive(Debug, PartialEq)]
pub(super) struct Invalid {
    pub(super) field: Option<String>,
    pub(super) message: String,
}

pub(super) fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        field: Some(field.to_string()),
        message: message.into(),
    }
}

/// A JSON text with no key twice in any object: `{"state":"open","state":"closed"}` means
/// nothing one could act on, and readers differ on which one wins.
struct NoRepeatedKeys;

impl<'de> serde::Deserialize<'de> for NoRepeatedKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoRepeatedKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for NoRepeatedKeys {
    type Value = NoRepeatedKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoRepeatedKeys>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "\"{key}\" is given twice; give each field once"
                )));
            }
            map.next_value::<NoRepeatedKeys>()?;
        }
        Ok(self)
    }
}

/// A PATCH body, fully checked before anything is applied.
fn parse_change(body: &[u8]) -> Result<RoomChange, Invalid> {
    let not_json = |e: serde_json::Error| Invalid {
        field: None,
        message: format!("the body is not JSON: {e}"),
    };
    let value: Value = serde_json::from_slice(body).map_err(not_json)?;
    serde_json::from_slice::<NoRepeatedKeys>(body).map_err(|e| Invalid {
        field: None,
        message: format!("the body repeats a key: {e}"),
    })?;
    let Value::Object(fields) = value else {
        return Err(Invalid {
            field: None,
            message: "the body must be a JSON object".into(),
        });
    };
    let mut change = RoomChange::default();
    for (key, value) in &fields {
        match key.as_str() {
            "admit_per_minute" => {
                change.admit_per_minute = Some(match value {
                    Value::Null => None,
                    v => match v.as_f64() {
                        Some(r) if r.is_finite() && r > 0.0 && r <= MAX_ADMIT_PER_MINUTE => Some(r),
                        _ => {
                            return Err(invalid(
                                key,
                                "must be a number above 0 (new sessions per minute), or null \
                                 for the config's value",
                            ))
                        }
                    },
                })
            }
            "max_active" => {
                change.max_active =
                    Some(match value {
                        Value::Null => None,
                        v => match v.as_u64() {
                            Some(n) => Some(n),
                            None => return Err(invalid(
                                key,
                                "must be a whole number of at least 0 (0 = no cap), or null for \
                                 the config's value",
                            )),
                        },
                    })
            }
            "state" => {
                change.state = Some(match value.as_str() {
                    Some("open") => OperatorState::Open,
                    Some("paused") => OperatorState::Paused,
                    Some("closed") => OperatorState::Closed,
                    _ => return Err(invalid(key, "must be \"open\", \"paused\" or \"closed\"")),
                })
            }
            "queue_all" => match value {
                Value::Bool(on) => change.queue_all = Some(*on),
                _ => {
                    return Err(invalid(
                        key,
                        "must be true (everyone waits, nobody new is let in) or false",
                    ))
                }
            },
            "message" => change.message = Some(parse_message(value)?),
            "supply_remaining" => match value.as_u64() {
                Some(n) if n <= MAX_SUPPLY => change.supply_remaining = Some(n),
                _ => {
                    return Err(invalid(
                        key,
                        format!("must be a whole number from 0 to {MAX_SUPPLY}: the appointments left to book"),
                    ))
                }
            },
            "adaptive" => match value {
                Value::Bool(on) => change.adaptive = Some(*on),
                _ => {
                    return Err(invalid(
                        key,
                        "must be true (the learnt rate applies again) or false (keep the \
                         rate it reached)",
                    ))
                }
            },
            other => {
                return Err(invalid(
                    other,
                    "unknown field; known: admit_per_minute, max_active, state, queue_all, message, \
                     adaptive, supply_remaining",
                ))
            }
        }
    }
    if change == RoomChange::default() {
        return Err(Invalid {
            field: None,
            message: "nothing to change: give admit_per_minute, max_active, state, queue_all, \
                      message, adaptive or supply_remaining"
                .into(),
        });
    }
    match (change.adaptive, change.admit_per_minute) {
        (Some(true), Some(Some(_))) => {
            return Err(invalid(
                "adaptive",
                "cannot be switched on together with a manual admit_per_minute",
            ))
        }
        (Some(false), Some(None)) => {
            return Err(invalid(
                "adaptive",
                "cannot be switched off while admit_per_minute is set back to null",
            ))
        }
        _ => {}
    }
    Ok(change)
}

fn apply(change: &RoomChange, settings: &mut Settings, config: &crate::queue::admission::Limits) {
    if let Some(rate) = change.admit_per_minute {
        settings.admit_per_minute = rate.map(|value| Override {
            value,
            config_was: config.admit_per_minute,
        });
    }
    if let Some(cap) = change.max_active {
        settings.max_active = cap.map(|value| Override {
            value,
            config_was: config.max_active,
        });
    }
    if let Some(state) = change.state {
        settings.state = state;
    }
    if let Some(on) = change.queue_all {
        settings.queue_all = on;
    }
    if let Some(message) = &change.message {
        if message.clear {
            settings.message.texts.clear();
        }
        for (lang, text) in &message.texts {
            if text.is_empty() {
                settings.message.texts.remove(lang);
            } else {
                settings.message.texts.insert(lang.clone(), text.clone());
            }
        }
    }
}

async fn patch(
    ops: &Ops,
    room: &Room,
    req: Request<Incoming>,
    peer: SocketAddr,
    token: Option<&AdminToken>,
) -> Response<Body> {
    let Some(token) = token else {
        return error(
            StatusCode::FORBIDDEN,
            "changes are turned off: set admin.token_file in the config and reload",
            None,
        );
    };
    if !authorized(req.headers(), token) {
        return unauthorized(ops, room, peer);
    }
    let operator = req
        .headers()
        .get("x-wartesaal-operator")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(64).collect::<String>())
        .unwrap_or_default();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than 16 KiB or was cut off",
                None,
            )
        }
    };
    let author = Author {
        peer,
        operator,
        at: ops.gateway.clock.now_ms(),
    };
    let change = match parse_change(&body).and_then(|c| fit_to_room(c, room, author.at)) {
        Ok(c) => c,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why.message, why.field.as_deref()),
    };
    if let Some(n) = change.supply_remaining {
        if save_supply(room, n, &author).await.is_err() {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the supply could not be saved and was not applied; see the log",
                None,
            );
        }
        if !touches_settings(&change) {
            ops.tick();
            return json_answer(StatusCode::OK, &room_status(ops, room));
        }
    }
    save_settings(ops, room, &change, &body, &author).await
}

/// Who asked for a change and when, for the log line that records it.
struct Author {
    peer: SocketAddr,
    /// What the caller's `X-Wartesaal-Operator` header says (64 characters at most).
    operator: String,
    at: Millis,
}

/// The answer to a bad or missing token, with a log line at most every ten seconds: a token
/// guesser must not fill the log.
fn unauthorized(ops: &Ops, room: &Room, peer: SocketAddr) -> Response<Body> {
    let mut resp = error(
        StatusCode::UNAUTHORIZED,
        "a valid admin token is needed (Authorization: Bearer ...): the one in \
         admin.token_file, or the one `wartesaal demo` printed when it started",
        None,
    );
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"wartesaal\""),
    );
    ops.gateway.metrics.admin_unauthorized.inc();
    let now = ops.gateway.clock.now_ms();
    if let Some(since) = ops.refusals_to_log(now) {
        tracing::warn!(
            room = %room.cfg.id,
            from = %peer,
            refused_since_last_line = since,
            "admin change refused: bad or missing token (at most one such line every 10 s; \
             wartesaal_admin_unauthorized_total counts them all)"
        );
    }
    resp
}

/// `change` as this room can carry it out, or why not when the room lacks what it needs:
/// `adaptive` becomes the rate it stands for.
fn fit_to_room(mut change: RoomChange, room: &Room, now: Millis) -> Result<RoomChange, Invalid> {
    match change.adaptive {
        Some(_) if room.cfg.adaptive.is_none() => {
            return Err(invalid(
                "adaptive",
                "this room has no adaptive mode: set [rooms.adaptive] enabled = true in the \
                 config and reload",
            ))
        }
        // Lifting the operator's rate hands the rate back to the adaptive mode.
        Some(true) => change.admit_per_minute = Some(None),
        // Keeping what it reached: the rate now becomes the operator's.
        Some(false) if change.admit_per_minute.is_none() => {
            let rate = room.state.figures(now).limits.admit_per_minute;
            change.admit_per_minute = Some(Some(rate));
        }
        _ => {}
    }
    if let Some(message) = &mut change.message {
        fit_message(message, room)?;
    }
    if change.supply_remaining.is_some() && room.cfg.supply.is_none() {
        return Err(invalid(
            "supply_remaining",
            "this room does not count its supply: add [rooms.supply] appointments to the \
             config and reload",
        ));
    }
    Ok(change)
}

/// Sets what is left to book to `remaining`, durably; either way the log says so.
async fn save_supply(room: &Room, remaining: u64, author: &Author) -> Result<(), StateError> {
    match room
        .state
        .supply(SupplyChange::Remaining(remaining), author.at, true)
        .await
    {
        Ok(_) => {
            tracing::info!(
                room = %room.cfg.id,
                from = %author.peer,
                operator = %author.operator,
                at_unix_ms = author.at,
                remaining,
                "operator set the supply"
            );
            Ok(())
        }
        Err(e) => {
            tracing::error!(room = %room.cfg.id, error = %e, "operator's supply not saved");
            Err(e)
        }
    }
}

/// Applies `change` to the operator's settings once it is durable, and answers with the room.
async fn save_settings(
    ops: &Ops,
    room: &Room,
    change: &RoomChange,
    body: &[u8],
    author: &Author,
) -> Response<Body> {
    match room
        .state
        .update_settings(&mut |s, config| apply(change, s, config), author.at)
        .await
    {
        Ok(settings) => {
            tracing::info!(
                room = %room.cfg.id,
                from = %author.peer,
                operator = %author.operator,
                at_unix_ms = author.at,
                change = %String::from_utf8_lossy(body),
                state = settings.state.name(),
                "operator changed the room"
            );
            // Gauges show the change at once, not at the next tick.
            ops.tick();
            json_answer(StatusCode::OK, &room_status(ops, room))
        }
        Err(e) => {
            tracing::error!(room = %room.cfg.id, error = %e, "operator change not saved");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the change could not be saved and was not applied; see the log",
                None,
            )
        }
    }
}

/// Compares the bearer token in constant time (over digests, so the length leaks nothing
/// either).
fn authorized(headers: &http::HeaderMap, token: &AdminToken) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let a = Sha256::digest(given.trim().as_bytes());
    let b = Sha256::digest(token.0.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn json_answer(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let mut body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    body.push(b'\n');
    let mut resp = Response::new(forward::full(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn error(status: StatusCode, message: &str, field: Option<&str>) -> Response<Body> {
    json_answer(
        status,
        &ErrorAnswer {
            error: message.to_string(),
            field: field.map(str::to_string),
        },
    )
}

fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut resp = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed here",
        None,
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_field_by_field() {
        let field = |body: &str| parse_change(body.as_bytes()).unwrap_err().field;
        for (body, named) in [
            ("{\"admit_per_minute\": -1}", Some("admit_per_minute")),
            ("{\"admit_per_minute\": \"fast\"}", Some("admit_per_minute")),
            ("{\"max_active\": 1.5}", Some("max_active")),
            ("{\"state\": \"gone\"}", Some("state")),
            ("{\"message\": {\"<b>\": \"x\"}}", Some("message.<b>")),
            ("{\"message\": 3}", Some("message")),
            ("{\"message\": {\"de\": 3}}", Some("message.de")),
            ("{\"rate\": 5}", Some("rate")),
            ("{\"adaptive\": \"on\"}", Some("adaptive")),
            (
                "{\"adaptive\": true, \"admit_per_minute\": 5}",
                Some("adaptive"),
            ),
            ("{}", None),
            ("[1]", None),
            ("{", None),
            // A key given twice is refused, at the top and inside the message.
            ("{\"state\":\"open\",\"state\":\"closed\"}", None),
            ("{\"message\":{\"de\":\"a\",\"de\":\"b\"}}", None),
        ] {
            assert_eq!(field(body).as_deref(), named, "{body}");
        }
        let twice = parse_change(br#"{"state":"open","state":"closed"}"#).unwrap_err();
        assert!(
            twice.message.contains("\"state\" is given twice"),
            "{twice:?}"
        );
        let long = format!("{{\"message\": {{\"en\": \"{}\"}}}}", "x".repeat(1001));
        assert_eq!(field(&long).as_deref(), Some("message.en"));

        let c = parse_change(
            br#"{"admit_per_minute": 30, "max_active": null, "state": "paused",
                 "message": {"de": " Kurze Pause ", "en": "Short break"}}"#,
        )
        .unwrap();
        assert_eq!(c.admit_per_minute, Some(Some(30.0)));
        assert_eq!(c.max_active, Some(None));
        assert_eq!(c.state, Some(OperatorState::Paused));
        let texts = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(l, t)| (l.to_string(), t.to_string()))
                .collect()
        };
        assert_eq!(
            c.message.map(|m| m.texts),
            Some(texts(&[("de", "Kurze Pause"), ("en", "Short break")]))
        );
        let c =
            parse_change(r#"{"message": {"TR": "Kısa bir ara", "en": null}}"#.as_bytes()).unwrap();
        assert_eq!(
            c.message.map(|m| m.texts),
            Some(texts(&[("tr", "Kısa bir ara"), ("en", "")]))
        );
        // A plain string is in the room's language; null clears every language.
        let c = parse_change(br#"{"message": "Kurze Pause"}"#).unwrap();
        assert_eq!(
            c.message.map(|m| m.texts),
            Some(texts(&[("", "Kurze Pause")]))
        );
        let c = parse_change(br#"{"message": null}"#).unwrap();
        assert!(c.message.is_some_and(|m| m.clear && m.texts.is_empty()));
        let c = parse_change(br#"{"adaptive": false, "admit_per_minute": 5}"#).unwrap();
        assert_eq!(
            (c.adaptive, c.admit_per_minute),
            (Some(false), Some(Some(5.0)))
        );
    }

    #[test]
    fn only_the_exact_token_is_accepted() {
        let token = AdminToken("s3cret-token-0123456789".into());
        let with = |v: &str| {
            let mut h = http::HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            authorized(&h, &token)
        };
        assert!(with("Bearer s3cret-token-0123456789"));
        assert!(!with("Bearer s3cret-token-012345678"));
        assert!(!with("Bearer s3cret-token-01234567890"));
        assert!(!with("Basic s3cret-token-0123456789"));
        assert!(!authorized(&http::HeaderMap::new(), &token));
    }
}
