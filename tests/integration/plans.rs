//! Action-plan monitoring end to end (I385 §29–§37) through the real server: the
//! Government's plan posted late across a decreed working Saturday, tasks assigned late
//! and reminded by mail, reports returned and accepted, an item overdue across a moved
//! holiday, a consolidated report signed by the head with an `openssl cms` signature and
//! visible to the authorized body only afterwards; forbidden steps 403 (or 404 for an
//! unreadable plan) and logged; the plan's XLSX read back by openpyxl. Mail goes to a real
//! SMTP server; time moves with the controllable clock.

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::smtp::Smtp;
use crate::common::{Server, xlsx};
use crate::drafts_world::openssl_cms_sign;
use crate::signatures::pki::{person, pki};

struct World {
    server: Server,
    smtp: Smtp,
}

fn world() -> World {
    let smtp = Smtp::start();
    let server = Server::builder()
        .controllable_clock()
        .mail_to(smtp.port)
        .env("IPGO_PLANS__GOVERNMENT_AGENCY", "KPM")
        // Everyone signs in again after each jump of the clock.
        .env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "1000")
        .start();
    for a in ["KPM", "MNE", "FIN", "OTHER"] {
        server.add_agency(a);
    }
    let p = pki();
    let (root, inter) = (p.path("root/cert.pem"), p.path("inter/cert.pem"));
    let trust = ["trust", "add", root.to_str().unwrap(), inter.to_str().unwrap()];
    server.cli(&trust, None).ok();
    server.cli(&["trust", "crl", p.path("root/crl.pem").to_str().unwrap()], None).ok();
    server.cli(&["trust", "crl", p.path("inter/crl.pem").to_str().unwrap()], None).ok();
    let people: &[(&str, &str, &[&str])] = &[
        ("kpm.plan", "KPM", &["employee", "plan_responsible"]),
        ("kpm.emp", "KPM", &["employee"]),
        ("mne.plan", "MNE", &["employee", "plan_responsible"]),
        ("mne.exp", "MNE", &["employee"]),
        ("mne.head", "MNE", &["employee", "head"]),
        ("mne.emp", "MNE", &["employee"]),
        ("fin.exp", "FIN", &["employee"]),
        ("other", "OTHER", &["employee", "plan_responsible"]),
    ];
    for (login, agency, roles) in people {
        let email = format!("{login}@ipgo.test");
        let mut args = vec![
            "user",
            "add",
            "--login",
            login,
            "--agency",
            agency,
            "--email",
            &email,
            "--password-stdin",
        ];
        for r in *roles {
            args.push("--role");
            args.push(r);
        }
        server.cli(&args, Some(crate::common::PASSWORD)).ok();
    }
    let (cert, _) = person("plans-mne.head");
    server.cli(&["cert", "register", "--login", "mne.head", cert.to_str().unwrap()], None).ok();
    World { server, smtp }
}

fn ok(r: (u16, Value), status: u16) -> Value {
    assert_eq!(r.0, status, "{}", r.1);
    r.1
}

fn item_by_number(plan: &Value, n: &str) -> Value {
    plan["items"].as_array().unwrap().iter().find(|i| i["number"] == n).cloned().unwrap()
}

/// Sends a CMS signature over an item's consolidated report as `c`.
fn sign_consolidated(c: &Client, item: &str, cms: &[u8]) -> crate::common::client::Resp {
    let csrf = c.csrf().unwrap();
    c.send(
        "POST",
        &format!("{item}/consolidated/signature"),
        &[("x-csrf-token", &csrf)],
        Some(("application/pkcs7-signature", cms.to_vec())),
    )
}

