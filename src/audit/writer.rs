//! The group-commit writer: a dedicated thread that appends queued entries (read-only
//! requests, failures) in batches, and signs checkpoints.
//!
//! A request's entry is committed before the request is answered: its sender waits
//! ([`Msg::Acknowledged`]), and the writer commits at once whatever has queued meanwhile —
//! under load the entries that arrive during one commit form the next batch, so the batch
//! grows with the load and a commit is shared by many requests. An answered request has its
//! entry even if the process is killed right after (R365 §7; found by the soak, issue 20).
//! Entries nobody waits for (refused connections, jobs) are committed when the first has
//! waited `group_commit_ms` (the writer sleeps meanwhile, so senders never wake it per
//! entry), when a flush was already queued, or when `MAX_BATCH` entries are waiting. If a commit fails (e.g. the disk is
//! full) the batch is kept and retried; the bounded queue then fills and requests wait,
//! so the portal never serves requests it cannot log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::chain::{self, CHECKPOINTS, Head, Pending};
use crate::db::{Db, META};
use crate::error::Result;
use crate::keys::ApplianceKey;

const MAX_BATCH: usize = 4096;
pub(super) const QUEUE: usize = 16 * 1024;

pub(super) enum Msg {
    Entry(Pending),
    /// An entry whose request waits for it to be committed before it is answered.
    Acknowledged(Pending, flume::Sender<()>),
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

pub(super) fn spawn(
    db: Db,
    key: Arc<ApplianceKey>,
    rx: flume::Receiver<Msg>,
    settings: Settings,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("audit-writer".into())
        .spawn(move || run(db, key, rx, settings))
        .expect("spawn audit writer thread")
}

fn run(db: Db, key: Arc<ApplianceKey>, rx: flume::Receiver<Msg>, settings: Settings) {
    let mut last_checkpoint_at = Instant::now();
    let mut batch: Vec<Pending> = Vec::new();
    let mut waiters: Vec<flume::Sender<()>> = Vec::new();
    let mut shutdown: Option<flume::Sender<()>> = None;
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(msg) => take(msg, &mut batch, &mut waiters, &mut shutdown),
            Err(flume::RecvTimeoutError::Timeout) => {}
            Err(flume::RecvTimeoutError::Disconnected) => break,
        }
        // Let the group gather while asleep rather than waking for every entry: one wake-up
        // per message cost about a fifth of the server's throughput (docs/benchmarks.md).
        // A flush or shutdown already queued, or a full batch waiting, skips the wait.
        if !batch.is_empty()
            && waiters.is_empty()
            && shutdown.is_none()
            && batch.len() + rx.len() < MAX_BATCH
        {
            std::thread::sleep(settings.group_commit);
        }
        // Whatever else is already queued joins this batch at no extra cost.
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(msg) => take(msg, &mut batch, &mut waiters, &mut shutdown),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            commit_with_retry(&db, &mut batch);
        }
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
        let force = shutdown.is_some();
        if let Err(e) = maybe_checkpoint(&db, &key, &settings, &mut last_checkpoint_at, force) {
            tracing::error!(error = %e, "audit checkpoint failed");
        }
        if let Some(done) = shutdown.take() {
            // Drain anything sent after the shutdown request was queued.
            let rest: Vec<Pending> = rx
                .try_iter()
                .filter_map(|m| match m {
                    Msg::Entry(e) | Msg::Acknowledged(e, _) => Some(e),
                    _ => None,
                })
                .collect();
            if !rest.is_empty() {
                let mut rest = rest;
                commit_with_retry(&db, &mut rest);
                let _ = maybe_checkpoint(&db, &key, &settings, &mut last_checkpoint_at, true);
            }
            let _ = done.send(());
            return;
        }
    }
}

fn take(
    msg: Msg,
    batch: &mut Vec<Pending>,
    waiters: &mut Vec<flume::Sender<()>>,
    shutdown: &mut Option<flume::Sender<()>>,
) {
    match msg {
        Msg::Entry(e) => batch.push(e),
        Msg::Acknowledged(e, w) => {
            batch.push(e);
            waiters.push(w);
        }
        Msg::Flush(w) => waiters.push(w),
        Msg::Shutdown(w) => *shutdown = Some(w),
    }
}

fn commit_with_retry(db: &Db, batch: &mut Vec<Pending>) {
    let mut delay = Duration::from_millis(50);
    loop {
        match db.write(|txn| chain::append_pending(txn, batch.iter())) {
            Ok(_) => {
                batch.clear();
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, pending = batch.len(), "access log commit failed; retrying");
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
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
        let last = txn.open_table(CHECKPOINTS)?.last()?.map(|(k, _)| k.value()).unwrap_or(0);
        (head, last)
    };
    if head.seq <= last_seq {
        return Ok(());
    }
    let due = force
        || head.seq - last_seq >= settings.checkpoint_every
        || last_at.elapsed() >= settings.checkpoint_interval;
    if !due {
        return Ok(());
    }
    write_checkpoint(db, key, head)?;
    *last_at = Instant::now();
    Ok(())
}

pub(super) fn write_checkpoint(db: &Db, key: &ApplianceKey, head: Head) -> Result<Checkpoint> {
    let hash = hex::encode(head.hash);
    let time = crate::clock::utc_string(crate::clock::now());
    let signature = key.sign(Checkpoint::message(head.seq, &hash, &time).as_bytes());
    let checkpoint = Checkpoint {
        seq: head.seq,
        hash,
        time,
        public_key: key.public().to_hex(),
        signature: hex::encode(signature),
    };
    let bytes = serde_json::to_vec(&checkpoint)?;
    db.write(|txn| {
        txn.open_table(CHECKPOINTS)?.insert(head.seq, bytes.as_slice())?;
        Ok(())
    })?;
    // A second copy outside the database: the system journal.
    tracing::info!(
        target: "ipgo::audit::checkpoint",
        seq = checkpoint.seq,
        hash = %checkpoint.hash,
        time = %checkpoint.time,
        signature = %checkpoint.signature,
        "access log checkpoint"
    );
    Ok(checkpoint)
}
