//! Upgrades (issue 6, item 5): every data directory kept in `tests/fixtures/v<N>/` (made by
//! `cargo run --example make_fixture`) is opened by this binary — forward-only migrations
//! run — and everything its `expect.json` lists is still there, byte for byte. A database
//! written by a newer binary is refused with a clear message and not migrated.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde_json::json;
use sha2::{Digest, Sha256};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expect.json").exists())
        .collect();
    dirs.sort();
    dirs
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn ipgo(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipgo"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("IPGO_CONFIG")
        .output()
        .unwrap()
}

fn schema_version(db: &Path) -> u32 {
    let db = redb::Database::open(db).unwrap();
    let txn = db.begin_read().unwrap();
    let meta = txn.open_table(META).unwrap();
    let v = meta.get("schema_version").unwrap().unwrap();
    u32::from_le_bytes(v.value().try_into().unwrap())
}

fn set_schema_version(db: &Path, version: u32) {
    let db = redb::Database::open(db).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(META)
        .unwrap()
        .insert("schema_version", version.to_le_bytes().as_slice())
        .unwrap();
    txn.commit().unwrap();
}

/// `ipgo verify` found the data intact. Fixtures made before separation of duties was
/// enforced hold accounts that combine roles: those are named with exit 4 and the data
/// stays intact (`a1_a_combined_account_in_an_old_database_is_reported_and_powerless`).
fn intact(out: &Output) -> bool {
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success()
        || (out.status.code() == Some(4)
            && text.contains("document store intact")
            && text.contains("access log intact"))
}

/// A copy of the fixture in a temporary directory: the directory (removed when dropped),
/// the data directory in it, and the fixture's `expect.json`.
fn copy_of(fixture: &Path) -> (tempfile::TempDir, PathBuf, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_dir(fixture, &data);
    let expect = serde_json::from_slice(&std::fs::read(data.join("expect.json")).unwrap()).unwrap();
    (dir, data, expect)
}

/// `ipgo serve` on the data directory (stderr to `stderr`), once it answers: the process,
/// its base URL and an agent that does not treat error statuses as errors.
fn serve(data: &Path, stderr: std::process::Stdio) -> (std::process::Child, String, ureq::Agent) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_ipgo"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(data)
        .env_remove("IPGO_CONFIG")
        .env("IPGO_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let deadline = Instant::now() + Duration::from_secs(60);
    while agent.get(format!("{base}/healthz")).call().map(|r| r.status() != 200).unwrap_or(true) {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, base, agent)
}

/// Signs in over the API; returns the cookie header value.
fn sign_in(agent: &ureq::Agent, base: &str, login: &str, password: &str) -> String {
    let mut r = agent
        .post(format!("{base}/api/v1/session"))
        .header("content-type", "application/json")
        .send(json!({"login": login, "password": password}).to_string())
        .unwrap();
    assert_eq!(r.status(), 200, "{login}");
    let _ = r.body_mut().read_to_vec();
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn a_fixture_exists_for_the_current_schema_version() {
    let newest = fixtures()
        .iter()
        .map(|d| {
            let expect: serde_json::Value =
                serde_json::from_slice(&std::fs::read(d.join("expect.json")).unwrap()).unwrap();
            expect["schema_version"].as_u64().unwrap() as u32
        })
        .max();
    assert_eq!(
        newest,
        Some(ipgo::db::SCHEMA_VERSION),
        "after a schema change, keep the old fixtures and add one for the new version \
         (cargo run --example make_fixture -- tests/fixtures/v{})",
        ipgo::db::SCHEMA_VERSION
    );
}

#[test]
fn every_fixture_opens_migrated_with_all_its_data() {
    for fixture in fixtures() {
        let (_dir, data, expect) = copy_of(&fixture);
        let out = ipgo(&["verify"], &data);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            intact(&out),
            "{}: {text}{}",
            fixture.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(schema_version(&data.join("ipgo.redb")), ipgo::db::SCHEMA_VERSION, "migrated");
        let users = String::from_utf8(ipgo(&["user", "list"], &data).stdout).unwrap();
        for login in expect["logins"].as_array().unwrap() {
            assert!(
                users.contains(login.as_str().unwrap()),
                "{}: {login} missing",
                fixture.display()
            );
        }
        // Every file downloads with the sha256 it had when the fixture was made.
        let (mut child, base, agent) = serve(&data, std::process::Stdio::inherit());
        let cookie = sign_in(
            &agent,
            &base,
            expect["reader"].as_str().unwrap(),
            expect["password"].as_str().unwrap(),
        );
        let mut checked = 0;
        for doc in expect["documents"].as_array().unwrap() {
            for f in doc["files"].as_array().unwrap() {
                let url = format!(
                    "{base}/api/v1/documents/{}/versions/{}/files/{}",
                    doc["id"], f["version"], f["file"]
                );
                let mut r = agent.get(url).header("cookie", &cookie).call().unwrap();
                assert_eq!(r.status(), 200, "document {}", doc["id"]);
                let bytes = r.body_mut().with_config().limit(100 << 20).read_to_vec().unwrap();
                assert_eq!(hex::encode(Sha256::digest(&bytes)), f["sha256"].as_str().unwrap());
                checked += 1;
            }
        }
        for id in expect["destroyed"].as_array().unwrap() {
            let r = agent
                .get(format!("{base}/api/v1/documents/{id}"))
                .header("cookie", &cookie)
                .call()
                .unwrap();
            assert_eq!(r.status(), 410, "destroyed document {id} stays destroyed");
        }
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_child(&child),
            rustix::process::Signal::TERM,
        );
        child.wait().unwrap();
        assert!(checked > 0, "{}: the fixture has files", fixture.display());
    }
}

