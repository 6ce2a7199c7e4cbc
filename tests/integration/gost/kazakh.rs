//! Re-encoding what OpenSSL made under the Kazakh NCA's identifiers, the way the NCA's own
//! software (Kalkan) writes them: key `1.2.398.3.10.1.1.{1.1 | 2.1 | 2.2}` with the NCA's
//! curve and hash parameter identifiers, signature `1.2.398.3.10.1.1.{1.2 | 2.3.1 | 2.3.2}`
//! with NULL parameters, hash `1.2.398.3.10.1.3.{1 | 2 | 3}`, and signature values `r ‖ s`
//! little-endian — the OpenSSL value byte-reversed.
//!
//! GOST 2012/2015 signatures only change their labels and byte order. GOST 34.310-2004 ones
//! must be made anew, because the NCA's GOST 34.311-95 hash uses another S-box than the
//! engine's GOST R 34.11-94: the hash is computed (RustCrypto `gost94`, checked against
//! the NCA's own certificates) and signed by the engine with `openssl pkeyutl`.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{BitString, ObjectIdentifier as Oid, OctetString};
use der::{Any, AnyRef, Decode, Encode, Reader, SliceReader};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::pki::{GostPki, dgst_sign, md_for, pkeyutl_sign};

fn oid(s: &str) -> Oid {
    Oid::new_unwrap(s)
}

/// The NCA's identifiers for one `genpkey` algorithm.
pub struct KazakhIds {
    pub key: &'static str,
    pub curve_a: &'static str,
    pub hash_param: &'static str,
    pub signature: &'static str,
    pub digest: &'static str,
}

pub fn ids(algorithm: &str) -> KazakhIds {
    match algorithm {
        "gost2001" => KazakhIds {
            key: "1.2.398.3.10.1.1.1.1",
            curve_a: "1.2.398.3.10.1.1.1.1.1",
            hash_param: "1.2.398.3.10.1.3.1.1.0",
            signature: "1.2.398.3.10.1.1.1.2",
            digest: "1.2.398.3.10.1.3.1",
        },
        "gost2012_256" => KazakhIds {
            key: "1.2.398.3.10.1.1.2.1",
            curve_a: "1.2.398.3.10.1.1.2.1.1",
            hash_param: "1.2.398.3.10.1.3.2",
            signature: "1.2.398.3.10.1.1.2.3.1",
            digest: "1.2.398.3.10.1.3.2",
        },
        _ => KazakhIds {
            key: "1.2.398.3.10.1.1.2.2",
            curve_a: "1.2.398.3.10.1.1.2.2.1",
            hash_param: "1.2.398.3.10.1.3.3",
            signature: "1.2.398.3.10.1.1.2.3.2",
            digest: "1.2.398.3.10.1.3.3",
        },
    }
}

fn reversed(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().rev().copied().collect()
}

/// The NCA's GOST 34.311-95 (GOST R 34.11-94 with the test S-box).
pub fn gost34311(data: &[u8]) -> Vec<u8> {
    use gost94::Digest;
    gost94::Gost94Test::digest(data).to_vec()
}

/// A signature by `key` (of `algorithm`) over `data` in the Kazakh layout.
fn kazakh_signature(pki: &GostPki, key: &str, algorithm: &str, data: &[u8]) -> Vec<u8> {
    let standard = match algorithm {
        "gost2001" => pkeyutl_sign(pki, key, &gost34311(data)),
        _ => dgst_sign(pki, key, md_for(algorithm), data),
    };
    reversed(&standard)
}

fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = parts.concat();
    let mut out = der::Header::new(der::Tag::Sequence, der::Length::try_from(body.len()).unwrap())
        .to_der()
        .unwrap();
    out.extend(body);
    out
}

/// The top-level elements of a DER SEQUENCE, each in its own bytes.
fn elements(der: &[u8]) -> Vec<Vec<u8>> {
    let outer = AnyRef::from_der(der).unwrap();
    let mut r = SliceReader::new(outer.value()).unwrap();
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(AnyRef::decode(&mut r).unwrap().to_der().unwrap());
    }
    out
}

