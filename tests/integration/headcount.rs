//! Headcount monitoring end to end (I385 §26–§28) through the real server: the civil-service
//! agency opens two quarters; three agencies' HR officers fill their returns (drafts,
//! refused figures named by their labels, totals that must add up, a concurrent edit 409, a
//! late submission counted in working days across the New Year and Christmas holidays); the
//! verifier returns one with comments per field and accepts the others; accepted figures
//! never change through any route (API, form pages) and the refusals are logged; a
//! correction names the accepted return and replaces its figures in the consolidated
//! report, whose figures, change against the previous quarter, CSV and XLSX (read back by
//! openpyxl) are checked against what was entered; forbidden steps are 403 and logged.
//! Time moves with the controllable clock.

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::{Server, xlsx};

fn ok(r: (u16, Value), status: u16) -> Value {
    assert_eq!(r.0, status, "{}", r.1);
    r.1
}

fn world() -> Server {
    let server = Server::builder()
        .controllable_clock()
        // Everyone signs in again after each jump of the clock.
        .env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "1000")
        .start();
    for a in ["ADGS", "MNE", "FIN", "KRG"] {
        server.add_agency(a);
    }
    for (login, agency, roles) in [
        ("verifier", "ADGS", &["employee", "civil_service_verifier"][..]),
        ("hr.mne", "MNE", &["employee", "hr_officer"]),
        ("head.mne", "MNE", &["employee", "head"]),
        ("emp.mne", "MNE", &["employee"]),
        ("hr.fin", "FIN", &["employee", "hr_officer"]),
        ("hr.krg", "KRG", &["employee", "hr_officer"]),
        ("admin", "ADGS", &["system_admin"]),
    ] {
        server.add_user(login, agency, roles);
    }
    server
}

/// A complete, consistent return: `approved` positions, `vacant` of them empty.
fn figures(approved: u64, vacant: u64) -> Value {
    let filled = approved - vacant;
    let (political, corps_a, non_civil) = (2, 3, 10);
    let corps_b = filled - political - corps_a - non_civil;
    let (b_a, b_b, b_c) = (corps_b / 10, corps_b / 5, corps_b / 4);
    json!({
        "approved": approved, "filled": filled, "vacant": vacant, "political": political,
        "corps_a": corps_a, "corps_b": corps_b, "corps_b_a": b_a, "corps_b_b": b_b,
        "corps_b_c": b_c, "corps_b_d": corps_b - b_a - b_b - b_c, "non_civil": non_civil,
        "women": filled / 2, "under_35": filled / 4, "hired": 5, "left": 3
    })
}

struct People {
    verifier: Client,
    mne: Client,
    fin: Client,
    krg: Client,
}

fn sign_in(s: &Server) -> People {
    People {
        verifier: s.signed_in("verifier"),
        mne: s.signed_in("hr.mne"),
        fin: s.signed_in("hr.fin"),
        krg: s.signed_in("hr.krg"),
    }
}

fn create(c: &Client, campaign: u64, values: Value) -> Value {
    ok(
        c.post_json("/api/v1/headcount/returns", &json!({"campaign": campaign, "values": values})),
        201,
    )
}

fn submit(c: &Client, id: u64) -> Value {
    ok(c.post_json(&format!("/api/v1/headcount/returns/{id}/submit"), &json!({})), 200)
}

fn accept(c: &Client, id: u64) -> Value {
    ok(c.post_json(&format!("/api/v1/headcount/returns/{id}/accept"), &json!({})), 200)
}

fn field<'a>(view: &'a Value, key: &str) -> &'a Value {
    view["fields"].as_array().unwrap().iter().find(|f| f["key"] == key).unwrap()
}

