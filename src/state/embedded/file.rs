//! Durable room state on disk: owns the state directory (its lock and one file per room) and
//! the format of what survives a restart. Must not interpret the numbers: that is `state`'s.
//!
//! Each room's file is a small JSON document replaced atomically (write a temporary file,
//! fsync it, rename it over the old one, fsync the directory), so a crash or power loss leaves
//! either the old or the new version, never a torn one. A file that cannot be read back stops
//! the gateway at boot: starting a room's line from zero would silently hand out everyone's
//! numbers again.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::config::MAX_ADMIT_PER_MINUTE;
use crate::state::Settings;

/// Version of the room file format; a file of another version is refused, not guessed at.
pub const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot use state directory {dir}: {source} (hint: create it and let the gateway's user \
         write to it, or point state.dir somewhere writable)"
    )]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "state directory {dir} is in use by another wartesaal process; two gateways on one \
         directory would hand out the same ticket numbers (hint: stop the other process, or give \
         this one its own state.dir)"
    )]
    Locked { dir: PathBuf },
    #[error(
        "cannot read state file {path}: {source} (hint: fix its permissions; nothing was changed)"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "state file {path} is corrupt: {why}. Nothing was changed. To recover, restore the file \
         from a backup, or move it away to start room `{room}` with an empty line (everyone \
         waiting in it loses their place)"
    )]
    Corrupt {
        path: PathBuf,
        room: String,
        why: String,
    },
    #[error("cannot write state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What survives a restart of one room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    pub format: u32,
    pub room: String,
    /// Unix seconds when this room's line began; tickets drawn earlier are not honoured.
    pub started_at: u64,
    /// Every number below this may have been handed out; the next start continues here.
    pub reserved: u64,
    /// Numbers handed out when this was written.
    pub issued: u64,
    pub cursor: u64,
    pub saved_at: Millis,
    /// Written by an orderly shutdown: `issued` and `cursor` are exact.
    pub clean: bool,
    #[serde(default)]
    pub settings: Settings,
    /// Active sessions.
    #[serde(default)]
    pub sessions: Vec<SavedSession>,
    /// Sessions whose ticket minted more than one pass: (id, passes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passes: Vec<(u64, u32)>,
    /// Sessions the upstream ended: (id, refused until).
    #[serde(default)]
    pub ended: Vec<(u64, Millis)>,
    /// The rate the adaptive mode had learnt, to go on from after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive_rate: Option<f64>,
    /// The last pre-queue: where it begins and, once frozen, its size and order key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prequeue: Option<crate::queue::schedule::Prequeue>,
    /// What is left to book, and what the room learnt of bookings per admission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply: Option<crate::queue::supply::Supply>,
    /// Invitations that drew a ticket: (index, ticket number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invitations: Vec<(u64, u64)>,
    /// E-mails asked for and not sent yet (`[rooms.notify]`): the only addresses kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub letters: Vec<crate::state::Letter>,
    /// Tickets written to: each gets one e-mail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub written: Vec<u64>,
}

/// An active session in the file: `[id, last seen, began]`. Files written before sessions
/// kept when they began have `[id, last seen]`: it is taken as the beginning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSession(pub u64, pub Millis, #[serde(default)] pub Millis);

impl SavedSession {
    pub fn id(&self) -> u64 {
        self.0
    }

    pub fn seen(&self) -> Millis {
        self.1
    }

    /// When it began (its last seen time in a file that did not say).
    pub fn began(&self) -> Millis {
        if self.2 == 0 {
            self.1
        } else {
            self.2
        }
    }
}

/// The state directory, locked for this process while any room uses it.
pub struct StateDir {
    dir: PathBuf,
    /// Holds an exclusive lock on `dir/lock`; the kernel drops it when the process dies, even
    /// by `kill -9`.
    _lock: File,
}

impl std::fmt::Debug for StateDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDir").field("dir", &self.dir).finish()
    }
}

