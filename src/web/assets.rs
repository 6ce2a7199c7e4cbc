//! Static assets compiled into the binary (CSS and the small script). Served with a
//! content hash as ETag so browsers revalidate cheaply.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::request::Visitor;
use crate::error::Error;

const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../web/static/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../web/static/app.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../web/static/favicon.svg")),
];

fn etags() -> &'static Vec<String> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|(_, _, b)| format!("\"{}\"", &hex::encode(Sha256::digest(b))[..16]))
            .collect()
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{name}", web::get().to(asset));
}

async fn asset(
    req: HttpRequest,
    name: web::Path<String>,
    visitor: Visitor,
) -> Result<HttpResponse, Error> {
    visitor.actor.origin.set_operation("static.read");
    let index =
        ASSETS.iter().position(|(n, _, _)| *n == name.as_str()).ok_or_else(Error::not_found)?;
    let (_, mime, bytes) = ASSETS[index];
    let etag = &etags()[index];
    let cache = ("cache-control", "public, max-age=3600");
    if req.headers().get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(HttpResponse::NotModified()
            .insert_header(cache)
            .insert_header(("etag", etag.clone()))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header(cache)
        .insert_header(("etag", etag.clone()))
        .body(bytes))
}
