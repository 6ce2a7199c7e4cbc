//! Answering a query with work bounded by the page, not by the number of matches.
//!
//! A frequent word matches a large share of a million documents. Scoring, counting and
//! faceting every match made a query's time grow with the store (docs/benchmarks.md). Here:
//!
//! - **Top hits by relevance** ([`top_by_score`]): the text query alone drives tantivy's
//!   pruning (`Weight::for_each_pruning`: block-max WAND for word queries), so only documents
//!   that could still enter the page are scored; access and filters are checked for those
//!   only. The hits, their order and their scores are those of scoring every match (ties go
//!   to the earlier document, as tantivy's own collector does); a test compares both.
//! - **Newest first** ([`top_newest`]): segments whose newest document is older than the
//!   page's oldest are skipped.
//! - **Total and facet counts** ([`tally`]): counted exactly up to [`EXACT_UP_TO`] matches;
//!   beyond that, estimated from a sample of about as many matches spread evenly over the
//!   whole index in [`STRATA`] stretches (each stretch counts its matches up to its share of
//!   the sample and extrapolates over the rest of its stretch). The page then says "about".

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::schema::Facet;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use super::Result;
use super::schema::UPDATED;

/// Totals and facet counts are exact up to this many matches.
pub const EXACT_UP_TO: usize = 10_000;
/// Stretches of the index an estimate samples.
pub const STRATA: usize = 64;

/// A hit of the page before its stored fields are read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ranked {
    /// The relevance score, or the date (Unix ms) when sorted by date.
    pub key: f64,
    pub addr: DocAddress,
}

/// Heap entry: the worst hit of the page on top; a later document never displaces an
/// earlier one with the same key.
#[derive(Clone, Copy, PartialEq)]
struct Entry(Ranked);

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.key.total_cmp(&other.0.key).then_with(|| other.0.addr.cmp(&self.0.addr))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The `k` best hits seen so far; documents must arrive in index order.
struct Best {
    k: usize,
    heap: BinaryHeap<Reverse<Entry>>,
}

impl Best {
    fn new(k: usize) -> Best {
        Best { k, heap: BinaryHeap::with_capacity(k + 1) }
    }

    /// The key a document must beat to enter (`None` while the page is not full).
    fn threshold(&self) -> Option<f64> {
        (self.heap.len() == self.k).then(|| self.heap.peek().map_or(f64::MIN, |e| e.0.0.key))
    }

    fn push(&mut self, key: f64, addr: DocAddress) {
        if self.threshold().is_some_and(|t| key <= t) {
            return;
        }
        self.heap.push(Reverse(Entry(Ranked { key, addr })));
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// Best first.
    fn into_sorted(self) -> Vec<Ranked> {
        let mut out: Vec<Ranked> = self.heap.into_iter().map(|e| e.0.0).collect();
        out.sort_by_key(|r| Reverse(Entry(*r)));
        out
    }
}

/// Whether documents pass a filter, asked in increasing document order within a segment.
struct Check {
    docs: Option<Box<dyn tantivy::query::Scorer>>,
}

impl Check {
    fn new(weight: Option<&dyn Weight>, reader: &SegmentReader) -> Result<Check> {
        Ok(Check { docs: weight.map(|w| w.scorer(reader, 1.0)).transpose()? })
    }

    fn passes(&mut self, doc: DocId) -> bool {
        match &mut self.docs {
            None => true,
            Some(docs) => {
                if docs.doc() < doc {
                    docs.seek(doc);
                }
                docs.doc() == doc
            }
        }
    }
}

/// The `k` most relevant documents matching `text` that pass `filter`. Without text every
/// document is as relevant (score 0): the first `k` that pass, in index order.
pub fn top_by_score(
    searcher: &Searcher,
    text: Option<&dyn Query>,
    filter: &dyn Query,
    k: usize,
) -> Result<Vec<Ranked>> {
    let Some(text) = text else { return first(searcher, filter, k) };
    let weight = text.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let filter = filter.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut best = Best::new(k);
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut check = Check::new(Some(filter.as_ref()), reader)?;
        let alive = reader.alive_bitset();
        let threshold = best.threshold().map_or(Score::MIN, |t| t as Score);
        weight.for_each_pruning(threshold, reader, &mut |doc, score| {
            if alive.is_none_or(|a| a.is_alive(doc)) && check.passes(doc) {
                best.push(f64::from(score), DocAddress::new(ord as u32, doc));
            }
            best.threshold().map_or(Score::MIN, |t| t as Score)
        })?;
    }
    Ok(best.into_sorted())
}

