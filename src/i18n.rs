//! Kazakh, Russian and English texts (Fluent files in `web/locales/<lang>/<file>.ftl`,
//! compiled into the binary). Used by pages, error messages and mail.
//!
//! `main.ftl` holds the platform's texts; a portal feature keeps its own texts in a file
//! named after it (e.g. `drafts.ftl`) in each language folder and adds its name to
//! [`FILES`]. Message ids are one namespace across the files: a duplicate fails at start.

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

pub const LANGS: [&str; 3] = ["kk", "ru", "en"];

/// One Fluent file per feature, in every language of [`LANGS`] (kk, ru, en).
macro_rules! ftl_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, [
            include_str!(concat!("../web/locales/kk/", $name, ".ftl")),
            include_str!(concat!("../web/locales/ru/", $name, ".ftl")),
            include_str!(concat!("../web/locales/en/", $name, ".ftl")),
        ])),*]
    };
}

/// (file name, [kk, ru, en] sources).
const FILES: &[(&str, [&str; 3])] = ftl_files![
    "main",
    "calendar",
    "security",
    "polls",
    "plans",
    "helpdesk",
    "discussions",
    "proposals",
    "account_requests",
    "trainings",
    "usage",
    "reminders",
    "meetings",
    "headcount",
    "surveys",
    "accesslog",
    "ldap",
    "selfaudit",
    "help",
    "places"
];

/// The sources of one language, file by file.
fn sources(lang: &str) -> impl Iterator<Item = (&'static str, &'static str)> {
    let index = LANGS.iter().position(|l| *l == lang);
    FILES.iter().filter_map(move |(name, texts)| index.map(|i| (*name, texts[i])))
}

pub struct I18n {
    bundles: Vec<(&'static str, FluentBundle<FluentResource>)>,
}

/// A supported language code, or the fallback.
pub fn supported(lang: &str) -> Option<&'static str> {
    LANGS.iter().copied().find(|l| *l == lang)
}

/// Picks the first supported language from an `Accept-Language` header.
pub fn from_accept_language(header: &str) -> Option<&'static str> {
    let mut choices: Vec<(f32, &'static str)> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let primary = tag.split('-').next()?;
            supported(primary).map(|l| (q, l))
        })
        .collect();
    choices.sort_by(|a, b| b.0.total_cmp(&a.0));
    choices.first().map(|c| c.1)
}

impl I18n {
    pub fn load() -> I18n {
        let bundles = LANGS
            .iter()
            .map(|lang| {
                let id = lang.parse().expect("valid language id");
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                bundle.set_use_isolating(false);
                for (name, source) in sources(lang) {
                    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(
                        |(_, errors)| {
                            panic!("web/locales/{lang}/{name}.ftl does not parse: {errors:?}")
                        },
                    );
                    bundle
                        .add_resource(resource)
                        .unwrap_or_else(|e| panic!("{lang}/{name}.ftl: duplicate messages {e:?}"));
                }
                (*lang, bundle)
            })
            .collect();
        I18n { bundles }
    }

    fn bundle(&self, lang: &str) -> &FluentBundle<FluentResource> {
        self.bundles.iter().find(|(l, _)| *l == lang).map(|(_, b)| b).unwrap_or(&self.bundles[1].1)
    }

    /// The text of a message; the message id itself if it is missing (tests catch that).
    pub fn text(&self, lang: &str, key: &str) -> String {
        self.format(lang, key, None).into_owned()
    }

    pub fn text_with(&self, lang: &str, key: &str, args: &[(&str, &str)]) -> String {
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, FluentValue::from(v.to_string()));
        }
        self.format(lang, key, Some(&fargs)).into_owned()
    }

    /// The full text of an error: the code's message, then the precise reason.
    pub fn error_message(&self, lang: &str, error: &crate::error::Error) -> String {
        let mut text = self.text(lang, &error.code.message_key());
        if let Some(reason) = self.error_reason(lang, error) {
            text.push(' ');
            text.push_str(&reason);
        }
        text
    }

    /// The precise reason of an error (its `detail_key` with its arguments), if it has one.
    pub fn error_reason(&self, lang: &str, error: &crate::error::Error) -> Option<String> {
        let key = error.detail_key?;
        let args: Vec<(&str, &str)> = error.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Some(self.text_with(lang, key, &args))
    }

    pub fn has(&self, lang: &str, key: &str) -> bool {
        self.bundle(lang).has_message(key)
    }

    fn format<'a>(&'a self, lang: &str, key: &'a str, args: Option<&FluentArgs>) -> Cow<'a, str> {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return Cow::Borrowed(key);
        };
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, args, &mut errors)
    }

    /// Every message id of a language (for completeness tests).
    pub fn ids(lang: &str) -> Vec<String> {
        sources(lang)
            .flat_map(|(_, source)| source.lines())
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message() {
        let reference = I18n::ids("ru");
        assert!(reference.len() > 50);
        for lang in LANGS {
            let ids = I18n::ids(lang);
            for id in &reference {
                assert!(ids.contains(id), "{lang} lacks {id}");
            }
            assert_eq!(ids.len(), reference.len(), "{lang} has extra messages");
        }
    }

    #[test]
    fn every_error_code_and_role_is_translated() {
        let i18n = I18n::load();
        for lang in LANGS {
            for code in crate::error::Code::ALL {
                assert!(i18n.has(lang, &code.message_key()), "{lang} lacks {}", code.message_key());
            }
            for role in crate::auth::roles::Role::ALL {
                assert!(i18n.has(lang, &role.message_key()), "{lang} lacks {}", role.message_key());
            }
        }
    }

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(from_accept_language("kk-KZ,kk;q=0.9,ru;q=0.8"), Some("kk"));
        assert_eq!(from_accept_language("de-DE, ru;q=0.5, en;q=0.7"), Some("en"));
        assert_eq!(from_accept_language("de"), None);
    }

    #[test]
    fn arguments_are_substituted() {
        let i18n = I18n::load();
        let text = i18n.text_with("en", "welcome-user", &[("name", "Aliya")]);
        assert!(text.contains("Aliya"), "{text}");
    }
}
