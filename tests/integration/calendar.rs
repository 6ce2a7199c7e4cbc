//! The working-day calendar and the reporting layer through the real server: the official
//! calendars against the PyPI `holidays` package, working-day counts, the administrator's
//! entries and CSV import (refused whole, naming the line) in the access log, the year's
//! report read back as XLSX by openpyxl and as CSV, its chart parsed and every bar named.

use std::process::Command;

use serde_json::{Value, json};

use crate::common::{Server, entries_for, xlsx};

fn server() -> Server {
    let s = Server::start();
    s.add_agency("MIN");
    s.add_user("admin", "MIN", &["system_admin"]);
    s.add_user("clerk", "MIN", &["employee"]);
    s
}

/// Days off that fall on weekdays, by the `holidays` package.
fn package_days_off(years: &[i32]) -> Vec<String> {
    let script = "import holidays, json, sys\nys=[int(y) for y in sys.argv[1:]]\nprint(json.dumps(sorted(str(d) for d in holidays.KZ(years=ys) if d.weekday() < 5)))";
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script);
    for y in years {
        cmd.arg(y.to_string());
    }
    let out = cmd.output().expect("python3 (run tests/setup-report.sh)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Weekday days off and worked weekend days of a year, from the API.
fn portal_year(c: &crate::common::client::Client, year: i32) -> (Vec<String>, Vec<String>) {
    let (status, body) = c.get_json(&format!("/api/v1/calendar?year={year}"));
    assert_eq!(status, 200, "{body}");
    let days = body["days"].as_array().unwrap();
    let weekday = |d: &Value| {
        let date: jiff::civil::Date = d["date"].as_str().unwrap().parse().unwrap();
        !matches!(date.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday)
    };
    let off = days
        .iter()
        .filter(|d| d["working"] == false && weekday(d))
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect();
    let worked = days
        .iter()
        .filter(|d| d["kind"] == "transferred_workday")
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect();
    (off, worked)
}

#[test]
fn calendar_and_reports_through_the_server() {
    let s = server();
    let clerk = s.signed_in("clerk");
    let admin = s.signed_in("admin");

    // 1. The built-in calendars agree with the `holidays` package on every weekday day
    // off of 2024–2027. The package cannot express a worked weekend day; the decrees of
    // 2024 and 2025 made one each (docs/calendar.md).
    for year in 2024..=2027 {
        let (off, worked) = portal_year(&clerk, year);
        assert_eq!(off, package_days_off(&[year]), "{year}");
        let expected: Vec<String> = match year {
            2024 => vec!["2024-05-04".into()],
            2025 => vec!["2025-01-05".into()],
            _ => vec![],
        };
        assert_eq!(worked, expected, "{year}");
    }

    // 2. Counting: Friday 20 March 2026 to Thursday 26 March, both included: two working
    // days (Nauryz and the days it moved to lie between).
    let (status, w) = clerk.get_json("/api/v1/calendar/working-days?from=2026-03-20&to=2026-03-26");
    assert_eq!(status, 200, "{w}");
    assert_eq!((w["working_days"].as_i64(), w["calendar_days"].as_i64()), (Some(2), Some(7)));
    let (status, e) = clerk.get_json("/api/v1/calendar/working-days?from=2026-03-26&to=2026-03-20");
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_input")));
    let (status, _) = clerk.get_json("/api/v1/calendar/working-days?from=26.03.2026&to=2026-03-20");
    assert_eq!(status, 400);

    // 3. An employee may not change the calendar: 403, logged as a denial.
    let (status, _) =
        clerk.put_json("/api/v1/calendar/entries/2027-01-09", &json!({"kind": "working"}));
    assert_eq!(status, 403);

    // 4. The administrator records a decree: Saturday 9 January 2027 worked, Friday 8 off.
    let (status, body) = admin.put_json(
        "/api/v1/calendar/entries/2027-01-09",
        &json!({"kind": "working", "note": "Постановление № 1 / Қаулы № 1"}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) =
        admin.put_json("/api/v1/calendar/entries/2027-01-08", &json!({"kind": "day_off"}));
    assert_eq!(status, 200);
    let (_, w) = clerk.get_json("/api/v1/calendar/working-days?from=2027-01-08&to=2027-01-09");
    assert_eq!(w["working_days"], 1, "Friday off, Saturday worked: {w}");

    // 5. CSV import: a malformed line refuses the whole file and names the line; nothing
    // of it is applied.
    let csrf = admin.csrf().unwrap();
    let bad = "date,kind,note\n2028-05-05,holiday,Құрбан айт\n2028-02-30,working,\n";
    let r = admin.send(
        "POST",
        "/api/v1/calendar/import",
        &[("x-csrf-token", &csrf)],
        Some(("text/csv", bad.as_bytes().to_vec())),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let err = r.json();
    assert_eq!(err["field"], "file");
    assert!(err["detail"].as_str().unwrap().starts_with("3: 2028-02-30"), "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("refused whole")
            || err["message"].as_str().unwrap().contains("тұтас")
            || err["message"].as_str().unwrap().contains("целиком"),
        "{err}"
    );
    let (_, y2028) = clerk.get_json("/api/v1/calendar?year=2028");
    assert!(y2028["entries"].as_array().unwrap().is_empty(), "nothing imported: {y2028}");
    let good = "date,kind,note\n2028-05-05,holiday,Құрбан айт 2028\n";
    let r = admin.send(
        "POST",
        "/api/v1/calendar/import",
        &[("x-csrf-token", &csrf)],
        Some(("text/csv", good.as_bytes().to_vec())),
    );
    assert_eq!((r.status, r.json()["imported"].as_i64()), (200, Some(1)), "{}", r.body);
    // The command line sees the same calendar and logs as the operator.
    let out = s.cli(&["calendar", "working-days", "2028-05-04", "2028-05-05"], None).ok();
    assert_eq!(out.stdout.trim(), "1");
    let file = s.scratch().join("bad.csv");
    std::fs::write(&file, "2029-01-01,working\n2029-01-02,sometimes\n").unwrap();
    let out = s.cli(&["calendar", "import", file.to_str().unwrap()], None);
    assert_ne!(out.code, 0);
    assert!(out.stdout.contains("(2: 2029-01-02,sometimes)"), "{}", out.stdout);
    let out = s.cli(&["calendar", "remove", "2027-01-08"], None).ok();
    assert!(out.stdout.contains("removed"));

    // 6. Every change is in the access log, with who and what.
    let log = s.audit_entries();
    let ops: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e["operation"].as_str().is_some_and(|o| o.starts_with("calendar.")))
        .map(|e| (e["operation"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    for expected in [
        ("calendar.manage", "denied"),
        ("calendar.set", "ok"),
        ("calendar.import", "ok"),
        ("calendar.remove", "ok"),
    ] {
        assert!(ops.contains(&expected), "{expected:?} in {ops:?}");
    }
    let set = log.iter().find(|e| e["operation"] == "calendar.set").unwrap();
    assert_eq!(set["detail"]["date"], "2027-01-09");
    assert_eq!(set["actor"], "admin");
    assert!(!entries_for(&log, "PUT", "/api/v1/calendar/entries/2027-01-09").is_empty());

    // 7. The year's report: XLSX read back by openpyxl gives the JSON figures, typed, with
    // a frozen header, widths and totals as formulas; the CSV carries the same figures.
    let (_, months) = clerk.get_json("/api/v1/calendar/months?year=2026");
    let months = months["months"].as_array().unwrap().clone();
    let (status, headers, bytes) = clerk.get_bytes("/api/v1/calendar/months.xlsx?year=2026");
    assert_eq!(status, 200);
    assert!(headers.iter().any(|(k, v)| k == "content-type" && v.contains("spreadsheetml")));
    let book = xlsx::read(&bytes);
    assert_eq!(book["freeze"], "A2");
    assert_eq!(book["filter"], "A1:E13");
    assert!(book["widths"]["A"].as_f64().unwrap() > 8.0);
    let rows = book["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 14, "header, 12 months, totals");
    for (i, m) in months.iter().enumerate() {
        let row = &rows[i + 1];
        assert_eq!(row[1], json!({"t": "n", "v": m["calendar_days"]}));
        assert_eq!(row[2], json!({"t": "n", "v": m["working_days"]}));
        assert_eq!(row[3], json!({"t": "n", "v": m["days_off"]}));
    }
    assert_eq!(rows[13][2], json!({"t": "f", "v": "=SUM(C2:C13)"}));
    let total: i64 = months.iter().map(|m| m["working_days"].as_i64().unwrap()).sum();
    assert_eq!(total, 365 - 104 - 14);
    assert_eq!(book["cached"][13][2], total);
    let csv = clerk.get("/api/v1/calendar/months.csv?year=2026");
    assert_eq!(csv.status, 200);
    let last = csv.body.lines().last().unwrap().to_owned();
    assert!(last.ends_with(&format!(",365,{total},{},{}", 365 - total, total * 8)), "{last}");

    // 8. The page: sortable by links without JavaScript; its chart parses and names every
    // month's bar in the page's language.
    let csrf = clerk.csrf().unwrap();
    let r = clerk.post_form("/lang", &[("csrf", &csrf), ("lang", "kk"), ("next", "/calendar")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = clerk.get("/calendar?year=2026&sort=working_days&dir=desc");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("aria-sort=\"descending\""));
    let start = page.body.find("<svg").unwrap();
    let end = page.body[start..].find("</svg>").unwrap() + start + 6;
    let svg = &page.body[start..end];
    let names = svg_titles(svg);
    for m in &months {
        let label = crate::common::ftl("kk", &format!("month-{}", m["month"]));
        let expected = format!("{label}: {}", m["working_days"]);
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
}

/// The `<title>` texts of an SVG, parsed by Python's XML parser (it fails on bad XML).
fn svg_titles(svg: &str) -> Vec<String> {
    let script = "import json,sys\nimport xml.etree.ElementTree as E\nr=E.fromstring(sys.stdin.read())\nprint(json.dumps([t.text for t in r.iter('{http://www.w3.org/2000/svg}title')]))";
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), svg.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the SVG does not parse");
    serde_json::from_slice(&out.stdout).unwrap()
}
