//! Signatures on document versions (I385 §6.4, §57–§59): the signing manifest of a version,
//! accepting a detached CMS over it from a person whose certificate is registered to them,
//! several signatures per version (§58), and each signature's standing now.
//!
//! A signature is accepted only if it verifies when submitted; it is then stored with its
//! verdict, the signer's certificate and the acceptance time. Its standing is **computed
//! whenever it is read**, never stored: against a manifest rebuilt from the bytes actually
//! stored (a changed byte of the text or of any file shows every signature of the version
//! as invalid) and against the trust store as it is now, at the acceptance time (see
//! `sign::service::recheck`: a certificate revoked after acceptance gives "revoked later").
//! So a status can never be stale. What is stored is only whether people were told:
//! when a CRL that newly lists a signer's certificate is installed, [`crl_installed`]
//! writes one access-log entry per affected signature and a notice to its signer and to
//! the document's author, once.

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::store::{self, Reader};
use crate::actor::Actor;
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::sign::service::Standing;
use crate::sign::x509::{Cert, CertSummary, sha256_hex};
use crate::sign::{Manifest, ManifestFile, Reason, Verdict};

/// (document, version, signature id) → record.
pub const SIGNATURES: TableDefinition<(u64, u32, u64), &[u8]> =
    TableDefinition::new("document_signatures");
/// (sha256 of the signer certificate's issuer name DER, serial hex, document, version,
/// signature id): which signatures a CRL of that issuer can touch.
pub const BY_CERT: TableDefinition<(&str, &str, u64, u32, u64), ()> =
    TableDefinition::new("document_signatures_by_cert");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(SIGNATURES)?;
    txn.open_table(BY_CERT)?;
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
    /// The signer's certificate (DER, base64), kept so the signature can be checked again
    /// even if the message does not carry it or the registration is destroyed later.
    #[serde(default)]
    pub signer_cert: String,
    /// When the signer and the author were told that a CRL revoked the certificate.
    #[serde(default)]
    pub revocation_notified: Option<String>,
}

impl SignatureRecord {
    /// When the portal accepted the signature (its server clock): the reference time of
    /// every later check.
    pub fn accepted(&self) -> jiff::Timestamp {
        self.verdict
            .report()
            .map(|r| r.checked_at)
            .or_else(|| crate::clock::parse(&self.submitted))
            .unwrap_or_else(crate::clock::now)
    }

    pub fn signer_certificate(&self) -> Option<Cert> {
        let der = crate::sign::store::unb64(&self.signer_cert).ok()?;
        Cert::from_der(&der).ok()
    }

    pub fn cms_der(&self) -> Result<Vec<u8>> {
        crate::sign::store::unb64(&self.cms)
    }
}

/// A signature with its standing now.
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
    /// Technical detail of an invalid or revoked status (names certificates and CRLs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For `revoked`: the revocation date from the CRL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    pub signer: Option<CertSummary>,
    pub signing_time: Option<String>,
}

