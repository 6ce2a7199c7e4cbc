//! Liveness and readiness for monitoring (I617 §24–§25), with the search index's lag.
//! Unauthenticated by design, logged like every request.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::request::Visitor;
use crate::app::App;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(readyz));
}

async fn healthz(visitor: Visitor) -> HttpResponse {
    visitor.actor.origin.set_operation("health.live");
    HttpResponse::Ok().json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn readyz(app: web::Data<App>, visitor: Visitor) -> HttpResponse {
    visitor.actor.origin.set_operation("health.ready");
    let app = app.into_inner();
    let checks = web::block(move || {
        let database = app.db.read().is_ok();
        let space = app.blobs.space();
        let disk = space.is_some_and(|s| s.room());
        let free = space.map(|s| s.free_mb);
        (database, free, disk, app.config.storage.disk_floor_mb, Some(app.search.status()))
    })
    .await;
    let (database, free, disk, floor, search) = checks.unwrap_or((false, None, false, 0, None));
    let ready = database && disk;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {
            "database": if database { "ok" } else { "failed" },
            "disk": {"status": if disk { "ok" } else { "low" }, "free_mb": free, "floor_mb": floor},
            // Index lag (I385 §6.6 freshness): documents waiting to be indexed and the age of
            // the oldest. Informational: a lagging index does not make the portal unready.
            "search": search,
        }
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
