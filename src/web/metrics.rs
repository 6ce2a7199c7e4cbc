//! `/metrics` in the Prometheus text format (I617 §24–§25: health and performance
//! indicators, watched around the clock).
//!
//! Requests and latencies are counted per route pattern (bounded cardinality) by the
//! pipeline; the rest is read when scraped: access-log queue length, sessions, the search
//! index's lag behind the store, disk space and the floor, the last backup's age, the TLS
//! certificate's expiry. Readable from
//! loopback (the local Prometheus or node exporter) or by a signed-in system or support
//! administrator (policy `SystemMonitor`).
//!
//! The trust store adds the expiry of every trusted CA certificate and the next update of
//! every CRL in force: a CRL past its next update makes every signature check of that CA
//! fail (I385 §57), so it must alert before that.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use parking_lot::Mutex;

use super::request::Visitor;
use crate::actor::Who;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::error::{Code, Error, Result};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default, Clone)]
struct RouteStats {
    /// By status class 1xx..5xx.
    by_class: [u64; 5],
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// Counters shared by every worker.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    requests: AtomicU64,
    /// `notAfter` (Unix seconds) of the certificate the server presents, from when it
    /// starts serving: a renewed file is not served before a restart.
    served_certificate: Mutex<Option<i64>>,
}

impl Metrics {
    /// Requests answered since start.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let mut routes = self.routes.lock();
        let stats = routes.entry((route.to_owned(), method.to_owned())).or_default();
        let class = (status / 100).clamp(1, 5) as usize - 1;
        stats.by_class[class] += 1;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                stats.buckets[i] += 1;
            }
        }
        stats.count += 1;
        stats.sum_seconds += seconds;
    }

    /// Records the expiry of the TLS certificate being served.
    pub fn serving_certificate(&self, not_after: i64) {
        *self.served_certificate.lock() = Some(not_after);
    }

    fn snapshot(&self) -> BTreeMap<(String, String), RouteStats> {
        self.routes.lock().clone()
    }
}

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn metrics(app: web::Data<App>, v: Visitor) -> Result<HttpResponse> {
    v.actor.origin.set_operation("system.monitor");
    let local = v.state.client_ip.is_some_and(|ip| ip.is_loopback());
    if !local {
        if !matches!(v.actor.who, Who::User(_)) {
            return Err(Error::new(v.state.session_problem.unwrap_or(Code::Unauthenticated)));
        }
        require(&v.actor, Action::SystemMonitor, Object::Appliance)?;
    }
    let app = app.into_inner();
    let body = crate::web::blocking(move || Ok(render(&app))).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body))
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn counter(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
}

/// The search index's lag behind the store (I385 §6.6: a posted document is findable
/// within a second) and its health.
fn search(out: &mut String, app: &App) {
    let s = app.search.status();
    gauge(
        out,
        "ipgo_search_index_lag_seconds",
        "Age of the oldest document change not yet indexed (0: the index is up to date).",
        s.feed.oldest_ms as f64 / 1e3,
    );
    gauge(
        out,
        "ipgo_search_index_queue_length",
        "Documents waiting to be indexed or being indexed.",
        s.feed.queued,
    );
    gauge(
        out,
        "ipgo_search_index_last_commit_lag_seconds",
        "From the oldest change in the last index commit to that commit.",
        s.index.last_lag_ms as f64 / 1e3,
    );
    gauge(out, "ipgo_search_index_documents", "Documents searchable now.", s.index.documents);
    counter(
        out,
        "ipgo_search_index_failures_total",
        "Documents that could not be indexed since the start (see the log).",
        s.feed.failures,
    );
    counter(
        out,
        "ipgo_search_index_errors_total",
        "Errors of the index writer since the start (see the log).",
        s.index.errors,
    );
}

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

