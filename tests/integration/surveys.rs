//! Surveys through the real server (I385 §7.8). An HR officer designs a survey with every
//! question type and a show-if condition, copies it, opens both; thirteen people of three
//! agencies answer — in kk and ru, refusals translated — the same answers by different
//! people in the other survey and in another order. Then the test reads the whole
//! installation (every table, the access log with its export, the server's output, the
//! search index) and shows that nothing links a person to an answer; the results match the
//! answers given, the breakdown by agency hides groups under k, the XLSX export read back
//! by openpyxl holds every response and no person; the job closes the survey on the
//! controllable clock; forbidden steps answer 403/404 and are logged as denied.

use std::collections::BTreeSet;

use ipgo::ops::backup::tables::TABLES;
use serde_json::{Value, json};

use crate::common::installation::{Row, contains, read_database, read_index};
use crate::common::{Server, ftl, wait_for, xlsx};

/// Free-text answers that occur nowhere else.
const TEXTS: [&str; 13] = [
    "жауап-алма",
    "жауап-бота",
    "жауап-дана",
    "жауап-ерлан",
    "жауап-жанар",
    "жауап-зере",
    "жауап-ильяс",
    "жауап-қуат",
    "жауап-ләззат",
    "жауап-мадина",
    "жауап-нұрлан",
    "жауап-оспан",
    "жауап-сәуле",
];

/// Thirteen respondents: six of SVA, five of SVB, two of SVC.
fn respondents() -> Vec<(String, &'static str)> {
    (0..13)
        .map(|i| {
            let agency = if i < 6 {
                "SVA"
            } else if i < 11 {
                "SVB"
            } else {
                "SVC"
            };
            (format!("respondent-{i:02}"), agency)
        })
        .collect()
}

fn design(opens: &str, closes: &str) -> Value {
    let t = |ru: &str, kk: &str| json!({"ru": ru, "kk": kk});
    json!({
        "title": t("Условия работы", "Жұмыс жағдайлары"),
        "anonymity": "anonymous",
        "k": 5,
        "audience": {"everyone": true},
        "opens_at": opens,
        "closes_at": closes,
        "sections": [
            {"title": t("Общее", "Жалпы"), "questions": [
                {"key": "q1", "type": "single", "required": true,
                 "text": t("Довольны ли вы?", "Қанағаттанасыз ба?"),
                 "options": [t("Да", "Иә"), t("Нет", "Жоқ")]},
                {"key": "q2", "type": "long_text", "text": t("Почему?", "Неге?"),
                 "show_if": {"question": "q1", "any_of": ["2"]}},
                {"key": "q3", "type": "multiple", "min": 1, "max": 2,
                 "text": t("Что важно?", "Не маңызды?"),
                 "options": [t("Зарплата", "Жалақы"), t("Коллектив", "Ұжым"), t("График", "Кесте")]},
                {"key": "q4", "type": "scale", "max": 5, "text": t("Оценка", "Баға"),
                 "low": t("плохо", "нашар"), "high": t("отлично", "өте жақсы")}
            ]},
            {"title": t("Подробно", "Толығырақ"), "questions": [
                {"key": "q5", "type": "matrix", "max": 5, "text": t("Оцените", "Бағалаңыз"),
                 "rows": [t("Кабинет", "Кабинет"), t("Техника", "Техника")]},
                {"key": "q6", "type": "number", "min": 18, "max": 70, "text": t("Возраст", "Жасы")},
                {"key": "q7", "type": "short_text", "text": t("Пожелание", "Тілек")},
                {"key": "q8", "type": "date", "text": t("Дата приёма", "Қабылданған күні")}
            ]}
        ]
    })
}

