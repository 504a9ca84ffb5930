//! The store goes back in time: a Redis restarted from an older snapshot, a replica promoted
//! after it missed the last draws (by hand, and by three real sentinels after the primary is
//! killed). Whichever gateway reaches the older store first, one that never saw the line
//! included, no number goes to two people, nobody waiting is moved back or overtaken, and
//! positions count people, not the counter's jump.

use std::sync::Arc;
use std::time::Duration;

use wartesaal::clock::ManualClock;

use crate::failover::{all_different, arrive_soon, draw_n, room_json};
use crate::support::{self, Gateway, RedisServer, Sentinels, Visitor, T0};

/// After the store came back older: every newcomer is behind everyone who was waiting, no
/// number is handed out twice, and once the waiting visitors' pages have asked for their
/// status at the new gateway, positions run on without a gap (the counter's jump shows in no
/// one's position).
async fn nobody_repeated_or_moved_back(
    b: &Gateway,
    mut line: Vec<(Visitor, u64)>,
    newcomers: Vec<(Visitor, u64)>,
) {
    let last_old = line.iter().map(|(_, s)| *s).max().unwrap();
    all_different(line.iter().chain(&newcomers).map(|(_, s)| *s));
    for (_, seq) in &newcomers {
        assert!(
            *seq > last_old,
            "newcomer {seq} is behind every waiting ticket ({last_old})"
        );
    }
    // The waiting pages poll at B: their tickets are people, not the jump's gap.
    let mut last_position = 0;
    for (v, _) in line.iter_mut().skip(1) {
        v.base = b.base();
        let status = v.status("r").await;
        let position = status["position"].as_u64().expect("still waiting");
        assert!(position > last_position, "order kept: {status}");
        last_position = position;
    }
    // Pages ask again and again; once the gateway knows the jump's range, their tickets
    // count as people and the first newcomer is right behind the last of them.
    let old: Vec<String> = line
        .iter()
        .skip(1)
        .map(|(v, _)| v.cookie("wartesaal_r").unwrap())
        .collect();
    let newcomer = newcomers[0].0.cookie("wartesaal_r").unwrap();
    support::eventually("positions run on past the jump", || {
        let (old, newcomer, base) = (old.clone(), newcomer.clone(), b.base());
        async move {
            for cookie in &old {
                let mut v = Visitor::new(base.clone());
                v.set_cookie("wartesaal_r", cookie);
                v.status("r").await;
            }
            let mut v = Visitor::new(base);
            v.set_cookie("wartesaal_r", &newcomer);
            v.status("r").await["position"].as_u64() == Some(last_position + 1)
        }
    })
    .await;
}

/// Redis snapshots (as `save` does), hands out more numbers, crashes and restarts from the
/// snapshot; the gateway that reaches it first has never seen the line. On main before the
/// fix, every newcomer got a number a waiting visitor already held.
#[tokio::test]
async fn redis_restarted_from_an_older_snapshot_hands_out_no_number_twice() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (port, dir) = (redis.port, redis.dir.clone());
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 1");
    let config = support::config_redis(&redis.url(), "", &room);
    let a = support::gateway_on(&config, Arc::new(ManualClock::new(T0))).await;
    let mut line = draw_n(&a, 10).await;
    assert_eq!(redis.cli(&["SAVE"]), "OK");
    line.extend(draw_n(&a, 20).await);
    a.stop().await;
    redis.kill();
    let restarted = RedisServer::start_in(port, &dir);
    let b = support::gateway_on(&config, Arc::new(ManualClock::new(T0 + 5_000))).await;
    let newcomers = draw_n(&b, 6).await;
    let jumps = restarted.cli(&["LRANGE", "{wartesaal:r}:jumps", "0", "-1"]);
    assert!(!jumps.is_empty(), "the jump is recorded");
    nobody_repeated_or_moved_back(&b, line, newcomers).await;
}

/// A replica that stopped copying the primary (as one cut off before a failover does) is
/// made primary after more numbers were drawn; a gateway that never saw the line reaches it
/// first. Its run id is not the one the line's last draw was made on: the counter jumps.
#[tokio::test]
async fn a_promoted_replica_that_missed_draws_hands_out_no_number_twice() {
    let Some(primary) = RedisServer::start() else {
        return;
    };
    let replica = RedisServer::replica_of(primary.port);
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 1");
    let a = support::gateway_on(
        &support::config_redis(&primary.url(), "redis_min_replicas = 0", &room),
        Arc::new(ManualClock::new(T0)),
    )
    .await;
    let mut line = draw_n(&a, 10).await;
    support::eventually("the replica has the first ten", || async {
        replica.cli(&["HGET", "{wartesaal:r}:line", "issued"])
            == primary.cli(&["HGET", "{wartesaal:r}:line", "issued"])
    })
    .await;
    assert_eq!(replica.cli(&["REPLICAOF", "NO", "ONE"]), "OK");
    line.extend(draw_n(&a, 20).await);
    a.stop().await;
    primary.kill();
    let b = support::gateway_on(
        &support::config_redis(&replica.url(), "", &room),
        Arc::new(ManualClock::new(T0 + 5_000)),
    )
    .await;
    let newcomers = draw_n(&b, 6).await;
    nobody_repeated_or_moved_back(&b, line, newcomers).await;
}

