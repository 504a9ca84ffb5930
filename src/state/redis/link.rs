//! How this process reaches the Redis primary: a URL (plain or TLS, with a private CA or a
//! client certificate), or the primary the sentinels name, found again when it moves. Must
//! not know the keys or the scripts: it hands out a connection to whatever is primary now.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Client, ConnectionAddr, TlsCertificates};

use crate::config::RedisConfig;
use crate::state::StateError;

pub(super) struct Link {
    current: ArcSwap<Primary>,
    sentinel: Option<tokio::sync::Mutex<SentinelClient>>,
    config: ConnectionManagerConfig,
    tls: Option<TlsCertificates>,
}

/// The connection to one primary, and where it is (for the log).
pub(super) struct Primary {
    pub conn: ConnectionManager,
    pub addr: String,
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
        let sentinel = match &cfg.sentinel {
            None => None,
            Some(s) => {
                let info = client.get_connection_info().redis_settings();
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
                let mut b =
                    SentinelClientBuilder::new(addrs, &s.master, SentinelServerType::Master)
                        .map_err(bad)?
                        .set_client_to_redis_db(info.db());
                if let Some(user) = info.username() {
                    b = b.set_client_to_redis_username(user);
                }
                if let Some(password) = info.password() {
                    b = b.set_client_to_redis_password(password);
                }
                if secure {
                    b = b.set_client_to_redis_tls_mode(redis::TlsMode::Secure);
                    if let Some(certs) = &tls {
                        b = b.set_client_to_redis_certificates(certs.clone());
                    }
                }
                Some(tokio::sync::Mutex::new(b.build().map_err(bad)?))
            }
        };
        // With Sentinel the URL's host is not the primary: the first sync asks the sentinels.
        let addr = match sentinel {
            Some(_) => String::new(),
            None => describe(client.get_connection_info().addr()),
        };
        let conn = ConnectionManager::new_lazy_with_config(client, config.clone())
            .map_err(|e| StateError::Unavailable(e.to_string()))?;
        Ok(Link {
            current: ArcSwap::from_pointee(Primary { conn, addr }),
            sentinel,
            config,
            tls,
        })
    }

    pub fn conn(&self) -> ConnectionManager {
        self.current.load().conn.clone()
    }

    pub fn primary(&self) -> Arc<Primary> {
        self.current.load_full()
    }

    pub fn follows_sentinels(&self) -> bool {
        self.sentinel.is_some()
    }

    /// With Sentinel, before the sentinels have named a primary.
    pub fn unresolved(&self) -> bool {
        self.current.load().addr.is_empty()
    }

    /// With Sentinel: asks the sentinels which server is primary now and, if it moved, connects
    /// there. `true` when it moved. Without Sentinel the address is fixed (a moving virtual IP
    /// or DNS name is followed by reconnecting, which the connection manager does).
    pub async fn follow(&self) -> Result<bool, StateError> {
        let Some(sentinel) = &self.sentinel else {
            return Ok(false);
        };
        let client = {
            let mut s = sentinel.lock().await;
            s.async_get_client()
                .await
                .map_err(|e| StateError::Unavailable(format!("Redis Sentinel: {e}")))?
        };
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
        self.current.store(Arc::new(Primary { conn, addr }));
        Ok(true)
    }
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
