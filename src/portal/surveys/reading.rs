//! What the author reads of a survey (I385 §7.8): the results with their breakdowns
//! (`results.rs`, k respected), the response rate per agency from the register of who has
//! answered, and the export of every response as a table for CSV and XLSX — an anonymous
//! survey's export without any person data, not even the agency (a column that would let
//! small groups be picked out of the rows).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::model::{Anonymity, Kind, Survey, Text};
use super::results::{self, By, Results};
use super::service::{Seen, get, object};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, SurveyAction, duties, require};
use crate::error::Result;
use crate::portal::directory::model::UserStatus;
use crate::portal::directory::service as directory;
use crate::report::{Cell, Column, Kind as ColumnKind, Table};

/// Responses and audience per agency (counts only, from the register of who has answered).
#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub agency: u64,
    pub name: String,
    pub audience: u64,
    pub answered: u64,
}

/// The results page's and `GET /api/v1/surveys/{id}/results`'s content.
#[derive(Debug, Clone, Serialize)]
pub struct ResultsView {
    #[serde(skip)]
    pub seen: Seen,
    pub survey: u64,
    pub state: &'static str,
    #[serde(flatten)]
    pub results: Results,
    /// Group key (`agency:3`, `department:5`) → its name in the reader's language.
    pub labels: BTreeMap<String, String>,
    pub rates: Vec<Rate>,
}

fn require_results(app: &App, actor: &Actor, id: u64) -> Result<Seen> {
    // Named before loading: a request for a missing survey's results is logged as such.
    actor.origin.set_operation(SurveyAction::Results.name());
    let seen = get(app, actor, id)?;
    require(actor, Action::Survey(SurveyAction::Results), object(&seen.survey))?;
    Ok(seen)
}

/// The accounts a survey asks: active, in its audience, not a stand-alone duty account
/// (the rule of the policy's `SurveyAudience`, read for every account of the directory).
pub fn audience(app: &App, s: &Survey) -> Result<Vec<u64>> {
    let users = directory::every_user_by_id(app)?;
    let mut groups: HashMap<u64, Vec<u64>> = HashMap::new();
    for g in &s.audience.groups {
        for member in directory::group_members(app, *g)? {
            groups.entry(member).or_default().push(*g);
        }
    }
    let mut out = Vec::new();
    for u in users.values() {
        let roles = u.roles.iter().copied().collect();
        let in_audience = u.status == UserStatus::Active
            && !duties::holds_standalone(roles)
            && s.audience.policy().includes_parts(
                u.agency_id,
                u.department_id,
                groups.get(&u.id).map(Vec::as_slice).unwrap_or(&[]),
                |r| u.roles.contains(&r),
            );
        if in_audience {
            out.push(u.id);
        }
    }
    Ok(out)
}

/// The audience's size and the respondents per agency.
fn rates(app: &App, s: &Survey, lang: &str) -> Result<Vec<Rate>> {
    let respondents = {
        let txn = app.db.read()?;
        store::respondents(&txn, s.id)?
    };
    let users = directory::every_user_by_id(app)?;
    let mut by_agency: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for id in audience(app, s)? {
        if let Some(u) = users.get(&id) {
            by_agency.entry(u.agency_id).or_default().0 += 1;
        }
    }
    for id in respondents {
        if let Some(u) = users.get(&id) {
            by_agency.entry(u.agency_id).or_default().1 += 1;
        }
    }
    let agencies = directory::agencies_by_id(app)?;
    Ok(by_agency
        .into_iter()
        .map(|(agency, (audience, answered))| Rate {
            agency,
            name: agencies.get(&agency).map(|a| a.names().get(lang).to_owned()).unwrap_or_default(),
            audience,
            answered,
        })
        .collect())
}

/// The results, broken down `by` agency or department (`by` from the query; unknown: none).
pub fn results(app: &App, actor: &Actor, id: u64, by: &str, lang: &str) -> Result<ResultsView> {
    let seen = require_results(app, actor, id)?;
    let responses = {
        let txn = app.db.read()?;
        store::responses(&txn, id)?
    };
    let results = results::compute(&seen.survey, &responses, By::parse(by));
    let mut labels = BTreeMap::new();
    let agencies = directory::agencies_by_id(app)?;
    let departments = if By::parse(by) == Some(By::Department) {
        let all = directory::departments(app, actor, None)?;
        actor.origin.set_operation(SurveyAction::Results.name());
        all
    } else {
        Vec::new()
    };
    for g in &results.groups {
        let name = match (g.key.split(':').next(), g.id) {
            (Some("agency"), Some(a)) => agencies.get(&a).map(|a| a.names().get(lang).to_owned()),
            (Some("department"), Some(d)) => {
                departments.iter().find(|x| x.id == d).map(|d| d.names().get(lang).to_owned())
            }
            _ => None,
        };
        if let Some(name) = name {
            labels.insert(g.key.clone(), name);
        }
    }
    let rates = rates(app, &seen.survey, lang)?;
    Ok(ResultsView { survey: id, state: seen.state.name(), results, labels, rates, seen })
}

