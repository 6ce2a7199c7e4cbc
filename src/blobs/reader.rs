//! Reading a blob: each chunk is decrypted and authenticated before any of its bytes are
//! returned; seeking moves between chunks without reading the ones in between.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce};

use super::{HEADER_LEN, MAGIC, TAG, cipher, nonce};

pub struct BlobReader {
    file: File,
    cipher: LessSafeKey,
    header: [u8; HEADER_LEN],
    prefix: [u8; 7],
    chunk: usize,
    chunks: u64,
    plain_len: u64,
    pos: u64,
    /// Index and plaintext of the chunk decrypted last.
    cached: Option<(u64, Vec<u8>)>,
}

fn damaged(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("blob damaged: {what}"))
}

impl BlobReader {
    pub fn open(path: &Path, key: &[u8; 32]) -> std::io::Result<BlobReader> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut header = [0u8; HEADER_LEN];
        file.read_exact_at(&mut header, 0).map_err(|_| damaged("shorter than its header"))?;
        if &header[..8] != MAGIC || header[8] != 1 {
            return Err(damaged("unknown header"));
        }
        let chunk = u32::from_le_bytes(header[12..16].try_into().expect("4 bytes")) as usize;
        if chunk == 0 || chunk > 16 * 1024 * 1024 {
            return Err(damaged("bad chunk size"));
        }
        let body = len - HEADER_LEN as u64;
        let stride = (chunk + TAG) as u64;
        let chunks = body.div_ceil(stride).max(1);
        let last_len = body - (chunks - 1) * stride;
        if last_len < TAG as u64 || last_len > stride {
            return Err(damaged("truncated"));
        }
        let plain_len = (chunks - 1) * chunk as u64 + (last_len - TAG as u64);
        let mut prefix = [0u8; 7];
        prefix.copy_from_slice(&header[16..23]);
        Ok(BlobReader {
            file,
            cipher: cipher(key),
            header,
            prefix,
            chunk,
            chunks,
            plain_len,
            pos: 0,
            cached: None,
        })
    }

    /// Plaintext length.
    pub fn len(&self) -> u64 {
        self.plain_len
    }

    pub fn is_empty(&self) -> bool {
        self.plain_len == 0
    }

    fn load(&mut self, index: u64) -> std::io::Result<()> {
        if self.cached.as_ref().is_some_and(|(i, _)| *i == index) {
            return Ok(());
        }
        let stride = (self.chunk + TAG) as u64;
        let last = index + 1 == self.chunks;
        let stored = if last {
            (self.plain_len - index * self.chunk as u64) as usize + TAG
        } else {
            self.chunk + TAG
        };
        let mut buf = match self.cached.take() {
            Some((_, mut b)) => {
                b.resize(stored, 0);
                b
            }
            None => vec![0u8; stored],
        };
        self.file
            .read_exact_at(&mut buf, HEADER_LEN as u64 + index * stride)
            .map_err(|_| damaged("truncated"))?;
        let index32 = u32::try_from(index).map_err(|_| damaged("too many chunks"))?;
        let n = nonce(&self.prefix, index32, last);
        let plain_len = self
            .cipher
            .open_in_place(Nonce::assume_unique_for_key(n), Aad::from(&self.header[..]), &mut buf)
            .map_err(|_| damaged(&format!("chunk {index} fails authentication")))?
            .len();
        buf.truncate(plain_len);
        self.cached = Some((index, buf));
        Ok(())
    }

    /// Reads and authenticates every chunk (for `ipgo verify`).
    pub fn check_all(&mut self) -> std::io::Result<u64> {
        for i in 0..self.chunks {
            self.load(i)?;
        }
        Ok(self.plain_len)
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.plain_len || out.is_empty() {
            // An empty blob still has its one (final) chunk authenticated on first read.
            if self.plain_len == 0 {
                self.load(0)?;
            }
            return Ok(0);
        }
        let index = self.pos / self.chunk as u64;
        self.load(index)?;
        let offset = (self.pos % self.chunk as u64) as usize;
        let chunk = &self.cached.as_ref().expect("loaded").1;
        let n = (chunk.len() - offset).min(out.len());
        out[..n].copy_from_slice(&chunk[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::End(d) => self.plain_len as i128 + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if target < 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start"));
        }
        self.pos = target as u64;
        Ok(self.pos)
    }
}
