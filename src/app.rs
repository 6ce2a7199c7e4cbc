//! The composition root: [`App`] holds every long-lived part of the portal. The server,
//! the admin socket and CLI commands that run without a server all build it here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::audit::AuditLog;
use crate::auth::session::Sessions;
use crate::auth::throttle::SignInThrottle;
use crate::blobs::BlobStore;
use crate::config::Config;
use crate::db::{Db, META, OpenError};
use crate::i18n::I18n;
use crate::keys::ApplianceKey;
use crate::vault::Vault;

pub struct App {
    pub config: Config,
    pub db: Db,
    pub audit: Arc<AuditLog>,
    pub key: Arc<ApplianceKey>,
    pub blobs: BlobStore,
    pub vault: Vault,
    pub sessions: Sessions,
    pub throttle: SignInThrottle,
    pub i18n: I18n,
    pub notifier: crate::notify::sse::Notifier,
    /// Parsed trusted CAs and CRLs, rebuilt after each change of the trust store.
    pub trust: crate::sign::trust::TrustCache,
    /// The full-text index (`data/index`, derived data) and what keeps it up to date.
    pub search: crate::portal::search::Search,
    /// Request counts and latencies for `/metrics`.
    pub metrics: crate::web::metrics::Metrics,
    /// When to give memory freed after a burst back to the system.
    pub memory: crate::memory::Releaser,
    /// The working-day calendar (built-in data and the administrator's entries), rebuilt
    /// after each change of the entries.
    pub calendar: crate::calendar::Shared,
    started_unix: i64,
    /// Bumped on every change to accounts, agencies or groups, so cached identities in
    /// sessions are rebuilt on their next use.
    directory_generation: AtomicU64,
    /// Set by [`App::shutdown`]: long background scans stop at their next step.
    stopping: std::sync::atomic::AtomicBool,
}

/// Why the appliance could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("{0}")]
    Other(String),
}

/// The appliance key for this data directory. Once a log has been signed, only the key that
/// signed it is accepted: a lost or foreign key would otherwise be replaced silently and
/// every earlier checkpoint would look forged.
fn signing_key(config: &Config, db: &Db) -> Result<ApplianceKey, StartError> {
    let dir = config.keys_dir();
    let recorded = {
        let txn = db.read().map_err(|e| StartError::Other(e.to_string()))?;
        match txn.open_table(META) {
            Ok(meta) => meta
                .get("appliance_public_key")
                .map_err(|e| StartError::Other(e.to_string()))?
                .map(|v| String::from_utf8_lossy(v.value()).into_owned()),
            Err(_) => None,
        }
    };
    if let Some(recorded) = &recorded
        && !ApplianceKey::exists(&dir)
    {
        return Err(StartError::Other(format!(
            "the appliance signing key is missing from {}; this data directory's access log \
             was signed with the key whose public half is {recorded}: restore \
             appliance-signing.pem from the keys backup (or point storage.keys_dir at it)",
            dir.display()
        )));
    }
    let key = ApplianceKey::load_or_create(&dir).map_err(|e| StartError::Other(e.to_string()))?;
    if let Some(recorded) = recorded
        && recorded != key.public().to_hex()
    {
        return Err(StartError::Other(format!(
            "the appliance signing key in {} is not the one this data directory's access log \
             was signed with (public half {recorded}); restore the right appliance-signing.pem",
            dir.display()
        )));
    }
    Ok(key)
}

/// Opens the vault; refuses to start a new, empty one beside a store that has documents
/// (their keys would be lost for good): the keys directory must be restored instead.
fn open_vault(config: &Config, db: &Db) -> Result<Vault, StartError> {
    let dir = config.keys_dir();
    if !Vault::exists(&dir) {
        let has_documents = db
            .read()
            .ok()
            .and_then(|txn| {
                use redb::ReadableTableMetadata;
                txn.open_table(crate::portal::documents::store::DOCUMENTS).ok()?.len().ok()
            })
            .unwrap_or(0)
            > 0;
        if has_documents {
            return Err(StartError::Other(format!(
                "the vault (vault.key, vault.sealed) is missing from {}, but this data directory                  holds documents: restore the keys backup there (or point storage.keys_dir at it)",
                dir.display()
            )));
        }
    }
    Vault::open(&dir).map_err(|e| StartError::Other(e.to_string()))
}

