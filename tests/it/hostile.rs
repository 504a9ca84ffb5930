//! Hostile clients and odd upstreams: what the gateway cuts short, cleans or refuses, each
//! against the real gateway and a real upstream on loopback.

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Empty};

use crate::support;

#[tokio::test]
async fn the_upstream_cannot_plant_or_overwrite_the_gateways_cookies() {
    let (_up, gw) = support::one_room("admit_per_minute = 600").await;
    let mut v = gw.visitor();
    assert_eq!(v.get("/").await.status, StatusCode::OK);
    let pass = v.cookie("wartesaal_r").expect("admitted");
    let req = v
        .request(Method::GET, "/cookies")
        .body(Empty::new().boxed())
        .unwrap();
    let a = v.send(req).await;
    assert_eq!(a.status, StatusCode::OK);
    let set: Vec<String> = a
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        set,
        vec!["session=site; Path=/; HttpOnly".to_string()],
        "{set:?}"
    );
    assert_eq!(
        v.cookie("wartesaal_r"),
        Some(pass),
        "the pass is the gateway's"
    );
    assert_eq!(
        gw.metric("wartesaal_protections_total{reason=\"upstream_cookie\",room=\"r\"}")
            .await,
        3.0
    );
    gw.stop().await;
}

#[tokio::test]
async fn client_sent_forwarding_claims_never_reach_the_booking_site() {
    let (up, gw) = support::one_room("admit_per_minute = 600").await;
    let mut v = gw.visitor();
    let req = v
        .request(Method::GET, "/claims")
        .header("forwarded", "for=203.0.113.9;proto=https")
        .header("x-real-ip", "203.0.113.9")
        .header("x-forwarded-port", "443")
        .header("x-forwarded-for", "203.0.113.9")
        .body(Empty::new().boxed())
        .unwrap();
    assert_eq!(v.send(req).await.status, StatusCode::OK);
    let seen = up.last("/claims").expect("forwarded");
    for name in ["forwarded", "x-real-ip", "x-forwarded-port"] {
        assert!(
            seen.headers.get(name).is_none(),
            "{name} reached the upstream"
        );
    }
    assert_eq!(seen.headers["x-forwarded-for"], "127.0.0.1");
    gw.stop().await;

    // From a trusted proxy they stand.
    let up = support::upstream().await;
    let gw = support::gateway(&support::config_text(
        "trusted_proxies = [\"127.0.0.1/32\"]",
        &support::room("r", &up.url(), "admit_per_minute = 600"),
    ))
    .await;
    let mut v = gw.visitor();
    let req = v
        .request(Method::GET, "/claims")
        .header("forwarded", "for=203.0.113.9")
        .header("x-real-ip", "203.0.113.9")
        .header("x-forwarded-port", "443")
        .body(Empty::new().boxed())
        .unwrap();
    assert_eq!(v.send(req).await.status, StatusCode::OK);
    let seen = up.last("/claims").expect("forwarded");
    assert_eq!(seen.headers["forwarded"], "for=203.0.113.9");
    assert_eq!(seen.headers["x-real-ip"], "203.0.113.9");
    assert_eq!(seen.headers["x-forwarded-port"], "443");
    gw.stop().await;
}

