//! `wartesaal invite`: one-use invitation codes for a room, printed one per line. Owns the
//! ledger of the indices handed out so far (`<state.dir>/<room>.invitations`, the next index
//! as text, changed under a file lock), so that batches never overlap. Must not talk to a
//! running gateway: the codes are checked by their MAC, their single use by the room's state.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::access::code::{Invitation, MAX_INVITATIONS};
use crate::config::Config;
use crate::queue::schedule::TimeError;

/// Codes one call may print: a letter run, not the whole index space at once.
pub const MAX_COUNT: u64 = 1_000_000;

/// Why `wartesaal invite` printed no codes, or stopped while writing them.
#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("no room `{0}`")]
    NoRoom(String),
    #[error("room `{0}` does not take invitations: add [rooms.invitations] required = true")]
    NoInvitations(String),
    #[error("--count must be 1 to {MAX_COUNT}")]
    Count,
    #[error("--valid-until: {0}")]
    ValidUntil(TimeError),
    #[error(
        "--valid-until must lie between 2026-01-01 and 2033-06 (the codes count 65,535 hours \
         from 2026)"
    )]
    ValidUntilOutOfRange,
    #[error("--valid-until lies in the past (or within the hour): every code would be dead")]
    ValidUntilPast,
    #[error("indices {first}.. run past the {MAX_INVITATIONS} invitations a room can have")]
    PastTheLast { first: u64 },
    #[error("index {0} is beyond the invitations a room can have")]
    BeyondTheLast(u64),
    /// Standard output cannot be written (a closed pipe, a full disk).
    #[error("{0}")]
    Print(std::io::Error),
    #[error(
        "state.dir is not set, so there is no ledger of earlier batches: pass --first N, the \
         index after your last batch (0 for the first)"
    )]
    NoLedger,
    #[error("{}: {source}", .path.display())]
    Ledger {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: expected the next index as a number, found {found:?}", .path.display())]
    LedgerText { path: PathBuf, found: String },
}

/// Prints `count` codes for `room` to stdout and a summary to stderr.
pub fn run(
    config: &Config,
    room: &str,
    count: u64,
    valid_until: Option<&str>,
    first: Option<u64>,
) -> Result<(), InviteError> {
    let Some(cfg) = config.rooms.iter().find(|r| r.id == room) else {
        return Err(InviteError::NoRoom(room.to_string()));
    };
    if !cfg.tickets.invitations_required {
        return Err(InviteError::NoInvitations(room.to_string()));
    }
    if count == 0 || count > MAX_COUNT {
        return Err(InviteError::Count);
    }
    let until = match valid_until {
        None => None,
        Some(text) => {
            let (ms, _) =
                crate::queue::schedule::parse_time(text).map_err(InviteError::ValidUntil)?;
            Some(ms / 1000)
        }
    };
    // Every argument is checked before the ledger moves: a refused run uses up no index.
    if let Some(until) = until {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if Invitation::new(0, Some(until)).is_none() {
            return Err(InviteError::ValidUntilOutOfRange);
        }
        if until <= now + 3600 {
            return Err(InviteError::ValidUntilPast);
        }
    }
    let first = match first {
        Some(first) => first,
        None => reserve(config, room, count)?,
    };
    if first.saturating_add(count) > MAX_INVITATIONS {
        return Err(InviteError::PastTheLast { first });
    }
    let keys = config.keys.for_room(room);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut valid = None;
    for index in first..first + count {
        let invitation = Invitation::new(index, until).ok_or(InviteError::BeyondTheLast(index))?;
        valid = invitation.valid_until;
        writeln!(out, "{}", invitation.code(&keys)).map_err(InviteError::Print)?;
    }
    out.flush().map_err(InviteError::Print)?;
    eprintln!(
        "{count} invitation codes for room `{room}`, indices {first} to {}, {}; the next batch \
         begins at {}",
        first + count - 1,
        match valid {
            Some(s) => format!(
                "valid until {}",
                crate::queue::schedule::format_time(s * 1000, 0)
            ),
            None => "valid without end".into(),
        },
        first + count
    );
    Ok(())
}

/// Takes `count` indices from the room's ledger and returns the first.
fn reserve(config: &Config, room: &str, count: u64) -> Result<u64, InviteError> {
    let Some(dir) = &config.state.dir else {
        return Err(InviteError::NoLedger);
    };
    let path: PathBuf = dir.join(format!("{room}.invitations"));
    std::fs::create_dir_all(dir).map_err(ledger(dir))?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(ledger(&path))?;
    file.lock().map_err(ledger(&path))?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(ledger(&path))?;
    let next = match text.trim() {
        "" => 0,
        t => t.parse::<u64>().map_err(|_| InviteError::LedgerText {
            path: path.clone(),
            found: t.to_string(),
        })?,
    };
    let after = next.saturating_add(count);
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
        .and_then(|()| writeln!(file, "{after}"))
        .and_then(|()| file.sync_all())
        .map_err(ledger(&path))?;
    Ok(next)
}

/// An IO error with the ledger's file (or directory) it happened to.
fn ledger(path: &Path) -> impl FnOnce(std::io::Error) -> InviteError + '_ {
    move |source| InviteError::Ledger {
        path: path.to_path_buf(),
        source,
    }
}
