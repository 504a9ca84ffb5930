//! The config file: owns parsing TOML into a validated `Config`, reporting every problem with
//! its key path and a hint. Must not start anything or touch the network.
//!
//! Two stages. The raw stage walks the parsed TOML table by hand instead of using serde's
//! `deny_unknown_fields`, because serde stops at the first problem and an operator fixing a
//! config at 06:45 on opening day wants to see all of them at once. Unknown keys are errors,
//! with a "did you mean" hint. The validated stage then checks values and cross-field rules
//! ("fail at boot, not under traffic").

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use ipnet::IpNet;

use rustls::sign::CertifiedKey;
use rustls_pki_types::CertificateDer;

use crate::access::passes::PassBounds;
use crate::access::ticket::{Keyring, Secret};
use crate::queue::adaptive::AdaptiveConfig;
use crate::queue::schedule::Schedule;

mod booking;
mod notify;
mod room;
mod sections;
mod state;
mod supply;
mod tls;
mod walk;

pub use booking::{is_placeholder, AgentMatch, SecretHeader};
pub use notify::{Credentials, NotifyConfig, SmtpSecurity, SmtpServer, DEFAULT_LEAD_TIME};
use room::room_section;
use sections::{admin_section, keys_section, server_section};
use state::state_section;
use walk::Section;

/// One thing wrong with a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Key path, e.g. `rooms[0].admit_per_minute`.
    pub key: String,
    pub message: String,
    pub hint: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)?;
        if !self.hint.is_empty() {
            write!(f, " (hint: {})", self.hint)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("config file {path} has {} problem(s):\n{}", problems.len(), list(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            ConfigError::Read { .. } | ConfigError::Syntax { .. } => &[],
        }
    }
}

/// How the `Secure` cookie attribute is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSecure {
    /// Secure when the request came over TLS or a trusted proxy says `X-Forwarded-Proto: https`.
    Auto,
    Always,
    Never,
}

pub use crate::locale::Lang;

/// A `Host` header pattern: `*`, an exact name, or `*.example.org` for any subdomain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    Any,
    Exact(String),
    Suffix(String),
}

impl HostPattern {
    /// `host` is already lower-case and without a port.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Exact(name) => host == name,
            HostPattern::Suffix(suffix) => {
                host.len() > suffix.len() && host.ends_with(suffix.as_str())
            }
        }
    }

    /// More specific patterns win when two rooms could take a request.
    pub fn specificity(&self) -> u8 {
        match self {
            HostPattern::Any => 0,
            HostPattern::Suffix(_) => 1,
            HostPattern::Exact(_) => 2,
        }
    }
}

/// Where a room forwards to. Only the scheme and authority: the request path goes as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub scheme: http::uri::Scheme,
    pub authority: http::uri::Authority,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: Vec<SocketAddr>,
    pub trusted_proxies: Vec<IpNet>,
    pub cookie_secure: CookieSecure,
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    /// Open connections one client address (IPv6: one /64) may hold on the public listeners;
    /// trusted proxies are not limited. 0 = no limit.
    pub max_connections_per_address: usize,
    pub grace_period: Duration,
    /// Request threads (the runtime's workers); 0 = one per CPU the process may use.
    pub threads: usize,
    /// `[server.tls]`: the HTTPS listeners and the certificate they serve.
    pub tls: Option<TlsConfig>,
}

/// `[server.tls]`. Certificate files are read and checked when the config is loaded, so a
/// config with a bad pair is never built and a reload with one keeps the old pairs serving.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub listen: Vec<SocketAddr>,
    pub handshake_timeout: Duration,
    /// `cert` and `key`, then each `[[server.tls.certificates]]`: chosen by the name a visitor
    /// asks for; the first also serves names no certificate covers.
    pub certificates: Vec<CertFile>,
    /// `[server.tls.acme]`: certificates ordered from an ACME CA and renewed by the gateway.
    pub acme: Option<AcmeConfig>,
}

/// A certificate chain and key from the operator's files.
#[derive(Debug, Clone)]
pub struct CertFile {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub certified: Arc<CertifiedKey>,
}

