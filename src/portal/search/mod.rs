//! Search over documents and their attached files (I385 §6.6): the index kept in step with the
//! store ([`feed`]), the access-filtered query use case ([`service`]), its API and pages.

pub mod feed;
pub mod http;
pub mod pages;
pub mod payload;
pub mod reconcile;
pub mod service;

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::app::App;
use crate::config::Config;
use crate::search::index::{IndexError, PurgeReport, SearchIndex, Settings, Stems};

/// The search part of the appliance: the index, its feed, and the cap on concurrent searches.
pub struct Search {
    pub index: SearchIndex,
    pub feed: Arc<feed::Feed>,
    /// Searches running at once (the rest wait): a burst cannot starve the server.
    pub permits: tokio::sync::Semaphore,
    /// Analyzers with warm stem caches, lent to searches.
    stems: Mutex<Vec<Stems>>,
}

/// What `/readyz` reports about search.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SearchStatus {
    #[serde(flatten)]
    pub index: crate::search::index::Status,
    #[serde(flatten)]
    pub feed: feed::FeedStatus,
}

impl Search {
    /// Opens (or creates) `data/index`.
    pub fn open(config: &Config) -> Result<Search, IndexError> {
        let c = &config.search;
        let mut settings =
            Settings { cache_blocks: config.storage.index_cache_blocks, ..Settings::default() };
        if c.writer_memory_mb > 0 {
            settings.writer_memory = c.writer_memory_mb << 20;
        }
        let index = SearchIndex::open(&config.data_dir().join("index"), settings)?;
        let permits = match c.max_concurrent {
            0 => 2 * std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n,
        };
        Ok(Search {
            index,
            feed: Arc::default(),
            permits: tokio::sync::Semaphore::new(permits),
            stems: Mutex::new(Vec::new()),
        })
    }

    /// Starts the feed workers (they reach the store through `app`).
    pub fn start(&self, app: Weak<App>, workers: usize) {
        self.feed.start(app, workers);
    }

    /// A document changed (posted, new version, access, signature): index it again.
    pub fn changed(&self, id: u64) {
        self.feed.changed(id);
    }

    /// A document was destroyed: its terms leave every segment before this returns.
    pub fn purge(&self, id: u64) -> Result<PurgeReport, IndexError> {
        self.index.purge(id)
    }

    pub fn status(&self) -> SearchStatus {
        SearchStatus { index: self.index.status(), feed: self.feed.status() }
    }

    /// Runs `f` with a pooled [`Stems`].
    pub fn with_stems<T>(&self, f: impl FnOnce(&mut Stems) -> T) -> T {
        let mut stems = self.stems.lock().pop().unwrap_or_default();
        let out = f(&mut stems);
        self.stems.lock().push(stems);
        out
    }

    /// Stops the feed, commits what is pending and stops the writer.
    pub fn shutdown(&self) {
        self.feed.stop();
        self.index.shutdown();
    }
}

/// Reconciles the index with the store in the background (at server start).
pub fn reconcile_in_background(app: Arc<App>) {
    let spawned = std::thread::Builder::new().name("search-reconcile".into()).spawn(move || {
        match reconcile::reconcile(&app) {
            Ok(r) => tracing::info!(
                queued = r.queued,
                removed = r.removed,
                purged = r.purged,
                "search index reconciled with the store"
            ),
            Err(_) if app.stopping() => {
                tracing::info!("search index reconciliation left for the next start")
            }
            Err(e) => tracing::error!(error = %e, "search index reconciliation failed"),
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start search index reconciliation");
    }
}
