//! The OpenAPI description of `/api/v1`, kept in `docs/openapi.json` and served as is.

use actix_web::{HttpResponse, web};

use super::request::Visitor;

const OPENAPI: &str = include_str!("../../docs/openapi.json");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/openapi.json", web::get().to(openapi));
}

async fn openapi(visitor: Visitor) -> HttpResponse {
    visitor.actor.origin.set_operation("api.describe");
    HttpResponse::Ok().content_type("application/json").body(OPENAPI)
}
