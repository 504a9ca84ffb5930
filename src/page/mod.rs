//! What a waiting visitor sees: owns the waiting page, the busy page, the status JSON, the
//! German and English texts and the embedded assets. Must not decide who waits; it renders a
//! `View` it is handed.

use std::fmt::Write as _;

use bytes::Bytes;
use serde::Serialize;

use crate::config::{Lang, RoomConfig};
use crate::queue::admission::Estimate;
use crate::queue::schedule::{local_time, Schedule};
use crate::queue::supply::Chance;

mod form;
mod notify;
mod questions;
mod restore;
pub mod templates;
mod texts;

pub use form::{form_page, sample_forms, Field, FormPage};
pub use notify::{letter, notify_page, LetterText, NotifyAnswer};
pub use questions::{questions_page, sample_questions, FormError, QuestionsPage};
pub use restore::{invitation_page, restore_page, RestoreError};
use templates::Templates;
use texts::*;
pub use texts::{chance_words, eta_range_words, eta_words, format_number, supply_words};

pub const ASSET_CSS: &str = include_str!("../../assets/wartesaal.css");
pub const ASSET_JS: &str = include_str!("../../assets/wartesaal.js");

/// The room's state as a visitor sees it: what the waiting page says and the status answer
/// names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomStateName {
    Open,
    /// The operator stopped admissions for now; places are kept.
    Paused,
    /// The gateway itself holds admission for a moment (its shared state cannot be reached,
    /// or a line just begun waits for an earlier line's holders); places are kept.
    Held,
    /// Nothing left to book; no new tickets.
    Closed,
    /// The room counts its supply and none is left: no new tickets, places kept for new
    /// supply.
    SoldOut,
    /// The room opens at a set time and its pre-queue has not begun: a countdown.
    BeforeOpen,
    /// Arrivals gather; at the opening they are put in a random order.
    Prequeue,
}

/// Everything a waiting page or status answer shows. The groups are written flat: the status
/// JSON and an operator's template name each field on its own (`eta_seconds`, `challenge`, …).
#[derive(Debug, Clone, Serialize)]
pub struct View<'a> {
    pub room: &'a str,
    pub state: RoomStateName,
    pub position: Option<u64>,
    pub ahead: Option<u64>,
    #[serde(flatten)]
    pub eta: EtaView,
    pub admitted: bool,
    pub admit_per_minute: f64,
    pub refresh_after_seconds: u64,
    #[serde(flatten)]
    pub opening: OpeningView,
    #[serde(flatten)]
    pub puzzle: PuzzleView,
    pub message: Option<String>,
    #[serde(flatten)]
    pub supply: SupplyView,
    #[serde(flatten)]
    pub doors: DoorsView,
}

/// How long the wait is, in seconds and in words; none while nobody moves.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EtaView {
    #[serde(rename = "eta_seconds")]
    pub seconds: Option<u64>,
    /// The range the wait lies in; equal to `seconds` when the pace is steady.
    #[serde(rename = "eta_low_seconds")]
    pub low_seconds: Option<u64>,
    #[serde(rename = "eta_high_seconds")]
    pub high_seconds: Option<u64>,
    /// The estimate in words, in the page's language ("etwa 20–30 Minuten").
    #[serde(rename = "eta_text")]
    pub text: Option<String>,
}

/// The schedule's opening, with `[rooms.schedule]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OpeningView {
    /// RFC 3339, in the offset the operator wrote it in.
    pub opens_at: Option<String>,
    /// Until the opening, while it lies ahead.
    pub opens_in_seconds: Option<u64>,
    /// The same in words, in the page's language.
    pub opens_in_text: Option<String>,
    /// Tickets in the pre-queue so far, while it gathers.
    pub prequeue_size: Option<u64>,
}

/// With proof of work on, for a visitor who needs a ticket: the signed challenge and the zero
/// bits SHA-256(`challenge:nonce`) must start with. POST `challenge=…&nonce=…` to
/// `/.wartesaal/ticket?room=…` to draw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PuzzleView {
    pub challenge: Option<String>,
    pub proof_of_work_bits: Option<u8>,
}

