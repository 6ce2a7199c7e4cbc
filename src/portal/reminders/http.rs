//! Routes of the reminders: `/api/v1/reminders/...` JSON and the `/reminders` pages over
//! the same services. The import route authenticates its connector itself — a bearer
//! token or its registered client certificate over mutual TLS — since a connector has no browser session (and so no CSRF token); a signed-in
//! person reaching it is refused by the policy like any other forbidden step.

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;

use super::import::{self, Submission};
use super::model::Source;
use super::service::{self, Filter};
use super::{refresh, store};
use crate::actor::{Actor, Who};
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::web::blocking;
use crate::web::render::json;
use crate::web::render::{XLSX, download};
use crate::web::request::{SignedIn, Visitor};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/reminders", web::get().to(super::pages::list_page))
        .route("/reminders/imports", web::get().to(super::pages::imports_page))
        .route("/reminders/{id}", web::get().to(super::pages::instruction_page))
        .route("/api/v1/reminders", web::get().to(api_list))
        .route("/api/v1/reminders/import", web::post().to(api_import))
        .route("/api/v1/reminders/imports", web::get().to(api_imports))
        .route("/api/v1/reminders/refresh", web::post().to(api_refresh))
        .route("/api/v1/reminders/export.xlsx", web::get().to(api_export_xlsx))
        .route("/api/v1/reminders/export.csv", web::get().to(api_export_csv))
        // Digits only: `import` and `refresh` (POST) are no ids, and a GET there is 405.
        .route("/api/v1/reminders/{id:\\d+}", web::get().to(api_instruction));
}

pub(super) fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

pub(super) async fn list(app: &Data, s: &SignedIn, filter: Filter) -> Result<Vec<service::View>> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::list(&a, &actor, &filter)).await
}

async fn api_list(app: Data, s: SignedIn, q: web::Query<Filter>) -> Result<HttpResponse> {
    let items = list(&app, &s, q.into_inner()).await?;
    Ok(json(&serde_json::json!({"reminders": items})))
}

async fn api_instruction(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    Ok(json(&blocking(move || service::instruction(&a, &actor, id)).await?))
}

async fn export(app: &Data, s: &SignedIn, filter: Filter) -> Result<crate::report::Table> {
    let views = list(app, s, filter).await?;
    let (i18n_app, lang) = (arc(app), s.state.lang);
    Ok(service::table(&views, &|k| i18n_app.i18n.text(lang, k)))
}

async fn api_export_xlsx(app: Data, s: SignedIn, q: web::Query<Filter>) -> Result<HttpResponse> {
    let table = export(&app, &s, q.into_inner()).await?;
    let bytes = blocking(move || crate::report::xlsx::write(&table)).await?;
    Ok(download(bytes, XLSX, "reminders.xlsx"))
}

async fn api_export_csv(app: Data, s: SignedIn, q: web::Query<Filter>) -> Result<HttpResponse> {
    let table = export(&app, &s, q.into_inner()).await?;
    let bytes = crate::report::csv::write(&table)?;
    Ok(download(bytes, "text/csv; charset=utf-8", "reminders.csv"))
}

async fn api_imports(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    Ok(json(&blocking(move || service::administration(&a, &actor)).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SourceQuery {
    pub source: String,
}

fn source_of(s: &str) -> Result<Option<Source>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    Source::parse(s).map(Some).ok_or_else(|| {
        Error::invalid("source", "reminders-error-source")
            .with_detail(s.chars().take(80).collect::<String>())
    })
}

async fn api_refresh(app: Data, s: SignedIn, q: web::Query<SourceQuery>) -> Result<HttpResponse> {
    let sources = match source_of(&q.source)? {
        Some(s) => vec![s],
        None => Source::ALL.to_vec(),
    };
    let (a, actor) = (arc(&app), s.actor.clone());
    let states = blocking(move || {
        sources
            .into_iter()
            .map(|src| refresh::refresh_now(&a, &actor, src).map(|st| (src, st)))
            .collect::<Result<Vec<(Source, store::RefreshState)>>>()
    })
    .await?;
    let body: serde_json::Map<String, serde_json::Value> = states
        .into_iter()
        .map(|(src, st)| (src.name().to_owned(), serde_json::to_value(st).unwrap_or_default()))
        .collect();
    Ok(json(&body))
}

/// Who pushes the batch: a connector's bearer token, or (to be refused by the policy
/// unless they hold the connector role) whoever is signed in.
fn pusher(app: &App, v: &Visitor, req: &HttpRequest) -> Result<Actor> {
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")));
    let certificate =
        req.conn_data::<crate::web::client_cert::ClientCertificate>().and_then(|c| c.end_entity());
    match bearer {
        Some(token) => import::connector_by_token(app, v.actor.origin.clone(), token),
        None if matches!(v.state.who, Who::User(_)) => Ok(v.actor.clone()),
        // A connector on mutual TLS: its registered client certificate on this connection.
        None if certificate.is_some() => import::connector_by_certificate(
            app,
            v.actor.origin.clone(),
            certificate.unwrap_or(&[]),
        ),
        None => Err(Error::new(v.state.session_problem.unwrap_or(Code::Unauthenticated))),
    }
}

async fn api_import(
    app: Data,
    v: Visitor,
    req: HttpRequest,
    q: web::Query<SourceQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    v.actor.origin.set_operation(crate::auth::policy::ReminderAction::Import.name());
    let actor = pusher(&app, &v, &req)?;
    let source = source_of(&q.source)?;
    let max = app.config.reminders.max_import_bytes();
    let mut bytes = web::BytesMut::new();
    let mut size: u64 = 0;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| Error::new(Code::InvalidInput).with_detail(e.to_string()))?;
        size += chunk.len() as u64;
        if size > max {
            // Stop reading: the import logs the batch as too large.
            bytes.clear();
            break;
        }
        bytes.extend_from_slice(&chunk);
    }
    let a = arc(&app);
    let log = blocking(move || {
        let submission =
            Submission { source, bytes: &bytes, size, channel: "http", file: String::new() };
        import::import(&a, &actor, submission)
    })
    .await?;
    Ok(json(&log))
}
