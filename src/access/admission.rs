//! The signed admission header (`rooms[].admission_header`): tells the booking site which
//! admitted visitor a request comes from, in a format a backend verifies in a few lines of any
//! language. Must not know about HTTP beyond the header's text.
//!
//! ```text
//! X-Wartesaal-Admission: v1.<room>.<ticket>.<admitted_at>.<expires_at>.<signature>
//! ```
//!
//! `room` is the room id (`[a-z0-9-]`), `ticket` the ticket number the visitor was let in on,
//! `admitted_at` when their session began and `expires_at` when their pass runs out unless
//! renewed (both Unix seconds). `signature` is HMAC-SHA256, keyed with the bytes of the
//! room's `admission_key_file` (base64url, as `wartesaal keygen` writes it), over everything
//! before the last dot, in unpadded base64url. A backend recomputes it, compares in constant
//! time, checks the room and that `expires_at` has not passed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's text for one request.
pub fn header(key: &[u8], room: &str, ticket: u64, admitted_at: u64, expires_at: u64) -> String {
    let signed = format!("v1.{room}.{ticket}.{admitted_at}.{expires_at}");
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC takes a key of any length; this is not reached.
        return signed;
    };
    mac.update(signed.as_bytes());
    let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signed}.{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a valid header says, checked as a booking site checks it: `(room, ticket,
    /// admitted_at, expires_at)`.
    fn verify(key: &[u8], text: &str, now: u64) -> Option<(String, u64, u64, u64)> {
        let (signed, tag) = text.rsplit_once('.')?;
        let mut parts = signed.split('.');
        let (Some("v1"), Some(room), Some(ticket), Some(at), Some(until), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
        mac.update(signed.as_bytes());
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(tag).ok()?).ok()?;
        let until: u64 = until.parse().ok()?;
        (until >= now).then_some((
            room.to_string(),
            ticket.parse().ok()?,
            at.parse().ok()?,
            until,
        ))
    }

    #[test]
    fn the_header_verifies_and_any_change_breaks_it() {
        let key = [9u8; 32];
        let text = header(&key, "impf", 42, 1_700_000_000, 1_700_000_660);
        assert!(
            text.starts_with("v1.impf.42.1700000000.1700000660."),
            "{text}"
        );
        assert_eq!(
            verify(&key, &text, 1_700_000_100),
            Some(("impf".into(), 42, 1_700_000_000, 1_700_000_660))
        );
        assert_eq!(verify(&key, &text, 1_700_000_661), None, "expired");
        assert_eq!(
            verify(&[8u8; 32], &text, 1_700_000_100),
            None,
            "another key"
        );
        let forged = text.replace(".42.", ".41.");
        assert_eq!(verify(&key, &forged, 1_700_000_100), None);
    }
}
