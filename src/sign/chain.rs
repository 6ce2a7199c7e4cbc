//! The signer certificate's path to a trusted root: validity at signing time and now, CA
//! constraints, extended key usage, and revocation by the installed CRLs (I385 §57).
//!
//! Why rustls-webpki rather than hand-written path validation: webpki is the validator
//! rustls (and so the future mTLS sign-in) already uses, it is small, fuzzed and
//! maintained, and it does the error-prone parts right — path building over several
//! candidate issuers with a budget, basicConstraints and pathLenConstraint, name
//! constraints, unknown critical extensions, CRL scope (issuing distribution point),
//! CRL signatures checked with the issuer's key and the issuer's cRLSign usage. What it
//! does not do is added here, each a few lines: it validates at one time only (we run it
//! at the signing time and at now), it treats trust anchors as timeless (we check the
//! root certificate's own validity), it ignores the keyUsage bits of the end entity
//! (`x509::Cert::check_signing_usage`), its EKU check takes one purpose (we pass
//! [`SigningEku`]), it reports no revocation date, and its CRL-expiry check knows no grace
//! period (we check nextUpdate ourselves against the configured grace).
//!
//! Certificate and CRL signatures in the chain use webpki's ring algorithms (RSA PKCS#1/PSS,
//! ECDSA, Ed25519) and the portal's GOST verifier (`gost::webpki`, one instance per GOST
//! key encoding met in the trust store or the message): one validation path for every
//! algorithm, including mutual-TLS sign-in.

use std::collections::HashSet;
use std::sync::LazyLock;

use jiff::Timestamp;
use parking_lot::Mutex;
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm, UnixTime,
};
use sha2::{Digest, Sha256};
use webpki::{
    EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter, RevocationCheckDepth,
    RevocationOptionsBuilder, UnknownStatusPolicy,
};

use super::trust::TrustSnapshot;
use super::verdict::{CrlUse, Reason, Rejection};
use super::verify::Policy;
use super::x509::{Cert, SIGNING_EKUS};

/// Algorithms accepted for certificate and CRL signatures in the chain, each behind
/// [`Remembered`].
pub(crate) static CHAIN_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    &Remembered(webpki::ring::RSA_PKCS1_2048_8192_SHA256),
    &Remembered(webpki::ring::RSA_PKCS1_2048_8192_SHA384),
    &Remembered(webpki::ring::RSA_PKCS1_2048_8192_SHA512),
    &Remembered(webpki::ring::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS),
    &Remembered(webpki::ring::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS),
    &Remembered(webpki::ring::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS),
    &Remembered(webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY),
    &Remembered(webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY),
    &Remembered(webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY),
    &Remembered(webpki::ring::ECDSA_P256_SHA256),
    &Remembered(webpki::ring::ECDSA_P256_SHA384),
    &Remembered(webpki::ring::ECDSA_P384_SHA256),
    &Remembered(webpki::ring::ECDSA_P384_SHA384),
    &Remembered(webpki::ring::ED25519),
];

/// Remembers signatures that verified. Every signature of a national CA's chain (the
/// issuing CA's certificate, the CRLs) is checked again for every document signature, and
/// twice (signing time and now); a P-384 or RSA-4096 root makes that the largest cost of a
/// verdict. Verification is a pure function of algorithm, key, message and signature, so
/// a success keyed by the sha256 of all four (length-prefixed) is a success again. Only
/// successes are kept; the set is emptied when it reaches [`REMEMBERED_MAX`] entries.
#[derive(Debug)]
struct Remembered(&'static dyn SignatureVerificationAlgorithm);

/// Wraps a GOST chain algorithm (made once per key encoding, kept for the process).
fn remembered(
    algorithm: &'static dyn SignatureVerificationAlgorithm,
) -> &'static dyn SignatureVerificationAlgorithm {
    Box::leak(Box::new(Remembered(algorithm)))
}

