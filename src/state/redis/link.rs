//! How this process reaches Redis: a URL (plain or TLS, with a private CA or a client
//! certificate), the primary the sentinels name (found again when it moves), or a Redis
//! Cluster (whose client follows MOVED and ASK). Must not know the keys or the scripts: it
//! hands out a connection to whatever holds them now.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Client, ConnectionAddr, TlsCertificates};

use crate::config::RedisConfig;
use crate::state::StateError;

pub(super) struct Link {
    current: ArcSwap<Primary>,
    sentinel: Option<tokio::sync::Mutex<SentinelClient>>,
    cluster: Option<ClusterClient>,
    config: ConnectionManagerConfig,
    tls: Option<TlsCertificates>,
    /// The settings this link was made from.
    made_from: RedisConfig,
    /// How long asking the sentinels may take.
    timeout: Duration,
    /// When the sentinels were last asked (ms since `born`): at most twice a second, however
    /// many rooms ask.
    asked_at: std::sync::atomic::AtomicU64,
    born: std::time::Instant,
}

/// The connection to one primary (or a cluster), and where it is (for the log).
pub(super) struct Primary {
    pub conn: RedisConn,
    pub addr: String,
}

/// A connection to whatever holds the keys now.
#[derive(Clone)]
pub(super) enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    /// Not yet: the sentinels have not named a primary, or no cluster node has answered.
    None,
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            RedisConn::Single(c) => c.req_packed_command(cmd),
            RedisConn::Cluster(c) => c.req_packed_command(cmd),
            RedisConn::None => Box::pin(async { Err(not_yet()) }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            RedisConn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            RedisConn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
            RedisConn::None => Box::pin(async { Err(not_yet()) }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RedisConn::Single(c) => c.get_db(),
            RedisConn::Cluster(c) => c.get_db(),
            RedisConn::None => 0,
        }
    }
}

fn not_yet() -> redis::RedisError {
    redis::RedisError::from((
        redis::ErrorKind::Io,
        "not connected yet",
        "no Redis primary known".to_string(),
    ))
}

