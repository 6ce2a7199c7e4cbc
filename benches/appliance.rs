//! Appliance benchmark (issue 6): backup and restore throughput beside `tar` of the same
//! data directory in the same run, and the time from process start to ready with many
//! documents.
//!
//! ```sh
//! cargo bench --bench appliance                       # 100 000 documents
//! IPGO_BENCH_DOCS=20000 IPGO_BENCH_DIR=/var/tmp cargo bench --bench appliance
//! ```
//!
//! Documents are posted through the service layer (the same path as the demo corpus:
//! encrypted blob, format check, vault key, one transaction with its access-log entry), so
//! the data directory is what a real one would be. Results are printed, never asserted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::app::App;
use ipgo::config::Config;
use ipgo::portal::directory::model::NewUser;
use ipgo::portal::directory::service as directory;
use ipgo::portal::documents::service::{self as documents, AccessInput, Meta};

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

/// Posts `n` documents of `size` bytes each; returns the seconds taken.
fn load(app: &App, n: usize, size: usize) -> anyhow::Result<f64> {
    let op = operator();
    let user =
        directory::user_by_login(app, &op, "bench.head").map_err(|e| anyhow::anyhow!("{e}"))?;
    let identity =
        directory::identity(app, user.id, false).map_err(|e| anyhow::anyhow!("{e}"))?.unwrap();
    let actor = Actor { who: Who::User(identity), origin: op.origin.clone() };
    let started = Instant::now();
    let mut body = b"%PDF-1.4\n".to_vec();
    body.resize(size.max(64) - 7, b'x');
    body.extend_from_slice(b"\n%%EOF\n");
    for i in 0..n {
        // Distinct content per document (blobs are content-addressed after encryption
        // anyway, but the plaintext hashes differ as in real life).
        let stamp = format!("{i:012}");
        body[9..21].copy_from_slice(stamp.as_bytes());
        let ticket = documents::prepare_post(app, &actor).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut w = app.blobs.writer(ticket.key())?;
        w.write_all(&body)?;
        let pending = w.finish()?;
        let accepted = ipgo::portal::documents::upload::accept(
            app,
            ticket.key(),
            format!("d{i}.pdf"),
            pending,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let meta = Meta {
            doc_type: Some("generic".into()),
            title: format!("Документ № {i}"),
            access: Some(AccessInput::Word("agency".into())),
            ..Default::default()
        };
        documents::commit(app, &actor, ticket, meta, vec![accepted])
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if (i + 1) % 10_000 == 0 {
            eprintln!(
                "  {} documents posted ({:.0}/s)",
                i + 1,
                (i + 1) as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(started.elapsed().as_secs_f64())
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

fn time(cmd: &mut Command) -> f64 {
    let t = Instant::now();
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    t.elapsed().as_secs_f64()
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
    let _ = Command::new("sync").status();
    let _ = std::fs::write("/proc/sys/vm/drop_caches", "3");
}

fn ready_after_start(bin: &Path, data: &Path) -> f64 {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let t = Instant::now();
    let mut child = Command::new(bin)
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

fn main() -> anyhow::Result<()> {
    ipgo::web::tls::install_provider();
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let docs: usize =
        std::env::var("IPGO_BENCH_DOCS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let base =
        std::env::var("IPGO_BENCH_DIR").map(PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let dir = tempfile::tempdir_in(base)?;
    let bin = bin();

    // 1. Throughput: fewer, larger documents (256 KiB each, 1 GiB of files).
    if std::env::var_os("IPGO_BENCH_ONLY_STARTUP").is_none() {
        throughput(&bin, dir.path())?;
    }
    startup(&bin, dir.path(), docs)?;
    if std::env::var_os("IPGO_BENCH_KEEP").is_some() {
        println!("kept {}", dir.keep().display());
    }
    Ok(())
}

fn throughput(bin: &Path, dir: &Path) -> anyhow::Result<()> {
    let big = dir.join("big");
    let app = prepare(&big)?;
    let secs = load(&app, 4096, 256 * 1024)?;
    println!("loaded 4096 documents of 256 KiB through the service layer in {secs:.1} s");
    app.shutdown();
    drop(app);
    let size = du(&big) as f64 / 1e6;
    println!("data directory: {size:.0} MB");
    let backup = dir.join("big.ipgobak");
    drop_caches();
    let t_backup =
        time(Command::new(bin).args(["backup", "--to"]).arg(&backup).arg("--data").arg(&big));
    drop_caches();
    let tarball = dir.join("big.tar");
    let t_tar = time(Command::new("tar").arg("cf").arg(&tarball).arg("-C").arg(&big).arg("."));
    let restored = dir.join("restored");
    drop_caches();
    let t_restore = time(
        Command::new(bin)
            .args(["restore", "--from"])
            .arg(&backup)
            .arg("--data")
            .arg(&restored)
            .env("IPGO_STORAGE__DISK_FLOOR_MB", "0"),
    );
    let untar = dir.join("untar");
    std::fs::create_dir(&untar)?;
    drop_caches();
    let t_untar = time(Command::new("tar").arg("xf").arg(&tarball).arg("-C").arg(&untar));
    let backup_mb = std::fs::metadata(&backup)?.len() as f64 / 1e6;
    println!("| operation | seconds | MB/s |\n|---|---|---|");
    println!(
        "| ipgo backup ({backup_mb:.0} MB file) | {t_backup:.2} | {:.0} |",
        backup_mb / t_backup
    );
    println!("| tar cf of the same data directory | {t_tar:.2} | {:.0} |", size / t_tar);
    println!(
        "| ipgo restore (verifies every hash and the signature, then ipgo verify) | {t_restore:.2} | {:.0} |",
        backup_mb / t_restore
    );
    println!("| tar xf | {t_untar:.2} | {:.0} |", size / t_untar);
    for p in [&tarball, &backup] {
        std::fs::remove_file(p)?;
    }
    for p in [&restored, &untar, &big] {
        std::fs::remove_dir_all(p)?;
    }

    Ok(())
}

/// 2. Start-up with many documents.
fn startup(bin: &Path, dir: &Path, docs: usize) -> anyhow::Result<()> {
    let many = dir.join("many");
    let app = prepare(&many)?;
    let secs = load(&app, docs, 2048)?;
    println!("loaded {docs} documents of 2 KiB in {secs:.0} s ({:.0}/s)", docs as f64 / secs);
    app.shutdown();
    drop(app);
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
    Ok(())
}