fn signature_id(algorithm: &str) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: oid(ids(algorithm).signature), parameters: Some(Any::null()) }
}

/// Certificate `cert_der` (a user on parameter set A) re-encoded with the NCA's key
/// identifiers and re-signed by its issuer (`issuer_key`, of `issuer_algorithm`) under the
/// NCA's signature identifier and layout.
pub fn certificate(
    pki: &GostPki,
    cert_der: &[u8],
    algorithm: &str,
    issuer_key: &str,
    issuer_algorithm: &str,
) -> Vec<u8> {
    let outer = elements(cert_der);
    let mut tbs = elements(&outer[0]);
    let k = ids(algorithm);
    // version [0], serial, signature, issuer, validity, subject, spki, extensions [3]
    tbs[2] = signature_id(issuer_algorithm).to_der().unwrap();
    let mut spki = SubjectPublicKeyInfoOwned::from_der(&tbs[6]).unwrap();
    let params: Vec<Oid> = vec![oid(k.curve_a), oid(k.hash_param)];
    spki.algorithm = AlgorithmIdentifierOwned {
        oid: oid(k.key),
        parameters: Some(Any::encode_from(&params).unwrap()),
    };
    tbs[6] = spki.to_der().unwrap();
    let tbs_der = sequence(&tbs);
    let signature = kazakh_signature(pki, issuer_key, issuer_algorithm, &tbs_der);
    sequence(&[
        tbs_der,
        signature_id(issuer_algorithm).to_der().unwrap(),
        BitString::from_bytes(&signature).unwrap().to_der().unwrap(),
    ])
}

/// A CMS made by OpenSSL re-encoded under the NCA's identifiers: hash and signature
/// identifiers, the signature value (reversed, or for GOST 34.310-2004 made anew over the
/// NCA's hash with `signer_key`), and the signer's certificate replaced by `certificate`
/// when given.
pub fn cms(
    pki: &GostPki,
    sig: &[u8],
    content: &[u8],
    algorithm: &str,
    signer_key: &str,
    certificate: Option<&[u8]>,
) -> Vec<u8> {
    let k = ids(algorithm);
    let info = ContentInfo::from_der(sig).unwrap();
    let mut sd: SignedData = info.content.decode_as().unwrap();
    let digest = AlgorithmIdentifierOwned { oid: oid(k.digest), parameters: None };
    sd.digest_algorithms = vec![digest.clone()].try_into().unwrap();
    let mut signers: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
    let si = &mut signers[0];
    si.digest_alg = digest;
    si.signature_algorithm = signature_id(algorithm);
    let value = if algorithm == "gost2001" {
        // GOST 34.311-95: a new messageDigest, a new signature over the new attributes.
        match &mut si.signed_attrs {
            Some(attrs) => {
                let mut list: Vec<_> = attrs.iter().cloned().collect();
                for attr in &mut list {
                    if attr.oid == oid("1.2.840.113549.1.9.4") {
                        let md = OctetString::new(gost34311(content)).unwrap();
                        attr.values = vec![Any::encode_from(&md).unwrap()].try_into().unwrap();
                    }
                }
                *attrs = list.try_into().unwrap();
                kazakh_signature(pki, signer_key, algorithm, &attrs.to_der().unwrap())
            }
            None => kazakh_signature(pki, signer_key, algorithm, content),
        }
    } else {
        reversed(si.signature.as_bytes())
    };
    si.signature = OctetString::new(value).unwrap();
    sd.signer_infos = cms::signed_data::SignerInfos(signers.try_into().unwrap());
    if let Some(cert) = certificate {
        let replaced = x509_cert::Certificate::from_der(cert).unwrap();
        sd.certificates = Some(cms::signed_data::CertificateSet(
            vec![cms::cert::CertificateChoices::Certificate(replaced)].try_into().unwrap(),
        ));
    }
    ContentInfo { content_type: info.content_type, content: Any::encode_from(&sd).unwrap() }
        .to_der()
        .unwrap()
}
