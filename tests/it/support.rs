//! Test harness: a real upstream and the real gateway, both on 127.0.0.1:0, a manual clock,
//! and visitors that keep their cookie like a browser.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use wartesaal::access::ticket::Secret;
use wartesaal::clock::ManualClock;
use wartesaal::config::{Config, KeySource};
use wartesaal::Running;

pub type TestBody = BoxBody<Bytes, Infallible>;

/// 2026-11-23T00:00:00Z
pub const T0: u64 = 1_795_392_000_000;
pub const SECRET: [u8; 32] = [42u8; 32];

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

/// The real gateway, started in-process.
pub struct Gateway {
    pub running: Running,
    pub clock: Arc<ManualClock>,
    pub client: Client<HttpConnector, TestBody>,
}

/// A fresh, empty directory under the system's temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "wartesaal-it-{}-{name}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Config text with the listeners on free ports and the state in a fresh directory; `rooms`
/// is the `[[rooms]]` part.
pub fn config_text(server_extra: &str, rooms: &str) -> String {
    config_in(&temp_dir("state"), server_extra, rooms)
}

/// Like `config_text`, with the state kept in `state_dir`.
pub fn config_in(state_dir: &Path, server_extra: &str, rooms: &str) -> String {
    config_full(state_dir, server_extra, "", rooms)
}

/// Config text with extra `[server]` and `[admin]` keys.
pub fn config_full(state_dir: &Path, server_extra: &str, admin_extra: &str, rooms: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ngrace_period = \"1s\"\n{server_extra}\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n{admin_extra}\n\n[state]\ndir = \"{}\"\n\n{rooms}",
        state_dir.display()
    )
}

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// `token_file = ...` for `[admin]`, with a file holding `ADMIN_TOKEN`.
pub fn admin_token_line() -> String {
    let dir = temp_dir("token");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("admin.token");
    std::fs::write(&file, format!("{ADMIN_TOKEN}\n")).unwrap();
    format!("token_file = \"{}\"", file.display())
}

/// A single room in front of `upstream` with extra keys.
pub fn room(id: &str, upstream: &str, extra: &str) -> String {
    format!("[[rooms]]\nid = \"{id}\"\nupstream = \"{upstream}\"\n{extra}\n")
}

pub async fn gateway(config: &str) -> Gateway {
    gateway_at(config, T0).await
}

/// A gateway whose clock starts at `now`.
pub async fn gateway_at(config: &str, now: u64) -> Gateway {
    let config = Config::from_toml(
        config,
        Path::new("test.toml"),
        KeySource::Given(vec![Secret::from_bytes(SECRET)]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(now));
    let running = wartesaal::start(config, clock.clone()).await.unwrap();
    Gateway {
        running,
        clock,
        client: Client::builder(TokioExecutor::new()).build_http(),
    }
}

/// A gateway with the given `[[rooms]]` sections (see `room`).
pub async fn gateway_with_rooms(rooms: &[String]) -> Gateway {
    gateway(&config_text("", &rooms.concat())).await
}

/// A real upstream and a gateway with one room `r` in front of it; `extra` adds room keys.
pub async fn one_room(extra: &str) -> (Upstream, Gateway) {
    let up = upstream().await;
    let gw = gateway(&config_text("", &room("r", &up.url(), extra))).await;
    (up, gw)
}

/// `one_room` with extra `[server]` keys.
pub async fn gateway_with_upstream(server_extra: &str, extra: &str) -> (Upstream, Gateway) {
    let up = upstream().await;
    let gw = gateway(&config_text(server_extra, &room("r", &up.url(), extra))).await;
    (up, gw)
}

/// What a visitor got back, body read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Gateway {
    pub fn base(&self) -> String {
        format!("http://{}", self.running.public_addrs[0])
    }

    pub fn visitor(&self) -> Visitor {
        Visitor {
            client: self.client.clone(),
            base: self.base(),
            host: "site.test".to_string(),
            cookies: Vec::new(),
        }
    }

    /// Stops the gateway as SIGTERM would: drains and saves the line.
    pub async fn stop(self) {
        self.running.shutdown().await.unwrap();
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// A call to the admin listener; `token` goes in as a bearer token.
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.running.admin_addr));
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(b) => Full::new(Bytes::from(b.to_string())).boxed(),
            None => Empty::new().boxed(),
        };
        let resp = self.client.request(req.body(body).unwrap()).await.unwrap();
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// `PATCH /api/v1/rooms/{room}` with the right token.
    pub async fn patch(&self, room: &str, body: &str) -> Answer {
        self.admin(
            Method::PATCH,
            &format!("/api/v1/rooms/{room}"),
            Some(ADMIN_TOKEN),
            Some(body),
        )
        .await
    }

    pub async fn metrics(&self) -> String {
        let url = format!("http://{}/metrics", self.running.admin_addr);
        let req = Request::get(url).body(Empty::new().boxed()).unwrap();
        let resp = self.client.request(req).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    }

    /// The value of one sample line, e.g. `wartesaal_admitted_total{room="r"}`.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix(series).map(|v| v.trim().parse().unwrap()))
            .unwrap_or_else(|| panic!("{series} not in metrics:\n{text}"))
    }
}

