//! Documents (issue 3; I385 §6.2–§6.5, §6.7, §8–§10): posting, byte-exact round trips of
//! every allowed format made by real tools, versions and comparison, access across agencies,
//! comments, the HTML pages.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::json;

use crate::common::Server;
use crate::common::documents::{self, download, post, sha256};

/// Real files of every allowed format, made once per test run by
/// `tests/fixtures/make_formats.py` (python-docx, openpyxl, python-pptx, Pillow, LibreOffice).
fn fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("format-fixtures");
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/make_formats.py");
        let corpus = std::env::var_os("IPGO_CORPUS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
        let out = std::process::Command::new("python3")
            .arg(&script)
            .arg(&dir)
            .arg(&corpus)
            .output()
            .expect("run make_formats.py");
        assert!(
            out.status.success(),
            "make_formats.py failed (run tests/setup.sh): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

fn portal() -> Server {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_agency("OTHER");
    server.add_user("author", "MIN", &["employee"]);
    server.add_user("colleague", "MIN", &["employee"]);
    server.add_user("minhead", "MIN", &["employee", "head"]);
    server.add_user("stranger", "OTHER", &["employee"]);
    server.add_user("admin", "OTHER", &["system_admin"]);
    server
}

/// A file of several hand-offs to the blob writer (256 KiB, `receive.rs`) and several
/// writeback steps (512 KiB, `blobs/writer.rs`), not a multiple of either, arrives and comes
/// back byte for byte.
#[test]
fn a_file_of_many_hand_offs_round_trips_byte_for_byte() {
    let server = portal();
    let author = server.signed_in("author");
    let mut text = String::new();
    let mut line = 0u32;
    while text.len() < 1_300_001 {
        line += 1;
        text.push_str(&format!("{line}. Мемлекеттік органдардың интранет-порталы, жол {line}.\n"));
    }
    let bytes = text.into_bytes();
    assert_ne!(bytes.len() % (256 * 1024), 0);
    let res = post(&author, &json!({"title": "Үлкен мәтін"}), &[("үлкен.txt", bytes.clone())]);
    assert_eq!(res.status, 201, "{}", res.body);
    let posted = res.json();
    let file = &posted["files"][0];
    assert_eq!(file["sha256"], sha256(&bytes));
    assert_eq!(file["size"], bytes.len());
    let path = format!("/api/v1/documents/{}/versions/1/files/{}", posted["id"], file["id"]);
    let (status, _, body) = download(&author, &path);
    assert_eq!(status, 200);
    assert_eq!(body.len(), bytes.len());
    assert!(body == bytes, "the exact bytes come back");
}

#[test]
fn every_allowed_format_round_trips_byte_for_byte() {
    let server = portal();
    let author = server.signed_in("author");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files.push((
        "архив.rar".into(),
        ipgo::formats::rar::fixture::rar5(&[("құжат.txt", "мәтін".as_bytes())]),
    ));
    let expected_formats = [
        "doc", "docx", "pdf", "rtf", "xls", "xlsx", "ppt", "pptx", "zip", "txt", "tiff", "txt",
        "jpeg", "rar",
    ];
    let mut formats = Vec::new();
    for (name, bytes) in &files {
        let res = post(
            &author,
            &json!({"title": format!("Формат {name}")}),
            &[(name.as_str(), bytes.clone())],
        );
        assert_eq!(res.status, 201, "{name}: {}", res.body);
        let posted = res.json();
        let file = &posted["files"][0];
        formats.push(file["format"].as_str().unwrap().to_owned());
        assert_eq!(file["name"], name.as_str(), "the Cyrillic name is kept");
        assert_eq!(file["sha256"], sha256(bytes));
        assert_eq!(file["size"], bytes.len());
        let path = format!("/api/v1/documents/{}/versions/1/files/{}", posted["id"], file["id"]);
        let (status, headers, body) = download(&author, &path);
        assert_eq!(status, 200);
        assert_eq!(sha256(&body), sha256(bytes), "{name}: the exact bytes come back");
        let header = |h: &str| {
            headers.iter().find(|(k, _)| k == h).map(|(_, v)| v.clone()).unwrap_or_default()
        };
        assert!(header("content-disposition").starts_with("attachment;"), "{name}");
        let disposition = header("content-disposition");
        let encoded = disposition
            .split("filename*=UTF-8''")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no filename* in {disposition}"));
        let decoded =
            percent_encoding::percent_decode_str(encoded.split(';').next().unwrap().trim())
                .decode_utf8()
                .unwrap();
        assert_eq!(decoded, name.as_str(), "{name}: RFC 6266 filename* keeps the name");
        assert_eq!(header("x-content-type-options"), "nosniff");
    }
    let mut sorted_expected: Vec<&str> = expected_formats.to_vec();
    let mut found: Vec<&str> = formats.iter().map(String::as_str).collect();
    sorted_expected.sort();
    found.sort();
    assert_eq!(found, sorted_expected, "each fixture was recognised by its content");
    assert_eq!(server.cli(&["verify"], None).ok().code, 0);
}

#[test]
fn archives_are_listed_without_unpacking() {
    let server = portal();
    let author = server.signed_in("author");
    let zip = std::fs::read(fixtures().join("архив.zip")).unwrap();
    let res = post(&author, &json!({"title": "Архив"}), &[("архив.zip", zip)]);
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_u64().unwrap();
    let doc = author.get_json(&format!("/api/v1/documents/{id}")).1;
    let entries = doc["versions"][0]["files"][0]["entries"].as_array().unwrap().clone();
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["мәтін.txt", "папка/текст.txt"]);
    let page = author.get(&format!("/documents/{id}"));
    assert!(page.body.contains("папка/текст.txt"), "the document page lists the archive");
    assert!(
        !server.data.join("blobs").read_dir().unwrap().any(|e| e.unwrap().file_name() == "папка"),
        "nothing unpacked to disk"
    );
}

#[test]
fn versions_keep_their_files_and_can_be_compared() {
    let server = portal();
    let author = server.signed_in("author");
    let res = post(
        &author,
        &json!({"title": "Жоба", "text": "бірінші жол\nекінші жол\n"}),
        &[("a.txt", b"alpha\n".to_vec())],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_u64().unwrap();
    let kept = res.json()["files"][0]["id"].as_u64().unwrap();
    let res = documents::post_parts(
        &author,
        &format!("/api/v1/documents/{id}/versions"),
        &[
            documents::meta(
                &json!({"title": "Жоба", "text": "бірінші жол\nөзгерген жол\n", "keep_files": [kept], "base_version": 1, "note": "түзету"}),
            ),
            documents::file("b.txt", b"beta\n".to_vec()),
        ],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["version"], 2);
    let doc = author.get_json(&format!("/api/v1/documents/{id}")).1;
    assert_eq!(doc["current_version"], 2);
    assert_eq!(
        doc["versions"][0]["text"], "бірінші жол\nекінші жол\n",
        "a posted version never changes"
    );
    let names: Vec<&str> = doc["versions"][1]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.txt", "b.txt"]);
    let (_, diff) = author.get_json(&format!("/api/v1/documents/{id}/diff?from=1&to=2"));
    let lines = diff["lines"].as_array().unwrap();
    assert!(lines.iter().any(|l| l["kind"] == "removed" && l["text"] == "екінші жол"));
    assert!(lines.iter().any(|l| l["kind"] == "added" && l["text"] == "өзгерген жол"));
    // Two people editing from the same base: the second is told, nothing is lost.
    let stale = documents::post_parts(
        &author,
        &format!("/api/v1/documents/{id}/versions"),
        &[documents::meta(&json!({"title": "Жоба", "text": "x", "base_version": 1}))],
        &[],
    );
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["code"], "conflict");
    let page = author.get(&format!("/documents/{id}/diff?from=1&to=2"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("өзгерген жол"));
}

#[test]
fn access_rules_decide_who_reads_and_administrators_read_nothing() {
    let server = portal();
    let author = server.signed_in("author");
    let own = post(
        &author,
        &json!({"title": "Ішкі", "text": "агенттік ішінде"}),
        &[("a.txt", b"x".to_vec())],
    )
    .json();
    let shared = post(&author, &json!({"title": "Барлығына", "access": "all"}), &[]).json();
    let named =
        post(&author, &json!({"title": "Атаулы", "access": {"users": ["stranger"]}}), &[]).json();
    let id = |v: &serde_json::Value| v["id"].as_u64().unwrap();
    let colleague = server.signed_in("colleague");
    let stranger = server.signed_in("stranger");
    let admin = server.signed_in("admin");
    assert_eq!(colleague.get_json(&format!("/api/v1/documents/{}", id(&own))).0, 200);
    // A.11: a document one may not read is "not found", like an id that does not exist.
    assert_eq!(stranger.get_json(&format!("/api/v1/documents/{}", id(&own))).0, 404);
    let (status, _, _) = download(
        &stranger,
        &format!("/api/v1/documents/{}/versions/1/files/{}", id(&own), own["files"][0]["id"]),
    );
    assert_eq!(status, 404, "files follow the document's rule");
    assert_eq!(stranger.get_json(&format!("/api/v1/documents/{}", id(&shared))).0, 200);
    assert_eq!(stranger.get_json(&format!("/api/v1/documents/{}", id(&named))).0, 200);
    assert_eq!(colleague.get_json(&format!("/api/v1/documents/{}", id(&named))).0, 404);
    assert_eq!(
        admin.get_json(&format!("/api/v1/documents/{}", id(&shared))).0,
        404,
        "separation of duties"
    );
    let listed = stranger.get_json("/api/v1/documents").1;
    let ids: Vec<u64> =
        listed["documents"].as_array().unwrap().iter().map(|d| d["id"].as_u64().unwrap()).collect();
    assert!(ids.contains(&id(&shared)) && ids.contains(&id(&named)) && !ids.contains(&id(&own)));
    // Denials are logged with the operation, as denials, with the status the person saw.
    let entries = server.audit_entries();
    assert!(entries.iter().any(|e| e["actor"] == "stranger"
        && e["operation"] == "document.read"
        && e["outcome"] == "denied"
        && e["status"] == 404));
    // Only the author and the owning agency's head may destroy; a colleague who reads the
    // document knows it exists and is told "forbidden".
    let (status, _) = colleague.post_json(
        &format!("/api/v1/documents/{}/destroy", id(&own)),
        &json!({"reason": "не нужен"}),
    );
    assert_eq!(status, 403);
    let head = server.signed_in("minhead");
    let (status, body) = head.post_json(
        &format!("/api/v1/documents/{}/destroy", id(&own)),
        &json!({"reason": "не нужен больше"}),
    );
    assert_eq!(status, 200, "{body}");
}

/// A.11 (existence not revealed): every route on a document answers a person who may not
/// read it exactly as it answers for an id that does not exist — status and body, in the
/// API and in the pages — and the access log still records the refusal as a denial. A
/// destroyed document is "gone" only for its own agency.
#[test]
fn a11_unreadable_documents_answer_exactly_like_missing_ones() {
    let server = portal();
    let author = server.signed_in("author");
    let doc = post(
        &author,
        &json!({"title": "Ішкі хат", "text": "құпия емес, бірақ ішкі"}),
        &[("a.txt", b"x".to_vec())],
    )
    .json();
    let hidden = doc["id"].as_u64().unwrap();
    let file = doc["files"][0]["id"].as_u64().unwrap();
    let missing = hidden + 100_000;
    let stranger = server.signed_in("stranger");
    let admin = server.signed_in("admin");
    let routes: Vec<(&str, String)> = vec![
        ("GET", "/api/v1/documents/{}".into()),
        ("GET", format!("/api/v1/documents/{{}}/versions/1/files/{file}")),
        ("GET", "/api/v1/documents/{}/versions/1/manifest".into()),
        ("GET", "/api/v1/documents/{}/versions/1/signatures".into()),
        ("GET", "/api/v1/documents/{}/versions/1/evidence".into()),
        ("GET", "/api/v1/documents/{}/diff?from=1&to=1".into()),
        ("POST", "/api/v1/documents/{}/comments".into()),
        ("POST", "/api/v1/documents/{}/destroy".into()),
        ("POST", "/api/v1/documents/{}/versions".into()),
        ("GET", "/documents/{}".into()),
        ("GET", "/documents/{}/edit".into()),
        ("GET", "/documents/{}/destroy".into()),
        ("GET", "/documents/{}/diff?from=1&to=1".into()),
    ];
    // Bodies are compared with the id in links (the language switch) written as `ID`.
    let ask = |who: &crate::common::client::Client, method: &str, pattern: &str, id: u64| {
        let path = pattern.replace("{}", &id.to_string());
        let path = path.as_str();
        let res = match (method, path.ends_with("/versions")) {
            ("GET", _) => who.get(path),
            (_, true) => documents::post_parts(
                who,
                path,
                &[documents::meta(&json!({"title": "Қосымша нұсқа", "text": "x"}))],
                &[],
            ),
            _ => {
                let body = json!({"text": "пікір", "reason": "қажет емес"});
                let res = who.post_json(path, &body);
                crate::common::Resp { status: res.0, headers: vec![], body: res.1.to_string() }
            }
        };
        (res.status, res.body.replace(&format!("documents/{id}"), "documents/ID"))
    };
    for who in [&stranger, &admin] {
        for (method, pattern) in &routes {
            let unreadable = ask(who, method, pattern, hidden);
            let absent = ask(who, method, pattern, missing);
            assert_eq!(unreadable.0, 404, "{method} {pattern}: {}", unreadable.1);
            assert_eq!(unreadable, absent, "{method} {pattern}");
        }
    }
    // The refusals are in the access log as denials, the misses as failures.
    let entries = server.audit_entries();
    for (method, pattern) in &routes {
        let path = pattern.replace("{}", &hidden.to_string());
        let resource = path.split('?').next().unwrap();
        let refused = crate::common::entries_for(&entries, method, resource);
        assert_eq!(refused.len(), 2, "{method} {resource}: {refused:#?}");
        for e in refused {
            assert_eq!((e["outcome"].as_str(), e["status"].as_u64()), (Some("denied"), Some(404)));
            // A document's signatures are named by the signatures feature (route table test).
            let op = e["operation"].as_str().unwrap();
            let area = if resource.ends_with("/signatures") { "signature." } else { "document." };
            assert!(op.starts_with(area), "{e}");
        }
        let path = pattern.replace("{}", &missing.to_string());
        for e in crate::common::entries_for(&entries, method, path.split('?').next().unwrap()) {
            assert_eq!(e["outcome"], "failed", "{e}");
        }
    }
    // Destroyed: "gone" for its agency, "not found" for everyone else.
    let head = server.signed_in("minhead");
    let (status, body) = head.post_json(
        &format!("/api/v1/documents/{hidden}/destroy"),
        &json!({"reason": "срок хранения истёк"}),
    );
    assert_eq!(status, 200, "{body}");
    let colleague = server.signed_in("colleague");
    assert_eq!(colleague.get_json(&format!("/api/v1/documents/{hidden}")).0, 410);
    assert_eq!(
        stranger.get_json(&format!("/api/v1/documents/{hidden}")),
        stranger.get_json(&format!("/api/v1/documents/{missing}"))
    );
    let destroy_again = |id: u64| {
        stranger.post_json(
            &format!("/api/v1/documents/{id}/destroy"),
            &json!({"reason": "ещё раз удалить"}),
        )
    };
    assert_eq!(destroy_again(hidden), destroy_again(missing));
    assert_eq!(destroy_again(hidden).0, 404);
}

#[test]
fn comments_types_and_pages() {
    let server = portal();
    let author = server.signed_in("author");
    let types = author.get_json("/api/v1/document-types").1;
    let codes: Vec<&str> =
        types.as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"generic") && codes.contains(&"announcement"));
    // A type's required fields are checked (I385 §6.2).
    let res = post(&author, &json!({"type": "regulation", "title": "Бұйрық"}), &[]);
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["field"], "registration_number");
    let res = post(
        &author,
        &json!({"type": "regulation", "title": "Бұйрық", "fields": {"registration_number": "7829", "registration_date": "2012-08-06"}}),
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let ann = post(
        &author,
        &json!({"type": "announcement", "title": "Жиналыс", "text": "Ертең сағат 10-да", "access": "all"}),
        &[],
    );
    assert_eq!(ann.status, 201, "{}", ann.body);
    let id = ann.json()["id"].as_u64().unwrap();
    let (status, _) = author
        .post_json(&format!("/api/v1/documents/{id}/comments"), &json!({"text": "Келісемін"}));
    assert_eq!(status, 201);
    let doc = author.get_json(&format!("/api/v1/documents/{id}")).1;
    assert_eq!(doc["comments"][0]["text"], "Келісемін");
    // The start page shows the announcement to another agency's reader.
    let stranger = server.signed_in("stranger");
    let home = stranger.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Жиналыс"), "announcements feed on the dashboard");
    for path in [
        "/documents",
        "/documents/new",
        &format!("/documents/{id}"),
        &format!("/documents/{id}/edit"),
    ] {
        let page = author.get(path);
        assert_eq!(page.status, 200, "{path}");
    }
}

