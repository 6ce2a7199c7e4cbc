//! Routes of action plans: `/api/v1/plans/...` JSON and the `/plans` pages over the same
//! services. The head's signature arrives as the body (DER or base64) or, on the item
//! page, as an uploaded `.p7s`/`.cms` file.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::monitor;
use super::service::{self, NewItem, NewPlan, NewReport, NewTask};
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{XLSX, created, done, download, json};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/plans", web::get().to(super::pages::list_page))
        .route("/plans/dashboard", web::get().to(super::pages::dashboard_page))
        .route("/plans/{id}", web::get().to(super::pages::plan_page))
        .route("/plans/{id}/post", web::post().to(post_form))
        .route("/plans/{id}/items/{item}", web::get().to(super::pages::item_page))
        .route("/plans/{id}/items/{item}/act/{action}", web::post().to(super::pages::act_form))
        .route("/api/v1/plans", web::get().to(api_list))
        .route("/api/v1/plans", web::post().to(api_create))
        .route("/api/v1/plans/dashboard", web::get().to(api_dashboard))
        .route("/api/v1/plans/{id}", web::get().to(api_plan))
        .route("/api/v1/plans/{id}/items", web::post().to(api_add_items))
        .route("/api/v1/plans/{id}/post", web::post().to(api_post))
        .route("/api/v1/plans/{id}/export.xlsx", web::get().to(api_export))
        .route("/api/v1/plans/{id}/items/{item}", web::get().to(api_item))
        .route("/api/v1/plans/{id}/items/{item}/tasks", web::post().to(api_task))
        .route("/api/v1/plans/{id}/items/{item}/reports", web::post().to(api_report))
        .route("/api/v1/plans/{id}/items/{item}/reports/{r}/review", web::post().to(api_review))
        .route("/api/v1/plans/{id}/items/{item}/consolidated", web::post().to(api_consolidate))
        .route("/api/v1/plans/{id}/items/{item}/consolidated/signature", web::post().to(api_sign));
}

pub(super) fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

async fn api_list(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let plans = blocking(move || monitor::list(&a, &actor, lang)).await?;
    Ok(json(&serde_json::json!({"plans": plans})))
}

pub(super) async fn plan_view(app: &Data, s: &SignedIn, id: u64) -> Result<monitor::PlanView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || monitor::plan(&a, &actor, id, lang)).await
}

async fn api_plan(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&plan_view(&app, &s, path.into_inner()).await?))
}

async fn api_create(app: Data, s: SignedIn, body: JsonObject<NewPlan>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let (a, actor, input) = (arc(&app), s.actor.clone(), body.into_inner());
    let id = blocking(move || service::create(&a, &actor, input)).await?;
    Ok(created(&plan_view(&app, &s, id).await?))
}

#[derive(Deserialize)]
struct Items {
    items: Vec<NewItem>,
}

async fn api_add_items(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<Items>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, items) = (arc(&app), s.actor.clone(), body.into_inner().items);
    blocking(move || service::add_items(&a, &actor, id, &items)).await?;
    Ok(json(&plan_view(&app, &s, id).await?))
}

async fn post(app: &Data, s: &SignedIn, id: u64) -> Result<super::model::Posting> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::post(&a, &actor, id)).await
}

async fn api_post(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    post(&app, &s, id).await?;
    Ok(json(&plan_view(&app, &s, id).await?))
}

async fn post_form(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = path.into_inner();
    post(&app, &s, id).await?;
    Ok(done(&format!("/plans/{id}"), "done-plan-posted"))
}

async fn api_export(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let bytes = blocking(move || monitor::export_xlsx(&a, &actor, id, lang)).await?;
    Ok(download(bytes, XLSX, &format!("plan-{id}.xlsx")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DashboardQuery {
    pub plan: Option<u64>,
    pub sort: String,
    pub dir: String,
}

async fn api_dashboard(
    app: Data,
    s: SignedIn,
    q: web::Query<DashboardQuery>,
) -> Result<HttpResponse> {
    let (a, actor, lang, plan) = (arc(&app), s.actor.clone(), s.state.lang, q.plan);
    let lines = blocking(move || monitor::dashboard(&a, &actor, plan, lang)).await?;
    Ok(json(&serde_json::json!({"agencies": lines})))
}

pub(super) async fn item_view(
    app: &Data,
    s: &SignedIn,
    at: (u64, u64),
) -> Result<monitor::ItemView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || monitor::item(&a, &actor, at, lang)).await
}

async fn api_item(app: Data, s: SignedIn, path: web::Path<(u64, u64)>) -> Result<HttpResponse> {
    Ok(json(&item_view(&app, &s, path.into_inner()).await?))
}

async fn answer(app: &Data, s: &SignedIn, at: (u64, u64)) -> Result<HttpResponse> {
    Ok(json(&item_view(app, s, at).await?))
}

async fn api_task(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u64)>,
    body: JsonObject<NewTask>,
) -> Result<HttpResponse> {
    let at = path.into_inner();
    let (a, actor, input) = (arc(&app), s.actor.clone(), body.into_inner());
    blocking(move || service::assign_task(&a, &actor, at, input)).await?;
    answer(&app, &s, at).await
}

async fn api_report(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u64)>,
    body: JsonObject<NewReport>,
) -> Result<HttpResponse> {
    let at = path.into_inner();
    let (a, actor, input) = (arc(&app), s.actor.clone(), body.into_inner());
    blocking(move || service::submit_report(&a, &actor, at, input)).await?;
    answer(&app, &s, at).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Review {
    accept: bool,
    comment: String,
}

async fn api_review(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u64, u64)>,
    body: JsonObject<Review>,
) -> Result<HttpResponse> {
    let (plan, item, report) = path.into_inner();
    let (a, actor, r) = (arc(&app), s.actor.clone(), body.into_inner());
    blocking(move || service::review(&a, &actor, (plan, item), report, r.accept, &r.comment))
        .await?;
    answer(&app, &s, (plan, item)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Text {
    text: String,
}

async fn api_consolidate(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u64)>,
    body: JsonObject<Text>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let at = path.into_inner();
    let (a, actor, t) = (arc(&app), s.actor.clone(), body.into_inner().text);
    blocking(move || service::post_consolidated(&a, &actor, at, &t)).await?;
    Ok(created(&item_view(&app, &s, at).await?))
}

async fn api_sign(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u64)>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let at = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || service::sign_consolidated(&a, &actor, at, &body)).await?;
    answer(&app, &s, at).await
}
