//! The account requests' redb table.

use redb::{ReadTransaction, TableDefinition, WriteTransaction};

use super::model::AccountRequest;
use crate::db::{all_json, get_json, to_json};
use crate::error::Result;

pub const ACCOUNT_REQUESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("account_requests");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(ACCOUNT_REQUESTS)?;
    Ok(())
}

pub fn all(txn: &ReadTransaction) -> Result<Vec<AccountRequest>> {
    all_json(&txn.open_table(ACCOUNT_REQUESTS)?)
}

pub fn get(txn: &ReadTransaction, id: u64) -> Result<Option<AccountRequest>> {
    get_json(&txn.open_table(ACCOUNT_REQUESTS)?, id)
}

pub fn get_in(txn: &WriteTransaction, id: u64) -> Result<Option<AccountRequest>> {
    get_json(&txn.open_table(ACCOUNT_REQUESTS)?, id)
}

pub fn all_in(txn: &WriteTransaction) -> Result<Vec<AccountRequest>> {
    all_json(&txn.open_table(ACCOUNT_REQUESTS)?)
}

pub fn put(txn: &WriteTransaction, r: &AccountRequest) -> Result<()> {
    txn.open_table(ACCOUNT_REQUESTS)?.insert(r.id, to_json(r)?.as_slice())?;
    Ok(())
}
