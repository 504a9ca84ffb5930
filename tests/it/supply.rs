//! Honest supply against a real upstream that sends the booking headers: what is left falls
//! per booking, the room sells out for everyone within one refresh, reopens on new supply with
//! the line in order, and the chance a waiting visitor is told changes as the room learns.

use std::time::Duration;

use http::StatusCode;

use crate::support::*;

fn supply_room(up: &Upstream, extra: &str) -> String {
    room(
        "r",
        &up.url(),
        &format!("admit_per_minute = 60\n{extra}\n[rooms.supply]\nappointments = 3\n"),
    )
}

async fn remaining(gw: &Gateway) -> Option<u64> {
    gw.admin(http::Method::GET, "/api/v1/rooms/r", None, None)
        .await
        .json()["supply_remaining"]
        .as_u64()
}

async fn until_remaining(gw: &Gateway, left: u64) {
    eventually(&format!("{left} appointments left"), || async {
        remaining(gw).await == Some(left)
    })
    .await;
}

#[tokio::test]
async fn bookings_sell_the_room_out_for_everyone_and_new_supply_reopens_it_in_order() {
    let up = upstream().await;
    let gw = gateway(&config_full(
        &temp_dir("supply"),
        "",
        &admin_token_line(),
        &supply_room(&up, ""),
    ))
    .await;
    assert_eq!(remaining(&gw).await, Some(3));

    // The first visitor walks straight in and books one; the headers never reach them.
    let mut booker = gw.visitor();
    assert_eq!(booker.get("/").await.body, "upstream:/");
    let booked = booker.get("/supply?b=1").await;
    assert_eq!(booked.body, "supply");
    assert!(
        booked.header("x-wartesaal-booked").is_none(),
        "{:?}",
        booked.headers
    );
    until_remaining(&gw, 2).await;
    assert_eq!(gw.metric("wartesaal_bookings_total{room=\"r\"}").await, 1.0);

    // Three more in the same second wait in line.
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let mut v = gw.visitor();
        let page = v.get("/").await;
        assert!(page.body.contains("ws-position"), "{}", page.body);
        waiting.push(v);
    }
    let before = waiting[2].status("r").await;
    assert_eq!(before["state"], "open");
    assert_eq!(before["supply_remaining"], 2);

    // Two more bookings: nothing left.
    booker.get("/supply?b=2").await;
    until_remaining(&gw, 0).await;
    for (i, v) in waiting.iter_mut().enumerate() {
        let s = v.status("r").await;
        assert_eq!(s["state"], "sold_out", "every waiting page switches: {s}");
        assert_eq!(s["position"], i as u64 + 1, "the place is kept: {s}");
        assert_eq!(s["chance"], "unlikely");
    }
    let page = waiting[0].get("/").await;
    assert!(
        page.body.contains("Alle Termine sind vergeben"),
        "{}",
        page.body
    );
    assert_eq!(gw.metric("wartesaal_sold_out{room=\"r\"}").await, 1.0);

    // A newcomer is told at once and gets no number.
    let mut late = gw.visitor();
    let told = late.get_json("/").await;
    assert_eq!(told.status, StatusCode::OK);
    assert_eq!(told.json()["state"], "sold_out");
    assert!(told.json()["position"].is_null());
    assert!(
        late.cookie("wartesaal_r").is_none(),
        "no ticket while sold out"
    );
    let page = late.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Alle Termine sind vergeben"),
        "{}",
        page.body
    );

    // Time passes: nobody is called into a sold-out room.
    gw.advance(Duration::from_secs(30));
    assert_eq!(waiting[0].status("r").await["state"], "sold_out");
    assert_eq!(waiting[0].get("/").await.status, StatusCode::OK);
    assert_ne!(waiting[0].get("/").await.body, "upstream:/");

    // The admitted visitor finishes: their pass still works.
    assert_eq!(booker.get("/done").await.body, "upstream:/done");

    // One appointment given back, while the booker is still on the site: the room expects
    // them to book it (it has learnt no ratio yet: one per session), so nobody is let in to a
    // site that may have nothing left, and the line is told why.
    booker.get("/supply?c=1").await;
    until_remaining(&gw, 1).await;
    gw.advance(Duration::from_secs(1));
    let held = waiting[0].status("r").await;
    assert_eq!(held["state"], "last_being_booked", "{held}");
    assert_eq!(held["position"], 1, "{held}");
    let page = waiting[0].get("/").await;
    assert!(
        page.body
            .contains("Die letzten Termine werden gerade gebucht"),
        "{}",
        page.body
    );
    // The booker leaves without booking it: the line goes on in ticket order.
    booker.get("/release").await;
    gw.advance(Duration::from_secs(1));
    assert_eq!(
        waiting[0].get("/").await.body,
        "upstream:/",
        "first in line goes first"
    );
    assert_eq!(waiting[1].status("r").await["position"], 1);
    assert_eq!(waiting[2].status("r").await["position"], 2);
    gw.stop().await;
}

