//! The regular self-check of the system's state (R365 §9, issue 20 point 6) through the real
//! server and its scheduler, with the test-controlled clock: a healthy installation passes;
//! a corrupted blob, then an expired CRL, fail their checks on the auditor's page, in
//! `/metrics` and as notices to the system administrator and the auditor.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::PASSWORD;
use crate::common::client::Client;
use crate::common::server::Server;

const PEOPLE: [&str; 3] = ["admin", "auditor", "dev.employee"];

/// The newest runs (newest first), as the auditor reads them.
fn runs(c: &Client) -> Vec<Value> {
    let (status, body) = c.get_json("/api/v1/audit/self-check");
    assert_eq!(status, 200, "{body}");
    body["runs"].as_array().cloned().unwrap_or_default()
}

/// Waits for the scheduler's run after `after` (the id of the newest run seen before).
fn next_run(server: &Server, after: u64) -> Value {
    let started = Instant::now();
    // Signed in after the clock moved (a session idle for hours has ended).
    let c = server.signed_in("auditor");
    loop {
        if let Some(run) = runs(&c).first().filter(|r| r["id"].as_u64().unwrap() > after) {
            return run.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the scheduler never ran the self-check"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn failed(run: &Value) -> Vec<String> {
    run["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

fn blob_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tmp") {
                blob_files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

fn self_audit_notices(c: &Client) -> Vec<Value> {
    let (status, body) = c.get_json("/api/v1/inbox");
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "self-audit-failed")
        .cloned()
        .collect()
}

#[test]
fn the_scheduled_self_check_shows_a_corrupted_blob_and_an_expired_crl_on_the_page_in_metrics_and_as_notices()
 {
    let server = Server::builder().demo().controllable_clock().start();
    for login in PEOPLE {
        server
            .cli(&["user", "reset-password", "--login", login, "--password-stdin"], Some(PASSWORD))
            .ok();
    }
    // Only the auditor and the administrator read it.
    let (status, _) = server.signed_in("dev.employee").get_json("/api/v1/audit/self-check");
    assert_eq!(status, 403);
    let backup = server.scratch().join("first.ipgobak");
    server.cli(&["backup", "--to", backup.to_str().unwrap()], None).ok();

    // A healthy installation: the scheduler's run (the clock moved) passes every check.
    server.advance_clock("1h");
    let first = next_run(&server, 0);
    assert_eq!(first["ok"], true, "a healthy demo passes: {first}");
    let codes: Vec<&str> =
        first["checks"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["access_log", "store", "backup", "ca", "crl", "disk", "index"]);
    assert!(self_audit_notices(&server.signed_in("auditor")).is_empty());

    // One blob's encrypted bytes altered on disk: the next day's run fails the store check.
    let mut blobs = Vec::new();
    blob_files(&server.data.join("blobs"), &mut blobs);
    let victim = blobs.first().expect("the demo stores files");
    let mut bytes = std::fs::read(victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(victim, &bytes).unwrap();
    server.advance_clock("25h");
    let second = next_run(&server, first["id"].as_u64().unwrap());
    assert_eq!(second["ok"], false);
    assert_eq!(failed(&second), ["store"], "{second}");
    let blob_name = victim.file_name().unwrap().to_str().unwrap();
    assert!(second.to_string().contains(blob_name), "the problem names the blob: {second}");

    let auditor = server.signed_in("auditor");
    let page = auditor.get("/audit/self-check");
    assert_eq!(page.status, 200);
    let section =
        page.body.split(&format!("id=\"run-{}\"", second["id"])).nth(1).expect("run shown");
    let row = section.split("class=\"check-store\"").nth(1).unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("<strong class=\"error\">"), "the store check shows as failed: {row}");
    assert!(row.contains(blob_name), "{row}");
    // The administrator reads it too.
    assert_eq!(server.signed_in("admin").get("/audit/self-check").status, 200);

    let metrics = server.client().get("/metrics").body;
    assert!(metrics.contains("ipgo_self_audit_ok 0"), "{metrics}");
    assert!(metrics.contains("ipgo_self_audit_check_ok{check=\"store\"} 0"), "{metrics}");
    assert!(metrics.contains("ipgo_self_audit_check_ok{check=\"crl\"} 1"), "{metrics}");

    for login in ["auditor", "admin"] {
        let notices = self_audit_notices(&server.signed_in(login));
        assert_eq!(notices.len(), 1, "{login}: {notices:?}");
        assert_eq!(notices[0]["link"], "/audit/self-check");
        assert!(notices[0]["subject"].as_str().unwrap().contains("store"), "{notices:?}");
    }
    assert!(self_audit_notices(&server.signed_in("dev.employee")).is_empty());

    // The demo CRL's next update is at the start of the year after next: move past it.
    server.advance_clock("1200 days");
    let third = next_run(&server, second["id"].as_u64().unwrap());
    let third_failed = failed(&third);
    assert!(third_failed.contains(&"crl".to_owned()), "{third}");
    let crl = third["checks"].as_array().unwrap().iter().find(|c| c["code"] == "crl").unwrap();
    assert!(crl["detail"].as_str().unwrap().contains("overdue"), "{crl}");
    let metrics = server.client().get("/metrics").body;
    assert!(metrics.contains("ipgo_self_audit_check_ok{check=\"crl\"} 0"), "{metrics}");
    let page = server.signed_in("auditor").get("/audit/self-check").body;
    let section = page.split(&format!("id=\"run-{}\"", third["id"])).nth(1).unwrap();
    let row = section.split("class=\"check-crl\"").nth(1).unwrap();
    assert!(row[..row.find("</tr>").unwrap()].contains("<strong class=\"error\">"));
    let notices = self_audit_notices(&server.signed_in("auditor"));
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices.iter().any(|n| n["subject"].as_str().unwrap().contains("crl")));

    // The history keeps every run so far, newest first, and a run can be asked for at once.
    let (status, run) =
        server.signed_in("auditor").post_json("/api/v1/audit/self-check", &Value::Null);
    assert_eq!(status, 201, "{run}");
    let ids: Vec<u64> =
        runs(&server.signed_in("auditor")).iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
}
