//! Server-side sessions.
//!
//! The browser holds a 256-bit random token; the server keeps only its sha256, so neither
//! the database nor a backup holds a usable token. Sessions end by logout, by idle or
//! absolute timeout, and when the account is disabled or its password changes. The map in
//! memory is authoritative while the server runs; rows in redb let sessions survive a
//! restart, and `last_seen` is written back lazily (at most once a minute per session).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use parking_lot::{Mutex, RwLock};
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::actor::UserIdentity;
use crate::db::Db;
use crate::error::Result;

pub const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions");

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub user_id: u64,
    /// Unix seconds.
    pub created: i64,
    pub last_seen: i64,
    pub csrf: String,
}

struct Live {
    user_id: u64,
    created: i64,
    last_seen: AtomicI64,
    persisted_last_seen: AtomicI64,
    csrf: String,
    /// Identity resolved for this session, with the directory generation it was built at.
    identity: Mutex<Option<(u64, Arc<UserIdentity>)>>,
}

/// A session found valid.
#[derive(Clone)]
pub struct SessionView {
    pub key: [u8; 32],
    pub user_id: u64,
    pub csrf: String,
    pub cached_identity: Option<(u64, Arc<UserIdentity>)>,
}

pub enum Lookup {
    Valid(SessionView),
    Expired,
    Unknown,
}

/// A session created inside a transaction, to be activated after it commits.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    key: [u8; 32],
    record: SessionRecord,
}

pub struct Sessions {
    map: RwLock<HashMap<[u8; 32], Live>>,
    idle_secs: i64,
    absolute_secs: i64,
}

pub fn key_of(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn unix_now() -> i64 {
    crate::clock::now().as_second()
}

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(SESSIONS)?;
    Ok(())
}

impl Sessions {
    pub fn new(idle_seconds: u64, absolute_seconds: u64) -> Sessions {
        Sessions {
            map: RwLock::new(HashMap::new()),
            idle_secs: idle_seconds as i64,
            absolute_secs: absolute_seconds as i64,
        }
    }

    /// Loads unexpired sessions from the database (at server start).
    pub fn load(&self, db: &Db) -> Result<usize> {
        let txn = db.read()?;
        let table = txn.open_table(SESSIONS)?;
        let now = unix_now();
        let mut map = self.map.write();
        for row in table.iter()? {
            let (k, v) = row?;
            let Ok(key) = <[u8; 32]>::try_from(k.value()) else { continue };
            let Ok(rec) = serde_json::from_slice::<SessionRecord>(v.value()) else { continue };
            if self.expired(rec.created, rec.last_seen, now) {
                continue;
            }
            map.insert(key, live_from(&rec));
        }
        Ok(map.len())
    }

    fn expired(&self, created: i64, last_seen: i64, now: i64) -> bool {
        now - last_seen > self.idle_secs || now - created > self.absolute_secs
    }

    /// Writes a new session row inside `txn`.
    pub fn create_in(&self, txn: &WriteTransaction, user_id: u64) -> Result<NewSession> {
        let token = crate::secret::token();
        let csrf = crate::secret::token();
        let now = unix_now();
        let record = SessionRecord { user_id, created: now, last_seen: now, csrf: csrf.clone() };
        let key = key_of(&token);
        txn.open_table(SESSIONS)?
            .insert(key.as_slice(), serde_json::to_vec(&record)?.as_slice())?;
        Ok(NewSession { token, csrf, key, record })
    }

    /// Makes a committed session usable.
    pub fn activate(&self, new: &NewSession) {
        self.map.write().insert(new.key, live_from(&new.record));
    }

    /// Finds a session by token and marks it used.
    pub fn lookup(&self, token: &str) -> Lookup {
        let key = key_of(token);
        let now = unix_now();
        {
            let map = self.map.read();
            match map.get(&key) {
                None => return Lookup::Unknown,
                Some(live)
                    if !self.expired(live.created, live.last_seen.load(Ordering::Relaxed), now) =>
                {
                    live.last_seen.store(now, Ordering::Relaxed);
                    return Lookup::Valid(SessionView {
                        key,
                        user_id: live.user_id,
                        csrf: live.csrf.clone(),
                        cached_identity: live.identity.lock().clone(),
                    });
                }
                Some(_) => {}
            }
        }
        self.map.write().remove(&key);
        Lookup::Expired
    }

