//! The in-process gateway's life: a reload that rotates keys and removes rooms, one that
//! cannot apply, and a shutdown that ends every background task.

use crate::support::{self, config_in, gateway, room, temp_dir, upstream};

const COOKIE: &str = "wartesaal_r";

#[tokio::test]
async fn a_reload_rotates_keys_and_removes_rooms_without_losing_the_line() {
    use wartesaal::access::ticket::Secret;
    use wartesaal::config::{Config, KeySource};
    let up = upstream().await;
    let state = support::temp_dir("rotate");
    let rooms = format!(
        "{}{}",
        room("r", &up.url(), "admit_per_minute = 1"),
        room(
            "s",
            &up.url(),
            "admit_per_minute = 1\npath_prefix = \"/s/\""
        )
    );
    let text = support::config_in(&state, "", &rooms);
    let mut gw = gateway(&text).await;
    let mut first = gw.visitor();
    first.get("/").await;
    let mut waiting = gw.visitor();
    waiting.get("/").await;
    let old_ticket = waiting.cookie(COOKIE).unwrap();
    assert_eq!(waiting.status("r").await["position"], 1);

    // A new key signs from now on; the old one still verifies. Room s goes.
    let fresh = Secret::from_bytes([9u8; 32]);
    let config = Config::from_toml(
        &support::config_in(&state, "", &room("r", &up.url(), "admit_per_minute = 1")),
        std::path::Path::new("reload.toml"),
        KeySource::Given(vec![fresh, Secret::from_bytes(support::SECRET)]),
    )
    .unwrap();
    let restart = gw.running.reload(config).unwrap();
    assert!(restart.is_empty(), "{restart:?}");

    assert_eq!(
        waiting.status("r").await["position"],
        1,
        "the old ticket keeps its place"
    );
    let mut newcomer = gw.visitor();
    newcomer.get("/").await;
    assert_eq!(newcomer.status("r").await["position"], 2);
    assert_ne!(
        &newcomer.cookie(COOKIE).unwrap()[..4],
        &old_ticket[..4],
        "new tickets carry the new key id"
    );
    let mut s_visitor = gw.visitor();
    let a = s_visitor.get("/s/x").await;
    assert!(
        a.body.contains("data-room=\"r\""),
        "room s is gone: its path is in room r's line now"
    );
    assert!(s_visitor.cookie("wartesaal_s").is_none());
    assert_eq!(
        gw.metric("wartesaal_tokens_rejected_total{reason=\"unknown_key\",room=\"r\"}")
            .await,
        0.0
    );
}

#[tokio::test]
async fn a_reload_that_cannot_open_a_new_room_changes_nothing() {
    use wartesaal::access::ticket::Secret;
    use wartesaal::config::{Config, KeySource};
    let up = upstream().await;
    let state = support::temp_dir("refused");
    let mut gw = gateway(&support::config_in(
        &state,
        "",
        &room("r", &up.url(), "admit_per_minute = 1"),
    ))
    .await;
    std::fs::write(state.join("t.state"), "garbage").unwrap();
    let rooms = format!(
        "{}{}",
        room("r", &up.url(), "admit_per_minute = 600"),
        room(
            "t",
            &up.url(),
            "admit_per_minute = 1\npath_prefix = \"/t/\""
        )
    );
    let config = Config::from_toml(
        &support::config_in(&state, "", &rooms),
        std::path::Path::new("reload.toml"),
        KeySource::Given(vec![Secret::from_bytes(support::SECRET)]),
    )
    .unwrap();
    let err = gw.running.reload(config).unwrap_err().to_string();
    assert!(err.contains("t.state is corrupt"), "{err}");
    let mut v = gw.visitor();
    assert_eq!(
        v.status("r").await["admit_per_minute"],
        1.0,
        "room r unchanged"
    );
}

#[tokio::test]
async fn a_shutdown_ends_every_background_task() {
    let state = temp_dir("tasks");
    let up = upstream().await;
    let gw = gateway(&config_in(
        &state,
        "",
        &room("r", &up.url(), "admit_per_minute = 60"),
    ))
    .await;
    let supervisor = gw.running.supervisor();
    let mut serving = supervisor.running(wartesaal::tasks::Stage::Serving);
    serving.sort_unstable();
    assert_eq!(
        serving,
        ["admin listener", "outbox", "public listener", "tick"]
    );
    let mut state_tasks = supervisor.running(wartesaal::tasks::Stage::State);
    state_tasks.sort_unstable();
    assert_eq!(state_tasks, ["state saver", "supply reports"]);
    assert_eq!(
        gw.metric("wartesaal_task_restarts_total{task=\"tick\"}")
            .await,
        0.0
    );
    gw.stop().await;
    assert!(supervisor
        .running(wartesaal::tasks::Stage::Serving)
        .is_empty());
    assert!(supervisor
        .running(wartesaal::tasks::Stage::State)
        .is_empty());
}
