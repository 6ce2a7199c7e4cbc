//! Forward-only schema migrations, run when the database opens.
//!
//! Adding an optional field to a JSON record needs no migration. A migration is needed when
//! a table changes its key or value type, or when stored data must be rewritten. Each step
//! runs in its own write transaction together with the version bump, so a crash leaves the
//! database at a whole version. Data directories made by earlier versions are kept as test
//! fixtures (`tests/fixtures/`) and opened by the upgrade tests.

use redb::{ReadableDatabase, WriteTransaction};

use super::{Db, META, OpenError, SCHEMA_KEY, read_schema_version};

/// The schema this binary writes.
pub const SCHEMA_VERSION: u32 = 3;

type Step = fn(&WriteTransaction) -> Result<(), redb::Error>;

/// `STEPS[i]` brings the schema from version `i` to `i + 1`.
const STEPS: &[Step] = &[initial, sealed_as_base64, access_log_in_blocks];

/// Version 0 → 1: a fresh database. Tables are created by their owners at start.
fn initial(_txn: &WriteTransaction) -> Result<(), redb::Error> {
    Ok(())
}

/// Version 1 → 2: sealed texts in records are written as base64 (`db::sealed_bytes`), a
/// third of the JSON array they were. Nothing is rewritten: records of version 1 are read
/// as they are and take the new form when next written. The version changes so that an
/// older binary refuses a database it could not read, instead of failing on its records.
fn sealed_as_base64(_txn: &WriteTransaction) -> Result<(), redb::Error> {
    Ok(())
}

/// Version 2 → 3: the access log is written in blocks, one row per commit
/// (`audit::blocks`, table `audit_log_blocks`). Nothing is rewritten: the entries of
/// version 2 stay in `audit_log`, are read before the blocks and leave with the archiver;
/// rewriting them here would be one transaction as large as the live log. An older binary
/// would not see the blocks, so the version changes and it refuses the database.
fn access_log_in_blocks(_txn: &WriteTransaction) -> Result<(), redb::Error> {
    Ok(())
}

pub(super) fn run(db: &Db) -> Result<(), OpenError> {
    let other = |e: &dyn std::fmt::Display| OpenError::Other(e.to_string());
    let found = {
        let txn = db.inner.begin_read().map_err(|e| other(&e))?;
        read_schema_version(&txn).map_err(|e| other(&e))?
    };
    if found > SCHEMA_VERSION {
        return Err(OpenError::TooNew { found, known: SCHEMA_VERSION });
    }
    for version in found..SCHEMA_VERSION {
        let txn = db.inner.begin_write().map_err(|e| other(&e))?;
        STEPS[version as usize](&txn).map_err(|e| other(&e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| other(&e))?;
            meta.insert(SCHEMA_KEY, (version + 1).to_le_bytes().as_slice())
                .map_err(|e| other(&e))?;
        }
        txn.commit().map_err(|e| other(&e))?;
        if found > 0 {
            tracing::info!(from = version, to = version + 1, "database schema migrated");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn there_is_one_step_per_version() {
        assert_eq!(super::STEPS.len(), super::SCHEMA_VERSION as usize);
    }
}
