//! A room's keys for the booking site's side: `path_prefixes`, the origin lock
//! (`origin_header`), the signed admission header (`admission_header`, `admission_key_file`)
//! and the bypasses (`bypass_user_agents`, `bypass_header`). Secret files are read and checked
//! here, placeholders refused. Must not touch requests: `forward` and `gateway` do.

use std::fmt;

use http::header::{HeaderName, HeaderValue};

use crate::access::ticket::{Secret, SecretError};

use super::walk::Section;
use super::Problem;

/// A header name and its secret value, read from a file. `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHeader {
    pub name: HeaderName,
    pub value: HeaderValue,
}

impl fmt::Debug for SecretHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretHeader")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One `bypass_user_agents` entry: a substring (any case), or with a leading `~` a regular
/// expression.
#[derive(Debug, Clone)]
pub enum AgentMatch {
    Contains(String),
    Pattern(regex::Regex),
}

impl AgentMatch {
    /// Whether `agent` (and `lower`, the same in lower case) matches.
    pub fn matches(&self, agent: &str, lower: &str) -> bool {
        match self {
            AgentMatch::Contains(part) => lower.contains(part.as_str()),
            AgentMatch::Pattern(re) => re.is_match(agent),
        }
    }
}

/// The secret of an origin lock, a bypass header or the admission key, at least this long.
const MIN_SECRET_CHARS: usize = 16;
/// At most this many `path_prefixes` and `bypass_user_agents`.
const MAX_ENTRIES: usize = 64;

/// Words that mark a secret nobody has chosen yet: a file copied from an example.
const PLACEHOLDERS: [&str; 6] = [
    "replace-with",
    "change-me",
    "changeme",
    "placeholder",
    "your-secret",
    "example",
];

/// Whether `text` is a placeholder someone forgot to replace.
pub fn is_placeholder(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    PLACEHOLDERS.iter().any(|p| lower.contains(p))
}

/// Headers the gateway sets or removes itself: an origin lock or a bypass cannot be one.
fn reserved(name: &HeaderName) -> bool {
    use http::header;
    [
        header::HOST,
        header::COOKIE,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
        header::UPGRADE,
        header::AUTHORIZATION,
        header::FORWARDED,
    ]
    .contains(name)
        || name.as_str().starts_with("x-forwarded-")
        || name.as_str().starts_with("x-wartesaal-")
}

/// Why a secret file cannot be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub(super) enum SecretFileError {
    #[error("cannot read {file}: {source}")]
    Unreadable {
        file: String,
        source: std::io::Error,
    },
    #[error("{file} has more than one line")]
    MoreThanOneLine { file: String },
    #[error("{file} holds {chars} characters; a secret needs at least {MIN_SECRET_CHARS}")]
    TooShort { file: String, chars: usize },
    #[error("{file} still holds a placeholder, not a secret")]
    Placeholder { file: String },
    /// A key file whose line is not a signing key.
    #[error("{file}: {source}")]
    NotAKey { file: String, source: SecretError },
}

/// A secret file's one line: read, trimmed, long enough, no placeholder.
pub(super) fn read_secret(file: &str) -> Result<String, SecretFileError> {
    let text = std::fs::read_to_string(file).map_err(|source| SecretFileError::Unreadable {
        file: file.to_string(),
        source,
    })?;
    let secret = text.trim();
    let file = file.to_string();
    if secret.lines().count() > 1 {
        return Err(SecretFileError::MoreThanOneLine { file });
    }
    let chars = secret.chars().count();
    if chars < MIN_SECRET_CHARS {
        return Err(SecretFileError::TooShort { file, chars });
    }
    if is_placeholder(secret) {
        return Err(SecretFileError::Placeholder { file });
    }
    Ok(secret.to_string())
}

/// `{ name = "...", secret_file = "..." }`.
pub(super) fn secret_header(
    s: &mut Section,
    key: &'static str,
    p: &mut Vec<Problem>,
) -> Option<SecretHeader> {
    let path = s.key(key);
    let t = s.table(key, p)?;
    let mut h = Section::new(path, t);
    let name = h.string("name", p);
    let file = h.string("secret_file", p);
    h.finish(p);
    let hint = "make one with `wartesaal keygen --out FILE` (a random line, kept out of git)";
    let name = match name.map(|n| (n, HeaderName::from_bytes(n.trim().as_bytes()))) {
        None => {
            p.push(s.problem(key, "has no name", "name = \"X-Origin-Lock\""));
            None
        }
        Some((n, Err(_))) => {
            p.push(s.problem(
                key,
                format!("`{n}` is not a header name"),
                "e.g. X-Origin-Lock",
            ));
            None
        }
        Some((n, Ok(name))) if reserved(&name) => {
            p.push(s.problem(
                key,
                format!("`{n}` is a header the gateway sets itself"),
                "pick a name of your own, e.g. X-Origin-Lock",
            ));
            None
        }
        Some((_, Ok(name))) => Some(name),
    };
    let value = match file {
        None => {
            p.push(s.problem(key, "has no secret_file", hint));
            None
        }
        Some(file) => match read_secret(file).map(HeaderValue::try_from) {
            Ok(Ok(value)) => Some(value),
            Ok(Err(_)) => {
                p.push(s.problem(key, format!("{file} is not a header value"), hint));
                None
            }
            Err(why) => {
                p.push(s.problem(key, why.to_string(), hint));
                None
            }
        },
    };
    Some(SecretHeader {
        name: name?,
        value: value?,
    })
}

