//! The synthetic crowd: visitors with a cookie jar each, who arrive at the gateway, poll the
//! status as the waiting page's script does, and once let in walk the journey, timing every
//! answer of the booking site. It talks to the gateway through the gateway's own HTTP/1.1
//! client (`http1::UpstreamPool`). Must not decide rates or judge steps: `ladder` does.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use tokio::task::JoinSet;

use crate::config::Upstream;
use crate::http1::{BodyFraming, Outbound, RequestBody, UpstreamError, UpstreamPool};

use super::journey::{Journey, JourneyRequest};
use super::ladder::LatencyMs;

/// Largest answer body read; the rest of a bigger one is read and dropped piece by piece.
const MAX_KEPT_BODY: usize = 64 * 1024;
/// Times a visitor is told "in a moment" on a journey request before giving up.
const MAX_MOMENTS: u32 = 20;
/// Most visitors alive at once, whatever the rate: the crowd must not eat the machine.
const MAX_VISITORS: usize = 50_000;

/// Where the crowd goes and how it behaves.
#[derive(Debug, Clone)]
pub struct CrowdPlan {
    /// The gateway's public listener.
    pub gateway: std::net::SocketAddr,
    /// The `Host` the crowd sends: one of the room's.
    pub host: String,
    /// Where a visitor arrives: the room's path.
    pub landing: String,
    pub journey: Journey,
    /// The longest a visitor waits between two status polls (the page asks for more at
    /// times; near the front it polls every few seconds).
    pub poll_cap: Duration,
    /// How long one request may take before it counts as timed out.
    pub request_timeout: Duration,
}

/// One journey request as the step's meter keeps it.
#[derive(Debug, Clone, Copy)]
struct Timed {
    start: Instant,
    /// `None` while in flight.
    took: Option<Duration>,
    failed: bool,
    /// `false` for a request the site never saw.
    counted: bool,
}

/// What one step measures, from the end of its warm-up on.
pub struct StepMeter {
    began: Instant,
    timed: Mutex<Vec<Timed>>,
    /// Sessions started on the site (a journey's first request answered by it).
    sessions: AtomicU64,
    completed: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
}

/// A step's figures as they stand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub latency_ms: LatencyMs,
    pub sessions: u64,
    pub journeys_completed: u64,
    pub peak_in_flight: u64,
}

impl StepMeter {
    pub fn new(began: Instant) -> StepMeter {
        StepMeter {
            began,
            timed: Mutex::new(Vec::new()),
            sessions: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
        }
    }

    fn start(&self, at: Instant) -> usize {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        let mut timed = self.timed.lock().unwrap_or_else(|p| p.into_inner());
        timed.push(Timed {
            start: at,
            took: None,
            failed: false,
            counted: true,
        });
        timed.len() - 1
    }

    fn finish(&self, index: usize, took: Duration, failed: bool) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let mut timed = self.timed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = timed.get_mut(index) {
            t.took = Some(took);
            t.failed = failed;
        }
    }

    /// A request that turned out not to reach the site (the gateway said "in a moment").
    fn forget(&self, index: usize) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let mut timed = self.timed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = timed.get_mut(index) {
            t.counted = false;
        }
    }

    /// Requests answered so far and how many of them failed.
    pub fn errors_so_far(&self) -> (u64, u64) {
        let timed = self.timed.lock().unwrap_or_else(|p| p.into_inner());
        let done = timed.iter().filter(|t| t.took.is_some() && t.counted);
        let (mut n, mut failed) = (0, 0);
        for t in done {
            n += 1;
            failed += u64::from(t.failed);
        }
        (n, failed)
    }

    /// The figures at `now`: a request still in flight counts with the time it has waited.
    pub fn read(&self, now: Instant) -> Reading {
        let timed = self.timed.lock().unwrap_or_else(|p| p.into_inner());
        let mut latencies = Vec::with_capacity(timed.len());
        let mut errors = 0;
        for t in timed.iter().filter(|t| t.counted) {
            let took = t
                .took
                .unwrap_or_else(|| now.saturating_duration_since(t.start));
            errors += u64::from(t.failed);
            latencies.push(took.as_secs_f64() * 1000.0);
        }
        drop(timed);
        Reading {
            seconds: now.saturating_duration_since(self.began).as_secs_f64(),
            requests: latencies.len() as u64,
            errors,
            latency_ms: percentiles(&mut latencies),
            sessions: self.sessions.load(Ordering::Relaxed),
            journeys_completed: self.completed.load(Ordering::Relaxed),
            peak_in_flight: self.peak_in_flight.load(Ordering::Relaxed),
        }
    }
}

