//! The outbox: once a second, each room's letters (e-mails asked for on the waiting page) are
//! walked in ticket order, a page at a time, and those whose holders are called or estimated
//! within `lead_time` of their turn are sent, up to `PARALLEL` at once. A failed try is tried
//! again with a growing pause; a permanent refusal, or `MAX_TRIES` failures, gives the letter
//! up. A sent letter's address is deleted from the state. Nothing here blocks a request, and
//! no address reaches the log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Mutex};
use tokio::task::JoinSet;

use crate::clock::Millis;
use crate::config::Lang;
use crate::gateway::view;
use crate::metrics::notified;
use crate::notify::{LetterError, NotifierError, SendError};
use crate::page::{LetterFacts, LetterKind, RoomStateName};
use crate::queue::schedule::Place;
use crate::site::Room;
use crate::state::{Figures, Letter};

use super::Ops;

/// Letters read per room and round: the walk goes on from there in the next round.
const PAGE: usize = 256;
/// E-mails in flight at once per round.
const PARALLEL: usize = 8;
/// Tries before a letter is given up: with the pauses below, some three hours of trying.
const MAX_TRIES: u32 = 10;
const FIRST_PAUSE_MS: Millis = 30_000;
const LONGEST_PAUSE_MS: Millis = 30 * 60_000;

/// What the outbox remembers between rounds, in this process only: where each room's walk
/// stands and how each failing letter fares. A restart begins again: letters are tried anew.
/// Rooms go their own ways: one room's slow SMTP server holds up no other room's e-mails.
#[derive(Default)]
pub struct Outbox {
    rooms: std::sync::Mutex<HashMap<String, Arc<Mutex<Rounds>>>>,
}

#[derive(Default)]
struct Rounds {
    /// The ticket the next page starts at.
    walk: u64,
    /// Ticket → how its letter fares.
    tries: HashMap<u64, Tries>,
}

#[derive(Debug, Clone, Copy)]
enum Tries {
    /// Failed this often; not again before `next`.
    Failed { count: u32, next: Millis },
    /// Sent, but the state did not take the news yet: never sent again.
    Sent,
}

/// Whether a letter goes out now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Due {
    Now(Ending),
    Later,
    /// Of an earlier line: its ticket is no place any more.
    Stale,
}

/// Why a letter goes out, with the operator's message at the end, in the language the
/// visitor used.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ending {
    kind: LetterKind,
    message: Option<String>,
}

/// Whether `letter` goes out now: when the visitor's view of the room (the one their page
/// shows) says they are in, or that their wait is within `lead_ms` while the line moves; or,
/// once, when nothing is left (sold out, or the room closed): those who went away learn it
/// too, and their address goes with that e-mail.
fn due(
    room: &Room,
    letter: &Letter,
    figures: &Figures,
    lang: Lang,
    lead_ms: Millis,
    now: Millis,
) -> Due {
    if letter.at < figures.numbering.started_at * 1000 || !figures.holds(letter.seq) {
        return Due::Stale;
    }
    let place @ Place::At(_) = figures.order.place(letter.seq) else {
        return Due::Later;
    };
    let view = view::view(room, figures, Some(place), lang, now / 1000);
    let plain = |kind| {
        Due::Now(Ending {
            kind,
            message: None,
        })
    };
    if view.admitted {
        return plain(LetterKind::Called);
    }
    let end = |kind| {
        Due::Now(Ending {
            kind,
            message: view.message.clone(),
        })
    };
    match (view.state, view.eta.seconds) {
        (RoomStateName::SoldOut, _) => end(LetterKind::SoldOut),
        (RoomStateName::Closed, _) => end(LetterKind::Closed),
        (RoomStateName::Open, Some(wait)) if wait * 1000 <= lead_ms => plain(LetterKind::Soon),
        _ => Due::Later,
    }
}

/// The pause after the `count`-th failed try.
fn pause(count: u32) -> Millis {
    FIRST_PAUSE_MS
        .saturating_mul(1 << count.saturating_sub(1).min(16))
        .min(LONGEST_PAUSE_MS)
}

