//! "Tell me when it's my turn": the e-mail field on the waiting page, the page that answers
//! it, and the e-mail itself, in German and English. Plain HTML that works without
//! JavaScript. Must not send or keep anything: `gateway` takes the form, `ops` sends.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::clock::Millis;
use crate::config::{Lang, RoomConfig};
use crate::queue::schedule::local_time;

use super::form::{form_page, Field, FormPage, OneField};
use super::templates::Templates;
use super::texts::{day_and_time, next_release_words};
use super::{escape, room_offset, LanguageSwitch, STYLESHEET};

pub(super) struct NotifyTexts {
    // The e-mail field on the waiting page.
    pub(super) label: &'static str,
    pub(super) explain: &'static str,
    pub(super) field: &'static str,
    pub(super) submit: &'static str,
    /// What is stored and for how long, right under the field.
    pub(super) privacy: &'static str,
    answers: AnswerTexts,
    letter: LetterTexts,
}

/// The page that answers the e-mail field.
struct AnswerTexts {
    thanks: &'static str,
    thanks_text: &'static str,
    back: &'static str,
    invalid: &'static str,
    already: &'static str,
    limited: &'static str,
    no_place: &'static str,
    called: &'static str,
    unavailable: &'static str,
}

/// The e-mail.
struct LetterTexts {
    subject_soon: &'static str,
    subject_now: &'static str,
    soon: &'static str,
    now: &'static str,
    link: &'static str,
    until: &'static str,
    code: &'static str,
    footer: &'static str,
    /// At the end: nothing left, or the room closed.
    ending: EndingTexts,
}

/// The one e-mail at the end, when nothing is left to wait for.
struct EndingTexts {
    subject_sold_out: &'static str,
    sold_out: &'static str,
    subject_closed: &'static str,
    closed: &'static str,
    /// Before the sold-out e-mail's link: the place is kept for appointments given back.
    kept: &'static str,
    /// `{}`: the operator's message.
    message: &'static str,
}

const DE: NotifyTexts = NotifyTexts {
    label: "Per E-Mail Bescheid bekommen",
    explain: "Sie müssen nicht vor dem Bildschirm warten: Kurz bevor Sie an der Reihe sind, \
              schicken wir Ihnen eine E-Mail. Über den Link darin kommen Sie auf Ihren Platz \
              zurück.",
    field: "Ihre E-Mail-Adresse",
    submit: "Benachrichtigen",
    privacy: "Wir speichern Ihre Adresse nur, bis diese eine E-Mail verschickt ist, und löschen \
              sie danach.",
    answers: AnswerTexts {
        thanks: "Wir schreiben Ihnen",
        thanks_text:
            "Kurz bevor Sie an der Reihe sind, schicken wir eine E-Mail an {}. Sie können \
             diese Seite jetzt schließen; Ihr Platz bleibt Ihnen.",
        back: "Zurück zur Warteseite",
        invalid: "Das sieht nicht wie eine E-Mail-Adresse aus. Bitte prüfen Sie Ihre Eingabe.",
        already: "Für diesen Platz ist schon eine E-Mail-Adresse vorgemerkt. Wir schreiben nur \
                  einmal.",
        limited: "Gerade kamen zu viele Anmeldungen von Ihrem Anschluss oder für diese Adresse. \
                  Bitte versuchen Sie es in einer Stunde noch einmal, oder lassen Sie die Seite \
                  offen.",
        no_place: "Sie haben noch keinen Platz in der Warteschlange. Öffnen Sie zuerst die \
                   Warteseite.",
        called: "Sie sind schon an der Reihe. Öffnen Sie die Warteseite, dann kommen Sie hinein.",
        unavailable: "Gerade können wir keine Adresse annehmen. Bitte lassen Sie die Warteseite \
                      offen.",
    },
    letter: LetterTexts {
        subject_soon: "Sie sind bald an der Reihe",
        subject_now: "Sie sind an der Reihe",
        soon: "Sie warten in der Warteschlange von „{}“ und sind bald an der Reihe.",
        now: "Sie warten in der Warteschlange von „{}“ und sind jetzt an der Reihe.",
        link: "Öffnen Sie diesen Link, um auf Ihren Platz zurückzukehren. Sobald Sie an der \
               Reihe sind, werden Sie eingelassen:",
        until: "Der Link hält Ihren Platz bis {}. Danach verfällt er.",
        code: "Ihr Platzcode: {}",
        footer: "Ihre E-Mail-Adresse haben wir mit dem Versand dieser Nachricht gelöscht. \
                 Diese E-Mail wurde automatisch verschickt; Antworten darauf liest niemand.",
        ending: EndingTexts {
            subject_sold_out: "Alle Termine sind vergeben",
            sold_out: "Sie warten in der Warteschlange von „{}“. Leider sind inzwischen alle \
                       Termine vergeben. Es lohnt sich im Moment nicht, weiter zu warten.",
            subject_closed: "Die Terminvergabe ist beendet",
            closed: "Sie haben in der Warteschlange von „{}“ gewartet. Die Terminvergabe ist \
                     beendet; es sind keine Termine mehr frei. Es lohnt sich nicht, weiter zu \
                     warten.",
            kept: "Werden Termine zurückgegeben, kommen Sie über diesen Link auf Ihren Platz \
                   zurück:",
            message: "Hinweis der Veranstalter: {}",
        },
    },
};

