//! The scheduled synchronisation: every `directory.sync_interval_seconds` of the portal's
//! clock, each agency's directory is listed with its `sync_filter`; new people get an
//! account, names, positions, departments and e-mail follow the directory, and the
//! accounts of this directory whose entries are gone are disabled (their sessions end).
//!
//! Rules that keep a directory fault from locking people out: a directory that cannot be
//! reached or answers an error changes nothing; a listing that finds nobody at all while
//! accounts are linked is taken for a wrong filter or base and disables nobody; accounts
//! with a portal password (local accounts) are never touched.

use std::collections::HashSet;
use std::sync::Mutex;

use serde::Serialize;

use super::client::{Connection, Failure};
use super::config::AgencyDirectory;
use crate::actor::Actor;
use crate::app::App;
use crate::portal::directory::external::{self, Applied};

/// What one agency's synchronisation did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub agency: String,
    pub found: usize,
    pub created: usize,
    pub updated: usize,
    pub reenabled: usize,
    pub disabled: usize,
    /// Entries left alone: a local account with that login, or a login the portal refuses.
    pub skipped: usize,
    /// Why the directory could not be synchronised, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The last run, on the portal's clock, so that the job runs once per interval however
/// often it is woken (a test moving the clock wakes it).
static LAST_RUN: Mutex<Option<jiff::Timestamp>> = Mutex::new(None);

/// The scheduled job: synchronises when the interval has passed since the last run.
pub fn run_due(app: &App) {
    let now = crate::clock::now();
    let interval = jiff::SignedDuration::from_secs(app.config.directory.sync_interval_seconds as i64);
    {
        let mut last = LAST_RUN.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| now.duration_since(t) < interval) {
            return;
        }
        *last = Some(now);
    }
    let actor = Actor::system_job_bypassing_user_policy("directory-sync");
    for report in run_all(app, &actor) {
        match &report.error {
            Some(e) => tracing::warn!(agency = %report.agency, error = %e, "directory synchronisation failed"),
            None => tracing::info!(agency = %report.agency, found = report.found,
                created = report.created, updated = report.updated, disabled = report.disabled,
                "directory synchronised"),
        }
    }
}

/// Synchronises every configured directory now.
pub fn run_all(app: &App, actor: &Actor) -> Vec<Report> {
    app.config
        .directory
        .agencies
        .iter()
        .map(|(code, settings)| {
            let mut report = Report { agency: code.to_uppercase(), ..Report::default() };
            if let Err(e) = run_one(app, actor, code, settings, &mut report) {
                report.error = Some(e);
            }
            report
        })
        .collect()
}

fn run_one(
    app: &App,
    actor: &Actor,
    code: &str,
    settings: &AgencyDirectory,
    report: &mut Report,
) -> Result<(), String> {
    let found = (|| -> Result<_, Failure> {
        let mut conn = Connection::open(settings, app.config.directory.timeout_seconds)?;
        let found = conn.search(&settings.base_dn, &settings.sync_filter)?;
        conn.close();
        Ok(found)
    })()
    .map_err(|f| f.to_string())?;
    report.found = found.len();
    let mut seen = HashSet::new();
    for entry in &found {
        let (user, applied) =
            external::apply(app, actor, code, &entry.dn, &entry.person).map_err(|e| e.to_string())?;
        match applied {
            Applied::Created => report.created += 1,
            Applied::Updated => report.updated += 1,
            Applied::Reenabled => report.reenabled += 1,
            Applied::Unchanged => {}
            Applied::LocalAccount | Applied::InvalidLogin => report.skipped += 1,
        }
        if let Some(user) = user {
            seen.insert(user.login);
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    let disabled = external::disable_missing(app, actor, code, &seen).map_err(|e| e.to_string())?;
    report.disabled = disabled.len();
    Ok(())
}
