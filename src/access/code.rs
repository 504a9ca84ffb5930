//! Codes a person can write down or read over the phone: the place code of a ticket and the
//! one-use invitation codes of a room. Owns their alphabet, layout and MACs. Must not know
//! about HTTP or the room's state: it says what a code stands for, or that it stands for
//! nothing, and never panics, whatever text it is given.
//!
//! The alphabet is Crockford's base32: digits and capitals without I, L, O and U. Reading is
//! forgiving: case, spaces and dashes are ignored, and O is read as 0, I and L as 1.
//!
//! A **place code** is 16 characters (`7K3M-QX2P-9D4R-TW8B`), 80 bits: 50 bits of
//! HMAC-SHA256 over the room, the line (its start time and first number) and the ticket's
//! number counted from the line's first (its offset, 30 bits), under the room's secret; and
//! that offset, masked with 30 further bits of HMAC over the line and the first 50. The mask
//! makes the code carry no readable order: neighbouring places share no more characters
//! than any two codes do, so a code tells nobody where a place is, and a guess cannot aim at
//! a chosen place. Nothing is stored for a code: it is checked like a ticket, and a code of
//! another room or an earlier line is no code.
//!
//! Guessing arithmetic: a guess names a number and a MAC; whatever number it names, its MAC is
//! right with a chance of 2^-50 (1 in 1.1 × 10^15). The gateway takes at most
//! `GUESSES_PER_MINUTE` (10) codes a minute from one address (IPv6: one /64), 14,400 a day. A
//! million addresses guessing for a whole day make 1.44 × 10^10 guesses: the chance that any
//! one of them hits any place at all is 1.44 × 10^10 / 1.13 × 10^15 ≈ 1.3 × 10^-5, and a hit
//! is one random place, not a chosen one. Each gateway counts for itself, so with G gateways
//! behind one balancer the figure is G times that.
//!
//! An **invitation code** is 18 characters (`AB12CD-34EF56-GH78JK`), 90 bits: its index in the
//! room's invitations (24 bits), the hour it is valid until (16 bits, hours since
//! 2026-01-01 UTC; all ones: no end) and 50 bits of MAC over the room and both. Its single
//! use is kept by the room's state, by index.

use crate::access::ticket::RoomKeys;

/// The 32 characters of a code, in value order.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Codes one address may try a minute, right or wrong (see the arithmetic above).
pub const GUESSES_PER_MINUTE: u32 = 10;
/// Longer input than this is not looked at.
pub const MAX_INPUT: usize = 64;

const MAC_BITS: u32 = 50;
const PLACE_DIGITS: usize = 16;
const OFFSET_BITS: u32 = 30;
const INVITE_DIGITS: usize = 18;
pub const INDEX_BITS: u32 = 24;
/// Invitations a room can have: the index space.
pub const MAX_INVITATIONS: u64 = 1 << INDEX_BITS;
const UNTIL_BITS: u32 = 16;
const NO_END: u64 = (1 << UNTIL_BITS) - 1;
/// 2026-01-01T00:00:00Z: invitation hours count from here.
const HOURS_EPOCH_S: u64 = 1_767_225_600;

const PLACE_LABEL: &[u8] = b"place code\0";
const MASK_LABEL: &[u8] = b"place code mask\0";
const INVITE_LABEL: &[u8] = b"invitation\0";

/// Why a code was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("not a code: wrong length or characters")]
    Malformed,
    #[error("no such code here")]
    Unknown,
    #[error("the code is no longer valid")]
    Expired,
}

/// The line a place code belongs to: when it began and where its numbers begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub started_at: u64,
    pub base: u64,
}

/// The place code of ticket `seq` of `line`; `None` for a number outside the line's range
/// (below its first, or more than a billion after it).
pub fn place_code(keys: &RoomKeys, line: Line, seq: u64) -> Option<String> {
    let offset = place_offset(line, seq)?;
    Some(format_place(place_value(keys, line, offset)))
}

/// Where `seq` lies in `line` (what a place code carries), if it has a code.
pub fn place_offset(line: Line, seq: u64) -> Option<u64> {
    let offset = seq.checked_sub(line.base)?;
    (offset >> OFFSET_BITS == 0).then_some(offset)
}

