//! The account requests' pages: the list with the HR officer's two forms (a newcomer's
//! account, a leaver's account disabled on a date), and a request with the administrator's
//! approve and refuse and the HR officer's withdraw. They call the same functions as the
//! API. A refused form is shown again with what was typed and the message by its field.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::http as api;
use super::model::Status;
use super::service::{NewRequest, Refusal};
use super::views::{ListQuery, RequestView};
use crate::app::App;
use crate::auth::policy::{AccountRequestAction, Action, Object, decide};
use crate::auth::roles::Role;
use crate::error::Result;
use crate::portal::directory::model::Department;
use crate::portal::directory::service as directory;
use crate::portal::support::Tabs;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form};

type Data = web::Data<App>;

/// The newcomer form's text fields: name, label, required.
const NEWCOMER_FIELDS: &[(&str, &str, bool)] = &[
    ("login", "account-requests-login", true),
    ("name_kk", "account-requests-name-kk", true),
    ("name_ru", "account-requests-name-ru", true),
    ("position_kk", "account-requests-position-kk", false),
    ("position_ru", "account-requests-position-ru", false),
    ("email", "account-requests-email", true),
];

/// The newcomer form's fields, for the messages by them (`Form::settle`).
const NEWCOMER: &[Field] = &[
    Field::new("login", "account-requests-login"),
    Field::new("name_kk", "account-requests-name-kk"),
    Field::new("name_ru", "account-requests-name-ru"),
    Field::new("position_kk", "account-requests-position-kk"),
    Field::new("position_ru", "account-requests-position-ru"),
    Field::new("email", "account-requests-email"),
    Field::new("department_id", "account-requests-department"),
    Field::new("roles", "account-requests-roles"),
    Field::new("note", "account-requests-note"),
];

/// The leaver form's fields.
const LEAVER: &[Field] = &[
    Field::new("login", "account-requests-login"),
    Field::new("disable_on", "account-requests-disable-on"),
    Field::new("note", "account-requests-note"),
];

/// The roles an HR officer may ask for a newcomer (those of an agency's staff).
const ROLES_ASKED: &[Role] =
    &[Role::Employee, Role::Head, Role::HrOfficer, Role::PlanResponsible, Role::Controller];

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/account-requests", web::get().to(list_page))
        .route("/account-requests", web::post().to(file_form))
        .route("/account-requests/{id}", web::get().to(request_page))
        .route("/account-requests/{id}/approve", web::post().to(approve_form))
        .route("/account-requests/{id}/refuse", web::post().to(refuse_form))
        .route("/account-requests/{id}/withdraw", web::post().to(withdraw_form));
}

#[derive(Template)]
#[template(path = "account_requests/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    query: ListQuery,
    statuses: &'static [Status],
    rows: Vec<RequestView>,
    may_request: bool,
    departments: Vec<Department>,
    roles: &'static [Role],
    fields: &'static [(&'static str, &'static str, bool)],
    /// The two forms: as first shown, or one of them refused with what was typed.
    newcomer: Form,
    leaver: Form,
}

impl ListPage<'_> {
    fn department_chosen(&self, id: &u64) -> bool {
        self.newcomer.has("department_id", &id.to_string())
    }
}

async fn render_list(
    app: &Data,
    s: &SignedIn,
    query: ListQuery,
    refused: Option<Form>,
) -> Result<HttpResponse> {
    let rows = api::list(app, s, query.clone()).await?;
    let agency = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let may_request = decide(
        &s.actor,
        Action::AccountRequest(AccountRequestAction::Request),
        Object::Agency(agency),
    );
    let departments = if may_request {
        let (a, actor) = (app.clone().into_inner(), s.actor.clone());
        blocking(move || directory::departments(&a, &actor, Some(agency))).await?
    } else {
        Vec::new()
    };
    // A newcomer is asked an employee's account unless the form says otherwise.
    let mut newcomer = Form::new("newcomer").add("roles", Role::Employee.name());
    let mut leaver = Form::new("leaver");
    match refused {
        Some(f) if f.id == "leaver" => leaver = f,
        Some(f) => newcomer = f,
        None => {}
    }
    let page = ListPage {
        page: PageCtx::new(app, &s.state, "account-requests-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "accounts"),
        query,
        statuses: Status::ALL,
        rows,
        may_request,
        departments,
        roles: ROLES_ASKED,
        fields: NEWCOMER_FIELDS,
        newcomer,
        leaver,
    };
    let status = if page.newcomer.is_refused() { &page.newcomer } else { &page.leaver };
    forms::page(&page, status)
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    render_list(&app, &s, q.into_inner(), None).await
}

async fn file_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let typed: NewRequest = form(&body)?;
    let (id, fields) =
        if typed.kind == "leaver" { ("leaver", LEAVER) } else { ("newcomer", NEWCOMER) };
    let outcome = api::file(&app, &s, typed).await;
    Form::posted(id, &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            fields,
            |id| see_other(&format!("/account-requests/{id}")),
            |f| render_list(&app, &s, ListQuery::default(), Some(f)),
        )
        .await
}

#[derive(Template)]
#[template(path = "account_requests/request.html")]
struct RequestPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    r: RequestView,
    /// Shown once, right after the approval.
    one_time_password: Option<String>,
    /// The refusal's form (refused: with the reason typed).
    f: Form,
}

/// The refusal form's field, under its label.
const REFUSAL_FIELDS: &[Field] = &[Field::new("reason", "account-requests-reason")];

async fn show(app: &Data, s: &SignedIn, id: u64, otp: Option<String>) -> Result<HttpResponse> {
    show_with(app, s, id, otp, Form::new("refuse")).await
}

async fn show_with(
    app: &Data,
    s: &SignedIn,
    id: u64,
    otp: Option<String>,
    f: Form,
) -> Result<HttpResponse> {
    let r = api::view(app, s, id).await?;
    let page = RequestPage {
        page: PageCtx::new(app, &s.state, "account-requests-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "accounts"),
        r,
        one_time_password: otp,
        f,
    };
    forms::page(&page, &page.f)
}

async fn request_page(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    show(&app, &s, id.into_inner(), None).await
}

/// The one-time password is on this answer only: the page is not stored by the browser.
async fn approve_form(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    let id = id.into_inner();
    let otp = api::approve(&app, &s, id).await?;
    let mut page = show(&app, &s, id, otp).await?;
    page.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(page)
}

async fn refuse_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    let outcome = api::refuse(&app, &s, id, form::<Refusal>(&body)?).await;
    Form::posted("refuse", &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            REFUSAL_FIELDS,
            |_| see_other(&format!("/account-requests/{id}")),
            |f| show_with(&app, &s, id, None, f),
        )
        .await
}

async fn withdraw_form(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    api::withdraw(&app, &s, id).await?;
    Ok(see_other(&format!("/account-requests/{id}")))
}