/// The first `k` documents passing `filter`, in index order, with score 0.
fn first(searcher: &Searcher, filter: &dyn Query, k: usize) -> Result<Vec<Ranked>> {
    let weight = filter.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut out = Vec::with_capacity(k);
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let alive = reader.alive_bitset();
        let mut docs = weight.scorer(reader, 1.0)?;
        let mut doc = docs.doc();
        while doc != TERMINATED && out.len() < k {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                out.push(Ranked { key: 0.0, addr: DocAddress::new(ord as u32, doc) });
            }
            doc = docs.advance();
        }
    }
    Ok(out)
}

/// The `k` newest documents (by last change) matching `query` (text and filter together).
pub fn top_newest(searcher: &Searcher, query: &dyn Query, k: usize) -> Result<Vec<Ranked>> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut best = Best::new(k);
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let Some(dates) = reader.fast_fields().i64(UPDATED).ok() else { continue };
        // Nothing here is newer than the page's oldest hit: skip the segment.
        if best.threshold().is_some_and(|t| (dates.max_value() as f64) < t) {
            continue;
        }
        let alive = reader.alive_bitset();
        let mut docs = weight.scorer(reader, 1.0)?;
        let mut doc = docs.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                let date = dates.first(doc).unwrap_or(0);
                best.push(date as f64, DocAddress::new(ord as u32, doc));
            }
            doc = docs.advance();
        }
    }
    Ok(best.into_sorted())
}

/// How many documents match, and their facet values, counted or estimated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub total: usize,
    /// Whether `total` and `facets` were counted (else estimated).
    pub exact: bool,
    /// Facet path (`/type/regulation`) → documents.
    pub facets: HashMap<String, u64>,
}

/// Counts as documents are visited; each carries a weight (1 when counting, the stretch's
/// extrapolation factor when sampling).
struct Counts {
    total: f64,
    facets: HashMap<String, f64>,
}

struct SegmentCounts<'a> {
    facets: Option<tantivy::fastfield::FacetReader>,
    by_ord: Vec<f64>,
    narrow: Check,
    alive: Option<&'a tantivy::fastfield::AliveBitSet>,
}

impl<'a> SegmentCounts<'a> {
    fn new(
        reader: &'a SegmentReader,
        with_facets: bool,
        narrow: Option<&dyn Weight>,
    ) -> Result<SegmentCounts<'a>> {
        let facets = if with_facets { Some(reader.facet_reader("facet")?) } else { None };
        let by_ord = vec![0.0; facets.as_ref().map_or(0, |f| f.num_facets())];
        Ok(SegmentCounts {
            facets,
            by_ord,
            narrow: Check::new(narrow, reader)?,
            alive: reader.alive_bitset(),
        })
    }

    fn alive(&self, doc: DocId) -> bool {
        self.alive.is_none_or(|a| a.is_alive(doc))
    }

    /// Records a matching (alive) document with `weight`; `total` gains it only if it also
    /// passes the narrowing filters (facets are counted without them).
    fn add(&mut self, doc: DocId, weight: f64, total: &mut f64) {
        if let Some(f) = &self.facets {
            for ord in f.facet_ords(doc) {
                self.by_ord[ord as usize] += weight;
            }
        }
        if self.narrow.passes(doc) {
            *total += weight;
        }
    }

    fn finish(self, into: &mut HashMap<String, f64>) -> Result<()> {
        if let Some(f) = &self.facets {
            let mut facet = Facet::root();
            for (ord, &n) in self.by_ord.iter().enumerate() {
                if n > 0.0 {
                    f.facet_from_ord(ord as u64, &mut facet)?;
                    *into.entry(facet.to_path_string()).or_default() += n;
                }
            }
        }
        Ok(())
    }
}

/// Counts the documents matching `query` (text, access and the filters that do not narrow a
/// facet dimension); `narrow` (the facet-dimension filters) applies to the total only, so the
/// facet counts show what else the person could choose.
/// Exact up to `exact_up_to` matches (the portal uses [`EXACT_UP_TO`]), estimated beyond
/// from a sample of about as many.
pub fn tally(
    searcher: &Searcher,
    query: &dyn Query,
    narrow: Option<&dyn Query>,
    with_facets: bool,
    exact_up_to: usize,
) -> Result<Tally> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let narrow =
        narrow.map(|q| q.weight(EnableScoring::disabled_from_searcher(searcher))).transpose()?;
    let narrow = narrow.as_deref();
    if let Some(counts) = count_up_to(searcher, weight.as_ref(), narrow, with_facets, exact_up_to)?
    {
        return Ok(finish(counts, true));
    }
    Ok(finish(estimate(searcher, weight.as_ref(), narrow, with_facets, exact_up_to)?, false))
}

