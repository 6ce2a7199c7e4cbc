//! The main page of every workflow checked by a tool written by others: axe-core (installed by
//! `tests/setup-a11y.sh`) runs in headless Chromium at 1024×768 on the demo's pages, in
//! Kazakh and Russian, signed in with the role each page is for. Any violation of impact
//! serious or critical fails the test (WCAG 2.1 AA; issue "hardening", point 5).

use crate::common::browser::Browser;
use crate::common::{PASSWORD, Server, wait_for};
use serde_json::Value;

/// The main pages, one per workflow, each for the role it is for (the demo's agencies and
/// its first plan, draft, meeting...), checked on every CI run.
const MAIN_PAGES: &[(&str, &str, &[&str])] = &[
    (
        "employee",
        "MCRIAP",
        &[
            "/",
            "/documents",
            "/documents/1",
            "/documents/new",
            "/search?q=%D0%B7%D0%B0%D2%A3",
            // The search's further filters open (they open when one is set).
            "/search?q=%D0%B7%D0%B0%D2%A3&from=2020-01-01",
            "/inbox",
            "/discussions",
            "/surveys",
            "/helpdesk/new",
        ],
    ),
    ("head", "MCRIAP", &["/drafts/1"]),
    ("system_admin", "AKIMAT-KRG", &["/admin/users", "/admin/directory-sync", "/calendar"]),
    ("auditor", "AKIMAT-KRG", &["/audit", "/help/user"]),
    ("hr_officer", "MCRIAP", &["/headcount", "/usage"]),
    ("civil_service_verifier", "ADGS", &["/headcount/summary"]),
    ("plan_responsible", "AKIMAT-KRG", &["/plans/*"]),
    ("controller", "AKIMAT-KRG", &["/reminders"]),
    ("okdo_officer", "KPM", &["/meetings/1"]),
];

fn axe_source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-tools/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; run tests/setup-a11y.sh (tests/run-all.sh does)", path.display())
    })
}

/// Runs axe-core on the open page; returns its serious and critical violations, described.
fn serious_violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.script(axe);
    browser.script(
        "window.__axe = null; axe.run(document, {resultTypes: ['violations']})\
         .then(r => { window.__axe = JSON.stringify(r.violations); })\
         .catch(e => { window.__axe = JSON.stringify({error: String(e)}); });",
    );
    let text = wait_for("axe-core to finish", 60, || {
        browser.script("return window.__axe;").as_str().map(str::to_owned)
    });
    let violations: Value = serde_json::from_str(&text).expect("axe's JSON");
    let list = violations.as_array().unwrap_or_else(|| panic!("axe-core failed: {violations}"));
    list.iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let node = &v["nodes"][0];
            format!(
                "{} [{}] on {} of {}: {}",
                v["id"].as_str().unwrap_or(""),
                v["impact"].as_str().unwrap_or(""),
                node["target"],
                v["nodes"].as_array().map_or(0, Vec::len),
                node["failureSummary"].as_str().unwrap_or("").replace('\n', " ")
            )
        })
        .collect()
}

/// The first `list/<id>` link of a list page.
fn first_item(html: &str, list: &str) -> String {
    let prefix = format!("href=\"{list}/");
    html.match_indices(&prefix)
        .map(|(at, _)| {
            html[at + prefix.len()..].chars().take_while(char::is_ascii_digit).collect::<String>()
        })
        .find(|id| !id.is_empty())
        .map(|id| format!("{list}/{id}"))
        .unwrap_or_else(|| panic!("{list} links no item:\n{html}"))
}

#[test]
fn axe_core_finds_nothing_serious_on_the_main_pages_in_kk_and_ru() {
    check(&[MAIN_PAGES], 2 * 22);
}

/// Signs in with each role in a browser at 1024×768, opens its pages in kk and ru, runs
/// axe-core on each; `expected` pages must have been checked.
fn check(sets: &[&[(&str, &str, &[&str])]], expected: usize) {
    let server = Server::builder().demo().start();
    let axe = axe_source();
    let base = server.base_url();
    let mut found = Vec::new();
    let mut checked = 0;
    for lang in ["kk", "ru"] {
        let browser = Browser::start_with(&["--window-size=1024,768"]);
        browser.goto(&format!("{base}/login?lang={lang}"));
        for v in serious_violations(&browser, &axe) {
            found.push(format!("{lang} /login: {v}"));
        }
        for (n, (role, agency, pages)) in sets.iter().flat_map(|set| set.iter()).enumerate() {
            let login = format!("a11y.{lang}.{n}.{role}");
            server.add_user(&login, agency, &[role]);
            let client = server.signed_in(&login);
            browser.clear_cookies();
            browser.goto(&format!("{base}/login?lang={lang}"));
            browser.type_into("#login", &login);
            browser.type_into("#password", PASSWORD);
            browser.click("#sign-in");
            wait_for("signed in", 20, || (!browser.url().contains("/login")).then_some(()));
            for page in *pages {
                let page = &match page.strip_suffix("/*") {
                    Some(list) => first_item(&client.get(list).body, list),
                    None => page.to_string(),
                };
                // A real page, not an error page: the same person gets 200 from the server.
                let status = client.get(page).status;
                if status != 200 {
                    found.push(format!("{lang} {page} ({role}): answered {status}, not 200"));
                    continue;
                }
                let sep = if page.contains('?') { '&' } else { '?' };
                browser.goto(&format!("{base}{page}{sep}lang={lang}"));
                assert_eq!(browser.lang(), lang, "{page} in {lang}");
                for v in serious_violations(&browser, &axe) {
                    found.push(format!("{lang} {page} ({role}): {v}"));
                }
                checked += 1;
            }
        }
    }
    assert!(found.is_empty(), "axe-core, serious or critical:\n{}", found.join("\n"));
    assert_eq!(checked, expected, "every page listed, in both languages");
}
