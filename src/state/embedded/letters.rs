//! The e-mails an embedded room owes its visitors: letters not sent yet (with their
//! addresses) and the tickets written to already (without). Kept on disk in the room's
//! letters journal (`file::Journal`): each change is a line, appended with the next save
//! (the sign-up is answered once it is on disk), and the whole journal is rewritten now and
//! then, which takes sent letters' addresses off the disk.

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::Millis;
use crate::state::room::{Enlisted, Letter, Replaced, MAX_ADDRESS_CHANGES, MAX_LETTERS};

use super::file::JournalEntry;

/// A sent letter's address stays in the journal at most this long (until the next rewrite).
const REWRITE_AFTER_SENT_MS: Millis = 5_000;
/// Lines the journal may hold beyond twice the live ones before it is rewritten.
const SLACK_LINES: usize = 1_024;

#[derive(Debug, Default)]
pub(super) struct Letters {
    pending: BTreeMap<u64, Letter>,
    written: BTreeSet<u64>,
    /// Lines not yet in the journal file.
    unwritten: Vec<u8>,
    /// Lines in the journal file (and in `unwritten`) since its last rewrite.
    lines: usize,
    /// A letter was sent (or taken back) since the last rewrite: its address is still on disk.
    sent_since_rewrite: bool,
    /// The journal must be rewritten whole (loaded from an older state file, or a write
    /// failed half-way).
    rewrite: bool,
    rewritten_at: Millis,
}

/// What a save does with the journal.
pub(super) enum JournalWork {
    Nothing,
    /// Append these lines.
    Append(Vec<u8>),
    /// Replace the file with these lines: every letter owed and every ticket written to.
    Rewrite(Vec<u8>),
}

impl Letters {
    /// The letters of a state file (an older one kept them there) and then the journal's.
    pub(super) fn restore(
        pending: &[Letter],
        written: &[u64],
        journal: Vec<JournalEntry>,
    ) -> Letters {
        let mut l = Letters {
            pending: pending.iter().map(|l| (l.seq, l.clone())).collect(),
            written: written.iter().copied().collect(),
            lines: journal.len(),
            // Letters from the state file move to the journal at the first save.
            rewrite: !pending.is_empty() || !written.is_empty(),
            ..Letters::default()
        };
        for entry in journal {
            match entry {
                JournalEntry::Letter(letter) => {
                    if !l.written.contains(&letter.seq) {
                        l.pending.insert(letter.seq, letter);
                    }
                }
                JournalEntry::Written(seq) => {
                    l.pending.remove(&seq);
                    l.written.insert(seq);
                }
                JournalEntry::Dropped(seq) => {
                    l.pending.remove(&seq);
                }
            }
        }
        l.sent_since_rewrite = l.lines > l.pending.len() + l.written.len();
        l
    }

    fn note(&mut self, entry: &JournalEntry) {
        if let Ok(line) = serde_json::to_vec(entry) {
            self.unwritten.extend_from_slice(&line);
            self.unwritten.push(b'\n');
            self.lines += 1;
        }
    }

    /// What the next save does with the journal at `now`: the whole of it now and then,
    /// else the lines since the last save.
    pub(super) fn journal_work(&mut self, now: Millis) -> JournalWork {
        let live = self.pending.len() + self.written.len();
        let due = self.rewrite
            || self.lines > 2 * live + SLACK_LINES
            || (self.sent_since_rewrite
                && now.saturating_sub(self.rewritten_at) >= REWRITE_AFTER_SENT_MS);
        if due {
            self.unwritten.clear();
            let mut all = Vec::new();
            let mut lines = 0;
            let entries = self
                .written
                .iter()
                .map(|&seq| JournalEntry::Written(seq))
                .chain(self.pending.values().cloned().map(JournalEntry::Letter));
            for entry in entries {
                if let Ok(line) = serde_json::to_vec(&entry) {
                    all.extend_from_slice(&line);
                    all.push(b'\n');
                    lines += 1;
                }
            }
            self.lines = lines;
            self.rewrite = false;
            self.sent_since_rewrite = false;
            self.rewritten_at = now;
            return JournalWork::Rewrite(all);
        }
        if self.unwritten.is_empty() {
            JournalWork::Nothing
        } else {
            JournalWork::Append(std::mem::take(&mut self.unwritten))
        }
    }

    /// The journal work of a save failed: done again, whole, with the next save.
    pub(super) fn journal_failed(&mut self) {
        self.rewrite = true;
    }

    /// What the state file keeps: the letters, and the tickets written to.
    #[cfg(test)]
    pub(super) fn saved(&self) -> (Vec<Letter>, Vec<u64>) {
        (
            self.pending.values().cloned().collect(),
            self.written.iter().copied().collect(),
        )
    }

    pub(super) fn enlist(&mut self, letter: Letter) -> Enlisted {
        if self.pending.contains_key(&letter.seq) || self.written.contains(&letter.seq) {
            Enlisted::Already
        } else if self.pending.len() >= MAX_LETTERS {
            Enlisted::Full
        } else {
            self.note(&JournalEntry::Letter(letter.clone()));
            self.pending.insert(letter.seq, letter);
            Enlisted::Added
        }
    }

