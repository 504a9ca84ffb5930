//! The shared line's fields as Redis holds them: the pre-queue record, the line's hash, and the
//! fields of a new or restored line. Pure functions over text; must not talk to Redis.

use std::collections::HashMap;

use crate::clock::Millis;
use crate::queue::admission::{Limits, Pace};
use crate::queue::schedule::{Frozen, PastDraw, Prequeue};
use crate::queue::supply::Supply;
use crate::state::effective;

use super::{Live, Origin, SharedLine, SETTLE_MS};

/// `opens_at,first` while gathering, `opens_at,first,size,key` once frozen, and the draw of
/// the opening before as `;opens_at,first,size,key`; empty for none.
pub(super) fn encode_prequeue(p: Option<&Prequeue>) -> String {
    let Some(p) = p else {
        return String::new();
    };
    let mut out = match p.frozen {
        None => format!("{},{}", p.opens_at, p.first),
        Some(f) => format!("{},{},{},{}", p.opens_at, p.first, f.size, hex(&f.key)),
    };
    out.push_str(&encode_earlier(p.earlier.as_ref()));
    out
}

/// `;opens_at,first,size,key` for an earlier draw, empty for none.
pub(super) fn encode_earlier(e: Option<&PastDraw>) -> String {
    e.map_or(String::new(), |e| {
        format!(
            ";{},{},{},{}",
            e.opens_at,
            e.first,
            e.frozen.size,
            hex(&e.frozen.key)
        )
    })
}

fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

pub(super) fn decode_prequeue(text: &str) -> Option<Prequeue> {
    let (record, earlier) = match text.split_once(';') {
        Some((record, earlier)) => (record, Some(earlier)),
        None => (text, None),
    };
    let parts: Vec<&str> = record.split(',').collect();
    let opens_at = parts.first()?.parse().ok()?;
    let first = parts.get(1)?.parse().ok()?;
    let frozen = match (parts.get(2), parts.get(3)) {
        (Some(size), Some(hex)) if hex.len() == 64 => Some(Frozen {
            size: size.parse().ok()?,
            key: unhex(hex)?,
        }),
        _ => None,
    };
    let earlier = earlier.and_then(|e| {
        let parts: Vec<&str> = e.split(',').collect();
        Some(PastDraw {
            opens_at: parts.first()?.parse().ok()?,
            first: parts.get(1)?.parse().ok()?,
            frozen: Frozen {
                size: parts.get(2)?.parse().ok()?,
                key: unhex(parts.get(3)?)?,
            },
        })
    });
    Some(Prequeue {
        opens_at,
        first,
        frozen,
        earlier,
    })
}

pub(super) fn parse_line(flat: &[String]) -> SharedLine {
    let fields: HashMap<&str, &str> = flat
        .chunks_exact(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect();
    let int = |name: &str| {
        fields
            .get(name)
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0, |v| v.max(0.0) as u64)
    };
    let float = |name: &str| fields.get(name).and_then(|v| v.parse::<f64>().ok());
    SharedLine {
        origin: Origin {
            epoch: int("epoch"),
            started_at: int("started_at"),
            base: int("base"),
            hold_until: int("hold_until"),
        },
        issued: int("issued"),
        cursor: int("cursor"),
        allow: int("allow"),
        settings: fields
            .get("settings")
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default(),
        settings_v: int("settings_v"),
        prequeue: fields.get("pq").and_then(|t| decode_prequeue(t)),
        pq_v: int("pq_v"),
        adaptive_rate: float("adaptive_rate").filter(|r| r.is_finite() && *r > 0.0),
        pace: Pace {
            per_minute: float("pace").filter(|p| *p > 0.0).unwrap_or(1.0),
            spread: float("spread").unwrap_or(0.5),
        },
        share: float("share").filter(|s| *s > 0.0).unwrap_or(1.0),
        live: Live::default(),
        resumed_at: int("resumed_at"),
        // Of a jump's range, the numbers above every ticket shown since: nobody's, unless a
        // holder turns up.
        ghosts: fields.get("gap_to").map(|_| {
            let to = int("gap_to");
            (int("gap_from").max(int("seen")).min(to), to)
        }),
        supply: fields.get("sup").map(|_| Supply {
            remaining: int("sup"),
            appointments: int("sup_cfg"),
            opening: int("sup_open"),
            booked: int("sup_booked"),
            admitted: int("sup_admitted"),
        }),
    }
}

