//! The reminders' tables. An import writes only `PENDING` (the latest state of each
//! instruction received since the last refresh, with every version received); a refresh
//! applies it to `INSTRUCTIONS` (what people see) and empties it, so people see a change
//! at the configured times only (§51) and a refresh touches only what changed.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::model::{Record, RecordError, Source};
use crate::db::{get_json, to_json};
use crate::error::Result;

/// id → [`Instruction`].
pub const INSTRUCTIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("reminder_instructions");
/// (source, the source's record id) → instruction id.
pub const BY_RECORD: TableDefinition<(&str, &str), u64> =
    TableDefinition::new("reminder_by_record");
/// (agency id, instruction id) → (): the visible instructions of each agency (0: the
/// executor agency is not known to the portal).
pub const BY_AGENCY: TableDefinition<(u64, u64), ()> = TableDefinition::new("reminder_by_agency");
/// (source, record id) → [`Pending`]: received, not yet refreshed.
pub const PENDING: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("reminder_pending");
/// id → [`ImportLog`].
pub const IMPORTS: TableDefinition<u64, &[u8]> = TableDefinition::new("reminder_imports");
/// source → [`RefreshState`].
pub const REFRESHES: TableDefinition<&str, &[u8]> = TableDefinition::new("reminder_refreshes");
/// sha256 of a connector token → [`Token`].
pub const TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("reminder_tokens");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(INSTRUCTIONS)?;
    txn.open_table(BY_RECORD)?;
    txn.open_table(BY_AGENCY)?;
    txn.open_table(PENDING)?;
    txn.open_table(IMPORTS)?;
    txn.open_table(REFRESHES)?;
    txn.open_table(TOKENS)?;
    Ok(())
}

