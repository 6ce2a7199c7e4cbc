//! The extraction fork server (`search/extract/forkserver.rs`, issue 18): its children are
//! confined as a child started anew is (`search_extract`), before they read a byte of the
//! file, and a fork server that dies is started again at the next file. Seen from `/proc`, as
//! root (the children are not dumpable; CI runs as root, as the appliance test needs).

use std::collections::HashMap;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ipgo::search::extract::{Limits, run_sandboxed, run_sandboxed_from};

/// Limits whose program is `program` (a link to the real `ipgo`, so the test has a fork
/// server of its own that no other test's files pass through).
fn limits_of(program: &Path) -> Limits {
    Limits { fork_server: true, ..Limits::new(program.to_owned()) }
}

fn linked_ipgo(dir: &Path) -> PathBuf {
    let link = dir.join("ipgo-linked");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ipgo"), &link).expect("symlink");
    link
}

/// The children of `pid`, over all its threads.
fn children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return found };
    for task in tasks.flatten() {
        let list = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        found.extend(list.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
    }
    found
}

fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// This process's fork server of `program`, waiting up to 10 s for it to appear.
fn fork_server_of(program: &Path) -> u32 {
    let wanted = format!("{} extract-server", program.display());
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let found =
            children(std::process::id()).into_iter().find(|&p| cmdline(p).trim_end() == wanted);
        if let Some(pid) = found {
            return pid;
        }
        assert!(Instant::now() < until, "no fork server `{wanted}` among this process's children");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn status_fields(pid: u32) -> HashMap<String, String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

/// A file whose first bytes arrive at once and whose end waits for the test's word: the
/// child is then alive, blocked reading its stdin, while the test looks at it.
struct Held {
    first: Option<&'static [u8]>,
    release: mpsc::Receiver<()>,
}

impl Read for Held {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(bytes) = self.first.take() {
            buf[..bytes.len()].copy_from_slice(bytes);
            return Ok(bytes.len());
        }
        let _ = self.release.recv();
        Ok(0)
    }
}

