//! Routes of the training API (`/api/v1/trainings/...`); the pages are in `pages.rs`. Both
//! call the same services.

use actix_web::{HttpResponse, web};

use super::service::{self, Attendance, Decline, NewSession, NewTraining};
use super::views::{self, ListQuery, TrainingView};
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{created, json};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    super::pages::routes(cfg);
    cfg.route("/api/v1/trainings", web::get().to(api_list))
        .route("/api/v1/trainings", web::post().to(api_request))
        .route("/api/v1/trainings/{id}", web::get().to(api_view))
        .route("/api/v1/trainings/{id}/sessions", web::post().to(api_schedule))
        .route("/api/v1/trainings/{id}/sessions/{no}/attendance", web::post().to(api_attendance))
        .route("/api/v1/trainings/{id}/decline", web::post().to(api_decline));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

pub(super) async fn list(app: &Data, s: &SignedIn, q: ListQuery) -> Result<Vec<TrainingView>> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || views::list(&a, &actor, &q, lang)).await
}

pub(super) async fn view(app: &Data, s: &SignedIn, id: u64) -> Result<TrainingView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || views::view(&a, &actor, id, lang)).await
}

pub(super) async fn request(app: &Data, s: &SignedIn, input: NewTraining) -> Result<u64> {
    let (a, actor) = (arc(app), s.actor.clone());
    Ok(blocking(move || service::request(&a, &actor, &input)).await?.id)
}

pub(super) async fn schedule(app: &Data, s: &SignedIn, id: u64, input: NewSession) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::schedule(&a, &actor, id, &input)).await.map(|_| ())
}

pub(super) async fn attendance(
    app: &Data,
    s: &SignedIn,
    id: u64,
    no: u32,
    input: Attendance,
) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::record_attendance(&a, &actor, id, no, &input)).await.map(|_| ())
}

pub(super) async fn decline(app: &Data, s: &SignedIn, id: u64, input: Decline) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::decline(&a, &actor, id, &input)).await.map(|_| ())
}

async fn api_list(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    Ok(json(&serde_json::json!({"trainings": list(&app, &s, q.into_inner()).await?})))
}

async fn api_request(
    app: Data,
    s: SignedIn,
    body: JsonObject<NewTraining>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = request(&app, &s, body.into_inner()).await?;
    Ok(created(&view(&app, &s, id).await?))
}

async fn api_view(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&view(&app, &s, id.into_inner()).await?))
}

async fn api_schedule(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: JsonObject<NewSession>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    schedule(&app, &s, id, body.into_inner()).await?;
    Ok(json(&view(&app, &s, id).await?))
}

async fn api_attendance(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u32)>,
    body: JsonObject<Attendance>,
) -> Result<HttpResponse> {
    let (id, no) = path.into_inner();
    attendance(&app, &s, id, no, body.into_inner()).await?;
    Ok(json(&view(&app, &s, id).await?))
}

async fn api_decline(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: JsonObject<Decline>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    decline(&app, &s, id, body.into_inner()).await?;
    Ok(json(&view(&app, &s, id).await?))
}