#[test]
fn a_database_from_a_newer_binary_is_refused_and_not_migrated() {
    let fixture = fixtures().pop().expect("a fixture");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_dir(&fixture, &data);
    let db = data.join("ipgo.redb");
    // Open once so the copy is at this binary's schema, then pretend a newer one wrote it.
    assert!(intact(&ipgo(&["verify"], &data)));
    set_schema_version(&db, ipgo::db::SCHEMA_VERSION + 1);
    for args in [&["verify"][..], &["serve", "--listen", "127.0.0.1:0"][..], &["user", "list"][..]]
    {
        let out = ipgo(args, &data);
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} accepted a newer database");
        assert!(
            msg.contains("newer ipgo") && msg.contains("install that version"),
            "{args:?}: {msg}"
        );
    }
    // Nothing was migrated or rewritten: the marker is as the newer binary left it, and
    // with the marker put back the data is whole (redb itself may touch its header on open).
    assert_eq!(schema_version(&db), ipgo::db::SCHEMA_VERSION + 1);
    set_schema_version(&db, ipgo::db::SCHEMA_VERSION);
    let out = ipgo(&["verify"], &data);
    assert!(intact(&out), "{}", String::from_utf8_lossy(&out.stdout));
}

/// A.1, A.11: the first installations gave the administrator, the support administrator
/// and the auditor an employee role too. Such an account in an existing database is named
/// by `ipgo verify` (exit 4) and in the server's log at start, keeps its administration
/// meanwhile — so it can be mended — but reads no document; once its roles are corrected
/// the report is clean.
#[test]
fn a1_a_combined_account_in_an_old_database_is_reported_and_powerless() {
    let fixture = fixtures().into_iter().next().expect("the oldest fixture");
    let (dir, data, expect) = copy_of(&fixture);
    let out = ipgo(&["verify"], &data);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(4), "{text}");
    for (login, role) in
        [("admin", "system_admin"), ("auditor", "auditor"), ("support", "support_admin")]
    {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("PROBLEM: account {login} (")))
            .unwrap_or_else(|| panic!("{login} not reported: {text}"));
        assert!(line.contains(&format!("{role} must be the account's only role")), "{line}");
        assert!(line.contains(&format!("ipgo user roles --login {login} --role {role}")), "{line}");
    }
    assert!(!text.contains("PROBLEM: account dev.head"), "{text}");

    let log = dir.path().join("server.log");
    let (mut child, base, agent) = serve(&data, std::fs::File::create(&log).unwrap().into());
    let started = std::fs::read_to_string(&log).unwrap();
    assert!(
        started.contains("account admin (") && started.contains("separation of duties"),
        "{started}"
    );
    let password = expect["password"].as_str().unwrap();
    let sign_in = |login: &str| sign_in(&agent, &base, login, password);
    let get = |cookie: &str, path: &str| {
        let mut r = agent.get(format!("{base}{path}")).header("cookie", cookie).call().unwrap();
        let body = r.body_mut().read_to_string().unwrap_or_default();
        (r.status().as_u16(), body)
    };
    let admin = sign_in("admin");
    let reader = sign_in(expect["reader"].as_str().unwrap());
    let docs: Vec<u64> =
        expect["documents"].as_array().unwrap().iter().map(|d| d["id"].as_u64().unwrap()).collect();
    for id in &docs {
        assert_eq!(
            get(&reader, &format!("/api/v1/documents/{id}")).0,
            200,
            "the reader reads {id}"
        );
        assert_eq!(get(&admin, &format!("/api/v1/documents/{id}")).0, 404, "the admin reads {id}");
    }
    let (status, listed) = get(&admin, "/api/v1/documents");
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&listed).unwrap()["documents"], json!([]));
    // Its administration stays, so it can be mended.
    assert_eq!(get(&admin, "/api/v1/users").0, 200);

    for (login, role) in
        [("admin", "system_admin"), ("auditor", "auditor"), ("support", "support_admin")]
    {
        let out = ipgo(&["user", "roles", "--login", login, "--role", role], &data);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    }
    let out = ipgo(&["verify"], &data);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("separation of duties holds for every account"), "{text}");
    let _ = rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::TERM,
    );
    child.wait().unwrap();
}

