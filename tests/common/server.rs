//! The real `ipgo` process under test: `ipgo serve` (or `ipgo demo`) on a free loopback port
//! with its own temporary data directory, stopped (SIGTERM, then SIGKILL) when dropped; and
//! the `ipgo` command line run against the same data directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::client::Client;

pub const BIN: &str = env!("CARGO_BIN_EXE_ipgo");

/// What a finished `ipgo` command printed and how it exited.
#[derive(Debug)]
pub struct CliOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// Panics (showing the output) unless the command exited 0.
    pub fn ok(self) -> CliOutput {
        assert_eq!(self.code, 0, "ipgo failed:\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }
}

/// Runs `ipgo ARGS --data DATA` with `stdin` as standard input.
pub fn ipgo(data: &Path, args: &[&str], stdin: Option<&str>) -> CliOutput {
    ipgo_env(data, args, stdin, &[])
}

/// Like [`ipgo`], with `IPGO_*` settings (e.g. a keys directory outside the data directory).
pub fn ipgo_env(
    data: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(String, String)],
) -> CliOutput {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--data").arg(data);
    clean_env(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn ipgo");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for ipgo");
    CliOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The test's own `IPGO_*` variables must not leak into the process under test.
fn clean_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("IPGO_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("IPGO_LOG", "info");
}

#[derive(Clone, Default)]
pub struct ServerBuilder {
    env: Vec<(String, String)>,
    demo: bool,
    corpus: Option<PathBuf>,
    data: Option<PathBuf>,
    /// The port of the first start (else a free one is picked).
    port: Option<u16>,
    /// The CA the test client trusts when the server serves the agency's certificate.
    trust: Option<PathBuf>,
}

impl ServerBuilder {
    /// An `IPGO_SECTION__KEY` override, e.g. `("IPGO_SESSION__IDLE_TIMEOUT_SECONDS", "2")`.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Mail on, relayed to the SMTP server the test started on loopback `port`.
    pub fn mail_to(self, port: u16) -> Self {
        self.env("IPGO_MAIL__ENABLED", "true")
            .env("IPGO_MAIL__RELAY", "127.0.0.1")
            .env("IPGO_MAIL__PORT", &port.to_string())
            .env("IPGO_MAIL__FROM", "Portal <portal@ipgo.test>")
    }

    /// Runs `ipgo demo` instead of `ipgo serve`.
    pub fn demo(mut self) -> Self {
        self.demo = true;
        self
    }

    /// Runs `ipgo demo --corpus DIR`: every `.txt` file of DIR becomes a document.
    pub fn demo_corpus(mut self, dir: &Path) -> Self {
        self.demo = true;
        self.corpus = Some(dir.to_owned());
        self
    }

    /// Lets the test move the server's clock ([`Server::advance_clock`], [`Server::set_clock`]).
    pub fn controllable_clock(self) -> Self {
        self.env("IPGO_TESTING__CONTROLLABLE_CLOCK", "true")
    }

    /// Serves over HTTPS with a self-signed certificate made on first start.
    pub fn tls(self) -> Self {
        self.env("IPGO_TLS__SELF_SIGNED", "true")
    }

    /// Serves over HTTPS with the agency's certificate and key (`tls.cert`, `tls.key`);
    /// the test client trusts `ca`, the CA that issued them.
    pub fn tls_files(mut self, cert: &Path, key: &Path, ca: &Path) -> Self {
        self.trust = Some(ca.to_owned());
        self.env("IPGO_TLS__CERT", cert.to_str().expect("UTF-8 path"))
            .env("IPGO_TLS__KEY", key.to_str().expect("UTF-8 path"))
    }

    /// Tries this port first (a harness test: a port another server already holds).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Uses this data directory (e.g. one prepared with the CLI before the server starts).
    pub fn data(mut self, dir: &Path) -> Self {
        self.data = Some(dir.to_owned());
        self
    }

    pub fn start(self) -> Server {
        let root = tempfile::Builder::new().prefix("ipgo-test-").tempdir().expect("temp dir");
        let data = self.data.clone().unwrap_or_else(|| root.path().join("data"));
        let tls = self.trust.is_some()
            || self.env.iter().any(|(k, v)| k == "IPGO_TLS__SELF_SIGNED" && v == "true");
        let mut server = Server {
            root,
            data,
            port: self.port.unwrap_or(0),
            scheme: if tls { "https" } else { "http" },
            child: None,
            builder: self,
            healthz_polls: 0,
            starts: 0,
        };
        server.launch();
        server
    }
}

/// A running `ipgo serve` (or `ipgo demo`).
pub struct Server {
    root: tempfile::TempDir,
    /// The data directory.
    pub data: PathBuf,
    pub port: u16,
    pub scheme: &'static str,
    child: Option<Child>,
    builder: ServerBuilder,
    /// `/healthz` requests the harness made while waiting for the start (each is logged).
    pub healthz_polls: usize,
    starts: usize,
}

impl Server {
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The running process's id, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `ipgo serve` with default settings.
    pub fn start() -> Server {
        ServerBuilder::default().start()
    }

    pub fn base_url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    /// A scratch directory beside the data directory, removed with the server.
    pub fn scratch(&self) -> &Path {
        self.root.path()
    }

    fn log_path(&self, stream: &str) -> PathBuf {
        self.root.path().join(format!("server-{}.{stream}", self.starts))
    }

    /// What the server has written to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.log_path("stderr")).unwrap_or_default()
    }

    /// What the server has written to standard output so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.log_path("stdout")).unwrap_or_default()
    }

    fn launch(&mut self) {
        for attempt in 0..3 {
            self.starts += 1;
            if self.port == 0 || attempt > 0 {
                self.port = super::free_port();
            }
            let listen = format!("127.0.0.1:{}", self.port);
            let mut cmd = Command::new(BIN);
            cmd.arg(if self.builder.demo { "demo" } else { "serve" })
                .arg("--data")
                .arg(&self.data)
                .arg("--listen")
                .arg(&listen);
            if let Some(corpus) = &self.builder.corpus {
                cmd.arg("--corpus").arg(corpus);
            }
            clean_env(&mut cmd);
            for (k, v) in &self.builder.env {
                cmd.env(k, v);
            }
            let out = std::fs::File::create(self.log_path("stdout")).expect("stdout file");
            let err = std::fs::File::create(self.log_path("stderr")).expect("stderr file");
            cmd.stdin(Stdio::null()).stdout(out).stderr(err);
            self.child = Some(cmd.spawn().expect("spawn ipgo serve"));
            match self.wait_until_healthy() {
                Ok(()) => return,
                // Another test took the port between our probe and the bind: try another.
                Err(stderr) if stderr.contains("cannot listen") => continue,
                Err(stderr) => panic!("ipgo did not start:\n{stderr}"),
            }
        }
        panic!("ipgo could not find a free port in three attempts");
    }

    /// Whether this server's own log says it listens on its port. Until then an answer on
    /// the port may come from another test's server that took the same free port between
    /// the probe and the bind (seen in CI: a demo test went on while its own demo was still
    /// seeding, and found no accounts file). With a log level that hides the line, `true`.
    fn says_it_listens(&self) -> bool {
        if self.builder.env.iter().any(|(k, _)| k == "IPGO_LOG") {
            return true;
        }
        let port = format!(":{}", self.port);
        self.stderr().lines().any(|l| l.contains("ipgo listening") && l.contains(&port))
    }

    /// Polls `/healthz` until it answers 200; `Err(stderr)` if the process exits first.
    fn wait_until_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut client: Option<Client> = None;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                self.child = None;
                return Err(format!("exit {status}\n{}", self.stderr()));
            }
            if client.is_none() && (self.scheme == "http" || self.trust_anchor().exists()) {
                client = Some(Client::new(self));
            }
            if let Some(c) = &client
                && self.says_it_listens()
                && let Some(status) = c.probe("/healthz")
            {
                self.healthz_polls += 1;
                if status == 200 {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("no answer on /healthz within 60 s\n{}", self.stderr()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The self-signed certificate the server made (TLS mode).
    pub fn certificate(&self) -> PathBuf {
        self.data.join("keys").join("tls-self-signed.crt")
    }

    /// The certificate the test client trusts: the agency's CA given to
    /// [`ServerBuilder::tls_files`], else the self-signed certificate.
    pub fn trust_anchor(&self) -> PathBuf {
        self.builder.trust.clone().unwrap_or_else(|| self.certificate())
    }

    /// Stops the server the way systemd does (SIGTERM) and waits for it to finish its
    /// shutdown (final access-log commit and checkpoint). Kills it after 20 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let pid = rustix::process::Pid::from_child(&child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("ipgo did not stop within 20 s of SIGTERM");
                }
            }
        }
    }

    /// Kills the server with SIGKILL, as a power cut or the OOM killer would, together with
    /// its children as systemd kills the unit's whole cgroup before it restarts the service.
    /// An extraction child caught between fork and exec still shares the server's open
    /// database file and so its lock: a restart before that child is gone would find the data
    /// directory "in use". The server is frozen first so it forks nothing more while its
    /// family is collected, and the restart waits until every member is gone.
    pub fn kill9(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let pid = child.id();
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_child(&child),
            rustix::process::Signal::STOP,
        );
        crate::common::wait_for("the server to stop (SIGSTOP)", 30, || {
            all_threads_stopped(pid).then_some(())
        });
        let family = descendants(pid);
        let _ = child.kill();
        for &(p, _) in &family {
            if let Some(p) = rustix::process::Pid::from_raw(p as i32) {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
            }
        }
        let _ = child.wait();
        crate::common::wait_for("the killed server's children to end", 30, || {
            family.iter().all(|&(p, start)| !alive(p, start)).then_some(())
        });
    }

    /// Starts the server on the same data directory after [`kill9`](Self::kill9).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        self.healthz_polls = 0;
        self.launch();
    }

    /// Starts the server again on the same data directory.
    pub fn restart(&mut self) {
        self.stop();
        self.healthz_polls = 0;
        self.launch();
    }

    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    // -----------------------------------------------------------------------------------
    // The command line against this server's data directory

    /// Runs the command line on this server's data directory with the server's settings.
    /// The `IPGO_*` settings the server runs with (for commands that must agree with it).
    pub fn settings(&self) -> Vec<(String, String)> {
        self.builder.env.clone()
    }

    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        ipgo_env(&self.data, args, stdin, &self.builder.env)
    }

    pub fn add_agency(&self, code: &str) {
        let ru = format!("Государственный орган {code}");
        let kk = format!("{code} мемлекеттік органы");
        self.cli(&["agency", "add", "--code", code, "--name-ru", &ru, "--name-kk", &kk], None).ok();
    }

    /// Adds the Ministry of Digital Development as `DEV`, named in kk, ru and en (for tests
    /// of names shown in the reader's language).
    pub fn add_digital_ministry(&self) {
        let names = [
            "--name-ru",
            "Министерство цифрового развития",
            "--name-kk",
            "Цифрлық даму министрлігі",
            "--name-en",
            "Ministry of Digital Development",
        ];
        let mut args = vec!["agency", "add", "--code", "DEV"];
        args.extend(names);
        self.cli(&args, None).ok();
    }

    /// Adds an account with [`super::PASSWORD`] (not forced to change); returns its id.
    pub fn add_user(&self, login: &str, agency: &str, roles: &[&str]) -> u64 {
        let out = self.cli(&user_add_args(login, agency, roles, true), Some(super::PASSWORD)).ok();
        parse_user_id(&out.stdout)
    }

    /// Like [`add_user`](Self::add_user), with the e-mail address `<login>@ipgo.test` for
    /// tests that read the mail the portal sends.
    pub fn add_user_with_email(&self, login: &str, agency: &str, roles: &[&str]) -> u64 {
        let email = format!("{login}@ipgo.test");
        let mut args = user_add_args(login, agency, roles, true);
        args.extend(["--email", email.as_str()]);
        parse_user_id(&self.cli(&args, Some(super::PASSWORD)).ok().stdout)
    }

    /// Adds an account with a one-time password; returns its id and the password.
    pub fn add_user_otp(&self, login: &str, agency: &str, roles: &[&str]) -> (u64, String) {
        let out = self.cli(&user_add_args(login, agency, roles, false), None).ok();
        let otp = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("one-time password: "))
            .expect("one-time password printed")
            .trim()
            .to_owned();
        (parse_user_id(&out.stdout), otp)
    }

    /// A new client without cookies.
    pub fn client(&self) -> Client {
        Client::new(self)
    }

    /// A client signed in as `login` with [`super::PASSWORD`].
    pub fn signed_in(&self, login: &str) -> Client {
        let client = self.client();
        client.login(login, super::PASSWORD);
        client
    }

    /// Every access-log entry (archives and live log) via `ipgo audit export --format jsonl`,
    /// which goes through the admin socket while the server runs and commits queued entries
    /// first.
    pub fn audit_entries(&self) -> Vec<Value> {
        let out = self.cli(&["audit", "export", "--format", "jsonl"], None).ok();
        out.stdout
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).expect("export line is JSON"))
            .collect()
    }

    /// Moves the server's clock (the server must run with [`ServerBuilder::controllable_clock`])
    /// by a duration such as `"3h"`, `"2 days"` or `"-30m"`; returns the new time (UTC).
    pub fn advance_clock(&self, by: &str) -> jiff::Timestamp {
        let out = self.cli(&["clock", "--advance", by], None).ok();
        out.stdout.lines().next().and_then(|l| l.parse().ok()).expect("clock prints the time")
    }

    /// Sets the server's clock to an RFC 3339 instant (`"2026-12-31T13:00:00+05:00"`).
    pub fn set_clock(&self, to: &str) -> jiff::Timestamp {
        let out = self.cli(&["clock", "--set", to], None).ok();
        out.stdout.lines().next().and_then(|l| l.parse().ok()).expect("clock prints the time")
    }

    /// `ipgo audit verify`.
    pub fn verify(&self) -> CliOutput {
        self.cli(&["audit", "verify"], None)
    }
}

