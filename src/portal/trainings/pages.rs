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
use crate::portal::support::Tabs;
use crate::web::form;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, see_other};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
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
    f: Form,
}

/// The request form's fields, for the messages by them (`Form::settle`).
const REQUEST_FIELDS: &[Field] = &[
    Field::new("topic", "trainings-topic"),
    Field::new("trainees", "trainings-trainees-field"),
    Field::new("preferred", "trainings-preferred"),
    Field::new("note", "trainings-note"),
];

/// The session form's fields.
const SESSION_FIELDS: &[Field] = &[
    Field::new("starts", "trainings-starts"),
    Field::new("minutes", "trainings-minutes"),
    Field::new("place", "trainings-place"),
    Field::new("link", "trainings-link"),
    Field::new("capacity", "trainings-capacity"),
    Field::new("invite", "trainings-invite"),
];

async fn render_list(app: &Data, s: &SignedIn, query: ListQuery, f: Form) -> Result<HttpResponse> {
    let rows = api::list(app, s, query.clone()).await?;
    let agency = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let may_request =
        decide(&s.actor, Action::Training(TrainingAction::Request), Object::Agency(agency));
    let page = ListPage {
        page: PageCtx::new(app, &s.state, "trainings-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "trainings"),
        query,
        statuses: Status::ALL,
        rows,
        may_request,
        f,
    };
    forms::page(&page, &page.f)
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    render_list(&app, &s, q.into_inner(), Form::new("request")).await
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
    let outcome = api::request(&app, &s, input).await;
    Form::posted("request", &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            REQUEST_FIELDS,
            |id| see_other(&format!("/trainings/{id}")),
            |f| render_list(&app, &s, ListQuery::default(), f),
        )
        .await
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
    f: Form,
}

impl TrainingPage<'_> {
    /// Whether a trainee's box is ticked in the session form: as typed after a refusal,
    /// else every trainee not invited yet.
    fn to_invite(&self, login: &str) -> bool {
        !(self.f.id == "session" && self.f.is_refused()) || self.f.has("invite", login)
    }

    /// The form `id` as shown: the refused one with what was typed, or a fresh one.
    fn form(&self, id: &'static str) -> Form {
        match id {
            _ if self.f.id == id => self.f.clone(),
            "session" => Form::new("session").set("capacity", "20").set("minutes", "90"),
            _ => Form::new(id),
        }
    }
}

/// The refusal's field, under its label.
const DECLINE_FIELDS: &[Field] = &[Field::new("reason", "trainings-reason")];

async fn show(app: &Data, s: &SignedIn, id: u64, f: Form) -> Result<HttpResponse> {
    let t = api::view(app, s, id).await?;
    let page = TrainingPage {
        page: PageCtx::new(app, &s.state, "trainings-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "trainings"),
        t,
        f,
    };
    forms::page(&page, &page.f)
}

async fn training_page(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    show(&app, &s, id.into_inner(), Form::new("")).await
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
    let outcome = api::schedule(&app, &s, id, input).await;
    Form::posted("session", &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            SESSION_FIELDS,
            |()| see_other(&format!("/trainings/{id}")),
            |f| show(&app, &s, id, f),
        )
        .await
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
    let outcome = api::decline(&app, &s, id, form::<Decline>(&body)?).await;
    Form::posted("decline", &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            DECLINE_FIELDS,
            |_| see_other(&format!("/trainings/{id}")),
            |f| show(&app, &s, id, f),
        )
        .await
}
