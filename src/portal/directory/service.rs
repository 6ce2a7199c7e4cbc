//! Directory use cases: agencies, departments, accounts, roles, working groups, staff search.
//! Each function checks the policy first and writes the change with its access-log entry in
//! one transaction.

use std::collections::HashMap;

use redb::ReadableTable;
use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::store::{Reader, Writer};
use crate::actor::{Actor, UserIdentity};
use crate::app::App;
use crate::auth::policy::{Action, Object, duties, require};
use crate::auth::roles::{Role, RoleSet};
use crate::error::{Error, Result};

pub use super::accounts::{
    AccountView, CreatedAccount, account, accounts, create_user, edit_user, reset_password,
    set_disabled, set_roles, user_by_login,
};

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

/// The identity of an active account, as sessions and the policy see it.
pub fn identity(
    app: &App,
    user_id: u64,
    must_change_password: bool,
) -> Result<Option<UserIdentity>> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let Some(user) = r.user(user_id)? else { return Ok(None) };
    if user.status != UserStatus::Active {
        return Ok(None);
    }
    let Some(agency) = r.agency(user.agency_id)? else { return Ok(None) };
    Ok(Some(UserIdentity {
        id: user.id,
        login: user.login.clone(),
        agency_id: agency.id,
        agency_code: agency.code,
        department_id: user.department_id,
        roles: user.roles.iter().copied().collect::<RoleSet>(),
        groups: r.group_ids_of(user.id)?,
        lang: user.lang,
        must_change_password,
    }))
}

/// An account whose roles break separation of duties (written before the rule was
/// enforced at grant time): it keeps its administration but has no document or workflow
/// right until its roles are corrected.
#[derive(Debug, Clone, Serialize)]
pub struct DutyConflict {
    pub login: String,
    pub agency: String,
    pub roles: Vec<Role>,
    /// The role that must stand alone.
    pub standalone: Role,
}

impl std::fmt::Display for DutyConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.name()).collect();
        write!(
            f,
            "account {} ({}) holds {}: {} must be the account's only role (separation of \
             duties); until corrected it reads no document and takes no workflow step. Keep \
             one duty on it (`ipgo user roles --login {} --role {}`) and give the others to a \
             separate account",
            self.login,
            self.agency,
            roles.join(" + "),
            self.standalone.name(),
            self.login,
            self.standalone.name(),
        )
    }
}

