//! Digest and signature algorithms: which object identifiers this portal recognises, and
//! the [`Verifier`] trait through which each signature family checks a signature value.
//!
//! Families: RSA (PKCS#1 v1.5 and PSS), ECDSA (P-256, P-384), Ed25519 — pure-Rust RustCrypto
//! implementations — and GOST (GOST 34.310-2004 and GOST 34.10-2015 256/512, with the
//! GOST 34.311-95 and Streebog hashes from RustCrypto's `gost94` and `streebog`; the curve
//! arithmetic in `sign::gost`), under the Kazakh and the standard object identifiers.
//! GOST identifiers outside the supported set (GOST R 34.10-94, unknown parameter sets)
//! are refused as `unsupported_algorithm` naming GOST. See `docs/signatures.md`.

use der::asn1::ObjectIdentifier as Oid;
use der::{Decode, Encode, Sequence};
use rsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::verdict::{Reason, Rejection};

pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
const MD5: Oid = Oid::new_unwrap("1.2.840.113549.2.5");

pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
pub const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
pub const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
pub const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
const ECDSA_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
pub const ED25519: Oid = Oid::new_unwrap("1.3.101.112");

/// Kazakh GOST arc (KZ `1.2.398.3.10`): GOST 34.310-2004 keys and signatures
/// (`1.2.398.3.10.1.1.1.*`), GOST R 34.10-2015 (`1.2.398.3.10.1.1.2.*`), GOST 34.311-95
/// hash (`1.2.398.3.10.1.3.*`). The exact leaves are taken from public code and not
/// confirmed against an NCA document, so the whole arc is recognised.
const KZ_GOST_ARC: &str = "1.2.398.3.10.";
/// Russian GOST arcs (CryptoPro `1.2.643.2.2`, TC26 `1.2.643.7.1`): R 34.10-2001/2012,
/// Streebog 256/512.
const RU_GOST_ARCS: [&str; 2] = ["1.2.643.2.2.", "1.2.643.7.1."];

fn is_gost(oid: &Oid) -> bool {
    let s = oid.to_string();
    s.starts_with(KZ_GOST_ARC) || RU_GOST_ARCS.iter().any(|arc| s.starts_with(arc))
}

/// A digest algorithm this portal computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlg {
    Sha256,
    Sha384,
    Sha512,
    /// GOST 34.311-95 as the NCA RK uses it (`1.2.398.3.10.1.3.1`): GOST R 34.11-94 with
    /// the S-box of its test parameter set (`id-GostR3411-94-TestParamSet`) — the only
    /// hash under which the NCA's self-signed GOST 34.310-2004 test root verifies.
    Gost34311Kz,
    /// GOST R 34.11-94 with the CryptoPro parameter set (`1.2.643.2.2.9`, RFC 4357).
    Gost94CryptoPro,
    /// GOST 34.11-2015 ≡ GOST R 34.11-2012 (Streebog), 256 and 512 bits.
    Streebog256,
    Streebog512,
}

impl DigestAlg {
    pub fn from_oid(oid: &Oid) -> Result<DigestAlg, Rejection> {
        match *oid {
            SHA256 => Ok(DigestAlg::Sha256),
            SHA384 => Ok(DigestAlg::Sha384),
            SHA512 => Ok(DigestAlg::Sha512),
            SHA1 | MD5 => Err(unsupported(format!("digest {oid} ({}) is too weak", name_of(oid)))),
            _ if is_gost(oid) => super::gost::oids::digest_from_oid(oid)
                .ok_or_else(|| unsupported(format!("GOST digest {oid} is not supported"))),
            _ => Err(unsupported(format!("digest {oid}"))),
        }
    }

