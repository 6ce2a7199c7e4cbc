//! The self-check's table: runs by id, the newest last; bounded by `self_audit.keep_runs`.

use redb::{
    ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};

use super::model::Run;
use crate::db::to_json;
use crate::error::Result;

pub const RUNS: TableDefinition<u64, &[u8]> = TableDefinition::new("self_audit_runs");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(RUNS)?;
    Ok(())
}

/// Stores `run` and drops the oldest runs beyond `keep`.
pub fn put(txn: &WriteTransaction, run: &Run, keep: u64) -> Result<()> {
    let mut table = txn.open_table(RUNS)?;
    table.insert(run.id, to_json(run)?.as_slice())?;
    let keep = keep.max(1);
    let count = table.len()?;
    if count > keep {
        let old: Vec<u64> = table
            .iter()?
            .take((count - keep) as usize)
            .map(|row| row.map(|(k, _)| k.value()))
            .collect::<std::result::Result<_, _>>()?;
        for id in old {
            table.remove(id)?;
        }
    }
    Ok(())
}

/// The newest `limit` runs, newest first.
pub fn newest(txn: &ReadTransaction, limit: usize) -> Result<Vec<Run>> {
    let table = txn.open_table(RUNS)?;
    let mut out = Vec::new();
    for row in table.iter()?.rev().take(limit) {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}
