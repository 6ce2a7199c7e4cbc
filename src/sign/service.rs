//! Signature use cases: managing the trust store (CA certificates, CRLs), registering
//! signing certificates to users (I385 §57), and verifying a signature for a user. Each
//! change checks the policy first and writes its access-log entry in the same transaction.

use serde::Serialize;
use serde_json::json;

use super::store::{self, CaRecord, CaRole, CertStatus, CrlRecord, Reader, UserCertRecord, Writer};
use super::trust::{self, TrustSnapshot};
use super::verdict::{Reason, Rejection, Verdict};
use super::verify::{self, Policy};
use super::x509::{Cert, sha256_hex};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, decide, require};
use crate::error::{Code, Error, Result};

fn now_string() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub fn policy(app: &App) -> Policy {
    Policy::from_config(&app.config.signatures)
}

// ---------------------------------------------------------------------------------------
// Trust store

/// The trust store as the admin page and `ipgo trust list` show it.
#[derive(Debug, Clone, Serialize)]
pub struct TrustListing {
    pub cas: Vec<CaRecord>,
    /// The CRL in force for each CA.
    pub crls: Vec<CrlRecord>,
}

pub fn trust_listing(app: &App, actor: &Actor) -> Result<TrustListing> {
    require(actor, Action::TrustRead, Object::Appliance)?;
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let mut cas = r.cas()?;
    cas.sort_by(|a, b| {
        (a.role != CaRole::Root, &a.summary.subject)
            .cmp(&(b.role != CaRole::Root, &b.summary.subject))
    });
    let mut crls = Vec::new();
    for (_, sha) in r.current_crls()? {
        if let Some(record) = r.crl(&sha)? {
            crls.push(record);
        }
    }
    crls.sort_by(|a, b| a.issuer.cmp(&b.issuer));
    Ok(TrustListing { cas, crls })
}

/// Result of adding one certificate of a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct CaAdded {
    pub record: CaRecord,
    /// False when the certificate was already trusted.
    pub new: bool,
}

/// Adds trusted CA certificates (PEM bundle or DER); all or nothing.
pub fn add_cas(app: &App, actor: &Actor, bytes: &[u8]) -> Result<Vec<CaAdded>> {
    require(actor, Action::TrustManage, Object::Appliance)?;
    let snapshot = app.trust.get(&app.db)?;
    let imports = trust::prepare_cas(&snapshot, bytes, crate::clock::now())?;
    let by = actor.log_name();
    let added = app.audit.change(actor, "trust.ca_add", |txn| {
        let w = Writer(txn);
        let mut out = Vec::new();
        for import in imports {
            let fingerprint = import.cert.fingerprint();
            if let Some(existing) = w.ca(&fingerprint)? {
                out.push(CaAdded { record: existing, new: false });
                continue;
            }
            let record = CaRecord {
                fingerprint,
                role: import.role,
                summary: import.cert.summary(),
                der: store::b64(&import.cert.der),
                added_by: by.clone(),
                added_at: now_string(),
            };
            w.put_ca(&record)?;
            out.push(CaAdded { record, new: true });
        }
        let detail = json!({"cas": out.iter().map(|a| json!({
            "fingerprint": a.record.fingerprint, "subject": a.record.summary.subject,
            "role": a.record.role.name(), "new": a.new})).collect::<Vec<_>>()});
        Ok((out, Some(detail)))
    })?;
    app.trust.changed();
    Ok(added)
}

/// Removes a CA certificate from the trust store.
pub fn remove_ca(app: &App, actor: &Actor, fingerprint: &str) -> Result<CaRecord> {
    require(actor, Action::TrustManage, Object::Appliance)?;
    let fingerprint = fingerprint.trim().to_ascii_lowercase();
    let removed = app.audit.change(actor, "trust.ca_remove", |txn| {
        let w = Writer(txn);
        let record = w.ca(&fingerprint)?.ok_or_else(Error::not_found)?;
        w.remove_ca(&fingerprint)?;
        let detail = json!({"fingerprint": fingerprint, "subject": record.summary.subject});
        Ok((record, Some(detail)))
    })?;
    app.trust.changed();
    Ok(removed)
}

