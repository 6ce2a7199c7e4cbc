//! The extraction fork server: one `ipgo extract-server` process, started once, forks a fresh
//! child for each file instead of the server starting `ipgo extract` anew every time.
//!
//! Why: starting the 57 MB binary costs about 2.5 ms of CPU per file — `exec`, the dynamic
//! loader's 80,000 relative relocations copying some 400 pages, clap building the whole command
//! line, the exit unmapping it all — more than parsing a typical attachment, and the largest
//! single item in the profile of a 1 MB upload (docs/benchmarks.md, issue 18). A fork of a small
//! process that has done all that once costs a fraction of it.
//!
//! What stays as with a child started anew (`sandbox.rs`, `spawn.rs`):
//! - one process per file, each forked from a process that has never read a file, so every
//!   extraction starts from the same clean state and no file can influence another's;
//! - the limits are in place before the child reads a byte: it sets RLIMIT_AS, RLIMIT_CPU,
//!   RLIMIT_CORE and RLIMIT_FSIZE on itself first;
//! - stdin, stdout and stderr only (every other descriptor is closed), its own process group,
//!   an empty signal mask, not dumpable, no new privileges, death with its parent;
//! - the wall-clock deadline: kept by the fork server, which kills the child's group and says
//!   so in its report.
//!
//! The fork server itself is started without fork (`posix_spawn`, `spawn.rs`) with the
//! children's clean environment, from a thread of its own that waits for it: a parent-death
//! signal follows the thread that started a process, not the process, and the blocking pool's
//! threads come and go.
//!
//! Protocol, on a `SOCK_SEQPACKET` unix socket that is the fork server's stdin: a request is
//! `memory u64 | cpu seconds u64 | wall ms u64 | content limits (JSON)`, little-endian, with four
//! descriptors: the child's stdin, stdout and stderr and the job's own status socket. On the
//! status socket the fork server says `S` once the child is forked (a status socket closed
//! before that means it could not fork one, and the caller starts the child anew), then
//! `wait status i32 | timed out u8` when the child has ended.

use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, ExitStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socketpair,
};

use super::sandbox::{CHILD_ENV, Limits};
use super::spawn;

/// The largest request: three numbers and the content limits' JSON (well under 1 KiB).
const MAX_REQUEST: usize = 16 << 10;
const FIXED: usize = 24;
/// How long past the wall-clock limit the caller waits for the fork server's report before
/// it gives up on it (the fork server kills the child at the limit itself).
const PATIENCE: Duration = Duration::from_secs(10);
/// How long the caller waits for the fork server to say the child is forked.
const STARTING: Duration = Duration::from_secs(5);

/// A job handed to the fork server: the parent's ends of the child's pipes, and its end.
pub struct Job {
    pub stdin: File,
    pub stdout: File,
    pub stderr: File,
    pub end: End,
}

/// Where the fork server reports how the job's child ended.
pub struct End {
    status: OwnedFd,
}

/// How a child ended.
pub struct Ended {
    pub status: ExitStatus,
    /// Killed by the fork server at the wall-clock limit.
    pub timed_out: bool,
}

impl End {
    /// Waits for the fork server's report, at most `wall` and some patience.
    pub fn wait(&self, wall: Duration) -> io::Result<Ended> {
        let mut answer = [0u8; 5];
        let n = read_within(&self.status, &mut answer, wall + PATIENCE)?;
        if n != answer.len() {
            return Err(io::Error::other("the extraction fork server stopped"));
        }
        let raw = i32::from_le_bytes(answer[..4].try_into().expect("four bytes"));
        Ok(Ended { status: ExitStatus::from_raw(raw), timed_out: answer[4] == 1 })
    }
}

/// Reads one message from `socket` within `limit` (0 bytes: the other end closed it).
fn read_within(socket: &OwnedFd, buf: &mut [u8], limit: Duration) -> io::Result<usize> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the extraction fork server did not answer",
            ));
        }
        let mut fds = [PollFd::new(socket, PollFlags::IN)];
        match poll(&mut fds, Some(&timespec(left))) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        if !fds[0].revents().is_empty() {
            return Ok(rustix::io::read(socket, buf)?);
        }
    }
}