fn finish(counts: Counts, exact: bool) -> Tally {
    Tally {
        total: counts.total.round() as usize,
        exact,
        facets: counts.facets.into_iter().map(|(k, v)| (k, v.round() as u64)).collect(),
    }
}

/// Counts every match, or gives up (`None`) past `limit` matches.
fn count_up_to(
    searcher: &Searcher,
    weight: &dyn Weight,
    narrow: Option<&dyn Weight>,
    with_facets: bool,
    limit: usize,
) -> Result<Option<Counts>> {
    let mut counts = Counts { total: 0.0, facets: HashMap::new() };
    let mut seen = 0usize;
    for reader in searcher.segment_readers() {
        let mut segment = SegmentCounts::new(reader, with_facets, narrow)?;
        let mut docs = weight.scorer(reader, 1.0)?;
        let mut doc = docs.doc();
        while doc != TERMINATED {
            if segment.alive(doc) {
                seen += 1;
                if seen > limit {
                    return Ok(None);
                }
                segment.add(doc, 1.0, &mut counts.total);
            }
            doc = docs.advance();
        }
        segment.finish(&mut counts.facets)?;
    }
    Ok(Some(counts))
}

/// Estimates from [`STRATA`] stretches of the index (shared among segments by size), each
/// counting up to its share of `sample` matches and extrapolating over the part of the
/// stretch it did not reach.
fn estimate(
    searcher: &Searcher,
    weight: &dyn Weight,
    narrow: Option<&dyn Weight>,
    with_facets: bool,
    sample: usize,
) -> Result<Counts> {
    let all: u64 = searcher.segment_readers().iter().map(|r| u64::from(r.max_doc())).sum();
    let quota = sample.div_ceil(STRATA).max(2);
    let mut counts = Counts { total: 0.0, facets: HashMap::new() };
    for reader in searcher.segment_readers() {
        let max_doc = reader.max_doc();
        if max_doc == 0 {
            continue;
        }
        let strata = ((u64::from(max_doc) * STRATA as u64).div_ceil(all.max(1)) as u32).max(1);
        let mut segment = SegmentCounts::new(reader, with_facets, narrow)?;
        let mut docs = weight.scorer(reader, 1.0)?;
        for s in 0..strata {
            let start = (u64::from(max_doc) * u64::from(s) / u64::from(strata)) as DocId;
            let end = (u64::from(max_doc) * u64::from(s + 1) / u64::from(strata)) as DocId;
            let mut doc = if docs.doc() < start { docs.seek(start) } else { docs.doc() };
            // Matches of this stretch counted with weight 1 until the quota is reached...
            let mut sampled: Vec<DocId> = Vec::with_capacity(quota);
            while doc < end {
                if segment.alive(doc) {
                    sampled.push(doc);
                    if sampled.len() == quota {
                        break;
                    }
                }
                doc = docs.advance();
            }
            // ...then each stands for its share of the stretch it did not reach: with the
            // quota q reached at the n-th document, (q − 1) / (n − 1) estimates the share of
            // matching documents without bias (q / n would overestimate it).
            let factor = match sampled.last() {
                Some(&last) if sampled.len() == quota && quota > 1 && last + 1 < end => {
                    let (q, n) = (quota as f64, f64::from(last + 1 - start));
                    (q - 1.0) / (n - 1.0) * f64::from(end - start) / q
                }
                _ => 1.0,
            };
            for d in sampled {
                segment.add(d, factor, &mut counts.total);
            }
            if doc < end && doc != TERMINATED {
                docs.seek(end);
            }
        }
        segment.finish(&mut counts.facets)?;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(doc: u32) -> DocAddress {
        DocAddress::new(0, doc)
    }

    #[test]
    fn the_best_keep_the_earlier_document_on_ties() {
        let mut best = Best::new(3);
        for (doc, key) in [(0, 1.0), (1, 5.0), (2, 3.0), (3, 5.0), (4, 3.0), (5, 4.0), (6, 5.0)] {
            best.push(key, addr(doc));
        }
        let got: Vec<(f64, u32)> =
            best.into_sorted().into_iter().map(|r| (r.key, r.addr.doc_id)).collect();
        assert_eq!(got, vec![(5.0, 1), (5.0, 3), (5.0, 6)]);
        let mut best = Best::new(2);
        assert_eq!(best.threshold(), None);
        best.push(2.0, addr(0));
        best.push(1.0, addr(1));
        assert_eq!(best.threshold(), Some(1.0));
        best.push(1.0, addr(2));
        assert_eq!(best.threshold(), Some(1.0), "an equal key does not enter");
    }
}