/// Installs a CRL as the one in force for its issuer. Returns the record and whether it is
/// new (importing the CRL in force again changes nothing).
pub fn add_crl(app: &App, actor: &Actor, bytes: &[u8]) -> Result<(CrlRecord, bool)> {
    require(actor, Action::TrustManage, Object::Appliance)?;
    install_crl(app, actor, bytes)
}

/// [`add_crl`] for the scheduled CRL fetch (`ops::crl_fetch`), which acts as the system
/// rather than as a person: the same checks of the CRL itself (issuer, signature, not
/// older than the one in force) and the same access-log entry, without a user policy.
pub fn add_crl_as_system_job(app: &App, actor: &Actor, bytes: &[u8]) -> Result<(CrlRecord, bool)> {
    if !matches!(actor.who, crate::actor::Who::System(_)) {
        return Err(Error::forbidden());
    }
    install_crl(app, actor, bytes)
}

fn install_crl(app: &App, actor: &Actor, bytes: &[u8]) -> Result<(CrlRecord, bool)> {
    let snapshot = app.trust.get(&app.db)?;
    let by = actor.log_name();
    let result = app.audit.change(actor, "trust.crl_add", |txn| {
        let w = Writer(txn);
        let (der, loaded) = trust::prepare_crl(&snapshot, bytes, |key| w.current_crl(key))?;
        let info = loaded.info;
        let issuer_key = sha256_hex(&info.issuer_der);
        if let Some(current) = w.current_crl(&issuer_key)?
            && current.sha256 == info.sha256
        {
            let detail = json!({"sha256": info.sha256, "issuer": info.issuer, "new": false});
            return Ok(((current, false), Some(detail)));
        }
        let record = CrlRecord {
            sha256: info.sha256.clone(),
            issuer: info.issuer.clone(),
            issuer_key,
            this_update: info.this_update,
            next_update: info.next_update,
            crl_number: info.crl_number.as_ref().map(hex::encode),
            revoked_count: info.revoked_count,
            size: der.len(),
            added_by: by.clone(),
            added_at: now_string(),
        };
        w.put_crl(&record, &der)?;
        let detail = json!({"sha256": record.sha256, "issuer": record.issuer,
            "this_update": record.this_update, "revoked": record.revoked_count, "new": true});
        Ok(((record, true), Some(detail)))
    })?;
    app.trust.changed();
    Ok(result)
}

// ---------------------------------------------------------------------------------------
// Registration certificates

fn user_object(app: &App, user_id: u64) -> Result<Object<'static>> {
    let txn = app.db.read()?;
    let user = crate::portal::directory::store::Reader(&txn)
        .user(user_id)?
        .ok_or_else(Error::not_found)?;
    Ok(Object::User { id: user.id, agency_id: user.agency_id })
}

