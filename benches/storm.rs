//! The opening-morning storm, the moment a waiting room exists for: 20,000 visitors arrive
//! within 10 s at a gateway in front of a booking site that can take 50 new sessions a second.
//! Each visitor behaves like the waiting page: it polls its status as often as the answer says
//! (with the page's ±20 % jitter) and loads the real page once admitted.
//!
//! Reports the peak of new sessions the upstream saw in any one second, errors seen by
//! visitors, and order violations: a visitor told "wait" after a visitor with a later number
//! had already been let in.
//!
//! With supply (`STORM_SUPPLY` appointments, 1,000 unless set; 0 for none) the booking site
//! counts what is left and answers a booking with `X-Wartesaal-Booked` (and
//! `X-Wartesaal-Release`), or with `X-Wartesaal-Remaining: 0` once none is left. A share of
//! the admitted visitors (`STORM_BOOKING_RATIO`, 0.4) book, 20 to 60 s after they got in. The
//! run then also reports how many minutes after opening the last visitor who got no
//! appointment was first told "unlikely" (or that the room is sold out), and how many told
//! "likely" got none.
//!
//! Run: `cargo bench --bench storm` (about three minutes with supply; without it about seven:
//! 20,000 people at 50 a second). `STORM_ARRIVALS`, `STORM_SPREAD_SECS`, `STORM_PER_SECOND`,
//! `STORM_SUPPLY` and `STORM_BOOKING_RATIO` scale it. `STORM_SESSION_SECS` (60) is how long
//! a session on the booking site lasts idle: those who do not book load one page and leave,
//! and the room calls the next ones in once their sessions end.

use std::collections::HashSet;
use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use wartesaal::access::ticket::{Keyring, RoomKeys, Secret};
use wartesaal::clock::SystemClock;
use wartesaal::config::{Config, KeySource};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The booking site: counts new sessions (first request of each visitor) per second.
struct Upstream {
    started: Instant,
    seen: Mutex<HashSet<u64>>,
    per_second: Mutex<Vec<u64>>,
    /// Appointments the booking site has left.
    remaining: AtomicI64,
    /// µs since start when the last appointment was booked (0 while some are left).
    gone_at: AtomicU64,
}

impl Upstream {
    fn new_session(&self, visitor: u64) {
        if !self.seen.lock().unwrap().insert(visitor) {
            return;
        }
        let second = self.started.elapsed().as_secs() as usize;
        let mut per_second = self.per_second.lock().unwrap();
        if per_second.len() <= second {
            per_second.resize(second + 1, 0);
        }
        per_second[second] += 1;
    }
}

async fn upstream(state: Arc<Upstream>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let state = state.clone();
                    async move {
                        let visitor = req
                            .headers()
                            .get("x-visitor")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse().ok());
                        if let Some(v) = visitor {
                            state.new_session(v);
                        }
                        if req.uri().path() == "/book" {
                            let left = state.remaining.fetch_sub(1, Ordering::SeqCst);
                            let mut resp;
                            if left == 1 {
                                let at = state.started.elapsed().as_micros() as u64;
                                state.gone_at.store(at.max(1), Ordering::SeqCst);
                            }
                            if left > 0 {
                                resp = Response::new(Full::new(Bytes::from_static(b"booked")));
                                let h = resp.headers_mut();
                                h.insert("x-wartesaal-booked", "1".parse().unwrap());
                                h.insert("x-wartesaal-release", "1".parse().unwrap());
                            } else {
                                state.remaining.fetch_add(1, Ordering::SeqCst);
                                resp = Response::new(Full::new(Bytes::from_static(b"full")));
                                resp.headers_mut()
                                    .insert("x-wartesaal-remaining", "0".parse().unwrap());
                            }
                            return Ok::<_, Infallible>(resp);
                        }
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                            b"booking",
                        ))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

