//! `RoomKeys::verify` on arbitrary text, and sign/verify round trips of tokens built from the
//! input.
//!
//! Checks:
//! - `verify` never panics, whatever the text (checked UTF-8, or lossy when the bytes are not).
//! - If arbitrary text does verify, it is exactly what `sign` makes of the token it yields
//!   (one token, one spelling) and the token has not expired.
//! - For a token built from the input: `verify(sign(t), now) == Ok(t)` for any `now` before
//!   `expires_at`, `Expired` from `expires_at` on, refused under another room id (fixed or
//!   taken from the input) or another secret, accepted by a rotated keyring that still holds
//!   the old secret, and refused after any one-character change to the signed text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wartesaal::access::ticket::{Keyring, Kind, RoomKeys, Secret, Token, TokenError, TOKEN_CHARS};

const ROOM: &str = "room";

struct Keys {
    room: RoomKeys,
    other_room: RoomKeys,
    other_secret: RoomKeys,
    rotated: RoomKeys,
    ring: Keyring,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let ours = Secret::from_bytes([7u8; 32]);
        let theirs = Secret::from_bytes([8u8; 32]);
        let ring = Keyring::new(vec![ours.clone()]).unwrap();
        Keys {
            room: ring.for_room(ROOM),
            other_room: ring.for_room("another room"),
            other_secret: Keyring::new(vec![theirs.clone()]).unwrap().for_room(ROOM),
            rotated: Keyring::new(vec![theirs, ours]).unwrap().for_room(ROOM),
            ring,
        }
    })
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[at..at + 8]);
    u64::from_be_bytes(b)
}

/// Arbitrary text: no panic; anything accepted is canonical and unexpired.
fn arbitrary_text(k: &Keys, text: &str) {
    for now in [0, 1_700_000_000, u64::MAX] {
        if let Ok(t) = k.room.verify(text, now) {
            assert!(
                t.expires_at > now,
                "accepted an expired token: {t:?} at {now}"
            );
            assert_eq!(k.room.sign(&t), text, "a second spelling of {t:?} verified");
            assert_eq!(k.rotated.verify(text, now), Ok(t));
        }
        let _ = k.other_secret.verify(text, now);
    }
}

/// Layout: kind(1) seq(8) expires_at(8) id(8) now(8) | pos(1) byte(1) | room id (rest).
fn structured(k: &Keys, data: &[u8]) {
    if data.len() < 33 {
        return;
    }
    let kind = if data[0] & 1 == 0 {
        Kind::Ticket
    } else {
        Kind::Pass
    };
    let t = Token {
        kind,
        seq: u64_at(data, 1),
        expires_at: u64_at(data, 9),
        id: u64_at(data, 17),
    };
    let text = k.room.sign(&t);
    assert_eq!(text.len(), TOKEN_CHARS);

    // From `expires_at` on the token is worthless; `u64::MAX` is always past it.
    assert_eq!(k.room.verify(&text, t.expires_at), Err(TokenError::Expired));
    assert_eq!(k.room.verify(&text, u64::MAX), Err(TokenError::Expired));
    if t.expires_at == 0 {
        return;
    }
    let now = u64_at(data, 25) % t.expires_at;

    assert_eq!(k.room.verify(&text, now), Ok(t));
    assert_eq!(k.rotated.verify(&text, now), Ok(t));
    assert_eq!(k.other_room.verify(&text, now), Err(TokenError::WrongRoom));
    assert_eq!(
        k.other_secret.verify(&text, now),
        Err(TokenError::UnknownKey)
    );

    let rest = &data[33..];
    if rest.len() >= 2 {
        let mut bytes = text.clone().into_bytes();
        let pos = rest[0] as usize % bytes.len();
        if bytes[pos] != rest[1] {
            bytes[pos] = rest[1];
            let changed = String::from_utf8_lossy(&bytes);
            let got = k.room.verify(&changed, now);
            assert!(got.is_err(), "{changed:?} verified as {got:?}");
        }
    }
    if rest.len() > 2 {
        let room = String::from_utf8_lossy(&rest[2..]);
        if room != ROOM {
            // Room tags are 32 bits, so a collision is possible in principle; the MAC covers
            // the room id and still refuses it.
            let got = k.ring.for_room(&room).verify(&text, now);
            assert!(
                matches!(got, Err(TokenError::WrongRoom | TokenError::BadSignature)),
                "room {room:?}: {got:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let k = keys();
    match std::str::from_utf8(data) {
        Ok(text) => arbitrary_text(k, text),
        Err(_) => arbitrary_text(k, &String::from_utf8_lossy(data)),
    }
    structured(k, data);
});
