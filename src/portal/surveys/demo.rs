//! Demo surveys (I385 §7.8; issue 16 point 6): an open anonymous survey on working
//! conditions answered by every participant account of the demo and by a few hundred
//! generated respondents (the results page shows its charts, and the breakdown by agency
//! merges the agencies under k into "other"), a closed named survey of one ministry, and a
//! draft. Every step goes through the surveys service as the person who would take it; the
//! answers are generated, varied by person.
//!
//! The generated respondents are accounts of the directory made without a password
//! (`directory::without_password`): they can never sign in, and their position says they
//! are demo respondents. They answer through the same service, checks and access log as
//! anyone, so the results, the response rate and the k rule show what a real survey shows.

use serde_json::json;

use super::model::{Anonymity, Answers, Audience, Text};
use super::service::{self, Design};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::duties;
use crate::error::{Error, Result};
use crate::ops::demo::as_user;
use crate::portal::directory::model::NewUser;
use crate::portal::directory::service as directory;

/// Generated respondents per demo agency: unequal, so that in the breakdown by agency most
/// agencies stand apart and the Karaganda akimat's few answers (its demo staff only, under
/// k) are merged into "other".
const RESPONDENTS: &[(&str, usize)] =
    &[("MCRIAP", 80), ("MINFIN", 60), ("MNE", 50), ("KPM", 40), ("ADGS", 30)];

const SURNAMES: &[(&str, &str)] = &[
    ("Ахметов", "Ахметов"),
    ("Жумабаев", "Жұмабаев"),
    ("Сейткалиев", "Сейітқалиев"),
    ("Нурпеисов", "Нұрпейісов"),
    ("Абенов", "Әбенов"),
    ("Касымов", "Қасымов"),
    ("Омаров", "Омаров"),
    ("Тулегенов", "Төлегенов"),
];
const NAMES: &[(&str, &str)] = &[
    ("Ерлан", "Ерлан"),
    ("Айгуль", "Айгүл"),
    ("Нурлан", "Нұрлан"),
    ("Дана", "Дана"),
    ("Асель", "Әсел"),
    ("Бауыржан", "Бауыржан"),
    ("Гульмира", "Гүлмира"),
];

/// Makes the generated respondents (accounts that cannot sign in) and returns their logins.
fn respondents(app: &App, operator: &Actor) -> Result<Vec<String>> {
    let mut logins = Vec::new();
    for (code, count) in RESPONDENTS {
        let agency = directory::agency_by_code(app, operator, code)?;
        let department =
            directory::departments(app, operator, Some(agency.id))?.first().map(|d| d.id);
        for _ in 0..*count {
            let n = logins.len() + 1;
            let (sur_ru, sur_kk) = SURNAMES[n % SURNAMES.len()];
            let (name_ru, name_kk) = NAMES[n % NAMES.len()];
            let login = format!("demo.respondent.{n:03}");
            crate::portal::directory::without_password::create(
                app,
                operator,
                NewUser {
                    login: login.clone(),
                    agency: (*code).into(),
                    department_id: department,
                    name_ru: format!("{sur_ru} {name_ru} (демо)"),
                    name_kk: format!("{sur_kk} {name_kk} (демо)"),
                    position_ru: "Демо-респондент опросов: учётная запись без пароля, войти нельзя"
                        .into(),
                    position_kk: "Сауалнамалардың демо-респонденті: құпиясөзсіз есептік жазба, кіру мүмкін емес"
                        .into(),
                    lang: Some("ru".into()),
                    ..Default::default()
                },
            )?;
            logins.push(login);
        }
    }
    Ok(logins)
}

fn t(ru: &str, kk: &str) -> serde_json::Value {
    json!({"ru": ru, "kk": kk})
}

fn at(hours: i64) -> String {
    crate::clock::utc_string(crate::clock::now() + jiff::SignedDuration::from_hours(hours))
}

