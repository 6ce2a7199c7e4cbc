//! Routes of the directory feature: sign-in, profile, staff search, administration of
//! agencies, accounts and working groups — as HTML pages and `/api/v1` JSON over the same
//! services.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::{NewUser, ProfileEdit};
use super::pages::*;
use super::service::{self, NewAgency, NewGroup, StaffQuery};
use super::signin;
use crate::actor::Who;
use crate::app::App;
use crate::auth::policy::{Action, Object, decide};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::web::pipeline::SignedInAs;
use crate::web::render::{PageCtx, created, html, json, see_other};
use crate::web::request::{SignedIn, SignedInAny, Visitor};
use crate::web::{blocking, cookies, form};

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login_submit))
        .route("/login/certificate", web::post().to(login_certificate_submit))
        .route("/logout", web::post().to(logout_submit))
        .route("/password", web::get().to(password_page))
        .route("/password", web::post().to(password_submit))
        .route("/directory", web::get().to(staff_page))
        .route("/profile", web::get().to(profile_page))
        .route("/profile", web::post().to(profile_submit))
        .route("/admin/agencies", web::get().to(agencies_page))
        .route("/admin/agencies", web::post().to(agency_submit))
        .route("/admin/agencies/{id}/departments", web::post().to(department_submit))
        .route("/admin/users", web::get().to(accounts_page))
        .route("/admin/users", web::post().to(account_create_submit))
        .route("/admin/users/new", web::get().to(account_new_page))
        .route("/admin/users/{id}", web::get().to(account_page))
        .route("/admin/users/{id}", web::post().to(account_edit_submit))
        .route("/admin/users/{id}/roles", web::post().to(account_roles_submit))
        .route("/admin/users/{id}/disable", web::post().to(account_disable_submit))
        .route("/admin/users/{id}/enable", web::post().to(account_enable_submit))
        .route("/admin/users/{id}/reset-password", web::post().to(account_reset_submit))
        .route("/groups", web::get().to(groups_page))
        .route("/groups", web::post().to(group_create_submit))
        .route("/groups/{id}/members", web::post().to(group_members_submit))
        // JSON API
        .route("/api/v1/session", web::post().to(api_sign_in))
        .route("/api/v1/session", web::delete().to(api_sign_out))
        .route("/api/v1/session/certificate", web::post().to(api_sign_in_certificate))
        .route("/api/v1/me", web::get().to(api_me))
        .route("/api/v1/me", web::patch().to(api_me_edit))
        .route("/api/v1/me/password", web::post().to(api_password))
        .route("/api/v1/directory", web::get().to(api_staff))
        .route("/api/v1/agencies", web::get().to(api_agencies))
        .route("/api/v1/agencies", web::post().to(api_agency_create))
        .route("/api/v1/agencies/{code}/departments", web::get().to(api_departments))
        .route("/api/v1/agencies/{code}/departments", web::post().to(api_department_create))
        .route("/api/v1/users", web::get().to(api_accounts))
        .route("/api/v1/users", web::post().to(api_account_create))
        .route("/api/v1/users/{id}", web::get().to(api_account))
        .route("/api/v1/users/{id}", web::patch().to(api_account_edit))
        .route("/api/v1/users/{id}/roles", web::put().to(api_account_roles))
        .route("/api/v1/users/{id}/disable", web::post().to(api_account_disable))
        .route("/api/v1/users/{id}/enable", web::post().to(api_account_enable))
        .route("/api/v1/users/{id}/reset-password", web::post().to(api_account_reset))
        .route("/api/v1/groups", web::get().to(api_groups))
        .route("/api/v1/groups", web::post().to(api_group_create))
        .route("/api/v1/groups/{id}/members", web::put().to(api_group_members));
}

// ---------------------------------------------------------------------------------------
// Sign-in and sign-out

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    next: String,
    lang: String,
}

/// Only local paths are allowed as a return address (no open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".into()
    }
}