/// What is left to book, when the room counts it; the texts are left out where they do not
/// apply, so that a status poll stays small.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SupplyView {
    /// Appointments left to book.
    pub supply_remaining: Option<u64>,
    /// Whether appointments are likely to be left at this visitor's turn: `likely`,
    /// `uncertain`, `unlikely`; none without a supply, a place, or enough data yet.
    pub chance: Option<Chance>,
    /// The two in words, in the page's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supply_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chance_text: Option<&'static str>,
    /// When new appointments are expected (RFC 3339), shown once sold out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_release_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_release_text: Option<String>,
}

/// The other ways in and back: the eligibility questions, the place code, an invitation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DoorsView {
    /// For a visitor without a ticket in a room that asks eligibility questions first: where
    /// the form is sent (the page itself shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<String>,
    /// The code that gives this place back in any browser (`/.wartesaal/restore`); none
    /// without a place.
    pub place_code: Option<String>,
    /// For a visitor without a ticket in a room that takes invitations only: where the code
    /// is sent (`POST code=…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
}

impl RoomStateName {
    pub fn name(self) -> &'static str {
        match self {
            RoomStateName::Open => "open",
            RoomStateName::Paused => "paused",
            RoomStateName::Held => "held",
            RoomStateName::Closed => "closed",
            RoomStateName::SoldOut => "sold_out",
            RoomStateName::BeforeOpen => "before_open",
            RoomStateName::Prequeue => "prequeue",
        }
    }
}

impl View<'_> {
    /// Fills the estimate fields from one estimate (`None`: no estimate to give).
    pub fn set_eta(&mut self, lang: Lang, eta: Option<Estimate>) {
        self.eta = EtaView {
            seconds: eta.map(|e| e.seconds),
            low_seconds: eta.map(|e| e.low),
            high_seconds: eta.map(|e| e.high),
            text: eta.map(|e| eta_range_words(lang, e.low, e.high)),
        };
    }

    pub fn to_json(&self) -> Bytes {
        // Sized for the usual answer (about 400 bytes; 650 with a message and the supply's
        // sentences), so it is written without regrowing.
        let mut out = Vec::with_capacity(768);
        // Serializing plain numbers and strings cannot fail.
        if serde_json::to_writer(&mut out, self).is_err() {
            return Bytes::from_static(b"{}");
        }
        Bytes::from(out)
    }
}

/// How often a waiting visitor should look again: rarely when far back, often when close.
pub fn refresh_after(eta_seconds: u64) -> u64 {
    match eta_seconds {
        0..=60 => 5,
        61..=600 => 15,
        _ => 30,
    }
}

/// Picks German or English from `Accept-Language`, falling back to the room's language.
pub fn pick_language(accept_language: Option<&str>, fallback: Lang) -> Lang {
    let Some(header) = accept_language else {
        return fallback;
    };
    let mut best: Option<(Lang, f32)> = None;
    // Bounded: a hostile header of megabytes is not read past its first entries.
    for entry in header.split(',').take(16) {
        let mut parts = entry.trim().split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let Some(lang) = Lang::parse(primary) else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
            best = Some((lang, q));
        }
    }
    best.map(|(l, _)| l).unwrap_or(fallback)
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub const STYLESHEET: &str = "/.wartesaal/assets/wartesaal.css";
pub const SCRIPT: &str = "/.wartesaal/assets/wartesaal.js";

/// The link to the page in the other language.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageSwitch {
    /// `/.wartesaal/lang?to=…&back=…`: sets the choice and returns to this page.
    pub href: String,
    /// The other language's own name ("English", "Deutsch").
    pub label: &'static str,
    /// Its code, for `lang` and `hreflang`.
    pub lang: &'static str,
}

