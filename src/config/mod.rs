//! The config file: owns parsing TOML into a validated `Config`, reporting every problem with
//! its key path and a hint. Must not start anything or touch the network.
//!
//! Two stages. The raw stage walks the parsed TOML table by hand instead of using serde's
//! `deny_unknown_fields`, because serde stops at the first problem and an operator fixing a
//! config at 06:45 on opening day wants to see all of them at once. Unknown keys are errors,
//! with a "did you mean" hint. The validated stage then checks values and cross-field rules
//! ("fail at boot, not under traffic").

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use ipnet::IpNet;

use rustls::sign::CertifiedKey;
use rustls_pki_types::CertificateDer;

use crate::adaptive::AdaptiveConfig;
use crate::schedule::{Schedule, Window};
use crate::templates::Templates;
use crate::ticket::{Keyring, Secret};
use crate::tls;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

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
    pub grace_period: Duration,
    /// Request threads (the runtime's workers); 0 = one per CPU the process may use.
    pub threads: usize,
    /// `[server.tls]`: the HTTPS listeners and the certificate they serve.
    pub tls: Option<TlsConfig>,
}

/// `[server.tls]`. The certificate and key are read and checked when the config is loaded, so
/// a config with a bad pair is never built and a reload with one keeps the old pair serving.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub listen: Vec<SocketAddr>,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub handshake_timeout: Duration,
    pub certified: Arc<CertifiedKey>,
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
    /// `redis://[user:password@]host:port/db`.
    pub url: String,
    /// Begins every key, so that several deployments can share one Redis.
    pub prefix: String,
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
    pub hosts: Vec<HostPattern>,
    pub path_prefix: String,
    pub upstream: Upstream,
    /// Private roots for an `https://` upstream; `None` trusts the system's.
    pub upstream_ca: Option<UpstreamCa>,
    pub title: String,
    pub language: Lang,
    pub admit_per_minute: f64,
    pub max_active: u64,
    pub session_duration: Duration,
    pub hold_place_for: Duration,
    pub bypass_paths: Vec<String>,
    pub bypass_cidrs: Vec<IpNet>,
    pub max_upstream_concurrency: usize,
    pub upstream_timeout: Duration,
    pub queueing_status: StatusCode,
    /// `[rooms.adaptive]` with `enabled = true`.
    pub adaptive: Option<AdaptiveConfig>,
    /// `[rooms.schedule]`: the room opens at a set time, with a pre-queue before it.
    pub schedule: Option<Schedule>,
    /// `[rooms.issuance]`: limits on handing out new tickets.
    pub issuance: Issuance,
    /// The zone the page's times are shown in; `None` shows UTC.
    pub time_zone: Option<RoomTimeZone>,
    /// `template_dir`: the operator's own page templates, checked at load.
    pub templates: Option<Arc<Templates>>,
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
pub struct Issuance {
    /// New tickets per client address (IPv6: per /64) per minute; 0 = no limit.
    pub per_ip_per_minute: u32,
    /// Leading zero bits the browser's proof of work must find; 0 = off.
    pub proof_of_work_bits: u8,
    /// How many passes one ticket may mint: a ticket copied to more browsers gets only this
    /// many of them in.
    pub passes_per_ticket: u32,
}

impl Default for Issuance {
    fn default() -> Self {
        Issuance {
            per_ip_per_minute: 0,
            proof_of_work_bits: 0,
            passes_per_ticket: DEFAULT_PASSES_PER_TICKET,
        }
    }
}

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
const MAX_ADMIT_PER_MINUTE: f64 = 60_000_000.0;

impl Config {
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
        let config = build(&table, keys, &mut problems);
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            }),
        }
    }
}

/// A view of one TOML table that remembers which keys were read, so the rest can be reported
/// as unknown.
struct Section<'a> {
    path: String,
    table: &'a toml::Table,
    known: Vec<&'static str>,
}

impl<'a> Section<'a> {
    fn new(path: impl Into<String>, table: &'a toml::Table) -> Self {
        Self {
            path: path.into(),
            table,
            known: Vec::new(),
        }
    }

