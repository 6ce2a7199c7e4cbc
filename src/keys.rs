//! The appliance's own keys, kept in the keys directory (never in the data directory of a
//! production install, never in a data backup).
//!
//! - `appliance-signing.pem`: Ed25519 (PKCS#8) signing key. It signs access-log checkpoints,
//!   audit archive manifests and backup manifests, so anyone holding the public key
//!   (`appliance-signing.pub.pem`, also stored in the database) can check them offline, e.g.
//!   with `openssl pkeyutl -verify -rawin`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

const SIGNING_FILE: &str = "appliance-signing.pem";
const PUBLIC_FILE: &str = "appliance-signing.pub.pem";

/// The appliance signing key.
pub struct ApplianceKey {
    signing: SigningKey,
}

impl ApplianceKey {
    /// Loads the key from `dir`, creating the directory (mode 0700) and a new key (mode 0600)
    /// when none exists yet.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<ApplianceKey> {
        ensure_private_dir(dir)?;
        let path = dir.join(SIGNING_FILE);
        if path.exists() {
            return ApplianceKey::load(dir);
        }
        let signing = SigningKey::from_bytes(&crate::secret::random_bytes::<32>());
        let pem = signing
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| anyhow::anyhow!("encode signing key: {e}"))?;
        write_private(&path, pem.as_bytes())?;
        let public = signing
            .verifying_key()
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| anyhow::anyhow!("encode public key: {e}"))?;
        fs::write(dir.join(PUBLIC_FILE), public)?;
        Ok(ApplianceKey { signing })
    }

    /// Whether `dir` holds a signing key.
    pub fn exists(dir: &Path) -> bool {
        dir.join(SIGNING_FILE).exists()
    }

    /// Loads an existing key.
    pub fn load(dir: &Path) -> anyhow::Result<ApplianceKey> {
        let path = dir.join(SIGNING_FILE);
        let pem = fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let signing = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|e| anyhow::anyhow!("{} is not an Ed25519 PKCS#8 key: {e}", path.display()))?;
        Ok(ApplianceKey { signing })
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }
}

/// The public half, used by verifiers that may not hold the private key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn from_hex(s: &str) -> Option<PublicKey> {
        let bytes: [u8; 32] = hex::decode(s).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok().map(PublicKey)
    }

    pub fn from_pem(pem: &str) -> Option<PublicKey> {
        VerifyingKey::from_public_key_pem(pem).ok().map(PublicKey)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// Strict verification (rejects malleable and small-order encodings).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match Signature::from_slice(signature) {
            Ok(sig) => {
                self.0.verify_strict(message, &sig).is_ok() && self.0.verify(message, &sig).is_ok()
            }
            Err(_) => false,
        }
    }
}

/// Creates `dir` if needed and makes it accessible to its owner only.
pub fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// Writes a secret file atomically with mode 0600 (temp file, fsync, rename, dir fsync).
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp: PathBuf = path.with_extension("tmp");
    {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_then_reloaded_and_signs_verifiably() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let a = ApplianceKey::load_or_create(&keys).unwrap();
        let b = ApplianceKey::load_or_create(&keys).unwrap();
        assert_eq!(a.public(), b.public());
        let mode = fs::metadata(keys.join(SIGNING_FILE)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::metadata(&keys).unwrap().permissions().mode() & 0o777, 0o700);
        let sig = a.sign(b"checkpoint");
        assert!(b.public().verify(b"checkpoint", &sig));
        assert!(!b.public().verify(b"checkpoinT", &sig));
        let pem = fs::read_to_string(keys.join(PUBLIC_FILE)).unwrap();
        assert_eq!(PublicKey::from_pem(&pem), Some(a.public()));
        assert_eq!(PublicKey::from_hex(&a.public().to_hex()), Some(a.public()));
    }
}
