//! Prometheus metrics: owns the registry, the metric names and per-room handles. Must not
//! compute anything: figures come from the rooms, resolved handles avoid label lookups on the
//! hot path. No global registry, so tests stay isolated; labels are bounded (room, outcome,
//! class, reason), never addresses or ticket numbers.

use prometheus::core::Metric as _;
use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::access::ticket::TokenError;

pub const TICKETS_ISSUED: &str = "wartesaal_tickets_issued_total";
pub const ADMITTED: &str = "wartesaal_admitted_total";
pub const QUEUE_WAITING: &str = "wartesaal_queue_waiting";
pub const ACTIVE_SESSIONS: &str = "wartesaal_active_sessions";
pub const ADMIT_RATE: &str = "wartesaal_admit_rate_per_minute";
pub const ESTIMATED_WAIT: &str = "wartesaal_estimated_wait_seconds";
/// Ticket to admission, per admitted visitor (those let straight in waited 0 s).
pub const WAIT_SECONDS: &str = "wartesaal_wait_seconds";
/// The real wait over the estimate a visitor was shown on arrival (the middle of its range).
pub const ESTIMATE_ERROR_RATIO: &str = "wartesaal_estimate_error_ratio";
pub const REQUESTS: &str = "wartesaal_requests_total";
pub const UPSTREAM_RESPONSES: &str = "wartesaal_upstream_responses_total";
pub const UPSTREAM_DURATION: &str = "wartesaal_upstream_duration_seconds";
pub const UPSTREAM_IN_FLIGHT: &str = "wartesaal_upstream_in_flight";
pub const TOKENS_REJECTED: &str = "wartesaal_tokens_rejected_total";
pub const SUPPLY_REMAINING: &str = "wartesaal_supply_remaining";
pub const BOOKINGS: &str = "wartesaal_bookings_total";
/// 1 while the room is sold out, else 0, so a dashboard shows when nobody can book any more.
pub const SOLD_OUT: &str = "wartesaal_sold_out";
/// Supply headers of the booking site ignored for a bad value or a repeat, so a booking site
/// that sends them wrong is noticed.
pub const SUPPLY_HEADERS_IGNORED: &str = "wartesaal_supply_headers_ignored_total";
pub const ELIGIBILITY_ANSWERS: &str = "wartesaal_eligibility_answers_total";
pub const PLACE_CODES: &str = "wartesaal_place_codes_total";
pub const INVITATIONS: &str = "wartesaal_invitations_total";
pub const NOTIFICATIONS: &str = "wartesaal_notifications_total";
/// E-mails sent, by why they went out (`LETTER_KINDS`).
pub const LETTERS: &str = "wartesaal_letters_total";
/// The `kind` labels of `wartesaal_letters_total`, in `DoorMetrics::letters` order: the turn
/// is near, called, sold out, closed.
pub const LETTER_KINDS: [&str; 4] = ["soon", "called", "sold_out", "closed"];
/// The `result` labels of `wartesaal_notifications_total`, in `RoomMetrics::notifications`
/// order: sign-ups taken or refused, e-mails sent, tries failed, letters given up, and the
/// e-mails' links followed or come too late.
pub const NOTIFICATION_RESULTS: [&str; 10] = [
    "registered",
    "invalid",
    "duplicate",
    "limited",
    "unavailable",
    "sent",
    "failed",
    "dropped",
    "followed",
    "expired",
];

/// Indices into `RoomMetrics::notifications`, named as `NOTIFICATION_RESULTS` labels them.
pub mod notified {
    pub const REGISTERED: usize = 0;
    pub const INVALID: usize = 1;
    pub const DUPLICATE: usize = 2;
    pub const LIMITED: usize = 3;
    pub const UNAVAILABLE: usize = 4;
    pub const SENT: usize = 5;
    pub const FAILED: usize = 6;
    pub const DROPPED: usize = 7;
    pub const FOLLOWED: usize = 8;
    pub const EXPIRED: usize = 9;
}
/// The `result` labels of `wartesaal_invitations_total`, in `RoomMetrics::invitations` order.
pub const INVITATION_RESULTS: [&str; 7] = [
    "drawn",
    "restored",
    "malformed",
    "unknown",
    "expired",
    "used",
    "limited",
];
/// The `result` labels of `wartesaal_place_codes_total`, in `RoomMetrics::place_codes` order.
pub const PLACE_CODE_RESULTS: [&str; 5] = ["restored", "malformed", "unknown", "lapsed", "limited"];
/// The no-show measurement behind the admission pace, so the pace can be explained.
pub const SHOW_UP_RATIO: &str = "wartesaal_show_up_ratio";

