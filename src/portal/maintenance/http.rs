//! Routes of planned maintenance: the administrator's page and the JSON API.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{NewWindow, Window};
use super::service;
use crate::app::App;
use crate::error::Result;
use crate::web::render::{PageCtx, created, html, json, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form};

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/maintenance", web::get().to(page))
        .route("/admin/maintenance", web::post().to(submit))
        .route("/admin/maintenance/{id}/cancel", web::post().to(cancel_submit))
        .route("/api/v1/maintenance", web::get().to(api_announced))
        .route("/api/v1/maintenance", web::post().to(api_schedule))
        .route("/api/v1/maintenance/{id}/cancel", web::post().to(api_cancel));
}

#[derive(Template)]
#[template(path = "maintenance/admin.html")]
struct AdminPage<'a> {
    page: PageCtx<'a>,
    windows: Vec<Window>,
}

impl AdminPage<'_> {
    fn local(&self, utc: &str) -> String {
        self.page.local_time(utc)
    }

    fn shown(&self, w: &Window) -> bool {
        w.shown_at(crate::clock::now())
    }
}

async fn page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let windows = blocking(move || service::list(&app2, &actor)).await?;
    html(&AdminPage {
        page: PageCtx::new(&app, &s.state, "maintenance-title", "maintenance"),
        windows,
    })
}

async fn schedule(app: &Data, s: &SignedIn, input: NewWindow) -> Result<Window> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::schedule(&app, &actor, input)).await
}

async fn cancel(app: &Data, s: &SignedIn, id: u64) -> Result<Window> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::cancel(&app, &actor, id)).await
}

async fn submit(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    schedule(&app, &s, form(&body)?).await?;
    Ok(see_other("/admin/maintenance"))
}

async fn cancel_submit(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    cancel(&app, &s, id.into_inner()).await?;
    Ok(see_other("/admin/maintenance"))
}

/// What every signed-in participant is told now.
async fn api_announced(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("maintenance.read");
    let app = app.into_inner();
    Ok(json(&blocking(move || service::announced(&app)).await?))
}

async fn api_schedule(app: Data, s: SignedIn, body: web::Json<NewWindow>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&schedule(&app, &s, body.into_inner()).await?))
}

async fn api_cancel(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&cancel(&app, &s, id.into_inner()).await?))
}
