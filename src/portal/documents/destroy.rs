//! Guaranteed destruction of a document (I385 §6.8).
//!
//! In order: the document is marked as being destroyed (it answers 410 from then on); its
//! data key leaves the vault, which is re-sealed under a new vault key (old vault copies and
//! backups become undecryptable for it); its blobs are unlinked; its versions and comments
//! are replaced by a tombstone; the destruction register gets a row (replayed by restores);
//! and a destruction certificate — who, when, why, ids, sizes, ciphertext hashes, never
//! content — goes into the access log in the same transaction as the tombstone. Each step
//! is idempotent, so a destruction interrupted by a crash is completed at the next start.
//! Last, the document is purged from the search index (its segments rewritten).

use serde::Serialize;
use serde_json::json;

use super::model::{DocState, DocumentRecord};
use super::store::{DESTROYING, DESTROYING_COMPLETE, DOCUMENTS, Destruction, Reader, Writer};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::error::{Code, Error, Result};
use redb::ReadableTable;

#[derive(Debug, Clone, Serialize)]
pub struct CertificateFile {
    pub version: u32,
    pub file_id: u64,
    pub size: u64,
    pub stored_size: u64,
    pub ciphertext_sha256: String,
}

/// The destruction certificate: facts only, never content.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub document_id: u64,
    #[serde(rename = "type")]
    pub doc_type: String,
    pub agency_id: u64,
    pub author_id: u64,
    pub destroyed_by: String,
    pub destroyed_at: String,
    pub reason: String,
    pub versions: u32,
    pub files: Vec<CertificateFile>,
    pub vault_generation: u64,
    pub access_log_seq: u64,
}

pub fn destroy(app: &App, actor: &Actor, id: u64, reason: &str) -> Result<Certificate> {
    actor.origin.set_operation("document.destroy");
    let doc = {
        let txn = app.db.read()?;
        Reader(&txn).document(id)?.ok_or_else(Error::not_found)?
    };
    if matches!(doc.state, DocState::Destroyed { .. }) {
        return Err(super::service::gone(actor, &doc));
    }
    require(
        actor,
        Action::DocumentDestroy,
        Object::Document {
            agency_id: doc.agency_id,
            author_id: doc.author_id,
            access: &doc.access,
        },
    )?;
    let reason = crate::portal::directory::model::clean_text("reason", reason, 2000)?;
    if reason.chars().count() < 5 {
        return Err(Error::invalid("reason", "reason-required"));
    }
    let by = actor.log_name();
    let started = crate::clock::utc_string(crate::clock::now());
    app.db.write(|txn| {
        let w = Writer(txn);
        let mut current = w.document(id)?.ok_or_else(Error::not_found)?;
        current.state = DocState::Destroying { by: by.clone(), reason: reason.clone(), started };
        w.put_document(&current)
    })?;
    finish(app, actor, id)
}

/// Completes the destruction of a document marked `Destroying`.
fn finish(app: &App, actor: &Actor, id: u64) -> Result<Certificate> {
    let (doc, versions) = {
        let txn = app.db.read()?;
        let r = Reader(&txn);
        (r.document(id)?.ok_or_else(Error::not_found)?, r.versions(id)?)
    };
    let DocState::Destroying { by, reason, .. } = doc.state.clone() else {
        return Err(Error::new(Code::Gone));
    };
    let vault_generation = app.vault.destroy(&[id]).map_err(|e| Error::internal(e.to_string()))?;
    let mut files = Vec::new();
    for v in &versions {
        for f in &v.files {
            files.push(CertificateFile {
                version: v.n,
                file_id: f.id,
                size: f.size,
                stored_size: f.stored_size,
                ciphertext_sha256: f.blob.0.clone(),
            });
        }
    }
    // A blob kept across versions appears once per version; unlink each once.
    let mut blobs: Vec<String> = files.iter().map(|f| f.ciphertext_sha256.clone()).collect();
    blobs.sort();
    blobs.dedup();
    for b in &blobs {
        app.blobs
            .remove(&crate::blobs::BlobId(b.clone()))
            .map_err(|e| Error::internal(format!("unlinking blob {b}: {e}")))?;
    }
    let destroyed_at = crate::clock::utc_string(crate::clock::now());
    let mut certificate = Certificate {
        document_id: id,
        doc_type: doc.doc_type.clone(),
        agency_id: doc.agency_id,
        author_id: doc.author_id,
        destroyed_by: by.clone(),
        destroyed_at: destroyed_at.clone(),
        reason: reason.clone(),
        versions: doc.current_version,
        files,
        vault_generation,
        access_log_seq: 0,
    };
    let cert = app.audit.change(actor, "document.destroy", |txn| {
        let seq = crate::audit::chain::read_head(&txn.open_table(crate::db::META)?)?.seq + 1;
        certificate.access_log_seq = seq;
        let w = Writer(txn);
        w.remove_content(id)?;
        super::signatures::remove_all_in(txn, id)?;
        let tombstone = DocumentRecord {
            state: DocState::Destroyed {
                by: by.clone(),
                at: destroyed_at.clone(),
                certificate_seq: seq,
            },
            access: Default::default(),
            ..doc.clone()
        };
        w.put_document(&tombstone)?;
        w.put_destruction(&Destruction {
            doc_id: id,
            destroyed_at: destroyed_at.clone(),
            by: by.clone(),
            reason: reason.clone(),
            blobs: blobs.clone(),
            certificate_seq: seq,
        })?;
        let detail = json!({"destruction_certificate": certificate});
        Ok((certificate.clone(), Some(detail)))
    })?;
    // The copy beside the vault; completed at the next start if this append fails.
    if let Some(row) = {
        let txn = app.db.read()?;
        Reader(&txn).destruction(id)?
    } && let Err(e) = super::register_copy::append(&app.config.keys_dir(), &[row])
    {
        tracing::error!(document = id, error = %e, "cannot append to the destruction register copy");
    }
    tracing::warn!(document = id, by = ?by, "document destroyed");
    // Its terms leave the search index too: the segments that held them are rewritten and
    // the old files deleted before the destruction answers.
    match app.search.purge(id) {
        Ok(report) => tracing::info!(
            document = id,
            segments = report.segments_rewritten,
            "destroyed document purged from the search index"
        ),
        Err(e) => {
            // Retried by the feed now and by reconciliation at every start.
            tracing::error!(document = id, error = %e, "purging a destroyed document from the search index failed");
            app.search.changed(id);
        }
    }
    Ok(cert)
}

