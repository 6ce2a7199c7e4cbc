//! Document use cases: post, new version, read, list, comment, compare versions, destroy.
//! Each checks the policy first; each change and its access-log entry commit together, after
//! the encrypted blobs it points at are durable. Posting lives in `posting.rs` and is named
//! from here, so callers keep one door to the feature.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::*;
use super::store::{self, Reader, Writer};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::blobs::BlobReader;
use crate::error::{Code, Error, Result};
use crate::portal::directory::service as directory;
use crate::vault::DataKey;

pub use super::posting::{
    AccessInput, Also, Meta, Posted, PostedFile, Ticket, check_disk, commit, commit_with,
    prepare_post, prepare_post_as_workflow, prepare_version, prepare_version_as_workflow,
};

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn doc_object(doc: &DocumentRecord) -> Object<'_> {
    Object::Document { agency_id: doc.agency_id, author_id: doc.author_id, access: &doc.access }
}

pub(super) fn load_active(app: &App, id: u64) -> Result<DocumentRecord> {
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
