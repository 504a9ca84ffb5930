//! Who may draw a new ticket: owns the per-address issuance limit and the proof-of-work
//! challenges (their single use and the check of a solution). Must not draw tickets or render
//! pages; `gateway` asks before it draws. Memory here is fixed when the room is built, whatever
//! arrives: a flood of spoofed addresses or of challenges cannot grow it.

use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::clock::Millis;

const MINUTE_MS: Millis = 60_000;
/// Counters per row of the sketch. Two rows of 32,768 counters, for the current and the last
/// minute: 512 KiB a room. An address is limited wrongly only if both its counters are shared
/// with others who together drew the limit, which takes millions of new tickets a minute.
const WIDTH: usize = 1 << 15;
const ROWS: usize = 2;

/// New tickets per client address per minute, IPv6 counted per /64 (one household or phone
/// gets a whole /64). A count-min sketch over a sliding minute: fixed memory, no entry per
/// address, and it errs only towards counting too much.
pub struct AddressLimiter {
    per_minute: u32,
    hasher: std::collections::hash_map::RandomState,
    /// Indexed by minute parity: the current minute and the one before.
    minutes: [Minute; 2],
    /// Taken only to begin a new minute, once a minute.
    turn: Mutex<()>,
}

struct Minute {
    /// Which minute (Unix minutes + 1; 0: never used) these counts belong to.
    number: AtomicU64,
    counts: Box<[AtomicU32]>,
}

impl Minute {
    fn new() -> Minute {
        Minute {
            number: AtomicU64::new(0),
            counts: (0..ROWS * WIDTH).map(|_| AtomicU32::new(0)).collect(),
        }
    }
}

impl AddressLimiter {
    pub fn new(per_minute: u32) -> AddressLimiter {
        AddressLimiter {
            per_minute,
            hasher: std::collections::hash_map::RandomState::new(),
            minutes: [Minute::new(), Minute::new()],
            turn: Mutex::new(()),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Bytes this limiter holds, which no traffic changes.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + 2 * ROWS * WIDTH * std::mem::size_of::<AtomicU32>()
    }

    /// Counts a new ticket for `ip` at `now`, or says in how many seconds one would be
    /// allowed again. The count is taken first and given back on refusal, so that requests
    /// racing each other cannot all slip under the limit.
    pub fn allow(&self, ip: IpAddr, now: Millis) -> Result<(), u64> {
        let number = now / MINUTE_MS + 1;
        let cells = self.cells(ip);
        let current = self.minute(number);
        for &i in &cells {
            current.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        let (this, last) = self.counts(&cells, number);
        if this + last * overlap(now) <= f64::from(self.per_minute) + 1e-9 {
            return Ok(());
        }
        for &i in &cells {
            current.counts[i].fetch_sub(1, Ordering::Relaxed);
        }
        Err(self.retry_after(this - 1.0, last, now))
    }

    /// Whether a new ticket for `ip` would be allowed now, without counting one: for handing
    /// out work (a proof-of-work puzzle) only to those who could use it.
    pub fn would_allow(&self, ip: IpAddr, now: Millis) -> Result<(), u64> {
        let number = now / MINUTE_MS + 1;
        let (this, last) = self.counts(&self.cells(ip), number);
        if this + 1.0 + last * overlap(now) <= f64::from(self.per_minute) + 1e-9 {
            Ok(())
        } else {
            Err(self.retry_after(this, last, now))
        }
    }

    /// This minute's and the last minute's count of the fullest-known cell pair: the smaller
    /// of the two rows' sums (count-min).
    fn counts(&self, cells: &[usize; ROWS], number: u64) -> (f64, f64) {
        let current = &self.minutes[(number % 2) as usize];
        let previous = &self.minutes[((number - 1) % 2) as usize];
        let this_counts = current.number.load(Ordering::Acquire) == number;
        let last_counts = previous.number.load(Ordering::Acquire) == number - 1;
        let read = |m: &Minute, valid: bool, i: usize| {
            if valid {
                f64::from(m.counts[i].load(Ordering::Relaxed))
            } else {
                0.0
            }
        };
        cells
            .iter()
            .map(|&i| {
                (
                    read(current, this_counts, i),
                    read(previous, last_counts, i),
                )
            })
            .fold((f64::INFINITY, f64::INFINITY), |(a, b), (this, last)| {
                if this + last < a + b {
                    (this, last)
                } else {
                    (a, b)
                }
            })
    }

    /// Seconds until one more ticket fits, if nothing else is drawn meanwhile: the last
    /// minute's count fades out as the sliding minute moves past it.
    fn retry_after(&self, this: f64, last: f64, now: Millis) -> u64 {
        let limit = f64::from(self.per_minute) + 1e-9;
        let into = now % MINUTE_MS;
        (1..=120u64)
            .find(|&s| {
                let at = into + s * 1000;
                let estimate = if at < MINUTE_MS {
                    this + last * (1.0 - at as f64 / MINUTE_MS as f64)
                } else {
                    // In the next minute this minute's count is the one fading out.
                    this * (1.0 - (at - MINUTE_MS) as f64 / MINUTE_MS as f64)
                };
                estimate + 1.0 <= limit
            })
            .unwrap_or(120)
    }

    /// The counts of minute `number`, emptied first if they belonged to an older one. A caller
    /// with an older `now` (it waited) counts into the newer minute rather than emptying it.
    fn minute(&self, number: u64) -> &Minute {
        let m = &self.minutes[(number % 2) as usize];
        if m.number.load(Ordering::Acquire) < number {
            let _turn = self.turn.lock().unwrap_or_else(|p| p.into_inner());
            if m.number.load(Ordering::Acquire) < number {
                for c in m.counts.iter() {
                    c.store(0, Ordering::Relaxed);
                }
                m.number.store(number, Ordering::Release);
            }
        }
        m
    }

    fn cells(&self, ip: IpAddr) -> [usize; ROWS] {
        let key: (u8, u64) = match ip.to_canonical() {
            IpAddr::V4(v4) => (4, u64::from(u32::from(v4))),
            // The /64 prefix: a network, not one of its 2^64 addresses.
            IpAddr::V6(v6) => (6, (u128::from(v6) >> 64) as u64),
        };
        let h = self.hasher.hash_one(key);
        [(h as usize) % WIDTH, WIDTH + ((h >> 32) as usize) % WIDTH]
    }
}

/// How much of the last minute still lies inside the sliding minute ending at `now`.
fn overlap(now: Millis) -> f64 {
    1.0 - (now % MINUTE_MS) as f64 / MINUTE_MS as f64
}

/// Challenges handed out: each may be used once. A challenge's id is a number from a counter
/// that starts at this process's boot time (in microseconds), so ids of an earlier run are
/// never taken again; a ring of bits over the last `RING` ids records which were used.
///
/// A room shared by several gateways hands out challenges at one gateway that are handed in
/// at another: there (`Challenges::shared`) ids are random, so that no two gateways hand out
/// the same, and single use is checked where the room's state is shared (`state::Gate`).
pub struct Challenges {
    first: u64,
    next: AtomicU64,
    used: Box<[AtomicU64]>,
    shared: bool,
}

/// Challenges that can be outstanding at once: 2^24 ids, 2 MiB of bits. Ids older than that
/// are refused, which takes sixteen million challenges while one browser solves its own.
const RING: u64 = 1 << 24;

/// Why a solution was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The hash does not have enough leading zero bits.
    Wrong,
    /// Used before, or from before this process began.
    Used,
}

impl Challenges {
    pub fn new(now: Millis) -> Challenges {
        let first = now.saturating_mul(1000);
        Challenges {
            first,
            next: AtomicU64::new(first),
            used: (0..RING / 64).map(|_| AtomicU64::new(0)).collect(),
            shared: false,
        }
    }

