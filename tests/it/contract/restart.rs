//! Restarts and crashes.

use super::*;

/// The line a restart case begins with: two walked in and started a session (the second ended
/// by the upstream), two wait, one of them asked for a letter, the other came by invitation;
/// the operator set a rate and a message, and two appointments were booked.
struct Before {
    figures: Figures,
    seqs: Vec<u64>,
    settings: Settings,
    message: Message,
    code: String,
}

const RESTART_LIMITS: Limits = Limits {
    admit_per_minute: 120.0,
    max_active: 0,
    paused: false,
    adaptive: None,
    schedule: None,
    appointments: Some(10),
    supply: None,
};

async fn line_before_restart(s: &Store, r: &Arc<dyn RoomState>) -> Before {
    let now = s.now();
    let drawn = draw_n(r, now, 4).await;
    let seqs: Vec<u64> = drawn.iter().map(|d| d.0).collect();
    assert_eq!(
        drawn.iter().map(|d| d.1).collect::<Vec<_>>(),
        [true, true, false, false]
    );
    assert_eq!(admit(r, seqs[0], 3, now).await, SessionStart::New);
    assert_eq!(admit(r, seqs[1], 3, now).await, SessionStart::New);
    r.session_ended(seqs[1], now + 3_600_000);
    assert_eq!(
        r.enlist(letter(seqs[3], now), now).await.unwrap(),
        Enlisted::Added
    );
    assert_eq!(r.invite(5, seqs[2], now).await.unwrap(), seqs[2]);
    let message = Message {
        texts: [
            ("de".to_string(), "Bitte etwas Geduld.".to_string()),
            ("en".to_string(), "Please bear with us.".to_string()),
        ]
        .into(),
    };
    let m = message.clone();
    let settings = change(r, now, move |s, config| {
        s.admit_per_minute = Some(Override {
            value: 90.0,
            config_was: config.admit_per_minute,
        });
        s.message = m.clone();
    })
    .await;
    let supply = r.supply(SupplyChange::Booked(2), now, true).await.unwrap();
    assert_eq!(supply.map(|s| s.remaining), Some(8));
    let figures = r.figures(now);
    let code = code::place_code(&keys(), line_of(&figures), seqs[3]).expect("a place code");
    Before {
        figures,
        seqs,
        settings,
        message,
        code,
    }
}

/// What every restart keeps: the same line (so place codes stay valid), no number handed out
/// twice, letters, invitations and the operator's settings.
async fn assert_line_kept(s: &Store, r: &Arc<dyn RoomState>, before: &Before) {
    let now = s.now();
    let f = r.figures(now);
    assert_eq!(line_of(&f), line_of(&before.figures), "the same line");
    let last = *before.seqs.last().unwrap();
    assert!(f.issued > last, "{} numbers known as handed out", f.issued);
    assert!(f.cursor >= before.figures.cursor, "nobody loses ground");
    assert_eq!(
        code::read_place_code(&keys(), line_of(&f), &before.code),
        Ok(before.seqs[3]),
        "a place code of before the restart still reads"
    );
    assert!(f.holds(before.seqs[3]));
    assert_eq!(
        pending(r, f.numbering.base, 10).await,
        [before.seqs[3]],
        "the letter kept"
    );
    assert_eq!(r.invited(5).await.unwrap(), Some(before.seqs[2]));
    assert_eq!(r.settings(), before.settings);
    assert_eq!(*r.message(), before.message);
    assert_eq!(f.limits.admit_per_minute, 90.0);
    assert_eq!(f.supply.map(|s| (s.remaining, s.booked)), Some((8, 2)));
    let (next, _) = draw_one(r, now).await;
    assert!(next > last, "{next} was handed out before");
}

contract!(restart);

/// An orderly stop and a start keep the line: the counter exactly (the next number follows the
/// last), sessions (and endings), letters, invitations, settings, supply.
async fn restart(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", RESTART_LIMITS).await;
    let before = line_before_restart(&s, &r).await;
    let s = s.restart(vec![r]).await;
    let r = s.room("r", RESTART_LIMITS).await;

    let f = r.figures(s.now());
    assert_eq!(
        f.issued, before.figures.issued,
        "exact after an orderly stop"
    );
    assert_line_kept(&s, &r, &before).await;
    assert_eq!(r.figures(s.now()).issued, before.figures.issued + 1);
    let now = s.now();
    assert_eq!(
        admit(&r, before.seqs[0], 3, now).await,
        SessionStart::Existing
    );
    assert!(!r.session_seen(before.seqs[1], now), "still ended");
    assert_eq!(admit(&r, before.seqs[1], 3, now).await, SessionStart::Ended);
}

contract!(restart_calls_nobody_early);