/// `[server.tls.acme]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AcmeConfig {
    /// One certificate is ordered per domain, so a name the CA refuses costs only its own.
    pub domains: Vec<String>,
    /// `mailto:` addresses the CA writes to about expiring certificates and policy changes.
    pub contact: Vec<String>,
    /// The CA's directory URL (HTTPS).
    pub directory: String,
    /// `ca_file`: the roots the directory's certificate is checked against instead of the
    /// system's (a private CA, or a test CA's).
    pub ca: Option<UpstreamCa>,
    /// How the CA is to check that the gateway answers for a domain.
    pub challenge: AcmeChallenge,
}

/// The ACME challenge the gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcmeChallenge {
    /// A token under `/.well-known/acme-challenge/` on the plain listener (port 80).
    Http01,
    /// A special certificate on the HTTPS listener (port 443), asked for with ALPN
    /// `acme-tls/1`.
    TlsAlpn01,
}

/// `upstream_ca_file`: the roots an HTTPS upstream's certificate is checked against instead of
/// the system's.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamCa {
    pub path: PathBuf,
    pub certs: Arc<Vec<CertificateDer<'static>>>,
}

#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub listen: SocketAddr,
    /// The bearer token every mutating admin call must carry; `None` turns them off.
    pub token: Option<AdminToken>,
}

/// The admin API's bearer token, read from `admin.token_file`. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(pub String);

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

/// Shortest admin token accepted: a guessable token on the control plane of an event is worse
/// than none.
const MIN_ADMIN_TOKEN_LEN: usize = 16;
/// More request threads than this only costs memory and context switches.
const MAX_THREADS: u64 = 1024;

/// Where room state lives between restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateConfig {
    /// `state.dir`; `None` keeps state in memory only (the demo, which signs with a fresh key
    /// each run anyway). Only the embedded backend uses it.
    pub dir: Option<PathBuf>,
    /// `Some` with `backend = "redis"`: several gateways share each room through Redis.
    pub redis: Option<RedisConfig>,
    pub on_unavailable: OnUnavailable,
}

/// Where the shared state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port/db`, or `rediss://` for TLS. With Sentinel, the
    /// user, password and database of the master (its host is asked of the sentinels).
    pub url: String,
    /// Begins every key, so that several deployments can share one Redis.
    pub prefix: String,
    /// How long one Redis command (and connecting) may take before Redis counts as away.
    pub timeout: Duration,
    /// `redis_sentinels` and `redis_master`: the primary is the one the sentinels name.
    pub sentinel: Option<Sentinel>,
    /// `redis_cluster`: seed nodes of a Redis Cluster (host, port).
    pub cluster: Option<Vec<(String, u16)>>,
    /// Replicas that must have a ticket number before it is handed out (`WAIT`), so that a
    /// failover to one of them cannot hand the same number out again. Not set: one whenever
    /// the primary has replicas connected, none without.
    pub min_replicas: Option<u32>,
    /// How long a line begun in an empty Redis, by a gateway with no copy of it, lets nobody
    /// new in: holders of an earlier line's tickets come back first.
    pub new_line_hold: Duration,
    /// With `on_unavailable = "open"`: how long Redis must be away before everyone passes, and
    /// answering again before the line holds again.
    pub open_after: Duration,
    /// `rediss://`: a private CA and a client certificate, if any.
    pub tls: Option<RedisTls>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentinel {
    pub addrs: Vec<(String, u16)>,
    pub master: String,
}

/// PEM bytes, read and checked at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisTls {
    /// Instead of the system's roots.
    pub ca: Option<Vec<u8>>,
    /// Certificate and key.
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

/// What the gateway does while Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnUnavailable {
    /// Waiting visitors keep waiting at their place and valid passes keep working; nobody new
    /// is let in or given a number.
    #[default]
    Hold,
    /// Everyone goes straight to the backend until Redis is back.
    Open,
}

