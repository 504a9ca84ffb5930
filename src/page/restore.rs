//! The place code on the waiting page and the form that takes it back: plain HTML that works
//! without JavaScript, in German and English. Must not judge codes: `gateway` does.

use bytes::Bytes;

use crate::config::{Lang, RoomConfig};

use super::form::{form_page, Field, FormPage, OneField};
use super::templates::Templates;
use super::{LanguageSwitch, STYLESHEET};

pub(super) struct CodeTexts {
    /// The label above the code on the waiting page.
    pub(super) label: &'static str,
    /// The one sentence under it.
    pub(super) explain: &'static str,
    /// The form's title, also the waiting page's link to it.
    pub(super) title: &'static str,
    intro: &'static str,
    field: &'static str,
    submit: &'static str,
    malformed: &'static str,
    unknown: &'static str,
    lapsed: &'static str,
    limited: &'static str,
    link: &'static str,
}

pub(super) const DE: CodeTexts = CodeTexts {
    label: "Ihr Platzcode",
    explain: "Schreiben Sie ihn auf: Mit diesem Code erhalten Sie Ihren Platz auch in einem \
              anderen Browser oder auf einem anderen Gerät zurück.",
    title: "Platz zurückholen",
    intro: "Geben Sie den Platzcode ein, den Ihnen die Warteseite gezeigt hat. Sie erhalten \
            denselben Platz in der Warteschlange zurück, nicht einen besseren. Groß- und \
            Kleinschreibung, Leerzeichen und Bindestriche spielen keine Rolle.",
    field: "Platzcode",
    submit: "Platz zurückholen",
    malformed: "Ein Platzcode hat 16 Zeichen aus Ziffern und Buchstaben. Bitte prüfen Sie Ihre \
                Eingabe.",
    unknown: "Diesen Platzcode kennen wir nicht. Bitte prüfen Sie jedes Zeichen.",
    lapsed: "Dieser Platz war an der Reihe und ist inzwischen verfallen. Sie können sich neu \
             anstellen.",
    limited: "Von Ihrem Anschluss kamen gerade zu viele Versuche. Bitte warten Sie eine Minute.",
    link: "Dieser Link aus Ihrer E-Mail gilt nicht mehr. Haben Sie Ihren Platzcode, geben Sie \
           ihn hier ein; sonst können Sie sich neu anstellen.",
};

pub(super) const EN: CodeTexts = CodeTexts {
    label: "Your place code",
    explain: "Write it down: with this code you get your place back in another browser or on \
              another device.",
    title: "Get your place back",
    intro: "Enter the place code the waiting page showed you. You get the same place in the \
            queue back, not a better one. Case, spaces and dashes do not matter.",
    field: "Place code",
    submit: "Get my place back",
    malformed: "A place code has 16 characters, digits and letters. Please check what you \
                entered.",
    unknown: "We do not know this place code. Please check every character.",
    lapsed: "This place was called and has lapsed since. You can join the queue again.",
    limited: "Too many attempts came from your connection just now. Please wait a minute.",
    link: "The link from your e-mail no longer holds a place. If you have your place code, \
           enter it here; otherwise you can join the queue again.",
};

pub(super) fn code_texts(lang: Lang) -> &'static CodeTexts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

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

/// The texts of the invitation form.
struct InviteTexts {
    title: &'static str,
    intro: &'static str,
    field: &'static str,
    submit: &'static str,
    malformed: &'static str,
    unknown: &'static str,
    expired: &'static str,
    used: &'static str,
}

const INVITE_DE: InviteTexts = InviteTexts {
    title: "Einladungscode eingeben",
    intro: "Diese Warteschlange ist für eingeladene Personen. Geben Sie den Code aus Ihrem \
            Einladungsschreiben ein. Haben Sie ihn schon einmal eingegeben, erhalten Sie \
            denselben Platz zurück. Groß- und Kleinschreibung, Leerzeichen und Bindestriche \
            spielen keine Rolle.",
    field: "Einladungscode",
    submit: "Weiter zur Warteschlange",
    malformed: "Ein Einladungscode hat 18 Zeichen aus Ziffern und Buchstaben. Bitte prüfen Sie \
                Ihre Eingabe.",
    unknown: "Diesen Einladungscode kennen wir nicht. Bitte prüfen Sie jedes Zeichen.",
    expired: "Dieser Einladungscode ist abgelaufen.",
    used: "Mit diesem Einladungscode wurde schon ein Platz gezogen, und dieser Platz ist \
           inzwischen verfallen.",
};

const INVITE_EN: InviteTexts = InviteTexts {
    title: "Enter your invitation code",
    intro: "This queue is for invited people. Enter the code from your invitation letter. If \
            you entered it before, you get the same place back. Case, spaces and dashes do not \
            matter.",
    field: "Invitation code",
    submit: "Continue to the queue",
    malformed: "An invitation code has 18 characters, digits and letters. Please check what you \
                entered.",
    unknown: "We do not know this invitation code. Please check every character.",
    expired: "This invitation code has expired.",
    used: "This invitation code drew a place already, and that place has lapsed since.",
};

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
    let t = code_texts(lang);
    let error = error.map(|e| match e {
        RestoreError::Malformed => t.malformed,
        RestoreError::Unknown => t.unknown,
        RestoreError::Lapsed => t.lapsed,
        RestoreError::Link => t.link,
        RestoreError::Limited | RestoreError::Expired | RestoreError::Used => t.limited,
    });
    let form = CodeForm {
        kind: "restore",
        title: t.title,
        intro: t.intro,
        field: t.field,
        submit: t.submit,
    };
    code_form(room, lang, &form, error)
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
    let t = match lang {
        Lang::De => &INVITE_DE,
        Lang::En => &INVITE_EN,
    };
    let error = error.map(|e| match e {
        RestoreError::Malformed => t.malformed,
        RestoreError::Unknown => t.unknown,
        RestoreError::Expired => t.expired,
        RestoreError::Used | RestoreError::Lapsed | RestoreError::Link => t.used,
        RestoreError::Limited => code_texts(lang).limited,
    });
    let form = CodeForm {
        kind: "invitation",
        title: t.title,
        intro: t.intro,
        field: t.field,
        submit: t.submit,
    };
    code_form(room, lang, &form, error)
}

struct CodeForm {
    kind: &'static str,
    title: &'static str,
    intro: &'static str,
    field: &'static str,
    submit: &'static str,
}

fn code_form<'a>(
    room: &'a RoomConfig,
    lang: Lang,
    f: &CodeForm,
    error: Option<&str>,
) -> FormPage<'a> {
    let action = format!("/.wartesaal/{}?room={}", f.kind, room.id);
    FormPage {
        kind: f.kind,
        lang: lang.code(),
        site: &room.title,
        page_title: format!("{} – {}", f.title, room.title),
        heading: f.title,
        intro: Some(f.intro.to_string()),
        status: None,
        error: error.map(str::to_string),
        switch: LanguageSwitch::new(lang, &action),
        form: OneField {
            action: Some(action),
            field: Some(Field::code(f.field)),
            submit: f.submit,
        },
        note: None,
        back_href: None,
        back_label: "",
        stylesheet: STYLESHEET,
    }
}
