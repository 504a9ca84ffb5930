//! The one-field pages: the place-code and invitation forms and the answer to the e-mail
//! field, built in or from the operator's `form.html`. Plain HTML that works without
//! JavaScript. Must not judge what is entered: `gateway` does.

use std::borrow::Cow;
use std::fmt::Write as _;

use bytes::Bytes;
use serde::Serialize;

use crate::config::RoomConfig;
use crate::locale::Lang;

use super::notify::{self, NotifyAnswer};
use super::questions::WayBack;
use super::restore::{self, RestoreError};
use super::templates::Templates;
use super::{escape, PageLanguage};

/// What a one-field page shows; `form.html` gets it as its variables.
#[derive(Debug, Serialize)]
pub struct FormPage<'a> {
    /// `restore`, `invitation` or `notify`: also the page's `id` (`ws-<kind>`).
    pub kind: &'static str,
    #[serde(flatten)]
    pub speech: PageLanguage<'a>,
    /// The room's `title`.
    pub site: &'a str,
    pub page_title: String,
    pub heading: Cow<'a, str>,
    /// What the page is for.
    pub intro: Option<String>,
    /// An answer that went through (the e-mail noted).
    pub status: Option<String>,
    /// Why the form is shown again.
    pub error: Option<String>,
    #[serde(flatten)]
    pub form: OneField<'a>,
    /// A sentence under the form (what is kept of an e-mail address, and for how long).
    pub note: Option<Cow<'a, str>>,
    /// A link back to the waiting page, or to join the line again where a page says so.
    pub back_href: Option<&'a str>,
    pub back_label: Cow<'a, str>,
    /// The place code's form, for whoever has a place already (`have-place`).
    pub way_back: Option<WayBack<'a>>,
    pub stylesheet: &'static str,
}

/// The form, if the page has one: where it is sent, its one field and its button. A template
/// sees these among the page's own variables.
#[derive(Debug, Serialize)]
pub struct OneField<'a> {
    pub action: Option<String>,
    pub field: Option<Field<'a>>,
    pub submit: Cow<'a, str>,
}

/// The form's one field. Keep its `name`: the gateway reads it.
#[derive(Debug, Clone, Serialize)]
pub struct Field<'a> {
    pub id: &'static str,
    pub name: &'static str,
    /// `text` or `email`.
    pub input_type: &'static str,
    pub label: Cow<'a, str>,
    pub maxlength: u32,
    pub autocomplete: &'static str,
    /// `characters` for codes; empty for none.
    pub autocapitalize: &'static str,
    /// What was typed, shown again with an error: a person corrects one character instead
    /// of typing it all again.
    pub value: Option<String>,
}

impl<'a> Field<'a> {
    pub(super) fn code(label: Cow<'a, str>) -> Field<'a> {
        Field {
            id: "ws-code",
            name: "code",
            input_type: "text",
            label,
            maxlength: 64,
            autocomplete: "off",
            autocapitalize: "characters",
            value: None,
        }
    }

    pub(super) fn email(label: Cow<'a, str>) -> Field<'a> {
        Field {
            id: "ws-email",
            name: "email",
            input_type: "email",
            label,
            maxlength: 254,
            autocomplete: "email",
            autocapitalize: "",
            value: None,
        }
    }

    /// The field showing `typed` again (cut to the field's length).
    pub(super) fn with_value(mut self, typed: Option<&str>) -> Field<'a> {
        self.value = typed.map(|t| t.chars().take(self.maxlength as usize).collect());
        self
    }

    pub(super) fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "<label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{name}\" \
             type=\"{kind}\" required maxlength=\"{max}\" autocomplete=\"{auto}\"",
            id = self.id,
            label = escape(&self.label),
            name = self.name,
            kind = self.input_type,
            max = self.maxlength,
            auto = self.autocomplete,
        );
        if !self.autocapitalize.is_empty() {
            let _ = write!(out, " autocapitalize=\"{}\"", self.autocapitalize);
        }
        if let Some(value) = &self.value {
            let _ = write!(out, " value=\"{}\"", escape(value));
        }
        out.push_str(" spellcheck=\"false\">");
    }
}

/// The page, from the operator's `form.html` if the room has one (and it renders), else
/// built in.
pub fn form_page(templates: Option<&Templates>, page: &FormPage) -> Bytes {
    if let Some(html) = templates.and_then(|t| t.render_form(page)) {
        return Bytes::from(html);
    }
    Bytes::from(super::templates::render_builtin(
        super::templates::FORM,
        page,
        &page.heading,
    ))
}

/// One page of each kind and state in `lang`, for trying an operator's `form.html`.
pub fn sample_forms(room: &RoomConfig, lang: Lang) -> Vec<FormPage<'_>> {
    vec![
        restore::restore_form(room, lang, None, None),
        restore::restore_form(room, lang, Some(RestoreError::Unknown), Some("7K3M-QX2P")),
        restore::restore_form(room, lang, Some(RestoreError::Lapsed), Some("7K3M-QX2P")),
        restore::invitation_form(room, lang, Some(RestoreError::Expired), Some("AB12CD")),
        restore::used_up_form(room, lang),
        notify::notify_form_page(room, lang, &notify::sample_noted(), None),
        notify::notify_form_page(room, lang, &NotifyAnswer::Invalid, Some("ann@example")),
    ]
}
