//! What a waiting visitor sees: owns the waiting page, the busy page, the status JSON, the
//! language menu and the embedded assets, in words from `locale`. Must not decide who waits;
//! it renders a `View` it is handed.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use bytes::Bytes;
use serde::Serialize;

use crate::config::RoomConfig;
use crate::locale::{Arg, Lang, Locale, Locales};
use crate::queue::admission::Estimate;
use crate::queue::schedule::{local_time, Schedule};
use crate::queue::supply::Chance;

mod form;
mod notify;
mod questions;
mod restore;
pub mod templates;
mod texts;
mod waiting;

pub use form::{form_page, sample_forms, Field, FormPage};
pub use notify::{letter, notify_page, LetterFacts, LetterKind, LetterText, NotifyAnswer};
pub use questions::{questions_page, sample_questions, FormError, QuestionsPage};
pub use restore::{invitation_page, restore_page, used_up_page, RestoreError};
use templates::Templates;
use texts::*;
pub use texts::{chance_words, eta_range_words, eta_words, supply_words};
pub use waiting::{
    waiting_page, Assets, Freshness, Headline, NotifyForm, Outlook, PlaceCodeText, PlaceText,
    PuzzleText, WaitingPage,
};

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
    /// The room counts its supply and calls nobody more for now: the sessions on the booking
    /// site are expected to book what is left. Calling goes on, in order, as sessions end
    /// without booking; places are kept.
    LastBeingBooked,
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
    /// The page's changing sentences, in the visitor's language, for the script to show.
    #[serde(flatten)]
    pub said: Said,
}

/// What the waiting page says of the figures that change while it is open: the script puts
/// these in place after each status poll, so that it needs no words of its own.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Said {
    /// The place in the language's digits ("1.234", "١٬٢٣٤").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position_text: Option<String>,
    /// "There are 5 people ahead of you."
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead_text: Option<String>,
    /// "Estimated wait: about 20–30 minutes."
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate_text: Option<String>,
    /// "Opening in about 2 hours."
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens_in_sentence: Option<String>,
    /// "Here already: 321 people"
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prequeue_text: Option<String>,
    /// "Release in about 2 hours." or "New appointments are expected any moment."
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_in_sentence: Option<String>,
    /// The time of the answer as the page shows it ("07:42 Uhr").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_text: Option<String>,
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
    pub chance_text: Option<String>,
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
    /// The address the e-mail for this place goes to, partly hidden (`ma…@example.org`):
    /// looked up for a page (not for a status poll), where it is shown to be corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noted_address: Option<String>,
}

impl RoomStateName {
    pub fn name(self) -> &'static str {
        match self {
            RoomStateName::Open => "open",
            RoomStateName::Paused => "paused",
            RoomStateName::Held => "held",
            RoomStateName::Closed => "closed",
            RoomStateName::SoldOut => "sold_out",
            RoomStateName::LastBeingBooked => "last_being_booked",
            RoomStateName::BeforeOpen => "before_open",
            RoomStateName::Prequeue => "prequeue",
        }
    }
}