/// The working-conditions survey: every kind of chart the results page draws.
fn conditions(opens: String, closes: String) -> Result<Design> {
    let v = json!({
        "title": t("Условия труда в государственном органе", "Мемлекеттік органдағы еңбек жағдайлары"),
        "description": t("Анонимный опрос: ответы не связываются с вами.", "Жасырын сауалнама: жауаптар сізбен байланыстырылмайды."),
        "anonymity": "anonymous",
        "k": 5,
        "audience": {"everyone": true},
        "opens_at": opens,
        "closes_at": closes,
        "sections": [
            {"title": t("Общее", "Жалпы"), "questions": [
                {"key": "q1", "type": "single", "required": true,
                 "text": t("Довольны ли вы условиями труда?", "Еңбек жағдайларына көңіліңіз тола ма?"),
                 "options": [t("Да", "Иә"), t("Скорее да", "Негізінен иә"), t("Скорее нет", "Негізінен жоқ"), t("Нет", "Жоқ")]},
                {"key": "q2", "type": "long_text",
                 "text": t("Что мешает работать?", "Жұмысқа не кедергі?"),
                 "show_if": {"question": "q1", "any_of": ["3", "4"]}},
                {"key": "q3", "type": "multiple", "min": 1, "max": 2,
                 "text": t("Что улучшить в первую очередь?", "Алдымен нені жақсарту керек?"),
                 "options": [t("Рабочее место", "Жұмыс орны"), t("Технику", "Техника"), t("График", "Кесте"), t("Обучение", "Оқыту")]},
                {"key": "q4", "type": "scale", "max": 10,
                 "text": t("Насколько вы порекомендуете орган как работодателя?", "Органды жұмыс беруші ретінде қаншалықты ұсынасыз?"),
                 "low": t("не порекомендую", "ұсынбаймын"), "high": t("обязательно", "міндетті түрде")}
            ]},
            {"title": t("Рабочее место", "Жұмыс орны"), "questions": [
                {"key": "q5", "type": "matrix", "max": 5,
                 "text": t("Оцените", "Бағалаңыз"),
                 "rows": [t("Кабинет", "Кабинет"), t("Компьютер", "Компьютер"), t("Столовая", "Асхана")],
                 "low": t("плохо", "нашар"), "high": t("отлично", "өте жақсы")},
                {"key": "q6", "type": "number", "min": 0, "max": 50,
                 "text": t("Стаж государственной службы, лет", "Мемлекеттік қызмет өтілі, жыл")}
            ]}
        ]
    });
    serde_json::from_value(v).map_err(Error::internal)
}

/// The i-th generated response (varied, so every chart has several bars).
fn answers(i: usize) -> Answers {
    let pick = |n: usize, m: usize| ((i * 7 + n * 3) % m + 1).to_string();
    let q1 = ["1", "2", "2", "3", "1", "4", "2"][i % 7];
    let mut a = Answers::new();
    a.insert("q1".into(), vec![q1.into()]);
    if q1 == "3" || q1 == "4" {
        let why = ["Шум в кабинете", "Медленный компьютер", "Много совещаний"][i % 3];
        a.insert("q2".into(), vec![why.into()]);
    }
    let first = pick(1, 4);
    let mut q3 = vec![first.clone()];
    if i.is_multiple_of(2) {
        let second = ((first.parse::<usize>().unwrap_or(1)) % 4 + 1).to_string();
        q3.push(second);
    }
    a.insert("q3".into(), q3);
    a.insert("q4".into(), vec![(i * 5 % 10 + 1).to_string()]);
    a.insert("q5".into(), vec![pick(2, 5), pick(3, 5), pick(4, 5)]);
    a.insert("q6".into(), vec![(1 + i * 3 % 30).to_string()]);
    a
}

pub fn seed(app: &App, operator: &Actor) -> Result<()> {
    let author = as_user(app, operator, "hr.officer")?;
    // 1. Open, anonymous, answered by every participant account.
    let open = service::create(app, &author, conditions(at(-24), at(24 * 14))?)?;
    service::open(app, &author, open.id)?;
    let mut people: Vec<_> = directory::every_user_by_id(app)?.into_values().collect();
    people.sort_by_key(|u| u.id);
    let participants: Vec<_> =
        people.iter().filter(|u| !u.roles.iter().any(|r| duties::stands_alone(*r))).collect();
    let mut logins: Vec<String> = participants.iter().map(|u| u.login.clone()).collect();
    logins.extend(respondents(app, operator)?);
    for (i, login) in logins.iter().enumerate() {
        let who = as_user(app, operator, login)?;
        service::respond(app, &who, open.id, &answers(i))?;
    }
    // 2. Closed, named: the ministry's own, answered by its people, then closed.
    let head = as_user(app, operator, "dev.head")?;
    let mut named = conditions(at(-48), at(24))?;
    named.title = Text {
        ru: "Итоги обучения 2026 года".into(),
        kk: "2026 жылғы оқу қорытындысы".into(),
    };
    named.description = Default::default();
    named.anonymity = Anonymity::Named;
    named.k = 3;
    let ministry = head.user().map(|u| u.agency_id).unwrap_or_default();
    named.audience = Audience { agencies: vec![ministry], ..Default::default() };
    let named = service::create(app, &head, named)?;
    service::open(app, &head, named.id)?;
    for (i, u) in participants.iter().filter(|u| u.agency_id == ministry).enumerate() {
        let who = as_user(app, operator, &u.login)?;
        service::respond(app, &who, named.id, &answers(i + 3))?;
    }
    service::close(app, &head, named.id)?;
    // 3. A draft being prepared: a copy of the first one, not opened.
    service::copy(app, &author, open.id)?;
    Ok(())
}
