//! The index on disk: freshness, access terms, filters and facets, deletes versus purges,
//! rebuild and swap, reopening.

use std::time::Instant;

use super::query::{self, Filters, Request, Sort};
use super::*;
use crate::search::normalize::normalize;
use crate::search::test_corpus;

/// Unix milliseconds.
const DAY0: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

fn settings() -> Settings {
    Settings { writer_memory: 30 << 20, writer_threads: 1, ..Default::default() }
}

fn doc(id: u64, text: &str, principals: &[&str]) -> IndexDoc {
    IndexDoc {
        doc_id: id,
        version: 1,
        stamp: id * 10,
        agency_id: 100 + id % 2,
        author_id: 7,
        doc_type: if id.is_multiple_of(2) { "regulation".into() } else { "generic".into() },
        status: "unsigned".into(),
        created: DAY0,
        updated: DAY0 + id as i64 * DAY,
        principals: principals.iter().map(|p| p.to_string()).collect(),
        titles: vec![format!("Документ {id}")],
        bodies: vec![Body { text: normalize(text), lang: None }],
        payload: format!("payload {id}").into_bytes(),
    }
}

fn add(index: &SearchIndex, stems: &mut Stems, d: &IndexDoc) {
    let prepared = prepare::prepare(stems, index.fields(), d);
    index.upsert(d.doc_id, prepared, Instant::now()).unwrap();
}

fn find(index: &SearchIndex, q: &str, principals: &[&str], filters: Filters) -> Vec<u64> {
    let mut stems = Stems::default();
    let parsed = query::parse(&mut stems, q);
    let principals: Vec<String> = principals.iter().map(|p| p.to_string()).collect();
    let req = Request {
        parsed: &parsed,
        principals: &principals,
        filters,
        sort: Sort::Relevance,
        offset: 0,
        limit: 20,
        facets: false,
    };
    let mut ids: Vec<u64> =
        query::search(index, &req).unwrap().hits.iter().map(|h| h.doc_id).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn a_committed_document_is_searchable_at_once_and_only_by_its_readers() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&dir.path().join("index"), settings()).unwrap();
    let mut stems = Stems::default();
    add(&index, &mut stems, &doc(1, "Работа на интранет-портале", &["agency:1"]));
    add(&index, &mut stems, &doc(2, "Интранет-порталы органов", &["user:5", "all"]));
    index.commit().unwrap();
    assert_eq!(find(&index, "порталом", &["all", "agency:1"], Filters::default()), vec![1, 2]);
    assert_eq!(find(&index, "порталом", &["all", "agency:2"], Filters::default()), vec![2]);
    assert_eq!(find(&index, "порталом", &[], Filters::default()), Vec::<u64>::new());
    // Replacing keeps one document per id.
    add(&index, &mut stems, &doc(1, "Совсем другое", &["agency:1"]));
    index.commit().unwrap();
    assert_eq!(find(&index, "порталом", &["agency:1", "all"], Filters::default()), vec![2]);
    assert_eq!(index.stamps().unwrap().len(), 2);
    assert_eq!(index.stored(1).unwrap().unwrap().1, b"payload 1");
    let status = index.status();
    assert_eq!((status.documents, status.uncommitted), (2, 0));
}

#[test]
fn filters_facets_sorting_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&dir.path().join("index"), settings()).unwrap();
    let mut stems = Stems::default();
    for id in 1..=6 {
        add(&index, &mut stems, &doc(id, "порядок работы на портале", &["all"]));
    }
    index.commit().unwrap();
    let all = ["all"];
    let regulation = Filters { doc_type: Some("regulation".into()), ..Default::default() };
    assert_eq!(find(&index, "портал", &all, regulation.clone()), vec![2, 4, 6]);
    let agency = Filters { agency: Some(101), ..Default::default() };
    assert_eq!(find(&index, "портал", &all, agency), vec![1, 3, 5]);
    let days =
        Filters { from: Some(DAY0 + 2 * DAY), until: Some(DAY0 + 4 * DAY), ..Default::default() };
    assert_eq!(
        find(&index, "", &all, days),
        vec![2, 3],
        "an empty query lists what filters select"
    );
    assert_eq!(find(&index, "", &all, Filters::default()), Vec::<u64>::new());

    let parsed = query::parse(&mut stems, "портал");
    let principals = vec!["all".to_string()];
    let mut req = Request {
        parsed: &parsed,
        principals: &principals,
        filters: regulation,
        sort: Sort::Newest,
        offset: 1,
        limit: 1,
        facets: true,
    };
    let res = query::search(&index, &req).unwrap();
    assert_eq!(res.total, 3);
    assert_eq!(res.hits.iter().map(|h| h.doc_id).collect::<Vec<_>>(), vec![4], "second newest");
    // Facet counts ignore the facet filters, so other types stay choosable.
    let facets = res.facets.unwrap();
    let types: Vec<(String, u64)> =
        facets.types.iter().map(|v| (v.value.clone(), v.count)).collect();
    assert_eq!(types, vec![("generic".into(), 3), ("regulation".into(), 3)]);
    assert_eq!(facets.agencies.len(), 2);
    req.sort = Sort::Relevance;
    req.offset = 0;
    req.limit = 10;
    req.filters = Filters::default();
    let res = query::search(&index, &req).unwrap();
    assert_eq!((res.total, res.hits.len()), (6, 6));
}

