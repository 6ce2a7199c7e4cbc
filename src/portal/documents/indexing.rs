//! What the search index is fed from (I385 §6.6): a system-level read path that answers for
//! no person — the index is derived data, and every hit is checked against the policy again
//! before anyone sees it. Reads the current version with the document's key, opens attached
//! files as exact bytes, and lists documents with what decides their index stamp.

use std::collections::HashSet;

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

/// Up to `limit` documents with ids above `after` (all when `None`), in ascending id order,
/// with what their index stamps depend on, read in one snapshot. Callers walk the store a
/// batch at a time, so that what they hold does not grow with the store (a million
/// documents' records are hundreds of MiB).
pub fn summaries_after(app: &App, after: Option<u64>, limit: usize) -> Result<Vec<Summary>> {
    let txn = app.db.read()?;
    let from = match after {
        Some(u64::MAX) => return Ok(Vec::new()),
        Some(id) => id + 1,
        None => 0,
    };
    let mut out = Vec::new();
    for row in txn.open_table(store::DOCUMENTS)?.range(from..)? {
        // Never a partial answer: a caller would take the documents left out for deleted ones.
        if app.stopping() {
            return Err(Error::internal("stopping"));
        }
        if out.len() == limit {
            break;
        }
        let doc: DocumentRecord = serde_json::from_slice(row?.1.value())?;
        out.push(Summary { doc, signed: false });
    }
    let Some(last) = out.last().map(|s| s.doc.id) else { return Ok(out) };
    // The signatures of the batch's documents, in one range of the same snapshot.
    let mut signed = HashSet::new();
    let signatures = txn.open_table(SIGNATURES)?;
    for row in signatures.range((from, 0, 0)..=(last, u32::MAX, u64::MAX))? {
        let (doc, version, _) = row?.0.value();
        signed.insert((doc, version));
    }
    for s in &mut out {
        s.signed = signed.contains(&(s.doc.id, s.doc.current_version));
    }
    Ok(out)
}
