//! Request hygiene: the facts of a request read once (host, who the visitor is, language,
//! what they asked for), and the requests refused before any room sees them (too many
//! headers, two Host headers, a target that is not a path, dot segments). Must not route or
//! decide.

use std::net::IpAddr;

use http::header::{self, HeaderMap};
use http::{Request, StatusCode};
use ipnet::IpNet;

use crate::config::CookieSecure;
use crate::forward::Forwarded;
use crate::site::Site;

use super::{LangCookie, Visit, VisitorConn};

pub(super) const MAX_HOST_LEN: usize = 255;
/// Request headers accepted, over any HTTP version.
const MAX_REQUEST_HEADERS: usize = 100;

/// The request's facts, or why it is refused before any room sees it.
pub(super) fn visit<B>(
    req: &Request<B>,
    conn: VisitorConn,
    site: &Site,
) -> Result<Visit, (StatusCode, &'static str)> {
    if is_echo_method(req.method()) {
        // TRACE (and IIS's TRACK) has the server echo the request back: the booking site
        // would show a visitor the headers the gateway adds, the origin-lock secret among
        // them. No browser page needs it.
        return Err((
            StatusCode::METHOD_NOT_ALLOWED,
            "TRACE and TRACK are not served here",
        ));
    }
    if req.headers().len() > MAX_REQUEST_HEADERS {
        // HTTP/1.1 heads are capped by the server; HTTP/2 ones only by size.
        return Err((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "more than 100 request headers",
        ));
    }
    // An absolute-form target names the scheme and authority; only ours are served, and a
    // `user@` part is a smuggling attempt or a mistake, never a browser's request.
    if let Some(scheme) = req.uri().scheme_str() {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err((
                StatusCode::BAD_REQUEST,
                "only http:// and https:// targets are served here",
            ));
        }
    }
    if req
        .uri()
        .authority()
        .is_some_and(|a| a.as_str().contains('@'))
    {
        return Err((
            StatusCode::BAD_REQUEST,
            "the request target must not carry user information (user@host)",
        ));
    }
    let host = request_host(req).map_err(|why| (StatusCode::BAD_REQUEST, why))?;
    let path = req.uri().path();
    if has_control_bytes(path) {
        return Err((
            StatusCode::BAD_REQUEST,
            "the path contains a control character (such as %00); browsers never send these",
        ));
    }
    if !path.starts_with('/') {
        return Err((
            StatusCode::BAD_REQUEST,
            "the request target must be a path starting with '/'",
        ));
    }
    if path_has_dot_segments(path) {
        return Err((
            StatusCode::BAD_REQUEST,
            "the path contains '.' or '..' segments; browsers never send these",
        ));
    }
    let fwd = forwarded(req, &conn, &site.trusted_proxies);
    let secure = match site.cookie_secure {
        CookieSecure::Always => true,
        CookieSecure::Never => false,
        CookieSecure::Auto => fwd.proto == "https",
    };
    Ok(Visit {
        lang_header: req.headers().get(header::ACCEPT_LANGUAGE).cloned(),
        lang_choice: LangCookie::of(req.headers()),
        target: req.uri().path_and_query().cloned(),
        wants_json: wants_json(req.headers()),
        host,
        fwd,
        secure,
        hold: conn.hold,
    })
}

/// Methods whose answer echoes the request: refused everywhere, before any route.
pub(super) fn is_echo_method(method: &http::Method) -> bool {
    method == http::Method::TRACE || method.as_str().eq_ignore_ascii_case("TRACK")
}

pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// The request's host name, lower-case and without a port.
pub(super) fn request_host<B>(req: &Request<B>) -> Result<String, &'static str> {
    // Two Host headers could route by one and reach the upstream by the other (RFC 9112 3.2).
    if req.headers().get_all(header::HOST).iter().nth(1).is_some() {
        return Err("more than one Host header");
    }
    let raw = match req.uri().host() {
        Some(h) => h,
        None => req
            .headers()
            .get(header::HOST)
            .ok_or("missing Host header")?
            .to_str()
            .map_err(|_| "the Host header is not text")?,
    };
    if raw.len() > MAX_HOST_LEN {
        return Err("the Host header is too long");
    }
    let name = if raw.starts_with('[') {
        // IPv6 literal: keep the brackets, drop the port.
        raw.split_once(']')
            .map(|(h, _)| h)
            .unwrap_or(raw)
            .trim_start_matches('[')
    } else {
        raw.rsplit_once(':').map(|(h, _)| h).unwrap_or(raw)
    };
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'));
    if !valid {
        return Err("the Host header is not a host name");
    }
    Ok(name.to_ascii_lowercase())
}

pub(super) fn path_has_dot_segments(path: &str) -> bool {
    path.split('/').any(|seg| seg == "." || seg == "..")
}

/// Who the visitor is: believes `X-Forwarded-For`/`-Proto` only from trusted proxies.
pub(super) fn forwarded<B>(req: &Request<B>, conn: &VisitorConn, trusted: &[IpNet]) -> Forwarded {
    let peer_ip = conn.peer.ip().to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer_trusted = is_trusted(&peer_ip);
    let mut client_ip = peer_ip;
    let mut proto = if conn.tls { "https" } else { "http" };
    if peer_trusted {
        // The right-most address not ours is the visitor; bounded to the last 16 hops.
        let hops: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev().take(16) {
            // A hop that is not an address ends the trail: what stands left of it is the
            // visitor's own say and must not decide anything (e.g. a bypass CIDR).
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client_ip = ip.to_canonical();
            if !is_trusted(&client_ip) {
                break;
            }
        }
        if let Some(p) = req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
        {
            proto = if p.trim().eq_ignore_ascii_case("https") {
                "https"
            } else {
                "http"
            };
        }
    }
    Forwarded {
        client_ip,
        peer_ip,
        peer_trusted,
        proto,
    }
}

/// Whether `path` holds a control character, as is or percent-encoded (`%00`–`%1F`, `%7F`):
/// an upstream might cut the path there or read it otherwise than routing did.
pub(super) fn has_control_bytes(path: &str) -> bool {
    let b = path.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    b.iter().any(|c| *c < 0x20 || *c == 0x7f)
        || memchr::memchr_iter(b'%', b).any(|at| {
            match (
                b.get(at + 1).and_then(|c| hex(*c)),
                b.get(at + 2).and_then(|c| hex(*c)),
            ) {
                (Some(h), Some(l)) => {
                    let byte = h * 16 + l;
                    byte < 0x20 || byte == 0x7f
                }
                _ => false,
            }
        })
}
