//! A booking window that opens at a set time: owns the phases (countdown, pre-queue, open),
//! the durable record of a pre-queue (its first ticket number, and once frozen at opening its
//! size and the key of its random order) and what a ticket number's place in line is. Must not
//! do IO or decide requests; `state` keeps the record and `gateway` acts on the phase.
//!
//! Everyone who arrives between `prequeue_from` and `opens_at` draws an ordinary ticket number
//! from the same counter. At `opens_at` the count is frozen and those numbers are put in a
//! random order by a keyed permutation (`shuffle`): number `first + i` is served at place
//! `first + shuffle(i)`. Numbers drawn later are their own place, so they queue FIFO behind.

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::queue::shuffle::Shuffle;

/// When a room opens, as the config file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub window: Window,
    /// The UTC offset `opens_at` was written with, in minutes: times on the page are shown in
    /// it, as the operator announced them.
    pub offset_minutes: i32,
}

/// The two moments of a schedule, Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub prequeue_from: Millis,
    pub opens_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before `prequeue_from`: a countdown, no tickets.
    BeforeOpen,
    /// Arrivals gather for the draw at `opens_at`.
    Prequeue,
    /// Admissions run.
    Open,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::BeforeOpen => "before_open",
            Phase::Prequeue => "prequeue",
            Phase::Open => "open",
        }
    }
}

impl Window {
    pub fn phase(&self, now: Millis) -> Phase {
        if now >= self.opens_at {
            Phase::Open
        } else if now >= self.prequeue_from {
            Phase::Prequeue
        } else {
            Phase::BeforeOpen
        }
    }
}

/// A pre-queue as it is saved: enough to recompute everyone's place after a restart or for an
/// audit, and nothing per visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prequeue {
    /// The opening it gathers for (Unix ms); a schedule with another `opens_at` begins a new
    /// pre-queue.
    pub opens_at: Millis,
    /// The ticket number of its first member.
    pub first: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<Frozen>,
    /// The draw of the opening before (rolling releases: "new appointments every day"):
    /// whoever of it still waits keeps their drawn place while the next pre-queue gathers
    /// and after it is drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier: Option<PastDraw>,
}

/// An opening's draw, kept while the next one gathers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastDraw {
    pub opens_at: Millis,
    pub first: u64,
    pub frozen: Frozen,
}

impl PastDraw {
    /// The place of `seq` if it is in this draw.
    fn place(&self, seq: u64) -> Option<u64> {
        (seq >= self.first && seq - self.first < self.frozen.size).then(|| {
            self.first + Shuffle::new(&self.frozen.key, self.frozen.size).place(seq - self.first)
        })
    }
}

impl Prequeue {
    /// The last opening drawn (`opens_at`, Unix ms), 0 before the first.
    pub fn opening(&self) -> Millis {
        match (self.frozen, self.earlier) {
            (Some(_), _) => self.opens_at,
            (None, Some(e)) => e.opens_at,
            (None, None) => 0,
        }
    }

    /// This record's draw, once frozen, as the next pre-queue keeps it.
    fn as_past(&self) -> Option<PastDraw> {
        self.frozen.map(|frozen| PastDraw {
            opens_at: self.opens_at,
            first: self.first,
            frozen,
        })
    }

    /// Whether this is the drawn pre-queue of `window`'s opening.
    pub fn is_drawn_for(&self, window: &Window) -> bool {
        self.opens_at == window.opens_at && self.frozen.is_some()
    }
}

/// Fixed at opening; never changes afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frozen {
    /// Numbers `first..first + size` are in the draw.
    pub size: u64,
    /// The permutation's key, drawn at random at opening (after the last pre-queue ticket).
    pub key: [u8; 32],
}

/// How ticket numbers map to places in line, as every request sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Every number is its own place.
    Fifo,
    /// Numbers from `first` on wait for the draw at opening; those of the opening before keep
    /// their drawn places (`earlier`).
    Gathering {
        first: u64,
        earlier: Option<PastDraw>,
    },
    /// Numbers `first..first + size` are placed by the draw, those of the opening before by
    /// theirs.
    Drawn {
        first: u64,
        frozen: Frozen,
        earlier: Option<PastDraw>,
    },
}

