//! What is left to book.

use super::*;

contract!(supply);

/// What is left to book: set from the config, lowered by bookings, raised by cancellations,
/// overruled by the site's own count; sessions begun are counted; nothing left closes the room
/// to newcomers and calls nobody more. A room that does not count has no supply.
async fn supply(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", counted(600.0, 10)).await;
    let plain = s.room("plain", rate(600.0)).await;
    let now = s.now();
    let fresh = Supply::new(10, 0);
    assert_eq!(r.figures(now).supply, Some(fresh));

    let after = |remaining, booked, admitted| {
        Some(Supply {
            remaining,
            booked,
            admitted,
            ..fresh
        })
    };
    // A session begun is counted (before the room is ever sold out: a Redis copy may still
    // hold newcomers for a sync after it is not).
    let (seq, walked_in) = draw_one(&r, now).await;
    assert!(walked_in);
    assert_eq!(admit(&r, seq, 2, now).await, SessionStart::New);
    until("a session begun is counted", || {
        r.figures(now).supply == after(10, 0, 1)
    })
    .await;

    let booked = r.supply(SupplyChange::Booked(3), now, false).await.unwrap();
    assert_eq!(booked, after(7, 3, 1));
    assert_eq!(r.figures(now).supply, after(7, 3, 1));
    let cancelled = r.supply(SupplyChange::Cancelled(1), now, false).await;
    assert_eq!(cancelled.unwrap(), after(8, 3, 1));
    let site_count = r.supply(SupplyChange::Remaining(5), now, true).await;
    assert_eq!(site_count.unwrap(), after(5, 3, 1), "the site's count wins");
    let over = r.supply(SupplyChange::Booked(9), now, false).await;
    assert_eq!(
        over.unwrap(),
        after(0, 8, 1),
        "no more booked than there was"
    );
    let f = r.figures(now);
    assert!(f.sold_out() && f.closed_to_newcomers() && f.nothing_left());
    assert!(f.limits.paused, "nobody more is called");
    let back = r.supply(SupplyChange::Remaining(5), now, true).await;
    assert_eq!(back.unwrap(), after(5, 8, 1));
    assert!(!r.figures(now).closed_to_newcomers());

    let report = plain.supply(SupplyChange::Booked(1), now, false).await;
    assert_eq!(report.unwrap(), None);
    assert_eq!(plain.figures(now).supply, None);
}

contract!(calls_stop_while_the_site_books_the_rest);

/// No entry to an empty site: with 3 appointments and no booking ratio learnt yet (one per
/// session), no more than 3 are let onto the booking site at once, however fast the rate;
/// the line is held as "the last appointments are being booked" and goes on, in ticket order,
/// one place per session that ends without booking. Each ended session teaches the room.
async fn calls_stop_while_the_site_books_the_rest(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", counted(600.0, 3)).await;
    let now = s.now();
    let drawn = draw_n(&r, now, 8).await;
    let first = drawn[0].0;
    let called = |n: u64| move |f: &Figures| f.cursor == first + n;
    let walked_in: Vec<u64> = drawn.iter().filter(|d| d.1).map(|d| d.0).collect();
    assert!(walked_in.len() <= 3, "{drawn:?}");
    for &seq in &walked_in {
        assert_eq!(admit(&r, seq, 2, now).await, SessionStart::New);
    }
    // Long enough at 10 a second for everyone, were it not for the supply.
    s.advance(5);
    let now = s.now();
    until("the three called are on the site", || {
        called(3)(&r.figures(now))
    })
    .await;
    for seq in (first..first + 3).filter(|seq| !walked_in.contains(seq)) {
        assert_eq!(admit(&r, seq, 2, now).await, SessionStart::New);
    }
    s.advance(5);
    let now = s.now();
    until("three sessions run", || r.figures(now).active == 3).await;
    let f = r.figures(now);
    assert!(called(3)(&f), "nobody more is called: {:?}", f.supply);
    assert!(f.last_being_booked());
    assert_eq!(
        wartesaal::gateway::view::state_of(&f),
        wartesaal::page::RoomStateName::LastBeingBooked
    );

    // One leaves without booking: exactly the next in line is called.
    // (The pass it held stays refused for the pass's lifetime.)
    r.session_ended(first, now + 600_000);
    s.advance(1);
    let now = s.now();
    until("the next in line is called", || called(4)(&r.figures(now))).await;
    s.advance(5);
    let now = s.now();
    s.quiet().await;
    assert!(called(4)(&r.figures(now)), "one place per session ended");
}