/// The two ends of the line, for dashboards that plot them.
pub const QUEUE_ISSUED: &str = "wartesaal_queue_issued";
pub const QUEUE_CURSOR: &str = "wartesaal_queue_cursor";
/// The adaptive rate's floor while it sets the rate, else 0, so an alert can see the rate stuck
/// at its floor.
pub const ADMIT_RATE_FLOOR: &str = "wartesaal_admit_rate_floor_per_minute";

/// New tickets and entries refused by the issuance rules, so a rule that refuses too much shows.
pub const ISSUANCE_REFUSED: &str = "wartesaal_issuance_refused_total";

/// What the gateway cut short or cleaned to protect the booking site, the visitors or itself
/// from hostile clients and odd upstreams.
pub const PROTECTIONS: &str = "wartesaal_protections_total";
/// Admin API changes refused for a bad or missing token (the log line about them is
/// rate-limited; this keeps the count).
pub const ADMIN_UNAUTHORIZED: &str = "wartesaal_admin_unauthorized_total";
/// Background tasks started again after a panic, by task name.
pub const TASK_RESTARTS: &str = "wartesaal_task_restarts_total";
/// When each certificate the HTTPS listeners serve expires (Unix seconds), by the domain it
/// covers: an alert fires well before a renewal that keeps failing lets one lapse.
pub const CERTIFICATE_EXPIRY: &str = "wartesaal_certificate_expiry_timestamp_seconds";
/// Public connections closed at once because their address holds `max_connections_per_address`
/// already.
pub const CONNECTIONS_REFUSED: &str = "wartesaal_connections_refused_total";

/// What was stopped, for `wartesaal_protections_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// A `Set-Cookie` from the upstream with one of the gateway's cookie names, dropped.
    UpstreamCookie,
    /// An answer whose upstream stalled, or whose visitor stopped reading, for
    /// `body_idle_timeout`: the upstream slot and connection freed.
    ResponseIdle,
    /// An upload that stalled for `body_idle_timeout` (or trickled in slower than the floor).
    UploadIdle,
    /// A pass with more requests in flight or per second than one browser makes.
    PassLimit,
    /// An upstream answer header that would have shown the visitor a secret the gateway
    /// added (the origin lock echoed back), dropped.
    UpstreamEcho,
}

impl Protection {
    const ALL: [Protection; 5] = [
        Protection::UpstreamCookie,
        Protection::ResponseIdle,
        Protection::UploadIdle,
        Protection::PassLimit,
        Protection::UpstreamEcho,
    ];

    fn label(self) -> &'static str {
        match self {
            Protection::UpstreamCookie => "upstream_cookie",
            Protection::ResponseIdle => "response_idle",
            Protection::UploadIdle => "upload_idle",
            Protection::PassLimit => "pass_limit",
            Protection::UpstreamEcho => "upstream_echo",
        }
    }
}

/// Why a ticket or an entry was refused, for `wartesaal_issuance_refused_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `per_ip_per_minute` reached for the client's address (or /64).
    RateLimit,
    /// A proof of work that was wrong, expired or used before.
    ProofOfWork,
    /// A ticket that minted `passes_per_ticket` passes already (a copy).
    TicketUsedUp,
    /// An answered eligibility form that drew its ticket already: given that one back.
    AnswerReplayed,
}

impl Refused {
    const ALL: [Refused; 4] = [
        Refused::RateLimit,
        Refused::ProofOfWork,
        Refused::TicketUsedUp,
        Refused::AnswerReplayed,
    ];

    fn label(self) -> &'static str {
        match self {
            Refused::RateLimit => "rate_limit",
            Refused::ProofOfWork => "proof_of_work",
            Refused::TicketUsedUp => "ticket_used_up",
            Refused::AnswerReplayed => "answer_replayed",
        }
    }
}

/// How a public request ended, for `wartesaal_requests_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Proxied,
    Waiting,
    Bypass,
    Status,
    Busy,
    Rejected,
}

