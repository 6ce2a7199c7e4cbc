//! The training requests' redb table.

use redb::{ReadTransaction, TableDefinition, WriteTransaction};

use super::model::TrainingRequest;
use crate::db::{all_json, get_json, to_json};
use crate::error::Result;

pub const TRAININGS: TableDefinition<u64, &[u8]> = TableDefinition::new("trainings");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(TRAININGS)?;
    Ok(())
}

pub fn all(txn: &ReadTransaction) -> Result<Vec<TrainingRequest>> {
    all_json(&txn.open_table(TRAININGS)?)
}

pub fn get(txn: &ReadTransaction, id: u64) -> Result<Option<TrainingRequest>> {
    get_json(&txn.open_table(TRAININGS)?, id)
}

pub fn get_in(txn: &WriteTransaction, id: u64) -> Result<Option<TrainingRequest>> {
    get_json(&txn.open_table(TRAININGS)?, id)
}

pub fn all_in(txn: &WriteTransaction) -> Result<Vec<TrainingRequest>> {
    all_json(&txn.open_table(TRAININGS)?)
}

pub fn put(txn: &WriteTransaction, r: &TrainingRequest) -> Result<()> {
    txn.open_table(TRAININGS)?.insert(r.id, to_json(r)?.as_slice())?;
    Ok(())
}