impl App {
    /// Opens the data directory: keys, database (with migrations), tables, access log.
    pub fn open(config: Config) -> Result<Arc<App>, StartError> {
        let other = |e: &dyn std::fmt::Display| StartError::Other(e.to_string());
        crate::memory::configure(&config.storage);
        if config.testing.controllable_clock {
            tracing::warn!(
                "[testing] controllable_clock is on: `ipgo clock` can move this portal's time; \
                 never use this configuration for real work"
            );
            crate::clock::enable_control();
        }
        std::fs::create_dir_all(config.data_dir()).map_err(|e| {
            StartError::Other(format!(
                "cannot create data directory {}: {e}",
                config.data_dir().display()
            ))
        })?;
        let db = Db::open_with_cache(&config.database_path(), config.storage.db_cache_bytes())?;
        let key = Arc::new(signing_key(&config, &db)?);
        let vault = open_vault(&config, &db)?;
        let blobs = BlobStore::open(config.data_dir(), config.storage.disk_floor_mb)
            .map_err(|e| other(&e))?;
        db.write(|txn| {
            crate::auth::credentials::ensure_tables(txn)?;
            crate::auth::session::ensure_tables(txn)?;
            crate::portal::directory::store::ensure_tables(txn)?;
            crate::portal::directory::external::ensure_tables(txn)?;
            crate::portal::ldap::store::ensure_tables(txn)?;
            crate::portal::documents::store::ensure_tables(txn)?;
            crate::portal::documents::signatures::ensure_tables(txn)?;
            crate::notify::store::ensure_tables(txn)?;
            crate::portal::drafts::store::ensure_tables(txn)?;
            crate::portal::polls::store::ensure_tables(txn)?;
            crate::portal::discussions::store::ensure_tables(txn)?;
            crate::portal::drafts::vote::move_legacy_votes(txn)?;
            crate::sign::store::ensure_tables(txn)?;
            crate::portal::maintenance::store::ensure_tables(txn)?;
            crate::portal::selfaudit::store::ensure_tables(txn)?;
            crate::ops::crl_fetch::ensure_tables(txn)?;
            crate::calendar::store::ensure_tables(txn)?;
            crate::portal::helpdesk::store::ensure_tables(txn)?;
            crate::portal::proposals::store::ensure_tables(txn)?;
            crate::portal::account_requests::store::ensure_tables(txn)?;
            crate::portal::trainings::store::ensure_tables(txn)?;
            crate::portal::plans::store::ensure_tables(txn)?;
            crate::portal::headcount::store::ensure_tables(txn)?;
            crate::portal::meetings::store::ensure_tables(txn)?;
            crate::portal::reminders::store::ensure_tables(txn)?;
            crate::portal::surveys::store::ensure_tables(txn)?;
            crate::portal::usage::store::ensure_tables(txn)?;
            crate::audit::chain::ensure_tables(txn)?;
            // The public key beside the data, so the log can be checked without the keys.
            txn.open_table(META)?
                .insert("appliance_public_key", key.public().to_hex().as_bytes())?;
            Ok(())
        })
        .map_err(|e| other(&e))?;
        crate::portal::install_poll_hooks();
        let audit =
            AuditLog::start(db.clone(), key.clone(), &config.audit, &config.audit_journal_dir())
                .map_err(|e| other(&e))?;
        let sessions = Sessions::new(
            config.session.idle_timeout_seconds,
            config.session.absolute_timeout_seconds,
        );
        let throttle = SignInThrottle::new(config.login.attempts_per_minute_per_ip);
        let search = crate::portal::search::Search::open(&config).map_err(|e| other(&e))?;
        let calendar = {
            let txn = db.read().map_err(|e| other(&e))?;
            let entries = crate::calendar::store::entries(&txn).map_err(|e| other(&e))?;
            crate::calendar::Shared::new(crate::calendar::Calendar::new(entries))
        };
        let workers = config.search.workers;
        let config_release_ticks = config.storage.release_memory_after_seconds;
        let app = Arc::new(App {
            config,
            db,
            audit,
            key,
            blobs,
            vault,
            sessions,
            throttle,
            i18n: I18n::load(),
            notifier: Default::default(),
            trust: Default::default(),
            search,
            metrics: Default::default(),
            memory: crate::memory::Releaser::new(config_release_ticks),
            calendar,
            started_unix: crate::clock::now().as_second(),
            directory_generation: AtomicU64::new(1),
            stopping: Default::default(),
        });
        app.search.start(Arc::downgrade(&app), workers);
        Ok(app)
    }

    /// When this process opened the appliance (Unix time).
    pub fn started_unix(&self) -> i64 {
        self.started_unix
    }

    pub fn directory_generation(&self) -> u64 {
        self.directory_generation.load(Ordering::Acquire)
    }

    pub fn directory_changed(&self) {
        self.directory_generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether the appliance is stopping: background scans (orphan collection, search
    /// reconciliation; minutes at a million documents) give up at their next step, so that
    /// the last holder lets go of the database soon and it closes cleanly — a database not
    /// closed is checked page by page at the next start (20 s at a million documents).
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Stops background writers cleanly (search index commit, final access-log checkpoint).
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::Release);
        self.search.shutdown();
        self.audit.shutdown();
    }
}
