//! Routes of the directory feature — as HTML pages and `/api/v1` JSON over the same
//! services: the route table of the whole feature, one's own profile, the staff search and
//! working groups here; sign-in and passwords in `signin_http`, administration of agencies
//! and accounts in `admin_http`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::admin_http as admin;
use super::model::ProfileEdit;
use super::pages::*;
use super::service::{self, NewGroup, StaffQuery};
use super::signin_http;
use crate::app::App;
use crate::auth::policy::{Action, Object, decide};
use crate::error::{Error, Result};
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, created, done, html, json};
use crate::web::request::JsonObject;
use crate::web::request::{SignedIn, SignedInAny};
use crate::web::{blocking, form};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/login", web::get().to(signin_http::login_page))
        .route("/login", web::post().to(signin_http::login_submit))
        .route("/login/certificate", web::post().to(signin_http::login_certificate_submit))
        .route("/logout", web::post().to(signin_http::logout_submit))
        .route("/password", web::get().to(signin_http::password_page))
        .route("/password", web::post().to(signin_http::password_submit))
        .route("/directory", web::get().to(staff_page))
        .route("/profile", web::get().to(profile_page))
        .route("/profile", web::post().to(profile_submit))
        .route("/admin/agencies", web::get().to(admin::agencies_page))
        .route("/admin/agencies", web::post().to(admin::agency_submit))
        .route("/admin/agencies/{id}/departments", web::post().to(admin::department_submit))
        .route("/admin/agencies/{code}/place", web::post().to(admin::place_submit))
        .route("/admin/users", web::get().to(admin::accounts_page))
        .route("/admin/users", web::post().to(admin::account_create_submit))
        .route("/admin/users/new", web::get().to(admin::account_new_page))
        .route("/admin/users/{id}", web::get().to(admin::account_page))
        .route("/admin/users/{id}", web::post().to(admin::account_edit_submit))
        .route("/admin/users/{id}/roles", web::post().to(admin::account_roles_submit))
        .route("/admin/users/{id}/disable", web::post().to(admin::account_disable_submit))
        .route("/admin/users/{id}/enable", web::post().to(admin::account_enable_submit))
        .route("/admin/users/{id}/reset-password", web::post().to(admin::account_reset_submit))
        .route("/groups", web::get().to(groups_page))
        .route("/groups", web::post().to(group_create_submit))
        .route("/groups/{id}/members", web::post().to(group_members_submit))
        // JSON API
        .route("/api/v1/session", web::post().to(signin_http::api_sign_in))
        .route("/api/v1/session", web::delete().to(signin_http::api_sign_out))
        .route("/api/v1/session/certificate", web::post().to(signin_http::api_sign_in_certificate))
        .route("/api/v1/me", web::get().to(api_me))
        .route("/api/v1/me", web::patch().to(api_me_edit))
        .route("/api/v1/me/password", web::post().to(signin_http::api_password))
        .route("/api/v1/directory", web::get().to(api_staff))
        .route("/api/v1/agencies", web::get().to(admin::api_agencies))
        .route("/api/v1/agencies", web::post().to(admin::api_agency_create))
        .route("/api/v1/agencies/{code}/place", web::put().to(admin::api_agency_place))
        .route("/api/v1/agencies/{code}/departments", web::get().to(admin::api_departments))
        .route("/api/v1/agencies/{code}/departments", web::post().to(admin::api_department_create))
        .route("/api/v1/users", web::get().to(admin::api_accounts))
        .route("/api/v1/users", web::post().to(admin::api_account_create))
        .route("/api/v1/users/{id}", web::get().to(admin::api_account))
        .route("/api/v1/users/{id}", web::patch().to(admin::api_account_edit))
        .route("/api/v1/users/{id}/roles", web::put().to(admin::api_account_roles))
        .route("/api/v1/users/{id}/disable", web::post().to(admin::api_account_disable))
        .route("/api/v1/users/{id}/enable", web::post().to(admin::api_account_enable))
        .route("/api/v1/users/{id}/reset-password", web::post().to(admin::api_account_reset))
        .route("/api/v1/groups", web::get().to(api_groups))
        .route("/api/v1/groups", web::post().to(api_group_create))
        .route("/api/v1/groups/{id}/members", web::put().to(api_group_members));
}

// ---------------------------------------------------------------------------------------
// Me, profile, password

#[derive(Serialize)]
pub(super) struct MeView {
    id: u64,
    login: String,
    name_kk: String,
    name_ru: String,
    position_kk: String,
    position_ru: String,
    email: String,
    phone: String,
    lang: String,
    agency: AgencyRef,
    department: Option<DepartmentRef>,
    roles: Vec<&'static str>,
    groups: Vec<u64>,
    must_change_password: bool,
}

