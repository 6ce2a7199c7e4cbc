//! Routes of the helpdesk's API (`/api/v1/helpdesk/...`); the pages are in `pages.rs`.
//! Both call the same services.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::admin::{self, NewRule, TeamInput};
use super::dashboard::{self, DashboardQuery};
use super::service::{self, Assignment, NewMessage, NewTicket, Replied};
use super::views::{self, ListFilter, TicketView};
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{XLSX, created, download, json};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    super::pages::routes(cfg);
    cfg.route("/api/v1/helpdesk/tickets", web::get().to(api_list))
        .route("/api/v1/helpdesk/tickets", web::post().to(api_file))
        .route("/api/v1/helpdesk/tickets/{id}", web::get().to(api_view))
        .route("/api/v1/helpdesk/tickets/{id}/status", web::post().to(api_status))
        .route("/api/v1/helpdesk/tickets/{id}/messages", web::post().to(api_reply))
        .route("/api/v1/helpdesk/tickets/{id}/assignment", web::post().to(api_assign))
        .route("/api/v1/helpdesk/routing", web::get().to(api_routing))
        .route("/api/v1/helpdesk/rules", web::post().to(api_add_rule))
        .route("/api/v1/helpdesk/rules/{id}", web::delete().to(api_remove_rule))
        .route("/api/v1/helpdesk/teams", web::post().to(api_add_team))
        .route("/api/v1/helpdesk/teams/{id}", web::put().to(api_save_team))
        .route("/api/v1/helpdesk/dashboard", web::get().to(api_dashboard))
        .route("/api/v1/helpdesk/dashboard.xlsx", web::get().to(api_dashboard_xlsx));
}

pub(super) fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

pub(super) async fn view(app: &Data, s: &SignedIn, id: u64) -> Result<TicketView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || views::view(&a, &actor, id, lang)).await
}

async fn api_list(app: Data, s: SignedIn, q: web::Query<ListFilter>) -> Result<HttpResponse> {
    let (a, actor, lang, q) = (arc(&app), s.actor.clone(), s.state.lang, q.into_inner());
    let rows = blocking(move || views::list(&a, &actor, &q, lang)).await?;
    Ok(json(&serde_json::json!({"tickets": rows})))
}

pub(super) async fn file(app: &Data, s: &SignedIn, input: NewTicket) -> Result<TicketView> {
    let (a, actor) = (arc(app), s.actor.clone());
    let t = blocking(move || service::file(&a, &actor, &input, None, Vec::new())).await?;
    view(app, s, t.id).await
}

async fn api_file(app: Data, s: SignedIn, body: JsonObject<NewTicket>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&file(&app, &s, body.into_inner()).await?))
}

async fn api_view(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&view(&app, &s, id.into_inner()).await?))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct StatusInput {
    pub status: String,
    pub note: String,
}

pub(super) async fn status(
    app: &Data,
    s: &SignedIn,
    id: u64,
    i: StatusInput,
) -> Result<TicketView> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::change_status(&a, &actor, id, &i.status, &i.note)).await?;
    view(app, s, id).await
}

async fn api_status(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: JsonObject<StatusInput>,
) -> Result<HttpResponse> {
    Ok(json(&status(&app, &s, id.into_inner(), body.into_inner()).await?))
}

pub(super) async fn reply(
    app: &Data,
    s: &SignedIn,
    id: u64,
    m: NewMessage,
) -> Result<(bool, TicketView)> {
    let (a, actor) = (arc(app), s.actor.clone());
    let replied = blocking(move || service::reply(&a, &actor, id, &m, None, Vec::new())).await?;
    match replied {
        Replied::Added(t) => Ok((false, view(app, s, t.id).await?)),
        Replied::Continued(t) => Ok((true, view(app, s, t.id).await?)),
    }
}

async fn api_reply(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: JsonObject<NewMessage>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    let (continued, t) = reply(&app, &s, id.into_inner(), body.into_inner()).await?;
    Ok(created(&serde_json::json!({"continued": continued, "ticket": t})))
}

pub(super) async fn assign(app: &Data, s: &SignedIn, id: u64, i: Assignment) -> Result<TicketView> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::assign(&a, &actor, id, &i)).await?;
    view(app, s, id).await
}

async fn api_assign(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: JsonObject<Assignment>,
) -> Result<HttpResponse> {
    Ok(json(&assign(&app, &s, id.into_inner(), body.into_inner()).await?))
}

pub(super) async fn routing(app: &Data, s: &SignedIn) -> Result<admin::Routing> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || admin::routing(&a, &actor, lang)).await
}

async fn api_routing(app: Data, s: SignedIn) -> Result<HttpResponse> {
    Ok(json(&routing(&app, &s).await?))
}

pub(super) async fn add_rule(app: &Data, s: &SignedIn, r: NewRule) -> Result<super::routing::Rule> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || admin::add_rule(&a, &actor, &r)).await
}

async fn api_add_rule(app: Data, s: SignedIn, body: JsonObject<NewRule>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&add_rule(&app, &s, body.into_inner()).await?))
}

pub(super) async fn remove_rule(app: &Data, s: &SignedIn, id: u64) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || admin::remove_rule(&a, &actor, id)).await
}

async fn api_remove_rule(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(204);
    remove_rule(&app, &s, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(super) async fn save_team(
    app: &Data,
    s: &SignedIn,
    id: Option<u64>,
    t: TeamInput,
) -> Result<super::routing::Team> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || admin::save_team(&a, &actor, id, &t)).await
}

async fn api_add_team(app: Data, s: SignedIn, body: JsonObject<TeamInput>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&save_team(&app, &s, None, body.into_inner()).await?))
}

async fn api_save_team(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: JsonObject<TeamInput>,
) -> Result<HttpResponse> {
    Ok(json(&save_team(&app, &s, Some(id.into_inner()), body.into_inner()).await?))
}

pub(super) async fn dashboard(
    app: &Data,
    s: &SignedIn,
    q: DashboardQuery,
) -> Result<dashboard::Dashboard> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || dashboard::dashboard(&a, &actor, &q)).await
}

async fn api_dashboard(
    app: Data,
    s: SignedIn,
    q: web::Query<DashboardQuery>,
) -> Result<HttpResponse> {
    Ok(json(&dashboard(&app, &s, q.into_inner()).await?))
}

async fn api_dashboard_xlsx(
    app: Data,
    s: SignedIn,
    q: web::Query<DashboardQuery>,
) -> Result<HttpResponse> {
    let d = dashboard(&app, &s, q.into_inner()).await?;
    s.actor.origin.set_operation("helpdesk.export");
    let table = dashboard::periods_table(&app.i18n, s.state.lang, &d);
    let bytes = blocking(move || crate::report::xlsx::write(&table)).await?;
    let name = format!("helpdesk-{}-{}.xlsx", d.from, d.to);
    Ok(download(bytes, XLSX, &name))
}
