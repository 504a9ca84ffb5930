//! The eligibility form asked before the line, and the answer to a "no": plain HTML that works
//! without JavaScript, in the visitor's language, and the variables of an operator's
//! `questions.html`. Must not judge answers: `gateway` does.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Serialize;

use crate::config::{Question, RoomConfig};
use crate::locale::{Lang, Locale};

use super::templates::Templates;
use super::{PageLanguage, STYLESHEET};

/// Why the form is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// A question left out, an unknown or repeated field.
    Incomplete,
    /// The form token expired, or came from another room or other questions.
    Stale,
}

/// One question on the form.
#[derive(Debug, Serialize)]
pub struct QuestionItem<'a> {
    /// 1, 2, …
    pub number: usize,
    /// The form field: `q1`, `q2`, …
    pub name: String,
    pub text: &'a str,
    /// The language the question is written in, when the operator did not write it in the
    /// page's: it is shown in the room's default language, marked with `lang`.
    pub lang: Option<Lang>,
}

/// The eligibility form, or the answer to a "no": the variables of an operator's
/// `questions.html` (docs/visitors.md, "Your own page").
#[derive(Debug, Serialize)]
pub struct QuestionsPage<'a> {
    #[serde(flatten)]
    pub speech: PageLanguage<'a>,
    pub site: &'a str,
    pub room: &'a str,
    /// `form`, or `refused` after a "no".
    pub kind: &'static str,
    pub heading: Cow<'a, str>,
    pub page_title: String,
    pub intro: Cow<'a, str>,
    #[serde(flatten)]
    pub form: QuestionsForm<'a>,
    #[serde(flatten)]
    pub answered_no: AnsweredNo<'a>,
    #[serde(flatten)]
    pub way_back: WayBack<'a>,
    pub stylesheet: &'static str,
}

/// The way back for whoever has a place already (on another device, or told by e-mail):
/// answering the questions again would draw a new place at the back, so the place code's
/// form is offered beside them.
#[derive(Debug, Serialize)]
pub struct WayBack<'a> {
    pub way_back_text: Cow<'a, str>,
    pub restore_href: String,
    pub restore_label: Cow<'a, str>,
}

impl<'a> WayBack<'a> {
    pub(super) fn new(room: &RoomConfig, w: &'a Locale) -> WayBack<'a> {
        WayBack {
            way_back_text: w.text("have-place"),
            restore_href: format!("/.wartesaal/restore?room={}", room.id),
            restore_label: w.text("restore-title"),
        }
    }
}

/// The form itself. A template sees these among the page's own variables.
#[derive(Debug, Serialize)]
pub struct QuestionsForm<'a> {
    /// Why the form is shown again, if it is.
    pub error: Option<Cow<'a, str>>,
    /// Where the form is sent (POST).
    pub action: String,
    /// Hidden fields: `form` and `back`.
    pub form_token: String,
    pub back: &'a str,
    pub questions: Vec<QuestionItem<'a>>,
    pub yes_label: Cow<'a, str>,
    pub no_label: Cow<'a, str>,
    pub submit_label: Cow<'a, str>,
}

/// What the page says after a "no". A template sees these among the page's own variables.
#[derive(Debug, Serialize)]
pub struct AnsweredNo<'a> {
    /// What each question answered "no" says instead.
    pub otherwise: Vec<Cow<'a, str>>,
    /// The link back to the form.
    pub change_label: Cow<'a, str>,
    pub change_href: &'a str,
}

impl<'a> QuestionsPage<'a> {
    /// The form for `questions`, to be sent with `form_token`, returning to `back`.
    pub fn form(
        room: &'a RoomConfig,
        lang: Lang,
        form_token: String,
        back: &'a str,
        error: Option<FormError>,
    ) -> QuestionsPage<'a> {
        let mut page = QuestionsPage::new(room, lang, "form", "questions-title", back);
        let w = page.speech.locale();
        page.form.form_token = form_token;
        page.form.error = error.map(|e| match e {
            FormError::Incomplete => w.text("questions-incomplete"),
            FormError::Stale => w.text("questions-stale"),
        });
        page.form.questions = room
            .tickets
            .eligibility
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let (text, lang) = q.text(w.lang(), room.language());
                QuestionItem {
                    number: i + 1,
                    name: format!("q{}", i + 1),
                    text,
                    lang,
                }
            })
            .collect();
        page
    }

    /// What a visitor who answered "no" to `refused` is told instead of a ticket.
    pub fn refused(
        room: &'a RoomConfig,
        lang: Lang,
        refused: &[&'a Question],
        back: &'a str,
    ) -> QuestionsPage<'a> {
        let mut page = QuestionsPage::new(room, lang, "refused", "refused-title", back);
        let w = page.speech.locale();
        page.intro = w.text("refused-intro");
        page.answered_no.otherwise = refused
            .iter()
            .map(|q| match q.otherwise(w.lang()) {
                Some(text) => Cow::Borrowed(text),
                None => w.text("refused-otherwise"),
            })
            .collect();
        page
    }

    fn new(
        room: &'a RoomConfig,
        lang: Lang,
        kind: &'static str,
        heading: &str,
        back: &'a str,
    ) -> QuestionsPage<'a> {
        let w: &'a Locale = room.locales.get(lang);
        let heading = w.text(heading);
        QuestionsPage {
            speech: PageLanguage::new(room, w, back),
            site: &room.title,
            room: &room.id,
            kind,
            page_title: format!("{heading} – {}", room.title),
            heading,
            intro: w.text("questions-intro"),
            form: QuestionsForm {
                error: None,
                action: format!("/.wartesaal/eligibility?room={}", room.id),
                form_token: String::new(),
                back,
                questions: Vec::new(),
                yes_label: w.text("answer-yes"),
                no_label: w.text("answer-no"),
                submit_label: w.text("questions-submit"),
            },
            answered_no: AnsweredNo {
                otherwise: Vec::new(),
                change_label: w.text("change-answers"),
                change_href: back,
            },
            way_back: WayBack::new(room, w),
            stylesheet: STYLESHEET,
        }
    }
}

/// The form or the "no" page: the operator's `questions.html` when the room has one, else the
/// built-in page.
pub fn questions_page(templates: Option<&Templates>, page: &QuestionsPage) -> Bytes {
    if let Some(html) = templates.and_then(|t| t.render_questions(page)) {
        return Bytes::from(html);
    }
    Bytes::from(super::templates::render_builtin(
        super::templates::QUESTIONS,
        page,
        &page.heading,
    ))
}

/// The form and the "no" page with sample figures, for a template's trial render.
pub fn sample_questions(room: &RoomConfig, lang: Lang) -> Vec<QuestionsPage<'_>> {
    let refused: Vec<&Question> = room.tickets.eligibility.iter().take(1).collect();
    vec![
        QuestionsPage::form(room, lang, "sample-form".into(), "/termine?x=1", None),
        QuestionsPage::form(
            room,
            lang,
            "sample-form".into(),
            "/",
            Some(FormError::Incomplete),
        ),
        QuestionsPage::refused(room, lang, &refused, "/termine?x=1"),
    ]
}