/// The client certificate the TLS layer admitted on this connection, if any.
fn presented(req: &HttpRequest) -> Option<Vec<u8>> {
    req.conn_data::<crate::web::client_cert::ClientCertificate>()
        .and_then(|c| c.end_entity().map(<[u8]>::to_vec))
}

fn presented_subject(req: &HttpRequest) -> Option<String> {
    let der = presented(req)?;
    crate::sign::x509::Cert::from_der(&der).ok().map(|c| c.summary().subject)
}

async fn login_page(
    app: Data,
    v: Visitor,
    req: HttpRequest,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse> {
    v.actor.origin.set_operation("page.login");
    if matches!(v.state.who, Who::User(_)) {
        return Ok(see_other("/"));
    }
    let pre_token = crate::secret::token();
    let page = LoginPage {
        page: PageCtx::new(&app, &v.state, "login-title", "login"),
        pre_token: pre_token.clone(),
        login: String::new(),
        error: None,
        next: safe_next(&q.next),
        certificate: presented_subject(&req),
    };
    let mut res = html(&page)?;
    res.add_cookie(&cookies::pre_session(&pre_token, v.state.secure)).map_err(Error::internal)?;
    if crate::i18n::supported(&q.lang).is_some() {
        res.add_cookie(&cookies::lang(&q.lang, v.state.secure)).map_err(Error::internal)?;
    }
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    next: String,
}

async fn login_submit(
    app: Data,
    v: Visitor,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    v.actor.origin.set_operation("session.create");
    let f: LoginForm = form(&body)?;
    let pre = req.cookie(cookies::PRE_SESSION).map(|c| c.value().to_owned()).unwrap_or_default();
    if pre.is_empty() || !constant_eq(&pre, &f.csrf) {
        return Err(Error::new(Code::CsrfFailed));
    }
    let app2 = app.clone().into_inner();
    let actor = v.actor.clone();
    let ip = v.state.client_ip;
    let (login, password) = (f.login.clone(), f.password.clone());
    let result = blocking(move || signin::sign_in(&app2, &actor, ip, &login, &password)).await;
    login_outcome(&app, &v, &req, result, &f.login, &f.next)
}

/// After a sign-in attempt from the page: the session cookie and a redirect, or the page
/// again with the explanation.
fn login_outcome(
    app: &Data,
    v: &Visitor,
    req: &HttpRequest,
    result: Result<signin::SignedIn>,
    login: &str,
    next: &str,
) -> Result<HttpResponse> {
    match result {
        Ok(signed) => {
            req.extensions_mut().insert(SignedInAs(Who::User(signed.identity.clone())));
            let target = if signed.identity.must_change_password {
                "/password".to_owned()
            } else {
                safe_next(next)
            };
            let mut res = see_other(&target);
            res.add_cookie(&cookies::session(&signed.session.token, v.state.secure))
                .map_err(Error::internal)?;
            let mut pre = cookies::pre_session("", v.state.secure);
            pre.make_removal();
            res.add_cookie(&pre).map_err(Error::internal)?;
            Ok(res)
        }
        Err(e) if matches!(e.code, Code::InvalidCredentials | Code::TooManyRequests) => {
            let pre_token = crate::secret::token();
            let page = LoginPage {
                page: PageCtx::new(app, &v.state, "login-title", "login"),
                pre_token: pre_token.clone(),
                login: login.chars().take(64).collect(),
                error: Some(app.i18n.error_message(v.state.lang, &e)),
                next: safe_next(next),
                certificate: presented_subject(req),
            };
            let status =
                actix_web::http::StatusCode::from_u16(e.code.http_status()).unwrap_or_default();
            let mut res = html(&page)?;
            *res.status_mut() = status;
            res.add_cookie(&cookies::pre_session(&pre_token, v.state.secure))
                .map_err(Error::internal)?;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CertificateLoginForm {
    csrf: String,
    next: String,
}

/// "Sign in with my certificate" on the page (mutual TLS).
async fn login_certificate_submit(
    app: Data,
    v: Visitor,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    v.actor.origin.set_operation("session.create");
    let f: CertificateLoginForm = form(&body)?;
    let pre = req.cookie(cookies::PRE_SESSION).map(|c| c.value().to_owned()).unwrap_or_default();
    if pre.is_empty() || !constant_eq(&pre, &f.csrf) {
        return Err(Error::new(Code::CsrfFailed));
    }
    let (app2, actor, ip, cert) =
        (app.clone().into_inner(), v.actor.clone(), v.state.client_ip, presented(&req));
    let result =
        blocking(move || signin::sign_in_with_certificate(&app2, &actor, ip, cert.as_deref()))
            .await;
    login_outcome(&app, &v, &req, result, "", &f.next)
}

/// `POST /api/v1/session/certificate`: a session for the certificate of this connection.
async fn api_sign_in_certificate(app: Data, v: Visitor, req: HttpRequest) -> Result<HttpResponse> {
    let (app2, actor, ip, cert) =
        (app.clone().into_inner(), v.actor.clone(), v.state.client_ip, presented(&req));
    let signed =
        blocking(move || signin::sign_in_with_certificate(&app2, &actor, ip, cert.as_deref()))
            .await?;
    req.extensions_mut().insert(SignedInAs(Who::User(signed.identity.clone())));
    let user = me_view(&app, signed.identity.id).await?;
    let mut res = json(&SessionAnswer {
        csrf: signed.session.csrf.clone(),
        must_change_password: signed.identity.must_change_password,
        user,
    });
    res.add_cookie(&cookies::session(&signed.session.token, v.state.secure))
        .map_err(Error::internal)?;
    Ok(res)
}

fn constant_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

async fn logout_submit(app: Data, s: SignedInAny) -> Result<HttpResponse> {
    end_session(&app, &s).await?;
    let mut res = see_other("/login");
    res.add_cookie(&cookies::session_removal(s.state.secure)).map_err(Error::internal)?;
    Ok(res)
}

async fn end_session(app: &Data, s: &SignedInAny) -> Result<()> {
    let key =
        s.state.session.as_ref().map(|v| v.key).ok_or_else(|| Error::new(Code::Unauthenticated))?;
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || signin::sign_out(&app, &actor, key)).await
}

#[derive(Deserialize)]
struct ApiLogin {
    login: String,
    password: String,
}

#[derive(Serialize)]
struct SessionAnswer {
    csrf: String,
    must_change_password: bool,
    user: MeView,
}

async fn api_sign_in(
    app: Data,
    v: Visitor,
    req: HttpRequest,
    body: web::Json<ApiLogin>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let app2 = app.clone().into_inner();
    let actor = v.actor.clone();
    let ip = v.state.client_ip;
    let signed =
        blocking(move || signin::sign_in(&app2, &actor, ip, &body.login, &body.password)).await?;
    req.extensions_mut().insert(SignedInAs(Who::User(signed.identity.clone())));
    let user = me_view(&app, signed.identity.id).await?;
    let mut res = json(&SessionAnswer {
        csrf: signed.session.csrf.clone(),
        must_change_password: signed.identity.must_change_password,
        user,
    });
    res.add_cookie(&cookies::session(&signed.session.token, v.state.secure))
        .map_err(Error::internal)?;
    Ok(res)
}

async fn api_sign_out(app: Data, s: SignedInAny) -> Result<HttpResponse> {
    end_session(&app, &s).await?;
    let mut res = json(&serde_json::json!({"signed_out": true}));
    res.add_cookie(&cookies::session_removal(s.state.secure)).map_err(Error::internal)?;
    Ok(res)
}

// ---------------------------------------------------------------------------------------
// Me, profile, password

#[derive(Serialize)]
struct MeView {
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

async fn me_view(app: &Data, user_id: u64) -> Result<MeView> {
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

async fn api_me_edit(app: Data, s: SignedIn, body: web::Json<OwnProfile>) -> Result<HttpResponse> {
    let id = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let b = body.into_inner();
    let edit = ProfileEdit { email: b.email, phone: b.phone, lang: b.lang, ..Default::default() };
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::edit_user(&app2, &actor, id, edit)).await?;
    Ok(json(&me_view(&app, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordChange {
    current_password: String,
    new_password: String,
    confirm_password: Option<String>,
    csrf: String,
}

async fn change_password(
    app: &Data,
    s: &SignedInAny,
    p: PasswordChange,
) -> Result<crate::auth::session::NewSession> {
    if let Some(confirm) = &p.confirm_password
        && confirm != &p.new_password
    {
        return Err(Error::invalid("confirm_password", "password-mismatch"));
    }
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || {
        signin::change_own_password(&app, &actor, &p.current_password, &p.new_password)
    })
    .await
}

async fn api_password(
    app: Data,
    s: SignedInAny,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse> {
    let session = change_password(&app, &s, body.into_inner()).await?;
    let mut res = json(&serde_json::json!({"csrf": session.csrf}));
    res.add_cookie(&cookies::session(&session.token, s.state.secure)).map_err(Error::internal)?;
    Ok(res)
}

async fn password_page(app: Data, s: SignedInAny) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.password");
    let forced = s.actor.user().is_some_and(|u| u.must_change_password);
    html(&PasswordPage {
        page: PageCtx::new(&app, &s.state, "password-title", "profile"),
        forced,
        error: None,
        min_len: app.config.login.min_password_length,
    })
}

async fn password_submit(app: Data, s: SignedInAny, body: web::Bytes) -> Result<HttpResponse> {
    let p: PasswordChange = form(&body)?;
    let forced = s.actor.user().is_some_and(|u| u.must_change_password);
    match change_password(&app, &s, p).await {
        Ok(session) => {
            let mut res = see_other("/profile?saved=1");
            res.add_cookie(&cookies::session(&session.token, s.state.secure))
                .map_err(Error::internal)?;
            Ok(res)
        }
        Err(e)
            if matches!(
                e.code,
                Code::InvalidCredentials | Code::WeakPassword | Code::InvalidInput
            ) =>
        {
            let page = PasswordPage {
                page: PageCtx::new(&app, &s.state, "password-title", "profile"),
                forced,
                error: Some(app.i18n.error_message(s.state.lang, &e)),
                min_len: app.config.login.min_password_length,
            };
            let mut res = html(&page)?;
            *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn profile_page(app: Data, s: SignedIn, q: web::Query<SavedQuery>) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.profile");
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
    html(&ProfilePage {
        page: PageCtx::new(&app, &s.state, "profile-title", "profile"),
        me,
        agency,
        department,
        saved: q.saved.is_some(),
    })
}

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
    blocking(move || service::edit_user(&app2, &actor, id, edit)).await?;
    Ok(see_other("/profile?saved=1"))
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
// Agencies and departments

async fn agencies_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let (agencies, departments) = blocking(move || {
        Ok((service::agencies(&app2, &actor)?, service::departments(&app2, &actor, None)?))
    })
    .await?;
    let can_add_agency = decide(&s.actor, Action::AgencyManage, Object::Appliance);
    html(&AgenciesPage {
        page: PageCtx::new(&app, &s.state, "agencies-title", "admin"),
        agencies,
        departments,
        can_add_agency,
    })
}

async fn create_agency(app: &Data, s: &SignedIn, input: NewAgency) -> Result<super::model::Agency> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::create_agency(&app, &actor, input)).await
}

async fn agency_submit(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    create_agency(&app, &s, form(&body)?).await?;
    Ok(see_other("/admin/agencies"))
}

async fn api_agencies(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    Ok(json(&blocking(move || service::agencies(&app2, &actor)).await?))
}

async fn api_agency_create(
    app: Data,
    s: SignedIn,
    body: web::Json<NewAgency>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&create_agency(&app, &s, body.into_inner()).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewDepartment {
    name_kk: String,
    name_ru: String,
}

async fn create_department(
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

async fn department_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    create_department(&app, &s, path.into_inner(), form(&body)?).await?;
    Ok(see_other("/admin/agencies"))
}

async fn agency_id_of(app: &Data, s: &SignedIn, code: String) -> Result<u64> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::agency_by_code(&app, &actor, &code).map(|a| a.id)).await
}

async fn api_departments(app: Data, s: SignedIn, path: web::Path<String>) -> Result<HttpResponse> {
    let id = agency_id_of(&app, &s, path.into_inner()).await?;
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    Ok(json(&blocking(move || service::departments(&app2, &actor, Some(id))).await?))
}

async fn api_department_create(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: web::Json<NewDepartment>,
) -> Result<HttpResponse> {
    let id = agency_id_of(&app, &s, path.into_inner()).await?;
    s.actor.origin.set_success_status(201);
    Ok(created(&create_department(&app, &s, id, body.into_inner()).await?))
}

// ---------------------------------------------------------------------------------------
// Accounts

#[derive(Deserialize, Default)]
#[serde(default)]
struct AgencyFilter {
    agency: String,
}

async fn accounts(app: &Data, s: &SignedIn, agency: String) -> Result<Vec<service::AccountView>> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::accounts(&app, &actor, Some(&agency))).await
}

async fn accounts_page(
    app: Data,
    s: SignedIn,
    q: web::Query<AgencyFilter>,
) -> Result<HttpResponse> {
    let agency = q.into_inner().agency;
    let list = accounts(&app, &s, agency.clone()).await?;
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let agencies = blocking(move || service::agencies(&app2, &actor)).await?;
    html(&AccountsPage {
        page: PageCtx::new(&app, &s.state, "accounts-title", "admin"),
        accounts: list,
        agency,
        agencies,
    })
}

async fn api_accounts(app: Data, s: SignedIn, q: web::Query<AgencyFilter>) -> Result<HttpResponse> {
    Ok(json(&accounts(&app, &s, q.into_inner().agency).await?))
}

async fn account_new_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.user_new");
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
    html(&NewAccountPage {
        page: PageCtx::new(&app, &s.state, "account-new-title", "admin"),
        agencies,
        departments,
        roles: Role::ALL,
    })
}

async fn create_account(
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
struct AccountForm {
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

fn parse_roles(names: &[String]) -> Result<Vec<Role>> {
    names
        .iter()
        .map(|n| Role::parse(n).ok_or_else(|| Error::invalid("role", "unknown-role")))
        .collect()
}

fn parse_opt_id(s: &str) -> Result<Option<u64>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim().parse().map(Some).map_err(|_| Error::invalid("department_id", "unknown-department"))
}

async fn account_create_submit(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    let f: AccountForm = form(&body)?;
    let input = NewUser {
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
    };
    let created = create_account(&app, &s, input).await?;
    html(&SecretPage {
        page: PageCtx::new(&app, &s.state, "secret-title", "admin"),
        login: created.user.login.clone(),
        secret: created.one_time_password.unwrap_or_default(),
        back: format!("/admin/users/{}", created.user.id),
    })
}

async fn api_account_create(
    app: Data,
    s: SignedIn,
    body: web::Json<NewUser>,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(201);
    Ok(created(&create_account(&app, &s, body.into_inner()).await?))
}

async fn account(app: &Data, s: &SignedIn, id: u64) -> Result<service::AccountView> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::account(&app, &actor, id)).await
}

async fn account_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let account = account(&app, &s, path.into_inner()).await?;
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    let agency_id = account.user.agency_id;
    let departments =
        blocking(move || service::departments(&app2, &actor, Some(agency_id))).await?;
    html(&AccountPage {
        page: PageCtx::new(&app, &s.state, "account-title", "admin"),
        account,
        departments,
        roles: Role::ALL,
    })
}

