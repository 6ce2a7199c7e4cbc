//! Posting a document or a new version: the ticket (permission and key before any byte of
//! the body is read), the posting's meta, and the commit that makes the blobs durable before
//! the records and their access-log entry point at them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::*;
use super::service::{doc_object, load_active, load_for, now};
use super::store::{self, Reader, Writer};
use super::upload::AcceptedFile;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::error::{Code, Error, Result};
use crate::portal::directory::service as directory;
use crate::vault::DataKey;

/// How a client names who may read a document.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AccessInput {
    /// `"agency"` (the owning agency, the default) or `"all"` (every participant).
    Word(String),
    Rule {
        #[serde(default)]
        all: bool,
        /// Agency codes.
        #[serde(default)]
        agencies: Vec<String>,
        #[serde(default)]
        departments: Vec<u64>,
        /// Logins.
        #[serde(default)]
        users: Vec<String>,
        #[serde(default)]
        groups: Vec<u64>,
    },
}

/// The `meta` part of a posting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Meta {
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    pub title: String,
    pub title_kk: String,
    pub title_ru: String,
    pub text: String,
    pub fields: BTreeMap<String, String>,
    pub access: Option<AccessInput>,
    pub note: String,
    /// For a new version: files of the previous version to keep, by id.
    pub keep_files: Vec<u64>,
    /// For a new version: the version it was based on (refused if another came since).
    pub base_version: Option<u32>,
    /// For a draft legal act: codes of the approving agencies (I385 §13).
    pub approving: Vec<String>,
    /// For a document posted for discussion (I385 §52): the discussion's settings, read
    /// by the discussions feature (the HTML form's `discussion.<name>` fields as strings).
    pub discussion: Option<serde_json::Value>,
}

/// Permission and key obtained before any byte of the body is read.
pub struct Ticket {
    pub key: DataKey,
    pub doc: Option<DocumentRecord>,
    agency_id: u64,
}

impl Ticket {
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }
}

pub fn prepare_post(app: &App, actor: &Actor) -> Result<Ticket> {
    let agency_id = actor.user().map(|u| u.agency_id).unwrap_or(0);
    require(actor, Action::DocumentCreate, Object::Agency(agency_id))?;
    check_disk(app)?;
    Ok(Ticket { key: crate::vault::Vault::new_data_key(), doc: None, agency_id })
}

pub fn prepare_version(app: &App, actor: &Actor, id: u64) -> Result<Ticket> {
    let doc = load_for(app, actor, id)?;
    require(actor, Action::DocumentEdit, doc_object(&doc))?;
    check_disk(app)?;
    let key =
        app.vault.key(id).ok_or_else(|| Error::internal(format!("document {id} has no key")))?;
    Ok(Ticket { key, agency_id: doc.agency_id, doc: Some(doc) })
}

/// A posting ticket for a workflow that has checked its own rights first (a draft's
/// developer revising it, OKDO posting minutes): the document belongs to the actor's agency.
pub fn prepare_post_as_workflow(app: &App, actor: &Actor) -> Result<Ticket> {
    let agency_id = actor.user().map(|u| u.agency_id).ok_or_else(Error::forbidden)?;
    check_disk(app)?;
    Ok(Ticket { key: crate::vault::Vault::new_data_key(), doc: None, agency_id })
}

/// A new-version ticket for a workflow that has checked its own rights first.
pub fn prepare_version_as_workflow(app: &App, id: u64) -> Result<Ticket> {
    let doc = load_active(app, id)?;
    check_disk(app)?;
    let key =
        app.vault.key(id).ok_or_else(|| Error::internal(format!("document {id} has no key")))?;
    Ok(Ticket { key, agency_id: doc.agency_id, doc: Some(doc) })
}

/// Refuses writes that add data when the disk is nearly full, before anything is written.
pub fn check_disk(app: &App) -> Result<()> {
    if app.blobs.has_room() { Ok(()) } else { Err(Error::new(Code::InsufficientStorage)) }
}
fn resolve_access(app: &App, input: Option<&AccessInput>, agency_id: u64) -> Result<AccessRule> {
    Ok(match input {
        None => AccessRule::whole_agency(agency_id),
        Some(AccessInput::Word(w)) => match w.as_str() {
            "agency" => AccessRule::whole_agency(agency_id),
            "all" => AccessRule::everyone(),
            _ => return Err(Error::invalid("access", "invalid-access")),
        },
        Some(AccessInput::Rule { all, agencies, departments, users, groups }) => {
            let (agencies, users) = directory::resolve_access_names(app, agencies, users)?;
            let rule = AccessRule {
                all: *all,
                agencies,
                departments: departments.clone(),
                users,
                groups: groups.clone(),
            };
            if rule.is_empty() { AccessRule::whole_agency(agency_id) } else { rule }
        }
    })
}

