//! `wartesaal rehearse` against booking sites of known capacity started here: one that serves
//! so many requests a second and refuses the rest, one whose latency grows with the requests
//! it holds at once, and one that falls over. The rehearsal must find each knee within a fifth
//! of the true one, and stop at once when a site falls over. Real time, short steps, generous
//! tolerances: a rehearsal is a load run.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use wartesaal::access::ticket::Secret;
use wartesaal::config::{Config, KeySource};
use wartesaal::rehearse::ladder::{Finish, Verdict};
use wartesaal::rehearse::terminal::Quiet;
use wartesaal::rehearse::{
    self, Crowding, Journey, Ladder, RehearsalPlan, Rehearsed, StepPace, Targets,
};

use crate::support::{self, config_text, room, SECRET};

const BIN: &str = env!("CARGO_BIN_EXE_wartesaal");

/// How a test site takes load.
#[derive(Clone, Copy)]
enum Capacity {
    /// Serves `per_second` requests a second from a bucket of `burst`; above that, 503.
    Bucket { per_second: f64, burst: f64 },
    /// `workers` requests at a time, each `service` long; the rest wait their turn, so the
    /// latency grows with the requests the site holds at once.
    Workers { workers: usize, service: Duration },
    /// Serves at once until it sees more than `limit` requests within a second; then falls
    /// over for good: its listener and every connection close.
    FallsOver { limit: usize },
}

/// A booking site of known capacity on 127.0.0.1.
struct Site {
    url: String,
    served: Arc<AtomicU64>,
    fell_at: Arc<Mutex<Option<Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the site's handlers share.
struct Shared {
    capacity: Capacity,
    bucket: Mutex<(f64, Instant)>,
    workers: Semaphore,
    recent: Mutex<VecDeque<Instant>>,
    fell: Notify,
    fell_at: Arc<Mutex<Option<Instant>>>,
    served: Arc<AtomicU64>,
}

impl Shared {
    /// The status to answer with, after the time the site takes; `None` once it fell over.
    async fn answer(&self) -> Option<StatusCode> {
        match self.capacity {
            Capacity::Bucket { per_second, burst } => {
                let mut b = self.bucket.lock().unwrap();
                let now = Instant::now();
                b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * per_second).min(burst);
                b.1 = now;
                if b.0 >= 1.0 {
                    b.0 -= 1.0;
                    Some(StatusCode::OK)
                } else {
                    Some(StatusCode::SERVICE_UNAVAILABLE)
                }
            }
            Capacity::Workers { service, .. } => {
                let _worker = self.workers.acquire().await.ok()?;
                tokio::time::sleep(service).await;
                Some(StatusCode::OK)
            }
            Capacity::FallsOver { limit } => {
                let now = Instant::now();
                let mut recent = self.recent.lock().unwrap();
                recent.push_back(now);
                while recent
                    .front()
                    .is_some_and(|t| now - *t > Duration::from_secs(1))
                {
                    recent.pop_front();
                }
                if recent.len() > limit || self.fell_at.lock().unwrap().is_some() {
                    self.fell_at.lock().unwrap().get_or_insert(now);
                    self.fell.notify_one();
                    return None;
                }
                Some(StatusCode::OK)
            }
        }
    }
}

