//! One `[[rooms]]` section with its `schedule`, `issuance` and `adaptive` tables. Must not
//! check one room against another: `cross_checks` does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::access::passes::PassBounds;
use crate::locale::{LocaleDir, LocaleSettings, Locales};
use crate::queue::adaptive::AdaptiveConfig;
use crate::queue::schedule::{Schedule, Window};
use crate::tls;

use super::walk::{parse_cidrs, Section};
use super::{
    Forwarding, HostPattern, IssuanceConfig, Lang, Problem, RoomConfig, RoomTimeZone, Scope,
    Tickets, Upstream, UpstreamCa, DEFAULT_PREQUEUE, MAX_ADMIT_PER_MINUTE, MAX_PROOF_OF_WORK_BITS,
    MIN_HOLD_PLACE_FOR,
};

pub(super) fn room_section(
    path: &str,
    t: &toml::Table,
    global_locales: &LocaleDir,
    p: &mut Vec<Problem>,
) -> Option<RoomConfig> {
    let before = p.len();
    let mut s = Section::new(path, t);
    // The keys are read in the order the problems are listed in.
    let id = room_id(&mut s, p);
    let hosts = hosts(&mut s, p);
    let path_prefixes = path_prefixes(&mut s, p);
    let path_prefix = path_prefixes[0].clone();
    let origin_header = super::booking::secret_header(&mut s, "origin_header", p);
    let bypass_header = super::booking::secret_header(&mut s, "bypass_header", p);
    let bypass_user_agents = super::booking::user_agents(&mut s, p);
    let admission_key = super::booking::admission_key(&mut s, p);
    let (upstream, upstream_ca) = upstream(&mut s, p);
    let title = s.string("title", p).unwrap_or("").to_string();
    let title = if title.is_empty() { id.clone() } else { title };
    let locales = languages(&mut s, global_locales, p);
    let admit_per_minute = admit_per_minute(&mut s, p);
    let max_active = s.unsigned("max_active", 0, p).unwrap_or(0);
    let (session_duration, hold_place_for) = lifetimes(&mut s, p);
    let bypass_paths = bypass_paths(&mut s, p);
    let cidrs = s.strings("bypass_cidrs", p).unwrap_or_default();
    let bypass_cidrs = parse_cidrs(&s, "bypass_cidrs", &cidrs, p);
    let (max_upstream_concurrency, upstream_timeout, body_idle_timeout) =
        upstream_limits(&mut s, p);
    let queueing_status = queueing_status(&mut s, p);
    let adaptive = table(&mut s, "adaptive", p, |key, t, p| {
        adaptive_section(key, t, admit_per_minute, p)
    })
    .flatten();
    let schedule = table(&mut s, "schedule", p, schedule_section).flatten();
    let issuance = table(&mut s, "issuance", p, issuance_section).unwrap_or_default();
    let supply = table(&mut s, "supply", p, super::supply::supply_section).flatten();
    let invitations_required =
        table(&mut s, "invitations", p, super::supply::invitations_section).unwrap_or(false);
    let notify = table(&mut s, "notify", p, super::notify::notify_section).flatten();
    let eligibility = match s.get("eligibility") {
        Some(v) => super::supply::eligibility_sections(&s.key("eligibility"), v, p),
        None => Vec::new(),
    };
    let time_zone = time_zone(&mut s, p);
    let template_dir = s.string("template_dir", p).filter(|d| !d.is_empty());
    s.finish(p);

    if p.len() != before {
        return None;
    }
    let room = RoomConfig {
        title,
        locales: locales?,
        time_zone,
        template_dir: template_dir.map(PathBuf::from),
        scope: Scope {
            hosts,
            path_prefix,
            path_prefixes,
            bypass_header,
            bypass_user_agents,
            bypass_paths,
            bypass_cidrs,
        },
        upstream: upstream?,
        forward: Forwarding {
            upstream_ca,
            origin_header,
            admission_key,
            max_upstream_concurrency,
            upstream_timeout,
            body_idle_timeout,
        },
        admit_per_minute,
        max_active,
        adaptive,
        schedule,
        supply,
        tickets: Tickets {
            issuance,
            eligibility,
            invitations_required,
            queueing_status,
            hold_place_for,
            session_duration,
        },
        notify,
        id,
    };
    Some(room)
}