#[tokio::test]
async fn odd_targets_are_refused_with_a_reason() {
    let (up, gw) = support::one_room("admit_per_minute = 600\nbypass_paths = [\"/static/\"]").await;
    // Raw, so that the client sends the target exactly as written.
    for (target, why) in [
        ("/termine%00/x", "control character"),
        ("/static/%0d%0aX:1", "control character"),
        ("ftp://127.0.0.1/x", "only http:// and https://"),
        ("http://user@127.0.0.1/x", "user information"),
    ] {
        let answer = support::raw_request(
            gw.running.public_addrs[0],
            &format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{target}: {answer}");
        assert!(answer.contains(why), "{target}: {answer}");
    }
    assert!(
        up.paths().is_empty(),
        "nothing reached the upstream: {:?}",
        up.paths()
    );
    gw.stop().await;
}

#[test]
fn check_warns_when_trusted_proxies_trust_everyone() {
    let dir = support::temp_dir("trust-all");
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("secret.key");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wartesaal"))
        .arg("keygen")
        .output()
        .unwrap();
    std::fs::write(&key, out.stdout).unwrap();
    let config = dir.join("wartesaal.toml");
    let write = |trusted: &str| {
        std::fs::write(
            &config,
            format!(
                "[server]\ntrusted_proxies = {trusted}\n\n[keys]\nfiles = [\"{}\"]\n\n\
                 [[rooms]]\nid = \"r\"\nupstream = \"http://127.0.0.1:8081\"\n\
                 admit_per_minute = 60\n",
                key.display()
            ),
        )
        .unwrap();
    };
    let check = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_wartesaal"))
            .args(["check", "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    write("[\"0.0.0.0/0\", \"::/0\"]");
    let out = check();
    assert!(out.status.success(), "valid, so it still passes");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: server.trusted_proxies: 0.0.0.0/0"),
        "{err}"
    );
    assert!(err.contains("::/0"), "{err}");
    write("[\"10.0.0.0/8\"]");
    let out = check();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
}

#[tokio::test]
async fn a_pass_copied_to_many_machines_gets_no_more_than_one_browser() {
    let (up, gw) = support::one_room(
        "admit_per_minute = 600\n[rooms.issuance]\npass_requests_in_flight = 4\n\
         pass_requests_per_second = 8",
    )
    .await;
    let mut first = gw.visitor();
    assert_eq!(first.get("/").await.status, StatusCode::OK);
    let pass = first.cookie("wartesaal_r").expect("admitted");
    // Ten machines with the same pass, each on its own connection, at once.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let mut v = gw.visitor();
        v.set_cookie("wartesaal_r", &pass);
        tasks.push(tokio::spawn(async move { v.get("/slow?ms=500").await }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        if a.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(a.header("retry-after"), Some("1"));
        }
        statuses.push(a.status);
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((ok, refused), (4, 6), "{statuses:?}");
    let max = up.max_concurrent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        max <= 4,
        "{max} requests of one pass were at the upstream at once"
    );
    // Per second, in a second of its own (the clock stands still until moved).
    gw.advance(std::time::Duration::from_secs(1));
    let mut v = gw.visitor();
    v.set_cookie("wartesaal_r", &pass);
    let mut ok = 0;
    for _ in 0..20 {
        if v.get("/page").await.status == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, 8, "per second");
    gw.advance(std::time::Duration::from_secs(1));
    assert_eq!(
        v.get("/page").await.status,
        StatusCode::OK,
        "the next second"
    );
    assert_eq!(
        gw.metric("wartesaal_protections_total{reason=\"pass_limit\",room=\"r\"}")
            .await,
        6.0 + 12.0
    );
    // Another visitor's pass is not touched.
    let mut other = gw.visitor();
    assert_eq!(other.get("/").await.status, StatusCode::OK);
    gw.stop().await;
}

/// A connection to `addr` from the loopback address `from`.
async fn connect_from(from: &str, addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(addr).await.unwrap()
}

#[tokio::test]
async fn one_address_cannot_take_the_listener() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_up, gw) =
        support::gateway_with_upstream("max_connections_per_address = 8", "admit_per_minute = 600")
            .await;
    let addr = gw.running.public_addrs[0];
    // Twenty slowloris connections from one address: a head begun and never finished.
    let mut held = Vec::new();
    let mut closed = 0;
    for _ in 0..20 {
        let mut s = connect_from("127.0.0.1", addr).await;
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n").await;
        held.push(s);
    }
    for s in &mut held {
        let mut buf = [0u8; 64];
        // Refused connections are closed at once; held ones say nothing (the head is open).
        match tokio::time::timeout(std::time::Duration::from_millis(300), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed += 1,
            Ok(Ok(_)) => panic!("an answer to an unfinished head"),
            Err(_) => {}
        }
    }
    assert_eq!(closed, 12, "eight held, the rest closed");
    // Someone else gets the booking site meanwhile.
    let mut s = connect_from("127.0.0.2", addr).await;
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(gw.metric("wartesaal_connections_refused_total").await, 12.0);
    drop(held);
    gw.stop().await;
}

/// A connection from 127.0.0.1 with a 4 KiB receive buffer that asks for `path` and never
/// reads the answer.
async fn non_reader(addr: std::net::SocketAddr, path: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket.connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .await
        .unwrap();
    s
}

