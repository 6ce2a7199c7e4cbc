//! The standards' worked examples and the NCA RK's own published test material.
//!
//! Kazakh material (`tests/fixtures/kz-nca/`, see its README for the sources): the NCA's
//! GOST 34.310-2004 test root (self-signed), its issuing CA and a user certificate, that
//! CA's CRL; a GOST 34.10-2015-512 user certificate and CRL of the NCA's GOST 2022 test CA
//! with that CA's certificate; a time-stamp token (CMS) the NCA's TSA signed with GOST
//! 34.310-2004.

use der::{AnyRef, Decode, Encode};

use super::curves::{self, CurveId};
use super::oids::Layout;
use super::*;
use crate::sign::algorithms::{self, DigestAlg};
use crate::sign::cms;
use crate::sign::trust::verify_x509_signature;
use crate::sign::x509::{Cert, read_certificates, read_crl};

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn le(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.reverse();
    bytes
}

fn cert(bytes: &[u8]) -> Cert {
    read_certificates(bytes).unwrap().remove(0)
}

const ROOT_2004: &[u8] = include_bytes!("../../../tests/fixtures/kz-nca/root_gost_test.crt");
const CA_2004: &[u8] = include_bytes!("../../../tests/fixtures/kz-nca/nca_gost_test.crt");
const USER_2004: &[u8] =
    include_bytes!("../../../tests/fixtures/kz-nca/ceo_valid_sign_2004_gost.cer");
const CRL_2004: &[u8] = include_bytes!("../../../tests/fixtures/kz-nca/nca_gost_test.crl");
const CA_2015: &[u8] = include_bytes!("../../../tests/fixtures/kz-nca/nca_gost2015_test.cer");
const USER_2015: &[u8] = include_bytes!("../../../tests/fixtures/kz-nca/gost2.cer");
const CRL_2015: &[u8] = include_bytes!("../../../tests/fixtures/kz-nca/nca_gost2022_test.crl");
const TSP_TOKEN: &[u8] = include_bytes!("../../../tests/fixtures/kz-nca/tsp_token.bin");

// ---------------------------------------------------------------------------------------
// Hashes: RFC 6986 (GOST R 34.11-2012), RFC 5831 (GOST R 34.11-94)

#[test]
fn streebog_gives_the_rfc_6986_examples() {
    // M1 = "012345678901234567890123456789012345678901234567890123456789012" (63 bytes).
    let m1 = b"012345678901234567890123456789012345678901234567890123456789012";
    // RFC 6986 prints M1 as a number (its bytes reversed) and H(M1) in the byte order the
    // hash function outputs (the same as `openssl dgst -md_gost12_512` with the engine).
    assert_eq!(
        hex::encode(DigestAlg::Streebog512.hash(m1)),
        "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa\
         00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
    );
    assert_eq!(
        hex::encode(DigestAlg::Streebog256.hash(m1)),
        "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"
    );
}

#[test]
fn gost_r_34_11_94_gives_the_known_examples_of_both_s_boxes() {
    // The GOST 34.311-95 hash of the NCA = GOST R 34.11-94 with the test S-box
    // (RFC 5831 §7.3.1 parameters).
    assert_eq!(
        hex::encode(DigestAlg::Gost34311Kz.hash(b"")),
        "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d"
    );
    assert_eq!(
        hex::encode(DigestAlg::Gost34311Kz.hash(b"message digest")),
        "ad4434ecb18f2c99b60cbe59ec3d2469582b65273f48de72db2fde16a4889a4d"
    );
    assert_eq!(
        hex::encode(DigestAlg::Gost94CryptoPro.hash(b"a")),
        "e74c52dd282183bf37af0079c9f78055715a103f17e3133ceff1aacf2f403011"
    );
}

// ---------------------------------------------------------------------------------------
// Signatures: GOST R 34.10-2012 appendix A (RFC 7091 §7.1/7.2; the first is also the
// GOST R 34.10-2001 example of RFC 5832 §7)

/// A signature as the standard layout writes it: `s ‖ r` big-endian.
fn standard_signature(r: &str, s: &str) -> Vec<u8> {
    [hex(s), hex(r)].concat()
}

/// A key's bit string contents: OCTET STRING of `x ‖ y` little-endian.
fn key_bits(x: &str, y: &str) -> Vec<u8> {
    der::asn1::OctetString::new([le(hex(x)), le(hex(y))].concat()).unwrap().to_der().unwrap()
}