#[test]
fn i385_s29_s37_government_plan_from_posting_to_the_signed_report() {
    let w = world();
    let s = &w.server;
    // Thursday 25 April 2024, Astana time.
    s.set_clock("2024-04-25T10:00:00+05:00");
    // Sessions end when the clock jumps weeks ahead: everyone signs in again after a jump.
    let sign_in = || {
        ["kpm.plan", "mne.plan", "mne.exp", "mne.head", "fin.exp", "kpm.emp", "other"]
            .map(|l| s.signed_in(l))
    };
    let [kpm, _, _, _, _, _, other] = sign_in();

    // Bad items: each refused with its field and a translated reason.
    let base = json!({"kind": "government", "title": "План мероприятий Правительства на 2024 год", "approved_on": "2024-04-26"});
    let mut bad = base.clone();
    bad["items"] = json!([{"number": "1", "start": "2024-06-01", "end": "2024-05-01", "periodicity": "once", "title": "x", "responsible": "MNE"}]);
    let e = ok(kpm.post_json("/api/v1/plans", &bad), 400);
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("invalid_input"), Some("items[0].end"))
    );
    bad["items"] = json!([{"number": "1", "start": "2024-01-10", "end": "2024-02-20", "periodicity": "quarterly", "title": "x", "responsible": "MNE"}]);
    let e = ok(kpm.post_json("/api/v1/plans", &bad), 400);
    assert_eq!(e["field"], "items[0].periodicity");
    assert!(e["message"].as_str().unwrap().contains("периодичност"), "{e}");
    // Only the authorized body's plan officer creates the Government plan.
    ok(other.post_json("/api/v1/plans", &base), 403);

    let mut input = base.clone();
    input["items"] = json!([
        {"number": "1", "start": "2024-04-01", "end": "2024-12-31", "periodicity": "quarterly",
         "title": "Перевод государственных услуг в проактивный формат", "content": "Мазмұны / содержание",
         "responsible": "MNE", "co_executors": ["FIN"]},
        {"number": "1.1", "parent": "1", "start": "2024-04-01", "end": "2024-06-28", "periodicity": "once",
         "title": "Анализ востребованности услуг", "responsible": "MNE"},
    ]);
    let plan = ok(kpm.post_json("/api/v1/plans", &input), 201);
    let id = plan["id"].as_u64().unwrap();
    // §31: five working days from Friday 26 April — 29, 30 April, 2, 3 May and Saturday
    // 4 May, worked by decree.
    assert_eq!(plan["posting_due"], "2024-05-04");
    // A stranger may not even learn that the plan exists.
    ok(other.get_json(&format!("/api/v1/plans/{id}")), 404);

    // Posted on Friday 10 May: late by two working days (6 and 10 May; 7–9 May are days off).
    s.set_clock("2024-05-10T11:00:00+05:00");
    let [kpm, _, _, _, _, _, _] = sign_in();
    let plan = ok(kpm.post_json(&format!("/api/v1/plans/{id}/post"), &json!({})), 200);
    assert_eq!(plan["posted"]["late_working_days"], 2, "{plan}");
    assert_eq!(plan["posted"]["due"], "2024-05-04");
    let mail = w.smtp.wait_for_mail("mne.plan@ipgo.test", "Размещён план");
    assert!(
        mail["body"].as_str().unwrap().contains("13.05.2024"),
        "tasks due Monday 13 May: {mail}"
    );
    let item1 = item_by_number(&plan, "1");
    let item11 = item_by_number(&plan, "1.1");
    let it1 = format!("/api/v1/plans/{id}/items/{}", item1["id"]);
    let it11 = format!("/api/v1/plans/{id}/items/{}", item11["id"]);

    // §33: no task by Monday 13 May — the responsible executor is reminded on the 14th.
    s.set_clock("2024-05-14T09:00:00+05:00");
    let [_, mne, exp, _, fin, _, _] = sign_in();
    w.smtp.wait_for_mail("mne.plan@ipgo.test", "Не назначены задачи");
    let task = json!({"title": "Подготовить информацию", "text": "С расчётами", "start": "2024-05-14", "end": "2024-12-31", "executors": ["mne.exp"]});
    ok(fin.post_json(&format!("{it1}/tasks"), &task), 403);
    let mut outside = task.clone();
    outside["end"] = json!("2025-01-31");
    let e = ok(mne.post_json(&format!("{it1}/tasks"), &outside), 400);
    assert_eq!(e["field"], "end");
    let mut stranger = task.clone();
    stranger["executors"] = json!(["other"]);
    ok(mne.post_json(&format!("{it1}/tasks"), &stranger), 400);
    let item = ok(mne.post_json(&format!("{it1}/tasks"), &task), 200);
    assert_eq!(item["tasks"][0]["late_working_days"], 1, "{item}");
    let mut t11 = task.clone();
    t11["end"] = json!("2024-06-28");
    ok(mne.post_json(&format!("{it11}/tasks"), &t11), 200);
    w.smtp.wait_for_mail("mne.exp@ipgo.test", "Задача по пункту 1");

    // §34: a report by someone not an executor is refused (and logged); the executor's is
    // returned with a comment, then accepted.
    let report = json!({"period": "2024-06-30", "text": "Переведено 48 услуг из 312."});
    ok(fin.post_json(&format!("{it1}/reports"), &report), 403);
    let item = ok(exp.post_json(&format!("{it1}/reports"), &report), 200);
    let r1 = item["reports"][0]["id"].as_u64().unwrap();
    let review = format!("{it1}/reports/{r1}/review");
    let e = ok(mne.post_json(&review, &json!({"accept": false})), 400);
    assert_eq!(e["field"], "comment");
    ok(
        mne.post_json(
            &review,
            &json!({"accept": false, "comment": "Приложите расчёт по регионам"}),
        ),
        200,
    );
    w.smtp.wait_for_mail("mne.exp@ipgo.test", "Отчёт возвращён");
    let item = ok(exp.post_json(&format!("{it1}/reports"), &report), 200);
    assert_eq!(item["status"], "submitted");
    let r2 = item["reports"][1]["id"].as_u64().unwrap();
    let item =
        ok(mne.post_json(&format!("{it1}/reports/{r2}/review"), &json!({"accept": true})), 200);
    assert_eq!(
        (item["status"].as_str(), item["period"].as_str()),
        (Some("on_time"), Some("2024-09-30"))
    );

    // Item 1.1 ends Friday 28 June; its report is due the fifth working day after, Friday
    // 5 July. On Wednesday 10 July it is two working days late: Monday 8 July is the day
    // off Capital Day (Saturday 6 July) moved to.
    s.set_clock("2024-07-10T12:00:00+05:00");
    let [kpm, _, _, _, _, _, other] = sign_in();
    let plan = ok(kpm.get_json(&format!("/api/v1/plans/{id}")), 200);
    let late = item_by_number(&plan, "1.1");
    assert_eq!(
        (late["status"].as_str(), late["due"].as_str()),
        (Some("overdue"), Some("2024-07-05"))
    );
    assert_eq!(late["overdue_working_days"], 2);
    w.smtp.wait_for_mail("mne.exp@ipgo.test", "Просрочен отчёт");
    let dash = ok(kpm.get_json(&format!("/api/v1/plans/dashboard?plan={id}")), 200);
    let line = &dash["agencies"].as_array().unwrap()[0];
    assert_eq!(
        (line["counts"]["overdue"].as_u64(), line["reports_returned"].as_u64()),
        (Some(1), Some(1))
    );

    // The plan's execution in the Government's layout, read back by openpyxl.
    let (status, _, bytes) = kpm.get_bytes(&format!("/api/v1/plans/{id}/export.xlsx"));
    assert_eq!(status, 200);
    let book = xlsx::read(&bytes);
    assert_eq!(book["freeze"], "A2");
    let rows = book["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "header, two items, totals");
    assert_eq!(rows[1][0], json!({"t": "s", "v": "1"}));
    assert_eq!(
        rows[1][5],
        json!({"t": "date", "v": "2024-10-07"}),
        "Q3 report due the 5th working day after 30 September"
    );
    assert_eq!(rows[2][6], json!({"t": "s", "v": "Просрочено"}));
    assert_eq!(rows[2][7], json!({"t": "n", "v": 2}));
    assert_eq!(rows[1][8], json!({"t": "s", "v": "Переведено 48 услуг из 312."}));
    assert_eq!(rows[3][7], json!({"t": "f", "v": "=SUM(H2:H3)"}));
    assert_eq!(book["cached"][3][7], 2);

    // The pages answer in the reader's language and show the chart naming each agency.
    let page = kpm.get(&format!("/plans/{id}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<svg") && page.body.contains("Просрочено: 1"),
        "{}",
        &page.body[..400]
    );
    assert_eq!(kpm.get(&format!("/plans/{id}/items/{}", item1["id"])).status, 200);
    assert_eq!(other.get(&format!("/plans/{id}")).status, 404);

    // The head signs with a certificate valid now: the portal's clock returns to the
    // present (signing times and certificate validity are checked against it).
    s.set_clock(&jiff::Timestamp::now().to_string());
    let [_, mne, exp, head, _fin, reader, other] = sign_in();

    // §35: the consolidated report goes to the head; before signing only the chain sees it.
    ok(exp.post_json(&format!("{it1}/consolidated"), &json!({"text": "x"})), 403);
    let item = ok(
        mne.post_json(
            &format!("{it1}/consolidated"),
            &json!({"text": "Сводная информация по пункту 1: переведено 48 услуг."}),
        ),
        201,
    );
    let doc = item["consolidated"]["document"].as_u64().unwrap();
    w.smtp.wait_for_mail("mne.head@ipgo.test", "На подпись");
    let seen = ok(reader.get_json(&it1), 200);
    assert!(
        seen["consolidated"].is_null(),
        "hidden from the authorized body before signing: {seen}"
    );
    ok(reader.get_json(&format!("/api/v1/documents/{doc}")), 404);
    let manifest = head.get(&format!("/api/v1/documents/{doc}/versions/1/manifest"));
    assert_eq!(manifest.status, 200, "{}", manifest.body);
    let (cert, key) = person("plans-mne.head");
    let cms = openssl_cms_sign(&cert, &key, manifest.body.as_bytes());
    let sign = |c: &Client| sign_consolidated(c, &it1, &cms);
    assert_eq!(sign(&mne).status, 403, "only the head signs");
    let r = sign(&head);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["consolidated"]["signed"].is_object());
    w.smtp.wait_for_mail("kpm.plan@ipgo.test", "Подписан сводный отчёт");
    // §36: now the authorized body's employees read it.
    let seen = ok(reader.get_json(&it1), 200);
    assert!(seen["consolidated"]["text"].as_str().unwrap().contains("48 услуг"), "{seen}");
    ok(reader.get_json(&format!("/api/v1/documents/{doc}")), 200);
    ok(other.get_json(&it1), 404);

    // Forbidden steps are in the access log as denials.
    let log = s.audit_entries();
    let denied: Vec<&str> = log
        .iter()
        .filter(|e| e["outcome"] == "denied")
        .filter_map(|e| e["operation"].as_str())
        .filter(|o| o.starts_with("plan."))
        .collect();
    for op in ["plan.manage", "plan.read", "plan.assign", "plan.report", "plan.review", "plan.sign"]
    {
        assert!(denied.contains(&op), "{op} denied in {denied:?}");
    }
    assert!(
        log.iter().any(|e| e["operation"] == "plan.post" && e["detail"]["late_working_days"] == 2)
    );
}