/// Registers a signing certificate to a user. An administrator's registration is active
/// at once; a user registering their own certificate waits for an administrator's
/// confirmation (`pending`).
pub fn register_certificate(
    app: &App,
    actor: &Actor,
    user_id: u64,
    bytes: &[u8],
) -> Result<UserCertRecord> {
    let object = user_object(app, user_id)?;
    let status = if decide(actor, Action::CertificateManage, object) {
        require(actor, Action::CertificateManage, object)?;
        CertStatus::Active
    } else {
        require(actor, Action::CertificateOwn, object)?;
        CertStatus::Pending
    };
    let certs = super::x509::read_certificates(bytes)
        .map_err(|e| Error::invalid("file", "sign-import-not-certificate").with_detail(e))?;
    let [cert] = <[Cert; 1]>::try_from(certs).map_err(|certs| {
        Error::invalid("file", "sign-register-one-certificate")
            .with_detail(format!("{} certificates", certs.len()))
    })?;
    let snapshot = app.trust.get(&app.db)?;
    verify::check_for_registration(&snapshot, &cert, crate::clock::now(), &policy(app))
        .map_err(|r| Error::invalid("file", r.reason.message_key()).with_detail(r.detail))?;
    let by = actor.log_name();
    let operation =
        if status == CertStatus::Active { "certificate.register" } else { "certificate.request" };
    app.audit.change(actor, operation, |txn| {
        let w = Writer(txn);
        let fingerprint = cert.fingerprint();
        if let Some(existing) = w.user_cert(&fingerprint)? {
            if existing.user_id != user_id || existing.status == CertStatus::Revoked {
                return Err(Error::new(Code::Conflict)
                    .with_field("file")
                    .with_detail_key("sign-register-taken"));
            }
            if existing.status == CertStatus::Active || status == CertStatus::Pending {
                return Ok((existing, None));
            }
        }
        let now = now_string();
        let active = status == CertStatus::Active;
        let record = UserCertRecord {
            fingerprint: fingerprint.clone(),
            user_id,
            status,
            summary: cert.summary(),
            der: store::b64(&cert.der),
            registered_by: by.clone(),
            registered_at: now.clone(),
            confirmed_by: active.then(|| by.clone()),
            confirmed_at: active.then(|| now.clone()),
            revoked_by: None,
            revoked_at: None,
            revoke_reason: None,
            destroyed_at: None,
            destroyed_by: None,
        };
        w.put_user_cert(&record)?;
        let detail = json!({"user_id": user_id, "fingerprint": fingerprint,
            "subject": record.summary.subject, "status": status.name()});
        Ok((record, Some(detail)))
    })
}

fn load_user_cert(app: &App, fingerprint: &str) -> Result<UserCertRecord> {
    let txn = app.db.read()?;
    Reader(&txn).user_cert(&fingerprint.trim().to_ascii_lowercase())?.ok_or_else(Error::not_found)
}

/// An administrator confirms a pending registration.
pub fn confirm_certificate(app: &App, actor: &Actor, fingerprint: &str) -> Result<UserCertRecord> {
    let record = load_user_cert(app, fingerprint)?;
    require(actor, Action::CertificateManage, user_object(app, record.user_id)?)?;
    if record.status != CertStatus::Pending {
        return Err(Error::new(Code::Conflict).with_detail_key("sign-register-not-pending"));
    }
    let by = actor.log_name();
    app.audit.change(actor, "certificate.confirm", |txn| {
        let mut record =
            Writer(txn).user_cert(&record.fingerprint)?.ok_or_else(Error::not_found)?;
        record.status = CertStatus::Active;
        record.confirmed_by = Some(by);
        record.confirmed_at = Some(now_string());
        Writer(txn).put_user_cert(&record)?;
        let detail = json!({"user_id": record.user_id, "fingerprint": record.fingerprint});
        Ok((record, Some(detail)))
    })
}

/// Revokes a registration locally (an administrator, or the owner for their own).
pub fn revoke_certificate(
    app: &App,
    actor: &Actor,
    fingerprint: &str,
    reason: &str,
) -> Result<UserCertRecord> {
    let record = load_user_cert(app, fingerprint)?;
    let object = user_object(app, record.user_id)?;
    if !decide(actor, Action::CertificateManage, object) {
        require(actor, Action::CertificateOwn, object)?;
    }
    actor.origin.set_operation("certificate.revoke");
    let reason = crate::portal::directory::model::clean_text("reason", reason, 500)?;
    let by = actor.log_name();
    app.audit.change(actor, "certificate.revoke", |txn| {
        let mut record =
            Writer(txn).user_cert(&record.fingerprint)?.ok_or_else(Error::not_found)?;
        if record.status == CertStatus::Revoked {
            return Ok((record, None));
        }
        record.status = CertStatus::Revoked;
        record.revoked_by = Some(by);
        record.revoked_at = Some(now_string());
        record.revoke_reason = Some(reason);
        Writer(txn).put_user_cert(&record)?;
        let detail = json!({"user_id": record.user_id, "fingerprint": record.fingerprint,
            "reason": record.revoke_reason});
        Ok((record, Some(detail)))
    })
}