/// [`CHAIN_ALGORITHMS`] plus the GOST algorithms for the GOST keys of the trust store and
/// of the certificates a message carries.
fn algorithms_for(
    trust: &TrustSnapshot,
    carried: &[Cert],
) -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    let mut algorithms = CHAIN_ALGORITHMS.to_vec();
    let keys = trust
        .roots
        .iter()
        .chain(&trust.intermediates)
        .chain(carried)
        .map(|c| c.cert.tbs_certificate().subject_public_key_info());
    algorithms.extend(super::gost::webpki::algorithms_for(keys, remembered));
    algorithms
}

const REMEMBERED_MAX: usize = 4096;

static VERIFIED: LazyLock<Mutex<HashSet<[u8; 32]>>> = LazyLock::new(Default::default);

impl SignatureVerificationAlgorithm for Remembered {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let mut h = Sha256::new();
        for part in [
            self.0.public_key_alg_id().as_ref(),
            self.0.signature_alg_id().as_ref(),
            public_key,
            message,
            signature,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        let key: [u8; 32] = h.finalize().into();
        if VERIFIED.lock().contains(&key) {
            return Ok(());
        }
        self.0.verify_signature(public_key, message, signature)?;
        let mut set = VERIFIED.lock();
        if set.len() >= REMEMBERED_MAX {
            set.clear();
        }
        set.insert(key);
        Ok(())
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.0.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.0.signature_alg_id()
    }
}

/// Extended key usage for signing certificates and the CAs above them: absent, or one of
/// [`SIGNING_EKUS`].
#[derive(Clone, Copy)]
struct SigningEku;

/// What a certificate is validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing documents: extendedKeyUsage absent or one of [`SIGNING_EKUS`].
    Signing,
    /// Signing in over mutual TLS: extendedKeyUsage absent or with id-kp-clientAuth (what
    /// the NCA puts on its authentication certificates).
    ClientAuth,
}

/// Either purpose's extended-key-usage rule, for webpki.
#[derive(Clone, Copy)]
enum EkuRule {
    Signing(SigningEku),
    Client(webpki::KeyUsage),
}

impl ExtendedKeyUsageValidator for EkuRule {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        match self {
            EkuRule::Signing(s) => s.validate(iter),
            EkuRule::Client(k) => k.validate(iter),
        }
    }
}

impl ExtendedKeyUsageValidator for SigningEku {
    // The context variant needs a single required purpose; ours is a set.
    #[allow(deprecated)]
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut empty = true;
        for id in iter {
            empty = false;
            let id = id?.to_decoded_oid();
            if SIGNING_EKUS.iter().any(|oid| decoded(oid) == id) {
                return Ok(());
            }
        }
        if empty { Ok(()) } else { Err(webpki::Error::RequiredEkuNotFound) }
    }
}

fn decoded(oid: &der::asn1::ObjectIdentifier) -> Vec<usize> {
    oid.arcs().map(|a| a as usize).collect()
}

/// A validated path.
#[derive(Debug, Clone)]
pub struct ChainResult {
    /// From the signer's issuer up to and including the root.
    pub issuers: Vec<Cert>,
    /// CRLs consulted (one per non-root certificate of the path, when installed).
    pub crls: Vec<CrlUse>,
}

fn unix(t: Timestamp) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(t.as_second().max(0) as u64))
}

/// Validates the signer's certificate. `carried` are certificates from the message (used
/// as untrusted intermediates); trust comes only from the store's roots.
pub fn validate(
    trust: &TrustSnapshot,
    signer: &Cert,
    carried: &[Cert],
    signing_time: Timestamp,
    now: Timestamp,
    policy: &Policy,
) -> Result<ChainResult, Rejection> {
    validate_for(trust, signer, carried, signing_time, now, policy, Purpose::Signing)
}