#[derive(Serialize)]
struct AgencyRef {
    id: u64,
    code: String,
    name_kk: String,
    name_ru: String,
}

#[derive(Serialize)]
struct DepartmentRef {
    id: u64,
    name_kk: String,
    name_ru: String,
}

pub(super) async fn me_view(app: &Data, user_id: u64) -> Result<MeView> {
    let app = app.clone().into_inner();
    blocking(move || {
        let txn = app.db.read()?;
        let r = super::store::Reader(&txn);
        let user = r.user(user_id)?.ok_or_else(Error::not_found)?;
        let agency = r.agency(user.agency_id)?.ok_or_else(Error::not_found)?;
        let department = match user.department_id {
            Some(d) => r.department(d)?,
            None => None,
        };
        let cred = crate::auth::credentials::get(&txn, user_id)?.unwrap_or_default();
        Ok(MeView {
            id: user.id,
            login: user.login,
            name_kk: user.name_kk,
            name_ru: user.name_ru,
            position_kk: user.position_kk,
            position_ru: user.position_ru,
            email: user.email,
            phone: user.phone,
            lang: user.lang,
            agency: AgencyRef {
                id: agency.id,
                code: agency.code,
                name_kk: agency.name_kk,
                name_ru: agency.name_ru,
            },
            department: department.map(|d| DepartmentRef {
                id: d.id,
                name_kk: d.name_kk,
                name_ru: d.name_ru,
            }),
            roles: user.roles.iter().map(|r| r.name()).collect(),
            groups: r.group_ids_of(user_id)?,
            must_change_password: cred.must_change,
        })
    })
    .await
}

