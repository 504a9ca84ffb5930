//! The TOML walker: a view of one table that remembers which keys were read, so the rest are
//! reported as unknown with a "did you mean" hint, and the small parsers every section shares.
//! Must not know any section's keys.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;

use super::Problem;

/// A view of one TOML table that remembers which keys were read, so the rest can be reported
/// as unknown.
pub(super) struct Section<'a> {
    path: String,
    table: &'a toml::Table,
    known: Vec<&'static str>,
}

impl<'a> Section<'a> {
    pub(super) fn new(path: impl Into<String>, table: &'a toml::Table) -> Self {
        Self {
            path: path.into(),
            table,
            known: Vec::new(),
        }
    }

    pub(super) fn key(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    pub(super) fn get(&mut self, key: &'static str) -> Option<&'a toml::Value> {
        self.known.push(key);
        self.table.get(key)
    }

    pub(super) fn wrong_type(
        &self,
        key: &str,
        want: &str,
        got: &toml::Value,
        p: &mut Vec<Problem>,
    ) {
        p.push(Problem {
            key: self.key(key),
            message: format!("expected {want}, found {}", got.type_str()),
            hint: String::new(),
        });
    }

    pub(super) fn string(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<&'a str> {
        match self.get(key)? {
            toml::Value::String(s) => Some(s),
            other => {
                self.wrong_type(key, "a string", other, p);
                None
            }
        }
    }

    pub(super) fn strings(
        &mut self,
        key: &'static str,
        p: &mut Vec<Problem>,
    ) -> Option<Vec<&'a str>> {
        match self.get(key)? {
            toml::Value::String(s) => Some(vec![s.as_str()]),
            toml::Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        toml::Value::String(s) => out.push(s.as_str()),
                        other => {
                            self.wrong_type(&format!("{key}[{i}]"), "a string", other, p);
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.wrong_type(key, "a list of strings", other, p);
                None
            }
        }
    }

    pub(super) fn integer(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<i64> {
        match self.get(key)? {
            toml::Value::Integer(n) => Some(*n),
            other => {
                self.wrong_type(key, "a whole number", other, p);
                None
            }
        }
    }

    pub(super) fn unsigned(
        &mut self,
        key: &'static str,
        min: u64,
        p: &mut Vec<Problem>,
    ) -> Option<u64> {
        let n = self.integer(key, p)?;
        if n < min as i64 {
            p.push(Problem {
                key: self.key(key),
                message: format!("must be at least {min}, found {n}"),
                hint: String::new(),
            });
            return None;
        }
        Some(n as u64)
    }

    pub(super) fn boolean(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<bool> {
        match self.get(key)? {
            toml::Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(key, "true or false", other, p);
                None
            }
        }
    }

    pub(super) fn number(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<f64> {
        match self.get(key)? {
            toml::Value::Integer(n) => Some(*n as f64),
            toml::Value::Float(x) => Some(*x),
            other => {
                self.wrong_type(key, "a number", other, p);
                None
            }
        }
    }

    pub(super) fn duration(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<Duration> {
        let s = self.string(key, p)?;
        match humantime::parse_duration(s) {
            Ok(d) => Some(d),
            Err(e) => {
                p.push(Problem {
                    key: self.key(key),
                    message: format!("`{s}` is not a duration ({e})"),
                    hint: "write it like \"90s\", \"10m\" or \"1h\"".into(),
                });
                None
            }
        }
    }

    /// An RFC 3339 time with its UTC offset, written as a string or a TOML date-time: Unix
    /// milliseconds and the offset in minutes.
    pub(super) fn time(&mut self, key: &'static str, p: &mut Vec<Problem>) -> Option<(u64, i32)> {
        let text = match self.get(key)? {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => {
                self.wrong_type(key, "a time like \"2021-03-27T08:00:00+01:00\"", other, p);
                return None;
            }
        };
        match crate::queue::schedule::parse_time(&text) {
            Ok(t) => Some(t),
            Err(why) => {
                p.push(self.problem(
                    key,
                    why.to_string(),
                    "write it like \"2021-03-27T08:00:00+01:00\" (RFC 3339 with the UTC offset)",
                ));
                None
            }
        }
    }

    pub(super) fn table(
        &mut self,
        key: &'static str,
        p: &mut Vec<Problem>,
    ) -> Option<&'a toml::Table> {
        match self.get(key)? {
            toml::Value::Table(t) => Some(t),
            other => {
                self.wrong_type(key, "a table", other, p);
                None
            }
        }
    }

    pub(super) fn problem(
        &self,
        key: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Problem {
        Problem {
            key: self.key(key),
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// Reports every key that was never asked for.
    pub(super) fn finish(self, p: &mut Vec<Problem>) {
        for key in self.table.keys() {
            if self.known.contains(&key.as_str()) {
                continue;
            }
            let hint = match closest(key, &self.known) {
                Some(near) => format!("did you mean `{near}`?"),
                None if self.known.is_empty() => "remove it".to_string(),
                None => format!("known keys here: {}", self.known.join(", ")),
            };
            p.push(Problem {
                key: self.key(key),
                message: "unknown key".into(),
                hint,
            });
        }
    }
}

/// The known key nearest to a misspelt one, if any is near enough to be a typo.
pub(super) fn closest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

pub(super) fn parse_listen(
    sec: &Section,
    key: &str,
    s: &str,
    p: &mut Vec<Problem>,
) -> Option<SocketAddr> {
    match s.parse::<SocketAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            p.push(sec.problem(
                key,
                format!("`{s}` is not an address with a port"),
                "write it like \"127.0.0.1:8080\" or \"[::]:8080\"",
            ));
            None
        }
    }
}

pub(super) fn parse_cidrs(
    sec: &Section,
    key: &str,
    items: &[&str],
    p: &mut Vec<Problem>,
) -> Vec<IpNet> {
    let mut out = Vec::new();
    for (i, s) in items.iter().enumerate() {
        match s.parse::<IpNet>() {
            Ok(net) => out.push(net),
            Err(_) => match s.parse::<IpAddr>() {
                Ok(ip) => out.push(IpNet::from(ip)),
                Err(_) => p.push(sec.problem(
                    &format!("{key}[{i}]"),
                    format!("`{s}` is not an IP network"),
                    "write it like \"10.0.0.0/8\", \"2001:db8::/32\" or a single address",
                )),
            },
        }
    }
    out
}
