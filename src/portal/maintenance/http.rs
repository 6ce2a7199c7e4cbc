//! Routes of planned maintenance: the administrator's page and the JSON API.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{NewWindow, Window};
use super::service;
use crate::app::App;
use crate::error::Result;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, created, done, json};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;
use crate::web::{blocking, form};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
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
    /// The scheduling form (or the reason a cancellation was refused, id `cancel`).
    f: Form,
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
    let res = page_with(&app, &s, Form::new("window").set("effect", "stops")).await;
    // Opening the page schedules nothing (the list needs the right to schedule): the log
    // says it was viewed (issue 21 point 5). A refused form re-shown keeps its own name.
    s.actor.origin.set_operation("maintenance.view");
    res
}

async fn page_with(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let windows = blocking(move || service::list(&app2, &actor)).await?;
    let page = AdminPage {
        page: PageCtx::new(app, &s.state, "maintenance-title", "maintenance"),
        windows,
        f,
    };
    forms::page(&page, &page.f)
}

const FIELDS: &[Field] = &[
    Field::new("starts", "maintenance-starts"),
    Field::new("ends", "maintenance-ends"),
    Field::new("effect", "maintenance-effect"),
    Field::new("note_kk", "maintenance-note-kk"),
    Field::new("note_ru", "maintenance-note-ru"),
    Field::new("note_en", "maintenance-note-en"),
];

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
    match schedule(&app, &s, form(&body)?).await {
        Ok(_) => Ok(done("/admin/maintenance", "done-maintenance-scheduled")),
        Err(e) => {
            let f = Form::posted("window", &body).refuse(&app.i18n, s.state.lang, e, FIELDS)?;
            page_with(&app, &s, f).await
        }
    }
}

async fn cancel_submit(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    match cancel(&app, &s, id.into_inner()).await {
        Ok(_) => Ok(done("/admin/maintenance", "done-maintenance-cancelled")),
        Err(e) => {
            let f = Form::new("cancel").refuse(&app.i18n, s.state.lang, e, FIELDS)?;
            page_with(&app, &s, f).await
        }
    }
}

/// What every signed-in participant is told now.
async fn api_announced(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("maintenance.read");
    let app = app.into_inner();
    Ok(json(&blocking(move || service::announced(&app)).await?))
}

async fn api_schedule(app: Data, s: SignedIn, body: JsonObject<NewWindow>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&schedule(&app, &s, body.into_inner()).await?))
}

async fn api_cancel(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&cancel(&app, &s, id.into_inner()).await?))
}