fn option_text(list: &[Text], v: &str, lang: &str) -> String {
    v.parse::<usize>()
        .ok()
        .and_then(|p| list.get(p.checked_sub(1)?))
        .map(|t| t.get(lang).to_owned())
        .unwrap_or_else(|| v.to_owned())
}

/// Every response as a table: a column per question (a matrix: per row); in a named survey
/// the person, their agency and the day first. Rows in the store's order (random keys),
/// named surveys by person.
pub fn export(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<Table> {
    let seen = require_results(app, actor, id)?;
    let s = &seen.survey;
    let mut responses = {
        let txn = app.db.read()?;
        store::responses(&txn, id)?
    };
    let named = s.anonymity == Anonymity::Named;
    // Rows of an anonymous survey with fewer than k responses would be people's answers.
    if !named && (responses.len() as u64) < u64::from(s.k) {
        return Err(crate::error::Error::new(crate::error::Code::Conflict)
            .with_detail_key("survey-too-few-responses"));
    }
    let t = |key: &str| app.i18n.text(lang, key);
    let mut columns = Vec::new();
    if named {
        columns.push(Column::new("person", t("survey-export-person"), ColumnKind::Text));
        columns.push(Column::new("agency", t("survey-export-agency"), ColumnKind::Text));
        columns.push(Column::new("day", t("survey-export-day"), ColumnKind::Date));
    }
    for q in s.questions() {
        let label = format!("{}. {}", q.key, q.text.get(lang));
        match &q.kind {
            Kind::Matrix { rows, .. } => {
                for (i, row) in rows.iter().enumerate() {
                    let key = format!("{}.{}", q.key, i + 1);
                    let label = format!("{label}: {}", row.get(lang));
                    columns.push(Column::new(&key, label, ColumnKind::Integer));
                }
            }
            Kind::Scale { .. } => columns.push(Column::new(&q.key, label, ColumnKind::Integer)),
            Kind::Number { .. } => columns.push(Column::new(&q.key, label, ColumnKind::Decimal(2))),
            Kind::Date => columns.push(Column::new(&q.key, label, ColumnKind::Date)),
            _ => columns.push(Column::new(&q.key, label, ColumnKind::Text)),
        }
    }
    let people = if named {
        let ids: Vec<u64> = responses.iter().filter_map(|r| r.person).collect();
        directory::users_by_id(app, &ids)?.into_iter().map(|u| (u.id, u)).collect()
    } else {
        HashMap::new()
    };
    let agencies = directory::agencies_by_id(app)?;
    let name_of = |r: &store::Response| {
        r.person.and_then(|p| people.get(&p)).map(|u| u.display_name(lang).to_owned())
    };
    if named {
        responses.sort_by_key(|r| name_of(r).unwrap_or_default());
    }
    let mut table = Table::new(s.title.get(lang), columns);
    for r in &responses {
        let mut row = Vec::new();
        if named {
            row.push(name_of(r).map(Cell::Text).unwrap_or(Cell::Empty));
            row.push(
                agencies
                    .get(&r.agency)
                    .map(|a| Cell::text(a.names().get(lang)))
                    .unwrap_or(Cell::Empty),
            );
            row.push(
                r.day
                    .as_deref()
                    .and_then(|d| d.parse().ok())
                    .map(Cell::Date)
                    .unwrap_or(Cell::Empty),
            );
        }
        for q in s.questions() {
            let given = r.answers.get(&q.key);
            let first = given.and_then(|g| g.first()).map(String::as_str);
            match &q.kind {
                Kind::Single { options } => row.push(
                    first.map(|v| Cell::text(option_text(options, v, lang))).unwrap_or(Cell::Empty),
                ),
                Kind::Multiple { options, .. } => row.push(match given {
                    Some(g) => Cell::text(
                        g.iter()
                            .map(|v| option_text(options, v, lang))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    None => Cell::Empty,
                }),
                Kind::Matrix { rows, .. } => {
                    for i in 0..rows.len() {
                        let v = given.and_then(|g| g.get(i)).and_then(|v| v.parse::<i64>().ok());
                        row.push(v.map(Cell::Int).unwrap_or(Cell::Empty));
                    }
                }
                Kind::Scale { .. } => row
                    .push(first.and_then(|v| v.parse().ok()).map(Cell::Int).unwrap_or(Cell::Empty)),
                Kind::Number { .. } => row
                    .push(first.and_then(|v| v.parse().ok()).map(Cell::Num).unwrap_or(Cell::Empty)),
                Kind::Date => row.push(
                    first.and_then(|v| v.parse().ok()).map(Cell::Date).unwrap_or(Cell::Empty),
                ),
                Kind::ShortText | Kind::LongText => {
                    row.push(first.map(Cell::text).unwrap_or(Cell::Empty))
                }
            }
        }
        table.push(row);
    }
    Ok(table)
}
