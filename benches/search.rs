//! Search benchmark (I385 §6.6, issue 4): indexing throughput and query latency of ipgo's
//! index beside PostgreSQL full-text search (Debian `postgresql`, `russian` configuration,
//! GIN index) on the same generated corpus and the same queries, in the same run; and recall
//! on queries whose words occur in the texts only as PDF artifacts (letter-spaced, Latin
//! look-alike letters) or in another Kazakh inflection, where PostgreSQL finds nothing.
//!
//! The corpus (`search::corpus_gen`: Zipf sampling of the regulations' vocabulary with kk/ru
//! inflections, 30 % of documents with a text attachment) is written once per size to a TSV
//! file; both engines index from that file. 1 % of documents get a letter-spaced word, 1 % a
//! word with a Latin look-alike letter, 1 % a Kazakh noun in another case than the one searched
//! — each a word the generated text never contains otherwise, so recall counts only what the
//! artifact lets an engine find. Indexing is reported per wall-clock second and per CPU-second
//! (the machine may be shared; CPU time is the fairer comparison).
//!
//! Run: `benches/search.sh` (installs PostgreSQL when missing) or
//! `cargo bench --bench search -- 10000 100000` (sizes; `IPGO_CORPUS`, `ROUNDS`,
//! `BENCH_DIR`). Prints figures; asserts nothing about speed.

use std::collections::{BTreeSet, HashSet};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipgo::portal::search::payload::{Part, Payload};
use ipgo::search::analysis;
use ipgo::search::corpus_gen::{GenConfig, Generator, Vocabulary};
use ipgo::search::index::query::{self, Filters, Request, Sort};
use ipgo::search::index::snippet::snippet;
use ipgo::search::index::{Body, IndexDoc, SearchIndex, Settings, Stems, prepare::prepare};
use ipgo::search::normalize::normalize;
use tantivy::tokenizer::TextAnalyzer;

const AGENCIES: u64 = 6;
const KEY: [u8; 32] = [42; 32];

// ---------------------------------------------------------------------------------------
// Corpus

/// Content words (four letters or more, not stop words) of a ranked vocabulary, most frequent
/// first: the query mix is made of words someone would search for.
fn content_words(words: &[(String, u32)], mut analyzer: TextAnalyzer) -> Vec<String> {
    words
        .iter()
        .map(|(w, _)| w)
        .filter(|w| w.chars().count() >= 4 && !analysis::tokens(&mut analyzer, w).is_empty())
        .cloned()
        .collect()
}

/// The stems (by both analyzers) of every vocabulary word: the generator only writes these
/// words and other inflections of them.
fn vocabulary_stems(v: &Vocabulary) -> HashSet<String> {
    let (mut ru, mut kk) = (analysis::russian(), analysis::kazakh());
    let mut stems = HashSet::new();
    for (w, _) in v.ru.iter().chain(&v.kk) {
        stems.extend(analysis::tokens(&mut ru, w));
        stems.extend(analysis::tokens(&mut kk, w));
    }
    stems
}

/// The first candidate none of whose stems the generated text can contain, so that a document
/// holds the word only as the artifact put into it.
fn unseen<'a>(stems: &HashSet<String>, what: &str, candidates: &[&'a str]) -> &'a str {
    let (mut ru, mut kk) = (analysis::russian(), analysis::kazakh());
    candidates
        .iter()
        .find(|w| {
            analysis::tokens(&mut ru, w)
                .into_iter()
                .chain(analysis::tokens(&mut kk, w))
                .all(|s| !stems.contains(&s))
        })
        .unwrap_or_else(|| panic!("every {what} candidate occurs in the corpus vocabulary"))
}

