//! Reconciling the index with the store (I385 §6.6): what the feed's in-memory queue lost
//! in a crash, what a restored or copied index holds that the store no longer has, and the
//! terms of destroyed documents still in some segment.
//!
//! It runs at every start, in the background, over every document. It walks the store in
//! batches of ascending ids and compares each batch with the index entries of the same id
//! range only, so that what it holds is one batch (≈ 15 MiB), never the whole store: at a
//! million documents the records alone are hundreds of MiB.

use std::ops::RangeInclusive;

use super::feed::stamp;
use crate::app::App;
use crate::error::{Error, Result};
use crate::portal::documents::indexing::{self, Summary};
use crate::search::index::SearchIndex;

/// Documents read from the store at a time.
const BATCH: usize = 50_000;

/// What a reconciliation found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub queued: usize,
    pub removed: usize,
    pub purged: usize,
}

/// Compares the index with the store: queues what is missing or stale, removes what the store
/// no longer has, purges destroyed documents whose terms are still in some segment.
pub fn reconcile(app: &App) -> Result<Reconciled> {
    reconcile_in_batches(app, BATCH)
}

fn reconcile_in_batches(app: &App, batch: usize) -> Result<Reconciled> {
    let index = &app.search.index;
    // The index is read before the store, once: every entry of this view was fed from a
    // document the store already had, and the store never forgets a document (destruction
    // keeps its record), so an entry is taken for one the store lacks only when it truly
    // does. Read the other way round, a document posted and indexed in between would be
    // removed from the index.
    let searcher = index.searcher();
    let mut out = Reconciled::default();
    walk(app, batch, |summaries, range| {
        let mut indexed = SearchIndex::stamps_within(&searcher, range).map_err(Error::internal)?;
        for s in summaries {
            let id = s.doc.id;
            let in_index = indexed.remove(&id);
            if s.is_active() {
                if in_index != Some(stamp(&s.doc, s.signed)) {
                    app.search.feed.changed(id);
                    out.queued += 1;
                }
            } else if s.is_destroyed() && index.holds(id).map_err(Error::internal)? {
                index.purge(id).map_err(Error::internal)?;
                out.purged += 1;
            }
        }
        // What is left of the range is in the index and not in the store.
        for id in indexed.into_keys() {
            index.delete(id).map_err(Error::internal)?;
            out.removed += 1;
        }
        Ok(())
    })?;
    if out.removed > 0 {
        index.commit().map_err(Error::internal)?;
    }
    Ok(out)
}

/// The ids of every active document, for a rebuild (8 bytes a document; the records are read
/// a batch at a time).
pub fn active_ids(app: &App) -> Result<Vec<u64>> {
    active_ids_in_batches(app, BATCH)
}

fn active_ids_in_batches(app: &App, batch: usize) -> Result<Vec<u64>> {
    let mut ids = Vec::new();
    walk(app, batch, |summaries, _| {
        ids.extend(summaries.iter().filter(|s| s.is_active()).map(|s| s.doc.id));
        Ok(())
    })?;
    Ok(ids)
}

