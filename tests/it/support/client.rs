//! HTTP clients: a browser-like visitor that keeps its cookies, the answer it reads whole, and
//! raw bytes on a fresh connection for what a well-behaved client would never send.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

pub type TestBody = BoxBody<Bytes, Infallible>;

/// What a visitor got back, body read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A browser-like client: keeps the cookies it is given.
#[derive(Clone)]
pub struct Visitor {
    pub client: Client<HttpConnector, TestBody>,
    pub base: String,
    pub host: String,
    /// name → value
    pub cookies: Vec<(String, String)>,
}

impl Visitor {
    /// A new visitor of the gateway at `base` (`http://addr`).
    pub fn new(base: String) -> Visitor {
        Visitor {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base,
            host: "site.test".to_string(),
            cookies: Vec::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push((name.to_string(), value.to_string()));
    }

    pub fn request(&self, method: Method, path: &str) -> http::request::Builder {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path))
            .header("host", &self.host);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            b = b.header("cookie", jar.join("; "));
        }
        b
    }

    /// Sends a request and keeps what `Set-Cookie` says, as a browser would.
    pub async fn send(&mut self, req: Request<TestBody>) -> Answer {
        self.try_send(req).await.expect("gateway answers")
    }

    /// `send` for a gateway that may be gone.
    pub async fn try_send(&mut self, req: Request<TestBody>) -> Result<Answer, String> {
        let resp = self.client.request(req).await.map_err(|e| e.to_string())?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        // Cookies only from a complete answer: a browser cut off mid-response keeps its old one.
        self.keep_cookies(&parts.headers);
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    pub fn keep_cookies(&mut self, headers: &HeaderMap) {
        for sc in headers.get_all("set-cookie") {
            let sc = sc.to_str().unwrap();
            let pair = sc.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || sc.contains("Max-Age=0") {
                self.cookies.retain(|(n, _)| n != name);
            } else {
                self.set_cookie(name, value);
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let req = self
            .request(Method::GET, path)
            .body(Empty::new().boxed())
            .unwrap();
        self.send(req).await
    }

    pub async fn get_json(&mut self, path: &str) -> Answer {
        let req = self
            .request(Method::GET, path)
            .header("accept", "application/json")
            .body(Empty::new().boxed())
            .unwrap();
        self.send(req).await
    }

    pub async fn status(&mut self, room: &str) -> serde_json::Value {
        let a = self
            .get_json(&format!("/.wartesaal/status?room={room}"))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.json()
    }

    pub async fn post(&mut self, path: &str, body: &'static str) -> Answer {
        let req = self
            .request(Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from_static(body.as_bytes())).boxed())
            .unwrap();
        self.send(req).await
    }
}

/// Sends `request` as raw bytes on a fresh connection and returns the whole answer as text
/// (read until the server closes, at most 5 s).
pub async fn raw_request(addr: SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}
