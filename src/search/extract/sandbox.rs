//! The extraction sandbox: the server runs each file's extraction in a child process of its own
//! (forked by the extraction fork server, `forkserver.rs`; or `ipgo extract` started anew
//! without fork, `spawn.rs`) with an address-space
//! limit (RLIMIT_AS), a CPU-time limit (RLIMIT_CPU), no core dumps, no file writes (RLIMIT_FSIZE
//! 0), no inherited descriptors beyond stdin/stdout/stderr, an environment of only `PATH` and
//! `IPGO_LOG`, its own process group, death with its parent, and a wall-clock deadline after
//! which the group is killed. The file streams in on stdin; one JSON reply comes back on stdout.
//! It keeps the default scheduling priority: a niced child starves behind any other busy work
//! on the machine, and a posted document must be findable within a second (I385 §6.6).

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{ContentLimits, ErrorKind, ExtractError, Extracted, extract};

/// Process limits of one sandboxed extraction, and the content limits the child enforces.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The `ipgo` binary to run as `PROGRAM extract` (normally the server's own executable).
    pub program: PathBuf,
    /// Largest file accepted (checked before the child starts).
    pub max_input_bytes: usize,
    /// Address space of the child (RLIMIT_AS), bytes.
    pub memory_bytes: u64,
    /// CPU time of the child (RLIMIT_CPU), seconds.
    pub cpu_seconds: u64,
    /// Wall-clock time before the child is killed.
    pub wall: Duration,
    pub content: ContentLimits,
    /// Children forked by the extraction fork server (`forkserver.rs`, `PROGRAM
    /// extract-server`) instead of `PROGRAM extract` started for each file. Only for a real
    /// `ipgo`: what the server does with [`Limits::for_current_exe`].
    pub fork_server: bool,
}

impl Limits {
    /// Defaults for `program`: 1 GiB of address space, 20 s CPU, 40 s wall clock, 256 MiB input.
    pub fn new(program: PathBuf) -> Self {
        Limits {
            program,
            max_input_bytes: 256 << 20,
            memory_bytes: 1 << 30,
            cpu_seconds: 20,
            wall: Duration::from_secs(40),
            content: ContentLimits::default(),
            fork_server: false,
        }
    }

    /// Defaults with the running executable as the program (what the server uses). It is named
    /// `/proc/self/exe`, not by its path: after a package upgrade replaces the binary, the
    /// running server still starts children of its own version. They are forked by the fork
    /// server.
    pub fn for_current_exe() -> Self {
        Limits { fork_server: true, ..Limits::new(PathBuf::from("/proc/self/exe")) }
    }

    /// The most stdout the parent reads: all the text plus JSON overhead.
    fn max_reply_bytes(&self) -> usize {
        self.content.max_text_bytes.saturating_mul(2).saturating_add(4 << 20)
    }
}

/// The child's one answer on stdout.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Reply {
    Ok(Extracted),
    Err(ExtractError),
}

fn sandbox_error(detail: impl Into<String>) -> ExtractError {
    ExtractError::new(ErrorKind::Sandbox, detail)
}

/// Extracts the text of `bytes` in a sandboxed child. Blocking: call from a blocking thread.
/// A hostile file costs at most the limits and ends in an [`ExtractError`], never a panic here.
pub fn run_sandboxed(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    run_sandboxed_from(&mut &bytes[..], bytes.len() as u64, limits)
}

/// Like [`run_sandboxed`] for a file of `len` bytes read from `input` while it is written
/// to the child, so the server never holds the whole file (a 60 MB attachment would
/// otherwise raise its memory by as much). A failure to read `input` is a sandbox error
/// naming the cause.
pub fn run_sandboxed_from(
    input: &mut (dyn Read + Send),
    len: u64,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    if len == 0 {
        return Err(ExtractError::new(ErrorKind::Empty, "the file is empty"));
    }
    if len > limits.max_input_bytes as u64 {
        return Err(ExtractError::new(
            ErrorKind::TooLarge,
            format!("{len} bytes, limit {}", limits.max_input_bytes),
        ));
    }
    let content =
        serde_json::to_string(&limits.content).map_err(|e| sandbox_error(e.to_string()))?;
    let started = Instant::now();
    let child = start(limits, &content)?;
    let (mut stdin, stdout, stderr) = (child.stdin, child.stdout, child.stderr);
    let max_reply = limits.max_reply_bytes();
    std::thread::scope(|scope| {
        // A child that dies early closes its stdin: a write error is expected then; a read
        // error is the server's own and is reported.
        let writer = scope.spawn(move || -> std::io::Result<()> {
            let mut buf = vec![0u8; 64 << 10];
            loop {
                let n = match input.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if stdin.write_all(&buf[..n]).is_err() {
                    return Ok(());
                }
            }
        });
        let out_reader = scope.spawn(move || read_capped(stdout, max_reply));
        let err_reader = scope.spawn(move || read_capped(stderr, 64 << 10));
        let (status, timed_out) = match child.waiter {
            Waiter::Spawned(pid) => wait_spawned(pid, started + limits.wall),
            Waiter::Served(end) => match end.wait(limits.wall) {
                Ok(ended) => (Ok(ended.status), ended.timed_out),
                Err(e) => (Err(e), false),
            },
        };
        let read = writer.join().unwrap_or(Ok(()));
        let out = out_reader.join().unwrap_or_default();
        let err = err_reader.join().unwrap_or_default();
        let status = status.map_err(|e| sandbox_error(format!("waiting for the child: {e}")))?;
        read.map_err(|e| sandbox_error(format!("reading the file: {e}")))?;
        interpret(status, timed_out, &out, &err, limits)
    })
}

