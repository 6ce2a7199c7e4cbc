//! `ipgo backup`: an online, consistent backup while the portal keeps serving (I617 §29,
//! R365 §6).
//!
//! Consistency: every table is copied inside ONE redb read transaction into a fresh database
//! file (redb has no backup API; a file copy during writes is unsafe). The same snapshot
//! names the blobs and audit archives to include; both are immutable once a committed
//! record points at them, so copying them after the snapshot is released is still
//! consistent. Uploads that commit later are simply not in this backup. A blob that
//! vanishes meanwhile belongs to a document being destroyed: the backup waits for the
//! destruction to be registered and records it, so a restore treats the document as
//! destroyed.
//!
//! Never in a backup: the vault key, the sealed document keys, the appliance signing key
//! (`ipgo backup-keys` exports those separately, protected by a passphrase); the search
//! index (`index/`, derived data: the restore builds it from the restored documents).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redb::ReadableTable;
use sha2::{Digest, Sha256};

use super::manifest::{self, Counts, EntryInfo, Header, Manifest};
use super::tables::{TABLES, unregistered};
use super::tarfile::TarWriter;
use crate::app::App;
use crate::blobs::BlobId;
use crate::error::{Error, Result};
use crate::portal::documents::model::{DocState, DocumentRecord};
use crate::portal::documents::store::{DESTRUCTIONS, DOCUMENTS, Destruction, Reader};

/// `meta` key holding the last successful backup (JSON), read by `/metrics`.
pub const LAST_BACKUP_KEY: &str = "last_backup";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Made {
    pub file: String,
    pub created: String,
    pub bytes: u64,
    pub sha256: String,
    pub counts: Counts,
    pub seconds: f64,
}

/// What the snapshot transaction found.
struct Snapshot {
    blobs: BTreeMap<BlobId, u64>,
    archives: Vec<crate::audit::archive::ArchiveRecord>,
    counts: Counts,
    schema_version: u32,
}

/// Writes a hash of everything passing through.
struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn io_err(what: impl std::fmt::Display, e: std::io::Error) -> Error {
    Error::internal(format!("{what}: {e}")).with_detail(format!("{what}: {e}"))
}

/// Copies every table of one read transaction into a new database at `path`.
fn snapshot(app: &App, path: &Path) -> Result<Snapshot> {
    let txn = app.db.read()?;
    let missing = unregistered(&txn)?;
    if !missing.is_empty() {
        return Err(Error::internal(format!(
            "tables not known to the backup: {missing:?} (add them to ops/backup/tables.rs)"
        )));
    }
    {
        // The copy's page cache is the configured one: redb's own default is 1 GiB, and a
        // table copied in one transaction filled it (1.2 GiB held by the backup of a
        // million documents, outside every `storage` ceiling).
        let copy = redb::Database::builder()
            .set_cache_size(app.config.storage.db_cache_bytes())
            .create(path)?;
        // One transaction per table: the commit of a table's copy is its own.
        for table in TABLES {
            let w = copy.begin_write()?;
            table.copy(&txn, &w)?;
            w.commit()?;
        }
    }
    let mut counts = Counts::default();
    let mut blobs = BTreeMap::new();
    let documents = txn.open_table(DOCUMENTS)?;
    let r = Reader(&txn);
    for row in documents.iter()? {
        let doc: DocumentRecord = serde_json::from_slice(row?.1.value())?;
        counts.documents += 1;
        match doc.state {
            DocState::Active => {}
            // Its key is already leaving the vault; `destroy::resume` completes it after a
            // restore, so its blobs are not worth copying.
            DocState::Destroying { .. } => continue,
            DocState::Destroyed { .. } => {
                counts.destroyed += 1;
                continue;
            }
        }
        for v in r.versions(doc.id)? {
            counts.versions += 1;
            for f in v.files {
                blobs.insert(f.blob, doc.id);
            }
        }
    }
    let archives = crate::db::all_json::<u64, crate::audit::archive::ArchiveRecord, _>(
        &txn.open_table(crate::audit::chain::ARCHIVES)?,
    )?;
    counts.archives = archives.len() as u64;
    counts.access_log_head = crate::audit::chain::read_head(&txn.open_table(crate::db::META)?)?.seq;
    let schema_version = {
        let meta = txn.open_table(crate::db::META)?;
        let v = meta.get("schema_version")?.map(|g| g.value().to_vec()).unwrap_or_default();
        u32::from_le_bytes(v.try_into().map_err(|_| Error::internal("bad schema version"))?)
    };
    Ok(Snapshot { blobs, archives, counts, schema_version })
}

