//! The staff directory (I385 §6.1; I617 §20–§22): state bodies, their departments, the
//! people in them, and working groups. Types and input rules only; no I/O.

use serde::{Deserialize, Serialize};

use super::place::{AgencyKind, Region};
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::notify::Names;

/// A participating state body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Agency {
    pub id: u64,
    /// Short stable code, e.g. `MINJUST`.
    pub code: String,
    pub name_kk: String,
    pub name_ru: String,
    #[serde(default)]
    pub name_en: String,
    pub created: String,
    /// Where it stands (absent in databases written before regions were kept).
    #[serde(default)]
    pub region: Option<Region>,
    #[serde(default)]
    pub kind: Option<AgencyKind>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Department {
    pub id: u64,
    pub agency_id: u64,
    pub name_kk: String,
    pub name_ru: String,
    pub created: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
}

/// A person with an account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub agency_id: u64,
    #[serde(default)]
    pub department_id: Option<u64>,
    #[serde(default)]
    pub name_kk: String,
    #[serde(default)]
    pub name_ru: String,
    #[serde(default)]
    pub position_kk: String,
    #[serde(default)]
    pub position_ru: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub roles: Vec<Role>,
    pub status: UserStatus,
    /// UI language: kk, ru or en.
    pub lang: String,
    pub created: String,
}

impl User {
    /// The name to show in a language, falling back to the other language, then the login.
    pub fn display_name(&self, lang: &str) -> &str {
        let (first, second) = if lang == "kk" {
            (&self.name_kk, &self.name_ru)
        } else {
            (&self.name_ru, &self.name_kk)
        };
        if !first.is_empty() {
            first
        } else if !second.is_empty() {
            second
        } else {
            &self.login
        }
    }

    /// Every form of the name, for a notice to be read in any language.
    pub fn names(&self) -> Names {
        let mut names = Names::new(&self.name_kk, &self.name_ru, "");
        if names.kk.is_empty() && names.ru.is_empty() {
            names.ru = self.login.clone();
        }
        names
    }

    pub fn position(&self, lang: &str) -> &str {
        if lang == "kk" && !self.position_kk.is_empty() {
            &self.position_kk
        } else {
            &self.position_ru
        }
    }
}

impl Agency {
    /// The name in `lang`, with the fallback of [`Names::get`].
    pub fn name(&self, lang: &str) -> &str {
        match lang {
            "kk" if !self.name_kk.is_empty() => &self.name_kk,
            "en" if !self.name_en.is_empty() => &self.name_en,
            _ if !self.name_ru.is_empty() => &self.name_ru,
            _ if !self.name_kk.is_empty() => &self.name_kk,
            _ => &self.name_en,
        }
    }

    /// Every name, for a notice to be read in any language.
    pub fn names(&self) -> Names {
        Names::new(&self.name_kk, &self.name_ru, &self.name_en)
    }
}

impl Department {
    pub fn name(&self, lang: &str) -> &str {
        if lang == "kk" && !self.name_kk.is_empty() || self.name_ru.is_empty() {
            &self.name_kk
        } else {
            &self.name_ru
        }
    }

    pub fn names(&self) -> Names {
        Names::new(&self.name_kk, &self.name_ru, "")
    }
}

/// A working group (I385 §16, §52): people of one or several agencies, formed by a head.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkingGroup {
    pub id: u64,
    /// The agency whose head formed it.
    pub agency_id: u64,
    pub name_kk: String,
    pub name_ru: String,
    pub members: Vec<u64>,
    pub created_by: u64,
    pub created: String,
}

/// Input for a new account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewUser {
    pub login: String,
    pub agency: String,
    pub department_id: Option<u64>,
    pub name_kk: String,
    pub name_ru: String,
    pub position_kk: String,
    pub position_ru: String,
    pub email: String,
    pub phone: String,
    pub roles: Vec<Role>,
    pub lang: Option<String>,
    /// When given, the password is set as is and need not be changed at first sign-in.
    pub password: Option<String>,
}

/// Editable directory fields of an account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileEdit {
    pub name_kk: Option<String>,
    pub name_ru: Option<String>,
    pub position_kk: Option<String>,
    pub position_ru: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub department_id: Option<Option<u64>>,
    pub lang: Option<String>,
}

