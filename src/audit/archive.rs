//! Periodic archiving of the access log (R365 §8, §15): whole months move from the live
//! table into `data/archive/audit-YYYY-MM-<first>-<last>.zip`.
//!
//! An archive holds `entries.jsonl` (`<hash hex> <entry json>` per line, the exact stored
//! bytes), `checkpoints.jsonl`, and `manifest.json` with the sha256 of each member, signed
//! in `manifest.sig` by the appliance key. The register table keeps each archive's sha256,
//! so a replaced or deleted archive file is noticed by the verifier.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::blocks;
use super::chain::{self, ARCHIVES, CHECKPOINTS, Entry};
use super::{AuditLog, Checkpoint};
use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::keys::PublicKey;

pub const FORMAT: &str = "ipgo-audit-archive-v1";

/// Register row for one archive file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArchiveRecord {
    pub file: String,
    pub month: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub first_prev: String,
    pub last_hash: String,
    pub sha256: String,
    pub created: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub month: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub count: u64,
    pub first_prev: String,
    pub last_hash: String,
    pub entries_sha256: String,
    pub checkpoints_sha256: String,
    pub public_key: String,
    pub created: String,
}

pub fn archive_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("archive")
}

/// Moves every entry older than `before` into monthly archives. Returns the archives made.
pub fn run(
    audit: &AuditLog,
    data_dir: &Path,
    actor: &Actor,
    before: Timestamp,
) -> Result<Vec<ArchiveRecord>> {
    // Sign the current head first, so the archived tail is covered by a checkpoint.
    audit.checkpoint_now()?;
    // Never past the start of the run: each round writes its own entry, and a date still to
    // come would archive that entry in the next round, and so on without end.
    let cutoff = crate::clock::utc_string(before.min(crate::clock::now()));
    let dir = archive_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let mut made = Vec::new();
    loop {
        // One month per round: read that month's prefix of the live log.
        let (lines, checkpoints, month, first_prev) = {
            let txn = audit.db().read()?;
            let mut lines: Vec<(u64, Vec<u8>)> = Vec::new();
            let mut month = String::new();
            let mut first_prev = String::new();
            blocks::forward(&txn, 0, |stored| {
                let damaged = || Error::internal("damaged entry; run `ipgo audit verify`");
                let value = stored.value.ok_or_else(damaged)?;
                let (_, json) = chain::split_value(value).ok_or_else(damaged)?;
                let entry: Entry = serde_json::from_slice(json)?;
                // Archive a contiguous prefix only, so the chain stays whole.
                if entry.time.as_str() >= cutoff.as_str() {
                    return Ok(false);
                }
                let entry_month = entry.time[..7].to_owned();
                if month.is_empty() {
                    month = entry_month;
                    first_prev = entry.prev.clone();
                } else if entry_month != month {
                    return Ok(false);
                }
                lines.push((stored.seq, value.to_vec()));
                Ok(true)
            })?;
            let (first, last) = match (lines.first(), lines.last()) {
                (Some(f), Some(l)) => (f.0, l.0),
                _ => break,
            };
            let cps = txn.open_table(CHECKPOINTS)?;
            let mut checkpoints = Vec::new();
            for row in cps.range(first..=last)? {
                let (_, v) = row?;
                checkpoints.push(v.value().to_vec());
            }
            (lines, checkpoints, month, first_prev)
        };
        let record = write_archive(audit, &dir, &lines, &checkpoints, &month, &first_prev)?;
        let (first, last) = (record.first_seq, record.last_seq);
        let register = serde_json::to_vec(&record)?;
        audit.change(actor, "audit.archive", |txn| {
            blocks::remove_through(txn, last)?;
            txn.open_table(ARCHIVES)?.insert(first, register.as_slice())?;
            let detail = serde_json::json!({
                "file": record.file, "first_seq": first, "last_seq": last, "sha256": record.sha256,
            });
            Ok(((), Some(detail)))
        })?;
        tracing::info!(file = %record.file, first, last, "access log archived");
        made.push(record);
    }
    Ok(made)
}