/// Where a ticket number stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the pre-queue: placed at opening.
    Undrawn,
    /// Served when the cursor passes this place.
    At(u64),
}

impl Order {
    pub fn of(prequeue: Option<&Prequeue>) -> Order {
        match prequeue {
            None => Order::Fifo,
            Some(Prequeue {
                first,
                frozen: None,
                earlier,
                ..
            }) => Order::Gathering {
                first: *first,
                earlier: *earlier,
            },
            Some(Prequeue {
                first,
                frozen: Some(frozen),
                earlier,
                ..
            }) => Order::Drawn {
                first: *first,
                frozen: *frozen,
                earlier: *earlier,
            },
        }
    }

    /// A ticket number below which every number's place is called when the cursor stands at
    /// `cursor`: what is kept per ticket for waiting places only (the tickets written to)
    /// forgets those. A drawn range counts as called only once the cursor has passed all of
    /// it, and a gathering one never.
    pub fn called_below(&self, cursor: u64) -> u64 {
        let drawn = |first: u64, size: u64, bound: u64| {
            if cursor > first && cursor < first.saturating_add(size) {
                bound.min(first)
            } else {
                bound
            }
        };
        let earlier = |e: Option<PastDraw>, bound: u64| match e {
            Some(e) => drawn(e.first, e.frozen.size, bound),
            None => bound,
        };
        match *self {
            Order::Fifo => cursor,
            Order::Gathering { first, earlier: e } => earlier(e, cursor.min(first)),
            Order::Drawn {
                first,
                frozen,
                earlier: e,
            } => earlier(e, drawn(first, frozen.size, cursor)),
        }
    }

    pub fn place(&self, seq: u64) -> Place {
        let earlier = match self {
            Order::Fifo => None,
            Order::Gathering { earlier, .. } | Order::Drawn { earlier, .. } => *earlier,
        };
        if let Some(place) = earlier.and_then(|e| e.place(seq)) {
            return Place::At(place);
        }
        match *self {
            Order::Gathering { first, .. } if seq >= first => Place::Undrawn,
            Order::Drawn { first, frozen, .. } if seq >= first && seq - first < frozen.size => {
                Place::At(first + Shuffle::new(&frozen.key, frozen.size).place(seq - first))
            }
            _ => Place::At(seq),
        }
    }
}

/// A change the schedule asks of the pre-queue record. The numbers it takes (`first` of a new
/// pre-queue, the size of a frozen one) are the counter's at the moment it is applied, so the
/// backend applies it atomically with the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The pre-queue for `opens_at` begins with the next ticket number.
    Begin { opens_at: Millis },
    /// The opening moved: the people gathering since `first` now gather for `opens_at`.
    Move { opens_at: Millis, first: u64 },
    /// The opening: the numbers from `first` (from the next one when nobody gathered) up to the
    /// last one drawn are put in a random order, with a key drawn now.
    Freeze {
        opens_at: Millis,
        first: Option<u64>,
    },
}

impl Transition {
    /// The record after this transition from `record`, with numbers `0..issued` drawn so far.
    /// A freeze draws its key here. A new pre-queue keeps the draw before it (`earlier`).
    pub fn apply(&self, issued: u64, record: Option<&Prequeue>) -> Prequeue {
        let earlier = self.earlier(record);
        match *self {
            Transition::Begin { opens_at } => Prequeue {
                opens_at,
                first: issued,
                frozen: None,
                earlier,
            },
            Transition::Move { opens_at, first } => Prequeue {
                opens_at,
                first,
                frozen: None,
                earlier,
            },
            Transition::Freeze { opens_at, first } => {
                let first = first.unwrap_or(issued).min(issued);
                Prequeue {
                    opens_at,
                    first,
                    frozen: Some(Frozen {
                        size: issued - first,
                        key: new_key(),
                    }),
                    earlier,
                }
            }
        }
    }

