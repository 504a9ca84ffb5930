//! Automatic HTTPS against a real ACME CA (Debian's pebble): a certificate obtained, served,
//! renewed and kept across a restart with the CA gone; two gateways on one Redis sharing one
//! certificate; and what an unreachable CA, a refused domain or an unwritable `state.dir` do
//! to a gateway that must go on serving.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::Method;
use rustls::pki_types::CertificateDer;
use wartesaal::access::ticket::Secret;
use wartesaal::config::{Config, KeySource};

use crate::support::{
    self, config_redis, free_port, gateway_at, room, served_for, temp_dir, upstream, Gateway,
    Pebble, RedisServer,
};
use crate::tls::Pki;

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Config of a gateway on `http_port` and `tls_port` with `tls_extra` in `[server.tls]`.
fn config(state: &Path, http_port: u16, tls_port: u16, tls_extra: &str, upstream: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:{http_port}\"\ngrace_period = \"1s\"\n\
         [server.tls]\nlisten = \"127.0.0.1:{tls_port}\"\n{tls_extra}\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n\n[state]\ndir = \"{}\"\n\n{}",
        state.display(),
        room("r", upstream, "admit_per_minute = 600")
    )
}

fn tls_addr(gw: &Gateway) -> SocketAddr {
    gw.running.tls_addrs[0]
}

/// Waits up to a minute for `gw` to serve a certificate for `name` other than `not`. Pebble
/// refuses a nonce now and then, and once in a long while more often in a row than the client
/// retries; the gateway then tries again after its backoff, which the clock is moved past.
async fn obtained(
    gw: &Gateway,
    name: &str,
    not: Option<&CertificateDer<'static>>,
) -> CertificateDer<'static> {
    for i in 1..=600 {
        match served_for(tls_addr(gw), name).await {
            Some(cert) if Some(&cert) != not => return cert,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
        if i % 100 == 0 {
            gw.advance(Duration::from_secs(6 * 3600));
            gw.running.check_certificates();
        }
    }
    panic!(
        "no new certificate for {name} within a minute: {}",
        readyz(gw).await
    );
}

async fn readyz(gw: &Gateway) -> String {
    gw.admin(Method::GET, "/readyz", None, None).await.body
}

