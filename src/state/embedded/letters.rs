//! The e-mails an embedded room owes its visitors: letters not sent yet (with their
//! addresses) and the tickets written to already (without). Saved with the room's state file,
//! so a letter asked for survives `kill -9`.

use std::collections::{BTreeMap, BTreeSet};

use crate::state::room::{Enlisted, Letter, MAX_LETTERS};

#[derive(Debug, Default)]
pub(super) struct Letters {
    pending: BTreeMap<u64, Letter>,
    written: BTreeSet<u64>,
}

impl Letters {
    pub(super) fn restore(pending: &[Letter], written: &[u64]) -> Letters {
        Letters {
            pending: pending.iter().map(|l| (l.seq, l.clone())).collect(),
            written: written.iter().copied().collect(),
        }
    }

    /// What the state file keeps: the letters, and the tickets written to.
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
            self.pending.insert(letter.seq, letter);
            Enlisted::Added
        }
    }

    /// Takes an `enlist` back (the save failed).
    pub(super) fn unlist(&mut self, seq: u64) {
        self.pending.remove(&seq);
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
        self.written.insert(seq);
        self.pending.remove(&seq).is_some()
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
        }
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
        assert!(!format!("{:?}", Letters::restore(&pending, &written).written).contains('@'));
        l.forget_called(|seq| seq < 4);
        assert_eq!(
            l.saved().1,
            Vec::<u64>::new(),
            "a called place is forgotten"
        );
    }
}
