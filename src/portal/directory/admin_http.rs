//! Routes of administering the directory: agencies, their departments and accounts (create,
//! edit, roles, disable, reset the password).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::model::{NewUser, ProfileEdit};
use super::pages::*;
use super::service::{self, AgencyPlace, NewAgency};
use crate::app::App;
use crate::auth::policy::{Action, Object, decide};
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, created, done, html, json};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;
use crate::web::{blocking, form};

type Data = web::Data<App>;

// ---------------------------------------------------------------------------------------
// Agencies and departments

pub(super) async fn agencies_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    agencies_form(&app, &s, Form::new("")).await
}

/// The agencies with their departments; `f` is a refused form (`agency`, or `department`
/// with the agency's id in `agency`).
async fn agencies_form(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let (agencies, departments) = blocking(move || {
        Ok((service::agencies(&app2, &actor)?, service::departments(&app2, &actor, None)?))
    })
    .await?;
    let can_add_agency = decide(&s.actor, Action::AgencyManage, Object::Appliance);
    let page = AgenciesPage {
        page: PageCtx::new(app, &s.state, "agencies-title", "admin"),
        agencies,
        departments,
        can_add_agency,
        f,
    };
    forms::page(&page, &page.f)
}

const AGENCY_FIELDS: &[Field] = &[
    Field::new("code", "field-code"),
    Field::new("name_kk", "field-name-kk"),
    Field::new("name_ru", "field-name-ru"),
    Field::new("name_en", "field-name-en"),
    Field::new("region", "field-region"),
    Field::new("kind", "field-agency-kind"),
];

const PLACE_FIELDS: &[Field] =
    &[Field::new("region", "field-region"), Field::new("kind", "field-agency-kind")];

const DEPARTMENT_FIELDS: &[Field] = &[
    Field::new("name_kk", "field-department-name-kk"),
    Field::new("name_ru", "field-department-name-ru"),
];

pub(super) async fn create_agency(
    app: &Data,
    s: &SignedIn,
    input: NewAgency,
) -> Result<super::model::Agency> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::create_agency(&app, &actor, input)).await
}

pub(super) async fn agency_submit(
    app: Data,
    s: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse> {
    match create_agency(&app, &s, form(&body)?).await {
        Ok(_) => Ok(done("/admin/agencies", "done-agency-added")),
        Err(e) => {
            let f =
                Form::posted("agency", &body).refuse(&app.i18n, s.state.lang, e, AGENCY_FIELDS)?;
            agencies_form(&app, &s, f).await
        }
    }
}

async fn set_place(
    app: &Data,
    s: &SignedIn,
    code: String,
    place: AgencyPlace,
) -> Result<super::model::Agency> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::set_agency_place(&app, &actor, &code, place)).await
}

/// The region and kind of an agency, from its row on the agencies page.
pub(super) async fn place_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let code = path.into_inner();
    match set_place(&app, &s, code.clone(), form(&body)?).await {
        Ok(_) => Ok(done("/admin/agencies", "done-agency-place")),
        Err(e) => {
            let f = Form::posted("place", &body).set("agency", code).refuse(
                &app.i18n,
                s.state.lang,
                e,
                PLACE_FIELDS,
            )?;
            agencies_form(&app, &s, f).await
        }
    }
}

pub(super) async fn api_agency_place(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: JsonObject<AgencyPlace>,
) -> Result<HttpResponse> {
    Ok(json(&set_place(&app, &s, path.into_inner(), body.into_inner()).await?))
}

pub(super) async fn api_agencies(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    Ok(json(&blocking(move || service::agencies(&app2, &actor)).await?))
}

pub(super) async fn api_agency_create(
    app: Data,
    s: SignedIn,
    body: JsonObject<NewAgency>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&create_agency(&app, &s, body.into_inner()).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewDepartment {
    name_kk: String,
    name_ru: String,
}

pub(super) async fn create_department(
    app: &Data,
    s: &SignedIn,
    agency_id: u64,
    d: NewDepartment,
) -> Result<super::model::Department> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::create_department(&app, &actor, agency_id, &d.name_kk, &d.name_ru))
        .await
}

