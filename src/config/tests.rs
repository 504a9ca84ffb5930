use super::*;

fn secret() -> Secret {
    Secret::from_bytes([7u8; 32])
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(
        text,
        Path::new("test.toml"),
        KeySource::Given(vec![secret()]),
    )
}

#[test]
fn minimal_room_gets_defaults() {
    let c = load(
        r#"
        [[rooms]]
        id = "impf"
        upstream = "http://127.0.0.1:8081"
        admit_per_minute = 600
        "#,
    )
    .unwrap();
    let r = &c.rooms[0];
    assert_eq!(r.scope.hosts, vec![HostPattern::Any]);
    assert_eq!(r.scope.path_prefix, "/");
    assert_eq!(r.tickets.hold_place_for, Duration::from_secs(900));
    assert_eq!(r.cookie_name(), "wartesaal_impf");
    assert_eq!(c.server.listen, vec!["127.0.0.1:8080".parse().unwrap()]);
}

#[test]
fn request_threads_are_bounded() {
    let room =
        "[[rooms]]\nid = \"impf\"\nupstream = \"http://127.0.0.1:8081\"\nadmit_per_minute = 6\n";
    let c = load(room).unwrap();
    assert_eq!(c.server.threads, 0, "one per CPU by default");
    let c = load(&format!("[server]\nthreads = 2\n{room}")).unwrap();
    assert_eq!(c.server.threads, 2);
    for bad in ["threads = 5000", "threads = -1", "threads = \"two\""] {
        let err = load(&format!("[server]\n{bad}\n{room}")).unwrap_err();
        assert!(
            err.problems().iter().any(|p| p.key == "server.threads"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let err = load(
        r#"
        [server]
        listn = "127.0.0.1:8080"
        header_read_timeout = "soon"
        [[rooms]]
        id = "Bad Id"
        upstream = "ftp://x"
        admit_per_minut = 5
        queueing_status = 302
        "#,
    )
    .unwrap_err();
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    for want in [
        "server.listn",
        "server.header_read_timeout",
        "rooms[0].id",
        "rooms[0].upstream",
        "rooms[0].admit_per_minut",
        "rooms[0].admit_per_minute",
        "rooms[0].queueing_status",
    ] {
        assert!(keys.contains(&want), "{want} missing from {keys:?}");
    }
    let typo = err
        .problems()
        .iter()
        .find(|p| p.key == "rooms[0].admit_per_minut")
        .unwrap();
    assert!(typo.hint.contains("admit_per_minute"), "{}", typo.hint);
}

#[test]
fn adaptive_bounds_are_checked_whether_on_or_off() {
    let room = |adaptive: &str| {
        format!(
            "[[rooms]]\nid = \"impf\"\nupstream = \"http://127.0.0.1:8081\"\n\
             admit_per_minute = 600\n[rooms.adaptive]\n{adaptive}\n"
        )
    };
    let c = load(&room("enabled = true\ntarget_latency = \"500ms\"")).unwrap();
    let a = c.rooms[0].adaptive.unwrap();
    assert_eq!(a.target_latency, Duration::from_millis(500));
    assert_eq!((a.min_per_minute, a.max_per_minute), (60.0, 6000.0));
    assert_eq!(a.max_error_ratio, 0.05);
    assert!(load(&room("enabled = false")).unwrap().rooms[0]
        .adaptive
        .is_none());
    let err = load(&room(
        "enabled = false\nmin_per_minute = 100\nmax_per_minute = 10\n\
         max_error_ratio = 2\ntarget_latncy = \"1s\"",
    ))
    .unwrap_err();
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    for want in [
        "rooms[0].adaptive.min_per_minute",
        "rooms[0].adaptive.max_error_ratio",
        "rooms[0].adaptive.target_latncy",
    ] {
        assert!(keys.contains(&want), "{want} missing from {keys:?}");
    }
    let err = load(&room("enabled = \"yes\"")).unwrap_err();
    assert_eq!(err.problems()[0].key, "rooms[0].adaptive.enabled");
}

#[test]
fn schedule_and_issuance_are_checked() {
    let room = |extra: &str| {
        load(&format!(
            "[keys]\n[[rooms]]\nid = \"r\"\nupstream = \"http://127.0.0.1:1\"\n\
             admit_per_minute = 60\n{extra}\n"
        ))
    };
    let c = room(
        "[rooms.schedule]\nopens_at = 2021-03-27T08:00:00+01:00\n\
         [rooms.issuance]\nper_ip_per_minute = 120\nproof_of_work_bits = 16\n",
    )
    .unwrap();
    let s = c.rooms[0].schedule.clone().unwrap();
    assert_eq!(s.window.opens_at, 1_616_828_400_000);
    assert_eq!(
        s.window.prequeue_from,
        s.window.opens_at - 30 * 60 * 1000,
        "half an hour of pre-queue unless given"
    );
    assert_eq!(s.offset_minutes, 60);
    let i = c.rooms[0].tickets.issuance;
    assert_eq!(
        (
            i.per_ip_per_minute,
            i.proof_of_work_bits,
            i.passes_per_ticket
        ),
        (120, 16, 3)
    );
    assert_eq!(
        room("").unwrap().rooms[0].tickets.issuance,
        IssuanceConfig::default(),
        "no limits unless asked for"
    );
    let err = room(
        "[rooms.schedule]\nopens_at = \"2021-03-27T08:00:00\"\n\
         prequeue_from = \"2021-03-27T09:00:00+01:00\"\n\
         [rooms.issuance]\nproof_of_work_bits = 30\npasses_per_ticket = 0\nper_ip = 5\n",
    )
    .unwrap_err();
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "rooms[0].schedule.opens_at",
            "rooms[0].issuance.proof_of_work_bits",
            "rooms[0].issuance.passes_per_ticket",
            "rooms[0].issuance.per_ip",
        ]
    );
    assert!(err.to_string().contains("has no UTC offset"), "{err}");
    let err = room(
        "[rooms.schedule]\nopens_at = \"2021-03-27T08:00:00+01:00\"\n\
         prequeue_from = \"2021-03-27T09:00:00+01:00\"\n",
    )
    .unwrap_err();
    assert_eq!(err.problems()[0].key, "rooms[0].schedule.prequeue_from");
    let err = room("[rooms.schedule]\nprequeue_from = \"2021-03-27T07:00:00Z\"\n").unwrap_err();
    assert_eq!(err.problems()[0].key, "rooms[0].schedule.opens_at");
    assert_eq!(err.problems()[0].message, "missing");
}

#[test]
fn duplicate_rooms_are_refused() {
    let err = load(
        r#"
        [[rooms]]
        id = "a"
        upstream = "http://127.0.0.1:1"
        admit_per_minute = 1
        [[rooms]]
        id = "a"
        upstream = "http://127.0.0.1:2"
        admit_per_minute = 1
        "#,
    )
    .unwrap_err();
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"rooms[1].id"));
    assert!(keys.contains(&"rooms[1]"));
}

