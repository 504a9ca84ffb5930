//! The admin listener: owns `/metrics`, `/healthz` and `/readyz`. Must not be reachable from the
//! public listener; it serves ops, not visitors.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::gateway::{plain, Gateway};
use crate::proxy::{self, Body};

pub async fn serve(
    gateway: Arc<Gateway>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    Ok(handle(&gateway, &req))
}

fn handle<B>(gateway: &Gateway, req: &Request<B>) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET is allowed here");
    }
    match req.uri().path() {
        "/metrics" => {
            gateway.tick();
            let mut resp = Response::new(proxy::full(Bytes::from(gateway.metrics.render())));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            resp
        }
        "/healthz" => plain(StatusCode::OK, "ok"),
        // The embedded state lives in this process: ready while it is being saved.
        "/readyz" if gateway.ready() => plain(StatusCode::OK, "ready"),
        "/readyz" => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "room state cannot be saved; see the log",
        ),
        _ => plain(StatusCode::NOT_FOUND, "not found"),
    }
}
