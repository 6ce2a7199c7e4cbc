//! The outcome of checking one signature: [`Verdict`], and the closed list of stable
//! rejection [`Reason`]s (I385 §57, §59). Reason names are part of the API and of stored
//! signature records: never rename one. Each has a message `sign-reason-<name>` in
//! `web/locales/{kk,ru,en}/*.ftl`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Code, Error};

/// Why a signature is not accepted. The order is the order in which the checks run, so
/// the first failing check names the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not a DER-encoded CMS SignedData, or a required part is missing or malformed.
    Malformed,
    /// The CMS carries more (or fewer) than one signer; submit one signature per signer.
    MultipleSigners,
    /// The signature encapsulates content that is not the manifest being signed.
    ContentMismatch,
    /// Signed attributes break RFC 5652 §5.3/§11: contentType or messageDigest missing,
    /// duplicated or different from the content type.
    BadAttributes,
    /// A digest, signature or key algorithm this portal cannot verify (e.g. GOST until a
    /// verifier is plugged in, SHA-1, MD5).
    UnsupportedAlgorithm,
    /// The key is too weak for the policy (RSA below the configured minimum).
    WeakKey,
    /// The messageDigest attribute differs from the hash of the content: the text or a file
    /// changed after signing.
    DigestMismatch,
    /// The signer's certificate is not in the signature (NCALayer and `openssl cms -sign`
    /// include it).
    CertificateMissing,
    /// The signature value does not verify with the signer's public key.
    BadSignature,
    /// The signingTime attribute lies in the future beyond the allowed clock skew.
    SigningTimeInvalid,
    /// The certificate is not for signing: keyUsage lacks digitalSignature and
    /// nonRepudiation, or extendedKeyUsage excludes e-mail/document protection.
    KeyUsage,
    /// No path from the signer's certificate to a trusted root (unknown issuer, broken
    /// CA constraints, bad certificate signature in the chain).
    UntrustedChain,
    /// A certificate of the chain had expired at signing time or has expired now.
    Expired,
    /// A certificate of the chain was not yet valid at signing time or is not yet valid now.
    NotYetValid,
    /// A certificate of the chain is listed in its issuer's CRL.
    Revoked,
    /// No CRL is installed for a CA of the chain, so revocation cannot be checked.
    RevocationUnknown,
    /// The CRL of a CA of the chain is past its nextUpdate: import a fresh one.
    CrlStale,
    /// The certificate is not registered to the signing user (§57).
    NotRegistered,
    /// The certificate was registered but an administrator has not confirmed it yet.
    RegistrationPending,
    /// The certificate's registration was revoked locally (lost key, dismissal).
    RegistrationRevoked,
}

impl Reason {
    pub const ALL: &'static [Reason] = &[
        Reason::Malformed,
        Reason::MultipleSigners,
        Reason::ContentMismatch,
        Reason::BadAttributes,
        Reason::UnsupportedAlgorithm,
        Reason::WeakKey,
        Reason::DigestMismatch,
        Reason::CertificateMissing,
        Reason::BadSignature,
        Reason::SigningTimeInvalid,
        Reason::KeyUsage,
        Reason::UntrustedChain,
        Reason::Expired,
        Reason::NotYetValid,
        Reason::Revoked,
        Reason::RevocationUnknown,
        Reason::CrlStale,
        Reason::NotRegistered,
        Reason::RegistrationPending,
        Reason::RegistrationRevoked,
    ];

    /// The stable snake_case name (API, stored records, access log).
    pub fn name(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::MultipleSigners => "multiple_signers",
            Reason::ContentMismatch => "content_mismatch",
            Reason::BadAttributes => "bad_attributes",
            Reason::UnsupportedAlgorithm => "unsupported_algorithm",
            Reason::WeakKey => "weak_key",
            Reason::DigestMismatch => "digest_mismatch",
            Reason::CertificateMissing => "certificate_missing",
            Reason::BadSignature => "bad_signature",
            Reason::SigningTimeInvalid => "signing_time_invalid",
            Reason::KeyUsage => "key_usage",
            Reason::UntrustedChain => "untrusted_chain",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::Revoked => "revoked",
            Reason::RevocationUnknown => "revocation_unknown",
            Reason::CrlStale => "crl_stale",
            Reason::NotRegistered => "not_registered",
            Reason::RegistrationPending => "registration_pending",
            Reason::RegistrationRevoked => "registration_revoked",
        }
    }

    /// The Fluent message id explaining the reason to a person.
    pub fn message_key(self) -> &'static str {
        match self {
            Reason::Malformed => "sign-reason-malformed",
            Reason::MultipleSigners => "sign-reason-multiple-signers",
            Reason::ContentMismatch => "sign-reason-content-mismatch",
            Reason::BadAttributes => "sign-reason-bad-attributes",
            Reason::UnsupportedAlgorithm => "sign-reason-unsupported-algorithm",
            Reason::WeakKey => "sign-reason-weak-key",
            Reason::DigestMismatch => "sign-reason-digest-mismatch",
            Reason::CertificateMissing => "sign-reason-certificate-missing",
            Reason::BadSignature => "sign-reason-bad-signature",
            Reason::SigningTimeInvalid => "sign-reason-signing-time-invalid",
            Reason::KeyUsage => "sign-reason-key-usage",
            Reason::UntrustedChain => "sign-reason-untrusted-chain",
            Reason::Expired => "sign-reason-expired",
            Reason::NotYetValid => "sign-reason-not-yet-valid",
            Reason::Revoked => "sign-reason-revoked",
            Reason::RevocationUnknown => "sign-reason-revocation-unknown",
            Reason::CrlStale => "sign-reason-crl-stale",
            Reason::NotRegistered => "sign-reason-not-registered",
            Reason::RegistrationPending => "sign-reason-registration-pending",
            Reason::RegistrationRevoked => "sign-reason-registration-revoked",
        }
    }

    pub fn parse(name: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.name() == name)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A refusal: the reason and a technical detail for the administrator and the evidence
