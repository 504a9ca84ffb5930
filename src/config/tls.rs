//! The `[server.tls]` section: the HTTPS listeners, the operator's certificate files (`cert`
//! and `key`, `[[server.tls.certificates]]`) and `[server.tls.acme]`. Must not reach a CA or
//! write a file: ordering is `acme`'s.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use rustls_pki_types::ServerName;

use crate::tls;

use super::room::ca_roots;
use super::sections::listen_list;
use super::walk::Section;
use super::{AcmeChallenge, AcmeConfig, CertFile, Problem, TlsConfig};

/// Let's Encrypt's production directory, the CA most operators mean.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

pub(super) fn tls_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<TlsConfig> {
    let before = p.len();
    let mut s = Section::new("server.tls", t);
    let listen = listen_list(&mut s, SocketAddr::from(([127, 0, 0, 1], 8443)), p);
    let handshake_timeout = s
        .duration("handshake_timeout", p)
        .unwrap_or(Duration::from_secs(10));
    if handshake_timeout.is_zero() {
        p.push(s.problem("handshake_timeout", "must be above zero", "try \"10s\""));
    }
    let mut certificates = Vec::new();
    let (cert, key) = (s.string("cert", p), s.string("key", p));
    if cert.is_some() || key.is_some() {
        certificates.extend(cert_pair(&s, cert, key, p));
    }
    if let Some(list) = s.get("certificates") {
        certificates.extend(cert_list(&s, list, p));
    }
    let acme = s.table("acme", p).and_then(|t| acme_section(t, p));
    if certificates.is_empty() && acme.is_none() && p.len() == before {
        let hint = "the PEM files of the site's certificate chain (leaf first) and its private \
                    key, e.g. cert = \"/etc/wartesaal/fullchain.pem\", key = \
                    \"/etc/wartesaal/key.pem\"; or [server.tls.acme] to have them ordered";
        p.push(s.problem("cert", "missing", hint));
        p.push(s.problem("key", "missing", hint));
    }
    s.finish(p);
    (p.len() == before).then_some(TlsConfig {
        listen,
        handshake_timeout,
        certificates,
        acme,
    })
}