/// An upload of `len` bytes that sends its head and then a byte a second.
fn slow_uploader(
    addr: std::net::SocketAddr,
    path: &'static str,
    len: usize,
) -> tokio::task::JoinHandle<()> {
    use tokio::io::AsyncWriteExt;
    tokio::spawn(async move {
        let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
            return;
        };
        let head =
            format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len}\r\n\r\n");
        if s.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for _ in 0..len {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if s.write_all(b"x").await.is_err() {
                return;
            }
        }
    })
}

#[tokio::test]
async fn a_visitor_who_never_reads_and_an_upstream_that_stalls_free_their_slot() {
    let (up, gw) = support::one_room(
        "admit_per_minute = 600\nbypass_paths = [\"/download\"]\nbody_idle_timeout = \"1s\"\n\
         max_upstream_concurrency = 4",
    )
    .await;
    let addr = gw.running.public_addrs[0];
    let in_flight = "wartesaal_upstream_in_flight{room=\"r\"}";
    let idled = "wartesaal_protections_total{reason=\"response_idle\",room=\"r\"}";
    // 20 MB asked for and never read: the answer is cut and the slot freed.
    let stuck = non_reader(addr, "/download?bytes=20000000").await;
    support::eventually("the non-reader's answer is given up", || async {
        gw.metric(idled).await == 1.0 && gw.metric(in_flight).await == 0.0
    })
    .await;
    drop(stuck);
    // An upstream that stops inside its answer: the visitor gets what came, then the end.
    let mut v = gw.visitor();
    assert_eq!(v.get("/").await.status, StatusCode::OK);
    let req = v
        .request(Method::GET, "/stall")
        .body(Empty::new().boxed())
        .unwrap();
    let cut = v.try_send(req).await;
    assert!(
        cut.is_err(),
        "a short answer is not passed off as whole: {cut:?}"
    );
    assert_eq!(gw.metric(idled).await, 2.0);
    // Nor is a chunked one, whose end is only its last chunk.
    let req = v
        .request(Method::GET, "/stall-chunked")
        .body(Empty::new().boxed())
        .unwrap();
    let cut = v.try_send(req).await;
    assert!(cut.is_err(), "a cut chunked answer looks whole: {cut:?}");
    assert_eq!(gw.metric(idled).await, 3.0);
    assert_eq!(gw.metric(in_flight).await, 0.0);
    assert!(up.paths().contains(&"/stall".to_string()));
    gw.stop().await;
}

#[tokio::test]
async fn an_upload_is_read_before_it_takes_a_slot_and_a_stalled_one_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (up, gw) = support::one_room(
        "admit_per_minute = 600\nbypass_paths = [\"/upload\"]\nbody_idle_timeout = \"1s\"",
    )
    .await;
    let addr = gw.running.public_addrs[0];
    // Ten bytes of a hundred, then nothing: 408 after the idle timeout, nothing upstream.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789",
    )
    .await
    .unwrap();
    let mut answer = vec![0u8; 1024];
    let n = s.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("the upload stalled"), "{answer}");
    assert!(
        !up.paths().contains(&"/upload".to_string()),
        "nothing reached the upstream"
    );
    assert_eq!(
        gw.metric("wartesaal_protections_total{reason=\"upload_idle\",room=\"r\"}")
            .await,
        1.0
    );
    // One trickling in a byte at a time reaches the upstream whole, only once it is in.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    for byte in [b"a", b"b", b"c"] {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !up.paths().contains(&"/upload".to_string()),
            "still coming in"
        );
        s.write_all(byte).await.unwrap();
    }
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("\r\n\r\n3"),
        "{answer}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn an_admitted_visitor_gets_through_while_non_readers_and_slow_uploads_attack() {
    let (_up, gw) = support::one_room(
        "admit_per_minute = 600\nbypass_paths = [\"/download\", \"/upload\"]\n\
         max_upstream_concurrency = 4",
    )
    .await;
    let addr = gw.running.public_addrs[0];
    let mut visitor = gw.visitor();
    assert_eq!(
        visitor.get("/").await.status,
        StatusCode::OK,
        "admitted first"
    );
    let mut readers = Vec::new();
    for _ in 0..20 {
        readers.push(non_reader(addr, "/download?bytes=20000000").await);
    }
    let uploaders: Vec<_> = (0..40)
        .map(|_| slow_uploader(addr, "/upload", 60))
        .collect();
    for round in 0..10 {
        // A bound, not a measurement: the page must come, and well before the busy page's
        // two-second wait for a slot could run out.
        let page = tokio::time::timeout(std::time::Duration::from_secs(2), visitor.get("/termine"))
            .await
            .unwrap_or_else(|_| panic!("round {round}: no answer within 2 s"));
        assert_eq!(page.status, StatusCode::OK, "round {round}: {}", page.body);
        assert_eq!(page.body, "upstream:/termine");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for u in uploaders {
        u.abort();
    }
    drop(readers);
    gw.stop().await;
}

