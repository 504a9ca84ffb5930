//! What a waiting visitor sees: owns the waiting page, the busy page, the status JSON, the
//! German and English texts and the embedded assets. Must not decide who waits; it renders a
//! `View` it is handed.

use std::fmt::Write as _;

use bytes::Bytes;
use serde::Serialize;

use crate::admission::Estimate;
use crate::config::{Lang, RoomConfig};
use crate::schedule::{local_time, LocalTime, Schedule};

pub const ASSET_CSS: &str = include_str!("../assets/wartesaal.css");
pub const ASSET_JS: &str = include_str!("../assets/wartesaal.js");

/// The room's state as a visitor sees it (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomStateName {
    Open,
    /// The operator stopped admissions for now; places are kept.
    Paused,
    /// Nothing left to book; no new tickets.
    Closed,
    /// The room opens at a set time and its pre-queue has not begun: a countdown.
    BeforeOpen,
    /// Arrivals gather; at the opening they are put in a random order.
    Prequeue,
}

/// Everything a waiting page or status answer shows.
#[derive(Debug, Clone, Serialize)]
pub struct View<'a> {
    pub room: &'a str,
    pub state: RoomStateName,
    pub position: Option<u64>,
    pub ahead: Option<u64>,
    pub eta_seconds: Option<u64>,
    /// The range the wait lies in; equal to `eta_seconds` when the pace is steady.
    pub eta_low_seconds: Option<u64>,
    pub eta_high_seconds: Option<u64>,
    /// The estimate in words, in the page's language ("etwa 20–30 Minuten").
    pub eta_text: Option<String>,
    pub admitted: bool,
    pub admit_per_minute: f64,
    pub refresh_after_seconds: u64,
    /// RFC 3339, in the offset the operator wrote it in.
    pub opens_at: Option<String>,
    /// Until the opening, while it lies ahead.
    pub opens_in_seconds: Option<u64>,
    /// The same in words, in the page's language.
    pub opens_in_text: Option<String>,
    /// Tickets in the pre-queue so far, while it gathers.
    pub prequeue_size: Option<u64>,
    /// With proof of work on, for a visitor who needs a ticket: the signed challenge and the
    /// zero bits SHA-256(`challenge:nonce`) must start with. POST
    /// `challenge=…&nonce=…` to `/.wartesaal/ticket?room=…` to draw.
    pub challenge: Option<String>,
    pub proof_of_work_bits: Option<u8>,
    pub message: Option<String>,
}

impl RoomStateName {
    pub fn name(self) -> &'static str {
        match self {
            RoomStateName::Open => "open",
            RoomStateName::Paused => "paused",
            RoomStateName::Closed => "closed",
            RoomStateName::BeforeOpen => "before_open",
            RoomStateName::Prequeue => "prequeue",
        }
    }
}

impl View<'_> {
    /// Fills the estimate fields from one estimate (`None`: no estimate to give).
    pub fn set_eta(&mut self, lang: Lang, eta: Option<Estimate>) {
        self.eta_seconds = eta.map(|e| e.seconds);
        self.eta_low_seconds = eta.map(|e| e.low);
        self.eta_high_seconds = eta.map(|e| e.high);
        self.eta_text = eta.map(|e| eta_range_words(lang, e.low, e.high));
    }

    pub fn to_json(&self) -> Bytes {
        // Serializing plain numbers and strings cannot fail.
        Bytes::from(serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec()))
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

