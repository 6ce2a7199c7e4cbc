//! The full-text index (I385 §6.6) in `data/index/`: derived data, rebuilt from the store when
//! missing, damaged or of another layout, and never part of a backup.
//!
//! [`SearchIndex`] owns the tantivy index, its reader (`ReloadPolicy::Manual`, reloaded by the
//! writer after every commit) and the single writer thread ([`writer`]). Callers analyse
//! documents in their own threads ([`prepare`]) and send them; queries ([`query`]) run on
//! whatever thread calls them (the portal runs them off the async executor). The index knows
//! nothing of keys or of the store: what it stores for each document is an opaque payload.

pub mod collect;
pub mod pairs;
pub mod prepare;
pub mod query;
pub mod schema;
pub mod snippet;
mod writer;

#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Term, Value};
use tantivy::store::Compressor;
use tantivy::{Index, IndexReader, IndexSettings, ReloadPolicy, Searcher, TantivyDocument};

pub use prepare::{Body, IndexDoc, Stems};
pub use schema::Fields;
pub use writer::PurgeReport;
use writer::{Op, Reply, Writer};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: the writer has stopped")]
    Closed,
    #[error("search index: {0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, IndexError>;

/// How the writer works.
#[derive(Clone, Debug)]
pub struct Settings {
    /// tantivy's indexing memory, in bytes, for all its threads together.
    pub writer_memory: usize,
    pub writer_threads: usize,
    /// Longest wait between a change and its commit while changes keep coming.
    pub commit_within: Duration,
    /// How long the writer waits for a further change before it commits. Documents posted
    /// one after another (a person or a script uploading a folder) then share a commit
    /// instead of paying one each: a commit starts new segment writers (their memory arenas
    /// are allocated and zeroed) and fsyncs several files, which cost more CPU than indexing
    /// a short document (profile in docs/benchmarks.md, issue 18). Zero: commit as soon as
    /// no change waits.
    pub commit_quiet: Duration,
    /// Decoded document-store blocks the reader keeps per segment (tantivy's default: 100).
    pub cache_blocks: usize,
}

impl Default for Settings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Settings {
            writer_memory: 96 << 20,
            writer_threads: cores.clamp(1, 4),
            commit_within: Duration::from_millis(500),
            commit_quiet: Duration::from_millis(100),
            cache_blocks: 10,
        }
    }
}

/// The open index and its reader; replaced as a whole when a rebuild is swapped in.
pub(crate) struct Live {
    pub index: Index,
    pub reader: IndexReader,
}

impl Live {
    fn open(index: Index, cache_blocks: usize) -> Result<Live> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(cache_blocks)
            .try_into()?;
        Ok(Live { index, reader })
    }

    /// Segments whose term dictionary holds `term`, deleted documents included.
    fn segments_holding(&self, term: &Term) -> Result<Vec<tantivy::index::SegmentId>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for segment in searcher.segment_readers() {
            if segment.inverted_index(term.field())?.get_term_info(term)?.is_some() {
                out.push(segment.segment_id());
            }
        }
        Ok(out)
    }
}

/// Figures for monitoring (`/readyz`).
#[derive(Default)]
pub(crate) struct Stats {
    uncommitted: AtomicUsize,
    commits: AtomicU64,
    errors: AtomicU64,
    /// Milliseconds from a change being sent to its commit, for the last commit.
    last_lag_ms: AtomicU64,
    last_commit: Mutex<Option<Instant>>,
}

impl Stats {
    fn set_uncommitted(&self, n: usize) {
        self.uncommitted.store(n, Ordering::Relaxed);
    }

    fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    fn committed(&self, _changes: usize, lag: Option<Duration>) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        if let Some(lag) = lag {
            self.last_lag_ms.store(lag.as_millis() as u64, Ordering::Relaxed);
        }
        *self.last_commit.lock() = Some(Instant::now());
    }
}

pub(crate) struct Shared {
    live: RwLock<Arc<Live>>,
    stats: Stats,
}

