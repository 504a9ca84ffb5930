//! A room's `[rooms.supply]` (what there is to book) and its `[[rooms.eligibility]]` questions.
//! Must not check one room against another.

use std::collections::BTreeMap;

use crate::queue::supply::MAX_SUPPLY;

use super::walk::Section;
use super::{Lang, Problem, Question, SupplyConfig};

/// The most questions one room may ask before its line: a short form, not a survey.
const MAX_QUESTIONS: usize = 10;
/// The longest a question or its `otherwise` text may be, in characters.
const MAX_TEXT: usize = 1_000;

/// What a "no" shows when the question names no `otherwise` text.
const OTHERWISE_DE: &str = "Dann können Sie hier leider keinen Termin buchen. Das Warten in \
                            dieser Warteschlange würde sich für Sie nicht lohnen.";
const OTHERWISE_EN: &str = "Then you cannot book an appointment here, and waiting in this \
                            queue would not help you.";

/// `[rooms.supply]`: `appointments` (required) and `next_release`.
pub(super) fn supply_section(
    path: &str,
    t: &toml::Table,
    p: &mut Vec<Problem>,
) -> Option<SupplyConfig> {
    let before = p.len();
    let mut s = Section::new(path, t);
    let appointments = s.unsigned("appointments", 0, p);
    if appointments.is_none() && p.len() == before {
        p.push(s.problem(
            "appointments",
            "missing",
            "how many appointments there are to book when the room opens, e.g. 4000",
        ));
    }
    if let Some(n) = appointments.filter(|n| *n > MAX_SUPPLY) {
        p.push(s.problem(
            "appointments",
            format!("{n} is out of range"),
            format!("at most {MAX_SUPPLY}"),
        ));
    }
    let next_release = s.time("next_release", p);
    s.finish(p);
    (p.len() == before).then(|| SupplyConfig {
        appointments: appointments.unwrap_or(0),
        next_release,
    })
}

/// `[rooms.invitations]`: `required` (default false).
pub(super) fn invitations_section(path: &str, t: &toml::Table, p: &mut Vec<Problem>) -> bool {
    let mut s = Section::new(path, t);
    let required = s.boolean("required", p).unwrap_or(false);
    s.finish(p);
    required
}

/// `[[rooms.eligibility]]`: the yes/no questions asked before a ticket is drawn.
pub(super) fn eligibility_sections(
    path: &str,
    value: &toml::Value,
    p: &mut Vec<Problem>,
) -> Vec<Question> {
    let toml::Value::Array(items) = value else {
        p.push(Problem {
            key: path.to_string(),
            message: format!("expected [[{path}]] tables, found {}", value.type_str()),
            hint: "write each question as its own [[rooms.eligibility]] table".into(),
        });
        return Vec::new();
    };
    if items.len() > MAX_QUESTIONS {
        p.push(Problem {
            key: path.to_string(),
            message: format!("{} questions", items.len()),
            hint: format!(
                "ask at most {MAX_QUESTIONS}: every one stands between a citizen and the line"
            ),
        });
    }
    let mut questions = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let key = format!("{path}[{i}]");
        let toml::Value::Table(t) = item else {
            p.push(Problem {
                key,
                message: format!("expected a table, found {}", item.type_str()),
                hint: "each question is a table with de, en, otherwise_de and otherwise_en".into(),
            });
            continue;
        };
        let before = p.len();
        let mut s = Section::new(key, t);
        let text = |s: &mut Section, name: &'static str, required: bool, p: &mut Vec<Problem>| {
            let value = match s.get(name) {
                None if required => {
                    p.push(s.problem(
                        name,
                        "missing",
                        "the question in German (de) and in English (en), answered yes or no",
                    ));
                    None
                }
                None => None,
                Some(toml::Value::String(v)) if v.trim().is_empty() => {
                    p.push(s.problem(name, "is empty", "write the text, or leave the key out"));
                    None
                }
                Some(toml::Value::String(v)) => Some(v.trim()),
                Some(other) => {
                    s.wrong_type(name, "a string", other, p);
                    None
                }
            };
            if let Some(c) = value.and_then(odd_char) {
                p.push(s.problem(
                    name,
                    format!("contains the control character {c:?}"),
                    "write plain text: no control or text-direction characters",
                ));
            }
            if let Some(v) = value.filter(|v| v.chars().count() > MAX_TEXT) {
                p.push(s.problem(
                    name,
                    format!("{} characters", v.chars().count()),
                    format!("keep it under {MAX_TEXT} characters"),
                ));
            }
            value.map(str::to_string)
        };
        let de = text(&mut s, "de", true, p);
        let en = text(&mut s, "en", true, p);
        let otherwise_de = text(&mut s, "otherwise_de", false, p);
        let otherwise_en = text(&mut s, "otherwise_en", false, p);
        let mut texts = by_language(&mut s, "text", p);
        let mut otherwise = by_language(&mut s, "otherwise", p);
        s.finish(p);
        if p.len() == before {
            texts.insert("de".into(), de.unwrap_or_default());
            texts.insert("en".into(), en.unwrap_or_default());
            otherwise.insert(
                "de".into(),
                otherwise_de.unwrap_or_else(|| OTHERWISE_DE.to_string()),
            );
            otherwise.insert(
                "en".into(),
                otherwise_en.unwrap_or_else(|| OTHERWISE_EN.to_string()),
            );
            questions.push(Question { texts, otherwise });
        }
    }
    questions
}

/// A question's `text` or `otherwise` in more languages: `{ tr = "…", ar = "…" }`.
fn by_language(
    s: &mut Section,
    name: &'static str,
    p: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    let mut texts = BTreeMap::new();
    match s.get(name) {
        None => {}
        Some(toml::Value::Table(t)) => {
            for (tag, value) in t {
                let key = format!("{name}.{tag}");
                match (Lang::parse(tag), value) {
                    (Some(lang), toml::Value::String(v)) if !v.trim().is_empty() => {
                        if let Some(c) = odd_char(v) {
                            p.push(s.problem(
                                &key,
                                format!("contains the control character {c:?}"),
                                "write plain text: no control or text-direction characters",
                            ));
                        }
                        texts.insert(lang.code().to_string(), v.trim().to_string());
                    }
                    (None, _) => p.push(s.problem(
                        &key,
                        format!("`{tag}` is not a language tag"),
                        "name each text by its language: tr = \"…\", ar = \"…\"",
                    )),
                    (Some(_), _) => p.push(s.problem(
                        &key,
                        "must be a text",
                        "write the text, or leave the language out",
                    )),
                }
            }
        }
        Some(other) => s.wrong_type(name, "a table by language, like { tr = \"…\" }", other, p),
    }
    texts
}

/// The first control or text-direction character in `text`: they would be sent to every
/// visitor as they are, and can turn a page's words around.
fn odd_char(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}
