//! Signatures on document versions (I385 §6.4, §57–§59): the signing manifest of a version,
//! accepting a detached CMS over it from a person whose certificate is registered to them,
//! several signatures per version (§58), and each signature's status now.
//!
//! A signature is accepted only if it verifies when submitted; it is then stored with its
//! verdict. Its status is re-established whenever it is shown: against a manifest rebuilt
//! from the bytes actually stored (so a changed byte of the text or of any file shows every
//! signature of the version as invalid) and against the trust store as it is now (so a
//! certificate revoked after signing shows as "revoked later").

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::model::{DocState, DocumentRecord};
use super::store::{self, Reader};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::error::{Code, Error, Result};
use crate::sign::{Manifest, ManifestFile, Reason, Verdict};

/// (document, version, signature id) → record.
pub const SIGNATURES: TableDefinition<(u64, u32, u64), &[u8]> =
    TableDefinition::new("document_signatures");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(SIGNATURES)?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignatureRecord {
    pub id: u64,
    pub doc_id: u64,
    pub version: u32,
    pub user_id: u64,
    pub submitted: String,
    /// What the signature is for in a workflow (`approval`, `vote`...), empty otherwise.
    #[serde(default)]
    pub purpose: String,
    /// The CMS as submitted (DER, base64).
    pub cms: String,
    /// sha256 of the manifest bytes that were signed.
    pub manifest_sha256: String,
    /// The verdict when the signature was accepted.
    pub verdict: Verdict,
}

/// A signature with its status now.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureView {
    pub id: u64,
    pub version: u32,
    pub user_id: u64,
    pub submitted: String,
    pub purpose: String,
    /// `valid`, `invalid` or `revoked_later`.
    pub status: &'static str,
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    pub signer: serde_json::Value,
    pub signing_time: Option<String>,
}

fn doc_object(doc: &DocumentRecord) -> Object<'_> {
    Object::Document { agency_id: doc.agency_id, author_id: doc.author_id, access: &doc.access }
}

fn readable(app: &App, actor: &Actor, id: u64) -> Result<(DocumentRecord, crate::vault::DataKey)> {
    let txn = app.db.read()?;
    let doc = Reader(&txn).document(id)?.ok_or_else(Error::not_found)?;
    if doc.state != DocState::Active {
        return Err(Error::new(Code::Gone));
    }
    require(actor, Action::DocumentRead, doc_object(&doc))?;
    let key =
        app.vault.key(id).ok_or_else(|| Error::internal(format!("document {id} has no key")))?;
    Ok((doc, key))
}

/// The manifest as recorded when the version was posted: the exact bytes to sign.
fn recorded_manifest(app: &App, key: &[u8; 32], doc: u64, n: u32) -> Result<Manifest> {
    let txn = app.db.read()?;
    let version = Reader(&txn).version(doc, n)?.ok_or_else(Error::not_found)?;
    let content = store::open_content(key, &version)?;
    let mut files = Vec::new();
    for f in &content.files {
        let sha: [u8; 32] = hex::decode(&f.sha256)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::internal("bad file hash"))?;
        files.push(ManifestFile {
            name: f.name.clone(),
            digest: crate::sign::Digest { sha256: sha, size: f.size },
        });
    }
    Ok(Manifest {
        document_id: doc,
        version: n as u64,
        title: content.title.clone(),
        text: crate::sign::Digest::of(content.text.as_bytes()),
        files,
    })
}

/// The manifest rebuilt from the bytes stored now; `None` when a stored file no longer
/// decrypts (it was altered).
fn actual_manifest(app: &App, key: &[u8; 32], doc: u64, n: u32) -> Result<Option<Manifest>> {
    let txn = app.db.read()?;
    let version = Reader(&txn).version(doc, n)?.ok_or_else(Error::not_found)?;
    let Ok(content) = store::open_content(key, &version) else { return Ok(None) };
    let mut files = Vec::new();
    for (meta, stored) in content.files.iter().zip(&version.files) {
        let Ok(mut reader) = app.blobs.open_reader(&stored.blob, key) else { return Ok(None) };
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match std::io::Read::read(&mut reader, &mut buf) {
                Ok(0) => break,
                Ok(k) => {
                    hasher.update(&buf[..k]);
                    size += k as u64;
                }
                Err(_) => return Ok(None),
            }
        }
        files.push(ManifestFile {
            name: meta.name.clone(),
            digest: crate::sign::Digest { sha256: hasher.finalize().into(), size },
        });
    }
    Ok(Some(Manifest {
        document_id: doc,
        version: n as u64,
        title: content.title.clone(),
        text: crate::sign::Digest::of(content.text.as_bytes()),
        files,
    }))
}

/// `GET …/versions/{n}/manifest`: the exact bytes to sign.
pub fn manifest(app: &App, actor: &Actor, doc: u64, n: u32) -> Result<Vec<u8>> {
    let (_, key) = readable(app, actor, doc)?;
    actor.origin.set_operation("signature.manifest");
    Ok(recorded_manifest(app, &key, doc, n)?.render())
}

/// Verifies and stores a signature over the version's manifest by the signed-in person.
pub fn submit(
    app: &App,
    actor: &Actor,
    doc: u64,
    n: u32,
    cms: &[u8],
    purpose: &str,
) -> Result<SignatureView> {
    submit_with(app, actor, doc, n, cms, purpose, None)
}