/// Every account breaking separation of duties, for `ipgo verify` and the start-up check
/// (an appliance check, not a user's request: no actor).
pub fn duty_conflicts(app: &App) -> Result<Vec<DutyConflict>> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let codes: HashMap<u64, String> = r.agencies()?.into_iter().map(|a| (a.id, a.code)).collect();
    Ok(r.users()?
        .into_iter()
        .filter_map(|u| {
            let (standalone, _) = duties::conflict(u.roles.iter().copied().collect())?;
            Some(DutyConflict {
                agency: codes.get(&u.agency_id).cloned().unwrap_or_default(),
                login: u.login,
                roles: u.roles,
                standalone,
            })
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Agencies and departments

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewAgency {
    pub code: String,
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
    /// A [`Region`](super::place::Region) code; empty when not said.
    pub region: String,
    /// An [`AgencyKind`](super::place::AgencyKind) code; empty when not said.
    pub kind: String,
}

/// Where an agency stands, as a form or the API sends it (codes; empty = not said).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AgencyPlace {
    pub region: String,
    pub kind: String,
}

pub fn agencies(app: &App, actor: &Actor) -> Result<Vec<Agency>> {
    require(actor, Action::DirectoryRead, Object::Appliance)?;
    let txn = app.db.read()?;
    Reader(&txn).agencies()
}

pub fn agency_by_code(app: &App, actor: &Actor, code: &str) -> Result<Agency> {
    require(actor, Action::DirectoryRead, Object::Appliance)?;
    let txn = app.db.read()?;
    Reader(&txn).agency_by_code(code)?.ok_or_else(Error::not_found)
}

pub fn create_agency(app: &App, actor: &Actor, input: NewAgency) -> Result<Agency> {
    require(actor, Action::AgencyManage, Object::Appliance)?;
    let agency = Agency {
        id: 0,
        code: normalize_code(&input.code)?,
        name_kk: clean_name("name_kk", &input.name_kk, true)?,
        name_ru: clean_name("name_ru", &input.name_ru, true)?,
        name_en: clean_name("name_en", &input.name_en, false)?,
        created: now(),
        region: super::place::parse_region(&input.region)?,
        kind: super::place::parse_kind(&input.kind)?,
    };
    let agency = app.audit.change(actor, "agency.create", |txn| {
        let agency = Writer(txn).insert_agency(agency)?;
        let detail = json!({"agency_id": agency.id, "code": agency.code});
        Ok((agency, Some(detail)))
    })?;
    app.directory_changed();
    Ok(agency)
}

/// Sets the region and kind of an agency (the system administrator; logged with the values
/// before and after).
pub fn set_agency_place(
    app: &App,
    actor: &Actor,
    code: &str,
    place: AgencyPlace,
) -> Result<Agency> {
    require(actor, Action::AgencyManage, Object::Appliance)?;
    let region = super::place::parse_region(&place.region)?;
    let kind = super::place::parse_kind(&place.kind)?;
    let code = code.to_uppercase();
    let agency = app.audit.change(actor, "agency.update", |txn| {
        let w = Writer(txn);
        let mut agency = w.agency_by_code(&code)?.ok_or_else(Error::not_found)?;
        let detail = json!({"agency_id": agency.id, "code": agency.code,
            "before": {"region": agency.region, "kind": agency.kind},
            "after": {"region": region, "kind": kind}});
        agency.region = region;
        agency.kind = kind;
        w.put_agency(&agency)?;
        Ok((agency, Some(detail)))
    })?;
    app.directory_changed();
    Ok(agency)
}

pub fn departments(app: &App, actor: &Actor, agency_id: Option<u64>) -> Result<Vec<Department>> {
    require(actor, Action::DirectoryRead, Object::Appliance)?;
    let txn = app.db.read()?;
    let mut all = Reader(&txn).departments()?;
    if let Some(id) = agency_id {
        all.retain(|d| d.agency_id == id);
    }
    Ok(all)
}

pub fn create_department(
    app: &App,
    actor: &Actor,
    agency_id: u64,
    name_kk: &str,
    name_ru: &str,
) -> Result<Department> {
    require(actor, Action::DepartmentManage, Object::Agency(agency_id))?;
    let dept = Department {
        id: 0,
        agency_id,
        name_kk: clean_name("name_kk", name_kk, true)?,
        name_ru: clean_name("name_ru", name_ru, true)?,
        created: now(),
    };
    let dept = app.audit.change(actor, "department.create", |txn| {
        if txn.open_table(super::store::AGENCIES)?.get(agency_id)?.is_none() {
            return Err(Error::not_found().with_field("agency"));
        }
        let dept = Writer(txn).insert_department(dept)?;
        let detail = json!({"department_id": dept.id, "agency_id": agency_id});
        Ok((dept, Some(detail)))
    })?;
    app.directory_changed();
    Ok(dept)
}

// ---------------------------------------------------------------------------------------
// Staff directory

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct StaffQuery {
    /// Words matched against names, position, login, e-mail (case-insensitive).
    pub q: String,
    /// Agency code.
    pub agency: String,
    pub department: Option<u64>,
}

/// What every participant may see of a colleague.
#[derive(Debug, Clone, Serialize)]
pub struct StaffEntry {
    pub id: u64,
    pub login: String,
    pub name_kk: String,
    pub name_ru: String,
    pub position_kk: String,
    pub position_ru: String,
    pub email: String,
    pub phone: String,
    pub agency_code: String,
    pub agency_name_kk: String,
    pub agency_name_ru: String,
    pub agency_name_en: String,
    pub department_id: Option<u64>,
    pub department_name_kk: String,
    pub department_name_ru: String,
}

pub fn search_staff(app: &App, actor: &Actor, query: &StaffQuery) -> Result<Vec<StaffEntry>> {
    require(actor, Action::DirectoryRead, Object::Appliance)?;
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let agencies: HashMap<u64, Agency> = r.agencies()?.into_iter().map(|a| (a.id, a)).collect();
    let departments: HashMap<u64, Department> =
        r.departments()?.into_iter().map(|d| (d.id, d)).collect();
    let agency_filter = query.agency.trim().to_uppercase();
    let words: Vec<String> = query.q.split_whitespace().map(|w| w.to_lowercase()).collect();
    let mut out = Vec::new();
    for user in r.users()? {
        if user.status != UserStatus::Active {
            continue;
        }
        let Some(agency) = agencies.get(&user.agency_id) else { continue };
        if !agency_filter.is_empty() && agency.code != agency_filter {
            continue;
        }
        if query.department.is_some() && user.department_id != query.department {
            continue;
        }
        let dept = user.department_id.and_then(|d| departments.get(&d));
        let haystack = format!(
            "{} {} {} {} {} {}",
            user.login, user.name_kk, user.name_ru, user.position_kk, user.position_ru, user.email
        )
        .to_lowercase();
        if !words.iter().all(|w| haystack.contains(w.as_str())) {
            continue;
        }
        out.push(StaffEntry {
            id: user.id,
            login: user.login,
            name_kk: user.name_kk,
            name_ru: user.name_ru,
            position_kk: user.position_kk,
            position_ru: user.position_ru,
            email: user.email,
            phone: user.phone,
            agency_code: agency.code.clone(),
            agency_name_kk: agency.name_kk.clone(),
            agency_name_ru: agency.name_ru.clone(),
            agency_name_en: agency.name_en.clone(),
            department_id: user.department_id,
            department_name_kk: dept.map(|d| d.name_kk.clone()).unwrap_or_default(),
            department_name_ru: dept.map(|d| d.name_ru.clone()).unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| {
        (&a.agency_code, &a.name_ru, &a.login).cmp(&(&b.agency_code, &b.name_ru, &b.login))
    });
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Working groups

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewGroup {
    pub name_kk: String,
    pub name_ru: String,
    /// Member logins (of any agency).
    pub members: Vec<String>,
}

fn resolve_logins(app: &App, logins: &[String]) -> Result<Vec<u64>> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let mut ids = Vec::new();
    for login in logins.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        let user = r.user_by_login(login)?.ok_or_else(|| {
            Error::invalid("members", "unknown-login").with_detail(login.to_owned())
        })?;
        if !ids.contains(&user.id) {
            ids.push(user.id);
        }
    }
    Ok(ids)
}

/// Forms a working group in the actor's agency (a head's resolution, I385 §16).
pub fn create_group(app: &App, actor: &Actor, input: NewGroup) -> Result<WorkingGroup> {
    let agency_id = actor.user().map(|u| u.agency_id).unwrap_or(0);
    require(actor, Action::GroupManage, Object::Agency(agency_id))?;
    let members = resolve_logins(app, &input.members)?;
    let group = WorkingGroup {
        id: 0,
        agency_id,
        name_kk: clean_name("name_kk", &input.name_kk, true)?,
        name_ru: clean_name("name_ru", &input.name_ru, true)?,
        members,
        created_by: actor.user_id().unwrap_or(0),
        created: now(),
    };
    let group = app.audit.change(actor, "group.create", |txn| {
        let mut group = group;
        group.id = crate::db::next_id(txn, "group")?;
        Writer(txn).put_group(&group, &[])?;
        Ok((group.clone(), Some(json!({"group_id": group.id, "members": group.members}))))
    })?;
    app.directory_changed();
    Ok(group)
}

pub fn set_group_members(
    app: &App,
    actor: &Actor,
    group_id: u64,
    logins: &[String],
) -> Result<WorkingGroup> {
    let mut group = {
        let txn = app.db.read()?;
        Reader(&txn).group(group_id)?.ok_or_else(Error::not_found)?
    };
    require(actor, Action::GroupManage, Object::Agency(group.agency_id))?;
    let old = std::mem::take(&mut group.members);
    group.members = resolve_logins(app, logins)?;
    let group = app.audit.change(actor, "group.members", |txn| {
        Writer(txn).put_group(&group, &old)?;
        Ok((group.clone(), Some(json!({"group_id": group.id, "members": group.members}))))
    })?;
    app.directory_changed();
    Ok(group)
}

/// Groups the actor belongs to or may manage.
pub fn groups(app: &App, actor: &Actor) -> Result<Vec<WorkingGroup>> {
    // The groups' own pages are logged as such; a page that lists them for a choice keeps
    // its own name.
    actor.origin.name_operation_if_unnamed("group.read");
    require(actor, Action::DirectoryRead, Object::Appliance)?;
    let txn = app.db.read()?;
    let mut all = Reader(&txn).groups()?;
    all.retain(|g| {
        actor.user_id().is_some_and(|id| g.members.contains(&id))
            || crate::auth::policy::decide(actor, Action::GroupManage, Object::Agency(g.agency_id))
    });
    Ok(all)
}

pub fn group(app: &App, actor: &Actor, id: u64) -> Result<WorkingGroup> {
    groups(app, actor)?.into_iter().find(|g| g.id == id).ok_or_else(Error::not_found)
}

/// The active members of a working group as it stands now (a workflow freezing an
/// electorate); an unknown group has none.
pub fn group_members(app: &App, id: u64) -> Result<Vec<u64>> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let Some(group) = r.group(id)? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for member in group.members {
        if r.user(member)?.is_some_and(|u| u.status == UserStatus::Active) {
            out.push(member);
        }
    }
    Ok(out)
}

/// Names of users by id, for showing group members.
pub fn user_names(app: &App, ids: &[u64], lang: &str) -> Result<Vec<(u64, String, String)>> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let mut out = Vec::new();
    for id in ids {
        if let Some(u) = r.user(*id)? {
            out.push((u.id, u.login.clone(), u.display_name(lang).to_owned()));
        }
    }
    Ok(out)
}

/// One's own account and agency (for the start page).
pub fn account_self(app: &App, actor: &Actor, id: u64) -> Result<(User, Option<Agency>)> {
    if actor.user_id() != Some(id) {
        return Err(Error::forbidden());
    }
    actor.origin.set_operation("profile.read");
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let user = r.user(id)?.ok_or_else(Error::not_found)?;
    let agency = r.agency(user.agency_id)?;
    Ok((user, agency))
}

/// Agencies by id (for showing owners of documents and the like).
pub fn agencies_by_id(app: &App) -> Result<HashMap<u64, Agency>> {
    let txn = app.db.read()?;
    Ok(Reader(&txn).agencies()?.into_iter().map(|a| (a.id, a)).collect())
}

/// Every account by id (for showing names of the many people a list refers to).
pub fn every_user_by_id(app: &App) -> Result<HashMap<u64, User>> {
    let txn = app.db.read()?;
    Ok(Reader(&txn).users()?.into_iter().map(|u| (u.id, u)).collect())
}

/// Resolves agency codes and logins named in an access rule; unknown names are refused.
pub fn resolve_access_names(
    app: &App,
    agency_codes: &[String],
    logins: &[String],
) -> Result<(Vec<u64>, Vec<u64>)> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let mut agencies = Vec::new();
    for code in agency_codes {
        let agency = r
            .agency_by_code(code)?
            .ok_or_else(|| Error::invalid("access", "unknown-agency").with_detail(code.clone()))?;
        agencies.push(agency.id);
    }
    let mut users = Vec::new();
    for login in logins {
        let user = r
            .user_by_login(login)?
            .ok_or_else(|| Error::invalid("access", "unknown-login").with_detail(login.clone()))?;
        users.push(user.id);
    }
    Ok((agencies, users))
}