/// The 80 bits of `offset`'s place code under the signing key: the masked offset above the
/// MAC.
pub fn place_value(keys: &RoomKeys, line: Line, offset: u64) -> u128 {
    let mac = place_mac(keys, line, offset).next().unwrap_or(0);
    let mask = place_mask(keys, line, mac).next().unwrap_or(0);
    (u128::from(offset ^ mask) << MAC_BITS) | u128::from(mac)
}

/// A place code's 80 bits, as shown.
pub fn format_place(value: u128) -> String {
    grouped(&encode(value, PLACE_DIGITS), 4)
}

/// The ticket number a place code stands for in `line`.
pub fn read_place_code(keys: &RoomKeys, line: Line, text: &str) -> Result<u64, CodeError> {
    let value = decode(text, PLACE_DIGITS)?;
    let masked = (value >> MAC_BITS) as u64;
    let mac = (value & ((1 << MAC_BITS) - 1)) as u64;
    // Each key in turn: its mask gives the offset, its MAC must then match.
    let masks: Vec<u64> = place_mask(keys, line, mac).collect();
    let mut found = None;
    for (i, mask) in masks.into_iter().enumerate() {
        let offset = masked ^ mask;
        let right = place_mac(keys, line, offset)
            .nth(i)
            .is_some_and(|m| constant_eq(m, mac));
        if right && found.is_none() {
            found = Some(line.base + offset);
        }
    }
    found.ok_or(CodeError::Unknown)
}

/// The 30-bit masks of a place code's offset, one per key, from the line and the code's MAC.
fn place_mask(keys: &RoomKeys, line: Line, mac: u64) -> impl Iterator<Item = u64> + '_ {
    let mut body = [0u8; 24];
    body[..8].copy_from_slice(&line.started_at.to_be_bytes());
    body[8..16].copy_from_slice(&line.base.to_be_bytes());
    body[16..].copy_from_slice(&mac.to_be_bytes());
    keys.tags(MASK_LABEL, &body)
        .collect::<Vec<_>>()
        .into_iter()
        .map(|tag| cut(tag) >> (MAC_BITS - OFFSET_BITS))
}

fn place_mac(keys: &RoomKeys, line: Line, offset: u64) -> impl Iterator<Item = u64> + '_ {
    let mut body = [0u8; 24];
    body[..8].copy_from_slice(&line.started_at.to_be_bytes());
    body[8..16].copy_from_slice(&line.base.to_be_bytes());
    body[16..].copy_from_slice(&offset.to_be_bytes());
    keys.tags(PLACE_LABEL, &body)
        .collect::<Vec<_>>()
        .into_iter()
        .map(cut)
}

/// One invitation: its index in the room's and the Unix second it is valid until.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invitation {
    pub index: u64,
    pub valid_until: Option<u64>,
}

impl Invitation {
    /// An invitation valid until `until` (Unix seconds), to the hour at or before it: the
    /// code holds hours, and it ends no later than asked. `None` for an index beyond the
    /// space or an end before 2026 or after 2033.
    pub fn new(index: u64, until: Option<u64>) -> Option<Invitation> {
        if index >= MAX_INVITATIONS {
            return None;
        }
        let valid_until = match until {
            None => None,
            Some(s) => {
                let hours = s.checked_sub(HOURS_EPOCH_S)? / 3600;
                if hours >= NO_END {
                    return None;
                }
                Some(HOURS_EPOCH_S + hours * 3600)
            }
        };
        Some(Invitation { index, valid_until })
    }

    fn hours(&self) -> u64 {
        self.valid_until
            .map_or(NO_END, |s| (s - HOURS_EPOCH_S) / 3600)
    }

    pub fn code(&self, keys: &RoomKeys) -> String {
        let mac = invite_mac(keys, self.index, self.hours())
            .next()
            .unwrap_or(0);
        let value = (u128::from(self.index) << (UNTIL_BITS + MAC_BITS))
            | (u128::from(self.hours()) << MAC_BITS)
            | u128::from(mac);
        grouped(&encode(value, INVITE_DIGITS), 6)
    }

    /// The invitation a code stands for, if it is one of this room's and still valid at
    /// `now_s`.
    pub fn read(keys: &RoomKeys, text: &str, now_s: u64) -> Result<Invitation, CodeError> {
        let value = decode(text, INVITE_DIGITS)?;
        let index = (value >> (UNTIL_BITS + MAC_BITS)) as u64;
        let hours = ((value >> MAC_BITS) & u128::from(NO_END)) as u64;
        let mac = (value & ((1 << MAC_BITS) - 1)) as u64;
        if !invite_mac(keys, index, hours).any(|m| constant_eq(m, mac)) {
            return Err(CodeError::Unknown);
        }
        let valid_until = (hours != NO_END).then(|| HOURS_EPOCH_S + hours * 3600);
        if valid_until.is_some_and(|until| until <= now_s) {
            return Err(CodeError::Expired);
        }
        Ok(Invitation { index, valid_until })
    }
}

