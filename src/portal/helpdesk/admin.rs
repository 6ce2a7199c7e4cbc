//! The support administrator's keeping of routing rules and teams (I617 §14).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::Category;
use super::routing::{Rule, Target, Team};
use super::store;
use super::views::{AgencyRef, Names, PersonRef, TeamRef};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::helpdesk::can_handle;
use crate::auth::policy::{Action, HelpdeskAction, Object, require};
use crate::error::{Code, Error, Result};
use crate::portal::directory::model::{UserStatus, clean_name};
use crate::portal::directory::service as directory;

fn manage(actor: &Actor) -> Result<()> {
    require(actor, Action::Helpdesk(HelpdeskAction::ManageRouting), Object::Appliance)
}

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub id: u64,
    pub category: Option<Category>,
    pub agency: Option<AgencyRef>,
    pub assignee: Option<PersonRef>,
    pub team: Option<TeamRef>,
    pub created_by: String,
    pub created: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamView {
    pub id: u64,
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
    pub name: String,
    pub members: Vec<PersonRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Routing {
    pub rules: Vec<RuleView>,
    pub teams: Vec<TeamView>,
}

/// The rules (most specific first, as they are applied) and the teams.
pub fn routing(app: &App, actor: &Actor, lang: &str) -> Result<Routing> {
    manage(actor)?;
    let names = Names::load(app, lang)?;
    let mut rules = store::rules(&app.db.read()?)?;
    rules.sort_by_key(|r| (std::cmp::Reverse((r.category.is_some(), r.agency_id.is_some())), r.id));
    Ok(Routing {
        rules: rules
            .into_iter()
            .map(|r| RuleView {
                id: r.id,
                category: r.category,
                agency: r.agency_id.and_then(|a| names.agency(a)),
                assignee: match r.target {
                    Target::User(u) => names.person(u),
                    Target::Team(_) => None,
                },
                team: match r.target {
                    Target::Team(t) => names.team(t),
                    Target::User(_) => None,
                },
                created_by: r.created_by,
                created: r.created,
            })
            .collect(),
        teams: names
            .teams()
            .iter()
            .map(|t| TeamView {
                id: t.id,
                name_kk: t.name_kk.clone(),
                name_ru: t.name_ru.clone(),
                name_en: t.name_en.clone(),
                name: t.names().get(lang).to_owned(),
                members: t.members.iter().filter_map(|m| names.person(*m)).collect(),
            })
            .collect(),
    })
}

/// A rule as typed: an optional category and agency code, and a login or a team.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewRule {
    pub category: String,
    pub agency: String,
    pub assignee: String,
    pub team: Option<u64>,
}

/// The account of an administrator who can take requests.
fn handler_by_login(app: &App, actor: &Actor, field: &str, login: &str) -> Result<u64> {
    let user = directory::user_by_login(app, actor, login).map_err(|e| match e.code {
        Code::NotFound => Error::invalid(field, "unknown-login").with_detail(login.to_owned()),
        _ => e,
    })?;
    if user.status != UserStatus::Active || !can_handle(user.roles.iter().copied().collect()) {
        return Err(Error::invalid(field, "helpdesk-not-a-handler").with_detail(login.to_owned()));
    }
    Ok(user.id)
}

pub fn add_rule(app: &App, actor: &Actor, input: &NewRule) -> Result<Rule> {
    manage(actor)?;
    let category = match input.category.trim() {
        "" => None,
        c => Some(Category::parse(c).ok_or_else(|| Error::invalid("category", "invalid-choice"))?),
    };
    let agency_id = match input.agency.trim() {
        "" => None,
        code => Some(
            directory::agency_by_code(app, actor, code)
                .map_err(|e| match e.code {
                    Code::NotFound => {
                        Error::invalid("agency", "unknown-agency").with_detail(code.to_owned())
                    }
                    _ => e,
                })?
                .id,
        ),
    };
    let login = input.assignee.trim();
    let target = match (login.is_empty(), input.team) {
        (false, None) => Target::User(handler_by_login(app, actor, "assignee", login)?),
        (true, Some(team)) => Target::Team(team),
        _ => return Err(Error::invalid("assignee", "helpdesk-assign-one")),
    };
    actor.origin.set_operation("helpdesk.routing");
    let by = actor.log_name();
    app.audit.change(actor, "helpdesk.rule_add", |txn| {
        if let Target::Team(team) = target
            && store::team_in(txn, team)?.is_none()
        {
            return Err(Error::invalid("team", "helpdesk-team-unknown"));
        }
        let duplicate = store::rules_in(txn)?
            .into_iter()
            .any(|r| r.category == category && r.agency_id == agency_id);
        if duplicate {
            return Err(Error::new(Code::Conflict)
                .with_field("category")
                .with_detail_key("helpdesk-rule-duplicate"));
        }
        let rule = Rule {
            id: crate::db::next_id(txn, "helpdesk_rule")?,
            category,
            agency_id,
            target,
            created_by: by.clone(),
            created: now(),
        };
        store::put_rule(txn, &rule)?;
        let detail = json!({"rule": rule.id, "category": category.map(|c| c.name()),
            "agency": agency_id, "target": rule.target});
        Ok((rule, Some(detail)))
    })
}

pub fn remove_rule(app: &App, actor: &Actor, id: u64) -> Result<()> {
    manage(actor)?;
    app.audit.change(actor, "helpdesk.rule_remove", |txn| {
        store::remove_rule(txn, id)?.ok_or_else(Error::not_found)?;
        Ok(((), Some(json!({"rule": id}))))
    })
}

/// A team as typed: its names and the members' logins.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TeamInput {
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
    pub members: Vec<String>,
}

/// Creates a team (`id` None) or replaces a team's names and members.
pub fn save_team(app: &App, actor: &Actor, id: Option<u64>, input: &TeamInput) -> Result<Team> {
    manage(actor)?;
    let name_kk = clean_name("name_kk", &input.name_kk, false)?;
    let name_ru = clean_name("name_ru", &input.name_ru, false)?;
    let name_en = clean_name("name_en", &input.name_en, false)?;
    if name_kk.is_empty() && name_ru.is_empty() {
        return Err(Error::invalid("name_ru", "field-required"));
    }
    let mut members = Vec::new();
    for login in input.members.iter().flat_map(|m| m.split([',', ' ', '\n'])) {
        let login = login.trim();
        if login.is_empty() {
            continue;
        }
        let id = handler_by_login(app, actor, "members", login)?;
        if !members.contains(&id) {
            members.push(id);
        }
    }
    if members.is_empty() {
        return Err(Error::invalid("members", "helpdesk-team-empty"));
    }
    actor.origin.set_operation("helpdesk.routing");
    app.audit.change(actor, "helpdesk.team_save", |txn| {
        let team = match id {
            Some(id) => {
                let old = store::team_in(txn, id)?.ok_or_else(Error::not_found)?;
                Team { name_kk, name_ru, name_en, members, ..old }
            }
            None => Team {
                id: crate::db::next_id(txn, "helpdesk_team")?,
                name_kk,
                name_ru,
                name_en,
                members,
                created: now(),
            },
        };
        store::put_team(txn, &team)?;
        Ok((team.clone(), Some(json!({"team": team.id, "members": team.members}))))
    })
}
