//! Redis load per waiting visitor, which has to stay flat however long the line grows: two
//! gateways share one room through a real `redis-server`; visitors draw tickets, alternating
//! between the gateways, then poll their status every two seconds (with jitter) for a minute,
//! as the waiting page does, switching gateway at random like a load balancer would. Redis's
//! own `INFO commandstats` counts what it ran.
//!
//! Run: `cargo bench --bench redis_ops` (about two and a half minutes; needs `redis-server`).
//! `REDIS_OPS_VISITORS` (comma-separated queue sizes, default `500,5000`) and
//! `REDIS_OPS_SECONDS` (default 60) scale it.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;
use wartesaal::access::ticket::Secret;
use wartesaal::clock::SystemClock;
use wartesaal::config::{Config, KeySource};

mod common;
use common::{get, HttpClient, RedisServer};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// Calls per command since the last `CONFIG RESETSTAT`.
fn command_stats(con: &mut redis::Connection) -> Vec<(String, u64)> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(con)
        .unwrap_or_default();
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest
                .split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            Some((name.to_string(), calls))
        })
        .collect()
}

struct Outcome {
    visitors: usize,
    seconds: u64,
    polls: u64,
    per_command: Vec<(String, u64)>,
}

async fn run(visitors: usize, seconds: u64, port: u16, backend: std::net::SocketAddr) -> Outcome {
    let url = format!("redis://127.0.0.1:{port}/0");
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut con = client.get_connection().expect("redis-server answers");
    let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
    let config_text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nmax_connections = 100000\ngrace_period = \"1s\"\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n\
         [state]\nbackend = \"redis\"\nredis_url = \"{url}\"\nredis_prefix = \"bench\"\n\
         [[rooms]]\nid = \"r\"\nupstream = \"http://{backend}\"\nadmit_per_minute = 6\n"
    );
    let config = || {
        Config::from_toml(
            &config_text,
            Path::new("bench.toml"),
            KeySource::Given(vec![Secret::from_bytes([7u8; 32])]),
        )
        .unwrap()
    };
    let a = wartesaal::start(config(), Arc::new(SystemClock))
        .await
        .unwrap();
    let b = wartesaal::start(config(), Arc::new(SystemClock))
        .await
        .unwrap();
    let bases = [
        format!("http://{}", a.public_addrs[0]),
        format!("http://{}", b.public_addrs[0]),
    ];
    let http: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build_http();

    // Arrivals: everyone draws a ticket, alternating between the gateways.
    let mut tickets = Vec::with_capacity(visitors);
    for chunk in (0..visitors).collect::<Vec<_>>().chunks(200) {
        let draws = chunk.iter().map(|&i| {
            let http = http.clone();
            let url = format!("{}/book", bases[i % 2]);
            async move { get(&http, &url, None).await.1 }
        });
        for cookie in futures_join(draws).await {
            tickets.push(cookie.expect("a ticket"));
        }
    }

    // A minute of waiting: each polls every 2 s ± 20 %, at either gateway.
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query(&mut con)
        .unwrap();
    let polls = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (i, ticket) in tickets.into_iter().enumerate() {
        let http = http.clone();
        let bases = bases.clone();
        let polls = polls.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut next = || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            tokio::time::sleep(Duration::from_millis(next() % 2_000)).await;
            while Instant::now() < until {
                let base = &bases[(next() % 2) as usize];
                let url = format!("{base}/.wartesaal/status?room=r");
                get(&http, &url, Some(&ticket)).await;
                polls.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(1_600 + next() % 800)).await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let per_command = command_stats(&mut con);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    Outcome {
        visitors,
        seconds,
        polls: polls.load(Ordering::Relaxed),
        per_command,
    }
}

/// Awaits all futures, concurrently.
async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<usize> = env("REDIS_OPS_VISITORS", "500,5000")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let seconds: u64 = env("REDIS_OPS_SECONDS", "60").parse().unwrap_or(60);
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("wartesaal-redis-ops-{}", std::process::id()));
    let Some(_redis) = RedisServer::start(port, &dir) else {
        eprintln!("redis_ops: needs redis-server (apt-get install redis-server)");
        std::process::exit(1);
    };
    std::thread::sleep(Duration::from_millis(300));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let outcomes: Vec<Outcome> = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let backend = listener.local_addr().unwrap();
        tokio::spawn(wartesaal::demo::serve_backend(
            listener,
            wartesaal::demo::BookingSite::new(Duration::ZERO),
        ));
        let mut outcomes = Vec::new();
        for &n in &sizes {
            outcomes.push(run(n, seconds, port, backend).await);
        }
        outcomes
    });
    println!("Redis work while visitors wait (2 gateways, 1 room, status polled every 2 s):");
    println!(
        "{:>9} {:>8} {:>12} {:>12} {:>14} {:>16} {:>16}",
        "visitors",
        "seconds",
        "status polls",
        "round trips",
        "commands run",
        "trips/visitor/min",
        "cmds/visitor/min"
    );
    for o in &outcomes {
        // Script calls are the gateways' round trips; Redis also counts each command a script
        // runs inside it.
        let trips: u64 = o
            .per_command
            .iter()
            .filter(|(name, _)| {
                ["evalsha", "eval", "hmget", "role", "wait"].contains(&name.as_str())
            })
            .map(|(_, c)| c)
            .sum();
        let total: u64 = o.per_command.iter().map(|(_, c)| c).sum();
        let per = |n: u64| n as f64 / o.visitors as f64 / (o.seconds as f64 / 60.0);
        println!(
            "{:>9} {:>8} {:>12} {:>12} {:>14} {:>16.3} {:>16.3}",
            o.visitors,
            o.seconds,
            o.polls,
            trips,
            total,
            per(trips),
            per(total)
        );
        let detail: Vec<String> = o
            .per_command
            .iter()
            .map(|(name, calls)| format!("{name}={calls}"))
            .collect();
        println!("{:>9} by command: {}", "", detail.join(" "));
    }
}