async fn api_account(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&account(&app, &s, path.into_inner()).await?))
}

async fn edit_account(
    app: &Data,
    s: &SignedIn,
    id: u64,
    edit: ProfileEdit,
) -> Result<super::model::User> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::edit_user(&app, &actor, id, edit)).await
}

async fn account_edit_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let f: AccountForm = form(&body)?;
    let edit = ProfileEdit {
        name_kk: Some(f.name_kk),
        name_ru: Some(f.name_ru),
        position_kk: Some(f.position_kk),
        position_ru: Some(f.position_ru),
        email: Some(f.email),
        phone: Some(f.phone),
        department_id: Some(parse_opt_id(&f.department_id)?),
        lang: (!f.lang.is_empty()).then_some(f.lang),
    };
    edit_account(&app, &s, id, edit).await?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

async fn api_account_edit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Json<ProfileEdit>,
) -> Result<HttpResponse> {
    Ok(json(&edit_account(&app, &s, path.into_inner(), body.into_inner()).await?))
}

async fn set_roles(
    app: &Data,
    s: &SignedIn,
    id: u64,
    roles: Vec<Role>,
) -> Result<super::model::User> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::set_roles(&app, &actor, id, roles)).await
}

async fn account_roles_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let f: AccountForm = form(&body)?;
    set_roles(&app, &s, id, parse_roles(&f.role)?).await?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[derive(Deserialize)]
