//! Reminders of control instructions end to end (I385 §48–§51) through the real server,
//! with the host's `TZ` far from Astana and a clock the test moves: a connector pushes a
//! batch with its token (the same batch twice changes nothing; a bad batch is refused
//! whole with its line and a translated reason; a person without the connector role gets
//! 403, logged), files dropped into the import directory (a Windows-1251 CSV imported, a
//! UTF-16 file set aside in `failed/` with its reason); nothing is shown before the
//! source's refresh time; at 13:00 and 17:35 Astana time each source's list appears with
//! days left across a weekend and a holiday; the controller of one agency never sees
//! another's; controllers get one notice per refresh; an executed instruction drops out at
//! 19:00 and keeps its history; `/metrics` shows the last refresh per source.

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::{Server, wait_for};

fn ok(r: (u16, Value), status: u16) -> Value {
    assert_eq!(r.0, status, "{}", r.1);
    r.1
}

fn record(id: &str, agency: &str, outgoing: &str, deadline: &str, status: &str) -> Value {
    json!({"record_id": id, "outgoing_number": format!("17-01/{id}"), "outgoing_date": outgoing,
        "summary": format!("О ходе исполнения поручения {id}"), "executor_agency": agency,
        "executor_person": "Иванов И.И.", "document_type": "Поручение Премьер-Министра",
        "department": "Отдел контроля", "deadline": deadline, "status": status})
}

fn push(s: &Server, token: &str, body: &Value) -> (u16, Value) {
    let res = s.client().send(
        "POST",
        "/api/v1/reminders/import?source=chancellery",
        &[("authorization", &format!("Bearer {token}"))],
        Some(("application/json", serde_json::to_vec(body).unwrap())),
    );
    (res.status, res.json())
}

fn listed(c: &Client, query: &str) -> Vec<Value> {
    let body = ok(c.get_json(&format!("/api/v1/reminders{query}")), 200);
    body["reminders"].as_array().unwrap().clone()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(|v| v["record_id"].as_str().unwrap().to_owned()).collect()
}

fn last_refresh_at(s: &Server, source: &str) -> Option<String> {
    let status = s.cli(&["reminders", "status"], None).ok().stdout;
    status
        .lines()
        .find(|l| l.starts_with(source))
        .and_then(|l| l.split("last refresh ").nth(1))
        .map(|r| r.split('\t').next().unwrap_or_default().to_owned())
}

fn wait_refresh(s: &Server, source: &str, local: &str) {
    wait_for(&format!("{source} refreshed at {local}"), 30, || {
        last_refresh_at(s, source).filter(|at| at.starts_with(local))
    });
}

