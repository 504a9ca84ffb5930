//! What slow and idle clients cost the gateway, and whether it gives the memory back: the real
//! binary (release) runs as its own process; `SLOW_CLIENTS` (4,000) connections each send the
//! start of a request head and then one header byte a second (slower than any browser, faster
//! than the header timeout lets them get away with), from many loopback addresses. Resident
//! memory is read from `/proc` before, while they hang on, and after they have gone.
//!
//! Run: `cargo bench --bench slow_clients`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc readable");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status");
    kb * 1024
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

struct Gateway {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_gateway() -> Gateway {
    let bin = env!("CARGO_BIN_EXE_wartesaal");
    let dir = std::env::temp_dir().join(format!("wartesaal-slow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let key = Command::new(bin).arg("keygen").output().expect("keygen");
    std::fs::write(dir.join("secret.key"), key.stdout).expect("write key");
    let port = free_port();
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\nmax_connections_per_address = 0\n\
         header_read_timeout = \"60s\"\n[keys]\nfiles = [\"{key}\"]\n\
         [[rooms]]\nid = \"wait\"\nupstream = \"http://127.0.0.1:9\"\nadmit_per_minute = 1\n",
        key = dir.join("secret.key").display(),
    );
    let path = dir.join("wartesaal.toml");
    std::fs::write(&path, config).expect("write config");
    let child = Command::new(bin)
        .args(["run", "--config"])
        .arg(&path)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the gateway");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the gateway did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Gateway { child, port, dir }
}

fn main() {
    let clients = env("SLOW_CLIENTS", 4_000);
    let hold = Duration::from_secs(env("SLOW_SECONDS", 8));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let gateway = start_gateway();
        let pid = gateway.child.id();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle = rss(pid);
        let mut tasks = Vec::new();
        for i in 0..clients {
            let port = gateway.port;
            tasks.push(tokio::spawn(async move {
                // Many source addresses, as many clients would have.
                let from = std::net::Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250 + 1) as u8);
                let socket = TcpSocket::new_v4().ok()?;
                socket.bind((from, 0).into()).ok()?;
                let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.ok()?;
                stream
                    .write_all(b"GET /termine/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
                    .await
                    .ok()?;
                let until = Instant::now() + hold;
                while Instant::now() < until {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if stream.write_all(b"a").await.is_err() {
                        return None;
                    }
                }
                Some(())
            }));
        }
        tokio::time::sleep(hold / 2).await;
        let holding = rss(pid);
        let mut held = 0;
        for t in tasks {
            if let Ok(Some(())) = t.await {
                held += 1;
            }
        }
        // Every client has closed; the gateway's side ends with them.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = rss(pid);
        println!();
        println!("| phase | resident memory |");
        println!("|---|---|");
        println!("| started, idle | {} |", mib(idle));
        println!(
            "| {clients} slow clients hanging on ({held} lasted {} s) | {} ({} bytes per client) |",
            hold.as_secs(),
            mib(holding),
            holding.saturating_sub(idle) / clients.max(1)
        );
        println!(
            "| 3 s after they all closed | {} (+{} over idle) |",
            mib(after),
            mib(after.saturating_sub(idle))
        );
        drop(gateway);
    });
}