fn test_key(curve: CurveId) -> KeyParams {
    let kind = if curve.size() == 32 { KeyKind::R2012_256 } else { KeyKind::R2012_512 };
    KeyParams { kind, curve, digest: None }
}

#[test]
fn the_standards_examples_verify_and_their_changes_do_not() {
    let examples = [
        (
            CurveId::Test256,
            "7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B",
            "26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA",
            "2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5",
            "41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493",
            "01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40",
        ),
        (
            CurveId::Test512,
            "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD\
             5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
            "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61\
             EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
            "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591\
             7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
            "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3\
             5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
            "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5\
             823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
        ),
    ];
    for (curve, x, y, e, r, s) in examples {
        let key = test_key(curve);
        let bits = key_bits(x, y);
        // e is the number α (mod q) of the examples; the hash bytes are it little-endian.
        let hash = le(hex(e));
        let sig = standard_signature(r, s);
        verify_prehashed(&key, Layout::Standard, &bits, &hash, &sig)
            .unwrap_or_else(|e| panic!("{curve:?}: {e}"));
        // The same signature in the Kazakh layout (whole value reversed) verifies there,
        // and not in the other layout.
        let kazakh: Vec<u8> = sig.iter().rev().copied().collect();
        verify_prehashed(&key, Layout::Kazakh, &bits, &hash, &kazakh).unwrap();
        assert!(verify_prehashed(&key, Layout::Standard, &bits, &hash, &kazakh).is_err());
        assert!(verify_prehashed(&key, Layout::Kazakh, &bits, &hash, &sig).is_err());
        // r and s swapped, one bit of the hash, of the signature, of the key.
        let swapped = standard_signature(s, r);
        assert!(verify_prehashed(&key, Layout::Standard, &bits, &hash, &swapped).is_err());
        for i in [0, hash.len() - 1] {
            let mut h = hash.clone();
            h[i] ^= 1;
            assert!(verify_prehashed(&key, Layout::Standard, &bits, &h, &sig).is_err());
        }
        for i in [0, sig.len() / 2, sig.len() - 1] {
            let mut changed = sig.clone();
            changed[i] ^= 0x80;
            assert!(verify_prehashed(&key, Layout::Standard, &bits, &hash, &changed).is_err());
        }
        let mut other_key = bits.clone();
        let last = other_key.len() - 1;
        other_key[last] ^= 1;
        let refused = verify_prehashed(&key, Layout::Standard, &other_key, &hash, &sig);
        assert_eq!(refused.unwrap_err().reason, Reason::Malformed, "off the curve");
        // The standard's test curves are never accepted in a certificate's key.
        assert!(curve.oids().next().is_none());
    }
}

#[test]
fn signature_parts_out_of_range_are_refused() {
    let key = test_key(CurveId::Test256);
    let bits = key_bits(
        "7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B",
        "26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA",
    );
    let hash = [1u8; 32];
    let q = "8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3";
    let zero = "00".repeat(32);
    for (r, s) in [(zero.as_str(), q), (q, q), ("01".repeat(16).as_str(), zero.as_str())] {
        let sig = standard_signature(r, s);
        assert!(verify_prehashed(&key, Layout::Standard, &bits, &hash, &sig).is_err());
    }
    assert_eq!(
        verify_prehashed(&key, Layout::Standard, &bits, &hash, &[0; 63]).unwrap_err().reason,
        Reason::BadSignature
    );
}

// ---------------------------------------------------------------------------------------
// The NCA RK's test material

fn x509_verifies(signed_der: &[u8], issuer: &Cert) -> Result<(), String> {
    let parsed = Cert::from_der(signed_der).map_err(|e| e.to_string())?;
    verify_x509_signature(
        signed_der,
        parsed.cert.signature_algorithm(),
        parsed.cert.signature().raw_bytes(),
        issuer,
    )
}