/// Active accounts of these agencies holding any of these roles, as notice recipients.
pub fn recipients(
    app: &App,
    agencies: &[u64],
    roles: &[Role],
) -> Result<Vec<crate::notify::Recipient>> {
    let txn = app.db.read()?;
    Ok(Reader(&txn)
        .users()?
        .into_iter()
        .filter(|u| u.status == UserStatus::Active && agencies.contains(&u.agency_id))
        .filter(|u| roles.is_empty() || u.roles.iter().any(|r| roles.contains(r)))
        .map(|u| crate::notify::Recipient { user_id: u.id, lang: u.lang, email: u.email })
        .collect())
}

/// These accounts (if active) as notice recipients.
pub fn recipients_by_id(app: &App, ids: &[u64]) -> Result<Vec<crate::notify::Recipient>> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let mut out = Vec::new();
    for id in ids {
        if let Some(u) = r.user(*id)?
            && u.status == UserStatus::Active
        {
            out.push(crate::notify::Recipient { user_id: u.id, lang: u.lang, email: u.email });
        }
    }
    Ok(out)
}

/// The language an account reads the portal in (for mail written when it is sent).
pub fn language_of(app: &App, user_id: u64) -> Option<String> {
    let txn = app.db.read().ok()?;
    Reader(&txn).user(user_id).ok()?.map(|u| u.lang)
}

/// Active accounts holding a role anywhere (e.g. every OKDO officer).
pub fn holders_of(app: &App, role: Role) -> Result<Vec<User>> {
    let txn = app.db.read()?;
    Ok(Reader(&txn)
        .users()?
        .into_iter()
        .filter(|u| u.status == UserStatus::Active && u.roles.contains(&role))
        .collect())
}

/// These accounts (active or not) with their agencies, for workflows that check who they
/// name (e.g. executors of a task must work in the executor agencies).
pub fn users_by_id(app: &App, ids: &[u64]) -> Result<Vec<User>> {
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let mut out = Vec::new();
    for id in ids {
        if let Some(u) = r.user(*id)? {
            out.push(u);
        }
    }
    Ok(out)
}
