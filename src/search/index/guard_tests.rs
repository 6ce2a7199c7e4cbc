//! Correctness guards of the bounded query evaluation ([`super::collect`]): on the
//! regulations, cut into documents with different readers, types and dates, spread over
//! several segments with replaced (deleted) documents, every answer of [`query::search`] must
//! equal the reference [`query::search_exhaustive`] (hits, order, scores, totals, facets), and
//! estimated counts must stay near the counted ones.

use std::collections::HashMap;
use std::time::Instant;

use super::collect;
use super::query::{self, Filters, Request, Sort};
use super::*;
use crate::search::normalize::normalize;
use crate::search::test_corpus;

const DAY0: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

/// The regulations cut into pieces of four non-empty lines, each a document.
fn paragraphs() -> Vec<String> {
    let mut out = Vec::new();
    for (_, raw) in test_corpus::files() {
        let lines: Vec<&str> = raw.lines().filter(|l| !l.trim().is_empty()).collect();
        out.extend(lines.chunks(4).map(|c| c.join("\n")));
    }
    out
}

fn document(id: u64, text: &str) -> IndexDoc {
    let principals = match id % 4 {
        0 => vec!["all"],
        1 => vec!["agency:1"],
        2 => vec!["agency:2", "user:5"],
        _ => vec!["all", "group:3"],
    };
    IndexDoc {
        doc_id: id,
        version: 1,
        stamp: id,
        agency_id: id % 3,
        author_id: id % 7,
        doc_type: ["regulation", "generic", "order"][(id % 3) as usize].into(),
        status: if id.is_multiple_of(5) { "signed" } else { "unsigned" }.into(),
        created: DAY0,
        // Dates repeat, so sorting by date has ties to break.
        updated: DAY0 + (id % 97) as i64 * DAY,
        principals: principals.into_iter().map(str::to_owned).collect(),
        titles: vec![normalize(text.lines().next().unwrap_or_default())],
        bodies: vec![Body { text: normalize(text), lang: None }],
        payload: id.to_le_bytes().to_vec(),
    }
}

/// The regulations' paragraphs in several segments, a tenth of them replaced afterwards.
fn regulations_index(dir: &std::path::Path) -> (SearchIndex, Vec<String>) {
    let settings = Settings { writer_memory: 30 << 20, writer_threads: 1, ..Default::default() };
    let index = SearchIndex::open(dir, settings).unwrap();
    let texts = paragraphs();
    let mut stems = Stems::default();
    for (i, chunk) in texts.chunks(texts.len() / 4 + 1).enumerate() {
        for (j, text) in chunk.iter().enumerate() {
            let id = (i * (texts.len() / 4 + 1) + j) as u64 + 1;
            let prepared = prepare::prepare(&mut stems, index.fields(), &document(id, text));
            index.upsert(id, prepared, Instant::now()).unwrap();
        }
        index.commit().unwrap();
    }
    for id in (1..texts.len() as u64).step_by(10) {
        let d = document(id, &texts[(id as usize * 7) % texts.len()]);
        index.upsert(id, prepare::prepare(&mut stems, index.fields(), &d), Instant::now()).unwrap();
    }
    index.commit().unwrap();
    (index, texts)
}

/// Queries a person could type: frequent and rare words, pairs of words, phrases of
/// neighbouring words, prefixes, exclusions, stop words.
fn queries(texts: &[String]) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut pairs: HashMap<String, usize> = HashMap::new();
    for text in texts {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() >= 4)
            .map(str::to_lowercase)
            .collect();
        for w in &words {
            *counts.entry(w.clone()).or_default() += 1;
        }
        for p in words.windows(2) {
            *pairs.entry(format!("{} {}", p[0], p[1])).or_default() += 1;
        }
    }
    let ranked = |m: HashMap<String, usize>| {
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.into_iter().map(|(w, _)| w).collect::<Vec<_>>()
    };
    let (words, pairs) = (ranked(counts), ranked(pairs));
    let mut out: Vec<String> = Vec::new();
    for r in [0, 1, 2, 5, 10, 30, 100, 300, 1000, words.len() - 1] {
        out.push(words[r.min(words.len() - 1)].clone());
    }
    for r in [0, 1, 3, 20, 200] {
        let p = &pairs[r.min(pairs.len() - 1)];
        out.push(format!("\"{p}\""));
        out.push(p.clone());
    }
    // Phrases of two common words are answered from the pair fields: compared too.
    let common: Vec<&String> = pairs
        .iter()
        .filter(|p| p.split_once(' ').and_then(|(a, b)| super::pairs::pair_term(a, b)).is_some())
        .take(3)
        .collect();
    assert!(!common.is_empty(), "the regulations have phrases of two common words");
    out.extend(common.into_iter().map(|p| format!("\"{p}\"")));
    out.push(format!("{} {} {}", words[0], words[7], words[40]));
    out.push(format!("{} -{}", words[1], words[2]));
    out.push(format!("-{}", words[3]));
    out.push(format!("{}*", words[4].chars().take(4).collect::<String>()));
    out.push(format!("и {}", words[6]));
    out.push("мен".into());
    out.push(String::new());
    out
}

pub(crate) fn same_hits(fast: &query::Response, full: &query::Response, what: &str) {
    if let Some(difference) = query::hits_differ(fast, full) {
        panic!("{what}: {difference}");
    }
}

