//! `ipgo demo`: discussions a visitor should see (I385 §52–§54) — one open with a named
//! vote, comments in a thread and some ballots cast; one open with a secret vote on options
//! of its own; one closed early by its initiator with its result; one upcoming, which the
//! server opens by itself in two days. Every step goes through
//! the services as the person whose step it is, so notices, polls and the access log are
//! the real ones.

use super::service::{self, NewComment, Settings};
use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;
use crate::ops::demo::acting_as;
use crate::portal::documents::service::Meta;
use crate::portal::polls::service as polls;

const INITIATOR: &str = "dev.employee";
const MEMBERS: &[&str] = &["dev.head", "fin.head", "econ.head", "plan.responsible"];

struct Demo {
    title_ru: &'static str,
    title_kk: &'static str,
    text: &'static str,
    secret: bool,
    options: &'static [&'static str],
    /// Starts in this many days (0: now, an upcoming discussion otherwise).
    starts: i64,
    days: i64,
    /// (member, paragraph answered, words) in order; a comment with `reply` answers the
    /// previous one.
    comments: &'static [(&'static str, Option<usize>, bool, &'static str)],
    ballots: &'static [(&'static str, &'static str)],
    close_reason: Option<&'static str>,
}

const DEMOS: &[Demo] = &[
    Demo {
        title_ru: "Проект Концепции развития интранет-порталов государственных органов на 2027–2029 годы",
        title_kk: "Мемлекеттік органдардың интранет-порталдарын дамытудың 2027–2029 жылдарға арналған тұжырымдамасының жобасы",
        text: "1. Общие положения. Концепция определяет цели, задачи и основные направления развития интранет-порталов государственных органов.\n\n\
               2. Цель Концепции — единая защищённая среда служебного взаимодействия государственных служащих.\n\n\
               3. Ожидаемые результаты: перевод 90 процентов внутреннего документооборота в электронный вид к 2029 году.",
        secret: false,
        options: &[],
        starts: 0,
        days: 5,
        comments: &[
            (
                "fin.head",
                Some(3),
                false,
                "Предлагаю уточнить показатель: 90 процентов от какого объёма — входящих или всех документов?",
            ),
            (
                "dev.head",
                None,
                true,
                "Имеются в виду все внутренние документы. Уточним формулировку в пункте 3.",
            ),
            (
                "econ.head",
                Some(2),
                false,
                "Просим добавить в цель требование о работе в закрытых сетях без доступа к интернету.",
            ),
        ],
        ballots: &[("fin.head", "for"), ("econ.head", "against")],
        close_reason: None,
    },
    Demo {
        title_ru: "Выбор даты обучающего семинара по электронной цифровой подписи",
        title_kk: "Электрондық цифрлық қолтаңба бойынша оқыту семинарының күнін таңдау",
        text: "Предлагается провести обучающий семинар для сотрудников, подписывающих документы ЭЦП.\n\n\
               Продолжительность семинара — четыре часа, место проведения — конференц-зал министерства.",
        secret: true,
        options: &["15 января 2027 года", "22 января 2027 года", "29 января 2027 года"],
        starts: 0,
        days: 3,
        comments: &[(
            "plan.responsible",
            None,
            false,
            "Для отдела планирования удобнее конец месяца.",
        )],
        ballots: &[("plan.responsible", "3"), ("dev.head", "2")],
        close_reason: None,
    },
    Demo {
        title_ru: "О графике дежурств ответственных сотрудников в праздничные дни",
        title_kk: "Мереке күндері жауапты қызметкерлердің кезекшілік кестесі туралы",
        text: "Утвердить график дежурств ответственных сотрудников в праздничные дни декабря и января.\n\n\
               Дежурным обеспечить круглосуточную связь с оперативным штабом.",
        secret: false,
        options: &[],
        starts: 0,
        days: 2,
        comments: &[("econ.head", None, false, "Согласовано, замечаний нет.")],
        ballots: &[("dev.head", "for"), ("fin.head", "for"), ("econ.head", "for")],
        close_reason: Some("Все члены рабочей группы высказались, решение принято досрочно."),
    },
    Demo {
        title_ru: "Об изменении порядка согласования служебных командировок",
        title_kk: "Қызметтік іссапарларды келісу тәртібін өзгерту туралы",
        text: "Предлагается согласовывать служебные командировки в электронном виде через портал.\n\n\
               Заявка на командировку подаётся не позднее чем за пять рабочих дней до её начала.",
        secret: false,
        options: &[],
        starts: 2,
        days: 7,
        comments: &[],
        ballots: &[],
        close_reason: None,
    },
];

pub fn seed(app: &App, operator: &Actor) -> Result<()> {
    let actor = |login: &str| acting_as(app, operator, login, "demo discussion");
    for demo in DEMOS {
        let initiator = actor(INITIATOR)?;
        let ticket = service::prepare(app, &initiator)?;
        let meta = Meta {
            title: demo.title_ru.into(),
            title_ru: demo.title_ru.into(),
            title_kk: demo.title_kk.into(),
            text: demo.text.into(),
            ..Default::default()
        };
        let now = crate::clock::now();
        let starts = now + jiff::SignedDuration::from_hours(24 * demo.starts);
        let ends = now + jiff::SignedDuration::from_hours(24 * demo.days);
        let settings = Settings {
            members: MEMBERS.iter().map(|m| (*m).into()).collect(),
            starts_at: if demo.starts > 0 {
                crate::clock::utc_string(starts)
            } else {
                String::new()
            },
            ends_at: crate::clock::utc_string(ends),
            secret: demo.secret,
            options: demo.options.iter().map(|o| (*o).into()).collect(),
            ..Default::default()
        };
        let id =
            service::create_with_document(app, &initiator, ticket, meta, Vec::new(), settings)?;
        let mut last = None;
        for (login, paragraph, reply, words) in demo.comments {
            let input = NewComment {
                text: (*words).into(),
                reply_to: if *reply { last } else { None },
                paragraph: *paragraph,
            };
            last = Some(service::comment(app, &actor(login)?, id, input)?);
        }
        let poll = super::view::poll_of(app, &initiator, id)?;
        for (login, choice) in demo.ballots {
            polls::cast(app, &actor(login)?, poll, choice, None, "poll.ballot")?;
        }
        if let Some(reason) = demo.close_reason {
            service::close_early(app, &initiator, id, reason)?;
        }
    }
    Ok(())
}
