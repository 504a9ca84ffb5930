//! The upstream client against a scripted upstream that writes raw bytes: how answers are
//! delimited, which connections are reused, and when a request is sent again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support;

/// What the scripted upstream does with one request.
enum Act {
    /// Writes these bytes and waits for the next request.
    Answer(String),
    /// Writes these bytes and closes.
    AnswerAndClose(String),
    /// Closes without a word.
    Close,
    /// Answers as soon as the head is in, reads nothing of the body, and keeps the
    /// connection open for ten seconds: an upload refused early.
    RefuseUpload(String),
}

/// One request as the upstream read it.
#[derive(Debug, Clone)]
struct Got {
    connection: usize,
    head: String,
    body: Vec<u8>,
}

struct Raw {
    addr: std::net::SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
    connections: Arc<AtomicUsize>,
}

impl Raw {
    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

/// Reads one request's head. `None` at the end.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
    buf.drain(..end);
    Some(head)
}

/// Reads the body `head` announces: `Content-Length` or chunked. `None` at the end.
async fn read_body(stream: &mut TcpStream, buf: &mut Vec<u8>, head: &str) -> Option<Vec<u8>> {
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let complete = match (length, chunked) {
            (Some(n), _) => (buf.len() >= n).then_some(n),
            (None, true) => buf
                .windows(5)
                .position(|w| w == b"0\r\n\r\n")
                .map(|at| at + 5),
            (None, false) => Some(0),
        };
        if let Some(n) = complete {
            return Some(buf.drain(..n).collect());
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// An upstream that answers each request as `script(connection, request on it, head)` says.
async fn raw_upstream<F>(script: F) -> Raw
where
    F: Fn(usize, usize, &str) -> Act + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let script = Arc::new(script);
    let (g, c) = (got.clone(), connections.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let connection = c.fetch_add(1, Ordering::SeqCst);
            let (g, script) = (g.clone(), script.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                for nth in 0.. {
                    let Some(head) = read_head(&mut stream, &mut buf).await else {
                        return;
                    };
                    let act = script(connection, nth, &head);
                    if let Act::RefuseUpload(bytes) = &act {
                        let _ = stream.write_all(bytes.as_bytes()).await;
                        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                        return;
                    }
                    let Some(body) = read_body(&mut stream, &mut buf, &head).await else {
                        return;
                    };
                    g.lock().unwrap().push(Got {
                        connection,
                        head,
                        body,
                    });
                    match act {
                        Act::Answer(bytes) => {
                            if stream.write_all(bytes.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        Act::AnswerAndClose(bytes) => {
                            let _ = stream.write_all(bytes.as_bytes()).await;
                            return;
                        }
                        Act::Close | Act::RefuseUpload(_) => return,
                    }
                }
            });
        }
    });
    Raw {
        addr,
        got,
        connections,
    }
}

async fn room_before(raw: &Raw) -> support::Gateway {
    let url = format!("http://{}", raw.addr);
    support::gateway(&support::config_text(
        "",
        &support::room(
            "r",
            &url,
            "admit_per_minute = 600\nupstream_timeout = \"5s\"",
        ),
    ))
    .await
}

fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_kept_connection_closed_unanswered_is_retried_only_for_a_safe_request() {
    // Every connection answers its first request and closes on its second without a word:
    // the race of an upstream closing a kept connection just as a request goes out.
    let raw = raw_upstream(|connection, nth, _| match nth {
        0 => Act::Answer(ok(&format!("conn{connection}"))),
        _ => Act::Close,
    })
    .await;
    let gw = room_before(&raw).await;
    let mut v = gw.visitor();
    assert_eq!(v.get("/a").await.body, "conn0");
    // Sent on the kept connection, which closes: sent again on a new one.
    let b = v.get("/b").await;
    assert_eq!((b.status, b.body.as_str()), (StatusCode::OK, "conn1"));
    // A POST is never sent twice: the visitor gets the busy page.
    let c = v.post("/c", "name=x").await;
    assert_eq!(c.status, StatusCode::SERVICE_UNAVAILABLE);
    let posts: Vec<Got> = raw
        .got()
        .into_iter()
        .filter(|g| g.head.starts_with("post"))
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].body, b"name=x");
    let gets: Vec<usize> = raw
        .got()
        .iter()
        .filter(|g| g.head.starts_with("get /b"))
        .map(|g| g.connection)
        .collect();
    assert_eq!(
        gets,
        vec![0, 1],
        "sent on the kept one, then once more on a new one"
    );
}

