//! Accounts without a password (issue 16 point 6): the demo's generated respondents.

use serde_json::json;

use super::accounts::{check_department, new_account};
use super::model::*;
use super::store::{Reader, Writer};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::auth::roles::Role;
use crate::error::{Error, Result};

/// An account of the demo's generated respondents (`ipgo demo`, issue 16): an employee with
/// no password and no link to an agency directory, so it can never sign in (sign-in answers
/// it as an unknown login); it exists so that the demo's surveys are answered through the
/// surveys service by people of the audience, as real answers are. Made by the same rules
/// and policy as any account, and logged; the caller marks it as demo data in its position.
pub fn create(app: &App, actor: &Actor, input: NewUser) -> Result<User> {
    let login = normalize_login(&input.login)?;
    let agency = {
        let txn = app.db.read()?;
        Reader(&txn).agency_by_code(&input.agency)?
    };
    let agency_id = agency.as_ref().map(|a| a.id).unwrap_or(0);
    require(actor, Action::UserCreate, Object::Agency(agency_id))?;
    let agency = agency.ok_or_else(|| Error::invalid("agency", "unknown-agency"))?;
    require(actor, Action::RoleGrant(Role::Employee), Object::Agency(agency.id))?;
    actor.origin.set_operation("user.create");
    let lang = clean_lang(input.lang.as_deref().unwrap_or(&app.config.ui.default_language))?;
    let user = new_account(&input, login, agency.id, vec![Role::Employee], lang)?;
    let user = app.audit.change(actor, "user.create", |txn| {
        if let Some(dept_id) = user.department_id {
            check_department(txn, dept_id, agency.id)?;
        }
        let user = Writer(txn).insert_user(user)?;
        let detail = json!({
            "user_id": user.id, "login": user.login, "agency": agency.code,
            "roles": ["employee"], "password": false,
        });
        Ok((user, Some(detail)))
    })?;
    app.directory_changed();
    Ok(user)
}
