//! The place code on the waiting page and the form that takes it back: plain HTML that works
//! without JavaScript, in German and English. Must not judge codes: `gateway` does.

use super::*;

pub(super) struct CodeTexts {
    /// The label above the code on the waiting page.
    pub(super) label: &'static str,
    /// The one sentence under it.
    pub(super) explain: &'static str,
    title: &'static str,
    intro: &'static str,
    field: &'static str,
    submit: &'static str,
    malformed: &'static str,
    unknown: &'static str,
    lapsed: &'static str,
    limited: &'static str,
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
};

pub(super) fn code_texts(lang: Lang) -> &'static CodeTexts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

/// The restore form's title, as the link to it on the waiting page.
pub(super) fn code_texts_title(lang: &str) -> &'static str {
    if lang == "en" {
        EN.title
    } else {
        DE.title
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
}

/// The restore form, built in (an operator's templates do not cover it yet).
pub fn restore_page(room: &RoomConfig, lang: Lang, error: Option<RestoreError>) -> Bytes {
    let t = code_texts(lang);
    let action = format!("/.wartesaal/restore?room={}", room.id);
    let switch = LanguageSwitch::new(lang, &action);
    let page_title = format!("{} – {}", t.title, room.title);
    let mut out = String::with_capacity(2048);
    head(&mut out, lang.code(), &page_title, None, false);
    let _ = write!(
        out,
        "<body><nav class=\"ws-lang\"><a href=\"{}\" lang=\"{}\" hreflang=\"{}\">{}</a></nav>\
         <main class=\"ws\" id=\"ws-restore\"><p class=\"ws-site\">{}</p><h1>{}</h1>\
         <p class=\"ws-note\">{}</p>",
        escape(&switch.href),
        switch.lang,
        switch.lang,
        switch.label,
        escape(&room.title),
        t.title,
        t.intro,
    );
    if let Some(error) = error {
        let text = match error {
            RestoreError::Malformed => t.malformed,
            RestoreError::Unknown => t.unknown,
            RestoreError::Lapsed => t.lapsed,
            RestoreError::Limited => t.limited,
        };
        let _ = write!(out, "<p class=\"ws-error\" role=\"alert\">{text}</p>");
    }
    let _ = write!(
        out,
        "<form class=\"ws-form\" method=\"post\" action=\"{}\">\
         <label for=\"ws-code\">{}</label>\
         <input id=\"ws-code\" name=\"code\" type=\"text\" required maxlength=\"64\" \
         autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\" \
         inputmode=\"text\">\
         <button type=\"submit\">{}</button></form></main></body></html>",
        escape(&action),
        t.field,
        t.submit
    );
    Bytes::from(out)
}
