//! Keeping the index in step with the store (I385 §6.6).
//!
//! After each committed change the documents feature names the document ([`Feed::changed`]);
//! feed workers — off the request path, so posting stays fast — read its current state,
//! extract the text of its attachments in the sandbox (`ipgo extract`), repair and analyse it,
//! and hand it to the index's writer. A document is never worked on by two workers at once,
//! and a worker always reads the state *now*, so changes apply in order and a burst of changes
//! to one document is indexed once.
//!
//! Fairness: extraction is the slow part, so a document gets one *turn* of at most
//! `search.extraction_turn_ms` of it at a time. A document whose attachments take longer is indexed with what is done
//! (its metadata, text and file names are findable at once) and queued again behind the
//! others; the next turn reuses the texts already in the index and goes on with the rest.
//! Its stamp stays "incomplete" until the last file is done, so a restart finishes it.
//!
//! The queue lives in memory: what a crash loses, [`super::reconcile`] finds at the next
//! start by comparing each document's *stamp* (what the index depends on: version, readers,
//! signature status, type) with the one indexed. [`reindex`] builds a new index from the
//! store.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use sha2::{Digest, Sha256};

use super::payload::{Part, Payload};
use crate::app::App;
use crate::error::{Error, Result};
use crate::portal::documents::indexing::{self, Active, Source};
use crate::portal::documents::model::DocumentRecord;
use crate::search::extract;
use crate::search::index::{Body, IndexDoc, Stems, prepare::prepare};
use crate::search::normalize::normalize;

/// What a document's index entry depends on; a different stamp means it must be indexed again.
pub fn stamp(doc: &DocumentRecord, signed: bool) -> u64 {
    let mut h = Sha256::new();
    h.update(doc.current_version.to_be_bytes());
    h.update(doc.doc_type.as_bytes());
    h.update([u8::from(signed)]);
    for p in doc.access.principals(doc.author_id) {
        h.update(p.as_bytes());
        h.update([0]);
    }
    u64::from_be_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
}

fn status(signed: bool) -> &'static str {
    if signed { "signed" } else { "unsigned" }
}

/// The stamp of an index entry still missing the text of some attachments: never equal to
/// a document's [`stamp`] (its lowest bit differs), so [`super::reconcile`] queues it again.
fn incomplete(stamp: u64) -> u64 {
    stamp ^ 1
}

fn millis(stored: &str) -> i64 {
    crate::clock::parse(stored).map(|t| t.as_millisecond()).unwrap_or(0)
}

#[derive(Default)]
struct Queue {
    order: VecDeque<u64>,
    /// Waiting documents and since when.
    pending: HashMap<u64, Instant>,
    /// Documents being worked on and since when.
    busy: HashMap<u64, Instant>,
}

/// The work queue and its workers.
#[derive(Default)]
pub struct Feed {
    queue: Mutex<Queue>,
    wake: Condvar,
    stop: AtomicBool,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
    failures: AtomicUsize,
}

/// The feed's state for monitoring.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FeedStatus {
    /// Documents waiting or being indexed.
    pub queued: usize,
    /// Age of the oldest of them, in ms (0 when none): the index lag.
    pub oldest_ms: u64,
    /// Documents that could not be indexed since start (see the log).
    pub failures: usize,
}

impl Feed {
    pub fn start(self: &Arc<Self>, app: Weak<App>, workers: usize) {
        let mut handles = self.workers.lock();
        for n in 0..workers.max(1) {
            let (feed, app) = (self.clone(), app.clone());
            let handle = std::thread::Builder::new()
                .name(format!("search-feed-{n}"))
                .spawn(move || feed.work(app))
                .expect("spawn a search feed worker");
            handles.push(handle);
        }
    }

    /// Names a document whose state changed.
    pub fn changed(&self, id: u64) {
        self.queue_since(id, Instant::now());
    }

    /// Queues a document (at the back) waiting since `since`, unless it is waiting already.
    fn queue_since(&self, id: u64, since: Instant) {
        let mut q = self.queue.lock();
        if let std::collections::hash_map::Entry::Vacant(e) = q.pending.entry(id) {
            e.insert(since);
            q.order.push_back(id);
            self.wake.notify_one();
        }
    }

    fn take(&self) -> Option<(u64, Instant)> {
        let mut q = self.queue.lock();
        loop {
            if self.stop.load(Ordering::Acquire) {
                return None;
            }
            let free = q.order.iter().position(|id| !q.busy.contains_key(id));
            if let Some(i) = free {
                let id = q.order.remove(i).expect("index found above");
                let since = q.pending.remove(&id).unwrap_or_else(Instant::now);
                q.busy.insert(id, since);
                return Some((id, since));
            }
            self.wake.wait_for(&mut q, Duration::from_secs(1));
        }
    }

