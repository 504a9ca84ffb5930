//! The real binary as a child process: `kill -9` and restart, SIGHUP reload, SIGTERM drain.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Empty};

use crate::support::{self, local_addr, position, setup, write_config, Proc, Visitor, PATIENCE};

const BIN: &str = env!("CARGO_BIN_EXE_wartesaal");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_traffic_reuses_no_number_and_loses_no_place() {
    let up = support::upstream().await;
    // Slow enough that the line barely moves while the test runs.
    let (_dir, config) = setup("kill9", &up.url(), "admit_per_minute = 0.1");
    let mut gw = Proc::spawn(&config);

    let mut admitted = Visitor::new(gw.base());
    let a = admitted.get("/book").await;
    assert_eq!(
        a.body, "upstream:/book",
        "the first visitor walks straight in"
    );

    let mut waiting = Vec::new();
    for _ in 0..30 {
        let mut v = Visitor::new(gw.base());
        let a = v.get_json("/").await;
        assert_eq!(a.status, StatusCode::OK);
        let pos = position(&a.json());
        waiting.push((v, pos));
    }

    // Arrivals keep coming while the process is killed.
    let base = gw.base();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let traffic = tokio::spawn(async move {
        loop {
            let mut v = Visitor::new(base.clone());
            let req = v
                .request(Method::GET, "/")
                .header("accept", "application/json")
                .body(Empty::new().boxed())
                .unwrap();
            match v.try_send(req).await {
                Ok(a) if a.status == StatusCode::OK => {
                    let pos = position(&a.json());
                    if tx.send((v, pos)).is_err() {
                        return;
                    }
                }
                _ => return,
            }
        }
    });
    let mut during = Vec::new();
    while during.len() < 50 {
        during.push(rx.recv().await.expect("arrivals are served"));
    }
    gw.child.kill().unwrap(); // SIGKILL
    gw.child.wait().unwrap();
    traffic.await.unwrap();
    while let Ok(v) = rx.try_recv() {
        during.push(v);
    }
    waiting.extend(during);

    let gw = Proc::spawn(&config);
    let mut held = Vec::new();
    for (mut v, before) in waiting {
        v.base = gw.base();
        let after = position(&v.status("r").await);
        assert!(after <= before, "position {before} became {after}");
        held.push(after);
    }
    let mut newcomers = Vec::new();
    for _ in 0..10 {
        let mut v = Visitor::new(gw.base());
        newcomers.push(position(&v.get_json("/").await.json()));
    }
    let last_old = *held.iter().max().unwrap();
    assert!(last_old > 0);
    assert!(
        newcomers.iter().all(|&p| p > last_old),
        "new tickets {newcomers:?} behind every old one (last {last_old})"
    );
    let mut all: Vec<u64> = held
        .iter()
        .chain(&newcomers)
        .copied()
        .filter(|&p| p > 0)
        .collect();
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(
        all.len(),
        count,
        "no two tickets share a number: {held:?} {newcomers:?}"
    );

    admitted.base = gw.base();
    let a = admitted.get("/book").await;
    assert_eq!(
        a.body, "upstream:/book",
        "the pass from before the crash still works"
    );
}

