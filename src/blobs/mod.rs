//! Content-addressed, encrypted object files under `data/blobs/ab/cd/<sha256>`.
//!
//! A blob is the bytes of one attached file (or a document's text), encrypted in chunks with
//! the document's data key, and named by the sha256 of the encrypted file. It is written to
//! `data/blobs/tmp/`, fsynced, renamed into place and its directory fsynced — only then may
//! the metadata that points at it commit. Reading decrypts and authenticates chunk by chunk
//! and supports seeking, so archives and office files can be inspected without a plaintext
//! copy on disk or in memory.
//!
//! File format: a 32-byte header (`IPGOBLOB`, format 1, chunk size, 7-byte random nonce
//! prefix), then chunks of `chunk size` plaintext bytes (the last one shorter, possibly
//! empty), each AES-256-GCM encrypted with nonce `prefix || chunk index (u32 BE) || last
//! flag` and the header as associated data, followed by its 16-byte tag. The last-chunk flag
//! makes truncation detectable.

mod reader;
mod writer;

use std::fs;
use std::path::{Path, PathBuf};

pub use reader::BlobReader;
pub use writer::{BlobWriter, PendingBlob};

pub const CHUNK: usize = 64 * 1024;
pub const TAG: usize = 16;
pub const HEADER_LEN: usize = 32;
const MAGIC: &[u8; 8] = b"IPGOBLOB";

/// Hex sha256 of an encrypted blob file: its name.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct BlobId(pub String);

impl BlobId {
    pub fn parse(s: &str) -> Option<BlobId> {
        raw_id(s).map(|_| BlobId(s.to_owned()))
    }

    /// The 32 bytes the name spells (a third of the name's heap size, for long lists).
    pub fn raw(&self) -> [u8; 32] {
        raw_id(&self.0).expect("a BlobId is 64 lowercase hex digits")
    }

    pub fn from_raw(raw: &[u8; 32]) -> BlobId {
        BlobId(hex::encode(raw))
    }
}

/// The 32 bytes a blob's name spells, when it is one.
pub fn raw_id(name: &str) -> Option<[u8; 32]> {
    let mut raw = [0; 32];
    (name.len() == 64 && !name.bytes().any(|b| b.is_ascii_uppercase()))
        .then(|| hex::decode_to_slice(name, &mut raw).ok())
        .flatten()
        .map(|()| raw)
}

#[derive(Clone)]
pub struct BlobStore {
    root: PathBuf,
    /// Below this much free space (MiB) the store takes no new blobs.
    floor_mb: u64,
}

/// Free space on the file system holding the blobs (the data directory's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Space {
    pub free_mb: u64,
    pub floor_mb: u64,
}

impl Space {
    /// Whether new data may be written (free space at or above the floor).
    pub fn room(&self) -> bool {
        self.free_mb >= self.floor_mb
    }
}

impl BlobStore {
    /// Opens `data_dir/blobs`; `floor_mb`: free space (MiB) kept back on its file system.
    pub fn open(data_dir: &Path, floor_mb: u64) -> std::io::Result<BlobStore> {
        let root = data_dir.join("blobs");
        fs::create_dir_all(root.join("tmp"))?;
        Ok(BlobStore { root, floor_mb })
    }

    /// Free space against the floor; `None` when the file system cannot say.
    pub fn space(&self) -> Option<Space> {
        let stat = rustix::fs::statvfs(&self.root).ok()?;
        let free_mb = stat.f_bavail.saturating_mul(stat.f_frsize) / (1024 * 1024);
        Some(Space { free_mb, floor_mb: self.floor_mb })
    }

