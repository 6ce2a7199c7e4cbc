//! Signing in and out, and changing one's own password.
//!
//! Every refusal answers the same `invalid_credentials` — unknown login, wrong password,
//! disabled or locked account alike — and spends the same Argon2 work, so neither the answer
//! nor its timing tells whether an account exists. The reason is recorded in the access
//! log only.

use std::net::IpAddr;

use serde_json::json;

use super::store::Reader;
use crate::actor::{Actor, UserIdentity, Who};
use crate::app::App;
use crate::auth::credentials::{self, Credential};
use crate::auth::password;
use crate::auth::policy::{Action, Object, require};
use crate::auth::session::NewSession;
use crate::error::{Code, Error, Result};

pub struct SignedIn {
    pub session: NewSession,
    pub identity: UserIdentity,
}

fn refused() -> Error {
    Error::new(Code::InvalidCredentials)
}

/// Checks a login and password; on success opens a session.
pub fn sign_in(
    app: &App,
    visitor: &Actor,
    ip: Option<IpAddr>,
    login: &str,
    secret: &str,
) -> Result<SignedIn> {
    visitor.origin.set_operation("session.create");
    let attempted: String = login.trim().chars().take(64).collect();
    visitor.origin.set_detail(json!({"login": attempted}));
    if let Some(ip) = ip
        && !app.throttle.allow(ip)
    {
        visitor.origin.set_detail(json!({"login": attempted, "reason": "throttled"}));
        return Err(Error::new(Code::TooManyRequests));
    }
    let found = {
        let txn = app.db.read()?;
        match Reader(&txn).user_by_login(login)? {
            Some(user) => {
                let cred = credentials::get(&txn, user.id)?;
                Some((user, cred))
            }
            None => None,
        }
    };
    let Some((user, Some(cred))) = found else {
        password::verify_against_dummy(secret);
        visitor.origin.set_detail(json!({"login": attempted, "reason": "unknown_login"}));
        return Err(refused());
    };
    let now = crate::clock::now();
    let now_s = crate::clock::utc_string(now);
    let password_ok = password::verify(secret, &cred.hash);
    let active = user.status == super::model::UserStatus::Active;
    let locked = cred.is_locked(&now_s);

    if !password_ok {
        // Count the failure and lock after too many, recording both with the entry.
        let max = app.config.login.max_failures;
        let lockout = jiff::SignedDuration::from_secs(app.config.login.lockout_seconds as i64);
        let as_user = actor_for(visitor, &user, app)?;
        let locked_now = app.audit.record(&as_user, "session.create", "denied", Some(401), |txn| {
            let mut cred: Credential = credentials::get_in(txn, user.id)?.unwrap_or(cred.clone());
            cred.failures = cred.failures.saturating_add(1);
            let lock = cred.failures >= max && !cred.is_locked(&now_s);
            if lock {
                cred.locked_until = Some(crate::clock::utc_string(now + lockout));
            }
            credentials::put(txn, user.id, &cred)?;
            let detail = json!({"reason": "wrong_password", "failures": cred.failures, "locked": lock || cred.is_locked(&now_s)});
            Ok((lock, Some(detail)))
        })?;
        if locked_now {
            tracing::warn!(login = ?user.login, ip = %visitor.origin.ip, "account locked after repeated failed sign-ins");
        }
        return Err(refused());
    }
    if !active || locked {
        let reason = if !active { "disabled" } else { "locked" };
        visitor.origin.set_detail(json!({"login": attempted, "reason": reason}));
        return Err(refused());
    }
    let identity = super::service::identity(app, user.id, cred.must_change)?.ok_or_else(refused)?;
    let as_user = Actor { who: Who::User(identity.clone()), origin: visitor.origin.clone() };
    let session = app.audit.change(&as_user, "session.create", |txn| {
        let mut cred = credentials::get_in(txn, user.id)?.unwrap_or(cred);
        if cred.failures > 0 {
            cred.failures = 0;
            credentials::put(txn, user.id, &cred)?;
        }
        let session = app.sessions.create_in(txn, user.id)?;
        Ok((session, Some(json!({"must_change_password": identity.must_change_password}))))
    })?;
    app.sessions.activate(&session);
    Ok(SignedIn { session, identity })
}

fn actor_for(visitor: &Actor, user: &super::model::User, app: &App) -> Result<Actor> {
    let txn = app.db.read()?;
    let agency = Reader(&txn).agency(user.agency_id)?;
    Ok(Actor {
        who: Who::User(UserIdentity {
            id: user.id,
            login: user.login.clone(),
            agency_id: user.agency_id,
            agency_code: agency.map(|a| a.code).unwrap_or_default(),
            department_id: user.department_id,
            roles: user.roles.iter().copied().collect(),
            groups: Vec::new(),
            lang: user.lang.clone(),
            must_change_password: false,
        }),
        origin: visitor.origin.clone(),
    })
}

/// Ends the session identified by `key`.
pub fn sign_out(app: &App, actor: &Actor, key: [u8; 32]) -> Result<()> {
    actor.origin.set_operation("session.delete");
    app.audit.change(actor, "session.delete", |txn| {
        app.sessions.end_in(txn, &key)?;
        Ok(((), None))
    })?;
    app.sessions.forget(&[key]);
    Ok(())
}

/// Changes one's own password: every session of the account ends, and a fresh one is
/// opened for the browser that made the change.
pub fn change_own_password(
    app: &App,
    actor: &Actor,
    current: &str,
    new: &str,
) -> Result<NewSession> {
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    require(actor, Action::ProfileEditOwn, Object::User { id: me.id, agency_id: me.agency_id })?;
    actor.origin.set_operation("password.change");
    let cred = {
        let txn = app.db.read()?;
        credentials::get(&txn, me.id)?.ok_or_else(Error::forbidden)?
    };
    if !password::verify(current, &cred.hash) {
        return Err(Error::new(Code::InvalidCredentials).with_field("current_password"));
    }
    password::check_strength(new, &me.login, app.config.login.min_password_length)?;
    if new == current {
        return Err(Error::new(Code::WeakPassword)
            .with_field("password")
            .with_detail_key("password-unchanged"));
    }
    let hash = password::hash(new)?;
    let (ended, session) = app.audit.change(actor, "password.change", |txn| {
        credentials::set_password(txn, me.id, hash, false)?;
        let ended = app.sessions.end_user_in(txn, me.id)?;
        let session = app.sessions.create_in(txn, me.id)?;
        let detail = json!({"sessions_ended": ended.len()});
        Ok(((ended, session), Some(detail)))
    })?;
    app.sessions.forget(&ended);
    app.sessions.activate(&session);
    app.directory_changed();
    Ok(session)
}