#[derive(Debug, Clone)]
pub struct RoomConfig {
    pub id: String,
    pub title: String,
    /// The languages the room offers (`languages`) and its default (`language`), their
    /// messages parsed once at load, with the operator's `locales_dir` over the shipped ones.
    pub locales: Arc<crate::locale::Locales>,
    /// The zone the page's times are shown in; `None` shows UTC.
    pub time_zone: Option<RoomTimeZone>,
    /// `template_dir`: the operator's own page templates. The site loads them (and `check`
    /// tries them) with `page::templates::load_rooms`; the config only names the directory.
    pub template_dir: Option<PathBuf>,
    /// Which requests are the room's.
    pub scope: Scope,
    pub upstream: Upstream,
    /// How requests go on to `upstream`.
    pub forward: Forwarding,
    pub admit_per_minute: f64,
    pub max_active: u64,
    /// `[rooms.adaptive]` with `enabled = true`.
    pub adaptive: Option<AdaptiveConfig>,
    /// `[rooms.schedule]`: the room opens at a set time, with a pre-queue before it.
    pub schedule: Option<Schedule>,
    /// `[rooms.supply]`: what there is to book; `None` when the room does not count.
    pub supply: Option<SupplyConfig>,
    /// What a ticket takes and gives.
    pub tickets: Tickets,
    /// `[rooms.notify]`: an e-mail when it is nearly a waiting visitor's turn.
    pub notify: Option<NotifyConfig>,
}

impl RoomConfig {
    /// `language`: the room's default, the first choice when a visitor's is not offered.
    pub fn language(&self) -> Lang {
        self.locales.default_lang()
    }
}

/// Which requests are a room's: those to its hosts under its path prefixes, less the ones that
/// pass without queueing.
#[derive(Debug, Clone)]
pub struct Scope {
    pub hosts: Vec<HostPattern>,
    /// Where visitors are sent (a restored place, the language switch): the first of
    /// `path_prefixes`.
    pub path_prefix: String,
    /// Every prefix the room protects (`path_prefix` and `path_prefixes`).
    pub path_prefixes: Vec<String>,
    /// Staff and load tests with this header and secret pass without queueing.
    pub bypass_header: Option<SecretHeader>,
    /// Monitoring and crawlers by their `User-Agent`: pass without queueing.
    pub bypass_user_agents: Vec<AgentMatch>,
    pub bypass_paths: Vec<String>,
    pub bypass_cidrs: Vec<IpNet>,
}

/// How a room's requests go on to its upstream: the roots it is checked with, what tells the
/// booking site a request came through the line, and what one room may hold of the upstream.
#[derive(Debug, Clone)]
pub struct Forwarding {
    /// Private roots for an `https://` upstream; `None` trusts the system's.
    pub upstream_ca: Option<UpstreamCa>,
    /// The origin lock: added to every forwarded request, replacing any a client sent.
    pub origin_header: Option<SecretHeader>,
    /// `admission_header = true`: the key that signs `X-Wartesaal-Admission`.
    pub admission_key: Option<Vec<u8>>,
    pub max_upstream_concurrency: usize,
    pub upstream_timeout: Duration,
    /// How long an upload may pause, an upstream may pause inside its answer, or a visitor may
    /// leave an answer unread, before the exchange is given up and its upstream slot freed.
    pub body_idle_timeout: Duration,
}

/// What a ticket takes and gives: who may draw one, how its holder is answered while waiting,
/// and how long its place, and the pass it becomes, last.
#[derive(Debug, Clone)]
pub struct Tickets {
    /// `[rooms.issuance]`: limits on handing out new tickets.
    pub issuance: IssuanceConfig,
    /// `[[rooms.eligibility]]`: yes/no questions asked before a ticket is drawn.
    pub eligibility: Vec<Question>,
    /// `[rooms.invitations] required`: only a visitor with a valid invitation code
    /// (`wartesaal invite`) may draw a ticket.
    pub invitations_required: bool,
    /// The status the waiting page is answered with.
    pub queueing_status: StatusCode,
    pub hold_place_for: Duration,
    pub session_duration: Duration,
}

