//! What one access-log entry counts for, and a day's counts per agency. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The areas whose changes count as "workflows acted on" (operation names' first part).
pub const WORKFLOWS: &[&str] = &[
    "account_request",
    "discussion",
    "document",
    "draft",
    "headcount",
    "helpdesk",
    "meeting",
    "plan",
    "poll",
    "proposal",
    "reminders",
    "survey",
    "training",
];

/// One agency's use of the portal on one Astana day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DayUsage {
    /// Accounts that did anything successfully that day (ids: a week's active users are
    /// the union of its days, which counts cannot give).
    pub users: BTreeSet<u64>,
    pub sign_ins: u64,
    pub documents: u64,
    /// Successful changes per workflow area (`draft`, `poll`, `helpdesk`, ...).
    pub actions: BTreeMap<String, u64>,
}

/// The parts of an access-log entry that usage reads.
pub struct Seen<'a> {
    pub actor_id: Option<u64>,
    pub agency: Option<&'a str>,
    pub method: &'a str,
    pub operation: &'a str,
    pub outcome: &'a str,
}

impl DayUsage {
    /// Counts one entry; refused, failed and anonymous requests count for nothing.
    pub fn count(&mut self, e: &Seen) {
        let Some(id) = e.actor_id else { return };
        if e.outcome != "ok" || e.agency.is_none() {
            return;
        }
        self.users.insert(id);
        if e.operation == "session.create" {
            self.sign_ins += 1;
            return;
        }
        let change = !matches!(e.method, "GET" | "HEAD" | "OPTIONS");
        if !change {
            return;
        }
        if e.operation == "document.create" {
            self.documents += 1;
            return;
        }
        let area = e.operation.split('.').next().unwrap_or("");
        if let Some(area) = WORKFLOWS.iter().find(|w| **w == area) {
            *self.actions.entry((*area).to_owned()).or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: &DayUsage) {
        self.users.extend(other.users.iter().copied());
        self.sign_ins += other.sign_ins;
        self.documents += other.documents;
        for (k, v) in &other.actions {
            *self.actions.entry(k.clone()).or_default() += v;
        }
    }

    pub fn action_total(&self) -> u64 {
        self.actions.values().sum()
    }
}

/// The Monday of `d`'s ISO week.
pub fn week_start(d: Date) -> Date {
    let back = d.weekday().to_monday_zero_offset();
    d.checked_sub(jiff::Span::new().days(back as i64)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(id: u64, method: &'a str, op: &'a str, outcome: &'a str) -> Seen<'a> {
        Seen { actor_id: Some(id), agency: Some("MIN"), method, operation: op, outcome }
    }

    #[test]
    fn i617_s22_entries_count_by_kind() {
        let mut d = DayUsage::default();
        d.count(&seen(1, "POST", "session.create", "ok"));
        d.count(&seen(1, "POST", "session.create", "denied"));
        d.count(&seen(2, "POST", "document.create", "ok"));
        d.count(&seen(2, "POST", "draft.approve", "ok"));
        d.count(&seen(3, "GET", "draft.read", "ok"));
        d.count(&seen(3, "POST", "profile.edit", "ok"));
        d.count(&Seen {
            actor_id: None,
            agency: None,
            method: "GET",
            operation: "x",
            outcome: "ok",
        });
        assert_eq!(d.users.len(), 3);
        assert_eq!((d.sign_ins, d.documents, d.action_total()), (1, 1, 1));
        assert_eq!(d.actions["draft"], 1);
    }

    #[test]
    fn weeks_start_on_monday() {
        let sunday = jiff::civil::date(2027, 3, 21);
        assert_eq!(week_start(sunday), jiff::civil::date(2027, 3, 15));
        assert_eq!(week_start(jiff::civil::date(2027, 3, 15)), jiff::civil::date(2027, 3, 15));
    }
}
