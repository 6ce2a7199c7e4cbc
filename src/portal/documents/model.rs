//! Documents (I385 §6.2–§6.3, §6.5, §6.7–§6.8, §7.7, §8–§10): types with their required
//! fields, access rules, versions, attached files, comments. Types and rules only; no I/O.
//!
//! What identifies or describes content — titles, text, fields, file names, plaintext hashes,
//! archive listings, comments — is kept only in [`VersionContent`] and comment texts, which
//! the store seals with the document's data key. Destroying that key (I385 §6.8) leaves
//! nothing readable behind. Only structure stays in the clear: ids, owner, dates, sizes,
//! the access rule and the names of the encrypted blobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::actor::UserIdentity;
use crate::blobs::BlobId;
use crate::error::{Error, Result};
use crate::formats::{ArchiveEntry, Format};

/// The most a document may hold: text plus all files (I385 §9).
pub const MAX_DOCUMENT_BYTES: u64 = 60 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text(usize),
    Date,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

/// A document type and the fields its form requires (I385 §6.2).
#[derive(Debug, Clone, Copy)]
pub struct TypeSpec {
    pub code: &'static str,
    pub text_required: bool,
    pub fields: &'static [FieldSpec],
}

pub const TYPES: &[TypeSpec] = &[
    TypeSpec { code: "generic", text_required: false, fields: &[] },
    // I385 §7.7: announcements, shown on the start page until they expire.
    TypeSpec {
        code: "announcement",
        text_required: true,
        fields: &[FieldSpec { name: "valid_until", kind: FieldKind::Date, required: false }],
    },
    // A normative or other registered act: registration number and date are required.
    TypeSpec {
        code: "regulation",
        text_required: false,
        fields: &[
            FieldSpec { name: "registration_number", kind: FieldKind::Text(64), required: true },
            FieldSpec { name: "registration_date", kind: FieldKind::Date, required: true },
        ],
    },
    // Draft legal acts and the documents of their approval (I385 §12–§25).
    TypeSpec { code: "draft_act", text_required: false, fields: &[] },
    TypeSpec { code: "cover_letter", text_required: true, fields: &[] },
    TypeSpec { code: "protocol", text_required: false, fields: &[] },
    TypeSpec { code: "minutes", text_required: false, fields: &[] },
    // Action plans (I385 §29–§37): the approval document of a plan, a consolidated report.
    TypeSpec { code: "action_plan", text_required: false, fields: &[] },
    TypeSpec { code: "plan_report", text_required: true, fields: &[] },
    // Official correspondence.
    TypeSpec {
        code: "letter",
        text_required: false,
        fields: &[
            FieldSpec { name: "outgoing_number", kind: FieldKind::Text(64), required: true },
            FieldSpec { name: "outgoing_date", kind: FieldKind::Date, required: true },
            FieldSpec { name: "addressee", kind: FieldKind::Text(500), required: false },
        ],
    },
];

pub fn type_spec(code: &str) -> Option<&'static TypeSpec> {
    TYPES.iter().find(|t| t.code == code)
}

/// Who may read a document, besides its author (I385 §6.1, §61).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    /// Every participant of every agency.
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub agencies: Vec<u64>,
    #[serde(default)]
    pub departments: Vec<u64>,
    #[serde(default)]
    pub users: Vec<u64>,
    #[serde(default)]
    pub groups: Vec<u64>,
}

impl AccessRule {
    pub fn whole_agency(agency_id: u64) -> AccessRule {
        AccessRule { agencies: vec![agency_id], ..Default::default() }
    }

    pub fn everyone() -> AccessRule {
        AccessRule { all: true, ..Default::default() }
    }

    pub fn admits(&self, who: &UserIdentity) -> bool {
        self.all
            || self.agencies.contains(&who.agency_id)
            || who.department_id.is_some_and(|d| self.departments.contains(&d))
            || self.users.contains(&who.id)
            || who.groups.iter().any(|g| self.groups.contains(g))
    }

