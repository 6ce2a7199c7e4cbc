//! What people read of account requests: the HR officer their agency's, the
//! administrators all; each with what the reader may do next.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::model::{AccountRequest, Kind, Status};
use super::service::object;
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{AccountRequestAction, Action, Object, decide, require};
use crate::error::{Error, Result};
use crate::portal::directory::model::{Agency, Department, User};
use crate::portal::directory::service as directory;

#[derive(Debug, Clone, Serialize)]
pub struct PersonRef {
    pub login: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub at: String,
    /// `None` for the server (a leaver disabled on the date).
    pub by: Option<PersonRef>,
    pub status: Status,
    pub note: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Abilities {
    pub approve: bool,
    pub refuse: bool,
    pub withdraw: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub id: u64,
    pub kind: Kind,
    pub status: Status,
    /// The agency's code.
    pub agency: String,
    pub requested_by: Option<PersonRef>,
    pub login: String,
    pub name_kk: String,
    pub name_ru: String,
    pub position_kk: String,
    pub position_ru: String,
    pub department: String,
    pub email: String,
    pub roles: Vec<String>,
    /// The account asked for (a leaver's) or created (an approved newcomer's).
    pub user_id: Option<u64>,
    pub disable_on: String,
    pub note: String,
    pub reason: String,
    pub steps: Vec<StepView>,
    pub created: String,
    pub updated: String,
    pub can: Abilities,
}

/// A list's filter: a status and, for administrators, an agency code.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub agency: String,
}

struct Names {
    users: HashMap<u64, User>,
    agencies: HashMap<u64, Agency>,
    departments: HashMap<u64, Department>,
    lang: String,
}

impl Names {
    fn load(app: &App, actor: &Actor, lang: &str) -> Result<Names> {
        Ok(Names {
            users: directory::every_user_by_id(app)?,
            agencies: directory::agencies_by_id(app)?,
            departments: directory::departments(app, actor, None)?
                .into_iter()
                .map(|d| (d.id, d))
                .collect(),
            lang: lang.to_owned(),
        })
    }

    fn person(&self, id: u64) -> Option<PersonRef> {
        self.users.get(&id).map(|u| PersonRef {
            login: u.login.clone(),
            name: u.display_name(&self.lang).to_owned(),
        })
    }

    fn view(&self, actor: &Actor, r: AccountRequest) -> RequestView {
        let may = |a| decide(actor, Action::AccountRequest(a), object(&r));
        let pending = !r.status.is_settled();
        let can = Abilities {
            approve: pending && r.kind == Kind::Newcomer && may(AccountRequestAction::Decide),
            refuse: pending && may(AccountRequestAction::Decide),
            withdraw: pending && may(AccountRequestAction::Withdraw),
        };
        let department = r
            .department_id
            .and_then(|d| self.departments.get(&d))
            .map(|d| if self.lang == "kk" { d.name_kk.clone() } else { d.name_ru.clone() })
            .unwrap_or_default();
        RequestView {
            id: r.id,
            kind: r.kind,
            status: r.status,
            agency: self.agencies.get(&r.agency_id).map(|a| a.code.clone()).unwrap_or_default(),
            requested_by: self.person(r.requested_by),
            department,
            roles: r.roles.iter().map(|x| x.name().to_owned()).collect(),
            steps: r
                .steps
                .iter()
                .map(|s| StepView {
                    at: s.at.clone(),
                    by: self.person(s.by),
                    status: s.to,
                    note: s.note.clone(),
                })
                .collect(),
            login: r.login,
            name_kk: r.name_kk,
            name_ru: r.name_ru,
            position_kk: r.position_kk,
            position_ru: r.position_ru,
            email: r.email,
            user_id: r.user_id,
            disable_on: r.disable_on,
            note: r.note,
            reason: r.reason,
            created: r.created,
            updated: r.updated,
            can,
        }
    }
}

/// The requests the reader may see, pending first, then the newest.
pub fn list(app: &App, actor: &Actor, query: &ListQuery, lang: &str) -> Result<Vec<RequestView>> {
    let agency = actor.user().map(|u| u.agency_id).unwrap_or(0);
    require(actor, Action::AccountRequest(AccountRequestAction::Read), Object::Agency(agency))?;
    let status = match query.status.trim() {
        "" => None,
        s => Some(
            Status::parse(s)
                .ok_or_else(|| Error::invalid("status", "account-request-status-invalid"))?,
        ),
    };
    let names = Names::load(app, actor, lang)?;
    let wanted_agency = query.agency.trim();
    let mut found: Vec<AccountRequest> = {
        let txn = app.db.read()?;
        store::all(&txn)?
    }
    .into_iter()
    .filter(|r| decide(actor, Action::AccountRequest(AccountRequestAction::Read), object(r)))
    .filter(|r| status.is_none_or(|s| r.status == s))
    .filter(|r| {
        wanted_agency.is_empty()
            || names
                .agencies
                .get(&r.agency_id)
                .is_some_and(|a| a.code.eq_ignore_ascii_case(wanted_agency))
    })
    .collect();
    found.sort_by_key(|r| (r.status.is_settled(), std::cmp::Reverse(r.id)));
    Ok(found.into_iter().map(|r| names.view(actor, r)).collect())
}

pub fn view(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<RequestView> {
    let r = {
        let txn = app.db.read()?;
        store::get(&txn, id)?.ok_or_else(Error::not_found)?
    };
    require(actor, Action::AccountRequest(AccountRequestAction::Read), object(&r))?;
    Ok(Names::load(app, actor, lang)?.view(actor, r))
}
