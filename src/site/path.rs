//! How routing reads a request path: a protected prefix must catch every spelling an upstream
//! might take for it, and only plain paths may be bypassed. Pure over text.

/// A path with nothing an upstream could read differently: no percent-encoding, no `;`
/// parameters, no backslashes, no empty segments, no segment ending in a dot (Windows and
/// IIS read `/termine.` as `/termine`). Only such paths may be bypassed.
pub fn path_is_plain(path: &str) -> bool {
    // One pass over the bytes: it runs twice on every request.
    let mut last = 0u8;
    for b in path.bytes() {
        if matches!(b, b'%' | b';' | b'\\') || (b == b'/' && matches!(last, b'/' | b'.')) {
            return false;
        }
        last = b;
    }
    last != b'.'
}

/// `prefix` matches `path` at a segment boundary: "/static/" and "/favicon.ico" match
/// "/static/app.css" and "/favicon.ico", not "/favicon.icox".
pub fn starts_at_segment(path: &str, prefix: &str) -> bool {
    path.starts_with(prefix)
        && (prefix.ends_with('/')
            || path.len() == prefix.len()
            || path.as_bytes()[prefix.len()] == b'/')
}

/// The request path as routing sees it. A protected prefix must catch every spelling an
/// upstream might take for it (`/%74ermine/`, `/TERMINE/`, `//termine/`, `/termine;x/`), so
/// matching also runs on a canonical form: fail closed.
pub struct RequestPath<'a> {
    raw: &'a str,
    canonical: Option<String>,
}

impl<'a> RequestPath<'a> {
    pub fn new(raw: &'a str) -> RequestPath<'a> {
        let canonical = (!path_is_plain(raw)).then(|| canonical_path(raw));
        RequestPath { raw, canonical }
    }

    pub fn matches_prefix(&self, prefix: &str) -> bool {
        // "/termine" is the same place as "/termine/" to most upstreams.
        let bare = prefix.strip_suffix('/').filter(|b| !b.is_empty());
        let matches = |p: &str| {
            (p.len() >= prefix.len()
                && p.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes()))
                || bare.is_some_and(|b| p.eq_ignore_ascii_case(b))
        };
        matches(self.raw) || self.canonical.as_deref().is_some_and(matches)
    }
}

/// Percent-decoded (twice, for double encoding), `\` read as `/`, `;` parameters, empty and
/// `.` segments dropped, `..` applied.
pub fn canonical_path(raw: &str) -> String {
    let once = percent_decode(raw);
    let text = percent_decode(&once).replace('\\', "/");
    let mut segments: Vec<&str> = Vec::new();
    for segment in text.split('/') {
        // Windows drops a name's trailing dots and spaces: IIS serves `/termine./` and
        // `/termine%20/` as `/termine/`.
        let segment = segment.split(';').next().unwrap_or("");
        let segment = match segment {
            "." | ".." => segment,
            s => s.trim_end_matches(['.', ' ']),
        };
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(text.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    if text.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
