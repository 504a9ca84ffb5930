//! What citizens met at the edges of the morning, tried over HTTP as they met it: returning
//! on another device, after leaving an e-mail address (through a real aiosmtpd), a closed or
//! sold-out room, an e-mail's link tapped again and again or late, a mistyped address, a
//! place code typed on a phone, and codes that look like placeholders.

use std::time::Duration;

use http::StatusCode;

use crate::support::*;

const PUBLIC: &str = "https://termine.example.de";
const WAY_BACK: &str = "href=\"/.wartesaal/restore?room=r\"";
const JOIN_AGAIN: &str = "Join the queue again";

fn notify_section(port: u16) -> String {
    format!(
        "[rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"Impfzentrum <termine@example.de>\"\npublic_url = \"{PUBLIC}/\"\n\
         lead_time = \"0s\"\n"
    )
}

const QUESTION: &str =
    "[[rooms.eligibility]]\nde = \"Wohnen Sie hier?\"\nen = \"Do you live here?\"\n";

/// Answers the room's one question "yes" from the form `page` carries: the visitor's
/// answered cookie, then the waiting page.
async fn answer_yes(v: &mut Visitor, page: &str) {
    let token = page
        .split("name=\"form\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token");
    let body: &'static str = Box::leak(format!("form={token}&back=%2F&q1=yes").into_boxed_str());
    let answered = v.post("/.wartesaal/eligibility?room=r", body).await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The way back is offered wherever a returning visitor lands: beside the questions, on the
/// invitation form, on a closed room's page. Answering the questions on a new device would
/// draw a new place at the back; the place code from the thanks page gives the old one.
/// After leaving an address the thanks page shows the code, and the e-mail has it too.
#[tokio::test]
async fn a_returning_visitor_is_offered_the_way_back_wherever_they_land() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let up = upstream().await;
    let extra = format!(
        "language = \"en\"\ntitle = \"Impfzentrum\"\nadmit_per_minute = 1\n{}{QUESTION}",
        notify_section(smtp.port)
    );
    let gw = gateway(&config_full(
        &temp_dir("edges-way-back"),
        "",
        &admin_token_line(),
        &room("r", &up.url(), &extra),
    ))
    .await;
    let mut first = gw.visitor();
    let asked = first.get("/").await;
    answer_yes(&mut first, &asked.body).await;
    assert_eq!(first.get("/").await.body, "upstream:/");
    // On the laptop: questions, a place, an address left, and the thanks page's code.
    let mut laptop = gw.visitor();
    let asked = laptop.get("/").await;
    assert!(asked.body.contains(WAY_BACK), "{}", asked.body);
    assert!(asked.body.contains("did you leave your e-mail address?"));
    answer_yes(&mut laptop, &asked.body).await;
    laptop.get("/").await;
    let place = laptop.status("r").await;
    let code = place["place_code"].as_str().unwrap().to_string();
    let thanks = laptop
        .post("/.wartesaal/notify?room=r", "email=ann%40example.org")
        .await;
    assert_eq!(thanks.status, StatusCode::OK, "{}", thanks.body);
    assert!(thanks.body.contains(&code), "the code with the thanks");

    // On the tablet, without the cookie: the questions offer the way back, and the code
    // gives the same place (never a new one at the back).
    let mut tablet = gw.visitor();
    let asked = tablet.get("/").await;
    assert!(asked.body.contains(WAY_BACK), "{}", asked.body);
    let form = tablet.get("/.wartesaal/restore?room=r").await;
    assert_eq!(form.status, StatusCode::OK);
    let body = leak(format!("code={code}"));
    let back = tablet.post("/.wartesaal/restore?room=r", body).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let there = tablet.status("r").await;
    assert_eq!(there["position"], place["position"], "{there}");
    assert_eq!(there["place_code"], place["place_code"]);

    // The e-mail, when the place is called, carries the same code.
    gw.advance(Duration::from_secs(61));
    laptop.status("r").await;
    gw.running.send_letters().await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body().contains(&code), "{}", mails[0].body());

    // A closed room's page, for someone without a place here, offers it too.
    gw.patch("r", r#"{"state": "closed"}"#).await;
    let closed = gw.visitor().get("/").await;
    assert!(closed.body.contains(WAY_BACK), "{}", closed.body);
    gw.stop().await;

    // The invitation form offers the place code beside the invitation code.
    let (_up, gw) =
        one_room("language = \"en\"\nadmit_per_minute = 60\n[rooms.invitations]\nrequired = true")
            .await;
    let invited = gw.visitor().get("/").await;
    assert!(
        invited.body.contains("id=\"ws-invitation\""),
        "{}",
        invited.body
    );
    assert!(invited.body.contains(WAY_BACK), "{}", invited.body);
}

