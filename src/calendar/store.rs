//! The administrator's calendar entries: one redb table, date (`YYYY-MM-DD`) → entry with
//! who made it and when. Only the calendar's administration service writes here, inside
//! the transaction of its access-log entry.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::Entry;
use crate::error::Result;

pub const ENTRIES: TableDefinition<&str, &[u8]> = TableDefinition::new("calendar_entries");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(ENTRIES)?;
    Ok(())
}

/// An entry as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    #[serde(flatten)]
    pub entry: Entry,
    /// Who made it: a login, or `operator:<os user>` for the command line.
    pub by: String,
    /// When (stored UTC form).
    pub at: String,
}

pub fn all(txn: &ReadTransaction) -> Result<Vec<Stored>> {
    let table = txn.open_table(ENTRIES)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn entries(txn: &ReadTransaction) -> Result<Vec<Entry>> {
    Ok(all(txn)?.into_iter().map(|s| s.entry).collect())
}

/// Adds or replaces the entry of its date; returns the one it replaced.
pub fn put(txn: &WriteTransaction, stored: &Stored) -> Result<Option<Stored>> {
    let key = stored.entry.date.to_string();
    let mut table = txn.open_table(ENTRIES)?;
    let old = table.insert(key.as_str(), serde_json::to_vec(stored)?.as_slice())?;
    Ok(match old {
        Some(v) => Some(serde_json::from_slice(v.value())?),
        None => None,
    })
}

/// Removes the entry of a date; returns it when there was one.
pub fn remove(txn: &WriteTransaction, date: jiff::civil::Date) -> Result<Option<Stored>> {
    let key = date.to_string();
    let mut table = txn.open_table(ENTRIES)?;
    let old = table.remove(key.as_str())?;
    Ok(match old {
        Some(v) => Some(serde_json::from_slice(v.value())?),
        None => None,
    })
}
