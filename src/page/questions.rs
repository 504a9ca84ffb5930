//! The eligibility form asked before the line, and the answer to a "no": plain HTML that works
//! without JavaScript, in German and English, and the variables of an operator's
//! `questions.html`. Must not judge answers: `gateway` does.

use std::fmt::Write as _;

use bytes::Bytes;
use serde::Serialize;

use crate::config::{Lang, Question, RoomConfig};

use super::templates::Templates;
use super::{escape, head, LanguageSwitch, STYLESHEET};

struct FormTexts {
    title: &'static str,
    intro: &'static str,
    yes: &'static str,
    no: &'static str,
    submit: &'static str,
    incomplete: &'static str,
    stale: &'static str,
    no_title: &'static str,
    no_intro: &'static str,
    change: &'static str,
}

const DE: FormTexts = FormTexts {
    title: "Bevor Sie sich anstellen",
    intro: "Bitte beantworten Sie diese Fragen. So erfahren Sie gleich, ob sich das Warten für \
            Sie lohnt, und nicht erst nach Stunden. Ihre Antworten werden nicht gespeichert; \
            die Buchungsseite prüft später selbst.",
    yes: "Ja",
    no: "Nein",
    submit: "Weiter zur Warteschlange",
    incomplete: "Bitte beantworten Sie jede Frage mit Ja oder Nein.",
    stale: "Das Formular war abgelaufen. Bitte beantworten Sie die Fragen noch einmal.",
    no_title: "Hier können Sie leider keinen Termin buchen",
    no_intro: "Nach Ihren Antworten lohnt sich das Warten in dieser Warteschlange für Sie \
               nicht:",
    change: "Antworten ändern",
};

const EN: FormTexts = FormTexts {
    title: "Before you join the queue",
    intro: "Please answer these questions. That way you learn at once whether waiting is worth \
            it for you, not after hours. Your answers are not stored; the booking site checks \
            for itself later.",
    yes: "Yes",
    no: "No",
    submit: "Continue to the queue",
    incomplete: "Please answer every question with yes or no.",
    stale: "The form had expired. Please answer the questions again.",
    no_title: "You cannot book an appointment here",
    no_intro: "From your answers, waiting in this queue would not help you:",
    change: "Change my answers",
};

fn form_texts(lang: Lang) -> &'static FormTexts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

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
}

/// The eligibility form, or the answer to a "no": the variables of an operator's
/// `questions.html` (docs/visitors.md, "Your own page").
#[derive(Debug, Serialize)]
pub struct QuestionsPage<'a> {
    pub lang: &'static str,
    pub site: &'a str,
    pub room: &'a str,
    /// `form`, or `refused` after a "no".
    pub kind: &'static str,
    pub heading: &'static str,
    pub page_title: String,
    pub intro: &'static str,
    #[serde(flatten)]
    pub form: QuestionsForm<'a>,
    #[serde(flatten)]
    pub answered_no: AnsweredNo<'a>,
    pub switch: LanguageSwitch,
    pub stylesheet: &'static str,
}

/// The form itself. A template sees these among the page's own variables.
#[derive(Debug, Serialize)]
pub struct QuestionsForm<'a> {
    /// Why the form is shown again, if it is.
    pub error: Option<&'static str>,
    /// Where the form is sent (POST).
    pub action: String,
    /// Hidden fields: `form` and `back`.
    pub form_token: String,
    pub back: &'a str,
    pub questions: Vec<QuestionItem<'a>>,
    pub yes_label: &'static str,
    pub no_label: &'static str,
    pub submit_label: &'static str,
}

