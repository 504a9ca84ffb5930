//! TLS on both sides, with rustls: owns the certificate the public TLS listener serves (read,
//! checked, and swapped on reload without touching open connections), the server settings
//! (TLS 1.2 and 1.3, ALPN `h2` and `http/1.1`) and the trust roots for HTTPS upstreams. Must
//! not accept connections or speak HTTP: that is the server's.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The ALPN names offered to visitors, best first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Why a certificate or key could not be used; each names the file the operator must fix.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("cannot read certificates from {path}: {reason}")]
    Cert { path: String, reason: PemError },
    #[error("cannot read a private key from {path}: {reason}")]
    Key { path: String, reason: PemError },
    #[error("cannot read a private key from {path}: unusable key ({reason})")]
    UnusableKey { path: String, reason: rustls::Error },
    #[error("the key in {key} does not belong to the certificate in {cert}")]
    Mismatch { cert: String, key: String },
}

/// Why a PEM file gives no certificates.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    /// The file cannot be opened or read.
    #[error("{0}")]
    Read(std::io::Error),
    #[error("no PEM item of the right kind in it")]
    NoItems,
    #[error("not valid PEM ({0})")]
    Invalid(rustls_pki_types::pem::Error),
    /// PEM, but no certificate in it: an empty trust list would trust nothing.
    #[error("no PEM certificate (-----BEGIN CERTIFICATE-----) in it")]
    NoCertificate,
}

impl From<rustls_pki_types::pem::Error> for PemError {
    fn from(e: rustls_pki_types::pem::Error) -> PemError {
        match e {
            rustls_pki_types::pem::Error::Io(e) => PemError::Read(e),
            rustls_pki_types::pem::Error::NoItemsFound => PemError::NoItems,
            other => PemError::Invalid(other),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// Reads a PEM certificate chain (leaf first) and its private key, and checks they belong
/// together, so a wrong pair is refused at start or reload instead of failing every handshake.
pub fn load_certified(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, CertError> {
    let certs = read_certs(cert).map_err(|reason| CertError::Cert {
        path: cert.display().to_string(),
        reason,
    })?;
    let der = PrivateKeyDer::from_pem_file(key).map_err(|e| CertError::Key {
        path: key.display().to_string(),
        reason: e.into(),
    })?;
    let signing = provider()
        .key_provider
        .load_private_key(der)
        .map_err(|reason| CertError::UnusableKey {
            path: key.display().to_string(),
            reason,
        })?;
    let certified = CertifiedKey::new(certs, signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Arc::new(certified))
        }
        Err(_) => Err(CertError::Mismatch {
            cert: cert.display().to_string(),
            key: key.display().to_string(),
        }),
    }
}

/// Every certificate in a PEM file; an empty file is an error, not an empty trust list.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let certs = CertificateDer::pem_file_iter(path)?.collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(PemError::NoCertificate);
    }
    Ok(certs)
}

/// The certificate being served. A reload swaps it: the next handshake gets the new one,
/// connections already open keep theirs.
#[derive(Debug)]
pub struct CertStore {
    current: ArcSwap<CertifiedKey>,
}

impl CertStore {
    pub fn new(certified: Arc<CertifiedKey>) -> Arc<CertStore> {
        Arc::new(CertStore {
            current: ArcSwap::new(certified),
        })
    }

    pub fn replace(&self, certified: Arc<CertifiedKey>) {
        self.current.store(certified);
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// Server settings for visitors: TLS 1.3 and 1.2 with rustls' AEAD-only suites, `h2` preferred
/// over `http/1.1`, stateless resumption tickets so returning pollers skip the full handshake.
pub fn server_config(certs: Arc<CertStore>) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(certs);
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    config.ticketer = rustls::crypto::ring::Ticketer::new()?;
    Ok(Arc::new(config))
}

/// The operating system's trusted roots, read once. Unreadable entries are skipped; an empty
/// list means HTTPS upstreams cannot be verified without `upstream_ca_file`.
pub fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!(error = %e, "a system root certificate could not be read");
        }
        found.certs
    })
}

/// Client settings for HTTPS upstreams: verified against `roots` (the system's, or the
/// operator's private CA), TLS 1.2 and 1.3.
pub fn client_config(roots: &[CertificateDer<'static>]) -> Result<ClientConfig, rustls::Error> {
    let mut store = RootCertStore::empty();
    let (_added, _ignored) = store.add_parsable_certificates(roots.iter().cloned());
    Ok(ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_root_certificates(store)
        .with_no_client_auth())
}
