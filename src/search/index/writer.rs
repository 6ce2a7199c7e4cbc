//! The index's single writer thread. Every change reaches it as an [`Op`] on one channel, so
//! changes apply in the order they were sent. Commits are batched: a commit happens once no
//! further change has arrived for `commit_quiet` (a burst of postings, or documents posted one
//! after another, share one), and at the latest `commit_within` after the first uncommitted
//! change; the reader is reloaded right after each commit
//! (`ReloadPolicy::Manual`), so a change is searchable when its commit returns.
//!
//! A *purge* (destruction, I385 §6.8) is stronger than a delete: tantivy only marks deleted
//! documents, so the segments still holding the document's terms are merged (rewritten
//! without it) and the old segment files are garbage-collected before the purge answers.
//!
//! A *build* fills a second index in `<dir>.next` beside the live one and then swaps the two
//! directories: a rebuild never leaves searchers without an index, and works even when the
//! live directory is damaged or was deleted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tantivy::schema::Term;
use tantivy::{IndexWriter, TantivyDocument};

use super::schema::{Fields, LAYOUT};
use super::{IndexError, Live, Result, Settings, Shared, open_or_create};

pub type Reply<T> = flume::Sender<Result<T>>;

pub enum Op {
    Upsert { doc_id: u64, doc: Box<TantivyDocument>, enqueued: Instant },
    Delete(u64),
    Purge(u64, Reply<PurgeReport>),
    Commit(Reply<()>),
    BuildStart(Reply<()>),
    BuildAdd(Box<TantivyDocument>),
    BuildFinish(Reply<u64>),
    BuildAbort,
}

/// What a purge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Segments rewritten because they held the document.
    pub segments_rewritten: usize,
}

struct Build {
    dir: PathBuf,
    writer: IndexWriter,
    added: u64,
}

pub(super) struct Writer {
    pub dir: PathBuf,
    pub fields: Fields,
    pub settings: Settings,
    pub shared: Arc<Shared>,
    /// `None` only between closing the old and opening the new writer of a swap.
    pub live: Option<IndexWriter>,
    build: Option<Build>,
    /// First uncommitted change, and the oldest enqueue time among uncommitted changes.
    first_dirty: Option<Instant>,
    oldest_enqueued: Option<Instant>,
    dirty: usize,
}

pub(super) fn next_dir(dir: &Path) -> PathBuf {
    dir.with_extension("next")
}

impl Writer {
    pub fn new(
        dir: PathBuf,
        fields: Fields,
        settings: Settings,
        shared: Arc<Shared>,
        live: IndexWriter,
    ) -> Writer {
        Writer {
            dir,
            fields,
            settings,
            shared,
            live: Some(live),
            build: None,
            first_dirty: None,
            oldest_enqueued: None,
            dirty: 0,
        }
    }

    /// The thread's loop: until every sender is gone, then a last commit.
    pub fn run(mut self, rx: flume::Receiver<Op>) {
        loop {
            let wait = match self.first_dirty {
                Some(t) => self
                    .settings
                    .commit_within
                    .saturating_sub(t.elapsed())
                    .min(self.settings.commit_quiet),
                None => Duration::from_secs(3600),
            };
            let quiet = match rx.recv_timeout(wait) {
                Ok(op) => {
                    self.apply(op);
                    // Take whatever else is already waiting before deciding to commit.
                    for _ in 0..10_000 {
                        match rx.try_recv() {
                            Ok(op) => self.apply(op),
                            Err(_) => break,
                        }
                    }
                    // With no quiet period, an empty queue is enough (the old behaviour).
                    self.settings.commit_quiet.is_zero() && rx.is_empty()
                }
                Err(flume::RecvTimeoutError::Timeout) => true,
                Err(flume::RecvTimeoutError::Disconnected) => break,
            };
            let due = self.first_dirty.is_some_and(|t| t.elapsed() >= self.settings.commit_within);
            if self.dirty > 0 && (quiet || due) {
                self.commit_logged();
            }
        }
        if self.dirty > 0 {
            self.commit_logged();
        }
        if let Some(build) = self.build.take() {
            drop(build.writer);
            let _ = std::fs::remove_dir_all(&build.dir);
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Upsert { doc_id, doc, enqueued } => {
                let term = Term::from_field_u64(self.fields.doc_id, doc_id);
                let added = self.writer().and_then(|w| {
                    w.delete_term(term);
                    Ok(w.add_document(*doc)?)
                });
                if let Err(e) = added {
                    self.failed("adding a document", &e);
                }
                self.mark_dirty(Some(enqueued));
            }
            Op::Delete(doc_id) => {
                let term = Term::from_field_u64(self.fields.doc_id, doc_id);
                if let Err(e) = self.writer().map(|w| w.delete_term(term)) {
                    self.failed("deleting a document", &e);
                }
                self.mark_dirty(None);
            }
            Op::Purge(doc_id, reply) => {
                let _ = reply.send(self.purge(doc_id));
            }
            Op::Commit(reply) => {
                let result = if self.dirty > 0 { self.commit() } else { Ok(()) };
                let _ = reply.send(result);
            }
            Op::BuildStart(reply) => {
                let _ = reply.send(self.build_start());
            }
            Op::BuildAdd(doc) => {
                if let Some(build) = &mut self.build {
                    match build.writer.add_document(*doc) {
                        Ok(_) => build.added += 1,
                        Err(e) => self.failed("adding a document to the rebuilt index", &e.into()),
                    }
                }
            }
            Op::BuildFinish(reply) => {
                let _ = reply.send(self.build_finish());
            }
            Op::BuildAbort => {
                if let Some(build) = self.build.take() {
                    drop(build.writer);
                    let _ = std::fs::remove_dir_all(&build.dir);
                }
            }
        }
    }

