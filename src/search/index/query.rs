//! Queries: what people type, filters, access, facets, sorting and pages.
//!
//! The query language is small and forgiving (nothing a person types is a syntax error):
//! words (all required, in any inflection: each word matches its Russian stem, its Kazakh stem
//! or itself, titles weighing double); `"quoted phrases"` (exact words in order); `prefix*`
//! (at least three letters); `-word` to exclude. Stop words are optional. Everything is
//! repaired like the indexed text first ([`normalize_query`]: homoglyphs, ё, NFKC), and the
//! analyzers lowercase, so kk/ru queries match in any letter case.
//!
//! Access control is part of the query: a document matches only if one of its principal
//! terms is one of the searcher's (the caller confirms each hit with the policy as well).

use std::collections::HashSet;
use std::ops::Bound;

use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhrasePrefixQuery, PhraseQuery,
    Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument};

use super::collect;
use super::pairs::PairPhraseQuery;
use super::prepare::Stems;
use super::schema::{Fields, UPDATED};
use super::{Result, SearchIndex};
use crate::search::lang::Lang;
use crate::search::normalize::normalize_query;

/// Most items of one query considered; the rest is ignored.
const MAX_ITEMS: usize = 32;
/// Shortest prefix (in letters) a `prefix*` may have.
pub const MIN_PREFIX: usize = 3;
/// Most terms one prefix expands to.
const PREFIX_EXPANSIONS: u32 = 100;
const TITLE_BOOST: f32 = 2.0;

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Word,
    Phrase,
    Prefix,
}

#[derive(Clone, Debug)]
struct Item {
    kind: Kind,
    negated: bool,
    /// Exact (lowercased, folded) words.
    words: Vec<String>,
    ru: Vec<Option<String>>,
    kk: Vec<Option<String>>,
}

/// What to highlight in snippets: the words, stems and prefixes the query looks for.
#[derive(Clone, Debug, Default)]
pub struct Terms {
    pub exact: HashSet<String>,
    pub ru: HashSet<String>,
    pub kk: HashSet<String>,
    pub prefixes: Vec<String>,
}

impl Terms {
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
            && self.ru.is_empty()
            && self.kk.is_empty()
            && self.prefixes.is_empty()
    }
}

/// A parsed query.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    items: Vec<Item>,
    pub terms: Terms,
}

/// Splits the query into items: `"phrases"`, `-excluded`, `prefix*`, words.
fn lex(input: &str) -> Vec<(Kind, bool, String)> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' || c == '«' || c == '“' {
            chars.next();
            let phrase: String =
                chars.by_ref().take_while(|&c| c != '"' && c != '»' && c != '”').collect();
            out.push((Kind::Phrase, false, phrase));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' || c == '«' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            let (negated, rest) = match word.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, word.trim_start_matches('+')),
            };
            let kind = if rest.ends_with('*') { Kind::Prefix } else { Kind::Word };
            out.push((kind, negated, rest.trim_end_matches('*').to_owned()));
        }
    }
    out
}

pub fn parse(stems: &mut Stems, input: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for (mut kind, negated, text) in lex(&normalize_query(input)).into_iter().take(MAX_ITEMS) {
        let mut words = Vec::new();
        stems.exact_tokens(&text, |t| words.push(t.text.clone()));
        if words.is_empty() {
            continue;
        }
        if kind == Kind::Prefix && words.last().is_none_or(|w| w.chars().count() < MIN_PREFIX) {
            kind = Kind::Word;
        }
        let ru: Vec<Option<String>> =
            words.iter().map(|w| stems.stem(Lang::Ru, w).map(str::to_owned)).collect();
        let kk: Vec<Option<String>> =
            words.iter().map(|w| stems.stem(Lang::Kk, w).map(str::to_owned)).collect();
        if !negated {
            let t = &mut parsed.terms;
            match kind {
                Kind::Prefix => {
                    let (last, rest) = words.split_last().expect("not empty");
                    t.exact.extend(rest.iter().cloned());
                    t.prefixes.push(last.clone());
                }
                Kind::Phrase => t.exact.extend(words.iter().cloned()),
                Kind::Word => {
                    t.exact.extend(words.iter().cloned());
                    t.ru.extend(ru.iter().flatten().cloned());
                    t.kk.extend(kk.iter().flatten().cloned());
                }
            }
        }
        parsed.items.push(Item { kind, negated, words, ru, kk });
    }
    parsed
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

fn boosted(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, TITLE_BOOST))
}

