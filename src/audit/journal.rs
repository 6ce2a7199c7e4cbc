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
use std::io::{self, Read as _, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

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

/// The journal being written, shared by every thread that logs a request: each entry is
/// appended by the thread that answers its request, under a lock held for one `write(2)`, so
/// no request waits for another thread to wake up (that hand-off cost as much as the fsync
/// it replaced: docs/benchmarks.md).
pub struct Journal {
    segment: Mutex<Segment>,
    /// The last journal number committed to the chain (for `/metrics`).
    committed: AtomicU64,
}

struct Segment {
    dir: PathBuf,
    file: File,
    /// The number of its first record (its name).
    first: u64,
    /// Bytes written whole; a reader reads no further.
    bytes: u64,
    /// The number the next record gets.
    next: u64,
    /// A failed write could not be undone: the next append starts a new segment, so the
    /// damaged record ends only this one.
    damaged: bool,
    buffer: Vec<u8>,
}

/// Where the writer is: the segment being written and how much of it is whole.
#[derive(Clone, Copy)]
struct Position {
    first: u64,
    bytes: u64,
}

impl Journal {
    /// Starts writing at `next`, after removing the segments left from before (their
    /// records are committed by then: see [`recover`]).
    pub fn create(dir: &Path, next: u64) -> io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        for (_, path) in segments(dir)? {
            std::fs::remove_file(path)?;
        }
        let file = open_segment(dir, next)?;
        Ok(Journal {
            segment: Mutex::new(Segment {
                dir: dir.to_owned(),
                file,
                first: next,
                bytes: 0,
                next,
                damaged: false,
                buffer: Vec::with_capacity(4096),
            }),
            committed: AtomicU64::new(next - 1),
        })
    }

    /// Appends one entry with one write. On an error nothing is numbered and the entry may
    /// be appended again.
    pub fn append(&self, entry: &Pending) -> io::Result<()> {
        let mut s = self.segment.lock();
        if s.damaged || s.bytes >= SEGMENT_BYTES {
            let next = s.next;
            s.file = open_segment(&s.dir, next)?;
            s.first = next;
            s.bytes = 0;
            s.damaged = false;
        }
        let number = s.next;
        let bytes = entry.members();
        let Segment { buffer, .. } = &mut *s;
        buffer.clear();
        buffer.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        buffer.extend_from_slice(&checksum(number, bytes).to_le_bytes());
        buffer.extend_from_slice(&number.to_le_bytes());
        buffer.extend_from_slice(bytes);
        let Segment { file, buffer, .. } = &mut *s;
        if let Err(e) = file.write_all(buffer) {
            // Cut what was written, so a retry does not follow a torn record.
            let whole = s.bytes;
            if s.file.set_len(whole).is_err() {
                s.damaged = true;
            }
            return Err(e);
        }
        s.bytes += s.buffer.len() as u64;
        s.next = number + 1;
        Ok(())
    }

    /// Records that entries up to `number` are in the chain.
    pub fn mark_committed(&self, number: u64) {
        self.committed.store(number, Ordering::Relaxed);
    }

    /// Entries journaled and not yet in the chain.
    pub fn waiting(&self) -> u64 {
        let next = self.segment.lock().next;
        (next - 1).saturating_sub(self.committed.load(Ordering::Relaxed))
    }

    fn position(&self) -> Position {
        let s = self.segment.lock();
        Position { first: s.first, bytes: s.bytes }
    }
}

/// What the committing thread read since its last call.
#[derive(Default)]
pub struct Read {
    pub entries: Vec<Pending>,
    /// The number of the last entry read.
    pub last: Option<u64>,
    /// Segments read to their end: removable once `entries` are committed.
    pub finished: Vec<PathBuf>,
    /// More is waiting in later segments: the read stops at a segment's end once it holds
    /// entries, so a backlog (after a long database outage) is committed a segment at a time
    /// instead of being loaded into memory at once.
    pub more: bool,
}

/// The committing thread's place in the journal.
pub struct Tail {
    dir: PathBuf,
    first: u64,
    file: Option<File>,
    offset: u64,
    buffer: Vec<u8>,
}

impl Tail {
    /// Follows `journal` from its first segment.
    pub fn new(dir: &Path, journal: &Journal) -> Tail {
        Tail {
            dir: dir.to_owned(),
            first: journal.position().first,
            file: None,
            offset: 0,
            buffer: Vec::new(),
        }
    }

