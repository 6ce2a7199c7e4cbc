//! Surveys against their rules and a real store (redb, access log): the design checks with
//! every question type, the answer checks, answering once, frozen questions with recorded
//! typo fixes, and anonymity proved over every table of the database. The job's openings
//! and closings on the controllable clock are tested through the real server
//! (`tests/integration/surveys.rs`).

use serde_json::json;

use super::model::*;
use super::service::{self, Design};
use crate::actor::{Actor, Origin, UserIdentity, Who};
use crate::app::App;
use crate::auth::roles::{Role, RoleSet};
use crate::error::Code;

fn app() -> (tempfile::TempDir, std::sync::Arc<App>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::config::Config::default();
    config.storage.data_dir = dir.path().join("data");
    let app = App::open(config).unwrap();
    (dir, app)
}

fn person(id: u64, agency: u64, department: Option<u64>, role: Role) -> Actor {
    Actor {
        who: Who::User(UserIdentity {
            id,
            login: format!("u{id}"),
            agency_id: agency,
            agency_code: "A".into(),
            department_id: department,
            roles: [role].into_iter().collect::<RoleSet>(),
            groups: vec![],
            lang: "ru".into(),
            must_change_password: false,
        }),
        origin: Origin::system("test"),
    }
}

const AUTHOR: u64 = 900_100;
/// Respondents with ids that cannot occur by chance in any stored row.
const PEOPLE: [u64; 4] = [900_001, 900_002, 900_003, 900_004];

fn author() -> Actor {
    person(AUTHOR, 1, None, Role::HrOfficer)
}

fn respondent(id: u64) -> Actor {
    person(id, 1, Some(7), Role::Employee)
}

/// A survey with every question type, a condition and a required question.
fn design(opens: &str, closes: &str) -> Design {
    serde_json::from_value(json!({
        "title": {"kk": "Жұмыс жағдайлары", "ru": "Условия работы"},
        "audience": {"agencies": [1]},
        "opens_at": opens,
        "closes_at": closes,
        "sections": [
            {"title": {"ru": "Общее"}, "questions": [
                {"key": "q1", "type": "single", "required": true,
                 "text": {"kk": "Қанағаттанасыз ба?", "ru": "Довольны ли вы?"},
                 "options": [{"ru": "Да"}, {"ru": "Нет"}]},
                {"key": "q2", "type": "long_text", "text": {"ru": "Почему нет?"},
                 "show_if": {"question": "q1", "any_of": ["2"]}},
                {"key": "q3", "type": "multiple", "min": 1, "max": 2, "text": {"ru": "Что важно?"},
                 "options": [{"ru": "Зарплата"}, {"ru": "Коллектив"}, {"ru": "График"}]},
                {"key": "q4", "type": "scale", "max": 5, "text": {"ru": "Оценка"},
                 "low": {"ru": "плохо"}, "high": {"ru": "отлично"}}
            ]},
            {"title": {"ru": "Подробно"}, "questions": [
                {"key": "q5", "type": "matrix", "max": 5, "text": {"ru": "Оцените"},
                 "rows": [{"ru": "Кабинет"}, {"ru": "Техника"}]},
                {"key": "q6", "type": "number", "min": 18, "max": 70, "text": {"ru": "Возраст"}},
                {"key": "q7", "type": "short_text", "text": {"ru": "Должность"}},
                {"key": "q8", "type": "date", "text": {"ru": "Дата приёма"}}
            ]}
        ]
    }))
    .unwrap()
}

