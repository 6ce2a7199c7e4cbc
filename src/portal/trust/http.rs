//! Routes of trust administration (I385 §57, §6.8): the trust store page (CAs and CRLs,
//! adding them by upload, the scheduled CRL fetch), registration certificates (register
//! for a person, confirm, revoke, destroy), a person's own certificates (ask to register,
//! revoke), and the same listings as `/api/v1` JSON.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::pages::*;
use crate::app::App;
use crate::auth::policy::{Action, Object, decide};
use crate::error::{Code, Error, Result};
use crate::sign::service as sign;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, done, json};
use crate::web::request::SignedIn;
use crate::web::{blocking, form, limits};

type Data = web::Data<App>;

/// A certificate or a CA bundle.
const MAX_CERT: usize = 1024 * 1024;
/// A national CRL runs to tens of megabytes.
const MAX_CRL: usize = 128 * 1024 * 1024;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/admin/trust", web::get().to(trust_page))
        .route("/admin/trust/cas", web::post().to(add_ca))
        .route("/admin/trust/crls", web::post().to(add_crl))
        .route("/admin/trust/cas/{fp}/remove", web::post().to(remove_ca))
        .route("/admin/trust/fetch", web::post().to(fetch_now))
        .route("/admin/certificates", web::get().to(certificates_page))
        .route("/admin/certificates", web::post().to(register_for))
        .route("/admin/certificates/{fp}/confirm", web::post().to(confirm))
        .route("/admin/certificates/{fp}/revoke", web::post().to(revoke))
        .route("/admin/certificates/{fp}/destroy", web::post().to(destroy))
        .route("/certificates", web::get().to(my_page))
        .route("/certificates", web::post().to(request_own))
        .route("/certificates/{fp}/revoke", web::post().to(revoke_own))
        .route("/api/v1/trust", web::get().to(api_trust))
        .route("/api/v1/certificates", web::get().to(api_certificates));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

/// Reads a multipart form (uploads of certificates and CRLs) into memory, within `limit`.
async fn multipart(
    app: &Data,
    payload: Multipart,
    limit: usize,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let max_parts = app.config.server.max_parts_per_request;
    let parts = limits::small_form(payload, max_parts, limit, "limit-upload-file", limit >> 20);
    Ok(parts.await?.into_iter().filter(|(name, _)| name != "csrf").collect())
}

fn file(fields: &BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>> {
    fields
        .get("file")
        .filter(|b| !b.is_empty())
        .cloned()
        .ok_or_else(|| Error::invalid("file", "field-required"))
}

// ---------------------------------------------------------------------------------------
// The trust store

async fn trust_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    trust_form(&app, &s, Form::new("")).await
}

/// The trust store; `f` is a refused form (`ca`, `crl`, or `remove`/`fetch` for the reason
/// a button's action was refused).
async fn trust_form(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let (a, actor) = (arc(app), s.actor.clone());
    let (listing, fetches) = blocking(move || {
        Ok((sign::trust_listing(&a, &actor)?, crate::ops::crl_fetch::fetches(&a)?))
    })
    .await?;
    let now = crate::clock::now();
    let page = TrustPage {
        page: PageCtx::new(app, &s.state, "trust-title", "trust"),
        cas: listing.cas.into_iter().map(|c| CaRow::new(c, now)).collect(),
        crls: listing.crls.into_iter().map(|c| CrlRow::new(c, now)).collect(),
        fetches,
        crl_urls: app.config.signatures.crl_urls.clone(),
        can_manage: decide(&s.actor, Action::TrustManage, Object::Appliance),
        can_view_certificates: decide(&s.actor, Action::CertificateView, Object::Appliance),
        f,
    };
    forms::page(&page, &page.f)
}

const CA_FIELDS: &[Field] = &[Field::new("file", "trust-add-ca")];
const CRL_FIELDS: &[Field] = &[Field::new("file", "trust-add-crl")];

/// A refused upload of the trust page: the page again with the reason by the file field
/// (the reasons about certificates and CRLs are about the file).
async fn refused_upload(
    app: &Data,
    s: &SignedIn,
    id: &'static str,
    fields: &[Field],
    e: Error,
) -> Result<HttpResponse> {
    let e = if e.field.is_none() { e.with_field("file") } else { e };
    let f = Form::new(id).refuse(&app.i18n, s.state.lang, e, fields)?;
    trust_form(app, s, f).await
}

async fn add_ca(app: Data, s: SignedIn, payload: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let (a, actor) = (arc(&app), s.actor.clone());
    let result = match multipart(&app, payload, MAX_CERT).await.and_then(|f| file(&f)) {
        Ok(bytes) => blocking(move || sign::add_cas(&a, &actor, &bytes)).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done("/admin/trust#cas", "done-trust-ca")),
        Err(e) => refused_upload(&app, &s, "ca", CA_FIELDS, e).await,
    }
}

