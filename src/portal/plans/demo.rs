//! Demo action plans: the Government's plan (posted by the Chancellery) and the Karaganda
//! akimat's own plan, with items in every status — tasks assigned, reports accepted and
//! returned, a consolidated report awaiting the head's signature and one signed by the head
//! with the demo key (`ops::demo_pki`). Every step goes through the plans service as the
//! person who would take it.

use std::io::Write;

use jiff::civil::Date;

use super::service::{self, NewItem, NewPlan, NewReport, NewTask};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::ops::demo::as_user;
use crate::portal::directory::model::NewUser;
use crate::portal::directory::service as directory;

/// The people the plans need beside the portal's demo accounts.
const PEOPLE: &[(&str, &str, &[Role], &str, &str)] = &[
    (
        "plan.kpm",
        "KPM",
        &[Role::PlanResponsible, Role::Employee],
        "Сарсенова Айгерим Бахытовна",
        "Сәрсенова Әйгерім Бақытқызы",
    ),
    (
        "plan.mne",
        "MNE",
        &[Role::PlanResponsible, Role::Employee],
        "Омаров Тимур Ерланович",
        "Омаров Темір Ерланұлы",
    ),
    (
        "mne.expert",
        "MNE",
        &[Role::Employee],
        "Кенжебаева Мадина Асылбековна",
        "Кенжебаева Мәдина Асылбекқызы",
    ),
    (
        "plan.fin",
        "MINFIN",
        &[Role::PlanResponsible, Role::Employee],
        "Ли Виктор Андреевич",
        "Ли Виктор Андрейұлы",
    ),
    (
        "fin.expert",
        "MINFIN",
        &[Role::Employee],
        "Абдрахманов Ержан Саматович",
        "Әбдірахманов Ержан Саматұлы",
    ),
];

fn item(
    number: &str,
    start: Date,
    end: Date,
    p: &str,
    ru: &str,
    responsible: &str,
    co: &[&str],
) -> NewItem {
    NewItem {
        number: number.into(),
        start: start.to_string(),
        end: end.to_string(),
        periodicity: p.into(),
        title: ru.into(),
        content: format!("{ru}. Исполнение в соответствии с утверждённым планом мероприятий."),
        responsible: responsible.into(),
        co_executors: co.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    }
}