impl LanguageSwitch {
    /// The switch away from `lang`, returning to `back` (the path and query asked for).
    pub fn new(lang: Lang, back: &str) -> LanguageSwitch {
        let other = match lang {
            Lang::De => Lang::En,
            Lang::En => Lang::De,
        };
        LanguageSwitch {
            href: format!(
                "/.wartesaal/lang?to={}&back={}",
                other.code(),
                percent_encode(back)
            ),
            label: texts(other).lang_name,
            lang: other.code(),
        }
    }
}

/// Encodes everything but unreserved characters and `/`, for a path inside a query value.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

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

/// The room's clock at `unix`: the offset in minutes and whether a zone is known (else UTC).
fn room_offset(room: &RoomConfig, unix: u64) -> (i32, bool) {
    match &room.time_zone {
        Some(tz) => (tz.offset_minutes(unix), true),
        None => (0, false),
    }
}

/// "07:42 Uhr", "07:42"; with " UTC" when the room names no time zone.
fn clock_words(lang: Lang, room: &RoomConfig, unix: u64) -> String {
    let (offset, known) = room_offset(room, unix);
    let t = local_time(unix * 1000, offset);
    let mut out = time_of_day(lang, &t);
    if !known {
        out.push_str(" UTC");
    }
    out
}

/// The title and explanation of a room with a schedule, before it opens.
fn schedule_texts(
    lang: Lang,
    room: &RoomConfig,
    schedule: &Schedule,
    state: RoomStateName,
) -> (&'static str, String) {
    let t = &texts(lang).opening;
    let w = schedule.window;
    // In the room's time zone if it names one, else in the offset the times were written in.
    let local = |at: u64| {
        let offset = room
            .time_zone
            .as_ref()
            .map_or(schedule.offset_minutes, |tz| tz.offset_minutes(at / 1000));
        local_time(at, offset)
    };
    let open = local(w.opens_at);
    let from = local(w.prequeue_from);
    let open_time = time_of_day(lang, &open);
    if state == RoomStateName::Prequeue {
        return (
            t.prequeue_title,
            t.prequeue_body.replace("{open}", &open_time),
        );
    }
    let mut note = t.opens_on.replace("{when}", &day_and_time(lang, &open));
    if w.prequeue_from < w.opens_at {
        let same_day = (from.year, from.month, from.day) == (open.year, open.month, open.day);
        let from_text = if same_day {
            time_of_day(lang, &from)
        } else {
            day_and_time(lang, &from)
        };
        note.push(' ');
        note.push_str(
            &t.prequeue_invite
                .replace("{from}", &from_text)
                .replace("{open}", &open_time),
        );
    }
    (t.before_title, note)
}

/// Spreads the refresh of many pages over ±20 %, so that they do not look again in lockstep;
/// neighbours in the line get different shares.
pub fn jittered(seconds: u64, seed: u64) -> u64 {
    let share = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % 41; // 0..=40
    seconds.saturating_mul(80 + share).div_ceil(100).max(2)
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

fn head(out: &mut String, lang: &str, title: &str, refresh: Option<u64>, noscript_refresh: bool) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"{STYLESHEET}\">",
        escape(title),
    );
    if let Some(secs) = refresh {
        if noscript_refresh {
            // With JavaScript the page polls the status instead of reloading; without it the
            // browser reloads the same URL, which lands on the real page once admitted.
            let _ = write!(
                out,
                "<noscript><meta http-equiv=\"refresh\" content=\"{secs}\"></noscript>"
            );
        } else {
            let _ = write!(out, "<meta http-equiv=\"refresh\" content=\"{secs}\">");
        }
    }
    out.push_str("</head>");
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

/// A short page with a heading and one note, which loads itself again after `retry_after`:
/// the variables of an operator's `notice.html`.
#[derive(Debug, Serialize)]
pub struct NoticePage<'a> {
    pub lang: &'static str,
    pub site: &'a str,
    /// `busy` (the booking site cannot answer) or `limited` (too many new tickets).
    pub kind: &'static str,
    pub heading: &'static str,
    pub page_title: String,
    pub note: String,
    pub retry_after_seconds: u64,
    pub stylesheet: &'static str,
    pub script: &'static str,
    /// The link to the other language.
    pub switch: LanguageSwitch,
}

