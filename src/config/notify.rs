//! A room's `[rooms.notify]`: the operator's SMTP server, the sender, and when a waiting
//! visitor who left an address is written to. Checked whole at load (`wartesaal check`
//! included): the URL's shape, the sender's address, the credentials file and the CA file.
//! Must not connect anywhere: `notify` does.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crate::tls;

use super::walk::Section;
use super::Problem;

/// A visitor is written to when their estimated wait falls to this.
pub const DEFAULT_LEAD_TIME: Duration = Duration::from_secs(10 * 60);
/// The e-mail's link holds a place for `lead_time` + `hold_place_for`: a day at most.
const MAX_LEAD_TIME: Duration = Duration::from_secs(24 * 3600);
/// Sign-ups per client address (IPv6 per /64) per hour: a household or a care home's shared
/// line signs up a few people, a script spamming strangers is stopped.
const DEFAULT_PER_CLIENT_PER_HOUR: u32 = 10;
/// Sign-ups per client network (IPv4 /24, IPv6 /48) per hour: what one provider's or one
/// cloud's range can leave, so that a few thousand addresses of one attacker cannot fill the
/// outbox for everyone else.
const DEFAULT_PER_NETWORK_PER_HOUR: u32 = 50;
/// Sign-ups naming one e-mail address per hour, across all tickets: nobody can make the
/// gateway flood a stranger's inbox.
const DEFAULT_PER_ADDRESS_PER_HOUR: u32 = 2;

/// `[rooms.notify]`.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    pub smtp: SmtpServer,
    /// The sender, as the `From` header shows it.
    pub from: lettre::message::Mailbox,
    pub credentials: Option<Credentials>,
    /// PEM roots for the SMTP server's certificate instead of the system's.
    pub ca: Option<Vec<u8>>,
    pub lead_time: Duration,
    /// Where the room is reached from outside (`https://termine.example.de`, no path): the
    /// e-mail's link starts with it. Never taken from a request's `Host`.
    pub public_url: String,
    pub per_client_per_hour: u32,
    /// Sign-ups per client network (IPv4 /24, IPv6 /48) per hour.
    pub per_network_per_hour: u32,
    pub per_address_per_hour: u32,
}

/// The SMTP server of `smtp_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://` to another machine: STARTTLS or nothing is sent.
    StartTls,
    /// `smtp://` to a loopback address: STARTTLS when the server offers it, else plain (a
    /// relay on the same machine).
    Loopback,
}

/// The SMTP login from `credentials_file`. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Why `smtp_url` names no server to send through. Each reads after the URL (or "the URL",
/// when it has a login in it and must not be echoed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    /// Nothing of the value is repeated: the caller shows it once (or not at all, when it has
    /// a login in it).
    #[error("is not a URL: it begins with neither smtps:// nor smtp://")]
    NotAUrl,
    #[error("`{0}://` is not an SMTP URL")]
    NotSmtp(String),
    #[error("has a login in it")]
    Login,
    #[error("has a path; an SMTP URL names only the server")]
    Path,
    #[error("`{0}` is not a port")]
    Port(String),
    #[error("names no server")]
    NoServer,
}

/// Why `credentials_file` gives no login. Each reads after the file's name.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read it: {0}")]
    Unreadable(std::io::Error),
    #[error("has no user name and password")]
    Missing,
    #[error("has more than two lines")]
    TooManyLines,
}