    /// Principal terms for access filtering inside search queries.
    pub fn principals(&self, author_id: u64) -> Vec<String> {
        let mut out = vec![format!("user:{author_id}")];
        if self.all {
            out.push("all".into());
        }
        out.extend(self.agencies.iter().map(|a| format!("agency:{a}")));
        out.extend(self.departments.iter().map(|d| format!("dept:{d}")));
        out.extend(self.users.iter().map(|u| format!("user:{u}")));
        out.extend(self.groups.iter().map(|g| format!("group:{g}")));
        out.sort();
        out.dedup();
        out
    }

    pub fn is_empty(&self) -> bool {
        !self.all
            && self.agencies.is_empty()
            && self.departments.is_empty()
            && self.users.is_empty()
            && self.groups.is_empty()
    }
}

/// The principal terms a person carries (matching [`AccessRule::principals`]).
pub fn principals_of(who: &UserIdentity) -> Vec<String> {
    let mut out =
        vec!["all".to_owned(), format!("agency:{}", who.agency_id), format!("user:{}", who.id)];
    if let Some(d) = who.department_id {
        out.push(format!("dept:{d}"));
    }
    out.extend(who.groups.iter().map(|g| format!("group:{g}")));
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DocState {
    Active,
    /// Destruction began and must be completed (after a crash, at the next start).
    Destroying {
        by: String,
        reason: String,
        started: String,
    },
    Destroyed {
        by: String,
        at: String,
        certificate_seq: u64,
    },
}

/// The clear-text part of a document record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub id: u64,
    pub doc_type: String,
    pub agency_id: u64,
    pub author_id: u64,
    pub created: String,
    pub updated: String,
    pub access: AccessRule,
    pub current_version: u32,
    pub state: DocState,
}

#[cfg(test)]
impl DocumentRecord {
    /// A document of agency 1 by account 1, in `state` (for unit tests of the store).
    pub fn for_test(id: u64, state: DocState) -> DocumentRecord {
        DocumentRecord {
            id,
            doc_type: "generic".into(),
            agency_id: 1,
            author_id: 1,
            created: "2026-12-06T07:00:00Z".into(),
            updated: "2026-12-06T07:00:00Z".into(),
            access: AccessRule::default(),
            current_version: 1,
            state,
        }
    }
}

/// One attached file as stored: the encrypted blob and its sizes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredFile {
    pub id: u64,
    pub blob: BlobId,
    pub size: u64,
    pub stored_size: u64,
}

/// A version's clear-text record; its content is sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionRecord {
    pub doc_id: u64,
    pub n: u32,
    pub created: String,
    pub author_id: u64,
    /// Text plus files, in bytes (at most [`MAX_DOCUMENT_BYTES`]).
    pub total_size: u64,
    pub files: Vec<StoredFile>,
    /// [`VersionContent`] as JSON, sealed with the document key.
    #[serde(with = "crate::db::sealed_bytes")]
    pub sealed: Vec<u8>,
}

/// What a version says; stored sealed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VersionContent {
    pub title: String,
    #[serde(default)]
    pub title_kk: String,
    #[serde(default)]
    pub title_ru: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub files: Vec<FileMeta>,
    /// What changed in this version, in the author's words.
    #[serde(default)]
    pub note: String,
}

impl VersionContent {
    pub fn title_in(&self, lang: &str) -> &str {
        match lang {
            "kk" if !self.title_kk.is_empty() => &self.title_kk,
            "ru" if !self.title_ru.is_empty() => &self.title_ru,
            _ => &self.title,
        }
    }

    /// The title for a reader of each language: the Kazakh or Russian title where one was
    /// given, the main title otherwise.
    pub fn title_names(&self) -> crate::notify::Names {
        crate::notify::Names::new(self.title_in("kk"), self.title_in("ru"), &self.title)
    }
}

/// What a file is; stored sealed inside [`VersionContent`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileMeta {
    pub id: u64,
    pub name: String,
    pub format: Format,
    pub size: u64,
    /// sha256 of the bytes exactly as received.
    pub sha256: String,
    /// Members of a ZIP or RAR attachment.
    #[serde(default)]
    pub entries: Vec<ArchiveEntry>,
}

