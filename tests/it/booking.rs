//! The booking site's side against real components: the origin lock in front of a real nginx
//! configured as docs/security.md says, the signed admission header checked by the Python and PHP
//! examples, every routing rule (several prefixes, bypass by user agent and by secret header)
//! and `queue_all`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Empty};

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_wartesaal");

/// A secret file made by `wartesaal keygen --out`.
pub(crate) fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(name);
    let out = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap().trim().to_string();
    (file, text)
}

/// The ```nginx block docs/security.md gives for the origin lock.
fn readme_nginx_recipe() -> String {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/security.md"))
            .unwrap();
    let at = page
        .find("<!-- origin-lock: nginx -->")
        .expect("docs/security.md marks its nginx recipe");
    let block = &page[at..];
    let start = block.find("```nginx\n").unwrap() + "```nginx\n".len();
    let end = block[start..].find("```").unwrap();
    block[start..start + end].to_string()
}

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers too (SIGKILL would leave them running).
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn nginx_binary() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the origin lock test needs nginx: apt-get install nginx-light"
        );
        eprintln!("skipped: no nginx (apt-get install nginx-light)");
    }
    found
}

async fn get_with(base: &str, path: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut v = Visitor::new(base.to_string());
    let mut req = v.request(Method::GET, path);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let a = v.send(req.body(Empty::new().boxed()).unwrap()).await;
    (a.status, a.body)
}

#[tokio::test]
async fn the_origin_lock_lets_only_the_gateways_requests_past_an_nginx_set_up_as_readme_says() {
    let Some(nginx) = nginx_binary() else {
        return;
    };
    let up = upstream().await;
    let dir = temp_dir("origin-lock");
    let (secret_file, secret) = keygen(&dir, "origin.secret");
    let port = free_port();
    let server = readme_nginx_recipe()
        .replace("PASTE-THE-TEXT-OF-origin.secret", &secret)
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{port}"))
        .replace("http://127.0.0.1:8082", &up.url());
    assert!(
        server.contains(&secret),
        "the recipe names the secret: {server}"
    );
    let prefix = dir.join("nginx");
    std::fs::create_dir_all(&prefix).unwrap();
    let conf = prefix.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\n\
             events {{ worker_connections 64; }}\nhttp {{\naccess_log off;\n\
             client_body_temp_path {p}/body;\nproxy_temp_path {p}/proxy;\n{server}\n}}\n",
            p = prefix.display()
        ),
    )
    .unwrap();
    let _nginx = Nginx(
        Command::new(nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let nginx_url = format!("http://127.0.0.1:{port}");
    eventually("nginx listens", || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;

    // Straight to the booking site: refused, with no secret or a wrong one.
    assert_eq!(
        get_with(&nginx_url, "/book", &[]).await.0,
        StatusCode::FORBIDDEN
    );
    let wrong = get_with(
        &nginx_url,
        "/book",
        &[("x-origin-lock", "guess-guess-guess")],
    )
    .await;
    assert_eq!(wrong.0, StatusCode::FORBIDDEN);
    assert!(up.paths().is_empty(), "nothing reached the booking site");

    // Through the gateway: in, whatever a visitor claims the header is.
    let rooms = room(
        "r",
        &nginx_url,
        &format!(
            "admit_per_minute = 60\norigin_header = {{ name = \"X-Origin-Lock\", secret_file = \"{}\" }}",
            secret_file.display()
        ),
    );
    let gw = gateway(&config_text("", &rooms)).await;
    let through = get_with(&gw.base(), "/book", &[("x-origin-lock", "forged")]).await;
    assert_eq!(through, (StatusCode::OK, "upstream:/book".to_string()));
    let seen = up.last("/book").unwrap();
    let locks: Vec<_> = seen.headers.get_all("x-origin-lock").iter().collect();
    assert_eq!(locks, [secret.as_str()], "the gateway's secret, once");
}

fn run_example(
    program: &str,
    script: &str,
    key: &Path,
    room: &str,
    header: &str,
) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(script);
    let out = Command::new(program)
        .arg(script)
        .arg(key)
        .arg(room)
        .arg(header)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

fn have(program: &str, package: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "the admission header examples need {program}: apt-get install {package}"
        );
        eprintln!("skipped: no {program} (apt-get install {package})");
    }
    found
}

