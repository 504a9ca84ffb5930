//! A place that stays yours: every ticket's place code, shown on the page and in the status
//! JSON, gives the same place back in a fresh browser; guesses from one address stop at the
//! limit; a place called too long ago lapses.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};

use crate::support::*;

async fn hand_in(v: &mut Visitor, code: &str) -> Answer {
    let body = format!("code={}", code.replace(' ', "+"));
    let req = v
        .request(Method::POST, "/.wartesaal/restore?room=r")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)).boxed())
        .unwrap();
    v.send(req).await
}

#[tokio::test]
async fn a_place_code_gives_the_same_place_back_in_a_fresh_browser_and_guessing_stops() {
    let (_up, gw) = one_room("admit_per_minute = 60\nhold_place_for = \"1m\"").await;
    // The first passes straight through; the others wait in line.
    let mut first = gw.visitor();
    assert_eq!(first.get("/book").await.status, StatusCode::OK);
    let mut waiting = Vec::new();
    for _ in 0..4 {
        let mut v = gw.visitor();
        let page = v.get("/book").await;
        assert!(page.body.contains("id=\"ws-code\""), "{}", page.body);
        waiting.push(v);
    }
    let mut third = waiting.remove(2);
    let status = third.status("r").await;
    let code = status["place_code"]
        .as_str()
        .expect("a place code")
        .to_string();
    assert_eq!(code.len(), 19, "{code}");
    let page = third.get("/book").await;
    // Shown with a line break allowed at each dash.
    assert!(
        page.body.contains(&code.replace('-', "-<wbr>")),
        "the page shows the code"
    );
    assert!(
        page.body.contains("Schreiben Sie ihn auf"),
        "with what it is for"
    );
    let seq = ticket_seq("r", &third.cookie("wartesaal_r").unwrap());

    // A fresh browser: the form needs no script, and the code (typed sloppily) gives the
    // same place, never a better one.
    let mut phone = gw.visitor();
    let form = phone.get("/.wartesaal/restore?room=r").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"code\"") && !form.body.contains("<script"));
    let sloppy = code.to_lowercase().replace('-', " ");
    let back = hand_in(&mut phone, &sloppy).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(back.header("location"), Some("/"));
    assert_eq!(ticket_seq("r", &phone.cookie("wartesaal_r").unwrap()), seq);
    let there = phone.status("r").await;
    assert_eq!(there["position"], status["position"]);
    assert_eq!(there["place_code"], status["place_code"]);

    // Someone let in already keeps the session: a code never trades it for a place in line.
    let pass = first.cookie("wartesaal_r").unwrap();
    let kept = hand_in(&mut first, status["place_code"].as_str().unwrap()).await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER);
    assert_eq!(first.cookie("wartesaal_r").unwrap(), pass);

    // A thousand wrong guesses from one address: refused as unknown up to the limit, then
    // refused unread; even the right code waits for the next minute.
    let mut guesser = gw.visitor();
    let mut wrong = code.into_bytes();
    wrong[0] = if wrong[0] == b'Z' { b'Y' } else { b'Z' };
    let wrong = String::from_utf8(wrong).unwrap();
    let (mut unknown, mut limited) = (0, 0);
    for _ in 0..1000 {
        match hand_in(&mut guesser, &wrong).await.status {
            StatusCode::BAD_REQUEST => unknown += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("a guess got {other}"),
        }
    }
    // Ten a minute from this address, the restore above among them.
    assert_eq!((unknown, limited), (9, 991));
    let late = hand_in(&mut guesser, status["place_code"].as_str().unwrap()).await;
    assert_eq!(late.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(late.body.contains("zu viele Versuche"), "{}", late.body);
    assert!(guesser.cookie("wartesaal_r").is_none());
    assert_eq!(
        gw.metric("wartesaal_place_codes_total{result=\"limited\",room=\"r\"}")
            .await,
        992.0
    );
    assert_eq!(
        gw.metric("wartesaal_place_codes_total{result=\"unknown\",room=\"r\"}")
            .await,
        9.0
    );
    let junk = hand_in(&mut gw.visitor(), "hello").await;
    assert_eq!(junk.status, StatusCode::TOO_MANY_REQUESTS, "same address");

    // Called (and the guesses' minute over): the code still gives the place back, and the
    // place lets its holder in.
    gw.advance(Duration::from_secs(125));
    let mut laptop = gw.visitor();
    let back = hand_in(&mut laptop, status["place_code"].as_str().unwrap()).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let inside = laptop.get("/book").await;
    assert_eq!(inside.status, StatusCode::OK);
    assert!(
        !inside.body.contains("ws-code"),
        "let in, not queued: {}",
        inside.body
    );

    // Once more than a minute's admissions (hold_place_for) have been called after it, the
    // place has lapsed: the code says so and gives nothing.
    for _ in 0..70 {
        gw.visitor().get("/book").await;
        gw.advance(Duration::from_secs(1));
    }
    gw.advance(Duration::from_secs(120));
    let mut late = gw.visitor();
    let gone = hand_in(&mut late, status["place_code"].as_str().unwrap()).await;
    assert_eq!(gone.status, StatusCode::GONE, "{}", gone.body);
    assert!(gone.body.contains("verfallen"));
    assert!(late.cookie("wartesaal_r").is_none());
}
