//! The usage page (I617 §22) in headless Chromium without JavaScript at 1024×768, in Kazakh
//! and Russian: an agency's officer reaches it from the menu and sees their own agency's
//! figures — the trend chart's points, the totals and the day and week tables are the
//! figures `/api/v1/usage` answers — with CSV and XLSX of the same period; the support
//! administrator reaches it as a tab of the support section and chooses any agency or the
//! whole portal; a period that ends before it starts comes back in the form with what was
//! typed and the message by the field; another agency's figures for the officer, and any
//! for an employee, are 403 and logged as refused.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::browser::Browser;
use crate::common::{PASSWORD, Server, ftl, xlsx};
use crate::headcount_browser::{fits, no_js_browser, sign_in};
use crate::usage::{document, ticket};

const PERIOD: &str = "from=2027-03-15&to=2027-03-23";

fn strings(browser: &Browser, script: &str) -> Vec<String> {
    let v = browser.script(script);
    v.as_array()
        .unwrap_or_else(|| panic!("{script}: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or("").to_owned())
        .collect()
}

/// What the page shows equals what the API answers for the same person and period: the
/// chart's points (one per day, named by the day), the totals, and the tables' rows.
fn page_matches_api(browser: &Browser, lang: &str, api: &Value, what: &str) {
    let days = api["days"].as_array().unwrap();
    let points = strings(
        browser,
        "return Array.from(document.querySelectorAll('#usage-trend svg circle.point title'))\
         .map(t => t.textContent);",
    );
    let series = ftl(lang, "usage-active-users");
    let expected: Vec<String> = days
        .iter()
        .map(|d| {
            let date = d["start"].as_str().unwrap();
            let n = d["active_users"].as_u64().unwrap();
            format!("{series} — {}.{}: {n}", &date[8..10], &date[5..7])
        })
        .collect();
    assert_eq!(points, expected, "{what}: the trend's points are the API's days");
    let svg_title =
        strings(browser, "return [document.querySelector('#usage-trend svg title').textContent];");
    assert_eq!(svg_title[0], ftl(lang, "usage-trend-title"), "{what}");
    for key in ["active_users", "sign_ins", "documents"] {
        let shown = strings(
            browser,
            &format!(
                "return [document.querySelector('#usage-totals [data-figure=\"{key}\"] strong')\
                 .textContent];"
            ),
        );
        assert_eq!(shown[0], api[key].as_u64().unwrap().to_string(), "{what}: {key}");
    }
    let actions: u64 =
        api["actions"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    let shown = strings(
        browser,
        "return [document.querySelector('#usage-totals [data-figure=\"actions\"] strong').textContent];",
    );
    assert_eq!(shown[0], actions.to_string(), "{what}: actions");
    // The day table: a row per day with the API's figures, the week table a row per week.
    let rows = strings(
        browser,
        "return Array.from(document.querySelectorAll('#usage-days tbody tr'))\
         .map(r => Array.from(r.cells).map(c => c.textContent.trim()).join('|'));",
    );
    assert_eq!(rows.len(), days.len(), "{what}: {rows:?}");
    for (row, d) in rows.iter().zip(days) {
        let date = d["start"].as_str().unwrap();
        let want = format!(
            "{}.{}.{}|{}|{}|{}|{}",
            &date[8..10],
            &date[5..7],
            &date[0..4],
            d["active_users"],
            d["sign_ins"],
            d["documents"],
            d["actions"]
        );
        assert_eq!(row, &want, "{what}");
    }
    let weeks = strings(
        browser,
        "return Array.from(document.querySelectorAll('#usage-weeks tbody tr'))\
         .map(r => r.cells[1].textContent.trim());",
    );
    let want: Vec<String> =
        api["weeks"].as_array().unwrap().iter().map(|w| w["active_users"].to_string()).collect();
    assert_eq!(weeks, want, "{what}: a week's active users are people, not a sum of days");
}

#[test]
fn i617_s22_the_usage_page_in_chromium_in_kk_and_ru_matches_the_api_and_keeps_to_the_policy() {
    let server = Server::builder()
        .controllable_clock()
        .env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "1000")
        .start();
    server.add_agency("MIN");
    server.add_agency("AKM");
    server.add_user("officer", "MIN", &["hr_officer"]);
    server.add_user("clerk", "MIN", &["employee"]);
    server.add_user("clerk2", "MIN", &["employee"]);
    server.add_user("akm", "AKM", &["employee"]);
    server.add_user("support", "AKM", &["support_admin"]);

    // Activity on three days of two weeks, in both agencies.
    server.set_clock("2027-03-15T10:00:00+05:00");
    let clerk = server.signed_in("clerk");
    document(&clerk, "Бұйрық 1");
    ticket(&clerk, "Сұрақ");
    server.signed_in("clerk2");
    server.set_clock("2027-03-17T10:00:00+05:00");
    document(&server.signed_in("akm"), "Хабар");
    ticket(&server.signed_in("clerk"), "Вопрос");
    server.set_clock("2027-03-23T11:00:00+05:00");
    document(&server.signed_in("clerk2"), "Бұйрық 2");
    server.set_clock("2027-03-24T09:00:00+05:00");

    for (login, lang) in [("officer", "kk"), ("support", "ru")] {
        let (status, body) =
            server.signed_in(login).patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
    }
    let officer_api = server.signed_in("officer");
    let support_api = server.signed_in("support");
    let base = server.base_url();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");

    // The officer (Kazakh) finds the page in the menu and sees MIN's figures.
    let officer = no_js_browser();
    sign_in(&officer, &base, "officer");
    let menu = strings(
        &officer,
        "return Array.from(document.querySelectorAll('nav a[href=\"/usage\"]')).map(a => a.textContent);",
    );
    assert_eq!(menu, vec![ftl("kk", "nav-usage")], "the officer's menu leads to the page");
    officer.goto(&format!("{base}/usage?{PERIOD}"));
    fits(&officer, "kk", "usage page");
    assert!(officer.title().contains(&ftl("kk", "usage-title")), "{}", officer.title());
    let (status, api) = officer_api.get_json(&format!("/api/v1/usage?{PERIOD}"));
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["agency"], "MIN");
    assert_eq!(api["sign_ins"], 4, "{api}");
    page_matches_api(&officer, "kk", &api, "officer, kk");
    let text = officer.text();
    assert!(text.contains(&ftl("kk", "usage-day")) && text.contains(&ftl("kk", "usage-week")));
    // An officer chooses no agency: the form offers the period only.
    assert_eq!(
        officer.script("return document.querySelectorAll('select[name=\"agency\"]').length;"),
        0
    );
    // CSV and XLSX of the same period, as the page links them.
    let links = strings(
        &officer,
        "return ['#usage-csv', '#usage-xlsx'].map(s => document.querySelector(s).getAttribute('href'));",
    );
    let (status, _, bytes) = officer_api.get_bytes(&links[1]);
    assert_eq!(status, 200, "{}", links[1]);
    let book = xlsx::read(&bytes);
    let sheet = book["cached"].as_array().unwrap();
    assert!(sheet.len() >= 10, "a header and a row per day: {book}");
    assert_eq!(sheet[1][2], 2.0, "sign-ins on 15 March: {book}");
    let (status, _, csv) = officer_api.get_bytes(&links[0]);
    assert_eq!(status, 200);
    assert!(String::from_utf8(csv).unwrap().contains(&ftl("kk", "usage-sign-ins")));
    // The filter and the links are not printed.
    let printed = officer.script(
        "return ['#usage-filter', '#usage-downloads'].every(s => document.querySelector(s).classList.contains('no-print'));",
    );
    assert_eq!(printed, true);
    officer.screenshot(&shots, "usage-officer-kk");

    // A period that ends before it starts comes back with what was typed and the message.
    officer.goto(&format!("{base}/usage?from=2027-03-20&to=2027-03-10"));
    let values = strings(
        &officer,
        "return ['from', 'to'].map(n => document.querySelector('[name=\"' + n + '\"]').value);",
    );
    assert_eq!(values, vec!["2027-03-20", "2027-03-10"]);
    assert!(officer.text().contains(&ftl("kk", "usage-period-order")), "{}", officer.text());
    let focus = officer
        .script("return document.querySelector('[name=\"from\"]').hasAttribute('autofocus');");
    assert_eq!(focus, true);
    let res = officer_api.get("/usage?from=2027-03-20&to=2027-03-10");
    assert_eq!(res.status, 400);

    // The support administrator (Russian): a tab of the support section, every agency.
    let support = no_js_browser();
    sign_in(&support, &base, "support");
    support.goto(&format!("{base}/helpdesk"));
    let tab = strings(
        &support,
        "return Array.from(document.querySelectorAll('nav.tabs a[href=\"/usage\"]')).map(a => a.textContent);",
    );
    assert_eq!(tab, vec![ftl("ru", "support-tab-usage")]);
    support.goto(&format!("{base}/usage?{PERIOD}"));
    fits(&support, "ru", "usage page, whole portal");
    let (_, all) = support_api.get_json(&format!("/api/v1/usage?{PERIOD}"));
    assert_eq!(all["agency"], Value::Null);
    assert_eq!(all["documents"], 3, "{all}");
    page_matches_api(&support, "ru", &all, "support, whole portal");
    assert!(support.text().contains(&ftl("ru", "usage-whole-portal")));
    let options = strings(
        &support,
        "return Array.from(document.querySelectorAll('select[name=\"agency\"] option')).map(o => o.value);",
    );
    assert_eq!(options, vec!["", "AKM", "MIN"]);
    support.goto(&format!("{base}/usage?agency=AKM&{PERIOD}"));
    let (_, akm) = support_api.get_json(&format!("/api/v1/usage?agency=AKM&{PERIOD}"));
    assert_eq!((akm["agency"].as_str(), akm["documents"].as_u64()), (Some("AKM"), Some(1)));
    page_matches_api(&support, "ru", &akm, "support, AKM");
    let chosen = support.script("return document.querySelector('select[name=\"agency\"]').value;");
    assert_eq!(chosen, "AKM");
    support.screenshot(&shots, "usage-support-ru");

    // Another agency for the officer, any figures for an employee: 403, logged as refused.
    officer.goto(&format!("{base}/usage?agency=AKM&{PERIOD}"));
    let figures =
        officer.script("return document.querySelectorAll('#usage-totals, #usage-trend').length;");
    assert_eq!(figures, 0, "no figures of another agency");
    assert_eq!(officer_api.get(&format!("/usage?agency=AKM&{PERIOD}")).status, 403);
    assert_eq!(server.signed_in("clerk").get("/usage").status, 403);
    let entries = server.audit_entries();
    let refused: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["operation"] == "usage.read" && e["outcome"] == "denied" && e["status"] == 403
        })
        .collect();
    assert!(refused.iter().any(|e| e["actor"] == "clerk"), "{refused:?}");
    assert!(refused.iter().filter(|e| e["actor"] == "officer").count() >= 2, "{refused:?}");
}

