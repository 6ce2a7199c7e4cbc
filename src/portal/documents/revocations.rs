//! What happens to signatures already given when a newly installed CRL lists the signer's
//! certificate (I385 §58): each affected signature gets one access-log entry
//! (`signature.revoked`, naming whether it was revoked after it was accepted) and its
//! signer and the document's author get a notice — once per signature. The status itself
//! is never stored: lists compute it on every read (`signatures::standings`).

use serde_json::json;

use super::signatures::{BY_CERT, SIGNATURES, SignatureRecord};
use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;
use crate::notify::{Notice, Recipient};
use crate::sign::x509::sha256_hex;

/// One signature a CRL newly revokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    pub doc_id: u64,
    pub version: u32,
    pub signature_id: u64,
    /// `revoked_later` (revoked after the signature was accepted) or `invalid`.
    pub status: &'static str,
}

/// Called after a CRL was installed (by the command line, the administration page or the
/// scheduled fetch). Returns the signatures that were newly found revoked.
pub fn crl_installed(app: &App, actor: &Actor, crl_sha256: &str) -> Result<Vec<Revoked>> {
    let trust = app.trust.get(&app.db)?;
    let Some(crl) = trust.crls.iter().find(|c| c.info.sha256 == crl_sha256) else {
        return Ok(Vec::new());
    };
    let issuer_key = sha256_hex(&crl.info.issuer_der);
    let mut hits = Vec::new();
    {
        let txn = app.db.read()?;
        let index = txn.open_table(BY_CERT)?;
        for row in index.range((issuer_key.as_str(), "", 0u64, 0u32, 0u64)..)? {
            let (key, _) = row?;
            let (issuer, serial, doc, n, id) = key.value();
            if issuer != issuer_key {
                break;
            }
            let Ok(bytes) = hex::decode(serial) else { continue };
            if let Ok(Some(entry)) = crl.list.find_serial(&bytes) {
                let at = jiff::Timestamp::from_second(entry.revocation_date.as_secs() as i64).ok();
                hits.push((doc, n, id, at));
            }
        }
    }
    let mut out = Vec::new();
    for (doc, n, id, revoked_at) in hits {
        if let Some(revoked) = tell(app, actor, doc, n, id, revoked_at)? {
            out.push(revoked);
        }
    }
    Ok(out)
}

fn recipient(app: &App, user_id: u64) -> Result<Option<Recipient>> {
    let txn = app.db.read()?;
    Ok(crate::portal::directory::store::Reader(&txn).user(user_id)?.map(|u| Recipient {
        user_id: u.id,
        lang: u.lang.clone(),
        email: u.email.clone(),
    }))
}

fn tell(
    app: &App,
    actor: &Actor,
    doc: u64,
    n: u32,
    id: u64,
    revoked_at: Option<jiff::Timestamp>,
) -> Result<Option<Revoked>> {
    let (record, author) = {
        let txn = app.db.read()?;
        let record: Option<SignatureRecord> =
            crate::db::get_json(&txn.open_table(SIGNATURES)?, (doc, n, id))?;
        let author = super::store::Reader(&txn).document(doc)?.map(|d| d.author_id);
        (record, author)
    };
    let Some(record) = record else { return Ok(None) };
    if record.revocation_notified.is_some() {
        return Ok(None);
    }
    let status =
        if revoked_at.is_some_and(|t| t > record.accepted()) { "revoked_later" } else { "invalid" };
    let mut recipients = Vec::new();
    for user in std::iter::once(record.user_id).chain(author) {
        if let Some(r) = recipient(app, user)? {
            recipients.push(r);
        }
    }
    let subject = record.verdict.report().map(|r| r.signer.subject.clone()).unwrap_or_default();
    let key = if status == "revoked_later" {
        "signature-revoked-later"
    } else {
        "signature-revoked-invalid"
    };
    let notice = Notice::new(
        key,
        format!("/documents/{doc}?version={n}#signatures"),
        format!("document:{doc}"),
    )
    .arg("document", doc)
    .arg("version", u64::from(n))
    .arg("signer", subject.clone());
    let now = crate::clock::utc_string(crate::clock::now());
    let after = app.audit.change(actor, "signature.revoked", |txn| {
        let mut table = txn.open_table(SIGNATURES)?;
        let current: Option<SignatureRecord> = crate::db::get_json(&table, (doc, n, id))?;
        let Some(mut current) = current else { return Ok((None, None)) };
        if current.revocation_notified.is_some() {
            return Ok((None, None));
        }
        current.revocation_notified = Some(now.clone());
        table.insert((doc, n, id), serde_json::to_vec(&current)?.as_slice())?;
        let after = crate::notify::enqueue_in(app, txn, &recipients, &notice)?;
        let detail = json!({"document_id": doc, "version": n, "signature_id": id,
            "signer": subject, "status": status,
            "revoked_at": revoked_at.map(crate::clock::utc_string)});
        Ok((Some(after), Some(detail)))
    })?;
    let Some(after) = after else { return Ok(None) };
    crate::notify::after_commit(app, after);
    Ok(Some(Revoked { doc_id: doc, version: n, signature_id: id, status }))
}
