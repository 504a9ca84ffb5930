//! The edges of the morning: how long people really waited, and how well their wait was
//! foretold when they arrived.

use std::time::Duration;

use crate::notify::decoded_subject;
use crate::support;

/// Twenty visitors at 60 a minute: the first walks in, the rest wait about a second each.
/// Every admission is counted in `wartesaal_wait_seconds` with its real wait, and each waiting
/// visitor's wait is set against the estimate their page showed on arrival.
#[tokio::test]
async fn waits_are_measured_against_what_arrivals_were_told() {
    let (_up, gw) = support::one_room("admit_per_minute = 60").await;
    let mut visitors = Vec::new();
    for _ in 0..20 {
        let mut v = gw.visitor();
        v.get("/").await;
        visitors.push(v);
    }
    let mut admitted = vec![false; visitors.len()];
    for _ in 0..40 {
        gw.advance(Duration::from_secs(1));
        for (i, v) in visitors.iter_mut().enumerate() {
            if !admitted[i] && v.get("/").await.body == "upstream:/" {
                admitted[i] = true;
            }
        }
    }
    assert!(admitted.iter().all(|a| *a), "{admitted:?}");
    let count = gw.metric("wartesaal_wait_seconds_count{room=\"r\"}").await;
    assert_eq!(count, 20.0);
    // Waits of 0, 1, 2, … 19 s (the clock moves a second between rounds): about 190 s in all.
    let sum = gw.metric("wartesaal_wait_seconds_sum{room=\"r\"}").await;
    assert!((150.0..=230.0).contains(&sum), "{sum}");
    let under_a_minute = gw
        .metric("wartesaal_wait_seconds_bucket{room=\"r\",le=\"60\"}")
        .await;
    assert_eq!(under_a_minute, 20.0);
    // The nineteen who waited were each told an estimate; walk-ins are not.
    let told = gw
        .metric("wartesaal_estimate_error_ratio_count{room=\"r\"}")
        .await;
    assert_eq!(told, 19.0);
    // At a steady 1 a second the estimates hold: every real wait within ×0.5–×2 of the middle
    // of what was shown.
    let within = gw
        .metric("wartesaal_estimate_error_ratio_bucket{room=\"r\",le=\"2\"}")
        .await
        - gw.metric("wartesaal_estimate_error_ratio_bucket{room=\"r\",le=\"0.5\"}")
            .await;
    assert!(within >= 17.0, "{within} of 19 within ×0.5–×2");
}