/// The i-th answer set: q1 "2" (with q2) for odd i; q4 = i % 5 + 1; q6 = 20 + i.
fn answers(i: usize) -> Value {
    let mut a = json!({
        "q1": [if i % 2 == 1 { "2" } else { "1" }],
        "q3": [(i % 3 + 1).to_string()],
        "q4": [(i % 5 + 1).to_string()],
        "q5": [(i % 5 + 1).to_string(), ""],
        "q6": [(20 + i).to_string()],
        "q7": [TEXTS[i]],
        "q8": ["2020-02-03"],
    });
    if i % 2 == 1 {
        a["q2"] = json!([format!("{}-почему", TEXTS[i])]);
    }
    a
}

#[test]
fn an_anonymous_survey_leaves_no_person_answer_link_and_its_results_match_the_answers() {
    let mut server = Server::builder().controllable_clock().start();
    for code in ["SVA", "SVB", "SVC"] {
        server.add_agency(code);
    }
    server.add_user("sociolog", "SVA", &["hr_officer"]);
    server.add_user("clerk", "SVA", &["employee"]);
    server.add_user("sv-admin", "SVA", &["system_admin"]);
    let people = respondents();
    let ids: Vec<u64> = people
        .iter()
        .map(|(login, agency)| server.add_user(login, agency, &["employee"]))
        .collect();
    // Half answer in Kazakh.
    for (login, _) in people.iter().step_by(2) {
        let (status, _) = server.signed_in(login).patch_json("/api/v1/me", &json!({"lang": "kk"}));
        assert_eq!(status, 200);
    }
    let t0 = server.advance_clock("1s");
    let closes = (t0 + jiff::SignedDuration::from_hours(48)).to_string();
    let author = server.signed_in("sociolog");

    // Design: a condition on a later question is refused with its key, on that question.
    let mut wrong = design(&t0.to_string(), &closes);
    wrong["sections"][0]["questions"][0]["show_if"] = json!({"question": "q4", "any_of": ["1"]});
    let (status, body) = author.post_json("/api/v1/surveys", &wrong);
    assert_eq!((status, body["field"].as_str()), (400, Some("q1")), "{body}");
    assert!(body["message"].as_str().unwrap().contains(&ftl("ru", "survey-condition-later")));
    let (status, clerk_try) =
        server.signed_in("clerk").post_json("/api/v1/surveys", &design(&t0.to_string(), &closes));
    assert_eq!(status, 403, "an employee does not design surveys: {clerk_try}");
    let (status, first) = author.post_json("/api/v1/surveys", &design(&t0.to_string(), &closes));
    assert_eq!(status, 201, "{first}");
    let first = first["id"].as_u64().unwrap();
    let (status, second) = author.post_json(&format!("/api/v1/surveys/{first}/copy"), &json!({}));
    assert_eq!((status, second["copied_from"].as_u64()), (201, Some(first)), "{second}");
    let second = second["id"].as_u64().unwrap();
    for id in [first, second] {
        let (status, opened) = author.post_json(&format!("/api/v1/surveys/{id}/open"), &json!({}));
        assert_eq!((status, opened["state"].as_str()), (200, Some("open")), "{opened}");
    }
    // Signed in once each now, so answering adds no session rows to compare.
    let clients: Vec<_> = people.iter().map(|(login, _)| server.signed_in(login)).collect();
    let (_, listed) = clients[0].get_json("/api/v1/surveys");
    assert_eq!(listed["surveys"].as_array().unwrap().len(), 2, "{listed}");

    server.stop();
    let (before, held) = read_database(&server);
    let index_before = read_index(&server);
    let registry: BTreeSet<String> = TABLES.iter().map(|t| t.name().to_owned()).collect();
    let missing: Vec<&String> = held.difference(&registry).collect();
    assert!(missing.is_empty(), "tables the anonymity check would not read: {missing:?}");
    for table in
        ["survey_respondents", "survey_responses", "surveys", "audit_log_blocks", "sessions"]
    {
        assert!(registry.contains(table), "{table} is read");
    }
    server.start_again();
    let clients: Vec<_> = people.iter().map(|(login, _)| server.signed_in(login)).collect();

    // Refusals in the reader's language: a required question left empty, an answer to a
    // hidden question, a 10,000-character text.
    for (i, lang) in [(0, "kk"), (1, "ru")] {
        let path = format!("/api/v1/surveys/{first}/responses");
        let (status, body) = clients[i].post_json(&path, &json!({"answers": {"q3": ["1"]}}));
        assert_eq!((status, body["field"].as_str()), (400, Some("q1")), "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(&ftl(lang, "survey-answer-required")), "{lang}: {message}");
        let mut hidden = answers(0);
        hidden["q2"] = json!(["не спрашивали"]);
        let (status, body) = clients[i].post_json(&path, &json!({"answers": hidden}));
        assert_eq!((status, body["field"].as_str()), (400, Some("q2")), "{body}");
        assert!(body["message"].as_str().unwrap().contains(&ftl(lang, "survey-answer-hidden")));
        let mut long = answers(1);
        long["q2"] = json!(["я".repeat(10_000)]);
        let (status, body) = clients[i].post_json(&path, &json!({"answers": long}));
        assert_eq!((status, body["field"].as_str()), (400, Some("q2")), "{body}");
        assert!(body["message"].as_str().unwrap().contains(&ftl(lang, "survey-answer-too-long")));
    }
    // Everyone answers: person i gives answer set i in the first survey; in the second the
    // same sets, given by other people (reversed) in the other order.
    for (i, c) in clients.iter().enumerate() {
        let (status, body) = c.post_json(
            &format!("/api/v1/surveys/{first}/responses"),
            &json!({"answers": answers(i)}),
        );
        assert_eq!(status, 201, "{body}");
    }
    for (i, c) in clients.iter().enumerate().rev() {
        let (status, body) = c.post_json(
            &format!("/api/v1/surveys/{second}/responses"),
            &json!({"answers": answers(12 - i)}),
        );
        assert_eq!(status, 201, "{body}");
    }
    let (status, again) = clients[3]
        .post_json(&format!("/api/v1/surveys/{first}/responses"), &json!({"answers": answers(3)}));
    assert_eq!((status, again["code"].as_str()), (409, Some("conflict")), "{again}");
    // An administrator takes part in nothing: the survey is not revealed.
    let (status, _) = server
        .signed_in("sv-admin")
        .post_json(&format!("/api/v1/surveys/{first}/responses"), &json!({"answers": answers(0)}));
    assert_eq!(status, 404);
    server.stop();
    let (answered, _) = read_database(&server);
    server.start_again();

    // Results match what was given; the breakdown hides groups under k = 5.
    let author = server.signed_in("sociolog");
    let (status, denied) = clients[0].get_json(&format!("/api/v1/surveys/{first}/results"));
    assert_eq!(status, 403, "a respondent does not read results: {denied}");
    let (status, r) = author.get_json(&format!("/api/v1/surveys/{first}/results?by=agency"));
    assert_eq!(status, 200, "{r}");
    assert_eq!((r["responses"].as_u64(), r["shown"].as_bool()), (Some(13), Some(true)));
    let all = &r["groups"][0];
    let q =
        |key: &str| all["questions"].as_array().unwrap().iter().find(|q| q["key"] == key).unwrap();
    assert_eq!(q("q1")["counts"], json!([7, 6]));
    assert_eq!(q("q2")["answered"], 6);
    assert_eq!(q("q3")["counts"], json!([5, 4, 4]));
    assert_eq!(q("q4")["counts"], json!([3, 3, 3, 2, 2]));
    assert_eq!(q("q5")["rows"][0], json!([3, 3, 3, 2, 2]));
    assert_eq!(q("q5")["rows"][1], json!([0, 0, 0, 0, 0]));
    let age = &q("q6")["stats"];
    assert_eq!((age["mean"].as_f64(), age["median"].as_f64()), (Some(26.0), Some(26.0)));
    assert_eq!((age["q1"].as_f64(), age["q3"].as_f64()), (Some(23.0), Some(29.0)));
    let mut texts: Vec<&str> = TEXTS.to_vec();
    texts.sort();
    assert_eq!(q("q7")["texts"], json!(texts));
    // SVA (6) shows; SVB (5) would leave SVC's 2 as a group of its own, so it joins "other".
    let groups: Vec<(&str, u64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["responses"].as_u64().unwrap()))
        .collect();
    let (_, agencies) = author.get_json("/api/v1/agencies");
    let sva = agencies
        .as_array()
        .or(agencies["agencies"].as_array())
        .unwrap()
        .iter()
        .find(|a| a["code"] == "SVA")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    assert_eq!(groups, vec![("all", 13), (format!("agency:{sva}").as_str(), 6), ("other", 7)]);
    assert!(
        r["groups"][1]["questions"].as_array().unwrap().iter().all(|q| q.get("texts").is_none()),
        "free texts never by group"
    );
    let rate: Vec<(u64, u64)> = r["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["audience"].as_u64().unwrap(), x["answered"].as_u64().unwrap()))
        .collect();
    assert_eq!(rate, vec![(8, 6), (5, 5), (2, 2)], "SVA's audience holds the author and the clerk");

    // The XLSX export, read by openpyxl: every response, no person, no agency.
    let (status, headers, bytes) =
        author.get_bytes(&format!("/api/v1/surveys/{first}/results.xlsx"));
    assert_eq!(status, 200, "{headers:?}");
    let book = xlsx::read(&bytes);
    let rows = book["rows"].as_array().unwrap();
    let header: Vec<String> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["v"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(header[0].starts_with("q1."), "{header:?}");
    let q7 = header.iter().position(|h| h.starts_with("q7.")).unwrap();
    let mut exported: Vec<String> = rows[1..]
        .iter()
        .filter_map(|row| row[q7].get("v").and_then(Value::as_str).map(str::to_owned))
        .collect();
    exported.sort();
    assert_eq!(exported, texts);
    let q6 = header.iter().position(|h| h.starts_with("q6.")).unwrap();
    let ages: f64 = rows[1..].iter().filter_map(|row| row[q6]["v"].as_f64()).sum();
    assert_eq!(ages, (20..33).sum::<i32>() as f64);
    let flat = book.to_string();
    for (login, _) in &people {
        assert!(!flat.contains(login.as_str()));
    }
    let (status, _, csv) = author.get_bytes(&format!("/api/v1/surveys/{first}/results.csv"));
    assert_eq!(status, 200);
    assert!(String::from_utf8(csv).unwrap().contains("жауап-сәуле"));

    // The pages: the results with a chart per question and the breakdown's
    // "other"; the list in the reader's language; results refused to a respondent.
    let page = author.get(&format!("/surveys/{first}/results?by=agency"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<svg") && page.body.contains("Довольны ли вы?"), "{}", page.body);
    assert!(page.body.contains(&ftl("ru", "surveys-other")));
    assert!(page.body.contains("жауап-сәуле"), "free texts listed");
    let list = clients[0].get("/surveys");
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains(&ftl("kk", "surveys-title")) && list.body.contains("Жұмыс жағдайлары")
    );
    assert!(list.body.contains(&ftl("kk", "surveys-answered")), "{}", list.body);
    assert_eq!(clients[0].get(&format!("/surveys/{first}/results")).status, 403);

    // The job closes it at its time; answers are refused after.
    server.advance_clock("49h");
    let author = server.signed_in("sociolog");
    wait_for("the job closes the survey", 20, || {
        let (_, s) = author.get_json(&format!("/api/v1/surveys/{first}"));
        (s["state"] == "closed").then_some(())
    });
    let late = server.signed_in("clerk");
    let (status, body) = late
        .post_json(&format!("/api/v1/surveys/{first}/responses"), &json!({"answers": answers(0)}));
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    let exported_log = server.audit_entries();
    server.stop();
    let (after, held_after) = read_database(&server);
    assert!(held_after.is_subset(&registry), "every table is read: {held_after:?}");

    // 1. The responses added rows only to the register, the answers and the access log.
    let added: Vec<&Row> = answered.iter().filter(|row| !before.contains(row)).collect();
    assert!(added.iter().any(|(t, _, _)| t == "survey_responses"), "the answers were stored");
    for (table, key, value) in &added {
        let allowed = matches!(
            table.as_str(),
            "survey_respondents"
                | "survey_responses"
                | "audit_log_blocks"
                | "audit_checkpoints"
                | "sessions"
        ) || (table == "meta" && key.contains("audit"));
        assert!(allowed, "a response wrote to {table} {key}: {}", String::from_utf8_lossy(value));
    }
    // 2. The two surveys' registers and answers are the same row for row.
    let rows_of = |table: &str, survey: u64| -> Vec<Vec<u8>> {
        let prefix = format!("({survey}, ");
        let mut rows: Vec<Vec<u8>> = after
            .iter()
            .filter(|(t, k, _)| t == table && k.starts_with(&prefix))
            .map(|(_, k, v)| match table {
                "survey_respondents" => k.replacen(&prefix, "", 1).into_bytes(),
                _ => v.clone(),
            })
            .collect();
        rows.sort();
        rows
    };
    for table in ["survey_respondents", "survey_responses"] {
        assert_eq!(rows_of(table, first).len(), 13, "{table}");
        // Agencies differ between the people, so answers are compared without them.
        let strip = |rows: Vec<Vec<u8>>| -> Vec<Value> {
            let mut out: Vec<Value> = rows
                .iter()
                .map(|r| match table {
                    "survey_responses" => {
                        serde_json::from_slice::<Value>(r).unwrap()["answers"].clone()
                    }
                    _ => Value::String(String::from_utf8_lossy(r).into_owned()),
                })
                .collect();
            out.sort_by_key(|v| v.to_string());
            out
        };
        assert_eq!(strip(rows_of(table, first)), strip(rows_of(table, second)), "{table}");
    }
    // 3. No row of any table names a respondent beside an answer.
    let names_person = |key: &str, value: &[u8]| {
        people.iter().any(|(login, _)| key.contains(login.as_str()) || contains(value, login))
            || ids.iter().any(|id| {
                key.ends_with(&format!(", {id})"))
                    || [format!(":{id},"), format!(":{id}}}"), format!("[{id}]")]
                        .iter()
                        .any(|p| contains(value, p))
            })
    };
    let names_answer =
        |key: &str, value: &[u8]| TEXTS.iter().any(|t| key.contains(t) || contains(value, t));
    for (table, key, value) in &after {
        assert!(
            !(names_person(key, value) && names_answer(key, value)),
            "{table} {key} links a person to an answer: {}",
            String::from_utf8_lossy(value)
        );
        if table == "survey_responses" {
            let v: Value = serde_json::from_slice(value).unwrap();
            assert!(v.get("person").is_none() && v.get("day").is_none(), "{v}");
        }
    }
    // 4. The access log (table and export) records who submitted, never what.
    let logged: Vec<&Value> = exported_log
        .iter()
        .filter(|e| e["operation"] == "survey.respond" && e["status"] == 201)
        .collect();
    assert_eq!(logged.len(), 26);
    for entry in &logged {
        assert_eq!(entry["detail"], json!({"survey": entry["detail"]["survey"]}), "{entry}");
    }
    for entry in &exported_log {
        let text = entry.to_string();
        assert!(!TEXTS.iter().any(|t| text.contains(t)), "{text}");
    }
    let refused: Vec<&Value> = exported_log
        .iter()
        .filter(|e| e["operation"] == "survey.results" && e["outcome"] == "denied")
        .collect();
    assert_eq!(refused.len(), 2, "the refused results (API and page) are logged as denied");
    // 5. The server's output says nothing of the answers; 6. the index did not change.
    let output = format!("{}{}", server.stdout(), server.stderr());
    assert!(!TEXTS.iter().any(|t| output.contains(t)), "{output}");
    assert_eq!(read_index(&server), index_before, "the answers changed the search index");
}
