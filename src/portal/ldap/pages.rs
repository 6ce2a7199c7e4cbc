//! The settings page of the agencies' directories (I617 §20–§21): each configured
//! directory as the configuration file sets it (no password is ever shown), whether it
//! protects its connections, and what its last synchronisation did or why it failed.

use askama::Template;
use serde::Serialize;

use super::config::{AgencyDirectory, Transport};
use super::settings::Source;
use super::sync::Report;
use crate::web::forms::Form;
use crate::web::render::PageCtx;

/// One directory as the page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct DirectoryView {
    pub agency: String,
    pub url: String,
    /// `ldaps`, `starttls`, `plain_loopback`, or `refused` (the settings are wrong).
    pub transport: &'static str,
    pub ca_file: String,
    /// Empty: the directory is searched anonymously.
    pub bind_dn: String,
    pub base_dn: String,
    pub user_filter: String,
    pub sync_filter: String,
    /// Portal field → directory attribute.
    pub attributes: Vec<(&'static str, String)>,
    pub last_run: Option<Report>,
    /// `file` (the installation's configuration) or `page` (set on the settings page).
    pub source: Source,
}

impl DirectoryView {
    pub fn from_page(&self) -> bool {
        self.source == Source::Page
    }

    pub fn new(code: &str, d: &AgencyDirectory, source: Source, runs: &[Report]) -> DirectoryView {
        let a = &d.attributes;
        DirectoryView {
            agency: code.to_uppercase(),
            url: d.url.clone(),
            transport: match d.transport() {
                Ok(Transport::Ldaps) => "ldaps",
                Ok(Transport::StartTls) => "starttls",
                Ok(Transport::PlainLoopback) => "plain_loopback",
                Err(_) => "refused",
            },
            ca_file: d.ca_file.clone(),
            bind_dn: d.bind_dn.clone(),
            base_dn: d.base_dn.clone(),
            user_filter: d.user_filter.clone(),
            sync_filter: d.sync_filter.clone(),
            attributes: vec![
                ("login", a.login.clone()),
                ("name_ru", a.name_ru.clone()),
                ("name_kk", a.name_kk.clone()),
                ("position_ru", a.position_ru.clone()),
                ("position_kk", a.position_kk.clone()),
                ("department", a.department.clone()),
                ("email", a.email.clone()),
            ],
            last_run: runs.iter().find(|r| r.agency.eq_ignore_ascii_case(code)).cloned(),
            source,
        }
    }
}

#[derive(Template)]
#[template(path = "ldap/settings.html")]
pub struct SettingsPage<'a> {
    pub page: PageCtx<'a>,
    pub directories: Vec<DirectoryView>,
    pub interval_minutes: u64,
    pub timeout_seconds: u64,
    pub can_run: bool,
    pub can_edit: bool,
    /// The edit form of each directory, by agency code (pre-filled, or as refused).
    pub forms: Vec<(String, Form)>,
    /// The form that adds a directory for an agency that has none.
    pub new: Form,
    /// Agencies without a directory: (code, name in the page's language).
    pub agencies: Vec<(String, String)>,
}

impl SettingsPage<'_> {
    fn new_form(&self) -> &Form {
        &self.new
    }

    fn form_of(&self, code: &str) -> Option<&Form> {
        self.forms.iter().find(|(c, _)| c == code).map(|(_, f)| f)
    }

    /// A text field of the settings form `f` with its label.
    fn field(&self, f: &Form, name: &str, label: &str) -> crate::web::forms::Html {
        f.text(name, &self.page.t(label), "maxlength=\"500\"")
    }

    /// A checkbox of the settings form `f` (ticked: `true`).
    fn check(&self, f: &Form, name: &str, label: &str) -> crate::web::forms::Html {
        use crate::web::forms::{Html, escape};
        let checked = if f.value(name) == "true" { " checked" } else { "" };
        Html(format!(
            "<div class=\"{}\"><label><input type=\"checkbox\"{} value=\"true\"{checked}> {}</label>{}</div>",
            f.class(name),
            f.attrs(name),
            escape(&self.page.t(label)),
            f.message(name)
        ))
    }
}