#[test]
fn a_forked_child_is_confined_before_it_reads_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let program = linked_ipgo(dir.path());
    // A descriptor this process holds without close-on-exec, at a number nothing else uses.
    let leak = std::fs::File::open("/dev/null").expect("open");
    // SAFETY: dup2 onto an unused descriptor number, closed again below.
    assert_eq!(unsafe { libc::dup2(leak.as_raw_fd(), 519) }, 519);
    let mut l = limits_of(&program);
    l.memory_bytes = (3 << 30) + (7 << 12);
    l.cpu_seconds = 7;
    let (release, held) = mpsc::channel();
    let text: &'static [u8] = "Мемлекеттік органдардың интранет-порталы".as_bytes();
    let run = std::thread::spawn(move || {
        let mut input = Held { first: Some(text), release: held };
        run_sandboxed_from(&mut input, text.len() as u64, &l)
    });
    let server = fork_server_of(&program);
    let until = Instant::now() + Duration::from_secs(10);
    let child = loop {
        if let Some(&c) = children(server).first() {
            break c;
        }
        assert!(Instant::now() < until, "the fork server started no child");
        std::thread::sleep(Duration::from_millis(5));
    };
    // SAFETY: closing the descriptor made above.
    unsafe { libc::close(519) };

    let status = status_fields(child);
    assert_eq!(status["PPid"], server.to_string(), "the child's parent is the fork server");
    assert_eq!(status_fields(server)["PPid"], std::process::id().to_string());
    assert_eq!(status["NoNewPrivs"], "1");
    assert_eq!(status["SigBlk"], "0000000000000000", "an empty signal mask");
    let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).expect("stat");
    let after_name = &stat[stat.rfind(')').expect("stat has a name") + 2..];
    let pgrp = after_name.split(' ').nth(2).expect("pgrp");
    assert_eq!(pgrp, child.to_string(), "a process group of its own");
    let limits = std::fs::read_to_string(format!("/proc/{child}/limits")).expect("limits");
    let limit = |name: &str| {
        let line = limits.lines().find(|l| l.starts_with(name)).expect(name);
        line[name.len()..].split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    };
    assert_eq!(limit("Max address space"), format!("{0} {0}", (3u64 << 30) + (7 << 12)));
    assert_eq!(limit("Max cpu time"), "7 9");
    assert_eq!(limit("Max core file size"), "0 0");
    assert_eq!(limit("Max file size"), "0 0");
    // Its stdio, and the reply's descriptor `ipgo extract` makes itself (it points fd 1 at
    // stderr while parsers run, so nothing they print can spoil the reply).
    let link = |fd: u32| {
        std::fs::read_link(format!("/proc/{child}/fd/{fd}"))
            .unwrap_or_else(|e| panic!("fd {fd} (run as root: the child is not dumpable): {e}"))
            .to_string_lossy()
            .into_owned()
    };
    let mut fds: Vec<u32> = std::fs::read_dir(format!("/proc/{child}/fd"))
        .expect("the child's descriptors (run as root: the child is not dumpable)")
        .map(|e| e.expect("fd").file_name().to_string_lossy().parse().expect("number"))
        .collect();
    fds.sort();
    assert_eq!(fds, [0, 1, 2, 3], "stdin, stdout, stderr and the reply only");
    let links: Vec<String> = fds.iter().map(|&fd| link(fd)).collect();
    assert!(links.iter().all(|l| l.starts_with("pipe:")), "pipes only, no leak: {links:?}");
    assert_eq!(links[1], links[2], "stdout points at stderr: {links:?}");
    assert!(links[3] != links[0] && links[3] != links[2], "the reply's own pipe: {links:?}");
    let environ = std::fs::read(format!("/proc/{child}/environ")).expect("environ");
    let mut env: Vec<String> = environ
        .split(|b| *b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    env.sort();
    assert_eq!(env, ["IPGO_LOG=error", "PATH=/usr/bin:/bin"]);

    release.send(()).expect("release");
    let x = run.join().expect("thread").expect("the held file is extracted");
    assert!(x.full_text().contains("интранет-порталы"), "{}", x.full_text());
}

#[test]
fn a_dead_fork_server_is_started_again_at_the_next_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let program = linked_ipgo(dir.path());
    let l = limits_of(&program);
    let text = "Приказ № 385 об интранет-портале".as_bytes();
    assert!(run_sandboxed(text, &l).expect("first").full_text().contains("интранет"));
    let first = fork_server_of(&program);
    // SAFETY: kill of this process's own child, found above.
    assert_eq!(unsafe { libc::kill(first as i32, libc::SIGKILL) }, 0);
    let until = Instant::now() + Duration::from_secs(10);
    while children(std::process::id()).contains(&first) {
        assert!(Instant::now() < until, "the killed fork server was not reaped");
        std::thread::sleep(Duration::from_millis(10));
    }
    for i in 0..3 {
        let x = run_sandboxed(text, &l).unwrap_or_else(|e| panic!("file {i} after the kill: {e}"));
        assert!(x.full_text().contains("интранет"), "file {i}");
    }
    let second = fork_server_of(&program);
    assert_ne!(first, second, "a new fork server");
}

/// A fork server that cannot fork (here: one that ends at once) costs no file its text: the
/// child is started anew. A script in place of `ipgo` stands for both.
#[test]
fn without_a_working_fork_server_the_child_is_started_anew() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = crate::common::executable_script(
        dir.path(),
        "no-fork-server.sh",
        r#"#!/bin/sh
[ "$1" = extract-server ] && exit 0
cat >/dev/null
printf '{"ok":{"format":"text","parts":[{"path":"","format":"text","text":"started anew with %s","lang":null,"truncated":false,"error":null}]}}' "$1"
"#,
    );
    for i in 0..2 {
        let x =
            run_sandboxed(b"text", &limits_of(&script)).unwrap_or_else(|e| panic!("file {i}: {e}"));
        assert_eq!(x.full_text().trim(), "started anew with extract", "file {i}");
    }
}