/// `[rooms.supply]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupplyConfig {
    /// What there is to book when the room opens (at each opening of its schedule).
    pub appointments: u64,
    /// When new appointments are expected once these are gone (Unix ms, offset in minutes).
    pub next_release: Option<(u64, i32)>,
}

/// One `[[rooms.eligibility]]` question, with what a "no" is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The question by language tag: `de` and `en`, and those of `text = { tr = "…" }`.
    pub texts: BTreeMap<String, String>,
    /// What a "no" is told, by language tag; a language without one is told the page's own
    /// words (`refused-otherwise`).
    pub otherwise: BTreeMap<String, String>,
}

impl Question {
    /// The question in `lang`, else in the room's `default`, else in German; with the
    /// language it is written in when that is another than `lang`.
    pub fn text(&self, lang: Lang, default: Lang) -> (&str, Option<Lang>) {
        if let Some(t) = self.texts.get(lang.code()) {
            return (t, None);
        }
        let fallback = if self.texts.contains_key(default.code()) {
            default
        } else {
            Lang::DE
        };
        let text = self.texts.get(fallback.code()).map_or("", String::as_str);
        (text, Some(fallback))
    }

    /// What a "no" to it is told in `lang`, if the operator wrote it in that language.
    pub fn otherwise(&self, lang: Lang) -> Option<&str> {
        self.otherwise.get(lang.code()).map(String::as_str)
    }

    /// The offered languages the question is not written in.
    pub fn missing(&self, offered: impl Iterator<Item = Lang>) -> Vec<Lang> {
        offered
            .filter(|l| !self.texts.contains_key(l.code()))
            .collect()
    }
}

