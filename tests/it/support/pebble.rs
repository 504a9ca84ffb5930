//! Debian's `pebble`, a small ACME CA, and `pebble-challtestsrv` as its DNS (every name is
//! 127.0.0.1), started on free loopback ports with a localhost certificate of the test's own;
//! and a TLS client that shows which certificate a gateway serves for a name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{free_port, temp_dir};

/// A pebble and its DNS. Both are killed when dropped.
pub struct Pebble {
    pebble: Child,
    dns: Child,
    /// `https://127.0.0.1:<port>/dir`.
    pub directory: String,
    /// The CA of pebble's own HTTPS certificate, for `ca_file`.
    pub ca_file: PathBuf,
    dns_admin: u16,
}

impl Pebble {
    /// A pebble that validates HTTP-01 on `http_port` and TLS-ALPN-01 on `tls_port` (the
    /// gateway's listeners). `None` when pebble is not installed and `CI` is unset; under CI
    /// a missing pebble fails the test.
    pub fn start(http_port: u16, tls_port: u16) -> Option<Pebble> {
        let found = Command::new("pebble").arg("-h").output().is_ok();
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "the ACME tests need pebble: apt-get install pebble"
            );
            eprintln!("skipped: no pebble on PATH (apt-get install pebble)");
            return None;
        }
        let dir = temp_dir("pebble");
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        let (port, admin, dns_port, dns_admin) =
            (free_port(), free_port(), free_port(), free_port());
        let config = serde_json::json!({ "pebble": {
            "listenAddress": format!("127.0.0.1:{port}"),
            "managementListenAddress": format!("127.0.0.1:{admin}"),
            "certificate": dir.join("cert.pem"),
            "privateKey": dir.join("key.pem"),
            "httpPort": http_port,
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }});
        std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
        let dns = Command::new("pebble-challtestsrv")
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{dns_admin}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let log = std::fs::File::create(dir.join("pebble.log")).unwrap();
        let pebble = Command::new("pebble")
            .arg("-config")
            .arg(dir.join("pebble.json"))
            .args(["-dnsserver", &format!("127.0.0.1:{dns_port}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let pebble = Pebble {
            pebble,
            dns,
            directory: format!("https://127.0.0.1:{port}/dir"),
            ca_file,
            dns_admin,
        };
        wait_listening(port);
        wait_listening(dns_admin);
        Some(pebble)
    }

    /// `[server.tls.acme]` for `domains` against this pebble.
    pub fn acme_section(&self, domains: &[&str], challenge: &str) -> String {
        format!(
            "[server.tls.acme]\ndomains = {domains:?}\ncontact = \"mailto:it@example.de\"\n\
             directory = \"{}\"\nca_file = \"{}\"\nchallenge = \"{challenge}\"\n",
            self.directory,
            self.ca_file.display()
        )
    }

    /// Makes `domain` point at 127.0.0.2, where nothing listens: the CA cannot validate it
    /// and refuses the order.
    pub fn misdirect(&self, domain: &str) {
        let body = format!("{{\"host\":\"{domain}.\",\"addresses\":[\"127.0.0.2\"]}}");
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.dns_admin)).unwrap();
        let request = format!(
            "POST /add-a HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = conn.read_to_string(&mut answer);
        assert!(
            answer.contains(" 200 OK"),
            "challtestsrv took the record: {answer}"
        );
    }

    /// Stops the CA (the DNS goes with it).
    pub fn stop(self) {}
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in [&mut self.pebble, &mut self.dns] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_listening(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("nothing listens on {port}");
}

/// The leaf certificate a TLS listener serves for `name` (SNI), whoever signed it; `None` if
/// the handshake fails.
pub async fn served_for(addr: SocketAddr, name: &str) -> Option<CertificateDer<'static>> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(AnyCert))
    .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.ok()?;
    let name = ServerName::try_from(name.to_string()).unwrap();
    let connect = TlsConnector::from(Arc::new(config)).connect(name, tcp);
    let tls = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .ok()?
        .ok()?;
    Some(tls.get_ref().1.peer_certificates()?[0].clone())
}

/// Takes any certificate: the test looks at which one is served, not whether it is trusted.
#[derive(Debug)]
struct AnyCert;

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signed: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_tls12_signature(message, cert, signed)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