fn timespec(d: Duration) -> rustix::time::Timespec {
    rustix::time::Timespec { tv_sec: d.as_secs() as i64, tv_nsec: d.subsec_nanos() as i64 }
}

/// A running fork server of `program`.
struct Server {
    program: PathBuf,
    control: OwnedFd,
    /// Cleared by its thread when the fork server has ended.
    alive: Arc<AtomicBool>,
}

/// The fork servers running, one per program (the server has one: its own executable).
static SERVERS: Mutex<Vec<Arc<Server>>> = Mutex::new(Vec::new());

/// Hands a file's extraction to the fork server of `program` (started on first use, and again
/// after it ended), under `limits`.
pub fn start(program: &Path, limits: &Limits, content: &str) -> io::Result<Job> {
    let mut request = Vec::with_capacity(FIXED + content.len());
    request.extend_from_slice(&limits.memory_bytes.to_le_bytes());
    request.extend_from_slice(&limits.cpu_seconds.to_le_bytes());
    request.extend_from_slice(&(limits.wall.as_millis() as u64).to_le_bytes());
    request.extend_from_slice(content.as_bytes());
    if request.len() > MAX_REQUEST {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "content limits too long"));
    }
    let (in_r, in_w) = spawn::pipe()?;
    let (out_r, out_w) = spawn::pipe()?;
    let (err_r, err_w) = spawn::pipe()?;
    let (status, status_theirs) = seqpacket_pair()?;
    let fds = [in_r.as_fd(), out_w.as_fd(), err_w.as_fd(), status_theirs.as_fd()];
    // A fork server that ended since its last job is found dead here and started again once.
    let mut tries = 2;
    loop {
        tries -= 1;
        let server = server(program)?;
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        control.push(SendAncillaryMessage::ScmRights(&fds));
        let sent =
            sendmsg(&server.control, &[IoSlice::new(&request)], &mut control, SendFlags::NOSIGNAL);
        match sent {
            Ok(_) => break,
            Err(e) if tries > 0 => {
                tracing::warn!(error = %e, "extraction: the fork server has ended; starting it again");
                server.alive.store(false, Ordering::Relaxed);
            }
            Err(e) => return Err(e.into()),
        }
    }
    // The child's ends close here; the fork server holds its own copies.
    drop((in_r, out_w, err_w, status_theirs));
    let mut started = [0u8; 1];
    let n = read_within(&status, &mut started, STARTING)?;
    if n != 1 || started[0] != b'S' {
        return Err(io::Error::other("the extraction fork server could not fork a child"));
    }
    Ok(Job {
        stdin: File::from(in_w),
        stdout: File::from(out_r),
        stderr: File::from(err_r),
        end: End { status },
    })
}

fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(socketpair(AddressFamily::UNIX, SocketType::SEQPACKET, SocketFlags::CLOEXEC, None)?)
}

/// The running fork server of `program`, started if there is none.
fn server(program: &Path) -> io::Result<Arc<Server>> {
    let mut servers = SERVERS.lock();
    servers.retain(|s| s.alive.load(Ordering::Relaxed));
    if let Some(s) = servers.iter().find(|s| s.program == program) {
        return Ok(s.clone());
    }
    let started = Arc::new(launch(program)?);
    servers.push(started.clone());
    Ok(started)
}

/// Starts `program extract-server` from a thread that then waits for it to end.
fn launch(program: &Path) -> io::Result<Server> {
    let (control, theirs) = seqpacket_pair()?;
    let alive = Arc::new(AtomicBool::new(true));
    let (tx, rx) = std::sync::mpsc::channel();
    let (path, flag) = (program.to_owned(), alive.clone());
    std::thread::Builder::new().name("extract-server".into()).spawn(move || {
        let fd = theirs.as_raw_fd();
        let pid = spawn::spawn_with(&path, &["extract-server"], CHILD_ENV, [fd, fd, 2]);
        drop(theirs);
        let started = pid.as_ref().map(|_| ()).map_err(|e| io::Error::new(e.kind(), e.to_string()));
        let _ = tx.send(started);
        if let Ok(pid) = pid {
            let mut status = 0;
            // SAFETY: waitpid on this process's own child, which only this thread reaps.
            while unsafe { libc::waitpid(pid, &mut status, 0) } < 0
                && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
            {}
            flag.store(false, Ordering::Relaxed);
            tracing::info!(status, "extraction: the fork server ended");
        }
    })?;
    rx.recv().map_err(|_| io::Error::other("the fork server's thread ended"))??;
    Ok(Server { program: program.to_owned(), control, alive })
}

