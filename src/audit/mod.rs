//! The tamper-evident access log (R365 §7–§8, §15; I385 §62).
//!
//! Every HTTP request and every admin action becomes one [`Entry`] in a sha256 hash chain
//! kept in redb. A change and its entry are written in the same transaction
//! ([`AuditLog::change`]); read-only requests and failures are queued, written to the
//! journal before their requests are answered (`journal.rs`) and group-committed to the chain
//! by the writer (`writer.rs`). Signed checkpoints, monthly zip archives and the verifier live
//! in the submodules.

pub mod archive;
pub mod blocks;
pub mod chain;
mod journal;
pub mod query;
mod refused;
mod retry;
#[cfg(test)]
mod tests;
pub mod verify;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use redb::WriteTransaction;

use crate::actor::{Actor, Channel};
use crate::config::AuditConfig;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::keys::ApplianceKey;

pub use chain::{Entry, Pending};
pub use writer::Checkpoint;

pub struct AuditLog {
    db: Db,
    key: Arc<ApplianceKey>,
    journal: Arc<journal::Journal>,
    tx: flume::Sender<writer::Msg>,
    log_reads: bool,
    refused: refused::Refused,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl AuditLog {
    /// Commits what the journal in `journal_dir` holds beyond the chain (entries of requests
    /// answered before the process last stopped), then starts the writer threads.
    pub fn start(
        db: Db,
        key: Arc<ApplianceKey>,
        config: &AuditConfig,
        journal_dir: &Path,
    ) -> Result<Arc<AuditLog>> {
        db.write(chain::ensure_tables)?;
        let journal = Arc::new(replay_journal(&db, journal_dir)?);
        let tail = journal::Tail::new(journal_dir, &journal);
        let (tx, rx) = flume::bounded(64);
        let settings = writer::Settings {
            group_commit: Duration::from_millis(config.group_commit_ms),
            checkpoint_every: config.checkpoint_every_entries,
            checkpoint_interval: Duration::from_secs(config.checkpoint_interval_minutes * 60),
        };
        let thread = writer::spawn(db.clone(), key.clone(), journal.clone(), tail, rx, settings);
        if !config.log_read_requests {
            tracing::warn!(
                "audit.log_read_requests = false: read-only requests are not logged (R365 §7 requires them)"
            );
        }
        Ok(Arc::new(AuditLog {
            db,
            key,
            journal,
            tx,
            log_reads: config.log_read_requests,
            refused: refused::Refused::new(config.refused_requests_per_minute),
            thread: Mutex::new(Some(thread)),
        }))
    }

    /// Entries journaled and not yet committed to the chain (for `/metrics`).
    pub fn queue_len(&self) -> usize {
        self.journal.waiting() as usize
    }

    pub fn logs_reads(&self) -> bool {
        self.log_reads
    }

    /// Runs a change and appends its entry (outcome `ok`) in one write transaction; the
    /// request counts as logged once the transaction commits.
    pub fn change<T>(
        &self,
        actor: &Actor,
        operation: &str,
        f: impl FnOnce(&WriteTransaction) -> Result<(T, Option<serde_json::Value>)>,
    ) -> Result<T> {
        self.record(actor, operation, "ok", None, f)
    }

    /// Like [`change`](Self::change) with an explicit outcome and status, for changes that
    /// record a refusal (e.g. a failed sign-in that counts towards a lockout).
    pub fn record<T>(
        &self,
        actor: &Actor,
        operation: &str,
        outcome: &str,
        status: Option<u16>,
        f: impl FnOnce(&WriteTransaction) -> Result<(T, Option<serde_json::Value>)>,
    ) -> Result<T> {
        let status = status.unwrap_or_else(|| status_for(actor));
        let value = self.db.write(|txn| {
            let (value, detail) = f(txn)?;
            let mut entry = Entry::draft(actor, operation, outcome, status);
            entry.detail = detail;
            chain::append_all(txn, [entry])?;
            Ok(value)
        })?;
        actor.origin.mark_logged();
        Ok(value)
    }

    /// Appends entries of generated past activity — the demo's history of use (`ipgo demo`,
    /// `portal::usage::demo`) — with their own times in the past, in one transaction. Each
    /// is marked `detail.generated` so the log itself says what it is; nothing else may
    /// back-date the log.
    pub fn append_generated(&self, mut entries: Vec<Entry>, what: &str) -> Result<usize> {
        for e in &mut entries {
            e.detail = Some(serde_json::json!({ "generated": what }));
        }
        let n = entries.len();
        self.db.write(|txn| chain::append_all(txn, entries.iter_mut()).map(|_| ()))?;
        Ok(n)
    }

    /// Journals an entry (a job's, a request's).
    pub async fn submit(&self, entry: Entry) {
        self.journal_before_answer(Pending::from_entry(&entry)).await;
    }

    /// Journals a request's entry before it is answered: the entry survives the process being
    /// killed the moment after. If the journal cannot be written (a full disk), the request
    /// waits and the write is retried, so no request is answered without its entry.
    pub async fn journal_before_answer(&self, entry: Pending) {
        retry::waiting("journal write", || self.journal.append(&entry)).await;
    }

    /// Logs a request the HTTP server answered before the pipeline saw it (`web/conntap.rs`),
    /// within this minute's allowance; otherwise counts it. Never waits: an entry that finds
    /// the queue full is counted too.
    pub fn refused(&self, ip: Option<std::net::IpAddr>, method: &str, path: &str, status: u16) {
        let Some(entry) = self.refused.entry(ip, method, path, status) else { return };
        if self.journal.append(&Pending::from_entry(&entry)).is_err() {
            self.refused.count(ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()));
        }
    }