fn user_add_args<'a>(
    login: &'a str,
    agency: &'a str,
    roles: &'a [&'a str],
    password_stdin: bool,
) -> Vec<&'a str> {
    let mut args = vec!["user", "add", "--login", login, "--agency", agency];
    for role in roles {
        args.push("--role");
        args.push(role);
    }
    if password_stdin {
        args.push("--password-stdin");
    }
    args
}

/// `user NAME added (id N)` → N.
fn parse_user_id(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.split("(id ").nth(1))
        .and_then(|rest| rest.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no user id in {stdout:?}"))
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let stderr = self.stderr();
            let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
            eprintln!("--- last lines of ipgo's stderr ---");
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
        if let Some(mut child) = self.child.take() {
            let pid = rustix::process::Pid::from_child(&child);
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A process's parent, state and start time from `/proc/PID/stat` (None once it is gone).
fn proc_stat(path: &str) -> Option<(u32, char, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((ppid, state, start))
}

/// Whether every thread of `pid` is stopped (or already dead).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return true };
    tasks.flatten().all(|t| {
        let path = format!("/proc/{pid}/task/{}/stat", t.file_name().to_string_lossy());
        proc_stat(&path).is_none_or(|(_, state, _)| matches!(state, 'T' | 't' | 'Z' | 'X'))
    })
}

/// Every descendant of `pid` (children, grandchildren, …) with its start time, so a reused
/// process id is not mistaken for it later.
fn descendants(pid: u32) -> Vec<(u32, u64)> {
    let mut all: Vec<(u32, u32, u64)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Some((ppid, _, start)) = proc_stat(&format!("/proc/{p}/stat")) {
            all.push((p, ppid, start));
        }
    }
    let mut family: Vec<(u32, u64)> = Vec::new();
    let mut parents = vec![pid];
    while let Some(parent) = parents.pop() {
        for &(p, ppid, start) in &all {
            if ppid == parent && !family.iter().any(|&(q, _)| q == p) {
                family.push((p, start));
                parents.push(p);
            }
        }
    }
    family
}

/// Whether the process `pid` started at `start` still exists and holds its resources (a
/// zombie has already released its files).
fn alive(pid: u32, start: u64) -> bool {
    proc_stat(&format!("/proc/{pid}/stat"))
        .is_some_and(|(_, state, s)| s == start && !matches!(state, 'Z' | 'X'))
}