/// A child being waited for by the fork server.
struct Running {
    pid: libc::pid_t,
    pidfd: OwnedFd,
    status: OwnedFd,
    deadline: Instant,
    timed_out: bool,
}

/// `ipgo extract-server`: forks a confined child for each request on stdin until the server
/// closes it, then waits for the children still running. Single-threaded, so forking is safe.
pub fn serve() -> ExitCode {
    spawn::confine_self();
    // SAFETY: fd 0 is the control socket the server gave; it stays open (and fds 0 and 1
    // taken) for the whole life of this process, so descriptors received are never 0–2.
    let control = unsafe { OwnedFd::from_raw_fd(0) };
    let mut open = true;
    let mut running: Vec<Running> = Vec::new();
    while open || !running.is_empty() {
        let now = Instant::now();
        for r in running.iter_mut().filter(|r| !r.timed_out && now >= r.deadline) {
            // SAFETY: the child is not reaped yet, so its group id is still its own.
            unsafe { libc::kill(-r.pid, libc::SIGKILL) };
            r.timed_out = true;
        }
        let next = running.iter().filter(|r| !r.timed_out).map(|r| r.deadline - now).min();
        // The children's pidfds (readable once a child has ended), then the control socket
        // while it is open (a closed one would report a hang-up on every poll).
        let mut fds: Vec<PollFd> =
            running.iter().map(|r| PollFd::new(&r.pidfd, PollFlags::IN)).collect();
        if open {
            fds.push(PollFd::new(&control, PollFlags::IN));
        }
        match poll(&mut fds, next.map(timespec).as_ref()) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(_) => return ExitCode::from(1),
        }
        let request = open && !fds[running.len()].revents().is_empty();
        let ended: Vec<usize> =
            (0..running.len()).filter(|&i| !fds[i].revents().is_empty()).collect();
        drop(fds);
        for i in ended.into_iter().rev() {
            report(running.swap_remove(i));
        }
        if request {
            match receive(&control) {
                Received::Job(job) => running.extend(fork_child(job)),
                Received::Nothing => {}
                Received::Closed => open = false,
            }
        }
    }
    ExitCode::SUCCESS
}

/// A request as received: its limits and the four descriptors.
struct Request {
    memory: u64,
    cpu: u64,
    wall: Duration,
    content: String,
    stdio: [OwnedFd; 3],
    status: OwnedFd,
}

enum Received {
    Job(Request),
    /// A malformed request (its descriptors are closed, so its caller learns it at once).
    Nothing,
    /// The server closed the socket: it has ended.
    Closed,
}

fn receive(control: &OwnedFd) -> Received {
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
    let mut ancillary = RecvAncillaryBuffer::new(&mut space);
    let got =
        recvmsg(control, &mut [IoSliceMut::new(&mut buf)], &mut ancillary, RecvFlags::CMSG_CLOEXEC);
    let n = match got {
        Ok(m) if m.bytes == 0 => return Received::Closed,
        Ok(m) => m.bytes,
        Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => return Received::Nothing,
        Err(_) => return Received::Closed,
    };
    let mut fds: Vec<OwnedFd> = Vec::new();
    for message in ancillary.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = message {
            fds.extend(received);
        }
    }
    let number = |at: usize| u64::from_le_bytes(buf[at..at + 8].try_into().expect("eight bytes"));
    if n < FIXED || fds.len() != 4 {
        return Received::Nothing;
    }
    let Ok(content) = String::from_utf8(buf[FIXED..n].to_vec()) else { return Received::Nothing };
    let mut fds = fds.into_iter();
    let mut next = || fds.next().expect("four descriptors");
    Received::Job(Request {
        memory: number(0),
        cpu: number(8),
        wall: Duration::from_millis(number(16)),
        content,
        stdio: [next(), next(), next()],
        status: next(),
    })
}