fn write_archive(
    audit: &AuditLog,
    dir: &Path,
    lines: &[(u64, Vec<u8>)],
    checkpoints: &[Vec<u8>],
    month: &str,
    first_prev: &str,
) -> Result<ArchiveRecord> {
    let first_seq = lines[0].0;
    let last_seq = lines[lines.len() - 1].0;
    let mut entries = Vec::new();
    let mut last_hash = String::new();
    for (_, value) in lines {
        let (hash, json) =
            chain::split_value(value).ok_or_else(|| Error::internal("damaged entry"))?;
        last_hash = hex::encode(hash);
        entries.extend_from_slice(last_hash.as_bytes());
        entries.push(b' ');
        entries.extend_from_slice(json);
        entries.push(b'\n');
    }
    let mut cps = Vec::new();
    for c in checkpoints {
        cps.extend_from_slice(c);
        cps.push(b'\n');
    }
    let created = crate::clock::utc_string(crate::clock::now());
    let manifest = Manifest {
        format: FORMAT.into(),
        month: month.into(),
        first_seq,
        last_seq,
        count: lines.len() as u64,
        first_prev: first_prev.into(),
        last_hash: last_hash.clone(),
        entries_sha256: hex::encode(Sha256::digest(&entries)),
        checkpoints_sha256: hex::encode(Sha256::digest(&cps)),
        public_key: audit.public_key().to_hex(),
        created: created.clone(),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    let signature = hex::encode(audit.key().sign(&manifest_bytes));

    let name = format!("audit-{month}-{first_seq:010}-{last_seq:010}.zip");
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let file = std::fs::File::create(&tmp)?;
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o640);
        for (member, bytes) in [
            ("manifest.json", manifest_bytes.as_slice()),
            ("manifest.sig", signature.as_bytes()),
            ("entries.jsonl", entries.as_slice()),
            ("checkpoints.jsonl", cps.as_slice()),
        ] {
            zip.start_file(member, options).map_err(Error::internal)?;
            zip.write_all(bytes)?;
        }
        let file = zip.finish().map_err(Error::internal)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(dir)?.sync_all()?;
    let sha256 = hex::encode(Sha256::digest(std::fs::read(&path)?));
    Ok(ArchiveRecord {
        file: name,
        month: month.into(),
        first_seq,
        last_seq,
        first_prev: first_prev.into(),
        last_hash,
        sha256,
        created,
    })
}

/// The register of archives, in chain order.
pub fn register(db: &crate::db::Db) -> Result<Vec<ArchiveRecord>> {
    let txn = db.read()?;
    crate::db::all_json::<u64, ArchiveRecord, _>(&txn.open_table(ARCHIVES)?)
}

/// An archive read back and checked on its own.
pub struct OpenedArchive {
    pub manifest: Manifest,
    /// `(hash, json)` per line, in file order.
    pub entries: Vec<([u8; 32], Vec<u8>)>,
    pub checkpoints: Vec<Checkpoint>,
}

/// Reads an archive, checking its manifest signature and member hashes.
pub fn open(path: &Path, trusted: &PublicKey) -> std::result::Result<OpenedArchive, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a readable zip: {e}"))?;
    let mut member = |name: &str| -> std::result::Result<Vec<u8>, String> {
        let mut f = zip.by_name(name).map_err(|e| format!("member {name}: {e}"))?;
        let mut out = Vec::new();
        f.read_to_end(&mut out).map_err(|e| format!("member {name}: {e}"))?;
        Ok(out)
    };
    let manifest_bytes = member("manifest.json")?;
    let signature =
        hex::decode(member("manifest.sig")?).map_err(|_| "manifest.sig is not hex".to_string())?;
    if !trusted.verify(&manifest_bytes, &signature) {
        return Err("manifest signature does not verify with the appliance key".into());
    }
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| format!("manifest.json: {e}"))?;
    let entries_bytes = member("entries.jsonl")?;
    if hex::encode(Sha256::digest(&entries_bytes)) != manifest.entries_sha256 {
        return Err("entries.jsonl does not match the sha256 in the manifest".into());
    }
    let cps_bytes = member("checkpoints.jsonl")?;
    if hex::encode(Sha256::digest(&cps_bytes)) != manifest.checkpoints_sha256 {
        return Err("checkpoints.jsonl does not match the sha256 in the manifest".into());
    }
    let mut entries = Vec::new();
    for line in entries_bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let (hash_hex, json) =
            line.split_at(line.iter().position(|b| *b == b' ').unwrap_or(line.len()));
        let hash: [u8; 32] = hex::decode(hash_hex)
            .ok()
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| "an entries.jsonl line has no valid hash".to_string())?;
        entries.push((hash, json.get(1..).unwrap_or_default().to_vec()));
    }
    let mut checkpoints = Vec::new();
    for line in cps_bytes.lines() {
        let line = line.map_err(|e| e.to_string())?;
        if !line.is_empty() {
            checkpoints
                .push(serde_json::from_str(&line).map_err(|e| format!("checkpoints.jsonl: {e}"))?);
        }
    }
    Ok(OpenedArchive { manifest, entries, checkpoints })
}
