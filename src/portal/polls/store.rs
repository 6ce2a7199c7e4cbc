//! The voting engine's tables.
//!
//! A named ballot is one row keyed by (poll, seat). A secret ballot is written as two rows
//! of two tables that share nothing but the poll id:
//! - [`VOTERS`] — (poll, seat member) → `()`: who has voted, ordered by account id (never by
//!   the order of voting), with no time and no choice;
//! - [`COUNTS`] — (poll, choice) → number: a counter per option, with no voter, no time and
//!   no order of its own.
//!
//! No other row is written for a secret ballot (no id counter is taken, no notice, and the
//! access-log entry names the poll only), so nothing stored links a person to a choice.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::model::{Poll, Secrecy, State};
use crate::db::{get_json, to_json};
use crate::error::Result;

pub const POLLS: TableDefinition<u64, &[u8]> = TableDefinition::new("polls");
/// Polls of a subject: (subject, poll) → ().
pub const BY_SUBJECT: TableDefinition<(&str, u64), ()> = TableDefinition::new("poll_subjects");
/// When the job must look at a poll: (UTC stored time, poll) → (): the opening of a
/// scheduled poll, then the closing of an open one.
pub const DUE: TableDefinition<(&str, u64), ()> = TableDefinition::new("poll_due");
/// Named ballots: (poll, seat member) → [`NamedBallot`].
pub const BALLOTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("poll_ballots");
/// Secret polls, who has voted: (poll, seat member) → ().
pub const VOTERS: TableDefinition<(u64, u64), ()> = TableDefinition::new("poll_voters");
/// Secret polls, the counted choices: (poll, choice key) → ballots.
pub const COUNTS: TableDefinition<(u64, &str), u64> = TableDefinition::new("poll_counts");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(POLLS)?;
    txn.open_table(BY_SUBJECT)?;
    txn.open_table(DUE)?;
    txn.open_table(BALLOTS)?;
    txn.open_table(VOTERS)?;
    txn.open_table(COUNTS)?;
    Ok(())
}

/// A signature kept with a named ballot, with its verdict when it was cast.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BallotSignature {
    /// The CMS as received, base64.
    pub cms: String,
    pub verdict: crate::sign::Verdict,
}

/// One named ballot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedBallot {
    pub choice: String,
    /// Who cast it: the member, or their substitute.
    pub by: u64,
    pub at: String,
    #[serde(default)]
    pub signature: Option<BallotSignature>,
}

pub fn get(txn: &ReadTransaction, id: u64) -> Result<Option<Poll>> {
    get_json(&txn.open_table(POLLS)?, id)
}

pub fn get_in(txn: &WriteTransaction, id: u64) -> Result<Option<Poll>> {
    get_json(&txn.open_table(POLLS)?, id)
}

/// Writes the poll and keeps its due time in [`DUE`].
pub fn put(txn: &WriteTransaction, poll: &Poll, before: Option<&Poll>) -> Result<()> {
    let mut due = txn.open_table(DUE)?;
    if let Some(at) = before.and_then(due_time) {
        due.remove((at, poll.id))?;
    }
    if let Some(at) = due_time(poll) {
        due.insert((at, poll.id), ())?;
    }
    txn.open_table(POLLS)?.insert(poll.id, to_json(poll)?.as_slice())?;
    if before.is_none() {
        txn.open_table(BY_SUBJECT)?.insert((poll.subject.as_str(), poll.id), ())?;
    }
    Ok(())
}

fn due_time(poll: &Poll) -> Option<&str> {
    match poll.state {
        State::Scheduled => Some(poll.opens_at.as_str()),
        State::Open => Some(poll.closes_at.as_str()),
        State::Closed => None,
    }
}

/// Polls whose opening or closing time is at or before `now`.
pub fn due(txn: &ReadTransaction, now: &str) -> Result<Vec<u64>> {
    let table = txn.open_table(DUE)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (key, _) = row?;
        let (at, id) = key.value();
        if at > now {
            break;
        }
        out.push(id);
    }
    Ok(out)
}

