//! Several gateways sharing one room through a real `redis-server` of each test's own: one
//! line, one rate, one lease, and what happens when Redis goes away or comes back empty.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use wartesaal::clock::ManualClock;

use crate::forwarder::Forwarder;
use crate::support::{self, Gateway, RedisServer, Visitor, T0};

/// One ticket a minute: the first visitor walks in, everyone else waits, and the cursor stands
/// still for as long as a test advances the clock by seconds.
const STILL: &str = "admit_per_minute = 1";

async fn room_json(gw: &Gateway) -> serde_json::Value {
    let a = gw.admin(Method::GET, "/api/v1/rooms/r", None, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()
}

/// Where the line's numbers begin: tests count from there, as the admin API does.
async fn line_base(gw: &Gateway) -> u64 {
    room_json(gw).await["base"].as_u64().expect("a base")
}

async fn cursor_is(gw: &Gateway, cursor: u64) -> bool {
    room_json(gw).await["cursor"] == cursor
}

async fn pair(redis: &RedisServer, state_extra: &str, room: &str) -> (Gateway, Gateway) {
    let config = support::config_redis(&redis.url(), state_extra, room);
    let clock = Arc::new(ManualClock::new(T0));
    let a = support::gateway_on(&config, clock.clone()).await;
    let b = support::gateway_on(&config, clock).await;
    (a, b)
}

/// A visitor who draws a ticket at `gw` and waits: their ticket number.
async fn waiting_at(gw: &Gateway) -> (Visitor, u64) {
    let mut v = gw.visitor();
    let page = v.get("/book").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("wartesaal"),
        "a waiting page: {}",
        page.body
    );
    let seq = support::ticket_seq("r", &v.cookie("wartesaal_r").expect("a ticket"));
    (v, seq - line_base(gw).await)
}

/// At one a minute: a visitor who walked in at `a`, then `n` who wait with their ticket
/// numbers, drawn alternately at `a` and `b`.
async fn walk_in_and_line(a: &Gateway, b: &Gateway, n: usize) -> (Visitor, Vec<(Visitor, u64)>) {
    let mut walk_in = a.visitor();
    assert_eq!(walk_in.get("/book").await.status, StatusCode::OK);
    let mut line = Vec::new();
    for i in 0..n {
        line.push(waiting_at(if i % 2 == 0 { a } else { b }).await);
    }
    (walk_in, line)
}

#[tokio::test]
async fn two_gateways_keep_one_line_at_one_rate() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    // Five a second, so a second's burst is five.
    let (a, b) = pair(
        &redis,
        "",
        &support::room("r", &up.url(), "admit_per_minute = 300"),
    )
    .await;
    let gateways = [&a, &b];

    // The first five find nobody waiting and walk straight in, whichever gateway they reach:
    // one second's burst between the two of them, not one each.
    for i in 0..5 {
        let mut v = gateways[i % 2].visitor();
        assert_eq!(v.get("/book").await.body, "upstream:/book", "walk-in {i}");
    }
    // Later arrivals alternate between the gateways and draw from one counter.
    let mut line = Vec::new();
    for i in 0..10 {
        line.push(waiting_at(gateways[i % 2]).await);
    }
    let seqs: Vec<u64> = line.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        seqs,
        (5..15).collect::<Vec<u64>>(),
        "one global ticket order"
    );

    // One second: five called, by the lease holder alone.
    a.advance(Duration::from_secs(1));
    for gw in gateways {
        support::eventually("both gateways see the cursor at 10", || cursor_is(gw, 10)).await;
    }
    let leaders = [room_json(&a).await, room_json(&b).await]
        .iter()
        .filter(|j| j["backend"]["leader"] == true)
        .count();
    assert_eq!(leaders, 1);

    // Every visitor asks at the other gateway than the one that gave them their number:
    // the called five are let in there, the rest keep their places, in ticket order.
    for (i, (v, seq)) in line.iter_mut().enumerate() {
        v.base = gateways[(i + 1) % 2].base();
        if *seq < 10 {
            assert_eq!(v.get("/book").await.body, "upstream:/book", "ticket {seq}");
        } else {
            assert_eq!(v.status("r").await["position"], *seq - 9, "ticket {seq}");
        }
    }
    assert_eq!(up.paths().len(), 10);
    for gw in gateways {
        support::eventually("ten sessions counted across gateways", || async {
            room_json(gw).await["active_sessions"] == 10
        })
        .await;
    }

    // An operator's pause on one gateway holds the line on both.
    let patched = a.patch("r", r#"{"state":"paused"}"#).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    support::eventually("the pause reaches the other gateway", || async {
        room_json(&b).await["state"] == "paused"
    })
    .await;
    a.advance(Duration::from_secs(10));
    let (_late, seq) = waiting_at(&b).await;
    assert_eq!(seq, 15);
    assert_eq!(line[5].0.status("r").await["state"], "paused");
    assert!(cursor_is(&a, 10).await && cursor_is(&b, 10).await);

    // Resumed: another second calls the next five, again once.
    assert_eq!(
        b.patch("r", r#"{"state":"open"}"#).await.status,
        StatusCode::OK
    );
    for gw in gateways {
        support::eventually("the resume reaches both gateways", || async {
            room_json(gw).await["state"] == "open"
        })
        .await;
    }
    a.advance(Duration::from_secs(1));
    for gw in gateways {
        support::eventually("both see the cursor at 15", || cursor_is(gw, 15)).await;
    }
    for (v, seq) in &mut line[5..] {
        assert_eq!(v.get("/book").await.body, "upstream:/book", "ticket {seq}");
    }
}

