//! The hash chain: entry format, tables, and appending inside a write transaction.
//!
//! Each entry is stored as `hash (32 bytes) || canonical JSON of the entry` (in blocks, one
//! row per commit: `blocks.rs`), where the JSON
//! includes the previous entry's hash and
//! `hash = sha256(previous hash || canonical JSON)`. Changing, removing, inserting or
//! reordering any entry breaks the chain at that point. The first entry's previous hash is
//! 32 zero bytes.

use std::borrow::BorrowMut;
use std::io::Write as _;

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::blocks;
use crate::actor::{Actor, Origin, Who};
use crate::db::META;
use crate::error::{Error, Result};

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

/// An entry serialised where its request was handled, without its place in the chain: the
/// JSON members between `"seq"` and `"prev"`, exactly as [`Entry`] serialises them. The
/// writer thread only frames it (`{"seq":N,` … `,"prev":"…"}`), hashes and stores it, so a
/// read request costs one buffer instead of a dozen strings allocated on one thread and freed
/// on another (docs/benchmarks.md).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pending {
    members: Vec<u8>,
}

/// [`Entry`]'s members between `seq` and `prev`, borrowed; same names, order and encoding.
#[derive(Serialize)]
struct Members<'a> {
    time: &'a str,
    actor: &'a str,
    actor_id: Option<u64>,
    agency: Option<&'a str>,
    ip: &'a str,
    channel: &'a str,
    method: &'a str,
    route: &'a str,
    resource: &'a str,
    operation: &'a str,
    outcome: &'a str,
    status: u16,
    duration_us: u64,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a serde_json::Value>,
}

impl Members<'_> {
    fn pending(&self) -> Pending {
        let mut members = Vec::with_capacity(512);
        serde_json::to_writer(&mut members, self).expect("an entry serialises");
        // `{…}` → `…`
        members.pop();
        members.remove(0);
        Pending { members }
    }
}

impl Pending {
    /// The entry of a request: like [`Entry::of`] with the route and detail given.
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        who: &Who,
        origin: &Origin,
        operation: &str,
        outcome: &str,
        status: u16,
        route: &str,
        detail: Option<&serde_json::Value>,
    ) -> Pending {
        let other;
        let (actor, actor_id, agency) = match who {
            Who::User(u) => (u.login.as_str(), Some(u.id), Some(u.agency_code.as_str())),
            Who::Operator { os_user } => {
                other = format!("cli:{os_user}");
                (other.as_str(), None, None)
            }
            Who::System(job) => {
                other = format!("system:{job}");
                (other.as_str(), None, None)
            }
            Who::Anonymous => ("-", None, None),
        };
        let time = crate::clock::utc_string(crate::clock::now());
        Members {
            time: &time,
            actor,
            actor_id,
            agency,
            ip: &origin.ip,
            channel: origin.channel.as_str(),
            method: &origin.method,
            route,
            resource: &origin.resource,
            operation,
            outcome,
            status,
            duration_us: origin.elapsed_us(),
            request_id: &origin.request_id,
            detail,
        }
        .pending()
    }

    /// An entry read back from the journal (`journal.rs`), as [`members`](Self::members)
    /// gave it.
    pub(super) fn from_members(members: Vec<u8>) -> Pending {
        Pending { members }
    }

    /// Replaces the members with `members`, keeping the buffer (the writer reuses its
    /// entries: `journal::Read`).
    pub(super) fn set_members(&mut self, members: &[u8]) {
        self.members.clear();
        self.members.extend_from_slice(members);
    }

    /// The serialised members, as the journal stores them.
    pub(super) fn members(&self) -> &[u8] {
        &self.members
    }

    pub fn from_entry(e: &Entry) -> Pending {
        Members {
            time: &e.time,
            actor: &e.actor,
            actor_id: e.actor_id,
            agency: e.agency.as_deref(),
            ip: &e.ip,
            channel: &e.channel,
            method: &e.method,
            route: &e.route,
            resource: &e.resource,
            operation: &e.operation,
            outcome: &e.outcome,
            status: e.status,
            duration_us: e.duration_us,
            request_id: &e.request_id,
            detail: e.detail.as_ref(),
        }
        .pending()
    }

    /// The stored value at `seq` after `prev`: `hash || {"seq":…,…,"prev":"…"}`.
    fn frame(&self, seq: u64, prev: &[u8; 32], value: &mut Vec<u8>) -> [u8; 32] {
        value.clear();
        value.extend_from_slice(&[0u8; 32]);
        value.extend_from_slice(b"{\"seq\":");
        // Written in place: the writer frames every entry, and two short-lived strings per
        // entry showed in its profile.
        write!(value, "{seq}").expect("writing to a Vec does not fail");
        value.push(b',');
        value.extend_from_slice(&self.members);
        value.extend_from_slice(b",\"prev\":\"");
        let mut prev_hex = [0u8; 64];
        hex::encode_to_slice(prev, &mut prev_hex).expect("32 bytes are 64 hex digits");
        value.extend_from_slice(&prev_hex);
        value.extend_from_slice(b"\"}");
        let hash = entry_hash(prev, &value[32..]);
        value[..32].copy_from_slice(&hash);
        hash
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
    let mut pending = Vec::new();
    let head = {
        let meta = txn.open_table(META)?;
        read_head(&meta)?
    };
    for (i, mut entry) in entries.into_iter().enumerate() {
        let entry = entry.borrow_mut();
        entry.seq = head.seq + 1 + i as u64;
        pending.push(Pending::from_entry(entry));
    }
    let head = append_pending(txn, pending.iter())?;
    Ok(head)
}