    pub fn oid(self) -> Oid {
        match self {
            DigestAlg::Sha256 => SHA256,
            DigestAlg::Sha384 => SHA384,
            DigestAlg::Sha512 => SHA512,
            DigestAlg::Gost34311Kz => Oid::new_unwrap("1.2.398.3.10.1.3.1"),
            DigestAlg::Gost94CryptoPro => Oid::new_unwrap("1.2.643.2.2.9"),
            DigestAlg::Streebog256 => Oid::new_unwrap("1.2.643.7.1.1.2.2"),
            DigestAlg::Streebog512 => Oid::new_unwrap("1.2.643.7.1.1.2.3"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Sha256 => "sha256",
            DigestAlg::Sha384 => "sha384",
            DigestAlg::Sha512 => "sha512",
            DigestAlg::Gost34311Kz => "gost34311-95",
            DigestAlg::Gost94CryptoPro => "gostr3411-94-cryptopro",
            DigestAlg::Streebog256 => "gost3411-2015-256",
            DigestAlg::Streebog512 => "gost3411-2015-512",
        }
    }

    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlg::Sha256 => Sha256::digest(data).to_vec(),
            DigestAlg::Sha384 => Sha384::digest(data).to_vec(),
            DigestAlg::Sha512 => Sha512::digest(data).to_vec(),
            DigestAlg::Gost34311Kz => gost94::Gost94Test::digest(data).to_vec(),
            DigestAlg::Gost94CryptoPro => gost94::Gost94CryptoPro::digest(data).to_vec(),
            DigestAlg::Streebog256 => streebog::Streebog256::digest(data).to_vec(),
            DigestAlg::Streebog512 => streebog::Streebog512::digest(data).to_vec(),
        }
    }
}

fn name_of(oid: &Oid) -> &'static str {
    match *oid {
        SHA1 => "SHA-1",
        MD5 => "MD5",
        _ => "unknown",
    }
}

fn unsupported(detail: impl Into<String>) -> Rejection {
    Rejection::new(Reason::UnsupportedAlgorithm, detail)
}

fn bad_signature(detail: impl Into<String>) -> Rejection {
    Rejection::new(Reason::BadSignature, detail)
}

/// A signature family: one [`Verifier`] each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Rsa,
    Ecdsa,
    Ed25519,
    Gost,
}

impl Family {
    /// The family named by a signature algorithm identifier (SignerInfo or certificate).
    pub fn of_signature(oid: &Oid) -> Result<Family, Rejection> {
        match *oid {
            RSA_ENCRYPTION | RSASSA_PSS | SHA256_WITH_RSA | SHA384_WITH_RSA | SHA512_WITH_RSA => {
                Ok(Family::Rsa)
            }
            EC_PUBLIC_KEY | ECDSA_SHA256 | ECDSA_SHA384 | ECDSA_SHA512 => Ok(Family::Ecdsa),
            ED25519 => Ok(Family::Ed25519),
            SHA1_WITH_RSA | ECDSA_SHA1 => Err(unsupported(format!("{oid} uses SHA-1"))),
            _ if is_gost(oid) => Ok(Family::Gost),
            _ => Err(unsupported(format!("signature algorithm {oid}"))),
        }
    }
}

/// What a verifier is asked to check.
pub struct VerifyRequest<'a> {
    /// The signer's public key.
    pub spki: &'a SubjectPublicKeyInfoOwned,
    /// SignerInfo.signatureAlgorithm.
    pub signature_algorithm: &'a AlgorithmIdentifierOwned,
    /// SignerInfo.digestAlgorithm, already resolved.
    pub digest: DigestAlg,
    /// The exact bytes signed: the DER SET of signed attributes, or the content itself.
    pub message: &'a [u8],
    pub signature: &'a [u8],
    /// Smallest RSA modulus accepted, in bits.
    pub min_rsa_bits: usize,
}

/// One signature family's verification. On success returns the algorithm's name for
/// reports (`rsa-pss-sha256`, `ecdsa-p384-sha384`, …).
pub trait Verifier: Send + Sync {
    fn family(&self) -> Family;
    fn verify(&self, request: &VerifyRequest<'_>) -> Result<String, Rejection>;
}

/// The verifier for a family.
pub fn verifier_for(family: Family) -> Result<&'static dyn Verifier, Rejection> {
    match family {
        Family::Rsa => Ok(&RsaVerifier),
        Family::Ecdsa => Ok(&EcdsaVerifier),
        Family::Ed25519 => Ok(&Ed25519Verifier),
        Family::Gost => Ok(&super::gost::GostVerifier),
    }
}

/// Checks a signature value: resolves the family, then asks its verifier.
pub fn verify(request: &VerifyRequest<'_>) -> Result<String, Rejection> {
    let family = Family::of_signature(&request.signature_algorithm.oid)?;
    verifier_for(family)?.verify(request)
}