fn content_from(meta: &Meta, spec: &TypeSpec) -> Result<VersionContent> {
    use crate::portal::directory::model::clean_text;
    let title = clean_text("title", &meta.title, 1000)?;
    let title_kk = clean_text("title_kk", &meta.title_kk, 1000)?;
    let title_ru = clean_text("title_ru", &meta.title_ru, 1000)?;
    if title.is_empty() && title_kk.is_empty() && title_ru.is_empty() {
        return Err(Error::invalid("title", "field-required"));
    }
    let title = if title.is_empty() {
        if title_ru.is_empty() { title_kk.clone() } else { title_ru.clone() }
    } else {
        title
    };
    if meta.text.contains('\0') {
        return Err(Error::invalid("text", "field-control-chars"));
    }
    Ok(VersionContent {
        title,
        title_kk,
        title_ru,
        text: meta.text.clone(),
        fields: validate_fields(spec, &meta.text, &meta.fields)?,
        files: Vec::new(),
        note: clean_text("note", &meta.note, 2000)?,
    })
}

/// What a posting answers (the API contract: `{id, version, files:[{id, name, size, sha256}]}`).
#[derive(Debug, Clone, Serialize)]
pub struct Posted {
    pub id: u64,
    pub version: u32,
    pub files: Vec<PostedFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostedFile {
    pub id: u64,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub format: String,
}

/// Work a workflow adds to a posting inside the same transaction (its own records, notices):
/// one request, one change, one access-log entry named `operation`.
pub struct Also<'a> {
    pub operation: &'static str,
    pub run: &'a dyn Fn(&redb::WriteTransaction, &Posted) -> Result<serde_json::Value>,
}

/// Posts a new document or a new version, with the files already accepted.
pub fn commit(
    app: &App,
    actor: &Actor,
    ticket: Ticket,
    meta: Meta,
    files: Vec<AcceptedFile>,
) -> Result<Posted> {
    commit_with(app, actor, ticket, meta, files, None)
}

/// [`commit`] with a workflow's own work in the same transaction.
pub fn commit_with(
    app: &App,
    actor: &Actor,
    ticket: Ticket,
    meta: Meta,
    files: Vec<AcceptedFile>,
    also: Option<&Also>,
) -> Result<Posted> {
    let result = commit_inner(app, actor, &ticket, &meta, &files, also);
    if let Ok(posted) = &result {
        // Indexed off the request path (attachments are extracted in a sandbox).
        app.search.changed(posted.id);
    }
    if result.is_err() {
        // Nothing of a refused posting stays: temp files and any blob already moved in place.
        for f in files {
            let _ = app.blobs.remove(&f.pending.id);
            f.pending.discard();
        }
    }
    result
}

