//! The operator's message to visitors: read from a PATCH body per language tag (a plain
//! string in the room's language), fitted to the languages the room offers, and which of them
//! it is not written in. Must not apply it: `admin` does.

use serde_json::{Map, Value};

use crate::config::RoomConfig;
use crate::locale::Lang;
use crate::ops::api::MessageChange;
use crate::site::Room;
use crate::state::Message;

use super::admin::{invalid, Invalid};

/// Longest operator message per language, in characters.
const MAX_MESSAGE_CHARS: usize = 1000;

pub(super) fn parse_message(value: &Value) -> Result<MessageChange, Invalid> {
    let fields: &Map<String, Value> = match value {
        Value::Null => {
            return Ok(MessageChange {
                clear: true,
                ..MessageChange::default()
            })
        }
        // A plain string: in the room's default language.
        Value::String(text) => {
            let mut message = MessageChange::default();
            message
                .texts
                .insert(String::new(), message_text("message", text)?);
            return Ok(message);
        }
        Value::Object(m) => m,
        _ => {
            return Err(invalid(
                "message",
                "must be a string (in the room's language), an object by language like \
                 {\"de\": \"…\", \"tr\": \"…\"}, or null to remove it",
            ))
        }
    };
    let mut message = MessageChange::default();
    for (lang, text) in fields {
        let field = format!("message.{lang}");
        let Some(tag) = Lang::parse(lang) else {
            return Err(invalid(
                &field,
                "is not a language tag (de, tr, ar, pt-BR, …)",
            ));
        };
        let text = match text {
            Value::String(s) => message_text(&field, s)?,
            Value::Null => String::new(),
            _ => return Err(invalid(&field, "must be a string")),
        };
        message.texts.insert(tag.code().to_string(), text);
    }
    Ok(message)
}

/// One language's text, checked: not too long, no control characters.
fn message_text(field: &str, text: &str) -> Result<String, Invalid> {
    let text = text.trim();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(invalid(
            field,
            format!("longer than {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(text.to_string())
}

/// The message's languages as the room offers them: the default's for a plain string, and
/// none the visitors could never be shown.
pub(super) fn fit_message(message: &mut MessageChange, room: &Room) -> Result<(), Invalid> {
    let locales = &room.cfg.locales;
    if let Some(text) = message.texts.remove("") {
        message
            .texts
            .insert(room.cfg.language().code().to_string(), text);
    }
    for tag in message.texts.keys() {
        let offered = Lang::parse(tag).is_some_and(|l| locales.offers(l));
        if !offered {
            let list: Vec<String> = locales.menu().map(|l| l.lang().to_string()).collect();
            return Err(invalid(
                &format!("message.{tag}"),
                format!(
                    "this room does not offer `{tag}`; it offers {}",
                    list.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The languages the room offers that its message is not written in: shown the default's.
pub(super) fn missing_languages(message: &Message, cfg: &RoomConfig) -> Vec<String> {
    if message.is_empty() {
        return Vec::new();
    }
    cfg.locales
        .menu()
        .map(|l| l.lang().to_string())
        .filter(|tag| message.texts.get(tag).is_none_or(String::is_empty))
        .collect()
}
