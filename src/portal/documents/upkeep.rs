//! Keeping the store tidy: finishing interrupted destructions and collecting orphans —
//! temp files of uploads that never finished and blobs that no record points at (a crash
//! between making a blob durable and committing its record).

use std::borrow::Cow;
use std::ops::RangeInclusive;
use std::time::{Duration, SystemTime};

use crate::app::App;
use crate::blobs::BlobId;
use crate::error::{Error, Result};

/// Blob names compared in one pass at most, about (32 bytes each on both sides: 32 MiB).
/// Blob names are hashes, spread evenly over the first byte; a store with more blobs is
/// collected in several passes over byte ranges, each reading every version again, so that
/// what the collection holds does not grow with the store.
const BLOBS_PER_PASS: u64 = 1 << 19;

/// A version record as far as the collection needs it: which blobs it points at. Reading
/// only this skips decoding the sealed content.
#[derive(serde::Deserialize)]
struct VersionFiles<'a> {
    #[serde(borrow)]
    files: Vec<FileBlob<'a>>,
}

#[derive(serde::Deserialize)]
struct FileBlob<'a> {
    #[serde(borrow)]
    blob: Cow<'a, str>,
}

/// The names of the blobs version records point at whose first byte is in `first`,
/// sorted, each once.
pub fn referenced_blobs(app: &App, first: RangeInclusive<u8>) -> Result<Vec<[u8; 32]>> {
    let txn = app.db.read()?;
    let table = txn.open_table(super::store::VERSIONS)?;
    let mut out = Vec::new();
    use redb::ReadableTable;
    for row in table.iter()? {
        if app.stopping() {
            return Err(Error::internal("stopping"));
        }
        let row = row?;
        let v: VersionFiles = serde_json::from_slice(row.1.value())?;
        for f in v.files {
            let raw = crate::blobs::raw_id(&f.blob)
                .ok_or_else(|| Error::internal(format!("a version names blob {:?}", f.blob)))?;
            if first.contains(&raw[0]) {
                out.push(raw);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
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
    collect_orphans_in_passes(app, cutoff, BLOBS_PER_PASS)
}

fn collect_orphans_in_passes(app: &App, cutoff: SystemTime, per_pass: u64) -> Result<usize> {
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
    let mut blobs = 0u64;
    app.blobs.walk(0..=255, |_| blobs += 1)?;
    let passes = blobs.div_ceil(per_pass.max(1)).clamp(1, 256);
    for pass in 0..passes {
        let first = (pass * 256 / passes) as u8..=((pass + 1) * 256 / passes - 1) as u8;
        // The listing first, the references second: a blob listed here that is unreferenced
        // in the later snapshot was never committed.
        let mut candidates = Vec::new();
        app.blobs.walk(first.clone(), |raw| candidates.push(raw))?;
        let referenced = referenced_blobs(app, first)?;
        for raw in candidates {
            if referenced.binary_search(&raw).is_ok() {
                continue;
            }
            let id = BlobId::from_raw(&raw);
            match written_before(&app.blobs.path(&id)) {
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

    /// However many passes the collection takes (one per range of first bytes), it removes
    /// exactly the unreferenced old blobs: each pass compares its own range of the listing
    /// with its own range of the references.
    #[test]
    fn every_number_of_passes_collects_the_same_orphans() {
        use crate::portal::documents::model::{
            DocState, DocumentRecord, StoredFile, VersionRecord,
        };
        use crate::portal::documents::store::Writer;
        for per_pass in [1, 2, 7, 40, 1000] {
            let dir = tempfile::tempdir().unwrap();
            let mut config = crate::config::Config::default();
            config.storage.data_dir = dir.path().join("data");
            let app = App::open(config).unwrap();
            let blobs: Vec<_> = (0..40).map(|_| blob(&app, Duration::from_secs(3600))).collect();
            let (kept, orphans): (Vec<_>, Vec<_>) =
                blobs.iter().enumerate().partition(|(i, _)| i % 3 != 0);
            app.db
                .write(|txn| {
                    let w = Writer(txn);
                    w.put_document(&DocumentRecord::for_test(1, DocState::Active))?;
                    // Two versions, sharing some files.
                    for n in 1..=2u32 {
                        let files = kept
                            .iter()
                            .filter(|(i, _)| n == 2 || i % 2 == 0)
                            .map(|(i, (id, _))| StoredFile {
                                id: *i as u64,
                                blob: id.clone(),
                                size: 16,
                                stored_size: 64,
                            })
                            .collect();
                        w.put_version(&VersionRecord {
                            doc_id: 1,
                            n,
                            created: "2026-12-07T01:00:00Z".into(),
                            author_id: 1,
                            total_size: 16,
                            files,
                            sealed: vec![1, 2, 3],
                        })?;
                    }
                    Ok(())
                })
                .unwrap();
            let removed = collect_orphans_in_passes(&app, SystemTime::now(), per_pass).unwrap();
            assert_eq!(removed, orphans.len(), "{per_pass} blobs a pass");
            assert!(orphans.iter().all(|(_, (_, path))| !path.exists()), "{per_pass} a pass");
            assert!(kept.iter().all(|(_, (_, path))| path.exists()), "{per_pass} a pass");
        }
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
        assert!(referenced_blobs(&app, 0..=255).unwrap().contains(&id.raw()));
        assert_eq!(
            crate::portal::documents::indexing::summaries_after(&app, None, 10).unwrap().len(),
            1
        );

        app.shutdown();
        assert!(app.stopping());
        assert!(referenced_blobs(&app, 0..=255).is_err());
        assert!(crate::portal::documents::indexing::summaries_after(&app, None, 10).is_err());
        assert!(collect_orphans(&app, SystemTime::now()).is_err());
        assert!(path.exists(), "a referenced blob is never taken for an orphan");
    }
}
