//! Requests the gateway must read with care: malformed and oversized heads, slow clients,
//! other spellings of the protected prefix, odd and copied cookies.

use std::time::Duration;

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Empty};

use crate::support::{self, line_of_three};

const COOKIE: &str = "wartesaal_r";

#[tokio::test]
async fn hostile_requests_get_clear_answers() {
    let (_up, gw) = support::one_room("admit_per_minute = 600").await;
    let mut v = gw.visitor();
    v.host = "a b".into();
    assert_eq!(v.get("/").await.status, StatusCode::BAD_REQUEST);
    let mut v = gw.visitor();
    v.host = "x".repeat(300);
    assert_eq!(v.get("/").await.status, StatusCode::BAD_REQUEST);
    // Garbage and oversized cookies are no token: a fresh ticket, not an error.
    let mut v = gw.visitor();
    v.set_cookie(COOKIE, &"%".repeat(4000));
    assert_eq!(v.get("/").await.status, StatusCode::OK);
    assert!(v.cookie(COOKIE).unwrap().len() < 100);
    assert_eq!(
        gw.metric("wartesaal_tokens_rejected_total{reason=\"malformed\",room=\"r\"}")
            .await,
        1.0
    );
    // A head over the size limit is refused by the server, not buffered.
    let mut v = gw.visitor();
    v.set_cookie("big", &"a".repeat(100_000));
    let status = v.get("/").await.status;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}

#[tokio::test]
async fn a_called_ticket_copied_to_many_browsers_is_one_session() {
    let (_up, gw) = support::one_room("admit_per_minute = 60").await;
    let mut first = gw.visitor();
    first.get("/").await;
    let mut holder = gw.visitor();
    holder.get("/").await;
    let ticket = holder.cookie(COOKIE).unwrap();
    gw.advance(Duration::from_secs(1));
    assert_eq!(holder.status("r").await["admitted"], true);
    // Three passes per ticket by default (another device, a reload racing the cookie); the
    // other copies queue again at the back.
    let mut inside = Vec::new();
    for i in 0..10 {
        let mut copy = gw.visitor();
        copy.set_cookie(COOKIE, &ticket);
        let got_in = copy.get("/").await.body == "upstream:/";
        assert_eq!(got_in, i < 3, "copy {i}");
        if got_in {
            inside.push(copy);
        }
    }
    assert_eq!(gw.metric("wartesaal_admitted_total{room=\"r\"}").await, 2.0);
    assert_eq!(
        gw.metric("wartesaal_active_sessions{room=\"r\"}").await,
        2.0
    );
    // Once the upstream ends that session, no copy gets back in.
    assert_eq!(inside[0].get("/release").await.body, "booked");
    assert_ne!(inside[1].get("/").await.body, "upstream:/");
    let mut again = gw.visitor();
    again.set_cookie(COOKIE, &ticket);
    assert_ne!(again.get("/").await.body, "upstream:/");
}

#[tokio::test]
async fn other_spellings_of_the_protected_prefix_are_queued() {
    let (_up, gw) = support::one_room(
        "admit_per_minute = 1\npath_prefix = \"/termine/\"\nbypass_paths = [\"/static/\"]",
    )
    .await;
    let mut first = gw.visitor();
    assert_eq!(first.get("/termine/").await.body, "upstream:/termine/");
    for path in [
        "/%74ermine/buchen",
        "/TERMINE/buchen",
        "//termine/buchen",
        "/termine;x=1/buchen",
        "/x/%2e%2e/termine/buchen",
        "/static/..;/termine/buchen",
        "/termine",
    ] {
        let mut v = gw.visitor();
        let a = v.get(path).await;
        assert!(
            a.body.contains("Warteschlange"),
            "{path} got past the line: {}",
            a.body
        );
    }
    let mut v = gw.visitor();
    assert_eq!(v.get("/impressum").await.body, "upstream:/impressum");
    assert_eq!(v.get("/static/a.css").await.body, "upstream:/static/a.css");
}