#[test]
fn bounded_answers_equal_the_reference_on_the_regulations() {
    let dir = tempfile::tempdir().unwrap();
    let (index, texts) = regulations_index(&dir.path().join("index"));
    assert!(
        index.searcher().segment_readers().len() >= 2,
        "several segments, so ties across segments are compared too"
    );
    let mut stems = Stems::default();
    let who: [&[&str]; 3] = [&["all", "agency:1", "user:5"], &["agency:2"], &["all"]];
    let filters = [
        Filters::default(),
        Filters { doc_type: Some("regulation".into()), ..Default::default() },
        Filters { agency: Some(1), status: Some("unsigned".into()), ..Default::default() },
        Filters { author: Some(3), from: Some(DAY0 + 10 * DAY), ..Default::default() },
    ];
    let mut compared = 0;
    for q in queries(&texts) {
        let parsed = query::parse(&mut stems, &q);
        for principals in who {
            let principals: Vec<String> = principals.iter().map(|p| p.to_string()).collect();
            for filter in &filters {
                for (sort, offset, limit, facets) in [
                    (Sort::Relevance, 0, 10, true),
                    (Sort::Relevance, 20, 20, false),
                    (Sort::Newest, 0, 10, true),
                    (Sort::Newest, 10, 5, false),
                ] {
                    let req = Request {
                        parsed: &parsed,
                        principals: &principals,
                        filters: filter.clone(),
                        sort,
                        offset,
                        limit,
                        facets,
                    };
                    let fast = query::search(&index, &req).unwrap();
                    let full = query::search_exhaustive(&index, &req).unwrap();
                    let what = format!("{q:?} {principals:?} {filter:?} {sort:?} {offset}");
                    same_hits(&fast, &full, &what);
                    assert!(fast.total_exact, "{what}: fewer matches than counted one by one");
                    assert_eq!(fast.total, full.total, "{what}: total");
                    assert_eq!(
                        format!("{:?}", fast.facets),
                        format!("{:?}", full.facets),
                        "{what}: facets"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 1000, "{compared}");
}

/// Short generated documents over the regulations' vocabulary, so frequent words match
/// thousands of them.
fn generated_index(dir: &std::path::Path, n: usize) -> (SearchIndex, Vec<String>) {
    use crate::search::corpus_gen::{GenConfig, Generator, Vocabulary};
    let settings = Settings { writer_memory: 30 << 20, writer_threads: 1, ..Default::default() };
    let index = SearchIndex::open(dir, settings).unwrap();
    let vocab = Vocabulary::from_dir(&test_corpus::dir()).unwrap();
    let shape = GenConfig { body_words: (20, 60), attachment_share: 0.0, ..GenConfig::default() };
    let texts: Vec<String> = Generator::new(&vocab, 11, shape).take(n).map(|d| d.body).collect();
    let mut stems = Stems::default();
    for (i, text) in texts.iter().enumerate() {
        let id = i as u64 + 1;
        let prepared = prepare::prepare(&mut stems, index.fields(), &document(id, text));
        index.upsert(id, prepared, Instant::now()).unwrap();
        if id.is_multiple_of(2000) {
            index.commit().unwrap();
        }
    }
    index.commit().unwrap();
    (index, texts)
}

#[test]
fn estimated_counts_stay_near_the_counted_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (index, texts) = generated_index(&dir.path().join("index"), 6000);
    let searcher = index.searcher();
    let mut stems = Stems::default();
    let principals = vec!["all".to_string(), "agency:1".to_string()];
    let mut estimated = 0;
    for q in queries(&texts).iter().take(12) {
        let parsed = query::parse(&mut stems, q);
        let req = Request {
            parsed: &parsed,
            principals: &principals,
            filters: Filters::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 10,
            facets: true,
        };
        let Some(counted) = query::counting_query(&index, &req) else { continue };
        let exact = collect::tally(&searcher, counted.as_ref(), None, true, usize::MAX).unwrap();
        assert!(exact.exact);
        // A sample of a third of the matches, so the estimate is used.
        let sample = exact.total / 3;
        if sample < collect::STRATA * 4 {
            continue;
        }
        let guess = collect::tally(&searcher, counted.as_ref(), None, true, sample).unwrap();
        assert!(!guess.exact, "{q}: {} matches, sample {sample}", exact.total);
        let error = (guess.total as f64 - exact.total as f64).abs() / exact.total as f64;
        assert!(error < 0.15, "{q}: estimated {} for {} matches", guess.total, exact.total);
        let (year_guess, year_exact): (u64, u64) = (
            guess.facets.iter().filter(|(k, _)| k.starts_with("/year/")).map(|(_, v)| v).sum(),
            exact.facets.iter().filter(|(k, _)| k.starts_with("/year/")).map(|(_, v)| v).sum(),
        );
        assert_eq!(year_exact as usize, exact.total, "each document has one year");
        let facet_error = (year_guess as f64 - year_exact as f64).abs() / year_exact as f64;
        assert!(facet_error < 0.15, "{q}: facets estimated {year_guess} for {year_exact}");
        estimated += 1;
    }
    assert!(estimated >= 3, "only {estimated} queries had enough matches to estimate");
}