    /// Whether a new upload may start: free space at or above the floor (or unknown — the
    /// write itself then reports a full disk).
    pub fn has_room(&self) -> bool {
        self.space().is_none_or(|s| s.room())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub fn path(&self, id: &BlobId) -> PathBuf {
        self.root.join(&id.0[..2]).join(&id.0[2..4]).join(&id.0)
    }

    /// Starts writing a new blob encrypted with `key`.
    pub fn writer(&self, key: &[u8; 32]) -> std::io::Result<BlobWriter> {
        BlobWriter::create(&self.tmp_dir(), key)
    }

    /// Moves a finished blob into place durably. Idempotent for an identical blob.
    pub fn commit(&self, pending: &PendingBlob) -> std::io::Result<BlobId> {
        let id = pending.id.clone();
        let target = self.path(&id);
        let dir = target.parent().expect("blob path has a parent");
        if !dir.exists() {
            // The first level is in the root: the root changes (and is synced) only when it
            // is new too — most new blobs of a store past a few thousand need only the second.
            let first = dir.parent().expect("two levels");
            let first_is_new = !first.exists();
            fs::create_dir_all(dir)?;
            sync(first)?;
            if first_is_new {
                sync(&self.root)?;
            }
        }
        fs::rename(&pending.tmp_path, &target)?;
        sync(dir)?;
        Ok(id)
    }

    pub fn open_reader(&self, id: &BlobId, key: &[u8; 32]) -> std::io::Result<BlobReader> {
        BlobReader::open(&self.path(id), key)
    }

    pub fn exists(&self, id: &BlobId) -> bool {
        self.path(id).exists()
    }

    pub fn remove(&self, id: &BlobId) -> std::io::Result<()> {
        let path = self.path(id);
        match fs::remove_file(&path) {
            Ok(()) => sync(path.parent().expect("parent")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Visits every blob on disk whose first byte is in `first` (its first directory), as
    /// the 32 bytes of its name: a walk of a million blobs holds one directory's names at a
    /// time, not a million paths.
    pub fn walk(
        &self,
        first: std::ops::RangeInclusive<u8>,
        mut visit: impl FnMut([u8; 32]),
    ) -> std::io::Result<()> {
        for a in fs::read_dir(&self.root)? {
            let a = a?;
            let name = a.file_name();
            let in_range = name
                .to_str()
                .filter(|n| n.len() == 2 && !n.bytes().any(|b| b.is_ascii_uppercase()))
                .and_then(|n| u8::from_str_radix(n, 16).ok())
                .is_some_and(|byte| first.contains(&byte));
            if !in_range || !a.file_type()?.is_dir() {
                continue;
            }
            for b in fs::read_dir(a.path())? {
                let b = b?;
                if !b.file_type()?.is_dir() {
                    continue;
                }
                for f in fs::read_dir(b.path())? {
                    if let Some(raw) = f?.file_name().to_str().and_then(raw_id) {
                        visit(raw);
                    }
                }
            }
        }
        Ok(())
    }

    /// The file system's idea of "now": the modification time of a file made and removed
    /// here. Files written by earlier runs have older times, files written later have
    /// this time or newer — comparing with the same (coarse) clock the files were stamped
    /// with avoids mistaking a file of this run for an older one.
    pub fn clock_mark(&self) -> std::io::Result<std::time::SystemTime> {
        let mark = self.tmp_dir().join(".clock-mark");
        let file = fs::File::create(&mark)?;
        let time = file.metadata()?.modified()?;
        drop(file);
        fs::remove_file(&mark)?;
        Ok(time)
    }

    /// Temporary files left by interrupted uploads, older than `min_age`.
    pub fn stale_temp_files(&self, min_age: std::time::Duration) -> std::io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for e in fs::read_dir(self.tmp_dir())? {
            let e = e?;
            let old =
                e.metadata()?.modified()?.elapsed().map(|age| age >= min_age).unwrap_or(false);
            if old {
                out.push(e.path());
            }
        }
        Ok(out)
    }
}

pub(crate) fn sync(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

fn nonce(prefix: &[u8; 7], index: u32, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..7].copy_from_slice(prefix);
    n[7..11].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    n
}

fn cipher(key: &[u8; 32]) -> ring::aead::LessSafeKey {
    ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, key).expect("32-byte key"),
    )
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom, Write};

    use super::*;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path(), 0).unwrap();
        (dir, store)
    }

    fn put(store: &BlobStore, key: &[u8; 32], data: &[u8]) -> (BlobId, PendingBlob) {
        let mut w = store.writer(key).unwrap();
        for piece in data.chunks(10_007) {
            w.write_all(piece).unwrap();
        }
        let pending = w.finish().unwrap();
        let id = store.commit(&pending).unwrap();
        (id, pending)
    }

    #[test]
    fn round_trip_of_many_sizes_with_hashes_and_seeking() {
        let (_d, store) = store();
        let key = [3u8; 32];
        // The last size crosses several writeback steps (`writer::WRITEBACK_STEP`).
        for size in [0usize, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17, 20 * CHUNK + 5] {
            let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
            let (id, pending) = put(&store, &key, &data);
            assert_eq!(pending.plain_len, size as u64);
            assert_eq!(
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data)),
                pending.plain_sha256
            );
            let file = fs::read(store.path(&id)).unwrap();
            assert_eq!(
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&file)),
                id.0,
                "named by ciphertext hash"
            );
            let mut r = store.open_reader(&id, &key).unwrap();
            assert_eq!(r.len(), size as u64);
            let mut back = Vec::new();
            r.read_to_end(&mut back).unwrap();
            assert_eq!(back, data);
            if size > 10 {
                r.seek(SeekFrom::Start(size as u64 - 5)).unwrap();
                let mut tail = Vec::new();
                r.read_to_end(&mut tail).unwrap();
                assert_eq!(tail, &data[size - 5..]);
                r.seek(SeekFrom::End(-(size as i64))).unwrap();
                let mut head = [0u8; 3];
                r.read_exact(&mut head).unwrap();
                assert_eq!(head, data[..3]);
            }
        }
    }

    #[test]
    fn free_space_is_judged_against_the_floor() {
        let dir = tempfile::tempdir().unwrap();
        let roomy = BlobStore::open(dir.path(), 0).unwrap();
        let space = roomy.space().expect("statvfs of a temp dir");
        assert!(space.room() && roomy.has_room());
        let full = BlobStore::open(dir.path(), space.free_mb + 1_000_000).unwrap();
        assert!(!full.has_room(), "a floor above the free space refuses new blobs");
    }

    #[test]
    fn flipped_bytes_wrong_keys_and_truncation_are_detected() {
        let (_d, store) = store();
        let key = [5u8; 32];
        let data = vec![42u8; 2 * CHUNK + 100];
        let (id, _) = put(&store, &key, &data);
        let path = store.path(&id);
        let original = fs::read(&path).unwrap();
        let read_all = |store: &BlobStore, key: &[u8; 32]| -> std::io::Result<Vec<u8>> {
            let mut out = Vec::new();
            store.open_reader(&id, key)?.read_to_end(&mut out)?;
            Ok(out)
        };
        assert!(read_all(&store, &[6u8; 32]).is_err(), "wrong key");
        for pos in [0, 20, HEADER_LEN + 5, original.len() / 2, original.len() - 1] {
            let mut t = original.clone();
            t[pos] ^= 0x01;
            fs::write(&path, &t).unwrap();
            assert!(read_all(&store, &key).is_err(), "flip at {pos} must fail");
        }
        // Dropping the final chunk leaves a file that ends on a non-final chunk.
        fs::write(&path, &original[..HEADER_LEN + 2 * (CHUNK + TAG)]).unwrap();
        assert!(read_all(&store, &key).is_err(), "truncation must fail");
    }
}
