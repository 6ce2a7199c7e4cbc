//! Checking a directory account's password: find the person's entry with the configured
//! filter (the login escaped, RFC 4515), then bind as that entry with the password typed.
//! The account is created at the first sign-in, or refreshed, from the entry.

use super::client::{Connection, Failure, user_filter};
use super::config::AgencyDirectory;
use crate::actor::Actor;
use crate::app::App;
use crate::portal::directory::external::{self, Applied};
use crate::portal::directory::model::User;

/// The directory's answer for a login and password.
#[derive(Debug)]
pub enum Outcome {
    /// The password is right; the portal account as it is now.
    Accepted(Box<User>),
    /// Why the sign-in is refused, as recorded in the access log.
    Refused(&'static str),
    /// No directory that could answer was reachable.
    Unreachable(String),
}

/// Asks the directories: the one of the account's agency when the account is linked, else
/// each configured one in turn for a login the portal does not know.
pub fn authenticate(app: &App, agency_code: Option<&str>, login: &str, password: &str) -> Outcome {
    let all = super::settings::effective(app);
    let candidates: Vec<(&String, &AgencyDirectory)> = match agency_code {
        Some(code) => all.iter().filter(|(c, _)| c.eq_ignore_ascii_case(code)).collect(),
        None => all.iter().collect(),
    };
    if candidates.is_empty() {
        return Outcome::Refused("directory_not_configured");
    }
    let mut unreachable = Vec::new();
    for (code, settings) in candidates {
        match check(app, code, settings, login, password) {
            Ok(Some(outcome)) => return outcome,
            Ok(None) => {}
            Err(failure) => {
                tracing::warn!(agency = %code, error = %failure, "directory sign-in failed");
                unreachable.push(format!("{code}: {failure}"));
            }
        }
    }
    if unreachable.is_empty() {
        Outcome::Refused("unknown_login")
    } else {
        Outcome::Unreachable(unreachable.join("; "))
    }
}

/// `Ok(None)`: this directory has no such person.
fn check(
    app: &App,
    code: &str,
    settings: &AgencyDirectory,
    login: &str,
    password: &str,
) -> Result<Option<Outcome>, Failure> {
    let mut conn = Connection::open(settings, app.config.directory.timeout_seconds)?;
    let found = conn.search(&settings.base_dn, &user_filter(&settings.user_filter, login))?;
    let entry = match found.as_slice() {
        [] => {
            conn.close();
            return Ok(None);
        }
        [one] => one.clone(),
        _ => {
            conn.close();
            return Ok(Some(Outcome::Refused("directory_ambiguous")));
        }
    };
    let right = conn.check_password(&entry.dn, password)?;
    conn.close();
    if !right {
        return Ok(Some(Outcome::Refused("directory_wrong_password")));
    }
    let actor = Actor::system_job_bypassing_user_policy("directory-signin");
    let applied = external::apply(app, &actor, code, &entry.dn, &entry.person);
    Ok(Some(match applied {
        Ok((Some(user), _)) => Outcome::Accepted(Box::new(user)),
        Ok((None, Applied::LocalAccount)) => Outcome::Refused("local_account"),
        Ok((None, _)) => Outcome::Refused("directory_invalid_login"),
        Err(e) => {
            tracing::error!(agency = %code, error = %e, "directory account not recorded");
            Outcome::Refused("directory_account_error")
        }
    }))
}