impl Outcome {
    const ALL: [Outcome; 6] = [
        Outcome::Proxied,
        Outcome::Waiting,
        Outcome::Bypass,
        Outcome::Status,
        Outcome::Busy,
        Outcome::Rejected,
    ];

    fn label(self) -> &'static str {
        match self {
            Outcome::Proxied => "proxied",
            Outcome::Waiting => "waiting",
            Outcome::Bypass => "bypass",
            Outcome::Status => "status",
            Outcome::Busy => "busy",
            Outcome::Rejected => "rejected",
        }
    }
}

/// How an upstream exchange ended, for `wartesaal_upstream_responses_total{class}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamClass {
    S2xx,
    S3xx,
    S4xx,
    S5xx,
    Error,
    Timeout,
}

impl UpstreamClass {
    const ALL: [UpstreamClass; 6] = [
        UpstreamClass::S2xx,
        UpstreamClass::S3xx,
        UpstreamClass::S4xx,
        UpstreamClass::S5xx,
        UpstreamClass::Error,
        UpstreamClass::Timeout,
    ];

    pub fn of_status(status: http::StatusCode) -> UpstreamClass {
        match status.as_u16() {
            200..=299 => UpstreamClass::S2xx,
            300..=399 => UpstreamClass::S3xx,
            400..=499 => UpstreamClass::S4xx,
            500..=599 => UpstreamClass::S5xx,
            // 1xx never ends an exchange; anything else is the upstream misbehaving.
            _ => UpstreamClass::Error,
        }
    }

    fn label(self) -> &'static str {
        match self {
            UpstreamClass::S2xx => "2xx",
            UpstreamClass::S3xx => "3xx",
            UpstreamClass::S4xx => "4xx",
            UpstreamClass::S5xx => "5xx",
            UpstreamClass::Error => "error",
            UpstreamClass::Timeout => "timeout",
        }
    }
}

/// The registry and the metric families, one series per room (and label) in each.
pub struct Metrics {
    registry: Registry,
    line: LineFamilies,
    supply: SupplyFamilies,
    doors: DoorFamilies,
    traffic: TrafficFamilies,
    pub admin_unauthorized: IntCounter,
    pub connections_refused: IntCounter,
    /// By task name (`tasks::Supervisor`).
    pub task_restarts: IntCounterVec,
    /// By domain: the configured certificates' names and the ACME domains.
    pub certificate_expiry: IntGaugeVec,
}

/// One room's metric handles, resolved once.
#[derive(Clone)]
pub struct RoomMetrics {
    pub line: LineMetrics,
    pub supply: SupplyMetrics,
    pub doors: DoorMetrics,
    pub upstream_duration: Histogram,
    pub upstream_in_flight: IntGauge,
    requests: [IntCounter; 6],
    upstream: [IntCounter; 6],
    rejected: [IntCounter; 6],
    refused: [IntCounter; 4],
    protections: [IntCounter; 5],
}

/// The line's figures: tickets, admissions, the two ends, the pace and the wait.
#[derive(Clone)]
pub struct LineMetrics {
    pub tickets_issued: IntCounter,
    pub admitted: IntCounter,
    pub queue_waiting: IntGauge,
    pub active_sessions: IntGauge,
    pub admit_rate: Gauge,
    pub admit_rate_floor: Gauge,
    pub queue_issued: IntGauge,
    pub queue_cursor: IntGauge,
    pub estimated_wait: Gauge,
    pub show_up_ratio: Gauge,
    /// Waits and how well they were foretold.
    pub waits: WaitMetrics,
}

/// The waits visitors had, against the estimate shown when they arrived.
#[derive(Clone)]
pub struct WaitMetrics {
    wait: Histogram,
    error: Histogram,
    told: Arc<Told>,
}

/// Slots of `Told`: estimates of this many waiting numbers are remembered at once.
const TOLD_SLOTS: usize = 1 << 16;

/// The estimate each waiting number was shown on arrival, for `wartesaal_estimate_error_ratio`:
/// a ring indexed by the number, written and read without a lock (two relaxed stores on the
/// arrival path). A number whose slot a later one took (more than `TOLD_SLOTS` apart) is
/// simply not measured. Kept across reloads, as the line is.
pub struct Told {
    seqs: Box<[AtomicU64]>,
    /// `low << 32 | high`, seconds, each at most `u32::MAX`.
    ranges: Box<[AtomicU64]>,
}

