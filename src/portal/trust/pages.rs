//! Page templates of trust administration (`web/templates/trust/*.html`): the trust store
//! with each CA's validity and each CRL's age, registration certificates for the
//! administrator, and a person's own certificates.

use askama::Template;

use crate::ops::crl_fetch::Fetch;
use crate::sign::store::{CaRecord, CertStatus, CrlRecord, UserCertRecord};
use crate::web::forms::Form;
use crate::web::render::PageCtx;

fn day(t: jiff::Timestamp) -> String {
    crate::clock::local_display(t).chars().take(10).collect()
}

/// A CA as the trust page shows it.
pub struct CaRow {
    pub ca: CaRecord,
    pub valid_from: String,
    pub valid_to: String,
    /// `valid`, `expired` or `not_yet_valid`.
    pub state: &'static str,
}

impl CaRow {
    pub fn new(ca: CaRecord, now: jiff::Timestamp) -> CaRow {
        let state = if now > ca.summary.not_after {
            "expired"
        } else if now < ca.summary.not_before {
            "not_yet_valid"
        } else {
            "valid"
        };
        CaRow {
            valid_from: day(ca.summary.not_before),
            valid_to: day(ca.summary.not_after),
            state,
            ca,
        }
    }
}

/// A CRL in force as the trust page shows it.
pub struct CrlRow {
    pub crl: CrlRecord,
    pub issued: String,
    /// Hours since thisUpdate.
    pub age_hours: i64,
    pub next: String,
    pub stale: bool,
}

impl CrlRow {
    pub fn new(crl: CrlRecord, now: jiff::Timestamp) -> CrlRow {
        CrlRow {
            issued: crate::clock::local_display(crl.this_update),
            age_hours: now.duration_since(crl.this_update).as_hours(),
            next: crl.next_update.map(crate::clock::local_display).unwrap_or_else(|| "—".into()),
            stale: crl.next_update.is_some_and(|n| n < now),
            crl,
        }
    }
}

impl TrustPage<'_> {
    pub fn fetch_of(&self, url: &str) -> Option<&Fetch> {
        self.fetches.iter().find(|f| f.url == url)
    }
}

#[derive(Template)]
#[template(path = "trust/trust.html")]
pub struct TrustPage<'a> {
    pub page: PageCtx<'a>,
    pub cas: Vec<CaRow>,
    pub crls: Vec<CrlRow>,
    pub fetches: Vec<Fetch>,
    pub crl_urls: Vec<String>,
    pub can_manage: bool,
    pub can_view_certificates: bool,
    /// A refused form: `ca`, `crl`, `remove`.
    pub f: Form,
}

/// A registration as the certificate pages show it.
pub struct CertRow {
    pub cert: UserCertRecord,
    pub login: String,
    pub name: String,
    pub valid_to: String,
}

impl CertRow {
    pub fn new(cert: UserCertRecord, login: String, name: String) -> CertRow {
        CertRow { valid_to: day(cert.summary.not_after), cert, login, name }
    }

    pub fn status_key(&self) -> &'static str {
        if self.cert.is_destroyed() {
            return "certificate-status-destroyed";
        }
        match self.cert.status {
            CertStatus::Pending => "certificate-status-pending",
            CertStatus::Active => "certificate-status-active",
            CertStatus::Revoked => "certificate-status-revoked",
        }
    }

    pub fn pending(&self) -> bool {
        self.cert.status == CertStatus::Pending && !self.cert.is_destroyed()
    }

    pub fn active(&self) -> bool {
        self.cert.status == CertStatus::Active
    }

    pub fn destroyable(&self) -> bool {
        !self.active() && !self.cert.is_destroyed()
    }

    pub fn ids(&self) -> String {
        let s = &self.cert.summary;
        [s.iin.as_deref(), s.bin.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" / ")
    }
}

#[derive(Template)]
#[template(path = "trust/certificates.html")]
pub struct CertificatesPage<'a> {
    pub page: PageCtx<'a>,
    pub rows: Vec<CertRow>,
    pub can_manage: bool,
    /// A refused form: `register`, or `revoke`/`destroy`/`confirm` with the row's `fp`.
    pub f: Form,
}

/// The form `id` of the row `row` (revoke, destroy) as shown.
fn row_form(f: &Form, id: &'static str, row: &CertRow) -> Form {
    if f.id == id && f.value("fp") == row.cert.fingerprint { f.clone() } else { Form::new(id) }
}

impl CertificatesPage<'_> {
    pub fn form(&self, id: &'static str) -> Form {
        if self.f.id == id { self.f.clone() } else { Form::new(id) }
    }

    pub fn row_form(&self, id: &'static str, row: &CertRow) -> Form {
        row_form(&self.f, id, row)
    }
}

impl MyCertificatesPage<'_> {
    pub fn form(&self, id: &'static str) -> Form {
        if self.f.id == id { self.f.clone() } else { Form::new(id) }
    }

    pub fn row_form(&self, id: &'static str, row: &CertRow) -> Form {
        row_form(&self.f, id, row)
    }
}

impl TrustPage<'_> {
    pub fn form(&self, id: &'static str) -> Form {
        if self.f.id == id { self.f.clone() } else { Form::new(id) }
    }
}

#[derive(Template)]
#[template(path = "trust/my_certificates.html")]
pub struct MyCertificatesPage<'a> {
    pub page: PageCtx<'a>,
    pub rows: Vec<CertRow>,
    /// A refused form: `request`, or `revoke` with the row's `fp`.
    pub f: Form,
}
