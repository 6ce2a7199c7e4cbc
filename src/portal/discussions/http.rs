//! Routes of discussions: `/discussions` pages and `/api/v1/discussions/...` JSON over the
//! same services. Ballots go to the voting engine's routes (`/api/v1/polls/{id}/ballot`,
//! and the panel's form `/polls/{id}/ballot`).

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::service::{self, NewComment, Settings};
use super::view::{self as reading, DiscussionView, ListItem};
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::portal::documents::receive::receive;
use crate::portal::polls::http::read_body;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, created, html, json, see_other};
use crate::web::request::JsonObject;
use crate::web::request::{SignedIn, list_limit, whole_number};
use crate::web::{blocking, form};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/discussions", web::get().to(list_page))
        .route("/discussions", web::post().to(create_form))
        .route("/discussions/new", web::get().to(new_page))
        .route("/discussions/{id}", web::get().to(view_page))
        .route("/discussions/{id}/comments", web::post().to(comment_form))
        .route("/discussions/{id}/close", web::post().to(close_form))
        .route("/discussions/{id}/files/{file}", web::get().to(download))
        .route("/api/v1/discussions", web::get().to(api_list))
        .route("/api/v1/discussions", web::post().to(api_create))
        .route("/api/v1/discussions/{id}", web::get().to(api_view))
        .route("/api/v1/discussions/{id}/comments", web::post().to(api_comment))
        .route("/api/v1/discussions/{id}/close", web::post().to(api_close))
        .route("/api/v1/discussions/{id}/settings", web::put().to(api_change));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    phase: String,
    /// Paging: discussions with smaller ids. Kept as text so that the API can refuse a value
    /// that is not a whole number while the page reads its own links leniently.
    before: Option<String>,
    limit: Option<String>,
}

/// Discussions in a page of the list (and the API's default).
const PAGE: usize = 50;

async fn list(
    app: &Data,
    s: &SignedIn,
    phase: String,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<ListItem>> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || reading::list(&a, &actor, Some(&phase), before, limit, lang)).await
}

async fn view(app: &Data, s: &SignedIn, id: u64) -> Result<DiscussionView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || reading::view(&a, &actor, id, lang)).await
}

fn is_type(req: &HttpRequest, prefix: &str) -> bool {
    req.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with(prefix))
}

// ---------------------------------------------------------------------------------------
// API

async fn api_list(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    let q = q.into_inner();
    let before = whole_number("before", q.before.as_deref())?;
    let limit = list_limit(q.limit.as_deref(), PAGE)?;
    let discussions = list(&app, &s, q.phase, before, limit).await?;
    Ok(json(&serde_json::json!({ "discussions": discussions })))
}

async fn api_view(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&view(&app, &s, path.into_inner()).await?))
}

/// Settings from the `discussion` object of a posting's `meta`.
fn settings_of(value: Option<serde_json::Value>) -> Result<Settings> {
    match value {
        None => Ok(Settings::default()),
        Some(v) => serde_json::from_value(v).map_err(|e| {
            Error::new(Code::InvalidInput).with_field("discussion").with_detail(e.to_string())
        }),
    }
}

/// Creates from a JSON body (`document_id` and settings) or a multipart posting (`meta` with
/// its `discussion` settings, and `file`s). The values typed, for a form shown again.
async fn create(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    payload: web::Payload,
    from_form: bool,
) -> (Result<u64>, Form) {
    let mut typed = Form::new("discussion");
    if is_type(req, "application/json") {
        let result: Result<u64> = async {
            let body = read_body(payload, 256 * 1024).await?;
            let settings: Settings = crate::web::request::json_object(&body)?;
            let (a, actor) = (arc(app), s.actor.clone());
            blocking(move || service::create_on_document(&a, &actor, settings)).await
        }
        .await;
        return (result, typed);
    }
    let (a, actor) = (arc(app), s.actor.clone());
    let ticket = match blocking(move || service::prepare(&a, &actor)).await {
        Ok(t) => t,
        Err(e) => return (Err(e), typed),
    };
    let mut received =
        match receive(app.clone(), req, &ticket, Multipart::new(req.headers(), payload)).await {
            Ok(r) => r,
            Err(e) => return (Err(e), typed),
        };
    let mut meta = std::mem::take(&mut received.meta);
    typed = typed.set("title", meta.title.clone()).set("text", meta.text.clone());
    let settings = match meta.discussion.take() {
        Some(v) if from_form => {
            let fields: BTreeMap<String, String> = serde_json::from_value(v).unwrap_or_default();
            for (k, v) in &fields {
                typed = typed.set(&format!("discussion.{k}"), v.clone());
            }
            settings_from_form(&fields)
        }
        other => settings_of(other),
    };
    let settings = match settings {
        Ok(s) => s,
        Err(e) => return (Err(e), typed),
    };
    let (a, actor) = (arc(app), s.actor.clone());
    let result = if settings.document_id.is_some() {
        // An existing document: nothing posted (the received files are discarded).
        drop(received);
        blocking(move || service::create_on_document(&a, &actor, settings)).await
    } else {
        let files = received.take_files();
        blocking(move || service::create_with_document(&a, &actor, ticket, meta, files, settings))
            .await
    };
    (result, typed)
}

