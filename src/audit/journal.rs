//! The access log's journal: entries written to a plain file before their requests are
//! answered, and committed to the hash chain in redb in groups afterwards.
//!
//! Why: committing a read's entry to redb before answering cost 43 % of the page throughput
//! (a durable commit per group, the request waiting for it). Appending to a file costs one
//! `write(2)` per group and survives the process being killed the next moment, which is what
//! R365 §7 asks of an answered request ("a read answered just before a kill is in the log").
//! The chain is not touched here: entries get their sequence number and hash when the writer
//! commits them, in the order they were journaled.
//!
//! The journal is a directory of segments `<first journal number>.log`; each record is
//! `len (u32 LE) | crc32 (u32 LE, of the journal number and the entry) | journal number
//! (u64 LE) | entry` where the entry is a [`Pending`]'s bytes. The database remembers the
//! last journal number it committed (`meta` key `audit_journal_applied`, written in the same
//! transaction as the entries), so at start-up the records after it are replayed and nothing
//! is committed twice. A record cut short or damaged (a power cut in the middle of a write:
//! the journal is not fsynced, the database is) ends its segment's replay; a segment is
//! removed once every record in it is committed.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use redb::{ReadableTable, WriteTransaction};

use super::chain::Pending;
use crate::db::META;
use crate::error::{Error, Result};

/// A new segment is started past this size, so a segment can be removed soon after its
/// entries are committed and the directory never holds more than a few of them.
const SEGMENT_BYTES: u64 = 8 << 20;
/// Larger records are refused as damaged when read back (an entry is ~0.5 KB; details of a
/// destruction certificate a few KB).
const MAX_RECORD: u32 = 1 << 20;
const HEADER: usize = 16;

const APPLIED_KEY: &str = "audit_journal_applied";

/// The last journal number committed to the chain (0 when none).
pub fn applied<T: ReadableTable<&'static str, &'static [u8]>>(meta: &T) -> Result<u64> {
    match meta.get(APPLIED_KEY)? {
        None => Ok(0),
        Some(v) => Ok(u64::from_le_bytes(
            v.value().try_into().map_err(|_| Error::internal("audit journal mark is damaged"))?,
        )),
    }
}

/// Records, in the transaction that commits them, that entries up to `number` are in the
/// chain.
pub fn set_applied(txn: &WriteTransaction, number: u64) -> Result<()> {
    txn.open_table(META)?.insert(APPLIED_KEY, number.to_le_bytes().as_slice())?;
    Ok(())
}

/// The journal's tail found at start-up: the records after the database's mark, in order.
pub struct Recovered {
    pub records: Vec<(u64, Pending)>,
    /// The highest journal number seen (committed or not).
    pub last: u64,
}

/// Reads every segment of `dir` and returns the records after `applied`.
pub fn recover(dir: &Path, applied: u64) -> io::Result<Recovered> {
    let mut records = Vec::new();
    let mut last = applied;
    for (_, path) in segments(dir)? {
        let bytes = std::fs::read(&path)?;
        let mut at = 0;
        while let Some((number, entry, next)) = read_record(&bytes, at) {
            last = last.max(number);
            if number > applied {
                records.push((number, Pending::from_members(entry.to_vec())));
            }
            at = next;
        }
        if at < bytes.len() {
            tracing::warn!(
                segment = %path.display(),
                offset = at,
                "access log journal: a record cut short or damaged ends this segment"
            );
        }
    }
    // Segments are read in the order they were written; within one, numbers only grow.
    records.sort_by_key(|(n, _)| *n);
    records.dedup_by_key(|(n, _)| *n);
    Ok(Recovered { records, last })
}

fn read_record(bytes: &[u8], at: usize) -> Option<(u64, &[u8], usize)> {
    let header = bytes.get(at..at + HEADER)?;
    let len = u32::from_le_bytes(header[0..4].try_into().ok()?);
    if len > MAX_RECORD {
        return None;
    }
    let crc = u32::from_le_bytes(header[4..8].try_into().ok()?);
    let number = u64::from_le_bytes(header[8..16].try_into().ok()?);
    let end = at + HEADER + len as usize;
    let entry = bytes.get(at + HEADER..end)?;
    if checksum(number, entry) != crc {
        return None;
    }
    Some((number, entry, end))
}

fn checksum(number: u64, entry: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&number.to_le_bytes());
    h.update(entry);
    h.finalize()
}

/// The segments of `dir` by their first journal number.
fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for item in listing {
        let path = item?.path();
        let first = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(first) = first {
            found.push((first, path));
        }
    }
    found.sort();
    Ok(found)
}

/// A segment that is complete: removable once `last` is committed.
pub struct Closed {
    pub path: PathBuf,
    pub last: u64,
}

/// The segment being written.
pub struct Journal {
    dir: PathBuf,
    file: File,
    path: PathBuf,
    bytes: u64,
    /// The number the next record gets.
    next: u64,
    /// A failed write could not be undone: the next append starts a new segment, so the
    /// damaged record ends only this one.
    damaged: bool,
    buffer: Vec<u8>,
}

