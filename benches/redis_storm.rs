//! A storm of arrivals and status polls, on one embedded gateway and on two gateways sharing
//! the room through a real `redis-server`: arrivals per second (each draws a ticket), status
//! polls per second (each asks its place), and what Redis ran for them, from its own
//! `INFO commandstats` less what the gateways' background syncs ran in the same time.
//!
//! Run: `cargo bench --bench redis_storm` (about a minute; needs `redis-server`).
//! `STORM_ARRIVALS` (default 20000), `STORM_POLL_SECONDS` (default 10) and
//! `STORM_CONCURRENCY` (default 128) scale it.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Request;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;
use wartesaal::access::ticket::Secret;
use wartesaal::clock::SystemClock;
use wartesaal::config::{Config, KeySource};

mod common;
use common::{get, HttpClient, RedisServer};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Round trips the gateways made: every command sent from outside a script (Redis also
/// counts the commands scripts run inside, which are no round trip of anyone's).
fn round_trips(con: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(con)
        .unwrap_or_default();
    let outside = [
        "evalsha",
        "eval",
        "hmget",
        "role",
        "wait",
        "script|load",
        "ping",
    ];
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls: u64 = rest
                .split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            outside.contains(&name).then_some(calls)
        })
        .sum()
}

struct Figures {
    arrivals_per_s: f64,
    polls_per_s: f64,
    /// Redis round trips per arrival and per poll, background syncs taken out.
    trips_per_arrival: Option<f64>,
    trips_per_poll: Option<f64>,
}

/// `n` clients at once, each doing `job(i)` for i taken in turn until `total` are done or
/// `until` passes. Returns how many were done and the seconds it took.
async fn storm<F, Fut>(concurrency: usize, total: usize, until: Duration, job: F) -> (usize, f64)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let job = Arc::new(job);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, job) = (next.clone(), job.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total || started.elapsed() >= until {
                        return;
                    }
                    job(i).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let done = next.load(Ordering::Relaxed).min(total);
    (done, started.elapsed().as_secs_f64())
}

