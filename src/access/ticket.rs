//! Tickets and passes: owns the token format, the secrets that sign it and their rotation.
//! Must not know about HTTP, cookies or the queue; it answers "is this value genuine, and what
//! does it say" and never panics, whatever bytes it is given.
//!
//! Layout (47 bytes, 63 characters of unpadded base64url):
//!
//! ```text
//! version(1) kind(1) key_id(1) room_tag(4) seq(8) expires_at(8) id(8) | tag(16)
//! ```
//!
//! The tag is HMAC-SHA256 over a domain label, the room id and every byte before it, cut to
//! 128 bits. `expires_at` is Unix seconds inside the signed part. `id` is the session id of a
//! pass and the issue time of a ticket. `room_tag` is a hash of the room id so that a token
//! from another room can be told apart from a forged one in the metrics; the room id itself is
//! in the MAC, so the tag is not what keeps rooms apart.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const VERSION: u8 = 1;
const DOMAIN: &[u8] = b"wartesaal token v1\0";
const BODY_LEN: usize = 3 + 4 + 8 + 8 + 8;
const TAG_LEN: usize = 16;
pub const TOKEN_BYTES: usize = BODY_LEN + TAG_LEN;
/// Encoded length of a well-formed token. Anything longer is refused before decoding.
pub const TOKEN_CHARS: usize = (TOKEN_BYTES * 4).div_ceil(3);
/// Secrets shorter than this are refused: 256 bits, as `keygen` makes them.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A place in line.
    Ticket,
    /// Proof of admission.
    Pass,
    /// A proof-of-work puzzle handed to a browser before it may draw a ticket. `seq` is the
    /// difficulty in bits and `id` the challenge's single-use number.
    Challenge,
    /// The eligibility form as it was handed out: `seq` is the room's questions' hash, so a
    /// form of another room or of earlier questions is told apart.
    Asked,
    /// Every eligibility question answered "yes": the holder may go on to draw a ticket.
    /// `seq` is the questions' hash; the answers themselves are in no token.
    Answered,
    /// The link of the e-mail that tells a visitor it is nearly their turn: gives ticket
    /// `seq` back until `expires_at`, however long ago it was called. `id` is the line's
    /// start (Unix seconds), so a link of an earlier line is no link.
    Link,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Ticket => 1,
            Kind::Pass => 2,
            Kind::Challenge => 3,
            Kind::Asked => 4,
            Kind::Answered => 5,
            Kind::Link => 6,
        }
    }
}

/// What a token says once it has been verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// Queue number the visitor drew.
    pub seq: u64,
    /// Unix seconds after which the token is worthless.
    pub expires_at: u64,
    /// Pass: the session id. Ticket: Unix seconds when the number was drawn.
    pub id: u64,
}

/// Why a token was refused. Each maps to a `reason` label of `wartesaal_tokens_rejected_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a token: wrong length or alphabet")]
    Malformed,
    #[error("unknown token version")]
    Version,
    #[error("signed with a key this gateway does not have")]
    UnknownKey,
    #[error("issued for another room")]
    WrongRoom,
    #[error("signature does not match")]
    BadSignature,
    #[error("expired")]
    Expired,
}

/// Why a key file's line is not a signing secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("not base64url text")]
    NotBase64,
    #[error("secret is {bytes} bytes, at least {MIN_SECRET_BYTES} are needed")]
    TooShort { bytes: usize },
}

impl TokenError {
    pub const ALL: [TokenError; 6] = [
        TokenError::Malformed,
        TokenError::Version,
        TokenError::UnknownKey,
        TokenError::WrongRoom,
        TokenError::BadSignature,
        TokenError::Expired,
    ];

    pub fn reason(self) -> &'static str {
        match self {
            TokenError::Malformed => "malformed",
            TokenError::Version => "version",
            TokenError::UnknownKey => "unknown_key",
            TokenError::WrongRoom => "wrong_room",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired => "expired",
        }
    }
}

