//! Hostile and broken uploads (issue 3; I385 §9–§10): each gets a clear, translated error,
//! stores nothing at all, and the server keeps serving.

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::json;

use crate::common::documents::post_parts;
use crate::common::{Server, ftl};

fn zip(entries: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method).large_file(true);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn docx_with(document_xml: &str) -> Vec<u8> {
    zip(
        &[
            ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.to_vec()),
            ("word/document.xml", document_xml.as_bytes().to_vec()),
        ],
        zip::CompressionMethod::Deflated,
    )
}

/// Everything under `blobs/`, temp files included.
fn stored(server: &Server) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![server.data.join("blobs")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { stack.push(p) } else { files.push(p.display().to_string()) }
        }
    }
    files
}

#[test]
fn hostile_files_are_refused_with_the_reason_and_store_nothing() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("author", "MIN", &["employee"]);
    let author = server.signed_in("author");
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    pdf.extend(std::iter::repeat_n(b' ', 4000));
    pdf.extend_from_slice(b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    let many: Vec<(String, Vec<u8>)> =
        (0..20_000).map(|i| (format!("f{i}.txt"), vec![b'x'])).collect();
    let many_refs: Vec<(&str, Vec<u8>)> =
        many.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    let billion_laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><w:document>&lol2;</w:document>"#;
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend(std::fs::read("/bin/true").unwrap());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "отчёт.pdf",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec(),
            "content_mismatch",
        ),
        ("plan.docx", elf, "content_mismatch"),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), "format_not_allowed"),
        (
            "bomb.zip",
            zip(&[("zeros.bin", vec![0u8; 50 * 1024 * 1024])], zip::CompressionMethod::Deflated),
            "archive_rejected",
        ),
        (
            "slip.zip",
            zip(
                &[("../../../../etc/cron.d/evil", b"* * * * * root sh".to_vec())],
                zip::CompressionMethod::Deflated,
            ),
            "archive_rejected",
        ),
        ("many.zip", zip(&many_refs, zip::CompressionMethod::Stored), "archive_rejected"),
        ("laughs.docx", docx_with(billion_laughs), "archive_rejected"),
        ("empty.txt", Vec::new(), "content_mismatch"),
        (
            "cut.zip",
            zip(&[("a.txt", vec![b'a'; 5000])], zip::CompressionMethod::Deflated)[..100].to_vec(),
            "content_mismatch",
        ),
        ("binary.txt", vec![0u8, 159, 146, 150, 1, 2, 3], "content_mismatch"),
    ];
    let mut cases = cases;
    cases.push(("cut.pdf", pdf[..pdf.len() / 2].to_vec(), "content_mismatch"));
    for (lang, (name, bytes, code)) in ["kk", "ru", "en"].iter().cycle().zip(cases.iter()) {
        // Errors come in the person's own language.
        assert_eq!(author.patch_json("/api/v1/me", &json!({"lang": lang})).0, 200);
        let res = post_parts(
            &author,
            "/api/v1/documents",
            &[
                crate::common::documents::meta(&json!({"title": "hostile"})),
                crate::common::documents::file(name, bytes.clone()),
            ],
            &[("accept-language", lang)],
        );
        let body = res.json();
        assert_eq!(body["code"], *code, "{name}: {}", res.body);
        let message = body["message"].as_str().unwrap();
        let code_key = format!("error-{}", code.replace('_', "-"));
        assert!(message.starts_with(&ftl(lang, &code_key)), "{name}: message in {lang}: {message}");
        assert!(
            body["detail"].as_str().unwrap_or("").contains(name),
            "{name}: the detail names the file"
        );
        assert_eq!(
            server.client().probe("/healthz"),
            Some(200),
            "the server keeps serving after {name}"
        );
    }
    let files = stored(&server);
    assert!(files.is_empty(), "nothing stored: {files:?}");
    assert_eq!(author.get_json("/api/v1/documents").1["documents"].as_array().unwrap().len(), 0);
    assert_eq!(server.cli(&["verify"], None).code, 0);
}

/// Sends a request over a plain socket (ignoring write errors once the server has answered)
/// and returns what the server said.
fn raw_post(server: &Server, cookie: &str, csrf: &str, length_header: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\n{length_header}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    for piece in body.chunks(1024 * 1024) {
        if stream.write_all(piece).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn an_oversized_upload_is_refused_with_413_before_the_body_is_read() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("author", "MIN", &["employee"]);
    let author = server.signed_in("author");

    // 61 MB in a real request, sent the way a client sends it: refused with 413.
    let csrf = author.csrf().unwrap();
    let cookie = author.cookie_header_value().unwrap();
    let mut body =
        b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\r\n"
            .to_vec();
    body.extend(std::iter::repeat_n(b'a', 61 * 1024 * 1024));
    body.extend_from_slice(b"\r\n--XYZ--\r\n");
    let answer =
        raw_post(&server, &cookie, &csrf, &format!("Content-Length: {}", body.len()), &body);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("too_large"), "{answer}");

    // A declared 200 MB body: the answer comes after the headers and a few bytes, without the
    // rest ever being sent.
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: {}\r\n\r\n--XYZ\r\n",
        200 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = [0u8; 12];
    stream.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 413");

    // Streaming without a declared length: counted while reading, refused past 60 MB.
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let part = "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n";
    stream.write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes()).unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    let mut refused_after = None;
    for mb in 0..100 {
        let ok = stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_ok()
            && stream.write_all(&chunk).is_ok()
            && stream.write_all(b"\r\n").is_ok();
        if !ok {
            refused_after = Some(mb);
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 413"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        refused_after.is_none_or(|mb| mb >= 59),
        "not refused before the limit: {refused_after:?}"
    );
    let files = stored(&server);
    assert!(files.is_empty(), "nothing stored: {files:?}");
    assert_eq!(server.client().probe("/healthz"), Some(200));
}