impl Told {
    fn new() -> Told {
        let slots = || (0..TOLD_SLOTS).map(|_| AtomicU64::new(u64::MAX)).collect();
        Told {
            seqs: slots(),
            ranges: slots(),
        }
    }
}

impl WaitMetrics {
    /// Number `seq` was shown a wait of `low..=high` seconds on arrival.
    pub fn told(&self, seq: u64, low: u64, high: u64) {
        let i = (seq % TOLD_SLOTS as u64) as usize;
        let clamp = |s: u64| s.min(u64::from(u32::MAX));
        self.told.ranges[i].store(clamp(low) << 32 | clamp(high), Ordering::Relaxed);
        self.told.seqs[i].store(seq, Ordering::Relaxed);
    }

    /// The wait histogram now: admissions so far and, per bucket, its upper bound (seconds)
    /// and how many waited at most that long.
    pub fn wait_buckets(&self) -> (u64, Vec<(f64, u64)>) {
        let m = self.wait.metric();
        let h = m.get_histogram();
        let buckets = h
            .get_bucket()
            .iter()
            .map(|b| (b.get_upper_bound(), b.get_cumulative_count()))
            .collect();
        (h.get_sample_count(), buckets)
    }

    /// Number `seq` was let in after `waited` seconds in line.
    pub fn admitted(&self, seq: u64, waited: u64) {
        self.wait.observe(waited as f64);
        let i = (seq % TOLD_SLOTS as u64) as usize;
        if self.told.seqs[i].load(Ordering::Relaxed) != seq {
            return;
        }
        let range = self.told.ranges[i].swap(u64::MAX, Ordering::Relaxed);
        self.told.seqs[i].store(u64::MAX, Ordering::Relaxed);
        if range == u64::MAX {
            return;
        }
        let (low, high) = (range >> 32, range & u64::from(u32::MAX));
        let middle = ((low + high) as f64 / 2.0).max(1.0);
        self.error.observe(waited as f64 / middle);
    }
}

/// What there is to book, as the booking site reports it.
#[derive(Clone)]
pub struct SupplyMetrics {
    pub supply_remaining: IntGauge,
    pub bookings: IntCounter,
    pub sold_out: IntGauge,
    pub supply_ignored: IntCounter,
}

/// What visitors did at the side doors: the eligibility form, place codes, invitation codes
/// and e-mails.
#[derive(Clone)]
pub struct DoorMetrics {
    /// Per question (1, 2, …): the yes and the no counter.
    pub eligibility: Vec<[IntCounter; 2]>,
    /// Place codes handed back, by `PLACE_CODE_RESULTS`.
    pub place_codes: [IntCounter; 5],
    /// E-mails asked for, sent and followed, by `NOTIFICATION_RESULTS`.
    pub notifications: [IntCounter; 10],
    /// E-mails sent, by `LETTER_KINDS`.
    pub letters: [IntCounter; 4],
    /// Invitation codes entered, by `INVITATION_RESULTS`.
    pub invitations: [IntCounter; 7],
}

impl RoomMetrics {
    pub fn request(&self, outcome: Outcome) {
        self.requests[outcome as usize].inc();
    }

    pub fn upstream(&self, class: UpstreamClass) {
        self.upstream[class as usize].inc();
    }

    pub fn token_rejected(&self, why: TokenError) {
        self.rejected[why as usize].inc();
    }

    pub fn refused(&self, why: Refused) {
        self.refused[why as usize].inc();
    }

    pub fn protected(&self, what: Protection, times: u64) {
        self.protections[what as usize].inc_by(times);
    }

    /// The counter of `what`, for work that counts on its own (an answer's pump).
    pub fn protection(&self, what: Protection) -> IntCounter {
        self.protections[what as usize].clone()
    }

    /// Upstream exchanges so far, in the order of `UpstreamClass`.
    pub fn upstream_counts(&self) -> [u64; 6] {
        std::array::from_fn(|i| self.upstream[i].get())
    }
}

/// Makes metric families and registers them in one registry.
struct Registrar<'a>(&'a Registry);

