//! The auditor's viewer: filter the access log, page through it, export it as CSV.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::App;
use crate::audit::Entry;
use crate::audit::query::{self, Filter};
use crate::auth::policy::{Action, Object, require};
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{PageCtx, html, json};
use crate::web::request::SignedIn;

const PAGE: usize = 100;
const EXPORT_MAX: usize = 1_000_000;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(viewer))
        .route("/audit/export.csv", web::get().to(export_csv))
        .route("/api/v1/audit", web::get().to(api_entries));
}

/// Query string of the viewer. Numbers arrive as text (empty form fields are allowed).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct RawQuery {
    user: Option<String>,
    agency: Option<String>,
    operation: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

#[derive(Clone)]
struct ViewerQuery {
    filter: Filter,
    before: Option<u64>,
    limit: Option<usize>,
}

impl From<RawQuery> for ViewerQuery {
    fn from(r: RawQuery) -> Self {
        ViewerQuery {
            filter: Filter {
                user: r.user,
                agency: r.agency,
                operation: r.operation,
                outcome: r.outcome,
                from: r.from,
                to: r.to,
            },
            before: r.before.and_then(|b| b.trim().parse().ok()),
            limit: r.limit.and_then(|l| l.trim().parse().ok()),
        }
    }
}

#[derive(Template)]
#[template(path = "accesslog/viewer.html")]
struct Viewer<'a> {
    page: PageCtx<'a>,
    filter: Filter,
    entries: Vec<Entry>,
    next_before: Option<u64>,
    export_query: String,
}

async fn entries(
    app: &web::Data<App>,
    s: &SignedIn,
    action: Action,
    q: ViewerQuery,
    limit: usize,
) -> Result<Vec<Entry>> {
    require(&s.actor, action, Object::Appliance)?;
    let app = app.clone().into_inner();
    blocking(move || {
        // Entries queued a moment ago are committed before we read.
        app.audit.flush_blocking();
        query::search(&app.db, &q.filter, q.before, limit)
    })
    .await
}

async fn viewer(app: web::Data<App>, s: SignedIn, q: web::Query<RawQuery>) -> Result<HttpResponse> {
    let q = ViewerQuery::from(q.into_inner());
    let list = entries(&app, &s, Action::AuditRead, q.clone(), PAGE).await?;
    let next_before = if list.len() == PAGE { list.last().map(|e| e.seq) } else { None };
    let export_query = serde_urlencoded::to_string(q.filter.as_pairs()).unwrap_or_default();
    html(&Viewer {
        page: PageCtx::new(&app, &s.state, "audit-title", "audit"),
        filter: q.filter,
        entries: list,
        next_before,
        export_query,
    })
}

async fn export_csv(
    app: web::Data<App>,
    s: SignedIn,
    q: web::Query<RawQuery>,
) -> Result<HttpResponse> {
    let list =
        entries(&app, &s, Action::AuditExport, ViewerQuery::from(q.into_inner()), EXPORT_MAX)
            .await?;
    let mut body = Vec::new();
    query::write_csv(&mut body, &list)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"ipgo-access-log.csv\""))
        .body(body))
}

async fn api_entries(
    app: web::Data<App>,
    s: SignedIn,
    q: web::Query<RawQuery>,
) -> Result<HttpResponse> {
    let q = ViewerQuery::from(q.into_inner());
    let limit = q.limit.unwrap_or(PAGE).clamp(1, 10_000);
    let list = entries(&app, &s, Action::AuditRead, q, limit).await?;
    Ok(json(&serde_json::json!({"entries": list})))
}
