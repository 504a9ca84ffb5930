//! The waiting page: what it says, worded in the visitor's language from the room's view, and
//! the built-in page made of it (an operator's `waiting.html` gets the same variables).

use std::fmt::Write as _;

use bytes::Bytes;
use serde::Serialize;

use std::borrow::Cow;

use crate::config::RoomConfig;
use crate::locale::{Lang, Locale};
use crate::queue::supply::Chance;

use super::templates::Templates;
use super::texts::*;
use super::{
    clock_words, escape, head, jittered, language_menu, notify, schedule_texts, PageLanguage,
    RoomStateName, View, SCRIPT, STYLESHEET,
};

/// Everything the waiting page shows, worded in the page's language: the variables of an
/// operator's `waiting.html` (docs/visitors.md, "Your own page") and what the built-in page is
/// made of. The groups are written flat: a template names each variable on its own.
#[derive(Debug, Serialize)]
pub struct WaitingPage<'a> {
    #[serde(flatten)]
    pub speech: PageLanguage<'a>,
    /// The room's `title`: the site's name.
    pub site: &'a str,
    pub room: &'a str,
    /// `open`, `paused`, `closed`, `before_open`, `prequeue`.
    pub state: &'static str,
    #[serde(flatten)]
    pub headline: Headline<'a>,
    #[serde(flatten)]
    pub place: PlaceText<'a>,
    #[serde(flatten)]
    pub outlook: Outlook,
    /// Sentences on what to do and what happens next.
    pub advice: Vec<Cow<'a, str>>,
    #[serde(flatten)]
    pub freshness: Freshness<'a>,
    #[serde(flatten)]
    pub puzzle: PuzzleText<'a>,
    #[serde(flatten)]
    pub code: PlaceCodeText<'a>,
    #[serde(flatten)]
    pub notify: NotifyForm<'a>,
    #[serde(flatten)]
    pub assets: Assets,
    /// The same figures as `/.wartesaal/status` answers.
    pub status: &'a View<'a>,
}

/// What the page is about.
#[derive(Debug, Serialize)]
pub struct Headline<'a> {
    pub heading: Cow<'a, str>,
    /// The document title: heading and site.
    pub page_title: String,
    /// What the state means for the visitor (paused, closed, before the opening).
    pub note: Option<String>,
    /// The operator's message, in this language if there is one.
    pub message: Option<&'a str>,
}

/// The visitor's place and wait.
#[derive(Debug, Serialize)]
pub struct PlaceText<'a> {
    pub position_label: Cow<'a, str>,
    pub position: Option<u64>,
    /// The position with the language's thousands separator.
    pub position_text: Option<String>,
    pub ahead: Option<u64>,
    pub ahead_text: Option<String>,
    /// "Geschätzte Wartezeit: etwa 20–30 Minuten."
    pub estimate_text: Option<String>,
    /// Shown by the script once it is the visitor's turn.
    pub admitted_text: Cow<'a, str>,
}

/// What lies ahead: the opening, the pre-queue, the appointments left and the chance of one.
#[derive(Debug, Serialize)]
pub struct Outlook {
    pub opens_in_text: Option<String>,
    pub prequeue_text: Option<String>,
    /// "Es sind noch etwa 1.200 Termine frei."
    pub supply_text: Option<String>,
    /// "Es ist unwahrscheinlich, dass bei Ihrer Ankunft noch Termine frei sind."
    pub chance_text: Option<String>,
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
    pub updated_label: Cow<'a, str>,
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
    pub pow_working: Cow<'a, str>,
    pub pow_needs_script: Cow<'a, str>,
}

/// The place code, its label, the sentence on what it is for, and where it is entered.
#[derive(Debug, Serialize)]
pub struct PlaceCodeText<'a> {
    pub place_code: Option<&'a str>,
    pub place_code_label: Cow<'a, str>,
    pub place_code_text: Cow<'a, str>,
    pub restore_href: String,
    /// The link's text: the restore form's title.
    pub restore_label: Cow<'a, str>,
    /// No place shown here (a newcomer's page, a closed or sold-out room, the puzzle): the
    /// way back is offered to whoever has one elsewhere, with `way_back_text`.
    pub offer_restore: bool,
    /// "Already in the queue on another device, or did you leave your e-mail address?"
    pub way_back_text: Cow<'a, str>,
}