#[tokio::test]
async fn the_admission_header_is_signed_and_the_python_and_php_examples_verify_it() {
    if !have("python3", "python3") || !have("php", "php-cli") {
        return;
    }
    let up = upstream().await;
    let dir = temp_dir("admission");
    let (key_file, _) = keygen(&dir, "admission.key");
    let rooms = room(
        "impf",
        &up.url(),
        &format!(
            "admit_per_minute = 60\nbypass_paths = [\"/static/\"]\nadmission_header = true\n\
             admission_key_file = \"{}\"",
            key_file.display()
        ),
    );
    // On the system clock: the examples check the expiry against the real time.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let gw = gateway_at(&config_text("", &rooms), now).await;
    let mut v = gw.visitor();
    let forged = "v1.impf.0.0.9999999999.forged";
    let req = v
        .request(Method::GET, "/book")
        .header("x-wartesaal-admission", forged)
        .body(Empty::new().boxed())
        .unwrap();
    assert_eq!(v.send(req).await.body, "upstream:/book");
    let header = up.last("/book").unwrap().headers["x-wartesaal-admission"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(header, forged, "a visitor's own never passes");
    let seq = ticket_seq("impf", &v.cookie("wartesaal_impf").unwrap_or_default());
    for (program, script) in [
        ("python3", "verify_admission.py"),
        ("php", "verify_admission.php"),
    ] {
        assert_eq!(
            run_example(program, script, &key_file, "impf", &header),
            (true, seq.to_string()),
            "{script} takes the gateway's header"
        );
        let tampered = header.replacen(&format!(".{seq}."), &format!(".{}.", seq + 1), 1);
        for bad in [tampered.as_str(), forged, ""] {
            assert_eq!(
                run_example(program, script, &key_file, "impf", bad),
                (false, "refused".into()),
                "{script} refuses {bad:?}"
            );
        }
        assert!(!run_example(program, script, &key_file, "other", &header).0);
    }
    // Not let in through the line: no header, and a forged one stays behind.
    let mut v2 = gw.visitor();
    let req = v2
        .request(Method::GET, "/static/app.css")
        .header("x-wartesaal-admission", forged)
        .body(Empty::new().boxed())
        .unwrap();
    assert_eq!(v2.send(req).await.body, "upstream:/static/app.css");
    assert!(up
        .last("/static/app.css")
        .unwrap()
        .headers
        .get("x-wartesaal-admission")
        .is_none());
}

#[tokio::test]
async fn several_prefixes_bypass_agents_and_the_bypass_header_route_as_configured() {
    let up = upstream().await;
    let dir = temp_dir("routing");
    let (staff_file, staff) = keygen(&dir, "staff.secret");
    let rooms = room(
        "r",
        &up.url(),
        &format!(
            "path_prefixes = [\"/termine/\", \"/buchung/\"]\nadmit_per_minute = 0.1\n\
             bypass_user_agents = [\"Pingdom\", \"~^Googlebot/[0-9]\"]\n\
             bypass_header = {{ name = \"X-Staff\", secret_file = \"{}\" }}",
            staff_file.display()
        ),
    );
    let gw = gateway(&config_text("", &rooms)).await;
    let base = gw.base();
    // The first walks in; from then on both prefixes queue.
    assert_eq!(
        get_with(&base, "/termine/a", &[]).await.1,
        "upstream:/termine/a"
    );
    for path in ["/termine/b", "/buchung/c"] {
        let (status, body) = get_with(&base, path, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("ws-position"), "{path} waits: {body}");
    }
    // Outside every prefix: not the room's business.
    assert_eq!(
        get_with(&base, "/impressum", &[]).await.1,
        "upstream:/impressum"
    );
    // Monitoring and crawlers by their user agent, staff by the secret header.
    for (ua, passes) in [
        ("Pingdom.com_bot_version_1.4", true),
        ("Mozilla/5.0 (compatible; pingdom)", true),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", true),
        ("Googlebot-Image/1.0", false),
        ("Mozilla/5.0 (X11; Linux x86_64)", false),
    ] {
        let (_, body) = get_with(&base, "/buchung/x", &[("user-agent", ua)]).await;
        assert_eq!(body == "upstream:/buchung/x", passes, "{ua}: {body}");
    }
    let (_, body) = get_with(&base, "/buchung/staff", &[("x-staff", &staff)]).await;
    assert_eq!(body, "upstream:/buchung/staff");
    assert!(
        up.last("/buchung/staff")
            .unwrap()
            .headers
            .get("x-staff")
            .is_none(),
        "the staff secret stays with the gateway"
    );
    let (_, body) = get_with(
        &base,
        "/buchung/guess",
        &[("x-staff", "not-the-secret-at-all")],
    )
    .await;
    assert!(body.contains("ws-position"), "a wrong secret waits");
}

#[tokio::test]
async fn queue_all_holds_everyone_in_line_even_while_there_is_room() {
    let up = upstream().await;
    let config = config_full(
        &temp_dir("queue-all"),
        "",
        &admin_token_line(),
        &room("r", &up.url(), "admit_per_minute = 600"),
    );
    let gw = gateway(&config).await;
    let mut inside = gw.visitor();
    assert_eq!(inside.get("/").await.body, "upstream:/");
    let on = gw.patch("r", r#"{"queue_all": true}"#).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    assert_eq!(on.json()["queue_all"], true);
    // Plenty of room, nobody waiting: a newcomer waits all the same, and stays waiting.
    let mut newcomer = gw.visitor();
    let page = newcomer.get("/").await;
    assert!(page.body.contains("ws-position"), "{}", page.body);
    for _ in 0..3 {
        gw.advance(Duration::from_secs(30));
        let status = newcomer.status("r").await;
        assert_eq!(status["admitted"], false, "{status}");
        assert_eq!(status["state"], "held", "{status}");
    }
    // Those inside stay inside.
    assert_eq!(inside.get("/more").await.body, "upstream:/more");
    let off = gw.patch("r", r#"{"queue_all": false}"#).await;
    assert_eq!(off.status, StatusCode::OK);
    gw.advance(Duration::from_secs(1));
    assert_eq!(
        newcomer.get("/").await.body,
        "upstream:/",
        "the line moves again"
    );
    let bad = gw.patch("r", r#"{"queue_all": "yes"}"#).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("queue_all"), "{}", bad.body);
}

#[tokio::test]
async fn queue_all_holds_a_shared_room_at_once_on_every_gateway() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = upstream().await;
    let rooms = room("r", &up.url(), "admit_per_minute = 600");
    let clock = std::sync::Arc::new(wartesaal::clock::ManualClock::new(T0));
    let a = gateway_on(&config_redis(&redis.url(), "", &rooms), clock.clone()).await;
    let b = gateway_on(&config_redis(&redis.url(), "", &rooms), clock.clone()).await;
    eventually("a gateway walks a newcomer in", || async {
        a.visitor().get("/").await.body == "upstream:/"
    })
    .await;
    let on = a.patch("r", r#"{"queue_all": true}"#).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    // At once, at the other gateway too: no newcomer walks in, however much room there is.
    for gw in [&a, &b] {
        let mut v = gw.visitor();
        let page = v.get("/").await;
        assert!(page.body.contains("ws-position"), "{}", page.body);
    }
    assert_eq!(
        a.patch("r", r#"{"queue_all": false}"#).await.status,
        StatusCode::OK
    );
    // Lifted: the line moves on as time passes (the waiting ones first, then walk-ins).
    eventually("the line moves again", || async {
        clock.advance(Duration::from_secs(1));
        b.visitor().get("/").await.body == "upstream:/"
    })
    .await;
}
