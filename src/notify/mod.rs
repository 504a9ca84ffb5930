//! E-mails to waiting visitors: owns a room's SMTP transport (`[rooms.notify]`, through
//! lettre with rustls), the e-mail built from the page's words, the link that gives a place
//! back, and the sign-up limits per client address and per e-mail address. Must not decide
//! when a letter is due (`ops::letters` does) nor keep letters (`state` does).

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials as SmtpCredentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};

use crate::access::ticket::{Kind, RoomKeys, Token};
use crate::clock::Millis;
use crate::config::{Lang, NotifyConfig, RoomConfig, SmtpSecurity};
use crate::page::{LetterFacts, LetterKind};

/// How long one SMTP conversation may take before it is given up (and retried later).
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// Sign-up counts kept at most, over every limit: fixed memory, whatever arrives. A full
/// table forgets the key counted least recently: a flood of new keys cannot reset the count
/// of one being counted now.
const MAX_COUNTED: usize = 65_536;
const HOUR_MS: Millis = 3_600_000;

/// A room's e-mail side, built with the room (and again on a reload).
pub struct Notifier {
    pub cfg: NotifyConfig,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    signups: Mutex<Counts>,
}

/// Sign-ups in the last hour, by hashed client, client network and inbox: nothing readable.
struct Counts {
    by_key: lru::LruCache<[u8; 16], SignUpCount>,
}

/// A key's sign-ups since `since` (within the hour that began then).
#[derive(Debug, Clone, Copy)]
struct SignUpCount {
    since: Millis,
    n: u32,
}

/// A sign-up counted against its limits: the address as it will be written to, and what to
/// give back if it is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUp {
    pub to: String,
    keys: [[u8; 16]; 3],
    at: Millis,
}

/// A send that failed: `permanent` when the server refused it for good (a 5xx answer).
#[derive(Debug, Clone)]
pub struct SendError {
    pub permanent: bool,
    pub text: String,
}

/// Why a room's SMTP transport cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    #[error("ca_file: {0}")]
    Ca(lettre::transport::smtp::Error),
    #[error("TLS to {host}: {source}")]
    Tls {
        host: String,
        source: lettre::transport::smtp::Error,
    },
}

/// Why an e-mail cannot be written (nothing a retry would change).
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    /// The address a visitor left (not echoed: it must not reach the log).
    #[error("the address: {0}")]
    Address(lettre::address::AddressError),
    /// The address the operator gave `wartesaal notify-test`.
    #[error("`{to}` is not an address: {source}")]
    NotAnAddress {
        to: String,
        source: lettre::address::AddressError,
    },
    #[error("the message: {0}")]
    Message(lettre::error::Error),
}

/// Why a sign-up is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpRefused {
    /// The client address or the e-mail address signed up too often this hour.
    Limited,
    /// Not an e-mail address.
    Invalid,
    /// Letters beyond ASCII before the `@` (`jürgen@…`): only mail servers that speak
    /// SMTPUTF8 take those, and many do not. (An umlaut after the `@` is fine: the domain is
    /// sent in its ASCII form, `xn--…`.)
    NotAsciiLocal,
}