/// Issue 17 point 8: a fresh demo's usage charts show the last weeks of several agencies,
/// generated as access-log entries in the past (each marked as generated), counted like
/// any other; the log's chain stays whole.
#[test]
fn i617_s22_the_demo_shows_usage_over_generated_history_for_several_agencies() {
    let server = Server::builder().demo().start();
    server
        .cli(&["user", "reset-password", "--login", "support", "--password-stdin"], Some(PASSWORD))
        .ok();
    let support = server.signed_in("support");
    let (status, all) = support.get_json("/api/v1/usage");
    assert_eq!(status, 200, "{all}");
    let days = all["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let alive = days.iter().filter(|d| d["active_users"].as_u64().unwrap() > 0).count();
    assert!(alive >= 18, "most days of the last 30 show use: {alive}");
    assert!(all["sign_ins"].as_u64().unwrap() > 50, "{all}");
    assert!(all["documents"].as_u64().unwrap() > 5, "{all}");
    let mut agencies = 0;
    for code in ["MCRIAP", "MINFIN", "MNE", "KPM", "ADGS", "AKIMAT-KRG"] {
        let (status, u) = support.get_json(&format!("/api/v1/usage?agency={code}"));
        assert_eq!(status, 200, "{u}");
        if u["active_users"].as_u64().unwrap() > 0 {
            agencies += 1;
        }
    }
    assert!(agencies >= 4, "several agencies have a history: {agencies}");
    let page = support.get("/usage");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("circle class=\"point\""), "the trend is drawn");
    let entries = server.audit_entries();
    let generated = entries.iter().filter(|e| e["detail"]["generated"] == "demo history").count();
    assert!(generated > 200, "the history is in the log, marked: {generated}");
    server.verify().ok();
}
