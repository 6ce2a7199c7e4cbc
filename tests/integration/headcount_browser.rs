//! Headcount's main path in headless Chromium without JavaScript at 1024×768 (I385 §26–§27,
//! issue 14 point 4): the verifier (in Russian) opens the period; the agency's HR officer
//! (in Kazakh) starts the return, types the figures, submits a total that does not add up
//! and gets the form back with every figure kept and the message by the figure, corrects
//! and submits; the verifier returns it with a comment on one figure; the HR officer sees
//! the comment by that figure, corrects and submits again; the verifier accepts, and the
//! accepted return offers no form any more. One scenario, one server, two browsers.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::browser::Browser;
use crate::common::{PASSWORD, Server, ftl, wait_for};

/// A complete, consistent return: `approved` positions, `vacant` of them empty.
fn figures(approved: u64, vacant: u64) -> Vec<(&'static str, u64)> {
    let filled = approved - vacant;
    let (political, corps_a, non_civil) = (2, 3, 10);
    let corps_b = filled - political - corps_a - non_civil;
    let (b_a, b_b, b_c) = (corps_b / 10, corps_b / 5, corps_b / 4);
    vec![
        ("approved", approved),
        ("filled", filled),
        ("vacant", vacant),
        ("political", political),
        ("corps_a", corps_a),
        ("corps_b", corps_b),
        ("corps_b_a", b_a),
        ("corps_b_b", b_b),
        ("corps_b_c", b_c),
        ("corps_b_d", corps_b - b_a - b_b - b_c),
        ("non_civil", non_civil),
        ("women", filled / 2),
        ("under_35", filled / 4),
        ("hired", 5),
        ("left", 3),
    ]
}

pub(crate) fn no_js_browser() -> Browser {
    Browser::start_with(&["--window-size=1024,768", "--blink-settings=scriptEnabled=false"])
}

pub(crate) fn sign_in(browser: &Browser, base: &str, login: &str) {
    browser.goto(&format!("{base}/login"));
    browser.type_into("#login", login);
    browser.type_into("#password", PASSWORD);
    browser.click("#sign-in");
    wait_for("signed in", 20, || (!browser.url().contains("/login")).then_some(()));
}

/// The page is in `lang` and fits 1024 px without horizontal scrolling.
pub(crate) fn fits(browser: &Browser, lang: &str, what: &str) {
    assert_eq!(browser.lang(), lang, "{what}");
    let w = browser.script("return [document.documentElement.scrollWidth, window.innerWidth];");
    let (sw, iw) = (w[0].as_f64().unwrap(), w[1].as_f64().unwrap());
    assert!(sw <= iw, "{what} ({lang}): no horizontal scroll at 1024 px: {w}");
}

fn value_of(browser: &Browser, name: &str) -> String {
    let v = browser.script(&format!("return document.querySelector('[name=\"{name}\"]').value;"));
    v.as_str().unwrap_or("").to_owned()
}

fn type_figures(browser: &Browser, values: &[(&str, u64)]) {
    for (key, v) in values {
        browser.type_into(&format!("input[name=\"v.{key}\"]"), &v.to_string());
    }
}

