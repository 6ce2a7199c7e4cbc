//! X.509 helpers shared by the verifier and the trust store: reading certificates and CRLs
//! from PEM or DER, fingerprints, the summary shown to people, and the signing key-usage
//! rule.

use der::{Decode, Encode};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

/// id-kp-emailProtection: what S/MIME and the Kazakh NCA put on signing certificates.
const EKU_EMAIL_PROTECTION: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
/// id-kp-documentSigning (RFC 9336).
const EKU_DOCUMENT_SIGNING: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.36");
/// id-kp-clientAuth: NCA authentication certificates (sign-in over mutual TLS).
const EKU_CLIENT_AUTH: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
/// anyExtendedKeyUsage.
const EKU_ANY: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("2.5.29.37.0");
/// The purposes accepted on signing certificates and on the CAs above them when those
/// carry an extendedKeyUsage (the same rule as OpenSSL's `smimesign` purpose, plus
/// RFC 9336 document signing).
pub const SIGNING_EKUS: &[der::asn1::ObjectIdentifier] =
    &[EKU_EMAIL_PROTECTION, EKU_DOCUMENT_SIGNING, EKU_ANY];

/// What people and reports see of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertSummary {
    /// RFC 4514 form, e.g. `SERIALNUMBER=IIN880101300123,CN=Aliya`.
    pub subject: String,
    pub issuer: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// sha256 of the DER certificate, lowercase hex: the certificate's identity here.
    pub fingerprint: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// Individual identification number from the subject's serialNumber (`IIN…`), as the
    /// Kazakh NCA issues it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iin: Option<String>,
    /// Business identification number from the subject's OU (`BIN…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
}

/// A parsed certificate with its exact DER bytes.
#[derive(Debug, Clone)]
pub struct Cert {
    pub der: Vec<u8>,
    pub cert: Certificate,
}

impl Cert {
    pub fn from_der(der: &[u8]) -> Result<Cert, der::Error> {
        let cert = Certificate::from_der(der)?;
        Ok(Cert { der: der.to_vec(), cert })
    }

    pub fn fingerprint(&self) -> String {
        sha256_hex(&self.der)
    }

    pub fn summary(&self) -> CertSummary {
        let tbs = self.cert.tbs_certificate();
        let subject = tbs.subject().to_string();
        CertSummary {
            iin: rdn_value_with_prefix(&subject, "SERIALNUMBER=", "IIN"),
            bin: rdn_value_with_prefix(&subject, "OU=", "BIN"),
            subject,
            issuer: tbs.issuer().to_string(),
            serial: hex::encode(tbs.serial_number().as_bytes()),
            fingerprint: self.fingerprint(),
            not_before: to_timestamp(tbs.validity().not_before),
            not_after: to_timestamp(tbs.validity().not_after),
        }
    }

    /// DER of the subject name (for issuer matching without string forms).
    pub fn subject_der(&self) -> Vec<u8> {
        self.cert.tbs_certificate().subject().to_der().unwrap_or_default()
    }

    pub fn issuer_der(&self) -> Vec<u8> {
        self.cert.tbs_certificate().issuer().to_der().unwrap_or_default()
    }

    pub fn is_self_issued(&self) -> bool {
        self.subject_der() == self.issuer_der()
    }

    /// Whether basicConstraints says cA=TRUE.
    pub fn is_ca(&self) -> bool {
        matches!(self.cert.tbs_certificate().get_extension::<BasicConstraints>(), Ok(Some((_, bc))) if bc.ca)
    }

    pub fn key_usage(&self) -> Result<Option<KeyUsage>, der::Error> {
        Ok(self.cert.tbs_certificate().get_extension::<KeyUsage>()?.map(|(_, ku)| ku))
    }

    /// Fit for signing in (mutual TLS): keyUsage present with digitalSignature, and an
    /// extendedKeyUsage, if present, with id-kp-clientAuth — an NCA authentication
    /// certificate.
    pub fn check_auth_usage(&self) -> Result<(), String> {
        match self.key_usage() {
            Err(e) => return Err(format!("unreadable keyUsage: {e}")),
            Ok(None) => return Err("the certificate has no keyUsage extension".into()),
            Ok(Some(ku)) if !ku.digital_signature() => {
                return Err("keyUsage lacks digitalSignature".to_string());
            }
            Ok(Some(_)) => {}
        }
        match self.cert.tbs_certificate().get_extension::<ExtendedKeyUsage>() {
            Err(e) => Err(format!("unreadable extendedKeyUsage: {e}")),
            Ok(Some((_, eku))) if !eku.0.contains(&EKU_CLIENT_AUTH) => {
                Err("extendedKeyUsage lacks clientAuth".to_string())
            }
            Ok(_) => Ok(()),
        }
    }

