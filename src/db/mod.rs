//! The embedded metadata store: one redb file, schema version and migrations at open,
//! short write transactions, JSON-encoded records that gain optional fields without rewrites.
//!
//! Blobs never live here (see `blobs`); the search index is derived data elsewhere.

mod migrations;
pub mod sealed_bytes;

use std::borrow::Borrow;
use std::path::Path;
use std::sync::Arc;

use redb::{
    Database, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Code, Error, Result};

pub use migrations::SCHEMA_VERSION;

/// Schema version, id counters and other single values.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

const SCHEMA_KEY: &str = "schema_version";

/// Shared handle on the open database.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Database>,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Another process (normally the running server) holds the file.
    #[error("the database is in use by another process (is the server running?)")]
    InUse,
    #[error(
        "the database was written by a newer ipgo (schema {found}, this binary knows up to \
         {known}); install that version or newer"
    )]
    TooNew { found: u32, known: u32 },
    #[error("cannot open the database: {0}")]
    Other(String),
}

impl From<OpenError> for Error {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::TooNew { .. } => Error::new(Code::SchemaTooNew).with_detail(e.to_string()),
            _ => Error::new(Code::Unavailable).with_cause(e),
        }
    }
}

/// redb's page cache when the configuration does not say (`storage.db_cache_mb`).
pub const DEFAULT_CACHE_BYTES: usize = 32 << 20;

impl Db {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(path: &Path) -> std::result::Result<Db, OpenError> {
        Db::open_with_cache(path, DEFAULT_CACHE_BYTES)
    }

    /// Like [`open`](Self::open) with a bound on redb's page cache: redb keeps every page it
    /// reads or writes cached up to this size (its own default, 1 GiB, lets the portal's
    /// memory grow with the access log).
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> std::result::Result<Db, OpenError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| OpenError::Other(e.to_string()))?;
        }
        // A database not closed cleanly (a crash, a kill) is checked page by page before it
        // opens: say so, as at a million documents it takes seconds.
        let said = std::sync::atomic::AtomicU32::new(0);
        let database = Database::builder()
            .set_cache_size(cache_bytes)
            .set_repair_callback(move |session| {
                let tenth = (session.progress() * 10.0) as u32 + 1;
                if said.fetch_max(tenth, std::sync::atomic::Ordering::Relaxed) < tenth {
                    tracing::warn!(
                        progress = format!("{:.0} %", session.progress() * 100.0),
                        "the database was not closed cleanly: checking it before opening"
                    );
                }
            })
            .create(path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => OpenError::InUse,
                other => OpenError::Other(other.to_string()),
            })?;
        let db = Db { inner: Arc::new(database) };
        migrations::run(&db)?;
        Ok(db)
    }

    pub fn read(&self) -> Result<ReadTransaction> {
        Ok(self.inner.begin_read()?)
    }

    /// Runs `f` in one write transaction and commits it; nothing is written if `f` fails.
    pub fn write<T>(&self, f: impl FnOnce(&WriteTransaction) -> Result<T>) -> Result<T> {
        let txn = self.inner.begin_write()?;
        let value = f(&txn)?;
        txn.commit()?;
        Ok(value)
    }

    pub fn schema_version(&self) -> Result<u32> {
        let txn = self.read()?;
        read_schema_version(&txn)
    }

    /// Exclusive access for integrity checks; fails while other handles are alive.
    pub fn check_integrity(&mut self) -> Result<bool> {
        match Arc::get_mut(&mut self.inner) {
            Some(db) => Ok(db.check_integrity()?),
            None => Err(Error::internal("database shared; cannot check integrity now")),
        }
    }
}

fn read_schema_version(txn: &ReadTransaction) -> Result<u32> {
    let table = match txn.open_table(META) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    Ok(match table.get(SCHEMA_KEY)? {
        Some(v) => u32::from_le_bytes(
            v.value().try_into().map_err(|_| Error::internal("bad schema version"))?,
        ),
        None => 0,
    })
}

/// The next value of a named counter (ids start at 1).
pub fn next_id(txn: &WriteTransaction, counter: &str) -> Result<u64> {
    let mut meta = txn.open_table(META)?;
    let key = format!("next_id.{counter}");
    let next = match meta.get(key.as_str())? {
        Some(v) => {
            u64::from_le_bytes(v.value().try_into().map_err(|_| Error::internal("bad counter"))?)
        }
        None => 1,
    };
    meta.insert(key.as_str(), (next + 1).to_le_bytes().as_slice())?;
    Ok(next)
}

/// Reads and decodes one JSON record.
pub fn get_json<'k, K, T, Tbl>(table: &Tbl, key: impl Borrow<K::SelfType<'k>>) -> Result<Option<T>>
where
    K: Key + 'static,
    T: DeserializeOwned,
    Tbl: ReadableTable<K, &'static [u8]>,
{
    match table.get(key)? {
        Some(guard) => Ok(Some(serde_json::from_slice(guard.value())?)),
        None => Ok(None),
    }
}

/// Encodes a record for storage.
pub fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(value)?)
}

/// Decodes every record of a table in key order.
pub fn all_json<K, T, Tbl>(table: &Tbl) -> Result<Vec<T>>
where
    K: Key + 'static,
    T: DeserializeOwned,
    Tbl: ReadableTable<K, &'static [u8]>,
{
    let mut out = Vec::new();
    for row in table.iter()? {
        let (_, v) = row?;
        out.push(serde_json::from_slice(v.value())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_start_at_one_and_increase() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        let ids = db
            .write(|txn| Ok((next_id(txn, "x")?, next_id(txn, "x")?, next_id(txn, "y")?)))
            .unwrap();
        assert_eq!(ids, (1, 2, 1));
        assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_second_process_handle_is_refused_as_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.redb");
        let _db = Db::open(&path).unwrap();
        assert!(matches!(Db::open(&path), Err(OpenError::InUse)));
    }

    #[test]
    fn a_newer_schema_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.redb");
        {
            let db = Db::open(&path).unwrap();
            db.write(|txn| {
                let mut meta = txn.open_table(META)?;
                meta.insert(SCHEMA_KEY, (SCHEMA_VERSION + 1).to_le_bytes().as_slice())?;
                Ok(())
            })
            .unwrap();
        }
        let err = Db::open(&path).err().expect("newer schema must be refused");
        assert!(matches!(err, OpenError::TooNew { .. }));
        assert!(err.to_string().contains("newer ipgo"), "{err}");
    }
}