/// A started child: the parent's ends of its stdin, stdout and stderr, and how its end is
/// learnt.
struct Child {
    stdin: std::fs::File,
    stdout: std::fs::File,
    stderr: std::fs::File,
    waiter: Waiter,
}

enum Waiter {
    /// A child of this process: waited for and killed here.
    Spawned(libc::pid_t),
    /// A child of the fork server, which keeps its deadline and reports its end.
    Served(super::forkserver::End),
}

/// Starts the child, its limits in place before it can read a byte of the file. When the fork
/// server cannot be started, the child is started anew (and the reason logged).
fn start(limits: &Limits, content: &str) -> Result<Child, ExtractError> {
    if limits.fork_server {
        match super::forkserver::start(&limits.program, limits, content) {
            Ok(job) => {
                return Ok(Child {
                    stdin: job.stdin,
                    stdout: job.stdout,
                    stderr: job.stderr,
                    waiter: Waiter::Served(job.end),
                });
            }
            Err(e) => {
                // Said once at warning level: a server whose fork server cannot fork would
                // otherwise say it for every file.
                static SAID: std::sync::atomic::AtomicBool =
                    std::sync::atomic::AtomicBool::new(false);
                if SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::debug!(error = %e, "extraction: fork server unavailable");
                } else {
                    tracing::warn!(
                        error = %e,
                        "extraction: the fork server is unavailable; starting children anew"
                    );
                }
            }
        }
    }
    let spawned =
        super::spawn::spawn(&limits.program, &["extract", "--limits", content], CHILD_ENV)
            .map_err(|e| {
                sandbox_error(format!("cannot start {}: {e}", limits.program.display()))
            })?;
    let pid = spawned.pid;
    // The limits are in place before the child can read a byte of the file: it reads only
    // what is written after this.
    if let Err(e) = confine(pid, limits.memory_bytes, limits.cpu_seconds) {
        let _ = super::spawn::kill_and_wait(pid);
        return Err(sandbox_error(format!("cannot limit the child: {e}")));
    }
    Ok(Child {
        stdin: spawned.stdin,
        stdout: spawned.stdout,
        stderr: spawned.stderr,
        waiter: Waiter::Spawned(pid),
    })
}

/// The environment of every child (and of the fork server): for the optional OCR helper,
/// Debian's own directories only.
pub(super) const CHILD_ENV: &[(&str, &str)] = &[("IPGO_LOG", "error"), ("PATH", "/usr/bin:/bin")];

/// Waits for a child of this process until `deadline`, then kills its group. Returns its
/// status and whether it was killed for the deadline.
fn wait_spawned(
    pid: libc::pid_t,
    deadline: Instant,
) -> (std::io::Result<std::process::ExitStatus>, bool) {
    let mut pause = Duration::from_millis(1);
    let mut timed_out = false;
    let status = loop {
        match super::spawn::try_wait(pid) {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                break super::spawn::kill_and_wait(pid);
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(e) => break Err(e),
        }
    };
    // Grandchildren (there should be none) die with the group.
    // SAFETY: the group id is the reaped child's pid; while the group has members that id is
    // not given to another process.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    (status, timed_out)
}

