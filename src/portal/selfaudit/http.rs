//! The auditor's page of the self-check (R365 §9) with its history, the button that runs it
//! now, and the JSON API over the same service.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::Run;
use super::service;
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{PageCtx, created, done, html, json};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

/// Runs shown on the page and answered by the API.
const SHOWN: usize = 30;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/audit/self-check", web::get().to(page))
        .route("/audit/self-check", web::post().to(run_submit))
        .route("/api/v1/audit/self-check", web::get().to(api_history))
        .route("/api/v1/audit/self-check", web::post().to(api_run));
}

#[derive(Template)]
#[template(path = "selfaudit/page.html")]
struct Page<'a> {
    page: PageCtx<'a>,
    runs: Vec<Run>,
}

impl Page<'_> {
    fn local(&self, utc: &str) -> String {
        self.page.local_time(utc)
    }

    fn check_name(&self, code: &str) -> String {
        self.page.t(&format!("selfaudit-check-{}", code.replace('_', "-")))
    }
}

async fn history(app: &Data, s: &SignedIn) -> Result<Vec<Run>> {
    s.actor.origin.set_operation("audit.self_check_read");
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::history(&app, &actor, SHOWN)).await
}

async fn run(app: &Data, s: &SignedIn) -> Result<Run> {
    s.actor.origin.set_operation("audit.self_check_run");
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::run_requested(&app, &actor)).await
}

async fn page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let runs = history(&app, &s).await?;
    html(&Page { page: PageCtx::new(&app, &s.state, "selfaudit-title", "audit"), runs })
}

async fn run_submit(app: Data, s: SignedIn) -> Result<HttpResponse> {
    run(&app, &s).await?;
    Ok(done("/audit/self-check", "done-selfaudit-run"))
}

async fn api_history(app: Data, s: SignedIn) -> Result<HttpResponse> {
    Ok(json(&serde_json::json!({ "runs": history(&app, &s).await? })))
}

async fn api_run(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&run(&app, &s).await?))
}
