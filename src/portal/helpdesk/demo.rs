//! Demo requests to the support service: routing rules and a team, and requests in every
//! status — one nobody's rule took, one due soon, one overdue in support hours, one
//! waiting for its applicant, resolved and closed ones, one taken by phone. Every step goes
//! through the service as the person who would take it; then each request's history is
//! moved back in time so its clocks read as they would after that time.

use jiff::{SignedDuration, Timestamp};

use super::admin::{self, NewRule, TeamInput};
use super::model::Ticket;
use super::service::{self, Assignment, NewMessage, NewTicket};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::error::{Error, Result};
use crate::ops::demo::as_user;

fn ticket(category: &str, urgency: &str, subject: &str, text: &str) -> NewTicket {
    NewTicket {
        category: category.into(),
        urgency: urgency.into(),
        subject: subject.into(),
        text: text.into(),
        ..NewTicket::default()
    }
}

fn status(app: &App, who: &Actor, t: &Ticket, to: &str, note: &str) -> Result<()> {
    service::change_status(app, who, t.id, to, note).map(|_| ())
}

fn reply(app: &App, who: &Actor, t: &Ticket, text: &str) -> Result<()> {
    let m = NewMessage { text: text.into(), internal: false };
    service::reply(app, who, t.id, &m, None, Vec::new()).map(|_| ())
}

/// Moves every moment of a request back by `by`, as if it had all happened that long ago.
fn backdate(app: &App, id: u64, by: SignedDuration) -> Result<()> {
    let shift = |s: &mut String| {
        if let Some(t) = crate::clock::parse(s).and_then(|t| t.checked_sub(by).ok()) {
            *s = crate::clock::utc_string(t);
        }
    };
    app.db.write(|txn| {
        let mut t = store::ticket_in(txn, id)?.ok_or_else(Error::not_found)?;
        shift(&mut t.created);
        shift(&mut t.updated);
        t.history.iter_mut().for_each(|c| shift(&mut c.at));
        t.messages.iter_mut().for_each(|m| shift(&mut m.at));
        store::put_ticket(txn, &t)
    })
}

/// How far back a moment must lie for `minutes` of support hours to have passed since.
fn support_minutes_ago(app: &App, minutes: i64) -> SignedDuration {
    let calendar = app.calendar.get();
    let schedule = app.config.helpdesk.schedule();
    let now = crate::clock::now();
    let want = SignedDuration::from_mins(minutes);
    let step = SignedDuration::from_mins(10);
    let mut back = step;
    while back < SignedDuration::from_hours(24 * 60) {
        let from = now.checked_sub(back).unwrap_or(Timestamp::UNIX_EPOCH);
        if calendar.working_time(&schedule, from, now) >= want {
            return back;
        }
        back += step;
    }
    back
}

