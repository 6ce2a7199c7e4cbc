//! The trust store as verification sees it: trusted roots, intermediates and the CRL in
//! force for each CA, parsed once and cached until the store changes; and the checks an
//! imported CA certificate or CRL must pass before it is stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use der::{AnyRef, Decode, Encode};
use jiff::Timestamp;
use parking_lot::RwLock;
use webpki::{CertRevocationList, OwnedCertRevocationList};
use x509_cert::crl::CertificateList;

use super::algorithms::{self, VerifyRequest};
use super::store::{self, CaRole, CrlRecord, Reader};
use super::verdict::CrlUse;
use super::x509::{Cert, sha256_hex, to_timestamp};
use crate::db::Db;
use crate::error::{Error, Result};

/// What the verifier knows of a CRL.
#[derive(Debug, Clone)]
pub struct CrlInfo {
    pub issuer: String,
    pub issuer_der: Vec<u8>,
    pub sha256: String,
    pub this_update: Timestamp,
    pub next_update: Option<Timestamp>,
    pub crl_number: Option<Vec<u8>>,
    pub revoked_count: usize,
}

impl CrlInfo {
    pub fn as_use(&self) -> CrlUse {
        CrlUse {
            issuer: self.issuer.clone(),
            sha256: self.sha256.clone(),
            this_update: self.this_update,
            next_update: self.next_update,
        }
    }
}

pub struct LoadedCrl {
    pub info: CrlInfo,
    pub list: CertRevocationList<'static>,
}

/// An immutable view of the trust store.
#[derive(Default)]
pub struct TrustSnapshot {
    pub roots: Vec<Cert>,
    pub intermediates: Vec<Cert>,
    /// The CRL in force for each issuer.
    pub crls: Vec<LoadedCrl>,
}

impl TrustSnapshot {
    pub fn load(txn: &redb::ReadTransaction) -> Result<TrustSnapshot> {
        let r = Reader(txn);
        let mut snapshot = TrustSnapshot::default();
        for ca in r.cas()? {
            let cert = Cert::from_der(&store::unb64(&ca.der)?).map_err(Error::internal)?;
            match ca.role {
                CaRole::Root => snapshot.roots.push(cert),
                CaRole::Intermediate => snapshot.intermediates.push(cert),
            }
        }
        for (_, sha) in r.current_crls()? {
            let der = r.crl_der(&sha)?.ok_or_else(|| Error::internal("CRL bytes missing"))?;
            snapshot.crls.push(parse_crl(&der).map_err(Error::internal)?);
        }
        Ok(snapshot)
    }

    pub fn crl_for_issuer(&self, issuer_der: &[u8]) -> Option<&LoadedCrl> {
        self.crls.iter().find(|c| c.info.issuer_der == issuer_der)
    }

    fn cas(&self) -> impl Iterator<Item = &Cert> {
        self.roots.iter().chain(&self.intermediates)
    }
}

/// Parses a CRL for verification (webpki refuses delta and indirect CRLs and unknown
/// critical extensions) and reads the facts people see.
pub fn parse_crl(der: &[u8]) -> std::result::Result<LoadedCrl, String> {
    let owned = OwnedCertRevocationList::from_der(der).map_err(|e| format!("{e:?}"))?;
    let parsed = CertificateList::<x509_cert::certificate::Rfc5280>::from_der(der)
        .map_err(|e| e.to_string())?;
    let tbs = &parsed.tbs_cert_list;
    let crl_number = tbs.crl_extensions.as_ref().and_then(|exts| {
        exts.iter()
            .find(|e| e.extn_id == CRL_NUMBER)
            .and_then(|e| der::asn1::Int::from_der(e.extn_value.as_bytes()).ok())
            .map(|n| n.as_bytes().to_vec())
    });
    let info = CrlInfo {
        issuer: tbs.issuer.to_string(),
        issuer_der: tbs.issuer.to_der().map_err(|e| e.to_string())?,
        sha256: sha256_hex(der),
        this_update: to_timestamp(tbs.this_update),
        next_update: tbs.next_update.map(to_timestamp),
        crl_number,
        revoked_count: tbs.revoked_certificates.as_ref().map_or(0, Vec::len),
    };
    Ok(LoadedCrl { info, list: CertRevocationList::Owned(owned) })
}

