//! What a visitor sees of a room right now: the `View` a page or the status JSON is made from,
//! out of the room's figures and the visitor's place. Must not act: it only describes.

use crate::clock::Millis;
use crate::locale::{Lang, Locale};
use crate::page::{
    self, DoorsView, EtaView, OpeningView, PuzzleView, RoomStateName, Said, SupplyView, View,
};
use crate::queue::admission::{self, Estimate};
use crate::queue::schedule::{self, Phase, Place};
use crate::queue::supply;
use crate::site::Room;
use crate::state::{Figures, OperatorState};

/// How often a page of a closed room looks again, in case the operator reopens it.
const CLOSED_REFRESH: u64 = 60;
/// How often a page of a paused room looks again.
const PAUSED_REFRESH: u64 = 30;
/// How often a page looks again while the gateway holds admission for a moment: soon.
const HELD_REFRESH: u64 = 10;
/// How often a page of a sold-out room looks again, for appointments given back.
const SOLD_OUT_REFRESH: u64 = 30;
/// How often a page looks again while the last appointments are being booked: the verdict
/// comes within minutes.
const LAST_REFRESH: u64 = 15;
/// How soon a called visitor who came in a crowded second tries again.
const MOMENT_REFRESH: u64 = 2;

/// What a visitor whose ticket stands at `place` (or who has no ticket) sees of the room
/// right now, in `lang`: the one description every page, status answer, form and e-mail of
/// the room is made from.
pub fn view<'a>(
    room: &'a Room,
    figures: &Figures,
    place: Option<Place>,
    lang: Lang,
    now_s: u64,
) -> View<'a> {
    let state = state_of(figures);
    let shown = shown_place(figures, state, place);
    let eta = match state {
        _ if shown.admitted => Some(Estimate::NOW),
        RoomStateName::Open => Some(match shown.position {
            Some(position) => admission::estimate(position, &figures.movement.pace),
            None => admission::estimate_for_newcomer(figures.waiting(), &figures.movement.pace),
        }),
        // Nobody moves while paused or closed, or before the opening: an estimate would be
        // a guess.
        RoomStateName::Paused
        | RoomStateName::Held
        | RoomStateName::LastBeingBooked
        | RoomStateName::Closed
        | RoomStateName::SoldOut
        | RoomStateName::BeforeOpen
        | RoomStateName::Prequeue => None,
    };
    let release = next_release(room, state, now_s);
    let w = room.cfg.locales.get(lang);
    let mut view = View {
        room: &room.cfg.id,
        state,
        position: shown.position,
        ahead: shown.ahead,
        eta: EtaView::default(),
        admitted: shown.admitted,
        admit_per_minute: figures.limits.admit_per_minute,
        refresh_after_seconds: refresh_after(
            room,
            state,
            eta,
            release.and_then(|r| r.in_seconds),
            now_s,
        ),
        opening: opening(room, figures, state, w, now_s),
        puzzle: PuzzleView::default(),
        message: message_in(room, lang),
        supply: SupplyView::default(),
        doors: DoorsView::default(),
        said: Said::default(),
    };
    view.set_eta(w, eta);
    match figures.supply {
        // Closed is the end of booking: no count of what is "still free" beside it.
        Some(_) if state == RoomStateName::Closed => {}
        Some(supply) => {
            view.supply = supply_view(&supply, figures, &shown, state, place, release, w);
        }
        None => {}
    }
    view
}

/// The view of a called visitor asked to come back in a moment: `ahead` called places go
/// first.
pub fn moment_view<'a>(
    room: &'a Room,
    figures: &Figures,
    lang: Lang,
    now_s: u64,
    ahead: u64,
) -> View<'a> {
    let mut view = view(room, figures, None, lang, now_s);
    view.admitted = false;
    view.position = Some(ahead + 1);
    view.ahead = Some(ahead);
    view.set_eta(room.cfg.locales.get(lang), Some(Estimate::NOW));
    view.refresh_after_seconds = MOMENT_REFRESH;
    view
}

/// The room's state as a visitor is told it: the one place it is worked out.
pub fn state_of(figures: &Figures) -> RoomStateName {
    match (figures.state, figures.phase) {
        (OperatorState::Closed, _) => RoomStateName::Closed,
        // Nothing left says more than a pause: waiting is not worth it now.
        (_, Phase::Open) if figures.sold_out() => RoomStateName::SoldOut,
        (OperatorState::Paused, _) => RoomStateName::Paused,
        (OperatorState::Open, Phase::BeforeOpen) => RoomStateName::BeforeOpen,
        (OperatorState::Open, Phase::Prequeue) => RoomStateName::Prequeue,
        // Held by the gateway, or by the operator's `queue_all`: places kept, nobody in.
        (OperatorState::Open, Phase::Open) if figures.held || figures.queue_all => {
            RoomStateName::Held
        }
        // Nobody more is called while the sessions on the site book what is left.
        (OperatorState::Open, Phase::Open) if figures.last_being_booked() => {
            RoomStateName::LastBeingBooked
        }
        (OperatorState::Open, Phase::Open) => RoomStateName::Open,
    }
}

/// Where a visitor stands, as shown.
struct ShownPlace {
    position: Option<u64>,
    ahead: Option<u64>,
    admitted: bool,
}

