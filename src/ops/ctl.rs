//! `wartesaal ctl`: the admin API from a terminal. Owns turning API answers into lines an
//! operator reads at a glance. Must not know anything the API does not say.

use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error("`{0}` is not an admin address (write it like http://127.0.0.1:9090)")]
    Address(String),
    #[error("cannot reach the admin API at {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("{status}: {message}")]
    Refused { status: StatusCode, message: String },
    #[error("no admin token: give --token-file FILE or set WARTESAAL_ADMIN_TOKEN")]
    NoToken,
}

/// A connection to one gateway's admin listener.
pub struct Ctl {
    base: String,
    token: Option<String>,
    operator: String,
}

impl Ctl {
    /// `admin` is `host:port` or `http://host:port`.
    pub fn new(admin: &str, token: Option<String>, operator: String) -> Result<Ctl, CtlError> {
        let base = if admin.contains("://") {
            admin.trim_end_matches('/').to_string()
        } else {
            format!("http://{}", admin.trim_end_matches('/'))
        };
        match base.parse::<http::Uri>() {
            Ok(uri) if uri.scheme_str() == Some("http") && uri.authority().is_some() => {}
            _ => return Err(CtlError::Address(admin.to_string())),
        }
        // A header value: printable ASCII only (a name like "jürgen" becomes "j?rgen").
        let operator = operator
            .chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        Ok(Ctl {
            base,
            token,
            operator,
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, CtlError> {
        let url = format!("{}{path}", self.base);
        let mut req = Request::builder()
            .method(method)
            .uri(&url)
            .header("accept", "application/json")
            .header("x-wartesaal-operator", &self.operator);
        if let Some(token) = &self.token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let req = req
            .body(Full::new(body))
            .map_err(|e| CtlError::Unreachable {
                url: url.clone(),
                why: format!("cannot build the request: {e}"),
            })?;
        let client = Client::builder(TokioExecutor::new()).build_http();
        let unreachable = |why: String| CtlError::Unreachable {
            url: url.clone(),
            why,
        };
        let resp = tokio::time::timeout(TIMEOUT, client.request(req))
            .await
            .map_err(|_| unreachable("no answer within 10 s".into()))?
            .map_err(|e| unreachable(e.to_string()))?;
        let status = resp.status();
        let bytes = tokio::time::timeout(TIMEOUT, resp.into_body().collect())
            .await
            .map_err(|_| unreachable("the answer stalled".into()))?
            .map_err(|e| unreachable(e.to_string()))?
            .to_bytes();
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            let message = match (value["field"].as_str(), value["error"].as_str()) {
                (Some(field), Some(e)) => format!("{field}: {e}"),
                (None, Some(e)) => e.to_string(),
                _ => String::from_utf8_lossy(&bytes).trim().to_string(),
            };
            return Err(CtlError::Refused { status, message });
        }
        Ok(value)
    }

    /// Every room as a table.
    pub async fn rooms(&self) -> Result<String, CtlError> {
        let answer = self.call(Method::GET, "/api/v1/rooms", None).await?;
        let rooms = answer["rooms"].as_array().cloned().unwrap_or_default();
        Ok(table(&rooms))
    }

    /// Applies `change` (a PATCH body) to `room` and describes the room afterwards.
    pub async fn set(&self, room: &str, change: Value) -> Result<String, CtlError> {
        if self.token.is_none() {
            return Err(CtlError::NoToken);
        }
        if room.is_empty()
            || !room
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(CtlError::Refused {
                status: StatusCode::NOT_FOUND,
                message: format!("`{room}` is not a room id (a-z, 0-9 and '-')"),
            });
        }
        let path = format!("/api/v1/rooms/{room}");
        let answer = self.call(Method::PATCH, &path, Some(change)).await?;
        Ok(table(&[answer]))
    }
}

fn table(rooms: &[Value]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:<10} {:>9} {:>7} {:>9} {:>7} {:>10} {:>9}  MESSAGE",
        "ROOM", "STATE", "WAITING", "ACTIVE", "RATE/MIN", "MAX", "WAIT", "LEFT"
    );
    for r in rooms {
        let wait = match r["estimated_wait_seconds"].as_u64() {
            Some(s) if s < 60 => format!("{s}s"),
            Some(s) => format!("{}m", s.div_ceil(60)),
            None => "-".into(),
        };
        let max = match r["max_active"].as_u64() {
            Some(0) | None => "-".to_string(),
            Some(n) => n.to_string(),
        };
        let message = [r["message"]["de"].as_str(), r["message"]["en"].as_str()]
            .into_iter()
            .flatten()
            .filter(|m| !m.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
        let state = match (r["sold_out"].as_bool(), r["queue_all"].as_bool()) {
            (Some(true), _) if r["state"] == "open" => "sold_out",
            (_, Some(true)) if r["state"] == "open" => "queue_all",
            _ => r["state"].as_str().unwrap_or("?"),
        };
        // JSON values ignore a width: every column is text first.
        let number = |v: &Value| match v {
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() != 0.0 => format!("{f:.1}"),
                _ => n.to_string(),
            },
            _ => "-".to_string(),
        };
        let left = r["supply_remaining"]
            .as_u64()
            .map_or("-".to_string(), |n| n.to_string());
        let _ = writeln!(
            out,
            "{:<20} {:<10} {:>9} {:>7} {:>9} {:>7} {:>10} {:>9}  {}",
            r["id"].as_str().unwrap_or("?"),
            state,
            number(&r["waiting"]),
            number(&r["active_sessions"]),
            number(&r["effective_admit_per_minute"]),
            max,
            wait,
            left,
            message
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rooms_table_keeps_its_columns_whatever_the_numbers() {
        let rooms = [
            serde_json::json!({"id": "impfzentrum", "state": "open", "waiting": 12345,
                "active_sessions": 7, "effective_admit_per_minute": 600.0, "max_active": 0,
                "estimated_wait_seconds": 1230, "message": {"de": "", "en": ""}}),
            serde_json::json!({"id": "b", "state": "open", "queue_all": true, "waiting": 1,
                "active_sessions": 0, "effective_admit_per_minute": 0.5, "max_active": 10,
                "message": {"de": "Hallo", "en": ""}}),
        ];
        let text = table(&rooms);
        let lines: Vec<&str> = text.lines().collect();
        let header = lines[0];
        let at = |line: &str, word: &str| line.find(word).unwrap() + word.len();
        // Right-aligned columns end where their heading ends.
        for (line, value) in [(lines[1], "12345"), (lines[2], "1")] {
            let end = at(line, &format!(" {value} "));
            assert_eq!(end - 1, at(header, "WAITING"), "{text}");
        }
        assert!(lines[2].contains("queue_all"), "{text}");
        assert!(lines[2].contains("0.5"), "{text}");
        assert_eq!(
            lines[1].find("Hallo").or(lines[2].find("Hallo")),
            Some(header.find("MESSAGE").unwrap()),
            "{text}"
        );
    }
}
