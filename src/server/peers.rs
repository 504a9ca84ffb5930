//! Open connections per client address on the public listeners, so that one address (a
//! slowloris, a broken client in a loop) cannot take the listener from everyone else. IPv6 is
//! counted per /64, as one household or phone gets a whole /64; trusted proxies are not
//! limited. Must not look inside requests.

use std::net::IpAddr;
use std::sync::Arc;

use dashmap::DashMap;
use ipnet::IpNet;
use prometheus::IntCounter;

/// An address as counted: IPv4 whole, IPv6 by its /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    V4(u32),
    V6(u64),
}

impl Key {
    fn of(ip: IpAddr) -> Key {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Key::V4(u32::from(v4)),
            IpAddr::V6(v6) => Key::V6((u128::from(v6) >> 64) as u64),
        }
    }
}

pub struct PeerLimit {
    max: usize,
    trusted: Vec<IpNet>,
    open: DashMap<Key, usize>,
    refused: IntCounter,
}

/// One connection's place; given back when the connection ends.
pub struct PeerGuard {
    limit: Arc<PeerLimit>,
    key: Key,
}

impl Drop for PeerGuard {
    fn drop(&mut self) {
        self.limit.open.remove_if_mut(&self.key, |_, n| {
            *n -= 1;
            *n == 0
        });
    }
}

impl PeerLimit {
    /// `max` connections per address (0: no limit); `refused` counts the ones turned away.
    pub fn new(max: usize, trusted: Vec<IpNet>, refused: IntCounter) -> Arc<PeerLimit> {
        Arc::new(PeerLimit {
            max,
            trusted,
            open: DashMap::new(),
            refused,
        })
    }

    /// A place for a new connection from `ip`; `Ok(None)` when `ip` is not limited, `Err` when
    /// it holds as many as it may.
    pub fn enter(self: &Arc<Self>, ip: IpAddr) -> Result<Option<PeerGuard>, ()> {
        let ip = ip.to_canonical();
        if self.max == 0 || self.trusted.iter().any(|net| net.contains(&ip)) {
            return Ok(None);
        }
        let key = Key::of(ip);
        let mut open = self.open.entry(key).or_insert(0);
        if *open >= self.max {
            drop(open);
            self.refused.inc();
            return Err(());
        }
        *open += 1;
        Ok(Some(PeerGuard {
            limit: self.clone(),
            key,
        }))
    }

    /// Addresses with a connection open now.
    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(max: usize) -> Arc<PeerLimit> {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        PeerLimit::new(max, trusted, IntCounter::new("refused", "test").unwrap())
    }

    #[test]
    fn one_address_holds_at_most_max_and_gets_them_back() {
        let limit = limit(2);
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let first = limit.enter(a).unwrap();
        let _second = limit.enter(a).unwrap();
        assert!(limit.enter(a).is_err());
        assert!(
            limit.enter("192.0.2.8".parse().unwrap()).is_ok(),
            "others are not touched"
        );
        drop(first);
        assert!(limit.enter(a).is_ok());
        assert_eq!(limit.refused.get(), 1);
    }

    #[test]
    fn ipv6_counts_per_64_and_trusted_proxies_are_free() {
        let limit = limit(1);
        let _one = limit.enter("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(limit.enter("2001:db8:1:2::ffff".parse().unwrap()).is_err());
        assert!(limit.enter("2001:db8:1:3::1".parse().unwrap()).is_ok());
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        for _ in 0..10 {
            assert!(matches!(limit.enter(proxy), Ok(None)));
        }
    }

    #[test]
    fn entries_go_with_their_last_connection() {
        let limit = limit(3);
        let guards: Vec<_> = (0..3)
            .map(|_| limit.enter("192.0.2.1".parse().unwrap()).unwrap())
            .collect();
        assert_eq!(limit.addresses(), 1);
        drop(guards);
        assert_eq!(limit.addresses(), 0);
    }
}
