//! Account-request use cases (I617 §20): filing, withdrawing, approving (the account is
//! created by the identity service), refusing, and the server disabling a leaver's account
//! on its date. Every change: the policy, the model's verdict, then in ONE transaction the
//! request, the notices and the access-log entry.

use redb::WriteTransaction;
use serde::Deserialize;
use serde_json::json;

use super::model::{AccountRequest, Kind, Status};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{AccountRequestAction, Action, Object, duties, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Arg, Notice, Recipient};
use crate::portal::directory::model::{
    NewUser, UserStatus, clean_email, clean_name, clean_paragraphs, clean_text, normalize_login,
};
use crate::portal::directory::{departure, service as directory};

pub const MAX_NOTE: usize = 2_000;

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn object(r: &AccountRequest) -> Object<'static> {
    Object::AccountRequest { agency_id: r.agency_id }
}

fn conflict(field: &str, key: &'static str) -> Error {
    Error::new(Code::Conflict).with_field(field).with_detail_key(key)
}

fn notice(key: &'static str, r: &AccountRequest) -> Notice {
    let name = if r.name_ru.is_empty() { r.name_kk.clone() } else { r.name_ru.clone() };
    Notice::new(key, format!("/account-requests/{}", r.id), format!("account_request:{}", r.id))
        .arg("login", r.login.clone())
        .arg("name", name)
        .arg("kind", Arg::Message(r.kind.message_key()))
        .arg("status", Arg::Message(r.status.message_key()))
        .arg("date", r.disable_on.clone())
        .arg("reason", r.reason.clone())
}

fn tell(app: &App, txn: &WriteTransaction, to: &[Recipient], n: &Notice) -> Result<AfterCommit> {
    notify::enqueue_in(app, txn, to, n)
}

/// The system administrators, who decide on requests.
fn administrators(app: &App) -> Result<Vec<Recipient>> {
    let ids: Vec<u64> =
        directory::holders_of(app, Role::SystemAdmin)?.into_iter().map(|u| u.id).collect();
    directory::recipients_by_id(app, &ids)
}

/// A request as typed (page form or API). `department_id` and `roles` come as text so the
/// form's empty choice and checkboxes decode like the API's values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewRequest {
    /// `newcomer` (the default) or `leaver`.
    pub kind: String,
    pub login: String,
    pub name_kk: String,
    pub name_ru: String,
    pub position_kk: String,
    pub position_ru: String,
    pub department_id: Option<String>,
    pub email: String,
    pub roles: Vec<String>,
    /// A leaver's last day is the day before: the account is disabled on this date.
    pub disable_on: String,
    pub note: String,
}

fn parse_roles(names: &[String]) -> Result<Vec<Role>> {
    let mut roles = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let role = Role::parse(name)
            .ok_or_else(|| Error::invalid("roles", "unknown-role").with_detail(name.to_owned()))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        roles.push(Role::Employee);
    }
    roles.sort();
    duties::check_grant(&roles)?;
    Ok(roles)
}

fn parse_department(
    app: &App,
    actor: &Actor,
    agency_id: u64,
    v: &Option<String>,
) -> Result<Option<u64>> {
    let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    let id: u64 = v.parse().map_err(|_| Error::invalid("department_id", "unknown-department"))?;
    if directory::departments(app, actor, Some(agency_id))?.iter().any(|d| d.id == id) {
        Ok(Some(id))
    } else {
        Err(Error::invalid("department_id", "unknown-department"))
    }
}

/// The date a leaver's account is disabled: today or later, in Astana.
fn parse_disable_on(v: &str) -> Result<String> {
    let date: jiff::civil::Date = v
        .trim()
        .parse()
        .map_err(|_| Error::invalid("disable_on", "account-request-date-invalid"))?;
    if date < crate::calendar::today() {
        return Err(Error::invalid("disable_on", "account-request-date-past"));
    }
    Ok(date.to_string())
}

