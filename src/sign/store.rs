//! The signature feature's redb tables: trusted CA certificates, CRLs (every imported
//! one is kept, so an evidence package can carry the CRL a verdict used), and signing
//! certificates registered to users (I385 §57).

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::x509::CertSummary;
use crate::db::{all_json, get_json, to_json};
use crate::error::Result;

/// CA certificates by sha256 fingerprint.
pub const CAS: TableDefinition<&str, &[u8]> = TableDefinition::new("sign_cas");
/// CRL metadata by sha256 of the CRL's DER.
pub const CRLS: TableDefinition<&str, &[u8]> = TableDefinition::new("sign_crls");
/// CRL bytes by sha256 (kept apart so listing never reads them).
pub const CRL_DER: TableDefinition<&str, &[u8]> = TableDefinition::new("sign_crl_der");
/// The CRL in force for each issuer: sha256 of the issuer name's DER → CRL sha256.
pub const CRL_CURRENT: TableDefinition<&str, &str> = TableDefinition::new("sign_crl_current");
/// Registered signing certificates by sha256 fingerprint.
pub const USER_CERTS: TableDefinition<&str, &[u8]> = TableDefinition::new("sign_user_certs");
/// (user id, fingerprint) for "which certificates does this person have".
pub const USER_CERT_INDEX: TableDefinition<(u64, &str), ()> =
    TableDefinition::new("sign_user_cert_index");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(CAS)?;
    txn.open_table(CRLS)?;
    txn.open_table(CRL_DER)?;
    txn.open_table(CRL_CURRENT)?;
    txn.open_table(USER_CERTS)?;
    txn.open_table(USER_CERT_INDEX)?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaRole {
    /// Self-signed: a trust anchor.
    Root,
    /// Issued by another CA: helps build paths, trusted only through its root.
    Intermediate,
}

impl CaRole {
    pub fn name(self) -> &'static str {
        match self {
            CaRole::Root => "root",
            CaRole::Intermediate => "intermediate",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaRecord {
    pub fingerprint: String,
    pub role: CaRole,
    pub summary: CertSummary,
    /// DER, base64.
    pub der: String,
    pub added_by: String,
    pub added_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrlRecord {
    pub sha256: String,
    pub issuer: String,
    /// sha256 of the issuer name's DER: the key of [`CRL_CURRENT`].
    pub issuer_key: String,
    pub this_update: jiff::Timestamp,
    #[serde(default)]
    pub next_update: Option<jiff::Timestamp>,
    /// cRLNumber, hex.
    #[serde(default)]
    pub crl_number: Option<String>,
    pub revoked_count: usize,
    pub size: usize,
    pub added_by: String,
    pub added_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    /// Uploaded by its owner; waits for an administrator.
    Pending,
    /// May sign.
    Active,
    /// Revoked locally; never signs again.
    Revoked,
}

impl CertStatus {
    pub fn name(self) -> &'static str {
        match self {
            CertStatus::Pending => "pending",
            CertStatus::Active => "active",
            CertStatus::Revoked => "revoked",
        }
    }
}

/// A signing certificate registered to a user (a "registration certificate", §57).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserCertRecord {
    pub fingerprint: String,
    pub user_id: u64,
    pub status: CertStatus,
    pub summary: CertSummary,
    /// DER, base64.
    pub der: String,
    pub registered_by: String,
    pub registered_at: String,
    #[serde(default)]
    pub confirmed_by: Option<String>,
    #[serde(default)]
    pub confirmed_at: Option<String>,
    #[serde(default)]
    pub revoked_by: Option<String>,
    #[serde(default)]
    pub revoked_at: Option<String>,
    #[serde(default)]
    pub revoke_reason: Option<String>,
    /// Set when the registration certificate was destroyed (I385 §6.8): the certificate
    /// and what it says of its holder are gone; the record stays, revoked, so signatures
    /// made with it still show that their registration was revoked.
    #[serde(default)]
    pub destroyed_at: Option<String>,
    #[serde(default)]
    pub destroyed_by: Option<String>,
}

impl UserCertRecord {
    pub fn is_destroyed(&self) -> bool {
        self.destroyed_at.is_some()
    }
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| crate::error::Error::internal(format!("stored base64: {e}")))
}