    fn mark_dirty(&mut self, enqueued: Option<Instant>) {
        self.dirty += 1;
        self.first_dirty.get_or_insert_with(Instant::now);
        if let Some(e) = enqueued {
            self.oldest_enqueued = Some(self.oldest_enqueued.map_or(e, |o| o.min(e)));
        }
        self.shared.stats.set_uncommitted(self.dirty);
    }

    fn failed(&self, what: &str, e: &IndexError) {
        self.shared.stats.error();
        tracing::error!(error = %e, "search index: {what} failed");
    }

    fn live(&self) -> Arc<Live> {
        self.shared.live.read().clone()
    }

    /// The live writer, reopened if a failed swap left none.
    fn writer(&mut self) -> Result<&mut IndexWriter> {
        if self.live.is_none() {
            let index = open_or_create(&self.dir)?;
            let live = Live::open(index, self.settings.cache_blocks)?;
            self.live = Some(live.index.writer_with_num_threads(
                self.settings.writer_threads,
                self.settings.writer_memory,
            )?);
            *self.shared.live.write() = Arc::new(live);
        }
        Ok(self.live.as_mut().expect("opened above"))
    }

    fn commit(&mut self) -> Result<()> {
        let mut prepared = self.writer()?.prepare_commit()?;
        prepared.set_payload(LAYOUT);
        let outcome = prepared.commit();
        let dirty = std::mem::take(&mut self.dirty);
        self.first_dirty = None;
        let oldest = self.oldest_enqueued.take();
        self.shared.stats.set_uncommitted(0);
        if let Err(e) = outcome {
            // What was not committed is lost from the index, not from the store: the feed's
            // reconciliation finds it again by its stamp.
            if let Some(w) = self.live.as_mut() {
                let _ = w.rollback();
            }
            return Err(e.into());
        }
        self.live().reader.reload()?;
        self.shared.stats.committed(dirty, oldest.map(|o| o.elapsed()));
        Ok(())
    }

    fn commit_logged(&mut self) {
        if let Err(e) = self.commit() {
            self.failed("commit", &e);
        }
    }

    /// Deletes the document, then rewrites every segment whose term dictionary still holds it
    /// (deleted documents keep their terms until their segment is merged) and collects the
    /// old segment files.
    fn purge(&mut self, doc_id: u64) -> Result<PurgeReport> {
        let term = Term::from_field_u64(self.fields.doc_id, doc_id);
        self.writer()?.delete_term(term.clone());
        self.mark_dirty(None);
        self.commit()?;
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut report = PurgeReport::default();
        let mut replaced = Vec::new();
        loop {
            let holding = self.live().segments_holding(&term)?;
            if holding.is_empty() {
                break;
            }
            match self.writer()?.merge(&holding).wait() {
                Ok(_) => {
                    report.segments_rewritten += holding.len();
                    replaced.extend(holding);
                }
                // A background merge holds one of them: its result is checked next round.
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!(error = %e, "purge: segment busy, retrying");
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
            self.live().reader.reload()?;
        }
        // Searches still running on the old segments keep their files until they finish.
        loop {
            self.live().reader.reload()?;
            self.writer()?.garbage_collect_files().wait()?;
            let left = leftover_files(&self.dir, &replaced)?;
            if left.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(IndexError::Other(format!(
                    "purge of document {doc_id}: files of rewritten segments remain: {left:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(report)
    }

    fn build_start(&mut self) -> Result<()> {
        if self.build.is_some() {
            return Err(IndexError::Other("a rebuild is already running".into()));
        }
        let dir = next_dir(&self.dir);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        let index = open_or_create(&dir)?;
        let writer = index
            .writer_with_num_threads(self.settings.writer_threads, self.settings.writer_memory)?;
        self.build = Some(Build { dir, writer, added: 0 });
        Ok(())
    }

    /// Commits the new index and puts it in place of the live one.
    fn build_finish(&mut self) -> Result<u64> {
        let Some(mut build) = self.build.take() else {
            return Err(IndexError::Other("no rebuild is running".into()));
        };
        let mut prepared = build.writer.prepare_commit()?;
        prepared.set_payload(LAYOUT);
        prepared.commit()?;
        build.writer.wait_merging_threads()?;
        // Changes that reached the live index meanwhile are found again by reconciliation.
        if self.dirty > 0 {
            self.commit_logged();
        }
        let old = self.dir.with_extension("old");
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        // The live writer lets go of its directory (and lock) before the swap.
        if let Some(previous) = self.live.take()
            && let Err(e) = previous.wait_merging_threads()
        {
            tracing::warn!(error = %e, "search index: closing the old writer");
        }
        if self.dir.exists() {
            std::fs::rename(&self.dir, &old)?;
        }
        std::fs::rename(&build.dir, &self.dir)?;
        self.writer()?;
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(build.added)
    }
}

/// Files in `dir` that belong to one of `segments` (named `<segment uuid>.<ext>`).
fn leftover_files(dir: &Path, segments: &[tantivy::index::SegmentId]) -> Result<Vec<String>> {
    let prefixes: Vec<String> = segments.iter().map(|s| s.uuid_string()).collect();
    let mut left = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            left.push(name);
        }
    }
    Ok(left)
}
