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
use crate::portal::support::{FieldError, Tabs};
use crate::web::render::{PageCtx, html, see_other};
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

/// The roles an HR officer may ask for a newcomer (those of an agency's staff).
const ROLES_ASKED: &[Role] =
    &[Role::Employee, Role::Head, Role::HrOfficer, Role::PlanResponsible, Role::Controller];

pub fn routes(cfg: &mut web::ServiceConfig) {
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
    /// What was typed, with the kind of the form it was typed in.
    typed: NewRequest,
    error: Option<FieldError>,
}

impl ListPage<'_> {
    fn asked(&self, role: &Role) -> bool {
        let name = role.name();
        if self.typed.roles.is_empty() {
            *role == Role::Employee
        } else {
            self.typed.roles.iter().any(|r| r == name)
        }
    }

    fn typed_in(&self, kind: &str) -> bool {
        let typed = if self.typed.kind.is_empty() { "newcomer" } else { self.typed.kind.as_str() };
        self.error.is_some() && typed == kind
    }

    /// The message for a field of the form of `kind`, when that is what was refused.
    fn error_at(&self, kind: &str, fields: &[&str]) -> Option<&str> {
        let e = self.error.as_ref().filter(|_| self.typed_in(kind))?;
        fields.iter().any(|f| e.is(f)).then_some(e.message.as_str())
    }

    /// What was typed in a field of the form of `kind`.
    fn value(&self, kind: &str, field: &str) -> &str {
        if !self.typed_in(kind) {
            return "";
        }
        let t = &self.typed;
        match field {
            "login" => &t.login,
            "name_kk" => &t.name_kk,
            "name_ru" => &t.name_ru,
            "position_kk" => &t.position_kk,
            "position_ru" => &t.position_ru,
            "email" => &t.email,
            "disable_on" => &t.disable_on,
            "note" => &t.note,
            _ => "",
        }
    }

    fn department_chosen(&self, id: &u64) -> bool {
        self.typed.department_id.as_deref() == Some(id.to_string().as_str())
    }
}

async fn render_list(
    app: &Data,
    s: &SignedIn,
    query: ListQuery,
    typed: NewRequest,
    error: Option<FieldError>,
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
    html(&ListPage {
        page: PageCtx::new(app, &s.state, "account-requests-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "accounts"),
        query,
        statuses: Status::ALL,
        rows,
        may_request,
        departments,
        roles: ROLES_ASKED,
        fields: NEWCOMER_FIELDS,
        typed,
        error,
    })
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    render_list(&app, &s, q.into_inner(), NewRequest::default(), None).await
}

async fn file_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let typed: NewRequest = form(&body)?;
    match api::file(&app, &s, typed.clone()).await {
        Ok(id) => Ok(see_other(&format!("/account-requests/{id}"))),
        Err(e) => {
            let (status, error) = FieldError::from_refusal(&app, s.state.lang, e)?;
            let mut page = render_list(&app, &s, ListQuery::default(), typed, Some(error)).await?;
            *page.status_mut() = status;
            Ok(page)
        }
    }
}

#[derive(Template)]
#[template(path = "account_requests/request.html")]
struct RequestPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    r: RequestView,
    /// Shown once, right after the approval.
    one_time_password: Option<String>,
}

async fn show(app: &Data, s: &SignedIn, id: u64, otp: Option<String>) -> Result<HttpResponse> {
    let r = api::view(app, s, id).await?;
    html(&RequestPage {
        page: PageCtx::new(app, &s.state, "account-requests-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "accounts"),
        r,
        one_time_password: otp,
    })
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
    api::refuse(&app, &s, id, form::<Refusal>(&body)?).await?;
    Ok(see_other(&format!("/account-requests/{id}")))
}

async fn withdraw_form(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    api::withdraw(&app, &s, id).await?;
    Ok(see_other(&format!("/account-requests/{id}")))
}