#[test]
fn the_html_form_posts_without_javascript() {
    let server = portal();
    let author = server.signed_in("author");
    let csrf = author.csrf().unwrap();
    let parts = [
        // The token is the form's first field, never in the address.
        documents::csrf(&csrf),
        documents::Part {
            name: "type",
            file_name: None,
            content_type: "text/plain",
            bytes: b"generic".to_vec(),
        },
        documents::Part {
            name: "title",
            file_name: None,
            content_type: "text/plain",
            bytes: "Қызметтік жазба".as_bytes().to_vec(),
        },
        documents::Part {
            name: "text",
            file_name: None,
            content_type: "text/plain",
            bytes: "Мәтін\r\nекінші жол".as_bytes().to_vec(),
        },
        documents::Part {
            name: "access",
            file_name: None,
            content_type: "text/plain",
            bytes: b"agency".to_vec(),
        },
        documents::file("жазба.txt", "сәлем".as_bytes().to_vec()),
        // An empty file input sends an empty part without a name.
        documents::Part {
            name: "file",
            file_name: Some(""),
            content_type: "application/octet-stream",
            bytes: Vec::new(),
        },
    ];
    let (content_type, body) = documents::multipart(&parts);
    let res = author.send("POST", "/documents", &[], Some((&content_type, body)));
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").unwrap().to_owned();
    let page = author.get(&location);
    assert!(page.body.contains("Қызметтік жазба") && page.body.contains("жазба.txt"));
    // Without the token the form is refused.
    let (content_type, body) = documents::multipart(&parts[1..]);
    assert_eq!(author.send("POST", "/documents", &[], Some((&content_type, body))).status, 403);
}

