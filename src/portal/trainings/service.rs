//! Training use cases (I617 §19): asking, scheduling a session with its invitations,
//! recording attendance, declining. Every change: the policy, the checks, then in ONE
//! transaction the request, the notices and the access-log entry.

use redb::WriteTransaction;
use serde::Deserialize;
use serde_json::json;

use super::model::{Session, Status, TrainingRequest};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, TrainingAction, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Arg, Notice, Recipient};
use crate::portal::directory::model::{UserStatus, clean_paragraphs, clean_text};
use crate::portal::directory::service as directory;
use crate::portal::maintenance::model::parse_time;

pub const MAX_TOPIC: usize = 300;
pub const MAX_NOTE: usize = 2_000;
pub const MAX_TRAINEES: usize = 200;
pub const MAX_CAPACITY: u32 = 500;

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn with_object<T>(r: &TrainingRequest, f: impl FnOnce(Object<'_>) -> T) -> T {
    f(Object::Training { agency_id: r.agency_id, trainees: &r.trainees })
}

fn conflict(key: &'static str) -> Error {
    Error::new(Code::Conflict).with_detail_key(key)
}

fn notice(key: &'static str, r: &TrainingRequest) -> Notice {
    Notice::new(key, format!("/trainings/{}", r.id), format!("training:{}", r.id))
        .arg("topic", r.topic.clone())
        .arg("status", Arg::Message(r.status.message_key()))
        .arg("reason", r.reason.clone())
}

fn session_notice(key: &'static str, r: &TrainingRequest, s: &Session) -> Notice {
    let place = if s.link.is_empty() { s.place.clone() } else { format!("{} {}", s.place, s.link) };
    notice(key, r)
        .arg("starts", Arg::Time(s.starts.clone()))
        .arg("place", place.trim().to_owned())
        .arg("no", s.no.to_string())
}

fn tell(app: &App, txn: &WriteTransaction, to: &[Recipient], n: &Notice) -> Result<AfterCommit> {
    notify::enqueue_in(app, txn, to, n)
}

/// Logins typed one per line or separated by commas or spaces, resolved to active accounts
/// of `agency_id`; an unknown or foreign login is named in the refusal.
fn resolve(
    app: &App,
    actor: &Actor,
    field: &str,
    logins: &[String],
    agency_id: u64,
) -> Result<Vec<u64>> {
    let mut ids = Vec::new();
    for login in logins
        .iter()
        .flat_map(|l| l.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|l| !l.is_empty())
    {
        let user = directory::user_by_login(app, actor, login)
            .ok()
            .filter(|u| u.agency_id == agency_id && u.status == UserStatus::Active)
            .ok_or_else(|| {
                Error::invalid(field, "training-trainee-unknown").with_detail(login.to_owned())
            })?;
        if !ids.contains(&user.id) {
            ids.push(user.id);
        }
    }
    Ok(ids)
}

/// A request as typed (page form or API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewTraining {
    pub topic: String,
    /// Logins of the employees to train (one per line, or separated by commas).
    pub trainees: Vec<String>,
    pub preferred: String,
    pub note: String,
}