#[tokio::test]
async fn answers_are_delimited_as_the_upstream_framed_them() {
    let raw = raw_upstream(|_, _, head| {
        let path = head.split(' ').nth(1).unwrap_or("/").to_string();
        if head.starts_with("head ") {
            return Act::Answer("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n".into());
        }
        match path.as_str() {
            "/chunked" => Act::Answer(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
                 5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n"
                    .into(),
            ),
            // No length at all: the body runs to the connection's end.
            "/to-close" => Act::AnswerAndClose("HTTP/1.0 200 OK\r\n\r\nuntil the end".into()),
            // Both framings: chunked counts, the length is not passed on, the connection ends.
            "/both" => Act::Answer(
                "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n\
                 6\r\nchunks\r\n0\r\n\r\n"
                    .into(),
            ),
            "/bad-length" => {
                Act::Answer("HTTP/1.1 200 OK\r\ncontent-length: 3, 4\r\n\r\nabcd".into())
            }
            "/interim" => Act::Answer(format!(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n{}",
                ok("final")
            )),
            "/garbage" => Act::AnswerAndClose("SSH-2.0-OpenSSH_9.6\r\n\r\n".into()),
            "/empty" => Act::Answer("HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n".into()),
            _ => Act::Answer(ok("plain")),
        }
    })
    .await;
    let gw = room_before(&raw).await;
    let mut v = gw.visitor();
    assert_eq!(v.get("/").await.body, "plain");
    let chunked = v.get("/chunked").await;
    assert_eq!(chunked.body, "hello, world");
    assert_eq!(raw.connections.load(Ordering::SeqCst), 1, "chunked kept it");
    assert_eq!(v.get("/empty").await.status, StatusCode::NO_CONTENT);
    let head = v
        .send(
            v.request(Method::HEAD, "/")
                .body(http_body_util::Empty::new().boxed())
                .unwrap(),
        )
        .await;
    assert_eq!((head.status, head.body.as_str()), (StatusCode::OK, ""));
    assert_eq!(v.get("/interim").await.body, "final");
    assert_eq!(
        raw.connections.load(Ordering::SeqCst),
        1,
        "all on one connection"
    );

    assert_eq!(v.get("/to-close").await.body, "until the end");
    let both = v.get("/both").await;
    assert_eq!(both.body, "chunks");
    assert_ne!(both.header("content-length"), Some("3"));
    assert_eq!(v.get("/after").await.body, "plain");
    assert_eq!(
        raw.connections.load(Ordering::SeqCst),
        3,
        "neither the read-to-close nor the doubly framed connection was reused"
    );

    for bad in ["/bad-length", "/garbage"] {
        let a = v.get(bad).await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{bad}");
        assert!(!a.body.contains("abcd"));
    }
    assert_eq!(v.get("/last").await.body, "plain");
}