/// The list's pager reads whole numbers: `limit` (clamped to 1–500) and `before` (an id).
/// Anything else is refused with the field named, not read as "no value" (issue 20 point 1:
/// `?limit=AAA` answered the first page as if it were absent).
#[test]
fn the_list_pager_refuses_what_is_not_a_number() {
    let server = portal();
    let author = server.signed_in("author");
    for title in ["Бірінші", "Екінші"] {
        assert_eq!(post(&author, &json!({"type": "generic", "title": title}), &[]).status, 201);
    }
    let (status, one) = author.get_json("/api/v1/documents?limit=1");
    assert_eq!((status, one["documents"].as_array().map(Vec::len)), (200, Some(1)), "{one}");
    let newest = one["documents"][0]["id"].as_u64().unwrap();
    let (_, older) = author.get_json(&format!("/api/v1/documents?before={newest}&limit="));
    assert_eq!(older["documents"].as_array().map(Vec::len), Some(1), "empty limit: the default");
    for (query, field) in [("limit=AAA", "limit"), ("limit=-1", "limit"), ("before=x1", "before")] {
        let (status, e) = author.get_json(&format!("/api/v1/documents?{query}"));
        assert_eq!((status, e["field"].as_str()), (400, Some(field)), "{query}: {e}");
    }
}
