//! Protecting the backend, end to end: a real upstream that slows down and fails past two
//! requests at once, behind the real gateway with an upstream cap and the adaptive rate.

use std::sync::atomic::Ordering;
use std::time::Duration;

use http::{Method, StatusCode};

use crate::support::*;

/// Each visitor asks once, all at the same time; returns the statuses.
async fn round(visitors: Vec<Visitor>, path: &'static str) -> (Vec<Visitor>, Vec<StatusCode>) {
    let tasks: Vec<_> = visitors
        .into_iter()
        .map(|mut v| {
            tokio::spawn(async move {
                let status = v.get(path).await.status;
                (v, status)
            })
        })
        .collect();
    let mut back = Vec::new();
    let mut statuses = Vec::new();
    for t in tasks {
        let (v, s) = t.await.unwrap();
        back.push(v);
        statuses.push(s);
    }
    (back, statuses)
}

async fn room_json(gw: &Gateway) -> serde_json::Value {
    gw.admin(Method::GET, "/api/v1/rooms/r", None, None)
        .await
        .json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strained_upstream_gets_no_more_than_the_cap_and_the_rate_comes_down() {
    let up = upstream().await;
    let rooms = room(
        "r",
        &up.url(),
        "admit_per_minute = 6000\nmax_upstream_concurrency = 4\n\
         [rooms.adaptive]\nenabled = true\ntarget_latency = \"50ms\"\nmin_per_minute = 60\n",
    );
    let gw = gateway(&config_full(
        &temp_dir("strained"),
        "",
        &admin_token_line(),
        &rooms,
    ))
    .await;
    let start = room_json(&gw).await;
    assert_eq!(start["admit_per_minute"], 6000.0);
    assert_eq!(start["adaptive"]["active"], true);

    // Sixteen admitted visitors (the burst lets them straight in) ask at once, again and
    // again; a second passes between rounds and the gateway takes stock, as its tick does.
    let mut visitors: Vec<Visitor> = (0..16).map(|_| gw.visitor()).collect();
    let mut overloaded = 0;
    for _ in 0..12 {
        let (back, statuses) = round(visitors, "/strained").await;
        visitors = back;
        assert!(
            statuses
                .iter()
                .all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE),
            "{statuses:?}"
        );
        overloaded += statuses
            .iter()
            .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
            .count();
        gw.advance(Duration::from_secs(1));
        gw.running.tick();
    }
    let most = up.max_concurrent.load(Ordering::SeqCst);
    assert!(
        most <= 4,
        "{most} requests in flight at the upstream, cap 4"
    );
    assert!(overloaded > 0, "the upstream was strained");
    assert!(
        gw.metric("wartesaal_upstream_responses_total{class=\"5xx\",room=\"r\"}")
            .await
            > 0.0
    );
    assert_eq!(
        gw.metric("wartesaal_upstream_in_flight{room=\"r\"}").await,
        0.0
    );

    let after = room_json(&gw).await;
    let rate = after["admit_per_minute"].as_f64().unwrap();
    assert!(rate < 6000.0 * 0.85, "the rate came down: {rate}");
    assert!(rate >= 60.0, "never below the floor: {rate}");
    assert_eq!(
        gw.metric("wartesaal_admit_rate_per_minute{room=\"r\"}")
            .await,
        rate
    );

    // The operator takes over: the learnt rate stands still under a manual one ...
    let manual = gw.patch("r", r#"{"admit_per_minute": 1000}"#).await;
    assert_eq!(manual.status, StatusCode::OK, "{}", manual.body);
    assert_eq!(manual.json()["adaptive"]["active"], false);
    for _ in 0..3 {
        let (back, _) = round(visitors, "/strained").await;
        visitors = back;
        gw.advance(Duration::from_secs(5));
        gw.running.tick();
    }
    assert_eq!(room_json(&gw).await["admit_per_minute"], 1000.0);
    // ... until adaptive is switched back on, going on from the manual rate.
    let back_on = gw.patch("r", r#"{"adaptive": true}"#).await;
    assert_eq!(back_on.status, StatusCode::OK, "{}", back_on.body);
    assert_eq!(back_on.json()["adaptive"]["active"], true);
    assert_eq!(back_on.json()["admit_per_minute"], 1000.0);
    // Only true or false.
    let refused = gw.patch("r", r#"{"adaptive": "yes"}"#).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    gw.stop().await;
}

#[tokio::test]
async fn adaptive_needs_the_room_to_have_it() {
    let up = upstream().await;
    let gw = gateway(&config_full(
        &temp_dir("no-adaptive"),
        "",
        &admin_token_line(),
        &room("r", &up.url(), "admit_per_minute = 60"),
    ))
    .await;
    let answer = gw.patch("r", r#"{"adaptive": true}"#).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["field"], "adaptive");
    assert!(room_json(&gw).await["adaptive"].is_null());
    gw.stop().await;
}