impl Notifier {
    pub fn new(cfg: &NotifyConfig) -> Result<Notifier, NotifierError> {
        let server = &cfg.smtp;
        let tls = || -> Result<TlsParameters, NotifierError> {
            let mut b = TlsParameters::builder(server.host.clone());
            if let Some(pem) = &cfg.ca {
                b = b.certificate_store(CertificateStore::None);
                for block in pem_blocks(pem) {
                    let cert =
                        Certificate::from_pem(block.as_bytes()).map_err(NotifierError::Ca)?;
                    b = b.add_root_certificate(cert);
                }
            }
            b.build_rustls().map_err(|source| NotifierError::Tls {
                host: server.host.clone(),
                source,
            })
        };
        let tls = match server.security {
            SmtpSecurity::Tls => Tls::Wrapper(tls()?),
            SmtpSecurity::StartTls => Tls::Required(tls()?),
            SmtpSecurity::Loopback => Tls::Opportunistic(tls()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(c) = &cfg.credentials {
            builder = builder.credentials(SmtpCredentials::new(c.user.clone(), c.password.clone()));
        }
        Ok(Notifier {
            cfg: cfg.clone(),
            transport: builder.build(),
            signups: Mutex::new(Counts {
                by_key: lru::LruCache::new(
                    std::num::NonZeroUsize::new(MAX_COUNTED).unwrap_or(std::num::NonZeroUsize::MIN),
                ),
            }),
        })
    }

    /// Counts a sign-up of `address` from `client` at `now`, or refuses it: not an address,
    /// or over `per_client_per_hour`, `per_network_per_hour` or `per_address_per_hour`. What
    /// is counted is given back with `SignUp::refund` when the sign-up is not kept (a second
    /// address for one ticket, a full outbox): only what was accepted counts.
    pub fn sign_up(
        &self,
        room: &str,
        client: IpAddr,
        address: &str,
        now: Millis,
    ) -> Result<SignUp, SignUpRefused> {
        let address = ascii_address(address.trim())?;
        let (local, domain) = plain_address(&address).ok_or(SignUpRefused::Invalid)?;
        let mailbox: lettre::Address = address.parse().map_err(|_| SignUpRefused::Invalid)?;
        let keys = [
            (
                hashed(room, b"client", &network(client, 64, 32)),
                self.cfg.per_client_per_hour,
            ),
            (
                hashed(room, b"network", &network(client, 48, 24)),
                self.cfg.per_network_per_hour,
            ),
            (
                hashed(room, b"address", inbox(local, domain).as_bytes()),
                self.cfg.per_address_per_hour,
            ),
        ];
        let mut counts = self.signups.lock().unwrap_or_else(|p| p.into_inner());
        // Looking a key up marks it as recently counted: a flood of new keys evicts the
        // quiet ones first, never a key that is being counted.
        let used = |counts: &mut Counts, key: &[u8; 16]| {
            counts
                .by_key
                .get(key)
                .filter(|w| now.saturating_sub(w.since) < HOUR_MS)
                .map_or(0, |w| w.n)
        };
        if keys
            .iter()
            .any(|(key, limit)| used(&mut counts, key) >= *limit)
        {
            return Err(SignUpRefused::Limited);
        }
        for (key, _) in &keys {
            let n = used(&mut counts, key);
            let since = match counts.by_key.peek(key) {
                Some(w) if n > 0 => w.since,
                _ => now,
            };
            // A full table forgets the key counted least recently, never the others.
            counts.by_key.put(*key, SignUpCount { since, n: n + 1 });
        }
        Ok(SignUp {
            to: mailbox.to_string(),
            keys: keys.map(|(k, _)| k),
            at: now,
        })
    }

    /// Gives back what `sign_up` counted for a sign-up that was not kept.
    pub fn refund(&self, sign_up: &SignUp) {
        let mut counts = self.signups.lock().unwrap_or_else(|p| p.into_inner());
        for key in &sign_up.keys {
            if let Some(w) = counts.by_key.peek_mut(key) {
                if w.since <= sign_up.at {
                    w.n = w.n.saturating_sub(1);
                }
            }
        }
    }

    /// The e-mail to `to` about ticket `seq`, with `link` valid until `until`.
    #[allow(clippy::too_many_arguments)]
    pub fn message(
        &self,
        room: &RoomConfig,
        lang: Lang,
        to: &str,
        seq: u64,
        line: u64,
        code: Option<&str>,
        link: &str,
        until: Millis,
        facts: &LetterFacts<'_>,
        now: Millis,
    ) -> Result<Message, LetterError> {
        let to: Mailbox = to.parse().map_err(LetterError::Address)?;
        let letter = crate::page::letter(room, lang, code, link, until, facts);
        let host = self
            .cfg
            .public_url
            .split_once("://")
            .map_or("wartesaal", |(_, h)| h.split(':').next().unwrap_or(h));
        Message::builder()
            .from(self.cfg.from.clone())
            .to(to)
            .subject(letter.subject)
            .date(UNIX_EPOCH + Duration::from_millis(now))
            // The same id if a crash sends it twice: mail clients show one.
            .message_id(Some(format!("<{}.{line}.{seq}@{host}>", room.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body)
            .map_err(LetterError::Message)
    }

    /// The e-mail `wartesaal notify-test` sends: what a visitor would get, marked as a
    /// test, with a link to the room's start instead of a place.
    pub fn test_message(
        &self,
        room: &RoomConfig,
        to: &str,
        now: Millis,
    ) -> Result<Message, LetterError> {
        let link = format!("{}{}", self.cfg.public_url, room.scope.path_prefix);
        let until = now
            + self.cfg.lead_time.as_millis() as Millis
            + room.tickets.hold_place_for.as_millis() as Millis;
        let facts = LetterFacts {
            kind: LetterKind::Soon,
            message: None,
        };
        let letter = crate::page::letter(room, room.language(), None, &link, until, &facts);
        let to: Mailbox = to.parse().map_err(|source| LetterError::NotAnAddress {
            to: to.to_string(),
            source,
        })?;
        Message::builder()
            .from(self.cfg.from.clone())
            .to(to)
            .subject(format!("[Test] {}", letter.subject))
            .date(UNIX_EPOCH + Duration::from_millis(now))
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body)
            .map_err(LetterError::Message)
    }

    /// Hands `message` to the SMTP server.
    pub async fn send(&self, message: &Message) -> Result<(), SendError> {
        self.transport
            .send(message.clone())
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                permanent: e.is_permanent(),
                text: e.to_string(),
            })
    }

    /// The link that gives ticket `seq` of the line begun at `line` (Unix seconds) back
    /// until `until` (ms): `public_url` + `/.wartesaal/restore?room=…&link=…`.
    pub fn link(&self, room: &str, keys: &RoomKeys, seq: u64, line: u64, until: Millis) -> String {
        let token = keys.sign(&Token {
            kind: Kind::Link,
            seq,
            expires_at: until / 1000,
            id: line,
        });
        format!(
            "{}/.wartesaal/restore?room={room}&link={token}",
            self.cfg.public_url
        )
    }
}

/// `local@domain` if `text` is an address every SMTP server takes and nobody can dress up as
/// another: a dot-atom local part in ASCII (no quotes, no escapes), and a domain name of
/// letters, digits and hyphens with at least one dot (no IP literal, no bare host name).
/// The address as it is sent: an internationalized domain (`müller.de`) in its ASCII form
/// (`xn--mller-kva.de`), which every mail server takes; letters beyond ASCII before the `@`
/// are refused with their own reason.
fn ascii_address(text: &str) -> Result<std::borrow::Cow<'_, str>, SignUpRefused> {
    if text.is_ascii() {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let (local, domain) = text.rsplit_once('@').ok_or(SignUpRefused::Invalid)?;
    if !local.is_ascii() {
        return Err(SignUpRefused::NotAsciiLocal);
    }
    let domain = idna::domain_to_ascii(domain).map_err(|_| SignUpRefused::Invalid)?;
    Ok(std::borrow::Cow::Owned(format!("{local}@{domain}")))
}

/// An address as a page shows it, partly hidden (`ma…@müller.de`): enough for its owner to
/// see a typing mistake, not the whole address for someone looking over their shoulder.
pub fn masked(address: &str) -> String {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return "…".into();
    };
    let (domain, _) = idna::domain_to_unicode(domain);
    let shown: String = local
        .chars()
        .take(if local.len() > 3 { 2 } else { 1 })
        .collect();
    format!("{shown}…@{domain}")
}

