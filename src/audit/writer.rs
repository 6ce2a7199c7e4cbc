//! The writer: two threads between a request's entry and the hash chain.
//!
//! `audit-journal` takes the queued entries, appends each group to the journal
//! (`journal.rs`) with one `write(2)` and then wakes the requests waiting for their entry
//! ([`Msg::Acknowledged`]): a request is answered once its entry is in the journal, which
//! survives the process being killed the next moment (R365 §7; found by the soak, issue 20).
//! Under load the entries that arrive during one write form the next group. Entries nobody
//! waits for (refused connections, jobs) are journaled when the first has waited
//! `group_commit_ms` (the thread sleeps meanwhile, so senders never wake it per entry), when
//! a flush is queued, or when `MAX_BATCH` entries are waiting.
//!
//! `audit-writer` commits the journaled entries to the chain in redb, one durable commit per
//! `group_commit_ms` at most (no answer waits for it), records the last journal number
//! committed in the same transaction, removes the journal's segments once committed, and
//! signs checkpoints. A flush waits for this commit.
//!
//! If a commit fails (e.g. the disk is full) the group is kept and retried; the bounded
//! channel between the threads fills, the journal thread stops taking entries, the queue
//! fills and requests wait, so the portal never serves requests it cannot log. A failed
//! journal write is retried the same way before anyone is answered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::chain::{self, CHECKPOINTS, Head, Pending};
use super::journal::{self, Closed, Journal};
use crate::db::{Db, META};
use crate::error::Result;
use crate::keys::ApplianceKey;

const MAX_BATCH: usize = 4096;
pub(super) const QUEUE: usize = 16 * 1024;
/// Journaled groups waiting for their commit before the journal thread stops taking
/// entries (back-pressure when the database cannot commit).
const JOURNALED: usize = 256;

pub(super) enum Msg {
    Entry(Pending),
    /// An entry whose request waits for it to be journaled before it is answered.
    Acknowledged(Pending, flume::Sender<()>),
    /// Answered once everything queued before it is committed to the chain.
    Flush(flume::Sender<()>),
    Shutdown(flume::Sender<()>),
}

/// What the journal thread hands the committing thread, in order.
enum Journaled {
    /// Entries and the journal number of the last of them.
    Group(Vec<Pending>, u64),
    /// A segment written to its end, to remove once its last record is committed.
    Closed(Closed),
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

/// Starts both threads; the handle returned is the journal thread's, which joins the
/// committing thread before it ends.
pub(super) fn spawn(
    db: Db,
    key: Arc<ApplianceKey>,
    journal: Journal,
    rx: flume::Receiver<Msg>,
    settings: Settings,
) -> std::thread::JoinHandle<()> {
    let (to_commit, journaled) = flume::bounded(JOURNALED);
    let group_commit = settings.group_commit;
    let committer = std::thread::Builder::new()
        .name("audit-writer".into())
        .spawn(move || commit_loop(db, key, journaled, settings))
        .expect("spawn audit writer thread");
    std::thread::Builder::new()
        .name("audit-journal".into())
        .spawn(move || {
            journal_loop(journal, rx, &to_commit, group_commit);
            drop(to_commit);
            let _ = committer.join();
        })
        .expect("spawn audit journal thread")
}

/// What the journal thread has taken from the queue and not yet handled.
#[derive(Default)]
struct Taken {
    entries: Vec<Pending>,
    acks: Vec<flume::Sender<()>>,
    flushes: Vec<flume::Sender<()>>,
    shutdown: Option<flume::Sender<()>>,
}

impl Taken {
    fn take(&mut self, msg: Msg) {
        match msg {
            Msg::Entry(e) => self.entries.push(e),
            Msg::Acknowledged(e, w) => {
                self.entries.push(e);
                self.acks.push(w);
            }
            Msg::Flush(w) => self.flushes.push(w),
            Msg::Shutdown(w) => self.shutdown = Some(w),
        }
    }
}

fn journal_loop(
    mut journal: Journal,
    rx: flume::Receiver<Msg>,
    to_commit: &flume::Sender<Journaled>,
    group_commit: Duration,
) {
    let mut taken = Taken::default();
    loop {
        let mut stopping = false;
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(msg) => taken.take(msg),
            Err(flume::RecvTimeoutError::Timeout) => {}
            Err(flume::RecvTimeoutError::Disconnected) => stopping = true,
        }
        // Let entries nobody waits for gather while asleep rather than waking per entry:
        // one wake-up per message cost about a fifth of the server's throughput.
        if !taken.entries.is_empty()
            && taken.acks.is_empty()
            && taken.flushes.is_empty()
            && taken.shutdown.is_none()
            && !stopping
            && taken.entries.len() + rx.len() < MAX_BATCH
        {
            std::thread::sleep(group_commit);
        }
        // Whatever else is already queued joins this group at no extra cost; at shutdown,
        // everything sent before the request.
        while taken.shutdown.is_some() || stopping || taken.entries.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(msg) => taken.take(msg),
                Err(_) => break,
            }
        }
        if !taken.entries.is_empty() {
            let (last, closed) = append_with_retry(&mut journal, &taken.entries);
            for ack in taken.acks.drain(..) {
                let _ = ack.send(());
            }
            let _ = to_commit.send(Journaled::Group(std::mem::take(&mut taken.entries), last));
            if let Some(closed) = closed {
                let _ = to_commit.send(Journaled::Closed(closed));
            }
        }
        for flush in taken.flushes.drain(..) {
            let _ = to_commit.send(Journaled::Flush(flush));
        }
        if stopping || taken.shutdown.is_some() {
            let _ = to_commit.send(Journaled::Closed(journal.close()));
            if let Some(done) = taken.shutdown.take() {
                let _ = to_commit.send(Journaled::Shutdown(done));
            }
            return;
        }
    }
}

