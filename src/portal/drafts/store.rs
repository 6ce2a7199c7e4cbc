//! The drafts feature's tables.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::model::Draft;
use crate::db::{get_json, to_json};
use crate::error::Result;

pub const DRAFTS: TableDefinition<u64, &[u8]> = TableDefinition::new("drafts");
/// Signed ballots of absentee votes kept by earlier versions: (draft, head) → CMS (base64)
/// and its verdict; read once to move them onto the voting engine (`vote.rs`), never written.
pub const BALLOTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("draft_ballots");
/// Stages already notified as overdue: (draft, version, stage name).
pub const OVERDUE: TableDefinition<(u64, u32, &str), ()> =
    TableDefinition::new("draft_overdue_notified");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(DRAFTS)?;
    txn.open_table(OVERDUE)?;
    txn.open_table(BALLOTS)?;
    Ok(())
}

#[cfg(test)]
pub fn put_legacy_ballot(
    txn: &WriteTransaction,
    draft: u64,
    user: u64,
    cms_b64: &str,
    verdict: &crate::sign::Verdict,
) -> Result<()> {
    let value = serde_json::json!({"cms": cms_b64, "verdict": verdict});
    txn.open_table(BALLOTS)?.insert((draft, user), serde_json::to_vec(&value)?.as_slice())?;
    Ok(())
}

pub fn overdue_marked(
    txn: &ReadTransaction,
    draft: u64,
    version: u32,
    stage: &str,
) -> Result<bool> {
    Ok(txn.open_table(OVERDUE)?.get((draft, version, stage))?.is_some())
}

pub fn get(txn: &ReadTransaction, id: u64) -> Result<Option<Draft>> {
    get_json(&txn.open_table(DRAFTS)?, id)
}

pub fn get_in(txn: &WriteTransaction, id: u64) -> Result<Option<Draft>> {
    get_json(&txn.open_table(DRAFTS)?, id)
}

pub fn put(txn: &WriteTransaction, draft: &Draft) -> Result<()> {
    txn.open_table(DRAFTS)?.insert(draft.id, to_json(draft)?.as_slice())?;
    Ok(())
}

pub fn all(txn: &ReadTransaction) -> Result<Vec<Draft>> {
    let table = txn.open_table(DRAFTS)?;
    let mut out = Vec::new();
    for row in table.iter()?.rev() {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

/// Marks a stage as notified overdue; `false` if it already was.
pub fn mark_overdue(txn: &WriteTransaction, draft: u64, version: u32, stage: &str) -> Result<bool> {
    let mut table = txn.open_table(OVERDUE)?;
    if table.get((draft, version, stage))?.is_some() {
        return Ok(false);
    }
    table.insert((draft, version, stage), ())?;
    Ok(true)
}