/// Appends entries serialised beforehand (see [`Pending`]); returns the new head.
pub fn append_pending<'a>(
    txn: &WriteTransaction,
    entries: impl IntoIterator<Item = &'a Pending>,
) -> Result<Head> {
    let mut meta = txn.open_table(META)?;
    let mut head = read_head(&meta)?;
    let mut blocks = blocks::Writer::new(txn, head.seq + 1)?;
    let mut value = Vec::with_capacity(512);
    for entry in entries {
        let seq = head.seq + 1;
        let hash = entry.frame(seq, &head.hash, &mut value);
        blocks.push(&value)?;
        head = Head { seq, hash };
    }
    blocks.finish()?;
    let mut head_value = [0u8; 40];
    head_value[..8].copy_from_slice(&head.seq.to_le_bytes());
    head_value[8..].copy_from_slice(&head.hash);
    meta.insert(HEAD_KEY, head_value.as_slice())?;
    Ok(head)
}

/// Creates the tables if they are missing.
pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(blocks::BLOCKS)?;
    txn.open_table(CHECKPOINTS)?;
    txn.open_table(ARCHIVES)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Channel;

    /// Framing a pending entry gives exactly the bytes serialising the whole entry gives, so
    /// the verifier, the viewer and the archives read both alike.
    #[test]
    fn pending_entries_frame_to_the_serialised_entry() {
        let origin = Origin::new(
            Channel::Http,
            "10.0.0.1".into(),
            "GET",
            "/documents/{id}".into(),
            "/documents/7?q=\"кавычки\"\n".into(),
        );
        for detail in [None, Some(serde_json::json!({"total": 3, "слово": "\u{1}"}))] {
            let mut entry = Entry::of(&Who::Anonymous, &origin, "page.view", "ok", 200);
            entry.route = "/documents/{id}".into();
            entry.detail = detail.clone();
            let pending = Pending::from_entry(&entry);
            let prev = [7u8; 32];
            let mut value = Vec::new();
            let hash = pending.frame(42, &prev, &mut value);
            entry.seq = 42;
            entry.prev = hex::encode(prev);
            let json = serde_json::to_vec(&entry).unwrap();
            assert_eq!(String::from_utf8_lossy(&value[32..]), String::from_utf8_lossy(&json));
            assert_eq!(hash, entry_hash(&prev, &json));
            assert_eq!(&value[..32], &hash);
            let of = Pending::of(
                &Who::Anonymous,
                &origin,
                "page.view",
                "ok",
                200,
                "/documents/{id}",
                detail.as_ref(),
            );
            // Only the time and the duration may differ (taken again).
            let fields = |p: &Pending| -> serde_json::Value {
                let mut v: serde_json::Value =
                    serde_json::from_slice(&[b"{", &p.members[..], b"}"].concat()).unwrap();
                v["time"] = serde_json::Value::Null;
                v["duration_us"] = serde_json::Value::Null;
                v
            };
            assert_eq!(fields(&of), fields(&pending));
        }
    }
}
