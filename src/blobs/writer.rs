//! Streaming encryption of one blob: plaintext in, encrypted temp file out, with the
//! plaintext and ciphertext sha256 computed on the way.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ring::aead::{Aad, LessSafeKey, Nonce};
use sha2::{Digest, Sha256};

use super::{BlobId, CHUNK, HEADER_LEN, MAGIC, cipher, nonce};

pub struct BlobWriter {
    /// `None` once finished; a writer dropped while it is `Some` deletes its temp file.
    file: Option<BufWriter<File>>,
    tmp_path: PathBuf,
    cipher: LessSafeKey,
    header: [u8; HEADER_LEN],
    prefix: [u8; 7],
    index: u32,
    buf: Vec<u8>,
    plain: Sha256,
    encrypted: Sha256,
    plain_len: u64,
    /// Bytes handed to the kernel and not yet asked to be written back.
    unflushed: u64,
    /// Where those bytes start in the file.
    flushed_to: u64,
}

/// Ciphertext handed to the kernel in one go before its writeback is started (see
/// [`BlobWriter::start_writeback`]).
const WRITEBACK_STEP: u64 = 512 * 1024;

/// A blob written and synced to a temp file, not yet in place.
#[derive(Debug)]
pub struct PendingBlob {
    pub id: BlobId,
    pub tmp_path: PathBuf,
    pub plain_sha256: String,
    pub plain_len: u64,
    pub stored_len: u64,
}

impl PendingBlob {
    /// Deletes the temp file (the upload was refused).
    pub fn discard(self) {
        let _ = std::fs::remove_file(&self.tmp_path);
    }
}

impl BlobWriter {
    pub(super) fn create(tmp_dir: &Path, key: &[u8; 32]) -> std::io::Result<BlobWriter> {
        let tmp_path =
            tmp_dir.join(format!("{}.part", hex::encode(crate::secret::random_bytes::<12>())));
        let file =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o640).open(&tmp_path)?;
        let prefix = crate::secret::random_bytes::<7>();
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(MAGIC);
        header[8] = 1;
        header[12..16].copy_from_slice(&(CHUNK as u32).to_le_bytes());
        header[16..23].copy_from_slice(&prefix);
        let mut writer = BlobWriter {
            file: Some(BufWriter::with_capacity(CHUNK + 64, file)),
            tmp_path,
            cipher: cipher(key),
            header,
            prefix,
            index: 0,
            buf: Vec::with_capacity(CHUNK + 16),
            plain: Sha256::new(),
            encrypted: Sha256::new(),
            plain_len: 0,
            unflushed: 0,
            flushed_to: 0,
        };
        writer.out()?.write_all(&header)?;
        writer.unflushed = HEADER_LEN as u64;
        writer.encrypted.update(header);
        Ok(writer)
    }

    fn out(&mut self) -> std::io::Result<&mut BufWriter<File>> {
        self.file.as_mut().ok_or_else(|| std::io::Error::other("blob already finished"))
    }

    pub fn plain_len(&self) -> u64 {
        self.plain_len
    }

    fn seal_chunk(&mut self, last: bool) -> std::io::Result<()> {
        let n = nonce(&self.prefix, self.index, last);
        let tag = self
            .cipher
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(n),
                Aad::from(&self.header[..]),
                &mut self.buf,
            )
            .map_err(|_| std::io::Error::other("encryption failed"))?;
        self.buf.extend_from_slice(tag.as_ref());
        self.encrypted.update(&self.buf);
        let buf = std::mem::take(&mut self.buf);
        self.out()?.write_all(&buf)?;
        self.unflushed += buf.len() as u64;
        self.buf = buf;
        self.buf.clear();
        if self.unflushed >= WRITEBACK_STEP {
            self.start_writeback()?;
        }
        self.index =
            self.index.checked_add(1).ok_or_else(|| std::io::Error::other("blob too large"))?;
        Ok(())
    }

    /// Asks the kernel to start writing the bytes written so far to the disk, without waiting.
    /// The `sync_all` in [`finish`](Self::finish) then waits only for the tail: the disk
    /// writes while the rest of the upload still arrives, instead of all at the end (a 60 MB
    /// file's final fsync was most of its upload's time). Durability is still `finish`'s.
    fn start_writeback(&mut self) -> std::io::Result<()> {
        let (from, len) = (self.flushed_to, self.unflushed);
        let file = self.out()?;
        file.flush()?;
        // Only a hint, so its result is not looked at: a file system without it (or an error
        // here) leaves the work to fsync, which reports any real failure.
        // SAFETY: a plain system call on a descriptor this writer owns; it reads no memory.
        unsafe {
            libc::sync_file_range(
                file.get_ref().as_raw_fd(),
                from as libc::off64_t,
                len as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
        self.flushed_to += len;
        self.unflushed = 0;
        Ok(())
    }

    /// Encrypts the last chunk, syncs the file and names the blob.
    pub fn finish(mut self) -> std::io::Result<PendingBlob> {
        self.seal_chunk(true)?;
        let file = self.out()?;
        file.flush()?;
        file.get_ref().sync_all()?;
        let stored_len = file.get_ref().metadata()?.len();
        self.file = None;
        Ok(PendingBlob {
            id: BlobId(hex::encode(std::mem::take(&mut self.encrypted).finalize())),
            tmp_path: self.tmp_path.clone(),
            plain_sha256: hex::encode(std::mem::take(&mut self.plain).finalize()),
            plain_len: self.plain_len,
            stored_len,
        })
    }

    /// Abandons the blob and deletes its temp file.
    pub fn abort(self) {
        drop(self);
    }
}

impl Write for BlobWriter {
    fn write(&mut self, mut data: &[u8]) -> std::io::Result<usize> {
        let total = data.len();
        self.plain.update(data);
        self.plain_len += total as u64;
        while !data.is_empty() {
            // A full chunk is sealed only once more data follows, so the final chunk (which
            // carries the "last" flag) is never a full one followed by nothing.
            if self.buf.len() == CHUNK {
                self.seal_chunk(false)?;
            }
            let take = (CHUNK - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(total)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // A writer dropped without finish() (refused upload, client gone) leaves no file.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp_path);
        }
    }
}
