//! Asked before the line: the form comes before any ticket, a "no" shows that question's
//! `otherwise` text and never draws, and only a complete form of this room's questions lets a
//! visitor go on to the puzzle and the ticket.

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};

use crate::support::*;

const QUESTIONS: &str = r#"
[[rooms.eligibility]]
de = "Wohnen Sie im Ennepe-Ruhr-Kreis?"
en = "Do you live in the Ennepe-Ruhr district?"
otherwise_de = "Termine für andere Kreise vergibt Ihr eigener Kreis."
otherwise_en = "Your own district gives out appointments for it."

[[rooms.eligibility]]
de = "Sind Sie 80 Jahre oder älter?"
en = "Are you 80 or older?"
otherwise_de = "Termine für Jüngere folgen später."
otherwise_en = "Appointments for younger people follow later."
"#;

fn form_token(page: &str) -> String {
    let at = page.find("name=\"form\" value=\"").expect("a form token") + 19;
    page[at..].split('"').next().unwrap().to_string()
}

async fn send_form(v: &mut Visitor, room: &str, body: String) -> Answer {
    let req = v
        .request(
            Method::POST,
            &format!("/.wartesaal/eligibility?room={room}"),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)).boxed())
        .unwrap();
    v.send(req).await
}

#[tokio::test]
async fn questions_come_before_the_ticket_and_a_no_never_draws_one() {
    let up = upstream().await;
    let gw = gateway_with_rooms(&[
        room(
            "r",
            &up.url(),
            &format!("admit_per_minute = 60\n{QUESTIONS}"),
        ),
        room(
            "s",
            &up.url(),
            &format!("admit_per_minute = 60\npath_prefix = \"/s/\"\n{QUESTIONS}"),
        ),
    ])
    .await;
    let mut v = gw.visitor();
    let form = v.get("/book").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("Wohnen Sie im Ennepe-Ruhr-Kreis?"),
        "{}",
        form.body
    );
    assert!(form.body.contains("Sind Sie 80 Jahre oder älter?"));
    assert!(
        form.body.contains("<form") && !form.body.contains("<script"),
        "no script needed"
    );
    assert!(
        v.cookie("wartesaal_r").is_none(),
        "no ticket before the answers"
    );
    assert!(up.paths().is_empty(), "nothing reached the booking site");
    let token = form_token(&form.body);

    // A "no": that question's text, no ticket, the answers counted.
    let no = send_form(
        &mut v,
        "r",
        format!("form={token}&back=%2Fbook&q1=yes&q2=no"),
    )
    .await;
    assert_eq!(no.status, StatusCode::OK);
    assert!(
        no.body.contains("Termine für Jüngere folgen später."),
        "{}",
        no.body
    );
    assert!(
        !no.body.contains("Ihr eigener Kreis"),
        "only the questions answered no"
    );
    assert!(v.cookie("wartesaal_r").is_none());
    let count = |q: &str, a: &str| {
        format!("wartesaal_eligibility_answers_total{{answer=\"{a}\",question=\"{q}\",room=\"r\"}}")
    };
    assert_eq!(gw.metric(&count("1", "yes")).await, 1.0);
    assert_eq!(gw.metric(&count("2", "no")).await, 1.0);
    assert_eq!(
        gw.metric("wartesaal_tickets_issued_total{room=\"r\"}")
            .await,
        0.0
    );

    // Incomplete, unknown fields, repeats, another room's form, no form: the form again.
    let other = form_token(&gw.visitor().get("/s/x").await.body);
    for (body, says) in [
        (format!("form={token}&back=%2F&q1=yes"), "jede Frage"),
        (
            format!("form={token}&back=%2F&q1=yes&q2=yes&vip=1"),
            "jede Frage",
        ),
        (
            format!("form={token}&back=%2F&q1=yes&q2=yes&q2=no"),
            "jede Frage",
        ),
        (format!("form={token}&back=%2F&q1=ja&q2=yes"), "jede Frage"),
        (format!("form={other}&back=%2F&q1=yes&q2=yes"), "abgelaufen"),
        ("back=%2F&q1=yes&q2=yes".to_string(), "abgelaufen"),
        (format!("form=x{token}&q1=yes&q2=yes"), "abgelaufen"),
    ] {
        let again = send_form(&mut v, "r", body.clone()).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            again.body.contains("<form") && again.body.contains(says),
            "{body}: {}",
            again.body
        );
        assert!(v.cookie("wartesaal_r").is_none(), "{body}");
    }
    assert_eq!(
        gw.metric(&count("1", "yes")).await,
        1.0,
        "refused forms are not counted"
    );

    // Every answer yes: back where the visitor was going, and the ticket is drawn there.
    let yes = send_form(
        &mut v,
        "r",
        format!("form={token}&back=%2Fbook&q1=yes&q2=yes"),
    )
    .await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER);
    assert_eq!(yes.header("location"), Some("/book"));
    assert_eq!(
        v.get("/book").await.body,
        "upstream:/book",
        "first in, straight through"
    );
    assert_eq!(
        gw.metric("wartesaal_tickets_issued_total{room=\"r\"}")
            .await,
        1.0
    );

    // A foreign back address is not followed.
    let mut w = gw.visitor();
    let token = form_token(&w.get("/").await.body);
    let yes = send_form(
        &mut w,
        "r",
        format!("form={token}&back=%2F%2Fevil.test&q1=yes&q2=yes"),
    )
    .await;
    assert_eq!(yes.header("location"), Some("/"));
    gw.stop().await;
}

