//! Keeping the store tidy: finishing interrupted destructions and collecting orphans —
//! temp files of uploads that never finished and blobs that no record points at (a crash
//! between making a blob durable and committing its record).

use std::collections::HashSet;
use std::time::Duration;

use crate::app::App;
use crate::blobs::BlobId;
use crate::error::Result;

/// Every blob a version record points at.
pub fn referenced_blobs(app: &App) -> Result<HashSet<BlobId>> {
    let txn = app.db.read()?;
    let table = txn.open_table(super::store::VERSIONS)?;
    let mut out = HashSet::new();
    use redb::ReadableTable;
    for row in table.iter()? {
        let v: super::model::VersionRecord = serde_json::from_slice(row?.1.value())?;
        out.extend(v.files.into_iter().map(|f| f.blob));
    }
    Ok(out)
}

/// Deletes orphans older than `min_age`; returns how many.
pub fn collect_orphans(app: &App, min_age: Duration) -> Result<usize> {
    let mut removed = 0;
    for tmp in app.blobs.stale_temp_files(min_age)? {
        std::fs::remove_file(&tmp)?;
        removed += 1;
    }
    let referenced = referenced_blobs(app)?;
    for (id, path) in app.blobs.list()? {
        if referenced.contains(&id) {
            continue;
        }
        let old = std::fs::metadata(&path)?
            .modified()?
            .elapsed()
            .map(|age| age >= min_age)
            .unwrap_or(false);
        if old {
            app.blobs.remove(&id)?;
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "collected orphaned upload files");
    }
    Ok(removed)
}

/// Before the server accepts requests no upload is in flight: everything unreferenced goes.
pub fn at_start(app: &App) -> Result<()> {
    let resumed = super::destroy::resume(app)?;
    if resumed > 0 {
        tracing::warn!(resumed, "completed interrupted destructions");
    }
    collect_orphans(app, Duration::ZERO)?;
    let copied = super::register_copy::sync(app)?;
    if copied > 0 {
        tracing::warn!(copied, "completed the destruction register copy beside the vault");
    }
    Ok(())
}
