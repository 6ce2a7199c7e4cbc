//! Tables of the notification platform: inbox items, their unread counters, the outbox.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::InboxItem;
use crate::db::{get_json, to_json};
use crate::error::Result;

/// (user id, item id) → inbox item.
pub const INBOX: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("inbox");
/// user id → number of unread items.
pub const UNREAD: TableDefinition<u64, u64> = TableDefinition::new("inbox_unread");
/// message id → outgoing mail.
pub const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(INBOX)?;
    txn.open_table(UNREAD)?;
    txn.open_table(OUTBOX)?;
    Ok(())
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    Pending,
    Sent,
    /// Every attempt failed; waits for the administrator.
    Dead,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutboxMessage {
    pub id: u64,
    pub to: String,
    pub user_id: u64,
    pub subject: String,
    pub text: String,
    pub created: String,
    pub attempts: u32,
    /// UTC, stored form.
    pub next_attempt: String,
    pub status: MailStatus,
    pub last_error: String,
}

pub fn put_inbox(txn: &WriteTransaction, item: &InboxItem) -> Result<()> {
    let mut inbox = txn.open_table(INBOX)?;
    let was_unread =
        get_json::<(u64, u64), InboxItem, _>(&inbox, (item.user_id, item.id))?.map(|i| !i.read);
    inbox.insert((item.user_id, item.id), to_json(item)?.as_slice())?;
    let mut unread = txn.open_table(UNREAD)?;
    let count = unread.get(item.user_id)?.map(|g| g.value()).unwrap_or(0);
    let now_unread = !item.read;
    let count = match (was_unread, now_unread) {
        (None, true) | (Some(false), true) => count + 1,
        (Some(true), false) => count.saturating_sub(1),
        _ => count,
    };
    unread.insert(item.user_id, count)?;
    Ok(())
}

pub fn put_outbox(txn: &WriteTransaction, m: &OutboxMessage) -> Result<()> {
    txn.open_table(OUTBOX)?.insert(m.id, to_json(m)?.as_slice())?;
    Ok(())
}

pub fn unread(txn: &ReadTransaction, user: u64) -> Result<u64> {
    Ok(txn.open_table(UNREAD)?.get(user)?.map(|g| g.value()).unwrap_or(0))
}

/// The newest inbox items of a user.
pub fn inbox(txn: &ReadTransaction, user: u64, limit: usize) -> Result<Vec<InboxItem>> {
    let table = txn.open_table(INBOX)?;
    let mut out = Vec::new();
    for row in table.range((user, 0)..=(user, u64::MAX))?.rev().take(limit) {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn inbox_item(txn: &WriteTransaction, user: u64, id: u64) -> Result<Option<InboxItem>> {
    get_json(&txn.open_table(INBOX)?, (user, id))
}

pub fn outbox(txn: &ReadTransaction) -> Result<Vec<OutboxMessage>> {
    crate::db::all_json(&txn.open_table(OUTBOX)?)
}

pub fn outbox_message(txn: &WriteTransaction, id: u64) -> Result<Option<OutboxMessage>> {
    get_json(&txn.open_table(OUTBOX)?, id)
}
