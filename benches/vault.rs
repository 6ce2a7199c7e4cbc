//! The vault at scale (I385 §6.8; issue 18, memory bounded): a vault of N document keys
//! (default 1,000,000) opened as the server opens it — every record checked, then only where
//! each record is kept, and the keys read most recently — beside the former way in the same
//! process: every key opened and held in a `HashMap` for as long as the server runs.
//!
//! Figures: time to open; resident memory added by each (`VmRSS` before and after, and the
//! heap bytes they hold); the time to get a key that was just read (kept) and one that was
//! not (read from the file and opened). The records are created through `Vault::create`,
//! which syncs each one: run it under Debian's `eatmydata` to make loading take seconds.
//!
//! Run: `eatmydata cargo bench --bench vault [-- N]`. Prints figures; asserts nothing about
//! speed.

use std::collections::HashMap;
use std::time::Instant;

use ipgo::vault::{DataKey, Vault};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// A reproducible spread of document ids (xorshift), so both ways read the same ones.
fn ids(n: u64, count: usize, seed: u64) -> Vec<u64> {
    let mut x = seed;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + x % n
        })
        .collect()
}

fn per_lookup_ns(count: usize, mut f: impl FnMut(usize)) -> f64 {
    let t = Instant::now();
    for i in 0..count {
        f(i);
    }
    t.elapsed().as_nanos() as f64 / count as f64
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::Builder::new().prefix("ipgo-vault-bench-").tempdir_in("/var/tmp").unwrap();
    let t = Instant::now();
    {
        let vault = Vault::open(dir.path()).unwrap();
        for doc in 1..=n {
            vault.create(doc).unwrap();
        }
    }
    println!("vault of {n} keys written in {:.1} s", t.elapsed().as_secs_f64());

    for round in 1..=2 {
        // Now: open, keeping where each record is.
        let before = rss_kib();
        let t = Instant::now();
        let vault = Vault::open(dir.path()).unwrap();
        let open_s = t.elapsed().as_secs_f64();
        let vault_rss = rss_kib().saturating_sub(before);
        let sample = ids(n, 200_000, 88172645463325252 + round);
        let miss_ns = per_lookup_ns(sample.len(), |i| {
            assert!(vault.key(sample[i]).is_some());
        });
        let hot = &sample[..1000];
        let hit_ns = per_lookup_ns(100_000, |i| {
            assert!(vault.key(hot[i % hot.len()]).is_some());
        });
        let held = vault.memory_bytes();

        // The former way, in the same process: every key opened into a map at start.
        let before = rss_kib();
        let t = Instant::now();
        let all: HashMap<u64, DataKey> =
            (1..=n).map(|doc| (doc, vault.key(doc).expect("key"))).collect();
        let map_s = t.elapsed().as_secs_f64();
        let map_rss = rss_kib().saturating_sub(before);
        let map_ns = per_lookup_ns(sample.len(), |i| {
            assert!(all.get(&sample[i]).cloned().is_some());
        });
        println!(
            "round {round}: now: open {open_s:.2} s, +{:.1} MiB resident ({:.1} MiB held), \
             key read from the file {miss_ns:.0} ns, key read again {hit_ns:.0} ns | \
             every key held (former): +{map_s:.2} s to open them all, +{:.1} MiB resident, \
             lookup {map_ns:.0} ns",
            vault_rss as f64 / 1024.0,
            held as f64 / (1024.0 * 1024.0),
            map_rss as f64 / 1024.0,
        );
        drop(all);
        drop(vault);
    }
}
