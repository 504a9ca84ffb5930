//! Forwarding: owns the upstream client, header hygiene (hop-by-hop, `X-Forwarded-*`, the room
//! cookie) and the streaming response body. Must not decide who may pass; it carries out a
//! decision the gateway made. Bodies are streamed both ways, never buffered whole.

use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use prometheus::IntGauge;
use tokio::sync::OwnedSemaphorePermit;

use crate::upstream::{ResponseBody, UpstreamError};

/// The response body type of every answer: a rendered page or a streamed upstream body.
pub type Body = Either<Full<Bytes>, Tracked>;

/// Header an upstream sets to end the visitor's session (e.g. after a confirmed booking).
pub const RELEASE_HEADER: &str = "x-wartesaal-release";

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
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
    #[error("upstream request could not be built: {0}")]
    Build(#[from] http::Error),
    #[error("upstream unreachable or failed: {0}")]
    Upstream(#[from] UpstreamError),
    #[error("upstream did not answer in time")]
    Timeout,
    #[error("too many requests in flight to the upstream")]
    Saturated,
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
        let named: Vec<HeaderName> = headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            // The usual values name no header of their own.
            .filter(|name| {
                !name.eq_ignore_ascii_case("keep-alive") && !name.eq_ignore_ascii_case("close")
            })
            .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    for (hop, _) in HOP_BY_HOP.iter().zip(found).filter(|(_, found)| *found) {
        headers.remove(*hop);
    }
}

/// Every pair of the `Cookie` headers as (trimmed name, whole trimmed pair, trimmed value if
/// there is an `=`). Works on bytes: the booking site's own cookies may hold any octets and
/// must neither hide nor keep ours.
fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8], Option<&[u8]>)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b';'))
        .map(<[u8]>::trim_ascii)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|b| *b == b'=') {
            Some(at) => (
                pair[..at].trim_ascii(),
                pair,
                Some(pair[at + 1..].trim_ascii()),
            ),
            None => (pair, pair, None),
        })
}

/// Drops one cookie from the `Cookie` headers, keeping the others in order. Several `Cookie`
/// headers (HTTP/2 browsers send one per cookie) become one, joined with `; ` as HTTP/1.1
/// upstreams expect (RFC 9113 §8.2.3).
pub fn strip_cookie(headers: &mut HeaderMap, name: &str) {
    let mut values = headers.get_all(header::COOKIE).iter();
    if let (Some(only), None) = (values.next(), values.next()) {
        // One header, the usual case: left alone without ours, removed when it is only ours.
        let mut pairs = 0;
        let mut ours = false;
        for pair in only.as_bytes().split(|b| *b == b';') {
            if !pair.trim_ascii().is_empty() {
                pairs += 1;
                ours |= cookie_value(pair, name.as_bytes()).is_some()
                    || pair.trim_ascii() == name.as_bytes();
            }
        }
        match (ours, pairs) {
            (false, _) => return,
            (true, 1) => {
                headers.remove(header::COOKIE);
                return;
            }
            (true, _) => {}
        }
    }
    let joined = cookie_pairs(headers)
        .filter(|(key, _, _)| *key != name.as_bytes())
        .map(|(_, pair, _)| pair)
        .collect::<Vec<_>>()
        .join(&b"; "[..]);
    headers.remove(header::COOKIE);
    if !joined.is_empty() {
        if let Ok(v) = HeaderValue::from_bytes(&joined) {
            headers.insert(header::COOKIE, v);
        }
    }
}

/// The value of one `name=value` pair if its name is `name` (blanks around either trimmed).
fn cookie_value<'a>(pair: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let rest = pair.trim_ascii_start().strip_prefix(name)?;
    let value = rest.trim_ascii_start().strip_prefix(b"=")?;
    Some(value.trim_ascii())
}

/// The first value of cookie `name`, if any. A value that is not text is no token.
pub fn find_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    // On every request: a plain scan rather than `cookie_pairs`' general one.
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b';'))
        .find_map(|pair| cookie_value(pair, name.as_bytes()))
        .and_then(|value| std::str::from_utf8(value).ok())
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

