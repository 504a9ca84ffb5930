//! The pre-queue's random order: owns a keyed pseudorandom permutation of `0..size`, so that
//! everyone present at opening gets a distinct place without a stored list or any per-visitor
//! state. Must not know about tickets, time or storage; `schedule` and `state` decide when it
//! is used and keep its key.
//!
//! The construction is a balanced Feistel network over the smallest even number of bits that
//! covers `size`, with cycle walking: a number whose image falls outside `0..size` is encrypted
//! again until it lands inside. Each round mixes one half with SHA-256 over the key, the round
//! number and the other half. The whole order is reproducible from the 32-byte key and the
//! size alone, which is what `wartesaal audit-order` prints.

use sha2::{Digest, Sha256};

/// Feistel rounds. Four already give a pseudorandom permutation from a pseudorandom function;
/// six leave margin for the tiny domains (a few bits per half) of small pre-queues.
const ROUNDS: u8 = 6;
/// Label and key fill exactly one SHA-256 block, which is compressed once per `Shuffle`; each
/// round then costs one more compression.
const DOMAIN: &[u8; 32] = b"wartesaal prequeue order v1\0\0\0\0\0";

/// The order of one frozen pre-queue.
#[derive(Clone)]
pub struct Shuffle {
    size: u64,
    half_bits: u32,
    /// SHA-256 with the domain label and the key already absorbed.
    keyed: Sha256,
}

impl Shuffle {
    pub fn new(key: &[u8; 32], size: u64) -> Shuffle {
        // Smallest even bit width whose domain holds `size`: at most four times `size`, so
        // cycle walking takes fewer than four rounds of the network on average.
        let bits = u64::BITS - size.saturating_sub(1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        let mut keyed = Sha256::new();
        keyed.update(DOMAIN);
        keyed.update(key);
        Shuffle {
            size,
            half_bits,
            keyed,
        }
    }

    /// The place (`0..size`) of pre-queue number `number` (`0..size`). Numbers outside the
    /// range are returned unchanged.
    pub fn place(&self, number: u64) -> u64 {
        if number >= self.size || self.size == 1 {
            return number;
        }
        let mut x = number;
        loop {
            x = self.encrypt(x);
            if x < self.size {
                return x;
            }
        }
    }

    /// The pre-queue number at `place`: the inverse of `place`.
    pub fn number_at(&self, place: u64) -> u64 {
        if place >= self.size || self.size == 1 {
            return place;
        }
        let mut x = place;
        loop {
            x = self.decrypt(x);
            if x < self.size {
                return x;
            }
        }
    }

    fn mask(&self) -> u64 {
        (1u64 << self.half_bits) - 1
    }

    fn round(&self, round: u8, half: u64) -> u64 {
        let mut h = self.keyed.clone();
        h.update([round]);
        h.update(half.to_le_bytes());
        let digest = h.finalize();
        let mut word = [0u8; 8];
        word.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(word) & self.mask()
    }

    fn encrypt(&self, x: u64) -> u64 {
        let (mut left, mut right) = (x >> self.half_bits, x & self.mask());
        for r in 0..ROUNDS {
            (left, right) = (right, left ^ self.round(r, right));
        }
        (left << self.half_bits) | right
    }

    fn decrypt(&self, x: u64) -> u64 {
        let (mut left, mut right) = (x >> self.half_bits, x & self.mask());
        for r in (0..ROUNDS).rev() {
            (left, right) = (right ^ self.round(r, left), left);
        }
        (left << self.half_bits) | right
    }
}

impl std::fmt::Debug for Shuffle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shuffle")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// How a shuffle fails to be a bijection, at the first number that shows it.
    #[derive(Debug, PartialEq)]
    enum NotBijection {
        Outside { number: u64, place: u64 },
        Twice { place: u64 },
        NotInverse { number: u64, place: u64 },
    }

    fn is_bijection(key: &[u8; 32], size: u64) -> Result<(), NotBijection> {
        let shuffle = Shuffle::new(key, size);
        let mut seen = vec![false; size as usize];
        for number in 0..size {
            let place = shuffle.place(number);
            if place >= size {
                return Err(NotBijection::Outside { number, place });
            }
            if std::mem::replace(&mut seen[place as usize], true) {
                return Err(NotBijection::Twice { place });
            }
            if shuffle.number_at(place) != number {
                return Err(NotBijection::NotInverse { number, place });
            }
        }
        Ok(())
    }

    #[test]
    fn every_small_size_is_a_bijection() {
        let key = [7u8; 32];
        for size in 0..=300 {
            assert_eq!(is_bijection(&key, size), Ok(()), "size {size}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// For sizes up to 5000 and any key, every pre-queue number gets its own place in
        /// `0..size` and the inverse finds it again.
        #[test]
        fn places_are_a_permutation(size in 1u64..=5000, key in any::<[u8; 32]>()) {
            prop_assert_eq!(is_bijection(&key, size), Ok(()));
        }

        /// Numbers past the pre-queue are left alone: they queue FIFO behind it.
        #[test]
        fn numbers_outside_are_unchanged(size in 0u64..5000, extra in 0u64..1000, key in any::<[u8; 32]>()) {
            let s = Shuffle::new(&key, size);
            prop_assert_eq!(s.place(size + extra), size + extra);
        }
    }

    #[test]
    fn the_same_key_gives_the_same_order_and_another_key_another() {
        let a = Shuffle::new(&[1u8; 32], 1000);
        let again = Shuffle::new(&[1u8; 32], 1000);
        let b = Shuffle::new(&[2u8; 32], 1000);
        let order = |s: &Shuffle| (0..1000).map(|n| s.place(n)).collect::<Vec<_>>();
        assert_eq!(order(&a), order(&again));
        assert_ne!(order(&a), order(&b));
        assert_ne!(order(&a), (0..1000).collect::<Vec<_>>(), "not the identity");
    }

    /// Arriving early or late in the pre-queue makes no difference: over many keys, the place
    /// of the first and of the last pre-queue number is spread evenly over the ten deciles of
    /// the line (chi-square with 9 degrees of freedom, fixed seed).
    #[test]
    fn early_and_late_arrivals_are_placed_uniformly() {
        use proptest::test_runner::{RngAlgorithm, TestRng};
        let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]);
        let size = 500u64;
        let keys = 5000;
        let watched = [0, 1, size / 2, size - 2, size - 1];
        let mut deciles = vec![[0u64; 10]; watched.len()];
        for _ in 0..keys {
            let mut key = [0u8; 32];
            rng.fill_bytes(&mut key);
            let s = Shuffle::new(&key, size);
            for (i, &n) in watched.iter().enumerate() {
                deciles[i][(s.place(n) * 10 / size) as usize] += 1;
            }
        }
        let expected = keys as f64 / 10.0;
        for (i, counts) in deciles.iter().enumerate() {
            let chi2: f64 = counts
                .iter()
                .map(|&c| (c as f64 - expected).powi(2) / expected)
                .sum();
            // 27.88 is the 0.999 quantile of chi-square with 9 degrees of freedom.
            assert!(
                chi2 < 27.88,
                "pre-queue number {} is not placed uniformly: chi2 {chi2:.1}, {counts:?}",
                watched[i]
            );
        }
    }
}
