//! Search benchmark (I385 §6.6, issue 4): indexing throughput and query latency of ipgo's
//! index beside PostgreSQL full-text search (Debian `postgresql`, `russian` configuration,
//! GIN index) on the same generated corpus and the same queries, in the same run; and recall
//! on queries whose words occur in the texts only as PDF artifacts (letter-spaced, Latin
//! look-alike letters) or in another Kazakh inflection, where PostgreSQL finds nothing.
//!
//! The corpus (`search::corpus_gen`: Zipf sampling of the regulations' vocabulary with kk/ru
//! inflections) is shaped like a portal's store (`GenConfig::portal`: median text ≈ 3 KB, one
//! document in twenty with 50–200 KB of attachment text; `SHAPE=classic` for the earlier
//! shape, 30 % with 200–2 000 words) and written once per size to a TSV file; both engines
//! index from that file. 1 % of documents get a letter-spaced word, 1 % a
//! word with a Latin look-alike letter, 1 % a Kazakh noun in another case than the one searched
//! — each a word the generated text never contains otherwise, so recall counts only what the
//! artifact lets an engine find. Indexing is reported per wall-clock second and per CPU-second
//! (the machine may be shared; CPU time is the fairer comparison).
//!
//! Every query of the mix is also answered by the reference evaluation
//! ([`query::search_exhaustive`]: every match scored, counted and faceted); the bench stops if
//! any answer differs (ids, order, exact totals) or an estimated total is off by more than the
//! documented bound — the correctness guard of the query optimisations.
//!
//! Run: `benches/search.sh` (installs PostgreSQL when missing) or
//! `cargo bench --bench search -- 10000 100000` (sizes). Settings by environment: `ROUNDS`
//! (30) and `PG_ROUNDS` (as ROUNDS) timed rounds of the mix, `ENGINES` (`ipgo,postgres`),
//! `SHAPE` (`portal`), `IPGO_CORPUS`, `BENCH_DIR`, `KEEP=1` (keep the corpus file and ipgo's
//! index and reuse them in the next run), `INDEX_ONLY=1` (no queries: for profiling the
//! indexing). Prints figures; asserts nothing about speed.

#[path = "search/corpus.rs"]
mod corpus;
#[path = "search/pg.rs"]
mod pg;

use corpus::*;

use pg::Postgres;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipgo::portal::search::payload::Payload;
use ipgo::search::analysis;
use ipgo::search::corpus_gen::{GenConfig, Vocabulary};
use ipgo::search::index::query::{self, Filters, Request, Sort};
use ipgo::search::index::snippet::snippet;
use ipgo::search::index::{SearchIndex, Settings, Stems, prepare::prepare};

const AGENCIES: u64 = 6;
const KEY: [u8; 32] = [42; 32];

// ---------------------------------------------------------------------------------------
// ipgo

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let m = e.metadata().unwrap();
            total += if m.is_dir() { dir_size(&e.path()) } else { m.len() };
        }
    }
    total
}

/// Indexes the corpus file with `threads` analysing threads; returns the index, wall and CPU
/// seconds, and the index's bytes.
fn ipgo_index(corpus: &Path, dir: &Path, threads: usize) -> (SearchIndex, f64, f64, u64) {
    let _ = std::fs::remove_dir_all(dir);
    let settings = Settings { writer_memory: 256 << 20, writer_threads: 2, ..Default::default() };
    let index = Arc::new(SearchIndex::open(dir, settings).expect("open index"));
    let cpu = cpu_secs(std::process::id(), false);
    let started = Instant::now();
    index.build_start().expect("build");
    // Lines go to the analysing threads in batches: one wake-up per batch, not per document.
    const BATCH: usize = 64;
    let (tx, rx) = flume::bounded::<Vec<String>>(64);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (rx, index) = (rx.clone(), index.clone());
            s.spawn(move || {
                let mut stems = Stems::default();
                for line in rx.iter().flatten() {
                    let doc = index_doc(parse_row(&line));
                    index.build_add(prepare(&mut stems, index.fields(), &doc)).expect("add");
                }
            });
        }
        let mut batch = Vec::with_capacity(BATCH);
        for line in corpus_lines(corpus) {
            batch.push(line);
            if batch.len() == BATCH {
                tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).unwrap();
            }
        }
        tx.send(batch).unwrap();
        drop(tx);
    });
    index.build_finish().expect("finish");
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs(std::process::id(), false) - cpu;
    let index = Arc::into_inner(index).expect("sole owner");
    (index, secs, cpu, dir_size(dir))
}

