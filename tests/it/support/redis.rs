//! `redis-server` processes of the test's own (plain, TLS, replicas, kept on disk) and the
//! config text of a gateway that shares its rooms through one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{admin_token_line, free_port, temp_dir};

/// Config text for a gateway sharing its rooms through the Redis at `url`. A new line lets
/// visitors in at once unless `state_extra` sets `redis_new_line_hold`.
pub fn config_redis(url: &str, state_extra: &str, rooms: &str) -> String {
    let hold = if state_extra.contains("redis_new_line_hold") {
        ""
    } else {
        "redis_new_line_hold = \"0s\"\n"
    };
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ngrace_period = \"1s\"\n\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n{}\n\n\
         [state]\nbackend = \"redis\"\nredis_url = \"{url}\"\n{hold}{state_extra}\n\n{rooms}",
        admin_token_line()
    )
}

/// A `redis-server` of the test's own on a free loopback port, without persistence: stopping
/// it loses everything, as a restart of an unpersisted Redis does. Killed when dropped.
pub struct RedisServer {
    child: std::process::Child,
    pub port: u16,
    /// What `redis-cli` needs besides the port (TLS files).
    cli_args: Vec<String>,
    /// Where it keeps its snapshot (`SAVE`).
    pub dir: PathBuf,
}

impl RedisServer {
    /// Under CI (`CI` set) `redis-server` must be there; elsewhere a test without it says so
    /// and passes nothing.
    pub fn start() -> Option<RedisServer> {
        let found = std::process::Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok();
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "Redis tests need redis-server: apt-get install redis-server"
            );
            eprintln!("skipped: no redis-server on PATH (apt-get install redis-server)");
            return None;
        }
        Some(RedisServer::start_on(free_port()))
    }

    /// A new, empty server on `port` (after `kill`, the same port).
    pub fn start_on(port: u16) -> RedisServer {
        RedisServer::start_with(port, &[])
    }

    /// A replica of the server on `primary`, on a free port, once it has copied it.
    pub fn replica_of(primary: u16) -> RedisServer {
        let port = free_port();
        let replica =
            RedisServer::start_with(port, &["--replicaof", "127.0.0.1", &primary.to_string()]);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !replica
            .cli(&["INFO", "replication"])
            .contains("master_link_status:up")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the replica never synced"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        replica
    }

    /// A new, empty server on `port` with `extra` arguments.
    pub fn start_with(port: u16, extra: &[&str]) -> RedisServer {
        RedisServer::spawn(port, extra, Vec::new())
    }

    /// A server answering TLS only on `port` (`extra` says how); `redis-cli` talks to it with
    /// the client certificate and CA given.
    pub fn start_tls(port: u16, extra: &[&str], cert: &str, key: &str, ca: &str) -> RedisServer {
        let cli = ["--tls", "--cert", cert, "--key", key, "--cacert", ca];
        RedisServer::spawn(port, extra, cli.iter().map(|a| a.to_string()).collect())
    }

    /// A server on `port` keeping its files in `dir`: started again on the directory of one
    /// that was killed, it loads the snapshot that one last saved.
    pub fn start_in(port: u16, dir: &Path) -> RedisServer {
        RedisServer::spawn_in(port, dir, &[], Vec::new())
    }

    fn spawn(port: u16, extra: &[&str], cli_args: Vec<String>) -> RedisServer {
        RedisServer::spawn_in(port, &temp_dir("redis"), extra, cli_args)
    }

    fn spawn_in(port: u16, dir: &Path, extra: &[&str], cli_args: Vec<String>) -> RedisServer {
        let dir = dir.to_path_buf();
        std::fs::create_dir_all(&dir).unwrap();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(&dir)
            .args(extra)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = RedisServer {
            child,
            port,
            cli_args,
            dir,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while server.cli(&["PING"]) != "PONG" {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not answer"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// `redis-cli` against this server; its output, trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(&self.cli_args)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    }

    /// Kills the server as a crash would; nothing it held survives.
    pub fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }

    /// How often `command` ran since the statistics were reset.
    pub fn calls(&self, command: &str) -> u64 {
        let prefix = format!("cmdstat_{command}:calls=");
        self.cli(&["INFO", "commandstats"])
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|rest| rest.split(',').next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