/// Sold out reaches everyone: each waiting visitor who left an address and went away gets one
/// e-mail when the room sells out, in the language they used, with the next release and the
/// operator's message; the address is deleted with it, so a second round, or new supply
/// later, sends nothing more. Nobody is mailed "your turn is near" while nothing is left.
#[tokio::test]
async fn sold_out_reaches_everyone_who_left_an_address_once() {
    let Some(smtp) = support::SmtpSink::start() else {
        return;
    };
    let up = support::upstream().await;
    let extra = format!(
        "title = \"Impfzentrum\"\nadmit_per_minute = 1\n{}\n[rooms.supply]\nappointments = 1\n\
         next_release = \"2026-11-30T08:00:00+01:00\"\n",
        notify(smtp.port)
    );
    let gw = support::gateway(&support::config_full(
        &support::temp_dir("sold-out-letters"),
        "",
        &support::admin_token_line(),
        &support::room("r", &up.url(), &extra),
    ))
    .await;
    let mut booker = gw.visitor();
    assert_eq!(booker.get("/").await.body, "upstream:/");
    let mut away = Vec::new();
    for (i, lang) in ["de", "en", "de"].into_iter().enumerate() {
        let mut v = gw.visitor();
        v.set_cookie("wartesaal-lang", lang);
        v.get("/").await;
        let to = [
            "email=p0%40example.org",
            "email=p1%40example.org",
            "email=p2%40example.org",
        ];
        let noted = v.post("/.wartesaal/notify?room=r", to[i]).await;
        assert_eq!(noted.status, http::StatusCode::OK, "{}", noted.body);
        away.push(v);
    }
    gw.patch(
        "r",
        r#"{"message": {"de": "Bitte nicht anrufen.", "en": "Please do not call."}}"#,
    )
    .await;
    gw.running.send_letters().await;
    assert!(smtp.mails().is_empty(), "nobody's turn is near yet");

    // The one appointment is booked: the room sells out.
    booker.get("/supply?b=1").await;
    support::eventually("sold out", || async {
        gw.metric("wartesaal_sold_out{room=\"r\"}").await == 1.0
    })
    .await;
    // The dashboard counts everyone waiting as told that it is over.
    gw.running.tick();
    gw.advance(Duration::from_secs(10));
    gw.running.tick();
    let series = gw
        .admin(http::Method::GET, "/api/v1/series", None, None)
        .await
        .json();
    let last = series["rooms"]["r"].as_array().unwrap().last().unwrap();
    assert!(last["waiting"].as_u64().unwrap() >= 3, "{last}");
    assert_eq!(last["told_unlikely"], last["waiting"], "{last}");
    gw.running.send_letters().await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 3, "one each");
    let to = |m: &&support::Mail| m.header("To").unwrap_or_default();
    let english = mails.iter().find(|m| to(m) == "p1@example.org").unwrap();
    assert_eq!(
        english.header("Subject").map(decoded_subject),
        Some("All appointments have been booked: Impfzentrum".to_string())
    );
    let body = english.body();
    assert!(body.contains("New appointments"), "{body}");
    assert!(body.contains("Please do not call."), "{body}");
    assert!(body.contains("We deleted your e-mail address"), "{body}");
    let german = mails.iter().find(|m| to(m) == "p0@example.org").unwrap();
    assert_eq!(
        german.header("Subject").map(decoded_subject),
        Some("Alle Termine sind vergeben: Impfzentrum".to_string())
    );
    assert!(german.body().contains("Bitte nicht anrufen."));
    assert_eq!(
        gw.metric("wartesaal_letters_total{kind=\"sold_out\",room=\"r\"}")
            .await,
        3.0
    );

    // The addresses are gone: neither another round nor new supply sends anything more.
    gw.running.send_letters().await;
    gw.patch("r", r#"{"supply_remaining": 5}"#).await;
    for _ in 0..5 {
        gw.advance(Duration::from_secs(60));
        gw.running.send_letters().await;
    }
    assert_eq!(smtp.mails().len(), 3);
}

fn notify(port: u16) -> String {
    format!(
        "[rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"Impfzentrum <termine@example.de>\"\npublic_url = \"https://termine.example.de/\"\n\
         lead_time = \"0s\""
    )
}

/// The operator closing the room is the end too: the address left gets the one e-mail saying
/// so, without a link (a closed room has no place to give back).
#[tokio::test]
async fn closing_the_room_tells_those_who_left_an_address() {
    let Some(smtp) = support::SmtpSink::start() else {
        return;
    };
    let up = support::upstream().await;
    let extra = format!(
        "title = \"Impfzentrum\"\nadmit_per_minute = 1\n{}",
        notify(smtp.port)
    );
    let gw = support::gateway(&support::config_full(
        &support::temp_dir("closed-letters"),
        "",
        &support::admin_token_line(),
        &support::room("r", &up.url(), &extra),
    ))
    .await;
    let mut first = gw.visitor();
    assert_eq!(first.get("/").await.body, "upstream:/");
    let mut away = gw.visitor();
    away.get("/").await;
    let noted = away
        .post("/.wartesaal/notify?room=r", "email=ann%40example.org")
        .await;
    assert_eq!(noted.status, http::StatusCode::OK, "{}", noted.body);
    gw.patch("r", r#"{"state": "closed"}"#).await;
    gw.running.send_letters().await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].header("Subject").map(decoded_subject),
        Some("Die Terminvergabe ist beendet: Impfzentrum".to_string())
    );
    let body = mails[0].body();
    assert!(!body.contains("https://"), "no link to a place: {body}");
    gw.patch("r", r#"{"state": "open"}"#).await;
    gw.advance(Duration::from_secs(120));
    gw.running.send_letters().await;
    assert_eq!(smtp.mails().len(), 1, "the address went with the e-mail");
}

