//! Every redb table the backup copies, with its types.
//!
//! redb has no backup API and its untyped tables cannot be iterated, so the snapshot copies
//! each table row by row inside one read transaction into a fresh database file. This list
//! must name every table: a backup refuses to run when the database holds a table missing
//! here (so a feature that adds a table cannot be silently left out of backups), and the
//! test below opens a complete appliance and compares.

use redb::{
    Key, ReadTransaction, ReadableTable, TableDefinition, TableError, TableHandle, Value,
    WriteTransaction,
};

use crate::error::Result;

/// What the backup does with a table's rows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Copied.
    Copy,
    /// Not copied: the table is recreated empty (sign-in sessions — a restored portal
    /// starts with everyone signed out).
    Skip,
}

pub trait Table: Sync {
    fn name(&self) -> &str;
    /// Copies the rows from the snapshot into the new database; returns how many.
    fn copy(&self, from: &ReadTransaction, to: &WriteTransaction) -> Result<u64>;
    /// Every row as (key written with `Debug`, value bytes): for checks that must look at
    /// everything stored (e.g. that a secret ballot is linked to nobody).
    fn rows(&self, txn: &ReadTransaction) -> Result<Vec<(String, Vec<u8>)>>;
}

pub struct Typed<K: Key + 'static, V: Value + 'static>(
    pub TableDefinition<'static, K, V>,
    pub Rows,
);

impl<K: Key + Sync + 'static, V: Value + Sync + 'static> Table for Typed<K, V> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn copy(&self, from: &ReadTransaction, to: &WriteTransaction) -> Result<u64> {
        let mut target = to.open_table(self.0)?;
        if self.1 == Rows::Skip {
            return Ok(0);
        }
        let source = match from.open_table(self.0) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let mut rows = 0;
        for row in source.iter()? {
            let (k, v) = row?;
            target.insert(k.value(), v.value())?;
            rows += 1;
        }
        Ok(rows)
    }

    fn rows(&self, txn: &ReadTransaction) -> Result<Vec<(String, Vec<u8>)>> {
        let table = match txn.open_table(self.0) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((format!("{:?}", k.value()), V::as_bytes(&v.value()).as_ref().to_vec()));
        }
        Ok(out)
    }
}

/// Every row of every table: (table, key, value bytes).
pub fn dump(txn: &ReadTransaction) -> Result<Vec<(String, String, Vec<u8>)>> {
    let mut out = Vec::new();
    for table in TABLES {
        for (key, value) in table.rows(txn)? {
            out.push((table.name().to_owned(), key, value));
        }
    }
    Ok(out)
}

use crate::audit::blocks::{BLOCKS as LOG_BLOCKS, LEGACY as LEGACY_LOG};
use crate::audit::chain::{ARCHIVES, CHECKPOINTS};
use crate::auth::credentials::CREDENTIALS;
use crate::auth::session::SESSIONS;
use crate::db::META;
use crate::notify::store as notify;
use crate::portal::directory::store as directory;
use crate::portal::discussions::store as discussions;
use crate::portal::documents::signatures as document_signatures;
use crate::portal::documents::store as documents;
use crate::portal::drafts::store as drafts;
use crate::portal::maintenance::store as maintenance;
use crate::portal::polls::store as polls;
use crate::portal::selfaudit::store as selfaudit;
use crate::sign::store as sign;