#[tokio::test]
async fn called_visitors_enter_in_ticket_order_and_the_status_says_what_the_page_does() {
    // One start a second: when five are called at once, they go in one by one.
    let (_up, gw) = support::one_room("admit_per_minute = 60").await;
    let mut visitors = Vec::new();
    for _ in 0..6 {
        let mut v = gw.visitor();
        v.get("/").await;
        visitors.push(v);
    }
    let first = visitors.remove(0);
    assert!(first.cookie("wartesaal_r").is_some());
    gw.advance(std::time::Duration::from_secs(5));
    // Every page polls its status; each is called.
    for v in visitors.iter_mut().rev() {
        assert_eq!(v.status("r").await["admitted"], true);
    }
    let mut entered = Vec::new();
    for round in 0..5 {
        // The latest numbers ask first, every time.
        for (i, v) in visitors.iter_mut().enumerate().rev() {
            if entered.contains(&i) {
                continue;
            }
            let page = v.get("/").await;
            if page.body == "upstream:/" {
                entered.push(i);
            } else {
                // Told "in a moment", behind the lower ones told so (in the first round
                // their status had told them "in", so nobody is shown ahead yet), and the
                // status says the same.
                let status = v.status("r").await;
                assert_eq!(
                    status["admitted"], false,
                    "round {round}, visitor {i}: {status}"
                );
                let ahead = if round == 0 { 0 } else { i - round };
                assert_eq!(status["position"], ahead as u64 + 1, "{status}");
            }
        }
        assert_eq!(entered.len(), round + 1, "one start a second");
        gw.advance(std::time::Duration::from_secs(1));
    }
    assert_eq!(entered, vec![0, 1, 2, 3, 4], "in ticket order");
    gw.stop().await;
}

/// An upstream that answers a plain request with a page and a WebSocket handshake with an
/// echo.
async fn websocket_echo() -> std::net::SocketAddr {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let text = loop {
                    let n = s.peek(&mut head).await.unwrap_or(0);
                    let text = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
                    if text.contains("\r\n\r\n") || n == 0 || n == head.len() {
                        break text;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                };
                if text.contains("upgrade: websocket") {
                    if let Ok(mut ws) = tokio_tungstenite::accept_async(s).await {
                        while let Some(Ok(msg)) = ws.next().await {
                            if msg.is_text() && ws.send(msg).await.is_err() {
                                break;
                            }
                        }
                    }
                } else {
                    let _ = s
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\npage")
                        .await;
                }
            });
        }
    });
    addr
}

/// A WebSocket handshake to the gateway with the visitor's cookie.
async fn websocket(
    gw: &support::Gateway,
    cookie: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    tokio_tungstenite::tungstenite::Error,
> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let addr = gw.running.public_addrs[0];
    let mut req = format!("ws://{addr}/socket").into_client_request().unwrap();
    req.headers_mut()
        .insert("cookie", format!("wartesaal_r={cookie}").parse().unwrap());
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio_tungstenite::client_async(req, tcp)
        .await
        .map(|(ws, _)| ws)
}

/// An admitted visitor's WebSocket to the echoing booking site, shown to echo.
async fn admitted_echo(
    gw: &support::Gateway,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut admitted = gw.visitor();
    assert_eq!(admitted.get("/").await.body, "page");
    let pass = admitted.cookie("wartesaal_r").unwrap();
    let mut ws = websocket(gw, &pass).await.expect("switched");
    ws.send(Message::text("hallo")).await.unwrap();
    let echoed = ws.next().await.unwrap().unwrap();
    assert_eq!(echoed.to_text().unwrap(), "hallo");
    ws
}

