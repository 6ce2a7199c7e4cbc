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
    /// Request counts and latencies for `/metrics`.
    pub metrics: crate::web::metrics::Metrics,
    started_unix: i64,
    /// Bumped on every change to accounts, agencies or groups, so cached identities in
    /// sessions are rebuilt on their next use.
    directory_generation: AtomicU64,
}

/// Why the appliance could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("{0}")]
    Other(String),
}

impl App {
    /// Opens the data directory: keys, database (with migrations), tables, access log.
    pub fn open(config: Config) -> Result<Arc<App>, StartError> {
        let other = |e: &dyn std::fmt::Display| StartError::Other(e.to_string());
        std::fs::create_dir_all(config.data_dir()).map_err(|e| {
            StartError::Other(format!(
                "cannot create data directory {}: {e}",
                config.data_dir().display()
            ))
        })?;
        let key =
            Arc::new(ApplianceKey::load_or_create(&config.keys_dir()).map_err(|e| other(&e))?);
        let vault = Vault::open(&config.keys_dir()).map_err(|e| other(&e))?;
        let blobs = BlobStore::open(config.data_dir()).map_err(|e| other(&e))?;
        let db = Db::open(&config.database_path())?;
        db.write(|txn| {
            crate::auth::credentials::ensure_tables(txn)?;
            crate::auth::session::ensure_tables(txn)?;
            crate::portal::directory::store::ensure_tables(txn)?;
            crate::portal::documents::store::ensure_tables(txn)?;
            crate::portal::maintenance::store::ensure_tables(txn)?;
            crate::audit::chain::ensure_tables(txn)?;
            // The public key beside the data, so the log can be checked without the keys.
            txn.open_table(META)?
                .insert("appliance_public_key", key.public().to_hex().as_bytes())?;
            Ok(())
        })
        .map_err(|e| other(&e))?;
        let audit =
            AuditLog::start(db.clone(), key.clone(), &config.audit).map_err(|e| other(&e))?;
        let sessions = Sessions::new(
            config.session.idle_timeout_seconds,
            config.session.absolute_timeout_seconds,
        );
        let throttle = SignInThrottle::new(config.login.attempts_per_minute_per_ip);
        Ok(Arc::new(App {
            config,
            db,
            audit,
            key,
            blobs,
            vault,
            sessions,
            throttle,
            i18n: I18n::load(),
            metrics: Default::default(),
            started_unix: crate::clock::now().as_second(),
            directory_generation: AtomicU64::new(1),
        }))
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

    /// Stops background writers cleanly (final access-log checkpoint).
    pub fn shutdown(&self) {
        self.audit.shutdown();
    }
}
