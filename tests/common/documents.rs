//! Posting documents the way a browser or API client does: a `multipart/form-data` body with
//! a `meta` JSON part and `file` parts, built by hand (the bytes on the wire are the test's
//! own, so hostile names and contents reach the server unchanged).

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::client::{Client, Resp};

pub struct Part<'a> {
    pub name: &'a str,
    pub file_name: Option<&'a str>,
    pub content_type: &'a str,
    pub bytes: Vec<u8>,
}

pub fn meta(value: &Value) -> Part<'static> {
    Part {
        name: "meta",
        file_name: None,
        content_type: "application/json",
        bytes: serde_json::to_vec(value).unwrap(),
    }
}

/// The CSRF token as the first part of a page's multipart form (where the pipeline reads
/// it; no token travels in an address).
pub fn csrf(token: &str) -> Part<'static> {
    Part {
        name: "csrf",
        file_name: None,
        content_type: "text/plain",
        bytes: token.as_bytes().to_vec(),
    }
}

/// POSTs a page's multipart form: the session's token first, then `parts`.
pub fn post_form_parts(client: &Client, path: &str, parts: Vec<Part>) -> Resp {
    let mut all = vec![csrf(&client.csrf().unwrap_or_default())];
    all.extend(parts);
    let (content_type, body) = multipart(&all);
    client.send("POST", path, &[], Some((&content_type, body)))
}

pub fn file<'a>(name: &'a str, bytes: Vec<u8>) -> Part<'a> {
    Part { name: "file", file_name: Some(name), content_type: "application/octet-stream", bytes }
}

/// The body and its content type.
pub fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = format!("----ipgo-test-{}", hex::encode(rand_bytes()));
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match p.file_name {
            // Browsers send UTF-8 names raw in `filename` (HTML5); RFC 7578.
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n",
                    p.name,
                    f.replace('"', "%22")
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{}\"\r\n", p.name).as_bytes(),
            ),
        }
        body.extend_from_slice(format!("Content-Type: {}\r\n\r\n", p.content_type).as_bytes());
        body.extend_from_slice(&p.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn rand_bytes() -> [u8; 8] {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    b
}

/// `POST path` with the parts, the session's CSRF token and any extra headers.
pub fn post_parts(client: &Client, path: &str, parts: &[Part], headers: &[(&str, &str)]) -> Resp {
    let (content_type, body) = multipart(parts);
    let token = client.csrf().unwrap_or_default();
    let mut all = vec![("x-csrf-token", token.as_str())];
    all.extend_from_slice(headers);
    client.send("POST", path, &all, Some((&content_type, body)))
}

/// Posts a document; returns the whole response.
pub fn post(client: &Client, meta_json: &Value, files: &[(&str, Vec<u8>)]) -> Resp {
    let mut parts = vec![meta(meta_json)];
    for (name, bytes) in files {
        parts.push(file(name, bytes.clone()));
    }
    post_parts(client, "/api/v1/documents", &parts, &[])
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Downloads a file's bytes (the harness client reads bodies as text, so this uses ureq
/// directly with the client's cookies).
pub fn download(client: &Client, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut req = agent.get(format!("{}{path}", client.base));
    if let Some(cookie) = client.cookie_header_value() {
        req = req.header("cookie", cookie);
    }
    let mut res = req.call().expect("download");
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = res.body_mut().with_config().limit(128 * 1024 * 1024).read_to_vec().expect("body");
    (status, headers, body)
}
