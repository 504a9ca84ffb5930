//! A fair opening and abuse resistance, against the real gateway and a real upstream: the
//! countdown, the pre-queue and its draw, FIFO behind it, the audit, issuance limits, proof of
//! work and one ticket, one entry.

use std::time::Duration;

use http::StatusCode;
use http_body_util::BodyExt;
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
        let s = v.status("r").await;
        // Called: in now, or in a moment (more called this second than may start; the page
        // says the same and looks again in two seconds).
        let moment = s["eta_seconds"] == 0 && s["refresh_after_seconds"] == 2;
        out.push(s["admitted"] == true || moment);
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
        wartesaal::access::ticket::Secret::from_bytes([1u8; 32]).to_base64(),
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

/// `GET /termine` as a client behind a proxy that says it is `client`.
async fn get_as(v: &mut Visitor, client: &str) -> support::Answer {
    let req = v
        .request(http::Method::GET, "/termine")
        .header("x-forwarded-for", client)
        .body(http_body_util::Empty::new().boxed())
        .unwrap();
    v.send(req).await
}

const LIMITED: &str = "admit_per_minute = 1\n[rooms.issuance]\nper_ip_per_minute = 3\n";

#[tokio::test]
async fn new_tickets_are_limited_per_address_and_per_64_behind_trusted_proxies_only() {
    let up = support::upstream().await;
    let trusted = support::config_text(
        "trusted_proxies = [\"127.0.0.1/32\"]",
        &support::room("r", &up.url(), LIMITED),
    );
    let gw = support::gateway(&trusted).await;
    let mut first = gw.visitor();
    assert_eq!(
        get_as(&mut first, "2001:db8:1:2::1").await.status,
        StatusCode::OK
    );
    let ticket = first.cookie(COOKIE).unwrap();
    for client in ["2001:db8:1:2::2", "2001:db8:1:2:ffff::3"] {
        let mut v = gw.visitor();
        assert_eq!(get_as(&mut v, client).await.status, StatusCode::OK);
    }
    // A fourth new ticket from the same /64 within the minute: refused, clearly.
    let mut fourth = gw.visitor();
    let refused = get_as(&mut fourth, "2001:db8:1:2::99").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.body.contains("Zu viele neue Wartenummern"),
        "{}",
        refused.body
    );
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    // Three at the start of the minute: one more fits once the sliding minute has moved a
    // third past them.
    assert_eq!(retry, 80);
    assert!(fourth.cookie(COOKIE).is_none());
    // Another /64, and IPv4 clients, are not affected.
    let mut other = gw.visitor();
    assert_eq!(
        get_as(&mut other, "2001:db8:1:3::1").await.status,
        StatusCode::OK
    );
    let mut v4 = gw.visitor();
    assert_eq!(get_as(&mut v4, "203.0.113.5").await.status, StatusCode::OK);
    // Whoever already holds a ticket from the limited network keeps it and their place.
    let again = get_as(&mut first, "2001:db8:1:2::1").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        support::ticket_seq("r", &first.cookie(COOKIE).unwrap()),
        support::ticket_seq("r", &ticket)
    );
    assert_eq!(
        gw.metric("wartesaal_issuance_refused_total{reason=\"rate_limit\",room=\"r\"}")
            .await,
        1.0
    );
    // A minute later the network may draw again.
    gw.advance(Duration::from_secs(120));
    let mut later = gw.visitor();
    assert_eq!(
        get_as(&mut later, "2001:db8:1:2::99").await.status,
        StatusCode::OK
    );
    gw.stop().await;

    // Without trusted proxies the header is the visitor's own say: every request counts for
    // the connection's address, whatever it claims.
    let untrusted = support::config_text("", &support::room("r", &up.url(), LIMITED));
    let gw = support::gateway(&untrusted).await;
    for (i, client) in [
        "198.51.100.1",
        "198.51.100.2",
        "198.51.100.3",
        "198.51.100.4",
    ]
    .iter()
    .enumerate()
    {
        let mut v = gw.visitor();
        let status = get_as(&mut v, client).await.status;
        let expected = if i < 3 {
            StatusCode::OK
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(status, expected, "request {i} claiming {client}");
    }
    gw.stop().await;
}

const POW: &str = "admit_per_minute = 1\n[rooms.issuance]\nproof_of_work_bits = 8\n";

/// Hands in `nonce` for `challenge` as visitor `v`.
async fn hand_in(v: &mut Visitor, challenge: &str, nonce: &str) -> support::Answer {
    let body = format!("challenge={challenge}&nonce={nonce}");
    let req = v
        .request(http::Method::POST, "/.wartesaal/ticket?room=r")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(http_body_util::Full::new(bytes::Bytes::from(body)).boxed())
        .unwrap();
    v.send(req).await
}

