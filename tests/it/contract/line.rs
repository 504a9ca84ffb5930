//! Drawing numbers and moving the cursor.

use super::*;

contract!(draw);

/// Numbers are handed out in a row from the line's first, each once, also when many draw at
/// once; the first newcomer of an idle room walks straight in, the next waits (a burst of one).
/// A second room keeps a line of its own.
async fn draw(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let a = s.room("a", rate(60.0)).await;
    let b = s.room("b", rate(60.0)).await;
    let now = s.now();
    let base = a.figures(now).numbering.base;
    assert_eq!(
        a.figures(now).issued,
        base,
        "a new line has handed out nothing"
    );

    let drawn = draw_n(&a, now, 5).await;
    let seqs: Vec<u64> = drawn.iter().map(|d| d.0).collect();
    assert_eq!(seqs, (base..base + 5).collect::<Vec<_>>());
    let walked_in: Vec<bool> = drawn.iter().map(|d| d.1).collect();
    assert_eq!(walked_in, [true, false, false, false, false]);
    let f = a.figures(now);
    assert_eq!((f.issued, f.cursor, f.waiting()), (base + 5, base + 1, 4));

    // Fifty at once: fifty numbers, none twice, none left out.
    let mut set = JoinSet::new();
    for _ in 0..50 {
        let a = a.clone();
        set.spawn(async move { a.draw(now, Gate::default()).await.unwrap().0.seq });
    }
    let mut together = set.join_all().await;
    together.sort_unstable();
    assert_eq!(together, (base + 5..base + 55).collect::<Vec<_>>());
    assert_eq!(a.figures(now).issued, base + 55);

    // Room b: its own numbers, its own idle burst.
    let b_base = b.figures(now).numbering.base;
    assert_eq!(
        draw_one(&b, now).await,
        (b_base, true),
        "b's line is not a's"
    );
    assert_eq!(b.figures(now).issued, b_base + 1);
    assert_eq!(a.figures(now).issued, base + 55, "a is untouched by b");
}

// ---------------------------------------------------------------------------------------------
// Cursor

contract!(cursor);

/// The cursor moves at the configured rate with the clock, never faster, never past the last
/// number handed out.
async fn cursor(kind: Kind) {
    let Some(s) = Store::open(kind).await else {
        return;
    };
    let r = s.room("r", rate(60.0)).await;
    let base = r.figures(s.now()).numbering.base;
    draw_n(&r, s.now(), 11).await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base + 1,
        "one walked in, ten wait"
    );

    // Nothing moves while the clock stands still.
    s.quiet().await;
    assert_eq!(r.figures(s.now()).cursor, base + 1);

    s.advance(5);
    until("five called in five seconds at one a second", || {
        r.figures(s.now()).cursor == base + 6
    })
    .await;
    s.quiet().await;
    let f = r.figures(s.now());
    assert_eq!(f.cursor, base + 6, "no faster than the rate");
    assert_eq!(f.waiting(), 5);
    assert!(f.wait_for_newcomer().is_some());

    s.advance(60);
    until("everyone called", || r.figures(s.now()).cursor == base + 11).await;
    s.quiet().await;
    assert_eq!(
        r.figures(s.now()).cursor,
        base + 11,
        "never past the last number"
    );
}
