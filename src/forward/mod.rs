//! Forwarding: owns the upstream client, header hygiene (hop-by-hop, `X-Forwarded-*`, the room
//! cookie) and the streaming response body. Must not decide who may pass; it carries out a
//! decision the gateway made. Bodies are streamed both ways, never buffered whole.

use std::net::IpAddr;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::Request;
use http_body_util::BodyExt;
use http_body_util::{Either, Full};
use hyper::body::Incoming;

use crate::http1::{BodyFraming, Outbound, RequestBody, UpstreamError};

mod cookies;
pub mod gate;
mod stream;
mod supply;
mod tunnel;

pub use cookies::{cookie_without, find_cookie, find_cookie_in, CookieName};
pub use gate::{Slot, UpstreamGate};
pub use stream::{streamed, Hold, Pumped, UpstreamInFlight};
pub use supply::{take_supply_headers, SupplyReport};
pub use tunnel::tunnel;

/// The response body type of every answer: a rendered page or a streamed upstream body.
pub type Body = Either<Full<Bytes>, Pumped>;

/// Header an upstream sets to end the visitor's session (e.g. after a confirmed booking).
pub const RELEASE_HEADER: &str = "x-wartesaal-release";
/// Every room's cookie is `wartesaal_<id>`.
pub const COOKIE_PREFIX: &str = "wartesaal_";
/// The cookie holding the language a visitor picked with the page's switch. The hyphen keeps
/// it apart from every room cookie.
pub const LANG_COOKIE_NAME: &str = "wartesaal-lang";

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
static X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Either::Left(Full::new(bytes.into()))
}

/// Who the visitor is, as far as the upstream should be told.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// The visitor's address (from a trusted proxy's `X-Forwarded-For`, or the peer).
    pub client_ip: IpAddr,
    /// The TCP peer.
    pub peer_ip: IpAddr,
    /// The peer is a trusted proxy: its `X-Forwarded-*` headers are believed and extended.
    pub peer_trusted: bool,
    /// "http" or "https", as the visitor used.
    pub proto: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("upstream unreachable or failed: {0}")]
    Upstream(UpstreamError),
    /// The visitor's side failed (an upload cut off or longer than announced): not the
    /// upstream's doing.
    #[error("the visitor's request body failed: {0}")]
    Visitor(UpstreamError),
    /// The visitor's upload stalled for `body_idle_timeout`.
    #[error("the visitor's upload stalled")]
    UploadIdle,
    #[error("upstream did not answer in time")]
    Timeout,
    #[error("too many requests in flight to the upstream")]
    Saturated,
}

impl From<UpstreamError> for ProxyError {
    /// The visitor's failures apart from the upstream's.
    fn from(e: UpstreamError) -> ProxyError {
        match e {
            UpstreamError::RequestBody(_) | UpstreamError::RequestLength => ProxyError::Visitor(e),
            UpstreamError::RequestIdle => ProxyError::UploadIdle,
            e => ProxyError::Upstream(e),
        }
    }
}

/// The protocol a visitor's HTTP/1.1 request asks to switch to (`Connection: upgrade` with an
/// `Upgrade` header, as a WebSocket handshake does), if it asks.
pub fn upgrade_asked(req: &Request<Incoming>) -> Option<HeaderValue> {
    let h = req.headers();
    // Most requests have no Upgrade header: one lookup, and Connection is not read.
    let protocol = h.get(header::UPGRADE)?;
    let asks = req.version() == http::Version::HTTP_11
        && h.get_all(header::CONNECTION)
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"));
    asks.then(|| protocol.clone())
}

/// Bytes of an upload read before an upstream slot is taken for it: a form or a booking's
/// details arrive whole first, however slowly, and hold nothing the booking site needs while
/// they trickle in. Larger uploads go on streaming once this much is in.
pub const READ_AHEAD: usize = 64 * 1024;

/// The visitor's request body, read ahead up to `READ_AHEAD` with each piece due within
/// `idle` of the last.
pub async fn read_ahead(mut body: Incoming, idle: Duration) -> Result<RequestBody, UpstreamError> {
    let mut ahead = BytesMut::new();
    while ahead.len() < READ_AHEAD {
        match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(UpstreamError::RequestIdle),
            Ok(None) => return Ok(RequestBody::read(ahead.freeze(), None, idle)),
            Ok(Some(Err(e))) => return Err(UpstreamError::RequestBody(e)),
            Ok(Some(Ok(frame))) => {
                // Trailers are not passed on.
                if let Ok(data) = frame.into_data() {
                    ahead.extend_from_slice(&data);
                }
            }
        }
    }
    Ok(RequestBody::read(ahead.freeze(), Some(body), idle))
}