/// The manifest as recorded when the version was posted: the exact bytes to sign.
pub(super) fn recorded_manifest(app: &App, key: &[u8; 32], doc: u64, n: u32) -> Result<Manifest> {
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

/// The manifest rebuilt from the bytes stored now; `None` when the version's sealed
/// content or a stored file no longer decrypts (it was altered).
pub(super) fn actual_manifest(
    app: &App,
    key: &[u8; 32],
    doc: u64,
    n: u32,
) -> Result<Option<Manifest>> {
    let txn = app.db.read()?;
    let version = Reader(&txn).version(doc, n)?.ok_or_else(Error::not_found)?;
    let Ok(content) = store::open_content(key, &version) else { return Ok(None) };
    let mut files = Vec::new();
    for meta in &content.files {
        let Some(stored) = version.files.iter().find(|f| f.id == meta.id) else {
            return Ok(None);
        };
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
    let (_, key) = super::service::readable(app, actor, doc)?;
    actor.origin.set_operation("signature.manifest");
    Ok(recorded_manifest(app, &key, doc, n)?.render())
}

/// The signer's certificate of a valid verdict: from the message, or among the user's
/// registered certificates.
fn signer_cert(app: &App, user: u64, der: &[u8], fingerprint: &str) -> Result<Option<Cert>> {
    if let Ok(parsed) = crate::sign::cms::parse(der)
        && let Some(c) = parsed.certificates.into_iter().find(|c| c.fingerprint() == fingerprint)
    {
        return Ok(Some(c));
    }
    let txn = app.db.read()?;
    let registered = crate::sign::store::Reader(&txn).user_cert(fingerprint)?;
    Ok(registered
        .filter(|r| r.user_id == user)
        .and_then(|r| crate::sign::store::unb64(&r.der).ok())
        .and_then(|d| Cert::from_der(&d).ok()))
}

/// Verifies and stores a signature over the version's manifest by the signed-in person.
/// `purpose` names the workflow step (`""` for a plain signature); the same certificate
/// signs a version once per purpose.
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
    let (_, key) = super::service::readable(app, actor, doc)?;
    actor.origin.set_operation("signature.submit");
    let user = actor.user_id().ok_or_else(Error::forbidden)?;
    let manifest = recorded_manifest(app, &key, doc, n)?.render();
    let verdict = crate::sign::service::verify_for_user(app, Some(user), &manifest, cms)?;
    let report = match &verdict {
        Verdict::Invalid(rejection) => {
            actor.origin.set_detail(
                json!({"document_id": doc, "version": n, "reason": rejection.reason.name()}),
            );
            return Err(rejection.clone().into());
        }
        Verdict::Valid(report) => report.clone(),
    };
    let der = crate::sign::cms::decode_input(cms).map_err(Error::from)?;
    let cert = signer_cert(app, user, &der, &report.signer.fingerprint)?
        .ok_or_else(|| Error::internal("the signer's certificate vanished after verification"))?;
    let issuer_key = sha256_hex(&cert.issuer_der());
    let serial = report.signer.serial.clone();
    let operation = also.map(|a| a.operation).unwrap_or("signature.submit");
    let record = app.audit.change(actor, operation, |txn| {
        let mut table = txn.open_table(SIGNATURES)?;
        for row in table.range((doc, n, 0)..=(doc, n, u64::MAX))? {
            let existing: SignatureRecord = serde_json::from_slice(row?.1.value())?;
            let same_signer = existing
                .verdict
                .report()
                .is_some_and(|r| r.signer.fingerprint == report.signer.fingerprint);
            if same_signer && existing.purpose == purpose {
                return Err(Error::new(Code::Conflict)
                    .with_field("signature")
                    .with_detail_key("signature-duplicate"));
            }
        }
        let id = crate::db::next_id(txn, "signature")?;
        let record = SignatureRecord {
            id,
            doc_id: doc,
            version: n,
            user_id: user,
            submitted: crate::clock::utc_string(report.checked_at),
            purpose: purpose.to_owned(),
            cms: crate::sign::store::b64(&der),
            manifest_sha256: hex::encode(Sha256::digest(&manifest)),
            verdict: verdict.clone(),
            signer_cert: crate::sign::store::b64(&cert.der),
            revocation_notified: None,
        };
        table.insert((doc, n, id), serde_json::to_vec(&record)?.as_slice())?;
        txn.open_table(BY_CERT)?.insert((issuer_key.as_str(), serial.as_str(), doc, n, id), ())?;
        let mut detail = json!({"document_id": doc, "version": n, "signature_id": id,
            "signer": report.signer.fingerprint, "subject": report.signer.subject,
            "purpose": purpose});
        if let Some(a) = also {
            detail["workflow"] = (a.run)(txn, &record)?;
        }
        Ok((record, Some(detail)))
    })?;
    // The signature status is a search filter.
    app.search.changed(doc);
    Ok(view(&record, &Standing::Valid(report)))
}

pub fn view(record: &SignatureRecord, standing: &Standing) -> SignatureView {
    let report = record.verdict.report();
    let rejection = standing.rejection();
    SignatureView {
        id: record.id,
        version: record.version,
        user_id: record.user_id,
        submitted: record.submitted.clone(),
        purpose: record.purpose.clone(),
        status: standing.name(),
        valid: matches!(standing, Standing::Valid(_)),
        reason: rejection.map(|r| r.reason),
        detail: rejection.map(|r| r.detail.clone()),
        revoked_at: rejection.and_then(|r| r.revoked_at).map(crate::clock::utc_string),
        signer: report.map(|r| r.signer.clone()),
        signing_time: report.map(|r| crate::clock::utc_string(r.signing_time)),
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

/// The standing of each record of one version, given the manifest rebuilt from the
/// stored bytes (`None`: they no longer decrypt).
pub(super) fn standings(
    app: &App,
    records: &[SignatureRecord],
    actual: Option<&[u8]>,
) -> Result<Vec<Standing>> {
    let trust = app.trust.get(&app.db)?;
    let policy = crate::sign::service::policy(app);
    let txn = app.db.read()?;
    let certs = crate::sign::store::Reader(&txn);
    let mut out = Vec::new();
    for r in records {
        let changed = |detail: &str| {
            let mut rejection = crate::sign::Rejection::new(Reason::DigestMismatch, detail);
            if let Some(report) = r.verdict.report() {
                rejection = rejection.with_signer(&report.signer);
            }
            Standing::Invalid(rejection)
        };
        let Some(manifest) = actual else {
            out.push(changed("a stored file or the version's text fails authentication"));
            continue;
        };
        if hex::encode(Sha256::digest(manifest)) != r.manifest_sha256 {
            out.push(changed("the stored text or files differ from what was signed"));
            continue;
        }
        let signer = r.signer_certificate();
        let registration = match &signer {
            Some(c) => certs.user_cert(&c.fingerprint())?,
            None => None,
        };
        out.push(crate::sign::service::recheck(
            &trust,
            manifest,
            &r.cms_der()?,
            signer.as_ref(),
            r.accepted(),
            registration.as_ref().filter(|reg| reg.user_id == r.user_id),
            &policy,
        ));
    }
    Ok(out)
}

/// Every signature of a version with its standing now (§58).
pub fn list(app: &App, actor: &Actor, doc: u64, n: u32) -> Result<Vec<SignatureView>> {
    // Before reading: the signatures' own route is named so even when the document is
    // missing; a draft's page that lists them keeps its own name (issue 21 point 5).
    actor.origin.name_operation_if_unnamed("signature.list");
    let (_, key) = super::service::readable(app, actor, doc)?;
    {
        let txn = app.db.read()?;
        Reader(&txn).version(doc, n)?.ok_or_else(Error::not_found)?;
    }
    views(app, &key, doc, n)
}

fn views(app: &App, key: &[u8; 32], doc: u64, n: u32) -> Result<Vec<SignatureView>> {
    let records = records(app, doc, n)?;
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let actual = actual_manifest(app, key, doc, n)?.map(|m| m.render());
    let standings = standings(app, &records, actual.as_deref())?;
    Ok(records.iter().zip(&standings).map(|(r, s)| view(r, s)).collect())
}

/// What the document page shows of a version: its manifest and its signatures (the page
/// view is logged as the document read it is).
pub fn for_page(
    app: &App,
    actor: &Actor,
    doc: u64,
    n: u32,
) -> Result<(String, Vec<SignatureView>)> {
    let (_, key) = super::service::readable(app, actor, doc)?;
    let manifest = recorded_manifest(app, &key, doc, n)?.render();
    Ok((String::from_utf8_lossy(&manifest).into_owned(), views(app, &key, doc, n)?))
}

/// Removes every signature of a document (its destruction, I385 §6.8).
pub fn remove_all_in(txn: &WriteTransaction, doc: u64) -> Result<usize> {
    let mut table = txn.open_table(SIGNATURES)?;
    let mut removed = Vec::new();
    for row in table.range((doc, 0, 0)..=(doc, u32::MAX, u64::MAX))? {
        let (k, v) = row?;
        let record: SignatureRecord = serde_json::from_slice(v.value())?;
        removed.push((k.value(), record));
    }
    let mut index = txn.open_table(BY_CERT)?;
    for (key, record) in &removed {
        table.remove(*key)?;
        if let Some(cert) = record.signer_certificate()
            && let Some(report) = record.verdict.report()
        {
            let issuer = sha256_hex(&cert.issuer_der());
            index.remove((
                issuer.as_str(),
                report.signer.serial.as_str(),
                record.doc_id,
                record.version,
                record.id,
            ))?;
        }
    }
    Ok(removed.len())
}

/// One stored signature (for workflows that refer to it).
pub fn record(app: &App, doc: u64, n: u32, id: u64) -> Result<Option<SignatureRecord>> {
    let txn = app.db.read()?;
    crate::db::get_json(&txn.open_table(SIGNATURES)?, (doc, n, id))
}
