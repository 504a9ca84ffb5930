//! "Tell me when it's my turn": the e-mail field on the waiting page, the page that answers
//! it, and the e-mail itself, in the visitor's language. Plain HTML that works without
//! JavaScript. Must not send or keep anything: `gateway` takes the form, `ops` sends.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::clock::Millis;
use crate::config::RoomConfig;
use crate::locale::{Arg, Lang, Locale};
use crate::queue::schedule::local_time;

use super::form::{form_page, Field, FormPage, OneField};
use super::templates::Templates;
use super::texts::{day_and_time, next_release_words};
use super::{escape, room_offset, PageLanguage, STYLESHEET};

/// How the e-mail form was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyAnswer {
    /// Noted: the address it will go to, the place's code (to come back with on any device,
    /// before the e-mail comes), and whether it replaced an address noted before.
    Noted {
        to: String,
        code: Option<String>,
        replaced: bool,
    },
    Invalid,
    /// Letters beyond ASCII before the `@`: said why, not "no address".
    NotAscii,
    /// The e-mail for this place was sent already: one per place.
    Already,
    /// The address was replaced as often as it may be.
    TooManyChanges,
    Limited,
    NoPlace,
    /// The place is called already: an e-mail would come too late.
    Called,
    Unavailable,
}

/// The page that answers the e-mail form (`form.html`, else built in).
/// The page that answers the e-mail form (`form.html`, else built in); where the form is
/// shown again it holds what was `typed`.
pub fn notify_page(
    templates: Option<&Templates>,
    room: &RoomConfig,
    lang: Lang,
    answer: &NotifyAnswer,
    typed: Option<&str>,
) -> Bytes {
    form_page(templates, &notify_form_page(room, lang, answer, typed))
}

/// An answer as a template's trial render shows it.
pub(super) fn sample_noted() -> NotifyAnswer {
    NotifyAnswer::Noted {
        to: "ann@example.org".into(),
        code: Some("7K3M-QX2P-9D4R-TW8B".into()),
        replaced: true,
    }
}

pub(super) fn notify_form_page<'a>(
    room: &'a RoomConfig,
    lang: Lang,
    answer: &NotifyAnswer,
    typed: Option<&str>,
) -> FormPage<'a> {
    let w: &'a Locale = room.locales.get(lang);
    let (heading, status, error) = match answer {
        NotifyAnswer::Noted { to, replaced, .. } => (
            w.text("notify-thanks"),
            Some(w.say(
                if *replaced {
                    "notify-replaced-text"
                } else {
                    "notify-thanks-text"
                },
                &[("address", Arg::Text(to))],
            )),
            None,
        ),
        NotifyAnswer::Invalid => (w.text("notify-label"), None, Some("notify-invalid")),
        NotifyAnswer::NotAscii => (w.text("notify-label"), None, Some("notify-not-ascii")),
        NotifyAnswer::Already => (w.text("notify-label"), None, Some("notify-already")),
        NotifyAnswer::TooManyChanges => (w.text("notify-label"), None, Some("notify-changes-used")),
        NotifyAnswer::Limited => (w.text("notify-label"), None, Some("notify-limited")),
        NotifyAnswer::NoPlace => (w.text("notify-label"), None, Some("notify-no-place")),
        NotifyAnswer::Called => (w.text("notify-label"), None, Some("notify-called")),
        NotifyAnswer::Unavailable => (w.text("notify-label"), None, Some("notify-unavailable")),
    };
    // Shown again where a second try can help, with what was typed.
    let again = matches!(
        answer,
        NotifyAnswer::Invalid | NotifyAnswer::NotAscii | NotifyAnswer::Limited
    );
    // The place code with the thanks: the way back on any device before the e-mail comes.
    let code_note = match answer {
        NotifyAnswer::Noted {
            code: Some(code), ..
        } => Some(w.say("notify-code", &[("code", Arg::Text(code))]).into()),
        _ => None,
    };
    FormPage {
        kind: "notify",
        speech: PageLanguage::new(room, w, &room.scope.path_prefix),
        site: &room.title,
        page_title: format!("{heading} – {}", room.title),
        heading,
        intro: None,
        status,
        error: error.map(|id| w.text(id).into_owned()),
        form: OneField {
            action: again.then(|| format!("/.wartesaal/notify?room={}", room.id)),
            field: again.then(|| Field::email(w.text("notify-field")).with_value(typed)),
            submit: w.text("notify-submit"),
        },
        note: again.then(|| w.text("notify-privacy")).or(code_note),
        back_href: Some(&room.scope.path_prefix),
        back_label: w.text("notify-back"),
        way_back: None,
        stylesheet: STYLESHEET,
    }
}