fn plain_address(text: &str) -> Option<(&str, &str)> {
    if text.len() > 254 {
        return None;
    }
    let (local, domain) = text.rsplit_once('@')?;
    let atom = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&c);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(atom));
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let domain_ok = domain.contains('.')
        && domain.split('.').all(label_ok)
        && !domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|c| c.is_ascii_digit()));
    (local_ok && domain_ok).then_some((local, domain))
}

/// The network a client is counted by: its first `v6_bits` (IPv6) or `v4_bits` (IPv4), each
/// a multiple of 8, with the prefix length so that networks of two sizes never share a key.
fn network(ip: IpAddr, v6_bits: usize, v4_bits: usize) -> Vec<u8> {
    let (bits, octets) = match ip.to_canonical() {
        IpAddr::V4(v4) => (v4_bits, v4.octets()[..v4_bits / 8].to_vec()),
        IpAddr::V6(v6) => (v6_bits, v6.octets()[..v6_bits / 8].to_vec()),
    };
    let mut key = octets;
    key.push(bits as u8);
    key
}

/// The inbox an address reaches, as it is counted: any case, without a `+tag` (most
/// providers deliver `ann+1@` to `ann@`), and for Gmail without dots (`a.nn@gmail.com` is
/// `ann@gmail.com`, and so is `ann@googlemail.com`).
fn inbox(local: &str, domain: &str) -> String {
    let local = local
        .split('+')
        .next()
        .unwrap_or(local)
        .to_ascii_lowercase();
    let domain = domain.to_ascii_lowercase();
    match domain.as_str() {
        "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
        _ => format!("{local}@{domain}"),
    }
}