/// The ticket number inside a visitor's ticket cookie for room `room`.
pub fn ticket_seq(room: &str, cookie: &str) -> u64 {
    let keys = wartesaal::access::ticket::Keyring::new(vec![Secret::from_bytes(SECRET)])
        .unwrap()
        .for_room(room);
    keys.verify(cookie, 0).expect("a genuine ticket").seq
}

/// A browser-like client: keeps the cookies it is given.
#[derive(Clone)]
pub struct Visitor {
    pub client: Client<HttpConnector, TestBody>,
    pub base: String,
    pub host: String,
    /// name → value
    pub cookies: Vec<(String, String)>,
}

impl Visitor {
    /// A new visitor of the gateway at `base` (`http://addr`).
    pub fn new(base: String) -> Visitor {
        Visitor {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base,
            host: "site.test".to_string(),
            cookies: Vec::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push((name.to_string(), value.to_string()));
    }

    pub fn request(&self, method: Method, path: &str) -> http::request::Builder {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path))
            .header("host", &self.host);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            b = b.header("cookie", jar.join("; "));
        }
        b
    }

    /// Sends a request and keeps what `Set-Cookie` says, as a browser would.
    pub async fn send(&mut self, req: Request<TestBody>) -> Answer {
        self.try_send(req).await.expect("gateway answers")
    }

    /// `send` for a gateway that may be gone.
    pub async fn try_send(&mut self, req: Request<TestBody>) -> Result<Answer, String> {
        let resp = self.client.request(req).await.map_err(|e| e.to_string())?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        // Cookies only from a complete answer: a browser cut off mid-response keeps its old one.
        self.keep_cookies(&parts.headers);
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    pub fn keep_cookies(&mut self, headers: &HeaderMap) {
        for sc in headers.get_all("set-cookie") {
            let sc = sc.to_str().unwrap();
            let pair = sc.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || sc.contains("Max-Age=0") {
                self.cookies.retain(|(n, _)| n != name);
            } else {
                self.set_cookie(name, value);
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let req = self
            .request(Method::GET, path)
            .body(Empty::new().boxed())
            .unwrap();
        self.send(req).await
    }

    pub async fn get_json(&mut self, path: &str) -> Answer {
        let req = self
            .request(Method::GET, path)
            .header("accept", "application/json")
            .body(Empty::new().boxed())
            .unwrap();
        self.send(req).await
    }

    pub async fn status(&mut self, room: &str) -> serde_json::Value {
        let a = self
            .get_json(&format!("/.wartesaal/status?room={room}"))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.json()
    }

    pub async fn post(&mut self, path: &str, body: &'static str) -> Answer {
        let req = self
            .request(Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from_static(body.as_bytes())).boxed())
            .unwrap();
        self.send(req).await
    }
}

/// Resident memory of this process in bytes.
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Headless Chromium, as Debian packages it. Under CI (`CI` set) it must be there; elsewhere a
/// browser test without it says so and passes nothing.
pub fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "browser tests need Chromium: apt-get install chromium"
        );
        eprintln!("skipped: no chromium on PATH (apt-get install chromium)");
    }
    found
}