/// Finishes destructions interrupted by a crash (run at start). They are listed in
/// [`DESTROYING`]; a database made before that table existed is scanned once, and the
/// table completed, in the same transaction that marks it complete.
pub fn resume(app: &App) -> Result<usize> {
    let complete = {
        let txn = app.db.read()?;
        let meta = txn.open_table(crate::db::META)?;
        meta.get(DESTROYING_COMPLETE)?.is_some()
    };
    let pending: Vec<u64> = if complete {
        let txn = app.db.read()?;
        let table = txn.open_table(DESTROYING)?;
        table
            .iter()?
            .map(|row| row.map(|(id, _)| id.value()))
            .collect::<std::result::Result<_, _>>()?
    } else {
        app.db.write(|txn| {
            let mut ids = Vec::new();
            for row in txn.open_table(DOCUMENTS)?.iter()? {
                let doc: DocumentRecord = serde_json::from_slice(row?.1.value())?;
                if matches!(doc.state, DocState::Destroying { .. }) {
                    ids.push(doc.id);
                }
            }
            let mut table = txn.open_table(DESTROYING)?;
            for id in &ids {
                table.insert(*id, ())?;
            }
            txn.open_table(crate::db::META)?.insert(DESTROYING_COMPLETE, [1u8].as_slice())?;
            Ok(ids)
        })?
    };
    for id in &pending {
        let actor = Actor::system_job_bypassing_user_policy("destruction-resume");
        finish(app, &actor, *id)?;
        tracing::warn!(document = id, "completed an interrupted destruction");
    }
    Ok(pending.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, state: DocState) -> DocumentRecord {
        DocumentRecord::for_test(id, state)
    }

    fn destroying() -> DocState {
        DocState::Destroying {
            by: "test".into(),
            reason: "interrupted".into(),
            started: "x".into(),
        }
    }

    fn listed(app: &App) -> Vec<u64> {
        let txn = app.db.read().unwrap();
        let t = txn.open_table(DESTROYING).unwrap();
        t.iter().unwrap().map(|r| r.unwrap().0.value()).collect()
    }

    fn state(app: &App, id: u64) -> DocState {
        let txn = app.db.read().unwrap();
        Reader(&txn).document(id).unwrap().unwrap().state
    }

    /// Start-up finds interrupted destructions in their own table (issue 18: without reading
    /// every document), and a database made before the table existed is scanned once.
    #[test]
    fn interrupted_destructions_are_finished_at_start_from_their_table_or_one_scan() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        let app = App::open(config).unwrap();
        // A database of before: a destruction interrupted, written without the table.
        app.db
            .write(|txn| {
                let mut docs = txn.open_table(DOCUMENTS)?;
                for (id, s) in [(1, DocState::Active), (2, destroying())] {
                    docs.insert(id, crate::db::to_json(&record(id, s))?.as_slice())?;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(resume(&app).unwrap(), 1);
        assert!(matches!(state(&app, 2), DocState::Destroyed { .. }));
        assert!(matches!(state(&app, 1), DocState::Active));
        assert!(listed(&app).is_empty(), "finished destructions leave the table");

        // Later: the table is complete, and kept by every write of a document.
        app.db.write(|txn| Writer(txn).put_document(&record(3, destroying()))).unwrap();
        assert_eq!(listed(&app), vec![3]);
        // A record marked Destroying behind the table's back is not seen any more: the
        // table, not a scan, is what start-up reads now.
        app.db
            .write(|txn| {
                let json = crate::db::to_json(&record(4, destroying()))?;
                txn.open_table(DOCUMENTS)?.insert(4, json.as_slice())?;
                Ok(())
            })
            .unwrap();
        assert_eq!(resume(&app).unwrap(), 1);
        assert!(matches!(state(&app, 3), DocState::Destroyed { .. }));
        assert!(matches!(state(&app, 4), DocState::Destroying { .. }));
        assert!(listed(&app).is_empty());
        assert_eq!(resume(&app).unwrap(), 0, "nothing left to finish");
    }
}