/// Sold out reaches everyone once, with two gateways sharing one Redis: visitors leave their
/// addresses at either gateway, the room sells out, and both gateways run their letter rounds
/// at the same moment, again after one of them restarts, and once more later. Each address
/// gets exactly one e-mail, and no address is left in Redis.
#[tokio::test]
async fn sold_out_is_sent_once_by_two_gateways_on_redis() {
    let Some(smtp) = support::SmtpSink::start() else {
        return;
    };
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    let extra = format!(
        "title = \"Impfzentrum\"\nadmit_per_minute = 1\n{}\n[rooms.supply]\nappointments = 1\n",
        notify(smtp.port)
    );
    let config = support::config_redis(&redis.url(), "", &support::room("r", &up.url(), &extra));
    let clock = std::sync::Arc::new(wartesaal::clock::ManualClock::new(support::T0));
    let a = support::gateway_on(&config, clock.clone()).await;
    let b = support::gateway_on(&config, clock.clone()).await;
    let mut booker = a.visitor();
    let mut walked_in = false;
    for _ in 0..100 {
        if booker.get("/").await.body == "upstream:/" {
            walked_in = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(walked_in, "the first walks in");
    let addresses: Vec<String> = (0..6).map(|i| format!("p{i}@example.org")).collect();
    let mut away = Vec::new();
    for (i, to) in addresses.iter().enumerate() {
        let gw = if i % 2 == 0 { &a } else { &b };
        let mut v = gw.visitor();
        v.get("/").await;
        let form: &'static str = Box::leak(format!("email={}", to.replace('@', "%40")).into());
        let noted = v.post("/.wartesaal/notify?room=r", form).await;
        assert_eq!(noted.status, http::StatusCode::OK, "{}", noted.body);
        away.push(v);
    }
    // The one appointment is booked: the room sells out, on both gateways.
    booker.get("/supply?b=1").await;
    for gw in [&a, &b] {
        support::eventually("sold out", || async {
            gw.metric("wartesaal_sold_out{room=\"r\"}").await == 1.0
        })
        .await;
    }
    // Both rounds at once.
    tokio::join!(a.running.send_letters(), b.running.send_letters());
    // One gateway restarts and runs its round again; then both, and both a minute later.
    b.stop().await;
    let b = support::gateway_on(&config, clock.clone()).await;
    b.running.send_letters().await;
    tokio::join!(a.running.send_letters(), b.running.send_letters());
    clock.advance(Duration::from_secs(60));
    tokio::join!(a.running.send_letters(), b.running.send_letters());

    let mails = smtp.mails();
    let mut to: Vec<String> = mails
        .iter()
        .map(|m| m.header("To").unwrap_or_default())
        .collect();
    to.sort();
    assert_eq!(to, addresses, "each address exactly once");
    let sent = a
        .metric("wartesaal_letters_total{kind=\"sold_out\",room=\"r\"}")
        .await
        + b.metric("wartesaal_letters_total{kind=\"sold_out\",room=\"r\"}")
            .await;
    assert!(sent <= 6.0, "counted once each at most: {sent}");
    // No address is left anywhere in Redis.
    let found = redis.cli(&["EVAL", ADDRESSES_IN_REDIS, "0"]);
    assert_eq!(found.trim(), "0", "addresses left in Redis");
}

/// Counts the values in every key of a Redis that hold an e-mail address of the test's.
const ADDRESSES_IN_REDIS: &str = "local n = 0 \
    for _, k in ipairs(redis.call('KEYS', '*')) do \
      local t = redis.call('TYPE', k).ok local vals = {} \
      if t == 'string' then vals = {redis.call('GET', k)} \
      elseif t == 'hash' then vals = redis.call('HVALS', k) \
      elseif t == 'list' then vals = redis.call('LRANGE', k, 0, -1) \
      elseif t == 'set' then vals = redis.call('SMEMBERS', k) \
      elseif t == 'zset' then vals = redis.call('ZRANGE', k, 0, -1) end \
      for _, v in ipairs(vals) do if string.find(v, 'example.org', 1, true) then n = n + 1 end end \
    end return n";
