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

/// The files to serve: configured ones, or the self-signed pair (made if missing; an
/// existing one is checked and what needs the administrator is logged).
pub fn certificate_files(config: &Config) -> anyhow::Result<Option<(PathBuf, PathBuf)>> {
    if !config.tls.cert.is_empty() {
        return Ok(Some((PathBuf::from(&config.tls.cert), PathBuf::from(&config.tls.key))));
    }
    if !config.tls.self_signed {
        return Ok(None);
    }
    let (cert, key) = self_signed_paths(config);
    if !cert.exists() || !key.exists() {
        let made = make_self_signed(config, &cert, &key)?;
        tracing::warn!(subject = %made.subject, names = ?made.alt_names, until = %made.not_after, path = %cert.display(), "made a self-signed TLS certificate; replace it with one from the agency's CA");
    } else {
        for problem in self_signed_problems(config, &cert) {
            tracing::warn!(path = %cert.display(), "{problem}");
        }
    }
    Ok(Some((cert, key)))
}

fn self_signed_paths(config: &Config) -> (PathBuf, PathBuf) {
    let dir = config.keys_dir();
    (dir.join(SELF_SIGNED_CERT), dir.join(SELF_SIGNED_KEY))
}

/// `notAfter` (Unix seconds) of the first certificate of a PEM chain.
pub fn not_after(cert: &Path) -> anyhow::Result<i64> {
    Ok(first_certificate(cert)?.not_after().as_second())
}

fn first_certificate(cert: &Path) -> anyhow::Result<crate::sign::x509::Cert> {
    let bytes = std::fs::read(cert)
        .map_err(|e| anyhow::anyhow!("cannot read certificate {}: {e}", cert.display()))?;
    let mut chain = crate::sign::x509::read_certificates(&bytes)
        .map_err(|e| anyhow::anyhow!("certificate {}: {e}", cert.display()))?;
    Ok(chain.swap_remove(0))
}

/// A self-signed certificate is valid for at most this many days: Apple's systems refuse
/// TLS server certificates valid for longer, and a bounded life forces a renewal that a
/// monitored expiry announces.
pub const MAX_SELF_SIGNED_DAYS: u32 = 825;
/// A self-signed certificate this close to its end is reported at every start.
const ANNOUNCE_DAYS: i64 = 30;
const DAY: i64 = 24 * 3600;

/// What the self-signed certificate is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfSignedNames {
    /// Its subject's common name: the host of `server.public_url`, else the first of
    /// `tls.self_signed_names`, else the machine's host name.
    pub subject: String,
    /// Every name and address it covers (subject alternative names), the subject first.
    pub alt_names: Vec<String>,
}

/// The names the self-signed certificate is made for: the host people type
/// (`server.public_url`) and `tls.self_signed_names`; with neither, the machine's host
/// name, `localhost` and `127.0.0.1`.
pub fn self_signed_names(config: &Config) -> SelfSignedNames {
    let public = public_host(&config.server.public_url);
    let mut alt_names: Vec<String> = Vec::new();
    for name in public.into_iter().chain(config.tls.self_signed_names.iter().cloned()) {
        if !alt_names.contains(&name) {
            alt_names.push(name);
        }
    }
    if alt_names.is_empty() {
        if let Ok(host) = rustix::system::uname().nodename().to_str()
            && !host.is_empty()
        {
            alt_names.push(host.to_owned());
        }
        for name in ["localhost", "127.0.0.1"] {
            if !alt_names.iter().any(|n| n == name) {
                alt_names.push(name.to_owned());
            }
        }
    }
    SelfSignedNames { subject: alt_names[0].clone(), alt_names }
}

/// `https://portal.example:8443/x` → `portal.example` (brackets of an IPv6 address removed).
fn public_host(url: &str) -> Option<String> {
    let uri: actix_web::http::Uri = url.parse().ok()?;
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// A self-signed certificate just written.
#[derive(Debug, Clone)]
pub struct Made {
    pub path: PathBuf,
    pub subject: String,
    pub alt_names: Vec<String>,
    pub not_after: jiff::Timestamp,
    pub days: u32,
}

/// Makes a new self-signed pair in place of the one in the keys directory
/// (`ipgo init --renew-tls`). Refused when the certificate comes from the agency's CA
/// (`tls.cert`) or no self-signed certificate is configured. The running server keeps
/// serving the old pair until it restarts.
pub fn renew_self_signed(config: &Config) -> anyhow::Result<Made> {
    if !config.tls.cert.is_empty() {
        anyhow::bail!(
            "the served certificate is {} (tls.cert), issued by the agency's CA: renew it there \
             and replace the file; only a self-signed certificate is renewed here",
            config.tls.cert
        );
    }
    if !config.tls.self_signed {
        anyhow::bail!("no self-signed certificate is configured (tls.self_signed = false)");
    }
    let (cert, key) = self_signed_paths(config);
    if let Some(dir) = cert.parent()
        && let Ok(meta) = std::fs::metadata(dir)
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            anyhow::bail!(
                "{} belongs to another account than the one running this command: run it as the \
                 service account (runuser -u ipgo -- ipgo init --renew-tls) so the server can \
                 read the new key",
                dir.display()
            );
        }
    }
    make_self_signed(config, &cert, &key)
}