impl View<'_> {
    /// Fills the estimate fields from one estimate (`None`: no estimate to give).
    pub fn set_eta(&mut self, w: &Locale, eta: Option<Estimate>) {
        self.eta = EtaView {
            seconds: eta.map(|e| e.seconds),
            low_seconds: eta.map(|e| e.low),
            high_seconds: eta.map(|e| e.high),
            text: eta.map(|e| eta_range_words(w, e.low, e.high)),
        };
    }

    /// Words the figures that change while the page is open (`said`), once the rest of the
    /// view is filled: the page and the status answer show the same sentences.
    pub fn say(&mut self, w: &Locale, room: &RoomConfig, now_unix: u64) {
        // Closed or sold out, nobody moves: a kept place is no "you are next" and no wait.
        let moving = !matches!(self.state, RoomStateName::Closed | RoomStateName::SoldOut);
        let placed = self.position.zip(self.ahead).filter(|_| moving);
        let release = self.supply.next_release.is_some();
        self.said = Said {
            position_text: placed.map(|(p, _)| w.number(p)),
            ahead_text: placed.map(|(_, a)| w.say("ahead", &[("count", Arg::Num(a))])),
            estimate_text: placed
                .and(self.eta.text.as_ref())
                .map(|e| w.say("estimate", &[("wait", Arg::Text(e))])),
            opens_in_sentence: self
                .opening
                .opens_in_text
                .as_ref()
                .map(|e| w.say("opens-in", &[("wait", Arg::Text(e))])),
            prequeue_text: self
                .opening
                .prequeue_size
                .map(|n| w.say("prequeue-size", &[("count", Arg::Num(n))])),
            release_in_sentence: release.then(|| match &self.supply.next_release_text {
                Some(e) => w.say("release-in", &[("wait", Arg::Text(e))]),
                None => w.text("release-due").into_owned(),
            }),
            updated_text: Some(clock_words(w, room, now_unix)),
        };
    }

    /// Whether "your turn is near" can still come for this visitor: a place in line, not let
    /// in yet, and something left to book. The e-mail field is offered only then.
    pub fn turn_may_come(&self) -> bool {
        self.doors.place_code.is_some()
            && !self.admitted
            && !matches!(self.state, RoomStateName::Closed | RoomStateName::SoldOut)
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

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// Text escaped for HTML as it is written into the page: no string of its own for each word.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Most words have nothing to escape: written in one piece; else piece by piece.
        let mut rest = self.0;
        while let Some(at) = rest
            .bytes()
            .position(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
        {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

pub const STYLESHEET: &str = "/.wartesaal/assets/wartesaal.css";
pub const SCRIPT: &str = "/.wartesaal/assets/wartesaal.js";

/// One language of the menu: its own name and the link that switches to it.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageSwitch {
    /// `/.wartesaal/lang?to=…&back=…`: sets the choice and returns to this page.
    pub href: String,
    /// The language's own name ("English", "Türkçe", "العربية").
    pub label: String,
    /// Its tag, for `lang` and `hreflang`.
    pub lang: Lang,
    /// `rtl` or `ltr`, for the name's `dir`.
    pub dir: &'static str,
    /// The page's own language.
    pub current: bool,
}

impl LanguageSwitch {
    /// The switch away from `w`'s language to the room's default, or from the default to
    /// the next language offered: the one link of an operator's older template.
    pub fn new(w: &Locale, locales: &Locales, back: &str) -> LanguageSwitch {
        let other = if w.lang() != locales.default_lang() {
            locales.get(locales.default_lang())
        } else {
            locales.menu().find(|l| l.lang() != w.lang()).unwrap_or(w)
        };
        LanguageSwitch::to(other, w.lang(), back)
    }

    fn to(target: &Locale, current: Lang, back: &str) -> LanguageSwitch {
        LanguageSwitch {
            href: format!(
                "/.wartesaal/lang?to={}&back={}",
                target.lang(),
                percent_encode(back)
            ),
            label: target.name().to_string(),
            lang: target.lang(),
            dir: target.dir(),
            current: target.lang() == current,
        }
    }

    /// Every language the room offers, in its order, for a menu.
    pub fn menu(w: &Locale, locales: &Locales, back: &str) -> Vec<LanguageSwitch> {
        locales
            .menu()
            .map(|l| LanguageSwitch::to(l, w.lang(), back))
            .collect()
    }
}

/// The page's language, its direction and the menu of the others: what every page has.
#[derive(Debug, Serialize)]
pub struct PageLanguage<'a> {
    /// The language tag: "de", "de-x-ls", "ar".
    pub lang: Lang,
    /// `rtl` for Arabic and Persian, else `ltr`: for `<html dir>`.
    pub dir: &'static str,
    /// The link to one other language (the default, or from it the next): an older
    /// template's single switch.
    pub switch: LanguageSwitch,
    /// Every language the room offers, in its order, each named in itself: made only when a
    /// template asks (the built-in pages write the menu straight from the room's languages).
    pub languages: LanguageMenu<'a>,
    /// The menu's own words and where it returns to.
    pub menu: MenuText<'a>,
    #[serde(skip)]
    locales: &'a Locales,
}

/// The language menu's label ("Sprache"), the English word beside it on a page in another
/// language ("Language", for whoever cannot read the page), and the way back.
#[derive(Debug, Serialize)]
pub struct MenuText<'a> {
    pub label: Cow<'a, str>,
    pub hint: Option<&'static str>,
    /// The path and query the menu returns to.
    pub back: String,
}

