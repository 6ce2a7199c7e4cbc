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
use crate::web::render::{PageCtx, created, html, json, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form};

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
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
}

async fn list(app: &Data, s: &SignedIn, phase: String) -> Result<Vec<ListItem>> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || reading::list(&a, &actor, Some(&phase), lang)).await
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
    Ok(json(&serde_json::json!({"discussions": list(&app, &s, q.into_inner().phase).await?})))
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
) -> (Result<u64>, Typed) {
    let mut typed = Typed::default();
    if is_type(req, "application/json") {
        let result: Result<u64> = async {
            let body = read_body(payload, 256 * 1024).await?;
            let settings: Settings = serde_json::from_slice(&body)
                .map_err(|e| Error::new(Code::InvalidInput).with_detail(e.to_string()))?;
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
    typed.title = meta.title.clone();
    typed.text = meta.text.clone();
    let settings = match meta.discussion.take() {
        Some(v) if from_form => {
            typed.fields = serde_json::from_value(v.clone()).unwrap_or_default();
            settings_from_form(&typed.fields)
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
    body: web::Json<NewComment>,
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
    body: web::Json<CloseInput>,
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
    let settings: Settings = serde_json::from_slice(&body)
        .map_err(|e| Error::new(Code::InvalidInput).with_detail(e.to_string()))?;
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

/// What a person typed into a refused form, shown again with the message by its field.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    pub title: String,
    pub text: String,
    /// `discussion.<name>` fields by name.
    pub fields: BTreeMap<String, String>,
}

impl Typed {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

/// A refusal shown inside the page: the message, and the field it concerns.
#[derive(Debug, Default, Clone)]
pub struct Refused {
    pub message: String,
    pub field: String,
}

fn refused_of(app: &App, lang: &str, e: &Error) -> Option<Refused> {
    matches!(e.code, Code::InvalidInput | Code::Conflict | Code::NotFound).then(|| Refused {
        message: app.i18n.error_message(lang, e),
        field: e.field.clone().unwrap_or_default(),
    })
}

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
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    let phase = q.into_inner().phase;
    let discussions = list(&app, &s, phase.clone()).await?;
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "discussions-title", "discussions"),
        discussions,
        phase,
        phases: super::model::Phase::ALL,
    })
}

#[derive(Template)]
#[template(path = "discussions/new.html")]
struct NewPage<'a> {
    page: PageCtx<'a>,
    groups: Vec<crate::portal::directory::model::WorkingGroup>,
    max_mb: u64,
    majorities: &'static [crate::portal::polls::model::Majority],
    typed: Typed,
    refused: Option<Refused>,
}

impl NewPage<'_> {
    fn bad(&self, field: &str) -> bool {
        self.refused.as_ref().is_some_and(|r| r.field == field)
    }
}

async fn new_page_with(
    app: &Data,
    s: &SignedIn,
    typed: Typed,
    refused: Option<Refused>,
) -> Result<HttpResponse> {
    let (a, actor) = (arc(app), s.actor.clone());
    let groups = blocking(move || crate::portal::directory::service::groups(&a, &actor)).await?;
    let status = if refused.is_some() { 422 } else { 200 };
    let mut response = html(&NewPage {
        page: PageCtx::new(app, &s.state, "discussion-new-title", "discussions"),
        groups,
        max_mb: app.config.documents.max_document_mb,
        majorities: crate::portal::polls::model::Majority::ALL,
        typed,
        refused,
    })?;
    *response.status_mut() = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
    Ok(response)
}

async fn new_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.discussion_new");
    new_page_with(&app, &s, Typed::default(), None).await
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
        (Err(e), typed) => match refused_of(&app, s.state.lang, &e) {
            Some(r) if e.code != Code::NotFound || e.field.is_some() => {
                s.actor.origin.set_success_status(422);
                new_page_with(&app, &s, typed, Some(r)).await
            }
            _ => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "discussions/view.html")]
struct ViewPage<'a> {
    page: PageCtx<'a>,
    discussion: DiscussionView,
    poll: crate::portal::polls::view::PollView,
    /// What was typed into a refused comment or close form.
    typed: CommentForm,
    refused: Option<Refused>,
}

impl ViewPage<'_> {
    fn bad(&self, field: &str) -> bool {
        self.refused.as_ref().is_some_and(|r| r.field == field)
    }
}

async fn view_page_with(
    app: &Data,
    s: &SignedIn,
    id: u64,
    typed: CommentForm,
    refused: Option<Refused>,
) -> Result<HttpResponse> {
    let discussion = view(app, s, id).await?;
    let poll = discussion.poll.clone();
    let status = if refused.is_some() { 422 } else { 200 };
    let mut response = html(&ViewPage {
        page: PageCtx::new(app, &s.state, "discussion-title", "discussions"),
        discussion,
        poll,
        typed,
        refused,
    })?;
    *response.status_mut() = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
    Ok(response)
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
    let typed = CommentForm { reply_to: q.reply_to, paragraph: q.paragraph, ..Default::default() };
    view_page_with(&app, &s, path.into_inner(), typed, None).await
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
    let f: CommentForm = form(&read_body(payload, 256 * 1024).await?)?;
    let input = NewComment { text: f.text.clone(), reply_to: f.reply_to, paragraph: f.paragraph };
    match comment(&app, &s, id, input).await {
        Ok(cid) => Ok(see_other(&format!("/discussions/{id}#comment-{cid}"))),
        Err(e) => match refused_of(&app, s.state.lang, &e) {
            Some(r) if e.code != Code::NotFound => {
                s.actor.origin.set_success_status(422);
                view_page_with(&app, &s, id, f, Some(r)).await
            }
            _ => Err(e),
        },
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
    let f: CommentForm = form(&read_body(payload, 64 * 1024).await?)?;
    match close(&app, &s, id, f.reason.clone()).await {
        Ok(()) => Ok(see_other(&format!("/discussions/{id}"))),
        Err(e) => match refused_of(&app, s.state.lang, &e) {
            Some(r) if e.code != Code::NotFound => {
                s.actor.origin.set_success_status(422);
                view_page_with(&app, &s, id, f, Some(r)).await
            }
            _ => Err(e),
        },
    }
}