/// The exact words in order (a phrase), or the one word. A phrase of two common words is
/// read from the pair field beside `field` (same matches, same scores: [`super::pairs`]).
fn exact_query(field: Field, pairs: Option<Field>, words: &[String]) -> Box<dyn Query> {
    if words.len() == 1 {
        return term_query(field, &words[0]);
    }
    if let ([first, second], Some(pairs)) = (words, pairs)
        && let Some(q) = PairPhraseQuery::new(field, pairs, first, second)
    {
        return Box::new(q);
    }
    Box::new(PhraseQuery::new(words.iter().map(|w| Term::from_field_text(field, w)).collect()))
}

/// All given stems (multi-token words in a stemmed field), or nothing.
fn all_query(field: Field, stems: &[Option<String>]) -> Option<Box<dyn Query>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> =
        stems.iter().flatten().map(|s| (Occur::Must, term_query(field, s))).collect();
    match clauses.len() {
        0 => None,
        1 => clauses.into_iter().next().map(|(_, q)| q),
        _ => Some(Box::new(BooleanQuery::new(clauses))),
    }
}

impl Item {
    /// The item's query and whether a document must match it. `pairs`: phrases of two
    /// common words read from the pair fields (the reference evaluation reads positions).
    fn query(&self, f: &Fields, pairs: bool) -> (Box<dyn Query>, bool) {
        let mut any: Vec<Box<dyn Query>> = Vec::new();
        let mut required = true;
        match self.kind {
            Kind::Phrase => {
                any.push(exact_query(f.body_exact, pairs.then_some(f.body_pairs), &self.words));
                let title = exact_query(f.title_exact, pairs.then_some(f.title_pairs), &self.words);
                any.push(boosted(title));
            }
            Kind::Prefix => {
                for (field, boost) in [(f.body_exact, false), (f.title_exact, true)] {
                    let terms =
                        self.words.iter().map(|w| Term::from_field_text(field, w)).collect();
                    let mut q = PhrasePrefixQuery::new(terms);
                    q.set_max_expansions(PREFIX_EXPANSIONS);
                    let q: Box<dyn Query> = Box::new(q);
                    any.push(if boost { boosted(q) } else { q });
                }
            }
            Kind::Word => {
                any.push(exact_query(f.body_exact, pairs.then_some(f.body_pairs), &self.words));
                let title = exact_query(f.title_exact, pairs.then_some(f.title_pairs), &self.words);
                any.push(boosted(title));
                for (stems, body, title) in
                    [(&self.ru, f.body_ru, f.title_ru), (&self.kk, f.body_kk, f.title_kk)]
                {
                    if let Some(q) = all_query(body, stems) {
                        any.push(q);
                    }
                    if let Some(q) = all_query(title, stems) {
                        any.push(boosted(q));
                    }
                }
                // A stop word of either language (и, мен) need not occur.
                required = self.words.len() > 1 || (self.ru[0].is_some() && self.kk[0].is_some());
            }
        }
        let q = BooleanQuery::new(any.into_iter().map(|q| (Occur::Should, q)).collect());
        (Box::new(q), required)
    }
}

impl Parsed {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The text part of the query; `None` when nothing was asked for.
    fn text_query(&self, f: &Fields, pairs: bool) -> Option<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut positive = false;
        for item in &self.items {
            let (q, required) = item.query(f, pairs);
            let occur = match (item.negated, required) {
                (true, _) => Occur::MustNot,
                (false, true) => Occur::Must,
                (false, false) => Occur::Should,
            };
            positive |= occur != Occur::MustNot;
            clauses.push((occur, q));
        }
        if clauses.is_empty() {
            return None;
        }
        if !positive {
            // Only exclusions: everything else matches, all alike.
            let all = ConstScoreQuery::new(Box::new(AllQuery), 1.0);
            clauses.push((Occur::Must, Box::new(all)));
        }
        if clauses.len() == 1 && clauses[0].0 != Occur::MustNot {
            // One item is its own query: a word's union of term queries then stays one
            // union, which tantivy can prune (block-max WAND) instead of scoring every match.
            return clauses.pop().map(|(_, q)| q);
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

/// Filters on what is known about documents (all optional).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub doc_type: Option<String>,
    pub agency: Option<u64>,
    pub author: Option<u64>,
    pub status: Option<String>,
    /// Last change at or after (Unix milliseconds).
    pub from: Option<i64>,
    /// Last change before (Unix milliseconds).
    pub until: Option<i64>,
}

impl Filters {
    fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// Whether a facet dimension is narrowed (its counts are then taken without it).
    fn narrows_facets(&self) -> bool {
        self.doc_type.is_some() || self.agency.is_some() || self.status.is_some()
    }

