//! `forward::find_cookie` and `forward::cookie_without` on arbitrary `Cookie` headers.
//!
//! Input: `name \n value \n value ...`. The first line is the cookie name looked for (the room
//! cookie `wartesaal_r` when it is empty or not UTF-8); every further line becomes one `Cookie`
//! header value, unless `HeaderValue::from_bytes` refuses it (a header value cannot hold a
//! newline, so splitting on it loses nothing).
//!
//! Checks, against a reference reading of what `proxy.rs` documents as a pair (split on `;`,
//! trim ASCII whitespace, drop empty pieces; the name is the trimmed text before the first `=`,
//! the value the trimmed text after it; a piece without `=` is a name without a value):
//! - neither function panics;
//! - `find_cookie` gives the value of the first pair with that name that has a value, if that
//!   value is UTF-8, and `None` otherwise;
//! - after stripping (the `Cookie` headers replaced by what `cookie_without` gives, as the
//!   upstream gets them), `find_cookie` finds nothing and no pair of that name is left;
//! - every other pair survives, byte for byte and in order;
//! - when no pair had that name and there was at most one `Cookie` header, the headers are
//!   left exactly as they were; several `Cookie` headers always become one (HTTP/2 browsers
//!   split them, the HTTP/1.1 upstream expects one);
//! - other headers are never touched, and stripping twice changes nothing more.
#![no_main]

use http::header::{self, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use wartesaal::forward::{cookie_without, find_cookie, CookieName};

const ROOM_COOKIE: &str = "wartesaal_r";

type Pair = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !first.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !last.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    s
}

/// (name, whole pair, value) for every pair of every `Cookie` header, in order.
fn pairs(headers: &HeaderMap) -> Vec<Pair> {
    let mut out = Vec::new();
    for value in headers.get_all(header::COOKIE) {
        for piece in value.as_bytes().split(|b| *b == b';') {
            let pair = trim(piece);
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(at) => (trim(&pair[..at]), Some(trim(&pair[at + 1..]).to_vec())),
                None => (pair, None),
            };
            out.push((name.to_vec(), pair.to_vec(), value));
        }
    }
    out
}

/// The `Cookie` headers replaced by the one `cookie_without` gives (or none), as the upstream
/// gets them.
fn strip_cookie(headers: &mut HeaderMap, name: &CookieName) {
    let kept = cookie_without(headers, name).map(|v| v.into_owned());
    headers.remove(header::COOKIE);
    if let Some(v) = kept {
        let v = HeaderValue::from_bytes(&v).expect("the joined pairs are a valid header value");
        headers.insert(header::COOKIE, v);
    }
}

fn cookie_values(headers: &HeaderMap) -> Vec<Vec<u8>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|b| *b == b'\n');
    let name = match lines.next().map(std::str::from_utf8) {
        Some(Ok(name)) if !name.is_empty() => name,
        _ => ROOM_COOKIE,
    };
    let cookie = CookieName::new(name);
    let mut headers = HeaderMap::new();
    headers.insert("x-other", HeaderValue::from_static("kept"));
    for line in lines {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(header::COOKIE, v);
        }
    }

    let before = pairs(&headers);
    let before_values = cookie_values(&headers);
    let expected = before
        .iter()
        .find_map(|(key, _, value)| value.as_deref().filter(|_| key == name.as_bytes()))
        .and_then(|v| std::str::from_utf8(v).ok());
    assert_eq!(find_cookie(&headers, &cookie), expected);

    strip_cookie(&mut headers, &cookie);

    let after = pairs(&headers);
    assert_eq!(find_cookie(&headers, &cookie), None);
    assert!(after.iter().all(|(key, _, _)| key != name.as_bytes()));
    let kept: Vec<Pair> = before
        .iter()
        .filter(|(key, _, _)| key != name.as_bytes())
        .cloned()
        .collect();
    assert_eq!(after, kept, "pairs other than {name:?} changed");
    if kept.len() == before.len() && before_values.len() <= 1 {
        assert_eq!(
            cookie_values(&headers),
            before_values,
            "nothing to strip, yet changed"
        );
    } else {
        // Stripped, or several headers (as HTTP/2 browsers send them) joined into one.
        assert_eq!(
            headers.get_all(header::COOKIE).iter().count(),
            usize::from(!kept.is_empty())
        );
    }
    assert_eq!(
        headers.get("x-other").map(|v| v.as_bytes()),
        Some(&b"kept"[..])
    );
    assert_eq!(
        headers.len(),
        1 + headers.get_all(header::COOKIE).iter().count()
    );

    let once = cookie_values(&headers);
    strip_cookie(&mut headers, &cookie);
    assert_eq!(
        cookie_values(&headers),
        once,
        "second strip changed the headers"
    );
});