/// Loads `url` in headless Chromium, lets the page's scripts run for up to `virtual_ms` of
/// virtual time (network waits pause it) and returns the DOM it ends with.
pub async fn browser_dom(chromium: &Path, url: &str, virtual_ms: u64) -> String {
    let profile = temp_dir("chromium");
    let args = vec![
        "60".to_string(),
        chromium.display().to_string(),
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.display()),
        format!("--virtual-time-budget={virtual_ms}"),
        "--dump-dom".into(),
        url.to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("timeout").args(&args).output()
    })
    .await
    .unwrap()
    .expect("chromium runs");
    let _ = std::fs::remove_dir_all(profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A gateway on a clock shared with other gateways of the same test.
pub async fn gateway_on(config: &str, clock: Arc<ManualClock>) -> Gateway {
    let config = Config::from_toml(
        config,
        Path::new("test.toml"),
        KeySource::Given(vec![Secret::from_bytes(SECRET)]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let running = wartesaal::start(config, clock.clone()).await.unwrap();
    Gateway {
        running,
        clock,
        client: Client::builder(TokioExecutor::new()).build_http(),
    }
}

/// Config text for a gateway sharing its rooms through the Redis at `url`. A new line lets
/// visitors in at once unless `state_extra` sets `redis_new_line_hold`.
pub fn config_redis(url: &str, state_extra: &str, rooms: &str) -> String {
    let hold = if state_extra.contains("redis_new_line_hold") {
        ""
    } else {
        "redis_new_line_hold = \"0s\"\n"
    };
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ngrace_period = \"1s\"\n\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n{}\n\n\
         [state]\nbackend = \"redis\"\nredis_url = \"{url}\"\n{hold}{state_extra}\n\n{rooms}",
        admin_token_line()
    )
}

/// A `redis-server` of the test's own on a free loopback port, without persistence: stopping
/// it loses everything, as a restart of an unpersisted Redis does. Killed when dropped.
pub struct RedisServer {
    child: std::process::Child,
    pub port: u16,
    /// What `redis-cli` needs besides the port (TLS files).
    cli_args: Vec<String>,
    /// Where it keeps its snapshot (`SAVE`).
    pub dir: PathBuf,
}

impl RedisServer {
    /// Under CI (`CI` set) `redis-server` must be there; elsewhere a test without it says so
    /// and passes nothing.
    pub fn start() -> Option<RedisServer> {
        let found = std::process::Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok();
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "Redis tests need redis-server: apt-get install redis-server"
            );
            eprintln!("skipped: no redis-server on PATH (apt-get install redis-server)");
            return None;
        }
        Some(RedisServer::start_on(free_port()))
    }

    /// A new, empty server on `port` (after `kill`, the same port).
    pub fn start_on(port: u16) -> RedisServer {
        RedisServer::start_with(port, &[])
    }

    /// A replica of the server on `primary`, on a free port, once it has copied it.
    pub fn replica_of(primary: u16) -> RedisServer {
        let port = free_port();
        let replica =
            RedisServer::start_with(port, &["--replicaof", "127.0.0.1", &primary.to_string()]);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !replica
            .cli(&["INFO", "replication"])
            .contains("master_link_status:up")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the replica never synced"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        replica
    }

    /// A new, empty server on `port` with `extra` arguments.
    pub fn start_with(port: u16, extra: &[&str]) -> RedisServer {
        RedisServer::spawn(port, extra, Vec::new())
    }

    /// A server answering TLS only on `port` (`extra` says how); `redis-cli` talks to it with
    /// the client certificate and CA given.
    pub fn start_tls(port: u16, extra: &[&str], cert: &str, key: &str, ca: &str) -> RedisServer {
        let cli = ["--tls", "--cert", cert, "--key", key, "--cacert", ca];
        RedisServer::spawn(port, extra, cli.iter().map(|a| a.to_string()).collect())
    }

    /// A server on `port` keeping its files in `dir`: started again on the directory of one
    /// that was killed, it loads the snapshot that one last saved.
    pub fn start_in(port: u16, dir: &Path) -> RedisServer {
        RedisServer::spawn_in(port, dir, &[], Vec::new())
    }

    fn spawn(port: u16, extra: &[&str], cli_args: Vec<String>) -> RedisServer {
        RedisServer::spawn_in(port, &temp_dir("redis"), extra, cli_args)
    }

    fn spawn_in(port: u16, dir: &Path, extra: &[&str], cli_args: Vec<String>) -> RedisServer {
        let dir = dir.to_path_buf();
        std::fs::create_dir_all(&dir).unwrap();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(&dir)
            .args(extra)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = RedisServer {
            child,
            port,
            cli_args,
            dir,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while server.cli(&["PING"]) != "PONG" {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not answer"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// `redis-cli` against this server; its output, trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(&self.cli_args)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    }

    /// Kills the server as a crash would; nothing it held survives.
    pub fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }

    /// The sum of `calls=` over every command Redis has run since `CONFIG RESETSTAT`.
    /// How often `command` ran since the statistics were reset.
    pub fn calls(&self, command: &str) -> u64 {
        let prefix = format!("cmdstat_{command}:calls=");
        self.cli(&["INFO", "commandstats"])
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|rest| rest.split(',').next()?.parse().ok())
            .unwrap_or(0)
    }
}

/// A loopback port nothing listens on (for a moment).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lets the line in second after second (the clock moved on a second each time), ten
/// newcomers joining each second and everyone let in booking one appointment and leaving
/// (`/supply?b=1&rel=1`), until `target` have been in. Who still waits, and how many got in.
pub async fn book_until(
    gw: &Gateway,
    mut line: Vec<Visitor>,
    mut admitted: usize,
    target: usize,
) -> (Vec<Visitor>, usize) {
    while admitted < target {
        for _ in 0..10 {
            line.push(gw.visitor());
        }
        let mut still = Vec::new();
        for mut v in line {
            if v.get("/").await.body == "upstream:/" {
                admitted += 1;
                v.get("/supply?b=1&rel=1").await;
            } else {
                still.push(v);
            }
        }
        line = still;
        gw.advance(Duration::from_secs(1));
    }
    (line, admitted)
}

/// Polls `check` until it holds; panics with `what` after ten seconds. For state another
/// process or a background task brings about, never for time the test controls.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends `request` as raw bytes on a fresh connection and returns the whole answer as text
/// (read until the server closes, at most 5 s).
pub async fn raw_request(addr: SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// A real SMTP server (`tests/smtp_sink.py`, on Debian's python3-aiosmtpd) on a loopback
/// port, keeping every message it is handed as a file. Killed when dropped. Under CI it must
/// be there; elsewhere a test without it says so and passes nothing.
pub struct SmtpSink {
    child: std::process::Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The whole message, with the server's `X-Envelope-To`, `X-Tls` and `X-Login` in front.
    pub text: String,
}

impl Mail {
    /// The value of header `name` (unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.text.split("\r\n\r\n").next()?;
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let mut lines = head.split("\r\n").peekable();
        while let Some(line) = lines.next() {
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_string();
                while lines.peek().is_some_and(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(lines.next().unwrap_or("").trim());
                }
                return Some(value);
            }
        }
        None
    }

    /// The plain-text body, quoted-printable or base64 undone.
    pub fn body(&self) -> String {
        let body = self.text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        match self.header("Content-Transfer-Encoding").as_deref() {
            Some("base64") => {
                use base64::Engine;
                let clean: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Some("quoted-printable") => {
                let joined = body.replace("=\r\n", "");
                let b = joined.as_bytes();
                let hex = |c: u8| (c as char).to_digit(16);
                let mut out = Vec::new();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'=' && i + 2 < b.len() {
                        if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                            out.push((h * 16 + l) as u8);
                            i += 3;
                            continue;
                        }
                    }
                    out.push(b[i]);
                    i += 1;
                }
                String::from_utf8_lossy(&out).into_owned()
            }
            _ => body.to_string(),
        }
    }

    /// The first `http…` URL in the body.
    pub fn link(&self) -> String {
        let body = self.body();
        let at = body.find("http").expect("a link in the e-mail");
        body[at..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string()
    }
}

