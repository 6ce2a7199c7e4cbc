//! Every form of the portal, refused, comes back as the same form (issue "pages people
//! understand", point 1): the values entered are still there, the reason stands by the field
//! under the field's own label (never its code), the first wrong field has the focus, a
//! refused file is named with the reason in words, and no page ever shows the CSRF token in
//! an address or falls back to the generic error page. One server, every form, kk and ru;
//! then the main path in Chromium with and without JavaScript.

use serde_json::{Value, json};

use crate::common::browser::Browser;
use crate::common::client::{Client, Resp};
use crate::common::documents::{Part, post_form_parts};
use crate::common::{PASSWORD, Server, ftl, wait_for};

fn text(name: &'static str, value: &str) -> Part<'static> {
    Part { name, file_name: None, content_type: "text/plain", bytes: value.as_bytes().to_vec() }
}

fn file(name: &'static str, file_name: &'static str, bytes: &[u8]) -> Part<'static> {
    Part {
        name,
        file_name: Some(file_name),
        content_type: "application/octet-stream",
        bytes: bytes.to_vec(),
    }
}

/// An url-encoded form with the session's token, as a page posts it.
pub(crate) fn submit(client: &Client, path: &str, fields: &[(&str, &str)]) -> Resp {
    let token = client.csrf().unwrap_or_default();
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    client.post_form(path, &all)
}

pub(crate) fn speak(client: &Client, lang: &str) {
    let (status, body) = client.patch_json("/api/v1/me", &json!({"lang": lang}));
    assert_eq!(status, 200, "{body}");
}

pub(crate) fn as_lang(server: &Server, login: &str, lang: &str) -> Client {
    let client = server.signed_in(login);
    let (status, body) = client.patch_json("/api/v1/me", &json!({"lang": lang}));
    assert_eq!(status, 200, "{body}");
    client
}

/// HTML-escapes like the templates do (for values with quotes).
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The checks every refused form passes: the same page (not the error page) with the
/// summary naming the field by its label, the values kept, the focus on a wrong field.
pub(crate) fn refused(what: &str, res: &Resp, lang: &str, label_key: &str, kept: &[&str]) {
    assert!((400..500).contains(&res.status), "{what}: status {}\n{}", res.status, res.body);
    assert!(
        res.header("content-type").unwrap_or("").starts_with("text/html"),
        "{what}: a page, not JSON"
    );
    let body = &res.body;
    assert!(
        !body.contains(&format!("<h1>{}</h1>", ftl(lang, "error-title"))),
        "{what}: the generic error page was shown:\n{body}"
    );
    assert!(body.contains("class=\"error-summary\""), "{what}: no error summary:\n{body}");
    assert!(body.contains(&ftl(lang, "form-problem-title")), "{what}: summary title in {lang}");
    let label = ftl(lang, label_key);
    let label = label.split(" {").next().unwrap_or(&label).to_owned();
    assert!(body.contains(&escaped(&label)), "{what}: the field's label {label:?} in {lang}");
    assert!(body.contains(" autofocus"), "{what}: the first wrong field has the focus");
    assert!(body.contains("aria-invalid=\"true\""), "{what}: the wrong field is marked");
    for value in kept {
        assert!(body.contains(&escaped(value)), "{what}: the value {value:?} was lost:\n{body}");
    }
    for address in ["?csrf=", "&csrf=", "&amp;csrf="] {
        assert!(!body.contains(address), "{what}: a token in an address");
    }
    let start = body.find("class=\"error-summary\"").unwrap();
    let summary = &body[start..start + body[start..].find("</div>").unwrap()];
    assert!(!summary.contains("<code>") && !summary.contains("invalid_input"), "{what}: codes");
}