/// Asks for training for the officer's own agency; the support administrators are told.
pub fn request(app: &App, actor: &Actor, input: &NewTraining) -> Result<TrainingRequest> {
    let me = actor.user().ok_or_else(Error::forbidden)?;
    require(actor, Action::Training(TrainingAction::Request), Object::Agency(me.agency_id))?;
    let topic = clean_text("topic", &input.topic, MAX_TOPIC)?;
    if topic.is_empty() {
        return Err(Error::invalid("topic", "field-required"));
    }
    let trainees = resolve(app, actor, "trainees", &input.trainees, me.agency_id)?;
    if trainees.is_empty() {
        return Err(Error::invalid("trainees", "training-trainees-required"));
    }
    if trainees.len() > MAX_TRAINEES {
        return Err(Error::invalid("trainees", "training-trainees-too-many")
            .with_arg("limit", MAX_TRAINEES));
    }
    let preferred = clean_text("preferred", &input.preferred, MAX_TOPIC)?;
    let note = clean_paragraphs("note", &input.note, MAX_NOTE)?;
    let support = directory::holders_of(app, Role::SupportAdmin)?;
    let support =
        directory::recipients_by_id(app, &support.iter().map(|u| u.id).collect::<Vec<_>>())?;
    let (r, after) = app.audit.change(actor, "training.request", |txn| {
        let at = now();
        let r = TrainingRequest {
            id: crate::db::next_id(txn, "training")?,
            agency_id: me.agency_id,
            requested_by: me.id,
            topic,
            trainees,
            preferred,
            note,
            status: Status::Requested,
            reason: String::new(),
            sessions: Vec::new(),
            steps: Vec::new(),
            created: at.clone(),
            updated: at,
        };
        store::put(txn, &r)?;
        let after = tell(app, txn, &support, &notice("training-new", &r))?;
        let detail = json!({"training": r.id, "topic": r.topic, "trainees": r.trainees.len()});
        Ok(((r, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(r)
}

fn load(app: &App, id: u64) -> Result<TrainingRequest> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

fn load_for(app: &App, actor: &Actor, id: u64, action: TrainingAction) -> Result<TrainingRequest> {
    let r = load(app, id)?;
    with_object(&r, |o| require(actor, Action::Training(action), o))?;
    Ok(r)
}

/// A session as typed by the support administrator.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewSession {
    /// Astana local (`2027-01-20T10:00`, an HTML datetime-local field) or RFC 3339.
    pub starts: String,
    /// Length in minutes (90 when empty).
    pub minutes: Option<u32>,
    pub place: String,
    pub link: String,
    pub capacity: u32,
    /// Logins to invite; empty: the trainees not invited yet, up to the capacity.
    pub invite: Vec<String>,
}

/// Schedules a session and invites trainees: each invited trainee is told when and where,
/// the officer who asked that the request is scheduled.
pub fn schedule(app: &App, actor: &Actor, id: u64, input: &NewSession) -> Result<TrainingRequest> {
    let r = load_for(app, actor, id, TrainingAction::Schedule)?;
    let starts = parse_time("starts", &input.starts)?;
    if starts <= crate::clock::now() {
        return Err(Error::invalid("starts", "training-starts-past"));
    }
    let minutes = input.minutes.unwrap_or(90);
    if !(15..=8 * 60).contains(&minutes) {
        return Err(Error::invalid("minutes", "training-minutes-invalid"));
    }
    let place = clean_text("place", &input.place, MAX_TOPIC)?;
    let link = clean_text("link", &input.link, MAX_TOPIC)?;
    if place.is_empty() && link.is_empty() {
        return Err(Error::invalid("place", "training-place-required"));
    }
    if !(1..=MAX_CAPACITY).contains(&input.capacity) {
        return Err(
            Error::invalid("capacity", "training-capacity-invalid").with_arg("limit", MAX_CAPACITY)
        );
    }
    let mut invited = resolve(app, actor, "invite", &input.invite, r.agency_id)?;
    if let Some(stranger) = invited.iter().find(|u| !r.trainees.contains(u)) {
        let login = directory::users_by_id(app, &[*stranger])?.pop().map(|u| u.login);
        return Err(Error::invalid("invite", "training-not-a-trainee")
            .with_detail(login.unwrap_or_default()));
    }
    if invited.is_empty() {
        invited = r.not_invited().into_iter().take(input.capacity as usize).collect();
    }
    if invited.is_empty() {
        return Err(Error::invalid("invite", "training-nobody-to-invite"));
    }
    if invited.len() > input.capacity as usize {
        return Err(
            Error::invalid("invite", "training-over-capacity").with_arg("limit", input.capacity)
        );
    }
    let by = actor.user_id().unwrap_or(0);
    let (r, after) = app.audit.change(actor, "training.schedule", |txn| {
        let mut r = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        if r.status.is_settled() {
            return Err(conflict("training-settled").with_field("status"));
        }
        let session = Session {
            no: r.sessions.len() as u32 + 1,
            starts: crate::clock::utc_string(starts),
            minutes,
            place,
            link,
            capacity: input.capacity,
            invited,
            attended: None,
        };
        r.sessions.push(session.clone());
        r.step(Status::Scheduled, by, &now(), "");
        store::put(txn, &r)?;
        let trainees = directory::recipients_by_id(app, &session.invited)?;
        let mut after =
            tell(app, txn, &trainees, &session_notice("training-invitation", &r, &session))?;
        let officer = directory::recipients_by_id(app, &[r.requested_by])?;
        let n = session_notice("training-scheduled", &r, &session)
            .arg("count", session.invited.len().to_string());
        after = after.merge(tell(app, txn, &officer, &n)?);
        let detail = json!({"training": id, "session": session.no, "starts": session.starts,
                            "invited": session.invited.len(), "capacity": session.capacity});
        Ok(((r, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(r)
}

/// Attendance as typed: the logins of those who came (the others invited were absent).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Attendance {
    pub present: Vec<String>,
}

/// Records who attended a session once it has started; when every session is recorded and
/// every trainee was invited, the request is completed. The officer who asked is told.
pub fn record_attendance(
    app: &App,
    actor: &Actor,
    id: u64,
    no: u32,
    input: &Attendance,
) -> Result<TrainingRequest> {
    let r = load_for(app, actor, id, TrainingAction::Schedule)?;
    let present = resolve(app, actor, "present", &input.present, r.agency_id)?;
    let by = actor.user_id().unwrap_or(0);
    let (r, after) = app.audit.change(actor, "training.attendance", |txn| {
        let mut r = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        if r.status == Status::Declined {
            return Err(conflict("training-settled").with_field("status"));
        }
        let session = r.sessions.iter_mut().find(|s| s.no == no).ok_or_else(Error::not_found)?;
        let started =
            crate::clock::parse(&session.starts).is_some_and(|t| t <= crate::clock::now());
        if !started {
            return Err(conflict("training-not-started").with_field("present"));
        }
        if let Some(stranger) = present.iter().find(|p| !session.invited.contains(p)) {
            return Err(
                Error::invalid("present", "training-not-invited").with_detail(stranger.to_string())
            );
        }
        session.attended = Some(present.clone());
        let (came, invited) = (present.len(), session.invited.len());
        let to = if r.is_complete() { Status::Completed } else { r.status };
        r.step(to, by, &now(), "");
        store::put(txn, &r)?;
        let officer = directory::recipients_by_id(app, &[r.requested_by])?;
        let n = notice("training-attendance", &r)
            .arg("no", no.to_string())
            .arg("came", came.to_string())
            .arg("invited", invited.to_string());
        let after = tell(app, txn, &officer, &n)?;
        let detail = json!({"training": id, "session": no, "present": came, "invited": invited,
                            "status": r.status.name()});
        Ok(((r, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(r)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Decline {
    pub reason: String,
}

/// Declines a request not yet completed, with a reason told to the officer who asked and
/// to the trainees invited to sessions still to come.
pub fn decline(app: &App, actor: &Actor, id: u64, input: &Decline) -> Result<TrainingRequest> {
    load_for(app, actor, id, TrainingAction::Schedule)?;
    let reason = clean_paragraphs("reason", &input.reason, MAX_NOTE)?;
    if reason.is_empty() {
        return Err(Error::invalid("reason", "training-reason-required"));
    }
    let by = actor.user_id().unwrap_or(0);
    let (r, after) = app.audit.change(actor, "training.decline", |txn| {
        let mut r = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        if r.status.is_settled() {
            return Err(conflict("training-settled").with_field("status"));
        }
        r.reason = reason.clone();
        r.step(Status::Declined, by, &now(), &reason);
        store::put(txn, &r)?;
        let mut ids = vec![r.requested_by];
        for s in r.sessions.iter().filter(|s| s.attended.is_none()) {
            ids.extend(s.invited.iter().copied());
        }
        ids.sort_unstable();
        ids.dedup();
        let after = tell(
            app,
            txn,
            &directory::recipients_by_id(app, &ids)?,
            &notice("training-declined", &r),
        )?;
        Ok(((r, after), Some(json!({"training": id, "reason": reason}))))
    })?;
    notify::after_commit(app, after);
    Ok(r)
}
