//! The access log's journal: entries written to a plain file before their requests are
//! answered, and committed to the hash chain in redb in groups afterwards.
//!
//! Why: committing a read's entry to redb before answering cost 43 % of the page throughput
//! (a durable commit per group, the request waiting for it). Writing it to a file the kernel
//! holds survives the process being killed the next moment, which is what R365 §7 asks of an
//! answered request ("a read answered just before a kill is in the log"). The chain is not
//! touched here: entries get their sequence number and hash when the writer commits them, in
//! the order they were journaled.
//!
//! The journal is a directory of segments `<first journal number>.log`; each record is
//! `len (u32 LE) | crc32 (u32 LE, of the journal number and the entry) | journal number
//! (u64 LE) | entry` where the entry is a [`Pending`]'s bytes. A segment's disk space is
//! allocated whole when it is started (`fallocate`) and the file is mapped into memory, so
//! the answering thread copies its record into the page cache under the lock instead of
//! making a `write(2)` (the system call and the wait at the lock behind it were a third of
//! the log's cost on the answering threads: docs/benchmarks.md). What a killed process
//! copied stays in the page cache and reaches the disk, as a written file would; a full disk
//! is met when a segment is started, never in the middle of a record (a write into a mapped
//! hole on a full disk would kill the process with SIGBUS). The unused rest of a segment
//! reads as zeros, and a zero length ends its records.
//!
//! The database remembers the last journal number it committed (`meta` key
//! `audit_journal_applied`, written in the same transaction as the entries), so at start-up
//! the records after it are replayed and nothing is committed twice. A record cut short or
//! damaged (a power cut in the middle of a write: the journal is not fsynced, the database
//! is) ends its segment's replay; a segment is removed once every record in it is committed.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{Mmap, MmapMut};
use parking_lot::Mutex;

use redb::{ReadableTable, WriteTransaction};

use super::chain::Pending;
use crate::db::META;
use crate::error::{Error, Result};

/// A segment's size: large enough that one is started every ~16,000 entries (an entry is
/// ~0.5 KB), small enough that it is removed soon after its entries are committed.
const SEGMENT_BYTES: usize = 8 << 20;
/// When the disk cannot give a whole segment, a smaller one is started (so a nearly full
/// disk holds the log's entries as long as it can, as `write(2)` did), sized in these steps.
const SMALL_SEGMENT_STEP: usize = 64 << 10;
const HEADER: usize = 16;
/// Entries whose buffers the writer keeps between reads: a group commit's worth at ~12,000
/// requests/s and 100 ms (about 1 MiB).
const KEPT_BUFFERS: usize = 2048;

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

