//! The OpenAPI description of `/api/v1`, kept in `docs/openapi.json` and served as is.

use actix_web::{HttpResponse, web};

use super::request::Visitor;

const OPENAPI: &str = include_str!("../../docs/openapi.json");

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/api/v1/openapi.json", web::get().to(openapi));
}

async fn openapi(visitor: Visitor) -> HttpResponse {
    visitor.actor.origin.set_operation("api.describe");
    HttpResponse::Ok().content_type("application/json").body(OPENAPI)
}

/// Each path of the document as segments (`{id}` matches any one segment) with the methods
/// it declares, upper case.
static DECLARED: std::sync::LazyLock<Vec<(Vec<String>, Vec<String>)>> =
    std::sync::LazyLock::new(|| {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap_or_default();
        let Some(paths) = doc["paths"].as_object() else { return Vec::new() };
        paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = item
                    .as_object()
                    .map(|ops| {
                        ["get", "put", "post", "delete", "patch"]
                            .iter()
                            .filter(|m| ops.contains_key(**m))
                            .map(|m| m.to_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                (segments, methods)
            })
            .collect()
    });

/// The `Allow` header of a 405 for `path`: the methods the document declares for it (the
/// document names every `/api/v1` route; a test checks it). `None` for paths it does not
/// describe (pages).
pub fn allowed_methods(path: &str) -> Option<String> {
    let asked: Vec<&str> = path.split('/').collect();
    DECLARED
        .iter()
        .find(|(segments, _)| {
            segments.len() == asked.len()
                && segments
                    .iter()
                    .zip(&asked)
                    .all(|(s, a)| s == a || (s.starts_with('{') && !a.is_empty()))
        })
        .map(|(_, methods)| methods.join(", "))
        .filter(|m| !m.is_empty())
}
