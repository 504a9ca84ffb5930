//! The admin API's words: what a room reports, what a change asks for, how a refusal reads and
//! what the dashboard charts. The server (`admin`) writes these and its client (`ctl`) reads
//! them, so the two cannot drift apart. Must not compute anything: the server fills them in.
//!
//! Every struct lists its fields in alphabetical order: that is the order the answers had when
//! they were built as JSON maps, and some readers compare the text.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::state::OperatorState;

/// `GET /api/v1/rooms`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoomList {
    #[serde(default)]
    pub rooms: Vec<RoomStatus>,
}

/// `GET /api/v1/rooms/{id}`, and the answer to a change: a room's live figures and settings.
///
/// A field an older gateway does not send reads as empty, so `ctl` still shows the rest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomStatus {
    pub active_sessions: u64,
    /// `None` without `[rooms.adaptive]`.
    pub adaptive: Option<AdaptiveStatus>,
    /// The rate the room is set to (config, operator or adaptive mode), paused or not.
    #[serde(deserialize_with = "number_or_null")]
    pub admit_per_minute: f64,
    pub backend: BackendStatus,
    /// Where this line's numbers begin; `issued` and `cursor` count from it.
    pub base: u64,
    /// What the config file says, before the operator's changes.
    pub config: ConfiguredLimits,
    pub cursor: u64,
    /// The rate admissions go at now: 0 while paused or closed.
    #[serde(deserialize_with = "number_or_null")]
    pub effective_admit_per_minute: f64,
    pub estimated_wait_range_seconds: Option<[u64; 2]>,
    /// A newcomer's wait; `None` while nobody is admitted.
    pub estimated_wait_seconds: Option<u64>,
    /// The gateway holds admission for a moment (the shared state cannot be reached, or a new
    /// line waits for an earlier one's holders).
    pub held: bool,
    pub id: String,
    pub issued: u64,
    /// 0 = no cap.
    pub max_active: u64,
    pub message: OperatorMessage,
    /// With a message: the offered languages it is not written in (they are shown it in the
    /// room's default language), for the dashboard to flag.
    #[serde(default)]
    pub message_missing: Vec<String>,
    /// The languages the room offers, its default first.
    #[serde(default)]
    pub languages: Vec<LanguageStatus>,
    pub queue_all: bool,
    /// `None` without `[rooms.schedule]`.
    pub schedule: Option<ScheduleStatus>,
    #[serde(deserialize_with = "number_or_null")]
    pub show_up_ratio: f64,
    pub sold_out: bool,
    /// `"open"`, `"paused"` or `"closed"`.
    pub state: String,
    /// `None` when the room does not count its supply.
    pub supply: Option<SupplyStatus>,
    pub supply_remaining: Option<u64>,
    pub title: String,
    /// `scheme://authority` of the booking site.
    pub upstream: String,
    pub waiting: u64,
}

/// The operator's message to visitors, by language tag (`{"de": "…", "tr": "…"}`); a
/// language left out has none of its own and is shown the room's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OperatorMessage {
    pub texts: BTreeMap<String, String>,
}

impl OperatorMessage {
    pub fn get(&self, lang: &str) -> &str {
        self.texts.get(lang).map_or("", String::as_str)
    }
}

/// A language the room offers, for the dashboard's message fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanguageStatus {
    pub tag: String,
    /// Its name in itself.
    pub name: String,
}

/// The config file's limits, which a change set back to null returns to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfiguredLimits {
    #[serde(deserialize_with = "number_or_null")]
    pub admit_per_minute: f64,
    pub max_active: u64,
}

/// `[rooms.adaptive]` and whether it sets the rate now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdaptiveStatus {
    /// `false` while an operator's rate overrides it.
    pub active: bool,
    #[serde(deserialize_with = "number_or_null")]
    pub max_error_ratio: f64,
    #[serde(deserialize_with = "number_or_null")]
    pub max_per_minute: f64,
    #[serde(deserialize_with = "number_or_null")]
    pub min_per_minute: f64,
    pub target_latency_ms: u64,
}

/// Which state backend holds the room and how it is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackendStatus {
    pub available: bool,
    /// Shared: how many times the shared line was begun or restored after Redis lost it.
    pub epoch: Option<u64>,
    /// `"embedded"` or `"redis"`.
    pub kind: String,
    /// Shared: whether this gateway advances the cursor now.
    pub leader: Option<bool>,
}

/// The schedule, where it stands and the pre-queue's draw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleStatus {
    /// The opening before: whoever of its draw still waits keeps the drawn place.
    pub earlier_draw: Option<EarlierDraw>,
    pub opens_at: String,
    /// `"before_open"`, `"prequeue"` or `"open"`.
    pub phase: String,
    /// `None` while the room is first come, first served.
    pub prequeue: Option<PrequeueStatus>,
    pub prequeue_from: String,
}

/// The tickets waiting for the opening's draw, or put in order by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrequeueStatus {
    pub first_ticket: u64,
    /// `true` once the draw is made.
    pub frozen: bool,
    pub size: u64,
}

/// The draw of the opening before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EarlierDraw {
    pub first_ticket: u64,
    pub opens_at: String,
    pub size: u64,
}

/// `[rooms.supply]`: what is left to book and how bookings go.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SupplyStatus {
    pub admitted: u64,
    pub appointments: u64,
    pub booked: u64,
    /// What the chance is judged by; `None` until enough visitors were admitted.
    pub bookings_per_admission: Option<f64>,
    pub next_release: Option<String>,
    pub remaining: u64,
}

