//! Routes of surveys: `/api/v1/surveys/...` JSON over the same services the pages use.
//! A response is `{"answers": {"q1": ["2"], ...}}`; results come as JSON, `.csv` and `.xlsx`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::model::Answers;
use super::service::{self, Design};
use super::{reading, results};
use crate::app::App;
use crate::error::{Error, Result};
use crate::portal::polls::http::read_body;
use crate::web::blocking;
use crate::web::render::{created, download, json};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

/// A design may carry long texts in two languages for up to 200 questions.
const MAX_DESIGN: usize = 1024 * 1024;
/// Free texts of at most 4,000 characters (Cyrillic: two bytes each) on many questions.
const MAX_RESPONSE: usize = 1024 * 1024;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    super::pages::routes(cfg);
    cfg.route("/api/v1/surveys", web::get().to(api_list))
        .route("/api/v1/surveys", web::post().to(api_create))
        .route("/api/v1/surveys/{id}", web::get().to(api_view))
        .route("/api/v1/surveys/{id}", web::put().to(api_update))
        .route("/api/v1/surveys/{id}/copy", web::post().to(api_copy))
        .route("/api/v1/surveys/{id}/open", web::post().to(api_open))
        .route("/api/v1/surveys/{id}/close", web::post().to(api_close))
        .route("/api/v1/surveys/{id}/remind", web::post().to(api_remind))
        .route("/api/v1/surveys/{id}/responses", web::post().to(api_respond))
        .route("/api/v1/surveys/{id}/results", web::get().to(api_results))
        .route("/api/v1/surveys/{id}/results.csv", web::get().to(api_results_csv))
        .route("/api/v1/surveys/{id}/results.xlsx", web::get().to(api_results_xlsx));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    crate::web::request::json_object(body)
}

async fn api_list(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let list = blocking(move || service::list(&a, &actor)).await?;
    let items: Vec<serde_json::Value> = list.iter().map(service::Seen::to_json).collect();
    Ok(json(&serde_json::json!({"surveys": items})))
}

async fn api_create(app: Data, s: SignedIn, payload: web::Payload) -> Result<HttpResponse> {
    let design: Design = parse(&read_body(payload, MAX_DESIGN).await?)?;
    s.actor.origin.set_success_status(201);
    let (a, actor) = (arc(&app), s.actor.clone());
    let created_survey = blocking(move || service::create(&a, &actor, design)).await?;
    Ok(created(&created_survey))
}

async fn api_view(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    let seen = blocking(move || service::get(&a, &actor, id)).await?;
    Ok(json(&seen.to_json()))
}

async fn api_update(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let design: Design = parse(&read_body(payload, MAX_DESIGN).await?)?;
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    Ok(json(&blocking(move || service::update(&a, &actor, id, design)).await?))
}

async fn api_copy(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    Ok(created(&blocking(move || service::copy(&a, &actor, id)).await?))
}

async fn api_open(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    Ok(json(&blocking(move || service::open(&a, &actor, id)).await?))
}

async fn api_close(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    Ok(json(&blocking(move || service::close(&a, &actor, id)).await?))
}

/// Reminds the audience's non-respondents; answers how many were reminded (never who).
async fn api_remind(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    let n = blocking(move || service::remind(&a, &actor, id)).await?;
    Ok(json(&serde_json::json!({"survey": id, "reminded": n})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseBody {
    answers: Answers,
}

async fn api_respond(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let body: ResponseBody = parse(&read_body(payload, MAX_RESPONSE).await?)?;
    s.actor.origin.set_success_status(201);
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    blocking(move || service::respond(&a, &actor, id, &body.answers)).await?;
    Ok(created(&serde_json::json!({"survey": id, "answered": true})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResultsQuery {
    /// `agency` or `department`.
    by: String,
}

async fn api_results(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<ResultsQuery>,
) -> Result<HttpResponse> {
    let by = q.into_inner().by;
    if !by.is_empty() && results::By::parse(&by).is_none() {
        return Err(Error::invalid("by", "survey-by-invalid"));
    }
    let (a, actor, id, lang) = (arc(&app), s.actor.clone(), path.into_inner(), s.state.lang);
    Ok(json(&blocking(move || reading::results(&a, &actor, id, &by, lang)).await?))
}

async fn export(app: &Data, s: &SignedIn, id: u64) -> Result<crate::report::Table> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || reading::export(&a, &actor, id, lang)).await
}

async fn api_results_csv(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let table = export(&app, &s, id).await?;
    let bytes = blocking(move || crate::report::csv::write(&table)).await?;
    Ok(download(bytes, "text/csv; charset=utf-8", &format!("survey-{id}.csv")))
}

async fn api_results_xlsx(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let table = export(&app, &s, id).await?;
    let bytes = blocking(move || crate::report::xlsx::write(&table)).await?;
    let mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    Ok(download(bytes, mime, &format!("survey-{id}.xlsx")))
}