/// The hash an X.509 signature algorithm (of a certificate or CRL) implies; GOST's also
/// depends on the signer's key (`issuer`).
pub fn x509_digest(
    alg: &AlgorithmIdentifierOwned,
    issuer: &SubjectPublicKeyInfoOwned,
) -> Result<DigestAlg, Rejection> {
    match alg.oid {
        SHA256_WITH_RSA | ECDSA_SHA256 => Ok(DigestAlg::Sha256),
        SHA384_WITH_RSA | ECDSA_SHA384 => Ok(DigestAlg::Sha384),
        // Ed25519 hashes internally; the value is unused.
        SHA512_WITH_RSA | ECDSA_SHA512 | ED25519 => Ok(DigestAlg::Sha512),
        RSASSA_PSS => {
            let params = read_pss_params(alg)?;
            DigestAlg::from_oid(&params.hash.map(|h| h.oid).unwrap_or(SHA1))
        }
        other => {
            if Family::of_signature(&other)? == Family::Gost {
                let sig = super::gost::oids::SigAlg::from_oid(&other).ok_or_else(|| {
                    unsupported(format!("GOST signature algorithm {other} is not supported"))
                })?;
                let key = super::gost::KeyParams::from_spki(issuer)?;
                return Ok(key.x509_digest(&sig));
            }
            Err(unsupported(format!("signature algorithm {other} in a certificate or CRL")))
        }
    }
}

/// RSA and ECDSA are checked with SHA-2 only (a GOST hash belongs to GOST signatures).
fn sha2_only(digest: DigestAlg) -> Result<(), Rejection> {
    match digest {
        DigestAlg::Sha256 | DigestAlg::Sha384 | DigestAlg::Sha512 => Ok(()),
        other => Err(unsupported(format!("{} with a non-GOST signature", other.name()))),
    }
}

// ---------------------------------------------------------------------------------------
// RSA

struct RsaVerifier;

/// RSASSA-PSS-params (RFC 4055 §3.1); parsed here because the salt length may exceed a
/// byte (OpenSSL signs with the maximum salt: 222 bytes for RSA-2048 with SHA-256).
#[derive(Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_len: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer: Option<u32>,
}

fn read_pss_params(alg: &AlgorithmIdentifierOwned) -> Result<PssParams, Rejection> {
    let malformed =
        |e: String| Rejection::new(Reason::Malformed, format!("RSASSA-PSS parameters: {e}"));
    let params = alg.parameters.as_ref().ok_or_else(|| malformed("absent".into()))?;
    PssParams::from_der(&params.to_der().map_err(|e| malformed(e.to_string()))?)
        .map_err(|e| malformed(e.to_string()))
}

fn pss_salt_len(alg: &AlgorithmIdentifierOwned, digest: DigestAlg) -> Result<usize, Rejection> {
    let params = read_pss_params(alg)?;
    // Absent hash and mask generation mean SHA-1 (RFC 4055), which is refused.
    let hash = params.hash.map(|h| h.oid).unwrap_or(SHA1);
    if hash != digest.oid() {
        return Err(unsupported(format!("PSS hash {hash} differs from digest {}", digest.name())));
    }
    let mgf = params.mask_gen.ok_or_else(|| unsupported("PSS with MGF1-SHA-1"))?;
    let mgf_hash = mgf
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok())
        .map(|a| a.oid);
    if mgf.oid != MGF1 || mgf_hash != Some(digest.oid()) {
        return Err(unsupported("PSS mask generation other than MGF1 with the message hash"));
    }
    if params.trailer.unwrap_or(1) != 1 {
        return Err(unsupported("PSS trailer field other than 1"));
    }
    Ok(params.salt_len.unwrap_or(20) as usize)
}

impl Verifier for RsaVerifier {
    fn family(&self) -> Family {
        Family::Rsa
    }

