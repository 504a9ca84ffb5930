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
use super::texts::day_and_time;
use super::{escape, room_offset, PageLanguage, STYLESHEET};

/// How the e-mail form was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyAnswer {
    /// Noted: the address it will go to.
    Noted(String),
    Invalid,
    Already,
    Limited,
    NoPlace,
    /// The place is called already: an e-mail would come too late.
    Called,
    Unavailable,
}

/// The page that answers the e-mail form (`form.html`, else built in).
pub fn notify_page(
    templates: Option<&Templates>,
    room: &RoomConfig,
    lang: Lang,
    answer: &NotifyAnswer,
) -> Bytes {
    form_page(templates, &notify_form_page(room, lang, answer))
}

pub(super) fn notify_form_page<'a>(
    room: &'a RoomConfig,
    lang: Lang,
    answer: &NotifyAnswer,
) -> FormPage<'a> {
    let w: &'a Locale = room.locales.get(lang);
    let (heading, status, error) = match answer {
        NotifyAnswer::Noted(to) => (
            w.text("notify-thanks"),
            Some(w.say("notify-thanks-text", &[("address", Arg::Text(to))])),
            None,
        ),
        NotifyAnswer::Invalid => (w.text("notify-label"), None, Some("notify-invalid")),
        NotifyAnswer::Already => (w.text("notify-label"), None, Some("notify-already")),
        NotifyAnswer::Limited => (w.text("notify-label"), None, Some("notify-limited")),
        NotifyAnswer::NoPlace => (w.text("notify-label"), None, Some("notify-no-place")),
        NotifyAnswer::Called => (w.text("notify-label"), None, Some("notify-called")),
        NotifyAnswer::Unavailable => (w.text("notify-label"), None, Some("notify-unavailable")),
    };
    // Shown again where a second try can help.
    let again = matches!(answer, NotifyAnswer::Invalid | NotifyAnswer::Limited);
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
            field: again.then(|| Field::email(w.text("notify-field"))),
            submit: w.text("notify-submit"),
        },
        note: again.then(|| w.text("notify-privacy")),
        back_href: Some(&room.scope.path_prefix),
        back_label: w.text("notify-back"),
        stylesheet: STYLESHEET,
    }
}

/// The e-mail field, as the built-in waiting page and the answer page show it.
pub(super) fn notify_form(out: &mut String, w: &Locale, action: &str) {
    let _ = write!(
        out,
        "<form class=\"ws-form ws-notify\" method=\"post\" action=\"{}\">",
        escape(action)
    );
    Field::email(w.text("notify-field")).write(out);
    let _ = write!(
        out,
        "<button type=\"submit\">{}</button></form><p class=\"ws-note\">{}</p>",
        escape(&w.text("notify-submit")),
        escape(&w.text("notify-privacy")),
    );
}

/// The e-mail's subject and plain-text body.
pub struct LetterText {
    pub subject: String,
    pub body: String,
}

/// The e-mail for the holder of place `code`: nearly their turn (or `called` already), with
/// the link that gives the place back until `until` (Unix ms). The language is the one the
/// page spoke when the address was given.
pub fn letter(
    room: &RoomConfig,
    lang: Lang,
    code: Option<&str>,
    link: &str,
    until: Millis,
    called: bool,
) -> LetterText {
    let w = room.locales.get(lang);
    let (offset, known) = room_offset(room, until / 1000);
    let mut until_words = day_and_time(w, &local_time(until, offset));
    if !known {
        until_words.push_str(" UTC");
    }
    let (subject, opening) = if called {
        ("letter-subject-now", "letter-now")
    } else {
        ("letter-subject-soon", "letter-soon")
    };
    let site = [("site", Arg::Text(&room.title))];
    let mut body = String::with_capacity(1024);
    // The link and the code stand on lines of their own: in a right-to-left letter they
    // read as they are, and a mail program finds the link.
    let _ = write!(
        body,
        "{}\r\n\r\n{}\r\n{link}\r\n\r\n{}\r\n",
        w.say(opening, &site),
        w.text("letter-link"),
        w.say("letter-until", &[("when", Arg::Text(&until_words))]),
    );
    if let Some(code) = code {
        let _ = write!(
            body,
            "\r\n{}\r\n",
            w.say("letter-code", &[("code", Arg::Text(code))])
        );
    }
    let _ = write!(body, "\r\n-- \r\n{}\r\n", w.text("letter-footer"));
    LetterText {
        // A subject shows the isolates as they are in some mail programs: none there.
        subject: Locale::plain(&w.say(subject, &site)),
        body,
    }
}