/// A signing secret. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(****, {} bytes)", self.0.len())
    }
}

impl Secret {
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    /// Parses the one line `wartesaal keygen` prints.
    pub fn from_base64(text: &str) -> Result<Secret, SecretError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| SecretError::NotBase64)?;
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort { bytes: bytes.len() });
        }
        Ok(Secret(bytes))
    }

    /// A new random 256-bit secret.
    pub fn generate() -> Result<Secret, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes)?;
        Ok(Secret(bytes.to_vec()))
    }

    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0)
    }

    fn key_id(&self) -> u8 {
        let mut h = Sha256::new();
        h.update(b"wartesaal key id\0");
        h.update(&self.0);
        h.finalize()[0]
    }
}

/// All configured secrets: the first signs, all verify, so keys can be rotated without sending
/// everyone to the back of the line.
#[derive(Debug, Clone)]
pub struct Keyring {
    secrets: Vec<Secret>,
}

impl Keyring {
    pub fn new(secrets: Vec<Secret>) -> Result<Keyring, &'static str> {
        if secrets.is_empty() {
            return Err("at least one secret is needed");
        }
        Ok(Keyring { secrets })
    }

    /// A 256-bit key for `purpose` from each secret, the signing one first: other secrets the
    /// gateways share (an ACME certificate's private key in Redis) are sealed with the first
    /// and opened with any, so a key rotation does not lose them.
    pub fn derive(&self, purpose: &str) -> Vec<[u8; 32]> {
        self.secrets
            .iter()
            .map(|s| {
                let mut mac = HmacSha256::new_from_slice(&s.0).expect("HMAC takes any key length");
                mac.update(b"wartesaal derived key\0");
                mac.update(purpose.as_bytes());
                mac.finalize().into_bytes().into()
            })
            .collect()
    }

    /// Pre-keys the MACs for one room so that signing and verifying per request only hash the
    /// token body.
    pub fn for_room(&self, room_id: &str) -> RoomKeys {
        let keys = self
            .secrets
            .iter()
            .map(|s| {
                // HMAC accepts keys of any length; this cannot fail.
                let mut mac = HmacSha256::new_from_slice(&s.0).expect("HMAC takes any key length");
                mac.update(DOMAIN);
                mac.update(&(room_id.len() as u32).to_be_bytes());
                mac.update(room_id.as_bytes());
                (s.key_id(), mac)
            })
            .collect();
        RoomKeys {
            room_tag: room_tag(room_id),
            keys,
        }
    }
}

fn room_tag(room_id: &str) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(b"wartesaal room\0");
    h.update(room_id.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Signing and verifying for one room.
#[derive(Clone)]
pub struct RoomKeys {
    room_tag: [u8; 4],
    /// (key id, MAC already fed with the domain label and room id). The first signs.
    keys: Vec<(u8, HmacSha256)>,
}

impl fmt::Debug for RoomKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoomKeys({} keys)", self.keys.len())
    }
}

