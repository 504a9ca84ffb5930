//! `wartesaal ctl`: the admin API from a terminal. Owns turning API answers into lines an
//! operator reads at a glance. Must not know anything the API does not say.

use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;

use crate::ops::api::{ErrorAnswer, RoomChange, RoomList, RoomStatus};

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error("`{0}` is not an admin address (write it like http://127.0.0.1:9090)")]
    Address(String),
    #[error("cannot reach the admin API at {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("{status}: {message}")]
    Refused { status: StatusCode, message: String },
    #[error("the admin API at {url} answered with what ctl does not understand: {why}")]
    Garbled { url: String, why: String },
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

    /// Sends `body` (as JSON) with `method` to `path` and reads the answer as a `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&RoomChange>,
    ) -> Result<T, CtlError> {
        let url = format!("{}{path}", self.base);
        let mut req = Request::builder()
            .method(method)
            .uri(&url)
            .header("accept", "application/json")
            .header("x-wartesaal-operator", &self.operator);
        if let Some(token) = &self.token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let cannot_build = |why: String| CtlError::Unreachable {
            url: url.clone(),
            why: format!("cannot build the request: {why}"),
        };
        let body = match body {
            Some(change) => {
                req = req.header("content-type", "application/json");
                let text = serde_json::to_vec(change).map_err(|e| cannot_build(e.to_string()))?;
                Bytes::from(text)
            }
            None => Bytes::new(),
        };
        let req = req
            .body(Full::new(body))
            .map_err(|e| cannot_build(e.to_string()))?;
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
        if !status.is_success() {
            let message = match serde_json::from_slice::<ErrorAnswer>(&bytes) {
                Ok(ErrorAnswer {
                    error,
                    field: Some(field),
                }) => format!("{field}: {error}"),
                Ok(ErrorAnswer { error, field: None }) => error,
                Err(_) => String::from_utf8_lossy(&bytes).trim().to_string(),
            };
            return Err(CtlError::Refused { status, message });
        }
        serde_json::from_slice(&bytes).map_err(|e| CtlError::Garbled {
            url,
            why: e.to_string(),
        })
    }

    /// Every room as a table.
    pub async fn rooms(&self) -> Result<String, CtlError> {
        let list: RoomList = self.call(Method::GET, "/api/v1/rooms", None).await?;
        Ok(table(&list.rooms))
    }

    /// Applies `change` to `room` and describes the room afterwards.
    pub async fn set(&self, room: &str, change: &RoomChange) -> Result<String, CtlError> {
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
        let answer: RoomStatus = self.call(Method::PATCH, &path, Some(change)).await?;
        Ok(table(&[answer]))
    }
}

fn table(rooms: &[RoomStatus]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:<10} {:>9} {:>7} {:>9} {:>7} {:>10} {:>9}  MESSAGE",
        "ROOM", "STATE", "WAITING", "ACTIVE", "RATE/MIN", "MAX", "WAIT", "LEFT"
    );
    for r in rooms {
        let wait = match r.estimated_wait_seconds {
            Some(s) if s < 60 => format!("{s}s"),
            Some(s) => format!("{}m", s.div_ceil(60)),
            None => "-".into(),
        };
        let max = match r.max_active {
            0 => "-".to_string(),
            n => n.to_string(),
        };
        let mut message = r
            .message
            .texts
            .iter()
            .filter(|(_, m)| !m.is_empty())
            .map(|(lang, m)| format!("{lang}: {m}"))
            .collect::<Vec<_>>()
            .join(" / ");
        if !r.message_missing.is_empty() {
            // Those readers are shown the default language's text.
            message.push_str(&format!(" (none in {})", r.message_missing.join(", ")));
        }
        let state = match r.state.as_str() {
            "open" if r.sold_out => "sold_out",
            "open" if r.queue_all => "queue_all",
            "" => "?",
            other => other,
        };
        // One decimal (600.0, 0.5); "-" for what the answer could not say.
        let rate = if r.effective_admit_per_minute.is_finite() {
            format!("{:.1}", r.effective_admit_per_minute)
        } else {
            "-".to_string()
        };
        let left = r
            .supply_remaining
            .map_or("-".to_string(), |n| n.to_string());
        let id = if r.id.is_empty() { "?" } else { &r.id };
        // Every column is text first: a number would ignore the width.
        let _ = writeln!(
            out,
            "{:<20} {:<10} {:>9} {:>7} {:>9} {:>7} {:>10} {:>9}  {}",
            id,
            state,
            r.waiting.to_string(),
            r.active_sessions.to_string(),
            rate,
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
    use crate::ops::api::OperatorMessage;

    #[test]
    fn the_rooms_table_keeps_its_columns_whatever_the_numbers() {
        let rooms = [
            RoomStatus {
                id: "impfzentrum".into(),
                state: "open".into(),
                waiting: 12345,
                active_sessions: 7,
                effective_admit_per_minute: 600.0,
                estimated_wait_seconds: Some(1230),
                ..RoomStatus::default()
            },
            RoomStatus {
                id: "b".into(),
                state: "open".into(),
                queue_all: true,
                waiting: 1,
                effective_admit_per_minute: 0.5,
                max_active: 10,
                message: OperatorMessage {
                    texts: [("de".to_string(), "Hallo".to_string())].into(),
                },
                ..RoomStatus::default()
            },
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
            lines[1].find("de: Hallo").or(lines[2].find("de: Hallo")),
            Some(header.find("MESSAGE").unwrap()),
            "{text}"
        );
    }
}