/// Reads every segment of `dir` and returns the records after `applied`. Segments written
/// before they were allocated ahead (files that end at their last record) read the same.
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
        if !unused_from(&bytes, at) {
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

/// The record at `at`: its number, its entry and where the next one starts. `None` at the
/// unused rest of a segment (a zero length) and at a record cut short or damaged.
fn read_record(bytes: &[u8], at: usize) -> Option<(u64, &[u8], usize)> {
    let header = bytes.get(at..at.checked_add(HEADER)?)?;
    let len = u32::from_le_bytes(header[0..4].try_into().ok()?) as usize;
    if len == 0 {
        return None;
    }
    let crc = u32::from_le_bytes(header[4..8].try_into().ok()?);
    let number = u64::from_le_bytes(header[8..16].try_into().ok()?);
    let end = (at + HEADER).checked_add(len)?;
    let entry = bytes.get(at + HEADER..end)?;
    if checksum(number, entry) != crc {
        return None;
    }
    Some((number, entry, end))
}

/// Whether what follows `at` is a segment's unused rest (or its end), not a damaged record.
fn unused_from(bytes: &[u8], at: usize) -> bool {
    bytes.get(at..).is_none_or(|rest| rest.iter().take(HEADER).all(|b| *b == 0))
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
/// copied into the mapped segment by the thread that answers its request, under a lock held
/// for that copy, so no request waits for another thread to wake up (that hand-off cost as
/// much as the fsync it replaced: docs/benchmarks.md).
pub struct Journal {
    segment: Mutex<Segment>,
    /// The last journal number committed to the chain (for `/metrics`).
    committed: AtomicU64,
}

struct Segment {
    dir: PathBuf,
    map: MmapMut,
    /// The number of its first record (its name).
    first: u64,
    /// Bytes written whole; a reader reads no further.
    bytes: usize,
    /// The number the next record gets.
    next: u64,
}

/// Where the writer is: the segment being written and how much of it is whole.
#[derive(Clone, Copy)]
struct Position {
    first: u64,
    bytes: usize,
}

impl Journal {
    /// Starts writing at `next`, after removing the segments left from before (their
    /// records are committed by then: see [`recover`]).
    pub fn create(dir: &Path, next: u64) -> io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        for (_, path) in segments(dir)? {
            std::fs::remove_file(path)?;
        }
        let map = start_segment(dir, next, HEADER + 1)?;
        Ok(Journal {
            segment: Mutex::new(Segment { dir: dir.to_owned(), map, first: next, bytes: 0, next }),
            committed: AtomicU64::new(next - 1),
        })
    }

    /// Appends one entry. On an error (no disk space for a new segment) nothing is numbered
    /// and the entry may be appended again.
    pub fn append(&self, entry: &Pending) -> io::Result<()> {
        let bytes = entry.members();
        let len = HEADER + bytes.len();
        let mut s = self.segment.lock();
        if s.bytes + len > s.map.len() {
            let next = s.next;
            let map = start_segment(&s.dir, next, len)?;
            // The finished segment's mapping is dropped here; its pages stay in the page cache.
            s.map = map;
            s.first = next;
            s.bytes = 0;
        }
        let number = s.next;
        let at = s.bytes;
        let record = &mut s.map[at..at + len];
        record[0..4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
        record[4..8].copy_from_slice(&checksum(number, bytes).to_le_bytes());
        record[8..16].copy_from_slice(&number.to_le_bytes());
        record[HEADER..].copy_from_slice(bytes);
        s.bytes = at + len;
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

/// Creates the segment whose first record is `first`, its disk space allocated, and maps it.
/// A whole segment when the disk has room, else the smallest that holds a record of
/// `at_least` bytes; an error when not even that fits (nothing is left behind).
fn start_segment(dir: &Path, first: u64, at_least: usize) -> io::Result<MmapMut> {
    let path = dir.join(segment_name(first));
    let small = at_least.next_multiple_of(SMALL_SEGMENT_STEP);
    let sizes = if small < SEGMENT_BYTES { vec![SEGMENT_BYTES, small] } else { vec![small] };
    let mut failure = None;
    for size in sizes {
        let file =
            OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
        match allocate(&file, size) {
            // SAFETY: the mapping is of a file in the portal's own data directory, which only
            // the portal's user writes, and whose length is fixed from here on (allocated,
            // never truncated while mapped: segments are only removed, by the writer, once
            // finished). Every access goes through the `Segment` behind its lock.
            Ok(()) => return unsafe { MmapMut::map_mut(&file) },
            Err(e) => failure = Some(e),
        }
    }
    let _ = std::fs::remove_file(&path);
    Err(failure.expect("at least one size is tried"))
}

/// Gives `file` `size` bytes of allocated disk space (zeros), so writes into its mapping
/// never need space the disk does not have.
fn allocate(file: &File, size: usize) -> io::Result<()> {
    use rustix::fs::{FallocateFlags, fallocate};
    use rustix::io::Errno;
    match fallocate(file, FallocateFlags::empty(), 0, size as u64) {
        Ok(()) => Ok(()),
        // A file system without fallocate: write the zeros, which allocates them too.
        Err(e) if e == Errno::OPNOTSUPP || e == Errno::NOSYS => {
            let zeros = vec![0u8; SMALL_SEGMENT_STEP];
            let mut file = file;
            let mut left = size;
            while left > 0 {
                let n = left.min(zeros.len());
                file.write_all(&zeros[..n])?;
                left -= n;
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
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
    /// Entries of earlier reads, kept for their buffers: the writer reads a few hundred
    /// entries every group commit, and allocating each one's buffer anew (freed after its
    /// commit) showed in the writer's profile (docs/benchmarks.md).
    spare: Vec<Pending>,
}

impl Read {
    /// Empties it for the next read, keeping the buffers of as many entries as a busy group
    /// commit holds (not a backlog's: those are given back).
    fn clear(&mut self) {
        self.spare.append(&mut self.entries);
        self.spare.truncate(KEPT_BUFFERS);
        self.last = None;
        self.finished.clear();
        self.more = false;
    }

    fn push(&mut self, members: &[u8]) {
        let mut entry = self.spare.pop().unwrap_or_default();
        entry.set_members(members);
        self.entries.push(entry);
    }
}

/// The committing thread's place in the journal.
pub struct Tail {
    dir: PathBuf,
    first: u64,
    /// The segment being read, mapped read-only (the same pages the writer copies into).
    map: Option<Mmap>,
    offset: usize,
}

impl Tail {
    /// Follows `journal` from its first segment.
    pub fn new(dir: &Path, journal: &Journal) -> Tail {
        Tail { dir: dir.to_owned(), first: journal.position().first, map: None, offset: 0 }
    }

    /// Reads the records written whole since the last call, following the writer into the
    /// segments it started meanwhile, at most one finished segment's worth at a time (`more`).
    #[cfg(test)]
    pub fn read(&mut self, journal: &Journal) -> io::Result<Read> {
        let mut read = Read::default();
        self.read_into(journal, &mut read)?;
        Ok(read)
    }

    /// Like [`read`](Self::read), into `read` (emptied first), reusing its buffers.
    pub fn read_into(&mut self, journal: &Journal, read: &mut Read) -> io::Result<()> {
        read.clear();
        loop {
            // Where the writer is, taken before reading: if it has moved past this segment,
            // everything this segment will ever hold is already written. Taking it under the
            // writer's lock also makes the bytes it counts visible to this thread.
            let writer = journal.position();
            let path = self.dir.join(segment_name(self.first));
            if self.map.is_none() {
                let file = File::open(&path)?;
                // SAFETY: as for the writer's mapping (`start_segment`); this one is read-only
                // and only the bytes the writer has finished (`writer.bytes`, or all of a
                // segment it has left) are read.
                self.map = Some(unsafe { Mmap::map(&file)? });
            }
            let map = self.map.as_ref().expect("mapped above");
            let current = writer.first == self.first;
            let whole = if current { &map[..writer.bytes.min(map.len())] } else { &map[..] };
            let mut at = self.offset;
            while let Some((number, entry, next)) = read_record(whole, at) {
                read.push(entry);
                read.last = Some(number);
                at = next;
            }
            self.offset = at;
            if current {
                return Ok(());
            }
            // This segment is finished (the rest of it is unused, or a damaged record ends
            // it): go on with the next one the writer started.
            // The entries above are consumed (the offset moved past them): an error from here
            // on must not drop them, so they are handed back and the listing is tried again
            // at the next call.
            let listing = match segments(&self.dir) {
                Ok(listing) => listing,
                Err(_) if !read.entries.is_empty() => {
                    read.more = true;
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let Some(next) = listing.into_iter().map(|(n, _)| n).find(|n| *n > self.first) else {
                // Not listed yet: this segment stays the tail's place until it is.
                return Ok(());
            };
            read.finished.push(path);
            self.map = None;
            self.offset = 0;
            self.first = next;
            if !read.entries.is_empty() {
                read.more = true;
                return Ok(());
            }
        }
    }
}

fn segment_name(first: u64) -> String {
    format!("{first:020}.log")
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

    /// Makes the next append start a new segment, as a full one does.
    fn fill(journal: &Journal) {
        let mut s = journal.segment.lock();
        s.bytes = s.map.len();
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

    /// A segment's disk space is allocated when it is started: copying a record into the
    /// mapping can never meet a full disk (which would kill the process with SIGBUS).
    #[test]
    fn a_segment_is_allocated_whole_when_it_is_started() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 1).unwrap();
        let meta = std::fs::metadata(current_path(&journal)).unwrap();
        assert_eq!(meta.len(), SEGMENT_BYTES as u64);
        assert!(meta.blocks() * 512 >= SEGMENT_BYTES as u64, "{} blocks", meta.blocks());
    }

    /// Entries too large for the rest of a segment start the next one; one larger than a
    /// whole segment gets a segment sized for it. Records never straddle two segments.
    #[test]
    fn records_that_do_not_fit_start_a_new_segment_sized_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 1).unwrap();
        let big = |i: u8, len: usize| Pending::from_members(vec![b'a' + i; len]);
        let entries = [big(0, 3 << 20), big(1, 3 << 20), big(2, 3 << 20), big(3, 9 << 20)];
        for e in &entries {
            journal.append(e).unwrap();
        }
        append(&journal, 5, 5);
        let sizes: Vec<u64> = segments(dir.path())
            .unwrap()
            .iter()
            .map(|(_, p)| std::fs::metadata(p).unwrap().len())
            .collect();
        let whole = SEGMENT_BYTES as u64;
        let own = ((9 << 20) + HEADER as u64).next_multiple_of(SMALL_SEGMENT_STEP as u64);
        assert_eq!(sizes, vec![whole, whole, own], "[1, 2], [3], [4, 5]");
        let r = recover(dir.path(), 0).unwrap();
        assert_eq!(numbers(&r), vec![1, 2, 3, 4, 5]);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(&r.records[i].1, e);
        }
    }

    /// Segments written by `write(2)` before they were allocated ahead end at their last
    /// record: an upgrade replays them like any other.
    #[test]
    fn a_segment_that_ends_at_its_last_record_is_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = Vec::new();
        for i in 7..=8u64 {
            let e = entry(i);
            bytes.extend_from_slice(&(e.members().len() as u32).to_le_bytes());
            bytes.extend_from_slice(&checksum(i, e.members()).to_le_bytes());
            bytes.extend_from_slice(&i.to_le_bytes());
            bytes.extend_from_slice(e.members());
        }
        std::fs::write(dir.path().join(segment_name(7)), bytes).unwrap();
        let r = recover(dir.path(), 6).unwrap();
        assert_eq!(numbers(&r), vec![7, 8]);
        assert_eq!(r.records[1].1, entry(8));
    }

    #[test]
    fn a_record_cut_short_ends_the_replay_of_its_segment_only() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 10).unwrap();
        append(&journal, 10, 11);
        let first = current_path(&journal);
        let whole = journal.position().bytes;
        fill(&journal);
        append(&journal, 12, 12);
        assert_ne!(current_path(&journal), first);
        // A power cut: the last record's end never reached the disk.
        drop(journal);
        let mut bytes = std::fs::read(&first).unwrap();
        bytes[whole - 3..whole].fill(0);
        std::fs::write(&first, bytes).unwrap();
        let r = recover(dir.path(), 0).unwrap();
        assert_eq!(numbers(&r), vec![10, 12]);
    }

    #[test]
    fn a_flipped_byte_is_not_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 1).unwrap();
        append(&journal, 1, 2);
        let path = current_path(&journal);
        let last = journal.position().bytes - 2;
        drop(journal);
        let mut bytes = std::fs::read(&path).unwrap();
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

    /// The writer reads into one `Read` again and again, its entries' buffers reused: each
    /// read holds exactly what it read, whatever the earlier entries' lengths were.
    #[test]
    fn reading_into_a_used_read_gives_only_the_new_entries() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), 1).unwrap();
        let mut tail = Tail::new(dir.path(), &journal);
        let long = Pending::from_members(vec![b'x'; 3000]);
        journal.append(&long).unwrap();
        append(&journal, 2, 3);
        let mut read = Read::default();
        tail.read_into(&journal, &mut read).unwrap();
        assert_eq!((read.entries.clone(), read.last), (vec![long, entry(2), entry(3)], Some(3)));
        append(&journal, 4, 5);
        tail.read_into(&journal, &mut read).unwrap();
        assert_eq!((read.entries.clone(), read.last), (vec![entry(4), entry(5)], Some(5)));
        tail.read_into(&journal, &mut read).unwrap();
        assert_eq!((read.entries.len(), read.last, read.more), (0, None, false));
        assert!(read.spare.len() <= KEPT_BUFFERS && !read.spare.is_empty());
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
        fill(&journal);
        append(&journal, 4, 5);
        fill(&journal);
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

    /// Answering threads append while the committing thread reads: every entry is read once,
    /// in its order, across the segments the writers start.
    #[test]
    fn entries_appended_by_many_threads_while_the_tail_reads_are_each_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let journal = std::sync::Arc::new(Journal::create(dir.path(), 1).unwrap());
        let mut tail = Tail::new(dir.path(), &journal);
        // ~0.3 KB entries: 4 × 20,000 fill about three segments.
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let journal = journal.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000u64 {
                        let members = format!("{t}:{i}:{}", "x".repeat(300)).into_bytes();
                        journal.append(&Pending::from_members(members)).unwrap();
                    }
                })
            })
            .collect();
        let mut seen: Vec<Vec<u64>> = vec![Vec::new(); 4];
        let mut last = 0;
        let mut finished = 0;
        let mut read_all = |tail: &mut Tail, seen: &mut Vec<Vec<u64>>| {
            let r = tail.read(&journal).unwrap();
            finished += r.finished.len();
            for e in &r.entries {
                let text = std::str::from_utf8(e.members()).unwrap();
                let mut parts = text.splitn(3, ':');
                let t: usize = parts.next().unwrap().parse().unwrap();
                seen[t].push(parts.next().unwrap().parse().unwrap());
            }
            if let Some(n) = r.last {
                assert!(n > last, "numbers only grow");
                last = n;
            }
        };
        while writers.iter().any(|w| !w.is_finished()) {
            read_all(&mut tail, &mut seen);
        }
        for w in writers {
            w.join().unwrap();
        }
        for _ in 0..8 {
            read_all(&mut tail, &mut seen);
        }
        for s in &seen {
            assert_eq!(s, &(0..20_000).collect::<Vec<u64>>());
        }
        assert_eq!(last, 80_000);
        assert!(finished >= 2, "the writers started new segments ({finished} finished)");
    }
}
