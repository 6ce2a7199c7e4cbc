//! The directories' settings as the portal uses them (I617 §20–§21): those of the
//! installation's configuration file, and those the system administrator sets on the
//! settings page, which are kept in the store (`store::SETTINGS`) and take the place of the
//! file's for the same agency. Sign-in, the scheduled synchronisation, the page and
//! `ipgo directory sync` all read [`effective`], so a change on the page applies to the next
//! sign-in without a restart.
//!
//! A setting is checked before it is kept ([`validate`]): each refusal names its field and
//! says in words what to put there (`ldap-settings-…`), never a configuration key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::{AgencyDirectory, AttributeMap, Transport};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DirectorySyncAction, Object, require};
use crate::error::{Error, Result};

/// Where a directory's settings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The installation's configuration file.
    File,
    /// The settings page (kept in the store).
    Page,
}

/// Every directory the portal uses, by agency code (upper case), with where its settings
/// come from: the file's, replaced by the page's for the same agency.
pub fn effective_with_source(app: &App) -> Result<BTreeMap<String, (AgencyDirectory, Source)>> {
    let mut out: BTreeMap<String, (AgencyDirectory, Source)> = app
        .config
        .directory
        .agencies
        .iter()
        .map(|(code, d)| (code.to_uppercase(), (d.clone(), Source::File)))
        .collect();
    for (code, d) in store::settings(app)? {
        out.insert(code.to_uppercase(), (d, Source::Page));
    }
    Ok(out)
}

/// Every directory the portal uses, by agency code.
pub fn effective(app: &App) -> BTreeMap<String, AgencyDirectory> {
    match effective_with_source(app) {
        Ok(all) => all.into_iter().map(|(c, (d, _))| (c, d)).collect(),
        Err(e) => {
            // The store cannot be read: the file's settings still let people sign in.
            tracing::error!(error = %e, "reading the directories' settings failed");
            app.config.directory.agencies.clone()
        }
    }
}

/// The settings form as typed (text fields; checkboxes are `"true"` when ticked).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    pub agency: String,
    pub url: String,
    pub starttls: String,
    pub ca_file: String,
    pub allow_plaintext_on_loopback: String,
    pub bind_dn: String,
    pub bind_password_file: String,
    pub base_dn: String,
    pub user_filter: String,
    pub sync_filter: String,
    pub login_attr: String,
    pub name_ru_attr: String,
    pub name_kk_attr: String,
    pub position_ru_attr: String,
    pub position_kk_attr: String,
    pub department_attr: String,
    pub email_attr: String,
}

fn ticked(s: &str) -> bool {
    matches!(s.trim(), "true" | "on" | "1")
}

impl SettingsInput {
    pub fn to_settings(&self) -> AgencyDirectory {
        let t = |s: &String| s.trim().to_owned();
        AgencyDirectory {
            url: t(&self.url),
            starttls: ticked(&self.starttls),
            ca_file: t(&self.ca_file),
            allow_plaintext_on_loopback: ticked(&self.allow_plaintext_on_loopback),
            bind_dn: t(&self.bind_dn),
            bind_password_file: t(&self.bind_password_file),
            base_dn: t(&self.base_dn),
            user_filter: t(&self.user_filter),
            sync_filter: t(&self.sync_filter),
            attributes: AttributeMap {
                login: t(&self.login_attr),
                name_ru: t(&self.name_ru_attr),
                name_kk: t(&self.name_kk_attr),
                position_ru: t(&self.position_ru_attr),
                position_kk: t(&self.position_kk_attr),
                department: t(&self.department_attr),
                email: t(&self.email_attr),
            },
        }
    }

