//! Shared harness of the integration tests: starts the real `ipgo` binary on a free loopback
//! port with a temporary data directory, runs its CLI, and talks to it over HTTP with a
//! small cookie-keeping client that returns `(status, json)`.
//!
//! Nothing here imitates the portal: every test drives the built binary
//! (`CARGO_BIN_EXE_ipgo`) through its public surfaces — HTTP, the command line, the files
//! it writes.

#![allow(dead_code)]

pub mod browser;
pub mod client;
pub mod documents;
pub mod installation;
pub mod server;
pub mod smtp;
pub mod xlsx;

pub use client::Resp;

/// Processes of shared fixtures kept in statics, which Rust never drops: without this, a
/// shared server outlived the test binary (found still serving, and taking CPU from the
/// benchmarks, after a run).
static ENDED_AT_EXIT: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// Sends SIGTERM to `pid` when the test binary exits (the harness returns from `main` or
/// calls `exit`; both run `atexit` handlers).
pub fn end_at_exit(pid: u32) {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    extern "C" fn end_all() {
        if let Ok(pids) = ENDED_AT_EXIT.lock() {
            for &pid in pids.iter() {
                // SAFETY: kill(2) with a pid this binary started; nothing else is touched.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            }
        }
    }
    // SAFETY: registers a plain function with no captured state.
    REGISTERED.call_once(|| unsafe {
        libc::atexit(end_all);
    });
    ENDED_AT_EXIT.lock().unwrap().push(pid);
}
pub use server::{CliOutput, Server, ServerBuilder, ipgo};

/// Every role, in the portal's order.
pub const ROLES: &[&str] = &[
    "employee",
    "head",
    "hr_officer",
    "civil_service_verifier",
    "okdo_officer",
    "plan_responsible",
    "controller",
    "survey_author",
    "support_admin",
    "system_admin",
    "auditor",
];

/// A password that passes the portal's strength rules.
pub const PASSWORD: &str = "Correct-Horse-42";

/// A loopback port nobody listens on right now.
/// Writes an executable shell script `name` into `dir` (a stand-in for a program a test runs).
pub fn executable_script(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write script");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod script");
    path
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `secs` seconds.
pub fn wait_for<T>(what: &str, secs: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        if std::time::Instant::now() > deadline {
            panic!("timed out after {secs} s waiting for {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Access-log entries (as JSON) whose `resource` and `method` are the given ones.
pub fn entries_for<'a>(
    entries: &'a [serde_json::Value],
    method: &str,
    resource: &str,
) -> Vec<&'a serde_json::Value> {
    entries.iter().filter(|e| e["method"] == method && e["resource"] == resource).collect()
}

/// A message from the Fluent files `web/locales/<lang>/*.ftl` (single-line messages only).
pub fn ftl(lang: &str, key: &str) -> String {
    let dir = format!("{}/web/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("locale folder")
        .map(|e| e.expect("locale entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
        .collect();
    files.sort();
    files
        .iter()
        .find_map(|path| {
            let text = std::fs::read_to_string(path).expect("locale file");
            text.lines().find_map(|l| l.strip_prefix(&format!("{key} = "))).map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("{key} not in {lang}"))
}