pub(super) async fn department_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let agency = path.into_inner();
    match create_department(&app, &s, agency, form(&body)?).await {
        Ok(_) => Ok(done("/admin/agencies", "done-department-added")),
        Err(e) => {
            let f = Form::posted("department", &body).set("agency", agency.to_string()).refuse(
                &app.i18n,
                s.state.lang,
                e,
                DEPARTMENT_FIELDS,
            )?;
            agencies_form(&app, &s, f).await
        }
    }
}

pub(super) async fn agency_id_of(app: &Data, s: &SignedIn, code: String) -> Result<u64> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::agency_by_code(&app, &actor, &code).map(|a| a.id)).await
}

pub(super) async fn api_departments(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let id = agency_id_of(&app, &s, path.into_inner()).await?;
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    Ok(json(&blocking(move || service::departments(&app2, &actor, Some(id))).await?))
}

pub(super) async fn api_department_create(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: JsonObject<NewDepartment>,
) -> Result<HttpResponse> {
    let id = agency_id_of(&app, &s, path.into_inner()).await?;
    s.actor.origin.set_success_status(201);
    Ok(created(&create_department(&app, &s, id, body.into_inner()).await?))
}

// ---------------------------------------------------------------------------------------
// Accounts

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AgencyFilter {
    agency: String,
}

pub(super) async fn accounts(
    app: &Data,
    s: &SignedIn,
    agency: String,
) -> Result<Vec<service::AccountView>> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::accounts(&app, &actor, Some(&agency))).await
}

pub(super) async fn accounts_page(
    app: Data,
    s: SignedIn,
    q: web::Query<AgencyFilter>,
    sort: web::Query<crate::report::Sort>,
) -> Result<HttpResponse> {
    use crate::web::sorting::{Columns, Value};
    let agency = q.into_inner().agency;
    let filters = [("agency", agency.as_str())];
    let columns =
        Columns::new("/admin/users", &filters, &sort, &["login", "name", "agency", "status"]);
    let mut list = accounts(&app, &s, agency.clone()).await?;
    let lang = s.state.lang;
    columns.sort(&mut list, |a, key| match key {
        "login" => Value::text(&a.user.login),
        "name" => Value::text(a.user.display_name(lang)),
        "agency" => Value::text(&a.agency_code),
        // Active first, then locked, then disabled (as the column shows them).
        _ => Value::Number(if a.is_disabled() { 2 } else { i64::from(a.locked) }),
    });
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let agencies = blocking(move || service::agencies(&app2, &actor)).await?;
    // The same rule as the new-account page's list of agencies.
    let can_create =
        agencies.iter().any(|a| decide(&s.actor, Action::UserCreate, Object::Agency(a.id)));
    html(&AccountsPage {
        page: PageCtx::new(&app, &s.state, "accounts-title", "admin"),
        accounts: list,
        agency,
        agencies,
        columns,
        can_create,
    })
}

pub(super) async fn api_accounts(
    app: Data,
    s: SignedIn,
    q: web::Query<AgencyFilter>,
) -> Result<HttpResponse> {
    Ok(json(&accounts(&app, &s, q.into_inner().agency).await?))
}

pub(super) async fn account_new_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.user_new");
    new_account_form(&app, &s, Form::new("account").add("role", "employee")).await
}

async fn new_account_form(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let (agencies, departments) = blocking(move || {
        Ok((service::agencies(&app2, &actor)?, service::departments(&app2, &actor, None)?))
    })
    .await?;
    // Offer only agencies where the actor may create accounts.
    let agencies = agencies
        .into_iter()
        .filter(|a| decide(&s.actor, Action::UserCreate, Object::Agency(a.id)))
        .collect::<Vec<_>>();
    if agencies.is_empty() {
        return Err(Error::forbidden());
    }
    let page = NewAccountPage {
        page: PageCtx::new(app, &s.state, "account-new-title", "admin"),
        agencies,
        departments,
        roles: Role::ALL,
        f,
    };
    forms::page(&page, &page.f)
}

