//! The forms pattern (`src/web/forms.rs`) on the portal's remaining forms (issue "pages
//! people understand", point 1; I385 §59): each refused form, posted to the real server,
//! comes back as the same page with what was typed, the reason by the field under its own
//! label, an error summary and the focus on the first wrong field — in kk and ru. One test
//! per feature, so a feature's regression names itself.

use serde_json::Value;

use crate::common::browser::Browser;
use crate::common::client::Resp;
use crate::common::documents::{Part, post_form_parts};
use crate::common::{PASSWORD, Server, ftl, wait_for};
use crate::forms::{as_lang, refused, submit};

/// The location of a `303` answer, without its confirmation query.
fn landed(res: &Resp) -> String {
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location").unwrap().split('?').next().unwrap().to_owned()
}

/// I617 §39: a proposal without its description keeps its title and justification (kk); a
/// rejection without its explanation keeps the version typed (ru).
#[test]
fn proposal_forms_keep_what_was_typed() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("author", "MIN", &["employee"]);
    server.add_user("support", "MIN", &["support_admin"]);
    let author = as_lang(&server, "author", "kk");
    let res = submit(
        &author,
        "/proposals",
        &[("title", "Іздеуді жақсарту"), ("text", ""), ("justification", "Уақыт үнемделеді")],
    );
    refused(
        "a proposal without its description",
        &res,
        "kk",
        "proposals-field-text",
        &["Іздеуді жақсарту", "Уақыт үнемделеді"],
    );
    assert!(res.body.contains("id=\"f-propose-text-error\""), "the message by the field");

    let res = submit(
        &author,
        "/proposals",
        &[("title", "Іздеуді жақсарту"), ("text", "Сипаттама"), ("justification", "Себеп")],
    );
    let proposal = landed(&res);
    let support = as_lang(&server, "support", "ru");
    let res = submit(
        &support,
        &format!("{proposal}/review"),
        &[("status", "rejected"), ("version", "2.4-черновик"), ("note", "")],
    );
    refused("a rejection without its explanation", &res, "ru", "proposals-note", &["2.4-черновик"]);
    assert!(res.body.contains("id=\"f-review-note-error\""), "the message by the note");
}

/// I617 §33: a help request without its subject keeps its text and urgency (kk); a status
/// that needs a note, sent without one, comes back by the note (ru).
#[test]
fn helpdesk_forms_keep_what_was_typed() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("clerk", "MIN", &["employee"]);
    server.add_user("support", "MIN", &["support_admin"]);
    let clerk = as_lang(&server, "clerk", "kk");
    let res = submit(
        &clerk,
        "/helpdesk",
        &[
            ("category", "workstation"),
            ("urgency", "high"),
            ("subject", ""),
            ("text", "Принтер қағазды тартпайды"),
        ],
    );
    refused(
        "a help request without its subject",
        &res,
        "kk",
        "helpdesk-subject",
        &["Принтер қағазды тартпайды"],
    );
    assert!(res.body.contains("value=\"high\" selected"), "the urgency chosen is kept");
    assert!(res.body.contains("id=\"f-ticket-subject-error\""), "the message by the subject");

    let res = submit(
        &clerk,
        "/helpdesk",
        &[("category", "workstation"), ("subject", "Принтер"), ("text", "Қағаз тартпайды")],
    );
    let ticket = landed(&res);
    let support = as_lang(&server, "support", "ru");
    let res = submit(&support, &format!("{ticket}/assignment"), &[("assignee", "nobody.here")]);
    refused("an unknown assignee", &res, "ru", "helpdesk-assignee-login", &["nobody.here"]);
    let res = submit(&support, &format!("{ticket}/assignment"), &[("assignee", "support")]);
    assert_eq!(landed(&res), ticket);
    let res =
        submit(&support, &format!("{ticket}/status"), &[("status", "resolved"), ("note", "")]);
    refused("a resolution without its summary", &res, "ru", "helpdesk-note", &[]);
    assert!(res.body.contains("id=\"f-status-note-error\""), "the message by the note");
    let res = submit(&support, &format!("{ticket}/messages"), &[("text", "  ")]);
    refused("an empty answer", &res, "ru", "helpdesk-text", &[]);
}