/// A room's time zone by its IANA name, with daylight saving time.
#[derive(Debug, Clone)]
pub struct RoomTimeZone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl RoomTimeZone {
    /// `None` for a name the time zone database does not know.
    pub fn new(name: &str) -> Option<RoomTimeZone> {
        let tz = jiff::tz::TimeZone::get(name).ok()?;
        Some(RoomTimeZone {
            name: name.to_string(),
            tz,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Minutes east of UTC at the Unix second `unix`.
    pub fn offset_minutes(&self, unix: u64) -> i32 {
        let at = jiff::Timestamp::from_second(unix.min(i64::MAX as u64) as i64)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        self.tz.to_offset(at).seconds() / 60
    }
}

/// Limits on new tickets and on what one ticket can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuanceConfig {
    /// New tickets per client address (IPv6: per /64) per minute; 0 = no limit.
    pub per_ip_per_minute: u32,
    /// Leading zero bits the browser's proof of work must find; 0 = off.
    pub proof_of_work_bits: u8,
    /// How many passes one ticket may mint: a ticket copied to more browsers gets only this
    /// many of them in.
    pub passes_per_ticket: u32,
    /// What one pass may put on the upstream (`pass_requests_in_flight`,
    /// `pass_requests_per_second`): a pass copied to many machines gets no more than one
    /// browser loading a page.
    pub pass_bounds: PassBounds,
}

impl Default for IssuanceConfig {
    fn default() -> Self {
        IssuanceConfig {
            per_ip_per_minute: 0,
            proof_of_work_bits: 0,
            passes_per_ticket: DEFAULT_PASSES_PER_TICKET,
            pass_bounds: DEFAULT_PASS_BOUNDS,
        }
    }
}

/// A browser loading a page over HTTP/2 asks for a few dozen things at once at most; 32 in
/// flight and 100 a second leave it room and stop a pass shared across a botnet.
const DEFAULT_PASS_BOUNDS: PassBounds = PassBounds {
    in_flight: 32,
    per_second: 100,
};

/// A second device or a reload racing the pass cookie may mint again; a ticket sold to a
/// hundred people may not.
const DEFAULT_PASSES_PER_TICKET: u32 = 3;
/// A slow phone hashes perhaps 100,000 times a second in JavaScript: 20 bits take it about ten
/// seconds, 24 bits three minutes. More would shut out the people the room is for.
pub const MAX_PROOF_OF_WORK_BITS: u8 = 24;
/// `prequeue_from` when only `opens_at` is given.
const DEFAULT_PREQUEUE: Duration = Duration::from_secs(30 * 60);

impl RoomConfig {
    pub fn cookie_name(&self) -> String {
        format!("wartesaal_{}", self.id)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from: errors found after the parse (a room's templates) name it.
    pub path: PathBuf,
    pub server: ServerConfig,
    pub admin: AdminConfig,
    pub state: StateConfig,
    pub keys: Keyring,
    pub rooms: Vec<Arc<RoomConfig>>,
}

/// Where the signing keys come from. The demo makes one on the spot instead of reading files.
pub enum KeySource {
    Files,
    Given(Vec<Secret>),
}

/// The shortest wait page refresh is a few seconds and the longest 30 s; a place must be held
/// comfortably longer than that or polling visitors would drop out of line.
const MIN_HOLD_PLACE_FOR: Duration = Duration::from_secs(60);
/// The highest admission rate the config, the admin API and a state file may hold.
pub const MAX_ADMIT_PER_MINUTE: f64 = 60_000_000.0;

impl Config {
    /// What is valid but most likely a mistake, for `check` to print and `run` to log: the
    /// gateway starts anyway.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for net in &self.server.trusted_proxies {
            let broad = match net {
                IpNet::V4(n) => n.prefix_len() < 8,
                IpNet::V6(n) => n.prefix_len() < 16,
            };
            if broad {
                out.push(format!(
                    "server.trusted_proxies: {net} trusts most of the internet: any client can \
                     then claim any address in X-Forwarded-For and slip past the per-address \
                     limits and bypass_cidrs (hint: list only your own load balancers, e.g. \
                     10.0.0.0/8)"
                ));
            }
        }
        for (i, room) in self.rooms.iter().enumerate() {
            for (j, q) in room.tickets.eligibility.iter().enumerate() {
                let offered = room.locales.menu().map(|l| l.lang());
                let missing: Vec<String> = q.missing(offered).iter().map(Lang::to_string).collect();
                if !missing.is_empty() {
                    out.push(format!(
                        "rooms[{i}].eligibility[{j}]: not written in {}; those visitors read it \
                         in {} (hint: add text = {{ {} = \"…\" }})",
                        missing.join(", "),
                        room.language(),
                        missing[0]
                    ));
                }
            }
        }
        out
    }

    /// Reads and validates a config file. Relative key paths are taken from the working
    /// directory, like every other path an operator types on the command line.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml(&text, path, KeySource::Files)
    }

    pub fn from_toml(text: &str, path: &Path, keys: KeySource) -> Result<Config, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
        let mut problems = Vec::new();
        let config = build(&table, path, keys, &mut problems);
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            }),
        }
    }
}

fn build(root: &toml::Table, path: &Path, keys: KeySource, p: &mut Vec<Problem>) -> Option<Config> {
    let empty = toml::Table::new();
    let mut top = Section::new("", root);
    let server_t = top.table("server", p).unwrap_or(&empty);
    let admin_t = top.table("admin", p).unwrap_or(&empty);
    let keys_t = top.table("keys", p);
    let state_t = top.table("state", p).unwrap_or(&empty);
    let rooms_v = top.get("rooms");
    let locales_dir = top.string("locales_dir", p).filter(|d| !d.is_empty());
    top.finish(p);
    let global_locales = global_locales(locales_dir, p);

    let server = server_section(server_t, p);
    let admin = admin_section(admin_t, p);
    let state = state_section(state_t, p);
    let keyring = match keys {
        KeySource::Given(secrets) => {
            if let Some(t) = keys_t {
                Section::new("keys", t).finish(p);
            }
            Keyring::new(secrets).ok()
        }
        KeySource::Files => match keys_t {
            Some(t) => keys_section(t, p),
            None => {
                p.push(Problem {
                    key: "keys.files".into(),
                    message: "missing: the gateway needs a secret to sign tickets".into(),
                    hint: "run `wartesaal keygen > config/secret.key` and set \
                           [keys] files = [\"config/secret.key\"]"
                        .into(),
                });
                None
            }
        },
    };

    let mut rooms = Vec::new();
    match rooms_v {
        Some(toml::Value::Array(items)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("rooms[{i}]");
                match item {
                    toml::Value::Table(t) => {
                        if let Some(room) = room_section(&path, t, &global_locales, p) {
                            rooms.push(room);
                        }
                    }
                    other => p.push(Problem {
                        key: path,
                        message: format!("expected a table, found {}", other.type_str()),
                        hint: "write each room as a [[rooms]] section".into(),
                    }),
                }
            }
        }
        Some(toml::Value::Array(_)) | None => p.push(Problem {
            key: "rooms".into(),
            message: "no room configured: there is nothing to protect".into(),
            hint: "add a [[rooms]] section with id, upstream and admit_per_minute".into(),
        }),
        Some(other) => p.push(Problem {
            key: "rooms".into(),
            message: format!("expected a list of tables, found {}", other.type_str()),
            hint: "write each room as a [[rooms]] section".into(),
        }),
    }
    cross_checks(&server, &admin, &rooms, p);

    Some(Config {
        path: path.to_path_buf(),
        server: server?,
        admin: admin?,
        state: state?,
        keys: keyring?,
        rooms: rooms.into_iter().map(Arc::new).collect(),
    })
}

