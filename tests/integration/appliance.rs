//! The appliance at its boundaries (issue 6): online backup under concurrent uploads and a
//! verified restore with identical file hashes (I617 §29, R365 §6, §17.6), refusal of any
//! changed byte, destroyed documents that never come back (I385 §6.8), the search index
//! built again by the restore (it is never in a backup), key escrow, the
//! disk-space floor on a small tmpfs, `/metrics` access (I617 §24–§25) and planned
//! maintenance notice (I617 §17). Every test drives the real `ipgo` binary; the module
//! keeps its own helpers so it stays independent of `tests/common/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

const PASSWORD: &str = "Pass-word-123";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ipgo")
}

fn ipgo(args: &[&str], data: &Path) -> Output {
    ipgo_env(args, data, &[], None)
}

fn ipgo_env(args: &[&str], data: &Path, env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).arg("--data").arg(data).env_remove("IPGO_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run ipgo");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "ipgo failed: {}", text(&o));
    text(&o)
}

fn ok_cmd(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", text(&out));
    text(&out)
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An agency and two accounts (an employee-head and a system administrator), made
/// directly on the data directory before any server runs.
fn prepare(data: &Path) {
    ok(ipgo(&["agency", "add", "--code", "TST", "--name-ru", "Тест", "--name-kk", "Тест"], data));
    for (login, roles) in
        [("t.head", &["employee", "head"][..]), ("t.admin", &["system_admin"][..])]
    {
        let mut args = vec!["user", "add", "--login", login, "--agency", "TST", "--password-stdin"];
        for r in roles {
            args.extend(["--role", r]);
        }
        ok(ipgo_env(&args, data, &[], Some(PASSWORD)));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `ipgo serve`, stopped (SIGTERM, then waited for) when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data: &Path, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(data)
            .env_remove("IPGO_CONFIG")
            .env("IPGO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = agent().get(format!("{}/healthz", server.base)).call()
                && r.status() == 200
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "server on {} did not become healthy",
                data.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_child(&self.child),
            rustix::process::Signal::TERM,
        );
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// A signed-in API client (cookies kept by hand).
struct Client {
    base: String,
    cookie: String,
    csrf: String,
    agent: ureq::Agent,
}

impl Client {
    fn sign_in(base: &str, login: &str) -> Client {
        let agent = agent();
        let mut r = agent
            .post(format!("{base}/api/v1/session"))
            .header("content-type", "application/json")
            .send(serde_json::json!({"login": login, "password": PASSWORD}).to_string())
            .unwrap();
        assert_eq!(r.status(), 200, "sign-in of {login}");
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect::<Vec<_>>()
            .join("; ");
        let body: serde_json::Value = r.body_mut().read_json().unwrap();
        let csrf = body["csrf"].as_str().unwrap().to_owned();
        Client { base: base.to_owned(), cookie, csrf, agent }
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let mut r = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().with_config().limit(100 << 20).read_to_vec().unwrap())
    }

    fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap();
        let status = r.status().as_u16();
        (status, r.body_mut().read_json().unwrap_or(serde_json::Value::Null))
    }

    /// Posts a document with files; returns (status, response).
    fn post_document(&self, title: &str, files: &[(&str, Vec<u8>)]) -> (u16, serde_json::Value) {
        self.try_post_document(title, files).expect("the upload reached the server")
    }

    /// Like `post_document`, but a connection the server cut short is an `Err`.
    fn try_post_document(
        &self,
        title: &str,
        files: &[(&str, Vec<u8>)],
    ) -> Result<(u16, serde_json::Value), ureq::Error> {
        let boundary = format!("ipgo-test-{}", hex::encode(rand_bytes(8)));
        let mut body = Vec::new();
        let meta = serde_json::json!({"type": "generic", "title": title, "text": "Мәтін / текст"});
        write!(body, "--{boundary}\r\ncontent-disposition: form-data; name=\"meta\"\r\ncontent-type: application/json\r\n\r\n{meta}\r\n").unwrap();
        for (name, bytes) in files {
            write!(body, "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{name}\"\r\ncontent-type: application/octet-stream\r\n\r\n").unwrap();
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        write!(body, "--{boundary}--\r\n").unwrap();
        let mut r = self
            .agent
            .post(format!("{}/api/v1/documents", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .send(&body[..])?;
        let status = r.status().as_u16();
        Ok((status, r.body_mut().read_json().unwrap_or(serde_json::Value::Null)))
    }
}

fn rand_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    getrandom::fill(&mut v).unwrap();
    v
}

/// A PDF-looking file (content sniffing accepts it) with random bulk.
fn pdf(size: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    let filler = rand_bytes(size);
    v.extend(filler.iter().map(|b| b'a' + b % 26));
    v.extend_from_slice(b"\n%%EOF\n");
    v
}

/// (document id, file id, version, sha256) of every file posted.
type Posted = Vec<(u64, u64, String)>;

fn post(client: &Client, title: &str, sizes: &[usize]) -> Posted {
    let files: Vec<(String, Vec<u8>)> =
        sizes.iter().enumerate().map(|(i, s)| (format!("f{i}.pdf"), pdf(*s))).collect();
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let (status, body) = client.post_document(title, &refs);
    assert_eq!(status, 201, "upload refused: {body}");
    let id = body["id"].as_u64().unwrap();
    body["files"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&files)
        .map(|(f, (_, bytes))| {
            assert_eq!(f["sha256"].as_str().unwrap(), sha(bytes), "server hash of what was sent");
            (id, f["id"].as_u64().unwrap(), sha(bytes))
        })
        .collect()
}

fn download_sha(client: &Client, doc: u64, file: u64) -> (u16, String) {
    let (status, bytes) = client.get(&format!("/api/v1/documents/{doc}/versions/1/files/{file}"));
    (status, sha(&bytes))
}

fn blob_files(data: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![data.join("blobs")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name() != Some("tmp".as_ref()) {
                    stack.push(p);
                }
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn backup_during_uploads_restores_every_file_with_the_same_hash_i617_29() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare(&data);
    let server = Server::start(&data, &[]);
    let client = Client::sign_in(&server.base, "t.head");
    let mut before: Posted = Vec::new();
    for i in 0..6 {
        before.extend(post(&client, &format!("до копии {i}"), &[20_000, 700_000 + i * 1000]));
    }
    // Uploads keep arriving while the backup runs (bounded: at most 60 documents).
    let stop = Arc::new(AtomicBool::new(false));
    let uploader = {
        let (stop, base) = (stop.clone(), server.base.clone());
        std::thread::spawn(move || {
            let client = Client::sign_in(&base, "t.head");
            let mut during: Posted = Vec::new();
            for i in 0..60 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                during.extend(post(&client, &format!("во время копии {i}"), &[300_000]));
            }
            during
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let file = dir.path().join("backup.ipgobak");
    let out = ok(ipgo(&["backup", "--to", file.to_str().unwrap()], &data));
    assert!(out.contains("backup written"), "{out}");
    stop.store(true, Ordering::Relaxed);
    let during = uploader.join().unwrap();
    assert!(!during.is_empty(), "uploads ran concurrently with the backup");

    let restored = dir.path().join("restored");
    let out = ok(ipgo(&["restore", "--from", file.to_str().unwrap()], &restored));
    assert!(out.contains("signature and every sha256 match"), "{out}");
    let out = ok(ipgo(&["verify"], &restored));
    assert!(out.contains("document store intact") && out.contains("access log intact"), "{out}");
    drop(server);

    let server = Server::start(&restored, &[]);
    let client = Client::sign_in(&server.base, "t.head");
    for (doc, file, hash) in &before {
        assert_eq!(download_sha(&client, *doc, *file), (200, hash.clone()), "document {doc}");
    }
    // Documents posted during the backup are either wholly in it or wholly absent.
    let mut present = 0;
    for (doc, file, hash) in &during {
        match download_sha(&client, *doc, *file) {
            (200, h) => {
                assert_eq!(&h, hash, "document {doc}");
                present += 1;
            }
            (404, _) => {}
            other => panic!("document {doc}: unexpected {other:?}"),
        }
    }
    assert!(present > 0 || !during.is_empty(), "uploads during the backup were checked");
    // The upload after the restore gets a fresh id that the vault does not know yet.
    post(&client, "после восстановления", &[1000]);
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).expect("needle present")
}

#[test]
fn a_backup_with_one_changed_byte_is_refused_naming_the_entry_r365_6() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare(&data);
    {
        let server = Server::start(&data, &[]);
        let client = Client::sign_in(&server.base, "t.head");
        post(&client, "документ", &[5000, 70_000]);
    }
    // Move the access log so far into a monthly archive, so the backup carries one.
    let out = ok(ipgo(&["audit", "archive", "--before", "now"], &data));
    assert!(out.contains("archived entries"), "{out}");
    let file = dir.path().join("b.ipgobak");
    ok(ipgo(&["backup", "--to", file.to_str().unwrap()], &data));
    let listing = ok_cmd(Command::new("tar").arg("tf").arg(&file));
    assert!(listing.lines().any(|l| l.starts_with("archive/audit-")), "{listing}");
    let bytes = std::fs::read(&file).unwrap();
    let archive_header = find(&bytes, b"archive/audit-");
    let blob_header = find(&bytes, b"blobs/");
    let manifest_header = find(&bytes, b"manifest.json\0");
    let db_header = find(&bytes, b"db/ipgo.redb\0");
    let cases: Vec<(&str, usize, &str)> = vec![
        ("blob data", blob_header + 512 + 100, "blobs/"),
        ("database", db_header + 512 + 4000, "db/ipgo.redb"),
        ("manifest", manifest_header + 512 + 30, "manifest"),
        ("access-log archive", archive_header + 512 + 60, "archive/audit-"),
        ("entry header (mtime)", blob_header + 140, "blobs/"),
        ("end marker", bytes.len() - 3, "end of the archive"),
    ];
    for (what, at, named) in cases {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x01;
        let bad = dir.path().join(format!("bad-{}.ipgobak", what.replace(' ', "-")));
        std::fs::write(&bad, &damaged).unwrap();
        let target = dir.path().join(format!("r-{}", what.replace(' ', "-")));
        let out = ipgo(&["restore", "--from", bad.to_str().unwrap()], &target);
        let msg = text(&out);
        assert!(!out.status.success(), "{what}: a damaged backup was restored");
        assert!(msg.contains(named) && msg.contains("damaged"), "{what}: {msg}");
        assert!(!target.exists(), "{what}: nothing may be left behind");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("restoring"))
        .collect();
    assert!(leftovers.is_empty(), "staging directories were removed");
    // The intact file still restores, archive included, and the access log checks out.
    let good = dir.path().join("good");
    ok(ipgo(&["restore", "--from", file.to_str().unwrap()], &good));
    let out = ok(ipgo(&["audit", "verify"], &good));
    assert!(out.contains("1 archives") && out.contains("access log intact"), "{out}");
}

#[test]
fn destroyed_documents_never_come_back_from_an_older_backup_i385_6_8() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare(&data);
    let server = Server::start(&data, &[]);
    let client = Client::sign_in(&server.base, "t.head");
    let doomed = post(&client, "уничтожить", &[40_000]);
    let kept = post(&client, "сохранить", &[50_000]);
    let file = dir.path().join("old.ipgobak");
    ok(ipgo(&["backup", "--to", file.to_str().unwrap()], &data));
    let doomed_id = doomed[0].0;
    let (status, body) = client.post_json(
        &format!("/api/v1/documents/{doomed_id}/destroy"),
        serde_json::json!({"reason": "Истёк срок хранения"}),
    );
    assert_eq!(status, 200, "{body}");
    drop(server);

    let restored = dir.path().join("restored");
    let out = ok(ipgo(&["restore", "--from", file.to_str().unwrap()], &restored));
    assert!(out.contains(&format!("document {doomed_id}: destroyed after this backup")), "{out}");
    ok(ipgo(&["verify"], &restored));
    let blobs = blob_files(&restored);
    assert_eq!(blobs.len(), 1, "only the kept document's blob is restored: {blobs:?}");
    let server = Server::start(&restored, &[]);
    let client = Client::sign_in(&server.base, "t.head");
    let (status, _) = client.get(&format!("/api/v1/documents/{doomed_id}"));
    assert_eq!(status, 410, "the destroyed document stays destroyed");
    assert_eq!(download_sha(&client, kept[0].0, kept[0].1), (200, kept[0].2.clone()));
}

#[test]
fn a_restored_installation_finds_its_documents_by_search_i617_29() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare(&data);
    let server = Server::start(&data, &[]);
    let client = Client::sign_in(&server.base, "t.head");
    let kept = post(&client, "Регламент резервирования", &[30_000])[0].0;
    let doomed = post(&client, "Реестр уничтожаемых", &[30_000])[0].0;
    let found = |c: &Client, q: &str| -> Vec<u64> {
        let q = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC);
        let (status, body) = c.get(&format!("/api/v1/search?q={q}"));
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["hits"].as_array().unwrap().iter().map(|h| h["document_id"].as_u64().unwrap()).collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while found(&client, "резервированию").is_empty() || found(&client, "реестра").is_empty()
    {
        assert!(Instant::now() < deadline, "the documents were never indexed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let file = dir.path().join("backup.ipgobak");
    ok(ipgo(&["backup", "--to", file.to_str().unwrap()], &data));
    let (status, body) = client.post_json(
        &format!("/api/v1/documents/{doomed}/destroy"),
        serde_json::json!({"reason": "Истёк срок хранения"}),
    );
    assert_eq!(status, 200, "{body}");
    drop(server);
    assert!(data.join("index").is_dir(), "the live installation has an index");

    // The index is derived data: not in the backup, built again by the restore (issue 6).
    let listing = ok_cmd(Command::new("tar").arg("tf").arg(&file));
    assert!(!listing.lines().any(|l| l.starts_with("index")), "{listing}");
    let restored = dir.path().join("restored");
    let out = ok(ipgo(&["restore", "--from", file.to_str().unwrap()], &restored));
    assert!(out.contains("search index built: 1 documents"), "{out}");
    assert!(restored.join("index").is_dir());

    // Searchable from the first start, without waiting for the server to index anything.
    let server = Server::start(&restored, &[]);
    let client = Client::sign_in(&server.base, "t.head");
    assert_eq!(found(&client, "резервированию"), vec![kept], "found by an inflected word");
    assert!(found(&client, "реестра").is_empty(), "the destroyed document is not found");
    let (_, ready) = client.get("/readyz");
    let ready: serde_json::Value = serde_json::from_slice(&ready).unwrap();
    assert_eq!(ready["checks"]["search"]["documents"], 1, "{ready}");
}

#[test]
fn keys_travel_only_in_the_passphrase_protected_key_backup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare(&data);
    let server = Server::start(&data, &[]);
    let client = Client::sign_in(&server.base, "t.head");
    let posted = post(&client, "ключи", &[30_000]);
    let backup = dir.path().join("d.ipgobak");
    let keys = dir.path().join("k.ipgokeys");
    ok(ipgo(&["backup", "--to", backup.to_str().unwrap()], &data));
    let pass = "correct horse battery staple";
    let out =
        ok(ipgo_env(&["backup-keys", "--to", keys.to_str().unwrap()], &data, &[], Some(pass)));
    assert!(out.contains("keys written"), "{out}");
    drop(server);
    // Neither file holds the other's secrets.
    let data_backup = std::fs::read(&backup).unwrap();
    let vault_key = std::fs::read(data.join("keys/vault.key")).unwrap();
    assert!(data_backup.windows(vault_key.len()).all(|w| w != &vault_key[..]));
    assert!(!String::from_utf8_lossy(&data_backup).contains("PRIVATE KEY"));

    // A new machine: keys apart from the data, restored from the key backup.
    let new_keys = dir.path().join("newkeys");
    let env = [("IPGO_STORAGE__KEYS_DIR", new_keys.to_str().unwrap())];
    let restored = dir.path().join("restored");
    let out = ipgo_env(&["restore", "--from", backup.to_str().unwrap()], &restored, &env, None);
    assert!(!out.status.success() && text(&out).contains("restore-keys"), "{}", text(&out));
    let out = ipgo_env(
        &["restore-keys", "--from", keys.to_str().unwrap()],
        &restored,
        &env,
        Some("wrong passphrase!"),
    );
    assert!(!out.status.success() && text(&out).contains("does not open"), "{}", text(&out));
    ok(ipgo_env(&["restore-keys", "--from", keys.to_str().unwrap()], &restored, &env, Some(pass)));
    ok(ipgo_env(&["restore", "--from", backup.to_str().unwrap()], &restored, &env, None));
    ok(ipgo_env(&["verify"], &restored, &env, None));
    let server = Server::start(&restored, &env);
    let client = Client::sign_in(&server.base, "t.head");
    assert_eq!(download_sha(&client, posted[0].0, posted[0].1), (200, posted[0].2.clone()));
    drop(server);

    // Another appliance's keys cannot be used to restore this backup.
    let other = dir.path().join("other");
    ok(ipgo(&["init"], &other));
    let out = ipgo_env(
        &["restore", "--from", backup.to_str().unwrap()],
        &dir.path().join("r2"),
        &[("IPGO_STORAGE__KEYS_DIR", other.join("keys").to_str().unwrap())],
        None,
    );
    assert!(
        !out.status.success() && text(&out).contains("restore that appliance's keys"),
        "{}",
        text(&out)
    );
}

/// A small tmpfs mounted for one test and unmounted afterwards.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size_mb: u64) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mb}m"), "tmpfs"])
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "mounting a tmpfs needs root: {}", text(&out));
        Tmpfs(path.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn uploads_fail_cleanly_on_a_full_disk_and_resume_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("small");
    let _fs = Tmpfs::mount(&mount, 48);
    let data = mount.join("data");
    prepare(&data);
    // Floor 16 MiB on a 48 MiB filesystem.
    let env = [("IPGO_STORAGE__DISK_FLOOR_MB", "16")];
    let server = Server::start(&data, &env);
    let client = Client::sign_in(&server.base, "t.head");
    let first = post(&client, "до заполнения", &[100_000]);
    let ballast = mount.join("ballast");
    {
        let mut f = std::fs::File::create(&ballast).unwrap();
        let free = rustix::fs::statvfs(&mount).unwrap();
        let free = free.f_bavail * free.f_frsize;
        // Leave 8 MiB: below the floor.
        let chunk = vec![0x5au8; 1 << 20];
        for _ in 0..(free / (1 << 20)).saturating_sub(8) {
            f.write_all(&chunk).unwrap();
        }
        f.sync_all().unwrap();
    }
    let (status, body) = client.post_document("ниже порога", &[("a.pdf", pdf(200_000))]);
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["code"], "insufficient_storage");
    // Now the filesystem itself runs out during an upload (no floor).
    drop(server);
    let server = Server::start(&data, &[("IPGO_STORAGE__DISK_FLOOR_MB", "0")]);
    let client = Client::sign_in(&server.base, "t.head");
    // The server answers 507 as soon as the write fails; it may close the connection
    // before the client has sent the rest, which the client sees as a cut connection.
    match client.try_post_document("диск полон", &[("big.pdf", pdf(12_000_000))]) {
        Ok((status, body)) => assert_eq!(status, 507, "ENOSPC during the upload: {body}"),
        Err(e) => eprintln!("the server cut the upload short: {e}"),
    }
    let health = agent().get(format!("{}/healthz", server.base)).call().unwrap();
    assert_eq!(health.status(), 200, "the server keeps serving on a full disk");
    let tmp_left = std::fs::read_dir(data.join("blobs/tmp")).unwrap().count();
    assert_eq!(tmp_left, 0, "the partial upload left nothing behind");
    drop(server);
    ok(ipgo(&["verify"], &data));
    // Nearly full at start-up: the access log's journal cannot get a whole segment's space
    // ahead (8 MiB), starts a smaller one and logs every request (issue 18 target 4).
    let journal = data.join("audit-journal");
    let segment_sizes = || -> Vec<u64> {
        let listing = std::fs::read_dir(&journal).unwrap();
        listing.map(|e| e.unwrap().metadata().unwrap().len()).collect()
    };
    let more_ballast = mount.join("more-ballast");
    {
        // After a clean stop every entry is committed, and start-up removes the old
        // segments: removed here first, so that the ballast takes their space too.
        for e in std::fs::read_dir(&journal).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
        let mut f = std::fs::File::create(&more_ballast).unwrap();
        let free = rustix::fs::statvfs(&mount).unwrap();
        let free = free.f_bavail * free.f_frsize;
        let chunk = vec![0x5au8; 1 << 20];
        for _ in 0..(free / (1 << 20)).saturating_sub(2) {
            f.write_all(&chunk).unwrap();
        }
        f.sync_all().unwrap();
    }
    let server = Server::start(&data, &[("IPGO_STORAGE__DISK_FLOOR_MB", "0")]);
    for _ in 0..20 {
        let health = agent().get(format!("{}/healthz", server.base)).call().unwrap();
        assert_eq!(health.status(), 200, "the server serves with 2 MiB left");
    }
    let sizes = segment_sizes();
    assert!(sizes.iter().all(|s| *s > 0 && *s < 8 << 20), "journal segments: {sizes:?}");
    drop(server);
    ok(ipgo(&["verify"], &data));
    std::fs::remove_file(&more_ballast).unwrap();
    // Space returns: service resumes, earlier documents intact.
    std::fs::remove_file(&ballast).unwrap();
    let server = Server::start(&data, &env);
    let client = Client::sign_in(&server.base, "t.head");
    post(&client, "после освобождения", &[100_000]);
    assert_eq!(download_sha(&client, first[0].0, first[0].1), (200, first[0].2.clone()));
    drop(server);
    ok(ipgo(&["verify"], &data));
}

#[test]
fn metrics_are_for_loopback_or_the_monitoring_roles_i617_24() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare(&data);
    let env = [("IPGO_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1/32\"]")];
    let server = Server::start(&data, &env);
    let a = agent();
    let mut r = a.get(format!("{}/metrics", server.base)).call().unwrap();
    assert_eq!(r.status(), 200);
    let body = r.body_mut().read_to_string().unwrap();
    for needle in [
        "ipgo_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"2xx\"}",
        "ipgo_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.005\"}",
        "ipgo_audit_queue_length",
        "ipgo_disk_free_bytes",
        "ipgo_last_backup_age_seconds +Inf",
    ] {
        assert!(body.contains(needle), "missing {needle} in\n{body}");
    }
    // Seen from elsewhere (through a trusted proxy): only the monitoring roles.
    let remote = |cookie: Option<&str>| {
        let mut req =
            a.get(format!("{}/metrics", server.base)).header("x-forwarded-for", "10.20.30.40");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.call().unwrap().status().as_u16()
    };
    assert_eq!(remote(None), 401);
    let employee = Client::sign_in(&server.base, "t.head");
    assert_eq!(remote(Some(&employee.cookie)), 403);
    let admin = Client::sign_in(&server.base, "t.admin");
    assert_eq!(remote(Some(&admin.cookie)), 200);
    ok(ipgo(&["backup", "--to", dir.path().join("m.ipgobak").to_str().unwrap()], &data));
    let mut r = a.get(format!("{}/metrics", server.base)).call().unwrap();
    let body = r.body_mut().read_to_string().unwrap();
    assert!(body.contains("ipgo_last_backup_timestamp_seconds "), "{body}");
}

