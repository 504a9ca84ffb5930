//! A TCP forwarder in front of a Redis server, standing in for the virtual IP or DNS name a
//! gateway reaches Redis by: it can be pointed at another server (a failover as the gateway
//! sees it), or cut off (a partition), each time dropping the connections it carries.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Where the forwarder sends new connections: a port on 127.0.0.1, or nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Port(u16),
    Nowhere,
}

pub struct Forwarder {
    addr: SocketAddr,
    target: Arc<watch::Sender<(u64, Target)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    /// Listens on a free loopback port and forwards to `port`.
    pub async fn start(port: u16) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (target, _) = watch::channel((0, Target::Port(port)));
        let target = Arc::new(target);
        let shared = target.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let mut changes = shared.subscribe();
                let (generation, to) = *changes.borrow_and_update();
                tokio::spawn(async move {
                    let Target::Port(port) = to else {
                        return; // Cut off: the connection is dropped at once.
                    };
                    let Ok(server) = TcpStream::connect(("127.0.0.1", port)).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        // Any change drops what this connection carried.
                        _ = changes.wait_for(|(g, _)| *g != generation) => {}
                    }
                });
            }
        });
        Forwarder { addr, target, task }
    }

    pub fn url(&self) -> String {
        format!("redis://{}/0", self.addr)
    }

    /// New connections go to `port`; open ones are dropped.
    pub fn point_at(&self, port: u16) {
        self.set(Target::Port(port));
    }

    /// Every connection is dropped, new ones as soon as they come.
    pub fn cut(&self) {
        self.set(Target::Nowhere);
    }

    fn set(&self, to: Target) {
        self.target.send_modify(|(generation, target)| {
            *generation += 1;
            *target = to;
        });
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