impl Registrar<'_> {
    fn register<C: prometheus::core::Collector + Clone + 'static>(&self, c: C) -> C {
        // Names are constants in this file and distinct; a clash is a programming error that
        // the unit tests below catch.
        self.0
            .register(Box::new(c.clone()))
            .expect("metric names are unique");
        c
    }

    fn counter(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        self.register(IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"))
    }

    /// A counter with no labels: one for the whole process.
    fn total(&self, name: &str, help: &str) -> IntCounter {
        self.register(IntCounter::new(name, help).expect("valid metric"))
    }

    fn int_gauge(&self, name: &str, help: &str) -> IntGaugeVec {
        self.register(IntGaugeVec::new(Opts::new(name, help), &["room"]).expect("valid metric"))
    }

    fn histogram(&self, name: &str, help: &str, buckets: Vec<f64>) -> HistogramVec {
        self.register(
            HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), &["room"])
                .expect("valid metric"),
        )
    }

    fn gauge(&self, name: &str, help: &str) -> GaugeVec {
        self.register(GaugeVec::new(Opts::new(name, help), &["room"]).expect("valid metric"))
    }
}

struct LineFamilies {
    tickets_issued: IntCounterVec,
    admitted: IntCounterVec,
    queue_waiting: IntGaugeVec,
    active_sessions: IntGaugeVec,
    admit_rate: GaugeVec,
    admit_rate_floor: GaugeVec,
    queue_issued: IntGaugeVec,
    queue_cursor: IntGaugeVec,
    estimated_wait: GaugeVec,
    show_up_ratio: GaugeVec,
    wait: HistogramVec,
    error: HistogramVec,
    told: std::sync::Mutex<std::collections::HashMap<String, Arc<Told>>>,
}

impl LineFamilies {
    fn new(r: &Registrar) -> LineFamilies {
        LineFamilies {
            tickets_issued: r.counter(TICKETS_ISSUED, "Queue tickets handed out.", &["room"]),
            admitted: r.counter(
                ADMITTED,
                "Passes minted, i.e. real new sessions.",
                &["room"],
            ),
            queue_waiting: r.int_gauge(QUEUE_WAITING, "Tickets issued minus the cursor."),
            active_sessions: r.int_gauge(ACTIVE_SESSIONS, "Admitted sessions not yet idle."),
            admit_rate: r.gauge(ADMIT_RATE, "Effective admission rate now, per minute."),
            admit_rate_floor: r.gauge(
                ADMIT_RATE_FLOOR,
                "The adaptive rate's floor (min_per_minute) while it sets the rate, else 0.",
            ),
            queue_issued: r.int_gauge(QUEUE_ISSUED, "Ticket numbers handed out in this line."),
            queue_cursor: r.int_gauge(QUEUE_CURSOR, "Ticket numbers called so far."),
            estimated_wait: r.gauge(ESTIMATED_WAIT, "Estimated wait for someone arriving now."),
            show_up_ratio: r.gauge(
                SHOW_UP_RATIO,
                "Share of called numbers whose holders turned up; the cursor runs 1/ratio times the rate.",
            ),
            wait: r.histogram(
                WAIT_SECONDS,
                "Time from ticket to admission, per admitted visitor.",
                vec![
                    1.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0,
                    3600.0, 5400.0, 7200.0, 10800.0, 14400.0,
                ],
            ),
            error: r.histogram(
                ESTIMATE_ERROR_RATIO,
                "The real wait over the estimate shown on arrival (1 = as foretold).",
                vec![0.25, 0.5, 0.75, 0.9, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0],
            ),
            told: std::sync::Mutex::default(),
        }
    }

    fn room(&self, room: &str) -> LineMetrics {
        LineMetrics {
            tickets_issued: self.tickets_issued.with_label_values(&[room]),
            admitted: self.admitted.with_label_values(&[room]),
            queue_waiting: self.queue_waiting.with_label_values(&[room]),
            active_sessions: self.active_sessions.with_label_values(&[room]),
            admit_rate: self.admit_rate.with_label_values(&[room]),
            admit_rate_floor: self.admit_rate_floor.with_label_values(&[room]),
            queue_issued: self.queue_issued.with_label_values(&[room]),
            queue_cursor: self.queue_cursor.with_label_values(&[room]),
            estimated_wait: self.estimated_wait.with_label_values(&[room]),
            show_up_ratio: self.show_up_ratio.with_label_values(&[room]),
            waits: WaitMetrics {
                wait: self.wait.with_label_values(&[room]),
                error: self.error.with_label_values(&[room]),
                told: self
                    .told
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(room.to_string())
                    .or_insert_with(|| Arc::new(Told::new()))
                    .clone(),
            },
        }
    }
}

