//! Secrets at rest (connector connection strings and credentials, webhook signing keys): sealed
//! with XChaCha20-Poly1305 under a 256-bit key from configuration, with a random nonce per
//! secret and the owning row named as associated data, so a sealed value copied to another row
//! or tenant does not open. Sealed text reads `v1:<base64 of nonce and ciphertext>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;

const PREFIX: &str = "v1:";

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A key written as 64 hex digits or as base64 of 32 bytes.
    pub fn from_key_text(text: &str) -> Result<SecretBox, String> {
        let t = text.trim();
        let bytes = hex::decode(t).ok().or_else(|| B64.decode(t).ok()).unwrap_or_default();
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 32 bytes, written as 64 hex digits or in base64".to_string())?;
        Ok(SecretBox { cipher: XChaCha20Poly1305::new(&key.into()) })
    }

    /// A new random key, as 64 hex digits.
    pub fn new_key_text() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill(&mut key);
        hex::encode(key)
    }

    /// Seals `plain` for the row `owner` (e.g. `connector:7:42`).
    pub fn seal(&self, plain: &str, owner: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill(&mut nonce);
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: owner.as_bytes() })
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ct);
        format!("{PREFIX}{}", B64.encode(out))
    }

    /// Opens what `seal` made for `owner`; an error if the key, the owner or the text differ.
    pub fn open(&self, sealed: &str, owner: &str) -> Result<String, String> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| B64.decode(b).ok())
            .filter(|r| r.len() > 24)
            .ok_or("not a sealed secret")?;
        let (nonce, ct) = raw.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: owner.as_bytes() })
            .map_err(|_| "the secret does not open with this key (was the secret key changed?)")?;
        String::from_utf8(plain).map_err(|_| "the secret is not text".into())
    }

    /// Whether `text` is sealed (secrets stored before sealing existed are plain).
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let b = SecretBox::from_key_text(&SecretBox::new_key_text()).unwrap();
        let s = b.seal("postgres://reader:pw@db/sales", "connector:1:2");
        assert!(SecretBox::is_sealed(&s));
        assert!(!s.contains("pw@db"));
        assert_eq!(b.open(&s, "connector:1:2").unwrap(), "postgres://reader:pw@db/sales");
        // Same text twice: different nonces, different sealed text.
        assert_ne!(s, b.seal("postgres://reader:pw@db/sales", "connector:1:2"));
        // Another row, another key, or a changed byte: it does not open.
        assert!(b.open(&s, "connector:2:2").is_err());
        let other = SecretBox::from_key_text(&SecretBox::new_key_text()).unwrap();
        assert!(other.open(&s, "connector:1:2").is_err());
        let mut bad = s.clone().into_bytes();
        let last = bad.len() - 3;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert!(b.open(&String::from_utf8(bad).unwrap(), "connector:1:2").is_err());
    }

    #[test]
    fn key_formats() {
        let hex_key = "00".repeat(32);
        assert!(SecretBox::from_key_text(&hex_key).is_ok());
        assert!(SecretBox::from_key_text(&B64.encode([7u8; 32])).is_ok());
        assert!(SecretBox::from_key_text("short").is_err());
        assert!(SecretBox::from_key_text(&"00".repeat(31)).is_err());
    }
}
