//! The waiting page: what it says, worded in the visitor's language from the room's view, and
//! the built-in page made of it (an operator's `waiting.html` gets the same variables).

use std::fmt::Write as _;

use bytes::Bytes;
use serde::Serialize;

use crate::config::{Lang, RoomConfig};
use crate::queue::supply::Chance;

use super::templates::Templates;
use super::texts::*;
use super::{
    clock_words, escape, format_number, head, jittered, notify, restore, schedule_texts,
    LanguageSwitch, RoomStateName, View, SCRIPT, STYLESHEET,
};

/// Everything the waiting page shows, worded in the page's language: the variables of an
/// operator's `waiting.html` (docs/visitors.md, "Your own page") and what the built-in page is
/// made of. The groups are written flat: a template names each variable on its own.
#[derive(Debug, Serialize)]
pub struct WaitingPage<'a> {
    /// "de" or "en".
    pub lang: &'static str,
    /// The room's `title`: the site's name.
    pub site: &'a str,
    pub room: &'a str,
    /// `open`, `paused`, `closed`, `before_open`, `prequeue`.
    pub state: &'static str,
    #[serde(flatten)]
    pub headline: Headline<'a>,
    #[serde(flatten)]
    pub place: PlaceText,
    #[serde(flatten)]
    pub outlook: Outlook,
    /// Sentences on what to do and what happens next.
    pub advice: Vec<&'static str>,
    #[serde(flatten)]
    pub freshness: Freshness<'a>,
    #[serde(flatten)]
    pub puzzle: PuzzleText<'a>,
    #[serde(flatten)]
    pub code: PlaceCodeText<'a>,
    #[serde(flatten)]
    pub notify: NotifyForm,
    pub switch: LanguageSwitch,
    #[serde(flatten)]
    pub assets: Assets,
    /// The same figures as `/.wartesaal/status` answers.
    pub status: &'a View<'a>,
}

/// What the page is about.
#[derive(Debug, Serialize)]
pub struct Headline<'a> {
    pub heading: &'static str,
    /// The document title: heading and site.
    pub page_title: String,
    /// What the state means for the visitor (paused, closed, before the opening).
    pub note: Option<String>,
    /// The operator's message, in this language if there is one.
    pub message: Option<&'a str>,
}

/// The visitor's place and wait.
#[derive(Debug, Serialize)]
pub struct PlaceText {
    pub position_label: &'static str,
    pub position: Option<u64>,
    /// The position with the language's thousands separator.
    pub position_text: Option<String>,
    pub ahead: Option<u64>,
    pub ahead_text: Option<String>,
    /// "Geschätzte Wartezeit: etwa 20–30 Minuten."
    pub estimate_text: Option<String>,
    /// Shown by the script once it is the visitor's turn.
    pub admitted_text: &'static str,
}

/// What lies ahead: the opening, the pre-queue, the appointments left and the chance of one.
#[derive(Debug, Serialize)]
pub struct Outlook {
    pub opens_in_text: Option<String>,
    pub prequeue_text: Option<String>,
    /// "Es sind noch etwa 1.200 Termine frei."
    pub supply_text: Option<String>,
    /// "Es ist unwahrscheinlich, dass bei Ihrer Ankunft noch Termine frei sind."
    pub chance_text: Option<&'static str>,
    /// `likely`, `uncertain`, `unlikely`, or `unknown` (too little data yet); none without a
    /// supply or a place.
    pub chance: Option<&'static str>,
    /// Once sold out, with `next_release`: when new appointments are expected, and the
    /// countdown to it.
    pub next_release_text: Option<String>,
    pub release_in_text: Option<String>,
}

/// When this answer was made, and when the page looks again.
#[derive(Debug, Serialize)]
pub struct Freshness<'a> {
    pub updated_label: &'static str,
    /// The time of this answer in the room's time zone, as the language writes it.
    pub updated_time: String,
    pub updated_unix: u64,
    /// IANA name of the room's time zone; none when the room names none (times in UTC).
    pub time_zone: Option<&'a str>,
    /// The time of this answer as RFC 3339 (UTC), for `<time datetime>`.
    pub updated_iso: String,
    /// Seconds until the page looks again (with jitter); none on a puzzle page.
    pub refresh_seconds: Option<u64>,
}

/// The proof-of-work puzzle, for a visitor who needs a ticket while it is on.
#[derive(Debug, Serialize)]
pub struct PuzzleText<'a> {
    pub challenge: Option<&'a str>,
    pub proof_of_work_bits: Option<u8>,
    pub pow_working: &'static str,
    pub pow_needs_script: &'static str,
}

