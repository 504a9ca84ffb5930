//! TLS on both sides, with rustls: owns the certificates the public TLS listener serves (read,
//! checked, chosen by the name asked for (SNI), and swapped on reload or renewal without
//! touching open connections), the answer to an ACME CA's TLS-ALPN-01 validation, the server
//! settings (TLS 1.2 and 1.3, ALPN `h2` and `http/1.1`) and the trust roots for HTTPS
//! upstreams. Must not accept connections or speak HTTP: that is the server's; nor order
//! certificates: that is `acme`'s.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub mod x509;

use x509::CertFacts;

/// The ALPN names offered to visitors, best first; the last is only for an ACME CA's
/// TLS-ALPN-01 validation, which gets the challenge certificate and nothing else.
const ALPN: [&[u8]; 3] = [b"h2", b"http/1.1", ACME_TLS_ALPN];
/// RFC 8737.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

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
    paired(certs, signing).ok_or_else(|| CertError::Mismatch {
        cert: cert.display().to_string(),
        key: key.display().to_string(),
    })
}

/// The chain and key as one, if the key belongs to the leaf (or that cannot be told).
fn paired(
    certs: Vec<CertificateDer<'static>>,
    signing: Arc<dyn rustls::sign::SigningKey>,
) -> Option<Arc<CertifiedKey>> {
    let certified = CertifiedKey::new(certs, signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Some(Arc::new(certified))
        }
        Err(_) => None,
    }
}

/// Why a PEM text of a chain and its key (an ACME certificate as kept) is unusable.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    #[error("not valid PEM ({0})")]
    Pem(rustls_pki_types::pem::Error),
    #[error("no certificate in it")]
    NoCertificate,
    #[error("no private key in it ({0})")]
    NoKey(rustls_pki_types::pem::Error),
    #[error("unusable key ({0})")]
    UnusableKey(rustls::Error),
    #[error("the key does not belong to the certificate")]
    Mismatch,
}

/// A certificate chain (leaf first) and its private key from one PEM text (how an ACME
/// certificate is kept), checked like `load_certified`.
pub fn certified_from_pem(pem: &[u8]) -> Result<Arc<CertifiedKey>, PairError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(PairError::Pem)?;
    if certs.is_empty() {
        return Err(PairError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(pem).map_err(PairError::NoKey)?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(PairError::UnusableKey)?;
    paired(certs, signing).ok_or(PairError::Mismatch)
}

/// A TLS-ALPN-01 answer: a self-signed certificate and its key, unchecked as a pair (its
/// critical acmeIdentifier extension is one the pair check cannot read; the CA checks it).
pub fn challenge_answer(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<CertifiedKey>, rustls::Error> {
    let signing = provider().key_provider.load_private_key(key)?;
    Ok(Arc::new(CertifiedKey::new(vec![cert], signing)))
}

/// Every certificate in a PEM file; an empty file is an error, not an empty trust list.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let certs = CertificateDer::pem_file_iter(path)?.collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(PemError::NoCertificate);
    }
    Ok(certs)
}

/// One certificate served, with what it says of itself.
#[derive(Debug, Clone)]
pub struct Served {
    pub certified: Arc<CertifiedKey>,
    /// Names and validity; default (no names) when the certificate could not be read, which
    /// leaves it served only to names nothing else covers.
    pub facts: CertFacts,
}

impl Served {
    pub fn new(certified: Arc<CertifiedKey>) -> Served {
        let facts = certified
            .cert
            .first()
            .and_then(x509::facts)
            .unwrap_or_default();
        Served { certified, facts }
    }
}

/// The certificates being served, chosen by the name the visitor asked for (SNI): the
/// operator's files in the order configured, then the ACME ones by domain. A name none covers
/// (or no name) gets the first. Each part is swapped on its own: a reload replaces the files,
/// a renewal one ACME certificate; the next handshake gets the new one, open connections keep
/// theirs.
#[derive(Debug, Default)]
pub struct CertStore {
    files: ArcSwap<Vec<Served>>,
    acme: ArcSwap<Vec<(String, Served)>>,
    /// TLS-ALPN-01 answers by domain: a self-signed certificate only a CA's validation asks
    /// for (ALPN `acme-tls/1`).
    challenges: ArcSwap<Vec<(String, Arc<CertifiedKey>)>>,
}

impl CertStore {
    /// A store serving one certificate.
    pub fn new(certified: Arc<CertifiedKey>) -> Arc<CertStore> {
        Self::of_files(vec![Served::new(certified)])
    }

    pub fn of_files(files: Vec<Served>) -> Arc<CertStore> {
        let store = CertStore::default();
        store.files.store(Arc::new(files));
        Arc::new(store)
    }

    /// Replaces the operator's certificates (a reload).
    pub fn replace(&self, files: Vec<Served>) {
        self.files.store(Arc::new(files));
    }

    /// Serves `served` for `domain` from the next handshake on.
    pub fn put_acme(&self, domain: &str, served: Served) {
        self.acme.rcu(|now| {
            let mut next: Vec<_> = now.iter().filter(|(d, _)| d != domain).cloned().collect();
            next.push((domain.to_string(), served.clone()));
            next
        });
    }

    /// The ACME certificate served for `domain`, if any.
    pub fn acme(&self, domain: &str) -> Option<Served> {
        let all = self.acme.load();
        all.iter()
            .find(|(d, _)| d == domain)
            .map(|(_, s)| s.clone())
    }

    /// Answers TLS-ALPN-01 validation for `domain` with `answer` (`None` stops answering).
    pub fn set_challenge(&self, domain: &str, answer: Option<Arc<CertifiedKey>>) {
        self.challenges.rcu(|now| {
            let mut next: Vec<_> = now.iter().filter(|(d, _)| d != domain).cloned().collect();
            if let Some(answer) = &answer {
                next.push((domain.to_string(), answer.clone()));
            }
            next
        });
    }

    /// Whether this gateway answers TLS-ALPN-01 validation for `domain` itself.
    pub fn has_challenge(&self, domain: &str) -> bool {
        self.challenges.load().iter().any(|(d, _)| d == domain)
    }

    /// The certificate for `name` (lower-case), or the first one.
    pub fn choose(&self, name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        let (files, acme) = (self.files.load(), self.acme.load());
        let all = || files.iter().chain(acme.iter().map(|(_, s)| s));
        let covering = name
            .and_then(|name| all().find(|s| s.facts.names.iter().any(|p| x509::covers(p, name))));
        covering
            .or_else(|| all().next())
            .map(|s| s.certified.clone())
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().map(str::to_ascii_lowercase);
        let validation = hello
            .alpn()
            .is_some_and(|mut offered| offered.any(|p| p == ACME_TLS_ALPN));
        if validation {
            let answers = self.challenges.load();
            let name = name?;
            return answers
                .iter()
                .find(|(d, _)| *d == name)
                .map(|(_, c)| c.clone());
        }
        self.choose(name.as_deref())
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