const EN: NotifyTexts = NotifyTexts {
    label: "Get an e-mail when it is your turn",
    explain: "You need not wait at the screen: we send you one e-mail shortly before it is \
              your turn. Its link brings you back to your place.",
    field: "Your e-mail address",
    submit: "Notify me",
    privacy: "We keep your address only until this one e-mail is sent, then delete it.",
    answers: AnswerTexts {
        thanks: "We will write to you",
        thanks_text: "Shortly before it is your turn we send an e-mail to {}. You may close this \
                      page now; your place stays yours.",
        back: "Back to the waiting page",
        invalid: "That does not look like an e-mail address. Please check what you entered.",
        already: "An e-mail address is noted for this place already. We write only once.",
        limited: "Too many sign-ups came from your connection or for this address just now. \
                  Please try again in an hour, or keep this page open.",
        no_place: "You have no place in the queue yet. Please open the waiting page first.",
        called: "It is your turn already. Open the waiting page and you will be let in.",
        unavailable: "We cannot take an address just now. Please keep the waiting page open.",
    },
    letter: LetterTexts {
        subject_soon: "It is nearly your turn",
        subject_now: "It is your turn",
        soon: "You are waiting in the queue of “{}”, and it is nearly your turn.",
        now: "You are waiting in the queue of “{}”, and it is your turn now.",
        link: "Open this link to go back to your place. As soon as it is your turn, you are \
               let in:",
        until: "The link holds your place until {}. After that it lapses.",
        code: "Your place code: {}",
        footer: "We deleted your e-mail address when we sent this message. It was sent \
                 automatically; nobody reads replies to it.",
        ending: EndingTexts {
            subject_sold_out: "All appointments have been booked",
            sold_out: "You are waiting in the queue of “{}”. Sadly, all appointments have been \
                       booked in the meantime. There is no point in waiting right now.",
            subject_closed: "Booking has ended",
            closed: "You were waiting in the queue of “{}”. Booking has ended and no \
                     appointments are left. There is no point in waiting on.",
            kept: "If appointments are given back, this link takes you back to your place:",
            message: "A note from the organisers: {}",
        },
    },
};

pub(super) fn notify_texts(lang: Lang) -> &'static NotifyTexts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

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
    let t = notify_texts(lang);
    let (heading, status, error) = match answer {
        NotifyAnswer::Noted(to) => (
            t.answers.thanks,
            Some(t.answers.thanks_text.replace("{}", to)),
            None,
        ),
        NotifyAnswer::Invalid => (t.label, None, Some(t.answers.invalid)),
        NotifyAnswer::Already => (t.label, None, Some(t.answers.already)),
        NotifyAnswer::Limited => (t.label, None, Some(t.answers.limited)),
        NotifyAnswer::NoPlace => (t.label, None, Some(t.answers.no_place)),
        NotifyAnswer::Called => (t.label, None, Some(t.answers.called)),
        NotifyAnswer::Unavailable => (t.label, None, Some(t.answers.unavailable)),
    };
    // Shown again where a second try can help.
    let again = matches!(answer, NotifyAnswer::Invalid | NotifyAnswer::Limited);
    FormPage {
        kind: "notify",
        lang: lang.code(),
        site: &room.title,
        page_title: format!("{heading} – {}", room.title),
        heading,
        intro: None,
        status,
        error: error.map(str::to_string),
        form: OneField {
            action: again.then(|| format!("/.wartesaal/notify?room={}", room.id)),
            field: again.then(|| Field::email(t.field)),
            submit: t.submit,
        },
        note: again.then_some(t.privacy),
        back_href: Some(&room.scope.path_prefix),
        back_label: t.answers.back,
        switch: LanguageSwitch::new(lang, &room.scope.path_prefix),
        stylesheet: STYLESHEET,
    }
}

/// The e-mail field, as the built-in waiting page and the answer page show it.
pub(super) fn notify_form(out: &mut String, t: &NotifyTexts, action: &str) {
    let _ = write!(
        out,
        "<form class=\"ws-form ws-notify\" method=\"post\" action=\"{}\">",
        escape(action)
    );
    Field::email(t.field).write(out);
    let _ = write!(
        out,
        "<button type=\"submit\">{}</button></form><p class=\"ws-note\">{}</p>",
        t.submit, t.privacy,
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
    let t = notify_texts(lang);
    let end = &t.letter.ending;
    let (subject, opening) = match facts.kind {
        LetterKind::Called => (t.letter.subject_now, t.letter.now),
        LetterKind::Soon => (t.letter.subject_soon, t.letter.soon),
        LetterKind::SoldOut => (end.subject_sold_out, end.sold_out),
        LetterKind::Closed => (end.subject_closed, end.closed),
    };
    let mut body = String::with_capacity(1024);
    let _ = write!(body, "{}\r\n", opening.replace("{}", &room.title));
    let release = room.supply.and_then(|s| s.next_release);
    if let (LetterKind::SoldOut, Some((at, offset))) = (facts.kind, release) {
        let _ = write!(
            body,
            "\r\n{}\r\n",
            next_release_words(lang, room, at, offset)
        );
    }
    if let Some(message) = facts.message {
        let _ = write!(body, "\r\n{}\r\n", end.message.replace("{}", message));
    }
    match facts.kind {
        LetterKind::Closed => {}
        kind => {
            let (offset, known) = room_offset(room, until / 1000);
            let mut until_words = day_and_time(lang, &local_time(until, offset));
            if !known {
                until_words.push_str(" UTC");
            }
            let lead = if kind == LetterKind::SoldOut {
                end.kept
            } else {
                t.letter.link
            };
            let _ = write!(
                body,
                "\r\n{lead}\r\n{link}\r\n\r\n{}\r\n",
                t.letter.until.replace("{}", &until_words),
            );
            if let Some(code) = code {
                let _ = write!(body, "\r\n{}\r\n", t.letter.code.replace("{}", code));
            }
        }
    }
    let _ = write!(body, "\r\n-- \r\n{}\r\n", t.letter.footer);
    LetterText {
        subject: format!("{subject}: {}", room.title),
        body,
    }
}