pub fn seed(app: &App, operator: &Actor) -> Result<()> {
    let support = as_user(app, operator, "support")?;
    let team = admin::save_team(
        app,
        &support,
        None,
        &TeamInput {
            name_kk: "Портал және МО КО әкімшілері".into(),
            name_ru: "Администраторы портала и УЦ ГО".into(),
            name_en: "Portal and CA administrators".into(),
            members: vec!["admin, support".into()],
        },
    )?;
    let rules = [
        ("signatures", "", "", Some(team.id)),
        ("documents", "", "admin", None),
        ("availability", "", "admin", None),
        ("workflows", "", "admin", None),
        ("sign_in", "", "support", None),
    ];
    for (category, agency, assignee, team) in rules {
        let rule = NewRule {
            category: category.into(),
            agency: agency.into(),
            assignee: assignee.into(),
            team,
        };
        admin::add_rule(app, &support, &rule)?;
    }
    let sysadmin = as_user(app, operator, "admin")?;
    let day = SignedDuration::from_hours(24);

    // Resolved and closed a month ago: a password reset taken by phone.
    let controller = as_user(app, operator, "controller")?;
    let mut by_phone = ticket(
        "sign_in",
        "high",
        "Не могу войти: учётная запись заблокирована",
        "Звонок 12:40. После отпуска трижды ввёл старый пароль, учётная запись заблокирована. \
         Просит сбросить пароль; личность подтверждена по служебному телефону.",
    );
    by_phone.applicant = "controller".into();
    by_phone.channel = "phone".into();
    let t = service::file(app, &support, &by_phone, None, Vec::new())?;
    status(app, &support, &t, "in_progress", "")?;
    status(app, &support, &t, "resolved", "Выдан одноразовый пароль, блокировка снята.")?;
    status(app, &controller, &t, "closed", "")?;
    backdate(app, t.id, day * 30)?;

    // Resolved in time three weeks ago.
    let fin = as_user(app, operator, "fin.head")?;
    let t = service::file(
        app,
        &fin,
        &ticket(
            "availability",
            "critical",
            "Раздел «Документы» открывается больше минуты",
            "С утра список документов министерства открывается 60–90 секунд, \
             поиск не отвечает. Работа юридического департамента остановлена.",
        ),
        None,
        Vec::new(),
    )?;
    status(app, &sysadmin, &t, "in_progress", "")?;
    reply(app, &sysadmin, &t, "Перестраиваем поисковый индекс после обновления, около 20 минут.")?;
    status(app, &sysadmin, &t, "resolved", "Индекс перестроен, список открывается за секунду.")?;
    backdate(app, t.id, day * 21)?;

    // Overdue in support hours: a signature problem with the team for ten days.
    let dev = as_user(app, operator, "dev.employee")?;
    let t = service::file(
        app,
        &dev,
        &ticket(
            "signatures",
            "high",
            "NCALayer кілтті көрмейді",
            "Бұйрық жобасына қол қойғанда NCALayer «кілт табылмады» деп жазады. \
             Kaztoken құрылғысы қосылған, басқа компьютерде жұмыс істейді.",
        ),
        None,
        Vec::new(),
    )?;
    status(app, &sysadmin, &t, "in_progress", "")?;
    backdate(app, t.id, day * 10)?;

    // Waiting for the applicant (the clock is stopped).
    let dev_head = as_user(app, operator, "dev.head")?;
    let t = service::file(
        app,
        &dev_head,
        &ticket(
            "documents",
            "normal",
            "Қосымшаның файлы ашылмайды",
            "«Цифрлық үкімет туралы» заң жобасына қоса берілген DOCX файлы ашылмайды: \
             «файл зақымдалған» деген хабар шығады.",
        ),
        None,
        Vec::new(),
    )?;
    status(app, &sysadmin, &t, "in_progress", "")?;
    status(
        app,
        &sysadmin,
        &t,
        "waiting",
        "Файлды қай браузерде ашып көрдіңіз? Скриншот жіберіңізші.",
    )?;
    backdate(app, t.id, day * 2)?;

    // Due soon: assigned, most of the first-response target gone.
    let planner = as_user(app, operator, "plan.responsible")?;
    let t = service::file(
        app,
        &planner,
        &ticket(
            "workflows",
            "low",
            "Как добавить соисполнителя в пункт плана?",
            "В пункте 2.3 плана акимата нужно добавить соисполнителем отдел образования. \
             Где это сделать после публикации плана?",
        ),
        None,
        Vec::new(),
    )?;
    let first = i64::from(app.config.helpdesk.first_response_minutes.low);
    backdate(app, t.id, support_minutes_ago(app, first * 4 / 5))?;

    // Routed to nobody: new, flagged for the support administrators.
    let econ = as_user(app, operator, "econ.head")?;
    let t = service::file(
        app,
        &econ,
        &ticket(
            "mail",
            "normal",
            "Не приходят уведомления на почту",
            "Со вчерашнего дня уведомления о проектах на согласование приходят только в \
             портал, на служебную почту — нет. Адрес в профиле указан верно.",
        ),
        None,
        Vec::new(),
    )?;
    backdate(app, t.id, support_minutes_ago(app, 90))?;

    // Taken by the support service itself and answered.
    let hr = as_user(app, operator, "hr.officer")?;
    let t = service::file(
        app,
        &hr,
        &ticket(
            "other",
            "normal",
            "Порядок подачи заявок на учётные записи",
            "Подскажите, как оформить заявку на учётную запись для двух новых сотрудников отдела кадров.",
        ),
        None,
        Vec::new(),
    )?;
    service::assign(
        app,
        &support,
        t.id,
        &Assignment { assignee: "support".into(), ..Default::default() },
    )?;
    status(app, &support, &t, "in_progress", "")?;
    reply(
        app,
        &support,
        &t,
        "Заявка оформляется в разделе «Поддержка» → «Учётные записи»: ФИО на казахском и русском, \
         должность, подразделение, почта и запрашиваемые роли.",
    )?;
    backdate(app, t.id, SignedDuration::from_hours(3))?;
    Ok(())
}