impl StateDir {
    /// Creates the directory if missing and locks it.
    pub fn open(dir: &Path) -> Result<Arc<StateDir>, StoreError> {
        let fail = |source| StoreError::Dir {
            dir: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(fail)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("lock"))
            .map_err(fail)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                })
            }
            Err(fs::TryLockError::Error(e)) => return Err(fail(e)),
        }
        Ok(Arc::new(StateDir {
            dir: dir.to_path_buf(),
            _lock: lock,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn room(self: &Arc<Self>, id: &str) -> RoomFile {
        RoomFile {
            path: self.dir.join(format!("{id}.state")),
            tmp: self.dir.join(format!(".{id}.state.tmp")),
            room: id.to_string(),
            dir: self.clone(),
        }
    }

    /// Room `id`'s letters journal (`<id>.letters`).
    pub fn journal(self: &Arc<Self>, id: &str) -> Journal {
        Journal {
            path: self.dir.join(format!("{id}.letters")),
            tmp: self.dir.join(format!(".{id}.letters.tmp")),
            file: None,
            dir: self.clone(),
        }
    }
}

/// One room's file.
#[derive(Debug)]
pub struct RoomFile {
    path: PathBuf,
    tmp: PathBuf,
    room: String,
    dir: Arc<StateDir>,
}

impl RoomFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn room(&self) -> &str {
        &self.room
    }

    /// The saved state, `None` when the room has never been saved here.
    pub fn load(&self) -> Result<Option<Saved>, StoreError> {
        load(&self.path, &self.room)
    }

    /// The room's letters journal.
    pub fn journal(&self) -> Journal {
        self.dir.journal(&self.room)
    }
}

/// A room's saved state in `dir`, read without taking the directory's lock: for looking at
/// the state of a running gateway (`audit-order`), never for running a room.
pub fn peek(dir: &Path, room: &str) -> Result<Option<Saved>, StoreError> {
    load(&dir.join(format!("{room}.state")), room)
}

fn load(path: &Path, room: &str) -> Result<Option<Saved>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let corrupt = |why: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        room: room.to_string(),
        why,
    };
    // The version first, so a file from a newer release gets a message that says so.
    let format = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map_err(|e| corrupt(format!("not valid JSON ({e})")))?
        .get("format")
        .and_then(|f| f.as_u64());
    if format != Some(u64::from(FORMAT)) {
        return Err(corrupt(match format {
            Some(v) => format!("format version {v}, this build reads version {FORMAT}"),
            None => "no format version".to_string(),
        }));
    }
    let saved: Saved = serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("{e}")))?;
    if saved.room != room {
        return Err(corrupt(format!(
            "it belongs to room `{}`, not `{room}`",
            saved.room
        )));
    }
    if saved.issued > saved.reserved || saved.cursor > saved.reserved {
        return Err(corrupt(format!(
            "its counters contradict each other (issued {}, cursor {}, reserved {})",
            saved.issued, saved.cursor, saved.reserved
        )));
    }
    // No line ever hands out this many numbers (a million a second for 285 years); a file
    // that says so was edited or damaged, and arithmetic on it would overflow.
    if saved.reserved > MAX_SEQ {
        return Err(corrupt(format!(
            "its ticket counter {} is beyond any real line (at most {MAX_SEQ})",
            saved.reserved
        )));
    }
    // Times are Unix milliseconds; one from beyond the year 2500 is not a time.
    const MAX_MS: Millis = 16_725_225_600_000;
    let times = [saved.saved_at, saved.started_at.saturating_mul(1000)]
        .into_iter()
        .chain(saved.sessions.iter().flat_map(|s| [s.seen(), s.began()]))
        .chain(saved.ended.iter().map(|(_, until)| *until));
    if let Some(bad) = times.into_iter().find(|t| *t > MAX_MS) {
        return Err(corrupt(format!("it holds a time that is not one ({bad})")));
    }
    if let Some(pq) = &saved.prequeue {
        let size = pq.frozen.as_ref().map_or(0, |f| f.size);
        if pq.opens_at > MAX_MS || pq.first.saturating_add(size) > saved.reserved {
            return Err(corrupt(format!(
                "its pre-queue (first {}, size {size}) lies beyond the ticket counter {}",
                pq.first, saved.reserved
            )));
        }
    }
    let rate_ok = |r: f64| r.is_finite() && (0.0..=MAX_ADMIT_PER_MINUTE).contains(&r);
    let rates = saved.adaptive_rate.into_iter().chain(
        saved
            .settings
            .admit_per_minute
            .iter()
            .flat_map(|o| [o.value, o.config_was]),
    );
    if let Some(bad) = rates.into_iter().find(|r| !rate_ok(*r)) {
        return Err(corrupt(format!(
            "it holds an admission rate that is not one ({bad})"
        )));
    }
    if let Some(s) = saved.sessions.iter().find(|s| s.id() >= saved.reserved) {
        return Err(corrupt(format!(
            "session {} is beyond the ticket counter {}",
            s.id(),
            saved.reserved
        )));
    }
    Ok(Some(saved))
}

