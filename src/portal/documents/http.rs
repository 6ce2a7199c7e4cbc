//! Routes of the documents feature: the list, the posting form, the document page with its
//! versions, files, archive contents and comments, version comparison, downloads and
//! destruction — HTML and `/api/v1` JSON over the same services.

use std::io::Read;

use actix_multipart::Multipart;
use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::destroy;
use super::pages::*;
use super::receive::{Refused, receive};
use super::service::{self, ListFilter, Ticket};
use crate::app::App;
use crate::error::{Error, Result};
use crate::web::blocking;
use crate::web::forms::{self, Form};
use crate::web::render::{PageCtx, created, done, html, json};
use crate::web::request::JsonObject;
use crate::web::request::{SignedIn, list_limit, whole_number};

type Data = web::Data<App>;

const PAGE: usize = 50;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/documents", web::get().to(list_page))
        .route("/documents", web::post().to(post_form))
        .route("/documents/new", web::get().to(new_page))
        .route("/documents/{id}", web::get().to(view_page))
        .route("/documents/{id}/edit", web::get().to(edit_page))
        .route("/documents/{id}/versions", web::post().to(version_form))
        .route("/documents/{id}/comments", web::post().to(comment_form))
        .route("/documents/{id}/diff", web::get().to(diff_page))
        .route("/documents/{id}/destroy", web::get().to(destroy_page))
        .route("/documents/{id}/destroy", web::post().to(destroy_form))
        .route("/documents/{id}/versions/{n}/files/{file}", web::get().to(download))
        .route("/api/v1/document-types", web::get().to(api_types))
        .route("/api/v1/documents", web::get().to(api_list))
        .route("/api/v1/documents", web::post().to(api_post))
        .route("/api/v1/documents/{id}", web::get().to(api_get))
        .route("/api/v1/documents/{id}/versions", web::post().to(api_version))
        .route("/api/v1/documents/{id}/versions/{n}/files/{file}", web::get().to(download))
        .route("/api/v1/documents/{id}/diff", web::get().to(api_diff))
        .route("/api/v1/documents/{id}/comments", web::post().to(api_comment))
        .route("/api/v1/documents/{id}/destroy", web::post().to(api_destroy));
    super::signing_http::routes(cfg);
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

// ---------------------------------------------------------------------------------------
// Posting

async fn post_document(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    payload: Multipart,
    doc: Option<u64>,
) -> std::result::Result<service::Posted, Refused> {
    let (a, actor) = (arc(app), s.actor.clone());
    // The right to post is checked before a single byte of the body is read.
    let ticket: Ticket = blocking(move || match doc {
        None => service::prepare_post(&a, &actor),
        Some(id) => service::prepare_version(&a, &actor, id),
    })
    .await?;
    let mut received = receive(app.clone(), req, &ticket, payload).await?;
    let values = std::mem::take(&mut received.values);
    if !received.refused.is_empty() {
        return Err(Refused { errors: std::mem::take(&mut received.refused), values });
    }
    let files = received.take_files();
    let meta = std::mem::take(&mut received.meta);
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::commit(&a, &actor, ticket, meta, files))
        .await
        .map_err(|e| Refused { errors: vec![e], values })
}

async fn api_post(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let posted = post_document(&app, &s, &req, payload, None).await.map_err(Refused::first)?;
    Ok(created(&posted))
}

async fn api_version(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let posted = post_document(&app, &s, &req, payload, Some(path.into_inner()))
        .await
        .map_err(Refused::first)?;
    Ok(created(&posted))
}

async fn post_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    match post_document(&app, &s, &req, payload, None).await {
        Ok(posted) => Ok(done(&format!("/documents/{}", posted.id), "done-document-posted")),
        Err(refused) => {
            let doc_type = refused
                .values
                .iter()
                .find(|(k, _)| k == "type")
                .and_then(|(_, v)| super::model::type_spec(v))
                .filter(|t| offered_type(t))
                .unwrap_or(&super::model::TYPES[0]);
            let f = Form::from_pairs("document", refused.values).refuse_all(
                &app.i18n,
                s.state.lang,
                refused.errors,
                &posting_fields(doc_type.code),
            )?;
            edit_form(&app, &s, None, Some(doc_type), f)
        }
    }
}

