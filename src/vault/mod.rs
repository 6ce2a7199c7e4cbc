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
//!
//! In memory: where each document's record is, and the keys read most recently
//! (`index.rs`). A key is opened from its record when its document is read; every record is
//! still opened once at start, so a vault that does not match its key is refused there.

mod index;
mod seal;

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use ring::aead::{Aad, LessSafeKey, Nonce};
use zeroize::Zeroizing;

use index::{Recent, Slots};

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

/// Keys opened and kept in memory at most (two generations of this many: ~0.4 MB).
const RECENT_KEYS: usize = 4096;

struct State {
    key: VaultKey,
    /// The vault key's AES schedule, made once.
    cipher: LessSafeKey,
    /// `vault.sealed`, read and written at record offsets.
    file: File,
    /// Whole records in the file; the next one is written at this slot.
    records: u32,
    slots: Slots,
    recent: Recent,
}

impl State {
    /// Reads and opens the record in `slot`, which must be `doc`'s.
    fn open_record(&self, doc: u64, slot: u32) -> Result<DataKey, VaultError> {
        let mut rec = Zeroizing::new([0u8; RECORD]);
        self.file.read_exact_at(&mut rec[..], offset(slot))?;
        open_record(&self.cipher, self.key.generation, &mut rec)
            .filter(|(id, _)| *id == doc)
            .map(|(_, key)| key)
            .ok_or_else(|| {
                VaultError::Damaged(format!("the key of document {doc} does not decrypt"))
            })
    }
}

fn offset(slot: u32) -> u64 {
    (HEADER + slot as usize * RECORD) as u64
}