fn append_with_retry(journal: &mut Journal, entries: &[Pending]) -> (u64, Option<Closed>) {
    let mut delay = Duration::from_millis(50);
    loop {
        match journal.append(entries) {
            Ok(done) => return done,
            Err(e) => {
                tracing::error!(error = %e, pending = entries.len(), "access log journal write failed; retrying");
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// What the committing thread has received and not yet handled.
#[derive(Default)]
struct Received {
    entries: Vec<Pending>,
    /// The journal number of the last entry received.
    last: u64,
    closed: Vec<Closed>,
    flushes: Vec<flume::Sender<()>>,
    shutdown: Option<flume::Sender<()>>,
}

impl Received {
    fn take(&mut self, msg: Journaled) {
        match msg {
            Journaled::Group(group, last) => {
                self.entries.extend(group);
                self.last = last;
            }
            Journaled::Closed(segment) => self.closed.push(segment),
            Journaled::Flush(w) => self.flushes.push(w),
            Journaled::Shutdown(w) => self.shutdown = Some(w),
        }
    }

    /// Removes the segments whose every record is committed.
    fn remove_committed_segments(&mut self) {
        let applied = self.last;
        self.closed.retain(|segment| {
            if segment.last > applied {
                return true;
            }
            if let Err(e) = std::fs::remove_file(&segment.path) {
                tracing::warn!(error = %e, segment = %segment.path.display(), "access log journal segment not removed");
            }
            false
        });
    }
}

fn commit_loop(db: Db, key: Arc<ApplianceKey>, rx: flume::Receiver<Journaled>, settings: Settings) {
    let mut last_checkpoint_at = Instant::now();
    let mut received = Received::default();
    loop {
        let mut stopping = false;
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(msg) => received.take(msg),
            Err(flume::RecvTimeoutError::Timeout) => {}
            Err(flume::RecvTimeoutError::Disconnected) => stopping = true,
        }
        // No answer waits for this commit: one durable commit per window under load.
        if !received.entries.is_empty()
            && received.flushes.is_empty()
            && received.shutdown.is_none()
            && !stopping
        {
            std::thread::sleep(settings.group_commit);
        }
        while let Ok(msg) = rx.try_recv() {
            received.take(msg);
        }
        if !received.entries.is_empty() {
            commit_with_retry(&db, &mut received.entries, received.last);
        }
        received.remove_committed_segments();
        for flush in received.flushes.drain(..) {
            let _ = flush.send(());
        }
        let force = received.shutdown.is_some() || stopping;
        if let Err(e) = maybe_checkpoint(&db, &key, &settings, &mut last_checkpoint_at, force) {
            tracing::error!(error = %e, "audit checkpoint failed");
        }
        if let Some(done) = received.shutdown.take() {
            let _ = done.send(());
            return;
        }
        if stopping {
            return;
        }
    }
}

fn commit_with_retry(db: &Db, entries: &mut Vec<Pending>, last: u64) {
    let mut delay = Duration::from_millis(50);
    loop {
        let committed = db.write(|txn| {
            chain::append_pending(txn, entries.iter())?;
            journal::set_applied(txn, last)
        });
        match committed {
            Ok(()) => {
                entries.clear();
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, pending = entries.len(), "access log commit failed; retrying");
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
