//! Document use cases: post, new version, read, list, comment, compare versions, destroy.
//! Each checks the policy first; each change and its access-log entry commit together, after
//! the encrypted blobs it points at are durable.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::*;
use super::store::{self, Reader, Writer};
use super::upload::AcceptedFile;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::blobs::BlobReader;
use crate::error::{Code, Error, Result};
use crate::portal::directory::service as directory;
use crate::vault::DataKey;

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

fn doc_object(doc: &DocumentRecord) -> Object<'_> {
    Object::Document { agency_id: doc.agency_id, author_id: doc.author_id, access: &doc.access }
}

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

fn load_active(app: &App, id: u64) -> Result<DocumentRecord> {
    let txn = app.db.read()?;
    let doc = Reader(&txn).document(id)?.ok_or_else(Error::not_found)?;
    match doc.state {
        DocState::Active => Ok(doc),
        _ => Err(Error::new(Code::Gone)),
    }
}

/// Loads an active document for an action of `actor` (whose right the caller checks next).
pub(super) fn load_for(app: &App, actor: &Actor, id: u64) -> Result<DocumentRecord> {
    let txn = app.db.read()?;
    let doc = Reader(&txn).document(id)?.ok_or_else(Error::not_found)?;
    if doc.state != DocState::Active {
        return Err(gone(actor, &doc));
    }
    Ok(doc)
}

