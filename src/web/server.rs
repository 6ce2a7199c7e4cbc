//! Starting and stopping the HTTP server: listeners (TLS or loopback plain HTTP), the admin
//! socket, background jobs, systemd readiness and watchdog, and an orderly shutdown that
//! commits the access log and signs a final checkpoint.

use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App as ActixApp, web};

use crate::app::App;
use crate::error::Error;

/// Routes of every feature, in one place, installed grouped by leading path
/// (`web::routes`).
pub fn routes(actix: &mut web::ServiceConfig) {
    let mut table = super::routes::RouteTable::default();
    let cfg = &mut table;
    super::health::routes(cfg);
    super::assets::routes(cfg);
    crate::portal::home::http::routes(cfg);
    crate::portal::directory::http::routes(cfg);
    crate::portal::documents::http::routes(cfg);
    crate::portal::trust::http::routes(cfg);
    crate::portal::drafts::http::routes(cfg);
    crate::portal::polls::http::routes(cfg);
    crate::portal::discussions::http::routes(cfg);
    crate::portal::inbox::http::routes(cfg);
    crate::portal::accesslog::http::routes(cfg);
    crate::portal::search::http::routes(cfg);
    crate::portal::maintenance::http::routes(cfg);
    crate::portal::selfaudit::http::routes(cfg);
    crate::portal::help::http::routes(cfg);
    crate::portal::calendar::http::routes(cfg);
    crate::portal::helpdesk::http::routes(cfg);
    crate::portal::proposals::http::routes(cfg);
    crate::portal::account_requests::http::routes(cfg);
    crate::portal::trainings::http::routes(cfg);
    crate::portal::usage::http::routes(cfg);
    crate::portal::plans::http::routes(cfg);
    crate::portal::headcount::http::routes(cfg);
    crate::portal::meetings::http::routes(cfg);
    crate::portal::reminders::http::routes(cfg);
    crate::portal::surveys::http::routes(cfg);
    crate::portal::ldap::http::routes(cfg);
    super::metrics::routes(cfg);
    super::openapi::routes(cfg);
    table.install(actix);
}

/// A listening socket handed over by systemd (socket activation, `ipgo.socket`): the
/// service then needs no capability to serve port 443.
fn inherited_listener() -> anyhow::Result<Option<std::net::TcpListener>> {
    use std::os::fd::FromRawFd;
    let mut fds = sd_notify::listen_fds()?;
    let Some(fd) = fds.next() else { return Ok(None) };
    if fds.next().is_some() {
        anyhow::bail!(
            "systemd passed more than one socket; ipgo.socket must have one ListenStream"
        );
    }
    // SAFETY: systemd hands over fd 3 as an open listening socket owned by this process
    // (LISTEN_PID was checked); nothing else in the process uses it.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    listener.set_nonblocking(true)?;
    Ok(Some(listener))
}