#[tokio::test]
async fn websockets_of_admitted_visitors_reach_the_booking_site_and_waiting_ones_do_not() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let echo = websocket_echo().await;
    let gw = support::gateway(&support::config_text(
        "",
        &support::room(
            "r",
            &format!("http://{echo}"),
            "admit_per_minute = 1\nbody_idle_timeout = \"1s\"",
        ),
    ))
    .await;
    let mut ws = admitted_echo(&gw).await;
    let in_flight = "wartesaal_upstream_in_flight{room=\"r\"}";
    assert_eq!(gw.metric(in_flight).await, 1.0, "it holds an upstream slot");

    // Someone still in line gets the waiting page, not the booking site's socket.
    let mut waiting = gw.visitor();
    assert!(waiting.get("/").await.body.contains("Warteschlange"));
    let ticket = waiting.cookie("wartesaal_r").unwrap();
    match websocket(&gw, &ticket).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), StatusCode::OK, "the waiting page");
        }
        other => panic!("a waiting visitor switched: {:?}", other.map(|_| ())),
    }

    // Quiet for body_idle_timeout: closed, and the slot is free again.
    let end = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
        .await
        .expect("closed by the gateway");
    assert!(!matches!(end, Some(Ok(Message::Text(_)))), "{end:?}");
    support::eventually("the slot is freed", || async {
        gw.metric(in_flight).await == 0.0
    })
    .await;
    gw.stop().await;
}

#[tokio::test]
async fn a_websocket_counts_against_its_addresss_connection_cap() {
    use futures_util::SinkExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let echo = websocket_echo().await;
    let gw = support::gateway(&support::config_text(
        "max_connections_per_address = 1",
        &support::room("r", &format!("http://{echo}"), "admit_per_minute = 600"),
    ))
    .await;
    let addr = gw.running.public_addrs[0];
    // A pass, fetched from another address.
    let mut s = connect_from("127.0.0.2", addr).await;
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    let pass = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: wartesaal_r="))
        .and_then(|c| c.split(';').next())
        .expect("a pass")
        .to_string();
    // The WebSocket from 127.0.0.1 is that address's one connection, after its 101 too.
    let mut req = format!("ws://{addr}/socket").into_client_request().unwrap();
    req.headers_mut()
        .insert("cookie", format!("wartesaal_r={pass}").parse().unwrap());
    let tcp = connect_from("127.0.0.1", addr).await;
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    ws.send(Message::text("hallo")).await.unwrap();
    let mut second = connect_from("127.0.0.1", addr).await;
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), second.read(&mut buf))
        .await
        .expect("refused at once");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // Once the WebSocket is closed, the address may connect again.
    ws.close(None).await.unwrap();
    drop(ws);
    support::eventually("the address's place is back", || async {
        let mut s = connect_from("127.0.0.1", addr).await;
        s.write_all(b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .is_ok()
            && {
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer).await;
                answer.starts_with("HTTP/1.1")
            }
    })
    .await;
    gw.stop().await;
}

#[tokio::test]
async fn a_shutdown_ends_open_websockets_after_the_grace_period() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let echo = websocket_echo().await;
    // grace_period is 1 s (support's config); the socket would stay open for an hour.
    let gw = support::gateway(&support::config_text(
        "",
        &support::room(
            "r",
            &format!("http://{echo}"),
            "admit_per_minute = 60\nbody_idle_timeout = \"1h\"",
        ),
    ))
    .await;
    let mut ws = admitted_echo(&gw).await;
    let gateway = gw.running.gateway.clone();
    assert_eq!(gateway.tunnels_open(), 1);

    tokio::time::timeout(std::time::Duration::from_secs(10), gw.stop())
        .await
        .expect("the shutdown ends");
    assert_eq!(gateway.tunnels_open(), 0, "no tunnel outlives the shutdown");
    let end = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
        .await
        .expect("the socket is closed");
    assert!(!matches!(end, Some(Ok(Message::Text(_)))), "{end:?}");
}