/// "Busy, your place is kept, retrying": for admitted visitors when the upstream cannot answer.
pub fn busy_page(
    room: &RoomConfig,
    templates: Option<&Templates>,
    lang: Lang,
    retry_after: u64,
    back: &str,
) -> Bytes {
    notice_page(templates, &NoticePage::busy(room, lang, retry_after, back))
}

/// "Too many new tickets from your connection": the issuance limit's answer.
pub fn limited_page(
    room: &RoomConfig,
    templates: Option<&Templates>,
    lang: Lang,
    retry_after: u64,
    back: &str,
) -> Bytes {
    notice_page(
        templates,
        &NoticePage::limited(room, lang, retry_after, back),
    )
}

impl<'a> NoticePage<'a> {
    fn new(
        room: &'a RoomConfig,
        lang: Lang,
        kind: &'static str,
        heading: &'static str,
        note: String,
        retry_after: u64,
        back: &str,
    ) -> NoticePage<'a> {
        NoticePage {
            lang: lang.code(),
            site: &room.title,
            kind,
            heading,
            page_title: format!("{heading} – {}", room.title),
            note,
            retry_after_seconds: retry_after,
            stylesheet: STYLESHEET,
            script: SCRIPT,
            switch: LanguageSwitch::new(lang, back),
        }
    }

    pub fn busy(room: &'a RoomConfig, lang: Lang, retry_after: u64, back: &str) -> Self {
        let t = &texts(lang).notices;
        let note = t.busy_body.to_string();
        NoticePage::new(room, lang, "busy", t.busy_title, note, retry_after, back)
    }

    pub fn limited(room: &'a RoomConfig, lang: Lang, retry_after: u64, back: &str) -> Self {
        let t = &texts(lang).notices;
        let note = t.limited_body.replace("{}", &retry_after.to_string());
        NoticePage::new(
            room,
            lang,
            "limited",
            t.limited_title,
            note,
            retry_after,
            back,
        )
    }
}

/// Both notices with sample figures, for a template's trial render.
pub fn sample_notices(room: &RoomConfig, lang: Lang) -> [NoticePage<'_>; 2] {
    [
        NoticePage::busy(room, lang, 10, "/"),
        NoticePage::limited(room, lang, 30, "/"),
    ]
}

/// A seed for jitter where there is no place in line to spread by.
fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::getrandom(&mut bytes);
    u64::from_le_bytes(bytes)
}

fn notice_page(templates: Option<&Templates>, page: &NoticePage) -> Bytes {
    if let Some(html) = templates.and_then(|t| t.render_notice(page)) {
        return Bytes::from(html);
    }
    let mut out = String::with_capacity(2048);
    head(
        &mut out,
        page.lang,
        &page.page_title,
        // Spread, so that pages without a script do not all come back in the same second.
        Some(jittered(page.retry_after_seconds, random_seed())),
        true,
    );
    // The script tries again after `retry_after` (with jitter); without it the refresh does.
    let _ = write!(
        out,
        "<body><nav class=\"ws-lang\"><a href=\"{}\" lang=\"{}\" hreflang=\"{}\">{}</a></nav>\
         <main class=\"ws\" id=\"ws-notice\" data-retry=\"{}\"><p class=\"ws-site\">{}</p>\
         <h1>{}</h1><p class=\"ws-note\" role=\"status\">{}</p></main>\
         <script src=\"{SCRIPT}\" defer></script></body></html>",
        escape(&page.switch.href),
        page.switch.lang,
        page.switch.lang,
        page.switch.label,
        page.retry_after_seconds,
        escape(page.site),
        page.heading,
        page.note,
    );
    Bytes::from(out)
}

#[cfg(test)]
mod tests;
