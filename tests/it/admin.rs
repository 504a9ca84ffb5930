//! The admin API, room states and messages, the dashboard and `wartesaal ctl`.

use std::process::Command;
use std::time::Duration;

use http::{Method, StatusCode};

use crate::support::{self, Gateway, Upstream, ADMIN_TOKEN};

const COOKIE: &str = "wartesaal_r";
const BIN: &str = env!("CARGO_BIN_EXE_wartesaal");

/// One room `r` with an admin token configured.
async fn room_with_token(extra: &str) -> (Upstream, Gateway) {
    let up = support::upstream().await;
    let gw = support::gateway(&support::config_full(
        &support::temp_dir("state"),
        "",
        &support::admin_token_line(),
        &support::room("r", &up.url(), extra),
    ))
    .await;
    (up, gw)
}

async fn room_json(gw: &Gateway) -> serde_json::Value {
    let a = gw.admin(Method::GET, "/api/v1/rooms/r", None, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()
}

#[tokio::test]
async fn rooms_are_listed_and_a_change_takes_effect_at_once() {
    let (_up, gw) = room_with_token("admit_per_minute = 60\nmax_active = 5").await;
    let mut first = gw.visitor();
    first.get("/").await;
    let mut waiting = gw.visitor();
    waiting.get("/").await;

    let list = gw.admin(Method::GET, "/api/v1/rooms", None, None).await;
    assert_eq!(list.status, StatusCode::OK);
    let rooms = list.json()["rooms"].as_array().unwrap().clone();
    assert_eq!(rooms.len(), 1);
    let r = &rooms[0];
    assert_eq!(r["id"], "r");
    assert_eq!(r["issued"], 2);
    assert_eq!(r["cursor"], 1);
    assert_eq!(r["waiting"], 1);
    assert_eq!(r["active_sessions"], 1);
    assert_eq!(r["admit_per_minute"], 60.0);
    assert_eq!(r["max_active"], 5);
    assert_eq!(r["state"], "open");
    assert_eq!(r["estimated_wait_seconds"], 2);
    assert!(r["schedule"].is_null());

    let a = gw
        .patch("r", r#"{"admit_per_minute": 6, "max_active": 0}"#)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["admit_per_minute"], 6.0);
    let r = room_json(&gw).await;
    assert_eq!(r["admit_per_minute"], 6.0);
    assert_eq!(r["max_active"], 0);
    assert_eq!(r["config"]["admit_per_minute"], 60.0);
    assert_eq!(waiting.status("r").await["admit_per_minute"], 6.0);
    assert_eq!(
        gw.metric("wartesaal_admit_rate_per_minute{room=\"r\"}")
            .await,
        6.0
    );
    // Back to the config's value.
    gw.patch("r", r#"{"admit_per_minute": null}"#).await;
    assert_eq!(room_json(&gw).await["admit_per_minute"], 60.0);

    let missing = gw
        .admin(Method::GET, "/api/v1/rooms/nope", None, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn changes_need_the_right_token() {
    let (_up, gw) = room_with_token("admit_per_minute = 60").await;
    let body = Some(r#"{"state": "closed"}"#);
    let none = gw.admin(Method::PATCH, "/api/v1/rooms/r", None, body).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer"));
    let wrong = gw
        .admin(Method::PATCH, "/api/v1/rooms/r", Some("guess"), body)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let almost = format!("{ADMIN_TOKEN}x");
    let wrong = gw
        .admin(Method::PATCH, "/api/v1/rooms/r", Some(&almost), body)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(room_json(&gw).await["state"], "open", "nothing changed");

    // Without admin.token_file the API only reads.
    let (_up, open_gw) = support::one_room("admit_per_minute = 60").await;
    let a = open_gw
        .admin(Method::PATCH, "/api/v1/rooms/r", Some(ADMIN_TOKEN), body)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("admin.token_file"), "{}", a.body);
}

#[tokio::test]
async fn bad_bodies_get_400_naming_the_field_and_change_nothing() {
    let (_up, gw) = room_with_token("admit_per_minute = 60").await;
    for (body, field) in [
        (r#"{"admit_per_minute": 0}"#, Some("admit_per_minute")),
        (r#"{"admit_per_minute": "fast"}"#, Some("admit_per_minute")),
        (r#"{"max_active": -1}"#, Some("max_active")),
        (r#"{"state": "shut"}"#, Some("state")),
        (r#"{"message": 3}"#, Some("message")),
        (r#"{"message": {"sv": "hej"}}"#, Some("message.sv")),
        (r#"{"state": "paused", "colour": "red"}"#, Some("colour")),
        ("{}", None),
        ("not json", None),
    ] {
        let a = gw.patch("r", body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.body);
        let j = a.json();
        assert_eq!(j["field"].as_str(), field, "{body}");
        assert!(!j["error"].as_str().unwrap().is_empty());
    }
    let r = room_json(&gw).await;
    assert_eq!(r["state"], "open");
    assert_eq!(r["admit_per_minute"], 60.0);

    let huge = format!(r#"{{"message": {{"de": "{}"}}}}"#, "x".repeat(20_000));
    assert_eq!(
        gw.patch("r", &huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let a = gw
        .admin(
            Method::POST,
            "/api/v1/rooms/r",
            Some(ADMIN_TOKEN),
            Some("{}"),
        )
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.header("allow"), Some("GET, HEAD, PATCH"));
    let a = gw
        .admin(
            Method::PATCH,
            "/api/v1/rooms/nope",
            Some(ADMIN_TOKEN),
            Some("{}"),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_paused_room_keeps_every_place_and_shows_the_message() {
    let (_up, gw) = room_with_token("admit_per_minute = 60").await;
    let mut first = gw.visitor();
    first.get("/").await;
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let mut v = gw.visitor();
        v.get("/").await;
        waiting.push(v);
    }
    let a = gw
        .patch(
            "r",
            r#"{"state": "paused", "message": {"de": "Kurze Pause bis 9 Uhr", "en": "Short break until 9"}}"#,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    gw.advance(Duration::from_secs(600));

    let s = waiting[0].status("r").await;
    assert_eq!(s["state"], "paused");
    assert_eq!(s["position"], 1, "ten minutes paused: nobody moved");
    assert_eq!(s["admitted"], false);
    assert!(s["eta_seconds"].is_null());
    assert_eq!(s["message"], "Kurze Pause bis 9 Uhr");
    let page = waiting[0].get("/termine").await;
    assert!(page.body.contains("Kurze Pause bis 9 Uhr"), "{}", page.body);
    assert!(page
        .body
        .contains("Der Einlass ist vorübergehend unterbrochen"));
    assert!(page.body.contains("data-state=\"paused\""));
    let mut english = waiting[1].clone();
    let req = english
        .request(Method::GET, "/.wartesaal/status?room=r")
        .header("accept", "application/json")
        .header("accept-language", "en")
        .body(http_body_util::Empty::new().boxed())
        .unwrap();
    use http_body_util::BodyExt;
    assert_eq!(
        english.send(req).await.json()["message"],
        "Short break until 9"
    );
    assert_eq!(
        gw.metric("wartesaal_admit_rate_per_minute{room=\"r\"}")
            .await,
        0.0
    );
    // A newcomer still gets a place in line, behind the others.
    let mut late = gw.visitor();
    let a = late.get_json("/").await;
    assert_eq!(a.json()["position"], 4);

    gw.patch("r", r#"{"state": "open", "message": null}"#).await;
    gw.advance(Duration::from_secs(1));
    let s = waiting[0].status("r").await;
    assert_eq!(s["state"], "open");
    assert_eq!(
        s["admitted"], true,
        "the first in line goes in on reopening"
    );
    assert!(s["message"].is_null());
}

#[tokio::test]
async fn a_closed_room_hands_out_no_tickets_and_says_so() {
    let (_up, gw) = room_with_token("admit_per_minute = 60").await;
    let mut inside = gw.visitor();
    assert_eq!(inside.get("/book").await.body, "upstream:/book");
    let mut waiting = gw.visitor();
    waiting.get("/").await;
    let issued = gw
        .metric("wartesaal_tickets_issued_total{room=\"r\"}")
        .await;

    let a = gw
        .patch(
            "r",
            r#"{"state": "closed", "message": {"de": "Neue Termine ab Montag."}}"#,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);

    let mut newcomer = gw.visitor();
    let page = newcomer.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Zurzeit sind keine Termine mehr frei"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Neue Termine ab Montag."));
    assert!(newcomer.cookie(COOKIE).is_none(), "no ticket handed out");
    assert_eq!(
        gw.metric("wartesaal_tickets_issued_total{room=\"r\"}")
            .await,
        issued
    );

    let s = waiting.status("r").await;
    assert_eq!(s["state"], "closed");
    assert!(s["position"].is_null());
    assert_eq!(s["admitted"], false);
    assert!(waiting.get("/").await.body.contains("keine Termine"));
    let mut english = gw.visitor();
    english.host = "site.test".into();
    let s = english.status("r").await;
    assert_eq!(
        s["message"], "Neue Termine ab Montag.",
        "German when no English text"
    );

    // Whoever is inside finishes their booking.
    assert_eq!(inside.get("/book").await.body, "upstream:/book");
}

#[tokio::test]
async fn operator_changes_survive_a_restart() {
    let up = support::upstream().await;
    let state = support::temp_dir("restart");
    let config = support::config_full(
        &state,
        "",
        &support::admin_token_line(),
        &support::room("r", &up.url(), "admit_per_minute = 60"),
    );
    let gw = support::gateway(&config).await;
    let a = gw
        .patch(
            "r",
            r#"{"admit_per_minute": 12.5, "max_active": 3, "state": "paused", "message": {"en": "Back soon"}}"#,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    gw.stop().await;

    let gw = support::gateway(&config).await;
    let r = room_json(&gw).await;
    assert_eq!(r["admit_per_minute"], 12.5);
    assert_eq!(r["max_active"], 3);
    assert_eq!(r["state"], "paused");
    assert_eq!(r["message"]["en"], "Back soon");
}

#[tokio::test]
async fn the_dashboard_is_self_contained_and_its_series_carry_what_it_charts() {
    let (_up, gw) = room_with_token("admit_per_minute = 6").await;
    let page = gw.admin(Method::GET, "/", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    let html = page.body.to_ascii_lowercase();
    for external in [
        "src=\"http",
        "src=\"//",
        "href=\"http",
        "href=\"//",
        "url(",
        "@import",
    ] {
        assert!(!html.contains(external), "the dashboard loads {external}…");
    }
    // Traffic over a minute, sampled as the gateway ticks.
    let mut line = Vec::new();
    for _ in 0..7 {
        for _ in 0..3 {
            let mut v = gw.visitor();
            v.get("/").await;
            line.push(v);
        }
        gw.advance(Duration::from_secs(10));
        // Whoever has been called comes back and is let in.
        for v in &mut line {
            v.get("/").await;
        }
        gw.running.tick();
    }
    let series = gw.admin(Method::GET, "/api/v1/series", None, None).await;
    assert_eq!(series.status, StatusCode::OK);
    let j = series.json();
    assert_eq!(j["interval_seconds"], 10);
    let samples = j["rooms"]["r"].as_array().unwrap();
    assert!(samples.len() >= 5, "{samples:?}");
    let last = samples.last().unwrap();
    for key in [
        "waiting",
        "admitted_per_minute",
        "active_sessions",
        "admit_per_minute",
        "estimated_wait_seconds",
        "upstream_latency_ms",
        "upstream_error_ratio",
        "wait_p50_seconds",
        "wait_p90_seconds",
        "told_unlikely",
    ] {
        assert!(last.get(key).is_some(), "{key} missing from {last}");
        assert!(
            page.body.contains(&format!("\"{key}\"")),
            "the page charts {key}"
        );
    }
    assert!(last["waiting"].as_u64().unwrap() > 0);
    assert!(samples
        .iter()
        .any(|s| s["admitted_per_minute"].as_f64().unwrap() > 0.0));
    // Those let in waited between nothing and the run's length: the last hour's median and
    // 90th percentile say so.
    let (p50, p90) = (
        last["wait_p50_seconds"].as_f64().unwrap(),
        last["wait_p90_seconds"].as_f64().unwrap(),
    );
    assert!(0.0 <= p50 && p50 <= p90 && p90 <= 120.0, "{last}");
}

fn ctl(admin: std::net::SocketAddr, args: &[&str], token: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(["ctl", "--admin", &format!("http://{admin}")])
        .args(args)
        .env_remove("WARTESAAL_ADMIN_TOKEN");
    if let Some(t) = token {
        cmd.env("WARTESAAL_ADMIN_TOKEN", t);
    }
    cmd.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctl_reads_and_changes_rooms_from_a_terminal() {
    let (_up, gw) = room_with_token("admit_per_minute = 60").await;
    let admin = gw.running.admin_addr;
    let out = tokio::task::spawn_blocking(move || ctl(admin, &["rooms"], None))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("ROOM"), "{table}");
    assert!(table.lines().nth(1).unwrap().starts_with("r "), "{table}");

    let out = tokio::task::spawn_blocking(move || {
        ctl(
            admin,
            &[
                "set",
                "r",
                "--rate",
                "30",
                "--pause",
                "--message-de",
                "Pause bis 9 Uhr",
            ],
            Some(ADMIN_TOKEN),
        )
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("paused"));
    let r = room_json(&gw).await;
    assert_eq!(r["admit_per_minute"], 30.0);
    assert_eq!(r["state"], "paused");
    assert_eq!(r["message"]["de"], "Pause bis 9 Uhr");

    let out = tokio::task::spawn_blocking(move || ctl(admin, &["set", "r", "--open"], None))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no admin token"));
    let out = tokio::task::spawn_blocking(move || {
        ctl(admin, &["set", "r", "--open"], Some("wrong-token"))
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
    let out = tokio::task::spawn_blocking(move || {
        ctl(admin, &["set", "r", "--rate=-5"], Some(ADMIN_TOKEN))
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("admit_per_minute"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        room_json(&gw).await["state"],
        "paused",
        "refused calls changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctl_sets_what_is_left_to_book_and_shows_a_sold_out_room() {
    let (_up, gw) =
        room_with_token("admit_per_minute = 60\n[rooms.supply]\nappointments = 40").await;
    let admin = gw.running.admin_addr;
    let out = tokio::task::spawn_blocking(move || {
        ctl(admin, &["set", "r", "--remaining", "0"], Some(ADMIN_TOKEN))
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let row = table.lines().nth(1).unwrap();
    assert!(row.contains("sold_out"), "{table}");
    assert_eq!(room_json(&gw).await["supply_remaining"], 0);
    let out = tokio::task::spawn_blocking(move || ctl(admin, &["rooms"], None))
        .await
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.lines().next().unwrap().contains("LEFT"), "{table}");
    let out = tokio::task::spawn_blocking(move || {
        ctl(admin, &["set", "r", "--remaining", "12"], Some(ADMIN_TOKEN))
    })
    .await
    .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let row = table.lines().nth(1).unwrap();
    assert!(row.contains("open") && row.contains(" 12 "), "{table}");
    // The dashboard shows it and takes a new figure.
    let page = gw.admin(Method::GET, "/", None, None).await;
    assert!(page.body.contains("Appointments left") && page.body.contains("supply_remaining"));
}
