//! Entries for requests answered before they reached the portal (malformed, oversized
//! headers, timed out: `web/conntap.rs`) or left incomplete when their connection ended,
//! bounded so that a flood cannot grow the log
//! without limit: at most `audit.refused_requests_per_minute` entries a minute; beyond it
//! they are counted by client address, and once a minute the count is logged itself
//! (`http.refused.suppressed`, with the addresses that sent the most).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use parking_lot::Mutex;

use super::Entry;
use crate::actor::{Channel, Origin, Who};

/// Addresses named in a summary (those with the most suppressed entries).
const NAMED: usize = 20;
/// Addresses counted separately; beyond, they are counted together as `other`.
const TRACKED: usize = 10_000;

pub(super) struct Refused {
    per_minute: u32,
    allowance: AtomicU32,
    suppressed: Mutex<HashMap<String, u64>>,
}

impl Refused {
    pub(super) fn new(per_minute: u32) -> Refused {
        Refused {
            per_minute,
            allowance: AtomicU32::new(per_minute),
            suppressed: Mutex::new(HashMap::new()),
        }
    }

    /// The entry for a refused request, or `None` when this minute's allowance is spent
    /// (the request is then counted).
    pub(super) fn entry(
        &self,
        ip: Option<IpAddr>,
        method: &str,
        path: &str,
        status: u16,
    ) -> Option<Entry> {
        let ip = ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string());
        let admitted =
            self.allowance.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        if admitted.is_err() {
            self.count(ip);
            return None;
        }
        let origin = Origin::new(Channel::Http, ip, method, "-".into(), path.to_owned());
        // Status 0: the connection ended in the middle of the request, unanswered.
        let (operation, outcome) = match status {
            0 => ("http.incomplete", "invalid"),
            _ => ("http.refused", super::outcome_of_status(status)),
        };
        Some(Entry::of(&Who::Anonymous, &origin, operation, outcome, status))
    }

    /// Counts a refused request that gets no entry of its own.
    pub(super) fn count(&self, ip: String) {
        let mut suppressed = self.suppressed.lock();
        let key = if suppressed.len() < TRACKED || suppressed.contains_key(&ip) {
            ip
        } else {
            "other".to_owned()
        };
        *suppressed.entry(key).or_default() += 1;
    }

    /// Starts a new minute: the entry counting what the last one suppressed, if anything.
    pub(super) fn new_minute(&self) -> Option<Entry> {
        self.allowance.store(self.per_minute, Ordering::Release);
        let counted = std::mem::take(&mut *self.suppressed.lock());
        let total: u64 = counted.values().sum();
        if total == 0 {
            return None;
        }
        let mut by_address: Vec<(String, u64)> = counted.into_iter().collect();
        by_address.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let addresses = by_address.len();
        by_address.truncate(NAMED);
        let origin = Origin::system("refused-requests");
        let entry =
            Entry::of(&Who::System("access-log"), &origin, "http.refused.suppressed", "invalid", 0);
        Some(entry.with_detail(serde_json::json!({
            "suppressed": total,
            "per_minute": self.per_minute,
            "addresses": addresses,
            "most": by_address,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_gets_its_allowance_then_one_count() {
        let r = Refused::new(3);
        let ip: Option<IpAddr> = Some("10.0.0.7".parse().unwrap());
        let logged = (0..10).filter(|_| r.entry(ip, "GET", "/x", 400).is_some()).count();
        assert_eq!(logged, 3);
        assert!(r.entry(Some("10.0.0.8".parse().unwrap()), "GET", "/", 431).is_none());
        let summary = r.new_minute().expect("a count");
        let d = summary.detail.unwrap();
        assert_eq!((d["suppressed"].as_u64(), d["addresses"].as_u64()), (Some(8), Some(2)));
        assert_eq!(d["most"][0], serde_json::json!(["10.0.0.7", 7]));
        assert_eq!(summary.operation, "http.refused.suppressed");
        // A new minute, a new allowance; a quiet minute logs no count.
        assert!(r.entry(ip, "GET", "/x", 400).is_some());
        assert!(r.new_minute().is_none());
    }
}
