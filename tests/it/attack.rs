//! What a black-box attack on the booking site's side and the e-mail feature found, each
//! as the attacker did it: TRACE echoing the origin-lock secret, underscore twins of the
//! gateway's headers, paths an IIS-style upstream reads as the room's prefix, and repeated
//! keys in an admin change.

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Empty};

use crate::booking::keygen;
use crate::support::*;

/// A room with the origin lock and the admission header, whose static files and monitoring
/// agent pass unqueued: the routes the attacker sent TRACE on.
async fn locked_room(name: &str) -> (Upstream, Gateway, String) {
    let up = upstream().await;
    let dir = temp_dir(name);
    let (lock_file, secret) = keygen(&dir, "origin.secret");
    let (key_file, _) = keygen(&dir, "admission.key");
    let rooms = room(
        "r",
        &up.url(),
        &format!(
            "path_prefixes = [\"/termine/\"]\nadmit_per_minute = 60\n\
             bypass_paths = [\"/termine/static/\"]\nbypass_user_agents = [\"Pingdom\"]\n\
             origin_header = {{ name = \"X-Origin-Lock\", secret_file = \"{}\" }}\n\
             admission_header = true\nadmission_key_file = \"{}\"",
            lock_file.display(),
            key_file.display()
        ),
    );
    let gw = gateway(&config_text("", &rooms)).await;
    (up, gw, secret)
}

async fn send(
    gw: &Gateway,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, http::HeaderMap, String) {
    let mut v = gw.visitor();
    let mut req = v.request(Method::from_bytes(method.as_bytes()).unwrap(), path);
    for (k, val) in headers {
        req = req.header(*k, *val);
    }
    let a = v.send(req.body(Empty::new().boxed()).unwrap()).await;
    (a.status, a.headers, a.body)
}