fn python_with_aiosmtpd() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

impl SmtpSink {
    /// A plain server on a free port.
    pub fn start() -> Option<SmtpSink> {
        SmtpSink::start_on(0, &[])
    }

    /// On `port` (0: any free one); `tls` = [cert, key] offers and requires STARTTLS, and
    /// [cert, key, user, password] requires that login too.
    pub fn start_on(port: u16, tls: &[&str]) -> Option<SmtpSink> {
        let Some(python) = python_with_aiosmtpd() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "e-mail tests need aiosmtpd: apt-get install python3-aiosmtpd"
            );
            eprintln!("skipped: no aiosmtpd (apt-get install python3-aiosmtpd)");
            return None;
        };
        let dir = temp_dir("smtp");
        std::fs::create_dir_all(&dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = std::process::Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .args(tls)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("the SMTP server starts");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        let port = line.trim().parse().expect("the SMTP server's port");
        Some(SmtpSink { child, port, dir })
    }

    /// Every message received so far, in order.
    pub fn mails(&self) -> Vec<Mail> {
        let mut numbered: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| {
                        let name = e.file_name().into_string().ok()?;
                        let n = name.strip_suffix(".eml")?.parse().ok()?;
                        Some((n, e.path()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        numbered.sort();
        numbered
            .into_iter()
            .map(|(_, path)| Mail {
                text: std::fs::read_to_string(path).unwrap_or_default(),
            })
            .collect()
    }

    /// Stops the server; its port, to start another on.
    pub fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