/// A blob referenced by the snapshot has vanished: its document must be under destruction.
/// Waits (bounded) for the destruction to be registered and returns the register row.
fn vanished(app: &App, blob: &BlobId, doc: u64) -> Result<Destruction> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let txn = app.db.read()?;
        let state = Reader(&txn).document(doc)?.map(|d| d.state);
        if let Some(row) =
            crate::db::get_json::<u64, Destruction, _>(&txn.open_table(DESTRUCTIONS)?, doc)?
        {
            return Ok(row);
        }
        let destroying = matches!(state, Some(DocState::Destroying { .. }));
        if !destroying || Instant::now() > deadline {
            return Err(Error::internal(format!(
                "blob {} of document {doc} is missing from the store; run `ipgo verify`",
                blob.0
            )));
        }
        drop(txn);
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Makes a backup file at `to` (written as `<to>.partial`, then renamed).
pub fn create(app: &App, to: &Path) -> Result<Made> {
    let started = Instant::now();
    let dir = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = to
        .file_name()
        .ok_or_else(|| Error::invalid("to", "invalid-path"))?
        .to_string_lossy()
        .into_owned();
    fs::create_dir_all(dir).map_err(|e| io_err(format!("cannot create {}", dir.display()), e))?;
    let db_tmp = dir.join(format!(".{name}.redb.tmp"));
    let partial = dir.join(format!(".{name}.partial"));
    let result = write(app, to, &db_tmp, &partial);
    let _ = fs::remove_file(&db_tmp);
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    let (bytes, sha256, counts, created) = result?;
    let made = Made {
        file: to.display().to_string(),
        created,
        bytes,
        sha256,
        counts,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(made)
}

fn write(
    app: &App,
    to: &Path,
    db_tmp: &Path,
    partial: &Path,
) -> Result<(u64, String, Counts, String)> {
    app.audit.flush_blocking();
    let vault_generation = app.vault.generation();
    let snap = snapshot(app, db_tmp)?;
    let now = crate::clock::now();
    let created = crate::clock::utc_string(now);
    let header = Header {
        format: manifest::FORMAT.into(),
        created: created.clone(),
        ipgo_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: snap.schema_version,
        appliance_public_key: app.key.public().to_hex(),
        source_data_dir: absolute(app.config.data_dir()),
        source_keys_dir: absolute(&app.config.keys_dir()),
    };
    let file = File::create(partial)
        .map_err(|e| io_err(format!("cannot write {}", partial.display()), e))?;
    let sink =
        Hashing { inner: BufWriter::with_capacity(1 << 20, file), hasher: Sha256::new(), bytes: 0 };
    let mut tar = TarWriter::new(sink, now.as_second().max(0) as u64);
    let mut entries = Vec::new();
    let header_bytes = serde_json::to_vec_pretty(&header)?;
    let sha = tar.append_bytes(manifest::HEADER_ENTRY, &header_bytes)?;
    entries.push(EntryInfo {
        path: manifest::HEADER_ENTRY.into(),
        size: header_bytes.len() as u64,
        sha256: sha,
    });

    let mut db_file = File::open(db_tmp)?;
    let size = db_file.metadata()?.len();
    let sha = tar.append(manifest::DB_ENTRY, size, &mut db_file)?;
    entries.push(EntryInfo { path: manifest::DB_ENTRY.into(), size, sha256: sha });

    let archive_dir = crate::audit::archive::archive_dir(app.config.data_dir());
    for a in &snap.archives {
        let path = archive_dir.join(&a.file);
        let mut f = File::open(&path)
            .map_err(|e| io_err(format!("audit archive {}", path.display()), e))?;
        let size = f.metadata()?.len();
        let entry = format!("archive/{}", a.file);
        let sha = tar.append(&entry, size, &mut f)?;
        if sha != a.sha256 {
            return Err(Error::internal(format!(
                "audit archive {} differs from its registered sha256; run `ipgo audit verify`",
                a.file
            )));
        }
        entries.push(EntryInfo { path: entry, size, sha256: sha });
    }

    let mut counts = snap.counts.clone();
    let mut destroyed_during_backup = Vec::new();
    for (blob, doc) in &snap.blobs {
        let path = app.blobs.path(blob);
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let row = vanished(app, blob, *doc)?;
                if !destroyed_during_backup.iter().any(|d: &Destruction| d.doc_id == row.doc_id) {
                    destroyed_during_backup.push(row);
                }
                continue;
            }
            Err(e) => return Err(io_err(format!("blob {}", blob.0), e)),
        };
        let size = f.metadata()?.len();
        let entry = format!("blobs/{}/{}/{}", &blob.0[..2], &blob.0[2..4], blob.0);
        let sha = tar.append(&entry, size, &mut f)?;
        if sha != blob.0 {
            return Err(Error::internal(format!(
                "blob {} of document {doc} is damaged on disk (its sha256 differs from its name); run `ipgo verify`",
                blob.0
            )));
        }
        counts.blobs += 1;
        counts.blob_bytes += size;
        entries.push(EntryInfo { path: entry, size, sha256: sha });
    }

    let manifest = Manifest {
        header,
        entries,
        counts: counts.clone(),
        vault_generation,
        destroyed_during_backup,
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    let signature = hex::encode(app.key.sign(&manifest_bytes));
    tar.append_bytes(manifest::MANIFEST_ENTRY, &manifest_bytes)?;
    tar.append_bytes(manifest::SIGNATURE_ENTRY, signature.as_bytes())?;
    let sink = tar.finish()?;
    let sha256 = hex::encode(sink.hasher.finalize());
    let bytes = sink.bytes;
    let file = sink.inner.into_inner().map_err(|e| Error::internal(e.to_string()))?;
    file.sync_all()?;
    drop(file);
    fs::rename(partial, to)?;
    crate::blobs::sync(
        to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")),
    )?;
    Ok((bytes, sha256, counts, created))
}