/// `path_prefixes`, beside or instead of `path_prefix`: every prefix the room protects, the
/// first one (`path_prefix` if given) being where visitors are sent.
pub(super) fn path_prefixes(
    s: &mut Section,
    first: Option<&str>,
    p: &mut Vec<Problem>,
) -> Vec<String> {
    let mut all: Vec<String> = first.map(str::to_string).into_iter().collect();
    for (i, prefix) in s
        .strings("path_prefixes", p)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        if !prefix.starts_with('/') {
            p.push(s.problem(
                &format!("path_prefixes[{i}]"),
                format!("`{prefix}` does not start with '/'"),
                "write it like \"/termine/\"",
            ));
        } else if !all.iter().any(|known| known == prefix) {
            all.push(prefix.to_string());
        }
    }
    if all.len() > MAX_ENTRIES {
        p.push(s.problem(
            "path_prefixes",
            format!("{} prefixes", all.len()),
            format!("at most {MAX_ENTRIES}"),
        ));
    }
    if all.is_empty() {
        all.push("/".to_string());
    }
    all
}

/// `bypass_user_agents`: substrings, or `~regex`.
pub(super) fn user_agents(s: &mut Section, p: &mut Vec<Problem>) -> Vec<AgentMatch> {
    let list = s.strings("bypass_user_agents", p).unwrap_or_default();
    if list.len() > MAX_ENTRIES {
        p.push(s.problem(
            "bypass_user_agents",
            format!("{} entries", list.len()),
            format!("at most {MAX_ENTRIES}"),
        ));
    }
    let mut out = Vec::new();
    for (i, entry) in list.into_iter().enumerate() {
        let key = format!("bypass_user_agents[{i}]");
        if let Some(pattern) = entry.strip_prefix('~') {
            match regex::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
            {
                Ok(re) => out.push(AgentMatch::Pattern(re)),
                Err(e) => p.push(s.problem(
                    &key,
                    format!("`{pattern}` is not a regular expression: {e}"),
                    "write a substring, or ~ followed by a regular expression",
                )),
            }
        } else if entry.trim().len() < 3 {
            p.push(s.problem(
                &key,
                format!("`{entry}` is too short: it would let nearly everyone past the line"),
                "name the agent, e.g. \"Pingdom\" or \"Googlebot\"",
            ));
        } else {
            out.push(AgentMatch::Contains(entry.trim().to_ascii_lowercase()));
        }
    }
    out
}

/// `admission_header = true` with `admission_key_file`: the key the booking site verifies
/// the signed `X-Wartesaal-Admission` header with.
pub(super) fn admission_key(s: &mut Section, p: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let on = s.boolean("admission_header", p).unwrap_or(false);
    let file = s.string("admission_key_file", p);
    match (on, file) {
        (false, None) => None,
        (false, Some(_)) => {
            p.push(s.problem(
                "admission_key_file",
                "is set but admission_header is not",
                "add admission_header = true, or remove the key file",
            ));
            None
        }
        (true, None) => {
            p.push(s.problem(
                "admission_key_file",
                "missing: admission_header = true needs its own key",
                "make one with `wartesaal keygen --out config/admission.key` and give the same \
                 file to the booking site",
            ));
            None
        }
        (true, Some(file)) => {
            let read = read_secret(file).and_then(|text| {
                Secret::from_base64(&text).map(|_| text).map_err(|source| {
                    SecretFileError::NotAKey {
                        file: file.to_string(),
                        source,
                    }
                })
            });
            match read {
                Ok(text) => {
                    use base64::Engine;
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(text.trim_end_matches('='))
                        .ok()
                }
                Err(why) => {
                    p.push(s.problem(
                        "admission_key_file",
                        why.to_string(),
                        "make one with `wartesaal keygen --out config/admission.key`",
                    ));
                    None
                }
            }
        }
    }
}