/// Read access within one snapshot.
pub struct Reader<'a>(pub &'a ReadTransaction);

impl Reader<'_> {
    pub fn cas(&self) -> Result<Vec<CaRecord>> {
        all_json(&self.0.open_table(CAS)?)
    }

    pub fn crls(&self) -> Result<Vec<CrlRecord>> {
        all_json(&self.0.open_table(CRLS)?)
    }

    pub fn crl(&self, sha256: &str) -> Result<Option<CrlRecord>> {
        get_json(&self.0.open_table(CRLS)?, sha256)
    }

    pub fn crl_der(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.0.open_table(CRL_DER)?.get(sha256)?.map(|g| g.value().to_vec()))
    }

    /// (issuer key, CRL sha256) of every CRL in force.
    pub fn current_crls(&self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for row in self.0.open_table(CRL_CURRENT)?.iter()? {
            let (k, v) = row?;
            out.push((k.value().to_owned(), v.value().to_owned()));
        }
        Ok(out)
    }

    pub fn user_cert(&self, fingerprint: &str) -> Result<Option<UserCertRecord>> {
        get_json(&self.0.open_table(USER_CERTS)?, fingerprint)
    }

    pub fn user_certs(&self) -> Result<Vec<UserCertRecord>> {
        all_json(&self.0.open_table(USER_CERTS)?)
    }

    pub fn certs_of_user(&self, user_id: u64) -> Result<Vec<UserCertRecord>> {
        let index = self.0.open_table(USER_CERT_INDEX)?;
        let mut out = Vec::new();
        for row in index.range((user_id, "")..)? {
            let (key, _) = row?;
            let (uid, fingerprint) = key.value();
            if uid != user_id {
                break;
            }
            if let Some(record) = self.user_cert(fingerprint)? {
                out.push(record);
            }
        }
        Ok(out)
    }
}

/// Write access within one transaction.
pub struct Writer<'a>(pub &'a WriteTransaction);

impl Writer<'_> {
    pub fn ca(&self, fingerprint: &str) -> Result<Option<CaRecord>> {
        get_json(&self.0.open_table(CAS)?, fingerprint)
    }

    pub fn put_ca(&self, record: &CaRecord) -> Result<()> {
        self.0.open_table(CAS)?.insert(record.fingerprint.as_str(), to_json(record)?.as_slice())?;
        Ok(())
    }

    pub fn remove_ca(&self, fingerprint: &str) -> Result<bool> {
        Ok(self.0.open_table(CAS)?.remove(fingerprint)?.is_some())
    }

    pub fn crl(&self, sha256: &str) -> Result<Option<CrlRecord>> {
        get_json(&self.0.open_table(CRLS)?, sha256)
    }

    pub fn current_crl(&self, issuer_key: &str) -> Result<Option<CrlRecord>> {
        let sha = self.0.open_table(CRL_CURRENT)?.get(issuer_key)?.map(|g| g.value().to_owned());
        match sha {
            Some(sha) => self.crl(&sha),
            None => Ok(None),
        }
    }

    /// Stores a CRL and makes it the one in force for its issuer.
    pub fn put_crl(&self, record: &CrlRecord, der: &[u8]) -> Result<()> {
        self.0.open_table(CRLS)?.insert(record.sha256.as_str(), to_json(record)?.as_slice())?;
        self.0.open_table(CRL_DER)?.insert(record.sha256.as_str(), der)?;
        self.0
            .open_table(CRL_CURRENT)?
            .insert(record.issuer_key.as_str(), record.sha256.as_str())?;
        Ok(())
    }

    pub fn user_cert(&self, fingerprint: &str) -> Result<Option<UserCertRecord>> {
        get_json(&self.0.open_table(USER_CERTS)?, fingerprint)
    }

    pub fn put_user_cert(&self, record: &UserCertRecord) -> Result<()> {
        self.0
            .open_table(USER_CERTS)?
            .insert(record.fingerprint.as_str(), to_json(record)?.as_slice())?;
        self.0
            .open_table(USER_CERT_INDEX)?
            .insert((record.user_id, record.fingerprint.as_str()), ())?;
        Ok(())
    }
}
