//! The visitor's `Cookie` headers: finding a cookie of ours (the room's token, the language)
//! exactly as the documented pair reading names it, and the `Cookie` header the upstream gets
//! without the room's cookie. Works on bytes; must not verify tokens.

use std::borrow::Cow;

use http::header::{self, HeaderMap, HeaderValue};
use memchr::memmem;

/// Every pair of the `Cookie` headers as (trimmed name, whole trimmed pair, trimmed value if
/// there is an `=`). Works on bytes: the booking site's own cookies may hold any octets and
/// must neither hide nor keep ours.
pub(super) fn cookie_pairs(
    headers: &HeaderMap,
) -> impl Iterator<Item = (&[u8], &[u8], Option<&[u8]>)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b';'))
        .map(<[u8]>::trim_ascii)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = split_pair(pair);
            (name, pair, value)
        })
}

/// A trimmed pair's name and value: the trimmed text before and after the first `=`; all of
/// it and no value without one.
pub(super) fn split_pair(pair: &[u8]) -> (&[u8], Option<&[u8]>) {
    match pair.iter().position(|b| *b == b'=') {
        Some(at) => (pair[..at].trim_ascii(), Some(pair[at + 1..].trim_ascii())),
        None => (pair, None),
    }
}

/// The `Cookie` header for the upstream: the visitor's cookies without `name`, in order, `None`
/// when none are left. Several `Cookie` headers (HTTP/2 browsers send one per cookie) become
/// one, joined with `; ` as HTTP/1.1 upstreams expect (RFC 9113 §8.2.3); a single one
/// without `name` is passed on exactly as it came.
pub fn cookie_without<'a>(headers: &'a HeaderMap, name: &CookieName) -> Option<Cow<'a, [u8]>> {
    let mut values = headers.get_all(header::COOKIE).iter();
    let first = values.next()?;
    if values.next().is_none() {
        let v = first.as_bytes();
        if name.pairs_in(v).next().is_none() {
            // One header without a pair of ours, the usual case: passed on as it came.
            return Some(Cow::Borrowed(v));
        }
        // Ours alone: nothing is left to pass on.
        memchr::memchr(b';', v)?;
    }
    let joined = cookie_pairs(headers)
        .filter(|(key, _, _)| *key != name.as_str().as_bytes())
        .map(|(_, pair, _)| pair)
        .collect::<Vec<_>>()
        .join(&b"; "[..]);
    (!joined.is_empty()).then_some(Cow::Owned(joined))
}

/// A cookie's name and a search for it, made once (for a room: at start and on reload):
/// finding the room cookie is on every request's path.
pub struct CookieName {
    name: String,
    /// memchr's vectorised search for a plain name (`plain_name`); other names are looked
    /// for pair by pair.
    finder: Option<memmem::Finder<'static>>,
}

impl CookieName {
    pub fn new(name: impl Into<String>) -> CookieName {
        let name = name.into();
        let finder = plain_name(&name).map(|n| memmem::Finder::new(n).into_owned());
        CookieName { name, finder }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// Where a pair of this name is in one `Cookie` header value, and what it holds, in
    /// order.
    pub(super) fn pairs_in<'s, 'v>(
        &'s self,
        v: &'v [u8],
    ) -> impl Iterator<Item = Named<'v>> + use<'s, 'v> {
        let (found, walked) = match &self.finder {
            Some(finder) => {
                let name = self.name.as_bytes();
                let found = finder
                    .find_iter(v)
                    .filter_map(move |at| named_at(v, at, name));
                (Some(found), None)
            }
            None => {
                // As `cookie_pairs` reads them: empty pieces are no pairs.
                let walked = v
                    .split(|b| *b == b';')
                    .map(<[u8]>::trim_ascii)
                    .filter(|pair| !pair.is_empty())
                    .filter_map(|pair| match split_pair(pair) {
                        (key, value) if key == self.name.as_bytes() => {
                            Some(value.map_or(Named::Bare, Named::Value))
                        }
                        _ => None,
                    });
                (None, Some(walked))
            }
        };
        found
            .into_iter()
            .flatten()
            .chain(walked.into_iter().flatten())
    }
}

impl std::fmt::Debug for CookieName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// The first value of cookie `name`, if any. A value that is not text is no token.
pub fn find_cookie<'a>(headers: &'a HeaderMap, name: &CookieName) -> Option<&'a str> {
    find_cookie_in(headers.get_all(header::COOKIE), name)
}

/// `find_cookie` in these `Cookie` header values.
pub fn find_cookie_in<'a>(
    values: impl IntoIterator<Item = &'a HeaderValue>,
    name: &CookieName,
) -> Option<&'a str> {
    values
        .into_iter()
        .find_map(|v| {
            name.pairs_in(v.as_bytes()).find_map(|pair| match pair {
                Named::Value(value) => Some(value),
                Named::Bare => None,
            })
        })
        .and_then(|value| std::str::from_utf8(value).ok())
}

/// `name` as bytes if a pair's name can be told by finding it in the header: not empty, and
/// without `;`, `=` or blanks (true of every name the gateway uses).
pub(super) fn plain_name(name: &str) -> Option<&[u8]> {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b != b';' && b != b'=' && !b.is_ascii_whitespace());
    plain.then_some(name.as_bytes())
}

/// What a pair of the looked-for name holds.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Named<'a> {
    /// `name=value`: the trimmed value.
    Value(&'a [u8]),
    /// `name` alone, no `=`.
    Bare,
}

/// Whether the `name` found at `at` in a `Cookie` header `v` is a pair's name, read as
/// `split_pair` reads pairs: only blanks between it and the pair's start (the header's start
/// or a `;`), and only blanks between it and the `=` or the pair's end. `name` is plain
/// (`plain_name`), so a pair's name is never found inside it.
pub(super) fn named_at<'a>(v: &'a [u8], at: usize, name: &[u8]) -> Option<Named<'a>> {
    let before = &v[..at];
    let start = before.iter().rposition(|b| !b.is_ascii_whitespace());
    if start.is_some_and(|i| before[i] != b';') {
        return None;
    }
    let rest = &v[at + name.len()..];
    let end = memchr::memchr(b';', rest).unwrap_or(rest.len());
    let rest = &rest[..end];
    match rest.iter().position(|b| !b.is_ascii_whitespace()) {
        None => Some(Named::Bare),
        Some(i) if rest[i] == b'=' => Some(Named::Value(rest[i + 1..].trim_ascii())),
        Some(_) => None,
    }
}