async fn wait_note(gw: &Gateway, wanted: &str) -> String {
    for _ in 0..300 {
        let body = readyz(gw).await;
        if body.contains(wanted) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/readyz never said {wanted:?}: {}", readyz(gw).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_obtains_serves_renews_and_keeps_the_certificate_when_the_ca_is_down() {
    let (http_port, tls_port) = (free_port(), free_port());
    let Some(pebble) = Pebble::start(http_port, tls_port) else {
        return;
    };
    let up = upstream().await;
    let state = temp_dir("acme-state");
    let acme = pebble.acme_section(&["termine.test", "refused.test"], "http-01");
    let text = config(&state, http_port, tls_port, &acme, &up.url());
    pebble.misdirect("refused.test");
    let gw = gateway_at(&text, wall_ms()).await;

    // Obtained over HTTP-01 and served for its name; the CA's nonces refused now and then
    // (pebble refuses 5 %) are retried by the client.
    let first = obtained(&gw, "termine.test", None).await;
    let facts = wartesaal::tls::x509::facts(&first).unwrap();
    assert_eq!(facts.names, ["termine.test"]);
    let expiry = gw
        .metric("wartesaal_certificate_expiry_timestamp_seconds{domain=\"termine.test\"}")
        .await;
    assert_eq!(expiry as i64, facts.not_after);
    for file in ["termine.test.pem", "account.json"] {
        let mode = std::fs::metadata(state.join("acme").join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    // The domain the CA refuses is told, and costs nothing else.
    let notes = wait_note(
        &gw,
        "certificate for refused.test: none yet; the last attempt failed",
    )
    .await;
    assert!(notes.starts_with("ready"), "{notes}");
    assert!(notes.contains("validation"), "{notes}");
    assert!(!notes.contains("termine.test"), "{notes}");
    // Visitors still reach the room over HTTPS with the new certificate.
    assert_eq!(
        served_for(tls_addr(&gw), "termine.test").await,
        Some(first.clone())
    );

    // Two thirds into its life it is renewed, and swapped in without a restart.
    let life = (facts.not_after - facts.not_before) as u64;
    gw.advance(Duration::from_secs(life * 2 / 3 + 60));
    gw.running.check_certificates();
    let renewed = obtained(&gw, "termine.test", Some(&first)).await;
    assert_eq!(
        wartesaal::tls::x509::facts(&renewed).unwrap().names,
        ["termine.test"]
    );
    gw.stop().await;

    // With the CA gone, a restart serves the stored certificate at once.
    pebble.stop();
    let gw = gateway_at(&text, wall_ms()).await;
    assert_eq!(
        served_for(tls_addr(&gw), "termine.test").await,
        Some(renewed.clone())
    );
    // And when it is due again, the CA being down is logged and told; the certificate stays.
    gw.advance(Duration::from_secs(life * 2 / 3 + 60));
    gw.running.check_certificates();
    let notes = wait_note(&gw, "certificate for termine.test: expires").await;
    assert!(notes.contains("the last attempt failed"), "{notes}");
    assert_eq!(
        served_for(tls_addr(&gw), "termine.test").await,
        Some(renewed)
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_tls_alpn_01_is_answered_on_the_https_listener() {
    let (http_port, tls_port) = (free_port(), free_port());
    let Some(pebble) = Pebble::start(http_port, tls_port) else {
        return;
    };
    let up = upstream().await;
    let acme = pebble.acme_section(&["impfung.test"], "tls-alpn-01");
    let text = config(
        &temp_dir("acme-alpn"),
        http_port,
        tls_port,
        &acme,
        &up.url(),
    );
    let gw = gateway_at(&text, wall_ms()).await;
    let cert = obtained(&gw, "impfung.test", None).await;
    assert_eq!(
        wartesaal::tls::x509::facts(&cert).unwrap().names,
        ["impfung.test"]
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_two_gateways_on_redis_order_once_and_serve_the_same_certificate() {
    two_gateways_share("http-01").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_two_gateways_on_redis_answer_tls_alpn_01_whichever_the_ca_reaches() {
    two_gateways_share("tls-alpn-01").await;
}

/// Gateway B orders; the CA's validation (with `challenge`) reaches only gateway A, which
/// answers with what B shared through Redis; A then serves the certificate B shared.
async fn two_gateways_share(challenge: &str) {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    // The CA's validation reaches only gateway A's listeners.
    let (a_http, a_tls) = (free_port(), free_port());
    let Some(pebble) = Pebble::start(a_http, a_tls) else {
        return;
    };
    let up = upstream().await;
    let acme = pebble.acme_section(&["shared.test"], challenge);
    let shared = |http: u16, tls: u16| {
        config_redis(
            &redis.url(),
            "",
            &room("r", &up.url(), "admit_per_minute = 600"),
        )
        .replacen(
            "127.0.0.1:0\"\ngrace",
            &format!("127.0.0.1:{http}\"\ngrace"),
            1,
        )
        .replacen(
            "\n\n[admin]",
            &format!("\n[server.tls]\nlisten = \"127.0.0.1:{tls}\"\n{acme}\n[admin]"),
            1,
        )
        .replacen(
            "[state]\n",
            &format!("[state]\ndir = \"{}\"\n", temp_dir("acme-shared").display()),
            1,
        )
    };
    // Another gateway holds the ordering lock while A starts: A waits (its clock stands
    // still, so it does not look again until told).
    redis.cli(&[
        "SET",
        "wartesaal:acme:lock:shared.test",
        "elsewhere",
        "PX",
        "60000",
    ]);
    let a = gateway_at(&shared(a_http, a_tls), wall_ms()).await;
    let b = gateway_at(&shared(free_port(), free_port()), wall_ms()).await;
    // The lock lapses; B orders. The CA's validation reaches A, which answers with the token
    // B shared through Redis.
    redis.cli(&["DEL", "wartesaal:acme:lock:shared.test"]);
    b.advance(Duration::from_secs(5));
    b.running.check_certificates();
    let from_b = obtained(&b, "shared.test", None).await;
    // A takes the certificate B shared instead of ordering its own.
    a.advance(Duration::from_secs(5));
    a.running.check_certificates();
    let from_a = obtained(&a, "shared.test", None).await;
    assert_eq!(from_a, from_b, "both serve the one certificate");
    let sealed = redis.cli(&["GET", "wartesaal:acme:cert:shared.test"]);
    assert!(
        !sealed.is_empty() && !sealed.contains("PRIVATE KEY"),
        "{sealed}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_with_an_unreachable_ca_and_an_unwritable_state_dir_still_serves() {
    let pki = Pki::new("acme-bad");
    let leaf = pki.leaf("fallback");
    let state = temp_dir("acme-unwritable");
    std::fs::create_dir_all(&state).unwrap();
    // `state.dir/acme` cannot be made (a file is in the way; the tests run as root, whom a
    // mode does not stop).
    std::fs::write(state.join("acme"), "in the way").unwrap();
    let up = upstream().await;
    let tls_extra = format!(
        "cert = \"{}\"\nkey = \"{}\"\n[server.tls.acme]\ndomains = [\"termine.test\"]\n\
         directory = \"https://127.0.0.1:{}/dir\"\nca_file = \"{}\"\n",
        leaf.cert.display(),
        leaf.key.display(),
        free_port(),
        pki.ca_file().display()
    );
    let text = config(&state, 0, 0, &tls_extra, &up.url());
    let gw = gateway_at(&text, wall_ms()).await;
    let notes = wait_note(
        &gw,
        "certificate for termine.test: none yet; the last attempt failed",
    )
    .await;
    assert!(notes.starts_with("ready"), "{notes}");
    assert!(notes.contains("reaching the CA's directory"), "{notes}");
    assert!(notes.contains("cannot write"), "{notes}");
    // Meanwhile the operator's certificate is served, for the ACME name too.
    assert_eq!(
        served_for(tls_addr(&gw), "termine.test").await,
        Some(leaf.der.clone())
    );
    let mut visitor = gw.visitor();
    let page = visitor.get("/").await;
    assert!(page.status.is_success(), "{}", page.status);
    gw.stop().await;
}

#[test]
fn acme_config_mistakes_name_the_key() {
    let load = |acme: &str| {
        let text = support::config_text(
            &format!("[server.tls]\nlisten = \"127.0.0.1:0\"\n[server.tls.acme]\n{acme}"),
            &room("r", "http://127.0.0.1:9", "admit_per_minute = 600"),
        );
        Config::from_toml(
            &text,
            Path::new("test.toml"),
            KeySource::Given(vec![Secret::from_bytes(support::SECRET)]),
        )
        .map(drop)
        .unwrap_err()
        .to_string()
    };
    let err = load("domains = []\n");
    assert!(
        err.contains("server.tls.acme.domains: no domain given"),
        "{err}"
    );
    let err = load("domains = [\"*.example.de\", \"127.0.0.1\"]\ncontact = \"it@example.de\"\n");
    assert!(
        err.contains("server.tls.acme.domains[0]") && err.contains("DNS-01"),
        "{err}"
    );
    assert!(
        err.contains("server.tls.acme.domains[1]: 127.0.0.1 is an address"),
        "{err}"
    );
    assert!(
        err.contains("server.tls.acme.contact") && err.contains("mailto:"),
        "{err}"
    );
    let err = load("domains = [\"a.example.de\"]\ndirectory = \"http://ca.example/dir\"\n");
    assert!(err.contains("server.tls.acme.directory"), "{err}");
    let err = load("domains = [\"a.example.de\"]\nca_file = \"/nonexistent/ca.pem\"\n");
    assert!(
        err.contains("server.tls.acme.ca_file: /nonexistent/ca.pem"),
        "{err}"
    );
    let err = load("domains = [\"a.example.de\"]\nchallenge = \"dns-01\"\n");
    assert!(err.contains("server.tls.acme.challenge"), "{err}");
    let err = load("domains = [\"a.example.de\", \"A.example.de\"]\n");
    assert!(
        err.contains("server.tls.acme.domains[1]: A.example.de is listed twice"),
        "{err}"
    );
    // A further certificate's files are checked like the first's, named by their place.
    let err = load(
        "domains = [\"a.example.de\"]\n[[server.tls.certificates]]\ncert = \"/nonexistent.pem\"\n\
         key = \"/nonexistent.key\"\n[[server.tls.certificates]]\ncert = \"/nonexistent.pem\"\n",
    );
    assert!(
        err.contains(
            "server.tls.certificates[0].cert: cannot read certificates from /nonexistent.pem"
        ),
        "{err}"
    );
    assert!(
        err.contains("server.tls.certificates[1].key: missing"),
        "{err}"
    );
}
