//! Appliance benchmark (issues 6 and 18): backup and restore beside `tar` of the same data
//! directory in the same run, and the time from process start to ready, with many documents.
//!
//! ```sh
//! cargo bench --bench appliance                       # 100 000 documents
//! IPGO_BENCH_DOCS=20000 IPGO_BENCH_DIR=/var/tmp cargo bench --bench appliance
//! # a million documents (issue 18): load without flushes, measure with them
//! cargo bench --bench appliance --no-run
//! IPGO_BENCH_DOCS=1000000 IPGO_BENCH_ONLY_STARTUP=1 IPGO_BENCH_ATTACHMENT_SHARE=0.01 \
//!   IPGO_BENCH_DIR=/var/tmp eatmydata target/release/deps/appliance-<hash>
//! ```
//!
//! Documents are posted through the service layer from `IPGO_BENCH_LOAD_THREADS` threads (2)
//! — the same path as an upload: encrypted blob, format check, vault key, one transaction
//! with its access-log entry; the search feed indexes them as on a live server — so the data
//! directory is what a real one would be. The second part's documents are generated from the
//! regulations' vocabulary (`IPGO_CORPUS`) in the portal's shape. Under `eatmydata` (Debian
//! package) loading skips its flushes; every measured command runs without it. `IPGO_BENCH_ONLY_STARTUP`
//! skips the first part (1 GiB of 256 KiB files), `IPGO_BENCH_KEEP` keeps the data directory.
//! Results are printed, never asserted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::app::App;
use ipgo::config::Config;
use ipgo::portal::directory::model::NewUser;
use ipgo::portal::directory::service as directory;
use ipgo::portal::documents::service::{self as documents, AccessInput, Meta};
use ipgo::search::corpus_gen::{GenConfig, Generator, Vocabulary};

fn operator() -> Actor {
    Actor {
        who: Who::Operator { os_user: "bench".into() },
        origin: Origin::new(
            Channel::Admin,
            "local".into(),
            "ADMIN",
            "bench".into(),
            "bench".into(),
        ),
    }
}

fn du(path: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(path).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            total += du(&p);
        } else if let Ok(m) = e.metadata() {
            total += m.len();
        }
    }
    total
}

/// One document to post: its title, its text and its files (name, bytes).
struct Doc {
    title: String,
    text: String,
    files: Vec<(String, Vec<u8>)>,
}

/// Given the first index of a thread's share, what makes that thread's documents in turn.
type Maker<'a> = dyn Fn(usize) -> Box<dyn FnMut(usize) -> Doc + 'a> + Sync + 'a;

