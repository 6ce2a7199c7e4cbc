//! Tables of the notification platform: inbox items, their unread counters, the outbox.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{Arg, InboxItem};
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

/// A mail waiting to be sent: the notice's words, rendered in the recipient's language
/// when sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutboxMessage {
    pub id: u64,
    pub to: String,
    pub user_id: u64,
    /// The notice's message key and arguments (see `notify::message`).
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub args: Vec<(String, Arg)>,
    /// Portal path the mail links to.
    #[serde(default)]
    pub link: String,
    /// The recipient's language when enqueued; used only if the account is gone.
    #[serde(default)]
    pub lang: String,
    /// Text of mail enqueued before notices were kept as words; sent as it is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    pub created: String,
    pub attempts: u32,
    /// UTC, stored form.
    pub next_attempt: String,
    pub status: MailStatus,
    pub last_error: String,
}

impl OutboxMessage {
    /// Subject and plain-text body in `lang`, with the link back to the portal and the
    /// footer.
    pub fn compose(
        &self,
        i18n: &crate::i18n::I18n,
        lang: &str,
        public_url: &str,
    ) -> (String, String) {
        if self.key.is_empty() {
            return (self.subject.clone(), self.text.clone());
        }
        let (subject, body) = super::message::render(i18n, lang, &self.key, &self.args);
        let link = format!("{}{}", public_url.trim_end_matches('/'), self.link);
        let text = format!("{body}\n\n{link}\n\n-- \n{}\n", i18n.text(lang, "mail-footer"));
        (subject, text)
    }
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

/// A person's items newest first: at most `limit`, those with ids below `before` if given
/// (the pager's "older" link); only the page's records are read.
pub fn inbox(
    txn: &ReadTransaction,
    user: u64,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<InboxItem>> {
    let table = txn.open_table(INBOX)?;
    let mut out = Vec::new();
    let newest = match before {
        Some(0) => return Ok(out),
        Some(b) => b - 1,
        None => u64::MAX,
    };
    for row in table.range((user, 0)..=(user, newest))?.rev().take(limit) {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn inbox_item_read(txn: &ReadTransaction, user: u64, id: u64) -> Result<Option<InboxItem>> {
    get_json(&txn.open_table(INBOX)?, (user, id))
}

/// Marks read the user's unread items that `matches`, newest first; the scan stops once
/// every unread item has been seen, so it costs no more than the unread items' depth.
/// Returns how many were marked.
pub fn mark_read_where(
    txn: &WriteTransaction,
    user: u64,
    matches: impl Fn(&InboxItem) -> bool,
) -> Result<u64> {
    let mut left = txn.open_table(UNREAD)?.get(user)?.map(|g| g.value()).unwrap_or(0);
    if left == 0 {
        return Ok(0);
    }
    let mut marked = Vec::new();
    {
        let table = txn.open_table(INBOX)?;
        for row in table.range((user, 0)..=(user, u64::MAX))?.rev() {
            let item: InboxItem = serde_json::from_slice(row?.1.value())?;
            if item.read {
                continue;
            }
            if matches(&item) {
                marked.push(item);
            }
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    let count = marked.len() as u64;
    for mut item in marked {
        item.read = true;
        put_inbox(txn, &item)?;
    }
    Ok(count)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: u64, user: u64, topic: &str) -> InboxItem {
        InboxItem {
            id,
            user_id: user,
            kind: "draft-sign".into(),
            args: Vec::new(),
            subject: String::new(),
            body: String::new(),
            link: String::new(),
            topic: topic.into(),
            created: String::new(),
            read: false,
        }
    }

    #[test]
    fn marking_by_topic_touches_only_that_topic_and_keeps_the_counter_exact() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        let app = crate::app::App::open(config).unwrap();
        app.db
            .write(|txn| {
                put_inbox(txn, &item(1, 7, "draft:1"))?;
                put_inbox(txn, &item(2, 7, "draft:2"))?;
                put_inbox(txn, &item(3, 7, "draft:1"))?;
                put_inbox(txn, &item(4, 8, "draft:1"))?;
                Ok(())
            })
            .unwrap();
        let marked = app.db.write(|txn| mark_read_where(txn, 7, |i| i.topic == "draft:1")).unwrap();
        assert_eq!(marked, 2);
        let txn = app.db.read().unwrap();
        assert_eq!(unread(&txn, 7).unwrap(), 1);
        assert_eq!(unread(&txn, 8).unwrap(), 1, "another person's notice stays unread");
        let left: Vec<u64> = inbox(&txn, 7, None, 10)
            .unwrap()
            .into_iter()
            .filter(|i| !i.read)
            .map(|i| i.id)
            .collect();
        assert_eq!(left, vec![2]);
        drop(txn);
        assert_eq!(app.db.write(|txn| mark_read_where(txn, 7, |_| true)).unwrap(), 1);
        assert_eq!(app.db.write(|txn| mark_read_where(txn, 7, |_| true)).unwrap(), 0);
        assert_eq!(unread(&app.db.read().unwrap(), 7).unwrap(), 0);
    }
}