/// Numbers a line may hand out per second of its life, at most, for a later line's numbers
/// to lie above all of its own: far beyond any arrival rate.
const NUMBERS_PER_SECOND: u64 = 1 << 20;
/// SharedLine bases count seconds from here (2023-11-14), so that they stay well inside the exact
/// integers of Lua's numbers (2^53) for centuries.
const BASE_EPOCH_S: u64 = 1_700_000_000;

/// Where the numbers of a line begun at `now` start: above every number of any line begun
/// earlier, however it ended, without knowing anything of it.
pub(super) fn line_base(now: Millis) -> u64 {
    (now / 1000).saturating_sub(BASE_EPOCH_S) * NUMBERS_PER_SECOND
}

/// A new line, as a gateway without a copy writes it into an empty Redis: the first of a
/// deployment, or one after Redis lost the line while no gateway that had it could reach
/// Redis. Its numbers begin at `line_base`, so that they cannot be numbers an earlier line
/// handed out; the holders of those were there first and are called, and for `hold_ms`
/// nobody new is let in, so that they can come back first.
pub(super) fn fresh_fields(
    config: &Limits,
    now: Millis,
    hold_ms: Millis,
) -> Vec<(&'static str, String)> {
    let held = config.paused || config.schedule.is_some() || hold_ms > 0;
    let allow = if held {
        0
    } else {
        config.burst().floor() as u64
    };
    let base = line_base(now).to_string();
    vec![
        ("epoch", "1".into()),
        ("started_at", (now / 1000).to_string()),
        ("base", base.clone()),
        ("issued", base.clone()),
        ("cursor", base),
        ("allow", allow.to_string()),
        ("held", if held { "1" } else { "0" }.into()),
        ("hold_until", (now + hold_ms).to_string()),
        // Nothing is owed for the hold: admissions count from its end.
        ("resumed_at", (now + hold_ms).to_string()),
        ("rate", config.admit_per_minute.to_string()),
        ("burst", config.burst().to_string()),
        ("settings", "{}".into()),
        ("settings_v", "0".into()),
        ("pq", String::new()),
        ("pq_v", "0".into()),
    ]
}

/// The line as this gateway last saw it, for an empty Redis; new numbers wait until the other
/// gateways have raised the counter. The counter, cursor, settings and pre-queue record are
/// not in it: the same sync raises and writes them back from this gateway's copy, as every
/// gateway's sync does.
pub(super) fn restore_fields(
    line: &SharedLine,
    config: &Limits,
    now: Millis,
) -> Vec<(&'static str, String)> {
    let adaptive = line.adaptive_rate.filter(|_| config.adaptive.is_some());
    let limits = effective(config, &line.settings, adaptive);
    let mut fields = vec![
        ("epoch", (line.origin.epoch + 1).to_string()),
        ("started_at", line.origin.started_at.to_string()),
        ("base", line.origin.base.to_string()),
        ("hold_until", line.origin.hold_until.to_string()),
        ("allow", "0".into()),
        ("held", "1".into()),
        ("rate", limits.admit_per_minute.to_string()),
        ("burst", limits.burst().to_string()),
        (
            "adaptive_rate",
            line.adaptive_rate.map_or(String::new(), |r| r.to_string()),
        ),
        ("settle_until", (now + SETTLE_MS).to_string()),
    ];
    if let Some(s) = line.supply {
        fields.extend([
            ("sup", s.remaining.to_string()),
            ("sup_cfg", s.appointments.to_string()),
            ("sup_open", s.opening.to_string()),
            ("sup_booked", s.booked.to_string()),
            ("sup_admitted", s.admitted.to_string()),
        ]);
    }
    fields
}
