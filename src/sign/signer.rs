//! `ipgo sign`: a CAdES-BES signature (CMS SignedData with contentType, signingTime and
//! messageDigest signed attributes) over a file, made with the key and certificates of a
//! PKCS#12 file — for administrators and tests. Users sign in the browser through
//! NCALayer.
//!
//! PKCS#12 is read with `p12-keystore` (MIT/Apache-2.0; PBES2/AES and the legacy
//! PBES1/3DES/RC2 encryptions, which old exports still use). Keys: RSA (PKCS#1 v1.5 with
//! SHA-256, blinded), ECDSA P-256/SHA-256 and P-384/SHA-384 (RFC 6979), Ed25519 with
//! SHA-512 for the message digest (RFC 8419). The output is DER that
//! `openssl cms -verify -binary -inform DER -content FILE` accepts.

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier as Oid, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer, hazmat::PrehashSigner};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::time::Time;

use super::algorithms::{self, DigestAlg};

const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const ID_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");

enum Key {
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl Key {
    fn from_pkcs8(der: &[u8]) -> anyhow::Result<Key> {
        use rsa::pkcs8::DecodePrivateKey;
        if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_der(der) {
            return Ok(Key::Rsa(Box::new(k)));
        }
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(Key::P256(k));
        }
        if let Ok(k) = p384::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(Key::P384(k));
        }
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Ok(Key::Ed25519(Box::new(k)));
        }
        anyhow::bail!("the private key is not RSA, ECDSA P-256/P-384 or Ed25519")
    }

    fn digest(&self) -> DigestAlg {
        match self {
            Key::Rsa(_) | Key::P256(_) => DigestAlg::Sha256,
            Key::P384(_) => DigestAlg::Sha384,
            Key::Ed25519(_) => DigestAlg::Sha512,
        }
    }

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        let (oid, null) = match self {
            Key::Rsa(_) => (algorithms::SHA256_WITH_RSA, true),
            Key::P256(_) => (algorithms::ECDSA_SHA256, false),
            Key::P384(_) => (algorithms::ECDSA_SHA384, false),
            Key::Ed25519(_) => (algorithms::ED25519, false),
        };
        AlgorithmIdentifierOwned { oid, parameters: null.then(Any::null) }
    }

    fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        Ok(match self {
            Key::Rsa(k) => {
                let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**k).clone());
                let mut rng = getrandom::SysRng;
                key.try_sign_with_rng(&mut rng, message)?.to_vec()
            }
            Key::P256(k) => {
                let sig: p256::ecdsa::Signature =
                    k.sign_prehash(&DigestAlg::Sha256.hash(message))?;
                sig.to_der().to_vec()
            }
            Key::P384(k) => {
                let sig: p384::ecdsa::Signature =
                    k.sign_prehash(&DigestAlg::Sha384.hash(message))?;
                sig.to_der().to_vec()
            }
            Key::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
        })
    }
}

/// Reads the key and certificate chain of a PKCS#12 file.
pub struct SigningIdentity {
    key: Key,
    /// The signer's certificate first, then the issuers the file carries.
    certs: Vec<x509_cert::Certificate>,
}

impl SigningIdentity {
    pub fn from_pkcs12(bytes: &[u8], password: &str) -> anyhow::Result<SigningIdentity> {
        let store = p12_keystore::KeyStore::from_pkcs12(
            bytes,
            password,
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .map_err(|e| anyhow::anyhow!("cannot open the PKCS#12 file (wrong password?): {e}"))?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| anyhow::anyhow!("the PKCS#12 file holds no key with its certificate"))?;
        let key = Key::from_pkcs8(chain.key().as_der())?;
        let certs = chain
            .certs()
            .iter()
            .map(|c| x509_cert::Certificate::from_der(c.as_der()))
            .collect::<Result<Vec<_>, _>>()?;
        if certs.is_empty() {
            anyhow::bail!("the PKCS#12 file holds no certificate for its key");
        }
        Ok(SigningIdentity { key, certs })
    }

    /// The signer's certificate.
    pub fn certificate(&self) -> &x509_cert::Certificate {
        &self.certs[0]
    }

    /// A DER CMS SignedData over `content`; detached unless `attached`.
    pub fn sign(&self, content: &[u8], attached: bool) -> anyhow::Result<Vec<u8>> {
        let digest = self.key.digest();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
        let attr = |oid: Oid, value: Any| -> anyhow::Result<Attribute> {
            Ok(Attribute { oid, values: SetOfVec::try_from(vec![value])? })
        };
        let attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
            attr(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?,
            attr(
                ID_SIGNING_TIME,
                Any::encode_from(&Time::UtcTime(der::asn1::UtcTime::from_unix_duration(
                    std::time::Duration::from_secs(now.as_secs()),
                )?))?,
            )?,
            attr(ID_MESSAGE_DIGEST, Any::encode_from(&OctetString::new(digest.hash(content))?)?)?,
        ])?;
        let signature = self.key.sign(&attrs.to_der()?)?;
        let tbs = self.certificate().tbs_certificate();
        let digest_alg = AlgorithmIdentifierOwned { oid: digest.oid(), parameters: None };
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: digest_alg.clone(),
            signed_attrs: Some(attrs),
            signature_algorithm: self.key.signature_algorithm(),
            signature: OctetString::new(signature)?,
            unsigned_attrs: None,
        };
        let certificates = CertificateSet(SetOfVec::try_from(
            self.certs
                .iter()
                .cloned()
                .map(cms::cert::CertificateChoices::Certificate)
                .collect::<Vec<_>>(),
        )?);
        let econtent = if attached {
            Some(Any::encode_from(&OctetString::new(content.to_vec())?)?)
        } else {
            None
        };
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![digest_alg])?,
            encap_content_info: EncapsulatedContentInfo { econtent_type: ID_DATA, econtent },
            certificates: Some(certificates),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer])?),
        };
        let info =
            ContentInfo { content_type: ID_SIGNED_DATA, content: Any::encode_from(&signed_data)? };
        Ok(info.to_der()?)
    }
}
