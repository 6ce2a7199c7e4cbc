//! The vault: one random data key per document, sealed by the vault key.
//!
//! Both live in the keys directory, never in the data directory, never in a data backup:
//! - `vault.key` — the 32-byte vault key and its generation number (mode 0600);
//! - `vault.sealed` — a header naming the key generation, then one record per document key,
//!   each sealed with AES-256-GCM under the vault key (appended, fsynced, before the
//!   document's metadata commits).
//!
//! Destroying a document (I385 §6.8) removes its key, writes every remaining key into a new
//! `vault.sealed` under a **new** vault key, replaces the old key file in place and forgets
//! the old key in memory. A copy of the old vault, an old backup, freed disk blocks — none
//! of them can be decrypted with the keys that exist afterwards.
//!
//! Crash safety of a rotation: the new key is written to `vault.key.next` first, then the new
//! vault is renamed over the old one, then the next key replaces the old key. At open, a
//! vault whose generation matches `vault.key.next` completes an interrupted rotation.

mod seal;

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use zeroize::Zeroizing;

pub use seal::{open_sealed, seal};

pub type DataKey = Zeroizing<[u8; 32]>;

const KEY_FILE: &str = "vault.key";
const NEXT_KEY_FILE: &str = "vault.key.next";
const VAULT_FILE: &str = "vault.sealed";
const KEY_MAGIC: &[u8; 12] = b"IPGOVAULTKEY";
const VAULT_MAGIC: &[u8; 12] = b"IPGOVAULT001";
/// doc id (8) + nonce (12) + key (32) + tag (16).
const RECORD: usize = 8 + 12 + 32 + 16;
const HEADER: usize = 12 + 8;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("vault: {0}")]
    Io(#[from] std::io::Error),
    #[error("vault: {0}")]
    Damaged(String),
}

struct VaultKey {
    generation: u64,
    key: Zeroizing<[u8; 32]>,
}

struct State {
    key: VaultKey,
    keys: HashMap<u64, DataKey>,
}

pub struct Vault {
    dir: PathBuf,
    state: Mutex<State>,
}

fn private_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn read_key(path: &Path) -> Result<VaultKey, VaultError> {
    let bytes = Zeroizing::new(fs::read(path)?);
    if bytes.len() != 12 + 8 + 32 || &bytes[..12] != KEY_MAGIC {
        return Err(VaultError::Damaged(format!("{} is not a vault key file", path.display())));
    }
    let generation = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&bytes[20..]);
    Ok(VaultKey { generation, key })
}

fn write_key(path: &Path, key: &VaultKey) -> Result<(), VaultError> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(52));
    bytes.extend_from_slice(KEY_MAGIC);
    bytes.extend_from_slice(&key.generation.to_le_bytes());
    bytes.extend_from_slice(&key.key[..]);
    let mut f = private_file(path)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    Ok(())
}

fn new_key(generation: u64) -> VaultKey {
    VaultKey { generation, key: Zeroizing::new(crate::secret::random_bytes::<32>()) }
}

fn record(key: &VaultKey, doc: u64, data_key: &[u8; 32]) -> Vec<u8> {
    let aad = aad(key.generation, doc);
    let sealed = seal(&key.key, &aad, data_key);
    let mut out = Vec::with_capacity(RECORD);
    out.extend_from_slice(&doc.to_le_bytes());
    out.extend_from_slice(&sealed);
    debug_assert_eq!(out.len(), RECORD);
    out
}

fn aad(generation: u64, doc: u64) -> [u8; 16] {
    let mut aad = [0u8; 16];
    aad[..8].copy_from_slice(&generation.to_le_bytes());
    aad[8..].copy_from_slice(&doc.to_le_bytes());
    aad
}

fn header(generation: u64) -> Vec<u8> {
    let mut h = VAULT_MAGIC.to_vec();
    h.extend_from_slice(&generation.to_le_bytes());
    h
}