/// The place code, its label, the sentence on what it is for, and where it is entered.
#[derive(Debug, Serialize)]
pub struct PlaceCodeText<'a> {
    pub place_code: Option<&'a str>,
    pub place_code_label: &'static str,
    pub place_code_text: &'static str,
    pub restore_href: String,
    /// The link's text: the restore form's title.
    pub restore_label: &'static str,
}

/// Where the e-mail field is sent (`[rooms.notify]`); none without a place or without
/// e-mails. With its heading, sentence, field label, button and privacy note.
#[derive(Debug, Serialize)]
pub struct NotifyForm {
    pub notify_href: Option<String>,
    pub notify_label: &'static str,
    pub notify_text: &'static str,
    pub notify_field: &'static str,
    pub notify_submit: &'static str,
    pub notify_privacy: &'static str,
}

/// The page's stylesheet and script paths.
#[derive(Debug, Serialize)]
pub struct Assets {
    pub stylesheet: &'static str,
    pub script: &'static str,
}

impl<'a> WaitingPage<'a> {
    /// Words the view for `lang`; `back` is the path and query the visitor asked for.
    pub fn new(
        room: &'a RoomConfig,
        lang: Lang,
        view: &'a View<'a>,
        now_unix: u64,
        back: &str,
    ) -> WaitingPage<'a> {
        let t = texts(lang);
        let (ct, nt) = (restore::code_texts(lang), notify::notify_texts(lang));
        WaitingPage {
            lang: lang.code(),
            site: &room.title,
            room: view.room,
            state: view.state.name(),
            headline: headline(room, lang, view),
            place: place_text(lang, view),
            outlook: outlook(room, lang, view),
            advice: advice(lang, view),
            freshness: Freshness {
                updated_label: t.line.updated,
                updated_time: clock_words(lang, room, now_unix),
                updated_unix: now_unix,
                time_zone: room.time_zone.as_ref().map(|tz| tz.name()),
                updated_iso: crate::queue::schedule::format_time(now_unix * 1000, 0),
                // Reloading a puzzle page without a script only hands out another puzzle.
                refresh_seconds: view.puzzle.challenge.is_none().then(|| {
                    jittered(
                        view.refresh_after_seconds,
                        view.position.unwrap_or(now_unix),
                    )
                }),
            },
            puzzle: PuzzleText {
                challenge: view.puzzle.challenge.as_deref(),
                proof_of_work_bits: view.puzzle.proof_of_work_bits,
                pow_working: t.puzzle.pow_working,
                pow_needs_script: t.puzzle.pow_needs_script,
            },
            code: PlaceCodeText {
                place_code: view.doors.place_code.as_deref(),
                place_code_label: ct.label,
                place_code_text: ct.explain,
                restore_href: format!("/.wartesaal/restore?room={}", room.id),
                restore_label: ct.title,
            },
            notify: NotifyForm {
                notify_href: (room.notify.is_some()
                    && view.doors.place_code.is_some()
                    && !view.admitted)
                    .then(|| format!("/.wartesaal/notify?room={}", room.id)),
                notify_label: nt.label,
                notify_text: nt.explain,
                notify_field: nt.field,
                notify_submit: nt.submit,
                notify_privacy: nt.privacy,
            },
            switch: LanguageSwitch::new(lang, back),
            assets: Assets {
                stylesheet: STYLESHEET,
                script: SCRIPT,
            },
            status: view,
        }
    }
}

/// The heading and the note on what the state means.
fn headline<'a>(room: &RoomConfig, lang: Lang, view: &'a View<'a>) -> Headline<'a> {
    let (t, st) = (texts(lang), &texts(lang).states);
    let (heading, note) = match (view.state, &room.schedule) {
        _ if view.puzzle.challenge.is_some() => (t.puzzle.pow_title, None),
        (RoomStateName::Paused, _) => (st.paused_title, Some(st.paused_body.to_string())),
        (RoomStateName::Held, _) => (st.held_title, Some(st.held_body.to_string())),
        (RoomStateName::Closed, _) => (st.closed_title, Some(st.closed_body.to_string())),
        (RoomStateName::SoldOut, _) => (st.sold_out_title, Some(st.sold_out_body.to_string())),
        (RoomStateName::LastBeingBooked, _) => (st.last_title, Some(st.last_body.to_string())),
        (state @ (RoomStateName::BeforeOpen | RoomStateName::Prequeue), Some(schedule)) => {
            let (title, note) = schedule_texts(lang, room, schedule, state);
            (title, Some(note))
        }
        (_, _) => (t.line.waiting_title, None),
    };
    Headline {
        heading,
        page_title: format!("{heading} – {}", room.title),
        note,
        message: view.message.as_deref().filter(|m| !m.is_empty()),
    }
}

