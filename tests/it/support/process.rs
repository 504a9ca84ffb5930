//! The real gateway binary as a child process of the test (`wartesaal run`), its addresses
//! read from its log, signalled as an init system would; and the directory and config it
//! runs from.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{temp_dir, PATIENCE};

const BIN: &str = env!("CARGO_BIN_EXE_wartesaal");

/// A running `wartesaal run`, its addresses read from its log.
pub struct Proc {
    pub child: Child,
    pub public: SocketAddr,
    pub admin: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
    lines: mpsc::Receiver<String>,
}

impl Proc {
    pub fn spawn(config: &Path) -> Proc {
        let mut child = Command::new(BIN)
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = mpsc::channel();
        let keep = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                keep.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let mut p = Proc {
            child,
            public: "0.0.0.0:0".parse().unwrap(),
            admin: "0.0.0.0:0".parse().unwrap(),
            log,
            lines,
        };
        let public = p.wait_for("public listener ready");
        p.public = local_addr(&public);
        let admin = p.wait_for("admin listener ready");
        p.admin = local_addr(&admin);
        p
    }

    /// The next log line containing `text`.
    pub fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no log line with {text:?}; log so far:\n{}",
                    self.log.lock().unwrap().join("\n")
                ),
            }
        }
    }

    /// Waits until every one of `texts` has been logged, in any order.
    pub fn wait_for_all(&mut self, texts: &[&str]) {
        let logged = |log: &Arc<Mutex<Vec<String>>>, t: &str| {
            log.lock().unwrap().iter().any(|line| line.contains(t))
        };
        while let Some(missing) = texts.iter().find(|t| !logged(&self.log, t)) {
            self.wait_for(missing);
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.public)
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    pub fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the gateway did not exit");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn local_addr(line: &str) -> SocketAddr {
    let at = line.find("local=").expect("address in log line") + "local=".len();
    line[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// A directory with a key and a config for one room `r` in front of `upstream`.
pub fn setup(name: &str, upstream: &str, room_extra: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("secret.key");
    let out = Command::new(BIN).arg("keygen").output().unwrap();
    std::fs::write(&key, out.stdout).unwrap();
    let config = dir.join("wartesaal.toml");
    write_config(&config, &dir, upstream, room_extra, "");
    (dir, config)
}

pub fn write_config(config: &Path, dir: &Path, upstream: &str, room_extra: &str, more: &str) {
    std::fs::write(
        config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ngrace_period = \"10s\"\n\
             [admin]\nlisten = \"127.0.0.1:0\"\n\
             [keys]\nfiles = [\"{key}\"]\n\
             [state]\ndir = \"{state}\"\n\
             [[rooms]]\nid = \"r\"\nupstream = \"{upstream}\"\n{room_extra}\n{more}",
            key = dir.join("secret.key").display(),
            state = dir.join("state").display(),
        ),
    )
    .unwrap();
}

/// Place in line; 0 once admitted.
pub fn position(status: &serde_json::Value) -> u64 {
    if status["admitted"] == true {
        return 0;
    }
    status["position"]
        .as_u64()
        .unwrap_or_else(|| panic!("no position in {status}"))
}
