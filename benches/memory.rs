//! Memory, so the cost of a big event can be planned: what a million waiting visitors and a
//! hundred thousand admitted ones cost the gateway. The real binary (release) runs as its own
//! process in front of a small upstream on loopback; its resident memory (`VmRSS`) is read
//! from `/proc` between phases:
//!
//! 1. started and warmed up (a few thousand requests of every kind);
//! 2. 1,000,000 visitors arrive, each drawing a ticket and getting the waiting page;
//! 3. each of those 1,000,000 distinct tickets polls its status;
//! 4. 100,000 visitors arrive in a room that lets everybody in: 100,000 active sessions.
//!
//! Run: `cargo bench --bench memory` (a few minutes). `MEMORY_VISITORS` and
//! `MEMORY_SESSIONS` scale it.

use std::convert::Infallible;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Requests in flight at once.
const CONCURRENCY: u64 = 64;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc readable");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status");
    kb * 1024
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The booking site: a short page for every path.
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
    admin: String,
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
    let dir = std::env::temp_dir().join(format!("wartesaal-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let key = Command::new(bin).arg("keygen").output().expect("keygen");
    std::fs::write(dir.join("secret.key"), key.stdout).expect("write key");
    let (port, admin) = (free_port(), free_port());
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[admin]\nlisten = \"127.0.0.1:{admin}\"\n\
         [keys]\nfiles = [\"{key}\"]\n[state]\ndir = \"{state}\"\n\
         [[rooms]]\nid = \"wait\"\npath_prefix = \"/wait\"\nupstream = \"http://{upstream}\"\n\
         admit_per_minute = 0.001\n\
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
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the gateway");
    let gateway = Gateway {
        child,
        base: format!("http://127.0.0.1:{port}"),
        admin: format!("http://127.0.0.1:{admin}"),
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the gateway did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gateway
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// One GET; returns the status and the `Set-Cookie` name=value, if any.
async fn get(client: &HttpClient, url: &str, cookie: Option<&str>) -> (u16, Option<String>) {
    let mut req = Request::get(url);
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    let resp = client
        .request(req.body(Empty::new()).expect("request"))
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

/// Runs `count` requests, `CONCURRENCY` at a time; `each(i)` makes the i-th.
async fn run<F, Fut, T>(count: u64, each: F) -> Vec<T>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send,
    T: Send + 'static,
{
    let each = Arc::new(each);
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (each, next) = (each.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break out;
                }
                out.push(each(i).await);
            }
        }));
    }
    let mut all = Vec::with_capacity(count as usize);
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    all
}

fn main() {
    let visitors = env("MEMORY_VISITORS", 1_000_000);
    let sessions = env("MEMORY_SESSIONS", 100_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let upstream = upstream().await;
        let gateway = start_gateway(upstream).await;
        let pid = gateway.child.id();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client: HttpClient = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(CONCURRENCY as usize)
            .build(connector);
        let base = Arc::new(gateway.base.clone());

        // Warm up every path once in a while, so buffers and pools are at their working size.
        let (c, b) = (client.clone(), base.clone());
        let warm = run(4_000, move |i| {
            let (c, b) = (c.clone(), b.clone());
            async move {
                let path = ["/wait/", "/open/", "/.wartesaal/status?room=wait"][i as usize % 3];
                get(&c, &format!("{b}{path}"), None).await
            }
        })
        .await;
        assert!(warm.iter().all(|(s, _)| *s == 200), "warm-up answered 200");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let started = rss(pid);

        let t = Instant::now();
        let (c, b) = (client.clone(), base.clone());
        let tickets = run(visitors, move |_| {
            let (c, b) = (c.clone(), b.clone());
            async move { get(&c, &format!("{b}/wait/"), None).await }
        })
        .await;
        let draw_secs = t.elapsed().as_secs_f64();
        let tickets: Vec<String> = tickets
            .into_iter()
            .map(|(status, cookie)| {
                assert_eq!(status, 200, "every arrival gets the waiting page");
                cookie.expect("every arrival gets a ticket")
            })
            .collect();
        let after_draws = rss(pid);

        let t = Instant::now();
        let tickets = Arc::new(tickets);
        let (c, b, ts) = (client.clone(), base.clone(), tickets.clone());
        let polls = run(visitors, move |i| {
            let (c, b, ts) = (c.clone(), b.clone(), ts.clone());
            async move {
                let url = format!("{b}/.wartesaal/status?room=wait");
                get(&c, &url, Some(&ts[i as usize])).await.0
            }
        })
        .await;
        let poll_secs = t.elapsed().as_secs_f64();
        assert!(polls.iter().all(|s| *s == 200), "every poll answered");
        let after_polls = rss(pid);
        drop(tickets);

        let t = Instant::now();
        let (c, b) = (client.clone(), base.clone());
        let admitted = run(sessions, move |_| {
            let (c, b) = (c.clone(), b.clone());
            async move { get(&c, &format!("{b}/open/"), None).await }
        })
        .await;
        let session_secs = t.elapsed().as_secs_f64();
        assert!(
            admitted.iter().all(|(s, c)| *s == 200 && c.is_some()),
            "every arrival in the open room is let in with a pass"
        );
        let after_sessions = rss(pid);
        let metrics = get_text(&client, &format!("{}/metrics", gateway.admin)).await;
        let active = metrics
            .lines()
            .find(|l| l.starts_with("wartesaal_active_sessions{room=\"open\"}"))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or("?")
            .to_string();

        println!();
        println!("| phase | resident memory | change |");
        println!("|---|---|---|");
        println!("| started, warmed up | {} | |", mib(started));
        println!(
            "| {visitors} tickets drawn ({:.0}/s) | {} | +{} |",
            visitors as f64 / draw_secs,
            mib(after_draws),
            mib(after_draws.saturating_sub(started))
        );
        println!(
            "| each of them polled its status ({:.0}/s) | {} | +{} since start |",
            visitors as f64 / poll_secs,
            mib(after_polls),
            mib(after_polls.saturating_sub(started))
        );
        println!(
            "| {sessions} sessions started ({:.0}/s; active: {active}) | {} | +{}, {} bytes per session |",
            sessions as f64 / session_secs,
            mib(after_sessions),
            mib(after_sessions.saturating_sub(after_polls)),
            after_sessions.saturating_sub(after_polls) / sessions.max(1)
        );
        drop(gateway);
    });
}

async fn get_text(client: &HttpClient, url: &str) -> String {
    let resp = client
        .request(Request::get(url).body(Empty::new()).expect("request"))
        .await
        .expect("admin answers");
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&body).into_owned()
}
