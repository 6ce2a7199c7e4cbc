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
    sign_in_in_language(app, visitor, ip, login, secret, None)
}

/// [`sign_in`] from the sign-in page, where the person may have chosen a language: a
/// supported `lang` becomes their profile's language in the same transaction (the page says
/// so), instead of the profile's overriding what they just chose.
pub fn sign_in_in_language(
    app: &App,
    visitor: &Actor,
    ip: Option<IpAddr>,
    login: &str,
    secret: &str,
    lang: Option<&str>,
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
    // An account kept by an agency's directory has no portal password: the directory
    // checks it. A login the portal does not know may be a directory's first sign-in.
    let directory_agency = match &found {
        Some((user, None)) => super::external::link_of(app, user.id)?.map(|l| Some(l.agency_code)),
        None if !crate::portal::ldap::settings::effective(app).is_empty() => Some(None),
        _ => None,
    };
    if let Some(agency) = directory_agency {
        return sign_in_with_directory(app, visitor, &attempted, agency.as_deref(), secret);
    }
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
    let mut identity =
        super::service::identity(app, user.id, cred.must_change)?.ok_or_else(refused)?;
    let new_lang = lang.and_then(crate::i18n::supported).filter(|l| *l != user.lang);
    let as_user = Actor { who: Who::User(identity.clone()), origin: visitor.origin.clone() };
    let session = app.audit.change(&as_user, "session.create", |txn| {
        let mut cred = credentials::get_in(txn, user.id)?.unwrap_or(cred);
        if cred.failures > 0 {
            cred.failures = 0;
            credentials::put(txn, user.id, &cred)?;
        }
        let mut detail = json!({"must_change_password": identity.must_change_password});
        if let Some(l) = new_lang {
            let mut u = user.clone();
            u.lang = l.to_owned();
            super::store::Writer(txn).put_user(&u)?;
            detail["lang"] = l.into();
        }
        let session = app.sessions.create_in(txn, user.id)?;
        Ok((session, Some(detail)))
    })?;
    if let Some(l) = new_lang {
        identity.lang = l.to_owned();
        app.directory_changed();
    }
    app.sessions.activate(&session);
    Ok(SignedIn { session, identity })
}