#[tokio::test]
async fn the_form_speaks_english_and_comes_before_the_puzzle() {
    let up = upstream().await;
    let gw = gateway_with_rooms(&[room(
        "r",
        &up.url(),
        &format!("admit_per_minute = 60\n[rooms.issuance]\nproof_of_work_bits = 4\n{QUESTIONS}"),
    )])
    .await;
    let mut v = gw.visitor();
    let req = v
        .request(Method::GET, "/")
        .header("accept-language", "en")
        .body(http_body_util::Empty::new().boxed())
        .unwrap();
    let form = v.send(req).await;
    assert!(
        form.body
            .contains("Do you live in the Ennepe-Ruhr district?"),
        "{}",
        form.body
    );
    assert!(
        !form.body.contains("data-challenge"),
        "questions before the puzzle"
    );
    // A solution handed in without the answers draws nothing.
    let skip = v
        .post("/.wartesaal/ticket?room=r", "challenge=x&nonce=1")
        .await;
    assert_eq!(skip.status, StatusCode::FORBIDDEN, "{}", skip.body);
    // A client asking for JSON learns where the questions are, and gets no number.
    let json = gw.visitor().get_json("/").await.json();
    assert_eq!(json["eligibility"], "/.wartesaal/eligibility?room=r");
    assert!(json["position"].is_null());

    let token = form_token(&form.body);
    let yes = send_form(&mut v, "r", format!("form={token}&back=%2F&q1=yes&q2=yes")).await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER);
    let puzzle = v.get("/").await;
    assert!(puzzle.body.contains("data-challenge"), "{}", puzzle.body);
    gw.stop().await;
}

#[tokio::test]
async fn answering_again_never_costs_a_place_and_a_later_no_takes_the_yes_back() {
    let up = upstream().await;
    let gw = gateway_with_rooms(&[room(
        "r",
        &up.url(),
        &format!("admit_per_minute = 1\n{QUESTIONS}"),
    )])
    .await;
    let yes = |token: &str| format!("form={token}&back=%2F&q1=yes&q2=yes");
    // The first walks in; the second waits at place 1.
    let mut inside = gw.visitor();
    let token = form_token(&inside.get("/").await.body);
    send_form(&mut inside, "r", yes(&token)).await;
    assert_eq!(inside.get("/").await.body, "upstream:/");
    let mut waiting = gw.visitor();
    let token = form_token(&waiting.get("/").await.body);
    send_form(&mut waiting, "r", yes(&token)).await;
    waiting.get("/").await;
    assert_eq!(waiting.status("r").await["position"], 1);

    // Both send the form again (a second tab, the Back button): nothing is taken from them.
    for v in [&mut inside, &mut waiting] {
        let again = send_form(v, "r", yes(&token)).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert!(again.header("set-cookie").is_none(), "{:?}", again.headers);
    }
    assert_eq!(
        inside.get("/").await.body,
        "upstream:/",
        "the pass still works"
    );
    assert_eq!(
        waiting.status("r").await["position"],
        1,
        "the place is kept"
    );

    // A yes, then a no: the questions come again, no ticket.
    let mut fickle = gw.visitor();
    let token = form_token(&fickle.get("/").await.body);
    send_form(&mut fickle, "r", yes(&token)).await;
    assert!(fickle.cookie("wartesaal_r").is_some());
    let no = send_form(
        &mut fickle,
        "r",
        format!("form={token}&back=%2F&q1=no&q2=yes"),
    )
    .await;
    assert!(no.body.contains("Ihres Kreises") || no.body.contains("Ihr eigener Kreis"));
    let back = fickle.get("/").await;
    assert!(
        back.body.contains("<form"),
        "the questions again: {}",
        back.body
    );
    assert_eq!(
        gw.metric("wartesaal_tickets_issued_total{room=\"r\"}")
            .await,
        2.0
    );

    // The status endpoint says where the questions are, like the page.
    let s = gw.visitor().status("r").await;
    assert_eq!(s["eligibility"], "/.wartesaal/eligibility?room=r");
    assert!(s["challenge"].is_null());

    // A very long address still gets a form that fits: it returns to the start.
    let long = format!("/p?x={}", "a".repeat(4200));
    let form = gw.visitor().get(&long).await;
    assert!(
        form.body.contains("name=\"back\" value=\"/\""),
        "{}",
        &form.body[..200]
    );
    gw.stop().await;
}
