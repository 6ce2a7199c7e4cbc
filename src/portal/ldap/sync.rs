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

use serde::{Deserialize, Serialize};

use super::client::{Connection, Failure};
use super::config::AgencyDirectory;
use crate::actor::Actor;
use crate::app::App;
use crate::portal::directory::external::{self, Applied};

/// What one agency's synchronisation did; the last one of each agency is kept
/// (`store::SYNC_RUNS`) and shown on the settings page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub agency: String,
    /// When it ran, on the portal's clock (UTC, RFC 3339).
    pub at: String,
    /// `schedule` (the job) or `manual` (an administrator's "synchronise now").
    pub trigger: String,
    pub found: usize,
    pub created: usize,
    pub updated: usize,
    pub reenabled: usize,
    pub disabled: usize,
    /// Entries left alone: a local account with that login, or a login the portal refuses.
    pub skipped: usize,
    /// Why the directory could not be synchronised, when it could not: the message key
    /// (`ldap-error-…`, translated on the page) and the technical detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The last run, on the portal's clock, so that the job runs once per interval however
/// often it is woken (a test moving the clock wakes it).
static LAST_RUN: Mutex<Option<jiff::Timestamp>> = Mutex::new(None);

/// The scheduled job: synchronises when the interval has passed since the last run.
pub fn run_due(app: &App) {
    // None configured: nothing to do, and a directory set on the page meanwhile is
    // synchronised at the job's next wake rather than an interval later.
    if super::settings::effective(app).is_empty() {
        return;
    }
    let now = crate::clock::now();
    let interval =
        jiff::SignedDuration::from_secs(app.config.directory.sync_interval_seconds as i64);
    {
        let mut last = LAST_RUN.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| now.duration_since(t) < interval) {
            return;
        }
        *last = Some(now);
    }
    let actor = Actor::system_job_bypassing_user_policy("directory-sync");
    for report in run_all(app, &actor, "schedule") {
        match &report.error {
            Some(e) => {
                tracing::warn!(agency = %report.agency, error = %e, "directory synchronisation failed")
            }
            None => tracing::info!(agency = %report.agency, found = report.found,
                created = report.created, updated = report.updated, disabled = report.disabled,
                "directory synchronised"),
        }
    }
}

/// Synchronises every configured directory now and records each run. A directory that
/// fails changes nothing and does not stop the others.
pub fn run_all(app: &App, actor: &Actor, trigger: &str) -> Vec<Report> {
    super::settings::effective(app)
        .iter()
        .map(|(code, settings)| {
            let mut report = Report {
                agency: code.to_uppercase(),
                at: crate::clock::utc_string(crate::clock::now()),
                trigger: trigger.to_owned(),
                ..Report::default()
            };
            if let Err(failure) = run_one(app, actor, code, settings, &mut report) {
                report.error_key = Some(failure.key().to_owned());
                report.error = Some(failure.detail().to_owned());
            }
            if let Err(e) = super::store::record(app, &report) {
                tracing::error!(error = %e, "cannot record the directory synchronisation");
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
) -> Result<(), Failure> {
    let mut conn = Connection::open(settings, app.config.directory.timeout_seconds)?;
    let found = conn.search(&settings.base_dn, &settings.sync_filter)?;
    conn.close();
    let portal = |e: crate::error::Error| Failure::Refused(format!("portal: {e}"));
    report.found = found.len();
    let mut seen = HashSet::new();
    for entry in &found {
        let (user, applied) =
            external::apply(app, actor, code, &entry.dn, &entry.person).map_err(portal)?;
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
    let disabled = external::disable_missing(app, actor, code, &seen).map_err(portal)?;
    report.disabled = disabled.len();
    Ok(())
}
