//! The hash chain: entry format, tables, and appending inside a write transaction.
//!
//! Each stored value is `hash (32 bytes) || canonical JSON of the entry`, where the JSON
//! includes the previous entry's hash and
//! `hash = sha256(previous hash || canonical JSON)`. Changing, removing, inserting or
//! reordering any entry breaks the chain at that point. The first entry's previous hash is
//! 32 zero bytes.

use std::borrow::BorrowMut;

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::actor::{Actor, Origin, Who};
use crate::db::META;
use crate::error::{Error, Result};

/// Live entries by sequence number.
pub const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log");
/// Signed checkpoints by the sequence number they cover.
pub const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_checkpoints");
/// Archives made so far, by the first sequence number they hold.
pub const ARCHIVES: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_archives");

/// `meta` key of the chain head: `seq (8 bytes LE) || hash (32 bytes)`.
const HEAD_KEY: &str = "audit_head";

pub const GENESIS: [u8; 32] = [0; 32];

/// One access-log entry (R365 §7–§8: time, who, from where, what was reached, how it ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    /// UTC, fixed width, microseconds.
    pub time: String,
    /// Login, `cli:<os user>`, `system:<job>` or `-`.
    pub actor: String,
    pub actor_id: Option<u64>,
    pub agency: Option<String>,
    /// Client address (after trusted-proxy resolution), or `local` for the admin socket.
    pub ip: String,
    /// `http`, `admin` or `system`.
    pub channel: String,
    pub method: String,
    /// The route pattern (`/api/v1/users/{id}`) or admin command.
    pub route: String,
    /// The concrete resource reached (path with object ids).
    pub resource: String,
    /// The operation: the policy action checked, or a named use case.
    pub operation: String,
    /// `ok`, `denied`, `failed`, `invalid` or `error`.
    pub outcome: String,
    /// HTTP status (0 for admin-socket and system actions that have none).
    pub status: u16,
    pub duration_us: u64,
    pub request_id: String,
    /// Extra facts for some operations (e.g. a destruction certificate). Never content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    /// Hex of the previous entry's hash.
    pub prev: String,
}

impl Entry {
    /// A draft entry for an action by `actor`; `seq` and `prev` are set when appended.
    pub fn draft(actor: &Actor, operation: &str, outcome: &str, status: u16) -> Entry {
        Entry::of(&actor.who, &actor.origin, operation, outcome, status)
    }

    /// Like [`draft`](Self::draft) from the parts of an actor, so the HTTP layer can log a
    /// request without copying who made it first.
    pub fn of(who: &Who, origin: &Origin, operation: &str, outcome: &str, status: u16) -> Entry {
        let (actor, actor_id, agency) = match who {
            Who::User(u) => (u.login.clone(), Some(u.id), Some(u.agency_code.clone())),
            Who::Operator { os_user } => (format!("cli:{os_user}"), None, None),
            Who::System(job) => (format!("system:{job}"), None, None),
            Who::Anonymous => ("-".to_owned(), None, None),
        };
        Entry {
            seq: 0,
            time: crate::clock::utc_string(crate::clock::now()),
            actor,
            actor_id,
            agency,
            ip: origin.ip.clone(),
            channel: origin.channel.as_str().to_owned(),
            method: origin.method.clone(),
            route: origin.route.clone(),
            resource: origin.resource.clone(),
            operation: operation.to_owned(),
            outcome: outcome.to_owned(),
            status,
            duration_us: origin.elapsed_us(),
            request_id: origin.request_id.clone(),
            detail: None,
            prev: String::new(),
        }
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Entry {
        self.detail = Some(detail);
        self
    }
}

/// `hash = sha256(prev || json)`.
pub fn entry_hash(prev: &[u8; 32], json: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(json);
    h.finalize().into()
}

/// Splits a stored value into its hash and JSON.
pub fn split_value(value: &[u8]) -> Option<([u8; 32], &[u8])> {
    if value.len() < 33 {
        return None;
    }
    let (hash, json) = value.split_at(32);
    Some((hash.try_into().ok()?, json))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: [u8; 32],
}

pub fn read_head<T: ReadableTable<&'static str, &'static [u8]>>(meta: &T) -> Result<Head> {
    match meta.get(HEAD_KEY)? {
        None => Ok(Head { seq: 0, hash: GENESIS }),
        Some(v) => {
            let v = v.value();
            if v.len() != 40 {
                return Err(Error::internal("audit head record is damaged"));
            }
            Ok(Head {
                seq: u64::from_le_bytes(v[..8].try_into().expect("8 bytes")),
                hash: v[8..].try_into().expect("32 bytes"),
            })
        }
    }
}

/// Appends entries to the chain inside `txn` (setting their `seq` and `prev`); returns the
/// new head. Takes entries by value or as `&mut Entry`, so the group-commit writer can keep
/// its batch for a retry without copying it.
pub fn append_all<E: BorrowMut<Entry>>(
    txn: &WriteTransaction,
    entries: impl IntoIterator<Item = E>,
) -> Result<Head> {
    let mut meta = txn.open_table(META)?;
    let mut log = txn.open_table(LOG)?;
    let mut head = read_head(&meta)?;
    let mut value = Vec::with_capacity(512);
    for mut entry in entries {
        let entry = entry.borrow_mut();
        entry.seq = head.seq + 1;
        entry.prev = hex::encode(head.hash);
        value.clear();
        value.extend_from_slice(&[0u8; 32]);
        serde_json::to_writer(&mut value, &*entry)?;
        let hash = entry_hash(&head.hash, &value[32..]);
        value[..32].copy_from_slice(&hash);
        log.insert(entry.seq, value.as_slice())?;
        head = Head { seq: entry.seq, hash };
    }
    let mut head_value = [0u8; 40];
    head_value[..8].copy_from_slice(&head.seq.to_le_bytes());
    head_value[8..].copy_from_slice(&head.hash);
    meta.insert(HEAD_KEY, head_value.as_slice())?;
    Ok(head)
}

/// Creates the tables if they are missing.
pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(LOG)?;
    txn.open_table(CHECKPOINTS)?;
    txn.open_table(ARCHIVES)?;
    Ok(())
}
