//! Accounts kept by an agency's own directory (I617 §20–§21): which accounts are linked to
//! a directory entry, and the changes the directory brings — a new account at a person's
//! first sign-in or at a synchronisation, names, positions, departments and e-mail kept as
//! the directory says, and an account disabled when its entry is gone.
//!
//! Such an account has no password of its own in the portal: the directory checks it. The
//! LDAP feature (`portal::ldap`) talks to the directories and calls these functions; it
//! never touches the tables here.

use std::collections::HashSet;

use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::*;
use super::store::{Reader, Writer};
use crate::actor::{Actor, Who};
use crate::app::App;
use crate::auth::policy::{Action, DirectorySyncAction, Object, require};
use crate::auth::roles::Role;
use crate::db::{all_json, get_json, to_json};
use crate::error::{Error, Result};

/// Account id → its link to a directory entry.
pub const DIRECTORY_LINKS: TableDefinition<u64, &[u8]> = TableDefinition::new("directory_links");

pub fn ensure_tables(txn: &redb::WriteTransaction) -> Result<()> {
    txn.open_table(DIRECTORY_LINKS)?;
    Ok(())
}

/// What the directory says of a person, already mapped to portal fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirectoryPerson {
    pub login: String,
    pub name_ru: String,
    pub name_kk: String,
    pub position_ru: String,
    pub position_kk: String,
    /// The department's name as the directory writes it.
    pub department: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DirectoryLink {
    pub user_id: u64,
    /// The agency whose directory keeps the account.
    pub agency_code: String,
    pub dn: String,
    /// Disabled by a synchronisation that no longer found the entry (re-enabled by the one
    /// that finds it again); an account an administrator disabled stays disabled.
    #[serde(default)]
    pub disabled_by_sync: bool,
    pub last_seen: String,
}

/// What one entry did to the portal's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    Created,
    Updated,
    Unchanged,
    Reenabled,
    /// The login belongs to a local account (with a portal password): left alone.
    LocalAccount,
    /// The directory's login is not a valid portal login.
    InvalidLogin,
}

/// The synchronisation job and the sign-in act for the directory; a person or the operator
/// needs the right to run a synchronisation.
fn authorize(actor: &Actor) -> Result<()> {
    match actor.who {
        Who::System("directory-sync") | Who::System("directory-signin") => Ok(()),
        _ => require(actor, Action::DirectorySync(DirectorySyncAction::Run), Object::Appliance),
    }
}

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

/// The link of an account to a directory, if it has one.
pub fn link_of(app: &App, user_id: u64) -> Result<Option<DirectoryLink>> {
    let txn = app.db.read()?;
    get_json(&txn.open_table(DIRECTORY_LINKS)?, user_id)
}

/// Every account linked to an agency's directory.
pub fn links_of_agency(app: &App, agency_code: &str) -> Result<Vec<DirectoryLink>> {
    let txn = app.db.read()?;
    let all: Vec<DirectoryLink> = all_json(&txn.open_table(DIRECTORY_LINKS)?)?;
    Ok(all.into_iter().filter(|l| l.agency_code.eq_ignore_ascii_case(agency_code)).collect())
}