/// The hop-by-hop headers every connection has for itself (RFC 9110 7.6.1); `Connection`
/// first.
static HOP_BY_HOP: [&HeaderName; 9] = [
    &header::CONNECTION,
    &KEEP_ALIVE,
    &PROXY_CONNECTION,
    &header::PROXY_AUTHENTICATE,
    &header::PROXY_AUTHORIZATION,
    &header::TE,
    &header::TRAILER,
    &header::TRANSFER_ENCODING,
    &header::UPGRADE,
];

/// Removes hop-by-hop headers: the fixed list and every header `Connection` names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the names instead of a lookup for each: most messages carry none, or
    // only `Connection: keep-alive`.
    let mut found = [false; HOP_BY_HOP.len()];
    for name in headers.keys() {
        if let Some(at) = HOP_BY_HOP.iter().position(|hop| *hop == name) {
            found[at] = true;
        }
    }
    if found[0] {
        for name in connection_named(headers) {
            headers.remove(name);
        }
    }
    for (hop, _) in HOP_BY_HOP.iter().zip(found).filter(|(_, found)| *found) {
        headers.remove(*hop);
    }
}

/// An IP address as text in `buf`; IPv4 without the formatting machinery (it is written on
/// every proxied request).
fn ip_text(ip: IpAddr, buf: &mut [u8; 64]) -> &[u8] {
    let mut len = 0;
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf[len] = b'.';
                    len += 1;
                }
                if octet >= 100 {
                    buf[len] = b'0' + octet / 100;
                    len += 1;
                }
                if octet >= 10 {
                    buf[len] = b'0' + octet / 10 % 10;
                    len += 1;
                }
                buf[len] = b'0' + octet % 10;
                len += 1;
            }
        }
        IpAddr::V6(_) => {
            let mut out = std::io::Cursor::new(&mut buf[..]);
            let _ = std::io::Write::write_fmt(&mut out, format_args!("{ip}"));
            len = out.position() as usize;
        }
    }
    &buf[..len]
}

/// Whether `name` belongs to one connection only: the fixed list, or named by `Connection`.
fn is_hop_by_hop(name: &HeaderName, named: &[HeaderName]) -> bool {
    HOP_BY_HOP.contains(&name) || named.contains(name)
}

/// The headers the visitor's `Connection` header names (beyond the usual `keep-alive` and
/// `close`); almost always none, and then nothing is allocated.
fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|name| {
            !name.eq_ignore_ascii_case(b"keep-alive") && !name.eq_ignore_ascii_case(b"close")
        })
        .filter_map(|name| HeaderName::from_bytes(name).ok())
        .collect()
}

fn header_line(head: &mut Vec<u8>, name: &str, value: &[u8]) {
    head.extend_from_slice(name.as_bytes());
    head.extend_from_slice(b": ");
    head.extend_from_slice(value);
    head.extend_from_slice(b"\r\n");
}