/// Solves the challenge `v` is given and hands it in, as the page's script does.
async fn solve_as(v: &mut Visitor) -> support::Answer {
    let challenge = challenge_of(v).await;
    let nonce = wartesaal::access::issuance::solve(&challenge, 8);
    hand_in(v, &challenge, &nonce).await
}

/// The challenge a visitor without a ticket is given, from the status JSON.
async fn challenge_of(v: &mut Visitor) -> String {
    let s = v.status("r").await;
    assert_eq!(s["proof_of_work_bits"], 8, "{s}");
    s["challenge"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn proof_of_work_valid_wrong_reused_and_expired() {
    let (up, gw) = support::one_room(POW).await;
    // No ticket without a solution: the page carries the puzzle and says what happens.
    let mut v = gw.visitor();
    let page = v.get("/termine").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(v.cookie(COOKIE).is_none());
    assert!(page.body.contains("data-challenge=\""), "{}", page.body);
    assert!(page.body.contains("data-bits=\"8\""));
    assert!(page.body.contains("Rechenaufgabe"));
    assert!(page.body.contains("muss JavaScript eingeschaltet sein"));
    assert!(up.paths().is_empty(), "nothing forwarded without a ticket");

    let challenge = challenge_of(&mut v).await;
    let wrong = (0u64..)
        .map(|n| n.to_string())
        .find(|n| !wartesaal::access::issuance::solves(&challenge, n, 8))
        .unwrap();
    assert_eq!(
        hand_in(&mut v, &challenge, &wrong).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(v.cookie(COOKIE).is_none());

    let nonce = wartesaal::access::issuance::solve(&challenge, 8);
    let answer = hand_in(&mut v, &challenge, &nonce).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(v.cookie(COOKIE).is_some(), "a ticket for a solution");
    assert_eq!(answer.json()["room"], "r");

    // The same solution again, from another browser: used up.
    let mut copycat = gw.visitor();
    let reused = hand_in(&mut copycat, &challenge, &nonce).await;
    assert_eq!(reused.status, StatusCode::GONE, "{}", reused.body);
    assert!(copycat.cookie(COOKIE).is_none());

    // A solution handed in after the challenge ran out.
    let mut slow = gw.visitor();
    let old = challenge_of(&mut slow).await;
    let nonce = wartesaal::access::issuance::solve(&old, 8);
    gw.advance(Duration::from_secs(301));
    assert_eq!(
        hand_in(&mut slow, &old, &nonce).await.status,
        StatusCode::GONE
    );

    // Not a challenge at all, and a ticket handed in as one.
    assert_eq!(
        hand_in(&mut slow, "nonsense", "1").await.status,
        StatusCode::BAD_REQUEST
    );
    let ticket = v.cookie(COOKIE).unwrap();
    let nonce = wartesaal::access::issuance::solve(&ticket, 8);
    assert_eq!(
        hand_in(&mut slow, &ticket, &nonce).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        gw.metric("wartesaal_issuance_refused_total{reason=\"proof_of_work\",room=\"r\"}")
            .await,
        5.0
    );
    // Someone who holds a place and hands in another solution keeps their ticket. (A first
    // visitor takes the second's worth of admissions that built up meanwhile.)
    let mut filler = gw.visitor();
    assert_eq!(solve_as(&mut filler).await.status, StatusCode::OK);
    let mut waiting = gw.visitor();
    assert_eq!(solve_as(&mut waiting).await.status, StatusCode::OK);
    let held = waiting.cookie(COOKIE).unwrap();
    assert_eq!(waiting.status("r").await["position"], 1);
    let c = challenge_of(&mut slow).await;
    let n = wartesaal::access::issuance::solve(&c, 8);
    let again = hand_in(&mut waiting, &c, &n).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["position"], 1);
    assert_eq!(
        support::ticket_seq("r", &waiting.cookie(COOKIE).unwrap()),
        support::ticket_seq("r", &held),
        "the same place, refreshed"
    );
    assert_eq!(
        gw.metric("wartesaal_tickets_issued_total{room=\"r\"}")
            .await,
        3.0
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_challenge_of_another_room_is_refused_and_a_used_up_copy_can_solve_its_way_back() {
    let up = support::upstream().await;
    let other = POW.replace(
        "admit_per_minute = 1",
        "admit_per_minute = 1\npath_prefix = \"/s/\"",
    );
    let gw = support::gateway_with_rooms(&[
        support::room("r", &up.url(), &format!("{POW}passes_per_ticket = 1\n")),
        support::room("s", &up.url(), &other),
    ])
    .await;
    let mut v = gw.visitor();
    let s = v.get_json("/.wartesaal/status?room=s").await.json();
    let foreign = s["challenge"].as_str().unwrap().to_string();
    let nonce = wartesaal::access::issuance::solve(&foreign, 8);
    assert_eq!(
        hand_in(&mut v, &foreign, &nonce).await.status,
        StatusCode::BAD_REQUEST
    );

    // A ticket that got its one entry; a copy of it is sent to the puzzle with its cookie
    // cleared, and solving it draws a new ticket instead of looping back to the puzzle.
    assert_eq!(solve_as(&mut v).await.status, StatusCode::OK);
    let ticket = v.cookie(COOKIE).unwrap();
    assert!(v.get("/termine").await.body.starts_with("upstream"));
    let mut copy = gw.visitor();
    copy.set_cookie(COOKIE, &ticket);
    // Told plainly that the place was used (its cookie cleared), then the puzzle.
    let used = copy.get("/termine").await;
    assert_eq!(used.status, StatusCode::CONFLICT, "{}", used.body);
    let page = copy.get("/termine").await;
    assert!(page.body.contains("data-challenge"), "{}", page.body);
    assert!(
        copy.cookie(COOKIE).is_none(),
        "the used-up ticket is cleared"
    );
    assert_eq!(solve_as(&mut copy).await.status, StatusCode::OK);
    let own = copy.cookie(COOKIE).unwrap();
    assert!(support::ticket_seq("r", &own) > support::ticket_seq("r", &ticket));
    assert_eq!(
        gw.metric("wartesaal_issuance_refused_total{reason=\"ticket_used_up\",room=\"r\"}")
            .await,
        1.0
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_ticket_copied_to_many_browsers_gets_only_its_passes_in() {
    let (up, gw) =
        support::one_room("admit_per_minute = 60\n[rooms.issuance]\npasses_per_ticket = 2\n").await;
    // Someone takes the one free slot, so the next ticket waits to be called.
    let mut first = gw.visitor();
    assert!(first.get("/termine").await.body.starts_with("upstream"));
    let mut holder = gw.visitor();
    holder.get("/termine").await;
    let ticket = holder.cookie(COOKIE).unwrap();
    let mut copies: Vec<Visitor> = (0..4)
        .map(|_| {
            let mut c = gw.visitor();
            c.set_cookie(COOKIE, &ticket);
            c
        })
        .collect();
    gw.advance(Duration::from_secs(2));
    assert_eq!(holder.status("r").await["admitted"], true);
    assert!(holder.get("/termine").await.body.starts_with("upstream"));
    let mut got_in = 0;
    for c in copies.iter_mut() {
        let page = c.get("/termine").await;
        if page.body.starts_with("upstream") {
            got_in += 1;
        } else {
            // Told the place was used (its cookie cleared); joining again, it goes to the
            // back with a ticket of its own.
            assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
            let page = c.get("/termine").await;
            assert_eq!(page.status, StatusCode::OK);
            let own = c.cookie(COOKIE).unwrap();
            assert_ne!(own, ticket);
            assert!(support::ticket_seq("r", &own) > support::ticket_seq("r", &ticket));
            assert!(page.body.contains("Sie sind in der Warteschlange"));
        }
    }
    assert_eq!(got_in, 1, "the holder and one copy: two passes in all");
    assert_eq!(
        gw.metric("wartesaal_issuance_refused_total{reason=\"ticket_used_up\",room=\"r\"}")
            .await,
        3.0
    );
    assert_eq!(
        gw.metric("wartesaal_admitted_total{room=\"r\"}").await,
        2.0,
        "one session for the ticket, however many browsers"
    );
    assert_eq!(up.paths().len(), 3);
    gw.stop().await;
}

#[tokio::test]
async fn a_real_browser_solves_the_puzzle_and_gets_its_place() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let (_up, gw) = support::one_room(POW).await;
    // Someone takes the one free slot first, so the browser's ticket has to wait.
    let mut first = gw.visitor();
    assert_eq!(solve_as(&mut first).await.status, StatusCode::OK);
    assert!(first.get("/termine").await.body.starts_with("upstream"));

    let dom = support::browser_dom(&chromium, &format!("{}/termine", gw.base()), 10_000).await;
    assert!(
        dom.contains("id=\"ws-position\">1<"),
        "the page solved the puzzle, drew a ticket and shows its place: {dom}"
    );
    assert!(!dom.contains("data-challenge"), "{dom}");
    assert_eq!(
        gw.metric("wartesaal_tickets_issued_total{room=\"r\"}")
            .await,
        2.0
    );
    gw.stop().await;
}
