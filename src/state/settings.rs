//! What an operator set for a room at run time (rate, cap, open/paused/closed, message), and
//! how it combines with the config's limits. Kept by every backend alike; must not store
//! anything itself.

use serde::{Deserialize, Serialize};

use crate::queue::admission::Limits;

/// What an operator changed at run time (admin API). A value the operator set is kept together
/// with the config's value at that moment, so that a later edit of the config file wins again:
/// the most recent change counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admit_per_minute: Option<Override<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_active: Option<Override<u64>>,
    #[serde(default)]
    pub state: OperatorState,
    #[serde(default)]
    pub message: Message,
    /// Everyone waits, even while there is room: nobody new is let in until it is lifted
    /// (passes in hand keep working).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub queue_all: bool,
}

impl Settings {
    /// Whether an operator's value was set against a config value that has changed since.
    pub fn has_stale(&self, admit_per_minute: f64, max_active: u64) -> bool {
        self.admit_per_minute
            .is_some_and(|o| o.config_was != admit_per_minute)
            || self.max_active.is_some_and(|o| o.config_was != max_active)
    }

    /// Drops the operator's values set against config values that have changed since: the
    /// config file was edited later, and the most recent change wins.
    pub fn drop_stale(&mut self, admit_per_minute: f64, max_active: u64) {
        if self
            .admit_per_minute
            .is_some_and(|o| o.config_was != admit_per_minute)
        {
            self.admit_per_minute = None;
        }
        if self.max_active.is_some_and(|o| o.config_was != max_active) {
            self.max_active = None;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override<T> {
    pub value: T,
    /// The config file's value when the operator set this one.
    pub config_was: T,
}

impl<T: Copy + PartialEq> Override<T> {
    /// The operator's value, if it is in force: set against the config's current value (an
    /// edit of the config file since makes it stale).
    pub fn in_force(this: &Option<Override<T>>, config: T) -> Option<T> {
        this.filter(|o| o.config_was == config).map(|o| o.value)
    }

    /// The value in force: the operator's, unless the config has changed since.
    pub fn over(this: &Option<Override<T>>, config: T) -> T {
        Override::in_force(this, config).unwrap_or(config)
    }
}

/// The operator's say over a room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorState {
    #[default]
    Open,
    /// No admissions; the page shows the operator's message.
    Paused,
    /// Nothing left: no new tickets, waiting visitors are told so.
    Closed,
}

impl OperatorState {
    pub fn name(self) -> &'static str {
        match self {
            OperatorState::Open => "open",
            OperatorState::Paused => "paused",
            OperatorState::Closed => "closed",
        }
    }
}

/// The operator's message to visitors, by language tag (`{"de": "…", "tr": "…"}`, as the
/// state has always written German and English); an empty text is none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Message {
    pub texts: std::collections::BTreeMap<String, String>,
}

impl Message {
    /// The text a visitor reading `lang` sees: theirs, else the room's `default`, else the
    /// first written; and whether it is in another language than theirs.
    pub fn shown(&self, lang: &str, default: &str) -> Option<(&str, bool)> {
        let written = |tag: &str| {
            self.texts
                .get(tag)
                .map(String::as_str)
                .filter(|t| !t.is_empty())
        };
        if let Some(text) = written(lang) {
            return Some((text, false));
        }
        written(default)
            .or_else(|| {
                self.texts
                    .values()
                    .map(String::as_str)
                    .find(|t| !t.is_empty())
            })
            .map(|text| (text, true))
    }

    pub fn is_empty(&self) -> bool {
        self.texts.values().all(String::is_empty)
    }
}

/// The operator's rate, if it is in force.
pub fn operator_rate(settings: &Settings, config: &Limits) -> Option<f64> {
    Override::in_force(&settings.admit_per_minute, config.admit_per_minute)
}

/// The config's limits with the operator's settings and the adaptive rate applied: an
/// operator's rate wins over the learnt one, which wins over the config's.
pub fn effective(config: &Limits, settings: &Settings, adaptive: Option<f64>) -> Limits {
    Limits {
        admit_per_minute: operator_rate(settings, config)
            .or(adaptive)
            .unwrap_or(config.admit_per_minute),
        max_active: Override::over(&settings.max_active, config.max_active),
        paused: config.paused || settings.state != OperatorState::Open || settings.queue_all,
        adaptive: config.adaptive,
        schedule: config.schedule,
        appointments: config.appointments,
        supply: config.supply,
    }
}