/// Makes and writes a self-signed pair: an ECDSA P-256 key, a certificate issued to the
/// host name, covering [`self_signed_names`], for server authentication only, valid from
/// now for `tls.self_signed_days`. The key and certificate are each written whole before
/// either replaces an older one.
fn make_self_signed(config: &Config, cert: &Path, key: &Path) -> anyhow::Result<Made> {
    let names = self_signed_names(config);
    let days = config.tls.self_signed_days;
    let mut params = rcgen::CertificateParams::new(names.alt_names.clone())
        .map_err(|e| anyhow::anyhow!("tls.self_signed_names: {e}"))?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, names.subject.clone());
    dn.push(rcgen::DnType::OrganizationName, "ipgo (self-signed)");
    params.distinguished_name = dn;
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    // A few minutes back, for workstations whose clocks run slightly behind.
    let now = crate::clock::now().as_second();
    let not_before = now - 5 * 60;
    let not_after = now + i64::from(days) * DAY;
    let time = |s: i64| {
        time::OffsetDateTime::from_unix_timestamp(s)
            .map_err(|e| anyhow::anyhow!("certificate validity: {e}"))
    };
    params.not_before = time(not_before)?;
    params.not_after = time(not_after)?;
    let mut serial = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut serial)
        .map_err(|_| anyhow::anyhow!("no randomness for the certificate's serial number"))?;
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let key_pair =
        rcgen::KeyPair::generate().map_err(|e| anyhow::anyhow!("cannot make a TLS key: {e}"))?;
    let made = params
        .self_signed(&key_pair)
        .map_err(|e| anyhow::anyhow!("cannot make a self-signed certificate: {e}"))?;
    crate::keys::ensure_private_dir(cert.parent().unwrap_or(Path::new(".")))?;
    let new_cert = cert.with_extension("crt.new");
    crate::keys::write_private(
        &key.with_extension("key.new"),
        key_pair.serialize_pem().as_bytes(),
    )?;
    std::fs::write(&new_cert, made.pem())?;
    std::fs::File::open(&new_cert)?.sync_all()?;
    std::fs::rename(key.with_extension("key.new"), key)?;
    std::fs::rename(&new_cert, cert)?;
    if let Some(dir) = cert.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(Made {
        path: cert.to_path_buf(),
        subject: names.subject,
        alt_names: names.alt_names,
        not_after: jiff::Timestamp::from_second(not_after)?,
        days,
    })
}

/// What an existing self-signed certificate needs from the administrator: a life longer
/// than any this version makes (made by an earlier version), an end within
/// [`ANNOUNCE_DAYS`] or past, names configured since that it does not cover. Each says to
/// run `ipgo init --renew-tls`. It is kept meanwhile: workstations may have been told to
/// trust it.
pub fn self_signed_problems(config: &Config, cert: &Path) -> Vec<String> {
    const RENEW: &str = "run `ipgo init --renew-tls` as the service account and restart";
    let parsed = match first_certificate(cert) {
        Ok(c) => c,
        Err(e) => return vec![format!("{e}; {RENEW}")],
    };
    let (from, until) = (parsed.not_before(), parsed.not_after());
    let now = crate::clock::now().as_second();
    let mut problems = Vec::new();
    if until.as_second() - from.as_second() > i64::from(MAX_SELF_SIGNED_DAYS) * DAY {
        problems.push(format!(
            "the self-signed TLS certificate is valid until {} (made by an earlier version, \
             without a bounded life); {RENEW}",
            until.strftime("%Y")
        ));
    } else if until.as_second() < now {
        problems.push(format!("the self-signed TLS certificate expired on {until}; {RENEW}"));
    } else if until.as_second() - now < ANNOUNCE_DAYS * DAY {
        // Rounded up: "in 0 days" would read as already expired.
        let days = (until.as_second() - now + DAY - 1) / DAY;
        problems.push(format!(
            "the self-signed TLS certificate expires on {until} (in {days} days); {RENEW}"
        ));
    }
    let covered = alt_names(&parsed);
    let missing: Vec<String> = self_signed_names(config)
        .alt_names
        .into_iter()
        .filter(|n| !covered.iter().any(|c| c.eq_ignore_ascii_case(n)))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "the self-signed TLS certificate does not cover {} (configured since it was made); \
             {RENEW}",
            missing.join(", ")
        ));
    }
    problems
}