#[tokio::test]
async fn the_sites_own_non_ascii_cookies_do_not_hide_the_ticket() {
    let (_up, gw) = support::one_room("admit_per_minute = 1").await;
    let _line = line_of_three(&gw).await;
    let mut v = gw.visitor();
    v.get("/").await;
    let ticket = v.cookie(COOKIE).unwrap();
    let req = v
        .request(Method::GET, "/.wartesaal/status?room=r")
        .header("accept", "application/json")
        .header(
            "cookie",
            http::HeaderValue::from_bytes(
                format!("name=M\u{fc}ller; {COOKIE}={ticket}").as_bytes(),
            )
            .unwrap(),
        )
        .body(Empty::new().boxed())
        .unwrap();
    let a = v.send(req).await;
    assert_eq!(a.json()["position"], 3, "{}", a.body);
}

/// Sends raw bytes on a fresh connection and returns the status line of the answer, or `None`
/// when the server closed the connection without one.
async fn raw_status(addr: std::net::SocketAddr, bytes: &[u8]) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    text.lines().next().map(str::to_string)
}

#[tokio::test]
async fn malformed_and_oversized_heads_get_a_4xx() {
    let (_up, gw) = support::one_room("admit_per_minute = 600").await;
    let addr = gw.running.public_addrs[0];
    let many: String = (0..150).map(|i| format!("x-h{i}: v\r\n")).collect();
    let long_path = format!("/{}", "a".repeat(70_000));
    for (what, bytes) in [
        (
            "too many headers",
            format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n"),
        ),
        (
            "a path longer than the head limit",
            format!("GET {long_path} HTTP/1.1\r\nHost: a\r\n\r\n"),
        ),
        ("garbage", "\u{1}\u{2}NOT HTTP AT ALL\r\n\r\n".to_string()),
        (
            "a header without a colon",
            "GET / HTTP/1.1\r\nHost: a\r\nbroken header\r\n\r\n".to_string(),
        ),
        (
            "two Host headers",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".to_string(),
        ),
        (
            "a request target that is not a path",
            "GET * HTTP/1.1\r\nHost: a\r\n\r\n".to_string(),
        ),
    ] {
        let status = raw_status(addr, bytes.as_bytes())
            .await
            .unwrap_or_else(|| panic!("{what}: closed without an answer"));
        let code: u16 = status
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("{what}: {status}"));
        assert!((400..500).contains(&code), "{what}: {status}");
    }
    // And the gateway still serves.
    assert_eq!(gw.visitor().get("/").await.body, "upstream:/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_do_not_stop_a_normal_visitor() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = support::upstream().await;
    let gw = support::gateway(&support::config_text(
        "header_read_timeout = \"2s\"",
        &support::room("r", &up.url(), "admit_per_minute = 600"),
    ))
    .await;
    let addr = gw.running.public_addrs[0];
    let mut slow = Vec::new();
    for _ in 0..500 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"G").await.unwrap();
        slow.push(s);
    }
    // One more header byte a second on every connection, for as long as the server listens.
    let (mut readers, mut writers): (Vec<_>, Vec<_>) =
        slow.into_iter().map(|s| s.into_split()).unzip();
    let dribble = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        for byte in b"ET / HTTP/1.1\r\nHost: site.test\r\nX-Slow: "
            .iter()
            .cycle()
        {
            tick.tick().await;
            let mut open = 0;
            for w in &mut writers {
                if w.write_all(&[*byte]).await.is_ok() {
                    open += 1;
                }
            }
            if open == 0 {
                return;
            }
        }
    });

    let mut v = gw.visitor();
    assert_eq!(v.get("/book").await.body, "upstream:/book");
    assert_eq!(v.get("/book").await.body, "upstream:/book");

    // The slow ones are cut off by header_read_timeout, none of them got through.
    for r in &mut readers {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), r.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "a slow connection was never closed");
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }
    dribble.abort();
    assert!(!up.paths().iter().any(|p| p != "/book"), "{:?}", up.paths());
}