#[test]
fn host_patterns_match() {
    assert!(HostPattern::Any.matches("x"));
    assert!(HostPattern::Exact("a.de".into()).matches("a.de"));
    assert!(HostPattern::Suffix(".a.de".into()).matches("www.a.de"));
    assert!(!HostPattern::Suffix(".a.de".into()).matches("a.de"));
    assert!(!HostPattern::Suffix(".a.de".into()).matches("evila.de"));
}

#[test]
fn redis_settings_are_checked_and_named() {
    let room =
        "[[rooms]]\nid = \"impf\"\nupstream = \"http://127.0.0.1:8081\"\nadmit_per_minute = 6\n";
    let state = |extra: &str| format!("[state]\nbackend = \"redis\"\n{extra}\n{room}");
    let c = load(&state(
        "redis_sentinels = [\"10.0.0.1:26379\", \"[::1]:26380\"]\nredis_master = \"m\"",
    ))
    .unwrap();
    let redis = c.state.redis.unwrap();
    let sentinel = redis.sentinel.unwrap();
    assert_eq!(sentinel.addrs[1], ("::1".to_string(), 26380));
    assert_eq!(
        redis.min_replicas, None,
        "not set: a number waits for a replica whenever the primary has one"
    );
    assert_eq!(redis.new_line_hold, Duration::from_secs(65));
    assert_eq!(redis.open_after, Duration::from_secs(10));
    let plain = load(&state("")).unwrap().state.redis.unwrap();
    assert_eq!(
        (plain.min_replicas, plain.timeout),
        (None, Duration::from_secs(1))
    );
    for (extra, key) in [
        ("redis_url = \"http://x\"", "state.redis_url"),
        ("redis_master = \"m\"", "state.redis_sentinels"),
        ("redis_sentinels = [\"a:1\"]", "state.redis_master"),
        (
            "redis_sentinels = [\"nope\"]\nredis_master = \"m\"",
            "state.redis_sentinels",
        ),
        (
            "redis_cluster = [\"a:1\"]\nredis_sentinels = [\"a:2\"]\nredis_master = \"m\"",
            "state.redis_cluster",
        ),
        ("redis_ca_file = \"/tmp/ca.pem\"", "state.redis_ca_file"),
        (
            "redis_url = \"rediss://r:6380/0\"\nredis_ca_file = \"/nonexistent/ca.pem\"",
            "state.redis_ca_file",
        ),
        (
            "redis_url = \"rediss://r:6380/0\"\nredis_client_cert = \"/x.pem\"",
            "state.redis_client_key",
        ),
        ("redis_timeout = \"5ms\"", "state.redis_timeout"),
        ("open_after = \"1s\"", "state.open_after"),
        ("redis_min_replicas = 99", "state.redis_min_replicas"),
        ("redis_min_replica = 1", "state.redis_min_replica"),
    ] {
        let err = load(&state(extra)).unwrap_err();
        assert!(
            err.problems().iter().any(|p| p.key == key),
            "{extra}: expected a problem with {key}: {err}"
        );
    }
}

