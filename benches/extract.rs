//! Sandboxed text extraction, one file after another (I385 §6.6; issue 18): children forked
//! by the extraction fork server against `ipgo extract` started anew for every file — the
//! baseline, in the same process, interleaved round by round.
//!
//! Files: a regulation's text of 20 KB (the corpus in `IPGO_CORPUS`, or ../shared/corpus) and
//! 1 MB of random bytes behind a PDF header (what `benches/ingest.py` uploads: the parser
//! gives up at the missing cross-reference). Figures per file: wall-clock time as the caller
//! waits, and the CPU time of the whole machine (from /proc/stat, so the children, the fork
//! server and the pipes' copying all count).
//!
//! Run: `cargo build --release && cargo bench --bench extract [-- FILES ROUNDS]` (defaults 300
//! and 3). Prints figures; asserts nothing about speed.

use std::path::PathBuf;
use std::time::Instant;

use ipgo::search::extract::{Limits, run_sandboxed};

/// Busy and total jiffies of the whole machine.
fn machine_cpu() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let line = stat.lines().next().expect("cpu line");
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    let total: u64 = v.iter().take(8).sum();
    (total - idle, total)
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf with a constant name.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// Extracts `bytes` `files` times; returns (wall ms, machine CPU ms) per file.
fn run(bytes: &[u8], limits: &Limits, files: usize) -> (f64, f64) {
    let (busy0, _) = machine_cpu();
    let started = Instant::now();
    for _ in 0..files {
        let _ = run_sandboxed(bytes, limits);
    }
    let wall = started.elapsed().as_secs_f64();
    let (busy1, _) = machine_cpu();
    let cpu = (busy1 - busy0) as f64 / ticks_per_second();
    (wall * 1000.0 / files as f64, cpu * 1000.0 / files as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let files: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(300);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let program = root.join("target/release/ipgo");
    assert!(program.exists(), "build the release binary first: cargo build --release");
    let corpus = std::env::var_os("IPGO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus"));
    let mut names: Vec<_> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    let text: Vec<u8> = std::fs::read(&names[0]).expect("corpus file")[..20_000].to_vec();
    let text = String::from_utf8_lossy(&text).into_owned().into_bytes();
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while pdf.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pdf.extend_from_slice(&x.to_le_bytes());
    }
    let anew = Limits::new(program.clone());
    let forked = Limits { fork_server: true, ..Limits::new(program) };
    // The fork server starts at its first file, outside the measured rounds.
    run_sandboxed(&text, &forked).expect("the fork server extracts");
    println!("{files} files per round; per file: wall ms / machine CPU ms");
    println!("| round | file | started anew | forked | CPU saved |");
    println!("|---|---|---|---|---|");
    for round in 1..=rounds {
        for (name, bytes) in [("20 KB text", &text[..]), ("1 MB random PDF", &pdf[..])] {
            let (aw, ac) = run(bytes, &anew, files);
            let (fw, fc) = run(bytes, &forked, files);
            println!(
                "| {round} | {name} | {aw:.2} / {ac:.2} | {fw:.2} / {fc:.2} | {:.0} % |",
                (1.0 - fc / ac) * 100.0
            );
        }
    }
}