    fn verify(&self, r: &VerifyRequest<'_>) -> Result<String, Rejection> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::traits::PublicKeyParts;
        let key_oid = r.spki.algorithm.oid;
        if key_oid != RSA_ENCRYPTION && key_oid != RSASSA_PSS {
            return Err(bad_signature(format!("an RSA signature but a {key_oid} key")));
        }
        // Both key types carry a PKCS#1 RSAPublicKey in the bit string.
        let key = rsa::RsaPublicKey::from_pkcs1_der(r.spki.subject_public_key.raw_bytes())
            .map_err(|e| Rejection::new(Reason::Malformed, format!("RSA public key: {e}")))?;
        let bits = key.n().bits() as usize;
        if bits < r.min_rsa_bits {
            return Err(Rejection::new(
                Reason::WeakKey,
                format!("RSA key of {bits} bits; at least {} required", r.min_rsa_bits),
            ));
        }
        let named_hash = match r.signature_algorithm.oid {
            SHA256_WITH_RSA => Some(DigestAlg::Sha256),
            SHA384_WITH_RSA => Some(DigestAlg::Sha384),
            SHA512_WITH_RSA => Some(DigestAlg::Sha512),
            _ => None,
        };
        if named_hash.is_some_and(|h| h != r.digest) {
            return Err(Rejection::new(
                Reason::Malformed,
                "signatureAlgorithm names another hash than digestAlgorithm",
            ));
        }
        sha2_only(r.digest)?;
        let prehash = r.digest.hash(r.message);
        let (scheme, result) = if r.signature_algorithm.oid == RSASSA_PSS {
            let salt = pss_salt_len(r.signature_algorithm, r.digest)?;
            let sig = rsa::pss::Signature::try_from(r.signature)
                .map_err(|e| bad_signature(format!("RSA signature value: {e}")))?;
            let result = match r.digest {
                DigestAlg::Sha256 => rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key, salt)
                    .verify_prehash(&prehash, &sig),
                DigestAlg::Sha384 => rsa::pss::VerifyingKey::<Sha384>::new_with_salt_len(key, salt)
                    .verify_prehash(&prehash, &sig),
                // SHA-512 (GOST hashes were refused above).
                _ => rsa::pss::VerifyingKey::<Sha512>::new_with_salt_len(key, salt)
                    .verify_prehash(&prehash, &sig),
            };
            ("pss", result)
        } else {
            let sig = rsa::pkcs1v15::Signature::try_from(r.signature)
                .map_err(|e| bad_signature(format!("RSA signature value: {e}")))?;
            let result = match r.digest {
                DigestAlg::Sha256 => {
                    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify_prehash(&prehash, &sig)
                }
                DigestAlg::Sha384 => {
                    rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key).verify_prehash(&prehash, &sig)
                }
                // SHA-512 (GOST hashes were refused above).
                _ => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key).verify_prehash(&prehash, &sig),
            };
            ("pkcs1v15", result)
        };
        let name = format!("rsa-{scheme}-{}", r.digest.name());
        result.map(|()| name.clone()).map_err(|_| bad_signature(format!("{name} does not verify")))
    }
}

// ---------------------------------------------------------------------------------------
// ECDSA

struct EcdsaVerifier;

impl Verifier for EcdsaVerifier {
    fn family(&self) -> Family {
        Family::Ecdsa
    }

    fn verify(&self, r: &VerifyRequest<'_>) -> Result<String, Rejection> {
        if r.spki.algorithm.oid != EC_PUBLIC_KEY {
            return Err(bad_signature(format!(
                "an ECDSA signature but a {} key",
                r.spki.algorithm.oid
            )));
        }
        let named_hash = match r.signature_algorithm.oid {
            ECDSA_SHA256 => Some(DigestAlg::Sha256),
            ECDSA_SHA384 => Some(DigestAlg::Sha384),
            ECDSA_SHA512 => Some(DigestAlg::Sha512),
            _ => None,
        };
        if named_hash.is_some_and(|h| h != r.digest) {
            return Err(Rejection::new(
                Reason::Malformed,
                "signatureAlgorithm names another hash than digestAlgorithm",
            ));
        }
        sha2_only(r.digest)?;
        let curve = r
            .spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<Oid>().ok())
            .ok_or_else(|| unsupported("EC key without a named curve"))?;
        let point = r.spki.subject_public_key.raw_bytes();
        let prehash = r.digest.hash(r.message);
        let malformed_key = |e: String| Rejection::new(Reason::Malformed, format!("EC key: {e}"));
        let (curve_name, ok) = match curve {
            P256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|e| malformed_key(e.to_string()))?;
                let sig = p256::ecdsa::Signature::from_der(r.signature)
                    .map_err(|e| bad_signature(format!("ECDSA signature value: {e}")))?;
                ("p256", key.verify_prehash(&prehash, &sig).is_ok())
            }
            P384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|e| malformed_key(e.to_string()))?;
                let sig = p384::ecdsa::Signature::from_der(r.signature)
                    .map_err(|e| bad_signature(format!("ECDSA signature value: {e}")))?;
                ("p384", key.verify_prehash(&prehash, &sig).is_ok())
            }
            other => return Err(unsupported(format!("elliptic curve {other}"))),
        };
        let name = format!("ecdsa-{curve_name}-{}", r.digest.name());
        if ok { Ok(name) } else { Err(bad_signature(format!("{name} does not verify"))) }
    }
}