fn shown_place(figures: &Figures, state: RoomStateName, place: Option<Place>) -> ShownPlace {
    let (position, ahead, admitted) = match place {
        // Called while sold out: kept out with the claim, first in once supply comes back.
        Some(Place::At(place)) if place < figures.cursor && figures.nothing_left() => {
            (Some(1), Some(0), false)
        }
        Some(Place::At(place)) if place < figures.cursor => (None, None, true),
        // Nothing left: no place to show.
        _ if state == RoomStateName::Closed => (None, None, false),
        Some(Place::At(place)) => {
            // Called holders still waiting for their start go first.
            let position = figures.position(place) + figures.claimed;
            (Some(position), Some(position - 1), false)
        }
        // In the pre-queue: the place is drawn at opening.
        Some(Place::Undrawn) | None => (None, None, false),
    };
    ShownPlace {
        position,
        ahead,
        admitted,
    }
}

/// The operator's message in `lang`, else in the room's default language, else in any.
fn message_in(room: &Room, lang: Lang) -> Option<String> {
    let message = room.state.message();
    message
        .shown(lang.code(), room.cfg.language().code())
        .map(|(text, _)| text.to_string())
}

/// New appointments expected, said once sold out: when (unix ms, the operator's offset) and
/// how long until then.
#[derive(Clone, Copy)]
struct Release {
    at: Millis,
    offset: i32,
    in_seconds: Option<u64>,
}

fn next_release(room: &Room, state: RoomStateName, now_s: u64) -> Option<Release> {
    if state != RoomStateName::SoldOut {
        return None;
    }
    let (at, offset) = room.cfg.supply.and_then(|s| s.next_release)?;
    Some(Release {
        at,
        offset,
        in_seconds: (at / 1000 > now_s).then(|| (at / 1000) - now_s),
    })
}

/// When the page looks again. Nobody moves while paused or closed: pages look again rarely,
/// not every 5 s.
fn refresh_after(
    room: &Room,
    state: RoomStateName,
    eta: Option<Estimate>,
    release_in: Option<u64>,
    now_s: u64,
) -> u64 {
    let until = |at: Millis| (at / 1000).saturating_sub(now_s);
    match (state, room.cfg.schedule.as_ref().map(|s| s.window)) {
        (RoomStateName::Closed, _) => CLOSED_REFRESH,
        // Looks again at the release, and meanwhile so that the countdown stays true.
        (RoomStateName::SoldOut, _) => release_in.map_or(SOLD_OUT_REFRESH, |s| s.clamp(5, 60)),
        (RoomStateName::Paused, _) => PAUSED_REFRESH,
        (RoomStateName::Held, _) => HELD_REFRESH,
        (RoomStateName::LastBeingBooked, _) => LAST_REFRESH,
        (RoomStateName::Open, _) => page::refresh_after(eta.map_or(0, |e| e.low)),
        // Looks again when the pre-queue begins or the room opens, and in between now and
        // then so that the countdown stays true.
        (RoomStateName::BeforeOpen, Some(w)) => until(w.prequeue_from).clamp(5, 60),
        (RoomStateName::Prequeue, Some(w)) => until(w.opens_at).clamp(5, 30),
        (RoomStateName::BeforeOpen | RoomStateName::Prequeue, None) => PAUSED_REFRESH,
    }
}

/// The schedule's opening as shown, with `[rooms.schedule]`.
fn opening(
    room: &Room,
    figures: &Figures,
    state: RoomStateName,
    w: &Locale,
    now_s: u64,
) -> OpeningView {
    let schedule = room.cfg.schedule.as_ref();
    let opens_in = schedule
        .map(|s| s.window)
        .filter(|w| w.opens_at / 1000 > now_s)
        .map(|w| (w.opens_at / 1000) - now_s);
    let gathering = match figures.order {
        schedule::Order::Gathering { first, .. } if state == RoomStateName::Prequeue => {
            Some(figures.issued.saturating_sub(first))
        }
        _ => None,
    };
    OpeningView {
        opens_at: schedule.map(|s| schedule::format_time(s.window.opens_at, s.offset_minutes)),
        opens_in_seconds: opens_in,
        opens_in_text: opens_in.map(|secs| page::eta_words(w, secs)),
        prequeue_size: gathering,
    }
}

/// What is left to book and this visitor's chance of it.
fn supply_view(
    supply: &supply::Supply,
    figures: &Figures,
    shown: &ShownPlace,
    state: RoomStateName,
    place: Option<Place>,
    release: Option<Release>,
    w: &Locale,
) -> SupplyView {
    let sold_out = state == RoomStateName::SoldOut;
    let mut view = SupplyView {
        supply_remaining: Some(supply.remaining),
        // Sold out says "nothing is free" in its heading: no second count beside it.
        supply_text: (!sold_out).then(|| page::supply_words(w, supply.remaining)),
        ..SupplyView::default()
    };
    // The people ahead of this visitor (or of a newcomer), while the line moves.
    let ahead = match (state, shown.ahead) {
        (
            RoomStateName::Open
            | RoomStateName::Paused
            | RoomStateName::Held
            | RoomStateName::LastBeingBooked
            | RoomStateName::SoldOut,
            Some(a),
        ) => Some(a),
        (RoomStateName::Open, None) if place.is_none() => Some(figures.waiting()),
        _ => None,
    };
    if let Some(ahead) = ahead.filter(|_| !shown.admitted) {
        let chance = supply::chance(supply, ahead, figures.active, figures.movement.show_share);
        view.chance = chance;
        view.chance_text = (!sold_out).then(|| page::chance_words(w, chance));
    }
    if let Some(release) = release {
        view.next_release = Some(schedule::format_time(release.at, release.offset));
        view.next_release_in_seconds = release.in_seconds;
        view.next_release_text = release.in_seconds.map(|secs| page::eta_words(w, secs));
    }
    view
}