/// A sub-table `key` of the room read by `read`, if the room has one.
fn table<T>(
    s: &mut Section,
    key: &'static str,
    p: &mut Vec<Problem>,
    read: impl FnOnce(&str, &toml::Table, &mut Vec<Problem>) -> T,
) -> Option<T> {
    let t = s.table(key, p)?;
    Some(read(&s.key(key), t, p))
}

/// `id`: it becomes part of a cookie name and a metric label, so it is kept plain.
fn room_id(s: &mut Section, p: &mut Vec<Problem>) -> String {
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
    id
}

/// `hosts`: any host unless given.
fn hosts(s: &mut Section, p: &mut Vec<Problem>) -> Vec<HostPattern> {
    match s.strings("hosts", p) {
        None => vec![HostPattern::Any],
        Some(list) if list.is_empty() => {
            p.push(s.problem("hosts", "empty", "use [\"*\"] to match any host"));
            vec![]
        }
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, h)| host_pattern(s, i, h, p))
            .collect(),
    }
}

/// `path_prefix` and `path_prefixes`, the first of them being where visitors are sent.
fn path_prefixes(s: &mut Section, p: &mut Vec<Problem>) -> Vec<String> {
    let given_prefix = s.string("path_prefix", p);
    if let Some(prefix) = given_prefix.filter(|prefix| !prefix.starts_with('/')) {
        p.push(s.problem(
            "path_prefix",
            format!("`{prefix}` does not start with '/'"),
            "write it like \"/\" or \"/termine/\"",
        ));
    }
    super::booking::path_prefixes(s, given_prefix, p)
}

