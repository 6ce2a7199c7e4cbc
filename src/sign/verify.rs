//! The verification pipeline for one detached (or encapsulated) CMS signature over given
//! content: CMS checks, then the signing certificate's usage and chain. Registration to a
//! user is checked by the service on top of this (`service::verify_for_user`).
//!
//! The checks run in a fixed order and the first failure names the reason: structure →
//! algorithms → message digest → signature value → signing time → key usage → chain at
//! signing time → chain now with revocation → CRL freshness.

use jiff::{SignedDuration, Timestamp};

use super::chain;
use super::cms;
use super::trust::TrustSnapshot;
use super::verdict::{Reason, Rejection, Report, SigningTimeSource, Verdict};
use super::x509::Cert;

/// The rules a signature is held to (from `[signatures]` in the configuration).
#[derive(Debug, Clone)]
pub struct Policy {
    /// Every CA of the chain must have a CRL installed (`revocation_unknown` otherwise).
    pub require_crl: bool,
    /// Refuse verdicts that rely on a CRL past its nextUpdate plus `crl_grace`.
    pub check_crl_freshness: bool,
    pub crl_grace: SignedDuration,
    /// How far a signingTime may lie ahead of the server's clock.
    pub max_clock_skew: SignedDuration,
    pub min_rsa_bits: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            require_crl: true,
            check_crl_freshness: true,
            crl_grace: SignedDuration::ZERO,
            max_clock_skew: SignedDuration::from_mins(5),
            min_rsa_bits: 2048,
        }
    }
}

impl Policy {
    pub fn from_config(c: &crate::config::SignaturesConfig) -> Policy {
        Policy {
            require_crl: c.require_crl,
            check_crl_freshness: true,
            crl_grace: SignedDuration::from_hours(c.crl_grace_hours as i64),
            max_clock_skew: SignedDuration::from_secs(c.max_clock_skew_seconds as i64),
            min_rsa_bits: c.min_rsa_bits,
        }
    }
}

/// Verifies `cms_der` over `content`. `known` are certificates to find the signer in when
/// the message does not carry it (the user's registered certificates).
pub fn verify(
    trust: &TrustSnapshot,
    content: &[u8],
    cms_der: &[u8],
    known: &[Cert],
    now: Timestamp,
    policy: &Policy,
) -> Verdict {
    run(trust, content, cms_der, known, now, policy).into()
}

fn run(
    trust: &TrustSnapshot,
    content: &[u8],
    cms_der: &[u8],
    known: &[Cert],
    now: Timestamp,
    policy: &Policy,
) -> Result<Report, Rejection> {
    let parsed = cms::parse(cms_der)?;
    let checked = cms::check(&parsed, content, known, policy.min_rsa_bits)?;
    let signer = checked.signer_cert.summary();
    let with_signer = |r: Rejection| r.with_signer(&signer);
    let (signing_time, source) = match checked.signing_time {
        Some(t) => (t, SigningTimeSource::Attribute),
        None => (now, SigningTimeSource::Verification),
    };
    if signing_time > now + policy.max_clock_skew {
        return Err(with_signer(Rejection::new(
            Reason::SigningTimeInvalid,
            format!("signingTime {signing_time} lies in the future (server time {now})"),
        )));
    }
    if checked.signer_cert.is_ca() {
        return Err(with_signer(Rejection::new(
            Reason::KeyUsage,
            "the signer's certificate is a CA certificate",
        )));
    }
    checked
        .signer_cert
        .check_signing_usage()
        .map_err(|detail| with_signer(Rejection::new(Reason::KeyUsage, detail)))?;
    let result = chain::validate(
        trust,
        &checked.signer_cert,
        &parsed.certificates,
        signing_time,
        now,
        policy,
    )
    .map_err(with_signer)?;
    Ok(Report {
        signer,
        chain: result.issuers.iter().map(Cert::summary).collect(),
        signing_time,
        signing_time_source: source,
        digest_algorithm: checked.digest.name().to_owned(),
        signature_algorithm: checked.algorithm,
        signed_attributes: checked.signed_attributes,
        encapsulated: checked.encapsulated,
        crls: result.crls,
        checked_at: now,
    })
}

/// Checks a certificate offered for registration: a signing certificate (not a CA, with
/// signing usage) with a valid path to a trusted root now. Revocation is checked when a
/// CRL is installed; a missing or stale CRL does not block registration (signing will
/// still require it).
pub fn check_for_registration(
    trust: &TrustSnapshot,
    cert: &Cert,
    now: Timestamp,
    policy: &Policy,
) -> Result<(), Rejection> {
    if cert.is_ca() {
        return Err(Rejection::new(Reason::KeyUsage, "a CA certificate cannot sign documents"));
    }
    // A signing certificate, or an authentication one (for certificate sign-in).
    let purpose = match (cert.check_signing_usage(), cert.check_auth_usage()) {
        (Ok(()), _) => chain::Purpose::Signing,
        (Err(_), Ok(())) => chain::Purpose::ClientAuth,
        (Err(d), Err(_)) => return Err(Rejection::new(Reason::KeyUsage, d)),
    };
    let relaxed = Policy { require_crl: false, check_crl_freshness: false, ..policy.clone() };
    chain::validate_for(trust, cert, &[], now, now, &relaxed, purpose).map(|_| ())
}