    fn clauses(&self, f: &Fields, with_facet_dims: bool) -> Vec<Box<dyn Query>> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        let exact =
            |t: Term| -> Box<dyn Query> { Box::new(TermQuery::new(t, IndexRecordOption::Basic)) };
        if with_facet_dims {
            if let Some(t) = &self.doc_type {
                out.push(exact(Term::from_field_text(f.doc_type, t)));
            }
            if let Some(a) = self.agency {
                out.push(exact(Term::from_field_u64(f.agency, a)));
            }
            if let Some(s) = &self.status {
                out.push(exact(Term::from_field_text(f.status, s)));
            }
        }
        if let Some(a) = self.author {
            out.push(exact(Term::from_field_u64(f.author, a)));
        }
        if self.from.is_some() || self.until.is_some() {
            let lower = self
                .from
                .map_or(Bound::Unbounded, |s| Bound::Included(Term::from_field_i64(f.updated, s)));
            let upper = self
                .until
                .map_or(Bound::Unbounded, |s| Bound::Excluded(Term::from_field_i64(f.updated, s)));
            out.push(Box::new(RangeQuery::new(lower, upper)));
        }
        out
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
}

pub struct Request<'a> {
    pub parsed: &'a Parsed,
    /// The searcher's principal terms ([`crate::portal::documents::model::principals_of`]).
    pub principals: &'a [String],
    pub filters: Filters,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    pub facets: bool,
}

#[derive(Clone, Debug)]
pub struct Hit {
    pub doc_id: u64,
    pub version: u32,
    pub score: f32,
    pub payload: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Facets {
    pub types: Vec<FacetValue>,
    pub agencies: Vec<FacetValue>,
    pub statuses: Vec<FacetValue>,
    pub years: Vec<FacetValue>,
}

#[derive(Clone, Debug, Default)]
pub struct Response {
    /// Matches in all pages: counted when `total_exact`, else estimated (see [`search`]).
    pub total: usize,
    pub total_exact: bool,
    pub hits: Vec<Hit>,
    pub facets: Option<Facets>,
}

const DIMENSIONS: [&str; 4] = ["/type", "/agency", "/status", "/year"];

fn facet_values(counts: &FacetCounts, dim: &str) -> Vec<FacetValue> {
    let mut out: Vec<FacetValue> = counts
        .get(dim)
        .map(|(facet, count)| FacetValue {
            value: facet.to_path().last().map(|s| s.to_string()).unwrap_or_default(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

fn facets_of(counts: &FacetCounts) -> Facets {
    Facets {
        types: facet_values(counts, DIMENSIONS[0]),
        agencies: facet_values(counts, DIMENSIONS[1]),
        statuses: facet_values(counts, DIMENSIONS[2]),
        years: facet_values(counts, DIMENSIONS[3]),
    }
}

fn facet_collector() -> FacetCollector {
    let mut c = FacetCollector::for_field("facet");
    for d in DIMENSIONS {
        c.add_facet(d);
    }
    c
}

/// The whole query: text, access, filters (facet dimensions optional).
fn full_query(
    f: &Fields,
    text: Option<Box<dyn Query>>,
    req: &Request,
    with_facet_dims: bool,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> =
        vec![(Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery)))];
    let access =
        TermSetQuery::new(req.principals.iter().map(|p| Term::from_field_text(f.principal, p)));
    clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(access), 0.0))));
    for q in req.filters.clauses(f, with_facet_dims) {
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
    }
    Box::new(BooleanQuery::new(clauses))
}

fn hits(
    index: &SearchIndex,
    searcher: &Searcher,
    found: Vec<(f32, DocAddress)>,
) -> Result<Vec<Hit>> {
    let mut out = Vec::with_capacity(found.len());
    for (score, addr) in found {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let doc_id = tantivy::schema::Value::as_u64(
            &doc.get_first(index.fields().doc_id).expect("doc_id is stored"),
        )
        .unwrap_or(0);
        let (version, payload) = index.version_and_payload(&doc);
        out.push(Hit { doc_id, version, score, payload });
    }
    Ok(out)
}

