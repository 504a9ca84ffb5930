//! The place code on the waiting page and the form that takes it back: plain HTML that works
//! without JavaScript, in the visitor's language. Must not judge codes: `gateway` does.

use bytes::Bytes;

use crate::config::RoomConfig;
use crate::locale::{Lang, Locale};

use super::form::{form_page, Field, FormPage, OneField};
use super::templates::Templates;
use super::{PageLanguage, STYLESHEET};

/// Why the restore form is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreError {
    /// Not 16 characters of the alphabet.
    Malformed,
    /// No place of this room's line.
    Unknown,
    /// The place was called too long ago.
    Lapsed,
    /// Too many tries from this address.
    Limited,
    /// An invitation past its end.
    Expired,
    /// An invitation whose place has lapsed.
    Used,
    /// An e-mail's link past its end, or of an earlier line.
    Link,
}

/// The restore form (`form.html`, else built in).
pub fn restore_page(
    templates: Option<&Templates>,
    room: &RoomConfig,
    lang: Lang,
    error: Option<RestoreError>,
) -> Bytes {
    form_page(templates, &restore_form(room, lang, error))
}

pub(super) fn restore_form(
    room: &RoomConfig,
    lang: Lang,
    error: Option<RestoreError>,
) -> FormPage<'_> {
    let error = error.map(|e| match e {
        RestoreError::Malformed => "restore-malformed",
        RestoreError::Unknown => "restore-unknown",
        RestoreError::Lapsed => "restore-lapsed",
        RestoreError::Link => "restore-link",
        RestoreError::Limited | RestoreError::Expired | RestoreError::Used => "restore-limited",
    });
    code_form(room, lang, "restore", error)
}

/// The invitation form (`form.html`, else built in), for a visitor who needs a ticket in a
/// room that takes invitations only.
pub fn invitation_page(
    templates: Option<&Templates>,
    room: &RoomConfig,
    lang: Lang,
    error: Option<RestoreError>,
) -> Bytes {
    form_page(templates, &invitation_form(room, lang, error))
}

pub(super) fn invitation_form(
    room: &RoomConfig,
    lang: Lang,
    error: Option<RestoreError>,
) -> FormPage<'_> {
    let error = error.map(|e| match e {
        RestoreError::Malformed => "invite-malformed",
        RestoreError::Unknown => "invite-unknown",
        RestoreError::Expired => "invite-expired",
        RestoreError::Used | RestoreError::Lapsed | RestoreError::Link => "invite-used",
        RestoreError::Limited => "restore-limited",
    });
    code_form(room, lang, "invitation", error)
}

/// The form of `kind` (`restore` or `invitation`), its words by the ids of its kind.
fn code_form<'a>(
    room: &'a RoomConfig,
    lang: Lang,
    kind: &'static str,
    error: Option<&str>,
) -> FormPage<'a> {
    let w: &'a Locale = room.locales.get(lang);
    let prefix = if kind == "restore" {
        "restore"
    } else {
        "invite"
    };
    let say = |part: &str| w.text(&format!("{prefix}-{part}"));
    let action = format!("/.wartesaal/{kind}?room={}", room.id);
    let title = say("title");
    FormPage {
        kind,
        speech: PageLanguage::new(room, w, &action),
        site: &room.title,
        page_title: format!("{title} – {}", room.title),
        heading: title,
        intro: Some(say("intro").into_owned()),
        status: None,
        error: error.map(|id| w.text(id).into_owned()),
        form: OneField {
            action: Some(action),
            field: Some(Field::code(say("field"))),
            submit: say("submit"),
        },
        note: None,
        back_href: None,
        back_label: "".into(),
        stylesheet: STYLESHEET,
    }
}
