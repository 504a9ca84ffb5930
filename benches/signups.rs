//! E-mail sign-ups against the embedded state: how many a second the gateway keeps (each one
//! on disk before its 200), and what a flood of them does to an admitted visitor's requests
//! and to a waiting visitor's status poll. The real binary (release) runs as its own process
//! with a `state.dir`, in front of a small upstream on loopback; sign-ups come from many
//! client addresses (through a trusted proxy's `X-Forwarded-For`), each for its own ticket.
//!
//! Phases: the admitted and the polling visitor alone for `SIGNUP_SECONDS`; then the same
//! while `SIGNUP_CONCURRENCY` clients sign up as fast as they are answered. Latencies are
//! measured by one request at a time, every 20 ms, on each path.
//!
//! Run: `cargo bench --bench signups`. `SIGNUP_TICKETS` (20,000: the outbox's ceiling) and
//! `SIGNUP_SECONDS` (10) scale it.

use std::convert::Infallible;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn upstream() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = service_fn(|_req: Request<Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                        b"<h1>Terminbuchung</h1>",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

struct Gateway {
    child: Child,
    base: String,
    dir: std::path::PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_gateway(upstream: std::net::SocketAddr) -> Gateway {
    let bin = env!("CARGO_BIN_EXE_wartesaal");
    let dir = std::env::temp_dir().join(format!("wartesaal-signups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let key = Command::new(bin).arg("keygen").output().expect("keygen");
    std::fs::write(dir.join("secret.key"), key.stdout).expect("write key");
    let port = free_port();
    // Nothing is sent: the SMTP port is closed and the line does not move within lead_time.
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\ntrusted_proxies = [\"127.0.0.1/32\"]\n\
         [keys]\nfiles = [\"{key}\"]\n[state]\ndir = \"{state}\"\n\
         [[rooms]]\nid = \"wait\"\npath_prefix = \"/wait\"\nupstream = \"http://{upstream}\"\n\
         admit_per_minute = 0.001\n\
         [rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:1\"\nfrom = \"T <t@example.de>\"\n\
         public_url = \"https://termine.example.de\"\nlead_time = \"1s\"\n\
         per_client_per_hour = 1000\nper_network_per_hour = 1000\n\
         [[rooms]]\nid = \"open\"\npath_prefix = \"/open\"\nupstream = \"http://{upstream}\"\n\
         admit_per_minute = 10000000\nsession_duration = \"1h\"\n",
        key = dir.join("secret.key").display(),
        state = dir.join("state").display(),
    );
    let path = dir.join("wartesaal.toml");
    std::fs::write(&path, config).expect("write config");
    let child = Command::new(bin)
        .args(["run", "--config"])
        .arg(&path)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the gateway");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the gateway did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Gateway {
        child,
        base: format!("http://127.0.0.1:{port}"),
        dir,
    }
}

/// One request; the status and the `Set-Cookie` name=value.
async fn send(
    client: &HttpClient,
    method: &str,
    url: &str,
    cookie: Option<&str>,
    from: Option<&str>,
    body: Bytes,
) -> (u16, Option<String>) {
    let mut req = Request::builder().method(method).uri(url);
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    if let Some(ip) = from {
        req = req.header("x-forwarded-for", ip);
    }
    if !body.is_empty() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let resp = client
        .request(req.body(Full::new(body)).expect("request"))
        .await
        .expect("the gateway answers");
    let status = resp.status().as_u16();
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let _ = resp.into_body().collect().await;
    (status, cookie)
}

/// A client address of its own for visitor `i`: a /24 for every 200.
fn address(i: u64) -> String {
    format!(
        "10.{}.{}.{}",
        (i / 200) >> 8 & 255,
        (i / 200) & 255,
        i % 200 + 1
    )
}

/// Latencies of one request every 20 ms until `stop`, in microseconds, sorted.
async fn probe(client: HttpClient, url: String, cookie: String, stop: Arc<AtomicBool>) -> Vec<u64> {
    let mut took = Vec::new();
    // 50 a second: within what one pass may ask (`pass_requests_per_second`).
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let t = Instant::now();
        let (status, _) = send(&client, "GET", &url, Some(&cookie), None, Bytes::new()).await;
        assert!(status == 200, "probe {url}: {status}");
        took.push(t.elapsed().as_micros() as u64);
    }
    took.sort_unstable();
    took
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let tickets = env("SIGNUP_TICKETS", 20_000);
    let seconds = env("SIGNUP_SECONDS", 10);
    let concurrency = env("SIGNUP_CONCURRENCY", 64);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let upstream = upstream().await;
        let gateway = start_gateway(upstream).await;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client: HttpClient = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build(connector);
        let base = gateway.base.clone();

        // The admitted visitor and the waiting one the probes follow.
        let (_, pass) = send(&client, "GET", &format!("{base}/open/"), None, None, Bytes::new()).await;
        let pass = pass.expect("a pass");
        let (_, first) = send(&client, "GET", &format!("{base}/wait/"), None, Some("192.0.2.1"), Bytes::new()).await;
        let _ = first;
        let (_, waiting) = send(&client, "GET", &format!("{base}/wait/"), None, Some("192.0.2.2"), Bytes::new()).await;
        let waiting = waiting.expect("a ticket");

        // Tickets for the sign-ups, drawn before the flood.
        let cookies: Vec<String> = {
            let mut all = Vec::with_capacity(tickets as usize);
            let next = Arc::new(AtomicU64::new(0));
            let mut tasks = Vec::new();
            for _ in 0..concurrency {
                let (client, base, next) = (client.clone(), base.clone(), next.clone());
                tasks.push(tokio::spawn(async move {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= tickets {
                            break out;
                        }
                        let from = address(i);
                        let (_, c) = send(&client, "GET", &format!("{base}/wait/"), None, Some(&from), Bytes::new()).await;
                        out.push((i, c.expect("a ticket")));
                    }
                }));
            }
            for t in tasks {
                all.extend(t.await.expect("task"));
            }
            all.sort();
            all.into_iter().map(|(_, c)| c).collect()
        };

        let phase = |flood: bool| {
            let (client, base, pass, waiting, cookies) =
                (client.clone(), base.clone(), pass.clone(), waiting.clone(), cookies.clone());
            async move {
                let stop = Arc::new(AtomicBool::new(false));
                let admitted = tokio::spawn(probe(client.clone(), format!("{base}/open/page"), pass, stop.clone()));
                let status = tokio::spawn(probe(client.clone(), format!("{base}/.wartesaal/status?room=wait"), waiting, stop.clone()));
                let kept = Arc::new(AtomicU64::new(0));
                let refused = Arc::new(AtomicU64::new(0));
                // When the last sign-up was answered (ms since the phase began).
                let flood_ms = Arc::new(AtomicU64::new(0));
                let started = Instant::now();
                let mut flooders = tokio::task::JoinSet::new();
                if flood {
                    let cookies = Arc::new(cookies);
                    let next = Arc::new(AtomicU64::new(0));
                    for _ in 0..concurrency {
                        let (client, base, cookies, next, stop, kept, refused, flood_ms) = (
                            client.clone(), base.clone(), cookies.clone(), next.clone(),
                            stop.clone(), kept.clone(), refused.clone(), flood_ms.clone(),
                        );
                        flooders.spawn(async move {
                            while !stop.load(Ordering::Relaxed) {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let Some(cookie) = cookies.get(i as usize) else { break };
                                let body = Bytes::from(format!("email=p{i}%40example.org"));
                                let (s, _) = send(&client, "POST", &format!("{base}/.wartesaal/notify?room=wait"), Some(cookie), Some(&address(i)), body).await;
                                if s == 200 { kept.fetch_add(1, Ordering::Relaxed); } else { refused.fetch_add(1, Ordering::Relaxed); }
                                flood_ms.fetch_max(started.elapsed().as_millis() as u64, Ordering::Relaxed);
                            }
                        });
                    }
                }
                // The phase lasts `seconds`, or until every ticket has signed up.
                let all_signed = async {
                    while flooders.join_next().await.is_some() {}
                    if !flood {
                        std::future::pending::<()>().await;
                    }
                };
                let _ = tokio::time::timeout(Duration::from_secs(seconds), all_signed).await;
                stop.store(true, Ordering::Relaxed);
                while flooders.join_next().await.is_some() {}
                let elapsed = (flood_ms.load(Ordering::Relaxed) as f64 / 1000.0).max(0.001);
                let admitted = admitted.await.expect("probe");
                let status = status.await.expect("probe");
                (kept.load(Ordering::Relaxed), refused.load(Ordering::Relaxed), elapsed, admitted, status)
            }
        };
        println!("sign-ups against the embedded state ({tickets} tickets, {seconds} s a phase, {concurrency} at once)");
        for (name, flood) in [("alone", false), ("sign-up flood", true)] {
            let (kept, refused, elapsed, admitted, status) = phase(flood).await;
            println!(
                "{name:>14}: {:>7.0} sign-ups/s kept ({kept} kept, {refused} refused) | admitted p50 {:.2} ms p99 {:.2} ms | status poll p50 {:.2} ms p99 {:.2} ms",
                kept as f64 / elapsed,
                pct(&admitted, 0.5), pct(&admitted, 0.99),
                pct(&status, 0.5), pct(&status, 0.99),
            );
        }
        drop(gateway);
    });
}
