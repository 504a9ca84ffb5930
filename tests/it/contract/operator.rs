//! The operator's changes.

use super::*;

contract!(operator_changes);

/// A pause holds everyone, newcomers too, and nothing is owed for it; a rate and a message set
/// by the operator are in force at once; `queue_all` holds everyone; a closed room takes no
/// newcomers.
async fn operator_changes(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let base = r.figures(s.now()).numbering.base;

    let paused = change(&r, s.now(), |s, _| s.state = OperatorState::Paused).await;
    assert_eq!(paused.state, OperatorState::Paused);
    assert_eq!(r.settings(), paused);
    let f = r.figures(s.now());
    assert_eq!(f.state, OperatorState::Paused);
    assert!(f.limits.paused && !f.closed_to_newcomers());
    assert_eq!(f.effective_rate(), 0.0);
    assert_eq!(f.wait_for_newcomer(), None);
    let drawn = draw_n(&r, s.now(), 6).await;
    assert!(
        drawn.iter().all(|d| !d.1),
        "a pause holds newcomers in an idle room"
    );
    s.advance(5);
    s.quiet().await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base,
        "nobody called while paused"
    );

    let message = Message {
        texts: [
            ("de".to_string(), "Gleich geht es weiter.".to_string()),
            ("en".to_string(), "Back in a moment.".to_string()),
        ]
        .into(),
    };
    let m = message.clone();
    let open = change(&r, s.now(), move |s, config| {
        s.state = OperatorState::Open;
        s.admit_per_minute = Some(Override {
            value: 120.0,
            config_was: config.admit_per_minute,
        });
        s.message = m.clone();
    })
    .await;
    assert_eq!(r.settings(), open);
    assert_eq!(*r.message(), message);
    let f = r.figures(s.now());
    assert_eq!(f.state, OperatorState::Open);
    assert!(!f.limits.paused);
    assert_eq!(f.limits.admit_per_minute, 120.0);
    assert_eq!(f.effective_rate(), 120.0);

    s.advance(2);
    // The burst the idle room had banked, and four at the new rate; nothing for the pause.
    until("five called at the new rate", || {
        r.figures(s.now()).cursor == base + 5
    })
    .await;
    s.quiet().await;
    assert_eq!(r.figures(s.now()).cursor, base + 5);

    let held = change(&r, s.now(), |s, _| s.queue_all = true).await;
    assert!(held.queue_all);
    let f = r.figures(s.now());
    assert!(f.queue_all && f.limits.paused);
    s.advance(2);
    s.quiet().await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base + 5,
        "queue_all holds everyone"
    );

    let closed = change(&r, s.now(), |s, _| {
        s.queue_all = false;
        s.state = OperatorState::Closed;
    })
    .await;
    assert_eq!(r.settings(), closed);
    let f = r.figures(s.now());
    assert_eq!(f.state, OperatorState::Closed);
    assert!(f.closed_to_newcomers() && f.limits.paused);
}

contract!(config_edit_wins_over_an_older_override);

/// An operator's rate set against the config's rate goes out of force when the config's rate
/// changes (the most recent change wins), and is dropped from the settings.
async fn config_edit_wins_over_an_older_override(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    change(&r, s.now(), |s, config| {
        s.admit_per_minute = Some(Override {
            value: 120.0,
            config_was: config.admit_per_minute,
        })
    })
    .await;
    assert_eq!(r.figures(s.now()).limits.admit_per_minute, 120.0);
    r.set_limits(rate(30.0), s.now());
    assert_eq!(r.figures(s.now()).limits.admit_per_minute, 30.0);
    until("the stale override dropped", || {
        r.settings().admit_per_minute.is_none()
    })
    .await;
}
