//! The edges of the morning: how long people really waited, and how well their wait was
//! foretold when they arrived.

use std::time::Duration;

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