struct SupplyFamilies {
    supply_remaining: IntGaugeVec,
    bookings: IntCounterVec,
    sold_out: IntGaugeVec,
    supply_ignored: IntCounterVec,
}

impl SupplyFamilies {
    fn new(r: &Registrar) -> SupplyFamilies {
        SupplyFamilies {
            supply_remaining: r.int_gauge(
                SUPPLY_REMAINING,
                "Appointments left to book; -1 when the room does not count its supply.",
            ),
            bookings: r.counter(
                BOOKINGS,
                "Appointments booked, as the booking site's answers reported them here.",
                &["room"],
            ),
            sold_out: r.int_gauge(SOLD_OUT, "1 while the room is sold out, else 0."),
            supply_ignored: r.counter(
                SUPPLY_HEADERS_IGNORED,
                "Supply headers of the booking site ignored: not a count within bounds, or repeated.",
                &["room"],
            ),
        }
    }

    fn room(&self, room: &str) -> SupplyMetrics {
        SupplyMetrics {
            supply_remaining: self.supply_remaining.with_label_values(&[room]),
            bookings: self.bookings.with_label_values(&[room]),
            sold_out: self.sold_out.with_label_values(&[room]),
            supply_ignored: self.supply_ignored.with_label_values(&[room]),
        }
    }
}

struct DoorFamilies {
    eligibility_answers: IntCounterVec,
    place_codes: IntCounterVec,
    notifications: IntCounterVec,
    letters: IntCounterVec,
    invitations: IntCounterVec,
}

impl DoorFamilies {
    fn new(r: &Registrar) -> DoorFamilies {
        DoorFamilies {
            eligibility_answers: r.counter(
                ELIGIBILITY_ANSWERS,
                "Answers to the room's eligibility questions (numbered from 1), never stored.",
                &["room", "question", "answer"],
            ),
            place_codes: r.counter(
                PLACE_CODES,
                "Place codes entered at /.wartesaal/restore, by result.",
                &["room", "result"],
            ),
            notifications: r.counter(
                NOTIFICATIONS,
                "E-mails to waiting visitors: sign-ups, sends, failed tries and links followed.",
                &["room", "result"],
            ),
            letters: r.counter(
                LETTERS,
                "E-mails sent to waiting visitors, by why they went out.",
                &["room", "kind"],
            ),
            invitations: r.counter(
                INVITATIONS,
                "Invitation codes entered at /.wartesaal/invitation, by result.",
                &["room", "result"],
            ),
        }
    }

    fn room(&self, room: &str, questions: usize) -> DoorMetrics {
        DoorMetrics {
            eligibility: (1..=questions)
                .map(|q| {
                    let q = q.to_string();
                    ["yes", "no"].map(|a| {
                        self.eligibility_answers
                            .with_label_values(&[room, q.as_str(), a])
                    })
                })
                .collect(),
            place_codes: PLACE_CODE_RESULTS.map(|r| self.place_codes.with_label_values(&[room, r])),
            invitations: INVITATION_RESULTS.map(|r| self.invitations.with_label_values(&[room, r])),
            notifications: NOTIFICATION_RESULTS
                .map(|r| self.notifications.with_label_values(&[room, r])),
            letters: LETTER_KINDS.map(|k| self.letters.with_label_values(&[room, k])),
        }
    }
}

/// Requests, what the upstream answered, and what was refused or cut short on the way.
struct TrafficFamilies {
    requests: IntCounterVec,
    upstream_responses: IntCounterVec,
    upstream_duration: HistogramVec,
    upstream_in_flight: IntGaugeVec,
    tokens_rejected: IntCounterVec,
    issuance_refused: IntCounterVec,
    protections: IntCounterVec,
}