#[test]
fn maintenance_is_announced_to_everyone_at_least_24_hours_ahead_i617_17() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare(&data);
    let server = Server::start(&data, &[]);
    let admin = Client::sign_in(&server.base, "t.admin");
    let employee = Client::sign_in(&server.base, "t.head");
    let at = |hours: i64| {
        let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours);
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    };
    let window = |starts: String| {
        serde_json::json!({"starts": starts, "ends": at(30), "effect": "stops",
            "note_ru": "Обновление сервера", "note_kk": "Серверді жаңарту"})
    };
    let (status, body) = admin.post_json("/api/v1/maintenance", window(at(23)));
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("24"), "{body}");
    let (status, _) = employee.post_json("/api/v1/maintenance", window(at(25)));
    assert_eq!(status, 403, "only the system administrator schedules");
    let (status, body) = admin.post_json("/api/v1/maintenance", window(at(25)));
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_u64().unwrap();
    let (status, page) = employee.get("/documents?lang=kk");
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("Обновление сервера") && page.contains("class=\"maintenance\""),
        "banner on every page"
    );
    let (status, _) =
        admin.post_json(&format!("/api/v1/maintenance/{id}/cancel"), serde_json::json!({}));
    assert_eq!(status, 200);
    let (_, page) = employee.get("/documents");
    assert!(
        !String::from_utf8(page).unwrap().contains("class=\"maintenance\""),
        "cancelled: no banner"
    );
}

#[test]
fn the_server_tells_systemd_it_is_ready_and_keeps_pinging_the_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    prepare(&data);
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let server = Server::start(
        &data,
        &[("NOTIFY_SOCKET", socket_path.to_str().unwrap()), ("WATCHDOG_USEC", "1000000")],
    );
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let n = socket.recv(&mut buf).expect("a notification");
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        seen.push(msg);
        let watchdogs = seen.iter().filter(|m| m.contains("WATCHDOG=1")).count();
        if seen.iter().any(|m| m.contains("READY=1")) && watchdogs >= 3 {
            break;
        }
    }
    assert!(seen.iter().any(|m| m.contains("READY=1")), "{seen:?}");
    assert!(seen.iter().filter(|m| m.contains("WATCHDOG=1")).count() >= 3, "{seen:?}");
    drop(server);
    // Everything sent before the process exited is queued on the socket.
    socket.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut stopping = false;
    while let Ok(n) = socket.recv(&mut buf) {
        stopping |= String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1");
    }
    assert!(stopping, "the server says it is stopping on SIGTERM");
}