#[tokio::test]
async fn bad_supply_headers_are_ignored_and_counted() {
    let up = upstream().await;
    let gw = gateway(&config_text("", &supply_room(&up, ""))).await;
    let mut v = gw.visitor();
    v.get("/").await;
    for query in [
        "b=-1",
        "b=1.5",
        "b=abc",
        "b=99999999",
        "b=1&b=1",
        "r=-3",
        "r=99999999999",
        "c=2&c=2",
    ] {
        let a = v.get(&format!("/supply?{query}")).await;
        assert_eq!(a.status, StatusCode::OK, "{query}");
        for h in [
            "x-wartesaal-booked",
            "x-wartesaal-remaining",
            "x-wartesaal-cancelled",
        ] {
            assert!(a.header(h).is_none(), "{h} stripped for {query}");
        }
    }
    assert_eq!(
        gw.metric("wartesaal_supply_headers_ignored_total{room=\"r\"}")
            .await,
        10.0
    );
    assert_eq!(remaining(&gw).await, Some(3), "nothing applied");
    // The site's own count wins over what was booked.
    v.get("/supply?b=1&r=10").await;
    until_remaining(&gw, 10).await;
    gw.stop().await;
}

#[tokio::test]
async fn an_operator_sets_the_supply_and_it_survives_a_restart() {
    let up = upstream().await;
    let dir = temp_dir("supply-admin");
    let config = config_full(&dir, "", &admin_token_line(), &supply_room(&up, ""));
    let gw = gateway(&config).await;
    let sold = gw.patch("r", r#"{"supply_remaining": 0}"#).await;
    assert_eq!(sold.status, StatusCode::OK, "{}", sold.body);
    assert_eq!(sold.json()["sold_out"], true);
    for bad in [
        r#"{"supply_remaining": -1}"#,
        r#"{"supply_remaining": "many"}"#,
    ] {
        let a = gw.patch("r", bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(a.json()["field"], "supply_remaining");
    }
    gw.stop().await;

    let gw = gateway(&config).await;
    assert_eq!(
        remaining(&gw).await,
        Some(0),
        "still sold out after a restart"
    );
    let mut v = gw.visitor();
    assert_eq!(v.get_json("/").await.json()["state"], "sold_out");
    let open = gw.patch("r", r#"{"supply_remaining": 5}"#).await;
    assert_eq!(open.json()["sold_out"], false);
    assert_eq!(v.get("/").await.body, "upstream:/", "reopened");
    gw.stop().await;

    // A room that does not count its supply says so.
    let up = upstream().await;
    let gw = gateway(&config_full(
        &temp_dir("no-supply"),
        "",
        &admin_token_line(),
        &room("r", &up.url(), "admit_per_minute = 60"),
    ))
    .await;
    let a = gw.patch("r", r#"{"supply_remaining": 5}"#).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("[rooms.supply]"), "{}", a.body);
    gw.stop().await;
}

#[tokio::test]
async fn the_chance_changes_as_the_room_learns() {
    let up = upstream().await;
    let gw = gateway(&config_full(
        &temp_dir("chance"),
        "",
        &admin_token_line(),
        &room(
            "r",
            &up.url(),
            "admit_per_minute = 180\n[rooms.supply]\nappointments = 1000\n",
        ),
    ))
    .await;
    // Three walk straight in (one second's worth), one waits: too little known yet.
    let mut inside = Vec::new();
    for _ in 0..3 {
        let mut v = gw.visitor();
        assert_eq!(v.get("/").await.body, "upstream:/");
        inside.push(v);
    }
    let mut first = gw.visitor();
    first.get("/").await;
    let s = first.status("r").await;
    assert_eq!(s["supply_remaining"], 1000);
    assert!(s["chance"].is_null(), "no guess before the room knows: {s}");
    let page = first.get("/").await;
    assert!(page.body.contains("Termine frei"), "{}", page.body);

    // Everyone admitted books one and leaves, second after second, until 30 have been in.
    for v in inside.iter_mut() {
        v.get("/supply?b=1&rel=1").await;
    }
    let (mut line, admitted) = book_until(&gw, vec![first], 3, 30).await;
    until_remaining(&gw, 1000 - admitted as u64).await;
    // Twenty-five more in one second, and only five appointments left: at the front it is
    // likely, at the back of this line it is not.
    for _ in 0..25 {
        let mut v = gw.visitor();
        v.get("/").await;
        line.push(v);
    }
    gw.patch("r", r#"{"supply_remaining": 5}"#).await;
    // The first who still waits (those called meanwhile are on their way in).
    let mut front = serde_json::Value::Null;
    for v in line.iter_mut() {
        front = v.status("r").await;
        if front["admitted"] == false {
            break;
        }
    }
    let back = line.last_mut().unwrap().status("r").await;
    assert_eq!(front["chance"], "likely", "{front}");
    assert_eq!(back["chance"], "unlikely", "{back}");
    let page = line.last_mut().unwrap().get("/").await;
    assert!(
        page.body
            .contains("unwahrscheinlich, dass bei Ihrer Ankunft noch Termine frei sind"),
        "{}",
        page.body
    );
    gw.stop().await;
}

#[tokio::test]
async fn gateways_sharing_redis_share_the_supply_and_keep_bookings_through_an_outage() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = upstream().await;
    let config = config_redis(
        &redis.url(),
        "",
        &room(
            "r",
            &up.url(),
            "admit_per_minute = 60\n[rooms.supply]\nappointments = 2\n",
        ),
    );
    let clock = std::sync::Arc::new(wartesaal::clock::ManualClock::new(T0));
    let a = gateway_on(&config, clock.clone()).await;
    let b = gateway_on(&config, clock).await;
    until_remaining(&a, 2).await;
    let mut booker = a.visitor();
    assert_eq!(booker.get("/").await.body, "upstream:/");
    booker.get("/supply?b=1").await;
    until_remaining(&b, 1).await;

    // Redis goes away and comes back empty; a booking made meanwhile is not lost.
    let port = redis.kill();
    assert_eq!(booker.get("/supply?b=1").await.body, "supply");
    let _redis = RedisServer::start_on(port);
    until_remaining(&a, 0).await;
    until_remaining(&b, 0).await;
    eventually("b's newcomers told it is sold out", || async {
        b.visitor().get_json("/").await.json()["state"] == "sold_out"
    })
    .await;
    a.stop().await;
    b.stop().await;
}

/// Rolling releases ("new appointments every few hours"): the first opening's draw sells out
/// with people of it still waiting; the operator sets the next opening; those people keep
/// their drawn places while the next pre-queue gathers, and go first when the new
/// appointments come.
#[tokio::test]
async fn the_next_release_keeps_the_last_draws_places_and_brings_new_supply() {
    let up = upstream().await;
    let dir = temp_dir("rolling");
    rolling_release(|opens, from| config_full(&dir, "", "", &rolling_room(&up, opens, from))).await;
}

/// The same with the line in Redis: the kept draw travels in the shared record.
#[tokio::test]
async fn the_next_release_keeps_the_last_draws_places_in_redis_too() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = upstream().await;
    rolling_release(|opens, from| config_redis(&redis.url(), "", &rolling_room(&up, opens, from)))
        .await;
}

fn rolling_room(up: &Upstream, opens: &str, from: &str) -> String {
    room(
        "r",
        &up.url(),
        &format!(
            "admit_per_minute = 1\n[rooms.schedule]\nopens_at = \"{opens}\"\n\
             prequeue_from = \"{from}\"\n[rooms.supply]\nappointments = 2\n"
        ),
    )
}

async fn rolling_release(text: impl Fn(&str, &str) -> String) {
    use wartesaal::access::ticket::Secret;
    use wartesaal::config::{Config, KeySource};
    let mut gw = gateway(&text("2026-11-23T00:01:00Z", "2026-11-23T00:00:00Z")).await;
    let mut day_one = Vec::new();
    for _ in 0..8 {
        let mut v = gw.visitor();
        assert_eq!(v.get_json("/").await.json()["state"], "prequeue");
        day_one.push(v);
    }
    gw.advance(Duration::from_secs(60));
    eventually("the opening's draw", || async {
        let r = gw
            .admin(http::Method::GET, "/api/v1/rooms/r", None, None)
            .await;
        r.json()["schedule"]["prequeue"]["frozen"] == true
    })
    .await;
    // Two get in, one after the other, and book: sold out, six still wait at their places.
    for _ in 0..2 {
        let mut first = None;
        for (i, v) in day_one.iter_mut().enumerate() {
            let s = v.status("r").await;
            if s["position"] == 1 || s["admitted"] == true {
                first = Some(i);
            }
        }
        let mut v = day_one.remove(first.expect("someone is first"));
        comes_in(&gw, &mut v).await;
        v.get("/supply?b=1&rel=1").await;
    }
    until_remaining(&gw, 0).await;
    let mut before = Vec::new();
    for v in day_one.iter_mut() {
        let s = v.status("r").await;
        assert_eq!(s["state"], "sold_out");
        before.push(s["position"].as_u64().unwrap());
    }
    // (One may be called already: it waits at the front with its claim.)
    let mut distinct = before.clone();
    distinct.dedup();
    assert!(distinct.len() >= 5, "{before:?}");

    // The next release, at three, with a pre-queue from two. The pages of those waiting look
    // again every half minute meanwhile, which keeps their tickets.
    let config = Config::from_toml(
        &text("2026-11-23T03:00:00Z", "2026-11-23T02:00:00Z"),
        std::path::Path::new("reload.toml"),
        KeySource::Given(vec![Secret::from_bytes(SECRET)]),
    )
    .unwrap();
    assert!(gw.running.reload(config).unwrap().is_empty());
    for _ in 0..15 {
        gw.advance(Duration::from_secs(600));
        for v in day_one.iter_mut() {
            v.status("r").await;
        }
    }
    for _ in 0..3 {
        let mut v = gw.visitor();
        assert_eq!(v.get_json("/").await.json()["state"], "prequeue");
    }
    for (v, place) in day_one.iter_mut().zip(&before) {
        let s = v.status("r").await;
        assert_eq!(
            s["position"], *place,
            "the last draw's places hold while the next pre-queue gathers: {s}"
        );
    }

    // The opening: new appointments, and the line goes on in the order it had.
    for _ in 0..3 {
        gw.advance(Duration::from_secs(600));
        for v in day_one.iter_mut() {
            v.status("r").await;
        }
    }
    until_remaining(&gw, 2).await;
    let mut first = None;
    for (i, (v, place)) in day_one.iter_mut().zip(&before).enumerate() {
        let s = v.status("r").await;
        assert_eq!(s["state"], "open");
        // One called before the sale ended goes in first now; everyone else is where they
        // were.
        if s["admitted"] == true {
            first = Some(i);
        } else {
            assert_eq!(s["position"], *place, "{s}");
        }
    }
    let first = first.unwrap_or_else(|| before.iter().position(|p| *p == 1).unwrap());
    comes_in(&gw, &mut day_one[first]).await;
    gw.stop().await;
}

/// Lets `v`, first in line, in: the clock moves on five seconds at a time, three minutes at
/// most (at one a minute, nobody behind is called meanwhile). With Redis the cursor moves in the
/// background sync, so each step gives it a moment to catch up.
async fn comes_in(gw: &Gateway, v: &mut Visitor) {
    for _ in 0..36 {
        for _ in 0..10 {
            if v.get("/").await.body == "upstream:/" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        gw.advance(Duration::from_secs(5));
    }
    let status = v.status("r").await;
    let room = gw
        .admin(http::Method::GET, "/api/v1/rooms/r", None, None)
        .await;
    panic!(
        "the first in line was not let in within three minutes: {status}\n{}",
        room.body
    );
}
