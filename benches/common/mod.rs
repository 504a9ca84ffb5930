//! What the Redis benchmarks share: a `redis-server` of their own and a request that keeps
//! the room's cookie. Included by each with `mod common;`.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::{connect::HttpConnector, Client};

pub type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// A `redis-server` without persistence on 127.0.0.1:`port`, killed when dropped.
pub struct RedisServer(Child);

impl RedisServer {
    pub fn start(port: u16, dir: &Path) -> Option<RedisServer> {
        std::fs::create_dir_all(dir).ok()?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        Some(RedisServer(child))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET `url` as host `site.test`, with the room cookie `wartesaal_r` if given: the status
/// (0 when the request failed) and the room cookie the answer sets.
pub async fn get(client: &HttpClient, url: &str, cookie: Option<&str>) -> (u16, Option<String>) {
    let mut req = Request::get(url).header("host", "site.test");
    if let Some(c) = cookie {
        req = req.header("cookie", format!("wartesaal_r={c}"));
    }
    let Ok(resp) = client.request(req.body(Empty::new()).unwrap()).await else {
        return (0, None);
    };
    let status = resp.status().as_u16();
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("wartesaal_r="))
        .and_then(|v| v.split(';').next())
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let _ = resp.into_body().collect().await;
    (status, cookie)
}