struct RolesBody {
    roles: Vec<Role>,
}

async fn api_account_roles(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Json<RolesBody>,
) -> Result<HttpResponse> {
    Ok(json(&set_roles(&app, &s, path.into_inner(), body.into_inner().roles).await?))
}

async fn set_disabled(
    app: &Data,
    s: &SignedIn,
    id: u64,
    disabled: bool,
) -> Result<super::model::User> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::set_disabled(&app, &actor, id, disabled)).await
}

async fn account_disable_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    set_disabled(&app, &s, id, true).await?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

async fn account_enable_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    set_disabled(&app, &s, id, false).await?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

async fn api_account_disable(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&set_disabled(&app, &s, path.into_inner(), true).await?))
}

async fn api_account_enable(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&set_disabled(&app, &s, path.into_inner(), false).await?))
}

async fn reset(app: &Data, s: &SignedIn, id: u64) -> Result<Option<String>> {
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || service::reset_password(&app, &actor, id, None)).await
}

async fn account_reset_submit(
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

async fn api_account_reset(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let secret = reset(&app, &s, path.into_inner()).await?;
    Ok(json(&serde_json::json!({"one_time_password": secret})))
}

// ---------------------------------------------------------------------------------------
// Working groups

async fn groups_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
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
    html(&GroupsPage {
        page: PageCtx::new(&app, &s.state, "groups-title", "groups"),
        groups,
        can_create,
    })
}

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
    create_group(
        &app,
        &s,
        NewGroup { name_kk: f.name_kk, name_ru: f.name_ru, members: split_logins(&f.members) },
    )
    .await?;
    Ok(see_other("/groups"))
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
    set_members(&app, &s, path.into_inner(), split_logins(&f.members)).await?;
    Ok(see_other("/groups"))
}

async fn api_groups(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let app2 = app.clone().into_inner();
    let actor = s.actor.clone();
    Ok(json(&blocking(move || service::groups(&app2, &actor)).await?))
}

async fn api_group_create(
    app: Data,
    s: SignedIn,
    body: web::Json<NewGroup>,
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
    body: web::Json<MembersBody>,
) -> Result<HttpResponse> {
    Ok(json(&set_members(&app, &s, path.into_inner(), body.into_inner().members).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_addresses_stay_on_this_portal() {
        assert_eq!(safe_next("/directory?q=a"), "/directory?q=a");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
    }
}
