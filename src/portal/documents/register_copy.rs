//! A copy of the destruction register kept beside the vault, in the keys directory.
//!
//! The register in redb is lost with the data disk and rolled back by restoring an old
//! backup; the keys directory is kept apart from both (and escrowed by `ipgo backup-keys`).
//! A restore replays this copy, so a document destroyed after a backup was made never
//! comes back from that backup — and its key is absent from the vault anyway.
//!
//! One JSON line per destroyed document, appended after the destruction commits; at every
//! start the copy is completed from the database (a crash between the two loses nothing).

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::store::{Destruction, Reader};
use crate::app::App;
use crate::error::Result;

pub const FILE: &str = "destruction-register.jsonl";

/// Rows of the copy in `keys_dir`, by document id. A torn last line (crash) is ignored.
pub fn read(keys_dir: &Path) -> Result<BTreeMap<u64, Destruction>> {
    let mut out = BTreeMap::new();
    let file = match std::fs::File::open(keys_dir.join(FILE)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        if let Ok(row) = serde_json::from_str::<Destruction>(&line) {
            out.insert(row.doc_id, row);
        }
    }
    Ok(out)
}

/// Appends rows durably.
pub fn append(keys_dir: &Path, rows: &[Destruction]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut text = Vec::new();
    for row in rows {
        // A torn line from an earlier crash must not swallow this one.
        text.push(b'\n');
        serde_json::to_writer(&mut text, row)?;
    }
    text.push(b'\n');
    let mut f =
        OpenOptions::new().create(true).append(true).mode(0o600).open(keys_dir.join(FILE))?;
    f.write_all(&text)?;
    f.sync_data()?;
    Ok(())
}

/// Adds to the copy every row of the database register it lacks; returns how many.
pub fn sync(app: &App) -> Result<usize> {
    let dir = app.config.keys_dir();
    let have = read(&dir)?;
    let rows = {
        let txn = app.db.read()?;
        Reader(&txn).destructions()?
    };
    let missing: Vec<Destruction> =
        rows.into_iter().filter(|r| !have.contains_key(&r.doc_id)).collect();
    append(&dir, &missing)?;
    Ok(missing.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u64) -> Destruction {
        Destruction {
            doc_id: id,
            destroyed_at: "2026-11-22T00:00:00.000000Z".into(),
            by: "u".into(),
            reason: "test reason".into(),
            blobs: vec!["ab".repeat(32)],
            certificate_seq: 9,
        }
    }

    #[test]
    fn rows_survive_a_torn_line_and_repeat_appends() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &[row(1)]).unwrap();
        let mut f = OpenOptions::new().append(true).open(dir.path().join(FILE)).unwrap();
        f.write_all(b"{\"doc_id\": 2, \"destr").unwrap();
        drop(f);
        append(dir.path(), &[row(3)]).unwrap();
        let rows = read(dir.path()).unwrap();
        assert_eq!(rows.keys().copied().collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(rows[&3], row(3));
    }
}