async fn run(redis_port: Option<u16>, backend: std::net::SocketAddr) -> Figures {
    let arrivals = env("STORM_ARRIVALS", 20_000) as usize;
    let poll_secs = env("STORM_POLL_SECONDS", 10);
    let concurrency = env("STORM_CONCURRENCY", 128) as usize;
    let state = match redis_port {
        Some(port) => format!(
            "[state]\nbackend = \"redis\"\nredis_url = \"redis://127.0.0.1:{port}/0\"\n\
             redis_new_line_hold = \"0s\"\n"
        ),
        None => String::new(),
    };
    // One a minute: after the first, everyone waits, so every arrival is one draw.
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nmax_connections = 100000\n\
         max_connections_per_address = 100000\ngrace_period = \"1s\"\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n{state}\
         [[rooms]]\nid = \"r\"\nupstream = \"http://{backend}\"\nadmit_per_minute = 1\n"
    );
    let config = || {
        Config::from_toml(
            &text,
            Path::new("bench.toml"),
            KeySource::Given(vec![Secret::from_bytes([7u8; 32])]),
        )
        .unwrap()
    };
    let mut con = redis_port.map(|port| {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0")).unwrap();
        let mut con = client.get_connection().expect("redis-server answers");
        let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
        con
    });
    let mut gateways = vec![wartesaal::start(config(), Arc::new(SystemClock))
        .await
        .unwrap()];
    if redis_port.is_some() {
        gateways.push(
            wartesaal::start(config(), Arc::new(SystemClock))
                .await
                .unwrap(),
        );
    }
    let bases: Arc<Vec<String>> = Arc::new(
        gateways
            .iter()
            .map(|g| format!("http://{}", g.public_addrs[0]))
            .collect(),
    );
    let http: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(concurrency)
        .build_http();
    // The first walks in (the demo site's page); the line exists from here on.
    let first = Request::get(format!("{}/", bases[0])).header("host", "site.test");
    let _ = http.request(first.body(Empty::new()).unwrap()).await;

    let reset = |con: &mut Option<redis::Connection>| {
        if let Some(con) = con {
            let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(con).unwrap();
        }
    };
    // What the background syncs cost per second, with nobody asking anything.
    reset(&mut con);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = con.as_mut().map(|con| round_trips(con) as f64 / 3.0);

    reset(&mut con);
    let tickets = Arc::new(std::sync::Mutex::new(vec![String::new(); arrivals]));
    let (h, b, t) = (http.clone(), bases.clone(), tickets.clone());
    let (drawn, draw_secs) = storm(concurrency, arrivals, Duration::from_secs(600), move |i| {
        let (h, b, t) = (h.clone(), b.clone(), t.clone());
        async move {
            let url = format!("{}/", b[i % b.len()]);
            let (status, cookie) = get(&h, &url, None).await;
            assert_eq!(status, 200, "every arrival gets the waiting page");
            let cookie = cookie.expect("a ticket");
            t.lock().unwrap()[i] = cookie;
        }
    })
    .await;
    let trips_per_arrival = con
        .as_mut()
        .zip(idle)
        .map(|(con, idle)| (round_trips(con) as f64 - idle * draw_secs).max(0.0) / drawn as f64);

    reset(&mut con);
    let polls = Arc::new(AtomicU64::new(0));
    let (h, b, t, p) = (http.clone(), bases.clone(), tickets.clone(), polls.clone());
    let (_, poll_secs) = storm(
        concurrency,
        usize::MAX,
        Duration::from_secs(poll_secs),
        move |i| {
            let (h, b, t, p) = (h.clone(), b.clone(), t.clone(), p.clone());
            async move {
                let ticket = t.lock().unwrap()[i % arrivals].clone();
                let url = format!("{}/.wartesaal/status?room=r", b[(i / 7) % b.len()]);
                let (status, _) = get(&h, &url, Some(&ticket)).await;
                assert_eq!(status, 200, "every poll gets its status");
                p.fetch_add(1, Ordering::Relaxed);
            }
        },
    )
    .await;
    let polled = polls.load(Ordering::Relaxed);
    let trips_per_poll = con
        .as_mut()
        .zip(idle)
        .map(|(con, idle)| (round_trips(con) as f64 - idle * poll_secs).max(0.0) / polled as f64);
    for g in gateways {
        g.shutdown().await.unwrap();
    }
    Figures {
        arrivals_per_s: drawn as f64 / draw_secs,
        polls_per_s: polled as f64 / poll_secs,
        trips_per_arrival,
        trips_per_poll,
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("wartesaal-redis-storm-{}", std::process::id()));
    let Some(_redis) = RedisServer::start(port, &dir) else {
        eprintln!("redis_storm: needs redis-server (apt-get install redis-server)");
        std::process::exit(1);
    };
    std::thread::sleep(Duration::from_millis(300));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let results = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let backend = listener.local_addr().unwrap();
        tokio::spawn(wartesaal::demo::serve_backend(
            listener,
            wartesaal::demo::BookingSite::new(Duration::ZERO),
        ));
        [
            ("one embedded gateway", run(None, backend).await),
            ("two gateways on Redis", run(Some(port), backend).await),
        ]
    });
    println!(
        "{:<24} {:>12} {:>12} {:>20} {:>18}",
        "", "arrivals/s", "polls/s", "Redis trips/arrival", "Redis trips/poll"
    );
    for (name, f) in &results {
        let trips = |t: Option<f64>| t.map_or("-".to_string(), |t| format!("{t:.3}"));
        println!(
            "{:<24} {:>12.0} {:>12.0} {:>20} {:>18}",
            name,
            f.arrivals_per_s,
            f.polls_per_s,
            trips(f.trips_per_arrival),
            trips(f.trips_per_poll)
        );
    }
}
