//! Page templates of the documents feature (`web/templates/documents/*.html`).

use askama::Template;

use super::destroy::Certificate;
use super::model::{FieldKind, TypeSpec};
use super::service::{DiffLine, DocumentView, ListItem, VersionView};
use super::signatures::SignatureView;
use crate::portal::directory::model::Agency;
use crate::web::forms::{Field, Form};
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
    /// The column heads that sort (issue 21 p. 7).
    pub columns: crate::web::sorting::Columns,
    /// Sorted among the newest [`SORTED`](super::http) only: more exist.
    pub capped: bool,
}

#[derive(Template)]
#[template(path = "documents/view.html")]
pub struct ViewPage<'a> {
    pub page: PageCtx<'a>,
    pub document: DocumentView,
    pub shown: u32,
    pub signing: SigningSection,
    /// The refused form of the page (`sign` or `comment`), or an empty one.
    pub f: Form,
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
    /// The form `id` as shown: the refused one, or a fresh one.
    pub fn form(&self, id: &'static str) -> Form {
        if self.f.id == id { self.f.clone() } else { Form::new(id) }
    }

    pub fn shown_version(&self) -> &VersionView {
        self.document.version(self.shown).unwrap_or_else(|| self.document.current())
    }

    pub fn title(&self) -> &str {
        self.shown_version().content.title_in(self.page.lang)
    }
}

/// The posting form: first the choice of type (a new document without one), then the
/// form of that type; or a new version of a document.
#[derive(Template)]
#[template(path = "documents/edit.html")]
pub struct EditPage<'a> {
    pub page: PageCtx<'a>,
    /// `None` for a new document; the document for a new version.
    pub document: Option<DocumentView>,
    /// The chosen type of a new document (`None`: choose it first).
    pub doc_type: Option<&'static TypeSpec>,
    pub max_mb: u64,
    pub f: Form,
}

/// Types a person posts here; the documents of a draft's approval are made by its
/// workflow (`/drafts`).
pub fn offered_type(t: &TypeSpec) -> bool {
    !matches!(t.code, "draft_act" | "cover_letter" | "protocol" | "minutes")
}

impl EditPage<'_> {
    pub fn action(&self) -> String {
        match &self.document {
            Some(d) => format!("/documents/{}/versions", d.id),
            None => "/documents".into(),
        }
    }

    pub fn cancel(&self) -> String {
        match &self.document {
            Some(d) => format!("/documents/{}", d.id),
            None => "/documents".into(),
        }
    }

    pub fn choosing_type(&self) -> bool {
        self.document.is_none() && self.doc_type.is_none()
    }

    pub fn offered_types(&self) -> Vec<&'static TypeSpec> {
        super::model::TYPES.iter().filter(|t| offered_type(t)).collect()
    }

    pub fn type_code(&self) -> &str {
        match (&self.document, self.doc_type) {
            (Some(d), _) => &d.doc_type,
            (None, Some(t)) => t.code,
            (None, None) => "",
        }
    }

    /// The fields of the document's type only.
    pub fn type_fields(&self) -> &'static [super::model::FieldSpec] {
        super::model::type_spec(self.type_code()).map(|t| t.fields).unwrap_or(&[])
    }

    pub fn current(&self) -> Option<&VersionView> {
        self.document.as_ref().map(|d| d.current())
    }

    /// Files chosen in the refused attempt (the browser cannot keep them).
    pub fn chosen_files(&self) -> String {
        self.f.values_of("file").join(", ")
    }

    pub fn field_type(&self, kind: &FieldKind) -> &'static str {
        match kind {
            FieldKind::Date => "date",
            FieldKind::Text(_) => "text",
        }
    }

    /// A type field's label, "(required)" added where it is.
    pub fn field_label(&self, field: &super::model::FieldSpec) -> String {
        let label = self.page.tk("docfield-", field.name);
        if field.required { format!("{label} ({})", self.page.t("required")) } else { label }
    }
}

/// The fields of the posting form, for the messages of a refused one.
pub fn posting_fields(doc_type: &str) -> Vec<Field> {
    let mut fields = vec![
        Field::new("title", "field-title"),
        Field::new("title_kk", "field-title-kk"),
        Field::new("title_ru", "field-title-ru"),
        Field::new("text", "field-text"),
        Field::new("type", "field-type"),
        Field::new("access", "field-access"),
        Field::new("note", "document-note"),
        Field::aliased("keep_files", "document-keep-files", &["base_version"]),
        Field::aliased("file", "document-attach", &["meta"]),
    ];
    if let Some(t) = super::model::type_spec(doc_type) {
        fields.extend(t.fields.iter().map(|f| {
            Field::dynamic(format!("field.{}", f.name), format!("docfield-{}", f.name), f.name)
        }));
    }
    fields
}

/// The edit form pre-filled with a version's content (every file kept).
pub fn version_form(v: &VersionView) -> Form {
    let c = &v.content;
    let mut f = Form::new("document")
        .set("title", c.title.clone())
        .set("title_kk", c.title_kk.clone())
        .set("title_ru", c.title_ru.clone())
        .set("text", c.text.clone());
    for (k, val) in &c.fields {
        f = f.set(&format!("field.{k}"), val.clone());
    }
    for file in &c.files {
        f = f.set(&format!("keep.{}", file.id), "1");
    }
    f
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
    pub f: Form,
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
