//! The surveys' tables, and why an anonymous response cannot be linked to its respondent.
//!
//! A response is written as two rows of two tables that share nothing but the survey id:
//! - [`RESPONDENTS`] — (survey, account) → `()`: who has answered, ordered by account id
//!   (never by the order of answering), with no time and no answer; it serves "once per
//!   person", the response rate and the reminders;
//! - [`RESPONSES`] — (survey, random 64-bit key) → [`Response`]: the answers, the
//!   respondent's agency and department for breakdowns shown only to groups of at least k,
//!   and — in named surveys only — the person and the day. An anonymous response carries no
//!   time at all (the requirement allows the day; but the access log holds the time of each
//!   person's submission, and a day shared by few responses of a department would point at
//!   them). The key is drawn from the operating system's random source, so the rows' order
//!   follows nothing.
//!
//! No id counter is taken for a response, the survey's own record is not touched (frozen is
//! derived from [`RESPONDENTS`]), no notice is sent and the access-log entry names the
//! survey only, so nothing stored links a person to an answer of an anonymous survey.
//! What remains is inference from small groups (the only respondent of a department):
//! results never show a group under the survey's k apart (`results.rs`).

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::model::{Answers, State, Survey};
use crate::db::{all_json, get_json, to_json};
use crate::error::Result;

pub const SURVEYS: TableDefinition<u64, &[u8]> = TableDefinition::new("surveys");
/// When the job must look at a survey: (UTC stored time, survey) → (): the opening of a
/// scheduled survey, then the closing of an open one.
pub const DUE: TableDefinition<(&str, u64), ()> = TableDefinition::new("survey_due");
/// Who has answered: (survey, account) → ().
pub const RESPONDENTS: TableDefinition<(u64, u64), ()> = TableDefinition::new("survey_respondents");
/// The answers: (survey, random key) → [`Response`].
pub const RESPONSES: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("survey_responses");
/// A named survey's answers in progress: (survey, account) → [`Draft`]. Anonymous surveys
/// never write here: their pages carry the earlier pages' answers in the form itself, so
/// nothing on the server holds a person's unfinished answers.
pub const DRAFTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("survey_drafts");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(SURVEYS)?;
    txn.open_table(DUE)?;
    txn.open_table(RESPONDENTS)?;
    txn.open_table(RESPONSES)?;
    txn.open_table(DRAFTS)?;
    Ok(())
}

/// One response. `person` and `day` are set in named surveys only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The local day of the answer (`2026-12-04`), never a finer time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    pub agency: u64,
    #[serde(default)]
    pub department: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<u64>,
    pub answers: Answers,
}

pub fn all(txn: &ReadTransaction) -> Result<Vec<Survey>> {
    all_json(&txn.open_table(SURVEYS)?)
}

pub fn get(txn: &ReadTransaction, id: u64) -> Result<Option<Survey>> {
    get_json(&txn.open_table(SURVEYS)?, id)
}

pub fn get_in(txn: &WriteTransaction, id: u64) -> Result<Option<Survey>> {
    get_json(&txn.open_table(SURVEYS)?, id)
}

/// Writes the survey and keeps its due time in [`DUE`].
pub fn put(txn: &WriteTransaction, s: &Survey, before: Option<&Survey>) -> Result<()> {
    let mut due = txn.open_table(DUE)?;
    if let Some(at) = before.and_then(due_time) {
        due.remove((at, s.id))?;
    }
    if let Some(at) = due_time(s) {
        due.insert((at, s.id), ())?;
    }
    txn.open_table(SURVEYS)?.insert(s.id, to_json(s)?.as_slice())?;
    Ok(())
}

fn due_time(s: &Survey) -> Option<&str> {
    match s.state {
        State::Scheduled => Some(s.opens_at.as_str()),
        State::Open => Some(s.closes_at.as_str()),
        State::Draft | State::Closed => None,
    }
}

/// Surveys whose opening or closing time is at or before `now`.
pub fn due(txn: &ReadTransaction, now: &str) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for row in txn.open_table(DUE)?.iter()? {
        let (key, _) = row?;
        let (at, id) = key.value();
        if at > now {
            break;
        }
        out.push(id);
    }
    Ok(out)
}

pub fn has_answered_in(txn: &WriteTransaction, survey: u64, person: u64) -> Result<bool> {
    Ok(txn.open_table(RESPONDENTS)?.get((survey, person))?.is_some())
}

/// Whether anyone has answered: the survey's questions are frozen.
pub fn any_respondent_in(txn: &WriteTransaction, survey: u64) -> Result<bool> {
    Ok(txn.open_table(RESPONDENTS)?.range((survey, 0)..=(survey, u64::MAX))?.next().is_some())
}

pub fn any_respondent(txn: &ReadTransaction, survey: u64) -> Result<bool> {
    Ok(txn.open_table(RESPONDENTS)?.range((survey, 0)..=(survey, u64::MAX))?.next().is_some())
}

pub fn has_answered(txn: &ReadTransaction, survey: u64, person: u64) -> Result<bool> {
    Ok(txn.open_table(RESPONDENTS)?.get((survey, person))?.is_some())
}

/// Who has answered, by account id.
pub fn respondents(txn: &ReadTransaction, survey: u64) -> Result<Vec<u64>> {
    let table = txn.open_table(RESPONDENTS)?;
    let mut out = Vec::new();
    for row in table.range((survey, 0)..=(survey, u64::MAX))? {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

/// A named survey's unfinished answers: the page to come back to and what was answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub section: usize,
    pub answers: Answers,
}

pub fn draft(txn: &ReadTransaction, survey: u64, person: u64) -> Result<Option<Draft>> {
    match txn.open_table(DRAFTS)?.get((survey, person))? {
        Some(v) => Ok(Some(serde_json::from_slice(v.value())?)),
        None => Ok(None),
    }
}

pub fn put_draft(txn: &WriteTransaction, survey: u64, person: u64, d: &Draft) -> Result<()> {
    txn.open_table(DRAFTS)?.insert((survey, person), to_json(d)?.as_slice())?;
    Ok(())
}

/// Records that `person` answered and, apart, what was answered under a random key; a
/// named survey's draft goes with the answer.
pub fn put_response(txn: &WriteTransaction, survey: u64, person: u64, r: &Response) -> Result<()> {
    txn.open_table(DRAFTS)?.remove((survey, person))?;
    txn.open_table(RESPONDENTS)?.insert((survey, person), ())?;
    let mut responses = txn.open_table(RESPONSES)?;
    let key = loop {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(crate::error::Error::internal)?;
        let key = u64::from_le_bytes(bytes);
        if responses.get((survey, key))?.is_none() {
            break key;
        }
    };
    responses.insert((survey, key), to_json(r)?.as_slice())?;
    Ok(())
}

/// The responses of a survey, in the order of their random keys.
pub fn responses(txn: &ReadTransaction, survey: u64) -> Result<Vec<Response>> {
    let table = txn.open_table(RESPONSES)?;
    let mut out = Vec::new();
    for row in table.range((survey, 0)..=(survey, u64::MAX))? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}