#[test]
fn i385_s26_s28_returns_verified_accepted_immutable_and_consolidated() {
    let s = &world();
    // The previous quarter, accepted for two agencies (the trend and the change).
    s.set_clock("2025-10-02T10:00:00+05:00");
    let p = sign_in(s);
    let q3 = ok(
        p.verifier.post_json(
            "/api/v1/headcount/campaigns",
            &json!({"period": "2025-Q3", "due": "2025-10-10", "agencies": ["MNE", "FIN", "KRG"]}),
        ),
        201,
    );
    let q3 = q3["id"].as_u64().unwrap();
    for (c, fig) in [(&p.mne, figures(120, 12)), (&p.fin, figures(200, 30))] {
        let r = create(c, q3, fig);
        let id = r["id"].as_u64().unwrap();
        submit(c, id);
        accept(&p.verifier, id);
    }

    // §26: the civil-service agency opens the fourth quarter; by default it is due on the
    // fifth working day after 31 December — 1–2 January are holidays, 7 January
    // (Orthodox Christmas) too: 5, 6, 8, 9, 12 January.
    s.set_clock("2026-01-05T09:00:00+05:00");
    let p = sign_in(s);
    ok(p.mne.post_json("/api/v1/headcount/campaigns", &json!({"period": "2025-Q4"})), 403);
    let e =
        ok(p.verifier.post_json("/api/v1/headcount/campaigns", &json!({"period": "2025-Q5"})), 400);
    assert_eq!(e["field"], "period");
    let q4 = ok(
        p.verifier.post_json(
            "/api/v1/headcount/campaigns",
            &json!({"period": "2025-Q4", "agencies": ["MNE", "FIN", "KRG"]}),
        ),
        201,
    );
    assert_eq!(q4["due"], "2026-01-12", "{q4}");
    let q4 = q4["id"].as_u64().unwrap();
    ok(p.verifier.post_json("/api/v1/headcount/campaigns", &json!({"period": "2025-Q4"})), 409);

    // The HR officer of MNE starts a draft; one return per agency and period; nobody
    // fills another agency's return.
    let r = create(&p.mne, q4, json!({"approved": 130}));
    assert_eq!(r["state"], "draft");
    let mne = r["id"].as_u64().unwrap();
    let url = format!("/api/v1/headcount/returns/{mne}");
    ok(p.mne.post_json("/api/v1/headcount/returns", &json!({"campaign": q4})), 409);
    ok(
        p.mne.post_json("/api/v1/headcount/returns", &json!({"campaign": q4, "agency": "FIN"})),
        403,
    );
    ok(p.fin.get_json(&url), 403);

    // Bad figures: each refused with the field and a sentence naming its label.
    for (bad, code) in [
        (json!(-3), "headcount-problem-negative"),
        (json!("12,5"), "headcount-problem-not-integer"),
        (json!(1.5), "headcount-problem-not-integer"),
    ] {
        let e = ok(p.mne.put_json(&url, &json!({"values": {"approved": 130, "filled": bad}})), 400);
        assert_eq!(
            (e["code"].as_str(), e["field"].as_str()),
            (Some("invalid_input"), Some("filled")),
            "{e}"
        );
        assert!(e["detail"].as_str().unwrap().contains("«Заполненные должности»"), "{code}: {e}");
    }
    // A draft keeps figures whose totals do not add up yet; submitting refuses them.
    let mut wrong = figures(130, 10);
    wrong["vacant"] = json!(11);
    let view = ok(p.mne.put_json(&url, &json!({"values": wrong, "revision": 1})), 200);
    assert_eq!(view["revision"], 2);
    assert!(
        field(&view, "approved")["problem"].as_str().unwrap().contains("«Вакантные должности»"),
        "{view}"
    );
    // A revision that cannot be read is refused as such, never taken for "no revision"
    // (which would drop the guard against a concurrent edit and submit).
    let e = ok(p.mne.post_json(&format!("{url}/submit"), &json!({"revision": "two"})), 400);
    assert_eq!(e["code"], "invalid_input", "{e}");
    assert!(e["field"].is_null() && e["detail"].as_str().unwrap().contains("invalid type"), "{e}");
    let e = ok(p.mne.post_json(&format!("{url}/submit"), &json!({})), 400);
    assert_eq!(e["field"], "approved");
    let detail = e["detail"].as_str().unwrap();
    assert!(
        detail.contains("«Штатная численность (должностей)»")
            && detail.contains("«Заполненные должности» + «Вакантные должности»")
            && detail.contains("131"),
        "{e}"
    );
    // Two officers edit the same revision: the second is refused (409), nothing lost.
    ok(p.mne.put_json(&url, &json!({"values": figures(130, 10), "revision": 2})), 200);
    let e = ok(p.mne.put_json(&url, &json!({"values": figures(130, 99), "revision": 2})), 409);
    assert_eq!(e["field"], "revision");
    assert_eq!(field(&ok(p.mne.get_json(&url), 200), "vacant")["value"], 10);

    // Submitted on time on Friday 9 January.
    s.set_clock("2026-01-09T11:00:00+05:00");
    let p = sign_in(s);
    let v = submit(&p.mne, mne);
    assert_eq!(
        (v["state"].as_str(), v["submitted"]["late"].as_bool()),
        (Some("submitted"), Some(false))
    );
    // The verifier's queue has it; the HR officer cannot review; the verifier cannot edit.
    let queue = ok(p.verifier.get_json("/api/v1/headcount/returns?state=submitted"), 200);
    assert!(queue["returns"].as_array().unwrap().iter().any(|r| r["id"] == mne), "{queue}");
    ok(p.mne.post_json(&format!("{url}/accept"), &json!({})), 403);
    ok(p.verifier.put_json(&url, &json!({"values": figures(50, 1)})), 403);
    // §27: returned with a comment on one field; a return without any comment is refused.
    ok(
        p.verifier.post_json(
            &format!("{url}/return"),
            &json!({"comments": [{"field": "vacant", "text": "  "}]}),
        ),
        400,
    );
    let v = ok(p.verifier.post_json(&format!("{url}/return"), &json!({"comments": [{"field": "vacant", "text": "Сверьте с штатным расписанием на 31.12"}]})), 200);
    assert_eq!(v["state"], "returned");
    let v = ok(p.mne.get_json(&url), 200);
    assert_eq!(field(&v, "vacant")["comment"], "Сверьте с штатным расписанием на 31.12");
    let fixed = figures(130, 9);
    let rev = v["revision"].as_u64().unwrap();
    ok(p.mne.put_json(&url, &json!({"values": fixed, "revision": rev})), 200);
    submit(&p.mne, mne);
    let v = accept(&p.verifier, mne);
    assert_eq!(v["state"], "accepted");
    let digest = v["accepted"]["digest"].as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64);

    // FIN submits on Wednesday 14 January: late by two working days (13, 14).
    s.set_clock("2026-01-14T15:00:00+05:00");
    let p = sign_in(s);
    let fin = create(&p.fin, q4, figures(210, 25))["id"].as_u64().unwrap();
    let v = submit(&p.fin, fin);
    assert_eq!(
        (v["submitted"]["late"].as_bool(), v["submitted"]["late_working_days"].as_i64()),
        (Some(true), Some(2)),
        "{v}"
    );
    accept(&p.verifier, fin);
    // KRG only starts a draft.
    create(&p.krg, q4, json!({"approved": 80}));

    // Accepted figures never change, through every route; each refusal has its code.
    let before = ok(p.mne.get_json(&url), 200);
    let attempts = [
        p.mne.put_json(&url, &json!({"values": figures(50, 1)})),
        p.mne.put_json(&url, &json!({"values": figures(50, 1), "revision": before["revision"]})),
        p.mne.post_json(&format!("{url}/submit"), &json!({})),
        p.verifier.post_json(&format!("{url}/accept"), &json!({})),
        p.verifier.post_json(&format!("{url}/return"), &json!({"comment": "ещё раз"})),
    ];
    for (status, body) in attempts {
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], "conflict");
        assert_eq!(body["field"], "state", "{body}");
    }
    let csrf = p.mne.csrf().unwrap();
    let page = p.mne.post_form(
        &format!("/headcount/returns/{mne}"),
        &[("csrf", &csrf), ("revision", "9"), ("v.approved", "1"), ("do", "save")],
    );
    assert_eq!(page.status, 409, "{}", page.body);
    let vcsrf = p.verifier.csrf().unwrap();
    let page = p.verifier.post_form(
        &format!("/headcount/returns/{mne}/review"),
        &[("csrf", &vcsrf), ("decision", "accept")],
    );
    assert_eq!(page.status, 409);
    let after = ok(p.mne.get_json(&url), 200);
    assert_eq!(after["fields"], before["fields"]);
    assert_eq!(after["accepted"]["digest"], digest.as_str());

    // A correction names the accepted return and says why; it starts from its figures.
    let e = ok(
        p.mne.post_json("/api/v1/headcount/returns", &json!({"campaign": q4, "corrects": mne})),
        400,
    );
    assert_eq!(e["field"], "reason");
    let corrected = figures(130, 7);
    let c = ok(p.mne.post_json("/api/v1/headcount/returns", &json!({"campaign": q4, "corrects": mne, "reason": "Двое назначены приказом от 29.12.2025", "values": {"vacant": 7}})), 201);
    assert_eq!(
        (c["corrects"].as_u64(), field(&c, "approved")["value"].as_u64()),
        (Some(mne), Some(130))
    );
    let cid = c["id"].as_u64().unwrap();
    ok(
        p.mne.post_json(
            "/api/v1/headcount/returns",
            &json!({"campaign": q4, "corrects": mne, "reason": "ещё"}),
        ),
        409,
    );
    ok(
        p.mne.put_json(&format!("/api/v1/headcount/returns/{cid}"), &json!({"values": corrected})),
        200,
    );
    submit(&p.mne, cid);
    accept(&p.verifier, cid);
    let old = ok(p.mne.get_json(&url), 200);
    assert_eq!((old["state"].as_str(), old["current"].as_bool()), (Some("accepted"), Some(false)));
    assert_eq!(field(&old, "vacant")["value"], 9, "the accepted return stays readable as accepted");
    assert_eq!(old["corrected_by"], json!([cid]));

    // §28: the consolidated report, checked against the figures entered.
    let sum = ok(p.verifier.get_json("/api/v1/headcount/summary?period=2025-Q4"), 200);
    assert_eq!(sum["scope"], "all");
    for key in ["approved", "filled", "vacant", "corps_b_d", "women", "hired"] {
        let expected = corrected[key].as_u64().unwrap() + figures(210, 25)[key].as_u64().unwrap();
        assert_eq!(sum["totals"][key].as_u64(), Some(expected), "{key}");
        let q3 = figures(120, 12)[key].as_u64().unwrap() + figures(200, 30)[key].as_u64().unwrap();
        assert_eq!(sum["change"][key].as_i64(), Some(expected as i64 - q3 as i64), "{key}");
    }
    assert_eq!(sum["previous"]["period"], "2025-Q3");
    let names = |k: &str| {
        sum[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("not_submitted"), ["KRG"]);
    assert!(names("not_accepted").is_empty());
    assert_eq!(sum["trend"].as_array().unwrap().len(), 2);
    let line =
        sum["agencies"].as_array().unwrap().iter().find(|l| l["agency"]["code"] == "MNE").unwrap();
    assert_eq!(line["accepted_return"], cid);
    // An agency sees its own figures only; an employee without the role, an administrator
    // and another agency's officer nothing of MNE's.
    let own = ok(p.mne.get_json("/api/v1/headcount/summary?period=2025-Q4"), 200);
    assert_eq!(
        (own["scope"].as_str(), own["agencies"].as_array().unwrap().len()),
        (Some("agency"), 1)
    );
    assert_eq!(own["totals"]["approved"], 130);
    ok(s.signed_in("emp.mne").get_json("/api/v1/headcount/summary"), 403);
    ok(s.signed_in("admin").get_json("/api/v1/headcount/summary"), 403);
    ok(p.fin.get_json(&url), 403);

    // CSV and XLSX of the same table; the XLSX read back by openpyxl.
    let csv = p.verifier.get("/api/v1/headcount/summary.csv?period=2025-Q4");
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.contains("Штатная численность (должностей)")
            && csv.body.contains(&(130 + 210).to_string()),
        "{}",
        csv.body
    );
    let (status, _, bytes) = p.verifier.get_bytes("/api/v1/headcount/summary.xlsx?period=2025-Q4");
    assert_eq!(status, 200);
    let book = xlsx::read(&bytes);
    let header: Vec<&str> =
        book["rows"][0].as_array().unwrap().iter().map(|c| c["v"].as_str().unwrap_or("")).collect();
    let col = header
        .iter()
        .position(|h| *h == "Штатная численность (должностей)")
        .expect("approved column");
    let cached = book["cached"].as_array().unwrap();
    let total_row = cached.last().unwrap();
    assert_eq!(total_row[col].as_f64(), Some(340.0), "the SUM formula's value: {book}");
    let formula =
        book["rows"].as_array().unwrap().last().unwrap()[col]["v"].as_str().unwrap().to_owned();
    assert!(formula.starts_with("=SUM("), "{formula}");

    grouped_by_region_and_kind(s, &p);

    // Pages: the verifier's report with its charts, the HR officer's form refusing a
    // negative figure with what was typed and the reason by the field.
    let html = p.verifier.get("/headcount/summary?period=2025-Q4");
    assert_eq!(html.status, 200);
    assert!(html.body.contains("<svg") && html.body.contains("2025-Q3"), "charts with the trend");
    let krg =
        ok(p.krg.get_json("/api/v1/headcount/returns"), 200)["returns"][0]["id"].as_u64().unwrap();
    let kcsrf = p.krg.csrf().unwrap();
    let page = p.krg.post_form(
        &format!("/headcount/returns/{krg}"),
        &[
            ("csrf", &kcsrf),
            ("revision", "1"),
            ("v.approved", "80"),
            ("v.filled", "-4"),
            ("do", "save"),
        ],
    );
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("value=\"-4\"") && page.body.contains("aria-invalid=\"true\""),
        "the typed value comes back"
    );
    assert!(
        page.body.contains("«Заполненные должности»: численность не может быть отрицательной"),
        "{}",
        page.body
    );

    // Forbidden steps are in the access log as denials.
    let log = s.audit_entries();
    let denied: Vec<&str> = log
        .iter()
        .filter(|e| e["outcome"] == "denied")
        .filter_map(|e| e["operation"].as_str())
        .collect();
    for op in [
        "headcount.manage_campaigns",
        "headcount.edit_return",
        "headcount.review_return",
        "headcount.read_return",
        "headcount.read_summary",
    ] {
        assert!(denied.contains(&op), "{op} denied in {denied:?}");
    }
    // Refused changes to the accepted return are logged with their status.
    let refused = log
        .iter()
        .filter(|e| {
            e["resource"].as_str().is_some_and(|r| r.contains(&format!("/headcount/returns/{mne}")))
        })
        .filter(|e| e["status"] == 409)
        .count();
    assert!(refused >= 7, "{refused} refusals logged");
}

