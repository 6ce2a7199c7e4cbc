//! Routes of the proposals' API (`/api/v1/proposals/...`); the pages are in `pages.rs`.
//! Both call the same services.

use actix_web::{HttpResponse, web};

use super::service::{self, ListQuery, NewProposal, ProposalView, Review};
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{created, json};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    super::pages::routes(cfg);
    cfg.route("/api/v1/proposals", web::get().to(api_list))
        .route("/api/v1/proposals", web::post().to(api_propose))
        .route("/api/v1/proposals/{id}", web::get().to(api_view))
        .route("/api/v1/proposals/{id}/support", web::post().to(api_support))
        .route("/api/v1/proposals/{id}/review", web::post().to(api_review));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

pub(super) async fn list(app: &Data, s: &SignedIn, q: ListQuery) -> Result<Vec<ProposalView>> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || service::list(&a, &actor, &q, lang)).await
}

pub(super) async fn view(app: &Data, s: &SignedIn, id: u64) -> Result<ProposalView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || service::view(&a, &actor, id, lang)).await
}

pub(super) async fn propose(app: &Data, s: &SignedIn, input: NewProposal) -> Result<u64> {
    let (a, actor) = (arc(app), s.actor.clone());
    Ok(blocking(move || service::propose(&a, &actor, &input)).await?.id)
}

pub(super) async fn support(app: &Data, s: &SignedIn, id: u64) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::support(&a, &actor, id)).await.map(|_| ())
}

pub(super) async fn review(app: &Data, s: &SignedIn, id: u64, input: Review) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::review(&a, &actor, id, &input)).await.map(|_| ())
}

async fn api_list(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    Ok(json(&serde_json::json!({"proposals": list(&app, &s, q.into_inner()).await?})))
}

async fn api_propose(
    app: Data,
    s: SignedIn,
    body: JsonObject<NewProposal>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = propose(&app, &s, body.into_inner()).await?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn api_view(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&view(&app, &s, id.into_inner()).await?))
}

async fn api_support(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    let id = id.into_inner();
    support(&app, &s, id).await?;
    Ok(json(&view(&app, &s, id).await?))
}

async fn api_review(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: JsonObject<Review>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    review(&app, &s, id, body.into_inner()).await?;
    Ok(json(&view(&app, &s, id).await?))
}