/// The answer about a document that was destroyed or is being destroyed: "gone" (410) for
/// those who may know it existed — its author and its agency's participants — and "not
/// found" (404), as for an id that never existed, for everyone else (existence not
/// revealed, A.11).
pub(super) fn gone(actor: &Actor, doc: &DocumentRecord) -> Error {
    let agency = AccessRule::whole_agency(doc.agency_id);
    let tombstone =
        Object::Document { agency_id: doc.agency_id, author_id: doc.author_id, access: &agency };
    match crate::auth::policy::require_visible(actor, tombstone) {
        Ok(()) => Error::new(Code::Gone),
        Err(hidden) => hidden,
    }
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

// ---------------------------------------------------------------------------------------
// Reading

#[derive(Debug, Clone, Serialize)]
pub struct PersonRef {
    pub id: u64,
    pub login: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub version: u32,
    pub created: String,
    pub author: PersonRef,
    pub total_size: u64,
    #[serde(flatten)]
    pub content: VersionContent,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    pub id: u64,
    pub version: u32,
    pub created: String,
    pub author: PersonRef,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub id: u64,
    #[serde(rename = "type")]
    pub doc_type: String,
    pub agency: AgencyRef,
    pub author: PersonRef,
    pub created: String,
    pub updated: String,
    pub access: AccessRule,
    pub current_version: u32,
    /// Every version, oldest first.
    pub versions: Vec<VersionView>,
    pub comments: Vec<CommentView>,
    pub can_edit: bool,
    pub can_destroy: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgencyRef {
    pub id: u64,
    pub code: String,
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
}

impl DocumentView {
    pub fn current(&self) -> &VersionView {
        self.versions.last().expect("a document has at least one version")
    }

    pub fn version(&self, n: u32) -> Option<&VersionView> {
        self.versions.iter().find(|v| v.version == n)
    }
}

fn people(
    app: &App,
    ids: impl IntoIterator<Item = u64>,
    lang: &str,
) -> Result<HashMap<u64, PersonRef>> {
    let mut ids: Vec<u64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(directory::user_names(app, &ids, lang)?
        .into_iter()
        .map(|(id, login, name)| (id, PersonRef { id, login, name }))
        .collect())
}

fn person(map: &HashMap<u64, PersonRef>, id: u64) -> PersonRef {
    map.get(&id).cloned().unwrap_or(PersonRef { id, login: "-".into(), name: "-".into() })
}

/// Loads a readable document with its key: 410 after destruction, and 404 — as for a
/// missing id — to anyone who may not read it.
pub(super) fn readable(app: &App, actor: &Actor, id: u64) -> Result<(DocumentRecord, DataKey)> {
    // Names the request unless something named it first: a draft's page reads its
    // document, and the log says the draft was opened (issue 21 point 5).
    actor.origin.name_operation_if_unnamed("document.read");
    let doc = load_for(app, actor, id)?;
    require(actor, Action::DocumentRead, doc_object(&doc))?;
    let key =
        app.vault.key(id).ok_or_else(|| Error::internal(format!("document {id} has no key")))?;
    Ok((doc, key))
}

pub fn get(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<DocumentView> {
    let (doc, key) = readable(app, actor, id)?;
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let versions = r.versions(id)?;
    let comments = r.comments(id)?;
    let mut ids: Vec<u64> = versions.iter().map(|v| v.author_id).collect();
    ids.extend(comments.iter().map(|c| c.author_id));
    ids.push(doc.author_id);
    let names = people(app, ids, lang)?;
    let agency = directory::agencies_by_id(app)?.remove(&doc.agency_id);
    let mut version_views = Vec::new();
    for v in &versions {
        version_views.push(VersionView {
            version: v.n,
            created: v.created.clone(),
            author: person(&names, v.author_id),
            total_size: v.total_size,
            content: store::open_content(&key, v)?,
        });
    }
    let mut comment_views = Vec::new();
    for c in &comments {
        comment_views.push(CommentView {
            id: c.id,
            version: c.version,
            created: c.created.clone(),
            author: person(&names, c.author_id),
            text: store::open_comment(&key, c)?,
        });
    }
    Ok(DocumentView {
        id,
        doc_type: doc.doc_type.clone(),
        agency: AgencyRef {
            id: doc.agency_id,
            code: agency.as_ref().map(|a| a.code.clone()).unwrap_or_default(),
            name_kk: agency.as_ref().map(|a| a.name_kk.clone()).unwrap_or_default(),
            name_ru: agency.as_ref().map(|a| a.name_ru.clone()).unwrap_or_default(),
            name_en: agency.as_ref().map(|a| a.name_en.clone()).unwrap_or_default(),
        },
        author: person(&names, doc.author_id),
        created: doc.created.clone(),
        updated: doc.updated.clone(),
        access: doc.access.clone(),
        current_version: doc.current_version,
        versions: version_views,
        comments: comment_views,
        can_edit: crate::auth::policy::decide(actor, Action::DocumentEdit, doc_object(&doc)),
        can_destroy: crate::auth::policy::decide(actor, Action::DocumentDestroy, doc_object(&doc)),
    })
}

/// Opens one attached file of one version for download: its description and a reader of
/// the exact bytes received.
pub fn open_file(
    app: &App,
    actor: &Actor,
    id: u64,
    n: u32,
    file_id: u64,
) -> Result<(FileMeta, BlobReader)> {
    let (_, key) = readable(app, actor, id)?;
    actor.origin.set_operation("document.download");
    open_file_with(app, id, n, file_id, &key)
}

/// [`open_file`] for a workflow that has checked its reader's right itself (a discussion's
/// members read the document it discusses).
pub fn open_file_for_workflow(
    app: &App,
    id: u64,
    n: u32,
    file_id: u64,
) -> Result<(FileMeta, BlobReader)> {
    let key = app.vault.key(id).ok_or_else(Error::not_found)?;
    open_file_with(app, id, n, file_id, &key)
}

fn open_file_with(
    app: &App,
    id: u64,
    n: u32,
    file_id: u64,
    key: &DataKey,
) -> Result<(FileMeta, BlobReader)> {
    let txn = app.db.read()?;
    let version = Reader(&txn).version(id, n)?.ok_or_else(Error::not_found)?;
    let stored = version.files.iter().find(|f| f.id == file_id).ok_or_else(Error::not_found)?;
    let content = store::open_content(key, &version)?;
    let meta = content.files.into_iter().find(|f| f.id == file_id).ok_or_else(Error::not_found)?;
    let reader = app
        .blobs
        .open_reader(&stored.blob, key)
        .map_err(|e| Error::internal(format!("blob {}: {e}", stored.blob.0)))?;
    Ok((meta, reader))
}

/// Opens one file of a document's current version for a workflow that has checked its own
/// rights to it first (a helpdesk request's attachment shown to the support service).
pub fn open_file_as_workflow(app: &App, id: u64, file_id: u64) -> Result<(FileMeta, BlobReader)> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let doc = r.document(id)?.ok_or_else(Error::not_found)?;
    if doc.state != DocState::Active {
        return Err(Error::new(Code::Gone));
    }
    let key =
        app.vault.key(id).ok_or_else(|| Error::internal(format!("document {id} has no key")))?;
    let version = r.version(id, doc.current_version)?.ok_or_else(Error::not_found)?;
    let stored = version.files.iter().find(|f| f.id == file_id).ok_or_else(Error::not_found)?;
    let content = store::open_content(&key, &version)?;
    let meta = content.files.into_iter().find(|f| f.id == file_id).ok_or_else(Error::not_found)?;
    let reader = app
        .blobs
        .open_reader(&stored.blob, &key)
        .map_err(|e| Error::internal(format!("blob {}: {e}", stored.blob.0)))?;
    Ok((meta, reader))
}

/// Filters of the document list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    /// Agency code.
    pub agency: String,
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Author login.
    pub author: String,
    /// Earliest last change, `YYYY-MM-DD`.
    pub from: String,
    /// Latest last change (inclusive), `YYYY-MM-DD`.
    pub to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListItem {
    pub id: u64,
    #[serde(rename = "type")]
    pub doc_type: String,
    pub title: String,
    pub agency: String,
    pub author: PersonRef,
    pub updated: String,
    pub version: u32,
    pub files: usize,
}

/// Documents the actor may read, newest first, at most `limit`, below id `before`.
pub fn list(
    app: &App,
    actor: &Actor,
    filter: &ListFilter,
    before: Option<u64>,
    limit: usize,
    lang: &str,
) -> Result<Vec<ListItem>> {
    actor.origin.set_operation("document.list");
    if actor.user().is_none() {
        return Err(Error::forbidden());
    }
    let agencies = directory::agencies_by_id(app)?;
    let agency_id = if filter.agency.is_empty() {
        None
    } else {
        Some(
            agencies
                .values()
                .find(|a| a.code.eq_ignore_ascii_case(&filter.agency))
                .map(|a| a.id)
                .unwrap_or(u64::MAX),
        )
    };
    let author_id = if filter.author.is_empty() {
        None
    } else {
        Some(directory::user_by_login(app, actor, &filter.author).map(|u| u.id).unwrap_or(u64::MAX))
    };
    let from = (!filter.from.is_empty()).then(|| format!("{}T00:00:00", filter.from));
    let to = (!filter.to.is_empty()).then(|| format!("{}T99", filter.to));
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let mut found = Vec::new();
    r.documents_desc(before, |doc| {
        let fits = doc.state == DocState::Active
            && agency_id.is_none_or(|a| a == doc.agency_id)
            && author_id.is_none_or(|a| a == doc.author_id)
            && (filter.doc_type.is_empty() || filter.doc_type == doc.doc_type)
            && from.as_ref().is_none_or(|f| doc.updated.as_str() >= f.as_str())
            && to.as_ref().is_none_or(|t| doc.updated.as_str() <= t.as_str())
            && crate::auth::policy::decide(actor, Action::DocumentRead, doc_object(&doc));
        if fits {
            found.push(doc);
        }
        found.len() < limit
    })?;
    let names = people(app, found.iter().map(|d| d.author_id), lang)?;
    let mut out = Vec::new();
    for doc in found {
        let Some(key) = app.vault.key(doc.id) else { continue };
        let Some(version) = r.version(doc.id, doc.current_version)? else { continue };
        let content = store::open_content(&key, &version)?;
        out.push(ListItem {
            id: doc.id,
            doc_type: doc.doc_type.clone(),
            title: content.title_in(lang).to_owned(),
            agency: agencies.get(&doc.agency_id).map(|a| a.code.clone()).unwrap_or_default(),
            author: person(&names, doc.author_id),
            updated: doc.updated.clone(),
            version: doc.current_version,
            files: version.files.len(),
        });
    }
    Ok(out)
}

/// Adds a comment to the current version (I385 §6.5).
pub fn comment(app: &App, actor: &Actor, id: u64, text: &str) -> Result<u64> {
    let (doc, key) = readable(app, actor, id)?;
    require(actor, Action::DocumentComment, doc_object(&doc))?;
    let text = crate::portal::directory::model::clean_text("text", text.trim(), 10_000)?;
    if text.is_empty() {
        return Err(Error::invalid("text", "field-required"));
    }
    app.audit.change(actor, "document.comment", |txn| {
        let cid = crate::db::next_id(txn, "comment")?;
        let record = CommentRecord {
            id: cid,
            doc_id: id,
            version: doc.current_version,
            author_id: actor.user_id().unwrap_or(0),
            created: now(),
            sealed: store::seal_comment(&key, id, cid, &text),
        };
        Writer(txn).put_comment(&record)?;
        Ok((cid, Some(json!({"document_id": id, "comment_id": cid}))))
    })
}

/// One line of a comparison between two versions' texts.
#[derive(Debug, Clone, Serialize)]
pub struct DiffLine {
    /// `same`, `added` or `removed`.
    pub kind: &'static str,
    pub text: String,
}

pub fn diff(
    app: &App,
    actor: &Actor,
    id: u64,
    from: u32,
    to: u32,
    lang: &str,
) -> Result<Vec<DiffLine>> {
    let view = get(app, actor, id, lang)?;
    actor.origin.set_operation("document.diff");
    let a = view.version(from).ok_or_else(Error::not_found)?;
    let b = view.version(to).ok_or_else(Error::not_found)?;
    let text_a = format!("{}\n\n{}", a.content.title, a.content.text);
    let text_b = format!("{}\n\n{}", b.content.title, b.content.text);
    let diff = similar::TextDiff::from_lines(&text_a, &text_b);
    Ok(diff
        .iter_all_changes()
        .map(|c| DiffLine {
            kind: match c.tag() {
                similar::ChangeTag::Equal => "same",
                similar::ChangeTag::Insert => "added",
                similar::ChangeTag::Delete => "removed",
            },
            text: c.value().trim_end_matches('\n').to_owned(),
        })
        .collect())
}

/// Current announcements (I385 §7.7) the actor may read, newest first.
pub fn announcements(app: &App, actor: &Actor, limit: usize, lang: &str) -> Result<Vec<ListItem>> {
    let filter = ListFilter { doc_type: "announcement".into(), ..Default::default() };
    list(app, actor, &filter, None, limit, lang)
}

/// A document the portal writes itself (e.g. a cover letter), text only, inside the
/// caller's transaction. Returns its id.
#[allow(clippy::too_many_arguments)]
pub fn write_text_document_in(
    txn: &redb::WriteTransaction,
    app: &App,
    author_id: u64,
    agency_id: u64,
    doc_type: &str,
    content: VersionContent,
    access: AccessRule,
) -> Result<u64> {
    let w = Writer(txn);
    let id = crate::db::next_id(txn, "document")?;
    if w.document(id)?.is_some() {
        return Err(Error::internal(format!("document id {id} is already taken")));
    }
    let key = crate::vault::Vault::new_data_key();
    app.vault.insert(id, &key).map_err(|e| Error::internal(e.to_string()))?;
    let now = now();
    let doc = DocumentRecord {
        id,
        doc_type: doc_type.to_owned(),
        agency_id,
        author_id,
        created: now.clone(),
        updated: now.clone(),
        access,
        current_version: 1,
        state: DocState::Active,
    };
    let version = VersionRecord {
        doc_id: id,
        n: 1,
        created: now,
        author_id,
        total_size: content.text.len() as u64,
        files: Vec::new(),
        sealed: store::seal_content(&key, id, 1, &content)?,
    };
    w.put_document(&doc)?;
    w.put_version(&version)?;
    Ok(id)
}

/// The current content of a document for a workflow that already checked access.
pub fn current_content(app: &App, id: u64) -> Result<(DocumentRecord, VersionContent)> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let doc = r.document(id)?.ok_or_else(Error::not_found)?;
    let key =
        app.vault.key(id).ok_or_else(|| Error::internal(format!("document {id} has no key")))?;
    let version = r.version(id, doc.current_version)?.ok_or_else(Error::not_found)?;
    let content = store::open_content(&key, &version)?;
    Ok((doc, content))
}
