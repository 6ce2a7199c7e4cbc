//! Routes of the draft-approval workflow: `/drafts` pages and `/api/v1/drafts/...` JSON over
//! the same services. Signing steps take the CMS as the body (DER or base64, as NCALayer
//! returns it) or, in the HTML pages, as an uploaded `.p7s`/`.cms` file.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::view::DraftView;
use super::{service, view as reading, vote};
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::portal::documents::pages::posting_fields;
use crate::portal::documents::receive::{Received, Refused, receive};
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, created, done, html, json};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;
use crate::web::{blocking, form, limits};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/drafts", web::get().to(list_page))
        .route("/drafts", web::post().to(create_form))
        .route("/drafts/new", web::get().to(new_page))
        .route("/drafts/{id}", web::get().to(view_page))
        .route("/drafts/{id}/act/{action}", web::post().to(act_form))
        .route("/drafts/{id}/versions", web::post().to(revise_form))
        .route("/api/v1/drafts", web::get().to(api_list))
        .route("/api/v1/drafts", web::post().to(api_create))
        .route("/api/v1/drafts/{id}", web::get().to(api_view))
        .route("/api/v1/drafts/{id}/versions", web::post().to(api_revise))
        .route("/api/v1/drafts/{id}/cover-letter", web::get().to(api_cover_letter))
        .route("/api/v1/drafts/{id}/developer-signature", web::post().to(api_developer_sign))
        .route("/api/v1/drafts/{id}/letter", web::post().to(api_register_letter))
        .route("/api/v1/drafts/{id}/working-group", web::post().to(api_working_group))
        .route("/api/v1/drafts/{id}/approval", web::post().to(api_approve))
        .route("/api/v1/drafts/{id}/rejection", web::post().to(api_reject))
        .route("/api/v1/drafts/{id}/protocols", web::post().to(api_protocol))
        .route("/api/v1/drafts/{id}/protocols/{pid}/signature", web::post().to(api_sign_protocol))
        .route("/api/v1/drafts/{id}/chancellery", web::post().to(api_chancellery))
        .route("/api/v1/drafts/{id}/minutes", web::post().to(api_minutes))
        .route("/api/v1/drafts/{id}/vote", web::post().to(api_open_vote))
        .route("/api/v1/drafts/{id}/ballot", web::get().to(api_ballot))
        .route("/api/v1/drafts/{id}/ballot", web::post().to(api_cast))
        .route("/api/v1/drafts/{id}/decision", web::post().to(api_finish));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

// ---------------------------------------------------------------------------------------
// API

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    stage: String,
    agency: String,
}

async fn list(app: &Data, s: &SignedIn, q: ListQuery) -> Result<Vec<DraftView>> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || reading::list(&a, &actor, Some(&q.stage), Some(&q.agency), lang)).await
}

async fn api_list(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    Ok(json(&serde_json::json!({"drafts": list(&app, &s, q.into_inner()).await?})))
}

async fn view(app: &Data, s: &SignedIn, id: u64) -> Result<DraftView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || reading::view(&a, &actor, id, lang)).await
}

async fn api_view(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&view(&app, &s, path.into_inner()).await?))
}

/// Reads a posting's body; a refused file or field comes back with what was sent.
async fn received(
    app: &Data,
    req: &HttpRequest,
    ticket: &crate::portal::documents::service::Ticket,
    payload: Multipart,
) -> std::result::Result<Received, Refused> {
    let mut received = receive(app.clone(), req, ticket, payload).await?;
    if received.refused.is_empty() {
        return Ok(received);
    }
    let errors = std::mem::take(&mut received.refused);
    Err(Refused { errors, values: std::mem::take(&mut received.values) })
}

async fn create(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    payload: Multipart,
) -> std::result::Result<u64, Refused> {
    let (a, actor) = (arc(app), s.actor.clone());
    let ticket = blocking(move || service::prepare(&a, &actor)).await?;
    let mut received = received(app, req, &ticket, payload).await?;
    let (files, meta) = (received.take_files(), std::mem::take(&mut received.meta));
    let values = std::mem::take(&mut received.values);
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::create(&a, &actor, ticket, meta, files))
        .await
        .map_err(|e| Refused { errors: vec![e], values })
}