/// p50, p95 and p99 of `values` (nearest rank); zeros for none.
pub fn percentiles(values: &mut [f64]) -> LatencyMs {
    if values.is_empty() {
        return LatencyMs::default();
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let rank = (q * values.len() as f64).ceil() as usize;
        values[rank.clamp(1, values.len()) - 1]
    };
    LatencyMs {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
    }
}

/// The crowd: visitors keep arriving so that enough of them wait for the rate to call.
pub struct Crowd {
    plan: CrowdPlan,
    pool: Arc<UpstreamPool>,
    /// The step being measured; `None` in warm-ups and pauses.
    meter: ArcSwapOption<StepMeter>,
    waiting: AtomicUsize,
    alive: AtomicUsize,
}

/// Why a request of the crowd got no answer.
#[derive(Debug, thiserror::Error)]
pub enum CrowdError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the answer broke off: {0}")]
    Body(std::io::Error),
}

/// An answer as a visitor sees it.
pub struct Heard {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Heard {
    /// The gateway's waiting answer: the rehearsal runs the room with `queueing_status = 202`
    /// and every waiting answer carries `Retry-After`, which a booking site's own 202 does not.
    fn waiting(&self) -> bool {
        self.status == StatusCode::ACCEPTED && self.headers.contains_key(header::RETRY_AFTER)
    }
}

/// What the status JSON tells a waiting visitor.
#[derive(serde::Deserialize)]
struct Status {
    #[serde(default)]
    admitted: bool,
    #[serde(default)]
    refresh_after_seconds: Option<f64>,
}

impl Crowd {
    pub fn new(plan: CrowdPlan) -> Result<Arc<Crowd>, UpstreamError> {
        let gateway = Upstream {
            scheme: http::uri::Scheme::HTTP,
            authority: plan
                .gateway
                .to_string()
                .parse()
                .map_err(|_| UpstreamError::Invalid("the gateway's address"))?,
        };
        Ok(Arc::new(Crowd {
            pool: Arc::new(UpstreamPool::new(&gateway, None)?),
            plan,
            meter: ArcSwapOption::empty(),
            waiting: AtomicUsize::new(0),
            alive: AtomicUsize::new(0),
        }))
    }

    /// From now on, journey requests are measured by `meter` (`None`: not measured).
    pub fn measure(&self, meter: Option<Arc<StepMeter>>) {
        self.meter.store(meter);
    }

    /// Lets visitors arrive until the future is dropped, so that about `line` of them wait at
    /// any time; `line` is read each round, so a step changes it. Dropping the future ends
    /// every visitor.
    pub async fn arrive(self: &Arc<Self>, line: &AtomicUsize) {
        let mut visitors = JoinSet::new();
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tick.tick().await;
            while visitors.try_join_next().is_some() {}
            let want = line.load(Ordering::Relaxed);
            let mut have = self.waiting.load(Ordering::Relaxed);
            while have < want && self.alive.load(Ordering::Relaxed) < MAX_VISITORS {
                self.waiting.fetch_add(1, Ordering::Relaxed);
                self.alive.fetch_add(1, Ordering::Relaxed);
                let crowd = self.clone();
                visitors.spawn(async move {
                    crowd.visit().await;
                    crowd.alive.fetch_sub(1, Ordering::Relaxed);
                });
                have += 1;
            }
        }
    }

