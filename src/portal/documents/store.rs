//! The documents feature's redb tables, and sealing of content with the document key.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::model::{CommentRecord, DocumentRecord, VersionContent, VersionRecord};
use crate::db::{get_json, to_json};
use crate::error::{Error, Result};

pub const DOCUMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("documents");
pub const VERSIONS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("document_versions");
pub const COMMENTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("document_comments");
/// The destruction register: one row per destroyed document, kept forever, replayed by
/// restores so a destroyed document never comes back from an old backup.
pub const DESTRUCTIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("destruction_register");
/// Documents whose destruction started and has not finished (`DocState::Destroying`), kept
/// by [`Writer::put_document`]: start-up finishes them without reading every document
/// record (seconds at a million documents; issue 18, start-up).
pub const DESTROYING: TableDefinition<u64, ()> = TableDefinition::new("documents_destroying");
/// Set in `META` once [`DESTROYING`] holds every such document (a database made before the
/// table existed is scanned once at start, see `destroy::resume`).
pub const DESTROYING_COMPLETE: &str = "documents_destroying_complete";

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(DOCUMENTS)?;
    txn.open_table(VERSIONS)?;
    txn.open_table(COMMENTS)?;
    txn.open_table(DESTRUCTIONS)?;
    txn.open_table(DESTROYING)?;
    Ok(())
}

/// A row of the destruction register.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Destruction {
    pub doc_id: u64,
    pub destroyed_at: String,
    pub by: String,
    pub reason: String,
    pub blobs: Vec<String>,
    pub certificate_seq: u64,
}

fn version_aad(doc: u64, n: u32) -> Vec<u8> {
    format!("ipgo-version:{doc}:{n}").into_bytes()
}

fn comment_aad(doc: u64, id: u64) -> Vec<u8> {
    format!("ipgo-comment:{doc}:{id}").into_bytes()
}

pub fn seal_content(key: &[u8; 32], doc: u64, n: u32, content: &VersionContent) -> Result<Vec<u8>> {
    Ok(crate::vault::seal(key, &version_aad(doc, n), &serde_json::to_vec(content)?))
}

pub fn open_content(key: &[u8; 32], version: &VersionRecord) -> Result<VersionContent> {
    let plain =
        crate::vault::open_sealed(key, &version_aad(version.doc_id, version.n), &version.sealed)
            .ok_or_else(|| {
                Error::internal(format!(
                    "document {} version {} does not decrypt",
                    version.doc_id, version.n
                ))
            })?;
    Ok(serde_json::from_slice(&plain)?)
}

pub fn seal_comment(key: &[u8; 32], doc: u64, id: u64, text: &str) -> Vec<u8> {
    crate::vault::seal(key, &comment_aad(doc, id), text.as_bytes())
}

pub fn open_comment(key: &[u8; 32], c: &CommentRecord) -> Result<String> {
    let plain = crate::vault::open_sealed(key, &comment_aad(c.doc_id, c.id), &c.sealed)
        .ok_or_else(|| Error::internal(format!("comment {} does not decrypt", c.id)))?;
    String::from_utf8(plain).map_err(Error::internal)
}

/// Reads within one snapshot.
pub struct Reader<'a>(pub &'a ReadTransaction);

impl Reader<'_> {
    pub fn document(&self, id: u64) -> Result<Option<DocumentRecord>> {
        get_json(&self.0.open_table(DOCUMENTS)?, id)
    }

    pub fn version(&self, doc: u64, n: u32) -> Result<Option<VersionRecord>> {
        get_json(&self.0.open_table(VERSIONS)?, (doc, n))
    }

    pub fn versions(&self, doc: u64) -> Result<Vec<VersionRecord>> {
        let table = self.0.open_table(VERSIONS)?;
        let mut out = Vec::new();
        for row in table.range((doc, 0)..=(doc, u32::MAX))? {
            out.push(serde_json::from_slice(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn comments(&self, doc: u64) -> Result<Vec<CommentRecord>> {
        let table = self.0.open_table(COMMENTS)?;
        let mut out = Vec::new();
        for row in table.range((doc, 0)..=(doc, u64::MAX))? {
            out.push(serde_json::from_slice(row?.1.value())?);
        }
        Ok(out)
    }

    /// Documents newest first, from below `before` (paging), while `keep` says so.
    pub fn documents_desc(
        &self,
        before: Option<u64>,
        mut visit: impl FnMut(DocumentRecord) -> bool,
    ) -> Result<()> {
        let table = self.0.open_table(DOCUMENTS)?;
        for row in table.range(..before.unwrap_or(u64::MAX))?.rev() {
            let doc: DocumentRecord = serde_json::from_slice(row?.1.value())?;
            if !visit(doc) {
                break;
            }
        }
        Ok(())
    }

    pub fn destruction(&self, doc: u64) -> Result<Option<Destruction>> {
        get_json(&self.0.open_table(DESTRUCTIONS)?, doc)
    }

    pub fn destructions(&self) -> Result<Vec<Destruction>> {
        crate::db::all_json(&self.0.open_table(DESTRUCTIONS)?)
    }
}

/// Writes within one transaction.
pub struct Writer<'a>(pub &'a WriteTransaction);

impl Writer<'_> {
    pub fn document(&self, id: u64) -> Result<Option<DocumentRecord>> {
        get_json(&self.0.open_table(DOCUMENTS)?, id)
    }

    pub fn put_document(&self, doc: &DocumentRecord) -> Result<()> {
        self.0.open_table(DOCUMENTS)?.insert(doc.id, to_json(doc)?.as_slice())?;
        let mut destroying = self.0.open_table(DESTROYING)?;
        if matches!(doc.state, super::model::DocState::Destroying { .. }) {
            destroying.insert(doc.id, ())?;
        } else {
            destroying.remove(doc.id)?;
        }
        Ok(())
    }

    pub fn put_version(&self, v: &VersionRecord) -> Result<()> {
        self.0.open_table(VERSIONS)?.insert((v.doc_id, v.n), to_json(v)?.as_slice())?;
        Ok(())
    }

    pub fn put_comment(&self, c: &CommentRecord) -> Result<()> {
        self.0.open_table(COMMENTS)?.insert((c.doc_id, c.id), to_json(c)?.as_slice())?;
        Ok(())
    }

    /// Removes every version and comment of a document (keeping the document row).
    pub fn remove_content(&self, doc: u64) -> Result<()> {
        let mut versions = self.0.open_table(VERSIONS)?;
        let keys: Vec<(u64, u32)> = versions
            .range((doc, 0)..=(doc, u32::MAX))?
            .map(|r| r.map(|(k, _)| k.value()))
            .collect::<Result<_, _>>()?;
        for k in keys {
            versions.remove(k)?;
        }
        let mut comments = self.0.open_table(COMMENTS)?;
        let keys: Vec<(u64, u64)> = comments
            .range((doc, 0)..=(doc, u64::MAX))?
            .map(|r| r.map(|(k, _)| k.value()))
            .collect::<Result<_, _>>()?;
        for k in keys {
            comments.remove(k)?;
        }
        Ok(())
    }

    pub fn put_destruction(&self, d: &Destruction) -> Result<()> {
        self.0.open_table(DESTRUCTIONS)?.insert(d.doc_id, to_json(d)?.as_slice())?;
        Ok(())
    }
}
