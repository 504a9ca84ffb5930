//! The journey file: what an admitted visitor of the rehearsal does on the booking site, one
//! request per line (`METHOD PATH [urlencoded-body]`, `#` comments, blank lines ignored).
//! Pure parsing; must not send anything.

use std::path::{Path, PathBuf};

use http::Method;

/// One request of a journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyRequest {
    pub method: Method,
    /// Origin form: starts with `/`, may carry a query.
    pub path: String,
    /// Sent as `application/x-www-form-urlencoded`; empty: no body.
    pub body: String,
}

/// What every admitted visitor walks, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journey {
    pub requests: Vec<JourneyRequest>,
}

#[derive(Debug, thiserror::Error)]
pub enum JourneyError {
    #[error("cannot read the journey file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {why} (a line is `METHOD PATH [urlencoded-body]`, e.g. `POST /book slot=3&name=Test`)")]
    Line {
        path: PathBuf,
        line: usize,
        why: LineProblem,
    },
    #[error("{path}: no requests in it (every line is blank or a # comment)")]
    Empty { path: PathBuf },
}

/// Why one line of a journey file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("`{0}` is not an HTTP method")]
    Method(String),
    #[error("a request needs a path after the method")]
    NoPath,
    #[error("the path `{0}` must start with `/` and hold no spaces or control characters")]
    Path(String),
    #[error("the body `{0}` is not urlencoded (no spaces; `%` needs two hex digits)")]
    Body(String),
    #[error("more than a method, a path and one body: `{0}`")]
    Extra(String),
    #[error("the path `{path}` is outside the room (its prefixes: {prefixes}); the gateway would not send it through the line")]
    OutsideRoom { path: String, prefixes: String },
}

/// What a browser sends to a booking site; anything else is most likely a typo.
const METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// Longest line taken: a journey is a handful of short requests, not data.
const MAX_LINE: usize = 8 * 1024;

impl Journey {
    /// Without a file: one `GET` of the room's path.
    pub fn landing(path_prefix: &str) -> Journey {
        Journey {
            requests: vec![JourneyRequest {
                method: Method::GET,
                path: path_prefix.to_string(),
                body: String::new(),
            }],
        }
    }

    /// Reads and parses a journey file; every path must lie under one of `prefixes`.
    pub fn load(path: &Path, prefixes: &[String]) -> Result<Journey, JourneyError> {
        let text = std::fs::read_to_string(path).map_err(|source| JourneyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Journey::parse(&text, prefixes).map_err(|e| match e {
            ParseFailure::Line(line, why) => JourneyError::Line {
                path: path.to_path_buf(),
                line,
                why,
            },
            ParseFailure::Empty => JourneyError::Empty {
                path: path.to_path_buf(),
            },
        })
    }

    /// Parses journey text; lines are counted from 1.
    pub fn parse(text: &str, prefixes: &[String]) -> Result<Journey, ParseFailure> {
        let mut requests = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let request = parse_line(line).map_err(|why| ParseFailure::Line(i + 1, why))?;
            if !prefixes
                .iter()
                .any(|p| request.path.starts_with(p.as_str()))
            {
                let why = LineProblem::OutsideRoom {
                    path: request.path,
                    prefixes: prefixes.join(", "),
                };
                return Err(ParseFailure::Line(i + 1, why));
            }
            requests.push(request);
        }
        if requests.is_empty() {
            return Err(ParseFailure::Empty);
        }
        Ok(Journey { requests })
    }
}

/// Why journey text cannot be used, before the file's name is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseFailure {
    /// The line (from 1) and what is wrong with it.
    Line(usize, LineProblem),
    Empty,
}

