//! Background jobs of the running server: session expiry, throttle bookkeeping, opening
//! and closing polls at their times, the monthly archiving of the access log (checked
//! hourly; archives every month that has ended, in Astana time), and fetching CRLs from the
//! closed network when configured.

use std::sync::Arc;
use std::time::Duration;

use crate::actor::Actor;
use crate::app::App;

pub struct Jobs(Vec<tokio::task::JoinHandle<()>>);

impl Jobs {
    pub fn abort(&self) {
        for job in &self.0 {
            job.abort();
        }
    }
}

pub fn start(app: Arc<App>) -> Jobs {
    let mut jobs = Vec::new();
    jobs.push(every(app.clone(), Duration::from_secs(60), "sessions", |app| {
        if let Err(e) = app.sessions.sweep(&app.db) {
            tracing::error!(error = %e, "session sweep failed");
        }
        app.throttle.sweep();
    }));
    if !app.config.signatures.crl_urls.is_empty() {
        let period = Duration::from_secs(app.config.signatures.crl_fetch_interval_seconds);
        jobs.push(soon_and_every(app.clone(), period, "crl-fetch", |app| {
            crate::ops::crl_fetch::run(app);
        }));
    }
    let overdue_period = Duration::from_secs(app.config.drafts.overdue_check_seconds.max(1));
    jobs.push(every(app.clone(), overdue_period, "drafts-overdue", |app| {
        if let Err(e) = crate::portal::drafts::view::notify_overdue(app) {
            tracing::error!(error = %e, "overdue notices failed");
        }
    }));
    if app.config.storage.release_memory_after_seconds > 0 {
        jobs.push(every(app.clone(), Duration::from_secs(1), "memory-release", |app| {
            if app.memory.tick(app.metrics.requests()) {
                crate::memory::release();
            }
        }));
    }
    let polls_period = Duration::from_secs(app.config.polls.check_seconds.max(1));
    jobs.push(every(app.clone(), polls_period, "polls", |app| {
        if let Err(e) = crate::portal::polls::service::run_due(app) {
            tracing::error!(error = %e, "opening and closing polls failed");
        }
    }));
    jobs.push(every(app.clone(), polls_period, "surveys", |app| {
        if let Err(e) = crate::portal::surveys::service::run_due(app) {
            tracing::error!(error = %e, "opening and closing surveys failed");
        }
    }));
    jobs.push(every(app.clone(), polls_period, "discussion-reminders", |app| {
        if let Err(e) = crate::portal::discussions::service::remind_closing(app) {
            tracing::error!(error = %e, "reminding of discussions that close soon failed");
        }
    }));
    // Usage per agency (I617 §22): the daily aggregate follows the access log, so a view
    // only counts what is new since the last run.
    jobs.push(every(
        app.clone(),
        Duration::from_secs(300),
        "usage",
        crate::portal::usage::service::run,
    ));
    jobs.push(every(app.clone(), Duration::from_secs(600), "helpdesk-close", |app| {
        if let Err(e) = crate::portal::helpdesk::service::close_unanswered(app) {
            tracing::error!(error = %e, "closing resolved helpdesk requests failed");
        }
    }));
    // Always scheduled: a directory may be set on the settings page while the server runs
    // (with none, a run does nothing).
    let period = Duration::from_secs(app.config.directory.sync_interval_seconds.max(1));
    jobs.push(soon_and_every(app.clone(), period, "directory-sync", |app| {
        crate::portal::ldap::sync::run_due(app);
    }));
    // Leavers' accounts are disabled on their day, in Astana time (I617 §20).
    jobs.push(soon_and_every(app.clone(), Duration::from_secs(60), "account-requests", |app| {
        if let Err(e) = crate::portal::account_requests::service::run_due(app) {
            tracing::error!(error = %e, "disabling leavers' accounts failed");
        }
    }));
    jobs.push(every(app.clone(), Duration::from_secs(60), "refused-requests", |app| {
        app.audit.summarize_refused();
    }));
    let plans_period = Duration::from_secs(app.config.plans.reminder_check_seconds.max(1));
    jobs.push(every(app.clone(), plans_period, "plans-reminders", |app| {
        if let Err(e) = crate::portal::plans::monitor::remind(app) {
            tracing::error!(error = %e, "action-plan reminders failed");
        }
    }));
    let refresh_period = Duration::from_secs(app.config.reminders.check_seconds.max(1));
    jobs.push(soon_and_every(app.clone(), refresh_period, "reminders-refresh", |app| {
        if let Err(e) = crate::portal::reminders::refresh::run_due(app) {
            tracing::error!(error = %e, "reminders refresh failed");
        }
    }));
    let pickup_period = Duration::from_secs(app.config.reminders.pickup_seconds.max(1));
    jobs.push(soon_and_every(app.clone(), pickup_period, "reminders-pickup", |app| {
        if let Err(e) = crate::portal::reminders::import::pickup(app) {
            tracing::error!(error = %e, "reminders import directory failed");
        }
    }));
    jobs.push(every(app.clone(), Duration::from_secs(3600), "mail-prune", |app| {
        match crate::notify::mail::prune_sent(app) {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(removed = n, "delivered mail older than mail.keep_sent_days removed")
            }
            Err(e) => tracing::error!(error = %e, "pruning delivered mail failed"),
        }
    }));
    // The regular self-check (R365 §9): looked at every minute, run when its interval on the
    // portal clock has passed.
    jobs.push(every(app.clone(), Duration::from_secs(60), "self-audit", |app| {
        crate::portal::selfaudit::service::run_due(app)
    }));
    jobs.push(every(app, Duration::from_secs(3600), "audit-archive", |app| {
        let actor = Actor::system_job_bypassing_user_policy("audit-archive");
        let start_of_month = start_of_current_month();
        if let Err(e) =
            crate::audit::archive::run(&app.audit, app.config.data_dir(), &actor, start_of_month)
        {
            tracing::error!(error = %e, "access log archiving failed");
        }
    }));
    Jobs(jobs)
}

/// The first instant of the current month in Astana time.
pub fn start_of_current_month() -> jiff::Timestamp {
    let now = crate::clock::now().to_zoned(crate::clock::astana());
    now.date()
        .first_of_month()
        .to_zoned(crate::clock::astana())
        .map(|z| z.timestamp())
        .unwrap_or_else(|_| crate::clock::now())
}

/// Runs `job` a few seconds after start, then every `period`.
fn soon_and_every(
    app: Arc<App>,
    period: Duration,
    name: &'static str,
    job: fn(&App),
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2).min(period)).await;
        loop {
            let app2 = app.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || job(&app2)).await {
                tracing::error!(job = name, error = %e, "background job panicked");
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = crate::clock::changed() => {}
            }
        }
    })
}

/// Runs `job` every `period`, and at once whenever a test moves the portal's clock
/// (`crate::clock::changed`), so time-dependent jobs are tested without sleeping.
pub fn every(
    app: Arc<App>,
    period: Duration,
    name: &'static str,
    job: fn(&App),
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = crate::clock::changed() => {}
            }
            let app = app.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || job(&app)).await {
                tracing::error!(job = name, error = %e, "background job panicked");
            }
        }
    })
}
