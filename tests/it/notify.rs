//! "Tell me when it's my turn", against a real SMTP server (aiosmtpd): the address left on the
//! waiting page brings exactly one e-mail once the place is called (or nearly), in the page's
//! language, with headers a mail client expects; its link, followed in a fresh browser after
//! the ticket itself has lapsed, lets the visitor in ahead of everyone behind them. STARTTLS
//! with a login, a server that is down and comes back, and two gateways on one Redis.

use std::time::Duration;

use http::{Method, StatusCode};

use crate::support::*;

const PUBLIC: &str = "https://termine.example.de";

fn notify_section(port: u16, extra: &str) -> String {
    format!(
        "[rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"Impfzentrum <termine@example.de>\"\npublic_url = \"{PUBLIC}/\"\n{extra}\n"
    )
}

async fn sign_up(v: &mut Visitor, address: &'static str) -> Answer {
    v.post("/.wartesaal/notify?room=r", address).await
}

/// The link's path and query, to be asked of the gateway under test.
fn path_of(link: &str) -> String {
    assert!(link.starts_with(PUBLIC), "{link}");
    link[PUBLIC.len()..].to_string()
}

#[tokio::test]
async fn the_email_comes_once_when_called_and_its_link_lets_the_visitor_in_ahead_of_those_behind() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let state = temp_dir("notify-state");
    let up = upstream().await;
    let extra = format!(
        "title = \"Impfzentrum\"\nadmit_per_minute = 1\nhold_place_for = \"1m\"\n{}",
        notify_section(smtp.port, "lead_time = \"0s\"")
    );
    let gw = gateway(&config_in(&state, "", &room("r", &up.url(), &extra))).await;
    let mut first = gw.visitor();
    assert_eq!(first.get("/").await.body, "upstream:/");
    let mut line: Vec<Visitor> = Vec::new();
    for _ in 0..4 {
        let mut v = gw.visitor();
        v.get("/").await;
        line.push(v);
    }
    let mut away = line.remove(1);
    let page = away.get("/").await;
    assert!(page.body.contains("name=\"email\""), "{}", page.body);
    assert!(
        page.body
            .contains("Wir speichern Ihre Adresse nur, bis diese eine E-Mail verschickt ist"),
        "the page says what is kept and for how long"
    );
    let status = away.status("r").await;
    let code = status["place_code"].as_str().unwrap().to_string();
    let position = status["position"].as_u64().unwrap();
    assert_eq!(position, 2);

    // The form: nonsense is refused, an address is noted, and a mistyped one corrected: the
    // second replaces the first (one e-mail per ticket, to the address given last).
    let bad = sign_up(&mut away, "email=not-an-address").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let typo = sign_up(&mut away, "email=anm%40example.org").await;
    assert_eq!(typo.status, StatusCode::OK, "{}", typo.body);
    let noted = sign_up(&mut away, "email=ann%40example.org").await;
    assert_eq!(noted.status, StatusCode::OK, "{}", noted.body);
    assert!(noted.body.contains("ann@example.org"));
    let mut stranger = gw.visitor();
    let no_place = sign_up(&mut stranger, "email=ann%40example.org").await;
    assert_eq!(no_place.status, StatusCode::BAD_REQUEST, "a ticket first");
    let saved = || {
        std::fs::read_dir(&state)
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect::<String>()
    };
    assert!(
        saved().contains("ann@example.org"),
        "on disk before the answer"
    );

    // Not called yet: nothing is sent. The visitor sends no request from here on.
    gw.running.send_letters().await;
    assert!(smtp.mails().is_empty());
    let mut called = false;
    for _ in 0..8 {
        gw.advance(Duration::from_secs(30));
        for v in line.iter_mut() {
            v.status("r").await;
        }
        gw.running.send_letters().await;
        if !smtp.mails().is_empty() {
            called = true;
            break;
        }
    }
    assert!(called, "an e-mail once the place was called");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(
        mail.header("X-Envelope-To").as_deref(),
        Some("ann@example.org")
    );
    assert_eq!(
        mail.header("From").as_deref(),
        Some("Impfzentrum <termine@example.de>")
    );
    assert_eq!(mail.header("To").as_deref(), Some("ann@example.org"));
    assert_eq!(
        mail.header("Subject").map(decoded_subject),
        Some("Sie sind an der Reihe: Impfzentrum".to_string())
    );
    assert!(mail.header("Date").is_some() && mail.header("Message-ID").is_some());
    assert!(mail
        .header("Content-Type")
        .is_some_and(|t| t.starts_with("text/plain")));
    let body = mail.body();
    assert!(body.contains(&code), "the place code: {body}");
    assert!(body.contains("Der Link hält Ihren Platz bis"), "{body}");
    assert!(
        !saved().contains("ann@example.org"),
        "the address is deleted once sent"
    );

    // Away longer than hold_place_for: the ticket in the old browser has lapsed...
    gw.advance(Duration::from_secs(40));
    for v in line.iter_mut() {
        v.status("r").await;
    }
    // ...but the e-mail's link, in a fresh browser, gives the place back, and it is called:
    // in at once, while those behind still wait.
    let mut phone = gw.visitor();
    let back = phone.get(&path_of(&mail.link())).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(phone.get("/").await.body, "upstream:/", "let in");
    let behind = line.last_mut().unwrap().status("r").await;
    assert_eq!(
        behind["admitted"], false,
        "the last one still waits: {behind}"
    );

    // Exactly one e-mail, whatever runs later.
    gw.running.send_letters().await;
    assert_eq!(smtp.mails().len(), 1);
    let metrics = gw.metrics().await;
    for (result, n) in [
        // The mistyped address and its correction.
        ("registered", 2),
        ("sent", 1),
        ("followed", 1),
        ("duplicate", 0),
    ] {
        let line = format!("wartesaal_notifications_total{{result=\"{result}\",room=\"r\"}} {n}");
        assert!(metrics.contains(&line), "{line} in\n{metrics}");
    }
    assert!(!metrics.contains("example.org"));

    // A link past its end says so.
    gw.advance(Duration::from_secs(120));
    let mut late = gw.visitor();
    let gone = late.get(&path_of(&mail.link())).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.body.contains("ist abgelaufen"), "{}", gone.body);
}