    /// Reads the records written whole since the last call, following the writer into the
    /// segments it started meanwhile, at most one finished segment's worth at a time (`more`).
    pub fn read(&mut self, journal: &Journal) -> io::Result<Read> {
        let mut read = Read::default();
        loop {
            // Where the writer is, taken before reading: if it has moved past this segment,
            // everything this segment will ever hold is already written.
            let writer = journal.position();
            let path = self.dir.join(segment_name(self.first));
            if self.file.is_none() {
                self.file = Some(File::open(&path)?);
            }
            let file = self.file.as_mut().expect("opened above");
            let end =
                if writer.first == self.first { writer.bytes } else { file.metadata()?.len() };
            if end > self.offset {
                self.buffer.resize((end - self.offset) as usize, 0);
                file.seek(SeekFrom::Start(self.offset))?;
                file.read_exact(&mut self.buffer)?;
                let mut at = 0;
                while let Some((number, entry, next)) = read_record(&self.buffer, at) {
                    read.entries.push(Pending::from_members(entry.to_vec()));
                    read.last = Some(number);
                    at = next;
                }
                // A damaged record (a write that failed and could not be undone) ends what
                // is read of this segment; the writer has started a new one after it.
                self.offset += if at < self.buffer.len() && writer.first != self.first {
                    self.buffer.len() as u64
                } else {
                    at as u64
                };
            }
            if writer.first == self.first {
                return Ok(read);
            }
            // This segment is finished: go on with the next one the writer started.
            // The entries above are consumed (the offset moved past them): an error from here
            // on must not drop them, so they are handed back and the listing is tried again
            // at the next call.
            let listing = match segments(&self.dir) {
                Ok(listing) => listing,
                Err(_) if !read.entries.is_empty() => {
                    read.more = true;
                    return Ok(read);
                }
                Err(e) => return Err(e),
            };
            let next = listing.into_iter().map(|(n, _)| n).find(|n| *n > self.first);
            read.finished.push(path);
            self.file = None;
            self.offset = 0;
            match next {
                Some(n) => self.first = n,
                None => return Ok(read),
            }
            if !read.entries.is_empty() {
                read.more = true;
                return Ok(read);
            }
        }
    }
}

fn segment_name(first: u64) -> String {
    format!("{first:020}.log")
}

fn open_segment(dir: &Path, first: u64) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(dir.join(segment_name(first)))
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

    fn append(journal: &Journal, from: u64, to: u64) {
        for i in from..=to {
            journal.append(&entry(i)).unwrap();
        }
    }

    fn current_path(journal: &Journal) -> PathBuf {
        let s = journal.segment.lock();
        s.dir.join(segment_name(s.first))
    }

    #[test]
    fn records_after_the_mark_are_recovered_in_order_with_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 1).unwrap();
        append(&journal, 1, 3);
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
        let journal = Journal::create(dir.path(), 10).unwrap();
        append(&journal, 10, 11);
        let first = current_path(&journal);
        // Force a new segment, then damage the first one's last record.
        journal.segment.lock().damaged = true;
        append(&journal, 12, 12);
        assert_ne!(current_path(&journal), first);
        let len = std::fs::metadata(&first).unwrap().len();
        OpenOptions::new().write(true).open(&first).unwrap().set_len(len - 3).unwrap();
        let r = recover(dir.path(), 0).unwrap();
        assert_eq!(numbers(&r), vec![10, 12]);
    }

    #[test]
    fn a_flipped_byte_is_not_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 1).unwrap();
        append(&journal, 1, 2);
        let path = current_path(&journal);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 0x20;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(numbers(&recover(dir.path(), 0).unwrap()), vec![1]);
    }

    #[test]
    fn creating_the_journal_removes_the_old_segments() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 1).unwrap();
        append(&journal, 1, 1);
        let journal = Journal::create(dir.path(), 2).unwrap();
        assert_eq!(segments(dir.path()).unwrap().len(), 1);
        assert!(recover(dir.path(), 0).unwrap().records.is_empty());
        assert_eq!(journal.waiting(), 0);
    }

    /// The committing thread reads what was written whole, follows the writer into its new
    /// segments and hands back the finished ones.
    #[test]
    fn the_tail_follows_the_writer_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 1).unwrap();
        let mut tail = Tail::new(dir.path(), &journal);
        assert!(tail.read(&journal).unwrap().entries.is_empty());
        append(&journal, 1, 2);
        let r = tail.read(&journal).unwrap();
        assert_eq!((r.entries.len(), r.last), (2, Some(2)));
        assert_eq!(r.entries[1], entry(2));
        assert!(r.finished.is_empty());
        let first = current_path(&journal);
        append(&journal, 3, 3);
        journal.segment.lock().bytes = SEGMENT_BYTES;
        append(&journal, 4, 5);
        journal.segment.lock().bytes = SEGMENT_BYTES;
        append(&journal, 6, 6);
        // A backlog over three segments is read one finished segment at a time.
        let r = tail.read(&journal).unwrap();
        assert_eq!((r.entries, r.last, r.more), (vec![entry(3)], Some(3), true));
        assert_eq!(r.finished, vec![first]);
        let r = tail.read(&journal).unwrap();
        assert_eq!((r.entries, r.last, r.more), (vec![entry(4), entry(5)], Some(5), true));
        assert_eq!(r.finished.len(), 1);
        let r = tail.read(&journal).unwrap();
        assert_eq!((r.entries, r.last, r.more), (vec![entry(6)], Some(6), false));
        assert!(r.finished.is_empty());
        assert!(tail.read(&journal).unwrap().entries.is_empty());
        assert_eq!(journal.waiting(), 6);
    }
}
