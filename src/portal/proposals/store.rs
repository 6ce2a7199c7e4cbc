//! The proposals' redb table.

use redb::{ReadTransaction, TableDefinition, WriteTransaction};

use super::model::Proposal;
use crate::db::{all_json, get_json, to_json};
use crate::error::Result;

pub const PROPOSALS: TableDefinition<u64, &[u8]> = TableDefinition::new("proposals");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(PROPOSALS)?;
    Ok(())
}

pub fn all(txn: &ReadTransaction) -> Result<Vec<Proposal>> {
    all_json(&txn.open_table(PROPOSALS)?)
}

pub fn get(txn: &ReadTransaction, id: u64) -> Result<Option<Proposal>> {
    get_json(&txn.open_table(PROPOSALS)?, id)
}

pub fn get_in(txn: &WriteTransaction, id: u64) -> Result<Option<Proposal>> {
    get_json(&txn.open_table(PROPOSALS)?, id)
}

pub fn put(txn: &WriteTransaction, p: &Proposal) -> Result<()> {
    txn.open_table(PROPOSALS)?.insert(p.id, to_json(p)?.as_slice())?;
    Ok(())
}
