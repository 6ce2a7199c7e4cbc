//! The regular audit of the system's state (R365 §9): the server's scheduler runs a
//! self-check — the access log's chain and checkpoints and every blob and reference (both
//! by `ops::verify`, the code of `ipgo verify`), the age of the last good backup, the
//! expiry of the trusted CAs and the CRLs in force, free disk and the search index's lag —
//! keeps a bounded history of runs, shows it on the auditor's page `/audit/self-check`
//! and in `/metrics`, and tells the system administrators and the auditors when a check
//! fails (the notification platform).
//!
//! `model.rs` judges the figures (no I/O), `service.rs` gathers them, stores the run and
//! sends the notice in one transaction, `http.rs` is the page and the JSON API.

pub mod http;
pub mod model;
pub mod service;
pub mod store;

use serde::{Deserialize, Serialize};

/// `[self_audit]` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelfAuditConfig {
    /// Hours between two runs (portal clock). 0 turns the scheduled self-check off.
    pub interval_hours: u64,
    /// A backup older than this many hours (or none at all) fails the backup check.
    pub backup_max_age_hours: u64,
    /// A trusted CA that expires within this many days fails the CA check.
    pub ca_warn_days: u64,
    /// Free space on the data file system below this many MiB fails the disk check
    /// (0: twice `storage.disk_floor_mb`, the point where uploads stop).
    pub disk_free_min_mb: u64,
    /// Oldest change not yet searchable, in seconds, above which the index check fails.
    pub index_lag_max_seconds: u64,
    /// Runs kept in the history (older ones are dropped as new ones are written).
    pub keep_runs: u64,
}

impl Default for SelfAuditConfig {
    fn default() -> Self {
        SelfAuditConfig {
            interval_hours: 24,
            backup_max_age_hours: 8 * 24,
            ca_warn_days: 30,
            disk_free_min_mb: 0,
            index_lag_max_seconds: 600,
            keep_runs: 90,
        }
    }
}
