//! Shutdown and restart lose nothing: the real gateway process stopped by SIGTERM or `kill -9`
//! in the middle of e-mail sign-ups, invitation uses and operator changes, or in the middle of
//! the opening's draw, on the embedded state and on Redis. Every answered one is read back
//! after the restart, record by record, from the backend and through the restarted gateway.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use wartesaal::access::code::Invitation;
use wartesaal::access::ticket::{Keyring, RoomKeys, Secret};

use crate::support::{self, position, Answer, Proc, RedisServer, Visitor, ADMIN_TOKEN};

/// Where the room's state lives across the restart.
enum Store {
    /// `state.dir`, in the test's directory.
    Embedded,
    /// A `redis-server` of the test's own, which outlives the gateway.
    Redis(RedisServer),
}

impl Store {
    /// The Redis variant, unless `redis-server` is missing (outside CI the test then passes
    /// nothing, as every Redis test does).
    fn redis() -> Option<Store> {
        RedisServer::start().map(Store::Redis)
    }

    fn state_section(&self, dir: &Path) -> String {
        match self {
            Store::Embedded => format!("dir = \"{}\"", dir.join("state").display()),
            Store::Redis(redis) => format!(
                "backend = \"redis\"\nredis_url = \"{}\"\nredis_new_line_hold = \"0s\"",
                redis.url()
            ),
        }
    }

    /// Whether the letter of ticket `seq` to `address` is kept where this store keeps letters.
    fn keeps_letter(&self, dir: &Path, seq: u64, address: &str) -> bool {
        match self {
            Store::Embedded => std::fs::read_dir(dir.join("state"))
                .unwrap()
                .flatten()
                .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(address))),
            Store::Redis(redis) => redis
                .cli(&["HGET", "{wartesaal:r}:letters", &seq.to_string()])
                .contains(address),
        }
    }
}

/// A directory with a key and the config of room `r` in front of `upstream`, its state in
/// `store`, with the admin API's token. `room_extra` may end in the room's own sections.
fn setup_on(name: &str, upstream: &str, store: &Store, room_extra: &str) -> (PathBuf, PathBuf) {
    let (dir, config) = support::setup(name, upstream, "");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ngrace_period = \"10s\"\n\
             trusted_proxies = [\"127.0.0.1/32\"]\n\
             [admin]\nlisten = \"127.0.0.1:0\"\n{token}\n\
             [keys]\nfiles = [\"{key}\"]\n\
             [state]\n{state}\n\
             [[rooms]]\nid = \"r\"\nupstream = \"{upstream}\"\n{room_extra}\n",
            token = support::admin_token_line(),
            key = dir.join("secret.key").display(),
            state = store.state_section(&dir),
        ),
    )
    .unwrap();
    (dir, config)
}

/// Room `r`'s keys, from the key file `setup_on` made.
fn room_keys(dir: &Path) -> RoomKeys {
    let text = std::fs::read_to_string(dir.join("secret.key")).unwrap();
    Keyring::new(vec![Secret::from_base64(text.trim()).unwrap()])
        .unwrap()
        .for_room("r")
}

/// The ticket number in `v`'s ticket for room `r`.
fn seq_of(keys: &RoomKeys, v: &Visitor) -> u64 {
    let cookie = v.cookie("wartesaal_r").expect("a ticket");
    keys.verify(&cookie, 0).expect("a genuine ticket").seq
}

/// A form posted by `v`, a visitor at the client address `index` names (through a trusted
/// proxy: invitations are guessed at a few a minute per address); an error once the gateway
/// is gone.
async fn post_form(
    v: &mut Visitor,
    index: u64,
    path: &str,
    body: String,
) -> Result<Answer, String> {
    let req = v
        .request(Method::POST, path)
        .header(
            "x-forwarded-for",
            format!("10.0.{}.{}", index / 256, index % 256),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)).boxed())
        .unwrap();
    v.try_send(req).await
}

/// `GET` on the admin listener: the room's figures and settings.
async fn room_json(admin: SocketAddr) -> serde_json::Value {
    let a = Visitor::new(format!("http://{admin}"))
        .get("/api/v1/rooms/r")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()
}

