//! `ipgo audit verify`: proves that no access-log entry was altered, removed, inserted or
//! reordered — across the archives and the live log — and that the signed checkpoints
//! match. Reports the first bad entry by sequence number and place.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use redb::ReadableTable;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::archive::{self, ArchiveRecord};
use super::blocks;
use super::chain::{self, CHECKPOINTS, Entry, GENESIS};
use super::writer::Checkpoint;
use crate::db::{Db, META};
use crate::error::Result;
use crate::keys::PublicKey;

const MAX_PROBLEMS: usize = 100;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    /// The sequence number of the bad entry, when one is concerned.
    pub seq: Option<u64>,
    /// `live log`, an archive file name, or `checkpoints`.
    pub place: String,
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "entry {seq} ({}): {}", self.place, self.what),
            None => write!(f, "{}: {}", self.place, self.what),
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub entries: u64,
    pub archives: usize,
    pub checkpoints: usize,
    pub last_seq: u64,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, seq: Option<u64>, place: &str, what: impl Into<String>) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { seq, place: place.into(), what: what.into() });
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "checked {} entries (last {}), {} archives, {} signed checkpoints",
            self.entries, self.last_seq, self.archives, self.checkpoints
        )?;
        match self.problems.first() {
            None => writeln!(f, "access log intact"),
            Some(first) => {
                writeln!(f, "ACCESS LOG DAMAGED — first bad entry: {first}")?;
                for p in &self.problems[1..] {
                    writeln!(f, "  also: {p}")?;
                }
                Ok(())
            }
        }
    }
}

/// Walks the chain from its first entry (or the first archive) to the head.
struct Walker {
    expected_seq: u64,
    expected_prev: [u8; 32],
    /// Hashes at the sequence numbers that checkpoints cover.
    wanted: HashMap<u64, Option<[u8; 32]>>,
}

impl Walker {
    fn step(
        &mut self,
        report: &mut Report,
        place: &str,
        key: Option<u64>,
        hash: [u8; 32],
        json: &[u8],
    ) {
        report.entries += 1;
        let at = key.unwrap_or(self.expected_seq);
        let entry: Option<Entry> = serde_json::from_slice(json).ok();
        match &entry {
            None => report.problem(Some(at), place, "entry is not readable (altered)"),
            Some(entry) => {
                if let Some(k) = key
                    && entry.seq != k
                {
                    report.problem(
                        Some(k),
                        place,
                        format!(
                            "stored at {k} but says it is entry {} (reordered or moved)",
                            entry.seq
                        ),
                    );
                }
                if entry.seq > self.expected_seq {
                    report.problem(
                        Some(self.expected_seq),
                        place,
                        format!(
                            "entries {}..{} are missing (removed)",
                            self.expected_seq,
                            entry.seq - 1
                        ),
                    );
                } else if entry.seq < self.expected_seq {
                    report.problem(
                        Some(entry.seq),
                        place,
                        "entry appears again or out of order (inserted or reordered)",
                    );
                }
                let recomputed = match hex::decode(&entry.prev)
                    .ok()
                    .and_then(|p| <[u8; 32]>::try_from(p).ok())
                {
                    Some(prev) => chain::entry_hash(&prev, json),
                    None => [0xff; 32],
                };
                if recomputed != hash {
                    report.problem(
                        Some(entry.seq),
                        place,
                        "content does not match its hash (altered)",
                    );
                } else if entry.prev != hex::encode(self.expected_prev) {
                    report.problem(
                        Some(entry.seq),
                        place,
                        "does not follow the entry before it (an entry was inserted, removed or reordered)",
                    );
                }
            }
        }
        let seq = entry.as_ref().map(|e| e.seq).unwrap_or(at);
        if let Some(slot) = self.wanted.get_mut(&seq) {
            *slot = Some(hash);
        }
        report.last_seq = seq;
        self.expected_seq = seq + 1;
        self.expected_prev = hash;
    }
}

