//! The training pages: the list with the officer's request form, and a request with its
//! trainees' standing, its sessions, and the support administrator's forms to schedule a
//! session, record attendance and decline. They call the same functions as the API. A
//! refused request or session form is shown again with what was typed and the message by
//! its field.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::http as api;
use super::model::Status;
use super::service::{Attendance, Decline, NewSession, NewTraining};
use super::views::{ListQuery, TrainingView};
use crate::app::App;
use crate::auth::policy::{Action, Object, TrainingAction, decide};
use crate::error::Result;
use crate::portal::support::{FieldError, Tabs};
use crate::web::form;
use crate::web::render::{PageCtx, html, see_other};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/trainings", web::get().to(list_page))
        .route("/trainings", web::post().to(request_form))
        .route("/trainings/{id}", web::get().to(training_page))
        .route("/trainings/{id}/sessions", web::post().to(schedule_form))
        .route("/trainings/{id}/sessions/{no}/attendance", web::post().to(attendance_form))
        .route("/trainings/{id}/decline", web::post().to(decline_form));
}

/// The request form's fields as typed (logins in one text area).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct RequestForm {
    topic: String,
    trainees: String,
    preferred: String,
    note: String,
}

#[derive(Template)]
#[template(path = "trainings/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    query: ListQuery,
    statuses: &'static [Status],
    rows: Vec<TrainingView>,
    may_request: bool,
    typed: RequestForm,
    error: Option<FieldError>,
}

impl ListPage<'_> {
    fn error_at(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.is(field)).map(|e| e.message.as_str())
    }
}

async fn render_list(
    app: &Data,
    s: &SignedIn,
    query: ListQuery,
    typed: RequestForm,
    error: Option<FieldError>,
) -> Result<HttpResponse> {
    let rows = api::list(app, s, query.clone()).await?;
    let agency = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let may_request =
        decide(&s.actor, Action::Training(TrainingAction::Request), Object::Agency(agency));
    html(&ListPage {
        page: PageCtx::new(app, &s.state, "trainings-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "trainings"),
        query,
        statuses: Status::ALL,
        rows,
        may_request,
        typed,
        error,
    })
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    render_list(&app, &s, q.into_inner(), RequestForm::default(), None).await
}

async fn request_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let typed: RequestForm = form(&body)?;
    let input = NewTraining {
        topic: typed.topic.clone(),
        trainees: vec![typed.trainees.clone()],
        preferred: typed.preferred.clone(),
        note: typed.note.clone(),
    };
    match api::request(&app, &s, input).await {
        Ok(id) => Ok(see_other(&format!("/trainings/{id}"))),
        Err(e) => {
            let (status, error) = FieldError::from_refusal(&app, s.state.lang, e)?;
            let mut page = render_list(&app, &s, ListQuery::default(), typed, Some(error)).await?;
            *page.status_mut() = status;
            Ok(page)
        }
    }
}

/// The session form's fields as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct SessionForm {
    starts: String,
    minutes: String,
    place: String,
    link: String,
    capacity: String,
    invite: Vec<String>,
}

#[derive(Template)]
#[template(path = "trainings/training.html")]
struct TrainingPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    t: TrainingView,
    typed: SessionForm,
    error: Option<FieldError>,
}

impl TrainingPage<'_> {
    fn error_at(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.is(field)).map(|e| e.message.as_str())
    }

    /// Whether a trainee's box is ticked in the session form: as typed after a refusal,
    /// else every trainee not invited yet.
    fn to_invite(&self, login: &str) -> bool {
        self.error.is_none() || self.typed.invite.iter().any(|l| l == login)
    }
}

async fn show(
    app: &Data,
    s: &SignedIn,
    id: u64,
    typed: SessionForm,
    error: Option<FieldError>,
) -> Result<HttpResponse> {
    let t = api::view(app, s, id).await?;
    html(&TrainingPage {
        page: PageCtx::new(app, &s.state, "trainings-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "trainings"),
        t,
        typed: SessionForm { capacity: "20".into(), minutes: "90".into(), ..typed },
        error,
    })
}

async fn training_page(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    show(&app, &s, id.into_inner(), SessionForm::default(), None).await
}

async fn schedule_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    let typed: SessionForm = form(&body)?;
    let input = NewSession {
        starts: typed.starts.clone(),
        minutes: typed.minutes.trim().parse().ok(),
        place: typed.place.clone(),
        link: typed.link.clone(),
        capacity: typed.capacity.trim().parse().unwrap_or(0),
        invite: typed.invite.clone(),
    };
    match api::schedule(&app, &s, id, input).await {
        Ok(()) => Ok(see_other(&format!("/trainings/{id}"))),
        Err(e) => {
            let (status, error) = FieldError::from_refusal(&app, s.state.lang, e)?;
            let mut page = show(&app, &s, id, typed, Some(error)).await?;
            *page.status_mut() = status;
            Ok(page)
        }
    }
}

async fn attendance_form(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u32)>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let (id, no) = path.into_inner();
    api::attendance(&app, &s, id, no, form::<Attendance>(&body)?).await?;
    Ok(see_other(&format!("/trainings/{id}")))
}

async fn decline_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    api::decline(&app, &s, id, form::<Decline>(&body)?).await?;
    Ok(see_other(&format!("/trainings/{id}")))
}