/// One query of the mix: what a person types, and the PostgreSQL tsquery for it.
struct Q {
    text: String,
    pg: String,
    sort_by_date: bool,
    doc_type: Option<&'static str>,
}

fn mix(v: &Vocabulary) -> Vec<Q> {
    let (ru_words, kk_words) =
        (content_words(&v.ru, analysis::russian()), content_words(&v.kk, analysis::kazakh()));
    let ru = |r: usize| ru_words[r.min(ru_words.len() - 1)].clone();
    let kk = |r: usize| kk_words[r.min(kk_words.len() - 1)].clone();
    let plain = |t: String| Q {
        pg: format!("plainto_tsquery('russian', '{t}')"),
        text: t,
        sort_by_date: false,
        doc_type: None,
    };
    let pref = ru(150).chars().take(5).collect::<String>();
    vec![
        plain(ru(3)),
        plain(ru(60)),
        plain(ru(400)),
        plain(ru(ru_words.len() * 9 / 10)),
        plain(kk(3)),
        plain(kk(60)),
        plain(kk(400)),
        plain(format!("{} {}", ru(10), ru(80))),
        plain(format!("{} {}", kk(10), kk(80))),
        plain(format!("{} {} {}", ru(20), ru(50), ru(200))),
        Q {
            text: format!("\"{} {}\"", ru(0), ru(1)),
            pg: format!("phraseto_tsquery('russian', '{} {}')", ru(0), ru(1)),
            sort_by_date: false,
            doc_type: None,
        },
        Q {
            text: format!("{pref}*"),
            pg: format!("to_tsquery('russian', '{pref}:*')"),
            sort_by_date: false,
            doc_type: None,
        },
        Q { sort_by_date: true, ..plain(ru(30)) },
        Q { doc_type: Some("regulation"), ..plain(kk(30)) },
    ]
}

fn user_principals() -> Vec<String> {
    vec!["all".into(), "agency:1".into(), "user:5".into()]
}

fn ipgo_request<'a>(
    q: &Q,
    parsed: &'a query::Parsed,
    principals: &'a [String],
    facets: bool,
) -> Request<'a> {
    Request {
        parsed,
        principals,
        filters: Filters { doc_type: q.doc_type.map(str::to_owned), ..Default::default() },
        sort: if q.sort_by_date { Sort::Newest } else { Sort::Relevance },
        offset: 0,
        limit: 10,
        facets,
    }
}

