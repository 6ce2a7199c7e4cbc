//! Accounts as administrators keep them: creating, editing, roles, disabling, password
//! resets. Named from `service.rs`, the directory's one door.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::service::now;
use super::store::{Reader, Writer};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::credentials;
use crate::auth::password;
use crate::auth::policy::{Action, Object, duties, require};
use crate::auth::roles::Role;
use crate::error::{Error, Result};

/// An account as administrators see it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    #[serde(flatten)]
    pub user: User,
    pub agency_code: String,
    pub must_change_password: bool,
    pub locked: bool,
    pub failures: u32,
}

/// A created account, with the one-time password when the system chose it.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedAccount {
    pub user: User,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

pub fn create_user(app: &App, actor: &Actor, input: NewUser) -> Result<CreatedAccount> {
    let login = normalize_login(&input.login)?;
    let agency = {
        let txn = app.db.read()?;
        Reader(&txn).agency_by_code(&input.agency)?
    };
    // The agency's existence is not a secret, but check permission on it before saying so.
    let agency_id = agency.as_ref().map(|a| a.id).unwrap_or(0);
    require(actor, Action::UserCreate, Object::Agency(agency_id))?;
    let agency = agency.ok_or_else(|| Error::invalid("agency", "unknown-agency"))?;
    let mut roles = input.roles.clone();
    if roles.is_empty() {
        roles.push(Role::Employee);
    }
    roles.sort();
    roles.dedup();
    for role in &roles {
        require(actor, Action::RoleGrant(*role), Object::Agency(agency.id))?;
    }
    duties::check_grant(&roles)?;
    actor.origin.set_operation("user.create");
    let lang = clean_lang(input.lang.as_deref().unwrap_or(&app.config.ui.default_language))?;
    let (secret, must_change) = match &input.password {
        Some(p) => {
            password::check_strength(p, &login, app.config.login.min_password_length)?;
            (p.clone(), false)
        }
        None => (crate::secret::one_time_password(), true),
    };
    let hash = password::hash(&secret)?;
    let user = new_account(&input, login, agency.id, roles, lang)?;
    let user = app.audit.change(actor, "user.create", |txn| {
        if let Some(dept_id) = user.department_id {
            check_department(txn, dept_id, agency.id)?;
        }
        let user = Writer(txn).insert_user(user)?;
        credentials::set_password(txn, user.id, hash, must_change)?;
        let detail = json!({
            "user_id": user.id, "login": user.login, "agency": agency.code,
            "roles": user.roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
            "one_time_password": must_change,
        });
        Ok((user, Some(detail)))
    })?;
    app.directory_changed();
    Ok(CreatedAccount { user, one_time_password: must_change.then_some(secret) })
}

pub(super) fn new_account(
    input: &NewUser,
    login: String,
    agency_id: u64,
    roles: Vec<Role>,
    lang: String,
) -> Result<User> {
    Ok(User {
        id: 0,
        login,
        agency_id,
        department_id: input.department_id,
        name_kk: clean_name("name_kk", &input.name_kk, false)?,
        name_ru: clean_name("name_ru", &input.name_ru, false)?,
        position_kk: clean_text("position_kk", &input.position_kk, 300)?,
        position_ru: clean_text("position_ru", &input.position_ru, 300)?,
        email: clean_email(&input.email)?,
        phone: clean_text("phone", &input.phone, 40)?,
        roles,
        status: UserStatus::Active,
        lang,
        created: now(),
    })
}

pub(super) fn check_department(
    txn: &redb::WriteTransaction,
    dept_id: u64,
    agency_id: u64,
) -> Result<()> {
    let dept: Option<Department> =
        crate::db::get_json(&txn.open_table(super::store::DEPARTMENTS)?, dept_id)?;
    match dept {
        Some(d) if d.agency_id == agency_id => Ok(()),
        _ => Err(Error::invalid("department_id", "unknown-department")),
    }
}

fn load_user(app: &App, id: u64) -> Result<User> {
    let txn = app.db.read()?;
    Reader(&txn).user(id)?.ok_or_else(Error::not_found)
}