impl Vault {
    /// Opens the vault in `dir`, creating an empty one on first use.
    pub fn open(dir: &Path) -> Result<Vault, VaultError> {
        crate::keys::ensure_private_dir(dir).map_err(|e| VaultError::Damaged(e.to_string()))?;
        let key_path = dir.join(KEY_FILE);
        let vault_path = dir.join(VAULT_FILE);
        if !key_path.exists() && !vault_path.exists() {
            let key = new_key(1);
            write_key(&key_path, &key)?;
            let mut f = private_file(&vault_path)?;
            f.write_all(&header(1))?;
            f.sync_all()?;
            sync_dir(dir)?;
        }
        let mut key = read_key(&key_path)?;
        let mut raw = Vec::new();
        File::open(&vault_path)?.read_to_end(&mut raw)?;
        if raw.len() < HEADER || &raw[..12] != VAULT_MAGIC {
            return Err(VaultError::Damaged("vault.sealed has no valid header".into()));
        }
        let generation = u64::from_le_bytes(raw[12..20].try_into().expect("8 bytes"));
        if generation != key.generation {
            // An interrupted rotation: the new vault is in place, its key waits in .next.
            let next_path = dir.join(NEXT_KEY_FILE);
            let next = read_key(&next_path).map_err(|_| {
                VaultError::Damaged(format!(
                    "vault.sealed is sealed with key generation {generation} but vault.key holds generation {}; \
                     restore the matching vault.key from the key backup",
                    key.generation
                ))
            })?;
            if next.generation != generation {
                return Err(VaultError::Damaged(
                    "vault.key.next does not match vault.sealed".into(),
                ));
            }
            write_key(&key_path, &next)?;
            fs::remove_file(&next_path)?;
            sync_dir(dir)?;
            tracing::warn!(generation, "completed an interrupted vault key rotation");
            key = next;
        }
        // A next-key file left by a rotation that finished (or never got as far as the new
        // vault) is no longer needed.
        let next_path = dir.join(NEXT_KEY_FILE);
        if next_path.exists() {
            fs::remove_file(&next_path)?;
            sync_dir(dir)?;
        }
        let body = &raw[HEADER..];
        let whole = body.len() - body.len() % RECORD;
        if whole != body.len() {
            // A torn append from a crash: that key's document never committed.
            tracing::warn!(
                bytes = body.len() - whole,
                "dropping a torn record at the end of the vault"
            );
            let f = OpenOptions::new().write(true).open(&vault_path)?;
            f.set_len((HEADER + whole) as u64)?;
            f.sync_all()?;
        }
        // One key schedule for all records: at a million documents, making it per record
        // was most of the server's start-up (issue 18, start-up at 1M).
        let cipher = seal::cipher(&key.key);
        let mut keys = HashMap::with_capacity(whole / RECORD);
        for rec in body[..whole].chunks_exact(RECORD) {
            let doc = u64::from_le_bytes(rec[..8].try_into().expect("8 bytes"));
            let plain = seal::open_sealed_with(&cipher, &aad(key.generation, doc), &rec[8..])
                .ok_or_else(|| {
                    VaultError::Damaged(format!("the key of document {doc} does not decrypt"))
                })?;
            let mut dk = Zeroizing::new([0u8; 32]);
            dk.copy_from_slice(&plain);
            keys.insert(doc, dk);
        }
        Ok(Vault { dir: dir.to_owned(), state: Mutex::new(State { key, keys }) })
    }