/// The DNS names and IP addresses a certificate covers.
fn alt_names(cert: &crate::sign::x509::Cert) -> Vec<String> {
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let Ok(Some((_, san))) = cert.cert.tbs_certificate().get_extension::<SubjectAltName>() else {
        return Vec::new();
    };
    san.0
        .iter()
        .filter_map(|name| match name {
            GeneralName::DnsName(dns) => Some(dns.to_string()),
            GeneralName::IpAddress(ip) => match ip.as_bytes().len() {
                4 => <[u8; 4]>::try_from(ip.as_bytes())
                    .ok()
                    .map(|b| std::net::IpAddr::from(b).to_string()),
                16 => <[u8; 16]>::try_from(ip.as_bytes())
                    .ok()
                    .map(|b| std::net::IpAddr::from(b).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
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
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| anyhow::anyhow!("certificate and key do not form a usable pair: {e}"))?;
    // The server picks the suite from its own order (AEAD suites, strongest first) instead of
    // following whatever order a client proposes; scanners rate a missing server order HIGH.
    config.ignore_client_order = true;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public_url: &str, names: &[&str]) -> Config {
        let mut config = Config::default();
        config.server.public_url = public_url.into();
        config.tls.self_signed_names = names.iter().map(|n| n.to_string()).collect();
        config
    }

    #[test]
    fn the_certificate_is_named_after_the_host_people_type() {
        let names = self_signed_names(&config(
            "https://Portal.Akimat.kz:8443/portal",
            &["10.1.2.3", "portal.akimat.kz"],
        ));
        assert_eq!(names.subject, "portal.akimat.kz");
        assert_eq!(names.alt_names, ["portal.akimat.kz", "10.1.2.3"]);
        let names = self_signed_names(&config("", &["intranet", "10.1.2.3"]));
        assert_eq!((names.subject.as_str(), names.alt_names.len()), ("intranet", 2));
        let names = self_signed_names(&config("https://[fd00::7]/", &[]));
        assert_eq!(names.alt_names, ["fd00::7"]);
        // Nothing given: the machine's host name first, then the loopback names.
        let names = self_signed_names(&config("", &[]));
        assert!(names.alt_names.ends_with(&["localhost".into(), "127.0.0.1".into()]));
        assert_eq!(names.subject, names.alt_names[0]);
    }

    #[test]
    fn an_existing_certificate_is_reported_for_what_needs_the_administrator() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config("https://portal.akimat.kz", &["127.0.0.1"]);
        config.storage.data_dir = dir.path().to_owned();
        config.tls.self_signed = true;
        config.tls.self_signed_days = 10;
        let (cert, _) = certificate_files(&config).unwrap().unwrap();
        let problems = self_signed_problems(&config, &cert);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("(in 10 days)"), "{problems:?}");
        assert!(problems[0].contains("ipgo init --renew-tls"), "{problems:?}");
        config.tls.self_signed_names.push("10.9.9.9".into());
        let problems = self_signed_problems(&config, &cert);
        assert!(problems[1].contains("does not cover 10.9.9.9"), "{problems:?}");
        config.tls.self_signed_days = 365;
        let made = renew_self_signed(&config).unwrap();
        assert_eq!(made.alt_names, ["portal.akimat.kz", "127.0.0.1", "10.9.9.9"]);
        assert!(self_signed_problems(&config, &cert).is_empty());
        // The agency's certificate is not renewed here.
        config.tls.cert = "/etc/ipgo/tls/server.crt".into();
        let refused = renew_self_signed(&config).unwrap_err().to_string();
        assert!(refused.contains("agency's CA"), "{refused}");
    }

    #[test]
    fn the_life_of_a_self_signed_certificate_is_bounded() {
        let mut config = Config::default();
        config.tls.self_signed_days = MAX_SELF_SIGNED_DAYS + 1;
        assert!(config.verify().unwrap_err().to_string().contains("self_signed_days"));
        config.tls.self_signed_days = 0;
        assert!(config.verify().is_err());
        config.tls.self_signed_days = MAX_SELF_SIGNED_DAYS;
        config.verify().unwrap();
    }
}