pub fn user_by_login(app: &App, actor: &Actor, login: &str) -> Result<User> {
    require(actor, Action::DirectoryRead, Object::Appliance)?;
    let txn = app.db.read()?;
    Reader(&txn).user_by_login(login)?.ok_or_else(Error::not_found)
}

/// Accounts the actor may administer, optionally of one agency.
pub fn accounts(app: &App, actor: &Actor, agency_code: Option<&str>) -> Result<Vec<AccountView>> {
    actor.origin.set_operation(&Action::UserAdminView.name());
    let txn = app.db.read()?;
    let r = Reader(&txn);
    let agencies: HashMap<u64, Agency> = r.agencies()?.into_iter().map(|a| (a.id, a)).collect();
    let now = now();
    let mut out = Vec::new();
    let mut any_allowed =
        crate::auth::policy::decide(actor, Action::UserAdminView, Object::Appliance);
    for user in r.users()? {
        let object = Object::User { id: user.id, agency_id: user.agency_id };
        if !crate::auth::policy::decide(actor, Action::UserAdminView, object) {
            continue;
        }
        any_allowed = true;
        let code = agencies.get(&user.agency_id).map(|a| a.code.clone()).unwrap_or_default();
        if let Some(filter) = agency_code
            && !filter.is_empty()
            && !code.eq_ignore_ascii_case(filter)
        {
            continue;
        }
        let cred = credentials::get(&txn, user.id)?.unwrap_or_default();
        out.push(AccountView {
            agency_code: code,
            must_change_password: cred.must_change,
            locked: cred.is_locked(&now),
            failures: cred.failures,
            user,
        });
    }
    if !any_allowed && !has_any_admin_view(actor) {
        return Err(Error::forbidden());
    }
    Ok(out)
}

fn has_any_admin_view(actor: &Actor) -> bool {
    actor.is_operator()
        || actor.has_role(Role::SystemAdmin)
        || actor.has_role(Role::SupportAdmin)
        || actor.has_role(Role::HrOfficer)
}

pub fn account(app: &App, actor: &Actor, id: u64) -> Result<AccountView> {
    let user = load_user(app, id)?;
    require(actor, Action::UserAdminView, Object::User { id, agency_id: user.agency_id })?;
    let txn = app.db.read()?;
    let agency = Reader(&txn).agency(user.agency_id)?.map(|a| a.code).unwrap_or_default();
    let cred = credentials::get(&txn, id)?.unwrap_or_default();
    Ok(AccountView {
        agency_code: agency,
        must_change_password: cred.must_change,
        locked: cred.is_locked(&now()),
        failures: cred.failures,
        user,
    })
}

/// Edits directory fields. People may edit their own contacts and language; names,
/// position and department are edited by HR or the administrator.
pub fn edit_user(app: &App, actor: &Actor, id: u64, edit: ProfileEdit) -> Result<User> {
    let mut user = load_user(app, id)?;
    let object = Object::User { id, agency_id: user.agency_id };
    let admin_fields = edit.name_kk.is_some()
        || edit.name_ru.is_some()
        || edit.position_kk.is_some()
        || edit.position_ru.is_some()
        || edit.department_id.is_some();
    if admin_fields || actor.user_id() != Some(id) {
        require(actor, Action::UserEdit, object)?;
    } else {
        require(actor, Action::ProfileEditOwn, object)?;
    }
    if let Some(v) = &edit.name_kk {
        user.name_kk = clean_name("name_kk", v, false)?;
    }
    if let Some(v) = &edit.name_ru {
        user.name_ru = clean_name("name_ru", v, false)?;
    }
    if let Some(v) = &edit.position_kk {
        user.position_kk = clean_text("position_kk", v, 300)?;
    }
    if let Some(v) = &edit.position_ru {
        user.position_ru = clean_text("position_ru", v, 300)?;
    }
    if let Some(v) = &edit.email {
        user.email = clean_email(v)?;
    }
    if let Some(v) = &edit.phone {
        user.phone = clean_text("phone", v, 40)?;
    }
    if let Some(v) = &edit.lang {
        user.lang = clean_lang(v)?;
    }
    if let Some(d) = edit.department_id {
        user.department_id = d;
    }
    let op = actor.origin.operation().unwrap_or_else(|| "user.edit".into());
    let user = app.audit.change(actor, &op, |txn| {
        if let Some(d) = user.department_id {
            check_department(txn, d, user.agency_id)?;
        }
        Writer(txn).put_user(&user)?;
        Ok((user, Some(json!({"user_id": id}))))
    })?;
    app.directory_changed();
    Ok(user)
}