/// Verifies archives, the live log and checkpoints against the trusted appliance key.
pub fn verify(db: &Db, data_dir: &Path, trusted: &PublicKey) -> Result<Report> {
    let mut report = Report::default();
    let txn = db.read()?;

    // Checkpoints: live table plus those carried in archives (deduplicated by seq).
    let mut checkpoints: HashMap<u64, (Checkpoint, String)> = HashMap::new();
    for row in txn.open_table(CHECKPOINTS)?.iter()? {
        let (k, v) = row?;
        match serde_json::from_slice::<Checkpoint>(v.value()) {
            Ok(cp) => {
                checkpoints.insert(cp.seq, (cp, "checkpoints".into()));
            }
            Err(_) => report.problem(
                Some(k.value()),
                "checkpoints",
                "checkpoint record is not readable (altered)",
            ),
        }
    }

    let register: Vec<ArchiveRecord> =
        crate::db::all_json::<u64, ArchiveRecord, _>(&txn.open_table(chain::ARCHIVES)?)?;
    let mut walker = Walker { expected_seq: 1, expected_prev: GENESIS, wanted: HashMap::new() };
    let mut opened = Vec::new();
    for record in &register {
        let path = archive::archive_dir(data_dir).join(&record.file);
        let place = record.file.as_str();
        match std::fs::read(&path) {
            Err(_) => {
                report.problem(
                    Some(record.first_seq),
                    place,
                    format!(
                        "archive file is missing (entries {}..{})",
                        record.first_seq, record.last_seq
                    ),
                );
                opened.push(None);
                continue;
            }
            Ok(bytes) if hex::encode(Sha256::digest(&bytes)) != record.sha256 => {
                report.problem(
                    Some(record.first_seq),
                    place,
                    "archive file differs from the one registered (replaced or altered)",
                );
            }
            Ok(_) => {}
        }
        match archive::open(&path, trusted) {
            Ok(a) => {
                for cp in &a.checkpoints {
                    checkpoints.entry(cp.seq).or_insert_with(|| (cp.clone(), record.file.clone()));
                }
                opened.push(Some(a));
            }
            Err(e) => {
                report.problem(Some(record.first_seq), place, e);
                opened.push(None);
            }
        }
    }
    for seq in checkpoints.keys() {
        walker.wanted.insert(*seq, None);
    }
    report.archives = register.len();

    for (record, archive) in register.iter().zip(&opened) {
        match archive {
            Some(a) => {
                for (hash, json) in &a.entries {
                    walker.step(&mut report, &record.file, None, *hash, json);
                }
            }
            None => {
                // Skip over the unreadable archive so the live log is still checked.
                walker.expected_seq = record.last_seq + 1;
                walker.expected_prev = hex::decode(&record.last_hash)
                    .ok()
                    .and_then(|h| h.try_into().ok())
                    .unwrap_or(GENESIS);
            }
        }
    }

    blocks::forward(&txn, 0, |stored| {
        // A row's key is where its first entry must be; the others follow it in the block.
        let key = stored.first_of_row.then_some(stored.seq);
        match stored.value.and_then(chain::split_value) {
            Some((hash, json)) => walker.step(&mut report, "live log", key, hash, json),
            None => {
                report.entries += 1;
                report.problem(
                    Some(stored.seq),
                    "live log",
                    "record is too short to hold an entry (altered)",
                );
                walker.expected_seq = stored.seq + 1;
            }
        }
        Ok(true)
    })?;

    let head = chain::read_head(&txn.open_table(META)?)?;
    if head.seq != walker.expected_seq - 1 || (head.seq > 0 && head.hash != walker.expected_prev) {
        report.problem(
            Some(head.seq),
            "live log",
            format!("the recorded head (entry {}) is not the last entry found ({}): entries were removed or added at the end", head.seq, walker.expected_seq - 1),
        );
    }

    let mut seqs: Vec<u64> = checkpoints.keys().copied().collect();
    seqs.sort_unstable();
    for seq in seqs {
        let (cp, place) = &checkpoints[&seq];
        report.checkpoints += 1;
        let signed = cp.public_key == trusted.to_hex()
            && hex::decode(&cp.signature)
                .map(|sig| {
                    trusted.verify(Checkpoint::message(cp.seq, &cp.hash, &cp.time).as_bytes(), &sig)
                })
                .unwrap_or(false);
        if !signed {
            report.problem(
                Some(seq),
                place,
                "checkpoint signature does not verify with the appliance key (forged)",
            );
            continue;
        }
        match walker.wanted.get(&seq).copied().flatten() {
            None => report.problem(
                Some(seq),
                place,
                "a signed checkpoint covers this entry but it is missing (the log was truncated)",
            ),
            Some(hash) if hex::encode(hash) != cp.hash => report.problem(
                Some(seq),
                place,
                "entry differs from the signed checkpoint (the chain was rewritten)",
            ),
            Some(_) => {}
        }
    }
    // The first problem by sequence number is the first bad entry.
    report.problems.sort_by_key(|p| p.seq.unwrap_or(u64::MAX));
    Ok(report)
}
