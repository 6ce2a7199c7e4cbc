//! Demo training requests: one with a session scheduled next week and its trainees
//! invited, one waiting for the support service, one declined with a reason. Every step
//! goes through the service as the person who would take it. (A completed request needs
//! a session that has taken place: the demo's clock does not move, so none is seeded.)

use super::service::{self, Decline, NewSession, NewTraining};
use crate::actor::Actor;
use crate::app::App;
use crate::error::{Error, Result};
use crate::ops::demo::as_user;

fn ask(topic: &str, trainees: &[&str], preferred: &str) -> NewTraining {
    NewTraining {
        topic: topic.into(),
        trainees: trainees.iter().map(|t| (*t).to_owned()).collect(),
        preferred: preferred.into(),
        note: String::new(),
    }
}

pub fn seed(app: &App, operator: &Actor) -> Result<()> {
    let hr = as_user(app, operator, "hr.officer")?;
    let support = as_user(app, operator, "support")?;
    let signing = service::request(
        app,
        &hr,
        &ask(
            "Подписание документов ЭЦП на портале: ключи НУЦ РК, проверка подписи",
            &["plan.responsible", "controller"],
            "На следующей неделе, до обеда",
        ),
    )?;
    let next_week =
        crate::calendar::today().checked_add(jiff::ToSpan::days(7)).map_err(Error::internal)?;
    service::schedule(
        app,
        &support,
        signing.id,
        &NewSession {
            starts: format!("{next_week}T10:00"),
            minutes: Some(90),
            place: "Акимат, каб. 214 (компьютерный класс)".into(),
            link: String::new(),
            capacity: 12,
            invite: Vec::new(),
        },
    )?;
    service::request(
        app,
        &hr,
        &ask(
            "Іс-шаралар жоспарларының мониторингі: есептерді енгізу және бекіту",
            &["plan.responsible"],
            "Қаңтардың екінші жартысы",
        ),
    )?;
    let surveys = service::request(
        app,
        &hr,
        &ask("Проведение опросов через портал", &["controller"], "Любое время"),
    )?;
    service::decline(
        app,
        &support,
        surveys.id,
        &Decline {
            reason: "Тема войдёт в общий вебинар для всех госорганов 25 января; ссылка придёт \
                     в уведомлении."
                .into(),
        },
    )?;
    Ok(())
}