/// report (English, safe to show: it names certificates and algorithms, never secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub reason: Reason,
    pub detail: String,
    /// The signer's certificate when it was identified before the failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<Box<super::x509::CertSummary>>,
    /// For `revoked`: the revocation date the CRL gives, so that a signature accepted
    /// before it can be told apart ("revoked later", I385 §58) from one made after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
}

impl Rejection {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Rejection {
        Rejection { reason, detail: detail.into(), signer: None, revoked_at: None }
    }

    pub fn with_signer(mut self, signer: &super::x509::CertSummary) -> Rejection {
        self.signer.get_or_insert_with(|| Box::new(signer.clone()));
        self
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.reason, self.detail)
    }
}

/// The API error for a refused signature: 422 `signature_rejected`, the reason's message
/// as detail text and the reason's name as `detail`.
impl From<Rejection> for Error {
    fn from(r: Rejection) -> Error {
        Error::new(Code::SignatureRejected)
            .with_field("signature")
            .with_detail_key(r.reason.message_key())
            .with_detail(r.reason.name())
            .with_cause(r.detail)
    }
}

/// Where the signing time of a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningTimeSource {
    /// The signer's signingTime attribute (claimed by the signer's clock; CAdES-BES has no
    /// trusted time stamp).
    Attribute,
    /// No attribute (e.g. `-noattr`): the time of verification.
    Verification,
}

/// A CRL consulted for a verdict, identified so that an evidence package can carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrlUse {
    pub issuer: String,
    pub sha256: String,
    pub this_update: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_update: Option<Timestamp>,
}

/// Everything established about a valid signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub signer: super::x509::CertSummary,
    /// Issuers from the signer's issuer up to the trusted root.
    pub chain: Vec<super::x509::CertSummary>,
    pub signing_time: Timestamp,
    pub signing_time_source: SigningTimeSource,
    /// e.g. `sha256`.
    pub digest_algorithm: String,
    /// e.g. `rsa-pkcs1v15-sha256`, `rsa-pss-sha256`, `ecdsa-p256-sha256`, `ed25519`.
    pub signature_algorithm: String,
    /// Whether signed attributes were present (CAdES-BES) or the content was signed as is.
    pub signed_attributes: bool,
    /// Whether the content travelled inside the CMS (`-nodetach`).
    pub encapsulated: bool,
    pub crls: Vec<CrlUse>,
    pub checked_at: Timestamp,
}

/// The result of verifying one signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    Valid(Box<Report>),
    Invalid(Rejection),
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid(_))
    }

    /// The rejection reason, `None` when valid.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Verdict::Valid(_) => None,
            Verdict::Invalid(r) => Some(r.reason),
        }
    }

    pub fn report(&self) -> Option<&Report> {
        match self {
            Verdict::Valid(r) => Some(r),
            Verdict::Invalid(_) => None,
        }
    }

    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Verdict::Valid(_) => None,
            Verdict::Invalid(r) => Some(r),
        }
    }
}

impl From<Result<Report, Rejection>> for Verdict {
    fn from(r: Result<Report, Rejection>) -> Verdict {
        match r {
            Ok(report) => Verdict::Valid(Box::new(report)),
            Err(rejection) => Verdict::Invalid(rejection),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_unique_name_key_and_round_trips() {
        let mut names = std::collections::HashSet::new();
        for reason in Reason::ALL {
            assert!(names.insert(reason.name()), "duplicate {}", reason.name());
            assert_eq!(
                reason.message_key(),
                format!("sign-reason-{}", reason.name().replace('_', "-"))
            );
            assert_eq!(Reason::parse(reason.name()), Some(*reason));
            let json = serde_json::to_string(reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.name()));
        }
    }

    #[test]
    fn every_reason_is_translated_in_every_language() {
        let i18n = crate::i18n::I18n::load();
        for lang in crate::i18n::LANGS {
            for reason in Reason::ALL {
                let text = i18n.text(lang, reason.message_key());
                assert_ne!(text, reason.message_key(), "{lang}: {} missing", reason.name());
            }
        }
    }

    #[test]
    fn a_rejection_becomes_a_422_naming_the_reason() {
        let e: Error = Rejection::new(Reason::Revoked, "serial 1001 revoked").into();
        assert_eq!(e.code.http_status(), 422);
        assert_eq!(e.code.name(), "signature_rejected");
        assert_eq!(e.detail.as_deref(), Some("revoked"));
        assert_eq!(e.detail_key, Some("sign-reason-revoked"));
    }
}