/// §28 "by region or agency kind": the administrator places the agencies (API and the
/// agencies page, a wrong code refused by the field), then the verifier's report grouped by
/// region and by kind adds up to the all-agencies totals, names the missing agency within
/// its group, and its XLSX total row holds the same sums; an agency's officer still sees
/// only its own figures when grouped.
fn grouped_by_region_and_kind(s: &Server, p: &People) {
    let admin = s.signed_in("admin");
    for (code, region, kind) in [("MNE", "astana", "central"), ("FIN", "astana", "central")] {
        let a = ok(
            admin.put_json(
                &format!("/api/v1/agencies/{code}/place"),
                &json!({"region": region, "kind": kind}),
            ),
            200,
        );
        assert_eq!((a["region"].as_str(), a["kind"].as_str()), (Some(region), Some(kind)));
    }
    let e = ok(admin.put_json("/api/v1/agencies/MNE/place", &json!({"region": "atlantis"})), 400);
    assert_eq!(e["field"], "region");
    ok(p.mne.put_json("/api/v1/agencies/MNE/place", &json!({"region": "astana"})), 403);
    // The page: a refused form comes back by the field; a good one is saved.
    let csrf = admin.csrf().unwrap();
    let page = admin.post_form(
        "/admin/agencies/KRG/place",
        &[("csrf", &csrf), ("region", "karaganda"), ("kind", "ministry")],
    );
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("Выберите вид государственного органа из списка")
            && page.body.contains("aria-invalid=\"true\""),
        "{}",
        page.body
    );
    let page = admin.post_form(
        "/admin/agencies/KRG/place",
        &[("csrf", &csrf), ("region", "karaganda"), ("kind", "local")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let list = s.cli(&["agency", "list"], None).ok().stdout;
    assert!(list.contains("KRG\t") && list.contains("\tkaraganda\tlocal"), "{list}");

    let all = ok(p.verifier.get_json("/api/v1/headcount/summary?period=2025-Q4"), 200);
    let by = ok(p.verifier.get_json("/api/v1/headcount/summary?period=2025-Q4&group=region"), 200);
    assert_eq!(by["group"], "region");
    let groups = by["groups"].as_array().unwrap();
    let keys: Vec<&str> = groups.iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["astana", "karaganda"], "in the closed list's order");
    for key in ["approved", "filled", "vacant", "women"] {
        let sum: u64 = groups.iter().map(|g| g["totals"][key].as_u64().unwrap_or(0)).sum();
        assert_eq!(Some(sum), all["totals"][key].as_u64(), "{key}: groups add up to the total");
    }
    let astana = &groups[0];
    assert_eq!((astana["called"].as_u64(), astana["accepted"].as_u64()), (Some(2), Some(2)));
    assert_eq!(astana["totals"]["approved"], 340);
    assert_eq!(astana["change"]["approved"], 340 - 320, "like for like against 2025-Q3");
    assert_eq!(astana["name"], "г. Астана");
    let krg = &groups[1];
    assert_eq!(
        (krg["accepted"].as_u64(), krg["not_submitted"][0]["code"].as_str()),
        (Some(0), Some("KRG"))
    );
    let kind = ok(p.verifier.get_json("/api/v1/headcount/summary?period=2025-Q4&group=kind"), 200);
    let kinds: Vec<&str> =
        kind["groups"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["central", "local"]);
    let e = ok(p.verifier.get_json("/api/v1/headcount/summary?group=ministry"), 400);
    assert_eq!(e["field"], "group");

    // The XLSX of the grouped report: a row per region, the SUM row equal to the total.
    let (status, _, bytes) =
        p.verifier.get_bytes("/api/v1/headcount/summary.xlsx?period=2025-Q4&group=region");
    assert_eq!(status, 200);
    let book = xlsx::read(&bytes);
    let rows = book["rows"].as_array().unwrap();
    let header: Vec<&str> =
        rows[0].as_array().unwrap().iter().map(|c| c["v"].as_str().unwrap_or("")).collect();
    assert_eq!(header[0], "Регион", "{header:?}");
    assert_eq!(rows[1][0]["v"], "г. Астана");
    assert_eq!(rows[2][0]["v"], "Карагандинская область");
    let col = header.iter().position(|h| *h == "Штатная численность (должностей)").unwrap();
    let cached = book["cached"].as_array().unwrap();
    assert_eq!(cached.last().unwrap()[col].as_f64(), Some(340.0), "{book}");

    // The page groups too, without JavaScript: the select, the group rows, the chart.
    let html = p.verifier.get("/headcount/summary?period=2025-Q4&group=kind");
    assert_eq!(html.status, 200);
    assert!(html.body.contains("<option value=\"kind\" selected"), "the grouping kept");
    assert!(html.body.contains("Центральный государственный орган"), "{}", html.body);
    assert!(html.body.contains("headcount-by-kind"), "the chart by kind");

    // An agency's officer: still only the own agency, in its own group.
    let own = ok(p.mne.get_json("/api/v1/headcount/summary?period=2025-Q4&group=region"), 200);
    assert_eq!(own["scope"], "agency");
    let own_groups = own["groups"].as_array().unwrap();
    assert_eq!(own_groups.len(), 1);
    assert_eq!(
        (own_groups[0]["called"].as_u64(), own_groups[0]["totals"]["approved"].as_u64()),
        (Some(1), Some(130))
    );
}

