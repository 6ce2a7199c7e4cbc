//! The last synchronisation of each agency's directory, kept so that the settings page
//! shows it after a restart (I617 §21), and the settings the system administrator set on
//! the settings page.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::config::AgencyDirectory;
use super::sync::Report;
use crate::app::App;
use crate::error::Result;

/// Agency code → the last run's [`Report`] (JSON).
pub const SYNC_RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("ldap_sync_runs");

/// Agency code → the directory's settings set on the settings page (JSON), in place of the
/// configuration file's for that agency (`settings::effective`).
pub const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("ldap_settings");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(SYNC_RUNS)?;
    txn.open_table(SETTINGS)?;
    Ok(())
}

/// The last run of every directory that has run at least once.
pub fn last_runs(app: &App) -> Result<Vec<Report>> {
    let txn = app.db.read()?;
    let table = txn.open_table(SYNC_RUNS)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn record(app: &App, report: &Report) -> Result<()> {
    app.db.write(|txn| {
        txn.open_table(SYNC_RUNS)?
            .insert(report.agency.as_str(), serde_json::to_vec(report)?.as_slice())?;
        Ok(())
    })
}

/// The settings set on the page, by agency code.
pub fn settings(app: &App) -> Result<Vec<(String, AgencyDirectory)>> {
    let txn = app.db.read()?;
    let table = txn.open_table(SETTINGS)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        out.push((k.value().to_owned(), serde_json::from_slice(v.value())?));
    }
    Ok(out)
}

pub fn put_settings(txn: &WriteTransaction, code: &str, d: &AgencyDirectory) -> Result<()> {
    txn.open_table(SETTINGS)?.insert(code, serde_json::to_vec(d)?.as_slice())?;
    Ok(())
}

/// Whether there were settings to remove.
pub fn remove_settings(txn: &WriteTransaction, code: &str) -> Result<bool> {
    Ok(txn.open_table(SETTINGS)?.remove(code)?.is_some())
}
