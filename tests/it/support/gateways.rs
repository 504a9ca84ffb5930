//! The real gateway, started in-process on free ports with a manual clock, and what a test
//! asks of it: its admin API, its metrics, a line let in.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use wartesaal::access::ticket::Secret;
use wartesaal::clock::ManualClock;
use wartesaal::config::{Config, KeySource};
use wartesaal::Running;

use super::{config_text, room, temp_dir, upstream, Answer, TestBody, Upstream, Visitor};

/// 2026-11-23T00:00:00Z
pub const T0: u64 = 1_795_392_000_000;
pub const SECRET: [u8; 32] = [42u8; 32];

/// The real gateway, started in-process.
pub struct Gateway {
    pub running: Running,
    pub clock: Arc<ManualClock>,
    pub client: Client<HttpConnector, TestBody>,
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

pub async fn gateway(config: &str) -> Gateway {
    gateway_at(config, T0).await
}

/// A gateway whose clock starts at `now`.
pub async fn gateway_at(config: &str, now: u64) -> Gateway {
    let clock = Arc::new(ManualClock::new(now));
    let running = start(config, &clock).await;
    Gateway {
        running,
        clock,
        client: Client::builder(TokioExecutor::new()).build_http(),
    }
}

/// Starts the gateway of `config`. A test that stops a gateway and starts it again may find
/// the state directory still locked for a moment: `shutdown` returns once the state is saved,
/// and a connection task may still be dropping its share of it. That wait is bounded.
async fn start(config: &str, clock: &Arc<ManualClock>) -> Running {
    let mut attempts = 0;
    loop {
        let parsed = Config::from_toml(
            config,
            Path::new("test.toml"),
            KeySource::Given(vec![Secret::from_bytes(SECRET)]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        match wartesaal::start(parsed, clock.clone()).await {
            Ok(running) => return running,
            Err(e) if attempts < 200 && e.to_string().contains("in use by another") => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(e) => panic!("the gateway did not start: {e}"),
        }
    }
}

/// A gateway on a clock shared with other gateways of the same test.
pub async fn gateway_on(config: &str, clock: Arc<ManualClock>) -> Gateway {
    let running = start(config, &clock).await;
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

/// One visitor let in and two waiting behind them at places 1 and 2, in room `r` of a gateway
/// that admits one a minute.
pub async fn line_of_three(gw: &Gateway) -> Vec<Visitor> {
    let mut out = Vec::new();
    for expect_position in [None, Some(1), Some(2)] {
        let mut v = gw.visitor();
        let a = v.get("/").await;
        match expect_position {
            None => assert_eq!(a.body, "upstream:/"),
            Some(_) => assert_ne!(a.body, "upstream:/"),
        }
        if let Some(p) = expect_position {
            assert_eq!(v.status("r").await["position"], p);
        }
        out.push(v);
    }
    out
}