#[test]
fn i385_s48_s51_import_refresh_twice_a_day_and_the_controllers_view() {
    let s = Server::builder()
        .controllable_clock()
        .env("TZ", "America/Los_Angeles")
        .env("IPGO_REMINDERS__PICKUP_SECONDS", "1")
        .env("IPGO_REMINDERS__MAX_IMPORT_MB", "1")
        .env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "1000")
        .start();
    for a in ["MINFIN", "MNE"] {
        s.add_agency(a);
    }
    s.add_user("fin.ctl", "MINFIN", &["employee", "controller"]);
    s.add_user("fin.emp", "MINFIN", &["employee"]);
    s.add_user("mne.ctl", "MNE", &["employee", "controller"]);
    s.add_user("esedo", "MINFIN", &["connector"]);
    // Friday 11 December 2026, 10:00 Astana (UTC+5); the host thinks it is in California.
    s.set_clock("2026-12-11T10:00:00+05:00");
    // The missed refreshes run once at once (catch-up), before anything is imported.
    wait_refresh(&s, "chancellery", "11.12.2026 10:");
    wait_refresh(&s, "presidential_administration", "11.12.2026 10:");

    let out =
        s.cli(&["reminders", "token-issue", "--login", "esedo", "--label", "connector"], None).ok();
    let token = out.stdout.lines().next().unwrap().rsplit(": ").next().unwrap().trim().to_owned();
    assert!(token.len() >= 32, "{}", out.stdout);

    // A batch: two for MINFIN (due Thursday across the 16 December holiday; due Monday),
    // one for MNE, one for an agency the portal does not know.
    let batch = json!({"source": "chancellery", "instructions": [
        record("A", "MINFIN", "2026-12-01", "2026-12-17", "on_control"),
        record("B", "MINFIN", "2026-12-01", "14.12.2026", "на контроле"),
        record("C", "MNE", "2026-12-01", "2026-12-20", "on_control"),
        record("D", "Акимат Улытауской области", "2026-12-01", "2026-12-20", "on_control"),
    ]});
    let log = ok(push(&s, &token, &batch), 200);
    assert_eq!((log["accepted"].as_u64(), log["outcome"].as_str()), (Some(4), Some("imported")));
    assert_eq!(log["unknown_agencies"], json!(["Акимат Улытауской области"]));
    // The same batch again changes nothing.
    let again = ok(push(&s, &token, &batch), 200);
    assert_eq!((again["accepted"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(4)));

    // A batch with a wrong record is refused whole: its line, a translated reason, nothing kept.
    let bad = json!({"source": "chancellery", "instructions": [
        record("E", "MINFIN", "2026-12-01", "2026-12-25", "on_control"),
        record("F", "MINFIN", "2026-12-10", "2026-12-02", "on_control"),
    ]});
    let e = ok(push(&s, &token, &bad), 400);
    assert_eq!(e["code"], "invalid_input");
    assert!(e["field"].as_str().unwrap().starts_with("line 2 deadline"), "{e}");
    assert!(e["message"].as_str().unwrap().contains("целиком"), "{e}");
    // Unknown source, revoked or wrong token, a person without the connector role.
    let res = s.client().send(
        "POST",
        "/api/v1/reminders/import?source=kremlin",
        &[("authorization", &format!("Bearer {token}"))],
        Some(("application/json", b"[]".to_vec())),
    );
    assert_eq!(res.status, 400);
    assert_eq!(push(&s, "not-a-token", &batch).0, 401);
    // Over the configured size: 413 naming the limit, logged as refused, nothing kept.
    let mut huge = batch.clone();
    huge["instructions"][0]["summary"] = json!("я".repeat(700_000));
    let e = ok(push(&s, &token, &huge), 413);
    assert!(e["message"].as_str().unwrap().contains("1 МБ"), "{e}");
    let emp = s.signed_in("fin.emp");
    assert_eq!(emp.post_json("/api/v1/reminders/import?source=chancellery", &batch).0, 403);

    // Files dropped into the import directory: the Presidential Administration's CSV in
    // Windows-1251 is imported; a UTF-16 file is set aside with its reason.
    let dir = s.data.join("import/reminders/presidential_administration");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = "record_id;outgoing_number;outgoing_date;summary;executor_agency;document_type;department;deadline;status;new_deadline\r\n\
               AP-1;01-21/1;01.12.2026;О реализации Послания Главы государства;MINFIN;Поручение Главы государства;Департамент бюджета;18.12.2026;продлен;21.12.2026\r\n";
    std::fs::write(dir.join("ap.csv"), encoding_rs::WINDOWS_1251.encode(csv).0).unwrap();
    let utf16: Vec<u8> = csv.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    std::fs::write(dir.join("broken.csv"), utf16).unwrap();
    wait_for("both files handled", 30, || {
        let done = std::fs::read_dir(dir.join("done")).ok()?.count();
        let failed = std::fs::read_dir(dir.join("failed")).ok()?.count();
        (done == 1 && failed == 2).then_some(())
    });
    let reason = std::fs::read_dir(dir.join("failed"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".reason.txt"))
        .unwrap();
    let reason = std::fs::read_to_string(reason).unwrap();
    assert!(reason.contains("Windows-1251"), "{reason}");
    assert!(!dir.join("ap.csv").exists() && !dir.join("broken.csv").exists());

    // Before 13:00 nothing is shown.
    let fin = s.signed_in("fin.ctl");
    assert!(listed(&fin, "").is_empty());

    // 13:00 Astana: the Chancellery's list appears; the Presidential Administration's waits.
    s.set_clock("2026-12-11T13:00:05+05:00");
    wait_refresh(&s, "chancellery", "11.12.2026 13:00");
    let fin = s.signed_in("fin.ctl");
    let list = listed(&fin, "");
    assert_eq!(ids(&list), vec!["B", "A"], "sorted by deadline, MINFIN's only, E never kept");
    // Monday 14th from Friday: 3 days, 1 working day; Thursday 17th: 6 days, 3 working
    // days (the weekend and Independence Day, 16 December, are not working days).
    assert_eq!(
        (list[0]["days_left"].as_i64(), list[0]["working_days_left"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(list[0]["urgency"], "due_soon");
    assert_eq!(
        (list[1]["days_left"].as_i64(), list[1]["working_days_left"].as_i64()),
        (Some(6), Some(3))
    );
    // The controller of one agency never sees another's.
    let mne = s.signed_in("mne.ctl");
    let mne_list = listed(&mne, "");
    assert_eq!(ids(&mne_list), vec!["C"]);
    assert!(listed(&fin, "?agency=MNE").is_empty());
    let c_id = mne_list[0]["id"].as_u64().unwrap();
    assert_eq!(fin.get_json(&format!("/api/v1/reminders/{c_id}")).0, 404);
    // An employee who is not the controller (nor the executor) sees nothing.
    assert!(listed(&s.signed_in("fin.emp"), "").is_empty());
    // One notice per refresh to each controller.
    let inbox = ok(fin.get_json("/api/v1/inbox"), 200);
    let text = inbox.to_string();
    assert!(
        text.contains("обновлены") || text.contains("жаңартылды") || text.contains("refreshed"),
        "{text}"
    );

    // 17:35: the Presidential Administration's prolonged instruction appears.
    s.set_clock("2026-12-11T17:35:05+05:00");
    wait_refresh(&s, "presidential_administration", "11.12.2026 17:35");
    let fin = s.signed_in("fin.ctl");
    let list = listed(&fin, "?source=presidential_administration");
    assert_eq!(ids(&list), vec!["AP-1"]);
    assert_eq!(
        (list[0]["status"].as_str(), list[0]["deadline"].as_str()),
        (Some("prolonged"), Some("2026-12-21"))
    );
    assert_eq!(list[0]["original_deadline"], "2026-12-18");

    // A is executed: it drops out at 19:00 and keeps its history.
    let mut done = batch.clone();
    done["instructions"][0]["status"] = json!("executed");
    ok(push(&s, &token, &done), 200);
    let a_id = listed(&fin, "?source=chancellery")[1]["id"].as_u64().unwrap();
    s.set_clock("2026-12-11T19:00:05+05:00");
    wait_refresh(&s, "chancellery", "11.12.2026 19:00");
    let fin = s.signed_in("fin.ctl");
    assert_eq!(ids(&listed(&fin, "?source=chancellery")), vec!["B"]);
    let a = ok(fin.get_json(&format!("/api/v1/reminders/{a_id}")), 200);
    assert_eq!(a["visible"], false);
    let events: Vec<&str> =
        a["history"].as_array().unwrap().iter().map(|h| h["event"].as_str().unwrap()).collect();
    assert_eq!(events, vec!["appeared", "dropped"]);
    // Overdue next week: B's Monday has passed on Tuesday 15th.
    s.set_clock("2026-12-15T10:00:00+05:00");
    let fin = s.signed_in("fin.ctl");
    let overdue = listed(&fin, "?overdue=true");
    assert_eq!(ids(&overdue), vec!["B"]);
    assert_eq!(overdue[0]["days_left"], -1);

    // Export through the reporting layer.
    let (status, _, xlsx) = fin.get_bytes("/api/v1/reminders/export.xlsx");
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK"));
    let csv = fin.get("/api/v1/reminders/export.csv");
    assert!(csv.body.contains("17-01/B") && !csv.body.contains("17-01/C"), "{}", csv.body);
    // The pages answer for the controller.
    let page = fin.get("/reminders");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("17-01/B"));

    // /metrics: the last refresh per source and its age.
    let admin_id = s.add_user("sysadmin", "MINFIN", &["system_admin"]);
    assert!(admin_id > 0);
    let admin = s.signed_in("sysadmin");
    let metrics = admin.get("/metrics").body;
    assert!(
        metrics.contains("ipgo_reminders_last_refresh_timestamp_seconds{source=\"chancellery\"}"),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("ipgo_reminders_refresh_age_seconds{source=\"presidential_administration\"}")
    );
    let imports = ok(admin.get_json("/api/v1/reminders/imports"), 200);
    assert!(
        imports["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["outcome"] == "refused" && i["channel"] == "directory")
    );
    assert_eq!(imports["unmapped"][0]["name"], "Акимат Улытауской области");
    assert_eq!(fin.get_json("/api/v1/reminders/imports").0, 403);

    // The access log: every import with its counts; the refused person's attempt denied.
    let entries = s.audit_entries();
    let imports: Vec<&Value> =
        entries.iter().filter(|e| e["operation"] == "reminders.import").collect();
    assert!(imports.iter().any(|e| e["detail"]["accepted"] == 4), "{imports:?}");
    assert!(imports.iter().any(|e| e["outcome"] == "denied" && e["status"] == 403), "{imports:?}");
    assert!(imports.iter().any(|e| e["outcome"] == "refused" && e["detail"]["refused"] == 1));
}

/// The controller's page in a real browser at 1024×768 in kk, ru and en: the list with an
/// overdue and a due-soon row, without JavaScript needed. Screenshots go to
/// `target/screenshots/reminders-<lang>.png`.
#[test]
fn the_controllers_page_in_chromium_in_kk_ru_en() {
    use crate::common::browser::Browser;
    let s = Server::start();
    s.add_agency("MINFIN");
    let today =
        jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Almaty").unwrap()).date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap().to_string();
    let batch = json!({"source": "chancellery", "instructions": [
        record("OVERDUE", "MINFIN", &day(-20), &day(-2), "on_control"),
        record("SOON", "MINFIN", &day(-20), &day(1), "on_control"),
        record("LATER", "MINFIN", &day(-20), &day(30), "on_control"),
    ]});
    let file = s.scratch().join("batch.json");
    std::fs::write(&file, serde_json::to_vec(&batch).unwrap()).unwrap();
    s.cli(&["reminders", "import", "--source", "chancellery", file.to_str().unwrap()], None).ok();
    s.cli(&["reminders", "refresh", "--source", "chancellery"], None).ok();
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    let base = s.base_url();
    for lang in ["kk", "ru", "en"] {
        let login = format!("ctl.{lang}");
        s.add_user(&login, "MINFIN", &["employee", "controller"]);
        let (status, body) = s.signed_in(&login).patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
        let browser = Browser::start();
        browser.goto(&format!("{base}/login?lang={lang}"));
        browser.type_into("#login", &login);
        browser.type_into("#password", crate::common::PASSWORD);
        browser.click("#sign-in");
        wait_for("signed in", 20, || (browser.url() == format!("{base}/")).then_some(()));
        browser.goto(&format!("{base}/reminders"));
        assert_eq!(browser.lang(), lang);
        let text = browser.text();
        assert!(text.contains(&crate::common::ftl(lang, "reminders-title")), "{text}");
        for id in ["OVERDUE", "SOON", "LATER"] {
            assert!(text.contains(&format!("17-01/{id}")), "{lang}: {id}\n{text}");
        }
        let classes = browser.script("return [...document.querySelectorAll('tr.overdue, tr.due-soon')].map(r => r.className).join(',')");
        assert_eq!(classes, json!("overdue,due-soon"), "{lang}");
        let png = browser.screenshot(&dir, &format!("reminders-{lang}"));
        assert!(std::fs::metadata(&png).is_ok_and(|m| m.len() > 1000));
    }
}

/// Issue 15 §1: a connector pushes over mutual TLS with its registered client certificate
/// (made by openssl, chained to a trusted root), no password and no token; the same
/// certificate registered to a person without the connector role is refused; a token the
/// administrator revokes stops working at once.
#[test]
fn i385_s48_a_connector_pushes_over_mutual_tls_and_a_revoked_token_is_refused() {
    use crate::signatures::pki::{pki, unique};
    let pki = pki();
    let (connector, person) = (format!("conn{}", unique()), format!("pers{}", unique()));
    for name in [&connector, &person] {
        pki.issue(name, "p256", "v3_auth");
    }
    let s = Server::builder().tls().start();
    s.add_agency("MINFIN");
    s.add_user("esedo", "MINFIN", &["connector"]);
    s.add_user("fin.emp", "MINFIN", &["employee"]);
    let p = |n: &str| pki.path(n).to_str().unwrap().to_owned();
    let crl = pki.issuing_crl(&format!("crl-{}.pem", unique()));
    s.cli(&["trust", "add", &p("trusted.pem")], None).ok();
    s.cli(&["trust", "crl", &p("root/crl.pem")], None).ok();
    s.cli(&["trust", "crl", crl.to_str().unwrap()], None).ok();
    s.cli(&["cert", "register", "--login", "esedo", &p(&format!("{connector}.pem"))], None).ok();
    s.cli(&["cert", "register", "--login", "fin.emp", &p(&format!("{person}.pem"))], None).ok();
    let with_cert = |name: &str| {
        Client::with_certificate(
            &s,
            &pki.read(&format!("{name}.pem")),
            &pki.read(&format!("{name}.key")),
        )
    };
    let batch = json!({"source": "chancellery", "instructions": [
        record("M1", "MINFIN", "2026-12-01", "2026-12-17", "on_control")]});
    let body = serde_json::to_vec(&batch).unwrap();
    let push_with = |c: &Client| {
        let res = c.send(
            "POST",
            "/api/v1/reminders/import?source=chancellery",
            &[],
            Some(("application/json", body.clone())),
        );
        (res.status, res.json())
    };
    let log = ok(push_with(&with_cert(&connector)), 200);
    assert_eq!(log["accepted"].as_u64(), Some(1), "{log}");
    assert_eq!(push_with(&with_cert(&person)).0, 401, "a person's certificate pushes nothing");
    assert_eq!(push_with(&s.client()).0, 401, "no certificate, no token");
    let entries = s.audit_entries();
    let imports = crate::common::entries_for(&entries, "POST", "/api/v1/reminders/import");
    assert!(imports.iter().any(|e| e["actor"] == "esedo" && e["outcome"] == "ok"), "{imports:?}");

    // Token issued, listed, revoked: refused at once after.
    let out =
        s.cli(&["reminders", "token-issue", "--login", "esedo", "--label", "host-2"], None).ok();
    let line = out.stdout.lines().next().unwrap().to_owned();
    let token = line.rsplit(": ").next().unwrap().trim().to_owned();
    let number = line.split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(push(&s, &token, &batch).0, 200);
    let listed = s.cli(&["reminders", "token-list"], None).ok();
    assert!(
        listed.stdout.contains("active") && !listed.stdout.contains(&token),
        "{}",
        listed.stdout
    );
    s.cli(&["reminders", "token-revoke", &number], None).ok();
    assert_eq!(push(&s, &token, &batch).0, 401, "a revoked token");
    let listed = s.cli(&["reminders", "token-list"], None).ok();
    assert!(listed.stdout.contains("revoked"), "{}", listed.stdout);
}