impl Link {
    /// Connections are made lazily and remade after failures by the `redis` crate's
    /// connection manager. Fails only on settings it cannot use.
    pub fn new(cfg: &RedisConfig) -> Result<Link, StateError> {
        let bad = |e: redis::RedisError| StateError::Unavailable(format!("state.redis_url: {e}"));
        // rustls needs a process-wide provider for the `redis` crate's TLS; the gateway's own
        // TLS names its provider, so installing one here changes nothing else.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = tls_certs(cfg);
        let client = match &tls {
            Some(certs) => Client::build_with_tls(cfg.url.as_str(), certs.clone()),
            None => Client::open(cfg.url.as_str()),
        }
        .map_err(bad)?;
        // Fail fast: a request waiting on Redis holds a visitor; the sync retries anyway.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(cfg.timeout.min(Duration::from_millis(500))))
            .set_response_timeout(Some(cfg.timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let info = client.get_connection_info().redis_settings().clone();
        let sentinel = match &cfg.sentinel {
            None => None,
            Some(s) => Some(tokio::sync::Mutex::new(
                sentinel_client(s, cfg, &info, tls.as_ref()).map_err(bad)?,
            )),
        };
        let cluster = match &cfg.cluster {
            None => None,
            Some(nodes) => Some(cluster_client(nodes, cfg, &info, tls.as_ref()).map_err(bad)?),
        };
        // With Sentinel or a cluster the URL's host is not where the keys are: the first sync
        // asks the sentinels, or the cluster's nodes.
        let (conn, addr) = if sentinel.is_some() || cluster.is_some() {
            (RedisConn::None, String::new())
        } else {
            let addr = describe(client.get_connection_info().addr());
            let conn = ConnectionManager::new_lazy_with_config(client, config.clone())
                .map_err(|e| StateError::Unavailable(e.to_string()))?;
            (RedisConn::Single(conn), addr)
        };
        Ok(Link {
            current: ArcSwap::from_pointee(Primary { conn, addr }),
            sentinel,
            cluster,
            config,
            tls,
            made_from: cfg.clone(),
            timeout: cfg.timeout,
            asked_at: std::sync::atomic::AtomicU64::new(0),
            born: std::time::Instant::now(),
        })
    }

    /// Whether `cfg` reaches Redis the way this link does (a reload that changes only the
    /// failover rules or timeouts of the rooms keeps the connection).
    pub fn reaches_as(&self, cfg: &RedisConfig) -> bool {
        let m = &self.made_from;
        (&m.url, m.timeout, &m.sentinel, &m.cluster, &m.tls)
            == (&cfg.url, cfg.timeout, &cfg.sentinel, &cfg.cluster, &cfg.tls)
    }

    pub fn conn(&self) -> RedisConn {
        self.current.load().conn.clone()
    }

    pub fn primary(&self) -> Arc<Primary> {
        self.current.load_full()
    }

    pub fn follows_sentinels(&self) -> bool {
        self.sentinel.is_some()
    }

    pub fn is_cluster(&self) -> bool {
        self.cluster.is_some()
    }

    /// With Sentinel, before the sentinels have named a primary.
    pub fn unresolved(&self) -> bool {
        self.current.load().addr.is_empty()
    }

    /// With Sentinel: asks the sentinels which server is primary now and, if it moved, connects
    /// there. With a cluster: connects once (its client follows the slots by itself). `true`
    /// when it moved. With a URL the address is fixed (a moving virtual IP or DNS name is
    /// followed by reconnecting, which the connection manager does).
    pub async fn follow(&self) -> Result<bool, StateError> {
        if let Some(cluster) = &self.cluster {
            if !self.unresolved() {
                return Ok(false);
            }
            let conn = cluster
                .get_async_connection()
                .await
                .map_err(|e| StateError::Unavailable(format!("Redis Cluster: {e}")))?;
            self.current.store(Arc::new(Primary {
                conn: RedisConn::Cluster(conn),
                addr: "cluster".into(),
            }));
            return Ok(true);
        }
        let Some(sentinel) = &self.sentinel else {
            return Ok(false);
        };
        // One question at a time, and not again within half a second: the other rooms use
        // the answer the asking one gets.
        let Ok(mut s) = sentinel.try_lock() else {
            return Ok(false);
        };
        let now = self.born.elapsed().as_millis() as u64 + 1_000;
        let asked = self.asked_at.load(std::sync::atomic::Ordering::Relaxed);
        if now < asked + 500 && !self.unresolved() {
            return Ok(false);
        }
        self.asked_at
            .store(now, std::sync::atomic::Ordering::Relaxed);
        let client = tokio::time::timeout(self.timeout * 2, s.async_get_client())
            .await
            .map_err(|_| StateError::Unavailable("Redis Sentinel: no answer in time".into()))?
            .map_err(|e| StateError::Unavailable(format!("Redis Sentinel: {e}")))?;
        drop(s);
        let addr = describe(client.get_connection_info().addr());
        if addr == self.current.load().addr {
            return Ok(false);
        }
        let client = match &self.tls {
            Some(certs) => {
                Client::build_with_tls(client.get_connection_info().clone(), certs.clone())
                    .map_err(|e| StateError::Unavailable(e.to_string()))?
            }
            None => client,
        };
        let conn = ConnectionManager::new_lazy_with_config(client, self.config.clone())
            .map_err(|e| StateError::Unavailable(e.to_string()))?;
        self.current.store(Arc::new(Primary {
            conn: RedisConn::Single(conn),
            addr,
        }));
        Ok(true)
    }
}

/// The sentinels named in `s`, asked for the primary that `info` (user, password, database)
/// is used on; over TLS both when the URL says `rediss://`.
fn sentinel_client(
    s: &crate::config::Sentinel,
    cfg: &RedisConfig,
    info: &redis::RedisConnectionInfo,
    tls: Option<&TlsCertificates>,
) -> redis::RedisResult<SentinelClient> {
    let secure = cfg.url.starts_with("rediss://");
    let addrs = s.addrs.iter().map(|(host, port)| {
        if secure {
            ConnectionAddr::TcpTls {
                host: host.clone(),
                port: *port,
                insecure: false,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(host.clone(), *port)
        }
    });
    let mut b = SentinelClientBuilder::new(addrs, &s.master, SentinelServerType::Master)?
        .set_client_to_redis_db(info.db());
    if let Some(user) = info.username() {
        b = b.set_client_to_redis_username(user);
    }
    if let Some(password) = info.password() {
        b = b.set_client_to_redis_password(password);
    }
    if secure {
        // The sentinels are reached as the primary is: TLS, with the same CA.
        b = b
            .set_client_to_redis_tls_mode(redis::TlsMode::Secure)
            .set_client_to_sentinel_tls_mode(redis::TlsMode::Secure);
        if let Some(certs) = tls {
            b = b
                .set_client_to_redis_certificates(certs.clone())
                .set_client_to_sentinel_certificates(certs.clone());
        }
    }
    b.build()
}

/// A client of the cluster whose seed `nodes` are given, with `info`'s user and password.
fn cluster_client(
    nodes: &[(String, u16)],
    cfg: &RedisConfig,
    info: &redis::RedisConnectionInfo,
    tls: Option<&TlsCertificates>,
) -> redis::RedisResult<ClusterClient> {
    let scheme = if cfg.url.starts_with("rediss://") {
        "rediss"
    } else {
        "redis"
    };
    let urls: Vec<String> = nodes
        .iter()
        .map(|(host, port)| format!("{scheme}://{host}:{port}"))
        .collect();
    let mut b = ClusterClient::builder(urls)
        .connection_timeout(cfg.timeout.min(Duration::from_millis(500)))
        .response_timeout(cfg.timeout)
        .retries(2);
    if let Some(user) = info.username() {
        b = b.username(user);
    }
    if let Some(password) = info.password() {
        b = b.password(password);
    }
    if let Some(certs) = tls {
        b = b.certs(certs.clone());
    }
    b.build()
}

fn tls_certs(cfg: &RedisConfig) -> Option<TlsCertificates> {
    cfg.tls.as_ref().map(|t| TlsCertificates {
        client_tls: t.client.as_ref().map(|(cert, key)| redis::ClientTlsConfig {
            client_cert: cert.clone(),
            client_key: key.clone(),
        }),
        root_cert: t.ca.clone(),
    })
}

fn describe(addr: &ConnectionAddr) -> String {
    match addr {
        ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
        ConnectionAddr::TcpTls { host, port, .. } => format!("{host}:{port} (TLS)"),
        other => format!("{other:?}"),
    }
}