#[tokio::test]
async fn redis_restarted_empty_reissues_no_number_and_keeps_every_place() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    let (a, b) = pair(&redis, "", &support::room("r", &up.url(), STILL)).await;
    let (mut walk_in, mut line) = walk_in_and_line(&a, &b, 6).await;
    assert_eq!(line.last().unwrap().1, 6);
    assert_eq!(room_json(&a).await["backend"]["epoch"], 1);

    // Redis dies and comes back with nothing.
    let port = redis.kill();
    for gw in [&a, &b] {
        support::eventually("both gateways notice", || async {
            gw.admin(Method::GET, "/readyz", None, None).await.status
                == StatusCode::SERVICE_UNAVAILABLE
        })
        .await;
    }
    let redis = RedisServer::start_on(port);
    for gw in [&a, &b] {
        support::eventually("the line is restored", || async {
            room_json(gw).await["backend"]["available"] == true
        })
        .await;
    }
    assert_eq!(
        room_json(&b).await["backend"]["epoch"],
        2,
        "one restore, not two"
    );

    // Until every gateway has reported the numbers it has seen, no new number goes out.
    let mut early = b.visitor();
    let busy = early.get("/book").await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(busy.headers.contains_key("retry-after"));
    a.advance(Duration::from_millis(3_500));

    // Nobody lost their place, on either gateway, and the next number is a new one.
    for (i, (v, seq)) in line.iter_mut().enumerate() {
        v.base = if i % 2 == 0 { b.base() } else { a.base() };
        assert_eq!(v.status("r").await["position"], *seq, "ticket {seq}");
    }
    let (_, next) = waiting_at(&b).await;
    assert_eq!(next, 7, "numbers continue after the highest handed out");
    let (_, next) = waiting_at(&a).await;
    assert_eq!(next, 8);
    assert_eq!(
        walk_in.get("/book").await.status,
        StatusCode::OK,
        "passes work"
    );
    drop(redis);
}

