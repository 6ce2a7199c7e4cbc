//! What a backup file says about itself: the header (first entry, read before anything is
//! extracted) and the manifest (last entries: the sha256 of every entry, signed by the
//! appliance key).
//!
//! Layout of a backup (an ordinary tar file, see `tarfile`):
//! `ipgo-backup.json`, `db/ipgo.redb`, `archive/*.zip`, `blobs/ab/cd/<sha256>`...,
//! `manifest.json`, `manifest.sig` (hex Ed25519 signature of `manifest.json`).

use serde::{Deserialize, Serialize};

use crate::portal::documents::store::Destruction;

pub const FORMAT: &str = "ipgo-backup-v1";
pub const HEADER_ENTRY: &str = "ipgo-backup.json";
pub const DB_ENTRY: &str = "db/ipgo.redb";
pub const MANIFEST_ENTRY: &str = "manifest.json";
pub const SIGNATURE_ENTRY: &str = "manifest.sig";
pub const FILE_SUFFIX: &str = ".ipgobak";

/// The first entry: enough to refuse a backup early (unknown format, newer schema, another
/// appliance) before anything is written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub format: String,
    pub created: String,
    pub ipgo_version: String,
    pub schema_version: u32,
    /// Hex Ed25519 public key of the appliance that made (and signed) the backup.
    pub appliance_public_key: String,
    pub source_data_dir: String,
    pub source_keys_dir: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EntryInfo {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Counts {
    pub documents: u64,
    pub destroyed: u64,
    pub versions: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub archives: u64,
    pub access_log_head: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub header: Header,
    /// Every entry before `manifest.json`, in file order.
    pub entries: Vec<EntryInfo>,
    pub counts: Counts,
    /// The vault key generation when the snapshot was taken: a restore whose vault is of a
    /// later generation knows that documents were destroyed after the backup.
    pub vault_generation: u64,
    /// Documents destroyed while the backup ran (their blobs vanished before they could be
    /// copied): a restore treats them as destroyed.
    pub destroyed_during_backup: Vec<Destruction>,
}

/// Validates an entry name from a backup before anything is written under it.
pub fn safe_path(name: &str) -> bool {
    let ok_component = |c: &str| {
        !c.is_empty()
            && c != "."
            && c != ".."
            && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    };
    match name.split('/').collect::<Vec<_>>().as_slice() {
        [single] => {
            *single == HEADER_ENTRY || *single == MANIFEST_ENTRY || *single == SIGNATURE_ENTRY
        }
        ["db", "ipgo.redb"] => true,
        ["archive", file] => ok_component(file) && file.ends_with(".zip"),
        ["blobs", a, b, id] => {
            crate::blobs::BlobId::parse(id).is_some() && id[..2] == **a && id[2..4] == **b
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_expected_paths_are_accepted() {
        let id = "ab".repeat(32);
        assert!(safe_path(&format!("blobs/ab/ab/{id}")));
        assert!(!safe_path(&format!("blobs/ab/cd/{id}")), "directory must match the name");
        assert!(safe_path("archive/audit-2026-10-0000000001-0000000009.zip"));
        assert!(!safe_path("archive/../../etc/passwd.zip"));
        assert!(!safe_path("../ipgo.redb"));
        assert!(!safe_path("/etc/ipgo/keys/vault.key"));
        assert!(!safe_path("keys/vault.key"));
        assert!(safe_path("db/ipgo.redb"));
        assert!(safe_path("manifest.json"));
    }
}
