//! The forms pattern (`src/web/forms.rs`) on the portal's remaining forms (issue "pages
//! people understand", point 1; I385 §59): each refused form, posted to the real server,
//! comes back as the same page with what was typed, the reason by the field under its own
//! label, an error summary and the focus on the first wrong field — in kk and ru. One test
//! per feature, so a feature's regression names itself.

use crate::common::Server;
use crate::common::client::Resp;
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
