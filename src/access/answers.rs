//! One ticket per answered eligibility form. The "every answer was yes" cookie carries a
//! random id; the first draw with it is remembered here, and the same cookie brought again
//! (copied into 200 fresh browsers, or replayed by a script) gets that ticket back instead of
//! a new one. Must not draw or read requests: the gateway asks before drawing and says what
//! it drew.

use std::num::NonZeroUsize;
use std::sync::Mutex;

/// Answers remembered at most: fixed memory. A full table forgets the answer used least
/// recently; an answer's cookie lives 15 minutes, far less than it takes real visitors to
/// fill this.
const MAX_ANSWERS: usize = 1 << 17;

/// What an answer may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Not used yet: draw, then `drew` (or `release` if the draw failed).
    Fresh,
    /// It drew this ticket already: give it back.
    Drew(u64),
    /// A draw with it is under way (the same cookie twice at once): try again in a moment.
    Drawing,
}

/// The answers that drew a ticket, by their id.
pub struct AnswerDraws {
    by_id: Mutex<lru::LruCache<u64, Option<u64>>>,
}

impl Default for AnswerDraws {
    fn default() -> AnswerDraws {
        AnswerDraws {
            by_id: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(MAX_ANSWERS).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl AnswerDraws {
    /// Claims answer `id` for a draw, or says what it drew.
    pub fn claim(&self, id: u64) -> Claim {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        match by_id.get(&id) {
            Some(Some(seq)) => Claim::Drew(*seq),
            Some(None) => Claim::Drawing,
            None => {
                by_id.put(id, None);
                Claim::Fresh
            }
        }
    }

    /// Answer `id` drew ticket `seq`.
    pub fn drew(&self, id: u64, seq: u64) {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        by_id.put(id, Some(seq));
    }

    /// The draw with answer `id` failed: it may draw again.
    pub fn release(&self, id: u64) {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        if by_id.peek(&id) == Some(&None) {
            by_id.pop(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_draws_once_and_a_replay_gets_that_ticket() {
        let a = AnswerDraws::default();
        assert_eq!(a.claim(7), Claim::Fresh);
        assert_eq!(a.claim(7), Claim::Drawing);
        a.drew(7, 42);
        assert_eq!(a.claim(7), Claim::Drew(42));
        assert_eq!(a.claim(8), Claim::Fresh);
        a.release(8);
        assert_eq!(a.claim(8), Claim::Fresh);
        a.release(7);
        assert_eq!(a.claim(7), Claim::Drew(42), "a drawn answer stays drawn");
    }
}