fn commit_inner(
    app: &App,
    actor: &Actor,
    ticket: &Ticket,
    meta: &Meta,
    files: &[AcceptedFile],
    also: Option<&Also>,
) -> Result<Posted> {
    let (doc_type, previous) = match &ticket.doc {
        None => (meta.doc_type.clone().unwrap_or_else(|| "generic".into()), None),
        Some(doc) => {
            if let Some(t) = &meta.doc_type
                && t != &doc.doc_type
            {
                return Err(Error::invalid("type", "type-cannot-change"));
            }
            if let Some(base) = meta.base_version
                && base != doc.current_version
            {
                return Err(Error::new(Code::Conflict)
                    .with_field("base_version")
                    .with_detail_key("version-outdated"));
            }
            let txn = app.db.read()?;
            let prev = Reader(&txn)
                .version(doc.id, doc.current_version)?
                .ok_or_else(|| Error::internal("current version missing"))?;
            (doc.doc_type.clone(), Some(prev))
        }
    };
    let spec = type_spec(&doc_type)
        .ok_or_else(|| Error::invalid("type", "unknown-type").with_detail(doc_type.clone()))?;
    let mut content = content_from(meta, spec)?;
    let access = match (&ticket.doc, &meta.access) {
        (Some(doc), None) => doc.access.clone(),
        (_, input) => resolve_access(app, input.as_ref(), ticket.agency_id)?,
    };
    if let Some(doc) = &ticket.doc
        && access != doc.access
    {
        // Changing who may read is for those who could destroy it: author and head.
        require(actor, Action::DocumentDestroy, doc_object(doc))?;
        actor.origin.set_operation("document.edit");
    }

    // Files kept from the previous version point at the same blobs.
    let mut kept: Vec<(StoredFile, FileMeta)> = Vec::new();
    if let Some(prev) = &previous {
        let prev_content = store::open_content(ticket.key(), prev)?;
        for id in &meta.keep_files {
            let stored = prev.files.iter().find(|f| f.id == *id);
            let described = prev_content.files.iter().find(|f| f.id == *id);
            match (stored, described) {
                (Some(s), Some(d)) => kept.push((s.clone(), d.clone())),
                _ => {
                    return Err(
                        Error::invalid("keep_files", "unknown-file").with_detail(id.to_string())
                    );
                }
            }
        }
    } else if !meta.keep_files.is_empty() {
        return Err(Error::invalid("keep_files", "unknown-file"));
    }
    let total: u64 = content.text.len() as u64
        + kept.iter().map(|(s, _)| s.size).sum::<u64>()
        + files.iter().map(|f| f.pending.plain_len).sum::<u64>();
    if total > app.config.documents.max_bytes() {
        return Err(Error::too_large("limit-document-size", app.config.documents.max_document_mb));
    }
    if kept.len() + files.len() > app.config.documents.max_files_per_document {
        return Err(Error::too_large(
            "limit-files-per-document",
            app.config.documents.max_files_per_document,
        )
        .with_field("file"));
    }

    // The blobs become durable first; only then may records point at them.
    let mut placed = Vec::new();
    for f in files {
        app.blobs
            .commit(&f.pending)
            .map_err(|e| Error::internal(format!("storing a blob: {e}")))?;
        placed.push(f);
    }
    let is_new = ticket.doc.is_none();
    let operation = match also {
        Some(a) => a.operation,
        None if is_new => "document.create",
        None => "document.version",
    };
    let now = now();
    let key = ticket.key.clone();
    let posted = app.audit.change(actor, operation, |txn| {
        let w = Writer(txn);
        let mut doc = match &ticket.doc {
            Some(d) => {
                // Re-read inside the transaction: another version may have landed meanwhile.
                let current = w.document(d.id)?.ok_or_else(Error::not_found)?;
                if current.current_version != d.current_version || current.state != DocState::Active {
                    return Err(Error::new(Code::Conflict).with_detail_key("version-outdated"));
                }
                current
            }
            None => {
                let id = crate::db::next_id(txn, "document")?;
                if w.document(id)?.is_some() {
                    return Err(Error::internal(format!("document id {id} is already taken")));
                }
                app.vault.insert(id, &key).map_err(|e| Error::internal(e.to_string()))?;
                DocumentRecord {
                    id,
                    doc_type: doc_type.clone(),
                    agency_id: ticket.agency_id,
                    author_id: actor.user_id().unwrap_or(0),
                    created: now.clone(),
                    updated: now.clone(),
                    access: access.clone(),
                    current_version: 0,
                    state: DocState::Active,
                }
            }
        };
        let n = doc.current_version + 1;
        let mut stored_files = Vec::new();
        let mut posted_files = Vec::new();
        for (s, d) in &kept {
            stored_files.push(s.clone());
            content.files.push(d.clone());
        }
        for f in &placed {
            let id = crate::db::next_id(txn, "file")?;
            stored_files.push(StoredFile { id, blob: f.pending.id.clone(), size: f.pending.plain_len, stored_size: f.pending.stored_len });
            content.files.push(FileMeta {
                id,
                name: f.name.clone(),
                format: f.format,
                size: f.pending.plain_len,
                sha256: f.pending.plain_sha256.clone(),
                entries: f.entries.clone(),
            });
        }
        for meta in &content.files {
            posted_files.push(PostedFile {
                id: meta.id,
                name: meta.name.clone(),
                size: meta.size,
                sha256: meta.sha256.clone(),
                format: meta.format.name().into(),
            });
        }
        let version = VersionRecord {
            doc_id: doc.id,
            n,
            created: now.clone(),
            author_id: actor.user_id().unwrap_or(0),
            total_size: total,
            files: stored_files,
            sealed: store::seal_content(&key, doc.id, n, &content)?,
        };
        doc.current_version = n;
        doc.updated = now.clone();
        doc.access = access.clone();
        w.put_document(&doc)?;
        w.put_version(&version)?;
        let mut detail = json!({
            "document_id": doc.id, "version": n, "type": doc.doc_type, "total_size": total,
            "files": version.files.iter().map(|f| json!({"id": f.id, "size": f.size, "blob": f.blob.0})).collect::<Vec<_>>(),
        });
        let posted = Posted { id: doc.id, version: n, files: posted_files };
        if let Some(a) = also {
            detail["workflow"] = (a.run)(txn, &posted)?;
        }
        Ok((posted, Some(detail)))
    })?;
    for f in files {
        // The temp files were renamed; nothing left to delete, but make it explicit.
        let _ = std::fs::remove_file(&f.pending.tmp_path);
    }
    Ok(posted)
}