/// Work a workflow does with an accepted signature inside the same transaction.
pub struct Also<'a> {
    pub operation: &'static str,
    pub run: &'a dyn Fn(&WriteTransaction, &SignatureRecord) -> Result<serde_json::Value>,
}

/// [`submit`] with a workflow's own work in the same transaction.
pub fn submit_with(
    app: &App,
    actor: &Actor,
    doc: u64,
    n: u32,
    cms: &[u8],
    purpose: &str,
    also: Option<&Also>,
) -> Result<SignatureView> {
    let (_, key) = readable(app, actor, doc)?;
    actor.origin.set_operation("signature.submit");
    let user = actor.user_id().ok_or_else(Error::forbidden)?;
    let manifest = recorded_manifest(app, &key, doc, n)?.render();
    let verdict = crate::sign::service::verify_for_user(app, Some(user), &manifest, cms)?;
    if let Verdict::Invalid(rejection) = verdict {
        actor.origin.set_detail(
            json!({"document_id": doc, "version": n, "reason": rejection.reason.name()}),
        );
        return Err(rejection.into());
    }
    let der = crate::sign::cms::decode_input(cms).map_err(Error::from)?;
    let operation = also.map(|a| a.operation).unwrap_or("signature.submit");
    let record = app.audit.change(actor, operation, |txn| {
        let id = crate::db::next_id(txn, "signature")?;
        let record = SignatureRecord {
            id,
            doc_id: doc,
            version: n,
            user_id: user,
            submitted: crate::clock::utc_string(crate::clock::now()),
            purpose: purpose.to_owned(),
            cms: crate::sign::store::b64(&der),
            manifest_sha256: hex::encode(Sha256::digest(&manifest)),
            verdict: verdict.clone(),
        };
        txn.open_table(SIGNATURES)?.insert((doc, n, id), serde_json::to_vec(&record)?.as_slice())?;
        let signer = verdict.report().map(|r| r.signer.fingerprint.clone()).unwrap_or_default();
        let mut detail = json!({"document_id": doc, "version": n, "signature_id": id, "signer": signer, "purpose": purpose});
        if let Some(a) = also {
            detail["workflow"] = (a.run)(txn, &record)?;
        }
        Ok((record, Some(detail)))
    })?;
    Ok(view(&record, "valid", None))
}

fn view(record: &SignatureRecord, status: &'static str, reason: Option<Reason>) -> SignatureView {
    let report = record.verdict.report();
    SignatureView {
        id: record.id,
        version: record.version,
        user_id: record.user_id,
        submitted: record.submitted.clone(),
        purpose: record.purpose.clone(),
        status,
        valid: status == "valid",
        reason,
        signer: report
            .map(|r| serde_json::to_value(&r.signer).unwrap_or_default())
            .unwrap_or_default(),
        signing_time: report.map(|r| r.signing_time.to_string()),
    }
}

pub fn records(app: &App, doc: u64, n: u32) -> Result<Vec<SignatureRecord>> {
    let txn = app.db.read()?;
    let table = txn.open_table(SIGNATURES)?;
    let mut out = Vec::new();
    for row in table.range((doc, n, 0)..=(doc, n, u64::MAX))? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

/// Every signature of a version with its status now (§58).
pub fn list(app: &App, actor: &Actor, doc: u64, n: u32) -> Result<Vec<SignatureView>> {
    let (_, key) = readable(app, actor, doc)?;
    actor.origin.set_operation("signature.list");
    let records = records(app, doc, n)?;
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let actual = actual_manifest(app, &key, doc, n)?.map(|m| m.render());
    let mut out = Vec::new();
    for r in &records {
        let Some(manifest) = &actual else {
            out.push(view(r, "invalid", Some(Reason::DigestMismatch)));
            continue;
        };
        let cms = crate::sign::store::unb64(&r.cms)?;
        let now = crate::sign::service::verify_for_user(app, Some(r.user_id), manifest, &cms)?;
        out.push(match now {
            Verdict::Valid(_) => view(r, "valid", None),
            Verdict::Invalid(rej)
                if matches!(rej.reason, Reason::Revoked | Reason::RegistrationRevoked) =>
            {
                view(r, "revoked_later", Some(rej.reason))
            }
            Verdict::Invalid(rej) => view(r, "invalid", Some(rej.reason)),
        });
    }
    Ok(out)
}

/// Removes every signature of a document (its destruction, I385 §6.8).
pub fn remove_all_in(txn: &WriteTransaction, doc: u64) -> Result<usize> {
    let mut table = txn.open_table(SIGNATURES)?;
    let keys: Vec<(u64, u32, u64)> = table
        .range((doc, 0, 0)..=(doc, u32::MAX, u64::MAX))?
        .map(|r| r.map(|(k, _)| k.value()))
        .collect::<Result<_, _>>()?;
    for k in &keys {
        table.remove(*k)?;
    }
    Ok(keys.len())
}

/// One stored signature (for workflows that refer to it).
pub fn record(app: &App, doc: u64, n: u32, id: u64) -> Result<Option<SignatureRecord>> {
    let txn = app.db.read()?;
    crate::db::get_json(&txn.open_table(SIGNATURES)?, (doc, n, id))
}
