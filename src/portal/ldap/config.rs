//! The `[directory]` section: one LDAP directory (Active Directory or OpenLDAP) per agency
//! whose staff sign in with their directory password (I617 §20–§21).
//!
//! Servers are keyed by agency code, `[directory.agencies.AKM]`, so that each key can also
//! be set from the environment (`IPGO_DIRECTORY__AGENCIES__AKM__URL=…`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryConfig {
    /// Seconds between two synchronisations of names, positions and departments.
    pub sync_interval_seconds: u64,
    /// Seconds to wait for a directory server to connect or answer.
    pub timeout_seconds: u64,
    /// The directory of each agency, by agency code.
    pub agencies: BTreeMap<String, AgencyDirectory>,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        DirectoryConfig {
            sync_interval_seconds: 3600,
            timeout_seconds: 5,
            agencies: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgencyDirectory {
    /// `ldaps://host:636`, or `ldap://host:389` with `starttls = true`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS before anything is sent.
    pub starttls: bool,
    /// PEM file of the CA that issued the directory server's certificate. The server's
    /// certificate and name are verified against it; nothing else is trusted.
    pub ca_file: String,
    /// Allow a plain `ldap://` connection without StartTLS. Accepted only when the server
    /// is on the loopback interface (a directory proxy on the same machine).
    pub allow_plaintext_on_loopback: bool,
    /// The service account that searches the directory; empty for an anonymous search.
    pub bind_dn: String,
    /// File holding the service account's password (e.g. a systemd credential).
    pub bind_password_file: String,
    /// Where people are searched.
    pub base_dn: String,
    /// The filter that finds one person by the login typed; `{login}` is replaced by the
    /// login escaped as RFC 4515 requires.
    pub user_filter: String,
    /// The filter that lists every person to synchronise.
    pub sync_filter: String,
    /// Which directory attribute holds each portal field.
    pub attributes: AttributeMap,
}

impl Default for AgencyDirectory {
    fn default() -> Self {
        AgencyDirectory {
            url: String::new(),
            starttls: false,
            ca_file: String::new(),
            allow_plaintext_on_loopback: false,
            bind_dn: String::new(),
            bind_password_file: String::new(),
            base_dn: String::new(),
            user_filter: "(&(objectClass=person)(uid={login}))".into(),
            sync_filter: "(objectClass=person)".into(),
            attributes: AttributeMap::default(),
        }
    }
}

/// Directory attribute names; an empty name leaves the portal field untouched.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttributeMap {
    /// The login (OpenLDAP `uid`, Active Directory `sAMAccountName`).
    pub login: String,
    pub name_ru: String,
    pub name_kk: String,
    pub position_ru: String,
    pub position_kk: String,
    /// The department's name, matched to (or added as) a department of the agency.
    pub department: String,
    pub email: String,
}

impl Default for AttributeMap {
    fn default() -> Self {
        AttributeMap {
            login: "uid".into(),
            name_ru: "cn".into(),
            name_kk: String::new(),
            position_ru: "title".into(),
            position_kk: String::new(),
            department: "ou".into(),
            email: "mail".into(),
        }
    }
}

impl AttributeMap {
    /// The attributes to ask the directory for.
    pub fn requested(&self) -> Vec<&str> {
        [
            &self.login,
            &self.name_ru,
            &self.name_kk,
            &self.position_ru,
            &self.position_kk,
            &self.department,
            &self.email,
        ]
        .into_iter()
        .filter(|a| !a.is_empty())
        .map(String::as_str)
        .collect()
    }
}

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Ldaps,
    StartTls,
    /// Only to a loopback address, and only when explicitly allowed.
    PlainLoopback,
}

