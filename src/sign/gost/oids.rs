//! The object identifiers of GOST keys, signatures, hashes and parameter sets this portal
//! accepts: the standard ones (RFC 4357 §10, RFC 4490/4491, RFC 9215, the TC26 registry)
//! and the Kazakh ones of the NCA RK (arc `1.2.398.3.10`, as the NCA's own certificates,
//! CRLs and CMS carry them; see `docs/signatures.md` for the sources).

use der::asn1::ObjectIdentifier as Oid;

use crate::sign::algorithms::DigestAlg;

const fn oid(s: &str) -> Oid {
    Oid::new_unwrap(s)
}

/// The size class of a GOST key, which fixes its hash family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum KeyKind {
    /// GOST R 34.10-2001 ≡ GOST 34.310-2004: 256 bits, GOST R 34.11-94 / 34.311-95 hash.
    R2001,
    /// GOST R 34.10-2012 ≡ GOST 34.10-2015, 256 bits, Streebog-256.
    R2012_256,
    /// GOST R 34.10-2012 ≡ GOST 34.10-2015, 512 bits, Streebog-512.
    R2012_512,
}

impl KeyKind {
    pub fn from_oid(oid: &Oid) -> Option<KeyKind> {
        KEY_OIDS.iter().find(|(o, _)| o == oid).map(|(_, k)| *k)
    }

    /// Bytes of a coordinate.
    pub fn size(self) -> usize {
        match self {
            KeyKind::R2001 | KeyKind::R2012_256 => 32,
            KeyKind::R2012_512 => 64,
        }
    }

    /// The name in reports, after the Kazakh standards.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::R2001 => "gost34310-2004",
            KeyKind::R2012_256 => "gost3410-2015-256",
            KeyKind::R2012_512 => "gost3410-2015-512",
        }
    }
}

/// How a signature value is laid out (see the module header of `gost`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `s ‖ r`, big-endian: RFC 4491, RFC 9215, OpenSSL.
    Standard,
    /// `r ‖ s`, little-endian: the NCA RK (Kalkan).
    Kazakh,
}

/// A GOST signature algorithm identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SigAlg {
    pub oid: Oid,
    pub kind: KeyKind,
    pub layout: Layout,
}

impl SigAlg {
    /// A signature algorithm as named in a certificate, a CRL or a SignerInfo. A CMS
    /// SignerInfo may name the key algorithm instead (RFC 4490 §3.2 does, and so does the
    /// OpenSSL engine), which is accepted there.
    pub fn from_oid(oid: &Oid) -> Option<SigAlg> {
        SIGNATURE_OIDS.iter().chain(KEY_AS_SIGNATURE_OIDS).find(|s| s.oid == *oid).copied()
    }

    /// The identifiers a certificate or CRL may carry for a key of `kind` (no key OIDs:
    /// X.509 names the signature algorithm).
    pub fn x509_for(kind: KeyKind) -> impl Iterator<Item = SigAlg> {
        SIGNATURE_OIDS.iter().filter(move |s| s.kind == kind).copied()
    }
}

const fn sig(s: &str, kind: KeyKind, layout: Layout) -> SigAlg {
    SigAlg { oid: oid(s), kind, layout }
}

/// Signature algorithms (RFC 4491 §2.2.2, RFC 9215 §5, NCA RK).
const SIGNATURE_OIDS: &[SigAlg] = &[
    // id-GostR3411-94-with-GostR3410-2001
    sig("1.2.643.2.2.3", KeyKind::R2001, Layout::Standard),
    // id-tc26-signwithdigest-gost3410-12-256 / -512
    sig("1.2.643.7.1.1.3.2", KeyKind::R2012_256, Layout::Standard),
    sig("1.2.643.7.1.1.3.3", KeyKind::R2012_512, Layout::Standard),
    // NCA RK: GOST 34.311-95 with GOST 34.310-2004; GOST 34.10-2015 with 34.11-2015
    sig("1.2.398.3.10.1.1.1.2", KeyKind::R2001, Layout::Kazakh),
    sig("1.2.398.3.10.1.1.2.3.1", KeyKind::R2012_256, Layout::Kazakh),
    sig("1.2.398.3.10.1.1.2.3.2", KeyKind::R2012_512, Layout::Kazakh),
];