async fn api_create(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = create(&app, &s, &req, payload).await.map_err(Refused::first)?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn revise(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    payload: Multipart,
    id: u64,
) -> std::result::Result<u32, Refused> {
    let (a, actor) = (arc(app), s.actor.clone());
    let ticket = blocking(move || service::prepare_revision(&a, &actor, id)).await?;
    let mut received = received(app, req, &ticket, payload).await?;
    let (files, meta) = (received.take_files(), std::mem::take(&mut received.meta));
    let values = std::mem::take(&mut received.values);
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::revise(&a, &actor, id, ticket, meta, files))
        .await
        .map_err(|e| Refused { errors: vec![e], values })
}

async fn api_revise(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = path.into_inner();
    revise(&app, &s, &req, payload, id).await.map_err(Refused::first)?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn attachment(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    payload: Multipart,
    id: u64,
    agency: Option<String>,
) -> std::result::Result<u64, Refused> {
    let chancellery = agency.is_none();
    let (a, actor) = (arc(app), s.actor.clone());
    let ticket = blocking(move || service::prepare_attachment(&a, &actor, id, chancellery)).await?;
    let mut received = received(app, req, &ticket, payload).await?;
    let (files, meta) = (received.take_files(), std::mem::take(&mut received.meta));
    let values = std::mem::take(&mut received.values);
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || match agency {
        Some(code) => service::attach_protocol(&a, &actor, id, &code, ticket, meta, files),
        None => service::post_minutes(&a, &actor, id, ticket, meta, files),
    })
    .await
    .map_err(|e| Refused { errors: vec![e], values })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AgencyQuery {
    agency: String,
}

async fn api_protocol(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
    path: web::Path<u64>,
    q: web::Query<AgencyQuery>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = path.into_inner();
    if q.agency.is_empty() {
        return Err(Error::invalid("agency", "field-required"));
    }
    let pid = attachment(&app, &s, &req, payload, id, Some(q.into_inner().agency))
        .await
        .map_err(Refused::first)?;
    Ok(created(&serde_json::json!({"protocol": pid, "draft": view(&app, &s, id).await?})))
}

async fn api_minutes(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = path.into_inner();
    let doc = attachment(&app, &s, &req, payload, id, None).await.map_err(Refused::first)?;
    Ok(created(&serde_json::json!({"minutes": doc, "draft": view(&app, &s, id).await?})))
}

async fn answer(app: &Data, s: &SignedIn, id: u64) -> Result<HttpResponse> {
    Ok(json(&view(app, s, id).await?))
}

async fn api_developer_sign(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || service::developer_sign(&a, &actor, id, &body)).await?;
    answer(&app, &s, id).await
}

async fn api_approve(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || service::approve(&a, &actor, id, &body)).await?;
    answer(&app, &s, id).await
}

async fn api_sign_protocol(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u64)>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let (id, pid) = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || service::sign_protocol(&a, &actor, id, pid, &body)).await?;
    answer(&app, &s, id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Letter {
    number: String,
}

async fn api_register_letter(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<Letter>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, n) = (arc(&app), s.actor.clone(), body.into_inner().number);
    blocking(move || service::register_letter(&a, &actor, id, &n)).await?;
    answer(&app, &s, id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Group {
    group_id: u64,
}

async fn api_working_group(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<Group>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, g) = (arc(&app), s.actor.clone(), body.into_inner().group_id);
    blocking(move || service::name_working_group(&a, &actor, id, g)).await?;
    answer(&app, &s, id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reason {
    reason: String,
}

async fn api_reject(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<Reason>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, r) = (arc(&app), s.actor.clone(), body.into_inner().reason);
    blocking(move || service::reject(&a, &actor, id, &r)).await?;
    answer(&app, &s, id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Verdict {
    accepted: bool,
    reason: String,
}

async fn api_chancellery(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<Verdict>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, v) = (arc(&app), s.actor.clone(), body.into_inner());
    blocking(move || service::chancellery_check(&a, &actor, id, v.accepted, &v.reason)).await?;
    answer(&app, &s, id).await
}

async fn api_finish(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<Verdict>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, v) = (arc(&app), s.actor.clone(), body.into_inner());
    blocking(move || service::finish(&a, &actor, id, v.accepted, &v.reason)).await?;
    answer(&app, &s, id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Heads {
    heads: Vec<String>,
}

async fn api_open_vote(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<Heads>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, h) = (arc(&app), s.actor.clone(), body.into_inner().heads);
    blocking(move || vote::open_vote(&a, &actor, id, &h)).await?;
    answer(&app, &s, id).await
}

async fn api_ballot(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<crate::portal::polls::http::ChoiceQuery>,
) -> Result<HttpResponse> {
    let (id, choice) = (path.into_inner(), q.into_inner().choice);
    let (a, actor) = (arc(&app), s.actor.clone());
    let bytes = blocking(move || vote::ballot(&a, &actor, id, &choice)).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(bytes))
}

/// The head's signed ballot: the CMS as the body, the choice in `?choice=`.
async fn api_cast(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<crate::portal::polls::http::ChoiceQuery>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let (id, choice) = (path.into_inner(), q.into_inner().choice);
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || vote::vote(&a, &actor, id, &choice, &body)).await?;
    answer(&app, &s, id).await
}

async fn api_cover_letter(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    Ok(json(&blocking(move || reading::cover_letter(&a, &actor, id)).await?))
}

// ---------------------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "drafts/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    drafts: Vec<DraftView>,
    stage: String,
    stages: &'static [super::model::Stage],
    /// The column heads that sort (issue 21 p. 7).
    columns: crate::web::sorting::Columns,
}

