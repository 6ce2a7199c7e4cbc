//! The last synchronisation of each agency's directory, kept so that the settings page
//! shows it after a restart (I617 §21). The LDAP feature's only table.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::sync::Report;
use crate::app::App;
use crate::error::Result;

/// Agency code → the last run's [`Report`] (JSON).
pub const SYNC_RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("ldap_sync_runs");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(SYNC_RUNS)?;
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