/// What the page says after a "no". A template sees these among the page's own variables.
#[derive(Debug, Serialize)]
pub struct AnsweredNo<'a> {
    /// What each question answered "no" says instead.
    pub otherwise: Vec<&'a str>,
    /// The link back to the form.
    pub change_label: &'static str,
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
        let t = form_texts(lang);
        let mut page = QuestionsPage::new(room, lang, "form", t.title, back);
        page.form.form_token = form_token;
        page.form.error = error.map(|e| match e {
            FormError::Incomplete => t.incomplete,
            FormError::Stale => t.stale,
        });
        page.form.questions = room
            .tickets
            .eligibility
            .iter()
            .enumerate()
            .map(|(i, q)| QuestionItem {
                number: i + 1,
                name: format!("q{}", i + 1),
                text: q.text(lang),
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
        let t = form_texts(lang);
        let mut page = QuestionsPage::new(room, lang, "refused", t.no_title, back);
        page.intro = t.no_intro;
        page.answered_no.otherwise = refused.iter().map(|q| q.otherwise(lang)).collect();
        page
    }

    fn new(
        room: &'a RoomConfig,
        lang: Lang,
        kind: &'static str,
        heading: &'static str,
        back: &'a str,
    ) -> QuestionsPage<'a> {
        let t = form_texts(lang);
        QuestionsPage {
            lang: lang.code(),
            site: &room.title,
            room: &room.id,
            kind,
            heading,
            page_title: format!("{heading} – {}", room.title),
            intro: t.intro,
            form: QuestionsForm {
                error: None,
                action: format!("/.wartesaal/eligibility?room={}", room.id),
                form_token: String::new(),
                back,
                questions: Vec::new(),
                yes_label: t.yes,
                no_label: t.no,
                submit_label: t.submit,
            },
            answered_no: AnsweredNo {
                otherwise: Vec::new(),
                change_label: t.change,
                change_href: back,
            },
            switch: LanguageSwitch::new(lang, back),
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
    let mut out = String::with_capacity(4096);
    head(&mut out, page.lang, &page.page_title, None, false);
    let _ = write!(
        out,
        "<body><nav class=\"ws-lang\"><a href=\"{}\" lang=\"{}\" hreflang=\"{}\">{}</a></nav>\
         <main class=\"ws\" id=\"ws-questions\"><p class=\"ws-site\">{}</p><h1>{}</h1>\
         <p class=\"ws-note\">{}</p>",
        escape(&page.switch.href),
        page.switch.lang,
        page.switch.lang,
        page.switch.label,
        escape(page.site),
        page.heading,
        page.intro,
    );
    if page.kind == "refused" {
        out.push_str("<div class=\"ws-status\" role=\"status\">");
        for text in &page.answered_no.otherwise {
            let _ = write!(out, "<p>{}</p>", escape(text));
        }
        let _ = write!(
            out,
            "</div><p class=\"ws-note\"><a href=\"{}\">{}</a></p></main></body></html>",
            escape(page.answered_no.change_href),
            page.answered_no.change_label
        );
        return Bytes::from(out);
    }
    if let Some(error) = page.form.error {
        let _ = write!(out, "<p class=\"ws-error\" role=\"alert\">{error}</p>");
    }
    let _ = write!(
        out,
        "<form class=\"ws-form\" method=\"post\" action=\"{}\">\
         <input type=\"hidden\" name=\"form\" value=\"{}\">\
         <input type=\"hidden\" name=\"back\" value=\"{}\">",
        escape(&page.form.action),
        escape(&page.form.form_token),
        escape(page.form.back),
    );
    for q in &page.form.questions {
        let _ = write!(
            out,
            "<fieldset><legend>{}</legend>\
             <label><input type=\"radio\" name=\"{name}\" value=\"yes\" required> {}</label>\
             <label><input type=\"radio\" name=\"{name}\" value=\"no\"> {}</label></fieldset>",
            escape(q.text),
            page.form.yes_label,
            page.form.no_label,
            name = q.name,
        );
    }
    let _ = write!(
        out,
        "<button type=\"submit\">{}</button></form></main></body></html>",
        page.form.submit_label
    );
    Bytes::from(out)
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