/// Logins: 3–64 of `a–z 0–9 . _ -`, starting with a letter; stored lowercased.
pub fn normalize_login(login: &str) -> Result<String> {
    let login = login.trim().to_lowercase();
    let ok = (3..=64).contains(&login.len())
        && login.starts_with(|c: char| c.is_ascii_lowercase())
        && login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(login) } else { Err(Error::invalid("login", "invalid-login")) }
}

/// Agency codes: 2–32 of `A–Z 0–9 _ -`; stored uppercased.
pub fn normalize_code(code: &str) -> Result<String> {
    let code = code.trim().to_uppercase();
    let ok = (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if ok { Ok(code) } else { Err(Error::invalid("code", "invalid-agency-code")) }
}

/// A required human-readable name: trimmed, 1–300 characters, no control characters.
pub fn clean_name(field: &str, value: &str, required: bool) -> Result<String> {
    let value = value.trim();
    if value.is_empty() && required {
        return Err(Error::invalid(field, "field-required"));
    }
    clean_text(field, value, 300)
}

/// Free text of bounded length without control characters.
pub fn clean_text(field: &str, value: &str, max_chars: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(Error::invalid(field, "field-too-long"));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "field-control-chars"));
    }
    Ok(value.to_owned())
}

/// Free text of several lines (a request, an answer, a justification): line breaks and
/// tabs are kept (CR LF becomes LF), other control characters are refused.
pub fn clean_paragraphs(field: &str, value: &str, max_chars: usize) -> Result<String> {
    let value = value.replace("\r\n", "\n");
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(Error::invalid(field, "field-too-long"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(field, "field-control-chars"));
    }
    Ok(value.to_owned())
}

pub fn clean_email(value: &str) -> Result<String> {
    let value = clean_text("email", value, 254)?;
    if value.is_empty() {
        return Ok(value);
    }
    let ok = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !value.contains(char::is_whitespace)
    });
    if ok { Ok(value) } else { Err(Error::invalid("email", "invalid-email")) }
}

pub fn clean_lang(value: &str) -> Result<String> {
    match value {
        "kk" | "ru" | "en" => Ok(value.to_owned()),
        _ => Err(Error::invalid("lang", "invalid-language")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        assert_eq!(normalize_login(" A.Nurlanova ").unwrap(), "a.nurlanova");
        for bad in ["ab", "1abc", "a b", "әлия", "a;drop", &"a".repeat(65)] {
            assert!(normalize_login(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn agency_codes() {
        assert_eq!(normalize_code("minjust").unwrap(), "MINJUST");
        assert!(normalize_code("M").is_err());
        assert!(normalize_code("МИН").is_err());
    }

    #[test]
    fn texts_and_emails() {
        assert!(clean_name("name_ru", "  ", true).is_err());
        assert_eq!(clean_name("name_kk", " Әлия Нұрланқызы ", true).unwrap(), "Әлия Нұрланқызы");
        assert!(clean_text("x", "a\u{0}b", 10).is_err());
        assert!(clean_email("aliya@gov.kz").is_ok());
        assert!(clean_email("aliya@gov").is_err());
        assert_eq!(clean_email("").unwrap(), "");
        assert_eq!(clean_paragraphs("t", " a\r\n\tb ", 10).unwrap(), "a\n\tb");
        assert!(clean_paragraphs("t", "a\u{7}b", 10).is_err());
        assert!(clean_paragraphs("t", &"ә".repeat(11), 10).is_err());
    }

    #[test]
    fn names_fall_back_between_languages() {
        let mut user = User {
            id: 1,
            login: "aliya".into(),
            agency_id: 1,
            department_id: None,
            name_kk: String::new(),
            name_ru: "Алия".into(),
            position_kk: String::new(),
            position_ru: String::new(),
            email: String::new(),
            phone: String::new(),
            roles: vec![],
            status: UserStatus::Active,
            lang: "kk".into(),
            created: String::new(),
        };
        assert_eq!(user.display_name("kk"), "Алия");
        user.name_ru.clear();
        assert_eq!(user.display_name("ru"), "aliya");
    }
}