    fn done(&self, id: u64) {
        self.queue.lock().busy.remove(&id);
        self.wake.notify_all();
    }

    fn work(&self, app: Weak<App>) {
        let mut stems = Stems::default();
        while let Some((id, since)) = self.take() {
            let Some(app) = app.upgrade() else { break };
            match index_one(&app, &mut stems, id, since) {
                Ok(Turn::Done) => {}
                // Behind everything queued meanwhile; still counted as waiting since `since`.
                Ok(Turn::Unfinished) => self.queue_since(id, since),
                Err(e) => {
                    self.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(document = id, error = %e, "search: indexing failed");
                }
            }
            self.done(id);
        }
    }

    pub fn status(&self) -> FeedStatus {
        let q = self.queue.lock();
        let oldest = q.pending.values().chain(q.busy.values()).min();
        FeedStatus {
            queued: q.pending.len() + q.busy.len(),
            oldest_ms: oldest.map_or(0, |t| t.elapsed().as_millis() as u64),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }

    /// Stops the workers: each finishes the document in hand (waited for a few seconds; an
    /// extraction still running then is abandoned and redone after the restart).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.wake.notify_all();
        let handles = std::mem::take(&mut *self.workers.lock());
        let deadline = Instant::now() + Duration::from_secs(3);
        for h in handles {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }
}

/// Whether a document's indexing is complete after its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    Done,
    Unfinished,
}

/// Indexes (or removes) one document as the store has it now, extracting attachments for
/// at most one turn (`search.extraction_turn_ms`).
fn index_one(app: &App, stems: &mut Stems, id: u64, since: Instant) -> Result<Turn> {
    let index = &app.search.index;
    match indexing::source_for_index(app, id)? {
        Source::Gone { destroyed: true } => {
            if index.holds(id).map_err(Error::internal)? {
                index.purge(id).map_err(Error::internal)?;
            }
        }
        Source::Gone { destroyed: false } => index.delete(id).map_err(Error::internal)?,
        Source::Active(active) => {
            let turn = Duration::from_millis(app.config.search.extraction_turn_ms);
            let (doc, turn) = index_doc_within(app, &active, Some(Instant::now() + turn))?;
            let prepared = prepare(stems, index.fields(), &doc);
            index.upsert(id, prepared, since).map_err(Error::internal)?;
            return Ok(turn);
        }
    }
    Ok(Turn::Done)
}

/// The text of one attachment, extracted in the sandbox; a failure is recorded, not raised.
fn extract_file(
    app: &App,
    a: &Active,
    meta: &crate::portal::documents::model::FileMeta,
    stored: &crate::portal::documents::model::StoredFile,
) -> Vec<Part> {
    let base = Part {
        file_id: Some(meta.id),
        name: meta.name.clone(),
        blob: stored.blob.0.clone(),
        ..Default::default()
    };
    // The file streams from its blob into the sandbox: never whole in the server's memory.
    let mut reader = match indexing::open_for_index(app, stored, &a.key) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(document = a.doc.id, file = meta.id, error = %e, "search: cannot read an attachment");
            return vec![Part { error: Some("unreadable".into()), ..base }];
        }
    };
    let mut limits = extract::Limits::for_current_exe();
    if app.config.search.ocr {
        limits.content.ocr = Some("kaz+rus".into());
    }
    let len = reader.len();
    match extract::run_sandboxed_from(&mut reader, len, &limits) {
        Ok(x) => x
            .parts
            .into_iter()
            .map(|p| Part {
                path: p.path,
                text: normalize(&p.text),
                error: p.error.map(|e| e.kind.code().to_owned()),
                truncated: p.truncated,
                ..base.clone()
            })
            .collect(),
        Err(e) => {
            tracing::warn!(
                document = a.doc.id, file = meta.id, kind = e.kind.code(), detail = %e.detail,
                "search: no text extracted from an attachment; it is found by its metadata"
            );
            vec![Part { error: Some(e.kind.code().to_owned()), ..base }]
        }
    }
}

/// Builds what the index takes for an active document, extracting every attachment whose
/// text the index does not already hold.
pub fn index_doc(app: &App, a: &Active) -> Result<IndexDoc> {
    Ok(index_doc_within(app, a, None)?.0)
}