impl TrafficFamilies {
    fn new(r: &Registrar) -> TrafficFamilies {
        TrafficFamilies {
            requests: r.counter(
                REQUESTS,
                "Public requests by how they ended.",
                &["room", "outcome"],
            ),
            upstream_responses: r.counter(
                UPSTREAM_RESPONSES,
                "Upstream exchanges by result class.",
                &["room", "class"],
            ),
            upstream_duration: r.register(
                HistogramVec::new(
                    HistogramOpts::new(UPSTREAM_DURATION, "Time to upstream response headers.")
                        .buckets(vec![
                            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                        ]),
                    &["room"],
                )
                .expect("valid metric"),
            ),
            upstream_in_flight: r.int_gauge(UPSTREAM_IN_FLIGHT, "Upstream requests in flight."),
            tokens_rejected: r.counter(
                TOKENS_REJECTED,
                "Cookies refused as tokens, by reason.",
                &["room", "reason"],
            ),
            issuance_refused: r.counter(
                ISSUANCE_REFUSED,
                "New tickets and entries refused by the issuance rules, by reason.",
                &["room", "reason"],
            ),
            protections: r.counter(
                PROTECTIONS,
                "What the gateway cut short or cleaned against hostile clients and odd upstreams, by reason.",
                &["room", "reason"],
            ),
        }
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let r = Registrar(&registry);
        let task_restarts = r.register(
            IntCounterVec::new(
                Opts::new(
                    TASK_RESTARTS,
                    "Background tasks started again after a panic, by task.",
                ),
                &["task"],
            )
            .expect("valid metric"),
        );
        Metrics {
            line: LineFamilies::new(&r),
            supply: SupplyFamilies::new(&r),
            doors: DoorFamilies::new(&r),
            traffic: TrafficFamilies::new(&r),
            admin_unauthorized: r.total(
                ADMIN_UNAUTHORIZED,
                "Admin API changes refused for a bad or missing token.",
            ),
            connections_refused: r.total(
                CONNECTIONS_REFUSED,
                "Public connections closed at once: their address holds max_connections_per_address.",
            ),
            task_restarts,
            certificate_expiry: r.register(
                IntGaugeVec::new(
                    Opts::new(
                        CERTIFICATE_EXPIRY,
                        "When the certificate served for a domain expires, in Unix seconds.",
                    ),
                    &["domain"],
                )
                .expect("valid metric"),
            ),
            registry,
        }
    }

    /// Handles for one room. Creating them also makes every labelled series exist at zero, so
    /// dashboards and alerts see the room before the first event.
    pub fn room(&self, room: &str, questions: usize) -> RoomMetrics {
        let t = &self.traffic;
        RoomMetrics {
            line: self.line.room(room),
            supply: self.supply.room(room),
            doors: self.doors.room(room, questions),
            requests: Outcome::ALL.map(|o| t.requests.with_label_values(&[room, o.label()])),
            upstream: UpstreamClass::ALL
                .map(|c| t.upstream_responses.with_label_values(&[room, c.label()])),
            upstream_duration: t.upstream_duration.with_label_values(&[room]),
            upstream_in_flight: t.upstream_in_flight.with_label_values(&[room]),
            rejected: TokenError::ALL
                .map(|e| t.tokens_rejected.with_label_values(&[room, e.reason()])),
            refused: Refused::ALL.map(|r| t.issuance_refused.with_label_values(&[room, r.label()])),
            protections: Protection::ALL
                .map(|p| t.protections.with_label_values(&[room, p.label()])),
        }
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8192);
        // Encoding into a Vec cannot fail on IO; a metric family that cannot be encoded is
        // skipped by the encoder's own checks.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_metric_is_exported_with_room_label() {
        let m = Metrics::new();
        let room = m.room("impf", 1);
        room.request(Outcome::Busy);
        room.token_rejected(TokenError::Expired);
        let text = String::from_utf8(m.render()).unwrap();
        for name in [
            TICKETS_ISSUED,
            ADMITTED,
            QUEUE_WAITING,
            ACTIVE_SESSIONS,
            ADMIT_RATE,
            ESTIMATED_WAIT,
            REQUESTS,
            UPSTREAM_RESPONSES,
            UPSTREAM_DURATION,
            UPSTREAM_IN_FLIGHT,
            TOKENS_REJECTED,
            SHOW_UP_RATIO,
            SUPPLY_REMAINING,
            BOOKINGS,
            SOLD_OUT,
            SUPPLY_HEADERS_IGNORED,
            ELIGIBILITY_ANSWERS,
        ] {
            assert!(text.contains(&format!("# TYPE {name} ")), "{name} missing");
        }
        assert!(text.contains(r#"wartesaal_requests_total{outcome="busy",room="impf"} 1"#));
        assert!(text.contains(r#"wartesaal_tokens_rejected_total{reason="expired",room="impf"} 1"#));
    }
}