/// A closed room says nothing of appointments "still free", and a sold-out page shows no
/// "you are next", no count beside "nothing is free" and no "shortly before your turn"
/// e-mail form; the status JSON (the same view) agrees.
#[tokio::test]
async fn closed_and_sold_out_pages_do_not_contradict_themselves() {
    let up = upstream().await;
    let extra = format!(
        "language = \"en\"\nadmit_per_minute = 1\n{}[rooms.supply]\nappointments = 3\n",
        notify_section(9)
    );
    let gw = gateway(&config_full(
        &temp_dir("edges-closed"),
        "",
        &admin_token_line(),
        &room("r", &up.url(), &extra),
    ))
    .await;
    let mut booker = gw.visitor();
    assert_eq!(booker.get("/").await.body, "upstream:/");
    let mut waiting = gw.visitor();
    let open = waiting.get("/").await;
    assert!(
        open.body.contains("appointments still free"),
        "{}",
        open.body
    );
    assert!(open.body.contains("name=\"email\""));

    gw.patch("r", r#"{"state": "closed"}"#).await;
    let closed = gw.visitor().get("/").await;
    assert!(
        closed.body.contains("No appointments are left"),
        "{}",
        closed.body
    );
    assert!(!closed.body.contains("still free"), "{}", closed.body);
    let json = gw.visitor().get_json("/").await.json();
    assert!(json["supply_remaining"].is_null(), "{json}");
    assert!(json.get("supply_text").is_none(), "{json}");
    let kept = waiting.get("/").await;
    assert!(!kept.body.contains("name=\"email\""), "{}", kept.body);

    // Reopened and sold out: the one waiting is next in line, and told nothing of it.
    gw.patch("r", r#"{"state": "open"}"#).await;
    booker.get("/supply?b=3").await;
    eventually("sold out", || async {
        gw.metric("wartesaal_sold_out{room=\"r\"}").await == 1.0
    })
    .await;
    gw.advance(Duration::from_secs(120));
    let page = waiting.get("/").await;
    assert!(
        page.body.contains("All appointments have been booked"),
        "{}",
        page.body
    );
    for said in [
        "You are next",
        "still free",
        "name=\"email\"",
        "ws-position",
    ] {
        assert!(!page.body.contains(said), "{said}: {}", page.body);
    }
    assert!(page.body.contains("You keep your place all the same"));
    let s = waiting.status("r").await;
    assert_eq!(s["state"], "sold_out");
    for text in ["ahead_text", "estimate_text", "supply_text", "chance_text"] {
        assert!(s.get(text).is_none(), "{text}: {s}");
    }
    gw.stop().await;
}

/// The e-mail's link, tapped in a mail program that keeps no cookies: each tap lets the
/// visitor in, up to `passes_per_ticket`; the next is told plainly that the place was used
/// and offered the way to join again, not dropped on a new place. Past the link's end, the
/// link and the place code from the same e-mail agree: both give the place back while it
/// holds, and both say it is gone once it has lapsed, each with the link to join again.
#[tokio::test]
async fn the_email_link_tapped_again_or_late_says_what_happened() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let up = upstream().await;
    let extra = format!(
        "language = \"en\"\nadmit_per_minute = 1\nhold_place_for = \"1m\"\n{}",
        notify_section(smtp.port)
    );
    let gw = gateway(&config_text("", &room("r", &up.url(), &extra))).await;
    assert_eq!(gw.visitor().get("/").await.body, "upstream:/");
    let mut away = gw.visitor();
    away.get("/").await;
    away.post("/.wartesaal/notify?room=r", "email=ann%40example.org")
        .await;
    let mut late = gw.visitor();
    late.get("/").await;
    let late_code = late.status("r").await["place_code"]
        .as_str()
        .unwrap()
        .to_string();
    late.post("/.wartesaal/notify?room=r", "email=bob%40example.org")
        .await;
    let link_to = |who: &str| {
        let mail = smtp
            .mails()
            .into_iter()
            .find(|m| m.header("X-Envelope-To").as_deref() == Some(who))
            .unwrap_or_else(|| panic!("no e-mail to {who}"));
        leak(mail.link()[PUBLIC.len()..].to_string())
    };
    gw.advance(Duration::from_secs(61));
    gw.running.send_letters().await;
    let path = link_to("ann@example.org");

    for tap in 1..=3 {
        let mut mail_app = gw.visitor();
        let back = mail_app.get(path).await;
        assert_eq!(
            back.status,
            StatusCode::SEE_OTHER,
            "tap {tap}: {}",
            back.body
        );
        assert_eq!(mail_app.get("/").await.body, "upstream:/", "tap {tap}");
    }
    let mut mail_app = gw.visitor();
    mail_app.get(path).await;
    let fourth = mail_app.get("/").await;
    assert_eq!(fourth.status, StatusCode::CONFLICT, "{}", fourth.body);
    assert!(fourth.body.contains("This place has been used already"));
    assert!(fourth.body.contains("Mail programs often open links"));
    assert!(fourth.body.contains(JOIN_AGAIN), "{}", fourth.body);
    assert!(!fourth.body.contains("eligibility"), "not the questions");
    let cleared = fourth.header("set-cookie").unwrap_or_default();
    assert!(
        cleared.contains("Max-Age=0"),
        "the used ticket goes: {cleared}"
    );

    // The second place is called and mailed; the link's end passes with nobody called after
    // it: the place still holds, and the link gives it back as the code would.
    gw.advance(Duration::from_secs(60));
    gw.running.send_letters().await;
    let late_path = link_to("bob@example.org");
    gw.advance(Duration::from_secs(180));
    let back = gw.visitor().get(late_path).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);

    // Places called after it: lapsed. The link and the code say so alike, with the way on.
    for _ in 0..4 {
        gw.visitor().get_json("/").await;
        gw.advance(Duration::from_secs(61));
    }
    gw.visitor().get_json("/").await;
    let gone = gw.visitor().get(late_path).await;
    assert_eq!(gone.status, StatusCode::GONE, "{}", gone.body);
    assert!(
        gone.body.contains("your place has lapsed since"),
        "{}",
        gone.body
    );
    assert!(gone.body.contains(JOIN_AGAIN));
    let body = leak(format!("code={late_code}"));
    let by_code = gw.visitor().post("/.wartesaal/restore?room=r", body).await;
    assert_eq!(by_code.status, StatusCode::GONE, "{}", by_code.body);
    assert!(
        by_code.body.contains("has lapsed since"),
        "{}",
        by_code.body
    );
    assert!(by_code.body.contains(JOIN_AGAIN));
    gw.stop().await;
}

