//! The binary as an operator uses it: `check`, `keygen`, `demo`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use tokio::net::TcpListener;
use wartesaal::clock::ManualClock;

use crate::support::{self, T0};

const BIN: &str = env!("CARGO_BIN_EXE_wartesaal");

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wartesaal-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a fresh secret made by `wartesaal keygen` to `path`.
fn write_key(path: &std::path::Path) {
    let out = Command::new(BIN).arg("keygen").output().unwrap();
    assert!(out.status.success());
    std::fs::write(path, out.stdout).unwrap();
}

/// `wartesaal check --config PATH`.
fn check(config: &std::path::Path) -> std::process::Output {
    Command::new(BIN)
        .args(["check", "--config"])
        .arg(config)
        .output()
        .unwrap()
}

#[test]
fn keygen_prints_a_256_bit_secret() {
    let out = Command::new(BIN).arg("keygen").output().unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    let line = line.trim_end();
    assert_eq!(line.len(), 43, "32 bytes in unpadded base64url: {line}");
    assert!(line
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    wartesaal::access::ticket::Secret::from_base64(line).unwrap();
}

#[test]
fn check_names_each_wrong_key_and_exits_64() {
    let dir = temp_dir("check");
    let key = dir.join("secret.key");
    write_key(&key);
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        format!(
            r#"
[server]
listen = "not-an-address"
max_conections = 10

[keys]
files = ["{key}", "{missing}"]

[[rooms]]
id = "Impfzentrum!"
upstream = "http://127.0.0.1:8081"
admit_per_minute = -5
hold_place_for = "10s"
queueing_status = 302
colour = "blue"
"#,
            key = key.display(),
            missing = dir.join("missing.key").display()
        ),
    )
    .unwrap();
    let out = check(&bad);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "server.listen",
        "server.max_conections",
        "did you mean `max_connections`",
        "keys.files[1]",
        "rooms[0].id",
        "rooms[0].admit_per_minute",
        "rooms[0].hold_place_for",
        "rooms[0].queueing_status",
        "rooms[0].colour",
    ] {
        assert!(err.contains(key), "`{key}` not named in:\n{err}");
    }

    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        format!(
            "[keys]\nfiles = [\"{}\"]\n[[rooms]]\nid = \"impf\"\nupstream = \"http://127.0.0.1:8081\"\nadmit_per_minute = 60\n",
            key.display()
        ),
    )
    .unwrap();
    let out = check(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .arg("check")
        .env("WARTESAAL_CONFIG", &good)
        .output()
        .unwrap();
    assert!(out.status.success(), "config from $WARTESAAL_CONFIG");
}

#[test]
fn shipped_config_checks_once_a_key_exists() {
    let dir = temp_dir("shipped");
    std::fs::create_dir_all(dir.join("config")).unwrap();
    write_key(&dir.join("config/secret.key"));
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/wartesaal.toml");
    std::fs::copy(&shipped, dir.join("config/wartesaal.toml")).unwrap();
    let out = Command::new(BIN)
        .arg("check")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn demo_binary_serves_the_booking_site() {
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Keeps reading to the end so that the demo never writes into a closed pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line
                .split_whitespace()
                .find(|w| w.starts_with("http://") && w.ends_with('/'))
            {
                let _ = tx.send(url.to_string());
            }
        }
    });
    let url = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap()
        .expect("demo prints the URL to open");
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let resp = tokio::time::timeout(Duration::from_secs(20), client.get(url.parse().unwrap()))
        .await
        .expect("answers in time")
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    use http_body_util::BodyExt;
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("Freie Termine"), "{body}");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn demo_booking_releases_the_session_for_the_next_person() {
    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = backend.local_addr().unwrap();
    tokio::spawn(wartesaal::demo::serve_backend(
        backend,
        wartesaal::demo::BookingSite::new(Duration::ZERO),
    ));
    let mut config = wartesaal::demo::config(addr).unwrap();
    config.server.listen = vec!["127.0.0.1:0".parse().unwrap()];
    config.admin.listen = "127.0.0.1:0".parse().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let running = wartesaal::start(config, clock.clone()).await.unwrap();
    let gw = support::Gateway {
        running,
        clock,
        client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http(),
    };
    // Demo: 6 per minute, 2 at a time.
    let mut a = gw.visitor();
    let mut b = gw.visitor();
    let mut c = gw.visitor();
    assert!(a.get("/").await.body.contains("Freie Termine"));
    gw.advance(Duration::from_secs(10));
    assert!(b.get("/").await.body.contains("Freie Termine"));
    gw.advance(Duration::from_secs(10));
    let waiting = c.get("/").await;
    assert!(
        waiting.body.contains("Warteschlange"),
        "two at a time: c waits"
    );
    gw.advance(Duration::from_secs(10));
    assert_eq!(c.status("demo").await["admitted"], false);

    let booked = a.post("/book?slot=3", "name=Erna+Schmidt").await;
    assert_eq!(booked.status, StatusCode::OK);
    assert!(booked.body.contains("Ihr Termin ist gebucht"));
    assert!(booked.body.contains("Erna Schmidt"));
    assert!(booked.header("x-wartesaal-release").is_none());
    assert_eq!(
        c.status("demo").await["admitted"],
        true,
        "a's slot went to c"
    );
    let list = c.get("/").await.body;
    assert!(list.contains("08:30 Uhr – vergeben"), "{list}");
}