/// Turns the visitor's request into the upstream's: same method, path, headers and streamed
/// body; hop-by-hop headers and the room cookie removed; `X-Forwarded-*` set.
pub fn upstream_request(
    req: Request<Incoming>,
    cookie_name: &str,
    host: &str,
    fwd: &Forwarded,
) -> Result<Request<Incoming>, ProxyError> {
    let (mut parts, body) = req.into_parts();
    // Absolute-form request: the URI's authority is the host the visitor meant (and the one
    // routing used), whatever the Host header says.
    if let Some(authority) = parts.uri.authority() {
        if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
            parts.headers.insert(header::HOST, v);
        }
    }
    // Origin form on the upstream connection: the path and query as the visitor sent them.
    parts.uri = match parts.uri.path_and_query() {
        Some(p) => http::Uri::from(p.clone()),
        None => http::Uri::from_static("/"),
    };
    let headers = &mut parts.headers;
    strip_hop_by_hop(headers);
    strip_cookie(headers, cookie_name);

    let prior: Vec<&str> = if fwd.peer_trusted {
        headers
            .get_all(&X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    } else {
        Vec::new()
    };
    let xff = if prior.is_empty() {
        // The common case, written without a temporary String.
        HeaderValue::from_bytes(ip_text(fwd.peer_ip, &mut [0u8; 64]))
    } else {
        HeaderValue::from_str(&format!("{}, {}", prior.join(", "), fwd.peer_ip))
    };
    // `insert` replaces every value the visitor sent.
    if let Ok(v) = xff {
        headers.insert(X_FORWARDED_FOR.clone(), v);
    }
    if !(fwd.peer_trusted && headers.contains_key(&X_FORWARDED_PROTO)) {
        headers.insert(
            X_FORWARDED_PROTO.clone(),
            HeaderValue::from_static(fwd.proto),
        );
    }
    if !(fwd.peer_trusted && headers.contains_key(&X_FORWARDED_HOST)) {
        if let Ok(v) = HeaderValue::from_str(host) {
            headers.insert(X_FORWARDED_HOST.clone(), v);
        }
    }
    // HTTP/2 visitors have no Host header; the upstream (HTTP/1.1) needs one.
    if !headers.contains_key(header::HOST) {
        if let Ok(v) = HeaderValue::from_str(host) {
            headers.insert(header::HOST, v);
        }
    }
    parts.version = http::Version::HTTP_11;
    Ok(Request::from_parts(parts, body))
}

/// Cleans an upstream response for the visitor. Returns whether the upstream asked to end the
/// session; the release header itself never reaches the visitor.
pub fn clean_response(headers: &mut HeaderMap) -> bool {
    strip_hop_by_hop(headers);
    headers.remove(RELEASE_HEADER).is_some()
}

/// An upstream response body that keeps its upstream slot and the in-flight gauge until the
/// last byte has gone to the visitor (or the visitor went away).
pub struct Tracked {
    inner: ResponseBody,
    _slot: OwnedSemaphorePermit,
    _in_flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Counts one upstream request in flight for as long as it lives.
pub struct InFlight(IntGauge);

impl InFlight {
    pub fn start(gauge: &IntGauge) -> InFlight {
        gauge.inc();
        InFlight(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Body type conversion for answers that carry an upstream body.
pub fn streamed(
    resp: Response<ResponseBody>,
    slot: OwnedSemaphorePermit,
    in_flight: InFlight,
) -> Response<Body> {
    resp.map(|inner| {
        Either::Right(Tracked {
            inner,
            _slot: slot,
            _in_flight: in_flight,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(find_cookie(&h, "wartesaal_r"), Some("TOKEN"));
        strip_cookie(&mut h, "wartesaal_r");
        assert_eq!(
            h.get(header::COOKIE).unwrap().as_bytes(),
            b"a=1; name=M\xc3\xbcller; b=2"
        );
        let mut only = HeaderMap::new();
        only.insert(header::COOKIE, HeaderValue::from_static("wartesaal_r=x"));
        strip_cookie(&mut only, "wartesaal_r");
        assert!(!only.contains_key(header::COOKIE));
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
        assert!(clean_response(&mut h));
        assert!(h.is_empty());
        assert!(!clean_response(&mut h));
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
                let mut h = headers(&values);
                let others: Vec<Vec<u8>> = cookie_pairs(&h)
                    .filter(|(k, _, _)| *k != b"wartesaal_r")
                    .map(|(_, pair, _)| pair.to_vec())
                    .collect();
                let _ = find_cookie(&h, "wartesaal_r");
                strip_cookie(&mut h, "wartesaal_r");
                prop_assert_eq!(find_cookie(&h, "wartesaal_r"), None);
                let kept: Vec<Vec<u8>> =
                    cookie_pairs(&h).map(|(_, pair, _)| pair.to_vec()).collect();
                prop_assert_eq!(kept, others);
            }
        }
    }
}