impl Journal {
    /// Starts writing at `next`, after removing the segments left from before (their
    /// records are committed by then: see [`recover`]).
    pub fn create(dir: &Path, next: u64) -> io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        for (_, path) in segments(dir)? {
            std::fs::remove_file(path)?;
        }
        let (file, path) = open_segment(dir, next)?;
        Ok(Journal {
            dir: dir.to_owned(),
            file,
            path,
            bytes: 0,
            next,
            damaged: false,
            buffer: Vec::with_capacity(64 * 1024),
        })
    }

    /// Appends `entries` in one write; returns the number of the last one, and the segment
    /// closed when this one grew past its size. On an error nothing is numbered and the
    /// entries may be appended again.
    pub fn append(&mut self, entries: &[Pending]) -> io::Result<(u64, Option<Closed>)> {
        let mut closed = None;
        if self.damaged || self.bytes >= SEGMENT_BYTES {
            closed = Some(self.roll()?);
        }
        self.buffer.clear();
        let mut number = self.next;
        for entry in entries {
            let bytes = entry.members();
            self.buffer.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            self.buffer.extend_from_slice(&checksum(number, bytes).to_le_bytes());
            self.buffer.extend_from_slice(&number.to_le_bytes());
            self.buffer.extend_from_slice(bytes);
            number += 1;
        }
        if let Err(e) = self.file.write_all(&self.buffer) {
            // Cut what was written of this group, so a retry does not follow a torn record.
            if self.file.set_len(self.bytes).is_err() {
                self.damaged = true;
            }
            return Err(e);
        }
        self.bytes += self.buffer.len() as u64;
        self.next = number;
        Ok((number - 1, closed))
    }

    /// Closes the segment being written (at shutdown, so it can be removed once committed).
    pub fn close(self) -> Closed {
        Closed { path: self.path, last: self.next - 1 }
    }

    fn roll(&mut self) -> io::Result<Closed> {
        let (file, path) = open_segment(&self.dir, self.next)?;
        let old = std::mem::replace(&mut self.path, path);
        self.file = file;
        self.bytes = 0;
        self.damaged = false;
        Ok(Closed { path: old, last: self.next - 1 })
    }
}

fn open_segment(dir: &Path, first: u64) -> io::Result<(File, PathBuf)> {
    let path = dir.join(format!("{first:020}.log"));
    let file = OpenOptions::new().create(true).append(true).open(&path)?;
    Ok((file, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u64) -> Pending {
        Pending::from_members(format!("\"time\":\"t{i}\",\"actor\":\"кто-то\"").into_bytes())
    }

    fn numbers(r: &Recovered) -> Vec<u64> {
        r.records.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn records_after_the_mark_are_recovered_in_order_with_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), 1).unwrap();
        assert_eq!(journal.append(&[entry(1), entry(2)]).unwrap().0, 2);
        assert_eq!(journal.append(&[entry(3)]).unwrap().0, 3);
        let r = recover(dir.path(), 1).unwrap();
        assert_eq!(numbers(&r), vec![2, 3]);
        assert_eq!(r.records[0].1, entry(2));
        assert_eq!(r.last, 3);
        // Everything committed: nothing to replay, and the numbering goes on after 3.
        let r = recover(dir.path(), 3).unwrap();
        assert!(r.records.is_empty());
        assert_eq!(r.last, 3);
    }

    #[test]
    fn a_record_cut_short_ends_the_replay_of_its_segment_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), 10).unwrap();
        journal.append(&[entry(10), entry(11)]).unwrap();
        let first = journal.path.clone();
        // Force a new segment, then damage the first one's last record.
        journal.damaged = true;
        let (_, closed) = journal.append(&[entry(12)]).unwrap();
        assert_eq!(closed.as_ref().map(|c| c.last), Some(11));
        let len = std::fs::metadata(&first).unwrap().len();
        OpenOptions::new().write(true).open(&first).unwrap().set_len(len - 3).unwrap();
        let r = recover(dir.path(), 0).unwrap();
        assert_eq!(numbers(&r), vec![10, 12]);
    }

    #[test]
    fn a_flipped_byte_is_not_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), 1).unwrap();
        journal.append(&[entry(1), entry(2)]).unwrap();
        let mut bytes = std::fs::read(&journal.path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 0x20;
        std::fs::write(&journal.path, bytes).unwrap();
        assert_eq!(numbers(&recover(dir.path(), 0).unwrap()), vec![1]);
    }

    #[test]
    fn creating_the_journal_removes_the_old_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), 1).unwrap();
        journal.append(&[entry(1)]).unwrap();
        let journal = Journal::create(dir.path(), 2).unwrap();
        assert_eq!(segments(dir.path()).unwrap().len(), 1);
        assert!(recover(dir.path(), 0).unwrap().records.is_empty());
        assert_eq!(journal.close().last, 1);
    }
}