/// Turns the visitor's request into the upstream's, written straight into the bytes that go
/// out: same method, path and streamed body; the request line in origin form; `Host` first;
/// hop-by-hop headers and the room cookie left out; `X-Forwarded-*` set; the body framed as
/// `upstream` sends it, whatever framing headers the visitor sent.
pub fn upstream_request(
    req: Request<RequestBody>,
    cookie_name: &CookieName,
    host: &str,
    fwd: &Forwarded,
    upgrade: Option<&HeaderValue>,
    ours: &OurHeaders,
) -> Outbound {
    let (parts, body) = req.into_parts();
    let framing = BodyFraming::of(&body);
    let mut head = upstream_head(&parts, framing, cookie_name, host, fwd, ours);
    if let Some(protocol) = upgrade {
        // The one hop-by-hop pair that is passed on: asked for by the visitor, and the
        // upstream must see it to switch (the blank line that ends the head comes after).
        head.truncate(head.len() - 2);
        header_line(&mut head, "connection", b"upgrade");
        header_line(&mut head, "upgrade", protocol.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    Outbound {
        head,
        method: parts.method,
        body,
        framing,
    }
}

/// Headers of the gateway's own on a forwarded request: set by it (the origin lock, the
/// admission header), replacing any a client sent, and one that never passes (the bypass
/// header's secret). A client's `X-Wartesaal-Admission` never passes either.
#[derive(Debug, Default)]
pub struct OurHeaders<'a> {
    pub set: [Option<(&'a HeaderName, &'a [u8])>; 2],
    pub dropped: Option<&'a HeaderName>,
}

impl OurHeaders<'_> {
    fn claims(&self, name: &HeaderName) -> bool {
        name == X_WARTESAAL_ADMISSION
            || self.dropped == Some(name)
            || self.set.iter().flatten().any(|(n, _)| *n == name)
    }

    /// Whether `name` is an underscore twin of a header the gateway sets or guards
    /// (`X_Origin_Lock` for `X-Origin-Lock`): CGI-style upstreams (PHP, many frameworks) read
    /// both as one and may merge a visitor's copy with the real one. nginx drops such names
    /// by default (`underscores_in_headers off`); only the guarded ones are dropped here.
    fn twin(&self, name: &HeaderName) -> bool {
        let name = name.as_str().as_bytes();
        if memchr::memchr(b'_', name).is_none() {
            return false;
        }
        let same = |guarded: &str| {
            guarded.len() == name.len()
                && guarded
                    .bytes()
                    .zip(name)
                    .all(|(g, n)| g == *n || (g == b'-' && *n == b'_'))
        };
        GUARDED.iter().any(|g| same(g))
            || self.dropped.is_some_and(|d| same(d.as_str()))
            || self.set.iter().flatten().any(|(n, _)| same(n.as_str()))
    }
}

/// Headers the gateway sets, replaces or drops itself: an underscore spelling of one of them
/// never passes (see `OurHeaders::twin`).
const GUARDED: &[&str] = &[
    "host",
    "cookie",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-real-ip",
    "forwarded",
    "x-wartesaal-admission",
    "x-wartesaal-release",
];

/// The signed admission header (`rooms[].admission_header`).
pub static X_WARTESAAL_ADMISSION: HeaderName = HeaderName::from_static("x-wartesaal-admission");

/// The head of `upstream_request`.
fn upstream_head(
    parts: &http::request::Parts,
    framing: BodyFraming,
    cookie_name: &CookieName,
    host: &str,
    fwd: &Forwarded,
    ours: &OurHeaders,
) -> Vec<u8> {
    let headers = &parts.headers;
    let mut head = Vec::with_capacity(256 + headers.len() * 64);
    head.extend_from_slice(parts.method.as_str().as_bytes());
    head.push(b' ');
    // Origin form: the path and query as the visitor sent them.
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    head.extend_from_slice(target.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\n");
    // An absolute-form request's authority is the host the visitor meant (and the one routing
    // used), whatever the Host header says; HTTP/2 visitors have no Host header at all.
    let named = connection_named(headers);
    let gone = |name: &HeaderName| named.contains(name);
    head.extend_from_slice(b"host: ");
    match (parts.uri.host(), headers.get(header::HOST)) {
        // The authority without any `user@` part.
        (Some(uri_host), _) => {
            head.extend_from_slice(uri_host.as_bytes());
            if let Some(port) = parts.uri.port() {
                head.push(b':');
                head.extend_from_slice(port.as_str().as_bytes());
            }
        }
        (None, Some(value)) if !gone(&header::HOST) => head.extend_from_slice(value.as_bytes()),
        (None, _) => head.extend_from_slice(host.as_bytes()),
    }
    head.extend_from_slice(b"\r\n");

    for (name, value) in headers {
        let skip = ours.claims(name)
            || ours.twin(name)
            || name == header::HOST
            || name == header::COOKIE
            || name == header::CONTENT_LENGTH
            || name == X_FORWARDED_FOR
            // Claims from an untrusted peer are replaced (X-Forwarded-Proto, -Host) or
            // dropped (Forwarded, X-Real-IP, X-Forwarded-Port), never believed.
            || (!fwd.peer_trusted
                && (name == X_FORWARDED_PROTO
                    || name == X_FORWARDED_HOST
                    || name == header::FORWARDED
                    || name == X_REAL_IP
                    || name == X_FORWARDED_PORT));
        if !skip && !is_hop_by_hop(name, &named) {
            header_line(&mut head, name.as_str(), value.as_bytes());
        }
    }
    for (name, value) in ours.set.iter().flatten() {
        header_line(&mut head, name.as_str(), value);
    }
    if !gone(&header::COOKIE) {
        if let Some(cookies) = cookie_without(headers, cookie_name) {
            header_line(&mut head, "cookie", &cookies);
        }
    }
    // A trusted proxy's own `X-Forwarded-*` stand, unless its `Connection` header names them.
    let believed =
        |name: &HeaderName| fwd.peer_trusted && !gone(name) && headers.contains_key(name);
    head.extend_from_slice(b"x-forwarded-for: ");
    if believed(&X_FORWARDED_FOR) {
        // A trusted proxy's list is extended; values that are not text are dropped.
        for prior in headers.get_all(&X_FORWARDED_FOR) {
            if prior.to_str().is_ok() {
                head.extend_from_slice(prior.as_bytes());
                head.extend_from_slice(b", ");
            }
        }
    }
    head.extend_from_slice(ip_text(fwd.peer_ip, &mut [0u8; 64]));
    head.extend_from_slice(b"\r\n");
    if !believed(&X_FORWARDED_PROTO) {
        header_line(&mut head, "x-forwarded-proto", fwd.proto.as_bytes());
    }
    if !believed(&X_FORWARDED_HOST) {
        header_line(&mut head, "x-forwarded-host", host.as_bytes());
    }
    framing.write_header(
        &parts.method,
        headers.contains_key(header::CONTENT_LENGTH),
        &mut head,
    );
    head.extend_from_slice(b"\r\n");
    head
}

/// What `clean_response` found in an upstream answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cleaned {
    /// The upstream asked to end the session (`X-Wartesaal-Release`).
    pub released: bool,
    /// `Set-Cookie` headers with one of the gateway's cookie names, dropped.
    pub planted_cookies: u64,
    /// What the answer said of the supply (its headers taken off).
    pub supply: SupplyReport,
}