/// Latencies (ms) of `rounds` rounds of the mix; `full`: with facets and snippets (payloads
/// opened), as the portal answers.
fn ipgo_latencies(index: &SearchIndex, qs: &[Q], rounds: usize, full: bool) -> Vec<f64> {
    let mut stems = Stems::default();
    let principals = user_principals();
    let mut out = Vec::new();
    for round in 0..=rounds {
        for q in qs {
            let t = Instant::now();
            let parsed = query::parse(&mut stems, &q.text);
            let res =
                query::search(index, &ipgo_request(q, &parsed, &principals, full)).expect("search");
            if full {
                for hit in &res.hits {
                    let p = Payload::open(&KEY, hit.doc_id, hit.version, &hit.payload)
                        .expect("payload");
                    for part in &p.parts {
                        std::hint::black_box(snippet(&mut stems, &parsed.terms, &part.text, 240));
                    }
                }
            }
            std::hint::black_box(res.total);
            if round > 0 {
                out.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    out
}

/// How many documents each query of the mix finds for the benchmark's user, and whether the
/// number was counted (else estimated).
fn ipgo_totals(index: &SearchIndex, qs: &[Q]) -> (Vec<u64>, Vec<bool>) {
    let mut stems = Stems::default();
    let principals = user_principals();
    qs.iter()
        .map(|q| {
            let parsed = query::parse(&mut stems, &q.text);
            let res = query::search(index, &ipgo_request(q, &parsed, &principals, false));
            let res = res.expect("search");
            (res.total as u64, res.total_exact)
        })
        .unzip()
}

/// Largest error of an estimated total the guard accepts (docs/benchmarks.md).
const ESTIMATE_BOUND: f64 = 0.05;

/// The correctness guard of the query optimisations: every query of the mix (as written, by
/// date, with facets, on the third page), the artifact queries and a filter-only listing are
/// answered by `query::search` and by the reference evaluation `query::search_exhaustive`;
/// the bench stops on any difference in hits, order or scores (beyond rounding, see
/// `query::hits_differ`), on an exact total or facet
/// count that differs, and on an estimated total off by more than `ESTIMATE_BOUND`.
fn guard(index: &SearchIndex, qs: &[Q], art: &Artifacts) {
    let mut stems = Stems::default();
    let principals = user_principals();
    let mut texts: Vec<(String, Option<&'static str>)> =
        qs.iter().map(|q| (q.text.clone(), q.doc_type)).collect();
    texts.extend(art.queries().into_iter().map(|(_, q, _)| (q, None)));
    texts.push((String::new(), Some("regulation")));
    let (mut compared, mut estimated, mut worst) = (0, 0, 0.0f64);
    for (text, doc_type) in &texts {
        let parsed = query::parse(&mut stems, text);
        for (sort, facets, offset) in
            [(Sort::Relevance, true, 0), (Sort::Relevance, false, 20), (Sort::Newest, true, 0)]
        {
            let req = Request {
                parsed: &parsed,
                principals: &principals,
                filters: Filters { doc_type: doc_type.map(str::to_owned), ..Default::default() },
                sort,
                offset,
                limit: 10,
                facets,
            };
            let fast = query::search(index, &req).expect("search");
            let full = query::search_exhaustive(index, &req).expect("reference search");
            if let Some(difference) = query::hits_differ(&fast, &full) {
                panic!("{text:?} {sort:?} offset {offset}: {difference}");
            }
            if fast.total_exact {
                assert_eq!(fast.total, full.total, "{text:?}: exact totals differ");
                let facets = |r: &query::Response| format!("{:?}", r.facets);
                assert_eq!(facets(&fast), facets(&full), "{text:?}: exact facet counts differ");
            } else {
                let error = (fast.total as f64 - full.total as f64).abs() / full.total as f64;
                assert!(
                    error <= ESTIMATE_BOUND,
                    "{text:?}: estimated {} for {} matches ({:.1} %)",
                    fast.total,
                    full.total,
                    error * 100.0
                );
                estimated += 1;
                worst = worst.max(error);
            }
            compared += 1;
        }
    }
    println!(
        "correctness guard: {compared} answers identical to the reference evaluation (hits, order, \
         scores; exact totals and facets); {estimated} estimated totals, largest error {:.2} %",
        worst * 100.0
    );
}

/// The median of each query's latencies (`v` holds rounds of `n` queries in mix order).
fn per_query_median(v: &[f64], n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let mut q: Vec<f64> = v.iter().skip(i).step_by(n).copied().collect();
            q.sort_by(f64::total_cmp);
            percentile(&q, 0.5)
        })
        .collect()
}

fn ipgo_found(index: &SearchIndex, text: &str) -> BTreeSet<u64> {
    let mut stems = Stems::default();
    let parsed = query::parse(&mut stems, text);
    let principals = vec!["all".to_string()]
        .into_iter()
        .chain((0..AGENCIES).map(|a| format!("agency:{a}")))
        .collect::<Vec<_>>();
    let req = Request {
        parsed: &parsed,
        principals: &principals,
        filters: Filters::default(),
        sort: Sort::Relevance,
        offset: 0,
        limit: 100_000,
        facets: false,
    };
    query::search(index, &req).expect("search").hits.iter().map(|h| h.doc_id).collect()
}

// ---------------------------------------------------------------------------------------

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn summary(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (percentile(&v, 0.5), percentile(&v, 0.99), *v.last().unwrap_or(&f64::NAN))
}

/// CPU seconds (user + system) of process `pid`, with `children`: also of its children it has
/// waited for and of those still running (PostgreSQL runs each session in a child of the
/// postmaster). Linux reports them in USER_HZ = 100 ticks per second.
fn cpu_secs(pid: u32, children: bool) -> f64 {
    let fields = |pid: &str| -> Vec<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, a)| a).unwrap_or("");
        after.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect()
    };
    // After the command: state, ppid, ... utime (field 14) is at 11, stime 12, cutime 13,
    // cstime 14.
    let own = fields(&pid.to_string());
    if own.len() < 15 {
        return 0.0;
    }
    let mut ticks = own[11] + own[12];
    if children {
        ticks += own[13] + own[14];
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.bytes().all(|b| b.is_ascii_digit()) {
                let f = fields(&name);
                if f.len() > 12 && f[1] == u64::from(pid) {
                    ticks += f[11] + f[12];
                }
            }
        }
    }
    ticks as f64 / 100.0
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What PostgreSQL measured for one size.
struct PgFigures {
    latencies: Vec<f64>,
    hits: Vec<u64>,
    found: Vec<BTreeSet<u64>>,
}

