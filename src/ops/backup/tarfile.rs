//! A strict subset of POSIX ustar, written and read by the backup: regular files only, names
//! under 100 bytes, zero padding, two zero blocks at the end and nothing after them.
//!
//! Why not the `tar` crate: its reader skips padding and trailing blocks without looking at
//! them, and a backup must refuse *any* changed byte. Here every byte of the file is either
//! covered by a header checksum, hashed against the signed manifest, or required to be
//! zero — so one flipped bit anywhere is found and named. The files stay ordinary tar
//! archives: `tar tvf backup.ipgobak` lists them.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

pub const BLOCK: usize = 512;
const NAME_MAX: usize = 100;

/// Writes entries one after another.
pub struct TarWriter<W: Write> {
    out: W,
    mtime: u64,
    written: u64,
}

impl<W: Write> TarWriter<W> {
    pub fn new(out: W, mtime: u64) -> Self {
        TarWriter { out, mtime, written: 0 }
    }

    /// Appends a file of exactly `size` bytes read from `data`; returns its sha256 (hex).
    pub fn append(&mut self, name: &str, size: u64, data: &mut dyn Read) -> io::Result<String> {
        self.out.write_all(&header(name, size, self.mtime)?)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut left = size;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = data.read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{name} became shorter while it was being copied"),
                ));
            }
            hasher.update(&buf[..n]);
            self.out.write_all(&buf[..n])?;
            left -= n as u64;
        }
        self.out.write_all(&vec![0u8; padding(size)])?;
        self.written += (BLOCK as u64) + size + padding(size) as u64;
        Ok(hex::encode(hasher.finalize()))
    }

    pub fn append_bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<String> {
        self.append(name, bytes.len() as u64, &mut &bytes[..])
    }

    /// Writes the two zero blocks that end the archive and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; 2 * BLOCK])?;
        self.out.flush()?;
        Ok(self.out)
    }

    pub fn bytes_written(&self) -> u64 {
        self.written
    }
}

fn padding(size: u64) -> usize {
    (BLOCK - (size % BLOCK as u64) as usize) % BLOCK
}

fn octal(field: &mut [u8], value: u64) -> io::Result<()> {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    if text.len() > digits {
        return Err(io::Error::other(format!("value {value} does not fit a tar field")));
    }
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
    Ok(())
}

fn header(name: &str, size: u64, mtime: u64) -> io::Result<[u8; BLOCK]> {
    if name.is_empty() || name.len() >= NAME_MAX || name.bytes().any(|b| b == 0) {
        return Err(io::Error::other(format!("unsuitable tar entry name {name:?}")));
    }
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o600)?;
    octal(&mut h[108..116], 0)?;
    octal(&mut h[116..124], 0)?;
    if size < 8u64.pow(11) {
        octal(&mut h[124..136], size)?;
    } else {
        // GNU base-256 encoding for sizes of 8 GiB and more.
        h[124] = 0x80;
        h[128..136].copy_from_slice(&size.to_be_bytes());
    }
    octal(&mut h[136..148], mtime)?;
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..269].copy_from_slice(b"ipgo");
    h[297..301].copy_from_slice(b"ipgo");
    let sum = checksum(&h);
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    Ok(h)
}

fn checksum(h: &[u8; BLOCK]) -> u32 {
    h.iter()
        .enumerate()
        .map(|(i, b)| if (148..156).contains(&i) { b' ' as u32 } else { *b as u32 })
        .sum()
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let text: Vec<u8> =
        field.iter().copied().take_while(|b| *b != 0 && *b != b' ').collect::<Vec<_>>();
    let text = std::str::from_utf8(&text).ok()?;
    if text.is_empty() {
        return None;
    }
    u64::from_str_radix(text, 8).ok()
}

/// Where a problem was found, for messages that name the place.
#[derive(Debug)]
pub struct Damage {
    pub offset: u64,
    pub what: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (byte offset {})", self.what, self.offset)
    }
}

/// One entry's header as read.
pub struct EntryHead {
    pub name: String,
    pub size: u64,
    pub offset: u64,
}

/// Reads entries strictly, in order.
pub struct TarReader<R: Read> {
    input: R,
    offset: u64,
    previous: Option<String>,
}

impl<R: Read> TarReader<R> {
    pub fn new(input: R) -> Self {
        TarReader { input, offset: 0, previous: None }
    }

    fn after(&self) -> String {
        match &self.previous {
            Some(p) => format!("after entry {p}"),
            None => "at the start of the file".into(),
        }
    }