/// A comment (I385 §6.5), its text sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommentRecord {
    pub id: u64,
    pub doc_id: u64,
    pub version: u32,
    pub author_id: u64,
    pub created: String,
    #[serde(with = "crate::db::sealed_bytes")]
    pub sealed: Vec<u8>,
}

/// Checks type-specific fields and the text requirement; returns the cleaned fields.
pub fn validate_fields(
    spec: &TypeSpec,
    text: &str,
    fields: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    if spec.text_required && text.trim().is_empty() {
        return Err(Error::invalid("text", "field-required"));
    }
    for name in fields.keys() {
        if !spec.fields.iter().any(|f| f.name == name) {
            return Err(Error::invalid(name, "field-unknown"));
        }
    }
    let mut out = BTreeMap::new();
    for f in spec.fields {
        let value = fields.get(f.name).map(|v| v.trim()).unwrap_or("");
        if value.is_empty() {
            if f.required {
                return Err(Error::invalid(f.name, "field-required"));
            }
            continue;
        }
        match f.kind {
            FieldKind::Text(max) => {
                out.insert(
                    f.name.to_owned(),
                    crate::portal::directory::model::clean_text(f.name, value, max)?,
                );
            }
            FieldKind::Date => {
                let date: jiff::civil::Date =
                    value.parse().map_err(|_| Error::invalid(f.name, "invalid-date"))?;
                out.insert(f.name.to_owned(), date.to_string());
            }
        }
    }
    Ok(out)
}

/// A file name as given by a browser, made safe to keep and to send back: the last path
/// component, no control characters, at most 255 characters.
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() { "file".into() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::roles::RoleSet;

    fn who(agency: u64, dept: Option<u64>, groups: Vec<u64>) -> UserIdentity {
        UserIdentity {
            id: 50,
            login: "x".into(),
            agency_id: agency,
            agency_code: "A".into(),
            department_id: dept,
            roles: RoleSet::default(),
            groups,
            lang: "ru".into(),
            must_change_password: false,
        }
    }

    #[test]
    fn access_rules_admit_exactly_their_principals() {
        let rule = AccessRule {
            agencies: vec![1],
            departments: vec![7],
            users: vec![50],
            groups: vec![3],
            all: false,
        };
        assert!(rule.admits(&who(1, None, vec![])));
        assert!(rule.admits(&who(2, Some(7), vec![])));
        assert!(rule.admits(&who(2, None, vec![3])));
        let stranger = UserIdentity { id: 51, ..who(2, Some(8), vec![4]) };
        assert!(!rule.admits(&stranger));
        assert!(AccessRule::everyone().admits(&stranger));
        // The principal terms agree with `admits`.
        let terms = rule.principals(9);
        assert!(principals_of(&who(1, None, vec![])).iter().any(|p| terms.contains(p)));
        assert!(!principals_of(&stranger).iter().any(|p| terms.contains(p)));
    }

    #[test]
    fn type_fields_are_validated() {
        let reg = type_spec("regulation").unwrap();
        let mut fields = BTreeMap::new();
        assert_eq!(
            validate_fields(reg, "", &fields).unwrap_err().field.as_deref(),
            Some("registration_number")
        );
        fields.insert("registration_number".into(), "7829".into());
        fields.insert("registration_date".into(), "06.08.2012".into());
        assert_eq!(validate_fields(reg, "", &fields).unwrap_err().detail_key, Some("invalid-date"));
        fields.insert("registration_date".into(), "2012-08-06".into());
        assert!(validate_fields(reg, "", &fields).is_ok());
        fields.insert("colour".into(), "red".into());
        assert_eq!(
            validate_fields(reg, "", &fields).unwrap_err().detail_key,
            Some("field-unknown")
        );
        let ann = type_spec("announcement").unwrap();
        assert!(validate_fields(ann, "  ", &BTreeMap::new()).is_err(), "announcements need text");
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(clean_file_name("C:\\Users\\a\\Приказ №385.pdf"), "Приказ №385.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(clean_file_name(".hidden"), "hidden");
    }
}