async fn version_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = path.into_inner();
    match post_document(&app, &s, &req, payload, Some(id)).await {
        Ok(posted) => Ok(done(&format!("/documents/{}", posted.id), "done-document-version")),
        Err(refused) => {
            let doc = get(&app, &s, id).await?;
            let f = Form::from_pairs("document", refused.values).refuse_all(
                &app.i18n,
                s.state.lang,
                refused.errors,
                &posting_fields(&doc.doc_type),
            )?;
            edit_form(&app, &s, Some(doc), None, f)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reading

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    agency: String,
    #[serde(rename = "type")]
    doc_type: String,
    author: String,
    from: String,
    to: String,
    before: Option<String>,
    limit: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        ListFilter {
            agency: self.agency.clone(),
            doc_type: self.doc_type.clone(),
            author: self.author.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }

    fn before(&self) -> Option<u64> {
        self.before.as_deref().and_then(|b| b.parse().ok())
    }
}

async fn list(
    app: &Data,
    s: &SignedIn,
    q: &ListQuery,
    limit: usize,
) -> Result<Vec<service::ListItem>> {
    let (a, actor, filter, before, lang) =
        (arc(app), s.actor.clone(), q.filter(), q.before(), s.state.lang);
    blocking(move || service::list(&a, &actor, &filter, before, limit, lang)).await
}

/// The columns of the documents list that sort, and how many of the newest documents a
/// sorted list holds (sorted, without the pager, which goes by number).
const SORTS: &[&str] = &["title", "type", "agency", "author", "updated"];
const SORTED: usize = 500;

async fn list_page(
    app: Data,
    s: SignedIn,
    q: web::Query<ListQuery>,
    sort: web::Query<crate::report::Sort>,
) -> Result<HttpResponse> {
    use crate::web::sorting::{Columns, Value};
    let filters = [
        ("agency", q.agency.as_str()),
        ("type", q.doc_type.as_str()),
        ("author", q.author.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
    ];
    let columns = Columns::new("/documents", &filters, &sort, SORTS);
    let sorted = columns.key().is_some();
    let mut items = list(&app, &s, &q, if sorted { SORTED } else { PAGE }).await?;
    let next_before =
        if !sorted && items.len() == PAGE { items.last().map(|i| i.id) } else { None };
    let capped = sorted && items.len() == SORTED;
    let lang = s.state.lang;
    columns.sort(&mut items, |d, key| match key {
        "title" => Value::text(&d.title),
        "type" => Value::text(&app.i18n.text(lang, &format!("doctype-{}", d.doc_type))),
        "agency" => Value::text(&d.agency),
        "author" => Value::text(&d.author.name),
        _ => Value::text(&d.updated),
    });
    let a = arc(&app);
    let actor = s.actor.clone();
    let agencies =
        blocking(move || crate::portal::directory::service::agencies(&a, &actor)).await?;
    let filter = q.into_inner();
    let query = serde_urlencoded::to_string([
        ("agency", filter.agency.as_str()),
        ("type", filter.doc_type.as_str()),
        ("author", filter.author.as_str()),
        ("from", filter.from.as_str()),
        ("to", filter.to.as_str()),
    ])
    .unwrap_or_default();
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "documents-title", "documents"),
        items,
        agencies,
        types: super::model::TYPES,
        filter: filter.filter(),
        next_before,
        query,
        columns,
        capped,
    })
}

async fn api_list(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    whole_number("before", q.before.as_deref())?;
    let limit = list_limit(q.limit.as_deref(), PAGE)?;
    let items = list(&app, &s, &q, limit).await?;
    Ok(json(&serde_json::json!({"documents": items})))
}

async fn get(app: &Data, s: &SignedIn, id: u64) -> Result<service::DocumentView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || service::get(&a, &actor, id, lang)).await
}