/// `табличный` → `т а б л и ч н ы й`.
fn letter_spaced(word: &str) -> String {
    word.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

/// The artifacts put into 1 % of documents each, and what a person would type to find them.
/// Each word is one the generated text never contains otherwise, so recall counts only what
/// the artifact itself lets an engine find.
struct Artifacts {
    /// Searched as typed; written letter-spaced the way PDF extraction of the regulations
    /// gives it (one space between letters, two between words).
    spaced_query: String,
    spaced_text: String,
    /// A Russian word written with one Latin look-alike letter.
    homoglyph_query: String,
    homoglyph_text: String,
    /// A Kazakh noun written in one case form, searched in another.
    kk_text: String,
    kk_query: String,
}

impl Artifacts {
    fn pick(v: &Vocabulary) -> Artifacts {
        let stems = vocabulary_stems(v);
        let spaced = unseen(
            &stems,
            "letter-spaced",
            &["машиночитаемый", "структурированный", "табулированный", "сводный"],
        );
        let homoglyph = unseen(
            &stems,
            "homoglyph",
            &["сопроводительного", "конфиденциальности", "координационного", "ходатайство"],
        );
        // (text form, query form): locative and genitive of the same noun.
        let kk = [
            ("мұрағатында", "мұрағаттың"),
            ("кеңсесінде", "кеңсенің"),
            ("хаттамасында", "хаттаманың"),
            ("өтінішінде", "өтініштің"),
        ];
        let kk_query = unseen(&stems, "Kazakh", &kk.map(|(_, q)| q));
        let kk_text = kk.iter().find(|(_, q)| *q == kk_query).map(|(t, _)| *t).unwrap();
        Artifacts {
            spaced_query: spaced.into(),
            spaced_text: format!("3 )  X L S X  -  {}  ф о р м а т ;", letter_spaced(spaced)),
            homoglyph_text: homoglyph.replacen('о', "o", 1),
            homoglyph_query: homoglyph.into(),
            kk_text: kk_text.into(),
            kk_query: kk_query.into(),
        }
    }

    fn sentence(&self, id: u64) -> Option<String> {
        match id % 100 {
            1 => Some(self.spaced_text.clone()),
            2 => Some(format!("Уточнение: {} рассматривается отдельно.", self.homoglyph_text)),
            3 => Some(format!("Ескерту: {} қаралады.", self.kk_text)),
            _ => None,
        }
    }

    /// (name, query, the residue `id % 100` of the documents holding the artifact)
    fn queries(&self) -> Vec<(&'static str, String, u64)> {
        vec![
            ("letter-spaced word", self.spaced_query.clone(), 1),
            ("Latin look-alike letter", self.homoglyph_query.clone(), 2),
            ("Kazakh inflection", self.kk_query.clone(), 3),
        ]
    }
}

fn escape_tsv(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn unescape_tsv(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn principals(id: u64) -> Vec<String> {
    if id.is_multiple_of(2) {
        vec!["all".into()]
    } else {
        vec![format!("agency:{}", id % AGENCIES)]
    }
}

/// Writes `n` documents as TSV (PostgreSQL COPY text format); returns the bytes of text.
fn write_corpus(vocab: &Vocabulary, art: &Artifacts, n: usize, path: &Path) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).expect("corpus file"));
    let mut text_bytes = 0u64;
    let start = 1_700_000_000_000i64;
    for d in Generator::new(vocab, 7, GenConfig::default()).take(n) {
        let mut body = d.body;
        if let Some(s) = art.sentence(d.id) {
            body.push_str("\n\n");
            body.push_str(&s);
        }
        let attachment: String =
            d.attachments.iter().map(|a| a.text.as_str()).collect::<Vec<_>>().join("\n\n");
        text_bytes += (d.title.len() + body.len() + attachment.len()) as u64;
        let doc_type = if d.id.is_multiple_of(5) { "regulation" } else { "generic" };
        let mut line = format!(
            "{}\t{}\t{}\t{}\t{{{}}}\t",
            d.id,
            d.id % AGENCIES,
            doc_type,
            start + d.id as i64 * 60_000,
            principals(d.id).join(",")
        );
        escape_tsv(&d.title, &mut line);
        line.push('\t');
        escape_tsv(&body, &mut line);
        line.push('\t');
        escape_tsv(&attachment, &mut line);
        line.push('\n');
        out.write_all(line.as_bytes()).expect("write corpus");
    }
    out.flush().expect("flush corpus");
    text_bytes
}

struct Row {
    id: u64,
    agency: u64,
    doc_type: String,
    updated: i64,
    title: String,
    body: String,
    attachment: String,
}

