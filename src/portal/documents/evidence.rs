//! Exporting a signed document version as an evidence package (I385 §59): the exact bytes
//! that were signed, the text and files, every signature, the certificates and CRLs needed
//! to check them, each signature's standing at export, and the access-log entries that
//! changed the document — signed as a whole with the appliance key (`sign::package`
//! describes the layout; `ipgo verify-package` checks it offline).
//!
//! The access-log excerpt holds the entries that *changed* the document or its signatures
//! (posting, versions, comments, signatures given or refused, revocations), not who read
//! it: reading is the auditor's business, and a package leaves the portal.

use std::io::{Read, Seek, SeekFrom};

use sha2::{Digest as _, Sha256};

use super::signatures::{self, SignatureRecord};
use super::store::{self, Reader};
use crate::actor::Actor;
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::sign::Manifest;
use crate::sign::package::{self, Index, PackageWriter, Report, SignatureReport};
use crate::sign::store::{Reader as TrustReader, unb64};
use crate::sign::x509::Cert;

/// A finished package: a file name for the download and the unlinked temporary file.
pub struct Package {
    pub name: String,
    pub file: std::fs::File,
    pub size: u64,
    pub sha256: String,
}

fn io(e: std::io::Error) -> Error {
    Error::internal(format!("writing an evidence package: {e}"))
}

/// Whether an access-log entry changed document `doc` (see the module comment).
fn concerns(e: &crate::audit::chain::Entry, doc: u64) -> bool {
    let by_detail =
        e.detail.as_ref().and_then(|d| d.get("document_id")).and_then(|v| v.as_u64()) == Some(doc);
    let write = !matches!(e.method.as_str(), "GET" | "HEAD" | "OPTIONS");
    let by_path =
        [format!("/documents/{doc}"), format!("/api/v1/documents/{doc}")].iter().any(|p| {
            e.resource.strip_prefix(p.as_str()).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')
            })
        });
    (by_detail || by_path) && (write || e.operation == "signature.revoked")
}

