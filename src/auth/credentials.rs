//! Password credentials and lockout state, one record per account.

use redb::{ReadTransaction, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::db::{get_json, to_json};
use crate::error::Result;

pub const CREDENTIALS: TableDefinition<u64, &[u8]> = TableDefinition::new("credentials");

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Credential {
    /// Argon2id PHC string.
    pub hash: String,
    /// Set by an administrator (one-time password): must be changed at the next sign-in.
    pub must_change: bool,
    /// Consecutive failed sign-ins.
    pub failures: u32,
    /// Locked until this UTC time (stored form), if locked.
    #[serde(default)]
    pub locked_until: Option<String>,
    pub changed: String,
}

impl Credential {
    pub fn is_locked(&self, now: &str) -> bool {
        self.locked_until.as_deref().is_some_and(|until| until > now)
    }
}

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(CREDENTIALS)?;
    Ok(())
}

pub fn get(txn: &ReadTransaction, user_id: u64) -> Result<Option<Credential>> {
    get_json(&txn.open_table(CREDENTIALS)?, user_id)
}

pub fn get_in(txn: &WriteTransaction, user_id: u64) -> Result<Option<Credential>> {
    get_json(&txn.open_table(CREDENTIALS)?, user_id)
}

pub fn put(txn: &WriteTransaction, user_id: u64, credential: &Credential) -> Result<()> {
    txn.open_table(CREDENTIALS)?.insert(user_id, to_json(credential)?.as_slice())?;
    Ok(())
}

/// Sets a new password hash, clearing failures and any lock.
pub fn set_password(
    txn: &WriteTransaction,
    user_id: u64,
    hash: String,
    must_change: bool,
) -> Result<()> {
    let credential = Credential {
        hash,
        must_change,
        failures: 0,
        locked_until: None,
        changed: crate::clock::utc_string(crate::clock::now()),
    };
    put(txn, user_id, &credential)
}
