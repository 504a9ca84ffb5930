//! The upstream test servers: a real HTTP server standing in for the booking site, which
//! records what it saw and answers by path (echo, slow, streamed, stalled, supply reports …),
//! and the bodies it streams.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::TestBody;

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
}

/// A real HTTP server standing in for the booking site.
pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub max_concurrent: Arc<AtomicUsize>,
    /// TCP connections accepted so far.
    pub connections: Arc<AtomicUsize>,
}

impl Upstream {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn paths(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.path.clone())
            .collect()
    }

    pub fn last(&self, path: &str) -> Option<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|s| s.path == path)
            .cloned()
    }
}

static ZEROS: [u8; 64 * 1024] = [0u8; 64 * 1024];

/// A body of `remaining` zero bytes, made on the fly in 64 KiB chunks.
pub struct Zeros {
    pub remaining: u64,
}

impl Body for Zeros {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(ZEROS.len() as u64) as usize;
        self.remaining -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&ZEROS[..n])))))
    }
}

/// A body that sends `first` and then nothing for a minute (an upstream that stalls inside
/// its answer).
pub struct Stall {
    first: Option<Bytes>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Body for Stall {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        self.sleep.as_mut().poll(cx).map(|()| None)
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<TestBody> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status;
    r
}

async fn upstream_handle(
    req: Request<Incoming>,
    seen: Arc<Mutex<Vec<Seen>>>,
    current: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
) -> Response<TestBody> {
    let now = current.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(now, Ordering::SeqCst);
    seen.lock().unwrap().push(Seen {
        method: req.method().clone(),
        path: req.uri().path().to_string(),
        headers: req.headers().clone(),
    });
    let query = req.uri().query().unwrap_or("").to_string();
    // As Apache answers TRACE by default (`TraceEnable On`): the request's head echoed back,
    // in the body and (as some debug handlers do) in the answer's headers.
    let echo = req.method() == Method::TRACE || req.uri().path().ends_with("/echo");
    if echo {
        let mut body = format!("{} {}\r\n", req.method(), req.uri());
        let mut r = text(StatusCode::OK, "");
        for (name, value) in req.headers() {
            body.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or("?")));
            if !matches!(
                name.as_str(),
                "content-length" | "transfer-encoding" | "connection" | "host"
            ) {
                r.headers_mut().append(name.clone(), value.clone());
            }
        }
        *r.body_mut() = Full::new(Bytes::from(body)).boxed();
        current.fetch_sub(1, Ordering::SeqCst);
        return r;
    }
    let resp = match req.uri().path() {
        "/release" => {
            let mut r = text(StatusCode::OK, "booked");
            r.headers_mut()
                .insert("x-wartesaal-release", "1".parse().unwrap());
            r
        }
        // Reports to the gateway what the query says: `b=` X-Wartesaal-Booked, `c=`
        // -Cancelled, `r=` -Remaining (each as often as given), `rel=1` ends the session.
        "/supply" => {
            let mut r = text(StatusCode::OK, "supply");
            let h = r.headers_mut();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let name = match k {
                    "b" => "x-wartesaal-booked",
                    "c" => "x-wartesaal-cancelled",
                    "r" => "x-wartesaal-remaining",
                    "rel" => "x-wartesaal-release",
                    _ => continue,
                };
                h.append(name, v.parse().unwrap());
            }
            r
        }
        // Answers, then closes the connection (`Connection: close`).
        "/close" => {
            let mut r = text(StatusCode::OK, "closed");
            r.headers_mut()
                .insert("connection", "close".parse().unwrap());
            r
        }
        // Ten bytes of a thousand, then nothing for a minute.
        "/stall" => {
            let mut r = Response::new(
                Stall {
                    first: Some(Bytes::from_static(b"0123456789")),
                    sleep: Box::pin(tokio::time::sleep(Duration::from_secs(60))),
                }
                .boxed(),
            );
            r.headers_mut()
                .insert("content-length", "1000".parse().unwrap());
            r
        }
        // The same without a length: chunked, so only the missing last chunk shows the cut.
        "/stall-chunked" => Response::new(
            Stall {
                first: Some(Bytes::from_static(b"0123456789")),
                sleep: Box::pin(tokio::time::sleep(Duration::from_secs(60))),
            }
            .boxed(),
        ),
        // Tries to plant the gateway's cookies beside one of its own.
        "/cookies" => {
            let mut r = text(StatusCode::OK, "cookies");
            let h = r.headers_mut();
            for cookie in [
                "wartesaal_r=forged; Path=/",
                "session=site; Path=/; HttpOnly",
                " wartesaal_other =x",
                "wartesaal-lang=en; Path=/",
            ] {
                h.append("set-cookie", cookie.parse().unwrap());
            }
            r
        }
        "/hop" => {
            let mut r = text(StatusCode::OK, "hop");
            let h = r.headers_mut();
            h.insert("connection", "x-resp-private".parse().unwrap());
            h.insert("x-resp-private", "secret".parse().unwrap());
            h.insert("keep-alive", "timeout=5".parse().unwrap());
            h.insert("x-resp-kept", "yes".parse().unwrap());
            r
        }
        "/upload" => {
            let mut body = req.into_body();
            let mut total = 0u64;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.map(|f| f.into_data()) {
                    total += data.map(|d| d.len() as u64).unwrap_or(0);
                } else {
                    break;
                }
            }
            text(StatusCode::OK, total.to_string())
        }
        "/download" => {
            let bytes = query
                .strip_prefix("bytes=")
                .and_then(|b| b.parse().ok())
                .unwrap_or(0);
            Response::new(Zeros { remaining: bytes }.boxed())
        }
        // Fine alone, but past two requests at once it slows down and fails.
        "/strained" => {
            if now > 2 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                text(StatusCode::SERVICE_UNAVAILABLE, "overloaded")
            } else {
                tokio::time::sleep(Duration::from_millis(5)).await;
                text(StatusCode::OK, "strained")
            }
        }
        "/slow" => {
            let ms = query
                .strip_prefix("ms=")
                .and_then(|b| b.parse().ok())
                .unwrap_or(100);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            text(StatusCode::OK, "slow")
        }
        path => text(StatusCode::OK, format!("upstream:{path}")),
    };
    current.fetch_sub(1, Ordering::SeqCst);
    resp
}

pub async fn upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let current = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let connections = Arc::new(AtomicUsize::new(0));
    let (s, c, m, n) = (
        seen.clone(),
        current.clone(),
        max.clone(),
        connections.clone(),
    );
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            n.fetch_add(1, Ordering::SeqCst);
            let (s, c, m) = (s.clone(), c.clone(), m.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let (s, c, m) = (s.clone(), c.clone(), m.clone());
                    async move { Ok::<_, Infallible>(upstream_handle(req, s, c, m).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        max_concurrent: max,
        connections,
    }
}