/// The fields of the account forms.
const ACCOUNT_FIELDS: &[Field] = &[
    Field::new("login", "field-login"),
    Field::new("agency", "field-agency"),
    Field::new("department_id", "field-department"),
    Field::new("name_kk", "field-full-name-kk"),
    Field::new("name_ru", "field-full-name-ru"),
    Field::new("position_kk", "field-position-kk"),
    Field::new("position_ru", "field-position-ru"),
    Field::new("email", "field-email"),
    Field::new("phone", "field-phone"),
    Field::aliased("role", "field-roles", &["roles"]),
    Field::new("lang", "field-language"),
];

pub(super) async fn create_account(
    app: &Data,
    s: &SignedIn,
    input: NewUser,
) -> Result<service::CreatedAccount> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::create_user(&app, &actor, input)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AccountForm {
    login: String,
    agency: String,
    department_id: String,
    name_kk: String,
    name_ru: String,
    position_kk: String,
    position_ru: String,
    email: String,
    phone: String,
    role: Vec<String>,
    lang: String,
}

pub(super) fn parse_roles(names: &[String]) -> Result<Vec<Role>> {
    names
        .iter()
        .map(|n| Role::parse(n).ok_or_else(|| Error::invalid("role", "unknown-role")))
        .collect()
}

pub(super) fn parse_opt_id(s: &str) -> Result<Option<u64>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim().parse().map(Some).map_err(|_| Error::invalid("department_id", "unknown-department"))
}

fn new_user(f: AccountForm) -> Result<NewUser> {
    Ok(NewUser {
        login: f.login,
        agency: f.agency,
        department_id: parse_opt_id(&f.department_id)?,
        name_kk: f.name_kk,
        name_ru: f.name_ru,
        position_kk: f.position_kk,
        position_ru: f.position_ru,
        email: f.email,
        phone: f.phone,
        roles: parse_roles(&f.role)?,
        lang: (!f.lang.is_empty()).then_some(f.lang),
        password: None,
    })
}

pub(super) async fn account_create_submit(
    app: Data,
    s: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let result = match new_user(form(&body)?) {
        Ok(input) => create_account(&app, &s, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => html(&SecretPage {
            page: PageCtx::new(&app, &s.state, "secret-title", "admin"),
            login: created.user.login.clone(),
            secret: created.one_time_password.unwrap_or_default(),
            back: format!("/admin/users/{}", created.user.id),
        }),
        Err(e) => {
            let f = Form::posted("account", &body).refuse(
                &app.i18n,
                s.state.lang,
                e,
                ACCOUNT_FIELDS,
            )?;
            new_account_form(&app, &s, f).await
        }
    }
}

pub(super) async fn api_account_create(
    app: Data,
    s: SignedIn,
    body: JsonObject<NewUser>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&create_account(&app, &s, body.into_inner()).await?))
}

pub(super) async fn account(app: &Data, s: &SignedIn, id: u64) -> Result<service::AccountView> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::account(&app, &actor, id)).await
}

pub(super) async fn account_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    account_form(&app, &s, path.into_inner(), Form::new("")).await
}

/// An account's page; `f` is its refused form (`profile`, `roles` or `status`).
async fn account_form(app: &Data, s: &SignedIn, id: u64, f: Form) -> Result<HttpResponse> {
    let account = account(app, s, id).await?;
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let agency_id = account.user.agency_id;
    let departments =
        blocking(move || service::departments(&app2, &actor, Some(agency_id))).await?;
    let page = AccountPage {
        page: PageCtx::new(app, &s.state, "account-title", "admin"),
        account,
        departments,
        roles: Role::ALL,
        f,
    };
    forms::page(&page, &page.f)
}

pub(super) async fn api_account(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    Ok(json(&account(&app, &s, path.into_inner()).await?))
}

pub(super) async fn edit_account(
    app: &Data,
    s: &SignedIn,
    id: u64,
    edit: ProfileEdit,
) -> Result<super::model::User> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::edit_user(&app, &actor, id, edit)).await
}