/// Posts `n` documents from `threads` threads (each its share in order, `start(first)`
/// making the share's documents); returns the seconds taken. Several threads overlap one document's flushes
/// with the next one's work, as concurrent uploads do on a live server.
fn load(app: &App, n: usize, threads: usize, start: &Maker) -> anyhow::Result<f64> {
    let op = operator();
    let user =
        directory::user_by_login(app, &op, "bench.head").map_err(|e| anyhow::anyhow!("{e}"))?;
    let identity =
        directory::identity(app, user.id, false).map_err(|e| anyhow::anyhow!("{e}"))?.unwrap();
    let actor = Actor { who: Who::User(identity), origin: op.origin.clone() };
    let started = Instant::now();
    let posted = std::sync::atomic::AtomicUsize::new(0);
    let threads = threads.clamp(1, n.max(1));
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (actor, posted) = (&actor, &posted);
                scope.spawn(move || -> anyhow::Result<()> {
                    let first = t * n / threads;
                    let mut make = start(first);
                    for i in first..(t + 1) * n / threads {
                        post(app, actor, make(i))?;
                        let done = posted.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if done % 10_000 == 0 {
                            eprintln!(
                                "  {done} documents posted ({:.0}/s)",
                                done as f64 / started.elapsed().as_secs_f64()
                            );
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().expect("a loading thread panicked")?;
        }
        Ok(())
    })?;
    Ok(started.elapsed().as_secs_f64())
}

/// Posts one document through the service layer (the same path as an upload: encrypted
/// blob, format check, vault key, one transaction with its access-log entry).
fn post(app: &App, actor: &Actor, doc: Doc) -> anyhow::Result<()> {
    let ticket = documents::prepare_post(app, actor).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut accepted = Vec::new();
    for (name, bytes) in doc.files {
        let mut w = app.blobs.writer(ticket.key())?;
        w.write_all(&bytes)?;
        let pending = w.finish()?;
        accepted.push(
            ipgo::portal::documents::upload::accept(app, ticket.key(), name, pending)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    let meta = Meta {
        doc_type: Some("generic".into()),
        title: doc.title,
        text: doc.text,
        access: Some(AccessInput::Word("agency".into())),
        ..Default::default()
    };
    documents::commit(app, actor, ticket, meta, accepted).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// A PDF of `size` bytes whose content differs per `i` (the plaintext hashes differ as in
/// real life).
fn fixed_pdf(i: usize, size: usize) -> Doc {
    let mut body = b"%PDF-1.4\n".to_vec();
    body.resize(size.max(64) - 7, b'x');
    body.extend_from_slice(b"\n%%EOF\n");
    body[9..21].copy_from_slice(format!("{i:012}").as_bytes());
    Doc {
        title: format!("Документ № {i}"),
        text: String::new(),
        files: vec![(format!("d{i}.pdf"), body)],
    }
}

/// Waits until the search feed has indexed everything posted, printing its progress.
fn wait_for_index(app: &App) -> f64 {
    let started = Instant::now();
    let mut said = Instant::now();
    loop {
        let feed = app.search.status().feed;
        if feed.queued == 0 {
            return started.elapsed().as_secs_f64();
        }
        if said.elapsed() > Duration::from_secs(30) {
            eprintln!("  search feed: {} documents still to index", feed.queued);
            said = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn prepare(data: &Path) -> anyhow::Result<std::sync::Arc<App>> {
    let mut config = Config::default();
    config.storage.data_dir = data.to_owned();
    config.storage.disk_floor_mb = 0;
    let app = App::open(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let op = operator();
    directory::create_agency(
        &app,
        &op,
        directory::NewAgency {
            code: "BENCH".into(),
            name_kk: "Бенч".into(),
            name_ru: "Бенч".into(),
            name_en: String::new(),
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    directory::create_user(
        &app,
        &op,
        NewUser {
            login: "bench.head".into(),
            agency: "BENCH".into(),
            roles: vec![ipgo::auth::roles::Role::Employee],
            password: Some("Bench-pass-2026".into()),
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(app)
}

/// A command of the measured kind: never under `eatmydata`, whose `LD_PRELOAD` the bench
/// may run under to load without flushes.
fn cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env_remove("LD_PRELOAD");
    c
}

/// Runs `cmd`; returns the seconds it took and its standard output.
fn time(cmd: &mut Command) -> (f64, String) {
    let t = Instant::now();
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    (t.elapsed().as_secs_f64(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn bin() -> PathBuf {
    // Built by `cargo bench` in the same profile.
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let path = dir.join("ipgo");
    assert!(path.exists(), "build the binary first: cargo build --release ({})", path.display());
    path
}

fn drop_caches() {
    let _ = cmd("sync").status();
    let _ = std::fs::write("/proc/sys/vm/drop_caches", "3");
}

fn ready_after_start(bin: &Path, data: &Path) -> f64 {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let t = Instant::now();
    let mut child = cmd(bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(data)
        .env("IPGO_LOG", "warn")
        .env("IPGO_STORAGE__DISK_FLOOR_MB", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    loop {
        if agent
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .call()
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(600), "server never became ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    let secs = t.elapsed().as_secs_f64();
    let _ = rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::TERM,
    );
    let _ = child.wait();
    secs
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn main() -> ExitCode {
    // The search feed's extraction fork server and children are this executable
    // (`/proc/self/exe extract-server`, or `extract`), as it is the server's own binary in
    // production.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|a| a == "extract-server") {
        return ipgo::search::extract::fork_server_main();
    }
    if args.get(1).is_some_and(|a| a == "extract") {
        let limits = args.iter().position(|a| a == "--limits").and_then(|i| args.get(i + 1));
        return ipgo::search::extract::child_main(limits.map(String::as_str));
    }
    ipgo::web::tls::install_provider();
    if args.iter().any(|a| a == "--list") {
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("appliance bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let docs: usize = env_or("IPGO_BENCH_DOCS", 100_000);
    let threads: usize = env_or("IPGO_BENCH_LOAD_THREADS", 2);
    let base =
        std::env::var("IPGO_BENCH_DIR").map(PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let unsynced = std::env::var("LD_PRELOAD").is_ok_and(|p| p.contains("eatmydata"));
    println!(
        "load average at start: {}; loading from {threads} threads{}",
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        if unsynced {
            " under eatmydata (no flushes while loading; sync after it; every measured command runs without it)"
        } else {
            ""
        }
    );
    let dir = tempfile::tempdir_in(base)?;
    let bin = bin();

    // 1. Throughput: fewer, larger documents (256 KiB each, 1 GiB of files).
    if std::env::var_os("IPGO_BENCH_ONLY_STARTUP").is_none() {
        throughput(&bin, dir.path(), threads)?;
    }
    many(&bin, dir.path(), docs, threads)?;
    if std::env::var_os("IPGO_BENCH_KEEP").is_some() {
        println!("kept {}", dir.keep().display());
    }
    Ok(())
}

/// Writes out what loading left in the page cache (timed: under eatmydata this is the
/// flushing that loading skipped).
fn settle() -> f64 {
    let t = Instant::now();
    let _ = cmd("sync").status();
    t.elapsed().as_secs_f64()
}

fn throughput(bin: &Path, dir: &Path, threads: usize) -> anyhow::Result<()> {
    let big = dir.join("big");
    let app = prepare(&big)?;
    let secs = load(&app, 4096, threads, &|_| Box::new(|i| fixed_pdf(i, 256 * 1024)))?;
    wait_for_index(&app);
    app.shutdown();
    drop(app);
    let synced = settle();
    println!(
        "loaded 4096 documents of 256 KiB through the service layer in {secs:.1} s (+ {synced:.1} s sync)"
    );
    backup_and_restore_beside_tar(bin, &big, dir)
}

/// Part 2: start-up, backup and restore of an installation of `docs` documents shaped like a
/// portal's (median text ≈ 3 KB; one in twenty with a text attachment of 50–200 KB unless
/// `IPGO_BENCH_ATTACHMENT_SHARE` says otherwise).
fn many(bin: &Path, dir: &Path, docs: usize, threads: usize) -> anyhow::Result<()> {
    let corpus = std::env::var_os("IPGO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let vocab = Vocabulary::from_dir(&corpus)
        .map_err(|e| anyhow::anyhow!("the regulations' vocabulary in {}: {e}", corpus.display()))?;
    // The portal's shape (`GenConfig::portal`); IPGO_BENCH_ATTACHMENT_SHARE makes the share
    // of documents with an attachment smaller where the disk cannot hold a million of them
    // several times over (data, backup, restored copy).
    let shape = GenConfig {
        attachment_share: env_or(
            "IPGO_BENCH_ATTACHMENT_SHARE",
            GenConfig::portal().attachment_share,
        ),
        ..GenConfig::portal()
    };
    println!("documents shaped like a portal's: {shape:?}");
    let shape = &shape;
    let text_bytes = AtomicU64::new(0);
    let many = dir.join("many");
    let app = prepare(&many)?;
    let (vocab, text_bytes_ref) = (&vocab, &text_bytes);
    let secs = load(&app, docs, threads, &|first| {
        let mut g =
            Generator::starting_at(vocab, 18_000 + first as u64, shape.clone(), first as u64);
        Box::new(move |_| {
            let d = g.next_document();
            let bytes = d.body.len() + d.attachments.iter().map(|a| a.text.len()).sum::<usize>();
            text_bytes_ref.fetch_add(bytes as u64, Ordering::Relaxed);
            Doc {
                title: d.title,
                text: d.body,
                files: d.attachments.into_iter().map(|a| (a.name, a.text.into_bytes())).collect(),
            }
        })
    })?;
    let behind = wait_for_index(&app);
    app.shutdown();
    drop(app);
    let synced = settle();
    let mb = text_bytes.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "loaded {docs} documents ({mb:.0} MB of text) in {secs:.0} s ({:.0}/s); the search feed finished {behind:.0} s after the last; sync {synced:.0} s",
        docs as f64 / secs
    );
    for part in ["ipgo.redb", "blobs", "index", "audit"] {
        let p = many.join(part);
        let size =
            if p.is_dir() { du(&p) } else { std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0) };
        println!("  {part}: {:.0} MB", size as f64 / 1e6);
    }
    let warm = ready_after_start(bin, &many);
    drop_caches();
    let cold = ready_after_start(bin, &many);
    let tiny = dir.join("empty");
    prepare(&tiny)?.shutdown();
    let empty = ready_after_start(bin, &tiny);
    println!("| start → /readyz 200 | seconds |\n|---|---|");
    println!("| empty data directory (baseline) | {empty:.2} |");
    println!("| {docs} documents, warm cache | {warm:.2} |");
    println!("| {docs} documents, caches dropped | {cold:.2} |");
    backup_and_restore_beside_tar(bin, &many, dir)
}

/// `ipgo backup` and `ipgo restore` (which verifies every hash and the signature and builds
/// the search index from the restored documents) beside `tar cf` and `tar xf` of the same
/// data directory. tar runs first and its files go before ipgo's are made, so the disk holds
/// at most two copies beside the data.
fn backup_and_restore_beside_tar(bin: &Path, data: &Path, dir: &Path) -> anyhow::Result<()> {
    let size = du(data) as f64 / 1e6;
    println!("data directory: {size:.0} MB");
    let untar = dir.join("untar");
    std::fs::create_dir(&untar)?;
    let free = rustix::fs::statvfs(dir).map(|s| s.f_bavail * s.f_frsize).unwrap_or(0) as f64 / 1e6;
    // A tarball beside its unpacked copy needs twice the data's room; on a disk without it,
    // tar's copy runs as one pipe (read all, write all) instead.
    let tar_rows = if free > 2.5 * size {
        let tarball = dir.join("data.tar");
        drop_caches();
        let (t_tar, _) = time(cmd("tar").arg("cf").arg(&tarball).arg("-C").arg(data).arg("."));
        drop_caches();
        let (t_untar, _) = time(cmd("tar").arg("xf").arg(&tarball).arg("-C").arg(&untar));
        std::fs::remove_file(&tarball)?;
        format!(
            "| tar cf of the data directory | {t_tar:.2} | {:.0} |\n| tar xf | {t_untar:.2} | {:.0} |",
            size / t_tar,
            size / t_untar
        )
    } else {
        drop_caches();
        let script = format!(
            "tar cf - -C '{}' . | tar xf - -C '{}' && sync",
            data.display(),
            untar.display()
        );
        let (t_copy, _) = time(cmd("sh").arg("-c").arg(script));
        format!(
            "| tar cf - \\| tar xf - (a copy of the data directory through tar, then sync) | {t_copy:.2} | {:.0} |",
            size / t_copy
        )
    };
    std::fs::remove_dir_all(&untar)?;

    let backup = dir.join("data.ipgobak");
    drop_caches();
    let (t_backup, _) =
        time(cmd(bin).args(["backup", "--to"]).arg(&backup).arg("--data").arg(data));
    let restored = dir.join("restored");
    drop_caches();
    let (t_restore, said) = time(
        cmd(bin)
            .args(["restore", "--from"])
            .arg(&backup)
            .arg("--data")
            .arg(&restored)
            .env("IPGO_STORAGE__DISK_FLOOR_MB", "0"),
    );
    let indexed = said.lines().find(|l| l.starts_with("search index built")).unwrap_or("");
    let backup_mb = std::fs::metadata(&backup)?.len() as f64 / 1e6;
    println!("| operation | seconds | MB/s |\n|---|---|---|");
    println!("{tar_rows}");
    println!(
        "| ipgo backup ({backup_mb:.0} MB file; the search index is left out) | {t_backup:.2} | {:.0} |",
        backup_mb / t_backup
    );
    println!(
        "| ipgo restore (verifies every hash and the signature, builds the search index, then ipgo verify) | {t_restore:.2} | {:.0} |",
        backup_mb / t_restore
    );
    if !indexed.is_empty() {
        println!("restore said: {indexed}");
    }
    std::fs::remove_file(&backup)?;
    std::fs::remove_dir_all(&restored)?;
    Ok(())
}