/// Cleans an upstream response for the visitor: hop-by-hop headers, the release header and
/// the supply headers go (read first), and so does every `Set-Cookie` naming one of the gateway's cookies (a room's
/// `wartesaal_<id>`, any room's, or the language's `wartesaal-lang`): the booking site must
/// neither plant nor overwrite a ticket or a pass.
pub fn clean_response(headers: &mut HeaderMap) -> Cleaned {
    strip_hop_by_hop(headers);
    let released = headers.remove(RELEASE_HEADER).is_some();
    let supply = take_supply_headers(headers);
    let mut planted_cookies = 0;
    if headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(sets_our_cookie)
    {
        let kept: Vec<HeaderValue> = match headers.entry(header::SET_COOKIE) {
            header::Entry::Occupied(entry) => entry.remove_entry_mult().1.collect(),
            header::Entry::Vacant(_) => Vec::new(),
        };
        for value in kept {
            if sets_our_cookie(&value) {
                planted_cookies += 1;
            } else {
                headers.append(header::SET_COOKIE, value);
            }
        }
    }
    Cleaned {
        released,
        planted_cookies,
        supply,
    }
}

/// Takes out of an upstream answer whatever would hand a visitor a secret the gateway added
/// to the request: a header named like one it set (or its underscore twin), and any header
/// whose value holds one of `secrets` (a debug page's echo of the request headers). Returns
/// how many headers went.
pub fn strip_secrets(headers: &mut HeaderMap, ours: &OurHeaders, secrets: &[&[u8]]) -> u64 {
    let leaks = |name: &HeaderName, value: &HeaderValue| {
        ours.claims(name)
            || ours.twin(name)
            || secrets
                .iter()
                .any(|s| !s.is_empty() && memchr::memmem::find(value.as_bytes(), s).is_some())
    };
    if !headers.iter().any(|(n, v)| leaks(n, v)) {
        return 0;
    }
    let before = headers.len();
    let kept: Vec<(HeaderName, HeaderValue)> = std::mem::take(headers)
        .into_iter()
        .scan(None::<HeaderName>, |last, (name, value)| {
            // `into_iter` names a header once, before the first of its values.
            if let Some(name) = name {
                *last = Some(name);
            }
            Some((last.clone(), value))
        })
        .filter_map(|(name, value)| name.map(|n| (n, value)))
        .filter(|(n, v)| !leaks(n, v))
        .collect();
    for (name, value) in kept {
        headers.append(name, value);
    }
    (before - headers.len()) as u64
}

