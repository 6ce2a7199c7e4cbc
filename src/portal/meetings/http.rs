//! Routes of Government meetings: `/api/v1/meetings/...` JSON and the `/meetings` pages over
//! the same services. The responsible officer's signature arrives as the body (DER, PEM or
//! base64) or, on the meeting page, as an uploaded `.p7s`/`.cms` file.

use actix_web::{HttpResponse, web};

use super::attendance::{self, AnswerInput};
use super::service::{self, NewAgenda, NewMeeting};
use super::{minutes, view, votes};
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{created, json};

fn text(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(bytes)
}
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/meetings", web::get().to(super::pages::list_page))
        .route("/meetings", web::post().to(super::pages::create_form))
        .route("/meetings/{id}", web::get().to(super::pages::meeting_page))
        .route("/meetings/{id}/act/{action}", web::post().to(super::pages::act_form))
        .route("/meetings/{id}/minutes/print", web::get().to(super::pages::print_page))
        .route("/api/v1/meetings", web::get().to(api_list))
        .route("/api/v1/meetings", web::post().to(api_create))
        .route("/api/v1/meetings/{id}", web::get().to(api_meeting))
        .route("/api/v1/meetings/{id}/agenda", web::post().to(api_compose))
        .route("/api/v1/meetings/{id}/agenda/manifest", web::get().to(api_manifest))
        .route("/api/v1/meetings/{id}/agenda/signature", web::post().to(api_sign))
        .route("/api/v1/meetings/{id}/attendance", web::get().to(api_sheet))
        .route("/api/v1/meetings/{id}/attendance", web::post().to(api_answer))
        .route("/api/v1/meetings/{id}/attendance/text", web::get().to(api_answer_text))
        .route("/api/v1/meetings/{id}/attendance/remind", web::post().to(api_remind))
        .route("/api/v1/meetings/{id}/current", web::post().to(api_move))
        .route("/api/v1/meetings/{id}/polls", web::post().to(api_open_vote))
        .route("/api/v1/meetings/{id}/polls/{question}/ballot", web::get().to(api_ballot_text))
        .route("/api/v1/meetings/{id}/polls/{question}/ballot", web::post().to(api_vote))
        .route("/api/v1/meetings/{id}/polls/{question}/close", web::post().to(api_close_vote))
        .route("/api/v1/meetings/{id}/minutes/draft", web::get().to(api_minutes_draft))
        .route("/api/v1/meetings/{id}/minutes", web::post().to(api_minutes))
        .route("/api/v1/meetings/{id}/minutes/signature", web::post().to(api_sign_minutes));
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

async fn api_create(app: Data, s: SignedIn, body: JsonObject<NewMeeting>) -> Result<HttpResponse> {
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
    body: JsonObject<NewAgenda>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, input) = (arc(&app), s.actor.clone(), body.into_inner());
    blocking(move || service::compose(&a, &actor, id, input)).await?;
    Ok(json(&meeting_view(&app, &s, id).await?))
}

async fn api_manifest(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    Ok(text(blocking(move || service::manifest(&a, &actor, id)).await?))
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

async fn api_sheet(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    Ok(json(&blocking(move || attendance::sheet(&a, &actor, id, lang)).await?))
}

async fn api_answer_text(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<AnswerInput>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, input) = (arc(&app), s.actor.clone(), q.into_inner());
    Ok(text(blocking(move || attendance::text(&a, &actor, id, &input)).await?))
}

async fn api_answer(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<AnswerInput>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, input) = (arc(&app), s.actor.clone(), q.into_inner());
    blocking(move || attendance::answer(&a, &actor, id, &input, &body)).await?;
    Ok(json(&meeting_view(&app, &s, id).await?))
}

async fn api_remind(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    let n = blocking(move || attendance::remind(&a, &actor, id)).await?;
    Ok(json(&serde_json::json!({"reminded": n})))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Current {
    /// The question (1-based) now under discussion; none to clear.
    item: Option<usize>,
}

async fn api_move(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<Current>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, item) = (arc(&app), s.actor.clone(), body.into_inner().item);
    blocking(move || votes::move_to(&a, &actor, id, item)).await?;
    Ok(json(&meeting_view(&app, &s, id).await?))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct OpenVote {
    pub question: usize,
    pub resolution: String,
    /// How long the vote stays open unless closed before (default 60).
    pub minutes: Option<u64>,
}

async fn api_open_vote(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<OpenVote>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = path.into_inner();
    let (a, actor, v) = (arc(&app), s.actor.clone(), body.into_inner());
    blocking(move || {
        votes::open(&a, &actor, id, v.question, &v.resolution, v.minutes.unwrap_or(60))
    })
    .await?;
    Ok(created(&meeting_view(&app, &s, id).await?))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Choice {
    choice: String,
}

async fn api_ballot_text(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, usize)>,
    q: web::Query<Choice>,
) -> Result<HttpResponse> {
    let (id, question) = path.into_inner();
    let (a, actor, choice) = (arc(&app), s.actor.clone(), q.into_inner().choice);
    Ok(text(blocking(move || votes::ballot(&a, &actor, id, question, &choice)).await?))
}

async fn api_vote(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, usize)>,
    q: web::Query<Choice>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let (id, question) = path.into_inner();
    let (a, actor, choice) = (arc(&app), s.actor.clone(), q.into_inner().choice);
    blocking(move || votes::vote(&a, &actor, id, question, &choice, &body)).await?;
    Ok(json(&meeting_view(&app, &s, id).await?))
}

async fn api_close_vote(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, usize)>,
) -> Result<HttpResponse> {
    let (id, question) = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || votes::close(&a, &actor, id, question)).await?;
    Ok(json(&meeting_view(&app, &s, id).await?))
}

async fn api_minutes_draft(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let t = blocking(move || minutes::generate(&a, &actor, id, lang)).await?;
    Ok(text(t.into_bytes()))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MinutesText {
    text: String,
}

async fn api_minutes(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<MinutesText>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let id = path.into_inner();
    let (a, actor, t) = (arc(&app), s.actor.clone(), body.into_inner().text);
    blocking(move || minutes::post(&a, &actor, id, &t)).await?;
    Ok(created(&meeting_view(&app, &s, id).await?))
}

async fn api_sign_minutes(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || minutes::sign(&a, &actor, id, &body)).await?;
    Ok(json(&meeting_view(&app, &s, id).await?))
}
