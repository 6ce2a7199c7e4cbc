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
use crate::error::{Error, Result};
use crate::sign::service as sign;
use crate::web::render::{PageCtx, html, json, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form, limits};

type Data = web::Data<App>;

/// A certificate or a CA bundle.
const MAX_CERT: usize = 1024 * 1024;
/// A national CRL runs to tens of megabytes.
const MAX_CRL: usize = 128 * 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
}

/// The message shown after a change (only known ids; anything else shows nothing).
fn done_key(done: &str) -> Option<&'static str> {
    Some(match done {
        "ca" => "trust-done-ca",
        "crl" => "trust-done-crl",
        "removed" => "trust-done-removed",
        "fetched" => "trust-done-fetched",
        "registered" => "certificate-done-registered",
        "requested" => "certificate-done-requested",
        "confirmed" => "certificate-done-confirmed",
        "revoked" => "certificate-done-revoked",
        "destroyed" => "certificate-done-destroyed",
        _ => return None,
    })
}

/// Reads a multipart form (uploads of certificates and CRLs) into memory, within `limit`.
async fn multipart(
    app: &Data,
    payload: Multipart,
    limit: usize,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let max_parts = app.config.server.max_parts_per_request;
    let parts = limits::small_form(payload, max_parts, limit, "limit-upload-file", limit >> 20);
    Ok(parts.await?.into_iter().collect())
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

async fn trust_page(app: Data, s: SignedIn, q: web::Query<Done>) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let (listing, fetches) = blocking(move || {
        Ok((sign::trust_listing(&a, &actor)?, crate::ops::crl_fetch::fetches(&a)?))
    })
    .await?;
    let now = crate::clock::now();
    html(&TrustPage {
        page: PageCtx::new(&app, &s.state, "trust-title", "trust"),
        cas: listing.cas.into_iter().map(|c| CaRow::new(c, now)).collect(),
        crls: listing.crls.into_iter().map(|c| CrlRow::new(c, now)).collect(),
        fetches,
        crl_urls: app.config.signatures.crl_urls.clone(),
        can_manage: decide(&s.actor, Action::TrustManage, Object::Appliance),
        can_view_certificates: decide(&s.actor, Action::CertificateView, Object::Appliance),
        done: done_key(&q.done),
    })
}

async fn add_ca(app: Data, s: SignedIn, payload: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let bytes = file(&multipart(&app, payload, MAX_CERT).await?)?;
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || sign::add_cas(&a, &actor, &bytes)).await?;
    Ok(see_other("/admin/trust?done=ca"))
}

async fn add_crl(app: Data, s: SignedIn, payload: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let bytes = file(&multipart(&app, payload, MAX_CRL).await?)?;
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || {
        let (record, new) = sign::add_crl(&a, &actor, &bytes)?;
        if new {
            crate::portal::documents::revocations::crl_installed(&a, &actor, &record.sha256)?;
        }
        Ok(())
    })
    .await?;
    Ok(see_other("/admin/trust?done=crl"))
}

async fn remove_ca(app: Data, s: SignedIn, path: web::Path<String>) -> Result<HttpResponse> {
    let (a, actor, fp) = (arc(&app), s.actor.clone(), path.into_inner());
    blocking(move || sign::remove_ca(&a, &actor, &fp)).await?;
    Ok(see_other("/admin/trust?done=removed"))
}

async fn fetch_now(app: Data, s: SignedIn) -> Result<HttpResponse> {
    crate::auth::policy::require(&s.actor, Action::TrustManage, Object::Appliance)?;
    s.actor.origin.set_operation("trust.crl_fetch");
    let a = arc(&app);
    blocking(move || Ok(crate::ops::crl_fetch::run(&a))).await?;
    Ok(see_other("/admin/trust?done=fetched"))
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

async fn certificates_page(app: Data, s: SignedIn, q: web::Query<Done>) -> Result<HttpResponse> {
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let rows = blocking(move || rows(&a, &actor, None, lang)).await?;
    html(&CertificatesPage {
        page: PageCtx::new(&app, &s.state, "certificates-title", "trust"),
        rows,
        can_manage: decide(&s.actor, Action::CertificateManage, Object::Appliance),
        done: done_key(&q.done),
    })
}

async fn register_for(app: Data, s: SignedIn, payload: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let fields = multipart(&app, payload, MAX_CERT).await?;
    let bytes = file(&fields)?;
    let login = String::from_utf8_lossy(fields.get("login").map(Vec::as_slice).unwrap_or_default())
        .trim()
        .to_owned();
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || {
        let user = crate::portal::directory::service::user_by_login(&a, &actor, &login)?;
        sign::register_certificate(&a, &actor, user.id, &bytes)
    })
    .await?;
    Ok(see_other("/admin/certificates?done=registered"))
}

async fn confirm(app: Data, s: SignedIn, path: web::Path<String>) -> Result<HttpResponse> {
    let (a, actor, fp) = (arc(&app), s.actor.clone(), path.into_inner());
    blocking(move || sign::confirm_certificate(&a, &actor, &fp)).await?;
    Ok(see_other("/admin/certificates?done=confirmed"))
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
    revoke_with(&app, &s, path.into_inner(), &body).await?;
    Ok(see_other("/admin/certificates?done=revoked"))
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
    if f.confirm != "yes" {
        s.actor.origin.set_operation("certificate.destroy");
        return Err(Error::invalid("confirm", "certificate-destroy-confirm"));
    }
    let (a, actor, fp) = (arc(&app), s.actor.clone(), path.into_inner());
    blocking(move || sign::destroy_certificate(&a, &actor, &fp)).await?;
    Ok(see_other("/admin/certificates?done=destroyed"))
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

async fn my_page(app: Data, s: SignedIn, q: web::Query<Done>) -> Result<HttpResponse> {
    let me = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let rows = blocking(move || rows(&a, &actor, Some(me), lang)).await?;
    html(&MyCertificatesPage {
        page: PageCtx::new(&app, &s.state, "my-certificates-title", "profile"),
        rows,
        done: done_key(&q.done),
    })
}

async fn request_own(app: Data, s: SignedIn, payload: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let me = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let bytes = file(&multipart(&app, payload, MAX_CERT).await?)?;
    let (a, actor) = (arc(&app), s.actor.clone());
    let record = blocking(move || sign::register_certificate(&a, &actor, me, &bytes)).await?;
    let done = if record.status == crate::sign::store::CertStatus::Active {
        "registered"
    } else {
        "requested"
    };
    Ok(see_other(&format!("/certificates?done={done}")))
}

async fn revoke_own(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    revoke_with(&app, &s, path.into_inner(), &body).await?;
    Ok(see_other("/certificates?done=revoked"))
}
