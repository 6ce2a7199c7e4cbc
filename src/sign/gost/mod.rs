//! GOST signatures: GOST 34.310-2004 (≡ GOST R 34.10-2001) with the GOST 34.311-95 hash
//! (≡ GOST R 34.11-94), and GOST 34.10-2015 (≡ GOST R 34.10-2012) with 256- and 512-bit
//! keys and the GOST 34.11-2015 hash (≡ Streebog, GOST R 34.11-2012) — the algorithms of
//! the Kazakh national CA (NCA RK) — under both the Kazakh object identifiers
//! (`1.2.398.3.10.*`) and the standard ones (RFC 4357, RFC 4490/4491, RFC 9215).
//! Verification only: nothing here signs.
//!
//! The encodings, each checked by a test (see `docs/signatures.md`):
//! - keys: the subjectPublicKey BIT STRING holds a DER OCTET STRING of `x ‖ y`, each
//!   coordinate **little-endian** (RFC 4491 §2.3.2, RFC 9215 §4.3; the NCA writes the same);
//! - signature values under the standard identifiers: `s ‖ r`, each **big-endian**
//!   (RFC 4491 §2.2.2, RFC 4490 §3.2, RFC 9215 §5) — what the OpenSSL GOST engine writes;
//! - signature values under the Kazakh identifiers: `r ‖ s`, each **little-endian**, in
//!   certificates, CRLs and CMS alike — the whole standard value byte-reversed; checked on
//!   the NCA's own test certificates, CRLs and a time-stamp token;
//! - the hash value becomes the number α read little-endian (GOST R 34.10-2012 §6.1 on
//!   how the hash vector maps to an integer; the OpenSSL engine does the same).
//!
//! Layout follows the *signature* algorithm's identifier, so a standard signature
//! re-labelled with the Kazakh identifier must also be re-encoded (byte-reversed) to
//! verify, as the tests show.

pub mod curves;
pub mod ec;
pub mod oids;
pub mod webpki;

use der::asn1::{ObjectIdentifier as Oid, OctetString};
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use self::curves::CurveId;
use self::oids::{KeyKind, Layout, SigAlg};
use super::algorithms::{DigestAlg, Family, Verifier, VerifyRequest};
use super::verdict::{Reason, Rejection};

fn unsupported(detail: impl Into<String>) -> Rejection {
    Rejection::new(Reason::UnsupportedAlgorithm, detail)
}

fn malformed(detail: impl Into<String>) -> Rejection {
    Rejection::new(Reason::Malformed, detail)
}

fn bad_signature(detail: impl Into<String>) -> Rejection {
    Rejection::new(Reason::BadSignature, detail)
}

/// What a GOST public key's AlgorithmIdentifier says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyParams {
    pub kind: KeyKind,
    pub curve: CurveId,
    /// The GOST R 34.11-94 / 34.311-95 hash the key names (2001-family keys), if any.
    pub digest: Option<DigestAlg>,
}

impl KeyParams {
    /// Reads a GOST key's algorithm and parameters:
    /// `SEQUENCE { publicKeyParamSet, digestParamSet OPTIONAL, encryptionParamSet OPTIONAL }`
    /// (RFC 4491 §2.3.1, RFC 9215 §4.2). Unknown parameter sets are refused, so the set of
    /// accepted encodings is finite.
    pub fn from_algorithm(alg: &AlgorithmIdentifierOwned) -> Result<KeyParams, Rejection> {
        let kind = KeyKind::from_oid(&alg.oid)
            .ok_or_else(|| unsupported(format!("GOST key algorithm {}", alg.oid)))?;
        let params = alg
            .parameters
            .as_ref()
            .ok_or_else(|| malformed("GOST key without parameters"))?
            .decode_as::<Vec<Oid>>()
            .map_err(|e| malformed(format!("GOST key parameters: {e}")))?;
        let (curve_oid, rest) =
            params.split_first().ok_or_else(|| malformed("GOST key parameters are empty"))?;
        if rest.len() > 2 {
            return Err(malformed("GOST key parameters: too many elements"));
        }
        let curve = CurveId::from_oid(curve_oid)
            .ok_or_else(|| unsupported(format!("GOST curve parameter set {curve_oid}")))?;
        if curve.size() != kind.size() {
            return Err(unsupported(format!(
                "GOST key {} on the {}-byte curve {curve_oid}",
                alg.oid,
                curve.size()
            )));
        }
        let mut digest = None;
        for oid in rest {
            match oids::param_role(oid) {
                Some(oids::ParamRole::Digest(d)) if digest.is_none() => digest = d,
                Some(oids::ParamRole::Encryption) => {}
                _ => return Err(unsupported(format!("GOST key parameter {oid}"))),
            }
        }
        Ok(KeyParams { kind, curve, digest })
    }

    pub fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyParams, Rejection> {
        KeyParams::from_algorithm(&spki.algorithm)
    }

