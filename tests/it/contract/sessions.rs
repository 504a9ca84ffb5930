//! Sessions: starts, passes, endings, claims.

use super::*;

contract!(sessions);

/// A called number turns up: a new session once, the same session again within its passes,
/// then used up. A session seen is alive; one the upstream ended is refused on its pass, and
/// counted no more.
async fn sessions(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let now = s.now();
    let drawn = draw_n(&r, now, 3).await;
    assert!(drawn.iter().all(|d| d.1), "a burst of ten walks in");
    let (s0, s1) = (drawn[0].0, drawn[1].0);

    assert_eq!(admit(&r, s0, 2, now).await, SessionStart::New);
    assert_eq!(admit(&r, s0, 2, now).await, SessionStart::Existing);
    assert_eq!(admit(&r, s0, 2, now).await, SessionStart::UsedUp);
    assert_eq!(r.session_started(s0).await.unwrap(), Some(now));
    assert!(r.session_seen(s0, now));
    assert_eq!(admit(&r, s1, 2, now).await, SessionStart::New);
    until("two sessions counted", || r.figures(now).active == 2).await;

    r.session_ended(s1, now + 3_600_000);
    assert!(
        !r.session_seen(s1, now),
        "an ended session's pass is refused"
    );
    assert!(r.session_seen(s0, now), "the other goes on");
    until("one session counted", || r.figures(now).active == 1).await;
    let r2 = &r;
    support::eventually("an ended session has no start", || async move {
        r2.session_started(s1).await.unwrap().is_none()
    })
    .await;
}

contract!(ended_session_is_refused_at_once);

/// The upstream ended a session: its ticket starts no session again, not even a moment later
/// on the same gateway.
async fn ended_session_is_refused_at_once(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let now = s.now();
    let (seq, _) = draw_one(&r, now).await;
    assert_eq!(admit(&r, seq, 3, now).await, SessionStart::New);
    r.session_ended(seq, now + 3_600_000);
    assert_eq!(admit(&r, seq, 3, now).await, SessionStart::Ended);
}

contract!(idle_sessions_are_swept);

/// Sessions idle for `idle_ms` are forgotten, and their tickets stay refused; a session seen
/// meanwhile stays.
async fn idle_sessions_are_swept(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let drawn = draw_n(&r, s.now(), 2).await;
    let (idle, busy) = (drawn[0].0, drawn[1].0);
    assert_eq!(admit(&r, idle, 3, s.now()).await, SessionStart::New);
    assert_eq!(admit(&r, busy, 3, s.now()).await, SessionStart::New);
    until("two sessions", || r.figures(s.now()).active == 2).await;
    s.advance(4);
    assert!(r.session_seen(busy, s.now()));
    s.advance(4);
    r.sweep(s.now(), 5_000, 3_600_000);
    until("the idle session forgotten", || {
        r.figures(s.now()).active == 1
    })
    .await;
    assert_eq!(admit(&r, idle, 3, s.now()).await, SessionStart::Ended);
    assert_eq!(admit(&r, busy, 3, s.now()).await, SessionStart::Existing);
    until("the idle session's pass refused", || {
        !r.session_seen(idle, s.now())
    })
    .await;
}

contract!(session_starts_wait_their_turn);

/// At one start a second (a burst of one), called holders who turn up together start one by
/// one in line order: the others are told "in a moment" with the places ahead of them told the
/// same, and a status poll says so without spending a start.
async fn session_starts_wait_their_turn(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let base = r.figures(s.now()).numbering.base;
    let drawn = draw_n(&r, s.now(), 3).await;
    let [s0, s1, s2] = [drawn[0].0, drawn[1].0, drawn[2].0];
    s.advance(2);
    until("all three called", || r.figures(s.now()).cursor == base + 3).await;

    let now = s.now();
    assert_eq!(admit(&r, s0, 3, now).await, SessionStart::New);
    assert_eq!(
        admit(&r, s1, 3, now).await,
        SessionStart::Later { ahead: 0 }
    );
    assert_eq!(
        admit(&r, s2, 3, now).await,
        SessionStart::Later { ahead: 1 }
    );
    assert_eq!(r.claims_ahead(s2, now).await.unwrap(), Some(1));

    s.advance(1);
    let now = s.now();
    assert_eq!(
        admit(&r, s2, 3, now).await,
        SessionStart::Later { ahead: 1 },
        "the start of this second is s1's, who asked first"
    );
    assert_eq!(admit(&r, s1, 3, now).await, SessionStart::New);
    assert_eq!(r.claims_ahead(s2, now).await.unwrap(), Some(0));
    assert_eq!(r.claims_ahead(s0, now).await.unwrap(), None, "started");

    s.advance(1);
    let now = s.now();
    assert_eq!(
        r.claims_ahead(s2, now).await.unwrap(),
        None,
        "would start now"
    );
    assert_eq!(admit(&r, s2, 3, now).await, SessionStart::New);
}

contract!(figures_count_claimed_places);

/// Called places told "in a moment" go before everyone still waiting: the figures count them.
async fn figures_count_claimed_places(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let base = r.figures(s.now()).numbering.base;
    let drawn = draw_n(&r, s.now(), 4).await;
    s.advance(2);
    until("three called", || r.figures(s.now()).cursor == base + 3).await;
    let now = s.now();
    assert_eq!(admit(&r, drawn[0].0, 3, now).await, SessionStart::New);
    assert_eq!(
        admit(&r, drawn[1].0, 3, now).await,
        SessionStart::Later { ahead: 0 }
    );
    until("the claim counted", || r.figures(now).claimed == 1).await;
}