/// Files a request for the HR officer's own agency; the system administrators are told.
pub fn file(app: &App, actor: &Actor, input: &NewRequest) -> Result<AccountRequest> {
    let me = actor.user().ok_or_else(Error::forbidden)?;
    let agency_id = me.agency_id;
    require(
        actor,
        Action::AccountRequest(AccountRequestAction::Request),
        Object::Agency(agency_id),
    )?;
    let kind = match input.kind.trim() {
        "" => Kind::Newcomer,
        k => {
            Kind::parse(k).ok_or_else(|| Error::invalid("kind", "account-request-kind-invalid"))?
        }
    };
    let login = normalize_login(&input.login)?;
    let existing = directory::user_by_login(app, actor, &login).ok();
    let note = clean_paragraphs("note", &input.note, MAX_NOTE)?;
    let mut r = AccountRequest {
        id: 0,
        kind,
        agency_id,
        requested_by: me.id,
        login: login.clone(),
        name_kk: String::new(),
        name_ru: String::new(),
        position_kk: String::new(),
        position_ru: String::new(),
        department_id: None,
        email: String::new(),
        roles: Vec::new(),
        user_id: None,
        disable_on: String::new(),
        note,
        status: Status::Pending,
        reason: String::new(),
        steps: Vec::new(),
        created: String::new(),
        updated: String::new(),
    };
    match kind {
        Kind::Newcomer => {
            if existing.is_some() {
                return Err(conflict("login", "account-request-login-taken"));
            }
            r.name_kk = clean_name("name_kk", &input.name_kk, true)?;
            r.name_ru = clean_name("name_ru", &input.name_ru, true)?;
            r.position_kk = clean_text("position_kk", &input.position_kk, 300)?;
            r.position_ru = clean_text("position_ru", &input.position_ru, 300)?;
            r.department_id = parse_department(app, actor, agency_id, &input.department_id)?;
            r.email = clean_email(&input.email)?;
            if r.email.is_empty() {
                return Err(Error::invalid("email", "field-required"));
            }
            r.roles = parse_roles(&input.roles)?;
        }
        Kind::Leaver => {
            // Another agency's account is as unknown to this HR officer as a missing one.
            let user = existing
                .filter(|u| u.agency_id == agency_id)
                .ok_or_else(|| Error::invalid("login", "account-request-leaver-unknown"))?;
            if user.status == UserStatus::Disabled {
                return Err(conflict("login", "account-request-leaver-disabled"));
            }
            r.user_id = Some(user.id);
            r.name_kk = user.name_kk;
            r.name_ru = user.name_ru;
            r.position_kk = user.position_kk;
            r.position_ru = user.position_ru;
            r.department_id = user.department_id;
            r.email = user.email;
            r.disable_on = parse_disable_on(&input.disable_on)?;
        }
    }
    let admins = administrators(app)?;
    let (r, after) = app.audit.change(actor, "account_request.file", |txn| {
        // A second pending request for the same login is refused, whichever came first.
        if store::all_in(txn)?
            .iter()
            .any(|o| o.status == Status::Pending && o.login == r.login && o.kind == r.kind)
        {
            return Err(conflict("login", "account-request-pending-already"));
        }
        let at = now();
        r.id = crate::db::next_id(txn, "account_request")?;
        r.created = at.clone();
        r.updated = at;
        store::put(txn, &r)?;
        let after = tell(app, txn, &admins, &notice("account-request-new", &r))?;
        let detail = json!({"request": r.id, "kind": r.kind.name(), "login": r.login,
                            "disable_on": r.disable_on});
        Ok(((r, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(r)
}

fn load(app: &App, id: u64) -> Result<AccountRequest> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

/// Settles a pending request in one transaction with its notices: `to_requester` tells the
/// HR officer who filed it, `to_admins` the system administrators.
fn settle(
    app: &App,
    actor: &Actor,
    id: u64,
    to: Status,
    edit: impl FnOnce(&mut AccountRequest),
    key: &'static str,
    to_admins: bool,
) -> Result<AccountRequest> {
    let admins = if to_admins { administrators(app)? } else { Vec::new() };
    let by = actor.user_id().unwrap_or(0);
    let operation = format!("account_request.{}", to.name());
    let (r, after) = app.audit.change(actor, &operation, |txn| {
        let mut r = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let from = r.status;
        edit(&mut r);
        let note = r.reason.clone();
        if !r.settle(to, by, &now(), &note) {
            return Err(Error::new(Code::Conflict)
                .with_field("status")
                .with_detail_key("account-request-settled")
                .with_detail(format!("{} → {}", from.name(), to.name())));
        }
        store::put(txn, &r)?;
        let mut to = directory::recipients_by_id(app, &[r.requested_by])?;
        to.extend(admins.iter().filter(|a| a.user_id != r.requested_by).cloned());
        let after = tell(app, txn, &to, &notice(key, &r))?;
        let detail = json!({"request": id, "from": from.name(), "to": r.status.name(),
                            "login": r.login, "user_id": r.user_id});
        Ok(((r, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(r)
}

/// The HR officer withdraws a pending request; the administrators are told.
pub fn withdraw(app: &App, actor: &Actor, id: u64) -> Result<AccountRequest> {
    let r = load(app, id)?;
    require(actor, Action::AccountRequest(AccountRequestAction::Withdraw), object(&r))?;
    settle(app, actor, id, Status::Withdrawn, |_| {}, "account-request-outcome", true)
}

/// A refusal as typed: the reason is required and told to the HR officer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Refusal {
    pub reason: String,
}

pub fn refuse(app: &App, actor: &Actor, id: u64, input: &Refusal) -> Result<AccountRequest> {
    let r = load(app, id)?;
    require(actor, Action::AccountRequest(AccountRequestAction::Decide), object(&r))?;
    let reason = clean_paragraphs("reason", &input.reason, MAX_NOTE)?;
    if reason.is_empty() {
        return Err(Error::invalid("reason", "account-request-reason-required"));
    }
    settle(app, actor, id, Status::Refused, |r| r.reason = reason, "account-request-outcome", false)
}

/// An approved newcomer's request: the request, and the one-time password shown once to
/// the approving administrator (never stored, never mailed).
pub struct Approved {
    pub request: AccountRequest,
    pub one_time_password: Option<String>,
}

/// Approves a newcomer's request: the identity service creates the account (with its own
/// checks of the administrator's right to create it and grant the roles), then the request
/// records it and the HR officer is told.
pub fn approve(app: &App, actor: &Actor, id: u64) -> Result<Approved> {
    let r = load(app, id)?;
    require(actor, Action::AccountRequest(AccountRequestAction::Decide), object(&r))?;
    if r.kind != Kind::Newcomer || r.status.is_settled() {
        return Err(Error::new(Code::Conflict)
            .with_field("status")
            .with_detail_key("account-request-settled")
            .with_detail(format!("{} → approved", r.status.name())));
    }
    let agency = directory::agencies_by_id(app)?
        .remove(&r.agency_id)
        .ok_or_else(|| Error::invalid("agency", "unknown-agency"))?;
    let requester_lang = directory::language_of(app, r.requested_by);
    let created = directory::create_user(
        app,
        actor,
        NewUser {
            login: r.login.clone(),
            agency: agency.code,
            department_id: r.department_id,
            name_kk: r.name_kk.clone(),
            name_ru: r.name_ru.clone(),
            position_kk: r.position_kk.clone(),
            position_ru: r.position_ru.clone(),
            email: r.email.clone(),
            phone: String::new(),
            roles: r.roles.clone(),
            lang: requester_lang,
            password: None,
        },
    )
    .map_err(|e| match e.detail_key {
        // Someone took the login since the request was filed.
        Some("login-taken") => e.with_detail_key("account-request-login-taken"),
        _ => e,
    })?;
    let user_id = created.user.id;
    let request = settle(
        app,
        actor,
        id,
        Status::Approved,
        |r| r.user_id = Some(user_id),
        "account-request-approved",
        false,
    )?;
    Ok(Approved { request, one_time_password: created.one_time_password })
}

/// The server's job: disables the accounts of leavers whose date has come (a day missed
/// while the server was stopped is caught up), each with its request in one transaction.
pub fn run_due(app: &App) -> Result<usize> {
    let today = crate::calendar::today().to_string();
    let due: Vec<u64> = {
        let txn = app.db.read()?;
        store::all(&txn)?.into_iter().filter(|r| r.is_due(&today)).map(|r| r.id).collect()
    };
    let job = Actor::system_job_bypassing_user_policy("account-requests");
    let mut done = 0;
    for id in due {
        let admins = administrators(app)?;
        let outcome = app.audit.change(&job, "account_request.disabled", |txn| {
            let Some(mut r) = store::get_in(txn, id)?.filter(|r| r.is_due(&today)) else {
                return Ok((None, None));
            };
            let ended = match r.user_id {
                Some(user) => departure::disable_in(app, txn, user)?,
                None => None,
            };
            r.settle(Status::Disabled, 0, &now(), "");
            store::put(txn, &r)?;
            let mut to = directory::recipients_by_id(app, &[r.requested_by])?;
            to.extend(admins.into_iter().filter(|a| a.user_id != r.requested_by));
            let after = tell(app, txn, &to, &notice("account-request-outcome", &r))?;
            let detail = json!({"request": id, "login": r.login, "user_id": r.user_id,
                                "disable_on": r.disable_on, "was_active": ended.is_some()});
            Ok((Some((ended, after)), Some(detail)))
        })?;
        if let Some((ended, after)) = outcome {
            if let Some(ended) = ended {
                departure::after_commit(app, ended);
            }
            notify::after_commit(app, after);
            done += 1;
        }
    }
    Ok(done)
}