/// An SMTP error as the log may show it: a server's answer can quote the address.
fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|w| if w.contains('@') { "<address>" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Ops {
    /// Each room's outbox state, made on first use.
    fn rounds_of(&self, room: &Room) -> Arc<Mutex<Rounds>> {
        self.outbox
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(room.cfg.id.clone())
            .or_default()
            .clone()
    }

    /// One round of the outbox over every room that sends e-mails, the rooms side by side,
    /// waited for (a room still in its last round is waited for too). For tests and tools.
    pub async fn send_letters(self: &Arc<Self>) {
        let site = self.gateway.site.load_full();
        let mut rooms = JoinSet::new();
        for room in site.rooms.iter().filter(|r| r.notifier.is_some()) {
            let rounds = self.rounds_of(room);
            let (ops, room) = (self.clone(), room.clone());
            rooms.spawn(async move {
                let mut rounds = rounds.lock().await;
                ops.room_round(&room, &mut rounds).await;
            });
        }
        while rooms.join_next().await.is_some() {}
    }

    /// The outbox's life: every `period`, a round for every room not still busy with its last
    /// one, each on its own (a room whose SMTP server hangs holds up only itself). On a stop,
    /// the rounds under way are waited for: a letter being sent is sent, or tried again next
    /// time.
    pub async fn outbox(self: Arc<Self>, period: Duration, mut stopped: watch::Receiver<bool>) {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut rounds = JoinSet::new();
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stopped.changed() => break,
            }
            while rounds.try_join_next().is_some() {}
            let site = self.gateway.site.load_full();
            for room in site.rooms.iter().filter(|r| r.notifier.is_some()) {
                let Ok(mut state) = self.rounds_of(room).try_lock_owned() else {
                    continue;
                };
                let (ops, room) = (self.clone(), room.clone());
                rounds.spawn(async move { ops.room_round(&room, &mut state).await });
            }
        }
        while rounds.join_next().await.is_some() {}
    }

    async fn room_round(&self, room: &Arc<Room>, rounds: &mut Rounds) {
        let Some(notifier) = room.notifier.clone() else {
            return;
        };
        let id = room.cfg.id.clone();
        let from = rounds.walk;
        let page = match room.state.letters(from, PAGE).await {
            Ok(Some(page)) => page,
            // Another gateway sends this room's letters, or the state cannot be read now.
            Ok(None) | Err(_) => return,
        };
        let next = match page.last() {
            Some(last) if page.len() == PAGE => last.seq + 1,
            _ => 0,
        };
        rounds.walk = next;
        let now = self.gateway.clock.now_ms();
        let figures = room.state.figures(now);
        let lead_ms = notifier.cfg.lead_time.as_millis() as Millis;
        let mut sending = JoinSet::new();
        let count = |i: usize| room.metrics.doors.notifications[i].inc();
        for letter in page {
            match rounds.tries.get(&letter.seq) {
                Some(Tries::Sent) => {
                    if room.state.letter_done(letter.seq, now).await.is_ok() {
                        rounds.tries.remove(&letter.seq);
                    }
                    continue;
                }
                Some(Tries::Failed { next, .. }) if *next > now => continue,
                _ => {}
            }
            let lang = Lang::parse(&letter.lang).unwrap_or(room.cfg.language());
            let ending = match due(room, &letter, &figures, lang, lead_ms, now) {
                Due::Later => continue,
                Due::Stale => {
                    let _ = room.state.letter_done(letter.seq, now).await;
                    rounds.tries.remove(&letter.seq);
                    continue;
                }
                Due::Now(ending) => ending,
            };
            let facts = LetterFacts {
                kind: ending.kind,
                message: ending.message.as_deref(),
            };
            // Held while away: the link gives the place back for lead_time and
            // hold_place_for after the e-mail went out, however the line moves meanwhile.
            let until = now + lead_ms + room.cfg.tickets.hold_place_for.as_millis() as Millis;
            let line = figures.numbering.started_at;
            let link = notifier.link(&id, &room.keys, letter.seq, line, until);
            let code = room.place_code(letter.seq, &figures);
            let message = notifier.message(
                &room.cfg,
                lang,
                &letter.to,
                letter.seq,
                line,
                code.as_deref(),
                &link,
                until,
                &facts,
                now,
            );
            let message = match message {
                Ok(m) => m,
                Err(why) => {
                    // Nothing to retry: the address was taken, but lettre will not write it.
                    count(notified::DROPPED);
                    tracing::warn!(room = %id, seq = letter.seq, why = %without_addresses(&why.to_string()), "an e-mail could not be written; given up");
                    let _ = room.state.letter_done(letter.seq, now).await;
                    continue;
                }
            };
            // Another gateway may hold the lease now and be sending this one: then not here.
            if !matches!(room.state.claim_letter(letter.seq).await, Ok(true)) {
                continue;
            }
            let notifier = notifier.clone();
            let kind = ending.kind;
            sending.spawn(async move { (letter.seq, kind, notifier.send(&message).await) });
            if sending.len() >= PARALLEL {
                if let Some(Ok((seq, kind, sent))) = sending.join_next().await {
                    self.after_send(room, rounds, (seq, kind), sent).await;
                }
            }
        }
        while let Some(done) = sending.join_next().await {
            if let Ok((seq, kind, sent)) = done {
                self.after_send(room, rounds, (seq, kind), sent).await;
            }
        }
    }

    async fn after_send(
        &self,
        room: &Room,
        rounds: &mut Rounds,
        (seq, kind): (u64, LetterKind),
        sent: Result<(), SendError>,
    ) {
        let id = &room.cfg.id;
        let now = self.gateway.clock.now_ms();
        let count = |i: usize| room.metrics.doors.notifications[i].inc();
        match sent {
            Ok(()) => {
                count(notified::SENT);
                room.metrics.doors.letters[kind as usize].inc();
                tracing::info!(room = %id, seq, "e-mail sent; its address is deleted");
                match room.state.letter_done(seq, now).await {
                    Ok(()) => rounds.tries.remove(&seq),
                    Err(_) => rounds.tries.insert(seq, Tries::Sent),
                };
            }
            Err(SendError {
                permanent,
                text: why,
            }) => {
                count(notified::FAILED);
                let tries = match rounds.tries.get(&seq) {
                    Some(Tries::Failed { count, .. }) => count + 1,
                    _ => 1,
                };
                let why = without_addresses(&why);
                if permanent || tries >= MAX_TRIES {
                    count(notified::DROPPED);
                    tracing::warn!(room = %id, seq, tries, %why, "an e-mail was given up");
                    let _ = room.state.letter_done(seq, now).await;
                    rounds.tries.remove(&seq);
                } else {
                    let next = now + pause(tries);
                    tracing::warn!(room = %id, seq, tries, %why, "sending an e-mail failed; trying again");
                    rounds
                        .tries
                        .insert(seq, Tries::Failed { count: tries, next });
                }
            }
        }
    }
}

