//! Attendance (I385 §42–§44): a member answers "will attend" or "will not attend" with a
//! reason and a substitute, signing the exact answer text; the substitute is told and, for
//! this meeting only, votes in the member's place (the meeting's open polls get the
//! substitute at once, later ones when they open). The OKDO officer reads the attendance
//! sheet and reminds those who have not answered.

use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::service::{check, load, notice, now, refused, step, tell};
use super::view::{Person, people, person};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::MeetingAction;
use crate::error::{Error, Result};
use crate::notify::{self, Arg};
use crate::portal::directory::model::UserStatus;
use crate::portal::directory::service as directory;
use crate::sign::Verdict;

/// What a member asks to answer (the query of `…/attendance/text` and `…/attendance`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AnswerInput {
    pub answer: String,
    pub reason: String,
    /// The substitute's login (for "absent").
    pub substitute: String,
}

struct Checked {
    version: u32,
    answer: Answer,
    reason: String,
    substitute: Option<u64>,
    text: Vec<u8>,
}

fn checked(app: &App, actor: &Actor, m: &Meeting, input: &AnswerInput) -> Result<Checked> {
    check(actor, MeetingAction::Answer, m)?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let answer = Answer::parse(input.answer.trim())
        .ok_or_else(|| Error::invalid("answer", "meeting-answer-unknown"))?;
    let reason = input.reason.trim().chars().take(2000).collect::<String>();
    let (reason, substitute_login) = match answer {
        Answer::Attend => (String::new(), String::new()),
        Answer::Absent => (reason, input.substitute.trim().to_owned()),
    };
    let substitute = if substitute_login.is_empty() {
        None
    } else {
        let (_, ids) =
            directory::resolve_access_names(app, &[], std::slice::from_ref(&substitute_login))
                .map_err(|_| {
                    Error::invalid("substitute", "meeting-substitute-unknown")
                        .with_detail(substitute_login.clone())
                })?;
        let user = directory::users_by_id(app, &ids)?.into_iter().next();
        match user {
            Some(u) if u.status == UserStatus::Active && u.id != me => Some(u.id),
            _ => {
                return Err(Error::invalid("substitute", "meeting-substitute-unknown")
                    .with_detail(substitute_login));
            }
        }
    };
    let version = m.check_answer(me, answer, &reason, substitute, &now()).map_err(refused)?;
    let login = match &actor.who {
        crate::actor::Who::User(u) => u.login.clone(),
        _ => return Err(Error::forbidden()),
    };
    let text = attendance_text(m, version, &login, answer, &reason, &substitute_login);
    Ok(Checked { version, answer, reason, substitute, text })
}

/// `GET …/attendance/text`: the exact bytes a member signs to answer.
pub fn text(app: &App, actor: &Actor, id: u64, input: &AnswerInput) -> Result<Vec<u8>> {
    let m = load(app, id)?;
    let c = checked(app, actor, &m, input)?;
    actor.origin.set_operation("meeting.attendance_text");
    Ok(c.text)
}

/// §42–§44: a member's signed answer. The substitute is told and takes the member's seat in
/// the meeting's open polls; a later answer replaces an earlier one (before the meeting).
pub fn answer(app: &App, actor: &Actor, id: u64, input: &AnswerInput, cms: &[u8]) -> Result<()> {
    let m = load(app, id)?;
    let c = checked(app, actor, &m, input)?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let verdict = crate::sign::service::verify_for_user(app, Some(me), &c.text, cms)?;
    if let Verdict::Invalid(r) = verdict {
        actor.origin.set_detail(json!({"meeting": id, "reason": r.reason.name()}));
        return Err(r.into());
    }
    let der = crate::sign::cms::decode_input(cms).map_err(Error::from)?;
    let polls = std::cell::RefCell::new(Vec::new());
    step(app, actor, id, MeetingAction::Answer, "meeting.answer", |m, txn| {
        let now = now();
        // The answer must still be the one that was signed (the agenda may have moved on).
        let version =
            m.check_answer(me, c.answer, &c.reason, c.substitute, &now).map_err(refused)?;
        if version != c.version {
            return Err(Error::invalid("signature", "meeting-agenda-changed"));
        }
        let before = m.substitute_of(me);
        m.record_answer(Attendance {
            member: me,
            answer: c.answer,
            reason: c.reason.clone(),
            substitute: c.substitute,
            agenda_version: c.version,
            at: now,
            cms: crate::sign::store::b64(&der),
            verdict: verdict.clone(),
        });
        *polls.borrow_mut() = super::votes::seat_substitute_in(txn, m, me)?;
        let mut after = notify::mark_topic_read_in(txn, me, &format!("meeting:{}", m.id))?;
        if let Some(s) = c.substitute.filter(|s| Some(*s) != before) {
            let member = directory::users_by_id(app, &[me])?
                .into_iter()
                .next()
                .map(|u| Arg::from(u.names()))
                .unwrap_or_else(|| Arg::from(String::new()));
            let n = notice("meeting-substitute", m).arg("member", member);
            after = after.merge(tell(app, txn, &[s], &n)?);
        }
        Ok(((), after))
    })?;
    for poll in polls.into_inner() {
        crate::portal::polls::service::published(app, &poll);
    }
    Ok(())
}

