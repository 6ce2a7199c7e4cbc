//! Receiving a posting over HTTP: a multipart body with a `meta` JSON part (API) or plain
//! form fields (the HTML form), and any number of `file` parts.
//!
//! Files stream straight into encrypted temp blobs (a bounded channel to a blocking writer,
//! so memory stays flat however large the file); the size limit is enforced as bytes arrive
//! — a too-large body is refused with 413 before it is read to the end — and each finished
//! file is inspected before the next part is read. Whatever is refused leaves nothing behind.
//! A body of more parts than `server.max_parts_per_request`, or more files than
//! `documents.max_files_per_document`, is refused at the first part over the limit.
//!
//! A refused file does not stop the reading: every file is inspected and every refusal
//! kept, with the form's fields, so the page can show the form again with all of them.

use std::collections::BTreeMap;
use std::io::Write;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

use super::model::clean_file_name;
use super::service::{AccessInput, Meta, Ticket};
use super::upload::{self, AcceptedFile};
use crate::app::App;
use crate::blobs::PendingBlob;
use crate::error::{Code, Error, Result};
use crate::web::limits::{Parts, read_capped};

/// Most a `meta` part or a form field may hold (the text body lives here).
const MAX_FIELD: usize = 8 * 1024 * 1024;
/// Allowance for multipart boundaries and headers on top of the document limit.
const OVERHEAD: u64 = 1024 * 1024;

/// Accepted files that are deleted unless the posting commits.
pub struct Received {
    pub meta: Meta,
    files: Vec<AcceptedFile>,
    /// The form's text fields as sent, and `("file", name)` for each file accepted (for a
    /// form shown again).
    pub values: Vec<(String, String)>,
    /// Why files or fields were refused (each refused file named); empty when all passed.
    pub refused: Vec<Error>,
}

impl Received {
    pub fn take_files(&mut self) -> Vec<AcceptedFile> {
        std::mem::take(&mut self.files)
    }

    /// The first refusal, for API clients (one error per answer).
    pub fn first_refusal(&mut self) -> Option<Error> {
        (!self.refused.is_empty()).then(|| self.refused.remove(0))
    }
}

impl Drop for Received {
    fn drop(&mut self) {
        upload::discard_all(std::mem::take(&mut self.files));
    }
}

/// A posting the services refused, with what the person sent (for the form again).
pub struct Refused {
    pub errors: Vec<Error>,
    pub values: Vec<(String, String)>,
}

impl From<Error> for Refused {
    fn from(e: Error) -> Refused {
        Refused { errors: vec![e], values: Vec::new() }
    }
}

impl Refused {
    /// One error for API clients.
    pub fn first(mut self) -> Error {
        self.errors.remove(0)
    }
}

fn too_large(app: &App) -> Error {
    Error::too_large("limit-document-size", app.config.documents.max_document_mb)
}

fn too_many_files(app: &App) -> Error {
    Error::too_large("limit-files-per-document", app.config.documents.max_files_per_document)
        .with_field("file")
}

fn io_error(e: std::io::Error) -> Error {
    if e.raw_os_error() == Some(28) {
        Error::new(Code::InsufficientStorage).with_cause(e)
    } else {
        Error::internal(e)
    }
}

pub async fn receive(
    app: web::Data<App>,
    req: &HttpRequest,
    ticket: &Ticket,
    payload: Multipart,
) -> Result<Received> {
    receive_with_fields(app, req, ticket, payload, &[]).await
}