/// §30 and §37 for an agency's own plan: posted by its plan officer within three working
/// days of approval, executed and reported inside the agency, and the signed consolidated
/// report opened to every employee of that agency — and to nobody outside it.
#[test]
fn i385_s30_s37_agency_plan_signed_report_opens_to_every_employee_of_the_agency() {
    let w = world();
    let s = &w.server;
    // Monday 4 November 2024: three working days run to Thursday 7 November.
    s.set_clock("2024-11-04T10:00:00+05:00");
    let mne = s.signed_in("mne.plan");
    let kpm = s.signed_in("kpm.plan");
    let input = json!({"kind": "agency", "title": "План работы министерства на 2025 год", "approved_on": "2024-11-04",
        "items": [{"number": "1", "start": "2024-11-04", "end": "2025-06-30", "periodicity": "half_yearly",
                   "title": "Обучение служащих работе в портале", "responsible": "MNE"}]});
    // Another agency's plan officer cannot make a plan of the ministry: an agency plan
    // always belongs to its author's agency.
    let foreign = ok(kpm.post_json("/api/v1/plans", &input), 201);
    assert_ne!(foreign["owner"], json!(null));
    let plan = ok(mne.post_json("/api/v1/plans", &input), 201);
    assert_ne!(plan["owner"], foreign["owner"], "each agency plan is its author's agency's");
    assert_eq!(plan["posting_due"], "2024-11-07");
    let id = plan["id"].as_u64().unwrap();
    // An employee of the agency who is not its plan officer may read but not post it.
    let emp = s.signed_in("mne.emp");
    ok(emp.get_json(&format!("/api/v1/plans/{id}")), 200);
    ok(emp.post_json(&format!("/api/v1/plans/{id}/post"), &json!({})), 403);
    ok(kpm.get_json(&format!("/api/v1/plans/{id}")), 404);
    s.set_clock("2024-11-06T15:00:00+05:00");
    let mne = s.signed_in("mne.plan");
    let plan = ok(mne.post_json(&format!("/api/v1/plans/{id}/post"), &json!({})), 200);
    assert_eq!(plan["posted"]["late_working_days"], 0, "{plan}");
    let it = format!("/api/v1/plans/{id}/items/{}", item_by_number(&plan, "1")["id"]);
    let task = json!({"title": "Провести занятия", "text": "", "start": "2024-11-11", "end": "2025-06-30", "executors": ["mne.exp"]});
    ok(mne.post_json(&format!("{it}/tasks"), &task), 200);
    let exp = s.signed_in("mne.exp");
    ok(
        exp.post_json(
            &format!("{it}/reports"),
            &json!({"period": "2024-12-31", "text": "Обучено 120 служащих."}),
        ),
        200,
    );
    let item = ok(mne.get_json(&it), 200);
    let r = item["reports"][0]["id"].as_u64().unwrap();
    ok(mne.post_json(&format!("{it}/reports/{r}/review"), &json!({"accept": true})), 200);

    // Signing happens now, with a certificate valid now.
    s.set_clock(&jiff::Timestamp::now().to_string());
    let [mne, emp, head, fin] =
        ["mne.plan", "mne.emp", "mne.head", "fin.exp"].map(|l| s.signed_in(l));
    let item = ok(
        mne.post_json(
            &format!("{it}/consolidated"),
            &json!({"text": "Обучено 120 служащих из 150."}),
        ),
        201,
    );
    let doc = item["consolidated"]["document"].as_u64().unwrap();
    // §37: before signing, only the chain — not the agency's other employees.
    assert!(ok(emp.get_json(&it), 200)["consolidated"].is_null());
    ok(emp.get_json(&format!("/api/v1/documents/{doc}")), 404);
    let manifest = head.get(&format!("/api/v1/documents/{doc}/versions/1/manifest"));
    assert_eq!(manifest.status, 200, "{}", manifest.body);
    let (cert, key) = person("plans-mne.head");
    let cms = openssl_cms_sign(&cert, &key, manifest.body.as_bytes());
    let r = sign_consolidated(&head, &it, &cms);
    assert_eq!(r.status, 200, "{}", r.body);
    w.smtp.wait_for_mail("mne.plan@ipgo.test", "Подписан сводный отчёт");
    // §37: after signing, every employee of the agency; still nobody outside it.
    let seen = ok(emp.get_json(&it), 200);
    assert!(seen["consolidated"]["text"].as_str().unwrap().contains("120"), "{seen}");
    ok(emp.get_json(&format!("/api/v1/documents/{doc}")), 200);
    ok(fin.get_json(&format!("/api/v1/documents/{doc}")), 404);
    ok(fin.get_json(&it), 404);
}