/// The polls of a subject, oldest first.
pub fn of_subject(txn: &ReadTransaction, subject: &str) -> Result<Vec<u64>> {
    let table = txn.open_table(BY_SUBJECT)?;
    let mut out = Vec::new();
    for row in table.range((subject, 0)..=(subject, u64::MAX))? {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

pub fn named_ballots<T: ReadableTable<(u64, u64), &'static [u8]>>(
    table: &T,
    poll: u64,
) -> Result<Vec<(u64, NamedBallot)>> {
    let mut out = Vec::new();
    for row in table.range((poll, 0)..=(poll, u64::MAX))? {
        let (k, v) = row?;
        out.push((k.value().1, serde_json::from_slice(v.value())?));
    }
    Ok(out)
}

/// Seats that have voted, in either kind of poll.
pub fn voted_seats(txn: &ReadTransaction, poll: &Poll) -> Result<Vec<u64>> {
    Ok(match poll.secrecy {
        Secrecy::Named => {
            named_ballots(&txn.open_table(BALLOTS)?, poll.id)?.into_iter().map(|b| b.0).collect()
        }
        Secrecy::Secret => {
            let table = txn.open_table(VOTERS)?;
            let mut out = Vec::new();
            for row in table.range((poll.id, 0)..=(poll.id, u64::MAX))? {
                out.push(row?.0.value().1);
            }
            out
        }
    })
}

pub fn seat_voted_in(txn: &WriteTransaction, poll: &Poll, member: u64) -> Result<bool> {
    Ok(match poll.secrecy {
        Secrecy::Named => txn.open_table(BALLOTS)?.get((poll.id, member))?.is_some(),
        Secrecy::Secret => txn.open_table(VOTERS)?.get((poll.id, member))?.is_some(),
    })
}

pub fn put_named(txn: &WriteTransaction, poll: u64, member: u64, b: &NamedBallot) -> Result<()> {
    txn.open_table(BALLOTS)?.insert((poll, member), to_json(b)?.as_slice())?;
    Ok(())
}

/// Records a secret ballot: the seat in [`VOTERS`], one more in the choice's counter.
pub fn put_secret(txn: &WriteTransaction, poll: u64, member: u64, choice: &str) -> Result<()> {
    txn.open_table(VOTERS)?.insert((poll, member), ())?;
    let mut counts = txn.open_table(COUNTS)?;
    let now = counts.get((poll, choice))?.map(|v| v.value()).unwrap_or(0);
    counts.insert((poll, choice), now + 1)?;
    Ok(())
}

/// The counted choices of a poll from its stored ballots, in option order.
pub fn counts(txn: &ReadTransaction, poll: &Poll) -> Result<Vec<(String, u64)>> {
    count_with(&txn.open_table(BALLOTS)?, &txn.open_table(COUNTS)?, poll)
}

/// [`counts`] inside a write transaction (closing).
pub fn counts_in(txn: &WriteTransaction, poll: &Poll) -> Result<Vec<(String, u64)>> {
    count_with(&txn.open_table(BALLOTS)?, &txn.open_table(COUNTS)?, poll)
}

fn count_with(
    ballots: &impl ReadableTable<(u64, u64), &'static [u8]>,
    counters: &impl ReadableTable<(u64, &'static str), u64>,
    poll: &Poll,
) -> Result<Vec<(String, u64)>> {
    let mut out: Vec<(String, u64)> = poll.options.iter().map(|o| (o.clone(), 0)).collect();
    match poll.secrecy {
        Secrecy::Named => {
            for (_, b) in named_ballots(ballots, poll.id)? {
                if let Some(c) = out.iter_mut().find(|(k, _)| *k == b.choice) {
                    c.1 += 1;
                }
            }
        }
        Secrecy::Secret => {
            for (key, n) in out.iter_mut() {
                *n = counters.get((poll.id, key.as_str()))?.map(|v| v.value()).unwrap_or(0);
            }
        }
    }
    Ok(out)
}