/// Loads, queries and drops PostgreSQL's table for one size (dropped so that both engines'
/// data need not fit on the disk at once).
fn run_postgres(pg: &Postgres, corpus: &Path, mb: f64, qs: &[Q], art: &Artifacts) -> PgFigures {
    let (load_s, gin_s, pg_cpu, pg_size) = pg.index(corpus);
    println!(
        "  PostgreSQL         {:>10.1} {:>18.1}   ({:.1} s = COPY with to_tsvector {load_s:.1} s + GIN {gin_s:.1} s, {pg_cpu:.1} CPU-s; table+index {:.0} MB, cluster directory with WAL {:.0} MB)",
        mb / (load_s + gin_s),
        mb / pg_cpu,
        load_s + gin_s,
        pg_size as f64 / 1e6,
        pg.disk() as f64 / 1e6
    );
    println!("  load {}", load());
    let rounds = env_or("PG_ROUNDS", env_or("ROUNDS", 30usize));
    let (latencies, hits) = pg.latencies(qs, rounds);
    let found = art.queries().iter().map(|(_, q, _)| pg.found(q)).collect();
    pg.drop_table();
    PgFigures { latencies, hits, found }
}

/// Indexes the corpus (or reopens the index kept by an earlier run with `KEEP=1`).
fn open_or_index(corpus: &Path, dir: &Path, mb: f64, threads: usize, keep: bool) -> SearchIndex {
    let done = dir.join(".bench-complete");
    if keep && done.exists() {
        let index = SearchIndex::open(dir, Settings::default()).expect("open kept index");
        println!(
            "  ipgo               (index kept from an earlier run: {} documents, {:.0} MB)",
            index.status().documents,
            dir_size(dir) as f64 / 1e6
        );
        return index;
    }
    let (index, secs, cpu, size) = ipgo_index(corpus, dir, threads);
    println!(
        "  ipgo               {:>10.1} {:>18.1}   ({secs:.1} s, {cpu:.1} CPU-s; index {:.0} MB; {threads} analysing threads, 2 tantivy threads)",
        mb / secs,
        mb / cpu,
        size as f64 / 1e6
    );
    println!("  load {}", load());
    if keep {
        std::fs::write(&done, b"").expect("mark the index complete");
    }
    index
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let sizes: Vec<usize> = if args.is_empty() {
        vec![10_000, 100_000]
    } else {
        args.iter().map(|a| a.replace('_', "").parse().expect("size")).collect()
    };
    let rounds: usize = env_or("ROUNDS", 30);
    let engines = std::env::var("ENGINES").unwrap_or_else(|_| "ipgo,postgres".into());
    let (with_ipgo, with_pg) = (engines.contains("ipgo"), engines.contains("postgres"));
    let keep = std::env::var("KEEP").is_ok_and(|v| v == "1");
    let index_only = std::env::var("INDEX_ONLY").is_ok_and(|v| v == "1");
    let shape_name = std::env::var("SHAPE").unwrap_or_else(|_| "portal".into());
    let shape = match shape_name.as_str() {
        "classic" => GenConfig::default(),
        _ => GenConfig::portal(),
    };
    let corpus_dir = std::env::var_os("IPGO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let work = std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("ipgo-search-bench"));
    std::fs::create_dir_all(&work).unwrap();
    let vocab = Vocabulary::from_dir(&corpus_dir).expect("corpus vocabulary");
    let art = Artifacts::pick(&vocab);
    let qs = mix(&vocab);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    println!("# ipgo search benchmark");
    println!("cores: {threads}; load average at start: {}", load());
    println!("corpus shape: {shape_name} ({shape:?})");
    println!("query mix ({} queries, {rounds} rounds after one warm-up round):", qs.len());
    for q in &qs {
        println!(
            "  {:<40} | {}{}",
            q.text,
            q.pg,
            if q.sort_by_date {
                " (newest first)"
            } else {
                q.doc_type.map(|_| " (type = regulation)").unwrap_or("")
            }
        );
    }
    let pg = with_pg.then(|| Postgres::start(&work));
    if let Some(pg) = &pg {
        println!("{}", pg.version());
    }
    for n in sizes {
        let corpus = work.join(format!("corpus-{shape_name}-{n}.tsv.zst"));
        let bytes_file = work.join(format!("corpus-{shape_name}-{n}.bytes"));
        let t = Instant::now();
        let bytes = match std::fs::read_to_string(&bytes_file).ok().and_then(|b| b.parse().ok()) {
            Some(b) if keep && corpus.exists() => b,
            _ => {
                let b = write_corpus(&vocab, &shape, &art, n, &corpus);
                std::fs::write(&bytes_file, b.to_string()).unwrap();
                b
            }
        };
        let mb = bytes as f64 / 1e6;
        println!(
            "\n## {n} documents: {mb:.0} MB of text (corpus file {:.0} MB with zstd, ready in {:.0} s); load {}",
            std::fs::metadata(&corpus).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            load()
        );
        println!("indexing:           MB/s (wall)  MB per CPU-second");
        let theirs = pg.as_ref().map(|pg| run_postgres(pg, &corpus, mb, &qs, &art));
        let dir = work.join(format!("ipgo-{shape_name}-{n}"));
        let index = with_ipgo.then(|| open_or_index(&corpus, &dir, mb, threads, keep));
        if !index_only {
            if let Some(index) = &index {
                guard(index, &qs, &art);
            }
            report(n, index.as_ref(), theirs.as_ref(), &qs, &art, rounds);
        }
        if let Some(index) = index {
            index.shutdown();
        }
        if !keep {
            let _ = std::fs::remove_dir_all(&dir);
            let _ = std::fs::remove_file(&corpus);
            let _ = std::fs::remove_file(&bytes_file);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if let Some(pg) = pg {
        pg.stop();
    }
    println!("\nload average at end: {}", load());
}

/// Latencies, per-query medians and recall of both engines for one size.
fn report(
    n: usize,
    index: Option<&SearchIndex>,
    theirs: Option<&PgFigures>,
    qs: &[Q],
    art: &Artifacts,
    rounds: usize,
) {
    println!("query latency, ms:                       p50      p99      max   (queries)");
    let mut ours = None;
    if let Some(index) = index {
        let ms = ipgo_latencies(index, qs, rounds, false);
        let per_query = per_query_median(&ms, qs.len());
        let count = ms.len();
        let (i50, i99, imax) = summary(ms);
        println!(
            "  ipgo (top 10 + count)              {i50:>8.2} {i99:>8.2} {imax:>8.2}   ({count})"
        );
        let ms = ipgo_latencies(index, qs, rounds, true);
        let count = ms.len();
        let (f50, f99, fmax) = summary(ms);
        println!(
            "  ipgo + facets + snippets           {f50:>8.2} {f99:>8.2} {fmax:>8.2}   ({count})"
        );
        ours = Some((per_query, i99, f99, ipgo_totals(index, qs)));
    }
    if let Some(pg) = theirs {
        let count = pg.latencies.len();
        let (p50, p99, pmax) = summary(pg.latencies.clone());
        println!(
            "  PostgreSQL (top 10 + count)        {p50:>8.2} {p99:>8.2} {pmax:>8.2}   ({count})"
        );
        if let Some((_, i99, f99, _)) = &ours {
            println!(
                "  p99 PostgreSQL / ipgo: {:.1}× (top 10 + count), {:.1}× (with facets and snippets)",
                p99 / i99,
                p99 / f99
            );
        }
    }
    println!("per query (median ms, hits for the user; ipgo top 10 + count):");
    let pg_per_query = theirs.map(|pg| per_query_median(&pg.latencies, qs.len()));
    for (i, q) in qs.iter().enumerate() {
        let mine = ours.as_ref().map_or(String::from("-"), |(m, _, _, (totals, exact))| {
            format!("{:>8.2} ms {:>8}{} hits", m[i], totals[i], if exact[i] { " " } else { "≈" })
        });
        let other = match (&pg_per_query, theirs) {
            (Some(m), Some(pg)) => {
                format!("{:>8.2} ms {:>8} hits", m[i], pg.hits.get(i).copied().unwrap_or(0))
            }
            _ => "-".into(),
        };
        println!("  {:<40} ipgo {mine}   PostgreSQL {other}", q.text);
    }
    println!("recall on artifact queries (documents with the artifact found):");
    for (k, (name, q, kind)) in art.queries().into_iter().enumerate() {
        let injected: BTreeSet<u64> = (1..=n as u64).filter(|id| id % 100 == kind).collect();
        let of = |found: &BTreeSet<u64>| {
            let c = found.intersection(&injected).count();
            format!(
                "{c:>6}/{} ({:>5.1} %)",
                injected.len(),
                100.0 * c as f64 / injected.len().max(1) as f64
            )
        };
        let mine = index.map_or("-".into(), |index| of(&ipgo_found(index, &q)));
        let other = theirs.map_or("-".into(), |pg| of(&pg.found[k]));
        println!("  {name:<26} {q:<22} ipgo {mine}   PostgreSQL {other}");
    }
}
