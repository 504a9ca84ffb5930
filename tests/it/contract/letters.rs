//! Letters and invitations.

use super::*;

contract!(letters);

/// One letter per ticket, ever: kept until sent, listed in ticket order from a number on; a
/// ticket written to takes no second letter.
async fn letters(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let now = s.now();
    let base = r.figures(now).numbering.base;
    // Places far ahead of the cursor: a called place is forgotten as written to.
    let (x, y) = (base + 100, base + 50);
    assert_eq!(
        r.enlist(letter(x, now), now).await.unwrap(),
        Enlisted::Added
    );
    assert_eq!(
        r.enlist(letter(x, now), now).await.unwrap(),
        Enlisted::Already
    );
    assert_eq!(
        r.enlist(letter(y, now), now).await.unwrap(),
        Enlisted::Added
    );
    assert_eq!(
        r.letters(base, 10).await.unwrap(),
        Some(vec![letter(y, now), letter(x, now)]),
        "in ticket order, as asked for"
    );
    assert_eq!(pending(&r, base + 51, 10).await, [x]);
    assert_eq!(pending(&r, base, 1).await, [y]);

    assert!(r.claim_letter(x).await.unwrap(), "nobody else sends it");
    r.letter_done(x, now).await.unwrap();
    assert_eq!(pending(&r, base, 10).await, [y]);
    assert_eq!(
        r.enlist(letter(x, now), now).await.unwrap(),
        Enlisted::Already,
        "written to already"
    );
}

contract!(letters_are_bounded);

/// At most `MAX_LETTERS` wait to be sent: one more is refused (a ticket with one still is
/// `Already`), and a letter sent makes room.
async fn letters_are_bounded(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let now = s.now();
    let first = r.figures(now).numbering.base + 1_000;
    let all = first..first + MAX_LETTERS as u64;
    let seqs: Vec<u64> = all.clone().collect();
    for chunk in seqs.chunks(1_000) {
        let mut set = JoinSet::new();
        for &seq in chunk {
            let r = r.clone();
            set.spawn(async move { r.enlist(letter(seq, now), now).await.unwrap() });
        }
        assert!(set.join_all().await.iter().all(|e| *e == Enlisted::Added));
    }
    let next = all.end;
    assert_eq!(
        r.enlist(letter(next, now), now).await.unwrap(),
        Enlisted::Full
    );
    assert_eq!(
        r.enlist(letter(first, now), now).await.unwrap(),
        Enlisted::Already
    );
    r.letter_done(first, now).await.unwrap();
    assert_eq!(
        r.enlist(letter(next, now), now).await.unwrap(),
        Enlisted::Added
    );
}

// ---------------------------------------------------------------------------------------------
// Invitations

contract!(invitations);

/// An invitation draws once: the first number recorded for it stays, also when several record
/// one at once.
async fn invitations(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let now = s.now();
    let drawn = draw_n(&r, now, 12).await;
    let (a, b) = (drawn[0].0, drawn[1].0);

    assert_eq!(r.invited(7).await.unwrap(), None);
    assert_eq!(r.invite(7, a, now).await.unwrap(), a);
    assert_eq!(r.invite(7, b, now).await.unwrap(), a, "the first one stays");
    assert_eq!(r.invited(7).await.unwrap(), Some(a));
    assert_eq!(r.invited(8).await.unwrap(), None, "another invitation");
    assert_eq!(r.invite(8, b, now).await.unwrap(), b);

    let mut set = JoinSet::new();
    for &(seq, _) in &drawn[2..] {
        let r = r.clone();
        set.spawn(async move { r.invite(9, seq, now).await.unwrap() });
    }
    let answers = set.join_all().await;
    let kept = r.invited(9).await.unwrap().expect("one of them drew");
    assert!(drawn[2..].iter().any(|d| d.0 == kept));
    assert!(
        answers.iter().all(|&seq| seq == kept),
        "a race has one winner: {answers:?}"
    );
}