async fn list_page(
    app: Data,
    s: SignedIn,
    q: web::Query<ListQuery>,
    sort: web::Query<crate::report::Sort>,
) -> Result<HttpResponse> {
    use crate::web::sorting::{Columns, Value};
    let q = q.into_inner();
    let stage = q.stage.clone();
    let filters = [("stage", q.stage.as_str()), ("agency", q.agency.as_str())];
    let columns = Columns::new(
        "/drafts",
        &filters,
        &sort,
        &["id", "title", "developer", "stage", "deadline"],
    );
    let mut drafts = list(&app, &s, q).await?;
    let stages = super::model::Stage::ALL;
    columns.sort(&mut drafts, |d, key| match key {
        "id" => Value::Number(d.id as i64),
        "title" => Value::text(&d.title),
        "developer" => Value::text(&d.developer),
        // The stages in the order of the procedure, not of their names.
        "stage" => {
            Value::Number(stages.iter().position(|st| st.name() == d.stage).unwrap_or(99) as i64)
        }
        // No deadline after every deadline.
        _ => d.deadline.as_deref().map(Value::text).unwrap_or(Value::Text(vec![u32::MAX])),
    });
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "drafts-title", "drafts"),
        drafts,
        stage,
        stages,
        columns,
    })
}

#[derive(Template)]
#[template(path = "drafts/new.html")]
struct NewPage<'a> {
    page: PageCtx<'a>,
    agencies: Vec<crate::portal::directory::model::Agency>,
    max_mb: u64,
    f: Form,
}

impl NewPage<'_> {
    fn chosen_files(&self) -> String {
        self.f.values_of("file").join(", ")
    }
}

/// The fields of the new-draft form.
fn draft_fields() -> Vec<Field> {
    let mut fields = posting_fields("draft_act");
    fields.push(Field::new("approving", "draft-approving"));
    fields
}

async fn new_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.draft_new");
    new_form(&app, &s, Form::new("draft")).await
}

async fn new_form(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let (a, actor) = (arc(app), s.actor.clone());
    let mine = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let agencies: Vec<_> =
        blocking(move || crate::portal::directory::service::agencies(&a, &actor))
            .await?
            .into_iter()
            .filter(|a| a.id != mine)
            .collect();
    let page = NewPage {
        page: PageCtx::new(app, &s.state, "draft-new-title", "drafts"),
        agencies,
        max_mb: app.config.documents.max_document_mb,
        f,
    };
    forms::page(&page, &page.f)
}

async fn create_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    match create(&app, &s, &req, payload).await {
        Ok(id) => Ok(done(&format!("/drafts/{id}"), "done-draft-posted")),
        Err(r) => {
            let f = Form::from_pairs("draft", r.values).refuse_all(
                &app.i18n,
                s.state.lang,
                r.errors,
                &draft_fields(),
            )?;
            new_form(&app, &s, f).await
        }
    }
}

async fn revise_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = path.into_inner();
    match revise(&app, &s, &req, payload, id).await {
        Ok(_) => Ok(done(&format!("/drafts/{id}"), "done-draft-revised")),
        Err(r) => refused_on_page(&app, &s, id, "revise", r).await,
    }
}