/// Destroys a registration certificate (I385 §6.8): the certificate's bytes and what it
/// says of its holder (subject, IIN/BIN, issuer, serial) are erased from the record, which
/// stays — revoked, with its fingerprint — so that signatures made with it keep showing a
/// revoked registration and the certificate can never be registered again. Only a revoked
/// or pending registration can be destroyed (revoke an active one first).
pub fn destroy_certificate(app: &App, actor: &Actor, fingerprint: &str) -> Result<UserCertRecord> {
    let record = load_user_cert(app, fingerprint)?;
    require(actor, Action::CertificateManage, user_object(app, record.user_id)?)?;
    actor.origin.set_operation("certificate.destroy");
    if record.is_destroyed() {
        return Err(Error::new(Code::Gone));
    }
    if record.status == CertStatus::Active {
        return Err(Error::new(Code::Conflict).with_detail_key("sign-destroy-revoke-first"));
    }
    let by = actor.log_name();
    app.audit.change(actor, "certificate.destroy", |txn| {
        let mut record =
            Writer(txn).user_cert(&record.fingerprint)?.ok_or_else(Error::not_found)?;
        let now = now_string();
        let was = record.status;
        if record.status == CertStatus::Pending {
            record.revoked_at = Some(now.clone());
            record.revoked_by = Some(by.clone());
            record.revoke_reason = Some("destroyed before confirmation".into());
        }
        record.status = CertStatus::Revoked;
        record.der = String::new();
        record.summary.subject = String::new();
        record.summary.issuer = String::new();
        record.summary.serial = String::new();
        record.summary.iin = None;
        record.summary.bin = None;
        record.destroyed_at = Some(now);
        record.destroyed_by = Some(by);
        Writer(txn).put_user_cert(&record)?;
        let detail = json!({"user_id": record.user_id, "fingerprint": record.fingerprint,
            "status_before": was.name()});
        Ok((record, Some(detail)))
    })
}

/// Registered certificates of a user (own, or an administrator's or auditor's view), or
/// of everybody (administrators and auditors).
pub fn certificates(app: &App, actor: &Actor, user_id: Option<u64>) -> Result<Vec<UserCertRecord>> {
    match user_id {
        Some(id) => require(actor, Action::CertificateView, user_object(app, id)?)?,
        None => require(actor, Action::CertificateView, Object::Appliance)?,
    }
    let txn = app.db.read()?;
    let r = Reader(&txn);
    match user_id {
        Some(id) => r.certs_of_user(id),
        None => r.user_certs(),
    }
}

// ---------------------------------------------------------------------------------------
// Verification

/// Verifies a signature by `user_id` over `content`: the CMS and chain checks of
/// [`verify::verify`], then that the signing certificate is registered to that user and
/// active (§57). The caller (the documents service) has already decided that the user may
/// sign this content; this function only reads the trust store.
pub fn verify_for_user(
    app: &App,
    user_id: Option<u64>,
    content: &[u8],
    cms: &[u8],
) -> Result<Verdict> {
    let snapshot = app.trust.get(&app.db)?;
    let registered = match user_id {
        Some(id) => {
            let txn = app.db.read()?;
            Reader(&txn).certs_of_user(id)?
        }
        None => Vec::new(),
    };
    Ok(verify_with(
        &snapshot,
        &registered,
        user_id,
        content,
        cms,
        crate::clock::now(),
        &policy(app),
    ))
}

/// [`verify_for_user`] on explicit inputs (also used by tests and the benchmark).
pub fn verify_with(
    trust: &TrustSnapshot,
    registered: &[UserCertRecord],
    user_id: Option<u64>,
    content: &[u8],
    cms: &[u8],
    now: jiff::Timestamp,
    policy: &Policy,
) -> Verdict {
    let der = match super::cms::decode_input(cms) {
        Ok(der) => der,
        Err(r) => return Verdict::Invalid(r),
    };
    let known: Vec<Cert> = registered
        .iter()
        .filter(|r| r.status == CertStatus::Active)
        .filter_map(|r| store::unb64(&r.der).ok().and_then(|d| Cert::from_der(&d).ok()))
        .collect();
    let verdict = verify::verify(trust, content, &der, &known, now, policy);
    let (Verdict::Valid(report), Some(_)) = (&verdict, user_id) else { return verdict };
    let reject = |reason, detail: &str| {
        Verdict::Invalid(Rejection::new(reason, detail).with_signer(&report.signer))
    };
    match registered.iter().find(|r| r.fingerprint == report.signer.fingerprint) {
        None => reject(Reason::NotRegistered, "the certificate is not registered to this user"),
        Some(r) if r.status == CertStatus::Pending => {
            reject(Reason::RegistrationPending, "the registration awaits an administrator")
        }
        Some(r) if r.status == CertStatus::Revoked => reject(
            Reason::RegistrationRevoked,
            &format!("registration revoked at {}", r.revoked_at.as_deref().unwrap_or("?")),
        ),
        Some(_) => verdict,
    }
}