/// [`validate`] for a given purpose.
pub fn validate_for(
    trust: &TrustSnapshot,
    signer: &Cert,
    carried: &[Cert],
    signing_time: Timestamp,
    now: Timestamp,
    policy: &Policy,
    purpose: Purpose,
) -> Result<ChainResult, Rejection> {
    let eku = match purpose {
        Purpose::Signing => EkuRule::Signing(SigningEku),
        Purpose::ClientAuth => EkuRule::Client(webpki::KeyUsage::client_auth()),
    };
    let signer_der = CertificateDer::from(signer.der.as_slice());
    let ee = EndEntityCert::try_from(&signer_der)
        .map_err(|e| Rejection::new(Reason::Malformed, format!("signer certificate: {e:?}")))?;
    let root_ders: Vec<CertificateDer<'_>> =
        trust.roots.iter().map(|c| CertificateDer::from(c.der.as_slice())).collect();
    // Roots webpki cannot read are skipped; `anchor_roots[i]` is the root of `anchors[i]`.
    let (anchors, anchor_roots): (Vec<_>, Vec<&Cert>) = root_ders
        .iter()
        .zip(&trust.roots)
        .filter_map(|(d, root)| webpki::anchor_from_trusted_cert(d).ok().map(|a| (a, root)))
        .unzip();
    let intermediates: Vec<CertificateDer<'_>> = carried
        .iter()
        .chain(&trust.intermediates)
        .filter(|c| c.der != signer.der)
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();

    let algorithms = algorithms_for(trust, carried);

    // 1. The path as it stood at the signing time.
    ee.verify_for_usage(&algorithms, &anchors, &intermediates, unix(signing_time), eku, None, None)
        .map_err(|e| map_error(e, "at signing time"))?;

    // 2. The path now, with revocation.
    let crl_refs: Vec<_> = trust.crls.iter().map(|c| &c.list).collect();
    let revocation = RevocationOptionsBuilder::new(&crl_refs).ok().map(|b| {
        b.with_depth(RevocationCheckDepth::Chain)
            .with_status_policy(if policy.require_crl {
                UnknownStatusPolicy::Deny
            } else {
                UnknownStatusPolicy::Allow
            })
            // Freshness is checked below, with the configured grace period.
            .with_expiration_policy(webpki::ExpirationPolicy::Ignore)
            .build()
    });
    if revocation.is_none() && policy.require_crl {
        return Err(Rejection::new(Reason::RevocationUnknown, "no CRL is installed"));
    }
    let path = ee
        .verify_for_usage(&algorithms, &anchors, &intermediates, unix(now), eku, revocation, None)
        .map_err(|e| match e {
            webpki::Error::CertRevoked => revoked_detail(trust, signer, carried),
            other => map_error(other, "now"),
        })?;

    // 3. What webpki leaves to us: the root's own validity and CRL freshness.
    let mut issuers = Vec::new();
    for inter in path.intermediate_certificates() {
        let der = inter.der();
        let found = carried.iter().chain(&trust.intermediates).find(|c| c.der == der.as_ref());
        issuers.push(
            found.cloned().ok_or_else(|| {
                Rejection::new(Reason::UntrustedChain, "path certificate not found")
            })?,
        );
    }
    let anchor_index = anchors
        .iter()
        .position(|a| std::ptr::eq(a, path.anchor()))
        .ok_or_else(|| Rejection::new(Reason::UntrustedChain, "trust anchor not found"))?;
    let root = anchor_roots[anchor_index].clone();
    for (time, when) in [(signing_time, "at signing time"), (now, "now")] {
        if time < root.not_before() {
            return Err(Rejection::new(
                Reason::NotYetValid,
                format!("root CA {} is not yet valid {when}", root.summary().subject),
            ));
        }
        if time > root.not_after() {
            return Err(Rejection::new(
                Reason::Expired,
                format!("root CA {} has expired {when}", root.summary().subject),
            ));
        }
    }
    issuers.push(root);

    let mut crls = Vec::new();
    let mut subjects = vec![signer];
    subjects.extend(issuers.iter().take(issuers.len() - 1));
    for cert in subjects {
        let Some(crl) = trust.crl_for_issuer(&cert.issuer_der()) else { continue };
        if policy.check_crl_freshness
            && let Some(next) = crl.info.next_update
            && now > next + policy.crl_grace
        {
            return Err(Rejection::new(
                Reason::CrlStale,
                format!(
                    "the CRL of {} expired at {next} (nextUpdate); import a fresh one",
                    crl.info.issuer
                ),
            ));
        }
        crls.push(crl.info.as_use());
    }
    Ok(ChainResult { issuers, crls })
}

