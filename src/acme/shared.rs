//! ACME among several gateways on one Redis: a lock with an expiry so that one gateway orders
//! a domain's certificate while the others wait, the certificate shared there with its private
//! key sealed (ChaCha20-Poly1305, with a key derived from the gateways' signing secret), and
//! the challenge answers (HTTP-01 tokens, TLS-ALPN-01 digests), so that whichever gateway the
//! CA's validation reaches can answer. Must
//! not order: `order` does.

use std::time::Duration;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};

use crate::access::ticket::Keyring;
use crate::state::SharedKeys;
use crate::state::StateError;

/// An order takes seconds; a gateway that dies holding the lock holds it up this long at most.
const LOCK_FOR: Duration = Duration::from_secs(300);
/// A token outlives any validation of it.
const TOKEN_FOR: Duration = Duration::from_secs(600);

/// The shared part of ACME.
#[derive(Clone)]
pub struct Shared {
    keys: SharedKeys,
    /// Sealing keys, the signing secret's first: a rotated keyring still opens what the
    /// previous key sealed.
    seals: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared(..)")
    }
}

impl Shared {
    pub fn new(keys: SharedKeys, keyring: &Keyring) -> Shared {
        Shared {
            keys,
            seals: keyring.derive("acme certificate"),
        }
    }

    /// Takes `domain`'s ordering lock; false while another gateway holds it.
    pub async fn lock(&self, domain: &str) -> Result<bool, StateError> {
        let me = self.keys.gateway().as_bytes().to_vec();
        self.keys
            .set_new(&format!("acme:lock:{domain}"), &me, LOCK_FOR)
            .await
    }

    pub async fn unlock(&self, domain: &str) -> Result<(), StateError> {
        let me = self.keys.gateway().as_bytes().to_vec();
        self.keys
            .delete_if(&format!("acme:lock:{domain}"), &me)
            .await
    }

    pub async fn put_token(&self, token: &str, key_authorization: &str) -> Result<(), StateError> {
        self.keys
            .set(
                &format!("acme:http01:{token}"),
                key_authorization.as_bytes(),
                Some(TOKEN_FOR),
            )
            .await
    }

    pub async fn token(&self, token: &str) -> Result<Option<String>, StateError> {
        let value = self.keys.get(&format!("acme:http01:{token}")).await?;
        Ok(value.and_then(|v| String::from_utf8(v).ok()))
    }

    /// The digest a TLS-ALPN-01 answer for `domain` must carry, for whichever gateway the
    /// CA's validation reaches.
    pub async fn put_alpn(&self, domain: &str, digest: &[u8]) -> Result<(), StateError> {
        self.keys
            .set(&format!("acme:alpn:{domain}"), digest, Some(TOKEN_FOR))
            .await
    }

    pub async fn alpn(&self, domain: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.keys.get(&format!("acme:alpn:{domain}")).await
    }

    /// Shares `domain`'s key and chain (PEM), sealed.
    pub async fn put_certificate(&self, domain: &str, pem: &[u8]) -> Result<(), StateError> {
        let sealed = seal(&self.seals[0], domain, pem)
            .ok_or_else(|| StateError::Unavailable("cannot seal the certificate".into()))?;
        self.keys
            .set(&format!("acme:cert:{domain}"), &sealed, None)
            .await
    }

    /// `domain`'s shared key and chain, if a gateway shared one that this keyring opens.
    pub async fn certificate(&self, domain: &str) -> Result<Option<Vec<u8>>, StateError> {
        let Some(sealed) = self.keys.get(&format!("acme:cert:{domain}")).await? else {
            return Ok(None);
        };
        let opened = self.seals.iter().find_map(|k| open(k, domain, &sealed));
        if opened.is_none() {
            tracing::warn!(domain, "ACME: the certificate shared in Redis was sealed with a key this gateway does not have; check that the gateways share [keys]");
        }
        Ok(opened)
    }
}

/// A random nonce, then the ciphertext with its tag; the domain is bound in as associated
/// data, so a sealed certificate cannot be passed off as another domain's.
fn seal(key: &[u8; 32], domain: &str, plain: &[u8]) -> Option<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).ok()?);
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::getrandom(&mut nonce).ok()?;
    let mut out = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(domain.as_bytes()),
        &mut out,
    )
    .ok()?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&out);
    Some(sealed)
}

fn open(key: &[u8; 32], domain: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).ok()?);
    let (nonce, body) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut body = body.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(domain.as_bytes()), &mut body)
        .ok()?;
    Some(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_certificate_opens_only_with_its_key_and_domain() {
        let (k1, k2) = ([1u8; 32], [2u8; 32]);
        let sealed = seal(&k1, "a.example", b"-----BEGIN PRIVATE KEY-----").unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"-----BEGIN "));
        assert_eq!(
            open(&k1, "a.example", &sealed).unwrap(),
            b"-----BEGIN PRIVATE KEY-----"
        );
        assert_eq!(open(&k2, "a.example", &sealed), None);
        assert_eq!(open(&k1, "b.example", &sealed), None);
        assert_eq!(open(&k1, "a.example", &sealed[..5]), None);
    }
}