#[derive(Template)]
#[template(path = "drafts/view.html")]
struct ViewPage<'a> {
    page: PageCtx<'a>,
    draft: DraftView,
    groups: Vec<crate::portal::directory::model::WorkingGroup>,
    /// The text and files of the version being approved.
    version: Option<crate::portal::documents::service::VersionView>,
    /// The refused form of one action (its id is the action), or an empty one.
    f: Form,
}

impl ViewPage<'_> {
    fn can(&self, action: &str) -> bool {
        self.draft.actions.contains(&action)
    }

    fn act(&self, action: &str) -> String {
        format!("/drafts/{}/act/{action}", self.draft.id)
    }

    /// The form of `action` as shown: the refused one with its values and messages, or a
    /// fresh one.
    fn form(&self, action: &'static str) -> Form {
        if self.f.id == action { self.f.clone() } else { Form::new(action) }
    }
}

async fn view_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    view_form(&app, &s, path.into_inner(), Form::new("")).await
}

async fn view_form(app: &Data, s: &SignedIn, id: u64, f: Form) -> Result<HttpResponse> {
    let draft = view(app, s, id).await?;
    let (a, actor, lang, doc) = (arc(app), s.actor.clone(), s.state.lang, draft.document_id);
    let mine = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let (groups, version) = blocking(move || {
        let groups = crate::portal::directory::service::groups(&a, &actor)?;
        // The text the head signs, on the page they sign from (I385 §14, §16).
        let version = crate::portal::documents::service::get(&a, &actor, doc, lang)
            .ok()
            .map(|d| d.current().clone());
        Ok((groups, version))
    })
    .await?;
    let groups = groups.into_iter().filter(|g| g.agency_id == mine).collect();
    let page = ViewPage {
        page: PageCtx::new(app, &s.state, "draft-title", "drafts"),
        draft,
        groups,
        version,
        f,
    };
    forms::page(&page, &page.f)
}

/// The fields of each form of the draft page.
fn action_fields(action: &str) -> Vec<Field> {
    let signature = Field::aliased("signature", "draft-signature-file", &["file"]);
    match action {
        "register_letter" => vec![Field::new("number", "draft-action-register")],
        "working_group" => vec![Field::aliased("group_id", "draft-action-group", &["group"])],
        "reject" => vec![
            Field::new("reason", "draft-action-reject"),
            Field::new("confirm", "draft-reject-confirm"),
        ],
        "chancellery_check" | "finish" => vec![Field::new("reason", "draft-reason")],
        "open_vote" => vec![Field::new("heads", "draft-action-open-vote")],
        "revise" | "protocol" | "minutes" => posting_fields("draft_act"),
        _ => vec![signature],
    }
}

/// Names of the actions of the page's forms (the form ids).
const ACTIONS: &[&str] = &[
    "developer_sign",
    "approve",
    "sign_protocol",
    "register_letter",
    "working_group",
    "reject",
    "chancellery_check",
    "open_vote",
    "finish",
    "protocol",
    "minutes",
    "revise",
];

/// The draft page again with the refused form of `action`.
async fn refused_on_page(
    app: &Data,
    s: &SignedIn,
    id: u64,
    action: &str,
    refused: Refused,
) -> Result<HttpResponse> {
    let action = ACTIONS.iter().copied().find(|a| *a == action).ok_or_else(Error::not_found)?;
    let errors = refused
        .errors
        .into_iter()
        .map(|e| {
            // A refused signature is about the signature file.
            if e.field.is_none() && e.code == Code::SignatureRejected {
                e.with_field("signature")
            } else {
                e
            }
        })
        .collect();
    let f = Form::from_pairs(action, refused.values).refuse_all(
        &app.i18n,
        s.state.lang,
        errors,
        &action_fields(action),
    )?;
    view_form(app, s, id, f).await
}

/// One endpoint for every form of the draft page: multipart (a signature file, or a
/// protocol/minutes posting) or url-encoded fields. A refused form comes back on the page
/// with what was entered.
async fn act_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    path: web::Path<(u64, String)>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (id, action) = path.into_inner();
    s.actor.origin.set_success_status(303);
    match act(&app, &s, &req, id, &action, payload).await {
        Ok(message) => Ok(done(&format!("/drafts/{id}"), message)),
        Err(r) => refused_on_page(&app, &s, id, &action, r).await,
    }
}

