//! Issue 21 point 7, the layout at 1024×768, on the demo's data through the real server:
//! the header in two rows for every role with nothing cut or overflowing and the search
//! box's whole placeholder (Chromium, kk and ru), a "skip to content" link as the first
//! focusable element of every page, shown when focused; the documents, drafts and users
//! lists sorted by their column heads without JavaScript (links with `sort`/`dir`, the
//! filters kept, `aria-sort`); "mark all read" in the inbox (a POST with the CSRF token,
//! logged, confirmed); cancel links on the new-version and destroy pages.

use serde_json::{Value, json};

use crate::common::Server;
use crate::common::client::Client;

const SECRET: &str = "Demo-Secret-2026";

/// Signs in as a demo account with its one-time password and sets [`SECRET`].
fn demo_user(server: &Server, login: &str) -> Client {
    let accounts = std::fs::read_to_string(server.data.join("demo-accounts.txt")).unwrap();
    let otp = accounts
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|c| c.len() == 4 && c[0] == login)
        .map(|c| c[3].to_owned())
        .unwrap_or_else(|| panic!("{login} in demo-accounts.txt:\n{accounts}"));
    let c = server.client();
    c.login(login, &otp);
    let body = json!({"current_password": otp, "new_password": SECRET});
    let (status, res) = c.post_json("/api/v1/me/password", &body);
    assert_eq!(status, 200, "{res}");
    c.set_csrf(res["csrf"].as_str());
    c
}

/// The texts of column `n` (0-based) of the page's first list table, top to bottom.
fn column(body: &str, n: usize) -> Vec<String> {
    let table = &body[body.find("<table class=\"list\"").expect("a list table")..];
    let tbody = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    tbody
        .split("<tr")
        .skip(1)
        .map(|row| {
            let cell = row.split("<td").nth(n + 1).unwrap_or("");
            let cell = &cell[cell.find('>').map(|i| i + 1).unwrap_or(0)..];
            let cell = cell.split("</td>").next().unwrap();
            strip_tags(cell).trim().to_owned()
        })
        .collect()
}

fn strip_tags(html: &str) -> String {
    let (mut out, mut inside) = (String::new(), false);
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'")
}

/// Case ignored, Kazakh letters beside their Cyrillic neighbours: the order people read.
fn collation(s: &str) -> Vec<u32> {
    const ALPHABET: &str = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя";
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match ALPHABET.chars().position(|a| a == c) {
            Some(i) => 0x10000 + i as u32,
            None => c as u32,
        })
        .collect()
}

fn head_of<'a>(body: &'a str, key: &str) -> &'a str {
    let at = body.find(&format!("sort={key}&amp;")).unwrap_or_else(|| panic!("{key} head"));
    let start = body[..at].rfind("<th").unwrap();
    &body[start..at + body[at..].find("</th>").unwrap()]
}

