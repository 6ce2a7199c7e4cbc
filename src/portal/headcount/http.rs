//! Routes of headcount monitoring: `/api/v1/headcount/...` JSON and the `/headcount` pages
//! over the same services.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::model::{FieldComment, State};
use super::service::{self, Decision, NewCampaign, NewDefinition, NewReturn, SaveReturn};
use super::{summary, views};
use crate::app::App;
use crate::error::{Error, Result};
use crate::web::blocking;
use crate::web::render::{XLSX, created, download, json};
use crate::web::request::SignedIn;
use crate::web::request::{JsonObject, OptionalJsonObject};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/headcount", web::get().to(super::pages::campaigns_page))
        .route("/headcount/campaigns", web::post().to(super::pages::open_campaign_form))
        .route("/headcount/campaigns/{id}/return", web::post().to(super::pages::start_form))
        .route("/headcount/queue", web::get().to(super::pages::queue_page))
        .route("/headcount/summary", web::get().to(super::pages::summary_page))
        .route("/headcount/returns/{id}", web::get().to(super::pages::return_page))
        .route("/headcount/returns/{id}", web::post().to(super::pages::return_form))
        .route("/headcount/returns/{id}/review", web::post().to(super::pages::review_form))
        .route("/headcount/returns/{id}/signature", web::post().to(super::pages::sign_form))
        .route("/headcount/returns/{id}/text", web::get().to(text_download))
        .route("/headcount/forms", web::get().to(super::pages::forms_page))
        .route("/api/v1/headcount/forms", web::get().to(api_forms))
        .route("/api/v1/headcount/forms", web::post().to(api_publish_form))
        .route("/api/v1/headcount/campaigns", web::get().to(api_campaigns))
        .route("/api/v1/headcount/campaigns", web::post().to(api_open_campaign))
        .route("/api/v1/headcount/returns", web::get().to(api_returns))
        .route("/api/v1/headcount/returns", web::post().to(api_create))
        .route("/api/v1/headcount/returns/{id}", web::get().to(api_return))
        .route("/api/v1/headcount/returns/{id}", web::put().to(api_save))
        .route("/api/v1/headcount/returns/{id}/text", web::get().to(api_text))
        .route("/api/v1/headcount/returns/{id}/signature", web::post().to(api_sign))
        .route("/api/v1/headcount/returns/{id}/submit", web::post().to(api_submit))
        .route("/api/v1/headcount/returns/{id}/accept", web::post().to(api_accept))
        .route("/api/v1/headcount/returns/{id}/return", web::post().to(api_send_back))
        .route("/api/v1/headcount/summary", web::get().to(api_summary))
        .route("/api/v1/headcount/summary.csv", web::get().to(api_summary_csv))
        .route("/api/v1/headcount/summary.xlsx", web::get().to(api_summary_xlsx));
}

pub(super) fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

async fn api_forms(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let forms = blocking(move || {
        crate::auth::policy::require(
            &actor,
            service::act(crate::auth::policy::HeadcountAction::ReadCampaigns),
            crate::auth::policy::Object::Appliance,
        )?;
        let txn = a.db.read()?;
        super::store::forms(&txn)
    })
    .await?;
    Ok(json(&serde_json::json!({"forms": forms})))
}

async fn api_publish_form(
    app: Data,
    s: SignedIn,
    body: JsonObject<NewDefinition>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let (a, actor, input) = (arc(&app), s.actor.clone(), body.into_inner());
    let version = blocking(move || service::publish_definition(&a, &actor, input)).await?;
    let def = service::definition(&app, version)?;
    Ok(created(&def))
}

async fn api_campaigns(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let campaigns = blocking(move || views::campaigns(&a, &actor)).await?;
    Ok(json(&serde_json::json!({"campaigns": campaigns})))
}

async fn api_open_campaign(
    app: Data,
    s: SignedIn,
    body: JsonObject<NewCampaign>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let (a, actor, input) = (arc(&app), s.actor.clone(), body.into_inner());
    let c = blocking(move || service::open_campaign(&a, &actor, input)).await?;
    Ok(created(&c))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ListQuery {
    pub campaign: Option<u64>,
    pub state: String,
}

pub(super) fn parse_state(s: &str) -> Result<Option<State>> {
    if s.is_empty() {
        return Ok(None);
    }
    State::ALL
        .iter()
        .copied()
        .find(|x| x.name() == s)
        .map(Some)
        .ok_or_else(|| Error::invalid("state", "headcount-state-invalid"))
}

async fn api_returns(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    let state = parse_state(&q.state)?;
    let (a, actor, lang, c) = (arc(&app), s.actor.clone(), s.state.lang, q.campaign);
    let rows = blocking(move || views::list(&a, &actor, c, state, lang)).await?;
    Ok(json(&serde_json::json!({"returns": rows})))
}

pub(super) async fn view(app: &Data, s: &SignedIn, id: u64) -> Result<views::ReturnView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || views::get(&a, &actor, id, lang)).await
}