async fn api_get(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&get(&app, &s, path.into_inner()).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VersionQuery {
    version: Option<u32>,
}

async fn view_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse> {
    view_form(&app, &s, path.into_inner(), q.version, Form::new("")).await
}

/// The document page, with the refused form `f` (signature upload or comment) if any.
pub(super) async fn view_form(
    app: &Data,
    s: &SignedIn,
    id: u64,
    version: Option<u32>,
    f: Form,
) -> Result<HttpResponse> {
    let doc = get(app, s, id).await?;
    let shown = version.unwrap_or(doc.current_version);
    if doc.version(shown).is_none() {
        return Err(Error::not_found());
    }
    let (a, actor, id, lang) = (arc(app), s.actor.clone(), doc.id, s.state.lang);
    let signing = blocking(move || {
        let (manifest, views) = super::signatures::for_page(&a, &actor, id, shown)?;
        let ids: Vec<u64> = views.iter().map(|v| v.user_id).collect();
        let names: std::collections::HashMap<u64, String> =
            crate::portal::directory::service::user_names(&a, &ids, lang)?
                .into_iter()
                .map(|(id, login, name)| (id, if name.is_empty() { login } else { name }))
                .collect();
        let rows = views
            .into_iter()
            .map(|view| SignatureRow {
                user: names.get(&view.user_id).cloned().unwrap_or_default(),
                view,
            })
            .collect();
        Ok(SigningSection { manifest, rows })
    })
    .await?;
    let page = ViewPage {
        page: PageCtx::new(app, &s.state, "document-title", "documents"),
        document: doc,
        shown,
        signing,
        f,
    };
    forms::page(&page, &page.f)
}

/// `filename*` (RFC 6266 / 5987) keeps Cyrillic names; `filename` gives old clients an
/// ASCII stand-in.
fn disposition(name: &str) -> ContentDisposition {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

async fn download(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u32, u64)>,
) -> Result<HttpResponse> {
    let (id, n, file) = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    let (meta, reader) = blocking(move || service::open_file(&a, &actor, id, n, file)).await?;
    Ok(file_response(id, file, meta, reader))
}

/// Streams a stored file's exact bytes (a workflow showing a document's files uses it too).
pub fn file_response(
    id: u64,
    file: u64,
    meta: crate::portal::documents::model::FileMeta,
    mut reader: crate::blobs::BlobReader,
) -> HttpResponse {
    let len = reader.len();
    let (tx, rx) = flume::bounded::<std::result::Result<web::Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.send(Ok(web::Bytes::copy_from_slice(&buf[..n]))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::error!(document = id, file, error = %e, "a stored file failed authentication while downloading");
                    let _ = tx.send(Err(e));
                    break;
                }
            }
        }
    });
    HttpResponse::Ok()
        .content_type(meta.format.media_type())
        .insert_header(disposition(&meta.name))
        .insert_header(("x-content-sha256", meta.sha256.clone()))
        .no_chunking(len)
        .streaming(rx.into_stream())
}

// ---------------------------------------------------------------------------------------
// Forms

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    #[serde(rename = "type")]
    doc_type: String,
}

/// Without a type: the choice of type; with one: the form of that type only.
async fn new_page(app: Data, s: SignedIn, q: web::Query<NewQuery>) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.document_new");
    let spec = super::model::type_spec(&q.doc_type).filter(|t| offered_type(t));
    edit_form(&app, &s, None, spec, Form::new("document").set("access", "agency"))
}

fn edit_form(
    app: &Data,
    s: &SignedIn,
    document: Option<service::DocumentView>,
    doc_type: Option<&'static super::model::TypeSpec>,
    f: Form,
) -> Result<HttpResponse> {
    let title = if document.is_some() { "document-version-title" } else { "document-new-title" };
    forms::page(
        &EditPage {
            page: PageCtx::new(app, &s.state, title, "documents"),
            document,
            doc_type,
            max_mb: app.config.documents.max_document_mb,
            f: f.clone(),
        },
        &f,
    )
}

async fn edit_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let doc = get(&app, &s, path.into_inner()).await?;
    if !doc.can_edit {
        return Err(Error::forbidden());
    }
    let f = super::pages::version_form(doc.current());
    edit_form(&app, &s, Some(doc), None, f)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommentBody {
    text: String,
}

async fn add_comment(app: &Data, s: &SignedIn, id: u64, text: String) -> Result<u64> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::comment(&a, &actor, id, &text)).await
}

async fn comment_form(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let f: CommentBody = crate::web::form(&body)?;
    match add_comment(&app, &s, id, f.text).await {
        Ok(_) => Ok(done(&format!("/documents/{id}#comments"), "done-comment-added")),
        Err(e) => {
            let fields = [forms::Field::new("text", "document-comment-add")];
            let f = Form::posted("comment", &body).refuse(&app.i18n, s.state.lang, e, &fields)?;
            view_form(&app, &s, id, None, f).await
        }
    }
}