    /// Whether the session with this key is still open (live streams end with it).
    pub fn is_active(&self, key: &[u8; 32]) -> bool {
        let now = unix_now();
        self.map
            .read()
            .get(key)
            .is_some_and(|l| !self.expired(l.created, l.last_seen.load(Ordering::Relaxed), now))
    }

    pub fn cache_identity(&self, key: &[u8; 32], generation: u64, identity: Arc<UserIdentity>) {
        if let Some(live) = self.map.read().get(key) {
            *live.identity.lock() = Some((generation, identity));
        }
    }

    /// Deletes one session row inside `txn`; call [`forget`](Self::forget) after commit.
    pub fn end_in(&self, txn: &WriteTransaction, key: &[u8; 32]) -> Result<()> {
        txn.open_table(SESSIONS)?.remove(key.as_slice())?;
        Ok(())
    }

    /// Deletes every session of a user inside `txn`; returns their keys for [`forget`].
    pub fn end_user_in(&self, txn: &WriteTransaction, user_id: u64) -> Result<Vec<[u8; 32]>> {
        let mut table = txn.open_table(SESSIONS)?;
        let mut keys = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            if serde_json::from_slice::<SessionRecord>(v.value())
                .is_ok_and(|r| r.user_id == user_id)
                && let Ok(key) = <[u8; 32]>::try_from(k.value())
            {
                keys.push(key);
            }
        }
        for key in &keys {
            table.remove(key.as_slice())?;
        }
        // Sessions only in memory (never persisted yet) are ended too.
        keys.extend(self.map.read().iter().filter(|(_, l)| l.user_id == user_id).map(|(k, _)| *k));
        Ok(keys)
    }

    pub fn forget(&self, keys: &[[u8; 32]]) {
        let mut map = self.map.write();
        for key in keys {
            map.remove(key);
        }
    }

    /// Ends expired sessions and writes `last_seen` back; run once a minute.
    pub fn sweep(&self, db: &Db) -> Result<()> {
        let now = unix_now();
        let mut expired = Vec::new();
        let mut touched = Vec::new();
        {
            let map = self.map.read();
            for (key, live) in map.iter() {
                let seen = live.last_seen.load(Ordering::Relaxed);
                if self.expired(live.created, seen, now) {
                    expired.push(*key);
                } else if seen - live.persisted_last_seen.load(Ordering::Relaxed) >= 60 {
                    touched.push((*key, seen));
                }
            }
        }
        self.forget(&expired);
        db.write(|txn| {
            let mut table = txn.open_table(SESSIONS)?;
            // Rows of sessions that expired while the server was down, and those just found.
            let mut stale = Vec::new();
            for row in table.iter()? {
                let (k, v) = row?;
                match serde_json::from_slice::<SessionRecord>(v.value()) {
                    Ok(r)
                        if !self.expired(
                            r.created,
                            r.last_seen.max(self.seen_in_memory(k.value())),
                            now,
                        ) => {}
                    _ => stale.push(k.value().to_vec()),
                }
            }
            for k in stale {
                table.remove(k.as_slice())?;
            }
            for (key, seen) in &touched {
                let existing = table.get(key.as_slice())?.map(|v| v.value().to_vec());
                if let Some(bytes) = existing
                    && let Ok(mut rec) = serde_json::from_slice::<SessionRecord>(&bytes)
                {
                    rec.last_seen = *seen;
                    table.insert(key.as_slice(), serde_json::to_vec(&rec)?.as_slice())?;
                }
            }
            Ok(())
        })?;
        let map = self.map.read();
        for (key, seen) in touched {
            if let Some(live) = map.get(&key) {
                live.persisted_last_seen.store(seen, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    fn seen_in_memory(&self, key: &[u8]) -> i64 {
        <[u8; 32]>::try_from(key)
            .ok()
            .and_then(|k| self.map.read().get(&k).map(|l| l.last_seen.load(Ordering::Relaxed)))
            .unwrap_or(i64::MIN)
    }

    pub fn count(&self) -> usize {
        self.map.read().len()
    }
}

fn live_from(rec: &SessionRecord) -> Live {
    Live {
        user_id: rec.user_id,
        created: rec.created,
        last_seen: AtomicI64::new(rec.last_seen),
        persisted_last_seen: AtomicI64::new(rec.last_seen),
        csrf: rec.csrf.clone(),
        identity: Mutex::new(None),
    }
}
