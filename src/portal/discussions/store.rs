//! The discussions feature's tables. Comments are kept per discussion in the order they
//! were written; their words are sealed with the discussed document's key (`service.rs`).

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::model::{CommentRecord, Discussion};
use crate::db::{get_json, to_json};
use crate::error::Result;

pub const DISCUSSIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("discussions");
/// (discussion, comment) → the comment.
pub const COMMENTS: TableDefinition<(u64, u64), &[u8]> =
    TableDefinition::new("discussion_comments");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(DISCUSSIONS)?;
    txn.open_table(COMMENTS)?;
    Ok(())
}

pub fn get(txn: &ReadTransaction, id: u64) -> Result<Option<Discussion>> {
    get_json(&txn.open_table(DISCUSSIONS)?, id)
}

pub fn get_in(txn: &WriteTransaction, id: u64) -> Result<Option<Discussion>> {
    get_json(&txn.open_table(DISCUSSIONS)?, id)
}

pub fn put(txn: &WriteTransaction, d: &Discussion) -> Result<()> {
    txn.open_table(DISCUSSIONS)?.insert(d.id, to_json(d)?.as_slice())?;
    Ok(())
}

/// Every discussion, newest first.
pub fn all(txn: &ReadTransaction) -> Result<Vec<Discussion>> {
    let table = txn.open_table(DISCUSSIONS)?;
    let mut out = Vec::new();
    for row in table.iter()?.rev() {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

/// Discussions newest first, from just below `before` when given, for as long as `take`
/// wants more: a page of the list reads only as far back as it needs.
pub fn newest_first(
    txn: &ReadTransaction,
    before: Option<u64>,
    mut take: impl FnMut(Discussion) -> bool,
) -> Result<()> {
    let table = txn.open_table(DISCUSSIONS)?;
    for row in table.range(..before.unwrap_or(u64::MAX))?.rev() {
        if !take(serde_json::from_slice(row?.1.value())?) {
            break;
        }
    }
    Ok(())
}

pub fn put_comment(txn: &WriteTransaction, c: &CommentRecord) -> Result<()> {
    txn.open_table(COMMENTS)?.insert((c.discussion, c.id), to_json(c)?.as_slice())?;
    Ok(())
}

pub fn comment_in(
    txn: &WriteTransaction,
    discussion: u64,
    id: u64,
) -> Result<Option<CommentRecord>> {
    get_json(&txn.open_table(COMMENTS)?, (discussion, id))
}

/// The comments of a discussion, oldest first.
pub fn comments(txn: &ReadTransaction, discussion: u64) -> Result<Vec<CommentRecord>> {
    let table = txn.open_table(COMMENTS)?;
    let mut out = Vec::new();
    for row in table.range((discussion, 0)..=(discussion, u64::MAX))? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}
