//! The survey builder on pages without JavaScript, through the real server (I385 §7.8;
//! issue 16 point 1; the forms pattern of issue 21). An HR officer (an author by default)
//! creates a survey on its settings page, adds sections and a question of every type —
//! single, multiple with limits, scale with end labels, matrix, number with a range, short
//! and long text, date — required or not, one shown on an earlier answer; refused forms
//! (no title, dates in the wrong order, a condition on an unknown question, too few
//! options, crossed limits) come back with every value and the message under the field,
//! in ru and kk; the preview shows the pages as respondents will see them; a question
//! another depends on is not removed; the survey is opened and copied. An employee has no
//! builder (403, logged) and no "new survey" link; another's draft is not even shown.

use serde_json::json;

use crate::common::client::{Client, Resp};
use crate::common::{Server, ftl};

fn send(c: &Client, path: &str, fields: &[(&str, &str)]) -> Resp {
    let token = c.csrf().expect("signed in");
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    c.post_form(path, &all)
}

fn location(r: &Resp) -> String {
    assert_eq!(r.status, 303, "{}", r.body);
    r.header("location").expect("location").to_owned()
}

fn question(c: &Client, id: u64, fields: &[(&str, &str)]) -> Resp {
    send(c, &format!("/surveys/{id}/questions"), fields)
}

const SETTINGS: [(&str, &str); 8] = [
    ("title_kk", "Құрастырылған сауалнама"),
    ("title_ru", "Собранный опрос"),
    ("description_ru", "Вступление-сохранено"),
    ("anonymity", "anonymous"),
    ("k", "5"),
    ("opens_at", "2030-01-10T09:00"),
    ("closes_at", "2030-01-20T18:00"),
    ("everyone", "1"),
];

