//! HTTPS and HTTP/2: a certificate made at test time, real TLS handshakes against the
//! gateway's HTTPS listener, an HTTPS upstream, and the certificate swapped by a reload.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::client::TlsStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};
use wartesaal::access::ticket::Secret;
use wartesaal::config::{Config, KeySource};

use crate::support::{self, TestBody};

/// Upper bound for anything awaited here; reached only when something hangs.
const PATIENCE: Duration = Duration::from_secs(20);

/// A test CA and certificates it signs for `localhost` and 127.0.0.1, written as PEM files.
pub struct Pki {
    pub dir: PathBuf,
    ca: rcgen::CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate's files.
pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub der: CertificateDer<'static>,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let dir = support::temp_dir(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("wartesaal test CA {name}"));
        let ca = rcgen::CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        Pki { dir, ca }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca.der().clone()
    }

    /// A new key and certificate for localhost, written to `<name>.pem` and `<name>.key`.
    pub fn leaf(&self, name: &str) -> Leaf {
        self.leaf_for(name, &["localhost", "127.0.0.1"])
    }

    /// A new key and certificate for `names`, written to `<name>.pem` and `<name>.key`.
    pub fn leaf_for(&self, name: &str, names: &[&str]) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        let leaf = Leaf {
            cert: self.dir.join(format!("{name}.pem")),
            key: self.dir.join(format!("{name}.key")),
            der: cert.der().clone(),
        };
        std::fs::write(&leaf.cert, cert.pem()).unwrap();
        std::fs::write(&leaf.key, key.serialize_pem()).unwrap();
        leaf
    }
}

/// `[server.tls]` on a free port serving `leaf`.
pub fn tls_section(leaf: &Leaf, extra: &str) -> String {
    format!(
        "[server.tls]\nlisten = \"127.0.0.1:0\"\ncert = \"{}\"\nkey = \"{}\"\n{extra}\n",
        leaf.cert.display(),
        leaf.key.display()
    )
}

fn load(text: &str) -> Result<Config, wartesaal::config::ConfigError> {
    Config::from_toml(
        text,
        Path::new("test.toml"),
        KeySource::Given(vec![Secret::from_bytes(support::SECRET)]),
    )
}

/// A TLS client trusting only the test CA, offering the given ALPN protocols.
pub struct Https {
    addr: SocketAddr,
    connector: TlsConnector,
}

impl Https {
    pub fn new(addr: SocketAddr, ca: CertificateDer<'static>, alpn: &[&[u8]]) -> Https {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca).unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        // Every connection a full handshake, so each one shows the certificate served now.
        config.resumption = rustls::client::Resumption::disabled();
        Https {
            addr,
            connector: TlsConnector::from(Arc::new(config)),
        }
    }

    pub async fn connect(&self) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        tokio::time::timeout(PATIENCE, self.connector.connect(name, tcp))
            .await
            .expect("handshake in time")
            .expect("handshake succeeds")
    }

    /// The certificate the server presented on a new connection.
    pub async fn served_cert(&self) -> CertificateDer<'static> {
        let tls = self.connect().await;
        tls.get_ref().1.peer_certificates().unwrap()[0].clone()
    }

    /// An HTTP/2 connection; the ALPN result must be `h2`.
    async fn h2(&self) -> http2::SendRequest<TestBody> {
        let tls = self.connect().await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (send, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
        tokio::spawn(conn);
        send
    }

    /// An HTTP/1.1 connection over TLS.
    async fn h1(&self) -> http1::SendRequest<TestBody> {
        let tls = self.connect().await;
        let (send, conn) = http1::handshake(TokioIo::new(tls)).await.unwrap();
        tokio::spawn(conn);
        send
    }
}