/// Why `wartesaal notify-test` sent nothing.
#[derive(Debug, thiserror::Error)]
pub enum NotifyTestError {
    #[error("no room `{0}`")]
    NoRoom(String),
    #[error("room `{0}` sends no e-mails: add [rooms.notify] with smtp_url, from and public_url")]
    NoNotify(String),
    #[error(transparent)]
    Notifier(#[from] NotifierError),
    #[error(transparent)]
    Letter(#[from] LetterError),
    /// The SMTP server's answer, or why it could not be reached.
    #[error("{host}:{port} did not take the e-mail: {text}")]
    NotTaken {
        host: String,
        port: u16,
        text: String,
    },
}

/// `wartesaal notify-test`: sends one test e-mail to `to` through room `room`'s SMTP
/// settings, in the room's language, and says where it went.
pub async fn send_test(
    config: &crate::config::Config,
    room: &str,
    to: &str,
) -> Result<String, NotifyTestError> {
    let Some(cfg) = config.rooms.iter().find(|r| r.id == room) else {
        return Err(NotifyTestError::NoRoom(room.to_string()));
    };
    let Some(notify) = &cfg.notify else {
        return Err(NotifyTestError::NoNotify(room.to_string()));
    };
    let notifier = crate::notify::Notifier::new(notify)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis);
    let message = notifier.test_message(cfg, to, now)?;
    notifier
        .send(&message)
        .await
        .map_err(|e| NotifyTestError::NotTaken {
            host: notify.smtp.host.clone(),
            port: notify.smtp.port,
            text: e.text,
        })?;
    Ok(format!(
        "sent a test e-mail to {to} through {}:{}",
        notify.smtp.host, notify.smtp.port
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_addresses_never_reach_the_log() {
        assert_eq!(pause(1), 30_000);
        assert_eq!(pause(2), 60_000);
        assert_eq!(pause(9), LONGEST_PAUSE_MS);
        assert_eq!(
            without_addresses("550 5.1.1 <ann@example.org>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
    }
}
