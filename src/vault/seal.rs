//! Sealing small values (document metadata, vault records) with AES-256-GCM (ring):
//! `nonce (12 random bytes) || ciphertext || tag`.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

/// The AES-GCM key of `key`: made once for opening many values (the vault at start; its key
/// schedule cost more than opening a record).
pub fn cipher(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte AES key"))
}

/// Encrypts `plain` bound to `aad`. Random nonces are safe here: each key seals few values.
pub fn seal(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let nonce = crate::secret::random_bytes::<12>();
    let mut out = Vec::with_capacity(12 + plain.len() + 16);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plain);
    let tag = cipher(key)
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[12..],
        )
        .expect("AES-GCM sealing of a small value cannot fail");
    out.extend_from_slice(tag.as_ref());
    out
}

/// Decrypts and authenticates; `None` when the key, the AAD or a byte is wrong.
pub fn open_sealed(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    open_sealed_with(&cipher(key), aad, sealed)
}

/// [`open_sealed`] with a [`cipher`] made beforehand.
pub fn open_sealed_with(cipher: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 12 + 16 {
        return None;
    }
    let nonce: [u8; 12] = sealed[..12].try_into().ok()?;
    let mut buf = sealed[12..].to_vec();
    let plain =
        cipher.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut buf).ok()?;
    let len = plain.len();
    buf.truncate(len);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_tamper_is_refused() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"doc:1", b"secret text");
        assert_eq!(open_sealed(&key, b"doc:1", &sealed).unwrap(), b"secret text");
        assert!(open_sealed(&key, b"doc:2", &sealed).is_none());
        assert!(open_sealed(&[8u8; 32], b"doc:1", &sealed).is_none());
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(open_sealed(&key, b"doc:1", &t).is_none(), "flip at {i}");
        }
    }
}
