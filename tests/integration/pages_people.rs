//! Pages people understand, in a real browser (issue 21 points 2 and 3; I385 §14, §16):
//! a notice written on a Russian page reads in Kazakh to a Kazakh reader, and the draft
//! page a head acts on shows the text of the version being signed and only the actions
//! this person can take now — saying so when there is none — with and without
//! JavaScript, at 1024×768, with screenshots in kk and ru.

use serde_json::json;

use crate::common::browser::Browser;
use crate::common::documents::{meta, post_parts};
use crate::common::{PASSWORD, Server, ftl, wait_for};

fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in args {
        out = out.replace(&format!("{{ ${k} }}"), v);
    }
    out
}

fn signed_in_browser(base: &str, login: &str, js: bool) -> Browser {
    let browser = if js {
        Browser::start_with(&["--window-size=1024,768"])
    } else {
        Browser::start_with(&["--window-size=1024,768", "--blink-settings=scriptEnabled=false"])
    };
    browser.goto(&format!("{base}/login"));
    browser.type_into("#login", login);
    browser.type_into("#password", PASSWORD);
    browser.click("#sign-in");
    wait_for("signed in", 20, || (!browser.url().contains("/login")).then_some(()));
    browser
}

/// The text of the element `css` ("" when absent).
fn text_of(browser: &Browser, css: &str) -> String {
    let v = browser.script(&format!(
        "const e = document.querySelector({css:?}); return e ? e.innerText : '';"
    ));
    v.as_str().unwrap_or("").to_owned()
}

#[test]
fn i385_s14_the_draft_page_and_the_inbox_in_the_readers_language_in_chromium() {
    let server = Server::start();
    server.add_agency("FIN");
    server.add_digital_ministry();
    server.add_user("dev", "DEV", &["employee"]);
    server.add_user("devhead", "DEV", &["employee", "head"]);
    for (login, lang) in [("dev", "ru"), ("devhead", "kk")] {
        let c = server.signed_in(login);
        let (status, body) = c.patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
    }
    // The employee posts the draft from a Russian page.
    let dev = server.signed_in("dev");
    let res = post_parts(
        &dev,
        "/api/v1/drafts",
        &[meta(&json!({
            "title": "О порядке согласования",
            "title_ru": "О порядке согласования",
            "title_kk": "Келісу тәртібі туралы",
            "text": "Бірінші бап. Келісу тәртібі осы қаулымен белгіленеді.",
            "approving": ["FIN"],
        }))],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_u64().unwrap();
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let base = server.base_url();

    // The head reads in Kazakh, with JavaScript: the notice is Kazakh, the page shows the
    // version's text above the one action they can take (their signature: NCALayer first,
    // the file upload below it), and nothing they cannot.
    let head = signed_in_browser(&base, "devhead", true);
    head.goto(&format!("{base}/inbox"));
    let expected =
        fill(&ftl("kk", "notice-draft-sign-subject"), &[("title", "Келісу тәртібі туралы")]);
    let inbox = head.text();
    assert!(inbox.contains(&expected), "Kazakh notice: {inbox}");
    assert!(!inbox.contains("О порядке согласования"), "no Russian in the Kazakh inbox");
    head.screenshot(&shots, "inbox-kk");
    head.goto(&format!("{base}/drafts/{id}"));
    assert_eq!(head.lang(), "kk");
    assert!(text_of(&head, "#text").contains("Бірінші бап."), "{}", head.text());
    let actions = text_of(&head, "#actions");
    assert!(actions.contains(&ftl("kk", "draft-action-developer-sign")), "{actions}");
    for absent in ["#act-approve", "#act-reject", "#act-register_letter", "#act-working_group"] {
        let n = head.script(&format!("return document.querySelectorAll('{absent}').length;"));
        assert_eq!(n, 0, "{absent} is not this head's action now");
    }
    let order = head.script(
        "const s = document.querySelector('#act-developer_sign');
         const n = s.querySelector('[data-ncalayer]'), f = s.querySelector('form');
         return !!(n.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING);",
    );
    assert_eq!(order, true, "NCALayer first, the file upload below it");
    let scroll = head.script("return document.documentElement.scrollWidth > window.innerWidth;");
    assert_eq!(scroll, false, "fits 1024 px");
    head.screenshot(&shots, "draft-page-head-kk");

    // The developer reads in Russian, without JavaScript: the text, and "nothing for you to
    // do now" instead of forms they could not use.
    let dev = signed_in_browser(&base, "dev", false);
    dev.goto(&format!("{base}/drafts/{id}"));
    assert_eq!(dev.lang(), "ru");
    assert!(text_of(&dev, "#text").contains("Бірінші бап."));
    let actions = text_of(&dev, "#actions");
    assert!(actions.contains(&ftl("ru", "draft-nothing-to-do")), "{actions}");
    let forms = dev.script("return document.querySelectorAll('#actions form').length;");
    assert_eq!(forms, 0, "no forms for actions this person cannot take");
    dev.screenshot(&shots, "draft-page-developer-ru");
}