    fn read_block(&mut self, block: &mut [u8; BLOCK]) -> Result<bool, Damage> {
        let mut got = 0;
        while got < BLOCK {
            match self.input.read(&mut block[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Damage { offset: self.offset, what: format!("read error: {e}") });
                }
            }
        }
        if got == 0 {
            return Ok(false);
        }
        if got < BLOCK {
            return Err(Damage {
                offset: self.offset,
                what: format!("the file is truncated {}", self.after()),
            });
        }
        self.offset += BLOCK as u64;
        Ok(true)
    }

    /// The next entry's header, or `None` at the (checked) end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<EntryHead>, Damage> {
        let mut h = [0u8; BLOCK];
        let at = self.offset;
        if !self.read_block(&mut h)? {
            return Err(Damage {
                offset: at,
                what: format!("the file ends without the end-of-archive marker {}", self.after()),
            });
        }
        if h.iter().all(|b| *b == 0) {
            self.check_end()?;
            return Ok(None);
        }
        let name_bytes: Vec<u8> = h[..NAME_MAX].iter().copied().take_while(|b| *b != 0).collect();
        let name = String::from_utf8_lossy(&name_bytes).into_owned();
        // The exact form this writer uses, so no byte of the field escapes the check.
        if h[148..156] != *format!("{:06o}\0 ", checksum(&h)).as_bytes() {
            return Err(Damage {
                offset: at,
                what: format!("the header of entry {name:?} {} is damaged", self.after()),
            });
        }
        if &h[257..263] != b"ustar\0" || &h[263..265] != b"00" || h[156] != b'0' {
            return Err(Damage {
                offset: at,
                what: format!("entry {name:?} is not a plain file of an ipgo backup"),
            });
        }
        if h[NAME_MAX.min(name_bytes.len())..NAME_MAX].iter().any(|b| *b != 0) {
            return Err(Damage {
                offset: at,
                what: format!("the name of entry {name:?} is damaged"),
            });
        }
        let size = if h[124] == 0x80 {
            u64::from_be_bytes(h[128..136].try_into().expect("8 bytes"))
        } else {
            parse_octal(&h[124..136]).ok_or_else(|| Damage {
                offset: at,
                what: format!("the size of entry {name:?} is unreadable"),
            })?
        };
        Ok(Some(EntryHead { name, size, offset: at }))
    }

    /// Copies the current entry's data to `sink` (sha256 returned) and checks its padding.
    pub fn copy_data(&mut self, head: &EntryHead, sink: &mut dyn Write) -> Result<String, Damage> {
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut left = head.size;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = match self.input.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(Damage {
                        offset: self.offset,
                        what: format!("the file is truncated inside entry {}", head.name),
                    });
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Damage { offset: self.offset, what: format!("read error: {e}") });
                }
            };
            hasher.update(&buf[..n]);
            sink.write_all(&buf[..n]).map_err(|e| Damage {
                offset: self.offset,
                what: format!("cannot write {}: {e}", head.name),
            })?;
            self.offset += n as u64;
            left -= n as u64;
        }
        let pad = padding(head.size);
        if pad > 0 {
            let mut zeros = [0u8; BLOCK];
            self.input.read_exact(&mut zeros[..pad]).map_err(|_| Damage {
                offset: self.offset,
                what: format!("the file is truncated after entry {}", head.name),
            })?;
            if let Some(i) = zeros[..pad].iter().position(|b| *b != 0) {
                return Err(Damage {
                    offset: self.offset + i as u64,
                    what: format!("the padding after entry {} is damaged", head.name),
                });
            }
            self.offset += pad as u64;
        }
        self.previous = Some(head.name.clone());
        Ok(hex::encode(hasher.finalize()))
    }

    /// After the first zero block: a second one, then nothing but zeros to the end.
    fn check_end(&mut self) -> Result<(), Damage> {
        let mut h = [0u8; BLOCK];
        let at = self.offset;
        if !self.read_block(&mut h)? {
            return Err(Damage {
                offset: at,
                what: "the end-of-archive marker is cut short".into(),
            });
        }
        loop {
            if let Some(i) = h.iter().position(|b| *b != 0) {
                return Err(Damage {
                    offset: self.offset - BLOCK as u64 + i as u64,
                    what: "bytes follow the end of the archive".into(),
                });
            }
            if !self.read_block(&mut h)? {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut w = TarWriter::new(Vec::new(), 1_700_000_000);
        for (name, data) in entries {
            w.append_bytes(name, data).unwrap();
        }
        w.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Damage> {
        let mut r = TarReader::new(bytes);
        let mut out = Vec::new();
        while let Some(head) = r.next_entry()? {
            let mut data = Vec::new();
            r.copy_data(&head, &mut data)?;
            out.push((head.name, data));
        }
        Ok(out)
    }

    #[test]
    fn round_trip_and_every_single_flipped_byte_is_refused() {
        let entries = vec![
            ("a.json", b"{\"x\":1}".to_vec()),
            ("blobs/ab/cd/abcd", (0..1500u32).map(|i| i as u8).collect()),
            ("empty", Vec::new()),
            ("block", vec![7u8; BLOCK]),
        ];
        let bytes = archive(&entries);
        let back = read_all(&bytes).unwrap();
        assert_eq!(back.len(), 4);
        for ((n1, d1), (n2, d2)) in entries.iter().zip(&back) {
            assert_eq!(*n1, n2);
            assert_eq!(d1, d2);
        }
        // Data bytes are checked by the manifest's hashes; every other byte structurally.
        let data_ranges = {
            let mut r = TarReader::new(&bytes[..]);
            let mut ranges = Vec::new();
            while let Some(h) = r.next_entry().unwrap() {
                ranges.push(h.offset + BLOCK as u64..h.offset + BLOCK as u64 + h.size);
                r.copy_data(&h, &mut io::sink()).unwrap();
            }
            ranges
        };
        for i in 0..bytes.len() {
            if data_ranges.iter().any(|r| r.contains(&(i as u64))) {
                continue;
            }
            let mut t = bytes.clone();
            t[i] ^= 0x20;
            assert!(read_all(&t).is_err(), "flip at {i} went unnoticed");
        }
    }

    #[test]
    fn truncation_and_trailing_bytes_are_refused_and_gnu_tar_can_list() {
        let bytes = archive(&[("x", vec![1u8; 700])]);
        for cut in [100, 600, bytes.len() - 600, bytes.len() - 1] {
            let err = read_all(&bytes[..cut]).unwrap_err();
            assert!(
                err.what.contains("truncated")
                    || err.what.contains("cut short")
                    || err.what.contains("end"),
                "{err}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(1);
        assert!(read_all(&longer).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tar");
        std::fs::write(&path, &bytes).unwrap();
        let out = std::process::Command::new("tar").arg("tf").arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "x");
    }
}
