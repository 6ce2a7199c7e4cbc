//! Running the self-check: gathers the figures (the store and the access log through
//! `ops::verify::run`, the same code as `ipgo verify`), judges them (`model::judge`), and in
//! one transaction stores the run with its access-log entry and, when a check failed, a
//! notice to every system administrator and auditor.

use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::auth::roles::Role;
use crate::error::Result;
use crate::notify::{self, Notice};
use crate::portal::directory::service as directory;

use super::model::{self, Figures, Run};
use super::store;

/// Gathers what the checks judge. The expensive part is `ops::verify::run`, which reads
/// every blob: the scheduler runs it at most once per `self_audit.interval_hours`.
fn figures(app: &App) -> Result<Figures> {
    let now = crate::clock::now().as_second();
    let report = crate::ops::verify::run(app)?;
    let mut f = Figures {
        now,
        store_problems: report.problems.clone(),
        store_summary: format!(
            "{} documents ({} destroyed), {} versions, {} files, {} bytes checked",
            report.documents, report.destroyed, report.versions, report.files, report.bytes
        ),
        disk_floor_mb: app.config.storage.disk_floor_mb,
        ..Figures::default()
    };
    match &report.access_log {
        Some(log) => f.access_log_problems = log.problems.iter().map(ToString::to_string).collect(),
        None => f.access_log_problems.push("the access log was not verified".into()),
    }
    f.last_backup = crate::ops::backup::create::last(app)?
        .and_then(|made| crate::clock::parse(&made.created))
        .map(|t| t.as_second());
    {
        let read = app.db.read()?;
        let trust = crate::sign::store::Reader(&read);
        f.cas = trust
            .cas()?
            .into_iter()
            .map(|ca| (ca.summary.subject.clone(), ca.summary.not_after.as_second()))
            .collect();
        for (_, sha256) in trust.current_crls()? {
            if let Some(crl) = trust.crl(&sha256)? {
                f.crls.push((crl.issuer.clone(), crl.next_update.map(|t| t.as_second())));
            }
        }
    }
    f.disk_free_bytes = rustix::fs::statvfs(app.config.data_dir())
        .ok()
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize));
    let search = app.search.status();
    f.index_lag_ms = search.feed.oldest_ms;
    f.index_errors = search.index.errors;
    Ok(f)
}

/// Runs the self-check now and stores it; a failed check tells the system administrators
/// and the auditors.
pub fn run_now(app: &App, actor: &Actor) -> Result<Run> {
    let f = figures(app)?;
    let checks = model::judge(&f, &app.config.self_audit);
    let ok = checks.iter().all(|c| c.ok);
    let failed: Vec<String> = checks.iter().filter(|c| !c.ok).map(|c| c.code.clone()).collect();
    let mut ids: Vec<u64> = directory::holders_of(app, Role::SystemAdmin)?
        .into_iter()
        .chain(directory::holders_of(app, Role::Auditor)?)
        .map(|u| u.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let recipients = if ok { Vec::new() } else { directory::recipients_by_id(app, &ids)? };
    let operation = if ok { "audit.self_check" } else { "audit.self_check_failed" };
    let (run, after) = app.audit.change(actor, operation, |txn| {
        let run = Run {
            id: crate::db::next_id(txn, "self_audit")?,
            at: crate::clock::utc_string(crate::clock::now()),
            ok,
            checks,
        };
        store::put(txn, &run, app.config.self_audit.keep_runs)?;
        let after = if ok {
            notify::AfterCommit::default()
        } else {
            let notice = Notice::new(
                "self-audit-failed",
                "/audit/self-check",
                format!("self-audit:{}", run.id),
            )
            .arg("checks", failed.join(", "))
            .arg("count", failed.len() as u64);
            notify::enqueue_in(app, txn, &recipients, &notice)?
        };
        let detail = serde_json::json!({ "run": run.id, "ok": ok, "failed": failed });
        Ok(((run, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    if !run.ok {
        tracing::warn!(run = run.id, failed = ?run.failed(), "self-check failed (R365 §9)");
    }
    Ok(run)
}

/// The scheduler's job: runs the self-check when the last run is older than
/// `self_audit.interval_hours` on the portal clock (so a test moves the clock instead of
/// waiting).
pub fn run_due(app: &App) {
    let hours = app.config.self_audit.interval_hours;
    if hours == 0 {
        return;
    }
    let due = match last(app) {
        Ok(Some(run)) => crate::clock::parse(&run.at).is_none_or(|at| {
            crate::clock::now().as_second() - at.as_second() >= hours as i64 * 3600
        }),
        Ok(None) => true,
        Err(e) => return tracing::error!(error = %e, "reading the last self-check failed"),
    };
    if due {
        let actor = Actor::system_job_bypassing_user_policy("self-audit");
        if let Err(e) = run_now(app, &actor) {
            tracing::error!(error = %e, "the self-check could not run");
        }
    }
}

/// The newest run, if any (for `/metrics`).
pub fn last(app: &App) -> Result<Option<Run>> {
    Ok(store::newest(&app.db.read()?, 1)?.pop())
}

/// The history for the auditor (or the administrator, who is told of failures), newest
/// first.
pub fn history(app: &App, actor: &Actor, limit: usize) -> Result<Vec<Run>> {
    if require(actor, Action::AuditRead, Object::Appliance).is_err() {
        require(actor, Action::SystemMonitor, Object::Appliance)?;
    }
    store::newest(&app.db.read()?, limit)
}

/// Runs the self-check at a person's request (the auditor's or administrator's button).
pub fn run_requested(app: &App, actor: &Actor) -> Result<Run> {
    // Auditors and system administrators verify the log (`AuditVerify`): the same right.
    require(actor, Action::AuditVerify, Object::Appliance)?;
    run_now(app, actor)
}
