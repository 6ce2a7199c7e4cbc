//! Starting the extraction child with `posix_spawn(3)` instead of `fork(2)` + `exec(2)`.
//!
//! Why not `std::process::Command` with a `pre_exec` hook (what this replaced): a hook forces
//! the standard library to `fork`, which copies the page tables of the whole server — its heap,
//! redb's cache and every mapped segment of the search index — only for `exec` to throw them
//! away, and makes every thread of the server take copy-on-write faults afterwards. A profile
//! of 1 MB uploads put about a sixth of the server's CPU there, growing with the index's size
//! (docs/benchmarks.md, issue 18). glibc's `posix_spawn` starts the child with `CLONE_VFORK`
//! on the parent's address space; nothing is copied.
//!
//! What the hook did is done here instead, with the same effect before the child reads a byte
//! of the untrusted file:
//! - descriptors: the child gets stdin, stdout and stderr only (`closefrom(3)` as a spawn file
//!   action, so a descriptor opened by a library without close-on-exec never reaches it);
//! - its own process group (the wall-clock kill reaches grandchildren), default signal
//!   dispositions and an empty signal mask;
//! - resource limits: set by the parent with `prlimit(2)` right after the spawn, before the
//!   first byte is written to the child's stdin (the child cannot read the file before that);
//! - no new privileges, not dumpable, death with the parent: the child sets them on itself as
//!   the first thing `ipgo extract` does ([`confine_self`]), also before reading stdin.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A started child and the parent's ends of its three pipes.
pub struct Spawned {
    pub pid: libc::pid_t,
    pub stdin: File,
    pub stdout: File,
    pub stderr: File,
}

fn check(rc: libc::c_int) -> io::Result<()> {
    // posix_spawn and its helpers return the error number instead of setting errno.
    if rc == 0 { Ok(()) } else { Err(io::Error::from_raw_os_error(rc)) }
}

pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into the array on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in argument"))
}

/// Spawn attributes and file actions, destroyed however the spawn ends.
struct Plan {
    attr: libc::posix_spawnattr_t,
    actions: libc::posix_spawn_file_actions_t,
}

impl Drop for Plan {
    fn drop(&mut self) {
        // SAFETY: both were initialised in `Plan::new` before the value existed.
        unsafe {
            libc::posix_spawnattr_destroy(&mut self.attr);
            libc::posix_spawn_file_actions_destroy(&mut self.actions);
        }
    }
}

impl Plan {
    fn new(stdin: i32, stdout: i32, stderr: i32) -> io::Result<Box<Plan>> {
        let mut attr = std::mem::MaybeUninit::uninit();
        let mut actions = std::mem::MaybeUninit::uninit();
        // SAFETY: the init functions fill the uninitialised storage; a failed second init
        // destroys the first before returning; glibc's structures hold no pointers into
        // themselves, so moving them into the box is sound.
        let mut plan = unsafe {
            check(libc::posix_spawnattr_init(attr.as_mut_ptr()))?;
            if let Err(e) = check(libc::posix_spawn_file_actions_init(actions.as_mut_ptr())) {
                libc::posix_spawnattr_destroy(attr.as_mut_ptr());
                return Err(e);
            }
            Box::new(Plan { attr: attr.assume_init(), actions: actions.assume_init() })
        };
        // SAFETY: plain calls on the initialised structures with valid arguments.
        unsafe {
            let a = &mut plan.actions;
            check(libc::posix_spawn_file_actions_adddup2(a, stdin, 0))?;
            check(libc::posix_spawn_file_actions_adddup2(a, stdout, 1))?;
            check(libc::posix_spawn_file_actions_adddup2(a, stderr, 2))?;
            check(libc::posix_spawn_file_actions_addchdir_np(a, c"/".as_ptr()))?;
            check(libc::posix_spawn_file_actions_addclosefrom_np(a, 3))?;
            let mut none: libc::sigset_t = std::mem::zeroed();
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigfillset(&mut all);
            let at = &mut plan.attr;
            check(libc::posix_spawnattr_setsigmask(at, &none))?;
            check(libc::posix_spawnattr_setsigdefault(at, &all))?;
            check(libc::posix_spawnattr_setpgroup(at, 0))?;
            let flags = libc::POSIX_SPAWN_SETPGROUP
                | libc::POSIX_SPAWN_SETSIGMASK
                | libc::POSIX_SPAWN_SETSIGDEF;
            check(libc::posix_spawnattr_setflags(at, flags as libc::c_short))?;
        }
        Ok(plan)
    }
}

