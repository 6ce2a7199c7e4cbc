//! Demo account requests: newcomers pending, approved and refused, a leaver waiting for
//! their date. Every step goes through the service as the person who would take it.

use super::service::{self, NewRequest, Refusal};
use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;
use crate::ops::demo::as_user;

fn newcomer(
    login: &str,
    kk: &str,
    ru: &str,
    pos_kk: &str,
    pos_ru: &str,
    roles: &[&str],
) -> NewRequest {
    NewRequest {
        kind: "newcomer".into(),
        login: login.into(),
        name_kk: kk.into(),
        name_ru: ru.into(),
        position_kk: pos_kk.into(),
        position_ru: pos_ru.into(),
        email: format!("{login}@demo.gov.kz"),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        ..NewRequest::default()
    }
}

pub fn seed(app: &App, operator: &Actor) -> Result<()> {
    let hr = as_user(app, operator, "hr.officer")?;
    let admin = as_user(app, operator, "admin")?;
    let approved = service::file(
        app,
        &hr,
        &newcomer(
            "a.serikova",
            "Айгерім Серікқызы Серікова",
            "Серикова Айгерим Сериковна",
            "Бас маман",
            "Главный специалист",
            &["employee"],
        ),
    )?;
    service::approve(app, &admin, approved.id)?;
    let refused = service::file(
        app,
        &hr,
        &newcomer(
            "t.omarov",
            "Тимур Болатұлы Омаров",
            "Омаров Тимур Болатович",
            "Жетекші маман",
            "Ведущий специалист",
            &["employee", "controller"],
        ),
    )?;
    let reason = "Роль контролёра назначается приказом руководителя; приложите приказ и подайте \
                  заявку повторно.";
    service::refuse(app, &admin, refused.id, &Refusal { reason: reason.into() })?;
    service::file(
        app,
        &hr,
        &NewRequest {
            note: "Выходит на работу с понедельника, приказ № 45-к.".into(),
            ..newcomer(
                "d.zhaksylykova",
                "Дана Маратқызы Жақсылықова",
                "Жаксылыкова Дана Маратовна",
                "Сарапшы",
                "Эксперт",
                &["employee", "plan_responsible"],
            )
        },
    )?;
    let leaving_on = crate::calendar::today()
        .checked_add(jiff::ToSpan::days(14))
        .map_err(crate::error::Error::internal)?;
    service::file(
        app,
        &hr,
        &NewRequest {
            kind: "leaver".into(),
            login: "a.serikova".into(),
            disable_on: leaving_on.to_string(),
            note: "Переводится в другой госорган, приказ № 51-к.".into(),
            ..NewRequest::default()
        },
    )?;
    Ok(())
}
