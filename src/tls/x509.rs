//! What a certificate says about itself that the gateway needs: the names it covers and when
//! it is valid, read from its DER. Must not judge trust: rustls and the visitor's browser do.
//!
//! A small reader of the few fields wanted (validity and the subjectAltName extension) instead
//! of a full X.509 parser: the certificates read here are the operator's own or the ones an
//! ACME CA just issued, and a field it cannot read only leaves that fact unknown.

use rustls_pki_types::CertificateDer;

/// The names and validity of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertFacts {
    /// DNS names of the subjectAltName extension, lower-case (wildcards as `*.example.org`).
    pub names: Vec<String>,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
}

impl CertFacts {
    /// The moment to renew: two thirds into the certificate's life, as Let's Encrypt advises,
    /// which leaves a third of it (a month of a 90-day certificate) for retries.
    pub fn renew_at(&self) -> i64 {
        self.not_before + (self.not_after - self.not_before) * 2 / 3
    }
}

/// Reads a certificate's names and validity; `None` when its DER is not a certificate.
pub fn facts(cert: &CertificateDer<'_>) -> Option<CertFacts> {
    let (_, cert, _) = tlv(cert.as_ref(), SEQUENCE)?;
    let (_, mut tbs, _) = tlv(cert, SEQUENCE)?;
    if tbs.first() == Some(&EXPLICIT_0) {
        tbs = tlv(tbs, EXPLICIT_0)?.2;
    }
    let rest = skip(tbs, 3)?; // serialNumber, signature, issuer
    let (_, validity, rest) = tlv(rest, SEQUENCE)?;
    let (before_tag, before, validity) = any(validity)?;
    let (after_tag, after, _) = any(validity)?;
    let mut facts = CertFacts {
        names: Vec::new(),
        not_before: time(before_tag, before)?,
        not_after: time(after_tag, after)?,
    };
    let mut rest = skip(rest, 2)?; // subject, subjectPublicKeyInfo
    while let Some((tag, content, after)) = any(rest) {
        if tag == EXPLICIT_3 {
            facts.names = alt_names(content).unwrap_or_default();
        }
        rest = after;
    }
    Some(facts)
}

const SEQUENCE: u8 = 0x30;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const EXPLICIT_0: u8 = 0xa0;
const EXPLICIT_3: u8 = 0xa3;
/// `dNSName [2] IA5String` of a GeneralName.
const DNS_NAME: u8 = 0x82;
/// 2.5.29.17, subjectAltName.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// One TLV of any tag: (tag, content, what follows).
fn any(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |l, b| (l << 8) | *b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// One TLV that must have `tag`.
fn tlv(input: &[u8], tag: u8) -> Option<(u8, &[u8], &[u8])> {
    any(input).filter(|(t, _, _)| *t == tag)
}

fn skip(mut input: &[u8], n: usize) -> Option<&[u8]> {
    for _ in 0..n {
        input = any(input)?.2;
    }
    Some(input)
}

fn alt_names(extensions: &[u8]) -> Option<Vec<String>> {
    let (_, mut list, _) = tlv(extensions, SEQUENCE)?;
    while let Some((_, ext, rest)) = tlv(list, SEQUENCE) {
        list = rest;
        let (_, oid, mut ext) = tlv(ext, OID)?;
        if oid != SUBJECT_ALT_NAME {
            continue;
        }
        if ext.first() == Some(&BOOLEAN) {
            ext = any(ext)?.2;
        }
        let (_, value, _) = tlv(ext, OCTET_STRING)?;
        let (_, mut names, _) = tlv(value, SEQUENCE)?;
        let mut out = Vec::new();
        while let Some((tag, name, rest)) = any(names) {
            if tag == DNS_NAME {
                out.push(String::from_utf8_lossy(name).to_ascii_lowercase());
            }
            names = rest;
        }
        return Some(out);
    }
    Some(Vec::new())
}

/// UTCTime (`YYMMDDHHMMSSZ`, 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn time(tag: u8, text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        UTC_TIME if text.len() == 12 => {
            let yy: i16 = text[..2].parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &text[2..])
        }
        GENERALIZED_TIME if text.len() == 14 => (text[..4].parse().ok()?, &text[4..]),
        _ => return None,
    };
    let field = |at: usize| rest.get(at..at + 2)?.parse::<i8>().ok();
    let civil = jiff::civil::DateTime::new(
        year,
        field(0)?,
        field(2)?,
        field(4)?,
        field(6)?,
        field(8)?,
        0,
    )
    .ok()?;
    Some(
        civil
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second(),
    )
}

/// Whether `name` (lower-case) is covered by the certificate name `pattern`, which may be a
/// wildcard for one label (`*.example.org`).
pub fn covers(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => name
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == name,
    }
}

/// A Unix time as an RFC 3339 date and time in UTC, for logs and `wartesaal check`.
pub fn show_time(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_validity_of_a_certificate_are_read() {
        let mut params = rcgen::CertificateParams::new(vec![
            "termine.example.de".to_string(),
            "*.Impfung.example.de".to_string(),
        ])
        .unwrap();
        params.not_before = rcgen::date_time_ymd(2026, 1, 2);
        params.not_after = rcgen::date_time_ymd(2051, 4, 1);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let facts = facts(cert.der()).unwrap();
        assert_eq!(facts.names, ["termine.example.de", "*.impfung.example.de"]);
        assert_eq!(show_time(facts.not_before), "2026-01-02 00:00 UTC");
        assert_eq!(show_time(facts.not_after), "2051-04-01 00:00 UTC");
        assert!(facts.renew_at() > facts.not_before && facts.renew_at() < facts.not_after);
    }

    #[test]
    fn garbage_is_no_certificate() {
        assert_eq!(facts(&CertificateDer::from(vec![0x30, 0x03, 1, 2])), None);
        assert_eq!(facts(&CertificateDer::from(Vec::new())), None);
    }

    #[test]
    fn a_wildcard_covers_one_label() {
        assert!(covers("*.example.org", "a.example.org"));
        assert!(!covers("*.example.org", "a.b.example.org"));
        assert!(!covers("*.example.org", "example.org"));
        assert!(covers("example.org", "example.org"));
    }
}
