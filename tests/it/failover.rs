//! Redis as operators run it, with real servers of each test's own: a primary and its replica
//! promoted while gateways still reach the old one, Sentinel moving the primary mid-storm, TLS
//! with certificates made here, and a least-privilege ACL user.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use wartesaal::clock::ManualClock;

use crate::forwarder::Forwarder;
use crate::support::{self, Gateway, RedisServer, Sentinels, Visitor, T0};

pub(crate) async fn room_json(gw: &Gateway) -> serde_json::Value {
    let a = gw.admin(Method::GET, "/api/v1/rooms/r", None, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()
}

/// An arrival at `gw`: its ticket number if it got one (and then it waits), `None` if it was
/// asked to come back.
pub(crate) async fn arrive(gw: &Gateway) -> Option<(Visitor, u64)> {
    let mut v = gw.visitor();
    let page = v.get("/book").await;
    match page.status {
        StatusCode::OK => {
            let seq = support::ticket_seq("r", &v.cookie("wartesaal_r").expect("a ticket"));
            Some((v, seq))
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            assert!(v.cookie("wartesaal_r").is_none(), "no number with a 503");
            None
        }
        other => panic!("unexpected {other}: {}", page.body),
    }
}

/// An arrival at `gw` that gets a number, once Redis lets it: polled like `eventually`.
pub(crate) async fn arrive_soon(gw: &Gateway, what: &str) -> (Visitor, u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(drawn) = arrive(gw).await {
            return drawn;
        }
        if std::time::Instant::now() >= deadline {
            let json = room_json(gw).await;
            panic!("never happened: {what}: {json}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Numbers drawn at `gw` until it has `n`, every one waiting.
pub(crate) async fn draw_n(gw: &Gateway, n: usize) -> Vec<(Visitor, u64)> {
    let mut line = Vec::new();
    while line.len() < n {
        line.push(arrive_soon(gw, "a number").await);
    }
    line
}

/// Two gateways on `config`, sharing one clock, once both reach Redis.
async fn two_on(config: &str) -> (Gateway, Gateway) {
    let clock = Arc::new(ManualClock::new(T0));
    let a = support::gateway_on(config, clock.clone()).await;
    let b = support::gateway_on(config, clock).await;
    for gw in [&a, &b] {
        support::eventually("both gateways reach Redis", || async {
            room_json(gw).await["backend"]["available"] == true
        })
        .await;
    }
    (a, b)
}

/// `n` arrivals alternating between `a` and `b`, each given a number.
async fn line_at(a: &Gateway, b: &Gateway, n: usize) -> Vec<(Visitor, u64)> {
    let mut line = Vec::new();
    for i in 0..n {
        let gw = if i % 2 == 0 { a } else { b };
        line.push(arrive(gw).await.expect("a number"));
    }
    line
}

/// Every ticket of `line` (drawn alternately at `a` and `b`, the first let in) still has
/// its place, in number order, asked at the gateway it did not come from.
async fn still_in_line(a: &Gateway, b: &Gateway, line: &mut [(Visitor, u64)]) {
    let base = room_json(a).await["base"].as_u64().unwrap();
    let cursor = room_json(a).await["cursor"].as_u64().unwrap() + base;
    for (i, (v, seq)) in line.iter_mut().enumerate().skip(1) {
        v.base = if i % 2 == 0 { b.base() } else { a.base() };
        let status = v.status("r").await;
        let place = *seq - cursor + 1;
        assert_eq!(status["position"], place, "ticket {seq}: {status}");
    }
}

/// Every number once: panics naming the one handed out twice.
pub(crate) fn all_different(numbers: impl IntoIterator<Item = u64>) -> usize {
    let mut seen = HashSet::new();
    for n in numbers {
        assert!(seen.insert(n), "number {n} handed out twice");
    }
    seen.len()
}

/// A primary and its replica; gateways reach Redis through a forwarder each (a virtual IP).
/// The replica is promoted; B's forwarder moves to it at once, A's only later. For that while
/// both servers take writes, and before, numbers drawn on the old primary were never waited
/// for: the same numbers were handed out on both sides.
#[tokio::test]
async fn a_failover_with_both_sides_drawing_hands_no_number_out_twice() {
    let Some(primary) = RedisServer::start() else {
        return;
    };
    let replica = RedisServer::replica_of(primary.port);
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 1");
    let (fa, fb) = (
        Forwarder::start(primary.port).await,
        Forwarder::start(primary.port).await,
    );
    let clock = Arc::new(ManualClock::new(T0));
    let state = "redis_min_replicas = 1";
    let a = support::gateway_on(
        &support::config_redis(&fa.url(), state, &room),
        clock.clone(),
    )
    .await;
    let b = support::gateway_on(
        &support::config_redis(&fb.url(), state, &room),
        clock.clone(),
    )
    .await;

    let mut line = line_at(&a, &b, 8).await;

    // The replica is promoted; B reaches it at once, A still the old primary.
    assert_eq!(replica.cli(&["REPLICAOF", "NO", "ONE"]), "OK");
    fb.point_at(replica.port);
    support::eventually("B reaches the promoted replica", || async {
        room_json(&b).await["backend"]["available"] == true
    })
    .await;
    let mut handed = Vec::new();
    for _ in 0..4 {
        for gw in [&a, &b] {
            // Neither side has a replica to confirm a number now: nobody gets one.
            if let Some(drawn) = arrive(gw).await {
                handed.push(drawn);
            }
        }
    }
    all_different(line.iter().chain(&handed).map(|(_, s)| *s));
    assert!(
        handed.is_empty(),
        "a number no replica holds was handed out"
    );

    // The old primary rejoins as a replica of the new one (as Sentinel would have it).
    assert_eq!(
        primary.cli(&["REPLICAOF", "127.0.0.1", &replica.port.to_string()]),
        "OK"
    );
    support::eventually("the new primary has its replica", || async {
        replica
            .cli(&["INFO", "replication"])
            .contains("connected_slaves:1")
    })
    .await;
    handed.push(arrive_soon(&b, "B hands out numbers again").await);
    // A still reaches the old primary, a replica now: it hands out nothing until it moves.
    assert!(arrive(&a).await.is_none());
    fa.point_at(replica.port);
    handed.push(arrive_soon(&a, "A hands out numbers again").await);
    for i in 0..6 {
        handed.push(
            arrive(if i % 2 == 0 { &a } else { &b })
                .await
                .expect("a number"),
        );
    }

    let numbers = line.iter().chain(&handed).map(|(_, s)| *s);
    assert_eq!(all_different(numbers), line.len() + handed.len());
    // Nobody lost their place: every early ticket is still in line, in order, on both.
    still_in_line(&a, &b, &mut line).await;
}

/// Two gateways find the primary through three sentinels; a forced failover in the middle of a
/// storm of arrivals moves it. No number is handed out twice, nobody's place is lost, and new
/// numbers come again within seconds, from the new primary.
#[tokio::test]
async fn a_sentinel_failover_mid_storm_loses_no_place_and_repeats_no_number() {
    let Some(primary) = RedisServer::start() else {
        return;
    };
    // Two replicas, as a production setup with `redis_min_replicas = 1` has: the one not
    // promoted follows the new primary at once and confirms its numbers.
    let replicas = [
        RedisServer::replica_of(primary.port),
        RedisServer::replica_of(primary.port),
    ];
    let sentinels = Sentinels::start(primary.port, 2);
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 1");
    // The URL gives the database; its host is replaced by the primary the sentinels name.
    let config = support::config_redis("redis://127.0.0.1:1/0", &sentinels.config_lines(), &room);
    let (a, b) = two_on(&config).await;
    let mut line = line_at(&a, &b, 10).await;
    assert_eq!(
        support::redis_cli(sentinels.ports[0], &["SENTINEL", "FAILOVER", "wartesaal"]),
        "OK"
    );
    // The storm goes on while the primary moves: some are asked to come back, none is given
    // a number twice.
    let mut handed = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sentinels.primary() == primary.port {
        assert!(
            std::time::Instant::now() < deadline,
            "the failover never happened"
        );
        for gw in [&a, &b] {
            if let Some(drawn) = arrive(gw).await {
                handed.push(drawn);
            }
        }
    }
    // Numbers again from the new primary, at both (each polled for at most 10 s).
    handed.push(arrive_soon(&a, "A draws on the new primary").await);
    handed.push(arrive_soon(&b, "B draws on the new primary").await);
    let promoted = replicas.iter().find(|r| r.port == sentinels.primary());
    assert!(promoted
        .expect("a replica promoted")
        .cli(&["ROLE"])
        .starts_with("master"));
    let numbers = line.iter().chain(&handed).map(|(_, s)| *s);
    assert_eq!(all_different(numbers), line.len() + handed.len());

    // Everyone who drew before the failover is still in line, in order, on both gateways.
    still_in_line(&a, &b, &mut line).await;
    drop(primary);
}

/// A `redis-server` answering TLS only, with a certificate of a CA made here; `clients`
/// says whether it asks clients for a certificate of that CA too.
fn tls_redis(pki: &crate::tls::Pki, clients: bool) -> RedisServer {
    let leaf = pki.leaf("redis");
    let port = support::free_port();
    let (cert, key, ca) = (
        leaf.cert.display().to_string(),
        leaf.key.display().to_string(),
        pki.ca_file().display().to_string(),
    );
    let tls_port = port.to_string();
    let args = [
        "--port",
        "0",
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        if clients { "yes" } else { "no" },
    ];
    RedisServer::start_tls(port, &args, &cert, &key, &ca)
}

/// rediss:// with the Redis server's certificate checked against a private CA, and with a
/// client certificate where Redis asks for one. Without the CA the certificate is refused
/// (it is not signed by any of the system's roots): the gateway holds instead of talking to a
/// server it cannot trust.
#[tokio::test]
async fn redis_over_tls_checks_the_server_and_can_show_a_client_certificate() {
    if RedisServer::start().is_none() {
        return;
    }
    let pki = crate::tls::Pki::new("redis-tls");
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 60");
    let clock = Arc::new(ManualClock::new(T0));

    let server = tls_redis(&pki, false);
    let url = format!("rediss://localhost:{}/0", server.port);
    let ca = format!("redis_ca_file = \"{}\"", pki.ca_file().display());
    let gw = support::gateway_on(&support::config_redis(&url, &ca, &room), clock.clone()).await;
    support::eventually("the gateway reaches Redis over TLS", || async {
        room_json(&gw).await["backend"]["available"] == true
    })
    .await;
    let mut v = gw.visitor();
    assert_eq!(v.get("/book").await.body, "upstream:/book");
    assert!(server.cli(&["KEYS", "*"]).contains("{wartesaal:r}:line"));

    // The system's roots do not know this CA: the handshakes fail, the line holds.
    let other = tls_redis(&pki, false);
    let url_other = format!("rediss://localhost:{}/0", other.port);
    let untrusting =
        support::gateway_on(&support::config_redis(&url_other, "", &room), clock.clone()).await;
    support::eventually("the gateway tried several times", || async {
        other
            .cli(&["INFO", "stats"])
            .lines()
            .find_map(|l| l.strip_prefix("total_connections_received:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .is_some_and(|n| n >= 3)
    })
    .await;
    assert_eq!(room_json(&untrusting).await["backend"]["available"], false);
    assert_eq!(
        untrusting.visitor().get("/book").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        other.cli(&["KEYS", "*"]),
        "",
        "nothing written over an untrusted link"
    );

    // A Redis that asks for a client certificate gets the configured one.
    let strict = tls_redis(&pki, true);
    let client = pki.leaf("client");
    let url = format!("rediss://localhost:{}/0", strict.port);
    let keys = format!(
        "{ca}\nredis_client_cert = \"{}\"\nredis_client_key = \"{}\"",
        client.cert.display(),
        client.key.display()
    );
    let gw = support::gateway_on(&support::config_redis(&url, &keys, &room), clock.clone()).await;
    support::eventually("the gateway shows its certificate", || async {
        room_json(&gw).await["backend"]["available"] == true
    })
    .await;
    assert_eq!(gw.visitor().get("/book").await.status, StatusCode::OK);
}

/// The ACL user docs/scale-out.md tells operators to create: nothing but the commands wartesaal sends
/// and runs in its scripts, on its own keys. A line's life runs under it (pre-queue, the
/// draw at the opening, session starts, claims, an operator's change) and Redis refuses it
/// nothing.
#[tokio::test]
async fn a_least_privilege_acl_user_is_enough() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let setuser = [
        "ACL",
        "SETUSER",
        "wartesaal",
        "on",
        ">s3cret-for-tests",
        "resetkeys",
        "~{wartesaal:*",
        "resetchannels",
        "-@all",
        "+evalsha",
        "+eval",
        "+script|load",
        "+hmget",
        "+role",
        "+wait",
        "+ping",
        "+exists",
        "+get",
        "+set",
        "+del",
        "+pexpire",
        "+hget",
        "+hset",
        "+hsetnx",
        "+hdel",
        "+hgetall",
        "+hincrby",
        "+zadd",
        "+zrem",
        "+zscore",
        "+zcount",
        "+zcard",
        "+zpopmax",
        "+zrangebyscore",
        "+zremrangebyscore",
        "+rpush",
        "+ltrim",
        "+lpop",
        "+llen",
        "+unlink",
        "+info",
    ];
    assert_eq!(redis.cli(&setuser), "OK");
    let up = support::upstream().await;
    let room = support::room(
        "r",
        &up.url(),
        "admit_per_minute = 1\n[rooms.issuance]\nper_ip_per_minute = 100\n[rooms.schedule]\n\
         opens_at = \"2026-11-23T00:01:00Z\"\nprequeue_from = \"2026-11-23T00:00:00Z\"",
    );
    let url = format!(
        "redis://wartesaal:s3cret-for-tests@127.0.0.1:{}/0",
        redis.port
    );
    let (a, b) = two_on(&support::config_redis(&url, "", &room)).await;
    let mut early = line_at(&a, &b, 4).await;
    a.advance(Duration::from_secs(61));
    support::eventually("the draw reaches B", || async {
        room_json(&b).await["schedule"]["prequeue"]["frozen"] == true
    })
    .await;
    a.advance(Duration::from_secs(60));
    for (v, _) in &mut early {
        let _ = v.get("/book").await;
        let _ = v.status("r").await;
    }
    assert_eq!(
        a.patch("r", r#"{"admit_per_minute": 30}"#).await.status,
        StatusCode::OK
    );
    support::eventually("the change reaches B", || async {
        room_json(&b).await["admit_per_minute"] == 30.0
    })
    .await;
    // The gateways were that user, and Redis refused it nothing.
    let clients = redis.cli(&["CLIENT", "LIST"]);
    assert!(clients.contains("user=wartesaal"), "{clients}");
    assert_eq!(
        redis.cli(&["ACL", "LOG"]),
        "",
        "Redis refused the ACL user something"
    );
}

/// A three-node Redis Cluster made with `redis-cli --cluster create`, no replicas.
struct Cluster {
    nodes: Vec<RedisServer>,
}

impl Cluster {
    fn start() -> Cluster {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                let port = support::free_port();
                RedisServer::start_with(
                    port,
                    &[
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                    ],
                )
            })
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let mut create = vec!["--cluster", "create"];
        create.extend(addrs.iter().map(String::as_str));
        create.extend(["--cluster-replicas", "0", "--cluster-yes"]);
        let out = nodes[0].cli(&create);
        assert!(out.contains("All 16384 slots covered"), "{out}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for n in &nodes {
            while !n.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok") {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the cluster never formed"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Cluster { nodes }
    }

    fn config_line(&self) -> String {
        let addrs: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("\"127.0.0.1:{}\"", n.port))
            .collect();
        format!("redis_cluster = [{}]", addrs.join(", "))
    }

    fn id(node: &RedisServer) -> String {
        node.cli(&["CLUSTER", "MYID"])
    }

    /// Moves hash slot `slot`, keys and all, from the node holding it to another, the way
    /// `redis-cli --cluster reshard` does it; clients learn of it by MOVED and ASK.
    fn migrate(&self, slot: u16) {
        let slot_s = slot.to_string();
        let owner = self
            .nodes
            .iter()
            .position(|n| n.cli(&["CLUSTER", "COUNTKEYSINSLOT", &slot_s]) != "0")
            .expect("a node holds the slot's keys");
        let (from, to) = (&self.nodes[owner], &self.nodes[(owner + 1) % 3]);
        let (from_id, to_id) = (Cluster::id(from), Cluster::id(to));
        assert_eq!(
            to.cli(&["CLUSTER", "SETSLOT", &slot_s, "IMPORTING", &from_id]),
            "OK"
        );
        assert_eq!(
            from.cli(&["CLUSTER", "SETSLOT", &slot_s, "MIGRATING", &to_id]),
            "OK"
        );
        let keys = from.cli(&["CLUSTER", "GETKEYSINSLOT", &slot_s, "1000"]);
        let port = to.port.to_string();
        let mut migrate = vec!["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS"];
        migrate.extend(keys.lines());
        assert_eq!(from.cli(&migrate), "OK");
        for n in &self.nodes {
            assert_eq!(
                n.cli(&["CLUSTER", "SETSLOT", &slot_s, "NODE", &to_id]),
                "OK"
            );
        }
        assert_eq!(from.cli(&["CLUSTER", "COUNTKEYSINSLOT", &slot_s]), "0");
    }
}

/// Two gateways on a Redis Cluster: the room's keys share a hash tag, so each script runs on
/// the node that holds them. The room's slot then moves to another node mid-line; the
/// gateways follow MOVED and go on with one line and no number twice.
#[tokio::test]
async fn a_redis_cluster_carries_the_line_and_its_slot_can_move() {
    if RedisServer::start().is_none() {
        return;
    }
    let cluster = Cluster::start();
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 1");
    let url = format!("redis://127.0.0.1:{}/0", cluster.nodes[0].port);
    let config = support::config_redis(&url, &cluster.config_line(), &room);
    let (a, b) = two_on(&config).await;
    let mut line = line_at(&a, &b, 6).await;
    let slot: u16 = cluster.nodes[0]
        .cli(&["CLUSTER", "KEYSLOT", "{wartesaal:r}:line"])
        .parse()
        .unwrap();
    cluster.migrate(slot);
    for i in 0..6 {
        let gw = if i % 2 == 0 { &a } else { &b };
        line.push(arrive_soon(gw, "a number after the slot moved").await);
    }
    let count = line.len();
    assert_eq!(all_different(line.iter().map(|(_, s)| *s)), count);
    let seqs: Vec<u64> = line.iter().map(|(_, s)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "one order: {seqs:?}");
    // The moved line is the one both gateways read.
    for gw in [&a, &b] {
        support::eventually("both see every number", || async {
            room_json(gw).await["issued"] == count as u64
        })
        .await;
    }
}

/// A ticket drawn on another Redis (the other side of a failover) and shown to a gateway
/// raises that gateway's counter: its next number lies above it.
#[tokio::test]
async fn a_ticket_shown_raises_the_counter_above_it() {
    let Some(one) = RedisServer::start() else {
        return;
    };
    let other = RedisServer::start().unwrap();
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 1");
    let clock = Arc::new(ManualClock::new(T0));
    let a = support::gateway_on(&support::config_redis(&one.url(), "", &room), clock.clone()).await;
    let b = support::gateway_on(
        &support::config_redis(&other.url(), "", &room),
        clock.clone(),
    )
    .await;
    let mut drawn = Vec::new();
    for _ in 0..6 {
        drawn.push(arrive(&a).await.expect("a number at A"));
    }
    let (_, first_at_b) = arrive(&b).await.expect("a number at B");
    let (mut far, far_seq) = drawn.pop().unwrap();
    assert!(far_seq > first_at_b, "both lines began together");
    far.base = b.base();
    assert_eq!(far.status("r").await["admitted"], false);
    let (_, next) = arrive_soon(&b, "B draws again").await;
    assert!(
        next > far_seq,
        "{next} is above the ticket shown, {far_seq}"
    );
}

/// A Redis that refuses writes: `min-replicas-to-write` without replicas (NOREPLICAS), then a
/// server made a read-only replica. The gateway names Redis's own words in
/// `/readyz`, holds the line and answers every visitor without a 500; ready again once Redis
/// takes writes.
#[tokio::test]
async fn a_redis_that_refuses_writes_is_named_in_readyz_and_nobody_gets_a_500() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let other = RedisServer::start().unwrap();
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 1");
    let gw = support::gateway_on(
        &support::config_redis(&redis.url(), "", &room),
        Arc::new(ManualClock::new(T0)),
    )
    .await;
    let (mut waiting, _) = draw_n(&gw, 2).await.pop().unwrap();
    let other_port = other.port.to_string();
    let settings: [(&[&str], &str); 2] = [
        (
            &["CONFIG", "SET", "min-replicas-to-write", "1"],
            "NOREPLICAS",
        ),
        (
            &["REPLICAOF", "127.0.0.1", &other_port],
            "read only replica",
        ),
    ];
    for (setting, words) in settings {
        let _ = redis.cli(setting);
        support::eventually("readyz names what Redis said", || async {
            let ready = gw.admin(Method::GET, "/readyz", None, None).await;
            ready.status == StatusCode::SERVICE_UNAVAILABLE
                && ready.body.starts_with("not ready")
                && ready.body.contains(words)
        })
        .await;
        for _ in 0..3 {
            let page = gw.visitor().get("/book").await;
            assert!(
                matches!(
                    page.status,
                    StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE
                ),
                "{}: {}",
                page.status,
                page.body
            );
        }
        let status = waiting.status("r").await;
        assert_eq!(status["admitted"], false, "the line holds: {status}");
    }
    let _ = redis.cli(&["REPLICAOF", "NO", "ONE"]);
    let _ = redis.cli(&["CONFIG", "SET", "min-replicas-to-write", "0"]);
    support::eventually("ready again", || async {
        gw.admin(Method::GET, "/readyz", None, None).await.status == StatusCode::OK
    })
    .await;
}