/// One line of the attendance sheet.
#[derive(Debug, Clone, Serialize)]
pub struct SheetRow {
    pub member: Person,
    /// `attend`, `absent` or `not_answered`.
    pub answer: &'static str,
    /// Shown to OKDO officers and the member.
    pub reason: Option<String>,
    pub substitute: Option<Person>,
    pub at_local: Option<String>,
    pub agenda_version: Option<u32>,
    /// `valid` or `invalid` (the signature's verdict when it was given).
    pub signature: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sheet {
    pub rows: Vec<SheetRow>,
    pub attend: usize,
    pub absent: usize,
    pub not_answered: usize,
    /// Reminders sent: (when, in Astana time; how many members).
    pub reminders: Vec<(String, usize)>,
}

/// The attendance sheet as `actor` may see it: OKDO officers everything, others every
/// answer and substitute but only their own reason.
pub fn sheet_of(app: &App, actor: &Actor, m: &Meeting, lang: &str, manager: bool) -> Result<Sheet> {
    let users = people(app, m)?;
    let me = actor.user_id().unwrap_or(0);
    let local = |t: &str| crate::clock::parse(t).map(crate::clock::local_display);
    let rows: Vec<SheetRow> = m
        .members
        .iter()
        .map(|id| {
            let a = m.answer_of(*id);
            SheetRow {
                member: person(&users, *id, lang),
                answer: a.map(|a| a.answer.name()).unwrap_or("not_answered"),
                reason: a.filter(|_| manager || *id == me).map(|a| a.reason.clone()),
                substitute: a.and_then(|a| a.substitute).map(|s| person(&users, s, lang)),
                at_local: a.and_then(|a| local(&a.at)),
                agenda_version: a.map(|a| a.agenda_version),
                signature: a
                    .map(|a| if a.verdict.report().is_some() { "valid" } else { "invalid" }),
            }
        })
        .collect();
    let count = |k: &str| rows.iter().filter(|r| r.answer == k).count();
    Ok(Sheet {
        attend: count("attend"),
        absent: count("absent"),
        not_answered: count("not_answered"),
        reminders: m.reminders.iter().map(|(t, n)| (local(t).unwrap_or_default(), *n)).collect(),
        rows,
    })
}

/// `GET …/attendance`: the sheet for an OKDO officer.
pub fn sheet(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<Sheet> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Manage, &m)?;
    actor.origin.set_operation("meeting.attendance_sheet");
    sheet_of(app, actor, &m, lang, true)
}

/// The officer reminds the members who have not answered (by inbox and mail). Returns how
/// many were reminded.
pub fn remind(app: &App, actor: &Actor, id: u64) -> Result<usize> {
    step(app, actor, id, MeetingAction::Manage, "meeting.remind", |m, txn| {
        if m.published().is_none() {
            return Err(refused(Refusal::NotPublished));
        }
        if m.starts_at.as_str() <= now().as_str() {
            return Err(refused(Refusal::MeetingOver));
        }
        let to = m.not_answered();
        let after = tell(app, txn, &to, &notice("meeting-remind", m))?;
        m.reminders.push((now(), to.len()));
        Ok((to.len(), after))
    })
}