pub fn export(app: &App, actor: &Actor, doc: u64, n: u32) -> Result<Package> {
    let (_, key) = super::service::readable(app, actor, doc)?;
    actor.origin.set_operation("document.evidence_export");
    let version = {
        let txn = app.db.read()?;
        Reader(&txn).version(doc, n)?.ok_or_else(Error::not_found)?
    };
    let content = store::open_content(&key, &version)?;
    let manifest_bytes = signatures::recorded_manifest(app, &key, doc, n)?.render();
    let manifest = Manifest::parse(&manifest_bytes).map_err(Error::internal)?;
    let records = signatures::records(app, doc, n)?;
    let actual = signatures::actual_manifest(app, &key, doc, n)?.map(|m| m.render());
    let standings = signatures::standings(app, &records, actual.as_deref())?;

    let tmp = tempfile::tempfile_in(app.config.data_dir()).map_err(io)?;
    let mut w = PackageWriter::new(tmp).map_err(io)?;
    w.add(package::MANIFEST, &manifest_bytes).map_err(io)?;
    w.add(package::TEXT, content.text.as_bytes()).map_err(io)?;
    let mut used = vec![false; content.files.len()];
    for (k, mf) in manifest.files.iter().enumerate() {
        let sha = hex::encode(mf.digest.sha256);
        let found = content.files.iter().enumerate().find(|(i, f)| {
            !used[*i] && f.name == mf.name && f.sha256 == sha && f.size == mf.digest.size
        });
        let (i, meta) = found.ok_or_else(|| Error::internal("manifest file not in the version"))?;
        used[i] = true;
        let stored = version
            .files
            .iter()
            .find(|f| f.id == meta.id)
            .ok_or_else(|| Error::internal("file record missing"))?;
        let mut reader = app
            .blobs
            .open_reader(&stored.blob, &key)
            .map_err(|e| Error::internal(format!("blob {}: {e}", stored.blob.0)))?;
        let got = w.add_reader(&package::file_path(k + 1, &mf.name), &mut reader);
        if got.as_deref().ok() != Some(sha.as_str()) {
            // A stored file that fails authentication or differs: no package can be honest.
            return Err(Error::new(Code::Conflict).with_detail_key("evidence-file-damaged"));
        }
    }

    let txn = app.db.read()?;
    let trust = TrustReader(&txn);
    let cas = trust.cas()?;
    let mut certificates: Vec<Cert> = Vec::new();
    let mut crl_shas: Vec<String> = Vec::new();
    let mut reports = Vec::new();
    let names: std::collections::HashMap<u64, (String, String)> =
        crate::portal::directory::service::user_names(
            app,
            &records.iter().map(|r| r.user_id).collect::<Vec<_>>(),
            "ru",
        )?
        .into_iter()
        .map(|(id, login, name)| (id, (login, name)))
        .collect();
    for (r, standing) in records.iter().zip(&standings) {
        let der = r.cms_der()?;
        w.add(&package::signature_path(r.id), &der).map_err(io)?;
        if let Some(c) = r.signer_certificate() {
            add_cert(c, &mut certificates);
        }
        if let Ok(parsed) = crate::sign::cms::parse(&der) {
            for c in parsed.certificates.into_iter().filter(Cert::is_ca) {
                add_cert(c, &mut certificates);
            }
        }
        let report = r.verdict.report();
        for summary in report.map(|r| r.chain.as_slice()).unwrap_or_default() {
            if let Some(ca) = cas.iter().find(|c| c.fingerprint == summary.fingerprint)
                && let Ok(c) = Cert::from_der(&unb64(&ca.der)?)
            {
                add_cert(c, &mut certificates);
            }
        }
        crl_shas
            .extend(report.map(|r| r.crls.iter().map(|c| c.sha256.clone())).into_iter().flatten());
        reports.push(signature_report(r, standing, &names));
    }
    // The CRLs in force now for the CAs in the package (the standings used them).
    for (_, sha) in trust.current_crls()? {
        if let Some(crl) = trust.crl(&sha)?
            && certificates
                .iter()
                .any(|c| crate::sign::x509::sha256_hex(&c.subject_der()) == crl.issuer_key)
        {
            crl_shas.push(sha);
        }
    }
    crl_shas.sort();
    crl_shas.dedup();
    for c in &certificates {
        w.add(&package::certificate_path(&c.fingerprint()), &c.der).map_err(io)?;
    }
    for sha in &crl_shas {
        if let Some(der) = trust.crl_der(sha)? {
            w.add(&package::crl_path(sha), &der).map_err(io)?;
        }
    }
    drop(txn);

    let report = Report {
        document_id: doc,
        version: n as u64,
        title: content.title.clone(),
        checked_at: crate::clock::now(),
        signatures: reports,
    };
    w.add(package::REPORT, &serde_json::to_vec_pretty(&report)?).map_err(io)?;
    let mut log = Vec::new();
    // The entries of requests already answered, journaled but perhaps not yet in the chain.
    app.audit.flush_blocking();
    crate::audit::query::export(
        &app.db,
        app.config.data_dir(),
        &app.audit.public_key(),
        &Default::default(),
        |e| {
            if concerns(e, doc) {
                serde_json::to_writer(&mut log, e)?;
                log.push(b'\n');
            }
            Ok(())
        },
    )?;
    w.add(package::ACCESS_LOG, &log).map_err(io)?;

    let index = Index {
        format: package::FORMAT.into(),
        document_id: doc,
        version: n as u64,
        exported_at: crate::clock::utc_string(crate::clock::now()),
        exported_by: actor.log_name(),
        appliance_public_key: app.audit.public_key().to_hex(),
        members: Vec::new(),
    };
    let mut file = w.finish(index, |bytes| app.audit.key().sign(bytes)).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let k = file.read(&mut buf).map_err(io)?;
        if k == 0 {
            break;
        }
        hasher.update(&buf[..k]);
        size += k as u64;
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let sha256 = hex::encode(hasher.finalize());
    actor.origin.set_detail(serde_json::json!({"document_id": doc, "version": n,
        "signatures": records.len(), "sha256": sha256, "size": size}));
    Ok(Package { name: format!("document-{doc}-v{n}-evidence.zip"), file, size, sha256 })
}

fn add_cert(c: Cert, list: &mut Vec<Cert>) {
    if !list.iter().any(|x| x.der == c.der) {
        list.push(c);
    }
}

fn signature_report(
    r: &SignatureRecord,
    standing: &crate::sign::service::Standing,
    names: &std::collections::HashMap<u64, (String, String)>,
) -> SignatureReport {
    let report = r.verdict.report();
    let rejection = standing.rejection();
    let (login, name) = names.get(&r.user_id).cloned().unwrap_or_default();
    SignatureReport {
        id: r.id,
        file: package::signature_path(r.id),
        user_login: login,
        user_name: name,
        purpose: r.purpose.clone(),
        accepted: r.accepted(),
        status: standing.name().into(),
        reason: rejection.map(|x| x.reason),
        detail: rejection.map(|x| x.detail.clone()),
        revoked_at: rejection.and_then(|x| x.revoked_at),
        signer: report.map(|x| x.signer.clone()),
        chain: report.map(|x| x.chain.clone()).unwrap_or_default(),
        signing_time: report.map(|x| x.signing_time),
        signature_algorithm: report.map(|x| x.signature_algorithm.clone()).unwrap_or_default(),
        crls: report.map(|x| x.crls.clone()).unwrap_or_default(),
    }
}
