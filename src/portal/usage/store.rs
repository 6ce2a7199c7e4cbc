//! The usage feature's own tables: a day's usage per agency, and how far into the access
//! log it has counted. Derived data: rebuilt from the log when missing (`service::refresh`).

use std::collections::BTreeMap;

use redb::{ReadTransaction, TableDefinition, WriteTransaction};

use super::model::DayUsage;
use crate::db::{get_json, to_json};
use crate::error::Result;

/// `YYYY-MM-DD|AGENCY` → [`DayUsage`] (dates first, so a period is one range scan).
pub const DAYS: TableDefinition<&str, &[u8]> = TableDefinition::new("usage_days");
/// `last_seq` → the last access-log sequence number counted.
pub const STATE: TableDefinition<&str, u64> = TableDefinition::new("usage_state");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(DAYS)?;
    txn.open_table(STATE)?;
    Ok(())
}

pub fn key(date: jiff::civil::Date, agency: &str) -> String {
    format!("{date}|{agency}")
}

/// The last sequence number counted, or `None` when the aggregate was never built.
pub fn last_seq(txn: &ReadTransaction) -> Result<Option<u64>> {
    Ok(txn.open_table(STATE)?.get("last_seq")?.map(|v| v.value()))
}

/// Adds `days` to what is stored and moves the mark to `last_seq`, in one transaction.
pub fn add(txn: &WriteTransaction, days: &BTreeMap<String, DayUsage>, last_seq: u64) -> Result<()> {
    let mut table = txn.open_table(DAYS)?;
    for (k, d) in days {
        let mut stored: DayUsage = get_json(&table, k.as_str())?.unwrap_or_default();
        stored.merge(d);
        table.insert(k.as_str(), to_json(&stored)?.as_slice())?;
    }
    txn.open_table(STATE)?.insert("last_seq", last_seq)?;
    Ok(())
}

/// Every stored day in `[from, to]` as (date, agency code, usage).
pub fn between(
    txn: &ReadTransaction,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> Result<Vec<(jiff::civil::Date, String, DayUsage)>> {
    let table = txn.open_table(DAYS)?;
    let (lo, hi) = (format!("{from}|"), format!("{to}|\u{10FFFF}"));
    let mut out = Vec::new();
    for row in table.range(lo.as_str()..hi.as_str())? {
        let (k, v) = row?;
        let Some((date, agency)) = k.value().split_once('|') else { continue };
        let Ok(date) = date.parse() else { continue };
        let Ok(usage) = serde_json::from_slice::<DayUsage>(v.value()) else { continue };
        out.push((date, agency.to_owned(), usage));
    }
    Ok(out)
}