/// The confirmation shown after an action.
fn done_message(action: &str) -> &'static str {
    match action {
        "developer_sign" | "approve" | "sign_protocol" => "done-draft-signed",
        "register_letter" => "done-draft-letter",
        "working_group" => "done-draft-group",
        "reject" => "done-draft-rejected",
        "protocol" | "minutes" => "done-draft-attached",
        _ => "done-draft-saved",
    }
}

async fn act(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    id: u64,
    action: &str,
    payload: web::Payload,
) -> std::result::Result<&'static str, Refused> {
    let content_type =
        req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let message = done_message(action);
    if matches!(action, "protocol" | "minutes") {
        let multipart = Multipart::new(req.headers(), payload);
        let agency = if action == "protocol" { Some(agency_of_form(req)?) } else { None };
        attachment(app, s, req, multipart, id, agency).await?;
        return Ok(message);
    }
    let action = action.to_owned();
    if content_type.starts_with("multipart/form-data") {
        // A signature file uploaded from the page.
        let (cms, fields) =
            read_signature_upload(app, Multipart::new(req.headers(), payload)).await?;
        let values = fields.clone();
        let (a, actor) = (arc(app), s.actor.clone());
        blocking(move || match action.as_str() {
            "developer_sign" => service::developer_sign(&a, &actor, id, &cms),
            "approve" => service::approve(&a, &actor, id, &cms),
            "sign_protocol" => {
                let pid = fields
                    .iter()
                    .find(|(k, _)| k == "protocol")
                    .and_then(|(_, v)| v.parse().ok())
                    .ok_or_else(|| Error::invalid("protocol", "field-required"))?;
                service::sign_protocol(&a, &actor, id, pid, &cms)
            }
            _ => Err(Error::not_found()),
        })
        .await
        .map_err(|e| Refused { errors: vec![e], values })?;
        return Ok(message);
    }
    let mut payload = payload;
    let body = limits::read_capped(&mut payload, 64 * 1024, "limit-form-body", 64).await?;
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct F {
        number: String,
        group_id: String,
        reason: String,
        accepted: String,
        heads: String,
        confirm: String,
    }
    let values = Form::posted("", &body);
    let values: Vec<(String, String)> = ["number", "group_id", "reason", "accepted", "heads"]
        .iter()
        .map(|k| ((*k).to_owned(), values.value(k).to_owned()))
        .collect();
    let f: F = form(&body)?;
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || match action.as_str() {
        "register_letter" => service::register_letter(&a, &actor, id, &f.number),
        "working_group" => service::name_working_group(
            &a,
            &actor,
            id,
            f.group_id.parse().map_err(|_| Error::invalid("group_id", "field-required"))?,
        ),
        // A rejection is confirmed on the page, also without JavaScript.
        "reject" if f.confirm != "yes" => {
            Err(Error::invalid("confirm", "draft-reject-confirm-required"))
        }
        "reject" => service::reject(&a, &actor, id, &f.reason),
        "chancellery_check" => {
            service::chancellery_check(&a, &actor, id, f.accepted == "yes", &f.reason)
        }
        "open_vote" => {
            let heads: Vec<String> = f
                .heads
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            vote::open_vote(&a, &actor, id, &heads)
        }
        "finish" => service::finish(&a, &actor, id, f.accepted == "yes", &f.reason),
        _ => Err(Error::not_found()),
    })
    .await
    .map_err(|e| Refused { errors: vec![e], values })?;
    Ok(message)
}

fn agency_of_form(req: &HttpRequest) -> Result<String> {
    web::Query::<AgencyQuery>::from_query(req.query_string())
        .map(|q| q.into_inner().agency)
        .ok()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Error::invalid("agency", "field-required"))
}

/// The `signature` file part and the small fields of a signing form.
async fn read_signature_upload(
    app: &Data,
    mp: Multipart,
) -> Result<(Vec<u8>, Vec<(String, String)>)> {
    match crate::portal::polls::http::read_multipart(app, mp).await? {
        (mut fields, Some(cms)) if !cms.is_empty() => {
            fields.retain(|(k, _)| k != "csrf");
            Ok((cms, fields))
        }
        _ => Err(Error::invalid("signature", "field-required")),
    }
}