/// One non-blank, non-comment line, already trimmed.
pub fn parse_line(line: &str) -> Result<JourneyRequest, LineProblem> {
    if line.len() > MAX_LINE {
        return Err(LineProblem::Extra(format!("{}…", cut(line, 40))));
    }
    let mut words = line.split_whitespace();
    let method_word = words.next().unwrap_or_default();
    let method = METHODS
        .iter()
        .find(|m| m.as_str() == method_word)
        .cloned()
        .ok_or_else(|| LineProblem::Method(method_word.to_string()))?;
    let path = words.next().ok_or(LineProblem::NoPath)?;
    if !path.starts_with('/') || path.parse::<http::uri::PathAndQuery>().is_err() {
        return Err(LineProblem::Path(path.to_string()));
    }
    let body = words.next().unwrap_or_default();
    if !urlencoded(body) {
        return Err(LineProblem::Body(body.to_string()));
    }
    if let Some(extra) = words.next() {
        return Err(LineProblem::Extra(extra.to_string()));
    }
    Ok(JourneyRequest {
        method,
        path: path.to_string(),
        body: body.to_string(),
    })
}

/// Form encoding: unreserved characters, `+`, `=`, `&` and `%` with two hex digits.
fn urlencoded(body: &str) -> bool {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
                continue;
            }
            b if b.is_ascii_alphanumeric() || b"-._~+=&*".contains(&b) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

fn cut(s: &str, chars: usize) -> String {
    s.chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn root() -> Vec<String> {
        vec!["/".to_string()]
    }

    #[test]
    fn reads_requests_and_skips_comments_and_blank_lines() {
        let text =
            "# the morning\n\nGET /\n  GET /slots?day=1  \nPOST /book slot=3&name=Test+Person\n";
        let j = Journey::parse(text, &root()).unwrap();
        assert_eq!(j.requests.len(), 3);
        assert_eq!(j.requests[1].path, "/slots?day=1");
        assert_eq!(j.requests[2].method, Method::POST);
        assert_eq!(j.requests[2].body, "slot=3&name=Test+Person");
    }

    #[test]
    fn names_the_line_that_is_wrong() {
        let cases = [
            ("GET /\nget /x\n", 2, LineProblem::Method("get".into())),
            ("GET\n", 1, LineProblem::NoPath),
            ("\n\nGET slots\n", 3, LineProblem::Path("slots".into())),
            ("POST /book a=%zz\n", 1, LineProblem::Body("a=%zz".into())),
            ("POST /book a=1 b=2\n", 1, LineProblem::Extra("b=2".into())),
        ];
        for (text, line, why) in cases {
            assert_eq!(
                Journey::parse(text, &root()),
                Err(ParseFailure::Line(line, why)),
                "{text:?}"
            );
        }
        assert_eq!(
            Journey::parse("# nothing\n\n", &root()),
            Err(ParseFailure::Empty)
        );
    }

    #[test]
    fn a_path_outside_the_room_is_refused() {
        let prefixes = vec!["/termine/".to_string(), "/buchung/".to_string()];
        assert!(Journey::parse("GET /termine/\nPOST /buchung/x a=1\n", &prefixes).is_ok());
        let err = Journey::parse("GET /termine/\nGET /admin\n", &prefixes).unwrap_err();
        assert!(matches!(
            err,
            ParseFailure::Line(2, LineProblem::OutsideRoom { .. })
        ));
    }

    #[test]
    fn the_error_names_file_and_line() {
        let dir = std::env::temp_dir().join(format!("journey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("journey.txt");
        std::fs::write(&file, "GET /\nGRAB /x\n").unwrap();
        let text = Journey::load(&file, &root()).unwrap_err().to_string();
        assert!(text.contains("journey.txt:2:"), "{text}");
        assert!(text.contains("`GRAB` is not an HTTP method"), "{text}");
    }

    proptest! {
        /// Whatever a line holds, parsing answers: a request or a reason, never a panic; and
        /// a request written back as a line reads the same.
        #[test]
        fn any_line_parses_or_says_why(line in "\\PC{0,60}") {
            if let Ok(r) = parse_line(line.trim()) {
                let again = format!("{} {} {}", r.method, r.path, r.body);
                prop_assert_eq!(parse_line(again.trim()), Ok(r));
            }
        }
    }
}