/// What came back: version, status, headers and the whole body.
struct Got {
    version: Version,
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn set_cookie(&self) -> String {
        self.headers
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

async fn collect(resp: http::Response<hyper::body::Incoming>) -> Got {
    let (parts, body) = resp.into_parts();
    let body = tokio::time::timeout(PATIENCE, body.collect())
        .await
        .expect("body in time")
        .unwrap()
        .to_bytes();
    Got {
        version: parts.version,
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn get(uri: &str, cookie: Option<&str>) -> Request<TestBody> {
    let mut b = Request::get(uri).header("accept", "text/html");
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    b.body(Empty::new().boxed()).unwrap()
}

/// The `name=value` part of a Set-Cookie header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

async fn tls_gateway(leaf: &Leaf, room_extra: &str) -> (support::Upstream, support::Gateway) {
    let up = support::upstream().await;
    let config = support::config_text(
        &tls_section(leaf, ""),
        &support::room("r", &up.url(), room_extra),
    );
    (up, support::gateway(&config).await)
}

#[tokio::test]
async fn http2_and_http11_over_tls_queue_admit_and_stream_like_plain_http() {
    let pki = Pki::new("tls-h2");
    let leaf = pki.leaf("site");
    let (up, gw) = tls_gateway(&leaf, "admit_per_minute = 1").await;
    let addr = gw.running.tls_addrs[0];
    let h2 = Https::new(addr, pki.ca_der(), &[b"h2", b"http/1.1"]);
    let h1 = Https::new(addr, pki.ca_der(), &[b"http/1.1"]);

    // The first visitor walks in over HTTP/2 and gets a Secure pass.
    let mut first = h2.h2().await;
    let uri = format!("https://localhost:{}/book", addr.port());
    let got = collect(first.send_request(get(&uri, None)).await.unwrap()).await;
    assert_eq!(got.version, Version::HTTP_2);
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.text(), "upstream:/book");
    let pass = got.set_cookie();
    assert!(pass.starts_with("wartesaal_r="), "{pass}");
    assert!(
        pass.contains("; Secure"),
        "a cookie over TLS is Secure: {pass}"
    );
    let seen = up.last("/book").unwrap();
    assert_eq!(seen.headers["x-forwarded-proto"], "https");
    assert_eq!(seen.headers["host"], format!("localhost:{}", addr.port()));

    // The next one waits, over HTTP/1.1 on TLS, with the waiting page and a Secure ticket.
    let mut second = h1.h1().await;
    let got = collect(second.send_request(get(&uri, None)).await.unwrap()).await;
    assert_eq!(got.version, Version::HTTP_11);
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.text().contains("<html"), "the waiting page");
    let ticket = got.set_cookie();
    assert!(ticket.contains("; Secure"), "{ticket}");
    // Its status over HTTP/2 shows its place.
    let status_uri = format!("https://localhost:{}/.wartesaal/status?room=r", addr.port());
    let got = collect(
        first
            .send_request(get(&status_uri, Some(&cookie_pair(&ticket))))
            .await
            .unwrap(),
    )
    .await;
    let status: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(status["position"], 1, "{status}");

    // Bodies stream both ways through HTTP/2: 1 MiB up in chunks, 8 MiB down.
    let pass = cookie_pair(&pass);
    let upload = Request::post(format!("https://localhost:{}/upload", addr.port()))
        .header("cookie", &pass)
        .body(support::Zeros { remaining: 1 << 20 }.boxed())
        .unwrap();
    let got = collect(first.send_request(upload).await.unwrap()).await;
    assert_eq!(got.text(), (1024 * 1024).to_string());
    let download = Request::get(format!(
        "https://localhost:{}/download?bytes={}",
        addr.port(),
        8 << 20
    ))
    .header("cookie", &pass)
    .body(Empty::new().boxed())
    .unwrap();
    let got = collect(first.send_request(download).await.unwrap()).await;
    assert_eq!(got.body.len(), 8 << 20);

    // HTTP/2 browsers send each cookie in its own header: the HTTP/1.1 upstream gets one.
    let split = Request::get(format!("https://localhost:{}/split", addr.port()))
        .header("cookie", "a=1")
        .header("cookie", &pass)
        .header("cookie", "b=2")
        .body(Empty::new().boxed())
        .unwrap();
    let got = collect(first.send_request(split).await.unwrap()).await;
    assert_eq!(got.text(), "upstream:/split");
    let seen = up.last("/split").unwrap();
    let cookies: Vec<_> = seen.headers.get_all("cookie").iter().collect();
    assert_eq!(cookies, ["a=1; b=2"], "joined, without the pass");
    gw.stop().await;
}

#[tokio::test]
async fn a_reload_serves_the_new_certificate_to_the_next_connection_and_keeps_open_ones() {
    let pki = Pki::new("tls-swap");
    let old = pki.leaf("old");
    let up = support::upstream().await;
    let rooms = support::room("r", &up.url(), "admit_per_minute = 600");
    let state = support::temp_dir("tls-swap-state");
    let text = |leaf: &Leaf| support::config_in(&state, &tls_section(leaf, ""), &rooms);
    let mut gw = support::gateway(&text(&old)).await;
    let addr = gw.running.tls_addrs[0];
    let client = Https::new(addr, pki.ca_der(), &[b"h2"]);
    assert_eq!(client.served_cert().await, old.der);
    let mut open = client.h2().await;
    let uri = format!("https://localhost:{}/a", addr.port());
    assert_eq!(
        collect(open.send_request(get(&uri, None)).await.unwrap())
            .await
            .status,
        StatusCode::OK
    );

    let new = pki.leaf("new");
    let restart = gw.running.reload(load(&text(&new)).unwrap()).unwrap();
    assert!(
        restart.is_empty(),
        "a new certificate needs no restart: {restart:?}"
    );
    assert_eq!(client.served_cert().await, new.der, "the next handshake");
    let got = collect(open.send_request(get(&uri, None)).await.unwrap()).await;
    assert_eq!(got.status, StatusCode::OK, "the open connection goes on");

    // A pair that does not match is refused at load, before it could reach `reload` (the
    // process test sends one by SIGHUP).
    let broken = Leaf {
        cert: old.cert.clone(),
        key: new.key.clone(),
        der: old.der.clone(),
    };
    assert!(load(&text(&broken)).is_err());
    assert_eq!(client.served_cert().await, new.der);
    gw.stop().await;
}

#[test]
fn unusable_certificates_and_keys_are_config_errors_naming_the_key() {
    let pki = Pki::new("tls-bad");
    let a = pki.leaf("a");
    let b = pki.leaf("b");
    let rooms = support::room("r", "http://127.0.0.1:1", "");
    let problems = |cert: &Path, key: &Path| -> String {
        let tls = format!(
            "[server.tls]\nlisten = \"127.0.0.1:0\"\ncert = \"{}\"\nkey = \"{}\"\n",
            cert.display(),
            key.display()
        );
        match load(&support::config_text(&tls, &rooms)) {
            Ok(_) => panic!("{} with {} was accepted", cert.display(), key.display()),
            Err(e) => e
                .problems()
                .iter()
                .map(|p| format!("{}: {} ({})", p.key, p.message, p.hint))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    };

    let mismatch = problems(&a.cert, &b.key);
    assert!(
        mismatch.starts_with("server.tls.key: the key in")
            && mismatch.contains("does not belong to the certificate"),
        "{mismatch}"
    );
    let missing = problems(&pki.dir.join("nope.pem"), &a.key);
    assert!(
        missing.starts_with("server.tls.cert: cannot read certificates from")
            && missing.contains("nope.pem"),
        "{missing}"
    );
    let key_as_cert = problems(&a.key, &a.key);
    assert!(key_as_cert.starts_with("server.tls.cert:"), "{key_as_cert}");
    let cert_as_key = problems(&a.cert, &a.cert);
    assert!(
        cert_as_key.starts_with("server.tls.key: cannot read a private key"),
        "{cert_as_key}"
    );

    // Both files are required, and the HTTPS port cannot be the plain one.
    let err = load(&support::config_text(
        "[server.tls]\nlisten = \"127.0.0.1:8080\"\n",
        &rooms,
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("server.tls.cert") && err.contains("server.tls.key"),
        "{err}"
    );
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:8080\"\n[server.tls]\nlisten = \"127.0.0.1:8080\"\n\
         cert = \"{}\"\nkey = \"{}\"\n{rooms}",
        a.cert.display(),
        a.key.display()
    );
    let err = load(&text).unwrap_err().to_string();
    assert!(
        err.contains("server.tls.listen[0]") && err.contains("server.listen"),
        "{err}"
    );
}

/// An upstream that speaks HTTPS with a certificate from `pki`, answering
/// `tls-upstream:<path>`.
async fn tls_upstream(leaf: &Leaf) -> SocketAddr {
    let certs = wartesaal::tls::load_certified(&leaf.cert, &leaf.key).unwrap();
    let store = wartesaal::tls::CertStore::new(certs);
    let acceptor = TlsAcceptor::from(wartesaal::tls::server_config(store).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let body = format!("tls-upstream:{}", req.uri().path());
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from(
                        body,
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn an_https_upstream_is_verified_against_the_private_ca_or_the_system_roots() {
    let pki = Pki::new("tls-up");
    let up = tls_upstream(&pki.leaf("upstream")).await;
    let url = format!("https://localhost:{}", up.port());
    let mut rooms = vec![support::room(
        "private",
        &url,
        &format!(
            "admit_per_minute = 600\npath_prefix = \"/private/\"\nupstream_ca_file = \"{}\"",
            pki.ca_file().display()
        ),
    )];
    // The test CA is in no system store: this upstream cannot be trusted. (A machine without
    // any system roots refuses such a room at load, as the config test shows.)
    let system_roots = !wartesaal::tls::system_roots().is_empty();
    if system_roots {
        rooms.push(support::room(
            "system",
            &url,
            "admit_per_minute = 600\npath_prefix = \"/system/\"",
        ));
    }
    let gw = support::gateway_with_rooms(&rooms).await;
    let mut v = gw.visitor();
    let a = v.get("/private/book").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, "tls-upstream:/private/book");
    if system_roots {
        // Refused as untrusted: the visitor sees the busy page, the metrics an upstream error.
        let a = v.get("/system/book").await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.body);
        let errors = r#"wartesaal_upstream_responses_total{class="error",room="system"}"#;
        assert_eq!(gw.metric(errors).await, 1.0);
    }
    let fine = r#"wartesaal_upstream_responses_total{class="2xx",room="private"}"#;
    assert_eq!(gw.metric(fine).await, 1.0);
    gw.stop().await;

    // The CA file must be readable PEM, and only for an https:// upstream.
    let err = load(&support::config_text(
        "",
        &support::room(
            "r",
            &url,
            "admit_per_minute = 1\nupstream_ca_file = \"/nonexistent/ca.pem\"",
        ),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("rooms[0].upstream_ca_file") && err.contains("/nonexistent/ca.pem"),
        "{err}"
    );
    let err = load(&support::config_text(
        "",
        &support::room(
            "r",
            "http://127.0.0.1:1",
            &format!(
                "admit_per_minute = 1\nupstream_ca_file = \"{}\"",
                pki.ca_file().display()
            ),
        ),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("only applies to an https:// upstream"),
        "{err}"
    );
}

#[tokio::test]
async fn http2_limits_streams_and_header_size_and_tls_handshakes_are_timed() {
    let pki = Pki::new("tls-limits");
    let leaf = pki.leaf("site");
    let up = support::upstream().await;
    let config = support::config_text(
        &format!(
            "header_read_timeout = \"1s\"\n{}",
            tls_section(&leaf, "handshake_timeout = \"300ms\"")
        ),
        &support::room("r", &up.url(), "admit_per_minute = 600"),
    );
    let gw = support::gateway(&config).await;
    let addr = gw.running.tls_addrs[0];
    let client = Https::new(addr, pki.ca_der(), &[b"h2"]);

    // The raw HTTP/2 settings the gateway announces.
    let (mut send, mut conn) = h2::client::handshake(client.connect().await).await.unwrap();
    let req = Request::get(format!("https://localhost:{}/", addr.port()))
        .body(())
        .unwrap();
    let (resp, _) = send.send_request(req, true).unwrap();
    let resp = tokio::select! {
        r = resp => r.unwrap(),
        _ = &mut conn => panic!("connection ended"),
    };
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(conn.max_concurrent_send_streams(), 100);

    // A head of 60 KiB passes (hyper's default list is 16 KiB); above 64 KiB it is refused,
    // and the connection stays usable.
    let uri = format!("https://localhost:{}/", addr.port());
    let with_header = |size: usize| {
        Request::get(uri.as_str())
            .header("x-big", "x".repeat(size))
            .body(())
            .unwrap()
    };
    let mut status_of = async |req: Request<()>| match send.send_request(req, true) {
        Ok((resp, _)) => tokio::select! {
            r = resp => r.map(|r| r.status()).map_err(|e| e.to_string()),
            _ = &mut conn => Err("connection ended".to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    assert_eq!(status_of(with_header(60 * 1024)).await, Ok(StatusCode::OK));
    let refused = status_of(with_header(70 * 1024)).await;
    assert!(
        matches!(refused, Ok(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE))
            || refused
                .as_ref()
                .is_err_and(|e| !e.contains("connection ended")),
        "{refused:?}"
    );
    assert_eq!(status_of(with_header(10)).await, Ok(StatusCode::OK));
    // More than 100 headers: refused like over HTTP/1.1.
    let mut many = Request::get(uri.as_str());
    for i in 0..120 {
        many = many.header(format!("x-h{i}"), "1");
    }
    assert_eq!(
        status_of(many.body(()).unwrap()).await,
        Ok(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
    );

    // A connection that never starts its handshake is closed.
    // (The bound lies below the 10 s default: the configured 300 ms are what closes it.)
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
        .await
        .expect("the gateway closes a silent connection");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");

    // An HTTP/2 connection that never asks for anything is closed after header_read_timeout
    // (1 s here), so idle clients cannot hold every connection slot.
    // (It reads the gateway's SETTINGS and then nothing until the close.)
    let mut idle = client.connect().await;
    let closed = async {
        loop {
            match idle.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(8), closed)
        .await
        .expect("the gateway closes an idle HTTP/2 connection");
    gw.stop().await;
}

#[tokio::test]
async fn an_http2_client_with_a_window_of_zero_holds_no_upstream_slot_for_long() {
    let pki = Pki::new("tls-window0");
    let leaf = pki.leaf("site");
    let (_up, gw) = tls_gateway(
        &leaf,
        "admit_per_minute = 600\nbypass_paths = [\"/download\"]\nbody_idle_timeout = \"1s\"\n\
         max_upstream_concurrency = 4",
    )
    .await;
    let addr = gw.running.tls_addrs[0];
    let client = Https::new(addr, pki.ca_der(), &[b"h2"]);
    // Twenty streams on one connection that never lets the server send a byte of a body.
    let (mut send, conn) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake::<_, Bytes>(client.connect().await)
        .await
        .unwrap();
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut answers = Vec::new();
    for _ in 0..20 {
        let req = Request::get(format!(
            "https://localhost:{}/download?bytes=20000000",
            addr.port()
        ))
        .body(())
        .unwrap();
        send = send.ready().await.unwrap();
        let (resp, _) = send.send_request(req, true).unwrap();
        answers.push(resp);
    }
    // An admitted visitor (plain HTTP here) still gets the booking site, every time.
    let mut visitor = gw.visitor();
    for round in 0..5 {
        let page = tokio::time::timeout(Duration::from_secs(2), visitor.get("/termine"))
            .await
            .unwrap_or_else(|_| panic!("round {round}: no answer within 2 s"));
        assert_eq!(page.body, "upstream:/termine", "round {round}");
    }
    // The stalled answers are given up and their slots freed.
    support::eventually("the window-0 answers are given up", || async {
        gw.metric("wartesaal_protections_total{reason=\"response_idle\",room=\"r\"}")
            .await
            >= 1.0
            && gw.metric("wartesaal_upstream_in_flight{room=\"r\"}").await == 0.0
    })
    .await;
    drop(answers);
    driver.abort();
    gw.stop().await;
}

#[tokio::test]
async fn sni_chooses_among_the_configured_certificates_and_check_tells_them() {
    let pki = Pki::new("sni");
    let termine = pki.leaf_for("termine", &["termine.example.de"]);
    let impfung = pki.leaf_for("impfung", &["impfung.example.de", "*.impfung.example.de"]);
    let up = support::upstream().await;
    let tls = format!(
        "{}[[server.tls.certificates]]\ncert = \"{}\"\nkey = \"{}\"\n",
        tls_section(&termine, ""),
        impfung.cert.display(),
        impfung.key.display()
    );
    let text = support::config_text(
        &tls,
        &support::room("r", &up.url(), "admit_per_minute = 600"),
    );
    let gw = support::gateway(&text).await;
    let addr = gw.running.tls_addrs[0];
    for (name, wanted) in [
        ("termine.example.de", &termine.der),
        ("impfung.example.de", &impfung.der),
        ("b.impfung.example.de", &impfung.der),
        // A name no certificate covers gets the first.
        ("unknown.example.de", &termine.der),
    ] {
        let served = support::served_for(addr, name).await;
        assert_eq!(served.as_ref(), Some(wanted), "{name}");
    }
    let expiry = gw
        .metric("wartesaal_certificate_expiry_timestamp_seconds{domain=\"*.impfung.example.de\"}")
        .await;
    assert!(expiry > 1.9e9, "{expiry}");
    gw.stop().await;

    // `wartesaal check` names what each covers and when it expires.
    let file = support::temp_dir("sni-check").with_extension("toml");
    let keys = support::temp_dir("sni-key").with_extension("key");
    std::fs::write(&keys, Secret::from_bytes(support::SECRET).to_base64()).unwrap();
    std::fs::write(
        &file,
        text.replace(
            "[[rooms]]",
            &format!("[keys]\nfiles = [\"{}\"]\n\n[[rooms]]", keys.display()),
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wartesaal"))
        .arg("check")
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("termine.pem (also for names none covers): covers termine.example.de, expires 4096-01-01 00:00 UTC"), "{stdout}");
    assert!(
        stdout.contains("impfung.pem: covers impfung.example.de, *.impfung.example.de, expires"),
        "{stdout}"
    );
}