impl RoomKeys {
    pub fn sign(&self, token: &Token) -> String {
        let (key_id, mac) = &self.keys[0];
        let mut buf = [0u8; TOKEN_BYTES];
        buf[0] = VERSION;
        buf[1] = token.kind.byte();
        buf[2] = *key_id;
        buf[3..7].copy_from_slice(&self.room_tag);
        buf[7..15].copy_from_slice(&token.seq.to_be_bytes());
        buf[15..23].copy_from_slice(&token.expires_at.to_be_bytes());
        buf[23..31].copy_from_slice(&token.id.to_be_bytes());
        let mut mac = mac.clone();
        mac.update(&buf[..BODY_LEN]);
        let tag = mac.finalize().into_bytes();
        buf[BODY_LEN..].copy_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// Checks a token at `now` (Unix seconds). Constant-time in the tag comparison; bounded in
    /// work for any input.
    /// MACs of `body` under a label, one per key, the signing key first: for the short codes
    /// of `access::code`, which carry no key id and are checked against each key in turn.
    pub fn tags<'a>(
        &'a self,
        label: &'a [u8],
        body: &'a [u8],
    ) -> impl Iterator<Item = [u8; 32]> + 'a {
        self.keys.iter().map(move |(_, mac)| {
            let mut mac = mac.clone();
            mac.update(label);
            mac.update(body);
            mac.finalize().into_bytes().into()
        })
    }

    pub fn verify(&self, text: &str, now: u64) -> Result<Token, TokenError> {
        if text.len() != TOKEN_CHARS {
            return Err(TokenError::Malformed);
        }
        let mut buf = [0u8; TOKEN_BYTES + 3];
        let n = URL_SAFE_NO_PAD
            .decode_slice(text.as_bytes(), &mut buf)
            .map_err(|_| TokenError::Malformed)?;
        if n != TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        let buf = &buf[..TOKEN_BYTES];
        if buf[0] != VERSION {
            return Err(TokenError::Version);
        }
        let kind = match buf[1] {
            1 => Kind::Ticket,
            2 => Kind::Pass,
            3 => Kind::Challenge,
            4 => Kind::Asked,
            5 => Kind::Answered,
            6 => Kind::Link,
            _ => return Err(TokenError::Malformed),
        };
        if buf[3..7] != self.room_tag {
            return Err(TokenError::WrongRoom);
        }
        let (body, tag) = buf.split_at(BODY_LEN);
        let mut known_key = false;
        let mut genuine = false;
        for (key_id, mac) in &self.keys {
            if *key_id != buf[2] {
                continue;
            }
            known_key = true;
            let mut mac = mac.clone();
            mac.update(body);
            if mac.verify_truncated_left(tag).is_ok() {
                genuine = true;
                break;
            }
        }
        if !known_key {
            return Err(TokenError::UnknownKey);
        }
        if !genuine {
            return Err(TokenError::BadSignature);
        }
        let field = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&body[at..at + 8]);
            u64::from_be_bytes(b)
        };
        let token = Token {
            kind,
            seq: field(7),
            expires_at: field(15),
            id: field(23),
        };
        if token.expires_at <= now {
            return Err(TokenError::Expired);
        }
        Ok(token)
    }
}