/// `upstream` and `upstream_ca_file`: an https:// upstream needs roots to check it with.
fn upstream(s: &mut Section, p: &mut Vec<Problem>) -> (Option<Upstream>, Option<UpstreamCa>) {
    let upstream = match s.string("upstream", p) {
        Some(u) => upstream_url(s, u, p),
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
        Some(file) => upstream_ca(s, file, upstream.as_ref(), p),
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
    (upstream, upstream_ca)
}

/// `language` (German unless given), `languages` (every language there is unless given) and
/// `locales_dir`: the room's languages, their messages read and checked.
fn languages(s: &mut Section, global: &LocaleDir, p: &mut Vec<Problem>) -> Option<Arc<Locales>> {
    let tag_hint = format!(
        "use a language tag such as {}",
        crate::locale::SHIPPED
            .iter()
            .map(|(t, _)| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let language = match s.string("language", p) {
        None => Some(Lang::DE),
        Some(l) => Lang::parse(l).or_else(|| {
            p.push(s.problem(
                "language",
                format!("`{l}` is not a language tag"),
                &tag_hint,
            ));
            None
        }),
    };
    let languages = s.strings("languages", p).map(|list| {
        let mut tags = Vec::with_capacity(list.len());
        for (i, l) in list.iter().enumerate() {
            match Lang::parse(l) {
                Some(tag) if !tags.contains(&tag) => tags.push(tag),
                Some(_) => p.push(s.problem(
                    &format!("languages[{i}]"),
                    format!("`{l}` is listed twice"),
                    "list each language once",
                )),
                None => p.push(s.problem(
                    &format!("languages[{i}]"),
                    format!("`{l}` is not a language tag"),
                    &tag_hint,
                )),
            }
        }
        tags
    });
    if languages.as_ref().is_some_and(|l| l.is_empty()) {
        p.push(s.problem(
            "languages",
            "empty: the page would speak no language",
            &tag_hint,
        ));
    }
    let own = match s.string("locales_dir", p).filter(|d| !d.is_empty()) {
        None => Some(LocaleDir::default()),
        Some(dir) => crate::locale::read_dir(Path::new(dir), "locales_dir")
            .map_err(|problems| {
                for lp in problems {
                    p.push(s.problem(lp.key, lp.message, lp.hint));
                }
            })
            .ok(),
    };
    let (Some(language), Some(own)) = (language, own) else {
        return None;
    };
    let settings = LocaleSettings {
        language,
        languages: languages.as_deref(),
    };
    match crate::locale::load(settings, &[global, &own]) {
        Ok(locales) => Some(Arc::new(locales)),
        Err(problems) => {
            for lp in problems {
                p.push(s.problem(lp.key, lp.message, lp.hint));
            }
            None
        }
    }
}

/// `admit_per_minute`: required, as only the operator knows what the booking site can take.
fn admit_per_minute(s: &mut Section, p: &mut Vec<Problem>) -> f64 {
    match s.number("admit_per_minute", p) {
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
    }
}

/// `session_duration` and `hold_place_for`: how long a pass and a place last unused.
fn lifetimes(s: &mut Section, p: &mut Vec<Problem>) -> (Duration, Duration) {
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
    (session_duration, hold_place_for)
}

fn bypass_paths(s: &mut Section, p: &mut Vec<Problem>) -> Vec<String> {
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
    bypass_paths
}

/// `max_upstream_concurrency`, `upstream_timeout` and `body_idle_timeout`: what one room may
/// hold of the upstream, and for how long.
fn upstream_limits(s: &mut Section, p: &mut Vec<Problem>) -> (usize, Duration, Duration) {
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
    let body_idle_timeout = s
        .duration("body_idle_timeout", p)
        .unwrap_or(Duration::from_secs(30));
    if body_idle_timeout.is_zero() {
        p.push(s.problem("body_idle_timeout", "must be above zero", "try \"30s\""));
    }
    (
        max_upstream_concurrency,
        upstream_timeout,
        body_idle_timeout,
    )
}

/// `queueing_status`: 200 unless given.
fn queueing_status(s: &mut Section, p: &mut Vec<Problem>) -> StatusCode {
    match s.integer("queueing_status", p) {
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
    }
}

/// `time_zone`: `None` shows UTC.
fn time_zone(s: &mut Section, p: &mut Vec<Problem>) -> Option<RoomTimeZone> {
    let name = s.string("time_zone", p)?;
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

/// `[rooms.schedule]`: `opens_at`, and `prequeue_from` (half an hour before unless given).
pub(super) fn schedule_section(
    path: &str,
    t: &toml::Table,
    p: &mut Vec<Problem>,
) -> Option<Schedule> {
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
pub(super) fn issuance_section(
    path: &str,
    t: &toml::Table,
    p: &mut Vec<Problem>,
) -> IssuanceConfig {
    let mut s = Section::new(path, t);
    let defaults = IssuanceConfig::default();
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
    let bound = |s: &mut Section, key: &'static str, default: u32, p: &mut Vec<Problem>| {
        s.unsigned(key, 0, p)
            .map_or(default, |n| n.min(u64::from(u32::MAX)) as u32)
    };
    let pass_bounds = PassBounds {
        in_flight: bound(
            &mut s,
            "pass_requests_in_flight",
            defaults.pass_bounds.in_flight,
            p,
        ),
        per_second: bound(
            &mut s,
            "pass_requests_per_second",
            defaults.pass_bounds.per_second,
            p,
        ),
    };
    s.finish(p);
    IssuanceConfig {
        per_ip_per_minute,
        proof_of_work_bits: bits.min(u64::from(MAX_PROOF_OF_WORK_BITS)) as u8,
        passes_per_ticket,
        pass_bounds,
    }
}

/// `[rooms.adaptive]`; `None` unless enabled. The bounds are checked either way, so that
/// switching it on later does not surprise.
pub(super) fn adaptive_section(
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

pub(super) fn host_pattern(
    s: &Section,
    i: usize,
    h: &str,
    p: &mut Vec<Problem>,
) -> Option<HostPattern> {
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

pub(super) fn upstream_ca(
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
    ca_roots(
        s,
        "upstream_ca_file",
        file,
        "a PEM file with the CA certificate(s) the upstream's certificate is signed by",
        p,
    )
}

/// The CA certificates in `file` (key `key` of `s`), or a problem with `hint`.
pub(super) fn ca_roots(
    s: &Section,
    key: &str,
    file: &str,
    hint: &str,
    p: &mut Vec<Problem>,
) -> Option<UpstreamCa> {
    match tls::read_certs(Path::new(file)) {
        Ok(certs) => Some(UpstreamCa {
            path: PathBuf::from(file),
            certs: Arc::new(certs),
        }),
        Err(reason) => {
            p.push(s.problem(key, format!("{file}: {reason}"), hint));
            None
        }
    }
}

pub(super) fn upstream_url(s: &Section, u: &str, p: &mut Vec<Problem>) -> Option<Upstream> {
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
