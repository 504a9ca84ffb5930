//! A shared room's letters (e-mails owed to visitors) in Redis: the letter by ticket in a
//! hash, the tickets in a sorted set to walk them in order, and the tickets written to in a
//! set (no address). Any gateway takes a letter; the lease holder alone sends them, so each
//! goes out from one gateway.

use crate::state::room::{
    Enlisted, Letter, Replaced, LETTER_CLAIM_MS, MAX_ADDRESS_CHANGES, MAX_LETTERS,
};
use crate::state::StateError;

use super::{unavailable, SharedState};

/// Adds a letter unless its ticket has one (`enlist.lua`).
pub(super) const ENLIST: &str = include_str!("enlist.lua");

/// Replaces the address of a pending letter, a bounded number of times (`replace.lua`).
pub(super) const REPLACE: &str = include_str!("replace.lua");

/// Claims a letter for this gateway, or renews its own claim. KEYS: the letter's claim.
/// ARGV: gateway id, claim ms. 1: ours now; 0: another gateway's.
pub(super) const CLAIM_LETTER: &str = "local v = redis.call('GET', KEYS[1]) \
    if v == false or v == ARGV[1] then \
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0";

impl SharedState {
    /// Whether this gateway holds the cursor lease, and so sends the room's letters.
    fn leads(&self) -> bool {
        self.leader
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    pub(super) async fn enlist_letter(&self, letter: Letter) -> Result<Enlisted, StateError> {
        let json = written_down(&letter)?;
        let code: i64 = self
            .redis
            .scripts
            .enlist
            .key(&self.keys.letters.by_ticket)
            .key(&self.keys.letters.queue)
            .key(&self.keys.letters.written)
            .arg(letter.seq)
            .arg(json)
            .arg(MAX_LETTERS)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(match code {
            1 => Enlisted::Added,
            2 => Enlisted::Full,
            _ => Enlisted::Already,
        })
    }

    pub(super) async fn replace(&self, mut letter: Letter) -> Result<Replaced, StateError> {
        // Written with the count the script puts in: `"changes":` stays the last field.
        letter.changes = 0;
        let json = written_down(&letter)?;
        let code: i64 = self
            .redis
            .scripts
            .replace_letter
            .key(&self.keys.letters.by_ticket)
            .arg(letter.seq)
            .arg(json)
            .arg(MAX_ADDRESS_CHANGES)
            .arg(
                serde_json::json!({ "to": letter.to })
                    .to_string()
                    .trim_matches(['{', '}']),
            )
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(match code {
            1 => Replaced::Replaced,
            2 => Replaced::TooMany,
            3 => Replaced::Same,
            _ => Replaced::NotPending,
        })
    }

    pub(super) async fn noted(&self, seq: u64) -> Result<Option<String>, StateError> {
        let json: Option<String> = redis::cmd("HGET")
            .arg(&self.keys.letters.by_ticket)
            .arg(seq)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(json
            .and_then(|j| serde_json::from_str::<Letter>(&j).ok())
            .map(|l| l.to))
    }

    pub(super) async fn letters_from(
        &self,
        from: u64,
        max: usize,
    ) -> Result<Option<Vec<Letter>>, StateError> {
        if !self.leads() {
            return Ok(None);
        }
        let mut conn = self.conn();
        let seqs: Vec<u64> = redis::cmd("ZRANGEBYSCORE")
            .arg(&self.keys.letters.queue)
            .arg(from)
            .arg("+inf")
            .arg("LIMIT")
            .arg(0)
            .arg(max)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if seqs.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let texts: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(&self.keys.letters.by_ticket)
            .arg(&seqs)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let letters = texts
            .iter()
            .flatten()
            .filter_map(|t| serde_json::from_str(t).ok())
            .collect();
        Ok(Some(letters))
    }

    /// The key of ticket `seq`'s claim (same hash tag as the room's other keys).
    fn claim_key(&self, seq: u64) -> String {
        format!("{}:{seq}", self.keys.letters.queue)
    }

    pub(super) async fn claim(&self, seq: u64) -> Result<bool, StateError> {
        // Only the lease holder sends; a gateway that lost the lease mid-round stops here.
        if !self.leads() {
            return Ok(false);
        }
        let ours: i64 = self
            .redis
            .scripts
            .claim_letter
            .key(self.claim_key(seq))
            .arg(&self.redis.id)
            .arg(LETTER_CLAIM_MS)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(ours == 1)
    }

    /// Forgets the tickets written to below `below`: their places are called, and a called
    /// place signs up for nothing, so the list holds waiting places only.
    pub(super) async fn forget_called(&self, below: u64) -> Result<(), StateError> {
        redis::cmd("ZREMRANGEBYSCORE")
            .arg(&self.keys.letters.written)
            .arg("-inf")
            .arg(format!("({below}"))
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    pub(super) async fn letter_sent(&self, seq: u64) -> Result<(), StateError> {
        redis::pipe()
            .atomic()
            .cmd("ZADD")
            .arg(&self.keys.letters.written)
            .arg(seq)
            .arg(seq)
            .ignore()
            .cmd("HDEL")
            .arg(&self.keys.letters.by_ticket)
            .arg(seq)
            .ignore()
            .cmd("ZREM")
            .arg(&self.keys.letters.queue)
            .arg(seq)
            .ignore()
            .cmd("DEL")
            .arg(self.claim_key(seq))
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(unavailable)
    }
}

/// A letter as Redis keeps it.
fn written_down(letter: &Letter) -> Result<String, StateError> {
    serde_json::to_string(letter)
        .map_err(|e| StateError::Unavailable(format!("a letter could not be written down: {e}")))
}