/// One gateway with `on_unavailable = mode`, a visitor let in, another waiting with ticket 1,
/// and then Redis killed (its port returned) and the gateway aware of it.
async fn one_walked_in_one_waiting(
    redis: RedisServer,
    mode: &str,
) -> (support::Upstream, Gateway, Visitor, Visitor, u16) {
    let up = support::upstream().await;
    let config = support::config_redis(
        &redis.url(),
        &format!("on_unavailable = \"{mode}\""),
        &support::room("r", &up.url(), STILL),
    );
    let gw = support::gateway(&config).await;
    let mut admitted = gw.visitor();
    assert_eq!(admitted.get("/book").await.status, StatusCode::OK);
    let (waiting, seq) = waiting_at(&gw).await;
    assert_eq!(seq, 1);
    let port = redis.kill();
    support::eventually("readyz reports Redis gone", || async {
        gw.admin(Method::GET, "/readyz", None, None).await.status == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    (up, gw, admitted, waiting, port)
}

#[tokio::test]
async fn hold_keeps_the_line_and_passes_while_redis_is_away() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (up, gw, mut admitted, mut waiting, port) = one_walked_in_one_waiting(redis, "hold").await;
    // The pass keeps working, the waiting visitor keeps their place, a newcomer is told to
    // come back instead of getting a number nobody could keep.
    let page = admitted.get("/book").await;
    assert_eq!(page.body, "upstream:/book");
    let status = waiting.status("r").await;
    assert_eq!(status["position"], 1);
    assert_eq!(
        status["state"], "held",
        "the page says admission stopped: {status}"
    );
    let page = waiting.get("/book").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Der Einlass stockt gerade kurz"),
        "{}",
        page.body
    );
    let mut newcomer = gw.visitor();
    let busy = newcomer.get("/book").await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(newcomer.cookie("wartesaal_r").is_none());
    assert_eq!(up.paths().len(), 2, "nobody new reached the upstream");

    // Back (empty): the line is restored and goes on where it was.
    let _redis = RedisServer::start_on(port);
    support::eventually("readyz ready again", || async {
        gw.admin(Method::GET, "/readyz", None, None).await.status == StatusCode::OK
    })
    .await;
    gw.advance(Duration::from_millis(3_500));
    assert_eq!(waiting.status("r").await["position"], 1);
    let (_, next) = waiting_at(&gw).await;
    assert_eq!(next, 2);
}

#[tokio::test]
async fn open_lets_everyone_through_only_once_redis_stays_away() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (up, gw, mut admitted, mut waiting, port) = one_walked_in_one_waiting(redis, "open").await;
    // A stall shorter than `open_after` (10 s) holds the line as "hold" would, and says so.
    let status = waiting.status("r").await;
    assert_eq!(status["state"], "held", "{status}");
    assert_eq!(status["position"], 1);
    assert_eq!(
        gw.visitor().get("/book").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(up.paths().len(), 1);

    // Away for longer: everyone goes through.
    gw.advance(Duration::from_secs(11));
    support::eventually("the door opens", || async {
        gw.visitor().get("/book").await.body == "upstream:/book"
    })
    .await;
    for v in [&mut waiting, &mut admitted] {
        assert_eq!(v.get("/book").await.body, "upstream:/book");
    }

    // Back: the door stays open until Redis has answered for `open_after` too, then the
    // line holds again (a flapping Redis does not flap the door).
    let _redis = RedisServer::start_on(port);
    support::eventually("Redis reachable again", || async {
        room_json(&gw).await["backend"]["available"] == true
    })
    .await;
    assert_eq!(gw.visitor().get("/book").await.body, "upstream:/book");
    gw.advance(Duration::from_secs(11));
    support::eventually("the line holds again", || async {
        gw.visitor().get("/book").await.body != "upstream:/book"
    })
    .await;
}

#[tokio::test]
async fn the_prequeue_is_drawn_once_for_every_gateway() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    // Opens a minute after T0, pre-queue from T0.
    let schedule = "admit_per_minute = 1\n[rooms.schedule]\n\
                    opens_at = \"2026-11-23T00:01:00Z\"\nprequeue_from = \"2026-11-23T00:00:00Z\"";
    let (a, b) = pair(&redis, "", &support::room("r", &up.url(), schedule)).await;
    let mut line = Vec::new();
    for i in 0..12 {
        let (v, seq) = waiting_at(if i % 2 == 0 { &a } else { &b }).await;
        assert_eq!(seq, i as u64);
        line.push((v, seq));
    }
    a.advance(Duration::from_secs(61));
    for gw in [&a, &b] {
        support::eventually("the draw reaches both gateways", || async {
            room_json(gw).await["schedule"]["prequeue"]["frozen"] == true
        })
        .await;
    }
    assert_eq!(room_json(&a).await["schedule"]["prequeue"]["size"], 12);
    // The same place on either gateway, and different places for different people.
    let mut positions = std::collections::BTreeSet::new();
    for (v, _) in line.iter_mut() {
        let here = v.status("r").await;
        v.base = if v.base == a.base() {
            b.base()
        } else {
            a.base()
        };
        let there = v.status("r").await;
        assert_eq!(here["position"], there["position"]);
        assert_eq!(here["admitted"], there["admitted"]);
        positions.insert(here["position"].as_u64().unwrap_or_default());
    }
    assert_eq!(positions.len(), 12, "{positions:?}");
}