/// `smtp://host[:port]` (port 587) or `smtps://host[:port]` (port 465).
pub fn parse_smtp_url(url: &str) -> Result<SmtpServer, SmtpUrlError> {
    let (scheme, rest) = url.split_once("://").ok_or(SmtpUrlError::NotAUrl)?;
    let (security, default_port) = match scheme.to_ascii_lowercase().as_str() {
        "smtp" => (SmtpSecurity::StartTls, 587),
        "smtps" => (SmtpSecurity::Tls, 465),
        other => return Err(SmtpUrlError::NotSmtp(other.to_string())),
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('@') {
        return Err(SmtpUrlError::Login);
    }
    if authority.contains(['/', '?', '#']) {
        return Err(SmtpUrlError::Path);
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => {
            let port: u16 = port
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| SmtpUrlError::Port(port.to_string()))?;
            (host, port)
        }
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(SmtpUrlError::NoServer);
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let security = match security {
        SmtpSecurity::StartTls if loopback => SmtpSecurity::Loopback,
        s => s,
    };
    Ok(SmtpServer {
        host: host.to_string(),
        port,
        security,
    })
}

/// `credentials_file`: the user name on the first line, the password on the second.
pub fn read_credentials(path: &Path) -> Result<Credentials, CredentialsError> {
    let text = std::fs::read_to_string(path).map_err(CredentialsError::Unreadable)?;
    let mut lines = text.lines();
    let user = lines.next().unwrap_or("").trim();
    let password = lines.next().unwrap_or("").trim_end_matches('\r');
    if user.is_empty() || password.is_empty() {
        return Err(CredentialsError::Missing);
    }
    if lines.any(|l| !l.trim().is_empty()) {
        return Err(CredentialsError::TooManyLines);
    }
    Ok(Credentials {
        user: user.to_string(),
        password: password.to_string(),
    })
}

pub(super) fn notify_section(
    path: &str,
    t: &toml::Table,
    p: &mut Vec<Problem>,
) -> Option<NotifyConfig> {
    let before = p.len();
    let mut s = Section::new(path, t);
    let smtp = smtp_server(&mut s, p);
    let from = sender(&mut s, p);
    let credentials = credentials(&mut s, p);
    let ca = smtp_ca(&mut s, p);
    let lead_time = s.duration("lead_time", p).unwrap_or(DEFAULT_LEAD_TIME);
    if lead_time > MAX_LEAD_TIME {
        p.push(s.problem(
            "lead_time",
            format!("{} is too long", humantime::format_duration(lead_time)),
            "at most 24h: the e-mail's link holds the place for lead_time + hold_place_for",
        ));
    }
    let public_url = public_url(&mut s, p);
    let [per_client_per_hour, per_network_per_hour, per_address_per_hour] =
        sign_up_limits(&mut s, p);
    s.finish(p);
    if p.len() != before {
        return None;
    }
    Some(NotifyConfig {
        smtp: smtp?,
        from: from?,
        credentials,
        ca,
        lead_time,
        public_url: public_url?,
        per_client_per_hour,
        per_network_per_hour,
        per_address_per_hour,
    })
}

/// `smtp_url`. A URL with a login in it is not echoed: the password would be in the log.
fn smtp_server(s: &mut Section, p: &mut Vec<Problem>) -> Option<SmtpServer> {
    let Some(url) = s.string("smtp_url", p) else {
        p.push(s.problem(
            "smtp_url",
            "missing",
            "the SMTP server that sends the e-mails, e.g. \"smtps://mail.example.de\" or \
             \"smtp://mail.example.de:587\" (STARTTLS)",
        ));
        return None;
    };
    parse_smtp_url(url)
        .map_err(|why| {
            let shown = if url.contains('@') {
                format!("the URL {why}")
            } else {
                format!("`{url}` {why}")
            };
            p.push(s.problem(
                "smtp_url",
                shown,
                "smtps://host[:port] (TLS) or smtp://host[:port] (STARTTLS); the login \
                 goes in credentials_file",
            ));
        })
        .ok()
}

/// `from`: the sender's address.
fn sender(s: &mut Section, p: &mut Vec<Problem>) -> Option<lettre::message::Mailbox> {
    let Some(text) = s.string("from", p) else {
        p.push(s.problem(
            "from",
            "missing",
            "the sender, e.g. \"Impfzentrum <termine@example.de>\"",
        ));
        return None;
    };
    lettre::message::Mailbox::from_str(text)
        .map_err(|e| {
            p.push(s.problem(
                "from",
                format!("`{text}` is not an e-mail address ({e})"),
                "write it like \"termine@example.de\" or \"Impfzentrum <termine@example.de>\"",
            ));
        })
        .ok()
}

/// `credentials_file`, read now so that a bad one fails the check, not the first e-mail.
fn credentials(s: &mut Section, p: &mut Vec<Problem>) -> Option<Credentials> {
    let file = s.string("credentials_file", p)?;
    read_credentials(Path::new(file))
        .map_err(|why| {
            p.push(s.problem(
                "credentials_file",
                format!("{file} {why}"),
                "a file readable only by the gateway's user: the SMTP user name on the \
                 first line, the password on the second",
            ))
        })
        .ok()
}

/// `ca_file`: PEM roots for the SMTP server, checked to hold certificates.
fn smtp_ca(s: &mut Section, p: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let file = s.string("ca_file", p)?;
    tls::read_certs(Path::new(file))
        .map_err(|why| why.to_string())
        .and_then(|_| std::fs::read(file).map_err(|e| format!("cannot read it: {e}")))
        .map_err(|why| {
            p.push(s.problem(
                "ca_file",
                format!("{file}: {why}"),
                "a PEM file with the CA certificate(s) the SMTP server's certificate is \
                 signed by, or leave it out to trust the system's",
            ));
        })
        .ok()
}

/// `public_url`: where the e-mail's link points, without a trailing slash.
fn public_url(s: &mut Section, p: &mut Vec<Problem>) -> Option<String> {
    let Some(url) = s.string("public_url", p) else {
        p.push(s.problem(
            "public_url",
            "missing",
            "where visitors reach the room, e.g. \"https://termine.example.de\": the \
             e-mail's link starts with it",
        ));
        return None;
    };
    let bare = url.trim_end_matches('/');
    let authority = |rest: &str| !rest.is_empty() && !rest.contains(['/', '?', '#', '@', ' ']);
    // Plain http only to this machine: a link that holds a place is not sent in the clear
    // across the internet.
    let local = |rest: &str| {
        let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    };
    let ok = match (bare.strip_prefix("https://"), bare.strip_prefix("http://")) {
        (Some(rest), _) => authority(rest),
        (None, Some(rest)) => authority(rest) && local(rest),
        _ => false,
    };
    if !ok {
        p.push(s.problem(
            "public_url",
            format!("`{url}` is not an https:// address of a site"),
            "https://host[:port], without a path (http:// only for localhost)",
        ));
    }
    ok.then(|| bare.to_string())
}

/// `per_client_per_hour`, `per_network_per_hour` and `per_address_per_hour`, in that order.
fn sign_up_limits(s: &mut Section, p: &mut Vec<Problem>) -> [u32; 3] {
    let mut limit =
        |key: &'static str, default: u32, p: &mut Vec<Problem>| match s.unsigned(key, 1, p) {
            Some(n) if n > 1_000 => {
                p.push(s.problem(key, format!("{n} is out of range"), "1 to 1000"));
                default
            }
            Some(n) => n as u32,
            None => default,
        };
    let per_client_per_hour = limit("per_client_per_hour", DEFAULT_PER_CLIENT_PER_HOUR, p);
    let per_network_per_hour = limit("per_network_per_hour", DEFAULT_PER_NETWORK_PER_HOUR, p);
    let per_address_per_hour = limit("per_address_per_hour", DEFAULT_PER_ADDRESS_PER_HOUR, p);
    if per_network_per_hour < per_client_per_hour {
        p.push(s.problem(
            "per_network_per_hour",
            format!("{per_network_per_hour} is below per_client_per_hour ({per_client_per_hour})"),
            "at least per_client_per_hour: a network holds many clients",
        ));
    }
    [
        per_client_per_hour,
        per_network_per_hour,
        per_address_per_hour,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_the_server_and_plain_smtp_is_only_for_loopback() {
        let s = parse_smtp_url("smtp://mail.example.de").unwrap();
        assert_eq!((s.port, s.security), (587, SmtpSecurity::StartTls));
        let s = parse_smtp_url("smtps://mail.example.de:2465/").unwrap();
        assert_eq!((s.port, s.security), (2465, SmtpSecurity::Tls));
        for local in [
            "smtp://127.0.0.1:2525",
            "smtp://localhost:25",
            "smtp://[::1]:25",
        ] {
            assert_eq!(
                parse_smtp_url(local).unwrap().security,
                SmtpSecurity::Loopback,
                "{local}"
            );
        }
        assert_eq!(parse_smtp_url("smtp://[::1]:25").unwrap().host, "::1");
        for bad in [
            "mail.example.de",
            "http://mail.example.de",
            "smtp://user:pw@mail.example.de",
            "smtp://mail.example.de:0",
            "smtp://mail.example.de:99999",
            "smtp://mail.example.de/x",
            "smtp://",
        ] {
            assert!(parse_smtp_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_two_lines_and_never_printed() {
        let dir = std::env::temp_dir().join(format!("ws-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("smtp.cred");
        std::fs::write(&file, "mailer\ns3cr:et\n").unwrap();
        let c = read_credentials(&file).unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_str()),
            ("mailer", "s3cr:et")
        );
        assert!(!format!("{c:?}").contains("s3cr"));
        std::fs::write(&file, "mailer\n").unwrap();
        assert!(read_credentials(&file).is_err());
        assert!(read_credentials(&dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