/// The highest ticket number a state file may hold.
pub const MAX_SEQ: u64 = 1 << 53;

impl RoomFile {
    /// Replaces the file atomically and durably.
    pub fn save(&self, saved: &Saved) -> Result<(), StoreError> {
        let fail = |source| StoreError::Write {
            path: self.path.clone(),
            source,
        };
        let mut bytes = serde_json::to_vec(saved).map_err(|e| fail(std::io::Error::other(e)))?;
        bytes.push(b'\n');
        let mut f = File::create(&self.tmp).map_err(fail)?;
        f.write_all(&bytes).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        drop(f);
        fs::rename(&self.tmp, &self.path).map_err(fail)?;
        // The rename itself is durable only once the directory is.
        File::open(&self.dir.dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)?;
        Ok(())
    }
}

/// One line of a room's letters journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalEntry {
    /// An e-mail asked for.
    Letter(crate::state::Letter),
    /// The ticket was written to: its letter (and address) goes, and it gets no other.
    Written(u64),
    /// A letter taken back before its sign-up was answered (it never reached the disk in
    /// time): it goes, and the ticket may ask again.
    Dropped(u64),
}

/// A room's e-mails on disk, apart from its state file: an append-only file of
/// `JournalEntry` lines, each batch made durable (`sync_data`) before the sign-ups in it are
/// answered, and rewritten whole now and then (only the letters still owed and the tickets
/// written to), which also takes the addresses of letters sent off the disk. A line cut short
/// by a crash was never answered and is skipped.
pub struct Journal {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    dir: Arc<StateDir>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

impl Journal {
    fn fail(&self, source: std::io::Error) -> StoreError {
        StoreError::Write {
            path: self.path.clone(),
            source,
        }
    }