/// Runs a query. An empty query with no filter finds nothing (an empty query with filters
/// lists what they select). The work is bounded by the page, not by the number of matches
/// ([`collect`]): the total and the facet counts are exact up to
/// [`collect::EXACT_UP_TO`] matches and estimated beyond (`Response::total_exact`).
pub fn search(index: &SearchIndex, req: &Request) -> Result<Response> {
    let f = index.fields();
    let text = req.parsed.text_query(f, true);
    if (text.is_none() && req.filters.is_empty()) || req.principals.is_empty() || req.limit == 0 {
        return Ok(Response { total_exact: true, ..Response::default() });
    }
    let searcher = index.searcher();
    let filter = filter_query(f, req, true);
    let k = req.offset + req.limit;
    let ranked = match req.sort {
        Sort::Relevance => collect::top_by_score(&searcher, text.as_deref(), filter.as_ref(), k)?,
        Sort::Newest => {
            let all = || -> Box<dyn Query> { Box::new(AllQuery) };
            let text = text.as_ref().map_or_else(all, |t| t.box_clone());
            collect::top_newest(&searcher, &both(text, filter.box_clone()), k)?
        }
    };
    let text: Box<dyn Query> = text.unwrap_or_else(|| Box::new(AllQuery));
    let narrow = (req.facets && req.filters.narrows_facets()).then(|| facet_dims_query(f, req));
    let counted = match &narrow {
        Some(_) => both(text, filter_query(f, req, false)),
        None => both(text, filter),
    };
    let tally = collect::tally(
        &searcher,
        counted.as_ref(),
        narrow.as_deref(),
        req.facets,
        collect::EXACT_UP_TO,
    )?;
    let found = ranked.into_iter().skip(req.offset).map(|r| (r.key as f32, r.addr)).collect();
    Ok(Response {
        total: tally.total,
        total_exact: tally.exact,
        hits: hits(index, &searcher, found)?,
        facets: req.facets.then(|| facets_of_tally(&tally.facets)),
    })
}

/// What [`search`] counts when no facet dimension is narrowed: the text (or everything)
/// with access and filters; `None` when the request finds nothing.
#[cfg(test)]
pub(crate) fn counting_query(index: &SearchIndex, req: &Request) -> Option<Box<dyn Query>> {
    let f = index.fields();
    let text = req.parsed.text_query(f, true);
    if (text.is_none() && req.filters.is_empty()) || req.principals.is_empty() {
        return None;
    }
    Some(both(text.unwrap_or_else(|| Box::new(AllQuery)), filter_query(f, req, true)))
}

/// Both queries must match; the score is the first's.
fn both(scored: Box<dyn Query>, filter: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, scored),
        (Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))),
    ]))
}