    /// For a room whose state is shared: no ring here.
    pub fn shared() -> Challenges {
        Challenges {
            first: 0,
            next: AtomicU64::new(0),
            used: Box::new([]),
            shared: true,
        }
    }

    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// A new challenge id.
    pub fn issue(&self) -> u64 {
        if self.shared {
            let mut id = [0u8; 8];
            let _ = getrandom::getrandom(&mut id);
            return u64::from_le_bytes(id);
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (word, bit) = Self::slot(id);
        self.used[word].fetch_and(!bit, Ordering::Relaxed);
        id
    }

    /// Checks a solution of challenge `id` (written as `challenge`) with `nonce` against
    /// `bits`, and uses the challenge up if it is right. One hash.
    pub fn redeem(&self, id: u64, challenge: &str, nonce: &str, bits: u8) -> Result<(), Refusal> {
        if !solves(challenge, nonce, bits) {
            return Err(Refusal::Wrong);
        }
        if self.shared {
            return Ok(()); // Used once: checked with the draw.
        }
        let next = self.next.load(Ordering::Relaxed);
        if id < self.first || id >= next || next - id > RING {
            return Err(Refusal::Used);
        }
        let (word, bit) = Self::slot(id);
        if self.used[word].fetch_or(bit, Ordering::Relaxed) & bit != 0 {
            return Err(Refusal::Used);
        }
        Ok(())
    }

    fn slot(id: u64) -> (usize, u64) {
        let i = id % RING;
        ((i / 64) as usize, 1u64 << (i % 64))
    }
}

/// Whether SHA-256 of `challenge:nonce` starts with `bits` zero bits. The page's script does
/// the same search (`assets/wartesaal.js`).
pub fn solves(challenge: &str, nonce: &str, bits: u8) -> bool {
    if nonce.is_empty() || nonce.len() > 20 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut h = Sha256::new();
    h.update(challenge.as_bytes());
    h.update(b":");
    h.update(nonce.as_bytes());
    leading_zero_bits(&h.finalize()) >= u32::from(bits)
}

fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut n = 0;
    for &b in digest {
        if b == 0 {
            n += 8;
        } else {
            return n + b.leading_zeros();
        }
    }
    n
}

/// Finds a nonce for `challenge` at `bits`, as a browser would: for tests and benchmarks.
pub fn solve(challenge: &str, bits: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| solves(challenge, n, bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    const T: Millis = 1_700_000_000_000 / MINUTE_MS * MINUTE_MS;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn each_address_gets_its_share_per_minute() {
        let l = AddressLimiter::new(3);
        for _ in 0..3 {
            assert_eq!(l.allow(ip("203.0.113.7"), T), Ok(()));
        }
        // Three this minute: one fits again once the minute has slid a third past them.
        assert_eq!(l.allow(ip("203.0.113.7"), T + 10_000), Err(70));
        assert_eq!(l.would_allow(ip("203.0.113.7"), T + 10_000), Err(70));
        assert!(
            l.allow(ip("203.0.113.7"), T + 80_000).is_ok(),
            "as Retry-After said"
        );
        assert!(l.allow(ip("203.0.113.7"), T + 80_000).is_err());
        assert_eq!(
            l.allow(ip("203.0.113.8"), T + 10_000),
            Ok(()),
            "a neighbour is not affected"
        );
        // Two quiet minutes later it starts afresh.
        for _ in 0..3 {
            assert!(l.allow(ip("203.0.113.7"), T + 3 * MINUTE_MS).is_ok());
        }
        assert!(l.would_allow(ip("203.0.113.7"), T + 3 * MINUTE_MS).is_err());
        // A request that waited and carries an older time does not empty the current minute
        // (whose counters it would share with that older minute).
        let _ = l.allow(ip("203.0.113.7"), T + 80_000);
        assert!(l.allow(ip("203.0.113.7"), T + 3 * MINUTE_MS + 1).is_err());
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        let l = AddressLimiter::new(2);
        assert!(l.allow(ip("2001:db8:1:2::1"), T).is_ok());
        assert!(l.allow(ip("2001:db8:1:2:ffff::9"), T).is_ok());
        assert!(
            l.allow(ip("2001:db8:1:2:abcd::1"), T).is_err(),
            "same /64, another address"
        );
        assert!(l.allow(ip("2001:db8:1:3::1"), T).is_ok(), "the next /64");
        // An IPv4 client seen through an IPv4-mapped IPv6 address is the same client.
        assert!(l.allow(ip("198.51.100.1"), T).is_ok());
        assert!(l.allow(ip("::ffff:198.51.100.1"), T).is_ok());
        assert!(l.allow(ip("198.51.100.1"), T).is_err());
    }

    #[test]
    fn a_flood_of_spoofed_addresses_neither_grows_memory_nor_locks_out_a_newcomer() {
        let l = AddressLimiter::new(120);
        let before = l.memory_bytes();
        for i in 0..1_000_000u64 {
            let a = Ipv6Addr::from(((0x2001_0db8u128 << 96) | (u128::from(i) << 64)) | 1);
            let _ = l.allow(IpAddr::V6(a), T + i % 50_000);
        }
        assert_eq!(l.memory_bytes(), before);
        assert!(l.memory_bytes() < 600 * 1024, "{}", l.memory_bytes());
        assert!(l.allow(ip("192.0.2.1"), T + 50_000).is_ok());
    }

    #[test]
    fn a_challenge_is_used_once_and_only_with_enough_zero_bits() {
        let c = Challenges::new(T);
        let id = c.issue();
        let text = format!("challenge-{id}");
        let nonce = solve(&text, 8);
        assert!(solves(&text, &nonce, 8));
        assert_eq!(c.redeem(id, &text, "x", 8), Err(Refusal::Wrong));
        let wrong = (0u64..)
            .map(|n| n.to_string())
            .find(|n| !solves(&text, n, 8))
            .unwrap();
        assert_eq!(c.redeem(id, &text, &wrong, 8), Err(Refusal::Wrong));
        assert_eq!(c.redeem(id, &text, &nonce, 8), Ok(()));
        assert_eq!(c.redeem(id, &text, &nonce, 8), Err(Refusal::Used), "reused");
        // An id this process never handed out (an earlier run's) is refused.
        let later = Challenges::new(T + 1);
        assert_eq!(later.redeem(id, &text, &nonce, 8), Err(Refusal::Used));
    }
}