/// The demo's headcount: the earlier quarter accepted everywhere, the later one with a
/// return in every state, so the consolidated report shows the change and the trend.
#[test]
fn the_demo_has_returns_in_every_state_and_a_trend() {
    let server = Server::builder().demo().start();
    let accounts = std::fs::read_to_string(server.data.join("demo-accounts.txt")).unwrap();
    let otp = accounts
        .lines()
        .find_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() == 4 && cols[0] == "cs.verifier").then(|| cols[3].to_owned())
        })
        .expect("the verifier's demo account");
    let verifier = server.client();
    verifier.login("cs.verifier", &otp);
    let (status, body) = verifier.post_json(
        "/api/v1/me/password",
        &json!({"current_password": otp, "new_password": "Demo-Secret-2026"}),
    );
    assert_eq!(status, 200, "{body}");
    verifier.set_csrf(body["csrf"].as_str());
    let sum = ok(verifier.get_json("/api/v1/headcount/summary"), 200);
    let mut states: Vec<&str> =
        sum["agencies"].as_array().unwrap().iter().map(|l| l["state"].as_str().unwrap()).collect();
    states.sort_unstable();
    states.dedup();
    assert_eq!(states, ["accepted", "draft", "not_started", "returned", "submitted"], "{sum}");
    assert_eq!(sum["trend"].as_array().unwrap().len(), 2);
    assert!(sum["change"]["approved"].as_i64().unwrap() > 0, "{sum}");
    // MINFIN's accepted return has a correction under way.
    let returns = ok(verifier.get_json("/api/v1/headcount/returns"), 200);
    assert!(returns["returns"].as_array().unwrap().iter().any(|r| r["corrects"].is_u64()));
}