const CRL_NUMBER: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.20");

/// The trust snapshot shared by verifications, rebuilt after each change of the store.
#[derive(Default)]
pub struct TrustCache {
    generation: AtomicU64,
    current: RwLock<Option<(u64, Arc<TrustSnapshot>)>>,
}

impl TrustCache {
    pub fn get(&self, db: &Db) -> Result<Arc<TrustSnapshot>> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((g, snapshot)) = &*self.current.read()
            && *g == generation
        {
            return Ok(snapshot.clone());
        }
        let txn = db.read()?;
        let snapshot = Arc::new(TrustSnapshot::load(&txn)?);
        *self.current.write() = Some((generation, snapshot.clone()));
        Ok(snapshot)
    }

    /// Called after every committed change to CAs or CRLs.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

// ---------------------------------------------------------------------------------------
// Import checks

fn invalid(key: &'static str, detail: impl Into<String>) -> Error {
    Error::invalid("file", key).with_detail(detail)
}

/// The raw first element of a signed X.509 structure (tbsCertificate / tbsCertList).
fn tbs_bytes(der: &[u8]) -> der::Result<&[u8]> {
    let outer = AnyRef::from_der(der)?;
    let mut r = der::SliceReader::new(outer.value())?;
    let start = outer.value();
    let first = AnyRef::decode(&mut r)?;
    let len = usize::try_from(first.encoded_len()?)?;
    Ok(&start[..len])
}

/// Verifies an X.509 signature (certificate or CRL) with the issuer's key.
pub fn verify_x509_signature(
    signed_der: &[u8],
    algorithm: &spki::AlgorithmIdentifierOwned,
    signature: &[u8],
    issuer: &Cert,
) -> std::result::Result<(), String> {
    let spki = issuer.cert.tbs_certificate().subject_public_key_info();
    let digest = algorithms::x509_digest(algorithm, spki).map_err(|r| r.detail)?;
    let message = tbs_bytes(signed_der).map_err(|e| e.to_string())?;
    algorithms::verify(&VerifyRequest {
        spki,
        signature_algorithm: algorithm,
        digest,
        message,
        signature,
        min_rsa_bits: 0,
    })
    .map(|_| ())
    .map_err(|r| r.detail)
}

/// A CA certificate ready to store.
pub struct CaImport {
    pub cert: Cert,
    pub role: CaRole,
}

/// Checks CA certificates (a PEM bundle or one DER) against the store: each must be a CA
/// (basicConstraints cA, keyCertSign when keyUsage is present), valid now, and either
/// self-signed (a root) or signed by a CA already in the store or earlier in the bundle.
pub fn prepare_cas(
    snapshot: &TrustSnapshot,
    bytes: &[u8],
    now: Timestamp,
) -> Result<Vec<CaImport>> {
    let certs = super::x509::read_certificates(bytes)
        .map_err(|e| invalid("sign-import-not-certificate", e))?;
    // Roots first, so a bundle may list them in any order.
    let (mut ordered, rest): (Vec<Cert>, Vec<Cert>) =
        certs.into_iter().partition(Cert::is_self_issued);
    ordered.extend(rest);
    let mut accepted: Vec<CaImport> = Vec::new();
    for cert in ordered {
        let subject = cert.summary().subject;
        if !cert.is_ca() {
            return Err(invalid("sign-import-not-ca", subject));
        }
        if let Ok(Some(ku)) = cert.key_usage()
            && !ku.key_cert_sign()
        {
            return Err(invalid("sign-import-not-ca", format!("{subject}: no keyCertSign")));
        }
        if now < cert.not_before() || now > cert.not_after() {
            return Err(invalid("sign-import-ca-validity", subject));
        }
        let algorithm = cert.cert.signature_algorithm().clone();
        let signature = cert.cert.signature().raw_bytes().to_vec();
        let role = if cert.is_self_issued() {
            verify_x509_signature(&cert.der, &algorithm, &signature, &cert)
                .map_err(|e| invalid("sign-import-bad-signature", format!("{subject}: {e}")))?;
            CaRole::Root
        } else {
            let issuer_der = cert.issuer_der();
            let issuers: Vec<&Cert> = snapshot
                .cas()
                .chain(accepted.iter().map(|a| &a.cert))
                .filter(|c| c.subject_der() == issuer_der)
                .collect();
            if issuers.is_empty() {
                return Err(invalid("sign-import-issuer-unknown", subject));
            }
            if !issuers
                .iter()
                .any(|i| verify_x509_signature(&cert.der, &algorithm, &signature, i).is_ok())
            {
                return Err(invalid("sign-import-bad-signature", subject));
            }
            CaRole::Intermediate
        };
        accepted.push(CaImport { cert, role });
    }
    Ok(accepted)
}