async fn site(capacity: Capacity) -> Site {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicU64::new(0));
    let fell_at = Arc::new(Mutex::new(None));
    let workers = match capacity {
        Capacity::Workers { workers, .. } => workers,
        _ => 1,
    };
    let shared = Arc::new(Shared {
        capacity,
        bucket: Mutex::new((
            match capacity {
                Capacity::Bucket { burst, .. } => burst,
                _ => 0.0,
            },
            Instant::now(),
        )),
        workers: Semaphore::new(workers),
        recent: Mutex::new(VecDeque::new()),
        fell: Notify::new(),
        fell_at: fell_at.clone(),
        served: served.clone(),
    });
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let (stream, _) = tokio::select! {
                // Falling over ends the listener and, with the set, every connection.
                () = shared.fell.notified() => return,
                accepted = listener.accept() => accepted.unwrap(),
            };
            let shared = shared.clone();
            connections.spawn(async move {
                let svc = service_fn(move |_req| {
                    let shared = shared.clone();
                    async move {
                        let status = shared.answer().await;
                        shared.served.fetch_add(1, Ordering::Relaxed);
                        let mut resp = Response::new(Full::new(Bytes::from_static(b"slots")));
                        *resp.status_mut() = status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Site {
        url: format!("http://{addr}"),
        served,
        fell_at,
        task,
    }
}

fn config(url: &str) -> Config {
    let text = config_text(
        "",
        &room("r", url, "admit_per_minute = 60\nupstream_timeout = \"5s\""),
    );
    Config::from_toml(
        &text,
        Path::new("test.toml"),
        KeySource::Given(vec![Secret::from_bytes(SECRET)]),
    )
    .unwrap()
}

fn plan(start: f64, target_ms: f64) -> RehearsalPlan {
    RehearsalPlan {
        room: "r".into(),
        journey: Journey::landing("/"),
        targets: Targets {
            target_latency_ms: target_ms,
            max_error_ratio: 0.05,
        },
        ladder: Ladder {
            start,
            ceiling: 6000.0,
            factor: 1.5,
            resolution: 1.1,
            max_steps: 10,
        },
        pace: StepPace::of(Duration::from_millis(3000), Duration::from_millis(200)),
        morning: None,
    }
}

fn within_a_fifth(found: &Rehearsed, truth: f64) {
    let knee = found.knee_per_minute.expect("a knee");
    assert!(
        (knee - truth).abs() <= 0.2 * truth,
        "knee {knee:.0}/min, true {truth:.0}/min; steps: {:#?}",
        found.steps
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_the_knee_of_a_site_that_refuses_above_its_rate() {
    // 20 a second: 1,200 new sessions a minute, each a journey of one request.
    let s = site(Capacity::Bucket {
        per_second: 20.0,
        burst: 6.0,
    })
    .await;
    let mut plan = plan(600.0, 1000.0);
    plan.morning = Some(Crowding {
        appointments: 4000,
        visitors: 66_000,
        arrivals_over: Duration::from_secs(3600),
    });
    let found = rehearse::rehearse(&config(&s.url), &plan, &Quiet)
        .await
        .unwrap();
    eprintln!("{}", rehearse::report::summary(&found));
    within_a_fifth(&found, 1200.0);
    assert_eq!(found.ending, Finish::KneeFound);
    assert!(found.steps.iter().any(|s| s.verdict == Verdict::Failing));
    let rec = found.recommended.unwrap();
    assert!((rec.admit_per_minute as f64) < found.knee_per_minute.unwrap());
    assert!(found.morning.unwrap().sold_out_after_seconds.is_some());
    // The answer `--json` prints.
    let json: serde_json::Value = serde_json::to_value(&found).unwrap();
    assert!(json["knee_per_minute"].is_number());
    assert!(json["recommended"]["max_upstream_concurrency"].is_u64());
    assert_eq!(json["steps"].as_array().unwrap().len(), found.steps.len());
    let page = rehearse::report::html(&found);
    assert_eq!(page.matches("<svg").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_the_knee_of_a_site_that_slows_down_with_concurrency() {
    // Four at a time, 200 ms each: 20 a second, 1,200 a minute; beyond that a line forms at
    // the site and grows, and with it the latency.
    let s = site(Capacity::Workers {
        workers: 4,
        service: Duration::from_millis(200),
    })
    .await;
    let found = rehearse::rehearse(&config(&s.url), &plan(600.0, 400.0), &Quiet)
        .await
        .unwrap();
    eprintln!("{}", rehearse::report::summary(&found));
    within_a_fifth(&found, 1200.0);
    assert!(found.steps.iter().any(|s| s.verdict == Verdict::Slow));
    let rec = found.recommended.unwrap();
    // The site held four at a time and queued the rest; the cap leaves room for that.
    assert!(rec.max_upstream_concurrency >= 4, "{rec:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_at_once_when_the_site_falls_over() {
    let s = site(Capacity::FallsOver { limit: 10 }).await;
    let started = Instant::now();
    let found = rehearse::rehearse(&config(&s.url), &plan(300.0, 1000.0), &Quiet)
        .await
        .unwrap();
    let ended = Instant::now();
    eprintln!("{}", rehearse::report::summary(&found));
    assert_eq!(found.ending, Finish::ErrorsRanAway, "{:#?}", found.steps);
    let last = found.steps.last().unwrap();
    assert_eq!(last.verdict, Verdict::RanAway);
    assert!(last.ended_early);
    assert!(found.steps.len() < plan(300.0, 1000.0).ladder.max_steps);
    let fell = s.fell_at.lock().unwrap().expect("the site fell over");
    // Seen within a second or so of falling, then nobody more let in and the gateway gone.
    let after = ended.duration_since(fell);
    assert!(after < Duration::from_secs(5), "{after:?} after the fall");
    assert!(started.elapsed() < Duration::from_secs(40));
    // The steps before the fall were good: the knee is below where it fell.
    assert!(found.knee_per_minute.is_some_and(|k| k < last.per_minute));
    assert!(s.served.load(Ordering::Relaxed) > 0);
}

/// `wartesaal rehearse` with the config and arguments given, stdin not a terminal.
fn run(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["rehearse", "--config"])
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_journey_line_it_cannot_parse_is_named_by_file_and_line() {
    let (dir, config) = support::setup(
        "rehearse-journey",
        "http://127.0.0.1:9",
        "admit_per_minute = 60",
    );
    let journey = dir.join("journey.txt");
    std::fs::write(&journey, "# the morning\nGET /\nPOST /book slot = 3\n").unwrap();
    let out = run(
        &config,
        &[
            "--room",
            "r",
            "--yes",
            "--journey",
            journey.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(err.contains("journey.txt:3:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_room_that_does_not_exist_is_named() {
    let (_dir, config) = support::setup(
        "rehearse-room",
        "http://127.0.0.1:9",
        "admit_per_minute = 60",
    );
    let out = run(&config, &["--room", "nope", "--yes"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(err.contains("no room `nope`"), "{err}");
    assert!(err.contains("its rooms: r"), "{err}");
}

#[test]
fn an_upstream_that_is_down_stops_it_before_any_step() {
    let port = support::free_port();
    let upstream = format!("http://127.0.0.1:{port}");
    let (_dir, config) = support::setup("rehearse-down", &upstream, "admit_per_minute = 60");
    let started = Instant::now();
    let out = run(&config, &["--room", "r", "--yes"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("cannot be reached"), "{err}");
    assert!(!err.contains("step at"), "no step ran: {err}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_prints_json_and_writes_the_report() {
    let up = support::upstream().await;
    let (dir, config) = support::setup("rehearse-cli", &up.url(), "admit_per_minute = 60");
    let report = dir.join("report.html");
    let args = [
        "--room",
        "r",
        "--yes",
        "--json",
        "--step-seconds",
        "1",
        "--poll-seconds",
        "0.2",
        "--start-per-minute",
        "60",
        "--max-per-minute",
        "120",
        "--appointments",
        "100",
        "--visitors",
        "1000",
        "--arrivals-over",
        "10m",
        "--report",
        report.to_str().unwrap(),
    ];
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&config, &args)
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["knee_per_minute"], 120.0, "{json:#}");
    assert_eq!(json["knee_is_lower_bound"], true);
    assert!(json["recommended"]["admit_per_minute"].as_u64().unwrap() <= 120);
    assert!(json["recommended"]["max_active"].is_u64());
    assert_eq!(json["steps"].as_array().unwrap().len(), 3);
    assert!(json["morning"]["sold_out_after_seconds"].is_number());
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.contains("<svg") && page.contains("Dress rehearsal"));
}