// ---------------------------------------------------------------------------------------
// Ed25519

struct Ed25519Verifier;

impl Verifier for Ed25519Verifier {
    fn family(&self) -> Family {
        Family::Ed25519
    }

    /// PureEdDSA over the signed bytes (RFC 8419 §3.1); the digest serves only the
    /// messageDigest attribute.
    fn verify(&self, r: &VerifyRequest<'_>) -> Result<String, Rejection> {
        if r.spki.algorithm.oid != ED25519 {
            return Err(bad_signature(format!(
                "an Ed25519 signature but a {} key",
                r.spki.algorithm.oid
            )));
        }
        let key: &[u8; 32] = r
            .spki
            .subject_public_key
            .raw_bytes()
            .try_into()
            .map_err(|_| Rejection::new(Reason::Malformed, "Ed25519 key is not 32 bytes"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(key)
            .map_err(|e| Rejection::new(Reason::Malformed, format!("Ed25519 key: {e}")))?;
        let sig = ed25519_dalek::Signature::from_slice(r.signature)
            .map_err(|e| bad_signature(format!("Ed25519 signature value: {e}")))?;
        key.verify_strict(r.message, &sig)
            .map(|()| "ed25519".to_string())
            .map_err(|_| bad_signature("ed25519 does not verify"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gost_is_a_family_and_weak_algorithms_are_refused() {
        for oid in ["1.2.398.3.10.1.1.1.2", "1.2.398.3.10.1.1.2.3.1", "1.2.643.7.1.1.3.2"] {
            let oid = Oid::new_unwrap(oid);
            assert_eq!(Family::of_signature(&oid).unwrap(), Family::Gost);
            assert_eq!(verifier_for(Family::Gost).unwrap().family(), Family::Gost);
        }
        // A GOST hash outside the supported set is refused naming GOST.
        let gost_r3411_94_test = Oid::new_unwrap("1.2.643.2.2.30.0");
        assert!(DigestAlg::from_oid(&gost_r3411_94_test).unwrap_err().detail.contains("GOST"));
        assert_eq!(DigestAlg::from_oid(&SHA1).unwrap_err().reason, Reason::UnsupportedAlgorithm);
        assert_eq!(
            Family::of_signature(&SHA1_WITH_RSA).unwrap_err().reason,
            Reason::UnsupportedAlgorithm
        );
        assert_eq!(
            Family::of_signature(&Oid::new_unwrap("1.2.3.4")).unwrap_err().reason,
            Reason::UnsupportedAlgorithm
        );
    }

    #[test]
    fn digests_round_trip_their_identifiers() {
        for d in [DigestAlg::Sha256, DigestAlg::Sha384, DigestAlg::Sha512] {
            assert_eq!(DigestAlg::from_oid(&d.oid()).unwrap(), d);
            assert_eq!(d.hash(b"abc").len() * 8, d.name()[3..].parse::<usize>().unwrap());
        }
        for (d, len) in [
            (DigestAlg::Gost34311Kz, 32),
            (DigestAlg::Gost94CryptoPro, 32),
            (DigestAlg::Streebog256, 32),
            (DigestAlg::Streebog512, 64),
        ] {
            assert_eq!(DigestAlg::from_oid(&d.oid()).unwrap(), d);
            assert_eq!(d.hash(b"abc").len(), len);
        }
    }
}