/// Where the e-mail field is sent (`[rooms.notify]`); none without a place or without
/// e-mails. With its heading, sentence, field label, button and privacy note.
#[derive(Debug, Serialize)]
pub struct NotifyForm<'a> {
    pub notify_href: Option<String>,
    pub notify_label: Cow<'a, str>,
    pub notify_text: Cow<'a, str>,
    pub notify_field: Cow<'a, str>,
    pub notify_submit: Cow<'a, str>,
    pub notify_privacy: Cow<'a, str>,
    /// "The e-mail goes to ma…@example.org.": the address noted for this place, partly
    /// hidden, so that a typing mistake shows; the form then replaces it.
    pub notify_noted: Option<String>,
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
        let w: &'a Locale = room.locales.get(lang);
        WaitingPage {
            speech: PageLanguage::new(room, w, back),
            site: &room.title,
            room: view.room,
            state: view.state.name(),
            headline: headline(room, w, view),
            place: place_text(w, view),
            outlook: outlook(room, w, view),
            advice: advice(w, view),
            freshness: Freshness {
                updated_label: w.text("updated"),
                updated_time: view
                    .said
                    .updated_text
                    .clone()
                    .unwrap_or_else(|| clock_words(w, room, now_unix)),
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
                pow_working: w.text("pow-working"),
                pow_needs_script: w.text("pow-needs-script"),
            },
            code: PlaceCodeText {
                place_code: view.doors.place_code.as_deref(),
                place_code_label: w.text("code-label"),
                place_code_text: w.text("code-explain"),
                restore_href: format!("/.wartesaal/restore?room={}", room.id),
                restore_label: w.text("restore-title"),
                offer_restore: view.doors.place_code.is_none()
                    && view.position.is_none()
                    && !view.admitted,
                way_back_text: w.text("have-place"),
            },
            notify: NotifyForm {
                notify_href: (room.notify.is_some() && view.turn_may_come())
                    .then(|| format!("/.wartesaal/notify?room={}", room.id)),
                notify_label: w.text("notify-label"),
                notify_text: w.text("notify-explain"),
                notify_field: w.text("notify-field"),
                notify_submit: w.text("notify-submit"),
                notify_privacy: w.text("notify-privacy"),
                notify_noted: view
                    .doors
                    .noted_address
                    .as_deref()
                    .map(|to| w.say("notify-noted", &[("address", crate::locale::Arg::Text(to))])),
            },
            assets: Assets {
                stylesheet: STYLESHEET,
                script: SCRIPT,
            },
            status: view,
        }
    }
}

/// The heading and the note on what the state means.
fn headline<'a>(room: &RoomConfig, w: &'a Locale, view: &'a View<'a>) -> Headline<'a> {
    let said = |title: &str, body: &str| (w.text(title), Some(w.text(body).into_owned()));
    let (heading, note) = match (view.state, &room.schedule) {
        _ if view.puzzle.challenge.is_some() => (w.text("pow-title"), None),
        (RoomStateName::Paused, _) => said("paused-title", "paused-body"),
        (RoomStateName::Held, _) => said("held-title", "held-body"),
        (RoomStateName::Closed, _) => said("closed-title", "closed-body"),
        (RoomStateName::SoldOut, _) => said("sold-out-title", "sold-out-body"),
        (RoomStateName::LastBeingBooked, _) => said("last-title", "last-body"),
        (state @ (RoomStateName::BeforeOpen | RoomStateName::Prequeue), Some(schedule)) => {
            let (title, note) = schedule_texts(w, room, schedule, state);
            (Cow::Owned(title), Some(note))
        }
        (_, _) => (w.text("waiting-title"), None),
    };
    Headline {
        page_title: format!("{heading} – {}", room.title),
        heading,
        note,
        message: view.message.as_deref().filter(|m| !m.is_empty()),
    }
}

/// What to do and what happens next.
fn advice<'a>(w: &'a Locale, view: &View) -> Vec<Cow<'a, str>> {
    let ids: &[&str] = match view.state {
        _ if view.puzzle.challenge.is_some() => &[],
        RoomStateName::Open => &["keep-open", "your-turn"],
        RoomStateName::BeforeOpen | RoomStateName::Prequeue => &["refreshes"],
        RoomStateName::SoldOut if view.position.is_some() => &["sold-out-kept"],
        RoomStateName::LastBeingBooked => &["keep-open"],
        RoomStateName::Paused
        | RoomStateName::Held
        | RoomStateName::Closed
        | RoomStateName::SoldOut => &[],
    };
    let mut advice: Vec<Cow<str>> = ids.iter().map(|id| w.text(id)).collect();
    if view.supply.chance == Some(Chance::Unlikely) && view.state != RoomStateName::SoldOut {
        advice.insert(0, w.text("unlikely-advice"));
    }
    advice
}

/// The visitor's place and wait, in words.
fn place_text<'a>(w: &'a Locale, view: &View) -> PlaceText<'a> {
    PlaceText {
        position_label: w.text("your-number"),
        position: view.position,
        position_text: view.said.position_text.clone(),
        ahead: view.ahead,
        ahead_text: view.said.ahead_text.clone(),
        estimate_text: view.said.estimate_text.clone(),
        admitted_text: w.text("admitted"),
    }
}

