//! `ipgo backup-keys` / `ipgo restore-keys`: the keys directory exported under a passphrase.
//!
//! Data backups never hold keys. Without the vault (`vault.key` + `vault.sealed`) no
//! document in any data backup can be read, so the keys are escrowed separately: this file
//! holds the appliance signing key, the vault key, the sealed document keys, the copy of
//! the destruction register, and the self-signed TLS pair if one was made — encrypted with
//! AES-256-GCM (ring) under a key derived from the passphrase with Argon2id (m = 64 MiB,
//! t = 3). Every header field is bound as associated data, so none can be altered.
//!
//! A key backup covers the documents posted before it was made; and because destroying a
//! document rotates the vault key, a key backup made before a destruction can still open
//! that document's old data-backup copies — so older key backups must be destroyed after a
//! destruction (see the admin guide).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

pub const FORMAT: &str = "ipgo-keys-v1";
pub const FILE_SUFFIX: &str = ".ipgokeys";
pub const MIN_PASSPHRASE: usize = 12;

/// Files of the keys directory that a key backup carries.
pub const FILES: &[&str] = &[
    "appliance-signing.pem",
    "appliance-signing.pub.pem",
    "vault.key",
    "vault.sealed",
    crate::portal::documents::register_copy::FILE,
    "tls-self-signed.crt",
    "tls-self-signed.key",
];
/// Those without which a key backup is useless.
const REQUIRED: &[&str] = &["appliance-signing.pem", "vault.key", "vault.sealed"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kdf {
    pub algorithm: String,
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
    pub salt: String,
}

/// Everything but the ciphertext; serialized as the AEAD's associated data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedHeader {
    pub format: String,
    pub created: String,
    pub appliance_public_key: String,
    pub vault_generation: u64,
    pub kdf: Kdf,
    pub nonce: String,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    #[serde(flatten)]
    header: SealedHeader,
    ciphertext: String,
}

fn derive(passphrase: &str, kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>> {
    if kdf.algorithm != "argon2id" {
        return Err(Error::invalid("from", "unknown-format").with_detail(kdf.algorithm.clone()));
    }
    let salt = hex::decode(&kdf.salt).map_err(|_| Error::invalid("from", "damaged-file"))?;
    let params = argon2::Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32))
        .map_err(|e| Error::internal(format!("argon2 parameters: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), &salt, &mut key[..])
        .map_err(|e| Error::internal(format!("argon2: {e}")))?;
    Ok(key)
}

fn cipher(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte key"))
}

pub fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(Error::invalid("passphrase", "passphrase-too-short"));
    }
    Ok(())
}

/// Encrypts the given key files into the key-backup format.
pub fn seal(
    files: &BTreeMap<String, Vec<u8>>,
    passphrase: &str,
    appliance_public_key: String,
    vault_generation: u64,
) -> Result<Vec<u8>> {
    check_passphrase(passphrase)?;
    let kdf = Kdf {
        algorithm: "argon2id".into(),
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
        salt: hex::encode(crate::secret::random_bytes::<16>()),
    };
    let key = derive(passphrase, &kdf)?;
    let nonce = crate::secret::random_bytes::<12>();
    let header = SealedHeader {
        format: FORMAT.into(),
        created: crate::clock::utc_string(crate::clock::now()),
        appliance_public_key,
        vault_generation,
        kdf,
        nonce: hex::encode(nonce),
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let plain: BTreeMap<&String, String> = files.iter().map(|(k, v)| (k, b64.encode(v))).collect();
    let mut buf = Zeroizing::new(serde_json::to_vec(&plain)?);
    let aad = serde_json::to_vec(&header)?;
    let tag = cipher(&key)
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&aad),
            &mut buf[..],
        )
        .map_err(|_| Error::internal("sealing the key backup failed"))?;
    let mut ct = buf.to_vec();
    ct.extend_from_slice(tag.as_ref());
    let file = KeyFile { header, ciphertext: b64.encode(ct) };
    let mut out = serde_json::to_vec_pretty(&file)?;
    out.push(b'\n');
    Ok(out)
}

/// Key file name → contents (zeroized when dropped).
pub type KeyFiles = BTreeMap<String, Zeroizing<Vec<u8>>>;