/// Key algorithms used as SignerInfo.signatureAlgorithm.
const KEY_AS_SIGNATURE_OIDS: &[SigAlg] = &[
    sig("1.2.643.2.2.19", KeyKind::R2001, Layout::Standard),
    sig("1.2.643.7.1.1.1.1", KeyKind::R2012_256, Layout::Standard),
    sig("1.2.643.7.1.1.1.2", KeyKind::R2012_512, Layout::Standard),
    sig("1.2.398.3.10.1.1.1.1", KeyKind::R2001, Layout::Kazakh),
    sig("1.2.398.3.10.1.1.2.1", KeyKind::R2012_256, Layout::Kazakh),
    sig("1.2.398.3.10.1.1.2.2", KeyKind::R2012_512, Layout::Kazakh),
];

/// Public key algorithms: id-GostR3410-2001, id-tc26-gost3410-12-256/-512 and the NCA's.
const KEY_OIDS: &[(Oid, KeyKind)] = &[
    (oid("1.2.643.2.2.19"), KeyKind::R2001),
    (oid("1.2.643.7.1.1.1.1"), KeyKind::R2012_256),
    (oid("1.2.643.7.1.1.1.2"), KeyKind::R2012_512),
    (oid("1.2.398.3.10.1.1.1.1"), KeyKind::R2001),
    (oid("1.2.398.3.10.1.1.2.1"), KeyKind::R2012_256),
    (oid("1.2.398.3.10.1.1.2.2"), KeyKind::R2012_512),
];

pub fn is_gost_key(oid: &Oid) -> bool {
    KeyKind::from_oid(oid).is_some()
}

/// Hash algorithms (CMS digestAlgorithm): RFC 4490 §2.1, RFC 9215 §3, NCA RK.
const DIGEST_OIDS: &[(Oid, DigestAlg)] = &[
    (oid("1.2.643.2.2.9"), DigestAlg::Gost94CryptoPro),
    (oid("1.2.643.7.1.1.2.2"), DigestAlg::Streebog256),
    (oid("1.2.643.7.1.1.2.3"), DigestAlg::Streebog512),
    (oid("1.2.398.3.10.1.3.1"), DigestAlg::Gost34311Kz),
    (oid("1.2.398.3.10.1.3.2"), DigestAlg::Streebog256),
    (oid("1.2.398.3.10.1.3.3"), DigestAlg::Streebog512),
];

pub fn digest_from_oid(oid: &Oid) -> Option<DigestAlg> {
    DIGEST_OIDS.iter().find(|(o, _)| o == oid).map(|(_, d)| *d)
}

/// What the second and third elements of a key's parameters may be.
pub enum ParamRole {
    /// A hash parameter set (`None`: a Streebog identifier, which names no S-box).
    Digest(Option<DigestAlg>),
    /// A GOST 28147-89 encryption parameter set (irrelevant to signatures).
    Encryption,
}

pub fn param_role(oid: &Oid) -> Option<ParamRole> {
    const ENCRYPTION: &[&str] = &[
        "1.2.643.2.2.31.0",
        "1.2.643.2.2.31.1",
        "1.2.643.2.2.31.2",
        "1.2.643.2.2.31.3",
        "1.2.643.2.2.31.4",
        "1.2.643.2.2.31.5",
        "1.2.643.2.2.31.6",
        "1.2.643.2.2.31.7",
        "1.2.643.7.1.2.5.1.1",
    ];
    let role = match oid.to_string().as_str() {
        // id-GostR3411-94-CryptoProParamSet
        "1.2.643.2.2.30.1" => ParamRole::Digest(Some(DigestAlg::Gost94CryptoPro)),
        // NCA RK: the GOST 34.311-95 hash parameters, which are the S-box of
        // id-GostR3411-94-TestParamSet
        "1.2.398.3.10.1.3.1.1.0" | "1.2.643.2.2.30.0" => {
            ParamRole::Digest(Some(DigestAlg::Gost34311Kz))
        }
        // Streebog as the key's digest (RFC 9215 §4.2: optional for 256, absent for 512)
        "1.2.643.7.1.1.2.2" | "1.2.643.7.1.1.2.3" | "1.2.398.3.10.1.3.2" | "1.2.398.3.10.1.3.3" => {
            ParamRole::Digest(None)
        }
        s if ENCRYPTION.contains(&s) => ParamRole::Encryption,
        _ => return None,
    };
    Some(role)
}
