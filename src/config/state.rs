//! The `[state]` section: where room state lives, and for Redis how it is reached (plain, TLS,
//! Sentinel), how long a command may take, and what the gateway does while it cannot be
//! reached. Must not connect: files are read and checked here, Redis is reached by `state`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::tls;

use super::walk::Section;
use super::{OnUnavailable, Problem, RedisConfig, RedisTls, Sentinel, StateConfig};

pub(super) fn state_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<StateConfig> {
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
    let redis = redis_keys(&mut s, redis_wanted, p);
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
        redis: redis.filter(|_| redis_wanted),
        on_unavailable,
    })
}

/// The `redis_*` keys and `open_after`. They are read (and so known) with either backend,
/// but checked only when Redis is wanted.
fn redis_keys(s: &mut Section, wanted: bool, p: &mut Vec<Problem>) -> Option<RedisConfig> {
    let before = p.len();
    let url = s
        .string("redis_url", p)
        .unwrap_or("redis://127.0.0.1:6379/0");
    let prefix = s.string("redis_prefix", p).unwrap_or("wartesaal");
    let timeout = s
        .duration("redis_timeout", p)
        .unwrap_or(Duration::from_secs(1));
    let sentinels = s.strings("redis_sentinels", p).unwrap_or_default();
    let master = s.string("redis_master", p);
    let cluster = s.strings("redis_cluster", p).unwrap_or_default();
    let min_replicas = s.unsigned("redis_min_replicas", 0, p);
    let new_line_hold = s
        .duration("redis_new_line_hold", p)
        .unwrap_or(Duration::from_secs(65));
    let open_after = s
        .duration("open_after", p)
        .unwrap_or(Duration::from_secs(10));
    let ca_file = s.string("redis_ca_file", p);
    let client_cert = s.string("redis_client_cert", p);
    let client_key = s.string("redis_client_key", p);
    if !wanted {
        return None;
    }
    let tls_url = url.starts_with("rediss://");
    if let Some(why) = redis_url_problem(url) {
        p.push(s.problem(
            "redis_url",
            why,
            "write it as redis://host:port/db, or rediss://host:port/db for TLS, e.g. \
             \"redis://127.0.0.1:6379/0\"",
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
    if timeout < Duration::from_millis(50) || timeout > Duration::from_secs(30) {
        p.push(s.problem(
            "redis_timeout",
            format!("{timeout:?} is outside 50ms to 30s"),
            "how long one Redis command may take before Redis counts as away; \"1s\" suits \
             a Redis on the same network",
        ));
    }
    if open_after < Duration::from_secs(3) {
        p.push(s.problem(
            "open_after",
            format!("{open_after:?} is under 3s"),
            "a gateway that has just started or reconnected needs a moment before Redis counts \
             as away; \"10s\" lets a short stall pass without opening the door",
        ));
    }
    let sentinel = sentinel_keys(s, &sentinels, master, p);
    let cluster = (!cluster.is_empty()).then(|| host_ports(s, "redis_cluster", &cluster, p));
    if sentinel.is_some() && cluster.is_some() {
        p.push(s.problem(
            "redis_cluster",
            "a cluster and sentinels at once",
            "Redis Cluster fails over by itself: list its nodes and remove redis_sentinels",
        ));
    }
    if let Some(min_replicas) = min_replicas.filter(|n| *n > 16) {
        p.push(s.problem(
            "redis_min_replicas",
            format!("{min_replicas} replicas is more than any Redis setup has"),
            "the number of replicas that must hold a ticket number before it is handed out: \
             0 for one Redis, 1 for a primary with replicas",
        ));
    }
    let tls = redis_tls(s, tls_url, ca_file, client_cert, client_key, p);
    (p.len() == before).then(|| RedisConfig {
        url: url.to_string(),
        prefix: prefix.to_string(),
        timeout,
        sentinel,
        cluster,
        min_replicas: min_replicas.map(|n| n as u32),
        new_line_hold,
        open_after,
        tls,
    })
}

fn sentinel_keys(
    s: &Section,
    sentinels: &[&str],
    master: Option<&str>,
    p: &mut Vec<Problem>,
) -> Option<Sentinel> {
    match (sentinels.is_empty(), master) {
        (true, None) => return None,
        (true, Some(_)) => {
            p.push(s.problem(
                "redis_sentinels",
                "redis_master is set but no sentinel is listed",
                "list the sentinels, e.g. redis_sentinels = [\"10.0.0.1:26379\", \
                 \"10.0.0.2:26379\", \"10.0.0.3:26379\"]",
            ));
            return None;
        }
        (false, None) => {
            p.push(s.problem(
                "redis_master",
                "missing",
                "the master name the sentinels monitor, as in `sentinel monitor NAME …`",
            ));
            return None;
        }
        (false, Some(_)) => {}
    }
    Some(Sentinel {
        addrs: host_ports(s, "redis_sentinels", sentinels, p),
        master: master.unwrap_or_default().to_string(),
    })
}

/// Each of `list` as host and port; a problem with `key` for any that is not.
fn host_ports(
    s: &Section,
    key: &'static str,
    list: &[&str],
    p: &mut Vec<Problem>,
) -> Vec<(String, u16)> {
    let mut addrs = Vec::new();
    for a in list {
        match a.rsplit_once(':').map(|(h, port)| (h, port.parse::<u16>())) {
            Some((host, Ok(port))) if !host.is_empty() && port > 0 => {
                addrs.push((host.trim_matches(['[', ']']).to_string(), port))
            }
            _ => p.push(s.problem(
                key,
                format!("`{a}` is not host:port"),
                "write each as \"host:port\", e.g. \"10.0.0.1:26379\"",
            )),
        }
    }
    addrs
}

fn redis_tls(
    s: &Section,
    tls_url: bool,
    ca_file: Option<&str>,
    client_cert: Option<&str>,
    client_key: Option<&str>,
    p: &mut Vec<Problem>,
) -> Option<RedisTls> {
    let any = ca_file.is_some() || client_cert.is_some() || client_key.is_some();
    if !tls_url {
        if any {
            let key = if ca_file.is_some() {
                "redis_ca_file"
            } else if client_cert.is_some() {
                "redis_client_cert"
            } else {
                "redis_client_key"
            };
            p.push(s.problem(
                key,
                "only applies to TLS",
                "make redis_url rediss://…, or remove it",
            ));
        }
        return None;
    }
    let before = p.len();
    let read = |key: &'static str, file: &str, p: &mut Vec<Problem>| match std::fs::read(file) {
        Ok(pem) => Some(pem),
        Err(e) => {
            p.push(s.problem(
                key,
                format!("cannot read {file}: {e}"),
                "a PEM file readable by the gateway's user",
            ));
            None
        }
    };
    let ca = ca_file.and_then(|file| {
        if let Err(why) = tls::read_certs(Path::new(file)) {
            p.push(s.problem(
                "redis_ca_file",
                format!("{file}: {why}"),
                "a PEM file with the CA certificate(s) Redis's certificate is signed by",
            ));
            return None;
        }
        read("redis_ca_file", file, p)
    });
    let client = match (client_cert, client_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            if let Err(e) = tls::load_certified(Path::new(cert), Path::new(key)) {
                p.push(s.problem(
                    "redis_client_cert",
                    e.to_string(),
                    "a PEM certificate and its private key, one pair",
                ));
            }
            read("redis_client_cert", cert, p).zip(read("redis_client_key", key, p))
        }
        (Some(_), None) => {
            p.push(s.problem("redis_client_key", "missing", "give the client cert's key"));
            None
        }
        (None, Some(_)) => {
            p.push(s.problem("redis_client_cert", "missing", "give the key's certificate"));
            None
        }
    };
    (p.len() == before).then_some(RedisTls { ca, client })
}

/// Why `url` cannot name a Redis server, if it cannot.
pub(super) fn redis_url_problem(url: &str) -> Option<String> {
    let Some(rest) = url
        .strip_prefix("redis://")
        .or_else(|| url.strip_prefix("rediss://"))
    else {
        return Some(format!("`{url}` does not begin with redis:// or rediss://"));
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