#[tokio::test]
async fn waiting_visitors_cost_redis_nothing_per_poll() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    let (a, b) = pair(&redis, "", &support::room("r", &up.url(), STILL)).await;
    let (_walk_in, line) = walk_in_and_line(&a, &b, 40).await;
    let mut line: Vec<Visitor> = line.into_iter().map(|(v, _)| v).collect();
    redis.cli(&["CONFIG", "RESETSTAT"]);
    let began = std::time::Instant::now();
    let mut polls = 0;
    for round in 0..10 {
        for (i, v) in line.iter_mut().enumerate() {
            v.base = if (i + round) % 2 == 0 {
                a.base()
            } else {
                b.base()
            };
            let status = v.status("r").await;
            assert_eq!(status["position"], i + 1);
            polls += 1;
        }
    }
    // What Redis ran meanwhile is the gateways' own work, which goes by time: each gateway's
    // sync script and, for the lease holder, the cursor's, five times a second. Nothing per
    // poll (a poll that asked Redis would run a script too).
    let syncs_possible = 2 * 2 * 5 * (began.elapsed().as_secs() + 1);
    let scripts = redis.calls("evalsha");
    assert!(
        scripts <= syncs_possible,
        "{scripts} scripts run for {polls} status polls (the gateways' own: at most {syncs_possible})"
    );
    assert!(polls > 4 * syncs_possible, "the polls outnumber the syncs");
}

#[tokio::test]
async fn called_visitors_enter_in_ticket_order_across_gateways() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    // One start a second: five called at once go in one by one.
    let (a, b) = pair(
        &redis,
        "",
        &support::room("r", &up.url(), "admit_per_minute = 60"),
    )
    .await;
    let mut first = a.visitor();
    support::eventually("the line is read", || async { a.running.ops.ready() }).await;
    assert_eq!(first.get("/").await.body, "upstream:/");
    let mut visitors = Vec::new();
    for _ in 0..5 {
        let (v, _) = waiting_at(&a).await;
        visitors.push(v);
    }
    a.advance(Duration::from_secs(5));
    support::eventually("all five are called on both gateways", || async {
        cursor_is(&a, 6).await && cursor_is(&b, 6).await
    })
    .await;
    let gateways = [&a, &b];
    // Every page polls its status (at either gateway); each is called.
    for (i, v) in visitors.iter_mut().enumerate().rev() {
        v.base = gateways[i % 2].base();
        assert_eq!(v.status("r").await["admitted"], true);
    }
    let mut entered = Vec::new();
    for round in 0..5 {
        // The latest numbers ask first, every time, at alternating gateways.
        for (i, v) in visitors.iter_mut().enumerate().rev() {
            if entered.contains(&i) {
                continue;
            }
            v.base = gateways[(i + round) % 2].base();
            let page = v.get("/book").await;
            if page.body == "upstream:/book" {
                entered.push(i);
            } else {
                // Told "in a moment", and the status says the same, with the same place.
                let status = v.status("r").await;
                assert_eq!(
                    status["admitted"], false,
                    "round {round}, visitor {i}: {status}"
                );
                assert_eq!(status["position"], (i - round + 1) as u64, "{status}");
            }
        }
        assert_eq!(entered.len(), round + 1, "one start a second");
        a.advance(Duration::from_secs(1));
    }
    assert_eq!(entered, vec![0, 1, 2, 3, 4], "in ticket order");
}