#[tokio::test]
async fn trace_and_track_are_refused_everywhere_and_no_answer_shows_the_origin_secret() {
    let (up, gw, secret) = locked_room("trace").await;
    for (method, path, headers) in [
        ("TRACE", "/termine/static/x", vec![]),
        ("TRACE", "/impressum", vec![]),
        (
            "TRACE",
            "/termine/book",
            vec![("user-agent", "Pingdom.com_bot")],
        ),
        ("TRACK", "/termine/static/x", vec![]),
        ("TRACE", "/.wartesaal/status?room=r", vec![]),
    ] {
        let (status, h, body) = send(&gw, method, path, &headers).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(h.get("allow").is_some(), "405 says what is allowed");
        assert!(!body.contains(&secret), "{method} {path}: {body}");
    }
    assert!(
        up.paths().is_empty(),
        "TRACE never reaches the booking site"
    );

    // A debug page of the site that echoes the request's headers in its answer's: the
    // secret reaches the site, never the visitor.
    let (status, h, _) = send(&gw, "GET", "/termine/static/echo", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let seen = up.last("/termine/static/echo").unwrap();
    assert_eq!(seen.headers["x-origin-lock"], secret.as_str());
    assert!(h.get("x-origin-lock").is_none());
    assert!(
        h.values().all(|v| !v
            .as_bytes()
            .windows(secret.len())
            .any(|w| w == secret.as_bytes())),
        "no header carries the secret: {h:?}"
    );
    // The unqueued echo route of the test upstream: `/echo` outside the prefix.
    let (_, h, _) = send(&gw, "GET", "/echo", &[("x-mine", "kept")]).await;
    assert_eq!(h.get("x-mine").map(|v| v.as_bytes()), Some(&b"kept"[..]));
    assert!(h.get("x-origin-lock").is_none());
    assert!(
        gw.metric("wartesaal_protections_total{reason=\"upstream_echo\",room=\"r\"}")
            .await
            >= 2.0
    );
}

#[tokio::test]
async fn underscore_twins_of_the_gateways_headers_never_reach_the_site() {
    let (up, gw, secret) = locked_room("twins").await;
    let (status, _, _) = send(
        &gw,
        "GET",
        "/termine/static/app.css",
        &[
            ("x_origin_lock", "forged"),
            ("X_Wartesaal_Admission", "v1.r.0.0.9999999999.forged"),
            ("x-wartesaal_admission", "forged"),
            ("x_forwarded_for", "10.9.9.9"),
            ("x_real_ip", "10.9.9.9"),
            ("x_custom_header", "kept"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let seen = up.last("/termine/static/app.css").unwrap();
    let names: Vec<&str> = seen.headers.keys().map(|n| n.as_str()).collect();
    for twin in [
        "x_origin_lock",
        "x_wartesaal_admission",
        "x-wartesaal_admission",
        "x_forwarded_for",
        "x_real_ip",
    ] {
        assert!(!names.contains(&twin), "{twin} passed: {names:?}");
    }
    assert_eq!(
        seen.headers["x_custom_header"], "kept",
        "other underscores stay"
    );
    assert_eq!(seen.headers["x-origin-lock"], secret.as_str());
}

const QUESTION: &str = r#"
[[rooms.eligibility]]
de = "Sind Sie 80 Jahre oder älter?"
en = "Are you 80 or older?"
otherwise_de = "Termine für Jüngere folgen später."
otherwise_en = "Appointments for younger people follow later."
"#;

/// Answers the room's question yes in `v`'s browser: the cookie that lets it draw.
async fn answered_cookie(v: &mut Visitor) -> String {
    let form = v.get("/").await;
    let at = form.body.find("name=\"form\" value=\"").unwrap() + 19;
    let token = form.body[at..].split('"').next().unwrap().to_string();
    let req = v
        .request(Method::POST, "/.wartesaal/eligibility?room=r")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            http_body_util::Full::new(bytes::Bytes::from(format!("form={token}&back=%2F&q1=yes")))
                .boxed(),
        )
        .unwrap();
    assert_eq!(v.send(req).await.status, StatusCode::SEE_OTHER);
    v.cookie("wartesaal_r").expect("the answered cookie")
}

#[tokio::test]
async fn one_answered_form_draws_one_ticket_however_often_its_cookie_comes_back() {
    let up = upstream().await;
    // A full room: everyone who draws waits, so every draw shows as a ticket.
    let gw = gateway_with_rooms(&[room(
        "r",
        &up.url(),
        &format!("admit_per_minute = 0.1\n{QUESTION}"),
    )])
    .await;
    // The first to answer walks in; the next answer's cookie is the one copied.
    let mut first = gw.visitor();
    answered_cookie(&mut first).await;
    assert_eq!(first.get("/").await.body, "upstream:/");
    let cookie = answered_cookie(&mut gw.visitor()).await;
    let before = gw
        .metric("wartesaal_tickets_issued_total{room=\"r\"}")
        .await;
    // 200 fresh browsers carrying that one cookie: one ticket, the same place for all.
    let mut seqs = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let mut copy = gw.visitor();
        copy.set_cookie("wartesaal_r", &cookie);
        let page = copy.get("/").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("ws-position"), "{}", page.body);
        seqs.insert(ticket_seq("r", &copy.cookie("wartesaal_r").unwrap()));
    }
    assert_eq!(seqs.len(), 1, "one ticket: {seqs:?}");
    let after = gw
        .metric("wartesaal_tickets_issued_total{room=\"r\"}")
        .await;
    assert_eq!(after - before, 1.0);
    assert_eq!(
        gw.metric("wartesaal_issuance_refused_total{reason=\"answer_replayed\",room=\"r\"}")
            .await,
        199.0
    );
    // A new answer draws a new ticket.
    let mut other = gw.visitor();
    let form = other.get("/").await;
    assert!(form.body.contains("name=\"form\""));
}

#[tokio::test]
async fn a_flood_of_sign_ups_from_one_network_leaves_room_for_a_real_visitor() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let up = upstream().await;
    let state = temp_dir("outbox-flood");
    let extra = format!(
        "admit_per_minute = 0.1\n[rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:{}\"\n\
         from = \"Impfzentrum <termine@example.de>\"\npublic_url = \"https://termine.example.de/\"\n",
        smtp.port
    );
    let gw = gateway(&config_in(
        &state,
        "trusted_proxies = [\"127.0.0.1/32\"]",
        &room("r", &up.url(), &extra),
    ))
    .await;
    let mut first = gw.visitor();
    first.get("/").await;
    // 2,000 addresses of one IPv6 /53, each with a ticket of its own, each leaving an address.
    let from =
        |ip: String| move |b: http::request::Builder| b.header("x-forwarded-for", ip.clone());
    let mut kept = 0;
    let mut limited = 0;
    for i in 0..2_000u32 {
        let mut v = gw.visitor();
        let with = from(format!("2001:db8:0:{:x}::1", i));
        let req = with(v.request(Method::GET, "/"))
            .body(Empty::new().boxed())
            .unwrap();
        v.send(req).await;
        let req = with(v.request(Method::POST, "/.wartesaal/notify?room=r"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                http_body_util::Full::new(bytes::Bytes::from(format!(
                    "email=flood{i}%40example.org"
                )))
                .boxed(),
            )
            .unwrap();
        match v.send(req).await.status {
            StatusCode::OK => kept += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("sign-up {i}: {other}"),
        }
    }
    assert_eq!((kept, limited), (50, 1_950), "one /48 leaves 50 an hour");
    // Someone elsewhere still gets their address noted.
    let mut real = gw.visitor();
    let with = from("198.51.100.7".into());
    let req = with(real.request(Method::GET, "/"))
        .body(Empty::new().boxed())
        .unwrap();
    real.send(req).await;
    let req = with(real.request(Method::POST, "/.wartesaal/notify?room=r"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            http_body_util::Full::new(bytes::Bytes::from_static(b"email=real%40example.org"))
                .boxed(),
        )
        .unwrap();
    let noted = real.send(req).await;
    assert_eq!(noted.status, StatusCode::OK, "{}", noted.body);
}