    fn key(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a toml::Value> {
        self.known.push(key);
        self.table.get(key)
    }

    fn wrong_type(&self, key: &str, want: &str, got: &toml::Value, p: &mut Vec<Problem>) {
        p.push(Problem {
            key: self.key(key),
            message: format!("expected {want}, found {}", got.type_str()),
            hint: String::new(),
        });
    }

    fn string(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<&'a str> {
        match self.get(key)? {
            toml::Value::String(s) => Some(s),
            other => {
                self.wrong_type(key, "a string", other, p);
                None
            }
        }
    }

    fn strings(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<Vec<&'a str>> {
        match self.get(key)? {
            toml::Value::String(s) => Some(vec![s.as_str()]),
            toml::Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        toml::Value::String(s) => out.push(s.as_str()),
                        other => {
                            self.wrong_type(&format!("{key}[{i}]"), "a string", other, p);
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.wrong_type(key, "a list of strings", other, p);
                None
            }
        }
    }

    fn integer(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<i64> {
        match self.get(key)? {
            toml::Value::Integer(n) => Some(*n),
            other => {
                self.wrong_type(key, "a whole number", other, p);
                None
            }
        }
    }

    fn unsigned(&mut self, key: &'static str, min: u64, p: &mut Vec<Problem>) -> Option<u64> {
        let n = self.integer(key, p)?;
        if n < min as i64 {
            p.push(Problem {
                key: self.key(key),
                message: format!("must be at least {min}, found {n}"),
                hint: String::new(),
            });
            return None;
        }
        Some(n as u64)
    }

    fn boolean(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<bool> {
        match self.get(key)? {
            toml::Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(key, "true or false", other, p);
                None
            }
        }
    }

    fn number(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<f64> {
        match self.get(key)? {
            toml::Value::Integer(n) => Some(*n as f64),
            toml::Value::Float(x) => Some(*x),
            other => {
                self.wrong_type(key, "a number", other, p);
                None
            }
        }
    }

    fn duration(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<Duration> {
        let s = self.string(key, p)?;
        match humantime::parse_duration(s) {
            Ok(d) => Some(d),
            Err(e) => {
                p.push(Problem {
                    key: self.key(key),
                    message: format!("`{s}` is not a duration ({e})"),
                    hint: "write it like \"90s\", \"10m\" or \"1h\"".into(),
                });
                None
            }
        }
    }

    /// An RFC 3339 time with its UTC offset, written as a string or a TOML date-time: Unix
    /// milliseconds and the offset in minutes.
    fn time(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<(u64, i32)> {
        let text = match self.get(key)? {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => {
                self.wrong_type(key, "a time like \"2021-03-27T08:00:00+01:00\"", other, p);
                return None;
            }
        };
        match crate::schedule::parse_time(&text) {
            Ok(t) => Some(t),
            Err(why) => {
                p.push(self.problem(
                    key,
                    why,
                    "write it like \"2021-03-27T08:00:00+01:00\" (RFC 3339 with the UTC offset)",
                ));
                None
            }
        }
    }

    fn table(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<&'a toml::Table> {
        match self.get(key)? {
            toml::Value::Table(t) => Some(t),
            other => {
                self.wrong_type(key, "a table", other, p);
                None
            }
        }
    }

    fn problem(&self, key: &str, message: impl Into<String>, hint: impl Into<String>) -> Problem {
        Problem {
            key: self.key(key),
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// Reports every key that was never asked for.
    fn finish(self, p: &mut Vec<Problem>) {
        for key in self.table.keys() {
            if self.known.contains(&key.as_str()) {
                continue;
            }
            let hint = match closest(key, &self.known) {
                Some(near) => format!("did you mean `{near}`?"),
                None if self.known.is_empty() => "remove it".to_string(),
                None => format!("known keys here: {}", self.known.join(", ")),
            };
            p.push(Problem {
                key: self.key(key),
                message: "unknown key".into(),
                hint,
            });
        }
    }
}

/// The known key nearest to a misspelt one, if any is near enough to be a typo.
fn closest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn build(root: &toml::Table, keys: KeySource, p: &mut Vec<Problem>) -> Option<Config> {
    let empty = toml::Table::new();
    let mut top = Section::new("", root);
    let server_t = top.table("server", p).unwrap_or(&empty);
    let admin_t = top.table("admin", p).unwrap_or(&empty);
    let keys_t = top.table("keys", p);
    let state_t = top.table("state", p).unwrap_or(&empty);
    let rooms_v = top.get("rooms");
    top.finish(p);

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
                        if let Some(room) = room_section(&path, t, p) {
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
        server: server?,
        admin: admin?,
        state: state?,
        keys: keyring?,
        rooms: rooms.into_iter().map(Arc::new).collect(),
    })
}

fn parse_listen(sec: &Section, key: &str, s: &str, p: &mut Vec<Problem>) -> Option<SocketAddr> {
    match s.parse::<SocketAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            p.push(sec.problem(
                key,
                format!("`{s}` is not an address with a port"),
                "write it like \"127.0.0.1:8080\" or \"[::]:8080\"",
            ));
            None
        }
    }
}

fn parse_cidrs(sec: &Section, key: &str, items: &[&str], p: &mut Vec<Problem>) -> Vec<IpNet> {
    let mut out = Vec::new();
    for (i, s) in items.iter().enumerate() {
        match s.parse::<IpNet>() {
            Ok(net) => out.push(net),
            Err(_) => match s.parse::<IpAddr>() {
                Ok(ip) => out.push(IpNet::from(ip)),
                Err(_) => p.push(sec.problem(
                    &format!("{key}[{i}]"),
                    format!("`{s}` is not an IP network"),
                    "write it like \"10.0.0.0/8\", \"2001:db8::/32\" or a single address",
                )),
            },
        }
    }
    out
}

fn server_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<ServerConfig> {
    let before = p.len();
    let mut s = Section::new("server", t);
    let listen = listen_list(&mut s, SocketAddr::from(([127, 0, 0, 1], 8080)), p);
    let trusted = s.strings("trusted_proxies", p).unwrap_or_default();
    let trusted_proxies = parse_cidrs(&s, "trusted_proxies", &trusted, p);
    let cookie_secure = match s.get("cookie_secure") {
        None => CookieSecure::Auto,
        Some(toml::Value::String(v)) if v == "auto" => CookieSecure::Auto,
        Some(toml::Value::Boolean(true)) => CookieSecure::Always,
        Some(toml::Value::Boolean(false)) => CookieSecure::Never,
        Some(_) => {
            p.push(s.problem(
                "cookie_secure",
                "must be \"auto\", true or false",
                "\"auto\" marks cookies Secure when the visitor came over HTTPS",
            ));
            CookieSecure::Auto
        }
    };
    let header_read_timeout = s
        .duration("header_read_timeout", p)
        .unwrap_or(Duration::from_secs(10));
    if header_read_timeout.is_zero() {
        p.push(s.problem("header_read_timeout", "must be above zero", "try \"10s\""));
    }
    let max_connections = s.unsigned("max_connections", 1, p).unwrap_or(100_000) as usize;
    let grace_period = s
        .duration("grace_period", p)
        .unwrap_or(Duration::from_secs(30));
    let threads = s.unsigned("threads", 0, p).unwrap_or(0);
    if threads > MAX_THREADS {
        p.push(s.problem(
            "threads",
            format!("{threads} is more than {MAX_THREADS}"),
            "0 runs one request thread per CPU; set fewer to leave cores to other programs",
        ));
    }
    let tls = match s.table("tls", p) {
        Some(t) => tls_section(t, p),
        None => None,
    };
    s.finish(p);
    (p.len() == before).then_some(ServerConfig {
        listen,
        trusted_proxies,
        cookie_secure,
        header_read_timeout,
        max_connections,
        grace_period,
        threads: threads as usize,
        tls,
    })
}

fn listen_list(s: &mut Section, default: SocketAddr, p: &mut Vec<Problem>) -> Vec<SocketAddr> {
    match s.strings("listen", p) {
        Some(list) if list.is_empty() => {
            p.push(s.problem("listen", "empty", "give at least one address"));
            vec![]
        }
        Some(list) => list
            .iter()
            .filter_map(|a| parse_listen(s, "listen", a, p))
            .collect(),
        None => vec![default],
    }
}

fn tls_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<TlsConfig> {
    let before = p.len();
    let mut s = Section::new("server.tls", t);
    let listen = listen_list(&mut s, SocketAddr::from(([127, 0, 0, 1], 8443)), p);
    let hint = "the PEM files of the site's certificate chain (leaf first) and its private key, \
                e.g. cert = \"/etc/wartesaal/fullchain.pem\", key = \"/etc/wartesaal/key.pem\"";
    let cert = s.string("cert", p);
    let key = s.string("key", p);
    for (name, value) in [("cert", cert), ("key", key)] {
        if value.is_none_or(str::is_empty) {
            p.push(s.problem(name, "missing", hint));
        }
    }
    let handshake_timeout = s
        .duration("handshake_timeout", p)
        .unwrap_or(Duration::from_secs(10));
    if handshake_timeout.is_zero() {
        p.push(s.problem("handshake_timeout", "must be above zero", "try \"10s\""));
    }
    let pair = cert.zip(key).filter(|_| p.len() == before);
    let Some((cert, key)) = pair.map(|(c, k)| (PathBuf::from(c), PathBuf::from(k))) else {
        s.finish(p);
        return None;
    };
    let loaded = tls::load_certified(&cert, &key);
    if let Err(e) = &loaded {
        let (name, fix) = match e {
            tls::CertError::Cert { .. } => (
                "cert",
                "give the PEM certificate chain, readable by the gateway's user",
            ),
            tls::CertError::Key { .. } => (
                "key",
                "give the PEM private key (PKCS#8, PKCS#1 or SEC1), readable by the \
                     gateway's user",
            ),
            tls::CertError::Mismatch { .. } => (
                "key",
                "cert and key must be one pair: check both point at the same \
                     site's files",
            ),
        };
        p.push(s.problem(name, e.to_string(), fix));
    }
    s.finish(p);
    let certified = loaded.ok().filter(|_| p.len() == before)?;
    Some(TlsConfig {
        listen,
        cert,
        key,
        handshake_timeout,
        certified,
    })
}

fn admin_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<AdminConfig> {
    let before = p.len();
    let mut s = Section::new("admin", t);
    let listen = match s.string("listen", p) {
        Some(a) => parse_listen(&s, "listen", a, p),
        None => Some(SocketAddr::from(([127, 0, 0, 1], 9090))),
    };
    let token = match s.string("token_file", p) {
        None => None,
        Some(file) => admin_token(&s, file, p),
    };
    s.finish(p);
    let listen = listen?;
    (p.len() == before).then_some(AdminConfig { listen, token })
}

fn admin_token(s: &Section, file: &str, p: &mut Vec<Problem>) -> Option<AdminToken> {
    let hint = "create it with `wartesaal keygen > FILE` and keep it readable only by the gateway";
    match std::fs::read_to_string(file) {
        Ok(text) => {
            let token = text.trim();
            if token.len() < MIN_ADMIN_TOKEN_LEN || token.chars().any(|c| c.is_whitespace()) {
                p.push(s.problem(
                    "token_file",
                    format!(
                        "{file}: the token must be one line of at least {MIN_ADMIN_TOKEN_LEN} \
                         characters without spaces"
                    ),
                    hint,
                ));
                None
            } else {
                Some(AdminToken(token.to_string()))
            }
        }
        Err(e) => {
            p.push(s.problem("token_file", format!("cannot read {file}: {e}"), hint));
            None
        }
    }
}

fn state_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<StateConfig> {
    let before = p.len();
    let mut s = Section::new("state", t);
    let redis_wanted = match s.string("backend", p) {
        None | Some("embedded") => false,
        Some("redis") => true,
        Some(other) => {
            p.push(s.problem(
                "backend",
                format!("`{other}` is not a state backend"),
                "use \"embedded\" (one gateway process, state in state.dir) or \"redis\" \
                 (several gateways sharing one queue)",
            ));
            false
        }
    };
    let url = s
        .string("redis_url", p)
        .unwrap_or("redis://127.0.0.1:6379/0");
    let prefix = s.string("redis_prefix", p).unwrap_or("wartesaal");
    let on_unavailable = match s.string("on_unavailable", p) {
        None | Some("hold") => OnUnavailable::Hold,
        Some("open") => OnUnavailable::Open,
        Some(other) => {
            p.push(s.problem(
                "on_unavailable",
                format!("`{other}` is not a choice"),
                "\"hold\" (the line waits while Redis is away) or \"open\" (everyone passes)",
            ));
            OnUnavailable::Hold
        }
    };
    if redis_wanted {
        if let Some(why) = redis_url_problem(url) {
            p.push(s.problem(
                "redis_url",
                why,
                "write it as redis://host:port/db, e.g. \"redis://127.0.0.1:6379/0\"",
            ));
        }
        if prefix.is_empty()
            || prefix.len() > 64
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
        {
            p.push(s.problem(
                "redis_prefix",
                format!("`{prefix}` is not a usable key prefix"),
                "1 to 64 letters, digits, '_', '-', '.' or ':', e.g. \"wartesaal\"",
            ));
        }
    }
    let dir = s.string("dir", p).unwrap_or("var/wartesaal");
    if dir.is_empty() {
        p.push(s.problem(
            "dir",
            "empty",
            "a directory the gateway may write, e.g. \"/var/lib/wartesaal\"",
        ));
    }
    s.finish(p);
    (p.len() == before).then(|| StateConfig {
        dir: Some(PathBuf::from(dir)),
        redis: redis_wanted.then(|| RedisConfig {
            url: url.to_string(),
            prefix: prefix.to_string(),
        }),
        on_unavailable,
    })
}

/// Why `url` cannot name a Redis server, if it cannot.
fn redis_url_problem(url: &str) -> Option<String> {
    if url.starts_with("rediss://") {
        return Some(
            "TLS to Redis (rediss://) is not part of this build: keep Redis on a private \
             network or tunnel it"
                .into(),
        );
    }
    let Some(rest) = url.strip_prefix("redis://") else {
        return Some(format!("`{url}` does not begin with redis://"));
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() {
        return Some(format!("`{url}` names no host"));
    }
    match redis::Client::open(url) {
        Ok(_) => None,
        Err(e) => Some(format!("`{url}` is not a Redis URL: {e}")),
    }
}

fn keys_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<Keyring> {
    let before = p.len();
    let mut s = Section::new("keys", t);
    let files = s.strings("files", p).unwrap_or_default();
    let mut secrets = Vec::new();
    if files.is_empty() {
        p.push(s.problem(
            "files",
            "no key file given: the gateway needs a secret to sign tickets",
            "run `wartesaal keygen > config/secret.key` and list it here",
        ));
    }
    for (i, file) in files.iter().enumerate() {
        let key = format!("files[{i}]");
        match std::fs::read_to_string(file) {
            Ok(text) => match Secret::from_base64(text.trim()) {
                Ok(secret) => secrets.push(secret),
                Err(why) => p.push(s.problem(
                    &key,
                    format!("{file}: {why}"),
                    "make a new one with `wartesaal keygen`",
                )),
            },
            Err(e) => p.push(s.problem(
                &key,
                format!("cannot read {file}: {e}"),
                "create it with `wartesaal keygen > FILE` or fix the path",
            )),
        }
    }
    s.finish(p);
    if p.len() != before {
        return None;
    }
    Keyring::new(secrets).ok()
}

fn room_section(path: &str, t: &toml::Table, p: &mut Vec<Problem>) -> Option<RoomConfig> {
    let before = p.len();
    let mut s = Section::new(path, t);

    let id = s.string("id", p).unwrap_or_default().to_string();
    if id.is_empty() {
        p.push(s.problem(
            "id",
            "missing",
            "name the room with [a-z0-9-]{1,32}, e.g. \"impfzentrum\"",
        ));
    } else if id.len() > 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        p.push(s.problem(
            "id",
            format!("`{id}` is not a valid room id"),
            "use 1 to 32 of a-z, 0-9 and '-': it becomes part of a cookie name and a metric label",
        ));
    }

    let hosts = match s.strings("hosts", p) {
        None => vec![HostPattern::Any],
        Some(list) if list.is_empty() => {
            p.push(s.problem("hosts", "empty", "use [\"*\"] to match any host"));
            vec![]
        }
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, h)| host_pattern(&s, i, h, p))
            .collect(),
    };

    let path_prefix = s.string("path_prefix", p).unwrap_or("/").to_string();
    if !path_prefix.starts_with('/') {
        p.push(s.problem(
            "path_prefix",
            format!("`{path_prefix}` does not start with '/'"),
            "write it like \"/\" or \"/termine/\"",
        ));
    }

    let upstream = match s.string("upstream", p) {
        Some(u) => upstream_url(&s, u, p),
        None => {
            p.push(s.problem(
                "upstream",
                "missing",
                "the booking site's address, e.g. \"http://127.0.0.1:8081\"",
            ));
            None
        }
    };
    let upstream_ca = match s.string("upstream_ca_file", p) {
        None => None,
        Some(file) => upstream_ca(&s, file, upstream.as_ref(), p),
    };
    if let Some(u) = &upstream {
        if u.scheme == http::uri::Scheme::HTTPS
            && upstream_ca.is_none()
            && tls::system_roots().is_empty()
        {
            p.push(s.problem(
                "upstream",
                "an https:// upstream, but this machine has no trusted root certificates to \
                 check it with",
                "install the system's CA bundle (Debian: ca-certificates), or name the \
                 upstream's CA in upstream_ca_file",
            ));
        }
    }

    let title = s.string("title", p).unwrap_or("").to_string();
    let title = if title.is_empty() { id.clone() } else { title };

    let language = match s.string("language", p) {
        None => Lang::De,
        Some(l) => Lang::parse(l).unwrap_or_else(|| {
            p.push(s.problem(
                "language",
                format!("`{l}` is not a supported language"),
                "use \"de\" or \"en\"",
            ));
            Lang::De
        }),
    };

    let admit_per_minute = match s.number("admit_per_minute", p) {
        Some(r) if r.is_finite() && r > 0.0 && r <= MAX_ADMIT_PER_MINUTE => r,
        Some(r) => {
            p.push(s.problem(
                "admit_per_minute",
                format!("{r} is out of range"),
                "a positive number of new sessions per minute, fractions allowed (e.g. 0.5)",
            ));
            1.0
        }
        None => {
            p.push(s.problem(
                "admit_per_minute",
                "missing",
                "how many new visitors per minute the booking site can take, e.g. 600",
            ));
            1.0
        }
    };

    let max_active = s.unsigned("max_active", 0, p).unwrap_or(0);
    let session_duration = s
        .duration("session_duration", p)
        .unwrap_or(Duration::from_secs(600));
    if session_duration < Duration::from_secs(1) {
        p.push(s.problem(
            "session_duration",
            "must be at least 1s",
            "how long an admitted visitor may stay idle, e.g. \"10m\"",
        ));
    }
    let hold_place_for = s
        .duration("hold_place_for", p)
        .unwrap_or(Duration::from_secs(900));
    if hold_place_for < MIN_HOLD_PLACE_FOR {
        p.push(s.problem(
            "hold_place_for",
            format!(
                "{} is shorter than the waiting page's refresh interval allows",
                humantime::format_duration(hold_place_for)
            ),
            "use at least \"60s\"; \"15m\" is a good default",
        ));
    }

    let bypass_paths: Vec<String> = s
        .strings("bypass_paths", p)
        .unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect();
    for (i, b) in bypass_paths.iter().enumerate() {
        if !b.starts_with('/') {
            p.push(s.problem(
                &format!("bypass_paths[{i}]"),
                format!("`{b}` does not start with '/'"),
                "write it like \"/static/\"",
            ));
        }
    }
    let cidrs = s.strings("bypass_cidrs", p).unwrap_or_default();
    let bypass_cidrs = parse_cidrs(&s, "bypass_cidrs", &cidrs, p);

    let max_upstream_concurrency = s
        .unsigned("max_upstream_concurrency", 1, p)
        .unwrap_or(256)
        .min(1 << 20) as usize;
    let upstream_timeout = s
        .duration("upstream_timeout", p)
        .unwrap_or(Duration::from_secs(30));
    if upstream_timeout.is_zero() {
        p.push(s.problem("upstream_timeout", "must be above zero", "try \"30s\""));
    }
    let queueing_status = match s.integer("queueing_status", p) {
        None => StatusCode::OK,
        Some(n @ (200 | 202 | 429 | 503)) => {
            StatusCode::from_u16(n as u16).unwrap_or(StatusCode::OK)
        }
        Some(n) => {
            p.push(s.problem(
                "queueing_status",
                format!("{n} is not allowed"),
                "use 200, 202, 429 or 503",
            ));
            StatusCode::OK
        }
    };
    let adaptive = match s.table("adaptive", p) {
        Some(t) => adaptive_section(&s.key("adaptive"), t, admit_per_minute, p),
        None => None,
    };
    let schedule = match s.table("schedule", p) {
        Some(t) => schedule_section(&s.key("schedule"), t, p),
        None => None,
    };
    let issuance = match s.table("issuance", p) {
        Some(t) => issuance_section(&s.key("issuance"), t, p),
        None => Issuance::default(),
    };
    let time_zone = match s.string("time_zone", p) {
        None => None,
        Some(name) => {
            let tz = RoomTimeZone::new(name);
            if tz.is_none() {
                p.push(s.problem(
                    "time_zone",
                    format!("`{name}` is not a time zone this gateway knows"),
                    "use an IANA name such as \"Europe/Berlin\" (times on the page follow its \
                     daylight saving time)",
                ));
            }
            tz
        }
    };
    let template_dir = s.string("template_dir", p).filter(|d| !d.is_empty());
    s.finish(p);

    if p.len() != before {
        return None;
    }
    let mut room = RoomConfig {
        id,
        hosts,
        path_prefix,
        upstream: upstream?,
        upstream_ca,
        title,
        language,
        admit_per_minute,
        max_active,
        session_duration,
        hold_place_for,
        bypass_paths,
        bypass_cidrs,
        max_upstream_concurrency,
        upstream_timeout,
        queueing_status,
        adaptive,
        schedule,
        issuance,
        time_zone,
        templates: None,
    };
    if let Some(dir) = template_dir {
        match Templates::load(Path::new(dir), &room) {
            Ok(t) => room.templates = Some(Arc::new(t)),
            Err(e) => {
                p.push(s_problem(
                    path,
                    "template_dir",
                    e.to_string(),
                    "fix the template (minijinja syntax, variables as in README \"Your own \
                     page\"), or leave template_dir out for the built-in page",
                ));
                return None;
            }
        }
    }
    Some(room)
}

/// `[rooms.schedule]`: `opens_at`, and `prequeue_from` (half an hour before unless given).
fn schedule_section(path: &str, t: &toml::Table, p: &mut Vec<Problem>) -> Option<Schedule> {
    let before = p.len();
    let mut s = Section::new(path, t);
    let opens_at = s.time("opens_at", p);
    if opens_at.is_none() && p.len() == before {
        p.push(s.problem(
            "opens_at",
            "missing",
            "when booking opens, with the UTC offset, e.g. \"2021-03-27T08:00:00+01:00\"",
        ));
    }
    let prequeue_from = s.time("prequeue_from", p);
    let (opens_at, offset_minutes) = match opens_at {
        Some(t) => t,
        None => {
            s.finish(p);
            return None;
        }
    };
    let prequeue_from = match prequeue_from {
        Some((at, _)) => at,
        None => opens_at.saturating_sub(DEFAULT_PREQUEUE.as_millis() as u64),
    };
    if prequeue_from > opens_at {
        p.push(s.problem(
            "prequeue_from",
            "is after opens_at",
            "the pre-queue gathers arrivals before the opening; set it earlier than opens_at",
        ));
    }
    s.finish(p);
    (p.len() == before).then_some(Schedule {
        window: Window {
            prequeue_from,
            opens_at,
        },
        offset_minutes,
    })
}

/// `[rooms.issuance]`; every limit is off unless set.
fn issuance_section(path: &str, t: &toml::Table, p: &mut Vec<Problem>) -> Issuance {
    let mut s = Section::new(path, t);
    let defaults = Issuance::default();
    let per_ip_per_minute = s
        .unsigned("per_ip_per_minute", 0, p)
        .map_or(defaults.per_ip_per_minute, |n| {
            n.min(u32::MAX as u64) as u32
        });
    let bits = s.unsigned("proof_of_work_bits", 0, p).unwrap_or(0);
    if bits > u64::from(MAX_PROOF_OF_WORK_BITS) {
        p.push(s.problem(
            "proof_of_work_bits",
            format!("{bits} would take a slow phone far too long"),
            format!(
                "use at most {MAX_PROOF_OF_WORK_BITS}; 16 to 18 keep bots busy and take a phone \
                 a second or two"
            ),
        ));
    }
    let passes_per_ticket = s
        .unsigned("passes_per_ticket", 1, p)
        .map_or(defaults.passes_per_ticket, |n| {
            n.min(u32::MAX as u64) as u32
        });
    s.finish(p);
    Issuance {
        per_ip_per_minute,
        proof_of_work_bits: bits.min(u64::from(MAX_PROOF_OF_WORK_BITS)) as u8,
        passes_per_ticket,
    }
}

/// `[rooms.adaptive]`; `None` unless enabled. The bounds are checked either way, so that
/// switching it on later does not surprise.
fn adaptive_section(
    path: &str,
    t: &toml::Table,
    admit_per_minute: f64,
    p: &mut Vec<Problem>,
) -> Option<AdaptiveConfig> {
    let before = p.len();
    let mut s = Section::new(path, t);
    let enabled = s.boolean("enabled", p).unwrap_or(false);
    let target_latency = s
        .duration("target_latency", p)
        .unwrap_or(Duration::from_millis(800));
    if target_latency.is_zero() {
        p.push(s.problem(
            "target_latency",
            "must be above zero",
            "the upstream latency (95th percentile) to stay under, e.g. \"800ms\"",
        ));
    }
    let max_error_ratio = s.number("max_error_ratio", p).unwrap_or(0.05);
    if !(max_error_ratio > 0.0 && max_error_ratio < 1.0) {
        p.push(s.problem(
            "max_error_ratio",
            format!("{max_error_ratio} is out of range"),
            "a share of failed upstream requests between 0 and 1, e.g. 0.05",
        ));
    }
    let mut bound = |key: &'static str, default: f64, p: &mut Vec<Problem>| {
        let v = s.number(key, p).unwrap_or(default);
        if !(v.is_finite() && v > 0.0 && v <= MAX_ADMIT_PER_MINUTE) {
            p.push(s.problem(
                key,
                format!("{v} is out of range"),
                "a positive number of new sessions per minute",
            ));
        }
        v
    };
    let min_per_minute = bound("min_per_minute", (admit_per_minute / 10.0).min(60.0), p);
    let max_per_minute = bound("max_per_minute", (admit_per_minute * 10.0).max(6000.0), p);
    if min_per_minute > max_per_minute {
        p.push(s.problem(
            "min_per_minute",
            format!("{min_per_minute} is above max_per_minute ({max_per_minute})"),
            "the floor must not be above the ceiling",
        ));
    }
    s.finish(p);
    (enabled && p.len() == before).then_some(AdaptiveConfig {
        target_latency,
        max_error_ratio,
        min_per_minute,
        max_per_minute,
    })
}

fn host_pattern(s: &Section, i: usize, h: &str, p: &mut Vec<Problem>) -> Option<HostPattern> {
    let h = h.to_ascii_lowercase();
    if h == "*" {
        return Some(HostPattern::Any);
    }
    let (name, pattern) = match h.strip_prefix("*.") {
        Some(rest) => (rest.to_string(), HostPattern::Suffix(format!(".{rest}"))),
        None => (h.clone(), HostPattern::Exact(h.clone())),
    };
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if valid {
        Some(pattern)
    } else {
        p.push(s.problem(
            &format!("hosts[{i}]"),
            format!("`{h}` is not a host name pattern"),
            "use \"*\", \"termine.example.org\" or \"*.example.org\", without a port",
        ));
        None
    }
}

/// A problem at `<section>.<key>`, for use after the section was finished.
fn s_problem(section: &str, key: &str, message: String, hint: &str) -> Problem {
    Problem {
        key: format!("{section}.{key}"),
        message,
        hint: hint.into(),
    }
}

fn upstream_ca(
    s: &Section,
    file: &str,
    upstream: Option<&Upstream>,
    p: &mut Vec<Problem>,
) -> Option<UpstreamCa> {
    if upstream.is_some_and(|u| u.scheme != http::uri::Scheme::HTTPS) {
        p.push(s.problem(
            "upstream_ca_file",
            "only applies to an https:// upstream",
            "remove it, or make the upstream https://",
        ));
        return None;
    }
    match tls::read_certs(Path::new(file)) {
        Ok(certs) => Some(UpstreamCa {
            path: PathBuf::from(file),
            certs: Arc::new(certs),
        }),
        Err(reason) => {
            p.push(s.problem(
                "upstream_ca_file",
                format!("{file}: {reason}"),
                "a PEM file with the CA certificate(s) the upstream's certificate is signed by",
            ));
            None
        }
    }
}

fn upstream_url(s: &Section, u: &str, p: &mut Vec<Problem>) -> Option<Upstream> {
    let bad = |msg: String, p: &mut Vec<Problem>| {
        p.push(s.problem(
            "upstream",
            msg,
            "write it like \"http://127.0.0.1:8081\" (scheme, host and port only)",
        ));
        None
    };
    let uri: http::Uri = match u.parse() {
        Ok(uri) => uri,
        Err(e) => return bad(format!("`{u}` is not a URL ({e})"), p),
    };
    let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
        return bad(format!("`{u}` needs a scheme and a host"), p);
    };
    if scheme != &http::uri::Scheme::HTTP && scheme != &http::uri::Scheme::HTTPS {
        return bad(
            format!("`{u}`: the upstream must be http:// or https://"),
            p,
        );
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return bad(
            format!("`{u}` has a path; the visitor's path is forwarded unchanged"),
            p,
        );
    }
    Some(Upstream {
        scheme: scheme.clone(),
        authority: authority.clone(),
    })
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
            let same_prefix = room.path_prefix == other.path_prefix;
            let same_host = room.hosts.iter().any(|h| other.hosts.contains(h));
            if same_prefix && same_host {
                p.push(Problem {
                    key: format!("rooms[{i}]"),
                    message: format!(
                        "takes the same hosts and path_prefix `{}` as rooms[{j}]",
                        room.path_prefix
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
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::from_bytes([7u8; 32])
    }

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(
            text,
            Path::new("test.toml"),
            KeySource::Given(vec![secret()]),
        )
    }

    #[test]
    fn minimal_room_gets_defaults() {
        let c = load(
            r#"
            [[rooms]]
            id = "impf"
            upstream = "http://127.0.0.1:8081"
            admit_per_minute = 600
            "#,
        )
        .unwrap();
        let r = &c.rooms[0];
        assert_eq!(r.hosts, vec![HostPattern::Any]);
        assert_eq!(r.path_prefix, "/");
        assert_eq!(r.hold_place_for, Duration::from_secs(900));
        assert_eq!(r.cookie_name(), "wartesaal_impf");
        assert_eq!(c.server.listen, vec!["127.0.0.1:8080".parse().unwrap()]);
    }

    #[test]
    fn request_threads_are_bounded() {
        let room = "[[rooms]]\nid = \"impf\"\nupstream = \"http://127.0.0.1:8081\"\nadmit_per_minute = 6\n";
        let c = load(room).unwrap();
        assert_eq!(c.server.threads, 0, "one per CPU by default");
        let c = load(&format!("[server]\nthreads = 2\n{room}")).unwrap();
        assert_eq!(c.server.threads, 2);
        for bad in ["threads = 5000", "threads = -1", "threads = \"two\""] {
            let err = load(&format!("[server]\n{bad}\n{room}")).unwrap_err();
            assert!(
                err.problems().iter().any(|p| p.key == "server.threads"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let err = load(
            r#"
            [server]
            listn = "127.0.0.1:8080"
            header_read_timeout = "soon"
            [[rooms]]
            id = "Bad Id"
            upstream = "ftp://x"
            admit_per_minut = 5
            queueing_status = 302
            "#,
        )
        .unwrap_err();
        let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
        for want in [
            "server.listn",
            "server.header_read_timeout",
            "rooms[0].id",
            "rooms[0].upstream",
            "rooms[0].admit_per_minut",
            "rooms[0].admit_per_minute",
            "rooms[0].queueing_status",
        ] {
            assert!(keys.contains(&want), "{want} missing from {keys:?}");
        }
        let typo = err
            .problems()
            .iter()
            .find(|p| p.key == "rooms[0].admit_per_minut")
            .unwrap();
        assert!(typo.hint.contains("admit_per_minute"), "{}", typo.hint);
    }

    #[test]
    fn adaptive_bounds_are_checked_whether_on_or_off() {
        let room = |adaptive: &str| {
            format!(
                "[[rooms]]\nid = \"impf\"\nupstream = \"http://127.0.0.1:8081\"\n\
                 admit_per_minute = 600\n[rooms.adaptive]\n{adaptive}\n"
            )
        };
        let c = load(&room("enabled = true\ntarget_latency = \"500ms\"")).unwrap();
        let a = c.rooms[0].adaptive.unwrap();
        assert_eq!(a.target_latency, Duration::from_millis(500));
        assert_eq!((a.min_per_minute, a.max_per_minute), (60.0, 6000.0));
        assert_eq!(a.max_error_ratio, 0.05);
        assert!(load(&room("enabled = false")).unwrap().rooms[0]
            .adaptive
            .is_none());
        let err = load(&room(
            "enabled = false\nmin_per_minute = 100\nmax_per_minute = 10\n\
             max_error_ratio = 2\ntarget_latncy = \"1s\"",
        ))
        .unwrap_err();
        let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
        for want in [
            "rooms[0].adaptive.min_per_minute",
            "rooms[0].adaptive.max_error_ratio",
            "rooms[0].adaptive.target_latncy",
        ] {
            assert!(keys.contains(&want), "{want} missing from {keys:?}");
        }
        let err = load(&room("enabled = \"yes\"")).unwrap_err();
        assert_eq!(err.problems()[0].key, "rooms[0].adaptive.enabled");
    }

    #[test]
    fn schedule_and_issuance_are_checked() {
        let room = |extra: &str| {
            load(&format!(
                "[keys]\n[[rooms]]\nid = \"r\"\nupstream = \"http://127.0.0.1:1\"\n\
                 admit_per_minute = 60\n{extra}\n"
            ))
        };
        let c = room(
            "[rooms.schedule]\nopens_at = 2021-03-27T08:00:00+01:00\n\
             [rooms.issuance]\nper_ip_per_minute = 120\nproof_of_work_bits = 16\n",
        )
        .unwrap();
        let s = c.rooms[0].schedule.clone().unwrap();
        assert_eq!(s.window.opens_at, 1_616_828_400_000);
        assert_eq!(
            s.window.prequeue_from,
            s.window.opens_at - 30 * 60 * 1000,
            "half an hour of pre-queue unless given"
        );
        assert_eq!(s.offset_minutes, 60);
        let i = c.rooms[0].issuance;
        assert_eq!(
            (
                i.per_ip_per_minute,
                i.proof_of_work_bits,
                i.passes_per_ticket
            ),
            (120, 16, 3)
        );
        assert_eq!(
            room("").unwrap().rooms[0].issuance,
            Issuance::default(),
            "no limits unless asked for"
        );
        let err = room(
            "[rooms.schedule]\nopens_at = \"2021-03-27T08:00:00\"\n\
             prequeue_from = \"2021-03-27T09:00:00+01:00\"\n\
             [rooms.issuance]\nproof_of_work_bits = 30\npasses_per_ticket = 0\nper_ip = 5\n",
        )
        .unwrap_err();
        let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "rooms[0].schedule.opens_at",
                "rooms[0].issuance.proof_of_work_bits",
                "rooms[0].issuance.passes_per_ticket",
                "rooms[0].issuance.per_ip",
            ]
        );
        assert!(err.to_string().contains("has no UTC offset"), "{err}");
        let err = room(
            "[rooms.schedule]\nopens_at = \"2021-03-27T08:00:00+01:00\"\n\
             prequeue_from = \"2021-03-27T09:00:00+01:00\"\n",
        )
        .unwrap_err();
        assert_eq!(err.problems()[0].key, "rooms[0].schedule.prequeue_from");
        let err = room("[rooms.schedule]\nprequeue_from = \"2021-03-27T07:00:00Z\"\n").unwrap_err();
        assert_eq!(err.problems()[0].key, "rooms[0].schedule.opens_at");
        assert_eq!(err.problems()[0].message, "missing");
    }

    #[test]
    fn duplicate_rooms_are_refused() {
        let err = load(
            r#"
            [[rooms]]
            id = "a"
            upstream = "http://127.0.0.1:1"
            admit_per_minute = 1
            [[rooms]]
            id = "a"
            upstream = "http://127.0.0.1:2"
            admit_per_minute = 1
            "#,
        )
        .unwrap_err();
        let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"rooms[1].id"));
        assert!(keys.contains(&"rooms[1]"));
    }

    #[test]
    fn host_patterns_match() {
        assert!(HostPattern::Any.matches("x"));
        assert!(HostPattern::Exact("a.de".into()).matches("a.de"));
        assert!(HostPattern::Suffix(".a.de".into()).matches("www.a.de"));
        assert!(!HostPattern::Suffix(".a.de".into()).matches("a.de"));
        assert!(!HostPattern::Suffix(".a.de".into()).matches("evila.de"));
    }
}