async fn api_me(app: Data, s: SignedInAny) -> Result<HttpResponse> {
    s.actor.origin.set_operation("profile.read");
    let id = s.actor.user_id().ok_or_else(Error::forbidden)?;
    Ok(json(&me_view(&app, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct OwnProfile {
    email: Option<String>,
    phone: Option<String>,
    lang: Option<String>,
}

async fn api_me_edit(
    app: Data,
    s: SignedIn,
    body: crate::web::request::JsonObject<OwnProfile>,
) -> Result<HttpResponse> {
    let id = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let b = body.0;
    let edit = ProfileEdit { email: b.email, phone: b.phone, lang: b.lang, ..Default::default() };
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::edit_user(&app2, &actor, id, edit)).await?;
    Ok(json(&me_view(&app, id).await?))
}

async fn profile_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.profile");
    profile_form(&app, &s, None).await
}

/// One's own profile; `refused` is the contacts form sent and refused.
async fn profile_form(app: &Data, s: &SignedIn, refused: Option<Form>) -> Result<HttpResponse> {
    let id = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let app2 = app.clone().into_inner();
    let (me, agency, department) = blocking(move || {
        let txn = app2.db.read()?;
        let r = super::store::Reader(&txn);
        let user = r.user(id)?.ok_or_else(Error::not_found)?;
        let agency = r.agency(user.agency_id)?;
        let department = match user.department_id {
            Some(d) => r.department(d)?,
            None => None,
        };
        let cred = crate::auth::credentials::get(&txn, id)?.unwrap_or_default();
        let me = service::AccountView {
            agency_code: agency.as_ref().map(|a| a.code.clone()).unwrap_or_default(),
            must_change_password: cred.must_change,
            locked: false,
            failures: 0,
            user,
        };
        Ok((me, agency, department))
    })
    .await?;
    let f = refused.unwrap_or_else(|| {
        Form::new("profile")
            .set("email", me.user.email.clone())
            .set("phone", me.user.phone.clone())
            .set("lang", me.user.lang.clone())
    });
    let page = ProfilePage {
        page: PageCtx::new(app, &s.state, "profile-title", "profile"),
        me,
        agency,
        department,
        f,
    };
    forms::page(&page, &page.f)
}

const PROFILE_FIELDS: &[Field] = &[
    Field::new("email", "field-email"),
    Field::new("phone", "field-phone"),
    Field::new("lang", "field-language"),
];

async fn profile_submit(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct F {
        email: String,
        phone: String,
        lang: String,
    }
    let f: F = form(&body)?;
    let id = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let edit = ProfileEdit {
        email: Some(f.email),
        phone: Some(f.phone),
        lang: Some(f.lang),
        ..Default::default()
    };
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    match blocking(move || service::edit_user(&app2, &actor, id, edit)).await {
        Ok(_) => Ok(done("/profile", "done-profile-saved")),
        Err(e) => {
            let f = Form::posted("profile", &body).refuse(
                &app.i18n,
                s.state.lang,
                e,
                PROFILE_FIELDS,
            )?;
            profile_form(&app, &s, Some(f)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Staff directory

async fn staff(app: &Data, s: &SignedIn, query: StaffQuery) -> Result<Vec<service::StaffEntry>> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::search_staff(&app, &actor, &query)).await
}

async fn staff_page(app: Data, s: SignedIn, q: web::Query<StaffQuery>) -> Result<HttpResponse> {
    let query = q.into_inner();
    let searched =
        !query.q.trim().is_empty() || !query.agency.is_empty() || query.department.is_some();
    let results = staff(&app, &s, query.clone()).await?;
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let agencies = blocking(move || service::agencies(&app2, &actor)).await?;
    html(&StaffPage {
        page: PageCtx::new(&app, &s.state, "directory-title", "directory"),
        q: query.q,
        agency: query.agency,
        agencies,
        results,
        searched,
    })
}

async fn api_staff(app: Data, s: SignedIn, q: web::Query<StaffQuery>) -> Result<HttpResponse> {
    let results = staff(&app, &s, q.into_inner()).await?;
    Ok(json(&serde_json::json!({"total": results.len(), "users": results})))
}

// ---------------------------------------------------------------------------------------
// Working groups

async fn groups_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    groups_form(&app, &s, Form::new("")).await
}

/// The working groups; `f` is a refused form (`group` for a new group, `members-<id>` for
/// a group's members).
async fn groups_form(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let lang = s.state.lang;
    let groups = blocking(move || {
        let mut out = Vec::new();
        for g in service::groups(&app2, &actor)? {
            let members = service::user_names(&app2, &g.members, lang)?;
            let manage = decide(&actor, Action::GroupManage, Object::Agency(g.agency_id));
            out.push((g, members, manage));
        }
        Ok(out)
    })
    .await?;
    let agency = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let can_create = decide(&s.actor, Action::GroupManage, Object::Agency(agency));
    let page = GroupsPage {
        page: PageCtx::new(app, &s.state, "groups-title", "groups"),
        groups,
        can_create,
        f,
    };
    forms::page(&page, &page.f)
}

const GROUP_FIELDS: &[Field] = &[
    Field::new("name_kk", "field-group-name-kk"),
    Field::new("name_ru", "field-group-name-ru"),
    Field::new("members", "group-members-hint"),
];

async fn create_group(
    app: &Data,
    s: &SignedIn,
    input: NewGroup,
) -> Result<super::model::WorkingGroup> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::create_group(&app, &actor, input)).await
}

/// Member logins typed one per line or separated by commas.
fn split_logins(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn group_create_submit(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct F {
        name_kk: String,
        name_ru: String,
        members: String,
    }
    let f: F = form(&body)?;
    let input =
        NewGroup { name_kk: f.name_kk, name_ru: f.name_ru, members: split_logins(&f.members) };
    match create_group(&app, &s, input).await {
        Ok(_) => Ok(done("/groups", "done-group-created")),
        Err(e) => {
            let f =
                Form::posted("group", &body).refuse(&app.i18n, s.state.lang, e, GROUP_FIELDS)?;
            groups_form(&app, &s, f).await
        }
    }
}

async fn set_members(
    app: &Data,
    s: &SignedIn,
    id: u64,
    logins: Vec<String>,
) -> Result<super::model::WorkingGroup> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::set_group_members(&app, &actor, id, &logins)).await
}

async fn group_members_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct F {
        members: String,
    }
    let f: F = form(&body)?;
    let id = path.into_inner();
    match set_members(&app, &s, id, split_logins(&f.members)).await {
        Ok(_) => Ok(done("/groups", "done-group-members")),
        Err(e) => {
            // The form of this group's members (one per group on the page).
            let f = Form::posted("members", &body).set("group", id.to_string()).refuse(
                &app.i18n,
                s.state.lang,
                e,
                GROUP_FIELDS,
            )?;
            groups_form(&app, &s, f).await
        }
    }
}

async fn api_groups(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    Ok(json(&blocking(move || service::groups(&app2, &actor)).await?))
}

async fn api_group_create(
    app: Data,
    s: SignedIn,
    body: JsonObject<NewGroup>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&create_group(&app, &s, body.into_inner()).await?))
}

#[derive(Deserialize)]
struct MembersBody {
    members: Vec<String>,
}

async fn api_group_members(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: JsonObject<MembersBody>,
) -> Result<HttpResponse> {
    Ok(json(&set_members(&app, &s, path.into_inner(), body.into_inner().members).await?))
}