/// Walks the store `batch` documents at a time, in ascending ids, handing each batch over with
/// the id range it stands for: from the id after the previous batch's last to its own last,
/// and to the end for the last batch. The ranges cover every id once, so an id of the index
/// that the store lacks falls in exactly one of them.
fn walk(
    app: &App,
    batch: usize,
    mut each: impl FnMut(&[Summary], RangeInclusive<u64>) -> Result<()>,
) -> Result<()> {
    let mut after = None;
    loop {
        let summaries = indexing::summaries_after(app, after, batch)?;
        let lo = after.map_or(0, |a: u64| a + 1);
        let last = summaries.last().map(|s| s.doc.id);
        let hi = match last {
            Some(id) if summaries.len() == batch => id,
            _ => u64::MAX,
        };
        each(&summaries, lo..=hi)?;
        if app.stopping() {
            return Err(Error::internal("stopping"));
        }
        if hi == u64::MAX {
            return Ok(());
        }
        after = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::documents::model::{DocState, DocumentRecord};
    use crate::portal::documents::store::Writer;
    use crate::search::index::{IndexDoc, prepare::prepare};
    use std::time::Instant;

    fn app() -> (tempfile::TempDir, std::sync::Arc<App>) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        (dir, App::open(config).unwrap())
    }

    fn destroyed() -> DocState {
        DocState::Destroyed {
            by: "test".into(),
            at: "2026-12-07T00:00:00Z".into(),
            certificate_seq: 1,
        }
    }

    fn store(app: &App, id: u64, state: DocState) -> DocumentRecord {
        let doc = DocumentRecord::for_test(id, state);
        app.db.write(|txn| Writer(txn).put_document(&doc)).unwrap();
        doc
    }

    fn index(app: &App, id: u64, stamp: u64) {
        let d = IndexDoc { doc_id: id, stamp, ..IndexDoc::default() };
        let prepared = app.search.with_stems(|stems| prepare(stems, app.search.index.fields(), &d));
        app.search.index.upsert(id, prepared, Instant::now()).unwrap();
    }

    const ONLY_IN_THE_INDEX: [u64; 3] = [1, 31, 100];

    /// A store and an index that disagree in every way a reconciliation repairs; returns what
    /// it must find.
    fn disagreeing(app: &App) -> Reconciled {
        let mut expected = Reconciled::default();
        for n in 1..=23u64 {
            // Ids 3, 6, … 69: the index-only ids fall below, between and above them.
            let state = if n % 7 == 0 { destroyed() } else { DocState::Active };
            let doc = store(app, n * 3, state);
            let active = doc.state == DocState::Active;
            match n % 4 {
                0 => index(app, doc.id, stamp(&doc, false)),
                1 => index(app, doc.id, stamp(&doc, false) ^ 2),
                _ => {}
            }
            match (active, n % 4) {
                (true, 0) => {}
                (true, _) => expected.queued += 1,
                (false, 0 | 1) => expected.purged += 1,
                (false, _) => {}
            }
        }
        for id in ONLY_IN_THE_INDEX {
            index(app, id, 5);
        }
        app.search.index.commit().unwrap();
        expected.removed = ONLY_IN_THE_INDEX.len();
        expected
    }

    /// Walked in batches of every size from one document to more than all of them, the
    /// reconciliation finds what comparing everything at once finds: ids at the edges of a
    /// batch are where a walk by ranges goes wrong.
    #[test]
    fn every_batch_size_finds_what_the_whole_comparison_finds() {
        for batch in [1, 2, 3, 5, 22, 23, 24, 1000] {
            let (_dir, app) = app();
            let expected = disagreeing(&app);
            assert!(expected.queued > 0 && expected.purged > 0, "{expected:?}");
            assert_eq!(reconcile_in_batches(&app, batch).unwrap(), expected, "batch of {batch}");
            let left = app.search.index.stamps().unwrap();
            for id in ONLY_IN_THE_INDEX {
                assert!(!left.contains_key(&id), "batch of {batch}: {id} left in the index");
            }
            // Nothing left to do.
            let again = reconcile_in_batches(&app, batch).unwrap();
            assert_eq!((again.removed, again.purged), (0, 0), "batch of {batch}");
        }
    }

    #[test]
    fn a_stop_ends_the_walk_with_an_error() {
        let (_dir, app) = app();
        disagreeing(&app);
        app.shutdown();
        assert!(reconcile_in_batches(&app, 4).is_err());
        assert!(active_ids(&app).is_err());
    }

    #[test]
    fn active_ids_walk_every_batch() {
        let (_dir, app) = app();
        let mut expected = Vec::new();
        app.db
            .write(|txn| {
                let w = Writer(txn);
                for id in (97..=97 * 30).step_by(97) {
                    let state = if id % 5 == 0 { destroyed() } else { DocState::Active };
                    if state == DocState::Active {
                        expected.push(id);
                    }
                    w.put_document(&DocumentRecord::for_test(id, state))?;
                }
                Ok(())
            })
            .unwrap();
        for batch in [1, 4, 5, 29, 30, 31, BATCH] {
            assert_eq!(active_ids_in_batches(&app, batch).unwrap(), expected, "batch of {batch}");
        }
    }
}