fn hashed(room: &str, what: &[u8], value: &[u8]) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"wartesaal sign-up\0");
    h.update(room.as_bytes());
    h.update([0]);
    h.update(what);
    h.update([0]);
    h.update(value);
    let d = h.finalize();
    let mut out = [0; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// The certificates of a PEM file, one block each (lettre takes one at a time).
fn pem_blocks(pem: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(pem);
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE-----") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
        if line.starts_with("-----END CERTIFICATE-----") {
            blocks.extend(current.take());
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::access::ticket::Secret;
    use crate::config::{Config, KeySource};

    fn room(extra: &str) -> RoomConfig {
        let text = format!(
            "[[rooms]]\nid = \"r\"\nupstream = \"http://127.0.0.1:8081\"\n\
             admit_per_minute = 6\ntitle = \"Impfzentrum\"\n[rooms.notify]\n\
             smtp_url = \"smtp://127.0.0.1:2525\"\nfrom = \"Termine <termine@example.de>\"\n\
             public_url = \"https://termine.example.de/\"\n{extra}"
        );
        let keys = KeySource::Given(vec![Secret::from_bytes([7u8; 32])]);
        let config = Config::from_toml(&text, Path::new("t.toml"), keys).unwrap();
        (*config.rooms[0]).clone()
    }

    #[test]
    fn sign_ups_are_limited_per_address_and_per_client_network_each_hour() {
        let cfg = room("per_client_per_hour = 3\nper_address_per_hour = 2");
        let n = Notifier::new(cfg.notify.as_ref().unwrap()).unwrap();
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::ffff".parse().unwrap();
        let other: IpAddr = "192.0.2.7".parse().unwrap();
        let t = 1_700_000_000_000;
        let ok = |s: &str| Ok(s.to_string());
        let sign_up =
            |ip: IpAddr, address: &str, t: Millis| n.sign_up("r", ip, address, t).map(|s| s.to);
        assert_eq!(sign_up(a, " Ann@Example.org ", t), ok("Ann@Example.org"));
        assert_eq!(sign_up(other, "ann@example.org", t), ok("ann@example.org"));
        // The third sign-up naming one address this hour, from anywhere: refused.
        assert_eq!(
            sign_up(other, "ANN@example.org", t),
            Err(SignUpRefused::Limited)
        );
        assert_eq!(
            sign_up(same_64, "bob@example.org", t),
            ok("bob@example.org")
        );
        assert_eq!(sign_up(a, "cy@example.org", t), ok("cy@example.org"));
        // The /64 has signed up three times.
        assert_eq!(
            sign_up(same_64, "dee@example.org", t),
            Err(SignUpRefused::Limited)
        );
        assert_eq!(sign_up(a, "not an address", t), Err(SignUpRefused::Invalid));
        // Dressed-up forms of one inbox count as that inbox, or are no address at all.
        let next = "192.0.2.99".parse().unwrap();
        assert_eq!(
            sign_up(next, "ann+news@example.org", t),
            Err(SignUpRefused::Limited)
        );
        for odd in [
            "\"ann\"@example.org",
            "\"a b\"@example.org",
            "a\\b@example.org",
            "ann@[127.0.0.1]",
            "x@[IPv6:::1]",
            "ann@localhost",
            "ann@example.123",
            "ann@-example.org",
            "a..b@example.org",
            ".a@example.org",
        ] {
            assert_eq!(sign_up(next, odd, t), Err(SignUpRefused::Invalid), "{odd}");
        }
        // An umlaut before the @ is refused with its own reason; after it, the domain goes
        // out in its ASCII form.
        assert_eq!(
            sign_up(next, "müller@example.org", t),
            Err(SignUpRefused::NotAsciiLocal)
        );
        let idn = sign_up("10.9.9.9".parse().unwrap(), "ann@exämple.de", t);
        assert_eq!(idn, ok("ann@xn--exmple-cua.de"));
        assert_eq!(masked("ann@xn--exmple-cua.de"), "a…@exämple.de");
        assert_eq!(masked("maria@example.org"), "ma…@example.org");
        let next_hour = t + HOUR_MS;
        assert_eq!(
            sign_up(a, "dee@example.org", next_hour),
            ok("dee@example.org")
        );
    }

    #[test]
    fn a_flood_of_new_keys_forgets_the_oldest_never_the_one_being_counted() {
        let cfg = room("per_client_per_hour = 10\nper_address_per_hour = 2");
        let n = Notifier::new(cfg.notify.as_ref().unwrap()).unwrap();
        let t = 1_700_000_000_000;
        let victim: IpAddr = "198.51.100.1".parse().unwrap();
        n.sign_up("r", victim, "victim@example.org", t).unwrap();
        n.sign_up("r", victim, "victim@example.org", t).unwrap();
        // 6,000 addresses × 10 posts wiped the old table; an evicting one keeps the victim's
        // count while it is in use.
        for i in 0..70_000u32 {
            let ip = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            if i % 1000 == 0 {
                assert_eq!(
                    n.sign_up("r", victim, "victim@example.org", t),
                    Err(SignUpRefused::Limited),
                    "after {i} strangers"
                );
            }
            let _ = n.sign_up("r", ip, &format!("s{i}@example.org"), t);
        }
        assert_eq!(
            n.sign_up("r", victim, "victim@example.org", t),
            Err(SignUpRefused::Limited)
        );
    }

    #[test]
    fn gmail_dots_are_one_inbox_and_only_kept_sign_ups_count() {
        let cfg = room("per_client_per_hour = 10\nper_address_per_hour = 2");
        let n = Notifier::new(cfg.notify.as_ref().unwrap()).unwrap();
        let t = 1_700_000_000_000;
        let ip = |i: u8| IpAddr::from([192, 0, 2, i]);
        n.sign_up("r", ip(1), "victim@gmail.com", t).unwrap();
        n.sign_up("r", ip(2), "v.ictim@gmail.com", t).unwrap();
        for variant in [
            "vic.tim@gmail.com",
            "V.I.C.T.I.M@googlemail.com",
            "victim+x@GMAIL.com",
        ] {
            assert_eq!(
                n.sign_up("r", ip(3), variant, t),
                Err(SignUpRefused::Limited),
                "{variant}"
            );
        }
        // Elsewhere a dot is a different inbox.
        n.sign_up("r", ip(4), "a.nn@example.org", t).unwrap();
        n.sign_up("r", ip(4), "ann@example.org", t).unwrap();
        // A sign-up refused later (a second address for the ticket) is given back.
        let kept = n.sign_up("r", ip(5), "bob@example.org", t).unwrap();
        let refused = n.sign_up("r", ip(5), "bob@example.org", t).unwrap();
        n.refund(&refused);
        assert_eq!(kept.to, "bob@example.org");
        n.sign_up("r", ip(6), "bob@example.org", t).unwrap();
        assert_eq!(
            n.sign_up("r", ip(7), "bob@example.org", t),
            Err(SignUpRefused::Limited)
        );
    }

    #[test]
    fn a_network_signs_up_a_bounded_number_however_many_addresses_it_has() {
        let cfg = room("per_client_per_hour = 10\nper_network_per_hour = 50");
        let n = Notifier::new(cfg.notify.as_ref().unwrap()).unwrap();
        let t = 1_700_000_000_000;
        // One IPv6 /53: 2,048 /64s, each its own client.
        let mut kept = 0;
        for i in 0..2_000u16 {
            let ip: IpAddr = format!("2001:db8:0:{:x}::1", i).parse().unwrap();
            if n.sign_up("r", ip, &format!("s{i}@example.org"), t).is_ok() {
                kept += 1;
            }
        }
        assert_eq!(kept, 50);
        // IPv4: a /24 likewise; another network is not held up.
        let mut kept = 0;
        for i in 0..=255u8 {
            if n.sign_up(
                "r",
                IpAddr::from([203, 0, 113, i]),
                &format!("v{i}@example.org"),
                t,
            )
            .is_ok()
            {
                kept += 1;
            }
        }
        assert_eq!(kept, 50);
        assert!(n
            .sign_up("r", IpAddr::from([198, 51, 100, 1]), "real@example.org", t)
            .is_ok());
    }

    #[test]
    fn the_message_has_its_headers_and_the_link_in_the_visitors_language() {
        let cfg = room("");
        let n = Notifier::new(cfg.notify.as_ref().unwrap()).unwrap();
        assert_eq!(n.cfg.lead_time, crate::config::DEFAULT_LEAD_TIME);
        let msg = n
            .message(
                &cfg,
                Lang::EN,
                "ann@example.org",
                7,
                1_700_000_000,
                Some("0000-0007-AAAA-BBBB"),
                "https://termine.example.de/x",
                1_700_000_900_000,
                &LetterFacts {
                    kind: LetterKind::Soon,
                    message: None,
                },
                1_700_000_000_000,
            )
            .unwrap();
        let text = String::from_utf8(msg.formatted()).unwrap();
        for header in [
            "From: Termine <termine@example.de>",
            "To: ann@example.org",
            "Subject: It is nearly your turn: Impfzentrum",
            "Date: Tue, 14 Nov 2023",
            "Message-ID: <r.1700000000.7@termine.example.de>",
            "Content-Type: text/plain; charset=utf-8",
        ] {
            assert!(text.contains(header), "{header} in {text}");
        }
        assert!(text.contains("https://termine.example.de/x"));
        assert!(text.contains("0000-0007-AAAA-BBBB"));
        assert!(
            text.contains("until Tuesday 14 November 2023 at 22:28 UTC"),
            "{text}"
        );
    }

    /// In Arabic: the words right to left with the day in Arabic digits, the link and the code
    /// each on a line of their own as they are, and no isolates in the subject (a mail program
    /// shows them there as they are).
    #[test]
    fn an_arabic_letter_keeps_its_link_code_and_subject_plain() {
        let cfg = room("");
        let arabic = Lang::parse("ar").unwrap();
        let letter = crate::page::letter(
            &cfg,
            arabic,
            Some("0000-0007-AAAA-BBBB"),
            "https://termine.example.de/x",
            1_700_000_900_000,
            &LetterFacts {
                kind: LetterKind::Soon,
                message: None,
            },
        );
        assert_eq!(letter.subject, "اقترب دورك: Impfzentrum");
        assert!(
            letter.body.contains("\r\nhttps://termine.example.de/x\r\n"),
            "{}",
            letter.body
        );
        assert!(letter
            .body
            .contains("رمز مكانك: \u{2068}0000-0007-AAAA-BBBB\u{2069}"));
        // Every figure and name is isolated in the body (Fluent's way); read without them:
        let plain = crate::locale::Locale::plain(&letter.body);
        assert!(
            plain.contains("يوم الثلاثاء ١٤ نوفمبر ٢٠٢٣، الساعة ٢٢:٢٨ UTC"),
            "{plain}"
        );
        let called = LetterFacts {
            kind: LetterKind::Called,
            message: None,
        };
        let german = crate::page::letter(
            &cfg,
            Lang::DE,
            None,
            "https://x",
            1_700_000_900_000,
            &called,
        );
        assert_eq!(german.subject, "Sie sind an der Reihe: Impfzentrum");
        assert!(
            !german.body.contains('\u{2068}'),
            "no isolates in left-to-right text"
        );
    }
}