struct Texts {
    waiting_title: &'static str,
    your_number: &'static str,
    ahead_one: &'static str,
    ahead_many: &'static str,
    nobody_ahead: &'static str,
    estimate: &'static str,
    keep_open: &'static str,
    your_turn: &'static str,
    admitted: &'static str,
    busy_title: &'static str,
    busy_body: &'static str,
    updated: &'static str,
    lang_name: &'static str,
    paused_title: &'static str,
    paused_body: &'static str,
    closed_title: &'static str,
    closed_body: &'static str,
    before_title: &'static str,
    /// `{when}`: the opening's day and time.
    opens_on: &'static str,
    /// `{from}`: when the pre-queue begins; `{open}`: the opening's time of day.
    prequeue_invite: &'static str,
    prequeue_title: &'static str,
    prequeue_body: &'static str,
    prequeue_size: &'static str,
    opens_in: &'static str,
    refreshes: &'static str,
    pow_title: &'static str,
    pow_working: &'static str,
    pow_needs_script: &'static str,
    limited_title: &'static str,
    limited_body: &'static str,
    weekdays: [&'static str; 7],
    months: [&'static str; 12],
}

const DE: Texts = Texts {
    waiting_title: "Sie sind in der Warteschlange",
    your_number: "Ihr Platz in der Warteschlange",
    ahead_one: "Vor Ihnen ist noch 1 Person.",
    ahead_many: "Vor Ihnen sind noch {} Personen.",
    nobody_ahead: "Sie sind als Nächstes an der Reihe.",
    estimate: "Geschätzte Wartezeit: {}.",
    keep_open: "Bitte lassen Sie diese Seite geöffnet. Sie müssen nichts neu laden: \
                die Seite aktualisiert sich von selbst.",
    your_turn: "Sobald Sie an der Reihe sind, gelangen Sie automatisch zur Buchungsseite. \
                Ihr Platz bleibt erhalten, auch wenn Sie die Seite neu laden.",
    admitted: "Sie sind an der Reihe. Die Seite wird geladen …",
    busy_title: "Die Buchungsseite ist gerade ausgelastet",
    busy_body: "Ihr Platz bleibt erhalten. Wir versuchen es in wenigen Sekunden automatisch \
                erneut. Bitte schließen Sie die Seite nicht.",
    updated: "Zuletzt aktualisiert",
    lang_name: "Deutsch",
    paused_title: "Der Einlass ist kurz angehalten",
    paused_body: "Ihr Platz in der Warteschlange bleibt erhalten. Sobald es weitergeht, \
                  rücken Sie automatisch nach. Bitte lassen Sie diese Seite geöffnet.",
    closed_title: "Zurzeit sind keine Termine mehr frei",
    closed_body: "Alle verfügbaren Termine sind vergeben. Es lohnt sich im Moment nicht, \
                  weiter zu warten. Wenn neue Termine freigegeben werden, steht es hier.",
    before_title: "Die Buchung ist noch nicht geöffnet",
    opens_on: "Die Buchung öffnet am {when}.",
    prequeue_invite: "Ab {from} können Sie sich hier anstellen. Alle, die bis {open} da sind, \
                      bekommen ihren Platz in zufälliger Reihenfolge: Ob Sie früh kommen oder \
                      kurz vor {open}, macht keinen Unterschied.",
    prequeue_title: "Sie sind in der Vorab-Warteschlange",
    prequeue_body: "Um {open} öffnet die Buchung. Dann bekommen alle, die bis dahin hier sind, \
                    einen Platz in zufälliger Reihenfolge. Früher da zu sein bringt keinen \
                    Vorteil. Bitte lassen Sie diese Seite geöffnet: Um {open} zeigt sie Ihnen \
                    Ihren Platz.",
    prequeue_size: "Schon da: {}",
    opens_in: "Öffnung in {}.",
    refreshes: "Sie müssen nichts neu laden: Die Seite aktualisiert sich von selbst.",
    pow_title: "Einen Moment bitte",
    pow_working: "Ihr Browser löst gerade eine kleine Rechenaufgabe, die automatische \
                  Programme fernhält. Das dauert meist nur wenige Sekunden; danach bekommen \
                  Sie Ihren Platz in der Warteschlange. Bitte lassen Sie die Seite geöffnet.",
    pow_needs_script: "Für diese Warteschlange muss JavaScript eingeschaltet sein: Solange der \
                       Andrang groß ist, prüft sie jeden neuen Besucher mit einer kleinen \
                       Rechenaufgabe im Browser. Bitte schalten Sie JavaScript ein und laden \
                       Sie die Seite neu.",
    limited_title: "Zu viele neue Wartenummern",
    limited_body: "Von Ihrem Internetanschluss wurden in der letzten Minute sehr viele neue \
                   Wartenummern geholt. Bitte haben Sie einen Moment Geduld: Die Seite versucht \
                   es in {} Sekunden von selbst noch einmal. Wer schon eine Wartenummer hat, \
                   behält seinen Platz.",
    weekdays: [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ],
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
};

const EN: Texts = Texts {
    waiting_title: "You are in the queue",
    your_number: "Your place in the queue",
    ahead_one: "There is 1 person ahead of you.",
    ahead_many: "There are {} people ahead of you.",
    nobody_ahead: "You are next.",
    estimate: "Estimated wait: {}.",
    keep_open: "Please keep this page open. You do not need to refresh it: \
                it updates by itself.",
    your_turn: "When it is your turn you will be taken to the booking site automatically. \
                You keep your place even if you reload the page.",
    admitted: "It is your turn. Loading the page …",
    busy_title: "The booking site is busy right now",
    busy_body: "Your place is kept. We will try again automatically in a few seconds. \
                Please do not close this page.",
    updated: "Last updated",
    lang_name: "English",
    paused_title: "Admission is paused for a moment",
    paused_body: "You keep your place in the queue. When admission resumes you move up \
                  automatically. Please keep this page open.",
    closed_title: "No appointments are left at the moment",
    closed_body: "All available appointments have been given out. There is no point in \
                  waiting right now. If new appointments are released, this page will say so.",
    before_title: "Booking has not opened yet",
    opens_on: "Booking opens on {when}.",
    prequeue_invite: "From {from} you can join the queue here. Everyone who is here by {open} \
                      gets a place in random order: coming early or just before {open} makes \
                      no difference.",
    prequeue_title: "You are in the pre-queue",
    prequeue_body: "Booking opens at {open}. Then everyone who is here by then gets a place in \
                    random order. Being early gives no advantage. Please keep this page open: \
                    at {open} it will show you your place.",
    prequeue_size: "Here already: {}",
    opens_in: "Opening in {}.",
    refreshes: "You do not need to refresh: the page updates by itself.",
    pow_title: "One moment, please",
    pow_working: "Your browser is solving a small puzzle that keeps automated programs out. \
                  This usually takes only a few seconds; then you get your place in the \
                  queue. Please keep this page open.",
    pow_needs_script: "This queue needs JavaScript: while demand is high it checks every new \
                       visitor with a small puzzle in the browser. Please turn JavaScript on \
                       and reload the page.",
    limited_title: "Too many new queue tickets",
    limited_body: "A great many new queue tickets were taken from your internet connection in \
                   the last minute. Please bear with us: the page tries again by itself in {} \
                   seconds. Anyone who already has a ticket keeps their place.",
    weekdays: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

/// A whole number with the language's thousands separator.
pub fn format_number(lang: Lang, n: u64) -> String {
    let sep = match lang {
        Lang::De => '.',
        Lang::En => ',',
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A wait in words, as a person would say it: "etwa 25 Minuten", "about 2 hours 10 minutes".
pub fn eta_words(lang: Lang, secs: u64) -> String {
    match (lang, secs) {
        (Lang::De, 0..=59) => "weniger als eine Minute".into(),
        (Lang::En, 0..=59) => "less than a minute".into(),
        (Lang::De, _) => format!("etwa {}", duration_words(lang, secs)),
        (Lang::En, _) => format!("about {}", duration_words(lang, secs)),
    }
}

/// A wait between `low` and `high` seconds in words: one figure when both read the same,
/// else "etwa 20–30 Minuten", "up to 3 minutes", "between 50 minutes and 1 hour 20 minutes".
pub fn eta_range_words(lang: Lang, low: u64, high: u64) -> String {
    let (lo, hi) = (shown_minutes(low), shown_minutes(high));
    if lo == hi || high < 60 {
        return eta_words(lang, high);
    }
    match lang {
        _ if low < 60 => match lang {
            Lang::De => format!("bis zu {}", duration_words(lang, high)),
            Lang::En => format!("up to {}", duration_words(lang, high)),
        },
        Lang::De if hi < 60 => format!("etwa {lo}–{hi} Minuten"),
        Lang::En if hi < 60 => format!("about {lo}–{hi} minutes"),
        Lang::De => format!(
            "zwischen {} und {}",
            duration_words(lang, low),
            duration_words(lang, high)
        ),
        Lang::En => format!(
            "between {} and {}",
            duration_words(lang, low),
            duration_words(lang, high)
        ),
    }
}

/// Minutes as shown: whole minutes rounded up, and to five minutes from an hour on (far back
/// the estimate is rough anyway).
fn shown_minutes(secs: u64) -> u64 {
    let minutes = secs.div_ceil(60).max(1);
    if minutes < 60 {
        minutes
    } else {
        minutes.div_ceil(5) * 5
    }
}

/// "25 Minuten", "1 hour 10 minutes".
fn duration_words(lang: Lang, secs: u64) -> String {
    let minutes = shown_minutes(secs);
    let (h, m) = (minutes / 60, minutes % 60);
    let mins = match (lang, m) {
        (Lang::De, 1) => "1 Minute".to_string(),
        (Lang::De, _) => format!("{m} Minuten"),
        (Lang::En, 1) => "1 minute".to_string(),
        (Lang::En, _) => format!("{m} minutes"),
    };
    if h == 0 {
        return mins;
    }
    let hours = match (lang, h) {
        (Lang::De, 1) => "1 Stunde".to_string(),
        (Lang::De, _) => format!("{} Stunden", format_number(lang, h)),
        (Lang::En, 1) => "1 hour".to_string(),
        (Lang::En, _) => format!("{} hours", format_number(lang, h)),
    };
    if m == 0 {
        hours
    } else {
        format!("{hours} {mins}")
    }
}

/// A time of day as people say it: "08:00 Uhr", "08:00".
fn time_of_day(lang: Lang, t: &LocalTime) -> String {
    match lang {
        Lang::De => format!("{:02}:{:02} Uhr", t.hour, t.minute),
        Lang::En => format!("{:02}:{:02}", t.hour, t.minute),
    }
}

/// A day and time: "Samstag, 27. März 2021, um 08:00 Uhr", "Saturday 27 March 2021 at 08:00".
fn day_and_time(lang: Lang, t: &LocalTime) -> String {
    let names = texts(lang);
    let weekday = names.weekdays[t.weekday as usize % 7];
    let month = names.months[(t.month as usize + 11) % 12];
    match lang {
        Lang::De => format!(
            "{weekday}, {}. {month} {}, um {}",
            t.day,
            t.year,
            time_of_day(lang, t)
        ),
        Lang::En => format!(
            "{weekday} {} {month} {} at {}",
            t.day,
            t.year,
            time_of_day(lang, t)
        ),
    }
}

/// "N people" for the pre-queue's size.
fn people(lang: Lang, n: u64) -> String {
    match (lang, n) {
        (Lang::De, 1) => "1 Person".into(),
        (Lang::De, n) => format!("{} Personen", format_number(lang, n)),
        (Lang::En, 1) => "1 person".into(),
        (Lang::En, n) => format!("{} people", format_number(lang, n)),
    }
}

/// The title and explanation of a room with a schedule, before it opens.
fn schedule_texts(lang: Lang, schedule: &Schedule, state: RoomStateName) -> (&'static str, String) {
    let t = texts(lang);
    let w = schedule.window;
    let open = local_time(w.opens_at, schedule.offset_minutes);
    let from = local_time(w.prequeue_from, schedule.offset_minutes);
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

fn head(out: &mut String, lang: Lang, title: &str, refresh: Option<u64>, noscript_refresh: bool) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title>\
         <link rel=\"stylesheet\" href=\"/.wartesaal/assets/wartesaal.css\">",
        lang.code(),
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

/// The waiting page, served in place at the URL the visitor asked for.
pub fn waiting_page(room: &RoomConfig, lang: Lang, view: &View, now_unix: u64) -> Bytes {
    let t = texts(lang);
    let mut out = String::with_capacity(4096);
    let (title, note) = match (view.state, &room.schedule) {
        _ if view.challenge.is_some() => (t.pow_title, None),
        (RoomStateName::Paused, _) => (t.paused_title, Some(t.paused_body.to_string())),
        (RoomStateName::Closed, _) => (t.closed_title, Some(t.closed_body.to_string())),
        (state @ (RoomStateName::BeforeOpen | RoomStateName::Prequeue), Some(schedule)) => {
            let (title, note) = schedule_texts(lang, schedule, state);
            (title, Some(note))
        }
        (_, _) => (t.waiting_title, None),
    };
    // Reloading a challenge page without a script only hands out another challenge.
    let reload = view
        .challenge
        .is_none()
        .then_some(view.refresh_after_seconds);
    head(
        &mut out,
        lang,
        &format!("{title} – {}", room.title),
        reload,
        true,
    );
    let message = view.message.as_deref().unwrap_or("");
    let _ = write!(
        out,
        "<body><main class=\"ws\" id=\"ws\" data-room=\"{}\" data-lang=\"{}\" data-refresh=\"{}\" \
         data-state=\"{}\" data-message=\"{}\"",
        escape(view.room),
        lang.code(),
        view.refresh_after_seconds,
        view.state.name(),
        escape(message),
    );
    if let (Some(challenge), Some(bits)) = (&view.challenge, view.proof_of_work_bits) {
        let _ = write!(
            out,
            " data-challenge=\"{}\" data-bits=\"{bits}\"",
            escape(challenge)
        );
    }
    let _ = write!(
        out,
        "><p class=\"ws-site\">{}</p><h1>{}</h1>",
        escape(&room.title),
        title,
    );
    if view.challenge.is_some() {
        let _ = write!(
            out,
            "<p class=\"ws-note\" id=\"ws-pow\" role=\"status\" aria-live=\"polite\">{}</p>\
             <noscript><p class=\"ws-message\">{}</p></noscript>",
            t.pow_working, t.pow_needs_script,
        );
    }
    if !message.is_empty() {
        let _ = write!(
            out,
            "<p class=\"ws-message\" role=\"note\">{}</p>",
            escape(message)
        );
    }
    if let Some(note) = note {
        let _ = write!(out, "<p class=\"ws-note\">{note}</p>");
    }
    out.push_str(
        "<div class=\"ws-status\" role=\"status\" aria-live=\"polite\" aria-atomic=\"true\">",
    );
    if let Some(text) = &view.opens_in_text {
        let _ = write!(
            out,
            "<p id=\"ws-opens-in\">{}</p>",
            t.opens_in.replace("{}", &escape(text))
        );
    }
    if let Some(n) = view.prequeue_size {
        let _ = write!(
            out,
            "<p id=\"ws-prequeue\">{}</p>",
            t.prequeue_size.replace("{}", &people(lang, n))
        );
    }
    if let (Some(position), Some(ahead)) = (view.position, view.ahead) {
        let _ = write!(
            out,
            "<p class=\"ws-label\">{}</p><p class=\"ws-position\" id=\"ws-position\">{}</p>\
             <p id=\"ws-ahead\">{}</p>",
            t.your_number,
            format_number(lang, position),
            ahead_text(lang, ahead),
        );
        if let Some(text) = &view.eta_text {
            let _ = write!(
                out,
                "<p id=\"ws-eta\">{}</p>",
                t.estimate.replace("{}", &escape(text))
            );
        }
    }
    out.push_str("</div>");
    match view.state {
        RoomStateName::Open => {
            let _ = write!(
                out,
                "<p class=\"ws-note\">{}</p><p class=\"ws-note\">{}</p>",
                t.keep_open, t.your_turn,
            );
        }
        RoomStateName::BeforeOpen | RoomStateName::Prequeue => {
            let _ = write!(out, "<p class=\"ws-note\">{}</p>", t.refreshes);
        }
        RoomStateName::Paused | RoomStateName::Closed => {}
    }
    let _ = write!(
        out,
        "<p class=\"ws-updated\">{} <time id=\"ws-time\" datetime=\"{}\">{} UTC</time></p>",
        t.updated,
        now_unix,
        clock_time(now_unix),
    );
    let _ = write!(
        out,
        "<p class=\"ws-admitted\" id=\"ws-admitted\" hidden>{}</p></main>\
         <script src=\"/.wartesaal/assets/wartesaal.js\" defer></script></body></html>",
        t.admitted
    );
    Bytes::from(out)
}

fn ahead_text(lang: Lang, ahead: u64) -> String {
    let t = texts(lang);
    match ahead {
        0 => t.nobody_ahead.to_string(),
        1 => t.ahead_one.to_string(),
        n => t.ahead_many.replace("{}", &format_number(lang, n)),
    }
}

/// HH:MM:SS of a Unix time, UTC.
fn clock_time(unix: u64) -> String {
    let s = unix % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// "Busy, your place is kept, retrying": for admitted visitors when the upstream cannot answer.
pub fn busy_page(room: &RoomConfig, lang: Lang, retry_after: u64) -> Bytes {
    let t = texts(lang);
    notice_page(room, lang, t.busy_title, t.busy_body, retry_after)
}

/// "Too many new tickets from your connection": the issuance limit's answer.
pub fn limited_page(room: &RoomConfig, lang: Lang, retry_after: u64) -> Bytes {
    let t = texts(lang);
    let body = t.limited_body.replace("{}", &retry_after.to_string());
    notice_page(room, lang, t.limited_title, &body, retry_after)
}

/// A short page with a title and one note, which loads itself again after `retry_after`.
fn notice_page(room: &RoomConfig, lang: Lang, title: &str, note: &str, retry_after: u64) -> Bytes {
    let mut out = String::with_capacity(2048);
    head(&mut out, lang, title, Some(retry_after), false);
    let _ = write!(
        out,
        "<body><main class=\"ws\"><p class=\"ws-site\">{}</p><h1>{title}</h1>\
         <p class=\"ws-note\" role=\"status\">{note}</p></main></body></html>",
        escape(&room.title),
    );
    Bytes::from(out)
}

/// Names of the two languages, for a language switch.
pub fn language_name(lang: Lang) -> &'static str {
    texts(lang).lang_name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_by_quality() {
        assert_eq!(pick_language(Some("en-US,en;q=0.9"), Lang::De), Lang::En);
        assert_eq!(
            pick_language(Some("fr,de;q=0.5,en;q=0.9"), Lang::De),
            Lang::En
        );
        assert_eq!(pick_language(Some("de-AT"), Lang::En), Lang::De);
        assert_eq!(pick_language(Some("fr"), Lang::En), Lang::En);
        assert_eq!(pick_language(Some("en;q=0"), Lang::De), Lang::De);
        assert_eq!(pick_language(None, Lang::De), Lang::De);
        assert_eq!(
            pick_language(Some(&"x,".repeat(100_000)), Lang::En),
            Lang::En
        );
    }

    #[test]
    fn numbers_and_waits_read_naturally() {
        assert_eq!(format_number(Lang::De, 1234567), "1.234.567");
        assert_eq!(format_number(Lang::En, 1234), "1,234");
        assert_eq!(format_number(Lang::En, 999), "999");
        assert_eq!(eta_words(Lang::De, 30), "weniger als eine Minute");
        assert_eq!(eta_words(Lang::De, 25 * 60), "etwa 25 Minuten");
        assert_eq!(eta_words(Lang::En, 61), "about 2 minutes");
        assert_eq!(eta_words(Lang::En, 60), "about 1 minute");
        assert_eq!(
            eta_words(Lang::De, 2 * 3600 + 8 * 60),
            "etwa 2 Stunden 10 Minuten"
        );
        assert_eq!(eta_words(Lang::En, 3600), "about 1 hour");
        assert_eq!(eta_words(Lang::De, 61 * 60), "etwa 1 Stunde 5 Minuten");
    }

    #[test]
    fn ranges_read_naturally() {
        assert_eq!(
            eta_range_words(Lang::De, 20 * 60, 30 * 60),
            "etwa 20–30 Minuten"
        );
        assert_eq!(
            eta_range_words(Lang::En, 20 * 60, 30 * 60),
            "about 20–30 minutes"
        );
        assert_eq!(eta_range_words(Lang::En, 30, 170), "up to 3 minutes");
        assert_eq!(eta_range_words(Lang::De, 10, 50), "weniger als eine Minute");
        assert_eq!(eta_range_words(Lang::De, 299, 300), "etwa 5 Minuten");
        assert_eq!(
            eta_range_words(Lang::De, 50 * 60, 80 * 60),
            "zwischen 50 Minuten und 1 Stunde 20 Minuten"
        );
        assert_eq!(
            eta_range_words(Lang::En, 2 * 3600, 3 * 3600),
            "between 2 hours and 3 hours"
        );
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