/// The opening, the pre-queue, the appointments left and the chance, in words.
fn outlook(room: &RoomConfig, w: &Locale, view: &View) -> Outlook {
    let sold_out = view.state == RoomStateName::SoldOut;
    // Said where the view says so: once sold out, with a `next_release`.
    let release = room
        .supply
        .and_then(|s| s.next_release)
        .filter(|_| view.supply.next_release.is_some());
    let placed_with_supply = view.position.is_some() && view.supply.supply_remaining.is_some();
    Outlook {
        opens_in_text: view.said.opens_in_sentence.clone(),
        prequeue_text: view.said.prequeue_text.clone(),
        supply_text: view.supply.supply_text.clone().filter(|_| !sold_out),
        chance_text: view
            .supply
            .chance_text
            .clone()
            .filter(|_| placed_with_supply && !sold_out),
        chance: (placed_with_supply && !sold_out)
            .then(|| view.supply.chance.map_or("unknown", Chance::name)),
        next_release_text: release.map(|(at, offset)| next_release_words(w, room, at, offset)),
        release_in_text: release.and(view.said.release_in_sentence.clone()),
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
    let w = p.speech.locale();
    let mut out = String::with_capacity(4096);
    head(
        &mut out,
        w,
        &p.headline.page_title,
        p.freshness.refresh_seconds,
        true,
    );
    out.push_str("<body>");
    language_menu(&mut out, &p.speech);
    let _ = write!(
        out,
        "<main class=\"ws\" id=\"ws\" data-room=\"{}\" data-lang=\"{}\" data-refresh=\"{}\" \
         data-state=\"{}\" data-message=\"{}\" data-tz=\"{}\" data-chance=\"{}\"",
        escape(p.room),
        p.speech.lang,
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
        escape(&p.headline.heading),
    );
    if p.puzzle.challenge.is_some() {
        let _ = write!(
            out,
            "<p class=\"ws-note\" id=\"ws-pow\" role=\"status\" aria-live=\"polite\">{}</p>\
             <noscript><p class=\"ws-message\">{}</p></noscript>",
            escape(&p.puzzle.pow_working),
            escape(&p.puzzle.pow_needs_script),
        );
    }
    if let Some(message) = p.headline.message {
        let _ = write!(out, "<p class=\"ws-message\">{}</p>", escape(message));
    }
    if let Some(note) = &p.headline.note {
        let _ = write!(out, "<p class=\"ws-note\">{}</p>", escape(note));
    }
    status_region(&mut out, p);
    if let Some(code) = p.code.place_code {
        let _ = write!(
            out,
            "<p class=\"ws-label ws-code-label\">{}</p>\
             <p class=\"ws-code\"><bdi id=\"ws-code\" dir=\"ltr\">",
            escape(&p.code.place_code_label),
        );
        code_breaking_at_dashes(&mut out, code);
        let _ = write!(
            out,
            "</bdi></p><p class=\"ws-note\">{} <a href=\"{}\">{}</a></p>",
            escape(&p.code.place_code_text),
            escape(&p.code.restore_href),
            escape(&p.code.restore_label),
        );
    } else if p.code.offer_restore {
        // No place here: perhaps one on another device, or one told by e-mail.
        let _ = write!(
            out,
            "<p class=\"ws-note ws-way-back\">{} <a href=\"{}\">{}</a></p>",
            escape(&p.code.way_back_text),
            escape(&p.code.restore_href),
            escape(&p.code.restore_label),
        );
    }
    if let Some(action) = &p.notify.notify_href {
        let _ = write!(
            out,
            "<h2 class=\"ws-notify-title\">{}</h2><p class=\"ws-note\">{}</p>",
            escape(&p.notify.notify_label),
            escape(&p.notify.notify_text)
        );
        if let Some(noted) = &p.notify.notify_noted {
            let _ = write!(
                out,
                "<p class=\"ws-note\" id=\"ws-noted\">{}</p>",
                escape(noted)
            );
        }
        notify::notify_form(&mut out, w, action, p.notify.notify_noted.as_deref());
    }
    for sentence in &p.advice {
        let _ = write!(out, "<p class=\"ws-note\">{}</p>", escape(sentence));
    }
    let _ = write!(
        out,
        "<p class=\"ws-updated\">{} <time id=\"ws-time\" datetime=\"{}\">{}</time></p>\
         <p class=\"ws-admitted\" id=\"ws-admitted\" hidden>{}</p></main>\
         <script src=\"{SCRIPT}\" defer></script></body></html>",
        escape(&p.freshness.updated_label),
        p.freshness.updated_iso,
        escape(&p.freshness.updated_time),
        escape(&p.place.admitted_text)
    );
    out
}

/// The place code with a line break allowed after each dash (`<wbr>`): with large phone text
/// it wraps at its groups instead of running off the screen, and never inside one.
fn code_breaking_at_dashes(out: &mut String, code: &str) {
    for (i, group) in code.split('-').enumerate() {
        if i > 0 {
            out.push_str("-<wbr>");
        }
        let _ = write!(out, "{}", escape(group));
    }
}

/// Place, wait, opening and supply in one box. Not itself a live region: read again whole
/// on every change it was some 45 words each time. The script says only the sentences that
/// changed, in the short polite region after it (`ws-said`), empty until then.
fn status_region(out: &mut String, p: &WaitingPage) {
    out.push_str("<div class=\"ws-status\">");
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
            "<p class=\"ws-label\">{}</p><p class=\"ws-position\" id=\"ws-position\">{}</p>\
             <p id=\"ws-ahead\">{}</p>",
            escape(&p.place.position_label),
            escape(position),
            escape(ahead),
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
    out.push_str("</div><p class=\"ws-sr\" id=\"ws-said\" role=\"status\"></p>");
}