#[tokio::test]
async fn request_bodies_go_out_with_our_framing() {
    let raw = raw_upstream(|_, _, _| Act::Answer(ok("stored"))).await;
    let gw = room_before(&raw).await;
    let mut v = gw.visitor();
    assert_eq!(v.post("/form", "a=1&b=2").await.body, "stored");
    // A body of unknown length (streamed by the visitor) goes out chunked once it is longer
    // than what is read ahead of the upstream (64 KiB); a short one is read whole and goes
    // out with its length.
    let pad = "x".repeat(40_000);
    let parts = [format!("part one, {pad}"), format!("part two{pad}")];
    let stream = http_body_util::StreamBody::new(futures_util::stream::iter(
        parts.map(|p| Ok::<_, std::convert::Infallible>(http_body::Frame::data(Bytes::from(p)))),
    ));
    let req = v
        .request(Method::PUT, "/stream")
        .body(stream.boxed())
        .unwrap();
    assert_eq!(v.send(req).await.body, "stored");
    let short = http_body_util::StreamBody::new(futures_util::stream::iter(
        ["short, ", "streamed"]
            .map(|p| Ok::<_, std::convert::Infallible>(http_body::Frame::data(Bytes::from(p)))),
    ));
    let req = v
        .request(Method::PUT, "/short")
        .body(short.boxed())
        .unwrap();
    assert_eq!(v.send(req).await.body, "stored");
    let empty = v
        .request(Method::POST, "/empty")
        .body(Full::new(Bytes::new()).boxed())
        .unwrap();
    assert_eq!(v.send(empty).await.body, "stored");

    let got = raw.got();
    let form = got
        .iter()
        .find(|g| g.head.starts_with("post /form"))
        .unwrap();
    assert!(form.head.contains("content-length: 7\r\n"), "{}", form.head);
    assert_eq!(form.body, b"a=1&b=2");
    let streamed = got
        .iter()
        .find(|g| g.head.starts_with("put /stream"))
        .unwrap();
    assert!(
        streamed.head.contains("transfer-encoding: chunked\r\n"),
        "{}",
        streamed.head
    );
    assert!(
        !streamed.head.contains("content-length"),
        "{}",
        streamed.head
    );
    let text = String::from_utf8_lossy(&streamed.body);
    assert!(
        text.contains("part one, ") && text.contains("part two") && text.ends_with("0\r\n\r\n")
    );
    let short = got
        .iter()
        .find(|g| g.head.starts_with("put /short"))
        .unwrap();
    assert!(
        short.head.contains("content-length: 15\r\n"),
        "{}",
        short.head
    );
    assert_eq!(short.body, b"short, streamed");
    let empty = got
        .iter()
        .find(|g| g.head.starts_with("post /empty"))
        .unwrap();
    assert!(
        empty.head.contains("content-length: 0\r\n"),
        "{}",
        empty.head
    );
    assert_eq!(raw.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_upload_refused_before_it_is_read_gets_the_refusal() {
    // The upstream answers 413 on seeing the head and never reads the body. Without listening
    // while it writes, the gateway would sit on full buffers until `upstream_timeout` and show
    // the busy page.
    let raw = raw_upstream(|_, _, head| {
        if head.starts_with("post") {
            Act::RefuseUpload(
                "HTTP/1.1 413 Content Too Large\r\ncontent-length: 7\r\nconnection: close\r\n\r\ntoo big"
                    .into(),
            )
        } else {
            Act::Answer(ok("plain"))
        }
    })
    .await;
    let gw = room_before(&raw).await;
    let mut v = gw.visitor();
    assert_eq!(v.get("/").await.body, "plain");
    // 32 MiB: far more than the sockets between gateway and upstream hold.
    let upload = Full::new(Bytes::from(vec![b'x'; 32 << 20])).boxed();
    let req = v.request(Method::POST, "/upload").body(upload).unwrap();
    let a = v.send(req).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too big")
    );
    // The refused connection is not used again.
    assert_eq!(v.get("/after").await.body, "plain");
    assert_eq!(raw.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_upload_the_visitor_cuts_off_is_no_mark_against_the_upstream() {
    let (up, gw) = support::one_room("admit_per_minute = 600").await;
    let mut v = gw.visitor();
    assert_eq!(v.get("/").await.status, StatusCode::OK);
    let pass = v.cookie("wartesaal_r").unwrap();
    // 70,000 of 100,000 announced bytes (more than is read ahead of the upstream, so the
    // upload is on its way there), then the visitor is gone.
    let mut raw = TcpStream::connect(gw.running.public_addrs[0])
        .await
        .unwrap();
    let head = format!(
        "POST /upload HTTP/1.1\r\nhost: site.test\r\ncookie: wartesaal_r={pass}\r\n\
         content-length: 100000\r\n\r\n{}",
        "0".repeat(70_000)
    );
    raw.write_all(head.as_bytes()).await.unwrap();
    support::eventually("the upload reached the upstream", || async {
        up.paths().iter().any(|p| p == "/upload")
    })
    .await;
    drop(raw);
    support::eventually("the cut-off upload was answered", || async {
        gw.metric("wartesaal_requests_total{outcome=\"rejected\",room=\"r\"}")
            .await
            == 1.0
    })
    .await;
    let errors = gw.metrics().await;
    assert!(
        !errors.contains("wartesaal_upstream_responses_total{class=\"error\",room=\"r\"} 1"),
        "{errors}"
    );
}