    /// The draw the record after this transition keeps from `record`: a new pre-queue keeps
    /// the last draw; moving or freezing a gathering one keeps what it kept.
    pub fn earlier(&self, record: Option<&Prequeue>) -> Option<PastDraw> {
        let record = record?;
        match self {
            Transition::Begin { .. } => record.as_past().or(record.earlier),
            Transition::Move { .. } | Transition::Freeze { .. } if record.frozen.is_none() => {
                record.earlier
            }
            // A drawn record is frozen again only for a new opening without a pre-queue
            // (`prequeue_from = opens_at`): its draw becomes the earlier one.
            Transition::Move { .. } | Transition::Freeze { .. } => record.as_past(),
        }
    }
}

/// Where the schedule stands at `now` given the last pre-queue `record`, and the change the
/// record needs. The pre-queue begins at `prequeue_from` and is frozen at `opens_at`; a
/// gathering pre-queue stays one pre-queue when the operator moves `opens_at`, and is drawn at
/// once when the schedule is removed, so nobody in it waits forever. Once drawn, the room is
/// open for good: a request with a slightly older `now` does not take it back.
pub fn follow(
    record: Option<&Prequeue>,
    window: Option<Window>,
    now: Millis,
) -> (Phase, Option<Transition>) {
    let gathering = record.filter(|p| p.frozen.is_none()).map(|p| p.first);
    let Some(window) = window else {
        let freeze = record.zip(gathering).map(|(p, first)| Transition::Freeze {
            opens_at: p.opens_at,
            first: Some(first),
        });
        return (Phase::Open, freeze);
    };
    let drawn = record.is_some_and(|p| p.is_drawn_for(&window));
    let phase = if drawn {
        Phase::Open
    } else {
        window.phase(now)
    };
    let moved = record.is_some_and(|p| p.frozen.is_none() && p.opens_at != window.opens_at);
    let opens_at = window.opens_at;
    let transition = match phase {
        Phase::Open if !drawn => Some(Transition::Freeze {
            opens_at,
            first: gathering,
        }),
        Phase::Open => None,
        Phase::Prequeue if gathering.is_none() => Some(Transition::Begin { opens_at }),
        Phase::Prequeue | Phase::BeforeOpen => match gathering {
            Some(first) if moved => Some(Transition::Move { opens_at, first }),
            _ => None,
        },
    };
    (phase, transition)
}

/// Writes a frozen pre-queue's order, place by place, for an auditor: everything needed to
/// recompute it (first number, size, key, construction) comes first.
pub fn write_audit(
    out: &mut dyn std::io::Write,
    room: &str,
    prequeue: &Prequeue,
    frozen: &Frozen,
    offset_minutes: i32,
) -> std::io::Result<()> {
    let key: String = frozen.key.iter().map(|b| format!("{b:02x}")).collect();
    writeln!(out, "# wartesaal pre-queue order of room {room}")?;
    writeln!(
        out,
        "# opened at {}",
        format_time(prequeue.opens_at, offset_minutes)
    )?;
    writeln!(
        out,
        "# tickets {}..{} ({} in the draw), key {key}",
        prequeue.first,
        prequeue.first + frozen.size,
        frozen.size
    )?;
    writeln!(
        out,
        "# place i is served ticket first + j where shuffle(j) = i: a Feistel network of 6 \
         rounds over SHA-256 with cycle walking (docs/operations.md, \"Fair opening\")"
    )?;
    writeln!(out, "place\tticket")?;
    let shuffle = Shuffle::new(&frozen.key, frozen.size);
    for place in 0..frozen.size {
        writeln!(
            out,
            "{}\t{}",
            place + 1,
            prequeue.first + shuffle.number_at(place)
        )?;
    }
    Ok(())
}

