//! Pages people understand (issue 21, points 6–8): responses compressed, assets named by
//! their content, no developer jargon on people's pages, the layout at 1024×768.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::Server;
use crate::common::client::Client;

/// What `curl` saw for a GET: the status line and headers (lower-case names) and the
/// body exactly as it came over the wire (still compressed).
struct Raw {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A GET by `curl` (a client that does not decompress unless asked), with the session's
/// cookie and the given `Accept-Encoding`, as the portal's own page makes it
/// (`Sec-Fetch-Site: same-origin`).
fn raw_get(client: &Client, url: &str, accept_encoding: Option<&str>, dir: &Path) -> Raw {
    raw_get_from(client, url, accept_encoding, Some("same-origin"), dir)
}

/// [`raw_get`] with the `Sec-Fetch-Site` a browser sends (`None`: a client that sends none).
fn raw_get_from(
    client: &Client,
    url: &str,
    accept_encoding: Option<&str>,
    sec_fetch_site: Option<&str>,
    dir: &Path,
) -> Raw {
    let head = dir.join("head.txt");
    let body = dir.join("body.bin");
    let mut cmd = Command::new("curl");
    cmd.args(["-sk", "--max-time", "20", "-D"]).arg(&head).arg("-o").arg(&body);
    if let Some(cookie) = client.cookie_header_value() {
        cmd.args(["-H", &format!("cookie: {cookie}")]);
    }
    if let Some(ae) = accept_encoding {
        cmd.args(["-H", &format!("accept-encoding: {ae}")]);
    }
    if let Some(site) = sec_fetch_site {
        cmd.args(["-H", &format!("sec-fetch-site: {site}")]);
    }
    let out = cmd.arg(url).output().expect("curl runs (apt-get install curl)");
    assert!(out.status.success(), "curl {url}: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&head).unwrap();
    let headers = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Raw { headers, body: std::fs::read(&body).unwrap() }
}

/// Decompresses with the system's `gzip`, as a browser would.
fn gunzip(bytes: &[u8], dir: &Path) -> String {
    let file = dir.join("gz.bin");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("gzip").arg("-dc").arg(&file).output().expect("gzip runs");
    assert!(out.status.success(), "not gzip: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Point 8: pages, style, script and JSON go out gzip-compressed to a browser that accepts
/// it (and plain to one that does not); assets are linked by their content hash and cached
/// for a year; the live stream is never compressed, so no event waits in a compressor.
#[test]
fn responses_are_compressed_and_assets_named_by_their_content() {
    let server = Server::start();
    server.add_agency("DEV");
    server.add_user("aliya", "DEV", &["employee"]);
    let client = server.signed_in("aliya");
    let dir = tempfile::tempdir().unwrap();
    let base = server.base_url();

    // The dashboard, gzip: smaller on the wire, the same page once decompressed.
    let page = raw_get(&client, &format!("{base}/"), Some("gzip, deflate, br"), dir.path());
    assert_eq!(page.header("content-encoding"), Some("gzip"), "{:?}", page.headers);
    assert!(page.header("vary").unwrap_or("").contains("accept-encoding"));
    let html = gunzip(&page.body, dir.path());
    assert!(html.starts_with("<!doctype html>") && html.contains("</html>"), "{html}");
    assert!(page.body.len() * 2 < html.len(), "{} → {}", html.len(), page.body.len());
    let plain = raw_get(&client, &format!("{base}/"), None, dir.path());
    assert_eq!(plain.header("content-encoding"), None, "no gzip unless asked for");
    assert!(String::from_utf8(plain.body).unwrap().contains("</html>"));
    let refused = raw_get(&client, &format!("{base}/"), Some("gzip;q=0"), dir.path());
    assert_eq!(refused.header("content-encoding"), None, "q=0 refuses gzip");
    // BREACH: a page holds the CSRF token; a request another site makes the browser send,
    // or one that does not say where it comes from, gets it uncompressed (issue 20, testssl).
    for site in [Some("cross-site"), Some("same-site"), None] {
        let from = raw_get_from(&client, &format!("{base}/"), Some("gzip"), site, dir.path());
        assert_eq!(from.header("content-encoding"), None, "{site:?}: {:?}", from.headers);
        assert!(String::from_utf8(from.body).unwrap().contains("</html>"));
    }
    let typed = raw_get_from(&client, &format!("{base}/"), Some("gzip"), Some("none"), dir.path());
    assert_eq!(typed.header("content-encoding"), Some("gzip"), "an address typed by the person");

    // The style sheet and the script, by the hashed names the page links.
    for (ext, marker) in [("css", "{"), ("js", "function")] {
        let link = html
            .match_indices("/static/app.")
            .map(|(i, _)| html[i..].split('"').next().unwrap())
            .find(|l| l.ends_with(&format!(".{ext}")))
            .unwrap_or_else(|| panic!("the page links app.*.{ext}:\n{html}"));
        let hash = link.trim_start_matches("/static/app.").trim_end_matches(&format!(".{ext}"));
        assert_eq!(hash.len(), 16, "{link}");
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{link}");
        let res = raw_get(&client, &format!("{base}{link}"), Some("gzip"), dir.path());
        assert_eq!(res.header("content-encoding"), Some("gzip"), "{link}");
        let cache = res.header("cache-control").unwrap_or("");
        assert!(cache.contains("max-age=31536000") && cache.contains("immutable"), "{cache}");
        assert!(gunzip(&res.body, dir.path()).contains(marker));
        // The same for everyone, no secret in it: compressed whoever asks.
        let anyone =
            raw_get_from(&client, &format!("{base}{link}"), Some("gzip"), None, dir.path());
        assert_eq!(anyone.header("content-encoding"), Some("gzip"), "{link}");
        // The plain name still answers, but is not cached for long.
        let plain = raw_get(&client, &format!("{base}/static/app.{ext}"), None, dir.path());
        assert!(!plain.header("cache-control").unwrap_or("").contains("immutable"));
    }

    // Compressed answers go out in several writes; on one keep-alive connection none waits
    // for the client's delayed ACK (Nagle's algorithm off): 40 ms or more each if it did.
    let css = html
        .match_indices("/static/app.")
        .map(|(i, _)| html[i..].split('"').next().unwrap())
        .find(|l| l.ends_with(".css"))
        .unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["-sk", "-H", "accept-encoding: gzip", "-w", "%{time_total} %{num_connects}\\n"]);
    for _ in 0..12 {
        cmd.args(["-o", "/dev/null", &format!("{base}{css}")]);
    }
    let out = cmd.output().expect("curl runs");
    let timings = String::from_utf8(out.stdout).unwrap();
    let mut seconds: Vec<f64> = timings
        .lines()
        .skip(1) // the first request opens the connection
        .map(|l| {
            let (time, connects) = l.split_once(' ').unwrap();
            assert_eq!(connects, "0", "one keep-alive connection: {timings}");
            time.parse().unwrap()
        })
        .collect();
    seconds.sort_by(f64::total_cmp);
    assert_eq!(seconds.len(), 11, "{timings}");
    assert!(seconds[5] < 0.035, "a compressed answer waited for a delayed ACK: {timings}");

    // JSON of the API.
    let api = raw_get(&client, &format!("{base}/api/v1/me"), Some("gzip"), dir.path());
    assert_eq!(api.header("content-encoding"), Some("gzip"), "{:?}", api.headers);
    let me: Value = serde_json::from_str(&gunzip(&api.body, dir.path())).unwrap();
    assert_eq!(me["login"], "aliya", "{me}");

    // The live stream: not compressed, and its first event arrives at once (curl stops
    // after 3 s; whatever arrived by then is in the file as it came over the wire).
    let (head, body) = (dir.path().join("sse-head.txt"), dir.path().join("sse-body.bin"));
    let cookie = client.cookie_header_value().unwrap();
    let out = Command::new("curl")
        .args(["-skN", "--max-time", "3", "-H", "accept-encoding: gzip", "-H"])
        .arg(format!("cookie: {cookie}"))
        .arg("-D")
        .arg(&head)
        .arg("-o")
        .arg(&body)
        .arg(format!("{base}/api/v1/events"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(28), "the stream stays open until curl's time-out");
    let head = std::fs::read_to_string(&head).unwrap().to_ascii_lowercase();
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(!head.contains("content-encoding"), "the live stream is not compressed: {head}");
    let first = String::from_utf8(std::fs::read(&body).unwrap()).unwrap();
    assert!(first.starts_with("event: inbox\ndata: "), "{first:?}");
}