    /// Puts `letter` in place of the one pending for its ticket (see
    /// `RoomState::replace_letter`); the one it replaces is handed back, to be put back if
    /// the save fails.
    pub(super) fn replace(&mut self, mut letter: Letter) -> (Replaced, Option<Letter>) {
        let Some(old) = self.pending.get(&letter.seq) else {
            return (Replaced::NotPending, None);
        };
        if old.to == letter.to {
            return (Replaced::Same, None);
        }
        if old.changes >= MAX_ADDRESS_CHANGES {
            return (Replaced::TooMany, None);
        }
        letter.changes = old.changes + 1;
        self.note(&JournalEntry::Letter(letter.clone()));
        // The old address is still in the journal's earlier line: rewritten away soon.
        self.sent_since_rewrite = true;
        (Replaced::Replaced, self.pending.insert(letter.seq, letter))
    }

    /// Puts back the letter a failed `replace` replaced.
    pub(super) fn put_back(&mut self, old: Letter) {
        self.note(&JournalEntry::Letter(old.clone()));
        self.pending.insert(old.seq, old);
    }

    /// The address of the letter pending for `seq`.
    pub(super) fn noted(&self, seq: u64) -> Option<String> {
        self.pending.get(&seq).map(|l| l.to.clone())
    }

    /// Takes an `enlist` back (the save failed).
    pub(super) fn unlist(&mut self, seq: u64) {
        if self.pending.remove(&seq).is_some() {
            self.note(&JournalEntry::Dropped(seq));
            self.sent_since_rewrite = true;
        }
    }

    pub(super) fn from(&self, from: u64, max: usize) -> Vec<Letter> {
        self.pending
            .range(from..)
            .take(max)
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// Forgets the tickets written to whose places are `called`: they cannot sign up again
    /// (a called place gets no letter), so the list holds only places still waiting and
    /// stays bounded for a line's whole life.
    pub(super) fn forget_called(&mut self, called: impl Fn(u64) -> bool) {
        self.written.retain(|&seq| !called(seq));
    }

    /// Forgets the address; `false` if there was no such letter.
    pub(super) fn done(&mut self, seq: u64) -> bool {
        if self.written.insert(seq) {
            self.note(&JournalEntry::Written(seq));
        }
        let had = self.pending.remove(&seq).is_some();
        self.sent_since_rewrite |= had;
        had
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(seq: u64) -> Letter {
        Letter {
            seq,
            to: format!("p{seq}@example.org"),
            lang: "de".into(),
            at: 1,
            changes: 0,
        }
    }

    #[test]
    fn the_journal_replays_and_is_rewritten_once_a_letter_was_sent() {
        let mut l = Letters::default();
        l.enlist(letter(1));
        l.enlist(letter(2));
        let JournalWork::Append(lines) = l.journal_work(0) else {
            panic!("the new letters are appended")
        };
        assert!(matches!(l.journal_work(0), JournalWork::Nothing));
        l.done(1);
        l.unlist(2);
        let JournalWork::Append(more) = l.journal_work(1_000) else {
            panic!("appended until the rewrite is due")
        };
        let entries: Vec<JournalEntry> = lines
            .split(|b| *b == b'\n')
            .chain(more.split(|b| *b == b'\n'))
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice(line).unwrap())
            .collect();
        let back = Letters::restore(&[], &[], entries);
        assert!(back.pending.is_empty(), "sent and taken back");
        assert_eq!(back.written.iter().copied().collect::<Vec<_>>(), [1]);
        // Five seconds after a letter went out, the journal is rewritten without its address.
        let JournalWork::Rewrite(all) = l.journal_work(REWRITE_AFTER_SENT_MS) else {
            panic!("rewritten")
        };
        assert!(!String::from_utf8(all).unwrap().contains('@'));
    }

    #[test]
    fn one_letter_per_ticket_ever_and_the_address_goes_once_sent() {
        let mut l = Letters::default();
        assert_eq!(l.enlist(letter(3)), Enlisted::Added);
        assert_eq!(l.enlist(letter(3)), Enlisted::Already);
        assert_eq!(l.enlist(letter(1)), Enlisted::Added);
        assert_eq!(
            l.from(0, 10).iter().map(|l| l.seq).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(l.from(2, 10).len(), 1);
        assert!(l.done(3));
        assert_eq!(l.enlist(letter(3)), Enlisted::Already, "written to already");
        let (pending, written) = l.saved();
        assert_eq!(pending, [letter(1)]);
        assert_eq!(written, [3]);
        assert!(!format!(
            "{:?}",
            Letters::restore(&pending, &written, Vec::new()).written
        )
        .contains('@'));
        l.forget_called(|seq| seq < 4);
        assert_eq!(
            l.saved().1,
            Vec::<u64>::new(),
            "a called place is forgotten"
        );
    }
}