/// An orderly stop and a start call nobody: with people waiting and no time gone by, the
/// cursor stays where it was.
async fn restart_calls_nobody_early(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(120.0)).await;
    let base = r.figures(s.now()).numbering.base;
    draw_n(&r, s.now(), 6).await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base + 2,
        "a burst of two walked in"
    );
    let s = s.restart(vec![r]).await;
    let r = s.room("r", rate(120.0)).await;
    s.quiet().await;
    let f = r.figures(s.now());
    assert_eq!((f.issued, f.cursor), (base + 6, base + 2));
}

contract!(restart_keeps_when_sessions_began);

/// When a session began survives a restart (the admission header, and how long its ticket
/// stays refused once it is forgotten, go by it).
async fn restart_keeps_when_sessions_began(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let began = s.now();
    let (seq, _) = draw_one(&r, began).await;
    assert_eq!(admit(&r, seq, 3, began).await, SessionStart::New);
    s.advance(1);
    assert!(r.session_seen(seq, s.now()));
    let s = s.restart(vec![r]).await;
    let r = s.room("r", rate(600.0)).await;
    assert_eq!(r.session_started(seq).await.unwrap(), Some(began));
}

contract!(restart_after_config_edit);

/// An operator's rate dropped for a config edit stays dropped after a restart.
async fn restart_after_config_edit(kind: Kind) {
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
    r.set_limits(rate(30.0), s.now());
    until("the stale override dropped", || {
        r.settings().admit_per_minute.is_none()
    })
    .await;
    let s = s.restart(vec![r]).await;
    let r = s.room("r", rate(30.0)).await;
    assert_eq!(r.settings().admit_per_minute, None);
    assert_eq!(r.figures(s.now()).limits.admit_per_minute, 30.0);
}

contract!(crash_keeps_the_line);

/// A process that dies keeps what it acknowledged as durable: the line, no number twice,
/// letters, invitations, settings, a supply set through the admin API.
async fn crash_keeps_the_line(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", RESTART_LIMITS).await;
    let before = line_before_restart(&s, &r).await;
    let s = s.crash(vec![r]).await;
    let r = s.room("r", RESTART_LIMITS).await;
    assert_line_kept(&s, &r, &before).await;
}

contract!(crash_keeps_sessions);

/// A session begun just before the process dies is still the same session afterwards.
async fn crash_keeps_sessions(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(600.0)).await;
    let now = s.now();
    let (seq, _) = draw_one(&r, now).await;
    assert_eq!(admit(&r, seq, 3, now).await, SessionStart::New);
    let s = s.crash(vec![r]).await;
    let r = s.room("r", rate(600.0)).await;
    assert_eq!(admit(&r, seq, 3, s.now()).await, SessionStart::Existing);
}

contract!(crash_keeps_booking_reports);

/// A booking the site reported just before the process dies is still counted afterwards.
async fn crash_keeps_booking_reports(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", counted(600.0, 10)).await;
    let left = r.supply(SupplyChange::Booked(3), s.now(), false).await;
    assert_eq!(left.unwrap().map(|s| s.remaining), Some(7));
    let s = s.crash(vec![r]).await;
    let r = s.room("r", counted(600.0, 10)).await;
    assert_eq!(r.figures(s.now()).supply.map(|s| s.remaining), Some(7));
}

contract!(crash_repeats_no_number_and_moves_nobody_back);

/// After the process dies no number is handed out twice, nobody waiting is moved back, and a
/// newcomer's position counts people only. The embedded state is the process: its crash is the
/// store's, which loses the last moments (Redis restarted from an older copy does the same,
/// `failover.rs`). So it skips the numbers it had reserved ahead and lets the cursor have moved
/// as far as the rate allowed since its last save; neither shows up in anyone's position.
/// Across a crash of the gateway alone (Redis kept), both resume exactly.
async fn crash_repeats_no_number_and_moves_nobody_back(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let drawn = draw_n(&r, s.now(), 6).await;
    let before = r.figures(s.now());
    let s = s.crash(vec![r]).await;
    let r = s.room("r", rate(60.0)).await;
    // The holders' pages ask again within seconds: they are people, not a crash's gap.
    for (seq, _) in &drawn {
        r.ticket_seen(*seq);
    }
    let (next, _) = draw_one(&r, s.now()).await;
    let after = r.figures(s.now());
    assert!(after.cursor >= before.cursor, "nobody moved back");
    assert!(next > drawn[5].0, "{next} was handed out before");
    for (seq, _) in &drawn {
        assert!(
            after.position(*seq) <= before.position(*seq),
            "{seq} moved back"
        );
    }
    let people_ahead = (drawn[5].0 + 1).saturating_sub(after.cursor);
    assert_eq!(
        after.position(next),
        people_ahead + 1,
        "the newcomer's place counts the people ahead, not the numbers"
    );
}
