//! Everything the pages say, in German and English: the texts, numbers with the language's
//! separators, waits and times in words. Must not build a page: `page` puts these together.

use crate::clock::Millis;
use crate::config::{Lang, RoomConfig};
use crate::queue::schedule::{local_time, LocalTime};
use crate::queue::supply::Chance;

pub(super) struct Texts {
    /// The language's own name, for the switch to it.
    pub(super) lang_name: &'static str,
    pub(super) line: LineTexts,
    pub(super) states: StateTexts,
    pub(super) opening: OpeningTexts,
    pub(super) puzzle: PuzzleTexts,
    pub(super) notices: NoticeTexts,
    pub(super) supply: SupplyTexts,
    pub(super) calendar: CalendarTexts,
}

/// The waiting page's own words: the place, the people ahead, the wait, what to do.
pub(super) struct LineTexts {
    pub(super) waiting_title: &'static str,
    pub(super) your_number: &'static str,
    pub(super) ahead_one: &'static str,
    pub(super) ahead_many: &'static str,
    pub(super) nobody_ahead: &'static str,
    pub(super) estimate: &'static str,
    pub(super) keep_open: &'static str,
    pub(super) your_turn: &'static str,
    pub(super) admitted: &'static str,
    pub(super) updated: &'static str,
    pub(super) refreshes: &'static str,
}

/// Headings and notes while the room admits nobody: paused, held, closed or sold out.
pub(super) struct StateTexts {
    pub(super) paused_title: &'static str,
    pub(super) paused_body: &'static str,
    pub(super) held_title: &'static str,
    pub(super) held_body: &'static str,
    pub(super) closed_title: &'static str,
    pub(super) closed_body: &'static str,
    pub(super) sold_out_title: &'static str,
    pub(super) sold_out_body: &'static str,
    /// Calls held while the people on the booking site book what is left.
    pub(super) last_title: &'static str,
    pub(super) last_body: &'static str,
}

/// Before the opening: when it opens, and the pre-queue.
pub(super) struct OpeningTexts {
    pub(super) before_title: &'static str,
    /// `{when}`: the opening's day and time.
    pub(super) opens_on: &'static str,
    /// `{from}`: when the pre-queue begins; `{open}`: the opening's time of day.
    pub(super) prequeue_invite: &'static str,
    pub(super) prequeue_title: &'static str,
    pub(super) prequeue_body: &'static str,
    pub(super) prequeue_size: &'static str,
    pub(super) opens_in: &'static str,
}

/// The proof-of-work page.
pub(super) struct PuzzleTexts {
    pub(super) pow_title: &'static str,
    pub(super) pow_working: &'static str,
    pub(super) pow_needs_script: &'static str,
}

/// The busy and the limited page.
pub(super) struct NoticeTexts {
    pub(super) busy_title: &'static str,
    pub(super) busy_body: &'static str,
    pub(super) limited_title: &'static str,
    pub(super) limited_body: &'static str,
}

/// What is left to book, the visitor's chance, and what comes once it is gone.
pub(super) struct SupplyTexts {
    /// For a visitor who holds a place while sold out.
    pub(super) sold_out_kept: &'static str,
    /// `{}`: the number left, exact.
    pub(super) supply_one: &'static str,
    pub(super) supply_exact: &'static str,
    /// `{}`: the number left, rounded.
    pub(super) supply_about: &'static str,
    pub(super) chance_likely: &'static str,
    pub(super) chance_uncertain: &'static str,
    pub(super) chance_unlikely: &'static str,
    /// The room counts its supply but has not learnt yet how many of those admitted book.
    pub(super) chance_unknown: &'static str,
    pub(super) unlikely_advice: &'static str,
    /// `{when}`: the day and time new appointments are expected.
    pub(super) next_release: &'static str,
    /// `{}`: the time until then in words.
    pub(super) release_in: &'static str,
    pub(super) release_due: &'static str,
}