pub async fn serve(app: Arc<App>) -> anyhow::Result<()> {
    let inherited = inherited_listener()?;
    let addr = match &inherited {
        Some(l) => l.local_addr()?,
        None => app.config.listen_addr()?,
    };
    app.config.check_transport_at(addr)?;
    let loaded = app.sessions.load(&app.db).map_err(|e| anyhow::anyhow!("sessions: {e}"))?;
    let orphans_before = app.blobs.clock_mark()?;
    crate::portal::documents::upkeep::at_start(&app)
        .map_err(|e| anyhow::anyhow!("document store upkeep: {e}"))?;
    crate::portal::documents::upkeep::collect_orphans_in_background(app.clone(), orphans_before);
    tracing::info!(sessions = loaded, "sessions restored");
    // Accounts from before separation of duties was enforced at grant time (A.1, A.11).
    for conflict in crate::portal::directory::service::duty_conflicts(&app)? {
        tracing::warn!("{conflict}");
    }
    // The index is derived data: whatever changed while it was not looking is found now.
    crate::portal::search::reconcile_in_background(app.clone());

    let data = web::Data::from(app.clone());
    let workers = match app.config.server.workers {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        n => n,
    };
    let app_factory = move || {
        ActixApp::new()
            .app_data(data.clone())
            // Bodies parsed whole; uploads stream under their own limits (`web::limits`).
            .app_data(web::JsonConfig::default().limit(super::limits::JSON_BODY))
            .app_data(web::FormConfig::default().limit(super::limits::FORM_BODY))
            .app_data(web::PayloadConfig::default().limit(super::limits::FORM_BODY))
            // Innermost: HEAD is routed as GET once the pipeline has logged it as HEAD.
            .wrap(from_fn(super::head::head_as_get))
            .wrap(from_fn(super::pipeline::pipeline))
            // Outermost: compresses what the pipeline finished (error pages too).
            .wrap(from_fn(super::compress::compress))
            .configure(routes)
            // A path the route table knows asked with a method it does not answer is 405 (the
            // pipeline adds `Allow`), anything else 404.
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                Err::<actix_web::HttpResponse, Error>(
                    if req.resource_map().has_resource(req.path()) {
                        Error::new(crate::error::Code::MethodNotAllowed)
                    } else {
                        Error::not_found()
                    },
                )
            }))
    };

    let tls = super::tls::certificate_files(&app.config)?;
    let activated = inherited.is_some();
    let tls_config = match &tls {
        Some((cert, key)) => {
            let provider = rustls::crypto::ring::default_provider();
            let verifier: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>> =
                app.config.signatures.certificate_sign_in.then(|| {
                    Arc::new(super::client_cert::TrustStoreVerifier::new(app.clone(), &provider))
                        as Arc<dyn rustls::server::danger::ClientCertVerifier>
                });
            let config = super::tls::server_config(cert, key, verifier)?;
            match super::tls::not_after(cert) {
                Ok(not_after) => app.metrics.serving_certificate(not_after),
                Err(e) => tracing::warn!(error = %e, "cannot read the served certificate's expiry"),
            }
            Some(config)
        }
        None => None,
    };
    let listen = match inherited {
        Some(listener) => super::listener::Listen::Inherited(listener),
        None => super::listener::Listen::Bind(addr),
    };
    let settings = super::listener::Settings {
        workers,
        head_timeout: Duration::from_secs(app.config.server.request_head_timeout_seconds),
        audit: app.audit.clone(),
        tls: tls_config,
    };
    let server = super::listener::server(app_factory, listen, addr, settings)
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    if activated {
        tracing::info!(%addr, "listening on the socket passed by systemd (server.listen is not used)");
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%addr, scheme, workers, "ipgo listening");
    println!("ipgo {} listening on {scheme}://{addr}", env!("CARGO_PKG_VERSION"));

    let socket = crate::ops::admin_socket::start(app.clone())?;
    let jobs = crate::jobs::start(app.clone());
    let mailer =
        crate::notify::mail::start(app.clone(), crate::portal::directory::service::language_of);
    let handle = server.handle();
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    let watchdog = spawn_watchdog(app.clone());

    let result = server.await;
    tracing::info!("ipgo stopping");
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    drop(handle);
    jobs.abort();
    mailer.abort();
    if let Some(w) = watchdog {
        w.abort();
    }
    socket.stop();
    let app_for_shutdown = app.clone();
    let _ = tokio::task::spawn_blocking(move || app_for_shutdown.shutdown()).await;
    let holders = let_go_of(app, std::time::Duration::from_secs(10)).await;
    if holders > 0 {
        tracing::warn!(
            holders,
            "the database is still in use at exit: it will be checked page by page at the next start"
        );
    }
    result.map_err(|e| anyhow::anyhow!("server error: {e}"))
}

/// Drops this last handle on the appliance once the background work that shares it has
/// stopped (waiting at most `wait`), so the database closes cleanly. redb closes a database
/// when its last handle goes; a process that exits before that leaves a database that must be
/// checked page by page at the next start — 3 s warm and 20 s cold at a million documents
/// (issue 18). Returns how many other holders were left.
async fn let_go_of<T>(handle: Arc<T>, wait: std::time::Duration) -> usize {
    let deadline = std::time::Instant::now() + wait;
    while Arc::strong_count(&handle) > 1 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Arc::strong_count(&handle) - 1
}

/// Pings the systemd watchdog while the database answers; a hung server stops pinging and
/// systemd restarts it.
fn spawn_watchdog(app: Arc<App>) -> Option<tokio::task::JoinHandle<()>> {
    let interval = sd_notify::watchdog_enabled()?;
    let period = interval / 2;
    Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            let app = app.clone();
            let healthy = tokio::time::timeout(
                period,
                tokio::task::spawn_blocking(move || app.db.read().is_ok()),
            )
            .await
            .map(|r| r.unwrap_or(false))
            .unwrap_or(false);
            if healthy {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
            } else {
                tracing::error!("database did not answer; withholding the watchdog ping");
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn the_last_handle_waits_for_background_holders_but_not_forever() {
        actix_web::rt::System::new().block_on(async {
            let handle = Arc::new(());
            let held = handle.clone();
            let background = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                drop(held);
            });
            let started = Instant::now();
            assert_eq!(super::let_go_of(handle, Duration::from_secs(10)).await, 0);
            assert!(started.elapsed() >= Duration::from_millis(150), "it waited for the holder");
            background.join().unwrap();

            let handle = Arc::new(());
            let _kept = handle.clone();
            let started = Instant::now();
            assert_eq!(super::let_go_of(handle, Duration::from_millis(300)).await, 1);
            assert!(started.elapsed() < Duration::from_secs(5), "the wait is bounded");
        });
    }
}