/// `PATCH /api/v1/rooms/{id}`: what a change asks for. A field left out stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RoomChange {
    /// `true`: the adaptive mode sets the rate again (the operator's rate is lifted);
    /// `false`: the rate it has reached is kept as the operator's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<bool>,
    /// `Some(None)` (null): back to the config's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admit_per_minute: Option<Option<f64>>,
    /// `Some(None)` (null): back to the config's value; 0 = no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_active: Option<Option<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageChange>,
    /// `true`: everyone waits, even while there is room, until it is set `false` again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_all: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<OperatorState>,
    /// What is left to book, as the operator counts it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supply_remaining: Option<u64>,
}

/// The message per language tag: each text given replaces that language's ("" removes it);
/// a language left out stays. The tag `""` stands for the room's default language (a plain
/// string `"message": "…"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageChange {
    pub texts: BTreeMap<String, String>,
    /// `"message": null`: every language's text goes.
    pub clear: bool,
}

impl Serialize for MessageChange {
    /// A text for the default language alone goes as a plain string, which the server reads
    /// as the room's language; else an object by language.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.texts.get("") {
            Some(text) if self.texts.len() == 1 => s.serialize_str(text),
            _ => self.texts.serialize(s),
        }
    }
}

/// Any refusal: what is wrong and, for a refused body, with which field (`message.de` for a
/// nested one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    pub error: String,
    /// Written as null when no field is to blame.
    #[serde(default)]
    pub field: Option<String>,
}

/// `GET /api/v1/series`: the last hour of every room, for the dashboard's charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub interval_seconds: u64,
    /// By room id, each oldest first.
    pub rooms: BTreeMap<String, Vec<Sample>>,
}

/// One point of a room's charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    pub active_sessions: u64,
    pub admit_per_minute: f64,
    /// New sessions per minute over the interval.
    pub admitted_per_minute: f64,
    pub estimated_wait_seconds: u64,
    /// Unix seconds.
    pub t: u64,
    /// Share of upstream exchanges that failed (5xx, error, timeout) over the interval.
    pub upstream_error_ratio: Option<f64>,
    /// Mean time to upstream response headers over the interval; `None` without exchanges.
    pub upstream_latency_ms: Option<f64>,
    pub waiting: u64,
    /// Time in line of those admitted over the hour before this sample: the median and the
    /// 90th percentile (from `wartesaal_wait_seconds`); `None` while nobody was admitted.
    #[serde(default)]
    pub wait_p50_seconds: Option<f64>,
    #[serde(default)]
    pub wait_p90_seconds: Option<f64>,
    /// Of those waiting, how many are told that an appointment is unlikely (everyone once
    /// sold out); `None` without a counted supply or while it is too early to tell.
    #[serde(default)]
    pub told_unlikely: Option<u64>,
}

/// A number the server wrote as null (JSON has no NaN or infinity, so serde_json writes those
/// as null) reads as NaN: `ctl` shows "-" for it instead of refusing the whole answer.
fn number_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_reads_back_as_it_was_written() {
        let room = RoomStatus {
            id: "impfzentrum".into(),
            state: "open".into(),
            admit_per_minute: 60.0,
            estimated_wait_range_seconds: Some([3, 4]),
            schedule: Some(ScheduleStatus {
                prequeue: Some(PrequeueStatus {
                    first_ticket: 1,
                    frozen: true,
                    size: 3,
                }),
                ..ScheduleStatus::default()
            }),
            ..RoomStatus::default()
        };
        let text = serde_json::to_string(&RoomList {
            rooms: vec![room.clone()],
        })
        .unwrap();
        let back: RoomList = serde_json::from_str(&text).unwrap();
        assert_eq!(back.rooms, [room]);
    }

    #[test]
    fn a_number_written_as_null_reads_as_nan_and_a_missing_field_as_empty() {
        let room: RoomStatus =
            serde_json::from_str(r#"{"id": "r", "effective_admit_per_minute": null}"#).unwrap();
        assert!(room.effective_admit_per_minute.is_nan());
        assert_eq!((room.id.as_str(), room.waiting), ("r", 0));
        let written = serde_json::to_string(&RoomStatus {
            show_up_ratio: f64::NAN,
            ..RoomStatus::default()
        })
        .unwrap();
        assert!(written.contains(r#""show_up_ratio":null"#), "{written}");
    }

    #[test]
    fn a_change_names_only_what_it_changes() {
        let change = RoomChange {
            admit_per_minute: Some(None),
            state: Some(OperatorState::Paused),
            message: Some(MessageChange {
                texts: [("de".to_string(), "Pause".to_string())].into(),
                clear: false,
            }),
            ..RoomChange::default()
        };
        assert_eq!(
            serde_json::to_string(&change).unwrap(),
            r#"{"admit_per_minute":null,"message":{"de":"Pause"},"state":"paused"}"#
        );
    }

    #[test]
    fn a_refusal_without_a_field_says_null() {
        let refusal = ErrorAnswer {
            error: "not found".into(),
            field: None,
        };
        let text = serde_json::to_string(&refusal).unwrap();
        assert_eq!(text, r#"{"error":"not found","field":null}"#);
        assert_eq!(serde_json::from_str::<ErrorAnswer>(&text).unwrap(), refusal);
    }
}