/// The registry. Add a line here with every new table.
///
/// The search index (I385 §6.6) has no redb table: it is a tantivy directory (`index/`)
/// derived from the tables below, left out of every backup and built again by the restore.
pub static TABLES: &[&dyn Table] = &[
    &Typed(META, Rows::Copy),
    &Typed(CREDENTIALS, Rows::Copy),
    &Typed(SESSIONS, Rows::Skip),
    &Typed(LEGACY_LOG, Rows::Copy),
    &Typed(LOG_BLOCKS, Rows::Copy),
    &Typed(CHECKPOINTS, Rows::Copy),
    &Typed(ARCHIVES, Rows::Copy),
    &Typed(directory::AGENCIES, Rows::Copy),
    &Typed(directory::AGENCY_CODES, Rows::Copy),
    &Typed(directory::DEPARTMENTS, Rows::Copy),
    &Typed(directory::USERS, Rows::Copy),
    &Typed(directory::LOGINS, Rows::Copy),
    &Typed(directory::GROUPS, Rows::Copy),
    &Typed(directory::GROUP_MEMBERS, Rows::Copy),
    &Typed(crate::portal::directory::external::DIRECTORY_LINKS, Rows::Copy),
    &Typed(crate::portal::ldap::store::SYNC_RUNS, Rows::Copy),
    &Typed(crate::portal::ldap::store::SETTINGS, Rows::Copy),
    &Typed(documents::DOCUMENTS, Rows::Copy),
    &Typed(documents::VERSIONS, Rows::Copy),
    &Typed(documents::COMMENTS, Rows::Copy),
    &Typed(documents::DESTRUCTIONS, Rows::Copy),
    &Typed(documents::DESTROYING, Rows::Copy),
    &Typed(document_signatures::SIGNATURES, Rows::Copy),
    &Typed(document_signatures::BY_CERT, Rows::Copy),
    &Typed(maintenance::WINDOWS, Rows::Copy),
    &Typed(selfaudit::RUNS, Rows::Copy),
    &Typed(notify::INBOX, Rows::Copy),
    &Typed(notify::UNREAD, Rows::Copy),
    // Mail not yet delivered is still owed to its recipients after a restore.
    &Typed(notify::OUTBOX, Rows::Copy),
    &Typed(drafts::DRAFTS, Rows::Copy),
    &Typed(drafts::BALLOTS, Rows::Copy),
    &Typed(drafts::OVERDUE, Rows::Copy),
    &Typed(polls::POLLS, Rows::Copy),
    &Typed(polls::BY_SUBJECT, Rows::Copy),
    &Typed(polls::DUE, Rows::Copy),
    &Typed(polls::BALLOTS, Rows::Copy),
    &Typed(polls::VOTERS, Rows::Copy),
    &Typed(polls::COUNTS, Rows::Copy),
    &Typed(discussions::DISCUSSIONS, Rows::Copy),
    &Typed(discussions::COMMENTS, Rows::Copy),
    &Typed(sign::CAS, Rows::Copy),
    &Typed(sign::CRLS, Rows::Copy),
    &Typed(sign::CRL_DER, Rows::Copy),
    &Typed(sign::CRL_CURRENT, Rows::Copy),
    &Typed(sign::USER_CERTS, Rows::Copy),
    &Typed(sign::USER_CERT_INDEX, Rows::Copy),
    // When each CRL source was last fetched and with what outcome (admin page, metrics).
    &Typed(crate::ops::crl_fetch::FETCHES, Rows::Copy),
    // The administrator's working-day calendar entries (decrees, Kurban Ait dates).
    &Typed(crate::calendar::store::ENTRIES, Rows::Copy),
    // The helpdesk: requests with their history, routing rules, teams.
    &Typed(crate::portal::helpdesk::store::TICKETS, Rows::Copy),
    &Typed(crate::portal::helpdesk::store::RULES, Rows::Copy),
    &Typed(crate::portal::helpdesk::store::TEAMS, Rows::Copy),
    // Improvement proposals with their supporters and review steps.
    &Typed(crate::portal::proposals::store::PROPOSALS, Rows::Copy),
    // Account requests (newcomers, leavers) with their outcomes.
    &Typed(crate::portal::account_requests::store::ACCOUNT_REQUESTS, Rows::Copy),
    // Training requests with their sessions and attendance.
    &Typed(crate::portal::trainings::store::TRAININGS, Rows::Copy),
    // Action plans (I385 §29–§37): plans, items with their tasks and reports, reminders sent.
    &Typed(crate::portal::plans::store::PLANS, Rows::Copy),
    &Typed(crate::portal::plans::store::ITEMS, Rows::Copy),
    &Typed(crate::portal::plans::store::REMINDED, Rows::Copy),
    // Headcount monitoring (I385 §26–§28): form definitions, campaigns, returns (accepted
    // ones never change), the index of returns by campaign and agency.
    &Typed(crate::portal::headcount::store::FORMS, Rows::Copy),
    &Typed(crate::portal::headcount::store::CAMPAIGNS, Rows::Copy),
    &Typed(crate::portal::headcount::store::RETURNS, Rows::Copy),
    &Typed(crate::portal::headcount::store::BY_CAMPAIGN, Rows::Copy),
    // Government meetings (I385 §38–§47): meetings with their agenda versions and attendance.
    &Typed(crate::portal::meetings::store::MEETINGS, Rows::Copy),
    // Reminders of control instructions (I385 §48–§51): instructions with their history,
    // records received and not yet refreshed, the import log, refreshes, connector tokens.
    &Typed(crate::portal::reminders::store::INSTRUCTIONS, Rows::Copy),
    &Typed(crate::portal::reminders::store::BY_RECORD, Rows::Copy),
    &Typed(crate::portal::reminders::store::BY_AGENCY, Rows::Copy),
    &Typed(crate::portal::reminders::store::PENDING, Rows::Copy),
    &Typed(crate::portal::reminders::store::IMPORTS, Rows::Copy),
    &Typed(crate::portal::reminders::store::REFRESHES, Rows::Copy),
    &Typed(crate::portal::reminders::store::TOKENS, Rows::Copy),
    // Surveys (I385 §7.8): who has answered and the answers, apart (see surveys/store.rs).
    &Typed(crate::portal::surveys::store::SURVEYS, Rows::Copy),
    &Typed(crate::portal::surveys::store::DUE, Rows::Copy),
    &Typed(crate::portal::surveys::store::RESPONDENTS, Rows::Copy),
    &Typed(crate::portal::surveys::store::RESPONSES, Rows::Copy),
    &Typed(crate::portal::surveys::store::DRAFTS, Rows::Copy),
    // Usage per agency (I617 §22): the daily aggregate of the access log and its mark.
    &Typed(crate::portal::usage::store::DAYS, Rows::Copy),
    &Typed(crate::portal::usage::store::STATE, Rows::Copy),
];

/// Names of tables present in the snapshot but missing from [`TABLES`].
pub fn unregistered(txn: &ReadTransaction) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for handle in txn.list_tables()? {
        if !TABLES.iter().any(|t| t.name() == handle.name()) {
            missing.push(handle.name().to_owned());
        }
    }
    if txn.list_multimap_tables()?.next().is_some() {
        missing.push("(multimap tables are not supported by the backup)".into());
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_a_complete_appliance_is_registered() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        let app = crate::app::App::open(config).unwrap();
        let txn = app.db.read().unwrap();
        assert_eq!(unregistered(&txn).unwrap(), Vec::<String>::new());
        let names: Vec<&str> = TABLES.iter().map(|t| t.name()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a table is listed twice");
        drop(txn);
        app.shutdown();
    }
}