async fn api_comment(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<CommentBody>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let cid = add_comment(&app, &s, path.into_inner(), body.into_inner().text).await?;
    Ok(created(&serde_json::json!({"id": cid})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DiffQuery {
    from: u32,
    to: u32,
}

async fn diff(
    app: &Data,
    s: &SignedIn,
    id: u64,
    q: DiffQuery,
) -> Result<(service::DocumentView, Vec<service::DiffLine>)> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || {
        let view = service::get(&a, &actor, id, lang)?;
        let from = if q.from == 0 { view.current_version.saturating_sub(1).max(1) } else { q.from };
        let to = if q.to == 0 { view.current_version } else { q.to };
        let lines = service::diff(&a, &actor, id, from, to, lang)?;
        Ok((view, lines))
    })
    .await
}

async fn diff_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<DiffQuery>,
) -> Result<HttpResponse> {
    let q = q.into_inner();
    let (from, to) = (q.from, q.to);
    let (doc, lines) = diff(&app, &s, path.into_inner(), q).await?;
    let from = if from == 0 { doc.current_version.saturating_sub(1).max(1) } else { from };
    let to = if to == 0 { doc.current_version } else { to };
    html(&DiffPage {
        page: PageCtx::new(&app, &s.state, "document-diff-title", "documents"),
        document: doc,
        lines,
        from,
        to,
    })
}

async fn api_diff(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<DiffQuery>,
) -> Result<HttpResponse> {
    let (_, lines) = diff(&app, &s, path.into_inner(), q.into_inner()).await?;
    Ok(json(&serde_json::json!({"lines": lines})))
}

// ---------------------------------------------------------------------------------------
// Destruction

async fn destroy_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    destroy_with(&app, &s, path.into_inner(), Form::new("destroy")).await
}

async fn destroy_with(app: &Data, s: &SignedIn, id: u64, f: Form) -> Result<HttpResponse> {
    let doc = get(app, s, id).await?;
    if !doc.can_destroy {
        s.actor.origin.set_operation("document.destroy");
        return Err(Error::forbidden());
    }
    let page = DestroyPage {
        page: PageCtx::new(app, &s.state, "destroy-title", "documents"),
        document: doc,
        f,
    };
    forms::page(&page, &page.f)
}

const DESTROY_FIELDS: &[forms::Field] = &[
    forms::Field::new("reason", "destroy-reason"),
    forms::Field::new("confirm", "destroy-confirm-label"),
];

#[derive(Deserialize, Default)]
#[serde(default)]
struct DestroyBody {
    reason: String,
    /// The HTML form asks to type the document number as confirmation.
    confirm: Option<String>,
}

async fn run_destroy(
    app: &Data,
    s: &SignedIn,
    id: u64,
    reason: String,
) -> Result<destroy::Certificate> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || destroy::destroy(&a, &actor, id, &reason)).await
}

async fn destroy_form(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let f: DestroyBody = crate::web::form(&body)?;
    let result = if f.confirm.as_deref().map(str::trim) != Some(id.to_string().as_str()) {
        s.actor.origin.set_operation("document.destroy");
        Err(Error::invalid("confirm", "destroy-confirm-mismatch"))
    } else {
        run_destroy(&app, &s, id, f.reason).await
    };
    let certificate = match result {
        Ok(c) => c,
        Err(e) => {
            let f = Form::posted("destroy", &body).refuse(
                &app.i18n,
                s.state.lang,
                e,
                DESTROY_FIELDS,
            )?;
            return destroy_with(&app, &s, id, f).await;
        }
    };
    html(&DestroyedPage {
        page: PageCtx::new(&app, &s.state, "destroyed-title", "documents"),
        certificate_json: serde_json::to_string_pretty(&certificate).unwrap_or_default(),
        certificate,
    })
}

async fn api_destroy(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<DestroyBody>,
) -> Result<HttpResponse> {
    let certificate = run_destroy(&app, &s, path.into_inner(), body.into_inner().reason).await?;
    Ok(json(&serde_json::json!({"destroyed": true, "certificate": certificate})))
}

async fn api_types(s: SignedIn) -> HttpResponse {
    s.actor.origin.set_operation("document.types");
    let types: Vec<serde_json::Value> = super::model::TYPES
        .iter()
        .map(|t| {
            serde_json::json!({
                "code": t.code,
                "text_required": t.text_required,
                "fields": t.fields.iter().map(|f| serde_json::json!({
                    "name": f.name,
                    "kind": match f.kind { super::model::FieldKind::Text(_) => "text", super::model::FieldKind::Date => "date" },
                    "required": f.required,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json(&types)
}