impl<'a> PageLanguage<'a> {
    pub(crate) fn new(room: &'a RoomConfig, w: &Locale, back: &str) -> PageLanguage<'a> {
        PageLanguage {
            lang: w.lang(),
            dir: w.dir(),
            switch: LanguageSwitch::new(w, &room.locales, back),
            languages: LanguageMenu {
                locales: &room.locales,
                current: w.lang(),
                back: back.to_string(),
            },
            menu: MenuText {
                label: Cow::Owned(Locale::plain(&w.text("language-menu"))),
                hint: (w.lang().primary() != "en").then_some("Language"),
                back: back.to_string(),
            },
            locales: &room.locales,
        }
    }

    /// The page's words.
    pub(crate) fn locale(&self) -> &'a Locale {
        self.locales.get(self.lang)
    }
}

/// The menu's entries for a template: written out when serialized, never before.
#[derive(Debug)]
pub struct LanguageMenu<'a> {
    locales: &'a Locales,
    current: Lang,
    /// Where each entry returns to.
    back: String,
}

impl Serialize for LanguageMenu<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let w = self.locales.get(self.current);
        s.collect_seq(LanguageSwitch::menu(w, self.locales, &self.back))
    }
}

/// The language menu as the built-in pages show it: folded away under its name (and the
/// English word, for whoever cannot read the page's language), then a form of one button per
/// language, so that it works without JavaScript and names the way back once.
fn language_menu(out: &mut String, speech: &PageLanguage) {
    let (w, locales, back) = (
        speech.locale(),
        speech.locales,
        speech.languages.back.as_str(),
    );
    if locales.menu().nth(1).is_none() {
        return;
    }
    let label = Locale::plain(&w.text("language-menu"));
    let label = escape(&label);
    let _ = write!(
        out,
        "<nav class=\"ws-lang\" aria-label=\"{label}\"><details><summary>{label}"
    );
    if w.lang().primary() != "en" {
        out.push_str(" · <span lang=\"en\" dir=\"ltr\">Language</span>");
    }
    let _ = write!(
        out,
        "</summary><form method=\"get\" action=\"/.wartesaal/lang\">\
         <input type=\"hidden\" name=\"back\" value=\"{}\">",
        escape(back),
    );
    // A button for each language, piece by piece: fifteen of them on every new page.
    for l in locales.menu() {
        let tag = l.lang();
        out.push_str("<button name=\"to\" value=\"");
        out.push_str(tag.code());
        out.push_str("\" lang=\"");
        out.push_str(tag.code());
        out.push_str("\" dir=\"");
        out.push_str(l.dir());
        out.push_str(if tag == w.lang() {
            "\" aria-current=\"true\">"
        } else {
            "\">"
        });
        let _ = write!(out, "{}", escape(l.name()));
        out.push_str("</button>");
    }
    out.push_str("</form></details></nav>");
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

/// The room's clock at `unix`: the offset in minutes and whether a zone is known (else UTC).
fn room_offset(room: &RoomConfig, unix: u64) -> (i32, bool) {
    match &room.time_zone {
        Some(tz) => (tz.offset_minutes(unix), true),
        None => (0, false),
    }
}

/// "07:42 Uhr", "07:42"; with " UTC" when the room names no time zone.
fn clock_words(w: &Locale, room: &RoomConfig, unix: u64) -> String {
    let (offset, known) = room_offset(room, unix);
    let t = local_time(unix * 1000, offset);
    let mut out = time_of_day(w, &t);
    if !known {
        out.push_str(" UTC");
    }
    out
}

/// The title and explanation of a room with a schedule, before it opens.
fn schedule_texts(
    w: &Locale,
    room: &RoomConfig,
    schedule: &Schedule,
    state: RoomStateName,
) -> (String, String) {
    let win = schedule.window;
    // In the room's time zone if it names one, else in the offset the times were written in.
    let local = |at: u64| {
        let offset = room
            .time_zone
            .as_ref()
            .map_or(schedule.offset_minutes, |tz| tz.offset_minutes(at / 1000));
        local_time(at, offset)
    };
    let open = local(win.opens_at);
    let from = local(win.prequeue_from);
    let open_time = time_of_day(w, &open);
    if state == RoomStateName::Prequeue {
        return (
            w.text("prequeue-title").into_owned(),
            w.say("prequeue-body", &[("open", Arg::Text(&open_time))]),
        );
    }
    let when = day_and_time(w, &open);
    let mut note = w.say("opens-on", &[("when", Arg::Text(&when))]);
    if win.prequeue_from < win.opens_at {
        let same_day = (from.year, from.month, from.day) == (open.year, open.month, open.day);
        let from_text = if same_day {
            time_of_day(w, &from)
        } else {
            day_and_time(w, &from)
        };
        note.push(' ');
        note.push_str(&w.say(
            "prequeue-invite",
            &[
                ("from", Arg::Text(&from_text)),
                ("open", Arg::Text(&open_time)),
            ],
        ));
    }
    (w.text("before-title").into_owned(), note)
}

/// Spreads the refresh of many pages over ±20 %, so that they do not look again in lockstep;
/// neighbours in the line get different shares.
pub fn jittered(seconds: u64, seed: u64) -> u64 {
    let share = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % 41; // 0..=40
    seconds.saturating_mul(80 + share).div_ceil(100).max(2)
}

fn head(out: &mut String, w: &Locale, title: &str, refresh: Option<u64>, noscript_refresh: bool) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"{STYLESHEET}\">",
        w.lang(),
        w.dir(),
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

/// A short page with a heading and one note, which loads itself again after `retry_after`:
/// the variables of an operator's `notice.html`.
#[derive(Debug, Serialize)]
pub struct NoticePage<'a> {
    #[serde(flatten)]
    pub speech: PageLanguage<'a>,
    pub site: &'a str,
    /// `busy` (the booking site cannot answer) or `limited` (too many new tickets).
    pub kind: &'static str,
    pub heading: String,
    pub page_title: String,
    pub note: String,
    pub retry_after_seconds: u64,
    /// For the reload without JavaScript: `retry_after_seconds`, spread over ±20 % so that
    /// such pages do not all come back in the same second.
    pub refresh_seconds: u64,
    pub stylesheet: &'static str,
    pub script: &'static str,
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
        w: &Locale,
        kind: &'static str,
        note: String,
        retry_after: u64,
        back: &str,
    ) -> NoticePage<'a> {
        let heading = w.text(&format!("{kind}-title")).into_owned();
        NoticePage {
            speech: PageLanguage::new(room, w, back),
            site: &room.title,
            kind,
            page_title: format!("{heading} – {}", room.title),
            heading,
            note,
            retry_after_seconds: retry_after,
            refresh_seconds: jittered(retry_after, random_seed()),
            stylesheet: STYLESHEET,
            script: SCRIPT,
        }
    }

    pub fn busy(room: &'a RoomConfig, lang: Lang, retry_after: u64, back: &str) -> Self {
        let w = room.locales.get(lang);
        let note = w.text("busy-body").into_owned();
        NoticePage::new(room, w, "busy", note, retry_after, back)
    }

    pub fn limited(room: &'a RoomConfig, lang: Lang, retry_after: u64, back: &str) -> Self {
        let w = room.locales.get(lang);
        let note = w.say("limited-body", &[("seconds", Arg::Num(retry_after))]);
        NoticePage::new(room, w, "limited", note, retry_after, back)
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
    Bytes::from(templates::render_builtin(
        templates::NOTICE,
        page,
        &page.heading,
    ))
}

#[cfg(test)]
mod tests;