impl AgencyDirectory {
    /// The transport the settings ask for, or why they are refused.
    pub fn transport(&self) -> Result<Transport, String> {
        let (scheme, rest) = self
            .url
            .split_once("://")
            .ok_or_else(|| format!("url {:?} is not an ldap:// or ldaps:// URL", self.url))?;
        match scheme.to_ascii_lowercase().as_str() {
            "ldaps" if self.starttls => Err("starttls is for ldap:// URLs, not ldaps://".into()),
            "ldaps" => Ok(Transport::Ldaps),
            "ldap" if self.starttls => Ok(Transport::StartTls),
            "ldap" if self.allow_plaintext_on_loopback && is_loopback(rest) => {
                Ok(Transport::PlainLoopback)
            }
            "ldap" => Err(
                "a plain ldap:// URL sends passwords in clear: use ldaps://, or starttls = true \
                 (allow_plaintext_on_loopback applies to a loopback server only)"
                    .into(),
            ),
            other => Err(format!("unknown URL scheme {other:?}")),
        }
    }

    fn verify(&self, code: &str) -> anyhow::Result<()> {
        let fail = |why: String| anyhow::anyhow!("directory.agencies.{code}: {why}");
        let transport = self.transport().map_err(fail)?;
        if transport != Transport::PlainLoopback && self.ca_file.is_empty() {
            return Err(fail("ca_file is required: the server's certificate is verified".into()));
        }
        if self.base_dn.trim().is_empty() {
            return Err(fail("base_dn is required".into()));
        }
        if !self.user_filter.contains("{login}") {
            return Err(fail("user_filter must contain {login}".into()));
        }
        if self.attributes.login.is_empty() {
            return Err(fail("attributes.login is required".into()));
        }
        if !self.bind_dn.is_empty() && self.bind_password_file.is_empty() {
            return Err(fail("bind_password_file is required with bind_dn".into()));
        }
        Ok(())
    }
}

fn is_loopback(host_port: &str) -> bool {
    let host_port = host_port.split('/').next().unwrap_or("");
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.rsplit_once(':').map(|(h, _)| h).unwrap_or(host_port),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl DirectoryConfig {
    pub fn verify(&self) -> anyhow::Result<()> {
        if self.sync_interval_seconds < 60 {
            anyhow::bail!("directory.sync_interval_seconds must be at least 60");
        }
        if self.timeout_seconds == 0 {
            anyhow::bail!("directory.timeout_seconds must be at least 1");
        }
        for (code, agency) in &self.agencies {
            agency.verify(code)?;
        }
        Ok(())
    }

    /// The directory of an agency, by its code in any case.
    pub fn of(&self, agency_code: &str) -> Option<&AgencyDirectory> {
        self.agencies.iter().find(|(c, _)| c.eq_ignore_ascii_case(agency_code)).map(|(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(url: &str, starttls: bool, plain: bool) -> AgencyDirectory {
        AgencyDirectory {
            url: url.into(),
            starttls,
            allow_plaintext_on_loopback: plain,
            ca_file: "/etc/ipgo/ca.pem".into(),
            base_dn: "dc=test".into(),
            ..AgencyDirectory::default()
        }
    }

    #[test]
    fn plaintext_only_on_loopback_and_only_when_allowed() {
        assert_eq!(with("ldaps://dc1:636", false, false).transport(), Ok(Transport::Ldaps));
        assert_eq!(with("ldap://dc1:389", true, false).transport(), Ok(Transport::StartTls));
        assert!(with("ldap://dc1:389", false, false).transport().is_err());
        assert!(with("ldap://dc1:389", false, true).transport().is_err());
        assert!(with("ldap://127.0.0.1:389", false, false).transport().is_err());
        assert_eq!(
            with("ldap://127.0.0.1:389", false, true).transport(),
            Ok(Transport::PlainLoopback)
        );
        assert_eq!(with("ldap://[::1]:389", false, true).transport(), Ok(Transport::PlainLoopback));
        assert!(with("ldaps://dc1", true, false).transport().is_err());
        assert!(with("http://dc1", false, false).transport().is_err());
    }

    #[test]
    fn incomplete_settings_are_refused() {
        let mut d = with("ldaps://dc1", false, false);
        assert!(d.verify("AKM").is_ok());
        d.ca_file.clear();
        assert!(d.verify("AKM").is_err());
        let mut d = with("ldaps://dc1", false, false);
        d.user_filter = "(uid=x)".into();
        assert!(d.verify("AKM").is_err());
    }
}