/// Forks the request's child; `None` when it could not be started (the caller then finds its
/// status socket closed without an answer).
fn fork_child(request: Request) -> Option<Running> {
    let server = std::process::id() as libc::pid_t;
    // SAFETY: this process has one thread, so the child may run any code after fork.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        child(&request, server);
    }
    if pid < 0 {
        return None;
    }
    let Request { stdio, status, wall, .. } = request;
    drop(stdio);
    let pidfd = match rustix::process::pidfd_open(
        rustix::process::Pid::from_raw(pid).expect("a child's pid is positive"),
        rustix::process::PidfdFlags::empty(),
    ) {
        Ok(fd) => fd,
        Err(_) => {
            let mut ignored = 0;
            // SAFETY: `pid` is this process's unreaped child, so its group id is its own.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::waitpid(pid, &mut ignored, 0);
            }
            return None;
        }
    };
    // A caller that stopped waiting has closed its end; the child then ends at its stdin.
    let _ = rustix::io::write(&status, b"S");
    Some(Running { pid, pidfd, status, deadline: Instant::now() + wall, timed_out: false })
}

/// Reaps an ended child, after killing what is left of its group, and reports how it ended.
fn report(r: Running) {
    let mut status = 0;
    // SAFETY: the child has ended but is not reaped, so its group id is still its own; then
    // waitpid reaps this process's own child.
    unsafe {
        libc::kill(-r.pid, libc::SIGKILL);
        while libc::waitpid(r.pid, &mut status, 0) < 0
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {}
    }
    let mut answer = [0u8; 5];
    answer[..4].copy_from_slice(&status.to_le_bytes());
    answer[4] = u8::from(r.timed_out);
    // A caller that stopped waiting has closed its end: nothing to tell.
    let _ = rustix::io::write(&r.status, &answer);
}

/// The forked child: confines itself, takes the request's pipes as its stdio and runs the
/// extraction. Never returns.
fn child(request: &Request, server: libc::pid_t) -> ! {
    let [stdin, stdout, stderr] = &request.stdio;
    let limits = [
        (libc::RLIMIT_AS, request.memory, request.memory),
        // SIGXCPU at the soft limit (kills by default); SIGKILL two seconds later if ignored.
        (libc::RLIMIT_CPU, request.cpu, request.cpu + 2),
        (libc::RLIMIT_CORE, 0, 0),
        (libc::RLIMIT_FSIZE, 0, 0),
    ];
    // SAFETY: plain system calls on this process and on descriptors it owns; the received
    // descriptors are all above 2 (fds 0–2 are held by the fork server), so the dup2 calls
    // cannot overwrite one another's source.
    let confined = unsafe {
        let mut ok = libc::setpgid(0, 0) == 0
            && libc::dup2(stdin.as_raw_fd(), 0) == 0
            && libc::dup2(stdout.as_raw_fd(), 1) == 1
            && libc::dup2(stderr.as_raw_fd(), 2) == 2
            && libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) == 0;
        for (resource, soft, hard) in limits {
            let lim = libc::rlimit { rlim_cur: soft, rlim_max: hard };
            ok = ok && libc::setrlimit(resource, &lim) == 0;
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        ok && libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut()) == 0
    };
    spawn::confine_self();
    // The fork server may have died before the parent-death signal was asked for.
    // SAFETY: getppid and _exit have no preconditions.
    if !confined || unsafe { libc::getppid() } != server {
        unsafe { libc::_exit(3) };
    }
    let code = super::sandbox::child_reply(Some(&request.content));
    // SAFETY: _exit ends the process without running the fork server's destructors.
    unsafe { libc::_exit(i32::from(code)) }
}