/// Each `[[server.tls.certificates]]`.
fn cert_list(s: &Section, list: &toml::Value, p: &mut Vec<Problem>) -> Vec<CertFile> {
    let toml::Value::Array(items) = list else {
        s.wrong_type(
            "certificates",
            "[[server.tls.certificates]] tables",
            list,
            p,
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("server.tls.certificates[{i}]");
        let toml::Value::Table(t) = item else {
            p.push(Problem {
                key: path,
                message: format!("expected a table, found {}", item.type_str()),
                hint: "write [[server.tls.certificates]] with cert = ... and key = ...".into(),
            });
            continue;
        };
        let mut one = Section::new(path, t);
        let (cert, key) = (one.string("cert", p), one.string("key", p));
        out.extend(cert_pair(&one, cert, key, p));
        one.finish(p);
    }
    out
}

/// A `cert` and `key` of section `s`, read and checked.
fn cert_pair(
    s: &Section,
    cert: Option<&str>,
    key: Option<&str>,
    p: &mut Vec<Problem>,
) -> Option<CertFile> {
    let hint = "the PEM files of the site's certificate chain (leaf first) and its private key, \
                e.g. cert = \"/etc/wartesaal/fullchain.pem\", key = \"/etc/wartesaal/key.pem\"";
    for (name, value) in [("cert", cert), ("key", key)] {
        if value.is_none_or(str::is_empty) {
            p.push(s.problem(name, "missing", hint));
        }
    }
    let (cert, key) = cert
        .zip(key)
        .filter(|(c, k)| !c.is_empty() && !k.is_empty())?;
    let (cert, key) = (PathBuf::from(cert), PathBuf::from(key));
    match tls::load_certified(&cert, &key) {
        Ok(certified) => Some(CertFile {
            cert,
            key,
            certified,
        }),
        Err(e) => {
            let (name, fix) = match &e {
                tls::CertError::Cert { .. } => (
                    "cert",
                    "give the PEM certificate chain, readable by the gateway's user",
                ),
                tls::CertError::Key { .. } | tls::CertError::UnusableKey { .. } => (
                    "key",
                    "give the PEM private key (PKCS#8, PKCS#1 or SEC1), readable by the \
                     gateway's user",
                ),
                tls::CertError::Mismatch { .. } => (
                    "key",
                    "cert and key must be one pair: check both point at the same site's files",
                ),
            };
            p.push(s.problem(name, e.to_string(), fix));
            None
        }
    }
}

fn acme_section(t: &toml::Table, p: &mut Vec<Problem>) -> Option<AcmeConfig> {
    let before = p.len();
    let mut s = Section::new("server.tls.acme", t);
    let domains = s.strings("domains", p).unwrap_or_default();
    if domains.is_empty() {
        p.push(s.problem(
            "domains",
            "no domain given",
            "the names visitors use, e.g. domains = [\"termine.example.de\"]",
        ));
    }
    let mut names: Vec<String> = Vec::new();
    for (i, d) in domains.iter().enumerate() {
        match domain(d) {
            Ok(name) if names.contains(&name) => p.push(s.problem(
                &format!("domains[{i}]"),
                format!("{d} is listed twice"),
                "list each name once",
            )),
            Ok(name) => names.push(name),
            Err(why) => p.push(s.problem(&format!("domains[{i}]"), why.to_string(), DOMAIN_HINT)),
        }
    }
    let contact = match s.get("contact") {
        None => Vec::new(),
        Some(toml::Value::String(c)) => vec![c.clone()],
        Some(_) => s
            .strings("contact", p)
            .unwrap_or_default()
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    for c in &contact {
        if !c.starts_with("mailto:") || c.len() <= "mailto:".len() {
            p.push(s.problem(
                "contact",
                format!("{c:?} is not a mailto: address"),
                "write it like \"mailto:it@example.de\"",
            ));
        }
    }
    let directory = s.string("directory", p).unwrap_or(LETS_ENCRYPT).to_string();
    if !directory.starts_with("https://") || directory.parse::<http::Uri>().is_err() {
        p.push(s.problem(
            "directory",
            format!("{directory:?} is not an https:// URL"),
            format!("the CA's ACME directory, e.g. \"{LETS_ENCRYPT}\""),
        ));
    }
    let ca = match s.string("ca_file", p) {
        None | Some("") => None,
        Some(file) => ca_roots(
            &s,
            "ca_file",
            file,
            "a PEM file with the CA certificate the ACME directory's certificate is signed \
             by; leave it out for a public CA",
            p,
        ),
    };
    let challenge = match s.string("challenge", p) {
        None | Some("http-01") => AcmeChallenge::Http01,
        Some("tls-alpn-01") => AcmeChallenge::TlsAlpn01,
        Some(other) => {
            p.push(s.problem(
                "challenge",
                format!("`{other}` is not a challenge the gateway answers"),
                "\"http-01\" (the plain listener must be reachable on port 80) or \
                 \"tls-alpn-01\" (the HTTPS listener on port 443)",
            ));
            AcmeChallenge::Http01
        }
    };
    s.finish(p);
    (p.len() == before).then_some(AcmeConfig {
        domains: names,
        contact,
        directory,
        ca,
        challenge,
    })
}

const DOMAIN_HINT: &str = "a DNS name that points at this gateway, e.g. \"termine.example.de\"";

/// Why a name cannot be ordered with the challenges the gateway answers.
#[derive(Debug, thiserror::Error)]
enum DomainError {
    #[error("{0}: a wildcard needs the DNS-01 challenge, which the gateway does not answer")]
    Wildcard(String),
    #[error("{0} is an address, not a name")]
    Address(String),
    #[error("{0:?} is not a DNS name")]
    NotDns(String),
}

/// A domain a certificate can be ordered for with the challenges the gateway answers:
/// a DNS name, not an address, not a wildcard (those need DNS-01).
fn domain(d: &str) -> Result<String, DomainError> {
    if d.starts_with("*.") {
        return Err(DomainError::Wildcard(d.into()));
    }
    match ServerName::try_from(d) {
        Ok(ServerName::DnsName(name)) if d.contains('.') || d == "localhost" => {
            Ok(name.to_lowercase_owned().as_ref().to_string())
        }
        Ok(_) => Err(DomainError::Address(d.into())),
        Err(_) => Err(DomainError::NotDns(d.into())),
    }
}
