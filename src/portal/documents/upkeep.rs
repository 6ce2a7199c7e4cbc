//! Keeping the store tidy: finishing interrupted destructions and collecting orphans —
//! temp files of uploads that never finished and blobs that no record points at (a crash
//! between making a blob durable and committing its record).

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::app::App;
use crate::blobs::BlobId;
use crate::error::{Error, Result};

/// Every blob a version record points at.
pub fn referenced_blobs(app: &App) -> Result<HashSet<BlobId>> {
    let txn = app.db.read()?;
    let table = txn.open_table(super::store::VERSIONS)?;
    let mut out = HashSet::new();
    use redb::ReadableTable;
    for row in table.iter()? {
        if app.stopping() {
            return Err(Error::internal("stopping"));
        }
        let v: super::model::VersionRecord = serde_json::from_slice(row?.1.value())?;
        out.extend(v.files.into_iter().map(|f| f.blob));
    }
    Ok(out)
}

/// Deletes orphans — temp files and unreferenced blobs — last written before `cutoff`;
/// returns how many.
///
/// Files written after `cutoff` may belong to uploads in flight (their records are not
/// committed yet), so they are left alone. Blob names carry a random nonce, so a blob
/// written before the cutoff and unreferenced now can never become referenced later: only
/// committed records and fresh uploads hand out blob ids.
pub fn collect_orphans(app: &App, cutoff: SystemTime) -> Result<usize> {
    let written_before = |path: &std::path::Path| -> std::io::Result<bool> {
        Ok(std::fs::metadata(path)?.modified()? < cutoff)
    };
    let mut removed = 0;
    for tmp in app.blobs.stale_temp_files(Duration::ZERO)? {
        if written_before(&tmp)? {
            std::fs::remove_file(&tmp)?;
            removed += 1;
        }
    }
    // The listing first, the references second: a blob listed here that is unreferenced in
    // the later snapshot was never committed.
    let candidates = app.blobs.list()?;
    let referenced = referenced_blobs(app)?;
    for (id, path) in candidates {
        if referenced.contains(&id) {
            continue;
        }
        match written_before(&path) {
            Ok(true) => {
                app.blobs.remove(&id)?;
                removed += 1;
            }
            Ok(false) => {}
            // Destroyed meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "collected orphaned upload files");
    }
    Ok(removed)
}

/// What must be done before the server accepts requests: interrupted destructions are
/// completed (a destroyed document must never be served again) and the destruction
/// register copy beside the vault is brought up to date.
pub fn at_start(app: &App) -> Result<()> {
    let resumed = super::destroy::resume(app)?;
    if resumed > 0 {
        tracing::warn!(resumed, "completed interrupted destructions");
    }
    let copied = super::register_copy::sync(app)?;
    if copied > 0 {
        tracing::warn!(copied, "completed the destruction register copy beside the vault");
    }
    Ok(())
}

/// Collects the orphans of earlier runs in the background, so that start-up time does not
/// grow with the store (decoding every version record and listing every blob takes
/// seconds at 100 000 documents). Only files written before `cutoff` — taken with
/// [`crate::blobs::BlobStore::clock_mark`] before the server accepts requests — are
/// candidates.
pub fn collect_orphans_in_background(app: std::sync::Arc<App>, cutoff: SystemTime) {
    let spawned = std::thread::Builder::new().name("orphans".into()).spawn(move || {
        match collect_orphans(&app, cutoff) {
            Ok(_) => {}
            Err(_) if app.stopping() => tracing::info!("orphan collection left for the next start"),
            Err(e) => tracing::error!(error = %e, "collecting orphaned upload files failed"),
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the orphan collection");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    fn blob(app: &App, age: Duration) -> (BlobId, std::path::PathBuf) {
        let mut w = app.blobs.writer(&[7; 32]).unwrap();
        w.write_all(b"orphan candidate").unwrap();
        let pending = w.finish().unwrap();
        let id = app.blobs.commit(&pending).unwrap();
        let path = app.blobs.path(&id);
        let when = SystemTime::now() - age;
        File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
        (id, path)
    }

    #[test]
    fn only_unreferenced_files_written_before_the_cutoff_are_collected() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        let app = App::open(config).unwrap();
        let (_, old) = blob(&app, Duration::from_secs(3600));
        let (_, fresh) = blob(&app, Duration::ZERO);
        let stale_tmp = app.blobs.tmp_dir().join("upload-left-behind");
        File::create(&stale_tmp)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        let live_tmp = app.blobs.tmp_dir().join("upload-in-flight");
        File::create(&live_tmp).unwrap();

        let cutoff = SystemTime::now() - Duration::from_secs(60);
        assert_eq!(collect_orphans(&app, cutoff).unwrap(), 2);
        assert!(!old.exists() && !stale_tmp.exists(), "old orphans collected");
        assert!(fresh.exists() && live_tmp.exists(), "files of this run kept");
    }

    /// What start-up leaves to the background reads every version; a stop must end it soon
    /// (the database closes only when it lets go) and never with a partial answer: a partial
    /// list of references would make referenced blobs look orphaned.
    #[test]
    fn after_shutdown_the_long_scans_stop_with_an_error_and_delete_nothing() {
        use crate::portal::documents::model::{
            DocState, DocumentRecord, StoredFile, VersionRecord,
        };
        use crate::portal::documents::store::Writer;
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        let app = App::open(config).unwrap();
        let (id, path) = blob(&app, Duration::from_secs(3600));
        app.db
            .write(|txn| {
                let w = Writer(txn);
                w.put_document(&DocumentRecord::for_test(1, DocState::Active))?;
                w.put_version(&VersionRecord {
                    doc_id: 1,
                    n: 1,
                    created: "2026-12-06T07:00:00Z".into(),
                    author_id: 1,
                    total_size: 16,
                    files: vec![StoredFile { id: 1, blob: id.clone(), size: 16, stored_size: 64 }],
                    sealed: vec![1, 2, 3],
                })
            })
            .unwrap();
        assert!(referenced_blobs(&app).unwrap().contains(&id));
        assert_eq!(crate::portal::documents::indexing::summaries(&app).unwrap().len(), 1);

        app.shutdown();
        assert!(app.stopping());
        assert!(referenced_blobs(&app).is_err());
        assert!(crate::portal::documents::indexing::summaries(&app).is_err());
        assert!(collect_orphans(&app, SystemTime::now()).is_err());
        assert!(path.exists(), "a referenced blob is never taken for an orphan");
    }
}
