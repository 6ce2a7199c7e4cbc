//! The auditor's viewer (R365 §7, I617 §22): filter the access log — by part of a login,
//! an agency code or a role name in any letter case, by operation area and outcome chosen
//! in words — page through it at 1024 px, export it as CSV with headers in the reader's
//! language and Astana time like the page.

use std::collections::BTreeSet;

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

use super::words;

const PAGE: usize = 100;
const EXPORT_MAX: usize = 1_000_000;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/audit", web::get().to(viewer))
        .route("/audit/export.csv", web::get().to(export_csv))
        .route("/api/v1/audit", web::get().to(api_entries));
}

/// Query string of the viewer. Numbers arrive as text (empty form fields are allowed).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct RawQuery {
    user: Option<String>,
    role: Option<String>,
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
    role: String,
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
                actor_ids: None,
            },
            role: r.role.unwrap_or_default().trim().to_owned(),
            before: r.before.and_then(|b| b.trim().parse().ok()),
            limit: r.limit.and_then(|l| l.trim().parse().ok()),
        }
    }
}

/// One entry as the auditor reads it.
struct Row {
    seq: u64,
    time: String,
    time_utc: String,
    actor: String,
    agency: String,
    ip: String,
    operation: String,
    operation_code: String,
    method: String,
    resource: String,
    outcome: String,
    outcome_code: String,
    status: u16,
}

fn row(app: &App, lang: &str, e: &Entry) -> Row {
    Row {
        seq: e.seq,
        time: astana_seconds(&e.time),
        time_utc: e.time.clone(),
        actor: e.actor.clone(),
        agency: e.agency.clone().unwrap_or_default(),
        ip: e.ip.clone(),
        operation: words::operation(&app.i18n, lang, &e.operation),
        operation_code: e.operation.clone(),
        method: e.method.clone(),
        resource: e.resource.clone(),
        outcome: words::outcome(&app.i18n, lang, &e.outcome),
        outcome_code: e.outcome.clone(),
        status: e.status,
    }
}

/// A stored UTC time in Astana time with seconds (log entries a second apart must read
/// apart): `22.11.2026 11:56:07`.
fn astana_seconds(utc: &str) -> String {
    crate::clock::parse(utc)
        .map(|t| t.to_zoned(crate::clock::astana()).strftime("%d.%m.%Y %H:%M:%S").to_string())
        .unwrap_or_else(|| utc.to_owned())
}

#[derive(Template)]
#[template(path = "accesslog/viewer.html")]
struct Viewer<'a> {
    page: PageCtx<'a>,
    filter: Filter,
    role: String,
    /// (value, words) of the operation areas and the outcomes, for the drop-downs.
    areas: Vec<(String, String)>,
    outcomes: Vec<(String, String)>,
    rows: Vec<Row>,
    next_before: Option<u64>,
    export_query: String,
}

/// The accounts holding a role whose code or name (in `lang`) contains `part`, any case;
/// `None` when no role is asked for.
fn role_holders(app: &App, lang: &str, part: &str) -> Result<Option<BTreeSet<u64>>> {
    if part.is_empty() {
        return Ok(None);
    }
    let part = part.to_lowercase();
    let users = crate::portal::directory::service::every_user_by_id(app)?;
    let matches = |role: &crate::auth::roles::Role| {
        let code = role.name();
        let name = app.i18n.text(lang, &format!("role-{}", code.replace('_', "-")));
        code.to_lowercase().contains(&part) || name.to_lowercase().contains(&part)
    };
    Ok(Some(users.values().filter(|u| u.roles.iter().any(matches)).map(|u| u.id).collect()))
}

async fn entries(
    app: &web::Data<App>,
    s: &SignedIn,
    action: Action,
    mut q: ViewerQuery,
    limit: usize,
) -> Result<Vec<Entry>> {
    require(&s.actor, action, Object::Appliance)?;
    let app = app.clone().into_inner();
    let lang = s.state.lang;
    blocking(move || {
        q.filter.actor_ids = role_holders(&app, lang, &q.role)?;
        // Entries queued a moment ago are committed before we read.
        app.audit.flush_blocking();
        query::search(&app.db, &q.filter, q.before, limit)
    })
    .await
}

fn export_query(q: &ViewerQuery) -> String {
    let mut pairs = q.filter.as_pairs();
    if !q.role.is_empty() {
        pairs.push(("role", q.role.clone()));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

async fn viewer(app: web::Data<App>, s: SignedIn, q: web::Query<RawQuery>) -> Result<HttpResponse> {
    let q = ViewerQuery::from(q.into_inner());
    let list = entries(&app, &s, Action::AuditRead, q.clone(), PAGE).await?;
    let next_before = if list.len() == PAGE { list.last().map(|e| e.seq) } else { None };
    let lang = s.state.lang;
    let mut areas: Vec<(String, String)> =
        words::AREAS.iter().map(|a| (format!("{a}."), words::area(&app.i18n, lang, a))).collect();
    areas.sort_by(|a, b| a.1.cmp(&b.1));
    let outcomes = words::OUTCOMES
        .iter()
        .map(|o| ((*o).to_owned(), words::outcome(&app.i18n, lang, o)))
        .collect();
    html(&Viewer {
        page: PageCtx::new(&app, &s.state, "audit-title", "audit"),
        export_query: export_query(&q),
        role: q.role.clone(),
        filter: q.filter,
        areas,
        outcomes,
        rows: list.iter().map(|e| row(&app, lang, e)).collect(),
        next_before,
    })
}

/// The CSV's columns: header key and the cell of an entry (formula-like cells defused by
/// `query::csv_record`, whose order this follows).
const CSV_COLUMNS: [&str; 17] = [
    "audit-csv-seq",
    "audit-csv-time",
    "audit-csv-actor",
    "audit-csv-actor-id",
    "audit-csv-agency",
    "audit-csv-ip",
    "audit-csv-channel",
    "audit-csv-method",
    "audit-csv-route",
    "audit-csv-resource",
    "audit-csv-operation",
    "audit-csv-operation-code",
    "audit-csv-outcome",
    "audit-csv-status",
    "audit-csv-duration",
    "audit-csv-request",
    "audit-csv-detail",
];

fn write_csv(app: &App, lang: &str, entries: &[Entry]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = CSV_COLUMNS.iter().map(|k| app.i18n.text(lang, k)).collect();
    w.write_record(&header).map_err(crate::error::Error::internal)?;
    for e in entries {
        let [
            seq,
            _,
            actor,
            actor_id,
            agency,
            ip,
            channel,
            method,
            route,
            resource,
            op,
            _,
            status,
            duration,
            request,
            detail,
        ] = query::csv_record(e);
        w.write_record([
            seq,
            astana_seconds(&e.time),
            actor,
            actor_id,
            agency,
            ip,
            channel,
            method,
            route,
            resource,
            words::operation(&app.i18n, lang, &e.operation),
            op,
            words::outcome(&app.i18n, lang, &e.outcome),
            status,
            duration,
            request,
            detail,
        ])
        .map_err(crate::error::Error::internal)?;
    }
    w.into_inner().map_err(crate::error::Error::internal)
}

async fn export_csv(
    app: web::Data<App>,
    s: SignedIn,
    q: web::Query<RawQuery>,
) -> Result<HttpResponse> {
    let list =
        entries(&app, &s, Action::AuditExport, ViewerQuery::from(q.into_inner()), EXPORT_MAX)
            .await?;
    let body = write_csv(&app, s.state.lang, &list)?;
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