/// The e-mail field, as the built-in waiting page shows it: to give an address, or, with
/// one `noted` already (masked), to replace it.
pub(super) fn notify_form(out: &mut String, w: &Locale, action: &str, noted: Option<&str>) {
    let _ = write!(
        out,
        "<form class=\"ws-form ws-notify\" method=\"post\" action=\"{}\">",
        escape(action)
    );
    Field::email(w.text("notify-field")).write(out);
    let submit = if noted.is_some() {
        "notify-change"
    } else {
        "notify-submit"
    };
    let _ = write!(
        out,
        "<button type=\"submit\">{}</button></form><p class=\"ws-note\">{}</p>",
        escape(&w.text(submit)),
        escape(&w.text("notify-privacy")),
    );
}

/// The e-mail's subject and plain-text body.
pub struct LetterText {
    pub subject: String,
    pub body: String,
}

/// Why a letter goes out; in the order of the metric's `kind` labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterKind {
    /// The turn is within `lead_time`.
    Soon,
    /// Called already.
    Called,
    /// Nothing is left to book: the one e-mail that says so, instead of the turn's.
    SoldOut,
    /// The operator closed the room.
    Closed,
}

/// What a letter says besides the place: why it goes out, and at the end the operator's
/// message (the sold-out e-mail names the next release as the page does).
pub struct LetterFacts<'a> {
    pub kind: LetterKind,
    pub message: Option<&'a str>,
}

/// The e-mail for the holder of place `code`: nearly their turn, called already, or nothing
/// left; with the link that gives the place back until `until` (Unix ms) where a place is
/// still worth something.
pub fn letter(
    room: &RoomConfig,
    lang: Lang,
    code: Option<&str>,
    link: &str,
    until: Millis,
    facts: &LetterFacts<'_>,
) -> LetterText {
    let w = room.locales.get(lang);
    let (subject, opening) = match facts.kind {
        LetterKind::Called => ("letter-subject-now", "letter-now"),
        LetterKind::Soon => ("letter-subject-soon", "letter-soon"),
        LetterKind::SoldOut => ("letter-subject-sold-out", "letter-sold-out"),
        LetterKind::Closed => ("letter-subject-closed", "letter-closed"),
    };
    let site = [("site", Arg::Text(&room.title))];
    let mut body = String::with_capacity(1024);
    let _ = write!(body, "{}\r\n", w.say(opening, &site));
    let release = room.supply.and_then(|s| s.next_release);
    if let (LetterKind::SoldOut, Some((at, offset))) = (facts.kind, release) {
        let _ = write!(body, "\r\n{}\r\n", next_release_words(w, room, at, offset));
    }
    if let Some(message) = facts.message {
        let said = w.say("letter-message", &[("text", Arg::Text(message))]);
        let _ = write!(body, "\r\n{said}\r\n");
    }
    if facts.kind != LetterKind::Closed {
        let (offset, known) = room_offset(room, until / 1000);
        let mut until_words = day_and_time(w, &local_time(until, offset));
        if !known {
            until_words.push_str(" UTC");
        }
        let lead = match facts.kind {
            LetterKind::SoldOut => "letter-kept",
            _ => "letter-link",
        };
        // The link and the code stand on lines of their own: in a right-to-left letter they
        // read as they are, and a mail program finds the link.
        let _ = write!(
            body,
            "\r\n{}\r\n{link}\r\n\r\n{}\r\n",
            w.text(lead),
            w.say("letter-until", &[("when", Arg::Text(&until_words))]),
        );
        if let Some(code) = code {
            let _ = write!(
                body,
                "\r\n{}\r\n",
                w.say("letter-code", &[("code", Arg::Text(code))])
            );
        }
    }
    let _ = write!(body, "\r\n-- \r\n{}\r\n", w.text("letter-footer"));
    LetterText {
        // A subject shows the isolates as they are in some mail programs: none there.
        subject: Locale::plain(&w.say(subject, &site)),
        body,
    }
}