#[test]
fn issue21_p7_lists_sort_by_their_heads_mark_all_read_and_cancel_links() {
    let server = Server::builder().demo().start();
    let officer = demo_user(&server, "okdo.officer");

    // Documents: by title both ways, the filters kept in the heads' links.
    let asc = officer.get("/documents?sort=title&dir=asc");
    assert_eq!(asc.status, 200);
    let titles = column(&asc.body, 0);
    assert!(titles.len() >= 3, "the demo's documents: {titles:?}");
    let mut expected = titles.clone();
    expected.sort_by_key(|t| collation(t));
    assert_eq!(titles, expected, "ascending by title as read");
    let head = head_of(&asc.body, "title");
    assert!(head.contains("aria-sort=\"ascending\"") && head.contains("dir=desc"), "{head}");
    assert!(!head_of(&asc.body, "updated").contains("aria-sort"), "one sorted column");
    let desc = officer.get("/documents?sort=title&dir=desc");
    let mut reversed = column(&desc.body, 0);
    reversed.reverse();
    assert_eq!(reversed, titles, "descending is the other way round");
    assert!(head_of(&desc.body, "title").contains("aria-sort=\"descending\""));
    let first = officer.get_json("/api/v1/documents?limit=1").1;
    let doc_type = first["documents"][0]["type"].as_str().unwrap().to_owned();
    let filtered = officer.get(&format!("/documents?type={doc_type}&sort=title&dir=asc"));
    let link = format!("href=\"/documents?type={doc_type}&amp;sort=author&amp;dir=asc\"");
    assert!(filtered.body.contains(&link), "the filter kept: {link}\n{}", filtered.body);
    // Not a column: the list's own order, nothing marked sorted.
    let plain = officer.get("/documents?sort=password");
    assert_eq!(plain.status, 200);
    assert!(!plain.body.contains("aria-sort"), "no column sorted");

    // Drafts: by number, newest first, and by stage.
    let drafts = officer.get("/drafts?sort=id&dir=desc");
    let ids: Vec<u64> = column(&drafts.body, 0).iter().map(|i| i.parse().unwrap()).collect();
    assert!(!ids.is_empty(), "the demo's drafts");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert!(head_of(&drafts.body, "id").contains("aria-sort=\"descending\""));
    let by_stage = officer.get("/drafts?sort=stage&dir=asc");
    assert!(head_of(&by_stage.body, "stage").contains("aria-sort=\"ascending\""));

    // Users (the administrator's list): by login.
    let admin = demo_user(&server, "admin");
    let users = admin.get("/admin/users?sort=login&dir=asc");
    assert_eq!(users.status, 200);
    let logins = column(&users.body, 0);
    let mut sorted = logins.clone();
    sorted.sort();
    assert!(logins.len() >= 5 && logins == sorted, "{logins:?}");
    assert!(head_of(&users.body, "login").contains("aria-sort=\"ascending\""));
    let desc = admin.get("/admin/users?sort=name&dir=desc");
    assert!(head_of(&desc.body, "name").contains("aria-sort=\"descending\""));

    // Mark all read: a POST with the token, confirmed and logged; none without the token.
    let token = officer.csrf().unwrap();
    let none: &[(&str, &str)] = &[];
    assert!(officer.post_form("/inbox/read-all", none).status >= 400, "no token, no change");
    let res = officer.post_form("/inbox/read-all", &[("csrf", &token)]);
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").unwrap().to_owned();
    assert_eq!(location, "/inbox?done=done-inbox-read-all");
    let (_, inbox) = officer.get_json("/api/v1/inbox");
    assert_eq!(inbox["unread"], 0, "{inbox}");
    let page = officer.get(&location);
    assert!(page.body.contains(&crate::common::ftl("ru", "done-inbox-read-all")));
    let log = server.audit_entries();
    let marked: Vec<&Value> =
        log.iter().filter(|e| e["operation"] == "inbox.mark_all_read").collect();
    assert!(marked.iter().any(|e| e["outcome"] == "ok"), "{marked:?}");

    // Cancel links on the new-version and destroy pages lead back to the document.
    let posted =
        crate::common::documents::post(&officer, &json!({"title": "Черновик записки"}), &[]);
    assert_eq!(posted.status, 201, "{}", posted.body);
    let doc = posted.json()["id"].as_u64().unwrap();
    for page in [format!("/documents/{doc}/edit"), format!("/documents/{doc}/destroy")] {
        let res = officer.get(&page);
        assert_eq!(res.status, 200, "{page}");
        let cancel = crate::common::ftl(&lang_of(&res.body), "action-cancel");
        let link = format!("<a href=\"/documents/{doc}\">{cancel}</a>");
        assert!(res.body.contains(&link), "{page}: {link}\n{}", res.body);
    }
}

fn lang_of(body: &str) -> String {
    let at = body.find("<html lang=\"").unwrap() + 12;
    body[at..at + 2].to_owned()
}