/// Like [`index_doc`], but extraction stops starting new files after `deadline` (at least
/// one file is done per turn): the entry then lacks the text of the rest and carries an
/// [`incomplete`] stamp.
fn index_doc_within(app: &App, a: &Active, deadline: Option<Instant>) -> Result<(IndexDoc, Turn)> {
    let doc = &a.doc;
    let mut known: HashMap<String, Vec<Part>> = HashMap::new();
    if let Some((version, sealed)) = app.search.index.stored(doc.id).map_err(Error::internal)?
        && let Ok(old) = Payload::open(&a.key, doc.id, version, &sealed)
    {
        for p in old.parts.into_iter().filter(|p| !p.blob.is_empty()) {
            known.entry(p.blob.clone()).or_default().push(p);
        }
    }
    let c = &a.content;
    let mut parts = Vec::new();
    if !c.text.trim().is_empty() {
        parts.push(Part { text: normalize(&c.text), ..Default::default() });
    }
    let mut turn = Turn::Done;
    let mut extracted = 0;
    for (meta, stored) in &a.files {
        match known.get(&stored.blob.0) {
            Some(texts) => parts.extend(texts.iter().map(|p| Part {
                file_id: Some(meta.id),
                name: meta.name.clone(),
                ..p.clone()
            })),
            None if extracted > 0 && deadline.is_some_and(|d| Instant::now() >= d) => {
                turn = Turn::Unfinished;
            }
            None => {
                parts.extend(extract_file(app, a, meta, stored));
                extracted += 1;
            }
        }
    }
    let mut titles: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for t in [&c.title, &c.title_kk, &c.title_ru].into_iter().chain(c.fields.values()) {
        if !t.is_empty() && seen.insert(t.clone()) {
            titles.push(normalize(t));
        }
    }
    for (meta, _) in &a.files {
        titles.push(normalize(&meta.name));
    }
    let payload = Payload {
        title: c.title.clone(),
        title_kk: c.title_kk.clone(),
        title_ru: c.title_ru.clone(),
        parts,
    };
    let sealed = payload.seal(&a.key, doc.id, doc.current_version)?;
    let stamp = match turn {
        Turn::Done => stamp(doc, a.signed),
        Turn::Unfinished => incomplete(stamp(doc, a.signed)),
    };
    let indexed = IndexDoc {
        doc_id: doc.id,
        version: doc.current_version,
        stamp,
        agency_id: doc.agency_id,
        author_id: doc.author_id,
        doc_type: doc.doc_type.clone(),
        status: status(a.signed).into(),
        created: millis(&doc.created),
        updated: millis(&doc.updated),
        principals: doc.access.principals(doc.author_id),
        titles,
        bodies: payload
            .parts
            .into_iter()
            .filter(|p| !p.text.is_empty())
            .map(|p| Body { text: p.text, lang: None })
            .collect(),
        payload: sealed,
    };
    Ok((indexed, turn))
}

/// What a rebuild did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rebuilt {
    pub documents: u64,
    pub failed: usize,
    pub seconds: f64,
}

/// Builds a new index from the store beside the live one, swaps it in, then reconciles what
/// changed meanwhile. Attachments are extracted again unless the live index holds their text.
pub fn reindex(app: &App, progress: &mut dyn FnMut(usize, usize)) -> Result<Rebuilt> {
    let started = Instant::now();
    let index = &app.search.index;
    index.build_start().map_err(Error::internal)?;
    let ids = super::reconcile::active_ids(app)?;
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let threads = app.config.search.workers.max(1) + 1;
    let (tx, rx) = flume::unbounded::<usize>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (ids, next, failed, tx) = (&ids, &next, &failed, tx.clone());
            scope.spawn(move || {
                let mut stems = Stems::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&id) = ids.get(i) else { break };
                    let built = match indexing::source_for_index(app, id) {
                        Ok(Source::Active(a)) => index_doc(app, &a).and_then(|d| {
                            index
                                .build_add(prepare(&mut stems, index.fields(), &d))
                                .map_err(Error::internal)
                        }),
                        Ok(Source::Gone { .. }) => Ok(()),
                        Err(e) => Err(e),
                    };
                    if let Err(e) = built {
                        failed.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(document = id, error = %e, "reindex: document skipped");
                    }
                    let _ = tx.send(i);
                }
            });
        }
        drop(tx);
        let mut done = 0;
        while rx.recv().is_ok() {
            done += 1;
            if done % 1000 == 0 {
                progress(done, ids.len());
            }
        }
    });
    let documents = match index.build_finish() {
        Ok(n) => n,
        Err(e) => {
            index.build_abort();
            return Err(Error::internal(e));
        }
    };
    super::reconcile::reconcile(app)?;
    Ok(Rebuilt {
        documents,
        failed: failed.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    })
}
