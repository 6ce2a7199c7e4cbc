//! Routes of Government meetings: `/api/v1/meetings/...` JSON and the `/meetings` pages over
//! the same services. The responsible officer's signature arrives as the body (DER, PEM or
//! base64) or, on the meeting page, as an uploaded `.p7s`/`.cms` file.

use actix_web::{HttpResponse, web};

use super::service::{self, NewAgenda, NewMeeting};
use super::view;
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{created, json, see_other};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/meetings", web::get().to(super::pages::list_page))
        .route("/meetings", web::post().to(super::pages::create_form))
        .route("/meetings/{id}", web::get().to(super::pages::meeting_page))
        .route("/meetings/{id}/act/{action}", web::post().to(super::pages::act_form))
        .route("/api/v1/meetings", web::get().to(api_list))
        .route("/api/v1/meetings", web::post().to(api_create))
        .route("/api/v1/meetings/{id}", web::get().to(api_meeting))
        .route("/api/v1/meetings/{id}/agenda", web::post().to(api_compose))
        .route("/api/v1/meetings/{id}/agenda/manifest", web::get().to(api_manifest))
        .route("/api/v1/meetings/{id}/agenda/signature", web::post().to(api_sign));
}

pub(super) fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

pub(super) async fn meeting_view(app: &Data, s: &SignedIn, id: u64) -> Result<view::MeetingView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || view::view(&a, &actor, id, lang)).await
}

async fn api_list(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let meetings = blocking(move || view::list(&a, &actor)).await?;
    Ok(json(&serde_json::json!({"meetings": meetings})))
}

async fn api_create(app: Data, s: SignedIn, body: web::Json<NewMeeting>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let (a, actor, input) = (arc(&app), s.actor.clone(), body.into_inner());
    let id = blocking(move || service::create(&a, &actor, input)).await?;
    Ok(created(&meeting_view(&app, &s, id).await?))
}

async fn api_meeting(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&meeting_view(&app, &s, path.into_inner()).await?))
}

async fn api_compose(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Json<NewAgenda>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, input) = (arc(&app), s.actor.clone(), body.into_inner());
    blocking(move || service::compose(&a, &actor, id, input)).await?;
    Ok(json(&meeting_view(&app, &s, id).await?))
}

async fn api_manifest(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    let bytes = blocking(move || service::manifest(&a, &actor, id)).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(bytes))
}

async fn api_sign(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || service::sign(&a, &actor, id, &body)).await?;
    Ok(json(&meeting_view(&app, &s, id).await?))
}

pub(super) fn back(id: u64) -> HttpResponse {
    see_other(&format!("/meetings/{id}"))
}