/// Names of days and months, for dates in words.
pub(super) struct CalendarTexts {
    pub(super) weekdays: [&'static str; 7],
    pub(super) months: [&'static str; 12],
}

pub(super) const DE: Texts = Texts {
    lang_name: "Deutsch",
    line: LineTexts {
        waiting_title: "Sie sind in der Warteschlange",
        your_number: "Ihr Platz in der Warteschlange",
        ahead_one: "Vor Ihnen ist noch 1 Person.",
        ahead_many: "Vor Ihnen sind noch {} Personen.",
        nobody_ahead: "Sie sind als Nächstes an der Reihe.",
        estimate: "Geschätzte Wartezeit: {}.",
        keep_open: "Bitte lassen Sie diese Seite geöffnet. Sie müssen die Seite nicht neu \
                    laden – sie aktualisiert sich von selbst.",
        your_turn: "Sobald Sie an der Reihe sind, gelangen Sie automatisch zur Buchungsseite. \
                    Ihr Platz bleibt erhalten, auch wenn Sie die Seite neu laden.",
        admitted: "Sie sind an der Reihe. Die Seite wird geladen …",
        updated: "Zuletzt aktualisiert um",
        refreshes: "Sie müssen die Seite nicht neu laden – sie aktualisiert sich von selbst.",
    },
    states: StateTexts {
        paused_title: "Der Einlass ist vorübergehend unterbrochen",
        paused_body: "Ihr Platz in der Warteschlange bleibt erhalten. Sobald es weitergeht, \
                      rücken Sie automatisch nach. Bitte lassen Sie diese Seite geöffnet.",
        held_title: "Der Einlass stockt gerade kurz",
        held_body: "Ihr Platz bleibt erhalten, und niemand zieht an Ihnen vorbei. Es geht \
                    gleich weiter; diese Seite schaut von selbst nach. Bitte lassen Sie sie \
                    geöffnet.",
        closed_title: "Zurzeit sind keine Termine mehr frei",
        closed_body: "Alle verfügbaren Termine sind vergeben. Es lohnt sich im Moment nicht, \
                      weiter zu warten. Wenn neue Termine freigegeben werden, erfahren Sie es auf dieser Seite.",
        sold_out_title: "Alle Termine sind vergeben",
        sold_out_body: "Zurzeit ist kein Termin mehr frei. Es lohnt sich im Moment nicht, weiter \
                        zu warten.",
        last_title: "Die letzten Termine werden gerade gebucht",
        last_body: "Die Menschen, die jetzt auf der Buchungsseite sind, buchen gerade die letzten \
                    Termine. Bleibt einer frei, sind Sie als Nächste an der Reihe. Ob es reicht, \
                    erfahren Sie in wenigen Minuten auf dieser Seite. Ihr Platz bleibt Ihnen.",
    },
    opening: OpeningTexts {
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
    },
    puzzle: PuzzleTexts {
        pow_title: "Einen Moment bitte",
        pow_working: "Ihr Browser löst gerade eine kleine Rechenaufgabe, die automatische \
                      Programme fernhält. Das dauert meist nur wenige Sekunden; danach bekommen \
                      Sie Ihren Platz in der Warteschlange. Bitte lassen Sie die Seite geöffnet.",
        pow_needs_script: "Für diese Warteschlange muss JavaScript eingeschaltet sein: Solange der \
                           Andrang groß ist, prüft sie jeden neuen Besucher mit einer kleinen \
                           Rechenaufgabe im Browser. Bitte schalten Sie JavaScript ein und laden \
                           Sie die Seite neu.",
    },
    notices: NoticeTexts {
        busy_title: "Die Buchungsseite ist gerade ausgelastet",
        busy_body: "Ihr Platz bleibt erhalten. Wir versuchen es in wenigen Sekunden automatisch \
                    erneut. Bitte schließen Sie die Seite nicht.",
        limited_title: "Zu viele neue Wartenummern",
        limited_body: "Von Ihrem Internetanschluss wurden in der letzten Minute sehr viele neue \
                       Wartenummern geholt. Bitte haben Sie einen Moment Geduld: Die Seite versucht \
                       es in {} Sekunden von selbst noch einmal. Wer schon eine Wartenummer hat, \
                       behält seinen Platz.",
    },
    supply: SupplyTexts {
        sold_out_kept: "Ihr Platz bleibt trotzdem erhalten: Werden Termine zurückgegeben oder neue \
                        freigegeben, geht es in der bisherigen Reihenfolge weiter, und diese Seite \
                        zeigt es Ihnen.",
        supply_one: "Es ist noch 1 Termin frei.",
        supply_exact: "Es sind noch {} Termine frei.",
        supply_about: "Es sind noch etwa {} Termine frei.",
        chance_likely: "Es ist wahrscheinlich, dass bei Ihrer Ankunft noch Termine frei sind.",
        chance_uncertain: "Ob bei Ihrer Ankunft noch Termine frei sind, lässt sich noch nicht \
                           sicher sagen.",
        chance_unlikely: "Es ist unwahrscheinlich, dass bei Ihrer Ankunft noch Termine frei sind.",
        chance_unknown: "Wie viele der Wartenden einen Termin buchen, weiß die Warteschlange noch \
                         nicht. Eine Einschätzung Ihrer Aussichten folgt in wenigen Minuten.",
        unlikely_advice: "Sie können trotzdem weiter warten: Wird ein Termin zurückgegeben, rücken \
                          Sie nach. Ihr Platz bleibt erhalten.",
        next_release: "Neue Termine werden voraussichtlich am {when} freigegeben.",
        release_in: "Freigabe in {}.",
        release_due: "Neue Termine werden jeden Moment erwartet.",
    },
    calendar: CalendarTexts {
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

    },
};

pub(super) const EN: Texts = Texts {
    lang_name: "English",
    line: LineTexts {
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
        updated: "Last updated at",
        refreshes: "You do not need to refresh: the page updates by itself.",
    },
    states: StateTexts {
        paused_title: "Admission is paused for a moment",
        paused_body: "You keep your place in the queue. When admission resumes you move up \
                      automatically. Please keep this page open.",
        held_title: "Admission has stopped for a moment",
        held_body: "Your place is kept and nobody moves ahead of you. It will go on shortly; \
                    this page checks by itself. Please keep it open.",
        closed_title: "No appointments are left at the moment",
        closed_body: "All available appointments have been given out. There is no point in \
                      waiting right now. If new appointments are released, this page will say so.",
        sold_out_title: "All appointments have been booked",
        sold_out_body: "No appointment is free at the moment. There is no point in waiting \
                        right now.",
        last_title: "The last appointments are being booked",
        last_body: "The people on the booking site right now are booking the last appointments. \
                    If one is left, you are next. You will know within minutes, on this page. \
                    Your place is kept.",
    },
    opening: OpeningTexts {
        before_title: "Booking has not opened yet",
        opens_on: "Booking opens on {when}.",
        prequeue_invite: "From {from} you can join the queue here. Everyone who is here by {open} \
                          gets a place in random order: coming early or just before {open} makes \
                          no difference.",
        prequeue_title: "You are in the pre-queue",
        prequeue_body:
            "Booking opens at {open}. Then everyone who is here by then gets a place in \
                        random order. Being early gives no advantage. Please keep this page open: \
                        at {open} it will show you your place.",
        prequeue_size: "Here already: {}",
        opens_in: "Opening in {}.",
    },
    puzzle: PuzzleTexts {
        pow_title: "One moment, please",
        pow_working: "Your browser is solving a small puzzle that keeps automated programs out. \
                      This usually takes only a few seconds; then you get your place in the \
                      queue. Please keep this page open.",
        pow_needs_script: "This queue needs JavaScript: while demand is high it checks every new \
                           visitor with a small puzzle in the browser. Please turn JavaScript on \
                           and reload the page.",
    },
    notices: NoticeTexts {
        busy_title: "The booking site is busy right now",
        busy_body: "Your place is kept. We will try again automatically in a few seconds. \
                    Please do not close this page.",
        limited_title: "Too many new queue tickets",
        limited_body: "A great many new queue tickets were taken from your internet connection in \
                       the last minute. Please bear with us: the page tries again by itself in {} \
                       seconds. Anyone who already has a ticket keeps their place.",
    },
    supply: SupplyTexts {
        sold_out_kept: "You keep your place all the same: if appointments are given back or new \
                        ones are released, the queue goes on in its order, and this page will \
                        show you.",
        supply_one: "There is 1 appointment still free.",
        supply_exact: "There are {} appointments still free.",
        supply_about: "There are about {} appointments still free.",
        chance_likely: "It is likely that appointments will still be free when it is your turn.",
        chance_uncertain: "It cannot yet be said for sure whether appointments will still be free \
                           when it is your turn.",
        chance_unlikely: "It is unlikely that appointments will still be free when it is your \
                          turn.",
        chance_unknown: "The queue does not know yet how many of those waiting will book. An \
                         estimate of your chances follows in a few minutes.",
        unlikely_advice: "You can keep waiting all the same: if an appointment is given back, you \
                          move up. You keep your place.",
        next_release: "New appointments are expected to be released on {when}.",
        release_in: "Release in {}.",
        release_due: "New appointments are expected any moment.",
    },
    calendar: CalendarTexts {
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
    },
};

pub(super) fn texts(lang: Lang) -> &'static Texts {
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
pub(super) fn shown_minutes(secs: u64) -> u64 {
    let minutes = secs.div_ceil(60).max(1);
    if minutes < 60 {
        minutes
    } else {
        minutes.div_ceil(5) * 5
    }
}

/// "25 Minuten", "1 hour 10 minutes".
pub(super) fn duration_words(lang: Lang, secs: u64) -> String {
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
pub(super) fn time_of_day(lang: Lang, t: &LocalTime) -> String {
    match lang {
        Lang::De => format!("{:02}:{:02} Uhr", t.hour, t.minute),
        Lang::En => format!("{:02}:{:02}", t.hour, t.minute),
    }
}

/// A day and time: "Samstag, 27. März 2021, um 08:00 Uhr", "Saturday 27 March 2021 at 08:00".
pub(super) fn day_and_time(lang: Lang, t: &LocalTime) -> String {
    let names = texts(lang);
    let weekday = names.calendar.weekdays[t.weekday as usize % 7];
    let month = names.calendar.months[(t.month as usize + 11) % 12];
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

/// What is left, as a person would say it: exact below 100, else rounded with "etwa".
pub fn supply_words(lang: Lang, left: u64) -> String {
    let t = texts(lang);
    match left {
        1 => t.supply.supply_one.to_string(),
        0..=99 => t
            .supply
            .supply_exact
            .replace("{}", &format_number(lang, left)),
        100..=999 => t
            .supply
            .supply_about
            .replace("{}", &format_number(lang, (left + 5) / 10 * 10)),
        _ => t
            .supply
            .supply_about
            .replace("{}", &format_number(lang, (left + 50) / 100 * 100)),
    }
}

/// The chance in words; `None` (too little data yet) says so.
pub fn chance_words(lang: Lang, chance: Option<Chance>) -> &'static str {
    let t = texts(lang);
    match chance {
        Some(Chance::Likely) => t.supply.chance_likely,
        Some(Chance::Uncertain) => t.supply.chance_uncertain,
        Some(Chance::Unlikely) => t.supply.chance_unlikely,
        None => t.supply.chance_unknown,
    }
}

/// When new appointments are expected, in the room's zone: "…am Sonntag, 28. März 2021, um
/// 08:00 Uhr freigegeben."
pub(super) fn next_release_words(lang: Lang, room: &RoomConfig, at: Millis, offset: i32) -> String {
    let offset = room
        .time_zone
        .as_ref()
        .map_or(offset, |tz| tz.offset_minutes(at / 1000));
    texts(lang)
        .supply
        .next_release
        .replace("{when}", &day_and_time(lang, &local_time(at, offset)))
}

/// "N people" for the pre-queue's size.
pub(super) fn people(lang: Lang, n: u64) -> String {
    match (lang, n) {
        (Lang::De, 1) => "1 Person".into(),
        (Lang::De, n) => format!("{} Personen", format_number(lang, n)),
        (Lang::En, 1) => "1 person".into(),
        (Lang::En, n) => format!("{} people", format_number(lang, n)),
    }
}