/// What happened to an instruction, for its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Shown for the first time.
    Appeared,
    /// Shown with new values.
    Changed,
    /// Received, then replaced by a newer version before a refresh showed it.
    Superseded,
    /// Executed or taken off control: no longer shown.
    Dropped,
    /// Shown again after it had dropped out.
    Returned,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub event: Event,
    /// When the version was received (UTC).
    pub received: String,
    /// The refresh that applied it (UTC).
    pub refreshed: String,
    pub record: Record,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instruction {
    pub id: u64,
    pub source: Source,
    pub record: Record,
    /// The executor agency in the portal; `None` until the administrator maps its name.
    pub agency: Option<u64>,
    pub visible: bool,
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    pub received: String,
    pub import: u64,
    pub record: Record,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pending {
    pub versions: Vec<Version>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every record accepted.
    Imported,
    /// The good records kept, the refused ones listed (`on_error = "keep_valid"`).
    Partial,
    /// Nothing kept.
    Refused,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportLog {
    pub id: u64,
    pub at: String,
    pub source: Option<Source>,
    /// `http`, `directory` or `cli`.
    pub channel: String,
    /// Who sent it (the connector's login, the file's name).
    pub by: String,
    pub file: String,
    pub bytes: u64,
    pub encoding: String,
    pub outcome: Outcome,
    /// Records read.
    pub received: u64,
    /// New or changed, waiting for the next refresh.
    pub accepted: u64,
    /// Identical to what is already known (an import sent twice changes nothing).
    pub unchanged: u64,
    pub refused: u64,
    /// The whole file's problem, when it was refused before its records were read.
    pub file_error: Option<String>,
    /// The first refused records (all of them are counted in `refused`).
    pub errors: Vec<RecordError>,
    /// Executor agencies the portal does not know (kept, shown to no controller until mapped).
    pub unknown_agencies: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefreshCounts {
    pub new: u64,
    pub changed: u64,
    pub dropped: u64,
    pub newly_overdue: u64,
    pub visible: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshState {
    /// The scheduled time this refresh stood for (UTC), or the time of a manual one.
    pub slot: String,
    /// When it ran (UTC).
    pub at: String,
    pub counts: RefreshCounts,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub id: u64,
    pub user_id: u64,
    pub login: String,
    pub label: String,
    pub issued: String,
    pub revoked: Option<String>,
}

pub fn instruction(txn: &ReadTransaction, id: u64) -> Result<Option<Instruction>> {
    get_json(&txn.open_table(INSTRUCTIONS)?, id)
}

pub fn instruction_in(txn: &WriteTransaction, id: u64) -> Result<Option<Instruction>> {
    get_json(&txn.open_table(INSTRUCTIONS)?, id)
}

pub fn put_instruction(txn: &WriteTransaction, i: &Instruction, was: Option<u64>) -> Result<()> {
    txn.open_table(INSTRUCTIONS)?.insert(i.id, to_json(i)?.as_slice())?;
    let mut by_agency = txn.open_table(BY_AGENCY)?;
    if let Some(old) = was {
        by_agency.remove((old, i.id))?;
    }
    if i.visible {
        by_agency.insert((i.agency.unwrap_or(0), i.id), ())?;
    }
    Ok(())
}

/// The visible instructions addressed to an agency (0: to agencies not yet mapped).
pub fn of_agency(txn: &ReadTransaction, agency: u64) -> Result<Vec<Instruction>> {
    let index = txn.open_table(BY_AGENCY)?;
    let table = txn.open_table(INSTRUCTIONS)?;
    let mut out = Vec::new();
    for row in index.range((agency, 0)..=(agency, u64::MAX))? {
        let id = row?.0.value().1;
        if let Some(i) = get_json(&table, id)? {
            out.push(i);
        }
    }
    Ok(out)
}

/// Every instruction (visible or not), for the source's refresh and administrative views.
pub fn all(txn: &ReadTransaction) -> Result<Vec<Instruction>> {
    let table = txn.open_table(INSTRUCTIONS)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn id_of(txn: &WriteTransaction, source: Source, record_id: &str) -> Result<Option<u64>> {
    Ok(txn.open_table(BY_RECORD)?.get((source.name(), record_id))?.map(|g| g.value()))
}

pub fn pending_in(
    txn: &WriteTransaction,
    source: Source,
    record_id: &str,
) -> Result<Option<Pending>> {
    get_json(&txn.open_table(PENDING)?, (source.name(), record_id))
}

pub fn put_pending(txn: &WriteTransaction, source: Source, p: &Pending) -> Result<()> {
    let Some(last) = p.versions.last() else { return Ok(()) };
    txn.open_table(PENDING)?
        .insert((source.name(), last.record.record_id.as_str()), to_json(p)?.as_slice())?;
    Ok(())
}

/// Takes every pending version of a source (the refresh applies them).
pub fn take_pending(txn: &WriteTransaction, source: Source) -> Result<Vec<Pending>> {
    let mut table = txn.open_table(PENDING)?;
    let name = source.name();
    let mut out = Vec::new();
    let mut keys = Vec::new();
    for row in table.range((name, "")..)? {
        let (k, v) = row?;
        if k.value().0 != name {
            break;
        }
        keys.push(k.value().1.to_owned());
        out.push(serde_json::from_slice(v.value())?);
    }
    for k in keys {
        table.remove((name, k.as_str()))?;
    }
    Ok(out)
}

pub fn pending_count(txn: &ReadTransaction, source: Source) -> Result<u64> {
    let table = txn.open_table(PENDING)?;
    let name = source.name();
    let mut n = 0;
    for row in table.range((name, "")..)? {
        if row?.0.value().0 != name {
            break;
        }
        n += 1;
    }
    Ok(n)
}

pub fn put_import(txn: &WriteTransaction, log: &ImportLog) -> Result<()> {
    txn.open_table(IMPORTS)?.insert(log.id, to_json(log)?.as_slice())?;
    Ok(())
}

pub fn imports(txn: &ReadTransaction, limit: usize) -> Result<Vec<ImportLog>> {
    let table = txn.open_table(IMPORTS)?;
    let mut out = Vec::new();
    for row in table.iter()?.rev().take(limit) {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn refresh_state(txn: &ReadTransaction, source: Source) -> Result<Option<RefreshState>> {
    get_json(&txn.open_table(REFRESHES)?, source.name())
}

pub fn refresh_state_in(txn: &WriteTransaction, source: Source) -> Result<Option<RefreshState>> {
    get_json(&txn.open_table(REFRESHES)?, source.name())
}

pub fn put_refresh_state(txn: &WriteTransaction, source: Source, s: &RefreshState) -> Result<()> {
    txn.open_table(REFRESHES)?.insert(source.name(), to_json(s)?.as_slice())?;
    Ok(())
}

pub fn token(txn: &ReadTransaction, hash: &[u8]) -> Result<Option<Token>> {
    get_json(&txn.open_table(TOKENS)?, hash)
}

pub fn put_token(txn: &WriteTransaction, hash: &[u8], t: &Token) -> Result<()> {
    txn.open_table(TOKENS)?.insert(hash, to_json(t)?.as_slice())?;
    Ok(())
}

pub fn tokens_in(txn: &WriteTransaction) -> Result<Vec<(Vec<u8>, Token)>> {
    let table = txn.open_table(TOKENS)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        out.push((k.value().to_vec(), serde_json::from_slice(v.value())?));
    }
    Ok(out)
}
