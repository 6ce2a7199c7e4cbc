//! The process's memory: how much the C allocator keeps, giving freed memory back to the
//! system after a burst of work, and what `/metrics` reports.
//!
//! Under load every worker and blocking thread allocates request buffers, rendered pages and
//! access-log entries. glibc keeps what they free in per-thread-group pools (arenas, eight per
//! core by default) and returns it to the system only from the top of each pool, so a burst
//! leaves the resident size at its peak for good. The portal bounds the pools
//! (`storage.allocator_arenas`) and, once requests have stopped for
//! `storage.release_memory_after_seconds`, asks the allocator to give every free page back
//! (`malloc_trim`). The other large holders have their own bounds: redb's page cache
//! (`storage.db_cache_mb`), the index writer (`search.writer_memory_mb`) and the index
//! reader's document cache (`storage.index_cache_blocks`).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::StorageConfig;

/// Bounds the allocator's pools. Call once, early (pools made before stay).
pub fn configure(storage: &StorageConfig) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if storage.allocator_arenas > 0 {
        let arenas = i32::try_from(storage.allocator_arenas).unwrap_or(i32::MAX);
        // SAFETY: mallopt takes two integers and only changes allocator parameters.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = storage;
}

/// Gives the allocator's free pages back to the system.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim walks the allocator's own free lists; no pointers are passed.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Resident memory of this process, from `/proc/self/status`, in KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resident {
    /// Private memory (heap, stacks, caches): what the bounds above limit.
    pub anon_kb: u64,
    /// Pages of mapped files (the search index): the system's file cache, dropped under
    /// memory pressure.
    pub file_kb: u64,
    /// Highest resident size since start.
    pub peak_kb: u64,
}

impl Resident {
    pub fn now() -> Resident {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        Resident::parse(&status)
    }

    fn parse(status: &str) -> Resident {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        Resident { anon_kb: field("RssAnon"), file_kb: field("RssFile"), peak_kb: field("VmHWM") }
    }
}

/// Decides when to give memory back: after activity, once `idle_ticks` checks in a row have
/// seen no new request.
pub struct Releaser {
    last_requests: AtomicU64,
    quiet_ticks: AtomicU64,
    idle_ticks: u64,
}

impl Releaser {
    pub fn new(idle_ticks: u64) -> Releaser {
        Releaser {
            last_requests: AtomicU64::new(0),
            quiet_ticks: AtomicU64::new(u64::MAX),
            idle_ticks: idle_ticks.max(1),
        }
    }

    /// Called once per tick with the number of requests served so far; true when memory
    /// should be released now (once per quiet period).
    pub fn tick(&self, requests: u64) -> bool {
        if self.last_requests.swap(requests, Ordering::Relaxed) != requests {
            self.quiet_ticks.store(0, Ordering::Relaxed);
            return false;
        }
        let quiet = self.quiet_ticks.load(Ordering::Relaxed);
        if quiet == u64::MAX {
            return false;
        }
        let quiet = quiet + 1;
        if quiet >= self.idle_ticks {
            // Released: wait for the next burst before releasing again.
            self.quiet_ticks.store(u64::MAX, Ordering::Relaxed);
            true
        } else {
            self.quiet_ticks.store(quiet, Ordering::Relaxed);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_released_once_after_each_burst() {
        let r = Releaser::new(2);
        assert!(!r.tick(0), "nothing happened yet");
        assert!(!r.tick(0));
        assert!(!r.tick(10), "busy");
        assert!(!r.tick(20), "busy");
        assert!(!r.tick(20), "quiet for one tick");
        assert!(r.tick(20), "quiet for two ticks: release");
        assert!(!r.tick(20), "already released");
        assert!(!r.tick(20));
        assert!(!r.tick(21), "a new burst");
        assert!(!r.tick(21));
        assert!(r.tick(21));
    }

    #[test]
    fn resident_sizes_are_read_from_proc() {
        let r = Resident::parse(
            "Name:\tipgo\nVmHWM:\t  51200 kB\nRssAnon:\t  20480 kB\nRssFile:\t   8192 kB\n",
        );
        assert_eq!(r, Resident { anon_kb: 20480, file_kb: 8192, peak_kb: 51200 });
        let live = Resident::now();
        assert!(live.anon_kb > 0 && live.peak_kb >= live.anon_kb, "{live:?}");
    }
}