/// Creates or updates the account of a directory entry; returns it (when there is one)
/// and what was done.
pub fn apply(
    app: &App,
    actor: &Actor,
    agency_code: &str,
    dn: &str,
    person: &DirectoryPerson,
) -> Result<(Option<User>, Applied)> {
    authorize(actor)?;
    let Ok(login) = normalize_login(&person.login) else {
        return Ok((None, Applied::InvalidLogin));
    };
    let agency = {
        let txn = app.db.read()?;
        Reader(&txn).agency_by_code(agency_code)?
    }
    .ok_or_else(|| Error::invalid("agency", "unknown-agency"))?;
    let department_id = department_for(app, actor, agency.id, &person.department)?;
    let clean = |field: &str, v: &str| clean_text(field, v, 300).unwrap_or_default();
    let name_ru = clean_name("name_ru", &person.name_ru, false).unwrap_or_default();
    let name_kk = clean_name("name_kk", &person.name_kk, false).unwrap_or_default();
    let email = clean_email(&person.email).unwrap_or_default();
    let (position_ru, position_kk) =
        (clean("position_ru", &person.position_ru), clean("position_kk", &person.position_kk));
    let outcome = app.audit.change(actor, "user.directory", |txn| {
        let existing = {
            let logins = txn.open_table(super::store::LOGINS)?;
            let id = logins.get(login.as_str())?.map(|g| g.value());
            match id {
                Some(id) => get_json::<u64, User, _>(&txn.open_table(super::store::USERS)?, id)?,
                None => None,
            }
        };
        let mut links = txn.open_table(DIRECTORY_LINKS)?;
        let link: Option<DirectoryLink> = match &existing {
            Some(u) => get_json(&links, u.id)?,
            None => None,
        };
        let (user, applied) = match (existing, link) {
            (Some(_), None) => {
                let detail =
                    json!({"login": login, "agency": agency.code, "applied": "local_account"});
                return Ok(((None, Applied::LocalAccount), Some(detail)));
            }
            (None, _) => {
                let user = User {
                    id: 0,
                    login: login.clone(),
                    agency_id: agency.id,
                    department_id,
                    name_kk: name_kk.clone(),
                    name_ru: name_ru.clone(),
                    position_kk: position_kk.clone(),
                    position_ru: position_ru.clone(),
                    email: email.clone(),
                    phone: String::new(),
                    roles: vec![Role::Employee],
                    status: UserStatus::Active,
                    lang: app.config.ui.default_language.clone(),
                    created: now(),
                };
                (Writer(txn).insert_user(user)?, Applied::Created)
            }
            (Some(mut user), Some(link)) => {
                let before = user.clone();
                user.name_ru = name_ru.clone();
                user.name_kk = name_kk.clone();
                user.position_ru = position_ru.clone();
                user.position_kk = position_kk.clone();
                if !email.is_empty() {
                    user.email = email.clone();
                }
                if department_id.is_some() {
                    user.department_id = department_id;
                }
                let reenable = link.disabled_by_sync && user.status == UserStatus::Disabled;
                if reenable {
                    user.status = UserStatus::Active;
                }
                let applied = if reenable {
                    Applied::Reenabled
                } else if user != before {
                    Applied::Updated
                } else {
                    Applied::Unchanged
                };
                if applied != Applied::Unchanged {
                    Writer(txn).put_user(&user)?;
                }
                (user, applied)
            }
        };
        let link = DirectoryLink {
            user_id: user.id,
            agency_code: agency.code.clone(),
            dn: dn.to_owned(),
            disabled_by_sync: false,
            last_seen: now(),
        };
        links.insert(user.id, to_json(&link)?.as_slice())?;
        let detail = json!({"user_id": user.id, "login": user.login, "agency": agency.code,
            "applied": applied});
        Ok(((Some(user), applied), Some(detail)))
    })?;
    if matches!(outcome.1, Applied::Created | Applied::Updated | Applied::Reenabled) {
        app.directory_changed();
    }
    Ok(outcome)
}

/// The department named by the directory: an existing one of the agency with that name in
/// Russian or Kazakh, else a new one.
fn department_for(app: &App, actor: &Actor, agency_id: u64, name: &str) -> Result<Option<u64>> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let found = {
        let txn = app.db.read()?;
        Reader(&txn).departments()?.into_iter().find(|d| {
            d.agency_id == agency_id
                && (d.name_ru.eq_ignore_ascii_case(name) || d.name_kk.eq_ignore_ascii_case(name))
        })
    };
    if let Some(d) = found {
        return Ok(Some(d.id));
    }
    let Ok(clean) = clean_name("department", name, true) else {
        return Ok(None);
    };
    let dept =
        Department { id: 0, agency_id, name_kk: clean.clone(), name_ru: clean, created: now() };
    let dept = app.audit.change(actor, "department.create", |txn| {
        let dept = Writer(txn).insert_department(dept)?;
        Ok((dept.clone(), Some(json!({"department_id": dept.id, "agency_id": agency_id}))))
    })?;
    app.directory_changed();
    Ok(Some(dept.id))
}

/// Disables the active accounts of an agency's directory whose entries a complete
/// synchronisation did not find (`seen` holds the logins it found), ending their sessions.
/// Returns the accounts disabled.
pub fn disable_missing(
    app: &App,
    actor: &Actor,
    agency_code: &str,
    seen: &HashSet<String>,
) -> Result<Vec<u64>> {
    authorize(actor)?;
    let links = links_of_agency(app, agency_code)?;
    let mut disabled = Vec::new();
    for mut link in links {
        let user = {
            let txn = app.db.read()?;
            Reader(&txn).user(link.user_id)?
        };
        let Some(mut user) = user else { continue };
        if seen.contains(&user.login) || user.status != UserStatus::Active {
            continue;
        }
        user.status = UserStatus::Disabled;
        link.disabled_by_sync = true;
        let ended = app.audit.change(actor, "user.disable", |txn| {
            Writer(txn).put_user(&user)?;
            txn.open_table(DIRECTORY_LINKS)?.insert(user.id, to_json(&link)?.as_slice())?;
            let ended = app.sessions.end_user_in(txn, user.id)?;
            let detail = json!({"user_id": user.id, "login": user.login,
                "reason": "missing_from_directory", "sessions_ended": ended.len()});
            Ok((ended, Some(detail)))
        })?;
        app.sessions.forget(&ended);
        disabled.push(user.id);
    }
    if !disabled.is_empty() {
        app.directory_changed();
    }
    Ok(disabled)
}