async fn add_crl(app: Data, s: SignedIn, payload: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let (a, actor) = (arc(&app), s.actor.clone());
    let result = match multipart(&app, payload, MAX_CRL).await.and_then(|f| file(&f)) {
        Ok(bytes) => {
            blocking(move || {
                let (record, new) = sign::add_crl(&a, &actor, &bytes)?;
                if new {
                    crate::portal::documents::revocations::crl_installed(
                        &a,
                        &actor,
                        &record.sha256,
                    )?;
                }
                Ok(())
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done("/admin/trust#crls", "done-trust-crl")),
        Err(e) => refused_upload(&app, &s, "crl", CRL_FIELDS, e).await,
    }
}

async fn remove_ca(app: Data, s: SignedIn, path: web::Path<String>) -> Result<HttpResponse> {
    let (a, actor, fp) = (arc(&app), s.actor.clone(), path.into_inner());
    match blocking(move || sign::remove_ca(&a, &actor, &fp)).await {
        Ok(_) => Ok(done("/admin/trust#cas", "done-trust-removed")),
        Err(e) => {
            let f = Form::new("remove").refuse(&app.i18n, s.state.lang, e, CA_FIELDS)?;
            trust_form(&app, &s, f).await
        }
    }
}

async fn fetch_now(app: Data, s: SignedIn) -> Result<HttpResponse> {
    crate::auth::policy::require(&s.actor, Action::TrustManage, Object::Appliance)?;
    s.actor.origin.set_operation("trust.crl_fetch");
    let a = arc(&app);
    blocking(move || Ok(crate::ops::crl_fetch::run(&a))).await?;
    Ok(done("/admin/trust#fetch", "done-trust-fetched"))
}

async fn api_trust(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let (listing, fetches) = blocking(move || {
        Ok((sign::trust_listing(&a, &actor)?, crate::ops::crl_fetch::fetches(&a)?))
    })
    .await?;
    Ok(json(&serde_json::json!({"cas": listing.cas, "crls": listing.crls, "fetches": fetches})))
}

// ---------------------------------------------------------------------------------------
// Registration certificates

/// Registrations with their holders' names (`user`: one person, else everybody).
fn rows(
    app: &App,
    actor: &crate::actor::Actor,
    user: Option<u64>,
    lang: &str,
) -> Result<Vec<CertRow>> {
    let certs = sign::certificates(app, actor, user)?;
    let ids: Vec<u64> = certs.iter().map(|c| c.user_id).collect();
    let names: std::collections::HashMap<u64, (String, String)> =
        crate::portal::directory::service::user_names(app, &ids, lang)?
            .into_iter()
            .map(|(id, login, name)| (id, (login, name)))
            .collect();
    let mut rows: Vec<CertRow> = certs
        .into_iter()
        .map(|c| {
            let (login, name) = names.get(&c.user_id).cloned().unwrap_or_default();
            CertRow::new(c, login, name)
        })
        .collect();
    // Waiting requests first, then by holder.
    rows.sort_by(|a, b| (!a.pending(), &a.login).cmp(&(!b.pending(), &b.login)));
    Ok(rows)
}

async fn certificates_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    certificates_form(&app, &s, Form::new("")).await
}

/// The registrations; `f` is a refused form (`register`, or `revoke`/`destroy`/`confirm`
/// with the certificate's fingerprint in `fp`).
async fn certificates_form(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    let rows = blocking(move || rows(&a, &actor, None, lang)).await?;
    let page = CertificatesPage {
        page: PageCtx::new(app, &s.state, "certificates-title", "trust"),
        rows,
        can_manage: decide(&s.actor, Action::CertificateManage, Object::Appliance),
        f,
    };
    forms::page(&page, &page.f)
}

const CERT_FIELDS: &[Field] = &[
    Field::aliased("login", "field-login", &["user"]),
    Field::aliased("file", "certificate-file", &["certificate"]),
    Field::new("reason", "certificate-revoke-reason"),
    Field::new("confirm", "certificate-destroy"),
];

async fn register_for(app: Data, s: SignedIn, payload: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let fields = multipart(&app, payload, MAX_CERT).await;
    let login = fields
        .as_ref()
        .ok()
        .and_then(|f| f.get("login"))
        .map(|v| String::from_utf8_lossy(v).trim().to_owned())
        .unwrap_or_default();
    let (a, actor, who) = (arc(&app), s.actor.clone(), login.clone());
    let result = match fields.and_then(|f| file(&f)) {
        Ok(bytes) => {
            blocking(move || {
                let user = crate::portal::directory::service::user_by_login(&a, &actor, &who)
                    .map_err(|e| match e.code {
                        // An unknown login is a typing mistake, said by the field.
                        Code::NotFound => {
                            Error::invalid("login", "unknown-login").with_detail(who.clone())
                        }
                        _ if e.field.is_none() => e.with_field("login"),
                        _ => e,
                    })?;
                sign::register_certificate(&a, &actor, user.id, &bytes)
                    .map_err(|e| if e.field.is_none() { e.with_field("file") } else { e })
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done("/admin/certificates", "done-certificate-registered")),
        Err(e) => {
            let f = Form::new("register").set("login", login).refuse(
                &app.i18n,
                s.state.lang,
                e,
                CERT_FIELDS,
            )?;
            certificates_form(&app, &s, f).await
        }
    }
}

async fn confirm(app: Data, s: SignedIn, path: web::Path<String>) -> Result<HttpResponse> {
    let (a, actor, fp) = (arc(&app), s.actor.clone(), path.into_inner());
    let fp2 = fp.clone();
    match blocking(move || sign::confirm_certificate(&a, &actor, &fp2)).await {
        Ok(_) => Ok(done("/admin/certificates", "done-certificate-confirmed")),
        Err(e) => {
            let f = Form::new("confirm").set("fp", fp).refuse(
                &app.i18n,
                s.state.lang,
                e,
                CERT_FIELDS,
            )?;
            certificates_form(&app, &s, f).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokeForm {
    reason: String,
}

async fn revoke_with(app: &Data, s: &SignedIn, fp: String, body: &[u8]) -> Result<()> {
    let f: RevokeForm = form(body)?;
    if f.reason.trim().chars().count() < 5 {
        return Err(Error::invalid("reason", "reason-required"));
    }
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || sign::revoke_certificate(&a, &actor, &fp, &f.reason)).await?;
    Ok(())
}

async fn revoke(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let fp = path.into_inner();
    match revoke_with(&app, &s, fp.clone(), &body).await {
        Ok(()) => Ok(done("/admin/certificates", "done-certificate-revoked")),
        Err(e) => {
            let f = Form::posted("revoke", &body).set("fp", fp).refuse(
                &app.i18n,
                s.state.lang,
                e,
                CERT_FIELDS,
            )?;
            certificates_form(&app, &s, f).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DestroyForm {
    /// The page asks to tick a box: destruction cannot be undone.
    confirm: String,
}

async fn destroy(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let f: DestroyForm = form(&body)?;
    let fp = path.into_inner();
    let result = if f.confirm != "yes" {
        s.actor.origin.set_operation("certificate.destroy");
        Err(Error::invalid("confirm", "certificate-destroy-confirm"))
    } else {
        let (a, actor, fp) = (arc(&app), s.actor.clone(), fp.clone());
        blocking(move || sign::destroy_certificate(&a, &actor, &fp)).await.map(|_| ())
    };
    match result {
        Ok(()) => Ok(done("/admin/certificates", "done-certificate-destroyed")),
        Err(e) => {
            let f = Form::new("destroy").set("fp", fp).refuse(
                &app.i18n,
                s.state.lang,
                e,
                CERT_FIELDS,
            )?;
            certificates_form(&app, &s, f).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CertQuery {
    login: String,
}

async fn api_certificates(
    app: Data,
    s: SignedIn,
    q: web::Query<CertQuery>,
) -> Result<HttpResponse> {
    let (a, actor, login) = (arc(&app), s.actor.clone(), q.into_inner().login);
    let certs = blocking(move || {
        let user = if login.is_empty() {
            None
        } else {
            Some(crate::portal::directory::service::user_by_login(&a, &actor, &login)?.id)
        };
        sign::certificates(&a, &actor, user)
    })
    .await?;
    // The certificate bytes stay out of listings.
    let list: Vec<serde_json::Value> = certs
        .into_iter()
        .map(|c| {
            let mut v = serde_json::to_value(&c).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("der");
            }
            v
        })
        .collect();
    Ok(json(&serde_json::json!({"certificates": list})))
}

// ---------------------------------------------------------------------------------------
// One's own certificates

async fn my_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    my_form(&app, &s, Form::new("")).await
}

/// One's own certificates; `f` is a refused form (`request`, or `revoke` with `fp`).
async fn my_form(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let me = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    let rows = blocking(move || rows(&a, &actor, Some(me), lang)).await?;
    let page = MyCertificatesPage {
        page: PageCtx::new(app, &s.state, "my-certificates-title", "profile"),
        rows,
        f,
    };
    forms::page(&page, &page.f)
}

async fn request_own(app: Data, s: SignedIn, payload: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let me = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let (a, actor) = (arc(&app), s.actor.clone());
    let result = match multipart(&app, payload, MAX_CERT).await.and_then(|f| file(&f)) {
        Ok(bytes) => blocking(move || sign::register_certificate(&a, &actor, me, &bytes)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(record) if record.status == crate::sign::store::CertStatus::Active => {
            Ok(done("/certificates", "done-certificate-registered"))
        }
        Ok(_) => Ok(done("/certificates", "done-certificate-requested")),
        Err(e) => {
            let e = if e.field.is_none() { e.with_field("file") } else { e };
            let f = Form::new("request").refuse(&app.i18n, s.state.lang, e, CERT_FIELDS)?;
            my_form(&app, &s, f).await
        }
    }
}

async fn revoke_own(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let fp = path.into_inner();
    match revoke_with(&app, &s, fp.clone(), &body).await {
        Ok(()) => Ok(done("/certificates", "done-certificate-revoked")),
        Err(e) => {
            let f = Form::posted("revoke", &body).set("fp", fp).refuse(
                &app.i18n,
                s.state.lang,
                e,
                CERT_FIELDS,
            )?;
            my_form(&app, &s, f).await
        }
    }
}