    /// The form's values for settings already in use (pre-filling the edit form).
    pub fn pairs(code: &str, d: &AgencyDirectory) -> Vec<(&'static str, String)> {
        let a = &d.attributes;
        let tick = |b: bool| if b { "true".to_owned() } else { String::new() };
        vec![
            ("agency", code.to_owned()),
            ("url", d.url.clone()),
            ("starttls", tick(d.starttls)),
            ("ca_file", d.ca_file.clone()),
            ("allow_plaintext_on_loopback", tick(d.allow_plaintext_on_loopback)),
            ("bind_dn", d.bind_dn.clone()),
            ("bind_password_file", d.bind_password_file.clone()),
            ("base_dn", d.base_dn.clone()),
            ("user_filter", d.user_filter.clone()),
            ("sync_filter", d.sync_filter.clone()),
            ("login_attr", a.login.clone()),
            ("name_ru_attr", a.name_ru.clone()),
            ("name_kk_attr", a.name_kk.clone()),
            ("position_ru_attr", a.position_ru.clone()),
            ("position_kk_attr", a.position_kk.clone()),
            ("department_attr", a.department.clone()),
            ("email_attr", a.email.clone()),
        ]
    }
}

fn invalid(field: &str, key: &'static str) -> Error {
    Error::invalid(field, key)
}

/// Whether `path` names a readable file that holds a PEM certificate.
fn holds_certificate(path: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains("-----BEGIN CERTIFICATE-----"))
}

/// Checks settings before they are kept; the first problem, on its field.
pub fn validate(d: &AgencyDirectory) -> Result<()> {
    let scheme = d.url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("ldap" | "ldaps")) || d.url.ends_with("://") {
        return Err(invalid("url", "ldap-settings-url"));
    }
    let transport = match d.transport() {
        Ok(t) => t,
        Err(_) if scheme.as_deref() == Some("ldaps") => {
            return Err(invalid("starttls", "ldap-settings-starttls-ldaps"));
        }
        Err(_) => return Err(invalid("url", "ldap-settings-plain")),
    };
    if transport != Transport::PlainLoopback {
        if d.ca_file.is_empty() {
            return Err(invalid("ca_file", "ldap-settings-ca-required"));
        }
        if !holds_certificate(&d.ca_file) {
            return Err(invalid("ca_file", "ldap-settings-ca-unreadable"));
        }
    }
    if !d.bind_dn.is_empty() {
        if d.bind_password_file.is_empty() {
            return Err(invalid("bind_password_file", "ldap-settings-password-file-required"));
        }
        if !std::fs::read_to_string(&d.bind_password_file).is_ok_and(|p| !p.trim().is_empty()) {
            return Err(invalid("bind_password_file", "ldap-settings-password-file-unreadable"));
        }
    }
    if d.base_dn.is_empty() {
        return Err(invalid("base_dn", "ldap-settings-base-required"));
    }
    if !d.user_filter.contains("{login}") || !balanced(&d.user_filter) {
        return Err(invalid("user_filter", "ldap-settings-user-filter"));
    }
    if d.sync_filter.is_empty() || !balanced(&d.sync_filter) {
        return Err(invalid("sync_filter", "ldap-settings-sync-filter"));
    }
    if d.attributes.login.is_empty() {
        return Err(invalid("login_attr", "ldap-settings-login-attribute"));
    }
    Ok(())
}

/// A filter in parentheses whose parentheses pair up (RFC 4515's outer form).
fn balanced(filter: &str) -> bool {
    let mut depth = 0i32;
    for c in filter.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0 && filter.starts_with('(')
}

/// Keeps the settings of an agency's directory, set on the page (the system administrator).
pub fn save(app: &App, actor: &Actor, input: &SettingsInput) -> Result<String> {
    require(actor, Action::DirectorySync(DirectorySyncAction::Edit), Object::Appliance)?;
    let code = input.agency.trim().to_uppercase();
    let agencies = crate::portal::directory::service::agencies_by_id(app)?;
    if code.is_empty() || !agencies.values().any(|a| a.code.eq_ignore_ascii_case(&code)) {
        return Err(invalid("agency", "ldap-settings-agency"));
    }
    let settings = input.to_settings();
    validate(&settings)?;
    let detail = serde_json::json!({ "agency": code, "url": settings.url });
    app.audit.change(actor, "ldap.edit", |txn| {
        store::put_settings(txn, &code, &settings)?;
        Ok(((), Some(detail)))
    })?;
    Ok(code)
}