#[test]
fn a_delete_leaves_terms_behind_but_a_purge_rewrites_the_segments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let index = SearchIndex::open(&path, settings()).unwrap();
    let mut stems = Stems::default();
    // One segment holding three documents (a rebuild commits once; changes sent one by one
    // may each get their own commit).
    index.build_start().unwrap();
    for id in 1..=3 {
        let d = doc(id, &format!("общий текст и канарейка{id}"), &["all"]);
        index.build_add(prepare::prepare(&mut stems, index.fields(), &d)).unwrap();
    }
    index.build_finish().unwrap();
    add(&index, &mut stems, &doc(9, "отдельно", &["all"]));
    index.commit().unwrap();
    index.delete(1).unwrap();
    index.commit().unwrap();
    assert!(find(&index, "канарейка1", &["all"], Filters::default()).is_empty());
    assert!(index.holds(1).unwrap(), "a plain delete only marks the document");
    let report = index.purge(2).unwrap();
    assert_eq!(report.segments_rewritten, 1, "only the segment that held it");
    assert!(!index.holds(2).unwrap(), "no segment holds the purged document's terms");
    assert!(!index.holds(1).unwrap(), "the rewrite dropped the deleted document as well");
    assert_eq!(find(&index, "общий", &["all"], Filters::default()), vec![3]);
    assert_eq!(find(&index, "отдельно", &["all"], Filters::default()), vec![9]);
    // Purging what is not there is harmless.
    assert_eq!(index.purge(1).unwrap().segments_rewritten, 0);
    // No term of the purged documents is left in any term dictionary.
    let searcher = index.searcher();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(index.fields().body_exact).unwrap();
        let mut terms = inverted.terms().stream().unwrap();
        while terms.advance() {
            let t = String::from_utf8_lossy(terms.key()).into_owned();
            assert!(!t.starts_with("канарейка1") && !t.starts_with("канарейка2"), "{t}");
        }
    }
}

#[test]
fn a_rebuild_fills_a_new_index_and_swaps_it_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let index = SearchIndex::open(&path, settings()).unwrap();
    let mut stems = Stems::default();
    add(&index, &mut stems, &doc(1, "прежнийобразец документ", &["all"]));
    index.commit().unwrap();
    // The live directory disappears from under the running index.
    std::fs::remove_dir_all(&path).unwrap();
    index.build_start().unwrap();
    for (i, (_, raw)) in test_corpus::files().into_iter().enumerate() {
        let d = doc(10 + i as u64, &raw, &["all"]);
        index.build_add(prepare::prepare(&mut stems, index.fields(), &d)).unwrap();
    }
    assert_eq!(
        find(&index, "прежнийобразец", &["all"], Filters::default()),
        vec![1],
        "searches go on"
    );
    assert_eq!(index.build_finish().unwrap(), 5);
    assert!(find(&index, "прежнийобразец", &["all"], Filters::default()).is_empty());
    assert_eq!(find(&index, "порталом", &["all"], Filters::default()), vec![12]);
    assert!(path.join("meta.json").exists());
    assert!(!path.with_extension("next").exists() && !path.with_extension("old").exists());
    // The live writer works on the new directory.
    add(&index, &mut stems, &doc(2, "свежийобразец документ", &["all"]));
    index.commit().unwrap();
    assert_eq!(find(&index, "свежийобразец", &["all"], Filters::default()), vec![2]);
    index.shutdown();
    // Reopened, it is the same index.
    let index = SearchIndex::open(&path, settings()).unwrap();
    assert_eq!(index.status().documents, 6);
}

#[test]
fn an_index_of_another_layout_is_replaced_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    std::fs::create_dir_all(&path).unwrap();
    let mut b = tantivy::schema::Schema::builder();
    b.add_text_field("other", tantivy::schema::TEXT);
    tantivy::Index::create_in_dir(&path, b.build()).unwrap();
    let index = SearchIndex::open(&path, settings()).unwrap();
    assert_eq!(index.status().documents, 0);
    let mut stems = Stems::default();
    add(&index, &mut stems, &doc(1, "документ", &["all"]));
    index.commit().unwrap();
    assert_eq!(find(&index, "документ", &["all"], Filters::default()), vec![1]);
}
