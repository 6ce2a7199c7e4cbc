//! `ipgo verify`: re-reads every stored blob, checks every authentication tag and both
//! hashes (the file name is the sha256 of the encrypted file; the recorded sha256 of the
//! bytes received), checks that every record's references hold (keys in the vault, blobs
//! on disk, destroyed documents really gone), and checks the access log. Problems name the
//! document, version and file. Orphans and pending work are notes, not problems. It also
//! names every account whose roles break separation of duties (data intact, exit 4).

use std::collections::HashSet;
use std::fmt;
use std::io::Read;

use redb::ReadableTable;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::blobs::BlobId;
use crate::error::Result;
use crate::portal::documents::model::{DocState, DocumentRecord, VersionRecord};
use crate::portal::documents::store::{self, DOCUMENTS, Reader};

#[derive(Debug, Default)]
pub struct StoreReport {
    pub documents: u64,
    pub versions: u64,
    pub files: u64,
    pub bytes: u64,
    pub destroyed: u64,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
    pub access_log: Option<crate::audit::verify::Report>,
    /// Accounts whose roles break separation of duties: the data is intact, the directory
    /// needs an administrator.
    pub duty_conflicts: Vec<String>,
}

impl StoreReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.access_log.as_ref().is_none_or(|r| r.ok())
    }
}

impl fmt::Display for StoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "documents: {} ({} destroyed), versions: {}, files: {}, bytes checked: {}",
            self.documents, self.destroyed, self.versions, self.files, self.bytes
        )?;
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        for p in &self.problems {
            writeln!(f, "PROBLEM: {p}")?;
        }
        if self.problems.is_empty() {
            writeln!(f, "document store intact")?;
        }
        if let Some(log) = &self.access_log {
            write!(f, "{log}")?;
        }
        for c in &self.duty_conflicts {
            writeln!(f, "PROBLEM: {c}")?;
        }
        if self.duty_conflicts.is_empty() {
            writeln!(f, "separation of duties holds for every account")?;
        }
        Ok(())
    }
}

/// Plaintext sha256 and length of a blob, authenticating every chunk on the way.
fn read_blob(app: &App, id: &BlobId, key: &[u8; 32]) -> std::io::Result<(String, u64)> {
    let mut reader = app.blobs.open_reader(id, key)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}