/// A mistyped address is seen and corrected: the page shows the address noted (partly
/// hidden), a second one replaces it (the e-mail goes to the last, the first is forgotten),
/// at most three times. An umlaut before the @ is told why; after it, the address is sent in
/// its ASCII form through the real SMTP server.
#[tokio::test]
async fn a_mistyped_address_is_shown_and_corrected_and_an_umlaut_is_told_why() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let up = upstream().await;
    let extra = format!(
        "language = \"en\"\nadmit_per_minute = 1\n{}",
        notify_section(smtp.port)
    );
    let gw = gateway(&config_text("", &room("r", &up.url(), &extra))).await;
    gw.visitor().get("/").await;
    let mut v = gw.visitor();
    v.get("/").await;
    let typo = v
        .post("/.wartesaal/notify?room=r", "email=marai%40example.org")
        .await;
    assert_eq!(typo.status, StatusCode::OK, "{}", typo.body);
    let page = v.get("/").await;
    assert!(
        page.body.contains("The e-mail goes to ma…@example.org"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Change address"), "{}", page.body);
    assert!(!page.body.contains("marai@"), "masked on the page");
    let fixed = v
        .post("/.wartesaal/notify?room=r", "email=maria%40example.org")
        .await;
    assert_eq!(fixed.status, StatusCode::OK, "{}", fixed.body);
    assert!(
        fixed.body.contains("The earlier one is deleted"),
        "{}",
        fixed.body
    );
    for (n, address) in [
        "email=m2%40example.org",
        "email=maria%40example.org",
        "email=spam%40example.org",
    ]
    .into_iter()
    .enumerate()
    {
        let answer = v.post("/.wartesaal/notify?room=r", address).await;
        let want = if n < 2 {
            StatusCode::OK
        } else {
            StatusCode::CONFLICT
        };
        assert_eq!(answer.status, want, "change {}: {}", n + 2, answer.body);
    }
    let refused = v
        .post("/.wartesaal/notify?room=r", "email=spam%40example.org")
        .await;
    assert!(
        refused.body.contains("changed as often as it can be"),
        "{}",
        refused.body
    );

    // Umlauts: before the @ refused with the reason, the typed text kept in the field.
    let mut u = gw.visitor();
    u.get("/").await;
    let umlaut = u
        .post(
            "/.wartesaal/notify?room=r",
            "email=j%C3%BCrgen%40example.org",
        )
        .await;
    assert_eq!(umlaut.status, StatusCode::BAD_REQUEST);
    assert!(
        umlaut.body.contains("before the @ cannot be used"),
        "{}",
        umlaut.body
    );
    assert!(
        umlaut.body.contains("value=\"jürgen@example.org\""),
        "{}",
        umlaut.body
    );
    let idn = u
        .post("/.wartesaal/notify?room=r", "email=ann%40m%C3%BCller.de")
        .await;
    assert_eq!(idn.status, StatusCode::OK, "{}", idn.body);
    assert!(idn.body.contains("ann@müller.de"), "{}", idn.body);

    // Both called: one e-mail each, to the last address and to the ASCII domain.
    gw.advance(Duration::from_secs(180));
    v.status("r").await;
    u.status("r").await;
    gw.running.send_letters().await;
    let mut to: Vec<String> = smtp
        .mails()
        .iter()
        .filter_map(|m| m.header("X-Envelope-To"))
        .collect();
    to.sort();
    assert_eq!(to, ["ann@xn--mller-kva.de", "maria@example.org"]);
    gw.stop().await;
}

/// A place code as a phone types it (en dashes, no-break spaces, lower case) gives the
/// place back; after an error the field keeps what was typed. Codes of a small room's first
/// places do not start with a run of zeros.
#[tokio::test]
async fn a_code_typed_on_a_phone_is_read_and_a_mistake_is_kept_to_correct() {
    let (_up, gw) = one_room("language = \"en\"\nadmit_per_minute = 1").await;
    gw.visitor().get("/").await;
    let mut codes = Vec::new();
    let mut line = Vec::new();
    for _ in 0..6 {
        let mut v = gw.visitor();
        v.get("/").await;
        let s = v.status("r").await;
        codes.push(s["place_code"].as_str().unwrap().to_string());
        line.push((v, s["position"].clone()));
    }
    for code in &codes {
        assert!(!code.starts_with("00"), "{code} looks like a placeholder");
    }
    let (_, position) = &line[3];
    let typed = codes[3].to_lowercase().replace('-', "\u{2013}").replacen(
        &codes[3][..1].to_lowercase(),
        &format!("\u{a0}{}", &codes[3][..1]),
        1,
    );
    let body = leak(format!("code={}", percent(&typed)));
    let mut phone = gw.visitor();
    let back = phone.post("/.wartesaal/restore?room=r", body).await;
    assert_eq!(
        back.status,
        StatusCode::SEE_OTHER,
        "{typed:?}: {}",
        back.body
    );
    assert_eq!(phone.status("r").await["position"], *position);

    // One character wrong: said so, and the field still holds the rest.
    let mut wrong = codes[3].clone();
    let last = if wrong.ends_with('X') { "Y" } else { "X" };
    wrong.replace_range(wrong.len() - 1.., last);
    let body = leak(format!("code={wrong}"));
    let refused = gw.visitor().post("/.wartesaal/restore?room=r", body).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("We do not know this place code"));
    assert!(
        refused.body.contains(&format!("value=\"{wrong}\"")),
        "{}",
        refused.body
    );
    let short = gw
        .visitor()
        .post("/.wartesaal/restore?room=r", "code=7K3M-QX2")
        .await;
    assert!(short.body.contains("value=\"7K3M-QX2\""), "{}", short.body);
    gw.stop().await;
}

fn percent(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}
