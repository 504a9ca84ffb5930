//! Plain keys that other parts of the gateway share through this Redis, under the same prefix
//! (the ACME certificates, the lock that lets one gateway order each, the challenge tokens).
//! Must not know what the values mean.

use std::sync::Arc;
use std::time::Duration;

use redis::Script;

use super::Redis;
use crate::state::StateError;

/// Deletes a key only while it still holds the value this gateway put there (its lock).
const DELETE_IF_MINE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";

/// A handle on the shared keys; cheap to clone.
#[derive(Clone)]
pub struct SharedKeys {
    redis: Arc<Redis>,
}

impl SharedKeys {
    pub(in crate::state) fn new(redis: Arc<Redis>) -> SharedKeys {
        SharedKeys { redis }
    }

    /// This gateway's name, as the room leases know it.
    pub fn gateway(&self) -> &str {
        &self.redis.id
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.redis.prefix)
    }

    pub async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        let mut conn = self.redis.link.load().conn();
        redis::cmd("GET")
            .arg(self.key(name))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)
    }

    /// Sets `name`; it expires after `ttl` unless that is `None`.
    pub async fn set(
        &self,
        name: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), StateError> {
        let mut conn = self.redis.link.load().conn();
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(name)).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(ttl.as_millis() as u64);
        }
        cmd.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    /// Sets `name` only if it is not there (a lock that lapses after `ttl`); whether it was set.
    pub async fn set_new(
        &self,
        name: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, StateError> {
        let mut conn = self.redis.link.load().conn();
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(name))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(set.is_some())
    }

    /// Deletes `name` if it holds `value` (a lock this gateway took and nobody took over).
    pub async fn delete_if(&self, name: &str, value: &[u8]) -> Result<(), StateError> {
        let mut conn = self.redis.link.load().conn();
        Script::new(DELETE_IF_MINE)
            .key(self.key(name))
            .arg(value)
            .invoke_async::<i64>(&mut conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

fn unavailable(e: redis::RedisError) -> StateError {
    StateError::Unavailable(e.to_string())
}