/// A new permutation key: from the operating system, or (should that ever fail) from the
/// process's randomly seeded hasher rather than not opening at all.
pub fn new_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if getrandom::getrandom(&mut key).is_err() {
        use std::hash::{BuildHasher, Hasher};
        let state = std::collections::hash_map::RandomState::new();
        for (i, chunk) in key.chunks_mut(8).enumerate() {
            let mut h = state.build_hasher();
            h.write_usize(i);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    key
}

/// Why a text is not a time a schedule can use; each names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("`{0}` is not an RFC 3339 time")]
    NotRfc3339(String),
    #[error("`{0}` needs both a date and a time of day")]
    Incomplete(String),
    #[error("`{0}` has no UTC offset")]
    NoOffset(String),
    #[error("`{0}` names a day that does not exist")]
    NoSuchDay(String),
    #[error("`{0}` is before 1970")]
    Before1970(String),
}

/// Parses an RFC 3339 time with a UTC offset ("2021-03-27T08:00:00+01:00") into Unix
/// milliseconds and the offset in minutes. A time without an offset is refused: it would be
/// read in whatever zone the server runs in.
pub fn parse_time(text: &str) -> Result<(Millis, i32), TimeError> {
    let dt: toml::value::Datetime = text
        .parse()
        .map_err(|_| TimeError::NotRfc3339(text.to_string()))?;
    let (Some(date), Some(time)) = (dt.date, dt.time) else {
        return Err(TimeError::Incomplete(text.to_string()));
    };
    let offset = match dt.offset {
        Some(toml::value::Offset::Z) => 0,
        Some(toml::value::Offset::Custom { minutes }) => i32::from(minutes),
        None => return Err(TimeError::NoOffset(text.to_string())),
    };
    let days = days_from_civil(i64::from(date.year), date.month.into(), date.day.into());
    if civil_from_days(days) != (i64::from(date.year), date.month.into(), date.day.into()) {
        return Err(TimeError::NoSuchDay(text.to_string()));
    }
    let secs = days * 86_400
        + i64::from(time.hour) * 3600
        + i64::from(time.minute) * 60
        + i64::from(time.second)
        - i64::from(offset) * 60;
    if secs < 0 {
        return Err(TimeError::Before1970(text.to_string()));
    }
    Ok((
        secs as u64 * 1000 + u64::from(time.nanosecond) / 1_000_000,
        offset,
    ))
}

/// A moment as the operator's clock shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    /// 0 = Monday.
    pub weekday: u32,
}

pub fn local_time(at: Millis, offset_minutes: i32) -> LocalTime {
    let secs = (at / 1000) as i64 + i64::from(offset_minutes) * 60;
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    LocalTime {
        year,
        month,
        day,
        hour: (of_day / 3600) as u32,
        minute: (of_day / 60 % 60) as u32,
        // 1970-01-01 was a Thursday.
        weekday: (days + 3).rem_euclid(7) as u32,
    }
}

