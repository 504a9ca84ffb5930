//! What a visitor sees of a room right now: the `View` a page or the status JSON is made from,
//! out of the room's figures and the visitor's place. Must not act: it only describes.

use crate::clock::Millis;
use crate::config::Lang;
use crate::page::{self, RoomStateName, View};
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

/// What a visitor whose ticket stands at `place` (or who has no ticket) sees of the room
/// right now, in `lang`.
pub fn view<'a>(
    room: &'a Room,
    figures: &Figures,
    place: Option<Place>,
    lang: Lang,
    now_s: u64,
) -> View<'a> {
    let limits = figures.limits;
    let state = match (figures.state, figures.phase) {
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
        (OperatorState::Open, Phase::Open) => RoomStateName::Open,
    };
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
    let eta = match state {
        _ if admitted => Some(Estimate::NOW),
        RoomStateName::Open => Some(match place {
            Some(Place::At(place)) => admission::estimate(figures.position(place), &figures.pace),
            _ => admission::estimate_for_newcomer(figures.numbers_ahead(), &figures.pace),
        }),
        // Nobody moves while paused or closed, or before the opening: an estimate would be
        // a guess.
        RoomStateName::Paused
        | RoomStateName::Held
        | RoomStateName::Closed
        | RoomStateName::SoldOut
        | RoomStateName::BeforeOpen
        | RoomStateName::Prequeue => None,
    };
    let window = room.cfg.schedule.as_ref().map(|s| s.window);
    let until = |at: Millis| (at / 1000).saturating_sub(now_s);
    let message = room.state.message();
    let text = match lang {
        Lang::De if !message.de.is_empty() => &message.de,
        Lang::En if !message.en.is_empty() => &message.en,
        _ if !message.de.is_empty() => &message.de,
        _ => &message.en,
    };
    // Nobody moves while paused or closed: pages look again rarely, not every 5 s.
    // New appointments expected, said once sold out.
    let release = (state == RoomStateName::SoldOut)
        .then(|| room.cfg.supply.and_then(|s| s.next_release))
        .flatten();
    let release_in = release
        .filter(|(at, _)| at / 1000 > now_s)
        .map(|(at, _)| until(at));
    let refresh = match (state, window) {
        (RoomStateName::Closed, _) => CLOSED_REFRESH,
        // Looks again at the release, and meanwhile so that the countdown stays true.
        (RoomStateName::SoldOut, _) => release_in.map_or(SOLD_OUT_REFRESH, |s| s.clamp(5, 60)),
        (RoomStateName::Paused, _) => PAUSED_REFRESH,
        (RoomStateName::Held, _) => HELD_REFRESH,
        (RoomStateName::Open, _) => page::refresh_after(eta.map_or(0, |e| e.low)),
        // Looks again when the pre-queue begins or the room opens, and in between now and
        // then so that the countdown stays true.
        (RoomStateName::BeforeOpen, Some(w)) => until(w.prequeue_from).clamp(5, 60),
        (RoomStateName::Prequeue, Some(w)) => until(w.opens_at).clamp(5, 30),
        (RoomStateName::BeforeOpen | RoomStateName::Prequeue, None) => PAUSED_REFRESH,
    };
    let gathering = match figures.order {
        schedule::Order::Gathering { first, .. } if state == RoomStateName::Prequeue => {
            Some(figures.issued.saturating_sub(first))
        }
        _ => None,
    };
    let opens_in = window
        .filter(|w| w.opens_at / 1000 > now_s)
        .map(|w| until(w.opens_at));
    let mut view = View {
        room: &room.cfg.id,
        state,
        position,
        ahead,
        eta_seconds: None,
        eta_low_seconds: None,
        eta_high_seconds: None,
        eta_text: None,
        admitted,
        admit_per_minute: limits.admit_per_minute,
        refresh_after_seconds: refresh,
        opens_at: room
            .cfg
            .schedule
            .as_ref()
            .map(|s| schedule::format_time(s.window.opens_at, s.offset_minutes)),
        opens_in_seconds: opens_in,
        opens_in_text: opens_in.map(|secs| page::eta_words(lang, secs)),
        prequeue_size: gathering,
        challenge: None,
        proof_of_work_bits: None,
        message: (!text.is_empty()).then(|| text.clone()),
        supply_remaining: None,
        chance: None,
        supply_text: None,
        chance_text: None,
        next_release: None,
        next_release_in_seconds: None,
        next_release_text: None,
        eligibility: None,
        place_code: None,
        invitation: None,
    };
    view.set_eta(lang, eta);
    if let Some(supply) = figures.supply {
        view.supply_remaining = Some(supply.remaining);
        view.supply_text = Some(page::supply_words(lang, supply.remaining));
        // The people ahead of this visitor (or of a newcomer), while the line moves.
        let ahead = match (state, view.ahead) {
            (
                RoomStateName::Open
                | RoomStateName::Paused
                | RoomStateName::Held
                | RoomStateName::SoldOut,
                Some(a),
            ) => Some(a),
            (RoomStateName::Open, None) if place.is_none() => Some(figures.numbers_ahead()),
            _ => None,
        };
        if let Some(ahead) = ahead.filter(|_| !admitted) {
            let chance = supply::chance(&supply, ahead, figures.active, figures.show_share);
            view.chance = chance;
            view.chance_text = Some(page::chance_words(lang, chance));
        }
        if let Some((at, offset)) = release {
            view.next_release = Some(schedule::format_time(at, offset));
            view.next_release_in_seconds = release_in;
            view.next_release_text = release_in.map(|secs| page::eta_words(lang, secs));
        }
    }
    view
}
