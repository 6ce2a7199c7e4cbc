//! Routes of the account requests' API (`/api/v1/account-requests/...`); the pages are in
//! `pages.rs`. Both call the same services.

use actix_web::{HttpResponse, web};

use super::service::{self, NewRequest, Refusal};
use super::views::{self, ListQuery, RequestView};
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{created, json};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    super::pages::routes(cfg);
    cfg.route("/api/v1/account-requests", web::get().to(api_list))
        .route("/api/v1/account-requests", web::post().to(api_file))
        .route("/api/v1/account-requests/{id}", web::get().to(api_view))
        .route("/api/v1/account-requests/{id}/approve", web::post().to(api_approve))
        .route("/api/v1/account-requests/{id}/refuse", web::post().to(api_refuse))
        .route("/api/v1/account-requests/{id}/withdraw", web::post().to(api_withdraw));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

pub(super) async fn list(app: &Data, s: &SignedIn, q: ListQuery) -> Result<Vec<RequestView>> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || views::list(&a, &actor, &q, lang)).await
}

pub(super) async fn view(app: &Data, s: &SignedIn, id: u64) -> Result<RequestView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || views::view(&a, &actor, id, lang)).await
}

pub(super) async fn file(app: &Data, s: &SignedIn, input: NewRequest) -> Result<u64> {
    let (a, actor) = (arc(app), s.actor.clone());
    Ok(blocking(move || service::file(&a, &actor, &input)).await?.id)
}

/// Approves; returns the one-time password to show once.
pub(super) async fn approve(app: &Data, s: &SignedIn, id: u64) -> Result<Option<String>> {
    let (a, actor) = (arc(app), s.actor.clone());
    Ok(blocking(move || service::approve(&a, &actor, id)).await?.one_time_password)
}

pub(super) async fn refuse(app: &Data, s: &SignedIn, id: u64, input: Refusal) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::refuse(&a, &actor, id, &input)).await.map(|_| ())
}

pub(super) async fn withdraw(app: &Data, s: &SignedIn, id: u64) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::withdraw(&a, &actor, id)).await.map(|_| ())
}

async fn api_list(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    Ok(json(&serde_json::json!({"requests": list(&app, &s, q.into_inner()).await?})))
}

async fn api_file(app: Data, s: SignedIn, body: JsonObject<NewRequest>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = file(&app, &s, body.into_inner()).await?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn api_view(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&view(&app, &s, id.into_inner()).await?))
}

async fn api_approve(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    let id = id.into_inner();
    let one_time_password = approve(&app, &s, id).await?;
    let request = view(&app, &s, id).await?;
    Ok(json(&serde_json::json!({"request": request, "one_time_password": one_time_password})))
}

async fn api_refuse(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: JsonObject<Refusal>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    refuse(&app, &s, id, body.into_inner()).await?;
    Ok(json(&view(&app, &s, id).await?))
}

async fn api_withdraw(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    let id = id.into_inner();
    withdraw(&app, &s, id).await?;
    Ok(json(&view(&app, &s, id).await?))
}
