//! Bounded request handling and every request in the access log (R365 §7–§8; A.11, I385
//! §61): requests the HTTP server refuses before the portal sees them are logged, a flood
//! of them only up to a rate with the rest counted; a body that trickles is cut off at the
//! configured pace; each 413 names the limit that was hit; files per document and parts per
//! request are bounded; one document with many attachments does not hold up the index.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::client::Resp;
use crate::common::documents::{file, meta, post_parts};
use crate::common::{Server, ftl, wait_for};

/// Sends raw bytes on a new connection, waits `pause`, sends `more`, and returns what the
/// server answered before closing.
fn raw(server: &Server, bytes: &[u8], pause: Duration, more: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream.write_all(bytes).unwrap();
    std::thread::sleep(pause);
    let _ = stream.write_all(more);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn refused_entries(server: &Server) -> Vec<Value> {
    server
        .audit_entries()
        .into_iter()
        .filter(|e| e["operation"].as_str().is_some_and(|o| o.starts_with("http.")))
        .collect()
}

/// The message `key` of `lang` with its `$limit` filled in.
fn limit_text(lang: &str, key: &str, limit: u64) -> String {
    ftl(lang, key).replace("{ $limit }", &limit.to_string())
}

#[test]
fn r365_s7_requests_refused_before_the_portal_are_logged_and_a_flood_is_counted() {
    let server = Server::builder()
        .controllable_clock()
        .env("IPGO_SERVER__REQUEST_HEAD_TIMEOUT_SECONDS", "1")
        .env("IPGO_AUDIT__REFUSED_REQUESTS_PER_MINUTE", "10")
        .start();
    let none = Duration::ZERO;
    // 400: not HTTP at all.
    let answer = raw(&server, b"HELLO THERE\r\n\r\n", none, b"");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // 431: more header fields than the server reads.
    let mut many = b"GET /too/many?x=1 HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..120 {
        many.extend_from_slice(format!("X-Field-{i}: {i}\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let answer = raw(&server, &many, none, b"");
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    // 408: the request line and headers did not arrive in time.
    let answer = raw(&server, b"POST /slow/head HTTP/1.1\r\nHost: a\r\nX-A", none, b"");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A request after a good one on the same connection, malformed: only it is refused.
    let answer = raw(
        &server,
        b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /bad path HTTP/9\r\n\r\n",
        none,
        b"",
    );
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("HTTP/1.1 400"), "{answer}");

    let entries = refused_entries(&server);
    let expected = [
        ("HELLO", "THERE", 400),
        ("GET", "/too/many?x=1", 431),
        ("POST", "/slow/head", 408),
        ("GET", "/bad", 400),
    ];
    assert_eq!(entries.len(), expected.len(), "{entries:#?}");
    for ((method, resource, status), e) in expected.iter().zip(&entries) {
        assert_eq!(
            (e["method"].as_str(), e["resource"].as_str(), e["status"].as_u64()),
            (Some(*method), Some(*resource), Some(*status as u64)),
            "{e}"
        );
        assert_eq!((e["ip"].as_str(), e["channel"].as_str()), (Some("127.0.0.1"), Some("http")));
        assert_eq!(
            (e["operation"].as_str(), e["outcome"].as_str()),
            (Some("http.refused"), Some("invalid"))
        );
        assert!(e["request_id"].as_str().is_some_and(|r| r.len() == 16), "{e}");
    }
    // The good request on that connection was logged once, by the portal.
    let good = answer
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("the portal's answer names its entry");
    let all = server.audit_entries();
    assert_eq!(all.iter().filter(|e| e["request_id"] == good).count(), 1);

    // A flood: the rest of this minute's allowance (10) gets entries, the others a count.
    for _ in 0..30 {
        let answer = raw(&server, b"\x16\x03\x01 not http\r\n\r\n", none, b"");
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
    let flood = refused_entries(&server).len() - entries.len();
    assert_eq!(flood, 10 - expected.len(), "entries within the allowance");
    server.advance_clock("1m");
    let summary = wait_for("the count of suppressed entries", 10, || {
        server.audit_entries().into_iter().find(|e| e["operation"] == "http.refused.suppressed")
    });
    let suppressed = 30 - flood as u64;
    assert_eq!(summary["detail"]["suppressed"], suppressed, "{summary}");
    assert_eq!(summary["detail"]["most"][0], json!(["127.0.0.1", suppressed]), "{summary}");
    assert_eq!(summary["detail"]["per_minute"], 10);
    // A new minute, a new allowance.
    raw(&server, b"AGAIN\r\n\r\n", none, b"");
    let last = refused_entries(&server).pop().unwrap();
    assert_eq!((last["method"].as_str(), last["status"].as_u64()), (Some("AGAIN"), Some(400)));
    assert_eq!(server.verify().code, 0, "the log's chain holds");
}

#[test]
fn a11_slow_bodies_are_cut_off_413_names_its_limit_and_big_documents_wait_their_turn() {
    let server = Server::builder()
        .env("IPGO_SERVER__BODY_TIMEOUT_SECONDS", "1")
        .env("IPGO_SERVER__BODY_MIN_BYTES_PER_SECOND", "1000")
        .env("IPGO_SERVER__MAX_PARTS_PER_REQUEST", "300")
        .env("IPGO_DOCUMENTS__MAX_FILES_PER_DOCUMENT", "150")
        .env("IPGO_DOCUMENTS__MAX_DOCUMENT_MB", "2")
        // Turns short beside the extraction of 150 files (each in its own process), so the
        // order shows on a fast machine too.
        .env("IPGO_SEARCH__EXTRACTION_TURN_MS", "100")
        .start();
    server.add_agency("MIN");
    server.add_user("author", "MIN", &["employee"]);
    let author = server.signed_in("author");
    let lang = "ru";

    // A body that trickles (one byte every 0.3 s of a declared 100 kB) is cut off.
    let cookie = author.cookie_header_value().unwrap();
    let csrf = author.csrf().unwrap();
    let part = "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n";
    let head = format!(
        "POST /api/v1/documents HTTP/1.1\r\nHost: a\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 100000\r\n\r\n{part}"
    );
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    while started.elapsed() < Duration::from_secs(15) {
        if stream.write_all(b"a").is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    let cut_after = started.elapsed();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(cut_after < Duration::from_secs(4), "cut off after {cut_after:?}");
    assert!(
        answer.contains("request_timeout") && answer.contains(&ftl(lang, "body-too-slow")),
        "{answer}"
    );
    let slow = server
        .audit_entries()
        .into_iter()
        .find(|e| e["status"] == 408)
        .expect("the cut-off request is logged");
    assert_eq!(
        (slow["actor"].as_str(), slow["operation"].as_str()),
        (Some("author"), Some("document.create"))
    );
    // A body that arrives at a normal pace is not cut, however long it is.
    let big = vec![b'x'; 1536 * 1024];
    let res = post_parts(
        &author,
        "/api/v1/documents",
        &[meta(&json!({"title": "Большой"})), file("big.txt", big)],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);

    // Each 413 names the limit that was hit.
    let (status, body) = author.patch_json("/api/v1/me", &json!({"phone": "1".repeat(300 * 1024)}));
    assert_eq!((status, body["code"].as_str()), (413, Some("too_large")), "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(&limit_text(lang, "limit-json-body", 256)), "{message}");
    assert!(!message.contains("60"), "not the document's limit: {message}");
    let res = post_parts(
        &author,
        "/api/v1/documents",
        &[meta(&json!({"title": "Большой"})), file("huge.txt", vec![b'y'; 3 << 20])],
        &[],
    );
    refused_naming(&res, lang, "limit-document-size", 2);
    // More files than a document may hold, more parts than a request may have.
    let names: Vec<String> = (0..=150).map(|i| format!("f{i}.txt")).collect();
    let mut parts = vec![meta(&json!({"title": "Слишком много файлов"}))];
    parts.extend(names.iter().map(|n| file(n, b"x".to_vec())));
    let res = post_parts(&author, "/api/v1/documents", &parts, &[]);
    refused_naming(&res, lang, "limit-files-per-document", 150);
    let mut parts = vec![meta(&json!({"title": "Слишком много частей"}))];
    let fields: Vec<String> = (0..300).map(|i| format!("field{i}")).collect();
    parts.extend(fields.iter().map(|n| crate::common::documents::Part {
        name: n,
        file_name: None,
        content_type: "text/plain",
        bytes: b"v".to_vec(),
    }));
    let res = post_parts(&author, "/api/v1/documents", &parts, &[]);
    refused_naming(&res, lang, "limit-parts-per-request", 300);
    let listed = author.get_json("/api/v1/documents").1;
    assert_eq!(listed["documents"].as_array().unwrap().len(), 1, "only the good one: {listed}");
    // Each refusal for size is one entry of the access log, under the person who sent it.
    let refused: Vec<Value> =
        server.audit_entries().into_iter().filter(|e| e["status"] == 413).collect();
    assert_eq!(refused.len(), 4, "{refused:#?}");
    assert!(refused.iter().all(|e| e["actor"] == "author"), "{refused:#?}");
    let creating = refused.iter().filter(|e| e["operation"] == "document.create").count();
    assert_eq!(creating, 3, "{refused:#?}");

    // Fairness: a document with as many files as allowed is indexed in turns, so one
    // posted after it is found long before it is complete.
    let mut parts = vec![meta(&json!({"title": "Папка приложений"}))];
    // The last file alone holds the word "финишная"; files are extracted in order.
    let texts: Vec<(String, Vec<u8>)> = (0..150)
        .map(|i| {
            let word = if i == 149 { "финишная" } else { "зерно" };
            (format!("p{i}.txt"), format!("приложение {word}").into_bytes())
        })
        .collect();
    parts.extend(texts.iter().map(|(n, t)| file(n, t.clone())));
    let res = post_parts(&author, "/api/v1/documents", &parts, &[]);
    assert_eq!(res.status, 201, "{}", res.body);
    let many = res.json()["id"].as_u64().unwrap();
    let all_files: Vec<Value> = res.json()["files"].as_array().unwrap().clone();
    let started = Instant::now();
    let res = post_parts(
        &author,
        "/api/v1/documents",
        &[meta(&json!({"title": "Срочно", "text": "быстрота"}))],
        &[],
    );
    let quick = res.json()["id"].as_u64().unwrap();
    wait_for("the quick document to be found", 30, || {
        found(&author, "быстрота").contains(&quick).then_some(())
    });
    let waited = started.elapsed();
    assert!(!found(&author, "финишная").contains(&many), "the big one is not done yet");
    assert!(found(&author, "зерно").contains(&many), "its first files are searchable already");
    assert!(waited < Duration::from_secs(8), "the quick one waited {waited:?}");
    assert!(
        found(&author, "папка").contains(&many),
        "the big one is findable by its title already"
    );
    // A new version counts the files it keeps with those it adds.
    let keep: Vec<u64> = all_files.iter().map(|f| f["id"].as_u64().unwrap()).collect();
    assert_eq!(keep.len(), 150);
    let res = post_parts(
        &author,
        &format!("/api/v1/documents/{many}/versions"),
        &[
            meta(&json!({"title": "Папка приложений", "keep_files": keep, "base_version": 1})),
            file("one-more.txt", b"x".to_vec()),
        ],
        &[],
    );
    refused_naming(&res, lang, "limit-files-per-document", 150);
}

/// `res` is a 413 whose message names the limit `key` of value `limit`.
fn refused_naming(res: &Resp, lang: &str, key: &str, limit: u64) {
    assert_eq!(res.status, 413, "{}", res.body);
    let message = res.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains(&limit_text(lang, key, limit)), "{}", res.body);
}

fn found(c: &Client, q: &str) -> Vec<u64> {
    let (status, body) = c.get_json(&format!("/api/v1/search?q={}", urlencode(q)));
    assert_eq!(status, 200, "{body}");
    body["hits"].as_array().unwrap().iter().map(|h| h["document_id"].as_u64().unwrap()).collect()
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned()
}