/// Names the revoked certificate and its revocation date from the CRL.
fn revoked_detail(trust: &TrustSnapshot, signer: &Cert, carried: &[Cert]) -> Rejection {
    for cert in std::iter::once(signer).chain(carried).chain(&trust.intermediates) {
        let Some(crl) = trust.crl_for_issuer(&cert.issuer_der()) else { continue };
        let serial = cert.cert.tbs_certificate().serial_number().as_bytes();
        if let Ok(Some(entry)) = crl.list.find_serial(serial) {
            let date = Timestamp::from_second(entry.revocation_date.as_secs() as i64)
                .map(|t| t.to_string())
                .unwrap_or_default();
            let reason = entry.reason_code.map(|r| format!(", reason {r:?}")).unwrap_or_default();
            let mut rejection = Rejection::new(
                Reason::Revoked,
                format!(
                    "certificate {} (serial {}) revoked at {date}{reason} by the CRL of {}",
                    cert.summary().subject,
                    hex::encode(serial),
                    crl.info.issuer
                ),
            );
            rejection.revoked_at =
                Timestamp::from_second(entry.revocation_date.as_secs() as i64).ok();
            return rejection;
        }
    }
    Rejection::new(Reason::Revoked, "a certificate of the chain is revoked")
}

// Older unit variants are matched too: webpki may return either form.
#[allow(deprecated)]
fn map_error(e: webpki::Error, when: &str) -> Rejection {
    use webpki::Error as E;
    let (reason, text) = match &e {
        E::CertExpired { .. } => (Reason::Expired, format!("a certificate has expired {when}")),
        E::CertNotValidYet { .. } => {
            (Reason::NotYetValid, format!("a certificate is not yet valid {when}"))
        }
        E::CertRevoked => (Reason::Revoked, "a certificate of the chain is revoked".into()),
        E::UnknownRevocationStatus => {
            (Reason::RevocationUnknown, "no CRL is installed for a CA of the chain".to_string())
        }
        E::CrlExpired { .. } => (Reason::CrlStale, "a CRL of the chain is past nextUpdate".into()),
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => (
            Reason::KeyUsage,
            "extendedKeyUsage of a certificate in the chain does not allow this purpose".into(),
        ),
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::UnsupportedCrlSignatureAlgorithm
        | E::UnsupportedCrlSignatureAlgorithmContext(_) => (
            Reason::UnsupportedAlgorithm,
            "a certificate or CRL of the chain is signed with an unsupported algorithm".into(),
        ),
        E::UnknownIssuer => {
            (Reason::UntrustedChain, "no path to a trusted root certificate".to_string())
        }
        _ => (Reason::UntrustedChain, "the certificate chain is invalid".to_string()),
    };
    Rejection::new(reason, format!("{text} ({e:?})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer;

    #[test]
    fn a_remembered_signature_verifies_only_its_own_message_and_key() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
        let alg = Remembered(webpki::ring::ED25519);
        let public = key.verifying_key().to_bytes();
        let sig = key.sign(b"tbsCertificate").to_bytes();
        for _ in 0..2 {
            assert!(alg.verify_signature(&public, b"tbsCertificate", &sig).is_ok());
        }
        assert!(alg.verify_signature(&public, b"tbsCertificatf", &sig).is_err());
        assert!(
            alg.verify_signature(&other.verifying_key().to_bytes(), b"tbsCertificate", &sig)
                .is_err()
        );
        let mut bad = sig;
        bad[0] ^= 1;
        assert!(alg.verify_signature(&public, b"tbsCertificate", &bad).is_err());
        // Failures are not remembered.
        assert!(alg.verify_signature(&public, b"tbsCertificate", &bad).is_err());
    }
}