    /// Every whole entry in the file, in order; none when there is no file.
    pub fn load(&self) -> Result<Vec<JournalEntry>, StoreError> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let whole = match bytes.iter().rposition(|b| *b == b'\n') {
            Some(end) => &bytes[..=end],
            None => &[][..],
        };
        whole
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| {
                serde_json::from_slice(line).map_err(|e| StoreError::Corrupt {
                    path: self.path.clone(),
                    room: String::new(),
                    why: format!("a journal line is not an entry ({e})"),
                })
            })
            .collect()
    }

    /// Appends `lines` (whole entries, each ending in a newline) durably.
    pub fn append(&mut self, lines: &[u8]) -> Result<(), StoreError> {
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| self.fail(e))?;
            self.file = Some(file);
        }
        let result = match self.file.as_mut() {
            Some(file) => file.write_all(lines).and_then(|()| file.sync_data()),
            None => Ok(()),
        };
        if let Err(e) = result {
            // A half-written batch is cut off by the next rewrite; reopen then.
            self.file = None;
            return Err(self.fail(e));
        }
        Ok(())
    }

    /// Replaces the whole file with `lines` atomically and durably.
    pub fn rewrite(&mut self, lines: &[u8]) -> Result<(), StoreError> {
        self.file = None;
        let mut f = File::create(&self.tmp).map_err(|e| self.fail(e))?;
        f.write_all(lines).map_err(|e| self.fail(e))?;
        f.sync_all().map_err(|e| self.fail(e))?;
        drop(f);
        fs::rename(&self.tmp, &self.path).map_err(|e| self.fail(e))?;
        File::open(&self.dir.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| self.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{OperatorState, Override};

    pub fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "wartesaal-store-{}-{name}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn sample(room: &str) -> Saved {
        Saved {
            format: FORMAT,
            room: room.into(),
            started_at: 1,
            reserved: 100,
            issued: 90,
            cursor: 40,
            saved_at: 5,
            clean: false,
            settings: Settings {
                state: OperatorState::Paused,
                admit_per_minute: Some(Override {
                    value: 30.0,
                    config_was: 60.0,
                }),
                ..Settings::default()
            },
            sessions: vec![SavedSession(3, 4, 2)],
            passes: vec![(3, 2)],
            ended: vec![(1, 9)],
            adaptive_rate: Some(120.0),
            prequeue: Some(crate::queue::schedule::Prequeue {
                opens_at: 7,
                first: 10,
                frozen: Some(crate::queue::schedule::Frozen {
                    size: 30,
                    key: [5; 32],
                }),
                earlier: None,
            }),
            supply: Some(crate::queue::supply::Supply {
                remaining: 3,
                appointments: 10,
                opening: 7,
                booked: 7,
                admitted: 20,
            }),
            invitations: vec![(3, 17)],
            letters: vec![crate::state::Letter {
                seq: 9,
                to: "a@example.org".into(),
                lang: "en".into(),
                at: 5,
                changes: 0,
            }],
            written: vec![4],
        }
    }

    #[test]
    fn a_session_saved_without_its_beginning_began_when_last_seen() {
        let old: Vec<SavedSession> = serde_json::from_str("[[3,40],[4,50,20]]").unwrap();
        assert_eq!(old[0].began(), 40);
        assert_eq!((old[1].seen(), old[1].began()), (50, 20));
        let text = serde_json::to_string(&[SavedSession(4, 50, 20)]).unwrap();
        assert_eq!(text, "[[4,50,20]]");
    }

    #[test]
    fn the_letters_journal_appends_skips_a_torn_line_and_is_rewritten_whole() {
        let path = temp_dir("journal");
        let dir = StateDir::open(&path).unwrap();
        let mut journal = dir.journal("impf");
        assert_eq!(journal.load().unwrap(), Vec::new());
        let letter = crate::state::Letter {
            seq: 7,
            to: "ann@example.org".into(),
            lang: "de".into(),
            at: 1,
            changes: 0,
        };
        let line = |e: &JournalEntry| {
            let mut l = serde_json::to_vec(e).unwrap();
            l.push(b'\n');
            l
        };
        journal
            .append(&line(&JournalEntry::Letter(letter.clone())))
            .unwrap();
        journal.append(&line(&JournalEntry::Written(3))).unwrap();
        // A crash in the middle of a batch: the cut line was never answered.
        journal.append(b"{\"written\":9").unwrap();
        assert_eq!(
            journal.load().unwrap(),
            [JournalEntry::Letter(letter), JournalEntry::Written(3)]
        );
        journal.rewrite(&line(&JournalEntry::Written(7))).unwrap();
        assert_eq!(journal.load().unwrap(), [JournalEntry::Written(7)]);
        let text = std::fs::read_to_string(path.join("impf.letters")).unwrap();
        assert!(
            !text.contains('@'),
            "the rewrite took the address off the disk"
        );
        drop((journal, dir));
        let _ = fs::remove_dir_all(path);
    }

    #[test]
    fn saves_and_loads_and_refuses_a_second_process() {
        let path = temp_dir("roundtrip");
        let dir = StateDir::open(&path).unwrap();
        let file = dir.room("impf");
        assert_eq!(file.load().unwrap(), None);
        file.save(&sample("impf")).unwrap();
        assert_eq!(file.load().unwrap(), Some(sample("impf")));
        assert!(matches!(
            StateDir::open(&path),
            Err(StoreError::Locked { .. })
        ));
        drop(file);
        drop(dir);
        assert!(StateDir::open(&path).is_ok(), "lock is released");
        let _ = fs::remove_dir_all(&path);
    }

    #[test]
    fn corrupt_files_are_refused_with_a_way_out() {
        let path = temp_dir("corrupt");
        let dir = StateDir::open(&path).unwrap();
        let file = dir.room("impf");
        for (content, says) in [
            ("{\"format\":1,\"room\":", "not valid JSON"),
            ("{\"format\":7}", "format version 7"),
            ("[]", "no format version"),
        ] {
            fs::write(file.path(), content).unwrap();
            let err = file.load().unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
            assert!(err.contains("move it away"), "{err}");
        }
        file.save(&sample("other")).unwrap();
        assert!(file
            .load()
            .unwrap_err()
            .to_string()
            .contains("room `other`"));
        let mut bad = sample("impf");
        bad.cursor = 500;
        file.save(&bad).unwrap();
        assert!(file.load().unwrap_err().to_string().contains("contradict"));
        let _ = fs::remove_dir_all(&path);
    }

    #[test]
    fn operator_override_yields_to_a_changed_config() {
        let o = Some(Override {
            value: 30.0,
            config_was: 60.0,
        });
        assert_eq!(Override::over(&o, 60.0), 30.0);
        assert_eq!(Override::over(&o, 90.0), 90.0);
        assert_eq!(Override::over(&None, 90.0), 90.0);
    }
}