fn parse_row(line: &str) -> Row {
    let f: Vec<&str> = line.split('\t').collect();
    Row {
        id: f[0].parse().unwrap(),
        agency: f[1].parse().unwrap(),
        doc_type: f[2].to_owned(),
        updated: f[3].parse().unwrap(),
        title: unescape_tsv(f[5]),
        body: unescape_tsv(f[6]),
        attachment: unescape_tsv(f[7]),
    }
}

/// What the portal's feed builds for a document (repair, sealed payload), without the store.
fn index_doc(row: Row) -> IndexDoc {
    let mut parts = vec![Part { text: normalize(&row.body), ..Default::default() }];
    if !row.attachment.is_empty() {
        parts.push(Part {
            file_id: Some(row.id),
            name: format!("{}.txt", row.id),
            text: normalize(&row.attachment),
            ..Default::default()
        });
    }
    let payload = Payload { title: row.title.clone(), parts, ..Default::default() };
    let sealed = payload.seal(&KEY, row.id, 1).expect("seal");
    IndexDoc {
        doc_id: row.id,
        version: 1,
        stamp: row.id,
        agency_id: row.agency,
        author_id: 1,
        doc_type: row.doc_type,
        status: "unsigned".into(),
        created: row.updated,
        updated: row.updated,
        principals: principals(row.id),
        titles: vec![normalize(&row.title)],
        bodies: payload.parts.into_iter().map(|p| Body { text: p.text, lang: None }).collect(),
        payload: sealed,
    }
}

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
        let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(corpus).unwrap());
        let mut batch = Vec::with_capacity(BATCH);
        for line in file.lines() {
            batch.push(line.unwrap());
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

/// How many documents each query of the mix finds for the benchmark's user.
fn ipgo_totals(index: &SearchIndex, qs: &[Q]) -> Vec<u64> {
    let mut stems = Stems::default();
    let principals = user_principals();
    qs.iter()
        .map(|q| {
            let parsed = query::parse(&mut stems, &q.text);
            let res = query::search(index, &ipgo_request(q, &parsed, &principals, false));
            res.expect("search").total as u64
        })
        .collect()
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
// PostgreSQL

struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

impl Postgres {
    /// PostgreSQL refuses to run as root: as root, run it as the `postgres` account.
    fn server_cmd(&self, prog: &str) -> Command {
        let path = self.bin.join(prog);
        if rustix::process::geteuid().is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn start(work: &Path) -> Postgres {
        let bin = pg_bin()
            .expect("PostgreSQL not found: run benches/search.sh (apt-get install postgresql)");
        let dir = work.join("pg");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if rustix::process::geteuid().is_root() {
            let uid = Command::new("id").args(["-u", "postgres"]).output().unwrap();
            let gid = Command::new("id").args(["-g", "postgres"]).output().unwrap();
            let parse = |o: std::process::Output| {
                String::from_utf8(o.stdout).unwrap().trim().parse::<u32>().unwrap()
            };
            std::os::unix::fs::chown(&dir, Some(parse(uid)), Some(parse(gid))).unwrap();
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let pg = Postgres { bin, dir, port };
        let data = pg.dir.join("data");
        let ok = pg
            .server_cmd("initdb")
            .args([
                "-D",
                data.to_str().unwrap(),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--auth=trust",
                "-U",
                "postgres",
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "initdb failed");
        let opts = format!(
            "-p {port} -k {} -c listen_addresses='' -c shared_buffers=1GB -c maintenance_work_mem=1GB \
             -c max_wal_size=8GB -c checkpoint_timeout=30min -c work_mem=64MB -c jit=off",
            pg.dir.display()
        );
        let ok = pg
            .server_cmd("pg_ctl")
            .args(["-D", data.to_str().unwrap(), "-o", &opts, "-l"])
            .arg(pg.dir.join("log"))
            .args(["-w", "start"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl start failed");
        pg
    }

    /// Runs SQL through psql; returns its output.
    fn psql(&self, sql: &str) -> String {
        let mut child = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .args(["-h", self.dir.to_str().unwrap(), "-p", &self.port.to_string()])
            // Queries of only stop words are part of the comparison, not worth a notice each.
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("psql");
        child.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "psql failed on: {}", &sql[..sql.len().min(300)]);
        String::from_utf8(out.stdout).unwrap()
    }

    fn version(&self) -> String {
        self.psql("SELECT version();").trim().to_owned()
    }

    // The tsvector is computed while copying.
    /// CPU seconds of the server: the postmaster, its background processes and its sessions.
    fn cpu(&self) -> f64 {
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next()?.trim().parse().ok())
            .expect("postmaster.pid");
        cpu_secs(pid, true)
    }

    /// Loads the corpus and builds the GIN index; returns the seconds of each, the server's
    /// CPU seconds for both, and the bytes of table and index.
    fn index(&self, corpus: &Path) -> (f64, f64, f64, u64) {
        self.psql(
            "DROP TABLE IF EXISTS docs;
             CREATE TABLE docs (id bigint PRIMARY KEY, agency int, doc_type text, updated bigint,
               principals text[], title text, body text, attachment text,
               tsv tsvector GENERATED ALWAYS AS (
                 setweight(to_tsvector('russian', title), 'A') ||
                 to_tsvector('russian', body) || to_tsvector('russian', attachment)) STORED);",
        );
        let cpu = self.cpu();
        let t = Instant::now();
        self.psql(&format!("\\copy docs (id, agency, doc_type, updated, principals, title, body, attachment) FROM '{}'\n", corpus.display()));
        let load = t.elapsed().as_secs_f64();
        let t = Instant::now();
        self.psql("CREATE INDEX docs_tsv ON docs USING gin (tsv); ANALYZE docs;");
        let gin = t.elapsed().as_secs_f64();
        let cpu = self.cpu() - cpu;
        let size: u64 = self.psql("SELECT pg_total_relation_size('docs');").trim().parse().unwrap();
        (load, gin, cpu, size)
    }

    fn statement(q: &Q) -> String {
        let filter = match q.doc_type {
            Some(t) => format!(" AND doc_type = '{t}'"),
            None => String::new(),
        };
        let order = if q.sort_by_date { "updated" } else { "r" };
        format!(
            "WITH m AS MATERIALIZED (SELECT id, updated, ts_rank(tsv, q) AS r FROM docs, {pg} q \
             WHERE tsv @@ q AND principals && '{{all,agency:1,user:5}}'{filter}) \
             SELECT (SELECT count(*) FROM m), (SELECT array_agg(id) FROM (SELECT id FROM m ORDER BY {order} DESC LIMIT 10) t);\n",
            pg = q.pg
        )
    }

    /// Latencies (ms, as psql's `\\timing` reports them) of `rounds` rounds of the mix after
    /// an untimed one, and the hit count of each query (from the untimed round).
    fn latencies(&self, qs: &[Q], rounds: usize) -> (Vec<f64>, Vec<u64>) {
        let mut sql = String::new();
        for q in qs {
            sql.push_str(&Self::statement(q)); // warm-up round, untimed
        }
        sql.push_str("\\timing on\n");
        for _ in 0..rounds {
            for q in qs {
                sql.push_str(&Self::statement(q));
            }
        }
        let out = self.psql(&sql);
        let times = out
            .lines()
            .filter_map(|l| l.strip_prefix("Time: "))
            .filter_map(|t| t.split_whitespace().next()?.parse().ok())
            .collect();
        // Result rows read `count|{ids}`.
        let counts =
            out.lines().filter_map(|l| l.split_once('|')?.0.parse().ok()).take(qs.len()).collect();
        (times, counts)
    }

    fn found(&self, word: &str) -> BTreeSet<u64> {
        self.psql(&format!(
            "SELECT id FROM docs WHERE tsv @@ plainto_tsquery('russian', '{word}');"
        ))
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
    }

    fn stop(&self) {
        let _ = self
            .server_cmd("pg_ctl")
            .args(["-D", self.dir.join("data").to_str().unwrap(), "-m", "fast", "stop"])
            .stdout(Stdio::null())
            .status();
    }
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let sizes: Vec<usize> = if args.is_empty() {
        vec![10_000, 100_000]
    } else {
        args.iter().map(|a| a.replace('_', "").parse().expect("size")).collect()
    };
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(30);
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
    let pg = Postgres::start(&work);
    println!("{}", pg.version());
    for n in sizes {
        let corpus = work.join(format!("corpus-{n}.tsv"));
        let t = Instant::now();
        let bytes = write_corpus(&vocab, &art, n, &corpus);
        let mb = bytes as f64 / 1e6;
        println!(
            "\n## {n} documents: {mb:.0} MB of text (generated in {:.0} s); load {}",
            t.elapsed().as_secs_f64(),
            load()
        );

        let (index, secs, cpu, size) =
            ipgo_index(&corpus, &work.join(format!("ipgo-{n}")), threads);
        println!("indexing:           MB/s (wall)  MB per CPU-second");
        println!(
            "  ipgo               {:>10.1} {:>18.1}   ({secs:.1} s, {cpu:.1} CPU-s; index {:.0} MB; {threads} analysing threads, 2 tantivy threads)",
            mb / secs,
            mb / cpu,
            size as f64 / 1e6
        );
        let (load_s, gin_s, pg_cpu, pg_size) = pg.index(&corpus);
        println!(
            "  PostgreSQL         {:>10.1} {:>18.1}   ({:.1} s = COPY with to_tsvector {load_s:.1} s + GIN {gin_s:.1} s, {pg_cpu:.1} CPU-s; table+index {:.0} MB)",
            mb / (load_s + gin_s),
            mb / pg_cpu,
            load_s + gin_s,
            pg_size as f64 / 1e6
        );
        println!("load {}", load());

        let ipgo_ms = ipgo_latencies(&index, &qs, rounds, false);
        let ipgo_per_query = per_query_median(&ipgo_ms, qs.len());
        let (i50, i99, imax) = summary(ipgo_ms);
        let (f50, f99, fmax) = summary(ipgo_latencies(&index, &qs, rounds, true));
        let (pg_ms, pg_hits) = pg.latencies(&qs, rounds);
        let pg_per_query = per_query_median(&pg_ms, qs.len());
        let (p50, p99, pmax) = summary(pg_ms);
        println!(
            "query latency, ms ({} queries each):      p50      p99      max",
            qs.len() * rounds
        );
        println!("  ipgo (top 10 + count)              {i50:>8.2} {i99:>8.2} {imax:>8.2}");
        println!("  ipgo + facets + snippets           {f50:>8.2} {f99:>8.2} {fmax:>8.2}");
        println!("  PostgreSQL (top 10 + count)        {p50:>8.2} {p99:>8.2} {pmax:>8.2}");
        println!("  p99 PostgreSQL / ipgo: {:.1}×", p99 / i99);
        println!("per query (median ms, hits for the user; ipgo top 10 + count):");
        let ipgo_hits = ipgo_totals(&index, &qs);
        for (i, q) in qs.iter().enumerate() {
            println!(
                "  {:<40} ipgo {:>8.2} ms {:>7} hits   PostgreSQL {:>8.2} ms {:>7} hits",
                q.text,
                ipgo_per_query[i],
                ipgo_hits[i],
                pg_per_query[i],
                pg_hits.get(i).copied().unwrap_or(0)
            );
        }
        println!("recall on artifact queries (documents with the artifact found):");
        for (name, q, kind) in art.queries() {
            let injected: BTreeSet<u64> = (1..=n as u64).filter(|id| id % 100 == kind).collect();
            let ours = ipgo_found(&index, &q).intersection(&injected).count();
            let theirs = pg.found(&q).intersection(&injected).count();
            println!(
                "  {name:<26} {q:<22} ipgo {ours:>6}/{} ({:>5.1} %)   PostgreSQL {theirs:>6}/{} ({:>5.1} %)",
                injected.len(),
                100.0 * ours as f64 / injected.len().max(1) as f64,
                injected.len(),
                100.0 * theirs as f64 / injected.len().max(1) as f64
            );
        }
        index.shutdown();
        drop(index);
        let _ = std::fs::remove_dir_all(work.join(format!("ipgo-{n}")));
        let _ = std::fs::remove_file(&corpus);
        std::thread::sleep(Duration::from_millis(100));
    }
    pg.stop();
    println!("\nload average at end: {}", load());
}
