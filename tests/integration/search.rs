//! Search (issue 4; I385 §6.6) through HTTP against the real binary: quality on the five
//! regulations loaded by `ipgo demo --corpus` (inflections, phrases, letter-spaced words,
//! homoglyphs — each with the files that must and must not be found), access across agencies
//! and groups, freshness, versions, access changes and destruction, `ipgo reindex`, hostile
//! and real attachments, the API contract and the page.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::documents::post;
use crate::common::{PASSWORD, Server, ftl, wait_for};

fn corpus_dir() -> PathBuf {
    std::env::var_os("IPGO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

/// `GET /api/v1/search?q=…&extra` → the answer (panics unless 200).
fn search(c: &Client, q: &str, extra: &[(&str, &str)]) -> Value {
    let (status, body) = search_status(c, q, extra);
    assert_eq!(status, 200, "search {q:?}: {body}");
    body
}

fn search_status(c: &Client, q: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut pairs = vec![("q", q)];
    pairs.extend_from_slice(extra);
    c.get_json(&format!("/api/v1/search?{}", serde_urlencoded::to_string(&pairs).unwrap()))
}

fn ids(answer: &Value) -> BTreeSet<u64> {
    answer["hits"].as_array().unwrap().iter().map(|h| h["document_id"].as_u64().unwrap()).collect()
}

/// Waits until `q` finds exactly `expected` for `c`; returns the time it took.
#[track_caller]
fn wait_until_found(c: &Client, q: &str, expected: &[u64]) -> Duration {
    let started = Instant::now();
    let want: BTreeSet<u64> = expected.iter().copied().collect();
    wait_for(&format!("{q:?} to find {expected:?}"), 30, || {
        (ids(&search(c, q, &[])) == want).then_some(())
    });
    started.elapsed()
}

// ---------------------------------------------------------------------------------------
// Quality on the regulations

struct Corpus {
    server: Server,
    reader: Client,
    /// Document id → the corpus file's number (`000`…`004`).
    files: BTreeMap<u64, String>,
}

/// Document id → corpus file number, for every generic document (all result pages) whose
/// first file is named like a corpus file.
fn corpus_documents(reader: &Client) -> BTreeMap<u64, String> {
    let mut files = BTreeMap::new();
    for page in 1.. {
        let page = page.to_string();
        let answer = search(reader, "", &[("type", "generic"), ("page", &page)]);
        let hits = ids(&answer);
        if hits.is_empty() {
            break;
        }
        for id in hits {
            let (_, doc) = reader.get_json(&format!("/api/v1/documents/{id}"));
            let name = doc["versions"][0]["files"][0]["name"].as_str().unwrap_or("");
            let number = name.get(..4).filter(|n| n.ends_with('_'));
            if let Some(n) = number.filter(|n| n[..3].bytes().all(|b| b.is_ascii_digit())) {
                files.insert(id, n[..3].to_owned());
            }
        }
    }
    files
}

impl Corpus {
    fn start() -> Corpus {
        let server = Server::builder().demo_corpus(&corpus_dir()).start();
        // A demo account from another agency than the poster's, with a known password.
        server
            .cli(
                &["user", "reset-password", "--login", "fin.head", "--password-stdin"],
                Some(PASSWORD),
            )
            .ok();
        let reader = server.signed_in("fin.head");
        // The regulations are the generic documents whose file is a corpus file (`000_…`):
        // other demo workflows (discussions) post generic documents of their own, some
        // without any file, so neither the type nor the count alone tells them apart.
        let files = wait_for("the corpus to be indexed", 60, || {
            let files = corpus_documents(&reader);
            (files.len() == 5).then_some(files)
        });
        Corpus { server, reader, files }
    }

    /// The regulations (by their file's prefix) that `q` finds: the demo's other workflows
    /// post documents of their own (plan reports, requests) that the reader may also find,
    /// left out by their type and by the regulations' ids.
    fn found(&self, q: &str) -> BTreeSet<String> {
        ids(&search(&self.reader, q, &[("type", "generic")]))
            .iter()
            .filter_map(|id| self.files.get(id).cloned())
            .collect()
    }

    #[track_caller]
    fn check(&self, q: &str, must: &[&str], must_not: &[&str]) {
        let found = self.found(q);
        for m in must {
            assert!(found.contains(*m), "{q:?} must find {m}, found {found:?}");
        }
        for m in must_not {
            assert!(!found.contains(*m), "{q:?} must not find {m}, found {found:?}");
        }
    }
}

#[test]
fn i385_s6_6_search_quality_on_the_regulations_loaded_by_the_demo() {
    let c = Corpus::start();
    assert_eq!(c.files.values().cloned().collect::<Vec<_>>(), ["000", "001", "002", "003", "004"]);
    // Russian inflections, any letter case, a Latin o typed in a Russian word.
    for q in ["порталом", "ПОРТАЛОМ", "Порталом", "пoртале"] {
        c.check(q, &["002"], &["000", "001", "003", "004"]);
    }
    c.check("государственному органу", &["002"], &["000", "001", "003", "004"]);
    // Kazakh inflections: "порталдың" occurs nowhere, its stem in порталының/порталында.
    c.check("порталдың", &["000", "001", "004"], &["002"]);
    c.check("МЕМЛЕКЕТКЕ", &["000", "001", "003", "004"], &["002"]);
    c.check("құжаттарымен", &["000", "001"], &["002"]);
    // Phrases: exact words in their order.
    c.check("\"мемлекеттік органдардың\"", &["000", "001", "003", "004"], &["002"]);
    c.check("\"порталының интранет\"", &[], &["000", "001", "003", "004"]);
    c.check("\"портале интранет\"", &[], &["002"]);
    // Words that occur only letter-spaced in their file (г о с у д а р …).
    c.check("табличный", &["002"], &["000", "001", "003", "004"]);
    c.check("соисполнителях", &["002"], &[]);
    c.check("сертификатталады", &["003"], &["002"]);
    // Mixed-script homoglyphs: 004 writes "инtranet-порталында".
    c.check("\"интранет порталында\"", &["000", "001", "004"], &["002"]);
    c.check("инtranet-порталында", &["000", "001", "004"], &["002"]);
    // Prefixes and exclusion.
    c.check("архив*", &["002"], &["000", "001", "003", "004"]);
    // Exclusion removes every document with the word in any inflection.
    let (all, excluded) = (c.found("мемлекеттік"), c.found("сертификатталады"));
    let rest = c.found("мемлекеттік -сертификатталады");
    assert_eq!(rest, all.difference(&excluded).cloned().collect(), "{all:?} - {excluded:?}");
    assert!(!rest.is_empty() && rest.len() < all.len(), "{rest:?}");

    // The hit names the attachment that matched and marks the word as found (stem).
    let answer = search(&c.reader, "порталом", &[("type", "generic")]);
    let regulation =
        |h: &&Value| h["document_id"].as_u64().is_some_and(|id| c.files.contains_key(&id));
    let hit = answer["hits"].as_array().unwrap().iter().find(regulation).unwrap();
    assert!(hit["file"]["name"].as_str().unwrap().starts_with("002_"), "{hit}");
    let snippet = hit["snippet"].as_str().unwrap();
    assert!(snippet.to_lowercase().contains("<mark>портал"), "{snippet}");
    // A letter-spaced word is marked in the repaired text.
    let answer = search(&c.reader, "табличный", &[("type", "generic")]);
    let hit = answer["hits"].as_array().unwrap().iter().find(regulation).unwrap();
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>табличн"), "{answer}");
    drop(c.server);
}

// ---------------------------------------------------------------------------------------
// A portal with two agencies, a working group and an administrator

fn portal() -> Server {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_agency("FIN");
    server.add_user("author", "MIN", &["employee"]);
    server.add_user("colleague", "MIN", &["employee"]);
    server.add_user("fin", "FIN", &["employee"]);
    server.add_user("member", "FIN", &["employee"]);
    server.add_user("minhead", "MIN", &["head", "employee"]);
    server.add_user("admin", "MIN", &["system_admin"]);
    server
}

fn posted(c: &Client, meta: Value, files: &[(&str, Vec<u8>)]) -> u64 {
    let res = post(c, &meta, files);
    assert_eq!(res.status, 201, "{}", res.body);
    res.json()["id"].as_u64().unwrap()
}

#[test]
fn i385_s6_6_people_only_ever_find_what_they_may_read() {
    let server = portal();
    let author = server.signed_in("author");
    let head = server.signed_in("minhead");
    let (status, group) = head.post_json(
        "/api/v1/groups",
        &json!({"name_kk": "Топ", "name_ru": "Группа", "members": ["minhead", "member"]}),
    );
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_u64().unwrap();
    let word = "жасырынсөз";
    let own =
        posted(&author, json!({"title": "Агентство", "text": format!("{word} агентства")}), &[]);
    let all = posted(&author, json!({"title": "Всем", "text": word, "access": "all"}), &[]);
    let grouped = posted(
        &author,
        json!({"title": "Группе", "text": word, "access": {"groups": [group]}}),
        &[("в группе.txt", format!("файл {word}").into_bytes())],
    );
    let named =
        posted(&author, json!({"title": "Лично", "text": word, "access": {"users": ["fin"]}}), &[]);
    wait_until_found(&author, word, &[own, all, grouped, named]);
    let expect = [
        ("author", vec![own, all, grouped, named]),
        ("colleague", vec![own, all]),
        ("fin", vec![all, named]),
        ("member", vec![all, grouped]),
        ("minhead", vec![own, all, grouped]),
        // Separation of duties: administrative roles alone read no documents.
        ("admin", vec![]),
    ];
    for (login, expected) in expect {
        let c = server.signed_in(login);
        let answer = search(&c, word, &[]);
        let want: BTreeSet<u64> = expected.iter().copied().collect();
        assert_eq!(ids(&answer), want, "{login}");
        assert_eq!(answer["total"], expected.len(), "{login}: the count leaks nothing");
        let counted: u64 = answer["facets"]["type"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["count"].as_u64().unwrap())
            .sum();
        assert_eq!(counted, expected.len() as u64, "{login}: facets count only readable hits");
        // Filters and an empty query never widen it.
        let listed = search(&c, "", &[("type", "generic")]);
        assert_eq!(ids(&listed), want, "{login}: listing by type");
    }
    // Anonymous visitors get nothing.
    let (status, _) = server.client().get_json("/api/v1/search?q=x");
    assert_eq!(status, 401);
}

#[test]
fn i385_s6_6_a_posted_document_is_findable_within_one_second() {
    let server = portal();
    let author = server.signed_in("author");
    let mut slowest = Duration::ZERO;
    for i in 0..5 {
        let word = format!("свежесть{i}");
        let started = Instant::now();
        let id = posted(
            &author,
            json!({"title": format!("Новость {i}"), "text": "текст"}),
            &[("приложение.txt", format!("в приложении {word}").into_bytes())],
        );
        loop {
            if ids(&search(&author, &word, &[])).contains(&id) {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(1), "{word}: not findable within 1 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        slowest = slowest.max(started.elapsed());
    }
    eprintln!("slowest post-to-findable: {slowest:?}");
    let (_, ready) = server.client().get_json("/readyz");
    assert_eq!(ready["checks"]["search"]["documents"], 5, "{ready}");
    assert_eq!(ready["checks"]["search"]["queued"], 0, "{ready}");
    // The same lag for monitoring (I617 §24), read from loopback like a local Prometheus.
    let metrics = server.client().get("/metrics");
    assert_eq!(metrics.status, 200);
    let value = |name: &str| -> f64 {
        let line = metrics.body.lines().find(|l| l.starts_with(&format!("{name} ")));
        line.and_then(|l| l.split(' ').nth(1)?.parse().ok()).unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(value("ipgo_search_index_documents"), 5.0, "{}", metrics.body);
    assert_eq!(value("ipgo_search_index_queue_length"), 0.0);
    assert_eq!(value("ipgo_search_index_lag_seconds"), 0.0);
    let last = value("ipgo_search_index_last_commit_lag_seconds");
    assert!(last > 0.0 && last < 1.0, "posting-to-commit of the last batch: {last} s");
}

#[test]
fn i385_s6_6_new_versions_access_changes_and_destruction_are_followed() {
    let server = portal();
    let author = server.signed_in("author");
    let fin = server.signed_in("fin");
    let id = posted(&author, json!({"title": "Положение", "text": "старыйтекст"}), &[]);
    wait_until_found(&author, "старыйтекст", &[id]);
    // A new version replaces the indexed text; the hit names the current version.
    let res = crate::common::documents::post_parts(
        &author,
        &format!("/api/v1/documents/{id}/versions"),
        &[crate::common::documents::meta(&json!({"title": "Положение", "text": "новыйтекст"}))],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    wait_until_found(&author, "новыйтекст", &[id]);
    assert!(ids(&search(&author, "старыйтекст", &[])).is_empty());
    assert_eq!(search(&author, "новыйтекст", &[])["hits"][0]["version"], 2);
    // Shared with everyone: another agency finds it; taken back: no longer.
    assert!(ids(&search(&fin, "новыйтекст", &[])).is_empty());
    let version = |access: Value| {
        let res = crate::common::documents::post_parts(
            &author,
            &format!("/api/v1/documents/{id}/versions"),
            &[crate::common::documents::meta(
                &json!({"title": "Положение", "text": "новыйтекст", "access": access}),
            )],
            &[],
        );
        assert_eq!(res.status, 201, "{}", res.body);
    };
    version(json!("all"));
    wait_until_found(&fin, "новыйтекст", &[id]);
    version(json!("agency"));
    wait_until_found(&fin, "новыйтекст", &[]);
    // Destroyed: gone from results at once.
    let (status, body) = author.post_json(
        &format!("/api/v1/documents/{id}/destroy"),
        &json!({"reason": "срок хранения истёк"}),
    );
    assert_eq!(status, 200, "{body}");
    assert!(ids(&search(&author, "новыйтекст", &[])).is_empty());
    assert!(ids(&search(&author, "положение", &[])).is_empty());
}

#[test]
fn ipgo_reindex_restores_an_index_deleted_from_disk() {
    let mut server = portal();
    let author = server.signed_in("author");
    let a = posted(
        &author,
        json!({"title": "Первый", "text": "восстановление"}),
        &[("a.txt", "вложение первое".as_bytes().to_vec())],
    );
    let b = posted(&author, json!({"title": "Второй", "text": "восстановление"}), &[]);
    wait_until_found(&author, "восстановление", &[a, b]);

    // While the server runs: the directory disappears, `ipgo reindex` (through the admin
    // socket) builds a new one and swaps it in.
    std::fs::remove_dir_all(server.data.join("index")).unwrap();
    let out = server.cli(&["reindex"], None).ok();
    assert!(out.stdout.contains("search index rebuilt: 2 documents"), "{}", out.stdout);
    assert!(server.data.join("index/meta.json").exists());
    assert_eq!(ids(&search(&author, "восстановление", &[])), BTreeSet::from([a, b]));
    assert_eq!(ids(&search(&author, "вложение", &[])), BTreeSet::from([a]), "attachments again");
    let c = posted(&author, json!({"title": "Третий", "text": "восстановление"}), &[]);
    wait_until_found(&author, "восстановление", &[a, b, c]);

    // With the server stopped, directly on the data directory.
    server.stop();
    std::fs::remove_dir_all(server.data.join("index")).unwrap();
    let out = server.cli(&["reindex"], None).ok();
    assert!(out.stdout.contains("search index rebuilt: 3 documents"), "{}", out.stdout);
    server.restart();
    let author = server.signed_in("author");
    assert_eq!(ids(&search(&author, "восстановление", &[])), BTreeSet::from([a, b, c]));
    // The operator's rebuild is in the access log.
    assert!(
        server
            .audit_entries()
            .iter()
            .any(|e| e["operation"] == "search.reindex" && e["outcome"] == "ok")
    );
}

// ---------------------------------------------------------------------------------------
// Attachments: real files in each format, hostile files

fn fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("search-fixtures");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = std::process::Command::new("python3")
        .arg(root.join("tests/fixtures/make_search_fixtures.py"))
        .arg(&dir)
        .arg(corpus_dir())
        .status()
        .expect("python3 not found: run tests/setup-search.sh");
    assert!(status.success(), "fixture script failed: run tests/setup-search.sh");
    dir
}

#[test]
fn i385_s6_6_attachments_in_every_format_are_searched_and_named() {
    let server = Server::builder().env("IPGO_SEARCH__WORKERS", "2").start();
    server.add_agency("MIN");
    server.add_user("author", "MIN", &["employee"]);
    let author = server.signed_in("author");
    let dir = fixtures();
    let mut expected: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for lang in ["kk", "ru"] {
        for name in ["docx", "doc", "rtf", "pptx", "ppt", "lo.pdf", "xlsx", "xls", "utf8.txt"] {
            let file = format!("{lang}.{name}");
            let bytes = std::fs::read(dir.join(&file)).unwrap();
            let id = posted(&author, json!({"title": format!("Файл {file}")}), &[(&file, bytes)]);
            expected.entry(lang.into()).or_default().insert(id);
        }
    }
    let zip = std::fs::read(dir.join("bundle.zip")).unwrap();
    let bundle = posted(&author, json!({"title": "Архив"}), &[("bundle.zip", zip)]);
    // Kazakh words in the Kazakh files (any inflection), Russian in the Russian ones.
    let kk = wait_for("the Kazakh files to be indexed", 90, || {
        let answer = search(&author, "мемлекеттік органдар", &[]);
        (ids(&answer).is_superset(&expected["kk"])).then_some(answer)
    });
    for hit in kk["hits"].as_array().unwrap() {
        let id = hit["document_id"].as_u64().unwrap();
        if expected["kk"].contains(&id) {
            let title = hit["title"].as_str().unwrap();
            assert_eq!(hit["file"]["name"].as_str(), title.strip_prefix("Файл "), "{hit}");
        }
    }
    let ru = wait_for("the Russian files to be indexed", 90, || {
        let answer = search(&author, "государственного органа", &[]);
        (ids(&answer).is_superset(&expected["ru"])).then_some(answer)
    });
    assert!(ids(&ru).is_disjoint(&expected["kk"]), "Russian words do not find Kazakh files");
    // Archive members are searched and named by their path.
    let answer = wait_for("the archive to be indexed", 60, || {
        let a = search(&author, "Инструкции", &[]);
        ids(&a).contains(&bundle).then_some(a)
    });
    let hit =
        answer["hits"].as_array().unwrap().iter().find(|h| h["document_id"] == bundle).unwrap();
    assert_eq!(hit["file"]["name"], "bundle.zip");
    assert!(hit["file"]["path"].as_str().unwrap().contains("ru."), "{hit}");
    assert!(
        hit["unreadable"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["path"] == "image.png" && u["reason"] == "unsupported"),
        "{hit}"
    );
}

fn zipped(name: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(bytes).unwrap();
    w.finish().unwrap().into_inner()
}

/// Every hostile fixture of the extraction tests, as an attachment and as the member of an
/// archive: the documents feature refuses some at the door; each one that gets in ends in a
/// clean extraction failure recorded on the hit, the document is found by its title and file
/// name, and the server carries on.
#[test]
fn hostile_attachments_end_in_clean_extraction_failures_and_stay_findable_by_metadata() {
    let mut server = Server::builder().env("IPGO_SEARCH__WORKERS", "2").start();
    server.add_agency("MIN");
    server.add_user("author", "MIN", &["employee"]);
    let author = server.signed_in("author");
    let dir = fixtures();
    let mut hostile: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("hostile."))
        .collect();
    hostile.sort();
    // (fixture, attached as, member path inside the attachment, marker, document)
    let mut accepted: Vec<(String, String, String, String, u64)> = Vec::new();
    let mut refused = Vec::new();
    for (i, name) in hostile.iter().enumerate() {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let zip_name = format!("{name}.zip");
        for (j, (file, body, member)) in [
            (name.clone(), bytes.clone(), String::new()),
            (zip_name.clone(), zipped(name, &bytes), name.clone()),
        ]
        .into_iter()
        .enumerate()
        {
            let marker = format!("метка{i}x{j}");
            let res =
                post(&author, &json!({"title": format!("Проверка {marker}")}), &[(&file, body)]);
            match res.status {
                201 => accepted.push((
                    name.clone(),
                    file,
                    member,
                    marker,
                    res.json()["id"].as_u64().unwrap(),
                )),
                // Refused at the door by the documents feature (issue 3): nothing to index.
                400..=499 => refused.push(file),
                other => panic!("{file}: {other} {}", res.body),
            }
        }
    }
    eprintln!("refused at upload: {refused:?}");
    let reached: BTreeSet<&str> = accepted.iter().map(|a| a.0.as_str()).collect();
    assert!(reached.len() >= 12, "hostile fixtures reaching extraction: {reached:?}");
    for (name, file, member, marker, id) in &accepted {
        let answer = wait_for(&format!("{file} to be indexed"), 120, || {
            let a = search(&author, marker, &[]);
            ids(&a).contains(id).then_some(a)
        });
        let hit = &answer["hits"][0];
        assert_eq!(hit["title"], format!("Проверка {marker}"), "{file}: found by its title");
        // The failure is recorded on the archive member with its reason — or on the whole
        // attachment when the member brought the extracting process down; a PDF page tree
        // pointing at itself is survived with no text at all.
        let reasons: Vec<(&str, &str)> = hit["unreadable"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (u["path"].as_str().unwrap_or(""), u["reason"].as_str().unwrap()))
            .collect();
        if !name.contains("cycle") {
            assert!(reasons.iter().any(|(p, _)| p == member || p.is_empty()), "{file}: {hit}");
        }
        assert!(ids(&search(&author, file, &[])).contains(id), "{file}: found by file name");
    }
    assert!(server.is_running(), "the server survived every hostile file");
    assert_eq!(server.client().probe("/healthz"), Some(200));
    let after = posted(&author, json!({"title": "После", "text": "обычныйдокумент"}), &[]);
    wait_until_found(&author, "обычныйдокумент", &[after]);
    let logs = server.stderr();
    assert!(logs.contains("no text extracted from an attachment"), "failures are logged");
}

// ---------------------------------------------------------------------------------------
// The contract and the page

#[test]
fn the_search_api_contract_filters_pages_and_errors() {
    let server = portal();
    let author = server.signed_in("author");
    let mut posted_ids = Vec::new();
    for i in 0..12 {
        let meta = if i % 3 == 0 {
            json!({"type": "regulation", "title": format!("Регламент {i}"), "text": "контрактслово",
                   "fields": {"registration_number": format!("{i}"), "registration_date": "2024-01-02"}})
        } else {
            json!({"title": format!("Документ {i}"), "text": "контрактслово"})
        };
        posted_ids.push(posted(&author, meta, &[]));
    }
    let all: Vec<u64> = posted_ids.clone();
    let answer = wait_for("all twelve", 30, || {
        let a = search(&author, "контрактслово", &[]);
        (a["total"] == 12).then_some(a)
    });
    // {total, hits:[{document_id, version, title, snippet, file}], facets}
    assert_eq!(answer["hits"].as_array().unwrap().len(), 10, "ten per page");
    let hit = &answer["hits"][0];
    for key in ["document_id", "version", "title", "snippet", "file"] {
        assert!(hit.get(key).is_some(), "{key} in {hit}");
    }
    assert!(hit["file"].is_null(), "the text matched, not a file");
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>контрактслово</mark>"));
    let types: BTreeMap<String, u64> = answer["facets"]["type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["value"].as_str().unwrap().to_owned(), f["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(types, BTreeMap::from([("generic".into(), 8), ("regulation".into(), 4)]));
    assert_eq!(answer["facets"]["agency"][0]["value"], "MIN");
    let second = search(&author, "контрактслово", &[("page", "2")]);
    assert_eq!(second["hits"].as_array().unwrap().len(), 2);
    let mut seen = ids(&answer);
    seen.extend(ids(&second));
    assert_eq!(seen, all.iter().copied().collect(), "two pages hold every hit once");
    let regs = search(&author, "контрактслово", &[("type", "regulation")]);
    assert_eq!(regs["total"], 4);
    assert_eq!(regs["facets"]["type"].as_array().unwrap().len(), 2, "other types stay choosable");
    // Newest first.
    let by_date = search(&author, "контрактслово", &[("sort", "date")]);
    assert_eq!(by_date["hits"][0]["document_id"], *all.last().unwrap());
    // Dates, agency, author.
    let today =
        jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Asia/Almaty").unwrap()).date();
    assert_eq!(search(&author, "контрактслово", &[("from", &today.to_string())])["total"], 12);
    let tomorrow = today.tomorrow().unwrap().to_string();
    assert_eq!(search(&author, "контрактслово", &[("from", &tomorrow)])["total"], 0);
    assert_eq!(
        search(&author, "контрактслово", &[("to", &today.yesterday().unwrap().to_string())])["total"],
        0
    );
    assert_eq!(search(&author, "контрактслово", &[("agency", "min")])["total"], 12);
    assert_eq!(search(&author, "контрактслово", &[("agency", "FIN")])["total"], 0);
    assert_eq!(search(&author, "контрактслово", &[("author", "author")])["total"], 12);
    assert_eq!(search(&author, "контрактслово", &[("author", "colleague")])["total"], 0);
    assert_eq!(search(&author, "контрактслово", &[("status", "unsigned")])["total"], 12);
    assert_eq!(search(&author, "контрактслово", &[("status", "signed")])["total"], 0);
    // Bad parameters: 400 with the field named and a translated message.
    for (extra, field) in [
        (("from", "02.01.2024"), "from"),
        (("status", "maybe"), "status"),
        (("sort", "size"), "sort"),
        (("page", "0"), "page"),
        (("type", "poem"), "type"),
    ] {
        let (status, body) = search_status(&author, "контрактслово", &[extra]);
        assert_eq!((status, body["field"].as_str()), (400, Some(field)), "{extra:?}: {body}");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
    let (status, body) = search_status(&author, &"слово ".repeat(100), &[]);
    assert_eq!((status, body["field"].as_str()), (400, Some("q")), "{body}");
    // Nothing asked, nothing found.
    assert_eq!(search(&author, "", &[])["total"], 0);
    assert_eq!(search(&author, "  \"\" * - ", &[])["total"], 0);
}

#[test]
fn the_search_box_is_on_every_page_and_results_are_translated() {
    let server = portal();
    let author = server.signed_in("author");
    let id = posted(
        &author,
        json!({"title": "Бұйрық", "text": "Мемлекеттік органдардың интранет-порталы"}),
        &[("қосымша.txt", "Порталдың <script>қосымшасы</script>".as_bytes().to_vec())],
    );
    wait_until_found(&author, "порталы", &[id]);
    for page in ["/", "/documents", &format!("/documents/{id}"), "/directory"] {
        let body = author.get(page).body;
        assert!(body.contains("action=\"/search\""), "{page} has the search box");
    }
    for lang in ["kk", "ru", "en"] {
        let (status, body) = author.patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
        let res =
            author.get("/search?q=%D0%BF%D0%BE%D1%80%D1%82%D0%B0%D0%BB%D1%8B%D0%BD%D1%8B%D2%A3");
        assert_eq!(res.status, 200);
        assert!(res.body.contains(&ftl(lang, "search-title")), "{lang}");
        assert!(res.body.contains(&ftl(lang, "search-found").replace("{ $count }", "1")), "{lang}");
        assert!(res.body.contains("<mark>"), "{lang}: highlights");
        assert!(res.body.contains(&format!("href=\"/documents/{id}\"")));
        assert!(!res.body.contains("<script>қосымшасы"), "snippets are escaped");
    }
    let res = author.get("/search?q=x&from=yesterday");
    assert_eq!(res.status, 200);
    assert!(res.body.contains("class=\"alert\""), "a bad filter is explained beside the form");
}

/// Issue 21 point 7: at 1024×768 the search form does not push the results below the fold —
/// the filters beyond the words are folded (open once one is set); the first result's top
/// is within the 768 px window, in kk and ru. Screenshots `search-1024-*`.
#[test]
fn the_first_result_is_above_the_fold_at_1024x768() {
    let server = portal();
    let author = server.signed_in("author");
    let id = posted(
        &author,
        json!({"title": "Бұйрық", "text": "Мемлекеттік органдардың интранет-порталы"}),
        &[],
    );
    wait_until_found(&author, "порталы", &[id]);
    let base = server.base_url();
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for lang in ["kk", "ru"] {
        let (status, body) = author.patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
        let browser = crate::forms::signed_in_browser(&base, "author", false);
        browser.goto(&format!("{base}/search?q=%D0%BF%D0%BE%D1%80%D1%82%D0%B0%D0%BB%D1%8B"));
        let top = browser.script(&format!(
            "var a = document.querySelector('a[href=\"/documents/{id}\"]');\
             return a ? a.getBoundingClientRect().top : -1;"
        ));
        let top = top.as_f64().unwrap();
        assert!(top >= 0.0, "{lang}: the result is on the page");
        assert!(top < 768.0, "{lang}: the first result's top at {top} px is below the fold");
        let open = browser.script("return document.querySelector('details.more-filters').open;");
        assert_eq!(open, Value::Bool(false), "{lang}: the filters are folded");
        browser.screenshot(&shots, &format!("search-1024-{lang}"));
        browser.goto(&format!("{base}/search?q=x&author=author"));
        let open = browser.script("return document.querySelector('details.more-filters').open;");
        assert_eq!(open, Value::Bool(true), "{lang}: a filter set shows them open");
    }
}