const CHANGES: &str = "admit_per_minute = 0.1\n\
     [rooms.invitations]\nrequired = true\n\
     [rooms.notify]\nsmtp_url = \"smtp://127.0.0.1:9\"\nfrom = \"termine@example.de\"\n\
     public_url = \"https://termine.example.de\"\nlead_time = \"1h\"\n\
     per_client_per_hour = 1000\nper_network_per_hour = 1000";

/// How many visitors enter invitations and sign up at once.
const VISITING: usize = 8;

/// What the gateway answered before it was stopped.
#[derive(Default)]
struct Answered {
    /// Invitation index, the ticket number it drew, and the visitor holding it.
    invitations: Vec<(u64, u64, Visitor)>,
    /// Invitation index and ticket number of each e-mail sign-up answered 200 (to
    /// `address(index)`), and its visitor.
    sign_ups: Vec<(u64, u64, Visitor)>,
    /// The last operator change answered 200, and the last one sent.
    changed: Option<u64>,
    sent: u64,
}

/// The e-mail address visitor `index` gives.
fn address(index: u64) -> String {
    format!("p{index}@example.org")
}

/// Operator change `k`: a rate, a message, and paused for odd `k`.
fn change(k: u64) -> (f64, String, &'static str) {
    let state = if k % 2 == 1 { "paused" } else { "open" };
    ((10 + k) as f64 / 100.0, format!("Änderung {k}"), state)
}

/// Visitor after visitor (the next invitation index each) enters an invitation and then
/// gives an e-mail address, until the gateway is gone; each answered step is noted.
async fn invited_and_signed_up(
    base: String,
    keys: RoomKeys,
    next: Arc<AtomicU64>,
    noted: Arc<Mutex<Answered>>,
) {
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let mut v = Visitor::new(base.clone());
        let code = Invitation::new(index, None).unwrap().code(&keys);
        let path = "/.wartesaal/invitation?room=r";
        match post_form(&mut v, index, path, format!("code={code}")).await {
            Ok(a) if a.status == StatusCode::SEE_OTHER => {}
            _ => return,
        }
        let seq = seq_of(&keys, &v);
        let drawn = (index, seq, v.clone());
        noted.lock().unwrap().invitations.push(drawn);
        let body = format!("email={}", address(index).replace('@', "%40"));
        match post_form(&mut v, index, "/.wartesaal/notify?room=r", body).await {
            Ok(a) if a.status == StatusCode::OK => {
                noted.lock().unwrap().sign_ups.push((index, seq, v));
            }
            _ => return,
        }
    }
}

/// Operator changes one after another until the gateway is gone.
async fn operate(admin: SocketAddr, noted: Arc<Mutex<Answered>>) {
    for k in 0.. {
        noted.lock().unwrap().sent = k;
        let (rate, message, state) = change(k);
        let body = serde_json::json!({
            "admit_per_minute": rate, "message": {"de": message}, "state": state,
        });
        match patch(admin, body).await {
            Ok(a) if a.status == StatusCode::OK => noted.lock().unwrap().changed = Some(k),
            _ => return,
        }
    }
}

/// `PATCH /api/v1/rooms/r` with the operator's token; an error once the gateway is gone.
async fn patch(admin: SocketAddr, body: serde_json::Value) -> Result<Answer, String> {
    let mut v = Visitor::new(format!("http://{admin}"));
    let req = v
        .request(Method::PATCH, "/api/v1/rooms/r")
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .body(Full::new(Bytes::from(body.to_string())).boxed())
        .unwrap();
    v.try_send(req).await
}

