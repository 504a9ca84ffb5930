//! The pages' figures in words of the visitor's language: waits, times, days, what is left and
//! the chance of it, each from the language's Fluent messages. Must not build a page: `page`
//! puts these together.

use crate::clock::Millis;
use crate::config::RoomConfig;
use crate::locale::{Arg, Locale};
use crate::queue::schedule::{local_time, LocalTime};
use crate::queue::supply::Chance;

/// A wait in words, as a person would say it: "etwa 25 Minuten", "about 2 hours 10 minutes".
pub fn eta_words(w: &Locale, secs: u64) -> String {
    match secs {
        0..=59 => w.text("wait-under-minute").into_owned(),
        _ => w.say(
            "wait-about",
            &[("duration", Arg::Text(&duration_words(w, secs)))],
        ),
    }
}

/// A wait between `low` and `high` seconds in words: one figure when both read the same,
/// else "etwa 20–30 Minuten", "up to 3 minutes", "between 50 minutes and 1 hour 20 minutes".
pub fn eta_range_words(w: &Locale, low: u64, high: u64) -> String {
    let (lo, hi) = (shown_minutes(low), shown_minutes(high));
    if lo == hi || high < 60 {
        return eta_words(w, high);
    }
    if low < 60 {
        let up_to = duration_words(w, high);
        return w.say("wait-up-to", &[("duration", Arg::Text(&up_to))]);
    }
    if hi < 60 {
        return w.say(
            "wait-minutes-range",
            &[("low", Arg::Num(lo)), ("high", Arg::Num(hi))],
        );
    }
    let (a, b) = (duration_words(w, low), duration_words(w, high));
    w.say(
        "wait-between",
        &[("low", Arg::Text(&a)), ("high", Arg::Text(&b))],
    )
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
pub(super) fn duration_words(w: &Locale, secs: u64) -> String {
    let minutes = shown_minutes(secs);
    let (h, m) = (minutes / 60, minutes % 60);
    let mins = w.say("duration-minutes", &[("minutes", Arg::Num(m))]);
    if h == 0 {
        return mins;
    }
    let hours = w.say("duration-hours", &[("hours", Arg::Num(h))]);
    if m == 0 {
        return hours;
    }
    w.say(
        "duration-hours-minutes",
        &[("hours", Arg::Text(&hours)), ("minutes", Arg::Text(&mins))],
    )
}

/// A time of day as people say it: "08:00 Uhr", "08:00", "۰۸:۰۰".
pub(super) fn time_of_day(w: &Locale, t: &LocalTime) -> String {
    let time = w.digits(&format!("{:02}:{:02}", t.hour, t.minute));
    w.say("time-of-day", &[("time", Arg::Text(&time))])
}

/// A day and time: "Samstag, 27. März 2021, um 08:00 Uhr", "Saturday 27 March 2021 at 08:00".
pub(super) fn day_and_time(w: &Locale, t: &LocalTime) -> String {
    // 1 is Monday.
    let weekday = w.say("weekday", &[("day", Arg::Num(t.weekday as u64 % 7 + 1))]);
    let month = w.say("month", &[("month", Arg::Num(t.month as u64))]);
    // The day and the year as digits only: a year is never written "2.021".
    let (day, year) = (w.digits(&t.day.to_string()), w.digits(&t.year.to_string()));
    w.say(
        "day-and-time",
        &[
            ("weekday", Arg::Text(&weekday)),
            ("day", Arg::Text(&day)),
            ("month", Arg::Text(&month)),
            ("year", Arg::Text(&year)),
            ("time", Arg::Text(&time_of_day(w, t))),
        ],
    )
}

/// What is left, as a person would say it: exact below 100, else rounded with "etwa".
pub fn supply_words(w: &Locale, left: u64) -> String {
    match left {
        0..=99 => w.say("supply-left", &[("count", Arg::Num(left))]),
        100..=999 => w.say("supply-about", &[("count", Arg::Num((left + 5) / 10 * 10))]),
        _ => w.say(
            "supply-about",
            &[("count", Arg::Num((left + 50) / 100 * 100))],
        ),
    }
}

/// The chance in words; `None` (too little data yet) says so.
pub fn chance_words(w: &Locale, chance: Option<Chance>) -> String {
    let id = match chance {
        Some(Chance::Likely) => "chance-likely",
        Some(Chance::Uncertain) => "chance-uncertain",
        Some(Chance::Unlikely) => "chance-unlikely",
        None => "chance-unknown",
    };
    w.text(id).into_owned()
}

/// When new appointments are expected, in the room's zone: "…am Sonntag, 28. März 2021, um
/// 08:00 Uhr freigegeben."
pub(super) fn next_release_words(w: &Locale, room: &RoomConfig, at: Millis, offset: i32) -> String {
    let offset = room
        .time_zone
        .as_ref()
        .map_or(offset, |tz| tz.offset_minutes(at / 1000));
    let when = day_and_time(w, &local_time(at, offset));
    w.say("next-release", &[("when", Arg::Text(&when))])
}
