//! Redis Sentinel as operators run it: three `redis-server --sentinel` processes of the test's
//! own watching one primary, and `redis-cli` against any port.

use std::time::Duration;

use super::{free_port, temp_dir};

/// Three sentinels (`redis-server --sentinel`, the binary Debian's `redis-sentinel` runs)
/// watching the primary on `primary` as `wartesaal`. Killed when dropped.
pub struct Sentinels {
    children: Vec<std::process::Child>,
    pub ports: Vec<u16>,
}

impl Sentinels {
    /// Once each knows the primary's `replicas` and the two other sentinels.
    pub fn start(primary: u16, replicas: usize) -> Sentinels {
        let mut children = Vec::new();
        let mut ports = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let dir = temp_dir("sentinel");
            std::fs::create_dir_all(&dir).unwrap();
            let conf = dir.join("sentinel.conf");
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                     sentinel monitor wartesaal 127.0.0.1 {primary} 2\n\
                     sentinel down-after-milliseconds wartesaal 1000\n\
                     sentinel failover-timeout wartesaal 4000\n",
                    dir = dir.display()
                ),
            )
            .unwrap();
            children.push(
                std::process::Command::new("redis-server")
                    .arg(&conf)
                    .arg("--sentinel")
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .expect("redis-server --sentinel starts"),
            );
            ports.push(port);
        }
        let sentinels = Sentinels { children, ports };
        // Each knows the replicas and the two other sentinels before anything is asked of
        // them. A replica is named "slave" twice (its flags and the role it reports).
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for &port in &sentinels.ports {
            loop {
                let known = redis_cli(port, &["SENTINEL", "REPLICAS", "wartesaal"]);
                let others = redis_cli(port, &["SENTINEL", "SENTINELS", "wartesaal"]);
                if known.matches("slave").count() >= 2 * replicas
                    && others.matches("runid").count() == 2
                {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "sentinels never met");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        sentinels
    }

    pub fn config_lines(&self) -> String {
        let addrs: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("\"127.0.0.1:{p}\""))
            .collect();
        format!(
            "redis_sentinels = [{}]\nredis_master = \"wartesaal\"",
            addrs.join(", ")
        )
    }

    /// The primary's port as the first sentinel names it.
    pub fn primary(&self) -> u16 {
        let answer = redis_cli(
            self.ports[0],
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "wartesaal"],
        );
        answer
            .lines()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Sentinels {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `redis-cli` against the server or sentinel on `port`; its output, trimmed.
pub fn redis_cli(port: u16, args: &[&str]) -> String {
    std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