#[test]
fn the_nca_gost_2004_test_chain_and_crl_verify() {
    let root = cert(ROOT_2004);
    let ca = cert(CA_2004);
    let user = cert(USER_2004);
    let key = KeyParams::from_spki(root.cert.tbs_certificate().subject_public_key_info());
    assert_eq!(
        key.unwrap(),
        KeyParams {
            kind: KeyKind::R2001,
            curve: CurveId::CryptoProA,
            digest: Some(DigestAlg::Gost34311Kz)
        }
    );
    x509_verifies(&root.der, &root).expect("self-signed root");
    x509_verifies(&ca.der, &root).expect("issuing CA by the root");
    x509_verifies(&user.der, &ca).expect("user by the issuing CA");
    assert!(x509_verifies(&user.der, &root).is_err(), "not by another key");
    let (crl_der, crl) = read_crl(CRL_2004).unwrap();
    verify_x509_signature(&crl_der, &crl.signature_algorithm, crl.signature.raw_bytes(), &ca)
        .expect("CRL by the issuing CA");
    // One bit anywhere in the signed part or the signature, and it no longer verifies.
    for at in [40, ca.der.len() / 2, ca.der.len() - 70, ca.der.len() - 1] {
        let mut changed = ca.der.clone();
        changed[at] ^= 0x01;
        assert!(x509_verifies(&changed, &root).is_err(), "bit at {at}");
    }
    // The user certificate shows the IIN and BIN as the NCA writes them.
    let summary = user.summary();
    assert_eq!(summary.iin.as_deref(), Some("IIN123456789011"));
    assert_eq!(summary.bin.as_deref(), Some("BIN123456789021"));
}

#[test]
fn the_nca_gost_2015_512_certificate_and_crl_verify() {
    let ca = cert(CA_2015);
    let user = cert(USER_2015);
    let key = KeyParams::from_spki(ca.cert.tbs_certificate().subject_public_key_info()).unwrap();
    assert_eq!((key.kind, key.curve), (KeyKind::R2012_512, CurveId::Tc26_512A));
    x509_verifies(&user.der, &ca).expect("user by the GOST 2022 test CA");
    let (crl_der, crl) = read_crl(CRL_2015).unwrap();
    verify_x509_signature(&crl_der, &crl.signature_algorithm, crl.signature.raw_bytes(), &ca)
        .expect("CRL by the GOST 2022 test CA");
    let mut changed = user.der.clone();
    let at = changed.len() - 1;
    changed[at] ^= 0x40;
    assert!(x509_verifies(&changed, &ca).is_err());
    // Under the standard layout the NCA's signature does not verify: the layout follows
    // the identifier.
    let user_sig = user.cert.signature().raw_bytes();
    let tbs = user.cert.tbs_certificate().to_der().unwrap();
    let hash = DigestAlg::Streebog512.hash(&tbs);
    let bits = ca.cert.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes();
    verify_prehashed(&key, Layout::Kazakh, bits, &hash, user_sig).unwrap();
    assert!(verify_prehashed(&key, Layout::Standard, bits, &hash, user_sig).is_err());
}

#[test]
fn the_nca_time_stamp_token_verifies_as_cms() {
    // A CMS SignedData made by the NCA's TSA (Kalkan): digest 1.2.398.3.10.1.3.1,
    // signature 1.2.398.3.10.1.1.1.2 over the signed attributes, TSTInfo inside.
    let parsed = cms::parse(TSP_TOKEN).unwrap();
    let tsa = parsed.certificates[0].clone();
    let si = &parsed.signer;
    let digest = DigestAlg::from_oid(&si.digest_alg.oid).unwrap();
    assert_eq!(digest, DigestAlg::Gost34311Kz);
    let content = parsed.econtent.clone().unwrap();
    let message_digest = si
        .signed_attrs
        .as_ref()
        .unwrap()
        .iter()
        .find(|a| a.oid.to_string() == "1.2.840.113549.1.9.4")
        .unwrap()
        .values
        .get(0)
        .unwrap()
        .decode_as::<der::asn1::OctetString>()
        .unwrap();
    assert_eq!(message_digest.as_bytes(), digest.hash(&content).as_slice());
    let attrs = parsed.signed_attrs_der.clone().unwrap();
    let request = |message: &[u8]| {
        algorithms::verify(&algorithms::VerifyRequest {
            spki: tsa.cert.tbs_certificate().subject_public_key_info(),
            signature_algorithm: &si.signature_algorithm,
            digest,
            message,
            signature: si.signature.as_bytes(),
            min_rsa_bits: 2048,
        })
    };
    assert_eq!(request(&attrs).unwrap(), "gost34310-2004-cryptopro-a-gost34311-95");
    let mut changed = attrs.clone();
    let at = changed.len() - 5;
    changed[at] ^= 1;
    assert_eq!(request(&changed).unwrap_err().reason, Reason::BadSignature);
}

