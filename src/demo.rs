//! `wartesaal demo`: owns the built-in booking site (a few pages, a slot list, a booking form
//! whose confirmation sends `X-Wartesaal-Release`), slow on purpose, and the demo config that
//! puts the gateway in front of it. Must not be used for anything but showing the queue work.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::access::ticket::Secret;
use crate::config::{Config, ConfigError, KeySource, Upstream};
use crate::page::escape;

pub const DEMO_CONFIG: &str = include_str!("../config/demo.toml");
const SLOTS: usize = 12;

/// The demo config with a fresh secret and the given backend as upstream.
pub fn config(backend: SocketAddr) -> Result<Config, ConfigError> {
    let secret = Secret::generate().map_err(|e| ConfigError::Syntax {
        path: "demo".into(),
        message: format!("no randomness for a secret: {e}"),
    })?;
    let mut config = Config::from_toml(
        DEMO_CONFIG,
        Path::new("config/demo.toml"),
        KeySource::Given(vec![secret]),
    )?;
    // The demo signs with a fresh secret every run, so a saved line would be of no use.
    config.state.dir = None;
    // A fresh admin token too, printed with the banner, so the dashboard's controls work.
    let token = Secret::generate().map_err(|e| ConfigError::Syntax {
        path: "demo".into(),
        message: format!("no randomness for a token: {e}"),
    })?;
    config.admin.token = Some(crate::config::AdminToken(token.to_base64()));
    for room in &mut config.rooms {
        let authority = backend
            .to_string()
            .parse()
            .map_err(|_| ConfigError::Syntax {
                path: "demo".into(),
                message: format!("{backend} is not an authority"),
            })?;
        Arc::make_mut(room).upstream = Upstream {
            scheme: http::uri::Scheme::HTTP,
            authority,
        };
    }
    Ok(config)
}

/// The booking site's state: who booked which slot.
#[derive(Default)]
pub struct BookingSite {
    slots: Mutex<Vec<Option<String>>>,
    /// Every request waits this long, like an overloaded legacy system.
    delay: Duration,
}

impl BookingSite {
    pub fn new(delay: Duration) -> Arc<BookingSite> {
        Arc::new(BookingSite {
            slots: Mutex::new(vec![None; SLOTS]),
            delay,
        })
    }
}

/// Serves the booking site on `listener` until the future is dropped, which ends its
/// connections too.
pub async fn serve_backend(listener: TcpListener, site: Arc<BookingSite>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        // Ended connections are reaped as new ones come, so the set does not grow.
        while connections.try_join_next().is_some() {}
        let (stream, _) = match listener.accept().await {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "demo backend accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let site = site.clone();
        connections.spawn(async move {
            let svc = service_fn(move |req| {
                let site = site.clone();
                async move { Ok::<_, Infallible>(handle(&site, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn slot_time(i: usize) -> String {
    let minutes = 8 * 60 + i * 10;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn html(status: StatusCode, title: &str, body: &str) -> Response<Full<Bytes>> {
    let page = format!(
        "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;font-size:18px;\
         max-width:36rem;margin:2rem auto;padding:0 1rem}}li{{margin:.4rem 0}}</style></head>\
         <body><p><b>Impfzentrum Demo-Kreis</b> · Terminbuchung (Demo)</p>{body}</body></html>"
    );
    let mut resp = Response::new(Full::new(Bytes::from(page)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

async fn handle(site: &BookingSite, req: Request<Incoming>) -> Response<Full<Bytes>> {
    tokio::time::sleep(site.delay).await;
    let query_slot = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("slot=")))
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s < SLOTS);
    match (req.method().clone(), req.uri().path()) {
        (Method::GET, "/") => {
            let slots = site.slots.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let mut list = String::from("<h1>Freie Termine</h1><ul>");
            for (i, booked) in slots.iter().enumerate() {
                match booked {
                    Some(_) => list.push_str(&format!("<li>{} Uhr – vergeben</li>", slot_time(i))),
                    None => list.push_str(&format!(
                        "<li><a href=\"/book?slot={i}\">{} Uhr – buchen</a></li>",
                        slot_time(i)
                    )),
                }
            }
            list.push_str("</ul>");
            html(StatusCode::OK, "Freie Termine", &list)
        }
        (Method::GET, "/book") => match query_slot {
            Some(i) => html(
                StatusCode::OK,
                "Termin buchen",
                &format!(
                    "<h1>Termin um {} Uhr</h1><form method=\"post\" action=\"/book?slot={i}\">\
                     <label>Name <input name=\"name\" required maxlength=\"80\"></label> \
                     <button>Verbindlich buchen</button></form>",
                    slot_time(i)
                ),
            ),
            None => html(
                StatusCode::NOT_FOUND,
                "Unbekannt",
                "<p>Diesen Termin gibt es nicht.</p>",
            ),
        },
        (Method::POST, "/book") => {
            let Some(i) = query_slot else {
                return html(
                    StatusCode::NOT_FOUND,
                    "Unbekannt",
                    "<p>Diesen Termin gibt es nicht.</p>",
                );
            };
            let body = match Limited::new(req.into_body(), 4096).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return html(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Zu groß",
                        "<p>Zu viele Daten.</p>",
                    )
                }
            };
            let name = String::from_utf8_lossy(&body)
                .split('&')
                .find_map(|kv| kv.strip_prefix("name=").map(|v| v.replace('+', " ")))
                .unwrap_or_default();
            let taken = {
                let mut slots = site.slots.lock().unwrap_or_else(|p| p.into_inner());
                match &slots[i] {
                    Some(_) => true,
                    None => {
                        slots[i] = Some(name.clone());
                        false
                    }
                }
            };
            if taken {
                return html(
                    StatusCode::CONFLICT,
                    "Vergeben",
                    "<p>Dieser Termin ist leider schon vergeben. <a href=\"/\">Zurück</a></p>",
                );
            }
            let mut resp = html(
                StatusCode::OK,
                "Gebucht",
                &format!(
                    "<h1>Ihr Termin ist gebucht</h1><p>{} Uhr für {}. Ihre Sitzung ist beendet; \
                     die nächste Person in der Warteschlange ist jetzt an der Reihe.</p>",
                    slot_time(i),
                    escape(&name)
                ),
            );
            // Ends this visitor's session at the gateway: the slot goes to the next person.
            resp.headers_mut()
                .insert("x-wartesaal-release", HeaderValue::from_static("1"));
            resp
        }
        _ => html(
            StatusCode::NOT_FOUND,
            "Nicht gefunden",
            "<p>Seite nicht gefunden.</p>",
        ),
    }
}