/// Redis comes back empty while the gateways that hold the line cannot reach it, and a new
/// gateway, with no copy, gets there first. It begins a new line; nobody who waited in the
/// old one shares a number with a newcomer, loses their place, or is overtaken.
#[tokio::test]
async fn an_empty_redis_reached_first_by_a_gateway_without_a_copy_keeps_every_place() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 60");
    let (fa, fb) = (
        Forwarder::start(redis.port).await,
        Forwarder::start(redis.port).await,
    );
    let clock = Arc::new(ManualClock::new(T0));
    let a = support::gateway_on(&support::config_redis(&fa.url(), "", &room), clock.clone()).await;
    let b = support::gateway_on(&support::config_redis(&fb.url(), "", &room), clock.clone()).await;
    let mut walk_in = a.visitor();
    assert_eq!(walk_in.get("/book").await.body, "upstream:/book");
    let mut old = Vec::new();
    for i in 0..6 {
        let gw = if i % 2 == 0 { &a } else { &b };
        let mut v = gw.visitor();
        assert_eq!(v.get("/book").await.status, StatusCode::OK);
        let seq = support::ticket_seq("r", &v.cookie("wartesaal_r").unwrap());
        old.push((v, seq));
    }

    // A and B lose Redis; it comes back empty, and C, new, reaches it first.
    fa.cut();
    fb.cut();
    let port = redis.kill();
    let redis = RedisServer::start_on(port);
    clock.advance(Duration::from_secs(5));
    let c = support::gateway_on(
        &support::config_redis(&redis.url(), "redis_new_line_hold = \"35s\"", &room),
        clock.clone(),
    )
    .await;
    support::eventually("C begins a new line", || async {
        room_json(&c).await["backend"]["available"] == true
    })
    .await;

    // Newcomers at C draw numbers no old ticket has, and wait: the new line lets nobody new
    // in while the old line's holders may still come back.
    let mut new = Vec::new();
    for _ in 0..4 {
        let mut v = c.visitor();
        let page = v.get_json("/book").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.json()["state"], "held", "{}", page.body);
        let seq = support::ticket_seq("r", &v.cookie("wartesaal_r").unwrap());
        new.push((v, seq));
    }
    let mut numbers: Vec<u64> = old.iter().chain(&new).map(|(_, s)| *s).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(
        numbers.len(),
        10,
        "no number twice: {old:?} {new:?}",
        old = old.iter().map(|(_, s)| s).collect::<Vec<_>>(),
        new = new.iter().map(|(_, s)| s).collect::<Vec<_>>()
    );
    assert!(new.iter().all(|(_, s)| old.iter().all(|(_, o)| s > o)));

    // The old line's holders, asking at C, are called at once, their tickets kept: each is
    // told how many called before them are still to go in.
    for (i, (v, seq)) in old.iter_mut().enumerate() {
        v.base = c.base();
        let status = v.status("r").await;
        if i == 0 {
            assert_eq!(status["admitted"], true, "ticket {seq}: {status}");
        } else {
            assert_eq!(status["position"], i + 1, "ticket {seq}: {status}");
        }
        assert_eq!(
            support::ticket_seq("r", &v.cookie("wartesaal_r").unwrap()),
            *seq
        );
    }
    // One start a second: each second lets in the next of them, lowest number first.
    for (v, seq) in &mut old {
        c.advance(Duration::from_secs(1));
        assert_eq!(v.get("/book").await.body, "upstream:/book", "ticket {seq}");
    }
    for (v, seq) in &mut new {
        assert_ne!(
            v.get("/book").await.body,
            "upstream:/book",
            "ticket {seq} overtook"
        );
    }

    // A and B come back: the new line stands, nobody's number is handed out again.
    fa.point_at(port);
    fb.point_at(port);
    for gw in [&a, &b] {
        support::eventually("A and B rejoin", || async {
            room_json(gw).await["backend"]["available"] == true
        })
        .await;
    }
    c.advance(Duration::from_secs(30));
    let mut later = Vec::new();
    for gw in [&a, &b, &c] {
        let mut v = gw.visitor();
        let _ = v.get("/book").await;
        later.push(support::ticket_seq(
            "r",
            &v.cookie("wartesaal_r").expect("a ticket"),
        ));
    }
    for seq in &later {
        assert!(!numbers.contains(seq), "{seq} handed out again");
    }
    drop(walk_in);
}

/// Hands in `nonce` for `challenge` as visitor `v`, as the page's script does.
async fn hand_in(v: &mut Visitor, challenge: &str, nonce: &str) -> support::Answer {
    use http_body_util::BodyExt;
    let body = format!("challenge={challenge}&nonce={nonce}");
    let req = v
        .request(Method::POST, "/.wartesaal/ticket?room=r")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(http_body_util::Full::new(bytes::Bytes::from(body)).boxed())
        .unwrap();
    v.send(req).await
}