#[test]
fn key_parameters_outside_the_supported_set_are_refused() {
    let root = cert(ROOT_2004);
    let mut alg = root.cert.tbs_certificate().subject_public_key_info().algorithm.clone();
    let params = |oids: &[&str]| {
        let list: Vec<der::asn1::ObjectIdentifier> =
            oids.iter().map(|o| der::asn1::ObjectIdentifier::new_unwrap(o)).collect();
        Some(der::Any::encode_from(&list).unwrap())
    };
    // A standard 2001 key on CryptoPro A with the CryptoPro hash and an encryption set.
    alg.oid = der::asn1::ObjectIdentifier::new_unwrap("1.2.643.2.2.19");
    alg.parameters = params(&["1.2.643.2.2.35.1", "1.2.643.2.2.30.1", "1.2.643.2.2.31.1"]);
    let key = KeyParams::from_algorithm(&alg).unwrap();
    assert_eq!(key.digest, Some(DigestAlg::Gost94CryptoPro));
    for bad in [
        &["1.2.643.2.2.35.0"][..],        // the 2001 test curve
        &["1.2.643.7.1.2.1.2.1"],         // a 512-bit curve for a 256-bit key
        &["1.2.643.2.2.35.1", "1.2.3.4"], // unknown second element
        &["1.2.643.2.2.35.1", "1.2.643.2.2.30.1", "1.2.643.2.2.30.1", "1.2.643.2.2.31.1"],
    ] {
        alg.parameters = params(bad);
        assert!(KeyParams::from_algorithm(&alg).is_err(), "{bad:?}");
    }
    alg.parameters = None;
    assert_eq!(KeyParams::from_algorithm(&alg).unwrap_err().reason, Reason::Malformed);
    // The contents webpki compares are the identifier without its outer SEQUENCE.
    let root_alg = &root.cert.tbs_certificate().subject_public_key_info().algorithm;
    let contents = algorithm_contents(root_alg).unwrap();
    let full = root_alg.to_der().unwrap();
    assert_eq!(AnyRef::from_der(&full).unwrap().value(), contents.as_slice());
    let _ = curves::curve256(CurveId::CryptoProA).unwrap();
}

#[test]
fn the_nca_gost_2004_chain_validates_through_webpki_with_its_crl() {
    use crate::sign::chain::{Purpose, validate_for};
    use crate::sign::trust::{TrustSnapshot, parse_crl};
    use crate::sign::verify::Policy;
    let (crl_der, _) = read_crl(CRL_2004).unwrap();
    let trust = TrustSnapshot {
        roots: vec![cert(ROOT_2004)],
        intermediates: vec![cert(CA_2004)],
        crls: vec![parse_crl(&crl_der).unwrap()],
    };
    let user = cert(USER_2004);
    // While the user certificate and the CRL were current (mid-2022). The root's own CRL
    // (for the issuing CA's certificate) is not published with the test material, so the
    // rule "a CRL for every CA of the chain" is relaxed here and shown to bite below.
    let at: jiff::Timestamp = "2022-06-01T06:00:00Z".parse().unwrap();
    let strict = validate_for(&trust, &user, &[], at, at, &Policy::default(), Purpose::Signing);
    assert_eq!(strict.unwrap_err().reason, Reason::RevocationUnknown);
    let policy = Policy { require_crl: false, ..Policy::default() };
    let result = validate_for(&trust, &user, &[], at, at, &policy, Purpose::Signing)
        .unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(result.issuers.len(), 2, "issuing CA and root");
    assert_eq!(result.crls.len(), 1);
    // A year later the certificate has expired.
    let later: jiff::Timestamp = "2023-06-01T06:00:00Z".parse().unwrap();
    let expired = validate_for(&trust, &user, &[], at, later, &policy, Purpose::Signing);
    assert_eq!(expired.unwrap_err().reason, Reason::Expired);
    // Without the issuing CA there is no path.
    let no_ca = TrustSnapshot { intermediates: vec![], ..trust };
    let refused = validate_for(&no_ca, &user, &[], at, at, &policy, Purpose::Signing);
    assert_eq!(refused.unwrap_err().reason, Reason::UntrustedChain);
    // Carried in the message instead, it is found again.
    let carried = [cert(CA_2004)];
    validate_for(&no_ca, &user, &carried, at, at, &policy, Purpose::Signing).unwrap();
}
