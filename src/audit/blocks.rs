//! Where the chain's entries are stored: in blocks, many entries to a B-tree row.
//!
//! Why: with one row per entry, every logged read cost the writer a B-tree insert, the larger
//! part of its work and a tenth of a page's CPU (docs/benchmarks.md, "The access log in
//! blocks"). A block changes only how entries are kept, not what is hashed: each entry is
//! still `hash (32 bytes) || canonical JSON` chained to the one before (`chain.rs`).
//!
//! Table `audit_log_blocks` (u64 → bytes): the key is the sequence number of the block's first
//! entry; the value is one or more records `len (u32 LE) || hash || JSON`, the entries that
//! follow one another from that number on. Each commit (a group of reads, or a change with its
//! own entry) adds its entries to the last block until it holds [`MAX_BYTES`], then starts
//! the next: redb gives a value larger than a page a region of a power of two pages, so blocks
//! cut at each commit wasted up to half their region (more database per entry than a row per
//! entry: docs/benchmarks.md); filled to just under 64 KiB they waste little at any load. The entries already stored are copied unchanged into the longer block, never
//! written anew: a block that does not read whole is left as it is and a new one started.
//!
//! Table `audit_log` (u64 → `hash || JSON`, one entry per row) is where databases of schema 2
//! and earlier kept the log. It is read as it is, before the blocks (its entries precede
//! them), never written again, and empties as the archiver moves its months out: rewriting
//! it at the upgrade would have meant one transaction as large as the whole live log.

use redb::{ReadTransaction, ReadableTable, TableDefinition, TableError, WriteTransaction};

use crate::error::{Error, Result};

/// Entries of schema ≤ 2, one per row by sequence number (read and archived, never written).
pub const LEGACY: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log");
/// Blocks of entries by the sequence number of their first entry.
pub const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log_blocks");

/// The most bytes in one block (about 150 entries of a page view): with redb's page header
/// and key, just under a region of 16 pages. A busy group commit (~1,700 entries, ~0.8 MB) is
/// a dozen inserts instead of 1,700, and paging the viewer back decodes at most one block
/// more.
pub const MAX_BYTES: usize = (64 << 10) - 256;

/// One stored entry as found, in chain order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored<'a> {
    /// Its place: the row's key plus its position in the block.
    pub seq: u64,
    /// Whether it begins its row (then `seq` is the row's key, which the verifier checks
    /// against the entry's own number).
    pub first_of_row: bool,
    /// `hash || JSON`; `None` when the block's records end in bytes that are not a whole
    /// record (the block was altered; nothing after it in the block is read).
    pub value: Option<&'a [u8]>,
}

/// Appends one record (`hash || JSON`) to a block being built.
pub fn push(block: &mut Vec<u8>, value: &[u8]) {
    block.extend_from_slice(&(value.len() as u32).to_le_bytes());
    block.extend_from_slice(value);
}

/// The records of the block stored under `first`, in order.
pub fn records(first: u64, block: &[u8]) -> Records<'_> {
    Records { first, block, at: 0, index: 0 }
}

pub struct Records<'a> {
    first: u64,
    block: &'a [u8],
    at: usize,
    index: u64,
}

impl<'a> Iterator for Records<'a> {
    type Item = Stored<'a>;

    fn next(&mut self) -> Option<Stored<'a>> {
        if self.at >= self.block.len() {
            return None;
        }
        let seq = self.first + self.index;
        let first_of_row = self.index == 0;
        self.index += 1;
        let value = self
            .block
            .get(self.at..self.at + 4)
            .map(|len| u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize)
            .and_then(|len| self.block.get(self.at + 4..self.at + 4 + len));
        match value {
            Some(value) => {
                self.at += 4 + value.len();
                Some(Stored { seq, first_of_row, value: Some(value) })
            }
            None => {
                self.at = self.block.len();
                Some(Stored { seq, first_of_row, value: None })
            }
        }
    }
}

/// The JSON of each whole entry of a block, in order: for checks that read the tables as they
/// are stored (the secrecy tests read every row of every table).
pub fn entry_jsons(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    records(0, block).filter_map(|s| super::chain::split_value(s.value?).map(|(_, json)| json))
}