    /// One visitor from arrival to the journey's end.
    async fn visit(&self) {
        let mut jar = Jar::default();
        let arrived = self
            .send(&mut jar, &Method::GET, &self.plan.landing, "", true)
            .await;
        let in_already = match arrived {
            Ok(reply) => !reply.waiting(),
            Err(_) => false,
        };
        if !in_already && !self.wait_turn(&mut jar).await {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        self.walk(&mut jar).await;
    }

    /// Polls the status until let in; `false` if the gateway stops answering.
    async fn wait_turn(&self, jar: &mut Jar) -> bool {
        let mut failures = 0;
        loop {
            let pause = match self
                .send(jar, &Method::GET, "/.wartesaal/status", "", true)
                .await
            {
                Ok(reply) => match serde_json::from_slice::<Status>(&reply.body) {
                    Ok(status) if status.admitted => return true,
                    Ok(status) => status.refresh_after_seconds.unwrap_or(1.0),
                    Err(_) => 1.0,
                },
                Err(_) => {
                    failures += 1;
                    if failures > 5 {
                        return false;
                    }
                    1.0
                }
            };
            let pause = Duration::from_secs_f64(pause.clamp(0.0, 60.0)).min(self.plan.poll_cap);
            tokio::time::sleep(jitter(pause)).await;
        }
    }

    /// The journey, each answer timed; ends at the first failure.
    async fn walk(&self, jar: &mut Jar) {
        let mut started = false;
        for request in &self.plan.journey.requests {
            let mut moments = 0;
            loop {
                match self.timed(jar, request, !started).await {
                    Walked::Answered(true) => {
                        started = true;
                        break;
                    }
                    Walked::Answered(false) => return,
                    Walked::Moment if moments < MAX_MOMENTS => {
                        moments += 1;
                        tokio::time::sleep(jitter(self.plan.poll_cap)).await;
                    }
                    Walked::Moment => return,
                }
            }
        }
        if let Some(meter) = self.meter.load_full() {
            meter.completed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One journey request, measured when a step is.
    async fn timed(&self, jar: &mut Jar, request: &JourneyRequest, first: bool) -> Walked {
        let meter = self.meter.load_full();
        let start = Instant::now();
        let index = meter.as_ref().map(|m| m.start(start));
        // A session counts from its first request on, answered or not yet: what the crowd
        // drove, not what the site managed.
        if let (Some(m), true) = (&meter, first) {
            m.sessions.fetch_add(1, Ordering::Relaxed);
        }
        let reply = self
            .send(jar, &request.method, &request.path, &request.body, false)
            .await;
        let took = start.elapsed();
        let failed = match &reply {
            Ok(r) if r.waiting() => {
                if let (Some(m), Some(i)) = (&meter, index) {
                    m.forget(i);
                    if first {
                        m.sessions.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                return Walked::Moment;
            }
            Ok(r) => r.status.is_server_error(),
            Err(_) => true,
        };
        if let (Some(m), Some(i)) = (&meter, index) {
            m.finish(i, took, failed);
        }
        Walked::Answered(!failed)
    }

    /// One request through the gateway, with the visitor's cookies, within the timeout.
    pub async fn send(
        &self,
        jar: &mut Jar,
        method: &Method,
        path: &str,
        body: &str,
        json: bool,
    ) -> Result<Heard, CrowdError> {
        let out = outbound(&self.plan.host, method, path, body, jar, json);
        let timeout = self.plan.request_timeout;
        let exchange = async {
            let resp = self.pool.send(out).await?;
            let (parts, body) = resp.into_parts();
            let body = read_body(body).await.map_err(CrowdError::Body)?;
            Ok::<_, CrowdError>(Heard {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        let reply = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| CrowdError::Timeout(timeout))??;
        jar.take(&reply.headers);
        Ok(reply)
    }

    /// Visitors waiting in line now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// How one journey request went.
enum Walked {
    /// The site answered; `true` unless it failed.
    Answered(bool),
    /// The gateway asked the visitor to come back in a moment.
    Moment,
}

/// Reads a body to its end (so the connection can be used again), keeping its first
/// `MAX_KEPT_BODY` bytes.
async fn read_body<B>(mut body: B) -> Result<Bytes, B::Error>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            let room = MAX_KEPT_BODY.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Ok(Bytes::from(kept))
}

/// A pause of `base` give or take a fifth, so that a crowd does not poll in lockstep.
fn jitter(base: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let spread = match getrandom::getrandom(&mut byte) {
        Ok(()) => f64::from(byte[0]) / 255.0,
        Err(_) => 0.5,
    };
    base.mul_f64(0.8 + 0.4 * spread)
}

/// The request as the gateway's client writes it.
fn outbound(
    host: &str,
    method: &Method,
    path: &str,
    body: &str,
    jar: &Jar,
    json: bool,
) -> Outbound {
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\n").as_bytes());
    head.extend_from_slice(b"user-agent: wartesaal-rehearse\r\n");
    let accept: &[u8] = if json {
        b"accept: application/json\r\n"
    } else {
        b"accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
    };
    head.extend_from_slice(accept);
    if let Some(cookies) = jar.header() {
        head.extend_from_slice(format!("cookie: {cookies}\r\n").as_bytes());
    }
    let framing = if body.is_empty() {
        BodyFraming::Empty
    } else {
        head.extend_from_slice(b"content-type: application/x-www-form-urlencoded\r\n");
        BodyFraming::Length(body.len() as u64)
    };
    framing.write_header(method, false, &mut head);
    head.extend_from_slice(b"\r\n");
    let body = RequestBody::read(Bytes::from(body.to_string()), None, Duration::MAX);
    Outbound {
        head,
        method: method.clone(),
        body,
        framing,
    }
}

/// A visitor's cookies: what `Set-Cookie` gave, sent back as a browser would (the rehearsal
/// talks to one host, so domain and path are not told apart).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Jar {
    cookies: Vec<(String, String)>,
}

impl Jar {
    /// Takes every `Set-Cookie` of an answer; an empty value or `Max-Age=0` removes one.
    pub fn take(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            self.cookies.retain(|(n, _)| n != name);
            if !expired && !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    /// The `Cookie` header to send, if any.
    pub fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn the_jar_keeps_replaces_and_drops_cookies() {
        let mut jar = Jar::default();
        let mut h = HeaderMap::new();
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_static("wartesaal_r=t1; HttpOnly; Path=/"),
        );
        h.append(header::SET_COOKIE, HeaderValue::from_static("sid=abc"));
        jar.take(&h);
        assert_eq!(jar.header().unwrap(), "wartesaal_r=t1; sid=abc");
        let mut h = HeaderMap::new();
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_static("wartesaal_r=p2"),
        );
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_static("sid=; Max-Age=0"),
        );
        jar.take(&h);
        assert_eq!(jar.header().unwrap(), "wartesaal_r=p2");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = percentiles(&mut v);
        assert_eq!((p.p50, p.p95, p.p99), (50.0, 95.0, 99.0));
        assert_eq!(percentiles(&mut []), LatencyMs::default());
        assert_eq!(percentiles(&mut [7.0]).p99, 7.0);
    }

    #[test]
    fn a_meter_counts_requests_in_flight_by_their_wait() {
        let began = Instant::now();
        let m = StepMeter::new(began);
        let a = m.start(began);
        let b = m.start(began);
        m.finish(a, Duration::from_millis(10), false);
        let r = m.read(began + Duration::from_millis(500));
        assert_eq!((r.requests, r.errors, r.peak_in_flight), (2, 0, 2));
        assert_eq!(r.latency_ms.p99, 500.0);
        m.finish(b, Duration::from_millis(20), true);
        assert_eq!(m.errors_so_far(), (2, 1));
        let c = m.start(began);
        m.forget(c);
        assert_eq!(m.read(began).requests, 2);
    }
}