// ---------------------------------------------------------------------------------------
// Signatures accepted earlier

/// The standing of a signature that was accepted earlier (I385 §58), established again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Still valid: integrity, signature value and a path to a trusted root at the time it
    /// was accepted, and nothing revoked before that time.
    Valid(Box<super::verdict::Report>),
    /// Valid when it was made, but the certificate (or a CA above it) was revoked — or its
    /// registration on this portal was revoked — after the signature was accepted.
    RevokedLater(Rejection),
    /// Not valid: the content changed, the CA is no longer trusted, or the certificate was
    /// already revoked when the signature was accepted (the portal learnt it later).
    Invalid(Rejection),
}

impl Standing {
    /// `valid`, `revoked_later` or `invalid` (part of the API).
    pub fn name(&self) -> &'static str {
        match self {
            Standing::Valid(_) => "valid",
            Standing::RevokedLater(_) => "revoked_later",
            Standing::Invalid(_) => "invalid",
        }
    }

    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Standing::Valid(_) => None,
            Standing::RevokedLater(r) | Standing::Invalid(r) => Some(r),
        }
    }
}

/// Re-establishes a stored signature's standing against the trust store as it is now.
///
/// The check runs *at the time the signature was accepted* (`accepted`, the server's clock
/// then — CAdES-BES has no trusted time stamp, and the acceptance time is the earliest
/// time this portal can prove the signature existed): so a certificate that merely expired
/// since does not spoil a signature made while it was valid. Revocation comes from the
/// CRLs in force now; a revocation dated after `accepted` makes the signature "revoked
/// later", one dated at or before it makes it invalid. `signer` is the signer's
/// certificate when the message might not carry it; `registration` its registration record
/// (a registration revoked after acceptance also gives "revoked later"). Used by the
/// portal's signature lists and, with no registration, by `ipgo verify-package` offline.
pub fn recheck(
    trust: &TrustSnapshot,
    content: &[u8],
    cms_der: &[u8],
    signer: Option<&Cert>,
    accepted: jiff::Timestamp,
    registration: Option<&UserCertRecord>,
    policy: &Policy,
) -> Standing {
    let known: Vec<Cert> = signer.into_iter().cloned().collect();
    match verify::verify(trust, content, cms_der, &known, accepted, policy) {
        Verdict::Valid(report) => {
            if let Some(r) = registration
                && r.status == CertStatus::Revoked
            {
                let at = r.revoked_at.as_deref().and_then(crate::clock::parse);
                let rejection = Rejection::new(
                    Reason::RegistrationRevoked,
                    format!(
                        "registration revoked at {}{}",
                        r.revoked_at.as_deref().unwrap_or("?"),
                        r.revoke_reason.as_deref().map(|x| format!(": {x}")).unwrap_or_default()
                    ),
                )
                .with_signer(&report.signer);
                return match at {
                    Some(at) if at > accepted => Standing::RevokedLater(rejection),
                    _ => Standing::Invalid(rejection),
                };
            }
            Standing::Valid(report)
        }
        Verdict::Invalid(r) if r.reason == Reason::Revoked => match r.revoked_at {
            Some(at) if at > accepted => Standing::RevokedLater(r),
            _ => Standing::Invalid(r),
        },
        Verdict::Invalid(r) => Standing::Invalid(r),
    }
}