async fn api_create(app: Data, s: SignedIn, body: JsonObject<NewReturn>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let (a, actor, lang, input) = (arc(&app), s.actor.clone(), s.state.lang, body.into_inner());
    let id = blocking(move || service::create_return(&a, &actor, input, lang)).await?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn api_return(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&view(&app, &s, path.into_inner()).await?))
}

async fn api_save(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<SaveReturn>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, lang, input) = (arc(&app), s.actor.clone(), s.state.lang, body.into_inner());
    blocking(move || service::save(&a, &actor, id, input, lang)).await?;
    Ok(json(&view(&app, &s, id).await?))
}

async fn return_text(app: &Data, s: &SignedIn, id: u64) -> Result<Vec<u8>> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::text(&a, &actor, id)).await
}

/// The exact bytes the head signs (the return's canonical text).
async fn api_text(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let bytes = return_text(&app, &s, path.into_inner()).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(bytes))
}

/// The same text as a file to sign with a desktop tool (`ipgo sign`, NCALayer, openssl).
async fn text_download(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let bytes = return_text(&app, &s, id).await?;
    Ok(download(bytes, "text/plain; charset=utf-8", &format!("headcount-return-{id}.txt")))
}

/// The head's signature: the CMS (DER, PEM or base64) as the body.
async fn api_sign(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || service::sign(&a, &actor, id, &body)).await?;
    Ok(json(&view(&app, &s, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Revision {
    revision: Option<u64>,
}

async fn api_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: OptionalJsonObject<Revision>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let rev = body.into_inner().and_then(|b| b.revision);
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    blocking(move || service::submit(&a, &actor, id, rev, lang)).await?;
    Ok(json(&view(&app, &s, id).await?))
}

pub(super) async fn decide(app: &Data, s: &SignedIn, id: u64, d: Decision) -> Result<State> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || service::review(&a, &actor, id, d, lang)).await
}

async fn api_accept(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    decide(&app, &s, id, Decision::Accept).await?;
    Ok(json(&view(&app, &s, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SendBack {
    /// Per field: `{"field": "vacant", "text": "..."}`; `field` empty for the whole return.
    comments: Vec<FieldComment>,
    /// A comment on the return as a whole (shorthand).
    comment: String,
}

async fn api_send_back(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<SendBack>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let b = body.into_inner();
    let mut comments = b.comments;
    if !b.comment.trim().is_empty() {
        comments.push(FieldComment { field: String::new(), text: b.comment });
    }
    decide(&app, &s, id, Decision::Return { comments }).await?;
    Ok(json(&view(&app, &s, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SummaryQuery {
    pub period: String,
    /// `agency` (the default), `region` or `kind`.
    pub group: String,
    pub sort: String,
    pub dir: String,
}

pub(super) async fn load_summary(
    app: &Data,
    s: &SignedIn,
    q: &SummaryQuery,
) -> Result<summary::Summary> {
    let grouping = summary::Grouping::parse(&q.group)?;
    let (a, actor, lang, p) = (arc(app), s.actor.clone(), s.state.lang, q.period.clone());
    blocking(move || summary::summary(&a, &actor, &p, grouping, lang)).await
}

async fn api_summary(app: Data, s: SignedIn, q: web::Query<SummaryQuery>) -> Result<HttpResponse> {
    Ok(json(&load_summary(&app, &s, &q).await?))
}

fn summary_table(app: &Data, s: &SignedIn, sum: &summary::Summary) -> crate::report::Table {
    let t = |k: &str| app.i18n.text(s.state.lang, k);
    summary::table(sum, &t)
}

async fn api_summary_csv(
    app: Data,
    s: SignedIn,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse> {
    let sum = load_summary(&app, &s, &q).await?;
    let bytes = crate::report::csv::write(&summary_table(&app, &s, &sum))?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        &format!("headcount-{}-{}.csv", sum.period, sum.group.code()),
    ))
}

async fn api_summary_xlsx(
    app: Data,
    s: SignedIn,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse> {
    let sum = load_summary(&app, &s, &q).await?;
    let bytes = crate::report::xlsx::write(&summary_table(&app, &s, &sum))?;
    Ok(download(bytes, XLSX, &format!("headcount-{}-{}.xlsx", sum.period, sum.group.code())))
}

/// Figures as a form posts them: `v.<key>` fields.
pub(super) fn form_values(fields: &BTreeMap<String, String>) -> BTreeMap<String, Value> {
    fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("v.").map(|k| (k.to_owned(), Value::String(v.clone()))))
        .collect()
}