/// `=?utf-8?…?=` subjects, as lettre writes non-ASCII ones.
pub fn decoded_subject(raw: String) -> String {
    if !raw.starts_with("=?") {
        return raw;
    }
    let mut out = String::new();
    for word in raw.split_whitespace() {
        let parts: Vec<&str> = word
            .trim_start_matches("=?")
            .trim_end_matches("?=")
            .split('?')
            .collect();
        if let [_, enc, text] = parts.as_slice() {
            if enc.eq_ignore_ascii_case("b") {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap_or_default();
                out.push_str(&String::from_utf8_lossy(&bytes));
            } else {
                out.push_str(&text.replace('_', " "));
            }
        }
    }
    out
}

#[tokio::test]
async fn starttls_with_a_login_and_a_server_that_was_down_sends_once_it_is_back() {
    let pki = crate::tls::Pki::new("smtp");
    let leaf = pki.leaf("smtp");
    let (cert, key) = (
        leaf.cert.display().to_string(),
        leaf.key.display().to_string(),
    );
    let tls = [cert.as_str(), key.as_str(), "mailer", "s3cr:et"];
    // Its port, with nobody listening yet.
    let Some(down) = SmtpSink::start_on(0, &tls) else {
        return;
    };
    let port = down.kill();
    let creds = temp_dir("smtp-creds");
    std::fs::create_dir_all(&creds).unwrap();
    let cred_file = creds.join("smtp.cred");
    std::fs::write(&cred_file, "mailer\ns3cr:et\n").unwrap();
    let notify = format!(
        "[rooms.notify]\nsmtp_url = \"smtp://localhost:{port}\"\n\
         from = \"termine@example.de\"\npublic_url = \"{PUBLIC}\"\nlead_time = \"1h\"\n\
         ca_file = \"{}\"\ncredentials_file = \"{}\"\n",
        pki.ca_file().display(),
        cred_file.display()
    );
    let (_up, gw) = one_room(&format!(
        "title = \"Impfzentrum\"\nlanguage = \"en\"\nadmit_per_minute = 1\n{notify}"
    ))
    .await;
    gw.visitor().get("/").await;
    let mut v = gw.visitor();
    v.get("/").await;
    let before = v.status("r").await["position"].as_u64().unwrap();
    assert_eq!(
        sign_up(&mut v, "email=bo%40example.org").await.status,
        StatusCode::OK
    );

    // Due at once (within the hour), but the server is down: counted, kept, tried again.
    gw.running.send_letters().await;
    assert_eq!(
        gw.metric("wartesaal_notifications_total{result=\"failed\",room=\"r\"}")
            .await,
        1.0
    );
    assert_eq!(
        v.status("r").await["position"].as_u64(),
        Some(before),
        "the place is kept"
    );

    let smtp = SmtpSink::start_on(port, &tls).unwrap();
    gw.running.send_letters().await;
    assert!(smtp.mails().is_empty(), "not before its pause is over");
    gw.advance(Duration::from_secs(31));
    gw.running.send_letters().await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "sent once the server is back");
    let mail = &mails[0];
    assert_eq!(
        mail.header("X-Tls").as_deref(),
        Some("yes"),
        "over STARTTLS"
    );
    assert_eq!(
        mail.header("X-Login").as_deref(),
        Some("mailer"),
        "with the login"
    );
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("It is nearly your turn: Impfzentrum"),
        "in the page's language"
    );
    assert!(mail.body().contains("The link holds your place until"));

    // The link in a fresh browser: the same place, not called yet.
    let mut phone = gw.visitor();
    let back = phone.get(&path_of(&mail.link())).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert_eq!(phone.status("r").await["position"].as_u64(), Some(before));
    gw.advance(Duration::from_secs(3600));
    gw.running.send_letters().await;
    assert_eq!(smtp.mails().len(), 1, "one e-mail, ever");
}