fn absolute(p: &Path) -> String {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()).display().to_string()
}

/// The file name a timed backup gets: `ipgo-20261122T074000Z.ipgobak`.
pub fn timed_name(prefix: &str, suffix: &str) -> String {
    format!("{prefix}{}{suffix}", crate::clock::now().strftime("%Y%m%dT%H%M%SZ"))
}

/// Keeps the newest `keep` files named `<prefix>…<suffix>` in `dir`; returns those removed.
pub fn prune(dir: &Path, prefix: &str, suffix: &str, keep: usize) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(prefix) && n.ends_with(suffix) && e.path().is_file()
        })
        .map(|e| e.path())
        .collect();
    // Names carry a sortable UTC time.
    files.sort();
    let mut removed = Vec::new();
    while files.len() > keep {
        let old = files.remove(0);
        fs::remove_file(&old)?;
        removed.push(old);
    }
    Ok(removed)
}

/// Records the backup in `meta` (for `/metrics`) with its access-log entry.
pub fn record(app: &App, actor: &crate::actor::Actor, made: &Made) -> Result<()> {
    let value = serde_json::to_vec(made)?;
    app.audit.change(actor, "backup.create", |txn| {
        txn.open_table(crate::db::META)?.insert(LAST_BACKUP_KEY, value.as_slice())?;
        let detail = serde_json::json!({
            "file": made.file, "bytes": made.bytes, "sha256": made.sha256,
            "documents": made.counts.documents, "blobs": made.counts.blobs,
        });
        Ok(((), Some(detail)))
    })
}

/// The last backup recorded in `meta`.
pub fn last(app: &App) -> Result<Option<Made>> {
    let txn = app.db.read()?;
    let meta = txn.open_table(crate::db::META)?;
    let value = meta.get(LAST_BACKUP_KEY)?.map(|g| g.value().to_vec());
    Ok(match value {
        Some(v) => Some(serde_json::from_slice(&v)?),
        None => None,
    })
}
