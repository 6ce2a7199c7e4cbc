//! Routes for signatures on document versions (I385 §57–§59): the manifest to sign, giving
//! a signature (API body, NCALayer's base64, or a `.p7s`/`.cms` file from the page's form
//! without JavaScript), the list with standings, and the evidence package.

use std::io::Read;

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{evidence, signatures};
use crate::app::App;
use crate::error::{Error, Result};
use crate::web::forms::{Field, Form};
use crate::web::render::{created, done, json};
use crate::web::request::SignedIn;
use crate::web::{blocking, limits};

type Data = web::Data<App>;

/// A CMS signature with its certificate chain is a few kilobytes; NCALayer's base64 a
/// third more.
const MAX_SIGNATURE: usize = 256 * 1024;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/documents/{id}/versions/{n}/manifest", web::get().to(manifest))
        .route("/documents/{id}/versions/{n}/signatures", web::post().to(sign_form))
        .route("/documents/{id}/versions/{n}/evidence", web::get().to(evidence_package))
        .route("/api/v1/documents/{id}/versions/{n}/manifest", web::get().to(manifest))
        .route("/api/v1/documents/{id}/versions/{n}/signatures", web::get().to(api_signatures))
        .route("/api/v1/documents/{id}/versions/{n}/signatures", web::post().to(api_sign))
        .route("/api/v1/documents/{id}/versions/{n}/evidence", web::get().to(evidence_package));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ManifestQuery {
    /// `?download=1`: as a file rather than shown in the browser.
    download: Option<String>,
}

async fn manifest(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u32)>,
    q: web::Query<ManifestQuery>,
) -> Result<HttpResponse> {
    let (id, n) = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    let bytes = blocking(move || signatures::manifest(&a, &actor, id, n)).await?;
    let kind = if q.download.is_some() { "attachment" } else { "inline" };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("{kind}; filename=\"manifest-{id}-v{n}.txt\""),
        ))
        .body(bytes))
}

async fn api_signatures(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u32)>,
) -> Result<HttpResponse> {
    let (id, n) = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    let list = blocking(move || signatures::list(&a, &actor, id, n)).await?;
    Ok(json(&serde_json::json!({"signatures": list})))
}

async fn submit(
    app: &Data,
    s: &SignedIn,
    id: u64,
    n: u32,
    body: Vec<u8>,
) -> Result<signatures::SignatureView> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || signatures::submit(&a, &actor, id, n, &body, "")).await
}

/// The body is the CMS: DER (`application/pkcs7-signature`), PEM, or its base64 (as
/// NCALayer returns it).
async fn api_sign(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u32)>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let (id, n) = path.into_inner();
    s.actor.origin.set_success_status(201);
    let view = submit(&app, &s, id, n, body.to_vec()).await?;
    Ok(created(&view))
}

/// The page's form without JavaScript: a multipart upload whose `signature` field holds a
/// `.p7s`/`.cms` file (the CSRF token is its first field). A refused signature comes back
/// on the document page with the reason by the field.
async fn sign_form(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u32)>,
    payload: Multipart,
) -> Result<HttpResponse> {
    let (id, n) = path.into_inner();
    s.actor.origin.set_success_status(303);
    let result = match read_signature(&app, payload).await {
        Ok(body) => submit(&app, &s, id, n, body).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(&format!("/documents/{id}?version={n}#signatures"), "done-signed")),
        Err(e) => {
            let e = if e.field.is_none() { e.with_field("signature") } else { e };
            let fields = [Field::new("signature", "signatures-upload")];
            let f = Form::new("sign").refuse(&app.i18n, s.state.lang, e, &fields)?;
            super::http::view_form(&app, &s, id, Some(n), f).await
        }
    }
}

/// The `signature` file of the page's form.
async fn read_signature(app: &Data, payload: Multipart) -> Result<Vec<u8>> {
    let max_parts = app.config.server.max_parts_per_request;
    let cap = MAX_SIGNATURE;
    let parts = limits::small_form(payload, max_parts, cap, "limit-signature-file", cap / 1024);
    let signature = parts.await?.into_iter().find(|(name, _)| name == "signature").map(|(_, b)| b);
    signature.filter(|b| !b.is_empty()).ok_or_else(|| Error::invalid("signature", "field-required"))
}

async fn evidence_package(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u32)>,
) -> Result<HttpResponse> {
    let (id, n) = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    let package = blocking(move || evidence::export(&a, &actor, id, n)).await?;
    let (tx, rx) = flume::bounded::<std::result::Result<web::Bytes, std::io::Error>>(4);
    let mut file = package.file;
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => {
                    if tx.send(Ok(web::Bytes::copy_from_slice(&buf[..k]))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    break;
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(crate::sign::package::MIMETYPE)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}\"", package.name),
        ))
        .insert_header(("x-content-sha256", package.sha256))
        .no_chunking(package.size)
        .streaming(rx.into_stream()))
}