/// Replaces an account's roles; every role added or removed needs the right to grant it.
pub fn set_roles(app: &App, actor: &Actor, id: u64, roles: Vec<Role>) -> Result<User> {
    let mut user = load_user(app, id)?;
    let mut roles = roles;
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(Error::invalid("roles", "roles-required"));
    }
    let changed: Vec<Role> =
        Role::ALL.iter().copied().filter(|r| roles.contains(r) != user.roles.contains(r)).collect();
    require(actor, Action::UserEdit, Object::User { id, agency_id: user.agency_id })?;
    for role in &changed {
        require(actor, Action::RoleGrant(*role), Object::Agency(user.agency_id))?;
    }
    duties::check_grant(&roles)?;
    actor.origin.set_operation("user.roles");
    user.roles = roles;
    let user = app.audit.change(actor, "user.roles", |txn| {
        Writer(txn).put_user(&user)?;
        let detail = json!({"user_id": id, "roles": user.roles.iter().map(|r| r.name()).collect::<Vec<_>>()});
        Ok((user, Some(detail)))
    })?;
    app.directory_changed();
    Ok(user)
}

/// Disables (ending every session) or re-enables an account.
pub fn set_disabled(app: &App, actor: &Actor, id: u64, disabled: bool) -> Result<User> {
    let mut user = load_user(app, id)?;
    require(actor, Action::UserDisable, Object::User { id, agency_id: user.agency_id })?;
    if disabled && actor.user_id() == Some(id) {
        return Err(Error::invalid("user", "cannot-disable-self"));
    }
    user.status = if disabled { UserStatus::Disabled } else { UserStatus::Active };
    let op = if disabled { "user.disable" } else { "user.enable" };
    actor.origin.set_operation(op);
    let (user, ended) = app.audit.change(actor, op, |txn| {
        Writer(txn).put_user(&user)?;
        let ended = if disabled { app.sessions.end_user_in(txn, id)? } else { Vec::new() };
        let detail = json!({"user_id": id, "sessions_ended": ended.len()});
        Ok(((user, ended), Some(detail)))
    })?;
    app.sessions.forget(&ended);
    app.directory_changed();
    Ok(user)
}

/// Sets a one-time password (or the given one), unlocks the account and ends its sessions.
/// Returns the one-time password when the system chose it.
pub fn reset_password(
    app: &App,
    actor: &Actor,
    id: u64,
    new_password: Option<String>,
) -> Result<Option<String>> {
    let user = load_user(app, id)?;
    require(actor, Action::UserResetPassword, Object::User { id, agency_id: user.agency_id })?;
    let (secret, must_change) = match new_password {
        Some(p) => {
            password::check_strength(&p, &user.login, app.config.login.min_password_length)?;
            (p, false)
        }
        None => (crate::secret::one_time_password(), true),
    };
    let hash = password::hash(&secret)?;
    let ended = app.audit.change(actor, "user.reset_password", |txn| {
        credentials::set_password(txn, id, hash, must_change)?;
        let ended = app.sessions.end_user_in(txn, id)?;
        let detail =
            json!({"user_id": id, "one_time_password": must_change, "sessions_ended": ended.len()});
        Ok((ended, Some(detail)))
    })?;
    app.sessions.forget(&ended);
    Ok(must_change.then_some(secret))
}