#[test]
fn supply_and_eligibility_are_checked() {
    let room =
        "[[rooms]]\nid = \"impf\"\nupstream = \"http://127.0.0.1:8081\"\nadmit_per_minute = 6\n";
    let c = load(&format!(
        "{room}[rooms.supply]\nappointments = 4000\nnext_release = \"2021-03-28T08:00:00+01:00\"\n\
         [[rooms.eligibility]]\nde = \"Wohnen Sie hier?\"\nen = \"Do you live here?\"\n"
    ))
    .unwrap();
    let r = &c.rooms[0];
    assert_eq!(r.supply.unwrap().appointments, 4000);
    assert_eq!(r.supply.unwrap().next_release.unwrap().1, 60);
    assert_eq!(r.tickets.eligibility.len(), 1);
    assert!(
        r.tickets.eligibility[0]
            .otherwise
            .get("de")
            .is_some_and(|t| !t.is_empty()),
        "a default for a no"
    );
    for (bad, key) in [
        ("[rooms.supply]\n", "rooms[0].supply.appointments"),
        (
            "[rooms.supply]\nappointments = -1\n",
            "rooms[0].supply.appointments",
        ),
        (
            "[rooms.supply]\nappointments = 99999999999\n",
            "rooms[0].supply.appointments",
        ),
        (
            "[rooms.supply]\nappointments = 5\nnext_release = \"soon\"\n",
            "rooms[0].supply.next_release",
        ),
        (
            "[rooms.supply]\nappointments = 5\nleft = 3\n",
            "rooms[0].supply.left",
        ),
        (
            "[[rooms.eligibility]]\nde = \"Hier?\"\n",
            "rooms[0].eligibility[0].en",
        ),
        (
            "[[rooms.eligibility]]\nde = \"Hier?\"\nen = \"Here?\"\nask = 1\n",
            "rooms[0].eligibility[0].ask",
        ),
        ("eligibility = \"yes\"\n", "rooms[0].eligibility"),
        (
            "[[rooms.eligibility]]\nde = \"Hier\\u0000?\"\nen = \"Here?\"\n",
            "rooms[0].eligibility[0].de",
        ),
        (
            "[[rooms.eligibility]]\nde = \"Hier\\u202e?\"\nen = \"Here?\"\n",
            "rooms[0].eligibility[0].de",
        ),
    ] {
        let err = load(&format!("{room}{bad}")).unwrap_err();
        assert!(err.problems().iter().any(|p| p.key == key), "{bad}: {err}");
    }
    // One problem each, saying what is wrong.
    for (bad, says) in [("de = \"\"", "is empty"), ("de = 5", "expected a string")] {
        let err = load(&format!(
            "{room}[[rooms.eligibility]]\n{bad}\nen = \"Here?\"\n"
        ))
        .unwrap_err();
        assert_eq!(err.problems().len(), 1, "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[test]
fn an_smtp_url_is_shown_once_and_never_with_its_password() {
    let room = |url: &str| {
        format!(
            "[[rooms]]\nid = \"impf\"\nupstream = \"http://127.0.0.1:8081\"\nadmit_per_minute = 6\n\
             [rooms.notify]\nsmtp_url = \"{url}\"\nfrom = \"Impfzentrum <termine@example.de>\"\n\
             public_url = \"https://termine.example.de/\"\n"
        )
    };
    let e = load(&room("mail.example.de")).unwrap_err().to_string();
    assert!(e.contains("smtp_url"), "{e}");
    assert_eq!(e.matches("mail.example.de").count(), 1, "{e}");
    assert!(e.contains("begins with neither"), "{e}");
    let e = load(&room("user:geheim@mail.example.de"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("smtp_url"), "{e}");
    assert!(!e.contains("geheim"), "{e}");
}
