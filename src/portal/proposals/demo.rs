//! Demo proposals: a few in every state of review, with supporters, so the most wanted
//! stand out. Every step goes through the service as the person who would take it.

use super::service::{self, NewProposal, Review};
use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;
use crate::ops::demo::as_user;

struct Demo {
    author: &'static str,
    title: &'static str,
    text: &'static str,
    justification: &'static str,
    supporters: &'static [&'static str],
    /// Review steps: status, version, note.
    steps: &'static [(&'static str, &'static str, &'static str)],
}

const PROPOSALS: &[Demo] = &[
    Demo {
        author: "dev.employee",
        title: "Поиск документа по регистрационному номеру приказа",
        text: "Добавить в поиск отдельное поле «регистрационный номер» с точным совпадением \
               (например, № 123-НҚ от 14.03.2026).",
        justification: "Канцелярия ищет приказы по номеру десятки раз в день; полнотекстовый \
                        поиск выдаёт все документы, где встречается это число.",
        supporters: &["fin.head", "econ.head", "controller", "hr.officer"],
        steps: &[
            ("evaluating", "", ""),
            ("accepted", "1.3", "Запланировано в версии 1.3 вместе с новым реестром приказов."),
        ],
    },
    Demo {
        author: "plan.responsible",
        title: "Жоспар тармағы бойынша есепті Excel-ден жүктеу",
        text: "Есепті порталға қолмен енгізудің орнына дайын Excel кестесінен жүктеу мүмкіндігі.",
        justification: "Аудандық бөлімдер есептерді Excel-де дайындайды; қайта теру қателерге \
                        әкеледі және күніне бір сағатқа дейін уақыт алады.",
        supporters: &["plan.kpm", "plan.mne", "plan.fin"],
        steps: &[("evaluating", "", "")],
    },
    Demo {
        author: "hr.officer",
        title: "Напоминание о смене пароля за неделю",
        text: "Присылать письмо за 7 дней до истечения срока действия пароля.",
        justification: "Сотрудники узнают об истечении пароля только при входе и звонят в \
                        службу поддержки.",
        supporters: &["controller"],
        steps: &[
            ("accepted", "1.2", ""),
            ("implemented", "1.2", "Сделано: письмо приходит за 7 и за 1 день."),
        ],
    },
    Demo {
        author: "fin.expert",
        title: "Тёмная тема оформления",
        text: "Добавить тёмную тему интерфейса.",
        justification: "Удобнее работать вечером.",
        supporters: &[],
        steps: &[(
            "rejected",
            "",
            "Портал следует системной настройке контраста браузера; отдельная тема усложнит \
             проверку доступности (WCAG 2.1 AA) без пользы для служебной работы.",
        )],
    },
    Demo {
        author: "mne.expert",
        title: "Лист согласования в PDF одним файлом",
        text: "Выгружать лист согласования проекта НПА с отметками всех органов одним PDF.",
        justification: "Для внесения в Правительство лист согласования сейчас собирают вручную.",
        supporters: &["econ.head", "okdo.officer"],
        steps: &[],
    },
];

pub fn seed(app: &App, operator: &Actor) -> Result<()> {
    let support = as_user(app, operator, "support")?;
    for d in PROPOSALS {
        let author = as_user(app, operator, d.author)?;
        let input = NewProposal {
            title: d.title.into(),
            text: d.text.into(),
            justification: d.justification.into(),
        };
        let p = service::propose(app, &author, &input)?;
        for login in d.supporters {
            service::support(app, &as_user(app, operator, login)?, p.id)?;
        }
        for (status, version, note) in d.steps {
            let step = Review {
                status: (*status).into(),
                version: (*version).into(),
                note: (*note).into(),
            };
            service::review(app, &support, p.id, &step)?;
        }
    }
    Ok(())
}
