//! TLS for the web server: rustls with the `ring` provider only (installed explicitly at
//! start), TLS 1.2 and 1.3. Certificates come from PEM files, or — when configured — a
//! self-signed certificate is made on first start and kept in the keys directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Config;

const SELF_SIGNED_CERT: &str = "tls-self-signed.crt";
const SELF_SIGNED_KEY: &str = "tls-self-signed.key";

/// Installs the process-wide crypto provider (idempotent).
pub fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The files to serve: configured ones, or the self-signed pair (made if missing).
pub fn certificate_files(config: &Config) -> anyhow::Result<Option<(PathBuf, PathBuf)>> {
    if !config.tls.cert.is_empty() {
        return Ok(Some((PathBuf::from(&config.tls.cert), PathBuf::from(&config.tls.key))));
    }
    if !config.tls.self_signed {
        return Ok(None);
    }
    let dir = config.keys_dir();
    let (cert, key) = (dir.join(SELF_SIGNED_CERT), dir.join(SELF_SIGNED_KEY));
    if !cert.exists() || !key.exists() {
        make_self_signed(config, &cert, &key)?;
    }
    Ok(Some((cert, key)))
}

/// The certificate files being served, without making any (for `/metrics`).
pub fn existing_certificate_files(config: &Config) -> Option<(PathBuf, PathBuf)> {
    if !config.tls.cert.is_empty() {
        return Some((PathBuf::from(&config.tls.cert), PathBuf::from(&config.tls.key)));
    }
    let dir = config.keys_dir();
    let (cert, key) = (dir.join(SELF_SIGNED_CERT), dir.join(SELF_SIGNED_KEY));
    (config.tls.self_signed && cert.exists()).then_some((cert, key))
}

fn make_self_signed(config: &Config, cert: &Path, key: &Path) -> anyhow::Result<()> {
    let mut names = config.tls.self_signed_names.clone();
    if names.is_empty() {
        names = vec!["localhost".into(), "127.0.0.1".into()];
        if let Ok(host) = rustix::system::uname().nodename().to_str() {
            names.push(host.to_owned());
        }
    }
    let made = rcgen::generate_simple_self_signed(names.clone())
        .map_err(|e| anyhow::anyhow!("cannot make a self-signed certificate: {e}"))?;
    crate::keys::ensure_private_dir(cert.parent().unwrap_or(Path::new(".")))?;
    crate::keys::write_private(key, made.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(cert, made.cert.pem())?;
    tracing::warn!(names = ?names, path = %cert.display(), "made a self-signed TLS certificate; replace it with one from the agency's CA");
    Ok(())
}

/// A private key under `/etc/ipgo/tls/` is handed to the service by systemd as the
/// credential `tls_<file name>` (`LoadCredential=tls:/etc/ipgo/tls`), so the key file itself
/// can stay readable by root only. Elsewhere, or outside systemd, the path is read directly.
fn credential_or(path: &Path) -> PathBuf {
    let from_credential = std::env::var_os("CREDENTIALS_DIRECTORY").and_then(|dir| {
        let name = path.file_name()?.to_string_lossy().into_owned();
        let candidate = PathBuf::from(dir).join(format!("tls_{name}"));
        (path.parent() == Some(Path::new(TLS_CREDENTIAL_DIR)) && candidate.exists())
            .then_some(candidate)
    });
    from_credential.unwrap_or_else(|| path.to_path_buf())
}

/// Where the packaged service loads TLS files from as credentials.
pub const TLS_CREDENTIAL_DIR: &str = "/etc/ipgo/tls";

/// The TLS configuration; `client_auth` asks browsers for an optional client certificate
/// (sign-in with a certificate, `client_cert.rs`).
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_auth: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
) -> anyhow::Result<ServerConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("cannot read certificate {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("certificate {} is not valid PEM: {e}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("no certificate found in {}", cert.display());
    }
    let key_path = credential_or(key);
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .map_err(|e| anyhow::anyhow!("cannot read private key {}: {e}", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder =
        ServerConfig::builder_with_provider(provider).with_safe_default_protocol_versions()?;
    let builder = match client_auth {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(chain, key)
        .map_err(|e| anyhow::anyhow!("certificate and key do not form a usable pair: {e}"))?;
    Ok(config)
}