/// What to do and what happens next.
fn advice(lang: Lang, view: &View) -> Vec<&'static str> {
    let t = texts(lang);
    let mut advice = match view.state {
        _ if view.puzzle.challenge.is_some() => vec![],
        RoomStateName::Open => vec![t.line.keep_open, t.line.your_turn],
        RoomStateName::BeforeOpen | RoomStateName::Prequeue => vec![t.line.refreshes],
        RoomStateName::SoldOut if view.position.is_some() => vec![t.supply.sold_out_kept],
        RoomStateName::LastBeingBooked => vec![t.line.keep_open],
        RoomStateName::Paused
        | RoomStateName::Held
        | RoomStateName::Closed
        | RoomStateName::SoldOut => vec![],
    };
    if view.supply.chance == Some(Chance::Unlikely) && view.state != RoomStateName::SoldOut {
        advice.insert(0, t.supply.unlikely_advice);
    }
    advice
}

/// The visitor's place and wait, in words.
fn place_text(lang: Lang, view: &View) -> PlaceText {
    let t = texts(lang);
    let placed = view.position.zip(view.ahead);
    PlaceText {
        position_label: t.line.your_number,
        position: view.position,
        position_text: placed.map(|(p, _)| format_number(lang, p)),
        ahead: view.ahead,
        ahead_text: placed.map(|(_, a)| ahead_text(lang, a)),
        estimate_text: placed
            .and(view.eta.text.as_ref())
            .map(|e| t.line.estimate.replace("{}", e)),
        admitted_text: t.line.admitted,
    }
}

/// The opening, the pre-queue, the appointments left and the chance, in words.
fn outlook(room: &RoomConfig, lang: Lang, view: &View) -> Outlook {
    let t = texts(lang);
    let sold_out = view.state == RoomStateName::SoldOut;
    // Said where the view says so: once sold out, with a `next_release`.
    let release = room
        .supply
        .and_then(|s| s.next_release)
        .filter(|_| view.supply.next_release.is_some());
    let placed_with_supply = view.position.is_some() && view.supply.supply_remaining.is_some();
    Outlook {
        opens_in_text: view
            .opening
            .opens_in_text
            .as_ref()
            .map(|e| t.opening.opens_in.replace("{}", e)),
        prequeue_text: view
            .opening
            .prequeue_size
            .map(|n| t.opening.prequeue_size.replace("{}", &people(lang, n))),
        supply_text: view.supply.supply_text.clone().filter(|_| !sold_out),
        chance_text: view
            .supply
            .chance_text
            .filter(|_| placed_with_supply && !sold_out),
        chance: (placed_with_supply && !sold_out)
            .then(|| view.supply.chance.map_or("unknown", Chance::name)),
        next_release_text: release.map(|(at, offset)| next_release_words(lang, room, at, offset)),
        release_in_text: release.map(|_| match &view.supply.next_release_text {
            Some(words) => t.supply.release_in.replace("{}", words),
            None => t.supply.release_due.to_string(),
        }),
    }
}

/// The waiting page, served in place at the URL the visitor asked for: the operator's
/// template when the room has one, else the built-in page.
pub fn waiting_page(templates: Option<&Templates>, page: &WaitingPage) -> Bytes {
    if let Some(templates) = templates {
        if let Some(html) = templates.render_waiting(page) {
            return Bytes::from(html);
        }
    }
    Bytes::from(builtin_waiting_page(page))
}