/// Signs in a directory account by a bind to its agency's directory. A wrong password is
/// refused as any other; a directory that cannot be reached says so (`unavailable`, with
/// a message that local accounts still work), since the person can do nothing else about
/// it.
fn sign_in_with_directory(
    app: &App,
    visitor: &Actor,
    attempted: &str,
    agency: Option<&str>,
    secret: &str,
) -> Result<SignedIn> {
    use crate::portal::ldap::signin::{Outcome, authenticate};
    let user = match authenticate(app, agency, attempted, secret) {
        Outcome::Accepted(user) => user,
        Outcome::Refused(reason) => {
            visitor
                .origin
                .set_detail(json!({"login": attempted, "method": "directory", "reason": reason}));
            return Err(refused());
        }
        Outcome::Unreachable(cause) => {
            visitor.origin.set_detail(json!({"login": attempted, "method": "directory",
                "reason": "directory_unreachable", "cause": cause}));
            return Err(Error::new(Code::Unavailable).with_detail_key("directory-unreachable"));
        }
    };
    if user.status != super::model::UserStatus::Active {
        visitor
            .origin
            .set_detail(json!({"login": attempted, "method": "directory", "reason": "disabled"}));
        return Err(refused());
    }
    let identity = super::service::identity(app, user.id, false)?.ok_or_else(refused)?;
    let as_user = Actor { who: Who::User(identity.clone()), origin: visitor.origin.clone() };
    let session = app.audit.change(&as_user, "session.create", |txn| {
        let session = app.sessions.create_in(txn, user.id)?;
        Ok((session, Some(json!({"method": "directory"}))))
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

/// Signs in with the client certificate of a mutual-TLS connection (I385 §57, §61), an
/// alternative to the password. The TLS layer admitted the certificate against the trust
/// store at the handshake; it is checked again here against the trust store as it is now
/// (a CRL installed since may revoke it), and it must be registered, active, to an active
/// account. Each refusal names its reason (the holder of a certificate learns nothing
/// about other accounts from it) and is in the access log.
pub fn sign_in_with_certificate(
    app: &App,
    visitor: &Actor,
    ip: Option<IpAddr>,
    presented: Option<&[u8]>,
) -> Result<SignedIn> {
    visitor.origin.set_operation("session.create");
    if let Some(ip) = ip
        && !app.throttle.allow(ip)
    {
        visitor.origin.set_detail(json!({"method": "certificate", "reason": "throttled"}));
        return Err(Error::new(Code::TooManyRequests));
    }
    let (user, fingerprint, cert) = certificate_holder(app, visitor, presented)?;
    let identity = super::service::identity(app, user.id, false)?.ok_or_else(refused)?;
    let as_user = Actor { who: Who::User(identity.clone()), origin: visitor.origin.clone() };
    let session = app.audit.change(&as_user, "session.create", |txn| {
        let session = app.sessions.create_in(txn, user.id)?;
        let detail = json!({"method": "certificate", "fingerprint": fingerprint,
            "subject": cert.summary().subject});
        Ok((session, Some(detail)))
    })?;
    app.sessions.activate(&session);
    Ok(SignedIn { session, identity })
}

/// The active account a client certificate of a mutual-TLS connection is registered to,
/// with the certificate's fingerprint: checked against the trust store as it is now, then
/// the registration (active) and the account (active). Shared by sign-in and by machine
/// clients that authenticate each request with their certificate (the reminders
/// connector); a refusal names its reason in the visitor's access-log detail.
pub fn certificate_holder(
    app: &App,
    visitor: &Actor,
    presented: Option<&[u8]>,
) -> Result<(super::model::User, String, crate::sign::x509::Cert)> {
    use crate::sign::store::CertStatus;
    let refuse = |key: &'static str, detail: serde_json::Value| {
        visitor.origin.set_detail(detail);
        Error::new(Code::InvalidCredentials).with_detail_key(key)
    };
    let Some(der) = presented else {
        return Err(refuse(
            "cert-signin-none",
            json!({"method": "certificate", "reason": "no_certificate"}),
        ));
    };
    let cert = crate::sign::x509::Cert::from_der(der).map_err(|_| {
        refuse("cert-signin-none", json!({"method": "certificate", "reason": "unreadable"}))
    })?;
    let fingerprint = cert.fingerprint();
    let trust = app.trust.get(&app.db)?;
    let now = crate::clock::now();
    let policy = crate::sign::service::policy(app);
    if let Err(r) = crate::sign::chain::validate_for(
        &trust,
        &cert,
        &[],
        now,
        now,
        &policy,
        crate::sign::chain::Purpose::ClientAuth,
    ) {
        return Err(refuse(
            r.reason.message_key(),
            json!({"method": "certificate", "fingerprint": fingerprint,
                "reason": r.reason.name(), "detail": r.detail}),
        ));
    }
    let (registration, user) = {
        let txn = app.db.read()?;
        let registration = crate::sign::store::Reader(&txn).user_cert(&fingerprint)?;
        let user = match &registration {
            Some(r) => Reader(&txn).user(r.user_id)?,
            None => None,
        };
        (registration, user)
    };
    let reason = match (&registration, &user) {
        (None, _) => Some(("cert-signin-not-registered", "not_registered")),
        (Some(r), _) if r.status == CertStatus::Pending => {
            Some(("sign-reason-registration-pending", "registration_pending"))
        }
        (Some(r), _) if r.status == CertStatus::Revoked => {
            Some(("sign-reason-registration-revoked", "registration_revoked"))
        }
        (Some(_), Some(u)) if u.status == super::model::UserStatus::Active => None,
        _ => Some(("cert-signin-account-disabled", "disabled")),
    };
    if let Some((key, name)) = reason {
        return Err(refuse(
            key,
            json!({"method": "certificate", "fingerprint": fingerprint, "reason": name}),
        ));
    }
    let user = user.ok_or_else(refused)?;
    Ok((user, fingerprint, cert))
}