/// Access and filters (with or without the facet dimensions), unscored.
fn filter_query(f: &Fields, req: &Request, with_facet_dims: bool) -> Box<dyn Query> {
    let access =
        TermSetQuery::new(req.principals.iter().map(|p| Term::from_field_text(f.principal, p)));
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(access))];
    for q in req.filters.clauses(f, with_facet_dims) {
        clauses.push((Occur::Must, q));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// Only the filters on facet dimensions (type, agency, status).
fn facet_dims_query(f: &Fields, req: &Request) -> Box<dyn Query> {
    let dims = Filters {
        doc_type: req.filters.doc_type.clone(),
        agency: req.filters.agency,
        status: req.filters.status.clone(),
        ..Filters::default()
    };
    let clauses = dims.clauses(f, true).into_iter().map(|q| (Occur::Must, q)).collect();
    Box::new(BooleanQuery::new(clauses))
}

fn facets_of_tally(counts: &std::collections::HashMap<String, u64>) -> Facets {
    let dimension = |dim: &str| {
        let prefix = format!("{dim}/");
        let mut out: Vec<FacetValue> = counts
            .iter()
            .filter_map(|(path, &count)| {
                let value = path.strip_prefix(&prefix)?;
                (!value.contains('/')).then(|| FacetValue { value: value.to_owned(), count })
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        out
    };
    Facets {
        types: dimension(DIMENSIONS[0]),
        agencies: dimension(DIMENSIONS[1]),
        statuses: dimension(DIMENSIONS[2]),
        years: dimension(DIMENSIONS[3]),
    }
}

/// Scores may differ in the last bits: the pruned evaluation adds a word's field scores in
/// another order than the union of every match does.
const SCORE_TOLERANCE: f32 = 1e-6;

/// How `fast`'s hits differ from the reference's `full`, if they do: other documents, another
/// order, or scores further apart than [`SCORE_TOLERANCE`] (relative). Only hits whose
/// reference scores lie within the tolerance of each other may change places: their order
/// was decided by rounding.
#[doc(hidden)]
pub fn hits_differ(fast: &Response, full: &Response) -> Option<String> {
    let close = |a: f32, b: f32| (a - b).abs() <= SCORE_TOLERANCE * a.abs().max(b.abs());
    if fast.hits.len() != full.hits.len() {
        return Some(format!("{} hits, the reference {}", fast.hits.len(), full.hits.len()));
    }
    for (i, (a, b)) in fast.hits.iter().zip(&full.hits).enumerate() {
        if !close(a.score, b.score) {
            return Some(format!("score of hit {i}: {} vs {}", a.score, b.score));
        }
        let tied = || full.hits.iter().filter(|h| close(h.score, b.score));
        if a.doc_id != b.doc_id && !(tied().any(|h| h.doc_id == a.doc_id) && tied().count() > 1) {
            return Some(format!("hit {i} is {} where the reference has {}", a.doc_id, b.doc_id));
        }
    }
    None
}

/// The reference evaluation, kept for the correctness guards (tests and the benchmark): every
/// match scored, counted exactly and faceted by tantivy's own collectors, access and filters
/// inside the query, phrases checked by positions (no word pairs). [`search`] must give the same hits in the same order, the same total
/// when it says it is exact, and a total within the documented bound otherwise.
#[doc(hidden)]
pub fn search_exhaustive(index: &SearchIndex, req: &Request) -> Result<Response> {
    let f = index.fields();
    let text = req.parsed.text_query(f, false);
    if (text.is_none() && req.filters.is_empty()) || req.principals.is_empty() || req.limit == 0 {
        return Ok(Response { total_exact: true, ..Response::default() });
    }
    let searcher = index.searcher();
    let query = full_query(f, text.as_ref().map(|q| q.box_clone()), req, true);
    let top = TopDocs::with_limit(req.limit).and_offset(req.offset);
    let separate_facets = req.facets && req.filters.narrows_facets();
    let (found, total, counts) = match (req.sort, req.facets && !separate_facets) {
        (Sort::Relevance, true) => {
            let (t, n, c) =
                searcher.search(&query, &(top.order_by_score(), Count, facet_collector()))?;
            (t, n, Some(c))
        }
        (Sort::Relevance, false) => {
            let (t, n) = searcher.search(&query, &(top.order_by_score(), Count))?;
            (t, n, None)
        }
        (Sort::Newest, with) => {
            let by_date = top.order_by_fast_field::<i64>(UPDATED, Order::Desc);
            let (t, n, c) = if with {
                let (t, n, c) = searcher.search(&query, &(by_date, Count, facet_collector()))?;
                (t, n, Some(c))
            } else {
                let (t, n) = searcher.search(&query, &(by_date, Count))?;
                (t, n, None)
            };
            (t.into_iter().map(|(d, a)| (d.unwrap_or(0) as f32, a)).collect(), n, c)
        }
    };
    let counts = match (separate_facets, counts) {
        (true, _) => Some(searcher.search(&full_query(f, text, req, false), &facet_collector())?),
        (false, c) => c,
    };
    Ok(Response {
        total,
        total_exact: true,
        hits: hits(index, &searcher, found)?,
        facets: counts.as_ref().map(facets_of),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_language() {
        let items = lex("порталом \"мемлекеттік органдардың\" -приказ инт* +и «ёлка»");
        assert_eq!(
            items,
            vec![
                (Kind::Word, false, "порталом".into()),
                (Kind::Phrase, false, "мемлекеттік органдардың".into()),
                (Kind::Word, true, "приказ".into()),
                (Kind::Prefix, false, "инт".into()),
                (Kind::Word, false, "и".into()),
                (Kind::Phrase, false, "ёлка".into()),
            ]
        );
        // Unbalanced quotes and lone operators are not errors.
        assert_eq!(lex("\"открытая фраза"), vec![(Kind::Phrase, false, "открытая фраза".into())]);
        assert_eq!(
            lex("- *"),
            vec![(Kind::Word, false, "-".into()), (Kind::Prefix, false, "".into())]
        );
    }

    #[test]
    fn parsing_repairs_folds_and_stems() {
        let mut stems = Stems::default();
        let p = parse(&mut stems, "ПОРТАЛОМ пoртале ин* Ёлка -лишнее");
        assert!(p.terms.exact.contains("порталом"));
        assert!(p.terms.exact.contains("портале"), "the Latin o is folded");
        assert!(p.terms.ru.contains("портал"));
        assert!(p.terms.exact.contains("ин"), "a two-letter prefix is a word");
        assert!(p.terms.exact.contains("елка"), "ё → е, lowercase");
        assert!(!p.terms.exact.contains("лишнее"), "excluded words are not highlighted");
        let p = parse(&mut stems, "порт*");
        assert_eq!(p.terms.prefixes, vec!["порт".to_string()]);
        assert!(parse(&mut stems, " ,.;: ").is_empty());
    }
}