/// [`receive`] for a workflow's form that posts its files as a document (a meeting's agenda
/// with a new material): the fields named in `own` are the workflow's, not the document's —
/// kept in `values` for the caller, never read as the document's (nor refused as unknown).
pub async fn receive_with_fields(
    app: web::Data<App>,
    req: &HttpRequest,
    ticket: &Ticket,
    payload: Multipart,
    own: &[&str],
) -> Result<Received> {
    let limit = app.config.documents.max_bytes();
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit + OVERHEAD) {
        return Err(too_large(&app));
    }
    let mut received = Received {
        meta: Meta::default(),
        files: Vec::new(),
        values: Vec::new(),
        refused: Vec::new(),
    };
    let mut meta_json: Option<Vec<u8>> = None;
    let mut form: BTreeMap<String, String> = BTreeMap::new();
    let mut total = 0u64;
    let mut payload = Parts::new(payload, app.config.server.max_parts_per_request);
    if let Err(e) = read_parts(
        &app,
        ticket,
        &mut payload,
        &mut received,
        &mut meta_json,
        &mut form,
        &mut total,
        limit,
    )
    .await
    {
        if e.code == Code::Internal || e.code == Code::InsufficientStorage {
            return Err(e);
        }
        // Too large, or a broken body: what was read so far is kept for the form.
        received.refused.push(e);
    }
    received.values = form.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    received.values.extend(received.files.iter().map(|f| ("file".to_owned(), f.name.clone())));
    let meta = match meta_json {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(Code::InvalidInput).with_field("meta").with_detail(e.to_string())
        }),
        None => {
            meta_from_form(form.into_iter().filter(|(k, _)| !own.contains(&k.as_str())).collect())
        }
    };
    match meta {
        Ok(meta) => received.meta = meta,
        Err(e) => received.refused.push(e),
    }
    Ok(received)
}

/// Reads every part: text fields into `form` (or `meta_json`), files streamed, inspected
/// and accepted or refused (a refusal is recorded and the reading goes on).
#[allow(clippy::too_many_arguments)]
async fn read_parts(
    app: &web::Data<App>,
    ticket: &Ticket,
    payload: &mut Parts,
    received: &mut Received,
    meta_json: &mut Option<Vec<u8>>,
    form: &mut BTreeMap<String, String>,
    total: &mut u64,
    limit: u64,
) -> Result<()> {
    while let Some(field) = payload.next().await {
        let mut field = field?;
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.content_disposition().and_then(|cd| {
            cd.get_filename_ext()
                .and_then(|ext| String::from_utf8(ext.value.clone()).ok())
                .or_else(|| cd.get_filename().map(str::to_owned))
        });
        match (name.as_str(), file_name) {
            ("file" | "files" | "file[]", Some(raw_name)) => {
                // Refused at the first file over the count, before it is read.
                if received.files.len() >= app.config.documents.max_files_per_document {
                    return Err(too_many_files(app));
                }
                let pending = stream_file(app, ticket, &mut field, total, limit).await?;
                let Some(pending) = pending else { continue };
                if raw_name.is_empty() && pending.plain_len == 0 {
                    // An HTML form's empty file input.
                    pending.discard();
                    continue;
                }
                let app2 = app.clone().into_inner();
                let key = ticket.key.clone();
                let name = clean_file_name(&raw_name);
                match web::block(move || upload::accept(&app2, &key, name, pending))
                    .await
                    .map_err(Error::internal)?
                {
                    Ok(accepted) => received.files.push(accepted),
                    Err(e) if e.code == Code::Internal => return Err(e),
                    Err(refused) => received.refused.push(refused),
                }
            }
            _ => {
                // The field's own limit, or what is left of the document's if that is less.
                let document_bound = limit - *total < MAX_FIELD as u64;
                let cap = if document_bound { (limit - *total) as usize } else { MAX_FIELD };
                let value = read_capped(&mut field, cap, "limit-form-field", MAX_FIELD >> 20)
                    .await
                    .map_err(|e| {
                        if e.code == Code::TooLarge && document_bound {
                            too_large(app)
                        } else {
                            e.with_field(&name)
                        }
                    })?;
                *total += value.len() as u64;
                if name == "meta" {
                    *meta_json = Some(value);
                } else {
                    let text = String::from_utf8(value)
                        .map_err(|_| Error::invalid(&name, "invalid-utf8"))?;
                    form.insert(name, text);
                }
            }
        }
    }
    Ok(())
}

/// Bytes handed to the blob writer thread at a time (see `stream_file`).
const HANDOFF: usize = 256 * 1024;