fn file_hash(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

fn check_version(app: &App, report: &mut StoreReport, key: &[u8; 32], v: &VersionRecord) {
    let at = format!("document {} version {}", v.doc_id, v.n);
    let content = match store::open_content(key, v) {
        Ok(c) => c,
        Err(_) => {
            report
                .problems
                .push(format!("{at}: its sealed record does not decrypt (altered or wrong key)"));
            return;
        }
    };
    for stored in &v.files {
        report.files += 1;
        let meta = content.files.iter().find(|m| m.id == stored.id);
        let name = meta.map(|m| m.name.as_str()).unwrap_or("?");
        let place = format!("{at}, file {} {name:?} (blob {})", stored.id, stored.blob.0);
        let path = app.blobs.path(&stored.blob);
        if !path.exists() {
            report.problems.push(format!("{place}: the blob is missing"));
            continue;
        }
        match file_hash(&path) {
            Ok(h) if h == stored.blob.0 => {}
            Ok(_) => report
                .problems
                .push(format!("{place}: the encrypted file does not match its name (sha256)")),
            Err(e) => report.problems.push(format!("{place}: cannot read: {e}")),
        }
        match read_blob(app, &stored.blob, key) {
            Ok((sha, len)) => {
                report.bytes += len;
                if let Some(m) = meta {
                    if m.sha256 != sha {
                        report
                            .problems
                            .push(format!("{place}: content differs from the recorded sha256"));
                    }
                    if m.size != len || stored.size != len {
                        report.problems.push(format!(
                            "{place}: size {len} differs from the recorded {}",
                            m.size
                        ));
                    }
                } else {
                    report.problems.push(format!("{place}: not described in the version's record"));
                }
            }
            Err(e) => report.problems.push(format!("{place}: {e}")),
        }
    }
    if content.files.len() != v.files.len() {
        report.problems.push(format!(
            "{at}: the record lists {} files but {} are stored",
            content.files.len(),
            v.files.len()
        ));
    }
}

pub fn run(app: &App) -> Result<StoreReport> {
    let mut report = StoreReport::default();
    let txn = app.db.read()?;
    let r = Reader(&txn);
    // 32-byte names, sorted once at the end: a third of the memory of a set of hex names.
    let mut referenced: Vec<[u8; 32]> = Vec::new();
    let mut known_docs = HashSet::new();
    // One record at a time: a million documents' records are hundreds of MiB.
    for row in txn.open_table(DOCUMENTS)?.iter()? {
        let doc: &DocumentRecord = &serde_json::from_slice(row?.1.value())?;
        report.documents += 1;
        known_docs.insert(doc.id);
        match &doc.state {
            DocState::Active => {
                let Some(key) = app.vault.key(doc.id) else {
                    report
                        .problems
                        .push(format!("document {}: its key is missing from the vault", doc.id));
                    continue;
                };
                let versions = r.versions(doc.id)?;
                if versions.len() as u32 != doc.current_version
                    || versions.iter().enumerate().any(|(i, v)| v.n != i as u32 + 1)
                {
                    report.problems.push(format!(
                        "document {}: versions are not 1..{} ({} found)",
                        doc.id,
                        doc.current_version,
                        versions.len()
                    ));
                }
                for v in &versions {
                    report.versions += 1;
                    referenced.extend(v.files.iter().map(|f| f.blob.raw()));
                    check_version(app, &mut report, &key, v);
                }
                for c in r.comments(doc.id)? {
                    if store::open_comment(&key, &c).is_err() {
                        report.problems.push(format!(
                            "document {} comment {}: does not decrypt",
                            doc.id, c.id
                        ));
                    }
                }
            }
            DocState::Destroying { .. } => report.notes.push(format!(
                "document {}: destruction will be completed at the next start",
                doc.id
            )),
            DocState::Destroyed { .. } => {
                report.destroyed += 1;
                if app.vault.key(doc.id).is_some() {
                    report.problems.push(format!(
                        "document {}: destroyed, but its key is still in the vault",
                        doc.id
                    ));
                }
                if !r.versions(doc.id)?.is_empty() {
                    report.problems.push(format!(
                        "document {}: destroyed, but version records remain",
                        doc.id
                    ));
                }
                match r.destruction(doc.id)? {
                    None => report.problems.push(format!(
                        "document {}: destroyed, but missing from the destruction register",
                        doc.id
                    )),
                    Some(d) => {
                        for b in d.blobs {
                            if app.blobs.exists(&BlobId(b.clone())) {
                                report.problems.push(format!(
                                    "document {}: destroyed, but blob {b} still exists",
                                    doc.id
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    referenced.sort_unstable();
    referenced.dedup();
    app.blobs.walk(0..=255, |raw| {
        if referenced.binary_search(&raw).is_err() {
            report.notes.push(format!("blob {} is referenced by no document (an interrupted upload; it is collected automatically)", BlobId::from_raw(&raw).0));
        }
    })?;
    for id in app.vault.document_ids() {
        if !known_docs.contains(&id) {
            report.notes.push(format!(
                "the vault holds a key for document {id}, which was never committed"
            ));
        }
    }
    report.duty_conflicts = crate::portal::directory::service::duty_conflicts(app)?
        .iter()
        .map(ToString::to_string)
        .collect();
    app.audit.flush_blocking();
    report.access_log = Some(crate::audit::verify::verify(
        &app.db,
        app.config.data_dir(),
        &app.audit.public_key(),
    )?);
    Ok(report)
}
