//! Routes of signing in and out (the page, the certificate sign-in over mutual TLS, the
//! `/api/v1/session` API) and of changing one's own password.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::http::{MeView, me_view};
use super::pages::*;
use super::signin;
use crate::actor::Who;
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::web::forms::{self, Field, Form};
use crate::web::pipeline::SignedInAs;
use crate::web::render::{PageCtx, done, html, json, see_other};
use crate::web::request::JsonObject;
use crate::web::request::{SignedInAny, Visitor};
use crate::web::{blocking, cookies, form};

type Data = web::Data<App>;

// ---------------------------------------------------------------------------------------
// Sign-in and sign-out

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LoginQuery {
    next: String,
    lang: String,
}

/// Only local paths are allowed as a return address (no open redirect).
pub(super) fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".into()
    }
}

/// The client certificate the TLS layer admitted on this connection, if any.
pub(super) fn presented(req: &HttpRequest) -> Option<Vec<u8>> {
    req.conn_data::<crate::web::client_cert::ClientCertificate>()
        .and_then(|c| c.end_entity().map(<[u8]>::to_vec))
}

pub(super) fn presented_subject(req: &HttpRequest) -> Option<String> {
    let der = presented(req)?;
    crate::sign::x509::Cert::from_der(&der).ok().map(|c| c.summary().subject)
}

