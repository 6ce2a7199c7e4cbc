//! GOST for rustls-webpki, so that certificates and CRLs signed with GOST go through the
//! same path validation as every other algorithm (`sign::chain`).
//!
//! webpki picks a [`SignatureVerificationAlgorithm`] by comparing the exact bytes of the
//! signature's AlgorithmIdentifier and of the issuer key's AlgorithmIdentifier (parameters
//! included), and hands the algorithm only the key's bit string. A GOST key's identifier
//! carries its curve and hash parameters, so each (signature identifier, key identifier)
//! pair needs its own instance. They are made on demand for the GOST keys a validation can
//! meet (the trust store's CAs and the certificates a message carries) and kept for the
//! life of the process: only identifiers that parse as a supported GOST key are accepted,
//! and those form a finite set (a few hundred encodings at most), so memory stays bounded
//! whatever certificates arrive.

use std::collections::HashMap;
use std::sync::LazyLock;

use parking_lot::Mutex;
use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::oids::SigAlg;
use super::{KeyParams, algorithm_contents, verify_prehashed};
use crate::sign::algorithms::DigestAlg;

/// One (signature identifier, key identifier) pair.
#[derive(Debug)]
pub struct GostChainAlgorithm {
    signature_id: &'static [u8],
    key_id: &'static [u8],
    key: KeyParams,
    sig: SigAlg,
    digest: DigestAlg,
}

impl SignatureVerificationAlgorithm for GostChainAlgorithm {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let hash = self.digest.hash(message);
        verify_prehashed(&self.key, self.sig.layout, public_key, &hash, signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(self.key_id)
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(self.signature_id)
    }
}

type Made = Vec<&'static dyn SignatureVerificationAlgorithm>;

static MADE: LazyLock<Mutex<HashMap<Vec<u8>, Made>>> = LazyLock::new(Default::default);

/// The chain algorithms for the GOST keys among `keys` (other keys are skipped): for each,
/// every GOST signature identifier a certificate or CRL signed with it may carry, with
/// parameters absent and NULL (the NCA writes NULL, OpenSSL writes none). `wrap` adds the
/// caller's layer (the chain's memory of verified signatures).
pub fn algorithms_for<'a>(
    keys: impl Iterator<Item = &'a SubjectPublicKeyInfoOwned>,
    wrap: fn(
        &'static dyn SignatureVerificationAlgorithm,
    ) -> &'static dyn SignatureVerificationAlgorithm,
) -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    let mut out = Vec::new();
    let mut made = MADE.lock();
    for spki in keys {
        if !super::oids::is_gost_key(&spki.algorithm.oid) {
            continue;
        }
        let Ok(key) = KeyParams::from_spki(spki) else { continue };
        let Some(key_id) = algorithm_contents(&spki.algorithm) else { continue };
        if let Some(list) = made.get(&key_id) {
            out.extend(list.iter().copied());
            continue;
        }
        let key_id_static: &'static [u8] = Box::leak(key_id.clone().into_boxed_slice());
        let mut list: Made = Vec::new();
        for sig in SigAlg::x509_for(key.kind) {
            for parameters in [None, Some(der::Any::null())] {
                let id = AlgorithmIdentifierOwned { oid: sig.oid, parameters };
                let Some(signature_id) = algorithm_contents(&id) else { continue };
                let algorithm: &'static GostChainAlgorithm =
                    Box::leak(Box::new(GostChainAlgorithm {
                        signature_id: Box::leak(signature_id.into_boxed_slice()),
                        key_id: key_id_static,
                        key,
                        sig,
                        digest: key.x509_digest(&sig),
                    }));
                list.push(wrap(algorithm));
            }
        }
        out.extend(list.iter().copied());
        made.insert(key_id, list);
    }
    out
}