fn invite_mac(keys: &RoomKeys, index: u64, hours: u64) -> impl Iterator<Item = u64> + '_ {
    let mut body = [0u8; 16];
    body[..8].copy_from_slice(&index.to_be_bytes());
    body[8..].copy_from_slice(&hours.to_be_bytes());
    keys.tags(INVITE_LABEL, &body)
        .collect::<Vec<_>>()
        .into_iter()
        .map(cut)
}

fn cut(tag: [u8; 32]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&tag[..8]);
    u64::from_be_bytes(b) >> (64 - MAC_BITS)
}

/// Compares without stopping at the first differing bit.
fn constant_eq(a: u64, b: u64) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.to_be_bytes().iter().zip(b.to_be_bytes().iter()) {
        diff |= x ^ y;
    }
    diff == 0
}

fn encode(mut value: u128, digits: usize) -> String {
    let mut out = vec![b'0'; digits];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    // Only alphabet bytes were written.
    String::from_utf8(out).unwrap_or_default()
}

fn grouped(code: &str, size: usize) -> String {
    code.as_bytes()
        .chunks(size)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("-")
}

/// The value of `digits` code characters in `text`, read forgivingly.
fn decode(text: &str, digits: usize) -> Result<u128, CodeError> {
    if text.len() > MAX_INPUT {
        return Err(CodeError::Malformed);
    }
    let mut value: u128 = 0;
    let mut count = 0;
    for c in text.chars() {
        // Phones and copy-paste bring en dashes, minus signs and no-break spaces.
        if c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}') {
            continue;
        }
        let digit = match c.to_ascii_uppercase() {
            'O' => 0,
            'I' | 'L' => 1,
            c => match ALPHABET.iter().position(|&a| char::from(a) == c) {
                Some(d) => d as u128,
                None => return Err(CodeError::Malformed),
            },
        };
        count += 1;
        if count > digits {
            return Err(CodeError::Malformed);
        }
        value = (value << 5) | digit;
    }
    if count != digits {
        return Err(CodeError::Malformed);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::ticket::{Keyring, Secret};
    use proptest::prelude::*;

    fn keys(byte: u8) -> RoomKeys {
        Keyring::new(vec![Secret::from_bytes([byte; 32])])
            .unwrap()
            .for_room("impf")
    }

    const LINE: Line = Line {
        started_at: 1_800_000_000,
        base: 0,
    };

    #[test]
    fn a_place_code_reads_back_forgivingly() {
        let k = keys(1);
        let code = place_code(&k, LINE, 4711).unwrap();
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        assert!(code.bytes().all(|c| c == b'-' || ALPHABET.contains(&c)));
        assert_eq!(read_place_code(&k, LINE, &code), Ok(4711));
        let sloppy = code
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(read_place_code(&k, LINE, &sloppy), Ok(4711));
    }

    #[test]
    fn neighbouring_places_share_no_more_of_their_codes_than_chance() {
        let k = keys(1);
        // With the offset in the clear, neighbours shared their first five characters.
        let codes: Vec<Vec<u8>> = (0..2_000)
            .map(|seq| {
                place_code(&k, LINE, seq)
                    .unwrap()
                    .bytes()
                    .filter(|&c| c != b'-')
                    .collect()
            })
            .collect();
        let common = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let shared: usize = codes.windows(2).map(|w| common(&w[0], &w[1])).sum();
        // Chance: a first character in common 1 time in 32, two in 1,024: about 0.03 a pair.
        let per_pair = shared as f64 / (codes.len() - 1) as f64;
        assert!(
            per_pair < 0.1,
            "{per_pair} characters in common per neighbouring pair"
        );
        assert!(
            codes.iter().all(|c| !c.starts_with(b"0000")),
            "no code looks like a placeholder"
        );
        for (seq, code) in codes.iter().enumerate().step_by(97) {
            let text = String::from_utf8(code.clone()).unwrap();
            assert_eq!(read_place_code(&k, LINE, &text), Ok(seq as u64));
        }
    }

    #[test]
    fn dashes_and_spaces_from_phones_are_read_past() {
        let k = keys(1);
        let code = place_code(&k, LINE, 42).unwrap();
        for (dash, space) in [
            ("\u{2013}", " "),
            ("\u{2212}", "\u{a0}"),
            ("\u{2014}", "\u{202f}"),
        ] {
            let typed = code
                .replace('-', dash)
                .replace(&code[..1], &format!("{space}{}", &code[..1]));
            assert_eq!(read_place_code(&k, LINE, &typed), Ok(42), "{typed:?}");
        }
    }

    #[test]
    fn a_code_of_another_room_key_or_line_is_no_code() {
        let code = place_code(&keys(1), LINE, 12).unwrap();
        assert_eq!(
            read_place_code(&keys(2), LINE, &code),
            Err(CodeError::Unknown)
        );
        let other_room = Keyring::new(vec![Secret::from_bytes([1; 32])])
            .unwrap()
            .for_room("other");
        assert_eq!(
            read_place_code(&other_room, LINE, &code),
            Err(CodeError::Unknown)
        );
        let later = Line {
            started_at: LINE.started_at + 1,
            ..LINE
        };
        assert_eq!(
            read_place_code(&keys(1), later, &code),
            Err(CodeError::Unknown)
        );
        // A rotated-in key still reads codes of the old one.
        let rotated = Keyring::new(vec![
            Secret::from_bytes([9; 32]),
            Secret::from_bytes([1; 32]),
        ])
        .unwrap()
        .for_room("impf");
        assert_eq!(read_place_code(&rotated, LINE, &code), Ok(12));
    }

    #[test]
    fn numbers_below_the_base_or_far_beyond_it_have_no_code() {
        let line = Line {
            started_at: 1,
            base: 1 << 40,
        };
        assert_eq!(place_code(&keys(1), line, 5), None);
        assert_eq!(place_code(&keys(1), line, (1 << 40) + (1 << 30)), None);
        let code = place_code(&keys(1), line, (1 << 40) + 99).unwrap();
        assert_eq!(read_place_code(&keys(1), line, &code), Ok((1 << 40) + 99));
    }

    #[test]
    fn invitations_read_back_and_end() {
        let k = keys(3);
        let until = HOURS_EPOCH_S + 10 * 3600 + 59;
        let inv = Invitation::new(77, Some(until)).unwrap();
        assert_eq!(inv.valid_until, Some(HOURS_EPOCH_S + 10 * 3600));
        let code = inv.code(&k);
        assert_eq!(code.len(), 20);
        assert_eq!(Invitation::read(&k, &code, HOURS_EPOCH_S), Ok(inv));
        assert_eq!(
            Invitation::read(&k, &code, HOURS_EPOCH_S + 10 * 3600),
            Err(CodeError::Expired)
        );
        let forever = Invitation::new(MAX_INVITATIONS - 1, None).unwrap();
        assert_eq!(
            Invitation::read(&k, &forever.code(&k), u64::MAX / 2),
            Ok(forever)
        );
        assert_eq!(Invitation::new(MAX_INVITATIONS, None), None);
        assert_eq!(Invitation::new(1, Some(HOURS_EPOCH_S - 1)), None);
        // A place code is not an invitation, nor the other way round.
        let place = place_code(&k, LINE, 1).unwrap();
        assert_eq!(Invitation::read(&k, &place, 0), Err(CodeError::Malformed));
        assert_eq!(read_place_code(&k, LINE, &code), Err(CodeError::Malformed));
    }

    proptest! {
        #[test]
        fn no_text_panics_and_a_changed_character_is_refused(text in ".{0,80}", seq in 0u64..(1 << 30), at in 0usize..16, to in 0usize..32) {
            let k = keys(4);
            let _ = read_place_code(&k, LINE, &text);
            let _ = Invitation::read(&k, &text, 0);
            let code: Vec<u8> = place_code(&k, LINE, seq).unwrap().bytes().filter(|&c| c != b'-').collect();
            let mut changed = code.clone();
            changed[at] = ALPHABET[to];
            let changed = String::from_utf8(changed).unwrap();
            let read = read_place_code(&k, LINE, &changed);
            if changed.as_bytes() == code.as_slice() {
                prop_assert_eq!(read, Ok(seq));
            } else {
                prop_assert_eq!(read, Err(CodeError::Unknown));
            }
        }
    }
}
