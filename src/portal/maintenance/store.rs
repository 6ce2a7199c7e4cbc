//! The maintenance feature's redb table.

use redb::{ReadTransaction, TableDefinition, WriteTransaction};

use super::model::Window;
use crate::db::{all_json, get_json, to_json};
use crate::error::Result;

pub const WINDOWS: TableDefinition<u64, &[u8]> = TableDefinition::new("maintenance_windows");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(WINDOWS)?;
    Ok(())
}

pub fn all(txn: &ReadTransaction) -> Result<Vec<Window>> {
    all_json(&txn.open_table(WINDOWS)?)
}

pub fn get(txn: &WriteTransaction, id: u64) -> Result<Option<Window>> {
    get_json(&txn.open_table(WINDOWS)?, id)
}

pub fn put(txn: &WriteTransaction, w: &Window) -> Result<()> {
    txn.open_table(WINDOWS)?.insert(w.id, to_json(w)?.as_slice())?;
    Ok(())
}
