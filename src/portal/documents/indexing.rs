//! What the search index is fed from (I385 §6.6): a system-level read path that answers for
//! no person — the index is derived data, and every hit is checked against the policy again
//! before anyone sees it. Reads the current version with the document's key, opens attached
//! files as exact bytes, and lists documents with what decides their index stamp.

use std::collections::HashSet;

use redb::ReadableTable;

use super::model::{DocState, DocumentRecord, FileMeta, StoredFile, VersionContent};
use super::signatures::SIGNATURES;
use super::store::{self, Reader};
use crate::app::App;
use crate::blobs::BlobReader;
use crate::error::{Error, Result};
use crate::vault::DataKey;

/// A document as the index sees it.
pub enum Source {
    /// Gone from the store or destroyed (or being destroyed): it must leave the index.
    Gone {
        destroyed: bool,
    },
    Active(Box<Active>),
}

pub struct Active {
    pub doc: DocumentRecord,
    /// Whether the current version carries at least one signature.
    pub signed: bool,
    pub content: VersionContent,
    /// Each file of the current version: what it is and where its bytes are.
    pub files: Vec<(FileMeta, StoredFile)>,
    pub key: DataKey,
}

/// A document's summary for reconciling the index with the store.
pub struct Summary {
    pub doc: DocumentRecord,
    pub signed: bool,
}

impl Summary {
    pub fn is_active(&self) -> bool {
        self.doc.state == DocState::Active
    }

    pub fn is_destroyed(&self) -> bool {
        !self.is_active()
    }
}

/// `(document, version)` pairs that carry at least one signature.
fn signed_versions(txn: &redb::ReadTransaction) -> Result<HashSet<(u64, u32)>> {
    let table = txn.open_table(SIGNATURES)?;
    let mut out = HashSet::new();
    for row in table.iter()? {
        let (doc, version, _) = row?.0.value();
        out.insert((doc, version));
    }
    Ok(out)
}

/// Reads document `id` for indexing (no person's rights are involved; see the module).
pub fn source_for_index(app: &App, id: u64) -> Result<Source> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let Some(doc) = r.document(id)? else { return Ok(Source::Gone { destroyed: false }) };
    if doc.state != DocState::Active {
        return Ok(Source::Gone { destroyed: true });
    }
    let key =
        app.vault.key(id).ok_or_else(|| Error::internal(format!("document {id} has no key")))?;
    let version = r
        .version(id, doc.current_version)?
        .ok_or_else(|| Error::internal(format!("document {id} lacks its current version")))?;
    let content = store::open_content(&key, &version)?;
    let files = content
        .files
        .iter()
        .filter_map(|meta| {
            version.files.iter().find(|f| f.id == meta.id).map(|s| (meta.clone(), s.clone()))
        })
        .collect();
    let signed = {
        let table = txn.open_table(SIGNATURES)?;
        let mut rows =
            table.range((id, doc.current_version, 0)..=(id, doc.current_version, u64::MAX))?;
        rows.next().is_some()
    };
    Ok(Source::Active(Box::new(Active { doc, signed, content, files, key })))
}

/// Opens an attached file's exact bytes for indexing.
pub fn open_for_index(app: &App, file: &StoredFile, key: &DataKey) -> Result<BlobReader> {
    app.blobs
        .open_reader(&file.blob, key)
        .map_err(|e| Error::internal(format!("blob {}: {e}", file.blob.0)))
}

/// Every document with what its index stamp depends on, in one snapshot.
pub fn summaries(app: &App) -> Result<Vec<Summary>> {
    let txn = app.db.read()?;
    let signed = signed_versions(&txn)?;
    let mut out = Vec::new();
    Reader(&txn).documents_desc(None, |doc| {
        let signed = signed.contains(&(doc.id, doc.current_version));
        out.push(Summary { doc, signed });
        !app.stopping()
    })?;
    // Never a partial list: a caller would take the documents left out for deleted ones.
    if app.stopping() {
        return Err(Error::internal("stopping"));
    }
    Ok(out)
}
