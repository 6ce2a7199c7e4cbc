//! The meetings feature's table: one record per meeting (its agenda versions and attendance
//! inside it, so a step rewrites one meeting).

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::model::Meeting;
use crate::db::{get_json, to_json};
use crate::error::Result;

pub const MEETINGS: TableDefinition<u64, &[u8]> = TableDefinition::new("meetings");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(MEETINGS)?;
    Ok(())
}

pub fn get(txn: &ReadTransaction, id: u64) -> Result<Option<Meeting>> {
    get_json(&txn.open_table(MEETINGS)?, id)
}

pub fn get_in(txn: &WriteTransaction, id: u64) -> Result<Option<Meeting>> {
    get_json(&txn.open_table(MEETINGS)?, id)
}

pub fn put(txn: &WriteTransaction, m: &Meeting) -> Result<()> {
    txn.open_table(MEETINGS)?.insert(m.id, to_json(m)?.as_slice())?;
    Ok(())
}

/// Every meeting, newest first.
pub fn all(txn: &ReadTransaction) -> Result<Vec<Meeting>> {
    let table = txn.open_table(MEETINGS)?;
    let mut out = Vec::new();
    for row in table.iter()?.rev() {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}
