//! The ACME client's way to the CA: each request on a new HTTPS connection, checked against
//! the system's roots or `ca_file`, within a time limit. Must not know ACME: instant-acme
//! speaks it (JWS, nonces, retries on a refused nonce) over this.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use instant_acme::{BodyWrapper, BytesResponse, Error, HttpClient};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::tls;

/// One request to the CA may take this long, connecting included; a CA slower than that counts
/// as down for this attempt.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// HTTPS to the CA. A connection per request: an order is a dozen requests a quarter, so
/// keeping connections open would buy nothing.
pub struct CaClient {
    connector: TlsConnector,
}

impl CaClient {
    /// Trusting `roots` (`ca_file`), or the system's roots.
    pub fn new(roots: Option<&[CertificateDer<'static>]>) -> Result<CaClient, rustls::Error> {
        let mut config = tls::client_config(roots.unwrap_or_else(|| tls::system_roots()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(CaClient {
            connector: TlsConnector::from(Arc::new(config)),
        })
    }
}

impl HttpClient for CaClient {
    fn request(
        &self,
        req: Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, Error>> + Send>> {
        let connector = self.connector.clone();
        Box::pin(async move {
            match tokio::time::timeout(REQUEST_TIMEOUT, send(connector, req)).await {
                Ok(result) => result,
                Err(_) => Err(Error::Other(
                    format!("no answer within {REQUEST_TIMEOUT:?}").into(),
                )),
            }
        })
    }
}

async fn send(
    connector: TlsConnector,
    req: Request<BodyWrapper<Bytes>>,
) -> Result<BytesResponse, Error> {
    let other = |e: Box<dyn std::error::Error + Send + Sync>| Error::Other(e);
    let uri = req.uri().clone();
    let host = uri.host().ok_or("a CA URL without a host")?.to_string();
    let port = uri.port_u16().unwrap_or(443);
    if uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
        return Err(other(format!("{uri} is not https://").into()));
    }
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| other(format!("cannot connect to {host}:{port}: {e}").into()))?;
    let name = ServerName::try_from(host.clone()).map_err(|e| other(Box::new(e)))?;
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| other(format!("TLS with {host}:{port} failed: {e}").into()))?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| other(Box::new(e)))?;
    let (mut parts, body) = req.into_parts();
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or(host);
    parts.headers.insert(
        http::header::HOST,
        http::HeaderValue::from_str(&authority).map_err(|e| other(Box::new(e)))?,
    );
    parts.uri = uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
        .parse()
        .map_err(|e: http::uri::InvalidUri| other(Box::new(e)))?;
    let response = send.send_request(Request::from_parts(parts, body));
    // With the only sender gone, the connection ends after this one exchange; it is driven
    // here, beside reading the answer, so nothing outlives the request.
    drop(send);
    let exchange = async {
        let (parts, body) = response.await?.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok::<_, hyper::Error>((parts, body))
    };
    let (exchange, _closed) = tokio::join!(exchange, conn);
    let (parts, body) = exchange.map_err(|e| other(Box::new(e)))?;
    Ok(BytesResponse::from(http::Response::from_parts(
        parts,
        Full::new(body),
    )))
}
