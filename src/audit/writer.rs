//! The writer: the thread that commits the journaled entries to the hash chain.
//!
//! A request's entry is appended to the journal (`journal.rs`) by the thread that answers
//! the request, before the answer leaves; it survives the process being killed the next
//! moment (R365 §7; found by the soak, issue 20). This thread wakes every `group_commit_ms`
//! (or at once for a flush), reads what was journaled meanwhile and commits it to the chain
//! in redb in one durable transaction that also records the last journal number committed,
//! removes the segments read to their end, and signs checkpoints. No answer waits for it.
//!
//! If a commit fails (e.g. the disk is full) it is retried with the same entries; the
//! journal keeps them meanwhile. If the journal itself cannot be written, the request waits
//! (`AuditLog::journal_before_answer` retries), so the portal never answers a request it has not
//! logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::chain::{self, CHECKPOINTS, Head};
use super::journal::{self, Journal, Tail};
use super::retry;
use crate::db::{Db, META};
use crate::error::Result;
use crate::keys::ApplianceKey;

pub(super) enum Msg {
    /// Answered once everything journaled before it is committed to the chain.
    Flush(flume::Sender<()>),
    Shutdown(flume::Sender<()>),
}

/// A signed statement that the chain had this head at this time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: String,
    pub time: String,
    pub public_key: String,
    pub signature: String,
}

impl Checkpoint {
    /// The exact bytes signed.
    pub fn message(seq: u64, hash: &str, time: &str) -> String {
        format!("ipgo-audit-checkpoint-v1\n{seq}\n{hash}\n{time}\n")
    }
}

pub(super) struct Settings {
    pub group_commit: Duration,
    pub checkpoint_every: u64,
    pub checkpoint_interval: Duration,
}

impl Settings {
    /// Whether a checkpoint of the head `head_seq` is due, the last one covering `last_seq`
    /// and signed at `last_at`: enough entries or enough time since.
    fn checkpoint_due(&self, head_seq: u64, last_seq: u64, last_at: Instant) -> bool {
        head_seq > last_seq
            && (head_seq - last_seq >= self.checkpoint_every
                || last_at.elapsed() >= self.checkpoint_interval)
    }
}

/// The sequence number the last checkpoint covers (0 when none).
fn last_checkpoint_seq<T: ReadableTable<u64, &'static [u8]>>(checkpoints: &T) -> Result<u64> {
    Ok(checkpoints.last()?.map(|(k, _)| k.value()).unwrap_or(0))
}

pub(super) fn spawn(
    db: Db,
    key: Arc<ApplianceKey>,
    journal: Arc<Journal>,
    tail: Tail,
    rx: flume::Receiver<Msg>,
    settings: Settings,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("audit-writer".into())
        .spawn(move || run(db, key, journal, tail, rx, settings))
        .expect("spawn audit writer thread")
}

fn run(
    db: Db,
    key: Arc<ApplianceKey>,
    journal: Arc<Journal>,
    mut tail: Tail,
    rx: flume::Receiver<Msg>,
    settings: Settings,
) {
    let mut last_checkpoint_at = Instant::now();
    let mut read = journal::Read::default();
    loop {
        let mut flushes = Vec::new();
        let mut shutdown = None;
        let mut stopping = false;
        match rx.recv_timeout(settings.group_commit) {
            Ok(Msg::Flush(w)) => flushes.push(w),
            Ok(Msg::Shutdown(w)) => shutdown = Some(w),
            Err(flume::RecvTimeoutError::Timeout) => {}
            Err(flume::RecvTimeoutError::Disconnected) => stopping = true,
        }
        for msg in rx.try_iter() {
            match msg {
                Msg::Flush(w) => flushes.push(w),
                Msg::Shutdown(w) => shutdown = Some(w),
            }
        }
        commit_journaled(
            &db,
            &journal,
            &mut tail,
            &mut read,
            &key,
            &settings,
            &mut last_checkpoint_at,
        );
        for flush in flushes {
            let _ = flush.send(());
        }
        let force = shutdown.is_some() || stopping;
        if let Err(e) = maybe_checkpoint(&db, &key, &settings, &mut last_checkpoint_at, force) {
            tracing::error!(error = %e, "audit checkpoint failed");
        }
        if let Some(done) = shutdown {
            let _ = done.send(());
            return;
        }
        if stopping {
            return;
        }
    }
}

