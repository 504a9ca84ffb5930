//! Invitations: with `[rooms.invitations] required`, only a valid code draws a ticket; a code
//! draws once, durably, and entered again in any browser gives that ticket's place back;
//! unknown and expired codes are refused plainly and counted. `wartesaal invite` prints the
//! codes, batch after batch without overlap.

use std::process::Command;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use wartesaal::access::code::Invitation;
use wartesaal::access::ticket::{Keyring, Secret};

use crate::support::*;

const ROOM: &str = "admit_per_minute = 60\n[rooms.invitations]\nrequired = true\n";

fn code(index: u64, until: Option<u64>) -> String {
    let keys = Keyring::new(vec![Secret::from_bytes(SECRET)])
        .unwrap()
        .for_room("r");
    Invitation::new(index, until).unwrap().code(&keys)
}

async fn enter(v: &mut Visitor, code: &str) -> Answer {
    let req = v
        .request(Method::POST, "/.wartesaal/invitation?room=r")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(format!("code={code}"))).boxed())
        .unwrap();
    v.send(req).await
}

#[tokio::test]
async fn an_invitation_draws_once_durably_and_restores_its_place_after() {
    let up = upstream().await;
    let state = temp_dir("invitations");
    let config = config_in(&state, "", &room("r", &up.url(), ROOM));
    let gw = gateway(&config).await;

    // Without a code: the form, no ticket, nothing forwarded, even with nobody waiting.
    let mut v = gw.visitor();
    let form = v.get("/book").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Einladungscode"), "{}", form.body);
    assert!(form.body.contains("name=\"code\"") && !form.body.contains("<script"));
    assert!(v.cookie("wartesaal_r").is_none());
    assert!(up.paths().is_empty());
    let json = v.get_json("/book").await.json();
    assert_eq!(json["invitation"], "/.wartesaal/invitation?room=r");
    // The puzzle's door is shut too.
    let sneak = v
        .post("/.wartesaal/ticket?room=r", "challenge=x&nonce=1")
        .await;
    assert_ne!(sneak.status, StatusCode::OK);

    // A valid code draws and lets the visitor on to where they were going.
    let first = code(7, None);
    let drawn = enter(&mut v, &first).await;
    assert_eq!(drawn.status, StatusCode::SEE_OTHER, "{}", drawn.body);
    let seq = ticket_seq("r", &v.cookie("wartesaal_r").unwrap());
    assert_eq!(v.get("/book").await.status, StatusCode::OK);
    assert_eq!(up.paths(), vec!["/book".to_string()]);

    // The same code in another browser, typed sloppily: the same ticket, not a second one.
    let mut other = gw.visitor();
    let again = enter(&mut other, &first.to_lowercase().replace('-', "")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(ticket_seq("r", &other.cookie("wartesaal_r").unwrap()), seq);

    // Refusals say what is wrong.
    let mut wrong = first.clone().into_bytes();
    wrong[0] = if wrong[0] == b'Z' { b'Y' } else { b'Z' };
    let unknown = enter(&mut gw.visitor(), std::str::from_utf8(&wrong).unwrap()).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.contains("kennen wir nicht"),
        "{}",
        unknown.body
    );
    let expired = enter(&mut gw.visitor(), &code(8, Some(T0 / 1000 - 7200))).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("abgelaufen"), "{}", expired.body);
    let place_code = enter(&mut gw.visitor(), "ABCD-EFGH-JKMN-PQRS").await;
    assert_eq!(place_code.status, StatusCode::BAD_REQUEST);
    for (result, n) in [
        ("drawn", 1.0),
        ("restored", 1.0),
        ("unknown", 1.0),
        ("expired", 1.0),
        ("malformed", 1.0),
    ] {
        let series = format!("wartesaal_invitations_total{{result=\"{result}\",room=\"r\"}}");
        assert_eq!(gw.metric(&series).await, n, "{series}");
    }

    // After a restart the code still knows its ticket: it restores, it does not draw again.
    gw.stop().await;
    let gw = gateway(&config).await;
    let mut third = gw.visitor();
    let after = enter(&mut third, &first).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "{}", after.body);
    assert_eq!(ticket_seq("r", &third.cookie("wartesaal_r").unwrap()), seq);
    let fresh = enter(&mut gw.visitor(), &code(9, None)).await;
    assert_eq!(fresh.status, StatusCode::SEE_OTHER);
    assert_eq!(
        gw.metric("wartesaal_invitations_total{result=\"drawn\",room=\"r\"}")
            .await,
        1.0,
        "only the new code drew after the restart"
    );
}