async fn api_create(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = create(&app, &s, &req, payload, false).await.0?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn comment(app: &Data, s: &SignedIn, id: u64, input: NewComment) -> Result<u64> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::comment(&a, &actor, id, input)).await
}

async fn api_comment(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<NewComment>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = path.into_inner();
    let cid = comment(&app, &s, id, body.into_inner()).await?;
    Ok(created(&serde_json::json!({"id": cid, "discussion": id})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CloseInput {
    reason: String,
}

async fn close(app: &Data, s: &SignedIn, id: u64, reason: String) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::close_early(&a, &actor, id, &reason)).await
}

async fn api_close(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<CloseInput>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    close(&app, &s, id, body.into_inner().reason).await?;
    Ok(json(&view(&app, &s, id).await?))
}

/// Changes the settings before the discussion starts (the same JSON as creating it).
async fn api_change(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let body = read_body(payload, 256 * 1024).await?;
    let settings: Settings = crate::web::request::json_object(&body)?;
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || service::change(&a, &actor, id, settings)).await?;
    Ok(json(&view(&app, &s, id).await?))
}

async fn download(app: Data, s: SignedIn, path: web::Path<(u64, u64)>) -> Result<HttpResponse> {
    let (id, file) = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    let (meta, reader) = blocking(move || reading::open_file(&a, &actor, id, file)).await?;
    Ok(crate::portal::documents::http::file_response(id, file, meta, reader))
}

// ---------------------------------------------------------------------------------------
// Pages

/// The fields of the new-discussion form (input name, label; the names the services use).
const NEW_FIELDS: &[Field] = &[
    Field::aliased("discussion.document_id", "discussion-existing-document", &["document_id"]),
    Field::new("title", "field-title"),
    Field::new("text", "field-text"),
    Field::new("file", "document-attach"),
    Field::aliased("discussion.group", "discussion-group", &["group"]),
    Field::aliased("discussion.members", "discussion-member-logins", &["members"]),
    Field::aliased("discussion.starts_at", "discussion-starts", &["starts_at"]),
    Field::aliased("discussion.ends_at", "discussion-ends", &["ends_at", "closes_at"]),
    Field::aliased("discussion.signed", "poll-signed", &["signed"]),
    Field::aliased("discussion.options", "discussion-options", &["options"]),
    Field::aliased("discussion.majority", "poll-rule", &["majority"]),
    Field::aliased("discussion.quorum_percent", "discussion-quorum", &["quorum_percent"]),
];

/// The fields of the comment and early-closing forms of a discussion's page.
const VIEW_FIELDS: &[Field] = &[
    Field::new("text", "discussion-your-comment"),
    Field::new("paragraph", "discussion-paragraph"),
    Field::new("reply_to", "discussion-reply"),
    Field::new("reason", "discussion-close-reason"),
];

/// Settings from the form's `discussion.<name>` fields.
fn settings_from_form(f: &BTreeMap<String, String>) -> Result<Settings> {
    let get = |k: &str| f.get(k).map(|v| v.trim()).unwrap_or("");
    let number = |k: &str| -> Result<Option<u64>> {
        match get(k) {
            "" => Ok(None),
            v => v.parse().map(Some).map_err(|_| Error::invalid(k, "invalid-number")),
        }
    };
    let list = |k: &str, sep: &dyn Fn(char) -> bool| -> Vec<String> {
        get(k).split(sep).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    };
    let defaults = Settings::default();
    Ok(Settings {
        document_id: number("document_id")?,
        group: number("group")?,
        members: list("members", &|c: char| c == ',' || c.is_whitespace()),
        starts_at: get("starts_at").to_owned(),
        ends_at: get("ends_at").to_owned(),
        secret: get("secrecy") == "secret",
        signed: !get("signed").is_empty(),
        abstain: !get("abstain").is_empty(),
        options: list("options", &|c: char| c == '\n'),
        majority: if get("majority").is_empty() {
            defaults.majority
        } else {
            get("majority").into()
        },
        quorum_percent: match number("quorum_percent")? {
            Some(q) => {
                u8::try_from(q).map_err(|_| Error::invalid("quorum_percent", "poll-bad-quorum"))?
            }
            None => defaults.quorum_percent,
        },
        hide_until_closed: !get("hide_until_closed").is_empty(),
        // Unknown fields were refused when the form was read.
    })
}