/// Removes the page's settings of an agency's directory (the file's apply again, if any).
pub fn remove(app: &App, actor: &Actor, code: &str) -> Result<()> {
    require(actor, Action::DirectorySync(DirectorySyncAction::Edit), Object::Appliance)?;
    let code = code.trim().to_uppercase();
    let detail = serde_json::json!({ "agency": code, "removed": true });
    app.audit.change(actor, "ldap.edit", |txn| {
        if !store::remove_settings(txn, &code)? {
            return Err(Error::not_found());
        }
        Ok(((), Some(detail)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good(dir: &std::path::Path) -> AgencyDirectory {
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
            .unwrap();
        AgencyDirectory {
            url: "ldaps://dc1.akm.local:636".into(),
            ca_file: ca.display().to_string(),
            base_dn: "ou=people,dc=akm,dc=local".into(),
            ..AgencyDirectory::default()
        }
    }

    /// A change that makes good settings wrong.
    type Change = fn(&mut AgencyDirectory);

    fn field_of(d: &AgencyDirectory) -> Option<(String, String)> {
        validate(d)
            .err()
            .map(|e| (e.field.unwrap_or_default(), e.detail_key.unwrap_or_default().to_owned()))
    }

    #[test]
    fn i617_s21_each_wrong_setting_is_refused_on_its_field() {
        let dir = tempfile::tempdir().unwrap();
        let ok = good(dir.path());
        assert_eq!(field_of(&ok), None);
        let cases: &[(Change, &str, &str)] = &[
            (|d| d.url = "dc1.akm.local".into(), "url", "ldap-settings-url"),
            (|d| d.url = "ldap://dc1:389".into(), "url", "ldap-settings-plain"),
            (|d| d.starttls = true, "starttls", "ldap-settings-starttls-ldaps"),
            (|d| d.ca_file.clear(), "ca_file", "ldap-settings-ca-required"),
            (
                |d| d.ca_file = "/nonexistent/ca.pem".into(),
                "ca_file",
                "ldap-settings-ca-unreadable",
            ),
            (
                |d| d.bind_dn = "cn=reader".into(),
                "bind_password_file",
                "ldap-settings-password-file-required",
            ),
            (|d| d.base_dn.clear(), "base_dn", "ldap-settings-base-required"),
            (|d| d.user_filter = "(uid=x)".into(), "user_filter", "ldap-settings-user-filter"),
            (|d| d.user_filter = "(uid={login}".into(), "user_filter", "ldap-settings-user-filter"),
            (
                |d| d.sync_filter = "objectClass=person)".into(),
                "sync_filter",
                "ldap-settings-sync-filter",
            ),
            (|d| d.attributes.login.clear(), "login_attr", "ldap-settings-login-attribute"),
        ];
        for (change, field, key) in cases {
            let mut d = ok.clone();
            change(&mut d);
            assert_eq!(field_of(&d), Some((field.to_string(), key.to_string())), "{field} {key}");
        }
        // StartTLS on ldap://, and plain only on loopback when allowed.
        let mut d = ok.clone();
        d.url = "ldap://dc1:389".into();
        d.starttls = true;
        assert_eq!(field_of(&d), None);
        let mut d = ok;
        d.url = "ldap://127.0.0.1:389".into();
        d.allow_plaintext_on_loopback = true;
        d.ca_file.clear();
        assert_eq!(field_of(&d), None);
    }

    #[test]
    fn the_form_round_trips_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let d = good(dir.path());
        let pairs = SettingsInput::pairs("AKM", &d);
        let body = serde_urlencoded::to_string(&pairs).unwrap();
        let input: SettingsInput = serde_urlencoded::from_str(&body).unwrap();
        let back = input.to_settings();
        assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&d).unwrap());
    }
}