#[test]
fn invite_prints_codes_batch_after_batch_without_overlap() {
    const BIN: &str = env!("CARGO_BIN_EXE_wartesaal");
    let dir = temp_dir("invite-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("secret.key");
    let out = Command::new(BIN).arg("keygen").output().unwrap();
    std::fs::write(&key, out.stdout).unwrap();
    let config = dir.join("w.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[state]\ndir = \"{}\"\n[keys]\nfiles = [\"{}\"]\n\
             [[rooms]]\nid = \"r\"\nupstream = \"http://127.0.0.1:9\"\nadmit_per_minute = 60\n\
             [rooms.invitations]\nrequired = true\n",
            dir.join("state").display(),
            key.display()
        ),
    )
    .unwrap();
    let invite = |args: &[&str]| {
        Command::new(BIN)
            .args(["invite", "--room", "r", "--config"])
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    let a = invite(&[
        "--count",
        "50",
        "--valid-until",
        "2027-03-01T00:00:00+01:00",
    ]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let b = invite(&["--count", "50"]);
    assert!(b.status.success());
    let lines = |o: &std::process::Output| -> Vec<String> {
        String::from_utf8(o.stdout.clone())
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    };
    let (a, b) = (lines(&a), lines(&b));
    assert_eq!((a.len(), b.len()), (50, 50));
    let mut all: Vec<&String> = a.iter().chain(&b).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 100, "no code twice");
    assert!(a
        .iter()
        .all(|c| c.len() == 20 && c.matches('-').count() == 2));
    let stderr = String::from_utf8(invite(&["--count", "1"]).stderr).unwrap();
    assert!(stderr.contains("indices 100 to 100"), "{stderr}");

    // Clear answers for what cannot be done.
    let none = invite(&["--count", "0"]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("--count"));
    let ledger = || std::fs::read_to_string(dir.join("state/r.invitations")).unwrap();
    let before = ledger();
    for when in [
        "2020-01-01T00:00:00Z",
        "2026-06-01T00:00:00Z",
        "2040-01-01T00:00:00Z",
    ] {
        let refused = invite(&["--count", "1", "--valid-until", when]);
        assert!(!refused.status.success(), "{when}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("--valid-until"));
    }
    assert_eq!(ledger(), before, "a refused run uses up no index");
}

#[tokio::test]
async fn with_redis_a_code_draws_once_across_gateways() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let up = upstream().await;
    let config = config_redis(&redis.url(), "", &room("r", &up.url(), ROOM));
    let (a, b) = (gateway(&config).await, gateway(&config).await);
    let invitation = code(41, None);
    let mut on_a = a.visitor();
    assert_eq!(
        enter(&mut on_a, &invitation).await.status,
        StatusCode::SEE_OTHER
    );
    let seq = ticket_seq("r", &on_a.cookie("wartesaal_r").unwrap());
    let mut on_b = b.visitor();
    let again = enter(&mut on_b, &invitation).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(ticket_seq("r", &on_b.cookie("wartesaal_r").unwrap()), seq);
    assert_eq!(
        b.metric("wartesaal_invitations_total{result=\"restored\",room=\"r\"}")
            .await,
        1.0
    );
    assert_eq!(
        redis
            .cli(&["HGET", "{wartesaal:r}:invitations", "41"])
            .trim(),
        seq.to_string()
    );
}
