//! The guides inside the portal (`/help`, issue 21 point 6): pages link to help instead of
//! carrying developer text, so the help must be there on an air-gapped network — in the
//! reader's language, with its anchors and links working, read through the policy and the
//! access log like every page.

use crate::common::Server;
use crate::common::browser::Browser;
use crate::headcount_browser::{fits, sign_in};

fn header<'a>(r: &'a crate::common::Resp, name: &str) -> &'a str {
    r.header(name).unwrap_or_default()
}

#[test]
fn issue_21_p6_the_guides_are_served_in_the_readers_language_with_working_anchors() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("clerk", "MIN", &["employee"]);
    server.add_user("auditor", "MIN", &["auditor"]);

    // Not signed in: the guides are behind sign-in like every page.
    let anonymous = server.client().get("/help/user");
    assert!(matches!(anonymous.status, 303 | 401), "anonymous got {}", anonymous.status);

    let clerk = server.signed_in("clerk");
    let csrf = clerk.csrf().expect("csrf");
    let set_lang = |lang: &str| {
        let r = clerk.post_form("/lang", &[("csrf", &csrf), ("lang", lang), ("next", "/help")]);
        assert_eq!(r.status, 303, "{lang}");
    };

    // Kazakh: the Kazakh part of the user guide only, headings with their anchors.
    set_lang("kk");
    let index = clerk.get("/help");
    assert_eq!(index.status, 200);
    assert!(index.body.contains("Пайдаланушы нұсқаулығы"), "{}", index.body);
    assert!(index.body.contains(r#"href="/help/admin""#));
    let kk = clerk.get("/help/user");
    assert_eq!(kk.status, 200);
    assert!(kk.body.contains(r#"<article class="guide" lang="kk">"#));
    assert!(kk.body.contains(r#"<h3 id="кіру">Кіру</h3>"#), "no Kazakh sign-in heading");
    assert!(!kk.body.contains(">Вход<"), "the Russian part leaks into the Kazakh guide");
    // Its table of contents links every section.
    assert!(kk.body.contains(r##"<a href="#кіру" lang="kk">Кіру</a>"##));

    // Russian: the Russian part; a link to the Kazakh one beside it.
    set_lang("ru");
    let ru = clerk.get("/help/user");
    assert!(ru.body.contains(r#"<h3 id="вход">Вход</h3>"#));
    assert!(!ru.body.contains(">Кіру<"));
    assert!(ru.body.contains(r#"href="/help/user?in=kk""#));
    assert!(clerk.get("/help/user?in=kk").body.contains(r#"<h3 id="кіру">"#));

    // English: no English user guide yet — the Russian one, said so, marked lang="ru" so a
    // screen reader reads it in Russian.
    set_lang("en");
    let en = clerk.get("/help/user");
    assert!(en.body.contains(r#"<article class="guide" lang="ru">"#));
    assert!(en.body.contains("not written in English yet"));

    // The administrator's guide: its own table of contents resolves to its headings, and
    // its links to the signatures document stay inside the portal.
    let admin = clerk.get("/help/admin");
    assert_eq!(admin.status, 200);
    assert!(admin.body.contains(r##"href="#7-tls-certificates""##));
    assert!(admin.body.contains(r#"id="7-tls-certificates""#));
    assert!(admin.body.contains(r#"href="/help/signatures#gost""#));
    // In Russian the administrator's guide is its Russian translation, the English original
    // linked beside it.
    set_lang("ru");
    let admin = clerk.get("/help/admin");
    assert!(admin.body.contains(r#"<article class="guide" lang="ru">"#), "{}", admin.body);
    assert!(admin.body.contains(r#"href="/help/admin?in=en""#), "the original beside it");
    set_lang("en");
    let sig = clerk.get("/help/signatures");
    assert_eq!(sig.status, 200);
    assert!(sig.body.contains(r#"id="gost""#), "the anchor the admin guide links to");
    assert_eq!(clerk.get("/help/no-such-guide").status, 404);

    // The document page's "How to sign" link: to the signing section in the reader's
    // language (percent-encoded in the header, as an address must be).
    set_lang("kk");
    let topic = clerk.get("/help/topics/signing");
    assert_eq!(topic.status, 303);
    let location = header(&topic, "location");
    assert!(location.starts_with("/help/user#%D1%8D%D0%BB"), "{location}");
    let id = percent_encoding::percent_decode_str(location.split_once('#').unwrap().1)
        .decode_utf8()
        .unwrap()
        .into_owned();
    assert!(clerk.get("/help/user").body.contains(&format!(r#"id="{id}""#)), "{id}");

    // An auditor, whose role stands alone, reads the guides too.
    assert_eq!(server.signed_in("auditor").get("/help/admin").status, 200);

    // Every reading is in the access log under its own name.
    let reads = server
        .audit_entries()
        .into_iter()
        .filter(|e| e["operation"] == "help.read" && e["outcome"] == "ok")
        .count();
    assert!(reads >= 9, "{reads} help.read entries");

    // In Chromium at 1024×768 (with JavaScript; the pages hold none of their own): the
    // Kazakh user guide and the administrator's guide, whose wide tables and command lines
    // scroll inside themselves, never the page.
    let browser = Browser::start_with(&["--window-size=1024,768"]);
    sign_in(&browser, &server.base_url(), "clerk");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    browser.goto(&format!("{}/help/user", server.base_url()));
    fits(&browser, "kk", "the user guide");
    browser.screenshot(&shots, "help-user-kk");
    browser.goto(&format!("{}/help/admin#4-configuration-reference", server.base_url()));
    fits(&browser, "kk", "the administrator's guide");
    browser.screenshot(&shots, "help-admin-kk");
}
