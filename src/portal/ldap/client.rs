//! Talking to one agency's directory: a TLS connection verified against the configured CA
//! (ldaps or StartTLS, rustls), the service account's bind, searches for people, and the
//! simple bind that checks a person's password.
//!
//! The `ldap3` client's blocking API runs its own small runtime; every caller here is on a
//! blocking thread (a request's `web::block` or a job's `spawn_blocking`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConn, LdapConnSettings, LdapError, Scope, SearchEntry};

use super::config::{AgencyDirectory, AttributeMap, Transport};
use crate::portal::directory::external::DirectoryPerson;

/// Why a directory could not answer or refused. Each kind has a stable key whose
/// translated message (`web/locales/*/ldap.ftl`) tells the administrator what to do; the
/// detail is the technical cause, for the log and the settings page.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// No connection: the server is down, the address or port is wrong, or a firewall.
    Unreachable(String),
    /// The server's certificate has expired (or is not yet valid).
    CertificateExpired(String),
    /// The server's certificate is not issued by the configured CA, or not for its name.
    CertificateUntrusted(String),
    /// The service account's bind was refused: wrong `bind_dn` or password.
    ServiceBindRefused(String),
    /// The portal's own settings cannot be used (a file that cannot be read, a bad URL).
    Settings(String),
    /// The directory answered with an error (bad filter, no such base).
    Refused(String),
}

impl Failure {
    /// The message key of this kind of failure.
    pub fn key(&self) -> &'static str {
        match self {
            Failure::Unreachable(_) => "ldap-error-unreachable",
            Failure::CertificateExpired(_) => "ldap-error-certificate-expired",
            Failure::CertificateUntrusted(_) => "ldap-error-certificate-untrusted",
            Failure::ServiceBindRefused(_) => "ldap-error-service-bind",
            Failure::Settings(_) => "ldap-error-settings",
            Failure::Refused(_) => "ldap-error-refused",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Failure::Unreachable(d)
            | Failure::CertificateExpired(d)
            | Failure::CertificateUntrusted(d)
            | Failure::ServiceBindRefused(d)
            | Failure::Settings(d)
            | Failure::Refused(d) => d,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key(), self.detail())
    }
}

/// RFC 4515: a value in a filter has `\ * ( )` and NUL written as `\XX`, so a login can
/// never add a wildcard or a clause to the filter.
pub fn user_filter(template: &str, login: &str) -> String {
    template.replace("{login}", &ldap3::ldap_escape(login))
}

/// LDAP result code 49: the password (or the DN) is wrong.
const INVALID_CREDENTIALS: u32 = 49;

pub struct Connection {
    conn: LdapConn,
    timeout: Duration,
    attributes: AttributeMap,
}