fn builtin_waiting_page(p: &WaitingPage) -> String {
    let mut out = String::with_capacity(4096);
    head(
        &mut out,
        p.lang,
        &p.headline.page_title,
        p.freshness.refresh_seconds,
        true,
    );
    let _ = write!(
        out,
        "<body><nav class=\"ws-lang\"><a href=\"{}\" lang=\"{}\" hreflang=\"{}\">{}</a></nav>\
         <main class=\"ws\" id=\"ws\" data-room=\"{}\" data-lang=\"{}\" data-refresh=\"{}\" \
         data-state=\"{}\" data-message=\"{}\" data-tz=\"{}\" data-chance=\"{}\"",
        escape(&p.switch.href),
        p.switch.lang,
        p.switch.lang,
        p.switch.label,
        escape(p.room),
        p.lang,
        p.status.refresh_after_seconds,
        p.state,
        escape(p.headline.message.unwrap_or("")),
        escape(p.freshness.time_zone.unwrap_or("")),
        p.outlook.chance.unwrap_or(""),
    );
    if let (Some(challenge), Some(bits)) = (p.puzzle.challenge, p.puzzle.proof_of_work_bits) {
        let _ = write!(
            out,
            " data-challenge=\"{}\" data-bits=\"{bits}\"",
            escape(challenge)
        );
    }
    let _ = write!(
        out,
        "><p class=\"ws-site\">{}</p><h1>{}</h1>",
        escape(p.site),
        p.headline.heading,
    );
    if p.puzzle.challenge.is_some() {
        let _ = write!(
            out,
            "<p class=\"ws-note\" id=\"ws-pow\" role=\"status\" aria-live=\"polite\">{}</p>\
             <noscript><p class=\"ws-message\">{}</p></noscript>",
            p.puzzle.pow_working, p.puzzle.pow_needs_script,
        );
    }
    if let Some(message) = p.headline.message {
        let _ = write!(out, "<p class=\"ws-message\">{}</p>", escape(message));
    }
    if let Some(note) = &p.headline.note {
        let _ = write!(out, "<p class=\"ws-note\">{note}</p>");
    }
    status_region(&mut out, p);
    if let Some(code) = p.code.place_code {
        let _ = write!(
            out,
            "<p class=\"ws-label ws-code-label\">{}</p><p class=\"ws-code\" id=\"ws-code\">{code}</p>\
             <p class=\"ws-note\">{} <a href=\"{}\">{}</a></p>",
            p.code.place_code_label,
            p.code.place_code_text,
            escape(&p.code.restore_href),
            p.code.restore_label,
        );
    }
    if let Some(action) = &p.notify.notify_href {
        let _ = write!(
            out,
            "<h2 class=\"ws-notify-title\">{}</h2><p class=\"ws-note\">{}</p>",
            p.notify.notify_label, p.notify.notify_text
        );
        let lang = if p.lang == "en" { Lang::En } else { Lang::De };
        notify::notify_form(&mut out, notify::notify_texts(lang), action);
    }
    for sentence in &p.advice {
        let _ = write!(out, "<p class=\"ws-note\">{sentence}</p>");
    }
    let _ = write!(
        out,
        "<p class=\"ws-updated\">{} <time id=\"ws-time\" datetime=\"{}\">{}</time></p>\
         <p class=\"ws-admitted\" id=\"ws-admitted\" hidden>{}</p></main>\
         <script src=\"{SCRIPT}\" defer></script></body></html>",
        p.freshness.updated_label,
        p.freshness.updated_iso,
        p.freshness.updated_time,
        p.place.admitted_text
    );
    out
}

/// The part a screen reader reads again when it changes: place, wait, opening and supply.
fn status_region(out: &mut String, p: &WaitingPage) {
    out.push_str(
        "<div class=\"ws-status\" role=\"status\" aria-live=\"polite\" aria-atomic=\"true\">",
    );
    if let Some(text) = &p.outlook.opens_in_text {
        let _ = write!(out, "<p id=\"ws-opens-in\">{}</p>", escape(text));
    }
    if let Some(text) = &p.outlook.prequeue_text {
        let _ = write!(out, "<p id=\"ws-prequeue\">{}</p>", escape(text));
    }
    if let Some(text) = &p.outlook.next_release_text {
        let _ = write!(out, "<p id=\"ws-release\">{}</p>", escape(text));
    }
    if let Some(text) = &p.outlook.release_in_text {
        let _ = write!(out, "<p id=\"ws-release-in\">{}</p>", escape(text));
    }
    if let (Some(position), Some(ahead)) = (&p.place.position_text, &p.place.ahead_text) {
        let _ = write!(
            out,
            "<p class=\"ws-label\">{}</p><p class=\"ws-position\" id=\"ws-position\">{position}</p>\
             <p id=\"ws-ahead\">{ahead}</p>",
            p.place.position_label,
        );
        if let Some(text) = &p.place.estimate_text {
            let _ = write!(out, "<p id=\"ws-eta\">{}</p>", escape(text));
        }
    }
    if let Some(text) = &p.outlook.supply_text {
        let _ = write!(out, "<p id=\"ws-supply\">{}</p>", escape(text));
    }
    if let (Some(text), Some(chance)) = (&p.outlook.chance_text, p.outlook.chance) {
        let _ = write!(
            out,
            "<p id=\"ws-chance\" class=\"ws-chance ws-chance-{chance}\">{}</p>",
            escape(text)
        );
    }
    out.push_str("</div>");
}

fn ahead_text(lang: Lang, ahead: u64) -> String {
    let t = &texts(lang).line;
    match ahead {
        0 => t.nobody_ahead.to_string(),
        1 => t.ahead_one.to_string(),
        n => t.ahead_many.replace("{}", &format_number(lang, n)),
    }
}