#[test]
fn i385_s26_s27_the_main_path_in_chromium_without_javascript_in_kk_and_ru() {
    let server = Server::start();
    server.add_agency("ADGS");
    server.add_agency("MNE");
    server.add_user("verifier", "ADGS", &["employee", "civil_service_verifier"]);
    server.add_user("hr.mne", "MNE", &["employee", "hr_officer"]);
    for (login, lang) in [("verifier", "ru"), ("hr.mne", "kk")] {
        let (status, body) =
            server.signed_in(login).patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
    }
    let base = server.base_url();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let verifier = no_js_browser();
    let hr = no_js_browser();
    sign_in(&verifier, &base, "verifier");
    sign_in(&hr, &base, "hr.mne");

    // The verifier opens the period for MNE.
    verifier.goto(&format!("{base}/headcount"));
    fits(&verifier, "ru", "campaigns");
    verifier.type_into("input[name=\"period\"]", "2026-11");
    verifier.type_into("input[name=\"agencies\"]", "MNE");
    verifier.click("form[action=\"/headcount/campaigns\"] button[type=\"submit\"]");
    // The help text names "2026-11" as an example: wait for the answer to the form (the
    // page after the redirect says it is done), not for the period's name.
    wait_for("period opened", 20, || verifier.url().contains("done=").then_some(()));

    // The HR officer starts the return and types the figures; a total that does not add
    // up comes back with every figure kept and the message by the figure.
    hr.goto(&format!("{base}/headcount"));
    fits(&hr, "kk", "campaigns");
    hr.click("form[action$=\"/return\"] button[type=\"submit\"]");
    wait_for("return opened", 20, || hr.url().contains("/headcount/returns/").then_some(()));
    let url = hr.url();
    let id: u64 = url.rsplit('/').next().unwrap().split('?').next().unwrap().parse().unwrap();
    let mut wrong = figures(120, 10);
    wrong[2].1 = 11; // vacant: 110 filled + 11 vacant ≠ 120 approved
    type_figures(&hr, &wrong);
    hr.click("button[name=\"do\"][value=\"submit\"]");
    wait_for("refused", 20, || {
        hr.script("return document.querySelector('[aria-invalid=\"true\"]') !== null;")
            .as_bool()
            .filter(|b| *b)
    });
    fits(&hr, "kk", "refused return");
    assert_eq!(value_of(&hr, "v.vacant"), "11", "the figures typed are kept");
    assert_eq!(value_of(&hr, "v.approved"), "120");
    let invalid: Value = hr.script(
        "return Array.from(document.querySelectorAll('[aria-invalid=\"true\"]')).map(e => e.name);",
    );
    let named = invalid.as_array().unwrap();
    assert!(
        named.iter().any(|n| ["v.approved", "v.filled", "v.vacant"].contains(&n.as_str().unwrap())),
        "the total that does not add up is marked: {invalid}"
    );
    hr.screenshot(&shots, "headcount-refused-kk");
    type_figures(&hr, &figures(120, 10));
    hr.click("button[name=\"do\"][value=\"submit\"]");
    wait_for("submitted", 20, || {
        hr.text().contains(&ftl("kk", "headcount-state-submitted")).then_some(())
    });
    let buttons = hr.script("return document.querySelectorAll('button[name=\"do\"]').length;");
    assert_eq!(buttons, 0, "a submitted return is with the verifier: no form");

    // The verifier returns it with a comment on «vacant».
    verifier.goto(&format!("{base}/headcount/returns/{id}"));
    fits(&verifier, "ru", "review");
    let comment = "Проверьте вакансии: по штатному расписанию их 12";
    verifier.type_into("input[name=\"c.vacant\"]", comment);
    verifier.click("button[name=\"decision\"][value=\"return\"]");
    wait_for("returned", 20, || {
        verifier.text().contains(&ftl("ru", "headcount-state-returned")).then_some(())
    });

    // The HR officer sees the comment by the figure, corrects and submits again.
    hr.goto(&format!("{base}/headcount/returns/{id}"));
    fits(&hr, "kk", "returned return");
    let row = hr.script(
        "return document.querySelector('#c-vacant').closest('tr').querySelector('input').name;",
    );
    assert_eq!(row, "v.vacant", "the comment stands by its figure");
    assert!(hr.text().contains(comment));
    hr.screenshot(&shots, "headcount-returned-kk");
    type_figures(&hr, &figures(120, 12));
    hr.click("button[name=\"do\"][value=\"submit\"]");
    wait_for("submitted again", 20, || {
        hr.text().contains(&ftl("kk", "headcount-state-submitted")).then_some(())
    });

    // The verifier accepts; the accepted return offers no form to anyone.
    verifier.goto(&format!("{base}/headcount/returns/{id}"));
    verifier.click("button[name=\"decision\"][value=\"accept\"]");
    wait_for("accepted", 20, || {
        verifier.text().contains(&ftl("ru", "headcount-state-accepted")).then_some(())
    });
    verifier.screenshot(&shots, "headcount-accepted-ru");
    hr.goto(&format!("{base}/headcount/returns/{id}"));
    fits(&hr, "kk", "accepted return");
    assert!(hr.text().contains(&ftl("kk", "headcount-accepted-help")), "{}", hr.text());
    let inputs = hr.script("return document.querySelectorAll('input[name^=\"v.\"]').length;");
    assert_eq!(inputs, 0, "no figure can be typed into an accepted return");
    // The figures the verifier accepted are those the HR officer typed last.
    let view = server.signed_in("verifier").get_json(&format!("/api/v1/headcount/returns/{id}"));
    assert_eq!(view.0, 200, "{}", view.1);
    assert_eq!(view.1["state"], "accepted");
    let vacant = view.1["fields"].as_array().unwrap().iter().find(|f| f["key"] == "vacant");
    assert_eq!(vacant.unwrap()["value"], 12);

    // §28 by region and by kind: the verifier's grouped report (ru) and the HR officer's
    // own (kk) fit 1024 px, the grouping chosen without JavaScript.
    server.add_user("admin", "ADGS", &["system_admin"]);
    let place = json!({"region": "astana", "kind": "central"});
    let (status, body) = server.signed_in("admin").put_json("/api/v1/agencies/MNE/place", &place);
    assert_eq!(status, 200, "{body}");
    verifier.goto(&format!("{base}/headcount/summary?group=region"));
    fits(&verifier, "ru", "report by region");
    assert!(verifier.text().contains("г. Астана"), "{}", verifier.text());
    verifier.screenshot(&shots, "headcount-by-region-ru");
    hr.goto(&format!("{base}/headcount/summary?group=kind"));
    fits(&hr, "kk", "report by kind");
    assert!(hr.text().contains("Орталық мемлекеттік орган"), "{}", hr.text());
    hr.screenshot(&shots, "headcount-by-kind-kk");
}
