//! The gateway-wide sections: `[server]`, `[server.tls]`, `[admin]`, `[state]`, `[keys]`.
//! Must not read a room: that is `room`'s.

use std::net::SocketAddr;
use std::time::Duration;

use crate::access::ticket::{Keyring, Secret};

use super::tls::tls_section;
use super::walk::{parse_cidrs, parse_listen, Section};
use super::{
    AdminConfig, AdminToken, CookieSecure, Problem, ServerConfig, MAX_THREADS, MIN_ADMIN_TOKEN_LEN,
};

pub(super) fn server_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<ServerConfig> {
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
    // Enough for a household, an office or a carrier's NAT full of phones (HTTP/1.1 browsers
    // open six connections each, HTTP/2 ones one); far too few for one client to take the
    // listener.
    let max_connections_per_address = s
        .unsigned("max_connections_per_address", 0, p)
        .unwrap_or(512) as usize;
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
        max_connections_per_address,
        grace_period,
        threads: threads as usize,
        tls,
    })
}

pub(super) fn listen_list(
    s: &mut Section,
    default: SocketAddr,
    p: &mut Vec<Problem>,
) -> Vec<SocketAddr> {
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

pub(super) fn admin_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<AdminConfig> {
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

pub(super) fn admin_token(s: &Section, file: &str, p: &mut Vec<Problem>) -> Option<AdminToken> {
    let hint = "create it with `wartesaal keygen --out FILE` (readable only by the gateway)";
    match std::fs::read_to_string(file) {
        Ok(text) => {
            let token = text.trim();
            if super::booking::is_placeholder(token) {
                p.push(s.problem(
                    "token_file",
                    format!("{file} still holds a placeholder, not a token"),
                    hint,
                ));
                None
            } else if token.len() < MIN_ADMIN_TOKEN_LEN || token.chars().any(|c| c.is_whitespace())
            {
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

pub(super) fn keys_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<Keyring> {
    let before = p.len();
    let mut s = Section::new("keys", t);
    let files = s.strings("files", p).unwrap_or_default();
    let mut secrets = Vec::new();
    if files.is_empty() {
        p.push(s.problem(
            "files",
            "no key file given: the gateway needs a secret to sign tickets",
            "run `wartesaal keygen --out config/secret.key` and list it here",
        ));
    }
    for (i, file) in files.iter().enumerate() {
        let key = format!("files[{i}]");
        match std::fs::read_to_string(file) {
            Ok(text) if super::booking::is_placeholder(&text) => p.push(s.problem(
                &key,
                format!("{file} still holds a placeholder, not a secret"),
                "make one with `wartesaal keygen --out FILE`",
            )),
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