/// RFC 3339 text of a moment in the given offset, e.g. "2021-03-27T08:00:00+01:00".
pub fn format_time(at: Millis, offset_minutes: i32) -> String {
    let t = local_time(at, offset_minutes);
    let secs = ((at / 1000) as i64 + i64::from(offset_minutes) * 60).rem_euclid(60);
    let zone = match offset_minutes {
        0 => "Z".to_string(),
        m => format!(
            "{}{:02}:{:02}",
            if m < 0 { '-' } else { '+' },
            m.abs() / 60,
            m.abs() % 60
        ),
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        t.year, t.month, t.day, t.hour, t.minute, secs
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_with_their_offset() {
        let (at, offset) = parse_time("2021-03-27T08:00:00+01:00").unwrap();
        assert_eq!(at, 1_616_828_400_000);
        assert_eq!(offset, 60);
        assert_eq!(parse_time("2021-03-27T07:00:00Z").unwrap().0, at);
        assert_eq!(format_time(at, offset), "2021-03-27T08:00:00+01:00");
        assert_eq!(format_time(at, -90), "2021-03-27T05:30:00-01:30");
        let t = local_time(at, offset);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute),
            (2021, 3, 27, 8, 0)
        );
        assert_eq!(t.weekday, 5, "a Saturday");
        for bad in [
            "2021-03-27T08:00:00",
            "2021-03-27",
            "2021-02-30T08:00:00Z",
            "8 Uhr",
            "1969-12-31T23:00:00Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in -800_000..800_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn numbers_in_the_draw_are_placed_and_later_ones_queue_behind() {
        let frozen = Frozen {
            size: 100,
            key: [9; 32],
        };
        let order = Order::Drawn {
            first: 50,
            frozen,
            earlier: None,
        };
        let mut places: Vec<u64> = (50..150)
            .map(|seq| match order.place(seq) {
                Place::At(p) => p,
                Place::Undrawn => panic!("drawn"),
            })
            .collect();
        assert_ne!(places, (50..150).collect::<Vec<_>>());
        places.sort_unstable();
        assert_eq!(places, (50..150).collect::<Vec<_>>());
        assert_eq!(order.place(49), Place::At(49), "before the pre-queue: FIFO");
        assert_eq!(order.place(150), Place::At(150), "after it: FIFO behind");
        let gathering = Order::Gathering {
            first: 50,
            earlier: None,
        };
        assert_eq!(gathering.place(49), Place::At(49));
        assert_eq!(gathering.place(60), Place::Undrawn);
        // Below `called_below(cursor)` every number's place is under the cursor.
        for cursor in [0, 30, 50, 51, 120, 149, 150, 170] {
            let below = order.called_below(cursor);
            for seq in 0..200 {
                if seq < below {
                    assert!(
                        matches!(order.place(seq), Place::At(p) if p < cursor),
                        "{seq} at cursor {cursor}"
                    );
                }
            }
        }
        assert_eq!(
            order.called_below(120),
            50,
            "inside the draw: up to its start"
        );
        assert_eq!(order.called_below(170), 170);
        assert_eq!(
            gathering.called_below(170),
            50,
            "nobody gathering is called"
        );
    }

    #[test]
    fn the_next_pre_queue_keeps_the_last_draw_in_place() {
        let window = |opens_at| {
            Some(Window {
                prequeue_from: opens_at - 1_000,
                opens_at,
            })
        };
        // Opening 1: numbers 0..20 gathered and drawn.
        let (_, t) = follow(None, window(10_000), 9_500);
        let gathering = t.unwrap().apply(0, None);
        let (_, t) = follow(Some(&gathering), window(10_000), 10_000);
        let drawn = t.unwrap().apply(20, Some(&gathering));
        let Order::Drawn { .. } = Order::of(Some(&drawn)) else {
            panic!("drawn");
        };
        let before: Vec<Place> = (0..20).map(|s| Order::of(Some(&drawn)).place(s)).collect();
        // The operator sets the next opening; its pre-queue begins at number 35.
        let (phase, t) = follow(Some(&drawn), window(90_000), 89_500);
        assert_eq!(phase, Phase::Prequeue);
        let next = t.unwrap().apply(35, Some(&drawn));
        assert_eq!(next.earlier.map(|e| e.first), Some(0));
        assert_eq!(
            next.opening(),
            10_000,
            "the last opening until the next is drawn"
        );
        let order = Order::of(Some(&next));
        let during: Vec<Place> = (0..20).map(|s| order.place(s)).collect();
        assert_eq!(during, before, "the last draw keeps its places");
        assert_eq!(order.place(25), Place::At(25), "walk-ins in between: FIFO");
        assert_eq!(
            order.place(40),
            Place::Undrawn,
            "the new pre-queue waits for its draw"
        );
        // Drawn too: both draws hold, each in its own range.
        let (_, t) = follow(Some(&next), window(90_000), 90_000);
        let both = t.unwrap().apply(60, Some(&next));
        assert_eq!(both.opening(), 90_000);
        let order = Order::of(Some(&both));
        assert_eq!((0..20).map(|s| order.place(s)).collect::<Vec<_>>(), before);
        let mut new: Vec<u64> = (35..60)
            .map(|s| match order.place(s) {
                Place::At(p) => p,
                Place::Undrawn => panic!("drawn"),
            })
            .collect();
        new.sort_unstable();
        assert_eq!(new, (35..60).collect::<Vec<_>>());
    }
}