/// Checks a CRL: parses (no delta or indirect CRLs), was issued and signed by a CA in the
/// store, and is not older than the CRL in force for that CA (so an old list cannot
/// resurrect a revoked certificate).
pub fn prepare_crl(
    snapshot: &TrustSnapshot,
    bytes: &[u8],
    current: impl Fn(&str) -> Result<Option<CrlRecord>>,
) -> Result<(Vec<u8>, LoadedCrl)> {
    let (der, parsed) =
        super::x509::read_crl(bytes).map_err(|e| invalid("sign-import-not-crl", e))?;
    let loaded = parse_crl(&der).map_err(|e| invalid("sign-import-crl-unsupported", e))?;
    let issuers: Vec<&Cert> =
        snapshot.cas().filter(|c| c.subject_der() == loaded.info.issuer_der).collect();
    if issuers.is_empty() {
        return Err(invalid("sign-import-crl-issuer-unknown", loaded.info.issuer.clone()));
    }
    let signature = parsed.signature.raw_bytes();
    let signer = issuers
        .iter()
        .find(|i| verify_x509_signature(&der, &parsed.signature_algorithm, signature, i).is_ok());
    let Some(signer) = signer else {
        return Err(invalid("sign-import-bad-signature", loaded.info.issuer.clone()));
    };
    if let Ok(Some(ku)) = signer.key_usage()
        && !ku.crl_sign()
    {
        return Err(invalid("sign-import-bad-signature", "the issuer may not sign CRLs"));
    }
    if let Some(existing) = current(&sha256_hex(&loaded.info.issuer_der))?
        && existing.sha256 != loaded.info.sha256
    {
        let older_number = match (&existing.crl_number, &loaded.info.crl_number) {
            (Some(old), Some(new)) => hex::decode(old).ok().is_some_and(|old| !greater(new, &old)),
            _ => false,
        };
        if loaded.info.this_update < existing.this_update || older_number {
            return Err(invalid(
                "sign-import-crl-older",
                format!("the CRL in force was issued {}", existing.this_update),
            ));
        }
    }
    Ok((der, loaded))
}

/// Whether big-endian unsigned `a` > `b`.
fn greater(a: &[u8], b: &[u8]) -> bool {
    let strip = |x: &[u8]| -> Vec<u8> { x.iter().copied().skip_while(|b| *b == 0).collect() };
    let (a, b) = (strip(a), strip(b));
    (a.len(), &a) > (b.len(), &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crl_numbers_compare_as_unsigned_integers() {
        assert!(greater(&[0x01, 0x00], &[0xff]));
        assert!(greater(&[0x00, 0x10], &[0x0f]));
        assert!(!greater(&[0x10], &[0x10]));
        assert!(!greater(&[0x0f], &[0x00, 0x10]));
    }
}
