//! The floor for proxying: hyper's HTTP/1.1 server and wartesaal's upstream client with none
//! of the gateway between them (no ticket, no routing, no header hygiene, no metrics). The
//! load benchmark runs it beside wartesaal so that the table shows how much of the gap to
//! nginx is the gateway's own work. Not a product: it forwards every request as it is.
//!
//! Usage: bare-proxy LISTEN_ADDR UPSTREAM_AUTHORITY THREADS

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use wartesaal::http1::{BodyFraming, Outbound, RequestBody, UpstreamPool};

type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

async fn forward(pool: Arc<UpstreamPool>, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    // Streamed as it comes, as the gateway streams an upload beyond what it reads ahead.
    let body = RequestBody::read(Bytes::new(), Some(body), std::time::Duration::from_secs(30));
    // The head as it came (origin form), with the body's framing: nothing cleaned or added.
    let framing = BodyFraming::of(&body);
    let mut head = format!(
        "{} {} HTTP/1.1\r\n",
        parts.method,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        if name != http::header::CONTENT_LENGTH && name != http::header::TRANSFER_ENCODING {
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
    }
    framing.write_header(&parts.method, false, &mut head);
    head.extend_from_slice(b"\r\n");
    let out = Outbound {
        head,
        method: parts.method,
        body,
        framing,
    };
    match pool.send(out).await {
        Ok(resp) => resp.map(|b| b.boxed()),
        Err(e) => {
            let mut resp = Response::new(
                Full::new(Bytes::from(e.to_string()))
                    .map_err(|never| match never {})
                    .boxed(),
            );
            *resp.status_mut() = StatusCode::BAD_GATEWAY;
            resp
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, listen, upstream, threads] = args.as_slice() else {
        return Err("usage: bare-proxy LISTEN_ADDR UPSTREAM_AUTHORITY THREADS".into());
    };
    let upstream = wartesaal::config::Upstream {
        scheme: http::uri::Scheme::HTTP,
        authority: upstream.parse()?,
    };
    let pool = Arc::new(UpstreamPool::new(&upstream, None)?);
    let listen: std::net::SocketAddr = listen.parse()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.parse()?)
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(listen).await?;
            loop {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                let pool = pool.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let pool = pool.clone();
                        async move { Ok::<_, Infallible>(forward(pool, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        })
}