/// I385 §26: the agency head may sign the return before the HR officer submits it — a CMS
/// made by `openssl cms` with the head's registered certificate over the return's
/// canonical text, verified by the portal's signatures service; a signature over other
/// bytes or by someone else is refused; changed figures drop the signature; the refused
/// figures come back on the form page with every problem by its figure (web::forms); the
/// form versions page names the period that fixed the version.
#[test]
fn i385_s26_the_head_signs_the_return_and_the_form_keeps_what_was_typed() {
    use crate::drafts_world::{openssl_cms_sign, post_cms};
    use crate::signatures::pki::{person, pki};
    // The real clock: openssl stamps signatures with it and the test CRLs are fresh.
    let s = Server::builder().env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "1000").start();
    for a in ["ADGS", "MNE"] {
        s.add_agency(a);
    }
    for (login, agency, roles) in [
        ("verifier", "ADGS", &["employee", "civil_service_verifier"][..]),
        ("hr.mne", "MNE", &["employee", "hr_officer"]),
        ("head.mne", "MNE", &["employee", "head"]),
    ] {
        s.add_user(login, agency, roles);
    }
    let p = pki();
    let (root, inter) = (p.path("root/cert.pem"), p.path("inter/cert.pem"));
    s.cli(&["trust", "add", root.to_str().unwrap(), inter.to_str().unwrap()], None).ok();
    s.cli(&["trust", "crl", p.path("root/crl.pem").to_str().unwrap()], None).ok();
    s.cli(&["trust", "crl", p.path("inter/crl.pem").to_str().unwrap()], None).ok();
    let (cert, key) = person("headcount-head.mne");
    s.cli(&["cert", "register", "--login", "head.mne", cert.to_str().unwrap()], None).ok();
    let (hr_cert, hr_key) = person("headcount-hr.mne");
    s.cli(&["cert", "register", "--login", "hr.mne", hr_cert.to_str().unwrap()], None).ok();

    let verifier = s.signed_in("verifier");
    let hr = s.signed_in("hr.mne");
    let head = s.signed_in("head.mne");
    let c = ok(
        verifier.post_json(
            "/api/v1/headcount/campaigns",
            &json!({"period": "2025-Q2", "due": "2025-07-10", "agencies": ["MNE"]}),
        ),
        201,
    );
    let id = create(&hr, c["id"].as_u64().unwrap(), figures(100, 10))["id"].as_u64().unwrap();
    let url = format!("/api/v1/headcount/returns/{id}");

    // The form page: several wrong figures on submit, each by its field, values kept.
    let csrf = hr.csrf().unwrap();
    let page = hr.post_form(
        &format!("/headcount/returns/{id}"),
        &[
            ("csrf", &csrf),
            ("revision", "1"),
            ("v.approved", "101"),
            ("v.filled", "x9"),
            ("v.women", "-1"),
            ("do", "submit"),
        ],
    );
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("class=\"error-summary\""), "{}", page.body);
    assert!(page.body.contains("id=\"f-return-v-filled\""), "{}", page.body);
    assert!(page.body.contains("value=\"x9\"") && page.body.contains("value=\"101\""));
    assert!(page.body.contains("id=\"f-return-v-filled-error\""), "{}", page.body);
    assert!(page.body.contains("id=\"f-return-v-women-error\""), "every problem by its field");
    assert!(page.body.contains("autofocus"), "focus on the first wrong field");
    assert_eq!(ok(hr.get_json(&url), 200)["state"], "draft", "nothing submitted");

    // The text to sign is the canonical text; the HR officer may not sign.
    let text = hr.get(&format!("{url}/text"));
    assert_eq!(text.status, 200);
    assert!(text.body.starts_with("headcount-return\n") && text.body.contains("approved=100\n"));
    let (status, body) = post_cms(
        &hr,
        &format!("{url}/signature"),
        openssl_cms_sign(&hr_cert, &hr_key, text.body.as_bytes()),
    );
    assert_eq!(status, 403, "{body}");
    // Over other bytes: refused with the signatures service's reason.
    let (status, body) = post_cms(
        &head,
        &format!("{url}/signature"),
        openssl_cms_sign(&cert, &key, b"approved=1\n"),
    );
    assert_eq!((status, body["code"].as_str()), (422, Some("signature_rejected")), "{body}");
    let (status, body) = post_cms(
        &head,
        &format!("{url}/signature"),
        openssl_cms_sign(&cert, &key, text.body.as_bytes()),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["signature"]["status"], "valid", "{body}");
    assert_eq!(body["signature"]["covers_current"], true);
    assert!(body["history"].as_array().unwrap().iter().any(|e| e["what"] == "signed"));
    // Changed figures drop the signature (it covered the figures as they were).
    let mut changed = figures(100, 10);
    changed["hired"] = json!(6);
    let saved = ok(hr.put_json(&url, &json!({"values": changed})), 200);
    assert!(saved["signature"].is_null(), "{saved}");
    let text = hr.get(&format!("{url}/text"));
    ok(
        post_cms(
            &head,
            &format!("{url}/signature"),
            openssl_cms_sign(&cert, &key, text.body.as_bytes()),
        ),
        200,
    );
    let sent = submit(&hr, id);
    assert_eq!(sent["signature"]["status"], "valid");
    // Once submitted, no more signing.
    let (status, _) = post_cms(
        &head,
        &format!("{url}/signature"),
        openssl_cms_sign(&cert, &key, text.body.as_bytes()),
    );
    assert_eq!(status, 409);
    let html = head.get(&format!("/headcount/returns/{id}"));
    assert!(html.body.contains("SHA-256"), "the signature shown on the page");

    // The form versions page: version 1 fixed by the period.
    let forms = verifier.get("/headcount/forms");
    assert_eq!(forms.status, 200);
    assert!(
        forms.body.contains("id=\"version-1\"") && forms.body.contains("2025-Q2"),
        "{}",
        forms.body
    );
    let log = s.audit_entries();
    assert!(log.iter().any(|e| e["operation"] == "headcount.sign_return" && e["outcome"] == "ok"));
    assert!(
        log.iter().any(|e| e["operation"] == "headcount.sign_return" && e["outcome"] == "denied")
    );
}