/// A random 64-bit id (for tokens that must be told apart, such as an answered form). A
/// failing system random source gives the time's nanoseconds instead: ids then collide only
/// within one nanosecond.
pub fn random_u64() -> u64 {
    let mut id = [0u8; 8];
    match getrandom::getrandom(&mut id) {
        Ok(()) => u64::from_le_bytes(id),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ring(byte: u8) -> Keyring {
        Keyring::new(vec![Secret::from_bytes([byte; 32])]).unwrap()
    }

    fn sample(kind: Kind) -> Token {
        Token {
            kind,
            seq: 4711,
            expires_at: 2_000_000_000,
            id: 99,
        }
    }

    #[test]
    fn round_trip_both_kinds() {
        let keys = ring(1).for_room("impf");
        for kind in [
            Kind::Ticket,
            Kind::Pass,
            Kind::Challenge,
            Kind::Asked,
            Kind::Answered,
            Kind::Link,
        ] {
            let text = keys.sign(&sample(kind));
            assert_eq!(text.len(), TOKEN_CHARS);
            assert_eq!(keys.verify(&text, 1_000).unwrap(), sample(kind));
        }
    }

    #[test]
    fn expiry_is_enforced() {
        let keys = ring(1).for_room("impf");
        let text = keys.sign(&sample(Kind::Ticket));
        assert_eq!(keys.verify(&text, 2_000_000_000), Err(TokenError::Expired));
        assert!(keys.verify(&text, 1_999_999_999).is_ok());
    }

    #[test]
    fn other_room_is_told_apart() {
        let a = ring(1).for_room("a");
        let b = ring(1).for_room("b");
        let text = a.sign(&sample(Kind::Pass));
        assert_eq!(b.verify(&text, 0), Err(TokenError::WrongRoom));
    }

    #[test]
    fn wrong_key_is_refused() {
        let text = ring(1).for_room("a").sign(&sample(Kind::Pass));
        assert_eq!(
            ring(2).for_room("a").verify(&text, 0),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn rotation_old_key_still_verifies_new_key_signs() {
        let old = Secret::from_bytes([1u8; 32]);
        let new = Secret::from_bytes([2u8; 32]);
        let before = Keyring::new(vec![old.clone()]).unwrap().for_room("a");
        let after = Keyring::new(vec![new.clone(), old]).unwrap().for_room("a");
        let old_token = before.sign(&sample(Kind::Ticket));
        assert!(after.verify(&old_token, 0).is_ok());
        let new_token = after.sign(&sample(Kind::Ticket));
        assert_eq!(before.verify(&new_token, 0), Err(TokenError::UnknownKey));
        let new_only = Keyring::new(vec![new]).unwrap().for_room("a");
        assert!(new_only.verify(&new_token, 0).is_ok());
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let keys = ring(1).for_room("a");
        for text in ["", "x", "%%%", &"A".repeat(TOKEN_CHARS), &"é".repeat(40)] {
            assert!(keys.verify(text, 0).is_err(), "{text:?}");
        }
        assert_eq!(
            keys.verify(&"A".repeat(10_000), 0),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn secret_debug_is_masked() {
        let s = Secret::from_bytes([42u8; 32]);
        assert!(!format!("{s:?}").contains("42"));
    }

    proptest! {
        #[test]
        fn round_trip(seq: u64, id: u64, expires in 1u64..u64::MAX, pass: bool) {
            let keys = ring(3).for_room("room");
            let kind = if pass { Kind::Pass } else { Kind::Ticket };
            let t = Token { kind, seq, expires_at: expires, id };
            prop_assert_eq!(keys.verify(&keys.sign(&t), expires - 1), Ok(t));
        }

        #[test]
        fn any_single_byte_change_is_refused(pos in 0usize..TOKEN_CHARS, to: u8) {
            let keys = ring(3).for_room("room");
            let text = keys.sign(&sample(Kind::Pass));
            let mut bytes = text.clone().into_bytes();
            prop_assume!(bytes[pos] != to);
            bytes[pos] = to;
            let changed = String::from_utf8_lossy(&bytes);
            prop_assert!(keys.verify(&changed, 0).is_err());
        }

        #[test]
        fn truncation_and_extension_are_refused(cut in 0usize..TOKEN_CHARS, extra in "[A-Za-z0-9_-]{1,20}") {
            let keys = ring(3).for_room("room");
            let text = keys.sign(&sample(Kind::Ticket));
            prop_assert_eq!(keys.verify(&text[..cut], 0), Err(TokenError::Malformed));
            let longer = format!("{text}{extra}");
            prop_assert_eq!(keys.verify(&longer, 0), Err(TokenError::Malformed));
        }

        #[test]
        fn arbitrary_input_never_verifies(text in ".{0,100}") {
            let keys = ring(3).for_room("room");
            prop_assert!(keys.verify(&text, 0).is_err());
        }

        #[test]
        fn modified_body_byte_is_bad_signature(pos in 7usize..BODY_LEN, flip in 1u8..=255) {
            let keys = ring(3).for_room("room");
            let text = keys.sign(&sample(Kind::Pass));
            let mut raw = URL_SAFE_NO_PAD.decode(&text).unwrap();
            raw[pos] ^= flip;
            let forged = URL_SAFE_NO_PAD.encode(&raw);
            prop_assert_eq!(keys.verify(&forged, 0), Err(TokenError::BadSignature));
        }
    }
}