#[derive(Template)]
#[template(path = "discussions/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    discussions: Vec<ListItem>,
    phase: String,
    phases: &'static [super::model::Phase],
    next_before: Option<u64>,
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    let q = q.into_inner();
    let before = q.before.as_deref().and_then(|b| b.trim().parse().ok());
    let discussions = list(&app, &s, q.phase.clone(), before, PAGE).await?;
    let next_before =
        if discussions.len() == PAGE { discussions.last().map(|d| d.id) } else { None };
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "discussions-title", "discussions"),
        discussions,
        phase: q.phase,
        phases: super::model::Phase::ALL,
        next_before,
    })
}

#[derive(Template)]
#[template(path = "discussions/new.html")]
struct NewPage<'a> {
    page: PageCtx<'a>,
    groups: Vec<crate::portal::directory::model::WorkingGroup>,
    max_mb: u64,
    majorities: &'static [crate::portal::polls::model::Majority],
    f: Form,
}

async fn new_page_with(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let (a, actor) = (arc(app), s.actor.clone());
    let groups = blocking(move || crate::portal::directory::service::groups(&a, &actor)).await?;
    let page = NewPage {
        page: PageCtx::new(app, &s.state, "discussion-new-title", "discussions"),
        groups,
        max_mb: app.config.documents.max_document_mb,
        majorities: crate::portal::polls::model::Majority::ALL,
        f,
    };
    forms::page(&page, &page.f)
}

async fn new_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.discussion_new");
    new_page_with(&app, &s, Form::new("discussion")).await
}

async fn create_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    match create(&app, &s, &req, payload, true).await {
        (Ok(id), _) => Ok(see_other(&format!("/discussions/{id}"))),
        (Err(e), typed) => {
            let f = typed.refuse(&app.i18n, s.state.lang, e, NEW_FIELDS)?;
            new_page_with(&app, &s, f).await
        }
    }
}

#[derive(Template)]
#[template(path = "discussions/view.html")]
struct ViewPage<'a> {
    page: PageCtx<'a>,
    discussion: DiscussionView,
    poll: crate::portal::polls::view::PollView,
    /// The comment form (a reply and a paragraph come from the address).
    comment: Form,
    /// The early-closing form.
    close: Form,
}

impl ViewPage<'_> {
    /// The comment this one answers, when replying.
    fn reply_to(&self) -> Option<u64> {
        self.comment.value("reply_to").parse().ok()
    }
}

/// The page with its two forms; `refused` (the comment or the close form, sent and
/// refused) replaces the empty one of its id.
async fn view_page_with(
    app: &Data,
    s: &SignedIn,
    id: u64,
    comment: Form,
    refused: Option<Form>,
) -> Result<HttpResponse> {
    let discussion = view(app, s, id).await?;
    let poll = discussion.poll.clone();
    let (comment, close) = match refused {
        Some(f) if f.id == "close" => (comment, f),
        Some(f) => (f, Form::new("close")),
        None => (comment, Form::new("close")),
    };
    let status = if comment.is_refused() { &comment } else { &close }.clone();
    let page = ViewPage {
        page: PageCtx::new(app, &s.state, "discussion-title", "discussions"),
        discussion,
        poll,
        comment,
        close,
    };
    forms::page(&page, &status)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ViewQuery {
    reply_to: Option<u64>,
    paragraph: Option<usize>,
}

async fn view_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<ViewQuery>,
) -> Result<HttpResponse> {
    let q = q.into_inner();
    let mut comment = Form::new("comment");
    if let Some(r) = q.reply_to {
        comment = comment.set("reply_to", r.to_string());
    }
    if let Some(p) = q.paragraph {
        comment = comment.set("paragraph", p.to_string());
    }
    view_page_with(&app, &s, path.into_inner(), comment, None).await
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct CommentForm {
    pub text: String,
    pub reply_to: Option<u64>,
    pub paragraph: Option<usize>,
    pub reason: String,
    csrf: String,
}

async fn comment_form(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = path.into_inner();
    let body = read_body(payload, 256 * 1024).await?;
    let f: CommentForm = form(&body)?;
    let input = NewComment { text: f.text.clone(), reply_to: f.reply_to, paragraph: f.paragraph };
    match comment(&app, &s, id, input).await {
        Ok(cid) => Ok(see_other(&format!("/discussions/{id}#comment-{cid}"))),
        Err(e) => {
            let f =
                Form::posted("comment", &body).refuse(&app.i18n, s.state.lang, e, VIEW_FIELDS)?;
            view_page_with(&app, &s, id, Form::new("comment"), Some(f)).await
        }
    }
}

async fn close_form(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = path.into_inner();
    let body = read_body(payload, 64 * 1024).await?;
    let f: CommentForm = form(&body)?;
    match close(&app, &s, id, f.reason.clone()).await {
        Ok(()) => Ok(see_other(&format!("/discussions/{id}"))),
        Err(e) => {
            let f = Form::posted("close", &body).refuse(&app.i18n, s.state.lang, e, VIEW_FIELDS)?;
            view_page_with(&app, &s, id, Form::new("comment"), Some(f)).await
        }
    }
}