pub(super) async fn login_page(
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
    // A language picked on this page (a link here, or earlier) is the one the person wants.
    let chosen = crate::i18n::supported(&q.lang).is_some()
        || req.cookie(cookies::LANG).is_some_and(|c| crate::i18n::supported(c.value()).is_some());
    let page = LoginPage {
        page: PageCtx::new(&app, &v.state, "login-title", "login"),
        pre_token: pre_token.clone(),
        login: String::new(),
        error: None,
        next: safe_next(&q.next),
        certificate: presented_subject(&req),
        chosen_lang: chosen.then_some(v.state.lang),
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
pub(super) struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    next: String,
    /// The language chosen on the page, to become the profile's.
    lang: String,
}

pub(super) async fn login_submit(
    app: Data,
    v: Visitor,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    v.actor.origin.set_operation("session.create");
    let f: LoginForm = form(&body)?;
    check_pre_session(&req, &f.csrf)?;
    let app2 = app.clone().into_inner();
    let actor = v.actor.clone();
    let ip = v.state.client_ip;
    let (login, password, lang) = (f.login.clone(), f.password.clone(), f.lang.clone());
    let result = blocking(move || {
        let lang = (!lang.is_empty()).then_some(lang.as_str());
        signin::sign_in_in_language(&app2, &actor, ip, &login, &password, lang)
    })
    .await;
    let chosen = crate::i18n::supported(&f.lang);
    login_outcome(&app, &v, &req, result, &f.login, &f.next, chosen)
}

/// After a sign-in attempt from the page: the session cookie and a redirect, or the page
/// again with the explanation.
pub(super) fn login_outcome(
    app: &Data,
    v: &Visitor,
    req: &HttpRequest,
    result: Result<signin::SignedIn>,
    login: &str,
    next: &str,
    chosen_lang: Option<&'static str>,
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
                chosen_lang,
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
pub(super) struct CertificateLoginForm {
    csrf: String,
    next: String,
}

/// "Sign in with my certificate" on the page (mutual TLS).
pub(super) async fn login_certificate_submit(
    app: Data,
    v: Visitor,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    v.actor.origin.set_operation("session.create");
    let f: CertificateLoginForm = form(&body)?;
    check_pre_session(&req, &f.csrf)?;
    let (app2, actor, ip, cert) =
        (app.clone().into_inner(), v.actor.clone(), v.state.client_ip, presented(&req));
    let result =
        blocking(move || signin::sign_in_with_certificate(&app2, &actor, ip, cert.as_deref()))
            .await;
    login_outcome(&app, &v, &req, result, "", &f.next, None)
}

/// `POST /api/v1/session/certificate`: a session for the certificate of this connection.
pub(super) async fn api_sign_in_certificate(
    app: Data,
    v: Visitor,
    req: HttpRequest,
) -> Result<HttpResponse> {
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

/// A sign-in form carries the token of the pre-session cookie set with the page: a form
/// posted from elsewhere (login CSRF) has none.
fn check_pre_session(req: &HttpRequest, csrf: &str) -> Result<()> {
    let pre = req.cookie(cookies::PRE_SESSION).map(|c| c.value().to_owned()).unwrap_or_default();
    if pre.is_empty() || !constant_eq(&pre, csrf) {
        return Err(Error::new(Code::CsrfFailed));
    }
    Ok(())
}

pub(super) fn constant_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub(super) async fn logout_submit(app: Data, s: SignedInAny) -> Result<HttpResponse> {
    end_session(&app, &s).await?;
    let mut res = see_other("/login");
    res.add_cookie(&cookies::session_removal(s.state.secure)).map_err(Error::internal)?;
    Ok(res)
}

pub(super) async fn end_session(app: &Data, s: &SignedInAny) -> Result<()> {
    let key =
        s.state.session.as_ref().map(|v| v.key).ok_or_else(|| Error::new(Code::Unauthenticated))?;
    let app = app.clone().into_inner();
    let actor = s.actor.clone();
    blocking(move || signin::sign_out(&app, &actor, key)).await
}

#[derive(Deserialize)]
pub(super) struct ApiLogin {
    login: String,
    password: String,
}

#[derive(Serialize)]
pub(super) struct SessionAnswer {
    csrf: String,
    must_change_password: bool,
    user: MeView,
}

pub(super) async fn api_sign_in(
    app: Data,
    v: Visitor,
    req: HttpRequest,
    body: JsonObject<ApiLogin>,
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

pub(super) async fn api_sign_out(app: Data, s: SignedInAny) -> Result<HttpResponse> {
    end_session(&app, &s).await?;
    let mut res = json(&serde_json::json!({"signed_out": true}));
    res.add_cookie(&cookies::session_removal(s.state.secure)).map_err(Error::internal)?;
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PasswordChange {
    current_password: String,
    new_password: String,
    confirm_password: Option<String>,
    csrf: String,
}

pub(super) async fn change_password(
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

pub(super) async fn api_password(
    app: Data,
    s: SignedInAny,
    body: JsonObject<PasswordChange>,
) -> Result<HttpResponse> {
    let session = change_password(&app, &s, body.into_inner()).await?;
    let mut res = json(&serde_json::json!({"csrf": session.csrf}));
    res.add_cookie(&cookies::session(&session.token, s.state.secure)).map_err(Error::internal)?;
    Ok(res)
}

pub(super) async fn password_page(app: Data, s: SignedInAny) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.password");
    password_form(&app, &s, Form::new("password"))
}

fn password_form(app: &Data, s: &SignedInAny, f: Form) -> Result<HttpResponse> {
    let forced = s.actor.user().is_some_and(|u| u.must_change_password);
    let page = PasswordPage {
        page: PageCtx::new(app, &s.state, "password-title", "profile"),
        forced,
        min_len: app.config.login.min_password_length,
        f,
    };
    forms::page(&page, &page.f)
}

const PASSWORD_FIELDS: &[Field] = &[
    Field::new("current_password", "field-current-password"),
    Field::aliased("new_password", "field-new-password", &["password"]),
    Field::new("confirm_password", "field-confirm-password"),
];

pub(super) async fn password_submit(
    app: Data,
    s: SignedInAny,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let p: PasswordChange = form(&body)?;
    match change_password(&app, &s, p).await {
        Ok(session) => {
            let mut res = done("/profile", "done-password-changed");
            res.add_cookie(&cookies::session(&session.token, s.state.secure))
                .map_err(Error::internal)?;
            Ok(res)
        }
        Err(e) => {
            // Which field a refusal is about, when the service does not say.
            let e = match (e.field.is_none(), e.code) {
                (true, Code::InvalidCredentials) => e.with_field("current_password"),
                (true, Code::WeakPassword) => e.with_field("new_password"),
                _ => e,
            };
            // Passwords are never sent back into the page.
            let f = Form::new("password").refuse(&app.i18n, s.state.lang, e, PASSWORD_FIELDS)?;
            password_form(&app, &s, f)
        }
    }
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