    /// The hash an X.509 signature (certificate, CRL) made with this key under `sig` uses:
    /// GOST 34.311-95 under the Kazakh 2004 identifier, the key's digestParamSet (or
    /// CryptoPro) under the standard 2001 one, Streebog for 2012/2015.
    pub fn x509_digest(&self, sig: &SigAlg) -> DigestAlg {
        match (self.kind, sig.layout) {
            (KeyKind::R2001, Layout::Kazakh) => DigestAlg::Gost34311Kz,
            (KeyKind::R2001, Layout::Standard) => self.digest.unwrap_or(DigestAlg::Gost94CryptoPro),
            (KeyKind::R2012_256, _) => DigestAlg::Streebog256,
            (KeyKind::R2012_512, _) => DigestAlg::Streebog512,
        }
    }
}

/// Whether `digest` is a hash that signatures of `kind` are made with.
fn digest_fits(kind: KeyKind, digest: DigestAlg) -> bool {
    matches!(
        (kind, digest),
        (KeyKind::R2001, DigestAlg::Gost34311Kz | DigestAlg::Gost94CryptoPro)
            | (KeyKind::R2012_256, DigestAlg::Streebog256)
            | (KeyKind::R2012_512, DigestAlg::Streebog512)
    )
}

/// Checks a GOST signature over a hash value already computed. `key_bits` are the
/// subjectPublicKey BIT STRING contents; `signature` the raw value in `layout`.
pub fn verify_prehashed(
    key: &KeyParams,
    layout: Layout,
    key_bits: &[u8],
    hash: &[u8],
    signature: &[u8],
) -> Result<(), Rejection> {
    let size = key.curve.size();
    let point = OctetString::from_der(key_bits)
        .map_err(|e| malformed(format!("GOST public key: {e}")))?
        .into_bytes();
    if point.len() != 2 * size {
        return Err(malformed(format!(
            "GOST public key of {} bytes; {} expected",
            point.len(),
            2 * size
        )));
    }
    if signature.len() != 2 * size {
        return Err(bad_signature(format!(
            "GOST signature of {} bytes; {} expected",
            signature.len(),
            2 * size
        )));
    }
    if hash.len() != size {
        return Err(unsupported(format!("a {}-byte hash for a {size}-byte key", hash.len())));
    }
    // Coordinates little-endian → big-endian for the curve.
    let be = |bytes: &[u8]| bytes.iter().rev().copied().collect::<Vec<u8>>();
    let (x, y) = (be(&point[..size]), be(&point[size..]));
    let (r, s) = match layout {
        // s ‖ r, big-endian.
        Layout::Standard => (signature[size..].to_vec(), signature[..size].to_vec()),
        // r ‖ s, little-endian.
        Layout::Kazakh => (be(&signature[..size]), be(&signature[size..])),
    };
    let ok = match size {
        32 => {
            let curve = curves::curve256(key.curve).ok_or_else(|| unsupported("GOST curve"))?;
            let q = curve.point(&x, &y).ok_or_else(|| malformed("GOST key not on its curve"))?;
            curve.verify(&q, hash, &r, &s)
        }
        _ => {
            let curve = curves::curve512(key.curve).ok_or_else(|| unsupported("GOST curve"))?;
            let q = curve.point(&x, &y).ok_or_else(|| malformed("GOST key not on its curve"))?;
            curve.verify(&q, hash, &r, &s)
        }
    };
    if ok { Ok(()) } else { Err(bad_signature("the GOST signature does not verify")) }
}

/// The GOST family's [`Verifier`].
pub struct GostVerifier;

impl Verifier for GostVerifier {
    fn family(&self) -> Family {
        Family::Gost
    }

    fn verify(&self, r: &VerifyRequest<'_>) -> Result<String, Rejection> {
        let sig = SigAlg::from_oid(&r.signature_algorithm.oid).ok_or_else(|| {
            unsupported(format!(
                "GOST signature algorithm {} (GOST R 34.10-94 and other non-elliptic \
                 variants are not supported)",
                r.signature_algorithm.oid
            ))
        })?;
        if !oids::is_gost_key(&r.spki.algorithm.oid) {
            return Err(bad_signature(format!(
                "a GOST signature but a {} key",
                r.spki.algorithm.oid
            )));
        }
        let key = KeyParams::from_spki(r.spki)?;
        if key.kind != sig.kind {
            return Err(bad_signature(format!(
                "signature algorithm {} does not fit the {} key",
                r.signature_algorithm.oid,
                key.kind.name()
            )));
        }
        if !digest_fits(key.kind, r.digest) {
            return Err(Rejection::new(
                Reason::Malformed,
                format!("digest {} does not fit a {} signature", r.digest.name(), key.kind.name()),
            ));
        }
        let name = format!("{}-{}-{}", key.kind.name(), key.curve.name(), r.digest.name());
        let hash = r.digest.hash(r.message);
        verify_prehashed(
            &key,
            sig.layout,
            r.spki.subject_public_key.raw_bytes(),
            &hash,
            r.signature,
        )
        .map(|()| name.clone())
        .map_err(|e| match e.reason {
            Reason::BadSignature => bad_signature(format!("{name} does not verify")),
            _ => e,
        })
    }
}

/// The DER of an AlgorithmIdentifier's contents (what webpki compares), for tests and the
/// chain algorithms.
pub(crate) fn algorithm_contents(alg: &AlgorithmIdentifierOwned) -> Option<Vec<u8>> {
    let der = alg.to_der().ok()?;
    let outer = der::AnyRef::from_der(&der).ok()?;
    Some(outer.value().to_vec())
}

#[cfg(test)]
mod tests;
