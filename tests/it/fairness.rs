//! A fair opening and abuse resistance, against the real gateway and a real upstream: the
//! countdown, the pre-queue and its draw, FIFO behind it, the audit, issuance limits, proof of
//! work and one ticket, one entry.

use std::time::Duration;

use http::StatusCode;
use wartesaal::clock::Clock;

use crate::support::{self, Visitor, T0};

const COOKIE: &str = "wartesaal_r";
/// T0 is 2026-11-23T00:00:00Z, a Monday; the operator writes times in +01:00.
const PREQUEUE_FROM: u64 = T0 + 60_000;
const OPENS_AT: u64 = T0 + 120_000;
const SCHEDULE: &str = "admit_per_minute = 60\n\
     [rooms.schedule]\n\
     prequeue_from = \"2026-11-23T01:01:00+01:00\"\n\
     opens_at = 2026-11-23T01:02:00+01:00\n";

/// Every visitor asks for their status; returns who has been called.
async fn called(visitors: &mut [Visitor]) -> Vec<bool> {
    let mut out = Vec::with_capacity(visitors.len());
    for v in visitors.iter_mut() {
        out.push(v.status("r").await["admitted"] == true);
    }
    out
}

#[tokio::test]
async fn countdown_then_prequeue_then_a_drawn_order_with_fifo_behind_it() {
    let up = support::upstream().await;
    let state_dir = support::temp_dir("schedule");
    let config = support::config_in(&state_dir, "", &support::room("r", &up.url(), SCHEDULE));
    let gw = support::gateway(&config).await;

    // Before the pre-queue: a countdown and no number to hold on to.
    let mut early = gw.visitor();
    let page = early.get("/termine").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        early.cookie(COOKIE).is_none(),
        "no ticket before the pre-queue"
    );
    assert!(
        page.body
            .contains("Die Buchung öffnet am Montag, 23. November 2026, um 01:02 Uhr"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("Ab 01:01 Uhr können Sie sich hier anstellen"));
    let s = early.status("r").await;
    assert_eq!(s["state"], "before_open");
    assert_eq!(s["opens_at"], "2026-11-23T01:02:00+01:00");
    assert_eq!(s["opens_in_seconds"], 120);
    assert_eq!(s["position"], serde_json::Value::Null);

    // The pre-queue: tickets, nobody in, no place yet.
    gw.clock.set(PREQUEUE_FROM);
    let mut visitors: Vec<Visitor> = (0..20).map(|_| gw.visitor()).collect();
    for (i, v) in visitors.iter_mut().enumerate() {
        let page = v.get("/termine").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Vorab-Warteschlange"), "{}", page.body);
        assert!(v.cookie(COOKIE).is_some(), "a pre-queue ticket");
        let s = v.status("r").await;
        assert_eq!(s["state"], "prequeue");
        assert_eq!(s["position"], serde_json::Value::Null);
        assert_eq!(s["prequeue_size"], i as u64 + 1);
        gw.advance(Duration::from_secs(2));
    }
    gw.clock.set(OPENS_AT - 1_000);
    assert!(called(&mut visitors).await.iter().all(|c| !c));
    assert!(
        up.paths().is_empty(),
        "nobody reached the site before opening"
    );

    // Opening: everyone present has a distinct place, not in arrival order. The first place
    // is called at once (one second's burst): its holder counts as place 0.
    gw.clock.set(OPENS_AT);
    // The first look freezes the draw; the cursor moves once it is on disk.
    called(&mut visitors).await;
    let mut positions = Vec::new();
    for v in visitors.iter_mut() {
        let s = v.status("r").await;
        assert_eq!(s["state"], "open");
        let place = match s["admitted"] == true {
            true => 0,
            false => s["position"].as_u64().unwrap_or_else(|| panic!("{s}")),
        };
        positions.push(place);
    }
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..20).collect::<Vec<u64>>(), "no ties, no gaps");
    assert_ne!(positions, sorted, "drawn, not in order of arrival");
    // A latecomer queues behind the whole pre-queue.
    let mut late = gw.visitor();
    late.get("/termine").await;
    assert_eq!(late.status("r").await["position"], 20);

    let admin = gw
        .admin(http::Method::GET, "/api/v1/rooms/r", None, None)
        .await
        .json();
    assert_eq!(admin["schedule"]["phase"], "open");
    assert_eq!(admin["schedule"]["prequeue"]["size"], 20);
    assert_eq!(admin["schedule"]["prequeue"]["frozen"], true);

    // The audit prints the same order, from the state directory of the running gateway.
    let seqs: Vec<u64> = visitors
        .iter()
        .map(|v| support::ticket_seq("r", &v.cookie(COOKIE).unwrap()))
        .collect();
    let mut by_place = vec![0; 20];
    for (i, p) in positions.iter().enumerate() {
        by_place[*p as usize] = seqs[i];
    }
    assert_eq!(audit_order(&state_dir), by_place);

    // Admission goes by drawn place; a restart midway changes nothing.
    let mut visitors: Vec<Visitor> = visitors.into_iter().chain([late]).collect();
    positions.push(20);
    let mut gw = gw;
    let mut entered = vec![false; visitors.len()];
    for step in 0..60 {
        if step == 5 {
            let now = gw.clock.now_ms();
            gw.stop().await;
            gw = support::gateway_at(&config, now).await;
            let base = gw.base();
            for v in visitors.iter_mut() {
                v.base = base.clone();
            }
        }
        gw.advance(Duration::from_secs(1));
        let calls = called(&mut visitors).await;
        let furthest = (0..visitors.len())
            .filter(|&i| calls[i])
            .map(|i| positions[i])
            .max()
            .unwrap_or_default();
        for i in 0..visitors.len() {
            assert_eq!(
                calls[i],
                positions[i] <= furthest,
                "called in drawn order (step {step}, position {})",
                positions[i]
            );
            if calls[i] && !entered[i] {
                // Two called in one second may be asked to come back in a moment: the
                // backend never sees more new sessions than the rate plus a second's burst.
                let page = visitors[i].get("/termine").await;
                assert_eq!(page.status, StatusCode::OK);
                entered[i] = page.body.starts_with("upstream");
            }
        }
        if entered.iter().all(|e| *e) {
            break;
        }
    }
    assert!(entered.iter().all(|e| *e), "everyone got in: {entered:?}");
    gw.stop().await;
    let _ = std::fs::remove_dir_all(state_dir);
}

/// `wartesaal audit-order` on `state_dir`: the ticket numbers in place order.
fn audit_order(state_dir: &std::path::Path) -> Vec<u64> {
    let dir = support::temp_dir("audit");
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("secret.key");
    std::fs::write(
        &key,
        wartesaal::ticket::Secret::from_bytes([1u8; 32]).to_base64(),
    )
    .unwrap();
    let config = dir.join("wartesaal.toml");
    std::fs::write(
        &config,
        format!(
            "[keys]\nfiles = [\"{}\"]\n[state]\ndir = \"{}\"\n{}",
            key.display(),
            state_dir.display(),
            support::room("r", "http://127.0.0.1:9", SCHEDULE)
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wartesaal"))
        .args(["audit-order", "--room", "r", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("# opened at 2026-11-23T01:02:00+01:00"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("place"))
        .enumerate()
        .map(|(i, l)| {
            let (place, ticket) = l.split_once('\t').unwrap();
            assert_eq!(place.parse::<usize>().unwrap(), i + 1);
            ticket.parse().unwrap()
        })
        .collect()
}