/// Schema 3 keeps the access log in blocks, one row per commit (`audit::blocks`). A log of
/// schema 2 stays in its table, one entry a row: it is read before the blocks, verified with
/// them as one chain, exported in order and archived from, the archiver cutting across both.
#[test]
fn a_schema_2_access_log_is_continued_in_blocks_as_one_chain() {
    const LEGACY: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log");
    const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log_blocks");
    let fixture = fixtures().into_iter().find(|f| f.ends_with("v2")).expect("the v2 fixture");
    let (_dir, data, expect) = copy_of(&fixture);
    // (legacy rows, last legacy key, block keys)
    let tables = |data: &Path| -> (u64, u64, Vec<u64>) {
        let db = redb::Database::open(data.join("ipgo.redb")).unwrap();
        let txn = db.begin_read().unwrap();
        let legacy = txn.open_table(LEGACY).unwrap();
        let last = legacy.last().unwrap().map(|(k, _)| k.value()).unwrap_or(0);
        let blocks = match txn.open_table(BLOCKS) {
            Ok(t) => t.iter().unwrap().map(|r| r.unwrap().0.value()).collect(),
            Err(_) => Vec::new(),
        };
        (legacy.len().unwrap(), last, blocks)
    };
    let (legacy_rows, legacy_last, blocks) = tables(&data);
    assert!(legacy_rows > 10 && blocks.is_empty(), "{legacy_rows} {blocks:?}");

    let (mut child, base, agent) = serve(&data, std::process::Stdio::inherit());
    let cookie = sign_in(
        &agent,
        &base,
        expect["reader"].as_str().unwrap(),
        expect["password"].as_str().unwrap(),
    );
    for path in ["/", "/documents", "/api/v1/me"] {
        let r = agent.get(format!("{base}{path}")).header("cookie", &cookie).call().unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let _ = rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::TERM,
    );
    child.wait().unwrap();

    let (rows_after, _, blocks) = tables(&data);
    assert_eq!(rows_after, legacy_rows, "the old rows stay as they are");
    assert_eq!(blocks.first(), Some(&(legacy_last + 1)), "the blocks continue the chain");
    let verified = ipgo(&["audit", "verify"], &data);
    let text = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && text.contains("access log intact"),
        "{:?} {text}{}",
        verified.status,
        String::from_utf8_lossy(&verified.stderr)
    );
    let export = ipgo(&["audit", "export", "--format", "jsonl"], &data);
    let seqs: Vec<u64> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.len() as u64 > legacy_rows + 3, "{}", seqs.len());
    assert!(seqs.iter().enumerate().all(|(i, s)| *s == i as u64 + 1), "one chain, in order");
    // The verification counted the chain before its own entry and the export's were added.
    let checked: u64 = text["checked ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(checked > legacy_rows + 3 && checked < seqs.len() as u64, "{checked} {text}");

    // Archiving everything up to tomorrow moves both tables' entries into archives.
    let tomorrow = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap()
        .strftime("%Y-%m-%d")
        .to_string();
    let archived = ipgo(&["audit", "archive", "--before", &tomorrow], &data);
    assert!(archived.status.success(), "{}", String::from_utf8_lossy(&archived.stderr));
    let (rows_left, _, blocks) = tables(&data);
    assert_eq!(rows_left, 0, "the old rows were archived");
    assert!(
        blocks.iter().all(|first| *first > seqs.len() as u64),
        "only entries written since the archiver started are live: {blocks:?}"
    );
    let verified = ipgo(&["audit", "verify"], &data);
    let text = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && text.contains("access log intact"),
        "{:?} {text}{}",
        verified.status,
        String::from_utf8_lossy(&verified.stderr)
    );
}
