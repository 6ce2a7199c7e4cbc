//! `ipgo destroy --all`: guaranteed destruction of a whole installation for
//! decommissioning (I385 §6.8: documents, registration certificates, keys, databases).
//!
//! Runs only while no server runs. Key files are overwritten with zeros and synced before
//! they are unlinked — without the vault key no copy of the blobs anywhere can be read —
//! then the blobs, the database, the search index, the audit archives and the keys go.
//! Overwriting in place is what a filesystem allows; on SSDs and copy-on-write filesystems
//! old blocks may survive, which is why the keys (the only thing that unlocks the data)
//! are destroyed first and why the admin guide also asks for the disk to be wiped or
//! physically destroyed. A summary certificate is printed and sent to the system journal.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::config::Config;

fn overwrite_and_remove(path: &Path) -> std::io::Result<()> {
    if let Ok(meta) = fs::metadata(path) {
        let mut f = fs::OpenOptions::new().write(true).open(path)?;
        let zeros = vec![0u8; 64 * 1024];
        let mut left = meta.len();
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            f.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        f.sync_all()?;
        fs::remove_file(path)?;
    }
    Ok(())
}

fn count_files(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                let (f, b) = count_files(&path);
                files += f;
                bytes += b;
            } else if let Ok(m) = e.metadata() {
                files += 1;
                bytes += m.len();
            }
        }
    }
    (files, bytes)
}

/// Destroys everything of the installation described by `config`.
pub fn destroy_all(config: &Config, out: &mut dyn Write) -> anyhow::Result<()> {
    let data = config.data_dir();
    let keys = config.keys_dir();
    if config.admin_socket().exists()
        && std::os::unix::net::UnixStream::connect(config.admin_socket()).is_ok()
    {
        anyhow::bail!(
            "the server is running on {}; stop it first (systemctl stop ipgo)",
            data.display()
        );
    }
    // Holding the database proves no server runs, and keeps one from starting meanwhile.
    let db = crate::db::Db::open(&config.database_path()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (blob_files, blob_bytes) = count_files(&data.join("blobs"));
    // Keys first: from this moment nothing stored can be decrypted.
    let mut key_files = 0;
    if let Ok(entries) = fs::read_dir(&keys) {
        for e in entries.flatten() {
            if e.path().is_file() {
                overwrite_and_remove(&e.path())?;
                key_files += 1;
            }
        }
    }
    drop(db);
    for sub in ["blobs", "index", "archive"] {
        let dir = data.join(sub);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
    }
    overwrite_and_remove(&config.database_path())?;
    for entry in fs::read_dir(data)?.flatten() {
        let path = entry.path();
        if path.is_file() {
            overwrite_and_remove(&path)?;
        }
    }
    if keys.exists() && fs::read_dir(&keys)?.next().is_none() {
        fs::remove_dir(&keys)?;
    }
    let certificate = json!({
        "decommissioned": crate::clock::utc_string(crate::clock::now()),
        "by": crate::ops::os_user::current(),
        "data_dir": data.display().to_string(),
        "keys_dir": keys.display().to_string(),
        "key_files_destroyed": key_files,
        "blob_files_removed": blob_files,
        "blob_bytes_removed": blob_bytes,
    });
    tracing::warn!(target: "ipgo::decommission", certificate = %certificate, "installation destroyed");
    writeln!(out, "{}", serde_json::to_string_pretty(&certificate)?)?;
    Ok(())
}