/// Visitors enter invitations and give addresses, eight at a time, while an operator changes
/// the room; `signal` stops the gateway in the midst of it, once some of each are answered.
/// After the restart each answered one is there: the letter in the store and known to the gateway (a second sign-up is "noted
/// already"), the code restoring its own ticket instead of drawing another, and the room as
/// the last answered change left it (or the one sent after it, if that took effect unanswered).
async fn stop_mid_changes(store: &Store, name: &str, signal: &str) {
    let up = support::upstream().await;
    let (dir, config) = setup_on(&format!("{name}-{signal}"), &up.url(), store, CHANGES);
    let keys = room_keys(&dir);
    let mut gw = Proc::spawn(&config);
    let noted = Arc::new(Mutex::new(Answered::default()));
    let mut tasks = vec![tokio::spawn(operate(gw.admin, noted.clone()))];
    let next = Arc::new(AtomicU64::new(0));
    for _ in 0..VISITING {
        let (base, keys, noted) = (gw.base(), keys.clone(), noted.clone());
        let next = next.clone();
        tasks.push(tokio::spawn(invited_and_signed_up(base, keys, next, noted)));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (signed, changed) = {
            let n = noted.lock().unwrap();
            (n.sign_ups.len(), n.changed)
        };
        if signed >= 30 && changed.is_some_and(|k| k >= 3) {
            break;
        }
        let log = gw.log.lock().unwrap().join("\n");
        let tried = noted.lock().unwrap().invitations.len();
        assert!(
            std::time::Instant::now() < deadline,
            "{signal}: {tried} invitations, {signed} sign-ups, change {changed:?}\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gw.signal(signal);
    for task in tasks {
        let _ = task.await;
    }
    let _ = gw.exit_code();
    let noted = std::mem::take(&mut *noted.lock().unwrap());
    for (index, seq, _) in &noted.sign_ups {
        let address = address(*index);
        assert!(
            store.keeps_letter(&dir, *seq, &address),
            "{signal}: {address} lost"
        );
    }

    let gw = Proc::spawn(&config);
    let room = room_json(gw.admin).await;
    let last = noted.changed.unwrap();
    let kept = |k: u64| {
        let (rate, message, state) = change(k);
        room["admit_per_minute"].as_f64() == Some(rate)
            && room["message"]["de"] == message.as_str()
            && room["state"] == state
    };
    assert!(
        kept(last) || (noted.sent > last && kept(noted.sent)),
        "{signal}: change {last} was answered, the room is now {room}"
    );
    for (index, seq, _) in &noted.invitations {
        let mut v = Visitor::new(gw.base());
        let code = Invitation::new(*index, None).unwrap().code(&keys);
        let again = post_form(
            &mut v,
            *index,
            "/.wartesaal/invitation?room=r",
            format!("code={code}"),
        );
        let again = again.await.unwrap();
        assert_eq!(
            again.status,
            StatusCode::SEE_OTHER,
            "{signal}: invitation {index}, ticket {seq}, room {}",
            room_json(gw.admin).await
        );
        assert_eq!(seq_of(&keys, &v), *seq, "{signal}: invitation {index}");
    }
    for (index, seq, mut v) in noted.sign_ups {
        v.base = gw.base();
        let body = format!("email={}", address(index).replace('@', "%40"));
        let again = post_form(&mut v, index, "/.wartesaal/notify?room=r", body);
        let again = again.await.unwrap();
        assert_eq!(again.status, StatusCode::CONFLICT, "{signal}: ticket {seq}");
        // Noted already; or called meanwhile (after `kill -9` the cursor resumes as far as
        // it could have moved), when a letter would come too late and is not kept.
        if again.body.contains("schon an der Reihe") {
            let status = v.status("r").await;
            let called = status["admitted"] == true || status["eta_seconds"] == 0;
            assert!(called, "{signal}: ticket {seq} is not called: {status}");
        } else {
            // The same address again: noted already, said again.
            let noted = again.body.contains(&address(index));
            assert!(noted, "{signal}: ticket {seq}: {}", again.body);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_sign_ups_invitations_and_changes_survive_sigterm_and_kill_9_on_redis() {
    for signal in ["TERM", "KILL"] {
        let Some(store) = Store::redis() else {
            return;
        };
        stop_mid_changes(&store, "changes-redis", signal).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_sign_ups_invitations_and_changes_survive_sigterm_and_kill_9_embedded() {
    for signal in ["TERM", "KILL"] {
        stop_mid_changes(&Store::Embedded, "changes-embedded", signal).await;
    }
}

/// `GET` asking for JSON; an error once the gateway is gone or answers other than 200.
async fn try_json(v: &mut Visitor, path: &str) -> Result<serde_json::Value, String> {
    let req = v
        .request(Method::GET, path)
        .header("accept", "application/json")
        .body(http_body_util::Empty::new().boxed())
        .unwrap();
    let a = v.try_send(req).await?;
    match a.status {
        StatusCode::OK => Ok(a.json()),
        other => Err(format!("{other}: {}", a.body)),
    }
}

/// One arrival: its visitor, ticket number, whether it came before the opening (into the
/// draw), and the best place it was shown before the gateway stopped.
#[derive(Clone)]
struct Arrival {
    v: Visitor,
    seq: u64,
    drawn: bool,
    shown: Option<u64>,
}

/// Arrivals one after another until the gateway is gone.
async fn keep_arriving(base: String, keys: RoomKeys, seen: Arc<Mutex<Vec<Arrival>>>) {
    loop {
        let mut v = Visitor::new(base.clone());
        let Ok(json) = try_json(&mut v, "/").await else {
            return;
        };
        // No place yet: in the pre-queue, for the draw.
        let drawn = json["position"].is_null() && json["admitted"] != true;
        let shown = shown_place(&json);
        let seq = seq_of(&keys, &v);
        let arrival = Arrival {
            v,
            seq,
            drawn,
            shown,
        };
        seen.lock().unwrap().push(arrival);
    }
}

/// The pages of those who arrived ask for their status, round after round, until the gateway
/// is gone; the best place each was shown once the line is open is noted.
async fn keep_polling(seen: Arc<Mutex<Vec<Arrival>>>) {
    loop {
        let len = seen.lock().unwrap().len();
        for i in 0..len {
            let mut v = seen.lock().unwrap()[i].v.clone();
            let Ok(json) = try_json(&mut v, "/.wartesaal/status?room=r").await else {
                return;
            };
            if let Some(place) = shown_place(&json) {
                let arrival = &mut seen.lock().unwrap()[i];
                arrival.shown = Some(arrival.shown.map_or(place, |s| s.min(place)));
            }
        }
        tokio::task::yield_now().await;
    }
}

/// The place a status shows: 0 once let in, none while the draw is not known yet.
fn shown_place(status: &serde_json::Value) -> Option<u64> {
    match status["admitted"] == true {
        true => Some(0),
        false => status["position"].as_u64(),
    }
}

/// How many arrive at once while the opening's draw is made.
const ARRIVING: usize = 4;

/// A pre-queue that opens a few seconds from now, arrivals four at a time and every page
/// polling its status; `signal` goes to the gateway the moment it says the room is open, so it
/// meets the draw being made and written. The operator has paused the room, so that nobody is
/// called meanwhile: positions stand still and can be compared with each other (a called
/// holder's claim moves everyone's position while the pages are read), and the draw is made
/// at the opening all the same. After the restart: every ticket answered before the
/// opening has its own place inside the draw, nobody was shown a better place than they have
/// now, those who came after the opening are behind the draw in their order, no number is
/// held twice, and newcomers queue behind everyone.
async fn stop_mid_draw(store: &Store, name: &str, signal: &str) {
    let up = support::upstream().await;
    let at = |secs: i64| {
        let now = SystemTime::now();
        let t = if secs < 0 {
            now - Duration::from_secs(secs.unsigned_abs())
        } else {
            now + Duration::from_secs(secs as u64)
        };
        humantime::format_rfc3339_seconds(t).to_string()
    };
    let schedule = format!(
        "admit_per_minute = 0.1\n[rooms.schedule]\nprequeue_from = \"{}\"\nopens_at = \"{}\"",
        at(-60),
        at(6)
    );
    let (dir, config) = setup_on(&format!("{name}-{signal}"), &up.url(), store, &schedule);
    let keys = room_keys(&dir);
    let mut gw = Proc::spawn(&config);
    let paused = patch(gw.admin, serde_json::json!({"state": "paused"})).await;
    assert_eq!(paused.unwrap().status, StatusCode::OK);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = vec![tokio::spawn(keep_polling(seen.clone()))];
    for _ in 0..ARRIVING {
        let (base, keys, seen) = (gw.base(), keys.clone(), seen.clone());
        tasks.push(tokio::spawn(keep_arriving(base, keys, seen)));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while room_json(gw.admin).await["schedule"]["phase"] != "open" {
        assert!(
            std::time::Instant::now() < deadline,
            "the room never opened"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gw.signal(signal);
    for task in tasks {
        let _ = task.await;
    }
    let _ = gw.exit_code();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.iter().filter(|a| a.drawn).count() >= 8,
        "{signal}: a pre-queue"
    );
    let gw = Proc::spawn(&config);
    after_the_draw(&gw, &keys, seen, signal).await;
}

/// The checks of `stop_mid_draw`, at the restarted gateway. Positions count from 1 for
/// the next one called; 0 is let in already (more than one may be by now).
async fn after_the_draw(gw: &Proc, keys: &RoomKeys, seen: Vec<Arrival>, signal: &str) {
    let room = room_json(gw.admin).await;
    assert_eq!(room["state"], "paused", "{signal}");
    let draw = &room["schedule"]["prequeue"];
    assert_eq!(draw["frozen"], true, "{signal}: {draw}");
    let first = room["base"].as_u64().unwrap() + draw["first_ticket"].as_u64().unwrap();
    let size = draw["size"].as_u64().unwrap();
    let mut numbers = HashSet::new();
    let mut places = HashSet::new();
    let (mut in_draw, mut after_it) = (Vec::new(), Vec::new());
    for mut arrival in seen {
        let seq = arrival.seq;
        assert!(numbers.insert(seq), "{signal}: {seq} twice");
        arrival.v.base = gw.base();
        let place = position(&arrival.v.status("r").await);
        assert!(
            place == 0 || places.insert(place),
            "{signal}: place {place} twice"
        );
        if let Some(shown) = arrival.shown {
            assert!(
                place <= shown,
                "{signal}: {seq} was shown {shown}, has {place}"
            );
        }
        let drawn = (first..first + size).contains(&seq);
        // Answered "wait for the draw": in it.
        assert!(
            drawn || !arrival.drawn,
            "{signal}: {seq} left out of {first}+{size}"
        );
        match drawn {
            true => in_draw.push(place),
            false => after_it.push((seq, place)),
        }
    }
    // The draw holds every answered ticket of the pre-queue, and at most the few numbers that
    // were drawn but never answered besides; its places count people.
    assert!(
        size - in_draw.len() as u64 <= ARRIVING as u64,
        "{signal}: {size}"
    );
    let last_drawn = in_draw.iter().copied().max().unwrap();
    assert!(
        last_drawn <= size,
        "{signal}: {in_draw:?} in a draw of {size}"
    );
    after_it.sort_unstable();
    let order: Vec<u64> = after_it.iter().map(|(_, p)| *p).collect();
    assert!(
        order.iter().all(|&p| p > last_drawn),
        "{signal}: {order:?} behind {last_drawn}"
    );
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{signal}: {order:?}");
    let last = places.iter().copied().max().unwrap();
    for _ in 0..3 {
        let mut v = Visitor::new(gw.base());
        let place = position(&v.get_json("/").await.json());
        assert!(
            place > last,
            "{signal}: a newcomer at {place}, before {last}"
        );
        let fresh = numbers.insert(seq_of(keys, &v));
        assert!(fresh, "{signal}: a newcomer's number");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_the_draw_loses_no_place_and_repeats_no_number_embedded() {
    for signal in ["TERM", "KILL"] {
        stop_mid_draw(&Store::Embedded, "draw-embedded", signal).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_the_draw_loses_no_place_and_repeats_no_number_on_redis() {
    for signal in ["TERM", "KILL"] {
        let Some(store) = Store::redis() else {
            return;
        };
        stop_mid_draw(&store, "draw-redis", signal).await;
    }
}
