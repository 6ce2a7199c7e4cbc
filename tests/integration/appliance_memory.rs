//! The appliance's operator commands at scale: what `ipgo backup` holds in memory while it
//! copies the database (target 5 of issue 18: memory stays inside the `storage` ceilings),
//! and what the operator reads when a command fails inside.

use std::path::Path;
use std::process::{Command, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ipgo")
}

/// Runs `ipgo ARGS --data DATA` with `env`; returns (success, output, peak resident KiB).
///
/// The peak is the process's own high-water mark (`VmHWM`), read until it exits. Not
/// `wait4`'s `ru_maxrss`: a child started by vfork and exec inherits this test binary's
/// high-water mark into that figure.
fn run(args: &[&str], data: &Path, env: &[(&str, &str)]) -> (bool, String, u64) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(args).arg("--data").arg(data).env_remove("IPGO_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    // One open file for both streams, so that they append rather than overwrite each other.
    let file = out.reopen().unwrap();
    cmd.stdin(Stdio::null()).stdout(file.try_clone().unwrap()).stderr(file);
    let mut child = cmd.spawn().expect("run ipgo");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    (status.success(), std::fs::read_to_string(out.path()).unwrap(), peak)
}

fn installation() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, text, _) = run(
        &["agency", "add", "--code", "MEM", "--name-ru", "Тест", "--name-kk", "Тест"],
        &data,
        &[],
    );
    assert!(ok, "{text}");
    (dir, data)
}

/// Adds `megabytes` of rows to a table the backup copies as it is (comments of documents),
/// straight into the database of a stopped installation.
fn grow(data: &Path, megabytes: usize) {
    const COMMENTS: redb::TableDefinition<(u64, u64), &[u8]> =
        redb::TableDefinition::new("document_comments");
    let db = redb::Database::open(data.join("ipgo.redb")).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut table = txn.open_table(COMMENTS).unwrap();
        let mut row = vec![0u8; 4000];
        for i in 0..(megabytes as u64 * 250) {
            row[..8].copy_from_slice(&i.to_le_bytes());
            table.insert((1_000_000 + i / 100, i), row.as_slice()).unwrap();
        }
    }
    txn.commit().unwrap();
}

/// The copy of the database a backup makes is bounded by `storage.db_cache_mb` like every
/// other database handle (redb's own default is 1 GiB: the backup of a million documents
/// held 1.2 GiB, and a table copied in one transaction kept all of it dirty).
#[test]
fn the_backup_copies_the_database_within_the_configured_page_cache() {
    let (dir, data) = installation();
    let small = [("IPGO_STORAGE__DB_CACHE_MB", "8")];
    let (ok, text, before) =
        run(&["backup", "--to", dir.path().join("a.ipgobak").to_str().unwrap()], &data, &small);
    assert!(ok, "{text}");
    grow(&data, 96);
    let (ok, text, after) =
        run(&["backup", "--to", dir.path().join("b.ipgobak").to_str().unwrap()], &data, &small);
    assert!(ok, "{text}");
    let size = std::fs::metadata(dir.path().join("b.ipgobak")).unwrap().len();
    assert!(size > 96_000_000, "the rows are in the backup: {size} bytes");
    let grew_mib = after.saturating_sub(before) / 1024;
    // 96 MiB of rows pass through; an 8 MiB cache on each side and the copying itself.
    assert!(grew_mib < 48, "the backup's peak grew by {grew_mib} MiB ({before} → {after} KiB)");
}

/// An internal error's cause is hidden from the portal's users; the operator at the console
/// is the support service the message sends people to, and reads it.
#[test]
fn the_operator_reads_the_cause_of_an_internal_error() {
    let (dir, data) = installation();
    {
        const STRAY: redb::TableDefinition<u64, u64> =
            redb::TableDefinition::new("left_by_an_experiment");
        let db = redb::Database::open(data.join("ipgo.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(STRAY).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
    }
    let (ok, text, _) =
        run(&["backup", "--to", dir.path().join("x.ipgobak").to_str().unwrap()], &data, &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("An internal error occurred"), "{text}");
    assert!(
        text.contains("cause: tables not known to the backup: [\"left_by_an_experiment\"]"),
        "{text}"
    );
}