/// Decrypts a key backup; a wrong passphrase and a changed byte are the same refusal.
pub fn open(bytes: &[u8], passphrase: &str) -> Result<(SealedHeader, KeyFiles)> {
    let file: KeyFile =
        serde_json::from_slice(bytes).map_err(|_| Error::invalid("from", "not-a-key-backup"))?;
    if file.header.format != FORMAT {
        return Err(Error::invalid("from", "not-a-key-backup").with_detail(file.header.format));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = derive(passphrase, &file.header.kdf)?;
    let nonce: [u8; 12] = hex::decode(&file.header.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| Error::invalid("from", "damaged-file"))?;
    let mut ct = Zeroizing::new(
        b64.decode(&file.ciphertext).map_err(|_| Error::invalid("from", "damaged-file"))?,
    );
    let aad = serde_json::to_vec(&file.header)?;
    let plain = cipher(&key)
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(&aad), &mut ct[..])
        .map_err(|_| Error::invalid("passphrase", "key-backup-does-not-open"))?;
    let map: BTreeMap<String, String> =
        serde_json::from_slice(plain).map_err(|_| Error::invalid("from", "damaged-file"))?;
    let mut files = BTreeMap::new();
    for (name, data) in map {
        if !FILES.contains(&name.as_str()) {
            return Err(Error::invalid("from", "damaged-file").with_detail(name));
        }
        let bytes = b64.decode(data).map_err(|_| Error::invalid("from", "damaged-file"))?;
        files.insert(name, Zeroizing::new(bytes));
    }
    for r in REQUIRED {
        if !files.contains_key(*r) {
            return Err(Error::invalid("from", "damaged-file").with_detail((*r).to_owned()));
        }
    }
    Ok((file.header, files))
}

/// Reads the key files of a running (or opened) appliance consistently.
pub fn collect(app: &crate::app::App) -> Result<BTreeMap<String, Vec<u8>>> {
    let dir = app.config.keys_dir();
    let mut files: BTreeMap<String, Vec<u8>> =
        app.vault.export_files().map_err(|e| Error::internal(e.to_string()))?.into_iter().collect();
    for name in FILES {
        if files.contains_key(*name) {
            continue;
        }
        match std::fs::read(dir.join(name)) {
            Ok(bytes) => {
                files.insert((*name).to_owned(), bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::internal(format!("{name}: {e}"))),
        }
    }
    Ok(files)
}

/// Writes `bytes` to `to` durably with mode 0600.
pub fn write_file(to: &Path, bytes: &[u8]) -> Result<()> {
    crate::keys::write_private(to, bytes).map_err(|e| {
        Error::internal(e.to_string()).with_detail(format!("cannot write {}: {e}", to.display()))
    })
}

/// Installs the files of a key backup into `dir`. Refuses to overwrite an existing vault or
/// signing key unless `replace` (which keeps the old files as `*.replaced`).
pub fn install(dir: &Path, files: &KeyFiles, replace: bool) -> Result<()> {
    crate::keys::ensure_private_dir(dir).map_err(|e| Error::internal(e.to_string()))?;
    let present: Vec<&str> = REQUIRED.iter().copied().filter(|f| dir.join(f).exists()).collect();
    if !present.is_empty() && !replace {
        return Err(Error::new(crate::error::Code::Conflict)
            .with_detail_key("keys-present")
            .with_detail(format!("{} already holds {}", dir.display(), present.join(", "))));
    }
    for (name, bytes) in files {
        let path = dir.join(name);
        if path.exists() {
            std::fs::rename(&path, dir.join(format!("{name}.replaced")))?;
        }
        crate::keys::write_private(&path, bytes).map_err(|e| Error::internal(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_the_passphrase_and_untouched() {
        let mut files = BTreeMap::new();
        files.insert("vault.key".to_owned(), vec![1u8; 52]);
        files.insert("vault.sealed".to_owned(), vec![2u8; 100]);
        files.insert("appliance-signing.pem".to_owned(), b"pem".to_vec());
        assert!(seal(&files, "short", "ab".into(), 1).is_err(), "short passphrase refused");
        let sealed = seal(&files, "correct horse battery", "ab".into(), 3).unwrap();
        let (header, back) = open(&sealed, "correct horse battery").unwrap();
        assert_eq!(header.vault_generation, 3);
        assert_eq!(back["vault.sealed"].as_slice(), &[2u8; 100][..]);
        let err = open(&sealed, "correct horse batterz").unwrap_err();
        assert_eq!(err.detail_key, Some("key-backup-does-not-open"));
        // Altering a header field (bound as associated data) is refused too.
        let text = String::from_utf8(sealed.clone()).unwrap();
        let altered = text.replace("\"vault_generation\": 3", "\"vault_generation\": 4");
        assert_ne!(altered, text);
        assert!(open(altered.as_bytes(), "correct horse battery").is_err());
    }
}