fn open_design() -> Design {
    design("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
}

fn answers(v: serde_json::Value) -> Answers {
    serde_json::from_value(v).unwrap()
}

fn survey() -> Survey {
    let me = author();
    let d = open_design();
    let s = Survey {
        id: 1,
        title: d.title,
        description: d.description,
        author_id: me.user_id().unwrap(),
        agency_id: 1,
        anonymity: Anonymity::Anonymous,
        k: 5,
        audience: d.audience,
        opens_at: "2020-01-01T00:00:00Z".into(),
        closes_at: "2099-01-01T00:00:00Z".into(),
        state: State::Open,
        sections: d.sections,
        fixes: vec![],
        copied_from: None,
        created: String::new(),
    };
    s.check_design().unwrap();
    s
}

/// I385 §7.8, bad input at design time: each refusal with its stable key.
#[test]
fn design_checks_refuse_conditions_on_later_questions_and_malformed_questions() {
    let base = survey();
    let refused = |edit: &dyn Fn(&mut Survey)| {
        let mut s = base.clone();
        edit(&mut s);
        s.check_design().unwrap_err().key
    };
    // A condition that refers to a later question.
    assert_eq!(
        refused(&|s| {
            s.sections[0].questions[0].show_if =
                Some(Condition { question: "q4".into(), any_of: vec!["1".into()] })
        }),
        "survey-condition-later"
    );
    assert_eq!(
        refused(&|s| {
            s.sections[0].questions[1].show_if =
                Some(Condition { question: "q9".into(), any_of: vec!["1".into()] })
        }),
        "survey-condition-unknown"
    );
    assert_eq!(
        refused(&|s| {
            s.sections[0].questions[1].show_if =
                Some(Condition { question: "q1".into(), any_of: vec!["3".into()] })
        }),
        "survey-condition-values"
    );
    assert_eq!(
        refused(&|s| {
            s.sections[1].questions[1].show_if =
                Some(Condition { question: "q2".into(), any_of: vec!["1".into()] })
        }),
        "survey-condition-kind"
    );
    assert_eq!(
        refused(&|s| s.sections[0].questions[3].key = "q1".into()),
        "survey-question-key-repeated"
    );
    assert_eq!(
        refused(&|s| s.sections[0].questions[3].key = "q 4".into()),
        "survey-question-key-invalid"
    );
    assert_eq!(
        refused(&|s| s.sections[0].questions[3].kind =
            Kind::Scale { max: 7, low: Text::default(), high: Text::default() }),
        "survey-scale-invalid"
    );
    assert_eq!(
        refused(&|s| s.sections[0].questions[0].kind =
            Kind::Single { options: vec![Text { kk: String::new(), ru: "Да".into() }] }),
        "survey-options-invalid"
    );
    assert_eq!(
        refused(&|s| if let Kind::Multiple { min, .. } = &mut s.sections[0].questions[2].kind {
            *min = 3
        }),
        "survey-limits-invalid"
    );
    assert_eq!(refused(&|s| s.audience = Audience::default()), "survey-audience-empty");
    assert_eq!(refused(&|s| s.closes_at = s.opens_at.clone()), "survey-dates-order");
    assert_eq!(refused(&|s| s.title = Text::default()), "survey-title-required");
    assert_eq!(refused(&|s| s.k = 0), "survey-k-invalid");
    assert_eq!(refused(&|s| s.sections.clear()), "survey-no-questions");
}

/// I385 §7.8, bad input when answering: each refusal names its question.
#[test]
fn answer_checks_refuse_options_hidden_and_missing_answers_and_overlong_texts() {
    let s = survey();
    let check = |v: serde_json::Value| s.check_response(&answers(v));
    let good = json!({"q1": ["2"], "q2": ["Далеко ездить"], "q3": ["3", "1"], "q4": ["4"],
        "q5": ["5", ""], "q6": ["42"], "q7": ["специалист"], "q8": ["2019-03-01"]});
    let clean = check(good.clone()).unwrap();
    assert_eq!(clean["q3"], vec!["1", "3"], "choices are kept in option order");
    assert_eq!(clean["q5"], vec!["5", ""], "an optional matrix row may stay empty");
    let refusal = |v: serde_json::Value| {
        let r = check(v).unwrap_err();
        (r.key, r.question.unwrap())
    };
    let with = |key: &str, value: serde_json::Value| {
        let mut v = good.clone();
        v[key] = value;
        v
    };
    assert_eq!(refusal(with("q1", json!(["3"]))), ("survey-answer-not-an-option", "q1".into()));
    assert_eq!(refusal(with("q1", json!([]))), ("survey-answer-required", "q1".into()));
    // An answer to a question hidden by its condition.
    assert_eq!(refusal(with("q1", json!(["1"]))), ("survey-answer-hidden", "q2".into()));
    assert_eq!(refusal(with("q3", json!(["1", "2", "3"]))), ("survey-answer-count", "q3".into()));
    assert_eq!(
        refusal(with("q3", json!(["1", "1"]))),
        ("survey-answer-not-an-option", "q3".into())
    );
    assert_eq!(refusal(with("q4", json!(["6"]))), ("survey-answer-out-of-range", "q4".into()));
    assert_eq!(refusal(with("q5", json!(["5"]))), ("survey-answer-rows", "q5".into()));
    assert_eq!(refusal(with("q6", json!(["17"]))), ("survey-answer-out-of-range", "q6".into()));
    assert_eq!(refusal(with("q6", json!(["сорок"]))), ("survey-answer-not-a-number", "q6".into()));
    assert_eq!(
        refusal(with("q8", json!(["01.03.2019"]))),
        ("survey-answer-not-a-date", "q8".into())
    );
    assert_eq!(refusal(with("q9", json!(["x"]))), ("survey-answer-unknown-question", "q9".into()));
    // A 10,000-character free text.
    let long = "я".repeat(10_000);
    assert_eq!(refusal(with("q2", json!([long]))), ("survey-answer-too-long", "q2".into()));
    assert_eq!(
        refusal(with("q7", json!(["a\u{0}b"]))),
        ("survey-answer-control-chars", "q7".into())
    );
    // Page by page: the first section alone is checked without the second.
    let first = answers(json!({"q1": ["1"], "q3": ["2"]}));
    assert!(s.check_section(0, &first).is_ok());
    assert_eq!(
        s.check_section(0, &answers(json!({"q3": ["2"]}))).unwrap_err().key,
        "survey-answer-required"
    );
}

fn dump(app: &App) -> Vec<(String, String, Vec<u8>)> {
    app.audit.flush_blocking();
    let txn = app.db.read().unwrap();
    crate::ops::backup::tables::dump(&txn).unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// I385 §7.8, anonymity by construction: after an anonymous survey no row of any table links
/// a respondent to an answer, the rows a response adds hold no person and no time, and the
/// same answers given by other people in another order store the same rows.
#[test]
fn an_anonymous_survey_leaves_no_link_between_a_person_and_an_answer_in_any_table() {
    let (_dir, app) = app();
    let first = service::create(&app, &author(), open_design()).unwrap();
    service::open(&app, &author(), first.id).unwrap();
    let second = service::copy(&app, &author(), first.id).unwrap();
    assert_eq!(second.copied_from, Some(first.id));
    service::open(&app, &author(), second.id).unwrap();
    let before = dump(&app);
    let texts = ["ответ-альфа", "ответ-бета", "ответ-гамма", "ответ-дельта"];
    let give = |survey: u64, who: usize, what: usize| {
        let a = answers(json!({"q1": ["1"], "q3": [(what % 3 + 1).to_string()],
            "q4": [(what + 1).to_string()], "q7": [texts[what]]}));
        service::respond(&app, &respondent(PEOPLE[who]), survey, &a).unwrap();
    };
    for i in 0..4 {
        give(first.id, i, i);
    }
    // In the other survey other people give the same answers, in the opposite order.
    for i in (0..4).rev() {
        give(second.id, i, 3 - i);
    }
    let after = dump(&app);
    let added: Vec<&(String, String, Vec<u8>)> =
        after.iter().filter(|row| !before.contains(row)).collect();
    // Only who has answered, the answers and the access log (its head in `meta`) changed:
    // no id counter, no notice, not even the survey's own record.
    for (table, key, _) in &added {
        assert!(
            matches!(
                table.as_str(),
                "survey_respondents" | "survey_responses" | "audit_log_blocks"
            ) || (table == "meta" && key.contains("audit")),
            "an anonymous response wrote to {table} {key}"
        );
    }
    let rows_of = |table: &str, survey: u64| -> Vec<Vec<u8>> {
        let prefix = format!("({survey}, ");
        let mut rows: Vec<Vec<u8>> = after
            .iter()
            .filter(|(t, k, _)| t == table && k.starts_with(&prefix))
            .map(|(_, k, v)| {
                // Who answered is in the key; the answers' keys are random, so only their
                // values are compared.
                if table == "survey_respondents" {
                    k.replacen(&prefix, "", 1).into_bytes()
                } else {
                    v.clone()
                }
            })
            .collect();
        rows.sort();
        rows
    };
    for table in ["survey_respondents", "survey_responses"] {
        assert_eq!(rows_of(table, first.id).len(), 4);
        assert_eq!(
            rows_of(table, first.id),
            rows_of(table, second.id),
            "{table}: other people behind the answers, in another order, store the same"
        );
    }
    for (table, key, value) in &after {
        let has_person =
            PEOPLE.iter().any(|p| contains(value, &p.to_string()) || key.contains(&p.to_string()));
        let has_answer = texts.iter().any(|t| contains(value, t) || key.contains(t));
        assert!(!(has_person && has_answer), "{table} {key} links a person to an answer");
        if table == "survey_responses" {
            let v: serde_json::Value = serde_json::from_slice(value).unwrap();
            assert_eq!(v.get("person"), None);
            assert_eq!(v.get("day"), None, "no time at all in an anonymous response");
        }
    }
    // The access-log entries of the responses name the survey only.
    let entries: Vec<serde_json::Value> = after
        .iter()
        .filter(|(t, _, _)| t == "audit_log_blocks")
        .flat_map(|(_, _, v)| crate::audit::blocks::entry_jsons(v))
        .filter(|json| contains(json, "survey.respond"))
        .map(|json| serde_json::from_slice(json).unwrap())
        .collect();
    assert_eq!(entries.len(), 8);
    for entry in &entries {
        assert_eq!(entry["detail"], json!({"survey": entry["detail"]["survey"]}));
        assert!(!texts.iter().any(|t| entry.to_string().contains(t)));
    }
    app.shutdown();
}

#[test]
fn answered_once_by_the_audience_while_open_and_frozen_once_answered() {
    let (_dir, app) = app();
    let s = service::create(&app, &author(), open_design()).unwrap();
    let a = answers(json!({"q1": ["1"]}));
    // A draft is not revealed to the audience.
    let draft = service::respond(&app, &respondent(PEOPLE[0]), s.id, &a).unwrap_err();
    assert_eq!(draft.code, Code::NotFound);
    // Changes before the first answer are free.
    let mut d = open_design();
    d.k = 3;
    assert_eq!(service::update(&app, &author(), s.id, d).unwrap().k, 3);
    service::open(&app, &author(), s.id).unwrap();
    let again = service::open(&app, &author(), s.id).unwrap_err();
    assert_eq!(again.detail_key, Some("survey-already-published"));
    // Outside the audience: not revealed; only the author manages it.
    let outsider = person(900_050, 2, None, Role::Employee);
    assert_eq!(service::respond(&app, &outsider, s.id, &a).unwrap_err().code, Code::NotFound);
    let manage = service::close(&app, &respondent(PEOPLE[1]), s.id).unwrap_err();
    assert_eq!(manage.code, Code::Forbidden);
    let missing = service::respond(&app, &respondent(PEOPLE[0]), s.id, &answers(json!({})));
    assert_eq!(missing.unwrap_err().field.as_deref(), Some("q1"));
    service::respond(&app, &respondent(PEOPLE[0]), s.id, &a).unwrap();
    let second = service::respond(&app, &respondent(PEOPLE[0]), s.id, &a).unwrap_err();
    assert_eq!((second.code, second.detail_key), (Code::Conflict, Some("survey-already-answered")));
    let seen = service::get(&app, &respondent(PEOPLE[0]), s.id).unwrap();
    assert!(seen.answered && seen.frozen);
    assert!(!service::get(&app, &respondent(PEOPLE[1]), s.id).unwrap().answered);
    // Frozen: a new option is refused, a typo fixed and recorded.
    let mut changed = open_design();
    changed.sections[0].questions[0].kind = Kind::Single {
        options: ["Да", "Нет", "Иногда"].map(|t| Text { kk: t.into(), ru: t.into() }).to_vec(),
    };
    changed.k = 3;
    let frozen = service::update(&app, &author(), s.id, changed).unwrap_err();
    assert_eq!((frozen.code, frozen.detail_key), (Code::Conflict, Some("survey-frozen")));
    let mut typo = open_design();
    typo.k = 3;
    typo.sections[0].questions[3].text.ru = "Ваша оценка".into();
    let fixed = service::update(&app, &author(), s.id, typo).unwrap();
    assert_eq!(fixed.fixes.len(), 1);
    assert_eq!((fixed.fixes[0].path.as_str(), fixed.fixes[0].by), ("q4", AUTHOR));
    assert_eq!(fixed.fixes[0].before.ru, "Оценка");
    // Closed: no more answers.
    service::close(&app, &author(), s.id).unwrap();
    let late = service::respond(&app, &respondent(PEOPLE[1]), s.id, &a).unwrap_err();
    assert_eq!((late.code, late.detail_key), (Code::Conflict, Some("survey-closed")));
    app.shutdown();
}

#[test]
fn a_survey_not_open_yet_names_its_opening_and_only_authors_design() {
    let (_dir, app) = app();
    let s =
        service::create(&app, &author(), design("2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z"))
            .unwrap();
    assert_eq!(service::open(&app, &author(), s.id).unwrap().state, State::Scheduled);
    let early =
        service::respond(&app, &respondent(PEOPLE[0]), s.id, &answers(json!({"q1": ["1"]})))
            .unwrap_err();
    assert_eq!(early.detail_key, Some("survey-not-open"));
    assert!(early.detail.unwrap().contains("(Astana)"));
    let employee = service::create(&app, &respondent(PEOPLE[0]), open_design()).unwrap_err();
    assert_eq!(employee.code, Code::Forbidden);
    // The audience lists published surveys; the author also their drafts.
    service::create(&app, &author(), open_design()).unwrap();
    assert_eq!(service::list(&app, &author()).unwrap().len(), 2);
    assert_eq!(service::list(&app, &respondent(PEOPLE[0])).unwrap().len(), 1);
    app.shutdown();
}

/// Every refusal key the model and the service use has its message in kk, ru and en.
#[test]
fn every_refusal_is_explained_in_every_language() {
    let i18n = crate::i18n::I18n::load();
    let sources = [include_str!("model.rs"), include_str!("service.rs")];
    let mut keys = Vec::new();
    for source in sources {
        for part in source.split('"').skip(1).step_by(2) {
            if part.starts_with("survey-") && !part.ends_with('-') {
                keys.push(part);
            }
        }
    }
    assert!(keys.len() > 30, "{keys:?}");
    for lang in ["kk", "ru", "en"] {
        for key in &keys {
            // A notice's key (`survey-opened`) has its subject and body instead.
            let notice = i18n.has(lang, &format!("notice-{key}-subject"))
                && i18n.has(lang, &format!("notice-{key}-body"));
            assert!(i18n.has(lang, key) || notice, "{lang}: {key}");
        }
    }
}

/// The results as computed before the one-pass computation (a pass per question, then again
/// per group, each filtering the responses): the reference the one-pass results must equal.
mod reference {
    use std::collections::BTreeMap;

    use super::super::model::{Anonymity, Kind, Survey};
    use super::super::results::{By, GroupResult, QuestionResult, Results, split_groups, stats};
    use super::super::store::Response;

    fn of(by: By, r: &Response) -> Option<u64> {
        match by {
            By::Agency => Some(r.agency),
            By::Department => r.department,
        }
    }

    fn question_results(s: &Survey, responses: &[&Response], texts: bool) -> Vec<QuestionResult> {
        let mut out = Vec::new();
        for q in s.questions() {
            let given: Vec<&Vec<String>> =
                responses.iter().filter_map(|r| r.answers.get(&q.key)).collect();
            let mut r = QuestionResult {
                key: q.key.clone(),
                kind: q.kind.name(),
                answered: given.len() as u64,
                counts: Vec::new(),
                rows: Vec::new(),
                stats: None,
                row_stats: Vec::new(),
                texts: Vec::new(),
            };
            let point = |v: &str| v.parse::<usize>().ok().filter(|p| *p >= 1);
            match &q.kind {
                Kind::Single { options } | Kind::Multiple { options, .. } => {
                    r.counts = vec![0; options.len()];
                    for v in given.iter().flat_map(|g| g.iter()) {
                        if let Some(c) = point(v).and_then(|p| r.counts.get_mut(p - 1)) {
                            *c += 1;
                        }
                    }
                }
                Kind::Scale { max, .. } => {
                    r.counts = vec![0; *max as usize];
                    let mut values = Vec::new();
                    for v in given.iter().flat_map(|g| g.iter()) {
                        if let Some(p) = point(v).filter(|p| *p <= *max as usize) {
                            r.counts[p - 1] += 1;
                            values.push(p as f64);
                        }
                    }
                    r.stats = stats(&values);
                }
                Kind::Matrix { rows, max, .. } => {
                    r.rows = vec![vec![0; *max as usize]; rows.len()];
                    let mut values = vec![Vec::new(); rows.len()];
                    for g in &given {
                        for (i, v) in g.iter().enumerate().take(rows.len()) {
                            if let Some(p) = point(v).filter(|p| *p <= *max as usize) {
                                r.rows[i][p - 1] += 1;
                                values[i].push(p as f64);
                            }
                        }
                    }
                    r.row_stats = values.iter().map(|v| stats(v)).collect();
                }
                Kind::Number { .. } => {
                    let values: Vec<f64> =
                        given.iter().filter_map(|g| g.first()?.parse::<f64>().ok()).collect();
                    r.stats = stats(&values);
                }
                Kind::ShortText | Kind::LongText | Kind::Date => {
                    if texts {
                        r.texts = given.iter().filter_map(|g| g.first().cloned()).collect();
                        r.texts.sort();
                    }
                }
            }
            out.push(r);
        }
        out
    }

    pub fn compute(s: &Survey, responses: &[Response], by: Option<By>) -> Results {
        let n = responses.len() as u64;
        let k = s.k.max(1);
        let shown = s.anonymity == Anonymity::Named || n >= u64::from(k);
        let mut results = Results { responses: n, k, shown, groups: Vec::new() };
        if !shown {
            return results;
        }
        let all: Vec<&Response> = responses.iter().collect();
        let questions = question_results(s, &all, true);
        results.groups.push(GroupResult { key: "all".into(), id: None, responses: n, questions });
        let Some(by) = by else { return results };
        let mut sizes: BTreeMap<Option<u64>, u64> = BTreeMap::new();
        for r in responses {
            *sizes.entry(of(by, r)).or_default() += 1;
        }
        let (ids, other) = split_groups(&sizes, u64::from(k));
        let prefix = if by == By::Agency { "agency" } else { "department" };
        for id in &ids {
            let members: Vec<&Response> =
                responses.iter().filter(|r| of(by, r) == Some(*id)).collect();
            results.groups.push(GroupResult {
                key: format!("{prefix}:{id}"),
                id: Some(*id),
                responses: members.len() as u64,
                questions: question_results(s, &members, false),
            });
        }
        if other > 0 {
            let rest: Vec<&Response> =
                responses.iter().filter(|r| !of(by, r).is_some_and(|g| ids.contains(&g))).collect();
            results.groups.push(GroupResult {
                key: "other".into(),
                id: None,
                responses: rest.len() as u64,
                questions: question_results(s, &rest, false),
            });
        }
        results
    }
}

/// Issue 16 point 3: the one-pass results (every group at once) equal the per-group
/// computation they replace, for every question type, with and without breakdowns, with
/// groups under k merged into "other", answers out of range and unanswered questions.
#[test]
fn one_pass_results_equal_the_per_group_computation() {
    use super::results::{By, compute};
    use super::store::Response;
    let s = survey();
    let responses: Vec<Response> = (0..157u64)
        .map(|i| {
            let v = |n: u64| ((i * 7 + n * 3) % 6).to_string(); // "0" is out of range
            let mut a = Answers::new();
            a.insert("q1".into(), vec![(i % 2 + 1).to_string()]);
            if i % 2 == 1 {
                a.insert("q2".into(), vec![format!("текст {}", i % 9)]);
            }
            a.insert("q3".into(), vec![v(1), v(2)]);
            if i % 5 != 0 {
                a.insert("q4".into(), vec![v(3)]);
            }
            a.insert("q5".into(), vec![v(4), v(5)]);
            a.insert("q6".into(), vec![(18 + i % 50).to_string()]);
            a.insert("q7".into(), vec![format!("должность {}", i % 4)]);
            a.insert("q8".into(), vec![format!("2020-01-{:02}", 1 + i % 28)]);
            a.insert("gone".into(), vec!["1".into()]);
            Response {
                day: None,
                // Agencies of 1..=40 responses: some above k, some under.
                agency: [1, 1, 1, 2, 2, 3, 4, 5, 5, 5, 5, 6][(i % 12) as usize] + (i / 60) * 10,
                department: (i % 3 != 0).then_some(i % 7),
                person: None,
                answers: a,
            }
        })
        .collect();
    for by in [None, Some(By::Agency), Some(By::Department)] {
        for n in [0, 3, 5, 12, 40, responses.len()] {
            let part = &responses[..n];
            assert_eq!(compute(&s, part, by), reference::compute(&s, part, by), "{by:?}, {n}");
        }
    }
    let r = compute(&s, &responses, Some(By::Agency));
    assert!(r.groups.iter().any(|g| g.key == "other") && r.groups.len() > 3, "{:?}", r.groups);
}