/// One request on a raw keep-alive connection.
fn raw_get(stream: &mut TcpStream, path: &str) -> String {
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: site.test\r\nAccept: application/json\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).unwrap();
    format!("{head}{}", String::from_utf8(body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_without_dropping_anyone_and_a_bad_file_changes_nothing() {
    let up = support::upstream().await;
    let (dir, config) = setup("reload", &up.url(), "admit_per_minute = 0.1");
    let mut gw = Proc::spawn(&config);

    let mut first = Visitor::new(gw.base());
    assert_eq!(first.get("/").await.body, "upstream:/");
    let mut line = Vec::new();
    for _ in 0..5 {
        let mut v = Visitor::new(gw.base());
        let pos = position(&v.get_json("/").await.json());
        line.push((v, pos));
    }
    let mut conn = TcpStream::connect(gw.public).unwrap();
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    assert!(raw_get(&mut conn, "/.wartesaal/status?room=r").contains("\"admit_per_minute\":0.1"));

    // Rate changed and a room added.
    write_config(
        &config,
        &dir,
        &up.url(),
        "admit_per_minute = 0.2",
        &format!(
            "[[rooms]]\nid = \"s\"\npath_prefix = \"/s/\"\nupstream = \"{}\"\nadmit_per_minute = 0.1\n",
            up.url()
        ),
    );
    gw.signal("HUP");
    gw.wait_for("config reloaded");

    let answer = raw_get(&mut conn, "/.wartesaal/status?room=r");
    assert!(
        answer.contains("\"admit_per_minute\":0.2"),
        "same connection, new rate: {answer}"
    );
    for (v, before) in &mut line {
        let status = v.status("r").await;
        assert!(position(&status) <= *before);
    }
    let mut s_visitor = Visitor::new(gw.base());
    s_visitor.get("/s/termine").await;
    assert!(
        s_visitor.cookie("wartesaal_s").is_some(),
        "the new room issues tickets"
    );
    s_visitor.get("/s/termine").await;
    let mut second = Visitor::new(gw.base());
    let a = second.get_json("/s/termine").await;
    assert_eq!(a.json()["room"], "s");

    // A broken file: every problem logged, the old config keeps running.
    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:0\"\n[[rooms]]\nid = \"r\"\nadmit_per_minut = 5\n",
    )
    .unwrap();
    gw.signal("HUP");
    // The refusal is logged first, then each problem with its key.
    gw.wait_for_all(&[
        "reload refused",
        "rooms[0].admit_per_minut",
        "rooms[0].upstream",
    ]);
    let answer = raw_get(&mut conn, "/.wartesaal/status?room=r");
    assert!(answer.contains("\"admit_per_minute\":0.2"), "{answer}");
    let a = second.get_json("/s/termine").await;
    assert_eq!(a.json()["room"], "s", "the added room is still there");
    assert!(gw.child.try_wait().unwrap().is_none(), "still running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_slow_request_refuses_new_ones_and_saves_the_line() {
    let up = support::upstream().await;
    let (dir, config) = setup("term", &up.url(), "admit_per_minute = 600");
    let mut gw = Proc::spawn(&config);

    let mut v = Visitor::new(gw.base());
    assert_eq!(v.get("/warmup").await.body, "upstream:/warmup");
    let slow = tokio::spawn(async move { v.get("/slow?ms=1500").await });
    let deadline = Instant::now() + PATIENCE;
    while !up.paths().iter().any(|p| p == "/slow") {
        assert!(Instant::now() < deadline, "the slow request never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    gw.signal("TERM");
    gw.wait_for("shutting down");
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(gw.public).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    }
    let answer = slow.await.unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "slow", "the request in flight was finished");
    assert_eq!(gw.exit_code(), Some(0));
    let saved = std::fs::read_to_string(dir.join("state").join("r.state")).unwrap();
    assert!(saved.contains("\"clean\":true"), "{saved}");
}

#[test]
fn a_corrupt_state_file_stops_startup_with_a_way_out() {
    let (dir, config) = setup("corrupt", "http://127.0.0.1:9", "admit_per_minute = 60");
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("r.state"), "{\"format\":1,\"issued\":").unwrap();
    let out = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("r.state is corrupt"), "{err}");
    assert!(err.contains("move it away"), "{err}");
    assert_eq!(
        std::fs::read_to_string(state.join("r.state")).unwrap(),
        "{\"format\":1,\"issued\":",
        "the file is left as it was"
    );
}

#[test]
fn a_state_file_with_impossible_counters_stops_startup_at_once() {
    let (dir, config) = setup("impossible", "http://127.0.0.1:9", "admit_per_minute = 60");
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let max = u64::MAX;
    let file = format!(
        "{{\"format\":1,\"room\":\"r\",\"started_at\":1700000000,\"reserved\":{max},\
         \"issued\":{},\"cursor\":{},\"saved_at\":1700000000000,\"clean\":false}}",
        max - 1,
        max - 2
    );
    std::fs::write(state.join("r.state"), &file).unwrap();
    let mut child = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&config)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // A bound against a hang (the bug spun at 100 % CPU), not a measurement.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the gateway did not stop on an impossible state file");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("r.state is corrupt"), "{err}");
    assert!(err.contains("beyond any real line"), "{err}");
    assert_eq!(
        std::fs::read_to_string(state.join("r.state")).unwrap(),
        file
    );
}