/// At 1024×768 in Kazakh and Russian, for an employee and the administrator (the most
/// links): the header is two rows, nothing sticks out of the window, the search box shows
/// its whole placeholder, and the first Tab lands on "skip to content", which shows.
#[test]
fn issue21_p7_the_header_fits_1024_px_in_two_rows_with_a_skip_link_in_chromium() {
    use crate::common::browser::Browser;
    let server = Server::builder().demo().start();
    let base = server.base_url();
    for login in ["okdo.officer", "admin"] {
        demo_user(&server, login);
    }
    let shots =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    let browser = Browser::start_with(&["--window-size=1024,768"]);
    for login in ["okdo.officer", "admin"] {
        for lang in ["kk", "ru"] {
            browser.goto(&format!("{base}/login?lang={lang}"));
            if !browser.url().contains("/login") {
                browser.click("form[action='/logout'] button");
                crate::common::wait_for("signed out", 20, || {
                    browser.url().contains("/login").then_some(())
                });
                browser.goto(&format!("{base}/login?lang={lang}"));
            }
            browser.type_into("#login", login);
            browser.type_into("#password", SECRET);
            browser.click("#sign-in");
            crate::common::wait_for("signed in", 20, || {
                (!browser.url().contains("/login")).then_some(())
            });
            for path in ["/", "/documents", "/drafts"] {
                browser.goto(&format!("{base}{path}"));
                let name = format!("layout-{login}-{lang}{}", path.replace('/', "-"));
                browser.screenshot(&shots, name.trim_end_matches('-'));
                check_layout(&browser, &format!("{login} {lang} {path}"));
            }
        }
    }
}

/// Measures the page in the browser (script only reads; the pages need none).
fn check_layout(browser: &crate::common::browser::Browser, what: &str) {
    let m = browser.script(
        r#"
        const header = document.querySelector('header.top');
        // Rows: the header's items grouped where they overlap vertically.
        const boxes = [...header.querySelectorAll('.bar > *, nav > a, nav > details > summary')]
            .map(e => e.getBoundingClientRect()).filter(r => r.width > 0)
            .sort((a, b) => a.top - b.top);
        const rows = [];
        for (const r of boxes) {
            const last = rows[rows.length - 1];
            if (last && r.top < last.bottom - 2) last.bottom = Math.max(last.bottom, r.bottom);
            else rows.push({top: r.top, bottom: r.bottom});
        }
        let overflow = [];
        for (const el of header.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && el.closest('.menu') === null && (r.right > window.innerWidth + 0.5 || r.left < 0))
                overflow.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '-' + Math.round(r.right));
        }
        const input = header.querySelector('input[type=search]');
        // The placeholder typed in as a value must not scroll the box (then it shows whole).
        let placeholder = null;
        if (input) {
            const kept = input.value;
            input.value = input.placeholder;
            placeholder = {text: input.placeholder, width: input.scrollWidth, room: input.clientWidth};
            input.value = kept;
        }
        const focusable = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
            .filter(e => !e.disabled);
        const skip = document.querySelector('a.skip-link');
        const before = skip.getBoundingClientRect();
        skip.focus();
        const focused = skip.getBoundingClientRect();
        const shown = document.activeElement === skip && focused.left >= 0 && focused.top >= 0
            && focused.right <= window.innerWidth && focused.width > 0;
        skip.blur();
        return {
            height: header.getBoundingClientRect().height,
            rows: rows.length,
            overflow,
            scroll: document.documentElement.scrollWidth,
            inner: window.innerWidth,
            placeholder,
            first: focusable[0] === skip,
            target: skip.getAttribute('href'),
            main: !!document.querySelector('main#main'),
            hidden_before: before.right <= 0,
            shown,
        };
        "#,
    );
    assert!(m["rows"].as_u64().unwrap() <= 2, "{what}: the header in two rows: {m}");
    assert!(m["height"].as_f64().unwrap() <= 100.0, "{what}: header height: {m}");
    assert!(m["overflow"].as_array().unwrap().is_empty(), "{what}: sticks out: {m}");
    assert!(m["scroll"].as_f64() <= m["inner"].as_f64(), "{what}: horizontal scroll: {m}");
    let p = &m["placeholder"];
    assert!(
        p["width"].as_f64().unwrap() <= p["room"].as_f64().unwrap(),
        "{what}: placeholder cut: {m}"
    );
    assert_eq!(m["first"], true, "{what}: skip link first: {m}");
    assert_eq!((m["target"].as_str(), m["main"].as_bool()), (Some("#main"), Some(true)), "{what}");
    assert!(m["hidden_before"] == true && m["shown"] == true, "{what}: shown on focus only: {m}");
}