/// Whether a `Set-Cookie` value names one of the gateway's cookies: the name is the trimmed
/// text before the first `=`, as browsers read it.
fn sets_our_cookie(value: &HeaderValue) -> bool {
    let v = value.as_bytes();
    let name = v.split(|b| *b == b'=').next().unwrap_or(v).trim_ascii();
    name.starts_with(COOKIE_PREFIX.as_bytes()) || name == LANG_COOKIE_NAME.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    use http::header::HeaderValue;

    use super::cookies::cookie_pairs;

    /// The headers as the upstream gets them, cookie-wise.
    fn stripped(h: &HeaderMap, name: &str) -> HeaderMap {
        let mut out = HeaderMap::new();
        if let Some(v) = cookie_without(h, &CookieName::new(name)) {
            out.insert(header::COOKIE, HeaderValue::from_bytes(&v).unwrap());
        }
        out
    }

    fn fwd(trusted: bool) -> Forwarded {
        Forwarded {
            client_ip: "203.0.113.9".parse().unwrap(),
            peer_ip: "10.0.0.2".parse().unwrap(),
            peer_trusted: trusted,
            proto: "https",
        }
    }

    fn head_of(req: Request<()>, framing: BodyFraming, trusted: bool) -> String {
        let (parts, ()) = req.into_parts();
        let head = upstream_head(
            &parts,
            framing,
            &CookieName::new("wartesaal_r"),
            "site.test",
            &fwd(trusted),
            &OurHeaders::default(),
        );
        String::from_utf8(head).unwrap()
    }

    #[test]
    fn our_headers_replace_a_clients_and_the_bypass_secret_stays_behind() {
        let lock = HeaderName::from_static("x-origin-lock");
        let staff = HeaderName::from_static("x-staff");
        let ours = OurHeaders {
            set: [
                Some((&lock, b"s3cret-origin".as_slice())),
                Some((&X_WARTESAAL_ADMISSION, b"v1.r.1.2.3.sig".as_slice())),
            ],
            dropped: Some(&staff),
        };
        let req = Request::get("/a")
            .header("host", "site.test")
            .header("x-origin-lock", "forged")
            .header("X-Wartesaal-Admission", "v1.r.0.0.9999999999.forged")
            .header("x-staff", "staff-secret")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let head = upstream_head(
            &parts,
            BodyFraming::Empty,
            &CookieName::new("wartesaal_r"),
            "site.test",
            &fwd(false),
            &ours,
        );
        let head = String::from_utf8(head).unwrap();
        assert!(
            !head.contains("forged") && !head.contains("staff-secret"),
            "{head}"
        );
        assert_eq!(
            head.matches("x-origin-lock: s3cret-origin\r\n").count(),
            1,
            "{head}"
        );
        assert!(
            head.contains("x-wartesaal-admission: v1.r.1.2.3.sig\r\n"),
            "{head}"
        );
        // Without an admission header of ours, a client's never passes either.
        let (parts, ()) = Request::get("/a")
            .header("x-wartesaal-admission", "v1.r.0.0.9999999999.forged")
            .body(())
            .unwrap()
            .into_parts();
        let head = upstream_head(
            &parts,
            BodyFraming::Empty,
            &CookieName::new("wartesaal_r"),
            "site.test",
            &fwd(false),
            &OurHeaders::default(),
        );
        assert!(!String::from_utf8(head).unwrap().contains("forged"));
    }

    #[test]
    fn the_upstream_head_is_clean_and_framed_by_us() {
        let req = Request::post("/book?x=1")
            .header("host", "site.test:8080")
            .header("connection", "keep-alive, x-private")
            .header("x-private", "1")
            .header("te", "trailers")
            .header("content-length", "999")
            .header("transfer-encoding", "chunked")
            .header("cookie", "a=1; wartesaal_r=TOKEN")
            .header("x-forwarded-for", "6.6.6.6")
            .header("x-forwarded-proto", "http")
            .header("x-kept", "yes")
            .body(())
            .unwrap();
        assert_eq!(
            head_of(req, BodyFraming::Length(4), false),
            "POST /book?x=1 HTTP/1.1\r\nhost: site.test:8080\r\nx-kept: yes\r\ncookie: a=1\r\n\
             x-forwarded-for: 10.0.0.2\r\nx-forwarded-proto: https\r\nx-forwarded-host: site.test\r\n\
             content-length: 4\r\n\r\n"
        );
        // A trusted proxy's claims are kept and its list extended; absolute form names the host.
        let req = Request::get("http://booking.test/a")
            .header("host", "other.test")
            .header("cookie", "wartesaal_r=TOKEN")
            .header("x-forwarded-for", "198.51.100.1")
            .header("x-forwarded-proto", "http")
            .body(())
            .unwrap();
        assert_eq!(
            head_of(req, BodyFraming::Empty, true),
            "GET /a HTTP/1.1\r\nhost: booking.test\r\nx-forwarded-proto: http\r\n\
             x-forwarded-for: 198.51.100.1, 10.0.0.2\r\nx-forwarded-host: site.test\r\n\r\n"
        );
        // Headers the trusted proxy's `Connection` names are its hop's: ours stand instead.
        let req = Request::get("http://user:pw@booking.test:8443/a")
            .header("connection", "x-forwarded-proto, cookie")
            .header("cookie", "a=1")
            .header("x-forwarded-proto", "http")
            .body(())
            .unwrap();
        assert_eq!(
            head_of(req, BodyFraming::Empty, true),
            "GET /a HTTP/1.1\r\nhost: booking.test:8443\r\nx-forwarded-for: 10.0.0.2\r\n\
             x-forwarded-proto: https\r\nx-forwarded-host: site.test\r\n\r\n"
        );
        // HTTP/2: no Host header, the routed host stands in; a streamed body goes out chunked;
        // an empty POST says so.
        let h2 = || {
            Request::post("/p")
                .version(http::Version::HTTP_2)
                .body(())
                .unwrap()
        };
        assert!(head_of(h2(), BodyFraming::Chunked, false)
            .starts_with("POST /p HTTP/1.1\r\nhost: site.test\r\n"));
        assert!(head_of(h2(), BodyFraming::Chunked, false)
            .ends_with("transfer-encoding: chunked\r\n\r\n"));
        assert!(head_of(h2(), BodyFraming::Empty, false).ends_with("content-length: 0\r\n\r\n"));
    }

    #[test]
    fn hop_by_hop_and_connection_named_headers_go() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-private"),
        );
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert("x-kept", HeaderValue::from_static("yes"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }

    #[test]
    fn room_cookie_is_removed_others_stay() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_bytes(b"a=1; name=M\xc3\xbcller; wartesaal_r=TOKEN").unwrap(),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(
            find_cookie(&h, &CookieName::new("wartesaal_r")),
            Some("TOKEN")
        );
        assert_eq!(
            cookie_without(&h, &CookieName::new("wartesaal_r"))
                .unwrap()
                .as_ref(),
            b"a=1; name=M\xc3\xbcller; b=2"
        );
        let mut only = HeaderMap::new();
        only.insert(header::COOKIE, HeaderValue::from_static("wartesaal_r=x"));
        assert_eq!(cookie_without(&only, &CookieName::new("wartesaal_r")), None);
        // Names are what comes before the first `=`: a pair `=` is named "", not "=".
        let mut odd = HeaderMap::new();
        odd.insert(header::COOKIE, HeaderValue::from_static("x=1 ;= ; a =b=c"));
        for name in ["=", "a=b", "a ", " a"] {
            assert_eq!(find_cookie(&odd, &CookieName::new(name)), None, "{name:?}");
            assert_eq!(
                cookie_without(&odd, &CookieName::new(name))
                    .unwrap()
                    .as_ref(),
                b"x=1 ;= ; a =b=c"
            );
        }
        assert_eq!(find_cookie(&odd, &CookieName::new("a")), Some("b=c"));
        assert_eq!(find_cookie(&odd, &CookieName::new("")), Some(""));
        let mut theirs = HeaderMap::new();
        theirs.insert(header::COOKIE, HeaderValue::from_static(" a=1;;b=2 "));
        assert_eq!(
            cookie_without(&theirs, &CookieName::new("wartesaal_r"))
                .unwrap()
                .as_ref(),
            b" a=1;;b=2 ",
            "untouched"
        );
        // Empty pieces are no pairs, not even of the empty name.
        assert_eq!(
            cookie_without(&theirs, &CookieName::new(""))
                .unwrap()
                .as_ref(),
            b" a=1;;b=2 "
        );
        let mut overlapping = HeaderMap::new();
        overlapping.insert(header::COOKIE, HeaderValue::from_static("aaa=1;aa=2; aa"));
        assert_eq!(find_cookie(&overlapping, &CookieName::new("aa")), Some("2"));
        assert_eq!(
            cookie_without(&overlapping, &CookieName::new("aa"))
                .unwrap()
                .as_ref(),
            b"aaa=1"
        );
    }

    #[test]
    fn addresses_are_written_as_std_writes_them() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.100.255",
            "9.99.199.200",
            "::1",
            "2001:db8::8a2e:370:7334",
            "::ffff:192.0.2.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(ip, &mut [0u8; 64]), ip.to_string().as_bytes());
        }
    }

    #[test]
    fn release_header_never_passes() {
        let mut h = HeaderMap::new();
        h.insert(RELEASE_HEADER, HeaderValue::from_static("1"));
        assert!(clean_response(&mut h).released);
        assert!(h.is_empty());
        assert!(!clean_response(&mut h).released);
    }

    mod hostile {
        use super::*;
        use proptest::prelude::*;

        fn headers(values: &[Vec<u8>]) -> HeaderMap {
            let mut h = HeaderMap::new();
            for v in values {
                if let Ok(v) = HeaderValue::from_bytes(v) {
                    h.append(header::COOKIE, v);
                }
            }
            h
        }

        proptest! {
            /// Any bytes a browser or attacker puts in `Cookie` headers: reading never panics,
            /// stripping ours leaves none of ours and every other pair in order.
            #[test]
            fn stripping_our_cookie_keeps_everyone_elses(
                values in proptest::collection::vec(
                    proptest::collection::vec(any::<u8>(), 0..200), 0..4),
                ours in proptest::option::of("[a-zA-Z0-9_-]{0,80}"),
            ) {
                let mut values = values;
                if let Some(token) = &ours {
                    values.push(format!("a=1; wartesaal_r={token}; b=2").into_bytes());
                }
                let h = headers(&values);
                let others: Vec<Vec<u8>> = cookie_pairs(&h)
                    .filter(|(k, _, _)| *k != b"wartesaal_r")
                    .map(|(_, pair, _)| pair.to_vec())
                    .collect();
                let _ = find_cookie(&h, &CookieName::new("wartesaal_r"));
                let h = stripped(&h, "wartesaal_r");
                prop_assert_eq!(find_cookie(&h, &CookieName::new("wartesaal_r")), None);
                let kept: Vec<Vec<u8>> =
                    cookie_pairs(&h).map(|(_, pair, _)| pair.to_vec()).collect();
                prop_assert_eq!(kept, others);
            }

            /// The name search of `find_cookie` and `cookie_without` reads pairs exactly as
            /// the pair-by-pair reading does, on headers made of the name's near misses.
            #[test]
            fn finding_our_name_reads_pairs_as_documented(
                values in proptest::collection::vec(
                    proptest::collection::vec(
                        prop_oneof![
                            Just("wartesaal_r"), Just("wartesaal_rr"), Just("xwartesaal_r"),
                            Just("="), Just(";"), Just(" "), Just("\t"), Just("v"),
                            Just("\u{e9}"),
                        ],
                        0..14,
                    ).prop_map(|parts| parts.concat().into_bytes()),
                    1..3,
                ),
            ) {
                let h = headers(&values);
                let name = "wartesaal_r";
                let expected = cookie_pairs(&h)
                    .find_map(|(key, _, value)| value.filter(|_| key == name.as_bytes()))
                    .and_then(|v| std::str::from_utf8(v).ok());
                prop_assert_eq!(find_cookie(&h, &CookieName::new(name)), expected);
                let ours = cookie_pairs(&h).any(|(key, _, _)| key == name.as_bytes());
                let joined = cookie_pairs(&h)
                    .filter(|(key, _, _)| *key != name.as_bytes())
                    .map(|(_, pair, _)| pair)
                    .collect::<Vec<_>>()
                    .join(&b"; "[..]);
                let expected = match (ours, h.get_all(header::COOKIE).iter().count()) {
                    (false, 1) => h.get(header::COOKIE).map(|v| v.as_bytes().to_vec()),
                    _ => (!joined.is_empty()).then_some(joined),
                };
                prop_assert_eq!(cookie_without(&h, &CookieName::new(name)).map(Cow::into_owned), expected);
            }
        }
    }
}
