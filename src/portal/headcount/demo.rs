//! Demo headcount: the two quarters before today. The earlier one accepted for every
//! agency (so the consolidated report shows a change and a trend); the later one with
//! returns in every state — accepted, accepted and being corrected, submitted (one late),
//! returned with comments on its fields, a draft, and an agency that has not started.
//! Every step goes through the headcount service as the person who would take it.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use super::model::FieldComment;
use super::service::{self, Decision, NewCampaign, NewReturn, SaveReturn};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::roles::Role;
use crate::error::Result;
use crate::ops::demo::as_user;
use crate::portal::directory::model::NewUser;
use crate::portal::directory::service as directory;

/// HR officers beside the portal's demo accounts (`hr.officer` of the Karaganda akimat).
const PEOPLE: &[(&str, &str, &str, &str)] = &[
    ("hr.mcriap", "MCRIAP", "Жумабаева Гульнара Маратовна", "Жұмабаева Гүлнар Маратқызы"),
    ("hr.minfin", "MINFIN", "Сергеев Павел Игоревич", "Сергеев Павел Игорьұлы"),
    ("hr.mne", "MNE", "Искакова Алия Ерболовна", "Искакова Әлия Ерболқызы"),
    ("hr.kpm", "KPM", "Нуртазин Бауыржан Кайратович", "Нұртазин Бауыржан Қайратұлы"),
    ("hr.adgs", "ADGS", "Ким Елена Владимировна", "Ким Елена Владимирқызы"),
];

/// (agency, approved positions, vacant) of the earlier quarter; the later one moves a little.
const STAFF: &[(&str, u64, u64)] = &[
    ("MCRIAP", 420, 38),
    ("MINFIN", 1250, 96),
    ("MNE", 610, 54),
    ("KPM", 380, 21),
    ("ADGS", 190, 12),
    ("AKIMAT-KRG", 240, 19),
];

/// Consistent figures of an agency with `approved` positions, `vacant` of them empty.
fn figures(approved: u64, vacant: u64) -> BTreeMap<String, Value> {
    let filled = approved - vacant;
    let political = (filled / 150).max(1);
    let corps_a = (filled / 60).max(1);
    let non_civil = filled / 8;
    let corps_b = filled - political - corps_a - non_civil;
    let (b_a, b_b, b_c) = (corps_b / 12, corps_b / 3, corps_b / 4);
    let v = json!({
        "approved": approved, "filled": filled, "vacant": vacant, "political": political,
        "corps_a": corps_a, "corps_b": corps_b, "corps_b_a": b_a, "corps_b_b": b_b,
        "corps_b_c": b_c, "corps_b_d": corps_b - b_a - b_b - b_c, "non_civil": non_civil,
        "women": filled * 11 / 20, "under_35": filled * 3 / 10, "hired": filled / 25,
        "left": filled / 30
    });
    serde_json::from_value(v).unwrap_or_default()
}

fn quarter_key(year: i16, q: i8) -> String {
    format!("{year}-Q{q}")
}

pub fn seed(app: &App, operator: &Actor, out: &mut dyn Write) -> Result<()> {
    for (login, agency, ru, kk) in PEOPLE {
        let created = directory::create_user(
            app,
            operator,
            NewUser {
                login: (*login).into(),
                agency: (*agency).into(),
                name_ru: (*ru).into(),
                name_kk: (*kk).into(),
                email: format!("{login}@demo.ipgo.local"),
                roles: vec![Role::HrOfficer, Role::Employee],
                lang: Some(if *login == "hr.kpm" { "kk" } else { "ru" }.into()),
                ..Default::default()
            },
        )?;
        writeln!(
            out,
            "  {:<18} {:<24} {:<12} {}",
            login,
            Role::HrOfficer.name(),
            agency,
            created.one_time_password.unwrap_or_default()
        )?;
    }
    let verifier = as_user(app, operator, "cs.verifier")?;
    let hr = |agency: &str| -> Result<Actor> {
        let login = match agency {
            "AKIMAT-KRG" => "hr.officer".to_owned(),
            other => format!("hr.{}", other.to_ascii_lowercase()),
        };
        as_user(app, operator, &login)
    };
    // The two quarters before today's.
    let today = crate::calendar::today();
    let q = (today.month() - 1) / 3 + 1;
    let (y1, q1) = if q == 1 { (today.year() - 1, 4) } else { (today.year(), q - 1) };
    let (y0, q0) = if q1 == 1 { (y1 - 1, 4) } else { (y1, q1 - 1) };
    let open = |key: String| {
        service::open_campaign(app, &verifier, NewCampaign { period: key, ..Default::default() })
    };
    let earlier = open(quarter_key(y0, q0))?;
    let later = open(quarter_key(y1, q1))?;
    let lang = "ru";
    let fill = |agency: &str, campaign: u64, approved: u64, vacant: u64| -> Result<(Actor, u64)> {
        let who = hr(agency)?;
        let input = NewReturn { campaign, values: figures(approved, vacant), ..Default::default() };
        let id = service::create_return(app, &who, input, lang)?;
        Ok((who, id))
    };
    for (agency, approved, vacant) in STAFF {
        let (who, id) = fill(agency, earlier.id, *approved, *vacant)?;
        service::submit(app, &who, id, None, lang)?;
        service::review(app, &verifier, id, Decision::Accept, lang)?;
    }
    let later_figures = |agency: &str| {
        let (_, approved, vacant) =
            STAFF.iter().find(|s| s.0 == agency).copied().unwrap_or_default();
        (approved + 10, vacant.saturating_sub(4))
    };
    // Accepted.
    for agency in ["MNE", "MINFIN"] {
        let (a, v) = later_figures(agency);
        let (who, id) = fill(agency, later.id, a, v)?;
        service::submit(app, &who, id, None, lang)?;
        service::review(app, &verifier, id, Decision::Accept, lang)?;
        if agency == "MINFIN" {
            // A correction in progress: two appointments dated before the period's end.
            let fix = NewReturn {
                campaign: later.id,
                corrects: Some(id),
                reason:
                    "Два назначения приказом от последнего рабочего дня квартала не были учтены"
                        .into(),
                values: figures(a, v - 2),
                ..Default::default()
            };
            service::create_return(app, &who, fix, lang)?;
        }
    }
    // Submitted, waiting for the verifier.
    let (a, v) = later_figures("MCRIAP");
    let (who, id) = fill("MCRIAP", later.id, a, v)?;
    service::submit(app, &who, id, None, lang)?;
    // Returned with comments on two figures.
    let (a, v) = later_figures("AKIMAT-KRG");
    let (who, id) = fill("AKIMAT-KRG", later.id, a, v)?;
    service::submit(app, &who, id, None, lang)?;
    let comments = vec![
        FieldComment {
            field: "vacant".into(),
            text: "Не совпадает со штатным расписанием, утверждённым на конец квартала".into(),
        },
        FieldComment {
            field: "under_35".into(),
            text: "Уточните: учтены ли работники, достигшие 35 лет в отчётном квартале".into(),
        },
    ];
    service::review(app, &verifier, id, Decision::Return { comments }, lang)?;
    // A draft, partly filled.
    let (a, _) = later_figures("KPM");
    let who = hr("KPM")?;
    let mut partial = BTreeMap::new();
    partial.insert("approved".to_owned(), json!(a));
    let id = service::create_return(
        app,
        &who,
        NewReturn { campaign: later.id, ..Default::default() },
        lang,
    )?;
    service::save(app, &who, id, SaveReturn { values: partial, revision: None }, lang)?;
    // ADGS has not started.
    Ok(())
}