pub(super) async fn account_edit_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let f: AccountForm = form(&body)?;
    let result = match parse_opt_id(&f.department_id) {
        Ok(department) => {
            let edit = ProfileEdit {
                name_kk: Some(f.name_kk),
                name_ru: Some(f.name_ru),
                position_kk: Some(f.position_kk),
                position_ru: Some(f.position_ru),
                email: Some(f.email),
                phone: Some(f.phone),
                department_id: Some(department),
                lang: (!f.lang.is_empty()).then_some(f.lang),
            };
            edit_account(&app, &s, id, edit).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/admin/users/{id}"), "done-account-saved")),
        Err(e) => {
            let f = Form::posted("profile", &body).refuse(
                &app.i18n,
                s.state.lang,
                e,
                ACCOUNT_FIELDS,
            )?;
            account_form(&app, &s, id, f).await
        }
    }
}

pub(super) async fn api_account_edit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: crate::web::request::JsonObject<ProfileEdit>,
) -> Result<HttpResponse> {
    Ok(json(&edit_account(&app, &s, path.into_inner(), body.0).await?))
}

pub(super) async fn set_roles(
    app: &Data,
    s: &SignedIn,
    id: u64,
    roles: Vec<Role>,
) -> Result<super::model::User> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::set_roles(&app, &actor, id, roles)).await
}

pub(super) async fn account_roles_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let f: AccountForm = form(&body)?;
    let result = match parse_roles(&f.role) {
        Ok(roles) => set_roles(&app, &s, id, roles).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/admin/users/{id}"), "done-roles-saved")),
        Err(e) => {
            let f =
                Form::posted("roles", &body).refuse(&app.i18n, s.state.lang, e, ACCOUNT_FIELDS)?;
            account_form(&app, &s, id, f).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct RolesBody {
    roles: Vec<Role>,
}

pub(super) async fn api_account_roles(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<RolesBody>,
) -> Result<HttpResponse> {
    Ok(json(&set_roles(&app, &s, path.into_inner(), body.into_inner().roles).await?))
}

pub(super) async fn set_disabled(
    app: &Data,
    s: &SignedIn,
    id: u64,
    disabled: bool,
) -> Result<super::model::User> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::set_disabled(&app, &actor, id, disabled)).await
}

pub(super) async fn account_disable_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    status_outcome(&app, &s, id, set_disabled(&app, &s, id, true).await).await
}

pub(super) async fn account_enable_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    status_outcome(&app, &s, id, set_disabled(&app, &s, id, false).await).await
}

/// After disabling or enabling from the page: the account again, with the reason when
/// refused (e.g. one's own account).
async fn status_outcome(
    app: &Data,
    s: &SignedIn,
    id: u64,
    result: Result<super::model::User>,
) -> Result<HttpResponse> {
    match result {
        Ok(_) => Ok(done(&format!("/admin/users/{id}"), "done-account-saved")),
        Err(e) => {
            let f = Form::new("status").refuse(&app.i18n, s.state.lang, e, ACCOUNT_FIELDS)?;
            account_form(app, s, id, f).await
        }
    }
}

pub(super) async fn api_account_disable(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    Ok(json(&set_disabled(&app, &s, path.into_inner(), true).await?))
}

pub(super) async fn api_account_enable(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    Ok(json(&set_disabled(&app, &s, path.into_inner(), false).await?))
}

pub(super) async fn reset(app: &Data, s: &SignedIn, id: u64) -> Result<Option<String>> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::reset_password(&app, &actor, id, None)).await
}

pub(super) async fn account_reset_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let secret = reset(&app, &s, id).await?.unwrap_or_default();
    let login = account(&app, &s, id).await?.user.login;
    html(&SecretPage {
        page: PageCtx::new(&app, &s.state, "secret-title", "admin"),
        login,
        secret,
        back: format!("/admin/users/{id}"),
    })
}

pub(super) async fn api_account_reset(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    let secret = reset(&app, &s, path.into_inner()).await?;
    Ok(json(&serde_json::json!({"one_time_password": secret})))
}
