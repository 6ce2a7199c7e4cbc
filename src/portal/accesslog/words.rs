//! Operations and outcomes of the access log in words (R365 §7, I617 §22): an auditor
//! reads "Draft acts — viewed", not `draft.read`. An operation name is `<area>.<verb…>`;
//! the area and the last verb are translated (`audit-area-*`, `audit-verb-*` in
//! `web/locales/*/accesslog.ftl`), and an operation whose verb has no word yet shows its
//! area with the name as logged, so nothing is hidden.

use crate::i18n::I18n;

/// The areas offered in the viewer's drop-down (the operation names' first part).
pub const AREAS: &[&str] = &[
    "session",
    "page",
    "document",
    "draft",
    "signature",
    "certificate",
    "trust",
    "meeting",
    "poll",
    "discussion",
    "plan",
    "headcount",
    "reminders",
    "survey",
    "helpdesk",
    "account_request",
    "training",
    "proposal",
    "calendar",
    "inbox",
    "mail",
    "search",
    "directory",
    "agency",
    "department",
    "user",
    "role",
    "group",
    "profile",
    "password",
    "audit",
    "backup",
    "maintenance",
    "system",
    "api",
    "static",
];

/// What happened to a request, in the order of the drop-down.
pub const OUTCOMES: &[&str] = &["ok", "denied", "invalid", "failed", "error"];

fn key(prefix: &str, code: &str) -> String {
    format!("{prefix}{}", code.replace(['_', '.'], "-"))
}

/// The area's word (`draft` → "Draft acts"); the code itself when it has none.
pub fn area(i18n: &I18n, lang: &str, code: &str) -> String {
    let k = key("audit-area-", code);
    if i18n.has(lang, &k) { i18n.text(lang, &k) } else { code.to_owned() }
}

/// The operation in words: "Draft acts — viewed".
pub fn operation(i18n: &I18n, lang: &str, op: &str) -> String {
    let (first, rest) = op.split_once('.').unwrap_or((op, ""));
    let verb = rest.rsplit('.').next().unwrap_or("");
    let area = area(i18n, lang, first);
    let k = key("audit-verb-", verb);
    if !verb.is_empty() && i18n.has(lang, &k) {
        format!("{area} — {}", i18n.text(lang, &k))
    } else if rest.is_empty() {
        area
    } else {
        format!("{area} — {rest}")
    }
}

/// The outcome in words (`denied` → "refused").
pub fn outcome(i18n: &I18n, lang: &str, code: &str) -> String {
    let k = key("audit-outcome-", code);
    if i18n.has(lang, &k) { i18n.text(lang, &k) } else { code.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_area_and_outcome_has_words_in_each_language() {
        let i18n = I18n::load();
        for lang in ["kk", "ru", "en"] {
            for a in AREAS {
                assert!(i18n.has(lang, &key("audit-area-", a)), "{lang}: area {a}");
            }
            for o in OUTCOMES {
                assert!(i18n.has(lang, &key("audit-outcome-", o)), "{lang}: outcome {o}");
            }
        }
        assert_eq!(operation(&i18n, "en", "draft.read"), "Draft acts — viewed");
        assert_eq!(operation(&i18n, "ru", "maintenance.view"), "Регламентные работы — просмотр");
        assert_eq!(outcome(&i18n, "kk", "denied"), i18n.text("kk", "audit-outcome-denied"));
        assert_eq!(operation(&i18n, "en", "draft.frobnicate"), "Draft acts — frobnicate");
        assert_eq!(operation(&i18n, "en", "zz.read"), "zz — viewed");
    }
}