/// The document id and key of one record (opened in place), `None` when it does not decrypt.
fn open_record(
    cipher: &LessSafeKey,
    generation: u64,
    rec: &mut [u8; RECORD],
) -> Option<(u64, DataKey)> {
    let doc = u64::from_le_bytes(rec[..8].try_into().expect("8 bytes"));
    let nonce: [u8; 12] = rec[8..20].try_into().expect("12 bytes");
    let plain = cipher
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(generation, doc)),
            &mut rec[20..],
        )
        .ok()?;
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(plain);
    Some((doc, key))
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
        Self::open_keeping(dir, RECENT_KEYS)
    }

    /// [`open`](Self::open) keeping at most `recent` opened keys per generation.
    fn open_keeping(dir: &Path, recent: usize) -> Result<Vault, VaultError> {
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
        let mut file = OpenOptions::new().read(true).write(true).open(&vault_path)?;
        let mut head = [0u8; HEADER];
        if file.read_exact(&mut head).is_err() || &head[..12] != VAULT_MAGIC {
            return Err(VaultError::Damaged("vault.sealed has no valid header".into()));
        }
        let generation = u64::from_le_bytes(head[12..20].try_into().expect("8 bytes"));
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
        let body = file.metadata()?.len().saturating_sub(HEADER as u64) as usize;
        let whole = body - body % RECORD;
        if whole != body {
            // A torn append from a crash: that key's document never committed.
            tracing::warn!(bytes = body - whole, "dropping a torn record at the end of the vault");
            file.set_len((HEADER + whole) as u64)?;
            file.sync_all()?;
        }
        let records = u32::try_from(whole / RECORD)
            .map_err(|_| VaultError::Damaged("vault.sealed holds too many records".into()))?;
        // Every record is opened once, so a vault that does not match its key is refused
        // now rather than at some document's reading; one key schedule for all of them (at
        // a million documents, one per record was most of the start-up).
        let cipher = seal::cipher(&key.key);
        let mut slots = Slots::with_capacity(records as usize);
        let mut reader = BufReader::with_capacity(1 << 16, &file);
        let mut rec = Zeroizing::new([0u8; RECORD]);
        for slot in 0..records {
            reader.read_exact(&mut rec[..])?;
            let (doc, _) = open_record(&cipher, key.generation, &mut rec).ok_or_else(|| {
                let doc = u64::from_le_bytes(rec[..8].try_into().expect("8 bytes"));
                VaultError::Damaged(format!("the key of document {doc} does not decrypt"))
            })?;
            slots.set(doc, slot);
        }
        drop(reader);
        slots.shrink_to_fit();
        let state = State { key, cipher, file, records, slots, recent: Recent::new(recent) };
        Ok(Vault { dir: dir.to_owned(), state: Mutex::new(state) })
    }

    /// Whether a vault was ever made in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join(KEY_FILE).exists() || dir.join(VAULT_FILE).exists()
    }

    /// The data key of a document, if it exists.
    pub fn key(&self, doc: u64) -> Option<DataKey> {
        let mut state = self.state.lock();
        if let Some(key) = state.recent.get(doc) {
            return Some(key);
        }
        let slot = state.slots.get(doc)?;
        match state.open_record(doc, slot) {
            Ok(key) => {
                state.recent.put(doc, key.clone());
                Some(key)
            }
            Err(e) => {
                // Callers treat a missing key as an internal error of that document.
                tracing::error!(document = doc, "reading the vault: {e}");
                None
            }
        }
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
        if state.slots.get(doc).is_some() {
            tracing::warn!(document = doc, "replacing the key of a posting that never committed");
        }
        let rec = record(&state.key, doc, data_key);
        let slot = state.records;
        // Written at the slot, not appended: a write cut short (a full disk) is overwritten
        // by the next one instead of shifting every record after it.
        state.file.write_all_at(&rec, offset(slot))?;
        state.file.sync_data()?;
        state.records += 1;
        state.slots.set(doc, slot);
        state.recent.put(doc, data_key.clone());
        Ok(())
    }

    /// Removes the keys of `docs` and re-seals the vault under a new vault key.
    pub fn destroy(&self, docs: &[u64]) -> Result<u64, VaultError> {
        let mut state = self.state.lock();
        for doc in docs {
            state.slots.remove(*doc);
            state.recent.remove(*doc);
        }
        let next = new_key(state.key.generation + 1);
        let next_path = self.dir.join(NEXT_KEY_FILE);
        write_key(&next_path, &next)?;
        sync_dir(&self.dir)?;
        // Every remaining key, in order of document id, opened from the old vault and sealed
        // under the new key; the file is written as it goes, never held whole in memory. Its
        // handle is kept: after the rename it is the vault's.
        let tmp = self.dir.join("vault.sealed.tmp");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut kept = Slots::with_capacity(state.slots.len());
        {
            let mut out = std::io::BufWriter::new(&file);
            out.write_all(&header(next.generation))?;
            for (slot, (doc, old_slot)) in state.slots.iter().enumerate() {
                let key = state.open_record(doc, old_slot)?;
                out.write_all(&record(&next, doc, &key))?;
                kept.set(doc, slot as u32);
            }
            out.flush()?;
        }
        file.sync_all()?;
        fs::rename(&tmp, self.dir.join(VAULT_FILE))?;
        sync_dir(&self.dir)?;
        // From here the new vault is the one on disk (its key in vault.key.next until the
        // steps below; `open` completes them after a crash): reads and appends follow it now.
        state.file = file;
        state.records = kept.len() as u32;
        state.slots = kept;
        state.cipher = seal::cipher(&next.key);
        // The old key is zeroized when dropped.
        state.key = next;
        // Overwrite the old key file's bytes in place before replacing it, so the old key
        // does not linger in that file's blocks on disks that rewrite in place.
        write_key(&self.dir.join(KEY_FILE), &state.key)?;
        fs::remove_file(&next_path)?;
        sync_dir(&self.dir)?;
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
        self.state.lock().slots.ids().to_vec()
    }

    /// Bytes the vault holds in memory beyond a fixed part: its record index and the keys
    /// opened recently (for the benchmark and the memory test).
    pub fn memory_bytes(&self) -> usize {
        let state = self.state.lock();
        state.slots.heap_bytes() + state.recent.len() * (8 + 32)
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
    fn keys_beyond_the_recent_ones_are_read_from_the_file_and_survive_destruction() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open_keeping(dir.path(), 8).unwrap();
        let keys: Vec<DataKey> = (1..=200u64).map(|doc| vault.create(doc).unwrap()).collect();
        // Read back out of order, far more than are kept opened.
        for doc in (1..=200u64).rev().step_by(3).chain((1..=200u64).step_by(7)) {
            assert_eq!(*vault.key(doc).unwrap(), *keys[doc as usize - 1], "document {doc}");
        }
        assert!(vault.state.lock().recent.len() <= 16);
        assert!(vault.key(201).is_none());
        let gone: Vec<u64> = (1..=200u64).filter(|d| d % 10 == 0).collect();
        vault.destroy(&gone).unwrap();
        let check = |vault: &Vault| {
            for doc in 1..=200u64 {
                match vault.key(doc) {
                    Some(k) => assert_eq!(*k, *keys[doc as usize - 1], "document {doc}"),
                    None => assert!(gone.contains(&doc), "document {doc} lost its key"),
                }
            }
            assert_eq!(vault.document_ids().len(), 180);
        };
        check(&vault);
        drop(vault);
        check(&Vault::open_keeping(dir.path(), 8).unwrap());
    }

    #[test]
    fn a_damaged_record_fails_its_own_document_only_and_a_cut_write_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open_keeping(dir.path(), 1).unwrap();
        let a = vault.create(1).unwrap();
        vault.create(2).unwrap();
        let c = vault.create(3).unwrap();
        // A byte of record 2 flipped on disk while the server runs.
        let path = dir.path().join(VAULT_FILE);
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.write_all_at(&[0xff], offset(1) + 30).unwrap();
        vault.state.lock().recent = Recent::new(1);
        assert!(vault.key(2).is_none(), "a damaged record gives no key");
        assert_eq!(*vault.key(1).unwrap(), *a);
        assert_eq!(*vault.key(3).unwrap(), *c);
        drop(vault);
        assert!(Vault::open(dir.path()).is_err(), "and the vault is refused at the next start");

        // A write cut short (a full disk) leaves bytes after the last whole record; the next
        // key is written over them, not after them.
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        let a = vault.create(1).unwrap();
        OpenOptions::new()
            .append(true)
            .open(dir.path().join(VAULT_FILE))
            .unwrap()
            .write_all(&[7; 30])
            .unwrap();
        let b = vault.create(2).unwrap();
        drop(vault);
        let vault = Vault::open(dir.path()).unwrap();
        assert_eq!((*vault.key(1).unwrap(), *vault.key(2).unwrap()), (*a, *b));
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