/// The per-address limit counts over every gateway of the room, and a solved puzzle handed
/// out by one gateway is good at another, once.
#[tokio::test]
async fn issuance_limits_and_puzzles_hold_across_gateways() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    let limit = "admit_per_minute = 1\n[rooms.issuance]\nper_ip_per_minute = 3";
    let (a, b) = pair(&redis, "", &support::room("r", &up.url(), limit)).await;
    // Three tickets a minute for this address, whichever gateway it asks: not three each.
    for i in 0..3 {
        let gw = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            gw.visitor().get("/book").await.status,
            StatusCode::OK,
            "ticket {i}"
        );
    }
    for gw in [&a, &b] {
        let refused = gw.visitor().get("/book").await;
        assert_eq!(
            refused.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            refused.body
        );
        assert!(refused.headers.contains_key("retry-after"));
    }
    // Two minutes on, the address may draw again.
    a.advance(Duration::from_secs(120));
    assert_eq!(b.visitor().get("/book").await.status, StatusCode::OK);
    drop((a, b));

    let pow = "admit_per_minute = 1\n[rooms.issuance]\nproof_of_work_bits = 8";
    let redis2 = RedisServer::start().unwrap();
    let (a, b) = pair(&redis2, "", &support::room("r", &up.url(), pow)).await;
    let mut v = a.visitor();
    let status = v.status("r").await;
    let challenge = status["challenge"].as_str().expect("a puzzle").to_string();
    let nonce = wartesaal::access::issuance::solve(&challenge, 8);
    // Solved in the browser, handed in where the load balancer sends it: the other gateway.
    v.base = b.base();
    let answer = hand_in(&mut v, &challenge, &nonce).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        v.cookie("wartesaal_r").is_some(),
        "a ticket for the solution"
    );
    // The same solution again, at either gateway: used.
    for gw in [&a, &b] {
        let mut copycat = gw.visitor();
        let reused = hand_in(&mut copycat, &challenge, &nonce).await;
        assert_eq!(reused.status, StatusCode::GONE, "{}", reused.body);
        assert!(copycat.cookie("wartesaal_r").is_none());
    }
    drop(redis);
}

/// A reload naming another Redis moves the room there at once, without a restart: the
/// gateway's copy seeds the new Redis as it would one restarted empty, and everyone keeps
/// their place.
#[tokio::test]
async fn a_reload_moves_the_line_to_another_redis_without_a_restart() {
    let Some(old) = RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), STILL);
    let clock = Arc::new(ManualClock::new(T0));
    let mut gw = support::gateway_on(&support::config_redis(&old.url(), "", &room), clock).await;
    let mut walk_in = gw.visitor();
    assert_eq!(walk_in.get("/book").await.body, "upstream:/book");
    let mut line = Vec::new();
    for _ in 0..3 {
        line.push(waiting_at(&gw).await);
    }

    let new = RedisServer::start().unwrap();
    let config = wartesaal::config::Config::from_toml(
        &support::config_redis(&new.url(), "redis_timeout = \"2s\"", &room),
        std::path::Path::new("reload.toml"),
        wartesaal::config::KeySource::Given(vec![wartesaal::access::ticket::Secret::from_bytes(
            support::SECRET,
        )]),
    )
    .unwrap();
    let restart = gw.running.reload(config).unwrap();
    assert!(restart.is_empty(), "no restart asked for: {restart:?}");
    old.kill();
    support::eventually("the line is in the new Redis", || async {
        new.cli(&["EXISTS", "{wartesaal:r}:line"]) == "1"
            && room_json(&gw).await["backend"]["available"] == true
    })
    .await;
    gw.advance(Duration::from_millis(3_500));
    for (v, seq) in &mut line {
        assert_eq!(v.status("r").await["position"], *seq, "ticket {seq}");
    }
    let (_, next) = waiting_at(&gw).await;
    assert_eq!(next, 4, "numbers go on after the highest handed out");
    assert_eq!(walk_in.get("/book").await.body, "upstream:/book");
}