#[tokio::test]
async fn two_gateways_on_one_redis_send_each_email_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let up = upstream().await;
    let rooms = room(
        "r",
        &up.url(),
        &format!(
            "admit_per_minute = 1\n{}",
            notify_section(smtp.port, "lead_time = \"1h\"")
        ),
    );
    let clock = std::sync::Arc::new(wartesaal::clock::ManualClock::new(T0));
    let a = gateway_on(&config_redis(&redis.url(), "", &rooms), clock.clone()).await;
    let b = gateway_on(&config_redis(&redis.url(), "", &rooms), clock.clone()).await;
    a.visitor().get("/").await;
    let mut v = b.visitor();
    v.get("/").await;
    assert_eq!(
        sign_up(&mut v, "email=cy%40example.org").await.status,
        StatusCode::OK
    );
    // Kept in Redis: through the other gateway a second address replaces the first.
    let mut same = a.visitor();
    same.cookies = v.cookies.clone();
    assert_eq!(
        sign_up(&mut same, "email=dee%40example.org").await.status,
        StatusCode::OK
    );
    eventually("one gateway holds the lease", || async {
        let ra = a.admin(Method::GET, "/api/v1/rooms/r", None, None).await;
        let rb = b.admin(Method::GET, "/api/v1/rooms/r", None, None).await;
        ra.json()["backend"]["leader"] == true || rb.json()["backend"]["leader"] == true
    })
    .await;
    for _ in 0..3 {
        a.running.send_letters().await;
        b.running.send_letters().await;
    }
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "exactly one e-mail from two gateways");
    assert_eq!(
        mails[0].header("X-Envelope-To").as_deref(),
        Some("dee@example.org"),
        "to the address given last"
    );
    let fields = redis.cli(&["HLEN", "{wartesaal:r}:letters"]);
    assert_eq!(fields.trim(), "0", "the address is gone from Redis");
}