fn tls_config(settings: &AgencyDirectory) -> Result<Arc<rustls::ClientConfig>, Failure> {
    let pem = std::fs::read(&settings.ca_file)
        .map_err(|e| Failure::Settings(format!("cannot read ca_file {}: {e}", settings.ca_file)))?;
    let mut roots = rustls::RootCertStore::empty();
    let mut added = 0;
    for cert in rustls_pki_types::pem::PemObject::pem_slice_iter(&pem) {
        let cert: rustls_pki_types::CertificateDer<'static> =
            cert.map_err(|e| Failure::Settings(format!("ca_file {}: {e}", settings.ca_file)))?;
        roots
            .add(cert)
            .map_err(|e| Failure::Settings(format!("ca_file {}: {e}", settings.ca_file)))?;
        added += 1;
    }
    if added == 0 {
        return Err(Failure::Settings(format!(
            "ca_file {} holds no certificate",
            settings.ca_file
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Settings(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Sorts an `ldap3` error: an LDAP answer is a refusal; a TLS alert about the server's
/// certificate (found down the chain of sources, where tokio-rustls wraps it in an I/O
/// error) is a certificate problem; anything else on the wire is "unreachable".
fn classify(e: LdapError) -> Failure {
    if let LdapError::LdapResult { result } = &e {
        return Failure::Refused(format!("result code {}: {}", result.rc, result.text));
    }
    let text = e.to_string();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        let tls = err.downcast_ref::<rustls::Error>().or_else(|| {
            err.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = tls {
            return certificate_failure(tls, text);
        }
        source = err.source();
    }
    Failure::Unreachable(text)
}

fn certificate_failure(tls: &rustls::Error, text: String) -> Failure {
    use rustls::CertificateError as C;
    match tls {
        rustls::Error::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => Failure::CertificateExpired(text),
        _ => Failure::CertificateUntrusted(text),
    }
}

impl Connection {
    /// Connects, protects the connection as configured and binds as the service account
    /// (anonymously when none is configured).
    pub fn open(settings: &AgencyDirectory, timeout_seconds: u64) -> Result<Connection, Failure> {
        let timeout = Duration::from_secs(timeout_seconds.max(1));
        let transport = settings.transport().map_err(Failure::Settings)?;
        let mut conn_settings = LdapConnSettings::new().set_conn_timeout(timeout);
        if transport != Transport::PlainLoopback {
            conn_settings = conn_settings
                .set_config(tls_config(settings)?)
                .set_starttls(transport == Transport::StartTls);
        }
        let conn = LdapConn::with_settings(conn_settings, &settings.url).map_err(classify)?;
        let mut connection = Connection { conn, timeout, attributes: settings.attributes.clone() };
        let password = if settings.bind_dn.is_empty() {
            String::new()
        } else {
            let raw = std::fs::read_to_string(&settings.bind_password_file).map_err(|e| {
                Failure::Settings(format!(
                    "cannot read bind_password_file {}: {e}",
                    settings.bind_password_file
                ))
            })?;
            raw.trim_end_matches(['\r', '\n']).to_owned()
        };
        let bound = connection
            .conn
            .with_timeout(timeout)
            .simple_bind(&settings.bind_dn, &password)
            .map_err(classify)?;
        match bound.rc {
            0 => Ok(connection),
            INVALID_CREDENTIALS => Err(Failure::ServiceBindRefused(format!(
                "bind as {:?} refused (result code 49): {}",
                settings.bind_dn, bound.text
            ))),
            rc => Err(Failure::Refused(format!("bind answered result code {rc}: {}", bound.text))),
        }
    }

    /// People matching `filter` under `base`, with the mapped attributes.
    pub fn search(&mut self, base: &str, filter: &str) -> Result<Vec<Found>, Failure> {
        let requested = self.attributes.requested();
        let (entries, _) = self
            .conn
            .with_timeout(self.timeout)
            .search(base, Scope::Subtree, filter, requested)
            .and_then(|r| r.success())
            .map_err(classify)?;
        Ok(entries
            .into_iter()
            .map(SearchEntry::construct)
            .map(|e| Found { person: person(&self.attributes, &e.attrs), dn: e.dn })
            .collect())
    }

    /// Checks a password by binding as `dn`. `Ok(false)`: the directory said the password
    /// is wrong. An empty password is refused here: LDAP would take it as an anonymous
    /// bind and answer success.
    pub fn check_password(&mut self, dn: &str, password: &str) -> Result<bool, Failure> {
        if password.is_empty() {
            return Ok(false);
        }
        let result =
            self.conn.with_timeout(self.timeout).simple_bind(dn, password).map_err(classify)?;
        match result.rc {
            0 => Ok(true),
            INVALID_CREDENTIALS => Ok(false),
            rc => Err(Failure::Refused(format!("bind answered result code {rc}: {}", result.text))),
        }
    }

    pub fn close(mut self) {
        let _ = self.conn.unbind();
    }
}

/// One person found in the directory.
#[derive(Debug, Clone)]
pub struct Found {
    pub dn: String,
    pub person: DirectoryPerson,
}

fn person(map: &AttributeMap, attrs: &HashMap<String, Vec<String>>) -> DirectoryPerson {
    // Attribute names are case-insensitive in LDAP; servers answer in their own case.
    let get = |name: &str| -> String {
        if name.is_empty() {
            return String::new();
        }
        attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    DirectoryPerson {
        login: get(&map.login).to_lowercase(),
        name_ru: get(&map.name_ru),
        name_kk: get(&map.name_kk),
        position_ru: get(&map.position_ru),
        position_kk: get(&map.position_kk),
        department: get(&map.department),
        email: get(&map.email),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_logins_cannot_change_the_filter() {
        let template = "(&(objectClass=person)(uid={login}))";
        assert_eq!(user_filter(template, "ivanov"), "(&(objectClass=person)(uid=ivanov))");
        assert_eq!(user_filter(template, "*"), "(&(objectClass=person)(uid=\\2a))");
        assert_eq!(
            user_filter(template, "x)(|(uid=*"),
            "(&(objectClass=person)(uid=x\\29\\28|\\28uid=\\2a))"
        );
        assert_eq!(user_filter(template, "a\\b\0"), "(&(objectClass=person)(uid=a\\5cb\\00))");
    }

    #[test]
    fn attributes_are_read_in_any_case() {
        let mut attrs = HashMap::new();
        attrs.insert("UID".to_string(), vec!["Ivanov".to_string()]);
        attrs.insert("cn".to_string(), vec![" Иванов Иван ".to_string()]);
        let p = person(&AttributeMap::default(), &attrs);
        assert_eq!(p.login, "ivanov");
        assert_eq!(p.name_ru, "Иванов Иван");
        assert_eq!(p.email, "");
    }
}