/// The global `locales_dir`, read once for all rooms.
fn global_locales(dir: Option<&str>, p: &mut Vec<Problem>) -> crate::locale::LocaleDir {
    let Some(dir) = dir else {
        return crate::locale::LocaleDir::default();
    };
    match crate::locale::read_dir(Path::new(dir), "locales_dir") {
        Ok(found) => found,
        Err(problems) => {
            p.extend(problems.into_iter().map(|lp| Problem {
                key: lp.key.to_string(),
                message: lp.message,
                hint: lp.hint,
            }));
            crate::locale::LocaleDir::default()
        }
    }
}

fn cross_checks(
    server: &Option<ServerConfig>,
    admin: &Option<AdminConfig>,
    rooms: &[RoomConfig],
    p: &mut Vec<Problem>,
) {
    let mut ids = HashSet::new();
    for (i, room) in rooms.iter().enumerate() {
        if !ids.insert(room.id.as_str()) {
            p.push(Problem {
                key: format!("rooms[{i}].id"),
                message: format!("room id `{}` is used twice", room.id),
                hint: "every room needs its own id (it names its cookie)".into(),
            });
        }
        for (j, other) in rooms.iter().enumerate().take(i) {
            let same_prefix = room
                .scope
                .path_prefixes
                .iter()
                .find(|prefix| other.scope.path_prefixes.contains(prefix));
            let same_host = room
                .scope
                .hosts
                .iter()
                .any(|h| other.scope.hosts.contains(h));
            if let (Some(prefix), true) = (same_prefix, same_host) {
                p.push(Problem {
                    key: format!("rooms[{i}]"),
                    message: format!(
                        "takes the same hosts and path prefix `{prefix}` as rooms[{j}]"
                    ),
                    hint: "give one of them other hosts or another path_prefix".into(),
                });
            }
        }
    }
    if let (Some(server), Some(admin)) = (server, admin) {
        if server.listen.contains(&admin.listen) && admin.listen.port() != 0 {
            p.push(Problem {
                key: "admin.listen".into(),
                message: format!("{} is also in server.listen", admin.listen),
                hint: "the admin listener needs its own port, e.g. 127.0.0.1:9090".into(),
            });
        }
        let tls_listen = server.tls.iter().flat_map(|t| &t.listen);
        for (i, addr) in tls_listen.enumerate() {
            let taken = if server.listen.contains(addr) {
                "server.listen"
            } else if *addr == admin.listen {
                "admin.listen"
            } else {
                continue;
            };
            if addr.port() != 0 {
                p.push(Problem {
                    key: format!("server.tls.listen[{i}]"),
                    message: format!("{addr} is also in {taken}"),
                    hint: "HTTPS needs its own port, e.g. 0.0.0.0:8443".into(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
