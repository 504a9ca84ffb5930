//! The place code on the waiting page and the form that takes it back: plain HTML that works
//! without JavaScript, in the visitor's language. Must not judge codes: `gateway` does.

use bytes::Bytes;

use crate::config::RoomConfig;
use crate::locale::{Lang, Locale};

use super::form::{form_page, Field, FormPage, OneField};
use super::questions::WayBack;
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

/// The restore form (`form.html`, else built in); after an error it shows what was `typed`.
pub fn restore_page(
    templates: Option<&Templates>,
    room: &RoomConfig,
    lang: Lang,
    error: Option<RestoreError>,
    typed: Option<&str>,
) -> Bytes {
    form_page(templates, &restore_form(room, lang, error, typed))
}

pub(super) fn restore_form<'a>(
    room: &'a RoomConfig,
    lang: Lang,
    error: Option<RestoreError>,
    typed: Option<&str>,
) -> FormPage<'a> {
    let id = error.map(|e| match e {
        RestoreError::Malformed => "restore-malformed",
        RestoreError::Unknown => "restore-unknown",
        RestoreError::Lapsed => "restore-lapsed",
        RestoreError::Link => "restore-link",
        RestoreError::Limited | RestoreError::Expired | RestoreError::Used => "restore-limited",
    });
    let mut page = code_form(room, lang, "restore", id, typed);
    if matches!(error, Some(RestoreError::Lapsed | RestoreError::Link)) {
        // The page says the place is gone and that one can join again: the link to do so.
        let w = room.locales.get(lang);
        page.back_href = Some(&room.scope.path_prefix);
        page.back_label = w.text("join-again");
    }
    page
}

/// The invitation form (`form.html`, else built in), for a visitor who needs a ticket in a
/// room that takes invitations only; after an error it shows what was `typed`.
pub fn invitation_page(
    templates: Option<&Templates>,
    room: &RoomConfig,
    lang: Lang,
    error: Option<RestoreError>,
    typed: Option<&str>,
) -> Bytes {
    form_page(templates, &invitation_form(room, lang, error, typed))
}

pub(super) fn invitation_form<'a>(
    room: &'a RoomConfig,
    lang: Lang,
    error: Option<RestoreError>,
    typed: Option<&str>,
) -> FormPage<'a> {
    let error = error.map(|e| match e {
        RestoreError::Malformed => "invite-malformed",
        RestoreError::Unknown => "invite-unknown",
        RestoreError::Expired => "invite-expired",
        RestoreError::Used | RestoreError::Lapsed | RestoreError::Link => "invite-used",
        RestoreError::Limited => "restore-limited",
    });
    let mut page = code_form(room, lang, "invitation", error, typed);
    // A place drawn before, on another device or told by e-mail: its code gives it back.
    let w = room.locales.get(lang);
    page.way_back = Some(WayBack::new(room, w));
    page
}

/// A ticket that got its holder in as often as one may (`passes_per_ticket`), brought again
/// (an e-mail's link tapped in a mail program without cookies, a copied ticket): what
/// happened, plainly, and the way to join again.
pub fn used_up_page(templates: Option<&Templates>, room: &RoomConfig, lang: Lang) -> Bytes {
    form_page(templates, &used_up_form(room, lang))
}

pub(super) fn used_up_form(room: &RoomConfig, lang: Lang) -> FormPage<'_> {
    let w: &Locale = room.locales.get(lang);
    let heading = w.text("used-up-title");
    FormPage {
        kind: "used-up",
        speech: PageLanguage::new(room, w, &room.scope.path_prefix),
        site: &room.title,
        page_title: format!("{heading} – {}", room.title),
        heading,
        intro: Some(w.text("used-up-body").into_owned()),
        status: None,
        error: None,
        form: OneField {
            action: None,
            field: None,
            submit: "".into(),
        },
        note: Some(w.text("used-up-code")),
        back_href: Some(&room.scope.path_prefix),
        back_label: w.text("join-again"),
        way_back: None,
        stylesheet: STYLESHEET,
    }
}

/// The form of `kind` (`restore` or `invitation`), its words by the ids of its kind.
fn code_form<'a>(
    room: &'a RoomConfig,
    lang: Lang,
    kind: &'static str,
    error: Option<&str>,
    typed: Option<&str>,
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
            field: Some(Field::code(say("field")).with_value(typed.filter(|_| error.is_some()))),
            submit: say("submit"),
        },
        note: None,
        back_href: None,
        back_label: "".into(),
        way_back: None,
        stylesheet: STYLESHEET,
    }
}
