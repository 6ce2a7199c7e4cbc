//! Reading the access log: the auditor's viewer (filters, newest first) and exports
//! (CSV or JSON lines), over the live log and, for exports, the archives too.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::archive;
use super::blocks;
use super::chain::{self, Entry};
use crate::db::Db;
use crate::error::Result;
use crate::keys::PublicKey;

/// Viewer and export filters; every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Part of the login (or `cli:<user>`), any letter case: an auditor types what they
    /// remember (R365 §7, I617 §22).
    pub user: Option<String>,
    /// Part of the agency code, any letter case.
    pub agency: Option<String>,
    /// Operation prefix (`user.` matches `user.create`).
    pub operation: Option<String>,
    /// Outcome (`ok`, `denied`, ...).
    pub outcome: Option<String>,
    /// Earliest time, RFC 3339 or a date `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Latest time (exclusive), RFC 3339 or a date.
    pub to: Option<String>,
    /// Only entries of these accounts (the viewer's role filter, resolved by the caller to
    /// the accounts that hold the role: the log itself names people, not roles).
    #[serde(skip)]
    pub actor_ids: Option<std::collections::BTreeSet<u64>>,
}

impl Filter {
    fn normalized_bound(s: &Option<String>) -> Option<String> {
        let s = s.as_deref()?.trim();
        if s.is_empty() {
            return None;
        }
        // Dates compare correctly against the fixed-width stored form.
        Some(if s.len() == 10 { format!("{s}T00:00:00.000000Z") } else { s.to_owned() })
    }

    pub fn matches(&self, e: &Entry) -> bool {
        let nonempty = |o: &Option<String>| {
            o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
        };
        let contains = |text: &str, part: &str| text.to_lowercase().contains(&part.to_lowercase());
        if let Some(u) = nonempty(&self.user)
            && !contains(&e.actor, &u)
        {
            return false;
        }
        if let Some(a) = nonempty(&self.agency)
            && !e.agency.as_deref().is_some_and(|code| contains(code, &a))
        {
            return false;
        }
        if let Some(ids) = &self.actor_ids
            && !e.actor_id.is_some_and(|id| ids.contains(&id))
        {
            return false;
        }
        if let Some(op) = nonempty(&self.operation)
            && !e.operation.starts_with(&op)
        {
            return false;
        }
        if let Some(o) = nonempty(&self.outcome)
            && e.outcome != o
        {
            return false;
        }
        if let Some(from) = Self::normalized_bound(&self.from)
            && e.time.as_str() < from.as_str()
        {
            return false;
        }
        if let Some(to) = Self::normalized_bound(&self.to)
            && e.time.as_str() >= to.as_str()
        {
            return false;
        }
        true
    }
}

/// Newest matching live entries, at most `limit`, starting below `before_seq` (paging).
pub fn search(
    db: &Db,
    filter: &Filter,
    before_seq: Option<u64>,
    limit: usize,
) -> Result<Vec<Entry>> {
    let txn = db.read()?;
    let mut out = Vec::new();
    blocks::backward(&txn, before_seq.unwrap_or(u64::MAX), |stored| {
        if let Some(entry) = readable(stored.value)
            && filter.matches(&entry)
        {
            out.push(entry);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// The entry in a stored value; `None` for one that cannot be read (`ipgo audit verify`
/// names it).
fn readable(value: Option<&[u8]>) -> Option<Entry> {
    let (_, json) = chain::split_value(value?)?;
    serde_json::from_slice(json).ok()
}

/// Live entries after `after_seq`, oldest first, at most `limit`; returns the last sequence
/// number read. For a feature that keeps
/// its own aggregate of the log up to date incrementally (usage per agency, I617 §22), so
/// its work is bounded by what is new, not by the whole log.
pub fn after(
    db: &Db,
    after_seq: u64,
    limit: usize,
    mut sink: impl FnMut(&Entry) -> Result<()>,
) -> Result<Option<u64>> {
    let txn = db.read()?;
    let (mut n, mut last) = (0, None);
    blocks::forward(&txn, after_seq.saturating_add(1), |stored| {
        n += 1;
        last = Some(stored.seq);
        if let Some(e) = readable(stored.value) {
            sink(&e)?;
        }
        Ok(n < limit)
    })?;
    Ok(last)
}

/// Every matching entry, oldest first, from the archives and then the live log.
pub fn export(
    db: &Db,
    data_dir: &Path,
    trusted: &PublicKey,
    filter: &Filter,
    mut sink: impl FnMut(&Entry) -> Result<()>,
) -> Result<()> {
    for record in archive::register(db)? {
        let path = archive::archive_dir(data_dir).join(&record.file);
        match archive::open(&path, trusted) {
            Ok(a) => {
                for (_, json) in a.entries {
                    if let Ok(e) = serde_json::from_slice::<Entry>(&json)
                        && filter.matches(&e)
                    {
                        sink(&e)?;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(file = %record.file, error = %e, "archive skipped in export; run `ipgo audit verify`")
            }
        }
    }
    let txn = db.read()?;
    blocks::forward(&txn, 0, |stored| {
        if let Some(e) = readable(stored.value)
            && filter.matches(&e)
        {
            sink(&e)?;
        }
        Ok(true)
    })
}

pub const CSV_HEADER: [&str; 16] = [
    "seq",
    "time",
    "actor",
    "actor_id",
    "agency",
    "ip",
    "channel",
    "method",
    "route",
    "resource",
    "operation",
    "outcome",
    "status",
    "duration_us",
    "request_id",
    "detail",
];

/// A CSV cell that a spreadsheet will not run as a formula.
fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

pub fn csv_record(e: &Entry) -> [String; 16] {
    [
        e.seq.to_string(),
        e.time.clone(),
        cell(&e.actor),
        e.actor_id.map(|i| i.to_string()).unwrap_or_default(),
        cell(e.agency.as_deref().unwrap_or("")),
        cell(&e.ip),
        e.channel.clone(),
        cell(&e.method),
        cell(&e.route),
        cell(&e.resource),
        cell(&e.operation),
        e.outcome.clone(),
        e.status.to_string(),
        e.duration_us.to_string(),
        e.request_id.clone(),
        e.detail.as_ref().map(|d| cell(&d.to_string())).unwrap_or_default(),
    ]
}

/// Writes entries as CSV with a header row.
pub fn write_csv<W: std::io::Write>(out: W, entries: &[Entry]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER).map_err(crate::error::Error::internal)?;
    for e in entries {
        w.write_record(csv_record(e)).map_err(crate::error::Error::internal)?;
    }
    w.flush()?;
    Ok(())
}

impl Filter {
    /// The filter as query-string pairs (for links that keep it).
    pub fn as_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (k, v) in [
            ("user", &self.user),
            ("agency", &self.agency),
            ("operation", &self.operation),
            ("outcome", &self.outcome),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                out.push((k, v.to_owned()));
            }
        }
        out
    }

    pub fn field(&self, name: &str) -> &str {
        let v = match name {
            "user" => &self.user,
            "agency" => &self.agency,
            "operation" => &self.operation,
            "outcome" => &self.outcome,
            "from" => &self.from,
            _ => &self.to,
        };
        v.as_deref().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("aliya"), "aliya");
    }
}