struct Shared {
    client: HttpClient,
    base: String,
    keys: RoomKeys,
    started: Instant,
    errors: AtomicU64,
    outcomes: Mutex<Vec<Outcome>>,
    /// Share of admitted visitors who book (with supply).
    booking_ratio: f64,
}

/// What became of one visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Outcome {
    seq: u64,
    /// µs since start when they arrived.
    arrived: u64,
    /// µs since start when they got in.
    admitted: Option<u64>,
    /// µs since start of the last "wait".
    last_wait: u64,
    /// µs since start when first told "unlikely" or "sold out".
    told_none: Option<u64>,
    told_likely: bool,
    /// Admitted and meaning to book.
    wants: bool,
    got_one: bool,
}

struct Answer {
    status: StatusCode,
    cookie: Option<String>,
    body: Bytes,
}

async fn get(shared: &Shared, path: &str, visitor: u64, cookie: &Option<String>) -> Option<Answer> {
    let mut req = Request::get(format!("{}{path}", shared.base))
        .header("host", "storm.test")
        .header("x-visitor", visitor.to_string());
    if path.starts_with("/.wartesaal/") {
        req = req.header("accept", "application/json");
    }
    if let Some(c) = cookie {
        req = req.header("cookie", format!("wartesaal_storm={c}"));
    }
    let resp = shared
        .client
        .request(req.body(Empty::new()).unwrap())
        .await
        .ok()?;
    let status = resp.status();
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("wartesaal_storm="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let body = resp.into_body().collect().await.ok()?.to_bytes();
    Some(Answer {
        status,
        cookie,
        body,
    })
}

fn micros(shared: &Shared) -> u64 {
    shared.started.elapsed().as_micros() as u64
}

async fn visitor(shared: Arc<Shared>, id: u64, deadline: Instant) {
    let fail = || {
        shared.errors.fetch_add(1, Ordering::Relaxed);
    };
    let arrived = micros(&shared);
    let Some(first) = get(&shared, "/", id, &None).await else {
        return fail();
    };
    if first.status != StatusCode::OK {
        return fail();
    }
    let sold_out = |body: &[u8]| body.windows(22).any(|w| w == b"data-state=\"sold_out\"");
    let Some(mut cookie) = first.cookie else {
        // Sold out already: told at once, and no number to hold.
        if sold_out(&first.body) {
            shared.outcomes.lock().unwrap().push(Outcome {
                seq: u64::MAX - id,
                arrived,
                admitted: None,
                last_wait: 0,
                told_none: Some(micros(&shared)),
                told_likely: false,
                wants: false,
                got_one: false,
            });
            return;
        }
        return fail();
    };
    let now_s = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let Ok(token) = shared.keys.verify(&cookie, now_s()) else {
        return fail();
    };
    let seq = token.seq;
    let mut last_wait = 0;
    let mut admitted = (&first.body[..] == b"booking").then(|| micros(&shared));
    let mut told_none = None;
    let mut told_likely = false;
    let mut rng = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while admitted.is_none() && Instant::now() < deadline {
        let asked = micros(&shared);
        let Some(status) = get(
            &shared,
            "/.wartesaal/status?room=storm",
            id,
            &Some(cookie.clone()),
        )
        .await
        else {
            fail();
            break;
        };
        if status.status != StatusCode::OK {
            fail();
            break;
        }
        if let Some(c) = status.cookie {
            cookie = c;
        }
        let json: serde_json::Value = match serde_json::from_slice(&status.body) {
            Ok(v) => v,
            Err(_) => {
                fail();
                break;
            }
        };
        match json["chance"].as_str() {
            Some("likely") => told_likely = true,
            Some("unlikely") => {
                told_none.get_or_insert(asked);
            }
            _ => {}
        }
        if json["state"] == "sold_out" {
            // The page would say so at every look from now on: this visitor knows.
            told_none.get_or_insert(asked);
            break;
        }
        if json["admitted"] == true {
            let Some(page) = get(&shared, "/", id, &Some(cookie.clone())).await else {
                fail();
                break;
            };
            if page.status != StatusCode::OK {
                fail();
                break;
            }
            if let Some(c) = page.cookie {
                cookie = c;
            }
            if &page.body[..] == b"booking" {
                admitted = Some(micros(&shared));
                break;
            }
            // Called, but in a crowded second: the page says to come back in a moment.
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        last_wait = asked;
        let secs = json["refresh_after_seconds"].as_u64().unwrap_or(5).max(1);
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let jitter = 0.8 + 0.4 * (rng % 1000) as f64 / 1000.0;
        tokio::time::sleep(Duration::from_secs_f64(secs as f64 * jitter)).await;
    }
    // A share of those let in book, a while later, if anything is left.
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    let wants = admitted.is_some() && (rng % 10_000) as f64 / 10_000.0 < shared.booking_ratio;
    let mut got_one = false;
    if wants {
        tokio::time::sleep(Duration::from_secs(20 + rng % 41)).await;
        match get(&shared, "/book", id, &Some(cookie.clone())).await {
            Some(page) if page.status == StatusCode::OK => got_one = &page.body[..] == b"booked",
            _ => fail(),
        }
    }
    shared.outcomes.lock().unwrap().push(Outcome {
        seq,
        arrived,
        admitted,
        last_wait,
        told_none,
        told_likely,
        wants,
        got_one,
    });
}

fn main() {
    let arrivals = env("STORM_ARRIVALS", 20_000);
    let spread = env("STORM_SPREAD_SECS", 10);
    let per_second = env("STORM_PER_SECOND", 50);
    let supply = env("STORM_SUPPLY", 1_000);
    let booking_ratio = std::env::var("STORM_BOOKING_RATIO")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.4);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let up = Arc::new(Upstream {
            started: Instant::now(),
            seen: Mutex::new(HashSet::new()),
            per_second: Mutex::new(Vec::new()),
            remaining: AtomicI64::new(supply as i64),
            gone_at: AtomicU64::new(0),
        });
        let up_addr = upstream(up.clone()).await;
        let state = std::env::temp_dir().join(format!("wartesaal-storm-{}", std::process::id()));
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n\
             [state]\ndir = \"{}\"\n[[rooms]]\nid = \"storm\"\nupstream = \"http://{up_addr}\"\n\
             admit_per_minute = {}\nsession_duration = \"{}s\"\n{}",
            state.display(),
            per_second * 60,
            env("STORM_SESSION_SECS", 60),
            if supply > 0 {
                format!("[rooms.supply]\nappointments = {supply}\n")
            } else {
                String::new()
            }
        );
        let secret = Secret::from_bytes([9u8; 32]);
        let config = Config::from_toml(
            &text,
            Path::new("storm.toml"),
            KeySource::Given(vec![secret.clone()]),
        )
        .unwrap();
        let running = wartesaal::start(config, Arc::new(SystemClock)).await.unwrap();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let shared = Arc::new(Shared {
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(512)
                .build(connector),
            base: format!("http://{}", running.public_addrs[0]),
            keys: Keyring::new(vec![secret]).unwrap().for_room("storm"),
            started: Instant::now(),
            errors: AtomicU64::new(0),
            outcomes: Mutex::new(Vec::new()),
            booking_ratio: if supply > 0 { booking_ratio } else { 0.0 },
        });
        let deadline = Instant::now()
            + Duration::from_secs(spread + arrivals / per_second.max(1) * 2 + 60);
        let mut tasks = Vec::with_capacity(arrivals as usize);
        let gap = Duration::from_secs(spread).as_nanos() as u64 / arrivals.max(1);
        for id in 0..arrivals {
            let at = shared.started + Duration::from_nanos(gap * id);
            let shared = shared.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(at.into()).await;
                visitor(shared, id, deadline).await;
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        let took = shared.started.elapsed();
        running.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(&state);

        let mut outcomes = shared.outcomes.lock().unwrap().clone();
        outcomes.sort_unstable();
        // A violation: someone told to wait after a later number had been let in.
        let mut violations = 0;
        let mut latest_wait = (0, None);
        for o in &outcomes {
            if let Some(at) = o.admitted {
                if at < latest_wait.0 {
                    // An earlier number was still told "wait" after this one got in.
                    violations += 1;
                    if violations <= 3 {
                        eprintln!("order violation: {o:?} let in before {:?} was told to wait", latest_wait.1);
                    }
                }
            }
            if o.last_wait > latest_wait.0 {
                latest_wait = (o.last_wait, Some(*o));
            }
        }
        let admitted = outcomes.iter().filter(|o| o.admitted.is_some()).count();
        let per_sec = up.per_second.lock().unwrap().clone();
        let peak = per_sec.iter().max().copied().unwrap_or(0);
        let over = per_sec.iter().filter(|n| **n > per_second * 2).count();
        println!("storm: {arrivals} arrivals within {spread} s, upstream takes {per_second} new sessions/s");
        println!("| figure | value |");
        println!("|---|---|");
        println!("| visitors admitted | {admitted} of {arrivals} in {:.0} s |", took.as_secs_f64());
        println!("| peak new sessions at the upstream in one second | {peak} (limit {per_second}, plus one second of burst: {}) |", per_second * 2);
        println!("| seconds above limit plus burst | {over} |");
        println!("| errors seen by visitors | {} |", shared.errors.load(Ordering::Relaxed));
        println!("| order violations | {violations} |");
        if supply > 0 {
            // Got none: never let in, or let in meaning to book and found nothing left.
            let none: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.admitted.is_none() || (o.wants && !o.got_one))
                .collect();
            let booked = outcomes.iter().filter(|o| o.got_one).count();
            let last_told = none.iter().filter_map(|o| o.told_none).max().unwrap_or(0);
            // Time to a verdict counts from arrival (or the opening, the start of the run).
            let longest_verdict = none
                .iter()
                .filter_map(|o| o.told_none.map(|t| t.saturating_sub(o.arrived)))
                .max()
                .unwrap_or(0);
            let gone_at = up.gone_at.load(Ordering::SeqCst);
            let after_gone = if gone_at == 0 {
                0
            } else {
                outcomes
                    .iter()
                    .filter(|o| o.admitted.is_some_and(|a| a > gone_at))
                    .count()
            };
            let in_for_nothing = outcomes
                .iter()
                .filter(|o| o.wants && !o.got_one)
                .count();
            let untold = none.iter().filter(|o| o.told_none.is_none()).count();
            let likely = outcomes.iter().filter(|o| o.told_likely).count();
            let likely_none = none.iter().filter(|o| o.told_likely).count();
            let left = up.remaining.load(Ordering::SeqCst);
            println!("| appointments booked | {booked} of {supply} ({left} left) |");
            println!("| visitors who got none | {} |", none.len());
            println!(
                "| the last of them first told \"unlikely\" or \"sold out\" | {:.1} min after opening |",
                last_told as f64 / 60e6
            );
            println!("| of them never told so (let in before the room could know) | {untold} |");
            println!("| told \"likely\" | {likely}, of whom {likely_none} got none |");
            println!(
                "| longest time from arrival to a verdict (\"unlikely\" or sold out) for one who got none | {:.1} min |",
                longest_verdict as f64 / 60e6
            );
            println!(
                "| let in after the last appointment was booked | {after_gone} ({:.1} % of the appointments; the last one booked {:.1} min after opening) |",
                after_gone as f64 * 100.0 / supply as f64,
                gone_at as f64 / 60e6
            );
            println!("| let in meaning to book and found nothing left | {in_for_nothing} |");
        }
    });
}