    /// The signing rule of I385 §57 as this portal reads it: keyUsage must be present and
    /// contain digitalSignature or nonRepudiation (stricter than OpenSSL, which accepts a
    /// certificate without keyUsage), and an extendedKeyUsage, if present, must allow
    /// e-mail/document protection.
    pub fn check_signing_usage(&self) -> Result<(), String> {
        match self.key_usage() {
            Err(e) => return Err(format!("unreadable keyUsage: {e}")),
            Ok(None) => return Err("the certificate has no keyUsage extension".into()),
            Ok(Some(ku)) if !(ku.digital_signature() || ku.non_repudiation()) => {
                return Err("keyUsage has neither digitalSignature nor nonRepudiation".to_string());
            }
            Ok(Some(_)) => {}
        }
        match self.cert.tbs_certificate().get_extension::<ExtendedKeyUsage>() {
            Err(e) => Err(format!("unreadable extendedKeyUsage: {e}")),
            Ok(Some((_, eku))) if !eku.0.iter().any(|oid| SIGNING_EKUS.contains(oid)) => {
                let list: Vec<String> = eku.0.iter().map(|o| o.to_string()).collect();
                Err(format!("extendedKeyUsage [{}] allows no signing purpose", list.join(", ")))
            }
            Ok(_) => Ok(()),
        }
    }

    pub fn not_before(&self) -> Timestamp {
        to_timestamp(self.cert.tbs_certificate().validity().not_before)
    }

    pub fn not_after(&self) -> Timestamp {
        to_timestamp(self.cert.tbs_certificate().validity().not_after)
    }
}

/// Converts an X.509 time into a timestamp (X.509 times are within jiff's range).
pub fn to_timestamp(t: x509_cert::time::Time) -> Timestamp {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    Timestamp::from_second(secs).unwrap_or(Timestamp::MAX)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn rdn_value_with_prefix(name: &str, attr: &str, prefix: &str) -> Option<String> {
    name.split(',')
        .filter_map(|part| part.trim().strip_prefix(attr))
        .find(|v| v.starts_with(prefix))
        .map(str::to_owned)
}

/// Reads every certificate of a PEM bundle, or one DER certificate.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<Cert>, String> {
    if let Some(blocks) = pem_blocks(bytes, "CERTIFICATE")? {
        if blocks.is_empty() {
            return Err("the PEM file holds no CERTIFICATE block".into());
        }
        return blocks
            .iter()
            .map(|der| Cert::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}")))
            .collect();
    }
    Cert::from_der(bytes).map(|c| vec![c]).map_err(|e| format!("not an X.509 certificate: {e}"))
}

/// Reads one CRL (PEM `X509 CRL` or DER); returns its DER and parsed form.
pub fn read_crl(bytes: &[u8]) -> Result<(Vec<u8>, CertificateList), String> {
    let der = match pem_blocks(bytes, "X509 CRL")? {
        Some(mut blocks) if blocks.len() == 1 => blocks.remove(0),
        Some(blocks) => {
            return Err(format!("expected one X509 CRL block, found {}", blocks.len()));
        }
        None => bytes.to_vec(),
    };
    let crl = CertificateList::from_der(&der).map_err(|e| format!("not an X.509 CRL: {e}"))?;
    Ok((der, crl))
}

/// The DER of every PEM block with `label`, or `None` when the input is not PEM text.
fn pem_blocks(bytes: &[u8], label: &str) -> Result<Option<Vec<Vec<u8>>>, String> {
    let Ok(text) = std::str::from_utf8(bytes) else { return Ok(None) };
    if !text.contains("-----BEGIN ") {
        return Ok(None);
    }
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start..];
        let stop = after.find(&end).ok_or_else(|| format!("unterminated {label} PEM block"))?;
        let block = &after[..stop + end.len()];
        let (found, der) = der::pem::decode_vec(block.as_bytes())
            .map_err(|e| format!("bad {label} PEM block: {e}"))?;
        if found != label {
            return Err(format!("unexpected PEM label {found}"));
        }
        out.push(der);
        rest = &after[stop + end.len()..];
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iin_and_bin_come_from_the_subject() {
        let s = "SERIALNUMBER=IIN880101300123,OU=BIN123456789012,CN=Aliya";
        assert_eq!(
            rdn_value_with_prefix(s, "SERIALNUMBER=", "IIN").as_deref(),
            Some("IIN880101300123")
        );
        assert_eq!(rdn_value_with_prefix(s, "OU=", "BIN").as_deref(), Some("BIN123456789012"));
        assert_eq!(rdn_value_with_prefix("CN=x", "OU=", "BIN"), None);
    }

    #[test]
    fn garbage_is_neither_a_certificate_nor_a_crl() {
        assert!(read_certificates(b"hello").is_err());
        assert!(read_certificates(b"-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n").is_err());
        assert!(read_crl(b"\x30\x03\x02\x01\x01").is_err());
    }
}