    /// Whether a vault was ever made in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join(KEY_FILE).exists() || dir.join(VAULT_FILE).exists()
    }

    /// The data key of a document, if it exists.
    pub fn key(&self, doc: u64) -> Option<DataKey> {
        self.state.lock().keys.get(&doc).cloned()
    }

    /// A fresh random data key (not yet recorded).
    pub fn new_data_key() -> DataKey {
        Zeroizing::new(crate::secret::random_bytes::<32>())
    }

    /// Creates (and durably records) a new data key for a document.
    pub fn create(&self, doc: u64) -> Result<DataKey, VaultError> {
        if let Some(existing) = self.key(doc) {
            return Ok(existing);
        }
        let key = Self::new_data_key();
        self.insert(doc, &key)?;
        Ok(key)
    }

    /// Durably records `data_key` as the key of `doc` (before the document commits).
    ///
    /// The caller guarantees that no committed document has this id. A key already present
    /// is then a leftover of a posting that crashed before its record committed (the id
    /// counter rolled back with it) and is replaced: the later record wins when the vault
    /// is read.
    pub fn insert(&self, doc: u64, data_key: &DataKey) -> Result<(), VaultError> {
        let mut state = self.state.lock();
        if state.keys.contains_key(&doc) {
            tracing::warn!(document = doc, "replacing the key of a posting that never committed");
        }
        let data_key = data_key.clone();
        let rec = record(&state.key, doc, &data_key);
        let mut f = OpenOptions::new().append(true).open(self.dir.join(VAULT_FILE))?;
        f.write_all(&rec)?;
        f.sync_data()?;
        state.keys.insert(doc, data_key);
        Ok(())
    }

    /// Removes the keys of `docs` and re-seals the vault under a new vault key.
    pub fn destroy(&self, docs: &[u64]) -> Result<u64, VaultError> {
        let mut state = self.state.lock();
        for doc in docs {
            state.keys.remove(doc);
        }
        let next = new_key(state.key.generation + 1);
        let next_path = self.dir.join(NEXT_KEY_FILE);
        write_key(&next_path, &next)?;
        sync_dir(&self.dir)?;
        let mut body = header(next.generation);
        let mut ids: Vec<&u64> = state.keys.keys().collect();
        ids.sort();
        for doc in ids {
            body.extend_from_slice(&record(&next, *doc, &state.keys[doc]));
        }
        let tmp = self.dir.join("vault.sealed.tmp");
        {
            let mut f = private_file(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.dir.join(VAULT_FILE))?;
        sync_dir(&self.dir)?;
        // Overwrite the old key file's bytes in place before replacing it, so the old key
        // does not linger in that file's blocks on disks that rewrite in place.
        let key_path = self.dir.join(KEY_FILE);
        write_key(&key_path, &next)?;
        fs::remove_file(&next_path)?;
        sync_dir(&self.dir)?;
        // The old key is zeroized when dropped.
        state.key = next;
        Ok(state.key.generation)
    }

    /// The bytes of `vault.key` and `vault.sealed`, read together under the vault's lock so
    /// that no rotation or append runs in between (for `ipgo backup-keys`).
    pub fn export_files(&self) -> Result<Vec<(String, Vec<u8>)>, VaultError> {
        let _state = self.state.lock();
        let key = fs::read(self.dir.join(KEY_FILE))?;
        let vault = fs::read(self.dir.join(VAULT_FILE))?;
        Ok(vec![(KEY_FILE.to_owned(), key), (VAULT_FILE.to_owned(), vault)])
    }

    pub fn generation(&self) -> u64 {
        self.state.lock().key.generation
    }

    pub fn document_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.state.lock().keys.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_reopening_and_destruction_rotates_the_vault_key() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        let a = vault.create(1).unwrap();
        let b = vault.create(2).unwrap();
        assert_ne!(*a, *b);
        let old_vault = fs::read(dir.path().join(VAULT_FILE)).unwrap();
        let old_key = fs::read(dir.path().join(KEY_FILE)).unwrap();
        drop(vault);

        let vault = Vault::open(dir.path()).unwrap();
        assert_eq!(*vault.key(1).unwrap(), *a);
        assert_eq!(vault.destroy(&[1]).unwrap(), 2);
        assert!(vault.key(1).is_none());
        drop(vault);

        let vault = Vault::open(dir.path()).unwrap();
        assert!(vault.key(1).is_none(), "a destroyed key never comes back");
        assert_eq!(*vault.key(2).unwrap(), *b);
        assert_ne!(fs::read(dir.path().join(KEY_FILE)).unwrap(), old_key);

        // The old vault copy cannot be opened with the current key.
        let copy = tempfile::tempdir().unwrap();
        fs::write(copy.path().join(VAULT_FILE), &old_vault).unwrap();
        fs::copy(dir.path().join(KEY_FILE), copy.path().join(KEY_FILE)).unwrap();
        assert!(Vault::open(copy.path()).is_err());
    }

    #[test]
    fn a_key_left_by_an_uncommitted_posting_is_replaced_and_the_newer_one_survives() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        let first = Vault::new_data_key();
        vault.insert(9, &first).unwrap();
        let second = Vault::new_data_key();
        vault.insert(9, &second).unwrap();
        assert_eq!(*vault.key(9).unwrap(), *second);
        drop(vault);
        assert_eq!(*Vault::open(dir.path()).unwrap().key(9).unwrap(), *second);
    }

    #[test]
    fn a_torn_append_is_dropped_and_an_interrupted_rotation_completes() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        vault.create(7).unwrap();
        drop(vault);
        let mut f = OpenOptions::new().append(true).open(dir.path().join(VAULT_FILE)).unwrap();
        f.write_all(&[1, 2, 3]).unwrap();
        drop(f);
        let vault = Vault::open(dir.path()).unwrap();
        assert!(vault.key(7).is_some());

        // Simulate a crash after the new vault was renamed but before vault.key was replaced.
        let next = new_key(vault.generation() + 1);
        write_key(&dir.path().join(NEXT_KEY_FILE), &next).unwrap();
        let mut body = header(next.generation);
        body.extend_from_slice(&record(&next, 7, &vault.key(7).unwrap()));
        fs::write(dir.path().join(VAULT_FILE), body).unwrap();
        drop(vault);
        let vault = Vault::open(dir.path()).unwrap();
        assert_eq!(vault.generation(), next.generation);
        assert!(vault.key(7).is_some());
        assert!(!dir.path().join(NEXT_KEY_FILE).exists());
    }
}