/// Opens `table` for reading; a table never created (the legacy one, on a database made
/// after it was retired) reads as empty.
fn open(
    txn: &ReadTransaction,
    table: TableDefinition<u64, &[u8]>,
) -> Result<Option<redb::ReadOnlyTable<u64, &'static [u8]>>> {
    match txn.open_table(table) {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Calls `f` with every stored entry from sequence number `from` on, oldest first (the legacy
/// rows, then the blocks), until it returns `false`.
pub fn forward(
    txn: &ReadTransaction,
    from: u64,
    mut f: impl FnMut(Stored<'_>) -> Result<bool>,
) -> Result<()> {
    if let Some(legacy) = open(txn, LEGACY)? {
        for row in legacy.range(from..)? {
            let (k, v) = row?;
            let stored = Stored { seq: k.value(), first_of_row: true, value: Some(v.value()) };
            if !f(stored)? {
                return Ok(());
            }
        }
    }
    let Some(blocks) = open(txn, BLOCKS)? else { return Ok(()) };
    // The block that holds `from`, if it began before it, then every later one.
    let start = match blocks.range(..=from)?.next_back() {
        Some(row) => row?.0.value(),
        None => from,
    };
    for row in blocks.range(start..)? {
        let (k, v) = row?;
        for stored in records(k.value(), v.value()) {
            if stored.seq >= from && !f(stored)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Calls `f` with every stored entry below sequence number `below`, newest first, until it
/// returns `false` (the viewer's pages).
pub fn backward(
    txn: &ReadTransaction,
    below: u64,
    mut f: impl FnMut(Stored<'_>) -> Result<bool>,
) -> Result<()> {
    if let Some(blocks) = open(txn, BLOCKS)? {
        for row in blocks.range(..below)?.rev() {
            let (k, v) = row?;
            let held: Vec<Stored> =
                records(k.value(), v.value()).filter(|s| s.seq < below).collect();
            for stored in held.iter().rev() {
                if !f(*stored)? {
                    return Ok(());
                }
            }
        }
    }
    if let Some(legacy) = open(txn, LEGACY)? {
        for row in legacy.range(..below)?.rev() {
            let (k, v) = row?;
            let stored = Stored { seq: k.value(), first_of_row: true, value: Some(v.value()) };
            if !f(stored)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Writes entries (`hash || JSON` each) that follow one another from `first` on: into the
/// last block while it has room, then into new blocks of at most [`MAX_BYTES`].
pub struct Writer<'t> {
    table: redb::Table<'t, u64, &'static [u8]>,
    block: Vec<u8>,
    /// The key of the block being filled: the number of its first entry.
    first: u64,
    /// Entries in it.
    count: u64,
}

impl<'t> Writer<'t> {
    pub fn new(txn: &'t WriteTransaction, first: u64) -> Result<Writer<'t>> {
        let table = txn.open_table(BLOCKS)?;
        let last = match table.last()? {
            Some((k, v)) if v.value().len() < MAX_BYTES => {
                let (key, block) = (k.value(), v.value());
                let mut count = 0;
                let whole = records(key, block).all(|s| {
                    count += 1;
                    s.value.is_some()
                });
                (whole && key + count == first).then(|| (key, count, block.to_vec()))
            }
            _ => None,
        };
        let (first, count, mut block) = last.unwrap_or((first, 0, Vec::new()));
        block.reserve(MAX_BYTES.saturating_sub(block.len()));
        Ok(Writer { table, block, first, count })
    }

    pub fn push(&mut self, value: &[u8]) -> Result<()> {
        if self.count > 0 && self.block.len() + 4 + value.len() > MAX_BYTES {
            self.finish_block()?;
        }
        push(&mut self.block, value);
        self.count += 1;
        Ok(())
    }

    fn finish_block(&mut self) -> Result<()> {
        if self.count > 0 {
            self.table.insert(self.first, self.block.as_slice())?;
            self.first += self.count;
            self.block.clear();
            self.count = 0;
        }
        Ok(())
    }

    /// Stores the last block.
    pub fn finish(mut self) -> Result<()> {
        self.finish_block()
    }
}

/// Removes every stored entry up to and including `last` (the archiver's month, a prefix of
/// the live log). A block that holds entries on both sides is stored again with the later
/// ones only, under the number of its new first entry.
pub fn remove_through(txn: &WriteTransaction, last: u64) -> Result<()> {
    {
        let mut legacy = txn.open_table(LEGACY)?;
        legacy.retain_in(..=last, |_, _| false)?;
    }
    let mut blocks = txn.open_table(BLOCKS)?;
    let straddling = match blocks.range(..=last)?.next_back() {
        Some(row) => {
            let (k, v) = row?;
            let mut rest = Vec::new();
            for stored in records(k.value(), v.value()).filter(|s| s.seq > last) {
                let value = stored.value.ok_or_else(|| {
                    Error::internal(format!(
                        "access log block {} is damaged; run `ipgo audit verify`",
                        k.value()
                    ))
                })?;
                push(&mut rest, value);
            }
            (!rest.is_empty()).then_some(rest)
        }
        None => None,
    };
    blocks.retain_in(..=last, |_, _| false)?;
    if let Some(rest) = straddling {
        blocks.insert(last + 1, rest.as_slice())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(seq: u64) -> Vec<u8> {
        let mut v = vec![seq as u8; 32];
        v.extend_from_slice(format!("{{\"seq\":{seq}}}").as_bytes());
        v
    }

    fn db() -> (tempfile::TempDir, crate::db::Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("ipgo.redb")).unwrap();
        (dir, db)
    }

    fn seqs_forward(db: &crate::db::Db, from: u64) -> Vec<u64> {
        let mut out = Vec::new();
        forward(&db.read().unwrap(), from, |s| {
            assert_eq!(s.value, Some(value(s.seq).as_slice()));
            out.push(s.seq);
            Ok(true)
        })
        .unwrap();
        out
    }

    fn seqs_backward(db: &crate::db::Db, below: u64) -> Vec<u64> {
        let mut out = Vec::new();
        backward(&db.read().unwrap(), below, |s| {
            out.push(s.seq);
            Ok(true)
        })
        .unwrap();
        out
    }

    fn keys(db: &crate::db::Db) -> Vec<(u64, usize)> {
        let txn = db.read().unwrap();
        let t = txn.open_table(BLOCKS).unwrap();
        t.iter().unwrap().map(|r| r.unwrap()).map(|(k, v)| (k.value(), v.value().len())).collect()
    }

    /// Entries `from..=to` appended in one commit.
    fn commit(db: &crate::db::Db, from: u64, to: u64) {
        db.write(|txn| {
            let mut w = Writer::new(txn, from)?;
            for seq in from..=to {
                w.push(&value(seq))?;
            }
            w.finish()
        })
        .unwrap();
    }

    /// Legacy rows 1..=3, then entries 4..=6000 in commits of 1, 7 and 2,989, and one more.
    fn filled() -> (tempfile::TempDir, crate::db::Db) {
        let (dir, db) = db();
        db.write(|txn| {
            let mut legacy = txn.open_table(LEGACY)?;
            for seq in 1..=3 {
                legacy.insert(seq, value(seq).as_slice())?;
            }
            Ok(())
        })
        .unwrap();
        for (from, to) in [(4, 4), (5, 11), (12, 3000), (3001, 6000)] {
            commit(&db, from, to);
        }
        (dir, db)
    }

    #[test]
    fn commits_fill_the_last_block_up_to_its_size() {
        let (_dir, db) = filled();
        let blocks = keys(&db);
        assert_eq!(blocks[0].0, 4, "the blocks continue the legacy rows");
        assert!(blocks.len() >= 3, "{blocks:?}");
        for (key, len) in &blocks[..blocks.len() - 1] {
            assert!(
                *len <= MAX_BYTES && *len + 4 + value(*key).len() + 8 > MAX_BYTES,
                "{key} {len}"
            );
        }
        // A damaged last block is left as it is: the next commit starts a block of its own.
        let (last_key, _) = *blocks.last().unwrap();
        db.write(|txn| {
            let mut t = txn.open_table(BLOCKS)?;
            let mut v = t.get(last_key)?.unwrap().value().to_vec();
            v.truncate(v.len() - 1);
            t.insert(last_key, v.as_slice())?;
            Ok(())
        })
        .unwrap();
        commit(&db, 6001, 6001);
        assert_eq!(keys(&db).last().unwrap().0, 6001);
    }

    #[test]
    fn entries_read_in_chain_order_from_any_point_both_ways() {
        let (_dir, db) = filled();
        let last = 6000;
        assert_eq!(seqs_forward(&db, 0), (1..=last).collect::<Vec<_>>());
        let mut points: Vec<u64> = vec![1, 2, 3, last, last + 1, u64::MAX];
        for (key, _) in keys(&db) {
            points.extend([key - 1, key, key + 1]);
        }
        for from in points.iter().copied().filter(|p| *p <= last + 1) {
            assert_eq!(seqs_forward(&db, from), (from..=last).collect::<Vec<_>>(), "{from}");
        }
        for below in points {
            let want: Vec<u64> = (1..below.min(last + 1)).rev().collect();
            assert_eq!(seqs_backward(&db, below), want, "{below}");
        }
    }

    #[test]
    fn removing_a_prefix_keeps_the_rest_of_a_block_it_cuts() {
        let (_dir, db) = filled();
        let second = keys(&db)[1].0;
        for last in [2, 3, 500, second, 5999, 6000] {
            db.write(|txn| remove_through(txn, last)).unwrap();
            assert_eq!(seqs_forward(&db, 0), (last + 1..=6000).collect::<Vec<_>>(), "{last}");
            if (3..6000).contains(&last) {
                assert_eq!(keys(&db)[0].0, last + 1, "the cut block is keyed by its new first");
            }
        }
        assert!(keys(&db).is_empty());
    }

    #[test]
    fn a_block_cut_short_ends_in_one_damaged_record() {
        let mut block = Vec::new();
        push(&mut block, &value(7));
        push(&mut block, &value(8));
        block.truncate(block.len() - 3);
        let found: Vec<Stored> = records(7, &block).collect();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].value, Some(value(7).as_slice()));
        assert!(found[0].first_of_row && !found[1].first_of_row);
        assert_eq!((found[1].seq, found[1].value), (8, None));
    }
}