pub fn seed(app: &App, operator: &Actor, out: &mut dyn Write) -> Result<()> {
    for (login, agency, roles, ru, kk) in PEOPLE {
        let created = directory::create_user(
            app,
            operator,
            NewUser {
                login: (*login).into(),
                agency: (*agency).into(),
                name_ru: (*ru).into(),
                name_kk: (*kk).into(),
                email: format!("{login}@demo.ipgo.local"),
                roles: roles.to_vec(),
                lang: Some("ru".into()),
                ..Default::default()
            },
        )?;
        writeln!(
            out,
            "  {:<18} {:<24} {:<12} {}",
            login,
            roles[0].name(),
            agency,
            created.one_time_password.unwrap_or_default()
        )?;
    }
    let today = crate::calendar::today();
    let y = today.year();
    let d = |m: i8, day: i8| jiff::civil::date(y, m, day);
    let kpm = as_user(app, operator, "plan.kpm")?;
    let gov = service::create(
        app,
        &kpm,
        NewPlan {
            kind: "government".into(),
            title: format!(
                "План мероприятий Правительства по цифровизации государственного управления на {y} год"
            ),
            approved_on: today.checked_sub(jiff::Span::new().days(20)).unwrap_or(today).to_string(),
            approval_document: None,
            items: vec![
                item(
                    "1",
                    d(1, 1),
                    d(12, 31),
                    "quarterly",
                    "Перевод государственных услуг в проактивный формат",
                    "MNE",
                    &["MINFIN"],
                ),
                item(
                    "1.1",
                    d(1, 1),
                    d(6, 30),
                    "monthly",
                    "Анализ востребованности государственных услуг",
                    "MNE",
                    &[],
                ),
                item(
                    "2",
                    d(1, 1),
                    d(12, 31),
                    "half_yearly",
                    "Сокращение бумажного документооборота в центральных государственных органах",
                    "MINFIN",
                    &["MNE"],
                ),
                item(
                    "3",
                    d(1, 1),
                    d(12, 31),
                    "yearly",
                    "Развитие интранет-портала государственных органов",
                    "MINFIN",
                    &[],
                ),
            ],
        },
    )?;
    service::post(app, &kpm, gov)?;
    let plan_mne = as_user(app, operator, "plan.mne")?;
    let plan_fin = as_user(app, operator, "plan.fin")?;
    let items = {
        let txn = app.db.read()?;
        super::store::items(&txn, gov)?
    };
    let by =
        |n: &str| items.iter().find(|i| i.number == n).map(|i| (gov, i.id)).unwrap_or((gov, 0));
    for (who, n, exec) in [
        (&plan_mne, "1", "mne.expert"),
        (&plan_mne, "1.1", "mne.expert"),
        (&plan_fin, "2", "fin.expert"),
    ] {
        let it =
            items.iter().find(|i| i.number == n).ok_or_else(|| Error::internal("demo item"))?;
        service::assign_task(
            app,
            who,
            by(n),
            NewTask {
                title: format!("Подготовить информацию по пункту {n}"),
                text: "Представить информацию о ходе исполнения с приложением подтверждающих материалов.".into(),
                start: it.start.to_string(),
                end: it.end.to_string(),
                executors: vec![exec.into()],
            },
        )?;
    }
    let expert = as_user(app, operator, "mne.expert")?;
    let fin_expert = as_user(app, operator, "fin.expert")?;
    // Item 1.1: the first months reported and accepted.
    let first_period =
        super::model::period_ends(d(1, 1), d(6, 30), super::model::Periodicity::Monthly)
            .into_iter()
            .find(|p| *p < today);
    if let Some(p) = first_period {
        let r = service::submit_report(app, &expert, by("1.1"), NewReport { period: p.to_string(), text: "Проведён анализ 312 государственных услуг; 48 услуг переведены в проактивный формат.".into(), document: None })?;
        service::review(app, &plan_mne, by("1.1"), r, true, "")?;
        service::post_consolidated(
            app,
            &plan_mne,
            by("1.1"),
            "Сводная информация: анализ востребованности услуг завершён за отчётный период, результаты направлены в Канцелярию Премьер-Министра.",
        )?;
    }
    // Item 1: the first quarter reported, accepted, consolidated and signed by the
    // ministry's head, so the report is open to the Chancellery (§36).
    let first_quarter =
        super::model::period_ends(d(1, 1), d(12, 31), super::model::Periodicity::Quarterly)
            .into_iter()
            .find(|p| *p < today);
    if let Some(p) = first_quarter {
        let r = service::submit_report(app, &expert, by("1"), NewReport { period: p.to_string(), text: "В проактивный формат переведены 48 из 312 государственных услуг; по 17 услугам подготовлены изменения в правила оказания.".into(), document: None })?;
        service::review(app, &plan_mne, by("1"), r, true, "")?;
        let doc = service::post_consolidated(
            app,
            &plan_mne,
            by("1"),
            "Сводный отчёт по пункту 1: за первый квартал в проактивный формат переведены 48 государственных услуг (15,4 %); работа продолжается по графику.",
        )?;
        let head = as_user(app, operator, "econ.head")?;
        let manifest = crate::portal::documents::signatures::manifest(app, &head, doc, 1)?;
        let cms = crate::ops::demo_pki::DemoPki::key_of(app, "econ.head")?
            .sign(&manifest, false)
            .map_err(|e| Error::internal(format!("demo: {e}")))?;
        service::sign_consolidated(app, &head, by("1"), &cms)?;
    }
    // Item 2: a report returned for more detail.
    if let Some(p) =
        super::model::period_ends(d(1, 1), d(12, 31), super::model::Periodicity::HalfYearly)
            .into_iter()
            .find(|p| *p < today)
    {
        let r = service::submit_report(
            app,
            &fin_expert,
            by("2"),
            NewReport {
                period: p.to_string(),
                text: "Доля электронных документов составила 87%.".into(),
                document: None,
            },
        )?;
        service::review(
            app,
            &plan_fin,
            by("2"),
            r,
            false,
            "Укажите данные по каждому ведомству и приложите расчёт.",
        )?;
    }
    // The akimat's own plan, posted late.
    let krg = as_user(app, operator, "plan.responsible")?;
    let own = service::create(
        app,
        &krg,
        NewPlan {
            kind: "agency".into(),
            title: format!("Операционный план аппарата акима Карагандинской области на {y} год"),
            approved_on: today.checked_sub(jiff::Span::new().days(10)).unwrap_or(today).to_string(),
            approval_document: None,
            items: vec![
                item(
                    "1",
                    d(1, 1),
                    d(12, 31),
                    "quarterly",
                    "Обучение государственных служащих работе на интранет-портале",
                    "AKIMAT-KRG",
                    &[],
                ),
                item(
                    "2",
                    d(1, 1),
                    d(12, 31),
                    "once",
                    "Внедрение электронного согласования внутренних документов",
                    "AKIMAT-KRG",
                    &[],
                ),
            ],
        },
    )?;
    service::post(app, &krg, own)?;
    writeln!(out, "Action plans: /plans (Government plan {gov}, akimat plan {own})")?;
    Ok(())
}
