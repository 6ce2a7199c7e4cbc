//! What a notice says, kept as words to be translated rather than as translated text: a
//! message key and its arguments. The inbox renders them in the reader's language when the
//! page (or the API, or the live stream) shows them, and the mailer in the recipient's
//! language when it sends — so a Kazakh reader never sees a Russian notice because the
//! event happened on a Russian page, and a person who switches language sees every earlier
//! notice in the new one.
//!
//! An argument is either plain text (numbers, a reason a person typed, a certificate
//! subject), a name that exists in several languages (an agency, a department, a person,
//! a document's title), another message (a status, a document type) or a moment (shown in
//! Astana time).

use serde::{Deserialize, Serialize};

use crate::i18n::I18n;

/// A name in the languages it exists in; empty where it does not.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Names {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kk: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ru: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub en: String,
}

impl Names {
    pub fn new(kk: &str, ru: &str, en: &str) -> Names {
        Names { kk: kk.trim().to_owned(), ru: ru.trim().to_owned(), en: en.trim().to_owned() }
    }

    /// The name in `lang`; otherwise Russian, Kazakh, English — the first that exists.
    /// Russian comes first among the fallbacks because every name in the directory has
    /// one (it is the language of inter-agency correspondence).
    pub fn get(&self, lang: &str) -> &str {
        let own = match lang {
            "kk" => &self.kk,
            "en" => &self.en,
            _ => &self.ru,
        };
        [own, &self.ru, &self.kk, &self.en]
            .into_iter()
            .find(|n| !n.is_empty())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// One argument of a notice message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    /// Shown as it is.
    Text(String),
    /// Shown in the reader's language, with a fallback.
    Names(Names),
    /// The text of another message in the reader's language.
    Message(String),
    /// A UTC moment in stored form, shown in Astana time.
    Time(String),
}

impl Arg {
    /// The argument as a reader of `lang` sees it.
    pub fn shown(&self, i18n: &I18n, lang: &str) -> String {
        match self {
            Arg::Text(t) => t.clone(),
            Arg::Names(n) => n.get(lang).to_owned(),
            Arg::Message(key) => i18n.text(lang, key),
            Arg::Time(utc) => crate::clock::parse(utc)
                .map(crate::clock::local_display)
                .unwrap_or_else(|| utc.clone()),
        }
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Arg {
        Arg::Text(text)
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_owned())
    }
}

impl From<Names> for Arg {
    fn from(names: Names) -> Arg {
        Arg::Names(names)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Text(n.to_string())
    }
}

/// The subject and body of notice `key` (`notice-<key>-subject`, `notice-<key>-body`) in
/// `lang`.
pub fn render<K: AsRef<str>>(
    i18n: &I18n,
    lang: &str,
    key: &str,
    args: &[(K, Arg)],
) -> (String, String) {
    let shown: Vec<(&str, String)> =
        args.iter().map(|(k, v)| (k.as_ref(), v.shown(i18n, lang))).collect();
    let refs: Vec<(&str, &str)> = shown.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let subject = i18n.text_with(lang, &format!("notice-{key}-subject"), &refs);
    let body = i18n.text_with(lang, &format!("notice-{key}-body"), &refs);
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fall_back_from_the_reader_language_to_russian_then_kazakh_then_english() {
        let full = Names::new("Қаржы министрлігі", "Министерство финансов", "Ministry of Finance");
        assert_eq!(full.get("kk"), "Қаржы министрлігі");
        assert_eq!(full.get("ru"), "Министерство финансов");
        assert_eq!(full.get("en"), "Ministry of Finance");
        let no_en = Names::new("Қаржы министрлігі", "Министерство финансов", "");
        assert_eq!(no_en.get("en"), "Министерство финансов");
        let kk_only = Names::new("Қаржы министрлігі", "", "");
        assert_eq!(kk_only.get("ru"), "Қаржы министрлігі");
        assert_eq!(kk_only.get("en"), "Қаржы министрлігі");
        assert_eq!(Names::default().get("kk"), "");
    }

    #[test]
    fn one_stored_notice_reads_in_each_language_without_mixing() {
        let i18n = I18n::load();
        let args = vec![
            ("title", Arg::Names(Names::new("Мемлекеттік қызмет туралы", "О госслужбе", ""))),
            ("agency", Arg::Names(Names::new("Қаржы министрлігі", "Министерство финансов", ""))),
            ("id", Arg::from(7u64)),
        ];
        let (kk_subject, kk_body) = render(&i18n, "kk", "draft-approved", &args);
        assert!(kk_subject.contains("Қаржы министрлігі"), "{kk_subject}");
        assert!(kk_body.contains("Мемлекеттік қызмет туралы"), "{kk_body}");
        assert!(!kk_body.contains("Министерство") && !kk_body.contains("О госслужбе"), "{kk_body}");
        let (ru_subject, ru_body) = render(&i18n, "ru", "draft-approved", &args);
        assert!(ru_subject.contains("Министерство финансов"), "{ru_subject}");
        assert!(ru_body.contains("О госслужбе") && !ru_body.contains("Қаржы"), "{ru_body}");
        assert_ne!(kk_subject, ru_subject);
    }

    #[test]
    fn arguments_survive_storage_and_messages_and_times_are_rendered_on_display() {
        let i18n = I18n::load();
        let args = vec![
            ("a".to_owned(), Arg::Message("nav-inbox".into())),
            ("b".to_owned(), Arg::Time("2026-11-22T06:56:00Z".into())),
        ];
        let stored = serde_json::to_string(&args).unwrap();
        let back: Vec<(String, Arg)> = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, args);
        assert_eq!(back[0].1.shown(&i18n, "en"), i18n.text("en", "nav-inbox"));
        assert_eq!(back[0].1.shown(&i18n, "kk"), i18n.text("kk", "nav-inbox"));
        assert_eq!(back[1].1.shown(&i18n, "ru"), "22.11.2026 11:56");
    }
}
