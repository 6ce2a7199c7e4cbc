//! Routes of the directories' settings (I617 §20–§21), for the system administrator: the
//! page `/admin/directory-sync` (settings as configured, the last synchronisation of each
//! agency) with "synchronise now", and the same as `/api/v1/directory-sync`.

use actix_web::{HttpResponse, web};

use super::pages::{DirectoryView, SettingsPage};
use super::settings::SettingsInput;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DirectorySyncAction, Object, decide, require};
use crate::error::Result;
use crate::web::blocking;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, done, json};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/admin/directory-sync", web::get().to(settings_page))
        .route("/admin/directory-sync", web::post().to(run_now))
        .route("/admin/directory-sync/settings", web::post().to(save_form))
        .route("/admin/directory-sync/settings/remove", web::post().to(remove_form))
        .route("/api/v1/directory-sync", web::get().to(api_settings))
        .route("/api/v1/directory-sync", web::post().to(api_run_now));
}

/// The configured directories with their last runs, for someone allowed to see them.
fn views(app: &App, actor: &Actor) -> Result<Vec<DirectoryView>> {
    require(actor, Action::DirectorySync(DirectorySyncAction::View), Object::Appliance)?;
    let runs = super::store::last_runs(app)?;
    Ok(super::settings::effective_with_source(app)?
        .iter()
        .map(|(code, (d, source))| DirectoryView::new(code, d, *source, &runs))
        .collect())
}

/// Synchronises every directory now, as the person asking (the policy decides).
fn run(app: &App, actor: &Actor) -> Result<Vec<super::sync::Report>> {
    require(actor, Action::DirectorySync(DirectorySyncAction::Run), Object::Appliance)?;
    Ok(super::sync::run_all(app, actor, "manual"))
}

const FIELDS: &[Field] = &[
    Field::new("agency", "ldap-settings-agency-label"),
    Field::new("url", "ldap-url"),
    Field::new("starttls", "ldap-starttls"),
    Field::new("ca_file", "ldap-ca-file"),
    Field::new("allow_plaintext_on_loopback", "ldap-plain-loopback"),
    Field::new("bind_dn", "ldap-bind-dn"),
    Field::new("bind_password_file", "ldap-bind-password-file"),
    Field::new("base_dn", "ldap-base-dn"),
    Field::new("user_filter", "ldap-user-filter"),
    Field::new("sync_filter", "ldap-sync-filter"),
    Field::new("login_attr", "ldap-field-login"),
    Field::new("name_ru_attr", "ldap-field-name_ru"),
    Field::new("name_kk_attr", "ldap-field-name_kk"),
    Field::new("position_ru_attr", "ldap-field-position_ru"),
    Field::new("position_kk_attr", "ldap-field-position_kk"),
    Field::new("department_attr", "ldap-field-department"),
    Field::new("email_attr", "ldap-field-email"),
];

/// The page, with `refused` (a settings form the service refused) in place of its
/// pre-filled form: the new-directory form, or the edit form of its agency.
async fn show(app: &Data, s: &SignedIn, refused: Option<Form>) -> Result<HttpResponse> {
    let (a, actor) = (app.clone().into_inner(), s.actor.clone());
    let (directories, settings, agencies) = blocking(move || {
        let directories = views(&a, &actor)?;
        let settings = super::settings::effective(&a);
        let agencies = crate::portal::directory::service::agencies_by_id(&a)?;
        Ok((directories, settings, agencies))
    })
    .await?;
    let lang = s.state.lang;
    let mut new =
        Form::new("new-directory").set("user_filter", "(&(objectClass=person)(uid={login}))");
    let defaults = super::config::AgencyDirectory::default();
    for (k, v) in SettingsInput::pairs("", &defaults) {
        if !v.is_empty() && k != "agency" {
            new = new.set(k, v);
        }
    }
    let mut forms: Vec<(String, Form)> = settings
        .iter()
        .map(|(code, d)| {
            let mut f = Form::new("directory").instance(code);
            for (k, v) in SettingsInput::pairs(code, d) {
                f = f.set(k, v);
            }
            (code.clone(), f)
        })
        .collect();
    let mut free: Vec<(String, String)> = agencies
        .values()
        .filter(|a| !settings.keys().any(|c| c.eq_ignore_ascii_case(&a.code)))
        .map(|a| (a.code.clone(), a.name(lang).to_owned()))
        .collect();
    free.sort();
    let mut status_form = Form::new("new-directory");
    if let Some(f) = refused {
        let code = f.value("agency").trim().to_uppercase();
        match forms.iter_mut().find(|(c, _)| *c == code && f.id == "directory") {
            Some(slot) => slot.1 = f.instance(&code),
            None => new = f,
        }
        status_form = forms
            .iter()
            .map(|(_, f)| f)
            .chain(std::iter::once(&new))
            .find(|f| f.is_refused())
            .cloned()
            .unwrap_or(status_form);
    }
    let page = SettingsPage {
        page: PageCtx::new(app, &s.state, "ldap-title", "ldap"),
        directories,
        interval_minutes: app.config.directory.sync_interval_seconds / 60,
        timeout_seconds: app.config.directory.timeout_seconds,
        can_run: decide(
            &s.actor,
            Action::DirectorySync(DirectorySyncAction::Run),
            Object::Appliance,
        ),
        can_edit: decide(
            &s.actor,
            Action::DirectorySync(DirectorySyncAction::Edit),
            Object::Appliance,
        ),
        forms,
        new,
        agencies: free,
    };
    forms::page(&page, &status_form)
}

async fn settings_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    show(&app, &s, None).await
}

/// Saves a directory's settings; a refusal brings the same form back with what was typed.
async fn save_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    let input: SettingsInput = crate::web::form(&body)?;
    let existing = super::settings::effective(&app)
        .keys()
        .any(|c| c.eq_ignore_ascii_case(input.agency.trim()));
    let id = if existing { "directory" } else { "new-directory" };
    s.actor.origin.set_success_status(303);
    let (a, actor) = (app.clone().into_inner(), s.actor.clone());
    let outcome = blocking(move || super::settings::save(&a, &actor, &input)).await;
    Form::posted(id, &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            FIELDS,
            |_| done("/admin/directory-sync", "done-ldap-settings-saved"),
            |f| show(&app, &s, Some(f)),
        )
        .await
}

#[derive(serde::Deserialize)]
struct RemoveForm {
    agency: String,
}

async fn remove_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    let f: RemoveForm = crate::web::form(&body)?;
    s.actor.origin.set_success_status(303);
    let (a, actor) = (app.into_inner(), s.actor.clone());
    blocking(move || super::settings::remove(&a, &actor, &f.agency)).await?;
    Ok(done("/admin/directory-sync", "done-ldap-settings-removed"))
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