#[test]
fn check_names_each_wrong_notify_key_and_notify_test_sends_a_test_email() {
    let dir = temp_dir("notify-cli");
    let key = dir.join("secret.key");
    write_key(&key);
    let room = |notify: &str| {
        format!(
            "[keys]\nfiles = [\"{}\"]\n[[rooms]]\nid = \"r\"\nupstream = \"http://127.0.0.1:8081\"\n\
             admit_per_minute = 60\ntitle = \"Impfzentrum\"\n[rooms.notify]\n{notify}\n",
            key.display()
        )
    };
    let bad = dir.join("bad.toml");
    let half = dir.join("half.cred");
    std::fs::write(&half, "mailer\n").unwrap();
    std::fs::write(
        &bad,
        room(&format!(
            "smtp_url = \"smtp://user:pw@mail.example.de\"\nfrom = \"nobody\"\n\
             credentials_file = \"{}\"\nca_file = \"{}\"\npublic_url = \"termine.example.de\"\n\
             lead_time = \"soon\"\nper_client_per_hour = 0",
            half.display(),
            dir.join("missing-ca.pem").display()
        )),
    )
    .unwrap();
    let out = check(&bad);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "rooms[0].notify.smtp_url",
        "the login goes in credentials_file",
        "rooms[0].notify.from",
        "rooms[0].notify.credentials_file",
        "has no user name and password",
        "rooms[0].notify.ca_file",
        "rooms[0].notify.public_url",
        "rooms[0].notify.lead_time",
        "rooms[0].notify.per_client_per_hour",
    ] {
        assert!(err.contains(key), "`{key}` not named in:\n{err}");
    }
    assert!(!err.contains("pw@"), "no secret echoed back: {err}");

    let Some(smtp) = support::SmtpSink::start() else {
        return;
    };
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        room(&format!(
            "smtp_url = \"smtp://127.0.0.1:{}\"\nfrom = \"Termine <termine@example.de>\"\n\
             public_url = \"https://termine.example.de\"",
            smtp.port
        )),
    )
    .unwrap();
    let out = check(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args([
            "notify-test",
            "--room",
            "r",
            "--to",
            "ops@example.org",
            "--config",
        ])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].header("X-Envelope-To").as_deref(),
        Some("ops@example.org")
    );
    assert!(mails[0].header("Subject").unwrap().contains("Test"));
    let refused = Command::new(BIN)
        .args([
            "notify-test",
            "--room",
            "nope",
            "--to",
            "ops@example.org",
            "--config",
        ])
        .arg(&good)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no room `nope`"));
    let down = smtp.kill();
    std::fs::write(
        &good,
        room(&format!(
            "smtp_url = \"smtp://127.0.0.1:{down}\"\nfrom = \"termine@example.de\"\n\
             public_url = \"https://termine.example.de\""
        )),
    )
    .unwrap();
    let failed = Command::new(BIN)
        .args([
            "notify-test",
            "--room",
            "r",
            "--to",
            "ops@example.org",
            "--config",
        ])
        .arg(&good)
        .output()
        .unwrap();
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.contains(&format!("127.0.0.1:{down} did not take the e-mail")),
        "{err}"
    );
}

#[test]
fn keygen_out_writes_a_file_only_its_owner_reads_and_check_refuses_placeholders() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("keygen-out");
    let key = dir.join("secret.key");
    let _ = std::fs::remove_file(&key);
    let out = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "the secret is not printed");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&key).unwrap();
    wartesaal::access::ticket::Secret::from_base64(text.trim()).unwrap();
    let again = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing secret is never overwritten"
    );
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);

    // The Kubernetes examples' placeholders, left in place: refused, each by its key.
    let placeholder = dir.join("admin.token");
    std::fs::write(&placeholder, "REPLACE-WITH-OUTPUT-OF-wartesaal-keygen\n").unwrap();
    let key_placeholder = dir.join("placeholder.key");
    std::fs::write(
        &key_placeholder,
        "REPLACE-WITH-OUTPUT-OF-wartesaal-keygen\n",
    )
    .unwrap();
    let config = dir.join("wartesaal.toml");
    std::fs::write(
        &config,
        format!(
            "[admin]\ntoken_file = \"{token}\"\n[keys]\nfiles = [\"{key}\", \"{bad}\"]\n\
             [[rooms]]\nid = \"r\"\nupstream = \"http://127.0.0.1:8081\"\nadmit_per_minute = 6\n\
             origin_header = {{ name = \"X-Origin-Lock\", secret_file = \"{token}\" }}\n\
             bypass_header = {{ name = \"Host\", secret_file = \"{key}\" }}\n",
            token = placeholder.display(),
            key = key.display(),
            bad = key_placeholder.display(),
        ),
    )
    .unwrap();
    let out = check(&config);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    for said in [
        "admin.token_file",
        "keys.files[1]",
        "rooms[0].origin_header",
        "still holds a placeholder",
        "rooms[0].bypass_header",
        "a header the gateway sets itself",
    ] {
        assert!(err.contains(said), "`{said}` not in:\n{err}");
    }
}