/// A plan of 5,000 items exports as one XLSX the reader opens whole: every item a row,
/// the totals row a formula over all of them.
#[test]
fn a_plan_of_5000_items_exports_whole() {
    let w = world();
    let s = &w.server;
    let kpm = s.signed_in("kpm.plan");
    let items: Vec<Value> = (1..=5000)
        .map(|n| json!({"number": n.to_string(), "start": "2026-01-01", "end": "2026-12-31", "periodicity": "quarterly",
                        "title": format!("Іс-шара {n}: мемлекеттік қызметтерді цифрландыру"), "responsible": if n % 2 == 0 { "MNE" } else { "FIN" }}))
        .collect();
    let plan = ok(
        kpm.post_json(
            "/api/v1/plans",
            &json!({"kind": "government", "title": "Жоспар", "approved_on": "2026-01-05"}),
        ),
        201,
    );
    let id = plan["id"].as_u64().unwrap();
    // A request body stays under the JSON limit: the items arrive in parts, as a client
    // loading a large plan sends them.
    for part in items.chunks(500) {
        ok(kpm.post_json(&format!("/api/v1/plans/{id}/items"), &json!({ "items": part })), 200);
    }
    let (status, _, bytes) = kpm.get_bytes(&format!("/api/v1/plans/{id}/export.xlsx"));
    assert_eq!(status, 200);
    let book = xlsx::read(&bytes);
    let rows = book["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5002, "header, 5,000 items, totals");
    assert_eq!(rows[5000][0], json!({"t": "s", "v": "5000"}));
    assert_eq!(rows[5001][7], json!({"t": "f", "v": "=SUM(H2:H5001)"}));
}

/// The plan page at 1024×768 in Chromium: it fits without horizontal scrolling, shows
/// each item's status and the chart, and sorts by following a heading's link.
#[test]
fn the_plan_page_at_1024x768_in_chromium() {
    use crate::common::browser::Browser;
    let w = world();
    let s = &w.server;
    let kpm = s.signed_in("kpm.plan");
    let plan = ok(
        kpm.post_json(
            "/api/v1/plans",
            &json!({"kind": "government", "title": "Қазақстан Республикасы Үкіметінің 2026 жылға арналған іс-шаралар жоспары", "approved_on": "2026-01-05",
                "items": [
                    {"number": "1", "start": "2026-01-01", "end": "2026-12-31", "periodicity": "quarterly", "title": "Мемлекеттік қызметтерді проактивті форматқа көшіру", "responsible": "MNE", "co_executors": ["FIN"]},
                    {"number": "2", "start": "2026-01-01", "end": "2026-02-27", "periodicity": "once", "title": "Цифрлық құжат айналымын енгізу", "responsible": "FIN"},
                    {"number": "3", "start": "2026-01-01", "end": "2026-12-31", "periodicity": "monthly", "title": "Интранет-порталды дамыту", "responsible": "MNE"}
                ]}),
        ),
        201,
    );
    let id = plan["id"].as_u64().unwrap();
    ok(kpm.post_json(&format!("/api/v1/plans/{id}/post"), &json!({})), 200);
    let shots =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    let browser = Browser::start_with(&["--window-size=1024,768"]);
    let base = s.base_url();
    browser.goto(&format!("{base}/login?lang=kk"));
    browser.type_into("#login", "kpm.plan");
    browser.type_into("#password", crate::common::PASSWORD);
    browser.click("#sign-in");
    crate::common::wait_for("the dashboard", 20, || {
        (browser.url() == format!("{base}/")).then_some(())
    });
    browser.goto(&format!("{base}/plans/{id}"));
    let text = browser.text();
    assert!(text.contains("Мемлекеттік қызметтерді проактивті форматқа көшіру"), "{text}");
    let width = browser.script("return [window.innerWidth, document.documentElement.scrollWidth]");
    assert!(width[1].as_i64() <= width[0].as_i64(), "no horizontal scroll at 1024 px: {width}");
    assert_eq!(
        browser
            .script("return document.querySelectorAll('svg.chart rect.bar title').length")
            .as_i64(),
        Some(2)
    );
    browser.screenshot(&shots, "plan-kk-1024");
    // Sort by number, descending, with the heading's link (no JavaScript needed).
    browser.click("th a[href*='sort=number']");
    browser.click("th a[href*='sort=number'][href*='dir=desc']");
    let first =
        browser.script("return document.querySelector('table.report tbody th').textContent");
    assert_eq!(first.as_str(), Some("3"), "sorted descending by number");
    browser.goto(&format!("{base}/plans/{id}/items/{}", item_by_number(&plan, "1")["id"]));
    browser.screenshot(&shots, "plan-item-kk-1024");
    browser.goto(&format!("{base}/plans/dashboard"));
    browser.screenshot(&shots, "plans-dashboard-kk-1024");
    for name in ["plan-kk-1024", "plan-item-kk-1024", "plans-dashboard-kk-1024"] {
        let png = shots.join(format!("{name}.png"));
        assert!(std::fs::metadata(&png).is_ok_and(|m| m.len() > 1000), "{}", png.display());
    }
}
