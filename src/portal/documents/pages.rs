//! Page templates of the documents feature (`web/templates/documents/*.html`).

use askama::Template;

use super::destroy::Certificate;
use super::model::{FieldKind, TypeSpec};
use super::service::{DiffLine, DocumentView, ListItem, VersionView};
use super::signatures::SignatureView;
use crate::portal::directory::model::Agency;
use crate::web::render::PageCtx;

#[derive(Template)]
#[template(path = "documents/list.html")]
pub struct ListPage<'a> {
    pub page: PageCtx<'a>,
    pub items: Vec<ListItem>,
    pub agencies: Vec<Agency>,
    pub types: &'static [TypeSpec],
    pub filter: super::service::ListFilter,
    pub next_before: Option<u64>,
    pub query: String,
}

#[derive(Template)]
#[template(path = "documents/view.html")]
pub struct ViewPage<'a> {
    pub page: PageCtx<'a>,
    pub document: DocumentView,
    pub shown: u32,
    pub signing: SigningSection,
}

/// The shown version's signing manifest and signatures (I385 §58–§59).
pub struct SigningSection {
    pub manifest: String,
    pub rows: Vec<SignatureRow>,
}

/// One signature as the page shows it.
pub struct SignatureRow {
    pub view: SignatureView,
    /// The portal account that gave it.
    pub user: String,
}

impl SignatureRow {
    pub fn status_key(&self) -> String {
        format!("signature-status-{}", self.view.status.replace('_', "-"))
    }

    pub fn css(&self) -> &'static str {
        match self.view.status {
            "valid" => "ok",
            "revoked_later" => "warn",
            _ => "bad",
        }
    }

    pub fn reason_key(&self) -> Option<&'static str> {
        self.view.reason.map(|r| r.message_key())
    }

    pub fn subject(&self) -> String {
        self.view.signer.as_ref().map(|s| s.subject.clone()).unwrap_or_default()
    }

    pub fn issuer(&self) -> String {
        self.view.signer.as_ref().map(|s| s.issuer.clone()).unwrap_or_default()
    }

    /// `IIN… / BIN…` as the certificate names them.
    pub fn ids(&self) -> String {
        let Some(s) = &self.view.signer else { return String::new() };
        [s.iin.as_deref(), s.bin.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" / ")
    }
}

impl ViewPage<'_> {
    pub fn shown_version(&self) -> &VersionView {
        self.document.version(self.shown).unwrap_or_else(|| self.document.current())
    }

    pub fn title(&self) -> &str {
        self.shown_version().content.title_in(self.page.lang)
    }
}

#[derive(Template)]
#[template(path = "documents/edit.html")]
pub struct EditPage<'a> {
    pub page: PageCtx<'a>,
    /// `None` for a new document; the document for a new version.
    pub document: Option<DocumentView>,
    pub types: &'static [TypeSpec],
    pub max_mb: u64,
}

impl EditPage<'_> {
    pub fn action(&self) -> String {
        match &self.document {
            Some(d) => format!("/documents/{}/versions?csrf={}", d.id, self.page.csrf),
            None => format!("/documents?csrf={}", self.page.csrf),
        }
    }

    pub fn current(&self) -> Option<&VersionView> {
        self.document.as_ref().map(|d| d.current())
    }

    /// Whether the form shows the fields of a type: all types for a new document, the
    /// document's own type for a new version.
    pub fn shows_type(&self, code: &str) -> bool {
        self.document.as_ref().is_none_or(|d| d.doc_type == code)
    }

    pub fn value(&self, field: &str) -> String {
        self.current().and_then(|v| v.content.fields.get(field).cloned()).unwrap_or_default()
    }

    pub fn field_type(&self, kind: &FieldKind) -> &'static str {
        match kind {
            FieldKind::Date => "date",
            FieldKind::Text(_) => "text",
        }
    }
}

#[derive(Template)]
#[template(path = "documents/diff.html")]
pub struct DiffPage<'a> {
    pub page: PageCtx<'a>,
    pub document: DocumentView,
    pub lines: Vec<DiffLine>,
    pub from: u32,
    pub to: u32,
}

#[derive(Template)]
#[template(path = "documents/destroy.html")]
pub struct DestroyPage<'a> {
    pub page: PageCtx<'a>,
    pub document: DocumentView,
}

#[derive(Template)]
#[template(path = "documents/destroyed.html")]
pub struct DestroyedPage<'a> {
    pub page: PageCtx<'a>,
    pub certificate: Certificate,
    pub certificate_json: String,
}

/// Sizes for people: `1.4 MB`, `320 KB`, `15 B`.
pub fn human_size(bytes: &u64) -> String {
    let b = *bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}