/// What the writer is doing, for monitoring.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    /// Documents searchable now.
    pub documents: u64,
    /// Changes received but not yet committed.
    pub uncommitted: usize,
    pub commits: u64,
    pub errors: u64,
    /// From the oldest change of the last commit being sent to the commit, in ms.
    pub last_lag_ms: u64,
    /// Seconds since the last commit (`None`: none since start).
    pub since_last_commit_s: Option<u64>,
}

pub struct SearchIndex {
    dir: PathBuf,
    fields: Fields,
    shared: Arc<Shared>,
    tx: Mutex<Option<flume::Sender<Op>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Opens the index in `dir`; an index of another layout or one that cannot be opened is
/// removed and created afresh (it is derived data). Registers the analyzers.
pub(crate) fn open_or_create(dir: &Path) -> Result<Index> {
    let (schema, _) = schema::build();
    if dir.join("meta.json").exists() {
        let usable = match Index::open_in_dir(dir) {
            Ok(index) => {
                let layout = index.load_metas().ok().and_then(|m| m.payload);
                if index.schema() == schema && layout.as_deref().is_none_or(|l| l == schema::LAYOUT)
                {
                    Some(index)
                } else {
                    tracing::warn!(dir = %dir.display(), ?layout, "search index of another layout: rebuilding");
                    None
                }
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "search index cannot be opened: rebuilding");
                None
            }
        };
        if let Some(index) = usable {
            crate::search::analysis::register(&index);
            return Ok(index);
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    // Payloads are sealed by the caller: compressing them would only cost time.
    let settings = IndexSettings { docstore_compression: Compressor::None, ..Default::default() };
    let index = Index::builder().schema(schema).settings(settings).create_in_dir(dir)?;
    crate::search::analysis::register(&index);
    Ok(index)
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir` and starts its writer thread.
    pub fn open(dir: &Path, settings: Settings) -> Result<SearchIndex> {
        let next = writer::next_dir(dir);
        if next.exists() {
            // A rebuild interrupted by a stop: start it over when asked again.
            std::fs::remove_dir_all(&next)?;
        }
        let index = open_or_create(dir)?;
        let fields = Fields::of(&index.schema())?;
        let shared = Arc::new(Shared {
            live: RwLock::new(Arc::new(Live::open(index.clone(), settings.cache_blocks)?)),
            stats: Stats::default(),
        });
        let (tx, rx) = flume::unbounded();
        let (ready, started) = flume::bounded(1);
        let (dir_owned, shared_w) = (dir.to_owned(), shared.clone());
        // The writer is made on its own thread, which reports whether that worked.
        let thread = std::thread::Builder::new().name("search-writer".into()).spawn(move || {
            let threads = (settings.writer_threads, settings.writer_memory);
            match index.writer_with_num_threads(threads.0, threads.1) {
                Ok(writer) => {
                    let _ = ready.send(Ok(()));
                    Writer::new(dir_owned, fields, settings, shared_w, writer).run(rx);
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        })?;
        started.recv().map_err(|_| IndexError::Closed)??;
        Ok(SearchIndex {
            dir: dir.to_owned(),
            fields,
            shared,
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    fn send(&self, op: Op) -> Result<()> {
        let tx = self.tx.lock().clone().ok_or(IndexError::Closed)?;
        tx.send(op).map_err(|_| IndexError::Closed)
    }

    fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Op) -> Result<T> {
        let (reply, answer) = flume::bounded(1);
        self.send(make(reply))?;
        answer.recv().map_err(|_| IndexError::Closed)?
    }

    /// Adds or replaces the document `doc_id` (prepared with [`prepare::prepare`]).
    /// `enqueued`: when the change happened, for the lag figure.
    pub fn upsert(&self, doc_id: u64, doc: TantivyDocument, enqueued: Instant) -> Result<()> {
        self.send(Op::Upsert { doc_id, doc: Box::new(doc), enqueued })
    }

    pub fn delete(&self, doc_id: u64) -> Result<()> {
        self.send(Op::Delete(doc_id))
    }

    /// Deletes the document and rewrites the segments that held its terms; returns when no
    /// file under the index directory holds them any more.
    pub fn purge(&self, doc_id: u64) -> Result<PurgeReport> {
        self.ask(|r| Op::Purge(doc_id, r))
    }

    /// Commits what was sent so far and reloads the reader.
    pub fn commit(&self) -> Result<()> {
        self.ask(Op::Commit)
    }

    /// Starts filling a new index beside the live one.
    pub fn build_start(&self) -> Result<()> {
        self.ask(Op::BuildStart)
    }

    pub fn build_add(&self, doc: TantivyDocument) -> Result<()> {
        self.send(Op::BuildAdd(Box::new(doc)))
    }

    /// Commits the new index and swaps it in; returns how many documents it holds.
    pub fn build_finish(&self) -> Result<u64> {
        self.ask(Op::BuildFinish)
    }

    pub fn build_abort(&self) {
        let _ = self.send(Op::BuildAbort);
    }

    pub fn searcher(&self) -> Searcher {
        self.shared.live.read().reader.searcher()
    }

    /// `doc_id → stamp` of every live document.
    pub fn stamps(&self) -> Result<HashMap<u64, u64>> {
        Self::stamps_within(&self.searcher(), 0..=u64::MAX)
    }

    /// `doc_id → stamp` of the live documents of `searcher` whose ids are in `ids`. Every
    /// call reads every segment's two columns (a few ns a document): a caller walking a
    /// large index range by range holds one range's map at a time, never the whole index's.
    pub fn stamps_within(
        searcher: &Searcher,
        ids: std::ops::RangeInclusive<u64>,
    ) -> Result<HashMap<u64, u64>> {
        let mut out = HashMap::new();
        for segment in searcher.segment_readers() {
            let doc_ids = segment.fast_fields().u64("doc_id")?;
            let stamps = segment.fast_fields().u64("stamp")?;
            for doc in segment.doc_ids_alive() {
                if let Some(id) = doc_ids.first(doc).filter(|id| ids.contains(id)) {
                    out.insert(id, stamps.first(doc).unwrap_or(0));
                }
            }
        }
        Ok(out)
    }

    /// Whether any segment still holds terms of `doc_id` (deleted documents included).
    pub fn holds(&self, doc_id: u64) -> Result<bool> {
        let live = self.shared.live.read().clone();
        Ok(!live.segments_holding(&Term::from_field_u64(self.fields.doc_id, doc_id))?.is_empty())
    }

    /// The version and payload stored for `doc_id`.
    pub fn stored(&self, doc_id: u64) -> Result<Option<(u32, Vec<u8>)>> {
        let searcher = self.searcher();
        let query = TermQuery::new(
            Term::from_field_u64(self.fields.doc_id, doc_id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, addr)) = top.into_iter().next() else { return Ok(None) };
        let doc: TantivyDocument = searcher.doc(addr)?;
        Ok(Some(self.version_and_payload(&doc)))
    }

    pub(crate) fn version_and_payload(&self, doc: &TantivyDocument) -> (u32, Vec<u8>) {
        let version = doc.get_first(self.fields.version).and_then(|v| v.as_u64()).unwrap_or(0);
        let payload = doc
            .get_first(self.fields.payload)
            .and_then(|v| v.as_bytes())
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        (version as u32, payload)
    }

    pub fn status(&self) -> Status {
        let s = &self.shared.stats;
        Status {
            documents: self.searcher().num_docs(),
            uncommitted: s.uncommitted.load(Ordering::Relaxed),
            commits: s.commits.load(Ordering::Relaxed),
            errors: s.errors.load(Ordering::Relaxed),
            last_lag_ms: s.last_lag_ms.load(Ordering::Relaxed),
            since_last_commit_s: s.last_commit.lock().map(|t| t.elapsed().as_secs()),
        }
    }

    /// Commits what is pending and stops the writer thread.
    pub fn shutdown(&self) {
        drop(self.tx.lock().take());
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        self.shutdown();
    }
}
