//! Digital signatures (I385 §6.4, §55–§59): signing manifests, CMS (CAdES-BES)
//! verification, certificate chains and CRLs, the trust store, registration certificates,
//! and `ipgo sign`. See `docs/signatures.md`.

pub mod algorithms;
pub mod chain;
pub mod cms;
pub mod gost;
pub mod manifest;
pub mod package;
pub mod service;
pub mod signer;
pub mod store;
pub mod trust;
pub mod verdict;
pub mod verify;
pub mod x509;

pub use manifest::{Digest, Manifest, ManifestFile};
pub use verdict::{Reason, Rejection, Report, Verdict};