#[test]
fn every_form_comes_back_with_what_was_typed_and_the_reason_by_the_field() {
    let server = Server::start();
    server.add_digital_ministry();
    server.add_agency("FIN");
    server.add_user("admin", "DEV", &["system_admin"]);
    server.add_user("hrofficer", "DEV", &["hr_officer", "employee"]);
    server.add_user("dev", "DEV", &["employee"]);
    server.add_user("devhead", "DEV", &["employee", "head"]);
    server.add_user("finhead", "FIN", &["employee", "head"]);

    // -- Documents -------------------------------------------------------------------
    let dev = as_lang(&server, "dev", "kk");
    // A registered act without its number (the case people met first).
    let res = post_form_parts(
        &dev,
        "/documents",
        vec![
            text("type", "regulation"),
            text("title", "Қаулы жобасы туралы"),
            text("title_ru", "О проекте постановления"),
            text("field.registration_date", "2026-03-01"),
            text("text", "Бірінші бап. Мәтін сақталады."),
            text("access", "all"),
        ],
    );
    refused(
        "regulation without its number",
        &res,
        "kk",
        "docfield-registration_number",
        &[
            "Қаулы жобасы туралы",
            "О проекте постановления",
            "2026-03-01",
            "Бірінші бап. Мәтін сақталады.",
        ],
    );
    assert!(res.body.contains("value=\"all\" selected"), "the access chosen is kept");
    assert!(res.body.contains(&ftl("kk", "field-required")), "the reason in words");
    assert!(res.body.contains("name=\"field.registration_number\""), "the form of the type");
    assert!(!res.body.contains("name=\"field.outgoing_number\""), "no other type's fields");

    // A program renamed `.pdf`: the file is named and the reason is in words.
    let dev_ru = as_lang(&server, "dev", "ru");
    let elf =
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00program bytes";
    let res = post_form_parts(
        &dev_ru,
        "/documents",
        vec![
            text("type", "generic"),
            text("title", "Отчёт за квартал"),
            text("text", "Текст отчёта"),
            file("file", "Отчёт.pdf", elf),
        ],
    );
    refused(
        "a program named .pdf",
        &res,
        "ru",
        "document-attach",
        &["Отчёт за квартал", "Текст отчёта"],
    );
    let reason = ftl("ru", "file-mismatch-program")
        .replace("{ $file }", "Отчёт.pdf")
        .replace("{ $claimed }", "PDF");
    assert!(res.body.contains(&escaped(&reason)), "the file and why, in words:\n{}", res.body);
    assert_eq!(res.status, 415);

    // A document to comment on, destroy and version.
    let res = post_form_parts(
        &dev,
        "/documents",
        vec![text("type", "generic"), text("title", "Жазба"), text("text", "Мәтін")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let doc_path = res.header("location").unwrap().split('?').next().unwrap().to_owned();
    assert!(res.header("location").unwrap().contains("done=done-document-posted"));
    let posted = dev.get(res.header("location").unwrap());
    // (The person now reads Russian: the profile's language changed above.)
    assert!(posted.body.contains(&ftl("ru", "done-document-posted")), "the confirmation");

    let res = submit(&dev, &format!("{doc_path}/comments"), &[("text", "   ")]);
    refused("an empty comment", &res, "ru", "document-comment-add", &[]);

    let res = post_form_parts(
        &dev,
        &format!("{doc_path}/versions"),
        vec![text("base_version", "1"), text("title", ""), text("note", "Түзету")],
    );
    refused("a version without a title", &res, "ru", "field-title", &["Түзету"]);

    // -- Drafts ----------------------------------------------------------------------
    let res = post_form_parts(
        &dev_ru,
        "/drafts",
        vec![text("title", "О порядке согласования"), text("text", "Статья 1.")],
    );
    refused(
        "a draft without approving agencies",
        &res,
        "ru",
        "draft-approving",
        &["О порядке согласования", "Статья 1."],
    );

    // -- Profile, password -----------------------------------------------------------
    let res = submit(
        &dev_ru,
        "/profile",
        &[("email", "not-an-address"), ("phone", "+7 701 000"), ("lang", "ru")],
    );
    refused("a wrong e-mail", &res, "ru", "field-email", &["not-an-address", "+7 701 000"]);
    let res = submit(
        &dev_ru,
        "/password",
        &[
            ("current_password", "wrong"),
            ("new_password", "Another-Horse-43"),
            ("confirm_password", "Another-Horse-43"),
        ],
    );
    refused("a wrong current password", &res, "ru", "field-current-password", &[]);
    assert!(!res.body.contains("Another-Horse-43"), "passwords never come back into a page");

    // -- Administration --------------------------------------------------------------
    let admin = as_lang(&server, "admin", "kk");
    let res = submit(
        &admin,
        "/admin/agencies",
        &[("code", "!!"), ("name_kk", "Жаңа орган"), ("name_ru", "Новый орган")],
    );
    refused("a bad agency code", &res, "kk", "field-code", &["Жаңа орган", "Новый орган"]);
    let agencies = admin.get_json("/api/v1/agencies").1;
    let dev_id = agencies.as_array().unwrap().iter().find(|a| a["code"] == "DEV").unwrap()["id"]
        .as_u64()
        .unwrap();
    let res = submit(
        &admin,
        &format!("/admin/agencies/{dev_id}/departments"),
        &[("name_kk", ""), ("name_ru", "Отдел кадров")],
    );
    refused(
        "a department without its Kazakh name",
        &res,
        "kk",
        "field-department-name-kk",
        &["Отдел кадров"],
    );
    let res = submit(
        &admin,
        "/admin/users",
        &[("login", "1bad"), ("agency", "DEV"), ("name_ru", "Иванов Иван"), ("role", "employee")],
    );
    refused("a bad login", &res, "kk", "field-login", &["1bad", "Иванов Иван"]);
    assert!(res.body.contains(&ftl("kk", "field-full-name-ru")), "person forms say full name");
    let dev_user = admin.get_json("/api/v1/users?agency=DEV").1;
    let dev_user_id =
        dev_user.as_array().unwrap().iter().find(|u| u["login"] == "dev").unwrap()["id"]
            .as_u64()
            .unwrap();
    let res = submit(
        &admin,
        &format!("/admin/users/{dev_user_id}"),
        &[("name_kk", "Әлия"), ("email", "bad@")],
    );
    refused("an account with a wrong e-mail", &res, "kk", "field-email", &["Әлия", "bad@"]);
    let res = submit(&admin, &format!("/admin/users/{dev_user_id}/roles"), &[]);
    refused("an account without roles", &res, "kk", "field-roles", &[]);
    let res = submit(
        &admin,
        "/admin/maintenance",
        &[
            ("starts", "2020-01-01T10:00"),
            ("ends", "2020-01-01T12:00"),
            ("effect", "stops"),
            ("note_ru", "Замена дисков"),
        ],
    );
    refused(
        "maintenance in the past",
        &res,
        "kk",
        "maintenance-starts",
        &["Замена дисков", "2020-01-01T12:00"],
    );
    let res = post_form_parts(
        &admin,
        "/admin/trust/cas",
        vec![file("file", "ca.pem", b"not a certificate")],
    );
    refused("a CA that is not a certificate", &res, "kk", "trust-add-ca", &[]);
    let res = post_form_parts(
        &admin,
        "/admin/certificates",
        vec![text("login", "nobody.here"), file("file", "c.pem", b"x")],
    );
    refused("a certificate for an unknown login", &res, "kk", "field-login", &["nobody.here"]);

    // -- Working groups --------------------------------------------------------------
    let head = as_lang(&server, "devhead", "ru");
    let res = submit(
        &head,
        "/groups",
        &[("name_kk", "Топ"), ("name_ru", "Группа"), ("members", "dev\nnobody.here")],
    );
    refused(
        "a group with an unknown member",
        &res,
        "ru",
        "group-members-hint",
        &["Топ", "Группа", "nobody.here"],
    );
    let res = post_form_parts(&head, "/certificates", vec![file("file", "me.pem", b"garbage")]);
    refused("one's own certificate that is not one", &res, "ru", "certificate-file", &[]);

    // -- The draft page: a rejection must be confirmed, the reason is kept ----------------
    let res = post_form_parts(
        &dev_ru,
        "/drafts",
        vec![text("title", "О сроках"), text("text", "Статья 1."), text("approving.FIN", "1")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let draft = res.header("location").unwrap().split('?').next().unwrap().to_owned();
    let fin = as_lang(&server, "finhead", "ru");
    let res = submit(
        &fin,
        &format!("{draft}/act/reject"),
        &[("reason", "Нет финансово-экономического обоснования")],
    );
    // Not FIN's turn yet (no letter, not signed): the reason is still kept and explained.
    assert!((400..500).contains(&res.status), "{}", res.body);
    assert!(res.body.contains("Нет финансово-экономического обоснования") || res.status == 404);

    // -- Discussions (its own copy of the pattern replaced by web::forms) ---------------
    for (lang, client) in [("kk", &dev), ("ru", &dev_ru)] {
        speak(client, lang);
        let res = post_form_parts(
            client,
            "/discussions",
            vec![
                text("title", "Талқылау тақырыбы"),
                text("text", "Талқылауға мәтін"),
                text("discussion.ends_at", "2031-05-01T18:00"),
                text("discussion.options", "Иә\nЖоқ"),
                text("discussion.quorum_percent", "көп"),
            ],
        );
        refused(
            "a discussion with a quorum in words",
            &res,
            lang,
            "discussion-quorum",
            &["Талқылау тақырыбы", "Талқылауға мәтін", "2031-05-01T18:00", "көп"],
        );
        assert!(
            res.body.contains("id=\"f-discussion-discussion-quorum-percent-error\""),
            "the message by the quorum field"
        );
    }

    // Every access-log entry of these refusals says what was refused (never `page.submit`).
    let entries = server.audit_entries();
    let refusals: Vec<&Value> = entries
        .iter()
        .filter(|e| e["method"] == "POST" && e["status"].as_u64().unwrap_or(0) >= 400)
        .collect();
    assert!(refusals.len() >= 15, "{}", refusals.len());
}

/// Chromium at 1024×768, with or without JavaScript, signed in as `login`.
pub(crate) fn signed_in_browser(base: &str, login: &str, js: bool) -> Browser {
    let browser = if js {
        Browser::start_with(&["--window-size=1024,768"])
    } else {
        Browser::start_with(&["--window-size=1024,768", "--blink-settings=scriptEnabled=false"])
    };
    browser.goto(&format!("{base}/login"));
    browser.type_into("#login", login);
    browser.type_into("#password", PASSWORD);
    browser.click("#sign-in");
    wait_for("the dashboard", 20, || (!browser.url().contains("/login")).then_some(()));
    browser
}

/// Empty tables say that they are empty (issue 21 point 6): the accounts list of an agency
/// that has no accounts yet says so in the reader's language, in kk and ru, instead of
/// showing bare column heads.
#[test]
fn the_accounts_list_of_an_agency_without_accounts_says_it_is_empty() {
    let server = Server::start();
    server.add_digital_ministry();
    server.add_agency("FIN");
    server.add_user("admin", "DEV", &["system_admin"]);
    for lang in ["kk", "ru"] {
        let admin = as_lang(&server, "admin", lang);
        let res = admin.get("/admin/users?agency=FIN");
        assert_eq!(res.status, 200);
        assert!(
            res.body.contains(&ftl(lang, "accounts-none")),
            "{lang}: the empty accounts list says it is empty"
        );
        let res = admin.get("/admin/users?agency=DEV");
        assert!(!res.body.contains(&ftl(lang, "accounts-none")), "{lang}: not said of a full list");
    }
}

/// The main path in Chromium at 1024×768: a registered act without its number, in Kazakh
/// with JavaScript (the upload goes through the script) and in Russian without it; the
/// values stay, the message is by the field, the focus is on it. Screenshots for review.
#[test]
fn a_refused_document_form_in_chromium_keeps_everything_with_and_without_javascript() {
    let server = Server::start();
    server.add_agency("DEV");
    server.add_user("kk.user", "DEV", &["employee"]);
    server.add_user("ru.user", "DEV", &["employee"]);
    as_lang(&server, "kk.user", "kk");
    as_lang(&server, "ru.user", "ru");
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let base = server.base_url();
    for (login, lang, js) in [("kk.user", "kk", true), ("ru.user", "ru", false)] {
        let browser = signed_in_browser(&base, login, js);
        let scripted = browser.script("return document.documentElement.hasAttribute('data-js');");
        assert_eq!(scripted, Value::Bool(js), "JavaScript is {}", if js { "on" } else { "off" });
        // Without JavaScript: choose the type first, then the form of that type.
        browser.goto(&format!("{base}/documents/new"));
        browser.click("input[name='type'][value='regulation']");
        browser.click("form[action='/documents/new'] button[type='submit']");
        wait_for("the regulation form", 20, || {
            browser.url().contains("type=regulation").then_some(())
        });
        let page = browser.text();
        assert!(page.contains(&ftl(lang, "docfield-registration_number")), "{page}");
        assert!(!page.contains(&ftl(lang, "docfield-outgoing_number")), "only the chosen type");
        browser.type_into("input[name='title']", "Қаулы № 1 жобасы");
        browser.type_into("textarea[name='text']", "Бірінші бап.\nЕкінші бап.");
        browser.script(
            "document.querySelector(\"input[name='field.registration_number']\").removeAttribute('required');\
             document.querySelector(\"input[name='field.registration_date']\").removeAttribute('required');\
             return 1;",
        );
        browser.click("form[action='/documents'] button[type='submit']");
        wait_for("the form again", 30, || {
            browser.text().contains(&ftl(lang, "form-problem-title")).then_some(())
        });
        let value = browser.script("return document.querySelector(\"input[name='title']\").value;");
        assert_eq!(value, "Қаулы № 1 жобасы", "{lang}: the title is kept");
        let text =
            browser.script("return document.querySelector(\"textarea[name='text']\").value;");
        assert_eq!(text, "Бірінші бап.\nЕкінші бап.", "{lang}: the text is kept");
        let focused =
            browser.script("return document.activeElement && document.activeElement.name;");
        assert_eq!(focused, "field.registration_number", "{lang}: focus on the first wrong field");
        let message = browser.script(
            "var i = document.activeElement; var d = i.getAttribute('aria-describedby');\
             return d ? document.getElementById(d).textContent : '';",
        );
        assert_eq!(message.as_str().unwrap(), ftl(lang, "field-required"), "{lang}: the reason");
        assert!(!browser.url().contains("csrf"), "{lang}: no token in the address");
        let overflow =
            browser.script("return document.documentElement.scrollWidth > window.innerWidth;");
        assert_eq!(overflow, Value::Bool(false), "{lang}: fits 1024 px");
        browser
            .screenshot(&shots, &format!("form-refused-{lang}{}", if js { "" } else { "-nojs" }));
    }
}
