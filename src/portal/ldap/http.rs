//! Routes of the directories' settings (I617 §20–§21), for the system administrator: the
//! page `/admin/directory-sync` (settings as configured, the last synchronisation of each
//! agency) with "synchronise now", and the same as `/api/v1/directory-sync`.

use actix_web::{HttpResponse, web};

use super::pages::{DirectoryView, SettingsPage};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DirectorySyncAction, Object, decide, require};
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{PageCtx, done, html, json};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/directory-sync", web::get().to(settings_page))
        .route("/admin/directory-sync", web::post().to(run_now))
        .route("/api/v1/directory-sync", web::get().to(api_settings))
        .route("/api/v1/directory-sync", web::post().to(api_run_now));
}

/// The configured directories with their last runs, for someone allowed to see them.
fn views(app: &App, actor: &Actor) -> Result<Vec<DirectoryView>> {
    require(actor, Action::DirectorySync(DirectorySyncAction::View), Object::Appliance)?;
    let runs = super::store::last_runs(app)?;
    Ok(app
        .config
        .directory
        .agencies
        .iter()
        .map(|(code, d)| DirectoryView::new(code, d, &runs))
        .collect())
}

/// Synchronises every directory now, as the person asking (the policy decides).
fn run(app: &App, actor: &Actor) -> Result<Vec<super::sync::Report>> {
    require(actor, Action::DirectorySync(DirectorySyncAction::Run), Object::Appliance)?;
    Ok(super::sync::run_all(app, actor, "manual"))
}

async fn settings_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (app.clone().into_inner(), s.actor.clone());
    let directories = blocking(move || views(&a, &actor)).await?;
    let page = SettingsPage {
        page: PageCtx::new(&app, &s.state, "ldap-title", "ldap"),
        directories,
        interval_minutes: app.config.directory.sync_interval_seconds / 60,
        timeout_seconds: app.config.directory.timeout_seconds,
        can_run: decide(
            &s.actor,
            Action::DirectorySync(DirectorySyncAction::Run),
            Object::Appliance,
        ),
    };
    html(&page)
}

async fn run_now(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let (a, actor) = (app.into_inner(), s.actor.clone());
    blocking(move || run(&a, &actor)).await?;
    Ok(done("/admin/directory-sync", "done-ldap-synchronised"))
}

async fn api_settings(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (app.clone().into_inner(), s.actor.clone());
    let directories = blocking(move || views(&a, &actor)).await?;
    Ok(json(&serde_json::json!({
        "sync_interval_seconds": app.config.directory.sync_interval_seconds,
        "timeout_seconds": app.config.directory.timeout_seconds,
        "directories": directories,
    })))
}

/// Each report carries `error_key` and its translated `message` when the run failed.
async fn api_run_now(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (app.clone().into_inner(), s.actor.clone());
    let reports = blocking(move || run(&a, &actor)).await?;
    let lang = s.state.lang;
    let runs: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Some(key) = &r.error_key {
                v["message"] = app.i18n.text(lang, key).into();
            }
            v
        })
        .collect();
    Ok(json(&serde_json::json!({ "runs": runs })))
}