/// Starts `program args…` with exactly the environment `env`, in `/`, as described above.
pub fn spawn(program: &Path, args: &[&str], env: &[(&str, &str)]) -> io::Result<Spawned> {
    let (in_r, in_w) = pipe()?;
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let pid =
        spawn_with(program, args, env, [in_r.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()])?;
    // The child's ends close here, in the parent; the child holds its own copies.
    drop((in_r, out_w, err_w));
    Ok(Spawned {
        pid,
        stdin: File::from(in_w),
        stdout: File::from(out_r),
        stderr: File::from(err_r),
    })
}

/// Like [`spawn`] with the child's stdin, stdout and stderr given (the caller keeps its own
/// copies of them, and closes them when it no longer needs them).
pub fn spawn_with(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    [stdin, stdout, stderr]: [libc::c_int; 3],
) -> io::Result<libc::pid_t> {
    let path = cstring(program.as_os_str().as_bytes())?;
    let mut argv_owned = vec![path.clone()];
    for a in args {
        argv_owned.push(cstring(a.as_bytes())?);
    }
    let envp_owned: Vec<CString> = env
        .iter()
        .map(|(k, v)| cstring(format!("{k}={v}").as_bytes()))
        .collect::<Result<_, _>>()?;
    let mut argv: Vec<*mut libc::c_char> =
        argv_owned.iter().map(|s| s.as_ptr() as *mut _).collect();
    argv.push(std::ptr::null_mut());
    let mut envp: Vec<*mut libc::c_char> =
        envp_owned.iter().map(|s| s.as_ptr() as *mut _).collect();
    envp.push(std::ptr::null_mut());

    let plan = Plan::new(stdin, stdout, stderr)?;
    let mut pid: libc::pid_t = 0;
    // SAFETY: every pointer refers to storage that outlives the call (argv/envp are
    // NUL-terminated arrays of C strings owned above; the plan is initialised).
    check(unsafe {
        libc::posix_spawn(
            &mut pid,
            path.as_ptr(),
            &plan.actions,
            &plan.attr,
            argv.as_ptr(),
            envp.as_ptr(),
        )
    })?;
    Ok(pid)
}

/// Sets a resource limit of the child `pid` (the parent's half of the confinement).
pub fn limit(
    pid: libc::pid_t,
    resource: libc::__rlimit_resource_t,
    soft: u64,
    hard: u64,
) -> io::Result<()> {
    let lim = libc::rlimit { rlim_cur: soft, rlim_max: hard };
    // SAFETY: prlimit with a valid pointer to a local struct and no old-value pointer.
    if unsafe { libc::prlimit(pid, resource, &lim, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The child's half of the confinement, the first thing `ipgo extract` does: no new
/// privileges, not dumpable (no ptrace by other processes of the user, no core), killed when
/// the server dies.
pub fn confine_self() {
    // SAFETY: prctl with constant arguments.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    }
}

/// Waits for the child without blocking: `Some(status)` once it has ended.
pub fn try_wait(pid: libc::pid_t) -> io::Result<Option<std::process::ExitStatus>> {
    use std::os::unix::process::ExitStatusExt;
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child with a valid status pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        match rc {
            0 => return Ok(None),
            r if r == pid => return Ok(Some(std::process::ExitStatus::from_raw(status))),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

/// Kills the child's whole process group and reaps the child.
pub fn kill_and_wait(pid: libc::pid_t) -> io::Result<std::process::ExitStatus> {
    use std::os::unix::process::ExitStatusExt;
    // SAFETY: the child is not reaped yet, so neither its pid nor its group id can have been
    // reused by another process.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
    }
    let mut status = 0;
    loop {
        // SAFETY: blocking waitpid on our own child.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return Ok(std::process::ExitStatus::from_raw(status));
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