/// The resource limits of the child, set from the parent (the child's own half is
/// [`super::spawn::confine_self`]).
fn confine(pid: libc::pid_t, memory: u64, cpu: u64) -> std::io::Result<()> {
    use super::spawn::limit;
    limit(pid, libc::RLIMIT_AS, memory, memory)?;
    // SIGXCPU at the soft limit (kills by default); SIGKILL two seconds later if ignored.
    limit(pid, libc::RLIMIT_CPU, cpu, cpu + 2)?;
    limit(pid, libc::RLIMIT_CORE, 0, 0)?;
    limit(pid, libc::RLIMIT_FSIZE, 0, 0)
}

fn read_capped(mut r: impl Read, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = (&mut r).take(cap as u64 + 1).read_to_end(&mut out);
    // Drain the rest so the child is not blocked on a full pipe (it is killed or ends anyway).
    let _ = std::io::copy(&mut r, &mut std::io::sink());
    out
}

fn interpret(
    status: std::process::ExitStatus,
    timed_out: bool,
    out: &[u8],
    err: &[u8],
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let stderr_tail = String::from_utf8_lossy(&err[err.len().saturating_sub(2000)..]);
    if timed_out {
        return Err(ExtractError::new(
            ErrorKind::Timeout,
            format!("killed after {:?} of wall-clock time", limits.wall),
        ));
    }
    if let Some(signal) = status.signal() {
        let (kind, what) = if signal == libc::SIGXCPU {
            (ErrorKind::CpuLimit, format!("used its {} s of CPU time", limits.cpu_seconds))
        } else if stderr_tail.contains("memory allocation of") {
            (ErrorKind::MemoryLimit, format!("ran out of its {} bytes", limits.memory_bytes))
        } else {
            (ErrorKind::Crashed, format!("killed by signal {signal}"))
        };
        return Err(ExtractError::new(kind, format!("{what}; {}", stderr_tail.trim())));
    }
    if out.len() > limits.max_reply_bytes() {
        return Err(sandbox_error("reply over the size limit"));
    }
    match serde_json::from_slice::<Reply>(out) {
        Ok(Reply::Ok(extracted)) if status.success() => Ok(extracted),
        Ok(Reply::Err(e)) if status.success() => Err(e),
        _ if stderr_tail.contains("memory allocation of") => Err(ExtractError::new(
            ErrorKind::MemoryLimit,
            format!("ran out of its {} bytes", limits.memory_bytes),
        )),
        _ => Err(ExtractError::new(
            ErrorKind::Crashed,
            format!("exit {status}, no valid reply; {}", stderr_tail.trim()),
        )),
    }
}

/// The `ipgo extract` child: reads the file from stdin, answers with one JSON [`Reply`] on the
/// original stdout. Parsers that print would corrupt that reply, so fd 1 is pointed at stderr
/// while they run.
pub fn child_main(limits_json: Option<&str>) -> ExitCode {
    super::spawn::confine_self();
    ExitCode::from(child_reply(limits_json))
}

/// What `ipgo extract` does after confining itself (also what a forked child of the fork
/// server runs): the exit code.
pub(super) fn child_reply(limits_json: Option<&str>) -> u8 {
    // SAFETY: dup/dup2 on the standard descriptors of this single-threaded process.
    let reply_fd = unsafe {
        let fd = libc::dup(1);
        libc::dup2(2, 1);
        fd
    };
    if reply_fd < 0 {
        return 3;
    }
    // SAFETY: reply_fd is a fresh descriptor this function owns from here on.
    let mut reply_out = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(reply_fd) };
    let limits: Result<ContentLimits, _> = match limits_json {
        Some(json) => serde_json::from_str(json),
        None => Ok(ContentLimits::default()),
    };
    let reply = match limits {
        Err(e) => Reply::Err(sandbox_error(format!("bad --limits: {e}"))),
        Ok(limits) => {
            let mut input = Vec::new();
            match std::io::stdin().lock().read_to_end(&mut input) {
                Err(e) if e.kind() == std::io::ErrorKind::OutOfMemory => Reply::Err(
                    ExtractError::new(ErrorKind::MemoryLimit, "the file does not fit in memory"),
                ),
                Err(e) => Reply::Err(sandbox_error(format!("reading stdin: {e}"))),
                Ok(_) => {
                    let run = std::panic::catch_unwind(|| extract(&input, &limits));
                    match run {
                        Ok(Ok(x)) => Reply::Ok(x),
                        Ok(Err(e)) => Reply::Err(e),
                        Err(_) => Reply::Err(super::malformed("a parser panicked")),
                    }
                }
            }
        }
    };
    match serde_json::to_writer(&mut reply_out, &reply).map(|_| reply_out.flush()) {
        Ok(_) => 0,
        Err(_) => 2,
    }
}
