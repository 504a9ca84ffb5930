//! A real SMTP server of the test's own, and the messages it received.

use std::path::{Path, PathBuf};

use super::temp_dir;

/// A real SMTP server (`tests/smtp_sink.py`, on Debian's python3-aiosmtpd) on a loopback
/// port, keeping every message it is handed as a file. Killed when dropped. Under CI it must
/// be there; elsewhere a test without it says so and passes nothing.
pub struct SmtpSink {
    child: std::process::Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The whole message, with the server's `X-Envelope-To`, `X-Tls` and `X-Login` in front.
    pub text: String,
}

impl Mail {
    /// The value of header `name` (unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.text.split("\r\n\r\n").next()?;
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let mut lines = head.split("\r\n").peekable();
        while let Some(line) = lines.next() {
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_string();
                while lines.peek().is_some_and(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(lines.next().unwrap_or("").trim());
                }
                return Some(value);
            }
        }
        None
    }

    /// The plain-text body, quoted-printable or base64 undone.
    pub fn body(&self) -> String {
        let body = self.text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        match self.header("Content-Transfer-Encoding").as_deref() {
            Some("base64") => {
                use base64::Engine;
                let clean: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Some("quoted-printable") => {
                let joined = body.replace("=\r\n", "");
                let b = joined.as_bytes();
                let hex = |c: u8| (c as char).to_digit(16);
                let mut out = Vec::new();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'=' && i + 2 < b.len() {
                        if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                            out.push((h * 16 + l) as u8);
                            i += 3;
                            continue;
                        }
                    }
                    out.push(b[i]);
                    i += 1;
                }
                String::from_utf8_lossy(&out).into_owned()
            }
            _ => body.to_string(),
        }
    }

    /// The first `http…` URL in the body.
    pub fn link(&self) -> String {
        let body = self.body();
        let at = body.find("http").expect("a link in the e-mail");
        body[at..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string()
    }
}

fn python_with_aiosmtpd() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

impl SmtpSink {
    /// A plain server on a free port.
    pub fn start() -> Option<SmtpSink> {
        SmtpSink::start_on(0, &[])
    }

    /// On `port` (0: any free one); `tls` = [cert, key] offers and requires STARTTLS, and
    /// [cert, key, user, password] requires that login too.
    pub fn start_on(port: u16, tls: &[&str]) -> Option<SmtpSink> {
        let Some(python) = python_with_aiosmtpd() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "e-mail tests need aiosmtpd: apt-get install python3-aiosmtpd"
            );
            eprintln!("skipped: no aiosmtpd (apt-get install python3-aiosmtpd)");
            return None;
        };
        let dir = temp_dir("smtp");
        std::fs::create_dir_all(&dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = std::process::Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .args(tls)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("the SMTP server starts");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        let port = line.trim().parse().expect("the SMTP server's port");
        Some(SmtpSink { child, port, dir })
    }

    /// Every message received so far, in order.
    pub fn mails(&self) -> Vec<Mail> {
        let mut numbered: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| {
                        let name = e.file_name().into_string().ok()?;
                        let n = name.strip_suffix(".eml")?.parse().ok()?;
                        Some((n, e.path()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        numbered.sort();
        numbered
            .into_iter()
            .map(|(_, path)| Mail {
                text: std::fs::read_to_string(path).unwrap_or_default(),
            })
            .collect()
    }

    /// Stops the server; its port, to start another on.
    pub fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
