//! Where the chain's entries are stored: in blocks, one B-tree row per group commit.
//!
//! Why: with one row per entry, every logged read cost the writer a B-tree insert, the larger
//! part of its work and a tenth of a page's CPU (docs/benchmarks.md, "The access log in
//! blocks"). A block changes only how entries are kept, not what is hashed: each entry is
//! still `hash (32 bytes) || canonical JSON` chained to the one before (`chain.rs`).
//!
//! Table `audit_log_blocks` (u64 → bytes): the key is the sequence number of the block's first
//! entry; the value is one or more records `len (u32 LE) || hash || JSON`, the entries that
//! follow one another from that number on. A change's own entry (`AuditLog::change`) is a
//! block of one; a group commit writes blocks of at most [`MAX_ENTRIES`].
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

/// The most entries in one block: about 0.6 MB, so that paging the viewer back from any
/// entry decodes a bounded block, while a busy group commit (~1,700 entries) is two inserts.
pub const MAX_ENTRIES: usize = 1024;

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

/// Writes entries (`hash || JSON` each) that follow one another from `first` on, in blocks of
/// at most [`MAX_ENTRIES`].
pub struct Writer<'t> {
    table: redb::Table<'t, u64, &'static [u8]>,
    block: Vec<u8>,
    first: u64,
    count: usize,
}

impl<'t> Writer<'t> {
    pub fn new(txn: &'t WriteTransaction, first: u64) -> Result<Writer<'t>> {
        Ok(Writer { table: txn.open_table(BLOCKS)?, block: Vec::new(), first, count: 0 })
    }

    pub fn push(&mut self, value: &[u8]) -> Result<()> {
        if self.count == MAX_ENTRIES {
            self.finish_block()?;
        }
        push(&mut self.block, value);
        self.count += 1;
        Ok(())
    }

    fn finish_block(&mut self) -> Result<()> {
        if self.count > 0 {
            self.table.insert(self.first, self.block.as_slice())?;
            self.first += self.count as u64;
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

    /// Legacy rows 1..=3, then blocks 4..=3000 (2,997 entries: blocks of 1,024, 1,024, 949)
    /// and a block of one (3001).
    fn filled() -> (tempfile::TempDir, crate::db::Db) {
        let (dir, db) = db();
        db.write(|txn| {
            let mut legacy = txn.open_table(LEGACY)?;
            for seq in 1..=3 {
                legacy.insert(seq, value(seq).as_slice())?;
            }
            drop(legacy);
            let mut w = Writer::new(txn, 4)?;
            for seq in 4..=3000 {
                w.push(&value(seq))?;
            }
            w.finish()?;
            let mut w = Writer::new(txn, 3001)?;
            w.push(&value(3001))?;
            w.finish()
        })
        .unwrap();
        (dir, db)
    }

    #[test]
    fn entries_read_in_chain_order_from_any_point_both_ways() {
        let (_dir, db) = filled();
        let keys: Vec<u64> = {
            let txn = db.read().unwrap();
            let t = txn.open_table(BLOCKS).unwrap();
            t.iter().unwrap().map(|r| r.unwrap().0.value()).collect()
        };
        assert_eq!(keys, vec![4, 1028, 2052, 3001], "blocks of at most 1,024 entries");
        assert_eq!(seqs_forward(&db, 0), (1..=3001).collect::<Vec<_>>());
        for from in [2, 4, 5, 1027, 1028, 1500, 3001] {
            assert_eq!(seqs_forward(&db, from), (from..=3001).collect::<Vec<_>>(), "{from}");
        }
        assert!(seqs_forward(&db, 3002).is_empty());
        for below in [1, 3, 4, 5, 1028, 1029, 2000, 3002, u64::MAX] {
            let want: Vec<u64> = (1..below.min(3002)).rev().collect();
            assert_eq!(seqs_backward(&db, below), want, "{below}");
        }
    }

    #[test]
    fn removing_a_prefix_keeps_the_rest_of_a_block_it_cuts() {
        let (_dir, db) = filled();
        for last in [2, 3, 500, 1028, 3000] {
            db.write(|txn| remove_through(txn, last)).unwrap();
            assert_eq!(seqs_forward(&db, 0), (last + 1..=3001).collect::<Vec<_>>(), "{last}");
            let first_key = {
                let txn = db.read().unwrap();
                let t = txn.open_table(BLOCKS).unwrap();
                t.first().unwrap().map(|(k, _)| k.value())
            };
            if last >= 3 {
                assert_eq!(first_key, Some(last + 1), "the cut block is keyed by its new first");
            }
        }
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