    /// Once a minute: logs how many refused requests got no entry of their own, and starts
    /// the next minute's allowance.
    pub fn summarize_refused(&self) {
        if let Some(entry) = self.refused.new_minute() {
            self.submit_blocking(entry);
        }
    }

    /// Journals an entry from a non-async context (retried like a request's).
    pub fn submit_blocking(&self, entry: Entry) {
        let entry = Pending::from_entry(&entry);
        retry::blocking("journal write", || self.journal.append(&entry));
    }

    /// Waits until every entry queued before this call is committed.
    pub fn flush_blocking(&self) {
        let (done_tx, done_rx) = flume::bounded(1);
        if self.tx.send(writer::Msg::Flush(done_tx)).is_ok() {
            let _ = done_rx.recv();
        }
    }

    pub async fn flush(&self) {
        let (done_tx, done_rx) = flume::bounded(1);
        if self.tx.send_async(writer::Msg::Flush(done_tx)).await.is_ok() {
            let _ = done_rx.recv_async().await;
        }
    }

    /// Commits what is queued, signs a final checkpoint and stops the writer.
    pub fn shutdown(&self) {
        let Some(thread) = self.thread.lock().take() else { return };
        let (done_tx, done_rx) = flume::bounded(1);
        if self.tx.send(writer::Msg::Shutdown(done_tx)).is_ok() {
            let _ = done_rx.recv();
        }
        let _ = thread.join();
    }

    /// Signs a checkpoint of the current head now (used before archiving and by tests).
    pub fn checkpoint_now(&self) -> Result<Option<Checkpoint>> {
        self.flush_blocking();
        let head = {
            let txn = self.db.read()?;
            chain::read_head(&txn.open_table(crate::db::META)?)?
        };
        if head.seq == 0 {
            return Ok(None);
        }
        Ok(Some(writer::write_checkpoint(&self.db, &self.key, head)?))
    }

    pub fn public_key(&self) -> crate::keys::PublicKey {
        self.key.public()
    }

    pub fn key(&self) -> &ApplianceKey {
        &self.key
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Commits the journal's records after the database's mark, in their order, and opens the
/// journal for the records to come.
fn replay_journal(db: &Db, dir: &Path) -> Result<journal::Journal> {
    let applied = db.write(|txn| journal::applied(&txn.open_table(crate::db::META)?))?;
    let recovered = journal::recover(dir, applied)?;
    if let Some(&(last, _)) = recovered.records.last() {
        db.write(|txn| {
            chain::append_pending(txn, recovered.records.iter().map(|(_, entry)| entry))?;
            journal::set_applied(txn, last)
        })?;
        tracing::warn!(
            entries = recovered.records.len(),
            "access log: entries of requests answered before the last stop were committed from the journal"
        );
    }
    Ok(journal::Journal::create(dir, recovered.last.max(applied) + 1)?)
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The status recorded for a successful change: the HTTP status the handler will answer
/// with, or 0 for actions that have no HTTP status.
fn status_for(actor: &Actor) -> u16 {
    match actor.origin.channel {
        Channel::Http => actor.origin.success_status(),
        Channel::Admin | Channel::System => 0,
    }
}

/// The outcome word for an error.
pub fn outcome_of(error: &Error) -> &'static str {
    use crate::error::Code::*;
    match error.code {
        Forbidden
        | CsrfFailed
        | OriginMismatch
        | PasswordChangeRequired
        | InvalidCredentials
        | Unauthenticated
        | SessionExpired
        | TooManyRequests => "denied",
        Internal | Unavailable | SchemaTooNew | InsufficientStorage => "error",
        _ => "invalid",
    }
}

/// The outcome word of a finished request or command: `denied` when the policy refused it,
/// even if the person was told the object does not exist; otherwise the word for its
/// status (HTTP) or error (commands).
pub fn outcome_for(
    origin: &crate::actor::Origin,
    status: u16,
    error: Option<&Error>,
) -> &'static str {
    if origin.is_concealed_denial() {
        return "denied";
    }
    match error {
        Some(e) => outcome_of(e),
        None => outcome_of_status(status),
    }
}

/// The outcome word for an HTTP status.
pub fn outcome_of_status(status: u16) -> &'static str {
    match status {
        0..=399 => "ok",
        401 | 403 | 429 => "denied",
        404 | 410 => "failed",
        400..=499 => "invalid",
        _ => "error",
    }
}