#[test]
fn an_author_builds_every_question_type_on_the_pages_previews_opens_and_copies() {
    let server = Server::builder().start();
    server.add_agency("SBA");
    server.add_user("sb-author", "SBA", &["hr_officer"]);
    server.add_user("sb-clerk", "SBA", &["employee"]);
    let author = server.signed_in("sb-author");
    let (status, _) = author.patch_json("/api/v1/me", &json!({"lang": "ru"}));
    assert_eq!(status, 200);
    let clerk = server.signed_in("sb-clerk");
    assert_eq!(clerk.get("/surveys/new").status, 403, "an employee has no builder");
    assert!(!clerk.get("/surveys").body.contains("/surveys/new"));
    assert!(author.get("/surveys").body.contains("href=\"/surveys/new\""));
    let new = author.get("/surveys/new");
    assert_eq!(new.status, 200);
    assert!(new.body.contains("name=\"title_kk\"") && new.body.contains("type=\"datetime-local\""));

    // 1. Settings refused: no title; then closing before opening. Values kept, message by
    // the field, focus on it.
    let mut fields = SETTINGS.to_vec();
    fields[0].1 = "";
    fields[1].1 = "";
    let r = send(&author, "/surveys/new", &fields);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("Вступление-сохранено"), "the introduction typed is kept");
    assert!(r.body.contains("id=\"f-settings-title-kk-error\""), "{}", r.body);
    assert!(r.body.contains(&ftl("ru", "survey-title-required")));
    let mut fields = SETTINGS.to_vec();
    fields[6].1 = "2030-01-09T09:00";
    let r = send(&author, "/surveys/new", &fields);
    assert_eq!(r.status, 400);
    assert!(r.body.contains("id=\"f-settings-closes-at-error\""), "{}", r.body);
    assert!(r.body.contains("value=\"Собранный опрос\""));
    let to = location(&send(&author, "/surveys/new", &SETTINGS));
    let id: u64 = to.trim_start_matches("/surveys/").split('/').next().unwrap().parse().unwrap();
    assert!(to.starts_with(&format!("/surveys/{id}/edit")), "{to}");
    let edit = author.get(&format!("/surveys/{id}/edit"));
    assert!(edit.body.contains(&ftl("ru", "survey-builder-empty")), "{}", edit.body);
    assert_eq!(clerk.get(&format!("/surveys/{id}/edit")).status, 404, "another's draft is hidden");

    // 2. Two sections and a question of every type.
    for (kk, ru) in [("Жалпы", "Общее"), ("Толығырақ", "Подробно")] {
        let path = format!("/surveys/{id}/sections");
        location(&send(&author, &path, &[("section_kk", kk), ("section_ru", ru)]));
    }
    let added: [&[(&str, &str)]; 8] = [
        &[
            ("section", "1"),
            ("kind", "single"),
            ("text_kk", "Иә ма?"),
            ("text_ru", "Довольны?"),
            ("options", "Иә | Да\nЖоқ | Нет"),
            ("required", "1"),
        ],
        &[
            ("section", "1"),
            ("kind", "multiple"),
            ("text_ru", "Что важно?"),
            ("options", "Жалақы | Зарплата\nҰжым | Коллектив\nКесте | График"),
            ("min", "1"),
            ("max", "2"),
        ],
        &[
            ("section", "1"),
            ("kind", "scale"),
            ("points", "10"),
            ("text_ru", "Оценка"),
            ("low_ru", "плохо"),
            ("high_ru", "отлично"),
            ("low_kk", "нашар"),
            ("high_kk", "өте жақсы"),
        ],
        &[
            ("section", "2"),
            ("kind", "long_text"),
            ("text_ru", "Почему нет?"),
            ("show_if", "q1"),
            ("show_values", "2"),
        ],
        &[
            ("section", "2"),
            ("kind", "matrix"),
            ("points", "5"),
            ("text_ru", "Оцените"),
            ("options", "Кабинет\nТехника"),
        ],
        &[
            ("section", "2"),
            ("kind", "number"),
            ("text_ru", "Возраст"),
            ("min", "18"),
            ("max", "70"),
        ],
        &[("section", "2"), ("kind", "short_text"), ("text_ru", "Пожелание")],
        &[("section", "2"), ("kind", "date"), ("text_ru", "Дата приёма")],
    ];
    for fields in added {
        let r = question(&author, id, fields);
        assert!(location(&r).starts_with(&format!("/surveys/{id}/edit")));
    }
    let (status, s) = author.get_json(&format!("/api/v1/surveys/{id}"));
    assert_eq!(status, 200);
    let qs: Vec<&serde_json::Value> = s["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|x| x["questions"].as_array().unwrap())
        .collect();
    let kinds: Vec<&str> = qs.iter().map(|q| q["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["single", "multiple", "scale", "long_text", "matrix", "number", "short_text", "date"]
    );
    assert_eq!(qs[0]["options"][1], json!({"kk": "Жоқ", "ru": "Нет"}));
    assert_eq!(qs[0]["required"], json!(true));
    assert_eq!((qs[1]["min"].as_u64(), qs[1]["max"].as_u64()), (Some(1), Some(2)));
    assert_eq!((qs[2]["max"].as_u64(), qs[2]["low"]["ru"].as_str()), (Some(10), Some("плохо")));
    assert_eq!(qs[3]["show_if"], json!({"question": "q1", "any_of": ["2"]}));
    assert_eq!(qs[4]["rows"].as_array().unwrap().len(), 2);
    assert_eq!((qs[5]["min"].as_f64(), qs[5]["max"].as_f64()), (Some(18.0), Some(70.0)));
    assert_eq!(s["sections"][1]["title"], json!({"kk": "Толығырақ", "ru": "Подробно"}));

    // 3. Refused questions: values kept, the message under the input it is about (ru, kk).
    let r = question(
        &author,
        id,
        &[
            ("section", "2"),
            ("kind", "short_text"),
            ("text_ru", "Потерянный-вопрос"),
            ("show_if", "q99"),
            ("show_values", "1"),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("value=\"Потерянный-вопрос\""), "{}", r.body);
    assert!(r.body.contains("id=\"f-question-show-if-error\""), "{}", r.body);
    assert!(r.body.contains(&ftl("ru", "survey-condition-unknown")));
    let r = question(
        &author,
        id,
        &[
            ("section", "1"),
            ("kind", "multiple"),
            ("text_ru", "Пределы"),
            ("options", "a\nb\nc"),
            ("min", "3"),
            ("max", "2"),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("id=\"f-question-min-error\""), "{}", r.body);
    let (status, _) = author.patch_json("/api/v1/me", &json!({"lang": "kk"}));
    assert_eq!(status, 200);
    let r = question(
        &author,
        id,
        &[("section", "1"), ("kind", "single"), ("text_kk", "Бір-нұсқа"), ("options", "жалғыз")],
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("lang=\"kk\"") && r.body.contains("Бір-нұсқа"));
    assert!(r.body.contains("id=\"f-question-options-error\""), "{}", r.body);
    assert!(r.body.contains(&ftl("kk", "survey-options-invalid")), "{}", r.body);
    assert!(r.body.contains("жалғыз</textarea>"), "the option typed is kept");
    let (status, _) = author.patch_json("/api/v1/me", &json!({"lang": "ru"}));
    assert_eq!(status, 200);

    // 4. The preview: the pages as respondents see them, the conditional question with its
    // condition, nothing to send; only for the author.
    let p1 = author.get(&format!("/surveys/{id}/preview"));
    assert_eq!(p1.status, 200);
    assert!(p1.body.contains(&ftl("ru", "survey-builder-preview-note")));
    assert!(p1.body.contains("Довольны?") && p1.body.contains("отлично"));
    assert!(p1.body.contains(&format!("/surveys/{id}/preview?section=1")));
    assert!(p1.body.contains("disabled"), "no submission from the preview");
    let p2 = author.get(&format!("/surveys/{id}/preview?section=1"));
    assert!(p2.body.contains("Почему нет?") && p2.body.contains("«Нет»"), "{}", p2.body);
    assert!(p2.body.contains("type=\"date\"") && p2.body.contains("Техника"));
    assert_eq!(clerk.get(&format!("/surveys/{id}/preview")).status, 404);

    // 5. A question another depends on stays; another one goes.
    let r = send(&author, &format!("/surveys/{id}/questions/q1/remove"), &[]);
    assert_eq!(r.status, 400);
    assert!(r.body.contains(&ftl("ru", "survey-condition-unknown")), "{}", r.body);
    location(&send(&author, &format!("/surveys/{id}/questions/q7/remove"), &[]));
    let (_, s) = author.get_json(&format!("/api/v1/surveys/{id}"));
    let keys: Vec<String> = s["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|x| {
            x["questions"].as_array().unwrap().iter().map(|q| q["key"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(keys, ["q1", "q2", "q3", "q4", "q5", "q6", "q8"]);

    // 6. Settings again: the form shows the survey's values; k changed, named.
    let page = author.get(&format!("/surveys/{id}/settings"));
    assert!(
        page.body.contains("value=\"Собранный опрос\"") && page.body.contains("2030-01-10T09:00")
    );
    let mut fields = SETTINGS.to_vec();
    fields[3].1 = "named";
    fields[4].1 = "7";
    location(&send(&author, &format!("/surveys/{id}/settings"), &fields));
    let (_, s) = author.get_json(&format!("/api/v1/surveys/{id}"));
    assert_eq!((s["k"].as_u64(), s["anonymity"].as_str()), (Some(7), Some("named")));
    assert_eq!(s["sections"][1]["questions"].as_array().unwrap().len(), 4, "questions kept");

    // 7. Open it, then copy it into a new draft.
    let to = location(&send(&author, &format!("/surveys/{id}/publish"), &[]));
    assert!(to.contains("done-survey-opened"), "{to}");
    let (_, s) = author.get_json(&format!("/api/v1/surveys/{id}"));
    assert_eq!(s["state"], "scheduled");
    let to = location(&send(&author, &format!("/surveys/{id}/duplicate"), &[]));
    let copy: u64 = to.trim_start_matches("/surveys/").split('/').next().unwrap().parse().unwrap();
    let (_, c) = author.get_json(&format!("/api/v1/surveys/{copy}"));
    assert_eq!((c["state"].as_str(), c["copied_from"].as_u64()), (Some("draft"), Some(id)));
    assert_eq!(c["sections"], s["sections"]);

    // 8. The employee's refusal is logged as denied.
    let log = server.audit_entries();
    assert!(log.iter().any(|e| e["actor"] == "sb-clerk"
        && e["operation"] == "survey.create"
        && e["outcome"] == "denied"
        && e["status"] == 403));
}

/// I385 §7.8, issue 16 point 1: once answered, the builder offers a form for typos — texts
/// only, each correction recorded (who, when, before, after) and shown on the page; a
/// refused correction (every title emptied) comes back with all that was typed and the
/// message under the title; another employee has no such form (403).
#[test]
fn typos_are_corrected_on_a_form_after_the_first_answer_and_each_correction_is_recorded() {
    let server = Server::builder().start();
    server.add_agency("STA");
    server.add_user("st-author", "STA", &["hr_officer"]);
    server.add_user("st-clerk", "STA", &["employee"]);
    let author = server.signed_in("st-author");
    assert_eq!(author.patch_json("/api/v1/me", &json!({"lang": "ru"})).0, 200);
    let t = |ru: &str, kk: &str| json!({"ru": ru, "kk": kk});
    let (status, created) = author.post_json(
        "/api/v1/surveys",
        &json!({
            "title": t("Условя работы", "Жұмыс жағдайлары"), "anonymity": "named", "k": 5,
            "audience": {"everyone": true},
            "opens_at": "2020-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z",
            "sections": [{"title": t("Общее", "Жалпы"), "questions": [
                {"key": "q1", "type": "single", "text": t("Довольны ли вы?", "Қанағаттанасыз ба?"),
                 "options": [t("Да", "Иә"), t("Нте", "Жоқ")]}]}]
        }),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_u64().unwrap();
    assert_eq!(author.post_json(&format!("/api/v1/surveys/{id}/open"), &json!({})).0, 200);
    let clerk = server.signed_in("st-clerk");
    let (status, body) = clerk
        .post_json(&format!("/api/v1/surveys/{id}/responses"), &json!({"answers": {"q1": ["2"]}}));
    assert!(status == 200 || status == 201, "{status} {body}");

    let edit = author.get(&format!("/surveys/{id}/edit"));
    assert!(edit.body.contains(&format!("href=\"/surveys/{id}/texts\"")), "frozen: the link");
    let page = author.get(&format!("/surveys/{id}/texts"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("value=\"Условя работы\"") && page.body.contains("value=\"Нте\""));
    assert!(page.body.contains(&ftl("ru", "survey-texts-none")));
    assert_eq!(clerk.get(&format!("/surveys/{id}/texts")).status, 403, "not the clerk's survey");

    // Refused: no title at all. Every value typed comes back, the message under the title.
    let r = send(
        &author,
        &format!("/surveys/{id}/texts"),
        &[("title.kk", ""), ("title.ru", ""), ("q1.option.2.ru", "Нет-исправлено")],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("id=\"f-texts-title-ru-error\""), "{}", r.body);
    assert!(r.body.contains(&ftl("ru", "survey-title-required")));
    assert!(r.body.contains("value=\"Нет-исправлено\""), "what was typed is kept");

    // Accepted: two typos fixed, recorded, the answer kept.
    let r = send(
        &author,
        &format!("/surveys/{id}/texts"),
        &[("title.ru", "Условия работы"), ("q1.option.2.ru", "Нет")],
    );
    assert!(location(&r).starts_with(&format!("/surveys/{id}/texts?")), "back to the form");
    let (_, s) = author.get_json(&format!("/api/v1/surveys/{id}"));
    assert_eq!(s["title"]["ru"], "Условия работы", "{s}");
    assert_eq!(s["title"]["kk"], "Жұмыс жағдайлары", "an input not sent keeps its text");
    let fixes: Vec<(&str, &str, &str)> = s["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["before"]["ru"].as_str().unwrap(),
                f["after"]["ru"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fixes,
        [("title", "Условя работы", "Условия работы"), ("q1.option.2", "Нте", "Нет")],
        "{s}"
    );
    let page = author.get(&format!("/surveys/{id}/texts"));
    assert!(page.body.contains("Нте") && page.body.contains("q1.option.2"), "listed on the page");
    let (_, r) = author.get_json(&format!("/api/v1/surveys/{id}/results"));
    assert_eq!(r["responses"], 1, "{r}");
}