/// Gateways that share `clock`, found through `sentinels`, once they reach the primary.
async fn through_sentinels(config: &str, clock: &Arc<ManualClock>, n: usize) -> Vec<Gateway> {
    let mut gateways = Vec::new();
    for _ in 0..n {
        let gw = support::gateway_on(config, clock.clone()).await;
        support::eventually("the gateway reaches the primary", || async {
            room_json(&gw).await["backend"]["available"] == true
        })
        .await;
        gateways.push(gw);
    }
    gateways
}

/// The line's counter as `redis` holds it.
fn issued_on(redis: &RedisServer) -> String {
    redis.cli(&["HGET", "{wartesaal:r}:line", "issued"])
}

/// Each waiting visitor's place, asked where they drew it (the first of `line` was let in).
async fn places(line: &mut [(Visitor, u64)]) -> Vec<u64> {
    let mut out = Vec::new();
    for (v, seq) in line.iter_mut().skip(1) {
        let status = v.status("r").await;
        let place = status["position"].as_u64();
        out.push(place.unwrap_or_else(|| panic!("ticket {seq} waits: {status}")));
    }
    out
}

/// The user the gateways that drew before the failover reach Redis as, and a rule to create
/// it: on the primary only (ACL rules are not replicated), so that after the failover they
/// reach the promoted replica only once it is created there too.
const BEFORE: &str = "redis://before:drew-before@127.0.0.1:1/0";
const BEFORE_USER: [&str; 9] = [
    "ACL",
    "SETUSER",
    "before",
    "on",
    ">drew-before",
    "~*",
    "&*",
    "+@all",
    "resetchannels",
];

/// The replica's link to its primary is cut (it logs in as a user the primary does not know,
/// as a replica with a wrong `masterauth` would) while it still answers the sentinels; it
/// misses the last twenty draws, handed out through two gateways that do not wait for
/// replicas. The primary is killed; the three sentinels promote that replica. A gateway that
/// never saw the line draws there first (the two that drew before cannot log in yet), then
/// those two: no number twice, no waiting visitor moved back, every newcomer behind them all,
/// and positions that count people.
#[tokio::test]
async fn sentinels_promoting_a_replica_that_missed_draws_repeat_no_number() {
    let Some(primary) = RedisServer::start() else {
        return;
    };
    let replica = RedisServer::replica_of(primary.port);
    assert_eq!(primary.cli(&BEFORE_USER), "OK");
    let sentinels = Sentinels::start(primary.port, 1);
    let up = support::upstream().await;
    let room = support::room("r", &up.url(), "admit_per_minute = 1");
    let state = format!("redis_min_replicas = 0\n{}", sentinels.config_lines());
    // The URL gives the user and the database; its host is replaced by the primary the
    // sentinels name.
    let config = |url| support::config_redis(url, &state, &room);
    let old = through_sentinels(&config(BEFORE), &Arc::new(ManualClock::new(T0)), 2).await;
    let (a, b) = (&old[0], &old[1]);
    let mut line = Vec::new();
    for i in 0..30 {
        if i == 10 {
            support::eventually("the replica has the first ten", || async {
                issued_on(&replica) == issued_on(&primary)
            })
            .await;
            for (key, value) in [("masteruser", "stranger"), ("masterauth", "wrong")] {
                assert_eq!(replica.cli(&["CONFIG", "SET", key, value]), "OK");
            }
            replica.cli(&["CLIENT", "KILL", "TYPE", "master"]);
            support::eventually("the replica's link is down", || async {
                replica
                    .cli(&["INFO", "replication"])
                    .contains("master_link_status:down")
            })
            .await;
        }
        line.push(arrive_soon(if i % 2 == 0 { a } else { b }, "a number").await);
    }
    let missed = issued_on(&replica);
    assert_ne!(
        missed,
        issued_on(&primary),
        "the replica missed the last draws"
    );
    let before = places(&mut line).await;

    primary.kill();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sentinels.primary() != replica.port {
        assert!(std::time::Instant::now() < deadline, "no failover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(replica.cli(&["ROLE"]).starts_with("master"));
    assert_eq!(
        issued_on(&replica),
        missed,
        "promoted without the last draws"
    );

    // A gateway that never saw the line draws first, then the two that did.
    let fresh = through_sentinels(
        &config("redis://127.0.0.1:1/0"),
        &Arc::new(ManualClock::new(T0 + 5_000)),
        1,
    )
    .await;
    let mut newcomers = vec![arrive_soon(&fresh[0], "a number on the promoted replica").await];
    assert_eq!(replica.cli(&BEFORE_USER), "OK");
    for gw in [a, b, &fresh[0], a, b] {
        newcomers.push(arrive_soon(gw, "a number on the promoted replica").await);
    }
    let jumps = replica.cli(&["LRANGE", "{wartesaal:r}:jumps", "0", "-1"]);
    assert_eq!(jumps.lines().count(), 1, "one jump, recorded: {jumps}");
    let after = places(&mut line).await;
    for (i, (was, is)) in before.iter().zip(&after).enumerate() {
        assert!(
            is <= was,
            "ticket {}: place {was} became {is}",
            line[i + 1].1
        );
    }
    nobody_repeated_or_moved_back(&fresh[0], line, newcomers).await;
}