/// Commits what was journaled since the last call, a finished segment at a time, removing
/// each segment once its entries are committed. A checkpoint that falls due is signed in the
/// same transaction: under load one fell due every 1,000 entries, and a commit of its own
/// (with its `fdatasync`) each time was a twentieth of the writer's work (docs/benchmarks.md).
fn commit_journaled(
    db: &Db,
    journal: &Journal,
    tail: &mut Tail,
    read: &mut journal::Read,
    key: &ApplianceKey,
    settings: &Settings,
    last_checkpoint_at: &mut Instant,
) {
    loop {
        retry::blocking("journal read", || tail.read_into(journal, read));
        if let Some(last) = read.last {
            let signed = retry::blocking("commit", || {
                db.write(|txn| {
                    let head = chain::append_pending(txn, read.entries.iter())?;
                    journal::set_applied(txn, last)?;
                    let last_seq = last_checkpoint_seq(&txn.open_table(CHECKPOINTS)?)?;
                    if !settings.checkpoint_due(head.seq, last_seq, *last_checkpoint_at) {
                        return Ok(None);
                    }
                    let checkpoint = sign(key, head);
                    store(txn, &checkpoint)?;
                    Ok(Some(checkpoint))
                })
            });
            journal.mark_committed(last);
            if let Some(checkpoint) = signed {
                announce(&checkpoint);
                *last_checkpoint_at = Instant::now();
            }
        }
        for path in &read.finished {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(error = %e, segment = %path.display(), "access log journal segment not removed");
            }
        }
        if !read.more {
            return;
        }
    }
}

/// Signs a checkpoint when enough entries or time have passed since the last one.
pub(super) fn maybe_checkpoint(
    db: &Db,
    key: &ApplianceKey,
    settings: &Settings,
    last_at: &mut Instant,
    force: bool,
) -> Result<()> {
    let (head, last_seq) = {
        let txn = db.read()?;
        let head = chain::read_head(&txn.open_table(META)?)?;
        (head, last_checkpoint_seq(&txn.open_table(CHECKPOINTS)?)?)
    };
    let due =
        (force && head.seq > last_seq) || settings.checkpoint_due(head.seq, last_seq, *last_at);
    if !due {
        return Ok(());
    }
    write_checkpoint(db, key, head)?;
    *last_at = Instant::now();
    Ok(())
}

pub(super) fn write_checkpoint(db: &Db, key: &ApplianceKey, head: Head) -> Result<Checkpoint> {
    let checkpoint = sign(key, head);
    db.write(|txn| store(txn, &checkpoint))?;
    announce(&checkpoint);
    Ok(checkpoint)
}

/// A checkpoint of `head`, signed now.
fn sign(key: &ApplianceKey, head: Head) -> Checkpoint {
    let hash = hex::encode(head.hash);
    let time = crate::clock::utc_string(crate::clock::now());
    let signature = key.sign(Checkpoint::message(head.seq, &hash, &time).as_bytes());
    Checkpoint {
        seq: head.seq,
        hash,
        time,
        public_key: key.public().to_hex(),
        signature: hex::encode(signature),
    }
}

fn store(txn: &redb::WriteTransaction, checkpoint: &Checkpoint) -> Result<()> {
    let bytes = serde_json::to_vec(checkpoint)?;
    txn.open_table(CHECKPOINTS)?.insert(checkpoint.seq, bytes.as_slice())?;
    Ok(())
}

/// A second copy outside the database, once the checkpoint is committed: the system journal.
fn announce(checkpoint: &Checkpoint) {
    tracing::info!(
        target: "ipgo::audit::checkpoint",
        seq = checkpoint.seq,
        hash = %checkpoint.hash,
        time = %checkpoint.time,
        signature = %checkpoint.signature,
        "access log checkpoint"
    );
}