/// I385 §59: a calendar entry on a date that does not exist keeps its kind and note (kk); a
/// CSV that is not a calendar is refused by the file field, which asks for the file again
/// (ru).
#[test]
fn calendar_forms_keep_what_was_typed() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("admin", "MIN", &["system_admin"]);
    let admin = as_lang(&server, "admin", "kk");
    let res = submit(
        &admin,
        "/calendar/entries",
        &[("date", "2027-02-30"), ("kind", "holiday"), ("note", "Үкімет қаулысы №12")],
    );
    refused(
        "an entry on a date that does not exist",
        &res,
        "kk",
        "calendar-date",
        &["2027-02-30", "Үкімет қаулысы №12"],
    );
    assert!(res.body.contains("value=\"holiday\" selected"), "the kind chosen is kept");
    assert!(res.body.contains("id=\"f-entry-date-error\""), "the message by the date");

    let admin = as_lang(&server, "admin", "ru");
    let csv = Part {
        name: "file",
        file_name: Some("calendar.csv"),
        content_type: "text/csv",
        bytes: b"not a calendar at all\n".to_vec(),
    };
    let res = post_form_parts(&admin, "/calendar/import", vec![csv]);
    refused("a CSV that is not a calendar", &res, "ru", "calendar-import-file", &[]);
    assert!(res.body.contains("id=\"f-import-file-error\""), "the message by the file");
    assert!(res.body.contains(&ftl("ru", "calendar-import-again")), "asks for the file again");
}

/// The help request form refused in Chromium at 1024×768, in Kazakh with JavaScript and in
/// Russian without: the text typed stays, the focus is on the subject, the message is the
/// one described by it, nothing overflows. Screenshots `helpdesk-refused-*` for review.
#[test]
fn a_refused_help_request_in_chromium_keeps_the_text_and_focuses_the_field() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("kk.clerk", "MIN", &["employee"]);
    server.add_user("ru.clerk", "MIN", &["employee"]);
    as_lang(&server, "kk.clerk", "kk");
    as_lang(&server, "ru.clerk", "ru");
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let base = server.base_url();
    for (login, lang, js) in [("kk.clerk", "kk", true), ("ru.clerk", "ru", false)] {
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
        browser.goto(&format!("{base}/helpdesk/new"));
        browser.type_into("textarea[name='text']", "Принтер қағазды тартпайды.\nЕкінші қабат.");
        // A subject of spaces passes the browser's own check; the server refuses it.
        browser.type_into("input[name='subject']", "   ");
        browser.click("form[action='/helpdesk'] button[type='submit']");
        wait_for("the form again", 30, || {
            browser.text().contains(&ftl(lang, "form-problem-title")).then_some(())
        });
        let text =
            browser.script("return document.querySelector(\"textarea[name='text']\").value;");
        assert_eq!(text, "Принтер қағазды тартпайды.\nЕкінші қабат.", "{lang}: the text is kept");
        let focused =
            browser.script("return document.activeElement && document.activeElement.name;");
        assert_eq!(focused, "subject", "{lang}: focus on the first wrong field");
        let message = browser.script(
            "var i = document.activeElement; var d = i.getAttribute('aria-describedby');\
             return d ? document.getElementById(d).textContent : '';",
        );
        assert_eq!(message.as_str().unwrap(), ftl(lang, "field-required"), "{lang}: the reason");
        assert!(!browser.url().contains("csrf"), "{lang}: no token in the address");
        let overflow =
            browser.script("return document.documentElement.scrollWidth > window.innerWidth;");
        assert_eq!(overflow, Value::Bool(false), "{lang}: fits 1024 px");
        browser.screenshot(
            &shots,
            &format!("helpdesk-refused-{lang}{}", if js { "" } else { "-nojs" }),
        );
    }
}