/// `GET` on a gateway process's admin listener: status and JSON body (null if not JSON).
async fn admin_json(admin: SocketAddr, path: &str) -> (StatusCode, serde_json::Value) {
    let mut v = Visitor::new(format!("http://{admin}"));
    let a = v.get(path).await;
    let json = serde_json::from_str(&a.body).unwrap_or(serde_json::Value::Null);
    (a.status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cursor_lease_moves_on_when_its_holder_is_killed() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let up = support::upstream().await;
    let (dir, config) = setup("lease", &up.url(), "");
    // Ten a minute, one ticket walks in; the cursor moves every six seconds.
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ngrace_period = \"1s\"\n\
             [admin]\nlisten = \"127.0.0.1:0\"\n\
             [keys]\nfiles = [\"{key}\"]\n\
             [state]\nbackend = \"redis\"\nredis_url = \"{url}\"\nredis_new_line_hold = \"0s\"\n\
             [[rooms]]\nid = \"r\"\nupstream = \"{upstream}\"\nadmit_per_minute = 30\n",
            key = dir.join("secret.key").display(),
            url = redis.url(),
            upstream = up.url(),
        ),
    )
    .unwrap();
    let mut first = Proc::spawn(&config);
    let holder = |json: &serde_json::Value| json["backend"]["leader"] == true;
    let mut deadline = Instant::now() + PATIENCE;
    while !holder(&admin_json(first.admin, "/api/v1/rooms/r").await.1) {
        assert!(
            Instant::now() < deadline,
            "the first gateway never took the lease"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = Proc::spawn(&config);
    let (_, json) = admin_json(second.admin, "/api/v1/rooms/r").await;
    assert_eq!(json["backend"]["leader"], false, "one lease holder");

    // Three visitors through the second gateway: one walks in, two wait.
    let mut walk_in = Visitor::new(second.base());
    assert_eq!(walk_in.get("/book").await.body, "upstream:/book");
    let mut waiting = Vec::new();
    for _ in 0..2 {
        let mut v = Visitor::new(second.base());
        assert_eq!(v.get_json("/book").await.status, StatusCode::OK);
        waiting.push(v);
    }

    // The lease holder dies without a word; the second takes the lease over and calls them.
    first.signal("KILL");
    assert_eq!(first.exit_code(), None, "killed by a signal");
    deadline = Instant::now() + PATIENCE;
    loop {
        let (_, json) = admin_json(second.admin, "/api/v1/rooms/r").await;
        // Counted from the line's first number.
        if holder(&json) && json["cursor"] == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cursor stood still after its holder died: {json}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Called holders start their sessions at the rate too: one now, the next a moment later.
    for mut v in waiting {
        while v.get("/book").await.body != "upstream:/book" {
            assert!(Instant::now() < deadline, "a called visitor never got in");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let log = second.log.lock().unwrap().join("\n");
    assert!(log.contains("took the cursor lease"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_swaps_the_tls_certificate_and_a_wrong_key_stops_the_start() {
    let up = support::upstream().await;
    let pki = crate::tls::Pki::new("proc-tls");
    let old = pki.leaf("old");
    let (dir, config) = setup("tls", &up.url(), "admit_per_minute = 600");
    let tls = |leaf: &crate::tls::Leaf| crate::tls::tls_section(leaf, "");
    write_config(
        &config,
        &dir,
        &up.url(),
        "admit_per_minute = 600",
        &tls(&old),
    );
    let mut gw = Proc::spawn(&config);
    let line = gw
        .log
        .lock()
        .unwrap()
        .iter()
        .find(|l| l.contains("HTTPS listener ready"))
        .cloned()
        .expect("the HTTPS listener is logged before the admin one");
    let client = crate::tls::Https::new(local_addr(&line), pki.ca_der(), &[b"h2"]);
    assert_eq!(client.served_cert().await, old.der);

    // New files in place, then SIGHUP: the next connection gets the new certificate.
    let new = pki.leaf("new");
    std::fs::copy(&new.cert, &old.cert).unwrap();
    std::fs::copy(&new.key, &old.key).unwrap();
    gw.signal("HUP");
    gw.wait_for("config reloaded");
    assert_eq!(client.served_cert().await, new.der);

    // A key that is not the certificate's: the reload is refused and the pair serving stays.
    let other = pki.leaf("other");
    std::fs::copy(&other.key, &old.key).unwrap();
    gw.signal("HUP");
    gw.wait_for_all(&["reload refused", "server.tls.key"]);
    assert_eq!(client.served_cert().await, new.der);
    drop(gw);

    // The same files at start: a clear error naming the key, exit 64, nothing served.
    let out = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(
        stderr.contains("server.tls.key") && stderr.contains("does not belong to the certificate"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_asked_for_survives_kill_9_before_it_is_sent() {
    // The SMTP server's port, with nobody listening at first.
    let Some(down) = support::SmtpSink::start() else {
        return;
    };
    let port = down.kill();
    let up = support::upstream().await;
    let notify = format!(
        "admit_per_minute = 0.1\n[rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"termine@example.de\"\npublic_url = \"https://termine.example.de\"\n\
         lead_time = \"1h\""
    );
    let (_dir, config) = setup("notify-kill9", &up.url(), &notify);
    let mut gw = Proc::spawn(&config);
    Visitor::new(gw.base()).get("/").await;
    let mut v = Visitor::new(gw.base());
    v.get("/").await;
    let before = position(&v.status("r").await);
    let noted = v
        .post("/.wartesaal/notify?room=r", "email=eve%40example.org")
        .await;
    assert_eq!(noted.status, StatusCode::OK, "{}", noted.body);
    // Tried once (the server is down) and killed before the next try.
    gw.wait_for("sending an e-mail failed");
    gw.child.kill().unwrap(); // SIGKILL
    gw.child.wait().unwrap();
    assert!(
        !gw.log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("example.org")),
        "no address in the log"
    );

    let smtp = support::SmtpSink::start_on(port, &[]).unwrap();
    let gw = Proc::spawn(&config);
    support::eventually("the e-mail goes out after the restart", || async {
        !smtp.mails().is_empty()
    })
    .await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let link = mails[0].link();
    let path = link.strip_prefix("https://termine.example.de").unwrap();
    let mut phone = Visitor::new(gw.base());
    assert_eq!(phone.get(path).await.status, StatusCode::SEE_OTHER);
    // The same place (the restart's catch-up may have called it meanwhile).
    let after = position(&phone.status("r").await);
    assert!(after <= before, "position {before} became {after}");
}

/// Every sign-up answered 200 is on disk, whatever stops the gateway mid-flood: SIGTERM
/// (requests in flight finish, the line is saved) and `kill -9` (nothing but what the saves
/// put on disk before each 200). The addresses are read back from the state file after a
/// restart.
#[tokio::test]
async fn every_sign_up_answered_survives_sigterm_and_kill_9_mid_flood() {
    let up = support::upstream().await;
    let notify = "admit_per_minute = 0.1\n[rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:9\"\n\
                  from = \"termine@example.de\"\npublic_url = \"https://termine.example.de\"\n\
                  lead_time = \"1h\"\nper_client_per_hour = 1000\nper_network_per_hour = 1000";
    for signal in ["TERM", "KILL"] {
        let (dir, config) = setup(&format!("signup-{signal}"), &up.url(), notify);
        let mut gw = Proc::spawn(&config);
        let base = gw.base();
        let mut visitors = Vec::new();
        for _ in 0..81 {
            let mut v = Visitor::new(base.clone());
            v.get("/").await;
            visitors.push(v);
        }
        visitors.remove(0);
        let answered = Arc::new(Mutex::new(Vec::new()));
        let mut flood = Vec::new();
        for (i, mut v) in visitors.into_iter().enumerate() {
            let answered = answered.clone();
            flood.push(tokio::spawn(async move {
                let body: &'static str =
                    Box::leak(format!("email=p{i}%40example.org").into_boxed_str());
                let req = v
                    .request(Method::POST, "/.wartesaal/notify?room=r")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(
                        http_body_util::Full::new(bytes::Bytes::from_static(body.as_bytes()))
                            .boxed(),
                    )
                    .unwrap();
                if let Ok(a) = v.try_send(req).await {
                    if a.status == StatusCode::OK {
                        answered.lock().unwrap().push(format!("p{i}@example.org"));
                    }
                }
            }));
        }
        // Stopped once some are answered and more are on their way.
        support::eventually("the first sign-ups are answered", || {
            let n = answered.lock().unwrap().len();
            async move { n >= 10 }
        })
        .await;
        gw.signal(signal);
        for task in flood {
            let _ = task.await;
        }
        let _ = gw.exit_code();
        let answered = answered.lock().unwrap().clone();
        assert!(answered.len() >= 10, "{signal}: {}", answered.len());
        // Read back after a restart (which loads and saves the file again).
        let again = Proc::spawn(&config);
        drop(again);
        let saved: String = std::fs::read_dir(dir.join("state"))
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        for address in &answered {
            assert!(saved.contains(address.as_str()), "{signal}: {address} lost");
        }
    }
}