/// Streams one file part into a temp blob. `None` for a part with no bytes and no name.
async fn stream_file(
    app: &App,
    ticket: &Ticket,
    field: &mut actix_multipart::Field,
    total: &mut u64,
    limit: u64,
) -> Result<Option<PendingBlob>> {
    // `Some(bytes)` carries data; `None` says the file is complete. If the sender is dropped
    // without `None` (refusal, client gone), the writer deletes its temp file.
    let (tx, rx) = flume::bounded::<Option<web::Bytes>>(8);
    let mut writer = app.blobs.writer(ticket.key()).map_err(io_error)?;
    let task = tokio::task::spawn_blocking(move || -> std::io::Result<Option<PendingBlob>> {
        while let Ok(message) = rx.recv() {
            match message {
                Some(bytes) => writer.write_all(&bytes)?,
                None => return writer.finish().map(Some),
            }
        }
        writer.abort();
        Ok(None)
    });
    let mut failure = None;
    // The network gives pieces of a few KiB; gathered into pieces of `HANDOFF` bytes, the
    // writer thread wakes once per piece instead of once per network read (the wake-ups were
    // a large part of a big upload's time; one copy in memory costs far less).
    let mut gathered = web::BytesMut::new();
    while let Some(chunk) = field.next().await {
        match chunk {
            Ok(chunk) => {
                *total += chunk.len() as u64;
                if *total > limit {
                    failure = Some(too_large(app));
                    break;
                }
                let piece = if gathered.is_empty() && chunk.len() >= HANDOFF {
                    chunk
                } else {
                    gathered.extend_from_slice(&chunk);
                    if gathered.len() < HANDOFF {
                        continue;
                    }
                    gathered.split().freeze()
                };
                if tx.send_async(Some(piece)).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                failure = Some(Error::new(Code::InvalidInput).with_detail(e.to_string()));
                break;
            }
        }
    }
    if let Some(e) = failure {
        drop(tx);
        let _ = task.await;
        return Err(e);
    }
    if !gathered.is_empty() {
        let _ = tx.send_async(Some(gathered.freeze())).await;
    }
    let _ = tx.send_async(None).await;
    drop(tx);
    match task.await.map_err(Error::internal)? {
        Ok(pending) => Ok(pending),
        Err(e) => Err(io_error(e)),
    }
}

/// The HTML form's fields: `type`, `title`, `title_kk`, `title_ru`, `text`, `note`,
/// `access` (`agency` or `all`), `field.<name>` for type fields, `keep.<file id>` checkboxes,
/// `base_version`.
fn meta_from_form(form: BTreeMap<String, String>) -> Result<Meta> {
    let mut meta = Meta::default();
    for (k, v) in form {
        match k.as_str() {
            "type" => meta.doc_type = Some(v),
            "title" => meta.title = v,
            "title_kk" => meta.title_kk = v,
            "title_ru" => meta.title_ru = v,
            "text" => meta.text = v.replace("\r\n", "\n"),
            "note" => meta.note = v,
            "access" => meta.access = Some(AccessInput::Word(v)),
            "base_version" if !v.is_empty() => {
                meta.base_version =
                    Some(v.parse().map_err(|_| Error::invalid("base_version", "invalid-number"))?)
            }
            "csrf" | "base_version" => {}
            other => {
                if let Some(name) = other.strip_prefix("field.") {
                    if !v.trim().is_empty() {
                        meta.fields.insert(name.to_owned(), v);
                    }
                } else if let Some(name) = other.strip_prefix("discussion.") {
                    let settings = meta.discussion.get_or_insert_with(|| serde_json::json!({}));
                    settings[name] = serde_json::Value::String(v);
                } else if let Some(code) = other.strip_prefix("approving.") {
                    meta.approving.push(code.to_owned());
                } else if let Some(id) = other.strip_prefix("keep.") {
                    meta.keep_files.push(
                        id.parse().map_err(|_| Error::invalid("keep_files", "unknown-file"))?,
                    );
                } else {
                    return Err(Error::invalid(other, "field-unknown"));
                }
            }
        }
    }
    Ok(meta)
}
