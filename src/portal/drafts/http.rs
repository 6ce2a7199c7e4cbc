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
use crate::error::{Error, Result};
use crate::portal::documents::receive::receive;
use crate::web::render::{PageCtx, created, html, json, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form, limits};

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
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

async fn create(app: &Data, s: &SignedIn, req: &HttpRequest, payload: Multipart) -> Result<u64> {
    let (a, actor) = (arc(app), s.actor.clone());
    let ticket = blocking(move || service::prepare(&a, &actor)).await?;
    let mut received = receive(app.clone(), req, &ticket, payload).await?;
    let (files, meta) = (received.take_files(), std::mem::take(&mut received.meta));
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::create(&a, &actor, ticket, meta, files)).await
}

async fn api_create(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = create(&app, &s, &req, payload).await?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn revise(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    payload: Multipart,
    id: u64,
) -> Result<u32> {
    let (a, actor) = (arc(app), s.actor.clone());
    let ticket = blocking(move || service::prepare_revision(&a, &actor, id)).await?;
    let mut received = receive(app.clone(), req, &ticket, payload).await?;
    let (files, meta) = (received.take_files(), std::mem::take(&mut received.meta));
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::revise(&a, &actor, id, ticket, meta, files)).await
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
    revise(&app, &s, &req, payload, id).await?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn attachment(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    payload: Multipart,
    id: u64,
    agency: Option<String>,
) -> Result<u64> {
    let chancellery = agency.is_none();
    let (a, actor) = (arc(app), s.actor.clone());
    let ticket = blocking(move || service::prepare_attachment(&a, &actor, id, chancellery)).await?;
    let mut received = receive(app.clone(), req, &ticket, payload).await?;
    let (files, meta) = (received.take_files(), std::mem::take(&mut received.meta));
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || match agency {
        Some(code) => service::attach_protocol(&a, &actor, id, &code, ticket, meta, files),
        None => service::post_minutes(&a, &actor, id, ticket, meta, files),
    })
    .await
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
    let pid = attachment(&app, &s, &req, payload, id, Some(q.into_inner().agency)).await?;
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
    let doc = attachment(&app, &s, &req, payload, id, None).await?;
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
    body: web::Json<Letter>,
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
    body: web::Json<Group>,
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
    body: web::Json<Reason>,
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
    body: web::Json<Verdict>,
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
    body: web::Json<Verdict>,
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
    body: web::Json<Heads>,
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
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    let q = q.into_inner();
    let stage = q.stage.clone();
    let drafts = list(&app, &s, q).await?;
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "drafts-title", "drafts"),
        drafts,
        stage,
        stages: super::model::Stage::ALL,
    })
}

#[derive(Template)]
#[template(path = "drafts/new.html")]
struct NewPage<'a> {
    page: PageCtx<'a>,
    agencies: Vec<crate::portal::directory::model::Agency>,
    max_mb: u64,
}

async fn new_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.draft_new");
    let (a, actor) = (arc(&app), s.actor.clone());
    let mine = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let agencies: Vec<_> =
        blocking(move || crate::portal::directory::service::agencies(&a, &actor))
            .await?
            .into_iter()
            .filter(|a| a.id != mine)
            .collect();
    html(&NewPage {
        page: PageCtx::new(&app, &s.state, "draft-new-title", "drafts"),
        agencies,
        max_mb: app.config.documents.max_document_mb,
    })
}

async fn create_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = create(&app, &s, &req, payload).await?;
    Ok(see_other(&format!("/drafts/{id}")))
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
    revise(&app, &s, &req, payload, id).await?;
    Ok(see_other(&format!("/drafts/{id}")))
}

#[derive(Template)]
#[template(path = "drafts/view.html")]
struct ViewPage<'a> {
    page: PageCtx<'a>,
    draft: DraftView,
    groups: Vec<crate::portal::directory::model::WorkingGroup>,
}

impl ViewPage<'_> {
    fn can(&self, action: &str) -> bool {
        self.draft.actions.contains(&action)
    }

    fn act(&self, action: &str) -> String {
        format!("/drafts/{}/act/{action}?csrf={}", self.draft.id, self.page.csrf)
    }
}

async fn view_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let draft = view(&app, &s, path.into_inner()).await?;
    let (a, actor) = (arc(&app), s.actor.clone());
    let mine = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let groups = blocking(move || crate::portal::directory::service::groups(&a, &actor))
        .await?
        .into_iter()
        .filter(|g| g.agency_id == mine)
        .collect();
    html(&ViewPage { page: PageCtx::new(&app, &s.state, "draft-title", "drafts"), draft, groups })
}

/// One endpoint for every form of the draft page: multipart (a signature file, or a
/// protocol/minutes posting) or url-encoded fields; the CSRF token is in the query.
async fn act_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    path: web::Path<(u64, String)>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (id, action) = path.into_inner();
    s.actor.origin.set_success_status(303);
    let content_type =
        req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let back = see_other(&format!("/drafts/{id}"));
    if matches!(action.as_str(), "protocol" | "minutes") {
        let multipart = Multipart::new(req.headers(), payload);
        let agency = if action == "protocol" { Some(agency_of_form(&req)?) } else { None };
        attachment(&app, &s, &req, multipart, id, agency).await?;
        return Ok(back);
    }
    if content_type.starts_with("multipart/form-data") {
        // A signature file uploaded from the page.
        let (cms, fields) =
            read_signature_upload(&app, Multipart::new(req.headers(), payload)).await?;
        let (a, actor) = (arc(&app), s.actor.clone());
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
        .await?;
        return Ok(back);
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
    }
    let f: F = form(&body)?;
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || match action.as_str() {
        "register_letter" => service::register_letter(&a, &actor, id, &f.number),
        "working_group" => service::name_working_group(
            &a,
            &actor,
            id,
            f.group_id.parse().map_err(|_| Error::invalid("group_id", "field-required"))?,
        ),
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
    .await?;
    Ok(back)
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
        (fields, Some(cms)) if !cms.is_empty() => Ok((cms, fields)),
        _ => Err(Error::invalid("signature", "field-required")),
    }
}