/// The whole exposition.
pub fn render(app: &App) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let _ = writeln!(
        out,
        "# HELP ipgo_build_info Version of the running binary.\n# TYPE ipgo_build_info gauge\n\
         ipgo_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    gauge(
        &mut out,
        "ipgo_process_start_time_seconds",
        "When the process started (Unix time).",
        app.started_unix(),
    );
    let stats = app.metrics.snapshot();
    let _ = writeln!(
        out,
        "# HELP ipgo_http_requests_total HTTP requests by route pattern, method and status class."
    );
    let _ = writeln!(out, "# TYPE ipgo_http_requests_total counter");
    for ((route, method), s) in &stats {
        for (i, n) in s.by_class.iter().enumerate() {
            if *n > 0 {
                let _ = writeln!(
                    out,
                    "ipgo_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}xx\"}} {n}",
                    escape(route),
                    escape(method),
                    i + 1
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "# HELP ipgo_http_request_duration_seconds Time from request to response, by route pattern."
    );
    let _ = writeln!(out, "# TYPE ipgo_http_request_duration_seconds histogram");
    for ((route, method), s) in &stats {
        let labels = format!("route=\"{}\",method=\"{}\"", escape(route), escape(method));
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "ipgo_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                s.buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "ipgo_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            s.count
        );
        let _ =
            writeln!(out, "ipgo_http_request_duration_seconds_sum{{{labels}}} {}", s.sum_seconds);
        let _ = writeln!(out, "ipgo_http_request_duration_seconds_count{{{labels}}} {}", s.count);
    }
    gauge(
        &mut out,
        "ipgo_audit_queue_length",
        "Access-log entries waiting for their group commit.",
        app.audit.queue_len(),
    );
    gauge(
        &mut out,
        "ipgo_sessions_active",
        "Sign-in sessions held in memory.",
        app.sessions.count(),
    );
    search(&mut out, app);
    let memory = crate::memory::Resident::now();
    let _ = writeln!(
        out,
        "# HELP ipgo_memory_resident_bytes Resident memory: private (heap, caches) and mapped \
         files (the search index, dropped by the system under pressure).\n\
         # TYPE ipgo_memory_resident_bytes gauge\n\
         ipgo_memory_resident_bytes{{kind=\"private\"}} {}\n\
         ipgo_memory_resident_bytes{{kind=\"file\"}} {}",
        memory.anon_kb * 1024,
        memory.file_kb * 1024
    );
    let data = app.config.data_dir();
    if let Ok(stat) = rustix::fs::statvfs(data) {
        let _ = writeln!(
            out,
            "# HELP ipgo_disk_free_bytes Free space on the data filesystem.\n# TYPE ipgo_disk_free_bytes gauge\n\
             ipgo_disk_free_bytes{{path=\"{}\"}} {}",
            escape(&data.display().to_string()),
            stat.f_bavail.saturating_mul(stat.f_frsize)
        );
    }
    gauge(
        &mut out,
        "ipgo_disk_floor_bytes",
        "Below this much free space uploads are refused (storage.disk_floor_mb).",
        app.config.storage.disk_floor_mb * 1024 * 1024,
    );
    let now = crate::clock::now().as_second();
    match crate::ops::backup::create::last(app) {
        Ok(Some(made)) => {
            if let Some(t) = crate::clock::parse(&made.created) {
                gauge(
                    &mut out,
                    "ipgo_last_backup_timestamp_seconds",
                    "When the last data backup was made.",
                    t.as_second(),
                );
                gauge(
                    &mut out,
                    "ipgo_last_backup_age_seconds",
                    "Seconds since the last data backup.",
                    now - t.as_second(),
                );
                gauge(
                    &mut out,
                    "ipgo_last_backup_bytes",
                    "Size of the last data backup.",
                    made.bytes,
                );
            }
        }
        // No backup yet: the age is reported as infinite so an alert on it fires.
        Ok(None) => gauge(
            &mut out,
            "ipgo_last_backup_age_seconds",
            "Seconds since the last data backup.",
            "+Inf",
        ),
        Err(e) => tracing::warn!(error = %e, "cannot read the last backup for /metrics"),
    }
    if let Some(not_after) = *app.metrics.served_certificate.lock() {
        gauge(
            &mut out,
            "ipgo_tls_certificate_not_after_timestamp_seconds",
            "When the served TLS certificate expires.",
            not_after,
        );
        gauge(
            &mut out,
            "ipgo_tls_certificate_expiry_seconds",
            "Seconds until the served TLS certificate expires.",
            not_after - now,
        );
    }
    trust_store_expiry(app, &mut out, now);
    reminders_refreshes(app, &mut out, now);
    self_audit(app, &mut out);
    out
}

/// The last regular self-check (R365 §9): when it ran, and each check's verdict (1 passed,
/// 0 failed), so an alert fires on a failed check as the notice is sent.
fn self_audit(app: &App, out: &mut String) {
    let run = match crate::portal::selfaudit::service::last(app) {
        Ok(Some(run)) => run,
        Ok(None) => return,
        Err(e) => return tracing::warn!(error = %e, "cannot read the last self-check for /metrics"),
    };
    if let Some(at) = crate::clock::parse(&run.at) {
        gauge(
            out,
            "ipgo_self_audit_last_run_timestamp_seconds",
            "When the last regular self-check ran.",
            at.as_second(),
        );
    }
    gauge(
        out,
        "ipgo_self_audit_ok",
        "1 when every check of the last self-check passed.",
        u8::from(run.ok),
    );
    let _ = writeln!(
        out,
        "# HELP ipgo_self_audit_check_ok A check of the last self-check: 1 passed, 0 failed.\n\
         # TYPE ipgo_self_audit_check_ok gauge"
    );
    for c in &run.checks {
        let _ = writeln!(
            out,
            "ipgo_self_audit_check_ok{{check=\"{}\"}} {}",
            escape(&c.code),
            u8::from(c.ok)
        );
    }
}

/// Seconds until each trusted CA certificate expires and until each CRL in force is due
/// for its next update (negative when overdue), labelled by subject or issuer.
fn trust_store_expiry(app: &App, out: &mut String, now: i64) {
    let read = match app.db.read() {
        Ok(read) => read,
        Err(e) => return tracing::warn!(error = %e, "cannot read the trust store for /metrics"),
    };
    let store = crate::sign::store::Reader(&read);
    if let Ok(cas) = store.cas() {
        let _ = writeln!(
            out,
            "# HELP ipgo_trusted_ca_expiry_seconds Seconds until a trusted CA certificate expires.\n# TYPE ipgo_trusted_ca_expiry_seconds gauge"
        );
        for ca in cas {
            let _ = writeln!(
                out,
                "ipgo_trusted_ca_expiry_seconds{{fingerprint=\"{}\",subject=\"{}\"}} {}",
                &ca.fingerprint[..ca.fingerprint.len().min(16)],
                escape(&ca.summary.subject),
                ca.summary.not_after.as_second() - now
            );
        }
    }
    if let Ok(current) = store.current_crls() {
        let _ = writeln!(
            out,
            "# HELP ipgo_crl_next_update_seconds Seconds until a CRL in force is due for its next update (negative: overdue).\n# TYPE ipgo_crl_next_update_seconds gauge"
        );
        for (_, sha256) in current {
            if let Ok(Some(crl)) = store.crl(&sha256)
                && let Some(next) = crl.next_update
            {
                let _ = writeln!(
                    out,
                    "ipgo_crl_next_update_seconds{{issuer=\"{}\"}} {}",
                    escape(&crl.issuer),
                    next.as_second() - now
                );
            }
        }
    }
}

/// When each source of reminders was last refreshed (I385 §51) and how long ago.
fn reminders_refreshes(app: &App, out: &mut String, now: i64) {
    let Ok(states) = crate::portal::reminders::refresh::states(app) else { return };
    let _ = writeln!(
        out,
        "# HELP ipgo_reminders_last_refresh_timestamp_seconds When the source's reminders were last refreshed (Unix time; 0: never).\n# TYPE ipgo_reminders_last_refresh_timestamp_seconds gauge"
    );
    let at = |s: &Option<crate::portal::reminders::store::RefreshState>| {
        s.as_ref().and_then(|s| crate::clock::parse(&s.at)).map(|t| t.as_second())
    };
    for (source, state) in &states {
        let _ = writeln!(
            out,
            "ipgo_reminders_last_refresh_timestamp_seconds{{source=\"{}\"}} {}",
            source.name(),
            at(state).unwrap_or(0)
        );
    }
    let _ = writeln!(
        out,
        "# HELP ipgo_reminders_refresh_age_seconds Seconds since the source's last refresh.\n# TYPE ipgo_reminders_refresh_age_seconds gauge"
    );
    for (source, state) in &states {
        if let Some(t) = at(state) {
            let _ = writeln!(
                out,
                "ipgo_reminders_refresh_age_seconds{{source=\"{}\"}} {}",
                source.name(),
                now - t
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_fall_into_cumulative_buckets() {
        let m = Metrics::default();
        m.record("/documents/{id}", "GET", 200, Duration::from_millis(3));
        m.record("/documents/{id}", "GET", 404, Duration::from_millis(30));
        m.record("/documents/{id}", "GET", 200, Duration::from_secs(20));
        let s = &m.snapshot()[&("/documents/{id}".to_owned(), "GET".to_owned())];
        assert_eq!(s.by_class, [0, 2, 0, 1, 0]);
        assert_eq!(s.count, 3);
        assert_eq!(s.buckets[0], 1, "≤ 5 ms");
        assert_eq!(s.buckets[3], 2, "≤ 50 ms is cumulative");
        assert_eq!(s.buckets[BUCKETS.len() - 1], 2, "20 s is only in +Inf");
    }

    #[test]
    fn the_served_certificate_expiry_is_exported() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        config.tls.self_signed = true;
        let (cert, _) = crate::web::tls::certificate_files(&config).unwrap().unwrap();
        let app = crate::app::App::open(config).unwrap();
        app.metrics.serving_certificate(crate::web::tls::not_after(&cert).unwrap());
        app.metrics.record("/healthz", "GET", 200, Duration::from_millis(1));
        let text = render(&app);
        let line = text
            .lines()
            .find(|l| l.starts_with("ipgo_tls_certificate_expiry_seconds "))
            .expect("certificate expiry exported");
        let seconds: i64 = line.split(' ').nth(1).unwrap().parse().unwrap();
        // A self-signed certificate is made for a year (tls.self_signed_days).
        let year = 365 * 24 * 3600;
        assert!((year - 600..=year).contains(&seconds), "{line}");
        assert!(text.contains("ipgo_last_backup_age_seconds +Inf"), "no backup yet");
        assert!(text.contains("\nipgo_search_index_lag_seconds 0\n"), "nothing to index");
        assert!(text.contains("\nipgo_search_index_documents 0\n"), "an empty index");
        assert!(text.contains(
            "ipgo_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"2xx\"} 1"
        ));
        app.shutdown();
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
